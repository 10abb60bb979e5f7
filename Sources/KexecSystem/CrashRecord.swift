import Glibc
import KexecCore

/// What the last successful `-p` loaded, kept under /run (gone at reboot, like the image it
/// describes). Linux frees the loaded capture kernel before it parses a new one (kexec_load and
/// kexec_file_load alike), so a crash reload the kernel refuses would leave the machine without
/// kdump; with this record the previous capture kernel is loaded again — but only from files
/// that are still the ones it was loaded from.
public struct CrashRecord: Equatable, Sendable {
    public static let defaultPath = "/run/kexec.crash"

    /// The options of that load, with the syscall that did it.
    public var options: LoadOptions
    /// Identity of every file it read (kernel, initrd, modules), by path.
    public var files: [String: FileIdentity]

    public init(options: LoadOptions, files: [String: FileIdentity]) {
        self.options = options
        self.files = files
    }

    /// The record for a load that just succeeded; nil when a file cannot be stat'ed.
    public static func of(_ o: LoadOptions, syscall: SyscallChoice) -> CrashRecord? {
        var options = o
        options.syscall = syscall
        options.debug = false
        var files: [String: FileIdentity] = [:]
        for path in o.filePaths {
            guard let id = FileIdentity(path: path) else { return nil }
            files[path] = id
        }
        return CrashRecord(options: options, files: files)
    }

    /// nil when every file is as it was at the load; else which one changed.
    public func changedFile() -> String? {
        for (path, id) in files.sorted(by: { $0.key < $1.key }) where FileIdentity(path: path) != id {
            return path
        }
        return nil
    }

    // MARK: storage: one "key hex(value)" line per field, so any byte survives

    public var encoded: String {
        let o = options
        var fields: [(String, String)] = [("format", "1"), ("syscall", o.syscall.rawValue), ("kernel", o.kernelPath)]
        if let v = o.initrdPath { fields.append(("initrd", v)) }
        if let v = o.append { fields.append(("append", v)) }
        if let v = o.type { fields.append(("type", v)) }
        fields += [("reuse-cmdline", o.reuseCommandLine ? "1" : "0"), ("no-checks", o.skipChecks ? "1" : "0"),
                   ("mem-min", String(o.memoryMin)), ("mem-max", String(o.memoryMax)),
                   ("elf-args", o.elfArguments.rawValue), ("efi", o.handOverEFI ? "1" : "0"),
                   ("serial-port", String(o.purgatorySerial.port)), ("serial-progress", o.purgatorySerial.progress ? "1" : "0")]
        fields += o.modules.map { ("module", $0) }
        fields += files.sorted(by: { $0.key < $1.key }).map { ("file", $0.key + "\0" + $0.value.encoded) }
        return fields.map { "\($0.0) \(Self.hex($0.1))\n" }.joined()
    }

    public static func decode(_ text: String) -> CrashRecord? {
        var values: [String: [String]] = [:]
        for line in text.split(separator: "\n") {
            let parts = line.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, let value = unhex(parts[1]) else { return nil }
            values[String(parts[0]), default: []].append(value)
        }
        func one(_ key: String) -> String? { values[key]?.last }
        guard one("format") == "1", let kernel = one("kernel"),
              let syscall = one("syscall").flatMap(SyscallChoice.init(rawValue:)),
              let memMin = one("mem-min").flatMap({ UInt64($0) }), let memMax = one("mem-max").flatMap({ UInt64($0) }),
              let elf = one("elf-args").flatMap(ElfArgumentStyle.init(rawValue:)),
              let port = one("serial-port").flatMap({ UInt16($0) }) else { return nil }
        var o = LoadOptions(kernelPath: kernel)
        o.syscall = syscall
        o.crash = true
        o.initrdPath = one("initrd")
        o.append = one("append")
        o.type = one("type")
        o.reuseCommandLine = one("reuse-cmdline") == "1"
        o.skipChecks = one("no-checks") == "1"
        o.memoryMin = memMin
        o.memoryMax = memMax
        o.elfArguments = elf
        o.handOverEFI = one("efi") != "0"
        o.purgatorySerial = PurgatorySerial(port: port, progress: one("serial-progress") == "1")
        o.modules = values["module"] ?? []
        var files: [String: FileIdentity] = [:]
        for entry in values["file"] ?? [] {
            let parts = entry.split(separator: "\0", maxSplits: 1, omittingEmptySubsequences: false)
            guard parts.count == 2, let id = FileIdentity(encoded: String(parts[1])) else { return nil }
            files[String(parts[0])] = id
        }
        return CrashRecord(options: o, files: files)
    }

    static func hex(_ s: String) -> String {
        s.utf8.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    static func unhex(_ s: Substring) -> String? {
        let digits = Array(s.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var i = 0
        while i < digits.count {
            guard let b = UInt8(String(decoding: digits[i..<i + 2], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(b)
            i += 2
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    // MARK: the file under /run

    public static func read(path: String) -> CrashRecord? {
        guard let bytes = SystemFiles().readBytes(path, limit: 1 << 16) else { return nil }
        return decode(String(decoding: bytes, as: UTF8.self))
    }

    /// Written to a temporary name and renamed, so a reader never sees half a record.
    public func write(path: String) -> Bool {
        let temporary = path + ".new"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { return false }
        let bytes = Array(encoded.utf8)
        let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard written == bytes.count, rename(temporary, path) == 0 else {
            unlink(temporary)
            return false
        }
        return true
    }

    public static func remove(path: String) { unlink(path) }
}

/// Which file a path named, and its contents' version as far as stat(2) tells: a package
/// upgrade or an editor replaces the inode, an in-place write moves mtime.
public struct FileIdentity: Equatable, Sendable {
    public var device: UInt64
    public var inode: UInt64
    public var size: Int64
    public var modifiedSeconds: Int64
    public var modifiedNanoseconds: Int64

    public init?(path: String) {
        var st = stat()
        let name = RawBytes.bytes(path).map { CChar(bitPattern: $0) } + [0]
        guard stat(name, &st) == 0 else { return nil }
        device = UInt64(st.st_dev)
        inode = UInt64(st.st_ino)
        size = Int64(st.st_size)
        modifiedSeconds = Int64(st.st_mtim.tv_sec)
        modifiedNanoseconds = Int64(st.st_mtim.tv_nsec)
    }

    var encoded: String { "\(device):\(inode):\(size):\(modifiedSeconds):\(modifiedNanoseconds)" }

    init?(encoded: String) {
        let p = encoded.split(separator: ":")
        guard p.count == 5, let dev = UInt64(p[0]), let ino = UInt64(p[1]), let size = Int64(p[2]),
              let s = Int64(p[3]), let ns = Int64(p[4]) else { return nil }
        (device, inode, self.size, modifiedSeconds, modifiedNanoseconds) = (dev, ino, size, s, ns)
    }
}
