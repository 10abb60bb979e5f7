/// What to boot from a UKI once the user's options are applied; the same decisions for
/// kexec_load (UKILoader) and kexec_file_load (the runner's sealed memfds).
public struct UKIBootInputs: Sendable {
    public var kernel: ByteSlice
    /// The embedded `.initrd`, when it is used (nil: the user's --initrd, or none).
    public var embeddedInitrd: ByteSlice?
    public var commandLine: String
    /// One -d line per decision.
    public var notes: [String]
}

extension UnifiedKernelImage {
    /// `userInitrd`: --initrd's path. It replaces `.initrd` rather than being appended to it:
    /// --initrd names *the* initrd in every other kexec load, replacing keeps both syscalls
    /// zero-copy (appending needs a concatenated copy, and kexec_file_load takes one initrd
    /// file), and whoever wants both can concatenate the archives (`cat a b > c`).
    /// `userCommandLine`: what --append/--command-line/--reuse-cmdline gave, or nil when none
    /// of them was used; it replaces `.cmdline` (so `--append=` boots with an empty one).
    public func bootInputs(path: String, userInitrd: String?, userCommandLine: String?) -> UKIBootInputs {
        var notes = [summary(path: path)]
        var embedded: ByteSlice?
        switch (userInitrd, initrd) {
        case let (user?, ours?): notes.append("initrd: \(user) replaces the UKI's .initrd (\(ours.count) bytes)")
        case let (user?, nil): notes.append("initrd: \(user)")
        case let (nil, ours?): embedded = ours; notes.append("initrd: the UKI's .initrd (\(ours.count) bytes)")
        case (nil, nil): notes.append("initrd: none (the UKI has no .initrd and no --initrd was given)")
        }
        let line: String
        if let userCommandLine {
            line = userCommandLine
            notes.append("command line: from the command line options\(commandLine == nil ? "" : ", replacing the UKI's .cmdline")")
        } else {
            line = commandLine ?? ""
            notes.append(commandLine == nil ? "command line: empty (the UKI has no .cmdline)" : "command line: the UKI's .cmdline")
        }
        return UKIBootInputs(kernel: linux, embeddedInitrd: embedded, commandLine: line, notes: notes)
    }
}

/// Loads a UKI through kexec_load: the embedded `.linux` is planned exactly like a bzImage
/// file (BzImage64Loader), with `.initrd` and `.cmdline` unless the user gave their own.
public struct UKILoader: ImageLoader {
    public let typeName = "uki"
    public init() {}

    public func probe(_ image: UnsafeRawBufferPointer) -> Bool {
        UnifiedKernelImage.probe(image)
    }

    public func plan(_ request: LoadRequest, host: HostInfo) throws(KexecError) -> LoadPlan {
        try request.checkCommonInputs()
        let path = request.kernelPath
        let uki = try UnifiedKernelImage.parse(request.kernel, path: path)
        let inputs = uki.bootInputs(path: path, userInitrd: request.initrd == nil ? nil : request.initrdPath ?? "--initrd",
                                    userCommandLine: request.commandLineFromUser ? request.commandLine : nil)
        var inner = request
        inner.kernel = inputs.kernel
        inner.kernelPath = "\(path) (.linux)"
        if let embedded = inputs.embeddedInitrd {
            inner.initrd = embedded
            inner.initrdPath = "\(path) (.initrd)"
        }
        inner.commandLine = inputs.commandLine
        var plan = try BzImage64Loader().plan(inner, host: host)
        plan.imageType = typeName
        plan.kernelPath = path
        plan.notes = inputs.notes + plan.notes
        return plan
    }
}
