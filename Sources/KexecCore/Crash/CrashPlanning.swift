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

    public init(reservations: [PhysicalRange], layout: CrashDumpLayout, hotplugHeaderBytes: UInt64? = nil) {
        self.reservations = reservations
        self.layout = layout
        self.hotplugHeaderBytes = hotplugHeaderBytes
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

    /// The capture kernel's e820: the backed-up low RAM and the reservations (minus the
    /// segments that hold dump data: backup copy and ELF core header) as RAM, plus the
    /// firmware's ACPI, NVS and reserved ranges so it can still reach them.
    public static func captureE820(_ map: MemoryMap, reservations: [PhysicalRange],
                                   backupSource: PhysicalRange?, exclude: [PhysicalRange]) -> [E820Entry] {
        var ram = reservations
        for e in exclude { ram = ram.flatMap { $0.subtracting(e) } }
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
