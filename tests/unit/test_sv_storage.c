/* Savestates of the IDE controller (devices/ide_sv.c) with an ATA disk and
 * an ATAPI CD-ROM drive: each is driven into a state in the middle of
 * something (a PIO read half transferred, a write half written, a DMA
 * command waiting for its start bit, an ATAPI DRQ block half read, an
 * ATAPI DMA waiting), saved, loaded into a second controller set up the
 * same way on its own bus, saved again (the bytes must be the same), and
 * then both carry on and must do the same thing.  Then the loader is
 * attacked: positions beyond their buffers, bad states, other media,
 * truncated streams and random damage must each fail with a message or
 * load into something that stays inside its buffers.  The floppy
 * controller's are in test_sv_fdc.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/ide.h"
#include "disks/blockdev.h"
#include "mem/sv.h"
#include "tests/unit/sv_fixture.h"

#define BM 0xC000
#define DISK_SECTORS 256
#define CD_BLOCKS 40

struct ide_rig {
    bool up;
    struct bus bus;
    struct pci_bus pb;
    struct ide ide;
    struct blockdev disk, cd;
    bool cd_open;
    char disk_path[64], cd_path[64];
    int irq[2];
};

static struct ide_rig rigs[2];
static struct ide_rig *const A = &rigs[0], *const B = &rigs[1];

static void ide_irq_cb(void *opaque, int n, bool level)
{
    struct ide_rig *g = opaque;
    g->irq[n] = level;
}

/* A controller with a disk of disk_sectors as hda and, when cd, a CD-ROM
 * drive as hdc (with a disc of cd_blocks, or empty with 0).  with_bar:
 * BAR4 at BM with I/O and bus mastering on, as firmware leaves it. */
static void ide_up(struct ide_rig *g, uint64_t disk_sectors, bool cd, uint32_t cd_blocks,
                   bool with_bar)
{
    memset(g, 0, sizeof(*g));
    cr_assert(eq(int, bus_init(&g->bus, 1u << 20), 0));
    cr_assert(eq(int, pci_init(&g->pb, &g->bus), 0));
    const struct irq_line irq[2] = { { ide_irq_cb, g, 0 }, { ide_irq_cb, g, 1 } };
    cr_assert(eq(int, ide_init(&g->ide, &g->bus, &g->pb, irq), 0));
    make_image(g->disk_path, disk_sectors * 512, 512);
    cr_assert(eq(int, blockdev_open(&g->disk, g->disk_path, BLOCKDEV_RAW, false), 0));
    cr_assert(eq(int, ide_attach_disk(&g->ide, 0, 0, &g->disk), 0));
    if (cd) {
        if (cd_blocks) {
            make_image(g->cd_path, (uint64_t)cd_blocks * 2048, 2048);
            cr_assert(eq(int, blockdev_open(&g->cd, g->cd_path, BLOCKDEV_RAW, true), 0));
            g->cd_open = true;
        }
        cr_assert(eq(int, ide_attach_cdrom(&g->ide, 1, 0, cd_blocks ? &g->cd : NULL), 0));
    }
    if (with_bar) {
        pci_config_write(&g->pb, 0, IDE_DEVFN, 0x20, BM | 1, 4);
        pci_config_write(&g->pb, 0, IDE_DEVFN, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MASTER,
                         2);
    }
    g->up = true;
}

static void ide_down(struct ide_rig *g)
{
    if (!g->up)
        return;
    blockdev_close(&g->disk);
    unlink(g->disk_path);
    if (g->cd_open) {
        blockdev_close(&g->cd);
        unlink(g->cd_path);
    }
    bus_free(&g->bus);
    g->up = false;
}

static void ide_suite_init(void)
{
    A->up = B->up = false;
}

static void ide_suite_fini(void)
{
    ide_down(A);
    ide_down(B);
}

TestSuite(sv_ide, .init = ide_suite_init, .fini = ide_suite_fini, .timeout = 60.0);

