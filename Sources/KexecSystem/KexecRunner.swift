import Glibc
import KexecCore
import SystemPackage

/// What a load needs from the command line, already validated for shape.
public struct LoadOptions: Sendable, Equatable {
    public var kernelPath: String
    public var initrdPath: String?
    public var append: String?
    public var reuseCommandLine = false
    public var type: String?
    public var skipChecks = false
    public var memoryMin: UInt64 = 0
    public var memoryMax: UInt64 = .max
    public var corruptDigestForTesting = false
    public var syscall: SyscallChoice = .auto
    public var debug = false
    /// `-p`: a capture kernel for kdump, loaded into the crash reservation.
    public var crash = false
    /// ELF kernels: `--args-linux` / `--args-none`.
    public var elfArguments: ElfArgumentStyle = .linux
    /// Multiboot: `--module="FILE ARGS"`, in order.
    public var modules: [String] = []
    /// `--serial=` / `--console-serial`.
    public var purgatorySerial = PurgatorySerial()
    /// false for `--noefi`: a kexec_load hand-over without efi_info and SETUP_EFI.
    public var handOverEFI = true
    /// `-p` through kexec_load: size the ELF core header for the kernel's hotplug updates and
    /// leave it out of purgatory's digests (KEXEC_UPDATE_ELFCOREHDR), where the kernel can.
    public var crashHotplug = true
    /// `--no-cma`: passed on to kexec_file_load (`FileLoadRequest.noCMA`).
    public var noCMA = false

    public init(kernelPath: String) { self.kernelPath = kernelPath }

    /// Every file the load reads: the kernel, the initrd, each module's file.
    public var filePaths: [String] {
        [kernelPath] + (initrdPath.map { [$0] } ?? []) + modules.map(KexecRunner.modulePath)
    }

    /// --append/--command-line or --reuse-cmdline was used (`--append=` counts: it asks for an
    /// empty command line), so a UKI's own .cmdline is not.
    public var commandLineGiven: Bool { append != nil || reuseCommandLine }

    /// What makes this load one for kexec_load only (our purgatory), as the option and the
    /// reason; nil when kexec_file_load could do it too.
    public var onlyKexecLoad: (option: String, reason: String, note: String)? {
        if !modules.isEmpty {
            return ("--module", "kexec_file_load (-s) cannot pass multiboot modules", "multiboot modules go through kexec_load only")
        }
        if purgatorySerial.progress {
            return ("--console-serial", "kexec_file_load (-s) runs the kernel's own purgatory, which prints nothing",
                    "--console-serial: our purgatory prints on the serial port, so kexec_load")
        }
        return nil
    }
}

/// How a load went: which syscall did it, the plan when we placed the image, and what
/// happened on the way (for -d).
public struct LoadOutcome: Sendable {
    public var syscall: SyscallChoice
    public var plan: LoadPlan?
    public var notes: [String]
}

/// Runs the actions against a back end; the CLI only maps flags onto these calls.
public struct KexecRunner {
    public var backend: any KexecBackend
    public var probe: HostProbe
    /// Where a successful `-p` is recorded so that a failed crash reload can put it back
    /// (`CrashRecord`); nil: not recorded (dry runs, Xen, tests).
    public var crashRecordPath: String?

    public init(backend: any KexecBackend, probe: HostProbe = HostProbe()) {
        self.backend = backend
        self.probe = probe
    }

    public var environment: KexecEnvironment { KexecEnvironment.read(probe.files) }

    public func commandLine(_ o: LoadOptions) throws(KexecError) -> String {
        let running = o.reuseCommandLine ? try probe.runningCommandLine() : nil
        return CommandLineComposer.compose(running: running, append: o.append, crash: o.crash)
    }

    /// Reads, parses, places and digests; nothing touches the kernel.
    public func plan(_ o: LoadOptions) throws(KexecError) -> LoadPlan {
        var crash: CrashInputs?
        if o.crash {
            let probe = CrashProbe(files: probe.files)
            let reservations = try probe.crashReservations()
            let cma = try probe.cmaRanges()
            crash = CrashInputs(reservations: reservations, layout: try probe.layout(reservations: reservations, cma: cma),
                                cmaRanges: cma)
            if o.crashHotplug { crash?.hotplugHeaderBytes = probe.hotplugHeaderBytes() }
        }
        return try plan(o, host: try probe.hostInfo(), crash: crash)
    }

