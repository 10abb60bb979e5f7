import Foundation
import Testing
@testable import KexecCore
@testable import KexecSystem

/// -s / -c / -a decisions and the kexec_file_load errno sentences, through fake syscalls.
@Suite("syscall choice (fake back end)", .serialized)
struct SyscallChoiceTests {
    let dir: String
    let kernel: String
    let initrd: String

    init() throws {
        let files = try ImageFiles(prefix: "kexec-choice-")
        (dir, kernel, initrd) = (files.dir, files.kernel, files.initrd)
    }

    /// A runner whose host facts come from a fixture tree.
    func runner(_ fake: FakeSyscalls, files extra: [String: String] = [:]) throws -> (KexecRunner, FakeRoot) {
        var files = ["/proc/iomem": "00100000-7ffdffff : System RAM\n", "/proc/cmdline": "BOOT_IMAGE=/k root=/dev/vda\n"]
        files.merge(extra) { $1 }
        let root = try FakeRoot(files)
        let backend = LinuxBackend(syscalls: fake, files: root.files)
        return (KexecRunner(backend: backend, probe: HostProbe(files: root.files)), root)
    }

    func options(_ choice: SyscallChoice, initrd: Bool = true) -> LoadOptions {
        var o = LoadOptions(kernelPath: kernel)
        o.initrdPath = initrd ? self.initrd : nil
        o.append = "quiet"
        o.syscall = choice
        return o
    }

    @Test(arguments: [ENOSYS, ENOEXEC, EINVAL, EOPNOTSUPP])
    func autoFallsBackWhenTheKernelCannotUseTheFileSyscall(_ e: Int32) throws {
        let fake = FakeSyscalls(fileResult: -Int(e))
        let (r, root) = try runner(fake)
        let outcome = try withExtendedLifetime(root) { try r.load(options(.auto)) }
        #expect(outcome.syscall == .load)
        #expect(outcome.plan != nil)
        #expect(fake.fileLoads.count == 1 && fake.loads.count == 1)
        #expect(outcome.notes.first?.contains("falling back to kexec_load") == true)
    }

    @Test(arguments: [EKEYREJECTED, ENOKEY, EBADMSG, EPERM, EACCES, ENOMEM])
    func autoStopsOnSignatureAndPolicyRefusals(_ e: Int32) throws {
        let fake = FakeSyscalls(fileResult: -Int(e))
        let (r, root) = try runner(fake)
        #expect(throws: KexecError.self) { try withExtendedLifetime(root) { _ = try r.load(options(.auto)) } }
        #expect(fake.loads.isEmpty)
    }

