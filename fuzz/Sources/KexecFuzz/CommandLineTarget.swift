import KexecCore
import KexecSystem

/// The "cmdline" target: what the command line decides, below the option parsing (the kexec
/// executable's, which another package cannot import). NUL-separated parts:
/// /proc/cmdline (read by HostProbe for --reuse-cmdline), the --append text (absent: none),
/// the --serial value. The composed line is checked and planned into a normal and a crash
/// load of a bzImage, where it meets cmdline_size and elfcorehdr=.
@Sendable func fuzzCommandLine(_ input: UnsafeRawBufferPointer) {
    let parts = input.split(separator: 0, maxSplits: 2, omittingEmptySubsequences: false)
    var tree = FixtureFiles()
    tree.add("/proc/cmdline", parts[0])
    fixture.hold(tree.files)
    let running = try? HostProbe(files: fixture.files).runningCommandLine()
    let append = parts.count > 1 ? String(decoding: parts[1], as: UTF8.self) : nil
    for crash in [false, true] {
        let line = CommandLineComposer.compose(running: running, append: append, crash: crash)
        checkComposed(line, running: running, append: append, crash: crash)
        if let plan = SyntheticKernel.plan(commandLine: line, host: CommandLineHost.info, crash: crash ? CommandLineHost.crash : nil) {
            check(plan.commandLine.hasPrefix(line), "the plan's command line lost the composed one")
        }
    }
    var options = LoadOptions(kernelPath: "fuzz")
    options.append = append
    options.reuseCommandLine = running != nil
    check(options.commandLineGiven == (append != nil || running != nil) && options.onlyKexecLoad == nil)
    if parts.count > 2 {
        do {
            let port = try PurgatorySerial.port(String(decoding: parts[2], as: UTF8.self))
            check(port > 0 && port <= 0xfff8, "serial port \(port) out of range")
        } catch {
            report(error)
        }
    }
}

/// The running line's words minus BOOT_IMAGE= (and crashkernel= for a crash kernel), single
/// spaces, then the appended text verbatim.
func checkComposed(_ line: String, running: String?, append: String?, crash: Bool) {
    let words = (running ?? "").split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" })
        .filter { !$0.hasPrefix("BOOT_IMAGE=") && !(crash && $0.hasPrefix("crashkernel=")) }
    var expected = words.joined(separator: " ")
    if let append, !append.isEmpty { expected += (expected.isEmpty ? "" : " ") + append }
    check(line == expected, "composed \"\(line)\", expected \"\(expected)\"")
}

/// A 2 GiB PC with 256 MiB reserved for crash kernels at 1 GiB.
enum CommandLineHost {
    static let reservation = PhysicalRange(start: 0x4000_0000, size: 0x1000_0000)!
    static let map = MemoryMap([
        .init(PhysicalRange(start: 0, end: 0x9fc00)!, .ram),
        .init(PhysicalRange(start: 0x9fc00, end: 0x100000)!, .reserved),
        .init(PhysicalRange(start: 0x100000, end: 0x8000_0000)!, .ram),
    ])
    static let info = HostInfo(memoryMap: map, memoryMapSource: "fuzz")
    static let crash = CrashInputs(reservations: [reservation], layout: CrashDumpLayout(
        cpuNotes: [PhysicalRange(start: 0x7f00_0000, size: 0x400)!], vmcoreinfoNotes: [],
        kernelText: nil, memory: map.ram.flatMap { $0.subtracting(reservation) }, pageOffset: 0xffff_8880_0000_0000))
}
