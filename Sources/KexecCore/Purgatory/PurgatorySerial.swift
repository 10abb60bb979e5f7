/// `--serial=PORT` and `--console-serial` (kexec-tools' x86 options): the 8250 UART purgatory
/// writes to, and whether it reports its progress there. A digest mismatch is always reported.
/// Purgatory never programs the UART: the running system's baud rate and line settings stay.
public struct PurgatorySerial: Sendable, Equatable {
    public var port: UInt16
    public var progress: Bool

    public init(port: UInt16 = 0x3f8, progress: Bool = false) {
        self.port = port
        self.progress = progress
    }

    /// The PC's standard COM ports, by the name Linux gives them.
    static let named: [String: UInt16] = ["ttyS0": 0x3f8, "ttyS1": 0x2f8, "ttyS2": 0x3e8, "ttyS3": 0x2e8]

    /// `--serial=` takes ttyS0…ttyS3 or an I/O port number (0x-hexadecimal or decimal); the
    /// UART's registers reach 7 above its base, and port I/O addresses are 16 bits.
    public static func port(_ text: String) throws(KexecError) -> UInt16 {
        if let port = named[text] { return port }
        let value = text.hasPrefix("0x") ? UInt16(text.dropFirst(2), radix: 16) : UInt16(text)
        guard let value, value > 0, value <= 0xfff8 else {
            throw KexecError(field: "--serial", "\"\(text)\" is not a serial port; expected ttyS0, ttyS1, ttyS2, ttyS3 or an I/O port such as 0x3f8")
        }
        return value
    }
}
