/* The interpreter's implementation of the CPU backend interface (cpu.h):
 * lifecycle, state access, the decoded-instruction cache and the run loop. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/operand.h"

struct cpu *cpu_create(enum cpu_model model, struct bus *bus)
{
    if ((unsigned)model >= CPU_NMODELS)
        return NULL;
    struct cpu *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->tlb_wpages = calloc((bus->ram_size >> BUS_PAGE_SHIFT) / 8 + 1, 1);
    if (!c->tlb_wpages || !cpu_block_init(c)) {
        cpu_block_free(c);
        free(c->tlb_wpages);
        free(c);
        return NULL;
    }
    c->mi = &cpu_models[model];
    c->bus = bus;
    c->tfilter = (struct cpu_trace_filter){ 0, 0xFFFFFFFFu, 0xF, 0, 0 };
    bus->code_write_hook = cpu_code_write_hook;
    bus->code_write_opaque = c;
    cpu_tlb_init(c);
    cpu_reset(c);
    return c;
}

void cpu_destroy(struct cpu *c)
{
    if (!c)
        return;
    if (c->bus && c->bus->code_write_opaque == c) {
        c->bus->code_write_hook = NULL;
        c->bus->code_write_opaque = NULL;
    }
    free(c->tlb_wpages);
    cpu_block_free(c);
    free(c->brk);
    free(c->wp);
    free(c);
}

enum cpu_model cpu_model(const struct cpu *c)
{
    return c->mi->model;
}

static void seg_set(struct cpu *c, int s, uint16_t sel, uint32_t base, uint32_t limit, uint16_t attr)
{
    c->seg[s] = (struct cpu_seg){ sel, base, limit, attr };
    cpu_update_segr(c, s);
}

void cpu_reset(struct cpu *c)
{
    if ((c->log_mask & CPU_LOG_CPU_RESET) && c->log) {
        fprintf(c->log, "CPU Reset (the state before it):\n");
        cpu_dump(c, c->log);
    }
    memset(c->gpr, 0, sizeof(c->gpr));
    c->eflags = c->mi->flags_fixed1;
    set_arith_flags(c, 0);
    c->cr0 = c->mi->model >= CPU_486 ? 0x60000010u : 0;
    if (c->mi->model == CPU_386 && c->fpu.present)
        c->cr0 |= CR0_ET; /* the 386's ET says whether a 387 is fitted */
    if (c->mi->model == CPU_286)
        c->cr0 = 0xFFF0;
    c->cr2 = c->cr3 = c->cr4 = 0;
    c->cpl = 0;
    memset(c->dr, 0, sizeof(c->dr));
    c->dr[6] = 0xFFFF0FF0u;
    c->dr[7] = 0x00000400u;
    /* Data segments: present, writable, accessed; 64 KiB. */
    for (int s = 0; s < S_NSEG; s++)
        seg_set(c, s, 0, 0, 0xFFFF, 0x0093);
    switch (c->mi->model) {
    case CPU_8086:
        seg_set(c, S_CS, 0xFFFF, 0xFFFF0, 0xFFFF, 0x009B);
        c->eip = 0;
        break;
    case CPU_286:
        seg_set(c, S_CS, 0xF000, 0xFF0000, 0xFFFF, 0x009B);
        c->eip = 0xFFF0;
        break;
    default:
        seg_set(c, S_CS, 0xF000, 0xFFFF0000u, 0xFFFF, 0x009B);
        c->eip = 0xFFF0;
        break;
    }
    c->ldtr = (struct cpu_seg){ 0, 0, 0xFFFF, 0x0082 };
    c->tr = (struct cpu_seg){ 0, 0, 0xFFFF, 0x008B };
    c->gpr[R_EDX] = c->mi->cpuid_sig;
    c->gdtr.base = c->idtr.base = 0;
    c->gdtr.limit = c->idtr.limit = 0xFFFF;
    fpu_reset(&c->fpu);
    cpu_msr_reset(c);
    c->intr = c->nmi = c->nmi_blocked = c->halted = false;
    c->resume_valid = false;
    c->inhibit_at = 0;
    c->exc_vector = -1;
    c->deliv_vec = -1;
    c->deliv_ext = 0;
    cpu_debug_changed(c); /* DR7 is clear now; a debugger's breakpoints stay */
    cpu_icache_flush(c);
    cpu_mode_changed(c);
}

