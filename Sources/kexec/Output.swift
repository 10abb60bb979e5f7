import Glibc
import KexecCore

/// One line to standard error (write(2) directly: the C `stderr` global is not
/// concurrency-safe under Swift 6), a path's bytes as they are (RawBytes).
func printError(_ line: String) {
    var bytes = RawBytes.bytes(line + "\n")
    bytes.withUnsafeMutableBytes { _ = write(2, $0.baseAddress, $0.count) }
}
