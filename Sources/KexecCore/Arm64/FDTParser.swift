/// Bounds on what a DTB may make the reader build. The blob's size already bounds the work;
/// these keep a hostile blob from turning a few megabytes into a deep or huge tree.
public struct FDTLimits: Sendable {
    public var maxDepth: Int
    public var maxNodes: Int

    public init(maxDepth: Int = 64, maxNodes: Int = 65536) {
        self.maxDepth = maxDepth
        self.maxNodes = maxNodes
    }
}

extension FlattenedDeviceTree {
    /// Reads a DTB (Devicetree Specification v0.4, chapter 5). Every offset and size is
    /// checked against the blob before it is used; a malformed blob is refused with one
    /// sentence naming the field or token, never by trapping (the reader is fuzzed).
    /// Bytes past totalsize are ignored, as are bytes after FDT_END in the structure block;
    /// block alignment is not required (the reads do not need it), token alignment is.
    public init(parsing blob: UnsafeRawBufferPointer, limits: FDTLimits = FDTLimits()) throws(KexecError) {
        let header = try FDTParser.checkHeader(blob)
        let total = UnsafeRawBufferPointer(rebasing: blob[0..<Int(header.totalSize)])
        let reservations = try FDTParser.reservations(total, at: Int(header.offMemRsvmap))
        let structs = UnsafeRawBufferPointer(rebasing: total[Int(header.offDtStruct)..<(Int(header.offDtStruct) + Int(header.sizeDtStruct))])
        let strings = UnsafeRawBufferPointer(rebasing: total[Int(header.offDtStrings)..<(Int(header.offDtStrings) + Int(header.sizeDtStrings))])
        var parser = FDTParser(structs: structs, strings: strings, limits: limits)
        self.init(root: try parser.structure(), reservations: reservations, bootCpuidPhys: header.bootCpuidPhys)
    }
}

struct FDTParser {
    let structs: UnsafeRawBufferPointer
    let strings: UnsafeRawBufferPointer
    let limits: FDTLimits
    private var names: [UInt32: String] = [:]

    init(structs: UnsafeRawBufferPointer, strings: UnsafeRawBufferPointer, limits: FDTLimits) {
        self.structs = structs
        self.strings = strings
        self.limits = limits
    }

    /// The header, with each block inside totalsize and totalsize inside the buffer.
    static func checkHeader(_ blob: UnsafeRawBufferPointer) throws(KexecError) -> FDTHeader {
        guard let h = FDTHeader(BigEndianReader(blob)) else {
            throw KexecError(field: "size", "the blob is \(blob.count) bytes; a DTB starts with a \(FDTHeaderOffset.size)-byte header (truncated?)")
        }
        guard h.magic == FDTConstant.magic else {
            throw KexecError(field: "magic", "found \(hex(h.magic)) at offset 0; expected 0xd00dfeed (a flattened devicetree)")
        }
        guard h.version >= FDTConstant.version else {
            throw KexecError(field: "version", "is \(h.version); expected \(FDTConstant.version) or newer (size_dt_struct is new in 17)")
        }
        guard h.lastCompVersion <= FDTConstant.version else {
            throw KexecError(field: "last_comp_version", "is \(h.lastCompVersion): the blob cannot be read as version \(FDTConstant.version); expected \(FDTConstant.version) or less")
        }
        guard h.totalSize >= FDTHeaderOffset.size, Int(h.totalSize) <= blob.count else {
            throw KexecError(field: "totalsize", "is \(h.totalSize) but the blob has \(blob.count) bytes; expected at least the \(FDTHeaderOffset.size)-byte header and no more than the blob (truncated?)")
        }
        try checkBlock("off_dt_struct", offset: h.offDtStruct, size: h.sizeDtStruct, total: h.totalSize)
        try checkBlock("off_dt_strings", offset: h.offDtStrings, size: h.sizeDtStrings, total: h.totalSize)
        try checkBlock("off_mem_rsvmap", offset: h.offMemRsvmap, size: 0, total: h.totalSize)
        return h
    }

    /// A block lies after the header and ends inside totalsize.
    static func checkBlock(_ field: String, offset: UInt32, size: UInt32, total: UInt32) throws(KexecError) {
        let end = UInt64(offset) + UInt64(size)
        guard offset >= FDTHeaderOffset.size, end <= UInt64(total) else {
            throw KexecError(field: field, "the block at \(hex(offset)) of \(size) bytes ends at \(hex(end)); expected it between the \(FDTHeaderOffset.size)-byte header and totalsize \(hex(total))")
        }
    }

    /// {address, size} entries up to the {0, 0} that ends them, which must lie inside the blob.
    static func reservations(_ blob: UnsafeRawBufferPointer, at offset: Int) throws(KexecError) -> [FDTRegion] {
        let r = BigEndianReader(blob)
        var entries: [FDTRegion] = []
        var at = offset
        while true {
            guard let address = r.u64(at), let size = r.u64(at + 8) else {
                throw KexecError(field: "off_mem_rsvmap", "the memory reservation block at \(hex(offset)) has no {0, 0} entry before totalsize \(hex(blob.count)); expected one to end it")
            }
            if address == 0, size == 0 { return entries }
            entries.append(FDTRegion(address: address, size: size))
            at += FDTConstant.reservationEntrySize
        }
    }

