/// The certificates in a UEFI signature database variable (db, MokListRT): a sequence of
/// EFI_SIGNATURE_LIST { EFI_GUID SignatureType; u32 SignatureListSize; u32 SignatureHeaderSize;
/// u32 SignatureSize; header; EFI_SIGNATURE_DATA { EFI_GUID SignatureOwner; u8 Data[] }... }.
/// Source: UEFI Specification 2.10 §32.4.1 (Signature Database), EFI_CERT_X509_GUID.
public enum EFISignatureList {
    /// EFI_CERT_X509_GUID a5c059a1-94e4-4aa7-87b5-ab155c2bf072, as stored (mixed-endian).
    static let x509GUID: [UInt8] = [0xa1, 0x59, 0xc0, 0xa5, 0xe4, 0x94, 0xa7, 0x4a,
                                    0x87, 0xb5, 0xab, 0x15, 0x5c, 0x2b, 0xf0, 0x72]
    static let listHeader = 28
    static let ownerSize = 16

    /// The subjects of the X.509 certificates in `b` (hashes and malformed lists are skipped).
    public static func certificateSubjects(_ b: UnsafeRawBufferPointer) -> [String] {
        let r = LittleEndianReader(b)
        var subjects: [String] = []
        var at = 0
        while at + listHeader <= b.count {
            guard let listSize = r.u32(at + 16).map(Int.init), let headerSize = r.u32(at + 20).map(Int.init),
                  let entrySize = r.u32(at + 24).map(Int.init), listSize >= listHeader, listSize <= b.count - at else { break }
            if Array(b[at..<(at + 16)]) == x509GUID, entrySize > ownerSize {
                var entry = at + listHeader + headerSize
                while entry + entrySize <= at + listSize {
                    let der = (entry + ownerSize)..<(entry + entrySize)
                    if let node = DERNode.read(b, at: der.lowerBound, limit: der.upperBound), let cert = Certificate(node, b) {
                        subjects.append(cert.subject)
                    }
                    entry += entrySize
                }
            }
            at += listSize
        }
        return subjects
    }
}
