/* Unit tests for devices/vga_mem.c: the A0000-BFFFF window (memory map
 * select, RAM enable), planar, odd/even and chain-4 addressing, the map
 * mask, the latches, write modes 0-3 and read modes 0-1.  Expected values
 * follow the IBM VGA Technical Reference's description of the graphics
 * controller's data path (FreeVGA "VGA write modes" / "read modes"). */
#include "tests/unit/vga_fixture.h"

/* Planar 64 KiB at A0000, all planes, write mode 0, everything neutral. */
static void planar_setup(void)
{
    vga_setup();
    out8(0x3C2, 0x63);
    seq_w(2, 0x0F);
    seq_w(4, 0x06);
    gc_w(5, 0x00);
    gc_w(6, 0x05);
    gc_w(8, 0xFF);
}

TestSuite(vga_mem, .init = planar_setup, .fini = vga_teardown, .timeout = 10.0);

/* Puts b[p] in plane p at offset o through the map mask. */
static void fill_planes(uint32_t o, const uint8_t b[4])
{
    for (unsigned p = 0; p < 4; p++) {
        seq_w(2, (uint8_t)(1u << p));
        mem_w(0xA0000 + o, b[p]);
    }
    seq_w(2, 0x0F);
}

Test(vga_mem, map_mask_selects_planes)
{
    seq_w(2, 0x05);
    mem_w(0xA0010, 0x5A);
    cr_assert(eq(u8, plane(0, 0x10), 0x5A));
    cr_assert(eq(u8, plane(1, 0x10), 0x00));
    cr_assert(eq(u8, plane(2, 0x10), 0x5A));
    cr_assert(eq(u8, plane(3, 0x10), 0x00));
    seq_w(2, 0x00);
    mem_w(0xA0010, 0xFF);
    cr_assert(eq(u8, plane(0, 0x10), 0x5A), "no plane enabled: nothing written");
}

Test(vga_mem, read_mode0_read_map_select)
{
    const uint8_t b[4] = { 0x11, 0x22, 0x33, 0x44 };
    fill_planes(0x100, b);
    for (uint8_t p = 0; p < 4; p++) {
        gc_w(4, p);
        cr_assert(eq(u8, mem_r(0xA0100), b[p]), "plane %u", p);
    }
}

Test(vga_mem, read_mode1_color_compare_and_dont_care)
{
    /* Pixels (bit 7 leftmost) of the four planes:
     *   plane 0 1100 1010, plane 1 1010 0110, plane 2 0000 1111, plane 3 1111 0000 */
    const uint8_t b[4] = { 0xCA, 0xA6, 0x0F, 0xF0 };
    fill_planes(0x200, b);
    gc_w(5, 0x08);
    gc_w(2, 0x09); /* colour 1001: planes 0 and 3 set, 1 and 2 clear */
    gc_w(7, 0x0F);
    /* bit: p0 & ~p1 & ~p2 & p3 = 1100 1010 & 0101 1001 & 1111 0000 & 1111 0000 = 0100 0000 */
    cr_assert(eq(u8, mem_r(0xA0200), 0x40));
    gc_w(7, 0x09); /* only planes 0 and 3 matter: p0 & p3 = 1100 0000 */
    cr_assert(eq(u8, mem_r(0xA0200), 0xC0));
    gc_w(7, 0x00); /* nothing matters: every pixel matches */
    cr_assert(eq(u8, mem_r(0xA0200), 0xFF));
}

Test(vga_mem, write_mode0_set_reset)
{
    gc_w(0, 0x05); /* set/reset: planes 0 and 2 ones, 1 and 3 zeros */
    gc_w(1, 0x0F);
    mem_w(0xA0020, 0x3C); /* the CPU byte is not used for enabled planes */
    cr_assert(eq(u8, plane(0, 0x20), 0xFF));
    cr_assert(eq(u8, plane(1, 0x20), 0x00));
    cr_assert(eq(u8, plane(2, 0x20), 0xFF));
    cr_assert(eq(u8, plane(3, 0x20), 0x00));
    gc_w(1, 0x03); /* planes 2 and 3 take the CPU byte */
    mem_w(0xA0021, 0x3C);
    cr_assert(eq(u8, plane(0, 0x21), 0xFF));
    cr_assert(eq(u8, plane(1, 0x21), 0x00));
    cr_assert(eq(u8, plane(2, 0x21), 0x3C));
    cr_assert(eq(u8, plane(3, 0x21), 0x3C));
}

