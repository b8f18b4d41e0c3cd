/* Debug facilities (SDM vol. 3 ch. 17): DR0-DR3 instruction and data
 * breakpoints with DR6 status, DR7 enables, the resume flag, single-step
 * traps (TF) and the BT task-switch trap.  Everything here runs only in the
 * careful lane of the run loop: enabling a breakpoint or TF keeps the CPU
 * there, and data breakpoints also keep every access on the slow path
 * (cpu_debug_changed empties the TLBs and tlb_fill grants nothing while
 * data breakpoints are armed), where cpu_debug_data sees them. */
#include "cpu/interp.h"

#define DR6_BS 0x4000u

static unsigned bp_len(uint32_t dr7, int i)
{
    static const unsigned len[4] = { 1, 2, 8, 4 }; /* 10b is undefined before later chips */
    return len[(dr7 >> (18 + 4 * i)) & 3];
}

static unsigned bp_rw(uint32_t dr7, int i)
{
    return (dr7 >> (16 + 4 * i)) & 3;
}

static bool bp_enabled(uint32_t dr7, int i)
{
    return (dr7 >> (2 * i)) & 3;
}

void cpu_debug_changed(struct cpu *c)
{
    uint32_t dr7 = c->dr[7];
    /* A debugger's breakpoints keep the careful lane too, and its
     * watchpoints the slow path (cpu/debugger.c). */
    c->dbg_active = c->nbrk != 0;
    c->dbg_data = c->nwp != 0;
    for (int i = 0; i < 4; i++) {
        if (!bp_enabled(dr7, i))
            continue;
        c->dbg_active = true;
        if (bp_rw(dr7, i) == 1 || bp_rw(dr7, i) == 3)
            c->dbg_data = true;
        /* RW=10b (I/O) is defined only with CR4.DE; checked at each I/O. */
    }
    cpu_tlb_flush(c);
    cpu_events_raise(c);
}

static NORETURN void debug_fault(struct cpu *c, uint32_t dr6_bits)
{
    c->dr[6] = (c->dr[6] & ~0x400Fu) | dr6_bits;
    cpu_fault(c, EXC_DB, 0);
}

bool cpu_debug_before(struct cpu *c)
{
    /* The debugger's breakpoints first: RF is the guest's business. */
    if (c->nbrk && cpu_break_hit(c))
        return true;
    if (c->eflags & F_RF)
        return false;
    uint32_t dr7 = c->dr[7];
    uint32_t lin = c->seg[S_CS].base + c->eip;
    uint32_t hits = 0;
    for (int i = 0; i < 4; i++)
        if (bp_enabled(dr7, i) && bp_rw(dr7, i) == 0 && c->dr[i] == lin)
            hits |= 1u << i;
    if (hits)
        debug_fault(c, hits); /* a fault: reported before the instruction runs */
    return false;
}

void cpu_debug_data(struct cpu *c, uint32_t lin, unsigned size, bool write)
{
    if (c->nwp)
        cpu_watch_access(c, lin, size, write);
    uint32_t dr7 = c->dr[7];
    for (int i = 0; i < 4; i++) {
        unsigned rw = bp_rw(dr7, i);
        if (!bp_enabled(dr7, i) || rw == 0 || rw == 2 || (rw == 1 && !write))
            continue;
        unsigned len = bp_len(dr7, i);
        uint32_t start = c->dr[i] & ~(len - 1);
        if (lin <= start + len - 1 && start <= lin + size - 1)
            c->db_hits |= 1u << i;
    }
}

void cpu_debug_after(struct cpu *c, bool tf, bool rf)
{
    /* RF suppresses breakpoints for the one instruction that starts with
     * it (the one an IRET resumed); an IRET that sets it keeps it. */
    if (rf)
        c->eflags &= ~F_RF;
    /* An instruction that delivered an interrupt (INT n, a fault) cleared
     * TF for the handler; its single-step trap is not taken. */
    bool step = tf && !c->int_taken;
    if (!step && !c->db_hits)
        return;
    c->dr[6] = (c->dr[6] & ~0x400Fu) | c->db_hits | (step ? DR6_BS : 0);
    c->db_hits = 0;
    /* A trap: the saved EIP is the next instruction. */
    c->exc_vector = EXC_DB;
    c->exc_error = 0;
    c->exc_has_error = false;
    c->next_eip = c->eip;
    if (!cpu_deliver_exception(c)) {
        c->exc_vector = EXC_DF;
        cpu_fault(c, EXC_DF, 0);
    }
}

void cpu_debug_io(struct cpu *c, uint16_t port, unsigned size)
{
    uint32_t dr7 = c->dr[7];
    for (int i = 0; i < 4; i++) {
        if (!bp_enabled(dr7, i) || bp_rw(dr7, i) != 2)
            continue;
        unsigned len = bp_len(dr7, i);
        uint32_t start = c->dr[i] & 0xFFFF & ~(len - 1);
        if (port <= start + len - 1 && start <= (uint32_t)port + size - 1)
            c->db_hits |= 1u << i;
    }
}
