/// The header of a flattened devicetree blob (DTB), the form in which an arm64 kernel gets
/// its hardware description and /chosen (command line, initrd, seeds).
/// Source: Devicetree Specification v0.4, chapter 5 "Flattened Devicetree (DTB) Format":
/// 5.2 "Header", 5.3 "Memory Reservation Block", 5.4 "Structure Block". All fields big-endian.
public enum FDTHeaderOffset {
    public static let magic = 0              // u32: 0xd00dfeed
    public static let totalSize = 4          // u32: the whole blob, header included
    public static let offDtStruct = 8        // u32: structure block, from the blob's start
    public static let offDtStrings = 12      // u32: strings block
    public static let offMemRsvmap = 16      // u32: memory reservation block
    public static let version = 20           // u32
    public static let lastCompVersion = 24   // u32: oldest version this blob is compatible with
    public static let bootCpuidPhys = 28     // u32: the boot CPU's reg
    public static let sizeDtStrings = 32     // u32
    public static let sizeDtStruct = 36      // u32
    public static let size = 40
}

public enum FDTConstant {
    public static let magic: UInt32 = 0xd00d_feed
    /// The version this code writes, and the oldest it reads (size_dt_struct is new in 17).
    public static let version: UInt32 = 17
    public static let lastCompVersion: UInt32 = 16
    /// Memory reservation entries: {u64 address, u64 size}, 8-byte aligned, ended by {0, 0}.
    public static let reservationEntrySize = 16
    public static let reservationAlignment = 8
    /// Tokens and names in the structure block are padded to this.
    public static let structAlignment = 4
}

/// Structure block tokens (u32).
public enum FDTToken: UInt32, Sendable {
    case beginNode = 1   // followed by the NUL-terminated node name, padded
    case endNode = 2
    case prop = 3        // followed by u32 len, u32 nameoff, then len bytes, padded
    case nop = 4
    case end = 9         // the last token of the structure block
}

public struct FDTHeader: Sendable, Equatable {
    public var magic: UInt32
    public var totalSize: UInt32
    public var offDtStruct: UInt32
    public var offDtStrings: UInt32
    public var offMemRsvmap: UInt32
    public var version: UInt32
    public var lastCompVersion: UInt32
    public var bootCpuidPhys: UInt32
    public var sizeDtStrings: UInt32
    public var sizeDtStruct: UInt32

    public init(totalSize: UInt32, offDtStruct: UInt32, offDtStrings: UInt32, offMemRsvmap: UInt32,
                bootCpuidPhys: UInt32, sizeDtStrings: UInt32, sizeDtStruct: UInt32) {
        magic = FDTConstant.magic
        self.totalSize = totalSize
        self.offDtStruct = offDtStruct
        self.offDtStrings = offDtStrings
        self.offMemRsvmap = offMemRsvmap
        version = FDTConstant.version
        lastCompVersion = FDTConstant.lastCompVersion
        self.bootCpuidPhys = bootCpuidPhys
        self.sizeDtStrings = sizeDtStrings
        self.sizeDtStruct = sizeDtStruct
    }

    /// nil when the 40 bytes are not all inside `r`; the fields are not checked here.
    /// The header is ten consecutive u32s, in the order of FDTHeaderOffset.
    public init?(_ r: BigEndianReader) {
        guard r.u32(FDTHeaderOffset.size - 4) != nil else { return nil }
        let f = (0..<10).map { r.u32($0 * 4)! }
        magic = f[0]
        totalSize = f[1]
        offDtStruct = f[2]
        offDtStrings = f[3]
        offMemRsvmap = f[4]
        version = f[5]
        lastCompVersion = f[6]
        bootCpuidPhys = f[7]
        sizeDtStrings = f[8]
        sizeDtStruct = f[9]
    }

    /// The 40 bytes, in field order.
    public var encoded: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(FDTHeaderOffset.size)
        for field in [magic, totalSize, offDtStruct, offDtStrings, offMemRsvmap, version, lastCompVersion,
                      bootCpuidPhys, sizeDtStrings, sizeDtStruct] {
            out.appendBigEndian(field)
        }
        return out
    }
}
