/* One regression test per class of bug that QEMU's security advisories
 * keep finding in device and loader code, each on a whole machine (the
 * devices wired as in a real run) and named after its class:
 *   fifo_index            a command or data FIFO driven past its end
 *                         (the floppy controller's VENOM, CVE-2015-3456)
 *   dma_length_and_prd_walking
 *                         bus-master DMA whose descriptor table never ends,
 *                         wraps or points past RAM
 *   vga_vbe_bounds        VBE geometry and offsets beyond video memory
 *   multiboot_header_fields
 *                         load addresses in a kernel's header that point
 *                         outside the file or outside RAM
 *   savestate_indexes     a savestate whose positions and indexes are out
 *                         of range
 *   dma_reentrancy_into_mmio
 *                         DMA aimed at device registers, including the
 *                         DMA engine's own
 * Each must end in the architecturally right state or a clean refusal;
 * under the sanitizer build (unit-check-san) any access out of bounds is
 * a failure too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "devices/fw_cfg.h"
#include "devices/ide.h"
#include "devices/lapic.h"
#include "devices/pci.h"
#include "disks/blockdev.h"
#include "machine/machine.h"
#include "machine/multiboot.h"
#include "machine/savestate.h"
#include "tests/unit/unit.h"

#define RAM (4u << 20)
#define BM 0xC000 /* the IDE bus-master block, where the tests put BAR4 */

static struct machine M;
static FILE *null_out;

static void setup(void)
{
    struct machine_config cfg;
    machine_config_default(&cfg);
    cfg.ram_size = RAM;
    cfg.rtc_fixed = true;
    null_out = fopen("/dev/null", "w");
    cr_assert(not(eq(ptr, null_out, NULL)));
    cfg.debugcon = null_out;
    cr_assert(eq(int, machine_init(&M, &cfg), 0));
}

static void teardown(void)
{
    machine_free(&M);
    fclose(null_out);
}

TestSuite(cve_class, .init = setup, .fini = teardown, .timeout = 60.0);

static uint8_t in8(uint16_t port)
{
    return (uint8_t)bus_in(&M.bus, port, 1);
}

static void out8(uint16_t port, uint8_t v)
{
    bus_out(&M.bus, port, v, 1);
}

static void put32(uint32_t addr, uint32_t v)
{
    bus_write(&M.bus, addr, v, 4);
}

static uint32_t cfg_addr(unsigned dev, unsigned fn, unsigned reg)
{
    return 0x80000000u | dev << 11 | fn << 8 | reg;
}

/* The 82077AA: a command whose parameters the guest keeps sending past the
 * command's length, for every opcode (VENOM sent DRIVE SPECIFICATION and
 * READ ID parameters without end), then the UART's and the keyboard
 * controller's queues flooded.  The FDC must end each in a phase it can
 * report and come back to accepting commands after a reset. */
