import Foundation
import Testing
@testable import KexecCore
@testable import KexecSystem

/// Paths and command lines are bytes: what is not UTF-8 reaches the kernel and the file
/// system unchanged.
@Suite("bytes that are not UTF-8")
struct RawBytesTests {
    @Test(arguments: [
        [UInt8](), Array("console=ttyS0 quiet".utf8), Array("é ü 日本".utf8),
        [0xff], [0x6f, 0x6b, 0xff, 0x20, 0xc3], [0xc3, 0x28], [0xe2, 0x82], [0xed, 0xa0, 0x80],   // lone lead, bad continuation, truncated, surrogate
        [0xf4, 0x90, 0x80, 0x80], Array(0x80...0xff), [0x61, 0x80, 0x62, 0xfe, 0xfe, 0x63],
    ])
    func roundTrip(_ bytes: [UInt8]) {
        let s = RawBytes.string(bytes)
        #expect(RawBytes.bytes(s) == bytes)
        if let valid = String(validating: bytes, as: UTF8.self) { #expect(s == valid) }
    }

    @Test func aBinaryCommandLineReachesBootParamsByteForByte() throws {
        let line: [UInt8] = Array("root=/dev/sda x=".utf8) + [0xff, 0xfe] + Array(" y".utf8)
        let plan = try BzImage64Loader().plan(Fixture.request(Fixture.bzImage(), commandLine: RawBytes.string(line)), host: Fixture.host())
        let bp = try #require(plan.segments.first { $0.role == .bootParams }?.data.map { Array($0.raw) })
        let at = BootParamsBuilder.commandLineOffset
        #expect(Array(bp[at..<(at + line.count + 1)]) == line + [0])
    }

    @Test func aUKICommandLineThatIsNotUTF8IsKept() throws {
        let cmdline: [UInt8] = [0x6f, 0x6b, 0xff, 0x0a]
        let u = try #require(try UnifiedKernelImage.detect(ByteStorage(PEFixture.image([.init(".linux", [1]), .init(".cmdline", cmdline)])).all, path: "u"))
        #expect(u.commandLine?.kernelBytes == [0x6f, 0x6b, 0xff])
    }

    @Test func aPathThatIsNotUTF8Opens() throws {
        let dir = NSTemporaryDirectory() + "kexec-raw-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let name = Array(dir.utf8) + Array("/k\u{7f}".utf8) + [0xff, 0xfe]
        let fd = open(name.map { CChar(bitPattern: $0) } + [0], O_CREAT | O_WRONLY, 0o600)
        #expect(fd >= 0)
        let data: [UInt8] = [1, 2, 3]
        _ = write(fd, data, data.count)
        close(fd)
        let storage = try MappedFile.open(RawBytes.string(name), role: "kernel image")
        #expect(Array(storage.all.raw) == [1, 2, 3])
        #expect(FileIdentity(path: RawBytes.string(name))?.size == 3)
    }
}
