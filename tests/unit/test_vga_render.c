/* Unit tests for devices/vga_render.c: the picture of text, CGA, planar,
 * 256-colour and unchained modes programmed with the BIOS's register
 * values, the CRTC's addressing (start, offset, line compare, double scan,
 * CGA interleave), attributes, cursor and blink on the virtual clock, dirty
 * tracking, and vga_text_dump.  Expected pixels follow the IBM VGA
 * Technical Reference's description of the attribute controller and DAC. */
#include <stdlib.h>
#include <string.h>

#include "tests/unit/vga_fixture.h"

TestSuite(vga_render, .init = vga_setup, .fini = vga_teardown, .timeout = 20.0);

/* Mode 3's frame: 900 dots of 28.322 MHz, 449 lines. */
#define M3_FRAME_NS ((uint64_t)(900.0 * 449 * 1e9 / 28322000.0))

static struct vga_frame *update(bool want_change)
{
    struct vga_frame *f = NULL;
    bool changed = vga_update(&vga, &f);
    cr_assert(eq(int, changed, want_change), "vga_update returned %d", changed);
    cr_assert(not(eq(ptr, f, NULL)));
    return f;
}

/* Writes a glyph (16 rows) for character ch into the font at plane 2
 * offset base (maps 0-7 are at 0, 16, 32, 48, 8, 24, 40 and 56 KiB), the
 * way the BIOS loads fonts (sequential addressing, plane 2 only), and goes
 * back to mode 3's text addressing. */
static void load_glyph(uint32_t base, uint8_t ch, const uint8_t rows[16])
{
    seq_w(2, 0x04);
    seq_w(4, 0x06);
    gc_w(4, 0x02);
    gc_w(5, 0x00);
    gc_w(6, 0x04);
    for (unsigned r = 0; r < 16; r++)
        mem_w(0xA0000 + base + ch * 32u + r, rows[r]);
    seq_w(2, 0x03);
    seq_w(4, 0x02);
    gc_w(4, 0x00);
    gc_w(5, 0x10);
    gc_w(6, 0x0E);
}

static const uint8_t glyph_a[16] = { 0x00, 0x00, 0x10, 0x38, 0x6C, 0xC6, 0xC6, 0xFE,
                                     0xC6, 0xC6, 0xC6, 0xC6, 0x00, 0x00, 0x00, 0x01 };

static void text_setup(void)
{
    set_mode(&mode3);
    load_glyph(0, 'A', glyph_a);
    dac_w(0x01, 0, 0, 42);   /* palette 1 -> DAC 01h */
    dac_w(0x3E, 63, 63, 21); /* palette 14 -> DAC 3Eh */
    dac_w(0x39, 21, 21, 63); /* palette 9 -> DAC 39h */
    crtc_w(0x0E, 0x07);      /* cursor off the screen (2000) */
    crtc_w(0x0F, 0xD0);
}

static void expect_cell(const struct vga_frame *f, unsigned col, unsigned row,
                        const uint8_t g[16], uint32_t fg, uint32_t bg, bool ninth_fg)
{
    for (unsigned y = 0; y < 16; y++)
        for (unsigned x = 0; x < 9; x++) {
            bool on = x < 8 ? (g[y] >> (7 - x)) & 1 : ninth_fg && (g[y] & 1);
            cr_assert(eq(u32, pixel(f, col * 9 + x, row * 16 + y), on ? fg : bg),
                      "cell %u,%u pixel %u,%u", col, row, x, y);
        }
}

Test(vga_render, text_cell_from_font_attribute_and_dac)
{
    text_setup();
    mem_w(0xB8000 + 2 * 81, 'A'); /* row 1, column 1 */
    mem_w(0xB8000 + 2 * 81 + 1, 0x1E);
    struct vga_frame *f = update(true);
    cr_assert(eq(uint, f->width, 720));
    cr_assert(eq(uint, f->height, 400));
    cr_assert(f->text);
    cr_assert(eq(uint, f->cols, 80));
    cr_assert(eq(uint, f->rows, 25));
    /* 'A' is not a line-drawing character: its ninth column is background. */
    expect_cell(f, 1, 1, glyph_a, xrgb6(63, 63, 21), xrgb6(0, 0, 42), false);
    cr_assert(eq(u32, pixel(f, 0, 0), 0), "an empty cell: DAC 0");
}