static uint8_t in8(struct ide_rig *g, uint16_t p)
{
    return (uint8_t)bus_in(&g->bus, p, 1);
}

static void out8(struct ide_rig *g, uint16_t p, uint8_t v)
{
    bus_out(&g->bus, p, v, 1);
}

static uint16_t in16(struct ide_rig *g, uint16_t p)
{
    return (uint16_t)bus_in(&g->bus, p, 2);
}

static void lba28(struct ide_rig *g, uint32_t lba, uint8_t count)
{
    out8(g, 0x1F2, count);
    out8(g, 0x1F3, (uint8_t)lba);
    out8(g, 0x1F4, (uint8_t)(lba >> 8));
    out8(g, 0x1F5, (uint8_t)(lba >> 16));
    out8(g, 0x1F6, (uint8_t)(0xE0 | ((lba >> 24) & 0x0F)));
}

static void read_bytes(struct ide_rig *g, uint16_t port, uint8_t *dst, unsigned n)
{
    for (unsigned i = 0; i < n; i += 2) {
        uint16_t w = in16(g, port);
        dst[i] = (uint8_t)w;
        dst[i + 1] = (uint8_t)(w >> 8);
    }
}

/* Every register a driver reads, side-effect free (alternate status). */
static void ide_regs(struct ide_rig *g, uint8_t out[16])
{
    for (unsigned i = 1; i < 7; i++) {
        out[i] = in8(g, (uint16_t)(0x1F0 + i));
        out[8 + i] = in8(g, (uint16_t)(0x170 + i));
    }
    out[0] = in8(g, 0x3F6);
    out[8] = in8(g, 0x376);
    out[7] = (uint8_t)g->irq[0];
    out[15] = (uint8_t)g->irq[1];
}

static void expect_same_ide_regs(void)
{
    uint8_t a[16], b[16];
    ide_regs(A, a);
    ide_regs(B, b);
    cr_assert(eq(mem, bytes(a, 16), bytes(b, 16)), "the two controllers' registers differ");
}

static void ide_save_to(struct ide_rig *g, struct sv_writer *w)
{
    sv_writer_init(w);
    ide_save(&g->ide, w);
    cr_assert(eq(int, w->failed, 0), "the save ran out of memory");
}

/* Loads len bytes of w into g; NULL if it loaded, else the message. */
static const char *ide_try_load(struct ide_rig *g, const struct sv_writer *w, size_t len,
                                unsigned version)
{
    static struct sv_reader r;
    sv_reader_init(&r, w->buf, len, "ide");
    ide_load(&g->ide, &r, version);
    if (!sv_ok(&r))
        return r.err;
    cr_assert(eq(sz, sv_left(&r), 0), "the load left bytes unread");
    ide_post_load(&g->ide);
    return NULL;
}

/* A's state into B, and B's save must be A's. */
static void ide_copy(void)
{
    struct sv_writer wa, wb;
    ide_save_to(A, &wa);
    const char *err = ide_try_load(B, &wa, wa.len, IDE_SV_VERSION);
    cr_assert(eq(ptr, (void *)err, NULL), "load failed: %s", err ? err : "");
    /* The interrupt controllers restore their own input levels: what B's
     * would have is A's. */
    memcpy(B->irq, A->irq, sizeof(B->irq));
    ide_save_to(B, &wb);
    expect_same_stream(&wa, &wb);
    sv_writer_free(&wa);
    sv_writer_free(&wb);
}

/* The load must fail, saying want (a part of the message). */
static void ide_expect_fail(const char *want)
{
    struct sv_writer w;
    ide_save_to(A, &w);
    const char *err = ide_try_load(B, &w, w.len, IDE_SV_VERSION);
    cr_assert(not(eq(ptr, (void *)err, NULL)), "a load that should fail (%s) succeeded", want);
    cr_assert(not(eq(ptr, strstr(err, want), NULL)), "message \"%s\" does not say \"%s\"", err,
              want);
    sv_writer_free(&w);
}