    /// The structure block: NOPs, one root node, NOPs, FDT_END.
    mutating func structure() throws(KexecError) -> FDTNode {
        let r = BigEndianReader(structs)
        var open: [FDTNode] = []
        var root: FDTNode?
        var nodes = 0
        var at = 0
        while true {
            let tokenAt = at
            guard let raw = r.u32(at) else {
                throw KexecError(field: "FDT_END", "the structure block ends at \(hex(structs.count)) \(Self.inside(open)) without FDT_END; expected the block to end with it")
            }
            at += 4
            switch FDTToken(rawValue: raw) {
            case .beginNode:
                guard root == nil else {
                    throw KexecError(field: "FDT_BEGIN_NODE", "at struct offset \(hex(tokenAt)) opens a second root node; expected FDT_END after the root")
                }
                let name = try nodeName(&at, tokenAt: tokenAt, isRoot: open.isEmpty, open: open)
                nodes += 1
                guard nodes <= limits.maxNodes else {
                    throw KexecError(field: "FDT_BEGIN_NODE", "at struct offset \(hex(tokenAt)) is node \(nodes); expected at most \(limits.maxNodes) nodes")
                }
                guard open.count < limits.maxDepth else {
                    throw KexecError(field: "FDT_BEGIN_NODE", "at struct offset \(hex(tokenAt)) nests deeper than \(limits.maxDepth) levels \(Self.inside(open))")
                }
                open.append(FDTNode(name: name))
            case .endNode:
                guard let node = open.popLast() else {
                    throw KexecError(field: "FDT_END_NODE", "at struct offset \(hex(tokenAt)) closes no open node")
                }
                if open.isEmpty { root = node } else { open[open.count - 1].children.append(node) }
            case .prop:
                guard !open.isEmpty else {
                    throw KexecError(field: "FDT_PROP", "at struct offset \(hex(tokenAt)) is outside any node")
                }
                let property = try self.property(&at, tokenAt: tokenAt, open: open)
                open[open.count - 1].properties.append(property)
            case .nop:
                continue
            case .end:
                guard open.isEmpty, let root else {
                    throw KexecError(field: "FDT_END", "at struct offset \(hex(tokenAt)) comes \(open.isEmpty ? "before the root node" : Self.inside(open)); expected it after the root node is closed")
                }
                return root
            case nil:
                throw KexecError(field: "structure block", "unknown token \(hex(raw)) at struct offset \(hex(tokenAt)) \(Self.inside(open))")
            }
        }
    }

    /// The NUL-terminated name after FDT_BEGIN_NODE; `at` moves past its padding.
    private func nodeName(_ at: inout Int, tokenAt: Int, isRoot: Bool, open: [FDTNode]) throws(KexecError) -> String {
        guard let nul = structs[at...].firstIndex(of: 0) else {
            throw KexecError(field: "node name", "at struct offset \(hex(at)) has no NUL before the end of the structure block \(Self.inside(open))")
        }
        let name = RawBytes.string(structs[at..<nul])
        at = Self.aligned(nul + 1)
        if !isRoot {
            try FDTName.checkNode(name, "at struct offset \(hex(tokenAt)) \(Self.inside(open))")
        }
        return name
    }

    /// len, nameoff and the value after FDT_PROP; `at` moves past the value's padding.
    private mutating func property(_ at: inout Int, tokenAt: Int, open: [FDTNode]) throws(KexecError) -> FDTProperty {
        let r = BigEndianReader(structs)
        guard let length = r.u32(at), let nameOffset = r.u32(at + 4) else {
            throw KexecError(field: "FDT_PROP", "at struct offset \(hex(tokenAt)) is cut off by the end of the structure block \(Self.inside(open))")
        }
        let start = at + 8, end = start + Int(length)
        guard end <= structs.count else {
            throw KexecError(field: "FDT_PROP", "at struct offset \(hex(tokenAt)) has len \(length), ending at \(hex(end)) past the \(structs.count)-byte structure block \(Self.inside(open))")
        }
        let name = try propertyName(nameOffset, tokenAt: tokenAt, open: open)
        at = Self.aligned(end)
        return FDTProperty(name: name, value: Array(structs[start..<end]))
    }

    /// The NUL-terminated string at `offset` in the strings block (each read once).
    private mutating func propertyName(_ offset: UInt32, tokenAt: Int, open: [FDTNode]) throws(KexecError) -> String {
        if let known = names[offset] { return known }
        let start = Int(offset)
        guard start < strings.count, let nul = strings[start...].firstIndex(of: 0) else {
            throw KexecError(field: "FDT_PROP", "at struct offset \(hex(tokenAt)) has nameoff \(hex(offset)) with no NUL-terminated name inside the \(strings.count)-byte strings block \(Self.inside(open))")
        }
        let name = RawBytes.string(strings[start..<nul])
        try FDTName.checkProperty(name, "at struct offset \(hex(tokenAt)) \(Self.inside(open))")
        names[offset] = name
        return name
    }

    static func aligned(_ offset: Int) -> Int {
        let a = FDTConstant.structAlignment
        return (offset + a - 1) / a * a
    }

    /// "inside /soc/serial@1000" for messages, from the nodes still open.
    static func inside(_ open: [FDTNode]) -> String {
        open.isEmpty ? "outside any node" : "inside /" + open.dropFirst().map { printable($0.name) }.joined(separator: "/")
    }
}