Test(vga_render, ninth_column_of_line_drawing_characters)
{
    text_setup();
    load_glyph(0, 0xC4, glyph_a);
    mem_w(0xB8000, 0xC4);
    mem_w(0xB8001, 0x1E);
    struct vga_frame *f = update(true);
    expect_cell(f, 0, 0, glyph_a, xrgb6(63, 63, 21), xrgb6(0, 0, 42), true);
    ac_w(0x10, 0x08); /* line graphics off */
    f = update(true);
    expect_cell(f, 0, 0, glyph_a, xrgb6(63, 63, 21), xrgb6(0, 0, 42), false);
}

Test(vga_render, eight_dot_characters)
{
    text_setup();
    seq_w(1, 0x01);
    struct vga_frame *f = update(true);
    cr_assert(eq(uint, f->width, 640));
}

Test(vga_render, character_map_select_by_attribute_bit3)
{
    static const uint8_t other[16] = { 0xFF, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81,
                                       0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0x81, 0xFF };
    text_setup();
    load_glyph(40 * 1024, 'A', other);
    seq_w(3, 0x28); /* map A (bits 5, 3-2) = 110b = 6, at 40 KiB; map B = 0 */
    mem_w(0xB8000, 'A');
    mem_w(0xB8001, 0x1E); /* bit 3 set: map A */
    mem_w(0xB8002, 'A');
    mem_w(0xB8003, 0x16); /* bit 3 clear: map B; colour 6 */
    dac_w(0x14, 42, 21, 0); /* palette 6 -> 14h */
    struct vga_frame *f = update(true);
    expect_cell(f, 0, 0, other, xrgb6(63, 63, 21), xrgb6(0, 0, 42), false);
    expect_cell(f, 1, 0, glyph_a, xrgb6(42, 21, 0), xrgb6(0, 0, 42), false);
}

Test(vga_render, blink_attribute_and_intensity)
{
    text_setup();
    mem_w(0xB8000, 'A');
    mem_w(0xB8001, 0x9E); /* blink, background 1, foreground 14 */
    struct vga_frame *f = update(true);
    expect_cell(f, 0, 0, glyph_a, xrgb6(63, 63, 21), xrgb6(0, 0, 42), false);
    /* Blinking characters show for 16 frames and hide for 16. */
    clock_advance_to(&clk, 20 * M3_FRAME_NS + M3_FRAME_NS / 2);
    f = update(true);
    expect_cell(f, 0, 0, glyph_a, xrgb6(0, 0, 42), xrgb6(0, 0, 42), false);
    clock_advance_to(&clk, 33 * M3_FRAME_NS + M3_FRAME_NS / 2);
    f = update(true);
    expect_cell(f, 0, 0, glyph_a, xrgb6(63, 63, 21), xrgb6(0, 0, 42), false);
    /* Mode control bit 3 clear: bit 7 is background intensity (9). */
    ac_w(0x10, 0x04);
    clock_advance_to(&clk, 20 * 2 * M3_FRAME_NS);
    f = update(true);
    expect_cell(f, 0, 0, glyph_a, xrgb6(63, 63, 21), xrgb6(21, 21, 63), false);
}

