/// A Unified Kernel Image: an EFI stub (PE32+) carrying the kernel, an initrd and a command
/// line in named sections (ABI/UKISections.swift). kexec boots the embedded kernel directly;
/// the stub never runs.
public struct UnifiedKernelImage: Sendable {
    public var pe: PEImage
    /// The bytes of `.linux` (zero-copy slices of the file unless the section is zero-filled).
    public var linux: ByteSlice
    public var initrd: ByteSlice?
    /// `.cmdline` up to its first NUL, without trailing whitespace and newlines.
    public var commandLine: String?
    /// PRETTY_NAME from `.osrel`, for -d.
    public var prettyName: String?
    /// Sections present in the default profile that kexec does not use (.ucode, .dtb, ...).
    public var unused: [String]

    /// At most this many zero bytes are materialized after a section's file bytes
    /// (VirtualSize > SizeOfRawData); more is a broken or hostile image.
    public static let maximumZeroFill = 16 << 20

    /// Parses `file` as a UKI; every failure is one line naming `path` and the field.
    public static func parse(_ file: ByteSlice, path: String) throws(KexecError) -> UnifiedKernelImage {
        let pe: PEImage
        do { pe = try PEImageParser.parse(file.raw) } catch { throw error.inFile(path) }
        return try parse(file, pe: pe, path: path)
    }

    /// nil when `file` is not a UKI: no "MZ", or a bzImage (its EFI stub is a PE image too)
    /// without a `.linux` section. A PE image that is not a bzImage must be a valid UKI.
    public static func detect(_ file: ByteSlice, path: String) throws(KexecError) -> UnifiedKernelImage? {
        let r = LittleEndianReader(file.raw)
        guard r.u16(PEOffset.dosMagic) == PEConstant.dosMagic else { return nil }
        let bzImage = r.u32(SetupHeaderOffset.header) == SetupHeaderConstant.magic
        let pe: PEImage
        do { pe = try PEImageParser.parse(file.raw) } catch {
            if bzImage { return nil }
            throw error.inFile(path)
        }
        if bzImage, defaultProfile(pe.sections)[UKISectionName.linux] == nil { return nil }
        return try parse(file, pe: pe, path: path)
    }

    /// The cheap check for `-t`-less loads: a PE image with a `.linux` section.
    public static func probe(_ raw: UnsafeRawBufferPointer) -> Bool {
        whyNot(raw) == nil
    }

    static func parse(_ file: ByteSlice, pe: PEImage, path: String) throws(KexecError) -> UnifiedKernelImage {
        let sections = defaultProfile(pe.sections)
        guard let linux = sections[UKISectionName.linux] else { throw noLinux(pe).inFile(path) }
        guard pe.machine == PEConstant.machineAMD64 else {
            throw KexecError(file: path, field: "Machine", "\(hex(pe.machine))\(machineName(pe.machine)); expected 0x8664 (x86-64): the embedded kernel must be one this machine runs")
        }
        guard linux.size > 0 else {
            throw KexecError(file: path, field: UKISectionName.linux, "the section is empty; expected the kernel image")
        }
        var uki = UnifiedKernelImage(pe: pe, linux: try contents(linux, of: file, path: path), initrd: nil,
                                     commandLine: nil, prettyName: nil, unused: [])
        if let s = sections[UKISectionName.initrd], s.size > 0 {
            uki.initrd = try contents(s, of: file, path: path)
        }
        if let s = sections[UKISectionName.cmdline] {
            uki.commandLine = try contents(s, of: file, path: path).withRaw { raw throws(KexecError) in try commandLine(raw, path: path) }
        }
        if let s = sections[UKISectionName.osrel] {
            uki.prettyName = try contents(s, of: file, path: path).withRaw(prettyName)
        }
        uki.unused = UKISectionName.unused.filter { sections[$0] != nil }
        return uki
    }

    /// Why a PE image is no UKI: why it is no PE image, or that `.linux` is missing; nil for a UKI.
    static func whyNot(_ raw: UnsafeRawBufferPointer) -> KexecError? {
        do {
            let pe = try PEImageParser.parse(raw)
            return defaultProfile(pe.sections)[UKISectionName.linux] == nil ? noLinux(pe) : nil
        } catch { return error }
    }

