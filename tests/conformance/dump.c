/* Dumps of decoded tests and metadata (see dump.h). */
#include "tests/conformance/dump.h"

static void dump_state(FILE *out, const char *which, const struct moo_state *s)
{
    fprintf(out, "%s regs", which);
    for (int i = 0; i < MOO_NREGS; i++)
        if (s->regs.mask >> i & 1)
            fprintf(out, " %s=%04x", moo_reg_names[i], s->regs.v[i]);
    fprintf(out, "\n%s ram", which);
    for (uint32_t i = 0; i < s->nram; i++)
        fprintf(out, " %06x=%02x", s->ram[i].addr, s->ram[i].val);
    fputc('\n', out);
}

void sst_dump_test(FILE *out, const struct moo_test *t)
{
    fprintf(out, "test %u index=%u name=%.*s bytes=", t->seq, t->index, (int)t->name_len,
            t->name ? t->name : "");
    for (uint32_t i = 0; i < t->nbytes; i++)
        fprintf(out, "%02x", t->bytes[i]);
    char hash[41] = "-";
    if (t->has_hash)
        moo_hash_hex(t, hash);
    fprintf(out, " hash=%s excp=", hash);
    if (t->has_excp)
        fprintf(out, "%u@%06x\n", t->excp_vector, t->excp_flags_addr);
    else
        fprintf(out, "-\n");
    dump_state(out, "init", &t->init);
    dump_state(out, "fina", &t->fina);
    int masked = 0;
    for (int i = 0; i < MOO_NREGS; i++)
        masked |= t->rmask[i] != 0xFFFF;
    if (masked) {
        fprintf(out, "rmask");
        for (int i = 0; i < MOO_NREGS; i++)
            fprintf(out, " %s=%04x", moo_reg_names[i], t->rmask[i]);
        fputc('\n', out);
    }
}

void sst_dump_meta(FILE *out, const struct sst_meta *m)
{
    for (int op = 0; op < 256; op++) {
        for (int r = 0; r < (m->has_reg[op] ? 8 : 1); r++) {
            const struct sst_opinfo *in = &m->op[op][r];
            if (in->status == ST_UNKNOWN)
                continue;
            if (m->has_reg[op])
                fprintf(out, "%02X.%d %s %04x\n", op, r, sst_status_name(in->status), in->flags_mask);
            else
                fprintf(out, "%02X %s %04x\n", op, sst_status_name(in->status), in->flags_mask);
        }
    }
}

int sst_dump_file(FILE *out, const char *path, long first, long count)
{
    struct moo_file f;
    char err[300];
    if (moo_load(path, &f, err, sizeof(err)) < 0) {
        fprintf(stderr, "sst: %s\n", err);
        return -1;
    }
    fprintf(out, "file %s cpu=%s version=%u.%u tests=%u declared=%u", path, f.cpu, f.major, f.minor,
            (unsigned)f.ntests, f.declared_tests);
    if (f.has_meta)
        fprintf(out, " opcode=%x mnemonic=%s", f.meta_opcode, f.mnemonic);
    fputc('\n', out);
    for (size_t i = 0; i < f.ntests; i++)
        if (first < 0 || ((long)i >= first && (long)i < first + count))
            sst_dump_test(out, &f.tests[i]);
    moo_free(&f);
    return 0;
}
