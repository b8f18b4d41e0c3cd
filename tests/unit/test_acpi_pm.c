/* Unit tests for devices/acpi_pm.c: the PM timer's rate on the virtual
 * clock and its TMR_STS, PM1_STS write-one-to-clear, PM1_EN, the SCI level,
 * PM1_CNT with SLP_EN/SLP_TYP (soft off calls the power-off callback), GPE0,
 * and mapping the block, through the I/O ports as a guest would. */
#include "devices/acpi_pm.h"
#include "tests/unit/unit.h"

#define BASE 0x600

static struct bus bus;
static struct vclock clk;
static struct acpi_pm pm;
static bool sci;
static unsigned sci_changes, power_offs;

static void sci_rec(void *opaque, int n, bool level)
{
    cr_assert(eq(ptr, opaque, &bus));
    cr_assert(eq(int, n, 9));
    sci = level;
    sci_changes++;
}

static void power_off_rec(void *opaque)
{
    cr_assert(eq(ptr, opaque, &bus));
    power_offs++;
}

static void start(bool acpi_mode, bool timer_32bit)
{
    cr_assert(eq(int, bus_init(&bus, 1u << 20), 0));
    clock_init(&clk, 100);
    const struct irq_line line = { sci_rec, &bus, 9 };
    cr_assert(eq(int, acpi_pm_init(&pm, &bus, &clk, &line, power_off_rec, &bus, acpi_mode,
                                   timer_32bit),
                 0));
    acpi_pm_map(&pm, BASE, true);
}

static void setup(void)
{
    start(true, false);
}

static void teardown(void)
{
    bus_free(&bus);
}

TestSuite(acpi_pm, .init = setup, .fini = teardown, .timeout = 10.0);

/* The first nanosecond at which a 3.579545 MHz counter has made n ticks. */
static uint64_t ns_of_tick(uint64_t n)
{
    unsigned __int128 t = (unsigned __int128)n * 1000000000u;
    return (uint64_t)((t + 3579545 - 1) / 3579545);
}

static uint32_t tmr(void)
{
    return bus_in(&bus, BASE + ACPI_PM_TMR, 4);
}

static uint16_t sts(void)
{
    return (uint16_t)bus_in(&bus, BASE + ACPI_PM1_STS, 2);
}

Test(acpi_pm, timer_runs_at_3_579545_mhz_on_the_virtual_clock)
{
    cr_assert(eq(u32, tmr(), 0));
    clock_advance_to(&clk, 1000000); /* 1 ms */
    cr_assert(eq(u32, tmr(), 3579));
    clock_advance_to(&clk, 1000000000); /* 1 s */
    cr_assert(eq(u32, tmr(), 3579545));
    clock_advance_to(&clk, ns_of_tick(4000000) - 1);
    cr_assert(eq(u32, tmr(), 3999999));
    clock_advance_to(&clk, ns_of_tick(4000000));
    cr_assert(eq(u32, tmr(), 4000000));
    /* The byte lanes of the counter read separately. */
    cr_assert(eq(u32, bus_in(&bus, BASE + ACPI_PM_TMR + 1, 2), (4000000 >> 8) & 0xFFFF));
    cr_assert(eq(u32, bus_in(&bus, BASE + ACPI_PM_TMR + 3, 1), 0));
}

Test(acpi_pm, timer_is_24_bits_and_wraps)
{
    clock_advance_to(&clk, ns_of_tick(0x1000005));
    cr_assert(eq(u32, tmr(), 5));
    /* Far in the future (hours), still exact. */
    uint64_t n = 0x3000000000ull + 0x123456;
    clock_advance_to(&clk, ns_of_tick(n));
    cr_assert(eq(u32, tmr(), 0x123456));
}

Test(acpi_pm, timer_is_read_only)
{
    clock_advance_to(&clk, 1000000);
    bus_out(&bus, BASE + ACPI_PM_TMR, 0, 4);
    cr_assert(eq(u32, tmr(), 3579));
}

Test(acpi_pm, tmr_sts_is_set_when_bit_23_flips)
{
    clock_advance_to(&clk, ns_of_tick(0x800000) - 1);
    cr_assert(eq(u32, sts() & ACPI_PM1_TMR, 0));
    clock_advance_to(&clk, ns_of_tick(0x800000));
    cr_assert(eq(u32, sts() & ACPI_PM1_TMR, ACPI_PM1_TMR));
    cr_assert(not(sci), "TMR_EN is clear: no SCI");
    bus_out(&bus, BASE + ACPI_PM1_STS, ACPI_PM1_TMR, 2);
    cr_assert(eq(u32, sts(), 0));
    bus_out(&bus, BASE + ACPI_PM1_EN, ACPI_PM1_TMR, 2);
    /* 1 -> 0 flip of bit 23 (the counter wraps to 0) counts too. */
    clock_advance_to(&clk, ns_of_tick(0x1000000) - 1);
    cr_assert(not(sci));
    clock_advance_to(&clk, ns_of_tick(0x1000000));
    cr_assert(eq(u32, sts() & ACPI_PM1_TMR, ACPI_PM1_TMR));
    cr_assert(sci, "TMR_EN: SCI");
    bus_out(&bus, BASE + ACPI_PM1_STS, ACPI_PM1_TMR, 2);
    cr_assert(not(sci));
}

