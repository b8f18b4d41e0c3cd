/* Unit tests for devices/pit.c: the 8254 and port 0x61, programmed through
 * their ports on a bus, with a virtual clock advanced edge by edge and IRQ0
 * recorded with the PIT clock edge each transition happened at.
 * docs/devices/pit.md maps each register and command to these tests. */
#include "devices/pit.h"
#include "tests/unit/unit.h"

#define MAX_EDGES 4096

static struct bus bus;
static struct vclock clk;
static struct pit pit;
static unsigned nirq;
static bool irq_lvl[MAX_EDGES];
static uint64_t irq_tick[MAX_EDGES];

static void rec_irq(void *opaque, int n, bool level)
{
    (void)opaque;
    cr_assert(eq(int, n, 0));
    if (nirq < MAX_EDGES) {
        irq_lvl[nirq] = level;
        irq_tick[nirq] = pit.ch[0].tick;
    }
    nirq++;
}

static const struct irq_line irq0 = { rec_irq, NULL, 0 };

/* Tests start 100 ns after edge 1000, so a write now is loaded by edge
 * 1001. */
#define T0 1000

static void go(uint64_t k)
{
    clock_advance_to(&clk, pit_ticks_to_ns(k));
}

static void setup(void)
{
    cr_assert(eq(int, bus_init(&bus, 0x10000), 0));
    clock_init(&clk, 100);
    nirq = 0;
    cr_assert(eq(int, pit_init(&pit, &bus, &clk, &irq0), 0));
    clock_advance_to(&clk, pit_ticks_to_ns(T0) + 100);
    nirq = 0;
}

static void teardown(void)
{
    bus_free(&bus);
}

static void out8(uint16_t port, uint8_t v)
{
    bus_out(&bus, port, v, 1);
}

static uint8_t in8(uint16_t port)
{
    return (uint8_t)bus_in(&bus, port, 1);
}

static void count16(unsigned ch, uint16_t v)
{
    out8(0x40 + ch, (uint8_t)v);
    out8(0x40 + ch, (uint8_t)(v >> 8));
}

static uint16_t read16(unsigned ch)
{
    uint16_t lo = in8(0x40 + ch);
    return (uint16_t)(lo | in8(0x40 + ch) << 8);
}

/* Latches and reads a channel programmed for LSB then MSB. */
static uint16_t latched(unsigned ch)
{
    out8(0x43, (uint8_t)(ch << 6));
    return read16(ch);
}

static uint8_t status(unsigned ch)
{
    out8(0x43, (uint8_t)(0xE0 | 2u << ch));
    return in8(0x40 + ch);
}

/* Element by element (Criterion's array comparison leaks its nodes). */
static void expect_seq(const uint16_t *seen, const uint16_t *want, unsigned n, const char *what)
{
    for (unsigned k = 0; k < n; k++)
        cr_assert(eq(u16, seen[k], want[k]), "%s: read %u", what, k);
}

static bool out2(void)
{
    return in8(0x61) & 0x20;
}

TestSuite(pit, .init = setup, .fini = teardown, .timeout = 10.0);

/* ---- Time ---- */

Test(pit, tick_conversion_is_exact)
{
    cr_assert(eq(u64, pit_ns_to_ticks(1000000000), PIT_HZ));
    cr_assert(eq(u64, pit_ticks_to_ns(PIT_HZ), 1000000000));
    cr_assert(eq(u64, pit_ns_to_ticks(838), 0));
    cr_assert(eq(u64, pit_ns_to_ticks(839), 1), "edge 1 at 838.09 ns");
    cr_assert(eq(u64, pit_ticks_to_ns(1), 839));
    for (uint64_t k = 1; k < 5000; k += 7) {
        uint64_t ns = pit_ticks_to_ns(k);
        cr_assert(eq(u64, pit_ns_to_ticks(ns), k));
        cr_assert(eq(u64, pit_ns_to_ticks(ns - 1), k - 1));
    }
    /* A day and the far end of the clock do not overflow. */
    uint64_t day = 86400ull * 1000000000ull;
    cr_assert(eq(u64, pit_ns_to_ticks(day), 86400ull * PIT_HZ));
    cr_assert(eq(u64, pit_ns_to_ticks(UINT64_MAX), 18446744073ull * PIT_HZ + 709551615ull * PIT_HZ / 1000000000ull));
    cr_assert(lt(u64, pit_ticks_to_ns(UINT64_MAX), CLOCK_NEVER));
}

