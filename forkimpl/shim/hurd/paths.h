/* hurd/paths.h (forksim shim): the Hurd's well-known server paths (the Hurd's hurd/paths.h). */
#ifndef FORKIMPL_HURD_PATHS_H
#define FORKIMPL_HURD_PATHS_H
#define _SERVERS "/servers/"
#define _SERVERS_CRASH _SERVERS "crash"
#define _SERVERS_EXEC _SERVERS "exec"
#define _SERVERS_PROC _SERVERS "proc"
#endif
