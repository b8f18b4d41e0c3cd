/* Unit tests for devices/port92.c: the stored and reserved bits, the fast
 * reset on a 0 -> 1 edge of bit 0, the A20 gate (bus_a20 and the mask's
 * effect on an access at 1 MiB), and the OR of port 0x92's A20 with the
 * 8042's when the machine routes the 8042's line through port92_kbc_a20.
 * docs/devices/port92.md maps each bit to its test. */
#include "devices/i8042.h"
#include "devices/port92.h"
#include "tests/unit/unit.h"

static struct bus bus;
static struct port92 p92;
static unsigned resets;

static void count_reset(void *opaque)
{
    cr_assert(eq(ptr, opaque, &p92));
    resets++;
}

static void setup(void)
{
    cr_assert(eq(int, bus_init(&bus, 2u << 20), 0));
    cr_assert(eq(int, port92_init(&p92, &bus, count_reset, &p92), 0));
}

static void teardown(void)
{
    bus_free(&bus);
}

TestSuite(port92, .init = setup, .fini = teardown, .timeout = 10.0);

static uint8_t rd(void)
{
    return (uint8_t)bus_in(&bus, PORT92_PORT, 1);
}

static void wr(uint8_t v)
{
    bus_out(&bus, PORT92_PORT, v, 1);
}

Test(port92, power_on_reads_zero_and_leaves_the_gate)
{
    cr_assert(eq(u8, rd(), 0));
    cr_assert(bus_a20(&bus), "init does not touch the bus's gate");
    cr_assert(eq(uint, resets, 0));
}

Test(port92, stored_and_reserved_bits)
{
    wr(0xFE);
    cr_assert(eq(u8, rd(), 0xCA), "bits 2, 4, 5 read as 0");
    wr(0x40);
    cr_assert(eq(u8, rd(), 0x48), "the lock bit stays set");
    wr(0x80);
    cr_assert(eq(u8, rd(), 0x88));
    port92_reset(&p92);
    cr_assert(eq(u8, rd(), 0x00), "power-on opens the lock");
}

Test(port92, a20_bit)
{
    wr(0x00);
    cr_assert(not(bus_a20(&bus)));
    bus_write(&bus, 0x100000 & bus.a20_mask, 0x77, 1); /* as the CPU forms it */
    cr_assert(eq(u8, bus_read8(&bus, 0), 0x77));
    cr_assert(eq(u8, bus_read8(&bus, 0x100000), 0x00));
    wr(PORT92_A20);
    cr_assert(bus_a20(&bus));
    cr_assert(eq(u8, rd(), PORT92_A20));
    bus_write(&bus, 0x100000 & bus.a20_mask, 0x88, 1);
    cr_assert(eq(u8, bus_read8(&bus, 0x100000), 0x88));
    cr_assert(eq(u8, bus_read8(&bus, 0), 0x77));
    cr_assert(eq(uint, resets, 0));
}

Test(port92, fast_reset_on_rising_edge)
{
    wr(PORT92_A20 | PORT92_RESET);
    cr_assert(eq(uint, resets, 1));
    cr_assert(bus_a20(&bus));
    cr_assert(eq(u8, rd(), PORT92_A20 | PORT92_RESET), "bit 0 reads back");
    wr(PORT92_A20 | PORT92_RESET);
    cr_assert(eq(uint, resets, 1), "1 -> 1 is no edge");
    wr(PORT92_A20);
    cr_assert(eq(uint, resets, 1));
    wr(PORT92_A20 | PORT92_RESET);
    cr_assert(eq(uint, resets, 2));
    port92_reset(&p92);
    wr(PORT92_RESET);
    cr_assert(eq(uint, resets, 3), "after power-on the bit is 0 again");
}

Test(port92, no_reset_callback_is_fine)
{
    struct port92 q;
    cr_assert(eq(int, port92_init(&q, &bus, NULL, NULL), 0));
    wr(PORT92_RESET);
    cr_assert(eq(u8, rd(), PORT92_RESET));
}

Test(port92, wide_accesses_are_split)
{
    bus_out(&bus, PORT92_PORT, 0xFF02, 2); /* 0x93 is unclaimed */
    cr_assert(eq(u8, rd(), PORT92_A20));
    cr_assert(eq(u32, bus_in(&bus, PORT92_PORT, 2), 0xFF02));
    cr_assert(eq(uint, resets, 0));
}

Test(port92, every_value_is_safe)
{
    for (unsigned v = 0; v < 256; v++) {
        wr((uint8_t)v);
        cr_assert(eq(u8, rd() & ~(PORT92_STORED), 0));
        cr_assert(eq(int, bus_a20(&bus), (v & 2) != 0));
    }
}

/* The machine's wiring: the 8042's A20 output into port 0x92. */
Test(port92, a20_is_the_or_of_both_sources)
{
    struct i8042 kbc;
    struct i8042_config cfg = { .a20 = port92_kbc_a20, .a20_opaque = &p92 };
    cr_assert(eq(int, i8042_init(&kbc, &bus, &cfg), 0));
    cr_assert(p92.kbc_a20, "the 8042 powers on with A20 on");
    wr(0x00); /* port 0x92 says off, the 8042 on */
    cr_assert(bus_a20(&bus));
    bus_out(&bus, I8042_CMD_PORT, 0xDD, 1); /* the 8042 says off too */
    cr_assert(not(bus_a20(&bus)));
    wr(PORT92_A20);
    cr_assert(bus_a20(&bus));
    bus_out(&bus, I8042_CMD_PORT, 0xDF, 1);
    wr(0x00);
    cr_assert(bus_a20(&bus));
    bus_out(&bus, I8042_CMD_PORT, 0xD1, 1);
    bus_out(&bus, I8042_DATA_PORT, 0xCD, 1);
    cr_assert(not(bus_a20(&bus)));
    bus_write(&bus, 0x100000 & bus.a20_mask, 0x99, 1);
    cr_assert(eq(u8, bus_read8(&bus, 0), 0x99));
}
