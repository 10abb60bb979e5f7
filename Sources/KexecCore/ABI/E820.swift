/// One BIOS e820 memory-map entry, packed (20 bytes).
/// Source: Linux arch/x86/include/uapi/asm/bootparam.h (struct boot_e820_entry) and the ACPI
/// specification's address range types.
public struct E820Entry: Sendable, Equatable {
    public static let size = 20
    public var address: UInt64
    public var size: UInt64
    public var type: MemoryType

    public init(address: UInt64, size: UInt64, type: MemoryType) {
        self.address = address
        self.size = size
        self.type = type
    }

    public func encode(into bytes: inout [UInt8], at offset: Int) {
        bytes.store(address, at: offset)
        bytes.store(size, at: offset + 8)
        bytes.store(type.rawValue, at: offset + 16)
    }
}

/// e820 range types (ACPI spec, plus Linux's E820_TYPE_PMEM/PRAM/SOFT_RESERVED).
public enum MemoryType: UInt32, Sendable, Equatable, CustomStringConvertible {
    case ram = 1
    case reserved = 2
    case acpi = 3
    case nvs = 4
    case unusable = 5
    case pmem = 7
    case pram = 12
    case softReserved = 0xefff_ffff

    /// Parses the names used by /sys/firmware/memmap/N/type and /proc/iomem.
    public init(firmwareName: String) {
        switch firmwareName {
        case "System RAM": self = .ram
        case "ACPI Tables": self = .acpi
        case "ACPI Non-volatile Storage": self = .nvs
        case "Unusable memory": self = .unusable
        case "Persistent Memory": self = .pmem
        case "Persistent Memory (legacy)": self = .pram
        case "Soft Reserved": self = .softReserved
        default: self = .reserved
        }
    }

    public var description: String {
        switch self {
        case .ram: "System RAM"
        case .reserved: "reserved"
        case .acpi: "ACPI Tables"
        case .nvs: "ACPI NVS"
        case .unusable: "unusable"
        case .pmem: "persistent memory"
        case .pram: "persistent memory (legacy)"
        case .softReserved: "soft reserved"
        }
    }
}
