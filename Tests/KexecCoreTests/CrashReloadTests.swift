import Foundation
import Testing
@testable import KexecCore
@testable import KexecSystem

/// Acts like Linux for crash loads: the loaded capture kernel is freed when a crash load
/// starts (before the image is parsed), and is there again only if the load succeeds.
final class FreeingKernel: LinuxKexecSyscalls, @unchecked Sendable {
    let status: String
    var results: [Int] = []
    var calls: [(file: Bool, commandLine: [UInt8])] = []

    init(root: FakeRoot) {
        status = root.path + "/sys/kernel/kexec_crash_loaded"
        set(false)
    }

    func set(_ loaded: Bool) { try? (loaded ? "1\n" : "0\n").write(toFile: status, atomically: false, encoding: .utf8) }
    var loaded: Bool { (try? String(contentsOfFile: status, encoding: .utf8)) == "1\n" }

    func answer(crash: Bool) -> Int {
        let r = results.isEmpty ? 0 : results.removeFirst()
        if crash { set(r == 0) }
        return r
    }

    func kexecLoad(entry: UInt64, segments: [RawSegment], flags: UInt) -> Int {
        calls.append((false, []))
        return answer(crash: flags & 1 != 0)
    }

    func kexecFileLoad(kernelFD: Int32, initrdFD: Int32, commandLine: [UInt8], flags: UInt) -> Int {
        calls.append((true, commandLine))
        return answer(crash: flags & 2 != 0)
    }

    func rebootKexec() -> Int { -Int(EINVAL) }
}

@Suite("failed crash reloads keep a capture kernel", .serialized)
struct CrashReloadTests {
    let files: ImageFiles
    let root: FakeRoot
    let kernel: FreeingKernel
    let runner: KexecRunner
    let record: String

    init() throws {
        files = try ImageFiles(prefix: "kexec-crash-reload-")
        root = try CrashHost.root()
        kernel = FreeingKernel(root: root)
        var r = KexecRunner(backend: LinuxBackend(syscalls: kernel, files: root.files), probe: HostProbe(files: root.files))
        record = files.dir + "/kexec.crash"
        r.crashRecordPath = record
        runner = r
    }

    func crash(_ path: String, _ syscall: SyscallChoice = .auto, append: String = "first") -> LoadOptions {
        var o = LoadOptions(kernelPath: path)
        o.initrdPath = files.initrd
        o.append = append
        o.crash = true
        o.syscall = syscall
        return o
    }

    func garbage() throws -> String {
        let path = files.dir + "/garbage"
        try Data(repeating: 0x5a, count: 4096).write(to: URL(fileURLWithPath: path))
        return path
    }

    func failure(_ body: () throws -> Void) -> String {
        do { try body(); return "no error" } catch { return "\(error)" }
    }

    @Test func aSuccessfulCrashLoadIsRecordedAndUnloadForgetsIt() throws {
        _ = try runner.load(crash(files.kernel))
        let saved = try #require(CrashRecord.read(path: record))
        #expect(saved.options.kernelPath == files.kernel && saved.options.append == "first" && saved.options.syscall == .file)
        #expect(saved.files.keys.sorted() == [files.kernel, files.initrd].sorted())
        try runner.unload(crash: true, syscall: .file)
        #expect(CrashRecord.read(path: record) == nil)
    }

    /// Our parser sees the file before the kernel on every path, so the kernel never frees the
    /// loaded capture kernel for a file that cannot load.
    @Test(arguments: [SyscallChoice.auto, .file, .load])
    func aBadFileIsRefusedBeforeAnySyscall(_ syscall: SyscallChoice) throws {
        _ = try runner.load(crash(files.kernel))
        let before = kernel.calls.count
        let bad = try garbage()
        #expect(failure { _ = try runner.load(crash(bad, syscall)) }.hasPrefix(bad + ": "))
        var missing = crash(files.kernel, syscall)
        missing.initrdPath = files.dir + "/no-such-initrd"
        #expect(failure { _ = try runner.load(missing) }.contains("no-such-initrd: cannot open the initrd"))
        #expect(kernel.calls.count == before)
        #expect(kernel.loaded)
    }

