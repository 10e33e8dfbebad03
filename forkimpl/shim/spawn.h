/*
 * spawn.h (forksim shim): <spawn.h> for glibc's posix_spawn code (sysdeps/mach/hurd/spawni.c,
 * posix/spawn*.c, compiled unmodified) and for forksim's code that calls it
 * (forkimpl/spawnrt.c). It stands in for glibc's include/spawn.h, the internal wrapper: the
 * public header is the tree's own posix/spawn.h (taken from the glibc source with the files
 * it declares for, the Makefile's GLIBC_SPAWN_HDRS), and the internal names are declared as
 * include/spawn.h declares them.
 *
 * Why a shim and not the host's <spawn.h>: the layout of posix_spawnattr_t must be the Hurd's.
 * posix/spawn.h lays it out around two sigset_t (__sd, __ss) taken from
 * <bits/types/sigset_t.h>; on Linux that is a 128-byte structure, on the Hurd a scalar
 * (bits/types/__sigset_t.h of the Hurd), which spawni.c assigns to an int of the exec
 * request (ints[INIT_SIGMASK] = attrp->__ss). forkimpl/shim/bits/types/sigset_t.h is the
 * Hurd's, found before the host's, so the tree's posix/spawn.h read through this shim gives
 * the Hurd's posix_spawnattr_t (flags, pgrp, two scalar sets, sched_param, policy, padding).
 */
#ifndef FORKIMPL_SPAWN_H
#define FORKIMPL_SPAWN_H
#include "src/posix/spawn.h"    /* the tree's, through -iquote BUILD/glibc/KEY */

/* include/spawn.h: the names glibc's own code calls. */
__typeof(posix_spawnattr_init) __posix_spawnattr_init;
__typeof(posix_spawnattr_destroy) __posix_spawnattr_destroy;
__typeof(posix_spawnattr_setflags) __posix_spawnattr_setflags;
__typeof(posix_spawnattr_setsigdefault) __posix_spawnattr_setsigdefault;
__typeof(posix_spawnattr_setsigmask) __posix_spawnattr_setsigmask;
__typeof(posix_spawnattr_setpgroup) __posix_spawnattr_setpgroup;
__typeof(posix_spawn_file_actions_init) __posix_spawn_file_actions_init;
__typeof(posix_spawn_file_actions_destroy) __posix_spawn_file_actions_destroy;
__typeof(posix_spawn_file_actions_addopen) __posix_spawn_file_actions_addopen;
__typeof(posix_spawn_file_actions_addclose) __posix_spawn_file_actions_addclose;
__typeof(posix_spawn_file_actions_adddup2) __posix_spawn_file_actions_adddup2;
/* posix/spawn.c's entry, under forksim's name (the Makefile's -D__posix_spawn=...) */
int forksim_glibc_posix_spawn(pid_t *pid, const char *path,
                              const posix_spawn_file_actions_t *file_actions,
                              const posix_spawnattr_t *attrp, char *const argv[],
                              char *const envp[]);
#endif
