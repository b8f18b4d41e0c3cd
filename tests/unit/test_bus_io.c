/* Unit tests for the port-I/O side of mem/bus.c: handler registration and
 * dispatch, unclaimed ports, splitting for devices that take only bytes,
 * and the wrap from port 0xFFFF to 0. */
#include <errno.h>

#include "tests/unit/unit.h"

static struct bus bus;

static void bus_setup(void)
{
    cr_assert(eq(int, bus_init(&bus, 0x10000), 0));
}

static void bus_teardown(void)
{
    bus_free(&bus);
}

TestSuite(bus_io, .init = bus_setup, .fini = bus_teardown, .timeout = 10.0);

static const struct io_ops ops_all = { rec_io_read, rec_io_write, 1 | 2 | 4 };
static const struct io_ops ops_byte = { rec_io_read, rec_io_write, 1 };
static const struct io_ops ops_word = { rec_io_read, rec_io_write, 1 | 2 };
static const struct io_ops ops_write_only = { NULL, rec_io_write, 1 };
static const struct io_ops ops_read_only = { rec_io_read, NULL, 1 };

Test(bus_io, dispatch_to_registered_handler)
{
    struct rec_dev d = { .tag = 0x11 };
    cr_assert(eq(int, bus_io_register(&bus, 0x60, 5, &ops_all, &d), 0));
    cr_assert(eq(u32, bus_in(&bus, 0x61, 1), rec_value(&d, 0x61, 1)),
              "bits above the size must be masked off");
    cr_assert(eq(u32, bus_in(&bus, 0x62, 2), rec_value(&d, 0x62, 2)));
    cr_assert(eq(u32, bus_in(&bus, 0x60, 4), rec_value(&d, 0x60, 4)));
    bus_out(&bus, 0x64, 0xFFFFFF12, 1);
    bus_out(&bus, 0x62, 0xFFFF3456, 2);
    bus_out(&bus, 0x60, 0x89ABCDEF, 4);
    cr_assert(eq(uint, d.n, 6));
    rec_expect(&d, 0, false, 0x61, rec_value(&d, 0x61, 1), 1);
    rec_expect(&d, 1, false, 0x62, rec_value(&d, 0x62, 2), 2);
    rec_expect(&d, 2, false, 0x60, rec_value(&d, 0x60, 4), 4);
    rec_expect(&d, 3, true, 0x64, 0x12, 1);
    rec_expect(&d, 4, true, 0x62, 0x3456, 2);
    rec_expect(&d, 5, true, 0x60, 0x89ABCDEF, 4);
}

Test(bus_io, each_registration_keeps_its_opaque)
{
    struct rec_dev a = { .tag = 0x21 }, b = { .tag = 0x42 };
    cr_assert(eq(int, bus_io_register(&bus, 0x3F8, 8, &ops_byte, &a), 0));
    cr_assert(eq(int, bus_io_register(&bus, 0x2F8, 8, &ops_byte, &b), 0));
    cr_assert(eq(u32, bus_in(&bus, 0x3FD, 1), rec_value(&a, 0x3FD, 1)));
    cr_assert(eq(u32, bus_in(&bus, 0x2FD, 1), rec_value(&b, 0x2FD, 1)));
    bus_out(&bus, 0x2F8, 'x', 1);
    cr_assert(eq(uint, a.n, 1));
    cr_assert(eq(uint, b.n, 2));
    rec_expect(&b, 1, true, 0x2F8, 'x', 1);
    /* Ports just outside a registration are not claimed. */
    cr_assert(eq(u32, bus_in(&bus, 0x3F7, 1), 0xFF));
    cr_assert(eq(u32, bus_in(&bus, 0x400, 1), 0xFF));
    cr_assert(eq(uint, a.n, 1));
}

