extension FlattenedDeviceTree {
    /// The tree as a version 17 DTB: header, memory reservation block, structure block,
    /// strings block, in that order and with no gaps. Property names are stored once each, in
    /// the order first used, so the same tree always gives the same bytes. Refuses names the
    /// blob cannot carry and a blob past 4 GiB.
    public func serialized() throws(KexecError) -> [UInt8] {
        var writer = FDTWriter()
        try writer.node(root, isRoot: true)
        writer.structs.appendBigEndian(FDTToken.end.rawValue)

        let rsvmapOffset = FDTHeaderOffset.size   // 40: already 8-byte aligned
        let rsvmapSize = (reservations.count + 1) * FDTConstant.reservationEntrySize
        let structOffset = rsvmapOffset + rsvmapSize
        let stringsOffset = structOffset + writer.structs.count
        let total = stringsOffset + writer.strings.count
        guard total <= Int(UInt32.max) else {
            throw KexecError(field: "totalsize", "the tree needs \(total) bytes; a DTB has at most \(UInt32.max)")
        }
        let header = FDTHeader(totalSize: UInt32(total), offDtStruct: UInt32(structOffset), offDtStrings: UInt32(stringsOffset),
                               offMemRsvmap: UInt32(rsvmapOffset), bootCpuidPhys: bootCpuidPhys,
                               sizeDtStrings: UInt32(writer.strings.count), sizeDtStruct: UInt32(writer.structs.count))
        var blob = header.encoded
        blob.reserveCapacity(total)
        for entry in reservations + [FDTRegion(address: 0, size: 0)] {
            blob.appendBigEndian(entry.address)
            blob.appendBigEndian(entry.size)
        }
        blob += writer.structs
        blob += writer.strings
        return blob
    }
}

/// Builds the structure and strings blocks.
struct FDTWriter {
    var structs: [UInt8] = []
    var strings: [UInt8] = []
    /// Keyed by bytes, not String: Strings that differ only in Unicode normalization are
    /// equal but are different names in the blob.
    private var nameOffsets: [[UInt8]: UInt32] = [:]

    /// Recursive: depth is what the tree has (the reader caps it at FDTLimits.maxDepth).
    mutating func node(_ node: FDTNode, isRoot: Bool = false) throws(KexecError) {
        let name = node.name.kernelBytes
        if isRoot {
            guard !name.contains(0) else {
                throw KexecError(field: "node name", "the root's name \"\(printable(node.name))\" holds a NUL; expected none")
            }
        } else {
            try FDTName.checkNode(node.name)
        }
        structs.appendBigEndian(FDTToken.beginNode.rawValue)
        structs += name
        structs.append(0)
        pad()
        for property in node.properties {
            try self.property(property, in: node.name)
        }
        for child in node.children {
            try self.node(child)
        }
        structs.appendBigEndian(FDTToken.endNode.rawValue)
    }

    private mutating func property(_ property: FDTProperty, in node: String) throws(KexecError) {
        guard property.value.count <= Int(UInt32.max) else {
            throw KexecError(field: "property \(printable(property.name))", "the value of \(property.value.count) bytes in node \"\(printable(node))\" is over 4 GiB; expected a u32 length")
        }
        let nameOffset = try offset(of: property.name)
        structs.appendBigEndian(FDTToken.prop.rawValue)
        structs.appendBigEndian(UInt32(property.value.count))
        structs.appendBigEndian(nameOffset)
        structs += property.value
        pad()
    }

    /// Where `name` is in the strings block, adding it the first time.
    private mutating func offset(of name: String) throws(KexecError) -> UInt32 {
        let bytes = name.kernelBytes
        if let known = nameOffsets[bytes] { return known }
        try FDTName.checkProperty(name)
        guard strings.count <= Int(UInt32.max) else {
            throw KexecError(field: "size_dt_strings", "the strings block passed 4 GiB; expected a u32 nameoff")
        }
        let offset = UInt32(strings.count)
        strings += bytes
        strings.append(0)
        nameOffsets[bytes] = offset
        return offset
    }

    private mutating func pad() {
        while structs.count % FDTConstant.structAlignment != 0 { structs.append(0) }
    }
}
