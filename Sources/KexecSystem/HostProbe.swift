import Glibc
import KexecCore

/// Reads what the core needs from the running system: the firmware memory map, the running
/// kernel's boot_params, the command line and an RNG seed.
public struct HostProbe: Sendable {
    public var files: SystemFiles

    public init(files: SystemFiles = SystemFiles()) { self.files = files }

    public func hostInfo(seed: Bool = true) throws(KexecError) -> HostInfo {
        let (map, source) = try memoryMap()
        var info = HostInfo(memoryMap: map, memoryMapSource: source,
                            runningBootParams: files.readBytes("/sys/kernel/boot_params/data"),
                            rngSeed: seed ? Self.rngSeed() : nil)
        info.acpiRSDP = acpiRSDP()
        info.efiSystemTable = Self.efiSystemTable(info.runningBootParams)
        (info.efi, info.efiNote) = EFIProbe(files: files).handOver(runningBootParams: info.runningBootParams,
                                                                  systemTable: info.efiSystemTable)
        return info
    }

    /// `info` with a copy of the ACPI RSDP, for the boot protocols that pass it (multiboot2).
    public func withFirmwareTables(_ info: HostInfo) -> HostInfo {
        var copy = info
        copy.acpiRSDPTable = acpiRSDPTable(at: info.acpiRSDP ?? Self.runningRSDP(info.runningBootParams))
        return copy
    }

    /// From the running boot_params' efi_info, when a 64-bit EFI booted this kernel.
    static func efiSystemTable(_ bp: [UInt8]?) -> UInt64? {
        typealias B = BootParamsOffset
        guard let bp, bp.count >= B.efiSystabHi + 4, Array(bp[B.efiLoaderSignature..<(B.efiLoaderSignature + 4)]) == Array("EL64".utf8) else { return nil }
        let table = UInt64(bp.u32le(B.efiSystab)) | UInt64(bp.u32le(B.efiSystabHi)) << 32
        return table == 0 ? nil : table
    }

    static func runningRSDP(_ bp: [UInt8]?) -> UInt64? {
        guard let bp, bp.count >= BootParamsOffset.acpiRsdpAddr + 8 else { return nil }
        let address = bp.withUnsafeBytes { LittleEndianReader($0).u64(BootParamsOffset.acpiRsdpAddr) } ?? 0
        return address == 0 ? nil : address
    }

    /// A copy of the RSDP through /dev/mem (readable for firmware ranges even with
    /// STRICT_DEVMEM; refused under lockdown, in which case there is no copy): at the
    /// known address, else by scanning the BIOS area.
    func acpiRSDPTable(at address: UInt64?) -> [UInt8]? {
        if let address, let bytes = files.readBytes("/dev/mem", offset: address, count: 36) {
            return ACPIRSDP.parse(bytes[...])
        }
        guard let area = files.readBytes("/dev/mem", offset: ACPIRSDP.biosArea.start, count: Int(ACPIRSDP.biosArea.size)) else { return nil }
        return ACPIRSDP.scan(area)
    }

    /// "ACPI20=0x…" (or the ACPI 1.0 "ACPI=0x…") line of the EFI system table.
    func acpiRSDP() -> UInt64? {
        let efi = EFIProbe(files: files)
        return efi.systabEntry("ACPI20") ?? efi.systabEntry("ACPI")
    }

    public func runningCommandLine() throws(KexecError) -> String {
        // Bytes as they are (RawBytes): --reuse-cmdline passes them on unchanged.
        guard let text = files.readBytes("/proc/cmdline").map(RawBytes.string) else {
            throw KexecError(file: files.path("/proc/cmdline"), "cannot read the running command line for --reuse-cmdline (is /proc mounted?)")
        }
        return text.trimmingSuffix("\n")
    }

    /// /sys/firmware/memmap is the boot-time firmware map (what a new kernel should see);
    /// /proc/iomem is the fallback when the kernel lacks CONFIG_FIRMWARE_MEMMAP.
    public func memoryMap() throws(KexecError) -> (MemoryMap, String) {
        let dir = "/sys/firmware/memmap"
        let indices = files.list(dir).compactMap(Int.init).sorted()
        if !indices.isEmpty {
            var entries: [MemoryMap.Entry] = []
            for i in indices {
                guard let start = parseHex(files.readText("\(dir)/\(i)/start")),
                      let end = parseHex(files.readText("\(dir)/\(i)/end")),
                      let type = files.readText("\(dir)/\(i)/type")?.trimmingSuffix("\n"),
                      let range = PhysicalRange(start: start, end: end &+ 1) ?? (end == .max ? PhysicalRange(start: start, size: 0 &- start) : nil) else {
                    throw KexecError(file: files.path("\(dir)/\(i)"), "expected start, end and type files with hexadecimal addresses")
                }
                entries.append(.init(range, MemoryType(firmwareName: type)))
            }
            return (MemoryMap(entries), files.path(dir))
        }
        guard let iomem = files.readText("/proc/iomem") else {
            throw KexecError(file: files.path(dir), "no firmware memory map, and /proc/iomem is unreadable; mount sysfs and procfs")
        }
        let map = try IomemParser.parse(iomem, path: files.path("/proc/iomem"))
        return (map, files.path("/proc/iomem"))
    }

    static func rngSeed() -> [UInt8]? {
        var seed = [UInt8](repeating: 0, count: 32)
        let got = seed.withUnsafeMutableBytes { ckexecRandom($0) }
        return got ? seed : nil
    }
}

/// Parses the top-level lines of /proc/iomem ("start-end : name").
public enum IomemParser {
    public static func parse(_ text: String, path: String) throws(KexecError) -> MemoryMap {
        var entries: [MemoryMap.Entry] = []
        for line in text.split(separator: "\n") where !line.hasPrefix(" ") {
            let parts = line.split(separator: ":", maxSplits: 1)
            let bounds = parts.first?.trimmingCharacters(" ").split(separator: "-")
            guard parts.count == 2, let bounds, bounds.count == 2,
                  let start = UInt64(bounds[0], radix: 16), let last = UInt64(bounds[1], radix: 16),
                  let range = PhysicalRange(start: start, end: last &+ 1) else {
                throw KexecError(file: path, "line \"\(line)\": expected \"start-end : name\" in hexadecimal")
            }
            let name = parts[1].trimmingCharacters(" ")
            let type = MemoryType(firmwareName: name)
            // Device windows (PCI buses, ROMs) are not memory; only firmware memory types matter.
            if type != .reserved || name == "Reserved" || name == "reserved" {
                entries.append(.init(range, type))
            }
        }
        // Without root the kernel prints every address as zero.
        guard entries.contains(where: { $0.type == .ram && $0.range.last != 0 }) else {
            throw KexecError(file: path, "no \"System RAM\" ranges with real addresses (reading /proc/iomem needs root)")
        }
        return MemoryMap(entries)
    }
}

func parseHex(_ text: String?) -> UInt64? {
    guard var t = text?.trimmingSuffix("\n") else { return nil }
    if t.hasPrefix("0x") { t.removeFirst(2) }
    return UInt64(t, radix: 16)
}

extension StringProtocol {
    func trimmingSuffix(_ suffix: String) -> String {
        var s = String(self)
        while s.hasSuffix(suffix) { s.removeLast(suffix.count) }
        return s
    }

    func trimmingCharacters(_ c: Character) -> String {
        String(self.drop(while: { $0 == c }).reversed().drop(while: { $0 == c }).reversed())
    }
}
