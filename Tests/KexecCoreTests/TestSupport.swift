import Foundation
@testable import KexecCore

/// Builders for small synthetic inputs and paths to the real ones.
enum Fixture {
    static let repoRoot: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent()

    /// The Debian bzImage fetched by scripts/vm/setup.sh (or KEXEC_TEST_KERNEL).
    static var debianKernelPath: String? {
        let candidates: [String?] = [ProcessInfo.processInfo.environment["KEXEC_TEST_KERNEL"],
                          repoRoot.appendingPathComponent("work/vm-cache/vmlinuz").path]
        return candidates.compactMap { $0 }.first { FileManager.default.fileExists(atPath: $0) }
    }

    /// A minimal valid bzImage header (protocol 2.15, 64-bit, relocatable) with `bodySize`
    /// bytes of body after one setup sector.
    static func bzImage(bodySize: Int = 8192, edit: (inout [UInt8]) -> Void = { _ in }) -> [UInt8] {
        var b = [UInt8](repeating: 0, count: 1024 + bodySize)
        b[0x1f1] = 1                                  // setup_sects → 1024 bytes of real-mode code
        b.store(UInt32(bodySize / 16), at: 0x1f4)     // syssize: the body in 16-byte paragraphs
        b.store(UInt16(0xAA55), at: 0x1fe)
        b[0x200] = 0xeb; b[0x201] = 0x6a              // jump; header ends at 0x26c
        b.store(UInt32(0x5372_6448), at: 0x202)       // "HdrS"
        b.store(UInt16(0x020f), at: 0x206)
        b[0x211] = 0x01                               // LOADED_HIGH
        b.store(UInt32(0x7fff_ffff), at: 0x22c)       // initrd_addr_max
        b.store(UInt32(0x20_0000), at: 0x230)         // kernel_alignment
        b[0x234] = 1                                  // relocatable
        b.store(UInt16(0x3), at: 0x236)               // XLF_KERNEL_64 | CAN_BE_LOADED_ABOVE_4G
        b.store(UInt32(2047), at: 0x238)              // cmdline_size
        b.store(UInt64(0x100_0000), at: 0x258)        // pref_address
        b.store(UInt32(0x40_0000), at: 0x260)         // init_size
        for i in 1024..<b.count { b[i] = UInt8(truncatingIfNeeded: i &* 31) }
        edit(&b)
        return b
    }

    /// What a file no loader's probe accepts is called (before any closest loader's reason).
    static let notAKernel = "not a kernel image this tool knows: tried uki, bzImage64, elf-x86_64, multiboot-x86, multiboot2-x86"

    /// A typical PC map: low RAM, legacy holes, RAM from 1 MiB to `ramTop`, firmware above.
    static func memoryMap(ramTop: UInt64 = 0x7ffe_0000) -> MemoryMap {
        MemoryMap([
            .init(PhysicalRange(start: 0, end: 0x9fc00)!, .ram),
            .init(PhysicalRange(start: 0x9fc00, end: 0xa0000)!, .reserved),
            .init(PhysicalRange(start: 0xf0000, end: 0x100000)!, .reserved),
            .init(PhysicalRange(start: 0x100000, end: ramTop)!, .ram),
            .init(PhysicalRange(start: ramTop, end: 0x8000_0000)!, .reserved),
            .init(PhysicalRange(start: 0xfffc_0000, end: 0x1_0000_0000)!, .reserved),
        ])
    }

    static func host(ramTop: UInt64 = 0x7ffe_0000, seed: [UInt8]? = Array(repeating: 7, count: 32)) -> HostInfo {
        HostInfo(memoryMap: memoryMap(ramTop: ramTop), memoryMapSource: "fixture", runningBootParams: nil, rngSeed: seed)
    }

    static func request(_ kernel: [UInt8], initrd: [UInt8]? = nil, commandLine: String = "console=ttyS0",
                        skipChecks: Bool = false) -> LoadRequest {
        LoadRequest(kernelPath: "test-bzImage", kernel: ByteStorage(kernel).all, initrdPath: initrd.map { _ in "test-initrd" },
                    initrd: initrd.map { ByteStorage($0).all }, commandLine: commandLine, skipChecks: skipChecks)
    }
}

/// A temporary folder holding a synthetic bzImage and an initrd, for tests that need files.
struct ImageFiles {
    let dir: String
    let kernel: String
    let initrd: String

    init(prefix: String, bodySize: Int = 8192, initrd bytes: [UInt8] = [1, 2, 3]) throws {
        dir = NSTemporaryDirectory() + prefix + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        kernel = dir + "/bzImage"
        initrd = dir + "/initrd"
        try Data(Fixture.bzImage(bodySize: bodySize)).write(to: URL(fileURLWithPath: kernel))
        try Data(bytes).write(to: URL(fileURLWithPath: initrd))
    }
}

extension Array where Element == UInt8 {
    func u16(_ at: Int) -> UInt16 { withUnsafeBytes { LittleEndianReader($0).u16(at)! } }
    func u32(_ at: Int) -> UInt32 { withUnsafeBytes { LittleEndianReader($0).u32(at)! } }
    func u64(_ at: Int) -> UInt64 { withUnsafeBytes { LittleEndianReader($0).u64(at)! } }
}
