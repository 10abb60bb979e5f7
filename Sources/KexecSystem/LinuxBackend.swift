import CKexecShim
import Glibc
import KexecCore
import SystemPackage

/// Loads through kexec_load(2) or kexec_file_load(2), executes through
/// reboot(LINUX_REBOOT_CMD_KEXEC), and reads status from sysfs (`KexecSysfs`).
public struct LinuxBackend: KexecBackend {
    public var syscalls: any LinuxKexecSyscalls
    public var files: SystemFiles

    public init(syscalls: any LinuxKexecSyscalls = RealSyscalls(), files: SystemFiles = SystemFiles()) {
        self.syscalls = syscalls
        self.files = files
    }

    // <linux/kexec.h>
    static let archX86_64: UInt = 62 << 16   // KEXEC_ARCH_X86_64 (EM_X86_64 << 16)
    static let onCrash: UInt = 1             // KEXEC_ON_CRASH
    static let fileUnload: UInt = 0x1        // KEXEC_FILE_UNLOAD
    static let fileOnCrash: UInt = 0x2       // KEXEC_FILE_ON_CRASH
    static let fileNoInitramfs: UInt = 0x4   // KEXEC_FILE_NO_INITRAMFS
    static let fileDebug: UInt = 0x8         // KEXEC_FILE_DEBUG (Linux 6.8+)
    static let fileNoCMA: UInt = 0x10        // KEXEC_FILE_NO_CMA (Linux 6.17+)
    static let updateElfcorehdr: UInt = 0x4  // KEXEC_UPDATE_ELFCOREHDR (Linux 6.6+)

    public func load(_ plan: LoadPlan) throws(KexecError) {
        let segments = plan.sortedSegments
        // The data pointers stay valid: `segments` holds the storages until the call returns.
        let raw = segments.map { s in
            RawSegment(buffer: s.data?.raw.baseAddress, bufferSize: s.dataSize,
                       memory: s.memory.start, memorySize: s.memory.size)
        }
        // The kernel rewrites the core header on hotplug only if told that purgatory does
        // not check it; the loader left it out of the digests (`LoadPlan.crashHotplug`).
        let flags = Self.archX86_64 | (plan.crash ? Self.onCrash : 0) | (plan.crashHotplug ? Self.updateElfcorehdr : 0)
        let r = withExtendedLifetime(segments) { syscalls.kexecLoad(entry: plan.entry, segments: raw, flags: flags) }
        if r < 0 { throw explain(errno: Int32(-r), syscall: .load) }
    }

    public func loadFile(_ request: FileLoadRequest) throws(KexecError) {
        let opened = try request.kernelFD == nil ? openForKernel(request.kernelPath, role: "kernel image") : nil
        defer { try? opened?.close() }
        let kernelFD = request.kernelFD ?? opened!.rawValue
        let initrd = try request.initrdFD == nil
            ? request.initrdPath.map { p throws(KexecError) in try openForKernel(p, role: "initrd") } : nil
        defer { try? initrd?.close() }
        let initrdFD = request.initrdFD ?? initrd?.rawValue ?? -1
        let flags = (request.crash ? Self.fileOnCrash : 0) | (initrdFD < 0 ? Self.fileNoInitramfs : 0)
        let cmdline = request.commandLine.kernelBytes + [0]
        // Optional flags that older kernels reject as unknown (EINVAL): KEXEC_FILE_DEBUG before
        // 6.8, KEXEC_FILE_NO_CMA before 6.17 (which did not take kexec memory from CMA anyway).
        // Each EINVAL drops the newest one and asks again; the last answer counts.
        var optional = [request.noCMA ? Self.fileNoCMA : 0, request.debug ? Self.fileDebug : 0].filter { $0 != 0 }
        var r = syscalls.kexecFileLoad(kernelFD: kernelFD, initrdFD: initrdFD, commandLine: cmdline,
                                       flags: optional.reduce(flags, |))
        while r == -Int(EINVAL), !optional.isEmpty {
            optional.removeFirst()
            r = syscalls.kexecFileLoad(kernelFD: kernelFD, initrdFD: initrdFD, commandLine: cmdline,
                                       flags: optional.reduce(flags, |))
        }
        if r < 0 { throw explain(errno: Int32(-r), syscall: .file) }
    }

