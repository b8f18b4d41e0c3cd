/* Direct Linux boot: the x86 boot protocol's 32-bit entry (the kernel's
 * Documentation/arch/x86/boot.rst, protocol 2.02 and later).  The loader
 * does what a boot loader would: puts the protected-mode part of the
 * bzImage at 1 MiB, the initrd high in RAM, the command line and the zero
 * page (struct boot_params with a copy of the setup header and an e820
 * memory map) low, a GDT with the boot code and data selectors, and enters
 * the kernel in 32-bit protected mode with ESI pointing at the zero page.
 * Every field read from the image is checked against the image and RAM. */
#include "machine/linux_boot.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* Where things go in guest memory. */
#define ZERO_PAGE 0x00010000u
#define CMDLINE_ADDR 0x00020000u
#define GDT_ADDR 0x00001000u
#define KERNEL_ADDR 0x00100000u

/* boot_params layout (offsets in the zero page). */
#define BP_ALT_MEM_K 0x1E0
#define BP_E820_ENTRIES 0x1E8
#define BP_HDR 0x1F1
#define BP_E820_TABLE 0x2D0
#define BP_E820_MAX 128

/* Setup header fields (offsets from the start of the image / zero page). */
#define H_SETUP_SECTS 0x1F1
#define H_BOOT_FLAG 0x1FE
#define H_JUMP 0x200
#define H_HEADER 0x202
#define H_VERSION 0x206
#define H_VID_MODE 0x1FA
#define H_TYPE_OF_LOADER 0x210
#define H_LOADFLAGS 0x211
#define H_CODE32_START 0x214
#define H_RAMDISK_IMAGE 0x218
#define H_RAMDISK_SIZE 0x21C
#define H_HEAP_END 0x224
#define H_CMD_LINE_PTR 0x228
#define H_INITRD_ADDR_MAX 0x22C
#define H_CMDLINE_SIZE 0x238

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

static void wr32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)v);
    wr32(p + 4, (uint32_t)(v >> 32));
}

#define H_KERNEL_VERSION 0x20E

void linux_kernel_version(const uint8_t *img, size_t len, char *buf, size_t n)
{
    if (n == 0)
        return;
    buf[0] = 0;
    if (len < 0x400 || rd32(img + H_HEADER) != 0x53726448)
        return;
    size_t off = (size_t)rd16(img + H_KERNEL_VERSION) + 0x200;
    size_t k = 0;
    for (; off + k < len && k + 1 < n; k++) {
        uint8_t ch = img[off + k];
        if (ch < 0x20 || ch > 0x7E)
            break;
        buf[k] = (char)ch;
    }
    buf[k] = 0;
}

int linux_check_image(const uint8_t *img, size_t len, char *why, size_t whylen)
{
    if (len < 0x400) {
        snprintf(why, whylen, "%zu bytes is too short for a Linux kernel image", len);
        return -EINVAL;
    }
    if (rd16(img + H_BOOT_FLAG) != 0xAA55 || rd32(img + H_HEADER) != 0x53726448 /* "HdrS" */) {
        snprintf(why, whylen, "not a Linux bzImage (no boot flag or \"HdrS\" setup header)");
        return -EINVAL;
    }
    uint16_t version = rd16(img + H_VERSION);
    if (version < 0x0202) {
        snprintf(why, whylen, "boot protocol %x.%02x is too old (2.02 or later needed)", version >> 8,
                 version & 0xFF);
        return -EINVAL;
    }
    if (!(img[H_LOADFLAGS] & 1)) {
        snprintf(why, whylen, "a zImage (loaded low) is not supported; use a bzImage");
        return -EINVAL;
    }
    unsigned sects = img[H_SETUP_SECTS] ? img[H_SETUP_SECTS] : 4;
    if ((size_t)(sects + 1) * 512 >= len) {
        snprintf(why, whylen, "the setup code (%u sectors) is larger than the image", sects);
        return -EINVAL;
    }
    return 0;
}

struct e820 {
    uint64_t addr, size;
    uint32_t type;
};

/* The e820 map the kernel sees: low RAM, the EBDA/VGA/BIOS hole, RAM from
 * 1 MiB up to where the firmware tables live, and those tables. */
static unsigned build_e820(uint8_t *bp, uint32_t ram_size, uint32_t tables_base)
{
    struct e820 map[6];
    unsigned n = 0;
    map[n++] = (struct e820){ 0, 0x9FC00, 1 };
    map[n++] = (struct e820){ 0x9FC00, 0x400, 2 };
    map[n++] = (struct e820){ 0xE0000, 0x20000, 2 };
    if (tables_base < ram_size) {
        map[n++] = (struct e820){ 0x100000, tables_base - 0x100000, 1 };
        map[n++] = (struct e820){ tables_base, ram_size - tables_base, 3 }; /* ACPI reclaimable */
    } else {
        map[n++] = (struct e820){ 0x100000, ram_size - 0x100000, 1 };
    }
    for (unsigned i = 0; i < n; i++) {
        uint8_t *e = bp + BP_E820_TABLE + 20 * i;
        wr64(e, map[i].addr);
        wr64(e + 8, map[i].size);
        wr32(e + 16, map[i].type);
    }
    bp[BP_E820_ENTRIES] = (uint8_t)n;
    return n;
}

