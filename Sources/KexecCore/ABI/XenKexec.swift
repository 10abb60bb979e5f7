/// The Xen kexec hypercall ABI (v2, "new" load/unload since Xen 4.4, status since 4.9) and the
/// privcmd/memory_op structures a dom0 process needs to issue it. Every struct is defined once
/// here, byte-exact for x86_64 little-endian.
///
/// Sources (facts and layouts only): Xen `xen/include/public/kexec.h`, `xen/include/public/xen.h`,
/// `xen/include/public/arch-x86/xen.h` (guest handles), `xen/include/public/memory.h`
/// (XENMEM_machine_memory_map), Xen `tools/include/xen-sys/Linux/privcmd.h` (the ioctl), all at
/// RELEASE-4.17.0; layouts cross-checked in /work/shared/reference/xen-kexec-abi.md §2 and §4.1.
/// The v1 commands (1, 2) are deliberately absent: swift-kexec never issues them.
public enum XenKexec {
    /// `__HYPERVISOR_kexec_op` (xen.h).
    public static let hypercall: UInt64 = 37
    /// `__HYPERVISOR_memory_op` (xen.h).
    public static let memoryOpHypercall: UInt64 = 12
    /// `XENMEM_machine_memory_map` (memory.h).
    public static let memoryMachineMemoryMap: UInt64 = 10

    /// `KEXEC_CMD_*` (kexec.h). 1 and 2 are the obsolete v1 load/unload and are never used.
    public enum Command: UInt64, Sendable {
        case kexec = 0
        case getRange = 3
        case load = 4
        case unload = 5
        case status = 6
    }

    /// `KEXEC_TYPE_*` (kexec.h).
    public enum ImageType: UInt8, Sendable {
        case `default` = 0
        case crash = 1
    }

    /// `KEXEC_RANGE_MA_*` (kexec.h). XENHEAP (3), BOOT_PARAM (4) and EFI_MEMMAP (5) are not
    /// implemented on x86 (-EINVAL) and are not listed.
    public enum Range: Int32, Sendable {
        case crash = 0
        case xen = 1
        case cpu = 2
        case vmcoreinfo = 6
    }

    /// `KEXEC_SEGMENT_MAX` is 16 and Xen rejects `nr_segments >= 16`: at most 15 (kexec.c).
    public static let maxSegments = 15
    /// `EM_X86_64`: the `arch` of a 64-bit purgatory (Xen then enters it in long mode).
    public static let archX86_64: UInt16 = 62
    public static let pageSize: UInt64 = 4096
}

/// `xen_kexec_exec_t`: argument of KEXEC_CMD_kexec. 4 bytes: `int type` at 0.
public struct XenKexecExec: Sendable, Equatable {
    public static let size = 4
    public var type: XenKexec.ImageType
    public init(type: XenKexec.ImageType) { self.type = type }
    public func encoded() -> [UInt8] {
        var b = [UInt8](repeating: 0, count: Self.size)
        b.store(Int32(type.rawValue), at: 0)
        return b
    }
}

/// `xen_kexec_range_t`: argument of KEXEC_CMD_kexec_get_range. 24 bytes, align 8:
/// `int range` at 0, `int nr` at 4 (in), `unsigned long size` at 8, `unsigned long start` at 16 (out).
public struct XenKexecRange: Sendable, Equatable {
    public static let size = 24
    public static let rangeOffset = 0, nrOffset = 4, sizeOffset = 8, startOffset = 16
    public var range: Int32
    public var nr: Int32
    public var length: UInt64
    public var start: UInt64

    public init(range: XenKexec.Range, nr: Int32 = 0) {
        self.range = range.rawValue
        self.nr = nr
        self.length = 0
        self.start = 0
    }

    public func encoded() -> [UInt8] {
        var b = [UInt8](repeating: 0, count: Self.size)
        b.store(range, at: Self.rangeOffset)
        b.store(nr, at: Self.nrOffset)
        b.store(length, at: Self.sizeOffset)
        b.store(start, at: Self.startOffset)
        return b
    }

    /// Reads the struct back after Xen wrote `size` and `start`.
    public static func decode(_ bytes: UnsafeRawBufferPointer) -> XenKexecRange? {
        let r = LittleEndianReader(bytes)
        guard let range = r.u32(rangeOffset), let nr = r.u32(nrOffset),
              let length = r.u64(sizeOffset), let start = r.u64(startOffset) else { return nil }
        var out = XenKexecRange(range: .crash)
        out.range = Int32(bitPattern: range)
        out.nr = Int32(bitPattern: nr)
        out.length = length
        out.start = start
        return out
    }
}

/// `xen_kexec_segment_t`: 32 bytes, align 8. `buf` is `union { XEN_GUEST_HANDLE(const_void) h;
/// uint64_t _pad; }` at 0 (the caller's virtual address, 0 = no data: map only), `uint64_t
/// buf_size` at 8, `uint64_t dest_maddr` at 16, `uint64_t dest_size` at 24.
public struct XenKexecSegment: Sendable, Equatable {
    public static let size = 32
    public static let bufOffset = 0, bufSizeOffset = 8, destMaddrOffset = 16, destSizeOffset = 24
    public var buffer: UInt64
    public var bufferSize: UInt64
    public var destination: UInt64
    public var destinationSize: UInt64

    public init(buffer: UInt64, bufferSize: UInt64, destination: UInt64, destinationSize: UInt64) {
        self.buffer = buffer
        self.bufferSize = bufferSize
        self.destination = destination
        self.destinationSize = destinationSize
    }

