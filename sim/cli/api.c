/*
 * api.c: forksim's public C API (forksim.h), over the kernel binding (sim/kern/kern.h), the
 * simulated servers (sim/hurd/servers.h) and the code under test (forkimpl/).
 */
#include "forksim.h"
#include "runner.h"

#include "kern.h"
#include "servers.h"
#include "forkimpl.h"
#include "sites.h"

#include <stdlib.h>
#include <string.h>

/* The public header repeats the runtime's values without including its headers: they must
 * stay the same numbers (results and policies are passed through as they are). */
_Static_assert(FORKSIM_OK == (int)SIM_OK && FORKSIM_DEADLOCK == (int)SIM_DEADLOCK &&
                   FORKSIM_LIVELOCK == (int)SIM_STEP_BOUND && FORKSIM_DIVERGED == (int)SIM_DIVERGED,
               "forksim_result follows sim_result");
_Static_assert(FORKSIM_UNMODELLED == (int)SIM_STOPPED, "forksim_result follows sim_result");
_Static_assert(FORKSIM_RUN_UNTIL_BLOCK == (int)SIM_RUN_UNTIL_BLOCK &&
                   FORKSIM_ROUND_ROBIN == (int)SIM_ROUND_ROBIN && FORKSIM_RANDOM == (int)SIM_RANDOM,
               "forksim_policy follows sim_policy_kind");
_Static_assert(FORKSIM_TYPE_SEND == MACH_PORT_TYPE_SEND && FORKSIM_TYPE_RECEIVE == MACH_PORT_TYPE_RECEIVE &&
                   FORKSIM_TYPE_SEND_ONCE == MACH_PORT_TYPE_SEND_ONCE &&
                   FORKSIM_TYPE_PORT_SET == MACH_PORT_TYPE_PORT_SET &&
                   FORKSIM_TYPE_DEAD_NAME == MACH_PORT_TYPE_DEAD_NAME,
               "FORKSIM_TYPE_* are GNU Mach's MACH_PORT_TYPE_*");
_Static_assert(sizeof(mach_port_name_t) == sizeof(uint32_t) && sizeof(mach_port_type_t) == sizeof(uint32_t) &&
                   sizeof(mach_port_urefs_t) == sizeof(uint32_t) && sizeof(kern_return_t) == sizeof(int),
               "the public header's widths are GNU Mach's");
_Static_assert(FORKSIM_MAX_FAULTS == KERN_MAX_FAULTS, "one fault plan, the kernel's size");

static kern_fault_kind fault_kind(enum forksim_fault_kind k)
{
    switch (k) {
    case FORKSIM_FAULT_SEND_FAILS: return KF_SEND_FAILS;
    case FORKSIM_FAULT_ROUTINE_FAILS: return KF_ROUTINE_FAILS;
    case FORKSIM_FAULT_REPLY_LOST: return KF_REPLY_LOST;
    case FORKSIM_FAULT_PORT_DEATH: return KF_PORT_DEATH;
    case FORKSIM_FAULT_CALL: return KF_CALL;
    case FORKSIM_FAULT_NONE: break;
    }
    return KF_NONE;
}

/* Why the last forksim_open failed (the boot's report: a replay that diverged in it, say),
 * kept past the runtime's close for forksim_report. */
static char open_error[1024];
SIM_WORLD_STATE static bool is_open;  /* restored with a world (sim/rt/snapshot.c) */
/* The report forksim_report hands out (host memory): the runtime's, opened by the run's
 * aborts; freed at the next report and at close. */
static char *api_report;

/* runner.h: the next open's custom policy and event hook (the explorer's), then forgotten. */
static struct {
    const sim_policy *custom;
    bool (*event_fire)(const char *, void *);
    void *event_arg;
} next_sched;

void forksim_set_scheduler(const sim_policy *custom, bool (*event_fire)(const char *, void *),
                           void *event_arg)
{
    next_sched.custom = custom;
    next_sched.event_fire = event_fire;
    next_sched.event_arg = event_arg;
}

/* runner.h: whether the next open boots the exec server too (a scenario with an exec). */
static bool next_exec;

void forksim_set_exec(bool with_exec)
{
    next_exec = with_exec;
}

