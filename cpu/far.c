/* Far control transfers and software interrupts in every mode: JMP/CALL
 * far (direct, through call gates, to tasks), RETF, IRET, INT n/INT3/INTO/
 * INT1 (SDM vol. 2 pseudocode of each; vol. 3 ch. 5.8 and 7).  As
 * everywhere, all checks and memory writes come before the first register
 * changes, so a fault leaves the caller's state intact. */
#include "cpu/operand.h"

static uint32_t sel_err(uint16_t sel)
{
    return sel & 0xFFFCu;
}

/* A completed IRET ends the blocking of NMIs that an NMI's delivery began. */
static void nmi_unblock(struct cpu *c)
{
    c->nmi_blocked = false;
    if (c->nmi)
        cpu_events_raise(c);
}

static void real_far_jump(struct cpu *c, uint16_t sel, uint32_t off, bool o32)
{
    if (!o32)
        off &= 0xFFFF;
    /* The new CS keeps its limit in real mode, so the check can be made
     * before loading it. */
    if (off > c->seg[S_CS].limit && c->mi->model != CPU_8086)
        cpu_fault(c, EXC_GP, 0);
    if (cpu_v86(c))
        cpu_load_seg(c, S_CS, sel);
    else
        cpu_load_seg_real(c, S_CS, sel);
    c->next_eip = off;
}

/* The current stack as a push target. */
static struct stackw cur_stack(struct cpu *c)
{
    return (struct stackw){ &c->seg[S_SS], c->gpr[R_ESP], 0 };
}

static void commit_stack(struct cpu *c, const struct stackw *st)
{
    if (st->ss->attr & SA_DB || !cpu_protected(c))
        set_sp(c, st->esp);
    else
        set_r16(c, R_ESP, (uint16_t)st->esp);
}

/* The end of a far JMP/CALL that stays at the current privilege level:
 * push the return address for a CALL, then load CS and the new EIP. */
static void same_level_transfer(struct cpu *c, struct desc *d, struct cpu_seg *seg, uint32_t eip, bool call,
                                unsigned bytes)
{
    if (call) {
        struct stackw st = cur_stack(c);
        cpu_stack_push(c, &st, c->seg[S_CS].sel, bytes);
        cpu_stack_push(c, &st, c->next_eip, bytes);
        commit_stack(c, &st);
    }
    cpu_set_accessed(c, d);
    seg->attr |= SA_ACCESSED;
    cpu_set_cs(c, seg, c->cpl);
    c->next_eip = eip;
}

/* Reads a code-segment descriptor for a far transfer; #GP(0) for null,
 * #GP(sel) outside the table. */
static void read_target(struct cpu *c, uint16_t sel, struct desc *d, struct cpu_seg *seg)
{
    if ((sel & ~3u) == 0)
        cpu_fault(c, EXC_GP, 0);
    if (!cpu_read_descriptor(c, sel, d))
        cpu_fault(c, EXC_GP, sel_err(sel));
    cpu_desc_to_seg(d, sel, seg);
}

/* Checks a code segment as the target of a JMP/CALL at the same level. */
static void check_code_same_level(struct cpu *c, uint16_t sel, const struct cpu_seg *seg)
{
    unsigned dpl = SA_DPL_OF(seg->attr), rpl = sel & 3;
    if ((seg->attr & (SA_S | SA_CODE)) != (SA_S | SA_CODE))
        cpu_fault(c, EXC_GP, sel_err(sel));
    if (seg->attr & SA_DC) {
        if (dpl > c->cpl)
            cpu_fault(c, EXC_GP, sel_err(sel));
    } else if (rpl > c->cpl || dpl != c->cpl) {
        cpu_fault(c, EXC_GP, sel_err(sel));
    }
    if (!(seg->attr & SA_P))
        cpu_fault(c, EXC_NP, sel_err(sel));
}

