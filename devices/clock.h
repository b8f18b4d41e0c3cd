/* The machine's virtual clock: guest time advances with executed
 * instructions (so a run is deterministic), and devices schedule their
 * events on it as timers.  The run loop executes the CPU up to the nearest
 * deadline, then fires what is due; an idle guest (HLT with interrupts on)
 * skips straight to the next deadline.  All times are in nanoseconds. */
#ifndef POPEK_DEVICES_CLOCK_H
#define POPEK_DEVICES_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

#define CLOCK_MAX_TIMERS 32
#define CLOCK_NEVER UINT64_MAX

struct vclock;

/* A device's timer: fn(opaque, now) is called once when the deadline is
 * reached; it may re-arm itself. */
struct vtimer {
    struct vclock *clock;
    void (*fn)(void *opaque, uint64_t now);
    void *opaque;
    uint64_t deadline; /* CLOCK_NEVER when not armed */
    bool registered;
};

struct vclock {
    uint64_t now;                 /* guest time in ns */
    uint32_t ns_per_insn_q16;     /* time per instruction, 16.16 fixed point */
    uint32_t frac;                /* sub-nanosecond remainder, 16 bits */
    struct vtimer *timers[CLOCK_MAX_TIMERS];
    unsigned ntimers;
    /* Told when a timer is armed, so that a run loop executing the CPU up
     * to a later deadline can stop sooner (may be NULL). */
    void (*kick)(void *opaque, uint64_t deadline);
    void *kick_opaque;
};

/* mips: how many guest instructions make a microsecond of guest time
 * (e.g. 100 for a 100 MIPS guest: 10 ns each). */
void clock_init(struct vclock *clk, unsigned mips);
/* Registers a timer (unarmed).  Returns 0 or -1 when the table is full. */
int clock_timer_init(struct vclock *clk, struct vtimer *t, void (*fn)(void *opaque, uint64_t now),
                     void *opaque);
void clock_timer_mod(struct vtimer *t, uint64_t deadline);
void clock_timer_del(struct vtimer *t);
static inline bool clock_timer_armed(const struct vtimer *t)
{
    return t->deadline != CLOCK_NEVER;
}

/* Converts between instructions and time. */
uint64_t clock_insns_to_ns(struct vclock *clk, uint64_t insns);
uint64_t clock_ns_to_insns(const struct vclock *clk, uint64_t ns);

/* The earliest armed deadline, or CLOCK_NEVER. */
uint64_t clock_next_deadline(const struct vclock *clk);
/* Moves time forward to t (never backwards), firing every timer whose
 * deadline is <= t in deadline order, each with the clock at its deadline. */
void clock_advance_to(struct vclock *clk, uint64_t t);

/* The clock's part of a savestate (mem/sv.h): the time and its rate, which
 * must match this machine's.  Each timer's deadline is saved by the
 * device that owns it. */
#define CLOCK_SV_VERSION 1
#define CLOCK_SV_MAX_NS (1ull << 58)
struct sv_writer;
struct sv_reader;
void clock_save(const struct vclock *clk, struct sv_writer *w);
void clock_load(struct vclock *clk, struct sv_reader *r, unsigned version);

#endif
