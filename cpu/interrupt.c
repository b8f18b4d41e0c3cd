/* Exceptions and interrupts (SDM vol. 3 ch. 6; real-address-mode delivery:
 * vol. 3 §20.1.4).  A fault unwinds the instruction with longjmp to the
 * run loop, which calls cpu_deliver_exception(); nothing an instruction did
 * before faulting is visible, because handlers write state only after the
 * last access that can fault. */
#include "cpu/interp.h"

void cpu_fault(struct cpu *c, int vector, uint32_t error_code)
{
    c->exc_vector = vector;
    c->exc_error = error_code;
    c->exc_has_error = vector == EXC_DF || (vector >= EXC_TS && vector <= EXC_PF) || vector == EXC_AC;
    longjmp(c->env, 1);
}

void cpu_fault_noerr(struct cpu *c, int vector)
{
    cpu_fault(c, vector, 0);
}

void cpu_interrupt_real(struct cpu *c, uint8_t vector, uint32_t return_eip)
{
    uint32_t entry = (uint32_t)vector * 4;
    if (entry + 3 > c->idtr.limit)
        cpu_fault(c, EXC_GP, entry | 2);
    uint32_t vec = cpu_read_lin(c, c->idtr.base + entry, 4);
    /* Write the three words first and move SP last, so a stack fault
     * leaves SP as it was. */
    uint16_t sp = (uint16_t)c->gpr[R_ESP];
    mem_write(c, S_SS, (uint16_t)(sp - 2), (uint16_t)get_eflags(c), 2);
    mem_write(c, S_SS, (uint16_t)(sp - 4), c->seg[S_CS].sel, 2);
    mem_write(c, S_SS, (uint16_t)(sp - 6), (uint16_t)return_eip, 2);
    set_r16(c, R_ESP, (uint16_t)(sp - 6));
    c->eflags &= ~(F_IF | F_TF | F_AC | F_RF);
    cpu_load_seg_real(c, S_CS, (uint16_t)(vec >> 16));
    c->eip = vec & 0xFFFF;
    c->next_eip = c->eip;
}

bool cpu_deliver_exception(struct cpu *c)
{
    int vector = c->exc_vector;
    uint32_t ret = c->eip;
    if (vector == EXC_DE && c->mi->div_fault_next)
        ret = c->next_eip;
    if (c->exc_nest > 0) {
        /* A fault while delivering another: double fault, then shutdown. */
        if (c->exc_nest > 1 || c->mi->model == CPU_8086)
            return false;
        vector = EXC_DF;
    }
    c->exc_nest++;
    cpu_interrupt_real(c, (uint8_t)vector, ret);
    c->exc_nest = 0;
    c->exc_vector = -1;
    return true;
}
