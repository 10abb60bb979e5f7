import CKexecShim
import Glibc
import KexecCore

/// Loads through kexec_load(2), executes through reboot(LINUX_REBOOT_CMD_KEXEC), and reads
/// status from /sys/kernel/kexec_{,crash_}loaded.
public struct LinuxBackend: KexecBackend {
    public var syscalls: any LinuxKexecSyscalls
    public var files: SystemFiles

    public init(syscalls: any LinuxKexecSyscalls = RealSyscalls(), files: SystemFiles = SystemFiles()) {
        self.syscalls = syscalls
        self.files = files
    }

    static let archX86_64: UInt = 62 << 16   // KEXEC_ARCH_X86_64 (EM_X86_64 << 16)
    static let onCrash: UInt = 1             // KEXEC_ON_CRASH

    public func load(_ plan: LoadPlan) throws(KexecError) {
        let segments = plan.sortedSegments
        // The data pointers stay valid: `segments` holds the storages until the call returns.
        let raw = segments.map { s in
            RawSegment(buffer: s.data?.raw.baseAddress, bufferSize: s.dataSize,
                       memory: s.memory.start, memorySize: s.memory.size)
        }
        let flags = Self.archX86_64 | (plan.crash ? Self.onCrash : 0)
        let r = withExtendedLifetime(segments) { syscalls.kexecLoad(entry: plan.entry, segments: raw, flags: flags) }
        if r < 0 { throw explain(errno: Int32(-r), operation: "kexec_load") }
    }

    public func unload(crash: Bool) throws(KexecError) {
        let r = syscalls.kexecLoad(entry: 0, segments: [], flags: Self.archX86_64 | (crash ? Self.onCrash : 0))
        if r < 0 { throw explain(errno: Int32(-r), operation: "kexec_load (unload)") }
    }

    public func execute() throws(KexecError) {
        let r = syscalls.rebootKexec()
        throw explain(errno: r < 0 ? Int32(-r) : EIO, operation: "reboot(LINUX_REBOOT_CMD_KEXEC)")
    }

    public func isLoaded(crash: Bool) throws(KexecError) -> Bool {
        let name = crash ? "/sys/kernel/kexec_crash_loaded" : "/sys/kernel/kexec_loaded"
        guard let text = files.readText(name) else {
            throw KexecError(file: files.path(name), "cannot read the kexec status (is sysfs mounted, and was the kernel built with CONFIG_KEXEC?)")
        }
        return text.hasPrefix("1")
    }

    /// One sentence: which call, what the kernel said, what to do about it.
    func explain(errno e: Int32, operation: String) -> KexecError {
        let said = "\(operation) failed: \(String(cString: strerror(e)))"
        switch e {
        case EPERM:
            if files.readText("/proc/sys/kernel/kexec_load_disabled")?.hasPrefix("1") == true {
                return KexecError("\(said): kernel.kexec_load_disabled is 1, so kexec stays disabled until the next reboot")
            }
            if let mode = lockdownMode(), mode != "none" {
                return KexecError("\(said): the kernel is in lockdown=\(mode), which refuses kexec_load; boot without lockdown (kexec_file_load with a signed kernel is issue #3)")
            }
            if geteuid() != 0 {
                return KexecError("\(said): run kexec as root (it needs CAP_SYS_BOOT)")
            }
            return KexecError("\(said): the process lacks CAP_SYS_BOOT (containers and restricted services drop it)")
        case ENOSYS:
            return KexecError("\(said): this kernel was built without kexec support (CONFIG_KEXEC)")
        case EBUSY:
            return KexecError("\(said): another kexec operation is in progress, or the crash image is in use")
        case EINVAL:
            return KexecError("\(said): the kernel rejected the segment list (run with -d to see it)")
        case ENOMEM:
            return KexecError("\(said): the kernel could not allocate memory for the image; free memory or use a smaller initrd")
        case EADDRNOTAVAIL:
            return KexecError("\(said): a segment lies outside memory the kernel allows (run with -d to see the segments)")
        default:
            return KexecError(said)
        }
    }

    func lockdownMode() -> String? {
        // Format: "none [integrity] confidentiality"
        guard let text = files.readText("/sys/kernel/security/lockdown"),
              let open = text.firstIndex(of: "["), let close = text.firstIndex(of: "]"), open < close else { return nil }
        return String(text[text.index(after: open)..<close])
    }
}

/// The real syscalls, through the C shim.
public struct RealSyscalls: LinuxKexecSyscalls {
    public init() {}

    public func kexecLoad(entry: UInt64, segments: [RawSegment], flags: UInt) -> Int {
        let c = segments.map { ckexec_segment(buf: $0.buffer, bufsz: $0.bufferSize, mem: $0.memory, memsz: Int($0.memorySize)) }
        return c.withUnsafeBufferPointer { Int(ckexec_kexec_load(entry, UInt(c.count), $0.baseAddress, flags)) }
    }

    public func rebootKexec() -> Int { Int(ckexec_reboot_kexec()) }
}
