/* Unit tests for devices/rtc.c (MC146818A CMOS/RTC): the clock registers in
 * BCD and binary, 12 and 24 hours, the calendar, registers A-D with UIP and
 * the divider, periodic/alarm/update-ended interrupts on IRQ 8, the NVRAM
 * banks and NMI mask, the PC BIOS bytes, and a guest's abuse (indices out
 * of range, read-only registers, impossible time values). */
#include <errno.h>
#include <string.h>

#include "devices/clock.h"
#include "devices/rtc.h"
#include "tests/unit/unit.h"

#define SEC 1000000000ull
#define T_2023_12_31_235959 1704067199LL
#define T_2024_02_28_235959 1709164799LL
#define T_2023_02_28_235959 1677628799LL
#define T_2024_06_15_115959 1718452799LL
#define T_2024_06_15_235959 1718495999LL
#define T_2024_04_28_015959 1714269599LL /* last Sunday of April */
#define T_2024_10_27_015959 1729994399LL /* last Sunday of October */

struct irq_rec {
    bool level;
    unsigned rises;
};

static void irq_rec_set(void *opaque, int n, bool level)
{
    struct irq_rec *r = opaque;
    (void)n;
    if (level && !r->level)
        r->rises++;
    r->level = level;
}

static struct bus bus;
static struct vclock clk;
static struct rtc rtc;
static struct irq_rec irq;

static uint8_t rd(uint8_t idx)
{
    bus_out(&bus, RTC_PORT_INDEX, idx, 1);
    return (uint8_t)bus_in(&bus, RTC_PORT_DATA, 1);
}

static void wr(uint8_t idx, uint8_t v)
{
    bus_out(&bus, RTC_PORT_INDEX, idx, 1);
    bus_out(&bus, RTC_PORT_DATA, v, 1);
}

static void start_at(int64_t epoch)
{
    memset(&irq, 0, sizeof(irq));
    bus_free(&bus);
    cr_assert(eq(int, bus_init(&bus, 0x10000), 0));
    clock_init(&clk, 100);
    struct irq_line line = { irq_rec_set, &irq, RTC_IRQ };
    cr_assert(eq(int, rtc_init(&rtc, &bus, &clk, &line, epoch), 0));
}

static void setup(void)
{
    memset(&bus, 0, sizeof(bus));
    start_at(T_2023_12_31_235959);
}

static void teardown(void)
{
    bus_free(&bus);
}

/* Advances as the machine's run loop does: to each deadline in turn. */
static void advance(uint64_t ns)
{
    uint64_t end = clk.now + ns;
    for (;;) {
        uint64_t t = clock_next_deadline(&clk);
        if (t > end)
            break;
        clock_advance_to(&clk, t);
    }
    clock_advance_to(&clk, end);
}

/* Seconds, minutes, hours, day of week, date, month, year, century. */
static void expect_time(uint8_t s, uint8_t m, uint8_t h, uint8_t dow, uint8_t d, uint8_t mo,
                        uint8_t y, uint8_t c)
{
    cr_expect(eq(u8, rd(RTC_SECONDS), s), "seconds");
    cr_expect(eq(u8, rd(RTC_MINUTES), m), "minutes");
    cr_expect(eq(u8, rd(RTC_HOURS), h), "hours");
    cr_expect(eq(u8, rd(RTC_DAY_OF_WEEK), dow), "day of week");
    cr_expect(eq(u8, rd(RTC_DAY_OF_MONTH), d), "date");
    cr_expect(eq(u8, rd(RTC_MONTH), mo), "month");
    cr_expect(eq(u8, rd(RTC_YEAR), y), "year");
    cr_expect(eq(u8, rd(RTC_CMOS_CENTURY), c), "century");
}

TestSuite(rtc, .init = setup, .fini = teardown, .timeout = 10.0);

/* --- time registers ------------------------------------------------------- */

