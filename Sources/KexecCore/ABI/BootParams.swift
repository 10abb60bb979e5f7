/// The "zero page", struct boot_params (4096 bytes).
/// Source: Linux Documentation/arch/x86/zero-page.rst and arch/x86/include/uapi/asm/bootparam.h.
public enum BootParamsOffset {
    public static let size = 4096
    public static let screenInfo = 0x000        // struct screen_info, 0x40 bytes
    public static let screenInfoSize = 0x40
    public static let extMemK = 0x002           // u16 inside screen_info
    public static let acpiRsdpAddr = 0x070      // u64
    public static let extRamdiskImage = 0x0c0   // u32
    public static let extRamdiskSize = 0x0c4    // u32
    public static let extCmdLinePtr = 0x0c8     // u32
    // struct efi_info at 0x1c0 (32 bytes)
    public static let efiLoaderSignature = 0x1c0 // u32, "EL64" when a 64-bit EFI booted us
    public static let efiSystab = 0x1c4         // u32, low half
    public static let efiMemdescSize = 0x1c8    // u32
    public static let efiMemdescVersion = 0x1cc // u32
    public static let efiMemmap = 0x1d0         // u32, low half
    public static let efiMemmapSize = 0x1d4     // u32, bytes
    public static let efiSystabHi = 0x1d8       // u32, high half
    public static let efiMemmapHi = 0x1dc       // u32, high half
    public static let altMemK = 0x1e0           // u32
    public static let e820Entries = 0x1e8       // u8
    public static let secureBoot = 0x1ec        // u8: 0 unset, 1 unknown, 2 off, 3 on (efi_secureboot_mode)
    public static let sentinel = 0x1ef          // u8
    public static let setupHeader = 0x1f1
    public static let e820Table = 0x2d0         // 128 x boot_e820_entry
    public static let e820Max = 128
}