    @Test(arguments: [SyscallChoice.auto, .file, .load])
    func aRefusalAfterTheFreeLoadsThePreviousOneAgain(_ syscall: SyscallChoice) throws {
        _ = try runner.load(crash(files.kernel))
        kernel.results = [-Int(EINVAL), 0]
        let message = failure { _ = try runner.load(crash(files.kernel, syscall == .auto ? .file : syscall, append: "second")) }
        #expect(message.hasSuffix("; the previous capture kernel (\(files.kernel)) was loaded again"))
        #expect(kernel.loaded)
        // Loaded again the way it was loaded first: the file syscall, its own command line.
        let last = try #require(kernel.calls.last)
        #expect(last.file && String(decoding: last.commandLine.dropLast(), as: UTF8.self) == "first")
        #expect(CrashRecord.read(path: record)?.options.append == "first")
    }

    @Test func aChangedFileIsNotLoadedAgain() throws {
        _ = try runner.load(crash(files.kernel))
        try Data(Fixture.bzImage(bodySize: 4096)).write(to: URL(fileURLWithPath: files.kernel))
        kernel.results = [-Int(ENOMEM)]
        let message = failure { _ = try runner.load(crash(files.kernel, .load, append: "second")) }
        #expect(message.hasSuffix("and \(files.kernel) changed since it was loaded, so it was not loaded again: none is loaded now"))
        #expect(!kernel.loaded && CrashRecord.read(path: record) == nil)
    }

    @Test func withoutARecordTheLossIsSaid() throws {
        kernel.set(true)
        kernel.results = [-Int(ENOMEM)]
        let message = failure { _ = try runner.load(crash(files.kernel, .load)) }
        #expect(message.contains("the kernel had freed the loaded capture kernel before refusing, and nothing recorded it"))
    }

    @Test func aRefusalBeforeTheFreeChangesNothing() throws {
        _ = try runner.load(crash(files.kernel))
        let calls = kernel.calls.count
        let fake = FailingBeforeFree(status: kernel)
        var r = runner
        r.backend = LinuxBackend(syscalls: fake, files: root.files)
        #expect(!failure { _ = try r.load(crash(files.kernel, .load)) }.contains("loaded again"))
        #expect(kernel.loaded && kernel.calls.count == calls)
    }

    @Test func modulesNeedAMultibootKernelAndAReadableFile() throws {
        var o = crash(files.kernel)
        o.crash = false
        o.modules = [files.initrd + " args"]
        #expect(failure { _ = try runner.plan(o) }.hasPrefix("--module: \(files.kernel) is a bzImage64 kernel; modules are passed only to multiboot"))
        #expect(failure { _ = try KexecRunner.module("/nonexistent/mod args") }.hasPrefix("/nonexistent/mod: cannot open the module"))
    }

    @Test func theRecordKeepsEveryByte() throws {
        var o = LoadOptions(kernelPath: "/boot/vmlinuz with space\nand newline")
        o.append = "a=\"b c\" \u{1}é"
        o.modules = ["/m1 x y", "/m2"]
        o.type = "bzImage64"
        o.memoryMax = 0xffff_ffff
        o.crash = true
        o.syscall = .load
        o.purgatorySerial = PurgatorySerial(port: 0x2f8, progress: true)
        var id = try #require(FileIdentity(path: files.kernel))
        id.inode = .max
        let r = CrashRecord(options: o, files: [o.kernelPath: id])
        #expect(CrashRecord.decode(r.encoded) == r)
        #expect(CrashRecord.decode("format 32\n") == nil)
        #expect(CrashRecord.decode("kernel zz\n") == nil)
    }
}

/// A kernel that refuses the call before touching the loaded image (as for EBUSY).
final class FailingBeforeFree: LinuxKexecSyscalls, @unchecked Sendable {
    let status: FreeingKernel
    init(status: FreeingKernel) { self.status = status }
    func kexecLoad(entry: UInt64, segments: [RawSegment], flags: UInt) -> Int { -Int(EBUSY) }
    func kexecFileLoad(kernelFD: Int32, initrdFD: Int32, commandLine: [UInt8], flags: UInt) -> Int { -Int(EBUSY) }
    func rebootKexec() -> Int { -Int(EINVAL) }
}