Test(rtc, start_time_in_bcd)
{
    expect_time(0x59, 0x59, 0x23, 1, 0x31, 0x12, 0x23, 0x20);
    cr_assert(eq(u8, rd(RTC_REG_A), 0x26));
    cr_assert(eq(u8, rd(RTC_REG_B), RTC_B_24H));
    cr_assert(eq(u8, rd(RTC_REG_C), 0));
    cr_assert(eq(u8, rd(RTC_REG_D), RTC_D_VRT));
}

Test(rtc, start_time_conversions)
{
    start_at(0);
    expect_time(0x00, 0x00, 0x00, 5, 0x01, 0x01, 0x70, 0x19); /* Thursday */
    start_at(951827696); /* 2000-02-29 12:34:56 */
    expect_time(0x56, 0x34, 0x12, 3, 0x29, 0x02, 0x00, 0x20);
    start_at(-1); /* 1969-12-31 23:59:59 */
    expect_time(0x59, 0x59, 0x23, 4, 0x31, 0x12, 0x69, 0x19);
    start_at(4107542400LL); /* 2100-03-01: 2100 is not leap */
    expect_time(0x00, 0x00, 0x00, 2, 0x01, 0x03, 0x00, 0x21);
    start_at(-99999999999LL); /* clamped to 1900-01-01 */
    expect_time(0x00, 0x00, 0x00, 2, 0x01, 0x01, 0x00, 0x19);
    start_at(INT64_MAX); /* clamped to 9999-12-31 23:59:59 */
    expect_time(0x59, 0x59, 0x23, 6, 0x31, 0x12, 0x99, 0x99);
}

Test(rtc, time_runs_on_the_virtual_clock)
{
    advance(SEC - 1);
    cr_assert(eq(u8, rd(RTC_SECONDS), 0x59));
    advance(1);
    /* Every field carries: 2024-01-01 00:00:00, a Monday. */
    expect_time(0x00, 0x00, 0x00, 2, 0x01, 0x01, 0x24, 0x20);
    advance(61 * SEC);
    cr_assert(eq(u8, rd(RTC_SECONDS), 0x01));
    cr_assert(eq(u8, rd(RTC_MINUTES), 0x01));
}

Test(rtc, leap_years)
{
    start_at(T_2024_02_28_235959);
    advance(SEC);
    expect_time(0x00, 0x00, 0x00, 5, 0x29, 0x02, 0x24, 0x20);
    advance(24 * 3600 * SEC);
    expect_time(0x00, 0x00, 0x00, 6, 0x01, 0x03, 0x24, 0x20);
    start_at(T_2023_02_28_235959);
    advance(SEC);
    expect_time(0x00, 0x00, 0x00, 4, 0x01, 0x03, 0x23, 0x20);
}

Test(rtc, months_of_30_and_31_days)
{
    wr(RTC_REG_B, RTC_B_SET | RTC_B_24H);
    wr(RTC_DAY_OF_MONTH, 0x30);
    wr(RTC_MONTH, 0x04);
    wr(RTC_REG_B, RTC_B_24H);
    advance(SEC);
    cr_assert(eq(u8, rd(RTC_DAY_OF_MONTH), 0x01));
    cr_assert(eq(u8, rd(RTC_MONTH), 0x05));
    wr(RTC_REG_B, RTC_B_SET | RTC_B_24H);
    wr(RTC_HOURS, 0x23);
    wr(RTC_MINUTES, 0x59);
    wr(RTC_SECONDS, 0x59);
    wr(RTC_DAY_OF_MONTH, 0x30);
    wr(RTC_DAY_OF_WEEK, 7);
    wr(RTC_REG_B, RTC_B_24H);
    advance(SEC);
    cr_assert(eq(u8, rd(RTC_DAY_OF_MONTH), 0x31));
    cr_assert(eq(u8, rd(RTC_DAY_OF_WEEK), 1), "Saturday -> Sunday");
}

