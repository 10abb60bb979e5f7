/// Multiboot2 (version 2.0) structures. Source: the Multiboot2 Specification, section 3.1
/// (OS image format: header and header tags) and 3.6 (boot information format).

/// The multiboot2 header: 8-byte aligned within the first 32768 bytes of the image.
///
///     0 magic 0xE85250D6  4 architecture (0 = i386)  8 header_length  12 checksum
///       (magic + architecture + header_length + checksum = 0 mod 2^32), then tags, each
///     0 type u16  2 flags u16 (bit 0: optional)  4 size u32, padded to 8 bytes; type 0 ends.
///
/// Tags read here: 1 information request (u32 types), 2 address (header_addr, load_addr,
/// load_end_addr, bss_end_addr), 3 entry address, 4 console flags, 5 framebuffer, 6 module
/// alignment, 7 EFI boot services, 8/9 EFI i386/amd64 entry, 10 relocatable (min_addr,
/// max_addr, align, preference: 0 none, 1 lowest, 2 highest).
public struct Multiboot2Header: Sendable, Equatable {
    public static let magic: UInt32 = 0xE852_50D6
    public static let searchLimit = 32768

    public struct Tag: Sendable, Equatable {
        public var type: UInt16
        public var optional: Bool
        /// The tag's bytes after its 8-byte head.
        public var body: [UInt8]
        func u32(_ i: Int) -> UInt32? { body.withUnsafeBytes { LittleEndianReader($0).u32(i * 4) } }
    }

    public struct Relocation: Sendable, Equatable {
        public var minimum: UInt32, maximum: UInt32, alignment: UInt32, preference: UInt32
    }

    public var offset: Int
    public var architecture: UInt32
    public var tags: [Tag]

    /// The first header with a valid checksum, or nil.
    public static func find(in raw: UnsafeRawBufferPointer) -> Multiboot2Header? {
        let r = LittleEndianReader(raw)
        var at = 0
        while at + 16 <= min(raw.count, searchLimit) {
            if r.u32(at) == magic, let arch = r.u32(at + 4), let length = r.u32(at + 8), let sum = r.u32(at + 12),
               magic &+ arch &+ length &+ sum == 0 {
                return Multiboot2Header(offset: at, architecture: arch, tags: [])
            }
            at += 8
        }
        return nil
    }

    /// Reads the tags up to the end tag; throws a one-line reason when they are malformed.
    public mutating func readTags(_ raw: UnsafeRawBufferPointer) throws(KexecError) {
        let r = LittleEndianReader(raw)
        let length = Int(r.u32(offset + 8) ?? 0)
        guard length >= 16, offset + length <= raw.count else {
            throw KexecError(field: "multiboot2 header_length", "\(length) bytes at \(hex(offset)) do not fit in the \(raw.count)-byte file")
        }
        func pastEnd(_ at: Int) -> KexecError {
            KexecError(field: "multiboot2 tags", "a tag at \(hex(at)) runs past header_length \(length) (or there is no end tag)")
        }
        var at = offset + 16
        tags = []
        while true {
            guard at + 8 <= offset + length, let type = r.u16(at), let flags = r.u16(at + 2), let size = r.u32(at + 4) else { throw pastEnd(at) }
            // A size below the 8-byte tag head would not advance (0) or overlap the next tag.
            guard size >= 8 else {
                throw KexecError(field: "multiboot2 tag \(type)", "size \(size) at \(hex(at)) is too small; expected at least 8 (the tag's type, flags and size)")
            }
            guard at + Int(size) <= offset + length else { throw pastEnd(at) }
            if type == 0 { return }
            tags.append(Tag(type: type, optional: flags & 1 != 0, body: Array(raw[(at + 8)..<(at + Int(size))])))
            at += (Int(size) + 7) & ~7
        }
    }

    public func tag(_ type: UInt16) -> Tag? { tags.first { $0.type == type } }

    public var relocation: Relocation? {
        guard let t = tag(10), let mn = t.u32(0), let mx = t.u32(1), let al = t.u32(2), let pr = t.u32(3) else { return nil }
        return Relocation(minimum: mn, maximum: mx, alignment: al, preference: pr)
    }
}

