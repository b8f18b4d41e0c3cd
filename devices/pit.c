/* 8254 programmable interval timer and port 0x61 (see pit.h).  Written from
 * the Intel 8254 datasheet (231164): the six counter modes with their GATE
 * behaviour, binary and BCD counting, the access modes, the counter latch
 * and read-back commands.
 *
 * Timing model: the counter sees a clock edge at every tick of
 * pit_ns_to_ticks().  A count written between edges k and k+1 is loaded by
 * edge k+1 and decremented by the following edges, so mode 0's OUT rises
 * N+1 edges after the write, as in the datasheet.  A channel's state is
 * (start, pos): the count loaded and the edges counted since (modes 0, 1,
 * 4, 5), or the position in the current period (modes 2, 3); OUT and the
 * counter are functions of it, which makes advancing by any number of
 * edges a closed-form step. */
#include "devices/pit.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mem/bus.h"
#include "mem/sv.h"

#define NEVER UINT64_MAX
#define NS_PER_S 1000000000u
/* Channel 0 transitions handled one by one in a single catch-up; beyond
 * this many (the clock jumped without firing the timer) they collapse. */
#define PIT_MAX_STEPS 64

uint64_t pit_ns_to_ticks(uint64_t ns)
{
    /* floor(ns * PIT_HZ / 1e9) without overflow: split off whole seconds. */
    return ns / NS_PER_S * PIT_HZ + ns % NS_PER_S * PIT_HZ / NS_PER_S;
}

uint64_t pit_ticks_to_ns(uint64_t k)
{
    /* The first ns at which pit_ns_to_ticks() reaches k. */
    uint64_t q = k / PIT_HZ, r = k % PIT_HZ;
    if (q >= UINT64_MAX / NS_PER_S - 1)
        return CLOCK_NEVER - 1;
    return q * NS_PER_S + (r * NS_PER_S + PIT_HZ - 1) / PIT_HZ;
}

/* ---- Counting arithmetic ---- */

static bool ch_bcd(const struct pit_channel *c)
{
    return c->ctrl & 1;
}

static unsigned ch_rw(const struct pit_channel *c)
{
    return (c->ctrl >> 4) & 3;
}

/* The decimal value of a BCD count; digits above 9 weigh what the chip's
 * digit counters make them weigh (a digit of F takes 15 decrements). */
static uint32_t bcd_weight(uint16_t v)
{
    return (v & 15u) + ((v >> 4) & 15u) * 10 + ((v >> 8) & 15u) * 100 + (v >> 12) * 1000u;
}

static uint16_t to_bcd(uint32_t v)
{
    v %= 10000;
    return (uint16_t)((v % 10) | (v / 10 % 10) << 4 | (v / 100 % 10) << 8 | (v / 1000) << 12);
}

/* Edges for count n to reach 0: count 0 is 65536 (10000 in BCD). */
static uint32_t full_count(uint16_t n, bool bcd)
{
    uint32_t w = bcd ? bcd_weight(n) : n;
    return w ? w : (bcd ? 10000u : 65536u);
}

/* The counter after j decrements from s.  In BCD each digit counts down
 * and borrows from the next (0 becomes 9), so digit k first changes after
 * the digits below it have counted out, then every 10^k decrements. */
static uint16_t count_down(uint16_t s, bool bcd, uint64_t j)
{
    if (!bcd)
        return (uint16_t)(s - (uint16_t)j);
    uint16_t r = 0;
    uint64_t below = 0, unit = 1;
    for (unsigned k = 0; k < 4; k++) {
        uint64_t d = (s >> (4 * k)) & 15u, v = d;
        if (j > below) {
            uint64_t borrows = 1 + (j - below - 1) / unit;
            v = borrows <= d ? d - borrows : 9 - (borrows - d - 1) % 10;
        }
        r |= (uint16_t)(v << (4 * k));
        below += d * unit;
        unit *= 10;
    }
    return r;
}

/* Modes 1 and 5 count regardless of GATE (it only triggers them). */
static bool ch_counts(const struct pit_channel *c)
{
    return c->mode == 1 || c->mode == 5 || c->gate;
}

static uint32_t ch_period(const struct pit_channel *c)
{
    return full_count(c->start, ch_bcd(c));
}

/* Mode 3: edges OUT is high in a period ((N+1)/2 for odd N). */
static uint32_t half_high(uint32_t p)
{
    return (p + 1) / 2;
}