    static func noLinux(_ pe: PEImage) -> KexecError {
        let names = pe.sections.map(\.name).joined(separator: ", ")
        return KexecError(field: UKISectionName.linux,
                          "the PE image has no .linux section (sections: \(names.isEmpty ? "none" : names)); expected a UKI or a bzImage")
    }

    /// Base sections (the first of a name wins), then profile 0's, which replace them.
    static func defaultProfile(_ all: [PESection]) -> [String: PESection] {
        var base: [String: PESection] = [:], profile: [String: PESection] = [:]
        var profiles = 0
        for s in all {
            if s.name == UKISectionName.profile {
                profiles += 1
                if profiles > 1 { break }
            } else if profiles == 0 {
                if base[s.name] == nil { base[s.name] = s }
            } else if profile[s.name] == nil {
                profile[s.name] = s
            }
        }
        return base.merging(profile) { $1 }
    }

    /// A section's content: its file bytes without a copy, or a copy followed by its zero fill.
    static func contents(_ s: PESection, of file: ByteSlice, path: String) throws(KexecError) -> ByteSlice {
        let bytes = file.slice(s.fileRange)
        guard s.zeroFill > 0 else { return bytes }
        guard s.zeroFill <= maximumZeroFill else {
            throw KexecError(file: path, field: s.name, "VirtualSize \(hex(s.header.virtualSize)) exceeds SizeOfRawData \(hex(s.header.sizeOfRawData)) by \(s.zeroFill) bytes; at most \(maximumZeroFill >> 20) MiB of zero fill is accepted")
        }
        return ByteStorage(Array(bytes.raw) + [UInt8](repeating: 0, count: s.zeroFill)).all
    }

    /// Up to the first NUL (C string), trailing blanks and newlines removed; any bytes, which
    /// reach the kernel unchanged (RawBytes), as the file syscall would pass them.
    static func commandLine(_ raw: UnsafeRawBufferPointer, path: String) throws(KexecError) -> String {
        var bytes = Array(raw.prefix { $0 != 0 })
        while let last = bytes.last, last == 0x20 || last == 0x09 || last == 0x0a || last == 0x0d { bytes.removeLast() }
        return RawBytes.string(bytes)
    }

    /// PRETTY_NAME="..." from os-release text (quotes removed, made printable: it is only shown), or nil.
    static func prettyName(_ raw: UnsafeRawBufferPointer) -> String? {
        let key = Array("PRETTY_NAME=".utf8)
        for line in raw.split(separator: 0x0a) where line.starts(with: key) {
            var value = Array(line.dropFirst(key.count))
            if value.last == 0x0d { value.removeLast() }
            if value.count >= 2, let q = value.first, q == 0x22 || q == 0x27, value.last == q {
                value = Array(value.dropFirst().dropLast())
            }
            return printable(value)
        }
        return nil
    }

    static func machineName(_ machine: UInt16) -> String {
        switch machine {
        case PEConstant.machineARM64: " (ARM64)"
        case PEConstant.machineI386: " (i386)"
        default: ""
        }
    }

    /// One -d line: what the image holds.
    public func summary(path: String) -> String {
        var parts = ["\(path): UKI (PE32+, \(pe.sections.count) sections): .linux \(linux.count) bytes"]
        parts.append(initrd.map { ".initrd \($0.count) bytes" } ?? "no .initrd")
        parts.append(commandLine.map { ".cmdline \"\(printable($0))\"" } ?? "no .cmdline")
        if let prettyName { parts.append(".osrel \"\(prettyName)\"") }
        if !unused.isEmpty { parts.append("not used by kexec: " + unused.joined(separator: " ")) }
        return parts.joined(separator: ", ")
    }
}

extension ByteSlice {
    /// A window of this window (`range` is relative to it and must lie inside it).
    public func slice(_ range: Range<Int>) -> ByteSlice {
        storage.slice(offset + range.lowerBound, range.count)
    }
}