Test(cve_class, fifo_index)
{
    for (unsigned opc = 0; opc < 256; opc++) {
        out8(0x3F2, 0x00); /* reset */
        out8(0x3F2, 0x0C);
        for (int i = 0; i < 600; i++) {
            uint8_t msr = in8(0x3F4);
            if (msr & 0x40) /* the controller has bytes for us: read them */
                (void)in8(0x3F5);
            else
                out8(0x3F5, i ? (uint8_t)(0x8E + i) : (uint8_t)opc);
        }
        uint8_t msr = in8(0x3F4);
        cr_assert(0 != (msr & 0xB0),
                  "opcode %02X: MSR %02X is not a phase the guest can wait on", opc, msr);
    }
    out8(0x3F2, 0x00);
    out8(0x3F2, 0x0C);
    /* After a reset the controller takes SENSE INTERRUPT STATUS again. */
    for (int i = 0; i < 4; i++) {
        out8(0x3F5, 0x08);
        (void)in8(0x3F5);
        (void)in8(0x3F5);
    }
    cr_assert(eq(u8, in8(0x3F4) & 0xC0, 0x80), "ready for a command after the resets");

    /* COM1 with FIFOs, in loopback: 1000 bytes into a 16-byte FIFO. */
    out8(0x3FB, 0x80);
    out8(0x3F8, 0x01);
    out8(0x3F9, 0x00);
    out8(0x3FB, 0x03);
    out8(0x3FA, 0xC7);
    out8(0x3FC, 0x10);
    for (int i = 0; i < 1000; i++)
        out8(0x3F8, (uint8_t)i);
    unsigned got = 0;
    while ((in8(0x3FD) & 0x01) && got < 100) {
        (void)in8(0x3F8);
        got++;
    }
    cr_assert(le(uint, got, 16), "no more than the FIFO's 16 bytes come back (%u)", got);

    /* The keyboard controller: commands that queue replies, never read. */
    for (int i = 0; i < 5000; i++) {
        out8(0x64, 0xD2); /* write keyboard output buffer */
        out8(0x60, (uint8_t)i);
        out8(0x60, 0xF2); /* keyboard: identify */
    }
    unsigned replies = 0;
    while ((in8(0x64) & 0x01) && replies < 10000) {
        (void)in8(0x60);
        replies++;
    }
    cr_assert(lt(uint, replies, 100), "the queued replies are bounded (%u)", replies);
}

/* PIIX bus-master IDE on an ATA disk: PRD tables that lead nowhere. */
static char disk_path[64];
static struct blockdev disk;

static void attach_disk(void)
{
    strcpy(disk_path, "/tmp/popek-cve-XXXXXX");
    int fd = mkstemp(disk_path);
    cr_assert(ge(int, fd, 0));
    static uint8_t img[1024 * 512];
    for (size_t i = 0; i < sizeof(img); i++)
        img[i] = (uint8_t)(i * 13 + 7);
    cr_assert(eq(long, (long)write(fd, img, sizeof(img)), (long)sizeof(img)));
    close(fd);
    cr_assert(eq(int, blockdev_open(&disk, disk_path, BLOCKDEV_RAW, false), 0));
    cr_assert(eq(int, pc_attach_ide_disk(&M, 0, &disk), 0));
    bus_out(&M.bus, 0xCF8, cfg_addr(1, 1, 0x20), 4);
    bus_out(&M.bus, 0xCFC, BM | 1, 4);
    bus_out(&M.bus, 0xCF8, cfg_addr(1, 1, 0x04), 4);
    bus_out(&M.bus, 0xCFC, 0x05, 2); /* I/O and bus master */
}

static void detach_disk(void)
{
    unlink(disk_path);
}

/* READ DMA of count sectors at LBA 0 through the table at prdt; the status
 * the bus-master engine ends with. */
static uint8_t read_dma(uint32_t prdt, unsigned count)
{
    bus_out(&M.bus, BM + 2, 0x06, 1); /* clear interrupt and error */
    bus_out(&M.bus, BM + 4, prdt, 4);
    out8(0x1F6, 0xE0);
    out8(0x1F2, (uint8_t)count);
    out8(0x1F3, 0);
    out8(0x1F4, 0);
    out8(0x1F5, 0);
    bus_out(&M.bus, BM, 0x08, 1); /* to memory */
    out8(0x1F7, 0xC8);
    bus_out(&M.bus, BM, 0x09, 1); /* start */
    uint8_t st = (uint8_t)bus_in(&M.bus, BM + 2, 1);
    bus_out(&M.bus, BM, 0x00, 1);
    return st;
}

