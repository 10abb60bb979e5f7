import Testing
@testable import KexecCore

private func r(_ start: UInt64, _ end: UInt64) -> PhysicalRange { PhysicalRange(start: start, end: end)! }
private func n(_ start: UInt64, _ size: UInt64) -> PhysicalRange { PhysicalRange(start: start, size: size)! }

/// Decodes what `CoreHeaderBuilder.build` produced, checking the fixed Ehdr fields by offset.
private func parse(_ bytes: [UInt8]) throws -> [ELF64ProgramHeader] {
    try bytes.withUnsafeBytes { raw in
        let le = LittleEndianReader(raw)
        #expect(Array(bytes[0..<4]) == [0x7f, 0x45, 0x4c, 0x46])
        #expect(bytes[4] == 2 && bytes[5] == 1 && bytes[6] == 1 && bytes[7] == 0)   // ELFCLASS64, LSB, EV_CURRENT, SysV
        #expect(bytes[8..<16].allSatisfy { $0 == 0 })
        #expect(le.u16(16) == 4)            // ET_CORE
        #expect(le.u32(20) == 1)            // e_version
        #expect(le.u64(24) == 0)            // e_entry
        #expect(le.u64(32) == 64)           // e_phoff
        #expect(le.u64(40) == 0)            // e_shoff
        #expect(le.u32(48) == 0)            // e_flags
        #expect(le.u16(52) == 64)           // e_ehsize
        #expect(le.u16(54) == 56)           // e_phentsize
        #expect(le.u16(58) == 0 && le.u16(60) == 0 && le.u16(62) == 0)
        let header = try #require(ELF64Header.decode(from: raw, at: 0))
        #expect(header.isLittleEndian64)
        let phdrs = try #require(header.programHeaders(in: raw))
        // Nothing after the program headers but zero padding.
        #expect(bytes[(64 + phdrs.count * 56)...].allSatisfy { $0 == 0 })
        return phdrs
    }
}

/// The doc comment's worked example.
private let example = CrashDumpLayout(
    cpuNotes: [n(0x11fc1c000, 0x400), n(0x11fc5c000, 0x400)],
    vmcoreinfoNotes: [n(0x2b7a000, 0x1024)],
    kernelText: .init(physicalStart: 0x100_0000, virtualStart: 0xffff_ffff_8100_0000, size: 0x2e0_0000),
    memory: [r(0x100000, 0x7ffe0000), r(0x1000, 0x9fc00)],
    pageOffset: 0xffff_8880_0000_0000,
    backup: .init(source: r(0x1000, 0x9fc00), copy: 0x2f00_0000))

@Suite("ELF64 structures")
struct ELF64Tests {
    @Test func headerRoundTripsAtAnOffset() throws {
        var h = ELF64Header(type: ELF.ET_EXEC, machine: ELF.EM_X86_64)
        h.entry = 0x1000000
        h.programHeaderOffset = 64
        h.programHeaderCount = 2
        h.sectionHeaderOffset = 0x1234
        h.sectionHeaderEntrySize = 64
        h.sectionHeaderCount = 7
        h.sectionNameIndex = 6
        h.flags = 0xabcd
        var bytes = [UInt8](repeating: 0xee, count: 80)
        h.encode(into: &bytes, at: 8)
        #expect(bytes[0..<8].allSatisfy { $0 == 0xee } && bytes[72...].allSatisfy { $0 == 0xee })
        #expect(bytes[8 + 18] == 62 && bytes[8 + 16] == 2)
        let back = bytes.withUnsafeBytes { ELF64Header.decode(from: $0, at: 8) }
        #expect(back == h)
    }

