/* sim_int.h: internals shared by the files of sim/ (not for users of the runtime).
 *
 * Everything declared here is host memory, outside every image: the task table, thread
 * control blocks, the stack-slot tables, saved images. Image memory (the arena and the
 * SIM_GLOBAL section) names none of it.
 */
#ifndef FORKSIM_SIM_INT_H
#define FORKSIM_SIM_INT_H

#include "sim.h"

#include <stdlib.h>

/* --- Sanitizer and valgrind hooks ------------------------------------------------------- */

#if defined(__SANITIZE_ADDRESS__)
#define SIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIM_ASAN 1
#endif
#endif
#ifndef SIM_ASAN
#define SIM_ASAN 0
#endif

#if SIM_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#define SIM_NO_ASAN __attribute__((no_sanitize_address))
#else
#define SIM_NO_ASAN
#endif

#if defined(__has_include)
#if __has_include(<valgrind/memcheck.h>)
#include <valgrind/memcheck.h>
#define SIM_VALGRIND 1
#endif
#endif
#ifndef SIM_VALGRIND
#define SIM_VALGRIND 0
#endif

/* Internal invariant: a broken one stops the run with the message (never a caller's
 * misuse through an RPC; those return error codes in the model). */
#define sim_assert(c) ((c) ? (void)0 : sim_fatal("%s:%d: invariant failed: %s", __FILE__, __LINE__, #c))
/* A caller's misuse of the sim API: fatal too, but says whose fault it is. */
#define sim_api_check(c, msg) ((c) ? (void)0 : sim_fatal("sim API misuse: %s (%s)", msg, #c))
_Noreturn void sim_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* --- Counted host allocations (the leak audit counts these) ----------------------------- */

void *sim_xalloc(size_t n);               /* zeroed; aborts when out of memory */
void *sim_xrealloc(void *p, size_t n);    /* new bytes not zeroed */
void sim_xfree(void *p);

/* --- Images ---------------------------------------------------------------------------- */

#define SIM_ARENA_BASE ((uintptr_t)0x200000000000ULL)   /* outside ASan's shadow */

/* One stack slot of an image: a fixed range of the arena's top part. */
struct sim_stack {
    uintptr_t lo, hi;       /* slot bounds; [lo, lo + page) is a guard page */
    uintptr_t live_lo;      /* lowest live byte: last saved SP of a thread on it; hi if none */
    int owner;              /* id of the thread freeing it at exit; 0 for none */
    bool in_use;
};

/* A task's image when it is not in place: its used ranges, packed, in this order:
 * globals section, heap [base, heap_top), each in-use stack [live_lo, hi). */
struct sim_image {
    bool saved;             /* true: buf holds the image; false: it is in place */
    uintptr_t heap_top;     /* valid when saved (in place, the heap header has it) */
    unsigned char *buf;
    size_t len, cap;
    unsigned char *shadow;  /* ASan shadow of the heap and stack ranges, same order */
    size_t slen, scap;
    struct sim_stack *stacks;   /* nstacks entries (grown to the slots used, at most rt.nslots) */
    size_t nstacks;
    size_t slot_hi;         /* 1 + the highest slot in use: loops stop there */
};

struct sim_task {
    int id;
    void *ktask;
    bool dying;             /* destroyed while its thread ran; freed by the scheduler */
    bool host;              /* no image (sim_task_create_host): img is all zero */
    struct sim_image img;
    sim_task *next;         /* task list, ascending id */
};

enum thread_state { TH_IDLE, TH_READY, TH_BLOCKED, TH_DONE };
enum start_kind { START_NONE, START_CALL, START_LONGJMP };
enum wait_kind { WAIT_NONE, WAIT_LOCK, WAIT_BLOCK };

struct sim_thread {
    int id;                 /* global, ascending, never reused within a runtime */
    sim_task *task;
    enum thread_state state;
    int suspend;
    bool daemon;
    sim_thread *next;       /* thread list, ascending id: beside the fields the scheduler's walk
                             * reads at every step (one cache line a thread) */

    /* start state, used when ctx_sp == 0 */
    enum start_kind start;
    void (*fn)(void *);
    void *arg;
    uintptr_t start_sp;     /* START_CALL: 0 means the owned slot */
    void *env;              /* START_LONGJMP: jmp_buf in the image */
    int env_value;

    uintptr_t ctx_sp;       /* saved context on its stack; 0: not started */
    int slot;               /* owned stack slot, or -1 */
    unsigned char *host_stack;  /* a thread of a host task: its stack region (image.c), or NULL */
    uintptr_t stk_lo, stk_hi;   /* stack bounds told to ASan */
    void *fake_stack;       /* ASan fiber bookkeeping */
    unsigned vg_stack;      /* valgrind's id for a stack outside the slots; 0 if none */

