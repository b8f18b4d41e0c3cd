/* Loading what the command line asks to boot (see boot.c). */
#ifndef POPEK_FRONTENDS_BOOT_H
#define POPEK_FRONTENDS_BOOT_H

#include <stddef.h>
#include <stdint.h>

#include "machine/machine.h"

/* Reads a whole file into a malloc'd buffer; 0 or -errno after a message. */
int frontend_read_file(const char *path, uint8_t **data, size_t *len);
/* Boots kernel (multiboot or bzImage) with its initrd/modules and command
 * line; what receives a line saying what was booted.  Returns 0 or -errno
 * after printing why. */
int frontend_boot_kernel(struct machine *m, const char *kernel, const char *initrd, const char *append,
                         char *what, size_t whatlen);

#endif
