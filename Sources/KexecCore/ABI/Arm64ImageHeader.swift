/// The 64-byte header at the start of an arm64 Linux `Image`.
/// Source: Linux Documentation/arch/arm64/booting.rst, "Call the kernel image" (the header
/// layout and the meaning of text_offset, image_size and flags). All fields little-endian.
public enum Arm64ImageOffset {
    public static let code0 = 0          // u32: executable code ("MZ" + a branch when there is an EFI stub)
    public static let code1 = 4          // u32: executable code
    public static let textOffset = 8     // u64: load offset from a 2 MiB aligned base
    public static let imageSize = 16     // u64: bytes the kernel occupies once loaded, BSS included (3.17+)
    public static let flags = 24         // u64
    public static let res2 = 32          // u64, reserved
    public static let res3 = 40          // u64, reserved
    public static let res4 = 48          // u64, reserved
    public static let magic = 56         // u32: "ARM\x64"
    public static let res5 = 60          // u32: file offset of the PE header when there is an EFI stub
    public static let size = 64
}

public enum Arm64ImageConstant {
    public static let magic: UInt32 = 0x644d_5241        // "ARM\x64"
    /// What booting.rst says to assume when image_size is 0 (kernels before 3.17, whose
    /// text_offset has no specified endianness).
    public static let legacyTextOffset: UInt64 = 0x80000
    /// The base text_offset counts from, and the alignment booting.rst requires of it.
    public static let baseAlignment: UInt64 = 0x20_0000
    public static let flagBigEndian: UInt64 = 1 << 0     // bit 0: 1 = the kernel is big-endian
    public static let flagPageSizeShift: UInt64 = 1      // bits 1-2: the kernel's page size
    public static let flagPageSizeMask: UInt64 = 0x3 << 1
    public static let flagPlaceAnywhere: UInt64 = 1 << 3 // bit 3: 0 = base as low in DRAM as possible
}

/// The page size the kernel was built with (flags bits 1-2).
public enum Arm64PageSize: UInt64, Sendable, Equatable {
    case unspecified = 0, size4K = 1, size16K = 2, size64K = 3

    /// nil when the header does not say.
    public var bytes: Int? {
        switch self {
        case .unspecified: nil
        case .size4K: 4096
        case .size16K: 16384
        case .size64K: 65536
        }
    }
}

/// The header's fields as stored, plus what they mean.
public struct Arm64ImageHeader: Sendable, Equatable {
    public var code0: UInt32
    public var code1: UInt32
    public var textOffset: UInt64
    public var imageSize: UInt64
    public var flags: UInt64
    public var res2: UInt64
    public var res3: UInt64
    public var res4: UInt64
    public var magic: UInt32
    /// Reserved, but holds the PE header's file offset when the image carries an EFI stub.
    public var res5: UInt32

    /// nil when the 64 bytes are not all inside `r`; the fields are not checked here.
    public init?(_ r: LittleEndianReader) {
        typealias O = Arm64ImageOffset
        guard let res5 = r.u32(O.res5) else { return nil }
        code0 = r.u32(O.code0)!
        code1 = r.u32(O.code1)!
        textOffset = r.u64(O.textOffset)!
        imageSize = r.u64(O.imageSize)!
        flags = r.u64(O.flags)!
        res2 = r.u64(O.res2)!
        res3 = r.u64(O.res3)!
        res4 = r.u64(O.res4)!
        magic = r.u32(O.magic)!
        self.res5 = res5
    }

    /// image_size 0 marks a kernel older than 3.17: its header predates the flags and the
    /// defined endianness of text_offset.
    public var isLegacy: Bool { imageSize == 0 }

    /// The load offset to use: text_offset, or 0x80000 for a legacy header (booting.rst).
    public var effectiveTextOffset: UInt64 { isLegacy ? Arm64ImageConstant.legacyTextOffset : textOffset }

    public var isBigEndian: Bool { !isLegacy && flags & Arm64ImageConstant.flagBigEndian != 0 }

    public var pageSize: Arm64PageSize {
        guard !isLegacy else { return .unspecified }
        return Arm64PageSize(rawValue: (flags & Arm64ImageConstant.flagPageSizeMask) >> Arm64ImageConstant.flagPageSizeShift)!
    }

    /// True: the 2 MiB aligned base may be anywhere in physical memory. False: as close to the
    /// start of DRAM as possible (the only choice kernels before 4.6 understood).
    public var placeAnywhere: Bool { !isLegacy && flags & Arm64ImageConstant.flagPlaceAnywhere != 0 }

    /// "MZ" in code0: the image starts with an EFI stub's MS-DOS header.
    public var hasEFIStub: Bool { UInt16(truncatingIfNeeded: code0) == PEConstant.dosMagic }
}