    @Test func headerDecodeIsBoundsAndMagicChecked() {
        var bytes = [UInt8](repeating: 0, count: 64)
        ELF64Header(type: ELF.ET_CORE, machine: 62).encode(into: &bytes, at: 0)
        #expect(bytes.withUnsafeBytes { ELF64Header.decode(from: $0, at: 0) } != nil)
        #expect(bytes.withUnsafeBytes { ELF64Header.decode(from: $0, at: 1) } == nil)
        #expect(bytes.withUnsafeBytes { ELF64Header.decode(from: $0, at: -1) } == nil)
        #expect(Array(bytes[0..<63]).withUnsafeBytes { ELF64Header.decode(from: $0, at: 0) } == nil)
        bytes[1] = UInt8(ascii: "X")
        #expect(bytes.withUnsafeBytes { ELF64Header.decode(from: $0, at: 0) } == nil)
        var elf32 = [UInt8](repeating: 0, count: 64)
        ELF64Header(type: ELF.ET_EXEC, machine: 3).encode(into: &elf32, at: 0)
        elf32[4] = 1
        #expect(elf32.withUnsafeBytes { ELF64Header.decode(from: $0, at: 0) }?.isLittleEndian64 == false)
    }

    @Test func programHeaderLayoutIsByteExact() {
        let ph = ELF64ProgramHeader(type: ELF.PT_LOAD, flags: ELF.PF_R | ELF.PF_X, offset: 0x1122334455667788,
                                    virtualAddress: 0xffffffff81000000, physicalAddress: 0x1000000,
                                    fileSize: 0x10, memorySize: 0x20, alignment: 0x200000)
        var bytes = [UInt8](repeating: 0, count: 56)
        ph.encode(into: &bytes, at: 0)
        #expect(bytes[0..<8] == [1, 0, 0, 0, 5, 0, 0, 0])
        #expect(bytes[8..<16] == [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11])
        #expect(bytes[16..<24] == [0, 0, 0, 0x81, 0xff, 0xff, 0xff, 0xff])
        #expect(bytes[24..<32] == [0, 0, 0, 1, 0, 0, 0, 0])
        #expect(bytes[32] == 0x10 && bytes[40] == 0x20 && bytes[50] == 0x20)
        #expect(bytes.withUnsafeBytes { ELF64ProgramHeader.decode(from: $0, at: 0) } == ph)
        #expect(bytes.withUnsafeBytes { ELF64ProgramHeader.decode(from: $0, at: 1) } == nil)
        #expect(ph.containsVirtual(0xffffffff81000000) && ph.containsVirtual(0xffffffff8100001f))
        #expect(!ph.containsVirtual(0xffffffff81000020) && !ph.containsVirtual(0xffffffff80ffffff))
    }

    @Test func programHeaderTableMustFit() {
        var h = ELF64Header(type: ELF.ET_CORE, machine: 62)
        h.programHeaderOffset = 64
        h.programHeaderCount = 2
        var bytes = [UInt8](repeating: 0, count: 64 + 56 * 2)
        h.encode(into: &bytes, at: 0)
        #expect(bytes.withUnsafeBytes { h.programHeaders(in: $0) }?.count == 2)
        #expect(Array(bytes.dropLast()).withUnsafeBytes { h.programHeaders(in: $0) } == nil)
        h.programHeaderEntrySize = 32
        #expect(bytes.withUnsafeBytes { h.programHeaders(in: $0) } == nil)
        h.programHeaderOffset = .max
        h.programHeaderEntrySize = 56
        #expect(bytes.withUnsafeBytes { h.programHeaders(in: $0) } == nil)
    }

    @Test func noteHeader() {
        let note = ELF64NoteHeader(nameSize: 5, descriptorSize: 336, type: 1)   // "CORE\0", NT_PRSTATUS
        #expect(note.totalSize == 12 + 8 + 336)
        var bytes = [UInt8](repeating: 0, count: 12)
        note.encode(into: &bytes, at: 0)
        #expect(bytes == [5, 0, 0, 0, 0x50, 1, 0, 0, 1, 0, 0, 0])
        #expect(bytes.withUnsafeBytes { ELF64NoteHeader.decode(from: $0, at: 0) } == note)
        #expect(bytes.withUnsafeBytes { ELF64NoteHeader.decode(from: $0, at: 4) } == nil)
    }
}

