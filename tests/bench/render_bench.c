/* What a frame costs the VGA renderer (make bench-render): SeaBIOS and its
 * VGA BIOS boot (no disks), optionally with the graphics test guest as an
 * option ROM, to the screen it leaves at 3 s of guest time; then the frame
 * is rendered again and again from scratch (every line drawn), after one
 * 4 KiB page of VRAM changed, and with nothing changed.  Prints host time
 * per frame for each; under callgrind the instruction counts follow.
 *
 *   render_bench [OPTION_ROM] */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "machine/machine.h"

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint8_t *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    uint8_t *buf = malloc(1 << 20);
    *len = buf ? fread(buf, 1, 1 << 20, f) : 0;
    fclose(f);
    return buf;
}

static void stop(void *opaque, uint64_t t)
{
    machine_request_exit(opaque, 0);
}

static struct machine m;

int main(int argc, char **argv)
{
    size_t bios_len, vga_len, opt_len = 0;
    uint8_t *bios = slurp("/usr/share/seabios/bios-256k.bin", &bios_len);
    uint8_t *vgarom = slurp("/usr/share/seabios/vgabios-stdvga.bin", &vga_len);
    uint8_t *opt = argc > 1 ? slurp(argv[1], &opt_len) : NULL;
    if (!bios || !vgarom || (argc > 1 && !opt)) {
        printf("bench-render: skipped: SeaBIOS, its VGA BIOS or %s is missing\n", argc > 1 ? argv[1] : "");
        return 0;
    }
    struct machine_config cfg;
    machine_config_default(&cfg);
    cfg.vga_rom = vgarom;
    cfg.vga_rom_len = vga_len;
    if (machine_init(&m, &cfg) < 0 || machine_load_bios_image(&m, bios, bios_len) < 0 ||
        (opt && machine_add_option_rom(&m, "gfx.rom", opt, opt_len) < 0))
        return 1;
    struct vtimer t;
    clock_timer_init(&m.clock, &t, stop, &m);
    clock_timer_mod(&t, 3000000000ull);
    uint64_t n;
    machine_run(&m, &n);
    struct vga *v = &m.pc.vga;
    struct vga_frame *f;
    vga_update(v, &f);
    const char *what = f->text ? "text" : "graphics";
    enum { FULL = 300, PAGE = 3000, NONE = 1000000 };
    double t0 = now();
    for (int i = 0; i < FULL; i++) {
        v->full_dirty = true;
        vga_update(v, &f);
    }
    double t1 = now();
    /* One page of what the screen shows: VRAM page 0 holds the start of
     * every mode's frame here (the start address is 0). */
    for (int i = 0; i < PAGE; i++) {
        v->dirty[0] |= 1;
        vga_update(v, &f);
    }
    double t2 = now();
    uint64_t rendered = v->frames_rendered;
    for (int i = 0; i < NONE; i++)
        vga_update(v, &f);
    double t3 = now();
    printf("bench-render: %s %ux%u: full frame %.1f us, one page changed %.1f us, nothing changed %.0f ns"
           " (%s)\n",
           what, f->width, f->height, (t1 - t0) / FULL * 1e6, (t2 - t1) / PAGE * 1e6, (t3 - t2) / NONE * 1e9,
           v->frames_rendered == rendered ? "no frame built" : "FRAMES BUILT");
    int rc = v->frames_rendered == rendered ? 0 : 1;
    machine_free(&m);
    free(bios);
    free(vgarom);
    free(opt);
    return rc;
}
