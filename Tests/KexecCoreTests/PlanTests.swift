import Testing
@testable import KexecCore

@Suite("bzImage64 load plan")
struct PlanTests {
    let kernel = Fixture.bzImage(bodySize: 64 * 1024)
    let initrd = [UInt8](repeating: 0x5a, count: 3 * 1024 * 1024 + 17)

    func plan(_ request: LoadRequest, host: HostInfo = Fixture.host()) throws -> LoadPlan {
        try BzImage64Loader().plan(request, host: host)
    }

    @Test func placesEverySegmentByTheRules() throws {
        let p = try plan(Fixture.request(kernel, initrd: initrd, commandLine: "console=ttyS0 root=/dev/vda"))
        let byRole = Dictionary(uniqueKeysWithValues: p.segments.map { ($0.role, $0) })
        let k = try #require(byRole[.kernel]), rd = try #require(byRole[.initrd])
        let bp = try #require(byRole[.bootParams]), pg = try #require(byRole[.purgatory])
        #expect(p.segments.count == 4)
        #expect(k.memory.start % 0x20_0000 == 0)
        #expect(k.memory.start >= 0x100_0000)
        #expect(k.memory.size == 0x40_0000)                      // all of init_size is a destination
        #expect(p.kernelEntry == k.memory.start + 0x200)
        #expect(rd.memory.start >= 16 << 20 && rd.memory.start % 4096 == 0)
        #expect(bp.memory.end <= 1 << 32 && pg.memory.end <= 1 << 32)
        #expect(pg.memory.contains(PhysicalRange(start: p.entry, size: 1)!))
        #expect(p.bootParamsAddress == bp.memory.start)
        try SegmentRules.check(p.segments, memoryMap: Fixture.memoryMap())
    }

