/* Exceptions and interrupts (SDM vol. 3 ch. 6; real-address-mode delivery:
 * vol. 3 §20.1.4; virtual-8086 mode: §20.3).  A fault unwinds the
 * instruction with longjmp to the run loop, which calls
 * cpu_deliver_exception(); nothing an instruction did before faulting is
 * visible, because handlers write state only after the last access that can
 * fault.  Delivery itself follows the same rule: every push and check comes
 * before the first register changes, so a fault during delivery leaves the
 * interrupted state intact for the double-fault logic. */
#include "cpu/operand.h"

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

/* ---- real mode ------------------------------------------------------ */

static void deliver_real(struct cpu *c, uint8_t vector, uint32_t return_eip)
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
    c->int_taken = true;
}

void cpu_interrupt_real(struct cpu *c, uint8_t vector, uint32_t return_eip)
{
    deliver_real(c, vector, return_eip);
}

/* ---- protected and virtual-8086 mode ---------------------------------- */

/* Pushes onto a stack described by a segment cache that is not (yet) SS,
 * with supervisor privilege; #SS(err) if a push leaves the segment. */
void cpu_stack_push(struct cpu *c, struct stackw *st, uint32_t v, unsigned bytes)
{
    bool big = st->ss->attr & SA_DB;
    uint32_t esp = (st->esp - bytes) & (big ? 0xFFFFFFFFu : 0xFFFFu);
    struct seg_range r;
    if ((st->ss->attr & (SA_S | SA_CODE | SA_DC)) == (SA_S | SA_DC)) {
        r.lo = st->ss->limit + 1;
        r.hi = big ? 0xFFFFFFFFu : 0xFFFF;
    } else {
        r.lo = 0;
        r.hi = st->ss->limit;
    }
    if (!range_ok(&r, esp, bytes))
        cpu_fault(c, EXC_SS, st->err);
    cpu_write_sys(c, st->ss->base + esp, v, bytes);
    st->esp = esp;
}

/* The stack for privilege level dpl from the current TSS. */
void cpu_tss_stack(struct cpu *c, unsigned dpl, uint16_t *ss, uint32_t *esp, uint32_t ext)
{
    bool tss32 = (c->tr.attr & SA_TYPE) >= 9;
    uint32_t off = tss32 ? 4 + dpl * 8 : 2 + dpl * 4;
    uint32_t size = tss32 ? 8 : 4;
    if (off + size - 1 > c->tr.limit)
        cpu_fault(c, EXC_TS, (c->tr.sel & 0xFFFC) | ext);
    if (tss32) {
        *esp = cpu_read_sys(c, c->tr.base + off, 4);
        *ss = (uint16_t)cpu_read_sys(c, c->tr.base + off + 4, 2);
    } else {
        *esp = cpu_read_sys(c, c->tr.base + off, 2);
        *ss = (uint16_t)cpu_read_sys(c, c->tr.base + off + 2, 2);
    }
}

/* Checks a stack segment taken from the TSS for privilege dpl; #TS. */
void cpu_check_new_ss(struct cpu *c, uint16_t sel, unsigned dpl, struct cpu_seg *out, uint32_t ext)
{
    struct desc d;
    if ((sel & ~3u) == 0)
        cpu_fault(c, EXC_TS, ext);
    if (!cpu_read_descriptor(c, sel, &d))
        cpu_fault(c, EXC_TS, (sel & 0xFFFC) | ext);
    cpu_desc_to_seg(&d, sel, out);
    if ((sel & 3) != dpl || SA_DPL_OF(out->attr) != dpl ||
        (out->attr & (SA_S | SA_CODE | SA_RW)) != (SA_S | SA_RW))
        cpu_fault(c, EXC_TS, (sel & 0xFFFC) | ext);
    if (!(out->attr & SA_P))
        cpu_fault(c, EXC_SS, (sel & 0xFFFC) | ext);
    cpu_set_accessed(c, &d);
    out->attr |= SA_ACCESSED;
}

/* Delivers vector through the IDT.  soft: INT n/INT3/INTO (gate DPL is
 * checked); ext: the EXT bit for error codes of faults raised here. */