Test(vga_mem, write_mode0_rotate_logic_and_bit_mask)
{
    const uint8_t b[4] = { 0xF0, 0x0F, 0xFF, 0x00 };
    fill_planes(0x30, b);
    (void)mem_r(0xA0030); /* latches = b */
    gc_w(3, 0x18 | 0x02);  /* XOR, rotate right by 2 */
    gc_w(8, 0x3C);
    mem_w(0xA0030, 0x81); /* ror 2: 0110 0000 = 0x60 */
    /* Each plane: ((0x60 ^ latch) & 0x3C) | (latch & ~0x3C). */
    for (unsigned p = 0; p < 4; p++) {
        uint8_t want = (uint8_t)(((0x60 ^ b[p]) & 0x3C) | (b[p] & ~0x3C));
        cr_assert(eq(u8, plane(p, 0x30), want), "plane %u", p);
    }
    gc_w(3, 0x08); /* AND */
    gc_w(8, 0xFF);
    fill_planes(0x31, b);
    (void)mem_r(0xA0031);
    mem_w(0xA0031, 0x3C);
    for (unsigned p = 0; p < 4; p++)
        cr_assert(eq(u8, plane(p, 0x31), b[p] & 0x3C), "AND plane %u", p);
    gc_w(3, 0x10); /* OR */
    fill_planes(0x32, b);
    (void)mem_r(0xA0032);
    mem_w(0xA0032, 0x3C);
    for (unsigned p = 0; p < 4; p++)
        cr_assert(eq(u8, plane(p, 0x32), b[p] | 0x3C), "OR plane %u", p);
}

Test(vga_mem, write_mode1_copies_latches)
{
    const uint8_t b[4] = { 0xDE, 0xAD, 0xBE, 0xEF };
    fill_planes(0x40, b);
    gc_w(5, 0x01);
    gc_w(8, 0x00); /* the bit mask does not apply in write mode 1 */
    (void)mem_r(0xA0040);
    mem_w(0xA0041, 0x00);
    for (unsigned p = 0; p < 4; p++)
        cr_assert(eq(u8, plane(p, 0x41), b[p]), "plane %u", p);
}

Test(vga_mem, write_mode2_colour_with_bit_mask)
{
    const uint8_t b[4] = { 0x0F, 0x0F, 0x0F, 0x0F };
    fill_planes(0x50, b);
    (void)mem_r(0xA0050);
    gc_w(5, 0x02);
    gc_w(8, 0xF0);
    mem_w(0xA0050, 0x0A); /* colour 1010: planes 1 and 3 */
    cr_assert(eq(u8, plane(0, 0x50), 0x0F));
    cr_assert(eq(u8, plane(1, 0x50), 0xFF));
    cr_assert(eq(u8, plane(2, 0x50), 0x0F));
    cr_assert(eq(u8, plane(3, 0x50), 0xFF));
}

Test(vga_mem, write_mode3_rotated_data_masks_set_reset)
{
    const uint8_t b[4] = { 0x00, 0xFF, 0x00, 0xFF };
    fill_planes(0x60, b);
    (void)mem_r(0xA0060);
    gc_w(5, 0x03);
    gc_w(0, 0x0C);        /* set/reset 1100 */
    gc_w(3, 0x04);        /* rotate right by 4 */
    gc_w(8, 0xF3);        /* ANDed with the rotated data */
    mem_w(0xA0060, 0xC3); /* ror 4: 0x3C; mask 0x3C & 0xF3 = 0x30 */
    cr_assert(eq(u8, plane(0, 0x60), 0x00));
    cr_assert(eq(u8, plane(1, 0x60), 0xCF));
    cr_assert(eq(u8, plane(2, 0x60), 0x30));
    cr_assert(eq(u8, plane(3, 0x60), 0xFF));
}

Test(vga_mem, latches_load_on_reads_only)
{
    const uint8_t b[4] = { 1, 2, 3, 4 };
    const uint8_t c[4] = { 5, 6, 7, 8 };
    fill_planes(0x70, b);
    fill_planes(0x71, c); /* writes do not touch the latches */
    (void)mem_r(0xA0070);
    fill_planes(0x72, c);
    gc_w(5, 0x01);
    mem_w(0xA0073, 0);
    for (unsigned p = 0; p < 4; p++)
        cr_assert(eq(u8, plane(p, 0x73), b[p]));
}

Test(vga_mem, chain4_uses_low_address_bits_as_plane)
{
    seq_w(4, 0x0E); /* chain-4 */
    for (unsigned a = 0; a < 8; a++)
        mem_w(0xA0100 + a, (uint8_t)(0xA0 + a));
    /* Byte a goes to plane a & 3 at offset a & ~3. */
    for (unsigned a = 0; a < 8; a++)
        cr_assert(eq(u8, plane(a & 3, 0x100 + (a & ~3u)), 0xA0 + a), "byte %u", a);
    cr_assert(eq(u8, plane(0, 0x101), 0x00), "offsets in between stay unused");
    for (unsigned a = 0; a < 8; a++)
        cr_assert(eq(u8, mem_r(0xA0100 + a), 0xA0 + a));
    /* The map mask still gates the plane chosen. */
    seq_w(2, 0x0D);
    mem_w(0xA0101, 0x55);
    cr_assert(eq(u8, plane(1, 0x100), 0xA1));
    mem_w(0xA0102, 0x55);
    cr_assert(eq(u8, plane(2, 0x100), 0x55));
}

