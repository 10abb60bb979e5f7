/// How many u32 cells a child's addresses and sizes take: a node's #address-cells and
/// #size-cells apply to its children's reg (Devicetree Specification v0.4, 2.3.5).
public struct FDTCellCounts: Sendable, Equatable {
    public var address: Int
    public var size: Int

    /// What a node without the properties gives its children (2.3.5).
    public static let defaults = FDTCellCounts(address: 2, size: 1)

    public init(address: Int, size: Int) {
        self.address = address
        self.size = size
    }
}

extension FDTNode {
    /// #address-cells and #size-cells of this node, defaults for absent ones.
    public func childCellCounts() throws(KexecError) -> FDTCellCounts {
        FDTCellCounts(address: try cellCount("#address-cells", default: FDTCellCounts.defaults.address),
                      size: try cellCount("#size-cells", default: FDTCellCounts.defaults.size))
    }

    private func cellCount(_ name: String, default value: Int) throws(KexecError) -> Int {
        guard let property = property(named: name) else { return value }
        guard let count = u32(name) else {
            throw KexecError(field: name, "in node \"\(printable(self.name))\" is \(property.value.count) bytes; expected one u32 cell")
        }
        return Int(count)
    }

    /// `name` read as (address, size) pairs; nil when the node has no such property.
    public func regions(_ name: String, cells: FDTCellCounts) throws(KexecError) -> [FDTRegion]? {
        guard let value = property(named: name)?.value else { return nil }
        try Self.checkFits(cells, for: name)
        let stride = (cells.address + cells.size) * 4
        guard value.count % stride == 0 else {
            throw KexecError(field: "property \(printable(name))", "in node \"\(printable(self.name))\" is \(value.count) bytes; expected a multiple of \(stride) (\(cells.address) address and \(cells.size) size cells)")
        }
        return Swift.stride(from: 0, to: value.count, by: stride).map { at in
            let split = at + cells.address * 4
            return FDTRegion(address: Self.number(value[at..<split]), size: Self.number(value[split..<(at + stride)]))
        }
    }

    /// Stores `regions` as (address, size) pairs of the given cell counts; refuses a value that
    /// does not fit its cells.
    public mutating func setRegions(_ name: String, _ regions: [FDTRegion], cells: FDTCellCounts) throws(KexecError) {
        try Self.checkFits(cells, for: name)
        var value: [UInt8] = []
        for region in regions {
            for (number, count) in [(region.address, cells.address), (region.size, cells.size)] {
                guard count == 2 || number >> (32 * count) == 0 else {
                    throw KexecError(field: "property \(printable(name))", "\(hex(number)) does not fit in \(count) cell\(count == 1 ? "" : "s")")
                }
                if count == 2 { value.appendBigEndian(UInt32(truncatingIfNeeded: number >> 32)) }
                if count > 0 { value.appendBigEndian(UInt32(truncatingIfNeeded: number)) }
            }
        }
        try setProperty(name, value)
    }

    /// Addresses of 1 or 2 cells and sizes of 0 to 2 cells are what 64-bit numbers hold.
    static func checkFits(_ cells: FDTCellCounts, for name: String) throws(KexecError) {
        guard (1...2).contains(cells.address), (0...2).contains(cells.size) else {
            throw KexecError(field: "property \(printable(name))", "uses \(cells.address) address and \(cells.size) size cells; expected 1 or 2 address and 0 to 2 size cells (64-bit values)")
        }
    }
}

extension FlattenedDeviceTree {
    /// The reg of each memory node under the root ("memory", "memory@…", or device_type
    /// "memory"), in blob order, with the root's cell counts; nodes whose status is neither
    /// "okay" nor "ok" are left out, as Linux does, and so are nodes without reg.
    public func memoryRegions() throws(KexecError) -> [FDTRegion] {
        let cells = try root.childCellCounts()
        var regions: [FDTRegion] = []
        for node in root.children where node.isMemory && node.isAvailable {
            regions += try node.regions("reg", cells: cells) ?? []
        }
        return regions
    }
}

extension FDTNode {
    var isMemory: Bool {
        name == "memory" || name.hasPrefix("memory@") || string("device_type") == "memory"
    }

    /// Absent status means available (2.3.4).
    var isAvailable: Bool {
        guard let status = string("status") else { return property(named: "status") == nil }
        return status == "okay" || status == "ok"
    }
}
