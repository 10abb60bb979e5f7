import CKexecMemfd
import CLzma
import CZlib
import CZstd
import Glibc
import KexecCore
import SystemPackage

/// How a kernel file is wrapped (vmlinuz.gz, vmlinuz.xz, vmlinuz.zst, ...), told by its magic.
public enum CompressionFormat: String, Sendable, CaseIterable {
    case gzip, xz, lzma, zstd

    /// The format whose magic starts `bytes`, or nil (a bzImage starts with "MZ" or a boot sector).
    public static func detect(_ bytes: UnsafeRawBufferPointer) -> CompressionFormat? {
        func starts(_ magic: [UInt8]) -> Bool {
            bytes.count >= magic.count && zip(bytes, magic).allSatisfy { $0 == $1 }
        }
        if starts([0x1f, 0x8b]) { return .gzip }
        if starts([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) { return .xz }
        if starts([0x28, 0xb5, 0x2f, 0xfd]) { return .zstd }
        // The legacy .lzma ("LZMA alone") header has no magic: properties byte 0x5d (lc=3 lp=0
        // pb=2, what every lzma tool writes), a 32-bit dictionary size of at least 64 KiB, then
        // a 64-bit uncompressed size that is either unknown (all ones) or below 1 TiB.
        if starts([0x5d, 0x00, 0x00]), bytes.count >= 13 {
            let size = LittleEndianReader(bytes).u64(5)!
            if size == .max || size < 1 << 40 { return .lzma }
        }
        return nil
    }
}

/// A kernel image after unwrapping: the bytes to parse and, when it was compressed, how.
public struct UnwrappedImage: Sendable {
    public var storage: ByteStorage
    public var format: CompressionFormat?
    public var compressedSize: Int

    /// "FILE: gzip-compressed, N → M bytes" (for -d), or nil when the file was not compressed.
    public func note(path: String) -> String? {
        format.map { "\(path): \($0.rawValue)-compressed, \(compressedSize) → \(storage.count) bytes" }
    }
}

/// Whole-image decompression through the system libraries (zlib, liblzma, libzstd).
public enum Decompression {
    /// No kernel is anywhere near this; a bigger result means a wrong or hostile file.
    public static let defaultLimit = 1 << 30

    /// `input` itself (no copy) when it is not compressed; otherwise a new buffer with the
    /// decompressed bytes. Errors are one line naming `path` and the format.
    public static func unwrap(_ input: ByteStorage, path: String, limit: Int = defaultLimit) throws(KexecError) -> UnwrappedImage {
        guard let format = CompressionFormat.detect(input.raw) else {
            return UnwrappedImage(storage: input, format: nil, compressedSize: input.count)
        }
        let out = try decompress(input.raw, format: format, path: path, limit: limit)
        return UnwrappedImage(storage: out, format: format, compressedSize: input.count)
    }

    public static func decompress(_ input: UnsafeRawBufferPointer, format: CompressionFormat, path: String,
                                  limit: Int = defaultLimit) throws(KexecError) -> ByteStorage {
        let output = OutputBuffer(initial: initialCapacity(input, format, limit), limit: limit)
        let fail = Failure(path: path, format: format, limit: limit)
        switch format {
        case .gzip: try gunzip(input, into: output, fail)
        case .xz, .lzma: try unxz(input, into: output, format == .xz, fail)
        case .zstd: try unzstd(input, into: output, fail)
        }
        return output.finish()
    }

    /// A first guess of the output size from the container, when it records one (only a hint:
    /// a wrong value costs a reallocation, never correctness).
    static func initialCapacity(_ input: UnsafeRawBufferPointer, _ format: CompressionFormat, _ limit: Int) -> Int {
        var hint: UInt64? = nil
        let r = LittleEndianReader(input)
        switch format {
        case .gzip: hint = input.count >= 18 ? r.u32(input.count - 4).map(UInt64.init) : nil   // ISIZE (mod 2^32)
        case .lzma: hint = r.u64(5).flatMap { $0 == .max ? nil : $0 }
        case .zstd: hint = input.baseAddress.map { UInt64(ZSTD_getFrameContentSize($0, input.count)) }
        case .xz: hint = nil
        }
        let guess = hint.flatMap { $0 <= UInt64(limit) ? Int($0) : nil } ?? input.count.multipliedReportingOverflow(by: 4).partialValue
        // Exactly the recorded size plus one page, so the decoder can say "done" without a grow.
        return min(limit, max(guess + 4096, 1 << 20))
    }

    /// Builds the one-line errors.
    struct Failure {
        let path: String
        let format: CompressionFormat
        let limit: Int