static void deliver_protected(struct cpu *c, uint8_t vector, uint32_t return_eip, bool soft,
                              bool has_err, uint32_t err, uint32_t ext)
{
    uint32_t idt_err = (uint32_t)vector * 8 + 2 + ext;
    if ((uint32_t)vector * 8 + 7 > c->idtr.limit)
        cpu_fault(c, EXC_GP, idt_err);
    struct desc g;
    g.addr = c->idtr.base + vector * 8u;
    g.lo = cpu_read_sys(c, g.addr, 4);
    g.hi = cpu_read_sys(c, g.addr + 4, 4);
    unsigned type = (g.hi >> 8) & 0x1F; /* S bit and type */
    unsigned gdpl = (g.hi >> 13) & 3;
    bool gate32;
    switch (type) {
    case 0x05: /* task gate */
        gate32 = false;
        break;
    case 0x06: case 0x07:
        gate32 = false;
        break;
    case 0x0E: case 0x0F:
        if (c->mi->model < CPU_386)
            cpu_fault(c, EXC_GP, idt_err);
        gate32 = true;
        break;
    default:
        cpu_fault(c, EXC_GP, idt_err);
    }
    if (soft && gdpl < c->cpl)
        cpu_fault(c, EXC_GP, idt_err);
    if (!(g.hi & 0x8000))
        cpu_fault(c, EXC_NP, idt_err);
    if (type == 0x05) {
        cpu_task_switch(c, (uint16_t)(g.lo >> 16), TS_INT, return_eip, ext);
        if (has_err) {
            /* The error code goes on the new task's stack. */
            unsigned bytes = (c->tr.attr & SA_TYPE) >= 9 ? 4 : 2;
            struct stackw st = { &c->seg[S_SS], c->gpr[R_ESP], ext };
            cpu_stack_push(c, &st, err, bytes);
            set_sp(c, st.esp);
        }
        return;
    }
    bool trap = type & 1;
    uint16_t sel = (uint16_t)(g.lo >> 16);
    uint32_t offset = (g.lo & 0xFFFF) | (gate32 ? (g.hi & 0xFFFF0000u) : 0);
    if ((sel & ~3u) == 0)
        cpu_fault(c, EXC_GP, ext);
    struct desc cd;
    if (!cpu_read_descriptor(c, sel, &cd))
        cpu_fault(c, EXC_GP, (sel & 0xFFFC) | ext);
    struct cpu_seg cs;
    cpu_desc_to_seg(&cd, sel, &cs);
    unsigned dpl = SA_DPL_OF(cs.attr);
    if ((cs.attr & (SA_S | SA_CODE)) != (SA_S | SA_CODE) || dpl > c->cpl)
        cpu_fault(c, EXC_GP, (sel & 0xFFFC) | ext);
    if (!(cs.attr & SA_P))
        cpu_fault(c, EXC_NP, (sel & 0xFFFC) | ext);
    bool conforming = cs.attr & SA_DC;
    bool v86 = cpu_v86(c);
    unsigned bytes = gate32 ? 4 : 2;
    uint32_t eflags = get_eflags(c);
    unsigned new_cpl;
    struct cpu_seg new_ss;
    struct stackw st;
    if (!conforming && dpl < c->cpl) {
        /* To an inner level: the stack comes from the TSS. */
        if (v86 && dpl != 0)
            cpu_fault(c, EXC_GP, (sel & 0xFFFC) | ext);
        uint16_t ss_sel;
        uint32_t esp;
        cpu_tss_stack(c, dpl, &ss_sel, &esp, ext);
        cpu_check_new_ss(c, ss_sel, dpl, &new_ss, ext);
        st = (struct stackw){ &new_ss, esp, (ss_sel & 0xFFFC) | ext };
        if (v86) {
            cpu_stack_push(c, &st, c->seg[S_GS].sel, bytes);
            cpu_stack_push(c, &st, c->seg[S_FS].sel, bytes);
            cpu_stack_push(c, &st, c->seg[S_DS].sel, bytes);
            cpu_stack_push(c, &st, c->seg[S_ES].sel, bytes);
        }
        cpu_stack_push(c, &st, c->seg[S_SS].sel, bytes);
        cpu_stack_push(c, &st, c->gpr[R_ESP], bytes);
        new_cpl = dpl;
    } else {
        if (v86)
            cpu_fault(c, EXC_GP, (sel & 0xFFFC) | ext);
        new_ss = c->seg[S_SS];
        st = (struct stackw){ &new_ss, c->gpr[R_ESP], ext };
        new_cpl = c->cpl;
    }
    cpu_stack_push(c, &st, eflags, bytes);
    cpu_stack_push(c, &st, c->seg[S_CS].sel, bytes);
    cpu_stack_push(c, &st, return_eip, bytes);
    if (has_err)
        cpu_stack_push(c, &st, err, bytes);
    if (!gate32)
        offset &= 0xFFFF;
    if (offset > cs.limit)
        cpu_fault(c, EXC_GP, ext);
    /* Everything that can fault has been done: commit. */
    cpu_set_accessed(c, &cd);
    cs.attr |= SA_ACCESSED;
    if (v86 && new_cpl == 0) {
        static const int clear[4] = { S_GS, S_FS, S_DS, S_ES };
        for (int i = 0; i < 4; i++)
            c->seg[clear[i]] = (struct cpu_seg){ 0, 0, 0, 0 };
    }
    c->eflags &= ~(F_TF | F_NT | F_RF | F_VM);
    if (!trap)
        c->eflags &= ~F_IF;
    cpu_set_cs(c, &cs, new_cpl);
    c->seg[S_SS] = new_ss;
    c->seg[S_SS].sel = (uint16_t)((new_ss.sel & ~3u) | new_cpl);
    if (new_ss.attr & SA_DB)
        c->gpr[R_ESP] = st.esp;
    else
        set_r16(c, R_ESP, (uint16_t)st.esp);
    cpu_mode_changed(c);
    c->eip = offset;
    c->next_eip = offset;
    c->int_taken = true;
}

