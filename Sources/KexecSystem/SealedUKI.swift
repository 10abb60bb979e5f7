import KexecCore
import SystemPackage

/// A UKI prepared for kexec_file_load, which (Linux 6.1) takes a bzImage, not a UKI: the
/// embedded kernel and initrd go to the kernel in sealed memfds, never through a file system.
struct SealedUKI {
    var kernel: FileDescriptor
    var initrd: FileDescriptor?
    var commandLine: String
    var notes: [String]
    /// What kexec_file_load's signature check sees: .linux, beside the UKI's own signature.
    var signature: SignatureDiagnosis

    func close() {
        try? kernel.close()
        try? initrd?.close()
    }
}

extension KexecRunner {
    /// nil when the kernel file is not a UKI (or `-t` names another type). A compressed UKI
    /// is not looked into here (kexec_load takes it: `plan` decompresses first).
    func sealedUKI(_ o: LoadOptions) throws(KexecError) -> SealedUKI? {
        guard let (file, inputs) = try ukiParts(o) else { return nil }
        let base = SealedMemfd.name(for: o.kernelPath)
        let kernel = try inputs.kernel.withRaw { raw throws(KexecError) in try SealedMemfd.create(name: base + ":.linux", bytes: raw) }
        var notes = inputs.notes + ["kexec_file_load gets .linux (\(inputs.kernel.count) bytes) in a sealed memfd"]
        var initrd: FileDescriptor?
        if let embedded = inputs.embeddedInitrd {
            do {
                initrd = try embedded.withRaw { raw throws(KexecError) in try SealedMemfd.create(name: base + ":.initrd", bytes: raw) }
            } catch {
                try? kernel.close()
                throw error
            }
            notes.append("kexec_file_load gets .initrd (\(embedded.count) bytes) in a sealed memfd")
        }
        return SealedUKI(kernel: kernel, initrd: initrd, commandLine: inputs.commandLine, notes: notes,
                         signature: Self.ukiSignature(o, file: file, inputs: inputs))
    }

    /// The mapped UKI and what it boots, or nil when the kernel file is not a UKI (or `-t`
    /// names another type). Not populated: for a plain bzImage only the header pages are read.
    func ukiParts(_ o: LoadOptions) throws(KexecError) -> (file: ByteStorage, inputs: UKIBootInputs)? {
        guard o.type == nil || o.type == UKILoader().typeName else { return nil }
        let file = try MappedFile.open(o.kernelPath, role: "kernel image", populate: false)
        let found = o.type == nil ? try UnifiedKernelImage.detect(file.all, path: o.kernelPath)
                                  : try UnifiedKernelImage.parse(file.all, path: o.kernelPath)
        guard let uki = found else { return nil }
        let user = o.commandLineGiven ? try commandLine(o) : nil
        return (file, uki.bootInputs(path: o.kernelPath, userInitrd: o.initrdPath, userCommandLine: user))
    }

    /// The file syscall checks .linux; the UKI's own signature is reported beside it.
    static func ukiSignature(_ o: LoadOptions, file: ByteStorage, inputs: UKIBootInputs) -> SignatureDiagnosis {
        SignatureDiagnosis(checkedName: "\(o.kernelPath)'s .linux (the kernel kexec_file_load checks)",
                           checked: inputs.kernel.withRaw(AuthenticodeInspector.inspect),
                           container: file.all.withRaw(AuthenticodeInspector.inspect))
    }
}
