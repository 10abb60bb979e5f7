/// ELF constants used by the kdump core header, the /proc/kcore reader and ELF image loading.
/// Source: System V ABI, generic ABI (gABI), "ELF-64 Object File Format" and chapter 4
/// ("Object Files") / chapter 5 ("Program Loading"); EM_X86_64 from the registered machine list.
public enum ELF {
    /// e_ident[EI_MAG0...EI_MAG3].
    public static let magic: [UInt8] = [0x7f, 0x45, 0x4c, 0x46]   // "\x7fELF"
    public static let EI_NIDENT = 16
    public static let ELFCLASS64: UInt8 = 2
    public static let ELFDATA2LSB: UInt8 = 1
    public static let EV_CURRENT: UInt8 = 1
    public static let ELFOSABI_NONE: UInt8 = 0

    public static let ET_EXEC: UInt16 = 2
    public static let ET_CORE: UInt16 = 4
    public static let EM_X86_64: UInt16 = 62

    public static let PT_LOAD: UInt32 = 1
    public static let PT_NOTE: UInt32 = 4

    public static let PF_X: UInt32 = 1
    public static let PF_W: UInt32 = 2
    public static let PF_R: UInt32 = 4
}

/// Elf64_Ehdr, the 64-byte file header (little-endian only).
/// Source: gABI "ELF-64 Object File Format", section 3 (ELF header).
///
///     0 e_ident[16]  16 e_type u16   18 e_machine u16  20 e_version u32  24 e_entry u64
///    32 e_phoff u64  40 e_shoff u64  48 e_flags u32    52 e_ehsize u16   54 e_phentsize u16
///    56 e_phnum u16  58 e_shentsize u16  60 e_shnum u16  62 e_shstrndx u16
public struct ELF64Header: Sendable, Equatable {
    public static let size = 64

    // e_ident after the magic
    public var elfClass: UInt8 = ELF.ELFCLASS64
    public var dataEncoding: UInt8 = ELF.ELFDATA2LSB
    public var identVersion: UInt8 = ELF.EV_CURRENT
    public var osABI: UInt8 = ELF.ELFOSABI_NONE
    public var abiVersion: UInt8 = 0

    public var type: UInt16
    public var machine: UInt16
    public var version: UInt32 = UInt32(ELF.EV_CURRENT)
    public var entry: UInt64 = 0
    public var programHeaderOffset: UInt64 = 0
    public var sectionHeaderOffset: UInt64 = 0
    public var flags: UInt32 = 0
    public var headerSize: UInt16 = UInt16(ELF64Header.size)
    public var programHeaderEntrySize: UInt16 = UInt16(ELF64ProgramHeader.size)
    public var programHeaderCount: UInt16 = 0
    public var sectionHeaderEntrySize: UInt16 = 0
    public var sectionHeaderCount: UInt16 = 0
    public var sectionNameIndex: UInt16 = 0

    public init(type: UInt16, machine: UInt16) {
        self.type = type
        self.machine = machine
    }

    /// True for the only flavour the fields were decoded correctly for.
    public var isLittleEndian64: Bool { elfClass == ELF.ELFCLASS64 && dataEncoding == ELF.ELFDATA2LSB }

    public func encode(into bytes: inout [UInt8], at offset: Int) {
        bytes.store(bytes: ELF.magic, at: offset)
        bytes[offset + 4] = elfClass
        bytes[offset + 5] = dataEncoding
        bytes[offset + 6] = identVersion
        bytes[offset + 7] = osABI
        bytes[offset + 8] = abiVersion
        for i in 9..<ELF.EI_NIDENT { bytes[offset + i] = 0 }
        bytes.store(type, at: offset + 16)
        bytes.store(machine, at: offset + 18)
        bytes.store(version, at: offset + 20)
        bytes.store(entry, at: offset + 24)
        bytes.store(programHeaderOffset, at: offset + 32)
        bytes.store(sectionHeaderOffset, at: offset + 40)
        bytes.store(flags, at: offset + 48)
        bytes.store(headerSize, at: offset + 52)
        bytes.store(programHeaderEntrySize, at: offset + 54)
        bytes.store(programHeaderCount, at: offset + 56)
        bytes.store(sectionHeaderEntrySize, at: offset + 58)
        bytes.store(sectionHeaderCount, at: offset + 60)
        bytes.store(sectionNameIndex, at: offset + 62)
    }

    /// nil when the 64 bytes are not there or do not start with the ELF magic. The multi-byte
    /// fields are read little-endian: check `isLittleEndian64` before trusting them.
    public static func decode(from raw: UnsafeRawBufferPointer, at offset: Int) -> ELF64Header? {
        let r = LittleEndianReader(raw)
        guard offset >= 0, offset <= raw.count - size,
              (0..<4).allSatisfy({ raw[offset + $0] == ELF.magic[$0] }),
              let type = r.u16(offset + 16), let machine = r.u16(offset + 18),
              let version = r.u32(offset + 20), let entry = r.u64(offset + 24),
              let phoff = r.u64(offset + 32), let shoff = r.u64(offset + 40), let flags = r.u32(offset + 48),
              let ehsize = r.u16(offset + 52), let phentsize = r.u16(offset + 54), let phnum = r.u16(offset + 56),
              let shentsize = r.u16(offset + 58), let shnum = r.u16(offset + 60), let shstrndx = r.u16(offset + 62)
        else { return nil }
        var h = ELF64Header(type: type, machine: machine)
        h.elfClass = raw[offset + 4]
        h.dataEncoding = raw[offset + 5]
        h.identVersion = raw[offset + 6]
        h.osABI = raw[offset + 7]
        h.abiVersion = raw[offset + 8]
        h.version = version
        h.entry = entry
        h.programHeaderOffset = phoff
        h.sectionHeaderOffset = shoff
        h.flags = flags
        h.headerSize = ehsize
        h.programHeaderEntrySize = phentsize
        h.programHeaderCount = phnum
        h.sectionHeaderEntrySize = shentsize
        h.sectionHeaderCount = shnum
        h.sectionNameIndex = shstrndx
        return h
    }

