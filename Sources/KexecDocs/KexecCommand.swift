import ArgumentParser

/// The options of /sbin/kexec, with kexec-tools' spellings, for --help, the man page and the
/// completion scripts only: the command line itself is read by `Invocation` (kexec-tools'
/// getopt_long rules). Kept out of the kexec binary (swift-argument-parser links
/// FoundationEssentials, about 5 MB of it): this tool writes the help text kexec prints.
struct KexecCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kexec",
        abstract: "Load a new kernel and boot it from the running one (swift-kexec).",
        discussion: """
            Loads KERNEL (a bzImage, unified kernel image, ELF vmlinux or multiboot kernel) for a \
            later kexec -e (-l), into the crash reservation for kdump (-p), or loads and boots it \
            at once (-f). Without an action, loads KERNEL and then runs shutdown -r now, like \
            kexec-tools. The command line is read as kexec-tools 2.0.32 reads it.
            """)

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
    @Option(name: [.customShort("t"), .customLong("type")], help: ArgumentHelp("Force the image type (uki, bzImage64, elf-x86_64, multiboot-x86, multiboot2-x86).", valueName: "type"),
            completion: .list(["uki", "bzImage64", "elf-x86_64", "multiboot-x86", "multiboot2-x86"]))
    var type: String?
    @Flag(name: [.customShort("s"), .customLong("kexec-file-syscall")], help: "Use kexec_file_load only.")
    var fileSyscall = false
    @Flag(name: [.customShort("c"), .customLong("kexec-syscall")], help: "Use kexec_load only (our placement and purgatory).")
    var loadSyscall = false
    @Flag(name: [.customShort("a"), .customLong("kexec-syscall-auto")], help: "kexec_file_load, then kexec_load if the kernel cannot use it for this image (default).")
    var autoSyscall = false
    @Flag(name: [.customShort("S"), .customLong("status")], help: "Exit 1 if an image is loaded, 0 if not, 255 if that cannot be read (the crash image unless -l).")
    var status = false
    @Flag(name: [.customShort("d"), .customLong("debug")], help: "Print every decision: segments, addresses, entry, digests.")
    var debug = false
    @Flag(name: [.customShort("v"), .customLong("version")], help: "Print the version.")
    var version = false
    @Flag(name: .customLong("dry-run"), help: "Do all the work of a load, print the plan, and stop before any syscall.")
    var dryRun = false
    @Flag(name: .customLong("json"), help: "With --dry-run or --status: print JSON.")
    var json = false
    @Option(name: [.customLong("append"), .customLong("command-line")], help: ArgumentHelp("The new kernel's command line.", valueName: "string"))
    var append: [String] = []
    @Option(name: [.customLong("initrd"), .customLong("ramdisk")], help: ArgumentHelp("Initial ramdisk.", valueName: "file"), completion: .file())
    var initrd: [String] = []
    @Flag(name: .customLong("print-ckr-size"), help: "Print the size of the crash kernel reservation.")
    var printCkrSize = false
    @Flag(name: .customLong("reuse-cmdline"), help: "Start from /proc/cmdline (without BOOT_IMAGE=, and for -p without crashkernel=).")
    var reuseCmdline = false
    @Option(name: .customLong("mem-min"), help: ArgumentHelp("Lowest physical address for segments.", valueName: "address"))
    var memMin: String?
    @Option(name: .customLong("mem-max"), help: ArgumentHelp("Highest physical address for segments.", valueName: "address"))
    var memMax: String?
    @Flag(name: .customLong("args-linux"), help: "ELF kernels: pass Linux boot_params (command line, initrd, memory map); the default.")
    var argsLinux = false
    @Flag(name: .customLong("args-none"), help: "ELF kernels: jump to the entry point with no arguments.")
    var argsNone = false
    @Flag(name: .customLong("noefi"), help: "kexec_load: do not hand EFI (system table, runtime regions) to the new kernel; it keeps ACPI.")
    var noEFI = false
    @Option(name: .customLong("module"), help: ArgumentHelp("Multiboot: load FILE as a module with the string \"FILE ARGS\" (repeatable, in order).", valueName: "file args"),
            completion: .file())
    var module: [String] = []
    @Flag(name: .customLong("console-serial"), help: "Purgatory prints its progress on the serial port (see --serial).")
    var consoleSerial = false
    @Option(name: .customLong("serial"), help: ArgumentHelp("Purgatory's serial port: ttyS0 (default), ttyS1, ttyS2, ttyS3 or an I/O port number.", valueName: "port"),
            completion: .list(["ttyS0", "ttyS1", "ttyS2", "ttyS3"]))
    var serial: String?
    @Option(name: .customLong("serial-baud"), help: .hidden)
    var serialBaud: String?
    @Flag(name: .customLong("console-vga"), help: .hidden)
    var consoleVGA = false
    @Flag(name: .customLong("hotplug"), help: "Accepted (the default): -p images follow CPU and memory hotplug where the kernel can update them (Linux 6.6+: kexec_load with KEXEC_UPDATE_ELFCOREHDR, or kexec_file_load).")
    var hotplug = false
    @Flag(name: .customLong("no-hotplug"), help: "-p through kexec_load: keep the ELF core header as loaded and checked by purgatory; the kernel does not update it on hotplug.")
    var noHotplug = false
    @Flag(name: [.customLong("elf32-core-headers"), .customLong("elf64-core-headers")], help: "Accepted and ignored, as kexec-tools does on x86_64 (the core header is ELF64).")
    var coreHeaders = false
    @Flag(name: .customLong("reuse-video-type"), help: "Accepted: the running kernel's screen_info is always passed (kexec_load).")
    var reuseVideoType = false
    @Flag(name: .customLong("no-cma"), help: "kexec_file_load: the kernel must not place the image in CMA memory (KEXEC_FILE_NO_CMA, Linux 6.17+; asked again without it on older kernels). kexec_load never uses CMA.")
    var noCMA = false
    @Flag(name: .customLong("force-dtb"), help: "Accepted and ignored (arm64 only).")
    var forceDTB = false
    @Flag(name: [.customLong("reset-vga"), .customLong("pass-memmap-cmdline"), .customLong("reuseinitrd"), .customLong("real-mode"),
                 .customLong("entry-32bit"), .customLong("args-elf"), .customLong("load-preserve-context"),
                 .customLong("load-jump-back-helper"), .customLong("load-live-update"), .customLong("exec-live-update")],
          help: "kexec-tools options that swift-kexec refuses, each with one line saying why.")
    var refused = false
    @Option(name: [.customLong("entry"), .customLong("dtb")], help: ArgumentHelp("Refused with one line saying why (kexec-tools: entry point, x86 device tree).", valueName: "value"))
    var refusedValue: String?
    @Flag(name: .customLong("test-corrupt-digest"), help: .hidden)
    var testCorruptDigest = false
    @Argument(help: ArgumentHelp("The kernel image.", valueName: "kernel"), completion: .file())
    var kernel: String?

}

