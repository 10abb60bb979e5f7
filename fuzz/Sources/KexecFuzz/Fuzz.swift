import Glibc
import KexecCore

/// One binary, several targets: KEXEC_FUZZ_TARGET names the one this process fuzzes (default
/// "image"), so a single instrumented build serves CI and the benchmark. Every target feeds
/// the input to pure parsing and planning code only: no kexec syscall, reboot or hypercall.
/// Any input must end in a result or a KexecError, never a trap.
let targets: [String: @Sendable (UnsafeRawBufferPointer) -> Void] = [
    "image": fuzzImage,
    "decompress": fuzzDecompression,
    "memmap": fuzzMemoryMaps,
    "crash": fuzzCrashPlanning,
    "xen": fuzzXenMemoryMap,
    "cmdline": fuzzCommandLine,
    "arm64": fuzzArm64,
]

let selected: @Sendable (UnsafeRawBufferPointer) -> Void = {
    let name = getenv("KEXEC_FUZZ_TARGET").map { String(cString: $0) } ?? "image"
    guard let target = targets[name] else {
        fatalError("KEXEC_FUZZ_TARGET=\(name): unknown; one of \(targets.keys.sorted().joined(separator: ", "))")
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> Int32 {
    selected(UnsafeRawBufferPointer(start: data, count: size))
    return 0
}

/// KEXEC_FUZZ_VERBOSE=1 prints where each input stopped (to check that seeds go deep).
let verbose = getenv("KEXEC_FUZZ_VERBOSE") != nil

func report(_ error: KexecError) {
    let line = error.description
    if verbose { print("stopped: \(line)") }
}

/// precondition() that also says why in a release build (where precondition's message is
/// dropped): a broken invariant is a finding, and the message is the first thing to read.
func check(_ condition: Bool, _ message: @autoclosure () -> String = "invariant broken", file: StaticString = #fileID, line: UInt = #line) {
    if !condition { fatalError(message(), file: file, line: line) }
}
