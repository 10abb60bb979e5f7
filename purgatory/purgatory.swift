// The purgatory's logic in Embedded Swift: digest checks, the mismatch report on the
// serial port, and the kdump backup copy. entry.S calls purgatory_main() on the
// purgatory's own stack and GDT, then loads the registers from the parameter block and
// jumps. Everything works on raw pointers; nothing allocates.

// Helpers provided by entry.S.
@_extern(c, "purgatory_outb") func outb(_ port: UInt16, _ value: UInt8)
@_extern(c, "purgatory_inb") func inb(_ port: UInt16) -> UInt8
@_extern(c, "purgatory_halt") func halt()     // cli; hlt loop, never returns
@_extern(c, "purgatory_params_address") func builtinParams() -> UnsafeMutableRawPointer
/// Turns a physical (identity-mapped) address into a pointer. It is an opaque call on
/// purpose: address 0 is a valid address here (the kdump backup source usually is 0),
/// and the optimiser must not get to see a null pointer being dereferenced.
@_extern(c, "purgatory_phys") func phys(_ address: UInt64) -> UnsafeMutableRawPointer

// Byte offsets in the parameter block (purgatory/README.md has the full table).
enum Params {
    static let flags = 72           // u32, bit0 = skip digest checks
    static let regionCount = 76     // u32, at most maxRegions are looked at
    static let serialPort = 80      // u16, 8250 I/O base, 0 = silent
    static let backupSrc = 88       // u64
    static let backupDst = 96       // u64
    static let backupLen = 104      // u64, 0 = no copy
    static let regions = 128        // regions[16] of { u64 start; u64 length; u8 sha256[32] }
    static let regionSize = 48
    static let maxRegions = 16
    static let size = 896
    static let skipChecks: UInt32 = 1
    static let progress: UInt32 = 4 // --console-serial: say what happens on the serial port
    static let rip = 64             // u64, the jump target
}

/// region_count, of which at most maxRegions are looked at.
func regionCount(_ params: UnsafeRawPointer) -> Int {
    let count = Int(params.load(fromByteOffset: Params.regionCount, as: UInt32.self))
    return count > Params.maxRegions ? Params.maxRegions : count
}

/// Index of the first region whose SHA-256 differs from the stored digest, or -1.
func firstBadRegion(_ params: UnsafeRawPointer) -> Int {
    let count = regionCount(params)
    var digest: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)
    var i = 0
    while i < count {
        let r = params + (Params.regions + i * Params.regionSize)
        let start = r.load(as: UInt64.self)
        let length = r.load(fromByteOffset: 8, as: UInt64.self)
        let same = withUnsafeMutableBytes(of: &digest) { d -> Bool in
            let out = d.baseAddress!
            sha256(UnsafeRawPointer(phys(start)), Int(length), out)
            var k = 0
            while k < 32 {
                if out.load(fromByteOffset: k, as: UInt64.self)
                    != r.load(fromByteOffset: 16 + k, as: UInt64.self) {
                    return false
                }
                k += 8
            }
            return true
        }
        if !same { return i }
        i += 1
    }
    return -1
}

/// Host-callable check (C ABI): `int purgatory_verify(const void *params)`.
/// `params` points at an 896-byte parameter block; NULL means the blob's own
/// `purgatory_params`. Returns 1 if every region matches its digest or if flags bit0
/// (skip checks) is set, else 0. Uses no privileged instruction and prints nothing.
@_cdecl("purgatory_verify")
public func purgatory_verify(_ params: UnsafeRawPointer?) -> Int32 {
    let p = params ?? UnsafeRawPointer(builtinParams())
    if p.load(fromByteOffset: Params.flags, as: UInt32.self) & Params.skipChecks != 0 {
        return 1
    }
    return firstBadRegion(p) < 0 ? 1 : 0
}

// MARK: - Serial output (8250 UART, polled, no initialisation: the running system's
// baud rate and line settings are kept).

struct Serial {
    let port: UInt16

    func put(_ byte: UInt8) {
        if port == 0 { return }
        // Wait for THR empty (LSR bit 5), but never forever: a missing or wedged UART
        // must not keep us from reaching the halt loop.
        var spins = 0
        while inb(port &+ 5) & 0x20 == 0 && spins < 1_000_000 { spins += 1 }
        outb(port, byte)
    }

    func put(_ text: StaticString) {
        let p = text.utf8Start
        var i = 0
        while i < text.utf8CodeUnitCount {
            put(p[i])
            i += 1
        }
    }

