// SHA-256 compression function (FIPS 180-4) for the purgatory, in Embedded Swift.
//
// build.sh compiles this file twice: as module `purgatory_generic` (plain x86-64) and as
// module `purgatory_bmi2` with -D PURGATORY_BMI2 and BMI1/BMI2 enabled (rorx, andn). The
// two copies export different C symbols; sha256.swift picks one with CPUID at run time.
//
// The shape of this code is driven by how QEMU 7.2 TCG emulates it, because that is
// where the purgatory runs in tests and where it is slow (real CPUs hash at 300+ MB/s
// with it either way). Measured facts it relies on (see purgatory/README.md):
//   - TCG leaves a translation block (TB) through its main loop, several hundred host
//     instructions, after 512 guest instructions of straight-line code and at every page
//     boundary; a loop's backward branch within one page is chained for free. So this is
//     two small loops (no fully unrolled 64 rounds), and the linker script puts it at the
//     start of a page.
//   - Every guest memory access costs a software TLB lookup plus write-back and reload of
//     emulated registers (12+ host instructions). So the message schedule is handled as
//     pairs of words in one UInt64 (first word in the high half), each pair is stored
//     once and read back once for the rounds, and the frame pointer is omitted so that
//     little else spills: about 175 accesses per 64-byte block (kexec-tools' C: ~290).
//   - A `rol`/`ror` followed by a memory access before the next flag-setting instruction
//     makes TCG call a helper to materialise EFLAGS. rorx (BMI2) sets no flags, which is
//     why the BMI2 copy exists; the generic copy pays for those helper calls.
//   - 32-bit adds cost an extra zero-extension under TCG, so the working variables are
//     64-bit with don't-care upper halves (only the low 32 bits are ever used).
// Nothing here allocates, and nothing needs SSE.

import _Volatile

@inline(__always)
private func rotr(_ x: UInt32, _ n: UInt32) -> UInt32 {
    (x &>> n) | (x &<< (32 &- n))
}

/// Two big-endian message words at once: the first in the high half.
@inline(__always)
private func load64(_ p: UnsafeRawPointer, _ offset: Int) -> UInt64 {
    UInt64(bigEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
}

@inline(__always) private func hi(_ x: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: x &>> 32) }
@inline(__always) private func lo(_ x: UInt64) -> UInt32 { UInt32(truncatingIfNeeded: x) }
@inline(__always) private func pair(_ h: UInt32, _ l: UInt32) -> UInt64 { UInt64(h) &<< 32 | UInt64(l) }

/// w[t] = sigma1(w[t-2]) + w[t-7] + sigma0(w[t-15]) + w[t-16]
@inline(__always)
private func sched(_ w2: UInt32, _ w7: UInt32, _ w15: UInt32, _ w16: UInt32) -> UInt32 {
    let s0 = rotr(rotr(w15, 11) ^ w15, 7) ^ (w15 &>> 3)    // ror7 ^ ror18 ^ shr3
    let s1 = rotr(rotr(w2, 2) ^ w2, 17) ^ (w2 &>> 10)      // ror17 ^ ror19 ^ shr10
    return s1 &+ w7 &+ s0 &+ w16
}

/// Schedule pair j (words 2j and 2j+1) from pairs j-1, j-3, j-4, j-7 and j-8.
@inline(__always)
private func step(_ p1: UInt64, _ p3: UInt64, _ p4: UInt64, _ p7: UInt64, _ p8: UInt64) -> UInt64 {
    pair(sched(hi(p1), lo(p4), lo(p8), hi(p8)), sched(lo(p1), hi(p3), hi(p7), lo(p8)))
}

/// One round on 64-bit values whose upper halves are don't-care. `kw` is K[t] + W[t] in
/// its low 32 bits; `y` carries a^b of the previous round, which is b^c of this one.
@inline(__always)
private func round(_ a: UInt64, _ b: UInt64, _ c: UInt64, _ d: inout UInt64,
                   _ e: UInt64, _ f: UInt64, _ g: UInt64, _ h: inout UInt64,
                   _ y: inout UInt64, _ kw: UInt64) {
    let e32 = UInt32(truncatingIfNeeded: e), a32 = UInt32(truncatingIfNeeded: a)
    let s1 = UInt64(rotr(rotr(rotr(e32, 14) ^ e32, 5) ^ e32, 6))   // ror6 ^ ror11 ^ ror25
    let t1 = h &+ s1 &+ (g ^ (e & (f ^ g))) &+ kw
    d = d &+ t1
    let s0 = UInt64(rotr(rotr(rotr(a32, 9) ^ a32, 11) ^ a32, 2))   // ror2 ^ ror13 ^ ror22
    let x = a ^ b
    let maj = b ^ (x & y)
    y = x
    h = t1 &+ s0 &+ maj
}