Test(vga_render, cursor_shape_location_and_blink)
{
    text_setup();
    crtc_w(0x0E, 0x00);
    crtc_w(0x0F, 81); /* row 1, column 1 */
    crtc_w(0x0A, 0x0D);
    crtc_w(0x0B, 0x0E);
    mem_w(0xB8000 + 2 * 81 + 1, 0x1E);
    struct vga_frame *f = update(true);
    uint32_t fg = xrgb6(63, 63, 21), bg = xrgb6(0, 0, 42);
    for (unsigned y = 0; y < 16; y++)
        for (unsigned x = 0; x < 9; x++)
            cr_assert(eq(u32, pixel(f, 9 + x, 16 + y), (y == 13 || y == 14) ? fg : bg),
                      "pixel %u,%u", x, y);
    /* The cursor blinks every 16 frames: off in frames 8-15. */
    clock_advance_to(&clk, 9 * M3_FRAME_NS + M3_FRAME_NS / 2);
    f = update(true);
    cr_assert(eq(u32, pixel(f, 9, 16 + 13), bg));
    /* Bit 5 of the start register turns it off. */
    clock_advance_to(&clk, 16 * M3_FRAME_NS + M3_FRAME_NS / 2);
    crtc_w(0x0A, 0x2D);
    f = update(true);
    cr_assert(eq(u32, pixel(f, 9, 16 + 13), bg));
}

Test(vga_render, text_80x50_from_max_scan_line)
{
    text_setup();
    crtc_w(0x09, 0x47); /* 8-line characters */
    struct vga_frame *f = update(true);
    cr_assert(eq(uint, f->rows, 50));
    cr_assert(eq(uint, f->height, 400));
}

Test(vga_render, text_start_address_and_offset)
{
    text_setup();
    crtc_w(0x0C, 0x00);
    crtc_w(0x0D, 80); /* start one row down */
    crtc_w(0x13, 41); /* 82 characters a row in memory */
    mem_w(0xB8000 + 2 * (80 + 82 + 3), 'A');
    mem_w(0xB8000 + 2 * (80 + 82 + 3) + 1, 0x1E);
    struct vga_frame *f = update(true);
    expect_cell(f, 3, 1, glyph_a, xrgb6(63, 63, 21), xrgb6(0, 0, 42), false);
}

Test(vga_render, mode13_pixel_through_dac_and_pel_mask)
{
    set_mode(&mode13);
    dac_w(5, 63, 0, 32);
    mem_w(0xA0000 + 320 * 10 + 7, 5);
    struct vga_frame *f = update(true);
    cr_assert(eq(uint, f->width, 320));
    cr_assert(eq(uint, f->height, 200));
    cr_assert(not(f->text));
    cr_assert(eq(u32, pixel(f, 7, 10), 0xFF0082));
    cr_assert(eq(u32, pixel(f, 8, 10), 0));
    out8(0x3C6, 0x00); /* every pixel reads DAC entry 0 */
    f = update(true);
    cr_assert(eq(u32, pixel(f, 7, 10), 0));
}

Test(vga_render, mode13_8bit_dac_through_dispi_flag)
{
    set_mode(&mode13);
    dispi_w(VBE_DISPI_INDEX_ENABLE, VBE_DISPI_8BIT_DAC);
    dac_w(9, 0x12, 0x34, 0x56);
    mem_w(0xA0000, 9);
    struct vga_frame *f = update(true);
    cr_assert(eq(u32, pixel(f, 0, 0), 0x123456));
}

Test(vga_render, mode12_planar_16_colours)
{
    set_mode(&mode12);
    dac_w(0x3C, 42, 0, 0); /* colour 12 -> palette 3Ch */
    gc_w(5, 0x02);         /* write mode 2 */
    gc_w(8, 0x80 >> 5);
    (void)mem_r(0xA0000 + 7 * 80 + 1);
    mem_w(0xA0000 + 7 * 80 + 1, 0x0C); /* pixel 13 of line 7 */
    struct vga_frame *f = update(true);
    cr_assert(eq(uint, f->width, 640));
    cr_assert(eq(uint, f->height, 480));
    cr_assert(eq(u32, pixel(f, 13, 7), xrgb6(42, 0, 0)));
    cr_assert(eq(u32, pixel(f, 12, 7), 0));
    cr_assert(eq(u32, pixel(f, 14, 7), 0));
    /* Colour plane enable masks planes before the palette: without plane 2,
     * colour 12 is 8 (palette 38h). */
    dac_w(0x38, 0, 42, 0);
    ac_w(0x12, 0x0B);
    f = update(true);
    cr_assert(eq(u32, pixel(f, 13, 7), xrgb6(0, 42, 0)));
}

