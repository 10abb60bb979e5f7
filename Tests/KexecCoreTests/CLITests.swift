import Foundation
import Testing
@testable import KexecCore

/// Runs the built `kexec` binary (next to the test bundle) in --dry-run mode: no syscall.
/// (`tool: "kexec-docs"` runs the docs tool built beside it instead.)
struct CLIRun {
    let status: Int32
    let stdout: String
    let stderr: String

    static var binary: String { path(of: "kexec") }

    static func path(of tool: String) -> String {
        URL(fileURLWithPath: ProcessInfo.processInfo.arguments[0]).deletingLastPathComponent()
            .appendingPathComponent(tool).path
    }

    init(_ args: [String], environment extra: [String: String] = [:], tool: String = "kexec") throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: CLIRun.path(of: tool))
        // Host tests must never reach kexec_load/kexec_file_load/reboot: every run is a dry run,
        // and this makes the real back end refuse even if a test forgot --dry-run.
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(["SWIFT_KEXEC_NO_SYSCALLS": "1"].merging(extra) { $1 }) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        status = p.terminationStatus
        stdout = String(decoding: o, as: UTF8.self)
        stderr = String(decoding: e, as: UTF8.self)
    }
}

@Suite("command line (dry run)", .serialized)
struct CLITests {
    let dir: String
    let kernel: String
    let initrd: String

    init() throws {
        let files = try ImageFiles(prefix: "kexec-cli-", bodySize: 100_000, initrd: Array(repeating: 0x42, count: 300_000))
        (dir, kernel, initrd) = (files.dir, files.kernel, files.initrd)
    }

