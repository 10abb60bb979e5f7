/// PE section names of a Unified Kernel Image.
/// Source: UAPI Group "Unified Kernel Image (UKI)" specification
/// (uapi-group.org/specifications/specs/unified_kernel_image), "UKI Components".
public enum UKISectionName {
    public static let linux = ".linux"        // the kernel (an EFI-stub bzImage on x86-64); required
    public static let initrd = ".initrd"      // initramfs (cpio), optional
    public static let cmdline = ".cmdline"    // kernel command line (text), optional
    public static let osrel = ".osrel"        // os-release(5) of the OS, optional
    public static let uname = ".uname"        // `uname -r` of the kernel, optional
    public static let ucode = ".ucode"        // microcode initrd, loaded before .initrd
    public static let splash = ".splash"      // boot splash image
    public static let dtb = ".dtb"            // devicetree
    public static let pcrsig = ".pcrsig"      // TPM PCR signatures
    public static let pcrpkey = ".pcrpkey"    // public key for .pcrsig
    public static let sbat = ".sbat"          // SBAT revocation metadata
    /// Starts a profile: sections after the first `.profile` belong to profile 0 (the default)
    /// and replace the base sections of the same name; a second `.profile` starts profile 1.
    public static let profile = ".profile"

    /// Sections a UKI may carry that a kexec of it does not use.
    public static let unused = [ucode, splash, dtb, ".dtbauto", ".hwids", ".efifw", pcrsig, pcrpkey]
}
