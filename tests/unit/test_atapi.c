/* Unit tests for the ATAPI CD-ROM: devices/atapi.c's command set (SPC,
 * MMC-2) and its transport in devices/ide_atapi.c (SFF-8020i's PACKET
 * protocol: the packet phase, interrupt reason, byte count limit, DRQ
 * blocks, the status phase, sense data in the error register, DMA). */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/atapi.h"
#include "devices/ide.h"
#include "disks/blockdev.h"
#include "tests/unit/unit.h"

#define BLOCKS 40

/* ---- the command set alone ---------------------------------------------- */

static struct atapi_state st;
static struct atapi_request rq;

static void fresh(void)
{
    memset(&st, 0, sizeof(st));
    atapi_reset(&st);
    atapi_set_medium(&st, true, BLOCKS);
}

static enum atapi_result cmd(uint8_t c0, uint8_t c1, uint8_t c2, uint32_t be_2_5, uint16_t be_7_8, uint8_t c4)
{
    uint8_t cdb[12] = { c0, c1, c2 };
    cdb[2] = c2;
    if (be_2_5) {
        cdb[2] = (uint8_t)(be_2_5 >> 24);
        cdb[3] = (uint8_t)(be_2_5 >> 16);
        cdb[4] = (uint8_t)(be_2_5 >> 8);
        cdb[5] = (uint8_t)be_2_5;
    }
    if (c4)
        cdb[4] = c4;
    cdb[7] = (uint8_t)(be_7_8 >> 8);
    cdb[8] = (uint8_t)be_7_8;
    return atapi_command(&st, cdb, &rq);
}

Test(atapi, unit_attention_once_then_ready)
{
    fresh();
    cr_assert(eq(int, cmd(0x00, 0, 0, 0, 0, 0), ATAPI_ERROR), "a new disc: unit attention");
    cr_assert(eq(u8, st.sense_key, SENSE_UNIT_ATTENTION));
    cr_assert(eq(u8, st.asc, ASC_MEDIUM_CHANGED));
    cr_assert(eq(int, cmd(0x03, 0, 0, 0, 0, 18), ATAPI_REPLY));
    cr_assert(eq(u8, rq.reply[0], 0x70));
    cr_assert(eq(u8, rq.reply[2], SENSE_UNIT_ATTENTION));
    cr_assert(eq(u8, rq.reply[12], ASC_MEDIUM_CHANGED));
    cr_assert(eq(int, cmd(0x00, 0, 0, 0, 0, 0), ATAPI_DONE), "reported once");
    cr_assert(eq(int, cmd(0x03, 0, 0, 0, 0, 18), ATAPI_REPLY));
    cr_assert(eq(u8, rq.reply[2], SENSE_NONE));
}

Test(atapi, inquiry_capacity_and_reads)
{
    fresh();
    st.unit_attention = false;
    cr_assert(eq(int, cmd(0x12, 0, 0, 0, 0, 36), ATAPI_REPLY));
    cr_assert(eq(u32, rq.reply_len, 36));
    cr_assert(eq(u8, rq.reply[0], 0x05), "peripheral type: CD/DVD");
    cr_assert(eq(u8, rq.reply[1], 0x80), "removable");
    cr_assert(eq(int, cmd(0x12, 0, 0, 0, 0, 5), ATAPI_REPLY));
    cr_assert(eq(u32, rq.reply_len, 5), "allocation length cuts the reply");
    cr_assert(eq(int, cmd(0x25, 0, 0, 0, 0, 0), ATAPI_REPLY));
    cr_assert(eq(u8, rq.reply[3], BLOCKS - 1), "last block");
    cr_assert(eq(u8, rq.reply[6], 0x08), "2048-byte blocks");
    cr_assert(eq(int, cmd(0x28, 0, 0, 10, 3, 0), ATAPI_READ));
    cr_assert(eq(u32, rq.lba, 10));
    cr_assert(eq(u32, rq.count, 3));
    cr_assert(eq(int, cmd(0x28, 0, 0, BLOCKS - 1, 2, 0), ATAPI_ERROR), "past the end");
    cr_assert(eq(u8, st.asc, ASC_LBA_OUT_OF_RANGE));
    cr_assert(eq(int, cmd(0xFF, 0, 0, 0, 0, 0), ATAPI_ERROR));
    cr_assert(eq(u8, st.sense_key, SENSE_ILLEGAL_REQUEST));
    cr_assert(eq(u8, st.asc, ASC_INVALID_OPCODE));
}

