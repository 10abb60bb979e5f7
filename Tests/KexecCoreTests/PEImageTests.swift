import Foundation
import Testing
@testable import KexecCore

@Suite("PE/COFF parser")
struct PEImageTests {
    func parse(_ bytes: [UInt8]) throws -> PEImage {
        try bytes.withUnsafeBytes { try PEImageParser.parse($0) }
    }

    static let good = PEFixture.image([.init(".text", [1, 2, 3]), .init(".linux", Array(repeating: 9, count: 1000))])
    static func edit(_ change: (inout [UInt8]) -> Void) -> [UInt8] {
        var b = good
        change(&b)
        return b
    }
    static let pe = PEFixture.peOffset
    static let optional = pe + PEOffset.optionalHeader
    static let table = PEFixture.sectionTable

    @Test func parsesTheSectionTable() throws {
        let image = try parse(Self.good)
        #expect(image.machine == 0x8664 && image.fileAlignment == 0x200 && image.sectionAlignment == 0x1000)
        #expect(image.sections.map(\.name) == [".text", ".linux"])
        let linux = try #require(image.section(named: ".linux"))
        #expect(linux.header.virtualSize == 1000 && linux.header.sizeOfRawData == 0x400)
        #expect(linux.fileRange.count == 1000 && linux.zeroFill == 0)
        #expect(Array(Self.good[linux.fileRange]) == Array(repeating: 9, count: 1000))
    }

    /// Every malformed header is refused with one line naming the field.
    @Test(arguments: [
        ("empty", [], "MS-DOS header", "0 bytes"),
        ("short", Array(good.prefix(0x3f)), "MS-DOS header", "63 bytes"),
        ("not MZ", edit { $0[0] = UInt8(ascii: "Z") }, "e_magic", "expected 0x5a4d"),
        ("e_lfanew past EOF", edit { $0.store(UInt32(0x10_0000), at: 0x3c) }, "e_lfanew", "past the end"),
        ("e_lfanew at the last bytes", edit { $0.store(UInt32($0.count - 2), at: 0x3c) }, "e_lfanew", "past the end"),
        ("bad signature", edit { $0[pe + 2] = 1 }, "signature", "PE\\0\\0"),
        ("COFF header cut", Array(good.prefix(pe + 12)), "COFF file header", "truncated"),
        ("optional header missing", Array(good.prefix(pe + 24)), "optional header", "before the optional header"),
        ("PE32", edit { $0.store(UInt16(0x10b), at: optional) }, "optional header Magic", "PE32, a 32-bit image"),
        ("ROM image", edit { $0.store(UInt16(0x107), at: optional) }, "optional header Magic", "expected 0x20b"),
        ("small optional header", edit { $0.store(UInt16(96), at: pe + 4 + 16) }, "SizeOfOptionalHeader", "at least 112"),
        ("optional header cut", Array(good.prefix(optional + 80)), "optional header", "inside the optional header"),
        ("too many sections", edit { $0.store(UInt16(500), at: pe + 4 + 2) }, "NumberOfSections", "500 section headers"),
        ("section table cut", Array(good.prefix(table + 50)), "NumberOfSections", "past the end"),
        ("section past EOF", edit { $0.store(UInt32(0x7000_0000), at: table + 40 + 20) }, "section .linux", "PointerToRawData 0x70000000"),
        ("section runs past EOF", Array(good.prefix(good.count - 0x200)), "section .linux", "past the end of the"),
        ("unnamed section past EOF", edit { $0.replaceSubrange((table + 40)..<(table + 48), with: [UInt8](repeating: 0, count: 8))
                                          $0.store(UInt32(0x7000_0000), at: table + 40 + 20) }, "section #1", "past the end"),
    ] as [(String, [UInt8], String, String)])
    func rejects(_ name: String, _ bytes: [UInt8], _ field: String, _ phrase: String) {
        do {
            _ = try parse(bytes)
            Issue.record("\(name): accepted")
        } catch let error as KexecError {
            #expect(error.field == field, "\(name): \(error)")
            #expect(error.message.contains(phrase), "\(name): \(error)")
            #expect(!error.description.contains("\n"))
        } catch {
            Issue.record("\(name): unexpected \(error)")
        }
    }

