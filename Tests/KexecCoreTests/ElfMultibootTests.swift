import Foundation
import Testing
@testable import KexecCore
@testable import KexecSystem

/// Synthetic ELF executables and multiboot kernels.
enum ElfFixture {
    struct Load { var paddr: UInt64; var vaddr: UInt64? = nil; var offset: UInt64; var filesz: UInt64; var memsz: UInt64 }

    static func elf64(_ loads: [Load], entry: UInt64, size: Int = 0x6000, type: UInt16 = 2, machine: UInt16 = 62,
                      edit: (inout [UInt8]) -> Void = { _ in }) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: size)
        for i in 0x1000..<size { b[i] = UInt8(truncatingIfNeeded: i &* 7) }
        var h = ELF64Header(type: type, machine: machine)
        h.entry = entry
        h.programHeaderOffset = 64
        h.programHeaderCount = UInt16(loads.count)
        h.encode(into: &b, at: 0)
        for (i, l) in loads.enumerated() {
            ELF64ProgramHeader(type: ELF.PT_LOAD, offset: l.offset, virtualAddress: l.vaddr ?? l.paddr, physicalAddress: l.paddr,
                               fileSize: l.filesz, memorySize: l.memsz).encode(into: &b, at: 64 + i * 56)
        }
        edit(&b)
        return b
    }

    /// An ELF32 i386 executable with a multiboot header at 0x100 (flags as given).
    static func multibootELF32(flags: UInt32 = 0x3, paddr: UInt32 = 0x20_0000, size: Int = 0x5000,
                               edit: (inout [UInt8]) -> Void = { _ in }) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: size)
        for i in 0x200..<size { b[i] = UInt8(truncatingIfNeeded: i &* 13) }
        b.store(bytes: ELF.magic, at: 0)
        b[4] = 1; b[5] = 1; b[6] = 1
        b.store(UInt16(2), at: 16)                 // ET_EXEC
        b.store(UInt16(3), at: 18)                 // EM_386
        b.store(paddr + 0x10, at: 24)              // e_entry
        b.store(UInt32(52), at: 28)                // e_phoff
        b.store(UInt16(32), at: 42)                // e_phentsize
        b.store(UInt16(1), at: 44)                 // e_phnum
        b.store(UInt32(1), at: 52)                 // PT_LOAD
        b.store(UInt32(0x200), at: 56)             // p_offset
        b.store(paddr, at: 60)
        b.store(paddr, at: 64)
        b.store(UInt32(size - 0x200), at: 68)      // p_filesz
        b.store(UInt32(size - 0x200 + 0x3000), at: 72) // p_memsz (with bss)
        header(&b, at: 0x100, flags: flags)
        edit(&b)
        return b
    }

    static func header(_ b: inout [UInt8], at: Int, flags: UInt32) {
        b.store(MultibootHeader.magic, at: at)
        b.store(flags, at: at + 4)
        b.store(0 &- (MultibootHeader.magic &+ flags), at: at + 8)
    }

    static func request(_ bytes: [UInt8], path: String = "test-kernel", initrd: [UInt8]? = nil, commandLine: String = "console=ttyS0",
                        modules: [(String, [UInt8])] = [], style: ElfArgumentStyle = .linux) -> LoadRequest {
        var r = LoadRequest(kernelPath: path, kernel: ByteStorage(bytes).all, initrdPath: initrd.map { _ in "test-initrd" },
                            initrd: initrd.map { ByteStorage($0).all }, commandLine: commandLine)
        r.elfArguments = style
        r.modules = modules.map { BootModule(path: String($0.0.split(separator: " ")[0]), data: ByteStorage($0.1).all, string: $0.0) }
        return r
    }

    static func params(_ plan: LoadPlan) throws -> [UInt8] {
        let pg = try #require(plan.segments.first { $0.role == .purgatory }?.data)
        return Array(Array(pg.raw)[PurgatoryBlob.paramsOffset..<(PurgatoryBlob.paramsOffset + PurgatoryParameters.size)])
    }
}

@Suite("ELF x86_64 kernels")
struct ElfLoaderTests {
    typealias L = ElfFixture.Load
    let vmlinux = ElfFixture.elf64([L(paddr: 0x100_0000, vaddr: 0xffff_ffff_8100_0000, offset: 0x1000, filesz: 0x2000, memsz: 0x2000),
                                    L(paddr: 0x120_0000, offset: 0x3000, filesz: 0x1000, memsz: 0x5000)],
                                   entry: 0x100_0000)

