import Foundation
import Glibc
import Testing
@testable import KexecCore
@testable import KexecSystem

// MARK: - A model of Xen 4.17's kexec hypercall, written from xen-kexec-abi.md §3

/// Plays the hypervisor behind `XenHypercalls`: reads the caller's structures through the
/// pointers it is given (refusing any pointer outside memory from `allocate`, like a fault),
/// applies Xen's load rules, and keeps `kexec_flags` exactly as §3.2 describes: bits 0–3 slot
/// occupied, bit 4/5 the default/crash position, toggled by every load and unload.
final class FakeXen: XenHypercalls {
    enum Domain { case pvDom0, domU, pvhDom0 }
    struct Loaded: Equatable {
        var entry: UInt64
        var arch: UInt16
        var segments: [(data: [UInt8]?, dest: UInt64, size: UInt64)]
        static func == (a: Loaded, b: Loaded) -> Bool {
            a.entry == b.entry && a.segments.count == b.segments.count
        }
    }

    var domain = Domain.pvDom0
    var flags: UInt8 = 0
    var images: [Loaded?] = [nil, nil, nil, nil]
    var crashRegion: PhysicalRange? = PhysicalRange(start: 0x2000_0000, size: 0x1000_0000)
    var e820: [E820Entry] = [
        E820Entry(address: 0, size: 0x9fc00, type: .ram),
        E820Entry(address: 0x9fc00, size: 0x400, type: .reserved),
        E820Entry(address: 0xf0000, size: 0x10000, type: .reserved),
        E820Entry(address: 0x10_0000, size: 0x7fee_0000, type: .ram),
        E820Entry(address: 0xfffc_0000, size: 0x4_0000, type: .reserved),
    ]
    var failNextLoad: Int32?
    /// Fail the Nth load hypercall from now (1 = the next), with ENOMEM.
    var failLoadNumber = 0
    var live: [UnsafeMutableRawBufferPointer] = []
    var calls: [String] = []
    var executed: XenKexec.ImageType?

    deinit { live.forEach { $0.deallocate() } }

    func allocate(_ size: Int) throws(KexecError) -> UnsafeMutableRawBufferPointer {
        let b = UnsafeMutableRawBufferPointer.allocate(byteCount: max(size, 1), alignment: 4096)
        b.initializeMemory(as: UInt8.self, repeating: 0)
        live.append(b)
        return b
    }

    func free(_ buffer: UnsafeMutableRawBufferPointer) {
        live.removeAll { $0.baseAddress == buffer.baseAddress }
        buffer.deallocate()
    }

    /// The bytes at a guest address, only if they lie inside hypercall memory.
    func read(_ address: UInt64, _ count: Int) -> [UInt8]? {
        for b in live {
            let base = UInt64(UInt(bitPattern: b.baseAddress))
            if address >= base, address + UInt64(count) <= base + UInt64(b.count) {
                return Array(UnsafeRawBufferPointer(rebasing: b[Int(address - base)..<(Int(address - base) + count)]))
            }
        }
        return nil
    }

    func write(_ address: UInt64, _ bytes: [UInt8]) -> Bool {
        for b in live {
            let base = UInt64(UInt(bitPattern: b.baseAddress))
            if address >= base, address + UInt64(bytes.count) <= base + UInt64(b.count) {
                let at = Int(address - base)
                bytes.withUnsafeBytes { UnsafeMutableRawBufferPointer(rebasing: b[at..<(at + bytes.count)]).copyMemory(from: $0) }
                return true
            }
        }
        return false
    }

    // kexec_swap_images
    func swap(_ type: Int, _ image: Loaded?) {
        let base = type == 0 ? 0 : 2, posBit: UInt8 = type == 0 ? 4 : 5
        let pos = Int((flags >> posBit) & 1)
        let oldSlot = base + pos, newSlot = base + 1 - pos
        images[newSlot] = image
        if image != nil { flags |= 1 << newSlot }
        flags ^= 1 << posBit
        flags &= ~(1 << oldSlot)
        images[oldSlot] = nil
    }

