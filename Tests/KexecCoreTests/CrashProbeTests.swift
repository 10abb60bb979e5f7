import Foundation
import Testing
@testable import KexecCore
@testable import KexecSystem

private func r(_ start: UInt64, _ end: UInt64) -> PhysicalRange { PhysicalRange(start: start, end: end)! }
private func n(_ start: UInt64, _ size: UInt64) -> PhysicalRange { PhysicalRange(start: start, size: size)! }

/// A KASLR'd host: text at physical 0x2a000000 / virtual 0xffffffff9a000000, direct map at
/// 0xffff9e4a40000000.
enum CrashHost {
    static let pageOffset: UInt64 = 0xffff_9e4a_4000_0000
    static let textVirtual: UInt64 = 0xffff_ffff_9a00_0000
    static let textPhysical: UInt64 = 0x2a00_0000
    static let textSize: UInt64 = 0x2c0_0000
    static let unknown = UInt64.max

    static let iomem = """
        00000000-00000fff : Reserved
        00001000-0009efff : System RAM
        0009f000-000fffff : Reserved
          000a0000-000bffff : PCI Bus 0000:00
          000f0000-000fffff : System ROM
        00100000-bffd9fff : System RAM
          2a000000-2b0fffff : Kernel code
          2b200000-2ba4ffff : Kernel rodata
          b3000000-beffffff : Crash kernel
        bffda000-bfffffff : Reserved
        c0000000-febfffff : PCI Bus 0000:00
        100000000-23fffffff : System RAM
          23f000000-23fffffff : Crash kernel
        240000000-27fffffff : Persistent Memory
          240000000-27fffffff : dax0.0
            240000000-27fffffff : System RAM (kmem)

        """

    /// A few thousand lines before _stext so the scanner crosses 64 KiB chunks.
    static let kallsyms: String = {
        var s = "0000000000000000 A fixed_percpu_data\n0000000000000000 A __per_cpu_start\n"
        s += "ffffffff9a000000 T _text\nffffffff9a000000 T startup_64\n"
        for i in 0..<4000 { s += "ffffffff9a000" + String(0x100 + i % 0xe00, radix: 16) + " t padding_symbol_\(i)\n" }
        s += "ffffffff9a001000 T _stext\nffffffffc0a01000 t ext4_fill_super\t[ext4]\n"
        return s
    }()

    /// PT_NOTE, text, vmalloc (no physical address), and two RAM segments (highest first,
    /// as the direct map need not be listed in address order).
    static func kcore(textPhysical: UInt64 = textPhysical, extra: Int = 0, oldKernel: Bool = false) -> [UInt8] {
        var phdrs: [ELF64ProgramHeader] = [
            .init(type: ELF.PT_NOTE, offset: 0x1000, virtualAddress: 0, physicalAddress: 0, fileSize: 0x1000, memorySize: 0),
            .init(type: ELF.PT_LOAD, flags: 7, offset: 0x7fff_9a00_3000, virtualAddress: textVirtual, physicalAddress: textPhysical,
                  fileSize: textSize, memorySize: textSize, alignment: 4096),
            .init(type: ELF.PT_LOAD, flags: 7, offset: 0x4a_0000_3000, virtualAddress: 0xffff_b000_0000_0000, physicalAddress: unknown,
                  fileSize: 0x1000_0000_0000, memorySize: 0x1000_0000_0000, alignment: 4096),
            .init(type: ELF.PT_LOAD, flags: 7, offset: 0x2000, virtualAddress: pageOffset + 0x1_0000_0000,
                  physicalAddress: 0x1_0000_0000, fileSize: 0x1_4000_0000, memorySize: 0x1_4000_0000, alignment: 4096),
            .init(type: ELF.PT_LOAD, flags: 7, offset: 0x2000, virtualAddress: pageOffset + 0x1000,
                  physicalAddress: 0x1000, fileSize: 0x9e000, memorySize: 0x9e000, alignment: 4096),
        ]
        for i in 0..<extra {
            phdrs.append(.init(type: ELF.PT_LOAD, flags: 7, offset: 0, virtualAddress: 0xffff_ea00_0000_0000 + UInt64(i) << 21,
                               physicalAddress: unknown, fileSize: 0x1000, memorySize: 0x1000))
        }
        if oldKernel { for i in phdrs.indices { phdrs[i].physicalAddress = 0 } }
        var h = ELF64Header(type: ELF.ET_CORE, machine: ELF.EM_X86_64)
        h.programHeaderOffset = 64
        h.programHeaderCount = UInt16(phdrs.count)
        // Like the kernel: notes follow the headers, then a hole; the file is much larger.
        var bytes = [UInt8](repeating: 0, count: max(64 + phdrs.count * 56 + 0x3000, 0x20000))
        h.encode(into: &bytes, at: 0)
        for (i, p) in phdrs.enumerated() { p.encode(into: &bytes, at: 64 + i * 56) }
        return bytes
    }