/* ---- Reset ---- */

Test(pit, reset_state)
{
    for (unsigned i = 0; i < 3; i++)
        cr_assert(eq(u8, status(i), 0xF6), "OUT high, null count, LSB/MSB mode 3 binary");
    cr_assert(eq(u8, in8(0x61), 0x20), "gate 2 low, OUT2 high, refresh 0");
    cr_assert(pit.irq_level, "IRQ0 follows OUT0 (high)");
    cr_assert(not(clock_timer_armed(&pit.timer)), "nothing counts");
    cr_assert(eq(u8, in8(0x43), 0xFF), "the control register reads as open bus");
}

Test(pit, reset_stops_counting)
{
    out8(0x43, 0x34);
    count16(0, 100);
    go(T0 + 50);
    cr_assert(clock_timer_armed(&pit.timer));
    pit_reset(&pit);
    cr_assert(not(clock_timer_armed(&pit.timer)));
    cr_assert(eq(u8, status(0), 0xF6));
}

Test(pit, no_irq_line_is_fine)
{
    struct pit q;
    struct bus b;
    cr_assert(eq(int, bus_init(&b, 0x1000), 0));
    cr_assert(eq(int, pit_init(&q, &b, &clk, NULL), 0));
    bus_out(&b, 0x43, 0x34, 1);
    bus_out(&b, 0x40, 2, 1);
    bus_out(&b, 0x40, 0, 1);
    go(T0 + 100);
    bus_free(&b);
}

/* ---- Mode 0 ---- */

Test(pit, mode0_interrupt_on_terminal_count)
{
    out8(0x43, 0x30);
    cr_assert(not(pit.irq_level), "mode 0: OUT low after the control word");
    cr_assert(eq(u8, status(0) & 0xC0, 0x40), "null count until loaded");
    count16(0, 100);
    go(T0 + 1);
    cr_assert(eq(u16, latched(0), 100), "loaded by the first edge");
    cr_assert(eq(u8, status(0) & 0x40, 0), "count moved: null count clear");
    go(T0 + 1 + 40);
    cr_assert(eq(u16, latched(0), 60));
    go(T0 + 100);
    cr_assert(not(pit.irq_level));
    go(T0 + 200);
    cr_assert(eq(uint, nirq, 2));
    cr_assert(eq(int, irq_lvl[1], 1));
    cr_assert(eq(u64, irq_tick[1], T0 + 101), "OUT rises N+1 edges after the write");
    cr_assert(eq(u16, latched(0), (uint16_t)(100 - 199)), "the counter wraps and goes on");
    cr_assert(not(clock_timer_armed(&pit.timer)), "no more transitions");
    cr_assert(eq(u8, status(0), 0xB0));
}

Test(pit, mode0_new_count_restarts)
{
    out8(0x43, 0x10); /* LSB only */
    out8(0x40, 10);
    go(T0 + 20);
    cr_assert(pit.irq_level);
    out8(0x40, 5);
    cr_assert(not(pit.irq_level), "writing a count sets OUT low");
    go(T0 + 40);
    cr_assert(eq(u64, irq_tick[nirq - 1], T0 + 20 + 6));
}