    static func elfEdit(_ name: String, _ b: inout [UInt8]) {
        switch name {
        case "not ELF":
            b[0] = 0
        case "ELF32":
            b[4] = 1
        case "big-endian":
            b[5] = 2
        case "ET_DYN":
            b.store(UInt16(3), at: 16)
        case "i386":
            b.store(UInt16(3), at: 18)
        case "phdrs past EOF":
            b.store(UInt64(0x5ff0), at: 32)
        case "filesz > memsz":
            b.store(UInt64(0x3000), at: 64 + 32)
        case "data past EOF":
            b.store(UInt64(0x5800), at: 64 + 8)
        case "overlap":
            b.store(UInt64(0x100_1000), at: 120 + 24)
        case "entry outside":
            b.store(UInt64(0x900_0000), at: 24)
        case "no PT_LOAD":
            b.store(UInt32(4), at: 64); b.store(UInt32(4), at: 120)
        case "outside RAM":
            b.store(UInt64(0x9000_0000), at: 120 + 24)
        case "low memory":
            b.store(UInt64(0x8000), at: 120 + 24)
        case "address overflow":
            b.store(UInt64.max - 0x10, at: 120 + 24)
        case "e_phentsize 64":
            b.store(UInt16(64), at: 54)
        case "memsz 0 with file bytes":
            b.store(UInt64(0), at: 120 + 40)
        default: Issue.record("unknown edit \(name)")
        }
    }

    @Test func argsLinuxPlacesPTLoadsAtTheirAddressesWithBootParams() throws {
        let storage = ByteStorage(vmlinux)
        var request = ElfFixture.request(vmlinux, initrd: [UInt8](repeating: 9, count: 10_000), commandLine: "console=ttyS0 x=1")
        request.kernel = storage.all
        let plan = try ElfX86_64Loader().plan(request, host: Fixture.host())
        let kernels = plan.segments.filter { $0.role == .kernel }
        #expect(kernels.map(\.memory) == [PhysicalRange(start: 0x100_0000, size: 0x2000)!, PhysicalRange(start: 0x120_0000, size: 0x5000)!])
        // The file bytes are referenced, not copied.
        #expect(kernels[0].data?.storage === storage && kernels[0].data?.offset == 0x1000 && kernels[0].data?.count == 0x2000)
        #expect(kernels[1].data?.count == 0x1000)
        let bp = Array(try #require(plan.segments.first { $0.role == .bootParams }?.data).raw)
        #expect(bp.u32(0x202) == 0x5372_6448 && bp.u16(0x206) == 0x020f && bp[0x210] == 0xD0)
        #expect(bp.u32(0x238) == 2047)
        let rd = try #require(plan.segments.first { $0.role == .initrd })
        #expect(UInt64(bp.u32(0x218)) == rd.memory.start && bp.u32(0x21c) == 10_000)
        let cmdline = UInt64(bp.u32(0x228)) - plan.bootParamsAddress
        #expect(Array(bp[Int(cmdline)..<Int(cmdline) + 17]) == Array("console=ttyS0 x=1".utf8))
        let p = try ElfFixture.params(plan)
        #expect(p.u64(64) == 0x100_0000 && p.u64(32) == plan.bootParamsAddress && p.u32(72) == 0)
        try SegmentRules.check(plan.segments, memoryMap: Fixture.memoryMap())
    }

    @Test func virtualEntryIsTranslatedAndArgsNonePassesNothing() throws {
        let image = ElfFixture.elf64([L(paddr: 0x100_0000, vaddr: 0xffff_ffff_8100_0000, offset: 0x1000, filesz: 0x1000, memsz: 0x1000)],
                                     entry: 0xffff_ffff_8100_0040)
        let plan = try ElfX86_64Loader().plan(ElfFixture.request(image, commandLine: "", style: .none), host: Fixture.host())
        #expect(plan.kernelEntry == 0x100_0040)
        #expect(!plan.segments.contains { $0.role == .bootParams })
        let p = try ElfFixture.params(plan)
        #expect(p.u64(64) == 0x100_0040 && p.u64(32) == 0)
        #expect(throws: KexecError.self) {
            try ElfX86_64Loader().plan(ElfFixture.request(image, commandLine: "x", style: .none), host: Fixture.host())
        }
    }

