/* Unit tests for the memory side of mem/bus.c: RAM, ROM, unmapped space,
 * MMIO dispatch and splitting, RAM aliases, the A20 mask, block copies and
 * bus_init's argument checks. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tests/unit/unit.h"

#define RAM_SIZE (1u << 20) /* 1 MiB: everything at or above 0x100000 is unmapped */

static struct bus bus;

static void bus_setup(void)
{
    cr_assert(eq(int, bus_init(&bus, RAM_SIZE), 0));
}

static void bus_teardown(void)
{
    bus_free(&bus);
}

TestSuite(bus_ram, .init = bus_setup, .fini = bus_teardown, .timeout = 10.0);
TestSuite(bus_rom, .init = bus_setup, .fini = bus_teardown, .timeout = 10.0);
TestSuite(bus_mmio, .init = bus_setup, .fini = bus_teardown, .timeout = 10.0);
TestSuite(bus_map, .init = bus_setup, .fini = bus_teardown, .timeout = 10.0);
TestSuite(bus_block, .init = bus_setup, .fini = bus_teardown, .timeout = 10.0);
TestSuite(bus_create, .timeout = 10.0);

/* ---- RAM ---- */

Test(bus_ram, starts_zeroed_and_mapped)
{
    cr_assert(eq(u32, bus.ram_size, RAM_SIZE));
    for (uint32_t a = 0; a < RAM_SIZE; a += 0x1234)
        cr_assert(eq(u32, bus_read(&bus, a, 4), 0), "RAM at 0x%x not zero", a);
    cr_assert(eq(int, bus_page(&bus, 0)->kind, BUS_RAM));
    cr_assert(eq(int, bus_page(&bus, RAM_SIZE - 1)->kind, BUS_RAM));
    cr_assert(eq(int, bus_page(&bus, RAM_SIZE)->kind, BUS_UNMAPPED));
    cr_assert(eq(int, bus_page(&bus, 0xFFFFFFFFu)->kind, BUS_UNMAPPED));
}

Test(bus_ram, read_write_each_size)
{
    bus_write(&bus, 0x100, 0xAB, 1);
    cr_assert(eq(u32, bus_read(&bus, 0x100, 1), 0xAB));
    bus_write(&bus, 0x200, 0xBEEF, 2);
    cr_assert(eq(u32, bus_read(&bus, 0x200, 2), 0xBEEF));
    bus_write(&bus, 0x300, 0xDEADBEEF, 4);
    cr_assert(eq(u32, bus_read(&bus, 0x300, 4), 0xDEADBEEF));
    bus_write8(&bus, 0x400, 0x5A);
    cr_assert(eq(u8, bus_read8(&bus, 0x400), 0x5A));
    /* The last byte of RAM. */
    bus_write(&bus, RAM_SIZE - 1, 0x77, 1);
    cr_assert(eq(u32, bus_read(&bus, RAM_SIZE - 1, 1), 0x77));
    bus_write(&bus, RAM_SIZE - 4, 0x01020304, 4);
    cr_assert(eq(u32, bus_read(&bus, RAM_SIZE - 4, 4), 0x01020304));
}

Test(bus_ram, little_endian_byte_order)
{
    bus_write(&bus, 0x1000, 0x11223344, 4);
    cr_assert(eq(u8, bus.ram[0x1000], 0x44));
    cr_assert(eq(u8, bus.ram[0x1001], 0x33));
    cr_assert(eq(u8, bus.ram[0x1002], 0x22));
    cr_assert(eq(u8, bus.ram[0x1003], 0x11));
    cr_assert(eq(u32, bus_read(&bus, 0x1001, 2), 0x2233));
    cr_assert(eq(u32, bus_read(&bus, 0x1003, 1), 0x11));

    bus.ram[0x2000] = 0xEF;
    bus.ram[0x2001] = 0xBE;
    cr_assert(eq(u32, bus_read(&bus, 0x2000, 2), 0xBEEF));
}

Test(bus_ram, write_touches_only_its_bytes)
{
    memset(bus.ram + 0x500, 0xCC, 16);
    bus_write(&bus, 0x504, 0xFFFFFF12, 1); /* bits above the size are ignored */
    bus_write(&bus, 0x508, 0xFFFF3456, 2);
    const uint8_t want[16] = { 0xCC, 0xCC, 0xCC, 0xCC, 0x12, 0xCC, 0xCC, 0xCC,
                               0x56, 0x34, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC, 0xCC };
    cr_assert(eq(mem, bytes(bus.ram + 0x500, 16), bytes(want, 16)));
}

Test(bus_ram, read_returns_only_its_bytes)
{
    memset(bus.ram + 0x600, 0xFF, 8);
    bus.ram[0x602] = 0x42;
    cr_assert(eq(u32, bus_read(&bus, 0x602, 1), 0x42));
    cr_assert(eq(u32, bus_read(&bus, 0x602, 2), 0xFF42));
}

