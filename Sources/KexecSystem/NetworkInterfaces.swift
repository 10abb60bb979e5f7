import Glibc

/// Takes every network interface but loopback down before kexec, as kexec-tools does,
/// so NICs stop DMA into memory the new kernel is about to own.
enum NetworkInterfaces {
    static func takeDown() {
        let sock = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard sock >= 0 else { return }
        defer { close(sock) }
        guard let list = if_nameindex() else { return }
        defer { if_freenameindex(list) }
        var p = list
        while p.pointee.if_index != 0, let name = p.pointee.if_name {
            var req = ifreq()
            withUnsafeMutableBytes(of: &req.ifr_ifrn.ifrn_name) { dst in
                let n = min(strlen(name), dst.count - 1)
                dst.copyMemory(from: UnsafeRawBufferPointer(start: name, count: n))
            }
            if ioctl(sock, UInt(SIOCGIFFLAGS), &req) == 0 {
                let flags = Int32(req.ifr_ifru.ifru_flags)
                if flags & Int32(IFF_LOOPBACK) == 0 && flags & Int32(IFF_UP) != 0 {
                    req.ifr_ifru.ifru_flags = Int16(truncatingIfNeeded: flags & ~Int32(IFF_UP))
                    _ = ioctl(sock, UInt(SIOCSIFFLAGS), &req)
                }
            }
            p += 1
        }
    }
}
