import Foundation
import Testing
@testable import KexecCore

@Suite("unified kernel images")
struct UKITests {
    let kernel = Fixture.bzImage(bodySize: 64 * 1024)
    let initrd = [UInt8](repeating: 0x5a, count: 100_003)

    func uki(_ bytes: [UInt8], path: String = "uki.efi") throws -> UnifiedKernelImage {
        try UnifiedKernelImage.parse(ByteStorage(bytes).all, path: path)
    }

    @Test func sectionsAreTheExactPayloads() throws {
        let image = PEFixture.uki(linux: kernel, initrd: initrd, cmdline: "console=ttyS0 quiet\n",
                                  osrel: "ID=debian\nPRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n")
        let storage = ByteStorage(image)
        let u = try UnifiedKernelImage.parse(storage.all, path: "uki.efi")
        #expect(Array(u.linux.raw) == kernel)                     // not the 0xEE padding after it
        #expect(u.initrd.map { Array($0.raw) } == initrd)
        #expect(u.linux.storage === storage && u.initrd?.storage === storage)   // zero-copy
        #expect(u.commandLine == "console=ttyS0 quiet")
        #expect(u.prettyName == "Debian GNU/Linux 12 (bookworm)")
        #expect(u.summary(path: "uki.efi") == "uki.efi: UKI (PE32+, 6 sections): .linux \(kernel.count) bytes, .initrd 100003 bytes, .cmdline \"console=ttyS0 quiet\", .osrel \"Debian GNU/Linux 12 (bookworm)\"")
    }

    @Test(arguments: [
        ("a b\n", "a b"), ("a b\r\n\0\0\0", "a b"), ("x\0garbage after the NUL", "x"), ("  lead stays \t\n", "  lead stays"),
        ("\n", ""), ("", ""),
    ])
    func commandLineIsTrimmed(_ raw: String, _ expected: String) throws {
        #expect(try uki(PEFixture.uki(linux: kernel, cmdline: raw)).commandLine == expected)
    }

    @Test func noCmdlineOrInitrdSections() throws {
        let u = try uki(PEFixture.uki(linux: kernel))
        #expect(u.commandLine == nil && u.initrd == nil && u.prettyName == nil)
        let inputs = u.bootInputs(path: "u", userInitrd: nil, userCommandLine: nil)
        #expect(inputs.commandLine == "" && inputs.embeddedInitrd == nil)
        #expect(inputs.notes.contains("initrd: none (the UKI has no .initrd and no --initrd was given)"))
        #expect(inputs.notes.contains("command line: empty (the UKI has no .cmdline)"))
    }

    /// VirtualSize beyond the raw data is zero fill: materialized (a copy), within a limit.
    @Test func zeroFilledSectionsAreMaterialized() throws {
        let image = PEFixture.image([.init(".linux", kernel, virtualSize: UInt32(kernel.count + 5000), rawSize: UInt32(kernel.count)),
                                     .init(".cmdline", Array("quiet".utf8) + [UInt8](repeating: 0, count: 0x1fb), virtualSize: 0x300, rawSize: 0x200)])
        let storage = ByteStorage(image)
        let u = try UnifiedKernelImage.parse(storage.all, path: "u")
        #expect(u.linux.count == kernel.count + 5000)
        #expect(Array(u.linux.raw.prefix(kernel.count)) == kernel && u.linux.raw.suffix(5000).allSatisfy { $0 == 0 })
        #expect(u.linux.storage !== storage)
        #expect(u.commandLine == "quiet")
    }

    @Test func profilesUseTheBaseAndProfileZero() throws {
        let image = PEFixture.uki(linux: kernel, cmdline: "base", extra: [
            .init(".profile", Array("ID=default\n".utf8)), .init(".cmdline", Array("profile0".utf8)),
            .init(".profile", Array("ID=other\n".utf8)), .init(".cmdline", Array("profile1".utf8)),
            .init(".initrd", [1, 2, 3]),
        ])
        let u = try uki(image)
        #expect(u.commandLine == "profile0")
        #expect(u.initrd == nil)                                  // profile 1's
    }