    @Test func virtualSizeSmallerThanRawDataTakesVirtualSizeBytes() throws {
        // objcopy's layout: SizeOfRawData rounded up to FileAlignment, VirtualSize the real size.
        let payload = [UInt8](repeating: 0x42, count: 0x201)
        let bytes = PEFixture.image([.init(".linux", payload)])
        let s = try #require(try parse(bytes).section(named: ".linux"))
        #expect(s.header.sizeOfRawData == 0x400)
        #expect(s.fileRange.count == 0x201 && s.size == 0x201)
        #expect(Array(bytes[s.fileRange]) == payload)
        #expect(bytes[s.fileRange.upperBound] == 0xEE)            // the padding is not content
    }

    @Test func virtualSizeLargerThanRawDataIsZeroFill() throws {
        let bytes = PEFixture.image([.init(".data", [1, 2, 3], virtualSize: 0x1000, rawSize: 0x200)])
        let s = try #require(try parse(bytes).section(named: ".data"))
        #expect(s.fileRange.count == 0x200 && s.zeroFill == 0xe00 && s.size == 0x1000)
    }

    @Test func virtualSizeZeroFallsBackToRawData() throws {
        let bytes = PEFixture.image([.init(".linux", [7, 7, 7], virtualSize: 0)])
        let s = try #require(try parse(bytes).section(named: ".linux"))
        #expect(s.fileRange.count == 0x200 && s.zeroFill == 0)
    }

    @Test func sectionWithoutRawDataMayPointAnywhere() throws {
        var bytes = PEFixture.image([.init(".bss", [], virtualSize: 0x3000, rawSize: 0)])
        bytes.store(UInt32(0xffff_ff00), at: Self.table + 20)      // ignored: nothing is read
        let s = try #require(try parse(bytes).section(named: ".bss"))
        #expect(s.fileRange.isEmpty && s.zeroFill == 0x3000)
    }

    @Test func eightByteNamesHaveNoTerminator() throws {
        let image = try parse(PEFixture.image([.init(".pcrpkey", [1]), .init(".cmdline", [2])]))
        #expect(image.sections.map(\.name) == [".pcrpkey", ".cmdline"])
    }

    @Test func headerStructsRoundTrip() {
        var bytes = [UInt8](repeating: 0, count: 64)
        let coff = COFFFileHeader(numberOfSections: 3, sizeOfOptionalHeader: 240, timeDateStamp: 5, numberOfSymbols: 9)
        coff.encode(into: &bytes, at: 4)
        #expect(bytes.withUnsafeBytes { COFFFileHeader(LittleEndianReader($0), at: 4) } == coff)
        #expect(bytes.withUnsafeBytes { COFFFileHeader(LittleEndianReader($0), at: 50) } == nil)
        var section = PESectionHeader(name: ".linux", virtualSize: 1, virtualAddress: 2, sizeOfRawData: 3, pointerToRawData: 4)
        section.numberOfRelocations = 6
        section.encode(into: &bytes, at: 20)
        #expect(bytes.withUnsafeBytes { PESectionHeader(LittleEndianReader($0), at: 20) } == section)
        #expect(bytes.withUnsafeBytes { PESectionHeader(LittleEndianReader($0), at: 30) } == nil)
        #expect(Array(bytes[20..<28]) == Array(".linux".utf8) + [0, 0])
    }

    /// Debian's kernel is an EFI-stub bzImage: a valid PE32+ image, but no UKI.
    @Test func debianKernelIsAPEImageWithoutLinuxSection() throws {
        guard let path = Fixture.debianKernelPath else {
            Issue.record("the Debian bzImage is missing: run scripts/vm/setup.sh")
            return
        }
        let data = try [UInt8](contentsOfFile: path)
        let image = try parse(data)
        #expect(image.machine == PEConstant.machineAMD64)
        #expect(image.sections.map(\.name).contains(".text"))
        #expect(image.section(named: ".linux") == nil)
        #expect(!data.withUnsafeBytes { UnifiedKernelImage.probe($0) })
        let storage = ByteStorage(data)
        #expect(try UnifiedKernelImage.detect(storage.all, path: path) == nil)
        #expect(try data.withUnsafeBytes { try ImageLoaders.select(type: nil, image: $0, path: path) }.typeName == "bzImage64")
    }
}