    @Test func ptLoadsSharingAPageAreMerged() throws {
        let image = ElfFixture.elf64([L(paddr: 0x100_0000, offset: 0x1000, filesz: 0x800, memsz: 0x900),
                                      L(paddr: 0x100_0a00, offset: 0x2000, filesz: 0x100, memsz: 0x100)], entry: 0x100_0000)
        let plan = try ElfX86_64Loader().plan(ElfFixture.request(image), host: Fixture.host())
        let k = try #require(plan.segments.first { $0.role == .kernel })
        #expect(plan.segments.filter { $0.role == .kernel }.count == 1)
        let data = Array(try #require(k.data).raw)
        #expect(k.memory == PhysicalRange(start: 0x100_0000, size: 0x1000)!)
        #expect(data.count == 0xb00)
        #expect(Array(data[0..<0x800]) == Array(image[0x1000..<0x1800]))
        #expect(data[0x800..<0xa00].allSatisfy { $0 == 0 })
        #expect(Array(data[0xa00..<0xb00]) == Array(image[0x2000..<0x2100]))
    }

    @Test(arguments: [
        ("not ELF", "e_ident: no ELF magic"),
        ("ELF32", "e_ident[EI_CLASS]: is 1; expected 2"),
        ("big-endian", "e_ident[EI_DATA]: is 2; expected 1"),
        ("ET_DYN", "e_type: is 3; expected 2"),
        ("i386", "e_machine: is 3; expected 62"),
        ("phdrs past EOF", "e_phoff:"),
        ("filesz > memsz", "PT_LOAD 0: p_filesz 0x3000 exceeds p_memsz 0x2000"),
        ("data past EOF", "run past the end of the 24576-byte file"),
        ("overlap", "overlap"),
        ("entry outside", "e_entry: 0x9000000 lies outside every PT_LOAD"),
        ("no PT_LOAD", "no PT_LOAD segment"),
        ("outside RAM", "PT_LOAD [0x90000000-0x90004fff]: expected System RAM above 1 MiB"),
        ("low memory", "PT_LOAD [0x8000-0xcfff]: expected System RAM above 1 MiB"),
        ("address overflow", "overflows 64 bits"),
        ("e_phentsize 64", "test-kernel: e_phentsize: is 64; expected 56 (the size of a program header)"),
        ("memsz 0 with file bytes", "test-kernel: PT_LOAD 1: p_filesz 0x1000 exceeds p_memsz 0x0; expected p_memsz at least p_filesz"),
    ])
    func badELFIsOneSentence(_ name: String, _ phrase: String) throws {
        var image = vmlinux
        Self.elfEdit(name, &image)
        let error = #expect(throws: KexecError.self) {
            try ElfX86_64Loader().plan(ElfFixture.request(image), host: Fixture.host())
        }
        #expect(error?.description.contains(phrase) == true, "\(name): \(error?.description ?? "")")
        #expect(error?.file == "test-kernel", "\(name)")
    }

    static let reservation = PhysicalRange(start: 0x3000_0000, size: 0x1000_0000)!

    static func crash(_ reservations: [PhysicalRange] = [reservation]) -> CrashInputs {
        CrashInputs(reservations: reservations,
                    layout: CrashDumpLayout(cpuNotes: [PhysicalRange(start: 0x7f00_0000, size: 0x400)!], vmcoreinfoNotes: [],
                                            kernelText: nil, memory: Fixture.memoryMap().ram, pageOffset: 0))
    }

