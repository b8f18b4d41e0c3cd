/* The virtual clock: instruction/time conversion, timer order, re-arming. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>

#include "devices/clock.h"

struct rec {
    unsigned n;
    uint64_t at[8];
    int id[8];
};

struct tcb {
    struct rec *r;
    int id;
    struct vtimer t;
    uint64_t rearm; /* period, 0: one-shot */
    unsigned left;
};

static void fire(void *opaque, uint64_t now)
{
    struct tcb *cb = opaque;
    if (cb->r->n < 8) {
        cb->r->at[cb->r->n] = now;
        cb->r->id[cb->r->n] = cb->id;
    }
    cb->r->n++;
    if (cb->rearm && cb->left-- > 1)
        clock_timer_mod(&cb->t, now + cb->rearm);
}

Test(clock, conversion_is_exact_over_a_run)
{
    struct vclock clk;
    clock_init(&clk, 3); /* 333.33 ns per instruction */
    uint64_t ns = 0;
    for (int i = 0; i < 3000; i++)
        ns += clock_insns_to_ns(&clk, 1);
    /* 3000 instructions at 3 per microsecond: exactly 1 ms, within rounding
     * of the 16-bit fraction. */
    cr_assert(ns >= 999990 && ns <= 1000000, "got %llu ns", (unsigned long long)ns);
    clock_init(&clk, 100);
    cr_assert(eq(u64, clock_insns_to_ns(&clk, 100), 1000));
    cr_assert(eq(u64, clock_ns_to_insns(&clk, 1000), 100));
    cr_assert(eq(u64, clock_ns_to_insns(&clk, 1), 1), "a partial instruction rounds up");
}

Test(clock, timers_fire_in_deadline_order_and_rearm)
{
    struct vclock clk;
    clock_init(&clk, 100);
    struct rec r = { 0 };
    struct tcb a = { .r = &r, .id = 1 }, b = { .r = &r, .id = 2, .rearm = 300, .left = 3 };
    cr_assert(eq(int, clock_timer_init(&clk, &a.t, fire, &a), 0));
    cr_assert(eq(int, clock_timer_init(&clk, &b.t, fire, &b), 0));
    cr_assert(eq(u64, clock_next_deadline(&clk), CLOCK_NEVER));
    clock_timer_mod(&a.t, 500);
    clock_timer_mod(&b.t, 200);
    cr_assert(eq(u64, clock_next_deadline(&clk), 200));
    clock_advance_to(&clk, 1000);
    /* b at 200, re-armed by its callback for 500 and 800; a at 500 (before
     * b's 500, registered first); each callback sees its own deadline. */
    cr_assert(eq(uint, r.n, 4));
    cr_assert(eq(int, r.id[0], 2));
    cr_assert(eq(u64, r.at[0], 200));
    cr_assert(eq(int, r.id[1], 1));
    cr_assert(eq(u64, r.at[1], 500));
    cr_assert(eq(int, r.id[2], 2));
    cr_assert(eq(u64, r.at[2], 500));
    cr_assert(eq(u64, r.at[3], 800));
    cr_assert(eq(u64, clk.now, 1000));
    cr_assert(not(clock_timer_armed(&a.t)));
    clock_advance_to(&clk, 500);
    cr_assert(eq(u64, clk.now, 1000), "time never goes backwards");
}

Test(clock, table_full)
{
    struct vclock clk;
    clock_init(&clk, 100);
    struct vtimer t[CLOCK_MAX_TIMERS + 1];
    for (int i = 0; i < CLOCK_MAX_TIMERS; i++)
        cr_assert(eq(int, clock_timer_init(&clk, &t[i], NULL, NULL), 0));
    cr_assert(eq(int, clock_timer_init(&clk, &t[CLOCK_MAX_TIMERS], NULL, NULL), -1));
}
