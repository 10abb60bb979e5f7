import Foundation
import Glibc
import Testing
@testable import KexecCore
@testable import KexecSystem

/// Compressed inputs made at test time with the system tools (gzip, xz, zstd).
enum Compressed {
    static let tool: [CompressionFormat: String] = [
        .gzip: "gzip -c", .xz: "xz -c", .lzma: "xz --format=lzma -c", .zstd: "zstd -q -c",
    ]

    /// Runs `sh -c "<tool> <options> < in > out"` and returns the output bytes.
    static func make(_ bytes: [UInt8], _ format: CompressionFormat, options: String = "") throws -> [UInt8] {
        let dir = NSTemporaryDirectory() + "kexec-z-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Data(bytes).write(to: URL(fileURLWithPath: dir + "/in"))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", "\(tool[format]!) \(options) < '\(dir)/in' > '\(dir)/out'"]
        try p.run()
        p.waitUntilExit()
        guard p.terminationStatus == 0 else { throw KexecError("\(tool[format]!) failed (is it installed?)") }
        return [UInt8](try Data(contentsOf: URL(fileURLWithPath: dir + "/out")))
    }

    /// Compressible but not trivial: text-like runs with a pseudo-random tail.
    static func sample(_ count: Int) -> [UInt8] {
        var state: UInt32 = 12345
        return (0..<count).map { i in
            if i % 4096 < 3000 { return UInt8(truncatingIfNeeded: i / 7) }
            state = state &* 1_103_515_245 &+ 12345
            return UInt8(truncatingIfNeeded: state >> 16)
        }
    }
}

@Suite("decompression (zlib, liblzma, libzstd)")
struct DecompressionTests {
    @Test(arguments: CompressionFormat.allCases)
    func roundTrip(_ format: CompressionFormat) throws {
        let original = Compressed.sample(3 << 20)
        let packed = try Compressed.make(original, format)
        let input = ByteStorage(packed)
        let out = try Decompression.unwrap(input, path: "k", limit: 64 << 20)
        #expect(out.format == format)
        #expect(out.storage !== input)
        #expect(Array(out.storage.raw) == original)
        #expect(out.note(path: "k") == "k: \(format.rawValue)-compressed, \(packed.count) → \(original.count) bytes")
    }

    /// Outputs much larger than the first guess grow in steps (xz records no size).
    @Test func highlyCompressibleInputGrows() throws {
        let original = [UInt8](repeating: 0x5a, count: 40 << 20)
        let packed = try Compressed.make(original, .xz)
        #expect(packed.count < 1 << 20)
        let out = try Decompression.unwrap(ByteStorage(packed), path: "k")
        #expect(out.storage.count == original.count && out.storage.raw.allSatisfy { $0 == 0x5a })
    }

    @Test func gzipMembersAreConcatenated() throws {
        let a = Compressed.sample(100_000), b = Array("second member".utf8)
        let packed = try Compressed.make(a, .gzip) + Compressed.make(b, .gzip)
        let out = try Decompression.unwrap(ByteStorage(packed), path: "k")
        #expect(Array(out.storage.raw) == a + b)
    }

    @Test func uncompressedInputIsPassedThroughWithoutACopy() throws {
        let input = ByteStorage(Fixture.bzImage())
        let out = try Decompression.unwrap(input, path: "k")
        #expect(out.storage === input)
        #expect(out.storage.raw.baseAddress == input.raw.baseAddress)
        #expect(out.format == nil && out.note(path: "k") == nil)
    }