static bool out_of(const struct pit_channel *c)
{
    uint32_t z = ch_period(c);
    switch (c->mode) {
    case 0:
    case 1:
        return c->pos >= z;
    case 4:
    case 5:
        return c->pos != z;
    case 2:
        return !c->gate || c->pos != z - 1;
    default:
        return !c->gate || c->pos < half_high(z);
    }
}

/* The counting element as a read would see it. */
static uint16_t ce_of(const struct pit_channel *c)
{
    if (!c->running)
        return c->idle_ce;
    if (c->mode != 3)
        return count_down(c->start, ch_bcd(c), c->pos);
    /* Mode 3 counts down by two from N (N-1 for odd N) in each half. */
    uint32_t p = ch_period(c), h = half_high(p);
    uint64_t v = (p & ~1u) - 2 * (c->pos < h ? c->pos : c->pos - h);
    return ch_bcd(c) ? to_bcd((uint32_t)v) : (uint16_t)v;
}

static void set_out(struct pit_channel *c, bool v)
{
    if (!c->out && v)
        c->rises++;
    c->out = v;
}

static void do_load(struct pit_channel *c)
{
    c->load_pending = false;
    c->running = true;
    c->start = c->cr;
    c->pos = 0;
    c->null_count = false;
    set_out(c, out_of(c));
}

/* Modes 2 and 3: e edges.  A count written while running takes over at the
 * end of the period (mode 2) or of the half period (mode 3). */
static void advance_periodic(struct pit_channel *c, uint64_t e)
{
    while (e) {
        uint32_t p = ch_period(c), h = c->mode == 3 ? half_high(p) : p;
        if (!c->null_count) {
            uint64_t np = c->pos + e;
            if (p > 1) /* every wrap leaves the low part: a rising edge */
                c->rises += np / p;
            c->pos = np % p;
            break;
        }
        uint64_t dist = c->pos < h ? h - c->pos : p - c->pos;
        if (e < dist) {
            c->pos += e;
            break;
        }
        e -= dist;
        bool period_end = c->pos >= h || c->mode == 2;
        c->start = c->cr;
        c->null_count = false;
        uint32_t np = ch_period(c);
        if (period_end) {
            c->pos = 0;
            if (c->mode == 3 || np > 1)
                c->rises++;
        } else {
            /* end of the high half: the new count's low half follows */
            c->pos = half_high(np) < np ? half_high(np) : 0;
        }
    }
    c->out = out_of(c);
}

/* Moves a channel e clock edges forward. */
static void advance(struct pit_channel *c, uint64_t e)
{
    if (e == 0)
        return;
    if (c->load_pending) {
        do_load(c);
        e--;
    }
    if (!c->running || !ch_counts(c) || e == 0)
        return;
    uint64_t z = ch_period(c), old = c->pos;
    switch (c->mode) {
    case 0:
    case 1:
        c->pos += e;
        if (old < z && c->pos >= z)
            c->rises++;
        c->out = c->pos >= z;
        break;
    case 4:
    case 5:
        c->pos += e;
        if (old <= z && c->pos > z)
            c->rises++;
        c->out = c->pos != z;
        break;
    default:
        advance_periodic(c, e);
        break;
    }
}

/* Edges to the next point where OUT may change or a new count takes over,
 * or NEVER. */
static uint64_t edges_to_boundary(const struct pit_channel *c)
{
    if (c->load_pending)
        return 1;
    if (!c->running || !ch_counts(c))
        return NEVER;
    uint64_t z = ch_period(c);
    switch (c->mode) {
    case 0:
    case 1:
        return c->pos < z ? z - c->pos : NEVER;
    case 4:
    case 5:
        return c->pos < z ? z - c->pos : c->pos == z ? 1 : NEVER;
    case 2:
        return c->pos + 1 < z ? z - 1 - c->pos : z - c->pos;
    default:
        return c->pos < half_high((uint32_t)z) ? half_high((uint32_t)z) - c->pos : z - c->pos;
    }
}

/* Edges until OUT changes, or NEVER.  Past a pending load and count switch
 * the pattern repeats within two boundaries, so a few steps decide. */
static uint64_t edges_to_out_change(const struct pit_channel *ch)
{
    struct pit_channel c = *ch;
    uint64_t n = 0;
    for (int i = 0; i < 6; i++) {
        uint64_t d = edges_to_boundary(&c);
        if (d == NEVER)
            return NEVER;
        bool before = c.out;
        advance(&c, d);
        n += d;
        if (c.out != before)
            return n;
    }
    return NEVER;
}