/* The boot, restored (issue 11, item 2). A world opened with the same options boots the same
 * servers through the same picks every time: the first such open boots and keeps a snapshot of
 * the world it booted (sim_snapshot_take_idle: the runtime's state, the world heap, the world
 * state section, the servers' stacks, the decisions made); the next ones restore it in place of
 * the boot. The result is the same world, byte for byte where the world lives, so the same
 * names, counters, virtual clock, step count and decisions afterwards. Only where nothing
 * watches the boot: no trace (its lines would be missing), no sites, no replay, no fault plan,
 * no custom policy or event hook, no RPC observer; else it boots. The key is every option the
 * boot reads; the glibc build is this executable's, fixed for the process. Kept for the
 * process's life (one booted world, about 100 KiB); none under ASan (no snapshots there). */
struct boot_key {
    enum forksim_fork fork;
    enum forksim_policy policy;
    uint64_t seed, max_steps;
    bool ipc_compat, x86_64_layout, with_exec, copy_names;
};
static struct {
    bool off;                   /* forksim_set_boot_restore(false) */
    bool valid;
    struct boot_key key;
    sim_snapshot *snap;
    unsigned long restored;
} boot_kept;

unsigned long forksim_boots_restored(void) { return boot_kept.restored; }

void forksim_set_boot_restore(bool on)
{
    boot_kept.off = !on;
}

static bool boot_key_same(const struct boot_key *a, const struct boot_key *b)
{
    return a->fork == b->fork && a->policy == b->policy && a->seed == b->seed &&
           a->max_steps == b->max_steps && a->ipc_compat == b->ipc_compat &&
           a->x86_64_layout == b->x86_64_layout && a->with_exec == b->with_exec &&
           a->copy_names == b->copy_names;
}

int forksim_open(const forksim_options *o)
{
    open_error[0] = '\0';
    forksim_options defaults = FORKSIM_DEFAULTS;
    if (o == NULL)
        o = &defaults;
    bool with_exec = next_exec;
    next_exec = false;
    struct boot_key key = {.fork = o->fork, .policy = o->policy, .seed = o->seed,
                           .max_steps = o->max_steps, .ipc_compat = o->ipc_compat,
                           .x86_64_layout = o->x86_64_layout, .with_exec = with_exec,
                           .copy_names = o->copy_names || o->fork == FORKSIM_FORK_OURS};
    bool keepable = !boot_kept.off && sim_snapshots_supported() && o->trace == NULL && !o->sites &&
                    o->replay == NULL && o->nfaults == 0 && next_sched.custom == NULL &&
                    next_sched.event_fire == NULL && !kern_rpc_observed();
    if (keepable && boot_kept.valid && boot_key_same(&key, &boot_kept.key)) {
        memset(&next_sched, 0, sizeof next_sched);
        kern_snapshot_restore(boot_kept.snap);
        boot_kept.restored++;
        /* the host-side hooks kern_open's world does not hold (same values as the boot's) */
        fi_install();
        fi_sites_install();
        is_open = true;
        return 0;
    }
    kern_config cfg;
    memset(&cfg, 0, sizeof cfg);
    cfg.sim.policy = (enum sim_policy_kind)o->policy;
    cfg.sim.seed = o->seed;
    cfg.sim.max_steps = o->max_steps;
    cfg.sim.replay = o->replay;
    if (next_sched.custom != NULL) {
        cfg.sim.policy = SIM_CUSTOM;
        cfg.sim.custom = next_sched.custom;
    }
    cfg.sim.event_fire = next_sched.event_fire;
    cfg.sim.event_arg = next_sched.event_arg;
    memset(&next_sched, 0, sizeof next_sched);
    cfg.trace = o->trace;
    cfg.sites = o->sites;
    cfg.world.ipc_compat = o->ipc_compat;
    cfg.world.copy_names = o->copy_names || o->fork == FORKSIM_FORK_OURS;
    cfg.world.msg_layout = o->x86_64_layout ? MK_LAYOUT_X86_64 : MK_LAYOUT_DEBIAN;
    cfg.nfaults = o->nfaults < KERN_MAX_FAULTS ? o->nfaults : KERN_MAX_FAULTS;
    for (unsigned i = 0; i < cfg.nfaults; i++) {
        const forksim_fault *f = &o->faults[i];
        cfg.faults[i] = (kern_fault){.kind = fault_kind(f->kind), .routine = f->routine,
                                     .nth = f->nth, .error = f->error, .task_id = f->process,
                                     .name = f->name, .call = f->call, .call_arg = f->call_arg};
    }
    if (kern_open(&cfg) != 0) {
        snprintf(open_error, sizeof open_error, "the runtime could not open (the arena, or the trace file)");
        return -1;
    }
    fi_install();
    fi_sites_install();
    fi_aborts_reset();
    fi_set_fork_variant(o->fork == FORKSIM_FORK_GLIBC_NDEBUG ? FI_FORK_GLIBC_NDEBUG
                        : o->fork == FORKSIM_FORK_OURS      ? FI_FORK_OURS
                                                            : FI_FORK_GLIBC);
    if ((with_exec ? hurd_boot_ex(HURD_BOOT_EXEC) : hurd_boot()) != 0) {
        snprintf(open_error, sizeof open_error, "the boot did not finish: %s", sim_report());
        kern_close();
        return -1;
    }
    if (with_exec && fi_programs_install() != 0) {
        snprintf(open_error, sizeof open_error, "the built-in programs could not be registered");
        kern_close();
        return -1;
    }
    /* Every boot ends with no image in place, kept or not: a snapshot saves the image in place
     * into its task's buffer (a buffer of the world heap, which that save may grow), so the
     * world a snapshot is taken of is the world after this save; a boot that keeps none must
     * be that world too, or a restored boot has more world heap (and other buffers) than a
     * real one. */
    sim_image_save_in_place();
    is_open = true;
    if (keepable) {
        sim_snapshot_free(boot_kept.snap);
        boot_kept.snap = sim_snapshot_take_idle();
        boot_kept.key = key;
        boot_kept.valid = true;
    }
    return 0;
}

