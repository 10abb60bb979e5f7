import KexecCore

/// Reads what the running kernel knows about EFI, for a kexec_load hand-over: the system
/// table and descriptor version from its boot_params, the converted table addresses from
/// /sys/firmware/efi, and the runtime regions (at the virtual addresses it mapped them)
/// from /sys/firmware/efi/runtime-map (CONFIG_EFI_RUNTIME_MAP). The same sources the
/// kernel's own kexec_file_load uses, seen from user space.
struct EFIProbe {
    var files: SystemFiles

    static let efi = "/sys/firmware/efi"
    static let runtimeMap = "/sys/firmware/efi/runtime-map"

    /// The hand-over, or nil and why not (nil and nil: not an EFI machine).
    func handOver(runningBootParams bp: [UInt8]?, systemTable: UInt64?) -> (EFIHandOver?, String?) {
        guard files.exists(Self.efi) else { return (nil, nil) }
        guard let systemTable, let bp else {
            return (nil, "EFI: not passed: the running kernel's boot_params (/sys/kernel/boot_params/data) has no 64-bit EFI system table; the new kernel finds ACPI through acpi_rsdp_addr")
        }
        let indices = files.list(Self.runtimeMap).compactMap(Int.init).sorted()
        guard !indices.isEmpty else {
            return (nil, "EFI: not passed: \(files.path(Self.runtimeMap)) is missing (efi=noruntime, or a kernel without CONFIG_EFI_RUNTIME_MAP), and without the runtime regions' virtual addresses the new kernel cannot use EFI; it finds ACPI through acpi_rsdp_addr")
        }
        var map: [EFIMemoryDescriptor] = []
        for i in indices {
            let dir = "\(Self.runtimeMap)/\(i)"
            guard let type = hexValue("\(dir)/type"), let phys = hexValue("\(dir)/phys_addr"),
                  let virt = hexValue("\(dir)/virt_addr"), let pages = hexValue("\(dir)/num_pages"),
                  let attribute = hexValue("\(dir)/attribute"), type <= UInt32.max else {
                return (nil, "EFI: not passed: \(files.path(dir)): expected type, phys_addr, virt_addr, num_pages and attribute in hexadecimal")
            }
            map.append(EFIMemoryDescriptor(type: UInt32(type), physicalStart: phys, virtualStart: virt,
                                           pages: pages, attribute: attribute))
        }
        let vendor = hexValue("\(Self.efi)/fw_vendor") ?? 0
        let tables = hexValue("\(Self.efi)/config_table") ?? 0
        guard tables != 0 else {
            return (nil, "EFI: not passed: \(files.path(Self.efi))/config_table is missing, so the configuration tables (ACPI, SMBIOS) cannot be handed over")
        }
        let setup = EFISetupData(firmwareVendor: vendor, runtimeServices: hexValue("\(Self.efi)/runtime") ?? 0,
                                 configurationTables: tables, smbios: systabEntry("SMBIOS") ?? 0)
        let version = bp.count >= BootParamsOffset.efiMemdescVersion + 4 ? bp.u32le(BootParamsOffset.efiMemdescVersion) : 1
        return (EFIHandOver(systemTable: systemTable, setupData: setup, memoryDescriptorVersion: version == 0 ? 1 : version,
                            runtimeMap: map), nil)
    }

    func hexValue(_ path: String) -> UInt64? { parseHex(files.readText(path)) }

    /// "KEY=0x…" of /sys/firmware/efi/systab.
    func systabEntry(_ key: String) -> UInt64? {
        guard let text = files.readText("\(Self.efi)/systab") else { return nil }
        let prefix = key + "="
        return text.split(separator: "\n").first(where: { $0.hasPrefix(prefix) })
            .flatMap { parseHex(String($0.dropFirst(prefix.count))) }
    }
}
