import Foundation
import Testing
import KexecCore

/// The committed help text, man page and shell completions (scripts/make-docs.sh) still describe
/// the options and sections of KexecCommand (kexec-docs): when one of these fails, run
/// scripts/make-docs.sh.
@Suite("docs: help text, man page and completions agree with KexecCommand")
struct DocsTests {
    static func committed(_ path: String) throws -> String {
        try String(contentsOf: Fixture.repoRoot.appendingPathComponent(path), encoding: .utf8)
    }

    /// kexec prints Sources/kexec/HelpText.swift, which kexec-docs generates from KexecCommand.
    @Test func helpTextIsCurrent() throws {
        let source = try CLIRun(["--swift"], tool: "kexec-docs")
        #expect(source.status == 0, "\(source.stderr)")
        #expect(source.stdout == (try Self.committed("Sources/kexec/HelpText.swift")),
                "Sources/kexec/HelpText.swift is older than KexecCommand: run scripts/make-docs.sh")
        let generated = try CLIRun([], tool: "kexec-docs")
        let printed = try CLIRun(["--help"])
        #expect(printed.status == 0)
        #expect(printed.stdout == generated.stdout)
        #expect(printed.stdout.hasPrefix("OVERVIEW: "))
    }

    @Test func manPageRecordsTheCurrentHelp() throws {
        let r = try CLIRun(["--help"], environment: ["COLUMNS": "80"])
        #expect(r.status == 0)
        var help = Substring(r.stdout)
        while help.hasSuffix("\n") { help = help.dropLast() }
        let digest = SHA256Digest.hash(Data((help + "\n").utf8)).map { String(format: "%02x", $0) }.joined()
        let page = try Self.committed("docs/kexec.8")
        #expect(page.contains(".\\\" kexec --help sha256: \(digest)\n"), "docs/kexec.8 is older than kexec --help: run scripts/make-docs.sh")
        for section in ["ENVIRONMENT", "FILES", "\"EXIT STATUS\"", "EXAMPLES", "\"SEE ALSO\""] {
            #expect(page.contains("\n.Sh \(section)\n"))
        }
        #expect(!page.contains(".Ex -std"), "the generic exit status says nothing of -S")
    }

    @Test(arguments: [("bash", "kexec.bash"), ("zsh", "_kexec"), ("fish", "kexec.fish")])
    func completionScriptIsCurrent(_ shell: String, _ file: String) throws {
        let r = try CLIRun(["--generate-completion-script", shell], tool: "kexec-docs")
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("reuse-cmdline"))
        #expect(r.stdout == (try Self.committed("docs/completions/\(file)")), "docs/completions/\(file) is stale: run scripts/make-docs.sh")
    }

    @Test func helpEndsWithTheManualSections() throws {
        let r = try CLIRun(["-h"])
        #expect(r.status == 0)
        for heading in ["\nENVIRONMENT:\n", "\nFILES:\n", "\nEXIT STATUS:\n", "\nEXAMPLES:\n", "\nSEE ALSO:\n"] {
            #expect(r.stdout.contains(heading), "\(heading)")
        }
    }
}
