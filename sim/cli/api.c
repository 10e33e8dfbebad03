/*
 * api.c: forksim's public C API (forksim.h), over the kernel binding (sim/kern/kern.h), the
 * simulated servers (sim/hurd/servers.h) and the code under test (forkimpl/).
 */
#include "forksim.h"

#include "servers.h"
#include "forkimpl.h"
#include "sites.h"

#include <stdlib.h>
#include <string.h>

/* Why the last forksim_open failed (the boot's report: a replay that diverged in it, say),
 * kept past the runtime's close for forksim_report. */
static char open_error[1024];
static bool is_open;

int forksim_open(const forksim_options *o)
{
    open_error[0] = '\0';
    forksim_options defaults = FORKSIM_DEFAULTS;
    if (o == NULL)
        o = &defaults;
    kern_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.sim.policy = o->policy;
    cfg.sim.seed = o->seed;
    cfg.sim.max_steps = o->max_steps;
    cfg.sim.replay = o->replay;
    cfg.trace = o->trace;
    cfg.sites = o->sites;
    cfg.world.ipc_compat = o->ipc_compat;
    cfg.nfaults = o->nfaults;
    memcpy(cfg.faults, o->faults, sizeof cfg.faults);
    if (kern_open(&cfg) != 0) {
        snprintf(open_error, sizeof open_error, "the runtime could not open (the arena, or the trace file)");
        return -1;
    }
    fi_install();
    fi_sites_install();
    fi_aborts_reset();
    fi_set_fork_variant(o->fork == FORKSIM_FORK_GLIBC_NDEBUG ? FI_FORK_GLIBC_NDEBUG : FI_FORK_GLIBC);
    if (hurd_boot() != 0) {
        snprintf(open_error, sizeof open_error, "the boot did not finish: %s", sim_report());
        kern_close();
        return -1;
    }
    is_open = true;
    return 0;
}

size_t forksim_close(void)
{
    is_open = false;
    return kern_close();
}

forksim_process *forksim_spawn(int (*main)(void *), void *arg)
{
    return fi_spawn(main, arg, NULL);
}

enum forksim_result forksim_run(void)
{
    return (enum forksim_result)sim_run();
}

const char *forksim_report(void)
{
    return is_open ? sim_report() : open_error;
}

pid_t forksim_fork(void)
{
    return fi_fork();
}

pid_t forksim_getpid(void)
{
    return _hurd_pid;
}

kern_return_t forksim_wait(pid_t pid, int *status)
{
    int sigcode = 0;
    pid_t got = 0;
    rusage_t ru;
    return __proc_wait(_hurd_ports[INIT_PORT_PROC].port, pid, 0, status, &sigcode, &ru, &got);
}

forksim_process *forksim_self(void)
{
    return sim_task_self();
}

bool forksim_name_info(forksim_process *p, mach_port_name_t name, forksim_name *out)
{
    name_info_t info;
    if (!space_peek(kern_ktask(p), name, &info))
        return false;
    out->name = name;
    out->type = info.type;
    out->urefs = info.urefs;
    out->port = info.port_id;
    out->dead = info.dead;
    return true;
}

size_t forksim_names(forksim_process *p, forksim_name *out, size_t max)
{
    ktask_t *task = kern_ktask(p);
    size_t total = ktask_names(task, NULL, 0);
    mach_port_name_t *names = malloc(total * sizeof *names + 1);
    ktask_names(task, names, total);
    for (size_t i = 0; i < total && i < max; i++)
        forksim_name_info(p, names[i], &out[i]);
    free(names);
    return total;
}

int forksim_process_id(forksim_process *p)
{
    return sim_task_id(p);
}

world_t *forksim_world(void)
{
    return kern_world();
}

size_t forksim_aborts(forksim_abort *out, size_t max)
{
    const fi_abort_record *r;
    unsigned n = fi_aborts(&r);
    for (unsigned i = 0; i < n && i < max; i++) {
        out[i].process = r[i].task;
        snprintf(out[i].site, sizeof out[i].site, "%s", r[i].site);
        snprintf(out[i].what, sizeof out[i].what, "%s", r[i].what);
        out[i].error = r[i].err;
    }
    return n;
}