extension KexecCommand {
    /// Printed by kexec --help after the options, and the source of the man page's ENVIRONMENT,
    /// FILES, EXIT STATUS, EXAMPLES and SEE ALSO sections (scripts/make-docs.sh turns each
    /// "  term  description" entry into mdoc: a description starts at column 26, after at least
    /// two spaces (else on the next line), and continues on lines indented as far; a blank line
    /// ends a section; SEE ALSO in mandoc's order: by section, then by name).
    static let moreHelp = """
        ENVIRONMENT:
          SWIFT_KEXEC_LOCK        The operation lock instead of /run/kexec.lock.
          SWIFT_KEXEC_LOCK_TIMEOUT
                                  Seconds to wait for another kexec that holds the lock
                                  (default 60).
          SWIFT_KEXEC_CRASH_RECORD
                                  The record of the loaded capture kernel instead of
                                  /run/kexec.crash.
          SWIFT_KEXEC_NO_SYSCALLS
                                  When set, kexec_load, kexec_file_load, reboot and Xen's
                                  hypercall fail with EPERM without entering the kernel, and
                                  -e neither syncs nor takes interfaces down (for tests).
          SWIFT_KEXEC_TEST_*      Test hooks of the project's QEMU scenarios; never set them.
          SWIFT_BACKTRACE         Read by the Swift runtime: set it to
                                  enable=no,swift-backtrace=/none when kexec runs as PID 1 or
                                  without /proc mounted.

        FILES:
          /sys/firmware/memmap    The firmware memory map, used to place segments.
          /proc/iomem             The memory map when /sys/firmware/memmap is missing, and the
                                  Crash kernel reservation for -p (its addresses need root).
          /proc/cmdline           The running command line, for --reuse-cmdline.
          /sys/kernel/kexec_loaded, /sys/kernel/kexec_crash_loaded
                                  What -S reports.
          /sys/kernel/kexec_crash_size
                                  The size of the crash reservation (--print-ckr-size).
          /sys/devices/system/cpu/cpu*/crash_notes, /sys/kernel/vmcoreinfo, /proc/kcore, /proc/kallsyms
                                  Read by -c -p to build the dump's ELF core header.
          /run/kexec.lock         Locked with flock(2) by every operation that changes what is
                                  loaded; a second kexec waits up to 60 seconds.
          /run/kexec.crash        Written by each successful -p, so that a capture kernel the
                                  kernel freed before refusing a reload is loaded again;
                                  forgotten by -p -u.
          /sys/kernel/security/lockdown, /proc/sys/kernel/kexec_load_disabled, /sys/firmware/efi/efivars
                                  Read to explain refusals (lockdown, Secure Boot).
          /proc/xen/capabilities, /dev/xen/privcmd
                                  Xen dom0: kexec goes through Xen's kexec hypercall.
          /sbin/shutdown          Run as shutdown -r now when no action is given.

        EXIT STATUS:
          0                       Success; with -S: no image is loaded.
          1                       Failure, explained in one line on standard error; with -S:
                                  an image is loaded.
          255                     With -S: whether an image is loaded cannot be read.

        EXAMPLES:
          kexec -l /boot/vmlinuz --initrd=/boot/initrd.img --reuse-cmdline
                                  Load the installed kernel with the running command line.
          kexec -e                Boot it now: sync, take network interfaces down, execute.
          systemctl kexec         Boot it after a clean shutdown (systemd runs kexec -e).
          kexec -p /boot/vmlinuz --initrd=/boot/initrd.img --reuse-cmdline --append="nr_cpus=1 irqpoll"
                                  Load a kdump capture kernel into the reservation made by
                                  crashkernel=256M on the running kernel's command line.
          kexec -u                Unload the loaded kernel (kexec -p -u: the capture kernel).
          kexec -S -l; echo $?    Prints 1 if a kernel is loaded, 0 if not (without -l: the
                                  capture kernel).
          kexec --dry-run -d -l /boot/vmlinuz --initrd=/boot/initrd.img
                                  Print the plan (segments, addresses, digests) and stop
                                  before any system call; needs no root.

        SEE ALSO:
          systemctl(1), kexec_file_load(2), kexec_load(2), reboot(2), kdump-config(8), makedumpfile(8), shutdown(8), vmcore-dmesg(8)
        """
}
