/* Unit tests for devices/fdc.c and devices/fdc_cmd.c: the 82077AA driven
 * through its ports on a bus, with a virtual clock, the 8237A DMA
 * controllers (devices/dma8237.c) and IRQ 6 recorded; the media are
 * temporary raw image files whose every byte is a known function of its
 * position.  Expectations come from the 82077AA datasheet (290166): the
 * MSR bits of each phase, the command and result bytes of table 5-1, table
 * 5-6 for C/H/R after a transfer, the status bits of section 5.
 * docs/devices/fdc.md maps behaviour to tests. */
#include "devices/dma8237.h"
#include "devices/fdc.h"
#include "disks/blockdev.h"
#include "tests/unit/unit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RAM (1u << 20)
#define SIZE_144 1474560u
#define SIZE_720 737280u

static struct bus bus;
static struct vclock clk;
static struct dma8237 dma;
static struct fdc fdc;
static struct blockdev bd;
static bool bd_open;
static char path[64];
static unsigned irq_rises;
static bool irq_level;

static void rec_irq(void *opaque, int n, bool level)
{
    (void)opaque;
    cr_assert(eq(int, n, 6));
    if (level && !irq_level)
        irq_rises++;
    irq_level = level;
}

static const struct irq_line irq6 = { rec_irq, NULL, 6 };

/* The byte at offset off of every test image. */
static uint8_t pat(uint64_t off)
{
    uint64_t lba = off / 512;
    return (uint8_t)(off * 7 + lba * 13 + (lba >> 8));
}

static void make_image(uint32_t size)
{
    strcpy(path, "/tmp/popek-fdc-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    static uint8_t buf[SIZE_144];
    cr_assert(size <= sizeof(buf));
    for (uint32_t i = 0; i < size; i++)
        buf[i] = pat(i);
    cr_assert(eq(sz, (size_t)write(fd, buf, size), size));
    close(fd);
}

static void open_image(bool read_only)
{
    cr_assert(eq(int, blockdev_open(&bd, path, BLOCKDEV_RAW, read_only), 0));
    bd_open = true;
    cr_assert(eq(int, fdc_attach(&fdc, 0, &bd), 0));
}

/* Byte off of the image file, read back from the file itself. */
static uint8_t file_byte(uint64_t off)
{
    FILE *fp = fopen(path, "rb");
    cr_assert(fp != NULL);
    cr_assert(eq(int, fseek(fp, (long)off, SEEK_SET), 0));
    int c = fgetc(fp);
    fclose(fp);
    return (uint8_t)c;
}

static uint64_t lba_off(unsigned c, unsigned h, unsigned r)
{
    return ((c * 2u + h) * 18u + (r - 1u)) * 512ull;
}

static void setup(void)
{
    cr_assert(eq(int, bus_init(&bus, RAM), 0));
    clock_init(&clk, 100);
    cr_assert(eq(int, dma8237_init(&dma, &bus), 0));
    irq_rises = 0;
    irq_level = false;
    cr_assert(eq(int, fdc_init(&fdc, &bus, &clk, &dma, &irq6), 0));
    bd_open = false;
    path[0] = 0;
}

static void teardown(void)
{
    if (bd_open)
        blockdev_close(&bd);
    if (path[0])
        unlink(path);
    bus_free(&bus);
}

static void out8(uint16_t port, uint8_t v)
{
    bus_out(&bus, port, v, 1);
}

static uint8_t in8(uint16_t port)
{
    return (uint8_t)bus_in(&bus, port, 1);
}

static uint8_t msr(void)
{
    return in8(0x3F4);
}

/* Lets pending execution, seeks and polling finish. */
static void run(void)
{
    clock_advance_to(&clk, clk.now + 1000000);
}

/* Writes a command, byte by byte as a driver does: RQM set, DIO clear. */
static void send(const uint8_t *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint8_t m = msr();
        cr_assert(eq(u8, m & 0xC0, 0x80), "byte %u: MSR %02x before a command byte", i, m);
        out8(0x3F5, b[i]);
    }
}

#define SEND(...)                                                                                  \
    do {                                                                                           \
        const uint8_t cmd_[] = { __VA_ARGS__ };                                                    \
        send(cmd_, sizeof(cmd_));                                                                  \
    } while (0)

/* Reads n result bytes, checking RQM|DIO|CB for each, then the phase end. */
static void result(uint8_t *r, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint8_t m = msr();
        cr_assert(eq(u8, m & 0xF0, 0xD0), "result byte %u: MSR %02x", i, m);
        r[i] = in8(0x3F5);
    }
    cr_assert(eq(u8, msr() & 0xF0, 0x80), "after the result phase: RQM only");
}

static void expect_result(const uint8_t *want, unsigned n)
{
    uint8_t r[FDC_RES_MAX];
    result(r, n);
    for (unsigned i = 0; i < n; i++)
        cr_expect(eq(u8, r[i], want[i]), "result byte %u", i);
}

#define EXPECT(...)                                                                                \
    do {                                                                                           \
        const uint8_t want_[] = { __VA_ARGS__ };                                                   \
        expect_result(want_, sizeof(want_));                                                       \
    } while (0)

