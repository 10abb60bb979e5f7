// SHA-256 (FIPS 180-4) for the purgatory, in Embedded Swift.
//
// Written for speed under QEMU TCG and on real CPUs without SSE:
//   - all 64 rounds are unrolled, so the round constants become immediates;
//   - the message schedule is a rolling 16-word window (a tuple) updated in place;
//   - Maj() reuses a^b from the previous round (b^c of this round), Ch() is g^(e&(f^g));
//   - the big sigmas are computed as nested rotates (3 rotates, 2 xors, 1 copy).
// Nothing here allocates, and nothing needs SSE.

@inline(__always)
private func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 {
    (x &>> n) | (x &<< (32 &- n))
}

@inline(__always)
private func load(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
    UInt32(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
}

/// w[t] = sigma1(w[t-2]) + w[t-7] + sigma0(w[t-15]) + w[t-16]
@inline(__always)
private func sched(_ w2: UInt32, _ w7: UInt32, _ w15: UInt32, _ w16: UInt32) -> UInt32 {
    let s0 = rotr(rotr(w15, 11) ^ w15, 7) ^ (w15 &>> 3)    // ror7 ^ ror18 ^ shr3
    let s1 = rotr(rotr(w2, 2) ^ w2, 17) ^ (w2 &>> 10)      // ror17 ^ ror19 ^ shr10
    return s1 &+ w7 &+ s0 &+ w16
}

/// One round. `y` carries a^b of the previous round, which is b^c of this one.
@inline(__always)
private func round(_ a: UInt32, _ b: UInt32, _ c: UInt32, _ d: inout UInt32,
                   _ e: UInt32, _ f: UInt32, _ g: UInt32, _ h: inout UInt32,
                   _ y: inout UInt32, _ kw: UInt32) {
    let s1 = rotr(rotr(rotr(e, 14) ^ e, 5) ^ e, 6)        // ror6 ^ ror11 ^ ror25
    let t1 = h &+ s1 &+ (g ^ (e & (f ^ g))) &+ kw
    d = d &+ t1
    let s0 = rotr(rotr(rotr(a, 9) ^ a, 11) ^ a, 2)        // ror2 ^ ror13 ^ ror22
    let x = a ^ b
    let maj = b ^ (x & y)
    y = x
    h = t1 &+ s0 &+ maj
}

/// Runs the compression function over `blocks` consecutive 64-byte blocks at `data`.
@inline(never)
func sha256Blocks(_ state: UnsafeMutablePointer<UInt32>, _ data: UnsafeRawPointer, _ blocks: Int) {
    var p = data
    var n = blocks
    var w: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32,
            UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    while n > 0 {
        var a = state[0], b = state[1], c = state[2], d = state[3]
        var e = state[4], f = state[5], g = state[6], h = state[7]
        var y = b ^ c
        w.0 = load(p, 0); round(a, b, c, &d, e, f, g, &h, &y, w.0 &+ 0x428a2f98)
        w.1 = load(p, 4); round(h, a, b, &c, d, e, f, &g, &y, w.1 &+ 0x71374491)
        w.2 = load(p, 8); round(g, h, a, &b, c, d, e, &f, &y, w.2 &+ 0xb5c0fbcf)
        w.3 = load(p, 12); round(f, g, h, &a, b, c, d, &e, &y, w.3 &+ 0xe9b5dba5)
        w.4 = load(p, 16); round(e, f, g, &h, a, b, c, &d, &y, w.4 &+ 0x3956c25b)
        w.5 = load(p, 20); round(d, e, f, &g, h, a, b, &c, &y, w.5 &+ 0x59f111f1)
        w.6 = load(p, 24); round(c, d, e, &f, g, h, a, &b, &y, w.6 &+ 0x923f82a4)
        w.7 = load(p, 28); round(b, c, d, &e, f, g, h, &a, &y, w.7 &+ 0xab1c5ed5)
        w.8 = load(p, 32); round(a, b, c, &d, e, f, g, &h, &y, w.8 &+ 0xd807aa98)
        w.9 = load(p, 36); round(h, a, b, &c, d, e, f, &g, &y, w.9 &+ 0x12835b01)
        w.10 = load(p, 40); round(g, h, a, &b, c, d, e, &f, &y, w.10 &+ 0x243185be)
        w.11 = load(p, 44); round(f, g, h, &a, b, c, d, &e, &y, w.11 &+ 0x550c7dc3)
        w.12 = load(p, 48); round(e, f, g, &h, a, b, c, &d, &y, w.12 &+ 0x72be5d74)
        w.13 = load(p, 52); round(d, e, f, &g, h, a, b, &c, &y, w.13 &+ 0x80deb1fe)
        w.14 = load(p, 56); round(c, d, e, &f, g, h, a, &b, &y, w.14 &+ 0x9bdc06a7)
        w.15 = load(p, 60); round(b, c, d, &e, f, g, h, &a, &y, w.15 &+ 0xc19bf174)
        w.0 = sched(w.14, w.9, w.1, w.0); round(a, b, c, &d, e, f, g, &h, &y, w.0 &+ 0xe49b69c1)
        w.1 = sched(w.15, w.10, w.2, w.1); round(h, a, b, &c, d, e, f, &g, &y, w.1 &+ 0xefbe4786)
        w.2 = sched(w.0, w.11, w.3, w.2); round(g, h, a, &b, c, d, e, &f, &y, w.2 &+ 0x0fc19dc6)
        w.3 = sched(w.1, w.12, w.4, w.3); round(f, g, h, &a, b, c, d, &e, &y, w.3 &+ 0x240ca1cc)
        w.4 = sched(w.2, w.13, w.5, w.4); round(e, f, g, &h, a, b, c, &d, &y, w.4 &+ 0x2de92c6f)
        w.5 = sched(w.3, w.14, w.6, w.5); round(d, e, f, &g, h, a, b, &c, &y, w.5 &+ 0x4a7484aa)
        w.6 = sched(w.4, w.15, w.7, w.6); round(c, d, e, &f, g, h, a, &b, &y, w.6 &+ 0x5cb0a9dc)
        w.7 = sched(w.5, w.0, w.8, w.7); round(b, c, d, &e, f, g, h, &a, &y, w.7 &+ 0x76f988da)
        w.8 = sched(w.6, w.1, w.9, w.8); round(a, b, c, &d, e, f, g, &h, &y, w.8 &+ 0x983e5152)
        w.9 = sched(w.7, w.2, w.10, w.9); round(h, a, b, &c, d, e, f, &g, &y, w.9 &+ 0xa831c66d)
        w.10 = sched(w.8, w.3, w.11, w.10); round(g, h, a, &b, c, d, e, &f, &y, w.10 &+ 0xb00327c8)
        w.11 = sched(w.9, w.4, w.12, w.11); round(f, g, h, &a, b, c, d, &e, &y, w.11 &+ 0xbf597fc7)
        w.12 = sched(w.10, w.5, w.13, w.12); round(e, f, g, &h, a, b, c, &d, &y, w.12 &+ 0xc6e00bf3)
        w.13 = sched(w.11, w.6, w.14, w.13); round(d, e, f, &g, h, a, b, &c, &y, w.13 &+ 0xd5a79147)
        w.14 = sched(w.12, w.7, w.15, w.14); round(c, d, e, &f, g, h, a, &b, &y, w.14 &+ 0x06ca6351)
        w.15 = sched(w.13, w.8, w.0, w.15); round(b, c, d, &e, f, g, h, &a, &y, w.15 &+ 0x14292967)
        w.0 = sched(w.14, w.9, w.1, w.0); round(a, b, c, &d, e, f, g, &h, &y, w.0 &+ 0x27b70a85)
        w.1 = sched(w.15, w.10, w.2, w.1); round(h, a, b, &c, d, e, f, &g, &y, w.1 &+ 0x2e1b2138)
        w.2 = sched(w.0, w.11, w.3, w.2); round(g, h, a, &b, c, d, e, &f, &y, w.2 &+ 0x4d2c6dfc)
        w.3 = sched(w.1, w.12, w.4, w.3); round(f, g, h, &a, b, c, d, &e, &y, w.3 &+ 0x53380d13)
        w.4 = sched(w.2, w.13, w.5, w.4); round(e, f, g, &h, a, b, c, &d, &y, w.4 &+ 0x650a7354)
        w.5 = sched(w.3, w.14, w.6, w.5); round(d, e, f, &g, h, a, b, &c, &y, w.5 &+ 0x766a0abb)
        w.6 = sched(w.4, w.15, w.7, w.6); round(c, d, e, &f, g, h, a, &b, &y, w.6 &+ 0x81c2c92e)
        w.7 = sched(w.5, w.0, w.8, w.7); round(b, c, d, &e, f, g, h, &a, &y, w.7 &+ 0x92722c85)
        w.8 = sched(w.6, w.1, w.9, w.8); round(a, b, c, &d, e, f, g, &h, &y, w.8 &+ 0xa2bfe8a1)
        w.9 = sched(w.7, w.2, w.10, w.9); round(h, a, b, &c, d, e, f, &g, &y, w.9 &+ 0xa81a664b)
        w.10 = sched(w.8, w.3, w.11, w.10); round(g, h, a, &b, c, d, e, &f, &y, w.10 &+ 0xc24b8b70)
        w.11 = sched(w.9, w.4, w.12, w.11); round(f, g, h, &a, b, c, d, &e, &y, w.11 &+ 0xc76c51a3)
        w.12 = sched(w.10, w.5, w.13, w.12); round(e, f, g, &h, a, b, c, &d, &y, w.12 &+ 0xd192e819)
        w.13 = sched(w.11, w.6, w.14, w.13); round(d, e, f, &g, h, a, b, &c, &y, w.13 &+ 0xd6990624)
        w.14 = sched(w.12, w.7, w.15, w.14); round(c, d, e, &f, g, h, a, &b, &y, w.14 &+ 0xf40e3585)
        w.15 = sched(w.13, w.8, w.0, w.15); round(b, c, d, &e, f, g, h, &a, &y, w.15 &+ 0x106aa070)
        w.0 = sched(w.14, w.9, w.1, w.0); round(a, b, c, &d, e, f, g, &h, &y, w.0 &+ 0x19a4c116)
        w.1 = sched(w.15, w.10, w.2, w.1); round(h, a, b, &c, d, e, f, &g, &y, w.1 &+ 0x1e376c08)
        w.2 = sched(w.0, w.11, w.3, w.2); round(g, h, a, &b, c, d, e, &f, &y, w.2 &+ 0x2748774c)
        w.3 = sched(w.1, w.12, w.4, w.3); round(f, g, h, &a, b, c, d, &e, &y, w.3 &+ 0x34b0bcb5)
        w.4 = sched(w.2, w.13, w.5, w.4); round(e, f, g, &h, a, b, c, &d, &y, w.4 &+ 0x391c0cb3)
        w.5 = sched(w.3, w.14, w.6, w.5); round(d, e, f, &g, h, a, b, &c, &y, w.5 &+ 0x4ed8aa4a)
        w.6 = sched(w.4, w.15, w.7, w.6); round(c, d, e, &f, g, h, a, &b, &y, w.6 &+ 0x5b9cca4f)
        w.7 = sched(w.5, w.0, w.8, w.7); round(b, c, d, &e, f, g, h, &a, &y, w.7 &+ 0x682e6ff3)
        w.8 = sched(w.6, w.1, w.9, w.8); round(a, b, c, &d, e, f, g, &h, &y, w.8 &+ 0x748f82ee)
        w.9 = sched(w.7, w.2, w.10, w.9); round(h, a, b, &c, d, e, f, &g, &y, w.9 &+ 0x78a5636f)
        w.10 = sched(w.8, w.3, w.11, w.10); round(g, h, a, &b, c, d, e, &f, &y, w.10 &+ 0x84c87814)
        w.11 = sched(w.9, w.4, w.12, w.11); round(f, g, h, &a, b, c, d, &e, &y, w.11 &+ 0x8cc70208)
        w.12 = sched(w.10, w.5, w.13, w.12); round(e, f, g, &h, a, b, c, &d, &y, w.12 &+ 0x90befffa)
        w.13 = sched(w.11, w.6, w.14, w.13); round(d, e, f, &g, h, a, b, &c, &y, w.13 &+ 0xa4506ceb)
        w.14 = sched(w.12, w.7, w.15, w.14); round(c, d, e, &f, g, h, a, &b, &y, w.14 &+ 0xbef9a3f7)
        w.15 = sched(w.13, w.8, w.0, w.15); round(b, c, d, &e, f, g, h, &a, &y, w.15 &+ 0xc67178f2)
        state[0] = state[0] &+ a
        state[1] = state[1] &+ b
        state[2] = state[2] &+ c
        state[3] = state[3] &+ d
        state[4] = state[4] &+ e
        state[5] = state[5] &+ f
        state[6] = state[6] &+ g
        state[7] = state[7] &+ h
        p += 64
        n -= 1
    }
}

/// SHA-256 of `length` bytes at `data`, written as 32 bytes to `digest`.
func sha256(_ data: UnsafeRawPointer, _ length: Int, _ digest: UnsafeMutableRawPointer) {
    var st: (UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32, UInt32) =
        (0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
         0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19)
    // The final one or two blocks: the tail of the input, 0x80, zeros, bit length.
    var pad: (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64,
              UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64) =
        (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    withUnsafeMutableBytes(of: &st) { stBytes in
        let s = stBytes.baseAddress!.assumingMemoryBound(to: UInt32.self)
        let full = length >> 6
        if full > 0 {
            sha256Blocks(s, data, full)
        }
        withUnsafeMutableBytes(of: &pad) { padBytes in
            let q = padBytes.baseAddress!
            let rest = length & 63
            if rest > 0 {
                var i = 0
                let tail = data + (full << 6)
                while i < rest {
                    q.storeBytes(of: tail.load(fromByteOffset: i, as: UInt8.self),
                                 toByteOffset: i, as: UInt8.self)
                    i += 1
                }
            }
            q.storeBytes(of: 0x80, toByteOffset: rest, as: UInt8.self)
            let padBlocks = rest < 56 ? 1 : 2
            let bits = UInt64(truncatingIfNeeded: length) &<< 3
            q.storeBytes(of: bits.bigEndian, toByteOffset: padBlocks * 64 - 8, as: UInt64.self)
            sha256Blocks(s, UnsafeRawPointer(q), padBlocks)
        }
        var i = 0
        while i < 8 {
            digest.storeBytes(of: s[i].bigEndian, toByteOffset: i * 4, as: UInt32.self)
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