    /// What kexec_exec/kexec_crash test: the current slot's occupied bit.
    func reallyLoaded(_ type: Int) -> Bool {
        let base = type == 0 ? 0 : 2, posBit: UInt8 = type == 0 ? 4 : 5
        return flags & (1 << (base + Int((flags >> posBit) & 1))) != 0
    }

    func hypercall(_ op: UInt64, _ a0: UInt64, _ a1: UInt64) -> Int {
        if op == XenKexec.memoryOpHypercall {
            guard a0 == XenKexec.memoryMachineMemoryMap, let arg = read(a1, 16) else { return -Int(EFAULT) }
            let capacity = Int(arg.withUnsafeBytes { $0.load(fromByteOffset: 0, as: UInt32.self) })
            let buffer = arg.withUnsafeBytes { $0.load(fromByteOffset: 8, as: UInt64.self) }
            guard capacity >= e820.count else { return -Int(EINVAL) }
            var bytes = [UInt8](repeating: 0, count: e820.count * 20)
            for (i, e) in e820.enumerated() { e.encode(into: &bytes, at: i * 20) }
            guard write(buffer, bytes) else { return -Int(EFAULT) }
            var out = arg
            out.store(UInt32(e820.count), at: 0)
            _ = write(a1, out)
            return 0
        }
        guard op == XenKexec.hypercall else { return -Int(ENOSYS) }
        switch domain {
        case .pvhDom0: return -Int(ENOSYS)
        case .domU: return -Int(EPERM)
        case .pvDom0: break
        }
        guard let cmd = XenKexec.Command(rawValue: a0) else { return 0 }   // 4.17: unknown = success
        calls.append("\(cmd)")
        switch cmd {
        case .status, .unload:
            guard let arg = read(a1, 1) else { return -Int(EFAULT) }
            guard arg[0] <= 1 else { return -Int(EINVAL) }
            if cmd == .status { return Int((flags >> (arg[0] == 0 ? 4 : 5)) & 1) }
            swap(Int(arg[0]), nil)
            return 0
        case .kexec:
            guard let arg = read(a1, 4) else { return -Int(EFAULT) }
            let type = Int(arg[0])
            guard type <= 1 else { return -Int(EINVAL) }
            guard reallyLoaded(type) else { return -Int(ENOENT) }
            executed = type == 0 ? .default : .crash
            return 0
        case .getRange:
            guard var arg = read(a1, 24) else { return -Int(EFAULT) }
            let range = arg.withUnsafeBytes { $0.load(fromByteOffset: 0, as: Int32.self) }
            let nr = arg.withUnsafeBytes { $0.load(fromByteOffset: 4, as: Int32.self) }
            var answer: (UInt64, UInt64)
            switch range {
            case 0: answer = (crashRegion?.size ?? 0, crashRegion?.start ?? 0)
            case 2:   // two pCPUs; notes exist only with a crash region
                guard crashRegion != nil else { return -Int(EINVAL) }
                guard nr >= 0, nr < 2 else { return -Int(ERANGE) }
                answer = (nr == 0 ? 500 : 404, 0x7000_0000 + UInt64(nr) * 0x1000)
            case 6: answer = (4096, 0x7100_0000)
            default: return -Int(EINVAL)
            }
            arg.store(answer.0, at: 8)
            arg.store(answer.1, at: 16)
            _ = write(a1, arg)
            return 0
        case .load:
            return load(a1)
        }
    }