    /// kdump with a vmlinux: the PT_LOADs move together (offsets kept) to a 2 MiB-aligned
    /// address in the reservation, the entry with them; everything else as for a bzImage.
    @Test func crashLoadMovesPTLoadsIntoTheReservation() throws {
        var request = ElfFixture.request(vmlinux, initrd: [UInt8](repeating: 9, count: 10_000), commandLine: "console=ttyS0")
        request.crash = Self.crash()
        let plan = try ElfX86_64Loader().plan(request, host: Fixture.host())
        #expect(plan.crash)
        for s in plan.segments { #expect(Self.reservation.contains(s.memory), "\(s.role) \(s.memory)") }
        let kernels = plan.segments.filter { $0.role == .kernel }.sorted { $0.memory.start < $1.memory.start }
        #expect(kernels.count == 2 && kernels[0].memory.start % (2 << 20) == 0)
        #expect(kernels[1].memory.start - kernels[0].memory.start == 0x20_0000)       // 0x1200000 - 0x1000000
        #expect(plan.kernelEntry == kernels[0].memory.start)                          // entry 0x1000000 moved along
        let header = try #require(plan.segments.first { $0.role == .elfCoreHeader })
        #expect(plan.commandLine == "console=ttyS0 elfcorehdr=\(header.memory.start >> 10)K")
        #expect(Set(plan.segments.map(\.role)) == [.kernel, .initrd, .bootParams, .purgatory, .elfCoreHeader, .backup])
        let p = try ElfFixture.params(plan)
        #expect(p.u64(64) == plan.kernelEntry && p.u64(32) == plan.bootParamsAddress)
        try SegmentRules.check(plan.segments, memoryMap: Fixture.memoryMap())
    }

    @Test func crashLoadRefusals() throws {
        var request = ElfFixture.request(vmlinux, commandLine: "", style: .none)
        request.crash = Self.crash()
        let none = #expect(throws: KexecError.self) { try ElfX86_64Loader().plan(request, host: Fixture.host()) }
        #expect(none?.description.contains("--args-none: a capture kernel needs boot_params") == true, "\(none?.description ?? "")")
        // A reservation smaller than the PT_LOADs' span (0x205000 bytes): both sizes named.
        request = ElfFixture.request(vmlinux)
        request.crash = Self.crash([PhysicalRange(start: 0x3000_0000, size: 0x20_0000)!])
        let small = #expect(throws: KexecError.self) { try ElfX86_64Loader().plan(request, host: Fixture.host()) }
        #expect(small?.description.contains("the capture kernel needs 2117632 bytes (its PT_LOADs)") == true, "\(small?.description ?? "")")
        // startup_64 needs a 2 MiB-aligned physical base, which a 1 MiB-aligned image cannot keep.
        let odd = ElfFixture.elf64([L(paddr: 0x110_0000, offset: 0x1000, filesz: 0x1000, memsz: 0x1000)], entry: 0x110_0000)
        request = ElfFixture.request(odd)
        request.crash = Self.crash()
        let unaligned = #expect(throws: KexecError.self) { try ElfX86_64Loader().plan(request, host: Fixture.host()) }
        #expect(unaligned?.description == "test-kernel: PT_LOAD: the lowest PT_LOAD is not 2 MiB aligned, so this kernel cannot run from the crash reservation",
                "\(unaligned?.description ?? "")")
    }

    @Test func probingPicksTheRightLoader() throws {
        func pick(_ b: [UInt8]) throws -> String {
            try b.withUnsafeBytes { try ImageLoaders.select(type: nil, image: $0, path: "x").typeName }
        }
        #expect(try pick(vmlinux) == "elf-x86_64")
        #expect(try pick(ElfFixture.multibootELF32()) == "multiboot-x86")
        #expect(try pick(Fixture.bzImage()) == "bzImage64")
    }
}

@Suite("Multiboot kernels")
struct MultibootTests {
    let kernel = ElfFixture.multibootELF32()

    /// The header at 0x100 with flags bit 16 and these address fields (bss_end = 0).
    static func kludge(_ b: inout [UInt8], header: UInt32, load: UInt32, end: UInt32, entry: UInt32) {
        ElfFixture.header(&b, at: 0x100, flags: 0x1_0003)
        b.store(header, at: 0x10c)
        b.store(load, at: 0x110)
        b.store(end, at: 0x114)
        b.store(UInt32(0), at: 0x118)
        b.store(entry, at: 0x11c)
    }