/// The multiboot2 boot information the kernel finds at EBX: u32 total_size, u32 reserved,
/// then tags (u32 type, u32 size, payload, each padded to 8 bytes), ended by type 0 size 8.
///
///     1 command line (string)        2 boot loader name (string)
///     3 module: u32 mod_start, u32 mod_end, string
///     4 basic memory: u32 mem_lower, u32 mem_upper (KiB)
///     6 memory map: u32 entry_size (24), u32 entry_version (0), entries of
///       u64 base_addr, u64 length, u32 type, u32 reserved
///     11 EFI 64-bit system table pointer (u64)
///     14 ACPI old RSDP (RSDP v1 copy, 20 bytes)   15 ACPI new RSDP (RSDP v2 copy, 36 bytes)
///     21 image load base physical address (u32)
public enum Multiboot2Info {
    public static let bootloaderMagic: UInt32 = 0x36D7_6289   // EAX at the kernel's entry

    public enum TagType {
        public static let commandLine: UInt32 = 1, bootLoaderName: UInt32 = 2, module: UInt32 = 3
        public static let basicMemory: UInt32 = 4, memoryMap: UInt32 = 6, efi64SystemTable: UInt32 = 11
        public static let acpiOld: UInt32 = 14, acpiNew: UInt32 = 15, loadBase: UInt32 = 21
    }

    public struct Inputs: Sendable {
        public var commandLine: String
        public var loaderName: String
        public var modules: [MultibootInfo.Module]
        public var e820: [E820Entry]
        public var loadBase: UInt64?
        /// A copy of the ACPI RSDP: its first 20 bytes go in tag 14, all of a revision 2
        /// RSDP in tag 15.
        public var acpiRSDP: [UInt8]?
        public var efiSystemTable: UInt64?
    }

    /// The information as tags in order; `build` lays them out.
    static func tags(_ i: Inputs) -> [(UInt32, [UInt8])] {
        func string(_ s: String) -> [UInt8] { s.kernelBytes + [0] }
        func u32s(_ values: UInt32...) -> [UInt8] {
            var b = [UInt8](repeating: 0, count: values.count * 4)
            for (k, v) in values.enumerated() { b.store(v, at: k * 4) }
            return b
        }
        var out: [(UInt32, [UInt8])] = []
        if let base = i.loadBase { out.append((TagType.loadBase, u32s(UInt32(truncatingIfNeeded: base)))) }
        out.append((TagType.commandLine, string(i.commandLine)))
        out.append((TagType.bootLoaderName, string(i.loaderName)))
        for m in i.modules {
            out.append((TagType.module, u32s(UInt32(truncatingIfNeeded: m.range.start), UInt32(truncatingIfNeeded: m.range.end)) + string(m.string)))
        }
        let (lower, upper) = MultibootInfo.memorySizes(i.e820)
        out.append((TagType.basicMemory, u32s(lower, upper)))
        var mmap = u32s(24, 0) + [UInt8](repeating: 0, count: i.e820.count * 24)
        for (k, e) in i.e820.enumerated() {
            mmap.store(e.address, at: 8 + k * 24)
            mmap.store(e.size, at: 16 + k * 24)
            mmap.store(e.type.rawValue, at: 24 + k * 24)
        }
        out.append((TagType.memoryMap, mmap))
        // The first 20 bytes are a valid ACPI 1.0 RSDP on their own (their own checksum).
        if let rsdp = i.acpiRSDP {
            out.append((TagType.acpiOld, Array(rsdp.prefix(20))))
            if rsdp.count > 20 { out.append((TagType.acpiNew, rsdp)) }
        }
        if let systab = i.efiSystemTable {
            var b = [UInt8](repeating: 0, count: 8)
            b.store(systab, at: 0)
            out.append((TagType.efi64SystemTable, b))
        }
        return out
    }

    public static func size(_ i: Inputs) -> Int {
        8 + tags(i).reduce(0) { $0 + ((8 + $1.1.count + 7) & ~7) } + 8
    }

    /// Encodes the information (position independent: strings are inside their tags).
    public static func build(_ i: Inputs) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: size(i))
        out.store(UInt32(out.count), at: 0)
        var at = 8
        for (type, payload) in tags(i) {
            out.store(type, at: at)
            out.store(UInt32(8 + payload.count), at: at + 4)
            out.store(bytes: payload, at: at + 8)
            at += (8 + payload.count + 7) & ~7
        }
        out.store(UInt32(0), at: at)
        out.store(UInt32(8), at: at + 4)
        return out
    }
}