/* JMP or CALL far in protected mode to sel:off. */
static void pm_far(struct cpu *c, uint16_t sel, uint32_t off, bool o32, bool call)
{
    struct desc d;
    struct cpu_seg seg;
    read_target(c, sel, &d, &seg);
    unsigned bytes = o32 ? 4 : 2;
    if (seg.attr & SA_S) {
        check_code_same_level(c, sel, &seg);
        if (!o32)
            off &= 0xFFFF;
        if (off > seg.limit)
            cpu_fault(c, EXC_GP, 0);
        same_level_transfer(c, &d, &seg, off, call, bytes);
        return;
    }
    unsigned type = seg.attr & SA_TYPE;
    unsigned gdpl = SA_DPL_OF(seg.attr), rpl = sel & 3;
    switch (type) {
    case 1: case 9: /* available TSS */
    case 5:         /* task gate */
        if (gdpl < c->cpl || gdpl < rpl)
            cpu_fault(c, EXC_GP, sel_err(sel));
        if (!(seg.attr & SA_P))
            cpu_fault(c, EXC_NP, sel_err(sel));
        if (type == 9 && c->mi->model < CPU_386)
            cpu_fault(c, EXC_GP, sel_err(sel));
        if (type == 5)
            cpu_task_switch(c, (uint16_t)(d.lo >> 16), call ? TS_CALL : TS_JMP, c->next_eip, 0);
        else
            cpu_task_switch(c, sel, call ? TS_CALL : TS_JMP, c->next_eip, 0);
        c->next_eip = c->eip;
        return;
    case 4: case 12: /* call gate */
        break;
    default:
        cpu_fault(c, EXC_GP, sel_err(sel));
    }
    if (type == 12 && c->mi->model < CPU_386)
        cpu_fault(c, EXC_GP, sel_err(sel));
    if (gdpl < c->cpl || gdpl < rpl)
        cpu_fault(c, EXC_GP, sel_err(sel));
    if (!(seg.attr & SA_P))
        cpu_fault(c, EXC_NP, sel_err(sel));
    bool gate32 = type == 12;
    uint16_t tsel = (uint16_t)(d.lo >> 16);
    uint32_t toff = (d.lo & 0xFFFF) | (gate32 ? (d.hi & 0xFFFF0000u) : 0);
    unsigned nparams = d.hi & 0x1F;
    struct desc td;
    struct cpu_seg tseg;
    read_target(c, tsel, &td, &tseg);
    unsigned tdpl = SA_DPL_OF(tseg.attr);
    if ((tseg.attr & (SA_S | SA_CODE)) != (SA_S | SA_CODE) || tdpl > c->cpl)
        cpu_fault(c, EXC_GP, sel_err(tsel));
    if (!call && !(tseg.attr & SA_DC) && tdpl != c->cpl)
        cpu_fault(c, EXC_GP, sel_err(tsel));
    if (!(tseg.attr & SA_P))
        cpu_fault(c, EXC_NP, sel_err(tsel));
    if (toff > tseg.limit)
        cpu_fault(c, EXC_GP, 0);
    unsigned gbytes = gate32 ? 4 : 2;
    if (call && !(tseg.attr & SA_DC) && tdpl < c->cpl) {
        /* Through the gate to an inner level: new stack from the TSS, the
         * caller's SS:ESP and parameters copied onto it. */
        uint16_t ss_sel;
        uint32_t esp;
        cpu_tss_stack(c, tdpl, &ss_sel, &esp, 0);
        struct cpu_seg new_ss;
        cpu_check_new_ss(c, ss_sel, tdpl, &new_ss, 0);
        struct stackw st = { &new_ss, esp, sel_err(ss_sel) };
        cpu_stack_push(c, &st, c->seg[S_SS].sel, gbytes);
        cpu_stack_push(c, &st, c->gpr[R_ESP], gbytes);
        for (unsigned i = nparams; i-- > 0;) {
            uint32_t p = mem_read(c, S_SS, (c->gpr[R_ESP] + i * gbytes) & sp_mask(c), gbytes);
            cpu_stack_push(c, &st, p, gbytes);
        }
        cpu_stack_push(c, &st, c->seg[S_CS].sel, gbytes);
        cpu_stack_push(c, &st, c->next_eip, gbytes);
        cpu_set_accessed(c, &td);
        tseg.attr |= SA_ACCESSED;
        cpu_set_cs(c, &tseg, tdpl);
        c->seg[S_SS] = new_ss;
        cpu_mode_changed(c);
        if (new_ss.attr & SA_DB)
            c->gpr[R_ESP] = st.esp;
        else
            set_r16(c, R_ESP, (uint16_t)st.esp);
        c->next_eip = gate32 ? toff : toff & 0xFFFF;
        return;
    }
    same_level_transfer(c, &td, &tseg, gate32 ? toff : toff & 0xFFFF, call, gbytes);
}

