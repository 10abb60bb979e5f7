/// Loads a Multiboot (v1) kernel — e.g. Xen, with dom0's kernel and initrd as `--module`s.
/// The kernel goes to the physical addresses of its ELF32 PT_LOADs (or of its header's
/// a.out-kludge fields); modules are page aligned below 4 GiB; purgatory verifies everything,
/// drops to 32-bit protected mode with paging off and jumps with EAX = 0x2BADB002 and
/// EBX = the multiboot information.
public struct MultibootX86Loader: ImageLoader {
    public let typeName = "multiboot-x86"
    public init() {}

    static let fourGiB = Placer.fourGiB
    static let loaderName = "swift-kexec"
    /// Header flag bits 0-15 are requirements; these are the ones we can meet.
    static let understoodFlags = MultibootHeader.flagPageAlign | MultibootHeader.flagMemoryInfo | MultibootHeader.flagVideoMode

    public func probe(_ image: UnsafeRawBufferPointer) -> Bool { MultibootHeader.find(in: image) != nil }

    public func plan(_ request: LoadRequest, host: HostInfo) throws(KexecError) -> LoadPlan {
        try request.checkCommonInputs()
        let path = request.kernelPath
        guard let header = MultibootHeader.find(in: request.kernel.raw) else {
            throw KexecError(file: path, field: "multiboot header", "no magic \(hex(MultibootHeader.magic)) with a valid checksum in the first \(MultibootHeader.searchLimit) bytes; not a multiboot kernel")
        }
        let unknown = header.flags & 0xffff & ~Self.understoodFlags
        guard unknown == 0 else {
            throw KexecError(file: path, field: "multiboot flags", "\(hex(header.flags)) requires features \(hex(unknown)) this loader does not provide")
        }
        try Self.refuseCrashAndInitrd(request)
        let addresses = header.flags & MultibootHeader.flagAddresses == 0 ? nil
            : LoadAddresses(header: header.headerAddress, load: header.loadAddress, loadEnd: header.loadEndAddress,
                            bssEnd: header.bssEndAddress, entry: header.entryAddress)
        let (kernelSegments, entry, format) = try Self.kernelSegments(request, headerOffset: header.offset, addresses: addresses)
        var notes = ["\(path): multiboot header at \(hex(header.offset)), flags \(hex(header.flags)), \(format), entry \(hex(entry))"]
        if header.flags & MultibootHeader.flagVideoMode != 0 {
            notes.append("the kernel asks for a video mode; it keeps the current one (no framebuffer information is passed)")
        }
        var placer = Placer(normalLoad: host.memoryMap)
        try Self.take(kernelSegments, placer: &placer, host: host, path: path, notes: &notes)
        let (moduleSegments, modules) = try Self.placeModules(request, placer: &placer, notes: &notes)
        // GRUB legacy and Xen read the image's name as the command line's first word.
        let commandLine = request.commandLine.isEmpty ? path : path + " " + request.commandLine
        let e820 = host.memoryMap.e820
        let infoSize = MultibootInfo.size(commandLine: commandLine, loaderName: Self.loaderName,
                                          modules: modules.map(\.string), mmapCount: e820.count)
        notes.append("multiboot information: command line \"\(commandLine)\", \(modules.count) modules, \(e820.count) memory map entries")
        return try Self.finish(typeName: typeName, request: request, segments: kernelSegments + moduleSegments, entry: entry,
                               commandLine: commandLine, infoSize: infoSize, magic: MultibootInfo.bootloaderMagic,
                               placer: &placer, host: host, notes: notes) { at in
            MultibootInfo.build(at: at, commandLine: commandLine, loaderName: Self.loaderName, modules: modules, e820: e820)
        }
    }

    /// Places the boot information below 4 GiB, then purgatory, which leaves in 32-bit
    /// protected mode with EAX = `magic` and EBX = the information.
    static func finish(typeName: String, request: LoadRequest, segments: [Segment], entry: UInt64, commandLine: String,
                       infoSize: Int, magic: UInt32, placer: inout Placer, host: HostInfo, notes: [String],
                       info: (UInt64) -> [UInt8]) throws(KexecError) -> LoadPlan {
        let memory = UInt64(infoSize).alignedUp(pageSize)!
        guard let infoAt = placer.allocate(.init(size: memory, min: max(request.memoryMin, 0x10_0000), max: min(request.memoryMax, fourGiB))) else {
            throw KexecError(field: "multiboot information", "no free RAM below 4 GiB for \(memory) bytes")
        }
        let bytes = info(infoAt)
        var plan = LoadPlan(imageType: typeName, kernelPath: request.kernelPath,
                            segments: segments + [Segment(role: .bootParams, data: ByteStorage(bytes).all, memory: PhysicalRange(start: infoAt, size: memory)!)],
                            entry: 0, kernelEntry: entry, bootParamsAddress: infoAt, commandLine: commandLine, crash: false,
                            skipChecks: request.skipChecks, notes: notes + ["boot information at \(hex(infoAt)) (\(bytes.count) bytes)"])
        try LinuxBootTail.placePurgatory(&plan, request: request, placer: &placer, host: host,
                                         registers: PurgatoryHandOver(rip: entry, rax: UInt64(magic), rbx: infoAt, protectedMode32: true))
        return plan
    }

