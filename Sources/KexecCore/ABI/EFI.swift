/// One entry of a UEFI memory map, EFI_MEMORY_DESCRIPTOR (40 bytes as Linux passes them in
/// boot_params.efi_info; firmware may use a larger stride, which efi_memdesc_size carries).
/// Source: UEFI Specification 2.10 §7.2 (GetMemoryMap) and Linux include/linux/efi.h
/// (efi_memory_desc_t).
public struct EFIMemoryDescriptor: Sendable, Equatable {
    public static let size = 40

    public var type: UInt32
    public var physicalStart: UInt64
    public var virtualStart: UInt64
    public var pages: UInt64
    public var attribute: UInt64

    public init(type: UInt32, physicalStart: UInt64, virtualStart: UInt64, pages: UInt64, attribute: UInt64) {
        self.type = type
        self.physicalStart = physicalStart
        self.virtualStart = virtualStart
        self.pages = pages
        self.attribute = attribute
    }

    public func encode(into bytes: inout [UInt8], at offset: Int) {
        bytes.store(type, at: offset)            // u32 type, then u32 padding
        bytes.store(physicalStart, at: offset + 8)
        bytes.store(virtualStart, at: offset + 16)
        bytes.store(pages, at: offset + 24)
        bytes.store(attribute, at: offset + 32)
    }
}

/// The SETUP_EFI setup_data payload through which a kexec'd x86 kernel finds the firmware's
/// tables without calling SetVirtualAddressMap a second time (96 bytes):
/// `struct efi_setup_data { u64 fw_vendor; u64 __unused; u64 tables; u64 smbios; u64 reserved[8]; }`.
/// The second word was `runtime` before Linux 5.7; we still fill it for older kernels.
/// Source: Linux arch/x86/include/asm/efi.h ("kexec external ABI") and
/// arch/x86/platform/efi/quirks.c (efi_reuse_config).
public struct EFISetupData: Sendable, Equatable {
    public static let size = 96
    public static let setupDataType: UInt32 = 4   // SETUP_EFI, uapi/asm/bootparam.h

    public var firmwareVendor: UInt64
    public var runtimeServices: UInt64
    public var configurationTables: UInt64
    public var smbios: UInt64

    public init(firmwareVendor: UInt64, runtimeServices: UInt64, configurationTables: UInt64, smbios: UInt64) {
        self.firmwareVendor = firmwareVendor
        self.runtimeServices = runtimeServices
        self.configurationTables = configurationTables
        self.smbios = smbios
    }

    public var encoded: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: Self.size)
        bytes.store(firmwareVendor, at: 0)
        bytes.store(runtimeServices, at: 8)
        bytes.store(configurationTables, at: 16)
        bytes.store(smbios, at: 24)
        return bytes
    }
}

/// What a kexec'd kernel needs to keep EFI: the running kernel's view of the firmware
/// (its system table, the runtime regions at the virtual addresses it mapped them, and the
/// tables SetVirtualAddressMap already converted). Gathered by the system layer.
public struct EFIHandOver: Sendable, Equatable {
    /// "EL64": the running kernel was booted by a 64-bit EFI (boot_params.efi_info).
    public static let loaderSignature = Array("EL64".utf8)

    public var systemTable: UInt64
    public var setupData: EFISetupData
    public var memoryDescriptorVersion: UInt32
    /// /sys/firmware/efi/runtime-map, in its order.
    public var runtimeMap: [EFIMemoryDescriptor]

    public init(systemTable: UInt64, setupData: EFISetupData, memoryDescriptorVersion: UInt32,
                runtimeMap: [EFIMemoryDescriptor]) {
        self.systemTable = systemTable
        self.setupData = setupData
        self.memoryDescriptorVersion = memoryDescriptorVersion
        self.runtimeMap = runtimeMap
    }

    public var memoryMapBytes: [UInt8] {
        var bytes = [UInt8](repeating: 0, count: runtimeMap.count * EFIMemoryDescriptor.size)
        for (i, d) in runtimeMap.enumerated() { d.encode(into: &bytes, at: i * EFIMemoryDescriptor.size) }
        return bytes
    }

    /// One line for -d and --dry-run.
    public var summary: String {
        let s = setupData
        return "EFI: system table \(hex(systemTable)), \(runtimeMap.count) runtime regions (descriptor version \(memoryDescriptorVersion)), fw_vendor \(hex(s.firmwareVendor)), configuration tables \(hex(s.configurationTables)), SMBIOS \(s.smbios == 0 ? "none" : hex(s.smbios)) (efi_info + SETUP_EFI, as the kernel's own kexec_file_load passes them)"
    }
}
