#ifndef CVIGILSYS_H
#define CVIGILSYS_H

/// Puts the calling process in the idle I/O scheduling class (ioprio_set, Linux): its reads are
/// served only when no other process wants the disk. Returns 0, or -1 with errno set (ENOSYS
/// elsewhere than Linux).
int cvigil_set_idle_io_priority(void);

#endif
