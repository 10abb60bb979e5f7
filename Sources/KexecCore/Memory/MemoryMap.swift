/// A typed physical memory map, as firmware (e820) describes it.
public struct MemoryMap: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var range: PhysicalRange
        public var type: MemoryType
        public init(_ range: PhysicalRange, _ type: MemoryType) {
            self.range = range
            self.type = type
        }
    }

    /// Sorted by start; adjacent or overlapping entries of the same type are merged.
    public private(set) var entries: [Entry]

    public init(_ entries: [Entry]) {
        self.entries = MemoryMap.normalized(entries)
    }

    public var ram: [PhysicalRange] { entries.filter { $0.type == .ram }.map(\.range) }

    public var e820: [E820Entry] {
        entries.map { E820Entry(address: $0.range.start, size: $0.range.size, type: $0.type) }
    }

    /// True if `range` lies entirely inside RAM (possibly spanning adjacent RAM entries).
    public func isRAM(_ range: PhysicalRange) -> Bool {
        var cursor = range.start
        for r in ram where r.start <= cursor && r.end > cursor {
            cursor = r.end
            if cursor >= range.end { return true }
        }
        return range.isEmpty
    }

    static func normalized(_ input: [Entry]) -> [Entry] {
        var out: [Entry] = []
        for e in input.filter({ !$0.range.isEmpty }).sorted(by: { $0.range < $1.range }) {
            if let last = out.last, last.type == e.type, e.range.start <= last.range.end,
               let merged = PhysicalRange(start: last.range.start, end: max(last.range.end, e.range.end)) {
                out[out.count - 1].range = merged
            } else {
                out.append(e)
            }
        }
        return out
    }
}