static void sense_expect(uint8_t st0, uint8_t pcn)
{
    SEND(0x08);
    EXPECT(st0, pcn);
}

/* Out of reset with drive 0 selected, its motor on, DMA/IRQ enabled; the
 * four polling statuses sensed; 500 kbit/s. */
static void bring_up(void)
{
    out8(0x3F2, 0x1C);
    run();
    for (unsigned d = 0; d < 4; d++)
        sense_expect((uint8_t)(0xC0 | d), 0);
    out8(0x3F7, 0x00);
}

/* Channel 2 as a BIOS programs it, with channel 4 cascaded. */
static void dma_setup(bool to_memory, uint32_t addr, uint16_t bytes)
{
    out8(0xD6, 0xC0);
    out8(0xD4, 0x00);
    out8(0x0A, 0x06);
    out8(0x0C, 0);
    out8(0x0B, to_memory ? 0x46 : 0x4A);
    out8(0x04, (uint8_t)addr);
    out8(0x04, (uint8_t)(addr >> 8));
    out8(0x81, (uint8_t)(addr >> 16));
    out8(0x05, (uint8_t)(bytes - 1));
    out8(0x05, (uint8_t)((bytes - 1) >> 8));
    out8(0x0A, 0x02);
}

static void seek(unsigned ds, uint8_t c)
{
    SEND(0x0F, (uint8_t)ds, c);
    run();
    sense_expect((uint8_t)(0x20 | ds), c);
}

static void expect_sector_in_ram(uint32_t addr, uint64_t off, const char *what)
{
    for (unsigned i = 0; i < 512; i++)
        if (bus.ram[addr + i] != pat(off + i))
            cr_assert(false, "%s: byte %u is %02x, want %02x", what, i, bus.ram[addr + i],
                      pat(off + i));
}

/* The controller's bookkeeping stays inside its buffers. */
static void expect_bounds(void)
{
    if (fdc.cmd_pos > FDC_CMD_MAX || fdc.cmd_len > FDC_CMD_MAX || fdc.res_len > FDC_RES_MAX ||
        fdc.res_pos > fdc.res_len || fdc.buf_len > FDC_SECTOR_SIZE || fdc.buf_pos > fdc.buf_len)
        cr_assert(false, "out of bounds: cmd %u/%u res %u/%u buf %u/%u", fdc.cmd_pos, fdc.cmd_len,
                  fdc.res_pos, fdc.res_len, fdc.buf_pos, fdc.buf_len);
    if (fdc.bus != &bus || fdc.dma != &dma || fdc.clk != &clk)
        cr_assert(false, "the controller's pointers were overwritten");
}

TestSuite(fdc, .init = setup, .fini = teardown, .timeout = 30.0);

/* ---- Reset, polling, simple commands ---- */

Test(fdc, power_on_holds_the_controller_in_reset)
{
    cr_expect(eq(u8, in8(0x3F2), 0x00), "DOR 0");
    cr_expect(eq(u8, msr(), 0x00), "no RQM while in reset");
    cr_expect(eq(u8, in8(0x3F0), 0xFF), "SRA not in PC/AT mode");
    cr_expect(eq(u8, in8(0x3F1), 0xFF), "SRB");
    out8(0x3F5, 0x10); /* VERSION, ignored */
    run();
    cr_expect(eq(u8, msr(), 0x00));
    cr_expect(not(irq_level));
    cr_expect(eq(u8, in8(0x3F6), 0xFF), "0x3F6 is not the FDC's");
}

Test(fdc, reset_gives_four_polling_interrupts)
{
    out8(0x3F2, 0x0C);
    cr_expect(eq(u8, msr(), 0x80), "ready for a command");
    cr_expect(not(irq_level), "the interrupt comes after the reset, not during the write");
    run();
    cr_expect(irq_level);
    cr_expect(eq(uint, irq_rises, 1));
    SEND(0x08);
    cr_expect(not(irq_level), "SENSE INTERRUPT STATUS resets the interrupt signal");
    EXPECT(0xC0, 0);
    sense_expect(0xC1, 0);
    sense_expect(0xC2, 0);
    sense_expect(0xC3, 0);
    /* Nothing left: ST0 = 80H, one byte. */
    SEND(0x08);
    EXPECT(0x80);
    cr_expect(eq(uint, irq_rises, 1));
}

Test(fdc, dsr_software_reset_and_dor_reset)
{
    bring_up();
    irq_rises = 0;
    out8(0x3F4, 0x80); /* DSR: S/W reset */
    cr_expect(eq(u8, msr(), 0x80));
    run();
    cr_expect(eq(uint, irq_rises, 1));
    for (unsigned d = 0; d < 4; d++)
        sense_expect((uint8_t)(0xC0 | d), 0);
    /* A half-written command is abandoned by a reset. */
    SEND(0x0F, 0x00);
    cr_expect(eq(u8, msr(), 0x90), "command in progress");
    out8(0x3F2, 0x18); /* DOR reset */
    cr_expect(eq(u8, msr(), 0x00));
    out8(0x3F2, 0x1C);
    cr_expect(eq(u8, msr(), 0x80), "the seek is gone");
    run();
    sense_expect(0xC0, 0);
}