        func corrupt(at offset: Int, _ detail: String? = nil) -> KexecError {
            KexecError(file: path, field: format.rawValue, "corrupt data at byte \(offset)" + (detail.map { " (\($0))" } ?? ""))
        }
        func truncated(at offset: Int) -> KexecError {
            KexecError(file: path, field: format.rawValue, "truncated: the file ends at byte \(offset), inside the compressed stream")
        }
        /// Whole MiB as users think of kernels; a smaller limit (tests, fuzzing) in bytes.
        var limitText: String { limit % (1 << 20) == 0 ? "\(limit >> 20) MiB" : "\(limit) bytes" }
        var tooBig: KexecError {
            KexecError(file: path, field: format.rawValue, "decompresses to more than \(limitText); this is not a kernel image")
        }
        func dictionaryTooBig(needs bytes: UInt64) -> KexecError {
            KexecError(file: path, field: format.rawValue, "its dictionary needs \(bytes >> 20) MiB of memory, although it may decompress to \(limitText) at most; this is not a kernel image")
        }
        func library(_ what: String) -> KexecError {
            KexecError(file: path, field: format.rawValue, "the decompressor failed: \(what)")
        }
    }

    // MARK: gzip (zlib)

    static func gunzip(_ input: UnsafeRawBufferPointer, into out: OutputBuffer, _ fail: Failure) throws(KexecError) {
        guard let base = input.baseAddress?.assumingMemoryBound(to: Bytef.self) else { throw fail.truncated(at: 0) }
        var z = z_stream()
        guard czlib_inflate_init_gzip(&z) == Z_OK else { throw fail.library("inflateInit2") }
        defer { inflateEnd(&z) }
        var fed = 0                                   // input bytes handed to zlib so far
        func position() -> Int { fed - Int(z.avail_in) }
        while true {
            if z.avail_in == 0 && fed < input.count {
                let n = min(input.count - fed, 1 << 30)   // avail_in is 32 bits
                z.next_in = UnsafeMutablePointer(mutating: base + fed)
                z.avail_in = uInt(n)
                fed += n
            }
            if out.free == 0 { try out.grow(fail) }
            let space = min(out.free, 1 << 30)
            z.next_out = out.tail.assumingMemoryBound(to: Bytef.self)
            z.avail_out = uInt(space)
            let r = inflate(&z, Z_NO_FLUSH)
            out.count += space - Int(z.avail_out)
            switch r {
            case Z_STREAM_END:
                // A gzip file may hold several members back to back; anything else after
                // the first member (padding, a signature) is not part of the image.
                let at = position()
                if at + 2 <= input.count, input[at] == 0x1f, input[at + 1] == 0x8b {
                    guard inflateReset(&z) == Z_OK else { throw fail.library("inflateReset") }
                    continue
                }
                return
            case Z_OK:
                continue
            case Z_BUF_ERROR:
                // No progress: either the output is full (grow next round) or the input ran out.
                if z.avail_out == 0 { continue }
                if z.avail_in == 0 && fed == input.count { throw fail.truncated(at: input.count) }
                throw fail.corrupt(at: position())
            case Z_MEM_ERROR:
                throw fail.library("out of memory")
            default:                                  // Z_DATA_ERROR, Z_NEED_DICT, Z_STREAM_ERROR
                throw fail.corrupt(at: position(), z.msg.map { String(cString: $0) })
            }
        }
    }

    // MARK: xz and legacy lzma (liblzma)

    /// liblzma allocates the whole dictionary the header asks for (a .lzma header may ask for
    /// 4 GiB), but a dictionary larger than the output is never used. On top: 64 MiB, so that
    /// small files made with the tools' largest presets (xz -9, lzma -9) still decode, and
    /// 1 MiB for the decoder's own state.
    static func decoderMemoryLimit(_ limit: Int) -> UInt64 { UInt64(limit) + (65 << 20) }

    static func unxz(_ input: UnsafeRawBufferPointer, into out: OutputBuffer, _ isXZ: Bool, _ fail: Failure) throws(KexecError) {
        var s = lzma_stream()
        let memlimit = decoderMemoryLimit(out.limit)
        let initialized = isXZ ? clzma_xz_decoder(&s, memlimit) : clzma_alone_decoder(&s, memlimit)
        guard initialized == LZMA_OK else { throw fail.library("decoder initialization (\(initialized.rawValue))") }
        defer { lzma_end(&s) }
        s.next_in = input.baseAddress?.assumingMemoryBound(to: UInt8.self)
        s.avail_in = input.count
        while true {
            if out.free == 0 { try out.grow(fail) }
            let space = out.free
            s.next_out = out.tail.assumingMemoryBound(to: UInt8.self)
            s.avail_out = space
            // LZMA_FINISH once everything is in: then an unfinished stream is an error.
            let r = lzma_code(&s, s.avail_in == 0 ? LZMA_FINISH : LZMA_RUN)
            out.count += space - s.avail_out
            let at = Int(s.total_in)
            switch r {
            case LZMA_STREAM_END:
                return
            case LZMA_OK:
                continue
            case LZMA_BUF_ERROR:
                if s.avail_out == 0 { continue }
                throw fail.truncated(at: input.count)
            case LZMA_MEM_ERROR:
                throw fail.library("out of memory")
            case LZMA_MEMLIMIT_ERROR:
                throw fail.dictionaryTooBig(needs: lzma_memusage(&s))
            case LZMA_OPTIONS_ERROR, LZMA_UNSUPPORTED_CHECK:
                throw fail.corrupt(at: at, "unsupported options")
            default:                                  // LZMA_DATA_ERROR, LZMA_FORMAT_ERROR
                throw fail.corrupt(at: at)
            }
        }
    }

