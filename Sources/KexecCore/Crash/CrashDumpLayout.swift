/// Everything the ELF core header of a crash dump describes, gathered from the running
/// system (native: sysfs + /proc; Xen: hypercall ranges) so that building it stays pure.
public struct CrashDumpLayout: Sendable, Equatable {
    /// The kernel's own text mapping (KASLR-aware): where it is physically and virtually.
    public struct KernelText: Sendable, Equatable {
        public var physicalStart: UInt64
        public var virtualStart: UInt64
        public var size: UInt64
        public init(physicalStart: UInt64, virtualStart: UInt64, size: UInt64) {
            self.physicalStart = physicalStart
            self.virtualStart = virtualStart
            self.size = size
        }
    }

    /// Low memory the capture kernel reuses: purgatory copies `source` to `copy` before the
    /// jump, and the dump reads the copy for that range.
    public struct Backup: Sendable, Equatable {
        public var source: PhysicalRange
        public var copy: UInt64
        public init(source: PhysicalRange, copy: UInt64) {
            self.source = source
            self.copy = copy
        }
    }

    /// One PT_NOTE each, in this order: per-CPU crash notes, then the vmcoreinfo note(s).
    public var cpuNotes: [PhysicalRange]
    public var vmcoreinfoNotes: [PhysicalRange]
    public var kernelText: KernelText?
    /// Memory to dump (System RAM minus the crash reservation), one PT_LOAD each.
    public var memory: [PhysicalRange]
    /// Virtual address of physical 0 in the direct map (page_offset_base), for RAM PT_LOADs.
    public var pageOffset: UInt64
    public var backup: Backup?
    public var machine: UInt16

    public init(cpuNotes: [PhysicalRange], vmcoreinfoNotes: [PhysicalRange], kernelText: KernelText?,
                memory: [PhysicalRange], pageOffset: UInt64, backup: Backup? = nil, machine: UInt16 = 62) {
        self.cpuNotes = cpuNotes
        self.vmcoreinfoNotes = vmcoreinfoNotes
        self.kernelText = kernelText
        self.memory = memory
        self.pageOffset = pageOffset
        self.backup = backup
        self.machine = machine
    }
}
