/* Unit tests for devices/vga_regs.c: the VGA's index/data registers, the
 * attribute controller's flip-flop, the DAC, port addressing by the misc
 * output, and the input status bits on the virtual clock (expected values
 * from the IBM VGA Technical Reference and FreeVGA). */
#include "tests/unit/vga_fixture.h"

TestSuite(vga_regs, .init = vga_setup, .fini = vga_teardown, .timeout = 10.0);

Test(vga_regs, misc_output_written_at_3c2_read_at_3cc)
{
    cr_assert(eq(u8, in8(0x3CC), 0x00));
    out8(0x3C2, 0x67);
    cr_assert(eq(u8, in8(0x3CC), 0x67));
    /* 0x3C2 reads input status 0, not the misc output. */
    cr_assert(eq(u8, in8(0x3C2), 0x00));
}

Test(vga_regs, crtc_ports_follow_misc_bit0)
{
    /* Power-on: bit 0 clear, the CRTC answers at 0x3B4/5 only. */
    out8(0x3B4, 0x0E);
    out8(0x3B5, 0x12);
    cr_assert(eq(u8, in8(0x3B4), 0x0E));
    cr_assert(eq(u8, in8(0x3B5), 0x12));
    cr_assert(eq(u8, in8(0x3D4), 0xFF));
    cr_assert(eq(u8, in8(0x3D5), 0xFF));
    out8(0x3D4, 0x0E); /* ignored */
    out8(0x3D5, 0x34);
    cr_assert(eq(u8, in8(0x3B5), 0x12));
    out8(0x3C2, 0x01);
    cr_assert(eq(u8, crtc_r(0x0E), 0x12));
    cr_assert(eq(u8, in8(0x3B5), 0xFF));
    cr_assert(eq(u8, in8(0x3BA), 0xFF));
}

Test(vga_regs, sequencer_index_and_data)
{
    for (uint8_t i = 0; i < 5; i++)
        seq_w(i, (uint8_t)(0x10 + i));
    for (uint8_t i = 0; i < 5; i++)
        cr_assert(eq(u8, seq_r(i), 0x10 + i), "SR%u", i);
    /* The index has 3 bits; indexes 5-7 are not registers. */
    out8(0x3C4, 0xFA);
    cr_assert(eq(u8, in8(0x3C4), 0x02));
    cr_assert(eq(u8, in8(0x3C5), 0x12));
    out8(0x3C4, 0x05);
    out8(0x3C5, 0x99);
    cr_assert(eq(u8, in8(0x3C5), 0xFF));
    for (uint8_t i = 0; i < 5; i++)
        cr_assert(eq(u8, seq_r(i), 0x10 + i), "SR%u after an index-5 write", i);
    /* A word OUT writes index and data in one go. */
    bus_out(&bus, 0x3C4, 0x0F02, 2);
    cr_assert(eq(u8, seq_r(2), 0x0F));
}

Test(vga_regs, graphics_controller_index_and_data)
{
    for (uint8_t i = 0; i < 9; i++)
        gc_w(i, (uint8_t)(0xA0 + i));
    for (uint8_t i = 0; i < 9; i++)
        cr_assert(eq(u8, gc_r(i), 0xA0 + i), "GR%u", i);
    out8(0x3CE, 0xF9); /* 4-bit index: 9 */
    cr_assert(eq(u8, in8(0x3CE), 0x09));
    out8(0x3CF, 0x12);
    cr_assert(eq(u8, in8(0x3CF), 0xFF));
    cr_assert(eq(u8, gc_r(8), 0xA8));
}

Test(vga_regs, crtc_index_data_and_range)
{
    out8(0x3C2, 0x01);
    for (uint8_t i = 0; i < 25; i++)
        crtc_w(i, (uint8_t)(0x40 + i));
    crtc_w(0x11, 0x00);
    for (uint8_t i = 0; i < 25; i++)
        if (i != 0x11)
            cr_assert(eq(u8, crtc_r(i), 0x40 + i), "CR%02X", i);
    out8(0x3D4, 0x19);
    cr_assert(eq(u8, in8(0x3D4), 0x19));
    cr_assert(eq(u8, in8(0x3D5), 0xFF));
    out8(0x3D4, 0xFF); /* 5-bit index: 1Fh, not a register */
    cr_assert(eq(u8, in8(0x3D4), 0x1F));
    out8(0x3D5, 0x00);
    cr_assert(eq(u8, in8(0x3D5), 0xFF));
}