void cpu_update_segr(struct cpu *c, int s)
{
    if (s == S_CS)
        cpu_fetch_invalidate(c);
    const struct cpu_seg *sg = &c->seg[s];
    uint32_t lo, hi;
    /* Expand-down data segments (type bit 2 set on a data segment) are valid
     * above the limit, up to 64 KiB or 4 GiB by the B bit. */
    if ((sg->attr & (SA_S | SA_CODE | SA_DC)) == (SA_S | SA_DC)) {
        lo = sg->limit + 1;
        hi = (sg->attr & SA_DB) ? 0xFFFFFFFFu : 0xFFFF;
    } else {
        lo = 0;
        hi = sg->limit;
    }
    /* The 8086 has no limits: every 16-bit offset is valid, and a word at
     * FFFFh wraps inside the segment, which the slow path does.  Real and
     * virtual-8086 mode check limits but not types.  (Computed in locals
     * and stored field by field: reading back a just-stored struct stalls
     * store forwarding.) */
    bool rd = true, wr = true;
    if (cpu_protected(c)) {
        if (!(sg->attr & SA_P) || (s != S_CS && (sg->sel & ~3u) == 0 && !(sg->attr & SA_S)))
            rd = wr = false;
        else if (sg->attr & SA_CODE)
            wr = false, rd = (sg->attr & SA_RW) != 0;
        else if (!(sg->attr & SA_RW))
            wr = false;
    }
    c->segr_r[s].lo = rd ? lo : 1;
    c->segr_r[s].hi = rd ? hi : 0;
    c->segr_w[s].lo = wr ? lo : 1;
    c->segr_w[s].hi = wr ? hi : 0;
    c->fend_r[s] = rd && lo == 0 ? (uint64_t)hi + 1 : 0;
    c->fend_w[s] = wr && lo == 0 ? (uint64_t)hi + 1 : 0;
    uint32_t bit = 1u << s;
    bool flat = sg->base == 0 && lo == 0 && hi == 0xFFFFFFFFu;
    c->flat_r = (rd && flat) ? c->flat_r | bit : c->flat_r & ~bit;
    c->flat_w = (wr && flat) ? c->flat_w | bit : c->flat_w & ~bit;
}

void cpu_mode_changed(struct cpu *c)
{
    for (int s = 0; s < S_NSEG; s++)
        cpu_update_segr(c, s);
    c->tlbp = c->tlb[c->cpl == 3];
}

void cpu_load_seg_real(struct cpu *c, int s, uint16_t sel)
{
    /* Real mode changes only selector and base: limits and attributes stay,
     * which is how "unreal" mode keeps its 4 GiB limits. */
    c->seg[s].sel = sel;
    c->seg[s].base = (uint32_t)sel << 4;
    cpu_update_segr(c, s);
}

void cpu_state_real_seg(struct cpu_state *st, int s, uint16_t sel)
{
    st->seg[s] = (struct cpu_seg){ sel, (uint32_t)sel << 4, 0xFFFF, s == S_CS ? 0x009B : 0x0093 };
}

void cpu_get_state(const struct cpu *c, struct cpu_state *st)
{
    memset(st, 0, sizeof(*st));
    memcpy(st->gpr, c->gpr, sizeof(st->gpr));
    st->eip = c->eip;
    st->eflags = get_eflags(c);
    memcpy(st->seg, c->seg, sizeof(st->seg));
    st->ldtr = c->ldtr;
    st->tr = c->tr;
    st->cr0 = c->cr0;
    st->cr2 = c->cr2;
    st->cr3 = c->cr3;
    st->cr4 = c->cr4;
    st->gdtr.base = c->gdtr.base;
    st->gdtr.limit = c->gdtr.limit;
    st->idtr.base = c->idtr.base;
    st->idtr.limit = c->idtr.limit;
    st->halted = c->halted;
}

