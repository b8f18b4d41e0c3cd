/* x87 FPU: placeholder until the FPU lands — behaves as a CPU without a
 * coprocessor (escape opcodes do nothing unless CR0.EM/TS ask for #NM). */
#include "cpu/fpu.h"

#include "cpu/operand.h"

void fpu_reset(struct fpu *f)
{
    (void)f;
}

void cpu_exec_fpu(struct cpu *c, const struct insn *in)
{
    (void)in;
    if (c->mi->model != CPU_8086 && (c->cr0 & 0xC) != 0)
        cpu_fault(c, EXC_NM, 0);
}

void cpu_exec_fwait(struct cpu *c)
{
    /* WAIT raises #NM only when both MP and TS are set. */
    if (c->mi->model != CPU_8086 && (c->cr0 & 0xA) == 0xA)
        cpu_fault(c, EXC_NM, 0);
}
