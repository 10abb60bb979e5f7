import Testing
@testable import KexecCore

@Suite("kdump load plan")
struct CrashPlanTests {
    let kernel = Fixture.bzImage(bodySize: 64 * 1024)
    let reservation = PhysicalRange(start: 0x4000_0000, size: 256 << 20)!

    func crash(_ reservations: [PhysicalRange]? = nil) -> CrashInputs {
        let res = reservations ?? [reservation]
        let layout = CrashDumpLayout(
            cpuNotes: [PhysicalRange(start: 0x7f00_0000, size: 0x400)!, PhysicalRange(start: 0x7f00_1000, size: 0x400)!],
            vmcoreinfoNotes: [PhysicalRange(start: 0x7e00_0000, size: 0x1000)!],
            kernelText: .init(physicalStart: 0x100_0000, virtualStart: 0xffff_ffff_8100_0000, size: 0x200_0000),
            memory: Fixture.memoryMap().ram.flatMap { r in res.reduce([r]) { acc, x in acc.flatMap { $0.subtracting(x) } } },
            pageOffset: 0xffff_8880_0000_0000)
        return CrashInputs(reservations: res, layout: layout)
    }

    func plan(initrd: [UInt8]? = nil, reservations: [PhysicalRange]? = nil) throws -> LoadPlan {
        var req = Fixture.request(kernel, initrd: initrd, commandLine: "console=ttyS0 nr_cpus=1")
        req.crash = crash(reservations)
        return try BzImage64Loader().plan(req, host: Fixture.host())
    }

    @Test func everythingLandsInsideTheReservation() throws {
        let p = try plan(initrd: [UInt8](repeating: 1, count: 5 << 20))
        #expect(p.crash)
        #expect(Set(p.segments.map(\.role)) == [.kernel, .initrd, .bootParams, .purgatory, .elfCoreHeader, .backup])
        for s in p.segments { #expect(reservation.contains(s.memory), "\(s.role) \(s.memory)") }
        try SegmentRules.check(p.segments, memoryMap: Fixture.memoryMap())
    }

    @Test func commandLineNamesTheCoreHeader() throws {
        let p = try plan()
        let header = try #require(p.segments.first { $0.role == .elfCoreHeader })
        #expect(p.commandLine == "console=ttyS0 nr_cpus=1 elfcorehdr=\(header.memory.start >> 10)K")
        let bytes = Array(try #require(header.data).raw)
        #expect(bytes[0..<4] == [0x7f, 0x45, 0x4c, 0x46] && bytes.u16(16) == 4)   // ELF, ET_CORE
    }

    @Test func purgatoryCopiesLowMemoryIntoTheBackupSegment() throws {
        let p = try plan()
        let backup = try #require(p.segments.first { $0.role == .backup })
        #expect(backup.data == nil && backup.digest == nil)
        #expect(backup.memory.size == 0xa0000)                    // [0, 0x9fc00) page-rounded
        let blob = Array(try #require(p.segments.first { $0.role == .purgatory }?.data).raw)
        let base = PurgatoryBlob.paramsOffset
        #expect(blob.u64(base + 88) == 0 && blob.u64(base + 96) == backup.memory.start && blob.u64(base + 104) == 0x9fc00)
        // The core header points the dump of low memory at the copy.
        let header = Array(try #require(p.segments.first { $0.role == .elfCoreHeader }?.data).raw)
        let phnum = Int(header.u16(56))
        let loads = (0..<phnum).map { 64 + $0 * 56 }.filter { header.u32($0) == 1 }
        #expect(loads.contains { header.u64($0 + 24) == 0 && header.u64($0 + 8) == backup.memory.start })
    }

    @Test func captureKernelSeesReservationAndBackedUpLowMemoryAsRAM() throws {
        let p = try plan()
        let bp = Array(try #require(p.segments.first { $0.role == .bootParams }?.data).raw)
        let n = Int(bp[0x1e8])
        let e820 = (0..<n).map { i -> E820Entry in
            let at = 0x2d0 + i * 20
            return E820Entry(address: bp.u64(at), size: bp.u64(at + 8), type: MemoryType(rawValue: bp.u32(at + 16))!)
        }
        let ram = e820.filter { $0.type == .ram }
        #expect(ram.first?.address == 0 && ram.first?.size == 0x9fc00)
        #expect(ram.dropFirst().allSatisfy { reservation.contains(PhysicalRange(start: $0.address, size: $0.size)!) })
        let header = try #require(p.segments.first { $0.role == .elfCoreHeader }).memory
        #expect(!ram.contains { PhysicalRange(start: $0.address, size: $0.size)!.overlaps(header) })
        #expect(e820.contains { $0.type == .reserved })           // firmware ranges stay visible
    }

    @Test func tooLargeNamesBothSizes() {
        let small = [PhysicalRange(start: 0x4000_0000, size: 16 << 20)!]
        #expect {
            try plan(initrd: [UInt8](repeating: 1, count: 12 << 20), reservations: small)
        } throws: { error in
            let t = "\(error)"
            return t.contains("crash reservation is \(16 << 20) bytes (16 MiB)") && t.contains("initrd \(12 << 20) bytes")
        }
    }

    @Test(arguments: [
        ("BOOT_IMAGE=/vmlinuz root=/dev/sda crashkernel=256M crashkernel=64M,low quiet", "root=/dev/sda quiet nr_cpus=1"),
    ])
    func reuseCmdlineDropsCrashkernel(_ running: String, _ expected: String) {
        #expect(CommandLineComposer.compose(running: running, append: "nr_cpus=1", crash: true) == expected)
    }
}
