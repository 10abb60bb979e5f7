/// The parameter block inside the purgatory blob (symbol `purgatory_params`), which the
/// loader fills before loading. Source of truth: purgatory/README.md (896 bytes, little-endian).
public struct PurgatoryParameters: Sendable, Equatable {
    public static let size = 896
    public static let maxRegions = 16
    static let regionsOffset = 128
    static let regionSize = 48

    public struct Region: Sendable, Equatable {
        public var start: UInt64
        public var length: UInt64
        public var sha256: [UInt8]
        public init(start: UInt64, length: UInt64, sha256: [UInt8]) {
            self.start = start
            self.length = length
            self.sha256 = sha256
        }
    }

    public var rax: UInt64 = 0, rbx: UInt64 = 0, rcx: UInt64 = 0, rdx: UInt64 = 0
    public var rsi: UInt64 = 0, rdi: UInt64 = 0, rbp: UInt64 = 0
    /// 0 keeps purgatory's own stack.
    public var rsp: UInt64 = 0
    public var rip: UInt64 = 0
    public var skipChecks = false
    /// Leave in 32-bit protected mode with paging off (multiboot) instead of 64-bit mode.
    public var protectedMode32 = false
    /// 8250 UART I/O base for the mismatch message (and the progress lines); 0 = silent.
    public var serialPort: UInt16 = 0x3f8
    /// `--console-serial`: a line before the checks and one before the jump.
    public var progress = false
    public var backupSource: UInt64 = 0, backupDestination: UInt64 = 0, backupLength: UInt64 = 0
    public var regions: [Region] = []

    public init() {}

    /// Writes the block at `offset` of `blob`.
    public func encode(into blob: inout [UInt8], at offset: Int) {
        var block = [UInt8](repeating: 0, count: Self.size)
        for (i, reg) in [rax, rbx, rcx, rdx, rsi, rdi, rbp, rsp, rip].enumerated() {
            block.store(reg, at: i * 8)
        }
        block.store(UInt32(skipChecks ? 1 : 0) | UInt32(protectedMode32 ? 2 : 0) | UInt32(progress ? 4 : 0), at: 72)
        block.store(UInt32(regions.count), at: 76)
        block.store(serialPort, at: 80)
        block.store(backupSource, at: 88)
        block.store(backupDestination, at: 96)
        block.store(backupLength, at: 104)
        for (i, r) in regions.prefix(Self.maxRegions).enumerated() {
            let at = Self.regionsOffset + i * Self.regionSize
            block.store(r.start, at: at)
            block.store(r.length, at: at + 8)
            block.store(bytes: r.sha256, at: at + 16)
        }
        blob.store(bytes: block, at: offset)
    }
}

/// The committed purgatory blob with a parameter block filled in.
public enum Purgatory {
    /// Memory the purgatory segment needs (code, data, stack), page aligned.
    public static var memorySize: UInt64 { (UInt64(PurgatoryBlob.memorySize)).alignedUp(pageSize) ?? pageSize }
    public static var entryOffset: UInt64 { UInt64(PurgatoryBlob.entryOffset) }

    public static func image(with parameters: PurgatoryParameters) -> [UInt8] {
        var bytes = PurgatoryBlob.bytes
        parameters.encode(into: &bytes, at: PurgatoryBlob.paramsOffset)
        return bytes
    }
}
