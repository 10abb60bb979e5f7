import Glibc
import KexecCore

/// The raw way into Xen, so host tests can put a model of the hypervisor behind it.
///
/// Every structure Xen dereferences during a hypercall (argument block, segment array, segment
/// data, memory-map buffer) must come from `allocate`: Xen reads the caller's memory through its
/// page tables and cannot take a page fault on its behalf (reference xen-kexec-abi.md §4.2).
public protocol XenHypercalls: AnyObject {
    /// Zeroed hypercall-safe memory of at least `size` bytes, page-aligned.
    func allocate(_ size: Int) throws(KexecError) -> UnsafeMutableRawBufferPointer
    func free(_ buffer: UnsafeMutableRawBufferPointer)
    /// hypercall `op`(a0, a1): Xen's result (>= 0) or -errno.
    func hypercall(_ op: UInt64, _ a0: UInt64, _ a1: UInt64) -> Int
}

extension XenHypercalls {
    /// kexec_op(cmd, &argument) with the argument staged in hypercall memory; `argument` is
    /// updated with what Xen wrote back. Returns Xen's result or -errno.
    func kexecOp(_ cmd: XenKexec.Command, _ argument: inout [UInt8]) throws(KexecError) -> Int {
        let buffer = try allocate(argument.count)
        defer { free(buffer) }
        argument.withUnsafeBytes { buffer.copyMemory(from: $0) }
        let r = hypercall(XenKexec.hypercall, cmd.rawValue, UInt64(UInt(bitPattern: buffer.baseAddress)))
        argument = Array(UnsafeRawBufferPointer(rebasing: buffer[0..<argument.count]))
        return r
    }
}

/// The real thing: ioctl(IOCTL_PRIVCMD_HYPERCALL) on /dev/xen/privcmd, buffers mmap'd from
/// /dev/xen/hypercall (privcmd-buf: pages the kernel never moves or unmaps while mapped).
/// Without that device (kernels before 4.18) the fallback is libxencall's: anonymous memory,
/// MAP_LOCKED, MADV_DONTFORK, every page touched (still exposed to page migration, which the
/// device avoids).
///
/// With SWIFT_KEXEC_NO_SYSCALLS set (host test runs) `hypercall` answers EPERM without
/// entering the kernel, and nothing is opened.
public final class PrivcmdHypercalls: XenHypercalls {
    let privcmd: Int32
    /// -1: the anonymous fallback.
    let bufferDevice: Int32

    static var forbidden: Bool { getenv("SWIFT_KEXEC_NO_SYSCALLS") != nil }

    init(privcmd: Int32, bufferDevice: Int32) {
        self.privcmd = privcmd
        self.bufferDevice = bufferDevice
    }

    deinit {
        if privcmd >= 0 { close(privcmd) }
        if bufferDevice >= 0 { close(bufferDevice) }
    }

    /// /dev/xen/privcmd (module xen-privcmd), or /proc/xen/privcmd (xenfs) when the device node
    /// is missing; /dev/xen/hypercall when present.
    public static func open(files: SystemFiles = SystemFiles()) throws(KexecError) -> PrivcmdHypercalls {
        if forbidden { return PrivcmdHypercalls(privcmd: -1, bufferDevice: -1) }
        var fd = Glibc.open(files.path("/dev/xen/privcmd"), O_RDWR | O_CLOEXEC)
        if fd < 0, errno == ENOENT || errno == ENXIO || errno == ENODEV {
            fd = Glibc.open(files.path("/proc/xen/privcmd"), O_RDWR | O_CLOEXEC)
        }
        guard fd >= 0 else {
            let e = errno
            let advice = e == ENOENT || e == ENXIO || e == ENODEV
                ? "load the xen-privcmd module (modprobe xen-privcmd) and make sure devtmpfs is mounted on /dev"
                : e == EACCES || e == EPERM ? "run kexec as root" : "Xen's privileged-command device is unusable"
            throw KexecError(file: files.path("/dev/xen/privcmd"), "cannot open: \(String(cString: strerror(e))); \(advice)", errno: e)
        }
        let buf = Glibc.open(files.path("/dev/xen/hypercall"), O_RDWR | O_CLOEXEC)
        return PrivcmdHypercalls(privcmd: fd, bufferDevice: buf)
    }

    public func allocate(_ size: Int) throws(KexecError) -> UnsafeMutableRawBufferPointer {
        let length = max(Int(UInt64(max(size, 1)).alignedUp(XenKexec.pageSize) ?? 0), Int(XenKexec.pageSize))
        let base: UnsafeMutableRawPointer?
        if bufferDevice >= 0 {
            // The driver insists on MAP_SHARED and allocates zeroed pages for the whole VMA now.
            base = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_SHARED, bufferDevice, 0)
        } else {
            base = mmap(nil, length, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0)
            if let base, base != MAP_FAILED {
                _ = madvise(base, length, MADV_DONTFORK)
                // Make every page present and private before Xen looks at it.
                var at = 0
                while at < length { base.storeBytes(of: 0, toByteOffset: at, as: UInt8.self); at += Int(XenKexec.pageSize) }
            }
        }
        guard let base, base != MAP_FAILED else {
            let e = errno
            throw KexecError(file: bufferDevice >= 0 ? "/dev/xen/hypercall" : nil,
                             "cannot allocate \(length) bytes of hypercall memory: \(String(cString: strerror(e)))", errno: e)
        }
        return UnsafeMutableRawBufferPointer(start: base, count: length)
    }

    public func free(_ buffer: UnsafeMutableRawBufferPointer) {
        guard let base = buffer.baseAddress else { return }
        if bufferDevice < 0 { _ = madvise(base, buffer.count, MADV_DOFORK) }
        _ = munmap(base, buffer.count)
    }

    public func hypercall(_ op: UInt64, _ a0: UInt64, _ a1: UInt64) -> Int {
        if Self.forbidden || privcmd < 0 { return -Int(EPERM) }
        // struct privcmd_hypercall (PrivcmdHypercall in KexecCore/ABI/XenKexec.swift): op, arg[5].
        var call = PrivcmdHypercall(op: op, a0, a1).encoded()
        let r = call.withUnsafeMutableBytes { ioctl(privcmd, PrivcmdHypercall.ioctl, $0.baseAddress!) }
        return r < 0 ? -Int(errno) : Int(r)
    }
}
