/* Multiboot (version 1) kernels: the header search, ELF loading with libelf
 * (or the header's address fields when flag 16 asks for them), modules,
 * command lines and the information structure with a memory map, per the
 * Multiboot Specification 0.6.96.  Malformed headers and ELF files are
 * refused with a message; nothing is written outside guest RAM. */
#include "machine/multiboot.h"

#include <errno.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <string.h>

#define MB_MAGIC 0x1BADB002u
#define MB_BOOT_MAGIC 0x2BADB002u
#define MB_SEARCH 8192

/* Header flags. */
#define MBH_PAGE_ALIGN 0x1
#define MBH_MEMORY_INFO 0x2
#define MBH_VIDEO 0x4
#define MBH_AOUT_KLUDGE 0x10000

/* Info flags. */
#define MBI_MEMORY 0x001
#define MBI_CMDLINE 0x004
#define MBI_MODS 0x008
#define MBI_MMAP 0x040
#define MBI_LOADER_NAME 0x200

/* Guest memory for the information the loader builds. */
#define INFO_ADDR 0x00009000u
#define INFO_END 0x0009F000u

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

int multiboot_find_header(const uint8_t *img, size_t len, uint32_t *offset)
{
    size_t limit = len < MB_SEARCH ? len : MB_SEARCH;
    for (size_t off = 0; off + 12 <= limit; off += 4) {
        uint32_t magic = rd32(img + off), flags = rd32(img + off + 4), sum = rd32(img + off + 8);
        if (magic == MB_MAGIC && magic + flags + sum == 0) {
            *offset = (uint32_t)off;
            return 0;
        }
    }
    return -ENOENT;
}

/* Copies [src, src+n) of the image to guest physical addr, refusing
 * anything outside RAM. */
static int load_bytes(struct machine *m, uint32_t addr, const uint8_t *src, size_t n, size_t zero)
{
    uint64_t end = (uint64_t)addr + n + zero;
    if (end > m->bus.ram_size || addr < 0x1000) {
        fprintf(stderr, "popek: multiboot: a segment at %#x (%zu bytes) is outside guest RAM\n", addr,
                n + zero);
        return -EINVAL;
    }
    bus_write_block(&m->bus, addr, src, n);
    for (size_t i = 0; i < zero; i++)
        bus_write8(&m->bus, (uint32_t)(addr + n + i), 0);
    return 0;
}

static int load_elf(struct machine *m, const uint8_t *img, size_t len, uint32_t *entry, uint32_t *end)
{
    if (elf_version(EV_CURRENT) == EV_NONE)
        return -EINVAL;
    Elf *e = elf_memory((char *)(uintptr_t)img, len);
    if (!e) {
        fprintf(stderr, "popek: multiboot: not an ELF file: %s\n", elf_errmsg(-1));
        return -EINVAL;
    }
    int rc = -EINVAL;
    GElf_Ehdr eh;
    size_t nph = 0;
    if (elf_kind(e) != ELF_K_ELF || !gelf_getehdr(e, &eh) || gelf_getclass(e) != ELFCLASS32 ||
        eh.e_machine != EM_386 || eh.e_type != ET_EXEC || elf_getphdrnum(e, &nph) != 0) {
        fprintf(stderr, "popek: multiboot: not a 32-bit x86 ELF executable\n");
        goto out;
    }
    *end = 0;
    unsigned loaded = 0;
    for (size_t i = 0; i < nph; i++) {
        GElf_Phdr ph;
        if (!gelf_getphdr(e, (int)i, &ph)) {
            fprintf(stderr, "popek: multiboot: unreadable program header %zu\n", i);
            goto out;
        }
        if (ph.p_type != PT_LOAD || ph.p_memsz == 0)
            continue;
        if (ph.p_filesz > ph.p_memsz || ph.p_offset > len || ph.p_filesz > len - ph.p_offset ||
            ph.p_paddr > 0xFFFFFFFFu || ph.p_memsz > 0xFFFFFFFFu - ph.p_paddr) {
            fprintf(stderr, "popek: multiboot: program header %zu points outside the file or memory\n", i);
            goto out;
        }
        if (load_bytes(m, (uint32_t)ph.p_paddr, img + ph.p_offset, ph.p_filesz, ph.p_memsz - ph.p_filesz) < 0)
            goto out;
        if (ph.p_paddr + ph.p_memsz > *end)
            *end = (uint32_t)(ph.p_paddr + ph.p_memsz);
        loaded++;
    }
    if (!loaded) {
        fprintf(stderr, "popek: multiboot: the ELF file has nothing to load\n");
        goto out;
    }
    *entry = (uint32_t)eh.e_entry;
    rc = 0;
out:
    elf_end(e);
    return rc;
}

