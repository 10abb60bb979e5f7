import Testing
@testable import KexecCore

@Suite("FDT reader and writer")
struct FDTReadWriteTests {
    typealias F = FDTFixture

    @Test func readsTheDtcBlob() throws {
        let tree = try F.parse(F.dtc)
        #expect(tree.reservations == [FDTRegion(address: 0x4800_0000, size: 0x1000)])
        #expect(tree.bootCpuidPhys == 0)
        #expect(tree.root.name == "")
        #expect(tree.root.properties.map(\.name) == ["#address-cells", "#size-cells", "compatible", "model"])
        #expect(tree.root.children.map(\.name) == ["memory@40000000", "memory@100000000", "memory@200000000", "chosen", "pl011@9000000"])
        #expect(try tree.root.childCellCounts() == FDTCellCounts(address: 2, size: 2))
        #expect(tree.node(at: "/chosen")?.string("bootargs") == "console=ttyAMA0")
        #expect(tree.node(at: "/pl011@9000000")?.string("compatible") == "arm,pl011")   // the first of the list
        #expect(tree.node(at: "/pl011")?.name == "pl011@9000000")
        #expect(tree.node(at: "/memory")?.name == "memory@40000000")
        #expect(tree.node(at: "/")?.properties.count == 4)
        #expect(tree.node(at: "/nothing") == nil && tree.node(at: "chosen") == nil && tree.node(at: "/chosen/x") == nil)
    }

    /// RawDTB (with NOPs and names repeated in the strings block) and dtc give the same tree.
    @Test func rawAssemblyAndDtcAgree() throws {
        let blob = F.raw(dedupe: false).blob()
        #expect(try F.parse(blob) == F.parse(F.dtc))
        // 3 NOPs, and "reg" 3 times, "device_type" and "compatible" once more than dtc stores them
        #expect(blob.count == F.dtc.count + 3 * 4 + 3 * "reg\0".utf8.count + "device_type\0".utf8.count + "compatible\0".utf8.count)
    }

    /// The writer lays a blob out as dtc does (header, reservations, structure, strings; names
    /// once each in first-use order), so dtc's blob comes back byte for byte.
    @Test func writerReproducesDtcOutput() throws {
        let written = try F.parse(F.dtc).serialized()
        #expect(written == F.dtc)
        #expect(try F.parse(F.raw().blob()).serialized() == F.dtc)   // NOPs dropped
    }

    @Test func roundTripIsStableAndDeterministic() throws {
        var raw = RawDTB.minimal { r in
            r.begin(bytes: [0x6e, 0xff, 0x40, 0x31])        // "n\xff@1": not UTF-8, kept as bytes
            r.prop("empty", [])
            r.prop("odd", [1, 2, 3, 4, 5])
            r.prop("\u{e9}t\u{e9}", [9])
            r.begin("deeper")
            r.prop("odd", [6])
            r.end()
            r.end()
        }
        raw.reservations = [FDTRegion(address: 0x1000, size: 0x2000), FDTRegion(address: 0xffff_0000_0000, size: 1)]
        raw.bootCPU = 0x101
        let tree = try F.parse(raw.blob())
        let first = try tree.serialized()
        let second = try tree.serialized()
        #expect(first == second)
        let again = try F.parse(first)
        #expect(again == tree)
        #expect(try again.serialized() == first)
        #expect(again.bootCpuidPhys == 0x101 && again.reservations.count == 2)
        let node = try #require(again.root.children.first)
        #expect(node.name.kernelBytes == [0x6e, 0xff, 0x40, 0x31])
        #expect(node.property(named: "empty")?.value == [])
        #expect(node.property(named: "odd")?.value == [1, 2, 3, 4, 5])
        #expect(node.children.first?.property(named: "odd")?.value == [6])
        #expect(first == raw.blob())            // RawDTB without NOPs lays out and shares names as the writer does
        let header = try #require(first.withUnsafeBytes { FDTHeader(BigEndianReader($0)) })
        #expect(header.magic == 0xd00d_feed && header.version == 17 && header.lastCompVersion == 16)
        #expect(Int(header.totalSize) == first.count && header.offMemRsvmap == 40)
        #expect(header.offDtStruct == 40 + 3 * 16 && header.bootCpuidPhys == 0x101)
        let strings = first[Int(header.offDtStrings)...]
        #expect(Array(strings) == Array("model\0empty\0odd\0\u{e9}t\u{e9}\0".utf8))
    }