size_t forksim_close(void)
{
    is_open = false;
    free(api_report);
    api_report = NULL;
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

const char *forksim_run_report(void)
{
    return is_open ? sim_report() : open_error;
}

void forksim_abort_describe(const fi_abort_record *a, char *buf, size_t len)
{
    const char *err = "";
    if (a->err != 0)
        err = mk_return_name(a->err) ? mk_return_name(a->err)
              : hurd_errno_name(a->err) ? hurd_errno_name(a->err) : "?";
    snprintf(buf, len, "abort: task %d at %s: %s%s%s", a->task, a->site, a->what,
             a->err ? ": " : "", err);
}

/* An assertion that fails in a simulated process takes glibc's own abort, which never returns
 * from inside fork (traces/README.md, "Aborts take glibc's path"): the run then ends in a
 * deadlock whose report, alone, names only where each thread waits. The abort is its cause, so
 * the report opens with one line per abort, as the scenario summary prints them. */
const char *forksim_report(void)
{
    const char *rep = forksim_run_report();
    const fi_abort_record *ab;
    unsigned n = is_open ? fi_aborts(&ab) : 0;
    if (n == 0 || rep[0] == '\0')
        return rep;
    size_t len = strlen(rep) + 1;
    char line[512];
    for (unsigned i = 0; i < n; i++) {
        forksim_abort_describe(&ab[i], line, sizeof line);
        len += strlen(line) + 1;
    }
    free(api_report);
    api_report = malloc(len);
    if (api_report == NULL)
        return rep;
    size_t at = 0;
    for (unsigned i = 0; i < n; i++) {
        forksim_abort_describe(&ab[i], line, sizeof line);
        at += (size_t)snprintf(api_report + at, len - at, "%s\n", line);
    }
    snprintf(api_report + at, len - at, "%s", rep);
    return api_report;
}

forksim_decisions *forksim_decisions_read(const char *path, char *err, size_t len)
{
    return sim_decisions_read(path, err, len);
}

void forksim_decisions_free(forksim_decisions *d)
{
    sim_decisions_free(d);
}

pid_t forksim_fork(void)
{
    return fi_fork();
}

pid_t forksim_getpid(void)
{
    return _hurd_pid;
}

int forksim_wait(pid_t pid, int *status)
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

struct forksim_world *forksim_world(void)
{
    return (struct forksim_world *)kern_world();
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
