/* x86 disassembly for the monitor, the trace and the debugger, through the
 * Capstone library (libcapstone): 16- or 32-bit code, Intel syntax as in
 * QEMU's monitor, or AT&T as gdb and objdump print by default.  A struct
 * disasm holds the library handles; a machine's frontend owns one. */
#ifndef POPEK_MACHINE_DISASM_H
#define POPEK_MACHINE_DISASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct disasm {
    size_t h[2]; /* capstone handles for 16- and 32-bit code (csh) */
    bool open[2];
    bool att;
};

/* Opens the library; att selects AT&T syntax.  Returns 0 or -ENOSYS (with
 * a message) when Capstone cannot be used. */
int disasm_init(struct disasm *d, bool att);
void disasm_free(struct disasm *d);

/* Disassembles the one instruction at code[0, len) that sits at address
 * addr (relative branch targets are printed as addresses), as 16- or
 * 32-bit code (bits).  Writes "mnemonic operands" to text and returns
 * the instruction's length; 0 (and "(bad)") when the bytes are no
 * instruction or len is too short for it. */
unsigned disasm_one(struct disasm *d, unsigned bits, uint64_t addr, const uint8_t *code, size_t len, char *text,
                    size_t tlen);

#endif
