import Glibc
import KexecCore

/// Loads, unloads and executes through Xen's kexec hypercall (v2 commands only) from a PV dom0.
///
/// ## Status design (reference xen-kexec-abi.md §3.2, §3.6)
///
/// Xen 4.17's KEXEC_CMD_kexec_status does not answer "is an image loaded": it returns the
/// slot-position bit, which every load *and* every unload toggles. So it reports the parity of
/// load/unload swaps since boot, and is wrong after a load over a loaded image or after an
/// unload of nothing. We keep the invariant **position bit == image loaded** and make every
/// operation we issue end in a state that satisfies it, *whatever* state it starts from:
///
/// - unload: query status; if 1, unload once (→ 0, empty); if 0, unload twice (→ 1 → 0, empty
///   either way; this also clears an image another tool loaded while leaving the bit at 0).
///   Unloading an empty slot is legal in Xen and returns 0 (§3.5).
/// - load: never an unload first (a load Xen refuses must leave the loaded image in place).
///   Status 0 (empty, bit 0): one load (→ loaded, 1). Status 1 (loaded, bit 1): load, then
///   load the same image again: the first swap leaves the bit at 0 with the new image loaded,
///   the second puts it back at 1. If Xen refuses the first load, nothing was swapped: the old
///   image stays loaded and the bit stays right. Should the second load fail (it is the same
///   image, so only a resource failure can do that), the bit is repaired the old way (empty
///   the slot, load once) and the error is reported.
/// - a load over an inconsistent state (another tool's load or unload) ends consistent too:
///   status 0 with an image loaded → one load → loaded, 1; status 1 with nothing loaded →
///   two loads → loaded, 1. Only a *failed* load over such a state leaves it as it was.
/// - default images are built in Xen's heap and swapped in only on success; crash images are
///   copied into the crash region as they load (§3.3), so a crash load Xen refuses late can
///   have overwritten the loaded one — its checks (region, alignment, overlaps) come first.
/// - exec and `-S` only read.
///
/// Therefore `-S` is exact after any sequence of our operations, and each of our successful
/// load/unload operations repairs a state left by another tool. Limits: a tool issuing raw load/unload
/// hypercalls *after* our last operation (kexec-tools reloading, or unloading nothing) flips the
/// answer until our next load/unload; two of our processes racing between the status query
/// and the swap can also flip it; and between the two unloads of the "status 0" path a
/// concurrent `-S` may briefly see 1. A hypervisor that fixes the status sub-op (returning
/// the occupied bit) keeps all of this correct: the extra unloads are then harmless no-ops.
public final class XenBackend: KexecBackend {
    let open: () throws(KexecError) -> any XenHypercalls
    var opened: (any XenHypercalls)?
    /// (major, minor) from /sys/hypervisor/version, when known; checked before any hypercall.
    public var version: (Int, Int)?
    /// Reads the kernel's init_size for the mapping segment (nil: map only the segments).
    public var kernelWindow: (LoadPlan) -> PhysicalRange?

    public init(version: (Int, Int)? = nil,
                kernelWindow: @escaping (LoadPlan) -> PhysicalRange? = { _ in nil },
                open: @escaping () throws(KexecError) -> any XenHypercalls) {
        self.version = version
        self.kernelWindow = kernelWindow
        self.open = open
    }

    public convenience init(hypercalls: any XenHypercalls, version: (Int, Int)? = nil) {
        self.init(version: version, open: { hypercalls })
    }

    func xen() throws(KexecError) -> any XenHypercalls {
        if let opened { return opened }
        if let (major, minor) = version {
            if (major, minor) < (4, 4) {
                throw KexecError("Xen \(major).\(minor) has only the original (v1) kexec hypercall interface; swift-kexec uses only the v2 load/unload sub-ops of Xen 4.4 and later and will not fall back")
            }
            if (major, minor) < (4, 9) {
                throw KexecError("Xen \(major).\(minor) has no KEXEC_CMD_kexec_status (added in 4.9), which swift-kexec needs to know what is loaded; upgrade Xen")
            }
        }
        let x = try open()
        opened = x
        return x
    }

    // MARK: - KexecBackend

    public func load(_ plan: LoadPlan) throws(KexecError) {
        let layout = try XenLoadLayout(plan: plan, kernelWindow: kernelWindow(plan))
        let xen = try xen()
        try rawLoad(layout, xen, replacing: try status(layout.type, xen))
    }

    public func loadFile(_ request: FileLoadRequest) throws(KexecError) {
        throw KexecError("kexec_file_load does not apply under Xen: the hypervisor loads the image, through its kexec hypercall (use -c or the default)")
    }

    public func unload(crash: Bool, syscall: SyscallChoice) throws(KexecError) {
        let type: XenKexec.ImageType = crash ? .crash : .default
        try emptySlot(type, try xen())
    }

    /// Leaves nothing loaded and the position bit at 0, from any state: one unload when status
    /// says 1, two when it says 0 (see the status design above).
    func emptySlot(_ type: XenKexec.ImageType, _ xen: any XenHypercalls) throws(KexecError) {
        let times = try status(type, xen) ? 1 : 2
        for _ in 0..<times { try rawUnload(type, xen) }
    }

    public func execute() throws(KexecError) {
        let xen = try xen()
        var arg = XenKexecExec(type: .default).encoded()
        let r = try xen.kexecOp(.kexec, &arg)
        throw explain(r < 0 ? Int32(-r) : EIO, "KEXEC_CMD_kexec")
    }

