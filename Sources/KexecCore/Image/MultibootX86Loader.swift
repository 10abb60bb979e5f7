/// Loads a Multiboot (v1) kernel — e.g. Xen, with dom0's kernel and initrd as `--module`s.
/// The kernel goes to the physical addresses of its ELF32 PT_LOADs (or of its header's
/// a.out-kludge fields); modules are page aligned below 4 GiB; purgatory verifies everything,
/// drops to 32-bit protected mode with paging off and jumps with EAX = 0x2BADB002 and
/// EBX = the multiboot information.
public struct MultibootX86Loader: ImageLoader {
    public let typeName = "multiboot-x86"
    public init() {}

    static let lowReserved = PhysicalRange(start: 0, size: 0x10_0000)!
    static let fourGiB: UInt64 = 1 << 32
    static let loaderName = "swift-kexec"
    /// Header flag bits 0-15 are requirements; these are the ones we can meet.
    static let understoodFlags = MultibootHeader.flagPageAlign | MultibootHeader.flagMemoryInfo | MultibootHeader.flagVideoMode

    public func probe(_ image: UnsafeRawBufferPointer) -> Bool { MultibootHeader.find(in: image) != nil }

    public func plan(_ request: LoadRequest, host: HostInfo) throws(KexecError) -> LoadPlan {
        let path = request.kernelPath
        guard let header = MultibootHeader.find(in: request.kernel.raw) else {
            throw KexecError(file: path, field: "multiboot header", "no magic \(hex(MultibootHeader.magic)) with a valid checksum in the first \(MultibootHeader.searchLimit) bytes; not a multiboot kernel")
        }
        let unknown = header.flags & 0xffff & ~Self.understoodFlags
        guard unknown == 0 else {
            throw KexecError(file: path, field: "multiboot flags", "\(hex(header.flags)) requires features \(hex(unknown)) this loader does not provide")
        }
        guard request.crash == nil else {
            throw KexecError(file: path, field: "-p", "kdump with a multiboot kernel is not supported; load a Linux bzImage as the capture kernel")
        }
        guard request.initrd == nil else {
            throw KexecError(file: path, field: "--initrd", "a multiboot kernel takes no initrd; pass it as --module=\"FILE ARGS\"")
        }
        let (kernelSegments, entry, format) = try Self.kernelSegments(request, header)
        var notes = ["\(path): multiboot header at \(hex(header.offset)), flags \(hex(header.flags)), \(format), entry \(hex(entry))"]
        if header.flags & MultibootHeader.flagVideoMode != 0 {
            notes.append("the kernel asks for a video mode; it keeps the current one (no framebuffer information is passed)")
        }
        var placer = Placer(ram: host.memoryMap.ram, reserved: [Self.lowReserved])
        for s in kernelSegments {
            guard s.memory.end <= Self.fourGiB, host.memoryMap.isRAM(s.memory), placer.free.contains(where: { $0.contains(s.memory) }) else {
                throw KexecError(file: path, field: "load address \(s.memory)",
                                 "expected System RAM above 1 MiB and below 4 GiB in the memory map (\(host.memoryMapSource))")
            }
            placer.take(s.memory)
            notes.append("kernel: \(s.dataSize) bytes at \(s.memory)")
        }
        var segments = kernelSegments
        var modules: [MultibootInfo.Module] = []
        let limit = min(request.memoryMax, Self.fourGiB)
        for m in request.modules {
            let size = max(UInt64(m.data.count).alignedUp(pageSize)!, pageSize)
            guard let at = placer.allocate(.init(size: size, min: max(request.memoryMin, 0x10_0000), max: limit)) else {
                throw KexecError(file: m.path, field: "module", "\(m.data.count) bytes do not fit in free RAM below 4 GiB (largest hole \(placer.largestHole(min: 0x10_0000, max: limit)))")
            }
            let range = PhysicalRange(start: at, size: UInt64(m.data.count))!
            modules.append(.init(range: range, string: m.string))
            segments.append(Segment(role: .module, data: m.data.count == 0 ? nil : m.data, memory: PhysicalRange(start: at, size: size)!))
            notes.append("module \"\(m.string)\": \(m.data.count) bytes at \(hex(at))")
        }
        // GRUB legacy and Xen read the image's name as the command line's first word.
        let commandLine = request.commandLine.isEmpty ? path : path + " " + request.commandLine
        let e820 = host.memoryMap.e820
        let infoSize = UInt64(MultibootInfo.size(commandLine: commandLine, loaderName: Self.loaderName,
                                                 modules: modules.map(\.string), mmapCount: e820.count)).alignedUp(pageSize)!
        guard let infoAt = placer.allocate(.init(size: infoSize, min: max(request.memoryMin, 0x10_0000), max: limit)) else {
            throw KexecError(field: "multiboot information", "no free RAM below 4 GiB for \(infoSize) bytes")
        }
        let info = MultibootInfo.build(at: infoAt, commandLine: commandLine, loaderName: Self.loaderName,
                                       modules: modules, e820: e820)
        segments.append(Segment(role: .bootParams, data: ByteStorage(info).all, memory: PhysicalRange(start: infoAt, size: infoSize)!))
        notes.append("multiboot information at \(hex(infoAt)): command line \"\(commandLine)\", \(modules.count) modules, \(e820.count) memory map entries")
        var plan = LoadPlan(imageType: typeName, kernelPath: path, segments: segments, entry: 0, kernelEntry: entry,
                            bootParamsAddress: infoAt, commandLine: commandLine, crash: false,
                            skipChecks: request.skipChecks, notes: notes)
        try LinuxBootTail.placePurgatory(&plan, request: request, placer: &placer, host: host,
                                         registers: PurgatoryHandOver(rip: entry, rax: UInt64(MultibootInfo.bootloaderMagic),
                                                                      rbx: infoAt, protectedMode32: true))
        return plan
    }

