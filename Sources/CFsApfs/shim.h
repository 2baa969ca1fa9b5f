#ifndef CFSAPFS_SHIM_H
#define CFSAPFS_SHIM_H
// libfsapfs (libyal, LGPL-3.0-or-later, linked dynamically): read-only APFS containers and volumes.
// As in CFsHfs, the libbfio file-IO-handle part of the header is switched off (volumes open by path).
#include <libfsapfs/features.h>
#undef LIBFSAPFS_HAVE_BFIO
#include <libfsapfs.h>
#endif
