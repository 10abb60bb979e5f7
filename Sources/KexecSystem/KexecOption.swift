import KexecCore

/// Every option of kexec-tools on x86_64 (kexec/kexec.h KEXEC_OPTIONS, the i386/x86_64
/// KEXEC_ARCH_OPTIONS and KEXEC_ALL_OPTIONS, short options "hvdfixyluet:pscaS"), plus ours.
/// Short options keep their letter as code; long-only ones count from 256.
public enum KexecOption: Int32, CaseIterable, Sendable {
    case help = 104, version = 118, debug = 100, force = 102, noChecks = 105, noIfdown = 120, noSync = 121
    case load = 108, unload = 117, exec = 101, type = 116, panic = 112
    case fileSyscall = 115, loadSyscall = 99, autoSyscall = 97, status = 83
    case memMin = 256, memMax, reuseInitrd, loadPreserveContext, loadJumpBackHelper, entry, printCkrSize
    case loadLiveUpdate, execLiveUpdate, hotplug, noCMA, forceDTB
    case resetVGA, serial, serialBaud, consoleVGA, consoleSerial, elf32Core, elf64Core, passMemmapCmdline, noEFI, reuseVideoType
    case append, reuseCmdline, ramdisk, argsELF, argsLinux, argsNone, module, realMode, entry32bit, dtb
    // swift-kexec's own
    case dryRun, json, testCorruptDigest, noHotplug

    public var spec: OptionSpec {
        let short: Character? = rawValue < 256 ? Character(Unicode.Scalar(UInt8(rawValue))) : nil
        return OptionSpec(names, short: short, value: takesValue, code: rawValue)
    }

    public static let table = allCases.map(\.spec)

    var names: [String] {
        switch self {
        case .help: ["help"]
        case .version: ["version"]
        case .debug: ["debug"]
        case .force: ["force"]
        case .noChecks: ["no-checks"]
        case .noIfdown: ["no-ifdown"]
        case .noSync: ["no-sync"]
        case .load: ["load"]
        case .unload: ["unload"]
        case .exec: ["exec"]
        case .type: ["type"]
        case .panic: ["load-panic"]
        case .fileSyscall: ["kexec-file-syscall"]
        case .loadSyscall: ["kexec-syscall"]
        case .autoSyscall: ["kexec-syscall-auto"]
        case .status: ["status"]
        case .memMin: ["mem-min"]
        case .memMax: ["mem-max"]
        case .reuseInitrd: ["reuseinitrd"]
        case .loadPreserveContext: ["load-preserve-context"]
        case .loadJumpBackHelper: ["load-jump-back-helper"]
        case .entry: ["entry"]
        case .printCkrSize: ["print-ckr-size"]
        case .loadLiveUpdate: ["load-live-update"]
        case .execLiveUpdate: ["exec-live-update"]
        case .hotplug: ["hotplug"]
        case .noCMA: ["no-cma"]
        case .forceDTB: ["force-dtb"]
        case .resetVGA: ["reset-vga"]
        case .serial: ["serial"]
        case .serialBaud: ["serial-baud"]
        case .consoleVGA: ["console-vga"]
        case .consoleSerial: ["console-serial"]
        case .elf32Core: ["elf32-core-headers"]
        case .elf64Core: ["elf64-core-headers"]
        case .passMemmapCmdline: ["pass-memmap-cmdline"]
        case .noEFI: ["noefi"]
        case .reuseVideoType: ["reuse-video-type"]
        case .append: ["command-line", "append"]
        case .reuseCmdline: ["reuse-cmdline"]
        case .ramdisk: ["initrd", "ramdisk"]
        case .argsELF: ["args-elf"]
        case .argsLinux: ["args-linux"]
        case .argsNone: ["args-none"]
        case .module: ["module"]
        case .realMode: ["real-mode"]
        case .entry32bit: ["entry-32bit"]
        case .dtb: ["dtb"]
        case .dryRun: ["dry-run"]
        case .json: ["json"]
        case .testCorruptDigest: ["test-corrupt-digest"]
        case .noHotplug: ["no-hotplug"]
        }
    }

    var takesValue: Bool {
        switch self {
        case .type, .memMin, .memMax, .entry, .serial, .serialBaud, .append, .ramdisk, .module, .dtb: true
        default: false
        }
    }