Test(fdc, dma_gate_masks_the_interrupt)
{
    out8(0x3F2, 0x04); /* out of reset, DMA gate off */
    run();
    cr_expect(not(irq_level), "DOR bit 3 clear: INT not driven");
    out8(0x3F2, 0x0C);
    cr_expect(irq_level, "the pending interrupt shows once the gate opens");
}

Test(fdc, version_and_invalid_commands)
{
    bring_up();
    SEND(0x10);
    EXPECT(0x90);
    irq_rises = 0;
    const uint8_t bad[] = { 0x00, 0x01, 0x11, 0x18, 0x1F, 0x90, 0x4F, 0xFF, 0x25, 0x02, 0x0C };
    for (unsigned i = 0; i < sizeof(bad); i++) {
        SEND(bad[i]);
        uint8_t r;
        result(&r, 1);
        cr_expect(eq(u8, r, 0x80), "command %02x: ST0 80H", bad[i]);
    }
    run();
    cr_expect(eq(uint, irq_rises, 0), "invalid commands do not interrupt");
}

Test(fdc, specify_configure_perpendicular_lock_dumpreg)
{
    bring_up();
    SEND(0x03, 0xAF, 0x02);
    cr_expect(eq(u8, msr(), 0x80), "no result phase");
    SEND(0x13, 0x00, 0x57, 0x21); /* EIS, POLL off, FIFOTHR 7, PRETRK 0x21 */
    SEND(0x12, 0x80 | 0x14 | 0x03); /* OW, D3+D1, GAP, WGATE */
    seek(1, 5);
    SEND(0x0E);
    EXPECT(0, 5, 0, 0, 0xAF, 0x02, 0x00, 0x14 | 0x03, 0x57, 0x21);
    SEND(0x94); /* LOCK */
    EXPECT(0x10);
    /* A software reset: PCNs 0; EIS and POLL back to defaults; EFIFO,
     * FIFOTHR and PRETRK locked; GAP and WGATE cleared, drive bits kept. */
    out8(0x3F4, 0x80);
    run();
    for (unsigned d = 0; d < 4; d++)
        sense_expect((uint8_t)(0xC0 | d), 0);
    SEND(0x0E);
    EXPECT(0, 0, 0, 0, 0xAF, 0x02, 0x00, 0x80 | 0x14, 0x07, 0x21);
    SEND(0x14); /* unlock */
    EXPECT(0x00);
    out8(0x3F4, 0x80);
    run();
    SEND(0x0E);
    EXPECT(0, 0, 0, 0, 0xAF, 0x02, 0x00, 0x14, 0x20, 0x00);
    /* PERPENDICULAR without OW leaves the drive bits. */
    SEND(0x12, 0x3F);
    SEND(0x0E);
    EXPECT(0, 0, 0, 0, 0xAF, 0x02, 0x00, 0x14 | 0x03, 0x20, 0x00);
}

/* ---- Seeks ---- */

Test(fdc, recalibrate_then_sense_interrupt)
{
    make_image(SIZE_144);
    open_image(false);
    bring_up();
    seek(0, 30);
    SEND(0x07, 0x00);
    cr_expect(eq(u8, msr(), 0x81), "drive 0 busy, no command in progress");
    cr_expect(not(irq_level));
    run();
    cr_expect(irq_level);
    cr_expect(eq(u8, msr(), 0x80));
    sense_expect(0x20, 0);
    SEND(0x04, 0x00);
    EXPECT(0x38 | 0x10); /* ST3: bits 5 and 3, track 0 */
    /* Recalibrate of a drive that is not connected: no track 0. */
    out8(0x3F2, 0x1E);
    SEND(0x07, 0x02);
    run();
    sense_expect(0x72, 0);
}

Test(fdc, seek_relative_seek_and_sense_drive_status)
{
    make_image(SIZE_144);
    open_image(false);
    bring_up();
    seek(0, 40);
    SEND(0x04, 0x04);
    EXPECT(0x28 | 0x04); /* head 1 selected, not track 0 */
    SEND(0xCF, 0x00, 5); /* relative seek in by 5 */
    run();
    sense_expect(0x20, 45);
    SEND(0x8F, 0x00, 10); /* out by 10 */
    run();
    sense_expect(0x20, 35);
    SEND(0x8F, 0x00, 50); /* out past track 0 */
    run();
    sense_expect(0x70, 0);
    SEND(0x04, 0x00);
    EXPECT(0x38);
    /* Overlapped: drive 0 and drive 1 seek at once, two statuses. */
    cr_assert(eq(int, fdc_set_drive_type(&fdc, 1, 4), 0));
    SEND(0x0F, 0x00, 3);
    SEND(0x0F, 0x01, 7);
    cr_expect(eq(u8, msr(), 0x83));
    run();
    sense_expect(0x20, 3);
    sense_expect(0x21, 7);
}

/* ---- READ ID ---- */

