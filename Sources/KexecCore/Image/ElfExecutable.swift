/// What the ELF-based loaders (elf-x86_64, multiboot-x86) need from an executable of either
/// class: its PT_LOAD segments by physical address and its entry point, validated.
public struct ElfExecutable: Sendable, Equatable {
    /// One PT_LOAD: `fileSize` bytes from `offset` go to `physicalAddress`, then zeros up to
    /// `memorySize`.
    public struct Load: Sendable, Equatable {
        public var physicalAddress: UInt64
        public var virtualAddress: UInt64
        public var offset: UInt64
        public var fileSize: UInt64
        public var memorySize: UInt64
        public var memory: PhysicalRange { PhysicalRange(start: physicalAddress, size: memorySize)! }
    }

    public var is64: Bool
    public var machine: UInt16
    /// The physical entry point (a virtual e_entry inside a PT_LOAD is translated).
    public var entry: UInt64
    public var loads: [Load]

    public static func looksLikeELF(_ raw: UnsafeRawBufferPointer) -> Bool {
        raw.count >= 16 && (0..<4).allSatisfy { raw[$0] == ELF.magic[$0] }
    }

    /// Parses and checks: class and machine as expected, ET_EXEC, PT_LOADs inside the file,
    /// not overlapping, the entry inside one of them.
    public static func parse(_ raw: UnsafeRawBufferPointer, class64: Bool, machine: UInt16, machineName: String) throws(KexecError) -> ElfExecutable {
        guard looksLikeELF(raw) else {
            throw KexecError(field: "e_ident", "no ELF magic (\\x7fELF) at offset 0; expected an ELF executable")
        }
        let wantClass = class64 ? ELF.ELFCLASS64 : ELF32Header.ELFCLASS32
        guard raw[4] == wantClass else {
            throw KexecError(field: "e_ident[EI_CLASS]", "is \(raw[4]); expected \(wantClass) (\(class64 ? "ELF64" : "ELF32"))")
        }
        guard raw[5] == ELF.ELFDATA2LSB else {
            throw KexecError(field: "e_ident[EI_DATA]", "is \(raw[5]); expected 1 (little-endian)")
        }
        var type: UInt16, fileMachine: UInt16, entry: UInt64
        var headers: [Load] = []
        if class64 {
            guard let h = ELF64Header.decode(from: raw, at: 0) else {
                throw KexecError(field: "ELF header", "file is \(raw.count) bytes; an ELF64 header needs \(ELF64Header.size)")
            }
            (type, fileMachine, entry) = (h.type, h.machine, h.entry)
            try checkEntrySize(Int(h.programHeaderEntrySize), count: h.programHeaderCount, expected: ELF64ProgramHeader.size)
            guard let phdrs = h.programHeaders(in: raw) else {
                throw KexecError(field: "e_phoff", "\(h.programHeaderCount) program headers at \(hex(h.programHeaderOffset)) do not fit in the \(raw.count)-byte file")
            }
            headers = phdrs.filter { $0.type == ELF.PT_LOAD }.map {
                Load(physicalAddress: $0.physicalAddress, virtualAddress: $0.virtualAddress, offset: $0.offset,
                     fileSize: $0.fileSize, memorySize: $0.memorySize)
            }
        } else {
            guard let h = ELF32Header.decode(from: raw) else {
                throw KexecError(field: "ELF header", "file is \(raw.count) bytes; an ELF32 header needs \(ELF32Header.size)")
            }
            (type, fileMachine, entry) = (h.type, h.machine, UInt64(h.entry))
            let entrySize = Int(h.programHeaderEntrySize)
            try checkEntrySize(entrySize, count: h.programHeaderCount, expected: ELF32ProgramHeader.size)
            for i in 0..<Int(h.programHeaderCount) {
                guard let ph = ELF32ProgramHeader.decode(from: raw, at: Int(h.programHeaderOffset) + i * entrySize) else {
                    throw KexecError(field: "e_phoff", "\(h.programHeaderCount) program headers at \(hex(h.programHeaderOffset)) do not fit in the \(raw.count)-byte file")
                }
                if ph.type == ELF.PT_LOAD {
                    headers.append(Load(physicalAddress: UInt64(ph.physicalAddress), virtualAddress: UInt64(ph.virtualAddress),
                                        offset: UInt64(ph.offset), fileSize: UInt64(ph.fileSize), memorySize: UInt64(ph.memorySize)))
                }
            }
        }
        guard type == ELF.ET_EXEC else {
            throw KexecError(field: "e_type", "is \(type); expected 2 (ET_EXEC, an executable)")
        }
        guard fileMachine == machine else {
            throw KexecError(field: "e_machine", "is \(fileMachine); expected \(machine) (\(machineName))")
        }
        // Only empty PT_LOADs are skipped: p_memsz 0 with file bytes is refused by `checked`.
        let loads = try checked(headers.filter { $0.memorySize > 0 || $0.fileSize > 0 }, fileSize: UInt64(raw.count))
        return ElfExecutable(is64: class64, machine: fileMachine, entry: try physicalEntry(entry, loads), loads: loads)
    }