/// Work area: pairs 0..31 hold the message schedule of the current block, pairs 32..63
/// the round constants (K[2j] in the high half, K[2j+1] in the low half). A global rather
/// than a local so that no register has to hold its address; that makes the block
/// function non-reentrant, which is fine in the purgatory (one CPU, interrupts off) and in
/// the host tests (one mapping of the blob per caller).
nonisolated(unsafe) private var workArea: (
    (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64),
    (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64),
    (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64),
    (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64),
    (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64),
    (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64),
    (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64),
    (UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64, UInt64)) = (
    (0, 0, 0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0, 0, 0),
    (0, 0, 0, 0, 0, 0, 0, 0), (0, 0, 0, 0, 0, 0, 0, 0),
    (0x428a2f98_71374491, 0xb5c0fbcf_e9b5dba5, 0x3956c25b_59f111f1, 0x923f82a4_ab1c5ed5,
     0xd807aa98_12835b01, 0x243185be_550c7dc3, 0x72be5d74_80deb1fe, 0x9bdc06a7_c19bf174),
    (0xe49b69c1_efbe4786, 0x0fc19dc6_240ca1cc, 0x2de92c6f_4a7484aa, 0x5cb0a9dc_76f988da,
     0x983e5152_a831c66d, 0xb00327c8_bf597fc7, 0xc6e00bf3_d5a79147, 0x06ca6351_14292967),
    (0x27b70a85_2e1b2138, 0x4d2c6dfc_53380d13, 0x650a7354_766a0abb, 0x81c2c92e_92722c85,
     0xa2bfe8a1_a81a664b, 0xc24b8b70_c76c51a3, 0xd192e819_d6990624, 0xf40e3585_106aa070),
    (0x19a4c116_1e376c08, 0x2748774c_34b0bcb5, 0x391c0cb3_4ed8aa4a, 0x5b9cca4f_682e6ff3,
     0x748f82ee_78a5636f, 0x84c87814_8cc70208, 0x90befffa_a4506ceb, 0xbef9a3f7_c67178f2))

@inline(__always)
private func addressOf(_ p: UnsafeMutableRawPointer) -> UInt { UInt(bitPattern: p) }

/// Volatile access to workArea: each load and store is exactly one memory access, in
/// program order, so the optimiser can neither keep the whole schedule live in registers
/// (which only ends in spills) nor move the accesses around.
private struct WorkArea {
    let base: UInt

    @inline(__always) func load(_ i: Int) -> UInt64 {
        VolatileMappedRegister<UInt64>(unsafeBitPattern: base &+ UInt(bitPattern: i &* 8)).load()
    }

    @inline(__always) func store(_ i: Int, _ value: UInt64) {
        VolatileMappedRegister<UInt64>(unsafeBitPattern: base &+ UInt(bitPattern: i &* 8)).store(value)
    }
}

/// Runs the compression function over `blocks` consecutive 64-byte blocks at `data`.
/// The eight state words are in the low halves of `state[0...7]`; the upper halves are
/// don't-care on input and output.
@inline(__always)
private func compress(_ state: UnsafeMutablePointer<UInt64>, _ data: UnsafeRawPointer, _ blocks: Int) {
    let w = WorkArea(base: addressOf(&workArea))
    var p = data
    var n = blocks
    while n > 0 {
        // Schedule pairs 0..7: the message itself.
        let x4 = load64(p, 32), x5 = load64(p, 40), x6 = load64(p, 48), x7 = load64(p, 56)
        w.store(0, load64(p, 0)); w.store(1, load64(p, 8))
        w.store(2, load64(p, 16)); w.store(3, load64(p, 24))
        w.store(4, x4); w.store(5, x5); w.store(6, x6); w.store(7, x7)

        // Pairs 8..31, four per iteration; the newest four stay in registers. The loads
        // and stores are interleaved in this order on purpose: being volatile, they stay
        // put, which bounds how long each value must live in a register.
        var p1 = x7, p2 = x6, p3 = x5, p4 = x4
        var j = 8
        while j < 32 {
            let l8 = w.load(j &- 8), l7 = w.load(j &- 7)
            let n0 = step(p1, p3, p4, l7, l8)
            w.store(j, n0)
            let l6 = w.load(j &- 6)
            let n1 = step(n0, p2, p3, l6, l7)
            w.store(j &+ 1, n1)
            let l5 = w.load(j &- 5)
            let n2 = step(n1, p1, p2, l5, l6)
            w.store(j &+ 2, n2)
            let n3 = step(n2, n0, p1, p4, l5)
            w.store(j &+ 3, n3)
            p4 = n0; p3 = n1; p2 = n2; p1 = n3
            j &+= 4
        }

        // 64 rounds, eight per iteration, so the variables are back in place at the end.
        // The odd round adds the whole 64-bit q + k: only its low 32 bits count.
        var a = state[0], b = state[1], c = state[2], d = state[3]
        var e = state[4], f = state[5], g = state[6], h = state[7]
        var y = b ^ c
        var i = 0
        while i < 32 {
            var q = w.load(i), k = w.load(i &+ 32)
            round(a, b, c, &d, e, f, g, &h, &y, (q &>> 32) &+ (k &>> 32))
            round(h, a, b, &c, d, e, f, &g, &y, q &+ k)
            q = w.load(i &+ 1); k = w.load(i &+ 33)
            round(g, h, a, &b, c, d, e, &f, &y, (q &>> 32) &+ (k &>> 32))
            round(f, g, h, &a, b, c, d, &e, &y, q &+ k)
            q = w.load(i &+ 2); k = w.load(i &+ 34)
            round(e, f, g, &h, a, b, c, &d, &y, (q &>> 32) &+ (k &>> 32))
            round(d, e, f, &g, h, a, b, &c, &y, q &+ k)
            q = w.load(i &+ 3); k = w.load(i &+ 35)
            round(c, d, e, &f, g, h, a, &b, &y, (q &>> 32) &+ (k &>> 32))
            round(b, c, d, &e, f, g, h, &a, &y, q &+ k)
            i &+= 4
        }
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

#if PURGATORY_BMI2
/// The BMI1/BMI2 copy (rorx, andn); only called when CPUID says the CPU has both.
@_cdecl("purgatory_sha256_blocks_bmi2")
public func sha256BlocksBMI2(_ state: UnsafeMutablePointer<UInt64>, _ data: UnsafeRawPointer, _ blocks: Int) {
    compress(state, data, blocks)
}
#else
/// The plain x86-64 copy.
@_cdecl("purgatory_sha256_blocks_generic")
public func sha256BlocksGeneric(_ state: UnsafeMutablePointer<UInt64>, _ data: UnsafeRawPointer, _ blocks: Int) {
    compress(state, data, blocks)
}
#endif
