/* Unit tests for devices/ide.c and devices/ata.c against ATA/ATAPI-6 and
 * the PIIX3's bus-master IDE registers: the reset signature, absent
 * devices, IDENTIFY DEVICE's layout and integrity word, PIO reads and
 * writes (single and multiple), LBA28, LBA48 with its two-deep registers,
 * CHS after INITIALIZE DEVICE PARAMETERS, errors (IDNF, ABRT) and the
 * interrupt's points, nIEN and SRST, and DMA through PRD tables, including
 * tables that are too short or lead nowhere.  The disk is a raw temporary
 * file whose bytes the tests know. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/ide.h"
#include "disks/blockdev.h"
#include "tests/unit/unit.h"

#define SECTORS 256
#define BM 0xC000

static struct bus bus;
static struct pci_bus pb;
static struct ide ide;
static struct blockdev bd;
static char path[64];
static int irq_level[2];
static unsigned irq_rises[2];

static void irq_cb(void *opaque, int n, bool level)
{
    (void)opaque;
    if (level && !irq_level[n])
        irq_rises[n]++;
    irq_level[n] = level;
}

/* Sector s holds bytes (s * 7 + i) & 255. */
static uint8_t pattern(unsigned s, unsigned i)
{
    return (uint8_t)(s * 7 + i);
}