    static func files(cpus: Int = 4, edit: (inout [String: String]) -> Void = { _ in }) -> [String: String] {
        var f: [String: String] = [
            "/proc/iomem": iomem,
            "/proc/kallsyms": kallsyms,
            "/sys/kernel/vmcoreinfo": "0x0000000002b7a000 1024\n",
            "/sys/devices/system/cpu/possible": "0-\(cpus - 1)\n",
            "/sys/devices/system/cpu/online": "0-\(cpus - 1)\n",
            "/sys/devices/system/cpu/cpufreq/boost": "1\n",
            "/sys/devices/system/cpu/cpuidle/current_driver": "intel_idle\n",
        ]
        for cpu in 0..<cpus {
            f["/sys/devices/system/cpu/cpu\(cpu)/crash_notes"] = String(0x2_3e01_c000 + UInt64(cpu) * 0x4_0000, radix: 16) + "\n"
            f["/sys/devices/system/cpu/cpu\(cpu)/crash_notes_size"] = "408\n"
        }
        edit(&f)
        return f
    }

    static func root(cpus: Int = 4, kcore: [UInt8]? = CrashHost.kcore(), edit: (inout [String: String]) -> Void = { _ in }) throws -> FakeRoot {
        let root = try FakeRoot(files(cpus: cpus, edit: edit))
        if let kcore {
            try FileManager.default.createDirectory(atPath: root.path + "/proc", withIntermediateDirectories: true)
            #expect(FileManager.default.createFile(atPath: root.path + "/proc/kcore", contents: Data(kcore)))
        }
        return root
    }
}

private func probe(_ root: FakeRoot) -> CrashProbe { CrashProbe(files: root.files) }

private func message(_ body: () throws -> Void) -> String {
    do { try body(); return "no error" } catch { return "\(error)" }
}

@Suite("reading the crash inputs of the running kernel")
struct CrashProbeTests {
    @Test func reservationsAreTheCrashKernelLines() throws {
        let root = try CrashHost.root()
        #expect(try probe(root).crashReservations() == [r(0xb300_0000, 0xbf00_0000), r(0x2_3f00_0000, 0x2_4000_0000)])
    }