    @Test(arguments: CompressionFormat.allCases)
    func truncatedInputIsOneLine(_ format: CompressionFormat) throws {
        let packed = try Compressed.make(Compressed.sample(1 << 20), format)
        let cut = Array(packed[0..<(packed.count / 2)])
        #expect { try Decompression.unwrap(ByteStorage(cut), path: "/boot/k") } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("/boot/k: \(format.rawValue): ") && !text.contains("\n")
                && (text.contains("truncated: the file ends at byte \(cut.count)") || text.contains("corrupt data at byte"))
        }
    }

    @Test(arguments: CompressionFormat.allCases)
    func corruptInputIsOneLine(_ format: CompressionFormat) throws {
        var packed = try Compressed.make(Compressed.sample(1 << 20), format)
        for i in stride(from: packed.count / 3, to: packed.count / 3 + 64, by: 1) { packed[i] ^= 0xa5 }
        #expect { try Decompression.unwrap(ByteStorage(packed), path: "/boot/k") } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("/boot/k: \(format.rawValue): corrupt data at byte ") && !text.contains("\n")
        }
    }

    @Test func gzipCorruptionNamesTheOffset() throws {
        var packed = try Compressed.make(Compressed.sample(1 << 20), .gzip)
        packed[3] = 0xe0                                       // reserved FLG bits: header error
        #expect { try Decompression.unwrap(ByteStorage(packed), path: "vmlinuz.gz") } throws: {
            "\($0)".hasPrefix("vmlinuz.gz: gzip: corrupt data at byte ")
        }
    }

    @Test func sizeIsCapped() throws {
        let packed = try Compressed.make([UInt8](repeating: 0, count: 4 << 20), .zstd)
        #expect { try Decompression.unwrap(ByteStorage(packed), path: "k", limit: 1 << 20) } throws: {
            "\($0)" == "k: zstd: decompresses to more than 1 MiB; this is not a kernel image"
        }
        // Below 1 MiB (the fuzz target's limits) the limit is in bytes, not "0 MiB".
        #expect { try Decompression.unwrap(ByteStorage(packed), path: "k", limit: 64 << 10) } throws: {
            "\($0)" == "k: zstd: decompresses to more than 65536 bytes; this is not a kernel image"
        }
    }

    /// A .lzma header may ask for a 4 GiB dictionary, which liblzma would allocate whole (the
    /// fuzzer's malloc limit caught it): refused before any allocation.
    @Test func hugeDictionaryIsRefused() throws {
        // Properties 0x5d, dictionary 0xffff0000 bytes, size unknown, then the stream.
        let file: [UInt8] = [0x5d, 0, 0, 0xff, 0xff] + [UInt8](repeating: 0xff, count: 8) + [0, 0x41, 0x12, 0x34]
        #expect { try Decompression.unwrap(ByteStorage(file), path: "k") } throws: {
            "\($0)" == "k: lzma: its dictionary needs 4095 MiB of memory, although it may decompress to 1024 MiB at most; this is not a kernel image"
        }
    }

    /// The largest presets write a 64 MiB dictionary into the header even for a tiny file.
    @Test(arguments: [CompressionFormat.xz, .lzma])
    func largestPresetDecodesUnderASmallLimit(_ format: CompressionFormat) throws {
        let original = Compressed.sample(1000)
        let packed = try Compressed.make(original, format, options: "-9")
        let out = try Decompression.unwrap(ByteStorage(packed), path: "k", limit: 64 << 10)
        #expect(Array(out.storage.raw) == original)
    }

    @Test func detection() {
        func fmt(_ b: [UInt8]) -> CompressionFormat? { b.withUnsafeBytes { CompressionFormat.detect($0) } }
        #expect(fmt([0x1f, 0x8b, 8, 0]) == .gzip)
        #expect(fmt([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00, 0]) == .xz)
        #expect(fmt([0x28, 0xb5, 0x2f, 0xfd, 0]) == .zstd)
        #expect(fmt([0x5d, 0, 0, 0x80, 0] + [UInt8](repeating: 0xff, count: 8)) == .lzma)
        #expect(fmt([0x5d, 0, 0, 0x80, 0] + [UInt8](repeating: 0x7f, count: 8)) == nil)   // absurd size
        #expect(fmt(Fixture.bzImage()) == nil)
        #expect(fmt([0x4d, 0x5a]) == nil && fmt([]) == nil && fmt([0x1f]) == nil)
    }

    @Test func sealedMemfdHoldsTheBytes() throws {
        let bytes = Compressed.sample(200_000)
        let fd = try bytes.withUnsafeBytes { try SealedMemfd.create(name: "test", bytes: $0) }
        defer { try? fd.close() }
        #expect(SealedMemfd.seals(fd.rawValue) == SealedMemfd.allSeals)
        #expect(FDContents.read(fd.rawValue) == bytes)
        #expect(FDContents.isMemfd(fd.rawValue, named: "test"))
        var one: UInt8 = 1
        #expect(pwrite(fd.rawValue, &one, 1, 0) == -1 && errno == EPERM)   // F_SEAL_WRITE
        #expect(ftruncate(fd.rawValue, 10) == -1)                          // F_SEAL_SHRINK
    }
}