    @Test func headerFieldsAreAtTheirOffsets() throws {
        let header = FDTHeader(totalSize: 0x0102_0304, offDtStruct: 2, offDtStrings: 3, offMemRsvmap: 4,
                               bootCpuidPhys: 5, sizeDtStrings: 6, sizeDtStruct: 7)
        let bytes = header.encoded
        #expect(bytes.count == 40)
        #expect(Array(bytes[0..<8]) == [0xd0, 0x0d, 0xfe, 0xed, 1, 2, 3, 4])
        #expect(bytes.withUnsafeBytes { r in [8, 12, 16, 20, 24, 28, 32, 36].map { BigEndianReader(r).u32($0)! } } == [2, 3, 4, 17, 16, 5, 6, 7])
        #expect(bytes.withUnsafeBytes { FDTHeader(BigEndianReader($0)) } == header)
        #expect(bytes.dropLast().withUnsafeBytes { FDTHeader(BigEndianReader($0)) } == nil)
        #expect(bytes.withUnsafeBytes { BigEndianReader($0).u64(33) } == nil)
        #expect(bytes.withUnsafeBytes { BigEndianReader($0).u64(-1) } == nil)
    }

    /// Every malformed blob is refused with one line naming the field or token.
    @Test(arguments: [
        ("empty", [], "size", "0 bytes"),
        ("short header", Array(F.dtc.prefix(39)), "size", "39 bytes; a DTB starts with a 40-byte header"),
        ("bad magic", F.raw().blob { $0.putBigEndian(0xd00d_feee, at: 0) }, "magic", "found 0xd00dfeee"),
        ("totalsize past the buffer", Array(F.dtc.dropLast()), "totalsize", "is 660 but the blob has 659 bytes"),
        ("totalsize below the header", F.raw().blob { $0.putBigEndian(20, at: 4) }, "totalsize", "is 20"),
        ("version 16", F.raw().blob { $0.putBigEndian(16, at: 20) }, "version", "is 16; expected 17 or newer"),
        ("needs version 18", F.raw().blob { $0.putBigEndian(18, at: 24) }, "last_comp_version", "is 18"),
        ("struct block past totalsize", F.raw().blob { $0.putBigEndian(0x1000, at: 36) }, "off_dt_struct", "of 4096 bytes ends at"),
        ("struct block in the header", F.raw().blob { $0.putBigEndian(8, at: 8) }, "off_dt_struct", "the block at 0x8"),
        ("strings block past totalsize", F.raw().blob { $0.putBigEndian(0xffff_fff0, at: 12) }, "off_dt_strings", "ends at 0x1"),
        ("reservations unterminated", RawDTB.minimal().blob { $0.putBigEndian(UInt32($0.count - 8), at: 16) },
         "off_mem_rsvmap", "has no {0, 0} entry"),
        ("unterminated node name", { var r = RawDTB(); r.token(1); r.structs += Array("abcd".utf8); return r.blob() }(),
         "node name", "has no NUL before the end of the structure block"),
        ("property past the block", { var r = RawDTB(); r.begin(""); r.token(3); r.token(1000); r.token(0); r.finish(); return r.blob() }(),
         "FDT_PROP", "has len 1000"),
        ("property header cut", { var r = RawDTB(); r.begin(""); r.token(3); r.token(4); return r.blob() }(),
         "FDT_PROP", "cut off by the end of the structure block"),
        ("nameoff past the strings", { var r = RawDTB(); r.begin(""); r.token(3); r.token(0); r.token(0x1000); r.end(); r.finish(); return r.blob() }(),
         "FDT_PROP", "nameoff 0x1000"),
        ("name without NUL in the strings", RawDTB.minimal { $0.strings += Array("xyz".utf8); $0.token(3); $0.token(0); $0.token(6) }.blob(),
         "FDT_PROP", "nameoff 0x6 with no NUL-terminated name"),
        ("empty property name", RawDTB.minimal { $0.strings += [0]; $0.token(3); $0.token(0); $0.token(6) }.blob(),
         "property name", "expected a non-empty name"),
        ("missing FDT_END", { var r = RawDTB(); r.begin(""); r.end(); return r.blob() }(), "FDT_END", "without FDT_END"),
        ("FDT_END inside a node", { var r = RawDTB(); r.begin(""); r.begin("a"); r.end(); r.finish(); return r.blob() }(),
         "FDT_END", "comes inside /;"),
        ("FDT_END before the root", { var r = RawDTB(); r.nop(); r.finish(); return r.blob() }(), "FDT_END", "before the root node"),
        ("stray FDT_END_NODE", { var r = RawDTB(); r.end(); r.finish(); return r.blob() }(), "FDT_END_NODE", "closes no open node"),
        ("property outside nodes", { var r = RawDTB(); r.prop("a", []); r.finish(); return r.blob() }(), "FDT_PROP", "outside any node"),
        ("unknown token", RawDTB.minimal { $0.token(7) }.blob(), "structure block", "unknown token 0x7 at struct offset 0x18 inside /"),
        ("second root", { var r = RawDTB(); r.begin(""); r.end(); r.begin(""); r.end(); r.finish(); return r.blob() }(),
         "FDT_BEGIN_NODE", "opens a second root node"),
        ("empty child name", RawDTB.minimal { $0.begin(""); $0.end() }.blob(), "node name", "\"\" at struct offset 0x18 inside /"),
        ("slash in a name", RawDTB.minimal { $0.begin("a/b"); $0.end() }.blob(), "node name", "\"a/b\""),
        ("65 levels", RawDTB.minimal { r in for _ in 0..<64 { r.begin("n") }; for _ in 0..<64 { r.end() } }.blob(),
         "FDT_BEGIN_NODE", "nests deeper than 64 levels inside /n/n/n"),
    ] as [(String, [UInt8], String, String)])
    func rejects(_ name: String, _ blob: [UInt8], _ field: String, _ phrase: String) {
        expectRefusal(name, field: field, phrase) { _ = try F.parse(blob) }
    }