Test(cve_class, dma_length_and_prd_walking)
{
    attach_disk();
    /* 1. A table of 64 KiB entries (count 0) without the end bit filling
     * a whole 64 KiB of table: the transfer (255 sectors) ends long before
     * the table does, which the engine reports as the Bus Master IDE
     * specification says for a table larger than the transfer: interrupt,
     * and still active. */
    for (uint32_t i = 0; i < 0x10000 / 8; i++) {
        put32(0x100000 + 8 * i, 0x200000);
        put32(0x100000 + 8 * i + 4, 0);
    }
    uint8_t st = read_dma(0x100000, 255);
    cr_assert(eq(u8, st & 0x07, 0x05), "interrupt, active, no error: %02X", st);
    cr_assert(eq(u8, M.bus.ram[0x200000], (uint8_t)7), "the data went where the first entry says");
    /* 2. Entries pointing at the last bytes of RAM and past it: what lies
     * beyond RAM is dropped, nothing else is written. */
    uint8_t before = M.bus.ram[0];
    put32(0x1000, RAM - 256);
    put32(0x1004, 0x80000000u | 4096);
    st = read_dma(0x1000, 8);
    cr_assert(eq(u8, st & 0x01, 0x00), "the engine stopped: %02X", st);
    cr_assert(eq(u8, M.bus.ram[0], before), "nothing wrapped to address 0");
    cr_assert(eq(u8, M.bus.ram[RAM - 256], (uint8_t)7), "the part inside RAM was written");
    /* 3. A table at the top of the 4 GiB space, in no memory at all: the
     * table reads as all ones (an entry of FFFEh bytes at FFFFFFFEh with
     * the end bit), larger than the 8 KiB transfer, which goes nowhere. */
    st = read_dma(0xFFFFFFF8u, 16);
    cr_assert(eq(u8, st & 0x07, 0x05), "interrupt, active, no error: %02X", st);
    /* 4. A table too short for the command: error and interrupt. */
    put32(0x1000, 0x200000);
    put32(0x1004, 0x80000000u | 512);
    st = read_dma(0x1000, 4);
    cr_assert(eq(u8, st & 0x07, 0x06), "error and interrupt: %02X", st);
    detach_disk();
}

/* Bochs VBE (DISPI) registers at 0x1CE/0x1CF. */
static void dispi(uint16_t index, uint16_t value)
{
    bus_out(&M.bus, 0x1CE, index, 2);
    bus_out(&M.bus, 0x1CF, value, 2);
}

static uint16_t dispi_get(uint16_t index)
{
    bus_out(&M.bus, 0x1CE, index, 2);
    return (uint16_t)bus_in(&M.bus, 0x1CF, 2);
}

Test(cve_class, vga_vbe_bounds)
{
    cr_assert(M.pc.has_vga);
    bus_out(&M.bus, 0xCF8, cfg_addr(2, 0, 0x10), 4);
    bus_out(&M.bus, 0xCFC, 0xFD000008u, 4);
    bus_out(&M.bus, 0xCF8, cfg_addr(2, 0, 0x04), 4);
    bus_out(&M.bus, 0xCFC, 0x03, 2);
    static const uint16_t bpps[] = { 4, 8, 15, 16, 24, 32 };
    for (unsigned k = 0; k < sizeof(bpps) / sizeof(bpps[0]); k++) {
        dispi(4, 0); /* disabled while the geometry changes */
        dispi(1, 0xFFFF);     /* xres */
        dispi(2, 0xFFFF);     /* yres */
        dispi(3, bpps[k]);    /* bpp */
        dispi(6, 0xFFFF);     /* virtual width */
        dispi(8, 0xFFFF);     /* x offset */
        dispi(9, 0xFFFF);     /* y offset */
        dispi(5, 0xFFFF);     /* bank */
        dispi(4, 0x41);       /* enabled, linear frame buffer */
        uint32_t x = dispi_get(1), y = dispi_get(2), vw = dispi_get(6), bpp = dispi_get(3);
        uint32_t bits = bpp == 15 ? 16 : bpp;
        cr_assert(le(u64, (uint64_t)vw * y * bits / 8, VGA_VRAM_SIZE),
                  "bpp %u: the mode the registers now hold (%ux%u, virtual width %u) fits video memory", bpp, x, y,
                  vw);
        struct vga_frame *f;
        (void)vga_update(&M.pc.vga, &f);
        /* The banked window and the LFB's last bytes, both ways. */
        for (uint32_t a = 0xA0000; a < 0xB0000; a += 0x1000)
            bus_write(&M.bus, a + 0xFFC, 0xA5A5A5A5u, 4);
        bus_write(&M.bus, 0xFD000000u + VGA_VRAM_SIZE - 4, 0x5A5A5A5Au, 4);
        cr_assert(eq(u32, bus_read(&M.bus, 0xFD000000u + VGA_VRAM_SIZE - 4, 4), 0x5A5A5A5Au));
        (void)bus_read(&M.bus, 0xFD000000u + VGA_VRAM_SIZE - 2, 4); /* straddles the BAR's end */
        (void)vga_update(&M.pc.vga, &f);
    }
}

