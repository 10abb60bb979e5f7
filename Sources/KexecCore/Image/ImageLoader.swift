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
        if let type {
            guard let loader = all.first(where: { $0.typeName == type }) else {
                let names = all.map(\.typeName).joined(separator: ", ")
                throw KexecError(field: "--type", "unsupported image type \"\(type)\"; supported: \(names)")
            }
            return loader
        }
        if let loader = all.first(where: { $0.probe(image) }) { return loader }
        // Let a validator explain exactly what is wrong with the file: the UKI parser for a PE
        // image that is not a bzImage ("MZ" without "HdrS"), the bzImage one for anything else.
        let r = LittleEndianReader(image)
        if r.u16(PEOffset.dosMagic) == PEConstant.dosMagic, r.u32(SetupHeaderOffset.header) != SetupHeaderConstant.magic {
            return UKILoader()
        }
        return BzImage64Loader()
    }
}
