/// Everything a back end needs to load an image: segments, entry point, and the facts a
/// user wants to see in `--dry-run` / `-d` output.
public struct LoadPlan: Sendable {
    public var imageType: String
    public var kernelPath: String
    public var segments: [Segment]
    /// Physical address the CPU jumps to (purgatory's entry).
    public var entry: UInt64
    /// Where purgatory hands over, with rsi = boot_params.
    public var kernelEntry: UInt64
    public var bootParamsAddress: UInt64
    /// The registers purgatory hands over (nil until purgatory is attached).
    public var handOver: PurgatoryHandOver?
    public var commandLine: String
    public var crash: Bool
    /// A kdump plan whose ELF core header the kernel may rewrite on hotplug (left out of
    /// purgatory's digests; the back end passes KEXEC_UPDATE_ELFCOREHDR).
    public var crashHotplug = false
    public var skipChecks: Bool
    /// The UART purgatory prints its progress on (`--console-serial`), or nil.
    public var purgatoryConsole: UInt16?
    /// Human-readable decisions, printed by `-d`.
    public var notes: [String]

    /// Segments sorted by physical address, as the kernel receives them.
    public var sortedSegments: [Segment] { segments.sorted { $0.memory.start < $1.memory.start } }

    public var totalDataBytes: Int { segments.reduce(0) { $0 + $1.dataSize } }
}

public enum Digest {
    /// SHA-256 of a buffer without copying it (see SHA256Digest).
    public static func sha256(_ raw: UnsafeRawBufferPointer) -> [UInt8] {
        SHA256Digest.hash(raw)
    }

    public static func hexString(_ digest: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(digest.count * 2)
        for b in digest {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 15)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
