/*
 * auth_stubs.c: the client stubs glibc's hurd/hurdexec.c names beyond the routine table (hurd.stubs):
 * auth.defs' auth_makeauth (routine 25001) and the file_exec_file_name of Debian's
 * fs_experimental.defs (a Debian patch to glibc 2.36's hurdexec.c calls it when
 * file_exec_paths answers MIG_BAD_ID). Neither is reachable in the simulated world, and each
 * says so by stopping the run as unmodelled rather than answering something made up:
 *
 *  - _hurd_exec_paths calls auth_makeauth only when the process's saved ids differ from its
 *    effective ones (euid != svuid or egid != svgid, read from _hurd_id after
 *    _hurd_check_ids). Every simulated process runs as one user with no id vectors
 *    (forkimpl/sigrt.c's _hurd_id and _hurd_check_ids), so the branch is never taken; and the
 *    simulated auth server (srv_minor.c) keeps no ids to make a handle from.
 *  - forksim's file system answers file_exec_paths (rule EX2), so MIG_BAD_ID, the one answer
 *    that leads to file_exec_file_name, never comes; the Hurd tree forksim follows (the
 *    mirror's d80222b9) has no fs_experimental.defs to take the routine's id from.
 */
#include "servers.h"
#include "kern.h"

kern_return_t __auth_makeauth(mach_port_t handle, const mach_port_t *other_handles,
                              mach_msg_type_name_t other_handlesPoly,
                              mach_msg_type_number_t other_handlesCnt, const uid_t *euids,
                              mach_msg_type_number_t euidsCnt, const uid_t *auids,
                              mach_msg_type_number_t auidsCnt, const gid_t *egids,
                              mach_msg_type_number_t egidsCnt, const gid_t *agids,
                              mach_msg_type_number_t agidsCnt, mach_port_t *newhandle);
kern_return_t __auth_makeauth(mach_port_t handle, const mach_port_t *other_handles,
                              mach_msg_type_name_t other_handlesPoly,
                              mach_msg_type_number_t other_handlesCnt, const uid_t *euids,
                              mach_msg_type_number_t euidsCnt, const uid_t *auids,
                              mach_msg_type_number_t auidsCnt, const gid_t *egids,
                              mach_msg_type_number_t egidsCnt, const gid_t *agids,
                              mach_msg_type_number_t agidsCnt, mach_port_t *newhandle)
{
    (void)handle, (void)other_handles, (void)other_handlesPoly, (void)other_handlesCnt;
    (void)euids, (void)euidsCnt, (void)auids, (void)auidsCnt, (void)egids, (void)egidsCnt;
    (void)agids, (void)agidsCnt, (void)newhandle;
    kern_unmodelled("auth_makeauth (an exec by a process whose saved ids differ from its "
                    "effective ones: the simulated processes have no ids)");
}

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
                                    mach_msg_type_number_t destroynamesCnt)
{
    (void)exec_file, (void)exec_task, (void)flags, (void)filename, (void)argv, (void)argvCnt;
    (void)envp, (void)envpCnt, (void)fdarray, (void)fdarrayPoly, (void)fdarrayCnt;
    (void)portarray, (void)portarrayPoly, (void)portarrayCnt, (void)intarray, (void)intarrayCnt;
    (void)deallocnames, (void)deallocnamesCnt, (void)destroynames, (void)destroynamesCnt;
    kern_unmodelled("file_exec_file_name (Debian's fallback after file_exec_paths answered "
                    "MIG_BAD_ID, which forksim's file system never answers)");
}