Test(fdc, read_id_and_data_rate)
{
    make_image(SIZE_144);
    open_image(false);
    bring_up();
    seek(0, 2);
    SEND(0x4A, 0x04);
    cr_expect(eq(u8, msr() & 0xF0, 0x10), "execution phase: CB, no RQM");
    run();
    cr_expect(irq_level);
    uint8_t r[7];
    result(r, 7);
    cr_expect(not(irq_level), "reading the result clears the interrupt");
    cr_expect(eq(u8, r[0], 0x04));
    cr_expect(eq(u8, r[1], 0));
    cr_expect(eq(u8, r[2], 0));
    cr_expect(eq(u8, r[3], 2), "C: the track the head is on");
    cr_expect(eq(u8, r[4], 1));
    cr_expect(r[5] >= 1 && r[5] <= 18, "R %u", r[5]);
    cr_expect(eq(u8, r[6], 2));
    /* At 250 kbit/s a 1.44M disk shows no ID: missing address mark. */
    out8(0x3F7, 0x02);
    SEND(0x4A, 0x00);
    run();
    result(r, 7);
    cr_expect(eq(u8, r[0], 0x40));
    cr_expect(eq(u8, r[1], 0x01));
    /* FM encoding finds nothing either. */
    out8(0x3F7, 0x00);
    SEND(0x0A, 0x00);
    run();
    result(r, 7);
    cr_expect(eq(u8, r[0], 0x40));
    cr_expect(eq(u8, r[1], 0x01));
}

/* ---- READ DATA ---- */

Test(fdc, read_data_by_dma)
{
    make_image(SIZE_144);
    open_image(false);
    bring_up();
    seek(0, 1);
    dma_setup(true, 0x12000, 512);
    SEND(0x46, 0x04, 1, 1, 3, 2, 18, 0x1B, 0xFF);
    run();
    cr_expect(irq_level);
    EXPECT(0x04, 0, 0, 1, 1, 4, 2); /* TC after sector 3: R+1 */
    expect_sector_in_ram(0x12000, lba_off(1, 1, 3), "C1 H1 R3");
    cr_expect(eq(u8, bus.ram[0x12200], 0), "nothing past the DMA count");
    cr_expect(eq(u8, in8(0x08) & 0x04, 0x04), "channel 2 reached TC");
}

Test(fdc, multi_sector_read_to_eot)
{
    make_image(SIZE_144);
    open_image(false);
    bring_up();
    seek(0, 5);
    dma_setup(true, 0x20000, 3 * 512);
    SEND(0x46, 0x00, 5, 0, 16, 2, 18, 0x1B, 0xFF);
    run();
    /* The last sector is EOT, MT = 0: C+1, H unchanged, R = 1. */
    EXPECT(0x00, 0, 0, 6, 0, 1, 2);
    for (unsigned k = 0; k < 3; k++)
        expect_sector_in_ram(0x20000 + k * 512, lba_off(5, 0, 16 + k), "sectors 16-18");
}

Test(fdc, multi_track_read)
{
    make_image(SIZE_144);
    open_image(false);
    bring_up();
    seek(0, 2);
    /* MT: side 0 sectors 17 and 18, then side 1 sectors 1 and 2. */
    dma_setup(true, 0x30000, 4 * 512);
    SEND(0xC6, 0x00, 2, 0, 17, 2, 18, 0x1B, 0xFF);
    run();
    EXPECT(0x04, 0, 0, 2, 1, 3, 2);
    expect_sector_in_ram(0x30000, lba_off(2, 0, 17), "H0 R17");
    expect_sector_in_ram(0x30400, lba_off(2, 1, 1), "H1 R1");
    expect_sector_in_ram(0x30600, lba_off(2, 1, 2), "H1 R2");
    /* Ending on side 1's EOT: C+1, H complemented (0), R = 1. */
    dma_setup(true, 0x30000, 2 * 512);
    SEND(0xC6, 0x04, 2, 1, 17, 2, 18, 0x1B, 0xFF);
    run();
    EXPECT(0x04, 0, 0, 3, 0, 1, 2);
    /* Ending on side 0's EOT: C unchanged, H complemented, R = 1. */
    dma_setup(true, 0x30000, 512);
    SEND(0xC6, 0x00, 2, 0, 18, 2, 18, 0x1B, 0xFF);
    run();
    EXPECT(0x04, 0, 0, 2, 1, 1, 2);
}

Test(fdc, read_without_tc_ends_the_cylinder)
{
    make_image(SIZE_144);
    open_image(false);
    bring_up();
    dma_setup(true, 0x10000, 8192);
    SEND(0x46, 0x00, 0, 0, 17, 2, 18, 0x1B, 0xFF);
    run();
    EXPECT(0x40, 0x80, 0, 1, 0, 1, 2); /* abnormal, EN */
    expect_sector_in_ram(0x10200, lba_off(0, 0, 18), "R18");
}

