/* Reverse execution: the machine keeps in-memory checkpoints (savestates)
 * as it runs, and goes back by restoring the last checkpoint before the
 * point wanted and executing forward to it.  That is exact because a run
 * is a function of its start and its input (replay.h logs the input, and
 * re-execution delivers it again at the same instants).
 *
 * Checkpoints are taken at slice boundaries, at least min_gap
 * instructions apart and, unless min_gap is given, only as often as keeps
 * their cost near 10% of the run's host time; when they pass the memory limit the one whose removal
 * leaves the smallest gap goes, so old history thins out while recent
 * history stays dense.  A reverse step costs at most the re-execution of
 * one gap. */
#ifndef POPEK_MACHINE_REWIND_H
#define POPEK_MACHINE_REWIND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cpu/cpu.h"

struct machine;

struct rewind_cp {
    uint64_t icount;
    uint8_t *data; /* a savestate file's bytes */
    size_t len;
    size_t replay_pos; /* input events delivered before it */
};

struct rewind {
    struct rewind_cp *cp; /* by instruction count */
    unsigned n, cap;
    size_t bytes, limit;  /* checkpoint memory, and its bound */
    uint64_t min_gap;
    bool fixed_gap;       /* min_gap was asked for: no adaptive spacing */
    double cost, last;    /* host seconds: the last checkpoint's cost, when it was taken */
    bool busy;            /* a reverse operation is running the machine */
    uint64_t taken, dropped;
};

#define REWIND_DEFAULT_LIMIT (1024u << 20)
#define REWIND_DEFAULT_GAP 1000000u

/* Starts keeping checkpoints (and an input log), with a first one now.
 * Returns 0 or -errno. */
int machine_rewind_enable(struct machine *m, size_t limit, uint64_t min_gap);
void machine_rewind_free(struct machine *m);
/* From machine_run at a slice boundary: a checkpoint if one is due. */
void machine_rewind_tick(struct machine *m);

enum rewind_result {
    REWIND_DONE,  /* at the point wanted */
    REWIND_BEGIN, /* history does not go back that far: at its beginning */
    REWIND_ERROR, /* no history, or a checkpoint would not load */
};

/* Back by one instruction (a REP string's iteration). */
enum rewind_result machine_reverse_step(struct machine *m);
/* Back to the last breakpoint or watchpoint hit before now: before the
 * instruction with the breakpoint, or before the one that made the
 * watched access (so that stepping forward repeats it).  *hit says which
 * (hit->hit false at the beginning of history). */
enum rewind_result machine_reverse_continue(struct machine *m, struct cpu_debug_hit *hit);
/* Runs forward to exactly this instruction count (no breakpoints). */
enum rewind_result machine_run_to(struct machine *m, uint64_t icount);

#endif