Test(bus_io, reregistering_replaces)
{
    struct rec_dev a = { .tag = 1 }, b = { .tag = 2 };
    cr_assert(eq(int, bus_io_register(&bus, 0x80, 1, &ops_byte, &a), 0));
    cr_assert(eq(int, bus_io_register(&bus, 0x80, 1, &ops_byte, &b), 0));
    bus_out(&bus, 0x80, 0x55, 1);
    cr_assert(eq(uint, a.n, 0));
    cr_assert(eq(uint, b.n, 1));
}

Test(bus_io, unclaimed_ports_read_all_ones)
{
    const uint16_t ports[] = { 0, 0x80, 0x3F8, 0xCF8, 0xFFFC, 0xFFFF };
    for (unsigned i = 0; i < sizeof(ports) / sizeof(ports[0]); i++) {
        bus_out(&bus, ports[i], 0, 1);
        bus_out(&bus, ports[i], 0, 2);
        bus_out(&bus, ports[i], 0, 4);
        cr_assert(eq(u32, bus_in(&bus, ports[i], 1), 0xFF), "port 0x%x", ports[i]);
        cr_assert(eq(u32, bus_in(&bus, ports[i], 2), 0xFFFF), "port 0x%x", ports[i]);
        cr_assert(eq(u32, bus_in(&bus, ports[i], 4), 0xFFFFFFFFu), "port 0x%x", ports[i]);
    }
}

Test(bus_io, byte_device_gets_wide_accesses_as_bytes)
{
    struct rec_dev d = { .tag = 0x33 };
    cr_assert(eq(int, bus_io_register(&bus, 0x70, 4, &ops_byte, &d), 0));
    cr_assert(eq(u32, bus_in(&bus, 0x70, 2), rec_value(&d, 0x70, 2)));
    cr_assert(eq(uint, d.n, 2));
    rec_expect(&d, 0, false, 0x70, rec_value(&d, 0x70, 1), 1);
    rec_expect(&d, 1, false, 0x71, rec_value(&d, 0x71, 1), 1);

    d.n = 0;
    cr_assert(eq(u32, bus_in(&bus, 0x70, 4), rec_value(&d, 0x70, 4)));
    cr_assert(eq(uint, d.n, 4));

    d.n = 0;
    bus_out(&bus, 0x70, 0x11223344, 4);
    bus_out(&bus, 0x72, 0xAABB, 2);
    cr_assert(eq(uint, d.n, 6));
    rec_expect(&d, 0, true, 0x70, 0x44, 1);
    rec_expect(&d, 1, true, 0x71, 0x33, 1);
    rec_expect(&d, 2, true, 0x72, 0x22, 1);
    rec_expect(&d, 3, true, 0x73, 0x11, 1);
    rec_expect(&d, 4, true, 0x72, 0xBB, 1);
    rec_expect(&d, 5, true, 0x73, 0xAA, 1);
}

Test(bus_io, split_reaches_neighbours_and_unclaimed_ports)
{
    struct rec_dev a = { .tag = 0x44 }, b = { .tag = 0x55 };
    cr_assert(eq(int, bus_io_register(&bus, 0x100, 1, &ops_byte, &a), 0));
    cr_assert(eq(int, bus_io_register(&bus, 0x101, 1, &ops_byte, &b), 0));
    /* A dword at 0x100: bytes from a, b, then two unclaimed ports. */
    uint32_t want = rec_value(&a, 0x100, 1) | rec_value(&b, 0x101, 1) << 8 | 0xFFFF0000u;
    cr_assert(eq(u32, bus_in(&bus, 0x100, 4), want));
    bus_out(&bus, 0x100, 0x04030201, 4);
    cr_assert(eq(uint, a.n, 2));
    cr_assert(eq(uint, b.n, 2));
    rec_expect(&a, 1, true, 0x100, 0x01, 1);
    rec_expect(&b, 1, true, 0x101, 0x02, 1);
}