Test(pit, mode0_first_byte_stops_counting)
{
    out8(0x43, 0x30);
    count16(0, 1000);
    go(T0 + 11);
    out8(0x40, 0x20);
    cr_assert(eq(u16, latched(0), 990));
    go(T0 + 2000);
    cr_assert(eq(u16, latched(0), 990), "counting stopped");
    cr_assert(not(pit.irq_level));
    out8(0x40, 0x00); /* MSB: count 0x0020 */
    go(T0 + 2000 + 1 + 0x20);
    cr_assert(pit.irq_level);
    cr_assert(eq(u64, irq_tick[nirq - 1], T0 + 2000 + 1 + 0x20));
}

Test(pit, mode0_gate_pauses_counting)
{
    out8(0x43, 0xB0); /* channel 2, mode 0; its gate is low */
    count16(2, 10);
    go(T0 + 5);
    cr_assert(eq(u16, latched(2), 10), "loaded even with GATE low, not counting");
    out8(0x61, 0x01);
    go(T0 + 8);
    cr_assert(eq(u16, latched(2), 7));
    out8(0x61, 0x00);
    go(T0 + 100);
    cr_assert(eq(u16, latched(2), 7));
    cr_assert(not(out2()));
    out8(0x61, 0x01);
    go(T0 + 107);
    cr_assert(out2());
    cr_assert(eq(u16, latched(2), 0));
}

/* ---- Mode 1 ---- */

Test(pit, mode1_hardware_one_shot)
{
    out8(0x43, 0xB2);
    count16(2, 10);
    go(T0 + 50);
    cr_assert(out2(), "waits for a trigger");
    cr_assert(eq(u8, status(2) & 0x40, 0x40), "count not loaded yet");
    out8(0x61, 0x01); /* trigger */
    cr_assert(out2(), "low only from the next edge");
    go(T0 + 51);
    cr_assert(not(out2()));
    cr_assert(eq(u16, latched(2), 10));
    out8(0x61, 0x00);
    go(T0 + 55);
    cr_assert(eq(u16, latched(2), 6), "GATE level does not stop it");
    go(T0 + 61);
    cr_assert(out2());
    go(T0 + 70);
    out8(0x61, 0x01); /* retrigger */
    go(T0 + 75);
    out8(0x61, 0x00);
    out8(0x61, 0x01); /* retrigger while low: restarts */
    go(T0 + 85);
    cr_assert(not(out2()));
    go(T0 + 86);
    cr_assert(out2());
}

Test(pit, mode1_new_count_waits_for_trigger)
{
    out8(0x43, 0xB2);
    count16(2, 10);
    out8(0x61, 0x01);
    go(T0 + 3);
    count16(2, 50);
    go(T0 + 11);
    cr_assert(out2(), "the running one-shot keeps its count");
    out8(0x61, 0x00);
    out8(0x61, 0x01);
    go(T0 + 12 + 49);
    cr_assert(not(out2()));
    go(T0 + 12 + 50);
    cr_assert(out2());
}

/* ---- Mode 2 ---- */

Test(pit, mode2_rate_generator)
{
    out8(0x43, 0x34);
    count16(0, 4);
    uint16_t seen[8];
    for (unsigned k = 0; k < 8; k++) {
        go(T0 + 1 + k);
        seen[k] = latched(0);
    }
    uint16_t want[8] = { 4, 3, 2, 1, 4, 3, 2, 1 };
    expect_seq(seen, want, 8, "never reads 0");
    go(T0 + 1 + 400);
    /* OUT low for the edge where the counter is 1, then high. */
    cr_assert(eq(int, irq_lvl[0], 0));
    cr_assert(eq(u64, irq_tick[0], T0 + 4));
    cr_assert(eq(int, irq_lvl[1], 1));
    cr_assert(eq(u64, irq_tick[1], T0 + 5));
    cr_assert(eq(uint, nirq, 200), "every period, in a single clock jump");
    for (unsigned i = 2; i < nirq; i++)
        cr_assert(eq(u64, irq_tick[i], irq_tick[i - 2] + 4));
}