    /// Program headers of another size would be read at the wrong offsets (the gABI fixes
    /// Elf64_Phdr at 56 bytes, Elf32_Phdr at 32); a file without any may say 0.
    static func checkEntrySize(_ size: Int, count: UInt16, expected: Int) throws(KexecError) {
        guard count == 0 || size == expected else {
            throw KexecError(field: "e_phentsize", "is \(size); expected \(expected) (the size of a program header)")
        }
    }

    static func checked(_ loads: [Load], fileSize: UInt64) throws(KexecError) -> [Load] {
        guard !loads.isEmpty else { throw KexecError(field: "program headers", "no PT_LOAD segment; nothing to load") }
        for (i, l) in loads.enumerated() {
            let name = "PT_LOAD \(i)"
            guard l.fileSize <= l.memorySize else {
                throw KexecError(field: name, "p_filesz \(hex(l.fileSize)) exceeds p_memsz \(hex(l.memorySize)); expected p_memsz at least p_filesz")
            }
            guard l.offset <= fileSize, l.fileSize <= fileSize - l.offset else {
                throw KexecError(field: name, "file bytes \(hex(l.offset))+\(hex(l.fileSize)) run past the end of the \(fileSize)-byte file (truncated?)")
            }
            let (end, overflow) = l.physicalAddress.addingReportingOverflow(l.memorySize)
            guard !overflow, end.alignedUp(pageSize) != nil else {
                throw KexecError(field: name, "p_paddr \(hex(l.physicalAddress)) + p_memsz \(hex(l.memorySize)) overflows 64 bits")
            }
        }
        let sorted = loads.sorted { $0.physicalAddress < $1.physicalAddress }
        for i in sorted.indices.dropFirst() where sorted[i - 1].memory.overlaps(sorted[i].memory) {
            throw KexecError(field: "program headers", "PT_LOAD \(sorted[i - 1].memory) and \(sorted[i].memory) overlap")
        }
        return sorted
    }

    static func physicalEntry(_ entry: UInt64, _ loads: [Load]) throws(KexecError) -> UInt64 {
        if loads.contains(where: { entry >= $0.physicalAddress && entry - $0.physicalAddress < $0.memorySize }) { return entry }
        if let l = loads.first(where: { entry >= $0.virtualAddress && entry - $0.virtualAddress < $0.memorySize }) {
            return l.physicalAddress + (entry - l.virtualAddress)
        }
        throw KexecError(field: "e_entry", "\(hex(entry)) lies outside every PT_LOAD segment; expected an entry inside the image")
    }

    /// kexec segments for the PT_LOADs: page-aligned ranges, the file bytes referenced without a
    /// copy where a PT_LOAD starts on a page of its own (the usual case); PT_LOADs sharing a
    /// page are merged into one buffer.
    public func segments(file: ByteSlice) throws(KexecError) -> [Segment] {
        var groups: [[Load]] = []
        for l in loads {
            if let last = groups.last?.last,
               (last.physicalAddress + last.memorySize).alignedUp(pageSize)! > l.physicalAddress.alignedDown(pageSize) {
                groups[groups.count - 1].append(l)
            } else {
                groups.append([l])
            }
        }
        var out: [Segment] = []
        for group in groups {
            let start = group[0].physicalAddress.alignedDown(pageSize)
            let end = group.map { ($0.physicalAddress + $0.memorySize).alignedUp(pageSize)! }.max()!
            let memory = PhysicalRange(start: start, end: end)!
            if group.count == 1, group[0].physicalAddress == start {
                let l = group[0]
                out.append(Segment(role: .kernel, data: l.fileSize == 0 ? nil : file.storage.slice(file.offset + Int(l.offset), Int(l.fileSize)), memory: memory))
                continue
            }
            let dataEnd = group.map { $0.physicalAddress + $0.fileSize }.max()! - start
            // A merged buffer holds the zero gaps between the PT_LOADs too; refuse absurd gaps.
            guard dataEnd <= UInt64(file.count) + (16 << 20) else {
                throw KexecError(field: "program headers", "PT_LOADs sharing a page at \(hex(start)) span \(dataEnd) bytes; expected them to lie close together")
            }
            var bytes = [UInt8](repeating: 0, count: Int(dataEnd))
            for l in group where l.fileSize > 0 {
                let from = file.raw[Int(l.offset)..<Int(l.offset + l.fileSize)]
                bytes.store(bytes: from, at: Int(l.physicalAddress - start))
            }
            out.append(Segment(role: .kernel, data: ByteStorage(bytes).all, memory: memory))
        }
        return out
    }
}
