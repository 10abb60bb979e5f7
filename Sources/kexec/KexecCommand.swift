import ArgumentParser
import KexecCore
import KexecSystem

/// The command line of /sbin/kexec, with kexec-tools' spellings. This type only parses
/// options; `Actions` does the work.
struct KexecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kexec",
        abstract: "Load a new kernel and boot it from the running one (swift-kexec).",
        discussion: "Without an action, loads KERNEL and then runs `shutdown -r now`, like kexec-tools.")

    @Flag(name: [.customShort("l"), .customLong("load")], help: "Load KERNEL for a later kexec -e.")
    var load = false
    @Flag(name: [.customShort("p"), .customLong("load-panic")], help: "Load a capture kernel into the crash reservation (kdump); with -u: unload it.")
    var loadPanic = false
    @Flag(name: [.customShort("u"), .customLong("unload")], help: "Unload the loaded image.")
    var unload = false
    @Flag(name: [.customShort("e"), .customLong("exec")], help: "Execute the loaded image now.")
    var exec = false
    @Flag(name: [.customShort("f"), .customLong("force")], help: "Load KERNEL and execute it at once, without shutdown(8).")
    var force = false
    @Flag(name: [.customShort("x"), .customLong("no-ifdown")], help: "Do not take network interfaces down before executing.")
    var noIfdown = false
    @Flag(name: [.customShort("y"), .customLong("no-sync")], help: "Do not sync file systems before executing.")
    var noSync = false
    @Flag(name: [.customShort("i"), .customLong("no-checks")], help: "Skip purgatory's SHA-256 verification.")
    var noChecks = false
    @Option(name: [.customShort("t"), .customLong("type")], help: "Force the image type (uki, bzImage64, elf-x86_64, multiboot-x86, multiboot2-x86).")
    var type: String?
    @Flag(name: [.customShort("s"), .customLong("kexec-file-syscall")], help: "Use kexec_file_load only.")
    var fileSyscall = false
    @Flag(name: [.customShort("c"), .customLong("kexec-syscall")], help: "Use kexec_load only (our placement and purgatory).")
    var loadSyscall = false
    @Flag(name: [.customShort("a"), .customLong("kexec-syscall-auto")], help: "kexec_file_load, then kexec_load if the kernel cannot use it for this image (default).")
    var autoSyscall = false
    @Flag(name: [.customShort("S"), .customLong("status")], help: "Exit 1 if an image is loaded, 0 if not (crash image unless -l).")
    var status = false
    @Flag(name: [.customShort("d"), .customLong("debug")], help: "Print every decision: segments, addresses, entry, digests.")
    var debug = false
    @Flag(name: [.customShort("v"), .customLong("version")], help: "Print the version.")
    var version = false
    @Flag(name: .customLong("dry-run"), help: "Do all the work of a load, print the plan, and stop before any syscall.")
    var dryRun = false
    @Flag(name: .customLong("json"), help: "With --dry-run or --status: print JSON.")
    var json = false
    @Option(name: [.customLong("append"), .customLong("command-line")], help: "The new kernel's command line.")
    var append: [String] = []
    @Option(name: [.customLong("initrd"), .customLong("ramdisk")], help: "Initial ramdisk.")
    var initrd: [String] = []
    @Flag(name: .customLong("print-ckr-size"), help: "Print the size of the crash kernel reservation.")
    var printCkrSize = false
    @Flag(name: .customLong("reuse-cmdline"), help: "Start from /proc/cmdline (without BOOT_IMAGE=, and for -p without crashkernel=).")
    var reuseCmdline = false
    @Option(name: .customLong("mem-min"), help: "Lowest physical address for segments.")
    var memMin: String?
    @Option(name: .customLong("mem-max"), help: "Highest physical address for segments.")
    var memMax: String?
    @Flag(name: .customLong("args-linux"), help: "ELF kernels: pass Linux boot_params (command line, initrd, memory map); the default.")
    var argsLinux = false
    @Flag(name: .customLong("args-none"), help: "ELF kernels: jump to the entry point with no arguments.")
    var argsNone = false
    @Flag(name: .customLong("noefi"), help: "kexec_load: do not hand EFI (system table, runtime regions) to the new kernel; it keeps ACPI.")
    var noEFI = false
    @Option(name: .customLong("module"), help: "Multiboot: load FILE as a module with the string \"FILE ARGS\" (repeatable, in order).")
    var module: [String] = []
    @Flag(name: .customLong("console-serial"), help: "Purgatory prints its progress on the serial port (see --serial).")
    var consoleSerial = false
    @Option(name: .customLong("serial"), help: "Purgatory's serial port: ttyS0 (default), ttyS1, ttyS2, ttyS3 or an I/O port number.")
    var serial: String?
    @Option(name: .customLong("serial-baud"), help: .hidden)
    var serialBaud: String?
    @Flag(name: .customLong("console-vga"), help: .hidden)
    var consoleVGA = false
    @Flag(name: .customLong("test-corrupt-digest"), help: .hidden)
    var testCorruptDigest = false
    @Argument(help: "The kernel image.")
    var kernel: String?

    mutating func run() throws {
        try Actions(options: self).run()
    }
}

/// Process entry: argv from the runtime, or from the C constructor when /proc was absent.
@main
enum Main {
    static func main() {
        // argv as bytes (CommandLine.arguments turns what is not UTF-8 into U+FFFD).
        let raw = capturedArguments()
        let args = Array((raw.isEmpty ? CommandLine.arguments : raw).dropFirst())
        do {
            var command = try KexecCommand.parse(emptyValuesSplit(args))
            try command.run()
        } catch let error as KexecError {
            printError("kexec: \(error)")
            KexecCommand.exit(withError: ExitCode.failure)
        } catch let code as ExitCode {
            KexecCommand.exit(withError: code)   // -S: 0 or 1 (255 on an error)
        } catch {
            // --help exits 0 with the usage; a bad option is one line and status 1, as kexec-tools.
            guard KexecCommand.exitCode(for: error) != .success else { KexecCommand.exit(withError: error) }
            let first = KexecCommand.message(for: error).split(separator: "\n").first.map(String.init) ?? "bad arguments"
            printError("kexec: \(first.hasPrefix("Error: ") ? String(first.dropFirst(7)) : first); see kexec --help")
            KexecCommand.exit(withError: ExitCode.failure)
        }
    }

    /// `--append=` (an empty value, which getopt accepts and kexec-tools users write to ask
    /// for an empty command line) becomes `--append ""`: ArgumentParser refuses `--name=`.
    static func emptyValuesSplit(_ args: [String]) -> [String] {
        var out: [String] = []
        for (i, arg) in args.enumerated() {
            if arg == "--" { return out + args[i...] }
            if arg.hasPrefix("--"), arg.utf8.count > 3, arg.firstIndex(of: "=") == arg.index(before: arg.endIndex) {
                out += [String(arg.dropLast()), ""]
            } else {
                out.append(arg)
            }
        }
        return out
    }
}
