import Glibc
import KexecCore
import KexecSystem

/// The released version: the tag `v\(number)` marks its commit (a host test checks the newest
/// tag agrees). Scripts read the second word, as from kexec-tools' "kexec-tools 2.0.32".
enum SwiftKexecVersion {
    static let number = "0.3.0"
    static let line = "swift-kexec \(number) (the command line of kexec-tools 2.0.32)"
}

/// Process entry: argv as bytes, read with kexec-tools' rules (`Invocation`, glibc's
/// getopt_long); `KexecCommand` (Sources/KexecDocs) declares the same options for --help
/// (HelpText.swift, generated), the man page and the completion scripts.
@main
enum Main {
    static func main() {
        // argv as bytes (CommandLine.arguments turns what is not UTF-8 into U+FFFD).
        let raw = capturedArguments()
        let args = Array((raw.isEmpty ? CommandLine.arguments : raw).dropFirst())
        do {
            let invocation = try Invocation.parse(args)
            if invocation.help || invocation.helpAsError {
                print(HelpText.text)
                exit(invocation.helpAsError ? 1 : 0)
            }
            try Actions(invocation).run()
        } catch let error as KexecError {
            printError("kexec: \(error)")
            exit(1)
        } catch let status as ExitStatus {
            exit(status.code)   // -S: 0, 1, or 255 on an error
        } catch {
            printError("kexec: \(error)")
            exit(1)
        }
    }
}

/// Ends the process with this status and no message (-S's answer).
struct ExitStatus: Error {
    let code: Int32
    init(_ code: Int32) { self.code = code }
}
