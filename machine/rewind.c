/* Checkpoints and reverse execution (rewind.h). */
#include "machine/rewind.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "machine/machine.h"
#include "machine/replay.h"
#include "machine/savestate.h"

static double host_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void drop(struct rewind *rw, unsigned i)
{
    rw->bytes -= rw->cp[i].len;
    free(rw->cp[i].data);
    memmove(&rw->cp[i], &rw->cp[i + 1], (rw->n - i - 1) * sizeof(rw->cp[0]));
    rw->n--;
    rw->dropped++;
}

/* Keeps the first and the last; the one whose neighbours are closest goes. */
static void thin(struct rewind *rw)
{
    while (rw->bytes > rw->limit && rw->n > 2) {
        unsigned best = 1;
        uint64_t best_gap = UINT64_MAX;
        for (unsigned i = 1; i + 1 < rw->n; i++) {
            uint64_t gap = rw->cp[i + 1].icount - rw->cp[i - 1].icount;
            if (gap < best_gap)
                best_gap = gap, best = i;
        }
        drop(rw, best);
    }
}

static int checkpoint(struct machine *m)
{
    struct rewind *rw = m->rewind;
    uint64_t ic = cpu_instructions(m->cpu);
    unsigned at = rw->n;
    while (at > 0 && rw->cp[at - 1].icount >= ic)
        at--;
    if (at < rw->n && rw->cp[at].icount == ic)
        return 0; /* have it */
    double t0 = host_seconds();
    struct rewind_cp cp = { ic, NULL, 0, machine_replay_position(m) };
    if (machine_checkpoint_save(m, &cp.data, &cp.len) < 0)
        return -ENOMEM;
    if (rw->n == rw->cap) {
        unsigned cap = rw->cap ? rw->cap * 2 : 64;
        struct rewind_cp *ncp = realloc(rw->cp, cap * sizeof(*ncp));
        if (!ncp) {
            free(cp.data);
            return -ENOMEM;
        }
        rw->cp = ncp;
        rw->cap = cap;
    }
    memmove(&rw->cp[at + 1], &rw->cp[at], (rw->n - at) * sizeof(rw->cp[0]));
    rw->cp[at] = cp;
    rw->n++;
    rw->bytes += cp.len;
    rw->taken++;
    thin(rw);
    rw->last = host_seconds();
    rw->cost = rw->last - t0;
    return 0;
}

int machine_rewind_enable(struct machine *m, size_t limit, uint64_t min_gap)
{
    if (m->rewind)
        return 0;
    int rc = machine_replay_enable(m);
    if (rc < 0)
        return rc;
    struct rewind *rw = calloc(1, sizeof(*rw));
    if (!rw)
        return -ENOMEM;
    rw->limit = limit ? limit : REWIND_DEFAULT_LIMIT;
    rw->min_gap = min_gap ? min_gap : REWIND_DEFAULT_GAP;
    rw->fixed_gap = min_gap != 0;
    m->rewind = rw;
    return checkpoint(m);
}

void machine_rewind_free(struct machine *m)
{
    struct rewind *rw = m->rewind;
    if (!rw)
        return;
    for (unsigned i = 0; i < rw->n; i++)
        free(rw->cp[i].data);
    free(rw->cp);
    free(rw);
    m->rewind = NULL;
}

void machine_rewind_tick(struct machine *m)
{
    struct rewind *rw = m->rewind;
    if (rw->busy)
        return;
    uint64_t ic = cpu_instructions(m->cpu);
    uint64_t last = rw->n ? rw->cp[rw->n - 1].icount : 0;
    if (rw->n && (ic < last + rw->min_gap))
        return;
    /* About 10% of the host's time: wait ten times what the last one
     * took (unless the gap was asked for). */
    if (rw->n && !rw->fixed_gap && host_seconds() - rw->last < 10 * rw->cost)
        return;
    (void)checkpoint(m);
}

/* The last checkpoint at or before icount (n if none). */
static unsigned cp_before(const struct rewind *rw, uint64_t icount)
{
    unsigned k = rw->n;
    while (k > 0 && rw->cp[k - 1].icount > icount)
        k--;
    return k ? k - 1 : rw->n;
}

static bool restore(struct machine *m, unsigned k)
{
    const struct rewind_cp *cp = &m->rewind->cp[k];
    char err[300];
    if (machine_loadvm_checkpoint(m, cp->data, cp->len, err, sizeof err) < 0) {
        fprintf(stderr, "popek: rewind: a checkpoint does not load: %s\n", err);
        return false;
    }
    machine_replay_seek(m, cp->replay_pos);
    return true;
}

