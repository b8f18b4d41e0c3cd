/* Savestates of the floppy controller (devices/fdc_sv.c): it is driven
 * into a state in the middle of something (a command half sent with a seek
 * in flight, the execution phase waiting for its timer, a non-DMA read in
 * mid-sector, the result phase half read), saved, loaded into a second
 * controller set up the same way on its own bus and clock, saved again
 * (the bytes must be the same), and then both carry on and must do the
 * same thing.  Then the loader is attacked: FIFO and buffer positions
 * beyond their buffers, bad phases and fields, other drives and media,
 * truncated streams and random damage must each fail with a message or
 * load into something that stays inside its buffers. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/dma8237.h"
#include "devices/fdc.h"
#include "disks/blockdev.h"
#include "mem/sv.h"
#include "tests/unit/sv_fixture.h"

#define SIZE_144 1474560u
#define SIZE_720 737280u

struct fdc_rig {
    bool up;
    struct bus bus;
    struct vclock clk;
    struct dma8237 dma;
    struct fdc fdc;
    struct blockdev bd;
    bool bd_open;
    char path[64];
    bool irq;
};

static struct fdc_rig frigs[2];
static struct fdc_rig *const FA = &frigs[0], *const FB = &frigs[1];

static void fdc_irq_cb(void *opaque, int n, bool level)
{
    struct fdc_rig *g = opaque;
    g->irq = level;
}

/* Byte off of an image: (lba * 7 + i) & 255 per 512-byte sector. */
static uint8_t fpat(uint64_t off)
{
    return pattern((unsigned)(off / 512), (unsigned)(off % 512));
}

/* A controller with drive 0 of CMOS type (0: the medium's) holding an image
 * of size bytes (0: none). */
static void fdc_up(struct fdc_rig *g, uint8_t type, uint32_t size)
{
    memset(g, 0, sizeof(*g));
    cr_assert(eq(int, bus_init(&g->bus, 1u << 20), 0));
    clock_init(&g->clk, 100);
    cr_assert(eq(int, dma8237_init(&g->dma, &g->bus), 0));
    const struct irq_line irq6 = { fdc_irq_cb, g, 6 };
    cr_assert(eq(int, fdc_init(&g->fdc, &g->bus, &g->clk, &g->dma, &irq6), 0));
    if (type)
        cr_assert(eq(int, fdc_set_drive_type(&g->fdc, 0, type), 0));
    if (size) {
        make_image(g->path, size, 512);
        cr_assert(eq(int, blockdev_open(&g->bd, g->path, BLOCKDEV_RAW, false), 0));
        g->bd_open = true;
        cr_assert(eq(int, fdc_attach(&g->fdc, 0, &g->bd), 0));
    }
    g->up = true;
}

static void fdc_down(struct fdc_rig *g)
{
    if (!g->up)
        return;
    if (g->bd_open) {
        blockdev_close(&g->bd);
        unlink(g->path);
    }
    bus_free(&g->bus);
    g->up = false;
}

static void fdc_suite_init(void)
{
    FA->up = FB->up = false;
}

static void fdc_suite_fini(void)
{
    fdc_down(FA);
    fdc_down(FB);
}

TestSuite(sv_fdc, .init = fdc_suite_init, .fini = fdc_suite_fini, .timeout = 60.0);

static void fout(struct fdc_rig *g, uint16_t port, uint8_t v)
{
    bus_out(&g->bus, port, v, 1);
}

static uint8_t fin(struct fdc_rig *g, uint16_t port)
{
    return (uint8_t)bus_in(&g->bus, port, 1);
}

static void frun(struct fdc_rig *g)
{
    clock_advance_to(&g->clk, g->clk.now + 1000000);
}

static void fsend(struct fdc_rig *g, const uint8_t *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        cr_assert(eq(u8, fin(g, 0x3F4) & 0xC0, 0x80), "byte %u: not ready for a command byte", i);
        fout(g, 0x3F5, b[i]);
    }
}

#define FSEND(g, ...)                                                                              \
    do {                                                                                           \
        const uint8_t cmd_[] = { __VA_ARGS__ };                                                    \
        fsend(g, cmd_, sizeof(cmd_));                                                              \
    } while (0)