Test(pit, mode2_new_count_at_period_end)
{
    out8(0x43, 0x34);
    count16(0, 100);
    go(T0 + 30);
    count16(0, 10);
    cr_assert(eq(u8, status(0) & 0x40, 0x40), "null count until the reload");
    go(T0 + 100);
    cr_assert(eq(u16, latched(0), 1));
    go(T0 + 101);
    cr_assert(eq(u16, latched(0), 10), "the new count at the period's end");
    cr_assert(eq(u8, status(0) & 0x40, 0));
    go(T0 + 200);
    cr_assert(eq(u64, irq_tick[1], T0 + 101));
    cr_assert(eq(u64, irq_tick[3], T0 + 111));
}

Test(pit, mode2_gate)
{
    out8(0x43, 0xB4);
    count16(2, 5);
    out8(0x61, 0x01);
    go(T0 + 3); /* loaded at T0+1 */
    cr_assert(eq(u16, latched(2), 3));
    go(T0 + 5);
    cr_assert(not(out2()));
    out8(0x61, 0x00);
    cr_assert(out2(), "GATE low: OUT high at once");
    go(T0 + 50);
    cr_assert(eq(u16, latched(2), 1), "and counting stops");
    out8(0x61, 0x01);
    go(T0 + 51);
    cr_assert(eq(u16, latched(2), 5), "GATE rising reloads");
    go(T0 + 55);
    cr_assert(not(out2()));
}

Test(pit, mode2_count_one_never_toggles)
{
    out8(0x43, 0x14); /* LSB only */
    out8(0x40, 1);
    go(T0 + 100);
    cr_assert(not(pit.irq_level), "count 1 (illegal): OUT stays low");
    cr_assert(not(clock_timer_armed(&pit.timer)), "and no timer storm");
}

Test(pit, mode6_and_mode7_alias_2_and_3)
{
    out8(0x43, 0x3E); /* mode 7 */
    count16(0, 4);
    go(T0 + 3);
    cr_assert(not(pit.irq_level), "square wave: low in the second half");
    cr_assert(eq(u8, status(0) & 0x3F, 0x3E), "status shows the bits written");
    out8(0x43, 0x74); /* channel 1, mode 2 */
    out8(0x43, 0x7C); /* channel 1, mode 6 */
    count16(1, 3);
    go(T0 + 3 + 3);
    cr_assert(eq(u16, latched(1), 1));
    go(T0 + 3 + 4);
    cr_assert(eq(u16, latched(1), 3));
}

Test(pit, count_zero_is_65536)
{
    out8(0x43, 0x34);
    count16(0, 0);
    go(T0 + 1);
    cr_assert(eq(u16, latched(0), 0));
    go(T0 + 2);
    cr_assert(eq(u16, latched(0), 0xFFFF));
    go(T0 + 1 + 65536 * 2);
    cr_assert(eq(uint, nirq, 4));
    cr_assert(eq(u64, irq_tick[1], T0 + 1 + 65536));
    cr_assert(eq(u64, irq_tick[3], T0 + 1 + 2 * 65536));
}

/* ---- Mode 3 ---- */

Test(pit, mode3_square_wave_even)
{
    out8(0x43, 0x36);
    count16(0, 10);
    uint16_t seen[10];
    for (unsigned k = 0; k < 10; k++) {
        go(T0 + 1 + k);
        seen[k] = latched(0);
    }
    uint16_t want[10] = { 10, 8, 6, 4, 2, 10, 8, 6, 4, 2 };
    expect_seq(seen, want, 10, "counts down by two, twice a period");
    go(T0 + 1 + 100);
    cr_assert(eq(uint, nirq, 20));
    for (unsigned i = 0; i < nirq; i++)
        cr_assert(eq(u64, irq_tick[i], T0 + 6 + 5 * i), "5 edges high, 5 low");
}

