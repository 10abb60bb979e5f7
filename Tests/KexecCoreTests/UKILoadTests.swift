import Foundation
import Glibc
import Testing
@testable import KexecCore
@testable import KexecSystem

/// UKI files on disk, through the runner (fake syscalls) and the CLI (--dry-run).
@Suite("UKI loads through the runner and the CLI", .serialized)
struct UKILoadTests {
    let files: ImageFiles
    let bzImage: [UInt8]
    let embeddedInitrd = [UInt8](repeating: 0x17, count: 70_001)
    let uki: String
    let bare: String

    init() throws {
        files = try ImageFiles(prefix: "kexec-uki-", bodySize: 150_000, initrd: [9, 8, 7, 6, 5])
        bzImage = try [UInt8](contentsOfFile: files.kernel)
        uki = files.dir + "/uki.efi"
        try Data(PEFixture.uki(linux: bzImage, initrd: embeddedInitrd, cmdline: "console=ttyS0 from-uki\n",
                               osrel: "PRETTY_NAME=\"Test OS\"\n")).write(to: URL(fileURLWithPath: uki))
        bare = files.dir + "/bare.efi"
        try Data(PEFixture.uki(linux: bzImage)).write(to: URL(fileURLWithPath: bare))
    }

    func runner(_ fake: any LinuxKexecSyscalls) throws -> (KexecRunner, FakeRoot) {
        let root = try FakeRoot(["/proc/iomem": "00100000-7ffdffff : System RAM\n"])
        return (KexecRunner(backend: LinuxBackend(syscalls: fake, files: root.files), probe: HostProbe(files: root.files)), root)
    }

    func load(_ o: LoadOptions, _ fake: InspectingSyscalls) throws -> LoadOutcome {
        let (r, root) = try runner(fake)
        return try withExtendedLifetime(root) { try r.load(o) }
    }

    func options(_ path: String, _ choice: SyscallChoice, initrd: String? = nil, append: String? = nil) -> LoadOptions {
        var o = LoadOptions(kernelPath: path)
        o.initrdPath = initrd
        o.append = append
        o.syscall = choice
        return o
    }

