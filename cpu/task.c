/* Hardware task switching (SDM vol. 3 ch. 7) for 16-bit (286) and 32-bit
 * TSSs, through JMP, CALL, IRET with NT and task gates in the IDT; and the
 * I/O permission bitmap (vol. 1 ch. 19.5).  The outgoing state is saved and
 * the TSS busy bits updated before anything of the new task is checked:
 * faults on its segments are raised in the new task's context, as #TS. */
#include "cpu/operand.h"

/* Offsets in a 32-bit TSS. */
enum {
    T32_LINK = 0x00, T32_CR3 = 0x1C, T32_EIP = 0x20, T32_EFLAGS = 0x24, T32_EAX = 0x28,
    T32_ES = 0x48, T32_LDT = 0x60, T32_TRAP = 0x64, T32_IOMAP = 0x66,
};
/* Offsets in a 16-bit TSS. */
enum { T16_LINK = 0x00, T16_IP = 0x0E, T16_FLAGS = 0x10, T16_AX = 0x12, T16_ES = 0x22, T16_LDT = 0x2A };

static uint32_t sel_err(uint16_t sel)
{
    return sel & 0xFFFCu;
}

static void set_busy(struct cpu *c, uint16_t sel, bool busy)
{
    uint32_t addr = c->gdtr.base + (sel & ~7u) + 5;
    uint32_t b = cpu_read_sys(c, addr, 1);
    b = busy ? (b | 2) : (b & ~2u);
    cpu_write_sys(c, addr, b, 1);
}

static void save_state(struct cpu *c, uint32_t return_eip, uint32_t eflags)
{
    uint32_t base = c->tr.base;
    if ((c->tr.attr & SA_TYPE) >= 9) {
        cpu_write_sys(c, base + T32_EIP, return_eip, 4);
        cpu_write_sys(c, base + T32_EFLAGS, eflags, 4);
        for (int r = 0; r < 8; r++)
            cpu_write_sys(c, base + T32_EAX + 4 * r, c->gpr[r], 4);
        for (int s = 0; s < S_NSEG; s++)
            cpu_write_sys(c, base + T32_ES + 4 * s, c->seg[s].sel, 2);
    } else {
        cpu_write_sys(c, base + T16_IP, return_eip, 2);
        cpu_write_sys(c, base + T16_FLAGS, eflags, 2);
        for (int r = 0; r < 8; r++)
            cpu_write_sys(c, base + T16_AX + 2 * r, c->gpr[r], 2);
        for (int s = 0; s < 4; s++)
            cpu_write_sys(c, base + T16_ES + 2 * s, c->seg[s].sel, 2);
    }
}

/* Loads a segment register of the new task, raising #TS on a bad one. */
static void load_task_seg(struct cpu *c, int s, uint16_t sel)
{
    if (cpu_v86(c)) {
        c->seg[s] = (struct cpu_seg){ sel, (uint32_t)sel << 4, 0xFFFF, s == S_CS ? 0x00FB : 0x00F3 };
        cpu_update_segr(c, s);
        return;
    }
    struct desc d;
    struct cpu_seg seg;
    if ((sel & ~3u) == 0) {
        if (s == S_CS || s == S_SS)
            cpu_fault(c, EXC_TS, sel_err(sel));
        c->seg[s] = (struct cpu_seg){ sel, 0, 0, 0 };
        cpu_update_segr(c, s);
        return;
    }
    if (!cpu_read_descriptor(c, sel, &d))
        cpu_fault(c, EXC_TS, sel_err(sel));
    cpu_desc_to_seg(&d, sel, &seg);
    unsigned dpl = SA_DPL_OF(seg.attr), rpl = sel & 3;
    if (s == S_CS) {
        if ((seg.attr & (SA_S | SA_CODE)) != (SA_S | SA_CODE))
            cpu_fault(c, EXC_TS, sel_err(sel));
        if ((seg.attr & SA_DC) ? dpl > rpl : dpl != rpl)
            cpu_fault(c, EXC_TS, sel_err(sel));
    } else if (s == S_SS) {
        if ((seg.attr & (SA_S | SA_CODE | SA_RW)) != (SA_S | SA_RW) || dpl != c->cpl || rpl != c->cpl)
            cpu_fault(c, EXC_TS, sel_err(sel));
    } else {
        if (!(seg.attr & SA_S) || (seg.attr & (SA_CODE | SA_RW)) == SA_CODE)
            cpu_fault(c, EXC_TS, sel_err(sel));
        if ((!(seg.attr & SA_CODE) || !(seg.attr & SA_DC)) && (rpl > dpl || c->cpl > dpl))
            cpu_fault(c, EXC_TS, sel_err(sel));
    }
    if (!(seg.attr & SA_P))
        cpu_fault(c, s == S_SS ? EXC_SS : EXC_NP, sel_err(sel));
    cpu_set_accessed(c, &d);
    seg.attr |= SA_ACCESSED;
    c->seg[s] = seg;
    cpu_update_segr(c, s);
}

