import Foundation
import Testing
@testable import KexecCore

@Suite("bzImage setup header")
struct BzImageHeaderTests {
    @Test func parsesSyntheticHeader() throws {
        let image = Fixture.bzImage()
        let h = try image.withUnsafeBytes { try BzImageHeaderParser.parse($0) }
        #expect(h.version == 0x020f)
        #expect(h.realModeSize == 1024)
        #expect(h.cmdlineSize == 2047)
        #expect(h.kernelAlignment == 0x20_0000)
        #expect(h.rawBytes.count == 0x26c - 0x1f1)
        #expect(h.versionString == "2.15")
    }

    @Test func parsesDebianKernel() throws {
        guard let path = Fixture.debianKernelPath else {
            Issue.record("the Debian bzImage is missing: run scripts/vm/setup.sh (or set KEXEC_TEST_KERNEL)")
            return
        }
        let data = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        let h = try data.withUnsafeBytes { try BzImageHeaderParser.parse($0) }
        #expect(h.version == 0x020f)                       // Debian 6.1: protocol 2.15
        #expect(h.loadFlags & 1 == 1)
        #expect(h.xloadflags & 0x3 == 0x3)
        #expect(h.relocatable)
        #expect(h.cmdlineSize == 2047)
        #expect(h.prefAddress == 0x100_0000)
        #expect(h.initSize > UInt32(data.count - h.realModeSize))
    }

    /// More file than syssize announces is fine (a signature is appended); a payload that
    /// ends exactly at the body's end is inside it.
    @Test func bodyChecksAcceptRealLayouts() throws {
        let signed = Fixture.bzImage { $0.store(UInt32(0x100), at: 0x1f4); $0.store(UInt32(0x2cc), at: 0x248); $0.store(UInt32(0xd34), at: 0x24c) }
        #expect(throws: Never.self) { try signed.withUnsafeBytes { _ = try BzImageHeaderParser.parse($0) } }
    }

    /// Each malformed input is refused with a sentence naming the field.
    @Test(arguments: [
        ("truncated", Array(Fixture.bzImage().prefix(600)), "size", "truncated"),
        ("wrong boot flag", Fixture.bzImage { $0.store(UInt16(0x1234), at: 0x1fe) }, "boot_flag", "expected 0xaa55"),
        ("wrong magic", Fixture.bzImage { $0[0x202] = UInt8(ascii: "X") }, "header", "HdrS"),
        ("old protocol", Fixture.bzImage { $0.store(UInt16(0x020a), at: 0x206) }, "version", "2.12 or newer"),
        ("32-bit only", Fixture.bzImage { $0.store(UInt16(0x2), at: 0x236) }, "xloadflags", "32-bit-only"),
        ("not above 4G", Fixture.bzImage { $0.store(UInt16(0x1), at: 0x236) }, "xloadflags", "CAN_BE_LOADED_ABOVE_4G"),
        ("zImage", Fixture.bzImage { $0[0x211] = 0 }, "loadflags", "LOADED_HIGH"),
        ("setup past end", Fixture.bzImage(bodySize: 16) { $0[0x1f1] = 60 }, "setup_sects", "truncated"),
        ("bad alignment", Fixture.bzImage { $0.store(UInt32(0x30_0000), at: 0x230) }, "kernel_alignment", "power of two"),
        ("no init_size", Fixture.bzImage { $0.store(UInt32(0), at: 0x260) }, "init_size", "is 0"),
        ("body cut short", Array(Fixture.bzImage().dropLast(16)), "syssize",
         "512 paragraphs (8192 bytes) of protected-mode code after the 1024-byte setup need 9216 bytes but the file has 9200 (truncated?)"),
        ("setup_sects 0 is 4", Fixture.bzImage(bodySize: 2048) { $0[0x1f1] = 0; $0.store(UInt32(0x40), at: 0x1f4) }, "syssize",
         "64 paragraphs (1024 bytes) of protected-mode code after the 2560-byte setup need 3584 bytes but the file has 3072 (truncated?)"),
        ("payload past the body", Fixture.bzImage { $0.store(UInt32(0x100), at: 0x248); $0.store(UInt32(0x1f01), at: 0x24c) }, "payload_offset",
         "0x100 + payload_length 0x1f01 ends past the 8192-byte protected-mode part; expected the compressed kernel inside it"),
        ("payload past syssize", Fixture.bzImage { $0.store(UInt32(0x100), at: 0x1f4); $0.store(UInt32(0x800), at: 0x248); $0.store(UInt32(0x900), at: 0x24c) },
         "payload_offset", "ends past the 4096-byte protected-mode part"),
    ])
    func rejects(_ name: String, _ image: [UInt8], _ field: String, _ phrase: String) {
        do {
            _ = try image.withUnsafeBytes { try BzImageHeaderParser.parse($0) }
            Issue.record("\(name): accepted")
        } catch let error as KexecError {
            #expect(error.field == field, "\(name)")
            #expect(error.message.contains(phrase), "\(name): \(error)")
        } catch {
            Issue.record("\(name): unexpected \(error)")
        }
    }
}