    void *tls;              /* simulated TLS pointer */
    void *kthread;          /* the model's thread (opaque) */
    int err;                /* simulated errno while switched out */
    void (*inject_fn)(void *);  /* an injected call to make on leaving the parking point */
    void *inject_arg;
    int kernel_depth;       /* > 0: parked in the kernel (sim_kernel_enter) */
    uint64_t gen;           /* sim_thread_gen */
    bool in_rpc_trap;       /* sim_thread_in_rpc_trap */

    /* what it waits for, while TH_BLOCKED */
    enum wait_kind wait;
    uintptr_t wait_addr;
    int wait_task;
    char wait_what[96];
    uint64_t deadline;      /* WAIT_BLOCK: the clock time its wait ends by, or SIM_FOREVER */
    bool timed_out;         /* the clock ended its wait; cleared when it runs again */
};

/* The runtime: one per process. */
struct sim_rt {
    bool open;
    sim_config cfg;
    sim_policy policy;
    uint64_t rng;

    uintptr_t arena_lo, arena_hi;   /* the arena */
    uintptr_t heap_limit;           /* heap may grow up to here (the lowest slot) */
    size_t stack_size, nslots, page;
    unsigned char *pristine;        /* the globals section as it was at sim_open */

    sim_task *tasks;
    sim_thread *threads;
    sim_thread **thread_by_id;      /* threads by id, NULL once freed (world heap) */
    size_t thread_by_id_cap;
    int next_task_id, next_thread_id;
    sim_task *in_place;             /* whose image is in the arena (NULL: nobody's) */
    sim_thread *cur;                /* running thread (NULL: the host) */
    uintptr_t sched_sp;             /* the scheduler's saved context */
    void *sched_fake;
    const void *host_stk_lo;        /* host stack bounds, for ASan */
    size_t host_stk_size;

    uint64_t steps;
    uint64_t now;                   /* the virtual clock, in milliseconds (see sched.c) */
    const char *why;                /* the reason of the pending scheduling point */
    sim_decisions made;
    char *report;
    size_t report_len, report_cap;
    bool stop;                      /* sim_stop was called: sim_run ends */
    int run_prev;                   /* sim_run's last pick (0: none), kept across a snapshot */
    bool resuming;                  /* restored from a snapshot: sim_run goes on, not afresh */
    const char *run_why;            /* the reason of the next pick */
    uint64_t at_step;               /* sim_at_step */
    void (*at_step_fn)(void *);
    void *at_step_arg;
    size_t replay_ev;               /* replay: the recorded events acted out so far */
    void (*task_freed)(void *ktask);        /* sim_set_free_hooks */
    void (*thread_freed)(void *kthread);
};
extern struct sim_rt sim_rt;

/* Globals section bounds. */
unsigned char *sim_globals_lo(void);
size_t sim_globals_size(void);

/* snapshot.c */
void wheap_reset(void);
uintptr_t heap_top_in_place(void);

/* image.c */
int image_arena_open(size_t arena_size, size_t stack_size);
int image_arena_resume(size_t arena_size, size_t stack_size);
void image_arena_resumed(void);
void image_host_stack_take(unsigned char *region, size_t stack_size);
void image_arena_close(void);
void image_init_fresh(struct sim_image *img);
void image_init_copy(struct sim_image *dst, sim_task *parent, uintptr_t sp);
void image_free(struct sim_image *img);
void image_put_in_place(sim_task *t);
void image_drop_in_place(void);
void image_save_in_place(void);
int image_stack_alloc(struct sim_image *img, int owner);
void image_stack_release(struct sim_image *img, int slot);
int image_stack_find(const struct sim_image *img, uintptr_t addr);
void image_note_sp(struct sim_image *img, uintptr_t sp);
int image_peek(sim_task *t, const void *addr, void *out, size_t len);
unsigned char *image_host_stack_get(void);
void image_host_stack_put(unsigned char *region);
uintptr_t image_host_stack_top(const unsigned char *region);
void *image_host_stack_tls(unsigned char *region);
bool image_contains(uintptr_t addr, size_t len);

/* heap.c */
size_t heap_header_size(void);
void heap_format(void *at, uintptr_t base, uintptr_t limit);
uintptr_t heap_top(void);
uintptr_t heap_hwm(void);
void heap_set_limit(uintptr_t limit);

/* switch.c */
void sim_ctx_swap(uintptr_t *save_sp, uintptr_t to_sp);
uintptr_t sim_ctx_init(uintptr_t top);
uintptr_t sim_current_sp(void);
void sim_thread_main(void);     /* defined in sched.c; where every new context begins */

/* decisions.c */
void decisions_push(sim_decisions *d, int pick);
void decisions_push_event(sim_decisions *d, uint64_t step, const char *what);

/* sched.c: event log and report */
void sim_event(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void sim_describe_addr(uintptr_t addr, char *buf, size_t len);

#endif
