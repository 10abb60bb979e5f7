/// Read-only bytes that stay valid while the value is alive: a file mapping made by the
/// system layer or memory the core built. Segments point into these without copying.
public final class ByteStorage: @unchecked Sendable {
    public let raw: UnsafeRawBufferPointer
    private let release: (@Sendable (UnsafeRawBufferPointer) -> Void)?

    /// Wraps memory owned elsewhere; `release` runs when the storage is freed.
    public init(raw: UnsafeRawBufferPointer, release: (@Sendable (UnsafeRawBufferPointer) -> Void)?) {
        self.raw = raw
        self.release = release
    }

    /// Takes a private copy of `bytes` (used for the small buffers the core builds).
    public convenience init(_ bytes: [UInt8]) {
        let memory = UnsafeMutableRawBufferPointer.allocate(byteCount: max(bytes.count, 1), alignment: 16)
        bytes.withUnsafeBytes { memory.copyMemory(from: $0) }
        self.init(raw: UnsafeRawBufferPointer(rebasing: memory[0..<bytes.count])) { raw in
            raw.baseAddress.map { UnsafeMutableRawPointer(mutating: $0).deallocate() }
        }
    }

    deinit { release?(raw) }

    public var count: Int { raw.count }

    public func slice(_ offset: Int, _ length: Int) -> ByteSlice {
        ByteSlice(storage: self, offset: offset, count: length)
    }

    public var all: ByteSlice { ByteSlice(storage: self, offset: 0, count: raw.count) }
}

/// A window into `ByteStorage`.
public struct ByteSlice: Sendable {
    public let storage: ByteStorage
    public let offset: Int
    public let count: Int

    public var raw: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: storage.raw[offset..<(offset + count)])
    }

    /// Runs `body` on the bytes while the storage surely stays alive (a temporary slice may
    /// otherwise be released right after `raw` is read).
    public func withRaw<R, E: Error>(_ body: (UnsafeRawBufferPointer) throws(E) -> R) throws(E) -> R {
        try withExtendedLifetime(self) { () throws(E) -> R in try body(raw) }
    }
}

/// Bounds-checked little-endian reads; out-of-range reads return nil instead of trapping.
public struct LittleEndianReader {
    public let bytes: UnsafeRawBufferPointer

    public init(_ bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    public func u8(_ at: Int) -> UInt8? {
        at >= 0 && at < bytes.count ? bytes[at] : nil
    }

    public func u16(_ at: Int) -> UInt16? { read(at, as: UInt16.self) }
    public func u32(_ at: Int) -> UInt32? { read(at, as: UInt32.self) }
    public func u64(_ at: Int) -> UInt64? { read(at, as: UInt64.self) }

    private func read<T: FixedWidthInteger>(_ at: Int, as: T.Type) -> T? {
        let size = MemoryLayout<T>.size
        guard at >= 0, at <= bytes.count - size else { return nil }
        return T(littleEndian: bytes.loadUnaligned(fromByteOffset: at, as: T.self))
    }
}

/// Bounds-checked big-endian reads, for the formats that store integers that way (the
/// flattened devicetree); out-of-range reads return nil instead of trapping.
public struct BigEndianReader {
    private let little: LittleEndianReader

    public init(_ bytes: UnsafeRawBufferPointer) { little = LittleEndianReader(bytes) }

    public var bytes: UnsafeRawBufferPointer { little.bytes }

    /// The same bytes read the other way round: a swap of the little-endian value.
    public func u32(_ at: Int) -> UInt32? { little.u32(at)?.byteSwapped }
    public func u64(_ at: Int) -> UInt64? { little.u64(at)?.byteSwapped }
}

/// Big-endian appends to a byte array the core is building.
extension Array where Element == UInt8 {
    @inlinable
    public mutating func appendBigEndian<T: FixedWidthInteger>(_ value: T) {
        Swift.withUnsafeBytes(of: value.bigEndian) { append(contentsOf: $0) }
    }
}

/// Little-endian stores into a byte array the core is building.
extension Array where Element == UInt8 {
    @inlinable
    public mutating func store<T: FixedWidthInteger>(_ value: T, at offset: Int) {
        withUnsafeMutableBytes { $0.storeBytes(of: value.littleEndian, toByteOffset: offset, as: T.self) }
    }

    @inlinable
    public mutating func store(bytes: some Collection<UInt8>, at offset: Int) {
        replaceSubrange(offset..<(offset + bytes.count), with: bytes)
    }
}
