import CKexecShim
import Glibc

/// getrandom(GRND_NONBLOCK): true when the pool was ready and filled the buffer.
func ckexecRandom(_ buffer: UnsafeMutableRawBufferPointer) -> Bool {
    ckexec_getrandom(buffer.baseAddress, buffer.count, 1 /* GRND_NONBLOCK */) == buffer.count
}

/// argv captured by the C constructor; used when CommandLine.arguments is empty (no /proc).
public func capturedArguments() -> [String] {
    (0..<Int(ckexec_saved_argc())).compactMap { ckexec_saved_argv(Int32($0)).map { String(cString: $0) } }
}