    @Test func limitsAreConfigurable() throws {
        let sixNodes = F.dtc
        #expect(try F.parse(sixNodes, limits: FDTLimits(maxDepth: 2, maxNodes: 6)).root.children.count == 5)
        expectRefusal("nodes", field: "FDT_BEGIN_NODE", "is node 6; expected at most 5 nodes") {
            _ = try F.parse(sixNodes, limits: FDTLimits(maxDepth: 2, maxNodes: 5))
        }
        expectRefusal("depth", field: "FDT_BEGIN_NODE", "nests deeper than 1 levels inside /") {
            _ = try F.parse(sixNodes, limits: FDTLimits(maxDepth: 1, maxNodes: 6))
        }
    }

    /// Trailing bytes past totalsize belong to whoever holds the buffer, not to the blob.
    @Test func ignoresBytesPastTotalsize() throws {
        #expect(try F.parse(F.dtc + [0xde, 0xad, 0xbe, 0xef]) == F.parse(F.dtc))
    }

    /// A fuzzing pass in miniature: every byte of a real blob corrupted in turn must give
    /// either a one-line refusal or a tree the writer can write and the reader read back.
    @Test func corruptedBlobsNeverTrap() throws {
        var refused = 0, read = 0
        for at in 0..<F.dtc.count {
            for flip: UInt8 in [0xff, 0x01, 0x80] {
                var blob = F.dtc
                blob[at] ^= flip
                do {
                    let tree = try F.parse(blob)
                    #expect(try F.parse(tree.serialized()) == tree, "byte \(at)")
                    read += 1
                } catch let error as KexecError {
                    #expect(error.field != nil && !error.description.contains("\n"), "byte \(at): \(error)")
                    refused += 1
                }
            }
        }
        #expect(refused > 100 && read > 100)
    }
}

@Suite("FDT editing")
struct FDTEditingTests {
    typealias F = FDTFixture

