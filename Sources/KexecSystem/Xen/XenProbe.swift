import Glibc
import KexecCore

/// What the running system says about Xen, from files only (no hypercall).
///
/// Detection, and why:
/// - `/sys/hypervisor/type` = `xen` (drivers/xen/sys-hypervisor.c, CONFIG_XEN_SYS_HYPERVISOR):
///   we run on Xen at all. Needs only sysfs, not xenfs.
/// - `/sys/hypervisor/guest_type` = `PV`, `PVH` or `HVM` (same file, Linux 4.10+): the hypercall
///   exists only for PV callers (§2.1), and a PV kernel cannot kexec by itself at all (its
///   reboot(KEXEC) would power the host off, §6.1, §9.12), so every PV guest goes to Xen.
/// - `/proc/xen/capabilities` containing `control_d` (xenfs, mounted on /proc/xen): this is
///   the control domain. Read when present; a PVH dom0 is also sent to the Xen back end so
///   that it gets Xen's ENOSYS explained rather than a Linux kexec that cannot work there.
/// - `/sys/hypervisor/version/{major,minor}`: refuse hypervisors without the v2 sub-ops or
///   without kexec_status before issuing anything.
/// kexec-tools instead tests for /proc/xen and runs CPUID through Xen's forced-emulation
/// prefix; that misses dom0 when xenfs is not mounted and cannot tell PV from PVH.
public struct XenFacts: Sendable, Equatable {
    public var onXen: Bool
    public var guestType: String?
    public var controlDomain: Bool?
    public var version: XenVersion?

    public struct XenVersion: Sendable, Equatable {
        public var major: Int
        public var minor: Int
    }

    /// PV guests, and any control domain: kexec goes through Xen's hypercall.
    public var usesHypercall: Bool { onXen && (guestType == "PV" || controlDomain == true) }

    public static func read(_ files: SystemFiles) -> XenFacts {
        let onXen = files.readText("/sys/hypervisor/type").map { $0.trimmingSuffix("\n") == "xen" } ?? false
        guard onXen else { return XenFacts(onXen: false) }
        let guest = files.readText("/sys/hypervisor/guest_type").map { $0.trimmingSuffix("\n") }
        let caps = files.readText("/proc/xen/capabilities").map { text in
            text.split(whereSeparator: { $0 == "," || $0 == "\n" || $0 == " " }).contains { $0 == "control_d" }
        }
        var version: XenVersion?
        if let major = files.readText("/sys/hypervisor/version/major").flatMap({ Int($0.trimmingSuffix("\n")) }),
           let minor = files.readText("/sys/hypervisor/version/minor").flatMap({ Int($0.trimmingSuffix("\n")) }) {
            version = XenVersion(major: major, minor: minor)
        }
        return XenFacts(onXen: true, guestType: guest, controlDomain: caps, version: version)
    }

    init(onXen: Bool, guestType: String? = nil, controlDomain: Bool? = nil, version: XenVersion? = nil) {
        self.onXen = onXen
        self.guestType = guestType
        self.controlDomain = controlDomain
        self.version = version
    }
}

/// Reads the machine's memory map and kexec ranges from Xen (dom0's own sysfs and /proc/iomem
/// describe its pseudo-physical memory and must not be used, reference §9.7).
public struct XenMachineProbe {
    public var hypercalls: any XenHypercalls

    public init(hypercalls: any XenHypercalls) { self.hypercalls = hypercalls }

