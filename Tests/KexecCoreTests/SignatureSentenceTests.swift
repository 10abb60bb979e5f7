import Foundation
import Testing
@testable import KexecCore
@testable import KexecSystem

/// Secure Boot refusals, each said in one line with its cause (issue: UEFI and Secure Boot).
extension SyscallChoiceTests {
    static let secureBoot: [String: String] = ["/sys/kernel/security/lockdown": "none [integrity] confidentiality\n"]

    /// A Secure Boot machine: efivarfs' SecureBoot variable is 1 (4 attribute bytes, the value).
    func secureBootRoot(_ fake: FakeSyscalls, keys: String? = nil) throws -> (KexecRunner, FakeRoot) {
        var files = Self.secureBoot
        if let keys { files["/proc/keys"] = keys }
        let (r, root) = try runner(fake, files: files)
        let dir = root.path + "/sys/firmware/efi/efivars"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try Data([7, 0, 0, 0, 1]).write(to: URL(fileURLWithPath: dir + "/SecureBoot-8be4df61-93ca-11d2-aa0d-00e098032b8c"))
        return (r, root)
    }

    func message(_ r: KexecRunner, _ o: LoadOptions) -> String {
        do { _ = try r.load(o); return "loaded" } catch { return "\(error)" }
    }

    @Test func unsignedPEUnderSecureBootSaysSoNotNoDataAvailable() throws {
        try Data(AuthenticodeTests.bzImage([])).write(to: URL(fileURLWithPath: kernel))
        let (r, root) = try secureBootRoot(FakeSyscalls(fileResult: -Int(ENODATA)))
        let text = withExtendedLifetime(root) { message(r, options(.auto)) }
        #expect(text == "kexec_file_load failed: No data available: \(kernel) carries no Authenticode signature, and with Secure Boot on (lockdown=integrity) the kernel only loads images signed by a key in its builtin, secondary, platform (UEFI db) or machine (MOK) keyring; use the distribution's signed kernel, or sign this one (sbsign) with a key in UEFI db or MOK")
    }

    @Test func foreignSignedImageNamesSignerIssuerAndTheFix() throws {
        try Data(AuthenticodeTests.bzImage([(2, AuthenticodeTests.pkcs7)])).write(to: URL(fileURLWithPath: kernel))
        let (r, root) = try secureBootRoot(FakeSyscalls(fileResult: -Int(ENOKEY)),
                                           keys: "1a2b3c4d I------     1 perm 1f010000     0     0 asymmetri Debian Secure Boot CA: 6ccece7e4c6c0d1f6149f3dd27dfcc5cbb419ea1: X509.rsa a7472ee8 []\n")
        let text = withExtendedLifetime(root) { message(r, options(.file)) }
        #expect(text.hasPrefix("kexec_file_load failed: Required key not available: \(kernel) is signed by \"CN=swift-kexec test signer\" (issued by \"CN=swift-kexec test signer\"), a key the kernel does not trust: with Secure Boot on (lockdown=integrity) it only loads images signed by a key in its builtin, secondary, platform (UEFI db) or machine (MOK) keyring"))
        #expect(text.hasSuffix("(mokutil --import CERT), or use the distribution's signed kernel"))
        #expect(!text.contains("kexec_load "))
    }

    @Test func aSignerWhoseKeyTheKernelListsIsNamed() throws {
        try Data(AuthenticodeTests.bzImage([(2, AuthenticodeTests.pkcs7)])).write(to: URL(fileURLWithPath: kernel))
        let (r, root) = try secureBootRoot(FakeSyscalls(fileResult: -Int(EKEYREJECTED)))
        // /proc/keys pads the type column; a key is matched by its description
        let keysLine = "0a0b0c0d I------     1 perm 1f010000     0     0 asymmetric swift-kexec test signer: 8850775de3814f X509.ecdsa 88507 []\n"
        try keysLine.write(toFile: root.path + "/proc/keys", atomically: true, encoding: .utf8)
        let text = withExtendedLifetime(root) { message(r, options(.file)) }
        #expect(text.contains("(\"swift-kexec test signer:8850775de3814f in /proc/keys\" is trusted, so the signature itself did not verify"))
    }

    /// The test certificate of AuthenticodeTests.pkcs7, DER.
    static let testCertificate = [UInt8](Data(base64Encoded: "MIIBxjCCAWugAwIBAgIUf4b9YpQ1QlWbp9NIKnncSXw0JWMwCgYIKoZIzj0EAwIwODEUMBIGA1UECgwLc3dpZnQta2V4ZWMxIDAeBgNVBAMMF3N3aWZ0LWtleGVjIHRlc3Qgc2lnbmVyMB4XDTI2MTIwMjA1MzUxMFoXDTM2MTEyOTA1MzUxMFowODEUMBIGA1UECgwLc3dpZnQta2V4ZWMxIDAeBgNVBAMMF3N3aWZ0LWtleGVjIHRlc3Qgc2lnbmVyMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEIlGHgRjKLwi78who2UoLZps0uMPzImZEpku/G+szmygkebOmjDP19GuhtoWYsTe2fWVs1nkpCTapnKdAFhZkGKNTMFEwHQYDVR0OBBYEFIhQdd44FPhBx1de/P6Nb6Nwf7PPMB8GA1UdIwQYMBaAFIhQdd44FPhBx1de/P6Nb6Nwf7PPMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIhALudT5h2FrHsCOBY7IRoaK62gDbi+jmBlCkrAKpr6U1pAiEA33yi5jlWQkP9BxzJsmPiGiWaFcVURMHz7ezQnprwbEM=")!)

