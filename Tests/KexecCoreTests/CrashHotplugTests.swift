import Testing
@testable import KexecCore
@testable import KexecSystem

/// Crash hotplug on the kexec_load path (Linux 6.6+): the core header segment is sized for the
/// kernel's rewrites, left out of purgatory's digests, and loaded with KEXEC_UPDATE_ELFCOREHDR.
@Suite("crash hotplug")
struct CrashHotplugTests {
    let reservation = PhysicalRange(start: 0x4000_0000, size: 256 << 20)!

    func plan(hotplug: UInt64?, elf: Bool = false) throws -> LoadPlan {
        let res = [reservation]
        let layout = CrashDumpLayout(
            cpuNotes: [PhysicalRange(start: 0x7f00_0000, size: 0x400)!],
            vmcoreinfoNotes: [PhysicalRange(start: 0x7e00_0000, size: 0x1000)!],
            kernelText: .init(physicalStart: 0x100_0000, virtualStart: 0xffff_ffff_8100_0000, size: 0x200_0000),
            memory: Fixture.memoryMap().ram.flatMap { r in res.reduce([r]) { acc, x in acc.flatMap { $0.subtracting(x) } } },
            pageOffset: 0xffff_8880_0000_0000)
        var req = Fixture.request(Fixture.bzImage(bodySize: 64 * 1024), commandLine: "nr_cpus=1")
        req.crash = CrashInputs(reservations: res, layout: layout, hotplugHeaderBytes: hotplug)
        return try BzImage64Loader().plan(req, host: Fixture.host())
    }

    @Test(arguments: [
        // (program headers, crash_elfcorehdr_size, segment bytes)
        (5, nil, 4096),                  // 64 + 5 × 56 = 344 → 1 KiB → one page
        (5, 917_616, 921_600),           // Debian 6.12 and 7.2: (2 + 8192 + 8192) × 56 = 917,616, + 64 → 225 pages
        (200, 1_000, 12_288),            // ours is larger: 64 + 200 × 56 = 11,264 → 3 pages
        (5, 4_032, 4_096),               // exactly one page with the ELF header
        (5, 4_033, 8_192),
    ] as [(Int, UInt64?, UInt64)])
    func segmentSize(_ headers: Int, _ hotplug: UInt64?, _ expected: UInt64) {
        let layout = CrashDumpLayout(cpuNotes: [], vmcoreinfoNotes: [], kernelText: nil,
                                     memory: (0..<headers).map { PhysicalRange(start: UInt64($0) << 32, size: 4096)! },
                                     pageOffset: 0)
        #expect(CoreHeaderBuilder.segmentSize(for: layout, hotplugHeaderBytes: hotplug) == expected)
    }

    @Test func headerIsSizedForTheKernelAndNotDigested() throws {
        let p = try plan(hotplug: 917_616)
        #expect(p.crashHotplug)
        let header = try #require(p.segments.first { $0.role == .elfCoreHeader })
        #expect(header.memory.size == 921_600)
        #expect(header.digest == nil && header.dataSize == 1024)
        #expect(reservation.contains(header.memory))
        // Every other data segment is still checked by purgatory.
        #expect(p.segments.filter { $0.role != .elfCoreHeader && $0.role != .purgatory && $0.dataSize > 0 }.allSatisfy { $0.digest != nil })
        #expect(p.notes.contains { $0.hasPrefix("crash hotplug: the kernel may rewrite the ELF core header") })
        // The capture kernel must not use the room the kernel may write into.
        let bp = Array(try #require(p.segments.first { $0.role == .bootParams }?.data).raw)
        let ram = (0..<Int(bp[0x1e8])).map { 0x2d0 + $0 * 20 }.filter { bp.u32($0 + 16) == 1 }
            .map { PhysicalRange(start: bp.u64($0), size: bp.u64($0 + 8))! }
        #expect(!ram.contains { $0.overlaps(header.memory) })
    }

    @Test func withoutHotplugTheHeaderIsDigested() throws {
        let p = try plan(hotplug: nil)
        #expect(!p.crashHotplug)
        let header = try #require(p.segments.first { $0.role == .elfCoreHeader })
        #expect(header.digest != nil && header.memory.size == 4096)
        #expect(!p.notes.contains { $0.hasPrefix("crash hotplug") })
    }

    @Test(arguments: [(UInt64?.some(917_616), UInt(62 << 16 | 1 | 4)), (nil, UInt(62 << 16 | 1))])
    func backendAsksTheKernelToUpdateTheHeader(_ hotplug: UInt64?, _ flags: UInt) throws {
        let fake = FakeSyscalls()
        try LinuxBackend(syscalls: fake).load(try plan(hotplug: hotplug))
        #expect(fake.loads.map(\.flags) == [flags])
    }

    @Test(arguments: [
        // the new directory first, the old names where it is missing, 0 or garbage = none
        (["/sys/kernel/kexec/crash_elfcorehdr_size": "917616\n", "/sys/kernel/crash_elfcorehdr_size": "1\n"], UInt64?.some(917_616)),
        (["/sys/kernel/crash_elfcorehdr_size": "917616\n"], 917_616),
        (["/sys/kernel/crash_elfcorehdr_size": "0\n"], nil),
        (["/sys/kernel/crash_elfcorehdr_size": "x\n"], nil),
        ([:], nil),
    ] as [([String: String], UInt64?)])
    func probeReadsTheKernelsSize(_ files: [String: String], _ expected: UInt64?) throws {
        let root = try FakeRoot(files)
        #expect(CrashProbe(files: root.files).hotplugHeaderBytes() == expected)
    }

    @Test(arguments: [
        (["/sys/kernel/kexec/loaded": "1\n", "/sys/kernel/kexec_loaded": "0\n"], false, true),
        (["/sys/kernel/kexec_loaded": "1\n"], false, true),
        (["/sys/kernel/kexec/crash_loaded": "0\n", "/sys/kernel/kexec_crash_loaded": "1\n"], true, false),
        (["/sys/kernel/kexec_crash_loaded": "1\n"], true, true),
    ] as [([String: String], Bool, Bool)])
    func statusReadsTheNewDirectoryFirst(_ files: [String: String], _ crash: Bool, _ loaded: Bool) throws {
        let root = try FakeRoot(files)
        #expect(try LinuxBackend(syscalls: FakeSyscalls(), files: root.files).isLoaded(crash: crash) == loaded)
    }

    @Test func missingStatusNamesTheNewPathWhereItsDirectoryExists() throws {
        let root = try FakeRoot(["/sys/kernel/kexec/crash_size": "0\n"])
        #expect { try LinuxBackend(syscalls: FakeSyscalls(), files: root.files).isLoaded(crash: false) } throws: {
            "\($0)".hasPrefix(root.files.path("/sys/kernel/kexec/loaded") + ": cannot read the kexec status")
        }
        #expect(KexecEnvironment.read(root.files).crashReservationBytes == 0)
    }

    @Test(arguments: [
        (["-p", "K"], true), (["--hotplug", "-p", "K"], true), (["--no-hotplug", "-p", "K"], false),
        (["--no-hotplug", "--hotplug", "-p", "K"], true), (["--hotplug", "--no-hotplug", "-p", "K"], false),
    ] as [([String], Bool)])
    func hotplugOptions(_ line: [String], _ on: Bool) throws {
        #expect(try Invocation.parse(line).crashHotplug == on)
    }
}
