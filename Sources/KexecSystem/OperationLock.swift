import Glibc
import KexecCore

/// Serializes every operation that changes what is loaded (load, crash load, unload, exec),
/// between kexec processes: udev rules reload kdump on hotplug while an admin runs kexec, and
/// without a lock one of two loads fails with the kernel's EBUSY (its trylock), or under Xen two
/// processes can invert the status parity. flock(2) on a file under /run: released by the
/// kernel when the process exits, however it exits.
public struct OperationLock: Sendable {
    public static let defaultPath = "/run/kexec.lock"
    public let fd: Int32

    /// Waits up to `timeout` seconds, saying once on stderr that it waits and for whom.
    /// Returns nil (no lock, and why) when the lock file cannot be created, e.g. a read-only
    /// /run: the operation then runs as before, unserialized.
    public static func acquire(path: String = defaultPath, timeout: Double = 60,
                               say: (String) -> Void) throws(KexecError) -> (lock: OperationLock?, note: String) {
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else {
            return (nil, "no lock: cannot create \(path) (\(String(cString: strerror(errno)))); not serialized with other kexec processes")
        }
        var waited = 0.0
        while flock(fd, LOCK_EX | LOCK_NB) != 0 {
            guard errno == EWOULDBLOCK || errno == EINTR else {
                let e = errno
                close(fd)
                return (nil, "no lock: flock(\(path)) failed (\(String(cString: strerror(e)))); not serialized")
            }
            if waited == 0 { say("kexec: waiting for another kexec (\(holder(fd))) to finish") }
            guard waited < timeout else {
                let who = holder(fd)
                close(fd)
                throw KexecError(file: path, "another kexec (\(who)) has held the lock for \(timeout == timeout.rounded() ? "\(Int(timeout))" : "\(timeout)") s; nothing was changed, try again")
            }
            var pause = timespec(tv_sec: 0, tv_nsec: 50_000_000)
            nanosleep(&pause, nil)
            waited += 0.05
        }
        // Who holds it, for the next waiter's message.
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        return (OperationLock(fd: fd), "serialized with other kexec processes through \(path)\(waited > 0 ? " (waited \(Int(waited * 1000)) ms)" : "")")
    }

    static func holder(_ fd: Int32) -> String {
        var buffer = [UInt8](repeating: 0, count: 16)
        let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, $0.count, 0) }
        let text = n > 0 ? String(decoding: buffer[0..<n], as: UTF8.self).split(separator: "\n").first.map(String.init) : nil
        return text.map { "pid \($0)" } ?? "pid unknown"
    }
}