void cpu_set_state(struct cpu *c, const struct cpu_state *st)
{
    memcpy(c->gpr, st->gpr, sizeof(st->gpr));
    c->gpr[8] = 0;
    c->eip = st->eip;
    c->eflags = 0;
    cpu_write_eflags(c, st->eflags, 0xFFFFFFFFu);
    memcpy(c->seg, st->seg, sizeof(c->seg));
    c->ldtr = st->ldtr;
    c->tr = st->tr;
    c->cr0 = st->cr0;
    c->cr2 = st->cr2;
    c->cr3 = st->cr3;
    c->cr4 = st->cr4;
    /* CPL is CS's RPL in protected mode, 3 in virtual-8086 mode, 0 in real mode. */
    c->cpl = cpu_v86(c) ? 3 : cpu_protected(c) ? (c->seg[S_CS].sel & 3) : 0;
    if ((c->cr0 & CR0_PG) && (c->cr4 & CR4_PAE))
        (void)cpu_load_pdptes(c);
    c->gdtr.base = st->gdtr.base;
    c->gdtr.limit = st->gdtr.limit;
    c->idtr.base = st->idtr.base;
    c->idtr.limit = st->idtr.limit;
    c->halted = st->halted;
    c->inhibit_at = 0;
    c->resume_valid = false;
    cpu_tlb_flush(c);
    cpu_mode_changed(c);
}

void cpu_write_eflags(struct cpu *c, uint32_t val, uint32_t mask)
{
    const struct cpu_model_info *mi = c->mi;
    mask &= mi->flags_mask;
    uint32_t cur = get_eflags(c);
    uint32_t v = ((cur & ~mask) | (val & mask) | mi->flags_fixed1);
    v &= mi->flags_mask | mi->flags_fixed1;
    bool ac_before = cpu_ac_active(c);
    set_arith_flags(c, v);
    c->eflags = v & ~ARITH_FLAGS;
    /* Single-stepping and alignment checking run in the careful lane. */
    if (v & (F_TF | F_AC))
        cpu_events_raise(c);
    if (cpu_ac_active(c) != ac_before)
        cpu_tlb_flush(c);
}

void cpu_set_intr(struct cpu *c, bool level)
{
    c->intr = level;
    if (level)
        cpu_events_raise(c);
}

void cpu_set_intr_ack(struct cpu *c, uint8_t (*ack)(void *opaque), void *opaque)
{
    c->intr_ack = ack;
    c->intr_opaque = opaque;
}

void cpu_set_nmi(struct cpu *c)
{
    c->nmi = true;
    cpu_events_raise(c);
}

void cpu_request_stop(struct cpu *c)
{
    c->stop_req = true;
    cpu_events_raise(c);
}

/* A trace that starts at from= waits, held, until the count gets there:
 * until then the CPU runs at full speed, outside the careful lane. */
static void trace_hold(struct cpu *c)
{
    if (!c->trace && c->trace_held) {
        c->trace = c->trace_held;
        c->trace_held = NULL;
    }
    if (c->trace && c->icount < c->tfilter.from) {
        c->trace_held = c->trace;
        c->trace = NULL;
    }
    cpu_events_raise(c);
}

void cpu_set_trace(struct cpu *c, FILE *f)
{
    c->trace = f;
    c->trace_held = NULL;
    trace_hold(c);
}

const char *cpu_error(const struct cpu *c)
{
    return c->errmsg;
}

uint64_t cpu_instructions(const struct cpu *c)
{
    /* Devices ask (for the time) in the middle of a decoded run too. */
    if (c->blk_cur)
        return cpu_block_icount(c);
    return c->icount;
}

void cpu_set_trace_filter(struct cpu *c, const struct cpu_trace_filter *f)
{
    c->tfilter = *f;
    c->traced = 0;
    trace_hold(c);
}

void cpu_set_trace_disasm(struct cpu *c, cpu_disasm_fn fn, void *opaque)
{
    c->tdisasm = fn;
    c->tdisasm_opaque = opaque;
}

void cpu_set_log(struct cpu *c, FILE *f, unsigned mask)
{
    c->log = f;
    c->log_mask = f ? mask : 0;
    c->guest_errors = 0;
}

#define GUEST_ERRORS_LOGGED 10

