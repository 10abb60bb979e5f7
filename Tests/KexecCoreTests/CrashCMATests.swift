import Testing
@testable import KexecCore
@testable import KexecSystem

/// CMA crash memory (`crashkernel=SIZE,cma`, Linux 6.16+) on the kexec_load path: as the
/// kernel's own file loader does, the ranges are RAM for the capture kernel and are not dumped.
@Suite("crash CMA")
struct CrashCMATests {
    let reservation = PhysicalRange(start: 0x4000_0000, size: 256 << 20)!
    let cma = [PhysicalRange(start: 0x6000_0000, size: 128 << 20)!]

    @Test(arguments: [
        // sysfs text → ranges (the kernel prints "%08llx-%08llx\n", inclusive ends)
        ("60000000-67ffffff\n", [(0x6000_0000, 0x6800_0000)]),
        ("1c0000000-1c7ffffff\n60000000-67ffffff\n", [(0x6000_0000, 0x6800_0000), (0x1_c000_0000, 0x1_c800_0000)]),
        ("", []),
        ("\n", []),
    ] as [(String, [(UInt64, UInt64)])])
    func probeReadsTheRanges(_ text: String, _ expected: [(UInt64, UInt64)]) throws {
        let root = try FakeRoot(["/sys/kernel/kexec/crash_cma_ranges": text])
        let ranges = try CrashProbe(files: root.files).cmaRanges()
        #expect(ranges == expected.map { PhysicalRange(start: $0.0, end: $0.1)! })
    }

    @Test func noFileMeansNoCMA() throws {
        // Kernels before 6.19 have no such file; the old /sys/kernel/ never had one.
        let root = try FakeRoot(["/sys/kernel/kexec_crash_cma_ranges": "60000000-67ffffff\n"])
        #expect(try CrashProbe(files: root.files).cmaRanges().isEmpty)
    }

    @Test(arguments: ["60000000\n", "67ffffff-60000000\n", "x-y\n", "60000000-ffffffffffffffff\n"])
    func malformedRangesAreRefused(_ text: String) throws {
        let root = try FakeRoot(["/sys/kernel/kexec/crash_cma_ranges": text])
        #expect { _ = try CrashProbe(files: root.files).cmaRanges() } throws: {
            "\($0)".contains("crash_cma_ranges: line \"") && "\($0)".contains("expected \"start-end\" in hexadecimal")
        }
    }

    @Test func theDumpLeavesCMAOut() throws {
        let root = try CrashHost.root(edit: { $0["/sys/kernel/kexec/crash_cma_ranges"] = "1c0000000-1c7ffffff\n" })
        let p = CrashProbe(files: root.files)
        let reservations = try p.crashReservations()
        let layout = try p.layout(reservations: reservations, cma: try p.cmaRanges())
        #expect(layout.memory.contains(PhysicalRange(start: 0x1_0000_0000, end: 0x1_c000_0000)!))
        #expect(layout.memory.contains(PhysicalRange(start: 0x1_c800_0000, end: 0x2_3f00_0000)!))
        #expect(!layout.memory.contains { $0.overlaps(PhysicalRange(start: 0x1_c000_0000, size: 128 << 20)!) })
    }

    func plan(cma: [PhysicalRange]) throws -> LoadPlan {
        let res = [reservation]
        let layout = CrashDumpLayout(
            cpuNotes: [PhysicalRange(start: 0x7f00_0000, size: 0x400)!],
            vmcoreinfoNotes: [PhysicalRange(start: 0x7e00_0000, size: 0x1000)!],
            kernelText: .init(physicalStart: 0x100_0000, virtualStart: 0xffff_ffff_8100_0000, size: 0x200_0000),
            memory: Fixture.memoryMap().ram.flatMap { r in (res + cma).reduce([r]) { acc, x in acc.flatMap { $0.subtracting(x) } } },
            pageOffset: 0xffff_8880_0000_0000)
        var req = Fixture.request(Fixture.bzImage(bodySize: 64 * 1024), commandLine: "nr_cpus=1")
        req.crash = CrashInputs(reservations: res, layout: layout, cmaRanges: cma)
        return try BzImage64Loader().plan(req, host: Fixture.host())
    }

    /// The e820 in the capture kernel's boot_params: (range, type) pairs.
    func captureE820(_ p: LoadPlan) throws -> [(PhysicalRange, UInt32)] {
        let bp = Array(try #require(p.segments.first { $0.role == .bootParams }?.data).raw)
        return (0..<Int(bp[0x1e8])).map { 0x2d0 + $0 * 20 }
            .map { (PhysicalRange(start: bp.u64($0), size: bp.u64($0 + 8))!, bp.u32($0 + 16)) }
    }

    @Test func theCaptureKernelGetsCMAAsRAM() throws {
        let with = try plan(cma: cma)
        let ram = try captureE820(with).filter { $0.1 == 1 }.map(\.0)
        #expect(ram.contains(cma[0]))
        // Nothing of the load goes there: the first kernel's pages may be in use until the crash.
        #expect(with.segments.allSatisfy { !$0.memory.overlaps(cma[0]) })
        #expect(with.notes.contains("crash CMA: [0x60000000-0x67ffffff] (128 MiB) is RAM for the capture kernel and left out of the dump"))
        // The ELF core header does not describe it.
        let header = Array(try #require(with.segments.first { $0.role == .elfCoreHeader }?.data).raw)
        let loads = (0..<Int(header.u16(56))).map { 64 + $0 * 56 }.filter { header.u32($0) == 1 }
            .map { PhysicalRange(start: header.u64($0 + 24), size: header.u64($0 + 40))! }
        #expect(!loads.isEmpty && !loads.contains { $0.overlaps(cma[0]) })

        let without = try plan(cma: [])
        #expect(!(try captureE820(without)).contains { $0.0.overlaps(cma[0]) })
        #expect(!without.notes.contains { $0.hasPrefix("crash CMA") })
    }
}