    /// With the file syscall (the default) unloading also works under lockdown.
    public func unload(crash: Bool, syscall: SyscallChoice) throws(KexecError) {
        if syscall != .load {
            let r = syscalls.kexecFileLoad(kernelFD: -1, initrdFD: -1, commandLine: [0],
                                           flags: Self.fileUnload | (crash ? Self.fileOnCrash : 0))
            if r >= 0 { return }
            if syscall == .file || !SyscallPolicy.fallsBack(afterFileError: Int32(-r)) {
                throw explain(errno: Int32(-r), syscall: .file, unload: true)
            }
        }
        let r = syscalls.kexecLoad(entry: 0, segments: [], flags: Self.archX86_64 | (crash ? Self.onCrash : 0))
        if r < 0 { throw explain(errno: Int32(-r), syscall: .load, unload: true) }
    }

    public func execute() throws(KexecError) {
        let r = syscalls.rebootKexec()
        let e = r < 0 ? Int32(-r) : EIO
        if e == EINVAL {
            // The kernel's answer when no image is loaded (any more: unloaded since our check).
            throw KexecError("reboot(LINUX_REBOOT_CMD_KEXEC) failed: \(String(cString: strerror(e))): no image is loaded any more (another process unloaded it); nothing was executed", errno: e)
        }
        throw explain(errno: e, operation: "reboot(LINUX_REBOOT_CMD_KEXEC)")
    }

    public func isLoaded(crash: Bool) throws(KexecError) -> Bool {
        let attribute: KexecSysfs.Attribute = crash ? .crashLoaded : .loaded
        guard let text = KexecSysfs.read(files, attribute) else {
            throw KexecError(file: KexecSysfs.displayPath(files, attribute), "cannot read the kexec status (is sysfs mounted, and was the kernel built with CONFIG_KEXEC?)")
        }
        return text.hasPrefix("1")
    }

    func openForKernel(_ path: String, role: String) throws(KexecError) -> FileDescriptor {
        try MappedFile.openRegular(path, role: role).0
    }

    func explain(errno e: Int32, syscall: SyscallChoice, unload: Bool = false) -> KexecError {
        let name = syscall == .file ? "kexec_file_load" : "kexec_load"
        return explain(errno: e, operation: name + (unload ? " (unload)" : ""))
    }

