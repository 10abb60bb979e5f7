import Testing
@testable import KexecCore
@testable import KexecSystem

/// kexec-tools' command-line contract: glibc getopt_long and kexec-tools' flag semantics.
@Suite("command line contract (kexec-tools rules)")
struct InvocationTests {
    func parse(_ line: [String]) throws -> Invocation { try Invocation.parse(line) }

    /// What an invocation does, compactly: actions in kexec-tools' order, then the values.
    func summary(_ v: Invocation) -> String {
        var words: [String] = []
        if v.status { words.append("status(\(v.crash ? "crash" : "default"))") }
        if v.unload { words.append("unload(\(v.crash ? "crash" : "default"))") }
        if v.load { words.append("load(\(v.crash ? "crash" : "default"),\(v.syscall.rawValue))") }
        if v.shutdown { words.append("shutdown") }
        if v.sync { words.append("sync") }
        if v.ifdown { words.append("ifdown") }
        if v.exec { words.append("exec") }
        return words.joined(separator: " ")
    }

    @Test(arguments: [
        ([], "load(default,auto) shutdown sync"),
        (["-l", "K"], "load(default,auto) sync"),
        (["-e"], "sync ifdown exec"),
        (["-e", "-l", "K"], "load(default,auto) sync ifdown"),   // -l clears exec only
        (["-f", "-l", "K"], "load(default,auto) sync ifdown"),
        (["-l", "-e", "K"], "sync ifdown exec"),
        (["-f", "K"], "load(default,auto) sync ifdown exec"),
        (["-f", "-x", "-y", "K"], "load(default,auto) exec"),
        (["-u"], "unload(default)"),
        (["-p", "-u"], "unload(crash)"),
        (["-u", "-p", "K"], "unload(crash) load(crash,auto)"),
        (["-p", "K"], "load(crash,auto)"),
        (["-S"], "status(crash)"),
        (["-S", "-l"], "status(default)"),
        (["-S", "-p"], "status(crash)"),
        (["-s", "-c", "-l", "K"], "load(default,load) sync"),
        (["-c", "-a", "-l", "K"], "load(default,auto) sync"),
        (["-lsK"], "load(default,file) sync"),   // clustered, K an operand? no: see below
    ] as [([String], String)])
    func actionsAsKexecToolsSetsThem(_ line: [String], _ expected: String) throws {
        if line == ["-lsK"] {
            // -K is no option of kexec's: getopt reports it inside the cluster
            #expect(throws: KexecError.self) { try parse(line) }
            return
        }
        #expect(summary(try parse(line)) == expected, "\(line)")
    }

    @Test func valuesAndSpellings() throws {
        let v = try parse(["-tbzImage64", "--ram=/boot/rd", "--app", "-x=1", "--mem-min", "0X1000", "--mem-max=010", "/boot/k", "-l"])
        #expect(v.type == "bzImage64" && v.initrd == "/boot/rd" && v.append == "-x=1")
        #expect(v.memoryMin == 0x1000 && v.memoryMax == 8)
        #expect(v.kernel == "/boot/k" && v.load && !v.shutdown)   // operand before -l: permuted
        let w = try parse(["-t", "elf-x86_64", "--command-line=a", "--append=b", "--initrd=x", "--ramdisk=y", "--", "-k"])
        #expect(w.type == "elf-x86_64" && w.append == "b" && w.initrd == "y" && w.kernel == "-k")
        #expect(try parse(["--append=", "-l", "K"]).append == "")
        #expect(try parse(["--args-linux", "--args-none", "-l", "K"]).elfArguments == .none)
        #expect(try parse(["--elf32-core-headers", "-p", "K"]).notes.first?.hasPrefix("--elf32-core-headers: accepted and ignored") == true)
    }