Test(bus_ram, page_crossing)
{
    bus_write(&bus, 0x1FFE, 0xA1B2C3D4, 4);
    cr_assert(eq(u8, bus.ram[0x1FFE], 0xD4));
    cr_assert(eq(u8, bus.ram[0x1FFF], 0xC3));
    cr_assert(eq(u8, bus.ram[0x2000], 0xB2));
    cr_assert(eq(u8, bus.ram[0x2001], 0xA1));
    cr_assert(eq(u32, bus_read(&bus, 0x1FFE, 4), 0xA1B2C3D4));
    cr_assert(eq(u32, bus_read(&bus, 0x1FFD, 4), 0xB2C3D400));
    cr_assert(eq(u32, bus_read(&bus, 0x1FFF, 4), 0x00A1B2C3));
    cr_assert(eq(u32, bus_read(&bus, 0x1FFF, 2), 0xB2C3));

    bus_write(&bus, 0x2FFF, 0x5566, 2);
    cr_assert(eq(u8, bus.ram[0x2FFF], 0x66));
    cr_assert(eq(u8, bus.ram[0x3000], 0x55));
    cr_assert(eq(u32, bus_read(&bus, 0x2FFF, 2), 0x5566));
}

Test(bus_ram, crossing_from_ram_into_unmapped)
{
    bus_write(&bus, RAM_SIZE - 2, 0x12345678, 4);
    cr_assert(eq(u8, bus.ram[RAM_SIZE - 2], 0x78));
    cr_assert(eq(u8, bus.ram[RAM_SIZE - 1], 0x56));
    cr_assert(eq(u32, bus_read(&bus, RAM_SIZE - 2, 4), 0xFFFF5678));
    cr_assert(eq(u32, bus_read(&bus, RAM_SIZE - 1, 2), 0xFF56));
}

Test(bus_ram, unmapped_reads_all_ones_and_drops_writes)
{
    const uint32_t addrs[] = { RAM_SIZE, 0x00F00000, 0x80000000u, 0xFEE00000u, 0xFFFFF000u };
    for (unsigned i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
        uint32_t a = addrs[i];
        bus_write(&bus, a, 0, 4);
        bus_write(&bus, a + 4, 0, 2);
        bus_write(&bus, a + 6, 0, 1);
        cr_assert(eq(u32, bus_read(&bus, a, 1), 0xFF), "at 0x%x", a);
        cr_assert(eq(u32, bus_read(&bus, a, 2), 0xFFFF), "at 0x%x", a);
        cr_assert(eq(u32, bus_read(&bus, a, 4), 0xFFFFFFFFu), "at 0x%x", a);
        cr_assert(eq(u32, bus_read(&bus, a + 4, 4), 0xFFFFFFFFu), "at 0x%x", a);
    }
    /* The very top byte, and a dword that would run past 4 GiB. */
    cr_assert(eq(u32, bus_read(&bus, 0xFFFFFFFFu, 1), 0xFF));
    cr_assert(eq(u32, bus_read(&bus, 0xFFFFFFFEu, 2), 0xFFFF));
    bus_write(&bus, 0xFFFFFFFFu, 0x12345678, 4); /* must not crash */
}

/* ---- ROM ---- */

static uint8_t image_byte(size_t i)
{
    return (uint8_t)(i * 13u + 5u);
}

static uint8_t *make_image(size_t len)
{
    uint8_t *img = malloc(len);
    cr_assert(not(eq(ptr, img, NULL)));
    for (size_t i = 0; i < len; i++)
        img[i] = image_byte(i);
    return img;
}

Test(bus_rom, reads_the_image)
{
    uint8_t *img = make_image(0x2000);
    cr_assert(eq(int, bus_map_rom(&bus, 0xE0000, img, 0x2000), 0));
    cr_assert(eq(int, bus_page(&bus, 0xE0000)->kind, BUS_ROM));
    cr_assert(eq(int, bus_page(&bus, 0xE1FFF)->kind, BUS_ROM));
    cr_assert(eq(int, bus_page(&bus, 0xE2000)->kind, BUS_RAM));
    for (uint32_t i = 0; i < 0x2000; i++)
        cr_assert(eq(u32, bus_read(&bus, 0xE0000 + i, 1), image_byte(i)), "ROM byte 0x%x", i);
    uint32_t want = image_byte(0xFFE) | image_byte(0xFFF) << 8 | (uint32_t)image_byte(0x1000) << 16 |
                    (uint32_t)image_byte(0x1001) << 24;
    cr_assert(eq(u32, bus_read(&bus, 0xE0FFE, 4), want), "dword across the ROM's pages");
    /* The bus keeps its own copy. */
    memset(img, 0, 0x2000);
    cr_assert(eq(u32, bus_read(&bus, 0xE0000 + 1, 1), image_byte(1)));
    free(img);
}

