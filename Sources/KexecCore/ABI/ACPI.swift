/// The ACPI Root System Description Pointer. Source: ACPI Specification 6.5, section 5.2.5.3:
///
///     0 signature "RSD PTR "  8 checksum (bytes 0..<20 sum to 0)  9 OEMID[6]  15 revision
///    16 rsdt_address u32   (revision ≥ 2:) 20 length u32  24 xsdt_address u64
///    32 extended checksum (all `length` bytes sum to 0)  33 reserved[3]
///
/// BIOS systems keep it on a 16-byte boundary in 0xE0000-0xFFFFF (section 5.2.5.1).
public enum ACPIRSDP {
    public static let signature: [UInt8] = Array("RSD PTR ".utf8)
    public static let biosArea = PhysicalRange(start: 0xE_0000, size: 0x2_0000)!

    /// The RSDP structure at the start of `bytes` (20 bytes for revision 0, `length` bytes
    /// otherwise), or nil when the signature or a checksum is wrong.
    public static func parse(_ bytes: ArraySlice<UInt8>) -> [UInt8]? {
        guard bytes.count >= 20, bytes.prefix(8).elementsEqual(signature),
              bytes.prefix(20).reduce(0, &+) as UInt8 == 0 else { return nil }
        let b = Array(bytes)
        guard b[15] >= 2 else { return Array(b[0..<20]) }
        let length = Int(b.u32le(20))
        guard length >= 36, length <= b.count, b[0..<length].reduce(0, &+) as UInt8 == 0 else { return nil }
        return Array(b[0..<length])
    }

    /// Scans a copy of the BIOS area (starting at physical 0xE0000) on 16-byte boundaries.
    public static func scan(_ area: [UInt8]) -> [UInt8]? {
        var at = 0
        while at + 20 <= area.count {
            if area[at] == 0x52, let rsdp = parse(area[at..<min(area.count, at + 64)]) { return rsdp }
            at += 16
        }
        return nil
    }
}

extension Array where Element == UInt8 {
    public func u32le(_ at: Int) -> UInt32 {
        withUnsafeBytes { LittleEndianReader($0).u32(at) } ?? 0
    }
}
