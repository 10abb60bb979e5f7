import CKexecShim
import KexecCore
import Glibc

/// getrandom(GRND_NONBLOCK): true when the pool was ready and filled the buffer.
func ckexecRandom(_ buffer: UnsafeMutableRawBufferPointer) -> Bool {
    ckexec_getrandom(buffer.baseAddress, buffer.count, 1 /* GRND_NONBLOCK */) == buffer.count
}

/// argv captured by the C constructor, as bytes (RawBytes); works without /proc too.
public func capturedArguments() -> [String] {
    (0..<Int(ckexec_saved_argc())).compactMap { i in
        ckexec_saved_argv(Int32(i)).map { RawBytes.string(UnsafeRawBufferPointer(start: $0, count: strlen($0))) }
    }
}