Test(atapi, toc_mode_sense_configuration_events)
{
    fresh();
    st.unit_attention = false;
    cr_assert(eq(int, cmd(0x43, 0, 0, 0, 100, 0), ATAPI_REPLY));
    cr_assert(eq(u32, rq.reply_len, 20), "header, track 1, lead-out");
    cr_assert(eq(u8, rq.reply[1], 18), "TOC data length");
    cr_assert(eq(u8, rq.reply[6], 1), "track 1");
    cr_assert(eq(u8, rq.reply[14], 0xAA), "lead-out");
    cr_assert(eq(u8, rq.reply[19], BLOCKS), "lead-out at the capacity");
    /* MSF: the lead-out at block 40 is 00:02:40 (150 frames of lead-in). */
    cr_assert(eq(int, cmd(0x43, 0x02, 0, 0, 100, 0), ATAPI_REPLY));
    cr_assert(eq(u8, rq.reply[17], 0));
    cr_assert(eq(u8, rq.reply[18], 2));
    cr_assert(eq(u8, rq.reply[19], 40));
    cr_assert(eq(int, cmd(0x5A, 0, 0x2A, 0, 64, 0), ATAPI_REPLY));
    cr_assert(eq(u8, rq.reply[8], 0x2A), "capabilities page");
    cr_assert(eq(u8, rq.reply[9], 0x12));
    cr_assert(eq(int, cmd(0x5A, 0, 0x05, 0, 64, 0), ATAPI_ERROR), "no such page");
    cr_assert(eq(int, cmd(0x46, 0, 0, 0, 64, 0), ATAPI_REPLY));
    cr_assert(eq(u8, rq.reply[7], 0x08), "current profile: CD-ROM");
    cr_assert(eq(int, cmd(0x4A, 0x00, 0, 0, 8, 0), ATAPI_ERROR), "asynchronous events: not supported");
    cr_assert(eq(int, cmd(0x4A, 0x01, 0, 0, 8, 0), ATAPI_REPLY));
    cr_assert(eq(u8, rq.reply[5], 0x02), "media present");
    atapi_set_medium(&st, false, 0);
    st.unit_attention = false;
    cr_assert(eq(int, cmd(0x00, 0, 0, 0, 0, 0), ATAPI_ERROR));
    cr_assert(eq(u8, st.sense_key, SENSE_NOT_READY));
    cr_assert(eq(u8, st.asc, ASC_MEDIUM_NOT_PRESENT));
}

/* ---- the transport ------------------------------------------------------- */

static struct bus bus;
static struct pci_bus pb;
static struct ide ide;
static struct blockdev bd;
static char path[64];
static int irq15;

static void irq_cb(void *opaque, int n, bool level)
{
    (void)opaque;
    if (n == 1)
        irq15 = level;
}

static uint8_t pattern(unsigned blk, unsigned i)
{
    return (uint8_t)(blk * 13 + i / 7);
}

