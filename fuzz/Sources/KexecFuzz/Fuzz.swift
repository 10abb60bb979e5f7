import KexecCore

/// Input layout: byte 0 picks the memory-map shape (and, bit 1, whether a UKI's own command
/// line is used), bytes 1..<9 the initrd size, the rest is the kernel image: parsed as a
/// bzImage and as a PE image / UKI (seed-uki starts the latter). Any input must end in a plan
/// or a KexecError — never a trap.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    let input = UnsafeBufferPointer(start: data, count: size)
    guard size > 9 else { return 0 }
    let kernel = Array(input[9...])
    var initrdSize: UInt64 = 0
    for i in 1..<9 { initrdSize = initrdSize << 8 | UInt64(input[i]) }
    let initrd = [UInt8](repeating: 0x11, count: Int(initrdSize % (1 << 20)))
    let request = LoadRequest(kernelPath: "fuzz", kernel: ByteStorage(kernel).all, initrdPath: "fuzz-initrd",
                              initrd: initrd.isEmpty ? nil : ByteStorage(initrd).all,
                              commandLine: String(repeating: "x", count: Int(input[0]) * 9),
                              skipChecks: input[0] & 1 == 1)
    do {
        let plan = try BzImage64Loader().plan(request, host: host(shape: input[0], seed: kernel))
        try SegmentRules.check(plan.segments, memoryMap: host(shape: input[0], seed: kernel).memoryMap)
        _ = PlanPrinter.text(plan)
    } catch {
        _ = error.description
    }
    fuzzPE(request, shape: input[0], seed: kernel)
    return 0
}

/// The PE/COFF parser, UKI detection and the UKI loader on the same bytes.
func fuzzPE(_ request: LoadRequest, shape: UInt8, seed: [UInt8]) {
    if let pe = try? PEImageParser.parse(request.kernel.raw) {
        for s in pe.sections { _ = request.kernel.slice(s.fileRange).raw.count }
    }
    var uki = request
    uki.commandLineFromUser = shape & 2 == 0
    do {
        _ = try UnifiedKernelImage.detect(request.kernel, path: "fuzz")?.summary(path: "fuzz")
        let plan = try UKILoader().plan(uki, host: host(shape: shape, seed: seed))
        _ = PlanPrinter.text(plan)
    } catch {
        _ = error.description
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
