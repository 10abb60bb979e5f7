import Foundation
import Glibc
import Testing
@testable import KexecSystem

/// State-changing operations wait for each other through flock(2) on a lock file.
@Suite("operation lock", .serialized)
struct OperationLockTests {
    let path = NSTemporaryDirectory() + "kexec-lock-" + UUID().uuidString

    @Test func aHeldLockMakesKexecWaitThenGiveUpWithoutTouchingAnything() throws {
        let fd = open(path, O_RDWR | O_CREAT, 0o600)
        defer { close(fd); unlink(path) }
        #expect(flock(fd, LOCK_EX) == 0)
        _ = "4242\n".withCString { write(fd, $0, 5) }
        let started = Date()
        let r = try CLIRun(["-u"], environment: ["SWIFT_KEXEC_LOCK": path, "SWIFT_KEXEC_LOCK_TIMEOUT": "0.5"])
        #expect(Date().timeIntervalSince(started) >= 0.5)
        #expect(r.status == 1)
        #expect(r.stderr == """
            kexec: waiting for another kexec (pid 4242) to finish
            kexec: \(path): another kexec (pid 4242) has held the lock for 0.5 s; nothing was changed, try again

            """)
    }

    @Test func theLockIsTakenInTurnAndNamesItsHolder() throws {
        defer { unlink(path) }
        var said: [String] = []
        let first = try OperationLock.acquire(path: path, timeout: 1) { said.append($0) }
        #expect(first.lock != nil && first.note == "serialized with other kexec processes through \(path)")
        // flock locks belong to the open file description: a second open is a second taker
        let second = open(path, O_RDWR)
        defer { close(second) }
        #expect(flock(second, LOCK_EX | LOCK_NB) != 0)
        #expect(OperationLock.holder(second) == "pid \(getpid())")
        close(first.lock!.fd)
        #expect(flock(second, LOCK_EX | LOCK_NB) == 0)
        #expect(said.isEmpty)
    }

    @Test func anUncreatableLockFileIsANoteNotAFailure() throws {
        let (lock, note) = try OperationLock.acquire(path: "/nonexistent-dir/kexec.lock") { _ in }
        #expect(lock == nil)
        #expect(note.hasPrefix("no lock: cannot create /nonexistent-dir/kexec.lock"))
    }
}