Test(bus_io, word_device_splits_dwords)
{
    struct rec_dev d = { .tag = 0x66 };
    cr_assert(eq(int, bus_io_register(&bus, 0x1F0, 8, &ops_word, &d), 0));
    cr_assert(eq(u32, bus_in(&bus, 0x1F0, 2), rec_value(&d, 0x1F0, 2)));
    cr_assert(eq(uint, d.n, 1));
    rec_expect(&d, 0, false, 0x1F0, rec_value(&d, 0x1F0, 2), 2);
    d.n = 0;
    cr_assert(eq(u32, bus_in(&bus, 0x1F0, 4), rec_value(&d, 0x1F0, 4)));
    cr_assert(gt(uint, d.n, 1));
    for (unsigned i = 0; i < d.n; i++)
        cr_assert(lt(uint, d.log[i].size, 4), "access %u was not split", i);
}

Test(bus_io, port_ffff_wraps_to_0)
{
    struct rec_dev hi = { .tag = 0x77 }, lo = { .tag = 0x88 };
    cr_assert(eq(int, bus_io_register(&bus, 0xFFFF, 1, &ops_byte, &hi), 0));
    cr_assert(eq(int, bus_io_register(&bus, 0x0000, 1, &ops_byte, &lo), 0));
    uint32_t want = rec_value(&hi, 0xFFFF, 1) | rec_value(&lo, 0, 1) << 8;
    cr_assert(eq(u32, bus_in(&bus, 0xFFFF, 2), want));
    bus_out(&bus, 0xFFFF, 0xBBAA, 2);
    cr_assert(eq(uint, hi.n, 2));
    cr_assert(eq(uint, lo.n, 2));
    rec_expect(&hi, 1, true, 0xFFFF, 0xAA, 1);
    rec_expect(&lo, 1, true, 0x0000, 0xBB, 1);

    /* A dword at 0xFFFE: FFFE (unclaimed), FFFF, 0, 1 (unclaimed). */
    want = 0xFF | rec_value(&hi, 0xFFFF, 1) << 8 | rec_value(&lo, 0, 1) << 16 | 0xFF000000u;
    cr_assert(eq(u32, bus_in(&bus, 0xFFFE, 4), want));
}

Test(bus_io, handlers_may_be_read_or_write_only)
{
    struct rec_dev w = { .tag = 1 }, r = { .tag = 2 };
    cr_assert(eq(int, bus_io_register(&bus, 0x90, 1, &ops_write_only, &w), 0));
    cr_assert(eq(int, bus_io_register(&bus, 0x91, 1, &ops_read_only, &r), 0));
    cr_assert(eq(u32, bus_in(&bus, 0x90, 1), 0xFF));
    bus_out(&bus, 0x90, 0x12, 1);
    cr_assert(eq(uint, w.n, 1));
    rec_expect(&w, 0, true, 0x90, 0x12, 1);
    bus_out(&bus, 0x91, 0x34, 1);
    cr_assert(eq(uint, r.n, 0));
    cr_assert(eq(u32, bus_in(&bus, 0x91, 1), rec_value(&r, 0x91, 1)));
    cr_assert(eq(u32, bus_in(&bus, 0x90, 2), 0xFF | rec_value(&r, 0x91, 1) << 8));
}

Test(bus_io, register_bad_arguments)
{
    struct rec_dev d = { 0 };
    cr_assert(eq(int, bus_io_register(&bus, 0x60, 0, &ops_byte, &d), -EINVAL));
    cr_assert(eq(int, bus_io_register(&bus, 0xFFFF, 2, &ops_byte, &d), -EINVAL));
    cr_assert(eq(int, bus_io_register(&bus, 0xFF00, 0x101, &ops_byte, &d), -EINVAL));
    cr_assert(eq(int, bus_io_register(&bus, 0x60, 1, NULL, &d), -EINVAL));
    cr_assert(eq(u32, bus_in(&bus, 0xFFFF, 1), 0xFF), "a failed registration claims nothing");
    cr_assert(eq(u32, bus_in(&bus, 0x60, 1), 0xFF));
    /* The whole space at once is fine. */
    cr_assert(eq(int, bus_io_register(&bus, 0, 0x10000, &ops_byte, &d), 0));
    cr_assert(eq(u32, bus_in(&bus, 0xFFFF, 1), rec_value(&d, 0xFFFF, 1)));
}
