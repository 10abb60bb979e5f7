import Glibc
import KexecCore
import SystemPackage

/// Reads what a kdump load needs from the running (native, non-Xen) kernel. Formats, from the
/// kernel sources:
/// - /proc/iomem (kernel/resource.c): "%0*llx-%0*llx : name", two spaces of indent per level;
///   "Crash kernel" and "Kernel code" are children of "System RAM"; non-root sees zeros.
/// - /sys/devices/system/cpu/cpuN/crash_notes: "%llx\n" (physical address, no 0x);
///   crash_notes_size: "%zu\n" (drivers/base/cpu.c, both mode 0400).
/// - /sys/kernel/vmcoreinfo: "%pa %x\n" today ("0x" and 16 digits), "%lx %x\n" before 4.x;
///   the size is hexadecimal too (kernel/ksysfs.c).
/// - /proc/kallsyms: "%px %c %s" (zeros under kptr_restrict or without root).
/// - /proc/kcore (fs/proc/kcore.c): ELF64 ET_CORE, one PT_NOTE then one PT_LOAD per area;
///   since Linux 4.11 p_paddr is the physical address for the kernel text and RAM areas and
///   all-ones for the others.
public struct CrashProbe: Sendable {
    public var files: SystemFiles

    public init(files: SystemFiles = SystemFiles()) { self.files = files }

    /// Every "Crash kernel" range of /proc/iomem (low and high), sorted.
    public func crashReservations() throws(KexecError) -> [PhysicalRange] {
        let lines = try iomem()
        let crash = lines.filter { $0.name == "Crash kernel" }
        if crash.contains(where: \.isZero) { throw needsRoot("/proc/iomem", what: "the crash reservation") }
        guard !crash.isEmpty else {
            // No file prefix: kexec-tools' first words are what users search for.
            throw KexecError("Memory for crashkernel is not reserved: add crashkernel=256M (or crashkernel=Y@X) to the kernel command line and reboot")
        }
        return crash.map(\.range).sorted()
    }

    /// CPU and vmcoreinfo notes, the kernel text mapping, the page offset and System RAM minus
    /// `reservations` and the CMA crash ranges (`cma`: the capture kernel runs in them, so what
    /// the crashed kernel left there is gone; the kernel's own core header leaves them out too).
    /// `backup` is left nil for the loader.
    public func layout(reservations: [PhysicalRange], cma: [PhysicalRange] = []) throws(KexecError) -> CrashDumpLayout {
        let lines = try iomem()
        let memory = try dumpableMemory(lines, minus: reservations + cma)
        let cpuNotes = try cpuNotes()
        let vmcoreinfo = try vmcoreinfoNotes()
        let (text, pageOffset) = try kernelMapping(kernelCode: lines.first { $0.name == "Kernel code" })
        let headers = cpuNotes.count + vmcoreinfo.count + 1 + memory.count + 2   // + 2: a backup split
        guard headers <= CoreHeaderBuilder.maximumProgramHeaders else {
            throw KexecError(file: files.path("/proc/iomem"), "\(memory.count) memory ranges and \(cpuNotes.count) CPUs need \(headers) program headers; an ELF core header holds at most \(CoreHeaderBuilder.maximumProgramHeaders)")
        }
        return CrashDumpLayout(cpuNotes: cpuNotes, vmcoreinfoNotes: vmcoreinfo, kernelText: text,
                               memory: memory, pageOffset: pageOffset)
    }

    /// Program-header bytes the kernel may write on a hotplug update of the core header; nil
    /// when it cannot update one (no CONFIG_CRASH_HOTPLUG, kernels before 6.6) or says 0.
    public func hotplugHeaderBytes() -> UInt64? {
        KexecSysfs.number(files, .crashElfcorehdrSize).flatMap { $0 > 0 ? $0 : nil }
    }