static void setup(void)
{
    cr_assert(eq(int, bus_init(&bus, 1u << 20), 0));
    cr_assert(eq(int, pci_init(&pb, &bus), 0));
    strcpy(path, "/tmp/popek-cd-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(ge(int, fd, 0));
    static uint8_t img[BLOCKS * 2048];
    for (unsigned b = 0; b < BLOCKS; b++)
        for (unsigned i = 0; i < 2048; i++)
            img[b * 2048 + i] = pattern(b, i);
    cr_assert(eq(long, (long)write(fd, img, sizeof(img)), (long)sizeof(img)));
    close(fd);
    cr_assert(eq(int, blockdev_open(&bd, path, BLOCKDEV_RAW, true), 0));
    const struct irq_line irq[2] = { { irq_cb, NULL, 0 }, { irq_cb, NULL, 1 } };
    cr_assert(eq(int, ide_init(&ide, &bus, &pb, irq), 0));
    cr_assert(eq(int, ide_attach_cdrom(&ide, 1, 0, &bd), 0));
    pci_config_write(&pb, 0, IDE_DEVFN, 0x20, 0xC001, 4);
    pci_config_write(&pb, 0, IDE_DEVFN, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MASTER, 2);
}

static void teardown(void)
{
    blockdev_close(&bd);
    unlink(path);
    bus_free(&bus);
}

static uint8_t in8(uint16_t p)
{
    return (uint8_t)bus_in(&bus, p, 1);
}

static void out8(uint16_t p, uint8_t v)
{
    bus_out(&bus, p, v, 1);
}

static void packet(const uint8_t cdb[12], uint16_t limit, bool dma)
{
    out8(0x171, dma ? 1 : 0);
    out8(0x174, (uint8_t)limit);
    out8(0x175, (uint8_t)(limit >> 8));
    out8(0x177, 0xA0);
    cr_assert(eq(u8, in8(0x177) & 0x89, 0x08), "DRQ for the packet");
    cr_assert(eq(u8, in8(0x172) & 3, 1), "interrupt reason: C/D, to the device");
    for (int i = 0; i < 12; i += 2)
        bus_out(&bus, 0x170, (uint32_t)(cdb[i] | cdb[i + 1] << 8), 2);
}

TestSuite(atapi_ide, .init = setup, .fini = teardown, .timeout = 10.0);

Test(atapi_ide, signature_identify_and_sense_in_error)
{
    cr_assert(eq(u8, in8(0x174), 0x14));
    cr_assert(eq(u8, in8(0x175), 0xEB), "the packet device signature");
    out8(0x177, 0xEC);
    cr_assert(eq(u8, in8(0x177) & 1, 1), "IDENTIFY DEVICE aborts on a packet device");
    cr_assert(eq(u8, in8(0x175), 0xEB), "leaving the signature");
    out8(0x177, 0xA1);
    uint16_t w0 = (uint16_t)bus_in(&bus, 0x170, 2);
    cr_assert(eq(u16, w0, 0x85C0), "ATAPI CD-ROM, removable, 12-byte packets");
    for (int i = 1; i < 256; i++)
        bus_in(&bus, 0x170, 2);
    cr_assert(eq(u8, in8(0x177), 0x50));
    /* The first packet meets the unit attention: CHECK CONDITION. */
    const uint8_t tur[12] = { 0x00 };
    packet(tur, 0, false);
    cr_assert(eq(int, irq15, 1));
    cr_assert(eq(u8, in8(0x177) & 0x01, 0x01));
    cr_assert(eq(u8, in8(0x171) >> 4, SENSE_UNIT_ATTENTION), "sense key in the error register");
    cr_assert(eq(u8, in8(0x172) & 3, 3), "status phase");
    packet(tur, 0, false);
    cr_assert(eq(u8, in8(0x177), 0x50));
}

Test(atapi_ide, pio_read_in_drq_blocks_of_the_limit)
{
    const uint8_t tur[12] = { 0x00 };
    packet(tur, 0, false);
    (void)in8(0x177);
    const uint8_t rd[12] = { 0x28, 0, 0, 0, 0, 5, 0, 0, 2 }; /* READ(10) blocks 5-6 */
    packet(rd, 2048, false);
    uint8_t buf[4096];
    for (unsigned blk = 0; blk < 2; blk++) {
        cr_assert(eq(int, irq15, 1), "an interrupt per DRQ block");
        cr_assert(eq(u8, in8(0x177) & 0x89, 0x08));
        cr_assert(eq(u8, in8(0x172) & 3, 2), "interrupt reason: I/O, data to the host");
        cr_assert(eq(u32, (uint32_t)in8(0x174) | (uint32_t)in8(0x175) << 8, 2048), "byte count");
        for (unsigned i = 0; i < 2048; i += 2) {
            uint16_t w = (uint16_t)bus_in(&bus, 0x170, 2);
            buf[blk * 2048 + i] = (uint8_t)w;
            buf[blk * 2048 + i + 1] = (uint8_t)(w >> 8);
        }
    }
    for (unsigned i = 0; i < 4096; i++)
        cr_assert(eq(u8, buf[i], pattern(5 + i / 2048, i % 2048)));
    cr_assert(eq(u8, in8(0x172) & 3, 3));
    cr_assert(eq(u8, in8(0x177), 0x50));
    /* A small limit: 1000-byte blocks. */
    const uint8_t inq[12] = { 0x12, 0, 0, 0, 36 };
    packet(inq, 10, false);
    cr_assert(eq(u32, (uint32_t)in8(0x174), 10));
}

Test(atapi_ide, dma_read)
{
    const uint8_t tur[12] = { 0x00 };
    packet(tur, 0, false);
    (void)in8(0x177);
    bus_write(&bus, 0x1000, 0x20000, 4);
    bus_write(&bus, 0x1004, 0x80000000u | 4096, 4);
    bus_out(&bus, 0xC008 + 4, 0x1000, 4);
    bus_out(&bus, 0xC008, 0x08, 1);
    const uint8_t rd[12] = { 0x28, 0, 0, 0, 0, 30, 0, 0, 2 };
    packet(rd, 0xFFFF, true);
    bus_out(&bus, 0xC008, 0x09, 1);
    cr_assert(eq(u8, (uint8_t)bus_in(&bus, 0xC008 + 2, 1) & 0x07, 0x04));
    cr_assert(eq(u8, in8(0x177), 0x50));
    for (unsigned i = 0; i < 4096; i++)
        cr_assert(eq(u8, bus.ram[0x20000 + i], pattern(30 + i / 2048, i % 2048)));
}
