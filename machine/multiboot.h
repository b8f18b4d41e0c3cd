/* Multiboot (version 1) kernel loading (see multiboot.c). */
#ifndef POPEK_MACHINE_MULTIBOOT_H
#define POPEK_MACHINE_MULTIBOOT_H

#include <stddef.h>
#include <stdint.h>

#include "machine/machine.h"

struct multiboot_module {
    const uint8_t *data;
    size_t len;
    const char *string; /* the module's command line */
};

/* Finds a valid multiboot header (magic, flags and checksum) in the first
 * 8 KiB; 0 and *offset, or -ENOENT. */
int multiboot_find_header(const uint8_t *img, size_t len, uint32_t *offset);

/* Loads the kernel and modules and leaves the CPU at the kernel's entry
 * with EAX = 0x2BADB002 and EBX = the information structure.  RAM from
 * tables_base up (the firmware tables; 0: none) is reported as reserved.
 * Returns 0 or -errno after printing why. */
int multiboot_boot(struct machine *m, const uint8_t *img, size_t len, const char *cmdline,
                   const struct multiboot_module *mods, unsigned nmods, uint32_t tables_base);

#endif
