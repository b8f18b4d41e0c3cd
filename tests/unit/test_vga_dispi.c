/* Unit tests for devices/vga_dispi.c and the DISPI modes of vga_render.c:
 * the Bochs VBE registers (ID, GETCAPS, limits, enable, bank, virtual
 * size, offsets, 8-bit DAC), the bank window at A0000, and 4/8/15/16/24/32
 * bpp pictures.  Limits and refusals follow the Bochs VGA's documented
 * behaviour (docs/devices/vga.md). */
#include "tests/unit/vga_fixture.h"

TestSuite(vga_dispi, .init = vga_setup, .fini = vga_teardown, .timeout = 20.0);

static void set_vbe(uint16_t x, uint16_t y, uint16_t bpp, uint16_t flags)
{
    dispi_w(VBE_DISPI_INDEX_ENABLE, 0);
    dispi_w(VBE_DISPI_INDEX_BPP, bpp);
    dispi_w(VBE_DISPI_INDEX_XRES, x);
    dispi_w(VBE_DISPI_INDEX_YRES, y);
    dispi_w(VBE_DISPI_INDEX_BANK, 0);
    dispi_w(VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | flags);
}

/* A byte of the framebuffer through the bank window. */
static void fb_w(uint32_t off, uint8_t b)
{
    dispi_w(VBE_DISPI_INDEX_BANK, (uint16_t)(off >> 16));
    mem_w(0xA0000 + (off & 0xFFFF), b);
}

static struct vga_frame *frame(void)
{
    struct vga_frame *f = NULL;
    cr_assert(vga_update(&vga, &f));
    return f;
}

Test(vga_dispi, id_register)
{
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_ID), 0xB0C5));
    dispi_w(VBE_DISPI_INDEX_ID, 0xB0C0);
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_ID), 0xB0C0));
    dispi_w(VBE_DISPI_INDEX_ID, 0x1234);
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_ID), 0xB0C0), "not an interface version");
    dispi_w(VBE_DISPI_INDEX_ID, 0xB0C6);
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_ID), 0xB0C0));
    dispi_w(VBE_DISPI_INDEX_ID, 0xB0C5);
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_ID), 0xB0C5));
    cr_assert(eq(u16, (uint16_t)bus_in(&bus, 0x1CE, 2), VBE_DISPI_INDEX_ID), "index reads back");
    cr_assert(eq(u16, (uint16_t)bus_in(&bus, 0x1D0, 2), 0xB0C5), "0x1D0 is the data port too");
}

Test(vga_dispi, getcaps_reports_maxima)
{
    dispi_w(VBE_DISPI_INDEX_XRES, 800);
    dispi_w(VBE_DISPI_INDEX_YRES, 600);
    dispi_w(VBE_DISPI_INDEX_BPP, 16);
    dispi_w(VBE_DISPI_INDEX_ENABLE, VBE_DISPI_GETCAPS);
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_XRES), 2560));
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_YRES), 1600));
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_BPP), 32));
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_ENABLE), VBE_DISPI_GETCAPS));
    dispi_w(VBE_DISPI_INDEX_ENABLE, 0);
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_XRES), 800));
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_YRES), 600));
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_BPP), 16));
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_VIDEO_MEMORY_64K), 256), "16 MiB");
}

