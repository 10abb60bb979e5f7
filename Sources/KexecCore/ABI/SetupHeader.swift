/// The real-mode kernel header of a bzImage ("setup header").
/// Source: Linux Documentation/arch/x86/boot.rst, "The Real-Mode Kernel Header";
/// offsets are from the start of the image file (= of boot_params, which embeds it at 0x1f1).
public enum SetupHeaderOffset {
    public static let setupSects = 0x1f1        // u8; 0 means 4
    public static let sysSize = 0x1f4           // u32 (2.04+): protected-mode code in 16-byte paragraphs
    public static let bootFlag = 0x1fe          // u16, 0xAA55
    public static let jump = 0x200              // u16; byte 0x201 gives the header's end
    public static let header = 0x202            // u32, "HdrS"
    public static let version = 0x206           // u16, protocol version
    public static let typeOfLoader = 0x210      // u8
    public static let loadFlags = 0x211         // u8
    public static let code32Start = 0x214       // u32
    public static let ramdiskImage = 0x218      // u32
    public static let ramdiskSize = 0x21c       // u32
    public static let cmdLinePtr = 0x228        // u32
    public static let initrdAddrMax = 0x22c     // u32
    public static let kernelAlignment = 0x230   // u32
    public static let relocatableKernel = 0x234 // u8
    public static let minAlignment = 0x235      // u8
    public static let xloadflags = 0x236        // u16
    public static let cmdlineSize = 0x238       // u32
    public static let hardwareSubarch = 0x23c   // u32
    public static let hardwareSubarchData = 0x240 // u64
    public static let payloadOffset = 0x248     // u32 (2.08+), from the protected-mode start
    public static let payloadLength = 0x24c     // u32 (2.08+)
    public static let setupData = 0x250         // u64
    public static let prefAddress = 0x258       // u64
    public static let initSize = 0x260          // u32
}

public enum SetupHeaderConstant {
    public static let bootFlag: UInt16 = 0xAA55
    public static let magic: UInt32 = 0x5372_6448        // "HdrS"
    public static let loadedHigh: UInt8 = 0x01           // loadflags bit 0
    public static let xlfKernel64: UInt16 = 1 << 0       // has the 64-bit entry at +0x200
    public static let xlfCanBeLoadedAbove4G: UInt16 = 1 << 1
    public static let xlfEfiHandover32: UInt16 = 1 << 2
    public static let xlfEfiHandover64: UInt16 = 1 << 3
    public static let xlfEfiKexec: UInt16 = 1 << 4
    public static let loaderTypeKexec: UInt8 = 0xD0      // boot.rst loader ID 0xD, version 0
    public static let entry64Offset: UInt64 = 0x200      // startup_64 from the protected-mode start
}

/// The fields of a setup header that the loader reads, plus the raw header bytes to copy.
public struct SetupHeader: Sendable, Equatable {
    public var setupSects: Int          // as stored; 0 is read as 4
    public var version: UInt16
    public var loadFlags: UInt8
    public var initrdAddrMax: UInt32
    public var kernelAlignment: UInt32
    public var relocatable: Bool
    public var xloadflags: UInt16
    public var cmdlineSize: UInt32
    public var prefAddress: UInt64
    public var initSize: UInt32
    /// Bytes 0x1f1 ..< headerEnd of the image, copied verbatim into boot_params.
    public var rawBytes: [UInt8]

    /// Size of the real-mode part (boot sector + setup sectors) that precedes the kernel body.
    public var realModeSize: Int { (setupSects == 0 ? 4 : setupSects) * 512 + 512 }
    public var versionString: String { "\(version >> 8).\(String(format2: version & 0xff))" }
}

extension String {
    init(format2 value: UInt16) {
        self = value < 10 ? "0\(value)" : "\(value)"
    }
}