Test(bus_rom, writes_are_dropped)
{
    uint8_t *img = make_image(0x1000);
    cr_assert(eq(int, bus_map_rom(&bus, 0xF0000, img, 0x1000), 0));
    bus_write(&bus, 0xF0010, 0, 1);
    bus_write(&bus, 0xF0020, 0, 2);
    bus_write(&bus, 0xF0030, 0, 4);
    bus_write(&bus, 0xF0FFE, 0, 4); /* half in ROM, half in RAM */
    cr_assert(eq(u32, bus_read(&bus, 0xF0010, 1), image_byte(0x10)));
    cr_assert(eq(u32, bus_read(&bus, 0xF0020, 2), image_byte(0x20) | image_byte(0x21) << 8));
    cr_assert(eq(u32, bus_read(&bus, 0xF0030, 1), image_byte(0x30)));
    cr_assert(eq(u32, bus_read(&bus, 0xF0FFE, 2), image_byte(0xFFE) | image_byte(0xFFF) << 8));
    /* The RAM underneath is untouched by the dropped writes. */
    cr_assert(eq(u8, bus.ram[0xF0010], 0));
    free(img);
}

Test(bus_rom, short_image_is_padded_with_ones)
{
    uint8_t *img = make_image(100);
    cr_assert(eq(int, bus_map_rom(&bus, 0xC0000, img, 100), 0));
    cr_assert(eq(u32, bus_read(&bus, 0xC0000 + 99, 1), image_byte(99)));
    cr_assert(eq(u32, bus_read(&bus, 0xC0000 + 100, 1), 0xFF));
    cr_assert(eq(u32, bus_read(&bus, 0xC0FFC, 4), 0xFFFFFFFFu));
    cr_assert(eq(u32, bus_read(&bus, 0xC0000 + 98, 4), 0xFFFF0000u | image_byte(98) |
                                                           image_byte(99) << 8));
    cr_assert(eq(int, bus_page(&bus, 0xC1000)->kind, BUS_RAM));
    free(img);

    /* 5000 bytes take two pages; the second is padded after byte 903. */
    img = make_image(5000);
    cr_assert(eq(int, bus_map_rom(&bus, 0xD0000, img, 5000), 0));
    cr_assert(eq(int, bus_page(&bus, 0xD1000)->kind, BUS_ROM));
    cr_assert(eq(int, bus_page(&bus, 0xD2000)->kind, BUS_RAM));
    cr_assert(eq(u32, bus_read(&bus, 0xD0000 + 4999, 1), image_byte(4999)));
    cr_assert(eq(u32, bus_read(&bus, 0xD0000 + 5000, 1), 0xFF));
    cr_assert(eq(u32, bus_read(&bus, 0xD1FFF, 1), 0xFF));
    free(img);
}

Test(bus_rom, at_the_top_of_4gib)
{
    uint8_t *img = make_image(0x10000);
    cr_assert(eq(int, bus_map_rom(&bus, 0xFFFF0000u, img, 0x10000), 0));
    cr_assert(eq(u32, bus_read(&bus, 0xFFFFFFF0u, 1), image_byte(0xFFF0)));
    cr_assert(eq(u32, bus_read(&bus, 0xFFFFFFFFu, 1), image_byte(0xFFFF)));
    cr_assert(eq(u32, bus_read(&bus, 0xFFFFFFFCu, 4),
                 image_byte(0xFFFC) | image_byte(0xFFFD) << 8 |
                     (uint32_t)image_byte(0xFFFE) << 16 | (uint32_t)image_byte(0xFFFF) << 24));
    free(img);
}

Test(bus_rom, bad_arguments)
{
    uint8_t img[16] = { 0 };
    uint32_t gen = bus.map_gen;
    cr_assert(eq(int, bus_map_rom(&bus, 0xF0001, img, sizeof(img)), -EINVAL), "unaligned base");
    cr_assert(eq(int, bus_map_rom(&bus, 0xF0000, img, 0), -EINVAL), "empty image");
    uint8_t *big = make_image(0x2000);
    cr_assert(eq(int, bus_map_rom(&bus, 0xFFFFF000u, big, 0x2000), -EINVAL), "past 4 GiB");
    free(big);
    cr_assert(eq(u32, bus.map_gen, gen), "failed maps must not bump map_gen");
    cr_assert(eq(int, bus_page(&bus, 0xF0000)->kind, BUS_RAM));
    cr_assert(eq(int, bus_page(&bus, 0xFFFFF000u)->kind, BUS_UNMAPPED));
}

Test(bus_rom, too_many_roms)
{
    uint8_t img[16] = { 1 };
    for (unsigned i = 0; i < BUS_MAX_ROMS; i++)
        cr_assert(eq(int, bus_map_rom(&bus, 0xC0000 + i * 0x1000, img, sizeof(img)), 0));
    cr_assert(eq(int, bus_map_rom(&bus, 0xD0000, img, sizeof(img)), -ENOSPC));
    cr_assert(eq(int, bus_page(&bus, 0xD0000)->kind, BUS_RAM));
}

