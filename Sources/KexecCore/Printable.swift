/// Text taken from a file (section names, .osrel, .cmdline, certificate names) as it may
/// appear in a message or a -d line: valid UTF-8 stays readable, but control and format
/// characters (terminal escape sequences, bidi overrides, line breaks) and invalid bytes are
/// written as \xNN per byte, so a hostile image cannot drive the terminal or forge lines.
public func printable(_ bytes: some Collection<UInt8>) -> String {
    let all = Array(bytes)
    var out = "", at = 0
    var parser = Unicode.UTF8.ForwardParser()
    var input = all.makeIterator()
    func escape(_ count: Int) {
        for b in all[at..<(at + count)] {
            out += "\\x" + (b < 0x10 ? "0" : "") + String(b, radix: 16)
        }
    }
    while true {
        switch parser.parseScalar(from: &input) {
        case .valid(let encoded):
            let scalar = Unicode.UTF8.decode(encoded)
            if isHidden(scalar) { escape(encoded.count) } else { out.unicodeScalars.append(scalar) }
            at += encoded.count
        case .error(let length):
            escape(length)
            at += length
        case .emptyInput:
            return out
        }
    }
}

/// The same for a string already decoded (e.g. a command line read from a file).
public func printable(_ text: String) -> String { printable(text.utf8) }

private func isHidden(_ scalar: Unicode.Scalar) -> Bool {
    switch scalar.properties.generalCategory {
    case .control, .format, .lineSeparator, .paragraphSeparator: true
    default: false
    }
}