    func load(_ address: UInt64) -> Int {
        guard let arg = read(address, 24) else { return -Int(EFAULT) }
        let r = LittleEndianReader(arg.withUnsafeBytes { UnsafeRawBufferPointer(start: $0.baseAddress, count: 24) })
        let type = Int(arg[0]), arch = r.u16(2)!, count = Int(r.u32(4)!), array = r.u64(8)!, entry = r.u64(16)!
        guard count < 16 else { return -Int(EINVAL) }
        guard let raw = read(array, count * 32) else { return -Int(EFAULT) }
        var segments: [(data: [UInt8]?, dest: UInt64, size: UInt64)] = []
        for i in 0..<count {
            let s = raw.withUnsafeBytes { p in (0..<4).map { p.load(fromByteOffset: i * 32 + $0 * 8, as: UInt64.self) } }
            let (buf, bufSize, dest, destSize) = (s[0], s[1], s[2], s[3])
            if buf == 0 {
                segments.append((nil, dest, destSize))
            } else {
                guard let data = read(buf, Int(bufSize)) else { return -Int(EFAULT) }
                segments.append((data, dest, destSize))
            }
        }
        guard type <= 1 else { return -Int(EINVAL) }
        if type == 1 {
            let c = crashRegion ?? PhysicalRange(start: 0, size: 0)!
            guard entry >= c.start, entry <= c.start + c.size else { return -Int(EADDRNOTAVAIL) }
            for s in segments where s.data != nil {
                guard s.dest >= c.start, s.dest + s.size <= c.start + c.size else { return -Int(EADDRNOTAVAIL) }
            }
        }
        for s in segments {
            guard s.dest % 4096 == 0, (s.dest + s.size) % 4096 == 0 else { return -Int(EADDRNOTAVAIL) }
            guard UInt64(s.data?.count ?? 0) <= s.size else { return -Int(EINVAL) }
        }
        for (i, a) in segments.enumerated() {
            for b in segments[(i + 1)...] where a.dest < b.dest + b.size && b.dest < a.dest + a.size { return -Int(EINVAL) }
        }
        if segments.contains(where: { $0.data == nil && $0.size == 0 }) { return -Int(ENOMEM) }
        if let e = failNextLoad { failNextLoad = nil; return -Int(e) }
        if failLoadNumber > 0 {
            failLoadNumber -= 1
            if failLoadNumber == 0 { return -Int(ENOMEM) }
        }
        guard arch == 3 || arch == 62 else { return -Int(EINVAL) }
        swap(type, Loaded(entry: entry, arch: arch, segments: segments))
        return 0
    }

    var current: Loaded? {
        images[Int((flags >> 4) & 1)]
    }
}

// MARK: - ABI layouts

@Suite struct XenABITests {
    @Test func constants() {
        #expect(XenKexec.hypercall == 37)
        #expect(XenKexec.Command.kexec.rawValue == 0)
        #expect(XenKexec.Command.getRange.rawValue == 3)
        #expect(XenKexec.Command.load.rawValue == 4)
        #expect(XenKexec.Command.unload.rawValue == 5)
        #expect(XenKexec.Command.status.rawValue == 6)
        #expect(XenKexec.ImageType.default.rawValue == 0 && XenKexec.ImageType.crash.rawValue == 1)
        #expect(XenKexec.Range.crash.rawValue == 0 && XenKexec.Range.xen.rawValue == 1)
        #expect(XenKexec.Range.cpu.rawValue == 2 && XenKexec.Range.vmcoreinfo.rawValue == 6)
        #expect(XenKexec.maxSegments == 15)
        #expect(XenKexec.archX86_64 == 62)
        #expect(PrivcmdHypercall.ioctl == 0x0030_5000)
        #expect(XenKexec.memoryOpHypercall == 12 && XenKexec.memoryMachineMemoryMap == 10)
    }