Test(vga_mem, odd_even_text_addressing)
{
    /* Mode 3's memory set-up: odd/even writes and reads at B8000. */
    out8(0x3C2, 0x67);
    seq_w(2, 0x03);
    seq_w(4, 0x02);
    gc_w(5, 0x10);
    gc_w(6, 0x0E);
    mem_w(0xB8000, 'H');
    mem_w(0xB8001, 0x1E);
    mem_w(0xB8002, 'i');
    mem_w(0xB8003, 0x07);
    cr_assert(eq(u8, plane(0, 0), 'H'));
    cr_assert(eq(u8, plane(1, 0), 0x1E));
    cr_assert(eq(u8, plane(0, 2), 'i'));
    cr_assert(eq(u8, plane(1, 2), 0x07));
    cr_assert(eq(u8, plane(2, 0), 0x00), "the font plane is not written");
    cr_assert(eq(u8, mem_r(0xB8000), 'H'));
    cr_assert(eq(u8, mem_r(0xB8003), 0x07));
    /* Read map select bit 1 reaches planes 2 and 3. */
    seq_w(4, 0x06);
    seq_w(2, 0x04);
    gc_w(5, 0x00);
    mem_w(0xB8000, 0x77); /* sequential: plane 2 offset 0 */
    gc_w(5, 0x10);
    gc_w(4, 0x02);
    cr_assert(eq(u8, mem_r(0xB8000), 0x77));
}

Test(vga_mem, memory_map_select_routes_the_window)
{
    seq_w(2, 0x01);
    gc_w(4, 0x00);
    /* 1: A0000-AFFFF only. */
    gc_w(6, 0x04);
    mem_w(0xA0004, 0x11);
    cr_assert(eq(u8, plane(0, 4), 0x11));
    mem_w(0xB8004, 0x22);
    mem_w(0xB0004, 0x22);
    cr_assert(eq(u8, plane(0, 4), 0x11), "B0000/B8000 are not decoded");
    cr_assert(eq(u8, mem_r(0xB8004), 0xFF));
    /* 2: B0000-B7FFF. */
    gc_w(6, 0x08);
    cr_assert(eq(u8, mem_r(0xB0004), 0x11));
    cr_assert(eq(u8, mem_r(0xA0004), 0xFF));
    cr_assert(eq(u8, mem_r(0xB8004), 0xFF));
    /* 3: B8000-BFFFF. */
    gc_w(6, 0x0C);
    cr_assert(eq(u8, mem_r(0xB8004), 0x11));
    cr_assert(eq(u8, mem_r(0xB0004), 0xFF));
    mem_w(0xA0004, 0x33);
    cr_assert(eq(u8, plane(0, 4), 0x11));
    /* 0: all 128 KiB from A0000. */
    gc_w(6, 0x00);
    cr_assert(eq(u8, mem_r(0xA0004), 0x11));
    mem_w(0xA8000, 0x44);
    cr_assert(eq(u8, plane(0, 0x8000), 0x44));
}

Test(vga_mem, ram_enable_bit_gates_cpu_access)
{
    mem_w(0xA0000, 0x12);
    out8(0x3C2, 0x61); /* bit 1 clear */
    cr_assert(eq(u8, mem_r(0xA0000), 0xFF));
    mem_w(0xA0000, 0x34);
    out8(0x3C2, 0x63);
    cr_assert(eq(u8, mem_r(0xA0000), 0x12));
}

Test(vga_mem, word_and_dword_accesses_are_bytes_in_order)
{
    bus_write(&bus, 0xA0080, 0x44332211u, 4);
    cr_assert(eq(u8, plane(0, 0x80), 0x11));
    cr_assert(eq(u8, plane(3, 0x83), 0x44));
    gc_w(4, 2);
    cr_assert(eq(u32, bus_read(&bus, 0xA0080, 4), 0x44332211u));
    cr_assert(eq(u32, bus_read(&bus, 0xA0082, 2), 0x4433u));
}

Test(vga_mem, random_traffic_stays_in_bounds)
{
    /* Every register value and address, at random: nothing may reach
     * outside video memory (the sanitizer build checks). */
    uint32_t x = 12345;
    for (unsigned i = 0; i < 20000; i++) {
        x = x * 1103515245u + 12345u;
        uint8_t r = (uint8_t)(x >> 16);
        switch ((x >> 8) & 7) {
        case 0:
            seq_w((uint8_t)(r & 7), (uint8_t)(x >> 24));
            break;
        case 1:
            gc_w((uint8_t)(r & 15), (uint8_t)(x >> 24));
            break;
        case 2:
            out8(0x3C2, (uint8_t)(x >> 24) | 0x02);
            break;
        case 3:
            mem_r(0xA0000 + ((x >> 12) & 0x1FFFF));
            break;
        default:
            bus_write(&bus, 0xA0000 + ((x >> 12) & 0x1FFFF), x, (r & 1) ? 2 : 1);
            break;
        }
    }
    cr_assert(true);
}