    @Test(arguments: [
        (["--x"], "unknown option '--x'; see kexec --help"),
        (["--bogus=1"], "unknown option '--bogus'; see kexec --help"),
        (["-q"], "unknown option '-q'; see kexec --help"),
        (["-lq", "K"], "unknown option '-q'; see kexec --help"),
        (["--append"], "option '--append' needs a value; see kexec --help"),
        (["-t"], "option '-t' needs a value; see kexec --help"),
        (["--load-p", "K"], "option '--load-p' is ambiguous (--load-panic, --load-preserve-context); see kexec --help"),
        (["--mem-min=12k", "-l", "K"], "--mem-min: \"12k\" is not a number; expected decimal, 0x-hexadecimal or 0-octal"),
        (["-u", "--initrd=x"], "--initrd applies only to a load (-l, -p, -f or no action); see kexec --help"),
        (["--entry=0x1000", "-l", "K"], "--entry: not supported: the entry point comes from the image"),
        (["--load-preserve-context", "K"], "--load-preserve-context: kexec jump (CONFIG_KEXEC_JUMP, preserving the running kernel) is not supported"),
    ] as [([String], String)])
    func errorsAreOneLine(_ line: [String], _ message: String) {
        #expect { try parse(line) } throws: { "\($0)" == message }
    }

    @Test func helpVersionAndPrintCkrSizeActAtOnce() throws {
        #expect(try parse(["-h", "--bogus"]).help)
        #expect(try parse(["-?"]).helpAsError)
        #expect(try parse(["--vers"]).version)
        #expect(try parse(["--print-ckr-size", "--bogus"]).printCrashSize)
    }

    /// The exact command lines of the callers that still run /sbin/kexec (as they build them).
    @Test(arguments: [
        // Debian kdump-tools' kdump-config (load, with and without the file syscall; unload; status)
        (["-p", "--command-line=root=/dev/sda1 ro irqpoll nr_cpus=1 nousb systemd.unit=kdump-tools-dump.service ata_piix.prefer_ms_hyperv=0", "--initrd=/var/lib/kdump/initrd.img", "/var/lib/kdump/vmlinuz"], "load(crash,auto)"),
        (["-s", "-p", "--command-line=root=/dev/sda1 ro irqpoll nr_cpus=1", "--initrd=/var/lib/kdump/initrd.img", "/var/lib/kdump/vmlinuz"], "load(crash,file)"),
        (["-p", "-u"], "unload(crash)"),
        // Fedora/RHEL kdumpctl: -s -s (its KEXEC_ARGS plus its own -s), --elf64-core-headers examples, status
        (["-s", "-s", "-d", "-p", "--command-line=ro console=ttyS0 irqpoll nr_cpus=1 reset_devices", "--initrd=/boot/initramfs-6.1kdump.img", "/boot/vmlinuz-6.1"], "load(crash,file)"),
        (["--elf64-core-headers", "-p", "--command-line=x", "--initrd=/boot/i", "/boot/v"], "load(crash,auto)"),
        (["-c", "-p", "--elf32-core-headers", "--command-line=x", "--initrd=/boot/i", "/boot/v"], "load(crash,load)"),
        // openSUSE kdump load.sh and kexec-bootloader
        (["-p", "/boot/vmlinuz", "--append=elfcorehdr=x root=/dev/sda2 irqpoll", "--initrd=/boot/initrd-kdump"], "load(crash,auto)"),
        (["-l", "/boot/vmlinuz", "--initrd=/boot/initrd", "--append=root=/dev/sda2 quiet"], "load(default,auto) sync"),
        // Debian kexec-tools' kexec-load-kernel (kexec-load.service), and kexec -e from the halt path
        (["-l", "/vmlinuz", "--initrd=/initrd.img", "--append=root=UUID=1 ro quiet"], "load(default,auto) sync"),
        (["-e"], "sync ifdown exec"),
        // systemd (systemctl kexec loads with these, then runs kexec -e)
        (["--load", "/boot/vmlinuz-6.1", "--append", "root=/dev/vda1 ro", "--initrd", "/boot/initrd.img-6.1"], "load(default,auto) sync"),
        // dracut's exit initramfs
        (["-e"], "sync ifdown exec"),
        // nixos-anywhere style installer kexec
        (["--load", "./bzImage", "--kexec-syscall-auto", "--initrd=./initrd", "--no-checks", "--command-line", "init=/bin/init loglevel=4"], "load(default,auto) sync"),
        // anaconda / others: -f
        (["-f", "/boot/vmlinuz", "--initrd=/boot/initrd", "--reuse-cmdline"], "load(default,auto) sync ifdown exec"),
    ] as [([String], String)])
    func callersCommandLines(_ line: [String], _ expected: String) throws {
        let v = try parse(line)
        #expect(summary(v) == expected, "\(line)")
        if v.load { #expect(v.kernel != nil && v.extraOperands.isEmpty, "\(line)") }
    }
}