static void far_transfer(struct cpu *c, uint16_t sel, uint32_t off, bool o32, bool call)
{
    if (cpu_protected(c)) {
        pm_far(c, sel, off, o32, call);
        return;
    }
    uint32_t target = o32 ? off : off & 0xFFFF;
    if (target > c->seg[S_CS].limit && c->mi->model != CPU_8086)
        cpu_fault(c, EXC_GP, 0);
    if (call) {
        unsigned bytes = o32 ? 4 : 2;
        uint32_t m = sp_mask(c), sp = c->gpr[R_ESP];
        mem_write(c, S_SS, (sp - bytes) & m, c->seg[S_CS].sel, bytes);
        mem_write(c, S_SS, (sp - 2 * bytes) & m, c->next_eip, bytes);
        set_sp(c, (sp - 2 * bytes) & m);
    }
    real_far_jump(c, sel, target, o32);
}

/* Checks the CS popped by RETF/IRET in protected mode. */
static void check_return_cs(struct cpu *c, uint16_t sel, struct desc *d, struct cpu_seg *seg)
{
    read_target(c, sel, d, seg);
    unsigned rpl = sel & 3, dpl = SA_DPL_OF(seg->attr);
    if ((seg->attr & (SA_S | SA_CODE)) != (SA_S | SA_CODE) || rpl < c->cpl)
        cpu_fault(c, EXC_GP, sel_err(sel));
    if ((seg->attr & SA_DC) ? dpl > rpl : dpl != rpl)
        cpu_fault(c, EXC_GP, sel_err(sel));
    if (!(seg->attr & SA_P))
        cpu_fault(c, EXC_NP, sel_err(sel));
}

/* Loads the outer stack of a return to a less privileged level. */
static void check_return_ss(struct cpu *c, uint16_t sel, unsigned rpl, struct desc *d, struct cpu_seg *seg)
{
    if ((sel & ~3u) == 0)
        cpu_fault(c, EXC_GP, 0);
    if (!cpu_read_descriptor(c, sel, d))
        cpu_fault(c, EXC_GP, sel_err(sel));
    cpu_desc_to_seg(d, sel, seg);
    if ((sel & 3) != rpl || SA_DPL_OF(seg->attr) != rpl ||
        (seg->attr & (SA_S | SA_CODE | SA_RW)) != (SA_S | SA_RW))
        cpu_fault(c, EXC_GP, sel_err(sel));
    if (!(seg->attr & SA_P))
        cpu_fault(c, EXC_SS, sel_err(sel));
}

static void pm_retf(struct cpu *c, bool o32, uint32_t extra)
{
    unsigned bytes = o32 ? 4 : 2;
    uint32_t off = stack_peek(c, 0, bytes);
    uint16_t sel = (uint16_t)stack_peek(c, bytes, 2);
    if (!o32)
        off &= 0xFFFF;
    struct desc d;
    struct cpu_seg seg;
    check_return_cs(c, sel, &d, &seg);
    unsigned rpl = sel & 3;
    if (off > seg.limit)
        cpu_fault(c, EXC_GP, 0);
    if (rpl == c->cpl) {
        stack_drop(c, 2 * bytes + extra);
        cpu_set_accessed(c, &d);
        cpu_set_cs(c, &seg, rpl);
        c->next_eip = off;
        return;
    }
    /* To an outer level: the caller's stack follows the parameters. */
    uint32_t esp = stack_peek(c, 2 * bytes + extra, bytes);
    uint16_t ss_sel = (uint16_t)stack_peek(c, 3 * bytes + extra, 2);
    struct desc sd;
    struct cpu_seg ss;
    check_return_ss(c, ss_sel, rpl, &sd, &ss);
    cpu_set_accessed(c, &d);
    cpu_set_accessed(c, &sd);
    cpu_set_cs(c, &seg, rpl);
    c->seg[S_SS] = ss;
    if (ss.attr & SA_DB)
        c->gpr[R_ESP] = esp + extra;
    else
        set_r16(c, R_ESP, (uint16_t)(esp + extra));
    cpu_mode_changed(c);
    cpu_null_inaccessible_segs(c);
    c->next_eip = off;
}

/* EFLAGS as IRET/POPF may change them at the current privilege: IOPL only
 * at CPL 0, IF only at CPL <= IOPL; VM, VIP and VIF are never taken here. */
static uint32_t eflags_writable(const struct cpu *c)
{
    uint32_t m = 0xFFFFFFFFu & ~(F_VM | 0x180000u);
    if (cpu_protected(c)) {
        if (c->cpl > 0)
            m &= ~F_IOPL;
        if (c->cpl > ((c->eflags & F_IOPL) >> 12))
            m &= ~F_IF;
    }
    return m;
}

uint32_t cpu_popf_mask(const struct cpu *c)
{
    return eflags_writable(c);
}

