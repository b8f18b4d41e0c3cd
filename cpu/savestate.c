/* The CPU's part of a savestate (mem/sv.h): the architectural registers,
 * the descriptor caches, the x87, the MSRs, the debug registers and the
 * interrupt latches, field by field.  Caches (TLB, decoded instructions,
 * the fetch window, the fast path's segment ranges) are not saved: they
 * are rebuilt from what is.  A savestate is taken at an instruction
 * boundary, so nothing of an exception in flight needs saving either. */
#include "cpu/interp.h"
#include "mem/sv.h"

#include <stdlib.h>
#include <string.h>

static void put_seg(struct sv_writer *w, const struct cpu_seg *s)
{
    sv_put_u16(w, s->sel);
    sv_put_u32(w, s->base);
    sv_put_u32(w, s->limit);
    sv_put_u16(w, s->attr);
}

static void get_seg(struct sv_reader *r, struct cpu_seg *s)
{
    s->sel = sv_get_u16(r);
    s->base = sv_get_u32(r);
    s->limit = sv_get_u32(r);
    /* Bits 8-11 (the descriptor's limit 19:16) are never kept there. */
    s->attr = sv_get_u16(r);
    sv_check(r, (s->attr & 0x0F00u) == 0, "segment attributes");
}

void cpu_save(const struct cpu *c, struct sv_writer *w)
{
    sv_put_u8(w, (uint8_t)c->mi->model);
    sv_put_bool(w, c->fpu.present);
    for (int i = 0; i < 8; i++)
        sv_put_u32(w, c->gpr[i]);
    sv_put_u32(w, c->eip);
    /* The lazy flags as they are: another representation of the same
     * flags would do, but this way a restored run is bit for bit the run
     * that was saved. */
    sv_put_u32(w, c->lf_res);
    sv_put_u32(w, c->lf_aux);
    sv_put_u32(w, c->eflags);
    for (int s = 0; s < S_NSEG; s++)
        put_seg(w, &c->seg[s]);
    put_seg(w, &c->ldtr);
    put_seg(w, &c->tr);
    sv_put_u8(w, c->cpl);
    sv_put_u32(w, c->cr0);
    sv_put_u32(w, c->cr2);
    sv_put_u32(w, c->cr3);
    sv_put_u32(w, c->cr4);
    for (int i = 0; i < 8; i++)
        sv_put_u32(w, c->dr[i]);
    sv_put_u32(w, c->gdtr.base);
    sv_put_u16(w, c->gdtr.limit);
    sv_put_u32(w, c->idtr.base);
    sv_put_u16(w, c->idtr.limit);
    /* PAE's PDPTEs are loaded at a CR3 write and kept: the table in memory
     * may have changed since. */
    for (int i = 0; i < 4; i++)
        sv_put_u64(w, c->pdpte[i]);

    const struct fpu *f = &c->fpu;
    sv_put_u16(w, f->cw);
    sv_put_u16(w, f->sw);
    sv_put_u8(w, f->top);
    sv_put_u8(w, f->empty);
    for (int i = 0; i < 8; i++) {
        sv_put_u64(w, f->st[i].sig);
        sv_put_u16(w, f->st[i].se);
    }
    sv_put_u32(w, f->fip);
    sv_put_u32(w, f->fdp);
    sv_put_u16(w, f->fcs);
    sv_put_u16(w, f->fds);
    sv_put_u16(w, f->fop);
    sv_put_bool(w, f->ferr_level);

    const struct cpu_msrs *m = &c->msr;
    for (size_t i = 0; i < sizeof m->mtrr / sizeof m->mtrr[0]; i++)
        sv_put_u64(w, m->mtrr[i]);
    for (size_t i = 0; i < sizeof m->mc / sizeof m->mc[0]; i++)
        sv_put_u64(w, m->mc[i]);
    sv_put_u64(w, m->p5_mc[0]);
    sv_put_u64(w, m->p5_mc[1]);
    sv_put_u64(w, m->mcg_status);
    sv_put_u64(w, m->mcg_ctl);
    sv_put_u64(w, m->bios_sign);
    for (int i = 0; i < 4; i++)
        sv_put_u64(w, m->perf[i]);
    sv_put_u32(w, m->apic_base);
    sv_put_u64(w, c->tsc_offset);

    sv_put_bool(w, c->intr);
    sv_put_bool(w, c->nmi);
    sv_put_bool(w, c->nmi_blocked);
    sv_put_bool(w, c->halted);
    sv_put_u64(w, c->inhibit_at);
    sv_put_u64(w, c->icount);
    /* A REP string cut between iterations: after a load it is fetched
     * anew, and a debugger's breakpoint on it must not stop it again, as
     * it would not have in the run that was saved. */
    sv_put_bool(w, c->resume_valid && c->resume_eip == c->eip && c->resume_cs_base == c->seg[S_CS].base);
}