static void fresult(struct fdc_rig *g, uint8_t *r, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        cr_assert(eq(u8, fin(g, 0x3F4) & 0xF0, 0xD0), "result byte %u: not in the result phase", i);
        r[i] = fin(g, 0x3F5);
    }
}

/* Out of reset, drive 0 selected with its motor on, the four polling
 * statuses sensed, 500 kbit/s. */
static void fbring_up(struct fdc_rig *g)
{
    fout(g, 0x3F2, 0x1C);
    frun(g);
    for (unsigned d = 0; d < 4; d++) {
        uint8_t r[2];
        FSEND(g, 0x08);
        fresult(g, r, 2);
    }
    fout(g, 0x3F7, 0x00);
}

/* DMA channel 2 as a BIOS programs it (the 8237 is another device: both
 * rigs get the same programming). */
static void fdma(struct fdc_rig *g, uint32_t addr, uint16_t bytes)
{
    fout(g, 0xD6, 0xC0);
    fout(g, 0xD4, 0x00);
    fout(g, 0x0A, 0x06);
    fout(g, 0x0C, 0);
    fout(g, 0x0B, 0x46);
    fout(g, 0x04, (uint8_t)addr);
    fout(g, 0x04, (uint8_t)(addr >> 8));
    fout(g, 0x81, (uint8_t)(addr >> 16));
    fout(g, 0x05, (uint8_t)(bytes - 1));
    fout(g, 0x05, (uint8_t)((bytes - 1) >> 8));
    fout(g, 0x0A, 0x02);
}

static void fdc_seek_to(struct fdc_rig *g, uint8_t c)
{
    FSEND(g, 0x0F, 0x00, c);
    frun(g);
    uint8_t r[2];
    FSEND(g, 0x08);
    fresult(g, r, 2);
    cr_assert(eq(u8, r[1], c));
}

static uint64_t chs_off(unsigned c, unsigned h, unsigned r)
{
    return ((c * 2u + h) * 18u + (r - 1u)) * 512ull;
}

static void fdc_save_to(struct fdc_rig *g, struct sv_writer *w)
{
    sv_writer_init(w);
    fdc_save(&g->fdc, w);
    cr_assert(eq(int, w->failed, 0), "the save ran out of memory");
}

static const char *fdc_try_load(struct fdc_rig *g, const struct sv_writer *w, size_t len,
                                unsigned version)
{
    static struct sv_reader r;
    sv_reader_init(&r, w->buf, len, "fdc");
    fdc_load(&g->fdc, &r, version);
    if (!sv_ok(&r))
        return r.err;
    cr_assert(eq(sz, sv_left(&r), 0), "the load left bytes unread");
    return NULL;
}

/* FA's state into FB (whose clock the machine would have restored). */
static void fdc_copy(void)
{
    struct sv_writer wa, wb;
    fdc_save_to(FA, &wa);
    FB->clk.now = FA->clk.now;
    const char *err = fdc_try_load(FB, &wa, wa.len, FDC_SV_VERSION);
    cr_assert(eq(ptr, (void *)err, NULL), "load failed: %s", err ? err : "");
    fdc_save_to(FB, &wb);
    expect_same_stream(&wa, &wb);
    cr_assert(eq(int, FB->fdc.irq_level, FA->fdc.irq_level), "IRQ 6 as A has it");
    FB->irq = FA->irq; /* as the interrupt controller's own load gives it */
    sv_writer_free(&wa);
    sv_writer_free(&wb);
}

static void fdc_expect_fail(const char *want)
{
    struct sv_writer w;
    fdc_save_to(FA, &w);
    const char *err = fdc_try_load(FB, &w, w.len, FDC_SV_VERSION);
    cr_assert(not(eq(ptr, (void *)err, NULL)), "a load that should fail (%s) succeeded", want);
    cr_assert(not(eq(ptr, strstr(err, want), NULL)), "message \"%s\" does not say \"%s\"", err,
              want);
    sv_writer_free(&w);
}