    @Test(arguments: [
        ["--dry-run", "-l", "KERNEL", "--initrd=INITRD", "--append=console=ttyS0 quiet"],
        ["--dry-run", "-l", "KERNEL", "--ramdisk", "INITRD", "--command-line", "console=ttyS0 quiet"],
        ["--dry-run", "--load", "--append", "console=ttyS0 quiet", "--initrd", "INITRD", "KERNEL"],
        ["--dry-run", "-c", "-t", "bzImage64", "-l", "KERNEL", "--initrd=INITRD", "--append=x", "--append=console=ttyS0 quiet"],
    ])
    func spellingsAgree(_ template: [String]) throws {
        let args = template.map { $0 == "KERNEL" ? kernel : $0.replacingOccurrences(of: "INITRD", with: initrd) }
        let r = try CLIRun(args)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("command line: \"console=ttyS0 quiet\""))
        #expect(r.stdout.contains("segments: 4"))
        #expect(r.stdout.contains(" initrd "))
        #expect(r.stdout.contains("bufsz 300000 sha256 "))
    }

    @Test func reuseCmdlineDropsBootImage() throws {
        let r = try CLIRun(["--dry-run", "-l", kernel, "--reuse-cmdline", "--append=extra=1"])
        #expect(r.status == 0, "\(r.stderr)")
        let running = (try? String(contentsOfFile: "/proc/cmdline", encoding: .utf8)) ?? ""
        #expect(!r.stdout.contains("BOOT_IMAGE="))
        #expect(r.stdout.contains("extra=1\""))
        if let first = running.split(separator: " ").first(where: { !$0.hasPrefix("BOOT_IMAGE=") }) {
            #expect(r.stdout.contains(String(first)))
        }
    }

    /// getopt takes `--append=` as an empty value (kexec-tools users write it); so do we.
    @Test(arguments: [(["--append="], ""), (["--append=a=b="], "a=b="), (["--append=x", "--command-line="], "")])
    func emptyOptionValues(_ args: [String], _ line: String) throws {
        let r = try CLIRun(["--dry-run", "-l", kernel] + args)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("command line: \"\(line)\"\n"), "\(r.stdout)")
    }

    @Test func debugPrintsDecisions() throws {
        let r = try CLIRun(["--dry-run", "-d", "-l", kernel, "--append=a"])
        #expect(r.status == 0)
        #expect(r.stderr.contains("bzImage protocol 2.15"))
        #expect(r.stderr.contains("purgatory "))
        #expect(r.stderr.contains("memory map from"))
    }

    @Test(arguments: [
        (["--dry-run", "-l", "/nonexistent/vmlinuz"], "/nonexistent/vmlinuz: cannot open the kernel image"),
        (["--dry-run", "-l", "BADKERNEL"], "bad: \(Fixture.notAKernel)\n"),
        (["--dry-run", "-l", "KERNEL", "--initrd=/nonexistent/initrd"], "/nonexistent/initrd: cannot open the initrd"),
        (["--dry-run", "-t", "coff", "-l", "KERNEL"], "unsupported image type \"coff\""),
        (["--dry-run", "-t", "elf-x86_64", "-l", "KERNEL"], "e_ident: no ELF magic"),
        (["--dry-run", "-t", "multiboot-x86", "-l", "KERNEL"], "multiboot header: no magic 0x1badb002"),
        (["--dry-run", "-l", "KERNEL", "--mem-max=0x10zz"], "--mem-max: \"0x10zz\" is not a number; expected decimal, 0x-hexadecimal or 0-octal"),
        (["--dry-run", "-l", "KERNEL", "--module=/nonexistent/mod args"], "is a bzImage64 kernel; modules are passed only to multiboot-x86 and multiboot2-x86 kernels"),
        (["--dry-run", "-l", "KERNEL", "--mem-min=zz"], "--mem-min"),
        (["--dry-run", "-p", "KERNEL"], "Memory for crashkernel is not reserved: add crashkernel="),
        (["--dry-run", "-l", "KERNEL", "--reset-vga"], "--reset-vga: purgatory does not reset the VGA card"),
        (["--dry-run", "-e", "--append=x"], "--append applies only to a load (-l, -p, -f or no action); see kexec --help"),
        (["--dry-run", "-l", "KERNEL", "KERNEL"], "one kernel image only"),
        (["-u", "--json"], "--json: applies to --dry-run and --status only"),
        (["--dry-run", "-l"], "no kernel image given"),
        (["--dry-run", "-l", "KERNEL", "--serial=ttyS9"], "--serial: \"ttyS9\" is not a serial port"),
        (["--dry-run", "-l", "KERNEL", "--console-vga"], "--console-vga: purgatory writes only to a serial port"),
        (["--dry-run", "-l", "KERNEL", "--serial-baud=115200"], "--serial-baud: purgatory keeps the UART's current settings"),
    ])
    func badInputIsOneLineAndNonZero(_ template: [String], _ phrase: String) throws {
        let bad = dir + "/bad"
        try Data(repeating: 0, count: 4096).write(to: URL(fileURLWithPath: bad))
        let args = template.map { $0 == "KERNEL" ? kernel : $0 == "BADKERNEL" ? bad : $0 }
        let r = try CLIRun(args)
        #expect(r.status == 1)
        #expect(r.stderr.hasPrefix("kexec: "))
        #expect(r.stderr.contains(phrase), "\(r.stderr)")
        #expect(r.stderr.split(separator: "\n").count == 1)
        #expect(r.stdout.isEmpty)
    }

    /// Inspection only: -u and -e under --dry-run say what they would do and change nothing.
    @Test func dryRunActionsOnlySayWhatTheyWouldDo() throws {
        let u = try CLIRun(["--dry-run", "-u"]), pu = try CLIRun(["--dry-run", "-p", "-u"])
        #expect(u.status == 0 && u.stdout == "--dry-run: would unload the loaded image\n")
        #expect(pu.status == 0 && pu.stdout == "--dry-run: would unload the crash (kdump) image\n")
        // What -e says depends on this host (an image loaded, none, or no kexec in its kernel).
        let e = try CLIRun(["--dry-run", "-e"])
        let loaded = (try? String(contentsOfFile: "/sys/kernel/kexec_loaded", encoding: .utf8)) == "1\n"
        if loaded {
            #expect(e.status == 0 && e.stdout == "--dry-run: would sync, then take network interfaces down, then execute the loaded image\n")
        } else {
            #expect(e.status == 1 && e.stdout.isEmpty && e.stderr.hasPrefix("kexec: ") && e.stderr.split(separator: "\n").count == 1)
        }
        let x = try CLIRun(["--dry-run", "-e", "-x", "-y"])
        #expect(x.stdout.isEmpty || x.stdout == "--dry-run: would execute the loaded image\n")
    }

    /// The version scripts read (second word), and the release tag agrees with it.
    @Test func versionMatchesTheNewestTag() throws {
        let r = try CLIRun(["--version"])
        #expect(r.status == 0)
        let words = r.stdout.split(separator: " ")
        #expect(words.first == "swift-kexec" && words.count > 1)
        let git = Process()
        git.executableURL = URL(fileURLWithPath: "/usr/bin/git")
        git.arguments = ["-C", URL(fileURLWithPath: #filePath).deletingLastPathComponent().path, "describe", "--tags", "--abbrev=0", "--match", "v*"]
        let out = Pipe()
        git.standardOutput = out
        git.standardError = Pipe()
        try git.run()
        git.waitUntilExit()
        let tag = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        // Releases are tagged vX.Y.Z; the source must not claim an older or newer number.
        if git.terminationStatus == 0, !tag.isEmpty, words.count > 1 { #expect("v" + words[1] == tag) }
    }

    /// Argument errors are one line and status 1 (kexec-tools' getopt), not usage and 64;
    /// -S that cannot read the status exits 255, never 1 ("loaded").
    @Test func argumentErrorsAndStatusErrors() throws {
        for args in [["--no-such-option"], ["-l", kernel, "--append"], ["--mem-min"]] {
            let r = try CLIRun(args)
            #expect(r.status == 1, "\(args)")
            #expect(r.stderr.hasPrefix("kexec: ") && r.stderr.hasSuffix("; see kexec --help\n"), "\(r.stderr)")
            #expect(r.stderr.split(separator: "\n").count == 1, "\(r.stderr)")
        }
        let s = try CLIRun(["-S"])
        if FileManager.default.fileExists(atPath: "/sys/kernel/kexec_crash_loaded") {
            #expect(s.status == 0 || s.status == 1)
        } else {
            #expect(s.status == 255 && s.stderr.hasPrefix("kexec: ") && s.stderr.split(separator: "\n").count == 1)
        }
    }

    /// Issue #3: the --json plan for the real Debian kernel, field by field.
    @Test func dryRunJSONForTheDebianKernel() throws {
        guard let debian = Fixture.debianKernelPath else {
            Issue.record("the Debian bzImage is missing: run scripts/vm/setup.sh")
            return
        }
        let r = try CLIRun(["--dry-run", "--json", "-l", debian, "--initrd=" + initrd, "--append=console=ttyS0"])
        #expect(r.status == 0, "\(r.stderr)")
        let plan = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let segments = try #require(plan["segments"] as? [[String: Any]])
        func seg(_ role: String) throws -> [String: Any] { try #require(segments.first { $0["role"] as? String == role }) }
        func u(_ d: [String: Any], _ k: String) -> UInt64 { (d[k] as? NSNumber)?.uint64Value ?? .max }
        let kernel = try seg("kernel"), bp = try seg("boot_params"), rd = try seg("initrd"), pg = try seg("purgatory")
        #expect(plan["command_line"] as? String == "console=ttyS0")
        #expect((plan["syscall"] as? String)?.isEmpty == false)
        #expect(u(plan, "kernel_entry") == u(kernel, "start") + 0x200)
        #expect(u(plan, "kernel_entry") < u(kernel, "end"))
        #expect(u(plan, "entry") >= u(pg, "start") && u(plan, "entry") < u(pg, "end"))
        #expect(u(plan, "boot_params") == u(bp, "start") && u(bp, "end") <= 1 << 32)
        #expect(u(rd, "start") >= 16 << 20 && u(rd, "start") % 4096 == 0)
        for s in segments { #expect(u(s, "start") % 4096 == 0 && u(s, "memsz") % 4096 == 0) }
        // Digests are those of the files' bytes (kernel: everything after the setup sectors).
        let kernelBytes = try Data(contentsOf: URL(fileURLWithPath: debian))
        let setup = (Int(kernelBytes[0x1f1]) + 1) * 512
        #expect(kernel["sha256"] as? String == Digest.hexString(Array(SHA256Digest.hash(kernelBytes[setup...]))))
        #expect(rd["sha256"] as? String == Digest.hexString(Array(SHA256Digest.hash(Data(repeating: 0x42, count: 300_000)))))
    }

    @Test func dryRunSaysWhichSyscall() throws {
        let r = try CLIRun(["--dry-run", "-c", "-l", kernel])
        #expect(r.stdout.hasPrefix("syscall: kexec_load (-c)"))
    }

    /// --console-serial: the plan names the port, the syscall is kexec_load, and the
    /// parameter block purgatory gets has flags bit 2 and the port (checked in PlanTests).
    @Test func consoleSerialIsInThePlan() throws {
        let r = try CLIRun(["--dry-run", "--console-serial", "--serial=ttyS1", "-l", kernel, "--append=x"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("purgatory console: serial port 0x2f8"))
        #expect(r.stdout.contains("syscall: kexec_load: --console-serial: our purgatory prints on the serial port, so kexec_load"))
        let quiet = try CLIRun(["--dry-run", "-l", kernel, "--append=x"])
        #expect(quiet.stdout.contains("purgatory console: off"))
    }

    @Test func unknownOptionIsRefused() throws {
        let r = try CLIRun(["--dry-run", "--no-such-flag", "-l", kernel])
        #expect(r.status != 0)
        #expect(r.stderr.contains("--no-such-flag"))
    }

    @Test func versionAndHelp() throws {
        #expect(try CLIRun(["-v"]).stdout.hasPrefix("swift-kexec"))
        let help = try CLIRun(["-h"])
        #expect(help.status == 0)
        for flag in ["--load", "--exec", "--unload", "--status", "--dry-run", "--reuse-cmdline", "--no-checks"] {
            #expect(help.stdout.contains(flag))
        }
    }
}
