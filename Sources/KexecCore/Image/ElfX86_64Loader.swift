/// Loads an x86_64 ELF kernel (e.g. an uncompressed vmlinux) at its PT_LOAD physical addresses.
/// `--args-linux` (default) passes a boot_params as the bzImage path does, so a vmlinux boots
/// with our command line and initrd; `--args-none` jumps to the entry with nothing. With `-p`
/// the PT_LOADs move into the crash reservation (see `moveIntoReservation`).
public struct ElfX86_64Loader: ImageLoader {
    public let typeName = "elf-x86_64"
    public init() {}

    public func probe(_ image: UnsafeRawBufferPointer) -> Bool {
        let r = LittleEndianReader(image)
        return ElfExecutable.looksLikeELF(image) && image[4] == ELF.ELFCLASS64
            && r.u16(16) == ELF.ET_EXEC && r.u16(18) == ELF.EM_X86_64
    }

    static func parse(_ raw: UnsafeRawBufferPointer) throws(KexecError) -> ElfExecutable {
        try ElfExecutable.parse(raw, class64: true, machine: ELF.EM_X86_64, machineName: "EM_X86_64")
    }

    public func plan(_ request: LoadRequest, host: HostInfo) throws(KexecError) -> LoadPlan {
        try request.checkCommonInputs()
        let exe: ElfExecutable
        var segments: [Segment]
        do {
            exe = try Self.parse(request.kernel.raw)
            segments = try exe.segments(file: request.kernel)
        } catch { throw error.inFile(request.kernelPath) }
        var notes = ["\(request.kernelPath): ELF64 x86_64 executable, \(exe.loads.count) PT_LOAD segments, entry \(hex(exe.entry)), arguments: \(request.elfArguments.rawValue)"]
        var placer: Placer
        var entry = exe.entry
        var crashParts: CrashParts?
        if let crash = request.crash {
            guard request.elfArguments == .linux else {
                throw KexecError(file: request.kernelPath, field: "--args-none",
                                 "a capture kernel needs boot_params (elfcorehdr= and its memory map); use --args-linux with -p")
            }
            placer = Placer(ram: CrashPlanning.freeMemory(host.memoryMap, reservations: crash.reservations))
            crashParts = try CrashParts.place(crash, host: host, placer: &placer, notes: &notes)
            entry = try Self.moveIntoReservation(&segments, entry: entry, placer: &placer, request: request, crash: crash, notes: &notes)
        } else {
            placer = Placer(normalLoad: host.memoryMap)
            try placer.claimFixed(segments, host: host, path: request.kernelPath, field: "PT_LOAD",
                                  expectation: "expected System RAM above 1 MiB in the memory map (\(host.memoryMapSource)); this kernel cannot be loaded at its physical address here")
        }
        for (i, s) in segments.enumerated() { notes.append("PT_LOAD \(i): \(s.dataSize) bytes at \(s.memory)") }
        let commandLine = request.commandLine + (crashParts?.commandLineSuffix ?? "")
        segments += crashParts?.segments ?? []
        var plan = LoadPlan(imageType: typeName, kernelPath: request.kernelPath, segments: segments,
                            entry: 0, kernelEntry: entry, bootParamsAddress: 0, commandLine: commandLine,
                            crash: request.crash != nil, crashHotplug: crashParts?.hotplug ?? false,
                            skipChecks: request.skipChecks, notes: notes)
        switch request.elfArguments {
        case .none:
            guard request.initrd == nil, request.commandLine.isEmpty else {
                throw KexecError(file: request.kernelPath, field: "--args-none",
                                 "passes no arguments, so --initrd and --append/--command-line would be lost; use --args-linux")
            }
            try LinuxBootTail.placePurgatory(&plan, request: request, placer: &placer, host: host,
                                             registers: PurgatoryHandOver(rip: entry))
        case .linux:
            let header = SetupHeader.forELFKernel
            guard commandLine.kernelBytes.count <= header.cmdlineSize else {
                throw KexecError(file: request.kernelPath, field: "command line",
                                 "is \(commandLine.kernelBytes.count) bytes\(crashParts == nil ? "" : " with elfcorehdr="); expected at most \(header.cmdlineSize) (COMMAND_LINE_SIZE)")
            }
            let initrd = try LinuxBootTail.placeInitrd(request, limit: request.memoryMax, placer: &placer,
                                                       tooLarge: request.crash.map { Self.tooLarge(request, segments: segments, $0) })
            if let initrd {
                plan.segments.append(initrd.segment)
                plan.notes.append("initrd \(initrd.range.size) bytes at \(hex(initrd.range.start))")
            }
            let builder = BootParamsBuilder(header: header, commandLine: commandLine, e820: crashParts?.e820 ?? host.memoryMap.e820, host: host)
            try LinuxBootTail.finish(&plan, request: request, builder: builder, initrd: initrd?.range,
                                     entry: entry, placer: &placer, host: host, backup: crashParts?.layout.backup)
        }
        return plan
    }
}