static void expect_same_msr(void)
{
    cr_assert(eq(u8, fin(FA, 0x3F4), fin(FB, 0x3F4)), "the MSRs differ");
    cr_assert(eq(u8, fin(FA, 0x3F7), fin(FB, 0x3F7)), "the DIRs differ");
}

/* Both read n result bytes, which must be equal (and are returned). */
static void both_results(uint8_t *r, unsigned n)
{
    uint8_t rb[FDC_RES_MAX];
    fresult(FA, r, n);
    fresult(FB, rb, n);
    cr_assert(eq(mem, bytes(r, n), bytes(rb, n)), "the result bytes differ");
    expect_same_msr();
}

Test(sv_fdc, result_phase_half_read)
{
    fdc_up(FA, 0, SIZE_144);
    fdc_up(FB, 0, SIZE_144);
    fbring_up(FA);
    fdc_seek_to(FA, 1);
    fdma(FA, 0x12000, 512);
    FSEND(FA, 0x46, 0x04, 1, 1, 3, 2, 18, 0x1B, 0xFF);
    frun(FA);
    uint8_t r[7];
    fresult(FA, r, 3);
    fdc_copy();
    expect_same_msr();
    both_results(r + 3, 4);
    cr_assert(eq(mem, bytes(r, 7), bytes(((uint8_t[]){ 0x04, 0, 0, 1, 1, 4, 2 }), 7)));
    cr_assert(eq(u8, fin(FB, 0x3F4) & 0xF0, 0x80), "back in the command phase");
    /* And on: READ ID at the same place on both. */
    for (unsigned k = 0; k < 2; k++) {
        FSEND(&frigs[k], 0x4A, 0x04);
        frun(&frigs[k]);
    }
    both_results(r, 7);
    cr_assert(eq(u8, r[3], 1), "READ ID on cylinder 1");
}

Test(sv_fdc, pio_read_in_mid_sector)
{
    fdc_up(FA, 0, SIZE_144);
    fdc_up(FB, 0, SIZE_144);
    fbring_up(FA);
    FSEND(FA, 0x03, 0xAF, 0x03); /* SPECIFY: non-DMA */
    fdc_seek_to(FA, 9);
    FSEND(FA, 0x46, 0x00, 9, 0, 17, 2, 18, 0x1B, 0xFF);
    frun(FA);
    for (unsigned i = 0; i < 200; i++)
        cr_assert(eq(u8, fin(FA, 0x3F5), fpat(chs_off(9, 0, 17) + i)));
    cr_assert(eq(u32, FA->fdc.buf_pos, 200), "premise: in mid-sector");
    fdc_copy();
    expect_same_msr();
    for (unsigned k = 0; k < 2; k++)
        for (unsigned i = 200; i < 1024; i++) {
            uint64_t off = chs_off(9, 0, 17) + i;
            cr_assert(eq(u8, fin(&frigs[k], 0x3F4), 0xF0), "rig %u byte %u: RQM DIO NDMA CB", k, i);
            cr_assert(eq(u8, fin(&frigs[k], 0x3F5), fpat(off)), "rig %u byte %u", k, i);
        }
    cr_assert(eq(int, FA->irq, FB->irq));
    uint8_t r[7];
    both_results(r, 7);
    cr_assert(eq(mem, bytes(r, 7), bytes(((uint8_t[]){ 0x40, 0x80, 0, 10, 0, 1, 2 }), 7)));
}

