import Foundation
import Testing
@testable import KexecCore
@testable import KexecSystem

/// What OVMF's runtime map looked like in a q35 guest (Debian 6.1): code and data regions,
/// mapped by the running kernel at its EFI virtual addresses.
enum EFIFixture {
    static let runtimeMap = [
        EFIMemoryDescriptor(type: 5, physicalStart: 0x7e8f_3000, virtualStart: 0xffff_ffff_feff_f000, pages: 0x30, attribute: 0x8000_0000_0000_000f),
        EFIMemoryDescriptor(type: 6, physicalStart: 0x7fb9_2000, virtualStart: 0xffff_ffff_fefc_f000, pages: 0x4, attribute: 0x8000_0000_0000_000f),
        EFIMemoryDescriptor(type: 11, physicalStart: 0xffc0_0000, virtualStart: 0xffff_ffff_fe80_0000, pages: 0x400, attribute: 0x8000_0000_0000_0001),
    ]
    static let handOver = EFIHandOver(
        systemTable: 0x1_7f9e_e018,
        setupData: EFISetupData(firmwareVendor: 0x7f9e_e6d8, runtimeServices: 0x7f9e_eb98, configurationTables: 0x7f9e_e918, smbios: 0x7f77_e000),
        memoryDescriptorVersion: 1, runtimeMap: runtimeMap)

    /// The running kernel's boot_params as an EFI-booted kernel has them.
    static func runningBootParams(secureBoot: UInt8 = 3) -> [UInt8] {
        var bp = [UInt8](repeating: 0, count: 4096)
        bp.store(bytes: Array("EL64".utf8), at: 0x1c0)
        bp.store(UInt32(0x7f9e_e018), at: 0x1c4)
        bp.store(UInt32(48), at: 0x1c8)             // OVMF's own descriptor stride
        bp.store(UInt32(1), at: 0x1cc)
        bp.store(UInt32(1), at: 0x1d8)
        bp[0x1ec] = secureBoot
        return bp
    }
}

@Suite("EFI hand-over on the kexec_load path")
struct EFIHandOverTests {
    let header = try! Fixture.bzImage().withUnsafeBytes { try BzImageHeaderParser.parse($0) }

    func builder(efi: EFIHandOver?, running: [UInt8]? = EFIFixture.runningBootParams()) -> BootParamsBuilder {
        var host = Fixture.host(seed: Array(1...32))
        host.runningBootParams = running
        host.efi = efi
        return BootParamsBuilder(header: header, commandLine: "console=ttyS0", e820: Fixture.memoryMap().e820, host: host)
    }

    @Test func efiInfoPointsAtTheRuntimeMapInsideTheSegment() {
        let b = builder(efi: EFIFixture.handOver)
        let at: UInt64 = 0x1_0000
        let bp = b.build(at: at, initrd: nil)
        #expect(bp.count == b.size)
        #expect(bp[0x1c0..<0x1c4].elementsEqual("EL64".utf8))
        #expect(UInt64(bp.u32(0x1c4)) | UInt64(bp.u32(0x1d8)) << 32 == 0x1_7f9e_e018)   // efi_systab + _hi
        #expect(bp.u32(0x1c8) == 40 && bp.u32(0x1cc) == 1)                            // our stride, version
        #expect(bp.u32(0x1d4) == 3 * 40)                                              // efi_memmap_size
        let map = Int(UInt64(bp.u32(0x1d0)) | UInt64(bp.u32(0x1dc)) << 32) - Int(at)
        #expect(map % 8 == 0 && map + 120 == bp.count)
        #expect(bp.u32(map) == 5 && bp.u32(map + 4) == 0)
        #expect(bp.u64(map + 8) == 0x7e8f_3000 && bp.u64(map + 16) == 0xffff_ffff_feff_f000)
        #expect(bp.u64(map + 24) == 0x30 && bp.u64(map + 32) == 0x8000_0000_0000_000f)
        #expect(bp.u64(map + 80 + 8) == 0xffc0_0000 && bp.u32(map + 80) == 11)
        #expect(bp[0x1ec] == 3)                                                       // secure_boot
    }