    /// What the next kernel's /chosen gets: replaced bootargs, initrd bounds, seeds, the
    /// crash kernel's ranges; values come back from the written blob.
    @Test func buildsChosen() throws {
        var tree = try F.parse(F.dtc)
        let cells = try tree.root.childCellCounts()
        try tree.updateNode(at: "/chosen") { chosen throws(KexecError) in
            try chosen.setString("bootargs", "console=ttyAMA0 root=/dev/vda")
            try chosen.setU64("linux,initrd-start", 0x4800_0000)
            try chosen.setU64("linux,initrd-end", 0x4820_0000)
            try chosen.setU64("kaslr-seed", 0x0123_4567_89ab_cdef)
            try chosen.setProperty("rng-seed", [UInt8](repeating: 0x5a, count: 64))
            try chosen.setRegions("linux,elfcorehdr", [FDTRegion(address: 0x9000_0000, size: 0x1000)], cells: cells)
            try chosen.setRegions("linux,usable-memory-range", [FDTRegion(address: 0x8000_0000, size: 0x1000_0000)], cells: cells)
            let removed = chosen.removeProperty(named: "stdout-path"), again = chosen.removeProperty(named: "stdout-path")
            #expect(removed && !again)
        }
        let chosen = try #require(try F.parse(tree.serialized()).node(at: "/chosen"))
        #expect(chosen.properties.map(\.name) == ["bootargs", "linux,initrd-start", "linux,initrd-end", "kaslr-seed", "rng-seed",
                                                  "linux,elfcorehdr", "linux,usable-memory-range"])
        #expect(chosen.string("bootargs") == "console=ttyAMA0 root=/dev/vda")
        #expect(chosen.property(named: "bootargs")?.value.last == 0)
        #expect(chosen.u64("linux,initrd-start") == 0x4800_0000 && chosen.u64("linux,initrd-end") == 0x4820_0000)
        #expect(chosen.property(named: "linux,initrd-start")?.value == [0, 0, 0, 0, 0x48, 0, 0, 0])
        #expect(chosen.property(named: "kaslr-seed")?.value == [0x01, 0x23, 0x45, 0x67, 0x89, 0xab, 0xcd, 0xef])
        #expect(chosen.property(named: "rng-seed")?.value.count == 64)
        #expect(try chosen.regions("linux,elfcorehdr", cells: cells) == [FDTRegion(address: 0x9000_0000, size: 0x1000)])
        #expect(chosen.cells("linux,usable-memory-range") == [0, 0x8000_0000, 0, 0x1000_0000])
    }

    @Test func createsMissingNodes() throws {
        var tree = FlattenedDeviceTree()
        #expect(tree.node(at: "/chosen") == nil)
        expectRefusal("absent", field: "path", "there is no node \"chosen\"") {
            try tree.updateNode(at: "/chosen") { _ in }
        }
        try tree.updateNode(at: "/chosen", creatingMissing: true) { chosen throws(KexecError) in
            try chosen.setU32("linux,initrd-start", 0x4800_0000)
        }
        try tree.updateNode(at: "/a/b@1/", creatingMissing: true) { _ in }
        #expect(tree.root.children.map(\.name) == ["chosen", "a"])
        #expect(tree.node(at: "/a/b")?.name == "b@1")
        #expect(tree.node(at: "/chosen")?.u32("linux,initrd-start") == 0x4800_0000)
        #expect(tree.node(at: "/chosen")?.u64("linux,initrd-start") == nil)   // 4 bytes, not 8
        let written = try tree.serialized()
        #expect(try F.parse(written) == tree)
        expectRefusal("relative", field: "path", "expected an absolute path") {
            try tree.updateNode(at: "chosen", creatingMissing: true) { _ in }
        }
    }

    /// A replaced property keeps its place; a duplicate left by the blob goes.
    @Test func setReplacesInPlace() throws {
        var node = FDTNode(name: "chosen", properties: [
            FDTProperty(name: "bootargs", value: [0x61, 0]), FDTProperty(name: "x", value: [1]), FDTProperty(name: "bootargs", value: [0x62, 0]),
        ])
        try node.setString("bootargs", "quiet")
        #expect(node.properties.map(\.name) == ["bootargs", "x"])
        #expect(node.string("bootargs") == "quiet")
        try node.setCells("x", [1, 2])
        #expect(node.cells("x") == [1, 2] && node.u64("x") == 0x1_0000_0002)
    }

    @Test func refusesWhatABlobCannotCarry() throws {
        var node = FDTNode(name: "chosen")
        expectRefusal("NUL in bootargs", field: "property bootargs", "holds a NUL") { try node.setString("bootargs", "a\0b") }
        expectRefusal("empty name", field: "property name", "expected a non-empty name") { try node.setProperty("", [1]) }
        expectRefusal("one cell", field: "property reg", "0x100000000 does not fit in 1 cell") {
            try node.setRegions("reg", [FDTRegion(address: 0x1_0000_0000, size: 1)], cells: FDTCellCounts(address: 1, size: 1))
        }
        expectRefusal("three cells", field: "property reg", "uses 3 address and 2 size cells") {
            try node.setRegions("reg", [], cells: FDTCellCounts(address: 3, size: 2))
        }
        #expect(node.properties.isEmpty)
        let slash = FlattenedDeviceTree(root: FDTNode(name: "", children: [FDTNode(name: "a/b")]))
        expectRefusal("slash", field: "node name", "\"a/b\"") { _ = try slash.serialized() }
        let nul = FlattenedDeviceTree(root: FDTNode(name: "", properties: [FDTProperty(name: "a\0", value: [])]))
        expectRefusal("NUL in a property name", field: "property name", "without NUL") { _ = try nul.serialized() }
        var tree = FlattenedDeviceTree()
        expectRefusal("creating a name with NUL", field: "node name", "in path") {
            try tree.updateNode(at: "/a/\u{0}", creatingMissing: true) { _ in }
        }
        #expect(tree.root.children.isEmpty)                                // nothing created on the way
    }
}

