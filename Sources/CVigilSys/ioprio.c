#include "cvigilsys.h"
#include <errno.h>
#ifdef __linux__
#include <sys/syscall.h>
#include <unistd.h>

// From linux/ioprio.h (not every libc ships it).
#define CVIGIL_IOPRIO_CLASS_IDLE 3
#define CVIGIL_IOPRIO_CLASS_SHIFT 13
#define CVIGIL_IOPRIO_WHO_PROCESS 1

int cvigil_set_idle_io_priority(void) {
    // Swift cannot call the variadic syscall(2) itself, hence this shim.
    return (int)syscall(SYS_ioprio_set, CVIGIL_IOPRIO_WHO_PROCESS, 0, CVIGIL_IOPRIO_CLASS_IDLE << CVIGIL_IOPRIO_CLASS_SHIFT);
}
#else
int cvigil_set_idle_io_priority(void) {
    errno = ENOSYS;
    return -1;
}
#endif