Test(vga_dispi, absurd_values_are_refused)
{
    dispi_w(VBE_DISPI_INDEX_XRES, 640);
    dispi_w(VBE_DISPI_INDEX_YRES, 480);
    dispi_w(VBE_DISPI_INDEX_BPP, 32);
    dispi_w(VBE_DISPI_INDEX_XRES, 2561);
    dispi_w(VBE_DISPI_INDEX_YRES, 0xFFFF);
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_XRES), 640));
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_YRES), 480));
    const uint16_t bad_bpp[] = { 1, 2, 7, 12, 31, 33, 64, 0xFFFF };
    for (unsigned i = 0; i < sizeof(bad_bpp) / sizeof(bad_bpp[0]); i++) {
        dispi_w(VBE_DISPI_INDEX_BPP, bad_bpp[i]);
        cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_BPP), 32), "bpp %u", bad_bpp[i]);
    }
    dispi_w(VBE_DISPI_INDEX_BPP, 0); /* Bochs: 0 means 8 */
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_BPP), 8));
    /* A zero size cannot be enabled. */
    dispi_w(VBE_DISPI_INDEX_XRES, 0);
    dispi_w(VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED);
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_ENABLE), VBE_DISPI_LFB_ENABLED));
    /* Geometry is fixed while enabled. */
    set_vbe(640, 480, 8, 0);
    dispi_w(VBE_DISPI_INDEX_XRES, 1024);
    dispi_w(VBE_DISPI_INDEX_YRES, 768);
    dispi_w(VBE_DISPI_INDEX_BPP, 32);
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_XRES), 640));
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_YRES), 480));
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_BPP), 8));
    /* Read-only and missing registers. */
    dispi_w(VBE_DISPI_INDEX_VIDEO_MEMORY_64K, 1);
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_VIDEO_MEMORY_64K), 256));
    dispi_w(0x0B, 0x1234);
    cr_assert(eq(u16, dispi_r(0x0B), 0));
    dispi_w(0xFFFF, 0x1234);
    cr_assert(eq(u16, dispi_r(0xFFFF), 0));
}

Test(vga_dispi, enable_resets_virtual_size_and_clears_memory)
{
    vga.vram[12345] = 0x77;
    set_vbe(800, 600, 16, VBE_DISPI_NOCLEARMEM);
    cr_assert(eq(u8, vga.vram[12345], 0x77), "NOCLEARMEM keeps video memory");
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_VIRT_WIDTH), 800));
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_VIRT_HEIGHT), 600));
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_X_OFFSET), 0));
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_ENABLE), VBE_DISPI_ENABLED | VBE_DISPI_NOCLEARMEM));
    set_vbe(800, 600, 16, 0);
    cr_assert(eq(u8, vga.vram[12345], 0x00), "enabling clears video memory");
}

Test(vga_dispi, bank_window_at_a0000)
{
    set_vbe(640, 480, 8, 0);
    dispi_w(VBE_DISPI_INDEX_BANK, 3);
    mem_w(0xA0010, 0x5A);
    cr_assert(eq(u8, vga.vram[3 * 65536 + 0x10], 0x5A));
    cr_assert(eq(u8, mem_r(0xA0010), 0x5A));
    bus_write(&bus, 0xAFFFC, 0x04030201u, 4);
    cr_assert(eq(u8, vga.vram[3 * 65536 + 0xFFFF], 0x04));
    cr_assert(eq(u8, mem_r(0xB0000), 0xFF), "the window is 64 KiB");
    mem_w(0xB8000, 0x11);
    cr_assert(eq(u8, vga.vram[4 * 65536 + 0x8000], 0x00));
    dispi_w(VBE_DISPI_INDEX_BANK, 256); /* past 16 MiB: refused */
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_BANK), 3));
    dispi_w(VBE_DISPI_INDEX_BANK, 255);
    mem_w(0xAFFFF, 0x99);
    cr_assert(eq(u8, vga.vram[VGA_VRAM_SIZE - 1], 0x99));
}

Test(vga_dispi, virtual_width_keeps_yres_lines_in_memory)
{
    set_vbe(1600, 1200, 32, 0);
    dispi_w(VBE_DISPI_INDEX_VIRT_WIDTH, 1700);
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_VIRT_WIDTH), 1700));
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_VIRT_HEIGHT), 16777216 / (1700 * 4)));
    /* 4000 pixels of 4 bytes leave room for 1048 lines, fewer than 1200:
     * the width becomes what 1200 lines allow, 16 MiB / 1200 / 4 = 3495. */
    dispi_w(VBE_DISPI_INDEX_VIRT_WIDTH, 4000);
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_VIRT_WIDTH), 3495));
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_VIRT_HEIGHT), 1200));
    dispi_w(VBE_DISPI_INDEX_VIRT_WIDTH, 100); /* narrower than the screen */
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_VIRT_WIDTH), 1600));
    dispi_w(VBE_DISPI_INDEX_VIRT_HEIGHT, 5); /* read-only */
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_VIRT_HEIGHT), 16777216 / 6400));
}

