#ifndef CVIGIL_BZIP2_SHIM_H
#define CVIGIL_BZIP2_SHIM_H
// libbz2 (bzip2 1.0.x), for the bzip2 chunks of UDIF disk images. Debian ships no pkg-config file
// for it, so the module map links -lbz2 directly.
#include <bzlib.h>
#endif
