/* The VGA's savestate (devices/vga_sv.c): a card in mode 13h with a
 * palette, a picture in video memory, a DAC entry half written, the
 * attribute flip-flop waiting for data and the latches loaded, and one in
 * a DISPI mode on its PCI BARs with a bank set, are saved, loaded into a
 * second card on its own bus, saved again (the same bytes), and then both
 * must answer alike: the rest of the DAC write, the flip-flop's data
 * write, a write-mode-1 latch copy, reads of the DAC, the registers and the
 * memory through every window, and the rendered frame.  Then the loader is
 * attacked: registers the ports could never have left, a DISPI mode too
 * big, a changed read-only PCI byte, another card, truncated and damaged
 * streams. */
#include <stdlib.h>
#include <string.h>

#include "mem/sv.h"
#include "tests/unit/sv_fixture.h"
#include "tests/unit/vga_fixture.h"

/* The first card is the fixture's (bus, vga); the second: */
static struct bus bus2;
static struct vclock clk2;
static struct pci_bus pb2;
static struct vga vga2;
static bool two_up;

static uint8_t rom_image[40000];

static void rom_fill(void)
{
    for (size_t i = 0; i < sizeof(rom_image); i++)
        rom_image[i] = (uint8_t)(i * 7 + 3);
    rom_image[0] = 0x55;
    rom_image[1] = 0xAA;
}

/* A second card as the first was made: with_pci false leaves it without
 * its PCI function. */
static void second_up(bool with_pci, const uint8_t *rom, size_t rom_len)
{
    cr_assert(eq(int, bus_init(&bus2, 1u << 20), 0));
    clock_init(&clk2, 100);
    cr_assert(eq(int, pci_init(&pb2, &bus2), 0));
    struct pci_bus *p = with_pci ? &pb2 : NULL;
    cr_assert(eq(int, vga_init(&vga2, &bus2, p, VGA_DEVFN, &clk2, rom, rom_len), 0));
    two_up = true;
}

static void second_down(void)
{
    if (!two_up)
        return;
    vga_free(&vga2);
    bus_free(&bus2);
    two_up = false;
}

static void suite_init(void)
{
    rom_fill();
    vga_setup_with_rom(rom_image, sizeof(rom_image));
    two_up = false;
}

static void suite_fini(void)
{
    second_down();
    vga_teardown();
}

TestSuite(sv_vga, .init = suite_init, .fini = suite_fini, .timeout = 120.0);

/* ---- port and memory access on either card -------------------------------- */

static void o8(struct bus *b, uint16_t port, uint8_t v)
{
    bus_out(b, port, v, 1);
}

static uint8_t i8(struct bus *b, uint16_t port)
{
    return (uint8_t)bus_in(b, port, 1);
}

static void dispi_set(struct bus *b, uint16_t i, uint16_t v)
{
    bus_out(b, 0x1CE, i, 2);
    bus_out(b, 0x1CF, v, 2);
}

static uint16_t dispi_get(struct bus *b, uint16_t i)
{
    bus_out(b, 0x1CE, i, 2);
    return (uint16_t)bus_in(b, 0x1CF, 2);
}

/* set_mode on either card. */
static void set_mode_on(struct bus *b, const struct vga_mode_regs *m)
{
    o8(b, 0x3C2, m->misc);
    for (uint8_t i = 0; i < 5; i++) {
        o8(b, 0x3C4, i);
        o8(b, 0x3C5, i ? m->seq[i] : 0x01);
    }
    o8(b, 0x3C4, 0);
    o8(b, 0x3C5, 0x03);
    o8(b, 0x3D4, 0x11);
    o8(b, 0x3D5, m->crtc[0x11] & 0x7F);
    for (uint8_t i = 0; i < 25; i++) {
        o8(b, 0x3D4, i);
        o8(b, 0x3D5, m->crtc[i]);
    }
    for (uint8_t i = 0; i < 9; i++) {
        o8(b, 0x3CE, i);
        o8(b, 0x3CF, m->gc[i]);
    }
    (void)i8(b, 0x3DA);
    for (uint8_t i = 0; i < 21; i++) {
        o8(b, 0x3C0, i);
        o8(b, 0x3C0, m->ac[i]);
    }
    o8(b, 0x3C0, 0x20);
}