static void setup(void)
{
    cr_assert(eq(int, bus_init(&bus, 1u << 20), 0));
    cr_assert(eq(int, pci_init(&pb, &bus), 0));
    strcpy(path, "/tmp/popek-ide-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(ge(int, fd, 0));
    static uint8_t img[SECTORS * 512];
    for (unsigned s = 0; s < SECTORS; s++)
        for (unsigned i = 0; i < 512; i++)
            img[s * 512 + i] = pattern(s, i);
    cr_assert(eq(long, (long)write(fd, img, sizeof(img)), (long)sizeof(img)));
    close(fd);
    cr_assert(eq(int, blockdev_open(&bd, path, BLOCKDEV_RAW, false), 0));
    const struct irq_line irq[2] = { { irq_cb, NULL, 0 }, { irq_cb, NULL, 1 } };
    memset(irq_level, 0, sizeof(irq_level));
    memset(irq_rises, 0, sizeof(irq_rises));
    cr_assert(eq(int, ide_init(&ide, &bus, &pb, irq), 0));
    cr_assert(eq(int, ide_attach_disk(&ide, 0, 0, &bd), 0));
    /* BAR4 at BM, I/O and bus master on, as firmware sets them. */
    pci_config_write(&pb, 0, IDE_DEVFN, 0x20, BM | 1, 4);
    pci_config_write(&pb, 0, IDE_DEVFN, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MASTER, 2);
}

static void teardown(void)
{
    blockdev_close(&bd);
    unlink(path);
    bus_free(&bus);
}

TestSuite(ide, .init = setup, .fini = teardown, .timeout = 10.0);

static uint8_t in8(uint16_t p)
{
    return (uint8_t)bus_in(&bus, p, 1);
}

static void out8(uint16_t p, uint8_t v)
{
    bus_out(&bus, p, v, 1);
}

static void lba28(uint32_t lba, uint8_t count)
{
    out8(0x1F2, count);
    out8(0x1F3, (uint8_t)lba);
    out8(0x1F4, (uint8_t)(lba >> 8));
    out8(0x1F5, (uint8_t)(lba >> 16));
    out8(0x1F6, (uint8_t)(0xE0 | ((lba >> 24) & 0x0F)));
}

static void read_words(uint8_t *dst, unsigned bytes)
{
    for (unsigned i = 0; i < bytes; i += 2) {
        uint16_t w = (uint16_t)bus_in(&bus, 0x1F0, 2);
        dst[i] = (uint8_t)w;
        dst[i + 1] = (uint8_t)(w >> 8);
    }
}

static void file_sector(unsigned s, uint8_t *dst)
{
    cr_assert(eq(int, blockdev_read(&bd, (uint64_t)s * 512, dst, 512), 0));
}

Test(ide, reset_signature_and_absent_devices)
{
    cr_assert(eq(u8, in8(0x1F2), 1));
    cr_assert(eq(u8, in8(0x1F3), 1));
    cr_assert(eq(u8, in8(0x1F4), 0));
    cr_assert(eq(u8, in8(0x1F5), 0));
    cr_assert(eq(u8, in8(0x1F7), 0x50), "DRDY | DSC");
    out8(0x1F6, 0xB0); /* the slave: not there */
    cr_assert(eq(u8, in8(0x1F7), 0x00), "an absent slave reads status 0");
    cr_assert(eq(u8, in8(0x170 + 7), 0xFF), "an empty channel floats");
    cr_assert(eq(u8, in8(0x376), 0xFF));
}

Test(ide, identify_device)
{
    out8(0x1F6, 0xA0);
    out8(0x1F7, 0xEC);
    cr_assert(eq(int, irq_level[0], 1), "IRQ 14 for the data block");
    cr_assert(eq(u8, in8(0x3F6), 0x58), "alternate status: DRQ, and the interrupt stays");
    cr_assert(eq(int, irq_level[0], 1));
    cr_assert(eq(u8, in8(0x1F7), 0x58));
    cr_assert(eq(int, irq_level[0], 0), "reading status acknowledges");
    uint8_t id[512];
    read_words(id, 512);
    cr_assert(eq(u8, in8(0x1F7), 0x50), "DRQ clears after 256 words");
    uint16_t w[256];
    for (int i = 0; i < 256; i++)
        w[i] = (uint16_t)(id[2 * i] | id[2 * i + 1] << 8);
    cr_assert(eq(u16, w[0], 0x0040));
    cr_assert(eq(u32, (uint32_t)w[60] | (uint32_t)w[61] << 16, SECTORS), "LBA28 capacity");
    cr_assert(eq(u16, w[100], SECTORS), "LBA48 capacity");
    cr_assert(eq(u16, w[83] & (1u << 10), 1u << 10), "48-bit addressing");
    cr_assert(eq(u16, w[49] & 0x0300, 0x0300), "LBA and DMA");
    /* Model: the first character in the high byte of word 27. */
    cr_assert(eq(u16, w[27], 'P' << 8 | 'O'));
    uint8_t sum = 0;
    for (int i = 0; i < 512; i++)
        sum = (uint8_t)(sum + id[i]);
    cr_assert(eq(u8, id[510], 0xA5), "integrity signature");
    cr_assert(eq(u8, sum, 0), "integrity checksum");
}

Test(ide, pio_read_lba28_two_sectors)
{
    lba28(10, 2);
    out8(0x1F7, 0x20);
    cr_assert(eq(uint, irq_rises[0], 1));
    uint8_t buf[512];
    for (unsigned s = 0; s < 2; s++) {
        cr_assert(eq(u8, in8(0x1F7) & 0x89, 0x08), "DRQ for sector %u", s);
        read_words(buf, 512);
        for (unsigned i = 0; i < 512; i++)
            cr_assert(eq(u8, buf[i], pattern(10 + s, i)));
    }
    cr_assert(eq(uint, irq_rises[0], 2), "one interrupt per block, none after the last");
    cr_assert(eq(u8, in8(0x1F7), 0x50));
    cr_assert(eq(u8, in8(0x1F3), 11), "the task file holds the last sector read");
}

/* Selecting the absent slave in the middle of a master's transfer (a
 * protocol violation) aborts it; the next block is not read through a
 * disk that is not there (this crashed the emulator). */
Test(ide, device_switched_mid_transfer)
{
    lba28(10, 4);
    out8(0x1F7, 0x20);
    uint8_t buf[512];
    read_words(buf, 256);
    out8(0x1F6, 0xF0); /* LBA, slave: there is none */
    read_words(buf, 512);
    read_words(buf, 512);
    out8(0x1F6, 0xE0);
    cr_assert(in8(0x1F7) & 0x01, "the transfer ended with ERR");
    cr_assert(eq(u8, in8(0x1F1) & 0x04, 0x04), "ABRT");
    lba28(12, 4);
    out8(0x1F7, 0x30); /* WRITE SECTORS */
    out8(0x1F6, 0xF0);
    for (int i = 0; i < 512; i++)
        bus_out(&bus, 0x1F0, 0x5A5A, 2);
    out8(0x1F6, 0xE0);
    lba28(12, 1);
    out8(0x1F7, 0x20);
    read_words(buf, 512);
    for (unsigned i = 0; i < 512; i++)
        cr_assert(eq(u8, buf[i], pattern(12, i)), "the write went nowhere");
}

Test(ide, pio_write_and_multiple)
{
    lba28(3, 2);
    out8(0x1F7, 0x30);
    cr_assert(eq(uint, irq_rises[0], 0), "no interrupt before the first block of a write");
    for (unsigned s = 0; s < 2; s++) {
        cr_assert(eq(u8, in8(0x1F7) & 0x89, 0x08), "DRQ for block %u", s);
        for (unsigned i = 0; i < 256; i++)
            bus_out(&bus, 0x1F0, (uint32_t)(0xA000 + s * 256 + i), 2);
    }
    cr_assert(eq(uint, irq_rises[0], 2), "after the first block and at completion");
    cr_assert(eq(u8, in8(0x1F7), 0x50));
    uint8_t got[512];
    file_sector(4, got);
    cr_assert(eq(u8, got[0], 0x00));
    cr_assert(eq(u8, got[1], 0xA1));
    file_sector(5, got);
    cr_assert(eq(u8, got[0], pattern(5, 0)), "sector 5 untouched");

    /* READ MULTIPLE needs SET MULTIPLE first. */
    lba28(0, 8);
    out8(0x1F7, 0xC4);
    cr_assert(eq(u8, in8(0x1F7), 0x51));
    cr_assert(eq(u8, in8(0x1F1), ATA_ER_ABRT));
    out8(0x1F2, 3);
    out8(0x1F7, 0xC6);
    cr_assert(eq(u8, in8(0x1F1) & ATA_ER_ABRT, ATA_ER_ABRT), "3 is not a power of two");
    out8(0x1F2, 4);
    out8(0x1F7, 0xC6);
    cr_assert(eq(u8, in8(0x1F7), 0x50));
    unsigned before = irq_rises[0];
    lba28(20, 8);
    out8(0x1F7, 0xC4);
    uint8_t buf[2048];
    (void)in8(0x1F7); /* acknowledge, as a driver does before each block */
    read_words(buf, 2048);
    (void)in8(0x1F7);
    read_words(buf, 2048);
    for (unsigned i = 0; i < 2048; i++)
        cr_assert(eq(u8, buf[i], pattern(24 + i / 512, i % 512)));
    cr_assert(eq(uint, irq_rises[0] - before, 2), "one interrupt per 4-sector block");
}

Test(ide, lba48_and_chs)
{
    /* LBA48: the high bytes first, then the low ones. */
    out8(0x1F2, 0);
    out8(0x1F3, 0);
    out8(0x1F4, 0);
    out8(0x1F5, 0);
    out8(0x1F2, 1);
    out8(0x1F3, 40);
    out8(0x1F4, 0);
    out8(0x1F5, 0);
    out8(0x1F6, 0x40);
    out8(0x3F6, ATA_DC_HOB);
    cr_assert(eq(u8, in8(0x1F3), 0), "HOB reads the previous value");
    out8(0x3F6, 0);
    cr_assert(eq(u8, in8(0x1F3), 40));
    out8(0x1F7, 0x24);
    uint8_t buf[512];
    read_words(buf, 512);
    cr_assert(eq(u8, buf[0], pattern(40, 0)));
    cr_assert(eq(u8, buf[511], pattern(40, 511)));
    /* Beyond the disk through the high bytes: IDNF. */
    out8(0x1F2, 0);
    out8(0x1F3, 0);
    out8(0x1F4, 1); /* LBA bits 39:32 */
    out8(0x1F5, 0);
    out8(0x1F2, 1);
    out8(0x1F3, 0);
    out8(0x1F4, 0);
    out8(0x1F5, 0);
    out8(0x1F7, 0x24);
    cr_assert(eq(u8, in8(0x1F7), 0x51));
    cr_assert(eq(u8, in8(0x1F1), ATA_ER_IDNF));
    /* CHS with 4 heads of 8 sectors: C0 H1 S2 is LBA 1 * 8 + 1 = 9. */
    out8(0x1F2, 8);
    out8(0x1F6, 0xA0 | 3);
    out8(0x1F7, 0x91);
    cr_assert(eq(u8, in8(0x1F7), 0x50));
    out8(0x1F2, 1);
    out8(0x1F3, 2);
    out8(0x1F4, 0);
    out8(0x1F5, 0);
    out8(0x1F6, 0xA0 | 1);
    out8(0x1F7, 0x20);
    read_words(buf, 512);
    cr_assert(eq(u8, buf[0], pattern(9, 0)));
    /* Sector 0 does not exist in CHS. */
    out8(0x1F3, 0);
    out8(0x1F7, 0x20);
    cr_assert(eq(u8, in8(0x1F1), ATA_ER_IDNF));
}

Test(ide, errors_nien_and_srst)
{
    lba28(SECTORS - 1, 2); /* runs past the end */
    out8(0x1F7, 0x20);
    cr_assert(eq(u8, in8(0x1F7), 0x51));
    cr_assert(eq(u8, in8(0x1F1), ATA_ER_IDNF));
    out8(0x1F7, 0xFF); /* no such command */
    cr_assert(eq(u8, in8(0x1F1), ATA_ER_ABRT));
    out8(0x3F6, ATA_DC_NIEN);
    irq_rises[0] = 0;
    out8(0x1F7, 0xE7); /* FLUSH CACHE */
    cr_assert(eq(uint, irq_rises[0], 0), "nIEN masks the interrupt");
    out8(0x3F6, 0);
    cr_assert(eq(int, irq_level[0], 1), "the pending interrupt shows once nIEN clears");
    (void)in8(0x1F7);
    /* Software reset: BSY while SRST is set, the signature after. */
    lba28(77, 5);
    out8(0x3F6, ATA_DC_SRST);
    cr_assert(eq(u8, in8(0x3F6) & 0x80, 0x80));
    out8(0x3F6, 0);
    cr_assert(eq(u8, in8(0x1F2), 1));
    cr_assert(eq(u8, in8(0x1F3), 1));
    cr_assert(eq(u8, in8(0x1F7), 0x50));
}

static void prd(uint32_t at, uint32_t addr, uint16_t count, bool eot)
{
    bus_write(&bus, at, addr, 4);
    bus_write(&bus, at + 4, count | (eot ? 0x80000000u : 0), 4);
}

Test(ide, dma_read_write_through_prds)
{
    /* Three sectors into two buffers: 700 bytes, then the rest. */
    prd(0x1000, 0x20000, 700, false);
    prd(0x1008, 0x30000, 1536 - 700, true);
    bus_out(&bus, BM + 4, 0x1000, 4);
    bus_out(&bus, BM, 0x08, 1); /* to memory, not started */
    lba28(50, 3);
    out8(0x1F7, 0xC8);
    cr_assert(eq(uint, irq_rises[0], 0), "nothing until the engine starts");
    bus_out(&bus, BM, 0x09, 1);
    cr_assert(eq(uint, irq_rises[0], 1));
    cr_assert(eq(u8, (uint8_t)bus_in(&bus, BM + 2, 1) & 0x07, 0x04), "interrupt, not active, no error");
    cr_assert(eq(u8, in8(0x1F7), 0x50));
    for (unsigned i = 0; i < 1536; i++) {
        uint32_t a = i < 700 ? 0x20000 + i : 0x30000 + (i - 700);
        cr_assert(eq(u8, bus.ram[a], pattern(50 + i / 512, i % 512)), "byte %u", i);
    }
    bus_out(&bus, BM + 2, 0x04, 1);
    cr_assert(eq(u8, (uint8_t)bus_in(&bus, BM + 2, 1) & 0x04, 0), "write 1 clears the interrupt bit");
    bus_out(&bus, BM, 0x00, 1);

    /* A write from memory, started before the command. */
    memset(bus.ram + 0x40000, 0x5A, 512);
    prd(0x1000, 0x40000, 512, true);
    bus_out(&bus, BM, 0x01, 1);
    lba28(60, 1);
    out8(0x1F7, 0xCA);
    uint8_t got[512];
    file_sector(60, got);
    cr_assert(eq(u8, got[0], 0x5A));
    cr_assert(eq(u8, got[511], 0x5A));
    bus_out(&bus, BM, 0x00, 1);
}

Test(ide, dma_bad_tables)
{
    /* Too short a table: error and interrupt, and the command fails. */
    prd(0x1000, 0x20000, 512, true);
    bus_out(&bus, BM + 4, 0x1000, 4);
    bus_out(&bus, BM, 0x08, 1);
    lba28(0, 2);
    out8(0x1F7, 0xC8);
    bus_out(&bus, BM, 0x09, 1);
    cr_assert(eq(u8, (uint8_t)bus_in(&bus, BM + 2, 1) & 0x07, 0x06), "error and interrupt");
    cr_assert(eq(u8, in8(0x1F7) & 0x01, 0x01));
    bus_out(&bus, BM, 0x00, 1);
    bus_out(&bus, BM + 2, 0x06, 1);
    /* A table in unmapped space with no end bit: entries of FFFFFFFFh
     * (64 KiB to nowhere, end bit set by the float); bounded either way. */
    bus_out(&bus, BM + 4, 0xF0000000u, 4);
    bus_out(&bus, BM, 0x08, 1);
    lba28(0, 255);
    out8(0x1F7, 0xC8);
    bus_out(&bus, BM, 0x09, 1);
    cr_assert(eq(u8, (uint8_t)bus_in(&bus, BM + 2, 1) & 0x04, 0x04), "it finished");
    bus_out(&bus, BM, 0x00, 1);
    /* Direction bit against the command: ABRT. */
    prd(0x1000, 0x20000, 512, true);
    bus_out(&bus, BM + 4, 0x1000, 4);
    bus_out(&bus, BM, 0x00, 1);
    lba28(0, 1);
    out8(0x1F7, 0xC8);
    bus_out(&bus, BM, 0x01, 1);
    cr_assert(eq(u8, in8(0x1F1), ATA_ER_ABRT));
}