    @Test func fileOnlyNeverUsesKexecLoad() throws {
        let fake = FakeSyscalls(fileResult: -Int(ENOEXEC))
        let (r, root) = try runner(fake)
        #expect { try withExtendedLifetime(root) { _ = try r.load(options(.file)) } } throws: {
            "\($0)".hasPrefix("kexec_file_load failed: Exec format error: ") && "\($0)".contains("-c")
        }
        #expect(fake.loads.isEmpty)
    }

    /// Only our purgatory prints: -a goes straight to kexec_load, -s is refused before any call.
    @Test func consoleSerialNeedsKexecLoad() throws {
        let fake = FakeSyscalls()
        let (r, root) = try runner(fake)
        var o = options(.auto)
        o.purgatorySerial = PurgatorySerial(port: 0x2f8, progress: true)
        let outcome = try withExtendedLifetime(root) { try r.load(o) }
        #expect(outcome.syscall == .load && fake.fileLoads.isEmpty && fake.loads.count == 1)
        #expect(outcome.plan?.purgatoryConsole == 0x2f8)
        o.syscall = .file
        #expect { try withExtendedLifetime(root) { _ = try r.load(o) } } throws: {
            "\($0)".hasPrefix("--console-serial: kexec_file_load (-s) runs the kernel's own purgatory")
        }
        #expect(fake.fileLoads.isEmpty && fake.loads.count == 1)
    }

    @Test func loadOnlyNeverUsesTheFileSyscall() throws {
        let fake = FakeSyscalls()
        let (r, root) = try runner(fake)
        let outcome = try withExtendedLifetime(root) { try r.load(options(.load)) }
        #expect(outcome.syscall == .load && fake.fileLoads.isEmpty && fake.loads.count == 1)
    }

    @Test func fileLoadPassesFdsCommandLineAndFlags() throws {
        let fake = FakeSyscalls()
        let (r, root) = try runner(fake)
        var o = options(.file)
        o.reuseCommandLine = true
        let outcome = try withExtendedLifetime(root) { try r.load(o) }
        #expect(outcome.syscall == .file)
        let call = try #require(fake.fileLoads.first)
        #expect(call.kernelFD >= 0 && call.initrdFD >= 0)
        #expect(call.commandLine == Array("root=/dev/vda quiet".utf8) + [0])
        #expect(call.flags == 0)
        _ = try withExtendedLifetime(root) { try r.load(options(.file, initrd: false)) }
        #expect(fake.fileLoads[1].initrdFD == -1 && fake.fileLoads[1].flags == 0x4)   // KEXEC_FILE_NO_INITRAMFS
    }

    @Test func debugFlagIsDroppedWhenTheKernelDoesNotKnowIt() throws {
        let fake = FakeSyscalls()
        fake.fileResults = [-Int(EINVAL), 0]
        let (r, root) = try runner(fake)
        var o = options(.file)
        o.debug = true
        _ = try withExtendedLifetime(root) { try r.load(o) }
        #expect(fake.fileLoads.map(\.flags) == [0x8, 0x0])
    }

    /// --no-cma is KEXEC_FILE_NO_CMA (0x10); a kernel that rejects it (before 6.17) is asked
    /// again without it, then without KEXEC_FILE_DEBUG, newest flag first.
    @Test(arguments: [
        ([0], false, [0x10]),
        ([-Int(EINVAL), 0], false, [0x10, 0x0]),
        ([-Int(EINVAL), 0], true, [0x18, 0x8]),
        ([-Int(EINVAL), -Int(EINVAL), 0], true, [0x18, 0x8, 0x0]),
        ([-Int(EINVAL), -Int(EINVAL)], false, [0x10, 0x0]),   // EINVAL for another reason: reported
    ])
    func noCMAFlagFallsBack(results: [Int], debug: Bool, flags: [UInt]) throws {
        let fake = FakeSyscalls()
        fake.fileResults = results
        let (r, root) = try runner(fake)
        var o = options(.file)
        o.debug = debug
        o.noCMA = true
        let failed = results.last! < 0
        do {
            _ = try withExtendedLifetime(root) { try r.load(o) }
            #expect(!failed)
        } catch let error as KexecError {
            #expect(failed && error.errno == EINVAL)
        }
        #expect(fake.fileLoads.map(\.flags) == flags)
    }

    @Test func unloadPrefersTheFileSyscall() throws {
        let fake = FakeSyscalls()
        let backend = LinuxBackend(syscalls: fake)
        try backend.unload(crash: false, syscall: .auto)
        try backend.unload(crash: true, syscall: .file)
        #expect(fake.fileLoads.map(\.flags) == [0x1, 0x3])
        #expect(fake.fileLoads.allSatisfy { $0.kernelFD == -1 && $0.initrdFD == -1 })
        #expect(fake.loads.isEmpty)
        fake.fileResult = -Int(ENOSYS)
        try backend.unload(crash: false, syscall: .auto)
        #expect(fake.loads.count == 1 && fake.loads[0].segments.isEmpty)
    }

    @Test func lockdownSentences() throws {
        let lockdown = ["/sys/kernel/security/lockdown": "none [integrity] confidentiality\n"]
        let (r1, root1) = try runner(FakeSyscalls(fileResult: -Int(EKEYREJECTED)), files: lockdown)
        #expect { try withExtendedLifetime(root1) { _ = try r1.load(options(.auto)) } } throws: {
            let t = "\($0)"
            // kexec_load was never tried, so the sentence does not mention it
            return t.hasPrefix("kexec_file_load failed: Key was rejected by service: \(kernel) not a PE image, so it carries no Authenticode signature, and under lockdown=integrity the kernel only loads images signed by a key in its builtin, secondary, platform (UEFI db) or machine (MOK) keyring")
                && !t.contains("kexec_load ")
        }
        let (r2, root2) = try runner(FakeSyscalls(result: -Int(EPERM)), files: lockdown)
        #expect { try withExtendedLifetime(root2) { _ = try r2.load(options(.load)) } } throws: {
            "\($0)".contains("lockdown=integrity, which refuses kexec_load; use -s")
        }
    }

    @Test(arguments: [
        (KexecEnvironment(), SyscallChoice.auto, "kexec_file_load first"),
        (KexecEnvironment(lockdown: "integrity"), .auto, "lockdown=integrity refuses kexec_load"),
        (KexecEnvironment(configKexecFile: false), .auto, "without CONFIG_KEXEC_FILE"),
        (KexecEnvironment(), .load, "kexec_load (-c)"),
        (KexecEnvironment(), .file, "kexec_file_load (-s)"),
        (KexecEnvironment(xen: true), .auto, "Xen"),
    ])
    func dryRunPrediction(_ env: KexecEnvironment, _ choice: SyscallChoice, _ phrase: String) {
        #expect(SyscallPolicy.prediction(choice, env).contains(phrase))
    }

    @Test func environmentFromFixtureTree() throws {
        var sb: [UInt8] = [7, 0, 0, 0, 1]
        let root = try FakeRoot([
            "/sys/kernel/security/lockdown": "[none] integrity confidentiality\n",
            "/proc/sys/kernel/kexec_load_disabled": "0\n",
            "/proc/self/status": "Name:\tkexec\nCapEff:\t000001ffffffffff\n",
            "/sys/kernel/kexec_crash_size": "268435456\n",
        ])
        let dir = root.path + "/sys/firmware/efi/efivars"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data(bytes: &sb, count: 5).write(to: URL(fileURLWithPath: dir + "/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"))
        let env = KexecEnvironment.read(root.files)
        #expect(env.lockdown == "none" && !env.lockedDown)
        #expect(env.secureBoot == true)
        #expect(env.kexecLoadDisabled == false)
        #expect(env.capSysBoot == true)
        #expect(env.crashReservationBytes == 256 << 20)
        #expect(!env.xen)
        #expect(KexecEnvironment.capSysBoot(fromStatus: "CapEff:\t0000000000000000\n") == false)
    }

    @Test func statusJSONNamesEveryFact() throws {
        let (r, root) = try runner(FakeSyscalls(), files: [
            "/sys/kernel/kexec_loaded": "1\n", "/sys/kernel/kexec_crash_loaded": "0\n",
            "/sys/kernel/security/lockdown": "none [integrity] confidentiality\n",
        ])
        let text = withExtendedLifetime(root) { r.statusJSON().rendered() }
        #expect(text.hasPrefix("{\"schema_version\":1,\"default_loaded\":true,\"crash_loaded\":false,\"crash_hotplug\":null,"))
        #expect(text.contains("\"lockdown\":\"integrity\""))
        // no config and no symbols in this tree: kexec_load's state is unknown, never "available"
        #expect(text.contains("\"kernel_config\":null,\"syscalls\":{\"kexec_load\":\"locked_down\",\"kexec_file_load\":\"signature_required\"}"))
        #expect(text.hasSuffix("\"platform\":\"native\"}"))
        #expect(text.contains("\"crash_reservation_bytes\":null,\"crash_cma_bytes\":null,"))
    }

    @Test(arguments: [("42000000-49ffffff\n1c0000000-1c7ffffff\n", "268435456"), ("", "0"), ("bad\n", "null")])
    func statusJSONCountsCMACrashMemory(_ ranges: String, _ bytes: String) throws {
        let (r, root) = try runner(FakeSyscalls(), files: ["/sys/kernel/kexec/crash_cma_ranges": ranges])
        let text = withExtendedLifetime(root) { r.statusJSON().rendered() }
        #expect(text.contains("\"crash_cma_bytes\":\(bytes),"))
    }

    @Test(arguments: [
        // (kallsyms or config, load, file)
        (["/proc/kallsyms": "0000000000000000 T __x64_sys_kexec_load\n0000000000000000 W __x64_sys_kexec_file_load\n"], "available", "not_built"),
        (["/proc/kallsyms": "0000000000000000 W __x64_sys_kexec_load\n0000000000000000 T __x64_sys_kexec_file_load\n"], "not_built", "available"),
        (["/proc/kallsyms": "0000000000000000 T _text\n"], "unknown", "unknown"),
        ([:], "unknown", "unknown"),
        (["/proc/kallsyms": "0000000000000000 T __x64_sys_kexec_load\n0000000000000000 T __x64_sys_kexec_file_load\n",
          "/proc/sys/kernel/kexec_load_disabled": "1\n"], "disabled", "disabled"),
    ] as [([String: String], String, String)])
    func statusSaysWhichSyscallsExist(_ files: [String: String], _ load: String, _ file: String) throws {
        let (r, root) = try runner(FakeSyscalls(), files: files)
        let text = withExtendedLifetime(root) { r.statusJSON().rendered() }
        #expect(text.contains("\"syscalls\":{\"kexec_load\":\"\(load)\",\"kexec_file_load\":\"\(file)\"}"), "\(text)")
    }

    @Test(arguments: [
        (KexecEnvironment(configKexec: true, configKexecFile: true), SyscallState.available, SyscallState.available),
        (KexecEnvironment(lockdown: "confidentiality", configKexec: true, configKexecFile: true), .lockedDown, .signatureRequired),
        (KexecEnvironment(configKexec: false, configKexecFile: nil), .notBuilt, .unknown),
    ] as [(KexecEnvironment, SyscallState, SyscallState)])
    func syscallStates(_ env: KexecEnvironment, _ load: SyscallState, _ file: SyscallState) {
        #expect(SyscallState.load(env) == load && SyscallState.file(env) == file)
    }

    @Test func sigForceMeansSignedImagesOnly() {
        var env = KexecEnvironment(configKexec: true, configKexecFile: true)
        env.configKexecSigForce = true
        #expect(SyscallState.file(env) == .signatureRequired && SyscallState.load(env) == .available)
    }

    @Test func configGzIsReadWhenBootHasNone() throws {
        // CONFIG_IKCONFIG_PROC kernels: /proc/config.gz, gzip'ed text
        let dir = NSTemporaryDirectory() + "kexec-cfg-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir + "/proc", withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let plain = dir + "/config"
        try "# comment\nCONFIG_KEXEC=y\n# CONFIG_KEXEC_FILE is not set\nCONFIG_KEXEC_SIG_FORCE=y\n".write(toFile: plain, atomically: true, encoding: .utf8)
        let gz = Process()
        gz.executableURL = URL(fileURLWithPath: "/bin/sh")
        gz.arguments = ["-c", "gzip -c \(plain) > \(dir)/proc/config.gz"]
        try gz.run()
        gz.waitUntilExit()
        let env = KexecEnvironment.read(SystemFiles(root: dir))
        #expect(env.configSource == dir + "/proc/config.gz")
        #expect(env.configKexec == true && env.configKexecFile == false && env.configKexecSigForce == true)
    }
}

@Suite("JSON")
struct JSONTests {
    @Test func escapesAndOrders() {
        let j = JSON.object([("b", .string("a\"b\\c\n\u{1}")), ("a", .array([.uint(1), .int(-2), .bool(false), .null]))])
        #expect(j.rendered() == #"{"b":"a\"b\\c\n\u0001","a":[1,-2,false,null]}"#)
    }
}
