/// What the loader needs to know about the running system, gathered by the system layer
/// (or a test fixture) so the core stays pure.
public struct HostInfo: Sendable {
    public var memoryMap: MemoryMap
    /// Where `memoryMap` came from, for messages ("/sys/firmware/memmap", "/proc/iomem").
    public var memoryMapSource: String
    /// The running kernel's boot_params (/sys/kernel/boot_params/data), if readable.
    public var runningBootParams: [UInt8]?
    /// 32 bytes for SETUP_RNG_SEED, or nil when the pool was not ready.
    public var rngSeed: [UInt8]?
    /// The ACPI RSDP from the EFI system table (/sys/firmware/efi/systab): on EFI machines
    /// the running boot_params has none, so a kernel that gets no EFI hand-over still
    /// finds ACPI through boot_params.acpi_rsdp_addr.
    public var acpiRSDP: UInt64?
    /// A copy of the ACPI RSDP structure (20 bytes for revision 0, `length` bytes from
    /// revision 2), for boot protocols that carry it (multiboot2).
    public var acpiRSDPTable: [UInt8]?
    /// The EFI system table's physical address, when the running kernel was booted by EFI.
    public var efiSystemTable: UInt64?
    /// What a Linux kernel started through kexec_load needs to keep EFI (nil: pass none).
    public var efi: EFIHandOver?
    /// Why `efi` is nil on an EFI machine (no runtime map, --noefi), for -d.
    public var efiNote: String?

    public init(memoryMap: MemoryMap, memoryMapSource: String,
                runningBootParams: [UInt8]? = nil, rngSeed: [UInt8]? = nil) {
        self.memoryMap = memoryMap
        self.memoryMapSource = memoryMapSource
        self.runningBootParams = runningBootParams
        self.rngSeed = rngSeed
    }
}

/// What the user asked for, independent of image format.
public struct LoadRequest: Sendable {
    public var kernelPath: String
    public var kernel: ByteSlice
    public var initrdPath: String?
    public var initrd: ByteSlice?
    public var commandLine: String
    /// false when no --append/--command-line/--reuse-cmdline was given: then an image that
    /// carries its own command line (a UKI's .cmdline) uses that one.
    public var commandLineFromUser = true
    public var skipChecks: Bool
    /// --mem-min / --mem-max: bounds for every segment.
    public var memoryMin: UInt64
    public var memoryMax: UInt64
    /// Test hook: give purgatory a wrong digest so its mismatch path (message + halt) runs.
    public var corruptDigestForTesting = false
    /// Set for `-p`: load a capture kernel into the crash reservation.
    public var crash: CrashInputs?
    /// ELF kernels: `--args-linux` (boot_params, the default) or `--args-none`.
    public var elfArguments: ElfArgumentStyle = .linux
    /// Multiboot `--module="FILE ARGS"`, in order.
    public var modules: [BootModule] = []
    /// `--serial=` / `--console-serial`: where and whether purgatory talks.
    public var purgatorySerial = PurgatorySerial()

    public init(kernelPath: String, kernel: ByteSlice, initrdPath: String? = nil, initrd: ByteSlice? = nil,
                commandLine: String = "", skipChecks: Bool = false,
                memoryMin: UInt64 = 0, memoryMax: UInt64 = .max) {
        self.kernelPath = kernelPath
        self.kernel = kernel
        self.initrdPath = initrdPath
        self.initrd = initrd
        self.commandLine = commandLine
        self.skipChecks = skipChecks
        self.memoryMin = memoryMin
        self.memoryMax = memoryMax
    }
}

public enum ElfArgumentStyle: String, Sendable {
    /// A Linux boot_params (command line, initrd, e820) in rsi, like the bzImage path.
    case linux
    /// Nothing: the entry point gets no arguments.
    case none
}

/// One multiboot module: the file's bytes and the string the kernel sees (kexec-tools'
/// `--module="FILE ARGS"`, passed whole: GRUB legacy and Xen expect the file name first).
public struct BootModule: Sendable {
    public var path: String
    public var data: ByteSlice
    public var string: String
    public init(path: String, data: ByteSlice, string: String) {
        self.path = path
        self.data = data
        self.string = string
    }
}

/// Builds the command line the way kexec-tools does: `--reuse-cmdline` starts from the
/// running one without BOOT_IMAGE= (and, for a crash kernel, without crashkernel=), then
/// `--append`/`--command-line` text follows.
public enum CommandLineComposer {
    public static func compose(running: String?, append: String?, crash: Bool = false) -> String {
        var words: [Substring] = []
        if let running {
            words = running.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).filter { word in
                !word.hasPrefix("BOOT_IMAGE=") && !(crash && word.hasPrefix("crashkernel="))
            }
        }
        var line = words.joined(separator: " ")
        if let append, !append.isEmpty {
            line = line.isEmpty ? append : line + " " + append
        }
        return line
    }
}

extension LoadRequest {
    /// What every loader checks before placing anything, so the error names the real cause
    /// instead of the first placement that fails because of it.
    public func checkCommonInputs() throws(KexecError) {
        // Segments go in [memoryMin, memoryMax): an empty window fits nothing.
        guard memoryMin < memoryMax else {
            throw KexecError(field: "--mem-min", "\(hex(memoryMin)) is not below --mem-max \(hex(memoryMax)); expected --mem-min < --mem-max")
        }
        if let initrd, initrd.count == 0 {
            throw KexecError(file: initrdPath ?? "initrd", "is empty; expected an initramfs")
        }
    }
}