static void packet(struct ide_rig *g, const uint8_t cdb[12], uint16_t limit, bool dma)
{
    out8(g, 0x171, dma ? 1 : 0);
    out8(g, 0x174, (uint8_t)limit);
    out8(g, 0x175, (uint8_t)(limit >> 8));
    out8(g, 0x177, 0xA0);
    cr_assert(eq(u8, in8(g, 0x177) & 0x89, 0x08), "DRQ for the packet");
    for (int i = 0; i < 12; i += 2)
        bus_out(&g->bus, 0x170, (uint32_t)(cdb[i] | cdb[i + 1] << 8), 2);
}

/* A READ SECTORS of three sectors from sector 10, 256 bytes read. */
static void half_read(struct ide_rig *g, uint8_t *first)
{
    lba28(g, 10, 3);
    out8(g, 0x1F7, 0x20);
    read_bytes(g, 0x1F0, first, 256);
}

Test(sv_ide, pio_read_half_a_sector)
{
    ide_up(A, DISK_SECTORS, true, CD_BLOCKS, true);
    ide_up(B, DISK_SECTORS, true, CD_BLOCKS, true);
    uint8_t first[256];
    half_read(A, first);
    cr_assert(eq(u32, A->ide.ch[0].buf_pos, 256), "the test's premise: half the sector read");
    ide_copy();
    expect_same_ide_regs();
    uint8_t da[1536], db[1536];
    read_bytes(A, 0x1F0, da, 1536 - 256);
    read_bytes(B, 0x1F0, db, 1536 - 256);
    cr_assert(eq(mem, bytes(da, 1280), bytes(db, 1280)), "the rest of the data differs");
    for (unsigned i = 0; i < 1280; i++) {
        unsigned at = 256 + i;
        cr_assert(eq(u8, db[i], pattern(10 + at / 512, at % 512)), "byte %u of the read", at);
    }
    cr_assert(eq(u8, in8(B, 0x3F6), 0x50), "DRQ cleared after the last sector");
    expect_same_ide_regs();
}

Test(sv_ide, pio_write_multiple_half_a_block)
{
    ide_up(A, DISK_SECTORS, false, 0, true);
    ide_up(B, DISK_SECTORS, false, 0, true);
    out8(A, 0x1F2, 4);
    out8(A, 0x1F7, 0xC6); /* SET MULTIPLE MODE: 4 sectors a block */
    (void)in8(A, 0x1F7);
    lba28(A, 20, 8);
    out8(A, 0x1F7, 0xC5); /* WRITE MULTIPLE */
    uint8_t data[8 * 512];
    for (unsigned i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 13 + 5);
    for (unsigned i = 0; i < 1000; i += 2)
        bus_out(&A->bus, 0x1F0, (uint32_t)(data[i] | data[i + 1] << 8), 2);
    ide_copy();
    cr_assert(eq(u8, B->ide.ch[0].dev[0].multiple, 4));
    for (unsigned k = 0; k < 2; k++) {
        struct ide_rig *g = &rigs[k];
        for (unsigned i = 1000; i < sizeof(data); i += 2) {
            if (i == 2048)
                cr_assert(eq(u8, in8(g, 0x1F7), 0x58), "the second block's DRQ");
            bus_out(&g->bus, 0x1F0, (uint32_t)(data[i] | data[i + 1] << 8), 2);
        }
        cr_assert(eq(u8, in8(g, 0x1F7), 0x50), "rig %u: the write completed", k);
        uint8_t got[sizeof(data)];
        cr_assert(eq(int, blockdev_read(&g->disk, 20 * 512, got, sizeof(got)), 0));
        cr_assert(eq(mem, bytes(got, sizeof(got)), bytes(data, sizeof(data))),
                  "rig %u: the disk holds other data", k);
    }
    expect_same_ide_regs();
}

/* B's BAR4 is not programmed: after the load the bus-master registers must
 * decode where A's header puts them. */
