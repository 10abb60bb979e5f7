import Foundation
import Testing
@testable import KexecCore

/// Inputs every loader refuses the same way, the message for a file no probe accepts, and
/// file-derived text made printable before it reaches a terminal.
@Suite("input validation")
struct InputValidationTests {
    typealias L = ElfFixture.Load
    static let vmlinux = ElfFixture.elf64([L(paddr: 0x100_0000, offset: 0x1000, filesz: 0x2000, memsz: 0x2000)], entry: 0x100_0000)

    static func plan(_ loader: String, initrd: [UInt8]? = nil, edit: (inout LoadRequest) -> Void = { _ in }) throws -> LoadPlan {
        var request: LoadRequest
        switch loader {
        case "uki": request = Fixture.request(PEFixture.uki(linux: Fixture.bzImage()), initrd: initrd)
        case "elf-x86_64": request = ElfFixture.request(vmlinux, initrd: initrd)
        case "multiboot-x86": request = ElfFixture.request(ElfFixture.multibootELF32(), initrd: initrd)
        default: request = Fixture.request(Fixture.bzImage(), initrd: initrd)
        }
        edit(&request)
        let chosen = try #require(ImageLoaders.all.first { $0.typeName == loader })
        return try chosen.plan(request, host: Fixture.host())
    }

    /// Said before any placement, which would otherwise blame init_size or the RAM holes.
    @Test(arguments: [
        ("bzImage64", false, "test-initrd: is empty; expected an initramfs"),
        ("bzImage64", true, "test-initrd: is empty; expected an initramfs"),
        ("uki", false, "test-initrd: is empty; expected an initramfs"),
        ("elf-x86_64", false, "test-initrd: is empty; expected an initramfs"),
    ])
    func emptyInitrdIsRefused(_ loader: String, _ crash: Bool, _ message: String) {
        #expect {
            try Self.plan(loader, initrd: []) { if crash { $0.crash = ElfLoaderTests.crash() } }
        } throws: { "\($0)" == message }
    }

    @Test(arguments: ["bzImage64", "uki", "elf-x86_64", "multiboot-x86"])
    func memMinAboveMemMaxIsRefused(_ loader: String) {
        #expect {
            try Self.plan(loader) { $0.memoryMin = 0x200_0000; $0.memoryMax = 0x100_0000 }
        } throws: { "\($0)" == "--mem-min: 0x2000000 is not below --mem-max 0x1000000; expected --mem-min < --mem-max" }
    }

    static let unknown = "f: " + Fixture.notAKernel
    static var elf32: [UInt8] { ElfFixture.multibootELF32 { $0.store(UInt32(0), at: 0x100) } }

    /// No probe accepted the file: the tried formats, then the reason of the format whose
    /// magic the file carries.
    @Test(arguments: [
        ("zeros", [UInt8](repeating: 0, count: 4096), unknown),
        ("text", Array(String(repeating: "hello\n", count: 200).utf8), unknown),
        ("old bzImage", Fixture.bzImage { $0.store(UInt16(0x020a), at: 0x206) },
         unknown + "; closest is bzImage64: version: boot protocol 2.10; expected 2.12 or newer for a 64-bit kexec"),
        ("truncated bzImage", Array(Fixture.bzImage().dropLast(100)),
         unknown + "; closest is bzImage64: syssize: 512 paragraphs (8192 bytes) of protected-mode code after the 1024-byte setup need 9216 bytes but the file has 9116 (truncated?)"),
        ("boot sector only", [UInt8](repeating: 0, count: 2048).withStored(UInt16(0xaa55), at: 0x1fe),
         unknown + "; closest is bzImage64: header: found 0x0 at offset 0x202; expected \"HdrS\" (boot protocol 2.00 or newer)"),
        ("PE without .linux", PEFixture.image([.init(".text", [1])]),
         unknown + "; closest is uki: .linux: the PE image has no .linux section (sections: .text); expected a UKI or a bzImage"),
        ("ELF32 without multiboot", elf32, unknown + "; closest is elf-x86_64: e_ident[EI_CLASS]: is 1; expected 2 (ELF64)"),
        ("ELF64 ET_DYN", ElfFixture.elf64([], entry: 0, type: 3), unknown + "; closest is elf-x86_64: e_type: is 3; expected 2 (ET_EXEC, an executable)"),
    ] as [(String, [UInt8], String)])
    func unknownFileNamesTheClosestFormat(_ name: String, _ bytes: [UInt8], _ message: String) {
        let error = #expect(throws: KexecError.self, "\(name)") {
            _ = try bytes.withUnsafeBytes { try ImageLoaders.select(type: nil, image: $0, path: "f") }
        }
        #expect(error?.description == message, "\(name)")
    }

    @Test(arguments: [
        ("plain", Array("Debian GNU/Linux".utf8), "Debian GNU/Linux"),
        ("UTF-8 kept", Array("Débian ☃".utf8), "Débian ☃"),
        ("escape sequence", [0x1b, 0x5b, 0x32, 0x4a, 0x41], "\\x1b[2JA"),
        ("newline and DEL", [0x61, 0x0a, 0x7f], "a\\x0a\\x7f"),
        ("C1 CSI", [0xc2, 0x9b, 0x31, 0x6d], "\\xc2\\x9b1m"),
        ("bidi override", Array("a\u{202E}b".utf8), "a\\xe2\\x80\\xaeb"),
        ("invalid UTF-8", [0x41, 0xff, 0xc3], "A\\xff\\xc3"),
    ] as [(String, [UInt8], String)])
    func fileTextIsMadePrintable(_ name: String, _ bytes: [UInt8], _ shown: String) {
        #expect(printable(bytes) == shown, "\(name)")
    }

    @Test func sectionNamesOsrelAndCmdlineArePrintable() throws {
        let escape = "\u{1b}]0;x\u{07}"
        let image = PEFixture.uki(linux: Fixture.bzImage(), cmdline: "quiet \(escape)",
                                  osrel: "PRETTY_NAME=\"OS\u{1b}[31m\"\n", extra: [.init("\u{1b}[2J", [1])])
        let uki = try UnifiedKernelImage.parse(ByteStorage(image).all, path: "u")
        #expect(uki.pe.sections.last?.name == "\\x1b[2J")
        #expect(uki.summary(path: "u").contains(".cmdline \"quiet \\x1b]0;x\\x07\", .osrel \"OS\\x1b[31m\""), "\(uki.summary(path: "u"))")
        #expect(uki.commandLine == "quiet \(escape)")            // the kernel still gets it as written
        #expect {
            try UnifiedKernelImage.parse(ByteStorage(PEFixture.image([.init("\u{1b}[2J", [1])])).all, path: "u")
        } throws: { "\($0)" == "u: .linux: the PE image has no .linux section (sections: \\x1b[2J); expected a UKI or a bzImage" }
        var request = Fixture.request(image)
        request.commandLineFromUser = false
        let plan = try UKILoader().plan(request, host: Fixture.host())
        #expect(PlanPrinter.text(plan).contains("command line: \"quiet \\x1b]0;x\\x07\"\n"))
    }
}

extension Array where Element == UInt8 {
    func withStored<T: FixedWidthInteger>(_ value: T, at offset: Int) -> [UInt8] {
        var copy = self
        copy.store(value, at: offset)
        return copy
    }
}