Test(vga_render, palette_colour_select_bits)
{
    set_mode(&mode12);
    gc_w(5, 0x02);
    mem_w(0xA0000, 0x01); /* pixels 0-7 colour 1 -> palette 01h */
    ac_w(0x14, 0x0E);     /* colour select bits 3-2 = 11 give DAC bits 7-6 */
    dac_w(0xC1, 0, 63, 0);
    struct vga_frame *f = update(true);
    cr_assert(eq(u32, pixel(f, 0, 0), xrgb6(0, 63, 0)));
    /* Mode control bit 7: bits 1-0 of colour select replace palette bits 5-4. */
    ac_w(0x01, 0x31);
    ac_w(0x10, 0x81);
    dac_w(0xE1, 63, 0, 63); /* 11 10 0001 */
    f = update(true);
    cr_assert(eq(u32, pixel(f, 0, 0), xrgb6(63, 0, 63)));
}

Test(vga_render, mode0d_double_scan)
{
    set_mode(&mode0d);
    dac_w(0x17, 63, 63, 63); /* colour 15 -> palette 17h */
    gc_w(5, 0x02);
    mem_w(0xA0000 + 199 * 40 + 39, 0x0F); /* the last 8 pixels of the last line */
    struct vga_frame *f = update(true);
    cr_assert(eq(uint, f->width, 320));
    cr_assert(eq(uint, f->height, 200));
    cr_assert(eq(u32, pixel(f, 319, 199), 0xFFFFFF));
    cr_assert(eq(u32, pixel(f, 319, 198), 0));
}

Test(vga_render, mode4_cga_four_colours_interleaved_lines)
{
    set_mode(&mode4);
    dac_w(0x13, 0, 42, 42);
    dac_w(0x15, 42, 0, 42);
    dac_w(0x17, 42, 42, 42);
    mem_w(0xB8000, 0xE4);          /* 11 10 01 00: pixels 0-3 of line 0 */
    mem_w(0xB8001, 0x1B);          /* 00 01 10 11: pixels 4-7 */
    mem_w(0xB8000 + 0x2000, 0xC0); /* line 1 starts at 8 KiB */
    mem_w(0xB8000 + 80, 0x40);     /* line 2 is the second row of line 0's bank */
    struct vga_frame *f = update(true);
    cr_assert(eq(uint, f->width, 320));
    cr_assert(eq(uint, f->height, 200));
    uint32_t c[4] = { 0, xrgb6(0, 42, 42), xrgb6(42, 0, 42), xrgb6(42, 42, 42) };
    const unsigned want[8] = { 3, 2, 1, 0, 0, 1, 2, 3 };
    for (unsigned x = 0; x < 8; x++)
        cr_assert(eq(u32, pixel(f, x, 0), c[want[x]]), "pixel %u", x);
    cr_assert(eq(u32, pixel(f, 0, 1), c[3]));
    cr_assert(eq(u32, pixel(f, 1, 1), c[0]));
    cr_assert(eq(u32, pixel(f, 0, 2), c[1]));
}

Test(vga_render, mode6_cga_two_colours)
{
    set_mode(&mode6);
    dac_w(0x17, 42, 42, 42);
    mem_w(0xB8000, 0x80);
    mem_w(0xB8000 + 0x2000, 0x01);
    mem_w(0xB8000 + 80, 0x80);
    struct vga_frame *f = update(true);
    cr_assert(eq(uint, f->width, 640));
    cr_assert(eq(uint, f->height, 200));
    uint32_t w = xrgb6(42, 42, 42);
    cr_assert(eq(u32, pixel(f, 0, 0), w));
    cr_assert(eq(u32, pixel(f, 1, 0), 0));
    cr_assert(eq(u32, pixel(f, 7, 1), w));
    cr_assert(eq(u32, pixel(f, 0, 2), w));
    cr_assert(eq(u32, pixel(f, 0, 1), 0));
}

