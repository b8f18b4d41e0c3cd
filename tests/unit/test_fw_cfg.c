/* Unit tests for devices/fw_cfg.c and machine/firmware_config.c, against
 * QEMU's docs/specs/fw_cfg: the port interface (selector, byte-wide data,
 * the directory's big-endian layout), the DMA interface with good and bad
 * descriptors, and the table-loader files run the way SeaBIOS runs them. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "machine/acpi_tables.h"
#include "machine/firmware_config.h"
#include "tests/unit/unit.h"

#define RAM (1u << 20)

static struct bus bus;
static struct fw_cfg fw;

static void setup(void)
{
    cr_assert(eq(int, bus_init(&bus, RAM), 0));
    cr_assert(eq(int, fw_cfg_init(&fw, &bus), 0));
}

static void teardown(void)
{
    fw_cfg_free(&fw);
    bus_free(&bus);
}

TestSuite(fw_cfg, .init = setup, .fini = teardown, .timeout = 10.0);

static void sel(uint16_t key)
{
    bus_out(&bus, FW_CFG_PORT_SEL, key, 2);
}

static void read_bytes(uint8_t *dst, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        dst[i] = (uint8_t)bus_in(&bus, FW_CFG_PORT_DATA, 1);
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* Writes a descriptor at desc and starts it the way SeaBIOS does: the
 * address's high half to 0x514, the low half to 0x518, both big-endian. */
static uint32_t dma(uint32_t desc, uint32_t control, uint32_t len, uint64_t addr, uint32_t desc_high)
{
    uint8_t d[16];
    put_be32(d, control);
    put_be32(d + 4, len);
    put_be32(d + 8, (uint32_t)(addr >> 32));
    put_be32(d + 12, (uint32_t)addr);
    bus_write_block(&bus, desc, d, 16);
    uint32_t hi = desc_high, lo = desc;
    bus_out(&bus, FW_CFG_PORT_DMA, (hi >> 24) | (hi >> 8 & 0xFF00) | (hi << 8 & 0xFF0000) | hi << 24, 4);
    bus_out(&bus, FW_CFG_PORT_DMA + 4, (lo >> 24) | (lo >> 8 & 0xFF00) | (lo << 8 & 0xFF0000) | lo << 24, 4);
    uint8_t r[4];
    bus_read_block(&bus, desc, r, 4);
    return be32(r);
}

Test(fw_cfg, signature_and_id_through_the_ports)
{
    uint8_t b[4];
    sel(FW_CFG_SIGNATURE);
    read_bytes(b, 4);
    cr_assert(eq(int, memcmp(b, "QEMU", 4), 0));
    sel(FW_CFG_ID);
    read_bytes(b, 4);
    cr_assert(eq(u32, le32(b), 3), "traditional interface and DMA");
    /* Past the end of an item the data port reads 0. */
    cr_assert(eq(u32, bus_in(&bus, FW_CFG_PORT_DATA, 1), 0));
    /* Selecting again starts over. */
    sel(FW_CFG_SIGNATURE);
    cr_assert(eq(u32, bus_in(&bus, FW_CFG_PORT_DATA, 1), 'Q'));
    /* A word read takes two consecutive bytes. */
    cr_assert(eq(u32, bus_in(&bus, FW_CFG_PORT_DATA, 2), 'E' | 'M' << 8));
    /* An absent key reads zeros; so does an x86-local one. */
    sel(0x0017);
    cr_assert(eq(u32, bus_in(&bus, FW_CFG_PORT_DATA, 1), 0));
    sel(0x8003);
    cr_assert(eq(u32, bus_in(&bus, FW_CFG_PORT_DATA, 1), 0));
}

Test(fw_cfg, dma_register_reads_the_qemu_cfg_signature)
{
    uint8_t b[8];
    for (unsigned i = 0; i < 8; i++)
        b[i] = (uint8_t)bus_in(&bus, FW_CFG_PORT_DMA + i, 1);
    cr_assert(eq(int, memcmp(b, "QEMU CFG", 8), 0));
}

