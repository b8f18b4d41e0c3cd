/* The virtual clock (see clock.h). */
#include "devices/clock.h"

#include "mem/sv.h"

#include <string.h>

void clock_init(struct vclock *clk, unsigned mips)
{
    memset(clk, 0, sizeof(*clk));
    if (mips == 0)
        mips = 100;
    clk->ns_per_insn_q16 = (uint32_t)((1000u << 16) / mips);
}

int clock_timer_init(struct vclock *clk, struct vtimer *t, void (*fn)(void *opaque, uint64_t now),
                     void *opaque)
{
    if (clk->ntimers == CLOCK_MAX_TIMERS)
        return -1;
    t->clock = clk;
    t->fn = fn;
    t->opaque = opaque;
    t->deadline = CLOCK_NEVER;
    t->registered = true;
    clk->timers[clk->ntimers++] = t;
    return 0;
}

void clock_timer_mod(struct vtimer *t, uint64_t deadline)
{
    t->deadline = deadline;
    if (t->clock && t->clock->kick)
        t->clock->kick(t->clock->kick_opaque, deadline);
}

void clock_timer_del(struct vtimer *t)
{
    t->deadline = CLOCK_NEVER;
}

uint64_t clock_insns_to_ns(struct vclock *clk, uint64_t insns)
{
    /* Keep the fractional nanoseconds so that time is exact over a run. */
    uint64_t q = insns * clk->ns_per_insn_q16 + clk->frac;
    clk->frac = (uint32_t)(q & 0xFFFF);
    return q >> 16;
}

uint64_t clock_ns_to_insns(const struct vclock *clk, uint64_t ns)
{
    if (ns >= (UINT64_MAX >> 16))
        return UINT64_MAX / 2;
    uint64_t q = ns << 16;
    return (q + clk->ns_per_insn_q16 - 1) / clk->ns_per_insn_q16;
}

uint64_t clock_next_deadline(const struct vclock *clk)
{
    uint64_t best = CLOCK_NEVER;
    for (unsigned i = 0; i < clk->ntimers; i++)
        if (clk->timers[i]->deadline < best)
            best = clk->timers[i]->deadline;
    return best;
}

void clock_advance_to(struct vclock *clk, uint64_t t)
{
    /* Fire what is due in deadline order, each with time set to its own
     * deadline, so that periodic devices re-arm from exact times. */
    for (;;) {
        struct vtimer *due = NULL;
        for (unsigned i = 0; i < clk->ntimers; i++) {
            struct vtimer *x = clk->timers[i];
            if (x->deadline <= t && (!due || x->deadline < due->deadline))
                due = x;
        }
        if (!due)
            break;
        if (due->deadline > clk->now)
            clk->now = due->deadline;
        due->deadline = CLOCK_NEVER;
        due->fn(due->opaque, clk->now);
    }
    if (t > clk->now)
        clk->now = t;
}

void clock_save(const struct vclock *clk, struct sv_writer *w)
{
    sv_put_u64(w, clk->now);
    sv_put_u32(w, clk->ns_per_insn_q16);
    sv_put_u32(w, clk->frac);
}

void clock_load(struct vclock *clk, struct sv_reader *r, unsigned version)
{
    if (version != CLOCK_SV_VERSION) {
        sv_fail(r, "version %u, this Popek reads %u", version, CLOCK_SV_VERSION);
        return;
    }
    uint64_t now = sv_get_u64(r);
    uint32_t rate = sv_get_u32(r);
    uint32_t frac = sv_get_max(r, 4, 0xFFFF, "the sub-nanosecond remainder");
    if (sv_ok(r) && rate != clk->ns_per_insn_q16) {
        sv_fail(r, "saved at %.3f ns per instruction, this machine runs at %.3f (--mips)", rate / 65536.0,
                clk->ns_per_insn_q16 / 65536.0);
        return;
    }
    /* Nine years of guest time: far beyond any run, and a bound on what a
     * hostile state can make the devices catch up on (the RTC runs one
     * update cycle per second it is behind). */
    if (sv_check(r, now < CLOCK_SV_MAX_NS, "the time")) {
        clk->now = now;
        clk->frac = frac;
    }
}
