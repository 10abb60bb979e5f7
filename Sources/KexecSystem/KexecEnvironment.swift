import Glibc
import KexecCore

/// The facts that decide whether a load can work, read before loading so failures can be
/// explained: lockdown, Secure Boot, kexec_load_disabled, CAP_SYS_BOOT, kernel config, Xen.
public struct KexecEnvironment: Sendable, Equatable {
    /// "none", "integrity", "confidentiality", or nil when securityfs says nothing.
    public var lockdown: String?
    public var secureBoot: Bool?
    public var kexecLoadDisabled: Bool?
    public var capSysBoot: Bool?
    /// CONFIG_KEXEC / CONFIG_KEXEC_FILE from /boot/config-RELEASE or /proc/config.gz, if found.
    public var configKexec: Bool?
    public var configKexecFile: Bool?
    /// CONFIG_KEXEC_SIG_FORCE: kexec_file_load takes signed images only.
    public var configKexecSigForce: Bool?
    /// Where the kernel config was read (/boot/config-RELEASE or /proc/config.gz), nil if nowhere.
    public var configSource: String?
    public var crashReservationBytes: UInt64?
    public var xen: Bool

    public var lockedDown: Bool { lockdown.map { $0 != "none" } ?? false }

    public init(lockdown: String? = nil, secureBoot: Bool? = nil, kexecLoadDisabled: Bool? = nil,
                capSysBoot: Bool? = nil, configKexec: Bool? = nil, configKexecFile: Bool? = nil,
                crashReservationBytes: UInt64? = nil, xen: Bool = false) {
        self.lockdown = lockdown
        self.secureBoot = secureBoot
        self.kexecLoadDisabled = kexecLoadDisabled
        self.capSysBoot = capSysBoot
        self.configKexec = configKexec
        self.configKexecFile = configKexecFile
        self.crashReservationBytes = crashReservationBytes
        self.xen = xen
    }

    public static func read(_ files: SystemFiles) -> KexecEnvironment {
        var env = KexecEnvironment()
        if let text = files.readText("/sys/kernel/security/lockdown"),
           let open = text.firstIndex(of: "["), let close = text.firstIndex(of: "]"), open < close {
            env.lockdown = String(text[text.index(after: open)..<close])
        }
        // efivarfs: 4 attribute bytes, then the value byte.
        let sb = "/sys/firmware/efi/efivars/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"
        if let bytes = files.readBytes(sb), bytes.count >= 5 {
            env.secureBoot = bytes[4] == 1
        } else if let bp = files.readBytes("/sys/kernel/boot_params/data"), bp.count > BootParamsOffset.secureBoot,
                  bp[BootParamsOffset.secureBoot] >= 2 {
            // efivarfs not mounted: the EFI stub's finding (efi_secureboot_mode: 2 off, 3 on)
            env.secureBoot = bp[BootParamsOffset.secureBoot] == 3
        } else if !files.exists("/sys/firmware/efi") {
            env.secureBoot = false   // BIOS boot: no Secure Boot
        }
        env.kexecLoadDisabled = files.readText("/proc/sys/kernel/kexec_load_disabled").map { $0.hasPrefix("1") }
        env.capSysBoot = files.readText("/proc/self/status").flatMap(Self.capSysBoot(fromStatus:))
        env.crashReservationBytes = KexecSysfs.number(files, .crashSize)
        // PV guests and the control domain kexec through Xen's hypercall (XenFacts explains why).
        env.xen = XenFacts.read(files).usesHypercall
        if let (source, config) = kernelConfig(files) {
            // Line comparisons, not String.contains(String): that one is Foundation's (ICU).
            let lines = Set(config.split(separator: "\n"))
            env.configSource = files.path(source)
            env.configKexec = lines.contains("CONFIG_KEXEC=y")
            env.configKexecFile = lines.contains("CONFIG_KEXEC_FILE=y")
            env.configKexecSigForce = lines.contains("CONFIG_KEXEC_SIG_FORCE=y")
        }
        return env
    }

    /// Without a config file (Debian kernels have no /proc/config.gz), the symbol table says
    /// which syscalls exist: a syscall left out of the build is a weak stub returning ENOSYS
    /// (COND_SYSCALL), listed as "W"; a built one is "T". Slow (the whole of /proc/kallsyms),
    /// so only `--status --json` asks.
    public mutating func fillSyscallsFromSymbols(_ files: SystemFiles) {
        guard configSource == nil else { return }
        let wanted: [Substring: WritableKeyPath<KexecEnvironment, Bool?>] = [
            "__x64_sys_kexec_load": \.configKexec, "__x64_sys_kexec_file_load": \.configKexecFile,
        ]
        var found = 0
        _ = files.scanLines("/proc/kallsyms") { line in
            let fields = line.split(separator: " ", maxSplits: 3)
            guard fields.count >= 3, let key = wanted[fields[2]] else { return true }
            self[keyPath: key] = fields[1] == "T" || fields[1] == "t"
            found += 1
            return found < wanted.count
        }
    }

    /// CAP_SYS_BOOT is bit 22 of CapEff.
    static func capSysBoot(fromStatus status: String) -> Bool? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let mask = UInt64(line.dropFirst(7).trimmingCharacters("\t").trimmingCharacters(" "), radix: 16) else { return nil }
        return mask & (1 << 22) != 0
    }

    /// The running kernel's config and where it was: the distribution's /boot/config-RELEASE,
    /// else /proc/config.gz (CONFIG_IKCONFIG_PROC).
    static func kernelConfig(_ files: SystemFiles) -> (String, String)? {
        var u = utsname()
        uname(&u)
        let release = withUnsafeBytes(of: u.release) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        let boot = "/boot/config-\(release)"
        if let text = files.readText(boot) { return (boot, text) }
        let proc = "/proc/config.gz"
        guard let gz = files.readBytes(proc, limit: 4 << 20),
              let text = try? gz.withUnsafeBytes({ raw throws(KexecError) in
                  try Decompression.decompress(raw, format: .gzip, path: proc, limit: 16 << 20)
              }).all.withRaw({ String(decoding: $0, as: UTF8.self) }) else { return nil }
        return (proc, text)
    }
}