    public func encode(into b: inout [UInt8], at offset: Int) {
        b.store(buffer, at: offset + Self.bufOffset)
        b.store(bufferSize, at: offset + Self.bufSizeOffset)
        b.store(destination, at: offset + Self.destMaddrOffset)
        b.store(destinationSize, at: offset + Self.destSizeOffset)
    }

    public static func encodeArray(_ segments: [XenKexecSegment]) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: segments.count * size)
        for (i, s) in segments.enumerated() { s.encode(into: &b, at: i * size) }
        return b
    }
}

/// `xen_kexec_load_t`: argument of KEXEC_CMD_kexec_load (4). 24 bytes, align 8: `uint8_t type`
/// at 0, `uint8_t _pad` at 1, `uint16_t arch` at 2 (ELF EM_*), `uint32_t nr_segments` at 4,
/// `segments` (union of a handle to xen_kexec_segment_t and `uint64_t _pad`) at 8,
/// `uint64_t entry_maddr` at 16.
public struct XenKexecLoad: Sendable, Equatable {
    public static let size = 24
    public static let typeOffset = 0, padOffset = 1, archOffset = 2, countOffset = 4, segmentsOffset = 8, entryOffset = 16
    public var type: XenKexec.ImageType
    public var arch: UInt16
    public var segmentCount: UInt32
    /// Virtual address of the segment array in the caller.
    public var segments: UInt64
    public var entry: UInt64

    public init(type: XenKexec.ImageType, arch: UInt16 = XenKexec.archX86_64, segmentCount: UInt32, segments: UInt64, entry: UInt64) {
        self.type = type
        self.arch = arch
        self.segmentCount = segmentCount
        self.segments = segments
        self.entry = entry
    }

    public func encoded() -> [UInt8] {
        var b = [UInt8](repeating: 0, count: Self.size)
        b[Self.typeOffset] = type.rawValue
        b[Self.padOffset] = 0
        b.store(arch, at: Self.archOffset)
        b.store(segmentCount, at: Self.countOffset)
        b.store(segments, at: Self.segmentsOffset)
        b.store(entry, at: Self.entryOffset)
        return b
    }
}

/// `xen_kexec_unload_t` (cmd 5) and `xen_kexec_status_t` (cmd 6): 1 byte, `uint8_t type`.
/// Xen copies exactly one byte.
public struct XenKexecTypeArgument: Sendable, Equatable {
    public static let size = 1
    public var type: XenKexec.ImageType
    public init(type: XenKexec.ImageType) { self.type = type }
    public func encoded() -> [UInt8] { [type.rawValue] }
}

/// `struct xen_memory_map` (memory.h) for XENMEM_machine_memory_map: 16 bytes, align 8:
/// `unsigned int nr_entries` at 0 (in: capacity, out: count), 4 bytes padding,
/// `XEN_GUEST_HANDLE(void) buffer` at 8. The buffer holds packed 20-byte e820 entries.
public struct XenMemoryMap: Sendable, Equatable {
    public static let size = 16
    public static let countOffset = 0, bufferOffset = 8
    public var entryCount: UInt32
    public var buffer: UInt64

    public init(entryCount: UInt32, buffer: UInt64) {
        self.entryCount = entryCount
        self.buffer = buffer
    }

    public func encoded() -> [UInt8] {
        var b = [UInt8](repeating: 0, count: Self.size)
        b.store(entryCount, at: Self.countOffset)
        b.store(buffer, at: Self.bufferOffset)
        return b
    }

    /// Xen's e820 entries (u64 addr, u64 size, u32 type, packed) as a memory map. Types Xen's
    /// e820 uses map one to one; unknown ones become reserved.
    public static func decodeEntries(_ bytes: UnsafeRawBufferPointer, count: Int) -> MemoryMap {
        let r = LittleEndianReader(bytes)
        var entries: [MemoryMap.Entry] = []
        for i in 0..<count {
            let at = i * E820Entry.size
            guard let addr = r.u64(at), let size = r.u64(at + 8), let type = r.u32(at + 16),
                  let range = PhysicalRange(start: addr, size: size) else { continue }
            entries.append(.init(range, MemoryType(rawValue: type) ?? .reserved))
        }
        return MemoryMap(entries)
    }
}

/// `struct privcmd_hypercall` (privcmd.h): 48 bytes, `__u64 op` at 0, `__u64 arg[5]` at 8.
/// The kernel copies it (it may live anywhere); what the arguments point to must be
/// hypercall-safe memory.
public struct PrivcmdHypercall: Sendable, Equatable {
    public static let size = 48
    /// `IOCTL_PRIVCMD_HYPERCALL` = `_IOC(_IOC_NONE, 'P', 0, sizeof(privcmd_hypercall_t))`.
    public static let ioctl: UInt = 0x0030_5000
    public var op: UInt64
    public var args: (UInt64, UInt64, UInt64, UInt64, UInt64)

    public init(op: UInt64, _ a0: UInt64, _ a1: UInt64) {
        self.op = op
        self.args = (a0, a1, 0, 0, 0)
    }

    public static func == (l: Self, r: Self) -> Bool {
        l.op == r.op && l.args.0 == r.args.0 && l.args.1 == r.args.1 && l.args.2 == r.args.2
            && l.args.3 == r.args.3 && l.args.4 == r.args.4
    }

    public func encoded() -> [UInt8] {
        var b = [UInt8](repeating: 0, count: Self.size)
        b.store(op, at: 0)
        for (i, a) in [args.0, args.1, args.2, args.3, args.4].enumerated() { b.store(a, at: 8 + 8 * i) }
        return b
    }
}