/* ---- The device ---- */

static void drive_irq(struct pit *p)
{
    if (p->ch[0].out != p->irq_level) {
        p->irq_level = p->ch[0].out;
        irq_set(&p->irq0, p->irq_level);
    }
}

/* Brings a channel up to edge target; channel 0 steps through its OUT
 * transitions so that IRQ0 sees every edge. */
static void ch_sync(struct pit *p, struct pit_channel *c, uint64_t target)
{
    if (target <= c->tick)
        return;
    if (c == &p->ch[0]) {
        for (int i = 0; i < PIT_MAX_STEPS; i++) {
            uint64_t n = edges_to_out_change(c);
            if (n == NEVER || n > target - c->tick)
                break;
            advance(c, n);
            c->tick += n;
            drive_irq(p);
        }
    }
    advance(c, target - c->tick);
    c->tick = target;
    if (c == &p->ch[0])
        drive_irq(p);
}

static struct pit_channel *ch_now(struct pit *p, unsigned i)
{
    struct pit_channel *c = &p->ch[i];
    ch_sync(p, c, pit_ns_to_ticks(p->clk->now));
    return c;
}

static void rearm(struct pit *p)
{
    uint64_t n = edges_to_out_change(&p->ch[0]);
    if (n == NEVER) {
        if (clock_timer_armed(&p->timer))
            clock_timer_del(&p->timer);
        return;
    }
    p->timer_tick = p->ch[0].tick + n;
    uint64_t deadline = pit_ticks_to_ns(p->timer_tick);
    if (p->timer.deadline != deadline) /* re-arming kicks the run loop */
        clock_timer_mod(&p->timer, deadline);
}

static void speaker_update(struct pit *p)
{
    const struct pit_channel *c = &p->ch[2];
    p->speaker_on = (p->port_b & (PIT_B_GATE2 | PIT_B_SPEAKER)) == (PIT_B_GATE2 | PIT_B_SPEAKER) &&
                    (c->mode == 2 || c->mode == 3) && c->count_written;
    p->speaker_mhz = 0;
    if (p->speaker_on)
        p->speaker_mhz = (uint32_t)((uint64_t)PIT_HZ * 1000 / full_count(c->cr, ch_bcd(c)));
}

/* After anything a port or gate did: IRQ0, the timer, the speaker. */
static void settle(struct pit *p)
{
    drive_irq(p);
    rearm(p);
    speaker_update(p);
}

static void timer_fired(void *opaque, uint64_t now)
{
    struct pit *p = opaque;
    uint64_t t = pit_ns_to_ticks(now);
    ch_sync(p, &p->ch[0], p->timer_tick < t ? p->timer_tick : t);
    rearm(p);
}

static void stop_counting(struct pit_channel *c)
{
    if (c->running) {
        c->idle_ce = ce_of(c);
        c->running = false;
    }
}

static void write_control(struct pit *p, uint8_t val)
{
    unsigned sc = val >> 6;
    if (sc == 3) {
        /* Read-back: D5=0 latches the count, D4=0 the status, D3-D1 pick
         * channels 2-0.  Anything already latched and unread stays. */
        for (unsigned i = 0; i < 3; i++) {
            if (!(val & (2u << i)))
                continue;
            struct pit_channel *c = ch_now(p, i);
            if (!(val & 0x20) && !c->count_latched) {
                c->ol = ce_of(c);
                c->count_latched = true;
            }
            if (!(val & 0x10) && !c->status_latched) {
                c->status = (uint8_t)((c->out ? 0x80 : 0) | (c->null_count ? 0x40 : 0) | c->ctrl);
                c->status_latched = true;
            }
        }
        return;
    }
    struct pit_channel *c = ch_now(p, sc);
    if (((val >> 4) & 3) == 0) { /* counter latch command */
        if (!c->count_latched) {
            c->ol = ce_of(c);
            c->count_latched = true;
        }
        return;
    }
    stop_counting(c);
    c->ctrl = val & 0x3F;
    c->mode = (val >> 1) & 7;
    if (c->mode > 5)
        c->mode -= 4; /* x10 and x11: modes 2 and 3 */
    c->load_pending = false;
    c->null_count = true;
    c->count_written = false;
    c->write_msb = false;
    c->read_msb = false;
    c->count_latched = false;
    c->status_latched = false;
    set_out(c, c->mode != 0);
}

