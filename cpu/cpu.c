/* The interpreter's implementation of the CPU backend interface (cpu.h):
 * lifecycle, state access, the decoded-instruction cache and the run loop. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/interp.h"

struct cpu *cpu_create(enum cpu_model model, struct bus *bus)
{
    if ((unsigned)model >= CPU_NMODELS)
        return NULL;
    struct cpu *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->icache = calloc(ICACHE_SIZE, sizeof(*c->icache));
    if (!c->icache) {
        free(c);
        return NULL;
    }
    c->mi = &cpu_models[model];
    c->bus = bus;
    bus->code_write_hook = cpu_code_write_hook;
    bus->code_write_opaque = c;
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
    free(c->icache);
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
    memset(c->gpr, 0, sizeof(c->gpr));
    c->eflags = c->mi->flags_fixed1;
    set_arith_flags(c, 0);
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
    c->gpr[R_EDX] = c->mi->cpuid_sig;
    c->cr0 = c->mi->model >= CPU_486 ? 0x60000010u : c->mi->model == CPU_386 ? 0x10u : 0;
    if (c->mi->model == CPU_286)
        c->cr0 = 0xFFF0;
    c->cr2 = c->cr3 = c->cr4 = 0;
    c->gdtr.base = c->idtr.base = 0;
    c->gdtr.limit = c->idtr.limit = 0xFFFF;
    c->intr = c->nmi = c->halted = false;
    c->inhibit_at = 0;
    c->exc_vector = -1;
    c->exc_nest = 0;
    cpu_tlb_flush(c);
    cpu_icache_flush(c);
}

void cpu_update_segr(struct cpu *c, int s)
{
    const struct cpu_seg *sg = &c->seg[s];
    /* Expand-down data segments (type bit 2 set on a data segment) are valid
     * above the limit, up to 64 KiB or 4 GiB by the B bit. */
    if ((sg->attr & 0x1C) == 0x14) {
        c->segr[s].lo = sg->limit + 1;
        c->segr[s].hi = (sg->attr & 0x4000) ? 0xFFFFFFFFu : 0xFFFF;
    } else {
        c->segr[s].lo = 0;
        c->segr[s].hi = sg->limit;
    }
    /* The 8086 has no limits: every 16-bit offset is valid and words at
     * FFFFh wrap inside the segment, which the slow path does. */
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
    for (int s = 0; s < S_NSEG; s++)
        cpu_update_segr(c, s);
    c->cr0 = st->cr0;
    c->cr2 = st->cr2;
    c->cr3 = st->cr3;
    c->cr4 = st->cr4;
    c->gdtr.base = st->gdtr.base;
    c->gdtr.limit = st->gdtr.limit;
    c->idtr.base = st->idtr.base;
    c->idtr.limit = st->idtr.limit;
    c->halted = st->halted;
    c->inhibit_at = 0;
    cpu_tlb_flush(c);
}

void cpu_write_eflags(struct cpu *c, uint32_t val, uint32_t mask)
{
    const struct cpu_model_info *mi = c->mi;
    mask &= mi->flags_mask;
    uint32_t cur = get_eflags(c);
    uint32_t v = ((cur & ~mask) | (val & mask) | mi->flags_fixed1);
    v &= mi->flags_mask | mi->flags_fixed1;
    set_arith_flags(c, v);
    c->eflags = v & ~ARITH_FLAGS;
}

void cpu_set_intr(struct cpu *c, bool level)
{
    c->intr = level;
}

void cpu_set_intr_ack(struct cpu *c, uint8_t (*ack)(void *opaque), void *opaque)
{
    c->intr_ack = ack;
    c->intr_opaque = opaque;
}

void cpu_set_nmi(struct cpu *c)
{
    c->nmi = true;
}

void cpu_request_stop(struct cpu *c)
{
    c->stop_req = true;
}

void cpu_set_trace(struct cpu *c, FILE *f)
{
    c->trace = f;
}

const char *cpu_error(const struct cpu *c)
{
    return c->errmsg;
}

uint64_t cpu_instructions(const struct cpu *c)
{
    return c->icount;
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
        c->icache[i].mode = 0;
}

void cpu_code_write_hook(void *opaque, uint32_t page_base, uint64_t granules)
{
    struct cpu *c = opaque;
    for (unsigned g = 0; g < 64; g++) {
        if (!(granules & (1ull << g)))
            continue;
        uint32_t start = page_base + (g << BUS_CODE_GRANULE_SHIFT);
        for (uint32_t a = start; a < start + (1u << BUS_CODE_GRANULE_SHIFT); a++) {
            struct icache_entry *e = &c->icache[a & (ICACHE_SIZE - 1)];
            if (e->phys == a)
                e->mode = 0;
        }
    }
}

