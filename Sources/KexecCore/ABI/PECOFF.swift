/// The parts of a PE/COFF image file that a UKI loader reads: MS-DOS header, signature, COFF
/// file header, PE32+ optional header, section table. All little-endian, packed.
/// Source: Microsoft "PE Format" specification (learn.microsoft.com/windows/win32/debug/pe-format),
/// sections "MS-DOS Stub", "Signature", "COFF File Header", "Optional Header", "Section Table".
public enum PEOffset {
    public static let dosMagic = 0x00           // u16 e_magic, "MZ"
    public static let dosHeaderSize = 0x40      // the MS-DOS header that holds e_lfanew
    public static let newHeader = 0x3c          // u32 e_lfanew: file offset of the "PE\0\0" signature
    /// From the signature: the COFF file header follows the 4-byte signature, the optional
    /// header follows the 20-byte COFF file header, the section table follows the optional header.
    public static let coffHeader = 4
    public static let optionalHeader = 4 + COFFFileHeader.size
}

public enum PEConstant {
    public static let dosMagic: UInt16 = 0x5a4d          // "MZ"
    public static let signature: UInt32 = 0x0000_4550    // "PE\0\0"
    public static let pe32Magic: UInt16 = 0x10b
    public static let pe32PlusMagic: UInt16 = 0x20b
    public static let machineAMD64: UInt16 = 0x8664      // IMAGE_FILE_MACHINE_AMD64
    public static let machineARM64: UInt16 = 0xaa64
    public static let machineI386: UInt16 = 0x14c
}

/// COFF file header (20 bytes).
public struct COFFFileHeader: Sendable, Equatable {
    public static let size = 20
    public var machine: UInt16                // 0
    public var numberOfSections: UInt16       // 2
    public var timeDateStamp: UInt32          // 4
    public var pointerToSymbolTable: UInt32   // 8
    public var numberOfSymbols: UInt32        // 12
    public var sizeOfOptionalHeader: UInt16   // 16
    public var characteristics: UInt16        // 18

    public init(machine: UInt16 = PEConstant.machineAMD64, numberOfSections: UInt16, sizeOfOptionalHeader: UInt16,
                timeDateStamp: UInt32 = 0, pointerToSymbolTable: UInt32 = 0, numberOfSymbols: UInt32 = 0,
                characteristics: UInt16 = 0x0206) {
        self.machine = machine
        self.numberOfSections = numberOfSections
        self.timeDateStamp = timeDateStamp
        self.pointerToSymbolTable = pointerToSymbolTable
        self.numberOfSymbols = numberOfSymbols
        self.sizeOfOptionalHeader = sizeOfOptionalHeader
        self.characteristics = characteristics
    }

    /// nil when the 20 bytes at `at` are not all inside `r`.
    public init?(_ r: LittleEndianReader, at: Int) {
        guard let characteristics = r.u16(at + 18) else { return nil }
        machine = r.u16(at)!
        numberOfSections = r.u16(at + 2)!
        timeDateStamp = r.u32(at + 4)!
        pointerToSymbolTable = r.u32(at + 8)!
        numberOfSymbols = r.u32(at + 12)!
        sizeOfOptionalHeader = r.u16(at + 16)!
        self.characteristics = characteristics
    }

    public func encode(into bytes: inout [UInt8], at offset: Int) {
        bytes.store(machine, at: offset)
        bytes.store(numberOfSections, at: offset + 2)
        bytes.store(timeDateStamp, at: offset + 4)
        bytes.store(pointerToSymbolTable, at: offset + 8)
        bytes.store(numberOfSymbols, at: offset + 12)
        bytes.store(sizeOfOptionalHeader, at: offset + 16)
        bytes.store(characteristics, at: offset + 18)
    }
}

/// The fields of the PE32+ optional header that we read. Its fixed part (standard fields and
/// Windows-specific fields, before the data directories) is 112 bytes.
public enum PE32PlusOptionalHeader {
    public static let fixedSize = 112
    public static let magic = 0                 // u16: 0x20b
    public static let addressOfEntryPoint = 16  // u32, RVA
    public static let imageBase = 24            // u64
    public static let sectionAlignment = 32     // u32
    public static let fileAlignment = 36        // u32
    public static let sizeOfImage = 56          // u32
    public static let sizeOfHeaders = 60        // u32
    public static let numberOfRvaAndSizes = 108 // u32
}

/// One section table entry (40 bytes).
public struct PESectionHeader: Sendable, Equatable {
    public static let size = 40
    public var name: [UInt8]                   // 0, 8 bytes, NUL-padded (no NUL when exactly 8)
    public var virtualSize: UInt32             // 8: size in memory; more than the raw data is zero-filled
    public var virtualAddress: UInt32          // 12: RVA
    public var sizeOfRawData: UInt32           // 16: bytes in the file, a multiple of FileAlignment
    public var pointerToRawData: UInt32        // 20: file offset
    public var pointerToRelocations: UInt32    // 24
    public var pointerToLinenumbers: UInt32    // 28
    public var numberOfRelocations: UInt16     // 32
    public var numberOfLinenumbers: UInt16     // 34
    public var characteristics: UInt32         // 36

    public init(name: String, virtualSize: UInt32, virtualAddress: UInt32, sizeOfRawData: UInt32,
                pointerToRawData: UInt32, characteristics: UInt32 = 0x4000_0040) {
        self.name = Array(Array(name.utf8).prefix(8)) + Array(repeating: 0, count: max(0, 8 - name.utf8.count))
        self.virtualSize = virtualSize
        self.virtualAddress = virtualAddress
        self.sizeOfRawData = sizeOfRawData
        self.pointerToRawData = pointerToRawData
        pointerToRelocations = 0
        pointerToLinenumbers = 0
        numberOfRelocations = 0
        numberOfLinenumbers = 0
        self.characteristics = characteristics
    }

    /// nil when the 40 bytes at `at` are not all inside `r`.
    public init?(_ r: LittleEndianReader, at: Int) {
        guard let characteristics = r.u32(at + 36) else { return nil }
        name = (0..<8).map { r.u8(at + $0)! }
        virtualSize = r.u32(at + 8)!
        virtualAddress = r.u32(at + 12)!
        sizeOfRawData = r.u32(at + 16)!
        pointerToRawData = r.u32(at + 20)!
        pointerToRelocations = r.u32(at + 24)!
        pointerToLinenumbers = r.u32(at + 28)!
        numberOfRelocations = r.u16(at + 32)!
        numberOfLinenumbers = r.u16(at + 34)!
        self.characteristics = characteristics
    }

    public func encode(into bytes: inout [UInt8], at offset: Int) {
        bytes.store(bytes: name, at: offset)
        bytes.store(virtualSize, at: offset + 8)
        bytes.store(virtualAddress, at: offset + 12)
        bytes.store(sizeOfRawData, at: offset + 16)
        bytes.store(pointerToRawData, at: offset + 20)
        bytes.store(pointerToRelocations, at: offset + 24)
        bytes.store(pointerToLinenumbers, at: offset + 28)
        bytes.store(numberOfRelocations, at: offset + 32)
        bytes.store(numberOfLinenumbers, at: offset + 34)
        bytes.store(characteristics, at: offset + 36)
    }

    /// The name up to its first NUL ("/4"-style long names stay as written: image files have
    /// no string table to resolve them, and every UKI section name fits in 8 bytes). Made
    /// printable: it appears in messages, and the names we look up are plain ASCII anyway.
    public var nameString: String {
        printable(name.prefix { $0 != 0 })
    }
}
