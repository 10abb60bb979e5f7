/// Inputs of a crash (kdump) load that the system layer gathers.
public struct CrashInputs: Sendable {
    /// "Crash kernel" ranges of /proc/iomem: everything the capture kernel needs goes inside.
    public var reservations: [PhysicalRange]
    /// What the ELF core header describes; `backup` is filled in by the loader.
    public var layout: CrashDumpLayout
    /// Crash hotplug: the most program-header bytes the kernel may write into the core header
    /// when CPUs or memory come and go (`crash_elfcorehdr_size`); nil when it cannot (before
    /// Linux 6.6, Xen) or the user said --no-hotplug. The segment is sized for it and left
    /// out of purgatory's digests, and the load asks for KEXEC_UPDATE_ELFCOREHDR.
    public var hotplugHeaderBytes: UInt64?
    /// Crash memory the kernel took from CMA (`crashkernel=SIZE,cma`, Linux 6.16+): the first
    /// kernel lends it to movable allocations, the capture kernel gets it as RAM, and the
    /// dump leaves it out (`layout.memory` already does). Nothing is placed there: pages
    /// the first kernel still uses may be under DMA until the crash.
    public var cmaRanges: [PhysicalRange]

    public init(reservations: [PhysicalRange], layout: CrashDumpLayout, hotplugHeaderBytes: UInt64? = nil,
                cmaRanges: [PhysicalRange] = []) {
        self.reservations = reservations
        self.layout = layout
        self.hotplugHeaderBytes = hotplugHeaderBytes
        self.cmaRanges = cmaRanges
    }
}

/// The memory rules of a kdump load (same facts as kexec-tools' x86 crash path).
public enum CrashPlanning {
    static let lowMemoryEnd: UInt64 = 0xA0000   // 640 KiB: the real-mode area the capture kernel reuses

    /// Low RAM below 640 KiB, which purgatory copies into the reservation before the jump.
    /// Example: RAM [0, 0x9fc00) → backup source [0, 0x9fc00).
    public static func backupSource(_ map: MemoryMap) -> PhysicalRange? {
        guard let first = map.ram.first(where: { $0.start < lowMemoryEnd }) else { return nil }
        return PhysicalRange(start: first.start, end: min(first.end, lowMemoryEnd))
    }

    /// The capture kernel's e820: the backed-up low RAM, the reservations (minus the
    /// segments that hold dump data: backup copy and ELF core header) and the CMA crash
    /// ranges as RAM, plus the firmware's ACPI, NVS and reserved ranges so it can still reach
    /// them. Example: reservation [0x2f000000, 0x3f000000) with the header at
    /// [0x2f0a0000, 0x2f0a1000), CMA [0x40000000, 0x48000000) → RAM [0x2f000000, 0x2f0a0000),
    /// [0x2f0a1000, 0x3f000000), [0x40000000, 0x48000000) (plus the backup source).
    public static func captureE820(_ map: MemoryMap, reservations: [PhysicalRange], cma: [PhysicalRange] = [],
                                   backupSource: PhysicalRange?, exclude: [PhysicalRange]) -> [E820Entry] {
        var ram = reservations
        for e in exclude { ram = ram.flatMap { $0.subtracting(e) } }
        ram += cma
        if let backupSource { ram.append(backupSource) }
        var entries = ram.map { MemoryMap.Entry($0, .ram) }
        entries += map.entries.filter { [.acpi, .nvs, .reserved, .pmem, .pram].contains($0.type) }
        return MemoryMap(entries).e820
    }

    /// RAM inside the reservations: where the placer may put the capture kernel's segments.
    public static func freeMemory(_ map: MemoryMap, reservations: [PhysicalRange]) -> [PhysicalRange] {
        map.ram.flatMap { r in reservations.compactMap { r.intersection($0) } }
    }
}