/* Virtual-8086 mode with CR4.VME: INT n redirected through the V86 IVT
 * when its bit in the TSS's redirection bitmap is clear (SDM 20.3.3). */
static bool vme_redirect(struct cpu *c, uint8_t vector, uint32_t return_eip)
{
    if (!(c->cr4 & CR4_VME) || (c->tr.attr & SA_TYPE) < 9 || c->tr.limit < 0x67)
        return false;
    uint32_t iomap = cpu_read_sys(c, c->tr.base + 0x66, 2);
    uint32_t bit_off = iomap - 32 + vector / 8;
    if (iomap < 32 || bit_off > c->tr.limit)
        return false;
    if (cpu_read_sys(c, c->tr.base + bit_off, 1) & (1u << (vector & 7)))
        return false;
    /* Like a real-mode interrupt, with IF replaced by VIF when IOPL < 3. */
    uint32_t vec = cpu_read_lin(c, (uint32_t)vector * 4, 4);
    uint32_t fl = get_eflags(c);
    bool iopl3 = (fl & F_IOPL) == F_IOPL;
    uint16_t pushed = (uint16_t)fl;
    if (!iopl3)
        pushed = (uint16_t)((pushed & ~F_IF) | ((fl & 0x80000u) ? F_IF : 0) | F_IOPL);
    uint16_t sp = (uint16_t)c->gpr[R_ESP];
    mem_write(c, S_SS, (uint16_t)(sp - 2), pushed, 2);
    mem_write(c, S_SS, (uint16_t)(sp - 4), c->seg[S_CS].sel, 2);
    mem_write(c, S_SS, (uint16_t)(sp - 6), (uint16_t)return_eip, 2);
    set_r16(c, R_ESP, (uint16_t)(sp - 6));
    if (iopl3)
        c->eflags &= ~(F_IF | F_TF);
    else
        c->eflags &= ~(0x80000u | F_TF); /* VIF */
    cpu_load_seg(c, S_CS, (uint16_t)(vec >> 16));
    c->eip = vec & 0xFFFF;
    c->next_eip = c->eip;
    c->int_taken = true;
    return true;
}

/* One line per event, as QEMU's -d int prints them: the vector, the error
 * code, i=1 for a software interrupt, the privilege level, where it
 * happened and the stack; CR2 for a page fault. */
static void log_int(struct cpu *c, unsigned vector, uint32_t err, bool soft)
{
    if (!(c->log_mask & CPU_LOG_INT) || !c->log)
        return;
    fprintf(c->log, "%6llu: v=%02x e=%04x i=%d cpl=%u IP=%04x:%08x pc=%08x SP=%04x:%08x", c->logged_ints++,
            vector, err & 0xFFFF, soft, c->cpl, c->seg[S_CS].sel, c->eip, c->seg[S_CS].base + c->eip,
            c->seg[S_SS].sel, c->gpr[R_ESP]);
    if (vector == EXC_PF)
        fprintf(c->log, " CR2=%08x", c->cr2);
    fprintf(c->log, " EAX=%08x\n", c->gpr[R_EAX]);
}