Test(sv_ide, dma_waiting_for_its_start_bit)
{
    ide_up(A, DISK_SECTORS, false, 0, true);
    ide_up(B, DISK_SECTORS, false, 0, false);
    cr_assert(eq(u8, (uint8_t)bus_in(&B->bus, BM + 4, 1), 0xFF), "premise: no BAR in B");
    for (unsigned k = 0; k < 2; k++) { /* the PRD table is RAM: the machine's */
        bus_write(&rigs[k].bus, 0x8000, 0x10000, 4);
        bus_write(&rigs[k].bus, 0x8004, 0x80000000u | 1024, 4);
    }
    bus_out(&A->bus, BM + 4, 0x8000, 4);
    bus_out(&A->bus, BM, 0x08, 1); /* to memory, not started */
    lba28(A, 5, 2);
    out8(A, 0x1F7, 0xC8);          /* READ DMA */
    ide_copy();
    cr_assert(eq(u32, B->ide.bm_base, BM), "post-load moved the bus-master ports");
    cr_assert(eq(u32, (uint32_t)bus_in(&B->bus, BM + 4, 4), 0x8000), "the PRD pointer");
    for (unsigned k = 0; k < 2; k++) {
        struct ide_rig *g = &rigs[k];
        bus_out(&g->bus, BM, 0x09, 1);
        cr_assert(eq(u8, (uint8_t)bus_in(&g->bus, BM + 2, 1) & 0x07, 0x04), "rig %u", k);
        cr_assert(eq(u8, in8(g, 0x1F7), 0x50));
        for (unsigned i = 0; i < 1024; i++)
            cr_assert(eq(u8, g->bus.ram[0x10000 + i], pattern(5 + i / 512, i % 512)),
                      "rig %u byte %u", k, i);
    }
    expect_same_ide_regs();
}

/* READ(10) of blocks 3-4 in 2048-byte DRQ blocks, 1000 bytes of the first
 * read; the unit attention sense of the first command is pending too. */
static void atapi_half_block(struct ide_rig *g)
{
    const uint8_t inq[12] = { 0x12, 0, 0, 0, 36 };
    packet(g, inq, 36, false); /* INQUIRY: does not report the unit attention */
    uint8_t junk[36];
    read_bytes(g, 0x170, junk, 36);
    const uint8_t rd[12] = { 0x28, 0, 0, 0, 0, 3, 0, 0, 2 };
    const uint8_t tur[12] = { 0x00 };
    packet(g, tur, 0, false); /* reports it: sense UNIT ATTENTION */
    cr_assert(eq(u8, in8(g, 0x177) & 0x01, 0x01));
    packet(g, rd, 2048, false);
    uint8_t first[1000];
    read_bytes(g, 0x170, first, 1000);
}

Test(sv_ide, atapi_read_half_a_drq_block)
{
    ide_up(A, DISK_SECTORS, true, CD_BLOCKS, true);
    ide_up(B, DISK_SECTORS, true, CD_BLOCKS, true);
    atapi_half_block(A);
    ide_copy();
    expect_same_ide_regs();
    for (unsigned k = 0; k < 2; k++) {
        struct ide_rig *g = &rigs[k];
        uint8_t rest[4096 - 1000];
        read_bytes(g, 0x170, rest, 1048);
        cr_assert(eq(u8, in8(g, 0x172) & 3, 2), "rig %u: the second DRQ block", k);
        read_bytes(g, 0x170, rest + 1048, 2048);
        for (unsigned i = 0; i < sizeof(rest); i++) {
            unsigned at = 1000 + i;
            cr_assert(eq(u8, rest[i], pattern(3 + at / 2048, at % 2048)), "rig %u byte %u", k, at);
        }
        cr_assert(eq(u8, in8(g, 0x172) & 3, 3), "rig %u: the status phase", k);
        cr_assert(eq(u8, in8(g, 0x177), 0x50));
        /* The sense of the TEST UNIT READY came along. */
        const uint8_t rs[12] = { 0x03, 0, 0, 0, 18 };
        packet(g, rs, 18, false);
        uint8_t sense[18];
        read_bytes(g, 0x170, sense, 18);
        cr_assert(eq(u8, sense[2], 0x06), "rig %u: UNIT ATTENTION", k);
        cr_assert(eq(u8, sense[12], 0x28), "rig %u: medium changed", k);
    }
    expect_same_ide_regs();
}