/* ---- streams -------------------------------------------------------------- */

static void save_to(const struct vga *v, struct sv_writer *w)
{
    sv_writer_init(w);
    vga_save(v, w);
    cr_assert(eq(int, w->failed, 0), "the save ran out of memory");
}

static const char *try_load(struct vga *v, const struct sv_writer *w, size_t len, unsigned version)
{
    static struct sv_reader r;
    sv_reader_init(&r, w->buf, len, "vga");
    vga_load(v, &r, version);
    if (!sv_ok(&r))
        return r.err;
    cr_assert(eq(sz, sv_left(&r), 0), "the load left bytes unread");
    vga_post_load(v);
    return NULL;
}

/* The first card's state into the second, whose save must be the same. */
static void copy_state(void)
{
    struct sv_writer wa, wb;
    save_to(&vga, &wa);
    const char *err = try_load(&vga2, &wa, wa.len, VGA_SV_VERSION);
    cr_assert(eq(ptr, (void *)err, NULL), "load failed: %s", err ? err : "");
    save_to(&vga2, &wb);
    expect_same_stream(&wa, &wb);
    sv_writer_free(&wa);
    sv_writer_free(&wb);
}

static void expect_fail(const char *want)
{
    struct sv_writer w;
    save_to(&vga, &w);
    const char *err = try_load(&vga2, &w, w.len, VGA_SV_VERSION);
    cr_assert(not(eq(ptr, (void *)err, NULL)), "a load that should fail (%s) succeeded", want);
    cr_assert(not(eq(ptr, strstr(err, want), NULL)), "message \"%s\" does not say \"%s\"", err,
              want);
    sv_writer_free(&w);
}

/* Both cards render; the pictures must be the same (and the loaded card
 * must draw, since its picture was never rendered). */
static void expect_same_frame(void)
{
    struct vga_frame *fa, *fb;
    vga_update(&vga, &fa);
    cr_assert(vga_update(&vga2, &fb), "the loaded card draws its picture");
    cr_assert(eq(uint, fa->width, fb->width));
    cr_assert(eq(uint, fa->height, fb->height));
    cr_assert(gt(uint, fb->width * fb->height, 0));
    size_t n = (size_t)fa->width * fa->height;
    size_t i = 0;
    while (i < n && fa->pixels[i] == fb->pixels[i])
        i++;
    cr_assert(eq(sz, i, n), "the frames differ first at pixel %zu", i);
}

static void expect_same_vram(void)
{
    cr_assert(eq(int, memcmp(vga.vram, vga2.vram, VGA_VRAM_SIZE), 0), "video memory differs");
}

/* ---- mode 13h ------------------------------------------------------------- */

/* Mode 13h with a palette and a picture; then, in mid-operation: DAC
 * entry 40h with red and green written, the attribute flip-flop past an
 * index (overscan, screen on), the latches loaded from offset 100. */
static void mode13_in_mid_operation(void)
{
    set_mode(&mode13);
    for (unsigned i = 0; i < 64; i++)
        dac_w((uint8_t)i, (uint8_t)i, (uint8_t)(63 - i), (uint8_t)(i / 2));
    for (uint32_t a = 0; a < 64000; a++)
        mem_w(0xA0000 + a, (uint8_t)((a % 320) ^ (a / 320)));
    struct vga_frame *f;
    vga_update(&vga, &f); /* the first card has drawn; the second never has */
    out8(0x3C8, 0x40);
    out8(0x3C9, 0x11);
    out8(0x3C9, 0x22);
    (void)in8(0x3DA);
    out8(0x3C0, 0x20 | 0x11);
    seq_w(2, 0x0F);
    out8(0x3C4, 0x02);
    out8(0x3CE, 0x08);
    out8(0x3D4, 0x0C);
    (void)mem_r(0xA0000 + 100);
}