    @Test func unusedSectionsAreNamed() throws {
        let u = try uki(PEFixture.uki(linux: kernel, extra: [.init(".ucode", [1]), .init(".dtb", [2]), .init(".uname", Array("6.1.0".utf8))]))
        #expect(u.unused == [".ucode", ".dtb"])
        #expect(u.summary(path: "u").hasSuffix(", not used by kexec: .ucode .dtb"))
    }

    @Test(arguments: [
        ("no .linux", PEFixture.image([.init(".text", [1]), .init(".initrd", [2])]), ".linux", "no .linux section (sections: .text, .initrd)"),
        ("no sections", PEFixture.image([]), ".linux", "(sections: none)"),
        ("ARM64", PEFixture.image([.init(".linux", [1])], machine: PEConstant.machineARM64), "Machine", "0xaa64 (ARM64); expected 0x8664"),
        ("empty .linux", PEFixture.image([.init(".linux", [], rawSize: 0)]), ".linux", "the section is empty"),
        ("huge zero fill", PEFixture.image([.init(".linux", [1], virtualSize: 0x7000_0000, rawSize: 0x200)]), ".linux", "at most 16 MiB of zero fill"),
        ("bad PE", Array(PEFixture.image([]).prefix(100)), "e_lfanew", "past the end of the 100-byte file"),
    ] as [(String, [UInt8], String, String)])
    func rejects(_ name: String, _ bytes: [UInt8], _ field: String, _ phrase: String) {
        do {
            _ = try uki(bytes, path: "/boot/u.efi")
            Issue.record("\(name): accepted")
        } catch let error as KexecError {
            #expect(error.file == "/boot/u.efi", "\(name): \(error)")
            #expect(error.field == field, "\(name): \(error)")
            #expect(error.message.contains(phrase), "\(name): \(error)")
        } catch {
            Issue.record("\(name): unexpected \(error)")
        }
    }