/// Reads a whole file through its descriptor (from offset 0, like the kernel does).
enum FDContents {
    static func read(_ fd: Int32) -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, off_t(out.count)) }
            if n <= 0 { return out }
            out += chunk[0..<n]
        }
    }

    /// Is `fd` (still) our memfd? Checks the name, since a closed descriptor's number may
    /// already be reused by a test running in parallel.
    static func isMemfd(_ fd: Int32, named name: String) -> Bool {
        let target = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\(fd)")) ?? ""
        return target.hasPrefix("/memfd:" + name)
    }
}

/// Like FakeSyscalls, but looks at the kernel and initrd fds while they are open: contents and seals.
final class InspectingSyscalls: LinuxKexecSyscalls, @unchecked Sendable {
    struct FileLoad {
        var kernelFD: Int32, contents: [UInt8], seals: Int32?, flags: UInt
        var initrdFD: Int32, initrd: [UInt8]?, initrdSeals: Int32?, commandLine: [UInt8]
    }
    var fileResults: [Int]
    var fileLoads: [FileLoad] = []
    var loads = 0
    init(fileResults: [Int]) { self.fileResults = fileResults }
    func kexecLoad(entry: UInt64, segments: [RawSegment], flags: UInt) -> Int { loads += 1; return 0 }
    func kexecFileLoad(kernelFD: Int32, initrdFD: Int32, commandLine: [UInt8], flags: UInt) -> Int {
        fileLoads.append(FileLoad(kernelFD: kernelFD, contents: FDContents.read(kernelFD), seals: SealedMemfd.seals(kernelFD), flags: flags,
                                  initrdFD: initrdFD, initrd: initrdFD < 0 ? nil : FDContents.read(initrdFD),
                                  initrdSeals: initrdFD < 0 ? nil : SealedMemfd.seals(initrdFD), commandLine: commandLine))
        return fileResults.isEmpty ? 0 : fileResults.removeFirst()
    }
    func rebootKexec() -> Int { 0 }
}

@Suite("compressed kernels through the runner", .serialized)
struct CompressedKernelLoadTests {
    let files: ImageFiles
    let bzImage: [UInt8]
    let gz: String

    init() throws {
        files = try ImageFiles(prefix: "kexec-compressed-", bodySize: 200_000)
        bzImage = [UInt8](try Data(contentsOf: URL(fileURLWithPath: files.kernel)))
        gz = files.dir + "/vmlinuz.gz"
        try Data(try Compressed.make(bzImage, .gzip)).write(to: URL(fileURLWithPath: gz))
    }

    func runner(_ fake: any LinuxKexecSyscalls) throws -> (KexecRunner, FakeRoot) {
        let root = try FakeRoot(["/proc/iomem": "00100000-7ffdffff : System RAM\n"])
        return (KexecRunner(backend: LinuxBackend(syscalls: fake, files: root.files), probe: HostProbe(files: root.files)), root)
    }

    func options(_ kernel: String, _ choice: SyscallChoice) -> LoadOptions {
        var o = LoadOptions(kernelPath: kernel)
        o.initrdPath = files.initrd
        o.append = "quiet"
        o.syscall = choice
        return o
    }

    @Test func fileSyscallRetriesWithASealedMemfdAfterENOEXEC() throws {
        let fake = InspectingSyscalls(fileResults: [-Int(ENOEXEC), 0])
        let (r, root) = try runner(fake)
        let outcome = try withExtendedLifetime(root) { try r.load(options(gz, .file)) }
        #expect(outcome.syscall == .file && fake.loads == 0)
        #expect(fake.fileLoads.count == 2)
        let (first, retry) = (fake.fileLoads[0], fake.fileLoads[1])
        #expect(first.contents == [UInt8](try Data(contentsOf: URL(fileURLWithPath: gz))))   // the file as it is
        #expect(first.seals == nil || first.seals == 0)
        #expect(retry.contents == bzImage)
        #expect(retry.seals == SealedMemfd.allSeals)
        #expect(retry.flags == first.flags)
        #expect(!FDContents.isMemfd(retry.kernelFD, named: "kexec:vmlinuz.gz"))   // closed after the call
        #expect(outcome.notes.contains { $0.hasPrefix("\(gz): gzip-compressed, ") && $0.contains("sealed memfd") })
    }

