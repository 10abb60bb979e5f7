import Glibc

/// One line to standard error (write(2) directly: the C `stderr` global is not
/// concurrency-safe under Swift 6).
func printError(_ line: String) {
    var bytes = Array((line + "\n").utf8)
    bytes.withUnsafeMutableBytes { _ = write(2, $0.baseAddress, $0.count) }
}
