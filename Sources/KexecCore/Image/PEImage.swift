/// A parsed PE32+ image file: the headers a loader needs and the section table, each section
/// with the exact file bytes that belong to it. Layout: ABI/PECOFF.swift.
public struct PEImage: Sendable {
    public var machine: UInt16
    public var sectionAlignment: UInt32
    public var fileAlignment: UInt32
    public var sizeOfImage: UInt32
    public var sections: [PESection]

    public func section(named name: String) -> PESection? {
        sections.first { $0.name == name }
    }
}

/// One section and where its bytes are.
public struct PESection: Sendable {
    public var header: PESectionHeader
    public var name: String
    /// The file bytes of the section: `min(VirtualSize, SizeOfRawData)` from PointerToRawData.
    /// SizeOfRawData is rounded up to FileAlignment, so bytes past VirtualSize are padding,
    /// not content. (VirtualSize 0 is what object files carry; then SizeOfRawData is all there is.)
    public var fileRange: Range<Int>
    /// Zero bytes that follow the file bytes in memory (VirtualSize larger than SizeOfRawData).
    public var zeroFill: Int

    /// The size of the section's content: file bytes plus zero fill (= VirtualSize when set).
    public var size: Int { fileRange.count + zeroFill }

    init(header: PESectionHeader) {
        self.header = header
        name = header.nameString
        let virtualSize = Int(header.virtualSize), raw = Int(header.sizeOfRawData)
        let fileBytes = virtualSize == 0 ? raw : min(virtualSize, raw)
        let start = Int(header.pointerToRawData)
        fileRange = start..<(start + fileBytes)
        zeroFill = virtualSize > raw ? virtualSize - raw : 0
    }
}

public enum PEImageParser {
    /// Validates the headers and every section's file range; each failure is one sentence
    /// naming the field (the caller adds the file name).
    public static func parse(_ image: UnsafeRawBufferPointer) throws(KexecError) -> PEImage {
        let r = LittleEndianReader(image)
        let size = image.count
        guard size >= PEOffset.dosHeaderSize else {
            throw KexecError(field: "MS-DOS header", "the file is \(size) bytes; a PE image starts with a \(PEOffset.dosHeaderSize)-byte MS-DOS header (truncated?)")
        }
        let dosMagic = r.u16(PEOffset.dosMagic)!
        guard dosMagic == PEConstant.dosMagic else {
            throw KexecError(field: "e_magic", "found \(hex(dosMagic)) at offset 0; expected 0x5a4d (\"MZ\", a PE image)")
        }
        let pe = Int(r.u32(PEOffset.newHeader)!)
        guard let signature = r.u32(pe) else {
            throw KexecError(field: "e_lfanew", "points at \(hex(pe)), past the end of the \(size)-byte file; expected the offset of the \"PE\\0\\0\" signature")
        }
        guard signature == PEConstant.signature else {
            throw KexecError(field: "signature", "found \(hex(signature)) at \(hex(pe)) (e_lfanew); expected \"PE\\0\\0\" (0x4550)")
        }
        guard let coff = COFFFileHeader(r, at: pe + PEOffset.coffHeader) else {
            throw KexecError(field: "COFF file header", "the file ends at \(hex(size)), inside the COFF file header at \(hex(pe + PEOffset.coffHeader)) (truncated?)")
        }
        let optional = pe + PEOffset.optionalHeader
        guard let magic = r.u16(optional) else {
            throw KexecError(field: "optional header", "the file ends at \(hex(size)), before the optional header at \(hex(optional)) (truncated?)")
        }
        guard magic == PEConstant.pe32PlusMagic else {
            let kind = magic == PEConstant.pe32Magic ? " (PE32, a 32-bit image)" : ""
            throw KexecError(field: "optional header Magic", "found \(hex(magic))\(kind); expected 0x20b (PE32+)")
        }
        typealias O = PE32PlusOptionalHeader
        guard Int(coff.sizeOfOptionalHeader) >= O.fixedSize else {
            throw KexecError(field: "SizeOfOptionalHeader", "is \(coff.sizeOfOptionalHeader); a PE32+ optional header has at least \(O.fixedSize) bytes")
        }
        guard optional + O.fixedSize <= size else {
            throw KexecError(field: "optional header", "the file ends at \(hex(size)), inside the optional header at \(hex(optional)) (truncated?)")
        }
        let table = optional + Int(coff.sizeOfOptionalHeader)
        let count = Int(coff.numberOfSections)
        let tableEnd = table + count * PESectionHeader.size
        guard tableEnd <= size else {
            throw KexecError(field: "NumberOfSections", "\(count) section headers at \(hex(table)) end at \(hex(tableEnd)), past the end of the \(size)-byte file (truncated?)")
        }
        var sections: [PESection] = []
        sections.reserveCapacity(count)
        for i in 0..<count {
            let section = PESection(header: PESectionHeader(r, at: table + i * PESectionHeader.size)!)
            guard section.fileRange.isEmpty || section.fileRange.upperBound <= size else {
                let h = section.header
                throw KexecError(field: "section \(section.name.isEmpty ? "#\(i)" : section.name)",
                                 "PointerToRawData \(hex(h.pointerToRawData)) + \(section.fileRange.count) bytes (min of VirtualSize \(hex(h.virtualSize)) and SizeOfRawData \(hex(h.sizeOfRawData))) ends at \(hex(section.fileRange.upperBound)), past the end of the \(size)-byte file (truncated?)")
            }
            sections.append(section)
        }
        return PEImage(machine: coff.machine,
                       sectionAlignment: r.u32(optional + O.sectionAlignment)!,
                       fileAlignment: r.u32(optional + O.fileAlignment)!,
                       sizeOfImage: r.u32(optional + O.sizeOfImage)!,
                       sections: sections)
    }
}
