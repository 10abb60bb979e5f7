/// Multiboot (version 0.6.96) structures. Source: the Multiboot Specification 0.6.96,
/// section 3.1 (OS image format: the header) and 3.3 (boot information format).

/// The multiboot header: 32-bit aligned within the first 8192 bytes of the image.
///
///     0 magic 0x1BADB002   4 flags   8 checksum (magic + flags + checksum = 0 mod 2^32)
///    12 header_addr  16 load_addr  20 load_end_addr  24 bss_end_addr  28 entry_addr
///       (the five address fields are valid only with flags bit 16, the "a.out kludge")
///    32 mode_type  36 width  40 height  44 depth   (valid only with flags bit 2)
public struct MultibootHeader: Sendable, Equatable {
    public static let magic: UInt32 = 0x1BAD_B002
    public static let searchLimit = 8192
    /// Bit 0: modules page aligned; bit 1: memory information wanted; bit 2: video mode
    /// information wanted; bit 16: the address fields are valid.
    public static let flagPageAlign: UInt32 = 1 << 0
    public static let flagMemoryInfo: UInt32 = 1 << 1
    public static let flagVideoMode: UInt32 = 1 << 2
    public static let flagAddresses: UInt32 = 1 << 16

    /// Offset of the header in the file.
    public var offset: Int
    public var flags: UInt32
    public var headerAddress: UInt32 = 0
    public var loadAddress: UInt32 = 0
    public var loadEndAddress: UInt32 = 0
    public var bssEndAddress: UInt32 = 0
    public var entryAddress: UInt32 = 0

    /// The first header with a valid checksum, or nil. A header whose address fields
    /// (flags bit 16) run past the end of the file is not a header.
    public static func find(in raw: UnsafeRawBufferPointer) -> MultibootHeader? {
        let r = LittleEndianReader(raw)
        var at = 0
        while at + 12 <= min(raw.count, searchLimit) {
            if r.u32(at) == magic, let flags = r.u32(at + 4), let sum = r.u32(at + 8),
               magic &+ flags &+ sum == 0 {
                var h = MultibootHeader(offset: at, flags: flags)
                if flags & flagAddresses != 0 {
                    guard let a = r.u32(at + 12), let l = r.u32(at + 16), let e = r.u32(at + 20),
                          let b = r.u32(at + 24), let entry = r.u32(at + 28) else { return nil }
                    (h.headerAddress, h.loadAddress, h.loadEndAddress, h.bssEndAddress, h.entryAddress) = (a, l, e, b, entry)
                }
                return h
            }
            at += 4
        }
        return nil
    }
}

/// The multiboot information structure (116 bytes) the kernel finds at EBX, and what it
/// points to. Offsets:
///
///     0 flags  4 mem_lower  8 mem_upper  12 boot_device  16 cmdline  20 mods_count
///    24 mods_addr  28 syms[4]  44 mmap_length  48 mmap_addr  52 drives_length  56 drives_addr
///    60 config_table  64 boot_loader_name  68 apm_table  72 vbe_* (16 bytes)  88 framebuffer_*
///
/// Module entry (16 bytes): 0 mod_start  4 mod_end  8 string  12 reserved.
/// Memory map entry (24 bytes): 0 size (= 20, excluding itself)  4 base_addr u64
///    12 length u64  20 type u32 (1 available, 3 ACPI, 4 NVS, 5 bad; others reserved).
public enum MultibootInfo {
    public static let bootloaderMagic: UInt32 = 0x2BAD_B002   // EAX at the kernel's entry
    public static let size = 116
    public static let moduleEntrySize = 16
    public static let mmapEntrySize = 24

    public static let flagMemory: UInt32 = 1 << 0
    public static let flagCommandLine: UInt32 = 1 << 2
    public static let flagModules: UInt32 = 1 << 3
    public static let flagMemoryMap: UInt32 = 1 << 6
    public static let flagBootLoaderName: UInt32 = 1 << 9

    public struct Module: Sendable, Equatable {
        public var range: PhysicalRange
        public var string: String
        public init(range: PhysicalRange, string: String) {
            self.range = range
            self.string = string
        }
    }

    /// Bytes needed for the structure, memory map, module list and strings.
    public static func size(commandLine: String, loaderName: String, modules: [String], mmapCount: Int) -> Int {
        let strings = ([commandLine, loaderName] + modules).reduce(0) { $0 + $1.kernelBytes.count + 1 }
        return size + mmapCount * mmapEntrySize + modules.count * moduleEntrySize + strings
    }

    /// Encodes everything for the address `base`: the structure first, then the memory map,
    /// the module list and the NUL-terminated strings.
    public static func build(at base: UInt64, commandLine: String, loaderName: String, modules: [Module],
                             e820: [E820Entry]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size(commandLine: commandLine, loaderName: loaderName,
                                                    modules: modules.map(\.string), mmapCount: e820.count))
        func address(_ offset: Int) -> UInt32 { UInt32(truncatingIfNeeded: base + UInt64(offset)) }
        var cursor = size
        let mmapAt = cursor
        for e in e820 {
            out.store(UInt32(mmapEntrySize - 4), at: cursor)
            out.store(e.address, at: cursor + 4)
            out.store(e.size, at: cursor + 12)
            out.store(e.type.rawValue, at: cursor + 20)
            cursor += mmapEntrySize
        }
        let modsAt = cursor
        cursor += modules.count * moduleEntrySize
        func string(_ s: String) -> UInt32 {
            let at = cursor
            out.store(bytes: s.kernelBytes, at: at)
            cursor += s.kernelBytes.count + 1
            return address(at)
        }
        for (i, m) in modules.enumerated() {
            let entry = modsAt + i * moduleEntrySize
            out.store(UInt32(truncatingIfNeeded: m.range.start), at: entry)
            out.store(UInt32(truncatingIfNeeded: m.range.end), at: entry + 4)
            out.store(string(m.string), at: entry + 8)
        }
        let (lower, upper) = memorySizes(e820)
        out.store(flagMemory | flagCommandLine | flagModules | flagMemoryMap | flagBootLoaderName, at: 0)
        out.store(lower, at: 4)
        out.store(upper, at: 8)
        out.store(string(commandLine), at: 16)
        out.store(UInt32(modules.count), at: 20)
        out.store(address(modsAt), at: 24)
        out.store(UInt32(e820.count * mmapEntrySize), at: 44)
        out.store(address(mmapAt), at: 48)
        out.store(string(loaderName), at: 64)
        return out
    }

    /// mem_lower: KiB of RAM from address 0 (at most 640); mem_upper: KiB of RAM from 1 MiB
    /// up to the first hole.
    static func memorySizes(_ e820: [E820Entry]) -> (UInt32, UInt32) {
        let ram = e820.filter { $0.type == .ram }
        let lower = ram.first { $0.address == 0 }.map { min($0.size, 640 << 10) >> 10 } ?? 0
        var end: UInt64 = 0x10_0000
        while let r = ram.first(where: { $0.address <= end && $0.address &+ $0.size > end }) { end = r.address + r.size }
        return (UInt32(lower), UInt32(min((end - 0x10_0000) >> 10, UInt64(UInt32.max))))
    }
}