Test(sv_vga, mode13_with_a_palette_and_half_done_writes)
{
    mode13_in_mid_operation();
    /* The second card has drawn a picture of its own in the same mode:
     * the load must make it draw the loaded one. */
    second_up(true, rom_image, sizeof(rom_image));
    set_mode_on(&bus2, &mode13);
    for (unsigned i = 0; i < 64; i++) {
        o8(&bus2, 0x3C8, (uint8_t)i);
        for (unsigned c = 0; c < 3; c++)
            o8(&bus2, 0x3C9, (uint8_t)(i ^ 0x2A));
    }
    for (uint32_t a = 0; a < 64000; a++)
        bus_write(&bus2, 0xA0000 + a, (uint8_t)(a * 3), 1);
    struct vga_frame *f2;
    cr_assert(vga_update(&vga2, &f2));
    cr_assert(not(vga_update(&vga2, &f2)), "premise: nothing left to draw");
    copy_state();
    expect_same_vram();
    expect_same_frame();
    struct bus *b[2] = { &bus, &bus2 };
    for (unsigned k = 0; k < 2; k++) {
        o8(b[k], 0x3C9, 0x33);          /* blue: entry 40h completes */
        o8(b[k], 0x3C0, 0x05);          /* the flip-flop wants data: overscan 5 */
        o8(b[k], 0x3CF, 0xFF);          /* the graphics index is still 8: bit mask */
        o8(b[k], 0x3CE, 0x05);
        o8(b[k], 0x3CF, 0x41);          /* write mode 1: the latches as they are */
        bus_write(b[k], 0xA0000 + 5000, 0, 1);
        o8(b[k], 0x3CF, 0x40);
    }
    struct vga *v[2] = { &vga, &vga2 };
    for (unsigned k = 0; k < 2; k++) {
        cr_assert(eq(u8, v[k]->dac[0x40][2], 0x33), "card %u: the DAC entry completed", k);
        cr_assert(eq(u8, v[k]->ac[0x11], 0x05), "card %u: overscan written", k);
        /* Write mode 1 stored the latches loaded from offset 100 (chain-4:
         * only plane 5000 & 3 = 0 is written). */
        cr_assert(eq(u8, v[k]->vram[4 * 5000], v[k]->vram[4 * 100]), "card %u: the latch copy", k);
        cr_assert(not(eq(u8, v[k]->vram[4 * 5000], (uint8_t)((5000 % 320) ^ (5000 / 320)))));
    }
    expect_same_vram();
    /* Read back alike: the DAC from entry 0, the index and data registers,
     * the window. */
    for (unsigned k = 0; k < 2; k++)
        o8(b[k], 0x3C7, 0x00);
    for (unsigned i = 0; i < 768; i++)
        cr_assert(eq(u8, i8(&bus, 0x3C9), i8(&bus2, 0x3C9)), "DAC byte %u", i);
    static const uint16_t ports[] = { 0x3C4, 0x3C5, 0x3CE, 0x3CF, 0x3D4, 0x3D5, 0x3C6, 0x3C7,
                                      0x3C8, 0x3CC, 0x3CA, 0x3C0, 0x3C1 };
    for (unsigned i = 0; i < sizeof(ports) / sizeof(ports[0]); i++)
        cr_assert(eq(u8, i8(&bus, ports[i]), i8(&bus2, ports[i])), "port %03X", ports[i]);
    for (uint32_t a = 0; a < 0x20000; a += 7)
        cr_assert(eq(u8, mem_r(0xA0000 + a), (uint8_t)bus_read(&bus2, 0xA0000 + a, 1)),
                  "A0000 + %05X", a);
    expect_same_frame();
}