Test(rtc, binary_mode)
{
    wr(RTC_REG_B, RTC_B_SET | RTC_B_24H | RTC_B_DM);
    cr_assert(eq(u8, rd(RTC_SECONDS), 0x59), "changing DM converts nothing");
    wr(RTC_SECONDS, 59);
    wr(RTC_MINUTES, 59);
    wr(RTC_HOURS, 23);
    wr(RTC_DAY_OF_MONTH, 31);
    wr(RTC_MONTH, 12);
    wr(RTC_YEAR, 99);
    wr(RTC_DAY_OF_WEEK, 6);
    wr(RTC_REG_B, RTC_B_24H | RTC_B_DM);
    advance(SEC);
    expect_time(0, 0, 0, 7, 1, 1, 0, 0x20);
    advance(3599 * SEC);
    cr_assert(eq(u8, rd(RTC_SECONDS), 59));
    cr_assert(eq(u8, rd(RTC_MINUTES), 59));
}

Test(rtc, twelve_hour_mode)
{
    start_at(T_2024_06_15_115959);
    wr(RTC_REG_B, RTC_B_SET); /* 12 hours, BCD */
    wr(RTC_HOURS, 0x11);      /* 11 AM */
    wr(RTC_REG_B, 0);
    advance(SEC);
    cr_assert(eq(u8, rd(RTC_HOURS), 0x92), "12 PM");
    advance(3600 * SEC);
    cr_assert(eq(u8, rd(RTC_HOURS), 0x81), "1 PM");
    wr(RTC_REG_B, RTC_B_SET);
    wr(RTC_HOURS, 0x91); /* 11 PM */
    wr(RTC_MINUTES, 0x59);
    wr(RTC_SECONDS, 0x59);
    wr(RTC_REG_B, 0);
    advance(SEC);
    cr_assert(eq(u8, rd(RTC_HOURS), 0x12), "12 AM");
    cr_assert(eq(u8, rd(RTC_DAY_OF_MONTH), 0x16));
    /* Binary 12-hour mode. */
    wr(RTC_REG_B, RTC_B_SET | RTC_B_DM);
    wr(RTC_HOURS, 0x80 | 12); /* 12 PM */
    wr(RTC_MINUTES, 59);
    wr(RTC_SECONDS, 59);
    wr(RTC_REG_B, RTC_B_DM);
    advance(SEC);
    cr_assert(eq(u8, rd(RTC_HOURS), 0x80 | 1));
}

Test(rtc, set_inhibits_updates_and_writes_take_effect)
{
    wr(RTC_REG_B, RTC_B_24H | RTC_B_UIE);
    wr(RTC_REG_B, RTC_B_SET | RTC_B_24H | RTC_B_UIE);
    cr_assert(eq(u8, rd(RTC_REG_B), RTC_B_SET | RTC_B_24H), "SET clears UIE");
    wr(RTC_SECONDS, 0x10);
    wr(RTC_MINUTES, 0x20);
    wr(RTC_HOURS, 0x08);
    advance(5 * SEC);
    cr_assert(eq(u8, rd(RTC_SECONDS), 0x10), "no updates while SET");
    cr_assert(eq(u8, rd(RTC_REG_C) & RTC_C_UF, 0));
    wr(RTC_REG_B, RTC_B_24H);
    advance(SEC);
    cr_assert(eq(u8, rd(RTC_SECONDS), 0x11));
    cr_assert(eq(u8, rd(RTC_MINUTES), 0x20));
    cr_assert(eq(u8, rd(RTC_HOURS), 0x08));
}

