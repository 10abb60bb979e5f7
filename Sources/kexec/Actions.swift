import ArgumentParser
import Glibc
import KexecCore
import KexecSystem

/// Maps parsed flags onto runner calls in kexec-tools' order of precedence and prints.
struct Actions {
    let o: KexecCommand

    init(options: KexecCommand) { o = options }

    var syscall: SyscallChoice {
        get throws {
            switch (o.fileSyscall, o.loadSyscall) {
            case (true, true): throw KexecError(field: "-s/-c", "choose one syscall: -s (kexec_file_load), -c (kexec_load) or -a (automatic)")
            case (true, false): return .file
            case (false, true): return .load
            case (false, false): return .auto
            }
        }
    }

    func run() throws {
        if o.version {
            print("swift-kexec 0.2.0 (kexec-tools 2.0 command line)")
            return
        }
        var choice = try syscall
        // A PV dom0 (or any PV guest) kexecs through Xen's hypercall, never the Linux syscalls.
        let xen = XenSetup.detect()
        let backend: any KexecBackend = o.dryRun ? DryRunBackend() : xen?.backend ?? LinuxBackend()
        var runner = KexecRunner(backend: backend)
        if !o.dryRun, xen == nil {
            runner.crashRecordPath = getenv("SWIFT_KEXEC_CRASH_RECORD").map { String(cString: $0) } ?? CrashRecord.defaultPath
        }
        if xen != nil, choice == .file, o.kernel != nil {
            printError("kexec: kexec_file_load does not apply under Xen; loading through Xen's kexec hypercall")
        }
        if xen != nil { choice = .load }

        // Under Xen the crash region is Xen's (crashkernel= on Xen's command line), not dom0's.
        let xenCrashBytes = { () throws -> UInt64 in try xen?.loader(runner).machine.crashRegion()?.size ?? 0 }
        if o.printCkrSize {
            print(xen != nil ? try xenCrashBytes() : KexecEnvironment.read(SystemFiles()).crashReservationBytes ?? 0)
            return
        }
        // Everything that changes what is loaded runs under one lock; under Xen so does -S,
        // whose answer comes from the load/unload parity that a concurrent caller changes.
        let changes = !o.dryRun && (o.unload || o.exec || o.force || o.kernel != nil || (o.status && xen != nil))
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
                loaded = try backend.isLoaded(crash: o.loadPanic || !o.load)
            } catch {
                printError("kexec: \(error)")
                throw ExitCode(255)
            }
            throw ExitCode(loaded ? 1 : 0)
        }
        if o.unload {
            if o.dryRun {
                print("--dry-run: would unload the \(o.loadPanic ? "crash (kdump) image" : "loaded image")")
                return
            }
            try runner.unload(crash: o.loadPanic, syscall: choice)
            return
        }
        if o.exec && !o.force {
            if o.dryRun {
                // Only says what -e would do: no sync, no interface taken down.
                guard try backend.isLoaded(crash: false) else {
                    throw KexecError("--dry-run: nothing has been loaded, so kexec -e would fail")
                }
                let steps = (o.noSync ? [] : ["sync"]) + (o.noIfdown ? [] : ["take network interfaces down"]) + ["execute the loaded image"]
                print("--dry-run: would " + steps.joined(separator: ", then "))
                return
            }
            try runner.execute(sync: !o.noSync, ifdown: !o.noIfdown)
            return
        }
        guard let kernel = o.kernel else {
            throw KexecError("no kernel image given: kexec -l KERNEL [--initrd=FILE] [--append=TEXT]")
        }
        var options = LoadOptions(kernelPath: kernel)
        options.initrdPath = o.initrd.last
        options.append = o.append.last
        options.reuseCommandLine = o.reuseCmdline
        options.type = o.type
        options.skipChecks = o.noChecks
        options.corruptDigestForTesting = o.testCorruptDigest
        options.memoryMin = try o.memMin.map { try address($0, "--mem-min") } ?? 0
        options.memoryMax = try o.memMax.map { try address($0, "--mem-max") } ?? .max
        options.syscall = choice
        options.debug = o.debug
        options.crash = o.loadPanic
        if o.argsLinux && o.argsNone {
            throw KexecError(field: "--args-linux/--args-none", "choose one argument style")
        }
        options.elfArguments = o.argsNone ? .none : .linux
        options.handOverEFI = !o.noEFI
        options.modules = o.module
        options.purgatorySerial.progress = o.consoleSerial
        if let serial = o.serial { options.purgatorySerial.port = try PurgatorySerial.port(serial) }
        if o.consoleVGA {
            throw KexecError(field: "--console-vga", "purgatory writes only to a serial port; use --console-serial")
        }
        if o.serialBaud != nil {
            throw KexecError(field: "--serial-baud", "purgatory keeps the UART's current settings (the running kernel's console speed); leave --serial-baud out")
        }
        if o.loadPanic && (o.exec || o.force) {
            throw KexecError(field: "-p", "a crash kernel runs only on a panic; -e and -f do not apply")
        }

        if o.dryRun {
            try dryRun(runner, options, xen: xen)
        } else {
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
        if o.loadPanic { return }
        if o.force {
            if o.dryRun { print("--dry-run: would execute the image now"); return }
            try runner.execute(sync: !o.noSync, ifdown: !o.noIfdown)
        } else if !o.load {
            if o.dryRun { print("--dry-run: would run shutdown -r now"); return }
            try runShutdown()
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

    func address(_ text: String, _ flag: String) throws -> UInt64 {
        let value = text.hasPrefix("0x") ? UInt64(text.dropFirst(2), radix: 16) : UInt64(text)
        guard let value else { throw KexecError(field: flag, "\"\(text)\" is not an address; expected decimal or 0x-hexadecimal") }
        return value
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