Test(sv_fdc, execution_phase_with_its_timer)
{
    fdc_up(FA, 0, SIZE_144);
    fdc_up(FB, 0, SIZE_144);
    fbring_up(FA);
    fdc_seek_to(FA, 2);
    fdma(FA, 0x20000, 1024);
    fdma(FB, 0x20000, 1024);
    FSEND(FA, 0x46, 0x00, 2, 0, 5, 2, 18, 0x1B, 0xFF);
    cr_assert(eq(int, FA->fdc.phase, FDC_PHASE_EXEC), "premise: waiting for the timer");
    cr_assert(not(eq(u64, FA->fdc.exec_timer.deadline, CLOCK_NEVER)));
    fdc_copy();
    cr_assert(eq(u64, FB->fdc.exec_timer.deadline, FA->fdc.exec_timer.deadline));
    cr_assert(eq(u64, clock_next_deadline(&FB->clk), FA->fdc.exec_timer.deadline),
              "B's clock knows the timer");
    frun(FA);
    frun(FB);
    uint8_t r[7];
    both_results(r, 7);
    cr_assert(eq(mem, bytes(r, 7), bytes(((uint8_t[]){ 0x00, 0, 0, 2, 0, 7, 2 }), 7)));
    cr_assert(eq(mem, bytes(FA->bus.ram + 0x20000, 1024), bytes(FB->bus.ram + 0x20000, 1024)));
    for (unsigned i = 0; i < 1024; i++)
        cr_assert(eq(u8, FB->bus.ram[0x20000 + i], fpat(chs_off(2, 0, 5) + i)), "byte %u", i);
}

Test(sv_fdc, seek_in_flight_and_half_sent_command)
{
    fdc_up(FA, 0, SIZE_144);
    fdc_up(FB, 0, SIZE_144);
    fbring_up(FA);
    FSEND(FA, 0x0F, 0x00, 40); /* SEEK to 40: its end waits for the seek timer */
    cr_assert(eq(u8, fin(FA, 0x3F4) & 0x01, 0x01), "premise: drive 0 seeking");
    FSEND(FA, 0x46, 0x00, 40, 0); /* the first 4 of a READ's 9 bytes */
    fdc_copy();
    expect_same_msr();
    cr_assert(not(eq(u64, FA->fdc.seek_timer.deadline, CLOCK_NEVER)));
    cr_assert(eq(u64, FB->fdc.seek_timer.deadline, FA->fdc.seek_timer.deadline));
    fdma(FA, 0x30000, 512);
    fdma(FB, 0x30000, 512);
    uint8_t r[7];
    for (unsigned k = 0; k < 2; k++) {
        FSEND(&frigs[k], 1, 2, 1, 0x1B, 0xFF);
        frun(&frigs[k]);
    }
    both_results(r, 7);
    cr_assert(eq(u8, r[0] & 0xC0, 0), "read on cylinder 40: normal termination");
    cr_assert(eq(mem, bytes(FB->bus.ram + 0x30000, 512), bytes(FA->bus.ram + 0x30000, 512)));
    cr_assert(eq(u8, FB->bus.ram[0x30000], fpat(chs_off(40, 0, 1))));
    for (unsigned k = 0; k < 2; k++)
        FSEND(&frigs[k], 0x08);
    both_results(r, 2);
    cr_assert(eq(u8, r[0], 0x20), "the seek's end sensed on both");
    cr_assert(eq(u8, r[1], 40));
}

/* ---- hostile streams ----------------------------------------------------- */

Test(sv_fdc, fifo_positions_beyond_their_buffers)
{
    fdc_up(FA, 0, SIZE_144);
    fdc_up(FB, 0, SIZE_144);
    fbring_up(FA);
    FSEND(FA, 0x4A, 0x00);
    frun(FA);
    uint8_t r[2];
    fresult(FA, r, 2);
    FA->fdc.res_pos = 12;
    fdc_expect_fail("result FIFO position is 12 (at most 7)");
    FA->fdc.res_pos = 7; /* the whole result read, still in the result phase */
    fdc_expect_fail("result phase without a result byte left");
    FA->fdc.res_pos = 2;
    FA->fdc.res_len = FDC_RES_MAX + 1;
    fdc_expect_fail("result length is 11 (at most 10)");
    FA->fdc.res_len = 7;
    FA->fdc.phase = (enum fdc_phase)3;
    fdc_expect_fail("phase is 3 (at most 2)");
    FA->fdc.phase = FDC_PHASE_RESULT;
    FA->fdc.cmd_pos = FDC_CMD_MAX + 1;
    fdc_expect_fail("command FIFO position is 10");
    FA->fdc.cmd_pos = 1; /* a partial command outside the command phase */
    fdc_expect_fail("partial command out of range");
    FA->fdc.cmd_pos = 0;
    FA->fdc.x.ds = 4;
    fdc_expect_fail("command drive select out of range");
    FA->fdc.x.ds = 0;
    FA->fdc.x.hd = 2;
    fdc_expect_fail("command head out of range");
    FA->fdc.x.hd = 0;
    FA->fdc.drive[0].cyl = 90;
    fdc_expect_fail("head position is 90 (at most 83)");
    FA->fdc.drive[0].cyl = 0;
    FA->fdc.exec_timer.deadline = FA->clk.now + 5;
    fdc_expect_fail("execution timer outside the execution phase");
    FA->fdc.exec_timer.deadline = CLOCK_NEVER;
    fdc_copy();
}