Test(rtc, out_of_range_time_values_roll_over)
{
    wr(RTC_REG_B, RTC_B_SET | RTC_B_24H);
    wr(RTC_SECONDS, 0xFF);
    wr(RTC_MINUTES, 0x7A);
    wr(RTC_HOURS, 0xFF);
    wr(RTC_DAY_OF_WEEK, 0x00);
    wr(RTC_DAY_OF_MONTH, 0xFF);
    wr(RTC_MONTH, 0xFF);
    wr(RTC_YEAR, 0xFF);
    wr(RTC_REG_B, RTC_B_24H);
    advance(SEC);
    /* Everything carried out of its impossible value. */
    expect_time(0x00, 0x00, 0x00, 0x01, 0x01, 0x01, 0x00, 0x20);
    wr(RTC_REG_B, RTC_B_SET);
    wr(RTC_HOURS, 0x7F); /* 12-hour mode, hour 0x7F */
    wr(RTC_MONTH, 0x00);
    wr(RTC_REG_B, 0);
    for (int i = 0; i < 3; i++)
        advance(3600 * SEC);
    cr_assert(eq(u8, rd(RTC_SECONDS), 0x00));
}

Test(rtc, daylight_saving_april)
{
    start_at(T_2024_04_28_015959);
    wr(RTC_REG_B, RTC_B_24H | RTC_B_DSE);
    advance(SEC);
    cr_assert(eq(u8, rd(RTC_HOURS), 0x03));
    cr_assert(eq(u8, rd(RTC_MINUTES), 0x00));
    cr_assert(eq(u8, rd(RTC_SECONDS), 0x00));
}

Test(rtc, daylight_saving_october_repeats_once)
{
    start_at(T_2024_10_27_015959);
    wr(RTC_REG_B, RTC_B_24H | RTC_B_DSE);
    advance(SEC);
    cr_assert(eq(u8, rd(RTC_HOURS), 0x01));
    cr_assert(eq(u8, rd(RTC_MINUTES), 0x00));
    advance(3600 * SEC);
    cr_assert(eq(u8, rd(RTC_HOURS), 0x02), "the second pass goes on");
}

Test(rtc, no_daylight_saving_without_dse)
{
    start_at(T_2024_04_28_015959);
    advance(SEC);
    cr_assert(eq(u8, rd(RTC_HOURS), 0x02));
}

/* --- registers A-D -------------------------------------------------------- */

Test(rtc, register_a_uip_window)
{
    advance(SEC); /* an update just happened */
    cr_assert(eq(u8, rd(RTC_REG_A), 0x26));
    advance(SEC - 244140 - 1); /* 8 chain ticks = 244140.625 ns */
    cr_assert(eq(u8, rd(RTC_REG_A), 0x26));
    advance(1);
    cr_assert(eq(u8, rd(RTC_REG_A), 0x26 | RTC_A_UIP), "244 us before the update");
    wr(RTC_REG_B, RTC_B_SET | RTC_B_24H);
    cr_assert(eq(u8, rd(RTC_REG_A), 0x26), "SET clears UIP");
    wr(RTC_REG_B, RTC_B_24H);
    advance(244141);
    cr_assert(eq(u8, rd(RTC_REG_A), 0x26), "after the update");
}

Test(rtc, register_a_uip_is_read_only)
{
    wr(RTC_REG_A, 0xA6);
    cr_assert(eq(u8, rd(RTC_REG_A), 0x26));
    wr(RTC_REG_A, 0x2F);
    cr_assert(eq(u8, rd(RTC_REG_A), 0x2F));
}

Test(rtc, divider_reset_stops_the_clock)
{
    wr(RTC_REG_A, 0x70 | 0x06); /* DV = 111: divider in reset */
    advance(5 * SEC);
    cr_assert(eq(u8, rd(RTC_SECONDS), 0x59));
    cr_assert(eq(u8, rd(RTC_REG_C), 0));
    wr(RTC_REG_A, 0x26);
    advance(SEC / 2 - 1);
    cr_assert(eq(u8, rd(RTC_SECONDS), 0x59));
    advance(1);
    cr_assert(eq(u8, rd(RTC_SECONDS), 0x00), "first update 500 ms after the reset ends");
    advance(SEC);
    cr_assert(eq(u8, rd(RTC_SECONDS), 0x01));
}

