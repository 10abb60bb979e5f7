@testable import KexecCore

/// Synthesized PE32+ images: an MS-DOS header, "PE\0\0", a COFF file header, a 240-byte
/// optional header and the section table, then each section's bytes padded to FileAlignment
/// with 0xEE (padding that must never show up in a section's content).
enum PEFixture {
    struct Section {
        var name: String
        var data: [UInt8]
        /// nil: data.count (what objcopy writes).
        var virtualSize: UInt32?
        /// nil: data.count rounded up to FileAlignment.
        var rawSize: UInt32?

        init(_ name: String, _ data: [UInt8], virtualSize: UInt32? = nil, rawSize: UInt32? = nil) {
            self.name = name
            self.data = data
            self.virtualSize = virtualSize
            self.rawSize = rawSize
        }
    }

    static let peOffset = 0x80
    static let optionalSize = 240
    static let fileAlignment = 0x200
    static var sectionTable: Int { peOffset + PEOffset.optionalHeader + optionalSize }

    static func image(_ sections: [Section], machine: UInt16 = PEConstant.machineAMD64) -> [UInt8] {
        let headersEnd = align(sectionTable + sections.count * PESectionHeader.size)
        var bytes = [UInt8](repeating: 0, count: headersEnd)
        bytes.store(PEConstant.dosMagic, at: PEOffset.dosMagic)
        bytes.store(UInt32(peOffset), at: PEOffset.newHeader)
        bytes.store(PEConstant.signature, at: peOffset)
        COFFFileHeader(machine: machine, numberOfSections: UInt16(sections.count), sizeOfOptionalHeader: UInt16(optionalSize))
            .encode(into: &bytes, at: peOffset + PEOffset.coffHeader)
        let optional = peOffset + PEOffset.optionalHeader
        typealias O = PE32PlusOptionalHeader
        bytes.store(PEConstant.pe32PlusMagic, at: optional + O.magic)
        bytes.store(UInt32(0x1000), at: optional + O.sectionAlignment)
        bytes.store(UInt32(fileAlignment), at: optional + O.fileAlignment)
        bytes.store(UInt32(headersEnd), at: optional + O.sizeOfHeaders)
        bytes.store(UInt32(16), at: optional + O.numberOfRvaAndSizes)
        var rva: UInt32 = 0x1000
        for (i, s) in sections.enumerated() {
            let raw = s.rawSize ?? UInt32(align(s.data.count))
            let header = PESectionHeader(name: s.name, virtualSize: s.virtualSize ?? UInt32(s.data.count), virtualAddress: rva,
                                         sizeOfRawData: raw, pointerToRawData: raw == 0 ? 0 : UInt32(bytes.count))
            header.encode(into: &bytes, at: sectionTable + i * PESectionHeader.size)
            if raw > 0 {
                bytes += s.data.prefix(Int(raw))
                bytes += [UInt8](repeating: 0xEE, count: max(0, Int(raw) - s.data.count))
            }
            rva += UInt32(align(max(Int(header.virtualSize), Int(raw)), to: 0x1000))
        }
        bytes.store(rva, at: optional + O.sizeOfImage)
        return bytes
    }

    /// A UKI: an EFI stub's sections (.text, .sbat) and then the payload sections.
    static func uki(linux: [UInt8], initrd: [UInt8]? = nil, cmdline: String? = nil, osrel: String? = nil,
                    extra: [Section] = []) -> [UInt8] {
        var sections = [Section(".text", [UInt8](repeating: 0xC3, count: 700)), Section(".sbat", Array("sbat,1\n".utf8))]
        if let osrel { sections.append(Section(".osrel", Array(osrel.utf8))) }
        if let cmdline { sections.append(Section(".cmdline", Array(cmdline.utf8))) }
        sections.append(Section(".linux", linux))
        if let initrd { sections.append(Section(".initrd", initrd)) }
        return image(sections + extra)
    }

    static func align(_ n: Int, to a: Int = fileAlignment) -> Int { (n + a - 1) / a * a }
}