Test(sv_ide, atapi_dma_waiting_for_its_start_bit)
{
    ide_up(A, DISK_SECTORS, true, CD_BLOCKS, true);
    ide_up(B, DISK_SECTORS, true, CD_BLOCKS, true);
    const uint8_t tur[12] = { 0x00 };
    packet(A, tur, 0, false); /* the unit attention, out of the way */
    for (unsigned k = 0; k < 2; k++) {
        bus_write(&rigs[k].bus, 0x1000, 0x20000, 4);
        bus_write(&rigs[k].bus, 0x1004, 0x80000000u | 6144, 4);
    }
    bus_out(&A->bus, BM + 8 + 4, 0x1000, 4);
    bus_out(&A->bus, BM + 8, 0x08, 1);
    const uint8_t rd[12] = { 0x28, 0, 0, 0, 0, 30, 0, 0, 3 };
    packet(A, rd, 0xFFFF, true);
    cr_assert(eq(int, A->ide.ch[1].xfer, IDE_XFER_ATAPI_DMA), "premise: waiting for the engine");
    ide_copy();
    for (unsigned k = 0; k < 2; k++) {
        struct ide_rig *g = &rigs[k];
        bus_out(&g->bus, BM + 8, 0x09, 1);
        cr_assert(eq(u8, (uint8_t)bus_in(&g->bus, BM + 8 + 2, 1) & 0x07, 0x04), "rig %u", k);
        cr_assert(eq(u8, in8(g, 0x376), 0x50));
        for (unsigned i = 0; i < 6144; i++)
            cr_assert(eq(u8, g->bus.ram[0x20000 + i], pattern(30 + i / 2048, i % 2048)),
                      "rig %u byte %u", k, i);
    }
    expect_same_ide_regs();
}

/* ---- hostile streams ----------------------------------------------------- */

Test(sv_ide, buffer_position_beyond_the_buffer)
{
    ide_up(A, DISK_SECTORS, false, 0, true);
    ide_up(B, DISK_SECTORS, false, 0, true);
    uint8_t first[256];
    half_read(A, first);
    A->ide.ch[0].buf_pos = IDE_BUF_SIZE + 2;
    ide_expect_fail("data buffer position out of range");
    A->ide.ch[0].buf_pos = 513; /* inside buf, past this block */
    ide_expect_fail("data buffer position out of range");
    A->ide.ch[0].buf_pos = 256;
    A->ide.ch[0].buf_len = IDE_BUF_SIZE + 4;
    ide_expect_fail("data buffer length is 8196 (at most 8192)");
    A->ide.ch[0].buf_len = 2048; /* not the block's 512 */
    ide_expect_fail("PIO block out of range");
    A->ide.ch[0].buf_len = 512;
    A->ide.ch[0].block = IDE_MAX_MULTIPLE + 1;
    ide_expect_fail("sectors in the DRQ block is 17 (at most 16)");
    A->ide.ch[0].block = 1;
    A->ide.ch[0].remaining = 70000;
    ide_expect_fail("sectors remaining is 70000");
    A->ide.ch[0].remaining = 3;
    A->ide.ch[0].lba = DISK_SECTORS - 1;
    ide_expect_fail("past the end of the disk");
    A->ide.ch[0].lba = 10;
    ide_copy(); /* repaired: it loads again */
}

