/* bits/types/siginfo_t.h (forksim shim): the little of siginfo_t the Hurd code under test
 * names (an SA_SIGINFO handler gets one; hurd/hurdsig.c fills it from the signal's detail),
 * in place of Linux's, which the host's sys/wait.h would bring in. */
#ifndef __siginfo_t_defined
#define __siginfo_t_defined 1
#include <sys/types.h>
#include <bits/types/__sigval_t.h>
typedef struct {
    int si_signo, si_errno, si_code;
    pid_t si_pid;
    uid_t si_uid;
    void *si_addr;
    int si_status;
    long si_band;
    __sigval_t si_value;
} siginfo_t;
#endif
