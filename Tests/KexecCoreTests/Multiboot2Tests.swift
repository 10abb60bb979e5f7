import Foundation
import Testing
@testable import KexecCore
@testable import KexecSystem

/// Synthetic multiboot2 kernels: the ELF32 fixture with a multiboot2 header at 0x100.
enum MB2Fixture {
    struct Tag { var type: UInt16; var optional = false; var words: [UInt32] = [] }

    static func kernel(_ tags: [Tag], edit: (inout [UInt8]) -> Void = { _ in }) -> [UInt8] {
        var b = ElfFixture.multibootELF32()
        b.store(UInt32(0), at: 0x100)                     // drop the v1 header
        var body: [UInt8] = []
        for t in tags + [Tag(type: 0)] {
            var tag = [UInt8](repeating: 0, count: 8 + t.words.count * 4)
            tag.store(t.type, at: 0)
            tag.store(UInt16(t.optional ? 1 : 0), at: 2)
            tag.store(UInt32(tag.count), at: 4)
            for (i, w) in t.words.enumerated() { tag.store(w, at: 8 + i * 4) }
            body += tag + [UInt8](repeating: 0, count: (8 - tag.count % 8) % 8)
        }
        let length = UInt32(16 + body.count)
        b.store(Multiboot2Header.magic, at: 0x100)
        b.store(UInt32(0), at: 0x104)
        b.store(length, at: 0x108)
        b.store(0 &- (Multiboot2Header.magic &+ length), at: 0x10c)
        b.store(bytes: body, at: 0x110)
        edit(&b)
        return b
    }

    /// Information tags by type (first of each; modules in order under 3).
    static func tags(_ info: [UInt8]) -> [(UInt32, [UInt8])] {
        var out: [(UInt32, [UInt8])] = []
        var at = 8
        while at + 8 <= info.count {
            let type = info.u32(at), size = Int(info.u32(at + 4))
            if type == 0 { break }
            out.append((type, Array(info[(at + 8)..<(at + size)])))
            at += (size + 7) & ~7
        }
        return out
    }
}

@Suite("Multiboot2 kernels")
struct Multiboot2Tests {
    typealias T = MB2Fixture.Tag
    static let rsdp: [UInt8] = {
        var r = [UInt8](repeating: 0, count: 36)
        r.store(bytes: Array("RSD PTR ".utf8), at: 0)
        r[15] = 2
        r.store(UInt32(0x7ffe_1000), at: 16)
        r.store(UInt32(36), at: 20)
        r.store(UInt64(0x7ffe_2000), at: 24)
        r[8] = 0 &- r[0..<20].reduce(0, &+)
        r[32] = 0 &- r[0..<36].reduce(0, &+)
        return r
    }()

    func host(rsdp: Bool = true) -> HostInfo {
        var h = Fixture.host()
        if rsdp { h.acpiRSDPTable = Self.rsdp }
        h.efiSystemTable = 0x7fe0_0000
        return h
    }