Test(vga_dispi, y_offset_must_keep_the_screen_in_memory)
{
    set_vbe(1600, 1200, 32, 0);
    /* 6400-byte lines: (y + 1200) * 6400 <= 16 MiB for y <= 1421. */
    dispi_w(VBE_DISPI_INDEX_Y_OFFSET, 1421);
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_Y_OFFSET), 1421));
    dispi_w(VBE_DISPI_INDEX_Y_OFFSET, 1422);
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_Y_OFFSET), 1421));
    /* An x offset past the line is taken; what it shows past the end of
     * memory is black, never a read outside it. */
    dispi_w(VBE_DISPI_INDEX_X_OFFSET, 0xFFFF);
    struct vga_frame *f = frame();
    cr_assert(eq(u32, pixel(f, 1599, 1199), 0));
}

Test(vga_dispi, dac_width_switch_keeps_colours)
{
    dac_w(1, 63, 32, 1);
    dispi_w(VBE_DISPI_INDEX_ENABLE, VBE_DISPI_8BIT_DAC);
    out8(0x3C7, 1);
    cr_assert(eq(u8, in8(0x3C9), 252));
    cr_assert(eq(u8, in8(0x3C9), 128));
    cr_assert(eq(u8, in8(0x3C9), 4));
    dac_w(2, 0xFF, 0x80, 0x01); /* 8 bits stored as written */
    out8(0x3C7, 2);
    cr_assert(eq(u8, in8(0x3C9), 0xFF));
    dispi_w(VBE_DISPI_INDEX_ENABLE, 0);
    out8(0x3C7, 1);
    cr_assert(eq(u8, in8(0x3C9), 63));
    cr_assert(eq(u8, in8(0x3C9), 32));
    cr_assert(eq(u8, in8(0x3C9), 1));
}

Test(vga_dispi, frame_32bpp_1600x1200)
{
    set_vbe(1600, 1200, 32, 0);
    uint32_t off = (1199u * 1600 + 1599) * 4;
    const uint8_t px[4] = { 0x56, 0x34, 0x12, 0xEE }; /* blue, green, red, unused */
    for (unsigned i = 0; i < 4; i++)
        fb_w(off + i, px[i]);
    fb_w(4, 0xFF); /* pixel (1,0) blue */
    struct vga_frame *f = frame();
    cr_assert(eq(uint, f->width, 1600));
    cr_assert(eq(uint, f->height, 1200));
    cr_assert(not(f->text));
    cr_assert(eq(u32, pixel(f, 1599, 1199), 0x123456));
    cr_assert(eq(u32, pixel(f, 1, 0), 0x0000FF));
    cr_assert(eq(u32, pixel(f, 0, 0), 0));
}

Test(vga_dispi, frame_24_16_15_and_8bpp)
{
    set_vbe(64, 32, 24, 0);
    fb_w(3 * (64 * 2 + 5) + 0, 0x33);
    fb_w(3 * (64 * 2 + 5) + 1, 0x22);
    fb_w(3 * (64 * 2 + 5) + 2, 0x11);
    struct vga_frame *f = frame();
    cr_assert(eq(u32, pixel(f, 5, 2), 0x112233));

    set_vbe(64, 32, 16, 0);
    fb_w(2 * 7, 0x00); /* 0xF800: red 31 */
    fb_w(2 * 7 + 1, 0xF8);
    fb_w(2 * 8, 0xE0); /* 0x07E0: green 63 */
    fb_w(2 * 8 + 1, 0x07);
    fb_w(2 * 9, 0x10); /* 0x0010: blue 16 -> 10000b then 100b = 84h */
    fb_w(2 * 9 + 1, 0x00);
    f = frame();
    cr_assert(eq(u32, pixel(f, 7, 0), 0xFF0000));
    cr_assert(eq(u32, pixel(f, 8, 0), 0x00FF00));
    cr_assert(eq(u32, pixel(f, 9, 0), 0x000084));

    set_vbe(64, 32, 15, 0);
    fb_w(2 * 7, 0x00); /* 0x7C00: red 31 */
    fb_w(2 * 7 + 1, 0x7C);
    fb_w(2 * 8, 0x00); /* 0x8000: the unused top bit alone is black */
    fb_w(2 * 8 + 1, 0x80);
    f = frame();
    cr_assert(eq(u32, pixel(f, 7, 0), 0xFF0000));
    cr_assert(eq(u32, pixel(f, 8, 0), 0x000000));

    set_vbe(64, 32, 8, 0);
    dac_w(200, 21, 42, 63);
    fb_w(64 * 31 + 63, 200);
    f = frame();
    cr_assert(eq(u32, pixel(f, 63, 31), xrgb6(21, 42, 63)));
}

