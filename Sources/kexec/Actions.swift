import Glibc
import KexecCore
import KexecSystem

/// Carries out an `Invocation` in kexec-tools' order: status, unload, load, then shutdown or
/// sync, interfaces down and exec, each as the parsed flags say.
struct Actions {
    let o: Invocation

    init(_ invocation: Invocation) { o = invocation }

    func run() throws {
        if o.version {
            print(SwiftKexecVersion.line)
            return
        }
        var choice = o.syscall
        // A PV dom0 (or any PV guest) kexecs through Xen's hypercall, never the Linux syscalls.
        let xen = XenSetup.detect()
        let backend: any KexecBackend = o.dryRun ? DryRunBackend() : xen?.backend ?? LinuxBackend()
        var runner = KexecRunner(backend: backend)
        if !o.dryRun, xen == nil {
            runner.crashRecordPath = getenv("SWIFT_KEXEC_CRASH_RECORD").map { String(cString: $0) } ?? CrashRecord.defaultPath
        }
        if xen != nil, choice == .file, o.load, o.kernel != nil {
            printError("kexec: kexec_file_load does not apply under Xen; loading through Xen's kexec hypercall")
        }
        if xen != nil { choice = .load }
        if o.debug { o.notes.forEach(printError) }

        // Under Xen the crash region is Xen's (crashkernel= on Xen's command line), not dom0's.
        let xenCrashBytes = { () throws -> UInt64 in try xen?.loader(runner).machine.crashRegion()?.size ?? 0 }
        if o.printCrashSize {
            print(xen != nil ? try xenCrashBytes() : KexecEnvironment.read(SystemFiles()).crashReservationBytes ?? 0)
            return
        }
        if o.json && !o.dryRun && !o.status {
            throw KexecError(field: "--json", "applies to --dry-run and --status only")
        }
        // Everything that changes what is loaded runs under one lock; under Xen so does -S,
        // whose answer comes from the load/unload parity that a concurrent caller changes.
        let changes = !o.dryRun && (o.unload || o.exec || o.load || (o.status && xen != nil))
        var lockNote: String?
        if changes && !(o.status && o.json) {
            lockNote = try Self.lock().note
        }
        if o.status {
            if o.json {
                print(runner.statusJSON(crashReservationBytes: xen != nil ? try? xenCrashBytes() : nil).rendered())
                return
            }
            // kexec-tools' contract: exit 1 when the image is loaded, 0 when not, 255 when it
            // cannot tell (1 would say "loaded").
            let loaded: Bool
            do {
                loaded = try backend.isLoaded(crash: o.crash)
            } catch {
                printError("kexec: \(error)")
                throw ExitStatus(255)
            }
            throw ExitStatus(loaded ? 1 : 0)
        }
        if o.unload {
            if o.dryRun {
                print("--dry-run: would unload the \(o.crash ? "crash (kdump) image" : "loaded image")")
            } else {
                try runner.unload(crash: o.crash, syscall: choice)
            }
        }
        if o.load {
            try load(runner, choice: choice, xen: xen, lockNote: lockNote)
        }
        guard o.shutdown || o.exec else { return }
        if o.dryRun {
            // Only says what would happen: no sync, no interface taken down.
            guard try backend.isLoaded(crash: false) || o.load else {
                throw KexecError("--dry-run: nothing has been loaded, so kexec -e would fail")
            }
            if o.shutdown { print("--dry-run: would run shutdown -r now"); return }
            let steps = (o.sync ? ["sync"] : []) + (o.ifdown ? ["take network interfaces down"] : []) + ["execute the loaded image"]
            print("--dry-run: would " + steps.joined(separator: ", then "))
            return
        }
        if o.shutdown {
            guard try backend.isLoaded(crash: false) else { throw KexecError("nothing has been loaded: load a kernel with kexec -l first") }
            try runShutdown()
        }
        try runner.execute(sync: o.sync, ifdown: o.ifdown)
    }

