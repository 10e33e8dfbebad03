/* switch.c: the context switch between the scheduler (host stack) and simulated threads.
 *
 * A context is one saved stack pointer: sim_ctx_swap pushes the callee-saved registers and
 * the FPU control words on the stack it leaves, stores SP, loads the other SP and pops.
 * The saved registers thus live on the thread's own stack, inside its task's image, and
 * are copied with it: that is what lets a forked child's thread continue from a copy.
 * A small switch in assembly instead of _setjmp/_longjmp: it is about 5x cheaper, and
 * ASan does not intercept it (its longjmp interceptor misjudges jumps between stacks).
 * The only real longjmp is the one a forked child's thread makes into glibc's jmp_buf,
 * and it is made on the destination stack (see start_longjmp in sched.c).
 * Built without _FORTIFY_SOURCE (see the Makefile) as are all files switching stacks.
 * Stands in for GNU Mach's switch_context (i386/i386/locore.S), nothing of it copied.
 */
#include "sim_int.h"

#if !defined(__x86_64__)
#error "forksim's context switch is written for x86_64"
#endif

/* void sim_ctx_swap(uintptr_t *save_sp, uintptr_t to_sp)
 * Frame left on the stack, from the saved SP up: mxcsr (4), x87 control word (2, padded),
 * r15, r14, r13, r12, rbx, rbp, return address. The saved SP is 16-byte aligned. */
__asm__(
    ".text\n"
    ".globl sim_ctx_swap\n"
    ".type sim_ctx_swap,@function\n"
    "sim_ctx_swap:\n"
    "  pushq %rbp\n"
    "  pushq %rbx\n"
    "  pushq %r12\n"
    "  pushq %r13\n"
    "  pushq %r14\n"
    "  pushq %r15\n"
    "  subq $8, %rsp\n"
    "  stmxcsr (%rsp)\n"
    "  fnstcw 4(%rsp)\n"
    "  movq %rsp, (%rdi)\n"
    "  movq %rsi, %rsp\n"
    "  ldmxcsr (%rsp)\n"
    "  fldcw 4(%rsp)\n"
    "  addq $8, %rsp\n"
    "  popq %r15\n"
    "  popq %r14\n"
    "  popq %r13\n"
    "  popq %r12\n"
    "  popq %rbx\n"
    "  popq %rbp\n"
    "  ret\n"
    ".size sim_ctx_swap, .-sim_ctx_swap\n"
    /* A new context "returns" here with SP 16-byte aligned; the call makes the ABI's entry
     * alignment. rbp is 0 so that unwinders stop. sim_thread_main never returns. */
    ".globl sim_ctx_entry\n"
    ".type sim_ctx_entry,@function\n"
    "sim_ctx_entry:\n"
    "  xorl %ebp, %ebp\n"
    "  call sim_thread_main\n"
    "  ud2\n"
    ".size sim_ctx_entry, .-sim_ctx_entry\n");

void sim_ctx_entry(void);

struct initial_frame {
    uint32_t mxcsr;
    uint16_t fcw, pad;
    uint64_t r15, r14, r13, r12, rbx, rbp;
    uint64_t ret;
};

// Lays a context on the stack below top (16-byte aligned) whose first swap-in enters
// sim_thread_main. Writes 64 bytes below top; returns the context's SP.
uintptr_t sim_ctx_init(uintptr_t top)
{
    sim_assert(top % 16 == 0);
    struct initial_frame *f = (struct initial_frame *)(top - sizeof *f);
#if SIM_VALGRIND
    /* recycled stack memory, which valgrind may believe dead since an old SP left it */
    (void)VALGRIND_MAKE_MEM_UNDEFINED(f, sizeof *f);
#endif
    _Static_assert(sizeof(struct initial_frame) == 64, "frame layout");
    *f = (struct initial_frame){ .mxcsr = 0x1f80, .fcw = 0x037f, .ret = (uint64_t)(uintptr_t)sim_ctx_entry };
    return (uintptr_t)f;
}

// The caller's SP, or lower: everything at or above it in the caller's stack is live.
__attribute__((noinline)) uintptr_t sim_current_sp(void)
{
    uintptr_t sp;
    __asm__ volatile("movq %%rsp, %0" : "=r"(sp));
    return sp;
}