    /// efivarfs' db: attributes, then one EFI_SIGNATURE_LIST of X.509 certificates.
    static func dbVariable(_ certificates: [[UInt8]]) -> [UInt8] {
        let entry = 16 + (certificates.first?.count ?? 0)
        var list = EFISignatureList.x509GUID + [UInt8](repeating: 0, count: 12)
        list.store(UInt32(28 + entry * certificates.count), at: 16)
        list.store(UInt32(entry), at: 24)
        for c in certificates { list += [UInt8](repeating: 0x11, count: 16) + c }
        let hashList = [UInt8](repeating: 0x26, count: 16) + [76, 0, 0, 0, 0, 0, 0, 0, 48, 0, 0, 0] + [UInt8](repeating: 0, count: 48)
        return [7, 0, 0, 0] + hashList + list
    }

    @Test func dryRunFindsTheSignerInUEFIdb() throws {
        try Data(AuthenticodeTests.bzImage([(2, AuthenticodeTests.pkcs7)])).write(to: URL(fileURLWithPath: kernel))
        let (r, root) = try secureBootRoot(FakeSyscalls())
        let dir = root.path + "/sys/firmware/efi/efivars/"
        let report = { try #require(withExtendedLifetime(root) { r.signatureReport(self.options(.auto)) }) }
        #expect(try report().verdict.hasPrefix("refused unless the signer's key is in its builtin"))
        try Data(Self.dbVariable([Self.testCertificate])).write(to: URL(fileURLWithPath: dir + "db-d719b2cb-3d3a-4596-a3bc-dad00e67656f"))
        #expect(try report().verdict == "accepted if the signature verifies: its key CN=swift-kexec test signer in UEFI db (the platform keyring)")
    }

    @Test func aUKINamesItsLinuxAndItsOwnSigner() throws {
        let uki = AuthenticodeTests.signed([(2, AuthenticodeTests.pkcs7)],
                                           base: PEFixture.uki(linux: AuthenticodeTests.bzImage([]), cmdline: "quiet"))
        try Data(uki).write(to: URL(fileURLWithPath: kernel))
        let (r, root) = try secureBootRoot(FakeSyscalls(fileResult: -Int(ENODATA)))
        let text = withExtendedLifetime(root) { message(r, options(.file)) }
        #expect(text.hasPrefix("kexec_file_load failed: No data available: \(kernel)'s .linux (the kernel kexec_file_load checks) carries no Authenticode signature; the UKI itself is signed by \"CN=swift-kexec test signer\" (issued by \"CN=swift-kexec test signer\"), and with Secure Boot on"))
    }

    @Test func kexecLoadRefusedByIMAUnderSecureBoot() throws {
        let (r, root) = try secureBootRoot(FakeSyscalls(result: -Int(EACCES)))
        let text = withExtendedLifetime(root) { message(r, options(.load)) }
        #expect(text == "kexec_load failed: Permission denied: with Secure Boot on, the kernel's IMA policy refuses kexec_load (it can only appraise an image passed as a file); use -s or the default -a (kexec_file_load) with a signed kernel")
    }

    @Test func dryRunReportsSignerAndVerdict() throws {
        try Data(AuthenticodeTests.bzImage([])).write(to: URL(fileURLWithPath: kernel))
        let (r, root) = try secureBootRoot(FakeSyscalls())
        let report = try #require(withExtendedLifetime(root) { r.signatureReport(options(.auto)) })
        #expect(report.line == "signature: \(kernel) carries no Authenticode signature; kexec_file_load: refused: with Secure Boot on (lockdown=integrity) the kernel only loads signed images")
        #expect(report.json.rendered().contains("\"signers\":[],\"secure_boot\":true,\"lockdown\":\"integrity\""))
    }
}

@Suite("Secure Boot state")
struct SecureBootStateTests {
    /// Without efivarfs mounted (an initramfs, a minimal system) the EFI stub's finding in
    /// boot_params.secure_boot still says whether Secure Boot is on.
    @Test(arguments: [(UInt8(3), Bool?.some(true)), (2, false), (0, nil)])
    func fromBootParamsWhenEfivarsIsNotMounted(_ byte: UInt8, _ expected: Bool?) throws {
        let root = try FakeRoot(["/sys/firmware/efi/systab": "ACPI20=0x1\n"])
        try FileManager.default.createDirectory(atPath: root.path + "/sys/kernel/boot_params", withIntermediateDirectories: true)
        try Data(EFIFixture.runningBootParams(secureBoot: byte)).write(to: URL(fileURLWithPath: root.path + "/sys/kernel/boot_params/data"))
        #expect(KexecEnvironment.read(root.files).secureBoot == expected)
    }
}