    public func isLoaded(crash: Bool) throws(KexecError) -> Bool {
        try status(crash ? .crash : .default, try xen())
    }

    // MARK: - hypercalls

    func status(_ type: XenKexec.ImageType, _ xen: any XenHypercalls) throws(KexecError) -> Bool {
        var arg = XenKexecTypeArgument(type: type).encoded()
        let r = try xen.kexecOp(.status, &arg)
        if r < 0 { throw explain(Int32(-r), "KEXEC_CMD_kexec_status") }
        return r == 1
    }

    func rawUnload(_ type: XenKexec.ImageType, _ xen: any XenHypercalls) throws(KexecError) {
        var arg = XenKexecTypeArgument(type: type).encoded()
        let r = try xen.kexecOp(.unload, &arg)
        if r < 0 { throw explain(Int32(-r), "KEXEC_CMD_kexec_unload") }
    }

    /// Test hook (the xen-failed-load scenario): claim one segment more than Xen takes, so that
    /// Xen refuses the load (EINVAL, its first check) after all of ours passed.
    static let testRefusedLoad = getenv("SWIFT_KEXEC_TEST_XEN_REFUSE") != nil

    /// One hypercall-safe block holds, in order: the 24-byte load argument, the segment array,
    /// then each data segment (page-aligned). `replacing`: the status bit said loaded, so the
    /// same block is loaded twice (see the status design above).
    func rawLoad(_ layout: XenLoadLayout, _ xen: any XenHypercalls, replacing: Bool) throws(KexecError) {
        let arrayOffset = XenKexecLoad.size
        let dataStart = Int(UInt64(arrayOffset + layout.pieces.count * XenKexecSegment.size).alignedUp(XenKexec.pageSize)!)
        let block = try xen.allocate(dataStart + layout.stagedBytes)
        defer { xen.free(block) }
        let base = UInt64(UInt(bitPattern: block.baseAddress))
        var segments: [XenKexecSegment] = []
        var at = dataStart
        for piece in layout.pieces {
            guard let data = piece.data, data.count > 0 else {
                segments.append(XenKexecSegment(buffer: 0, bufferSize: 0, destination: piece.destination.start,
                                                destinationSize: piece.destination.size))
                continue
            }
            UnsafeMutableRawBufferPointer(rebasing: block[at..<(at + data.count)]).copyMemory(from: data.raw)
            segments.append(XenKexecSegment(buffer: base + UInt64(at), bufferSize: UInt64(data.count),
                                            destination: piece.destination.start, destinationSize: piece.destination.size))
            at += Int(UInt64(data.count).alignedUp(XenKexec.pageSize)!)
        }
        let array = XenKexecSegment.encodeArray(segments)
        array.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: block[arrayOffset..<(arrayOffset + array.count)]).copyMemory(from: $0) }
        let count = Self.testRefusedLoad ? UInt32(XenKexec.maxSegments + 1) : UInt32(segments.count)
        let argument = XenKexecLoad(type: layout.type, segmentCount: count,
                                segments: base + UInt64(arrayOffset), entry: layout.entry).encoded()
        argument.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: block[0..<argument.count]).copyMemory(from: $0) }
        let load = { () throws(KexecError) in
            let r = xen.hypercall(XenKexec.hypercall, XenKexec.Command.load.rawValue, base)
            if r < 0 { throw self.explain(Int32(-r), "KEXEC_CMD_kexec_load", crash: layout.type == .crash) }
        }
        try load()
        guard replacing else { return }
        do {
            try load()
        } catch {
            try emptySlot(layout.type, xen)
            try load()
        }
    }

    /// One sentence per errno (matrix in reference xen-kexec-abi.md §3.11).
    func explain(_ e: Int32, _ operation: String, crash: Bool = false) -> KexecError {
        let said = "Xen \(operation) failed: \(String(cString: strerror(e)))"
        func error(_ advice: String) -> KexecError { KexecError("\(said): \(advice)", errno: e) }
        switch e {
        case ENOSYS:
            return error("this domain cannot use Xen's kexec hypercall; it exists only for PV guests (a PVH or HVM dom0 gets ENOSYS) and only in a hypervisor built with CONFIG_KEXEC; boot dom0 in PV mode")
        case EPERM:
            return error("only the control domain (dom0) may use Xen kexec; this is a guest (domU), or privcmd is restricted")
        case EACCES:
            return error("the Xen security policy (XSM/FLASK) denies xen:kexec to this domain")
        case EADDRNOTAVAIL:
            return error(crash ? "a segment or the entry lies outside Xen's crash region, or is not page-aligned (run with -d to see the segments)"
                               : "a segment destination is not page-aligned (run with -d to see the segments)")
        case ENOMEM:
            return error(crash ? "the crash region has no room left for Xen's control and page-table pages; use a smaller initrd or a larger crashkernel= on Xen's command line"
                               : "Xen's heap is too small for the image; give dom0 less memory (dom0_mem= on Xen's command line) or use a smaller initrd")
        case EINVAL:
            return error("Xen rejected the segment list (overlap, more than \(XenKexec.maxSegments) segments, or data larger than its destination; run with -d)")
        case EBUSY:
            return error("a crash or kexec is already in progress in Xen")
        case ENOENT:
            return error("nothing has been loaded: load a kernel with kexec -l first")
        case EFAULT:
            return error("Xen could not read the hypercall buffers")
        default:
            return KexecError(said, errno: e)
        }
    }
}