    @Test func setupEFINodeCarriesVendorTablesAndSMBIOS() throws {
        let at: UInt64 = 0x2_0000
        let bp = builder(efi: EFIFixture.handOver).build(at: at, initrd: nil)
        var node = bp.u64(0x250)
        var found: Int?
        while node != 0 {
            let o = Int(node - at)
            if bp.u32(o + 8) == 4 { found = o }
            node = bp.u64(o)
        }
        let o = try #require(found)
        #expect(bp.u32(o + 12) == 96)
        #expect(bp.u64(o + 16) == 0x7f9e_e6d8 && bp.u64(o + 24) == 0x7f9e_eb98)
        #expect(bp.u64(o + 32) == 0x7f9e_e918 && bp.u64(o + 40) == 0x7f77_e000)
        #expect(bp[(o + 48)..<(o + 112)].allSatisfy { $0 == 0 })                      // reserved[8]
    }

    @Test func withoutEFINothingOfItIsWritten() {
        let b = builder(efi: nil, running: EFIFixture.runningBootParams(secureBoot: 2))
        let bp = b.build(at: 0x1_0000, initrd: nil)
        #expect(bp[0x1c0..<0x1e0].allSatisfy { $0 == 0 })
        #expect(bp[0x1ec] == 2)
        #expect(b.size == b.efiMemoryMapOffset)
    }

