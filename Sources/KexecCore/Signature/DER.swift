/// A reader for the subset of ASN.1 DER that PKCS#7 and X.509 use: tag, definite length,
/// contents. Only low tag numbers (< 31), which is all those structures contain.
/// Source: ITU-T X.690 §8.1 (identifier and length octets).
struct DERNode {
    var tag: UInt8
    /// The contents octets, as a range of the buffer the node was read from.
    var contents: Range<Int>

    static let sequence: UInt8 = 0x30
    static let set: UInt8 = 0x31
    static let integer: UInt8 = 0x02
    static let objectIdentifier: UInt8 = 0x06
    /// [0] constructed, context-specific (EXPLICIT content, IMPLICIT certificate sets).
    static let context0: UInt8 = 0xa0

    /// The node at `offset`, or nil when its header or contents run past `limit`.
    static func read(_ b: UnsafeRawBufferPointer, at offset: Int, limit: Int) -> DERNode? {
        guard offset + 2 <= limit, limit <= b.count else { return nil }
        let tag = b[offset]
        guard tag & 0x1f != 0x1f else { return nil }
        var length = Int(b[offset + 1])
        var start = offset + 2
        if length & 0x80 != 0 {
            let count = length & 0x7f
            guard count >= 1, count <= 4, start + count <= limit else { return nil }
            length = 0
            for i in 0..<count { length = length << 8 | Int(b[start + i]) }
            start += count
        }
        guard length <= limit - start else { return nil }
        return DERNode(tag: tag, contents: start..<(start + length))
    }

    /// The nodes directly inside this one.
    func children(_ b: UnsafeRawBufferPointer) -> [DERNode]? {
        var out: [DERNode] = []
        var at = contents.lowerBound
        while at < contents.upperBound {
            guard let child = DERNode.read(b, at: at, limit: contents.upperBound) else { return nil }
            out.append(child)
            at = child.contents.upperBound
        }
        return out
    }

    func bytes(_ b: UnsafeRawBufferPointer) -> [UInt8] { Array(b[contents]) }
}