    /// The plan for a given view of the machine: Linux's, or (under Xen) machine memory and
    /// Xen's crash region.
    public func plan(_ o: LoadOptions, host: HostInfo, crash: CrashInputs?) throws(KexecError) -> LoadPlan {
        // Only the kernel is unwrapped: a compressed initramfs is the kernel's to unpack.
        let unwrapped = try Decompression.unwrap(MappedFile.open(o.kernelPath, role: "kernel image"), path: o.kernelPath)
        let kernel = unwrapped.storage
        let initrd = try o.initrdPath.map { p throws(KexecError) in try MappedFile.open(p, role: "initrd") }
        let loader = try ImageLoaders.select(type: o.type, image: kernel.raw, path: o.kernelPath)
        if !o.modules.isEmpty, !(loader is MultibootX86Loader || loader is Multiboot2X86Loader) {
            // Only a multiboot kernel is told where modules are; anything else would drop them.
            throw KexecError(field: "--module", "\(o.kernelPath) is a \(loader.typeName) kernel; modules are passed only to multiboot-x86 and multiboot2-x86 kernels")
        }
        var request = LoadRequest(kernelPath: o.kernelPath, kernel: kernel.all, initrdPath: o.initrdPath,
                                  initrd: initrd?.all, commandLine: try commandLine(o), skipChecks: o.skipChecks,
                                  memoryMin: o.memoryMin, memoryMax: o.memoryMax)
        request.corruptDigestForTesting = o.corruptDigestForTesting
        request.commandLineFromUser = o.commandLineGiven
        request.crash = crash
        request.elfArguments = o.elfArguments
        request.modules = try o.modules.map { m throws(KexecError) in try Self.module(m) }
        request.purgatorySerial = o.purgatorySerial
        var machine = loader is Multiboot2X86Loader ? probe.withFirmwareTables(host) : host
        if !o.handOverEFI, machine.efi != nil {
            machine.efi = nil
            machine.efiNote = "EFI: not passed (--noefi); the new kernel finds ACPI through acpi_rsdp_addr"
        }
        var plan = try loader.plan(request, host: machine)
        if let note = unwrapped.note(path: o.kernelPath) { plan.notes.insert(note, at: 0) }
        return plan
    }

    /// `--module="FILE ARGS"`: the first word names the file; the whole string goes to the kernel.
    static func module(_ spec: String) throws(KexecError) -> BootModule {
        let path = modulePath(spec)
        guard !path.isEmpty else { throw KexecError(field: "--module", "is empty; expected \"FILE [ARGS]\"") }
        return BootModule(path: path, data: try MappedFile.open(path, role: "module").all, string: spec)
    }

    static func modulePath(_ spec: String) -> String {
        spec.split(separator: " ", maxSplits: 1).first.map(String.init) ?? ""
    }

    /// A load; for `-p` also the crash record, and the previous capture kernel loaded again
    /// when the kernel refused the new one after it had already freed the old one.
    public func load(_ o: LoadOptions) throws(KexecError) -> LoadOutcome {
        guard o.crash, let recordPath = crashRecordPath else { return try loadImage(o) }
        let previous = CrashRecord.read(path: recordPath)
        let wasLoaded = (try? backend.isLoaded(crash: true)) == true
        var outcome: LoadOutcome
        do {
            outcome = try loadImage(o)
        } catch {
            // Loaded still: refused before the kernel let go of it (our checks, or the kernel's
            // own before its free); nothing to put back.
            guard wasLoaded, (try? backend.isLoaded(crash: true)) == false else { throw error }
            throw restoreCrashImage(previous, after: error, recordPath: recordPath)
        }
        if let record = CrashRecord.of(o, syscall: outcome.syscall), record.write(path: recordPath) {
            outcome.notes.append("recorded in \(recordPath): loaded again should a later -p fail after the kernel freed it")
        } else {
            CrashRecord.remove(path: recordPath)
            outcome.notes.append("not recorded (\(recordPath) cannot be written): a later -p that fails inside the kernel leaves no capture kernel")
        }
        return outcome
    }