    @Test func planNotesTheHandOverAndNoEFITurnsItOff() throws {
        let files = try ImageFiles(prefix: "kexec-efi-")
        let runner = KexecRunner(backend: DryRunBackend())
        var host = Fixture.host()
        host.runningBootParams = EFIFixture.runningBootParams()
        host.efi = EFIFixture.handOver
        var o = LoadOptions(kernelPath: files.kernel)
        o.syscall = .load
        let plan = try runner.plan(o, host: host, crash: nil)
        #expect(plan.notes.contains { $0.hasPrefix("EFI: system table 0x17f9ee018, 3 runtime regions") })
        let bp = Array(try #require(plan.segments.first { $0.role == .bootParams }?.data).raw)
        #expect(bp[0x1c0..<0x1c4].elementsEqual("EL64".utf8))

        o.handOverEFI = false
        let off = try runner.plan(o, host: host, crash: nil)
        #expect(off.notes.contains { $0.hasPrefix("EFI: not passed (--noefi)") })
        let bpOff = Array(try #require(off.segments.first { $0.role == .bootParams }?.data).raw)
        #expect(bpOff[0x1c0..<0x1e0].allSatisfy { $0 == 0 })
    }

    @Test func crashLoadsHandOverEFITooInsideTheReservation() throws {
        let reservation = PhysicalRange(start: 0x2000_0000, size: 256 << 20)!
        var req = Fixture.request(Fixture.bzImage())
        req.crash = CrashInputs(reservations: [reservation],
                                layout: CrashDumpLayout(cpuNotes: [], vmcoreinfoNotes: [], kernelText: nil,
                                                        memory: Fixture.memoryMap().ram, pageOffset: 0xffff_8880_0000_0000))
        var host = Fixture.host()
        host.efi = EFIFixture.handOver
        let plan = try BzImage64Loader().plan(req, host: host)
        let segment = try #require(plan.segments.first { $0.role == .bootParams })
        #expect(reservation.contains(segment.memory))
        let bp = Array(try #require(segment.data).raw)
        let map = UInt64(bp.u32(0x1d0)) | UInt64(bp.u32(0x1dc)) << 32
        #expect(segment.memory.contains(PhysicalRange(start: map, size: 120)!))
    }
}

@Suite("reading EFI from the running system")
struct EFIProbeTests {
    static func sysfs(runtimeMap: Bool = true) -> [String: String] {
        var files = [
            "/sys/firmware/efi/fw_vendor": "0x7f9ee6d8\n", "/sys/firmware/efi/runtime": "0x7f9eeb98\n",
            "/sys/firmware/efi/config_table": "0x7f9ee918\n",
            "/sys/firmware/efi/systab": "ACPI20=0x7fb7e014\nACPI=0x7fb7e000\nSMBIOS=0x7f77e000\nSMBIOS3=0x7f77c000\n",
        ]
        if runtimeMap {
            for (i, d) in EFIFixture.runtimeMap.enumerated() {
                let dir = "/sys/firmware/efi/runtime-map/\(i)"
                files[dir + "/type"] = "0x\(String(d.type, radix: 16))\n"
                files[dir + "/phys_addr"] = "0x\(String(d.physicalStart, radix: 16))\n"
                files[dir + "/virt_addr"] = "0x\(String(d.virtualStart, radix: 16))\n"
                files[dir + "/num_pages"] = "0x\(String(d.pages, radix: 16))\n"
                files[dir + "/attribute"] = "0x\(String(d.attribute, radix: 16))\n"
            }
        }
        return files
    }

    func probe(_ files: [String: String], bootParams: [UInt8]? = EFIFixture.runningBootParams()) throws -> (HostInfo, FakeRoot) {
        var all = files
        all["/sys/firmware/memmap/0/start"] = "0x100000\n"
        all["/sys/firmware/memmap/0/end"] = "0x7fffffff\n"
        all["/sys/firmware/memmap/0/type"] = "System RAM\n"
        let root = try FakeRoot(all)
        if let bootParams {
            try FileManager.default.createDirectory(atPath: root.path + "/sys/kernel/boot_params", withIntermediateDirectories: true)
            try Data(bootParams).write(to: URL(fileURLWithPath: root.path + "/sys/kernel/boot_params/data"))
        }
        return (try HostProbe(files: root.files).hostInfo(seed: false), root)
    }

    @Test func readsTheHandOverTheKernelWouldPass() throws {
        let (info, _) = try probe(Self.sysfs())
        #expect(info.efi == EFIFixture.handOver)
        #expect(info.efiNote == nil)
        #expect(info.acpiRSDP == 0x7fb7_e014)
    }

    @Test func withoutARuntimeMapItSaysWhyAndKeepsACPI() throws {
        let (info, root) = try probe(Self.sysfs(runtimeMap: false))
        #expect(info.efi == nil)
        #expect(info.efiNote == "EFI: not passed: \(root.path)/sys/firmware/efi/runtime-map is missing (efi=noruntime, or a kernel without CONFIG_EFI_RUNTIME_MAP), and without the runtime regions' virtual addresses the new kernel cannot use EFI; it finds ACPI through acpi_rsdp_addr")
        #expect(info.acpiRSDP == 0x7fb7_e014)
    }

    @Test func aBadRuntimeMapEntryIsNamed() throws {
        var files = Self.sysfs()
        files["/sys/firmware/efi/runtime-map/1/virt_addr"] = "garbage\n"
        let (info, _) = try probe(files)
        #expect(info.efi == nil)
        #expect(info.efiNote?.contains("runtime-map/1: expected type, phys_addr, virt_addr") == true)
    }

    @Test func biosMachinesHaveNoEFIAndNoNote() throws {
        let (info, _) = try probe([:], bootParams: [UInt8](repeating: 0, count: 4096))
        #expect(info.efi == nil && info.efiNote == nil)
    }

    @Test func aKernelBootedWithoutEFIInfoGetsANote() throws {
        let (info, _) = try probe(Self.sysfs(), bootParams: [UInt8](repeating: 0, count: 4096))
        #expect(info.efi == nil)
        #expect(info.efiNote?.contains("has no 64-bit EFI system table") == true)
    }
}