Test(fdc, read_past_the_last_sector)
{
    make_image(SIZE_144);
    open_image(false);
    bring_up();
    dma_setup(true, 0x10000, 512);
    SEND(0x46, 0x00, 0, 0, 19, 2, 19, 0x1B, 0xFF);
    run();
    EXPECT(0x40, 0x04, 0, 0, 0, 19, 2); /* no data */
    /* EOT past the track: sector 18 read, then 19 not found. */
    dma_setup(true, 0x10000, 4096);
    SEND(0x46, 0x00, 0, 0, 18, 2, 20, 0x1B, 0xFF);
    run();
    EXPECT(0x40, 0x04, 0, 0, 0, 19, 2);
    expect_sector_in_ram(0x10000, lba_off(0, 0, 18), "R18");
    /* Sector size other than 512 (N = 3): no such ID. */
    dma_setup(true, 0x10000, 1024);
    SEND(0x46, 0x00, 0, 0, 1, 3, 18, 0x1B, 0xFF);
    run();
    EXPECT(0x40, 0x04, 0, 0, 0, 1, 3);
    /* Cylinder beyond the disk: the head at 85 (the drive's stop, 83)
     * finds no ID at all. */
    seek(0, 85);
    dma_setup(true, 0x10000, 512);
    SEND(0x46, 0x00, 85, 0, 1, 2, 18, 0x1B, 0xFF);
    run();
    EXPECT(0x40, 0x01, 0, 85, 0, 1, 2);
}

Test(fdc, wrong_cylinder)
{
    make_image(SIZE_144);
    open_image(false);
    bring_up();
    dma_setup(true, 0x10000, 512);
    SEND(0x46, 0x00, 5, 0, 1, 2, 18, 0x1B, 0xFF); /* head on 0 */
    run();
    EXPECT(0x40, 0x04, 0x10, 5, 0, 1, 2);
    /* With implied seek enabled the same command succeeds. */
    SEND(0x13, 0x00, 0x60, 0x00);
    dma_setup(true, 0x10000, 512);
    SEND(0x46, 0x00, 5, 0, 1, 2, 18, 0x1B, 0xFF);
    run();
    EXPECT(0x00, 0, 0, 5, 0, 2, 2);
    expect_sector_in_ram(0x10000, lba_off(5, 0, 1), "C5 R1 by implied seek");
}

Test(fdc, dma_not_ready_overruns)
{
    make_image(SIZE_144);
    open_image(false);
    bring_up();
    dma_setup(true, 0x10000, 512);
    out8(0x0A, 0x06); /* mask channel 2 */
    SEND(0x46, 0x00, 0, 0, 1, 2, 18, 0x1B, 0xFF);
    run();
    EXPECT(0x40, 0x10, 0, 0, 0, 1, 2);
    cr_expect(eq(u8, bus.ram[0x10000], 0));
}

Test(fdc, dma_past_the_end_of_ram)
{
    make_image(SIZE_144);
    open_image(false);
    bring_up();
    dma_setup(true, 0x0FFF00, 1024); /* wraps inside page 0x0F */
    SEND(0x46, 0x00, 0, 0, 1, 2, 18, 0x1B, 0xFF);
    run();
    EXPECT(0x00, 0, 0, 0, 0, 3, 2);
    cr_expect(eq(u8, bus.ram[0x0FFF00], pat(0)));
    cr_expect(eq(u8, bus.ram[0x0F0000], pat(256)), "the address wrapped inside the page");
    dma_setup(true, 0x1FFF00, 1024); /* page 0x1F: no RAM there */
    SEND(0x46, 0x00, 0, 0, 1, 2, 18, 0x1B, 0xFF);
    run();
    EXPECT(0x00, 0, 0, 0, 0, 3, 2);
}

/* ---- WRITE DATA, FORMAT ---- */

Test(fdc, write_data_by_dma_lands_in_the_file)
{
    make_image(SIZE_144);
    open_image(false);
    bring_up();
    seek(0, 7);
    for (unsigned i = 0; i < 1024; i++)
        bus.ram[0x40000 + i] = (uint8_t)(i * 3 + 1);
    dma_setup(false, 0x40000, 1024);
    SEND(0xC5, 0x04, 7, 1, 4, 2, 18, 0x1B, 0xFF);
    run();
    EXPECT(0x04, 0, 0, 7, 1, 6, 2);
    cr_assert(eq(int, blockdev_flush(&bd), 0));
    uint64_t off = lba_off(7, 1, 4);
    for (unsigned i = 0; i < 1024; i += 97)
        cr_expect(eq(u8, file_byte(off + i), (uint8_t)(i * 3 + 1)), "byte %u", i);
    cr_expect(eq(u8, file_byte(off + 1024), pat(off + 1024)), "the next sector untouched");
    cr_expect(eq(u8, file_byte(off - 1), pat(off - 1)));
}

Test(fdc, write_protected_image)
{
    make_image(SIZE_144);
    open_image(true);
    bring_up();
    SEND(0x04, 0x00);
    EXPECT(0x38 | 0x40 | 0x10); /* WP */
    dma_setup(false, 0x40000, 512);
    SEND(0x45, 0x00, 0, 0, 1, 2, 18, 0x1B, 0xFF);
    run();
    EXPECT(0x40, 0x02, 0, 0, 0, 1, 2); /* NW */
    cr_expect(eq(u8, file_byte(0), pat(0)));
    SEND(0x4D, 0x00, 2, 18, 0x6C, 0xF6);
    run();
    uint8_t r[7];
    result(r, 7);
    cr_expect(eq(u8, r[0], 0x40));
    cr_expect(eq(u8, r[1], 0x02));
}

