/* sigsetops.h (forksim shim): glibc's internal set operations; the Hurd's scalar ones are in
 * signal.h (the rule of sysdeps/generic/sigsetops.h: bit signo - 1). */
#include <signal.h>