    /// The kernel's segments and entry from explicit load addresses (multiboot's a.out kludge,
    /// multiboot2's address tag), which take precedence over an ELF header as both
    /// specifications say, or else from its ELF program headers.
    static func kernelSegments(_ request: LoadRequest, headerOffset: Int, addresses a: LoadAddresses?,
                               allowELF64: Bool = false) throws(KexecError) -> ([Segment], UInt64, String) {
        let path = request.kernelPath
        if let a {
            guard a.header >= a.load, UInt64(a.header - a.load) <= UInt64(headerOffset) else {
                throw KexecError(file: path, field: "header_addr", "\(hex(a.header)) with load_addr \(hex(a.load)) puts the load start before the file's beginning")
            }
            let fileStart = headerOffset - Int(a.header - a.load)
            let loadEnd = a.loadEnd == 0 ? UInt64(a.load) + UInt64(request.kernel.count - fileStart) : UInt64(a.loadEnd)
            guard loadEnd >= UInt64(a.load), loadEnd - UInt64(a.load) <= UInt64(request.kernel.count - fileStart) else {
                throw KexecError(file: path, field: "load_end_addr", "\(hex(loadEnd)) asks for more bytes than the file holds after offset \(hex(fileStart))")
            }
            let bssEnd = max(UInt64(a.bssEnd), loadEnd)
            guard a.load % UInt32(pageSize) == 0 else {
                throw KexecError(file: path, field: "load_addr", "\(hex(a.load)); expected a page-aligned address")
            }
            if let entry = a.entry {
                guard UInt64(entry) >= UInt64(a.load), UInt64(entry) < bssEnd else {
                    throw KexecError(file: path, field: "entry_addr", "\(hex(entry)) lies outside the loaded image \(hex(a.load))-\(hex(bssEnd))")
                }
            }
            let size = Int(loadEnd - UInt64(a.load))
            let memory = PhysicalRange(start: UInt64(a.load), end: max(bssEnd, UInt64(a.load) + 1).alignedUp(pageSize)!)!
            let data = size == 0 ? nil : request.kernel.storage.slice(request.kernel.offset + fileStart, size)
            return ([Segment(role: .kernel, data: data, memory: memory)], UInt64(a.entry ?? a.load), "load addresses from the header")
        }
        do {
            let raw = request.kernel.raw
            let is64 = allowELF64 && raw.count > 4 && raw[4] == ELF.ELFCLASS64
            let exe = try ElfExecutable.parse(raw, class64: is64, machine: is64 ? ELF.EM_X86_64 : ELF32Header.EM_386,
                                              machineName: is64 ? "EM_X86_64" : "EM_386")
            return (try exe.segments(file: request.kernel), exe.entry, "\(is64 ? "ELF64" : "ELF32"), \(exe.loads.count) PT_LOAD")
        } catch { throw error.inFile(path) }
    }

    static func refuseCrashAndInitrd(_ request: LoadRequest) throws(KexecError) {
        guard request.crash == nil else {
            throw KexecError(file: request.kernelPath, field: "-p", "kdump with a multiboot kernel is not supported; load a Linux bzImage as the capture kernel")
        }
        guard request.initrd == nil else {
            throw KexecError(file: request.kernelPath, field: "--initrd", "a multiboot kernel takes no initrd; pass it as --module=\"FILE ARGS\"")
        }
    }

    /// Claims the kernel's fixed addresses: RAM above 1 MiB and below 4 GiB.
    static func take(_ segments: [Segment], placer: inout Placer, host: HostInfo, path: String, notes: inout [String]) throws(KexecError) {
        try placer.claimFixed(segments, host: host, path: path, field: "load address", limit: fourGiB,
                              expectation: "expected System RAM above 1 MiB and below 4 GiB in the memory map (\(host.memoryMapSource))")
        for s in segments { notes.append("kernel: \(s.dataSize) bytes at \(s.memory)") }
    }

    /// Each module page aligned below 4 GiB, in the placer's order (bottom-up), with its string.
    static func placeModules(_ request: LoadRequest, placer: inout Placer, notes: inout [String]) throws(KexecError) -> ([Segment], [MultibootInfo.Module]) {
        let limit = min(request.memoryMax, fourGiB)
        var segments: [Segment] = [], modules: [MultibootInfo.Module] = []
        for m in request.modules {
            let size = max(UInt64(m.data.count).alignedUp(pageSize)!, pageSize)
            guard let at = placer.allocate(.init(size: size, min: max(request.memoryMin, 0x10_0000), max: limit)) else {
                throw KexecError(file: m.path, field: "module", "\(m.data.count) bytes do not fit in free RAM below 4 GiB (largest hole \(placer.largestHole(min: 0x10_0000, max: limit)))")
            }
            modules.append(.init(range: PhysicalRange(start: at, size: UInt64(m.data.count))!, string: m.string))
            segments.append(Segment(role: .module, data: m.data.count == 0 ? nil : m.data, memory: PhysicalRange(start: at, size: size)!))
            notes.append("module \"\(m.string)\": \(m.data.count) bytes at \(hex(at))")
        }
        return (segments, modules)
    }
}

/// Explicit load addresses from a multiboot header (all physical, 32-bit).
struct LoadAddresses {
    var header: UInt32, load: UInt32, loadEnd: UInt32, bssEnd: UInt32
    var entry: UInt32?
}