Test(sv_ide, bad_states)
{
    ide_up(A, DISK_SECTORS, true, CD_BLOCKS, true);
    ide_up(B, DISK_SECTORS, true, CD_BLOCKS, true);
    uint8_t first[256];
    half_read(A, first);
    A->ide.ch[0].xfer = (enum ide_xfer)8;
    ide_expect_fail("transfer state is 8 (at most 7)");
    /* A PIO write on the absent slave would write through a NULL disk. */
    A->ide.ch[0].xfer = IDE_XFER_PIO_OUT;
    A->ide.ch[0].select = 0xB0;
    ide_expect_fail("disk transfer without a disk");
    A->ide.ch[0].select = 0xE0;
    A->ide.ch[0].xfer = IDE_XFER_ATAPI_IN; /* on the disk */
    ide_expect_fail("ATAPI data without a packet device");
    A->ide.ch[0].xfer = IDE_XFER_PIO_IN;
    A->ide.ch[0].dev[0].multiple = 3;
    ide_expect_fail("multiple count (a power of two) out of range");
    A->ide.ch[0].dev[0].multiple = 32;
    ide_expect_fail("multiple count is 32 (at most 16)");
    A->ide.ch[0].dev[0].multiple = 0;
    A->ide.ch[0].bm_prd = 0x8002;
    ide_expect_fail("PRD table address");
    A->ide.ch[0].bm_prd = 0x8000;
    A->ide.ch[1].dev[0].cd.sense_key = 0x10;
    ide_expect_fail("sense key is 16 (at most 15)");
    A->ide.ch[1].dev[0].cd.sense_key = 0;
    A->ide.pci.config[0] ^= 1; /* the vendor ID is not writable */
    ide_expect_fail("PCI configuration byte 00h is 87h, this machine's is 86h");
    A->ide.pci.config[0] ^= 1;
    ide_copy();
}

Test(sv_ide, atapi_positions)
{
    ide_up(A, DISK_SECTORS, true, CD_BLOCKS, true);
    ide_up(B, DISK_SECTORS, true, CD_BLOCKS, true);
    atapi_half_block(A);
    struct ide_channel *ch = &A->ide.ch[1];
    ch->ap_lba = CD_BLOCKS + 1;
    ide_expect_fail("ATAPI read block out of range");
    ch->ap_lba = CD_BLOCKS; /* the second block would be past the disc */
    ide_expect_fail("ATAPI read bytes left out of range");
    ch->ap_lba = 4;
    ch->ap_sect_pos = ATAPI_BLOCK + 1;
    ide_expect_fail("ATAPI block position is 2049 (at most 2048)");
    ch->ap_sect_pos = ATAPI_BLOCK;
    ch->ap_block_len = 4000;
    ide_expect_fail("ATAPI DRQ block out of range");
    ch->ap_block_len = 2048;
    ide_copy();

    /* A reply (INQUIRY in 16-byte blocks): its source is req.reply. */
    ide_down(A);
    ide_up(A, DISK_SECTORS, true, CD_BLOCKS, true);
    const uint8_t inq[12] = { 0x12, 0, 0, 0, 36 };
    packet(A, inq, 16, false);
    ch = &A->ide.ch[1];
    cr_assert(eq(u32, ch->ap_pos, 16), "premise: one 16-byte block taken from the reply");
    ch->ap_left += 1000;
    ide_expect_fail("ATAPI reply bytes left out of range");
    ch->ap_left -= 1000;
    ch->req.reply_len = ATAPI_REPLY_MAX + 1;
    ide_expect_fail("ATAPI reply length is 513 (at most 512)");
    ch->req.reply_len = 36;
    ch->ap_pos = 37;
    ide_expect_fail("ATAPI reply position out of range");
    ch->ap_pos = ATAPI_REPLY_MAX + 1;
    ide_expect_fail("ATAPI reply position is 513 (at most 512)");
}