/* A multiboot header with the a.out kludge (flag 16) at offset 0 of a
 * 4 KiB image: header_addr, load_addr, load_end_addr, bss_end_addr, entry. */
static int boot_kludge(uint32_t header, uint32_t load, uint32_t load_end, uint32_t bss_end, uint32_t entry)
{
    static uint8_t img[4096];
    memset(img, 0x90, sizeof(img));
    const uint32_t magic = 0x1BADB002u, flags = 0x00010000u;
    const uint32_t w[8] = { magic, flags, 0u - magic - flags, header, load, load_end, bss_end, entry };
    for (unsigned i = 0; i < 8; i++)
        for (unsigned b = 0; b < 4; b++)
            img[4 * i + b] = (uint8_t)(w[i] >> (8 * b));
    return multiboot_boot(&M, img, sizeof(img), "", NULL, 0, 0);
}

Test(cve_class, multiboot_header_fields)
{
    const uint32_t base = 0x100000;
    cr_assert(eq(int, boot_kludge(base, base, 0, 0, base + 0x20), 0), "a sane header loads");
    cr_assert(eq(u8, M.bus.ram[base + 0x20], 0x90));
    memset(M.bus.ram + base, 0, 0x2000);
    uint8_t *copy = malloc(RAM);
    cr_assert(not(eq(ptr, copy, NULL)));
    memcpy(copy, M.bus.ram, RAM);
    static const struct {
        const char *what;
        uint32_t header, load, load_end, bss_end;
    } bad[] = {
        { "load_addr above header_addr", base, base + 4, 0, 0 },
        { "header_addr too far above load_addr for the file", base + 0x10000, base, 0, 0 },
        { "load_end_addr below load_addr", base, base, base - 1, 0 },
        { "load_end_addr past the end of the file", base, base, base + 0x100000, 0 },
        { "bss_end_addr past the end of RAM", base, base, 0, RAM + 0x1000 },
        { "bss_end_addr at the top of the 4 GiB space", base, base, 0, 0xFFFFFFFFu },
        { "a load address past the end of RAM", RAM + 0x1000, RAM + 0x1000, 0, 0 },
        { "a load range that wraps around 4 GiB", 0xFFFFF800u, 0xFFFFF800u, 0, 0 },
        { "a load address in the first page", 0, 0, 0, 0 },
    };
    for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cr_assert(lt(int, boot_kludge(bad[i].header, bad[i].load, bad[i].load_end, bad[i].bss_end, base), 0),
                  "%s: refused", bad[i].what);
        cr_assert(eq(int, memcmp(copy, M.bus.ram, RAM), 0), "%s: RAM untouched", bad[i].what);
    }
    free(copy);
}

/* A savestate file around a payload: the header of docs/savestates.md,
 * then the payload as one zlib stream. */
static uint8_t *savestate_file(const uint8_t *payload, size_t len, size_t *out_len)
{
    uLongf zlen = compressBound(len);
    uint8_t *f = malloc(32 + zlen);
    cr_assert(not(eq(ptr, f, NULL)));
    cr_assert(eq(int, compress2(f + 32, &zlen, payload, len, 1), Z_OK));
    const uint32_t crc = (uint32_t)crc32(0, payload, (uInt)len);
    memcpy(f, "POPEKSV\n", 8);
    const uint32_t fields[6] = { 1, 0, (uint32_t)len, (uint32_t)((uint64_t)len >> 32), crc, 0 };
    for (unsigned k = 0; k < 6; k++)
        for (unsigned b = 0; b < 4; b++)
            f[8 + 4 * k + b] = (uint8_t)(fields[k] >> (8 * b));
    *out_len = 32 + zlen;
    return f;
}

