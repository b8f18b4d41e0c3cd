/* Nonsense from a guest: seeded random traffic at every VGA, DISPI, PCI
 * and fw_cfg register (indexes out of range, absurd VBE sizes, BARs moved
 * anywhere, DMA descriptors pointing anywhere), VGA memory writes in every
 * mode it stumbles into, and a frame rendered every so often.  The
 * hardware answers whatever it answers; what is checked is that nothing
 * reads or writes outside its arrays (this suite runs under ASan+UBSan in
 * make check), that every frame fits its pixel buffer, and that the device
 * still works afterwards (a reset and mode 13h as in test_vga_render). */
#include "devices/fw_cfg.h"
#include "tests/unit/vga_fixture.h"

static struct fw_cfg fw;

static void setup(void)
{
    vga_setup();
    cr_assert(eq(int, fw_cfg_init(&fw, &bus), 0));
    cr_assert(eq(int, fw_cfg_add_file(&fw, "etc/x", "0123456789abcdef", 16, true), 0));
}

static void teardown(void)
{
    fw_cfg_free(&fw);
    vga_teardown();
}

TestSuite(vga_fuzz, .init = setup, .fini = teardown, .timeout = 60.0);

static uint64_t rng = 0x9E3779B97F4A7C15ull;

static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return (uint32_t)(rng >> 16);
}

static const uint16_t ports[][2] = {
    { 0x3B0, 0x3DF }, { 0x1CE, 0x1D0 }, { 0x510, 0x51B }, { 0xCF8, 0xCFF },
};

Test(vga_fuzz, random_traffic_stays_in_bounds)
{
    uint64_t frames = 0;
    for (unsigned i = 0; i < 300000; i++) {
        uint32_t r = rnd();
        unsigned size = 1u << (r & 3) % 3;
        switch ((r >> 2) % 8) {
        case 0:
        case 1: {
            const uint16_t *pr = ports[(r >> 5) % 4];
            uint16_t port = (uint16_t)(pr[0] + rnd() % (pr[1] - pr[0] + 1u));
            /* CONFIG_ADDRESS aimed at the VGA's function most of the time. */
            uint32_t v = rnd();
            if (port == 0xCF8)
                v = 0x80000000u | VGA_DEVFN << 8 | (v & 0xFC);
            bus_out(&bus, port, v, port == 0xCF8 ? 4 : size);
            break;
        }
        case 2: {
            const uint16_t *pr = ports[(r >> 5) % 4];
            bus_in(&bus, (uint16_t)(pr[0] + rnd() % (pr[1] - pr[0] + 1u)), size);
            break;
        }
        case 3: /* DISPI with sizes from the absurd end */
            dispi_w((uint16_t)(rnd() % 12), (uint16_t)(rnd() % 3 ? rnd() : 0xFFFF));
            break;
        case 4:
        case 5:
            bus_write(&bus, 0xA0000 + rnd() % 0x20000, rnd(), size);
            break;
        case 6: /* wherever the BARs went, and a bit further */
            bus_write(&bus, rnd() & ~3u, rnd(), 4);
            bus_read(&bus, rnd() & ~3u, 4);
            break;
        default: {
            struct vga_frame *f;
            vga_update(&vga, &f);
            if (f && f->pixels) {
                cr_assert(le(u64, (uint64_t)f->width * f->height, vga.frame_alloc),
                          "frame %ux%u fits its buffer", f->width, f->height);
                /* Touch the last pixel: ASan catches a short buffer. */
                if (f->width && f->height)
                    (void)f->pixels[(size_t)f->width * f->height - 1];
            }
            frames++;
            break;
        }
        }
    }
    cr_assert(gt(u64, frames, 1000));
    FILE *devnull = fopen("/dev/null", "w");
    cr_assert(not(eq(ptr, devnull, NULL)));
    vga_text_dump(&vga, devnull, true);
    fclose(devnull);

    /* Still a VGA: after a reset, mode 13h shows what is written. */
    vga_reset(&vga);
    set_mode(&mode13);
    dac_w(5, 63, 0, 0);
    mem_w(0xA0000, 5);
    struct vga_frame *f;
    vga_update(&vga, &f);
    cr_assert(eq(u32, f->width, 320));
    cr_assert(eq(u32, f->pixels[0] & 0xFFFFFF, 0xFF0000));
}