Test(fdc, format_track)
{
    make_image(SIZE_144);
    open_image(false);
    bring_up();
    seek(0, 3);
    for (unsigned s = 0; s < 18; s++) {
        uint8_t *id = bus.ram + 0x50000 + 4 * s;
        id[0] = 3;
        id[1] = 1;
        id[2] = (uint8_t)(s + 1);
        id[3] = 2;
    }
    dma_setup(false, 0x50000, 18 * 4);
    SEND(0x4D, 0x04, 2, 18, 0x6C, 0xF6);
    run();
    uint8_t r[7];
    result(r, 7);
    cr_expect(eq(u8, r[0], 0x04));
    cr_expect(eq(u8, r[1], 0));
    cr_expect(eq(u8, r[2], 0));
    cr_assert(eq(int, blockdev_flush(&bd), 0));
    for (unsigned s = 1; s <= 18; s++) {
        cr_expect(eq(u8, file_byte(lba_off(3, 1, s)), 0xF6), "sector %u", s);
        cr_expect(eq(u8, file_byte(lba_off(3, 1, s) + 511), 0xF6));
    }
    cr_expect(eq(u8, file_byte(lba_off(3, 0, 18)), pat(lba_off(3, 0, 18))), "side 0 untouched");
    cr_expect(eq(u8, file_byte(lba_off(4, 0, 1)), pat(lba_off(4, 0, 1))));
}

/* ---- Non-DMA mode ---- */

Test(fdc, pio_read)
{
    make_image(SIZE_144);
    open_image(false);
    bring_up();
    SEND(0x03, 0xAF, 0x03); /* ND */
    seek(0, 9);
    SEND(0x46, 0x00, 9, 0, 17, 2, 18, 0x1B, 0xFF);
    cr_expect(eq(u8, msr(), 0x10), "CB until the sector is found");
    run();
    cr_expect(irq_level, "a data request interrupts in non-DMA mode");
    for (unsigned k = 0; k < 2; k++) {
        uint64_t off = lba_off(9, 0, 17 + k);
        for (unsigned i = 0; i < 512; i++) {
            cr_assert(eq(u8, msr(), 0xF0), "RQM DIO NON-DMA CB at byte %u", i);
            cr_assert(eq(u8, in8(0x3F5), pat(off + i)), "sector %u byte %u", 17 + k, i);
        }
    }
    /* No TC in non-DMA mode: the transfer ends at EOT with EN. */
    cr_expect(irq_level);
    EXPECT(0x40, 0x80, 0, 10, 0, 1, 2);
    cr_expect(not(irq_level));
}

Test(fdc, pio_write)
{
    make_image(SIZE_144);
    open_image(false);
    bring_up();
    SEND(0x03, 0xAF, 0x03);
    SEND(0x45, 0x00, 0, 0, 18, 2, 18, 0x1B, 0xFF);
    run();
    for (unsigned i = 0; i < 512; i++) {
        cr_assert(eq(u8, msr(), 0xB0), "RQM NON-DMA CB, DIO clear, at byte %u", i);
        out8(0x3F5, (uint8_t)(0xFF - i));
    }
    EXPECT(0x40, 0x80, 0, 1, 0, 1, 2);
    cr_assert(eq(int, blockdev_flush(&bd), 0));
    cr_expect(eq(u8, file_byte(lba_off(0, 0, 18)), 0xFF));
    cr_expect(eq(u8, file_byte(lba_off(0, 0, 18) + 511), 0x00));
}

/* ---- Media and drives ---- */

Test(fdc, disk_change_line)
{
    make_image(SIZE_144);
    open_image(false);
    bring_up();
    cr_expect(eq(u8, in8(0x3F7) & 0x80, 0x80), "active after power-on");
    seek(0, 0);
    cr_expect(eq(u8, in8(0x3F7) & 0x80, 0x80), "no step pulse, no reset of the line");
    seek(0, 1);
    cr_expect(eq(u8, in8(0x3F7) & 0x80, 0x00), "a step with a disk in resets it");
    cr_assert(eq(int, fdc_attach(&fdc, 0, NULL), 0));
    cr_expect(eq(u8, in8(0x3F7) & 0x80, 0x80), "ejecting sets it");
    seek(0, 2);
    cr_expect(eq(u8, in8(0x3F7) & 0x80, 0x80), "stepping an empty drive does not reset it");
    cr_assert(eq(int, fdc_attach(&fdc, 0, &bd), 0));
    cr_expect(eq(u8, in8(0x3F7) & 0x80, 0x80));
    seek(0, 3);
    cr_expect(eq(u8, in8(0x3F7) & 0x80, 0x00));
    /* The line of the drive the DOR selects. */
    cr_assert(eq(int, fdc_set_drive_type(&fdc, 1, 4), 0));
    out8(0x3F2, 0x2D);
    cr_expect(eq(u8, in8(0x3F7) & 0x80, 0x80), "drive 1 never had a disk");
}

