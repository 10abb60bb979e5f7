/// Where a PE image keeps its Authenticode signature and how it is wrapped.
/// Source: Microsoft "PE Format" (Optional Header Data Directories: the Certificate Table is
/// entry 4 and holds a file offset, not an RVA; "The Attribute Certificate Table":
/// WIN_CERTIFICATE { u32 dwLength; u16 wRevision; u16 wCertificateType; u8 bCertificate[] },
/// entries 8-byte aligned) and "Windows Authenticode Portable Executable Signature Format".
public enum AuthenticodeLayout {
    /// From the PE32+ optional header: the data directories follow its fixed part
    /// (NumberOfRvaAndSizes: PE32PlusOptionalHeader), 8 bytes each.
    public static let dataDirectories = PE32PlusOptionalHeader.fixedSize
    public static let certificateTableIndex = 4
    public static let winCertificateHeader = 8
    public static let certificateTypePKCS7: UInt16 = 0x0002   // WIN_CERT_TYPE_PKCS_SIGNED_DATA
}

/// Who signed an image, as the signer's certificate names it.
public struct ImageSigner: Sendable, Equatable, CustomStringConvertible {
    public var subject: String
    public var issuer: String
    public var description: String { "\"\(subject)\" (issued by \"\(issuer)\")" }
}

/// What the image carries, read from the file without trusting it.
public enum ImageSignature: Sendable, Equatable {
    /// Not a PE image (an ELF vmlinux, a multiboot kernel): the kernel cannot check a signature.
    case notPE
    /// A PE image with no certificate table.
    case unsigned
    case signed([ImageSigner])
    /// A certificate table that could not be read; the reason names the field.
    case unreadable(String)

    public var summary: String {
        switch self {
        case .notPE: return "not a PE image, so it carries no Authenticode signature"
        case .unsigned: return "carries no Authenticode signature"
        case .signed(let signers): return "is signed by " + signers.map(\.description).joined(separator: " and ")
        case .unreadable(let why): return "has a signature that cannot be read (\(why))"
        }
    }
}

public enum AuthenticodeInspector {
    /// Reads the certificate table and names each PKCS#7 signer (its certificate's subject and
    /// issuer common names or organisations).
    public static func inspect(_ b: UnsafeRawBufferPointer) -> ImageSignature {
        let r = LittleEndianReader(b)
        guard r.u16(PEOffset.dosMagic) == PEConstant.dosMagic, let pe = r.u32(PEOffset.newHeader).map(Int.init),
              r.u32(pe) == PEConstant.signature, let magic = r.u16(pe + PEOffset.optionalHeader),
              magic == PEConstant.pe32PlusMagic else { return .notPE }
        typealias L = AuthenticodeLayout
        let optional = pe + PEOffset.optionalHeader
        guard let count = r.u32(optional + PE32PlusOptionalHeader.numberOfRvaAndSizes), count > UInt32(L.certificateTableIndex),
              let offset = r.u32(optional + L.dataDirectories + 8 * L.certificateTableIndex).map(Int.init),
              let size = r.u32(optional + L.dataDirectories + 8 * L.certificateTableIndex + 4).map(Int.init),
              size > 0 else { return .unsigned }
        guard offset <= b.count, size <= b.count - offset else {
            return .unreadable("the certificate table at \(hex(offset)), \(size) bytes, ends past the end of the \(b.count)-byte file")
        }
        var signers: [ImageSigner] = []
        var at = offset
        while at + L.winCertificateHeader <= offset + size {
            guard let length = r.u32(at).map(Int.init), length >= L.winCertificateHeader, length <= offset + size - at,
                  let type = r.u16(at + 6) else {
                return .unreadable("WIN_CERTIFICATE at \(hex(at)): dwLength is outside the certificate table")
            }
            if type == L.certificateTypePKCS7 {
                guard let found = PKCS7.signers(b, in: (at + L.winCertificateHeader)..<(at + length)) else {
                    return .unreadable("WIN_CERTIFICATE at \(hex(at)): not a PKCS#7 SignedData structure")
                }
                signers += found
            }
            at += (length + 7) & ~7
        }
        return signers.isEmpty ? .unsigned : .signed(signers)
    }
}

