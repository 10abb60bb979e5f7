import CCrypto

/// SHA-256 on the host, the one place that knows which library computes it (OpenSSL's
/// libcrypto, whose x86_64 code uses SHA-NI where the CPU has it). Incremental:
/// `update` any number of times, then `finalize` once; `hash` does both.
public struct SHA256Digest: Sendable {
    public static let byteCount = 32

    private var context = ccrypto_sha256_ctx()
    private var finished = false

    public init() {
        ccrypto_sha256_init(&context)
    }

    /// Adds bytes to the message (an empty buffer, even with a nil base, adds nothing).
    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        precondition(!finished, "SHA256Digest.update after finalize")
        guard let base = bytes.baseAddress, bytes.count > 0 else { return }
        ccrypto_sha256_update(&context, base, bytes.count)
    }

    /// Adds the bytes of any collection of bytes (copied once if it is not contiguous).
    public mutating func update<Bytes: Collection>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        let done: Void? = bytes.withContiguousStorageIfAvailable { update(UnsafeRawBufferPointer($0)) }
        if done == nil {
            Array(bytes).withUnsafeBytes { update($0) }
        }
    }

    /// The 32-byte digest of everything added so far; the value cannot be updated afterwards.
    public mutating func finalize() -> [UInt8] {
        precondition(!finished, "SHA256Digest.finalize called twice")
        finished = true
        return [UInt8](unsafeUninitializedCapacity: Self.byteCount) { out, count in
            ccrypto_sha256_final(&context, out.baseAddress!)
            count = Self.byteCount
        }
    }

    public static func hash(_ bytes: UnsafeRawBufferPointer) -> [UInt8] {
        var h = SHA256Digest()
        h.update(bytes)
        return h.finalize()
    }

    public static func hash<Bytes: Collection>(_ bytes: Bytes) -> [UInt8] where Bytes.Element == UInt8 {
        var h = SHA256Digest()
        h.update(bytes)
        return h.finalize()
    }
}
