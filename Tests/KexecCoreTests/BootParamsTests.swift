import Testing
@testable import KexecCore

@Suite("boot_params")
struct BootParamsTests {
    let header = try! Fixture.bzImage().withUnsafeBytes { try BzImageHeaderParser.parse($0) }

    func builder(e820: [E820Entry], seed: [UInt8]? = nil, running: [UInt8]? = nil, cmdline: String = "quiet") -> BootParamsBuilder {
        var host = Fixture.host(seed: seed)
        host.runningBootParams = running
        return BootParamsBuilder(header: header, commandLine: cmdline, e820: e820, host: host)
    }

    @Test func fillsHeaderCommandLineInitrdAndE820() {
        let b = builder(e820: Fixture.memoryMap().e820, cmdline: "root=/dev/vda")
        let at: UInt64 = 0x1_2345_6000
        let rd = PhysicalRange(start: 0x1_8000_0000, size: 0x1234)!
        let bp = b.build(at: at, initrd: rd)
        #expect(bp[0x202..<0x206].elementsEqual("HdrS".utf8))
        #expect(bp[0x210] == 0xD0)                                   // type_of_loader: kexec
        #expect(bp.u32(0x228) == 0x2345_6000 + 4096 && bp.u32(0xc8) == 1)   // cmd_line_ptr + ext
        #expect(bp[4096..<(4096 + 14)].elementsEqual(Array("root=/dev/vda".utf8) + [0]))
        #expect(bp.u32(0x218) == 0x8000_0000 && bp.u32(0xc0) == 1)  // ramdisk_image + ext
        #expect(bp.u32(0x21c) == 0x1234 && bp.u32(0xc4) == 0)
        #expect(bp[0x1e8] == 6)
        #expect(bp.u64(0x2d0 + 3 * 20) == 0x100000)                 // 4th e820 entry: RAM at 1 MiB
        #expect(bp.u32(0x2d0 + 3 * 20 + 16) == 1)
        #expect(bp.u32(0x1e0) == UInt32((0x7ffe_0000 - 0x100000) >> 10)) // alt_mem_k
        #expect(bp[0x1ef] == 0)                                      // sentinel
        #expect(bp.u64(0x250) == 0)                                  // no setup_data
    }

    @Test func moreThan128EntriesSpillIntoSetupData() {
        let e820 = (0..<200).map { E820Entry(address: UInt64($0) << 21, size: 1 << 20, type: .ram) }
        let b = builder(e820: e820, seed: Array(1...32))
        let at: UInt64 = 0x10_0000
        let bp = b.build(at: at, initrd: nil)
        #expect(bp[0x1e8] == 128)
        let first = Int(bp.u64(0x250) - at)
        #expect(first % 8 == 0 && first >= 4096 + 6)
        #expect(bp.u32(first + 8) == 1 && bp.u32(first + 12) == 72 * 20)   // SETUP_E820_EXT
        #expect(bp.u64(first + 16) == 128 << 21)                            // entry 128
        let second = Int(bp.u64(first) - at)
        #expect(bp.u32(second + 8) == 9 && bp.u32(second + 12) == 32)       // SETUP_RNG_SEED
        #expect(Array(bp[(second + 16)..<(second + 48)]) == Array(1...32))
        #expect(bp.u64(second) == 0)
        #expect(bp.count == b.size)
    }

    @Test func copiesScreenInfoRsdpAndSubarchFromTheRunningKernel() {
        var running = [UInt8](repeating: 0, count: 4096)
        for i in 0..<0x40 { running[i] = UInt8(i + 1) }
        running.store(UInt64(0xf5a40), at: 0x70)
        running.store(UInt32(0), at: 0x23c)
        let bp = builder(e820: [], running: running).build(at: 0x10_0000, initrd: nil)
        // screen_info is copied whole except ext_mem_k (offset 2), which we compute.
        #expect(Array(bp[4..<0x40]) == Array(running[4..<0x40]) && bp[0..<2] == running[0..<2])
        #expect(bp.u64(0x70) == 0xf5a40)
        var efi = builder(e820: [], running: running)
        efi.host.acpiRSDP = 0x7fb7_e014
        #expect(efi.build(at: 0x10_0000, initrd: nil).u64(0x70) == 0x7fb7_e014)   // EFI systab wins
    }
}

@Suite("command line composition")
struct CommandLineTests {
    @Test(arguments: [
        (String?.none, String?("quiet"), false, "quiet"),
        ("BOOT_IMAGE=/vmlinuz root=/dev/sda ro\n", nil, false, "root=/dev/sda ro"),
        ("BOOT_IMAGE=/vmlinuz root=/dev/sda crashkernel=256M", "x=1", false, "root=/dev/sda crashkernel=256M x=1"),
        ("BOOT_IMAGE=/vmlinuz root=/dev/sda crashkernel=256M", "x=1", true, "root=/dev/sda x=1"),
        (nil, nil, false, ""),
    ])
    func compose(_ running: String?, _ append: String?, _ crash: Bool, _ expected: String) {
        #expect(CommandLineComposer.compose(running: running, append: append, crash: crash) == expected)
    }
}
