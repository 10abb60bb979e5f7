/// A half-open physical address range [start, end). `end` may be 2^64 only as a limit, so it
/// is stored as start + size with checked arithmetic at construction.
public struct PhysicalRange: Sendable, Equatable, Hashable, Comparable, CustomStringConvertible {
    public let start: UInt64
    public let size: UInt64

    /// nil when start + size overflows 64 bits.
    public init?(start: UInt64, size: UInt64) {
        guard start.addingReportingOverflow(size).overflow == false || start &+ size == 0 else { return nil }
        self.start = start
        self.size = size
    }

    /// nil when end < start.
    public init?(start: UInt64, end: UInt64) {
        guard end >= start else { return nil }
        self.start = start
        self.size = end - start
    }

    /// Last address inside the range (inclusive), as /proc/iomem and sysfs print them.
    public var last: UInt64 { start &+ size &- 1 }
    /// One past the last byte; saturates at UInt64.max for a range that touches the top.
    public var end: UInt64 { start.addingReportingOverflow(size).overflow ? .max : start + size }
    public var isEmpty: Bool { size == 0 }

    public func contains(_ other: PhysicalRange) -> Bool {
        other.start >= start && other.end <= end
    }

    public func overlaps(_ other: PhysicalRange) -> Bool {
        !isEmpty && !other.isEmpty && other.start < end && start < other.end
    }

    public func intersection(_ other: PhysicalRange) -> PhysicalRange? {
        let lo = max(start, other.start), hi = min(end, other.end)
        return hi > lo ? PhysicalRange(start: lo, end: hi) : nil
    }

    /// This range with `other` removed: zero, one or two pieces.
    /// Example: [0, 8192) minus [40, 90) gives [0, 40) and [90, 8192).
    public func subtracting(_ other: PhysicalRange) -> [PhysicalRange] {
        guard overlaps(other) else { return isEmpty ? [] : [self] }
        var pieces: [PhysicalRange] = []
        if other.start > start, let low = PhysicalRange(start: start, end: other.start) { pieces.append(low) }
        if other.end < end, let high = PhysicalRange(start: other.end, end: end) { pieces.append(high) }
        return pieces
    }

    public static func < (a: PhysicalRange, b: PhysicalRange) -> Bool {
        (a.start, a.size) < (b.start, b.size)
    }

    public var description: String { "[\(hex(start))-\(hex(last))]" }
}

extension UInt64 {
    /// Rounds up to a power-of-two alignment; nil on overflow.
    @inlinable
    public func alignedUp(_ alignment: UInt64) -> UInt64? {
        let mask = alignment - 1
        let (sum, overflow) = addingReportingOverflow(mask)
        return overflow ? nil : sum & ~mask
    }

    @inlinable
    public func alignedDown(_ alignment: UInt64) -> UInt64 { self & ~(alignment - 1) }
}

public let pageSize: UInt64 = 4096
