#ifndef CFSHFS_SHIM_H
#define CFSHFS_SHIM_H
// libfshfs (libyal, LGPL-3.0-or-later, linked dynamically): read-only HFS+/HFSX volumes.
// libfshfs.h includes libbfio.h for its file-IO-handle functions when features.h says so; Vigil opens
// volumes by path only, so that part is switched off here and libbfio's headers are not needed.
#include <libfshfs/features.h>
#undef LIBFSHFS_HAVE_BFIO
#include <libfshfs.h>
#endif