    /// The CMA crash ranges (`crashkernel=SIZE,cma`) from /sys/kernel/kexec/crash_cma_ranges;
    /// none when the file is absent (no CMA reservation or a kernel before 6.19) or empty.
    public func cmaRanges() throws(KexecError) -> [PhysicalRange] {
        let attribute = KexecSysfs.Attribute.crashCMARanges
        guard let text = KexecSysfs.read(files, attribute) else { return [] }
        var ranges: [PhysicalRange] = []
        for line in text.split(separator: "\n") where !line.allSatisfy({ $0 == " " }) {
            let bounds = line.trimmingCharacters(" ").split(separator: "-")
            guard bounds.count == 2, let start = UInt64(bounds[0], radix: 16), let last = UInt64(bounds[1], radix: 16),
                  last >= start, let range = PhysicalRange(start: start, end: last &+ 1) else {
                throw KexecError(file: KexecSysfs.displayPath(files, attribute), "line \"\(line)\": expected \"start-end\" in hexadecimal (inclusive end)")
            }
            ranges.append(range)
        }
        return ranges.sorted()
    }

    // MARK: - /proc/iomem

    struct IomemLine: Equatable {
        var depth: Int
        var range: PhysicalRange
        var name: String
        /// How the kernel prints every resource to readers without CAP_SYS_ADMIN.
        var isZero: Bool { range.start == 0 && range.last == 0 }
    }

    func iomem() throws(KexecError) -> [IomemLine] {
        let path = files.path("/proc/iomem")
        guard let text = files.readText("/proc/iomem") else {
            throw KexecError(file: path, "cannot read the physical memory map (is /proc mounted?)")
        }
        var out: [IomemLine] = []
        for line in text.split(separator: "\n") {
            let indent = line.prefix(while: { $0 == " " }).count
            let parts = line.dropFirst(indent).split(separator: ":", maxSplits: 1)
            let bounds = parts.first?.split(separator: " ").first?.split(separator: "-")
            guard parts.count == 2, let bounds, bounds.count == 2,
                  let start = UInt64(bounds[0], radix: 16), let last = UInt64(bounds[1], radix: 16), last >= start else {
                throw KexecError(file: path, "line \"\(line)\": expected \"start-end : name\" in hexadecimal")
            }
            let range = PhysicalRange(start: start, end: last &+ 1) ?? PhysicalRange(start: start, size: 0 &- start)!
            out.append(IomemLine(depth: indent / 2, range: range, name: parts[1].trimmingCharacters(" ")))
        }
        return out
    }

    /// "System RAM" and its variants ("System RAM (kmem)", "System RAM (virtio_mem)") at any
    /// depth, overlaps merged, minus the reservations.
    func dumpableMemory(_ lines: [IomemLine], minus reservations: [PhysicalRange]) throws(KexecError) -> [PhysicalRange] {
        let ram = lines.filter { $0.name.hasPrefix("System RAM") }
        guard !ram.isEmpty else {
            throw KexecError(file: files.path("/proc/iomem"), "no \"System RAM\" lines")
        }
        if ram.allSatisfy(\.isZero) { throw needsRoot("/proc/iomem", what: "System RAM addresses") }
        var merged: [PhysicalRange] = []
        for r in ram.map(\.range).sorted() {
            if let last = merged.last, r.start < last.end {
                merged[merged.count - 1] = PhysicalRange(start: last.start, end: max(last.end, r.end))!
            } else {
                merged.append(r)
            }
        }
        for reservation in reservations { merged = merged.flatMap { $0.subtracting(reservation) } }
        return merged
    }

    // MARK: - sysfs notes

