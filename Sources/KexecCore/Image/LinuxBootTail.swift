/// The steps of a Linux boot that do not depend on how the kernel itself got into memory
/// (bzImage body or ELF PT_LOADs): the initrd, boot_params with the command line, and
/// purgatory handing over with rsi = boot_params.
enum LinuxBootTail {
    static let initrdMinimum: UInt64 = 16 << 20
    static let fourGiB = Placer.fourGiB

    /// Places the initrd page aligned at or above 16 MiB and below `limit`, preferring memory
    /// below 4 GiB. `tooLarge` gives the error for a crash load (which names the reservation).
    static func placeInitrd(_ request: LoadRequest, limit: UInt64, placer: inout Placer,
                            tooLarge: KexecError? = nil) throws(KexecError) -> (segment: Segment, range: PhysicalRange)? {
        guard let initrd = request.initrd else { return nil }
        let size = UInt64(initrd.count).alignedUp(pageSize)!
        let initrdMin = max(initrdMinimum, request.memoryMin)
        guard size > 0, let at = placer.allocateBelow4GFirst(size: size, alignment: pageSize, min: initrdMin, max: limit) else {
            if let tooLarge { throw tooLarge }
            throw KexecError(file: request.initrdPath ?? "initrd", field: "size",
                             "the initrd is \(initrd.count) bytes; the largest free RAM hole between \(hex(initrdMin)) and \(hex(limit)) is \(placer.largestHole(min: initrdMin, max: limit)) bytes")
        }
        return (Segment(role: .initrd, data: initrd, memory: PhysicalRange(start: at, size: size)!),
                PhysicalRange(start: at, size: UInt64(initrd.count))!)
    }

    /// Builds and places boot_params below 4 GiB, then purgatory, which verifies every segment
    /// and jumps to `entry` with rsi = boot_params.
    static func finish(_ plan: inout LoadPlan, request: LoadRequest, builder: BootParamsBuilder, initrd: PhysicalRange?,
                       entry: UInt64, placer: inout Placer, host: HostInfo, backup: CrashDumpLayout.Backup? = nil) throws(KexecError) {
        let limit = min(request.memoryMax, fourGiB)
        let paramsMemory = UInt64(builder.size).alignedUp(pageSize)!
        guard let paramsAt = placer.allocate(.init(size: paramsMemory, min: request.memoryMin, max: limit)) else {
            throw KexecError(field: "boot_params", "no free RAM below 4 GiB for \(paramsMemory) bytes of boot parameters")
        }
        let params = builder.build(at: paramsAt, initrd: initrd)
        plan.segments.append(Segment(role: .bootParams, data: ByteStorage(params).all, memory: PhysicalRange(start: paramsAt, size: paramsMemory)!))
        plan.bootParamsAddress = paramsAt
        plan.notes.append("boot_params at \(hex(paramsAt)) (\(params.count) bytes: zero page, command line, \(builder.setupDataNodes.count) setup_data nodes), e820 \(builder.e820.count) entries")
        if let note = host.efi?.summary ?? host.efiNote { plan.notes.append(note) }
        try placePurgatory(&plan, request: request, placer: &placer, host: host, registers: .linux(rsi: paramsAt, rip: entry), backup: backup)
    }

    /// Places purgatory below 4 GiB (it may have to drop to 32-bit mode) and attaches it.
    static func placePurgatory(_ plan: inout LoadPlan, request: LoadRequest, placer: inout Placer, host: HostInfo,
                               registers: PurgatoryHandOver, backup: CrashDumpLayout.Backup? = nil) throws(KexecError) {
        guard let purgatoryAt = placer.allocate(.init(size: Purgatory.memorySize, min: request.memoryMin, max: min(request.memoryMax, fourGiB))) else {
            throw KexecError(field: "purgatory", "no free RAM below 4 GiB for \(Purgatory.memorySize) bytes of purgatory")
        }
        plan.entry = purgatoryAt + Purgatory.entryOffset
        plan.kernelEntry = registers.rip
        try plan.attachPurgatory(at: purgatoryAt, handOver: registers, host: host, backup: backup,
                                 corruptDigest: request.corruptDigestForTesting, serial: request.purgatorySerial)
    }
}

/// How purgatory leaves: the 64-bit Linux boot protocol, or 32-bit protected mode with
/// paging off (multiboot), with these register values.
public struct PurgatoryHandOver: Sendable, Equatable {
    public var rip: UInt64
    public var rax: UInt64 = 0, rbx: UInt64 = 0, rsi: UInt64 = 0
    public var protectedMode32 = false

    public static func linux(rsi: UInt64, rip: UInt64) -> PurgatoryHandOver {
        PurgatoryHandOver(rip: rip, rsi: rsi)
    }
}