/* A whole machine's savestate with the bytes of its device sections (the
 * sections but RAM and video memory, where the positions and indexes are)
 * damaged one at a time: every load either takes the value, which was in
 * range, or is refused with the machine left exactly as it was (its state
 * saved again equals, byte for byte, the state before). */
Test(cve_class, savestate_indexes, .timeout = 300.0)
{
    /* Some state in the indexed registers and FIFOs first. */
    out8(0x70, 0x0A);
    out8(0x3D4, 0x0E);
    out8(0x3C4, 0x02);
    out8(0x3FB, 0x03);
    out8(0x3FA, 0x07);
    for (int i = 0; i < 5; i++)
        out8(0x3F8, (uint8_t)('a' + i));
    uint8_t *plain;
    size_t plain_len;
    cr_assert(eq(int, machine_checkpoint_save(&M, &plain, &plain_len), 0));
    /* The sections: name length, name, version (4), body length (8), body. */
    struct span {
        size_t at, len;
        char name[32];
    } body[64];
    unsigned nb = 0;
    for (size_t p = 0; p < plain_len && nb < 64;) {
        unsigned nl = plain[p];
        cr_assert(le(sz, p + 1 + nl + 12, plain_len), "section header at %zu", p);
        uint64_t bl = 0;
        for (unsigned b = 0; b < 8; b++)
            bl |= (uint64_t)plain[p + 1 + nl + 4 + b] << (8 * b);
        size_t at = p + 1 + nl + 12;
        cr_assert(le(u64, bl, plain_len - at));
        bool big = (nl == 3 && !memcmp(plain + p + 1, "ram", 3)) || (nl == 3 && !memcmp(plain + p + 1, "vga", 3));
        if (!big) {
            body[nb] = (struct span){ at, (size_t)bl, { 0 } };
            memcpy(body[nb++].name, plain + p + 1, nl < 31 ? nl : 31);
        }
        p = at + (size_t)bl;
    }
    cr_assert(gt(uint, nb, 10), "the device sections were found (%u)", nb);
    size_t total = 0;
    for (unsigned k = 0; k < nb; k++)
        total += body[k].len;
    size_t stride = total / 600 + 1; /* about 600 loads */

    size_t good_len;
    uint8_t *good = savestate_file(plain, plain_len, &good_len);
    char err[256];
    cr_assert(eq(int, machine_loadvm_buffer(&M, good, good_len, err, sizeof(err)), 0), "%s", err);
    uint8_t *work = malloc(plain_len);
    cr_assert(not(eq(ptr, work, NULL)));
    unsigned refused = 0, loaded = 0;
    for (unsigned k = 0; k < nb; k++)
        for (size_t off = 0; off < body[k].len; off += stride) {
            const size_t at = body[k].at + off;
            memcpy(work, plain, plain_len);
            work[at] = (uint8_t)(work[at] == 0xFF ? 0x80 : 0xFF); /* out of any small range */
            size_t flen;
            uint8_t *file = savestate_file(work, plain_len, &flen);
            if (machine_loadvm_buffer(&M, file, flen, err, sizeof(err)) == 0) {
                loaded++;
                cr_assert(eq(int, machine_loadvm_buffer(&M, good, good_len, err, sizeof(err)), 0),
                          "byte %zu (section %s, offset %zu) damaged was taken, and then the good state is "
                          "refused: %s",
                          at, body[k].name, off, err);
            } else {
                refused++;
                uint8_t *now;
                size_t now_len;
                cr_assert(eq(int, machine_checkpoint_save(&M, &now, &now_len), 0));
                cr_assert(eq(sz, now_len, plain_len));
                cr_assert(eq(int, memcmp(now, plain, plain_len), 0),
                          "byte %zu (section %s, offset %zu) refused (%s), but the machine changed", at,
                          body[k].name, off, err);
                free(now);
            }
            free(file);
        }
    cr_log_info("savestate_indexes: %u damaged device bytes refused, %u taken", refused, loaded);
    cr_assert(gt(uint, refused, 0), "out-of-range values are refused");
    free(work);
    free(good);
    free(plain);
}