/* Mode X: mode 13h unchained (byte addressing, no chain-4), 480 lines
 * shown twice each, as Michael Abrash's set-up programs it. */
static void mode_x(void)
{
    set_mode(&mode13);
    seq_w(4, 0x06);
    out8(0x3C2, 0xE3);
    crtc_w(0x11, 0x2C);
    static const uint8_t regs[][2] = { { 0x06, 0x0D }, { 0x07, 0x3E }, { 0x09, 0x41 },
                                       { 0x10, 0xEA }, { 0x11, 0xAC }, { 0x12, 0xDF },
                                       { 0x14, 0x00 }, { 0x15, 0xE7 }, { 0x16, 0x06 },
                                       { 0x17, 0xE3 } };
    for (unsigned i = 0; i < sizeof(regs) / sizeof(regs[0]); i++)
        crtc_w(regs[i][0], regs[i][1]);
}

Test(vga_render, mode_x_unchained_320x240)
{
    mode_x();
    dac_w(7, 63, 21, 0);
    seq_w(2, 1u << (5 & 3)); /* pixel x=5 is in plane 1 */
    mem_w(0xA0000 + 3 * 80 + 5 / 4, 7);
    struct vga_frame *f = update(true);
    cr_assert(eq(uint, f->width, 320));
    cr_assert(eq(uint, f->height, 240));
    cr_assert(eq(u32, pixel(f, 5, 3), xrgb6(63, 21, 0)));
    cr_assert(eq(u32, pixel(f, 4, 3), 0));
    cr_assert(eq(u32, pixel(f, 5, 2), 0));
    /* Page flipping: the start address counts plane bytes. */
    seq_w(2, 0x01);
    mem_w(0xA0000 + 19200, 7);
    crtc_w(0x0C, 19200 >> 8);
    crtc_w(0x0D, 19200 & 0xFF);
    f = update(true);
    cr_assert(eq(u32, pixel(f, 0, 0), xrgb6(63, 21, 0)));
}

Test(vga_render, line_compare_splits_to_address_0)
{
    set_mode(&mode13);
    dac_w(1, 63, 0, 0);
    dac_w(2, 0, 63, 0);
    mem_w(0xA0000, 1);                 /* CPU byte 0: the split's first pixel */
    mem_w(0xA0000 + 0x40 + 99 * 320, 2); /* line 99 of the top part */
    crtc_w(0x0C, 0x00);
    crtc_w(0x0D, 0x10); /* doubleword mode: address 40h */
    crtc_w(0x07, 0x0F); /* line compare bit 8 clear */
    crtc_w(0x09, 0x01); /* bit 9 clear */
    crtc_w(0x18, 199);  /* after scanline 199 of 400: picture line 100 */
    struct vga_frame *f = update(true);
    cr_assert(eq(u32, pixel(f, 0, 99), xrgb6(0, 63, 0)));
    cr_assert(eq(u32, pixel(f, 0, 100), xrgb6(63, 0, 0)));
}

Test(vga_render, blank_screen_and_palette_given_to_the_cpu)
{
    set_mode(&mode13);
    dac_w(5, 63, 0, 0);
    dac_w(9, 0, 0, 63);
    mem_w(0xA0000, 5);
    ac_w(0x11, 9); /* overscan colour */
    struct vga_frame *f = update(true);
    cr_assert(eq(u32, pixel(f, 0, 0), xrgb6(63, 0, 0)));
    (void)in8(0x3DA);
    out8(0x3C0, 0x00); /* PAS 0: the screen shows the overscan colour */
    f = update(true);
    cr_assert(eq(u32, pixel(f, 0, 0), xrgb6(0, 0, 63)));
    cr_assert(eq(u32, pixel(f, 319, 199), xrgb6(0, 0, 63)));
    (void)in8(0x3DA);
    out8(0x3C0, 0x20);
    seq_w(1, 0x21); /* screen off */
    f = update(true);
    cr_assert(eq(u32, pixel(f, 0, 0), 0));
}