    func load(_ runner: KexecRunner, choice: SyscallChoice, xen: XenSetup?, lockNote: String?) throws {
        guard let kernel = o.kernel else {
            throw KexecError("no kernel image given: kexec -l KERNEL [--initrd=FILE] [--append=TEXT]")
        }
        if let extra = o.extraOperands.first {
            throw KexecError("\(extra): one kernel image only (\(kernel) is the kernel); options go before or after it with their dashes")
        }
        var options = LoadOptions(kernelPath: kernel)
        options.initrdPath = o.initrd
        options.append = o.append
        options.reuseCommandLine = o.reuseCommandLine
        options.type = o.type
        options.skipChecks = o.skipChecks
        options.corruptDigestForTesting = o.corruptDigestForTesting
        options.memoryMin = o.memoryMin ?? 0
        options.memoryMax = o.memoryMax ?? .max
        options.syscall = choice
        options.debug = o.debug
        options.crash = o.crash
        options.elfArguments = o.elfArguments
        options.handOverEFI = o.handOverEFI
        options.crashHotplug = o.crashHotplug
        options.noCMA = o.noCMA
        options.modules = o.modules
        options.purgatorySerial.progress = o.consoleSerial
        if let serial = o.serial { options.purgatorySerial.port = try PurgatorySerial.port(serial) }

        if o.dryRun {
            try dryRun(runner, options, xen: xen)
            return
        }
        let outcome = try xen?.loader(runner).load(options) ?? runner.load(options)
        if o.debug {
            if let lockNote { printError(lockNote) }
            outcome.notes.forEach(printError)
            if let plan = outcome.plan {
                plan.notes.forEach(printError)
                printError(PlanPrinter.text(plan))
            }
        }
    }

    /// All the work of a kexec_load, plus which syscall would be used and why.
    func dryRun(_ runner: KexecRunner, _ options: LoadOptions, xen: XenSetup?) throws {
        let plan = try xen?.loader(runner).plan(options) ?? runner.plan(options)
        let why: String
        if xen == nil, let only = options.onlyKexecLoad {
            why = "kexec_load: \(only.note)"
        } else {
            why = SyscallPolicy.prediction(xen != nil ? .auto : options.syscall, runner.environment)
        }
        if o.debug { plan.notes.forEach(printError) }
        // Under Xen no signature is checked: the hypercall takes the segments as they are.
        let signature = xen == nil ? runner.signatureReport(options) : nil
        if o.json {
            var json = PlanPrinter.json(plan, syscall: why)
            if case .object(var fields) = json, let signature {
                fields.append(("signature", signature.json))
                json = .object(fields)
            }
            print(json.rendered())
        } else {
            print("syscall: \(why)")
            if let signature { print(signature.line) }
            print(PlanPrinter.text(plan))
        }
    }

    /// The operation lock (SWIFT_KEXEC_LOCK and SWIFT_KEXEC_LOCK_TIMEOUT move it and bound the
    /// wait, for tests); kept until the process exits.
    static func lock() throws -> (lock: OperationLock?, note: String) {
        let env = { (name: String) in getenv(name).map { String(cString: $0) } }
        return try OperationLock.acquire(path: env("SWIFT_KEXEC_LOCK") ?? OperationLock.defaultPath,
                                         timeout: env("SWIFT_KEXEC_LOCK_TIMEOUT").flatMap(Double.init) ?? 60,
                                         say: printError)
    }

    /// Without an action flag kexec-tools hands over to the init system's reboot, whose
    /// shutdown scripts then run `kexec -e`.
    func runShutdown() throws -> Never {
        for path in ["/sbin/shutdown", "/etc/shutdown", "/bin/shutdown", "/usr/sbin/shutdown"] where access(path, X_OK) == 0 {
            let words: [String] = [path, "-r", "now"]
            var args: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) }
            args.append(nil)
            execv(path, args)
        }
        throw KexecError("loaded, but no shutdown(8) was found to reboot with; run kexec -e to boot the image")
    }
}
