import KexecCore

/// What a `kexec` command line asks for, read with kexec-tools' rules (kexec-tools'
/// kexec/kexec.c main and the x86 option tables, kexec-tools 2.0.32 and its head): options
/// are taken in order and each action option sets the same do_load/do_exec/do_shutdown/
/// do_sync/do_ifdown/do_unload flags there, so the last one wins (`-e -l K` only loads,
/// `-u -p K` unloads then loads). Every option kexec-tools accepts on x86_64 is known here.
public struct Invocation: Sendable, Equatable {
    // kexec-tools' action flags and their initial values (no action: load, then shutdown)
    public var load = true
    public var exec = false
    public var shutdown = true
    public var sync = true
    public var ifdown = false
    public var unload = false
    public var status = false
    public var crash = false
    /// `-l` was given (for `-S -l`: the default image's status).
    public var loadOption = false
    public var skipSync = false
    public var skipIfdown = false

    public var skipChecks = false
    public var debug = false
    public var syscall: SyscallChoice = .auto
    public var type: String?
    public var memoryMin: UInt64?
    public var memoryMax: UInt64?
    public var append: String?
    public var reuseCommandLine = false
    public var initrd: String?
    public var modules: [String] = []
    public var elfArguments: ElfArgumentStyle = .linux
    public var serial: String?
    public var consoleSerial = false
    public var handOverEFI = true
    /// `-p` on kexec_load: let the kernel rewrite the ELF core header on CPU/memory hotplug.
    public var crashHotplug = true
    /// `--no-cma`: kexec_file_load must not put the image in CMA memory (KEXEC_FILE_NO_CMA).
    public var noCMA = false

    public var dryRun = false
    public var json = false
    public var printCrashSize = false
    public var help = false
    /// `-?`: kexec-tools prints the usage and exits 1.
    public var helpAsError = false
    public var version = false
    public var corruptDigestForTesting = false

    /// The kernel (the first operand).
    public var kernel: String?
    public var extraOperands: [String] = []
    /// Options accepted that change nothing here, said with -d.
    public var notes: [String] = []

    public init() {}

    /// Parses like kexec-tools; an unknown option, a missing or bad value, or an option
    /// refused here is one line.
    public static func parse(_ arguments: [String]) throws(KexecError) -> Invocation {
        let scanned = OptionScanner.scan(arguments, options: KexecOption.table)
        var v = Invocation()
        var loadOnly: String?
        for item in scanned.items {
            switch item {
            case .unknown(let word, let short):
                if short == "?" { v.helpAsError = true; return v }
                guard word.hasPrefix("--") else { throw usage("unknown option '-\(short.map(String.init) ?? word)'") }
                let name = String(word.split(separator: "=", maxSplits: 1)[0])
                let matches = KexecOption.table.flatMap(\.long).filter { ("--" + $0).hasPrefix(name) }
                throw usage(matches.count > 1 ? "option '\(name)' is ambiguous (\(matches.map { "--" + $0 }.joined(separator: ", ")))"
                                              : "unknown option '\(name)'")
            case .missingValue(let word, let short):
                throw usage("option '\(word.hasPrefix("--") ? word : "-" + (short.map(String.init) ?? word))' needs a value")
            case .option(let code, let value, let word):
                guard let option = KexecOption(rawValue: code) else { throw usage("unknown option '\(word)'") }
                if option.appliesOnlyToALoad, loadOnly == nil { loadOnly = word.split(separator: "=", maxSplits: 1).first.map(String.init) }
                try v.apply(option, value ?? "")
                if v.help || v.version || v.printCrashSize { return v }   // kexec-tools acts at once
            }
        }
        // kexec-tools' order after the loop
        if v.skipIfdown { v.ifdown = false }
        if v.skipSync { v.sync = false }
        if v.status {
            if !v.crash && !v.loadOption { v.crash = true }
            (v.load, v.unload, v.shutdown, v.sync, v.ifdown, v.exec) = (false, false, false, false, false, false)
        }
        if !v.load, let loadOnly {
            // kexec-tools' "bogus options" check: loader options without a load
            throw usage("\(loadOnly) applies only to a load (-l, -p, -f or no action)")
        }
        v.kernel = scanned.operands.first
        v.extraOperands = Array(scanned.operands.dropFirst())
        return v
    }

    static func usage(_ message: String) -> KexecError { KexecError("\(message); see kexec --help") }

    /// strtoul(value, &end, 0) with nothing left over: decimal, 0x-hexadecimal or 0-octal.
    static func number(_ text: String, _ option: String) throws(KexecError) -> UInt64 {
        let t = text.drop { $0 == " " || $0 == "\t" }
        let parsed: UInt64?
        if t.hasPrefix("0x") || t.hasPrefix("0X") {
            parsed = UInt64(t.dropFirst(2), radix: 16)
        } else if t.hasPrefix("0"), t.count > 1 {
            parsed = UInt64(t.dropFirst(), radix: 8)
        } else {
            parsed = UInt64(t)
        }
        guard let parsed else {
            throw KexecError(field: option, "\"\(text)\" is not a number; expected decimal, 0x-hexadecimal or 0-octal")
        }
        return parsed
    }
}