Test(bus_rom, remap_replaces)
{
    uint8_t a[16], b[16];
    memset(a, 0xAA, sizeof(a));
    memset(b, 0xBB, sizeof(b));
    cr_assert(eq(int, bus_map_rom(&bus, 0xF0000, a, sizeof(a)), 0));
    cr_assert(eq(int, bus_map_rom(&bus, 0xF0000, b, sizeof(b)), 0));
    cr_assert(eq(u32, bus_read(&bus, 0xF0000, 1), 0xBB));
    bus_unmap(&bus, 0xF0000, 0x1000);
    cr_assert(eq(int, bus_page(&bus, 0xF0000)->kind, BUS_UNMAPPED));
    cr_assert(eq(u32, bus_read(&bus, 0xF0000, 4), 0xFFFFFFFFu));
}

/* ---- MMIO ---- */

static const struct mmio_ops rec_ops4 = { rec_mmio_read, rec_mmio_write, 4 };
static const struct mmio_ops rec_ops2 = { rec_mmio_read, rec_mmio_write, 2 };
static const struct mmio_ops rec_ops1 = { rec_mmio_read, rec_mmio_write, 1 };
static const struct mmio_ops rec_ops0 = { rec_mmio_read, rec_mmio_write, 0 };

#define MMIO_BASE 0xFEC00000u

Test(bus_mmio, dispatch_with_offset_and_size)
{
    struct rec_dev d = { .tag = 0x10 };
    cr_assert(eq(int, bus_map_mmio(&bus, MMIO_BASE, 0x2000, &rec_ops4, &d), 0));
    cr_assert(eq(int, bus_page(&bus, MMIO_BASE)->kind, BUS_MMIO));
    cr_assert(eq(int, bus_page(&bus, MMIO_BASE + 0x1FFF)->kind, BUS_MMIO));

    cr_assert(eq(u32, bus_read(&bus, MMIO_BASE + 0x10, 4), rec_value(&d, 0x10, 4)));
    cr_assert(eq(u32, bus_read(&bus, MMIO_BASE + 0x1002, 2), rec_value(&d, 0x1002, 2)),
              "upper bits the device returned must be masked off");
    cr_assert(eq(u32, bus_read(&bus, MMIO_BASE + 0x1FFF, 1), rec_value(&d, 0x1FFF, 1)));
    bus_write(&bus, MMIO_BASE + 0x20, 0xCAFEF00D, 4);
    bus_write(&bus, MMIO_BASE + 0x1006, 0xBEEF, 2);
    bus_write(&bus, MMIO_BASE + 0x7, 0x5A, 1);

    cr_assert(eq(uint, d.n, 6));
    rec_expect(&d, 0, false, 0x10, rec_value(&d, 0x10, 4), 4);
    rec_expect(&d, 1, false, 0x1002, rec_value(&d, 0x1002, 2), 2);
    rec_expect(&d, 2, false, 0x1FFF, rec_value(&d, 0x1FFF, 1), 1);
    rec_expect(&d, 3, true, 0x20, 0xCAFEF00D, 4);
    rec_expect(&d, 4, true, 0x1006, 0xBEEF, 2);
    rec_expect(&d, 5, true, 0x7, 0x5A, 1);
}

Test(bus_mmio, max_size_zero_means_four)
{
    struct rec_dev d = { .tag = 0x20 };
    cr_assert(eq(int, bus_map_mmio(&bus, MMIO_BASE, 0x1000, &rec_ops0, &d), 0));
    cr_assert(eq(u32, bus_read(&bus, MMIO_BASE + 8, 4), rec_value(&d, 8, 4)));
    bus_write(&bus, MMIO_BASE + 12, 0x01020304, 4);
    cr_assert(eq(uint, d.n, 2));
    rec_expect(&d, 0, false, 8, rec_value(&d, 8, 4), 4);
    rec_expect(&d, 1, true, 12, 0x01020304, 4);
}

Test(bus_mmio, byte_device_gets_wide_accesses_as_bytes)
{
    struct rec_dev d = { .tag = 0x30 };
    cr_assert(eq(int, bus_map_mmio(&bus, MMIO_BASE, 0x1000, &rec_ops1, &d), 0));
    cr_assert(eq(u32, bus_read(&bus, MMIO_BASE + 4, 4), rec_value(&d, 4, 4)));
    cr_assert(eq(uint, d.n, 4));
    for (unsigned i = 0; i < 4; i++)
        rec_expect(&d, i, false, 4 + i, rec_value(&d, 4 + i, 1), 1);

    d.n = 0;
    bus_write(&bus, MMIO_BASE + 0x40, 0x11223344, 4);
    bus_write(&bus, MMIO_BASE + 0x50, 0xAABB, 2);
    cr_assert(eq(uint, d.n, 6));
    rec_expect(&d, 0, true, 0x40, 0x44, 1);
    rec_expect(&d, 1, true, 0x41, 0x33, 1);
    rec_expect(&d, 2, true, 0x42, 0x22, 1);
    rec_expect(&d, 3, true, 0x43, 0x11, 1);
    rec_expect(&d, 4, true, 0x50, 0xBB, 1);
    rec_expect(&d, 5, true, 0x51, 0xAA, 1);
}