    @Test func loadIs24BytesWithFieldsAtTheirOffsets() {
        let b = XenKexecLoad(type: .crash, arch: 62, segmentCount: 0x0d0c_0b0a,
                             segments: 0x1817_1615_1413_1211, entry: 0x2827_2625_2423_2221).encoded()
        #expect(b.count == 24)
        #expect(b == [0x01, 0x00, 62, 0x00, 0x0a, 0x0b, 0x0c, 0x0d,
                      0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18,
                      0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28])
    }

    @Test func segmentIs32BytesBufSizeDestDestSize() {
        let s = XenKexecSegment(buffer: 0x0807_0605_0403_0201, bufferSize: 0x1817_1615_1413_1211,
                                destination: 0x2827_2625_2423_2221, destinationSize: 0x3837_3635_3433_3231)
        let b = XenKexecSegment.encodeArray([s, XenKexecSegment(buffer: 0, bufferSize: 0, destination: 0, destinationSize: 0x1000)])
        #expect(b.count == 64)
        #expect(Array(b[0..<8]) == [1, 2, 3, 4, 5, 6, 7, 8])
        #expect(Array(b[8..<16]) == [0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18])
        #expect(Array(b[16..<24]) == [0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28])
        #expect(Array(b[24..<32]) == [0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38])
        #expect(Array(b[32..<56]) == Array(repeating: 0, count: 24))
        #expect(Array(b[56..<64]) == [0, 0x10, 0, 0, 0, 0, 0, 0])
    }

    @Test func rangeIs24BytesAndDecodesWhatXenWrites() {
        var b = XenKexecRange(range: .cpu, nr: 3).encoded()
        #expect(b.count == 24)
        #expect(Array(b[0..<8]) == [2, 0, 0, 0, 3, 0, 0, 0])
        b.store(UInt64(0x1f4), at: 8)
        b.store(UInt64(0x7654_3000), at: 16)
        let d = b.withUnsafeBytes { XenKexecRange.decode($0) }
        #expect(d?.range == 2 && d?.nr == 3 && d?.length == 500 && d?.start == 0x7654_3000)
    }

    @Test func execUnloadStatusAndPrivcmd() {
        #expect(XenKexecExec(type: .crash).encoded() == [1, 0, 0, 0])
        #expect(XenKexecTypeArgument(type: .crash).encoded() == [1])
        #expect(XenKexecTypeArgument.size == 1)
        let p = PrivcmdHypercall(op: 37, 6, 0x1122_3344_5566_7788).encoded()
        #expect(p.count == 48)
        #expect(Array(p[0..<8]) == [37, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(p[8..<16]) == [6, 0, 0, 0, 0, 0, 0, 0])
        #expect(Array(p[16..<24]) == [0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11])
        #expect(Array(p[24..<48]) == Array(repeating: 0, count: 24))
    }

    @Test func memoryMapArgumentAndEntries() {
        let b = XenMemoryMap(entryCount: 128, buffer: 0x1122_3344_5566_7788).encoded()
        #expect(b == [128, 0, 0, 0, 0, 0, 0, 0, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11])
        var e = [UInt8](repeating: 0, count: 40)
        E820Entry(address: 0, size: 0x9fc00, type: .ram).encode(into: &e, at: 0)
        E820Entry(address: 0x10_0000, size: 0x1000_0000, type: MemoryType(rawValue: 2)!).encode(into: &e, at: 20)
        e.store(UInt32(99), at: 36)   // a type Linux does not name: reserved
        let map = e.withUnsafeBytes { XenMemoryMap.decodeEntries($0, count: 2) }
        #expect(map.ram == [PhysicalRange(start: 0, size: 0x9fc00)!])
        #expect(map.entries.count == 2 && map.entries[1].type == .reserved)
    }
}

// MARK: - layout, back end, status design

@Suite struct XenBackendTests {
    /// init_size 64 MiB, so the kernel's segments (body and decompressor copy) leave a
    /// middle part of the window for the layout to map.
    static func plan(initrd: Bool = true, crash: Bool = false) throws -> LoadPlan {
        let kernel = Fixture.bzImage(bodySize: 3 * 4096 + 100) { $0.store(UInt32(0x400_0000), at: 0x260) }
        return try BzImage64Loader().plan(Fixture.request(kernel, initrd: initrd ? Array(repeating: 0x5a, count: 5000) : nil),
                                          host: Fixture.host())
    }

    static func window(_ plan: LoadPlan) -> PhysicalRange? { XenLoadLayout.initSizeWindow(plan) }

    /// The window comes from the plan: body start to the end of the decompressor's copy area.
    @Test func initSizeWindowFromThePlan() throws {
        let big = Fixture.bzImage(bodySize: 64 * 1024) { $0.store(UInt32(0x400_0000), at: 0x260) }
        let plan = try BzImage64Loader().plan(Fixture.request(big), host: Fixture.host())
        let kernel = try #require(plan.segments.first { $0.role == .kernel }).memory
        let window = try #require(XenLoadLayout.initSizeWindow(plan))
        #expect(window == PhysicalRange(start: kernel.start, size: 0x400_0000)!)
        let layout = try XenLoadLayout(plan: plan, kernelWindow: window)
        #expect(layout.pieces.reduce(0) { $0 + ($1.destination.intersection(window)?.size ?? 0) } == window.size)
        #expect(layout.pieces.contains { $0.data == nil && $0.destination.start == kernel.end && $0.role == "map kernel init_size" })
    }