    /// The refusal, completed with what became of the capture kernel the kernel freed.
    func restoreCrashImage(_ previous: CrashRecord?, after error: KexecError, recordPath: String) -> KexecError {
        var e = error
        let lost = "the kernel had freed the loaded capture kernel before refusing"
        guard let previous else {
            e.message += "; \(lost), and nothing recorded it (\(recordPath)), so none is loaded now: load one again"
            return e
        }
        if let changed = previous.changedFile() {
            CrashRecord.remove(path: recordPath)
            e.message += "; \(lost), and \(changed) changed since it was loaded, so it was not loaded again: none is loaded now"
            return e
        }
        do {
            _ = try loadImage(previous.options)
            e.message += "; the previous capture kernel (\(previous.options.kernelPath)) was loaded again"
        } catch {
            CrashRecord.remove(path: recordPath)
            e.message += "; \(lost), and loading it again failed too (\(error)): none is loaded now"
        }
        return e
    }

    /// `-p -u` also forgets the record; a normal unload leaves it.
    public func unload(crash: Bool, syscall: SyscallChoice) throws(KexecError) {
        try backend.unload(crash: crash, syscall: syscall)
        if crash, let crashRecordPath { CrashRecord.remove(path: crashRecordPath) }
    }

    /// Test hook (the kdump-reload-failures scenario): send a crash load to the kernel without
    /// our checks, to prove what happens when the kernel refuses it after freeing the old one.
    static let testSkipCrashValidation = getenv("SWIFT_KEXEC_TEST_SKIP_VALIDATION") != nil

    /// Test hook (the exec-returns scenario): unload right before reboot, as a racing process
    /// that ignores the lock would, so that reboot returns.
    static let testUnloadBeforeExec = getenv("SWIFT_KEXEC_TEST_UNLOAD_BEFORE_EXEC") != nil

    /// `-s`: the file syscall only; `-c`: our plan through kexec_load; `-a`: file first, then
    /// kexec_load when the kernel cannot use the file syscall for this image.
    func loadImage(_ o: LoadOptions) throws(KexecError) -> LoadOutcome {
        var notes: [String] = []
        if o.crash {
            // Before any syscall, like kexec-tools: a clear sentence when nothing is reserved.
            _ = try CrashProbe(files: probe.files).crashReservations()
        }
        if o.crash, o.syscall != .load, o.onlyKexecLoad == nil, !Self.testSkipCrashValidation {
            // The kernel frees the loaded capture kernel before it parses the new file, so a
            // file it would refuse is refused here first: parsed and placed in the
            // reservation as kexec_load would (no digests; nothing is loaded).
            var check = o
            check.skipChecks = true
            _ = try plan(check)
            notes.append("checked before kexec_file_load: parsed and placed in the crash reservation")
        }
        if let only = o.onlyKexecLoad {
            guard o.syscall != .file else {
                throw KexecError(field: only.option, "\(only.reason); use -c or the default -a")
            }
            notes.append(only.note)
        } else if o.syscall != .load {
            // A UKI is taken apart here, before the call: the kernel cannot parse it.
            let uki = try sealedUKI(o)
            defer { uki?.close() }
            var request = FileLoadRequest(kernelPath: o.kernelPath, initrdPath: o.initrdPath,
                                          commandLine: "", crash: o.crash, debug: o.debug)
            request.noCMA = o.noCMA
            if let uki {
                request.commandLine = uki.commandLine
                request.kernelFD = uki.kernel.rawValue
                request.initrdFD = uki.initrd?.rawValue
                notes += uki.notes
            } else {
                request.commandLine = try commandLine(o)
            }
            do {
                try backend.loadFile(request)
                return LoadOutcome(syscall: .file, plan: nil, notes: notes + ["loaded through kexec_file_load"])
            } catch {
                var failure = error
                // The file goes to the kernel as it is first, and is unwrapped only when the
                // kernel says it cannot parse it (ENOEXEC): the kernel decides what it can load
                // (a kernel whose file loader understands the format gets the file unchanged),
                // and a signature or IMA appraisal applies to the file on disk when it can.
                // x86_64 kernels refuse compressed files, so a vmlinuz.gz costs one extra read.
                if error.errno == ENOEXEC, uki == nil, let unpacked = try sealedKernel(o.kernelPath) {
                    defer { try? unpacked.fd.close() }
                    notes.append(unpacked.note)
                    request.kernelFD = unpacked.fd.rawValue
                    do {
                        try backend.loadFile(request)
                        return LoadOutcome(syscall: .file, plan: nil, notes: notes + ["loaded through kexec_file_load"])
                    } catch {
                        failure = error
                    }
                }
                guard o.syscall == .auto, let e = failure.errno, SyscallPolicy.fallsBack(afterFileError: e) else {
                    throw explainSignatureRefusal(failure, o, uki: uki)
                }
                notes.append("\(failure.message); falling back to kexec_load")
            }
        }
        let plan = try plan(o)
        try backend.load(plan)
        notes.append("loaded through kexec_load")
        return LoadOutcome(syscall: .load, plan: plan, notes: notes)
    }