Test(sv_ide, other_media)
{
    ide_up(A, DISK_SECTORS, true, CD_BLOCKS, true);
    ide_up(B, 2 * DISK_SECTORS, true, CD_BLOCKS, true);
    ide_expect_fail("ide: hda: saved with a 128 KiB disk (256 sectors), this machine has a "
                    "256 KiB disk (512 sectors)");
    ide_down(A);
    ide_down(B);
    ide_up(A, 40960, true, CD_BLOCKS, true);
    ide_up(B, 20480, true, CD_BLOCKS, true);
    ide_expect_fail("hda: saved with a 20 MiB disk (40960 sectors), this machine has a 10 MiB "
                    "disk (20480 sectors)");
    ide_down(B);
    ide_up(B, 40960, true, 0, true);
    ide_expect_fail("hdc: saved with a CD-ROM drive with a 80 KiB disc (40 blocks), this "
                    "machine has an empty CD-ROM drive");
    ide_down(B);
    ide_up(B, 40960, false, 0, true);
    ide_expect_fail("hdc: saved with a CD-ROM drive with a 80 KiB disc (40 blocks), this "
                    "machine has no drive");
    ide_down(B);
    ide_up(B, 40960, true, CD_BLOCKS + 1, true);
    ide_expect_fail("this machine has a CD-ROM drive with a 82 KiB disc (41 blocks)");
    ide_down(B);
    ide_up(B, 40960, true, CD_BLOCKS, true);
    ide_copy();
}

Test(sv_ide, truncated_streams_and_versions)
{
    ide_up(A, DISK_SECTORS, true, CD_BLOCKS, true);
    ide_up(B, DISK_SECTORS, true, CD_BLOCKS, true);
    uint8_t first[256];
    half_read(A, first);
    struct sv_writer w;
    ide_save_to(A, &w);
    for (size_t len = 0; len < w.len; len += len < 400 ? 1 : 97) {
        const char *err = ide_try_load(B, &w, len, IDE_SV_VERSION);
        cr_assert(not(eq(ptr, (void *)err, NULL)), "a stream cut at %zu loaded", len);
        cr_assert(not(eq(ptr, strstr(err, "truncated"), NULL)), "cut at %zu: %s", len, err);
    }
    const char *err = ide_try_load(B, &w, w.len - 1, IDE_SV_VERSION);
    cr_assert(not(eq(ptr, (void *)err, NULL)));
    err = ide_try_load(B, &w, w.len, IDE_SV_VERSION + 1);
    cr_assert(not(eq(ptr, (void *)err, NULL)));
    cr_assert(eq(str, (char *)err, "ide: version 2, this Popek reads 1"));
    cr_assert(eq(ptr, (void *)ide_try_load(B, &w, w.len, IDE_SV_VERSION), NULL));
    sv_writer_free(&w);
}

/* Where the small fields lie in ide_save's stream (devices/ide_sv.c): the
 * media and PCI header, then per channel the registers before buf and the
 * ATAPI fields between the buffers.  Only a bias for the damage below: if
 * the layout moves, the test still runs, less pointedly. */
#define SV_IDE_HEAD (4 * 14 + 1 + 256 + 16)
#define SV_IDE_CH_REGS 57
#define SV_IDE_CH (SV_IDE_CH_REGS + IDE_BUF_SIZE + 8 + 12 + ATAPI_REPLY_MAX + 12 + 28 + \
                   ATAPI_BLOCK + 6)

static size_t ide_damage_pos(size_t len)
{
    if (rng() & 1)
        return rng() % len;
    size_t ch = SV_IDE_HEAD + (rng() & 1) * SV_IDE_CH;
    switch (rng() % 3) {
    case 0:
        return rng() % SV_IDE_HEAD % len;
    case 1:
        return (ch + rng() % SV_IDE_CH_REGS) % len;
    default: /* buf_pos, buf_len, the packet, the ATAPI request and data phase */
        return (ch + SV_IDE_CH_REGS + IDE_BUF_SIZE + rng() % (8 + 12 + 40 + ATAPI_REPLY_MAX)) %
               len;
    }
}