void cpu_guest_error(struct cpu *c, const char *fmt, ...)
{
    if (!(c->log_mask & CPU_LOG_GUEST_ERRORS) || c->guest_errors > GUEST_ERRORS_LOGGED)
        return;
    if (c->guest_errors++ == GUEST_ERRORS_LOGGED) {
        fprintf(c->log, "popek: guest error: further guest errors are not logged\n");
        return;
    }
    va_list ap;
    va_start(ap, fmt);
    fprintf(c->log, "popek: guest error: ");
    vfprintf(c->log, fmt, ap);
    va_end(ap);
    fprintf(c->log, " (instruction %llu)\n", (unsigned long long)c->icount);
    cpu_dump(c, c->log);
    fflush(c->log);
}

void cpu_error_exit(struct cpu *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
    va_end(ap);
    c->exit_reason = CPU_EXIT_ERROR;
    c->exit_now = true;
    longjmp(c->env, 1);
}

/* ---- decoded-instruction cache ------------------------------------- */

void cpu_icache_flush(struct cpu *c)
{
    for (unsigned i = 0; i < ICACHE_SIZE; i++)
        c->icache[i].tag = 0;
    cpu_block_flush(c);
}

uint64_t cpu_code_write_hook(void *opaque, uint32_t page_base, uint64_t granules, uint32_t off, uint32_t len)
{
    struct cpu *c = opaque;
    /* Only what the write overlaps goes: a DOS program that patches one
     * immediate keeps the rest of its loop decoded. */
    uint64_t w0 = (uint64_t)page_base + off, w1 = w0 + len, keep = 0;
    for (unsigned g = 0; g < 64; g++) {
        if (!((granules >> g) & 1))
            continue;
        uint32_t start = page_base + (g << BUS_CODE_GRANULE_SHIFT);
        /* What starts in a granule ends at most 14 bytes past it (runs
         * too: all their instructions start in their first granule).  The
         * granule before the written one (the bus reports it) is then often
         * out of reach: kept as it is, unscanned. */
        if (w0 >= (uint64_t)start + (1u << BUS_CODE_GRANULE_SHIFT) + 14) {
            keep |= 1ull << g;
            continue;
        }
        bool code = false;
        /* A granule never wraps the cache (its size divides ICACHE_SIZE). */
        struct icache_entry *e = &c->icache[start & (ICACHE_SIZE - 1)];
        for (uint32_t i = 0; i < (1u << BUS_CODE_GRANULE_SHIFT); i++) {
            if (!e[i].tag || (uint32_t)e[i].tag != start + i)
                continue;
            if (start + i < w1 && w0 < (uint64_t)start + i + e[i].in.len)
                e[i].tag = 0;
            else
                code = true;
        }
        if (cpu_block_invalidate(c, start, 1u << BUS_CODE_GRANULE_SHIFT, w0, w1))
            code = true;
        if (code)
            keep |= 1ull << g;
    }
    return keep;
}

/* The bytes of a newly cached instruction are code now: writes to them
 * must leave the fast path so that they reach the invalidation hook. */
void cpu_mark_code(struct cpu *c, uint32_t phys, unsigned len)
{
    if (bus_mark_code(c->bus, phys, len)) {
        /* By host page, so that aliases of the RAM page lose it too. */
        const uint8_t *host = bus_page(c->bus, phys)->host;
        uint32_t rp = (uint32_t)(host - c->bus->ram) >> BUS_PAGE_SHIFT;
        uint8_t bit = (uint8_t)(1u << (rp & 7));
        if (!(c->tlb_wpages[rp >> 3] & bit))
            return;
        c->tlb_wpages[rp >> 3] &= (uint8_t)~bit;
        for (unsigned u = 0; u < 2; u++)
            for (unsigned k = 0; k < c->tlb_nused[u]; k++) {
                struct tlb_entry *e = &c->tlb[u][c->tlb_used[u][k]];
                if (e->tag_w != TLB_INVALID && (const uint8_t *)(e->addend + e->tag_w) == host) {
                    e->tag_wc = e->tag_w; /* its writes go to the bus now */
                    e->tag_w = TLB_INVALID;
                }
            }
    }
}