    @Test func fileSyscallGetsTheEmbeddedKernelInitrdAndCmdlineInSealedMemfds() throws {
        let fake = InspectingSyscalls(fileResults: [0])
        let outcome = try load(options(uki, .file), fake)
        #expect(outcome.syscall == .file && fake.loads == 0)
        let call = try #require(fake.fileLoads.first)
        #expect(fake.fileLoads.count == 1)
        #expect(call.contents == bzImage)                                 // exactly .linux, no padding
        #expect(call.seals == SealedMemfd.allSeals)
        #expect(call.initrd == embeddedInitrd)
        #expect(call.initrdSeals == SealedMemfd.allSeals)
        #expect(call.commandLine == Array("console=ttyS0 from-uki".utf8) + [0])
        #expect(call.flags & 0x4 == 0)                                    // an initramfs is passed
        #expect(!FDContents.isMemfd(call.kernelFD, named: "kexec:uki.efi:.linux"))    // closed after the call
        #expect(!FDContents.isMemfd(call.initrdFD, named: "kexec:uki.efi:.initrd"))
        #expect(outcome.notes == [
            "\(uki): UKI (PE32+, 6 sections): .linux \(bzImage.count) bytes, .initrd 70001 bytes, .cmdline \"console=ttyS0 from-uki\", .osrel \"Test OS\"",
            "initrd: the UKI's .initrd (70001 bytes)",
            "command line: the UKI's .cmdline",
            "kexec_file_load gets .linux (\(bzImage.count) bytes) in a sealed memfd",
            "kexec_file_load gets .initrd (70001 bytes) in a sealed memfd",
            "loaded through kexec_file_load",
        ])
    }

    @Test func userInitrdAndAppendReplaceTheEmbeddedOnes() throws {
        let fake = InspectingSyscalls(fileResults: [0])
        let outcome = try load(options(uki, .file, initrd: files.initrd, append: "mine=1"), fake)
        let call = try #require(fake.fileLoads.first)
        #expect(call.contents == bzImage)
        #expect(call.initrd == [9, 8, 7, 6, 5])                           // the user's file, as it is
        #expect(call.initrdSeals == nil || call.initrdSeals == 0)
        #expect(call.commandLine == Array("mine=1".utf8) + [0])
        #expect(outcome.notes.contains("initrd: \(files.initrd) replaces the UKI's .initrd (70001 bytes)"))
        #expect(outcome.notes.contains("command line: from the command line options, replacing the UKI's .cmdline"))
        #expect(!outcome.notes.contains { $0.contains(".initrd (70001 bytes) in a sealed memfd") })
    }

    @Test func emptyAppendGivesAnEmptyCommandLine() throws {
        let fake = InspectingSyscalls(fileResults: [0])
        _ = try load(options(uki, .file, append: ""), fake)
        #expect(fake.fileLoads.first?.commandLine == [0])
    }

    @Test func ukiWithoutInitrdLoadsWithoutAnInitramfs() throws {
        let fake = InspectingSyscalls(fileResults: [0])
        _ = try load(options(bare, .file), fake)
        let call = try #require(fake.fileLoads.first)
        #expect(call.initrdFD == -1 && call.flags & 0x4 == 0x4)           // KEXEC_FILE_NO_INITRAMFS
        #expect(call.commandLine == [0])
    }

    @Test func autoFallsBackToKexecLoadWithTheUKIPlan() throws {
        let fake = InspectingSyscalls(fileResults: [-Int(ENOEXEC)])
        let outcome = try load(options(uki, .auto), fake)
        #expect(outcome.syscall == .load && fake.loads == 1 && fake.fileLoads.count == 1)
        let plan = try #require(outcome.plan)
        #expect(plan.imageType == "uki" && plan.commandLine == "console=ttyS0 from-uki")
        #expect(plan.segments.first { $0.role == .initrd }?.data.map { Array($0.raw) } == embeddedInitrd)
        #expect(outcome.notes.contains { $0.hasSuffix("; falling back to kexec_load") })
    }

    @Test func kexecLoadNeverTouchesTheFileSyscall() throws {
        let fake = InspectingSyscalls(fileResults: [])
        let outcome = try load(options(uki, .load), fake)
        #expect(outcome.syscall == .load && fake.loads == 1 && fake.fileLoads.isEmpty)
        #expect(outcome.plan?.segments.first { $0.role == .kernel }?.data.map { Array($0.raw) } == Array(bzImage[1024...]))
    }

    @Test func typeBzImageHandsTheFileOverUnchanged() throws {
        let fake = InspectingSyscalls(fileResults: [0])
        var o = options(uki, .file)
        o.type = "bzImage64"
        _ = try load(o, fake)
        #expect(fake.fileLoads.first?.contents == (try [UInt8](contentsOfFile: uki)))
    }

    @Test func plainKernelIsNotTakenApart() throws {
        let fake = InspectingSyscalls(fileResults: [0])
        let outcome = try load(options(files.kernel, .file, append: "x"), fake)
        #expect(fake.fileLoads.first?.contents == bzImage && fake.fileLoads.first?.seals != SealedMemfd.allSeals)
        #expect(outcome.notes == ["loaded through kexec_file_load"])
    }

    @Test func brokenUKIIsOneLineOnEveryPath() throws {
        let broken = files.dir + "/broken.efi"
        var bytes = PEFixture.uki(linux: bzImage)
        bytes.removeLast(4096)                                            // .linux runs past the end
        try Data(bytes).write(to: URL(fileURLWithPath: broken))
        for choice in [SyscallChoice.file, .load, .auto] {
            let fake = InspectingSyscalls(fileResults: [])
            // -s reads the UKI itself; kexec_load's probe names the closest format's reason.
            #expect { _ = try load(options(broken, choice), fake) } throws: {
                "\($0)".hasPrefix("\(broken): \(choice == .load ? Fixture.notAKernel + "; closest is uki: " : "")section .linux: PointerToRawData ")
                    && !"\($0)".contains("\n")
            }
            #expect(fake.fileLoads.isEmpty && fake.loads == 0)
        }
    }

    // MARK: the CLI

    @Test func dryRunOfADebianUKIPlansTheEmbeddedKernel() throws {
        guard let debian = Fixture.debianKernelPath else {
            Issue.record("the Debian bzImage is missing: run scripts/vm/setup.sh")
            return
        }
        let kernel = try [UInt8](contentsOfFile: debian)
        let path = files.dir + "/debian.efi"
        try Data(PEFixture.uki(linux: kernel, initrd: embeddedInitrd, cmdline: "console=ttyS0 quiet\n")).write(to: URL(fileURLWithPath: path))
        let r = try CLIRun(["--dry-run", "--json", "-d", "-l", path])
        #expect(r.status == 0, "\(r.stderr)")
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        #expect(plan["image_type"] as? String == "uki")
        #expect(plan["kernel"] as? String == path)
        #expect(plan["command_line"] as? String == "console=ttyS0 quiet")
        let segments = try #require(plan["segments"] as? [[String: Any]])
        let k = try #require(segments.first { $0["role"] as? String == "kernel" })
        let setup = (Int(kernel[0x1f1]) + 1) * 512
        #expect(k["sha256"] as? String == Digest.hexString(Array(SHA256Digest.hash(kernel[setup...]))))
        let rd = try #require(segments.first { $0["role"] as? String == "initrd" })
        #expect(rd["sha256"] as? String == Digest.hexString(Array(SHA256Digest.hash(embeddedInitrd))))
        #expect(r.stderr.contains("\(path): UKI (PE32+, 5 sections): .linux \(kernel.count) bytes"))
        #expect(r.stderr.contains("command line: the UKI's .cmdline"))
        #expect(r.stderr.contains("\(path) (.linux): bzImage protocol 2.15"))

        let over = try CLIRun(["--dry-run", "-l", path, "--append="])
        #expect(over.status == 0, "\(over.stderr)")
        #expect(over.stdout.contains("image type: uki\n") && over.stdout.contains("command line: \"\"\n"))
        let typed = try CLIRun(["--dry-run", "-t", "uki", "-l", path, "--initrd=" + files.initrd, "--append=a b"])
        #expect(typed.stdout.contains("command line: \"a b\"") && typed.stdout.contains("bufsz 5 sha256"), "\(typed.stdout)")
    }

    /// `probed`: the UKI probe accepts the file (it has .linux), so no -t gives the same error.
    @Test(arguments: [
        ("stub", PEFixture.image([.init(".text", [1]), .init(".sbat", [2])]), ".linux: the PE image has no .linux section (sections: .text, .sbat); expected a UKI or a bzImage", false),
        ("arm", PEFixture.image([.init(".linux", [1])], machine: PEConstant.machineARM64), "Machine: 0xaa64 (ARM64); expected 0x8664", true),
        ("cut", Array(PEFixture.image([.init(".linux", [1])]).prefix(0x90)), "COFF file header: the file ends at 0x90", false),
    ] as [(String, [UInt8], String, Bool)])
    func badUKIIsOneLine(_ name: String, _ bytes: [UInt8], _ message: String, _ probed: Bool) throws {
        let path = files.dir + "/" + name + ".efi"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        for args in [["--dry-run", "-l", path], ["--dry-run", "-t", "uki", "-l", path]] {
            let r = try CLIRun(args)
            let closest = probed || args.contains("uki") ? "" : Fixture.notAKernel + "; closest is uki: "
            #expect(r.status == 1 && r.stdout.isEmpty)
            #expect(r.stderr.hasPrefix("kexec: \(path): \(closest)\(message)"), "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1)
        }
    }
}