Test(fw_cfg, directory_is_sorted_big_endian_and_names_keys)
{
    cr_assert(eq(int, fw_cfg_add_file(&fw, "zeta", "zz", 2, false), 0));
    cr_assert(eq(int, fw_cfg_add_file(&fw, "etc/alpha", "abcde", 5, false), 0));
    cr_assert(eq(int, fw_cfg_add_file(&fw, "etc/alpha", "xyz", 3, false), 0), "replacing keeps one entry");
    char longname[80];
    memset(longname, 'a', sizeof(longname));
    longname[56] = 0;
    cr_assert(eq(int, fw_cfg_add_file(&fw, longname, "", 0, false), -EINVAL), "56 characters leave no NUL");
    sel(FW_CFG_FILE_DIR);
    uint8_t d[4 + 2 * 64];
    read_bytes(d, sizeof(d));
    cr_assert(eq(u32, be32(d), 2));
    cr_assert(eq(u32, be32(d + 4), 3), "size of etc/alpha");
    uint16_t key = (uint16_t)(d[8] << 8 | d[9]);
    cr_assert(eq(str, (char *)d + 12, "etc/alpha"));
    cr_assert(eq(str, (char *)d + 4 + 64 + 8, "zeta"));
    sel(key);
    uint8_t b[3];
    read_bytes(b, 3);
    cr_assert(eq(int, memcmp(b, "xyz", 3), 0));
}

Test(fw_cfg, dma_select_read_skip_and_zero_fill)
{
    cr_assert(eq(int, fw_cfg_add_file(&fw, "f", "0123456789", 10, false), 0));
    uint16_t key = FW_CFG_FILE_FIRST;
    memset(bus.ram + 0x2000, 0xEE, 32);
    uint32_t r = dma(0x1000, (uint32_t)key << 16 | FW_CFG_DMA_SELECT | FW_CFG_DMA_SKIP, 3, 0, 0);
    cr_assert(eq(u32, r, 0));
    r = dma(0x1000, FW_CFG_DMA_READ, 16, 0x2000, 0);
    cr_assert(eq(u32, r, 0), "a read longer than the item succeeds");
    cr_assert(eq(int, memcmp(bus.ram + 0x2000, "3456789", 7), 0));
    for (unsigned i = 7; i < 16; i++)
        cr_assert(eq(u8, bus.ram[0x2000 + i], 0), "byte %u past the end reads as zero", i);
    cr_assert(eq(u8, bus.ram[0x2000 + 16], 0xEE), "nothing beyond the length");
    cr_assert(eq(u64, fw.dma_ops, 2));
}

Test(fw_cfg, dma_to_bad_addresses_fails_without_touching_memory)
{
    cr_assert(eq(int, fw_cfg_add_file(&fw, "f", "0123456789", 10, false), 0));
    uint32_t sel_read = (uint32_t)FW_CFG_FILE_FIRST << 16 | FW_CFG_DMA_SELECT | FW_CFG_DMA_READ;
    /* Outside RAM (nothing decodes 0x10000000 on this bus). */
    cr_assert(eq(u32, dma(0x1000, sel_read, 4, 0x10000000, 0) & FW_CFG_DMA_ERROR, FW_CFG_DMA_ERROR));
    /* Running off the end of RAM. */
    memset(bus.ram + RAM - 4, 0xEE, 4);
    cr_assert(eq(u32, dma(0x1000, sel_read, 8, RAM - 4, 0) & FW_CFG_DMA_ERROR, FW_CFG_DMA_ERROR));
    cr_assert(eq(u8, bus.ram[RAM - 4], 0xEE), "no partial transfer");
    /* Above 4 GiB, and wrapping 4 GiB. */
    cr_assert(eq(u32, dma(0x1000, sel_read, 4, 0x100000000ull, 0) & FW_CFG_DMA_ERROR, FW_CFG_DMA_ERROR));
    cr_assert(eq(u32, dma(0x1000, sel_read, 0x20, 0xFFFFFFF0u, 0) & FW_CFG_DMA_ERROR, FW_CFG_DMA_ERROR));
    /* An absurd length. */
    cr_assert(eq(u32, dma(0x1000, sel_read, 0xFFFFFFFFu, 0, 0) & FW_CFG_DMA_ERROR, FW_CFG_DMA_ERROR));
    /* A descriptor that is not in RAM is not read, and nothing is written. */
    uint64_t ops = fw.dma_ops;
    bus_out(&bus, FW_CFG_PORT_DMA, 0, 4);
    bus_out(&bus, FW_CFG_PORT_DMA + 4, 0x00000020u /* 0x20000000 big-endian */, 4);
    cr_assert(eq(u64, fw.dma_ops, ops));
    /* A descriptor address above 4 GiB likewise. */
    bus_out(&bus, FW_CFG_PORT_DMA, 0x01000000u, 4);
    bus_out(&bus, FW_CFG_PORT_DMA + 4, 0x00100000u, 4);
    cr_assert(eq(u64, fw.dma_ops, ops));
}

