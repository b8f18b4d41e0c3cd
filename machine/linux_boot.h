/* Direct Linux boot through the x86 boot protocol (see linux_boot.c). */
#ifndef POPEK_MACHINE_LINUX_BOOT_H
#define POPEK_MACHINE_LINUX_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "machine/machine.h"

/* Whether img is a bzImage this loader can boot; 0, or -EINVAL with why. */
int linux_check_image(const uint8_t *img, size_t len, char *why, size_t whylen);

/* The image's kernel version string (the setup header's kernel_version,
 * protocol 2.00+), copied printable and NUL-terminated into buf; "" when
 * it has none or it is malformed. */
void linux_kernel_version(const uint8_t *img, size_t len, char *buf, size_t n);

/* Loads kernel, initrd and command line and leaves the CPU at the
 * kernel's 32-bit entry.  RAM from tables_base up (the firmware tables) is
 * reported to the kernel as ACPI memory; 0 means none.  Returns 0 or
 * -errno after printing why. */
int linux_boot(struct machine *m, const uint8_t *img, size_t len, const uint8_t *initrd, size_t initrd_len,
               const char *cmdline, uint32_t tables_base);

#endif
