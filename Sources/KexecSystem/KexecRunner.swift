import Glibc
import KexecCore

/// What a load needs from the command line, already validated for shape.
public struct LoadOptions: Sendable {
    public var kernelPath: String
    public var initrdPath: String?
    public var append: String?
    public var reuseCommandLine = false
    public var type: String?
    public var skipChecks = false
    public var memoryMin: UInt64 = 0
    public var memoryMax: UInt64 = .max
    public var corruptDigestForTesting = false

    public init(kernelPath: String) { self.kernelPath = kernelPath }
}

/// Runs the actions against a back end; the CLI only maps flags onto these calls.
public struct KexecRunner {
    public var backend: any KexecBackend
    public var probe: HostProbe

    public init(backend: any KexecBackend, probe: HostProbe = HostProbe()) {
        self.backend = backend
        self.probe = probe
    }

    /// Reads, parses, places and digests; nothing touches the kernel until `backend.load`.
    public func plan(_ o: LoadOptions) throws(KexecError) -> LoadPlan {
        let kernel = try MappedFile.open(o.kernelPath, role: "kernel image")
        let initrd = try o.initrdPath.map { p throws(KexecError) in try MappedFile.open(p, role: "initrd") }
        let running = o.reuseCommandLine ? try probe.runningCommandLine() : nil
        let commandLine = CommandLineComposer.compose(running: running, append: o.append)
        let host = try probe.hostInfo()
        let loader = try ImageLoaders.select(type: o.type, image: kernel.raw, path: o.kernelPath)
        var request = LoadRequest(kernelPath: o.kernelPath, kernel: kernel.all, initrdPath: o.initrdPath,
                                  initrd: initrd?.all, commandLine: commandLine, skipChecks: o.skipChecks,
                                  memoryMin: o.memoryMin, memoryMax: o.memoryMax)
        request.corruptDigestForTesting = o.corruptDigestForTesting
        return try loader.plan(request, host: host)
    }

    public func load(_ plan: LoadPlan) throws(KexecError) {
        try backend.load(plan)
    }

    /// sync(2), interfaces down (unless told otherwise), then the back end's execute.
    public func execute(sync doSync: Bool, ifdown: Bool) throws(KexecError) {
        guard try backend.isLoaded(crash: false) else {
            throw KexecError("nothing has been loaded: load a kernel with kexec -l first")
        }
        if doSync { Glibc.sync() }
        if ifdown { NetworkInterfaces.takeDown() }
        try backend.execute()
    }
}
