import KexecCore

/// One way of loading and running images (Linux syscalls, dry run; later Xen hypercalls).
/// Every back end consumes the same `LoadPlan`; the Linux one can also hand files to the kernel.
public protocol KexecBackend {
    /// kexec_load path: segments we placed, with our purgatory.
    func load(_ plan: LoadPlan) throws(KexecError)
    /// kexec_file_load path: the kernel places the image and checks its signature.
    func loadFile(_ request: FileLoadRequest) throws(KexecError)
    func unload(crash: Bool, syscall: SyscallChoice) throws(KexecError)
    /// Does not return on success.
    func execute() throws(KexecError)
    func isLoaded(crash: Bool) throws(KexecError) -> Bool
}

public struct FileLoadRequest: Sendable {
    public var kernelPath: String
    public var initrdPath: String?
    public var commandLine: String
    public var crash: Bool
    public var debug: Bool
    /// An already open kernel file to pass instead of opening `kernelPath` (a sealed memfd
    /// with the decompressed image, or a UKI's .linux). The caller owns it and closes it after the call.
    public var kernelFD: Int32? = nil
    /// Likewise for the initrd (a UKI's .initrd in a sealed memfd), instead of `initrdPath`.
    public var initrdFD: Int32? = nil
    /// KEXEC_FILE_NO_CMA: the kernel must not place the image in CMA memory (`--no-cma`).
    public var noCMA = false

    public init(kernelPath: String, initrdPath: String?, commandLine: String, crash: Bool = false, debug: Bool = false) {
        self.kernelPath = kernelPath
        self.initrdPath = initrdPath
        self.commandLine = commandLine
        self.crash = crash
        self.debug = debug
    }
}

/// The raw kernel interface, so tests can fake it. Results are 0 or -errno.
public protocol LinuxKexecSyscalls: Sendable {
    func kexecLoad(entry: UInt64, segments: [RawSegment], flags: UInt) -> Int
    /// `commandLine` includes its terminating NUL.
    func kexecFileLoad(kernelFD: Int32, initrdFD: Int32, commandLine: [UInt8], flags: UInt) -> Int
    func rebootKexec() -> Int
}

/// A kexec_segment as the kernel reads it.
public struct RawSegment: @unchecked Sendable, Equatable {
    public var buffer: UnsafeRawPointer?
    public var bufferSize: Int
    public var memory: UInt64
    public var memorySize: UInt64
}
