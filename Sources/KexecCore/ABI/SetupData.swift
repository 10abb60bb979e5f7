/// A node of the boot_params.hdr.setup_data linked list:
/// `struct setup_data { u64 next; u32 type; u32 len; u8 data[]; }` (16-byte header).
/// Source: Linux arch/x86/include/uapi/asm/bootparam.h.
public struct SetupDataNode: Sendable, Equatable {
    public static let headerSize = 16
    public static let typeE820Ext: UInt32 = 1
    public static let typeRNGSeed: UInt32 = 9

    public var type: UInt32
    public var payload: [UInt8]

    public init(type: UInt32, payload: [UInt8]) {
        self.type = type
        self.payload = payload
    }

    /// Bytes this node occupies, padded so the next node stays 8-byte aligned.
    public var encodedSize: Int { (Self.headerSize + payload.count + 7) & ~7 }

    public func encode(next: UInt64, into bytes: inout [UInt8], at offset: Int) {
        bytes.store(next, at: offset)
        bytes.store(type, at: offset + 8)
        bytes.store(UInt32(payload.count), at: offset + 12)
        bytes.store(bytes: payload, at: offset + Self.headerSize)
    }
}
