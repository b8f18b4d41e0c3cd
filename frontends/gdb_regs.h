/* The registers as gdb sees them (see gdb_regs.c). */
#ifndef POPEK_FRONTENDS_GDB_REGS_H
#define POPEK_FRONTENDS_GDB_REGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "machine/machine.h"

/* eax..edi, eip, eflags, cs ss ds es fs gs (4 bytes each), st0-st7 (10
 * bytes), fctrl fstat ftag fiseg fioff foseg fooff fop (4 bytes). */
#define GDB_NREGS 32
#define GDB_REGS_BYTES 176

const char *gdb_target_xml(size_t *len);
/* Where register n lies in the g packet's bytes; false past the last. */
bool gdb_reg_span(unsigned n, size_t *off, size_t *size);
void gdb_regs_read(struct machine *m, uint8_t out[GDB_REGS_BYTES]);
/* Returns 0, or -1 with nothing changed when a segment selector has no
 * usable descriptor. */
int gdb_regs_write(struct machine *m, const uint8_t in[GDB_REGS_BYTES]);

#endif