    static func multibootEdit(_ name: String, _ b: inout [UInt8]) {
        switch name {
        case "bad checksum":
            b[0x108] ^= 1
        case "beyond 8 KiB":
            b.store(UInt32(0), at: 0x100); ElfFixture.header(&b, at: 0x2000, flags: 3)
        case "video + unknown flag":
            ElfFixture.header(&b, at: 0x100, flags: 0xb)
        case "not ELF, no kludge":
            b[0] = 0
        case "ELF64":
            b[4] = 2
        case "load above RAM":
            b.store(UInt32(0x9000_0000), at: 64)
        case "kludge before file":
            kludge(&b, header: 0x30_0000, load: 0x20_0000, end: 0, entry: 0x20_0000)
        case "kludge load_end past EOF":
            kludge(&b, header: 0x30_0100, load: 0x30_0000, end: 0x40_0000, entry: 0x30_0000)
        case "kludge entry outside":
            kludge(&b, header: 0x30_0100, load: 0x30_0000, end: 0x30_1000, entry: 0x50_0000)
        case "e_phentsize 40":
            b.store(UInt16(40), at: 42)
        default: Issue.record("unknown edit \(name)")
        }
    }

    @Test func elf32KernelModulesAndInformation() throws {
        let mods = [("/boot/vmlinuz console=hvc0", [UInt8](repeating: 1, count: 5000)), ("/boot/initrd", [UInt8](repeating: 2, count: 4096))]
        let plan = try MultibootX86Loader().plan(ElfFixture.request(kernel, path: "/boot/xen", commandLine: "dom0_mem=512M", modules: mods),
                                                 host: Fixture.host())
        let k = try #require(plan.segments.first { $0.role == .kernel })
        #expect(k.memory == PhysicalRange(start: 0x20_0000, size: 0x8000)!)
        #expect(Array(try #require(k.data).raw) == Array(kernel[0x200...]))
        let modules = plan.segments.filter { $0.role == .module }
        #expect(modules.count == 2 && modules.allSatisfy { $0.memory.start % 4096 == 0 && $0.memory.end <= 1 << 32 })
        let infoSegment = try #require(plan.segments.first { $0.role == .bootParams })
        let info = Array(try #require(infoSegment.data).raw), base = infoSegment.memory.start
        func string(_ address: UInt32) -> String {
            let at = Int(UInt64(address) - base)
            return String(decoding: info[at...].prefix { $0 != 0 }, as: UTF8.self)
        }
        #expect(info.u32(0) == 0x24d)                        // MEM | CMDLINE | MODS | MMAP | LOADER_NAME
        #expect(info.u32(4) == 0x9fc00 >> 10)                // mem_lower: 639 KiB
        #expect(info.u32(8) == (0x7ffe_0000 - 0x10_0000) >> 10)
        #expect(string(info.u32(16)) == "/boot/xen dom0_mem=512M")
        #expect(info.u32(20) == 2)
        let mods0 = Int(UInt64(info.u32(24)) - base)
        let m0 = modules.first { $0.dataSize == 5000 }!, m1 = modules.first { $0.dataSize == 4096 }!
        #expect(UInt64(info.u32(mods0)) == m0.memory.start && UInt64(info.u32(mods0 + 4)) == m0.memory.start + 5000)
        #expect(string(info.u32(mods0 + 8)) == "/boot/vmlinuz console=hvc0")
        #expect(UInt64(info.u32(mods0 + 16)) == m1.memory.start && string(info.u32(mods0 + 24)) == "/boot/initrd")
        #expect(info.u32(44) == 6 * 24)                      // one 24-byte entry per e820 range
        let mmap = Int(UInt64(info.u32(48)) - base)
        #expect(info.u32(mmap) == 20 && info.u64(mmap + 4) == 0 && info.u64(mmap + 12) == 0x9fc00 && info.u32(mmap + 20) == 1)
        #expect(string(info.u32(64)) == "swift-kexec")
        let p = try ElfFixture.params(plan)
        #expect(p.u32(72) == 2)                              // 32-bit protected-mode hand-over, checks on
        #expect(p.u64(0) == 0x2BAD_B002 && p.u64(8) == base && p.u64(64) == 0x20_0010)
        #expect(plan.segments.allSatisfy { $0.memory.end <= 1 << 32 })
        try SegmentRules.check(plan.segments, memoryMap: Fixture.memoryMap())
    }

    @Test func aoutKludgeAddressesWin() throws {
        // header at file offset 0x100 describes: file offset 0 loads at 0x30_0000, 0x1000 bytes, bss to 0x30_3000.
        let image = ElfFixture.multibootELF32(flags: 0x1_0003) { b in
            b.store(UInt32(0x30_0100), at: 0x10c)            // header_addr
            b.store(UInt32(0x30_0000), at: 0x110)            // load_addr
            b.store(UInt32(0x30_1000), at: 0x114)            // load_end_addr
            b.store(UInt32(0x30_3000), at: 0x118)            // bss_end_addr
            b.store(UInt32(0x30_0200), at: 0x11c)            // entry_addr
        }
        let plan = try MultibootX86Loader().plan(ElfFixture.request(image), host: Fixture.host())
        let k = try #require(plan.segments.first { $0.role == .kernel })
        #expect(k.memory == PhysicalRange(start: 0x30_0000, size: 0x3000)!)
        #expect(Array(try #require(k.data).raw) == Array(image[0..<0x1000]))
        #expect(plan.kernelEntry == 0x30_0200)
    }

    @Test(arguments: [
        ("bad checksum", "multiboot header: no magic 0x1badb002 with a valid checksum"),
        ("beyond 8 KiB", "no magic"),
        ("video + unknown flag", "multiboot flags: 0xb requires features 0x8"),
        ("not ELF, no kludge", "e_ident: no ELF magic"),
        ("ELF64", "e_ident[EI_CLASS]: is 2; expected 1"),
        ("load above RAM", "expected System RAM above 1 MiB and below 4 GiB"),
        ("kludge before file", "header_addr: 0x300000 with load_addr 0x200000 puts the load start before"),
        ("kludge load_end past EOF", "load_end_addr: 0x400000 asks for more bytes than the file holds"),
        ("kludge entry outside", "entry_addr: 0x500000 lies outside the loaded image"),
        ("e_phentsize 40", "test-kernel: e_phentsize: is 40; expected 32 (the size of a program header)"),
    ])
    func badMultibootIsOneSentence(_ name: String, _ phrase: String) throws {
        var image = kernel
        Self.multibootEdit(name, &image)
        let error = #expect(throws: KexecError.self) {
            try MultibootX86Loader().plan(ElfFixture.request(image), host: Fixture.host())
        }
        #expect(error?.description.contains(phrase) == true, "\(name): \(error?.description ?? "")")
    }

