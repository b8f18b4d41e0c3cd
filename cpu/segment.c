/* Segment descriptors and segment-register loads in every mode (SDM vol. 3
 * ch. 3 and 5; vol. 2: MOV/POP/LDS to a segment register, LLDT, LTR, LAR,
 * LSL, VERR, VERW, ARPL).  The far-transfer code (far.c) and the
 * interrupt and task-switch code use the descriptor helpers here. */
#include "cpu/operand.h"

/* The error code for a fault about selector sel. */
static uint32_t sel_err(uint16_t sel)
{
    return sel & 0xFFFCu;
}

bool cpu_read_descriptor(struct cpu *c, uint16_t sel, struct desc *d)
{
    uint32_t base, limit;
    if (sel & 4) {
        if (!(c->ldtr.attr & SA_P))
            return false;
        base = c->ldtr.base;
        limit = c->ldtr.limit;
    } else {
        base = c->gdtr.base;
        limit = c->gdtr.limit;
    }
    uint32_t off = sel & ~7u;
    if (off + 7 > limit)
        return false;
    d->addr = base + off;
    d->lo = cpu_read_sys(c, d->addr, 4);
    d->hi = cpu_read_sys(c, d->addr + 4, 4);
    if (c->mi->model == CPU_286)
        d->hi &= 0x0000FFFFu; /* the 286's descriptors have no high word */
    return true;
}

void cpu_desc_to_seg(const struct desc *d, uint16_t sel, struct cpu_seg *out)
{
    uint32_t limit = (d->lo & 0xFFFF) | (d->hi & 0xF0000);
    if (d->hi & 0x800000)
        limit = (limit << 12) | 0xFFF;
    out->sel = sel;
    out->base = (d->lo >> 16) | ((d->hi & 0xFF) << 16) | (d->hi & 0xFF000000u);
    out->limit = limit;
    out->attr = (uint16_t)((d->hi >> 8) & 0xF0FF);
}

void cpu_set_accessed(struct cpu *c, struct desc *d)
{
    if (!(d->hi & 0x100)) {
        d->hi |= 0x100;
        cpu_write_sys(c, d->addr + 5, (d->hi >> 8) & 0xFF, 1);
    }
}

/* Reads the descriptor of a non-null selector for a load, or faults with
 * #GP(selector) when it is outside its table. */
static void fetch_for_load(struct cpu *c, uint16_t sel, struct desc *d, int vec)
{
    if (!cpu_read_descriptor(c, sel, d))
        cpu_fault(c, vec, sel_err(sel));
}

void cpu_load_seg(struct cpu *c, int s, uint16_t sel)
{
    if (!cpu_protected(c)) {
        if (cpu_v86(c)) {
            c->seg[s] = (struct cpu_seg){ sel, (uint32_t)sel << 4, 0xFFFF, 0x00F3 };
            cpu_update_segr(c, s);
        } else {
            cpu_load_seg_real(c, s, sel);
        }
        if (s == S_SS)
            c->inhibit_at = c->icount + 1;
        return;
    }
    unsigned rpl = sel & 3;
    struct desc d;
    struct cpu_seg seg;
    if (s == S_SS) {
        if ((sel & ~3u) == 0)
            cpu_fault(c, EXC_GP, 0);
        fetch_for_load(c, sel, &d, EXC_GP);
        cpu_desc_to_seg(&d, sel, &seg);
        if (rpl != c->cpl || (seg.attr & (SA_S | SA_CODE | SA_RW)) != (SA_S | SA_RW) ||
            SA_DPL_OF(seg.attr) != c->cpl)
            cpu_fault(c, EXC_GP, sel_err(sel));
        if (!(seg.attr & SA_P))
            cpu_fault(c, EXC_SS, sel_err(sel));
        cpu_set_accessed(c, &d);
        seg.attr |= SA_ACCESSED;
        c->seg[s] = seg;
        cpu_update_segr(c, s);
        c->inhibit_at = c->icount + 1;
        return;
    }
    if ((sel & ~3u) == 0) {
        /* A null selector loads; any use of the segment is #GP(0). */
        c->seg[s] = (struct cpu_seg){ sel, 0, 0, 0 };
        cpu_update_segr(c, s);
        return;
    }
    fetch_for_load(c, sel, &d, EXC_GP);
    cpu_desc_to_seg(&d, sel, &seg);
    unsigned dpl = SA_DPL_OF(seg.attr);
    if (!(seg.attr & SA_S) || (seg.attr & (SA_CODE | SA_RW)) == SA_CODE)
        cpu_fault(c, EXC_GP, sel_err(sel));
    if ((!(seg.attr & SA_CODE) || !(seg.attr & SA_DC)) && (rpl > dpl || c->cpl > dpl))
        cpu_fault(c, EXC_GP, sel_err(sel));
    if (!(seg.attr & SA_P))
        cpu_fault(c, EXC_NP, sel_err(sel));
    cpu_set_accessed(c, &d);
    seg.attr |= SA_ACCESSED;
    c->seg[s] = seg;
    cpu_update_segr(c, s);
}

