import KexecCore
import KexecSystem

/// The "xen" target: Xen's machine memory map and kexec ranges, as a dom0 reads them through
/// the hypercalls (answered by ScriptedXen from the input, never by Xen). Byte 0: ScriptedXen's
/// flags, plus bit 4: dom0 has a /sys/kernel/vmcoreinfo, the next 32 bytes. Byte 1: CPUs with
/// notes. The map and the crash layout are checked, a (crash) kernel is planned into machine
/// memory, and the plan is turned into Xen's segment list.
@Sendable func fuzzXenMemoryMap(_ input: UnsafeRawBufferPointer) {
    var reader = FuzzReader(input)
    let flags = reader.u8(), cpus = reader.u8()
    var tree = FixtureFiles()
    if flags & 0x10 != 0 { tree.add("/sys/kernel/vmcoreinfo", reader.bytes(32)) }
    fixture.hold(tree.files)
    let xen = ScriptedXen(flags: flags, cpusWithNotes: cpus, input: reader)
    let probe = XenMachineProbe(hypercalls: xen)
    do {
        var map = try probe.machineMemoryMap()
        checkDerived(map, [])
        var crash: CrashInputs?
        if let region = try probe.crashRegion() {
            map = XenMachineProbe.withCrashRegionAsRAM(map, region)
            check(map.isRAM(region), "the crash region \(region) is not RAM after withCrashRegionAsRAM")
            checkDerived(map, [region])
            let layout = try probe.crashLayout(map: map, region: region, files: fixture.files)
            checkCoreHeader(layout, backup: CrashPlanning.backupSource(map), copy: region.start)
            crash = CrashInputs(reservations: [region], layout: layout)
        }
        check(xen.live.isEmpty, "hypercall memory leaked")
        let host = HostInfo(memoryMap: map, memoryMapSource: "fuzz Xen")
        guard let plan = SyntheticKernel.plan(commandLine: "console=hvc0", host: host, crash: crash) else { return }
        checkXenLayout(try XenLoadLayout(plan: plan, kernelWindow: XenLoadLayout.initSizeWindow(plan)))
    } catch {
        report(error)
    }
}

/// Xen's rules (XenLoadLayout's comment): at most 15 pieces, sorted, page-aligned, non-empty,
/// no overlaps, data no larger than its destination, and 0-1 MiB mapped.
func checkXenLayout(_ layout: XenLoadLayout) {
    check(layout.pieces.count <= XenKexec.maxSegments)
    for p in layout.pieces {
        check(p.destination.start % XenKexec.pageSize == 0 && p.destination.size % XenKexec.pageSize == 0 && !p.destination.isEmpty,
                     "\(p.role) piece \(p.destination) is not page-aligned and non-empty")
        check(UInt64(p.data?.count ?? 0) <= p.destination.size)
    }
    for (a, b) in zip(layout.pieces, layout.pieces.dropFirst()) {
        check(a.destination.end <= b.destination.start, "\(a.role) \(a.destination) overlaps \(b.role) \(b.destination)")
    }
    var low = [XenLoadLayout.lowMemory]
    for p in layout.pieces { low = low.flatMap { $0.subtracting(p.destination) } }
    check(low.isEmpty, "0-1 MiB not fully mapped: \(low) left")
    _ = layout.stagedBytes
}