Test(bus_mmio, word_device_splits_dwords_keeps_words)
{
    struct rec_dev d = { .tag = 0x40 };
    cr_assert(eq(int, bus_map_mmio(&bus, MMIO_BASE, 0x1000, &rec_ops2, &d), 0));
    cr_assert(eq(u32, bus_read(&bus, MMIO_BASE + 2, 2), rec_value(&d, 2, 2)));
    cr_assert(eq(uint, d.n, 1));
    rec_expect(&d, 0, false, 2, rec_value(&d, 2, 2), 2);
    d.n = 0;
    /* Wider than the device takes: the bus splits it (into bytes). */
    cr_assert(eq(u32, bus_read(&bus, MMIO_BASE + 8, 4), rec_value(&d, 8, 4)));
    bus_write(&bus, MMIO_BASE + 8, 0x11223344, 4);
    cr_assert(gt(uint, d.n, 2));
    for (unsigned i = 0; i < d.n; i++)
        cr_assert(lt(uint, d.log[i].size, 4), "access %u was not split", i);
}

Test(bus_mmio, page_crossing_inside_a_region_is_split)
{
    struct rec_dev d = { .tag = 0x50 };
    cr_assert(eq(int, bus_map_mmio(&bus, MMIO_BASE, 0x2000, &rec_ops4, &d), 0));
    cr_assert(eq(u32, bus_read(&bus, MMIO_BASE + 0xFFE, 4), rec_value(&d, 0xFFE, 4)));
    cr_assert(eq(uint, d.n, 4));
    for (unsigned i = 0; i < 4; i++)
        rec_expect(&d, i, false, 0xFFE + i, rec_value(&d, 0xFFE + i, 1), 1);
    d.n = 0;
    bus_write(&bus, MMIO_BASE + 0xFFF, 0x99887766, 4);
    cr_assert(eq(uint, d.n, 4));
    rec_expect(&d, 0, true, 0xFFF, 0x66, 1);
    rec_expect(&d, 1, true, 0x1000, 0x77, 1);
    rec_expect(&d, 2, true, 0x1001, 0x88, 1);
    rec_expect(&d, 3, true, 0x1002, 0x99, 1);
}

Test(bus_mmio, region_crossing_into_ram_is_split)
{
    /* A one-page region over RAM at 0x5000: an access at its end runs into RAM. */
    struct rec_dev d = { .tag = 0x60 };
    cr_assert(eq(int, bus_map_mmio(&bus, 0x5000, 0x1000, &rec_ops4, &d), 0));
    bus.ram[0x6000] = 0x12;
    bus.ram[0x6001] = 0x34;
    uint32_t want = rec_value(&d, 0xFFE, 2) | 0x34120000u;
    cr_assert(eq(u32, bus_read(&bus, 0x5FFE, 4), want));
    cr_assert(eq(uint, d.n, 2));
    rec_expect(&d, 0, false, 0xFFE, rec_value(&d, 0xFFE, 1), 1);
    rec_expect(&d, 1, false, 0xFFF, rec_value(&d, 0xFFF, 1), 1);

    d.n = 0;
    bus_write(&bus, 0x5FFF, 0xA1B2C3D4, 4);
    cr_assert(eq(uint, d.n, 1));
    rec_expect(&d, 0, true, 0xFFF, 0xD4, 1);
    cr_assert(eq(u8, bus.ram[0x6000], 0xC3));
    cr_assert(eq(u8, bus.ram[0x6001], 0xB2));
    cr_assert(eq(u8, bus.ram[0x6002], 0xA1));
    cr_assert(eq(u8, bus.ram[0x5FFF], 0), "RAM under the MMIO page is not written");
}

Test(bus_mmio, two_regions_two_devices)
{
    struct rec_dev a = { .tag = 0x70 }, b = { .tag = 0x80 };
    cr_assert(eq(int, bus_map_mmio(&bus, MMIO_BASE, 0x1000, &rec_ops4, &a), 0));
    cr_assert(eq(int, bus_map_mmio(&bus, MMIO_BASE + 0x1000, 0x1000, &rec_ops4, &b), 0));
    cr_assert(eq(u32, bus_read(&bus, MMIO_BASE + 4, 4), rec_value(&a, 4, 4)));
    cr_assert(eq(u32, bus_read(&bus, MMIO_BASE + 0x1004, 4), rec_value(&b, 4, 4)));
    bus_write(&bus, MMIO_BASE + 0x1008, 0x42, 1);
    cr_assert(eq(uint, a.n, 1));
    cr_assert(eq(uint, b.n, 2));
    rec_expect(&b, 1, true, 8, 0x42, 1);
    /* A dword across the boundary goes to both, a byte each at their own offsets. */
    a.n = b.n = 0;
    bus_write(&bus, MMIO_BASE + 0xFFE, 0x44332211, 4);
    cr_assert(eq(uint, a.n, 2));
    cr_assert(eq(uint, b.n, 2));
    rec_expect(&a, 0, true, 0xFFE, 0x11, 1);
    rec_expect(&a, 1, true, 0xFFF, 0x22, 1);
    rec_expect(&b, 0, true, 0, 0x33, 1);
    rec_expect(&b, 1, true, 1, 0x44, 1);
}

