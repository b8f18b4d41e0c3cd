/* Suite table and per-test decisions (see suite.h). */
#include "tests/conformance/suite.h"

#include <string.h>

const struct sst_suite sst_suites[SST_NSUITES] = {
    { "8086", "8086", "v1_binary", false, CPU_8086 },
    { "286", "80286", "v1_real_mode", true, CPU_286 },
};

int sst_suite_find(const char *name)
{
    for (int i = 0; i < SST_NSUITES; i++)
        if (!strcmp(name, sst_suites[i].name) || !strcmp(name, sst_suites[i].dir))
            return i;
    return -1;
}

enum sst_status sst_decide(const struct sst_meta *meta, const struct moo_test *t,
                           struct sst_class *cls, struct sst_expect *e)
{
    e->flags_mask = 0xFFFF;
    e->divide = false;
    if (sst_classify(meta, t->bytes, t->nbytes, cls) < 0) {
        memset(cls, 0, sizeof(*cls));
        cls->reg = -1;
        return ST_UNKNOWN;
    }
    e->flags_mask = cls->info.flags_mask;
    e->divide = cls->opcode == 0xD4 ||
                ((cls->opcode == 0xF6 || cls->opcode == 0xF7) && (cls->reg == 6 || cls->reg == 7));
    return (enum sst_status)cls->info.status;
}

static const char *exit_name(enum cpu_exit e)
{
    switch (e) {
    case CPU_EXIT_BUDGET: return "budget";
    case CPU_EXIT_HALT: return "halt";
    case CPU_EXIT_SHUTDOWN: return "shutdown";
    case CPU_EXIT_ERROR: return "error";
    case CPU_EXIT_STOP: return "stop";
    case CPU_EXIT_DEBUG: return "debug";
    }
    return "?";
}

void sst_print_failure(FILE *out, const char *suite, const char *file, const struct moo_test *t,
                       const struct sst_class *cls, const struct sst_expect *e,
                       const struct sst_result *r)
{
    fprintf(out, "FAIL %s %s #%u \"%.*s\" bytes", suite, file, t->seq, (int)t->name_len,
            t->name ? t->name : "");
    for (uint32_t i = 0; i < t->nbytes; i++)
        fprintf(out, " %02x", t->bytes[i]);
    if (t->has_hash) {
        char h[41];
        moo_hash_hex(t, h);
        fprintf(out, " hash %s", h);
    }
    fprintf(out, "\n  %s", sst_status_name((enum sst_status)cls->info.status));
    if (e->flags_mask != 0xFFFF)
        fprintf(out, ", flags-mask %04x", e->flags_mask);
    fprintf(out, "; start %04x:%04x; exit %s after %u step%s", t->init.regs.v[MOO_CS],
            t->init.regs.v[MOO_IP], exit_name(r->exit), r->steps, r->steps == 1 ? "" : "s");
    if (r->cpu_error[0])
        fprintf(out, " (%s)", r->cpu_error);
    if (t->has_excp)
        fprintf(out, "; exception %u, FLAGS pushed at %06x (EXCP %06x)", t->excp_vector,
                r->masked_addr, t->excp_flags_addr);
    else if (r->masked_word)
        fprintf(out, "; divide error, FLAGS pushed at %05x", r->masked_addr);
    fputc('\n', out);
    if (r->why & SST_BAD_DATA)
        fprintf(out, "  unusable test: an address lies beyond RAM\n");
    if (r->why & SST_BAD_EXIT)
        fprintf(out, "  %s\n", r->exit == CPU_EXIT_BUDGET || r->exit == CPU_EXIT_HALT
                                   ? "did not reach the trailing HLT within the step cap"
                                   : "unexpected exit");
    if (r->bad_regs) {
        fprintf(out, "  regs (expected/got):");
        for (int i = 0; i < MOO_NREGS; i++)
            if (r->bad_regs >> i & 1) {
                fprintf(out, " %s %04x/%04x", moo_reg_names[i], r->exp[i], r->got[i]);
                if (r->cmpmask[i] != 0xFFFF)
                    fprintf(out, " (mask %04x, differ %04x)", r->cmpmask[i],
                            (r->exp[i] ^ r->got[i]) & r->cmpmask[i]);
            }
        fputc('\n', out);
    }
    for (unsigned i = 0; i < r->nmem_bad && i < SST_MAX_DIFFS; i++) {
        fprintf(out, "  mem %06x: expected %02x got %02x", r->mem_bad[i].addr, r->mem_bad[i].exp,
                r->mem_bad[i].got);
        if (r->mem_bad[i].mask != 0xFF)
            fprintf(out, " (mask %02x)", r->mem_bad[i].mask);
        fputc('\n', out);
    }
    if (r->nmem_bad > SST_MAX_DIFFS)
        fprintf(out, "  ... %u more memory differences\n", r->nmem_bad - SST_MAX_DIFFS);
    for (unsigned i = 0; i < r->nstray && i < SST_MAX_DIFFS; i++)
        fprintf(out, "  stray write %06x = %02x\n", r->stray[i].addr, r->stray[i].val);
    if (r->nstray > SST_MAX_DIFFS)
        fprintf(out, "  ... %u more stray bytes\n", r->nstray - SST_MAX_DIFFS);
}
