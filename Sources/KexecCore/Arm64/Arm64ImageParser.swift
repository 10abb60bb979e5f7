/// An arm64 kernel file as a loader meets it: a plain `Image`, or an EFI zboot image whose
/// payload is a compressed `Image`.
public enum Arm64KernelFile: Sendable, Equatable {
    case image(Arm64Image)
    case zboot(EFIZBootHeader)
}

/// A validated arm64 `Image`.
public struct Arm64Image: Sendable, Equatable {
    public var header: Arm64ImageHeader
    /// The bytes at the start of the file that are the kernel's text and data: the end of the
    /// PE section data when there is an EFI stub (what follows, e.g. an Authenticode
    /// signature, is not kernel), else the whole file. image_size adds BSS to this.
    public var fileDataSize: Int
    /// True when the file has an EFI stub whose PE/COFF headers were validated.
    public var hasPEHeader: Bool
}

/// Reads and validates arm64 kernel headers. Rules: Linux Documentation/arch/arm64/booting.rst
/// for the Image header, drivers/firmware/efi/libstub/zboot-header.S for zboot.
public enum Arm64ImageParser {
    /// A zboot image when its MS-DOS header says "zimg", else an Image.
    public static func identify(_ image: UnsafeRawBufferPointer) throws(KexecError) -> Arm64KernelFile {
        EFIZBootHeader.isZBoot(image) ? .zboot(try parseZBoot(image)) : .image(try parse(image))
    }

    public static func parse(_ image: UnsafeRawBufferPointer) throws(KexecError) -> Arm64Image {
        guard let header = Arm64ImageHeader(LittleEndianReader(image)) else {
            throw KexecError(field: "size", "file is \(image.count) bytes; an arm64 Image starts with a \(Arm64ImageOffset.size)-byte header (truncated?)")
        }
        guard header.magic == Arm64ImageConstant.magic else {
            throw KexecError(field: "magic", "found \(hex(header.magic)) at offset 0x38; expected 0x644d5241 (\"ARM\\x64\", an arm64 Image)")
        }
        guard !header.isLegacy else {
            throw KexecError(field: "image_size", "is 0: a kernel older than 3.17 (text_offset would be taken as 0x80000) that does not say how much memory it needs; expected a 3.17 or newer Image")
        }
        guard !header.isBigEndian else {
            throw KexecError(field: "flags", "\(hex(header.flags)) has bit 0 set (a big-endian kernel); expected a little-endian kernel")
        }
        let (dataSize, hasPE) = try fileData(image, header: header)
        guard UInt64(dataSize) <= header.imageSize else {
            throw KexecError(field: "image_size", "\(hex(header.imageSize)) is less than the \(dataSize) bytes of text and data in the file; expected the loaded size, BSS included")
        }
        return Arm64Image(header: header, fileDataSize: dataSize, hasPEHeader: hasPE)
    }

    /// image_size includes BSS, so only the file can say how much of it is text and data:
    /// with an EFI stub the PE section table gives where the section data ends (a file cut
    /// short of that is truncated; PEImageParser refuses it); without one, all of the file.
    static func fileData(_ image: UnsafeRawBufferPointer, header: Arm64ImageHeader) throws(KexecError) -> (size: Int, hasPE: Bool) {
        guard header.hasEFIStub, header.res5 != 0 else { return (image.count, false) }
        let pe = try PEImageParser.parse(image)
        guard pe.machine == PEConstant.machineARM64 else {
            throw KexecError(field: "Machine", "found \(hex(pe.machine)) in the EFI stub's COFF header; expected 0xaa64 (arm64)")
        }
        // A section without file bytes (BSS) may point anywhere: it says nothing about the file.
        let end = pe.sections.filter { !$0.fileRange.isEmpty }.map(\.fileRange.upperBound).max() ?? image.count
        return (max(end, Arm64ImageOffset.size), true)
    }

    public static func parseZBoot(_ image: UnsafeRawBufferPointer) throws(KexecError) -> EFIZBootHeader {
        typealias O = EFIZBootOffset
        let r = LittleEndianReader(image)
        guard image.count >= O.size else {
            throw KexecError(field: "size", "file is \(image.count) bytes; an EFI zboot image starts with a \(O.size)-byte header (truncated?)")
        }
        let offset = r.u32(O.payloadOffset)!, size = r.u32(O.payloadSize)!
        guard size > 0 else {
            throw KexecError(field: "payload_size", "is 0; expected the size of the compressed kernel")
        }
        guard offset >= O.size else {
            throw KexecError(field: "payload_offset", "\(hex(offset)) is inside the \(O.size)-byte header; expected the compressed kernel after it")
        }
        let end = UInt64(offset) + UInt64(size)
        guard end <= UInt64(image.count) else {
            throw KexecError(field: "payload_offset", "\(hex(offset)) + payload_size \(hex(size)) ends at \(hex(end)), past the end of the \(image.count)-byte file (truncated?)")
        }
        let field = image[O.compressionType..<(O.compressionType + O.compressionTypeSize)]
        let name = field.prefix { $0 != 0 }
        guard !name.isEmpty, name.allSatisfy({ $0 > 0x20 && $0 < 0x7f }) else {
            throw KexecError(field: "compression type", "\"\(printable(name))\" at offset 0x18; expected a NUL-padded name such as \"gzip\" or \"zstd\"")
        }
        return EFIZBootHeader(payloadOffset: offset, payloadSize: size, compressionType: String(decoding: name, as: UTF8.self))
    }
}