Test(fdc, drive_without_a_disk)
{
    cr_assert(eq(int, fdc_set_drive_type(&fdc, 0, 4), 0));
    bring_up();
    SEND(0x04, 0x00);
    EXPECT(0x38 | 0x40 | 0x10); /* no disk: write protected */
    SEND(0x4A, 0x00);
    run();
    uint8_t r[7];
    result(r, 7);
    cr_expect(eq(u8, r[0], 0x40));
    cr_expect(eq(u8, r[1], 0x01));
    dma_setup(true, 0x10000, 512);
    SEND(0x46, 0x00, 0, 0, 1, 2, 18, 0x1B, 0xFF);
    run();
    EXPECT(0x40, 0x01, 0, 0, 0, 1, 2);
}

Test(fdc, a_720k_disk_in_its_drive)
{
    make_image(SIZE_720);
    open_image(false);
    cr_expect(eq(u8, fdc_cmos_type(&fdc, 0), 3));
    bring_up();
    dma_setup(true, 0x10000, 512);
    SEND(0x46, 0x00, 0, 0, 9, 2, 9, 0x1B, 0xFF);
    run();
    EXPECT(0x40, 0x01, 0, 0, 0, 9, 2); /* 500 kbit/s: nothing */
    out8(0x3F7, 0x02);
    seek(0, 1);
    dma_setup(true, 0x10000, 512);
    SEND(0x46, 0x04, 1, 1, 9, 2, 9, 0x1B, 0xFF);
    run();
    EXPECT(0x04, 0, 0, 2, 1, 1, 2);
    expect_sector_in_ram(0x10000, ((1 * 2 + 1) * 9 + 8) * 512ull, "720K C1 H1 R9");
}

Test(fdc, cmos_types_by_image_size)
{
    static const struct { uint32_t size; uint8_t type; } t[] = {
        { 163840, 1 }, { 184320, 1 }, { 327680, 1 }, { 368640, 1 }, { 737280, 3 },
        { 1228800, 2 }, { 1474560, 4 }, { 1720320, 4 }, { 1763328, 4 }, { 2949120, 5 },
    };
    cr_expect(eq(u8, fdc_cmos_type(&fdc, 0), 0), "no drive");
    cr_expect(eq(u8, fdc_cmos_type(&fdc, 1), 0));
    cr_expect(eq(u8, fdc_cmos_type(&fdc, 7), 0));
    for (unsigned i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
        struct blockdev b = { .size = t[i].size };
        strcpy(b.name, "test");
        cr_assert(eq(int, fdc_set_drive_type(&fdc, 1, 0), 0));
        cr_assert(eq(int, fdc_attach(&fdc, 1, &b), 0), "size %u", t[i].size);
        cr_expect(eq(u8, fdc_cmos_type(&fdc, 1), t[i].type), "size %u", t[i].size);
        cr_assert(eq(int, fdc_attach(&fdc, 1, NULL), 0));
        cr_expect(eq(u8, fdc_cmos_type(&fdc, 1), t[i].type), "the drive stays after an eject");
    }
    struct blockdev odd = { .size = 1000000 };
    strcpy(odd.name, "odd");
    cr_expect(eq(int, fdc_attach(&fdc, 1, &odd), -EINVAL));
    cr_expect(eq(int, fdc_attach(&fdc, 2, NULL), -EINVAL));
    /* A 1.44M drive reads 720K disks; a 720K drive not 1.44M ones. */
    struct blockdev b720 = { .size = 737280 }, b144 = { .size = 1474560 };
    cr_assert(eq(int, fdc_set_drive_type(&fdc, 1, 4), 0));
    cr_expect(eq(int, fdc_attach(&fdc, 1, &b720), 0));
    cr_assert(eq(int, fdc_set_drive_type(&fdc, 1, 0), 0));
    cr_assert(eq(int, fdc_set_drive_type(&fdc, 1, 3), 0));
    cr_expect(eq(int, fdc_attach(&fdc, 1, &b144), -EINVAL));
    cr_expect(eq(int, fdc_set_drive_type(&fdc, 1, 6), -EINVAL));
    cr_expect(fdc_format_for_size(1474560) != NULL);
    cr_expect(eq(u8, fdc_format_for_size(1474560)->spt, 18));
    cr_expect(fdc_format_for_size(0) == NULL);
}

/* ---- Abuse: the FIFO in every phase ---- */

