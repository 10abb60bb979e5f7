/// Loads a bzImage through its 64-bit entry point with our purgatory (kexec_load path).
/// Kernel aligned to kernel_alignment at or above max(1 MiB, pref_address), initrd at or
/// above 16 MiB: bottom-up for a normal load (see `Placer(normalLoad:)`), top-down inside a
/// crash reservation.
public struct BzImage64Loader: ImageLoader {
    public let typeName = "bzImage64"
    public init() {}


    public func probe(_ image: UnsafeRawBufferPointer) -> Bool {
        (try? BzImageHeaderParser.parse(image)) != nil
    }

    public func plan(_ request: LoadRequest, host: HostInfo) throws(KexecError) -> LoadPlan {
        try request.checkCommonInputs()
        let header: SetupHeader
        do { header = try BzImageHeaderParser.parse(request.kernel.raw) } catch { throw error.inFile(request.kernelPath) }
        var notes = ["\(request.kernelPath): bzImage protocol \(header.versionString), setup \(header.realModeSize) bytes, init_size \(hex(header.initSize)), kernel_alignment \(hex(header.kernelAlignment)), pref_address \(hex(header.prefAddress)), xloadflags \(hex(header.xloadflags))",
                     "memory map from \(host.memoryMapSource): \(host.memoryMap.entries.count) entries, \(host.memoryMap.ram.count) RAM ranges"]

        var placer = request.crash.map { Placer(ram: CrashPlanning.freeMemory(host.memoryMap, reservations: $0.reservations)) }
            ?? Placer(normalLoad: host.memoryMap)
        // kdump: the ELF core header and the low-memory backup come first, inside the reservation.
        var crashParts: CrashParts?
        if let crash = request.crash {
            crashParts = try CrashParts.place(crash, host: host, placer: &placer, notes: &notes)
        }
        let commandLine = request.commandLine + (crashParts?.commandLineSuffix ?? "")
        let cmdlineLength = commandLine.kernelBytes.count
        guard cmdlineLength <= header.cmdlineSize else {
            throw KexecError(file: request.kernelPath, field: "cmdline_size",
                             "the command line is \(cmdlineLength) bytes\(crashParts == nil ? "" : " with elfcorehdr="); this kernel accepts at most \(header.cmdlineSize)")
        }
        let lo = request.memoryMin, hi = request.memoryMax
        let body = request.kernel.storage.slice(request.kernel.offset + header.realModeSize,
                                                request.kernel.count - header.realModeSize)

        // Kernel: memory for in-place decompression, at its preferred alignment.
        let kernelMemory = (max(UInt64(header.initSize), UInt64(body.count))).alignedUp(pageSize)!
        let kernelAlign = max(UInt64(header.kernelAlignment), pageSize)
        let kernelMin = max(max(0x10_0000, header.prefAddress), lo)
        let kernelAt: UInt64
        if header.relocatable {
            guard let at = placer.allocateBelow4GFirst(size: kernelMemory, alignment: kernelAlign, min: kernelMin, max: hi) else {
                if let crash = request.crash { throw Self.tooLarge(request, kernelMemory: kernelMemory, crash) }
                throw KexecError(file: request.kernelPath, field: "init_size",
                                 "the kernel needs \(kernelMemory) bytes aligned to \(hex(kernelAlign)) at or above \(hex(kernelMin)); no free RAM hole is that large (largest \(placer.largestHole))")
            }
            kernelAt = at
        } else {
            guard let range = PhysicalRange(start: header.prefAddress, size: kernelMemory),
                  placer.free.contains(where: { $0.contains(range) }) else {
                throw KexecError(file: request.kernelPath, field: "relocatable_kernel",
                                 "the kernel is not relocatable and its pref_address \(hex(header.prefAddress)) + \(kernelMemory) bytes is not free RAM")
            }
            placer.take(range)
            kernelAt = header.prefAddress
        }
        var segments = Self.kernelSegments(body: body, at: kernelAt, memory: kernelMemory)
        segments += crashParts?.segments ?? []
        notes.append("kernel body \(body.count) bytes at \(hex(kernelAt)), memory \(kernelMemory) (init_size), entry \(hex(kernelAt + SetupHeaderConstant.entry64Offset)); segments \(segments.map { $0.memory.description }.joined(separator: " + "))")

        // initrd: below initrd_addr_max unless the kernel reads the ext_ramdisk fields.
        let initrdLimit = header.xloadflags & SetupHeaderConstant.xlfCanBeLoadedAbove4G != 0
            ? hi : min(hi, UInt64(header.initrdAddrMax) + 1)
        let initrd = try LinuxBootTail.placeInitrd(request, limit: initrdLimit, placer: &placer,
                                                   tooLarge: request.crash.map { Self.tooLarge(request, kernelMemory: kernelMemory, $0) })
        if let initrd {
            segments.append(initrd.segment)
            notes.append("initrd \(initrd.range.size) bytes at \(hex(initrd.range.start))")
        }

        // boot_params + command line + setup_data, then purgatory, both below 4 GiB.
        let e820 = crashParts.map { $0.e820 } ?? host.memoryMap.e820
        let builder = BootParamsBuilder(header: header, commandLine: commandLine, e820: e820, host: host)
        var plan = LoadPlan(imageType: typeName, kernelPath: request.kernelPath, segments: segments,
                            entry: 0, kernelEntry: 0, bootParamsAddress: 0, commandLine: commandLine,
                            crash: request.crash != nil, crashHotplug: crashParts?.hotplug ?? false,
                            skipChecks: request.skipChecks, notes: notes)
        try LinuxBootTail.finish(&plan, request: request, builder: builder, initrd: initrd?.range,
                                 entry: kernelAt + SetupHeaderConstant.entry64Offset, placer: &placer, host: host,
                                 backup: crashParts?.layout.backup)
        return plan
    }
}

