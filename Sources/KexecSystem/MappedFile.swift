import CKexecShim
import Glibc
import KexecCore
import SystemPackage

/// Maps a whole file read-only so segments can point into the page cache without a copy.
public enum MappedFile {
    /// `populate: false` faults pages in only when read (for a look at the headers).
    public static func open(_ path: String, role: String, populate: Bool = true) throws(KexecError) -> ByteStorage {
        let (fd, st) = try openRegular(path, role: role)
        defer { try? fd.close() }
        let size = Int(st.st_size)
        if size == 0 { return ByteStorage([]) }
        // MAP_POPULATE: one batched fault-in instead of a page fault per 4 KiB (costly in VMs).
        guard let base = mmap(nil, size, PROT_READ, MAP_PRIVATE | (populate ? MAP_POPULATE : 0), fd.rawValue, 0), base != MAP_FAILED else {
            throw KexecError(file: path, "cannot map the \(role): \(String(cString: strerror(errno)))")
        }
        _ = ckexec_watch_mapping(base, size, path)
        if let victim = testShrinkAfterMap, victim == path { _ = truncate(path, off_t(size / 2)) }
        return ByteStorage(raw: UnsafeRawBufferPointer(start: base, count: size)) { raw in
            ckexec_unwatch_mapping(raw.baseAddress)
            _ = munmap(UnsafeMutableRawPointer(mutating: raw.baseAddress), raw.count)
        }
    }

    /// Test hook (the CLI tests and the file-shrinks VM scenario): right after mapping this
    /// path, cut the file to half its size, as a concurrent writer would.
    static let testShrinkAfterMap: String? = getenv("SWIFT_KEXEC_TEST_SHRINK_AFTER_MAP").map { String(cString: $0) }

    /// Opens without blocking (a FIFO would wait for a writer in open(2)) and accepts only a
    /// regular file: a FIFO, device or directory is refused in one line before any read.
    public static func openRegular(_ path: String, role: String) throws(KexecError) -> (FileDescriptor, stat) {
        let fd: FileDescriptor
        do {
            fd = try FileDescriptor.open(FilePath(rawBytes: path), .readOnly, options: [.closeOnExec, .nonBlocking])
        } catch {
            throw KexecError(file: path, "cannot open the \(role): \(describe(error))")
        }
        var st = stat()
        guard fstat(fd.rawValue, &st) == 0 else {
            let e = errno
            try? fd.close()
            throw KexecError(file: path, "cannot stat the \(role): \(String(cString: strerror(e)))")
        }
        guard (st.st_mode & S_IFMT) == S_IFREG else {
            try? fd.close()
            throw KexecError(file: path, "the \(role) is \(kind(st.st_mode)); expected a regular file")
        }
        return (fd, st)
    }

    static func kind(_ mode: mode_t) -> String {
        switch mode & S_IFMT {
        case S_IFIFO: return "a FIFO"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFDIR: return "a directory"
        case S_IFSOCK: return "a socket"
        default: return "not a regular file"
        }
    }

    static func describe(_ error: any Error) -> String {
        if let e = error as? Errno { return String(describing: e) }
        return "\(error)"
    }
}

extension FilePath {
    /// The path's own bytes (RawBytes), not the UTF-8 of its escapes.
    init(rawBytes path: String) {
        let bytes = RawBytes.bytes(path).map { CChar(bitPattern: $0) } + [0]
        self = bytes.withUnsafeBufferPointer { FilePath(platformString: $0.baseAddress!) }
    }
}

/// Small text files from /proc and /sys.
public struct SystemFiles: Sendable {
    /// Prefix for every path; tests point it at a fixture tree.
    public var root: String

    public init(root: String = "") { self.root = root }

    public func path(_ p: String) -> String { root + p }

    public func readBytes(_ p: String, limit: Int = 1 << 20) -> [UInt8]? {
        guard let fd = try? FileDescriptor.open(FilePath(path(p)), .readOnly, options: [.closeOnExec]) else { return nil }
        defer { try? fd.close() }
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while out.count < limit {
            let n = (try? chunk.withUnsafeMutableBytes { try fd.read(into: $0) }) ?? -1
            if n < 0 { return nil }
            if n == 0 { break }
            out.append(contentsOf: chunk[0..<n])
        }
        return out
    }

    /// `count` bytes at `offset` (e.g. of /dev/mem), or nil when any is unreadable.
    public func readBytes(_ p: String, offset: UInt64, count: Int) -> [UInt8]? {
        guard let fd = try? FileDescriptor.open(FilePath(path(p)), .readOnly, options: [.closeOnExec]) else { return nil }
        defer { try? fd.close() }
        var out = [UInt8](repeating: 0, count: count)
        let n = try? out.withUnsafeMutableBytes { try fd.read(fromAbsoluteOffset: Int64(offset), into: $0) }
        return n == count ? out : nil
    }

    public func readText(_ p: String) -> String? {
        readBytes(p).map { String(decoding: $0, as: UTF8.self) }
    }

    public func exists(_ p: String) -> Bool { access(path(p), F_OK) == 0 }

    public func list(_ p: String) -> [String] {
        guard let dir = opendir(path(p)) else { return [] }
        defer { closedir(dir) }
        var names: [String] = []
        while let entry = readdir(dir) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }
}
