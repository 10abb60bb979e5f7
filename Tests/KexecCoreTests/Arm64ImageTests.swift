import Testing
@testable import KexecCore

/// Synthetic arm64 kernel files: Image headers (booting.rst) with and without an EFI stub,
/// and EFI zboot headers (zboot-header.S).
enum Arm64Fixture {
    static let magic: UInt32 = 0x644d_5241

    /// A 3.17+ Image without EFI stub: the 64-byte header, then body bytes up to `fileSize`.
    /// flags 0xa: 4K pages, placeable anywhere.
    static func image(fileSize: Int = 0x1000, imageSize: UInt64 = 0x3000, flags: UInt64 = 0xa,
                      edit: (inout [UInt8]) -> Void = { _ in }) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: fileSize)
        for i in 64..<fileSize { b[i] = UInt8(truncatingIfNeeded: i &* 7) }
        b.store(UInt32(0x9100_0000), at: 0)      // code0: some instruction, not "MZ"
        b.store(UInt32(0x1400_0010), at: 4)      // code1: a branch
        writeHeader(&b, imageSize: imageSize, flags: flags)
        edit(&b)
        return b
    }

    /// An Image with an EFI stub: PEFixture's PE32+ file (e_lfanew = res5 = 0x80) with the
    /// Image fields written around it. Its section data ends at the end of the file (0xc00).
    static func efiImage(imageSize: UInt64 = 0x10000, machine: UInt16 = PEConstant.machineARM64,
                         extra: [PEFixture.Section] = [], edit: (inout [UInt8]) -> Void = { _ in }) -> [UInt8] {
        var b = PEFixture.image([.init(".text", [UInt8](repeating: 0xd5, count: 0x600)),
                                 .init(".data", [UInt8](repeating: 0x11, count: 0x400))] + extra, machine: machine)
        writeHeader(&b, imageSize: imageSize, flags: 0xa)
        edit(&b)
        return b
    }

    static func writeHeader(_ b: inout [UInt8], imageSize: UInt64, flags: UInt64) {
        b.store(UInt64(0), at: 8)                // text_offset
        b.store(imageSize, at: 16)
        b.store(flags, at: 24)
        b.store(magic, at: 56)
    }

    /// A zboot file: the 64-byte header, padding, then the payload at `payloadOffset`.
    static func zboot(payloadOffset: UInt32 = 0x200, payloadSize: UInt32 = 0x100, fileSize: Int = 0x400,
                      compression: String = "zstd") -> [UInt8] {
        var b = [UInt8](repeating: 0, count: fileSize)
        b.store(PEConstant.dosMagic, at: 0)
        b.store(bytes: Array("zimg".utf8), at: 4)
        b.store(payloadOffset, at: 8)
        b.store(payloadSize, at: 12)
        b.store(bytes: Array(compression.utf8), at: 24)
        b.store(UInt32(0x80), at: 0x3c)
        return b
    }
}

/// The error a refusal test expects: thrown, naming `field`, its message holding `phrase`, on one line.
func expectRefusal(_ name: String, field: String, _ phrase: String, sourceLocation: SourceLocation = #_sourceLocation,
                   _ body: () throws -> Void) {
    do {
        try body()
        Issue.record("\(name): accepted", sourceLocation: sourceLocation)
    } catch let error as KexecError {
        #expect(error.field == field, "\(name): \(error)", sourceLocation: sourceLocation)
        #expect(error.message.contains(phrase), "\(name): \(error)", sourceLocation: sourceLocation)
        #expect(!error.description.contains("\n"), "\(name)", sourceLocation: sourceLocation)
    } catch {
        Issue.record("\(name): unexpected \(error)", sourceLocation: sourceLocation)
    }
}

@Suite("Arm64 Image header")
struct Arm64ImageTests {
    func parse(_ bytes: [UInt8]) throws -> Arm64Image {
        try bytes.withUnsafeBytes { try Arm64ImageParser.parse($0) }
    }

    func identify(_ bytes: [UInt8]) throws -> Arm64KernelFile {
        try bytes.withUnsafeBytes { try Arm64ImageParser.identify($0) }
    }