int linux_boot(struct machine *m, const uint8_t *img, size_t len, const uint8_t *initrd, size_t initrd_len,
               const char *cmdline, uint32_t tables_base)
{
    char why[160];
    int rc = linux_check_image(img, len, why, sizeof(why));
    if (rc < 0) {
        fprintf(stderr, "popek: kernel: %s\n", why);
        return rc;
    }
    uint32_t ram = m->bus.ram_size;
    if (ram < 16u << 20) {
        fprintf(stderr, "popek: Linux wants at least 16 MiB of RAM (have %u KiB)\n", ram >> 10);
        return -EINVAL;
    }
    if (tables_base == 0 || tables_base > ram)
        tables_base = ram;
    uint16_t version = rd16(img + H_VERSION);
    unsigned sects = img[H_SETUP_SECTS] ? img[H_SETUP_SECTS] : 4;
    size_t setup_len = (size_t)(sects + 1) * 512;
    size_t kernel_len = len - setup_len;
    if (KERNEL_ADDR + kernel_len > tables_base) {
        fprintf(stderr, "popek: the kernel (%zu bytes) does not fit in guest RAM\n", kernel_len);
        return -EINVAL;
    }

    /* The zero page: zeroed, then the setup header copied in. */
    uint8_t bp[4096];
    memset(bp, 0, sizeof(bp));
    size_t hdr_end = 0x202 + img[0x201]; /* the header's own length byte */
    if (hdr_end > setup_len || hdr_end > sizeof(bp))
        hdr_end = 0x268 < setup_len ? 0x268 : setup_len;
    memcpy(bp + BP_HDR, img + BP_HDR, hdr_end - BP_HDR);

    /* Command line, no longer than the kernel accepts. */
    uint32_t cmd_max = version >= 0x0206 ? rd32(img + H_CMDLINE_SIZE) : 255;
    if (cmd_max == 0 || cmd_max > 4095)
        cmd_max = 4095;
    size_t cmd_len = cmdline ? strlen(cmdline) : 0;
    if (cmd_len > cmd_max) {
        fprintf(stderr, "popek: the kernel command line is longer than the kernel's %u bytes\n", cmd_max);
        return -EINVAL;
    }
    bus_write_block(&m->bus, CMDLINE_ADDR, cmdline ? cmdline : "", cmd_len);
    bus_write8(&m->bus, CMDLINE_ADDR + (uint32_t)cmd_len, 0);
    wr32(bp + H_CMD_LINE_PTR, CMDLINE_ADDR);

    /* The initrd goes as high as the kernel allows, page aligned. */
    if (initrd && initrd_len) {
        uint32_t max_addr = version >= 0x0203 ? rd32(img + H_INITRD_ADDR_MAX) : 0x37FFFFFF;
        uint64_t top = (uint64_t)max_addr + 1 < tables_base ? (uint64_t)max_addr + 1 : tables_base;
        if (initrd_len > top || top - initrd_len < KERNEL_ADDR + kernel_len) {
            fprintf(stderr, "popek: the initrd (%zu bytes) does not fit below %#llx with the kernel\n",
                    initrd_len, (unsigned long long)top);
            return -EINVAL;
        }
        uint32_t addr = (uint32_t)((top - initrd_len) & ~0xFFFull);
        bus_write_block(&m->bus, addr, initrd, initrd_len);
        wr32(bp + H_RAMDISK_IMAGE, addr);
        wr32(bp + H_RAMDISK_SIZE, (uint32_t)initrd_len);
    }

    bp[H_TYPE_OF_LOADER] = 0xFF; /* "undefined" loader */
    wr16(bp + H_VID_MODE, 0xFFFF);
    bp[H_LOADFLAGS] |= 0x80;     /* CAN_USE_HEAP */
    wr16(bp + H_HEAP_END, 0xFE00);
    wr32(bp + BP_ALT_MEM_K, (ram - 0x100000) >> 10);
    build_e820(bp, ram, tables_base);
    bus_write_block(&m->bus, ZERO_PAGE, bp, sizeof(bp));

    /* The protected-mode kernel at 1 MiB. */
    bus_write_block(&m->bus, KERNEL_ADDR, img + setup_len, kernel_len);

    /* A GDT with the boot protocol's selectors: 0x10 code, 0x18 data,
     * flat 4 GiB, which the kernel reloads before installing its own. */
    static const uint8_t gdt[32] = {
        0, 0, 0, 0, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0,
        0xFF, 0xFF, 0, 0, 0, 0x9B, 0xCF, 0,
        0xFF, 0xFF, 0, 0, 0, 0x93, 0xCF, 0,
    };
    bus_write_block(&m->bus, GDT_ADDR, gdt, sizeof(gdt));
    uint32_t entry = rd32(img + H_CODE32_START);
    if (entry != KERNEL_ADDR)
        entry = KERNEL_ADDR; /* we load it at 1 MiB, where code32_start points by default */
    struct machine_boot_regs regs = { .esi = ZERO_PAGE };
    machine_start_protected(m, entry, 0x10, &regs);
    struct cpu_state st;
    cpu_get_state(m->cpu, &st);
    st.gdtr.base = GDT_ADDR;
    st.gdtr.limit = sizeof(gdt) - 1;
    cpu_set_state(m->cpu, &st);
    bus_set_a20(&m->bus, true);
    return 0;
}
