/* hurd/fs_experimental.h (forksim shim): the MIG user header of Debian's fs_experimental.defs,
 * which Debian's glibc 2.36 (hurd/hurdexec.c, a Debian patch) calls file_exec_file_name from
 * when file_exec_paths answers MIG_BAD_ID. The Hurd tree forksim follows (the mirror's
 * d80222b9) has no such file; forksim's file system answers file_exec_paths, so the fallback is
 * never taken (sim/hurd/auth_stubs.c: a call stops the run as unmodelled). */
#ifndef FORKIMPL_HURD_FS_EXPERIMENTAL_H
#define FORKIMPL_HURD_FS_EXPERIMENTAL_H
#include "../forkimpl-glibc.h"
kern_return_t __file_exec_file_name(mach_port_t exec_file, mach_port_t exec_task, int flags,
                                    const char *filename, const char *argv,
                                    mach_msg_type_number_t argvCnt, const char *envp,
                                    mach_msg_type_number_t envpCnt, const mach_port_t *fdarray,
                                    mach_msg_type_name_t fdarrayPoly,
                                    mach_msg_type_number_t fdarrayCnt,
                                    const mach_port_t *portarray,
                                    mach_msg_type_name_t portarrayPoly,
                                    mach_msg_type_number_t portarrayCnt, const int *intarray,
                                    mach_msg_type_number_t intarrayCnt,
                                    const mach_port_t *deallocnames,
                                    mach_msg_type_number_t deallocnamesCnt,
                                    const mach_port_t *destroynames,
                                    mach_msg_type_number_t destroynamesCnt);
#endif