    /// --serial/--console-serial reach purgatory's parameter block: the port at offset 80,
    /// flags bit 2 only with --console-serial.
    @Test(arguments: [(PurgatorySerial(), UInt32(0), UInt16(0x3f8)),
                      (PurgatorySerial(port: 0x2f8, progress: true), UInt32(4), UInt16(0x2f8)),
                      (PurgatorySerial(port: 0x2e8, progress: false), UInt32(0), UInt16(0x2e8))])
    func purgatorySerialReachesTheParameterBlock(_ serial: PurgatorySerial, _ flags: UInt32, _ port: UInt16) throws {
        var request = Fixture.request(kernel, initrd: initrd)
        request.purgatorySerial = serial
        let p = try plan(request)
        let blob = Array(try #require(p.segments.first { $0.role == .purgatory }?.data).raw)
        #expect(blob.u32(PurgatoryBlob.paramsOffset + 72) == flags)
        #expect(blob.u16(PurgatoryBlob.paramsOffset + 80) == port)
        #expect(p.purgatoryConsole == (serial.progress ? port : nil))
    }

    @Test(arguments: [("ttyS0", UInt16?(0x3f8)), ("ttyS1", 0x2f8), ("ttyS3", 0x2e8), ("0x2f8", 0x2f8), ("1016", 0x3f8),
                      ("ttyS4", nil), ("COM1", nil), ("0", nil), ("0x", nil), ("0xfff9", nil), ("65536", nil), ("", nil)])
    func serialPortOption(_ text: String, _ port: UInt16?) {
        #expect((try? PurgatorySerial.port(text)) == port)
    }

    /// A normal load goes bottom-up (Placer(normalLoad:)): the kernel at its pref_address,
    /// the initrd right above the init_size window, boot_params and purgatory from 1 MiB.
    /// A crash load keeps to the top of its reservation.
    @Test func normalLoadsGoBottomUpCrashLoadsTopDown() throws {
        let p = try plan(Fixture.request(kernel, initrd: initrd))
        let at = Dictionary(uniqueKeysWithValues: p.segments.map { ($0.role, $0.memory) })
        #expect(at[.kernel] == PhysicalRange(start: 0x100_0000, size: 0x40_0000))
        #expect(at[.initrd]?.start == 0x140_0000)
        let bootParams = try #require(at[.bootParams]), purgatory = try #require(at[.purgatory])
        #expect(bootParams.start == 0x10_0000 && purgatory.start == bootParams.end)

        let reservation = PhysicalRange(start: 0x4000_0000, size: 256 << 20)!
        var req = Fixture.request(kernel, initrd: initrd)
        req.crash = CrashInputs(reservations: [reservation], layout: CrashDumpLayout(
            cpuNotes: [], vmcoreinfoNotes: [], kernelText: nil, memory: [], pageOffset: 0))
        let c = try plan(req)
        let kernelInCrash = try #require(c.segments.first { $0.role == .kernel }).memory
        #expect(kernelInCrash.end > reservation.end - 0x40_0000 - 0x20_0000)
    }

    /// A big init_size: the body and the top of the window are destinations, the middle is
    /// kept free but not zero-filled; nothing else is placed anywhere in the window.
    @Test func bigInitSizeSplitsIntoBodyAndDecompressorCopy() throws {
        let big = Fixture.bzImage(bodySize: 64 * 1024) { $0.store(UInt32(0x400_0000), at: 0x260) }
        let p = try plan(Fixture.request(big, initrd: initrd))
        let k = try #require(p.segments.first { $0.role == .kernel })
        let top = try #require(p.segments.first { $0.role == .decompressorCopy })
        let window = PhysicalRange(start: k.memory.start, size: 0x400_0000)!
        #expect(k.memory.size == 64 * 1024 && k.data?.count == 64 * 1024)
        #expect(top.data == nil && top.memory.end == window.end)
        #expect(top.memory.size == 64 * 1024 + BzImage64Loader.decompressorSlack)
        for s in p.segments where s.role != .kernel && s.role != .decompressorCopy {
            #expect(!s.memory.overlaps(window), "\(s.role) inside the init_size window")
        }
        try SegmentRules.check(p.segments, memoryMap: Fixture.memoryMap())
    }

    @Test func digestsMatchTheBytesAndArePatchedIntoPurgatory() throws {
        let p = try plan(Fixture.request(kernel, initrd: initrd))
        let pg = try #require(p.segments.first { $0.role == .purgatory }?.data)
        let blob = Array(pg.raw)
        let base = PurgatoryBlob.paramsOffset
        var regions: [(UInt64, UInt64, [UInt8])] = []
        for i in 0..<Int(blob.u32(base + 76)) {
            let at = base + 128 + i * 48
            regions.append((blob.u64(at), blob.u64(at + 8), Array(blob[(at + 16)..<(at + 48)])))
        }
        #expect(regions.count == 3)
        for s in p.segments where s.role != .purgatory {
            let data = try #require(s.data)
            let expected = Array(SHA256Digest.hash(Array(data.raw)))
            #expect(s.digest == expected)
            #expect(regions.contains { $0.0 == s.memory.start && $0.1 == UInt64(data.count) && $0.2 == expected })
        }
        #expect(blob.u64(base + 32) == p.bootParamsAddress)       // rsi
        #expect(blob.u64(base + 64) == p.kernelEntry)             // rip
        #expect(blob.u32(base + 72) == 0)                         // checks on
    }

    @Test func skipChecksComputesNoDigests() throws {
        let p = try plan(Fixture.request(kernel, skipChecks: true))
        #expect(p.segments.allSatisfy { $0.digest == nil })
        let blob = Array(try #require(p.segments.first { $0.role == .purgatory }?.data).raw)
        #expect(blob.u32(PurgatoryBlob.paramsOffset + 72) == 1)
        #expect(blob.u32(PurgatoryBlob.paramsOffset + 76) == 0)
    }

    @Test func corruptDigestHookChangesOnlyPurgatorysCopy() throws {
        var req = Fixture.request(kernel, initrd: initrd)
        req.corruptDigestForTesting = true
        let p = try plan(req)
        let blob = Array(try #require(p.segments.first { $0.role == .purgatory }?.data).raw)
        let at = PurgatoryBlob.paramsOffset + 128
        let seg = try #require(p.segments.first { $0.memory.start == blob.u64(at) })
        #expect(Array(blob[(at + 16)..<(at + 48)]) != seg.digest)
        #expect(Array(SHA256Digest.hash(Array(seg.data!.raw))) == seg.digest)
    }

    @Test func commandLineLongerThanCmdlineSizeIsRefused() {
        let line = String(repeating: "a", count: 2048)
        #expect {
            try plan(Fixture.request(kernel, commandLine: line))
        } throws: { error in
            let e = error as! KexecError
            return e.field == "cmdline_size" && e.description.contains("2048 bytes") && e.description.contains("at most 2047")
        }
        #expect(throws: Never.self) { try plan(Fixture.request(kernel, commandLine: String(repeating: "a", count: 2047))) }
    }

    @Test func initrdThatDoesNotFitIsRefused() {
        let big = [UInt8](repeating: 1, count: 40 << 20)
        #expect {
            try plan(Fixture.request(kernel, initrd: big), host: Fixture.host(ramTop: 48 << 20))
        } throws: { error in
            let e = error as! KexecError
            return e.file == "test-initrd" && e.description.contains("\(40 << 20) bytes")
        }
    }

    @Test func moreThanSixteenSegmentsAreRefused() {
        let segs = (0..<17).map { i in
            Segment(role: .other, data: nil, memory: PhysicalRange(start: 0x100_0000 + UInt64(i) * 0x1000, size: 0x1000)!)
        }
        #expect {
            try SegmentRules.check(segs, memoryMap: Fixture.memoryMap())
        } throws: { ($0 as! KexecError).description.contains("17 segments") }
    }