void cpu_software_interrupt(struct cpu *c, uint8_t vector, uint32_t return_eip, enum soft_int kind)
{
    log_int(c, vector, 0, true);
    if (!(c->cr0 & CR0_PE)) {
        deliver_real(c, vector, return_eip);
        return;
    }
    /* Only INT n is IOPL-sensitive in virtual-8086 mode (and may be
     * redirected by VME); INT n, INT3 and INTO check the gate's DPL; INT1
     * (ICEBP) is delivered like a hardware event. */
    if (cpu_v86(c) && kind == SOFT_INTN) {
        if (vme_redirect(c, vector, return_eip))
            return;
        if ((c->eflags & F_IOPL) != F_IOPL)
            cpu_fault(c, EXC_GP, 0);
    }
    deliver_protected(c, vector, return_eip, kind != SOFT_INT1, false, 0, kind == SOFT_INT1);
}

void cpu_hw_interrupt(struct cpu *c, uint8_t vector)
{
    log_int(c, vector, 0, false);
    c->deliv_ext = 1;
    if (c->cr0 & CR0_PE)
        deliver_protected(c, vector, c->eip, false, false, 0, 1);
    else
        deliver_real(c, vector, c->eip);
    c->deliv_ext = 0;
}

/* Exception classes for double-fault detection (SDM table 6-5). */
enum { EXC_BENIGN, EXC_CONTRIB, EXC_PAGE, EXC_DOUBLE };
static int exc_class(int v)
{
    switch (v) {
    case EXC_DE: case EXC_TS: case EXC_NP: case EXC_SS: case EXC_GP: return EXC_CONTRIB;
    case EXC_PF: return EXC_PAGE;
    case EXC_DF: return EXC_DOUBLE;
    default: return EXC_BENIGN;
    }
}

/* Traps report the address after the instruction; faults the instruction. */
static bool is_trap(const struct cpu *c, int v)
{
    return v == EXC_DE ? c->mi->div_fault_next : false;
}

bool cpu_deliver_exception(struct cpu *c)
{
    c->resume_valid = false; /* after the handler the instruction is fetched anew */
    int vector = c->exc_vector;
    uint32_t err = c->exc_error;
    bool has_err = c->exc_has_error;
    uint32_t ret = is_trap(c, vector) ? c->next_eip : c->eip;
    if (c->deliv_vec >= 0) {
        /* A fault while delivering another event. */
        int first = exc_class(c->deliv_vec), second = exc_class(vector);
        if (first == EXC_DOUBLE || c->mi->model == CPU_8086)
            return false; /* shutdown */
        if ((first == EXC_CONTRIB && second == EXC_CONTRIB) ||
            (first == EXC_PAGE && (second == EXC_CONTRIB || second == EXC_PAGE))) {
            vector = EXC_DF;
            err = 0;
            has_err = true;
        } else if (c->deliv_ext && has_err && vector != EXC_PF && vector != EXC_DF) {
            err |= 1; /* EXT: caused by an event external to the program */
        }
    }
    log_int(c, (unsigned)vector, has_err ? err : 0, false);
    c->deliv_vec = vector;
    c->deliv_ext = 1;
    /* The P6 sets RF in the image of a fault (not of an instruction
     * breakpoint), so that returning from the handler does not retrigger
     * a breakpoint on the restarted instruction. */
    bool bp_fault = vector == EXC_DB && (c->dr[6] & 0xF) && ret == c->eip;
    if (c->mi->model == CPU_P6 && ret == c->eip && !bp_fault && vector < 32)
        c->eflags |= F_RF;
    if (c->cr0 & CR0_PE)
        deliver_protected(c, (uint8_t)vector, ret, false, has_err && c->mi->model >= CPU_286, err, 1);
    else
        deliver_real(c, (uint8_t)vector, ret);
    c->deliv_vec = -1;
    c->deliv_ext = 0;
    c->exc_vector = -1;
    return true;
}
