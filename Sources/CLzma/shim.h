// liblzma (liblzma-dev) for KexecSystem's decompression of xz and legacy lzma kernels.
// The flag constants are UINT64_C/UINT32_C macros, which Swift does not import.
#ifndef CLZMA_SHIM_H
#define CLZMA_SHIM_H
#include <lzma.h>

static inline lzma_ret clzma_xz_decoder(lzma_stream *stream, uint64_t memlimit) {
    return lzma_stream_decoder(stream, memlimit, LZMA_CONCATENATED);
}
static inline lzma_ret clzma_alone_decoder(lzma_stream *stream, uint64_t memlimit) {
    return lzma_alone_decoder(stream, memlimit);
}
#endif