    /// kexec-tools' loader options (KEXEC_ALL_OPTIONS past the arch ones): refused without a load.
    var appliesOnlyToALoad: Bool {
        switch self {
        case .append, .reuseCmdline, .ramdisk, .argsELF, .argsLinux, .argsNone, .module, .realMode, .entry32bit, .dtb: true
        default: false
        }
    }
}

extension Invocation {
    /// One option, with kexec-tools' effect on the action flags.
    mutating func apply(_ option: KexecOption, _ value: String) throws(KexecError) {
        func refuse(_ why: String) -> KexecError { KexecError(field: "--" + option.names[0], why) }
        switch option {
        case .help: help = true
        case .version: version = true
        case .debug: debug = true
        case .noIfdown: skipIfdown = true
        case .noSync: skipSync = true
        case .noChecks: skipChecks = true
        case .force: (load, shutdown, sync, ifdown, exec) = (true, false, true, true, true)
        case .load: (loadOption, load, exec, shutdown) = (true, true, false, false)
        case .unload: (load, shutdown, sync, unload) = (false, false, false, true)
        case .exec: (load, shutdown, sync, ifdown, exec) = (false, false, true, true, true)
        case .panic: (load, exec, shutdown, sync, crash) = (true, false, false, false, true)
        case .status: status = true
        case .type: type = value
        case .fileSyscall: syscall = .file
        case .loadSyscall: syscall = .load
        case .autoSyscall: syscall = .auto
        case .memMin: memoryMin = try Self.number(value, "--mem-min")
        case .memMax: memoryMax = try Self.number(value, "--mem-max")
        case .printCkrSize: printCrashSize = true
        case .append: append = value
        case .reuseCmdline: reuseCommandLine = true
        case .ramdisk: initrd = value
        case .module: modules.append(value)
        case .argsLinux: elfArguments = .linux
        case .argsNone: elfArguments = .none
        case .serial: serial = value
        case .consoleSerial: consoleSerial = true
        case .noEFI: handOverEFI = false
        case .dryRun: dryRun = true
        case .json: json = true
        case .testCorruptDigest: corruptDigestForTesting = true
        // accepted: no effect on x86_64 here, as in kexec-tools, or already what we do
        case .elf32Core, .elf64Core:
            notes.append("--\(option.names[0]): accepted and ignored, as kexec-tools does on x86_64 (the core header is ELF64)")
        case .forceDTB:
            notes.append("--force-dtb: accepted and ignored (arm64 only)")
        case .reuseVideoType:
            notes.append("--reuse-video-type: the running kernel's screen_info is always passed on the kexec_load path")
        case .hotplug:
            // kexec-tools needs it for KEXEC_UPDATE_ELFCOREHDR; here that is the default.
            crashHotplug = true
            notes.append("--hotplug: accepted; crash images follow CPU and memory hotplug by default where the kernel can update them (--no-hotplug turns it off)")
        case .noHotplug: crashHotplug = false
        // refused with the reason
        case .serialBaud: throw refuse("purgatory keeps the UART's current settings (the running kernel's console speed); leave --serial-baud out")
        case .consoleVGA: throw refuse("purgatory writes only to a serial port; use --console-serial")
        case .resetVGA: throw refuse("purgatory does not reset the VGA card; the new kernel's console driver sets the mode")
        case .passMemmapCmdline: throw refuse("not needed: the capture kernel gets its memory map in boot_params (e820), not as memmap= options")
        case .reuseInitrd: throw refuse("not supported; give the initrd with --initrd=FILE")
        case .loadPreserveContext, .loadJumpBackHelper: throw refuse("kexec jump (CONFIG_KEXEC_JUMP, preserving the running kernel) is not supported")
        case .loadLiveUpdate, .execLiveUpdate: throw refuse("Xen live update is not supported")
        case .entry: throw refuse("not supported: the entry point comes from the image")
        case .realMode, .entry32bit: throw refuse("swift-kexec enters the kernel through its 64-bit entry only")
        case .argsELF: throw refuse("ELF boot notes are not supported; use --args-linux or --args-none")
        case .dtb: throw refuse("a device tree for an x86_64 kernel is not supported")
        case .noCMA:
            noCMA = true
            notes.append("--no-cma: kexec_file_load is asked not to put the image in CMA memory (KEXEC_FILE_NO_CMA, Linux 6.17+; asked again without it where the kernel does not know the flag); kexec_load never uses CMA")
        }
    }
}
