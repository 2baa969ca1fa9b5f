#ifndef CYARA_SHIM_H
#define CYARA_SHIM_H
#include <yara.h>
#endif
