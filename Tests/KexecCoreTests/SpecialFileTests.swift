import Foundation
import Glibc
import Testing
@testable import KexecCore
@testable import KexecSystem

/// A FIFO, device or directory given as kernel, initrd or module is refused in one line at
/// once: open(2) of a FIFO without O_NONBLOCK waits for a writer forever.
@Suite("special files", .serialized)
struct SpecialFileTests {
    let dir: String
    let fifo: String
    let kernel: String

    init() throws {
        let files = try ImageFiles(prefix: "kexec-fifo-")
        dir = files.dir
        kernel = files.kernel
        fifo = dir + "/fifo"
        #expect(mkfifo(fifo, 0o600) == 0)
    }

    @Test(arguments: [
        (["--dry-run", "-l", "@FIFO"], "@FIFO: the kernel image is a FIFO; expected a regular file"),
        (["--dry-run", "-l", "@KERNEL", "--initrd=@FIFO"], "@FIFO: the initrd is a FIFO; expected a regular file"),
        (["--dry-run", "-t", "multiboot-x86", "-l", "@KERNEL", "--module=@FIFO x"], "@FIFO: the module is a FIFO; expected a regular file"),
        (["--dry-run", "-l", "/dev/null"], "/dev/null: the kernel image is a character device; expected a regular file"),
        (["--dry-run", "-l", "@DIR"], "@DIR: the kernel image is a directory; expected a regular file"),
    ])
    func refusedAtOnceInOneLine(_ template: [String], _ phrase: String) throws {
        let subst = { (s: String) in s.replacingOccurrences(of: "@FIFO", with: fifo).replacingOccurrences(of: "@KERNEL", with: kernel)
            .replacingOccurrences(of: "@DIR", with: dir) }
        let started = Date()
        let r = try CLIRun(template.map(subst))
        #expect(Date().timeIntervalSince(started) < 20)
        #expect(r.status == 1)
        #expect(r.stderr == "kexec: \(subst(phrase))\n")
    }

    /// The file syscall path opens the files for the kernel itself (after the UKI check).
    @Test func fileSyscallRefusesAFIFOInitrd() throws {
        let root = try FakeRoot(["/proc/iomem": "00100000-7ffdffff : System RAM\n"])
        let fake = FakeSyscalls()
        let runner = KexecRunner(backend: LinuxBackend(syscalls: fake, files: root.files), probe: HostProbe(files: root.files))
        var o = LoadOptions(kernelPath: kernel)
        o.initrdPath = fifo
        o.syscall = .file
        let error = withExtendedLifetime(root) { #expect(throws: KexecError.self) { try runner.load(o) } }
        #expect(error?.description == "\(fifo): the initrd is a FIFO; expected a regular file")
        #expect(fake.fileLoads.isEmpty)
    }
}

/// A file that shrinks while kexec reads it (the mapping's pages past the new end fault with
/// SIGBUS) is named in one line with exit status 1, not a death by signal 7.
@Suite("files that change underneath", .serialized)
struct ShrinkingFileTests {
    @Test(arguments: ["kernel", "initrd"])
    func shrinkingFileIsOneLine(_ which: String) throws {
        let files = try ImageFiles(prefix: "kexec-shrink-", bodySize: 1 << 20, initrd: [UInt8](repeating: 7, count: 1 << 20))
        let victim = which == "kernel" ? files.kernel : files.initrd
        let r = try CLIRun(["--dry-run", "-c", "-l", files.kernel, "--initrd=" + files.initrd],
                           environment: ["SWIFT_KEXEC_TEST_SHRINK_AFTER_MAP": victim])
        #expect(r.status == 1)
        #expect(r.stderr == "kexec: \(victim): the file changed (it shrank) while being read; nothing was loaded\n")
        #expect(r.stdout.isEmpty)
    }
}

extension SyscallChoiceTests {
    /// With -i no digest reads the pages first, so the kernel's copy meets the hole (EFAULT).
    @Test func kernelCopyFaultSaysAFileShrank() throws {
        let (r, root) = try runner(FakeSyscalls(result: -Int(EFAULT)))
        var o = options(.load)
        o.skipChecks = true
        let text = withExtendedLifetime(root) { message(r, o) }
        #expect(text == "kexec_load failed: Bad address: the kernel could not read a segment from memory: a file (kernel, initrd or module) shrank while being loaded, so the new image was not loaded")
    }
}
