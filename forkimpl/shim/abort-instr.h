/* abort-instr.h (forksim shim): stands in for sysdeps/i386/abort-instr.h, whose
 * ABORT_INSTRUCTION is "hlt". In user mode hlt is a general protection fault, which GNU Mach
 * reports as the exception EXC_BAD_INSTRUCTION, code EXC_I386_GPFLT (i386/i386/trap.c,
 * user_trap): fi_abort_instruction (forkimpl/sigrt.c) makes that fault happen to the calling
 * simulated thread. */
#ifndef FORKSIM_SHIM_ABORT_INSTR_H
#define FORKSIM_SHIM_ABORT_INSTR_H
void fi_abort_instruction(void);
#define ABORT_INSTRUCTION fi_abort_instruction()
#endif