    // MARK: zstd (libzstd)

    static func unzstd(_ input: UnsafeRawBufferPointer, into out: OutputBuffer, _ fail: Failure) throws(KexecError) {
        guard let stream = ZSTD_createDStream() else { throw fail.library("ZSTD_createDStream") }
        defer { ZSTD_freeDStream(stream) }
        // Input goes in windows of 128 KiB so that an error's offset is near where it is.
        let window = 128 << 10
        var src = ZSTD_inBuffer(src: input.baseAddress, size: min(input.count, window), pos: 0)
        var pending = 1                               // 0 once a frame is complete and flushed
        while src.pos < input.count || pending != 0 {
            if src.pos == src.size { src.size = min(input.count, src.size + window) }
            if out.free == 0 { try out.grow(fail) }
            var dst = ZSTD_outBuffer(dst: out.tail, size: out.free, pos: 0)
            let before = src.pos
            let r = ZSTD_decompressStream(stream, &dst, &src)
            out.count += dst.pos
            if ZSTD_isError(r) != 0 {
                throw fail.corrupt(at: max(before, src.pos), String(cString: ZSTD_getErrorName(r)))
            }
            pending = r
            // All input used, frame unfinished and the output had room: the file is cut short.
            if r != 0 && src.pos == input.count && dst.pos < dst.size { throw fail.truncated(at: input.count) }
        }
    }
}

/// malloc'd output that grows in bounded steps up to the limit, then becomes a ByteStorage.
final class OutputBuffer {
    private(set) var base: UnsafeMutableRawPointer
    private(set) var capacity: Int
    var count = 0
    let limit: Int
    private var taken = false

    /// At most this much is added at once (realloc of a large block is an mremap: no copy).
    static let maxStep = 64 << 20

    init(initial: Int, limit: Int) {
        capacity = max(1, min(initial, limit))
        base = malloc(capacity)!
        self.limit = limit
    }

    deinit { if !taken { Glibc.free(base) } }

    var free: Int { capacity - count }
    var tail: UnsafeMutableRawPointer { base + count }

    func grow(_ fail: Decompression.Failure) throws(KexecError) {
        guard capacity < limit else { throw fail.tooBig }
        let next = min(limit, capacity + min(capacity, Self.maxStep))
        guard let p = realloc(base, next) else { throw fail.library("out of memory (\(next) bytes)") }
        base = p
        capacity = next
    }

    /// Hands the bytes to a ByteStorage that frees them; trims the slack first.
    func finish() -> ByteStorage {
        if capacity - count >= 1 << 16, let p = realloc(base, max(count, 1)) { base = p; capacity = max(count, 1) }
        taken = true
        return ByteStorage(raw: UnsafeRawBufferPointer(start: base, count: count)) { raw in
            Glibc.free(UnsafeMutableRawPointer(mutating: raw.baseAddress))
        }
    }
}

/// kexec_file_load(2) takes a file descriptor; decompressed bytes go into a sealed memfd.
public enum SealedMemfd {
    /// "kexec:" and the file's base name, which /proc/PID/fd shows for the memfd.
    static func name(for path: String) -> String {
        "kexec:" + (path.split(separator: "/").last.map(String.init) ?? path)
    }

    /// A memfd named `name` holding `bytes`, sealed against any change (F_SEAL_SEAL, SHRINK,
    /// GROW, WRITE), so what the kernel reads (and what IMA would measure) is fixed.
    public static func create(name: String, bytes: UnsafeRawBufferPointer) throws(KexecError) -> FileDescriptor {
        let raw = ckexec_memfd_create(name)
        guard raw >= 0 else { throw KexecError(file: name, "memfd_create failed: \(String(cString: strerror(-raw)))") }
        let fd = FileDescriptor(rawValue: raw)
        var done = 0
        while done < bytes.count {
            let n = write(raw, bytes.baseAddress! + done, bytes.count - done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                let e = n < 0 ? errno : EIO
                try? fd.close()
                throw KexecError(file: name, "cannot write to the memfd: \(String(cString: strerror(e)))")
            }
            done += n
        }
        let sealed = ckexec_memfd_seal(raw)
        guard sealed == 0 else {
            try? fd.close()
            throw KexecError(file: name, "cannot seal the memfd: \(String(cString: strerror(-sealed)))")
        }
        return fd
    }

    /// The seals on `fd` (F_GET_SEALS), or nil.
    public static func seals(_ fd: Int32) -> Int32? {
        let s = ckexec_get_seals(fd)
        return s < 0 ? nil : s
    }

    public static var allSeals: Int32 { ckexec_all_seals() }
}