    /// One sentence: which call, what the kernel said, what to do about it.
    func explain(errno e: Int32, operation: String) -> KexecError {
        let env = KexecEnvironment.read(files)
        let file = operation.hasPrefix("kexec_file_load")
        let said = "\(operation) failed: \(String(cString: strerror(e)))"
        func error(_ advice: String) -> KexecError { KexecError("\(said): \(advice)", errno: e) }
        switch e {
        case EKEYREJECTED, ENOKEY, EBADMSG, EKEYEXPIRED, ENOPKG, ELIBBAD, ENODATA:
            let lock = env.lockedDown ? "under lockdown=\(env.lockdown!) " : ""
            return error("\(lock)the kernel did not accept the image's signature; sign it with a key in the platform (UEFI db/MOK) or secondary keyring\(env.lockedDown ? ", or boot without lockdown" : ", or turn off kexec signature enforcement (kexec_sig_force / CONFIG_KEXEC_SIG_FORCE)")")
        case EACCES where file:
            return error("an IMA or LSM policy refused the image; it must be signed or appraised as that policy requires")
        case EACCES where env.secureBoot == true:
            // IMA's Secure Boot policy appraises kexec images, which it can only do for a file.
            return error("with Secure Boot on, the kernel's IMA policy refuses kexec_load (it can only appraise an image passed as a file); use -s or the default -a (kexec_file_load) with a signed kernel")
        case EACCES:
            return error("an IMA or LSM policy refuses kexec_load; use -s or the default -a (kexec_file_load) with a signed kernel")
        case EPERM:
            if env.kexecLoadDisabled == true {
                return error("kernel.kexec_load_disabled is 1, so kexec stays disabled until the next reboot")
            }
            if !file, env.lockedDown {
                return error("the kernel is in lockdown=\(env.lockdown!), which refuses kexec_load; use -s or the default -a (kexec_file_load) with a signed kernel")
            }
            if file, env.lockedDown {
                return error("in lockdown=\(env.lockdown!) the kernel only loads images whose signature it can verify, and it could not verify this one; sign it with a key in the platform (UEFI db/MOK) or secondary keyring, or boot without lockdown")
            }
            if geteuid() != 0 {
                return error("run kexec as root (it needs CAP_SYS_BOOT)")
            }
            if env.capSysBoot == false {
                return error("the process lacks CAP_SYS_BOOT (containers and restricted services drop it)")
            }
            return error("refused although kexec runs as root with CAP_SYS_BOOT: the kernel is probably in lockdown (mount securityfs on /sys/kernel/security to see) or a security module forbids kexec")
        case ENOSYS:
            return error("this kernel was built without \(file ? "CONFIG_KEXEC_FILE; use -c (kexec_load)" : "CONFIG_KEXEC")")
        case ENOEXEC where file:
            return error("the kernel cannot load this image type itself (it takes a bzImage64); use -c (kexec_load)")
        case EINVAL where file:
            return error("the kernel rejected the arguments (command line longer than the kernel accepts, or a flag it does not know)")
        case EBUSY:
            return error("another kexec operation is in progress, or the crash image is in use")
        case EINVAL:
            return error("the kernel rejected the segment list (run with -d to see it)")
        case EFAULT where !file:
            // -i skips the digests, so a file that shrank is first noticed by the kernel's copy
            return error("the kernel could not read a segment from memory: a file (kernel, initrd or module) shrank while being loaded, so the new image was not loaded")
        case ENOMEM:
            return error("the kernel could not allocate memory for the image; free memory or use a smaller initrd")
        case EADDRNOTAVAIL:
            return error("a segment lies outside memory the kernel allows (run with -d to see the segments)")
        case ETXTBSY:
            return error("the kernel or initrd is open for writing somewhere; close it and retry")
        case EFBIG:
            return error("the kernel or initrd is larger than the kernel reads (4 GiB)")
        default:
            return KexecError(said, errno: e)
        }
    }
}

/// The real syscalls, through the C shim. With SWIFT_KEXEC_NO_SYSCALLS set (host test runs)
/// every call answers EPERM without entering the kernel.
public struct RealSyscalls: LinuxKexecSyscalls {
    public init() {}

    static var forbidden: Bool { getenv("SWIFT_KEXEC_NO_SYSCALLS") != nil }

    public func kexecLoad(entry: UInt64, segments: [RawSegment], flags: UInt) -> Int {
        if Self.forbidden { return -Int(EPERM) }
        let c = segments.map { ckexec_segment(buf: $0.buffer, bufsz: $0.bufferSize, mem: $0.memory, memsz: Int($0.memorySize)) }
        return c.withUnsafeBufferPointer { Int(ckexec_kexec_load(entry, UInt(c.count), $0.baseAddress, flags)) }
    }

    public func kexecFileLoad(kernelFD: Int32, initrdFD: Int32, commandLine: [UInt8], flags: UInt) -> Int {
        if Self.forbidden { return -Int(EPERM) }
        return commandLine.withUnsafeBufferPointer { buf in
            buf.withMemoryRebound(to: CChar.self) {
                Int(ckexec_kexec_file_load(kernelFD, initrdFD, UInt(buf.count), $0.baseAddress, flags))
            }
        }
    }

    public func rebootKexec() -> Int { Self.forbidden ? -Int(EPERM) : Int(ckexec_reboot_kexec()) }
}