/* The a.out kludge: the header gives the load addresses (flag 16). */
static int load_kludge(struct machine *m, const uint8_t *img, size_t len, uint32_t hoff, uint32_t *entry,
                       uint32_t *end)
{
    if (hoff + 32 > len)
        return -EINVAL;
    uint32_t header_addr = rd32(img + hoff + 12), load_addr = rd32(img + hoff + 16);
    uint32_t load_end = rd32(img + hoff + 20), bss_end = rd32(img + hoff + 24);
    uint32_t entry_addr = rd32(img + hoff + 28);
    if (load_addr > header_addr || header_addr - load_addr > hoff) {
        fprintf(stderr, "popek: multiboot: inconsistent header and load addresses\n");
        return -EINVAL;
    }
    uint32_t file_off = hoff - (header_addr - load_addr);
    size_t n = load_end ? (size_t)load_end - load_addr : len - file_off;
    if (load_end && load_end < load_addr) {
        fprintf(stderr, "popek: multiboot: load_end_addr is below load_addr\n");
        return -EINVAL;
    }
    if (file_off > len || n > len - file_off) {
        fprintf(stderr, "popek: multiboot: the header asks for more than the file holds\n");
        return -EINVAL;
    }
    uint32_t stop = load_addr + (uint32_t)n;
    size_t zero = bss_end > stop ? bss_end - stop : 0;
    int rc = load_bytes(m, load_addr, img + file_off, n, zero);
    if (rc < 0)
        return rc;
    *entry = entry_addr;
    *end = bss_end > stop ? bss_end : stop;
    return 0;
}