Test(vga_render, dirty_tracking_skips_unchanged_frames)
{
    set_mode(&mode13);
    dac_w(5, 63, 0, 0);
    update(true);
    uint64_t rendered = vga.frames_rendered, lines = vga.lines_rendered;
    update(false);
    update(false);
    cr_assert(eq(u64, vga.frames_skipped, 2));
    cr_assert(eq(u64, vga.frames_rendered, rendered));
    cr_assert(eq(u64, vga.lines_rendered, lines), "a skipped frame draws nothing");

    /* One byte: only the lines reading its 4 KiB page are drawn again (a
     * page of plane-interleaved memory holds 1 KiB of mode 13h, 3.2 lines). */
    mem_w(0xA0000 + 320 * 50 + 100, 5);
    struct vga_frame *f = update(true);
    cr_assert(eq(u32, pixel(f, 100, 50), xrgb6(63, 0, 0)));
    uint64_t drawn = vga.lines_rendered - lines;
    cr_assert(ge(u64, drawn, 1));
    cr_assert(le(u64, drawn, 4));

    /* A register that changes nothing on the screen (the bit mask), or the
     * same value again, draws nothing. */
    gc_w(8, 0x7F);
    seq_w(1, 0x01);
    update(false);
    /* Memory past the last displayed line is not on the screen either. */
    mem_w(0xAFFFF, 3);
    update(false);
    cr_assert(eq(u64, vga.frames_skipped, 4));

    /* A DAC change redraws everything. */
    lines = vga.lines_rendered;
    dac_w(0, 0, 0, 21);
    f = update(true);
    cr_assert(eq(u64, vga.lines_rendered - lines, 200));
    cr_assert(eq(u32, pixel(f, 0, 0), xrgb6(0, 0, 21)));
}

Test(vga_render, text_dump_rows_and_attributes)
{
    set_mode(&mode3);
    const char *hello = "Hello, world";
    for (unsigned i = 0; hello[i]; i++) {
        mem_w(0xB8000 + 2 * i, (uint8_t)hello[i]);
        mem_w(0xB8000 + 2 * i + 1, 0x1F);
    }
    const uint8_t row1[] = { 0xC9, 0xCD, 0xBB, ' ', 0x01, 0x82, 0xE1 };
    for (unsigned i = 0; i < sizeof(row1); i++) {
        mem_w(0xB8000 + 160 + 2 * i, row1[i]);
        mem_w(0xB8000 + 160 + 2 * i + 1, 0x07);
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    cr_assert(not(eq(ptr, m, NULL)));
    cr_assert(eq(int, vga_text_dump(&vga, m, false), 0));
    fclose(m);
    const char *want = "Hello, world\n"
                       "\u2554\u2550\u2557 \u263A\u00E9\u00DF\n"
                       "\n";
    cr_assert(eq(int, strncmp(buf, want, strlen(want)), 0), "dump:\n%s", buf);
    unsigned lines = 0;
    for (size_t i = 0; i < len; i++)
        lines += buf[i] == '\n';
    cr_assert(eq(uint, lines, 25));
    free(buf);

    m = open_memstream(&buf, &len);
    cr_assert(eq(int, vga_text_dump(&vga, m, true), 0));
    fclose(m);
    const char *nl = strchr(buf, '\n');
    cr_assert(not(eq(ptr, (void *)nl, NULL)));
    cr_assert(eq(int, strncmp(nl + 1, "1F1F1F", 6), 0), "attributes: %.20s", nl + 1);
    const char *attr_end = strchr(nl + 1, '\n');
    cr_assert(eq(long, (long)(attr_end - nl - 1), 160), "80 attributes, 2 hex digits each");
    cr_assert(eq(int, strncmp(nl + 1 + 24, "00", 2), 0), "empty cells: attribute 00");
    free(buf);
}

Test(vga_render, text_dump_in_graphics_mode_says_so)
{
    set_mode(&mode13);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    cr_assert(eq(int, vga_text_dump(&vga, m, false), 1));
    fclose(m);
    cr_assert(not(eq(ptr, strstr(buf, "graphics mode 320x200"), NULL)), "%s", buf);
    free(buf);
}