    func putHex(_ value: UInt64) {
        put("0x")
        var shift = 60
        while shift > 0 && (value &>> UInt64(shift)) & 0xf == 0 { shift -= 4 }
        while shift >= 0 {
            let nibble = UInt8(truncatingIfNeeded: value &>> UInt64(shift)) & 0xf
            put(nibble < 10 ? 0x30 &+ nibble : 0x57 &+ nibble)
            shift -= 4
        }
    }

    func putDecimal(_ value: Int) {
        var digits: (UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8, UInt8,
                     UInt8, UInt8, UInt8, UInt8) =
            (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        withUnsafeMutableBytes(of: &digits) { d in
            var v = UInt(bitPattern: value)
            var n = 0
            repeat {
                d[n] = 0x30 &+ UInt8(truncatingIfNeeded: v % 10)
                v /= 10
                n += 1
            } while v != 0
            while n > 0 {
                n -= 1
                put(d[n])
            }
        }
    }
}

// MARK: - Backup copy (kdump): memmove semantics, 8 bytes at a time where possible.

func copyBackup(_ dst: UnsafeMutableRawPointer, _ src: UnsafeRawPointer, _ length: Int) {
    let d = UInt(bitPattern: dst)
    let s = UInt(bitPattern: src)
    if d == s || length == 0 { return }
    let words = length >> 3
    if d < s || d >= s &+ UInt(length) {
        // Forward copy is safe.
        var i = 0
        while i < words {
            dst.storeBytes(of: src.loadUnaligned(fromByteOffset: i << 3, as: UInt64.self),
                           toByteOffset: i << 3, as: UInt64.self)
            i += 1
        }
        i <<= 3
        while i < length {
            dst.storeBytes(of: src.load(fromByteOffset: i, as: UInt8.self),
                           toByteOffset: i, as: UInt8.self)
            i += 1
        }
    } else {
        // Destination overlaps the end of the source: copy backwards.
        var i = length
        while i > words << 3 {
            i -= 1
            dst.storeBytes(of: src.load(fromByteOffset: i, as: UInt8.self),
                           toByteOffset: i, as: UInt8.self)
        }
        while i > 0 {
            i -= 8
            dst.storeBytes(of: src.loadUnaligned(fromByteOffset: i, as: UInt64.self),
                           toByteOffset: i, as: UInt64.self)
        }
    }
}

// MARK: - Main

/// Called by entry.S with the address of `purgatory_params`. Returns only if the jump
/// may go ahead; on a digest mismatch it reports on the serial port and halts.
@_cdecl("purgatory_main")
public func purgatory_main(_ params: UnsafeMutableRawPointer) {
    let flags = params.load(fromByteOffset: Params.flags, as: UInt32.self)
    let serial = Serial(port: params.load(fromByteOffset: Params.serialPort, as: UInt16.self))
    // With --console-serial: one line before the checks and one before the jump, so that a
    // hang can be placed (and the checks timed) from the serial log.
    let progress = flags & Params.progress != 0
    if flags & Params.skipChecks == 0 {
        if progress {
            serial.put("purgatory: verifying ")
            serial.putDecimal(regionCount(UnsafeRawPointer(params)))
            serial.put(" regions\r\n")
        }
        let bad = firstBadRegion(UnsafeRawPointer(params))
        if bad >= 0 {
            let r = params + (Params.regions + bad * Params.regionSize)
            serial.put("purgatory: sha256 mismatch in region ")
            serial.putDecimal(bad)
            serial.put(" at ")
            serial.putHex(r.load(as: UInt64.self))
            serial.put(" (len ")
            serial.putHex(r.load(fromByteOffset: 8, as: UInt64.self))
            serial.put(")\r\n")
            while true { halt() }
        }
    } else if progress {
        serial.put("purgatory: digest checks skipped\r\n")
    }
    let length = params.load(fromByteOffset: Params.backupLen, as: UInt64.self)
    if length != 0 {
        copyBackup(phys(params.load(fromByteOffset: Params.backupDst, as: UInt64.self)),
                   UnsafeRawPointer(phys(params.load(fromByteOffset: Params.backupSrc, as: UInt64.self))),
                   Int(length))
    }
    if progress {
        serial.put("purgatory: jumping to ")
        serial.putHex(params.load(fromByteOffset: Params.rip, as: UInt64.self))
        serial.put("\r\n")
    }
}
