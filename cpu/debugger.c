/* What a debugger (the gdb stub) asks of the interpreter beyond the state
 * exchange of cpu.c: breakpoints and watchpoints kept by the emulator, the
 * x87 registers, and segment loads without side effects.
 *
 * Breakpoints reuse the careful lane of debug.c: while any is set,
 * dbg_active keeps every instruction in careful_step, whose check calls
 * cpu_break_hit before the instruction.  Watchpoints reuse the data
 * breakpoints' slow path: dbg_data makes the TLB grant no fast pages, so
 * every access reaches cpu_debug_data.  A hit asks the run to stop
 * (stop_req) and is remembered in c->hit, so that the stop comes at the
 * next instruction boundary, after the accessing instruction completed, and
 * cpu_check_events turns it into CPU_EXIT_DEBUG.  Without breakpoints none
 * of this runs: the fast loop is untouched. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/interp.h"

/* Index of the first breakpoint >= lin. */
static unsigned brk_find(const struct cpu *c, uint32_t lin)
{
    unsigned lo = 0, hi = c->nbrk;
    while (lo < hi) {
        unsigned mid = lo + (hi - lo) / 2;
        if (c->brk[mid] < lin)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static bool grow(void **arr, unsigned *cap, unsigned n, size_t elem)
{
    if (n < *cap)
        return true;
    unsigned ncap = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, (size_t)ncap * elem);
    if (!p)
        return false;
    *arr = p;
    *cap = ncap;
    return true;
}

int cpu_break_insert(struct cpu *c, enum cpu_watch kind, uint32_t lin, uint32_t len)
{
    if (kind == CPU_BREAK_EXEC) {
        unsigned i = brk_find(c, lin);
        if (i < c->nbrk && c->brk[i] == lin)
            return 0; /* already there: gdb may insert twice */
        if (!grow((void **)&c->brk, &c->brk_cap, c->nbrk, sizeof(*c->brk)))
            return -ENOMEM;
        memmove(&c->brk[i + 1], &c->brk[i], (c->nbrk - i) * sizeof(*c->brk));
        c->brk[i] = lin;
        c->nbrk++;
    } else if (kind == CPU_WATCH_WRITE || kind == CPU_WATCH_READ || kind == CPU_WATCH_ACCESS) {
        if (len == 0 || (uint64_t)lin + len > 0x100000000ull)
            return -EINVAL;
        for (unsigned i = 0; i < c->nwp; i++)
            if (c->wp[i].lin == lin && c->wp[i].len == len && c->wp[i].kind == kind)
                return 0;
        if (!grow((void **)&c->wp, &c->wp_cap, c->nwp, sizeof(*c->wp)))
            return -ENOMEM;
        c->wp[c->nwp++] = (struct cpu_watchpoint){ lin, len, kind };
    } else {
        return -EINVAL;
    }
    cpu_debug_changed(c);
    return 0;
}

int cpu_break_remove(struct cpu *c, enum cpu_watch kind, uint32_t lin, uint32_t len)
{
    if (kind == CPU_BREAK_EXEC) {
        unsigned i = brk_find(c, lin);
        if (i >= c->nbrk || c->brk[i] != lin)
            return -ENOENT;
        memmove(&c->brk[i], &c->brk[i + 1], (c->nbrk - i - 1) * sizeof(*c->brk));
        c->nbrk--;
    } else {
        unsigned i = 0;
        while (i < c->nwp && !(c->wp[i].lin == lin && c->wp[i].len == len && c->wp[i].kind == kind))
            i++;
        if (i == c->nwp)
            return -ENOENT;
        c->wp[i] = c->wp[--c->nwp];
    }
    cpu_debug_changed(c);
    return 0;
}

void cpu_break_clear(struct cpu *c)
{
    c->nbrk = 0;
    c->nwp = 0;
    cpu_debug_changed(c);
}

void cpu_debug_hit(const struct cpu *c, struct cpu_debug_hit *hit)
{
    *hit = c->hit;
}

void cpu_debug_set_hit(struct cpu *c, const struct cpu_debug_hit *hit)
{
    c->hit = *hit;
}

static void stop_for(struct cpu *c, enum cpu_watch kind, uint32_t addr)
{
    c->hit = (struct cpu_debug_hit){ true, kind, addr };
    c->stop_req = true;
    cpu_events_raise(c);
    cpu_run_stop(c); /* and now: a decoded run ends after this instruction */
}

bool cpu_break_hit(struct cpu *c)
{
    /* A repeat cut between iterations is one instruction still running:
     * its breakpoint was reported (or passed) when it started. */
    if (c->resume_valid && c->eip == c->resume_eip && c->seg[S_CS].base == c->resume_cs_base)
        return false;
    uint32_t lin = c->seg[S_CS].base + c->eip;
    unsigned i = brk_find(c, lin);
    if (i >= c->nbrk || c->brk[i] != lin)
        return false;
    if (c->brk_skip && c->brk_skip_lin == lin && c->brk_skip_icount == c->icount)
        return false; /* the run resumed from this breakpoint */
    c->brk_skip = true;
    c->brk_skip_lin = lin;
    c->brk_skip_icount = c->icount;
    stop_for(c, CPU_BREAK_EXEC, lin);
    return true;
}

void cpu_watch_access(struct cpu *c, uint32_t lin, unsigned size, bool write)
{
    if (c->hit.hit)
        return; /* the first access of the instruction is the one reported */
    uint64_t a0 = lin, a1 = (uint64_t)lin + size; /* [a0, a1): no wrap in 64 bits */
    for (unsigned i = 0; i < c->nwp; i++) {
        const struct cpu_watchpoint *w = &c->wp[i];
        if ((w->kind == CPU_WATCH_WRITE && !write) || (w->kind == CPU_WATCH_READ && write))
            continue;
        uint64_t w0 = w->lin, w1 = (uint64_t)w->lin + w->len;
        if (a0 < w1 && w0 < a1) {
            stop_for(c, w->kind, (uint32_t)(a0 > w0 ? a0 : w0));
            return;
        }
    }
}

/* ---- x87 ------------------------------------------------------------ */

void cpu_get_fpu_state(const struct cpu *c, struct cpu_fpu_state *st)
{
    const struct fpu *f = &c->fpu;
    memset(st, 0, sizeof(*st));
    st->fctrl = f->cw;
    st->fstat = (uint16_t)((f->sw & ~FSW_TOP) | ((unsigned)(f->top & 7) << 11));
    st->ftag = fpu_tag_word(f);
    st->fop = f->fop;
    st->fiseg = f->fcs;
    st->fioff = f->fip;
    st->foseg = f->fds;
    st->fooff = f->fdp;
    for (unsigned i = 0; i < 8; i++) {
        const struct f80 *r = &f->st[(f->top + i) & 7];
        for (unsigned b = 0; b < 8; b++)
            st->st[i][b] = (uint8_t)(r->sig >> (8 * b));
        st->st[i][8] = (uint8_t)r->se;
        st->st[i][9] = (uint8_t)(r->se >> 8);
    }
}

void cpu_set_fpu_state(struct cpu *c, const struct cpu_fpu_state *st)
{
    struct fpu *f = &c->fpu;
    f->cw = st->fctrl;
    f->top = (uint8_t)((st->fstat >> 11) & 7);
    f->sw = (uint16_t)(st->fstat & ~FSW_TOP);
    f->fop = st->fop & 0x7FF;
    f->fcs = st->fiseg;
    f->fip = st->fioff;
    f->fds = st->foseg;
    f->fdp = st->fooff;
    for (unsigned i = 0; i < 8; i++) {
        struct f80 *r = &f->st[(f->top + i) & 7];
        r->sig = 0;
        for (unsigned b = 0; b < 8; b++)
            r->sig |= (uint64_t)st->st[i][b] << (8 * b);
        r->se = (uint16_t)(st->st[i][8] | (st->st[i][9] << 8));
    }
    fpu_apply_tags(f, st->ftag);
}

/* ---- segments ------------------------------------------------------- */

/* Reads len bytes at a linear address through the paging, no side effects. */
static bool peek_lin(const struct cpu *c, uint32_t lin, uint8_t *buf, unsigned len)
{
    for (unsigned i = 0; i < len; i++) {
        uint32_t phys;
        if (!cpu_translate_debug(c, lin + i, &phys))
            return false;
        const struct bus_page *p = bus_page(c->bus, phys);
        if (p->kind != BUS_RAM && p->kind != BUS_ROM)
            return false;
        buf[i] = p->host[phys & BUS_PAGE_MASK];
    }
    return true;
}

bool cpu_debug_load_seg(struct cpu *c, int s, uint16_t sel)
{
    if (s < 0 || s >= S_NSEG)
        return false;
    if (!cpu_protected(c)) {
        cpu_load_seg_real(c, s, sel);
        return true;
    }
    struct cpu_seg seg;
    if ((sel & ~3u) == 0) {
        if (s == S_CS || s == S_SS)
            return false;
        seg = (struct cpu_seg){ sel, 0, 0, 0 }; /* a null selector: unusable */
    } else {
        uint32_t base = c->gdtr.base, limit = c->gdtr.limit;
        if (sel & 4) {
            base = c->ldtr.base;
            limit = c->ldtr.limit;
        }
        if ((uint32_t)(sel & ~7u) + 7 > limit)
            return false;
        uint8_t b[8];
        if (!peek_lin(c, base + (sel & ~7u), b, 8))
            return false;
        struct desc d;
        d.lo = ld_le(b, 4);
        d.hi = ld_le(b + 4, 4);
        d.addr = base + (sel & ~7u);
        cpu_desc_to_seg(&d, sel, &seg);
        if (!(seg.attr & SA_P) || !(seg.attr & SA_S) || (s == S_CS && !(seg.attr & SA_CODE)))
            return false;
    }
    if (s == S_CS) {
        cpu_set_cs(c, &seg, sel & 3);
    } else {
        c->seg[s] = seg;
        cpu_update_segr(c, s);
    }
    cpu_tlb_flush(c);
    cpu_mode_changed(c);
    return true;
}
