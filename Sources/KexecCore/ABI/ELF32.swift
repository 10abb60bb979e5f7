/// Elf32_Ehdr and Elf32_Phdr, decode only: multiboot kernels (Xen's `xen` binary among them)
/// are 32-bit ELF executables. Source: System V ABI, generic ABI "Object Files" (ELF header,
/// program header), i386 supplement for EM_386.
///
/// Elf32_Ehdr (52 bytes):
///     0 e_ident[16]  16 e_type u16  18 e_machine u16  20 e_version u32  24 e_entry u32
///    28 e_phoff u32  32 e_shoff u32  36 e_flags u32   40 e_ehsize u16   42 e_phentsize u16
///    44 e_phnum u16  46 e_shentsize u16  48 e_shnum u16  50 e_shstrndx u16
public struct ELF32Header: Sendable, Equatable {
    public static let size = 52
    public static let ELFCLASS32: UInt8 = 1
    public static let EM_386: UInt16 = 3

    public var type: UInt16
    public var machine: UInt16
    public var entry: UInt32
    public var programHeaderOffset: UInt32
    public var programHeaderEntrySize: UInt16
    public var programHeaderCount: UInt16

    /// nil when the 52 bytes are not there. The caller checks magic, class and encoding.
    public static func decode(from raw: UnsafeRawBufferPointer) -> ELF32Header? {
        let r = LittleEndianReader(raw)
        guard raw.count >= size, let type = r.u16(16), let machine = r.u16(18), let entry = r.u32(24),
              let phoff = r.u32(28), let phentsize = r.u16(42), let phnum = r.u16(44) else { return nil }
        return ELF32Header(type: type, machine: machine, entry: entry, programHeaderOffset: phoff,
                           programHeaderEntrySize: phentsize, programHeaderCount: phnum)
    }
}

/// Elf32_Phdr (32 bytes):
///     0 p_type u32  4 p_offset u32  8 p_vaddr u32  12 p_paddr u32  16 p_filesz u32
///    20 p_memsz u32  24 p_flags u32  28 p_align u32
public struct ELF32ProgramHeader: Sendable, Equatable {
    public static let size = 32

    public var type: UInt32
    public var offset: UInt32
    public var virtualAddress: UInt32
    public var physicalAddress: UInt32
    public var fileSize: UInt32
    public var memorySize: UInt32

    /// nil when the 32 bytes are not all inside `raw`.
    public static func decode(from raw: UnsafeRawBufferPointer, at offset: Int) -> ELF32ProgramHeader? {
        let r = LittleEndianReader(raw)
        guard let type = r.u32(offset), let off = r.u32(offset + 4), let vaddr = r.u32(offset + 8),
              let paddr = r.u32(offset + 12), let filesz = r.u32(offset + 16), let memsz = r.u32(offset + 20)
        else { return nil }
        return ELF32ProgramHeader(type: type, offset: off, virtualAddress: vaddr, physicalAddress: paddr,
                                  fileSize: filesz, memorySize: memsz)
    }
}