    /// One note per cpuN directory, in CPU order.
    func cpuNotes() throws(KexecError) -> [PhysicalRange] {
        let dir = "/sys/devices/system/cpu"
        guard files.exists(dir) else {
            throw KexecError(file: files.path(dir), "sysfs is not mounted (mount -t sysfs sysfs /sys); the CPU crash notes are read from it")
        }
        let cpus = files.list(dir).compactMap { name -> Int? in
            guard name.hasPrefix("cpu"), name.count > 3, name.dropFirst(3).allSatisfy(\.isASCIIDigit) else { return nil }
            return Int(name.dropFirst(3))
        }.sorted()
        guard !cpus.isEmpty else { throw KexecError(file: files.path(dir), "no cpuN directories") }
        var notes: [PhysicalRange] = []
        for cpu in cpus {
            let base = "\(dir)/cpu\(cpu)"
            guard files.exists("\(base)/crash_notes") else {
                throw KexecError(file: files.path(base), "CPU \(cpu) has no crash_notes (is the kernel built with CONFIG_CRASH_DUMP?)")
            }
            guard let addressText = files.readText("\(base)/crash_notes"), let sizeText = files.readText("\(base)/crash_notes_size") else {
                throw needsRoot(base, what: "CPU \(cpu)'s crash_notes and crash_notes_size")
            }
            guard let address = parseHex(addressText), address != 0,
                  let size = UInt64(sizeText.trimmingCharacters(" ").trimmingSuffix("\n")), size > 0,
                  let note = PhysicalRange(start: address, size: size) else {
                throw KexecError(file: files.path(base), "expected a hexadecimal address in crash_notes and a decimal size in crash_notes_size, got \"\(addressText.trimmingSuffix("\n"))\" and \"\(sizeText.trimmingSuffix("\n"))\"")
            }
            notes.append(note)
        }
        return notes
    }

    /// The vmcoreinfo note ("address size", both hexadecimal); none when the kernel has no
    /// /sys/kernel/vmcoreinfo.
    func vmcoreinfoNotes() throws(KexecError) -> [PhysicalRange] {
        let file = "/sys/kernel/vmcoreinfo"
        guard files.exists(file) else { return [] }
        guard let text = files.readText(file) else { throw needsRoot(file, what: "the vmcoreinfo note address") }
        let fields = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" }).map(String.init)
        guard fields.count == 2, let address = parseHex(fields[0]), let size = parseHex(fields[1]),
              address != 0, size > 0, let note = PhysicalRange(start: address, size: size) else {
            throw KexecError(file: files.path(file), "expected \"address size\" in hexadecimal, got \"\(text.trimmingSuffix("\n"))\"")
        }
        return [note]
    }

    // MARK: - kernel text and page offset

    /// The /proc/kcore segment holding _stext gives the text mapping; the lowest-addressed
    /// segment with a physical address (the direct map of the first RAM range) gives
    /// PAGE_OFFSET, which KASLR randomises.
    func kernelMapping(kernelCode: IomemLine?) throws(KexecError) -> (CrashDumpLayout.KernelText, UInt64) {
        let stext = try symbolAddress("_stext")
        let kcore = "/proc/kcore"
        let loads = try kcoreLoads().filter { $0.type == ELF.PT_LOAD }
        guard let text = loads.first(where: { $0.containsVirtual(stext) }) else {
            throw KexecError(file: files.path(kcore), "no PT_LOAD contains _stext (\(hex(stext)))")
        }
        let unknown = UInt64.max
        guard loads.contains(where: { $0.physicalAddress != 0 && $0.physicalAddress != unknown }) else {
            throw KexecError(file: files.path(kcore), "no physical addresses in the program headers (Linux before 4.11?); cannot find the kernel's physical and virtual layout")
        }
        var physical = text.physicalAddress
        if let code = kernelCode, !code.isZero {
            if physical == 0 || physical == unknown {
                physical = code.range.start
            } else if physical != code.range.start {
                throw KexecError(file: files.path(kcore), "the kernel text segment says physical \(hex(physical)) but /proc/iomem's \"Kernel code\" starts at \(hex(code.range.start))")
            }
        }
        guard physical != 0, physical != unknown else {
            throw KexecError(file: files.path(kcore), "the kernel text segment has no physical address and /proc/iomem has no \"Kernel code\" line")
        }
        let direct = loads.filter { $0 != text && $0.physicalAddress != unknown }.min { $0.virtualAddress < $1.virtualAddress }
        guard let direct, direct.virtualAddress >= direct.physicalAddress else {
            throw KexecError(file: files.path(kcore), "no direct-map RAM segment to derive the page offset from")
        }
        return (.init(physicalStart: physical, virtualStart: text.virtualAddress, size: text.memorySize),
                direct.virtualAddress - direct.physicalAddress)
    }

