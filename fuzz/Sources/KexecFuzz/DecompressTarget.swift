import KexecCore
import KexecSystem

/// The "decompress" target: gzip, xz, lzma and zstd streams, bombs and truncations through
/// the same entry points the runner uses. Byte 0: bits 0-1 pick the output limit (small,
/// so a bomb costs milliseconds, not the real 1 GiB), bit 2 forces the format of bits 3-4
/// instead of detecting it by magic. The rest is the file. A decompressed result is probed
/// by the image loaders, as the runner does next.
@Sendable func fuzzDecompression(_ input: UnsafeRawBufferPointer) {
    guard let flags = input.first else { return }
    let limits = [64 << 10, 256 << 10, 1 << 20, 4 << 20]
    let limit = limits[Int(flags & 3)]
    let file = ByteStorage(Array(input.dropFirst()))
    do {
        let out: ByteStorage
        if flags & 4 != 0 {
            let format = CompressionFormat.allCases[Int(flags >> 3) % CompressionFormat.allCases.count]
            out = try Decompression.decompress(file.raw, format: format, path: "fuzz", limit: limit)
        } else {
            let unwrapped = try Decompression.unwrap(file, path: "fuzz", limit: limit)
            // Not compressed: the very same bytes, no copy, and no limit.
            guard unwrapped.format != nil else { return check(unwrapped.storage === file) }
            _ = unwrapped.note(path: "fuzz")
            out = unwrapped.storage
        }
        check(out.count <= limit, "\(out.count) bytes decompressed past the \(limit)-byte limit")
        _ = try? ImageLoaders.select(type: nil, image: out.raw, path: "fuzz").typeName
    } catch {
        report(error)
    }
}
