import KexecCore

/// The "arm64" target: the arm64 readers, one input for both. Byte 0 picks: even = the input's
/// rest is a kernel file (Arm64ImageParser: Image header, EFI stub, zboot header); odd = a
/// flattened device tree. A DTB that parses must write back to bytes that parse to the same
/// tree, and must take a /chosen like the one a load builds (bootargs, initrd range, seeds).
@Sendable func fuzzArm64(_ input: UnsafeRawBufferPointer) {
    guard let selector = input.first else { return }
    let rest = UnsafeRawBufferPointer(rebasing: input[1...])
    if selector & 1 == 0 {
        do {
            switch try Arm64ImageParser.identify(rest) {
            case .image(let image):
                check(image.fileDataSize <= rest.count || image.hasPEHeader, "file data past the end of the file")
                check(UInt64(image.fileDataSize) <= image.header.imageSize, "accepted an Image larger than image_size")
            case .zboot(let zboot):
                check(UInt64(zboot.payloadOffset) + UInt64(zboot.payloadSize) <= UInt64(rest.count), "zboot payload past the end")
            }
        } catch {
            report(error)
        }
        return
    }
    do {
        var tree = try FlattenedDeviceTree(parsing: rest)
        let written = try tree.serialized()
        let again = try written.withUnsafeBytes { try FlattenedDeviceTree(parsing: $0) }
        check(again == tree, "a DTB written from a parsed tree parses to another tree")
        _ = try? tree.memoryRegions()
        try tree.updateNode(at: "/chosen", creatingMissing: true) { (chosen: inout FDTNode) throws(KexecError) in
            try chosen.setString("bootargs", "console=ttyAMA0 root=/dev/vda")
            try chosen.setU64("linux,initrd-start", 0x4800_0000)
            try chosen.setU64("linux,initrd-end", 0x4900_0000)
            try chosen.setU64("kaslr-seed", 0x1234_5678_9abc_def0)
        }
        let edited = try tree.serialized()
        let reread = try edited.withUnsafeBytes { try FlattenedDeviceTree(parsing: $0) }
        check(reread.node(at: "/chosen")?.u64("linux,initrd-end") == 0x4900_0000, "the edited /chosen did not survive a write")
    } catch let error as KexecError {
        report(error)
    } catch {
        check(false, "not a KexecError: \(error)")   // withUnsafeBytes rethrows untyped
    }
}
