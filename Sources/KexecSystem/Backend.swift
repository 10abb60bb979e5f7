import KexecCore

/// One way of loading and running images (Linux syscalls, dry run; later Xen hypercalls).
/// Every back end consumes the same `LoadPlan`.
public protocol KexecBackend {
    func load(_ plan: LoadPlan) throws(KexecError)
    func unload(crash: Bool) throws(KexecError)
    /// Does not return on success.
    func execute() throws(KexecError)
    func isLoaded(crash: Bool) throws(KexecError) -> Bool
}

/// The raw kernel interface, so tests can fake it. Results are 0 or -errno.
public protocol LinuxKexecSyscalls: Sendable {
    func kexecLoad(entry: UInt64, segments: [RawSegment], flags: UInt) -> Int
    func rebootKexec() -> Int
}

/// A kexec_segment as the kernel reads it.
public struct RawSegment: @unchecked Sendable, Equatable {
    public var buffer: UnsafeRawPointer?
    public var bufferSize: Int
    public var memory: UInt64
    public var memorySize: UInt64
}