    /// What kexec_file_load's signature check sees in this load: a UKI's .linux, else the
    /// kernel file (decompressed, as the kernel finally got it). nil when it cannot be read.
    public func signatureDiagnosis(_ o: LoadOptions) -> SignatureDiagnosis? {
        // Only read, never copied into memfds: this also serves --dry-run.
        if let parts = try? ukiParts(o) { return Self.ukiSignature(o, file: parts.file, inputs: parts.inputs) }
        guard let file = try? MappedFile.open(o.kernelPath, role: "kernel image", populate: false),
              let unwrapped = try? Decompression.unwrap(file, path: o.kernelPath) else { return nil }
        return SignatureDiagnosis(checkedName: o.kernelPath, checked: unwrapped.storage.all.withRaw(AuthenticodeInspector.inspect))
    }

    /// For --dry-run: the image's signers, Secure Boot, lockdown and the file syscall's verdict.
    public func signatureReport(_ o: LoadOptions) -> SignatureReport? {
        guard let d = signatureDiagnosis(o) else { return nil }
        let env = environment
        return SignatureReport(diagnosis: d, environment: env, verdict: d.verdict(env, files: probe.files))
    }

    /// A signature refusal of the file syscall, said with what the image carries and why the
    /// kernel wants a signature; other failures unchanged.
    func explainSignatureRefusal(_ failure: KexecError, _ o: LoadOptions, uki: SealedUKI?) -> KexecError {
        guard let e = failure.errno else { return failure }
        let env = environment
        guard SignatureDiagnosis.signatureErrnos.contains(e) || (e == EPERM && env.lockedDown && env.kexecLoadDisabled != true),
              let diagnosis = uki?.signature ?? signatureDiagnosis(o) else { return failure }
        let sentence = diagnosis.explain(errno: e, env: env, trusted: diagnosis.trustedKey(probe.files))
        return KexecError("kexec_file_load failed: \(String(cString: strerror(e))): \(sentence)", errno: e)
    }

    /// The decompressed kernel in a sealed memfd, or nil when the file is not compressed.
    func sealedKernel(_ path: String) throws(KexecError) -> (fd: FileDescriptor, note: String)? {
        let unwrapped = try Decompression.unwrap(MappedFile.open(path, role: "kernel image"), path: path)
        guard let note = unwrapped.note(path: path) else { return nil }
        let fd = try unwrapped.storage.all.withRaw { raw throws(KexecError) in try SealedMemfd.create(name: SealedMemfd.name(for: path), bytes: raw) }
        return (fd, note + "; kexec_file_load refused the file, so it gets the decompressed kernel in a sealed memfd")
    }

