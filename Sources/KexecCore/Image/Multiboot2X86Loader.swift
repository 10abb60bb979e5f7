/// Loads a Multiboot2 kernel (Xen carries a multiboot2 header too). Header tags are honoured:
/// required information requests must be satisfiable, the address and entry tags override
/// the ELF headers, a relocatable tag moves the image per its preference (and the load base
/// is reported), modules are page aligned. The information carries the command line, boot
/// loader name, modules, basic memory, the memory map, the load base, and — what kexec-tools
/// leaves out — the ACPI RSDP and the EFI 64-bit system table when the host has them.
public struct Multiboot2X86Loader: ImageLoader {
    public let typeName = "multiboot2-x86"
    public init() {}

    typealias MB1 = MultibootX86Loader
    /// Information types this loader can put in the boot information (see Multiboot2Info).
    static func providable(_ host: HostInfo) -> Set<UInt32> {
        var types: Set<UInt32> = [1, 2, 3, 4, 6, 21]
        if let rsdp = host.acpiRSDPTable { types.formUnion(rsdp.count > 20 ? [14, 15] : [14]) }
        if host.efiSystemTable != nil { types.insert(11) }
        return types
    }

    public func probe(_ image: UnsafeRawBufferPointer) -> Bool { Multiboot2Header.find(in: image) != nil }

    public func plan(_ request: LoadRequest, host: HostInfo) throws(KexecError) -> LoadPlan {
        try request.checkCommonInputs()
        let path = request.kernelPath
        guard var header = Multiboot2Header.find(in: request.kernel.raw) else {
            throw KexecError(file: path, field: "multiboot2 header", "no magic \(hex(Multiboot2Header.magic)) with a valid checksum in the first \(Multiboot2Header.searchLimit) bytes; not a multiboot2 kernel")
        }
        do { try header.readTags(request.kernel.raw) } catch { throw error.inFile(path) }
        guard header.architecture == 0 else {
            throw KexecError(file: path, field: "multiboot2 architecture", "is \(header.architecture); expected 0 (i386 protected mode)")
        }
        try MB1.refuseCrashAndInitrd(request)
        try Self.checkRequirements(header, host: host, path: path)

        var addresses: LoadAddresses?
        if let t = header.tag(2) {
            guard let h = t.u32(0), let l = t.u32(1), let e = t.u32(2), let b = t.u32(3) else {
                throw KexecError(file: path, field: "multiboot2 address tag", "is \(t.body.count + 8) bytes; expected 24")
            }
            addresses = LoadAddresses(header: h, load: l, loadEnd: e, bssEnd: b, entry: header.tag(3)?.u32(0))
        }
        var (segments, entry, format) = try MB1.kernelSegments(request, headerOffset: header.offset, addresses: addresses, allowELF64: true)
        if addresses == nil, let t = header.tag(3) {
            guard let e = t.u32(0) else { throw KexecError(file: path, field: "multiboot2 entry tag", "has no entry_addr") }
            entry = UInt64(e)
        }
        var notes = ["\(path): multiboot2 header at \(hex(header.offset)), tags \(header.tags.map { String($0.type) }.joined(separator: ",")), \(format), entry \(hex(entry))"]
        var placer = Placer(normalLoad: host.memoryMap)
        var loadBase: UInt64?
        if let r = header.relocation {
            let moved = try Self.relocate(segments, entry: entry, r, placer: placer, path: path)
            (segments, entry, loadBase) = (moved.segments, moved.entry, moved.base)
            notes.append("relocatable (min \(hex(r.minimum)), max \(hex(r.maximum)), align \(hex(r.alignment)), preference \(r.preference)): load base \(hex(moved.base)), entry \(hex(entry))")
        }
        try MB1.take(segments, placer: &placer, host: host, path: path, notes: &notes)
        let (moduleSegments, modules) = try MB1.placeModules(request, placer: &placer, notes: &notes)
        // As with multiboot v1, the image's name comes first (Xen drops it for any boot loader
        // not named "GRUB 2").
        let commandLine = request.commandLine.isEmpty ? path : path + " " + request.commandLine
        let inputs = Multiboot2Info.Inputs(commandLine: commandLine, loaderName: MB1.loaderName, modules: modules,
                                           e820: host.memoryMap.e820, loadBase: loadBase,
                                           acpiRSDP: host.acpiRSDPTable, efiSystemTable: host.efiSystemTable)
        notes.append("multiboot2 information: command line \"\(commandLine)\", \(modules.count) modules, \(inputs.e820.count) memory map entries\(inputs.acpiRSDP == nil ? "" : ", ACPI RSDP")\(inputs.efiSystemTable == nil ? "" : ", EFI system table")")
        return try MB1.finish(typeName: typeName, request: request, segments: segments + moduleSegments, entry: entry,
                              commandLine: commandLine, infoSize: Multiboot2Info.size(inputs), magic: Multiboot2Info.bootloaderMagic,
                              placer: &placer, host: host, notes: notes) { _ in Multiboot2Info.build(inputs) }
    }

    /// Required tags this loader cannot honour are refused, as the specification asks.
    static func checkRequirements(_ header: Multiboot2Header, host: HostInfo, path: String) throws(KexecError) {
        let understood: Set<UInt16> = [1, 2, 3, 4, 6, 8, 9, 10]
        for t in header.tags where !t.optional && !understood.contains(t.type) {
            throw KexecError(file: path, field: "multiboot2 tag \(t.type)", "is required by the kernel but this loader cannot honour it (framebuffer/EFI boot services)")
        }
        if let request = header.tag(1), !request.optional {
            let have = providable(host)
            for i in 0..<(request.body.count / 4) {
                if let type = request.u32(i), !have.contains(type) {
                    throw KexecError(file: path, field: "multiboot2 information request", "requires information type \(type), which this loader cannot provide here")
                }
            }
        }
    }

    /// Moves the image (all segments by one offset) to a free, aligned place in
    /// [min_addr, max_addr] chosen by the preference (2: highest, otherwise lowest).
    static func relocate(_ segments: [Segment], entry: UInt64, _ r: Multiboot2Header.Relocation, placer: Placer,
                         path: String) throws(KexecError) -> (segments: [Segment], entry: UInt64, base: UInt64) {
        let low = segments.map(\.memory.start).min()!, high = segments.map(\.memory.end).max()!
        // The entry moves with the image, so it must lie inside it (an entry tag can point
        // anywhere; below the image it would also underflow).
        guard entry >= low, entry < high else {
            throw KexecError(file: path, field: "multiboot2 entry", "\(hex(entry)) is outside the relocatable image [\(hex(low))-\(hex(high - 1))]; expected an entry inside it")
        }
        let alignment = max(UInt64(r.alignment), pageSize)
        guard alignment.nonzeroBitCount == 1 else {
            throw KexecError(file: path, field: "multiboot2 relocatable tag", "align \(hex(r.alignment)); expected a power of two")
        }
        let request = Placer.Request(size: high - low, alignment: alignment, min: UInt64(r.minimum),
                                     max: UInt64(r.maximum) + 1, topDown: r.preference == 2)
        guard let base = placer.find(request) else {
            throw KexecError(file: path, field: "multiboot2 relocatable tag", "no free RAM hole of \(high - low) bytes aligned to \(hex(alignment)) between \(hex(r.minimum)) and \(hex(r.maximum))")
        }
        let moved = segments.map { s in
            var m = s
            m.memory = PhysicalRange(start: s.memory.start - low + base, size: s.memory.size)!
            return m
        }
        return (moved, entry - low + base, base)
    }
}