    /// The kernel's segments and entry from its ELF32 program headers, or from the header's
    /// address fields (flags bit 16), which take precedence as the specification says.
    static func kernelSegments(_ request: LoadRequest, _ h: MultibootHeader) throws(KexecError) -> ([Segment], UInt64, String) {
        let path = request.kernelPath
        if h.flags & MultibootHeader.flagAddresses != 0 {
            guard h.headerAddress >= h.loadAddress, UInt64(h.headerAddress - h.loadAddress) <= UInt64(h.offset) else {
                throw KexecError(file: path, field: "header_addr", "\(hex(h.headerAddress)) with load_addr \(hex(h.loadAddress)) puts the load start before the file's beginning")
            }
            let fileStart = h.offset - Int(h.headerAddress - h.loadAddress)
            let loadEnd = h.loadEndAddress == 0 ? UInt64(h.loadAddress) + UInt64(request.kernel.count - fileStart) : UInt64(h.loadEndAddress)
            guard loadEnd >= UInt64(h.loadAddress), loadEnd - UInt64(h.loadAddress) <= UInt64(request.kernel.count - fileStart) else {
                throw KexecError(file: path, field: "load_end_addr", "\(hex(loadEnd)) asks for more bytes than the file holds after offset \(hex(fileStart))")
            }
            let bssEnd = max(UInt64(h.bssEndAddress), loadEnd)
            guard h.loadAddress % UInt32(pageSize) == 0 else {
                throw KexecError(file: path, field: "load_addr", "\(hex(h.loadAddress)); expected a page-aligned address")
            }
            guard UInt64(h.entryAddress) >= UInt64(h.loadAddress), UInt64(h.entryAddress) < bssEnd else {
                throw KexecError(file: path, field: "entry_addr", "\(hex(h.entryAddress)) lies outside the loaded image \(hex(h.loadAddress))-\(hex(bssEnd))")
            }
            let size = Int(loadEnd - UInt64(h.loadAddress))
            let memory = PhysicalRange(start: UInt64(h.loadAddress), end: bssEnd.alignedUp(pageSize)!)!
            let data = size == 0 ? nil : request.kernel.storage.slice(request.kernel.offset + fileStart, size)
            return ([Segment(role: .kernel, data: data, memory: memory)], UInt64(h.entryAddress), "a.out kludge addresses")
        }
        do {
            let exe = try ElfExecutable.parse(request.kernel.raw, class64: false, machine: ELF32Header.EM_386, machineName: "EM_386")
            return (try exe.segments(file: request.kernel), exe.entry, "ELF32, \(exe.loads.count) PT_LOAD")
        } catch { throw error.inFile(path) }
    }
}