    @Test func fullLayout() throws {
        let root = try CrashHost.root()
        let p = probe(root)
        let layout = try p.layout(reservations: try p.crashReservations())
        #expect(layout.cpuNotes == (0..<4).map { n(0x2_3e01_c000 + UInt64($0) * 0x4_0000, 408) })
        #expect(layout.vmcoreinfoNotes == [n(0x2b7a000, 0x1024)])
        #expect(layout.kernelText == .init(physicalStart: 0x2a00_0000, virtualStart: 0xffff_ffff_9a00_0000, size: 0x2c0_0000))
        #expect(layout.pageOffset == 0xffff_9e4a_4000_0000)
        #expect(layout.backup == nil && layout.machine == 62)
        #expect(layout.memory == [
            r(0x1000, 0x9f000),
            r(0x10_0000, 0xb300_0000), r(0xbf00_0000, 0xbffd_a000),
            r(0x1_0000_0000, 0x2_3f00_0000),
            r(0x2_4000_0000, 0x2_8000_0000),          // System RAM (kmem), nested under a dax device
        ])
        // And the header it makes: 4 + 1 + 1 + 5 program headers.
        #expect(CoreHeaderBuilder.programHeaderCount(for: layout) == 11)
    }

    @Test func cpusAreInNumericOrderAndOtherEntriesIgnored() throws {
        let root = try CrashHost.root(cpus: 12)
        let notes = try probe(root).cpuNotes()
        #expect(notes.count == 12)
        #expect(notes.map(\.start) == (0..<12).map { 0x2_3e01_c000 + UInt64($0) * 0x4_0000 })
    }

    @Test func crashNotesMayHaveA0xPrefixAndVmcoreinfoTheOldFormat() throws {
        let root = try CrashHost.root { f in
            f["/sys/devices/system/cpu/cpu1/crash_notes"] = "0x23e05c000\n"
            f["/sys/kernel/vmcoreinfo"] = "2b7a000 1024\n"
        }
        let p = probe(root)
        #expect(try p.cpuNotes()[1] == n(0x2_3e05_c000, 408))
        #expect(try p.vmcoreinfoNotes() == [n(0x2b7a000, 0x1024)])
    }

    @Test func noVmcoreinfoFileMeansNoNote() throws {
        let root = try CrashHost.root { $0["/sys/kernel/vmcoreinfo"] = nil }
        #expect(try probe(root).vmcoreinfoNotes() == [])
    }

    @Test func manyCPUsAndRanges() throws {
        // 600 RAM ranges of 1 MiB every 2 MiB from 4 GiB, plus the usual low RAM with the reservation.
        var iomem = "00001000-0009efff : System RAM\n00100000-bffd9fff : System RAM\n  2a000000-2b0fffff : Kernel code\n  b3000000-beffffff : Crash kernel\n"
        for i in 0..<600 {
            let start = 0x1_0000_0000 + UInt64(i) << 21
            iomem += String(start, radix: 16) + "-" + String(start + 0xf_ffff, radix: 16) + " : System RAM\n"
            iomem += String(start + 0x10_0000, radix: 16) + "-" + String(start + 0x1f_ffff, radix: 16) + " : Reserved\n"
        }
        let root = try CrashHost.root(cpus: 256, kcore: CrashHost.kcore(extra: 1200)) { $0["/proc/iomem"] = iomem }
        let p = probe(root)
        let reservations = try p.crashReservations()
        #expect(reservations == [r(0xb300_0000, 0xbf00_0000)])
        let layout = try p.layout(reservations: reservations)
        #expect(layout.cpuNotes.count == 256)
        #expect(layout.cpuNotes[255] == n(0x2_3e01_c000 + 255 * 0x4_0000, 408))
        #expect(layout.memory.count == 603)
        #expect(layout.memory.last == n(0x1_0000_0000 + 599 << 21, 0x10_0000))
        #expect(layout.pageOffset == CrashHost.pageOffset)
        // 256 + 1 + 1 + 603 = 861 headers: 64 + 861 × 56 = 48280 → 48 KiB.
        #expect(CoreHeaderBuilder.build(layout).count == 49152)
    }

    @Test func kcoreProgramHeadersBeyondTheFirstRead() throws {
        // 1205 headers end at 64 + 1205 × 56 = 67544 bytes, past the first 64 KiB read.
        let root = try CrashHost.root(kcore: CrashHost.kcore(extra: 1200))
        let loads = try probe(root).kcoreLoads()
        #expect(loads.count == 1205)
        #expect(loads.last?.virtualAddress == UInt64(0xffff_ea00_0000_0000) + 1199 << 21)
    }

    // MARK: errors

    @Test func noReservation() throws {
        let root = try CrashHost.root { $0["/proc/iomem"] = "00001000-0009efff : System RAM\n00100000-bffd9fff : System RAM\n  2a000000-2b0fffff : Kernel code\n" }
        let text = message { _ = try probe(root).crashReservations() }
        #expect(text == "Memory for crashkernel is not reserved: add crashkernel=256M (or crashkernel=Y@X) to the kernel command line and reboot")
    }

    @Test func zerosMeanNeedsRoot() throws {
        let zeros = """
            00000000-00000000 : Reserved
            00000000-00000000 : System RAM
              00000000-00000000 : Kernel code
              00000000-00000000 : Crash kernel
            00000000-00000000 : System RAM

            """
        let root = try CrashHost.root { $0["/proc/iomem"] = zeros }
        #expect(message { _ = try probe(root).crashReservations() }.contains("needs root"))
        #expect(message { _ = try probe(root).layout(reservations: []) }.contains("needs root"))

        let hidden = try CrashHost.root { $0["/proc/kallsyms"] = "0000000000000000 T _text\n0000000000000000 T _stext\n" }
        let text = message { _ = try probe(hidden).layout(reservations: []) }
        #expect(text.contains("needs root") && text.contains("_stext"))
    }

    @Test func cpuWithoutCrashNotes() throws {
        let root = try CrashHost.root(cpus: 4) { f in
            f["/sys/devices/system/cpu/cpu3/crash_notes"] = nil
            f["/sys/devices/system/cpu/cpu3/crash_notes_size"] = nil
            f["/sys/devices/system/cpu/cpu3/online"] = "1\n"
        }
        let text = message { _ = try probe(root).layout(reservations: []) }
        #expect(text.contains("CPU 3") && text.contains("crash_notes"))
    }

    @Test func noSysfs() throws {
        let root = try CrashHost.root(cpus: 0) { f in
            f = f.filter { !$0.key.hasPrefix("/sys/") }
        }
        #expect(message { _ = try probe(root).layout(reservations: []) }.contains("sysfs is not mounted"))
    }

    @Test func malformedNotes() throws {
        let root = try CrashHost.root { $0["/sys/devices/system/cpu/cpu2/crash_notes_size"] = "lots\n" }
        #expect(message { _ = try probe(root).cpuNotes() }.contains("decimal size"))
        let vmcore = try CrashHost.root { $0["/sys/kernel/vmcoreinfo"] = "0x2b7a000\n" }
        #expect(message { _ = try probe(vmcore).vmcoreinfoNotes() }.contains("address size"))
    }

    @Test func kcoreProblems() throws {
        let missing = try CrashHost.root(kcore: nil)
        #expect(message { _ = try probe(missing).layout(reservations: []) }.contains("needs root"))

        let notELF = try CrashHost.root(kcore: [UInt8](repeating: 0x41, count: 4096))
        #expect(message { _ = try probe(notELF).layout(reservations: []) }.contains("ELF64 core"))

        let disagree = try CrashHost.root(kcore: CrashHost.kcore(textPhysical: 0x3000_0000))
        #expect(message { _ = try probe(disagree).layout(reservations: []) }.contains("Kernel code"))

        // Before Linux 4.11 every p_paddr was 0.
        let old = try CrashHost.root(kcore: CrashHost.kcore(oldKernel: true))
        #expect(message { _ = try probe(old).layout(reservations: []) }.contains("4.11"))

        let noStext = try CrashHost.root { $0["/proc/kallsyms"] = "ffffffff9a000000 T _text\n" }
        #expect(message { _ = try probe(noStext).layout(reservations: []) }.contains("no _stext"))
    }

    @Test func textPhysicalFallsBackToKernelCode() throws {
        // A text segment without a physical address takes the "Kernel code" start.
        let root = try CrashHost.root(kcore: CrashHost.kcore(textPhysical: .max))
        let layout = try probe(root).layout(reservations: [])
        #expect(layout.kernelText?.physicalStart == 0x2a00_0000)
    }
}
