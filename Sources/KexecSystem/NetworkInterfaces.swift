import Glibc

/// Takes every network interface but loopback down before kexec, as kexec-tools does,
/// so NICs stop DMA into memory the new kernel is about to own.
/// Returns the names it took down, so a kexec that fails after all can bring them back.
enum NetworkInterfaces {
    @discardableResult
    static func takeDown() -> [String] {
        var down: [String] = []
        let sock = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard sock >= 0 else { return down }
        defer { close(sock) }
        guard let list = if_nameindex() else { return down }
        defer { if_freenameindex(list) }
        var p = list
        while p.pointee.if_index != 0, let name = p.pointee.if_name {
            var req = request(name)
            if ioctl(sock, UInt(SIOCGIFFLAGS), &req) == 0 {
                let flags = Int32(req.ifr_ifru.ifru_flags)
                if flags & Int32(IFF_LOOPBACK) == 0 && flags & Int32(IFF_UP) != 0 {
                    req.ifr_ifru.ifru_flags = Int16(truncatingIfNeeded: flags & ~Int32(IFF_UP))
                    if ioctl(sock, UInt(SIOCSIFFLAGS), &req) == 0 { down.append(String(cString: name)) }
                }
            }
            p += 1
        }
        return down
    }

    /// Up again, as they were (addresses and routes the kernel keeps on a down link come back
    /// with it; routes it dropped are the network manager's to restore).
    static func bringUp(_ names: [String]) {
        guard !names.isEmpty else { return }
        let sock = socket(AF_INET, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard sock >= 0 else { return }
        defer { close(sock) }
        for name in names {
            var req = name.withCString { request($0) }
            guard ioctl(sock, UInt(SIOCGIFFLAGS), &req) == 0 else { continue }
            req.ifr_ifru.ifru_flags = Int16(truncatingIfNeeded: Int32(req.ifr_ifru.ifru_flags) | Int32(IFF_UP))
            _ = ioctl(sock, UInt(SIOCSIFFLAGS), &req)
        }
    }

    static func request(_ name: UnsafePointer<CChar>) -> ifreq {
        var req = ifreq()
        withUnsafeMutableBytes(of: &req.ifr_ifrn.ifrn_name) { dst in
            let n = min(strlen(name), dst.count - 1)
            dst.copyMemory(from: UnsafeRawBufferPointer(start: name, count: n))
        }
        return req
    }
}