Test(acpi_pm, timer_32bit_counts_32_bits_and_flips_at_bit_31)
{
    teardown();
    start(true, true);
    clock_advance_to(&clk, ns_of_tick(0x7FFFFFFF));
    cr_assert(eq(u32, tmr(), 0x7FFFFFFF));
    cr_assert(eq(u32, sts() & ACPI_PM1_TMR, 0), "bit 23 flips do not count");
    clock_advance_to(&clk, ns_of_tick(0x80000000));
    cr_assert(eq(u32, tmr(), 0x80000000));
    cr_assert(eq(u32, sts() & ACPI_PM1_TMR, ACPI_PM1_TMR));
}

Test(acpi_pm, pm1_sts_is_write_one_to_clear)
{
    acpi_pm_power_button(&pm);
    clock_advance_to(&clk, ns_of_tick(0x800000));
    cr_assert(eq(u32, sts(), ACPI_PM1_PWRBTN | ACPI_PM1_TMR));
    bus_out(&bus, BASE + ACPI_PM1_STS, 0, 2);
    cr_assert(eq(u32, sts(), ACPI_PM1_PWRBTN | ACPI_PM1_TMR), "writing 0 changes nothing");
    bus_out(&bus, BASE + ACPI_PM1_STS + 1, ACPI_PM1_PWRBTN >> 8, 1); /* high byte alone */
    cr_assert(eq(u32, sts(), ACPI_PM1_TMR));
    bus_out(&bus, BASE + ACPI_PM1_STS, 0xFFFF, 2);
    cr_assert(eq(u32, sts(), 0));
}

Test(acpi_pm, pm1_en_keeps_the_enables_that_exist)
{
    bus_out(&bus, BASE + ACPI_PM1_EN, 0xFFFF, 2);
    cr_assert(eq(u32, bus_in(&bus, BASE + ACPI_PM1_EN, 2), ACPI_PM1_EN_MASK));
    bus_out(&bus, BASE + ACPI_PM1_EN + 1, 0, 1);
    cr_assert(eq(u32, bus_in(&bus, BASE + ACPI_PM1_EN, 2), ACPI_PM1_EN_MASK & 0xFF));
    /* A dword write covers PM1_STS and PM1_EN at once. */
    bus_out(&bus, BASE + ACPI_PM1_STS, 0x01000000, 4);
    cr_assert(eq(u32, bus_in(&bus, BASE + ACPI_PM1_STS, 4), 0x01000000));
}

Test(acpi_pm, sci_is_a_level_while_an_enabled_event_is_pending)
{
    bus_out(&bus, BASE + ACPI_PM1_EN, ACPI_PM1_PWRBTN, 2);
    cr_assert(eq(uint, sci_changes, 0));
    acpi_pm_power_button(&pm);
    cr_assert(sci);
    acpi_pm_power_button(&pm);
    cr_assert(eq(uint, sci_changes, 1), "still the same level");
    bus_out(&bus, BASE + ACPI_PM1_EN, 0, 2);
    cr_assert(not(sci), "disabling the event drops the SCI");
    bus_out(&bus, BASE + ACPI_PM1_EN, ACPI_PM1_PWRBTN, 2);
    cr_assert(sci);
    bus_out(&bus, BASE + ACPI_PM1_CNT, 0, 2); /* SCI_EN off: events go to SMI */
    cr_assert(not(sci));
    bus_out(&bus, BASE + ACPI_PM1_CNT, ACPI_PM1_CNT_SCI_EN, 2);
    cr_assert(sci);
    bus_out(&bus, BASE + ACPI_PM1_STS, ACPI_PM1_PWRBTN, 2);
    cr_assert(not(sci));
}

Test(acpi_pm, sci_en_follows_the_acpi_mode_at_reset)
{
    cr_assert(eq(u32, bus_in(&bus, BASE + ACPI_PM1_CNT, 2), ACPI_PM1_CNT_SCI_EN));
    teardown();
    start(false, false);
    cr_assert(eq(u32, bus_in(&bus, BASE + ACPI_PM1_CNT, 2), 0));
    bus_out(&bus, BASE + ACPI_PM1_EN, ACPI_PM1_PWRBTN, 2);
    acpi_pm_power_button(&pm);
    cr_assert(not(sci), "legacy mode: no SCI");
}

