import KexecCore

/// The "image" target. Input layout: byte 0 picks the memory-map shape (bit 1 the ELF
/// argument style, bit 2 whether a UKI's own command line is used), bytes 1..<9 the initrd
/// size, the rest is the kernel image, which every loader (UKI, bzImage, ELF, multiboot, ...)
/// is asked to plan, and the PE/COFF parser to parse (seed-uki is a UKI; seed-large is past
/// 64 KiB). Any input must end in a plan or a KexecError — never a trap.
@Sendable func fuzzImage(_ input: UnsafeRawBufferPointer) {
    guard input.count > 9 else { return }
    let kernel = Array(input[9...])
    var initrdSize: UInt64 = 0
    for i in 1..<9 { initrdSize = initrdSize << 8 | UInt64(input[i]) }
    let initrd = [UInt8](repeating: 0x11, count: Int(initrdSize % (1 << 20)))
    var request = LoadRequest(kernelPath: "fuzz", kernel: ByteStorage(kernel).all, initrdPath: "fuzz-initrd",
                              initrd: initrd.isEmpty ? nil : ByteStorage(initrd).all,
                              commandLine: String(repeating: "x", count: Int(input[0]) * 9),
                              skipChecks: input[0] & 1 == 1)
    request.elfArguments = input[0] & 2 == 0 ? .linux : .none
    request.commandLineFromUser = input[0] & 4 == 0
    let machine = host(shape: input[0], seed: kernel)
    for loader in ImageLoaders.all {
        var r = request
        if loader.typeName == "multiboot-x86" {
            // Multiboot takes modules, not an initrd.
            r.modules = request.initrd.map { [BootModule(path: "fuzz-initrd", data: $0, string: "fuzz-initrd arg")] } ?? []
            r.initrd = nil
        }
        do {
            let plan = try loader.plan(r, host: machine)
            try SegmentRules.check(plan.segments, memoryMap: machine.memoryMap)
            _ = PlanPrinter.text(plan)
        } catch {
            report(error)
        }
    }
    fuzzPE(request)
}

/// The PE/COFF parser and UKI detection on the same bytes (UKILoader plans in the loop above).
func fuzzPE(_ request: LoadRequest) {
    if let pe = try? PEImageParser.parse(request.kernel.raw) {
        for s in pe.sections { _ = request.kernel.slice(s.fileRange).raw.count }
    }
    do {
        _ = try UnifiedKernelImage.detect(request.kernel, path: "fuzz")?.summary(path: "fuzz")
    } catch {
        report(error)
    }
}

/// Memory maps from tiny to fragmented, some built from the input's own bytes.
func host(shape: UInt8, seed: [UInt8]) -> HostInfo {
    var entries: [MemoryMap.Entry] = []
    switch shape % 4 {
    case 0:
        entries = [.init(PhysicalRange(start: 0x100000, end: 0x8000_0000)!, .ram)]
    case 1:
        entries = [.init(PhysicalRange(start: 0x100000, end: 0x200_0000)!, .ram)]
    case 2:
        for i in 0..<300 {
            entries.append(.init(PhysicalRange(start: UInt64(i) << 24, size: 1 << 23)!, i % 3 == 0 ? .reserved : .ram))
        }
    default:
        var i = 0
        while i + 16 <= min(seed.count, 16 * 40) {
            var start: UInt64 = 0, len: UInt64 = 0
            for j in 0..<8 { start = start << 8 | UInt64(seed[i + j]); len = len << 8 | UInt64(seed[i + 8 + j]) }
            if let r = PhysicalRange(start: start, size: len) { entries.append(.init(r, len & 1 == 0 ? .ram : .acpi)) }
            i += 16
        }
    }
    return HostInfo(memoryMap: MemoryMap(entries), memoryMapSource: "fuzz", rngSeed: nil)
}