void cpu_task_switch(struct cpu *c, uint16_t sel, enum task_switch_kind kind, uint32_t return_eip, uint32_t ext)
{
    /* The new TSS descriptor: in the GDT, a TSS, busy exactly for IRET. */
    int bad = kind == TS_IRET ? EXC_TS : EXC_GP;
    if (sel & 4)
        cpu_fault(c, bad, sel_err(sel) | ext);
    struct desc d;
    if (!cpu_read_descriptor(c, sel, &d))
        cpu_fault(c, bad, sel_err(sel) | ext);
    struct cpu_seg tss;
    cpu_desc_to_seg(&d, sel, &tss);
    unsigned type = tss.attr & (SA_S | SA_TYPE);
    bool busy = type == 3 || type == 11;
    if ((type != 1 && type != 3 && type != 9 && type != 11) || (c->mi->model < CPU_386 && type >= 9) ||
        busy != (kind == TS_IRET))
        cpu_fault(c, bad, sel_err(sel) | ext);
    if (!(tss.attr & SA_P))
        cpu_fault(c, EXC_NP, sel_err(sel) | ext);
    bool new32 = type >= 9;
    if (tss.limit < (new32 ? 0x67u : 0x2Bu))
        cpu_fault(c, EXC_TS, sel_err(sel) | ext);

    /* Read everything of the new task before changing anything. */
    uint32_t nb = tss.base;
    uint32_t regs[8], eip, eflags, cr3 = c->cr3;
    uint16_t sels[S_NSEG] = { 0 }, ldt;
    bool trap = false;
    if (new32) {
        cr3 = cpu_read_sys(c, nb + T32_CR3, 4);
        eip = cpu_read_sys(c, nb + T32_EIP, 4);
        eflags = cpu_read_sys(c, nb + T32_EFLAGS, 4);
        for (int r = 0; r < 8; r++)
            regs[r] = cpu_read_sys(c, nb + T32_EAX + 4 * r, 4);
        for (int s = 0; s < S_NSEG; s++)
            sels[s] = (uint16_t)cpu_read_sys(c, nb + T32_ES + 4 * s, 2);
        ldt = (uint16_t)cpu_read_sys(c, nb + T32_LDT, 2);
        trap = cpu_read_sys(c, nb + T32_TRAP, 2) & 1;
    } else {
        eip = cpu_read_sys(c, nb + T16_IP, 2);
        eflags = cpu_read_sys(c, nb + T16_FLAGS, 2);
        for (int r = 0; r < 8; r++)
            regs[r] = 0xFFFF0000u | cpu_read_sys(c, nb + T16_AX + 2 * r, 2);
        for (int s = 0; s < 4; s++)
            sels[s] = (uint16_t)cpu_read_sys(c, nb + T16_ES + 2 * s, 2);
        ldt = (uint16_t)cpu_read_sys(c, nb + T16_LDT, 2);
    }

    /* Save the outgoing task; release it unless the new one nests in it. */
    uint32_t old_flags = get_eflags(c);
    if (kind == TS_IRET)
        old_flags &= ~F_NT;
    save_state(c, return_eip, old_flags);
    if (kind == TS_JMP || kind == TS_IRET)
        set_busy(c, c->tr.sel, false);
    if (kind == TS_CALL || kind == TS_INT) {
        cpu_write_sys(c, nb + T32_LINK, c->tr.sel, 2);
        eflags |= F_NT;
    }
    if (kind != TS_IRET)
        set_busy(c, sel, true);

    /* Commit: the switch has happened; faults from here on belong to the
     * new task. */
    tss.attr |= 2;
    c->tr = tss;
    c->cr0 |= CR0_TS;
    if (new32 && (c->cr0 & CR0_PG) && cr3 != c->cr3) {
        c->cr3 = cr3;
        if (c->cr4 & CR4_PAE)
            (void)cpu_load_pdptes(c);
        cpu_tlb_flush_nonglobal(c);
    } else if (new32) {
        c->cr3 = cr3;
    }
    /* A 16-bit TSS has no upper halves: a 386 loads them as FFFFh (regs[]
     * has them so), as Bochs models it, rather than keeping the old ones. */
    for (int r = 0; r < 8; r++)
        c->gpr[r] = regs[r];
    c->eflags = 0;
    cpu_write_eflags(c, eflags, new32 ? 0xFFFFFFFFu : 0xFFFFu);
    c->eip = eip;
    c->next_eip = eip;
    /* Provisional selectors with no access, so that faults below leave
     * a consistent (if unusable) state. */
    for (int s = 0; s < S_NSEG; s++)
        c->seg[s] = (struct cpu_seg){ sels[s], 0, 0, 0 };
    c->ldtr = (struct cpu_seg){ ldt, 0, 0, 0 };
    c->cpl = cpu_v86(c) ? 3 : (sels[S_CS] & 3);
    cpu_mode_changed(c);

    if ((ldt & ~3u) != 0) {
        struct desc ld;
        struct cpu_seg lseg;
        if ((ldt & 4) || !cpu_read_descriptor(c, ldt, &ld))
            cpu_fault(c, EXC_TS, sel_err(ldt));
        cpu_desc_to_seg(&ld, ldt, &lseg);
        if ((lseg.attr & (SA_S | SA_TYPE)) != 2 || !(lseg.attr & SA_P))
            cpu_fault(c, EXC_TS, sel_err(ldt));
        c->ldtr = lseg;
    }
    load_task_seg(c, S_CS, sels[S_CS]);
    c->seg[S_CS].sel = sels[S_CS];
    cpu_set_cs(c, &c->seg[S_CS], c->cpl);
    load_task_seg(c, S_SS, sels[S_SS]);
    load_task_seg(c, S_ES, sels[S_ES]);
    load_task_seg(c, S_DS, sels[S_DS]);
    load_task_seg(c, S_FS, sels[S_FS]);
    load_task_seg(c, S_GS, sels[S_GS]);
    if (eip > c->seg[S_CS].limit)
        cpu_fault(c, EXC_GP, 0);
    if (trap) {
        c->dr[6] |= 0x8000u; /* BT: the debug trap flag of the new TSS */
        cpu_fault(c, EXC_DB, 0);
    }
}

void cpu_check_io(struct cpu *c, uint16_t port, unsigned size)
{
    if (c->dbg_active && (c->cr4 & CR4_DE))
        cpu_debug_io(c, port, size);
    if (!(c->cr0 & CR0_PE))
        return;
    if (!cpu_v86(c) && c->cpl <= ((c->eflags & F_IOPL) >> 12))
        return;
    /* Only a 32-bit TSS has a bitmap. */
    if ((c->tr.attr & SA_TYPE) < 9 || c->tr.limit < 0x67)
        cpu_fault(c, EXC_GP, 0);
    uint32_t iomap = cpu_read_sys(c, c->tr.base + T32_IOMAP, 2);
    uint32_t byte = iomap + port / 8;
    if (byte + 1 > c->tr.limit)
        cpu_fault(c, EXC_GP, 0);
    uint32_t bits = cpu_read_sys(c, c->tr.base + byte, 2);
    uint32_t mask = ((1u << size) - 1) << (port & 7);
    if (bits & mask)
        cpu_fault(c, EXC_GP, 0);
}