int multiboot_boot(struct machine *m, const uint8_t *img, size_t len, const char *cmdline,
                   const struct multiboot_module *mods, unsigned nmods, uint32_t tables_base)
{
    if (tables_base == 0 || tables_base > m->bus.ram_size)
        tables_base = m->bus.ram_size;
    uint32_t hoff;
    if (multiboot_find_header(img, len, &hoff) < 0) {
        fprintf(stderr, "popek: no multiboot header in the first 8 KiB of the kernel\n");
        return -EINVAL;
    }
    uint32_t flags = rd32(img + hoff + 4);
    if (flags & 0xFFFC) {
        fprintf(stderr, "popek: multiboot: the kernel requires unsupported features (flags %#x)\n", flags);
        return -EINVAL;
    }
    uint32_t entry = 0, end = 0;
    int rc = (flags & MBH_AOUT_KLUDGE) ? load_kludge(m, img, len, hoff, &entry, &end)
                                        : load_elf(m, img, len, &entry, &end);
    if (rc < 0)
        return rc;

    /* Modules go page-aligned after the kernel; the information structure,
     * strings and memory map low, below the EBDA. */
    uint32_t info = INFO_ADDR;
    uint32_t strings = INFO_ADDR + 0x1000;
    uint32_t next_string = strings;
    uint8_t mbi[88];
    memset(mbi, 0, sizeof(mbi));
#define PUT32(off, v) (mbi[(off)] = (uint8_t)(v), mbi[(off) + 1] = (uint8_t)((v) >> 8), \
                       mbi[(off) + 2] = (uint8_t)((v) >> 16), mbi[(off) + 3] = (uint8_t)((v) >> 24))
    uint32_t iflags = MBI_MEMORY | MBI_MMAP | MBI_LOADER_NAME;
    PUT32(4, 640);
    PUT32(8, (m->bus.ram_size - 0x100000) >> 10);

    /* Strings: the command line, module strings, the loader's name. */
    const char *name = "Popek";
    size_t need = strlen(name) + 1 + (cmdline ? strlen(cmdline) + 1 : 0);
    for (unsigned i = 0; i < nmods; i++)
        need += (mods[i].string ? strlen(mods[i].string) : 0) + 1;
    if (next_string + need + 16 * nmods + 24 * 5 > INFO_END) {
        fprintf(stderr, "popek: multiboot: the command lines and modules take too much room\n");
        return -EINVAL;
    }
    if (cmdline) {
        bus_write_block(&m->bus, next_string, cmdline, strlen(cmdline) + 1);
        PUT32(16, next_string);
        iflags |= MBI_CMDLINE;
        next_string += (uint32_t)strlen(cmdline) + 1;
    }
    bus_write_block(&m->bus, next_string, name, strlen(name) + 1);
    PUT32(64, next_string);
    next_string += (uint32_t)strlen(name) + 1;

    uint32_t mod_addr = (end + 0xFFF) & ~0xFFFu;
    uint32_t mod_table = (next_string + need + 15) & ~15u;
    if (nmods) {
        for (unsigned i = 0; i < nmods; i++) {
            const char *s = mods[i].string ? mods[i].string : "";
            if ((uint64_t)mod_addr + mods[i].len > m->bus.ram_size) {
                fprintf(stderr, "popek: multiboot: module %u (%zu bytes) does not fit in guest RAM\n", i,
                        mods[i].len);
                return -EINVAL;
            }
            bus_write_block(&m->bus, mod_addr, mods[i].data, mods[i].len);
            bus_write_block(&m->bus, next_string, s, strlen(s) + 1);
            uint8_t ent[16] = { 0 };
            uint32_t mend = mod_addr + (uint32_t)mods[i].len;
            for (int k = 0; k < 4; k++) {
                ent[k] = (uint8_t)(mod_addr >> (8 * k));
                ent[4 + k] = (uint8_t)(mend >> (8 * k));
                ent[8 + k] = (uint8_t)(next_string >> (8 * k));
            }
            bus_write_block(&m->bus, mod_table + 16 * i, ent, sizeof(ent));
            next_string += (uint32_t)strlen(s) + 1;
            mod_addr = (mend + 0xFFF) & ~0xFFFu;
        }
        PUT32(20, nmods);
        PUT32(24, mod_table);
        iflags |= MBI_MODS;
    }

    /* The memory map: entries of size 20 preceded by their size field. */
    /* RAM above 1 MiB is usable up to the firmware tables, which are ACPI
     * memory (type 3). */
    const struct { uint64_t base, len; uint32_t type; } areas[5] = {
        { 0, 0x9FC00, 1 }, { 0x9FC00, 0x400, 2 }, { 0xE0000, 0x20000, 2 },
        { 0x100000, (uint64_t)tables_base - 0x100000, 1 },
        { tables_base, (uint64_t)m->bus.ram_size - tables_base, 3 },
    };
    unsigned nareas = tables_base < m->bus.ram_size ? 5 : 4;
    uint32_t mmap = mod_table + 16 * nmods;
    for (unsigned i = 0; i < nareas; i++) {
        uint8_t ent[24];
        uint64_t alen = areas[i].len;
        uint32_t f[6] = { 20, (uint32_t)areas[i].base, (uint32_t)(areas[i].base >> 32), (uint32_t)alen,
                          (uint32_t)(alen >> 32), areas[i].type };
        for (int k = 0; k < 6; k++)
            for (int b = 0; b < 4; b++)
                ent[4 * k + b] = (uint8_t)(f[k] >> (8 * b));
        bus_write_block(&m->bus, mmap + 24 * i, ent, sizeof(ent));
    }
    PUT32(44, 24 * nareas);
    PUT32(48, mmap);
    PUT32(0, iflags);
#undef PUT32
    bus_write_block(&m->bus, info, mbi, sizeof(mbi));

    struct machine_boot_regs regs = { .eax = MB_BOOT_MAGIC, .ebx = info };
    machine_start_protected(m, entry, 0x08, &regs);
    bus_set_a20(&m->bus, true);
    return 0;
}