@Suite("FDT memory nodes")
struct FDTMemoryTests {
    typealias F = FDTFixture

    /// memory@… nodes and device_type "memory" count; a disabled one does not.
    @Test func readsMemoryReg() throws {
        #expect(try F.parse(F.dtc).memoryRegions() == [FDTRegion(address: 0x4000_0000, size: 0x8000_0000),
                                                       FDTRegion(address: 0x1_0000_0000, size: 0x4000_0000)])
        let tree = try F.parse(RawDTB.minimal { r in
            r.prop("#address-cells", cells: [1])
            r.prop("#size-cells", cells: [1])
            r.begin("ram")
            r.prop("device_type", string: "memory")
            r.prop("status", string: "okay")
            r.prop("reg", cells: [0x8000_0000, 0x1000, 0x9000_0000, 0x2000])
            r.end()
            r.begin("memory-controller")
            r.prop("reg", cells: [0x1, 0x2])
            r.end()
            r.begin("memory")
            r.end()
        }.blob())
        #expect(try tree.root.childCellCounts() == FDTCellCounts(address: 1, size: 1))
        #expect(try tree.memoryRegions() == [FDTRegion(address: 0x8000_0000, size: 0x1000), FDTRegion(address: 0x9000_0000, size: 0x2000)])
    }

    @Test func defaultCellCounts() throws {
        let tree = try F.parse(RawDTB.minimal { r in
            r.begin("memory@0")
            r.prop("reg", cells: [0, 0x1000, 0x2000])
            r.end()
        }.blob())
        #expect(try tree.root.childCellCounts() == .defaults)
        #expect(try tree.memoryRegions() == [FDTRegion(address: 0x1000, size: 0x2000)])
    }

    @Test(arguments: [
        ("reg of 12 bytes with 2+2 cells", [2, 2], [0, 0, 0], "property reg", "is 12 bytes; expected a multiple of 16"),
        ("3 address cells", [3, 2], [0, 0, 0, 0, 0], "property reg", "uses 3 address and 2 size cells"),
        ("no address cells", [0, 1], [0], "property reg", "uses 0 address and 1 size cells"),
    ] as [(String, [UInt32], [UInt32], String, String)])
    func rejectsMalformedReg(_ name: String, _ counts: [UInt32], _ reg: [UInt32], _ field: String, _ phrase: String) throws {
        let tree = try F.parse(RawDTB.minimal { r in
            r.prop("#address-cells", cells: [counts[0]])
            r.prop("#size-cells", cells: [counts[1]])
            r.begin("memory@0")
            r.prop("reg", cells: reg)
            r.end()
        }.blob())
        expectRefusal(name, field: field, phrase) { _ = try tree.memoryRegions() }
    }

    @Test func rejectsMalformedCellCounts() throws {
        let tree = try F.parse(RawDTB.minimal { $0.prop("#address-cells", [0, 2]) }.blob())
        expectRefusal("2-byte #address-cells", field: "#address-cells", "is 2 bytes; expected one u32 cell") {
            _ = try tree.memoryRegions()
        }
    }
}