    /// XENMEM_machine_memory_map: Xen's e820 (machine addresses).
    public func machineMemoryMap(capacity: Int = 256) throws(KexecError) -> MemoryMap {
        let entriesSize = capacity * E820Entry.size
        let block = try hypercalls.allocate(XenMemoryMap.size + entriesSize)
        defer { hypercalls.free(block) }
        let base = UInt64(UInt(bitPattern: block.baseAddress))
        let arg = XenMemoryMap(entryCount: UInt32(capacity), buffer: base + UInt64(XenMemoryMap.size)).encoded()
        arg.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: block[0..<arg.count]).copyMemory(from: $0) }
        let r = hypercalls.hypercall(XenKexec.memoryOpHypercall, XenKexec.memoryMachineMemoryMap, base)
        if r < 0 {
            throw KexecError("Xen XENMEM_machine_memory_map failed: \(String(cString: strerror(Int32(-r)))); the machine memory map is needed to place the image", errno: Int32(-r))
        }
        let count = min(Int(LittleEndianReader(UnsafeRawBufferPointer(block)).u32(XenMemoryMap.countOffset) ?? 0), capacity)
        let map = XenMemoryMap.decodeEntries(UnsafeRawBufferPointer(rebasing: block[XenMemoryMap.size...]), count: count)
        guard !map.ram.isEmpty else {
            throw KexecError("Xen's machine memory map has no RAM entries (\(count) entries)")
        }
        return map
    }

    /// KEXEC_CMD_kexec_get_range; Xen writes size and start back.
    public func range(_ range: XenKexec.Range, cpu: Int32 = 0) throws(KexecError) -> (Int, PhysicalRange?) {
        var arg = XenKexecRange(range: range, nr: cpu).encoded()
        let r = try hypercalls.kexecOp(.getRange, &arg)
        if r < 0 { return (r, nil) }
        let out = arg.withUnsafeBytes { XenKexecRange.decode($0) }
        guard let out, out.length > 0 else { return (r, nil) }
        return (r, PhysicalRange(start: out.start, size: out.length))
    }

    /// KEXEC_RANGE_MA_CRASH; nil when Xen reserved none (it answers 0/0 with success).
    public func crashRegion() throws(KexecError) -> PhysicalRange? {
        let (r, region) = try range(.crash)
        if r < 0 {
            throw KexecError("Xen KEXEC_CMD_kexec_get_range(crash) failed: \(String(cString: strerror(Int32(-r))))", errno: Int32(-r))
        }
        return region
    }

    /// What the placement needs. dom0's boot_params are left out on purpose: they describe a PV
    /// guest (hardware_subarch = Xen PV), which the new kernel running on the bare machine is not.
    public func hostInfo() throws(KexecError) -> HostInfo {
        HostInfo(memoryMap: try machineMemoryMap(),
                 memoryMapSource: "Xen machine memory map (XENMEM_machine_memory_map)",
                 runningBootParams: nil, rngSeed: HostProbe.rngSeed())
    }

    /// Placement inside the crash region needs it as RAM; Xen's e820 may list it as reserved.
    public static func withCrashRegionAsRAM(_ map: MemoryMap, _ region: PhysicalRange) -> MemoryMap {
        var entries: [MemoryMap.Entry] = []
        for e in map.entries {
            if e.type == .ram { entries.append(e); continue }
            entries += e.range.subtracting(region).map { MemoryMap.Entry($0, e.type) }
        }
        entries.append(.init(region, .ram))
        return MemoryMap(entries)
    }

    /// What the ELF core header describes under Xen (reference xen-kexec-abi.md §5.4,
    /// xen-dom0-dump.md §3): one PT_NOTE per physical CPU (Xen's note blocks, KEXEC_RANGE_MA_CPU
    /// until Xen says ERANGE), dom0's own VMCOREINFO note (a machine address in a PV dom0,
    /// clamped to its first page because the second page's frame is unknown), Xen's
    /// VMCOREINFO_XEN, then machine RAM minus the crash region. No kernel-text PT_LOAD.
    public func crashLayout(map: MemoryMap, region: PhysicalRange, files: SystemFiles) throws(KexecError) -> CrashDumpLayout {
        var cpus: [PhysicalRange] = []
        for cpu in Int32(0)..<4096 {
            let (r, note) = try range(.cpu, cpu: cpu)
            if r < 0 {
                if cpu == 0 {
                    throw KexecError("Xen KEXEC_CMD_kexec_get_range(cpu 0) failed: \(String(cString: strerror(Int32(-r)))); Xen allocates CPU crash notes only when it has a crash region", errno: Int32(-r))
                }
                break
            }
            if let note { cpus.append(note) }
        }
        // dom0's own note, kept inside its page (Xen's machine frames are not contiguous).
        var vmcoreinfo = ((try? CrashProbe(files: files).vmcoreinfoNotes()) ?? []).map { note in
            PhysicalRange(start: note.start, size: min(note.size, XenKexec.pageSize - note.start % XenKexec.pageSize))!
        }
        let (r, xenInfo) = try range(.vmcoreinfo)
        if r >= 0, let xenInfo { vmcoreinfo.append(xenInfo) }
        let memory = map.ram.flatMap { $0.subtracting(region) }
        return CrashDumpLayout(cpuNotes: cpus, vmcoreinfoNotes: vmcoreinfo, kernelText: nil,
                               memory: memory, pageOffset: 0xffff_8880_0000_0000)
    }
}

/// Plans and loads under Xen: the same image loaders, but placed in machine memory from Xen's
/// map, then handed to `XenBackend`. (KexecRunner.plan reads dom0's pseudo-physical map.)
public struct XenLoader {
    public var runner: KexecRunner
    public var backend: XenBackend
    public var machine: XenMachineProbe

    public init(runner: KexecRunner, backend: XenBackend, machine: XenMachineProbe) {
        self.runner = runner
        self.backend = backend
        self.machine = machine
    }

    public func plan(_ o: LoadOptions) throws(KexecError) -> LoadPlan {
        var host = try machine.hostInfo()
        var crash: CrashInputs?
        if o.crash {
            guard let region = try machine.crashRegion() else {
                throw KexecError("Memory for crashkernel is not reserved: Xen has no crash region; add crashkernel=256M (or crashkernel=SIZE@ADDRESS) to Xen's command line, not dom0's, and reboot")
            }
            host.memoryMap = XenMachineProbe.withCrashRegionAsRAM(host.memoryMap, region)
            crash = CrashInputs(reservations: [region],
                                layout: try machine.crashLayout(map: host.memoryMap, region: region, files: runner.probe.files))
        }
        var plan = try runner.plan(o, host: host, crash: crash)
        plan.notes.append("Xen: placed in machine memory; kexec_file_load does not apply, loading through the kexec hypercall")
        return plan
    }

    public func load(_ o: LoadOptions) throws(KexecError) -> LoadOutcome {
        let plan = try plan(o)
        try backend.load(plan)
        return LoadOutcome(syscall: .load, plan: plan, notes: ["loaded through Xen's KEXEC_CMD_kexec_load"])
    }
}

/// What the CLI needs under Xen: the back end (hypercalls opened on first use) and a loader
/// that places images in machine memory.
public struct XenSetup {
    public var facts: XenFacts
    public var backend: XenBackend

    /// nil unless kexec must go through Xen here (`XenFacts.usesHypercall`).
    public static func detect(files: SystemFiles = SystemFiles()) -> XenSetup? {
        let facts = XenFacts.read(files)
        guard facts.usesHypercall else { return nil }
        let backend = XenBackend(version: facts.version.map { ($0.major, $0.minor) },
                                 kernelWindow: XenLoadLayout.initSizeWindow,
                                 open: { () throws(KexecError) -> any XenHypercalls in try PrivcmdHypercalls.open(files: files) })
        return XenSetup(facts: facts, backend: backend)
    }

    public func loader(_ runner: KexecRunner) throws(KexecError) -> XenLoader {
        XenLoader(runner: runner, backend: backend, machine: XenMachineProbe(hypercalls: try backend.xen()))
    }
}