Test(vga_regs, crtc_protect_bit_locks_0_to_7_but_line_compare_bit8)
{
    out8(0x3C2, 0x01);
    for (uint8_t i = 0; i < 8; i++)
        crtc_w(i, 0x00);
    crtc_w(0x11, 0x80);
    for (uint8_t i = 0; i < 8; i++)
        crtc_w(i, 0xFF);
    for (uint8_t i = 0; i < 7; i++)
        cr_assert(eq(u8, crtc_r(i), 0x00), "CR%02X protected", i);
    cr_assert(eq(u8, crtc_r(7), 0x10), "only the overflow's line compare bit 8 is written");
    crtc_w(0x09, 0x4F); /* not protected */
    cr_assert(eq(u8, crtc_r(0x09), 0x4F));
    crtc_w(0x11, 0x00);
    crtc_w(0x01, 0x4F);
    cr_assert(eq(u8, crtc_r(0x01), 0x4F));
}

Test(vga_regs, attribute_flip_flop)
{
    (void)in8(0x3DA); /* mono ports live at power-on: 3BA resets it too */
    (void)in8(0x3BA);
    out8(0x3C0, 0x10); /* index */
    out8(0x3C0, 0x41); /* data */
    out8(0x3C0, 0x33); /* index again: 13h with PAS set */
    cr_assert(eq(u8, in8(0x3C0), 0x33));
    out8(0x3C0, 0x05); /* data to AR13 */
    out8(0x3C0, 0x10 | 0x20); /* index: the data write is pending now */
    cr_assert(eq(u8, in8(0x3C1), 0x41));
    (void)in8(0x3BA);
    out8(0x3C0, 0x13 | 0x20);
    cr_assert(eq(u8, in8(0x3C1), 0x05), "AR13 was written");
    /* Without a status read the next 0x3C0 write is data, not an index. */
    out8(0x3C0, 0x07);
    (void)in8(0x3BA);
    out8(0x3C0, 0x13 | 0x20);
    cr_assert(eq(u8, in8(0x3C1), 0x07), "AR13 took the write meant as an index");
    /* Reading 3C1 does not move the flip-flop; reading input status 1
     * puts it back to "index" in the middle of a pair. */
    (void)in8(0x3BA);
    out8(0x3C0, 0x11 | 0x20);
    (void)in8(0x3C1);
    (void)in8(0x3BA);
    out8(0x3C0, 0x12 | 0x20); /* index, not data for AR11 */
    out8(0x3C0, 0x0A);
    out8(0x3C0, 0x11 | 0x20);
    cr_assert(eq(u8, in8(0x3C1), 0x00), "AR11 unchanged");
    (void)in8(0x3BA);
    out8(0x3C0, 0x12 | 0x20);
    cr_assert(eq(u8, in8(0x3C1), 0x0A));
}

Test(vga_regs, palette_writable_only_with_pas_clear)
{
    out8(0x3C2, 0x01);
    (void)in8(0x3DA);
    out8(0x3C0, 0x05);
    out8(0x3C0, 0x2A);
    out8(0x3C0, 0x05 | 0x20);
    out8(0x3C0, 0x15); /* PAS set: the palette belongs to the display */
    out8(0x3C0, 0x05 | 0x20);
    cr_assert(eq(u8, in8(0x3C1), 0x2A));
    /* The palette holds 6 bits; other registers their defined bits. */
    (void)in8(0x3DA);
    out8(0x3C0, 0x06);
    out8(0x3C0, 0xFF);
    cr_assert(eq(u8, ac_r(0x06), 0x3F));
    ac_w(0x14, 0xFF);
    cr_assert(eq(u8, ac_r(0x14), 0x0F));
    ac_w(0x11, 0xFF);
    cr_assert(eq(u8, ac_r(0x11), 0xFF));
    /* Indexes 15h-1Fh are not registers. */
    (void)in8(0x3DA);
    out8(0x3C0, 0x35);
    out8(0x3C0, 0x12);
    cr_assert(eq(u8, in8(0x3C1), 0xFF));
}