Test(pit, mode3_square_wave_odd)
{
    out8(0x43, 0x36);
    count16(0, 5);
    uint16_t seen[10];
    for (unsigned k = 0; k < 10; k++) {
        go(T0 + 1 + k);
        seen[k] = latched(0);
    }
    uint16_t want[10] = { 4, 2, 0, 4, 2, 4, 2, 0, 4, 2 };
    expect_seq(seen, want, 10, "N-1 loaded; the high half sees 0");
    go(T0 + 1 + 50);
    cr_assert(eq(u64, irq_tick[0], T0 + 4), "high for (N+1)/2 edges");
    cr_assert(eq(u64, irq_tick[1], T0 + 6), "low for (N-1)/2 edges");
}

Test(pit, mode3_new_count_at_half_period)
{
    out8(0x43, 0x36);
    count16(0, 20);
    go(T0 + 3);
    count16(0, 6);
    go(T0 + 50);
    cr_assert(eq(u64, irq_tick[0], T0 + 11), "the current half finishes");
    cr_assert(eq(u64, irq_tick[1], T0 + 14), "then the low half of the new count");
    cr_assert(eq(u64, irq_tick[2], T0 + 17));
}

Test(pit, mode3_gate)
{
    out8(0x43, 0xB6);
    count16(2, 8);
    out8(0x61, 0x01);
    go(T0 + 6);
    cr_assert(not(out2()));
    out8(0x61, 0x00);
    cr_assert(out2());
    out8(0x61, 0x01);
    go(T0 + 7);
    cr_assert(eq(u16, latched(2), 8));
    go(T0 + 11);
    cr_assert(not(out2()));
}

/* ---- Modes 4 and 5 ---- */

Test(pit, mode4_software_strobe)
{
    out8(0x43, 0x38);
    cr_assert(pit.irq_level, "OUT high after the control word");
    count16(0, 5);
    go(T0 + 100);
    cr_assert(eq(uint, nirq, 2));
    cr_assert(eq(int, irq_lvl[0], 0));
    cr_assert(eq(u64, irq_tick[0], T0 + 6), "low N+1 edges after the write");
    cr_assert(eq(u64, irq_tick[1], T0 + 7), "for one edge");
    go(T0 + 70000);
    cr_assert(eq(uint, nirq, 2), "one strobe per count, not at every wrap");
    count16(0, 3); /* a new count retriggers */
    go(T0 + 70010);
    cr_assert(eq(uint, nirq, 4));
    cr_assert(eq(u64, irq_tick[2], T0 + 70004));
}

Test(pit, mode4_gate_and_first_byte)
{
    out8(0x43, 0xB8);
    count16(2, 4);
    go(T0 + 3);
    cr_assert(eq(u16, latched(2), 4), "GATE low: not counting");
    out8(0x61, 0x01);
    out8(0x42, 0x50); /* first byte: no effect */
    go(T0 + 6);
    cr_assert(eq(u16, latched(2), 1));
    go(T0 + 7);
    cr_assert(not(out2()));
    go(T0 + 8);
    cr_assert(out2());
}

Test(pit, mode5_hardware_strobe)
{
    out8(0x43, 0xBA);
    count16(2, 4);
    go(T0 + 20);
    cr_assert(out2());
    cr_assert(eq(u8, status(2) & 0x40, 0x40));
    out8(0x61, 0x01);
    go(T0 + 21);
    cr_assert(eq(u16, latched(2), 4));
    go(T0 + 24);
    cr_assert(out2());
    go(T0 + 25);
    cr_assert(not(out2()), "low N+1 edges after the trigger");
    go(T0 + 26);
    cr_assert(out2());
    out8(0x61, 0x00);
    go(T0 + 30);
    out8(0x61, 0x01);
    go(T0 + 33);
    out8(0x61, 0x00);
    out8(0x61, 0x01); /* retrigger before the strobe */
    go(T0 + 37);
    cr_assert(out2());
    go(T0 + 38);
    cr_assert(not(out2()));
}

/* ---- BCD ---- */