Test(sv_fdc, sector_buffer_position)
{
    fdc_up(FA, 0, SIZE_144);
    fdc_up(FB, 0, SIZE_144);
    fbring_up(FA);
    FSEND(FA, 0x03, 0xAF, 0x03);
    FSEND(FA, 0x45, 0x00, 0, 0, 18, 2, 18, 0x1B, 0xFF); /* a PIO write */
    frun(FA);
    for (unsigned i = 0; i < 100; i++)
        fout(FA, 0x3F5, (uint8_t)i);
    FA->fdc.buf_pos = 600;
    fdc_expect_fail("sector buffer position out of range");
    FA->fdc.buf_pos = 100;
    FA->fdc.buf_len = FDC_SECTOR_SIZE + 1;
    fdc_expect_fail("sector buffer length is 513 (at most 512)");
    FA->fdc.buf_len = FDC_SECTOR_SIZE;
    FA->fdc.x.sectors = 1000;
    fdc_expect_fail("sectors done is 1000 (at most 512)");
    FA->fdc.x.sectors = 0;
    fdc_copy();
    for (unsigned k = 0; k < 2; k++)
        for (unsigned i = 100; i < 512; i++)
            fout(&frigs[k], 0x3F5, (uint8_t)i);
    uint8_t r[7];
    both_results(r, 7);
    for (unsigned k = 0; k < 2; k++) {
        uint8_t got[512];
        cr_assert(eq(int, blockdev_read(&frigs[k].bd, chs_off(0, 0, 18), got, 512), 0));
        for (unsigned i = 0; i < 512; i++)
            cr_assert(eq(u8, got[i], (uint8_t)i), "rig %u byte %u of the written sector", k, i);
    }
}

Test(sv_fdc, other_drives_and_media)
{
    fdc_up(FA, 0, SIZE_144);
    fdc_up(FB, 4, SIZE_720);
    fdc_expect_fail("fdc: fda: saved with a 1.44M disk, this machine has a 720K disk");
    fdc_down(FB);
    fdc_up(FB, 4, 0);
    fdc_expect_fail("fda: saved with a 1.44M disk, this machine has no disk");
    fdc_down(FB);
    fdc_up(FB, 0, SIZE_720);
    fdc_expect_fail("fda: saved with a 1.44M 3.5\" drive (CMOS type 4), this machine has a 720K "
                    "3.5\" drive (type 3)");
    fdc_down(FB);
    fdc_up(FB, 0, SIZE_144);
    fdc_copy();
}

Test(sv_fdc, truncated_streams_and_versions)
{
    fdc_up(FA, 0, SIZE_144);
    fdc_up(FB, 0, SIZE_144);
    fbring_up(FA);
    struct sv_writer w;
    fdc_save_to(FA, &w);
    for (size_t len = 0; len < w.len; len++) {
        const char *err = fdc_try_load(FB, &w, len, FDC_SV_VERSION);
        cr_assert(not(eq(ptr, (void *)err, NULL)), "a stream cut at %zu loaded", len);
        cr_assert(not(eq(ptr, strstr(err, "truncated"), NULL)), "cut at %zu: %s", len, err);
    }
    const char *err = fdc_try_load(FB, &w, w.len, 0);
    cr_assert(not(eq(ptr, (void *)err, NULL)));
    cr_assert(eq(str, (char *)err, "fdc: version 0, this Popek reads 1"));
    cr_assert(eq(ptr, (void *)fdc_try_load(FB, &w, w.len, FDC_SV_VERSION), NULL));
    sv_writer_free(&w);
}