Test(sv_vga, text_mode_frame)
{
    set_mode(&mode3);
    for (unsigned i = 0; i < 80 * 25; i++) {
        mem_w(0xB8000 + 2 * i, (uint8_t)('A' + i % 26));
        mem_w(0xB8000 + 2 * i + 1, (uint8_t)(0x07 + (i % 7) * 0x10));
    }
    /* A font: plane 2, as the BIOS loads it. */
    seq_w(2, 0x04);
    seq_w(4, 0x07);
    gc_w(4, 0x02);
    gc_w(5, 0x00);
    gc_w(6, 0x04);
    for (unsigned c = 0; c < 256; c++)
        for (unsigned l = 0; l < 16; l++)
            mem_w(0xA0000 + c * 32 + l, (uint8_t)(c ^ (l * 0x11)));
    set_mode(&mode3);
    second_up(true, rom_image, sizeof(rom_image));
    copy_state();
    expect_same_frame();
    struct vga_text_screen ta, tb;
    cr_assert(eq(int, vga_text_snapshot(&vga, &ta), 0));
    cr_assert(eq(int, vga_text_snapshot(&vga2, &tb), 0));
    cr_assert(eq(uint, ta.cols * ta.rows, 80 * 25));
    cr_assert(eq(mem, bytes(ta.cells, 2 * 80 * 25), bytes(tb.cells, 2 * 80 * 25)));
}

/* ---- DISPI on the PCI BARs -------------------------------------------------- */

#define LFB 0xE0000000u
#define MMIO 0xE1000000u
#define ROM_AT 0xE2000000u

