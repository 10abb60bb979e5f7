import Foundation
import Testing
@testable import KexecCore

/// --dry-run changes nothing: every action runs under strace, which refuses (EPERM, before
/// they run) and records every syscall that could change the system — kexec_load,
/// kexec_file_load, reboot, sync, flock, file creation, renames, unlinks, interface ioctls,
/// exec of shutdown(8) — and the test fails on any of them.
@Suite("dry run side effects (strace sandbox)", .serialized)
struct DryRunSandboxTests {
    static let mutating = "kexec_load,kexec_file_load,reboot,sync,syncfs,flock,rename,renameat,renameat2,unlink,unlinkat,truncate,ftruncate,ioctl,execve,memfd_create"

    func sandboxed(_ args: [String]) throws -> (status: Int32, calls: [String]) {
        let log = NSTemporaryDirectory() + "kexec-strace-" + UUID().uuidString
        defer { try? FileManager.default.removeItem(atPath: log) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/strace")
        p.arguments = ["-f", "-qq", "-o", log, "--seccomp-bpf", "-e", "trace=\(Self.mutating),openat",
                       "-e", "inject=kexec_load,kexec_file_load,reboot,sync,syncfs:error=EPERM", CLIRun.binary] + args
        p.environment = ["PATH": "/usr/bin:/bin"]
        p.standardOutput = Pipe()
        p.standardError = Pipe()
        try p.run()
        p.waitUntilExit()
        let lines = (try? String(contentsOfFile: log, encoding: .utf8))?.split(separator: "\n").map(String.init) ?? []
        let bad = lines.filter { line in
            if line.contains("execve(\"\(CLIRun.binary)\"") { return false }   // the process itself
            if line.contains("ioctl(") { return line.contains("SIOCSIF") }      // only interface changes
            if line.contains("openat(") { return line.contains("O_CREAT") || line.contains("O_WRONLY") || line.contains("O_RDWR") }
            return !line.contains("+++") && !line.contains("---")
        }
        return (p.terminationStatus, bad)
    }

    @Test(arguments: [["-e"], ["-u"], ["-p", "-u"], ["-f", "KERNEL"], ["-l", "KERNEL"], ["KERNEL"], ["-p", "KERNEL"],
                      ["-s", "-l", "KERNEL"], ["-c", "-l", "KERNEL", "--initrd=KERNEL"], ["-u", "-p", "KERNEL"], ["-S"], ["--status", "--json"]])
    func everyActionUnderDryRunChangesNothing(_ template: [String]) throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/strace") else {
            Issue.record("strace is missing (scripts/install-deps.sh installs it)")
            return
        }
        let files = try ImageFiles(prefix: "kexec-sandbox-")
        let args = (template.contains("-S") || template.contains("--status") ? [] : ["--dry-run"]) + template.map { $0.replacingOccurrences(of: "KERNEL", with: files.kernel) }
        let r = try sandboxed(args)
        #expect(r.calls.isEmpty, "\(args): \(r.calls)")
    }
}
