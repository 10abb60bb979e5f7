/// A devicetree as a value: what a DTB holds (FDTParser.swift reads one, FDTWriter.swift writes
/// one), kept simple so a loader can edit the next kernel's /chosen and read /memory.
/// Layout of the blob: ABI/FDTHeader.swift.
public struct FlattenedDeviceTree: Sendable, Equatable {
    /// The memory reservation block, in order (the {0, 0} terminator is not stored).
    public var reservations: [FDTRegion]
    public var bootCpuidPhys: UInt32
    public var root: FDTNode

    public init(root: FDTNode = FDTNode(name: ""), reservations: [FDTRegion] = [], bootCpuidPhys: UInt32 = 0) {
        self.root = root
        self.reservations = reservations
        self.bootCpuidPhys = bootCpuidPhys
    }
}

/// An (address, size) pair as the blob stores it: a memory reservation entry (memory the
/// next kernel must not use) or one entry of a reg-style property (reg,
/// linux,usable-memory-range, linux,elfcorehdr). Not a PhysicalRange: the values are kept as
/// read, even where address + size overflows, so that a blob is written back unchanged.
public struct FDTRegion: Sendable, Equatable {
    public var address: UInt64
    public var size: UInt64

    public init(address: UInt64, size: UInt64) {
        self.address = address
        self.size = size
    }
}

/// A property's value is bytes: big-endian cells, NUL-terminated strings or opaque data;
/// the typed accessors on FDTNode read and write the common encodings.
public struct FDTProperty: Sendable, Equatable {
    public var name: String
    public var value: [UInt8]

    public init(name: String, value: [UInt8]) {
        self.name = name
        self.value = value
    }
}

/// A node: its name (with the unit address, "memory@80000000"; the root's is empty), its
/// properties in blob order, and its children in blob order.
public struct FDTNode: Sendable, Equatable {
    public var name: String
    public var properties: [FDTProperty]
    public var children: [FDTNode]

    public init(name: String, properties: [FDTProperty] = [], children: [FDTNode] = []) {
        self.name = name
        self.properties = properties
        self.children = children
    }
}

/// Names are bytes in the blob; they travel as Strings through RawBytes, so any name the
/// reader accepts is written back unchanged. What would break the blob or path lookup is
/// refused wherever a name enters: a NUL (ends the name early), a '/' in a node name (the
/// path separator), an empty name other than the root's.
enum FDTName {
    /// `context` says where the name was found, for the message.
    static func checkNode(_ name: String, _ context: String = "") throws(KexecError) {
        let bytes = name.kernelBytes
        guard !bytes.isEmpty, !bytes.contains(0), !bytes.contains(UInt8(ascii: "/")) else {
            throw KexecError(field: "node name", "\"\(printable(name))\"\(context.isEmpty ? "" : " " + context); expected a non-empty name without NUL or '/'")
        }
    }

    static func checkProperty(_ name: String, _ context: String = "") throws(KexecError) {
        let bytes = name.kernelBytes
        guard !bytes.isEmpty, !bytes.contains(0) else {
            throw KexecError(field: "property name", "\"\(printable(name))\"\(context.isEmpty ? "" : " " + context); expected a non-empty name without NUL")
        }
    }
}