Test(pit, bcd_counting)
{
    out8(0x43, 0x35); /* mode 2, BCD */
    count16(0, 0x0012);
    uint16_t seen[4];
    for (unsigned k = 0; k < 4; k++) {
        go(T0 + 1 + k);
        seen[k] = latched(0);
    }
    uint16_t want[4] = { 0x12, 0x11, 0x10, 0x09 };
    expect_seq(seen, want, 4, "");
    go(T0 + 100);
    cr_assert(eq(u64, irq_tick[1], T0 + 13), "period 12 decimal");
    cr_assert(eq(u8, status(0) & 0x3F, 0x35));
}

Test(pit, bcd_count_zero_is_10000_and_wraps_to_9999)
{
    out8(0x43, 0x31); /* mode 0, BCD */
    count16(0, 0);
    go(T0 + 2);
    cr_assert(eq(u16, latched(0), 0x9999));
    go(T0 + 2 + 1234);
    cr_assert(eq(u16, latched(0), 0x8765));
    go(T0 + 10001);
    cr_assert(eq(u64, irq_tick[nirq - 1], T0 + 10001));
    go(T0 + 10003);
    cr_assert(eq(u16, latched(0), 0x9998));
}

Test(pit, bcd_mode3)
{
    out8(0x43, 0x37);
    count16(0, 0x0015);
    go(T0 + 1);
    cr_assert(eq(u16, latched(0), 0x14));
    go(T0 + 2);
    cr_assert(eq(u16, latched(0), 0x12));
    go(T0 + 60);
    cr_assert(eq(u64, irq_tick[0], T0 + 9));
    cr_assert(eq(u64, irq_tick[1], T0 + 16));
}

Test(pit, bcd_invalid_digits_count_like_the_chip)
{
    /* Digit A takes ten decrements, F fifteen (then 9s as usual). */
    out8(0x43, 0x31);
    count16(0, 0x00FA);
    go(T0 + 2);
    cr_assert(eq(u16, latched(0), 0x00F9));
    go(T0 + 12);
    cr_assert(eq(u16, latched(0), 0x00E9));
    go(T0 + 1 + 159);
    cr_assert(eq(u16, latched(0), 0x0001));
    go(T0 + 1 + 160);
    cr_assert(pit.irq_level);
    cr_assert(eq(u64, irq_tick[nirq - 1], T0 + 161));
}

/* ---- Access modes, latch, read-back ---- */

Test(pit, access_lsb_only)
{
    out8(0x43, 0x90); /* channel 2, LSB only, mode 0 */
    out8(0x42, 0x34);
    out8(0x61, 0x01);
    go(T0 + 1);
    cr_assert(eq(u8, in8(0x42), 0x34), "count 0x0034");
    cr_assert(eq(u8, in8(0x42), 0x34), "each read is the LSB");
    go(T0 + 0x35);
    cr_assert(out2());
}

Test(pit, access_msb_only)
{
    out8(0x43, 0xA0); /* channel 2, MSB only: the high byte alone */
    out8(0x42, 0x12);
    out8(0x61, 0x01);
    go(T0 + 1);
    cr_assert(eq(u8, in8(0x42), 0x12));
    go(T0 + 2);
    cr_assert(eq(u8, in8(0x42), 0x11), "0x11FF");
    out8(0x43, 0x80);
    cr_assert(eq(u8, in8(0x42), 0x11), "a latched count reads its MSB");
    go(T0 + 0x1201);
    cr_assert(out2());
}

Test(pit, lsb_msb_flip_flops)
{
    out8(0x43, 0xB0);
    count16(2, 0x1234);
    go(T0 + 1);
    cr_assert(eq(u8, in8(0x42), 0x34));
    out8(0x42, 0x78);  /* write LSB between the two reads */
    cr_assert(eq(u8, in8(0x42), 0x12), "the read flip-flop is separate");
    out8(0x42, 0x56);
    go(T0 + 2);
    cr_assert(eq(u16, read16(2), 0x5678));
    out8(0x43, 0xB0); /* a control word resets both flip-flops */
    out8(0x42, 0x11);
    cr_assert(pit.ch[2].write_msb);
    out8(0x43, 0xB0);
    cr_assert(not(pit.ch[2].write_msb));
}