    /// Every field is read from its booting.rst offset, little-endian.
    @Test func readsEachFieldAtItsOffset() throws {
        var b = [UInt8](repeating: 0, count: 64)
        b.store(UInt32(0x0101_0101), at: 0)
        b.store(UInt32(0x0202_0202), at: 4)
        b.store(UInt64(0x0303_0303_0303_0303), at: 8)
        b.store(UInt64(0x0404_0404_0404_0404), at: 16)
        b.store(UInt64(0x0505_0505_0505_0505), at: 24)
        b.store(UInt64(0x0606_0606_0606_0606), at: 32)
        b.store(UInt64(0x0707_0707_0707_0707), at: 40)
        b.store(UInt64(0x0808_0808_0808_0808), at: 48)
        b.store(UInt32(0x0909_0909), at: 56)
        b.store(UInt32(0x0a0a_0a0a), at: 60)
        let h = try #require(b.withUnsafeBytes { Arm64ImageHeader(LittleEndianReader($0)) })
        #expect(h.code0 == 0x0101_0101 && h.code1 == 0x0202_0202)
        #expect(h.textOffset == 0x0303_0303_0303_0303 && h.imageSize == 0x0404_0404_0404_0404)
        #expect(h.flags == 0x0505_0505_0505_0505)
        #expect(h.res2 == 0x0606_0606_0606_0606 && h.res3 == 0x0707_0707_0707_0707 && h.res4 == 0x0808_0808_0808_0808)
        #expect(h.magic == 0x0909_0909 && h.res5 == 0x0a0a_0a0a)
        #expect(b.dropLast().withUnsafeBytes { Arm64ImageHeader(LittleEndianReader($0)) } == nil)
        #expect(Array("ARM\u{64}".utf8) == [0x41, 0x52, 0x4d, 0x64])   // the magic's bytes in the file
    }

    @Test func parsesImageWithoutEFIStub() throws {
        let image = try parse(Arm64Fixture.image { $0.store(UInt64(0x8_0000), at: 8) })
        #expect(image.header.textOffset == 0x8_0000 && image.header.effectiveTextOffset == 0x8_0000)
        #expect(image.header.imageSize == 0x3000)
        #expect(image.header.pageSize == .size4K && image.header.placeAnywhere)
        #expect(!image.header.isBigEndian && !image.header.isLegacy && !image.header.hasEFIStub)
        #expect(image.fileDataSize == 0x1000 && !image.hasPEHeader)
    }

    @Test(arguments: [
        (UInt64(0), Arm64PageSize.unspecified, Int?.none),
        (1 << 1, .size4K, 4096),
        (2 << 1, .size16K, 16384),
        (3 << 1, .size64K, 65536),
    ])
    func pageSizeFlags(_ flags: UInt64, _ size: Arm64PageSize, _ bytes: Int?) throws {
        let image = try parse(Arm64Fixture.image(flags: flags))
        #expect(image.header.pageSize == size)
        #expect(image.header.pageSize.bytes == bytes)
        #expect(!image.header.placeAnywhere)
    }

    /// A pre-3.17 header: image_size 0, text_offset of unknown endianness taken as 0x80000.
    @Test func legacyHeaderIsModelledThenRefused() throws {
        let bytes = Arm64Fixture.image(imageSize: 0, flags: 0xf) { $0.store(UInt64(0x0008_0000).byteSwapped, at: 8) }
        let h = try #require(bytes.withUnsafeBytes { Arm64ImageHeader(LittleEndianReader($0)) })
        #expect(h.isLegacy && h.effectiveTextOffset == 0x80000)
        #expect(h.pageSize == .unspecified && !h.isBigEndian && !h.placeAnywhere)   // no flags before 3.17
        expectRefusal("legacy", field: "image_size", "older than 3.17") { _ = try parse(bytes) }
    }

    /// With an EFI stub the section table says where text and data end; an appended signature
    /// is not part of them.
    @Test func parsesImageWithEFIStub() throws {
        let plain = Arm64Fixture.efiImage()
        let signed = plain + [UInt8](repeating: 0x30, count: 0x500)
        for bytes in [plain, signed] {
            let image = try parse(bytes)
            #expect(image.hasPEHeader && image.header.hasEFIStub)
            #expect(image.header.res5 == UInt32(PEFixture.peOffset))
            #expect(image.fileDataSize == plain.count)
        }
        guard case .image(let identified) = try identify(signed) else {
            Issue.record("an Image was identified as zboot")
            return
        }
        #expect(identified.fileDataSize == plain.count)
    }

    /// A section with no bytes in the file (BSS) may point anywhere; it does not move the
    /// end of the file data.
    @Test func sectionWithoutFileBytesDoesNotCount() throws {
        let bytes = Arm64Fixture.efiImage(extra: [.init(".bss", [], virtualSize: 0x3000, rawSize: 0)]) {
            $0.store(UInt32(0xffff_ff00), at: PEFixture.sectionTable + 2 * PESectionHeader.size + 20)
        }
        #expect(try parse(bytes).fileDataSize == 0xc00)
    }

