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
        var parser = Unicode.UTF8.ForwardParser()
        var input = bytes.makeIterator()
        var pending = Array(bytes)[...]
        while true {
            switch parser.parseScalar(from: &input) {
            case .valid(let encoded):
                scalars.append(Unicode.UTF8.decode(encoded))
                pending = pending.dropFirst(encoded.count)
            case .error(let length):
                for b in pending.prefix(length) { scalars.append(Unicode.Scalar(escapeBase + UInt32(b))!) }
                pending = pending.dropFirst(length)
            case .emptyInput:
                return String(scalars)
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
