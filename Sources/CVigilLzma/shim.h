#ifndef CVIGIL_LZMA_SHIM_H
#define CVIGIL_LZMA_SHIM_H
// liblzma (xz-utils), for the LZMA ("ULMO") chunks of UDIF disk images.
#include <lzma.h>

/// LZMA_STREAM_INIT is a compound-literal macro Swift cannot import.
static inline lzma_stream cvigil_lzma_stream_init(void) {
    lzma_stream s = LZMA_STREAM_INIT;
    return s;
}
#endif