    @Test func relocatesHighAndReportsEverything() throws {
        let kernel = MB2Fixture.kernel([T(type: 1, words: [4, 6, 14, 15]), T(type: 6),
                                        T(type: 10, optional: true, words: [0x20_0000, 0xffff_ffff, 0x20_0000, 2]),
                                        T(type: 5, optional: true, words: [0, 0, 0])])
        let plan = try Multiboot2X86Loader().plan(ElfFixture.request(kernel, path: "/boot/xen", commandLine: "dom0_mem=1G",
                                                                     modules: [("/boot/vmlinuz ro", [UInt8](repeating: 3, count: 9000))]),
                                                  host: host())
        let k = try #require(plan.segments.first { $0.role == .kernel })
        // preference 2: the highest 2 MiB-aligned place that fits below the top of RAM (0x7ffe0000)
        #expect(k.memory.start == 0x7fe0_0000 && k.memory.size == 0x8000)
        #expect(plan.kernelEntry == 0x7fe0_0010)
        let info = Array(try #require(plan.segments.first { $0.role == .bootParams }?.data).raw)
        #expect(Int(info.u32(0)) == info.count)
        let tags = MB2Fixture.tags(info)
        func tag(_ t: UInt32) -> [UInt8]? { tags.first { $0.0 == t }?.1 }
        #expect(tags.map(\.0) == [21, 1, 2, 3, 4, 6, 14, 15, 11])
        #expect(try #require(tag(21)).u32(0) == 0x7fe0_0000)
        #expect(String(decoding: try #require(tag(1)).dropLast(), as: UTF8.self) == "/boot/xen dom0_mem=1G")
        #expect(String(decoding: try #require(tag(2)).dropLast(), as: UTF8.self) == "swift-kexec")
        let module = try #require(tag(3)), m = try #require(plan.segments.first { $0.role == .module })
        #expect(UInt64(module.u32(0)) == m.memory.start && UInt64(module.u32(4)) == m.memory.start + 9000)
        #expect(String(decoding: module[8...].dropLast(), as: UTF8.self) == "/boot/vmlinuz ro")
        #expect(try #require(tag(4)).u32(0) == 639 && tag(4)!.u32(4) == (0x7ffe_0000 - 0x10_0000) >> 10)
        let mmap = try #require(tag(6))
        #expect(mmap.u32(0) == 24 && mmap.u32(4) == 0 && (mmap.count - 8) / 24 == 6)
        #expect(mmap.u64(8) == 0 && mmap.u64(16) == 0x9fc00 && mmap.u32(24) == 1)
        #expect(tag(15) == Self.rsdp && tag(14) == Array(Self.rsdp[0..<20]))
        #expect(try #require(tag(11)).u64(0) == 0x7fe0_0000)
        let p = try ElfFixture.params(plan)
        #expect(p.u64(0) == 0x36d7_6289 && p.u64(8) == plan.bootParamsAddress && p.u32(72) == 2)
        try SegmentRules.check(plan.segments, memoryMap: Fixture.memoryMap())
    }

    @Test func addressAndEntryTagsWinWithoutRelocation() throws {
        let kernel = MB2Fixture.kernel([T(type: 2, words: [0x40_0100, 0x40_0000, 0x40_2000, 0x40_4000]), T(type: 3, words: [0x40_0400])])
        let plan = try Multiboot2X86Loader().plan(ElfFixture.request(kernel), host: host(rsdp: false))
        let k = try #require(plan.segments.first { $0.role == .kernel })
        #expect(k.memory == PhysicalRange(start: 0x40_0000, size: 0x4000)!)
        #expect(Array(try #require(k.data).raw) == Array(kernel[0..<0x2000]))
        #expect(plan.kernelEntry == 0x40_0400)
        let info = Array(try #require(plan.segments.first { $0.role == .bootParams }?.data).raw)
        #expect(!MB2Fixture.tags(info).contains { $0.0 == 21 || $0.0 == 14 || $0.0 == 15 })
    }

    @Test(arguments: [
        ("required framebuffer", "multiboot2 tag 5: is required by the kernel but this loader cannot honour it"),
        ("requires VBE info", "multiboot2 information request: requires information type 7"),
        ("requires RSDP, none here", "requires information type 14"),
        ("tag past header", "multiboot2 tags: a tag at"),
        ("tag size 0", "test-kernel: multiboot2 tag 6: size 0 at 0x110 is too small; expected at least 8 (the tag's type, flags and size)"),
        ("tag size 4", "test-kernel: multiboot2 tag 6: size 4 at 0x110 is too small; expected at least 8"),
        ("bad checksum", "multiboot2 header: no magic 0xe85250d6"),
        ("MIPS", "multiboot2 architecture: is 4; expected 0"),
        ("relocation impossible", "multiboot2 relocatable tag: no free RAM hole"),
        ("alignment not a power of two", "align 0x300000; expected a power of two"),
        ("entry below a relocatable image", "multiboot2 entry: 0x100 is outside the relocatable image"),
        ("entry above a relocatable image", "multiboot2 entry: 0xfffffff0 is outside the relocatable image"),
    ])
    func badMultiboot2IsOneSentence(_ name: String, _ phrase: String) throws {
        var rsdp = true
        let kernel: [UInt8]
        switch name {
        case "required framebuffer": kernel = MB2Fixture.kernel([T(type: 5, words: [0, 0, 0])])
        case "requires VBE info": kernel = MB2Fixture.kernel([T(type: 1, words: [4, 7])])
        case "requires RSDP, none here": rsdp = false; kernel = MB2Fixture.kernel([T(type: 1, words: [14])])
        case "tag past header": kernel = MB2Fixture.kernel([T(type: 6)]) { $0.store(UInt32(0x400), at: 0x114) }
        case "tag size 0": kernel = MB2Fixture.kernel([T(type: 6)]) { $0.store(UInt32(0), at: 0x114) }
        case "tag size 4": kernel = MB2Fixture.kernel([T(type: 6)]) { $0.store(UInt32(4), at: 0x114) }
        case "bad checksum": kernel = MB2Fixture.kernel([]) { $0[0x10c] ^= 1 }
        case "MIPS": kernel = MB2Fixture.kernel([]) { b in
            b.store(UInt32(4), at: 0x104)
            b.store(0 &- (Multiboot2Header.magic &+ 4 &+ b.u32(0x108)), at: 0x10c)
        }
        case "relocation impossible": kernel = MB2Fixture.kernel([T(type: 10, words: [0x9000_0000, 0xa000_0000, 0x1000, 0])])
        case "entry below a relocatable image":   // found by the fuzzer: entry - low underflowed
            kernel = MB2Fixture.kernel([T(type: 3, words: [0x100]), T(type: 10, words: [0x20_0000, 0xffff_ffff, 0x20_0000, 0])])
        case "entry above a relocatable image":
            kernel = MB2Fixture.kernel([T(type: 3, words: [0xffff_fff0]), T(type: 10, words: [0x20_0000, 0xffff_ffff, 0x20_0000, 0])])
        default: kernel = MB2Fixture.kernel([T(type: 10, words: [0x20_0000, 0xffff_ffff, 0x30_0000, 0])])
        }
        let error = #expect(throws: KexecError.self) {
            try Multiboot2X86Loader().plan(ElfFixture.request(kernel), host: host(rsdp: rsdp))
        }
        #expect(error?.description.contains(phrase) == true, "\(name): \(error?.description ?? "")")
    }

    /// Debian's Xen 4.17 carries both headers: probing picks multiboot v1, -t the other.
    @Test func debianXenThroughMultiboot2() throws {
        let path = Fixture.repoRoot.appendingPathComponent("work/vm-cache/xen/xen.elf").path
        guard let bytes = FileManager.default.contents(atPath: path) else {
            Issue.record("\(path) is missing: run scripts/vm/setup.sh")
            return
        }
        let image = [UInt8](bytes)
        #expect(try image.withUnsafeBytes { try ImageLoaders.select(type: nil, image: $0, path: path).typeName } == "multiboot-x86")
        let plan = try Multiboot2X86Loader().plan(ElfFixture.request(image, path: "xen.gz", modules: [("k", [1])]), host: host())
        let k = try #require(plan.segments.first { $0.role == .kernel })
        #expect(k.memory.start % 0x20_0000 == 0 && k.memory.start > 0x20_0000 && k.memory.size == 0x3a7000)
        #expect(plan.kernelEntry == k.memory.start)
    }

    @Test func rsdpIsFoundByChecksum() throws {
        var area = [UInt8](repeating: 0, count: 0x20000)
        var v1 = Array(Self.rsdp[0..<20])
        v1[15] = 0
        v1[8] = 0
        v1[8] = 0 &- v1.reduce(0, &+)
        area.store(bytes: Array("RSD PTR ".utf8) + [1, 2, 3], at: 0x100)   // bad checksum: skipped
        area.store(bytes: v1, at: 0x15a00)
        #expect(ACPIRSDP.scan(area) == v1)
        area.store(bytes: Self.rsdp, at: 0x800)
        #expect(ACPIRSDP.scan(area) == Self.rsdp)
        var broken = Self.rsdp
        broken[30] ^= 1                                   // extended checksum now wrong
        #expect(ACPIRSDP.parse(broken[...]) == nil)
    }

    @Test func hostProbeReadsRSDPAndEFITableFromFixtures() throws {
        let root = NSTemporaryDirectory() + "kexec-mb2-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: root + "/dev", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/sys/kernel/boot_params", withIntermediateDirectories: true)
        var mem = [UInt8](repeating: 0, count: 0x10_0000)
        mem.store(bytes: Self.rsdp, at: 0xf_5a00)
        try Data(mem).write(to: URL(fileURLWithPath: root + "/dev/mem"))
        var bp = [UInt8](repeating: 0, count: 4096)
        bp.store(bytes: Array("EL64".utf8), at: 0x1c0)
        bp.store(UInt32(0x7fe0_1018), at: 0x1c4)
        bp.store(UInt32(1), at: 0x1d8)
        try Data(bp).write(to: URL(fileURLWithPath: root + "/sys/kernel/boot_params/data"))
        let probe = HostProbe(files: SystemFiles(root: root))
        #expect(HostProbe.efiSystemTable(bp) == 0x1_7fe0_1018)
        let info = probe.withFirmwareTables(Fixture.host())
        #expect(info.acpiRSDPTable == Self.rsdp)
    }
}
