import Testing
@testable import KexecCore

/// The host SHA-256 (SHA256Digest, behind Digest.sha256) against FIPS 180 example messages,
/// and incremental updates against one-shot hashing.
@Suite("host SHA-256")
struct SHA256DigestTests {
    struct Vector: Sendable, CustomTestStringConvertible {
        let name: String
        let message: [UInt8]
        let digest: String
        var testDescription: String { name }
    }

    static let vectors: [Vector] = [
        Vector(name: "empty", message: [],
               digest: "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
        Vector(name: "abc", message: Array("abc".utf8),
               digest: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
        Vector(name: "448 bits", message: Array("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq".utf8),
               digest: "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"),
        Vector(name: "one million a", message: [UInt8](repeating: UInt8(ascii: "a"), count: 1_000_000),
               digest: "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"),
    ]

    @Test(arguments: vectors)
    func knownDigest(_ v: Vector) {
        #expect(Digest.hexString(SHA256Digest.hash(v.message)) == v.digest)
        #expect(Digest.hexString(v.message.withUnsafeBytes { Digest.sha256($0) }) == v.digest)
        #expect(Digest.hexString(SHA256Digest.hash(v.message[...])) == v.digest)   // a slice
    }

    /// Pieces of awkward sizes (empty ones, across and inside 64-byte blocks) give the same
    /// digest as one call, over a message that spans many blocks.
    @Test(arguments: [[1], [63, 1, 0, 64], [55, 9], [1000, 0, 3, 4093], [65_536, 1], [7, 4096, 64, 3]])
    func incrementalEqualsOneShot(_ sizes: [Int]) {
        var state: UInt32 = 0x2545_F491
        let message = (0..<(3 * 65_536 + 17)).map { _ -> UInt8 in
            state ^= state << 13; state ^= state >> 17; state ^= state << 5
            return UInt8(truncatingIfNeeded: state)
        }
        var h = SHA256Digest()
        var at = 0, i = 0
        while at < message.count {
            let n = min(sizes[i % sizes.count], message.count - at)
            message[at..<(at + n)].withUnsafeBytes { h.update($0) }
            at += n
            i += 1
        }
        #expect(h.finalize() == SHA256Digest.hash(message))
    }

    @Test func emptyBufferWithoutBaseAddress() {
        var h = SHA256Digest()
        h.update(UnsafeRawBufferPointer(start: nil, count: 0))
        #expect(Digest.hexString(h.finalize()) == Self.vectors[0].digest)
    }

    @Test func nonContiguousCollection() {
        let bytes = "abc".utf8.lazy.map { $0 }   // no contiguous storage: copied once
        #expect(Digest.hexString(SHA256Digest.hash(bytes)) == Self.vectors[1].digest)
    }
}
