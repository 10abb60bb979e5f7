/// Reads and validates a bzImage's setup header for a 64-bit kexec.
/// Rules: Linux boot.rst and the kernel's own kexec_file bzImage64 probe (protocol ≥ 2.12,
/// LOADED_HIGH, XLF_KERNEL_64 + XLF_CAN_BE_LOADED_ABOVE_4G).
public enum BzImageHeaderParser {
    static let minimumSize = 1024
    static let minimumVersion: UInt16 = 0x020c
    static let headerLimit = 0x290   // boot_params offset where the setup header area ends

    public static func parse(_ image: UnsafeRawBufferPointer) throws(KexecError) -> SetupHeader {
        typealias O = SetupHeaderOffset
        typealias C = SetupHeaderConstant
        let r = LittleEndianReader(image)
        guard image.count >= minimumSize else {
            throw KexecError(field: "size", "file is \(image.count) bytes; a bzImage has at least \(minimumSize) (truncated?)")
        }
        // All reads below are inside the first 1024 bytes, so the force-unwraps cannot fail.
        let bootFlag = r.u16(O.bootFlag)!
        guard bootFlag == C.bootFlag else {
            throw KexecError(field: "boot_flag", "found \(hex(bootFlag)) at offset 0x1fe; expected 0xaa55 (not a bzImage)")
        }
        let magic = r.u32(O.header)!
        guard magic == C.magic else {
            throw KexecError(field: "header", "found \(hex(magic)) at offset 0x202; expected \"HdrS\" (boot protocol 2.00 or newer)")
        }
        let version = r.u16(O.version)!
        let header = SetupHeader(
            setupSects: Int(r.u8(O.setupSects)!),
            version: version,
            loadFlags: r.u8(O.loadFlags)!,
            initrdAddrMax: r.u32(O.initrdAddrMax)!,
            kernelAlignment: r.u32(O.kernelAlignment)!,
            relocatable: r.u8(O.relocatableKernel)! != 0,
            xloadflags: r.u16(O.xloadflags)!,
            cmdlineSize: r.u32(O.cmdlineSize)!,
            prefAddress: r.u64(O.prefAddress)!,
            initSize: r.u32(O.initSize)!,
            rawBytes: [])
        guard version >= minimumVersion else {
            throw KexecError(field: "version", "boot protocol \(header.versionString); expected 2.12 or newer for a 64-bit kexec")
        }
        guard header.loadFlags & C.loadedHigh != 0 else {
            throw KexecError(field: "loadflags", "LOADED_HIGH is not set; expected a kernel that runs above 1 MiB (zImage is not supported)")
        }
        guard header.xloadflags & C.xlfKernel64 != 0 else {
            throw KexecError(field: "xloadflags", "\(hex(header.xloadflags)) lacks XLF_KERNEL_64; this is a 32-bit-only kernel and has no 64-bit entry point")
        }
        guard header.xloadflags & C.xlfCanBeLoadedAbove4G != 0 else {
            throw KexecError(field: "xloadflags", "\(hex(header.xloadflags)) lacks XLF_CAN_BE_LOADED_ABOVE_4G; expected a 64-bit relocatable kernel")
        }
        guard header.realModeSize < image.count else {
            throw KexecError(field: "setup_sects", "\(header.setupSects) setup sectors need \(header.realModeSize) bytes but the file has \(image.count) (truncated?)")
        }
        try checkProtectedModeSize(r, header: header, fileSize: image.count)
        guard header.kernelAlignment.nonzeroBitCount == 1 else {
            throw KexecError(field: "kernel_alignment", "\(hex(header.kernelAlignment)); expected a power of two")
        }
        guard header.initSize > 0 else {
            throw KexecError(field: "init_size", "is 0; expected the memory the kernel needs to decompress itself")
        }
        guard header.cmdlineSize > 0 else {
            throw KexecError(field: "cmdline_size", "is 0; expected the longest command line the kernel accepts")
        }
        let end = min(0x202 + Int(r.u8(O.jump + 1)!), headerLimit)
        var parsed = header
        parsed.rawBytes = Array(image[O.setupSects..<end])
        return parsed
    }

    /// A truncated body would be loaded and fail only once the new kernel decompresses
    /// itself, so the file must hold the syssize paragraphs the header announces (more is
    /// fine: a signature is appended), and the compressed payload must lie inside them.
    static func checkProtectedModeSize(_ r: LittleEndianReader, header: SetupHeader, fileSize: Int) throws(KexecError) {
        typealias O = SetupHeaderOffset
        let sysSize = UInt64(r.u32(O.sysSize)!) * 16
        let needed = UInt64(header.realModeSize) + sysSize
        guard needed <= UInt64(fileSize) else {
            throw KexecError(field: "syssize", "\(sysSize / 16) paragraphs (\(sysSize) bytes) of protected-mode code after the \(header.realModeSize)-byte setup need \(needed) bytes but the file has \(fileSize) (truncated?)")
        }
        // payload_* are 2.08+ (always here: 2.12 is required); length 0 means not given.
        let payloadOffset = UInt64(r.u32(O.payloadOffset)!), payloadLength = UInt64(r.u32(O.payloadLength)!)
        let body = sysSize > 0 ? sysSize : UInt64(fileSize - header.realModeSize)
        guard payloadLength == 0 || payloadOffset + payloadLength <= body else {
            throw KexecError(field: "payload_offset", "\(hex(payloadOffset)) + payload_length \(hex(payloadLength)) ends past the \(body)-byte protected-mode part; expected the compressed kernel inside it")
        }
    }
}
