import Glibc
import KexecCore
import KexecSystem

/// Stands in for the hypervisor behind `XenHypercalls` (nothing here enters Xen or the
/// kernel): answers XENMEM_machine_memory_map and KEXEC_CMD_kexec_get_range with what the
/// fuzz input says, and refuses every other call. Like Xen, it reads and writes the caller's
/// structures through the pointers it is given; a pointer outside memory from `allocate` is
/// a bug in the caller (Xen would fault), so it traps.
final class ScriptedXen: XenHypercalls {
    var input: FuzzReader
    let flags: UInt8
    let cpusWithNotes: Int32
    var live: [UnsafeMutableRawBufferPointer] = []

    /// `flags`: bit 0 the memory map call fails, bit 1 the crash range call fails, bit 2 the
    /// crash range is 0/0 (none reserved), bit 3 Xen's VMCOREINFO call fails. `input`, in
    /// call order: the memory map (u32 count Xen reports, u8 entries given, 20 bytes each),
    /// then a u64 size and a u64 start per range asked for (crash, each CPU, VMCOREINFO).
    init(flags: UInt8, cpusWithNotes: UInt8, input: FuzzReader) {
        self.flags = flags
        self.cpusWithNotes = Int32(cpusWithNotes)
        self.input = input
    }

    deinit { live.forEach { $0.deallocate() } }

    func allocate(_ size: Int) throws(KexecError) -> UnsafeMutableRawBufferPointer {
        let block = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 4096)
        block.initializeMemory(as: UInt8.self, repeating: 0)
        live.append(block)
        return block
    }

    func free(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let i = live.firstIndex(where: { $0.baseAddress == buffer.baseAddress }) else {
            fatalError("free of memory that allocate did not return")
        }
        live.remove(at: i).deallocate()
    }

    /// `count` bytes at `address`, which must lie inside one block from `allocate`.
    func memory(_ address: UInt64, _ count: Int) -> UnsafeMutableRawBufferPointer {
        for block in live {
            let base = UInt64(UInt(bitPattern: block.baseAddress))
            if address >= base, address - base + UInt64(count) <= UInt64(block.count) {
                return UnsafeMutableRawBufferPointer(rebasing: block[Int(address - base)..<(Int(address - base) + count)])
            }
        }
        fatalError("hypercall argument \(hex(address))+\(count) is not hypercall memory")
    }

    func hypercall(_ op: UInt64, _ a0: UInt64, _ a1: UInt64) -> Int {
        if op == XenKexec.memoryOpHypercall, a0 == XenKexec.memoryMachineMemoryMap {
            if flags & 1 != 0 { return -Int(EPERM) }
            let arg = memory(a1, XenMemoryMap.size)
            let capacity = Int(arg.load(fromByteOffset: XenMemoryMap.countOffset, as: UInt32.self))
            let buffer = arg.load(fromByteOffset: XenMemoryMap.bufferOffset, as: UInt64.self)
            let reported = input.u32(), given = min(Int(input.u8()), capacity)
            let entries = input.bytes(given * E820Entry.size)
            memory(buffer, capacity * E820Entry.size).copyBytes(from: entries)
            arg.storeBytes(of: reported, toByteOffset: XenMemoryMap.countOffset, as: UInt32.self)
            return 0
        }
        guard op == XenKexec.hypercall, a0 == XenKexec.Command.getRange.rawValue else { return -Int(ENOSYS) }
        let arg = memory(a1, XenKexecRange.size)
        let range = arg.load(fromByteOffset: XenKexecRange.rangeOffset, as: Int32.self)
        let nr = arg.load(fromByteOffset: XenKexecRange.nrOffset, as: Int32.self)
        switch XenKexec.Range(rawValue: range) {
        case .crash where flags & 2 != 0, .vmcoreinfo where flags & 8 != 0: return -Int(EPERM)
        case .crash where flags & 4 != 0: return 0
        case .cpu where nr >= cpusWithNotes: return nr == 0 ? -Int(EINVAL) : -Int(ERANGE)
        case .crash, .cpu, .vmcoreinfo: break
        default: return -Int(EINVAL)
        }
        arg.storeBytes(of: input.u64(), toByteOffset: XenKexecRange.sizeOffset, as: UInt64.self)
        arg.storeBytes(of: input.u64(), toByteOffset: XenKexecRange.startOffset, as: UInt64.self)
        return 0
    }
}

/// Reads the input front to back; past its end every read is zeros.
struct FuzzReader {
    let data: UnsafeRawBufferPointer
    var at = 0

    init(_ data: UnsafeRawBufferPointer) { self.data = data }

    mutating func bytes(_ n: Int) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: n)
        let have = min(n, max(data.count - at, 0))
        for i in 0..<have { out[i] = data[at + i] }
        at += n
        return out
    }

    mutating func u8() -> UInt8 { bytes(1)[0] }
    mutating func u32() -> UInt32 { bytes(4).reversed().reduce(0) { $0 << 8 | UInt32($1) } }
    mutating func u64() -> UInt64 { bytes(8).reversed().reduce(0) { $0 << 8 | UInt64($1) } }
}