Test(pit, counter_latch_command)
{
    out8(0x43, 0x34);
    count16(0, 1000);
    go(T0 + 11);
    out8(0x43, 0x00);
    go(T0 + 21);
    out8(0x43, 0x00); /* ignored: the first latch is unread */
    cr_assert(eq(u8, in8(0x40), (uint8_t)990));
    go(T0 + 31);
    cr_assert(eq(u8, in8(0x40), 990 >> 8), "both bytes from the latch");
    cr_assert(eq(u16, read16(0), 970), "then the counter again");
    /* The latch read in LSB-only mode releases after one byte. */
    out8(0x43, 0x54); /* channel 1, LSB, mode 2 */
    out8(0x41, 50);
    go(T0 + 32);
    out8(0x43, 0x40);
    go(T0 + 40);
    cr_assert(eq(u8, in8(0x41), 50));
    cr_assert(eq(u8, in8(0x41), 42));
}

Test(pit, read_back_count_and_status)
{
    out8(0x43, 0x34);
    count16(0, 300);
    go(T0 + 101);
    out8(0x43, 0xC2); /* count and status, channel 0 */
    go(T0 + 150);
    cr_assert(eq(u8, in8(0x40), 0xB4), "status first: OUT 1, loaded, LSB/MSB, mode 2");
    cr_assert(eq(u16, read16(0), 200));
    cr_assert(eq(u16, read16(0), 151));
}

Test(pit, read_back_several_channels)
{
    out8(0x43, 0x34);
    count16(0, 300);
    out8(0x43, 0x74);
    count16(1, 400);
    out8(0x43, 0xB0);
    count16(2, 500);
    go(T0 + 11);
    out8(0x43, 0xDE); /* count only, channels 0-2 */
    go(T0 + 50);
    cr_assert(eq(u16, read16(0), 290));
    cr_assert(eq(u16, read16(1), 390));
    cr_assert(eq(u16, read16(2), 500), "channel 2's gate is low");
    out8(0x43, 0xEC); /* status only, channels 1 and 2 */
    cr_assert(eq(u8, in8(0x41), 0xB4));
    cr_assert(eq(u8, in8(0x42), 0x30));
    cr_assert(eq(u16, read16(1), 351), "no count latched");
}

Test(pit, read_back_keeps_unread_latches)
{
    out8(0x43, 0x34);
    count16(0, 300);
    go(T0 + 11);
    out8(0x43, 0xC2);
    go(T0 + 21);
    count16(0, 77);   /* changes null count */
    out8(0x43, 0xC2); /* both already latched: ignored */
    cr_assert(eq(u8, in8(0x40), 0xB4), "old status, null count clear");
    cr_assert(eq(u16, read16(0), 290));
}

Test(pit, read_back_with_no_channels)
{
    out8(0x43, 0x34);
    count16(0, 300);
    go(T0 + 11);
    out8(0x43, 0xC0); /* count and status of no channel */
    out8(0x43, 0xC1); /* reserved bit 0 only */
    go(T0 + 21);
    cr_assert(eq(u16, read16(0), 280), "nothing latched");
    cr_assert(not(pit.ch[0].status_latched));
}

Test(pit, read_back_status_null_count_and_out)
{
    out8(0x43, 0xB6);
    cr_assert(eq(u8, status(2), 0xF6));
    count16(2, 10);
    cr_assert(eq(u8, status(2), 0xF6), "written, not loaded");
    go(T0 + 1);
    cr_assert(eq(u8, status(2), 0xB6), "loaded (GATE low)");
    out8(0x43, 0x90);
    cr_assert(eq(u8, status(2), 0x50), "mode 0: OUT low; LSB only");
}

/* ---- Port 0x61 and the speaker ---- */