    @Test func uncompressedKernelIsNotRetried() throws {
        let fake = InspectingSyscalls(fileResults: [-Int(ENOEXEC)])
        let (r, root) = try runner(fake)
        #expect(throws: KexecError.self) { try withExtendedLifetime(root) { _ = try r.load(options(files.kernel, .file)) } }
        #expect(fake.fileLoads.count == 1)
    }

    @Test func autoStillFallsBackToKexecLoadWithTheDecompressedPlan() throws {
        let fake = InspectingSyscalls(fileResults: [-Int(ENOEXEC), -Int(ENOEXEC)])
        let (r, root) = try runner(fake)
        let outcome = try withExtendedLifetime(root) { try r.load(options(gz, .auto)) }
        #expect(outcome.syscall == .load && fake.loads == 1 && fake.fileLoads.count == 2)
        #expect(outcome.notes.last == "loaded through kexec_load")
        let plan = try #require(outcome.plan)
        #expect(plan.notes.first?.hasPrefix("\(gz): gzip-compressed, ") == true)
        // The kernel segment carries the decompressed body (after the setup sectors).
        let kernel = try #require(plan.segments.first { $0.role == .kernel })
        #expect(kernel.data.map { Array($0.raw) } == Array(bzImage[1024...]))
    }

    @Test func corruptCompressedKernelIsOneLineOnEveryPath() throws {
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: gz)))
        bytes.removeLast(bytes.count / 2)
        let bad = files.dir + "/bad.gz"
        try Data(bytes).write(to: URL(fileURLWithPath: bad))
        for choice in [SyscallChoice.file, .load, .auto] {
            let (r, root) = try runner(InspectingSyscalls(fileResults: [-Int(ENOEXEC)]))
            #expect { try withExtendedLifetime(root) { _ = try r.load(options(bad, choice)) } } throws: {
                "\($0)".hasPrefix("\(bad): gzip: ") && !"\($0)".contains("\n")
            }
        }
    }

    @Test func dryRunOfACompressedKernelPlansTheSameSegments() throws {
        let zst = files.dir + "/vmlinuz.zst"
        try Data(try Compressed.make(bzImage, .zstd)).write(to: URL(fileURLWithPath: zst))
        let plain = try CLIRun(["--dry-run", "-l", files.kernel, "--initrd=" + files.initrd, "--append=console=ttyS0"])
        #expect(plain.status == 0, "\(plain.stderr)")
        // boot_params holds a fresh RNG seed each run, so its digest differs; all else is equal.
        func stable(_ out: String, _ path: String) -> [String] {
            out.split(separator: "\n").map { $0.replacingOccurrences(of: path, with: "KERNEL") }.filter { !$0.contains("boot_params 0x") }
        }
        for path in [gz, zst] {
            let r = try CLIRun(["--dry-run", "-d", "-l", path, "--initrd=" + files.initrd, "--append=console=ttyS0"])
            #expect(r.status == 0, "\(r.stderr)")
            #expect(stable(r.stdout, path) == stable(plain.stdout, files.kernel))
            #expect(r.stdout.contains(" kernel ") && r.stdout.contains(" initrd "))
            let format = path.hasSuffix(".gz") ? "gzip" : "zstd"
            let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? -1
            #expect(r.stderr.contains("\(path): \(format)-compressed, \(size) → \(bzImage.count) bytes"), "\(r.stderr)")
        }
        let bad = files.dir + "/bad.gz"
        try Data([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 1, 2, 3]).write(to: URL(fileURLWithPath: bad))
        let r = try CLIRun(["--dry-run", "-l", bad])
        #expect(r.status == 1 && r.stderr.hasPrefix("kexec: \(bad): gzip: ") && r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
    }
}