/* DMA aimed at device registers.  fw_cfg's DMA engine reads its descriptor
 * from guest memory and writes the item where the descriptor says: point
 * the descriptor, and then the data, at the local APIC's page, at the VGA's
 * MMIO, and at the descriptor's own location; IDE bus-master DMA into the
 * APIC page.  Each must finish (the descriptor's control word reads back
 * 0: done) without the device running itself again from inside. */
static void fw_cfg_dma(uint32_t desc)
{
    /* The address register is big-endian: high half at 0x514, low at 0x518. */
    bus_out(&M.bus, FW_CFG_PORT_DMA, 0, 4);
    bus_out(&M.bus, FW_CFG_PORT_DMA + 4, (desc >> 24) | ((desc >> 8) & 0xFF00) | ((desc << 8) & 0xFF0000) | desc << 24,
            4);
}

static void desc_at(uint32_t at, uint32_t control, uint32_t length, uint32_t addr)
{
    const uint32_t be[4] = { control, length, 0, addr };
    for (unsigned i = 0; i < 4; i++)
        for (unsigned b = 0; b < 4; b++)
            bus_write8(&M.bus, at + 4 * i + b, (uint8_t)(be[i] >> (24 - 8 * b)));
}

Test(cve_class, dma_reentrancy_into_mmio)
{
    const uint32_t sel_sig = (uint32_t)FW_CFG_SIGNATURE << 16 | FW_CFG_DMA_SELECT | FW_CFG_DMA_READ;
    static const uint32_t targets[] = { LAPIC_DEFAULT_BASE, 0xFEC00000u, 0xA0000, 0xFD000000u, 0xFFFFFFF0u };
    for (unsigned i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
        desc_at(0x2000, sel_sig, 4096, targets[i]);
        fw_cfg_dma(0x2000);
        uint8_t ctl = bus_read8(&M.bus, 0x2003);
        cr_assert(ctl == 0 || ctl == FW_CFG_DMA_ERROR, "target %08X: the descriptor was completed (%02X)", targets[i],
                  ctl);
    }
    /* The data lands on the descriptor itself and on the DMA address
     * register's neighbourhood in RAM: the engine must use the descriptor
     * it read, not re-read what it is overwriting. */
    memset(M.bus.ram + 0x3000, 0xEE, 64);
    desc_at(0x3000, sel_sig, 64, 0x3000);
    fw_cfg_dma(0x3000);
    cr_assert(eq(u32, bus_read(&M.bus, 0x3000, 4), 0), "the control word written back last: done");
    cr_assert(not(eq(u8, M.bus.ram[0x3000 + 63], 0xEE)), "all 64 bytes the descriptor asked for were written");
    cr_assert(eq(u8, M.bus.ram[0x3000 + 64], 0x00), "and not one more");
    /* A descriptor in MMIO space (the local APIC's page): read as device
     * registers, never as RAM. */
    fw_cfg_dma(LAPIC_DEFAULT_BASE + 0x30);
    fw_cfg_dma(0xFFFFFFF8u);
    /* IDE bus-master DMA whose buffer is the local APIC's page. */
    attach_disk();
    put32(0x1000, LAPIC_DEFAULT_BASE);
    put32(0x1004, 0x80000000u | 4096);
    uint8_t st = read_dma(0x1000, 8);
    cr_assert(eq(u8, st & 0x01, 0x00), "the engine stopped: %02X", st);
    /* The APIC still answers: its version register is read-only. */
    uint32_t ver = bus_read(&M.bus, LAPIC_DEFAULT_BASE + 0x30, 4);
    bus_write(&M.bus, LAPIC_DEFAULT_BASE + 0x30, ~ver, 4);
    cr_assert(eq(u32, bus_read(&M.bus, LAPIC_DEFAULT_BASE + 0x30, 4), ver), "version %08X is read-only", ver);
    detach_disk();
}