Test(fw_cfg, dma_writes_only_to_writable_items)
{
    cr_assert(eq(int, fw_cfg_add_file(&fw, "ro", "abcd", 4, false), 0));
    cr_assert(eq(int, fw_cfg_add_file(&fw, "rw", "abcd", 4, true), 0));
    memcpy(bus.ram + 0x3000, "WXYZ", 4);
    uint16_t ro = FW_CFG_FILE_FIRST, rw = FW_CFG_FILE_FIRST + 1;
    uint32_t r = dma(0x1000, (uint32_t)ro << 16 | FW_CFG_DMA_SELECT | FW_CFG_DMA_WRITE, 4, 0x3000, 0);
    cr_assert(eq(u32, r, FW_CFG_DMA_ERROR));
    cr_assert(eq(int, memcmp(fw_cfg_find_file(&fw, "ro")->data, "abcd", 4), 0));
    r = dma(0x1000, (uint32_t)rw << 16 | FW_CFG_DMA_SELECT | FW_CFG_DMA_WRITE, 4, 0x3000, 0);
    cr_assert(eq(u32, r, 0));
    cr_assert(eq(int, memcmp(fw_cfg_find_file(&fw, "rw")->data, "WXYZ", 4), 0));
    /* Past the item's end a write fails rather than growing it. */
    r = dma(0x1000, (uint32_t)rw << 16 | FW_CFG_DMA_SELECT | FW_CFG_DMA_WRITE, 5, 0x3000, 0);
    cr_assert(eq(u32, r, FW_CFG_DMA_ERROR));
}

/* ---- the PC's items, and the table loader run as SeaBIOS runs it ---------- */

struct loaded {
    const char *name;
    uint8_t *at; /* where the "firmware" placed it (in our RAM) */
    uint32_t addr, len;
};

static struct loaded *find(struct loaded *l, unsigned n, const char *name)
{
    for (unsigned i = 0; i < n; i++)
        if (strcmp(l[i].name, name) == 0)
            return &l[i];
    return NULL;
}