    @Test func initrdAndCrashAreRefused() throws {
        let withInitrd = #expect(throws: KexecError.self) {
            try MultibootX86Loader().plan(ElfFixture.request(kernel, initrd: [1]), host: Fixture.host())
        }
        #expect(withInitrd?.description.contains("--module=") == true)
        var request = ElfFixture.request(kernel)
        request.crash = CrashInputs(reservations: [PhysicalRange(start: 0x3000_0000, size: 0x1000_0000)!],
                                    layout: CrashDumpLayout(cpuNotes: [], vmcoreinfoNotes: [], kernelText: nil, memory: [], pageOffset: 0))
        #expect(throws: KexecError.self) { try MultibootX86Loader().plan(request, host: Fixture.host()) }
    }

    /// Debian's Xen 4.17 (work/vm-cache/xen/xen.elf from scripts/vm/setup.sh).
    @Test func debianXenPlans() throws {
        let path = Fixture.repoRoot.appendingPathComponent("work/vm-cache/xen/xen.elf").path
        guard let bytes = FileManager.default.contents(atPath: path) else {
            Issue.record("\(path) is missing: run scripts/vm/setup.sh")
            return
        }
        let image = [UInt8](bytes)
        let header = try #require(image.withUnsafeBytes { MultibootHeader.find(in: $0) })
        #expect(header.offset == 0x88 && header.flags == 0x3)
        let plan = try MultibootX86Loader().plan(ElfFixture.request(image, path: "xen.gz", commandLine: "console=com1",
                                                                    modules: [("vmlinuz console=hvc0", [1, 2, 3])]), host: Fixture.host())
        #expect(plan.kernelEntry == 0x20_0000)
        #expect(plan.segments.first { $0.role == .kernel }?.memory == PhysicalRange(start: 0x20_0000, size: 0x3a7000)!)
    }

    @Test func fileSyscallCannotCarryModules() throws {
        let files = try ImageFiles(prefix: "kexec-mb-")
        let runner = KexecRunner(backend: DryRunBackend())
        var o = LoadOptions(kernelPath: files.kernel)
        o.modules = [files.initrd + " x"]
        o.syscall = .file
        let error = #expect(throws: KexecError.self) { try runner.load(o) }
        #expect(error?.description.contains("cannot pass multiboot modules") == true)
    }
}
