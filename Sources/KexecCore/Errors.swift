/// Every failure the core reports is one sentence naming what was wrong, where, and what
/// was expected, so the CLI can print it as a single line.
public struct KexecError: Error, CustomStringConvertible, Equatable, Sendable {
    public var file: String?
    public var field: String?
    public var message: String
    /// The kernel's answer when a system call failed (for fallback decisions).
    public var errno: Int32?

    public init(file: String? = nil, field: String? = nil, _ message: String, errno: Int32? = nil) {
        self.file = file
        self.field = field
        self.message = message
        self.errno = errno
    }

    /// "FILE: FIELD: message" with absent parts left out.
    public var description: String {
        var parts: [String] = []
        if let file { parts.append(file) }
        if let field { parts.append(field) }
        parts.append(message)
        return parts.joined(separator: ": ")
    }

    /// The same error attributed to a file (used once the caller knows the path).
    public func inFile(_ path: String) -> KexecError {
        var copy = self
        if copy.file == nil { copy.file = path }
        return copy
    }
}

/// Formats an address or size the way kernel and firmware documents do.
@inlinable
public func hex<T: BinaryInteger>(_ value: T) -> String {
    "0x" + String(value, radix: 16)
}
