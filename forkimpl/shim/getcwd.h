/* getcwd.h (forksim shim): glibc's include/getcwd.h, which declares __getcwd; forkimpl-exec.h
 * declares it for execveat.c (forkimpl/execrt.c says what it does in the simulation). */
#include "forkimpl-exec.h"