/* The bytes of a newly cached instruction are code now: writes to them
 * must leave the fast path so that they reach the invalidation hook. */
static void mark_code(struct cpu *c, uint32_t phys, unsigned len)
{
    if (bus_mark_code(c->bus, phys, len)) {
        uint32_t page = phys & ~BUS_PAGE_MASK;
        for (unsigned i = 0; i < TLB_SIZE; i++)
            if (c->tlb[i].phys_page == page)
                c->tlb[i].tag_w = TLB_INVALID;
    }
}

const struct insn *cpu_fetch_insn(struct cpu *c, struct insn *scratch)
{
    uint32_t lin = c->seg[S_CS].base + c->eip;
    const struct tlb_entry *t = &c->tlb[(lin >> 12) & (TLB_SIZE - 1)];
    uint32_t mode = ICMODE_VALID | ((c->seg[S_CS].attr >> 14) & 1);
    if (likely(t->tag_r == (lin & ~0xFFFu))) {
        uint32_t phys = t->phys_page | (lin & 0xFFF);
        struct icache_entry *e = &c->icache[phys & (ICACHE_SIZE - 1)];
        if (likely(e->phys == phys && e->mode == mode &&
                   c->eip + e->in.len - 1 <= c->seg[S_CS].limit))
            return &e->in;
    }
    cpu_decode(c, scratch);
    if (scratch->flags & I_NOCACHE)
        return scratch;
    uint32_t phys = c->decode_phys;
    const struct bus_page *p = bus_page(c->bus, phys);
    if (p->kind != BUS_RAM && p->kind != BUS_ROM)
        return scratch;
    mark_code(c, phys, scratch->len);
    /* Fill the TLB for the code page so the next fetch hits. */
    cpu_read_lin(c, lin, 1);
    struct icache_entry *e = &c->icache[phys & (ICACHE_SIZE - 1)];
    e->phys = phys;
    e->mode = mode;
    e->in = *scratch;
    return &e->in;
}

/* ---- the run loop -------------------------------------------------- */

static bool take_interrupt(struct cpu *c)
{
    if (c->nmi) {
        c->nmi = false;
        c->halted = false;
        cpu_interrupt_real(c, EXC_NMI, c->eip);
        return true;
    }
    if (c->intr && (c->eflags & F_IF) && c->icount != c->inhibit_at) {
        c->halted = false;
        uint8_t vec = c->intr_ack ? c->intr_ack(c->intr_opaque) : 0xFF;
        cpu_interrupt_real(c, vec, c->eip);
        return true;
    }
    return false;
}

static enum cpu_exit run_loop(struct cpu *c)
{
    struct insn scratch;
    cpu_check_map(c);
    if (setjmp(c->env)) {
        if (c->exit_now)
            return c->exit_reason;
        /* An exception unwound the instruction: deliver it. */
        if (!cpu_deliver_exception(c))
            return CPU_EXIT_SHUTDOWN;
        c->icount++;
        if (c->icount >= c->run_limit)
            return CPU_EXIT_BUDGET;
    }
    for (;;) {
        if (unlikely(c->nmi || c->intr || c->stop_req || c->halted)) {
            if (c->stop_req) {
                c->stop_req = false;
                return CPU_EXIT_STOP;
            }
            if (!take_interrupt(c) && c->halted)
                return CPU_EXIT_HALT;
        }
        if (unlikely(c->icount >= c->run_limit))
            return CPU_EXIT_BUDGET;
        const struct insn *in = cpu_fetch_insn(c, &scratch);
        c->next_eip = c->eip + in->len;
        if (unlikely(c->trace))
            cpu_trace_insn(c, in);
        cpu_exec(c, in);
        c->eip = c->next_eip;
        c->icount++;
        if (unlikely(c->halted))
            return CPU_EXIT_HALT;
    }
}

enum cpu_exit cpu_run(struct cpu *c, uint64_t budget, uint64_t *executed)
{
    uint64_t start = c->icount;
    c->run_limit = c->icount + budget;
    c->stepping = false;
    c->exit_now = false;
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
    enum cpu_exit why = run_loop(c);
    c->stepping = false;
    return why;
}
