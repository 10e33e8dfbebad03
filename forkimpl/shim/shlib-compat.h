/* shlib-compat.h (forksim shim): glibc's symbol versioning, as Debian's hurd/hurdexec.c names it
 * (versioned_symbol for _hurd_exec_file_name). forksim links one static program: no versions,
 * so no alias is made (the simulated processes call _hurd_exec_paths by its own name). */
#ifndef FORKIMPL_SHLIB_COMPAT_H
#define FORKIMPL_SHLIB_COMPAT_H
#define versioned_symbol(lib, local, symbol, version)
#define compat_symbol(lib, local, symbol, version)
#define SHLIB_COMPAT(lib, introduced, obsoleted) 0
#endif