Test(sv_vga, dispi_mode_on_its_bars)
{
    pci_config_write(&pb, 0, VGA_DEVFN, 0x10, LFB, 4);
    pci_config_write(&pb, 0, VGA_DEVFN, 0x18, MMIO, 4);
    pci_config_write(&pb, 0, VGA_DEVFN, 0x30, ROM_AT | 1, 4);
    pci_config_write(&pb, 0, VGA_DEVFN, PCI_COMMAND, PCI_COMMAND_MEMORY | PCI_COMMAND_IO, 2);
    dispi_w(VBE_DISPI_INDEX_XRES, 800);
    dispi_w(VBE_DISPI_INDEX_YRES, 600);
    dispi_w(VBE_DISPI_INDEX_BPP, 32);
    dispi_w(VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED | VBE_DISPI_8BIT_DAC);
    for (uint32_t p = 0; p < 800 * 600; p += 3)
        bus_write(&bus, LFB + 4 * p, p * 2654435761u, 4);
    dispi_w(VBE_DISPI_INDEX_BANK, 3);
    for (uint32_t a = 0; a < 0x10000; a += 5)
        mem_w(0xA0000 + a, (uint8_t)(a >> 3));
    dac_w(7, 0xC0, 0x80, 0x40); /* 8-bit DAC values */

    /* The second card's framebuffer somewhere else, to be moved. */
    second_up(true, rom_image, sizeof(rom_image));
    pci_config_write(&pb2, 0, VGA_DEVFN, 0x10, 0xD0000000u, 4);
    pci_config_write(&pb2, 0, VGA_DEVFN, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    cr_assert(eq(u32, bus_read(&bus2, 0xD0000000u, 4), 0), "premise: B's LFB at D0000000");
    copy_state();
    cr_assert(eq(u32, bus_read(&bus2, 0xD0000000u, 4), 0xFFFFFFFFu), "the old LFB unmapped");
    for (uint32_t p = 0; p < 800 * 600; p += 97)
        cr_assert(eq(u32, bus_read(&bus2, LFB + 4 * p, 4), bus_read(&bus, LFB + 4 * p, 4)),
                  "LFB pixel %u", p);
    cr_assert(eq(u32, bus_read(&bus2, MMIO + 0x500 + 2, 2), 800), "DISPI XRES through BAR2");
    cr_assert(eq(u32, bus_read(&bus2, ROM_AT, 2), 0xAA55), "the option ROM decodes");
    cr_assert(eq(u32, bus_read(&bus2, ROM_AT + 0x1234, 4), bus_read(&bus, ROM_AT + 0x1234, 4)));
    cr_assert(eq(u16, dispi_get(&bus2, VBE_DISPI_INDEX_BANK), 3));
    cr_assert(eq(u16, dispi_get(&bus2, VBE_DISPI_INDEX_XRES), 800));
    for (uint32_t a = 0; a < 0x10000; a += 3)
        cr_assert(eq(u8, (uint8_t)bus_read(&bus2, 0xA0000 + a, 1), mem_r(0xA0000 + a)),
                  "bank window + %04X", a);
    expect_same_frame();
    /* And on: a bank switch and a write through the window on both. */
    for (unsigned k = 0; k < 2; k++) {
        struct bus *b = k ? &bus2 : &bus;
        dispi_set(b, VBE_DISPI_INDEX_BANK, 1);
        bus_write(b, 0xA0000 + 0x100, 0x12345678u, 4);
    }
    cr_assert(eq(u32, bus_read(&bus2, LFB + 0x10100, 4), 0x12345678u));
    expect_same_vram();
    expect_same_frame();
}

/* ---- hostile streams -------------------------------------------------------- */

Test(sv_vga, registers_the_ports_could_not_have_left)
{
    mode13_in_mid_operation();
    second_up(true, rom_image, sizeof(rom_image));
    vga.dac_step = 3;
    expect_fail("vga: DAC colour step out of range");
    vga.dac_step = 2;
    vga.dac_state = 0x01;
    expect_fail("DAC state out of range");
    vga.dac_state = 0x00;
    vga.seq_index = 0x08;
    expect_fail("sequencer index out of range");
    vga.seq_index = 0x02;
    vga.crtc_index = 0x20;
    expect_fail("CRTC index out of range");
    vga.crtc_index = 0x0C;
    vga.gc_index = 0x10;
    expect_fail("graphics controller index out of range");
    vga.gc_index = 0x08;
    vga.ac_index = 0x40;
    expect_fail("attribute controller index out of range");
    vga.ac_index = 0x31;
    vga.ac[3] = 0x40;
    expect_fail("attribute palette entry out of range");
    vga.ac[3] = 0x03;
    vga.ac[0x10] |= 0x10; /* a reserved bit of mode control */
    expect_fail("attribute register out of range");
    vga.ac[0x10] &= (uint8_t)~0x10;
    vga.feature = 0x04;
    expect_fail("feature control out of range");
    vga.feature = 0;
    copy_state();
}

Test(sv_vga, dispi_registers_and_pci_header)
{
    second_up(true, rom_image, sizeof(rom_image));
    uint16_t *d = vga.dispi;
    d[VBE_DISPI_INDEX_XRES] = 4000;
    expect_fail("DISPI XRES out of range");
    d[VBE_DISPI_INDEX_XRES] = 1024;
    d[VBE_DISPI_INDEX_YRES] = 60000;
    expect_fail("DISPI YRES out of range");
    d[VBE_DISPI_INDEX_YRES] = 768;
    d[VBE_DISPI_INDEX_BPP] = 12;
    expect_fail("DISPI BPP out of range");
    d[VBE_DISPI_INDEX_BPP] = 32;
    d[VBE_DISPI_INDEX_ID] = 0xB0C6;
    expect_fail("DISPI ID out of range");
    d[VBE_DISPI_INDEX_ID] = VBE_DISPI_ID5;
    d[VBE_DISPI_INDEX_BANK] = 256;
    expect_fail("DISPI BANK out of range");
    d[VBE_DISPI_INDEX_BANK] = 0;
    d[VBE_DISPI_INDEX_ENABLE] = VBE_DISPI_ENABLED | 0x100;
    expect_fail("DISPI ENABLE out of range");
    d[VBE_DISPI_INDEX_ENABLE] = VBE_DISPI_ENABLED;
    d[VBE_DISPI_INDEX_XRES] = 0;
    expect_fail("DISPI mode (enabled, but it does not fit) out of range");
    d[VBE_DISPI_INDEX_XRES] = 1024;
    copy_state();
    vga.pci.config[0] ^= 1; /* the vendor ID is read-only */
    expect_fail("PCI configuration byte 00h is 35h, this machine's is 34h");
    vga.pci.config[0] ^= 1;
    copy_state();
}

Test(sv_vga, another_card)
{
    second_up(false, rom_image, sizeof(rom_image));
    expect_fail("vga: saved with a PCI function, this machine's VGA has none");
    second_down();
    second_up(true, NULL, 0);
    expect_fail("vga: saved with a 64 KiB option ROM BAR, this machine's VGA has no option ROM");
    second_down();
    second_up(true, rom_image, sizeof(rom_image));
    copy_state();
}

Test(sv_vga, truncated_streams_and_versions)
{
    mode13_in_mid_operation();
    second_up(true, rom_image, sizeof(rom_image));
    struct sv_writer w;
    save_to(&vga, &w);
    for (size_t len = 0; len < 1200; len++) {
        const char *err = try_load(&vga2, &w, len, VGA_SV_VERSION);
        cr_assert(not(eq(ptr, (void *)err, NULL)), "a stream cut at %zu loaded", len);
        cr_assert(not(eq(ptr, strstr(err, "truncated"), NULL)), "cut at %zu: %s", len, err);
    }
    const char *err = try_load(&vga2, &w, w.len - 1, VGA_SV_VERSION);
    cr_assert(not(eq(ptr, (void *)err, NULL)), "a stream one byte short loaded");
    cr_assert(not(eq(ptr, strstr(err, "truncated"), NULL)), "%s", err);
    err = try_load(&vga2, &w, w.len, 9);
    cr_assert(not(eq(ptr, (void *)err, NULL)));
    cr_assert(eq(str, (char *)err, "vga: version 9, this Popek reads 1"));
    cr_assert(eq(ptr, (void *)try_load(&vga2, &w, w.len, VGA_SV_VERSION), NULL));
    sv_writer_free(&w);
}

/* Damage in the registers, DISPI and the PCI header (the first bytes of
 * vga_save's stream, before video memory): each load fails with a message
 * or gives a card that renders and answers its ports inside its memory
 * (the sanitizers watch vram and the frame). */
#define SV_VGA_REGS 1200

Test(sv_vga, random_damage_loads_safely_or_fails)
{
    mode13_in_mid_operation();
    second_up(true, rom_image, sizeof(rom_image));
    struct sv_writer good, bad;
    save_to(&vga, &good);
    sv_writer_init(&bad);
    sv_put_bytes(&bad, good.buf, good.len);
    rng_state = 0x56A5EEDu;
    unsigned loaded = 0, failed = 0;
    for (unsigned it = 0; it < 120; it++) {
        memcpy(bad.buf, good.buf, SV_VGA_REGS);
        unsigned flips = 1 + it % 4;
        for (unsigned f = 0; f < flips; f++) {
            uint32_t x = rng();
            bad.buf[x % SV_VGA_REGS] ^= (uint8_t)(1u << (x >> 29));
        }
        const char *err = try_load(&vga2, &bad, bad.len, VGA_SV_VERSION);
        if (err) {
            failed++;
        } else {
            loaded++;
            struct vga_frame *f;
            vga_update(&vga2, &f);
            for (unsigned i = 0; i < 64; i++) {
                (void)i8(&bus2, (uint16_t)(0x3C0 + (i & 0x1F)));
                (void)bus_read(&bus2, 0xA0000 + i * 1031, 4);
                bus_write(&bus2, 0xA0000 + i * 997, i * 0x01010101u, 2);
                o8(&bus2, 0x3C9, (uint8_t)i);
            }
            vga_update(&vga2, &f);
        }
        err = try_load(&vga2, &good, good.len, VGA_SV_VERSION);
        cr_assert(eq(ptr, (void *)err, NULL), "rolling back: %s", err ? err : "");
    }
    cr_log_info("%u damaged streams loaded, %u failed", loaded, failed);
    cr_assert(gt(uint, failed, 5), "the damage should hit checked fields (%u failed)", failed);
    cr_assert(gt(uint, loaded, 5), "and harmless ones (%u loaded)", loaded);
    sv_writer_free(&good);
    sv_writer_free(&bad);
}
