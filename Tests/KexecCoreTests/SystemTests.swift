import Foundation
import Testing
@testable import KexecCore
@testable import KexecSystem

/// A throwaway /proc + /sys tree.
final class FakeRoot {
    let path: String
    init(_ files: [String: String]) throws {
        path = NSTemporaryDirectory() + "kexec-root-" + UUID().uuidString
        for (name, text) in files {
            let url = URL(fileURLWithPath: path + name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
    }
    deinit { try? FileManager.default.removeItem(atPath: path) }
    var files: SystemFiles { SystemFiles(root: path) }
}

@Suite("reading the running system")
struct HostProbeTests {
    @Test func firmwareMemmapIsPreferred() throws {
        let root = try FakeRoot([
            "/sys/firmware/memmap/0/start": "0x0\n", "/sys/firmware/memmap/0/end": "0x9fbff\n", "/sys/firmware/memmap/0/type": "System RAM\n",
            "/sys/firmware/memmap/1/start": "0x100000\n", "/sys/firmware/memmap/1/end": "0x5ffdffff\n", "/sys/firmware/memmap/1/type": "System RAM\n",
            "/sys/firmware/memmap/10/start": "0xfffc0000\n", "/sys/firmware/memmap/10/end": "0xffffffff\n", "/sys/firmware/memmap/10/type": "Reserved\n",
            "/proc/iomem": "00000000-00000fff : Reserved\n",
        ])
        let (map, source) = try HostProbe(files: root.files).memoryMap()
        #expect(source.hasSuffix("/sys/firmware/memmap"))
        #expect(map.entries.map(\.type) == [.ram, .ram, .reserved])
        #expect(map.entries[1].range == PhysicalRange(start: 0x100000, end: 0x5ffe0000))
        #expect(map.entries[2].range.last == 0xffffffff)
    }

    @Test func iomemIsTheFallback() throws {
        let root = try FakeRoot(["/proc/iomem": """
            00000000-00000fff : Reserved
            00001000-0009fbff : System RAM
            000a0000-000bffff : PCI Bus 0000:00
            00100000-5ffdffff : System RAM
              01000000-01e03ad6 : Kernel code
            5ffe0000-5fffffff : Reserved
            feb00000-febfffff : PCI Bus 0000:00
            """])
        let (map, _) = try HostProbe(files: root.files).memoryMap()
        #expect(map.ram == [PhysicalRange(start: 0x1000, end: 0x9fc00)!, PhysicalRange(start: 0x100000, end: 0x5ffe0000)!])
        #expect(map.entries.count == 4)   // PCI windows are not memory
    }

    @Test func unreadableIomemSaysWhy() throws {
        let root = try FakeRoot(["/proc/iomem": "00000000-00000000 : System RAM\n"])
        #expect { try HostProbe(files: root.files).memoryMap() } throws: {
            "\($0)".contains("needs root") || "\($0)".contains("System RAM")
        }
        let empty = try FakeRoot([:])
        #expect { try HostProbe(files: empty.files).memoryMap() } throws: { "\($0)".contains("mount sysfs") }
    }

    @Test func acpiRsdpComesFromTheEfiSystemTable() throws {
        let root = try FakeRoot(["/sys/firmware/efi/systab": "SMBIOS3=0x7f8e0000\nACPI20=0x7fb7e014\nACPI=0x7fb7e000\n"])
        #expect(HostProbe(files: root.files).acpiRSDP() == 0x7fb7_e014)
        #expect(HostProbe(files: try FakeRoot([:]).files).acpiRSDP() == nil)
    }

    @Test func reuseCmdlineReadsProc() throws {
        let root = try FakeRoot(["/proc/cmdline": "BOOT_IMAGE=/boot/vmlinuz root=UUID=1 ro quiet\n"])
        let running = try HostProbe(files: root.files).runningCommandLine()
        #expect(CommandLineComposer.compose(running: running, append: "x") == "root=UUID=1 ro quiet x")
    }
}

/// Records calls instead of entering the kernel.
final class FakeSyscalls: LinuxKexecSyscalls, @unchecked Sendable {
    var result = 0
    /// Answers for successive kexec_file_load calls (then `fileResult`).
    var fileResults: [Int] = []
    var fileResult = 0
    var loads: [(entry: UInt64, segments: [RawSegment], flags: UInt)] = []
    var fileLoads: [(kernelFD: Int32, initrdFD: Int32, commandLine: [UInt8], flags: UInt)] = []
    var reboots = 0
    init(result: Int = 0, fileResult: Int = 0) {
        self.result = result
        self.fileResult = fileResult
    }
    func kexecLoad(entry: UInt64, segments: [RawSegment], flags: UInt) -> Int {
        loads.append((entry, segments, flags))
        return result
    }
    func kexecFileLoad(kernelFD: Int32, initrdFD: Int32, commandLine: [UInt8], flags: UInt) -> Int {
        fileLoads.append((kernelFD, initrdFD, commandLine, flags))
        return fileResults.isEmpty ? fileResult : fileResults.removeFirst()
    }
    func rebootKexec() -> Int {
        reboots += 1
        return result
    }
}

@Suite("Linux back end (fake syscalls)")
struct LinuxBackendTests {
    func plan() throws -> LoadPlan {
        try BzImage64Loader().plan(Fixture.request(Fixture.bzImage(), initrd: [1, 2, 3]), host: Fixture.host())
    }