    @Test(arguments: [
        (PhysicalRange(start: 0x100_0800, size: 0x1000)!, "page-aligned"),
        (PhysicalRange(start: 0x9_0000_0000, size: 0x1000)!, "System RAM"),
    ])
    func segmentRulesNameTheProblem(_ range: PhysicalRange, _ phrase: String) {
        let segs = [Segment(role: .initrd, data: nil, memory: range)]
        #expect { try SegmentRules.check(segs, memoryMap: Fixture.memoryMap()) } throws: {
            ($0 as! KexecError).description.contains(phrase)
        }
    }

    @Test func overlappingSegmentsAreRefused() {
        let segs = [Segment(role: .kernel, data: nil, memory: PhysicalRange(start: 0x200_0000, size: 0x2000)!),
                    Segment(role: .initrd, data: nil, memory: PhysicalRange(start: 0x200_1000, size: 0x2000)!)]
        #expect { try SegmentRules.check(segs, memoryMap: Fixture.memoryMap()) } throws: {
            ($0 as! KexecError).description.contains("overlaps")
        }
    }

    @Test func memMinMaxBoundEverySegment() throws {
        var req = Fixture.request(kernel, initrd: initrd)
        req.memoryMin = 0x1000_0000
        req.memoryMax = 0x2000_0000
        let p = try plan(req)
        for s in p.segments { #expect(s.memory.start >= 0x1000_0000 && s.memory.end <= 0x2000_0000) }
    }

    @Test func debianKernelPlan() throws {
        guard let path = Fixture.debianKernelPath else {
            Issue.record("the Debian bzImage is missing: run scripts/vm/setup.sh")
            return
        }
        let data = try [UInt8](contentsOfFile: path)
        let p = try plan(Fixture.request(data, initrd: initrd, commandLine: "console=ttyS0 quiet"))
        let k = try #require(p.segments.first { $0.role == .kernel })
        #expect(k.memory.contains(PhysicalRange(start: p.kernelEntry, size: 1)!))
        #expect(k.dataSize == data.count - 20480)                   // 39 setup sectors + boot sector
    }
}

extension Array where Element == UInt8 {
    init(contentsOfFile path: String) throws {
        self = try [UInt8](Foundation.Data(contentsOf: Foundation.URL(fileURLWithPath: path)))
    }
}

import Foundation
