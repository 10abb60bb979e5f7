import Glibc
import KexecCore

/// Which load syscall to use: `-s`, `-c`, or `-a` (the default, file first).
public enum SyscallChoice: String, Sendable {
    case auto, file, load
}

/// kexec-tools' contract for `-a`: the file syscall first; kexec_load only when the kernel says
/// it cannot use the file syscall for this image. Signature and policy refusals are final.
public enum SyscallPolicy {
    public static let fallbackErrnos: Set<Int32> = [ENOSYS, ENOEXEC, EINVAL, EOPNOTSUPP]

    public static func fallsBack(afterFileError e: Int32) -> Bool { fallbackErrnos.contains(e) }

    /// What `--dry-run` and `-d` say about the choice before anything is tried.
    public static func prediction(_ choice: SyscallChoice, _ env: KexecEnvironment) -> String {
        switch choice {
        case .load:
            return "kexec_load (-c): our placement and purgatory"
                + (env.lockedDown ? "; note: lockdown=\(env.lockdown!) refuses kexec_load" : "")
        case .file:
            return "kexec_file_load (-s): the kernel places the image and checks its signature"
        case .auto where env.xen:
            return "Xen hypercall: kexec_file_load does not apply under Xen"
        case .auto:
            if env.lockedDown {
                return "kexec_file_load: lockdown=\(env.lockdown!) refuses kexec_load, so only a signed image can load"
            }
            if env.configKexecFile == false {
                return "kexec_load: this kernel was built without CONFIG_KEXEC_FILE"
            }
            return "kexec_file_load first (auto); kexec_load with the plan below if the kernel cannot use the file syscall for this image"
        }
    }
}