    @Test func loadPassesSortedSegmentsAndArch() throws {
        let fake = FakeSyscalls()
        let p = try plan()
        try LinuxBackend(syscalls: fake).load(p)
        let call = try #require(fake.loads.first)
        #expect(call.flags == 62 << 16)
        #expect(call.entry == p.entry)
        #expect(call.segments.map(\.memory) == call.segments.map(\.memory).sorted())
        #expect(call.segments.count == 4)
        #expect(call.segments.allSatisfy { UInt64($0.bufferSize) <= $0.memorySize && $0.memorySize % 4096 == 0 })
    }

    @Test func unloadSendsNoSegments() throws {
        let fake = FakeSyscalls()
        try LinuxBackend(syscalls: fake).unload(crash: false, syscall: .load)
        try LinuxBackend(syscalls: fake).unload(crash: true, syscall: .load)
        #expect(fake.loads.map(\.segments.count) == [0, 0])
        #expect(fake.loads.map(\.flags) == [62 << 16, 62 << 16 | 1])
    }

    @Test(arguments: [
        (Int(-EPERM), [String: String](), "run kexec as root", true),
        (Int(-EPERM), ["/proc/sys/kernel/kexec_load_disabled": "1\n"], "kexec_load_disabled is 1", false),
        (Int(-EPERM), ["/sys/kernel/security/lockdown": "none [integrity] confidentiality\n"], "lockdown=integrity", false),
        (Int(-ENOSYS), [:], "CONFIG_KEXEC", false),
        (Int(-EBUSY), [:], "in progress", false),
        (Int(-EINVAL), [:], "rejected the segment list", false),
        (Int(-ENOMEM), [:], "could not allocate", false),
    ])
    func errnoBecomesASentence(_ errno: Int, _ files: [String: String], _ phrase: String, _ onlyAsNonRoot: Bool) throws {
        if onlyAsNonRoot && geteuid() == 0 { return }
        let root = try FakeRoot(files)
        let backend = LinuxBackend(syscalls: FakeSyscalls(result: errno), files: root.files)
        #expect { try backend.load(try plan()) } throws: { error in
            let text = "\(error)"
            return text.hasPrefix("kexec_load failed: ") && text.contains(phrase) && !text.contains("\n")
        }
    }

    @Test func rootWithoutCapabilityIsExplained() throws {
        guard geteuid() == 0 else { return }
        let root = try FakeRoot([:])
        let backend = LinuxBackend(syscalls: FakeSyscalls(result: Int(-EPERM)), files: root.files)
        #expect { try backend.unload(crash: false, syscall: .load) } throws: { "\($0)".contains("CAP_SYS_BOOT") }
    }

    @Test func statusReadsSysfs() throws {
        let root = try FakeRoot(["/sys/kernel/kexec_loaded": "1\n", "/sys/kernel/kexec_crash_loaded": "0\n"])
        let backend = LinuxBackend(syscalls: FakeSyscalls(), files: root.files)
        #expect(try backend.isLoaded(crash: false))
        #expect(try !backend.isLoaded(crash: true))
    }

    @Test func executeRefusesWhenNothingIsLoaded() throws {
        let root = try FakeRoot(["/sys/kernel/kexec_loaded": "0\n"])
        let fake = FakeSyscalls()
        let runner = KexecRunner(backend: LinuxBackend(syscalls: fake, files: root.files))
        #expect { try runner.execute(sync: false, ifdown: false) } throws: { "\($0)".contains("nothing has been loaded") }
        #expect(fake.reboots == 0)
    }

    @Test func executeCallsReboot() throws {
        let root = try FakeRoot(["/sys/kernel/kexec_loaded": "1\n"])
        let fake = FakeSyscalls(result: Int(-EINVAL))
        let runner = KexecRunner(backend: LinuxBackend(syscalls: fake, files: root.files))
        #expect(throws: KexecError.self) { try runner.execute(sync: false, ifdown: false) }
        #expect(fake.reboots == 1)
    }
}
