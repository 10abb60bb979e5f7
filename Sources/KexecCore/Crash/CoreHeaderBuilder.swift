/// Builds the ELF64 core header ("elfcorehdr") that the capture kernel's /proc/vmcore is
/// assembled from: an ET_CORE Elf64_Ehdr, then the program headers, and nothing else (the
/// note contents stay in the crashed kernel's memory, where the PT_NOTEs point).
///
/// Program headers, in this order:
/// 1. one PT_NOTE per CPU note, then one per vmcoreinfo note: p_offset = p_paddr = the note's
///    physical address, p_filesz = p_memsz = its size, p_vaddr 0;
/// 2. with `kernelText`: one PT_LOAD for the kernel image mapping (p_vaddr = virtual start,
///    p_offset = p_paddr = physical start);
/// 3. one PT_LOAD per memory range, sorted by address: p_offset = p_paddr = start,
///    p_vaddr = start + pageOffset. The part of a range that overlaps `backup.source` gets
///    its own PT_LOAD whose p_offset is the matching address inside the backup copy, because
///    the capture kernel reuses the original low memory.
///
/// The buffer is rounded up to 1 KiB. All PT_LOADs are RWX; p_align is 0.
///
/// Worked example: 2 CPU notes of 0x400 bytes at 0x11fc1c000 and 0x11fc5c000, vmcoreinfo
/// (0x1024 bytes at 0x2b7a000), kernel text 0x2e00000 bytes at physical 0x1000000 /
/// virtual 0xffffffff81000000, page offset 0xffff888000000000, memory [0x1000, 0x9fc00) and
/// [0x100000, 0x7ffe0000), backup source [0x1000, 0x9fc00) copied to 0x2f000000:
///
///     phdr  type     p_offset    p_vaddr             p_paddr     size
///     0     NOTE     0x11fc1c000 0                   0x11fc1c000 0x400
///     1     NOTE     0x11fc5c000 0                   0x11fc5c000 0x400
///     2     NOTE     0x2b7a000   0                   0x2b7a000   0x1024
///     3     LOAD     0x1000000   0xffffffff81000000  0x1000000   0x2e00000
///     4     LOAD     0x2f000000  0xffff888000001000  0x1000      0x9ec00   (the backup copy)
///     5     LOAD     0x100000    0xffff888000100000  0x100000    0x7fee0000
///
/// 6 program headers: 64 + 6 × 56 = 400 bytes, rounded to a 1024-byte buffer.
public enum CoreHeaderBuilder {
    public static let alignment = 1024
    /// e_phnum is 16 bits and 0xffff means "look in section header 0", which we never emit.
    public static let maximumProgramHeaders = 0xfffe

    /// Number of program headers `build` emits. It depends on the counts and on which memory
    /// ranges overlap `backup.source`, never on `backup.copy` or note addresses, so the loader
    /// may size the segment with a placeholder copy address.
    public static func programHeaderCount(for layout: CrashDumpLayout) -> Int {
        layout.cpuNotes.count + layout.vmcoreinfoNotes.count + (layout.kernelText == nil ? 0 : 1)
            + memoryPieces(layout).count
    }

    /// Bytes `build` returns: 64 + 56 per program header, rounded up to 1 KiB.
    public static func size(for layout: CrashDumpLayout) -> Int {
        size(programHeaderCount: programHeaderCount(for: layout))
    }

    /// Memory for the core header segment: what `build` writes, or with crash hotplug the most
    /// the kernel may write there later (the ELF header plus `hotplugHeaderBytes` of program
    /// headers, arch_crash_get_elfcorehdr_size), page-aligned.
    /// Example: 5 program headers (1 KiB) and hotplug 917,728 → 917,792 → 921,600 (225 pages).
    public static func segmentSize(for layout: CrashDumpLayout, hotplugHeaderBytes: UInt64?) -> UInt64 {
        let built = UInt64(size(for: layout))
        let hotplug = hotplugHeaderBytes.map { $0 + UInt64(ELF64Header.size) } ?? 0
        return max(built, hotplug).alignedUp(pageSize)!
    }

    public static func size(programHeaderCount: Int) -> Int {
        let raw = ELF64Header.size + programHeaderCount * ELF64ProgramHeader.size
        return (raw + alignment - 1) / alignment * alignment
    }

    public static func build(_ layout: CrashDumpLayout) -> [UInt8] {
        var headers: [ELF64ProgramHeader] = []
        for note in layout.cpuNotes + layout.vmcoreinfoNotes {
            headers.append(.init(type: ELF.PT_NOTE, offset: note.start, virtualAddress: 0, physicalAddress: note.start,
                                 fileSize: note.size, memorySize: note.size))
        }
        let rwx = ELF.PF_R | ELF.PF_W | ELF.PF_X
        if let text = layout.kernelText {
            headers.append(.init(type: ELF.PT_LOAD, flags: rwx, offset: text.physicalStart, virtualAddress: text.virtualStart,
                                 physicalAddress: text.physicalStart, fileSize: text.size, memorySize: text.size))
        }
        for piece in memoryPieces(layout) {
            headers.append(.init(type: ELF.PT_LOAD, flags: rwx, offset: piece.fileOffset,
                                 virtualAddress: piece.range.start &+ layout.pageOffset,
                                 physicalAddress: piece.range.start, fileSize: piece.range.size, memorySize: piece.range.size))
        }
        precondition(headers.count <= maximumProgramHeaders, "\(headers.count) program headers do not fit e_phnum")

        var ehdr = ELF64Header(type: ELF.ET_CORE, machine: layout.machine)
        ehdr.programHeaderOffset = UInt64(ELF64Header.size)
        ehdr.programHeaderCount = UInt16(headers.count)
        var bytes = [UInt8](repeating: 0, count: size(programHeaderCount: headers.count))
        ehdr.encode(into: &bytes, at: 0)
        for (i, ph) in headers.enumerated() {
            ph.encode(into: &bytes, at: ELF64Header.size + i * ELF64ProgramHeader.size)
        }
        return bytes
    }

    /// A memory range (or the part of one) and where /proc/vmcore reads its contents.
    struct Piece: Equatable {
        var range: PhysicalRange
        var fileOffset: UInt64
    }

    /// Non-empty memory ranges sorted by address, with the overlap with the backup source
    /// split off and redirected to the copy.
    /// Example: [0, 0x100000) with backup [0x1000, 0xa0000) → 0x2f000000 gives
    /// [0, 0x1000) @0, [0x1000, 0xa0000) @0x2f000000, [0xa0000, 0x100000) @0xa0000.
    static func memoryPieces(_ layout: CrashDumpLayout) -> [Piece] {
        var pieces: [Piece] = []
        for range in layout.memory.sorted() where !range.isEmpty {
            guard let backup = layout.backup, let overlap = range.intersection(backup.source) else {
                pieces.append(Piece(range: range, fileOffset: range.start))
                continue
            }
            if let below = PhysicalRange(start: range.start, end: overlap.start), !below.isEmpty {
                pieces.append(Piece(range: below, fileOffset: below.start))
            }
            pieces.append(Piece(range: overlap, fileOffset: backup.copy &+ (overlap.start - backup.source.start)))
            if let above = PhysicalRange(start: overlap.end, end: range.end), !above.isEmpty {
                pieces.append(Piece(range: above, fileOffset: above.start))
            }
        }
        return pieces
    }
}
