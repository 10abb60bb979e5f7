import Foundation
import Testing
@testable import KexecCore

@Suite("Authenticode signatures")
struct AuthenticodeTests {
    /// `openssl cms -sign -outform DER` over "hi" with a throwaway P-256 certificate whose
    /// subject and issuer are "O=swift-kexec, CN=swift-kexec test signer".
    static let pkcs7 = [UInt8](Data(base64Encoded: "MIICxAYJKoZIhvcNAQcCoIICtTCCArECAQExDTALBglghkgBZQMEAgEwEgYJKoZIhvcNAQcBoAUEA2hpCqCCAcowggHGMIIBa6ADAgECAhR/hv1ilDVCVZun00gqedxJfDQlYzAKBggqhkjOPQQDAjA4MRQwEgYDVQQKDAtzd2lmdC1rZXhlYzEgMB4GA1UEAwwXc3dpZnQta2V4ZWMgdGVzdCBzaWduZXIwHhcNMjYxMjAyMDUzNTEwWhcNMzYxMTI5MDUzNTEwWjA4MRQwEgYDVQQKDAtzd2lmdC1rZXhlYzEgMB4GA1UEAwwXc3dpZnQta2V4ZWMgdGVzdCBzaWduZXIwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAQiUYeBGMovCLvzCGjZSgtmmzS4w/MiZkSmS78b6zObKCR5s6aMM/X0a6G2hZixN7Z9ZWzWeSkJNqmcp0AWFmQYo1MwUTAdBgNVHQ4EFgQUiFB13jgU+EHHV178/o1vo3B/s88wHwYDVR0jBBgwFoAUiFB13jgU+EHHV178/o1vo3B/s88wDwYDVR0TAQH/BAUwAwEB/zAKBggqhkjOPQQDAgNJADBGAiEAu51PmHYWsewI4FjshGhorraANuL6OYGUKSsAqmvpTWkCIQDffKLmOVZCQ/0HHMmyY+IaJZoVxVREwfPt7NCemvBsQzGBujCBtwIBATBQMDgxFDASBgNVBAoMC3N3aWZ0LWtleGVjMSAwHgYDVQQDDBdzd2lmdC1rZXhlYyB0ZXN0IHNpZ25lcgIUf4b9YpQ1QlWbp9NIKnncSXw0JWMwCwYJYIZIAWUDBAIBMAoGCCqGSM49BAMCBEcwRQIgBg1TsVXuPmgNqme9qDxmbwUQiNia5k+kYv56yhLOVugCIQCslM3OIsZbwNp2IVQORraC+y8Kji5jkUF+aQQcblEGcA==")!)

    /// A PE image with `certificates` appended as WIN_CERTIFICATE entries (8-byte aligned).
    static func signed(_ certificates: [(type: UInt16, bytes: [UInt8])], tableSize: Int? = nil,
                       base: [UInt8] = PEFixture.image([.init(".text", [UInt8](repeating: 0xC3, count: 100))])) -> [UInt8] {
        var image = base
        let table = image.count
        for c in certificates {
            var entry = [UInt8](repeating: 0, count: 8)
            entry.store(UInt32(8 + c.bytes.count), at: 0)
            entry.store(UInt16(0x0200), at: 4)
            entry.store(c.type, at: 6)
            entry += c.bytes
            entry += [UInt8](repeating: 0, count: (8 - entry.count % 8) % 8)
            image += entry
        }
        let directory = PEFixture.peOffset + PEOffset.optionalHeader + 112 + 8 * 4
        image.store(UInt32(table), at: directory)
        image.store(UInt32(tableSize ?? (image.count - table)), at: directory + 4)
        return image
    }

    /// A bzImage whose setup sectors carry a PE header, as an EFI-stub kernel's do (sbsign's
    /// input), with `certificates` appended.
    static func bzImage(_ certificates: [(type: UInt16, bytes: [UInt8])]) -> [UInt8] {
        let base = Fixture.bzImage { b in
            let pe = PEFixture.image([])
            b.replaceSubrange(0x3c..<0x40, with: pe[0x3c..<0x40])
            b.replaceSubrange(PEFixture.peOffset..<PEFixture.sectionTable, with: pe[PEFixture.peOffset..<PEFixture.sectionTable])
            b.store(PEConstant.dosMagic, at: 0)
        }
        return signed(certificates, base: base)
    }

    func inspect(_ bytes: [UInt8]) -> ImageSignature { bytes.withUnsafeBytes { AuthenticodeInspector.inspect($0) } }

    @Test func namesTheSignerAndIssuer() {
        let signer = ImageSigner(subject: "CN=swift-kexec test signer", issuer: "CN=swift-kexec test signer")
        #expect(inspect(Self.signed([(2, Self.pkcs7)])) == .signed([signer]))
        #expect(inspect(Self.signed([(2, Self.pkcs7)])).summary == "is signed by \"CN=swift-kexec test signer\" (issued by \"CN=swift-kexec test signer\")")
        // two signatures (sbattach appends; shim and the kernel accept any trusted one)
        #expect(inspect(Self.signed([(2, Self.pkcs7), (2, Self.pkcs7)])) == .signed([signer, signer]))
    }

    @Test func signedBzImageFixtureIsStillABzImage() throws {
        let image = Self.bzImage([(2, Self.pkcs7)])
        _ = try image.withUnsafeBytes { try BzImageHeaderParser.parse($0) }
        guard case .signed = inspect(image) else { Issue.record("\(inspect(image))"); return }
        #expect(inspect(Self.bzImage([])) == .unsigned)
    }

    @Test func unsignedAndNonPEImages() {
        #expect(inspect(PEFixture.image([.init(".text", [1, 2, 3])])) == .unsigned)
        #expect(inspect(Fixture.bzImage()) == .notPE)
        #expect(inspect(Self.signed([(1, [1, 2, 3])])) == .unsigned)   // an X.509-only entry signs nothing
    }

    @Test func brokenTablesAreUnreadableNotACrash() {
        let pastEnd = Self.signed([(2, Self.pkcs7)], tableSize: 1 << 20)
        guard case .unreadable(let why) = inspect(pastEnd) else { Issue.record("expected unreadable"); return }
        #expect(why.contains("ends past the end of the"))
        var garbage = Self.pkcs7
        garbage[40] ^= 0xff; garbage[41] ^= 0xff
        for cut in [10, 100, 400, Self.pkcs7.count - 1] {
            if case .signed = inspect(Self.signed([(2, Array(Self.pkcs7.prefix(cut)))])) { Issue.record("cut \(cut) parsed") }
        }
        _ = inspect(Self.signed([(2, garbage)]))
    }

    @Test func debiansKernelIsSignedByDebian() throws {
        guard let path = Fixture.debianKernelPath else { return }   // fetched by scripts/vm/setup.sh
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
        guard case .signed(let signers) = inspect(bytes) else { Issue.record("\(inspect(bytes))"); return }
        #expect(signers.first?.subject.hasPrefix("CN=Debian Secure Boot Signer") == true)
        #expect(signers.first?.issuer == "CN=Debian Secure Boot CA")
    }
}
