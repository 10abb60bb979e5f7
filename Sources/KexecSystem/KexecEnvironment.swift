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
        env.crashReservationBytes = files.readText("/sys/kernel/kexec_crash_size").flatMap { UInt64($0.trimmingSuffix("\n")) }
        // PV guests and the control domain kexec through Xen's hypercall (XenFacts explains why).
        env.xen = XenFacts.read(files).usesHypercall
        if let config = kernelConfig(files) {
            // Line comparisons, not String.contains(String): that one is Foundation's (ICU).
            let lines = Set(config.split(separator: "\n"))
            env.configKexec = lines.contains("CONFIG_KEXEC=y")
            env.configKexecFile = lines.contains("CONFIG_KEXEC_FILE=y")
        }
        return env
    }

    /// CAP_SYS_BOOT is bit 22 of CapEff.
    static func capSysBoot(fromStatus status: String) -> Bool? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("CapEff:") }),
              let mask = UInt64(line.dropFirst(7).trimmingCharacters("\t").trimmingCharacters(" "), radix: 16) else { return nil }
        return mask & (1 << 22) != 0
    }

    static func kernelConfig(_ files: SystemFiles) -> String? {
        var u = utsname()
        uname(&u)
        let release = withUnsafeBytes(of: u.release) { String(decoding: $0.prefix(while: { $0 != 0 }), as: UTF8.self) }
        return files.readText("/boot/config-\(release)")
    }
}