Test(rtc, other_divider_values_stop_the_clock)
{
    for (unsigned dv = 0; dv < 8; dv++) {
        if (dv == 2)
            continue;
        start_at(T_2023_12_31_235959);
        wr(RTC_REG_A, (uint8_t)(dv << 4 | 0x03));
        wr(RTC_REG_B, RTC_B_24H | RTC_B_PIE | RTC_B_UIE);
        advance(3 * SEC);
        cr_assert(eq(u8, rd(RTC_SECONDS), 0x59), "DV %u", dv);
        cr_assert(eq(u8, rd(RTC_REG_A), (uint8_t)(dv << 4 | 0x03)), "no UIP");
        cr_assert(eq(u8, rd(RTC_REG_C), 0));
        cr_assert(eq(uint, irq.rises, 0));
    }
}

Test(rtc, registers_c_and_d_are_read_only)
{
    wr(RTC_REG_C, 0xFF);
    cr_assert(eq(u8, rd(RTC_REG_C), 0));
    wr(RTC_REG_D, 0x00);
    cr_assert(eq(u8, rd(RTC_REG_D), RTC_D_VRT));
    wr(RTC_REG_D, 0x7F);
    cr_assert(eq(u8, rd(RTC_REG_D), RTC_D_VRT));
    cr_assert(not(irq.level));
}

Test(rtc, register_b_read_write)
{
    for (unsigned v = 0; v < 256; v++) {
        wr(RTC_REG_B, (uint8_t)v);
        uint8_t want = (uint8_t)((v & RTC_B_SET) ? v & ~RTC_B_UIE : v);
        cr_assert(eq(u8, rd(RTC_REG_B), want));
    }
}

/* --- interrupts ----------------------------------------------------------- */

Test(rtc, update_ended_interrupt)
{
    wr(RTC_REG_A, RTC_A_DV_32K); /* no periodic rate: PF stays clear */
    wr(RTC_SECONDS_ALARM, 0x30);  /* the alarm bytes are 0: 00:00:00 would match */
    wr(RTC_REG_B, RTC_B_24H | RTC_B_UIE);
    advance(SEC - 1);
    cr_assert(not(irq.level));
    advance(1);
    cr_assert(irq.level);
    cr_assert(eq(u8, rd(RTC_REG_C), RTC_C_IRQF | RTC_C_UF));
    cr_assert(not(irq.level), "reading C lowers IRQ 8");
    cr_assert(eq(u8, rd(RTC_REG_C), 0));
    advance(10 * SEC);
    cr_assert(eq(uint, irq.rises, 2), "one interrupt until C is read");
}

Test(rtc, flags_set_without_their_enables)
{
    wr(RTC_SECONDS_ALARM, RTC_ALARM_DONT_CARE);
    wr(RTC_MINUTES_ALARM, RTC_ALARM_DONT_CARE);
    wr(RTC_HOURS_ALARM, RTC_ALARM_DONT_CARE);
    advance(SEC);
    cr_assert(eq(u8, rd(RTC_REG_C), RTC_C_PF | RTC_C_AF | RTC_C_UF), "no IRQF");
    cr_assert(eq(uint, irq.rises, 0));
    wr(RTC_REG_B, RTC_B_24H | RTC_B_PIE);
    advance(SEC / 1024 + 1); /* 976562.5 ns */
    cr_assert(irq.level, "PF with PIE sets IRQF");
}

Test(rtc, alarm_interrupt)
{
    wr(RTC_REG_A, RTC_A_DV_32K);
    wr(RTC_REG_B, RTC_B_24H | RTC_B_AIE);
    wr(RTC_SECONDS_ALARM, 0x03);
    wr(RTC_MINUTES_ALARM, 0x00);
    wr(RTC_HOURS_ALARM, 0x00);
    advance(3 * SEC);
    cr_assert(not(irq.level));
    advance(SEC);
    cr_assert(irq.level, "00:00:03");
    cr_assert(eq(u8, rd(RTC_REG_C), RTC_C_IRQF | RTC_C_AF | RTC_C_UF));
    advance(SEC);
    cr_assert(not(irq.level));
    cr_assert(eq(u8, rd(RTC_REG_C) & RTC_C_AF, 0));
}

