import KexecCore

/// Does everything but the syscall: the plan is printed by the caller, status reads sysfs.
public struct DryRunBackend: KexecBackend {
    public var files: SystemFiles
    public init(files: SystemFiles = SystemFiles()) { self.files = files }

    public func load(_ plan: LoadPlan) throws(KexecError) {}
    public func loadFile(_ request: FileLoadRequest) throws(KexecError) {}
    public func unload(crash: Bool, syscall: SyscallChoice) throws(KexecError) {}
    public func execute() throws(KexecError) {
        throw KexecError("--dry-run: would execute the loaded image now (nothing was done)")
    }
    public func isLoaded(crash: Bool) throws(KexecError) -> Bool {
        try LinuxBackend(files: files).isLoaded(crash: crash)
    }
}
