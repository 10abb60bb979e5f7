import Testing
@testable import KexecCore

private func r(_ start: UInt64, _ end: UInt64) -> PhysicalRange { PhysicalRange(start: start, end: end)! }

@Suite("physical ranges and the memory map")
struct MemoryTests {
    @Test(arguments: [
        (r(0, 8192), r(40, 90), [r(0, 40), r(90, 8192)]),
        (r(0, 8192), r(0, 8192), []),
        (r(0, 8192), r(0, 100), [r(100, 8192)]),
        (r(0, 8192), r(8000, 9000), [r(0, 8000)]),
        (r(100, 200), r(300, 400), [r(100, 200)]),
        (r(100, 200), r(0, 1000), []),
    ])
    func subtracting(_ a: PhysicalRange, _ b: PhysicalRange, _ expected: [PhysicalRange]) {
        #expect(a.subtracting(b) == expected)
    }

    @Test func overflowIsRejected() {
        #expect(PhysicalRange(start: .max - 10, size: 100) == nil)
        #expect(PhysicalRange(start: 10, end: 5) == nil)
        #expect(PhysicalRange(start: .max - 9, size: 10) != nil)
    }

    @Test func normalizesSortsAndMerges() {
        let map = MemoryMap([
            .init(r(0x2000, 0x3000), .ram), .init(r(0, 0x1000), .ram),
            .init(r(0x1000, 0x2000), .ram), .init(r(0x3000, 0x4000), .reserved),
            .init(r(0x5000, 0x5000), .ram),
        ])
        #expect(map.entries == [.init(r(0, 0x3000), .ram), .init(r(0x3000, 0x4000), .reserved)])
        #expect(map.isRAM(r(0x800, 0x2800)))
        #expect(!map.isRAM(r(0x2800, 0x3800)))
    }

    @Test func firmwareNames() {
        #expect(MemoryType(firmwareName: "System RAM") == .ram)
        #expect(MemoryType(firmwareName: "ACPI Non-volatile Storage") == .nvs)
        #expect(MemoryType(firmwareName: "Reserved") == .reserved)
        #expect(MemoryType(firmwareName: "something new") == .reserved)
    }
}

@Suite("placer")
struct PlacerTests {
    typealias Req = Placer.Request

    /// (free RAM, request, expected start)
    @Test(arguments: [
        ([r(0x1000, 0x9000)], Req(size: 0x2000, alignment: 0x4000), UInt64?(0x4000)),
        ([r(0x1000, 0x9000)], Req(size: 0x2000, alignment: 0x1000, topDown: false), UInt64?(0x1000)),
        ([r(0x1000, 0x9000)], Req(size: 0x2000, alignment: 0x4000, topDown: false), UInt64?(0x4000)),
        ([r(0x1000, 0x9000)], Req(size: 0x9000), UInt64?.none),
        ([r(0x1000, 0x3000), r(0x10000, 0x20000)], Req(size: 0x1000, max: 0x8000), UInt64?(0x2000)),
        ([r(0x1000, 0x3000), r(0x10000, 0x20000)], Req(size: 0x1000), UInt64?(0x1f000)),
        ([r(0x1000, 0x3000), r(0x10000, 0x20000)], Req(size: 0x1000, min: 0x18000, max: 0x19000), UInt64?(0x18000)),
        ([r(0x1000, 0x3000)], Req(size: 0x1000, alignment: 0x3000), UInt64?.none),   // not a power of two
        ([r(0x10_0000, 0x1_2000_0000)], Req(size: 0x1000, max: 0x1_0000_0000), UInt64?(0xffff_f000)),
    ])
    func find(_ free: [PhysicalRange], _ request: Req, _ expected: UInt64?) {
        #expect(Placer(ram: free).find(request) == expected)
    }

    /// (free RAM, request, expected start) for a placer whose own direction is bottom-up:
    /// a request without a direction takes the placer's, one with a direction keeps it.
    @Test(arguments: [
        ([r(0x1000, 0x3000), r(0x10000, 0x20000)], Req(size: 0x1000), UInt64?(0x1000)),
        ([r(0x1000, 0x3000), r(0x10000, 0x20000)], Req(size: 0x4000, alignment: 0x8000), UInt64?(0x10000)),
        ([r(0x1000, 0x3000), r(0x10000, 0x20000)], Req(size: 0x1000, min: 0x2800), UInt64?(0x10000)),
        ([r(0x1000, 0x3000), r(0x10000, 0x20000)], Req(size: 0x1000, topDown: true), UInt64?(0x1f000)),
    ])
    func findBottomUp(_ free: [PhysicalRange], _ request: Req, _ expected: UInt64?) {
        #expect(Placer(ram: free, topDown: false).find(request) == expected)
    }

    @Test func allocationsNeverOverlap() {
        var p = Placer(ram: [r(0, 0x100000)], reserved: [r(0, 0x1000)])
        var taken: [PhysicalRange] = []
        while let at = p.allocate(Req(size: 0x3000)) { taken.append(r(at, at + 0x3000)) }
        #expect(taken.count == (0x100000 - 0x1000) / 0x3000)
        for (i, a) in taken.enumerated() {
            #expect(a.start >= 0x1000)
            for b in taken[(i + 1)...] { #expect(!a.overlaps(b)) }
        }
    }
}