Test(rtc, alarm_dont_care_bytes)
{
    wr(RTC_REG_B, RTC_B_24H | RTC_B_AIE);
    wr(RTC_SECONDS_ALARM, 0x30);
    wr(RTC_MINUTES_ALARM, 0xC5);
    wr(RTC_HOURS_ALARM, 0xFF);
    unsigned alarms = 0;
    for (int i = 0; i < 180; i++) {
        advance(SEC);
        if (rd(RTC_REG_C) & RTC_C_AF)
            alarms++;
    }
    cr_assert(eq(uint, alarms, 3), "once a minute");
    wr(RTC_SECONDS_ALARM, 0xC0);
    wr(RTC_MINUTES_ALARM, 0xC0);
    wr(RTC_HOURS_ALARM, 0xC0);
    alarms = 0;
    for (int i = 0; i < 5; i++) {
        advance(SEC);
        if (rd(RTC_REG_C) & RTC_C_AF)
            alarms++;
    }
    cr_assert(eq(uint, alarms, 5), "every second");
}

/* Counts periodic interrupts over one second, acknowledging each. */
static unsigned count_periodic(uint8_t rs)
{
    wr(RTC_REG_A, (uint8_t)(RTC_A_DV_32K | rs));
    wr(RTC_REG_B, RTC_B_24H | RTC_B_PIE);
    (void)rd(RTC_REG_C);
    unsigned n = 0;
    uint64_t end = clk.now + SEC;
    for (;;) {
        uint64_t t = clock_next_deadline(&clk);
        if (t > end)
            break;
        clock_advance_to(&clk, t);
        if (irq.level) {
            cr_assert(eq(u8, rd(RTC_REG_C) & (RTC_C_IRQF | RTC_C_PF), RTC_C_IRQF | RTC_C_PF));
            n++;
        }
    }
    clock_advance_to(&clk, end);
    return n;
}

Test(rtc, periodic_interrupt_rates)
{
    cr_assert(eq(uint, count_periodic(0), 0), "RS 0: none");
    cr_assert(eq(uint, count_periodic(1), 256), "RS 1 = RS 8 at 32.768 kHz");
    cr_assert(eq(uint, count_periodic(2), 128), "RS 2 = RS 9");
    for (uint8_t rs = 3; rs < 16; rs++)
        cr_assert(eq(uint, count_periodic(rs), 65536u >> rs), "RS %u", rs);
}

Test(rtc, periodic_interrupt_timing)
{
    wr(RTC_REG_A, RTC_A_DV_32K | 0x03); /* 8192 Hz: 122070.3125 ns */
    wr(RTC_REG_B, RTC_B_24H | RTC_B_PIE);
    advance(122070);
    cr_assert(not(irq.level));
    advance(1);
    cr_assert(irq.level);
}

Test(rtc, periodic_keeps_running_while_set)
{
    wr(RTC_REG_A, RTC_A_DV_32K | 0x0F); /* 2 Hz */
    wr(RTC_REG_B, RTC_B_SET | RTC_B_24H | RTC_B_PIE);
    advance(SEC / 2);
    cr_assert(irq.level);
    cr_assert(eq(u8, rd(RTC_REG_C), RTC_C_IRQF | RTC_C_PF));
}

Test(rtc, clearing_an_enable_lowers_irq8)
{
    wr(RTC_REG_A, RTC_A_DV_32K);
    wr(RTC_SECONDS_ALARM, 0x30);
    wr(RTC_REG_B, RTC_B_24H | RTC_B_UIE);
    advance(SEC);
    cr_assert(irq.level);
    wr(RTC_REG_B, RTC_B_24H);
    cr_assert(not(irq.level));
    cr_assert(eq(u8, rd(RTC_REG_C), RTC_C_UF));
}