Test(pit, port61_bits_store_and_read_back)
{
    out8(0x61, 0xFC);
    cr_assert(eq(u8, in8(0x61) & 0xCF, 0xCC), "bits 2, 3, 6, 7 store; 4, 5 are read-only");
    out8(0x61, 0x00);
    cr_assert(eq(u8, in8(0x61) & 0xCF, 0x00));
}

Test(pit, port61_refresh_toggle_follows_channel1)
{
    cr_assert(eq(u8, in8(0x61) & 0x10, 0));
    out8(0x43, 0x54); /* the BIOS's refresh: mode 2, 18 (15.09 us) */
    out8(0x41, 18);
    unsigned toggles = 0;
    bool last = false;
    for (uint64_t k = T0 + 1; k < T0 + 1 + 18 * 10; k++) {
        go(k);
        bool b = in8(0x61) & 0x10;
        if (b != last)
            toggles++;
        last = b;
    }
    cr_assert(eq(uint, toggles, 9));
    go(T0 + 18);
    cr_assert(not(clock_timer_armed(&pit.timer)), "channel 1 needs no timer");
}

Test(pit, port61_out2_and_speaker)
{
    cr_assert(not(pit.speaker_on));
    out8(0x43, 0xB6);
    count16(2, 1193);
    out8(0x61, 0x03);
    cr_assert(pit.speaker_on);
    cr_assert(eq(u32, pit.speaker_mhz, 1000152));
    go(T0 + 1 + 596);
    cr_assert(out2());
    go(T0 + 1 + 597);
    cr_assert(not(out2()));
    out8(0x61, 0x01);
    cr_assert(not(pit.speaker_on), "speaker data disabled");
    out8(0x61, 0x02);
    cr_assert(not(pit.speaker_on), "gate low");
    cr_assert(out2(), "and OUT2 high");
    out8(0x43, 0xB0);
    out8(0x61, 0x03);
    cr_assert(not(pit.speaker_on), "mode 0 is not a tone");
}

Test(pit, gate_input_api)
{
    out8(0x43, 0x72); /* channel 1, mode 1 */
    count16(1, 5);
    pit_set_gate(&pit, 1, false);
    pit_set_gate(&pit, 1, true);
    go(T0 + 1);
    cr_assert(eq(u16, latched(1), 5));
    pit_set_gate(&pit, 3, true);
    pit_set_gate(&pit, -1, true);
}

/* ---- Abuse ---- */

Test(pit, count_before_control_word)
{
    /* Out of reset the channels take LSB/MSB counts in mode 3. */
    count16(0, 8);
    go(T0 + 20);
    cr_assert(eq(u64, irq_tick[0], T0 + 5));
    out8(0x40, 0x01); /* only the LSB of the next count */
    go(T0 + 40);
    cr_assert(eq(u64, irq_tick[nirq - 1], T0 + 37), "an incomplete count changes nothing");
}

Test(pit, random_guest_traffic_stays_in_bounds)
{
    uint32_t x = 777;
    uint64_t t = T0;
    for (int i = 0; i < 20000; i++) {
        x = x * 1103515245u + 12345u;
        uint32_t r = x >> 8;
        switch (r % 5) {
        case 0:
        case 1:
            out8((uint16_t)(0x40 + (r >> 3) % 4), (uint8_t)(r >> 10));
            break;
        case 2:
            in8((uint16_t)(0x40 + (r >> 3) % 4));
            break;
        case 3:
            if ((r >> 3) & 1)
                out8(0x61, (uint8_t)(r >> 10));
            else
                in8(0x61);
            break;
        default:
            t += (r >> 3) % 64;
            go(t);
            break;
        }
        for (unsigned c = 0; c < 3; c++) {
            cr_assert(le(u8, pit.ch[c].mode, 5));
            if (pit.ch[c].running && (pit.ch[c].mode == 2 || pit.ch[c].mode == 3))
                cr_assert(lt(u64, pit.ch[c].pos, 65536));
        }
    }
    cr_assert(eq(int, pit.irq_level, pit.ch[0].out));
}