    @Test func linuxThatIsNotABzImageNamesTheSection() {
        let image = PEFixture.uki(linux: [UInt8](repeating: 0, count: 4096), cmdline: "x")
        #expect {
            try UKILoader().plan(Fixture.request(image), host: Fixture.host())
        } throws: { error in
            "\(error)" == "test-bzImage (.linux): boot_flag: found 0x0 at offset 0x1fe; expected 0xaa55 (not a bzImage)"
        }
    }

    // MARK: probing

    func selected(_ bytes: [UInt8]) throws -> String {
        try bytes.withUnsafeBytes { try ImageLoaders.select(type: nil, image: $0, path: "f") }.typeName
    }

    @Test func probeTellsUKIsFromBzImages() throws {
        #expect(try selected(PEFixture.uki(linux: kernel)) == "uki")
        #expect(try selected(kernel) == "bzImage64")
        // A bzImage whose EFI stub has a broken PE header is still a bzImage.
        var efiStub = kernel
        efiStub.store(PEConstant.dosMagic, at: 0)
        efiStub.store(UInt32(0x7fff_0000), at: 0x3c)
        #expect(try selected(efiStub) == "bzImage64")
        #expect(try UnifiedKernelImage.detect(ByteStorage(efiStub).all, path: "f") == nil)
        // A PE image that is no bzImage: the UKI parser explains what is missing.
        #expect { try selected(PEFixture.image([.init(".text", [1])])) } throws: {
            "\($0)" == "f: \(Fixture.notAKernel); closest is uki: .linux: the PE image has no .linux section (sections: .text); expected a UKI or a bzImage"
        }
        #expect { try selected([UInt8](repeating: 0, count: 2048)) } throws: { "\($0)" == "f: \(Fixture.notAKernel)" }
        #expect(try UnifiedKernelImage.detect(ByteStorage([0x4d, 0x5b, 0, 0]).all, path: "f") == nil)
        #expect { try UnifiedKernelImage.detect(ByteStorage([0x4d, 0x5a, 0, 0]).all, path: "f") } throws: {
            "\($0)" == "f: MS-DOS header: the file is 4 bytes; a PE image starts with a 64-byte MS-DOS header (truncated?)"
        }
        #expect { try UnifiedKernelImage.detect(ByteStorage(Array(PEFixture.image([]).prefix(100))).all, path: "f") } throws: {
            "\($0)".hasPrefix("f: e_lfanew: ")
        }
    }

    // MARK: planning

    @Test func plansTheEmbeddedKernelWithItsInitrdAndCmdline() throws {
        var request = Fixture.request(PEFixture.uki(linux: kernel, initrd: initrd, cmdline: "console=ttyS0 from-uki\n"), commandLine: "")
        request.kernelPath = "uki.efi"
        request.initrdPath = nil
        request.commandLineFromUser = false
        let p = try UKILoader().plan(request, host: Fixture.host())
        #expect(p.imageType == "uki" && p.kernelPath == "uki.efi")
        #expect(p.commandLine == "console=ttyS0 from-uki")
        let rd = try #require(p.segments.first { $0.role == .initrd })
        #expect(rd.data.map { Array($0.raw) } == initrd)
        #expect(p.segments.first { $0.role == .kernel }?.data.map { Array($0.raw) } == Array(kernel[1024...]))
        #expect(Array(p.notes.prefix(3)) == ["uki.efi: UKI (PE32+, 5 sections): .linux \(kernel.count) bytes, .initrd 100003 bytes, .cmdline \"console=ttyS0 from-uki\"",
                                      "initrd: the UKI's .initrd (100003 bytes)", "command line: the UKI's .cmdline"])
        #expect(p.notes[3].hasPrefix("uki.efi (.linux): bzImage protocol 2.15"))
    }

    @Test func userInitrdAndCommandLineReplaceTheEmbeddedOnes() throws {
        let mine: [UInt8] = [4, 5, 6, 7]
        var request = Fixture.request(PEFixture.uki(linux: kernel, initrd: initrd, cmdline: "from-uki"), initrd: mine, commandLine: "")
        let p = try UKILoader().plan(request, host: Fixture.host())   // commandLineFromUser: --append=
        #expect(p.commandLine == "")
        #expect(p.segments.first { $0.role == .initrd }?.data.map { Array($0.raw) } == mine)
        #expect(p.notes.contains("initrd: test-initrd replaces the UKI's .initrd (100003 bytes)"))
        #expect(p.notes.contains("command line: from the command line options, replacing the UKI's .cmdline"))
        request.commandLine = "mine"
        #expect(try UKILoader().plan(request, host: Fixture.host()).commandLine == "mine")
    }

    /// A UKI made around Debian's kernel plans exactly like the kernel file with the same
    /// initrd and command line: same segments, addresses and digests.
    @Test func debianUKIPlansLikeTheBareKernel() throws {
        guard let path = Fixture.debianKernelPath else {
            Issue.record("the Debian bzImage is missing: run scripts/vm/setup.sh")
            return
        }
        let bare = try [UInt8](contentsOfFile: path)
        var ukiRequest = Fixture.request(PEFixture.uki(linux: bare, initrd: initrd, cmdline: "console=ttyS0 quiet\n"), commandLine: "")
        ukiRequest.commandLineFromUser = false
        let fromUKI = try UKILoader().plan(ukiRequest, host: Fixture.host())
        let fromFile = try BzImage64Loader().plan(Fixture.request(bare, initrd: initrd, commandLine: "console=ttyS0 quiet"), host: Fixture.host())
        #expect(fromUKI.segments.count == fromFile.segments.count)
        for (a, b) in zip(fromUKI.sortedSegments, fromFile.sortedSegments) {
            #expect(a.role == b.role && a.memory == b.memory && a.dataSize == b.dataSize && a.digest == b.digest, "\(a.role)")
        }
        #expect(fromUKI.entry == fromFile.entry && fromUKI.kernelEntry == fromFile.kernelEntry)
        #expect(fromUKI.commandLine == fromFile.commandLine)
    }
}