extension ElfX86_64Loader {
    /// The x86_64 kernel's own alignment rule: startup_64 runs from any 2 MiB-aligned
    /// physical address and works out phys_base itself (Linux arch/x86/kernel/head_64.S).
    static let physicalAlign: UInt64 = 2 << 20

    /// kdump: the PT_LOADs move as one block, keeping their offsets, to a 2 MiB-aligned
    /// address inside the reservation; returns the moved entry point.
    static func moveIntoReservation(_ segments: inout [Segment], entry: UInt64, placer: inout Placer,
                                    request: LoadRequest, crash: CrashInputs, notes: inout [String]) throws(KexecError) -> UInt64 {
        guard let low = segments.map(\.memory.start).min(), let high = segments.map(\.memory.end).max(),
              low % physicalAlign == 0 else {
            throw KexecError(file: request.kernelPath, field: "PT_LOAD",
                             "the lowest PT_LOAD is not 2 MiB aligned, so this kernel cannot run from the crash reservation")
        }
        guard let at = placer.allocate(.init(size: high - low, alignment: physicalAlign, min: request.memoryMin, max: request.memoryMax)) else {
            throw tooLarge(request, segments: segments, crash)
        }
        for i in segments.indices {
            segments[i].memory = PhysicalRange(start: segments[i].memory.start - low + at, size: segments[i].memory.size)!
        }
        notes.append("kdump: the PT_LOADs move from \(hex(low)) to \(hex(at)) inside the reservation (the kernel finds its physical base itself)")
        return entry - low + at
    }

    static func tooLarge(_ request: LoadRequest, segments: [Segment], _ crash: CrashInputs) -> KexecError {
        let span = (segments.map(\.memory.end).max() ?? 0) - (segments.map(\.memory.start).min() ?? 0)
        return crash.tooLarge(request, kernelMemory: span, what: "its PT_LOADs")
    }
}

extension SetupHeader {
    /// The setup header a vmlinux has no room for, as boot_params should carry it: protocol
    /// 2.15, LOADED_HIGH, 64-bit entry, initrd and command line anywhere (ext_ fields), and
    /// COMMAND_LINE_SIZE 2048. Source: Linux Documentation/arch/x86/boot.rst.
    static var forELFKernel: SetupHeader {
        typealias O = SetupHeaderOffset
        typealias C = SetupHeaderConstant
        var raw = [UInt8](repeating: 0, count: 0x268 - O.setupSects)
        func put<T: FixedWidthInteger>(_ v: T, _ at: Int) { raw.store(v, at: at - O.setupSects) }
        put(C.bootFlag, O.bootFlag)
        put(UInt16(0x66eb), O.jump)   // jmp over the header to 0x268, as a bzImage's does
        put(C.magic, O.header)
        put(UInt16(0x020f), O.version)
        put(C.loadedHigh, O.loadFlags)
        put(UInt32(0x7fff_ffff), O.initrdAddrMax)
        put(UInt32(0x20_0000), O.kernelAlignment)
        put(C.xlfKernel64 | C.xlfCanBeLoadedAbove4G, O.xloadflags)
        put(UInt32(2047), O.cmdlineSize)
        return SetupHeader(setupSects: 0, version: 0x020f, loadFlags: C.loadedHigh, initrdAddrMax: 0x7fff_ffff,
                           kernelAlignment: 0x20_0000, relocatable: false, xloadflags: C.xlfKernel64 | C.xlfCanBeLoadedAbove4G,
                           cmdlineSize: 2047, prefAddress: 0, initSize: 0, rawBytes: raw)
    }
}