static void write_count(struct pit *p, unsigned i, uint8_t val)
{
    struct pit_channel *c = ch_now(p, i);
    uint16_t v;
    switch (ch_rw(c)) {
    case 1:
        v = val;
        break;
    case 2:
        v = (uint16_t)(val << 8);
        break;
    default:
        if (!c->write_msb) {
            c->write_lsb = val;
            c->write_msb = true;
            if (c->mode == 0) {
                /* Mode 0: the first byte stops counting, OUT goes low. */
                stop_counting(c);
                c->load_pending = false;
                set_out(c, false);
            }
            return;
        }
        c->write_msb = false;
        v = (uint16_t)(c->write_lsb | val << 8);
        break;
    }
    c->cr = v;
    c->null_count = true;
    c->count_written = true;
    switch (c->mode) {
    case 0:
        set_out(c, false);
        c->load_pending = true;
        break;
    case 4:
        c->load_pending = true;
        break;
    case 2:
    case 3:
        if (!c->running)
            c->load_pending = true; /* else at the end of the period */
        break;
    default: /* 1, 5: loaded by the next trigger */
        break;
    }
}

static uint8_t read_count(struct pit *p, unsigned i)
{
    struct pit_channel *c = ch_now(p, i);
    if (c->status_latched) {
        c->status_latched = false;
        return c->status;
    }
    uint16_t v = c->count_latched ? c->ol : ce_of(c);
    uint8_t b;
    switch (ch_rw(c)) {
    case 1:
        b = (uint8_t)v;
        c->count_latched = false;
        break;
    case 2:
        b = (uint8_t)(v >> 8);
        c->count_latched = false;
        break;
    default:
        if (!c->read_msb) {
            b = (uint8_t)v;
            c->read_msb = true;
        } else {
            b = (uint8_t)(v >> 8);
            c->read_msb = false;
            c->count_latched = false;
        }
        break;
    }
    return b;
}

static void set_gate(struct pit *p, unsigned i, bool level)
{
    struct pit_channel *c = ch_now(p, i);
    if (level == c->gate)
        return;
    c->gate = level;
    if (level) {
        /* Rising edge: triggers modes 1 and 5, restarts modes 2 and 3. */
        if (c->mode != 0 && c->mode != 4 && c->count_written)
            c->load_pending = true;
    } else if (c->mode == 2 || c->mode == 3) {
        /* Low: modes 2 and 3 stop with OUT high at once. */
        stop_counting(c);
        set_out(c, true);
    }
}

void pit_set_gate(struct pit *p, int ch, bool level)
{
    if (ch < 0 || ch > 2)
        return;
    set_gate(p, (unsigned)ch, level);
    settle(p);
}

static uint32_t pit_read(void *opaque, uint16_t port, unsigned size)
{
    struct pit *p = opaque;
    (void)size;
    unsigned i = port & 3;
    if (i == 3)
        return 0xFF; /* the control word register cannot be read */
    uint8_t b = read_count(p, i);
    settle(p);
    return b;
}

static void pit_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct pit *p = opaque;
    (void)size;
    unsigned i = port & 3;
    if (i == 3)
        write_control(p, (uint8_t)val);
    else
        write_count(p, i, (uint8_t)val);
    settle(p);
}

static uint32_t port_b_read(void *opaque, uint16_t port, unsigned size)
{
    struct pit *p = opaque;
    (void)port;
    (void)size;
    uint8_t v = p->port_b;
    if (ch_now(p, 1)->rises & 1)
        v |= PIT_B_REFRESH;
    if (ch_now(p, 2)->out)
        v |= PIT_B_OUT2;
    return v;
}

static void port_b_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct pit *p = opaque;
    (void)port;
    (void)size;
    p->port_b = (uint8_t)val & (uint8_t) ~(PIT_B_REFRESH | PIT_B_OUT2);
    set_gate(p, 2, val & PIT_B_GATE2);
    settle(p);
}

static const struct io_ops pit_ops = {
    .read = pit_read,
    .write = pit_write,
    .sizes = 1,
};

static const struct io_ops port_b_ops = {
    .read = port_b_read,
    .write = port_b_write,
    .sizes = 1,
};

void pit_reset(struct pit *p)
{
    uint64_t now = pit_ns_to_ticks(p->clk->now);
    for (unsigned i = 0; i < 3; i++) {
        struct pit_channel *c = &p->ch[i];
        memset(c, 0, sizeof(*c));
        c->ctrl = 0x36; /* LSB then MSB, mode 3, binary */
        c->mode = 3;
        c->null_count = true;
        c->out = true;
        c->gate = i != 2;
        c->tick = now;
    }
    p->port_b = 0;
    settle(p);
}

