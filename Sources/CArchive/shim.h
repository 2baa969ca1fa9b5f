#ifndef CARCHIVE_SHIM_H
#define CARCHIVE_SHIM_H
// libarchive 3.x (Debian libarchive-dev, Homebrew libarchive), wrapped for Swift by ArchiveKit.
// Only ArchiveKit imports this module: no `struct archive *` leaves it.
#include <archive.h>
#include <archive_entry.h>
#endif