static void expect_ide_bounds(const struct ide *ide)
{
    for (unsigned c = 0; c < IDE_CHANNELS; c++) {
        const struct ide_channel *ch = &ide->ch[c];
        if (ch->buf_pos > ch->buf_len || ch->buf_len > IDE_BUF_SIZE ||
            ch->block > IDE_MAX_MULTIPLE ||
            ch->req.reply_len > ATAPI_REPLY_MAX || ch->ap_pos > ATAPI_REPLY_MAX ||
            ch->ap_sect_pos > ATAPI_BLOCK || ch->xfer > IDE_XFER_ATAPI_DMA)
            cr_assert(false, "channel %u out of bounds: buf %u/%u block %u reply %u/%u sect %u", c,
                      ch->buf_pos, ch->buf_len, ch->block, ch->ap_pos, ch->req.reply_len,
                      ch->ap_sect_pos);
        for (unsigned u = 0; u < 2; u++)
            if (ch->dev[u].multiple > IDE_MAX_MULTIPLE)
                cr_assert(false, "channel %u device %u: multiple %u", c, u, ch->dev[u].multiple);
    }
}

/* Damaged streams: each loads and then runs inside its buffers, or fails
 * with a message (after which the previous state is loaded back, as the
 * machine rolls back). */
Test(sv_ide, random_damage_loads_safely_or_fails)
{
    ide_up(A, DISK_SECTORS, true, CD_BLOCKS, true);
    ide_up(B, DISK_SECTORS, true, CD_BLOCKS, true);
    uint8_t first[256];
    half_read(A, first);
    atapi_half_block(A);
    for (unsigned k = 0; k < 2; k++) { /* a PRD table at 0 for damaged DMA states */
        bus_write(&rigs[k].bus, 0, 0x40000, 4);
        bus_write(&rigs[k].bus, 4, 0x80000000u | 4096, 4);
    }
    struct sv_writer good, bad;
    ide_save_to(A, &good);
    sv_writer_init(&bad);
    sv_put_bytes(&bad, good.buf, good.len);
    rng_state = 0x1DE5A7Eu;
    unsigned loaded = 0, failed = 0;
    for (unsigned it = 0; it < 1500; it++) {
        memcpy(bad.buf, good.buf, good.len);
        unsigned flips = 1 + rng() % 3;
        for (unsigned f = 0; f < flips; f++)
            bad.buf[ide_damage_pos(bad.len)] ^= (uint8_t)(1u << (rng() % 8));
        const char *err = ide_try_load(B, &bad, bad.len, IDE_SV_VERSION);
        if (err) {
            cr_assert(ne(sz, strlen(err), 0));
            failed++;
            err = ide_try_load(B, &good, good.len, IDE_SV_VERSION);
            cr_assert(eq(ptr, (void *)err, NULL), "rolling back: %s", err ? err : "");
            continue;
        }
        loaded++;
        expect_ide_bounds(&B->ide);
        /* Drive it: the data ports both ways, the status, the DMA engines. */
        for (unsigned i = 0; i < 300; i++) {
            uint16_t base = (rng() & 1) ? 0x1F0 : 0x170;
            switch (rng() % 6) {
            case 0:
            case 1:
                (void)in16(B, base);
                break;
            case 2:
                bus_out(&B->bus, base, rng(), 2);
                break;
            case 3:
                (void)in8(B, (uint16_t)(base + 7));
                break;
            case 4:
                bus_out(&B->bus, (uint16_t)(BM + (base == 0x170 ? 8 : 0)), rng() & 0x09, 1);
                break;
            default:
                (void)bus_in(&B->bus, base, 4);
                break;
            }
        }
        expect_ide_bounds(&B->ide);
        cr_assert(eq(ptr, (void *)ide_try_load(B, &good, good.len, IDE_SV_VERSION), NULL));
    }
    cr_log_info("%u damaged streams loaded, %u failed", loaded, failed);
    cr_assert(gt(uint, failed, 50), "the damage should hit checked fields (%u failed)", failed);
    cr_assert(gt(uint, loaded, 50), "and often harmless ones (%u loaded)", loaded);
    sv_writer_free(&good);
    sv_writer_free(&bad);
}

