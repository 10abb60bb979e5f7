/// Text taken from a file (section names, .osrel, .cmdline, certificate names) as it may
/// appear in a message or a -d line: valid UTF-8 stays readable, but control and format
/// characters (terminal escape sequences, bidi overrides, line breaks) and invalid bytes are
/// written as \xNN per byte, so a hostile image cannot drive the terminal or forge lines.
public func printable(_ bytes: some Collection<UInt8>) -> String {
    var out = ""
    RawBytes.walk(bytes) { scalar, encoded in
        if let scalar, !isHidden(scalar) {
            out.unicodeScalars.append(scalar)
        } else {
            for b in encoded { out += "\\x" + (b < 0x10 ? "0" : "") + String(b, radix: 16) }
        }
    }
    return out
}

/// The same for a string already decoded (e.g. a command line read from a file; its RawBytes
/// escapes are the file's bytes).
public func printable(_ text: String) -> String { printable(text.kernelBytes) }

private func isHidden(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .control, .format, .lineSeparator, .paragraphSeparator: true
    default: false
    }
}