extension BzImage64Loader {
    /// Room above the body for the decompressor's .bss (heap, stack, page tables): it is
    /// 64 KiB to 4 MiB of heap (4 MiB only for bzip2) plus well under 1 MiB of the rest.
    static let decompressorSlack: UInt64 = 8 << 20

    /// The init_size window [at, at + memory) is kept free by the placer, but only two parts
    /// of it are kexec destinations: the body, and the top of the window, where the
    /// decompressor copies itself (output + init_size - (_end - startup_32), Linux's
    /// compressed/head_64.S) and runs on its stack while the old kernel's identity page tables
    /// are still live. kexec then keeps its control pages and page tables out of both — which
    /// a body-only segment did not (it triple-faulted about 1 boot in 20) — while the kernel
    /// no longer zero-fills the ~40 MB in between, which nothing reads before it is written.
    static func kernelSegments(body: ByteSlice, at: UInt64, memory: UInt64) -> [Segment] {
        let bodyMemory = UInt64(body.count).alignedUp(pageSize)!
        let top = (bodyMemory + decompressorSlack).alignedUp(pageSize)!
        guard bodyMemory + top < memory else {
            return [Segment(role: .kernel, data: body, memory: PhysicalRange(start: at, size: memory)!)]
        }
        return [Segment(role: .kernel, data: body, memory: PhysicalRange(start: at, size: bodyMemory)!),
                Segment(role: .decompressorCopy, data: nil, memory: PhysicalRange(start: at + memory - top, size: top)!)]
    }
}

/// The kdump-only segments and the capture kernel's memory map.
struct CrashParts {
    var header: Segment
    var backup: Segment?
    var layout: CrashDumpLayout
    var e820: [E820Entry]
    /// The kernel may rewrite `header` on hotplug: not digested, KEXEC_UPDATE_ELFCOREHDR.
    var hotplug = false

    /// The kdump-only segments to load with the kernel.
    var segments: [Segment] { [header, backup].compactMap { $0 } }
    /// Appended to the capture kernel's command line: where its ELF core header is.
    var commandLineSuffix: String { " elfcorehdr=\(header.memory.start >> 10)K" }
}

extension CrashInputs {
    /// One sentence with both sizes, so the user knows how much crashkernel= to ask for.
    /// `what` says where the kernel's size comes from ("init_size", "its PT_LOADs").
    func tooLarge(_ request: LoadRequest, kernelMemory: UInt64, what: String) -> KexecError {
        let total = reservations.reduce(0) { $0 + $1.size }
        let initrd = request.initrd.map { " and the initrd \($0.count) bytes" } ?? ""
        return KexecError(file: request.kernelPath, field: "crash reservation",
                          "the capture kernel needs \(kernelMemory) bytes (\(what))\(initrd), but the crash reservation is \(total) bytes (\(total >> 20) MiB); reserve more with crashkernel= or use a smaller kernel or initrd")
    }
}

extension BzImage64Loader {
    static func tooLarge(_ request: LoadRequest, kernelMemory: UInt64, _ crash: CrashInputs) -> KexecError {
        crash.tooLarge(request, kernelMemory: kernelMemory, what: "init_size")
    }
}

extension Placer {
    /// Prefers memory below 4 GiB (which every boot path can reach), then any RAM up to `max`.
    mutating func allocateBelow4GFirst(size: UInt64, alignment: UInt64, min: UInt64, max: UInt64) -> UInt64? {
        if let at = allocate(.init(size: size, alignment: alignment, min: min, max: Swift.min(max, Self.fourGiB))) { return at }
        return allocate(.init(size: size, alignment: alignment, min: min, max: max))
    }

    func largestHole(min: UInt64, max: UInt64) -> UInt64 {
        free.compactMap { PhysicalRange(start: Swift.max($0.start, min), end: Swift.min($0.end, max)) }.map(\.size).max() ?? 0
    }
}