Test(vga_regs, dac_write_index_and_three_steps)
{
    out8(0x3C8, 0x05);
    cr_assert(eq(u8, in8(0x3C7), 0x00), "DAC state: write mode");
    out8(0x3C9, 0x3F);
    out8(0x3C9, 0x20);
    cr_assert(eq(u8, in8(0x3C8), 0x05), "index moves after blue");
    out8(0x3C9, 0x01);
    cr_assert(eq(u8, in8(0x3C8), 0x06));
    out8(0x3C9, 0xFF); /* entry 6 red: 6 bits */
    out8(0x3C9, 0x02);
    out8(0x3C9, 0x03);
    out8(0x3C7, 0x05);
    cr_assert(eq(u8, in8(0x3C7), 0x03), "DAC state: read mode");
    uint8_t got[6];
    for (unsigned i = 0; i < 6; i++)
        got[i] = in8(0x3C9);
    uint8_t want[6] = { 0x3F, 0x20, 0x01, 0x3F, 0x02, 0x03 };
    cr_assert(eq(mem, bytes(got, 6), bytes(want, 6)));
    /* A new index restarts the three steps. */
    out8(0x3C8, 0x07);
    out8(0x3C9, 0x11);
    out8(0x3C8, 0x07);
    out8(0x3C9, 0x04);
    out8(0x3C9, 0x05);
    out8(0x3C9, 0x06);
    out8(0x3C7, 0x07);
    cr_assert(eq(u8, in8(0x3C9), 0x04));
    out8(0x3C7, 0x07); /* and so does a read index */
    cr_assert(eq(u8, in8(0x3C9), 0x04));
    cr_assert(eq(u8, in8(0x3C9), 0x05));
    /* The index wraps from 255 to 0. */
    dac_w(0xFF, 1, 2, 3);
    cr_assert(eq(u8, in8(0x3C8), 0x00));
}

Test(vga_regs, pel_mask_and_feature_control)
{
    cr_assert(eq(u8, in8(0x3C6), 0xFF));
    out8(0x3C6, 0x0F);
    cr_assert(eq(u8, in8(0x3C6), 0x0F));
    out8(0x3BA, 0x03); /* written at the live status port (mono now) */
    cr_assert(eq(u8, in8(0x3CA), 0x03));
    out8(0x3DA, 0x00); /* the colour one is not live */
    cr_assert(eq(u8, in8(0x3CA), 0x03));
}

/* Mode 3's timing from the manual's register values: 28.322 MHz dot
 * clock, 9-dot characters, horizontal total 5Fh+5 = 100 characters (900
 * dots), vertical total 1BFh+2 = 449 lines, display end 18Fh+1 = 400 lines,
 * retrace from line 19Ch (412) until the low 4 bits reach Eh (2 lines),
 * 80 characters displayed. */
#define M3_LINE_NS (900.0 * 1e9 / 28322000.0)

static uint8_t status_at(double ns)
{
    clock_advance_to(&clk, (uint64_t)ns);
    return in8(0x3DA);
}

Test(vga_regs, input_status1_follows_mode3_timing)
{
    set_mode(&mode3);
    double frame = 449 * M3_LINE_NS;
    double base = 10 * frame; /* any frame */
    cr_assert(eq(u8, status_at(base + 10 * M3_LINE_NS + 100) & 0x09, 0x00), "display");
    cr_assert(eq(u8, status_at(base + 10.9 * M3_LINE_NS) & 0x09, 0x01),
              "horizontal blanking (720 of 900 dots displayed)");
    cr_assert(eq(u8, status_at(base + 405.5 * M3_LINE_NS) & 0x09, 0x01), "vertical blanking");
    cr_assert(eq(u8, status_at(base + 412.5 * M3_LINE_NS) & 0x09, 0x09), "retrace");
    cr_assert(eq(u8, status_at(base + 413.5 * M3_LINE_NS) & 0x09, 0x09), "retrace");
    cr_assert(eq(u8, status_at(base + 414.5 * M3_LINE_NS) & 0x09, 0x01), "retrace over");
    cr_assert(eq(u8, status_at(base + frame + 2 * M3_LINE_NS) & 0x09, 0x00), "next frame");
}

Test(vga_regs, retrace_toggles_about_70_times_a_second)
{
    set_mode(&mode3);
    unsigned edges = 0;
    bool was = false;
    for (uint64_t t = 0; t < 1000000000ull; t += 10000) { /* 10 us steps, 1 s */
        clock_advance_to(&clk, t);
        bool now = in8(0x3DA) & 0x08;
        edges += now && !was;
        was = now;
    }
    cr_assert(eq(uint, edges, 70), "28.322 MHz / 900 / 449 = 70.08 Hz");
}

Test(vga_regs, retrace_at_power_on_still_comes)
{
    /* Power-on CRTC values make no timing; a fixed frame is used, so a
     * guest polling for retrace before setting a mode is not stuck. */
    bool seen = false, clear = false;
    for (uint64_t t = 0; t < 40000000ull && !(seen && clear); t += 20000) {
        clock_advance_to(&clk, t);
        uint8_t s = in8(0x3BA);
        seen |= (s & 0x08) != 0;
        clear |= (s & 0x08) == 0;
    }
    cr_assert(seen && clear);
}

Test(vga_regs, unused_ports_read_ff)
{
    cr_assert(eq(u8, in8(0x3B0), 0xFF));
    cr_assert(eq(u8, in8(0x3CB), 0xFF));
    cr_assert(eq(u8, in8(0x3DF), 0xFF));
}