Test(bus_mmio, unmap_stops_dispatch)
{
    struct rec_dev d = { .tag = 0x90 };
    cr_assert(eq(int, bus_map_mmio(&bus, MMIO_BASE, 0x2000, &rec_ops4, &d), 0));
    bus_unmap(&bus, MMIO_BASE + 0x1000, 0x1000);
    cr_assert(eq(u32, bus_read(&bus, MMIO_BASE + 0x1000, 4), 0xFFFFFFFFu));
    bus_write(&bus, MMIO_BASE + 0x1000, 0, 4);
    cr_assert(eq(uint, d.n, 0));
    cr_assert(eq(u32, bus_read(&bus, MMIO_BASE, 1), rec_value(&d, 0, 1)));
    cr_assert(eq(uint, d.n, 1));
}

Test(bus_mmio, bad_arguments)
{
    struct rec_dev d = { 0 };
    uint32_t gen = bus.map_gen;
    cr_assert(eq(int, bus_map_mmio(&bus, MMIO_BASE + 4, 0x1000, &rec_ops4, &d), -EINVAL));
    cr_assert(eq(int, bus_map_mmio(&bus, MMIO_BASE, 0x800, &rec_ops4, &d), -EINVAL));
    cr_assert(eq(int, bus_map_mmio(&bus, MMIO_BASE, 0, &rec_ops4, &d), -EINVAL));
    cr_assert(eq(int, bus_map_mmio(&bus, 0xFFFFF000u, 0x2000, &rec_ops4, &d), -EINVAL));
    cr_assert(eq(u32, bus.map_gen, gen));
    cr_assert(eq(uint, bus.nregions, 0));
}

Test(bus_mmio, region_table_limit)
{
    struct rec_dev d = { 0 };
    for (unsigned i = 0; i < BUS_MAX_REGIONS; i++)
        cr_assert(eq(int, bus_map_mmio(&bus, MMIO_BASE + i * 0x1000, 0x1000, &rec_ops4, &d), 0));
    cr_assert(lt(int, bus_map_mmio(&bus, 0xFED00000u, 0x1000, &rec_ops4, &d), 0));
    cr_assert(eq(int, bus_page(&bus, 0xFED00000u)->kind, BUS_UNMAPPED));
}

Test(bus_mmio, moving_region_reuses_its_slot)
{
    /* A BAR moved or toggled far more often than the table is long: each
     * old mapping is unmapped first, so its slot comes free again. */
    struct rec_dev a = { .tag = 0x11 }, b = { .tag = 0x22 };
    cr_assert(eq(int, bus_map_mmio(&bus, 0xFED00000u, 0x1000, &rec_ops4, &b), 0));
    uint32_t at = MMIO_BASE;
    for (unsigned i = 0; i < 3 * BUS_MAX_REGIONS; i++) {
        if (i)
            bus_unmap(&bus, at, 0x2000);
        at = MMIO_BASE + (i % 5) * 0x4000;
        cr_assert(eq(int, bus_map_mmio(&bus, at, 0x2000, &rec_ops4, &a), 0), "map %u", i);
    }
    cr_assert(le(uint, bus.nregions, BUS_MAX_REGIONS));
    cr_assert(eq(u32, bus_read(&bus, at + 0x1004, 1), rec_value(&a, 0x1004, 1)));
    /* The region that stayed mapped all along still answers. */
    cr_assert(eq(u32, bus_read(&bus, 0xFED00008u, 1), rec_value(&b, 8, 1)));
    /* A region only partly mapped over keeps its slot: its other page
     * still answers after the table has been cycled again. */
    bus_unmap(&bus, at, 0x2000);
    cr_assert(eq(int, bus_map_mmio(&bus, MMIO_BASE, 0x2000, &rec_ops4, &a), 0));
    cr_assert(eq(int, bus_map_mmio(&bus, MMIO_BASE, 0x1000, &rec_ops4, &b), 0));
    for (unsigned i = 0; i < 2 * BUS_MAX_REGIONS; i++) {
        cr_assert(eq(int, bus_map_mmio(&bus, 0xFEE00000u, 0x1000, &rec_ops4, &b), 0), "%u", i);
        bus_unmap(&bus, 0xFEE00000u, 0x1000);
    }
    cr_assert(eq(u32, bus_read(&bus, MMIO_BASE + 0x1010, 1), rec_value(&a, 0x1010, 1)));
}

