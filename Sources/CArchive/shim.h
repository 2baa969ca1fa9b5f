#ifndef CARCHIVE_SHIM_H
#define CARCHIVE_SHIM_H
// libarchive 3.x (Debian libarchive-dev, Homebrew libarchive), wrapped for Swift by ArchiveKit.
// Only ArchiveKit imports this module: no `struct archive *` leaves it.
#include <archive.h>
#include <archive_entry.h>

/// archive_set_error is variadic, which Swift cannot call: the message goes through "%s".
static inline void carchive_set_error(struct archive *a, int code, const char *message) {
    archive_set_error(a, code, "%s", message);
}
#endif
