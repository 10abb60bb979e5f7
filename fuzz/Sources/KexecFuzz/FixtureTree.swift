import Glibc
import KexecSystem

/// A scratch directory that stands in for / so the probes read fuzz input through SystemFiles
/// exactly as they read /proc and /sys: the parsers are fuzzed unchanged, readers and all.
/// It is made in KEXEC_FUZZ_SCRATCH (run.sh and bench.sh remove that afterwards, as a crash
/// or an interrupted run ends the process without exit handlers), else on tmpfs.
final class FixtureTree {
    let root: String
    var files: SystemFiles { SystemFiles(root: root) }
    /// What the tree holds now, by path below the root.
    private var contents: [String: [UInt8]] = [:]
    private var folders: Set<String> = []

    init() {
        let parent = getenv("KEXEC_FUZZ_SCRATCH").map { String(cString: $0) }
            ?? (access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp")
        var template = Array("\(parent)/kexec-fuzz-XXXXXX".utf8CString)
        guard let dir = mkdtemp(&template) else { fatalError("mkdtemp in \(parent) failed") }
        root = String(cString: dir)
    }

    /// Makes the tree hold exactly `files` (path below the root → bytes). Only what differs
    /// from the previous input is touched: mutations change little, and the file system
    /// calls would otherwise cost more than the parsing they feed.
    func hold(_ files: [String: [UInt8]]) {
        var wanted: Set<String> = []
        for path in files.keys {
            var dir = Substring(path)
            while let slash = dir.lastIndex(of: "/"), slash != dir.startIndex {
                dir = dir[..<slash]
                if !wanted.insert(String(dir)).inserted { break }
            }
        }
        for path in contents.keys where files[path] == nil { unlink(root + path) }
        // Longest first: a folder goes after what is inside it.
        for dir in folders.subtracting(wanted).sorted(by: { $0.count > $1.count }) { rmdir(root + dir) }
        for dir in wanted.subtracting(folders).sorted(by: { $0.count < $1.count }) {
            guard mkdir(root + dir, 0o755) == 0 else { fatalError("mkdir \(root + dir) failed") }
        }
        for (path, bytes) in files where contents[path] != bytes { write(path, bytes) }
        contents = files
        folders = wanted
    }

    private func write(_ path: String, _ bytes: [UInt8]) {
        let fd = open(root + path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { fatalError("open \(root + path) failed") }
        let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
        close(fd)
        guard n == bytes.count else { fatalError("short write to \(root + path)") }
    }
}

/// libFuzzer calls the target from one thread only. The tree goes when the process exits.
nonisolated(unsafe) let fixture: FixtureTree = {
    let tree = FixtureTree()
    atexit {
        fixture.hold([:])
        rmdir(fixture.root)
    }
    return tree
}()

/// The files of one input, collected before the tree is made to hold them.
struct FixtureFiles {
    var files: [String: [UInt8]] = [:]
    mutating func add(_ path: String, _ bytes: some Collection<UInt8>) { files[path] = Array(bytes) }
    mutating func add(_ path: String, text: some StringProtocol) { files[path] = Array(text.utf8) }
}