Test(fdc, fifo_flood_in_every_phase)
{
    make_image(SIZE_144);
    open_image(false);
    bring_up();
    /* Command phase: every byte value, many times, forming whatever
     * commands they form; results read or not, clock advancing. */
    for (unsigned k = 0; k < 40000; k++) {
        out8(0x3F5, (uint8_t)(k * 37 + (k >> 8)));
        expect_bounds();
        if (k % 7 == 0)
            (void)in8(0x3F5);
        if (k % 101 == 0)
            clock_advance_to(&clk, clk.now + 3000 * (k % 13));
        expect_bounds();
    }
    /* Back to a known state, and the controller still works. */
    out8(0x3F4, 0x80);
    run();
    for (unsigned d = 0; d < 4; d++)
        sense_expect((uint8_t)(0xC0 | d), 0);
    out8(0x3F7, 0x00);
    SEND(0x03, 0xAF, 0x02);
    SEND(0x13, 0x00, 0x20, 0x00);
    /* The head may be anywhere (up to 83): two recalibrates reach 0. */
    SEND(0x07, 0x00);
    run();
    SEND(0x08);
    uint8_t rr[2];
    result(rr, 2);
    SEND(0x07, 0x00);
    run();
    sense_expect(0x20, 0);

    /* Execution phase (DMA): bytes written and read are ignored. */
    dma_setup(true, 0x10000, 512);
    SEND(0x46, 0x00, 0, 0, 1, 2, 18, 0x1B, 0xFF);
    for (unsigned k = 0; k < 5000; k++) {
        out8(0x3F5, (uint8_t)k);
        (void)in8(0x3F5);
        expect_bounds();
    }
    cr_expect(eq(u8, msr(), 0x10));
    run();
    /* Result phase: writes are dropped, the results are intact. */
    for (unsigned k = 0; k < 5000; k++) {
        out8(0x3F5, (uint8_t)k);
        expect_bounds();
    }
    EXPECT(0x00, 0, 0, 0, 0, 2, 2);
    expect_sector_in_ram(0x10000, lba_off(0, 0, 1), "after the flood");
    /* Reading past the last result byte: command phase, nothing breaks. */
    for (unsigned k = 0; k < 5000; k++) {
        (void)in8(0x3F5);
        expect_bounds();
    }
    cr_expect(eq(u8, msr(), 0x80));

    /* Non-DMA read: writes ignored, reads past the track end the command. */
    SEND(0x03, 0xAF, 0x03);
    SEND(0x46, 0x00, 0, 0, 1, 2, 18, 0x1B, 0xFF);
    run();
    for (unsigned k = 0; k < 3000; k++)
        out8(0x3F5, 0xAA);
    cr_expect(eq(u8, in8(0x3F5), pat(0)), "the data is unchanged by writes");
    for (unsigned k = 0; k < 40000; k++) {
        (void)in8(0x3F5);
        expect_bounds();
    }
    cr_expect(eq(u8, msr(), 0x80), "transfer, result and the phase after all read");

    /* Non-DMA write: a flood fills the sectors to EOT, then is dropped. */
    SEND(0x45, 0x00, 0, 0, 10, 2, 18, 0x1B, 0xFF);
    run();
    for (unsigned k = 0; k < 40000; k++) {
        out8(0x3F5, 0x5A);
        expect_bounds();
    }
    EXPECT(0x40, 0x80, 0, 1, 0, 1, 2);
    cr_assert(eq(int, blockdev_flush(&bd), 0));
    cr_expect(eq(u8, file_byte(lba_off(0, 0, 18) + 511), 0x5A));
    cr_expect(eq(u8, file_byte(lba_off(0, 1, 1)), pat(lba_off(0, 1, 1))), "nothing past EOT");

    /* Non-DMA format: IDs by the FIFO, the rest dropped. */
    SEND(0x4D, 0x00, 2, 2, 0x6C, 0xE5);
    run();
    for (unsigned k = 0; k < 1000; k++) {
        static const uint8_t id[4] = { 0, 0, 1, 2 };
        out8(0x3F5, id[k % 4]);
        expect_bounds();
    }
    uint8_t r[7];
    result(r, 7);
    cr_expect(eq(u8, r[0], 0x00));

    /* While held in reset. */
    out8(0x3F2, 0x18);
    for (unsigned k = 0; k < 1000; k++) {
        out8(0x3F5, (uint8_t)k);
        (void)in8(0x3F5);
        expect_bounds();
    }
    cr_expect(eq(u8, msr(), 0x00));
}

Test(fdc, random_port_traffic_stays_in_bounds)
{
    make_image(SIZE_144);
    open_image(false);
    cr_assert(eq(int, fdc_set_drive_type(&fdc, 1, 4), 0));
    uint32_t s = 12345;
    for (unsigned k = 0; k < 200000; k++) {
        s = s * 1103515245u + 12345u;
        uint16_t port = (uint16_t)(0x3F0 + ((s >> 16) & 7));
        uint8_t v = (uint8_t)(s >> 24);
        if (port == 0x3F2 && (v & 3) > 1 && (s & 0x100))
            v &= 0xFD;
        if (s & 0x8000)
            out8(port, v);
        else
            (void)in8(port);
        if ((s & 0xFF) == 0)
            clock_advance_to(&clk, clk.now + 20000);
        if ((k & 0xFFF) == 0) {
            dma_setup(s & 1, (s >> 4) & 0x1FFFFF, (uint16_t)(s >> 12));
            if ((s & 0x30) == 0)
                cr_assert(eq(int, fdc_attach(&fdc, 0, (s & 0x40) ? NULL : &bd), 0));
        }
        expect_bounds();
    }
}
