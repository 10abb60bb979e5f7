import Glibc
import KexecCore

/// What kexec_file_load's signature check will look at, and why it refused: the image's
/// Authenticode signers (read from the file, never trusted), Secure Boot and lockdown, and
/// the keys the kernel lists in /proc/keys.
public struct SignatureDiagnosis: Sendable {
    /// "/boot/vmlinuz", or "/boot/uki.efi's .linux" (the kernel checks the embedded kernel).
    public var checkedName: String
    public var checked: ImageSignature
    /// A UKI's own signature (what firmware and shim check), reported beside .linux's.
    public var container: ImageSignature?

    /// The errnos with which the file syscall's signature verification refuses an image
    /// (kernel/kexec_file.c, crypto/asymmetric_keys: ENODATA = unsigned PE, ENOKEY = no
    /// trusted key, EKEYREJECTED/EBADMSG = bad signature).
    public static let signatureErrnos: Set<Int32> = [ENODATA, EKEYREJECTED, ENOKEY, EBADMSG, EKEYEXPIRED, ENOPKG, ELIBBAD]

    public var summary: String {
        let own = container.map { "; the UKI itself \($0.summary)" } ?? ""
        return "\(checkedName) \(checked.summary)\(own)"
    }

    /// The policy that makes the kernel insist on a signature, in words.
    static func policy(_ env: KexecEnvironment) -> String {
        switch (env.secureBoot == true, env.lockedDown) {
        case (true, true): return "with Secure Boot on (lockdown=\(env.lockdown!))"
        case (true, false): return "with Secure Boot on"
        case (false, true): return "under lockdown=\(env.lockdown!)"
        case (false, false): return "with kexec signature enforcement on (kexec_sig_force, CONFIG_KEXEC_SIG_FORCE or an IMA policy)"
        }
    }

    static let keyrings = "its builtin, secondary, platform (UEFI db) or machine (MOK) keyring"

    /// One sentence after "kexec_file_load failed: <strerror>: ".
    public func explain(errno e: Int32, env: KexecEnvironment, trusted: String?) -> String {
        let policy = Self.policy(env)
        switch checked {
        case .unsigned, .notPE:
            return "\(summary), and \(policy) the kernel only loads images signed by a key in \(Self.keyrings); use the distribution's signed kernel, or sign this one (sbsign) with a key in UEFI db or MOK"
        case .signed:
            let known = trusted.map { " (\"\($0)\" is trusted, so the signature itself did not verify: was the file modified after signing?)" } ?? ""
            return "\(summary), a key the kernel does not trust\(known): \(policy) it only loads images signed by a key in \(Self.keyrings); sign it with a key in the platform (UEFI db) or machine (MOK) keyring (mokutil --import CERT), or use the distribution's signed kernel"
        case .unreadable:
            return "\(summary); \(policy) the kernel only loads images whose signature it can verify against \(Self.keyrings)"
        }
    }

    /// Where the kernel finds a key named like one of the signers' issuers (or the signer
    /// itself): /proc/keys when it lists its keys, else UEFI db and MOK (efivarfs), which the
    /// kernel loads into its platform and machine keyrings at boot.
    public func trustedKey(_ files: SystemFiles) -> String? {
        guard case .signed(let signers) = checked else { return nil }
        let names = Set(signers.flatMap { [$0.issuer, $0.subject] })
        if let keys = files.readText("/proc/keys") {
            for line in keys.split(separator: "\n").map(String.init) where line.split(separator: " ").contains("asymmetric") {
                for name in names {
                    let bare = String(name.drop(while: { $0 != "=" }).dropFirst())
                    if !bare.isEmpty, let range = line.range(of: " \(bare): ") {
                        return "\(bare):" + line[range.upperBound...].prefix(while: { $0 != " " }) + " in /proc/keys"
                    }
                }
            }
        }
        for (variable, keyring) in Self.databases {
            guard let bytes = files.readBytes("/sys/firmware/efi/efivars/\(variable)"), bytes.count > 4 else { continue }
            let subjects = bytes.dropFirst(4).withUnsafeBytes(EFISignatureList.certificateSubjects)
            if let match = subjects.first(where: names.contains) { return "\(match) in \(keyring)" }
        }
        return nil
    }

    /// The signature databases the kernel trusts for kexec (efivarfs names: 4 attribute bytes,
    /// then the EFI_SIGNATURE_LISTs).
    static let databases = [("db-d719b2cb-3d3a-4596-a3bc-dad00e67656f", "UEFI db (the platform keyring)"),
                            ("MokListRT-605dab50-e046-4300-abb6-3dd810dd8b23", "MOK (the machine keyring)")]

    /// For --dry-run and --status: will the file syscall accept this image here?
    public func verdict(_ env: KexecEnvironment, files: SystemFiles) -> String {
        let enforced = env.secureBoot == true || env.lockedDown
        switch checked {
        case .unsigned, .notPE, .unreadable:
            return enforced ? "refused: \(Self.policy(env)) the kernel only loads signed images" : "no signature required (neither Secure Boot nor lockdown)"
        case .signed:
            guard enforced else { return "no signature required (neither Secure Boot nor lockdown)" }
            if let key = trustedKey(files) { return "accepted if the signature verifies: its key \(key)" }
            return "refused unless the signer's key is in \(Self.keyrings); none in /proc/keys, UEFI db or MOK matches"
        }
    }
}

/// The dry run's account of the signature: one line, or a JSON object.
public struct SignatureReport: Sendable {
    public var diagnosis: SignatureDiagnosis
    public var environment: KexecEnvironment
    public var verdict: String

    public var line: String { "signature: \(diagnosis.summary); kexec_file_load: \(verdict)" }

    public var json: JSON {
        var signers: [JSON] = []
        if case .signed(let list) = diagnosis.checked {
            signers = list.map { .object([("subject", .string($0.subject)), ("issuer", .string($0.issuer))]) }
        }
        return .object([
            ("checked", .string(diagnosis.checkedName)),
            ("summary", .string(diagnosis.summary)),
            ("signers", .array(signers)),
            ("secure_boot", .optional(environment.secureBoot)),
            ("lockdown", .optional(environment.lockdown)),
            ("kexec_file_load", .string(verdict)),
        ])
    }
}

extension String {
    /// A substring search without Foundation (whose String.range(of:) pulls in ICU).
    func range(of needle: String) -> Range<String.Index>? {
        guard !needle.isEmpty else { return nil }
        var i = startIndex
        while i < endIndex {
            if self[i...].hasPrefix(needle) { return i..<index(i, offsetBy: needle.count) }
            i = index(after: i)
        }
        return nil
    }
}