    /// sync(2), interfaces down (unless told otherwise), then the back end's execute.
    public func execute(sync doSync: Bool, ifdown: Bool) throws(KexecError) {
        guard try backend.isLoaded(crash: false) else {
            throw KexecError("nothing has been loaded: load a kernel with kexec -l first")
        }
        // Host test runs (SWIFT_KEXEC_NO_SYSCALLS) neither sync nor touch interfaces.
        let real = !RealSyscalls.forbidden
        if doSync && real { Glibc.sync() }
        let down = ifdown && real ? NetworkInterfaces.takeDown() : []
        do {
            if Self.testUnloadBeforeExec { try backend.unload(crash: false, syscall: .auto) }
            try backend.execute()
        } catch {
            // reboot returned (e.g. another process unloaded the image): the network comes back.
            NetworkInterfaces.bringUp(down)
            var e = error
            if !down.isEmpty { e.message += "; network interfaces brought back up (\(down.joined(separator: ", ")))" }
            throw e
        }
    }

    /// Bytes of CMA crash memory (`crashkernel=SIZE,cma`); nil when the kernel does not say
    /// (no /sys/kernel/kexec/crash_cma_ranges before 6.19) or says something unreadable.
    func crashCMABytes() -> UInt64? {
        guard probe.files.exists(KexecSysfs.Attribute.crashCMARanges.paths[0]) else { return nil }
        return (try? CrashProbe(files: probe.files).cmaRanges())?.reduce(0) { $0 + $1.size }
    }

    /// `--status --json`: everything that decides what kexec can do here. Schema 1: the
    /// members below, in this order (members added later go where they belong; none is
    /// removed or changed without a new schema_version); `syscalls` values are one of the words listed in
    /// `SyscallState`; null where the fact cannot be read.
    /// `crashReservationBytes`: the platform's answer when it is not Linux's (Xen's crash region).
    public func statusJSON(crashReservationBytes: UInt64? = nil) -> JSON {
        var env = environment
        env.fillSyscallsFromSymbols(probe.files)
        let loaded = try? backend.isLoaded(crash: false)
        let crash = try? backend.isLoaded(crash: true)
        // 1 once the loaded crash image is one the kernel updates on memory hotplug.
        let hotplug = probe.files.readText("/sys/devices/system/memory/crash_hotplug").map { $0.hasPrefix("1") }
        return .object([
            ("schema_version", .uint(1)),
            ("default_loaded", loaded.map(JSON.bool) ?? .null),
            ("crash_loaded", crash.map(JSON.bool) ?? .null),
            ("crash_hotplug", .optional(hotplug)),
            ("crash_reservation_bytes", .optional(crashReservationBytes ?? env.crashReservationBytes)),
            ("crash_cma_bytes", .optional(env.xen ? nil : crashCMABytes())),
            ("lockdown", .optional(env.lockdown)),
            ("secure_boot", .optional(env.secureBoot)),
            ("kexec_load_disabled", .optional(env.kexecLoadDisabled)),
            ("cap_sys_boot", .optional(env.capSysBoot)),
            ("kernel_config", .optional(env.configSource)),
            ("syscalls", .object([("kexec_load", .string(SyscallState.load(env).rawValue)),
                                  ("kexec_file_load", .string(SyscallState.file(env).rawValue))])),
            ("platform", .string(env.xen ? "xen" : "native")),
        ])
    }
}

/// What `--status --json` says of each syscall.
public enum SyscallState: String, Sendable {
    case available
    /// The kernel was built without it (CONFIG_KEXEC / CONFIG_KEXEC_FILE).
    case notBuilt = "not_built"
    /// kernel.kexec_load_disabled is 1 (both syscalls, until reboot).
    case disabled
    /// kexec_load under lockdown: refused whatever the image.
    case lockedDown = "locked_down"
    /// kexec_file_load under lockdown or CONFIG_KEXEC_SIG_FORCE: signed images only.
    case signatureRequired = "signature_required"
    /// No kernel config and no symbol table to tell.
    case unknown

    static func load(_ env: KexecEnvironment) -> SyscallState {
        if env.configKexec == false { return .notBuilt }
        if env.kexecLoadDisabled == true { return .disabled }
        if env.lockedDown { return .lockedDown }
        return env.configKexec == true ? .available : .unknown
    }

    static func file(_ env: KexecEnvironment) -> SyscallState {
        if env.configKexecFile == false { return .notBuilt }
        if env.kexecLoadDisabled == true { return .disabled }
        if env.lockedDown || env.configKexecSigForce == true { return .signatureRequired }
        return env.configKexecFile == true ? .available : .unknown
    }
}
