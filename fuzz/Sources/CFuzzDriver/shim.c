// Empty: CFuzzDriver only exports the LLVMFuzzerRunDriver declaration to Swift.
#include "CFuzzDriver.h"