/* ---- aliases, A20, map_gen ---- */

Test(bus_map, ram_alias_shares_bytes)
{
    uint32_t gen = bus.map_gen;
    cr_assert(eq(int, bus_map_ram_alias(&bus, 0xE0000, 0x10000, 0x2000), 0));
    cr_assert(gt(u32, bus.map_gen, gen));
    cr_assert(eq(int, bus_page(&bus, 0xE1000)->kind, BUS_RAM));
    bus_write(&bus, 0xE0010, 0xDEADBEEF, 4);
    cr_assert(eq(u32, bus_read(&bus, 0x10010, 4), 0xDEADBEEF));
    bus_write(&bus, 0x11FFC, 0x0BADF00D, 4);
    cr_assert(eq(u32, bus_read(&bus, 0xE1FFC, 4), 0x0BADF00D));
    /* Crossing between the alias's two pages follows RAM order. */
    bus_write(&bus, 0xE0FFE, 0x44332211, 4);
    cr_assert(eq(u32, bus_read(&bus, 0x10FFE, 4), 0x44332211));
    /* The RAM that used to be at 0xE0000 is still there, just hidden. */
    cr_assert(eq(u8, bus.ram[0xE0010], 0));
}

Test(bus_map, ram_alias_above_ram)
{
    cr_assert(eq(int, bus_map_ram_alias(&bus, 0xFFFF0000u, RAM_SIZE - 0x10000, 0x10000), 0));
    bus_write(&bus, 0xFFFFFFF0u, 0xEA, 1);
    cr_assert(eq(u8, bus.ram[RAM_SIZE - 0x10], 0xEA));
}

Test(bus_map, ram_alias_bad_arguments)
{
    uint32_t gen = bus.map_gen;
    cr_assert(eq(int, bus_map_ram_alias(&bus, 0xE0000, 0x10001, 0x1000), -EINVAL));
    cr_assert(eq(int, bus_map_ram_alias(&bus, 0xE0800, 0x10000, 0x1000), -EINVAL));
    cr_assert(eq(int, bus_map_ram_alias(&bus, 0xE0000, 0x10000, 0x800), -EINVAL));
    cr_assert(eq(int, bus_map_ram_alias(&bus, 0xE0000, RAM_SIZE - 0x1000, 0x2000), -EINVAL));
    cr_assert(eq(int, bus_map_ram_alias(&bus, 0xE0000, 0, 0), -EINVAL));
    cr_assert(eq(u32, bus.map_gen, gen));
}

Test(bus_map, a20_gate)
{
    cr_assert(bus_a20(&bus), "A20 starts enabled");
    cr_assert(eq(u32, bus.a20_mask, 0xFFFFFFFFu));
    uint32_t gen = bus.map_gen;

    bus_set_a20(&bus, false);
    cr_assert(not(bus_a20(&bus)));
    cr_assert(eq(u32, bus.a20_mask, 0xFFEFFFFFu));
    cr_assert(eq(u32, bus.map_gen, gen + 1));
    /* What the CPU does with the mask: FFFF:0010 wraps to 0. */
    cr_assert(eq(u32, 0x100000u & bus.a20_mask, 0));
    cr_assert(eq(u32, 0x10FFEFu & bus.a20_mask, 0xFFEF));
    cr_assert(eq(u32, 0x300000u & bus.a20_mask, 0x200000), "only bit 20 is masked");

    bus_set_a20(&bus, false);
    cr_assert(eq(u32, bus.map_gen, gen + 1), "no change, no bump");
    bus_set_a20(&bus, true);
    cr_assert(bus_a20(&bus));
    cr_assert(eq(u32, bus.a20_mask, 0xFFFFFFFFu));
    cr_assert(eq(u32, bus.map_gen, gen + 2));
    bus_set_a20(&bus, true);
    cr_assert(eq(u32, bus.map_gen, gen + 2));
}

Test(bus_map, map_gen_bumps_on_every_mapping_change)
{
    struct rec_dev d = { 0 };
    uint8_t img[16] = { 0 };
    uint32_t gen = bus.map_gen;
    cr_assert(eq(int, bus_map_rom(&bus, 0xF0000, img, sizeof(img)), 0));
    cr_assert(gt(u32, bus.map_gen, gen));
    gen = bus.map_gen;
    cr_assert(eq(int, bus_map_mmio(&bus, MMIO_BASE, 0x1000, &rec_ops4, &d), 0));
    cr_assert(gt(u32, bus.map_gen, gen));
    gen = bus.map_gen;
    cr_assert(eq(int, bus_map_ram_alias(&bus, 0xF0000, 0, 0x1000), 0));
    cr_assert(gt(u32, bus.map_gen, gen));
    gen = bus.map_gen;
    bus_unmap(&bus, 0xF0000, 0x1000);
    cr_assert(gt(u32, bus.map_gen, gen));
    gen = bus.map_gen;
    bus_write(&bus, 0x100, 1, 4);
    (void)bus_read(&bus, 0x100, 4);
    cr_assert(eq(u32, bus.map_gen, gen), "plain accesses do not bump map_gen");
}