Test(rtc, reset_pin)
{
    wr(RTC_REG_A, 0x2A);
    wr(RTC_REG_B, 0x7F);
    advance(SEC);
    cr_assert(irq.level);
    rtc_reset(&rtc);
    cr_assert(not(irq.level));
    cr_assert(eq(u8, rd(RTC_REG_B), 0x07), "PIE, AIE, UIE, SQWE cleared");
    cr_assert(eq(u8, rd(RTC_REG_A), 0x2A));
    cr_assert(eq(u8, rd(RTC_REG_C), 0));
}

Test(rtc, long_jump_catches_up)
{
    clock_advance_to(&clk, clk.now + 86400 * SEC); /* one call, no steps */
    expect_time(0x59, 0x59, 0x23, 2, 0x01, 0x01, 0x24, 0x20);
}

/* --- RAM, ports, NMI ------------------------------------------------------ */

Test(rtc, cmos_ram_read_write)
{
    for (unsigned i = 0x0E; i < 0x80; i++)
        wr((uint8_t)i, (uint8_t)(i ^ 0x5A));
    for (unsigned i = 0x0E; i < 0x80; i++)
        cr_assert(eq(u8, rd((uint8_t)i), (uint8_t)(i ^ 0x5A)));
}

Test(rtc, index_is_seven_bits_and_bit_7_masks_nmi)
{
    cr_assert(not(rtc_nmi_masked(&rtc)));
    wr(0x80 | 0x20, 0x42);
    cr_assert(rtc_nmi_masked(&rtc));
    cr_assert(eq(u8, rd(0x20), 0x42), "index 0xA0 is 0x20");
    cr_assert(not(rtc_nmi_masked(&rtc)));
    bus_out(&bus, RTC_PORT_INDEX, 0xFF, 1);
    cr_assert(eq(u32, bus_in(&bus, RTC_PORT_DATA, 1), rtc.cmos[0x7F]));
    cr_assert(eq(u32, bus_in(&bus, RTC_PORT_INDEX, 1), 0xFF), "index port is write-only");
}

Test(rtc, extended_bank)
{
    for (unsigned i = 0; i < 0x80; i++) {
        bus_out(&bus, RTC_PORT_EXT_INDEX, i, 1);
        bus_out(&bus, RTC_PORT_EXT_DATA, (uint8_t)~i, 1);
    }
    bus_out(&bus, RTC_PORT_EXT_INDEX, 0x85, 1); /* 7 bits: 0x05 */
    cr_assert(eq(u32, bus_in(&bus, RTC_PORT_EXT_DATA, 1), (uint8_t)~5u));
    cr_assert(eq(u8, rtc.cmos[0x85], (uint8_t)~5u));
    cr_assert(eq(u8, rd(RTC_SECONDS), 0x59), "the low bank is separate");
    cr_assert(not(rtc_nmi_masked(&rtc)), "0x72 does not touch the NMI mask");
    cr_assert(eq(u32, bus_in(&bus, RTC_PORT_EXT_INDEX, 1), 0xFF));
    uint8_t v;
    cr_assert(eq(int, rtc_get_nvram(&rtc, 0xFF, &v), 0));
    cr_assert(eq(u8, v, 0x80));
}

Test(rtc, nvram_api_bounds)
{
    cr_assert(eq(int, rtc_set_nvram(&rtc, 0x0E, 1), 0));
    cr_assert(eq(int, rtc_set_nvram(&rtc, 0xFF, 2), 0));
    cr_assert(eq(int, rtc_set_nvram(&rtc, 0x0D, 3), -EINVAL));
    cr_assert(eq(int, rtc_set_nvram(&rtc, 0x100, 4), -EINVAL));
    cr_assert(eq(int, rtc_set_nvram(&rtc, 0xFFFFFFFFu, 4), -EINVAL));
    uint8_t v = 0;
    cr_assert(eq(int, rtc_get_nvram(&rtc, 0x0E, &v), 0));
    cr_assert(eq(u8, v, 1));
    cr_assert(eq(int, rtc_get_nvram(&rtc, 0x100, &v), -EINVAL));
    cr_assert(eq(u8, rd(0x0E), 1));
}

