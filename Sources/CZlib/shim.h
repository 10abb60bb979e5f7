// zlib (zlib1g-dev) for KexecSystem's decompression of gzip kernels.
// inflateInit2 is a macro, which Swift cannot call; this inline wrapper can be.
#ifndef CZLIB_SHIM_H
#define CZLIB_SHIM_H
#include <zlib.h>

static inline int czlib_inflate_init_gzip(z_stream *stream) {
    // 15-bit window, +16: accept only the gzip wrapper (RFC 1952).
    return inflateInit2(stream, 15 + 16);
}
#endif
