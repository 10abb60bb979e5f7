/// Finds room for segments in RAM, from the top or from the bottom, and remembers what it
/// gave out so nothing overlaps.
public struct Placer: Sendable {
    /// Free RAM, sorted, disjoint.
    public private(set) var free: [PhysicalRange]
    /// The direction of requests that do not choose one.
    public let topDown: Bool

    /// `free` is RAM minus anything reserved up front (e.g. the first pages).
    public init(ram: [PhysicalRange], reserved: [PhysicalRange] = [], topDown: Bool = true) {
        var pieces = ram
        for r in reserved { pieces = pieces.flatMap { $0.subtracting(r) } }
        free = pieces.sorted()
        self.topDown = topDown
    }

    public struct Request: Sendable, Equatable {
        public var size: UInt64
        public var alignment: UInt64
        public var min: UInt64
        public var max: UInt64     // highest address the range may reach (exclusive end ≤ max)
        public var topDown: Bool?  // nil: the placer's direction

        public init(size: UInt64, alignment: UInt64 = pageSize, min: UInt64 = 0,
                    max: UInt64 = .max, topDown: Bool? = nil) {
            self.size = size
            self.alignment = alignment
            self.min = min
            self.max = max
            self.topDown = topDown
        }
    }

    /// Returns the start of a hole satisfying `request`, or nil. Pure: does not reserve.
    /// Example: free [0x1000, 0x9000), size 0x2000, alignment 0x4000, top-down → 0x4000.
    public func find(_ request: Request) -> UInt64? {
        guard request.size > 0, request.alignment.nonzeroBitCount == 1 else { return nil }
        let topDown = request.topDown ?? self.topDown
        let holes = topDown ? free.reversed() : free
        for hole in holes {
            let lo = Swift.max(hole.start, request.min)
            let hi = Swift.min(hole.end, request.max)
            guard hi > lo, hi - lo >= request.size else { continue }
            if topDown {
                let start = (hi - request.size).alignedDown(request.alignment)
                if start >= lo { return start }
            } else if let start = lo.alignedUp(request.alignment),
                      start <= hi, hi - start >= request.size {
                return start
            }
        }
        return nil
    }

    /// Finds and takes a hole.
    public mutating func allocate(_ request: Request) -> UInt64? {
        guard let start = find(request), let range = PhysicalRange(start: start, size: request.size) else { return nil }
        take(range)
        return start
    }

    /// Marks `range` as used (for fixed placements).
    public mutating func take(_ range: PhysicalRange) {
        free = free.flatMap { $0.subtracting(range) }
    }

    public var largestHole: UInt64 { free.map(\.size).max() ?? 0 }
}

extension Placer {
    /// BIOS data, EBDA and real-mode trampolines: never handed out for a normal load.
    public static let firstMiB = PhysicalRange(start: 0, size: 0x10_0000)!
    /// What 32-bit pointers (boot_params fields, multiboot, purgatory's 32-bit exit) reach.
    public static let fourGiB: UInt64 = 1 << 32

    /// Free RAM above the first MiB for a normal (not crash) load, handed out bottom-up.
    /// kexec_load(2) copies each page of a segment into a page it allocates
    /// (kimage_alloc_page); an allocated page that lies inside some destination costs a walk
    /// of all entries so far and goes on a list that every later allocation walks, so the
    /// kernel's work grows with such collisions. A freshly booted kernel hands out the top of
    /// RAM first: Debian's kernel and a 64 MiB initrd near the top of a 1.5 GiB QEMU guest's
    /// RAM took the kernel 1.44–1.47 s to load, bottom-up 0.56–0.58 s (bench-place).
    public init(normalLoad map: MemoryMap) {
        self.init(ram: map.ram, reserved: [Self.firstMiB], topDown: false)
    }

    /// Claims segments that must sit at fixed physical addresses (ELF PT_LOADs, a multiboot
    /// kernel): each must be free System RAM above the first MiB and end at or below `limit`.
    /// The error names `field` followed by the range.
    mutating func claimFixed(_ segments: [Segment], host: HostInfo, path: String, field: String,
                             limit: UInt64 = .max, expectation: String) throws(KexecError) {
        for s in segments {
            guard s.memory.end <= limit, host.memoryMap.isRAM(s.memory), free.contains(where: { $0.contains(s.memory) }) else {
                throw KexecError(file: path, field: "\(field) \(s.memory)", expectation)
            }
            take(s.memory)
        }
    }
}
