/* Private to cpu/: the x87 floating-point unit's state and entry point.
 * The FPU executes the D8-DF escape opcodes (and WAIT/FWAIT) for the
 * models that have one.  Its arithmetic is software floating point in
 * portable C (no host long double), so results are the same on every host. */
#ifndef POPEK_CPU_FPU_H
#define POPEK_CPU_FPU_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;
struct insn;

/* The x87 register file and environment (SDM vol. 1 ch. 8). */
struct fpu {
    bool present;    /* the model has an FPU (486 and later; optional before) */
};

/* Resets the FPU as FNINIT does (and as the CPU's reset does). */
void fpu_reset(struct fpu *f);
/* Executes one D8-DF instruction.  Raises #NM/#MF/#UD through cpu_fault. */
void cpu_exec_fpu(struct cpu *c, const struct insn *in);
/* WAIT/FWAIT: checks CR0.MP/TS and delivers a pending unmasked exception. */
void cpu_exec_fwait(struct cpu *c);

#endif
