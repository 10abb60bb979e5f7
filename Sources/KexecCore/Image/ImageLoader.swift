/// One image format: recognises its files and turns a request into a load plan.
public protocol ImageLoader: Sendable {
    /// The name `-t/--type` accepts (kexec-tools' spelling).
    var typeName: String { get }
    /// Cheap check: does this file look like our format? (Used when no -t is given.)
    func probe(_ image: UnsafeRawBufferPointer) -> Bool
    func plan(_ request: LoadRequest, host: HostInfo) throws(KexecError) -> LoadPlan
}

public enum ImageLoaders {
    /// The UKI probe comes first: it needs a `.linux` section, which a plain (EFI-stub) bzImage,
    /// although also a PE image, never has; so bzImages still end up with BzImage64Loader.
    public static let all: [any ImageLoader] = [UKILoader(), BzImage64Loader(), ElfX86_64Loader(), MultibootX86Loader(), Multiboot2X86Loader()]

    /// Picks the loader named by `-t`, or the first whose probe accepts the file.
    public static func select(type: String?, image: UnsafeRawBufferPointer, path: String) throws(KexecError) -> any ImageLoader {
        let names = all.map(\.typeName).joined(separator: ", ")
        if let type {
            guard let loader = all.first(where: { $0.typeName == type }) else {
                throw KexecError(field: "--type", "unsupported image type \"\(type)\"; supported: \(names)")
            }
            return loader
        }
        if let loader = all.first(where: { $0.probe(image) }) { return loader }
        var message = "not a kernel image this tool knows: tried \(names)"
        if let (loader, reason) = closestReason(image) { message += "; closest is \(loader): \(reason)" }
        throw KexecError(file: path, message)
    }

    /// When a file carries one format's magic but fails its checks, that format's reason is
    /// what the user needs ("HdrS" or the boot flag: bzImage; "MZ" alone: UKI; ELF magic:
    /// elf-x86_64, whose reason also tells a 32-bit ELF without a multiboot header).
    static func closestReason(_ image: UnsafeRawBufferPointer) -> (String, KexecError)? {
        func failure(_ loader: some ImageLoader, _ parse: () throws(KexecError) -> Void) -> (String, KexecError)? {
            do { try parse() } catch { return (loader.typeName, error) }
            return nil
        }
        let r = LittleEndianReader(image)
        if r.u32(SetupHeaderOffset.header) == SetupHeaderConstant.magic || r.u16(SetupHeaderOffset.bootFlag) == SetupHeaderConstant.bootFlag {
            return failure(BzImage64Loader()) { () throws(KexecError) in _ = try BzImageHeaderParser.parse(image) }
        }
        if r.u16(PEOffset.dosMagic) == PEConstant.dosMagic {
            return UnifiedKernelImage.whyNot(image).map { (UKILoader().typeName, $0) }
        }
        if ElfExecutable.looksLikeELF(image) {
            return failure(ElfX86_64Loader()) { () throws(KexecError) in _ = try ElfX86_64Loader.parse(image) }
        }
        return nil
    }
}
