/* Disassembly through Capstone (see disasm.h). */
#include "machine/disasm.h"

#include <capstone/capstone.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

int disasm_init(struct disasm *d, bool att)
{
    memset(d, 0, sizeof(*d));
    d->att = att;
    static const cs_mode modes[2] = { CS_MODE_16, CS_MODE_32 };
    for (int i = 0; i < 2; i++) {
        csh h;
        if (cs_open(CS_ARCH_X86, modes[i], &h) != CS_ERR_OK) {
            fprintf(stderr, "popek: the Capstone disassembler cannot be opened\n");
            disasm_free(d);
            return -ENOSYS;
        }
        if (att)
            cs_option(h, CS_OPT_SYNTAX, CS_OPT_SYNTAX_ATT);
        d->h[i] = (size_t)h;
        d->open[i] = true;
    }
    return 0;
}

void disasm_free(struct disasm *d)
{
    for (int i = 0; i < 2; i++) {
        if (d->open[i]) {
            csh h = (csh)d->h[i];
            cs_close(&h);
            d->open[i] = false;
        }
    }
}

unsigned disasm_one(struct disasm *d, unsigned bits, uint64_t addr, const uint8_t *code, size_t len, char *text,
                    size_t tlen)
{
    int i = bits == 16 ? 0 : 1;
    if (tlen)
        snprintf(text, tlen, "(bad)");
    if (!d->open[i] || !len)
        return 0;
    cs_insn *insn = NULL;
    /* An x86 instruction is at most 15 bytes; more would only be ignored. */
    size_t n = cs_disasm((csh)d->h[i], code, len < 15 ? len : 15, addr, 1, &insn);
    if (n < 1)
        return 0;
    unsigned size = insn[0].size;
    if (tlen)
        snprintf(text, tlen, "%s%s%s", insn[0].mnemonic, insn[0].op_str[0] ? " " : "", insn[0].op_str);
    cs_free(insn, n);
    return size;
}