/* --- PC BIOS bytes -------------------------------------------------------- */

static unsigned word(unsigned lo)
{
    return rtc.cmos[lo] | rtc.cmos[lo + 1] << 8;
}

Test(rtc, pc_bios_bytes)
{
    struct rtc_pc_config cfg = {
        .ram_bytes = 32u << 20,
        .has_fpu = true,
        .floppies = 1,
        .floppy_type = { RTC_FLOPPY_1440K, RTC_FLOPPY_720K },
        .disk_type = { 47, 2 },
    };
    rtc_fill_pc_bios_bytes(&rtc, &cfg);
    cr_assert(eq(uint, word(RTC_CMOS_BASE_LO), 640));
    cr_assert(eq(uint, word(RTC_CMOS_EXT_LO), 31 * 1024));
    cr_assert(eq(uint, word(RTC_CMOS_EXT2_LO), 31 * 1024));
    cr_assert(eq(uint, word(RTC_CMOS_HIGHMEM_LO), 16 * 16));
    cr_assert(eq(u8, rd(RTC_CMOS_FLOPPY), 0x40), "drive B not installed");
    cr_assert(eq(u8, rd(RTC_CMOS_EQUIPMENT), 0x03));
    cr_assert(eq(u8, rd(RTC_CMOS_DISK), 0xF2));
    cr_assert(eq(u8, rd(RTC_CMOS_DISK0_TYPE), 47));
    cr_assert(eq(u8, rd(RTC_CMOS_DISK1_TYPE), 0));
    cr_assert(eq(u8, rd(RTC_CMOS_CENTURY), 0x20));
    unsigned sum = 0;
    for (unsigned i = 0x10; i <= 0x2D; i++)
        sum += rd((uint8_t)i);
    cr_assert(eq(uint, rd(RTC_CMOS_CHECKSUM_HI) << 8 | rd(RTC_CMOS_CHECKSUM_LO), sum));
}

Test(rtc, pc_bios_memory_limits)
{
    struct rtc_pc_config cfg = { .ram_bytes = 512u << 10, .floppies = 2,
                                 .floppy_type = { 4, 2 }, .display = 3 };
    rtc_fill_pc_bios_bytes(&rtc, &cfg);
    cr_assert(eq(uint, word(RTC_CMOS_BASE_LO), 512));
    cr_assert(eq(uint, word(RTC_CMOS_EXT_LO), 0));
    cr_assert(eq(uint, word(RTC_CMOS_HIGHMEM_LO), 0));
    cr_assert(eq(u8, rd(RTC_CMOS_FLOPPY), 0x42));
    cr_assert(eq(u8, rd(RTC_CMOS_EQUIPMENT), 0x71), "2 floppies, MDA, no FPU");
    cfg = (struct rtc_pc_config){ .ram_bytes = 0xF0000000u, .floppies = 9 };
    rtc_fill_pc_bios_bytes(&rtc, &cfg);
    cr_assert(eq(uint, word(RTC_CMOS_EXT_LO), 0xFFFF), "capped");
    cr_assert(eq(uint, word(RTC_CMOS_HIGHMEM_LO), (0xF0000000u - (16u << 20)) >> 16));
    cr_assert(eq(u8, rd(RTC_CMOS_EQUIPMENT) & 0xC1, 0x41), "at most 2 floppies");
    cfg.ram_bytes = 1ull << 40;
    rtc_fill_pc_bios_bytes(&rtc, &cfg);
    cr_assert(eq(uint, word(RTC_CMOS_HIGHMEM_LO), 0xFFFF));
}