/* Runs to target, stopping at every debugger hit; each hit whose point
 * (see machine_reverse_continue) lies before limit is offered to found.
 * With found NULL hits are passed over. */
static bool run_until(struct machine *m, uint64_t target, uint64_t limit, uint64_t *found_at,
                      struct cpu_debug_hit *found)
{
    m->run_until = target;
    /* Re-executing history is no time for the host: no input to poll
     * (it would be dropped), no idle waits in real time, and a frontend
     * that is paused must not block in its poll hook. */
    struct machine_host_hooks host = m->host;
    m->host.poll = NULL;
    m->host.idle = NULL;
    bool ok = true;
    while (cpu_instructions(m->cpu) < target) {
        m->break_req = false;
        enum cpu_exit why = machine_run(m, NULL);
        if (why == CPU_EXIT_DEBUG) {
            struct cpu_debug_hit hit;
            cpu_debug_hit(m->cpu, &hit);
            if (!hit.hit)
                continue; /* a Ctrl-C: not now */
            uint64_t ic = cpu_instructions(m->cpu);
            uint64_t at = hit.kind == CPU_BREAK_EXEC ? ic : ic - 1;
            if (found && at < limit) {
                *found_at = at;
                *found = hit;
            }
            continue;
        }
        if (why != CPU_EXIT_BUDGET || m->stop) {
            ok = cpu_instructions(m->cpu) >= target;
            break;
        }
    }
    m->run_until = UINT64_MAX;
    m->host = host;
    return ok;
}

enum rewind_result machine_run_to(struct machine *m, uint64_t icount)
{
    struct rewind *rw = m->rewind;
    if (!rw || !rw->n)
        return REWIND_ERROR;
    enum rewind_result res = REWIND_DONE;
    if (icount < rw->cp[0].icount) {
        icount = rw->cp[0].icount;
        res = REWIND_BEGIN;
    }
    unsigned k = cp_before(rw, icount);
    /* Forward from where the machine is, when that is nearer. */
    uint64_t now = cpu_instructions(m->cpu);
    rw->busy = true;
    bool ok = true;
    if (!(now <= icount && now >= rw->cp[k].icount))
        ok = restore(m, k);
    if (ok) {
        /* Breakpoints stay where they are; passing over them here. */
        uint64_t dummy;
        struct cpu_debug_hit h;
        ok = run_until(m, icount, 0, &dummy, &h);
    }
    rw->busy = false;
    struct cpu_debug_hit none = { false, CPU_BREAK_EXEC, 0 };
    cpu_debug_set_hit(m->cpu, &none);
    return ok ? res : REWIND_ERROR;
}

enum rewind_result machine_reverse_step(struct machine *m)
{
    uint64_t now = cpu_instructions(m->cpu);
    struct rewind *rw = m->rewind;
    if (!rw || !rw->n)
        return REWIND_ERROR;
    if (now <= rw->cp[0].icount)
        return machine_run_to(m, rw->cp[0].icount) == REWIND_ERROR ? REWIND_ERROR : REWIND_BEGIN;
    return machine_run_to(m, now - 1);
}

enum rewind_result machine_reverse_continue(struct machine *m, struct cpu_debug_hit *hit)
{
    struct rewind *rw = m->rewind;
    hit->hit = false;
    if (!rw || !rw->n)
        return REWIND_ERROR;
    uint64_t now = cpu_instructions(m->cpu);
    rw->busy = true;
    /* Segment by segment backwards: [cp k, end) is re-executed and its
     * last hit before end kept. */
    uint64_t end = now;
    for (unsigned k = cp_before(rw, now ? now - 1 : 0); k < rw->n; k--) {
        if (rw->cp[k].icount >= end) {
            if (k == 0)
                break;
            continue;
        }
        if (!restore(m, k)) {
            rw->busy = false;
            return REWIND_ERROR;
        }
        uint64_t at = UINT64_MAX;
        struct cpu_debug_hit h = { false, CPU_BREAK_EXEC, 0 };
        run_until(m, end, end, &at, &h);
        if (at != UINT64_MAX) {
            rw->busy = false;
            enum rewind_result r = machine_run_to(m, at);
            *hit = h;
            cpu_debug_set_hit(m->cpu, hit);
            return r == REWIND_ERROR ? r : REWIND_DONE;
        }
        end = rw->cp[k].icount;
        if (k == 0)
            break;
    }
    rw->busy = false;
    enum rewind_result r = machine_run_to(m, rw->cp[0].icount);
    return r == REWIND_ERROR ? r : REWIND_BEGIN;
}