/* ---- block copies ---- */

Test(bus_block, round_trip_across_pages)
{
    uint8_t src[0x2100], dst[sizeof(src)];
    for (size_t i = 0; i < sizeof(src); i++)
        src[i] = (uint8_t)(i ^ (i >> 8));
    bus_write_block(&bus, 0x7F80, src, sizeof(src));
    cr_assert(eq(mem, bytes(bus.ram + 0x7F80, sizeof(src)), bytes(src, sizeof(src))));
    bus_read_block(&bus, 0x7F80, dst, sizeof(dst));
    cr_assert(eq(mem, bytes(dst, sizeof(dst)), bytes(src, sizeof(src))));
    bus_read_block(&bus, 0x7F80, dst, 0); /* zero length is fine */
    bus_write_block(&bus, 0x7F80, src, 0);
}

Test(bus_block, honours_rom_unmapped_and_mmio)
{
    uint8_t img[0x1000];
    memset(img, 0x5A, sizeof(img));
    cr_assert(eq(int, bus_map_rom(&bus, 0xF0000, img, sizeof(img)), 0));
    struct rec_dev d = { .tag = 0x11 };
    cr_assert(eq(int, bus_map_mmio(&bus, MMIO_BASE, 0x1000, &rec_ops4, &d), 0));

    /* Across RAM into ROM: the RAM part lands, the ROM part is dropped. */
    uint8_t ones[8];
    memset(ones, 0x01, sizeof(ones));
    bus_write_block(&bus, 0xEFFFC, ones, sizeof(ones));
    uint8_t got[8];
    bus_read_block(&bus, 0xEFFFC, got, sizeof(got));
    const uint8_t want[8] = { 1, 1, 1, 1, 0x5A, 0x5A, 0x5A, 0x5A };
    cr_assert(eq(mem, bytes(got, 8), bytes(want, 8)));

    /* Across the end of RAM: unmapped bytes read as 0xFF. */
    bus_read_block(&bus, RAM_SIZE - 2, got, 4);
    const uint8_t want2[4] = { 0, 0, 0xFF, 0xFF };
    cr_assert(eq(mem, bytes(got, 4), bytes(want2, 4)));

    /* MMIO sees the block as byte accesses, in order. */
    const uint8_t out[3] = { 0xA0, 0xA1, 0xA2 };
    bus_write_block(&bus, MMIO_BASE + 0x10, out, sizeof(out));
    bus_read_block(&bus, MMIO_BASE + 0x20, got, 2);
    cr_assert(eq(uint, d.n, 5));
    for (unsigned i = 0; i < 3; i++)
        rec_expect(&d, i, true, 0x10 + i, out[i], 1);
    rec_expect(&d, 3, false, 0x20, rec_value(&d, 0x20, 1), 1);
    rec_expect(&d, 4, false, 0x21, rec_value(&d, 0x21, 1), 1);
    cr_assert(eq(u8, got[0], rec_byte(&d, 0x20)));
    cr_assert(eq(u8, got[1], rec_byte(&d, 0x21)));
}

/* ---- bus_init ---- */

static void expect_rejected(uint32_t size)
{
    struct bus b;
    memset(&b, 0x5A, sizeof(b));
    cr_assert(eq(int, bus_init(&b, size), -EINVAL), "size 0x%x", size);
    cr_assert(eq(ptr, b.ram, NULL));
    cr_assert(eq(ptr, b.pages, NULL));
    bus_free(&b); /* a failed init leaves a bus that is safe to free */
}

Test(bus_create, rejects_bad_sizes)
{
    expect_rejected(0);
    expect_rejected(1);
    expect_rejected(4097);
    expect_rejected(0x100800);
    expect_rejected(0xF0001000u);
    expect_rejected(0xFFFFF000u);
}

Test(bus_create, accepts_good_sizes_and_frees_cleanly)
{
    const uint32_t sizes[] = { 0x1000, 0xA0000, 16u << 20 };
    for (unsigned i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        struct bus b;
        cr_assert(eq(int, bus_init(&b, sizes[i]), 0), "size 0x%x", sizes[i]);
        cr_assert(eq(u32, b.ram_size, sizes[i]));
        cr_assert(eq(int, bus_page(&b, sizes[i] - 1)->kind, BUS_RAM));
        cr_assert(eq(int, bus_page(&b, sizes[i])->kind, BUS_UNMAPPED));
        cr_assert(eq(u32, bus_in(&b, 0x80, 1), 0xFF), "no port is claimed yet");
        cr_assert(bus_a20(&b));
        bus_free(&b);
        cr_assert(eq(ptr, b.ram, NULL));
        bus_free(&b); /* freeing twice is harmless: bus_free clears the struct */
    }
}