/* Sets the fetch window for the page holding CS:EIP, when that page is RAM
 * or ROM and all of it (as far as EIP can reach it) is inside CS's limit. */
static void fetch_window(struct cpu *c, uint32_t lin)
{
    struct fetch_win *w = &c->fwin[(lin >> 12) & (FWIN_SIZE - 1)];
    if (w->gen == c->fwin_gen && w->lin == (lin & ~0xFFFu)) {
        c->fp_lo = w->lo;
        c->fp_size = w->size;
        c->fp_host = w->host;
        c->fp_tag = w->tag;
        c->fp_btag = w->btag;
        return;
    }
    c->fp_size = 0;
    uint32_t phys = cpu_translate_fetch(c, lin);
    const struct bus_page *p = bus_page(c->bus, phys);
    if (p->kind != BUS_RAM && p->kind != BUS_ROM)
        return;
    uint32_t start = c->eip - (lin & 0xFFF); /* EIP of the page's first byte */
    uint32_t lo = start, size = 0x1000;
    if (lo > c->eip) { /* the page starts below EIP 0 */
        size -= 0u - lo;
        lo = 0;
    }
    uint32_t limit = c->seg[S_CS].limit;
    if (lo > limit)
        return;
    bool cut = limit - lo < size - 1;
    if (cut) {
        /* CS ends inside this page: leave its last 15 bytes to the slow
         * path, which checks that a whole instruction fits the limit, so
         * the fast path need not. */
        size = limit - lo + 1;
        size = size > 15 ? size - 15 : 0;
    }
    c->fp_lo = lo;
    c->fp_size = size;
    c->fp_host = p->host + (lo - start);
    c->fp_tag = ICTAG((phys & ~0xFFFu) + (lo - start), c->icmode);
    c->fp_btag = c->fp_tag | (cut ? BLK_NOTAG : 0);
    *w = (struct fetch_win){ c->fwin_gen, lin & ~0xFFFu, lo, size, c->fp_tag, c->fp_btag, c->fp_host };
}

void cpu_fetch_invalidate(struct cpu *c)
{
    cpu_fetch_forget(c);
    c->icmode = ICMODE_VALID | ((c->seg[S_CS].attr >> 14) & 1);
}

void cpu_fetch_window(struct cpu *c)
{
    if (c->mi->model != CPU_8086 || c->eip <= 0xFFFF)
        fetch_window(c, c->seg[S_CS].base + c->eip);
    else
        c->fp_size = 0;
}

const struct insn *cpu_fetch_insn_slow(struct cpu *c, struct insn *scratch)
{
    cpu_fetch_window(c);
    if (c->fp_size && c->eip - c->fp_lo < c->fp_size) {
        uint64_t tag = c->fp_tag + (c->eip - c->fp_lo);
        struct icache_entry *e = &c->icache[tag & (ICACHE_SIZE - 1)];
        if (e->tag == tag)
            return &e->in;
    } else {
        /* Outside the window (or near the CS limit): a cached entry is
         * usable only if the whole instruction is inside the limit. */
        uint32_t lin = c->seg[S_CS].base + c->eip;
        uint32_t phys = cpu_translate_fetch(c, lin);
        struct icache_entry *e = &c->icache[phys & (ICACHE_SIZE - 1)];
        if (e->tag == ICTAG(phys, c->icmode) && c->eip + e->in.len - 1 <= c->seg[S_CS].limit &&
            c->eip + e->in.len - 1 >= c->eip && (bus_page(c->bus, phys)->kind == BUS_RAM ||
                                                 bus_page(c->bus, phys)->kind == BUS_ROM))
            return &e->in;
    }
    cpu_decode(c, scratch);
    if (scratch->flags & I_NOCACHE)
        return scratch;
    uint32_t phys = c->decode_phys;
    const struct bus_page *p = bus_page(c->bus, phys);
    if (p->kind != BUS_RAM && p->kind != BUS_ROM)
        return scratch;
    cpu_mark_code(c, phys, scratch->len);
    struct icache_entry *e = &c->icache[phys & (ICACHE_SIZE - 1)];
    e->tag = ICTAG(phys, c->icmode);
    e->in = *scratch;
    return &e->in;
}