    /// Only the ELF and program headers: the file is as large as the address space.
    func kcoreLoads() throws(KexecError) -> [ELF64ProgramHeader] {
        let kcore = "/proc/kcore"
        var limit = 64 << 10
        while true {
            guard let bytes = files.readBytes(kcore, limit: limit) else {
                throw KexecError(file: files.path(kcore), "cannot read the kernel's program headers (needs root, CONFIG_PROC_KCORE and no lockdown)")
            }
            let parsed: (ELF64Header?, [ELF64ProgramHeader]?) = bytes.withUnsafeBytes { raw in
                let header = ELF64Header.decode(from: raw, at: 0)
                return (header, header?.programHeaders(in: raw))
            }
            guard let header = parsed.0, header.isLittleEndian64, header.type == ELF.ET_CORE else {
                throw KexecError(file: files.path(kcore), "not a little-endian ELF64 core file")
            }
            if let loads = parsed.1 { return loads }
            let needed = header.programHeaderOffset.addingReportingOverflow(
                UInt64(header.programHeaderCount) * UInt64(header.programHeaderEntrySize))
            guard bytes.count >= limit, !needed.overflow, needed.partialValue > limit, needed.partialValue <= 16 << 20 else {
                throw KexecError(file: files.path(kcore), "truncated program header table (\(header.programHeaderCount) entries at \(hex(header.programHeaderOffset)))")
            }
            limit = Int(needed.partialValue)
        }
    }

    /// The address of a kernel symbol from /proc/kallsyms, read line by line until found.
    func symbolAddress(_ symbol: String) throws(KexecError) -> UInt64 {
        let path = "/proc/kallsyms"
        var found: Substring?
        let readable = files.scanLines(path) { line in
            let fields = line.split(separator: " ", maxSplits: 3)
            guard fields.count >= 3, fields[2] == symbol[...] else { return true }
            found = fields[0]
            return false
        }
        guard readable else { throw KexecError(file: files.path(path), "cannot read the kernel symbols (is /proc mounted?)") }
        guard let found, let address = UInt64(found, radix: 16) else {
            throw KexecError(file: files.path(path), "no \(symbol) symbol")
        }
        guard address != 0 else { throw needsRoot(path, what: "the address of \(symbol)", also: " and kernel.kptr_restrict below 2") }
        return address
    }

    func needsRoot(_ file: String, what: String, also: String = "") -> KexecError {
        KexecError(file: files.path(file), "cannot see \(what): reading needs root\(also)")
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { ("0"..."9").contains(self) }
}

extension SystemFiles {
    /// Calls `body` with each line of a file until it returns false; false when the file
    /// cannot be read. Stops early, so large files such as /proc/kallsyms are not read whole.
    func scanLines(_ p: String, _ body: (Substring) -> Bool) -> Bool {
        guard let fd = try? FileDescriptor.open(FilePath(path(p)), .readOnly, options: [.closeOnExec]) else { return false }
        defer { try? fd.close() }
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            guard let n = try? chunk.withUnsafeMutableBytes({ try fd.read(into: $0) }) else { return false }
            if n == 0 { break }
            pending.append(contentsOf: chunk[0..<n])
            guard let lastNewline = pending.lastIndex(of: UInt8(ascii: "\n")) else { continue }
            let text = String(decoding: pending[...lastNewline], as: UTF8.self)
            pending.removeSubrange(...lastNewline)
            for line in text.split(separator: "\n") where !body(line) { return true }
        }
        if !pending.isEmpty { _ = body(String(decoding: pending, as: UTF8.self)[...]) }
        return true
    }
}
