/// Paths, command lines and a UKI's .cmdline are bytes, and Linux passes them on unchanged;
/// Swift Strings hold Unicode. Bytes that are not valid UTF-8 travel inside a String as the
/// private-use scalars U+10FF80…U+10FFFF (U+10FF00 + byte) and become the same bytes again
/// wherever a String reaches the kernel, the file system or the terminal. (A real U+10FF80…
/// U+10FFFF in an argument would come out as one byte: plane 16 private use, never seen in a
/// path or a kernel command line.)
public enum RawBytes {
    static let escapeBase: UInt32 = 0x10_FF00

    /// The bytes as a String: UTF-8 where valid, escapes for the rest.
    public static func string<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        var scalars = String.UnicodeScalarView()
        walk(bytes) { scalar, encoded in
            if let scalar { scalars.append(scalar) } else { for b in encoded { scalars.append(Unicode.Scalar(escapeBase + UInt32(b))!) } }
        }
        return String(scalars)
    }

    /// Each valid UTF-8 scalar with its bytes, and each invalid sequence's bytes with nil.
    static func walk<C: Collection>(_ bytes: C, _ body: (Unicode.Scalar?, ArraySlice<UInt8>) -> Void) where C.Element == UInt8 {
        let all = Array(bytes)
        var parser = Unicode.UTF8.ForwardParser()
        var input = all.makeIterator()
        var at = 0
        while true {
            switch parser.parseScalar(from: &input) {
            case .valid(let encoded):
                body(Unicode.UTF8.decode(encoded), all[at..<(at + encoded.count)])
                at += encoded.count
            case .error(let length):
                body(nil, all[at..<(at + length)])
                at += length
            case .emptyInput:
                return
            }
        }
    }

    /// The String's bytes, escapes turned back into the bytes they stand for.
    public static func bytes(_ s: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            if scalar.value >= escapeBase + 0x80, scalar.value <= escapeBase + 0xff {
                out.append(UInt8(scalar.value - escapeBase))
            } else {
                out.append(contentsOf: String(scalar).utf8)
            }
        }
        return out
    }
}

extension String {
    /// What the kernel gets for this text (see `RawBytes`).
    public var kernelBytes: [UInt8] { RawBytes.bytes(self) }
}