void cpu_set_cs(struct cpu *c, const struct cpu_seg *cs, unsigned cpl)
{
    c->seg[S_CS] = *cs;
    c->seg[S_CS].sel = (uint16_t)((cs->sel & ~3u) | cpl);
    bool user_changed = (c->cpl == 3) != (cpl == 3);
    c->cpl = (uint8_t)cpl;
    cpu_update_segr(c, S_CS);
    if (user_changed) {
        c->tlbp = c->tlb[cpl == 3];
        if (cpu_ac_active(c)) {
            cpu_tlb_flush(c);
            cpu_events_raise(c);
        }
    }
}

/* After a return to an outer level: data segments the new CPL may not use
 * become null (SDM: RET/IRET "for each of ES, FS, GS, DS"). */
void cpu_null_inaccessible_segs(struct cpu *c)
{
    static const int segs[4] = { S_ES, S_FS, S_GS, S_DS };
    for (int i = 0; i < 4; i++) {
        struct cpu_seg *sg = &c->seg[segs[i]];
        unsigned dpl = SA_DPL_OF(sg->attr);
        bool conforming_code = (sg->attr & (SA_CODE | SA_DC)) == (SA_CODE | SA_DC);
        if ((sg->attr & SA_S) && !conforming_code && dpl < c->cpl) {
            sg->sel = 0;
            sg->attr = 0;
            cpu_update_segr(c, segs[i]);
        }
    }
}

/* ---- LLDT, LTR and the 0F 00 group ----------------------------------- */

static void lldt(struct cpu *c, uint16_t sel)
{
    if ((sel & ~3u) == 0) {
        c->ldtr = (struct cpu_seg){ sel, 0, 0, 0 };
        return;
    }
    if (sel & 4)
        cpu_fault(c, EXC_GP, sel_err(sel));
    struct desc d;
    fetch_for_load(c, sel, &d, EXC_GP);
    struct cpu_seg seg;
    cpu_desc_to_seg(&d, sel, &seg);
    if ((seg.attr & (SA_S | SA_TYPE)) != 2)
        cpu_fault(c, EXC_GP, sel_err(sel));
    if (!(seg.attr & SA_P))
        cpu_fault(c, EXC_NP, sel_err(sel));
    c->ldtr = seg;
}

static void ltr(struct cpu *c, uint16_t sel)
{
    if ((sel & ~3u) == 0 || (sel & 4))
        cpu_fault(c, EXC_GP, sel_err(sel));
    struct desc d;
    fetch_for_load(c, sel, &d, EXC_GP);
    struct cpu_seg seg;
    cpu_desc_to_seg(&d, sel, &seg);
    unsigned type = seg.attr & (SA_S | SA_TYPE);
    if (type != 1 && !(type == 9 && c->mi->model >= CPU_386))
        cpu_fault(c, EXC_GP, sel_err(sel));
    if (!(seg.attr & SA_P))
        cpu_fault(c, EXC_NP, sel_err(sel));
    /* Mark it busy in the GDT. */
    d.hi |= 0x200;
    cpu_write_sys(c, d.addr + 5, (d.hi >> 8) & 0xFF, 1);
    seg.attr |= 2;
    c->tr = seg;
}