    /// Each malformed header is refused with one line naming the field.
    @Test(arguments: [
        ("empty", [], "size", "0 bytes"),
        ("63 bytes", Array(Arm64Fixture.image().prefix(63)), "size", "63 bytes; an arm64 Image starts with a 64-byte header"),
        ("wrong magic", Arm64Fixture.image { $0[59] = 0x65 }, "magic", "found 0x654d5241 at offset 0x38; expected 0x644d5241"),
        ("big-endian", Arm64Fixture.image(flags: 0xb), "flags", "0xb has bit 0 set (a big-endian kernel)"),
        ("image_size 0", Arm64Fixture.image(imageSize: 0), "image_size", "is 0: a kernel older than 3.17"),
        ("image_size below the file", Arm64Fixture.image(fileSize: 0x1000, imageSize: 0xfff), "image_size",
         "0xfff is less than the 4096 bytes of text and data in the file"),
        ("truncated EFI Image", Array(Arm64Fixture.efiImage().dropLast(0x100)), "section .data", "(truncated?)"),
        ("EFI Image cut inside its headers", Array(Arm64Fixture.efiImage().prefix(0x100)), "optional header", "(truncated?)"),
        ("image_size below the sections", Arm64Fixture.efiImage(imageSize: 0x900), "image_size", "is less than the"),
        ("x86 EFI stub", Arm64Fixture.efiImage(machine: PEConstant.machineAMD64), "Machine", "found 0x8664"),
        ("res5 points nowhere", Arm64Fixture.efiImage { $0.store(UInt32(0x10_0000), at: 60) }, "e_lfanew", "past the end"),
    ] as [(String, [UInt8], String, String)])
    func rejects(_ name: String, _ bytes: [UInt8], _ field: String, _ phrase: String) {
        expectRefusal(name, field: field, phrase) { _ = try parse(bytes) }
    }

    @Test func identifiesZBoot() throws {
        let bytes = Arm64Fixture.zboot(payloadOffset: 0x200, payloadSize: 0x200, fileSize: 0x400, compression: "gzip")
        guard case .zboot(let z) = try identify(bytes) else {
            Issue.record("zboot not identified")
            return
        }
        #expect(z.payloadOffset == 0x200 && z.payloadSize == 0x200)
        #expect(z.payloadRange == 0x200..<0x400)
        #expect(z.compressionType == "gzip")
        let zstd = try Arm64Fixture.zboot().withUnsafeBytes { try Arm64ImageParser.parseZBoot($0) }
        #expect(zstd.compressionType == "zstd" && zstd.payloadRange == 0x200..<0x300)
        #expect(!Arm64Fixture.image().withUnsafeBytes { EFIZBootHeader.isZBoot($0) })
        #expect(!Arm64Fixture.efiImage().withUnsafeBytes { EFIZBootHeader.isZBoot($0) })
    }

    @Test(arguments: [
        ("short", Array(Arm64Fixture.zboot().prefix(40)), "size", "40 bytes; an EFI zboot image starts with a 64-byte header"),
        ("payload past the end", Arm64Fixture.zboot(payloadOffset: 0x300, payloadSize: 0x101), "payload_offset",
         "0x300 + payload_size 0x101 ends at 0x401, past the end of the 1024-byte file"),
        ("payload far past the end", Arm64Fixture.zboot(payloadOffset: 0xffff_ffff, payloadSize: 0xffff_ffff), "payload_offset",
         "ends at 0x1fffffffe"),
        ("empty payload", Arm64Fixture.zboot(payloadSize: 0), "payload_size", "is 0"),
        ("payload inside the header", Arm64Fixture.zboot(payloadOffset: 0x20), "payload_offset", "inside the 64-byte header"),
        ("no compression name", Arm64Fixture.zboot(compression: ""), "compression type", "expected a NUL-padded name"),
        ("control bytes in the name", Arm64Fixture.zboot(compression: "gz\u{1b}p"), "compression type", "gz\\x1bp"),
    ] as [(String, [UInt8], String, String)])
    func rejectsZBoot(_ name: String, _ bytes: [UInt8], _ field: String, _ phrase: String) {
        expectRefusal(name, field: field, phrase) { _ = try identify(bytes) }
    }
}