    /// The program header table this header describes; nil when it does not fit in `raw`
    /// (or entries are smaller than Elf64_Phdr).
    /// Example: e_phoff 64, e_phnum 3, e_phentsize 56 needs raw.count >= 232.
    public func programHeaders(in raw: UnsafeRawBufferPointer) -> [ELF64ProgramHeader]? {
        let entrySize = Int(programHeaderEntrySize)
        guard programHeaderCount == 0 || entrySize >= ELF64ProgramHeader.size,
              programHeaderOffset <= UInt64(raw.count) else { return nil }
        let start = Int(programHeaderOffset)
        var out: [ELF64ProgramHeader] = []
        out.reserveCapacity(Int(programHeaderCount))
        for i in 0..<Int(programHeaderCount) {
            guard let ph = ELF64ProgramHeader.decode(from: raw, at: start + i * entrySize) else { return nil }
            out.append(ph)
        }
        return out
    }
}

/// Elf64_Phdr, one 56-byte program header.
/// Source: gABI "ELF-64 Object File Format", section 6 (program header table).
///
///     0 p_type u32  4 p_flags u32  8 p_offset u64  16 p_vaddr u64  24 p_paddr u64
///    32 p_filesz u64  40 p_memsz u64  48 p_align u64
public struct ELF64ProgramHeader: Sendable, Equatable {
    public static let size = 56

    public var type: UInt32
    public var flags: UInt32
    public var offset: UInt64
    public var virtualAddress: UInt64
    public var physicalAddress: UInt64
    public var fileSize: UInt64
    public var memorySize: UInt64
    public var alignment: UInt64

    public init(type: UInt32, flags: UInt32 = 0, offset: UInt64, virtualAddress: UInt64, physicalAddress: UInt64,
                fileSize: UInt64, memorySize: UInt64, alignment: UInt64 = 0) {
        self.type = type
        self.flags = flags
        self.offset = offset
        self.virtualAddress = virtualAddress
        self.physicalAddress = physicalAddress
        self.fileSize = fileSize
        self.memorySize = memorySize
        self.alignment = alignment
    }

    /// Whether `address` lies in [p_vaddr, p_vaddr + p_memsz).
    public func containsVirtual(_ address: UInt64) -> Bool {
        address >= virtualAddress && address - virtualAddress < memorySize
    }

    public func encode(into bytes: inout [UInt8], at offset: Int) {
        bytes.store(type, at: offset)
        bytes.store(flags, at: offset + 4)
        bytes.store(self.offset, at: offset + 8)
        bytes.store(virtualAddress, at: offset + 16)
        bytes.store(physicalAddress, at: offset + 24)
        bytes.store(fileSize, at: offset + 32)
        bytes.store(memorySize, at: offset + 40)
        bytes.store(alignment, at: offset + 48)
    }

    /// nil when the 56 bytes are not all inside `raw`.
    public static func decode(from raw: UnsafeRawBufferPointer, at offset: Int) -> ELF64ProgramHeader? {
        let r = LittleEndianReader(raw)
        guard offset >= 0, offset <= raw.count - size,
              let type = r.u32(offset), let flags = r.u32(offset + 4), let off = r.u64(offset + 8),
              let vaddr = r.u64(offset + 16), let paddr = r.u64(offset + 24), let filesz = r.u64(offset + 32),
              let memsz = r.u64(offset + 40), let align = r.u64(offset + 48)
        else { return nil }
        return ELF64ProgramHeader(type: type, flags: flags, offset: off, virtualAddress: vaddr, physicalAddress: paddr,
                                  fileSize: filesz, memorySize: memsz, alignment: align)
    }
}

/// Elf64_Nhdr, the 12-byte header in front of each note; name and descriptor follow, each
/// padded to 4 bytes. Source: gABI chapter 5, "Note Section" (the ELF-64 format keeps 4-byte
/// words for notes, as Linux and every x86_64 producer do).
///
///     0 n_namesz u32  4 n_descsz u32  8 n_type u32
public struct ELF64NoteHeader: Sendable, Equatable {
    public static let size = 12

    public var nameSize: UInt32
    public var descriptorSize: UInt32
    public var type: UInt32

    public init(nameSize: UInt32, descriptorSize: UInt32, type: UInt32) {
        self.nameSize = nameSize
        self.descriptorSize = descriptorSize
        self.type = type
    }

    /// Header, name and descriptor with their padding: the distance to the next note.
    public var totalSize: UInt64 {
        UInt64(Self.size) + (UInt64(nameSize) + 3) / 4 * 4 + (UInt64(descriptorSize) + 3) / 4 * 4
    }

    public func encode(into bytes: inout [UInt8], at offset: Int) {
        bytes.store(nameSize, at: offset)
        bytes.store(descriptorSize, at: offset + 4)
        bytes.store(type, at: offset + 8)
    }

    /// nil when the 12 bytes are not all inside `raw`.
    public static func decode(from raw: UnsafeRawBufferPointer, at offset: Int) -> ELF64NoteHeader? {
        let r = LittleEndianReader(raw)
        guard offset >= 0, let namesz = r.u32(offset), let descsz = r.u32(offset + 4), let type = r.u32(offset + 8)
        else { return nil }
        return ELF64NoteHeader(nameSize: namesz, descriptorSize: descsz, type: type)
    }
}