/* VERR/VERW: ZF=1 when the segment could be read / written at this CPL. */
static void verify(struct cpu *c, uint16_t sel, bool write)
{
    bool ok = false;
    struct desc d;
    if ((sel & ~3u) != 0 && cpu_read_descriptor(c, sel, &d)) {
        struct cpu_seg seg;
        cpu_desc_to_seg(&d, sel, &seg);
        unsigned dpl = SA_DPL_OF(seg.attr), rpl = sel & 3;
        bool conforming = (seg.attr & (SA_CODE | SA_DC)) == (SA_CODE | SA_DC);
        if (seg.attr & SA_S) {
            bool priv = conforming || (dpl >= c->cpl && dpl >= rpl);
            if (write)
                ok = priv && !(seg.attr & SA_CODE) && (seg.attr & SA_RW);
            else
                ok = priv && (!(seg.attr & SA_CODE) || (seg.attr & SA_RW));
        }
    }
    uint32_t f = get_arith_flags(c) & ~F_ZF;
    set_arith_flags(c, f | (ok ? F_ZF : 0));
}

void cpu_exec_grp6(struct cpu *c, const struct insn *in)
{
    if (!cpu_protected(c))
        cpu_fault(c, EXC_UD, 0);
    uint32_t addr = IS_MEM(in) ? ea_of(c, in) : 0;
    switch (in->reg) {
    case 0: /* SLDT */
    case 1: { /* STR */
        uint16_t v = in->reg == 0 ? c->ldtr.sel : c->tr.sel;
        if (!IS_MEM(in) && (in->flags & I_O32))
            c->gpr[in->rm] = v;
        else
            wr_e(c, in, addr, v, 16);
        break;
    }
    case 2:
    case 3: {
        if (c->cpl != 0)
            cpu_fault(c, EXC_GP, 0);
        uint16_t sel = (uint16_t)rd_e(c, in, addr, 16);
        if (in->reg == 2)
            lldt(c, sel);
        else
            ltr(c, sel);
        break;
    }
    case 4:
    case 5:
        verify(c, (uint16_t)rd_e(c, in, addr, 16), in->reg == 5);
        break;
    default:
        cpu_fault(c, EXC_UD, 0);
    }
}

/* LAR (lsl=false) and LSL. */
void cpu_exec_lar_lsl(struct cpu *c, const struct insn *in, bool lsl)
{
    if (!cpu_protected(c))
        cpu_fault(c, EXC_UD, 0);
    unsigned bits = BITS_V(in);
    uint16_t sel = (uint16_t)rd_e(c, in, IS_MEM(in) ? ea_of(c, in) : 0, 16);
    struct desc d;
    bool ok = false;
    struct cpu_seg seg = { 0 };
    if ((sel & ~3u) != 0 && cpu_read_descriptor(c, sel, &d)) {
        cpu_desc_to_seg(&d, sel, &seg);
        unsigned dpl = SA_DPL_OF(seg.attr), rpl = sel & 3;
        bool conforming = (seg.attr & (SA_S | SA_CODE | SA_DC)) == (SA_S | SA_CODE | SA_DC);
        if (seg.attr & SA_S) {
            ok = true;
        } else {
            /* System types LAR accepts: TSSs, LDT, call and task gates;
             * LSL only those with a limit (TSSs and the LDT). */
            static const uint16_t lar_types = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 4) | (1 << 5) |
                                              (1 << 9) | (1 << 11) | (1 << 12);
            static const uint16_t lsl_types = (1 << 1) | (1 << 2) | (1 << 3) | (1 << 9) | (1 << 11);
            unsigned t = seg.attr & SA_TYPE;
            ok = ((lsl ? lsl_types : lar_types) >> t) & 1;
            if (c->mi->model == CPU_286 && t >= 8)
                ok = false;
        }
        if (ok && !conforming && (dpl < c->cpl || dpl < rpl))
            ok = false;
    }
    uint32_t f = get_arith_flags(c) & ~F_ZF;
    if (ok) {
        uint32_t v = lsl ? seg.limit : (d.hi & (bits == 32 ? 0x00F0FF00u : 0xFF00u));
        set_reg(c, in->reg, v, bits);
        f |= F_ZF;
    }
    set_arith_flags(c, f);
}

void cpu_exec_arpl(struct cpu *c, const struct insn *in)
{
    if (!cpu_protected(c))
        cpu_fault(c, EXC_UD, 0);
    uint32_t addr = IS_MEM(in) ? ea_of(c, in) : 0;
    uint16_t dst = (uint16_t)rd_e(c, in, addr, 16);
    uint16_t src = get_r16(c, in->reg);
    uint32_t f = get_arith_flags(c) & ~F_ZF;
    if ((dst & 3) < (src & 3)) {
        wr_e(c, in, addr, (dst & ~3u) | (src & 3), 16);
        f |= F_ZF;
    }
    set_arith_flags(c, f);
}
