import Foundation
import Testing
@testable import KexecCore
#if canImport(Glibc)
import Glibc
#endif

/// Runs the generated purgatory blob on the host: the blob is position independent, and
/// purgatory_sha256 / purgatory_verify use no privileged instruction, so a private RWX
/// mapping of PurgatoryBlob.bytes can call them directly.
@Suite struct PurgatoryBlobTests {
    typealias SHA256Function = @convention(c) (UnsafeRawPointer?, Int, UnsafeMutableRawPointer) -> Void
    typealias VerifyFunction = @convention(c) (UnsafeRawPointer?) -> Int32
    typealias BlocksFunction = @convention(c) (UnsafeMutablePointer<UInt64>, UnsafeRawPointer, Int) -> Void

    /// One private copy of the blob (bytes + zeroed .bss) in an executable mapping. Each
    /// test makes its own: the SHA-256 code keeps its work area in the blob's .bss.
    final class Mapping {
        let base: UnsafeMutableRawPointer
        let size: Int

        init() throws {
            let page = 4096
            size = (max(PurgatoryBlob.memorySize, PurgatoryBlob.bytes.count) + page - 1) / page * page
            let p = mmap(nil, size, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0)
            guard let p, p != MAP_FAILED else { throw POSIXError(.ENOMEM) }
            base = p
            PurgatoryBlob.bytes.withUnsafeBytes { base.copyMemory(from: $0.baseAddress!, byteCount: $0.count) }
        }

        deinit { munmap(base, size) }

        var params: UnsafeMutableRawPointer { base + PurgatoryBlob.paramsOffset }
        var sha256: SHA256Function { unsafeBitCast(base + PurgatoryBlob.sha256Offset, to: SHA256Function.self) }
        var verify: VerifyFunction { unsafeBitCast(base + PurgatoryBlob.verifyOffset, to: VerifyFunction.self) }
        var genericBlocks: BlocksFunction {
            unsafeBitCast(base + PurgatoryBlob.genericBlocksOffset, to: BlocksFunction.self)
        }

        func digest(_ bytes: [UInt8]) -> [UInt8] {
            var out = [UInt8](repeating: 0, count: 32)
            bytes.withUnsafeBytes { b in out.withUnsafeMutableBytes { sha256(b.baseAddress, b.count, $0.baseAddress!) } }
            return out
        }

        /// Fills region `index` of the blob's own parameter block.
        func setRegion(_ index: Int, start: UnsafeRawPointer, length: Int, digest: [UInt8]) {
            let r = params + 128 + index * 48
            r.storeBytes(of: UInt64(UInt(bitPattern: start)), as: UInt64.self)
            r.storeBytes(of: UInt64(length), toByteOffset: 8, as: UInt64.self)
            for (i, b) in digest.enumerated() { r.storeBytes(of: b, toByteOffset: 16 + i, as: UInt8.self) }
        }

        var flags: UInt32 {
            get { params.load(fromByteOffset: 72, as: UInt32.self) }
            set { params.storeBytes(of: newValue, toByteOffset: 72, as: UInt32.self) }
        }

        var regionCount: UInt32 {
            get { params.load(fromByteOffset: 76, as: UInt32.self) }
            set { params.storeBytes(of: newValue, toByteOffset: 76, as: UInt32.self) }
        }
    }

    static let repoRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func hex(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        var i = s.startIndex
        while i < s.endIndex {
            let j = s.index(i, offsetBy: 2)
            out.append(UInt8(s[i..<j], radix: 16)!)
            i = j
        }
        return out
    }

    static func pattern(_ count: Int, seed: UInt64) -> [UInt8] {
        var x = seed
        return (0..<count).map { _ in
            x ^= x << 13; x ^= x >> 7; x ^= x << 17
            return UInt8(truncatingIfNeeded: x)
        }
    }

