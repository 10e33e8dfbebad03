/* hurd/hurd_types.h (forksim shim): the Hurd's own types and indexes that glibc's code
 * names. The values are the Hurd's (hurd/hurd_types.h of the Hurd's sources: the order of the
 * init ports and init ints, the exec flags); the text is forksim's. */
#ifndef FORKIMPL_HURD_TYPES_H
#define FORKIMPL_HURD_TYPES_H
#include <sys/types.h>
#include <mach/mach_types.h>
#include <mach/port.h>

typedef mach_port_t file_t;
typedef mach_port_t fsys_t;
typedef mach_port_t io_t;
typedef mach_port_t process_t;
typedef mach_port_t auth_t;
typedef mach_port_t socket_t;
typedef mach_port_t exec_startup_t;
typedef mach_port_t interrupt_t;
typedef mach_port_t ctty_t;
typedef mach_port_t *portarray_t;
typedef int *intarray_t;
typedef pid_t *pidarray_t;
typedef char *data_t;

/* The init ports an exec passes, and their indexes (the Hurd's order). */
enum {
    INIT_PORT_CWDIR,
    INIT_PORT_CRDIR,
    INIT_PORT_AUTH,
    INIT_PORT_PROC,
    INIT_PORT_CTTYID,
    INIT_PORT_BOOTSTRAP,
    INIT_PORT_MAX
};
/* The init ints: the signal state an exec'd program starts with among them. */
enum {
    INIT_UMASK,
    INIT_SIGMASK,
    INIT_SIGIGN,
    INIT_SIGPENDING,
    INIT_TRACEMASK,
    INIT_INT_MAX
};
#define EXEC_NEWTASK 0x00000001
#define EXEC_SECURE 0x00000002
#define EXEC_DEFAULTS 0x00000004
#define EXEC_SIGTRAP 0x00000008
#define EXEC_STACK_ARGS 0x00000010
#endif
