/// Turns a `LoadPlan` into the segment list Xen's KEXEC_CMD_kexec_load takes.
///
/// Xen runs the image on page tables it builds itself that map 1:1 only the segments (and its
/// own control pages), so everything the purgatory and the early kernel touch outside the data
/// segments must be asked for as a data-less ("NULL buffer") segment (reference
/// xen-kexec-abi.md §3.3 step 5, §3.4, §9.6):
///  - 0–1 MiB: BIOS data area, EBDA and VGA, read by the decompressor's trampoline search and
///    by the kdump backup copy;
///  - the kernel's whole `init_size` window: our kernel segment carries only the body, but the
///    decompressor moves itself to the end of that window and keeps its stack, heap and page
///    tables there before it has any page-fault handler of its own.
/// Xen's rules: at most 15 segments in all; every destination start and end page-aligned; no
/// overlaps (data-less ones included); no zero-sized data-less segment (§3.3, §9.4–9.5).
public struct XenLoadLayout: Sendable {
    public struct Piece: Sendable {
        /// nil: map only (Xen's NULL buffer).
        public var data: ByteSlice?
        public var destination: PhysicalRange
        public var role: String
    }

    public var pieces: [Piece]
    public var entry: UInt64
    public var type: XenKexec.ImageType

    public static let lowMemory = PhysicalRange(start: 0, size: 0x10_0000)!

    /// `kernelWindow`: the memory the kernel needs mapped from its load address (its
    /// `init_size`, page-rounded), when the loader knows it.
    public init(plan: LoadPlan, kernelWindow: PhysicalRange? = nil) throws(KexecError) {
        type = plan.crash ? .crash : .default
        entry = plan.entry
        var pieces: [Piece] = []
        for s in plan.sortedSegments {
            guard s.memory.start % XenKexec.pageSize == 0, s.memory.size % XenKexec.pageSize == 0, s.memory.size > 0 else {
                throw KexecError(field: "\(s.role.rawValue) segment \(s.memory)", "Xen needs a page-aligned, non-empty destination")
            }
            guard UInt64(s.dataSize) <= s.memory.size else {
                throw KexecError(field: "\(s.role.rawValue) segment \(s.memory)", "holds \(s.dataSize) bytes of data but only \(s.memory.size) bytes of memory")
            }
            pieces.append(Piece(data: s.data, destination: s.memory, role: s.role.rawValue))
        }
        let real = pieces.map(\.destination)
        for (a, b) in zip(real, real.dropFirst()) where a.overlaps(b) {
            throw KexecError(field: "segments", "\(a) overlaps \(b)")
        }
        var wanted: [(PhysicalRange, String)] = [(Self.lowMemory, "map 0-1 MiB")]
        if let kernelWindow { wanted.append((kernelWindow, "map kernel init_size")) }
        var mapped: [PhysicalRange] = real
        for (range, role) in wanted {
            let start = range.start.alignedDown(XenKexec.pageSize)
            guard let end = range.end.alignedUp(XenKexec.pageSize), let aligned = PhysicalRange(start: start, end: end) else { continue }
            var rest = [aligned]
            for m in mapped { rest = rest.flatMap { $0.subtracting(m) } }
            for r in rest where !r.isEmpty {
                pieces.append(Piece(data: nil, destination: r, role: role))
                mapped.append(r)
            }
        }
        self.pieces = pieces.sorted { $0.destination.start < $1.destination.start }
        guard self.pieces.count <= XenKexec.maxSegments else {
            throw KexecError(field: "segments", "the image needs \(self.pieces.count) segments including Xen's mapping-only ones; Xen accepts at most \(XenKexec.maxSegments)")
        }
    }

    /// A bzImage's init_size window, read off the plan (no file is read again): from the body's
    /// start to the end of the decompressor's copy area, or the kernel segment itself when it
    /// spans the window. nil without a kernel segment.
    public static func initSizeWindow(_ plan: LoadPlan) -> PhysicalRange? {
        guard let kernel = plan.segments.first(where: { $0.role == .kernel }) else { return nil }
        let end = plan.segments.first { $0.role == .decompressorCopy }?.memory.end ?? kernel.memory.end
        return PhysicalRange(start: kernel.memory.start, end: max(end, kernel.memory.end))
    }

    /// Bytes of segment data to stage in hypercall memory (each piece page-rounded).
    public var stagedBytes: Int {
        pieces.reduce(0) { $0 + Int((UInt64($1.data?.count ?? 0)).alignedUp(XenKexec.pageSize) ?? 0) }
    }
}