/* Where the sector buffer lies in fdc_save's stream (devices/fdc_sv.c), to
 * aim the damage at the fields around it.  Only a bias. */
#define SV_FDC_BUF 60

static void expect_fdc_bounds(const struct fdc *f)
{
    if (f->cmd_pos > FDC_CMD_MAX || f->cmd_len > FDC_CMD_MAX || f->res_len > FDC_RES_MAX ||
        f->res_pos > f->res_len || f->buf_len > FDC_SECTOR_SIZE || f->buf_pos > f->buf_len ||
        f->x.ds > 3 || f->phase > FDC_PHASE_RESULT)
        cr_assert(false, "out of bounds: cmd %u/%u res %u/%u buf %u/%u ds %u", f->cmd_pos,
                  f->cmd_len, f->res_pos, f->res_len, f->buf_pos, f->buf_len, f->x.ds);
}

Test(sv_fdc, random_damage_loads_safely_or_fails)
{
    fdc_up(FA, 0, SIZE_144);
    fdc_up(FB, 0, SIZE_144);
    fbring_up(FA);
    FSEND(FA, 0x03, 0xAF, 0x03);
    FSEND(FA, 0x46, 0x00, 0, 0, 3, 2, 18, 0x1B, 0xFF);
    frun(FA);
    for (unsigned i = 0; i < 10; i++)
        (void)fin(FA, 0x3F5);
    struct sv_writer good, bad;
    fdc_save_to(FA, &good);
    sv_writer_init(&bad);
    sv_put_bytes(&bad, good.buf, good.len);
    rng_state = 0xF10991u;
    unsigned loaded = 0, failed = 0;
    for (unsigned it = 0; it < 3000; it++) {
        memcpy(bad.buf, good.buf, good.len);
        unsigned flips = 1 + rng() % 3;
        for (unsigned f = 0; f < flips; f++) {
            size_t pos = rng() % bad.len;
            if (pos >= SV_FDC_BUF && pos < SV_FDC_BUF + FDC_SECTOR_SIZE && (rng() & 3))
                pos = (pos < SV_FDC_BUF + FDC_SECTOR_SIZE / 2)
                          ? rng() % SV_FDC_BUF
                          : (SV_FDC_BUF + FDC_SECTOR_SIZE + rng() % 200) % bad.len;
            bad.buf[pos] ^= (uint8_t)(1u << (rng() % 8));
        }
        FB->clk.now = FA->clk.now;
        const char *err = fdc_try_load(FB, &bad, bad.len, FDC_SV_VERSION);
        if (err) {
            failed++;
            cr_assert(eq(ptr, (void *)fdc_try_load(FB, &good, good.len, FDC_SV_VERSION), NULL));
            continue;
        }
        loaded++;
        expect_fdc_bounds(&FB->fdc);
        for (unsigned i = 0; i < 200; i++) {
            static const uint16_t ports[] = { 0x3F4, 0x3F5, 0x3F5, 0x3F5, 0x3F7 };
            uint16_t p = ports[rng() % 5];
            if (rng() & 1)
                (void)fin(FB, p);
            else if (p == 0x3F5)
                fout(FB, p, (uint8_t)rng());
            if (i % 50 == 0)
                clock_advance_to(&FB->clk, FB->clk.now + 20000);
        }
        expect_fdc_bounds(&FB->fdc);
        /* Back to the good state: B's clock and timers as A's. */
        FB->clk.now = FA->clk.now;
        cr_assert(eq(ptr, (void *)fdc_try_load(FB, &good, good.len, FDC_SV_VERSION), NULL));
    }
    cr_log_info("%u damaged streams loaded, %u failed", loaded, failed);
    cr_assert(gt(uint, failed, 100), "the damage should hit checked fields (%u failed)", failed);
    cr_assert(gt(uint, loaded, 100), "and often harmless ones (%u loaded)", loaded);
    sv_writer_free(&good);
    sv_writer_free(&bad);
}