Test(fw_cfg, pc_items_and_the_table_loader_give_linked_acpi_tables)
{
    struct firmware_settings s;
    firmware_settings_default(&s);
    s.boot_menu = true;
    struct acpi_config acfg;
    acpi_config_default(&acfg);
    cr_assert(eq(int, firmware_config_build(&fw, 32u << 20, 1, &s, &acfg), 0));

    const struct fw_cfg_item *e820 = fw_cfg_find_file(&fw, "etc/e820");
    cr_assert(not(eq(ptr, (void *)e820, NULL)));
    cr_assert(eq(u32, e820->len, 20));
    cr_assert(eq(u32, le32(e820->data + 8), 32u << 20), "RAM length");
    cr_assert(eq(u32, le32(e820->data + 16), 1), "type RAM");
    const struct fw_cfg_item *fail = fw_cfg_find_file(&fw, "etc/boot-fail-wait");
    cr_assert(eq(u32, le32(fail->data), 0xFFFFFFFFu), "no reboot after a boot failure");
    sel(FW_CFG_BOOT_MENU);
    cr_assert(eq(u32, bus_in(&bus, FW_CFG_PORT_DATA, 2), 1));
    sel(FW_CFG_NB_CPUS);
    cr_assert(eq(u32, bus_in(&bus, FW_CFG_PORT_DATA, 2), 1));

    /* Run etc/table-loader: allocate each file at an address of our
     * choosing, add pointers, fix checksums -- the protocol's meaning. */
    const struct fw_cfg_item *ld = fw_cfg_find_file(&fw, "etc/table-loader");
    cr_assert(not(eq(ptr, (void *)ld, NULL)));
    cr_assert(eq(u32, ld->len % 128, 0));
    struct loaded files[4];
    unsigned nf = 0;
    uint32_t next_high = 0x80000, next_fseg = 0xF0000;
    for (uint32_t off = 0; off < ld->len; off += 128) {
        const uint8_t *c = ld->data + off;
        uint32_t cmd = le32(c);
        if (cmd == 1) {
            const char *name = (const char *)c + 4;
            uint32_t align = le32(c + 60);
            uint8_t zone = c[64];
            const struct fw_cfg_item *it = fw_cfg_find_file(&fw, name);
            cr_assert(not(eq(ptr, (void *)it, NULL)), "allocated file %s exists", name);
            uint32_t *next = zone == 2 ? &next_fseg : &next_high;
            cr_assert(zone == 1 || zone == 2);
            *next = (*next + align - 1) & ~(align - 1);
            cr_assert(lt(uint, nf, 4));
            files[nf] = (struct loaded){ name, bus.ram + *next, *next, it->len };
            memcpy(files[nf].at, it->data, it->len);
            *next += it->len;
            nf++;
        } else if (cmd == 2) {
            struct loaded *dst = find(files, nf, (const char *)c + 4);
            struct loaded *src = find(files, nf, (const char *)c + 60);
            cr_assert(dst && src);
            uint32_t at = le32(c + 116);
            cr_assert(eq(u8, c[120], 4));
            cr_assert(le(u32, at + 4, dst->len));
            uint32_t v = le32(dst->at + at) + src->addr;
            for (int k = 0; k < 4; k++)
                dst->at[at + k] = (uint8_t)(v >> (8 * k));
        } else if (cmd == 3) {
            struct loaded *f = find(files, nf, (const char *)c + 4);
            cr_assert(not(eq(ptr, f, NULL)));
            uint32_t at = le32(c + 60), start = le32(c + 64), len = le32(c + 68);
            cr_assert(le(u32, start + len, f->len));
            uint8_t sum = 0;
            for (uint32_t i = 0; i < len; i++)
                sum = (uint8_t)(sum + f->at[start + i]);
            f->at[at] = (uint8_t)(f->at[at] - sum);
        } else {
            cr_assert(eq(u32, cmd, 1), "unknown loader command %u", cmd);
        }
    }
    struct loaded *rsdp = find(files, nf, "etc/acpi/rsdp");
    cr_assert(not(eq(ptr, rsdp, NULL)));
    cr_assert(eq(u32, rsdp->addr & 15, 0));
    cr_assert(ge(u32, rsdp->addr, 0xE0000), "the RSDP is in the BIOS area");
    cr_assert(eq(int, memcmp(rsdp->at, "RSD PTR ", 8), 0));
    uint8_t sum = 0;
    for (int i = 0; i < 20; i++)
        sum = (uint8_t)(sum + rsdp->at[i]);
    cr_assert(eq(u8, sum, 0), "RSDP checksum after relocation");
    /* Follow the pointers: RSDT -> FADT -> DSDT and FACS, each with a
     * valid checksum at its relocated address. */
    uint32_t rsdt = le32(rsdp->at + 16);
    cr_assert(eq(int, memcmp(bus.ram + rsdt, "RSDT", 4), 0));
    uint32_t fadt = le32(bus.ram + rsdt + 36);
    cr_assert(eq(int, memcmp(bus.ram + fadt, "FACP", 4), 0));
    uint32_t dsdt = le32(bus.ram + fadt + 40), facs = le32(bus.ram + fadt + 36);
    cr_assert(eq(int, memcmp(bus.ram + dsdt, "DSDT", 4), 0));
    cr_assert(eq(int, memcmp(bus.ram + facs, "FACS", 4), 0));
    cr_assert(eq(u32, facs & 63, 0), "FACS 64-byte aligned");
    uint32_t tables[] = { rsdt, fadt, dsdt };
    for (unsigned t = 0; t < 3; t++) {
        uint32_t len = le32(bus.ram + tables[t] + 4);
        uint8_t s8 = 0;
        for (uint32_t i = 0; i < len; i++)
            s8 = (uint8_t)(s8 + bus.ram[tables[t] + i]);
        cr_assert(eq(u8, s8, 0), "checksum of %.4s", (char *)bus.ram + tables[t]);
    }
}
