/// One piece of the new image: bytes (or none) destined for a physical range.
public struct Segment: Sendable {
    public enum Role: String, Sendable {
        case purgatory, kernel, bootParams = "boot_params", initrd, other
        case elfCoreHeader = "elfcorehdr", backup, module
    }

    public var role: Role
    /// nil means "memory only": the kernel zero-fills `memory`.
    public var data: ByteSlice?
    public var memory: PhysicalRange
    /// SHA-256 of `data`, filled in by `LoadPlan.computeDigests()`.
    public var digest: [UInt8]?

    public init(role: Role, data: ByteSlice?, memory: PhysicalRange) {
        self.role = role
        self.data = data
        self.memory = memory
    }

    public var dataSize: Int { data?.count ?? 0 }
}

/// The kexec_load(2) / Xen segment rules shared by every back end: at most 16 segments,
/// page-aligned start and size, data no larger than memory, no overlaps, all inside RAM.
public enum SegmentRules {
    public static let maxSegments = 16   // KEXEC_SEGMENT_MAX in <linux/kexec.h>

    public static func check(_ segments: [Segment], memoryMap: MemoryMap, maxSegments: Int = maxSegments) throws(KexecError) {
        guard segments.count <= maxSegments else {
            throw KexecError(field: "segments", "the image needs \(segments.count) segments; kexec accepts at most \(maxSegments)")
        }
        let sorted = segments.sorted { $0.memory.start < $1.memory.start }
        for (i, s) in sorted.enumerated() {
            let name = "\(s.role.rawValue) segment \(s.memory)"
            guard s.memory.start % pageSize == 0, s.memory.size % pageSize == 0 else {
                throw KexecError(field: name, "expected a page-aligned start and size")
            }
            guard UInt64(s.dataSize) <= s.memory.size else {
                throw KexecError(field: name, "holds \(s.dataSize) bytes of data but only \(s.memory.size) bytes of memory")
            }
            guard memoryMap.isRAM(s.memory) else {
                throw KexecError(field: name, "expected to lie inside System RAM of the memory map")
            }
            if i > 0, sorted[i - 1].memory.overlaps(s.memory) {
                throw KexecError(field: name, "overlaps \(sorted[i - 1].role.rawValue) segment \(sorted[i - 1].memory)")
            }
        }
    }
}