static void iret_to_v86(struct cpu *c, uint32_t off, uint16_t cs, uint32_t fl)
{
    uint32_t esp = stack_peek(c, 12, 4);
    uint16_t ss = (uint16_t)stack_peek(c, 16, 4);
    uint16_t es = (uint16_t)stack_peek(c, 20, 4);
    uint16_t ds = (uint16_t)stack_peek(c, 24, 4);
    uint16_t fs = (uint16_t)stack_peek(c, 28, 4);
    uint16_t gs = (uint16_t)stack_peek(c, 32, 4);
    c->eflags = 0;
    cpu_write_eflags(c, fl, 0xFFFFFFFFu);
    c->eflags |= F_VM;
    c->cpl = 3;
    const uint16_t sels[S_NSEG] = { es, cs, ss, ds, fs, gs };
    for (int s = 0; s < S_NSEG; s++)
        c->seg[s] = (struct cpu_seg){ sels[s], (uint32_t)sels[s] << 4, 0xFFFF, s == S_CS ? 0x00FB : 0x00F3 };
    cpu_mode_changed(c);
    c->gpr[R_ESP] = esp;
    c->next_eip = off & 0xFFFF;
}

static void pm_iret(struct cpu *c, bool o32)
{
    if (c->eflags & F_NT) {
        /* Return from a nested task through the back link. */
        uint16_t link = (uint16_t)cpu_read_sys(c, c->tr.base, 2);
        cpu_task_switch(c, link, TS_IRET, c->next_eip, 0);
        c->next_eip = c->eip;
        return;
    }
    unsigned bytes = o32 ? 4 : 2;
    uint32_t off = stack_peek(c, 0, bytes);
    uint16_t sel = (uint16_t)stack_peek(c, bytes, 2);
    uint32_t fl = stack_peek(c, 2 * bytes, bytes);
    if (o32 && (fl & F_VM) && c->cpl == 0) {
        iret_to_v86(c, off, sel, fl);
        return;
    }
    if (!o32)
        off &= 0xFFFF;
    struct desc d;
    struct cpu_seg seg;
    check_return_cs(c, sel, &d, &seg);
    unsigned rpl = sel & 3;
    if (off > seg.limit)
        cpu_fault(c, EXC_GP, 0);
    uint32_t mask = eflags_writable(c) & (o32 ? 0xFFFFFFFFu : 0xFFFFu);
    if (rpl == c->cpl) {
        stack_drop(c, 3 * bytes);
        cpu_set_accessed(c, &d);
        cpu_set_cs(c, &seg, rpl);
        cpu_write_eflags(c, fl, mask);
        c->next_eip = off;
        return;
    }
    uint32_t esp = stack_peek(c, 3 * bytes, bytes);
    uint16_t ss_sel = (uint16_t)stack_peek(c, 4 * bytes, 2);
    struct desc sd;
    struct cpu_seg ss;
    check_return_ss(c, ss_sel, rpl, &sd, &ss);
    cpu_set_accessed(c, &d);
    cpu_set_accessed(c, &sd);
    cpu_write_eflags(c, fl, mask);
    cpu_set_cs(c, &seg, rpl);
    c->seg[S_SS] = ss;
    if (ss.attr & SA_DB)
        c->gpr[R_ESP] = esp;
    else
        set_r16(c, R_ESP, (uint16_t)esp);
    cpu_mode_changed(c);
    cpu_null_inaccessible_segs(c);
    c->next_eip = off;
}

/* IRET in virtual-8086 mode: allowed at IOPL 3; with VME at lower IOPL it
 * updates VIF instead of IF (SDM 20.3.3). */
static void v86_iret(struct cpu *c, bool o32)
{
    unsigned bytes = o32 ? 4 : 2;
    bool iopl3 = (c->eflags & F_IOPL) == F_IOPL;
    bool vme = (c->cr4 & CR4_VME) && !o32;
    if (!iopl3 && !vme)
        cpu_fault(c, EXC_GP, 0);
    uint32_t off = stack_peek(c, 0, bytes);
    uint16_t sel = (uint16_t)stack_peek(c, bytes, 2);
    uint32_t fl = stack_peek(c, 2 * bytes, bytes);
    if (!o32)
        off &= 0xFFFF;
    if (off > 0xFFFF)
        cpu_fault(c, EXC_GP, 0);
    if (!iopl3) {
        /* VME: TF set, or IF set with VIP pending, is #GP. */
        if ((fl & F_TF) || ((fl & F_IF) && (c->eflags & 0x100000u)))
            cpu_fault(c, EXC_GP, 0);
        stack_drop(c, 3 * bytes);
        uint32_t vif = (fl & F_IF) ? 0x80000u : 0;
        cpu_write_eflags(c, fl, 0xFFFFu & ~(F_IOPL | F_IF));
        c->eflags = (c->eflags & ~0x80000u) | vif;
    } else {
        stack_drop(c, 3 * bytes);
        cpu_write_eflags(c, fl, (o32 ? 0xFFFFFFFFu : 0xFFFFu) & ~(F_IOPL | F_VM | 0x180000u));
    }
    cpu_load_seg(c, S_CS, sel);
    c->next_eip = off;
}