@Suite("kdump ELF core header")
struct CoreHeaderTests {
    @Test func workedExample() throws {
        let bytes = CoreHeaderBuilder.build(example)
        #expect(bytes.count == 1024)
        #expect(CoreHeaderBuilder.size(for: example) == 1024)
        #expect(CoreHeaderBuilder.programHeaderCount(for: example) == 6)
        #expect(bytes[18] == 62)
        let ph = try parse(bytes)
        let rwx: UInt32 = 7
        #expect(ph == [
            .init(type: 4, offset: 0x11fc1c000, virtualAddress: 0, physicalAddress: 0x11fc1c000, fileSize: 0x400, memorySize: 0x400),
            .init(type: 4, offset: 0x11fc5c000, virtualAddress: 0, physicalAddress: 0x11fc5c000, fileSize: 0x400, memorySize: 0x400),
            .init(type: 4, offset: 0x2b7a000, virtualAddress: 0, physicalAddress: 0x2b7a000, fileSize: 0x1024, memorySize: 0x1024),
            .init(type: 1, flags: rwx, offset: 0x1000000, virtualAddress: 0xffffffff81000000, physicalAddress: 0x1000000,
                  fileSize: 0x2e00000, memorySize: 0x2e00000),
            .init(type: 1, flags: rwx, offset: 0x2f000000, virtualAddress: 0xffff888000001000, physicalAddress: 0x1000,
                  fileSize: 0x9ec00, memorySize: 0x9ec00),
            .init(type: 1, flags: rwx, offset: 0x100000, virtualAddress: 0xffff888000100000, physicalAddress: 0x100000,
                  fileSize: 0x7fee0000, memorySize: 0x7fee0000),
        ])
        // Byte-level spot checks of phdr 3 (the kernel text) at 64 + 3 * 56 = 232.
        #expect(bytes[232] == 1 && bytes[236] == 7)
        #expect(bytes[232 + 16..<232 + 24] == [0, 0, 0, 0x81, 0xff, 0xff, 0xff, 0xff])
        #expect(bytes.withUnsafeBytes { LittleEndianReader($0).u16(56) } == 6)
    }

    @Test func backupSplitsTheRangeItOverlaps() throws {
        var layout = CrashDumpLayout(cpuNotes: [], vmcoreinfoNotes: [], kernelText: nil,
                                     memory: [r(0, 0x100000), r(0x100000, 0x200000)], pageOffset: 0xffff_8880_0000_0000)
        layout.backup = .init(source: r(0x1000, 0xa0000), copy: 0x3000_0000)
        let ph = try parse(CoreHeaderBuilder.build(layout))
        #expect(ph.count == 4)
        #expect(CoreHeaderBuilder.programHeaderCount(for: layout) == 4)
        #expect(ph.map(\.physicalAddress) == [0, 0x1000, 0xa0000, 0x100000])
        #expect(ph.map(\.offset) == [0, 0x3000_0000, 0xa0000, 0x100000])
        #expect(ph.map(\.fileSize) == [0x1000, 0x9f000, 0x60000, 0x100000])
        #expect(ph.map(\.memorySize) == ph.map(\.fileSize))
        #expect(ph.map(\.virtualAddress) == [0xffff888000000000, 0xffff888000001000, 0xffff8880000a0000, 0xffff888000100000])
        #expect(ph.allSatisfy { $0.type == ELF.PT_LOAD && $0.flags == 7 })

        // A backup that starts inside the range: the copy offset follows the distance from the source start.
        layout.memory = [r(0x4000, 0x9fc00)]
        let shifted = try parse(CoreHeaderBuilder.build(layout))
        #expect(shifted.map(\.offset) == [0x3000_0000 + 0x3000])
        #expect(shifted.map(\.physicalAddress) == [0x4000])

        // The copy address never changes the size (the loader sizes with a placeholder).
        var placeholder = layout
        placeholder.backup?.copy = 0
        #expect(CoreHeaderBuilder.size(for: placeholder) == CoreHeaderBuilder.size(for: layout))
    }

    @Test func rangesAreSortedAndEmptyOnesDropped() throws {
        let layout = CrashDumpLayout(cpuNotes: [n(0x5000, 0x100)], vmcoreinfoNotes: [], kernelText: nil,
                                     memory: [r(0x300000, 0x400000), r(0x2000, 0x2000), r(0x100000, 0x200000)], pageOffset: 0x1000_0000)
        let ph = try parse(CoreHeaderBuilder.build(layout))
        #expect(ph.map(\.type) == [ELF.PT_NOTE, ELF.PT_LOAD, ELF.PT_LOAD])
        #expect(ph.dropFirst().map(\.physicalAddress) == [0x100000, 0x300000])
        #expect(ph.dropFirst().map(\.virtualAddress) == [0x10100000, 0x10300000])
        #expect(CoreHeaderBuilder.programHeaderCount(for: layout) == 3)
    }

    // 64 + 17 × 56 = 1016; 64 + 18 × 56 = 1072; 64 + 35 × 56 = 2024; 64 + 36 × 56 = 2080.
    @Test(arguments: [(0, 1024), (17, 1024), (18, 2048), (35, 2048), (36, 3072)])
    func sizeRoundsToOneKiB(_ count: Int, _ expected: Int) {
        #expect(CoreHeaderBuilder.size(programHeaderCount: count) == expected)
    }

    @Test func machineComesFromTheLayout() throws {
        var layout = example
        layout.machine = 3
        #expect(CoreHeaderBuilder.build(layout)[18] == 3)
        layout.kernelText = nil
        #expect(try parse(CoreHeaderBuilder.build(layout)).filter { $0.virtualAddress >= 0xffffffff80000000 }.isEmpty)
    }

    @Test func manyCPUsAndRanges() throws {
        let cpus = (0..<256).map { n(0x1_1fc0_0000 + UInt64($0) * 0x4_0000, 0x1a8) }
        // 600 ranges of 1 MiB every 2 MiB from 4 GiB, given in reverse order.
        let memory = (0..<600).reversed().map { r(0x1_0000_0000 + UInt64($0) << 21, 0x1_0000_0000 + UInt64($0) << 21 + 0x10_0000) }
        let layout = CrashDumpLayout(cpuNotes: cpus, vmcoreinfoNotes: [n(0x2b7a000, 0x1024)],
                                     kernelText: .init(physicalStart: 0x2a000000, virtualStart: 0xffffffff9a000000, size: 0x2c00000),
                                     memory: memory, pageOffset: 0xffff_9e4a_4000_0000)
        let bytes = CoreHeaderBuilder.build(layout)
        // 256 + 1 + 1 + 600 = 858 headers: 64 + 858 × 56 = 48112 → 47 KiB = 48128.
        #expect(CoreHeaderBuilder.programHeaderCount(for: layout) == 858)
        #expect(bytes.count == 48128 && CoreHeaderBuilder.size(for: layout) == 48128)
        let ph = try parse(bytes)
        #expect(ph.count == 858)
        #expect(ph[255].physicalAddress == 0x1_1fc0_0000 + 255 * 0x4_0000 && ph[255].fileSize == 0x1a8)
        #expect(ph[256].fileSize == 0x1024 && ph[257].virtualAddress == 0xffffffff9a000000)
        #expect(ph[258].physicalAddress == 0x1_0000_0000 && ph[258].virtualAddress == 0xffff_9e4b_4000_0000)
        let last = ph[857]
        #expect(last.physicalAddress == 0x1_0000_0000 + 599 << 21 && last.offset == last.physicalAddress)
        #expect(last.virtualAddress == last.physicalAddress + 0xffff_9e4a_4000_0000 && last.memorySize == 0x10_0000)
        #expect(zip(ph[258...], ph[259...]).allSatisfy { $0.physicalAddress < $1.physicalAddress })
    }
}
