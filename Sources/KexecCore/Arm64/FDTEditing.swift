/// Finding nodes by path and reading or setting properties: what building the next
/// kernel's /chosen (bootargs, linux,initrd-start, kaslr-seed, rng-seed, …) takes.
extension FlattenedDeviceTree {
    /// The node at an absolute path ("/", "/chosen", "/soc/serial@1000"); nil when absent or
    /// the path is not absolute. A component without '@' also matches a name with a unit
    /// address ("/memory" finds "memory@80000000") when no name matches it exactly.
    public func node(at path: String) -> FDTNode? {
        guard let components = Self.components(path) else { return nil }
        var node = root
        for component in components {
            guard let index = node.childIndex(component) else { return nil }
            node = node.children[index]
        }
        return node
    }

    /// Runs `body` on the node at `path` in place; with `creatingMissing`, absent nodes on the
    /// way are added (empty, after their siblings), else an absent node is an error.
    @discardableResult
    public mutating func updateNode<R>(at path: String, creatingMissing: Bool = false,
                                       _ body: (inout FDTNode) throws(KexecError) -> R) throws(KexecError) -> R {
        guard let components = Self.components(path) else {
            throw KexecError(field: "path", "\"\(printable(path))\"; expected an absolute path such as /chosen")
        }
        if creatingMissing {   // all names first: a bad one must not leave half the path created
            for component in components { try FDTName.checkNode(component, "in path \(printable(path))") }
        }
        return try root.update(components[...], path: path, creatingMissing: creatingMissing, body)
    }

    /// The names along an absolute path; nil when it does not start with '/'.
    static func components(_ path: String) -> [String]? {
        guard path.first == "/" else { return nil }
        return path.split(separator: "/").map(String.init)
    }
}

extension FDTNode {
    /// The child called `name`: the exact name first, else (for a name without '@') the first
    /// child whose name before '@' is `name`.
    public func child(named name: String) -> FDTNode? {
        childIndex(name).map { children[$0] }
    }

    func childIndex(_ name: String) -> Int? {
        if let exact = children.firstIndex(where: { $0.name == name }) { return exact }
        guard !name.contains("@") else { return nil }
        return children.firstIndex { $0.name.prefix { $0 != "@" } == name }
    }

    mutating func update<R>(_ rest: ArraySlice<String>, path: String, creatingMissing: Bool,
                            _ body: (inout FDTNode) throws(KexecError) -> R) throws(KexecError) -> R {
        guard let first = rest.first else { return try body(&self) }
        let index: Int
        if let found = childIndex(first) {
            index = found
        } else if creatingMissing {
            children.append(FDTNode(name: first))
            index = children.count - 1
        } else {
            throw KexecError(field: "path", "\(printable(path)): there is no node \"\(printable(first))\" in \"\(printable(name))\"")
        }
        return try children[index].update(rest.dropFirst(), path: path, creatingMissing: creatingMissing, body)
    }

    // MARK: Properties

    public func property(named name: String) -> FDTProperty? {
        properties.first { $0.name == name }
    }

    /// Replaces the value of `name` where it stands (dropping any later duplicate), or adds
    /// the property after the others.
    public mutating func setProperty(_ name: String, _ value: [UInt8]) throws(KexecError) {
        try FDTName.checkProperty(name, "in node \"\(printable(self.name))\"")
        guard let index = properties.firstIndex(where: { $0.name == name }) else {
            properties.append(FDTProperty(name: name, value: value))
            return
        }
        properties[index].value = value
        var seen = false
        properties.removeAll { property in
            guard property.name == name else { return false }
            defer { seen = true }
            return seen
        }
    }

    /// Removes every property called `name`; false when there was none.
    @discardableResult
    public mutating func removeProperty(named name: String) -> Bool {
        let before = properties.count
        properties.removeAll { $0.name == name }
        return properties.count != before
    }

    /// One big-endian cell, as #address-cells or phandle are stored.
    public mutating func setU32(_ name: String, _ value: UInt32) throws(KexecError) {
        try setCells(name, [value])
    }

    /// Two big-endian cells, high first, as kaslr-seed or a 64-bit linux,initrd-start.
    public mutating func setU64(_ name: String, _ value: UInt64) throws(KexecError) {
        try setCells(name, [UInt32(truncatingIfNeeded: value >> 32), UInt32(truncatingIfNeeded: value)])
    }

    public mutating func setCells(_ name: String, _ cells: [UInt32]) throws(KexecError) {
        var value: [UInt8] = []
        value.reserveCapacity(cells.count * 4)
        for cell in cells { value.appendBigEndian(cell) }
        try setProperty(name, value)
    }

    /// A NUL-terminated string, as bootargs. The text cannot hold a NUL itself: the kernel
    /// would read only up to it.
    public mutating func setString(_ name: String, _ text: String) throws(KexecError) {
        let bytes = text.kernelBytes
        guard !bytes.contains(0) else {
            throw KexecError(field: "property \(printable(name))", "the text holds a NUL; expected a string without one")
        }
        try setProperty(name, bytes + [0])
    }

    /// The value as one cell; nil when absent or not 4 bytes.
    public func u32(_ name: String) -> UInt32? {
        guard let value = property(named: name)?.value, value.count == 4 else { return nil }
        return UInt32(truncatingIfNeeded: Self.number(value[...]))
    }

    /// The value as two cells; nil when absent or not 8 bytes.
    public func u64(_ name: String) -> UInt64? {
        guard let value = property(named: name)?.value, value.count == 8 else { return nil }
        return Self.number(value[...])
    }

    /// The value as cells; nil when absent or not a multiple of 4 bytes.
    public func cells(_ name: String) -> [UInt32]? {
        guard let value = property(named: name)?.value, value.count % 4 == 0 else { return nil }
        return stride(from: 0, to: value.count, by: 4).map { UInt32(truncatingIfNeeded: Self.number(value[$0..<($0 + 4)])) }
    }

    /// The value as a string (the first of a string list); nil when absent or not NUL-terminated.
    public func string(_ name: String) -> String? {
        guard let value = property(named: name)?.value, value.last == 0 else { return nil }
        return RawBytes.string(value.prefix { $0 != 0 })
    }

    /// Up to 8 bytes read as one big-endian number.
    static func number(_ bytes: ArraySlice<UInt8>) -> UInt64 {
        bytes.reduce(0) { $0 << 8 | UInt64($1) }
    }
}
