import KexecCore
import KexecSystem

/// The "crash" target: what a kdump load reads, as NUL-separated parts: /proc/iomem; the CPU
/// notes, one "ADDRESS SIZE" line per CPU (cpuN/crash_notes and crash_notes_size; an empty
/// line is a CPU without notes); /sys/kernel/vmcoreinfo; /proc/kallsyms; /proc/kcore (binary,
/// the rest of the input). A missing part is a missing file. CrashProbe reads them, the ELF
/// core header is built and read back, and a capture kernel is planned into the reservation.
@Sendable func fuzzCrashPlanning(_ input: UnsafeRawBufferPointer) {
    let parts = input.split(separator: 0, maxSplits: 4, omittingEmptySubsequences: false)
    var tree = FixtureFiles()
    tree.add("/proc/iomem", parts[0])
    if parts.count > 1 {
        var lines = String(decoding: parts[1], as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false)
        if lines.last?.isEmpty == true { lines.removeLast() }   // the final newline ends a line
        for (cpu, line) in lines.prefix(64).enumerated() {
            let dir = "/sys/devices/system/cpu/cpu\(cpu)"
            let fields = line.split(separator: " ", maxSplits: 1)
            if fields.isEmpty { tree.add(dir + "/online", text: "1\n") }
            if fields.count > 0 { tree.add(dir + "/crash_notes", text: fields[0] + "\n") }
            if fields.count > 1 { tree.add(dir + "/crash_notes_size", text: fields[1] + "\n") }
        }
    }
    let paths = ["/sys/kernel/vmcoreinfo", "/proc/kallsyms", "/proc/kcore"]
    for (path, part) in zip(paths, parts.dropFirst(2)) { tree.add(path, part) }
    fixture.hold(tree.files)

    let probe = CrashProbe(files: fixture.files)
    do {
        let reservations = try probe.crashReservations()
        let layout = try probe.layout(reservations: reservations)
        let iomem = String(decoding: parts[0], as: UTF8.self)
        let map = (try? IomemParser.parse(iomem, path: "fuzz"))
            ?? MemoryMap((layout.memory + reservations).map { .init($0, .ram) })
        checkCoreHeader(layout, backup: CrashPlanning.backupSource(map), copy: reservations[0].start)
        let crash = CrashInputs(reservations: reservations, layout: layout)
        _ = SyntheticKernel.plan(commandLine: "console=ttyS0 irqpoll nr_cpus=1", host: HostInfo(memoryMap: map, memoryMapSource: "fuzz"), crash: crash)
    } catch {
        report(error)
    }
}

/// Builds the header with and without a backup split and reads it back: it fits e_phnum (the
/// probe's guard allows for the split), its size and program header count are what the
/// loader reserved for, and every byte of memory is described once.
func checkCoreHeader(_ layout: CrashDumpLayout, backup: PhysicalRange?, copy: UInt64) {
    var variants = [layout]
    if let backup {
        var split = layout
        split.backup = .init(source: backup, copy: copy)
        variants.append(split)
    }
    for l in variants {
        check(CoreHeaderBuilder.programHeaderCount(for: l) <= CoreHeaderBuilder.maximumProgramHeaders)
        let bytes = CoreHeaderBuilder.build(l)
        check(bytes.count == CoreHeaderBuilder.size(for: l) && bytes.count % CoreHeaderBuilder.alignment == 0)
        let phdrs = bytes.withUnsafeBytes { raw in ELF64Header.decode(from: raw, at: 0)?.programHeaders(in: raw) }
        guard let phdrs, phdrs.count == CoreHeaderBuilder.programHeaderCount(for: l) else {
            fatalError("the core header does not read back with its \(CoreHeaderBuilder.programHeaderCount(for: l)) program headers")
        }
        let loads = phdrs.dropFirst(l.cpuNotes.count + l.vmcoreinfoNotes.count + (l.kernelText == nil ? 0 : 1))
        let described = loads.reduce(UInt64(0)) { $0 &+ $1.memorySize }
        let memory = l.memory.reduce(UInt64(0)) { $0 &+ $1.size }
        check(described == memory, "PT_LOADs describe \(described) bytes, memory is \(memory)")
    }
}
