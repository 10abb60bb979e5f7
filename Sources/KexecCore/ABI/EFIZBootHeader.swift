/// The header of an EFI zboot image: a PE/COFF EFI application that decompresses the real
/// kernel. Its MS-DOS header carries where the compressed kernel lies, so a loader that does
/// not run the EFI stub can decompress the payload itself.
/// Source: Linux drivers/firmware/efi/libstub/zboot-header.S. All fields little-endian.
public enum EFIZBootOffset {
    public static let dosMagic = 0             // u32: "MZ" and two bytes of padding
    public static let imageType = 4            // 4 bytes: "zimg"
    public static let payloadOffset = 8        // u32: file offset of the compressed kernel
    public static let payloadSize = 12         // u32: its size in bytes
    public static let reserved = 16            // 2 × u32
    public static let compressionType = 24     // NUL-padded name, e.g. "gzip", "zstd"
    public static let compressionTypeSize = 32 // up to the PE header's fields at 0x38
    public static let size = 64                // the MS-DOS header, e_lfanew at 0x3c included
}

public enum EFIZBootConstant {
    public static let imageType: [UInt8] = Array("zimg".utf8)
}

/// What a zboot image says about its payload.
public struct EFIZBootHeader: Sendable, Equatable {
    public var payloadOffset: UInt32
    public var payloadSize: UInt32
    /// The compression type as written (before the first NUL), e.g. "gzip".
    public var compressionType: String

    /// The compressed kernel's bytes in the file.
    public var payloadRange: Range<Int> { Int(payloadOffset)..<(Int(payloadOffset) + Int(payloadSize)) }

    public init(payloadOffset: UInt32, payloadSize: UInt32, compressionType: String) {
        self.payloadOffset = payloadOffset
        self.payloadSize = payloadSize
        self.compressionType = compressionType
    }

    /// True when the file starts with "MZ" and has "zimg" at offset 4.
    public static func isZBoot(_ image: UnsafeRawBufferPointer) -> Bool {
        let r = LittleEndianReader(image)
        guard r.u16(EFIZBootOffset.dosMagic) == PEConstant.dosMagic, image.count >= EFIZBootOffset.imageType + 4 else { return false }
        return image[EFIZBootOffset.imageType..<(EFIZBootOffset.imageType + 4)].elementsEqual(EFIZBootConstant.imageType)
    }
}