    @Test func layoutMapsLowMemoryAndTheKernelWindow() throws {
        let plan = try Self.plan()
        let layout = try XenLoadLayout(plan: plan, kernelWindow: Self.window(plan))
        let maps = layout.pieces.filter { $0.data == nil }
        #expect(maps.first?.destination == PhysicalRange(start: 0, size: 0x10_0000))
        let kernel = plan.segments.first { $0.role == .kernel }!.memory
        // Every page of the window is a destination of some piece (data or map-only).
        let window = try #require(Self.window(plan))
        #expect(layout.pieces.reduce(0) { $0 + ($1.destination.intersection(window)?.size ?? 0) } == window.size)
        #expect(maps.contains { $0.destination.start == kernel.end })
        #expect(layout.pieces.count > plan.segments.count + 1)
        for (a, b) in zip(layout.pieces, layout.pieces.dropFirst()) { #expect(!a.destination.overlaps(b.destination)) }
    }

    @Test func loadHandsXenEverySegmentFromHypercallMemory() throws {
        let xen = FakeXen()
        let backend = XenBackend(hypercalls: xen)
        backend.kernelWindow = Self.window
        let plan = try Self.plan()
        try backend.load(plan)
        let loaded = try #require(xen.current)
        #expect(loaded.entry == plan.entry && loaded.arch == 62)
        for s in plan.segments {
            let got = try #require(loaded.segments.first { $0.dest == s.memory.start })
            #expect(got.size == s.memory.size)
            #expect(got.data == s.data.map { Array($0.raw) })
        }
        #expect(loaded.segments.contains { $0.data == nil && $0.dest == 0 && $0.size == 0x10_0000 })
        #expect(xen.live.isEmpty, "every hypercall buffer is freed")
        #expect(try backend.isLoaded(crash: false))
        #expect(try !backend.isLoaded(crash: true))
    }

    @Test func executeIssuesKexecDefault() throws {
        let xen = FakeXen()
        let backend = XenBackend(hypercalls: xen)
        #expect(throws: KexecError.self) { try backend.execute() }   // ENOENT: nothing loaded
        try backend.load(try Self.plan())
        #expect(throws: KexecError.self) { try backend.execute() }   // the fake returns; real Xen does not
        #expect(xen.executed == .default)
    }

    @Test(arguments: [(FakeXen.Domain.pvhDom0, "PV"), (.domU, "control domain")])
    func refusalsAreOneLine(_ domain: FakeXen.Domain, _ phrase: String) throws {
        let xen = FakeXen()
        xen.domain = domain
        let backend = XenBackend(hypercalls: xen)
        do {
            _ = try backend.isLoaded(crash: false)
            Issue.record("expected a refusal")
        } catch {
            #expect(error.description.contains(phrase))
            #expect(!error.description.contains("\n"))
        }
    }

    @Test func hypervisorsWithoutV2OrStatusAreRefusedBeforeAnyHypercall() {
        for (version, phrase) in [((4, 3), "v1"), ((4, 8), "kexec_status")] {
            let xen = FakeXen()
            let backend = XenBackend(hypercalls: xen, version: version)
            do {
                try backend.unload(crash: false, syscall: .auto)
                Issue.record("expected a refusal")
            } catch {
                #expect(error.description.contains(phrase))
            }
            #expect(xen.calls.isEmpty)
        }
    }

    @Test func tooManySegmentsAreRefusedCountingMappings() throws {
        var plan = try Self.plan()
        let storage = ByteStorage([1])
        for i in 0..<12 { plan.segments.append(Segment(role: .other, data: storage.all, memory: PhysicalRange(start: 0x4000_0000 + UInt64(i) * 0x10000, size: 4096)!)) }
        #expect(throws: KexecError.self) { try XenLoadLayout(plan: plan) }
    }

    @Test func machineProbeReadsXensMapAndCrashRegion() throws {
        let xen = FakeXen()
        let probe = XenMachineProbe(hypercalls: xen)
        let map = try probe.machineMemoryMap()
        #expect(map.ram == [PhysicalRange(start: 0, size: 0x9fc00)!, PhysicalRange(start: 0x10_0000, size: 0x7fee_0000)!])
        #expect(try probe.crashRegion() == xen.crashRegion)
        xen.crashRegion = nil
        #expect(try probe.crashRegion() == nil)
        #expect(try probe.hostInfo().runningBootParams == nil)
    }

    @Test func crashLayoutUsesXensNotesAndMachineRAM() throws {
        let xen = FakeXen()
        let probe = XenMachineProbe(hypercalls: xen)
        let region = try #require(xen.crashRegion)
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("xenvmci-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try FileManager.default.createDirectory(atPath: root + "/sys/kernel", withIntermediateDirectories: true)
        try "0x0000000075504f00 1024\n".write(toFile: root + "/sys/kernel/vmcoreinfo", atomically: true, encoding: .utf8)
        let map = XenMachineProbe.withCrashRegionAsRAM(try probe.machineMemoryMap(), region)
        #expect(map.isRAM(region))
        let layout = try probe.crashLayout(map: map, region: region, files: SystemFiles(root: root))
        #expect(layout.cpuNotes == [PhysicalRange(start: 0x7000_0000, size: 500)!, PhysicalRange(start: 0x7000_1000, size: 404)!])
        // dom0's note first, clamped to its page (0x100 bytes left in it), then VMCOREINFO_XEN
        #expect(layout.vmcoreinfoNotes == [PhysicalRange(start: 0x7550_4f00, size: 0x100)!, PhysicalRange(start: 0x7100_0000, size: 4096)!])
        #expect(layout.kernelText == nil)
        #expect(!layout.memory.contains { $0.overlaps(region) })
        #expect(layout.memory.reduce(0) { $0 + $1.size } == map.ram.reduce(0) { $0 + $1.size } - region.size)
    }

    @Test func reservedCrashRegionBecomesRAMOnlyThere() {
        let region = PhysicalRange(start: 0x2000_0000, size: 0x1000_0000)!
        let map = MemoryMap([.init(PhysicalRange(start: 0x10_0000, end: 0x2000_0000)!, .ram),
                             .init(region, .reserved),
                             .init(PhysicalRange(start: 0x3000_0000, end: 0x8000_0000)!, .ram)])
        let fixed = XenMachineProbe.withCrashRegionAsRAM(map, region)
        #expect(fixed.entries.allSatisfy { $0.type == .ram })
        #expect(fixed.ram == [PhysicalRange(start: 0x10_0000, end: 0x8000_0000)!])
    }

    // The status design (XenBackend's doc comment): after any of our operations, whatever
    // happened before (including another tool's raw loads and unloads), `-S` is right.
    enum Op: CaseIterable { case load, unload, failedLoad, foreignLoad, foreignUnload }

    @Test func statusIsRightAfterEveryOperationOfOursFromAnyState() throws {
        let plan = try Self.plan()
        var sequences: [[Op]] = [[]]
        for _ in 0..<4 { sequences = sequences.flatMap { s in Op.allCases.map { s + [$0] } } }
        for crash in [false, true] {
            let p: LoadPlan
            if crash {
                // A crash-type image: every data segment and the entry inside the fake's region.
                var c = plan
                c.crash = true
                c.segments = c.segments.enumerated().map { i, s in
                    var s = s
                    s.memory = PhysicalRange(start: 0x2000_0000 + UInt64(i) * 0x100_0000, size: s.memory.size)!
                    return s
                }
                c.entry = 0x2000_0000
                p = c
            } else {
                p = plan
            }
            let type = crash ? 1 : 0
            for seq in sequences {
                let xen = FakeXen()
                let backend = XenBackend(hypercalls: xen)
                for op in seq {
                    let (images, flags) = (xen.images, xen.flags)
                    let wasRight = try backend.isLoaded(crash: crash) == xen.reallyLoaded(type)
                    switch op {
                    case .load: try backend.load(p)
                    case .unload: try backend.unload(crash: crash, syscall: .auto)
                    case .failedLoad:
                        xen.failNextLoad = ENOMEM
                        #expect(throws: KexecError.self) { try backend.load(p) }
                        // Refused: whatever was loaded stays loaded, with the same status bit.
                        #expect(xen.images == images && xen.flags == flags, "after \(seq), crash \(crash)")
                    case .foreignLoad: xen.swap(type, FakeXen.Loaded(entry: 1, arch: 62, segments: []))
                    case .foreignUnload: xen.swap(type, nil)
                    }
                    if op == .foreignLoad || op == .foreignUnload || (op == .failedLoad && !wasRight) { continue }
                    #expect(try backend.isLoaded(crash: crash) == xen.reallyLoaded(type), "after \(seq), crash \(crash)")
                    if op == .load { #expect(xen.images.compactMap { $0 }.contains { $0.entry == p.entry }) }
                }
            }
        }
    }

    /// A reload loads twice; if Xen refuses the second, the bit is repaired the old way.
    @Test func aReloadWhoseSecondLoadFailsStillEndsLoadedAndRight() throws {
        let xen = FakeXen()
        let backend = XenBackend(hypercalls: xen)
        let plan = try Self.plan()
        try backend.load(plan)
        xen.calls = []
        xen.failLoadNumber = 2
        try backend.load(plan)
        #expect(xen.calls == ["status", "load", "load", "status", "unload", "unload", "load"])
        #expect(try backend.isLoaded(crash: false) && xen.reallyLoaded(0))
        xen.calls = []
        try backend.load(plan)
        #expect(xen.calls == ["status", "load", "load"], "a reload never unloads first")
    }

    @Test func rawXenStatusReallyIsParity() throws {
        // The bug being worked around (reference §3.6 table), checked on the model itself.
        let xen = FakeXen()
        var seen: [Int] = []
        for op in ["load", "load", "unload", "unload", "load"] {
            xen.swap(1, op == "load" ? FakeXen.Loaded(entry: 1, arch: 62, segments: []) : nil)
            seen.append(Int((xen.flags >> 5) & 1))
        }
        #expect(seen == [1, 0, 1, 0, 1])
    }
}

@Suite struct XenDetectionTests {
    func facts(_ files: [String: String]) throws -> XenFacts {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("xenfacts-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        for (path, text) in files {
            let full = root + path
            try FileManager.default.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: full, atomically: true, encoding: .utf8)
        }
        return XenFacts.read(SystemFiles(root: root))
    }

    @Test func pvDom0() throws {
        let f = try facts(["/sys/hypervisor/type": "xen\n", "/sys/hypervisor/guest_type": "PV\n",
                           "/proc/xen/capabilities": "control_d\n",
                           "/sys/hypervisor/version/major": "4\n", "/sys/hypervisor/version/minor": "17\n"])
        #expect(f.usesHypercall && f.controlDomain == true && f.version == .init(major: 4, minor: 17))
    }

    @Test func pvDom0WithoutXenfsStillUsesXen() throws {
        #expect(try facts(["/sys/hypervisor/type": "xen\n", "/sys/hypervisor/guest_type": "PV\n"]).usesHypercall)
    }

    @Test func hvmDomUIsNative() throws {
        #expect(try !facts(["/sys/hypervisor/type": "xen\n", "/sys/hypervisor/guest_type": "HVM\n",
                            "/proc/xen/capabilities": "\n"]).usesHypercall)
    }

    @Test func pvhDom0GoesToXenForItsExplanation() throws {
        #expect(try facts(["/sys/hypervisor/type": "xen\n", "/sys/hypervisor/guest_type": "PVH\n",
                           "/proc/xen/capabilities": "control_d\n"]).usesHypercall)
    }

    @Test func bareMetal() throws {
        #expect(try !facts([:]).usesHypercall)
    }
}