Test(acpi_pm, slp_en_with_soft_off_powers_off)
{
    bus_out(&bus, BASE + ACPI_PM1_CNT, ACPI_PM_SLP_TYP_S5 << 10 | ACPI_PM1_CNT_SCI_EN, 2);
    cr_assert(eq(uint, power_offs, 0), "SLP_TYP alone does nothing");
    bus_out(&bus, BASE + ACPI_PM1_CNT,
            ACPI_PM_SLP_TYP_S5 << 10 | ACPI_PM1_CNT_SLP_EN | ACPI_PM1_CNT_SCI_EN, 2);
    cr_assert(eq(uint, power_offs, 1));
    cr_assert(eq(u32, bus_in(&bus, BASE + ACPI_PM1_CNT, 2) & ACPI_PM1_CNT_SLP_EN, 0),
              "SLP_EN reads 0");
    /* The high byte alone (SLP_EN and SLP_TYP live there). */
    bus_out(&bus, BASE + ACPI_PM1_CNT + 1, (ACPI_PM_SLP_TYP_S5 << 10 | ACPI_PM1_CNT_SLP_EN) >> 8,
            1);
    cr_assert(eq(uint, power_offs, 2));
}

Test(acpi_pm, other_sleep_types_are_ignored)
{
    for (unsigned typ = 0; typ < 8; typ++) {
        if (typ == ACPI_PM_SLP_TYP_S5)
            continue;
        bus_out(&bus, BASE + ACPI_PM1_CNT, typ << 10 | ACPI_PM1_CNT_SLP_EN, 2);
        cr_assert(eq(u32, bus_in(&bus, BASE + ACPI_PM1_CNT, 2), typ << 10),
                  "SLP_TYP is stored, SLP_EN and GBL_RLS read 0");
    }
    cr_assert(eq(uint, power_offs, 0));
    bus_out(&bus, BASE + ACPI_PM1_CNT, 0xFFFF & ~ACPI_PM1_CNT_SLP_EN, 2);
    cr_assert(eq(u32, bus_in(&bus, BASE + ACPI_PM1_CNT, 2), 0x1C03));
}

Test(acpi_pm, gpe0_block)
{
    acpi_pm_set_gpe(&pm, 3);
    acpi_pm_set_gpe(&pm, 16); /* no such GPE: ignored */
    cr_assert(eq(u32, bus_in(&bus, BASE + ACPI_GPE0_STS, 2), 0x0008));
    cr_assert(not(sci));
    bus_out(&bus, BASE + ACPI_GPE0_EN, 0x0008, 1);
    cr_assert(eq(u32, bus_in(&bus, BASE + ACPI_GPE0_EN, 2), 0x0008));
    cr_assert(sci);
    bus_out(&bus, BASE + ACPI_GPE0_STS, 0x0001, 1);
    cr_assert(sci, "clearing another bit changes nothing");
    bus_out(&bus, BASE + ACPI_GPE0_STS, 0x0008, 1);
    cr_assert(not(sci));
    cr_assert(eq(u32, bus_in(&bus, BASE + ACPI_GPE0_STS, 2), 0));
}

Test(acpi_pm, unmodelled_registers_read_zero)
{
    for (unsigned off = 0x10; off < ACPI_PM_LEN; off++) {
        bus_out(&bus, (uint16_t)(BASE + off), 0xFF, 1);
        cr_assert(eq(u32, bus_in(&bus, (uint16_t)(BASE + off), 1), 0), "offset 0x%x", off);
    }
    /* A dword at the block's last two bytes reaches past it. */
    cr_assert(eq(u32, bus_in(&bus, BASE + ACPI_PM_LEN - 2, 4), 0xFFFF0000));
}

Test(acpi_pm, mapping_moves_and_removes_the_ports)
{
    acpi_pm_map(&pm, 0xB000, true);
    cr_assert(eq(u32, bus_in(&bus, BASE + ACPI_PM1_CNT, 2), 0xFFFF));
    cr_assert(eq(u32, bus_in(&bus, 0xB000 + ACPI_PM1_CNT, 2), ACPI_PM1_CNT_SCI_EN));
    acpi_pm_map(&pm, 0xB000, false);
    cr_assert(eq(u32, bus_in(&bus, 0xB000 + ACPI_PM1_CNT, 2), 0xFFFF));
    bus_out(&bus, 0xB004, ACPI_PM1_CNT_SLP_EN, 2);
    cr_assert(eq(uint, power_offs, 0));
    acpi_pm_map(&pm, 0xFFC0, true); /* the top of the I/O space */
    cr_assert(eq(u32, bus_in(&bus, 0xFFC4, 2), ACPI_PM1_CNT_SCI_EN));
    cr_assert(eq(u32, bus_in(&bus, 0xFFFE, 4), 0xFFFF0000), "wraps to port 0, unclaimed");
}

Test(acpi_pm, arbitrary_port_traffic_is_harmless)
{
    uint32_t x = 99;
    for (unsigned i = 0; i < 4096; i++) {
        x = x * 1103515245u + 12345u;
        unsigned size = 1u << (x >> 30 & 1) << (x >> 29 & 1);
        uint16_t port = (uint16_t)(BASE + (x >> 8 & 0x3F));
        bus_out(&bus, port, x, size);
        (void)bus_in(&bus, port, size);
        clock_advance_to(&clk, clk.now + (x & 0xFFFFF));
    }
    cr_assert(eq(u32, bus_in(&bus, BASE + ACPI_PM1_EN, 2) & ~ACPI_PM1_EN_MASK, 0));
}