    @Test func buildCheckPasses() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["bash", Self.repoRoot.appendingPathComponent("purgatory/build.sh").path, "--check"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "purgatory/build.sh --check: \(text)")
        #expect(text.contains("purgatory check: ok"))
    }

    @Test func layoutConstants() {
        #expect(PurgatoryBlob.paramsOffset % 8 == 0)
        #expect(PurgatoryBlob.paramsOffset + 896 <= PurgatoryBlob.bytes.count)
        #expect(PurgatoryBlob.memorySize % 4096 == 0 && PurgatoryBlob.memorySize >= PurgatoryBlob.bytes.count)
        #expect(PurgatoryBlob.entryOffset < PurgatoryBlob.bytes.count)
        // The shipped parameter block is all zeroes: the loader fills it in.
        #expect(PurgatoryBlob.bytes[PurgatoryBlob.paramsOffset..<(PurgatoryBlob.paramsOffset + 896)].allSatisfy { $0 == 0 })
    }

    @Test func knownVectors() throws {
        let m = try Mapping()
        #expect(m.digest([]) == Self.hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
        #expect(m.digest(Array("abc".utf8)) ==
            Self.hex("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"))
        #expect(m.digest(Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8)) ==
            Self.hex("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"))
        #expect(m.digest([UInt8](repeating: 0x61, count: 1_000_000)) ==
            Self.hex("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"))
        // NULL with length 0 is the empty message.
        var out = [UInt8](repeating: 0, count: 32)
        out.withUnsafeMutableBytes { m.sha256(nil, 0, $0.baseAddress!) }
        #expect(out == Self.hex("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"))
    }

    @Test func lengthsAndAlignmentsMatchTheHostSHA256() throws {
        let m = try Mapping()
        let data = Self.pattern(140 + 3 + 70_001, seed: 0x9E37_79B9_7F4A_7C15)
        for length in 0...130 {
            for offset in [0, 1, 3] {
                let slice = Array(data[offset..<(offset + length)])
                #expect(m.digest(slice) == Array(SHA256Digest.hash(slice)), "length \(length), offset \(offset)")
            }
        }
        for length in [1000, 4095, 4096, 65536, 70_001] {
            let slice = Array(data[3..<(3 + length)])
            #expect(m.digest(slice) == Array(SHA256Digest.hash(slice)), "length \(length)")
        }
    }

    /// The host CPU most likely has BMI2, so purgatory_sha256 runs the BMI2 copy of the
    /// block function; call the plain x86-64 copy directly on a padded message.
    @Test func genericBlockFunctionMatchesTheHostSHA256() throws {
        let m = try Mapping()
        for length in [0, 55, 56, 64, 119, 1000, 4096] {
            let message = Self.pattern(length, seed: UInt64(length) &+ 1)
            var padded = message + [0x80]
            while padded.count % 64 != 56 { padded.append(0) }
            for i in (0..<8).reversed() { padded.append(UInt8(truncatingIfNeeded: UInt64(length * 8) >> (UInt64(i) * 8))) }
            var state: [UInt64] = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
                                   0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19]
            padded.withUnsafeBytes { p in
                state.withUnsafeMutableBufferPointer { s in m.genericBlocks(s.baseAddress!, p.baseAddress!, padded.count / 64) }
            }
            let digest = state.flatMap { w -> [UInt8] in
                let v = UInt32(truncatingIfNeeded: w)
                return [UInt8(v >> 24), UInt8(truncatingIfNeeded: v >> 16), UInt8(truncatingIfNeeded: v >> 8), UInt8(truncatingIfNeeded: v)]
            }
            #expect(digest == Array(SHA256Digest.hash(message)), "length \(length)")
        }
    }

    @Test func verifyChecksEveryRegionAndHonoursSkipFlag() throws {
        let m = try Mapping()
        let buffers: [UnsafeMutableRawPointer] = [.allocate(byteCount: 4096, alignment: 16),
                                                  .allocate(byteCount: 77_777, alignment: 1),
                                                  .allocate(byteCount: 1, alignment: 1)]
        defer { buffers.forEach { $0.deallocate() } }
        let lengths = [4096, 77_777, 1]
        for (i, b) in buffers.enumerated() {
            let bytes = Self.pattern(lengths[i], seed: UInt64(i) &+ 7)
            bytes.withUnsafeBytes { b.copyMemory(from: $0.baseAddress!, byteCount: lengths[i]) }
            m.setRegion(i, start: b, length: lengths[i], digest: Array(SHA256Digest.hash(bytes)))
        }
        m.regionCount = 3
        #expect(m.verify(nil) == 1)                       // NULL: the blob's own block
        #expect(m.verify(UnsafeRawPointer(m.params)) == 1)

        // Corrupt one byte of each region in turn.
        for (i, b) in buffers.enumerated() {
            let at = lengths[i] - 1
            b.storeBytes(of: b.load(fromByteOffset: at, as: UInt8.self) ^ 0x20, toByteOffset: at, as: UInt8.self)
            #expect(m.verify(nil) == 0, "region \(i) corrupted")
            m.flags = 1                                   // skip checks
            #expect(m.verify(nil) == 1)
            m.flags = 0
            b.storeBytes(of: b.load(fromByteOffset: at, as: UInt8.self) ^ 0x20, toByteOffset: at, as: UInt8.self)
            #expect(m.verify(nil) == 1)
        }

        // A wrong stored digest is a mismatch too; regions beyond region_count are ignored.
        m.regionCount = 2
        let r2 = m.params + 128 + 2 * 48 + 16
        r2.storeBytes(of: r2.load(as: UInt8.self) ^ 1, as: UInt8.self)
        #expect(m.verify(nil) == 1)
        m.regionCount = 3
        #expect(m.verify(nil) == 0)

        // region_count above 16 is clamped to 16 (slots 3...15 are empty: length 0 at
        // address 0 with an all-zero digest, which is not SHA-256("")).
        r2.storeBytes(of: r2.load(as: UInt8.self) ^ 1, as: UInt8.self)
        m.regionCount = 3
        #expect(m.verify(nil) == 1)
        m.regionCount = 1000
        #expect(m.verify(nil) == 0)
    }

    @Test func verifyAcceptsAnExternalParameterBlock() throws {
        let m = try Mapping()
        let message = Array("purgatory".utf8)
        let block = UnsafeMutableRawPointer.allocate(byteCount: 896, alignment: 8)
        defer { block.deallocate() }
        block.initializeMemory(as: UInt8.self, repeating: 0, count: 896)
        message.withUnsafeBytes { msg in
            block.storeBytes(of: UInt32(1), toByteOffset: 76, as: UInt32.self)
            block.storeBytes(of: UInt64(UInt(bitPattern: msg.baseAddress!)), toByteOffset: 128, as: UInt64.self)
            block.storeBytes(of: UInt64(msg.count), toByteOffset: 136, as: UInt64.self)
            for (i, b) in SHA256Digest.hash(message).enumerated() {
                block.storeBytes(of: b, toByteOffset: 144 + i, as: UInt8.self)
            }
            #expect(m.verify(UnsafeRawPointer(block)) == 1)
            block.storeBytes(of: UInt64(msg.count - 1), toByteOffset: 136, as: UInt64.self)
            #expect(m.verify(UnsafeRawPointer(block)) == 0)
        }
        #expect(m.verify(nil) == 1)   // the blob's own block is still empty: nothing to check
    }
}
