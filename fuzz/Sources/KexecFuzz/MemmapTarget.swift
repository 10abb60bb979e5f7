import KexecCore
import KexecSystem

/// The "memmap" target: the input is a /proc/iomem text. It goes to both /proc/iomem parsers
/// (HostProbe's top-level one and CrashProbe's nested one) and, its top-level lines split as
/// "START-END : TYPE", into /sys/firmware/memmap/N/{start,end,type}, which HostProbe prefers.
/// Each map that parses is checked; the preferred one is planned into.
@Sendable func fuzzMemoryMaps(_ input: UnsafeRawBufferPointer) {
    let text = String(decoding: input, as: UTF8.self)
    var tree = FixtureFiles()
    tree.add("/proc/iomem", input)
    let lines = text.split(separator: "\n").filter { !$0.hasPrefix(" ") }
    for (i, line) in lines.prefix(48).enumerated() {
        let dir = "/sys/firmware/memmap/\(i)"
        guard let dash = line.firstIndex(of: "-"), let colon = line[dash...].firstIndex(of: ":") else {
            tree.add(dir + "/start", text: line)     // end and type missing: an error path
            continue
        }
        tree.add(dir + "/start", text: line[..<dash] + "\n")
        tree.add(dir + "/end", text: line[line.index(after: dash)..<colon].trimmed + "\n")
        tree.add(dir + "/type", text: line[line.index(after: colon)...].trimmed + "\n")
    }
    fixture.hold(tree.files)
    let reservations = (try? CrashProbe(files: fixture.files).crashReservations()) ?? []
    if let map = try? IomemParser.parse(text, path: "fuzz") { checkDerived(map, reservations) }
    do {
        let (map, _) = try HostProbe(files: fixture.files).memoryMap()
        checkDerived(map, reservations)
        _ = SyntheticKernel.plan(commandLine: "console=ttyS0", host: HostInfo(memoryMap: map, memoryMapSource: "fuzz"))
    } catch {
        report(error)
    }
}

/// A parsed map's normal form (sorted, no empty entry, same-type neighbours merged) and what
/// the loaders derive from it.
func checkDerived(_ map: MemoryMap, _ reservations: [PhysicalRange]) {
    for (a, b) in zip(map.entries, map.entries.dropFirst()) {
        check(a.range.start <= b.range.start, "entries out of order: \(a.range) before \(b.range)")
        check(a.type != b.type || a.range.end < b.range.start, "unmerged \(a.type) neighbours \(a.range) \(b.range)")
    }
    check(!map.entries.contains { $0.range.isEmpty } && map.e820.count == map.entries.count)
    for r in map.ram { check(map.isRAM(r), "\(r) is RAM but isRAM says no") }
    if let backup = CrashPlanning.backupSource(map) {
        check(backup.end <= 0xA0000 && map.isRAM(backup), "backup source \(backup)")
    }
    for r in CrashPlanning.freeMemory(map, reservations: reservations) {
        check(map.isRAM(r) && reservations.contains { $0.contains(r) }, "free \(r) outside RAM or reservations")
    }
    _ = CrashPlanning.captureE820(map, reservations: reservations, backupSource: CrashPlanning.backupSource(map), exclude: [])
}

extension Substring {
    var trimmed: Substring {
        let s = drop { $0 == " " }
        return s.dropLast(s.reversed().prefix { $0 == " " }.count)
    }
}
