// SHA-256 over a whole buffer: padding, output, and the choice between the two copies of
// the compression function in sha256_blocks.swift.

@_extern(c, "purgatory_sha256_blocks_generic")
func sha256BlocksGeneric(_ state: UnsafeMutablePointer<UInt64>, _ data: UnsafeRawPointer, _ blocks: Int)
@_extern(c, "purgatory_sha256_blocks_bmi2")
func sha256BlocksBMI2(_ state: UnsafeMutablePointer<UInt64>, _ data: UnsafeRawPointer, _ blocks: Int)
/// 1 if CPUID reports both BMI1 and BMI2 (leaf 7, EBX bits 3 and 8), else 0 (entry.S).
@_extern(c, "purgatory_has_bmi2")
func hasBMI2() -> Int32

@inline(__always)
private func compress(_ state: UnsafeMutablePointer<UInt64>, _ data: UnsafeRawPointer, _ blocks: Int, _ bmi2: Bool) {
    if bmi2 {
        sha256BlocksBMI2(state, data, blocks)
    } else {
        sha256BlocksGeneric(state, data, blocks)
    }
}

/// SHA-256 of `length` bytes at `data`, written as 32 bytes to `digest`.
func sha256(_ data: UnsafeRawPointer, _ length: Int, _ digest: UnsafeMutableRawPointer) {
    let bmi2 = hasBMI2() != 0
    // The state words live in the low halves of 64-bit slots (see sha256_blocks.swift).
    var st: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
         0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
    // The final one or two blocks: the tail of the input, 0x80, zeros, bit length.
    var pad: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
              UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    withUnsafeMutableBytes(of: &st) { stBytes in
        let s = stBytes.baseAddress!.assumingMemoryBound(to: UInt64.self)
        let full = length >> 6
        if full > 0 {
            compress(s, data, full, bmi2)
        }
        withUnsafeMutableBytes(of: &pad) { padBytes in
            let q = padBytes.baseAddress!
            let rest = length & 63
            let tail = data + (full << 6)
            var i = 0
            while i < rest {
                q.storeBytes(of: tail.load(fromByteOffset: i, as: UInt8.self), toByteOffset: i, as: UInt8.self)
                i += 1
            }
            q.storeBytes(of: 0x80, toByteOffset: rest, as: UInt8.self)
            let padBlocks = rest < 56 ? 1 : 2
            let bits = UInt64(truncatingIfNeeded: length) &<< 3
            q.storeBytes(of: bits.bigEndian, toByteOffset: padBlocks * 64 - 8, as: UInt64.self)
            compress(s, UnsafeRawPointer(q), padBlocks, bmi2)
        }
        var i = 0
        while i < 8 {
            digest.storeBytes(of: UInt32(truncatingIfNeeded: s[i]).bigEndian, toByteOffset: i * 4, as: UInt32.self)
            i += 1
        }
    }
}

/// C entry point, also used by the host tests:
/// `void purgatory_sha256(const void *data, size_t length, uint8_t digest[32])`.
/// A NULL `data` means physical address 0 (see `phys` in purgatory.swift).
@_cdecl("purgatory_sha256")
public func purgatory_sha256(_ data: UnsafeRawPointer?, _ length: Int, _ digest: UnsafeMutableRawPointer) {
    sha256(data ?? UnsafeRawPointer(phys(0)), length, digest)
}