void cpu_load(struct cpu *c, struct sv_reader *r, unsigned version)
{
    if (version != CPU_SV_VERSION) {
        sv_fail(r, "version %u, this Popek reads %u", version, CPU_SV_VERSION);
        return;
    }
    unsigned model = sv_get_u8(r);
    bool fpu_present = sv_get_bool(r);
    if (sv_ok(r) && model != (unsigned)c->mi->model) {
        sv_fail(r, "saved from a %s CPU, this machine has a %s", model < CPU_NMODELS ? cpu_models[model].name : "unknown",
                c->mi->name);
        return;
    }
    if (sv_ok(r) && fpu_present != c->fpu.present) {
        sv_fail(r, "saved %s an FPU, this machine has %s", fpu_present ? "with" : "without",
                c->fpu.present ? "one" : "none");
        return;
    }
    for (int i = 0; i < 8; i++)
        c->gpr[i] = sv_get_u32(r);
    c->gpr[8] = 0;
    c->eip = sv_get_u32(r);
    c->lf_res = sv_get_u32(r);
    c->lf_aux = sv_get_u32(r);
    uint32_t ef = sv_get_u32(r);
    sv_check(r, (ef & ARITH_FLAGS) == 0 && (ef & ~(c->mi->flags_mask | c->mi->flags_fixed1)) == 0 &&
                    (ef & c->mi->flags_fixed1) == c->mi->flags_fixed1,
             "EFLAGS");
    c->eflags = ef;
    for (int s = 0; s < S_NSEG; s++)
        get_seg(r, &c->seg[s]);
    get_seg(r, &c->ldtr);
    get_seg(r, &c->tr);
    c->cpl = (uint8_t)sv_get_max(r, 1, 3, "CPL");
    c->cr0 = sv_get_u32(r);
    c->cr2 = sv_get_u32(r);
    c->cr3 = sv_get_u32(r);
    c->cr4 = sv_get_u32(r);
    for (int i = 0; i < 8; i++)
        c->dr[i] = sv_get_u32(r);
    c->gdtr.base = sv_get_u32(r);
    c->gdtr.limit = sv_get_u16(r);
    c->idtr.base = sv_get_u32(r);
    c->idtr.limit = sv_get_u16(r);
    for (int i = 0; i < 4; i++)
        c->pdpte[i] = sv_get_u64(r);

    struct fpu *f = &c->fpu;
    f->cw = sv_get_u16(r);
    f->sw = sv_get_u16(r);
    f->top = (uint8_t)sv_get_max(r, 1, 7, "FPU TOP");
    f->empty = sv_get_u8(r);
    for (int i = 0; i < 8; i++) {
        f->st[i].sig = sv_get_u64(r);
        f->st[i].se = sv_get_u16(r);
    }
    f->fip = sv_get_u32(r);
    f->fdp = sv_get_u32(r);
    f->fcs = sv_get_u16(r);
    f->fds = sv_get_u16(r);
    f->fop = (uint16_t)sv_get_max(r, 2, 0x7FF, "FPU opcode");
    f->ferr_level = sv_get_bool(r);

    struct cpu_msrs *m = &c->msr;
    for (size_t i = 0; i < sizeof m->mtrr / sizeof m->mtrr[0]; i++)
        m->mtrr[i] = sv_get_u64(r);
    for (size_t i = 0; i < sizeof m->mc / sizeof m->mc[0]; i++)
        m->mc[i] = sv_get_u64(r);
    m->p5_mc[0] = sv_get_u64(r);
    m->p5_mc[1] = sv_get_u64(r);
    m->mcg_status = sv_get_u64(r);
    m->mcg_ctl = sv_get_u64(r);
    m->bios_sign = sv_get_u64(r);
    for (int i = 0; i < 4; i++)
        m->perf[i] = sv_get_u64(r);
    m->apic_base = sv_get_u32(r);
    c->tsc_offset = sv_get_u64(r);

    c->intr = sv_get_bool(r);
    c->nmi = sv_get_bool(r);
    c->nmi_blocked = sv_get_bool(r);
    c->halted = sv_get_bool(r);
    c->inhibit_at = sv_get_u64(r);
    c->icount = sv_get_u64(r);
    bool mid_rep = sv_get_bool(r);
    if (!sv_ok(r))
        return;

    /* What the saved state implies, rebuilt.  A REP string cut between
     * iterations is fetched anew from memory (it resumes from ECX/ESI/EDI
     * all the same). */
    c->resume_valid = false;
    c->brk_skip = mid_rep;
    c->brk_skip_lin = c->seg[S_CS].base + c->eip;
    c->brk_skip_icount = c->icount;
    c->exc_vector = -1;
    c->deliv_vec = -1;
    c->deliv_ext = 0;
    c->int_taken = false;
    c->db_hits = 0;
    c->stop_req = false;
    c->exit_now = false;
    cpu_events_raise(c); /* re-examined at the next instruction */
    cpu_debug_changed(c);
    cpu_tlb_flush(c);
    cpu_icache_flush(c);
    cpu_mode_changed(c);
}

struct cpu *cpu_backup(const struct cpu *c)
{
    struct cpu *b = malloc(sizeof(*b));
    if (b)
        memcpy(b, c, sizeof(*b));
    return b;
}

void cpu_restore_backup(struct cpu *c, struct cpu *b)
{
    memcpy(c, b, sizeof(*c));
    free(b);
    /* The load in between flushed the TLB and cleared the bus's code
     * marks: what the copy still caches must go. */
    cpu_tlb_flush(c);
    cpu_icache_flush(c);
    cpu_events_raise(c);
}