/* ---- the run loop -------------------------------------------------- */

void cpu_rep_suspend(struct cpu *c, const struct insn *in)
{
    if (in != &c->resume_in)
        c->resume_in = *in;
    c->resume_eip = c->eip;
    c->resume_cs_base = c->seg[S_CS].base;
    c->resume_mode = c->icmode;
    c->resume_valid = true;
    cpu_events_raise(c);
}

static bool take_interrupt(struct cpu *c)
{
    if ((c->nmi && !c->nmi_blocked) || (c->intr && (c->eflags & F_IF) && c->icount != c->inhibit_at))
        c->resume_valid = false; /* the handler's IRET fetches the instruction anew */
    if (c->nmi && !c->nmi_blocked) {
        c->nmi = false;
        c->halted = false;
        /* SDM vol. 3, 6.7.1: from the delivery of an NMI until the next
         * IRET, further NMIs are held (one stays latched).  The 8086 has
         * no such blocking: its NMIs nest. */
        c->nmi_blocked = c->mi->model != CPU_8086;
        cpu_hw_interrupt(c, EXC_NMI);
        return true;
    }
    if (c->intr && (c->eflags & F_IF) && c->icount != c->inhibit_at) {
        c->halted = false;
        uint8_t vec = c->intr_ack ? c->intr_ack(c->intr_opaque) : 0xFF;
        cpu_hw_interrupt(c, vec);
        return true;
    }
    return false;
}

bool cpu_check_events(struct cpu *c, enum cpu_exit *why)
{
    if (c->stop_req) {
        c->stop_req = false;
        *why = c->hit.hit ? CPU_EXIT_DEBUG : CPU_EXIT_STOP; /* a debugger's hit stops the run so */
        return true;
    }
    if (!take_interrupt(c) && c->halted) {
        *why = CPU_EXIT_HALT;
        return true;
    }
    /* Stay in the careful lane while something can still need attention. */
    c->events = c->nmi || c->intr || c->trace || (c->eflags & F_TF) || c->dbg_active ||
                cpu_ac_active(c) || c->resume_valid;
    if (c->events)
        c->fp_size = 0;
    return false;
}

static enum cpu_exit run_loop(struct cpu *c)
{
    cpu_check_map(c);
    c->deliv_vec = -1;
    c->deliv_ext = 0;
    if (setjmp(c->env)) {
        if (c->blk_cur) { /* unwound from inside a decoded run */
            c->icount = cpu_block_icount(c);
            c->blk_cur = NULL;
        }
        if (c->exit_now)
            return c->exit_reason;
        /* An exception unwound the instruction: deliver it. */
        if (!cpu_deliver_exception(c)) {
            c->deliv_vec = -1;
            snprintf(c->errmsg, sizeof(c->errmsg), "triple fault (shutdown)");
            return CPU_EXIT_SHUTDOWN;
        }
        c->icount++;
        if (c->icount >= c->run_limit)
            return CPU_EXIT_BUDGET;
    }
    cpu_events_raise(c);
    return cpu_run_inner(c);
}

enum cpu_exit cpu_run(struct cpu *c, uint64_t budget, uint64_t *executed)
{
    uint64_t start = c->icount;
    c->run_limit = c->icount + budget;
    if (unlikely(c->trace_held != NULL)) {
        if (c->icount >= c->tfilter.from)
            trace_hold(c); /* the trace starts here */
        else if (c->run_limit > c->tfilter.from)
            c->run_limit = c->tfilter.from;
    }
    c->stepping = false;
    c->exit_now = false;
    c->hit.hit = false;
    enum cpu_exit why = run_loop(c);
    if (executed)
        *executed = c->icount - start;
    return why;
}

enum cpu_exit cpu_step(struct cpu *c)
{
    c->run_limit = c->icount + 1;
    c->stepping = true;
    c->exit_now = false;
    c->hit.hit = false;
    /* A step runs the instruction at CS:EIP even when a breakpoint is on it. */
    c->brk_skip = true;
    c->brk_skip_lin = c->seg[S_CS].base + c->eip;
    c->brk_skip_icount = c->icount;
    enum cpu_exit why = run_loop(c);
    c->stepping = false;
    return why;
}