Test(vga_dispi, offsets_and_virtual_width_move_the_picture)
{
    set_vbe(64, 32, 32, 0);
    dispi_w(VBE_DISPI_INDEX_VIRT_WIDTH, 100);
    dispi_w(VBE_DISPI_INDEX_X_OFFSET, 10);
    dispi_w(VBE_DISPI_INDEX_Y_OFFSET, 5);
    uint32_t off = ((5 + 1) * 100 + 10 + 2) * 4; /* what shows at (2, 1) */
    fb_w(off, 0x42);
    struct vga_frame *f = frame();
    cr_assert(eq(u32, pixel(f, 2, 1), 0x000042));
    cr_assert(eq(u32, pixel(f, 3, 1), 0));
}

Test(vga_dispi, planar_4bpp_through_the_graphics_controller)
{
    set_mode(&mode12); /* as SeaBIOS does before a 4 bpp VBE mode */
    set_vbe(800, 600, 4, 0);
    dac_w(0x3C, 42, 0, 0); /* colour 12 -> palette 3Ch */
    gc_w(5, 0x02);
    gc_w(8, 0x80 >> (9 & 7));
    (void)mem_r(0xA0000 + 2 * 100 + 1);
    mem_w(0xA0000 + 2 * 100 + 1, 0x0C); /* pixel 9 of line 2: 100 bytes a line */
    struct vga_frame *f = frame();
    cr_assert(eq(uint, f->width, 800));
    cr_assert(eq(uint, f->height, 600));
    cr_assert(eq(u32, pixel(f, 9, 2), xrgb6(42, 0, 0)));
    cr_assert(eq(u32, pixel(f, 8, 2), 0));
    /* Banks of 64 KiB of each plane: 64 of them. */
    dispi_w(VBE_DISPI_INDEX_BANK, 63);
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_BANK), 63));
    dispi_w(VBE_DISPI_INDEX_BANK, 64);
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_BANK), 63));
}

Test(vga_dispi, disabling_returns_to_the_vga_picture)
{
    set_mode(&mode13);
    set_vbe(640, 480, 32, 0);
    struct vga_frame *f = frame();
    cr_assert(eq(uint, f->width, 640));
    dispi_w(VBE_DISPI_INDEX_ENABLE, 0);
    f = frame();
    cr_assert(eq(uint, f->width, 320));
    cr_assert(eq(uint, f->height, 200));
}

Test(vga_dispi, random_register_traffic_stays_in_bounds)
{
    uint32_t x = 777;
    for (unsigned i = 0; i < 3000; i++) {
        x = x * 1103515245u + 12345u;
        unsigned idx = (x >> 8) % 11;
        uint16_t val = (uint16_t)(x >> 12);
        if ((x >> 28) < 4)
            val &= 0x7FF;
        dispi_w((uint16_t)idx, val);
        mem_w(0xA0000 + ((x >> 3) & 0xFFFF), (uint8_t)x);
        if ((i & 63) == 0)
            vga_update(&vga, NULL);
    }
    cr_assert(true);
}