void cpu_exec_far(struct cpu *c, const struct insn *in)
{
    bool o32 = in->flags & I_O32;
    unsigned bytes = o32 ? 4 : 2;
    switch (in->op) {
    case OP_JMP_Ap_w: case OP_JMP_Ap_d:
        far_transfer(c, (uint16_t)in->imm2, in->imm, o32, false);
        break;
    case OP_CALL_Ap_w: case OP_CALL_Ap_d:
        far_transfer(c, (uint16_t)in->imm2, in->imm, o32, true);
        break;
    case OP_JMP_Ep_w: case OP_JMP_Ep_d: case OP_CALL_Ep_w: case OP_CALL_Ep_d: {
        if (!IS_MEM(in)) {
            if (c->mi->model != CPU_8086)
                cpu_fault(c, EXC_UD, 0);
            break;
        }
        uint32_t addr = ea_of(c, in);
        uint32_t off = mem_read(c, in->seg, addr, bytes);
        uint16_t sel = (uint16_t)mem_read(c, in->seg, (addr + bytes) & ((in->flags & I_A32) ? ~0u : 0xFFFFu), 2);
        far_transfer(c, sel, off, o32, in->op == OP_CALL_Ep_w || in->op == OP_CALL_Ep_d);
        break;
    }
    case OP_RETF_w: case OP_RETF_d: case OP_RETF_Iw_w: case OP_RETF_Iw_d: {
        uint32_t extra = (in->op == OP_RETF_Iw_w || in->op == OP_RETF_Iw_d) ? (in->imm & 0xFFFF) : 0;
        if (cpu_protected(c)) {
            pm_retf(c, o32, extra);
            break;
        }
        uint32_t off = stack_peek(c, 0, bytes);
        uint16_t sel = (uint16_t)stack_peek(c, bytes, 2);
        if (!o32)
            off &= 0xFFFF;
        if (off > c->seg[S_CS].limit && c->mi->model != CPU_8086)
            cpu_fault(c, EXC_GP, 0);
        stack_drop(c, 2 * bytes + extra);
        real_far_jump(c, sel, off, o32);
        break;
    }
    case OP_IRET_w: case OP_IRET_d: {
        /* An IRET that completes (whatever it returns to) ends the NMI
         * blocking; one that faults leaves it (the handler has not
         * returned).  A latched NMI is then taken at the next boundary. */
        if (cpu_protected(c)) {
            pm_iret(c, o32);
            nmi_unblock(c);
            break;
        }
        if (cpu_v86(c)) {
            v86_iret(c, o32);
            nmi_unblock(c);
            break;
        }
        uint32_t off = stack_peek(c, 0, bytes);
        uint16_t sel = (uint16_t)stack_peek(c, bytes, 2);
        uint32_t fl = stack_peek(c, 2 * bytes, bytes);
        if (!o32)
            off &= 0xFFFF;
        if (off > c->seg[S_CS].limit && c->mi->model != CPU_8086)
            cpu_fault(c, EXC_GP, 0);
        stack_drop(c, 3 * bytes);
        real_far_jump(c, sel, off, o32);
        if (o32)
            cpu_write_eflags(c, fl, ~(uint32_t)(F_VM | F_RF | 0x180000u /* VIF, VIP */));
        else
            cpu_write_eflags(c, fl, 0xFFFF);
        nmi_unblock(c);
        break;
    }
    case OP_INT3:
        cpu_software_interrupt(c, EXC_BP, c->next_eip, SOFT_INT3);
        break;
    case OP_INT_Ib:
        cpu_software_interrupt(c, (uint8_t)in->imm, c->next_eip, SOFT_INTN);
        break;
    case OP_INTO:
        if (get_of(c))
            cpu_software_interrupt(c, EXC_OF, c->next_eip, SOFT_INT3);
        break;
    case OP_INT1:
        cpu_software_interrupt(c, EXC_DB, c->next_eip, SOFT_INT1);
        break;
    default:
        break;
    }
}