extension LoadPlan {
    /// Digests every data segment, fills purgatory's parameter block and adds its segment.
    mutating func attachPurgatory(at address: UInt64, handOver: PurgatoryHandOver, host: HostInfo,
                                  backup: CrashDumpLayout.Backup? = nil, corruptDigest: Bool = false,
                                  serial: PurgatorySerial = PurgatorySerial()) throws(KexecError) {
        self.handOver = handOver
        var p = PurgatoryParameters()
        p.serialPort = serial.port
        p.progress = serial.progress
        purgatoryConsole = serial.progress ? serial.port : nil
        if let backup {
            p.backupSource = backup.source.start
            p.backupDestination = backup.copy
            p.backupLength = backup.source.size
        }
        p.rsi = handOver.rsi
        p.rip = handOver.rip
        p.rax = handOver.rax
        p.rbx = handOver.rbx
        p.protectedMode32 = handOver.protectedMode32
        p.skipChecks = skipChecks
        if !skipChecks {
            for i in segments.indices {
                guard let data = segments[i].data, data.count > 0 else { continue }
                // The kernel rewrites this one on hotplug: a digest would stop the capture.
                if crashHotplug && segments[i].role == .elfCoreHeader { continue }
                let digest = Digest.sha256(data.raw)
                segments[i].digest = digest
                p.regions.append(.init(start: segments[i].memory.start, length: UInt64(data.count), sha256: digest))
            }
            guard p.regions.count <= PurgatoryParameters.maxRegions else {
                throw KexecError(field: "segments", "\(p.regions.count) segments to verify; purgatory holds at most \(PurgatoryParameters.maxRegions)")
            }
        }
        if corruptDigest, !p.regions.isEmpty {
            p.regions[0].sha256[0] ^= 0xff
            notes.append("--test-corrupt-digest: region 0's digest is wrong on purpose; purgatory must refuse to jump")
        }
        let blob = Purgatory.image(with: p)
        segments.append(Segment(role: .purgatory, data: ByteStorage(blob).all,
                                memory: PhysicalRange(start: address, size: Purgatory.memorySize)!))
        notes.append("purgatory \(blob.count) bytes at \(hex(address)), entry \(hex(entry)), verifies \(p.regions.count) regions\(skipChecks ? " (checks skipped: -i)" : "")")
        try SegmentRules.check(segments, memoryMap: host.memoryMap)
    }
}

extension CrashParts {
    /// Places the low-memory backup and the ELF core header inside the reservation (the
    /// first allocations of a kdump load) and derives the capture kernel's e820.
    static func place(_ crash: CrashInputs, host: HostInfo, placer: inout Placer,
                      notes: inout [String]) throws(KexecError) -> CrashParts {
        var layout = crash.layout
        let reservation = crash.reservations.map(\.description).joined(separator: " ")
        var backup: Segment?
        if let source = CrashPlanning.backupSource(host.memoryMap) {
            let size = source.size.alignedUp(pageSize)!
            guard let at = placer.allocate(.init(size: size)) else {
                throw KexecError(field: "crash reservation", "no room for the \(size)-byte low-memory backup in \(reservation)")
            }
            layout.backup = .init(source: source, copy: at)
            backup = Segment(role: .backup, data: nil, memory: PhysicalRange(start: at, size: size)!)
            notes.append("backup of low memory \(source) goes to \(hex(at)) (purgatory copies it)")
        }
        let headerSize = CoreHeaderBuilder.segmentSize(for: layout, hotplugHeaderBytes: crash.hotplugHeaderBytes)
        guard let headerAt = placer.allocate(.init(size: headerSize)) else {
            throw KexecError(field: "crash reservation", "no room for the \(headerSize)-byte ELF core header in \(reservation)")
        }
        let bytes = CoreHeaderBuilder.build(layout)
        let header = Segment(role: .elfCoreHeader, data: ByteStorage(bytes).all, memory: PhysicalRange(start: headerAt, size: headerSize)!)
        notes.append("ELF core header at \(hex(headerAt)): \(layout.cpuNotes.count) CPU notes, \(layout.vmcoreinfoNotes.count) vmcoreinfo, \(layout.memory.count) memory ranges")
        if let max = crash.hotplugHeaderBytes {
            notes.append("crash hotplug: the kernel may rewrite the ELF core header when CPUs or memory change (KEXEC_UPDATE_ELFCOREHDR); its segment holds \(headerSize) bytes (crash_elfcorehdr_size \(max)) and purgatory does not check it")
        }
        if !crash.cmaRanges.isEmpty {
            let bytes = crash.cmaRanges.reduce(UInt64(0)) { $0 + $1.size }
            notes.append("crash CMA: \(crash.cmaRanges.map(\.description).joined(separator: " ")) (\(bytes >> 20) MiB) is RAM for the capture kernel and left out of the dump")
        }
        let e820 = CrashPlanning.captureE820(host.memoryMap, reservations: crash.reservations, cma: crash.cmaRanges,
                                             backupSource: layout.backup?.source,
                                             exclude: [header.memory] + [backup?.memory].compactMap { $0 })
        return CrashParts(header: header, backup: backup, layout: layout, e820: e820,
                          hotplug: crash.hotplugHeaderBytes != nil)
    }
}