/// The parts of a PKCS#7 SignedData that name its signers.
/// Source: RFC 2315 §9.1 (SignedData), §9.2 (SignerInfo: issuerAndSerialNumber), RFC 5280
/// §4.1 (TBSCertificate: serialNumber, issuer, subject), §4.1.2.4 (Name).
enum PKCS7 {
    static func signers(_ b: UnsafeRawBufferPointer, in range: Range<Int>) -> [ImageSigner]? {
        // ContentInfo { contentType OID, [0] EXPLICIT SignedData }
        guard let info = DERNode.read(b, at: range.lowerBound, limit: range.upperBound), info.tag == DERNode.sequence,
              let parts = info.children(b), parts.count >= 2, parts[1].tag == DERNode.context0,
              let signed = parts[1].children(b)?.first, signed.tag == DERNode.sequence,
              let fields = signed.children(b), let infos = fields.last, infos.tag == DERNode.set else { return nil }
        // SignedData { version, digestAlgorithms, contentInfo, [0] certificates, [1] crls, signerInfos }
        let certificates = fields.first { $0.tag == DERNode.context0 }?.children(b) ?? []
        let known = certificates.compactMap { Certificate($0, b) }
        var out: [ImageSigner] = []
        for signer in infos.children(b) ?? [] {
            // SignerInfo { version, issuerAndSerialNumber { issuer, serialNumber }, ... }
            guard let f = signer.children(b), f.count >= 2, let id = f[1].children(b), id.count == 2 else { return nil }
            let issuer = Certificate.name(id[0], b)
            let serial = id[1].bytes(b)
            let subject = known.first { $0.serial == serial && $0.issuer == issuer }?.subject
            out.append(ImageSigner(subject: subject ?? "certificate \(hexBytes(serial)) (not included)", issuer: issuer))
        }
        return out
    }

    static func hexBytes(_ bytes: [UInt8]) -> String {
        bytes.map { String($0, radix: 16).count == 1 ? "0" + String($0, radix: 16) : String($0, radix: 16) }.joined()
    }
}

/// The three fields of an X.509 certificate that identify it.
struct Certificate {
    var serial: [UInt8]
    var issuer: String
    var subject: String

    init?(_ node: DERNode, _ b: UnsafeRawBufferPointer) {
        guard node.tag == DERNode.sequence, let tbs = node.children(b)?.first, var f = tbs.children(b) else { return nil }
        if f.first?.tag == DERNode.context0 { f.removeFirst() }   // [0] EXPLICIT version
        // serialNumber, signature, issuer, validity, subject
        guard f.count >= 5, f[0].tag == DERNode.integer else { return nil }
        serial = f[0].bytes(b)
        issuer = Self.name(f[2], b)
        subject = Self.name(f[4], b)
    }

    /// "CN=…" (or "O=…" when there is no common name); what people recognise a key by.
    static func name(_ node: DERNode, _ b: UnsafeRawBufferPointer) -> String {
        let commonName: [UInt8] = [0x55, 0x04, 0x03], organization: [UInt8] = [0x55, 0x04, 0x0a]
        var attributes: [([UInt8], String)] = []
        for rdn in node.children(b) ?? [] {
            for pair in rdn.children(b) ?? [] {
                guard let kv = pair.children(b), kv.count == 2, kv[0].tag == DERNode.objectIdentifier else { continue }
                attributes.append((kv[0].bytes(b), printable(kv[1].bytes(b))))
            }
        }
        if let cn = attributes.first(where: { $0.0 == commonName }) { return "CN=" + cn.1 }
        if let o = attributes.first(where: { $0.0 == organization }) { return "O=" + o.1 }
        return "an unnamed certificate"
    }
}