int pit_init(struct pit *p, struct bus *bus, struct vclock *clk, const struct irq_line *irq0)
{
    memset(p, 0, sizeof(*p));
    p->clk = clk;
    if (irq0)
        p->irq0 = *irq0;
    if (clock_timer_init(clk, &p->timer, timer_fired, p) < 0) {
        fprintf(stderr, "popek: pit: no free timer on the virtual clock\n");
        return -ENOSPC;
    }
    pit_reset(p);
    int rc = bus_io_register(bus, PIT_PORT, 4, &pit_ops, p);
    if (rc == 0)
        rc = bus_io_register(bus, PIT_PORT_B, 1, &port_b_ops, p);
    return rc;
}

/* ---- savestate ---- */

static void ch_save(const struct pit_channel *c, struct sv_writer *w)
{
    sv_put_u8(w, c->ctrl);
    sv_put_u16(w, c->cr);
    sv_put_bool(w, c->null_count);
    sv_put_bool(w, c->count_written);
    sv_put_bool(w, c->write_msb);
    sv_put_u8(w, c->write_lsb);
    sv_put_bool(w, c->read_msb);
    sv_put_bool(w, c->count_latched);
    sv_put_u16(w, c->ol);
    sv_put_bool(w, c->status_latched);
    sv_put_u8(w, c->status);
    sv_put_bool(w, c->gate);
    sv_put_u64(w, c->tick);
    sv_put_bool(w, c->load_pending);
    sv_put_bool(w, c->running);
    sv_put_u16(w, c->start);
    sv_put_u64(w, c->pos);
    sv_put_u16(w, c->idle_ce);
    sv_put_bool(w, c->out);
    sv_put_u64(w, c->rises);
}

void pit_save(const struct pit *p, struct sv_writer *w)
{
    for (unsigned i = 0; i < 3; i++)
        ch_save(&p->ch[i], w);
    sv_put_bool(w, p->irq_level);
    sv_put_u64(w, p->timer.deadline);
    sv_put_u64(w, p->timer_tick);
    sv_put_u8(w, p->port_b);
}

static void ch_load(struct pit_channel *c, struct sv_reader *r)
{
    /* The control word: bits 5-4 (access) 0 is the latch command, which is
     * never stored; the mode follows from bits 3-1 as write_control
     * derives it. */
    c->ctrl = (uint8_t)sv_get_max(r, 1, 0x3F, "pit control word");
    sv_check(r, ch_rw(c) != 0, "pit access mode");
    c->mode = (c->ctrl >> 1) & 7;
    if (c->mode > 5)
        c->mode -= 4;
    c->cr = sv_get_u16(r);
    c->null_count = sv_get_bool(r);
    c->count_written = sv_get_bool(r);
    c->write_msb = sv_get_bool(r);
    c->write_lsb = sv_get_u8(r);
    c->read_msb = sv_get_bool(r);
    c->count_latched = sv_get_bool(r);
    c->ol = sv_get_u16(r);
    c->status_latched = sv_get_bool(r);
    c->status = sv_get_u8(r);
    c->gate = sv_get_bool(r);
    c->tick = sv_get_u64(r);
    c->load_pending = sv_get_bool(r);
    c->running = sv_get_bool(r);
    c->start = sv_get_u16(r);
    c->pos = sv_get_u64(r);
    c->idle_ce = sv_get_u16(r);
    c->out = sv_get_bool(r);
    c->rises = sv_get_u64(r);
    /* In modes 2 and 3 pos is the place in the period: the counter, OUT
     * and the distance to the next boundary are computed from it. */
    if (sv_ok(r) && c->running && (c->mode == 2 || c->mode == 3))
        sv_check(r, c->pos < ch_period(c), "pit position in the period");
}

void pit_load(struct pit *p, struct sv_reader *r, unsigned version)
{
    if (version != PIT_SV_VERSION) {
        sv_fail(r, "version %u, this Popek reads %u", version, PIT_SV_VERSION);
        return;
    }
    for (unsigned i = 0; i < 3; i++)
        ch_load(&p->ch[i], r);
    p->irq_level = sv_get_bool(r);
    p->timer.deadline = sv_get_u64(r);
    p->timer_tick = sv_get_u64(r);
    p->port_b = sv_get_u8(r);
    sv_check(r, !(p->port_b & (PIT_B_REFRESH | PIT_B_OUT2)), "pit port 0x61");
    speaker_update(p);
}
