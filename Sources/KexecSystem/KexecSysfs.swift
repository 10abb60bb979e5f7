import KexecCore

/// The kernel's kexec attributes in sysfs. Newer kernels group them in /sys/kernel/kexec/
/// (loaded, crash_loaded, crash_size, crash_elfcorehdr_size, crash_cma_ranges) and keep the
/// old names under /sys/kernel/ as links for a while; older kernels have only the old names
/// (kernel/ksysfs.c). The new directory is read first so that we keep working when the links go.
public enum KexecSysfs {
    public enum Attribute: String, CaseIterable, Sendable {
        case loaded
        case crashLoaded = "crash_loaded"
        case crashSize = "crash_size"
        /// The largest ELF core header the kernel may write on hotplug (program headers only;
        /// CONFIG_CRASH_HOTPLUG, Linux 6.6+).
        case crashElfcorehdrSize = "crash_elfcorehdr_size"
        /// Crash memory taken from CMA (`crashkernel=SIZE,cma`, Linux 6.16+; listed here since
        /// 6.19): one "%08llx-%08llx" line (inclusive end) per range. Only in the new directory.
        case crashCMARanges = "crash_cma_ranges"

        /// The same attribute's name directly under /sys/kernel/, where it had one.
        var legacyPath: String? {
            switch self {
            case .loaded: "/sys/kernel/kexec_loaded"
            case .crashLoaded: "/sys/kernel/kexec_crash_loaded"
            case .crashSize: "/sys/kernel/kexec_crash_size"
            case .crashElfcorehdrSize: "/sys/kernel/crash_elfcorehdr_size"
            case .crashCMARanges: nil
            }
        }

        public var paths: [String] { ["/sys/kernel/kexec/" + rawValue] + [legacyPath].compactMap { $0 } }
    }

    /// The attribute's text from the first path that reads.
    public static func read(_ files: SystemFiles, _ attribute: Attribute) -> String? {
        attribute.paths.lazy.compactMap { files.readText($0) }.first
    }

    /// A decimal attribute (sizes), nil when absent or not a number.
    public static func number(_ files: SystemFiles, _ attribute: Attribute) -> UInt64? {
        read(files, attribute).flatMap { UInt64($0.trimmingSuffix("\n")) }
    }

    /// The path errors name: the new one when that directory exists.
    public static func displayPath(_ files: SystemFiles, _ attribute: Attribute) -> String {
        files.path(files.exists("/sys/kernel/kexec") ? attribute.paths[0] : attribute.paths.last!)
    }
}
