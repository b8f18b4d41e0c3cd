/* Self-test of the runner (see selftest.h).
 *
 * Takes real tests whose original passes (so that any failure can only come
 * from what the self-test changed) and checks that the runner reports:
 *   - each of the 14 expected registers corrupted;
 *   - an expected memory byte the instruction wrote corrupted, and a byte
 *     only INIT lists expected to change;
 *   - a stray write injected into each segment window (and above 1 MiB on
 *     the 286), after which RAM must be clean again;
 * and that it does NOT report a flipped flag the metadata marks undefined,
 * in FLAGS or in the FLAGS image a divide error pushed, while it does report
 * a flipped defined flag there.  If no original passes (a very broken CPU)
 * the checks that need one are reported inconclusive, not failed. */
#include "tests/conformance/selftest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/conformance/suite.h"

struct st_ctx {
    const char *suite;
    struct sst_machine *m;
    bool verbose;
    int missed, checked, inconclusive;
};

/* A copy of a test whose FINA lists can be edited. */
struct edit {
    struct moo_test t;
    struct moo_ram *ram;
};

static void edit_init(struct edit *ed, const struct moo_test *src)
{
    ed->t = *src;
    ed->ram = malloc(((size_t)src->fina.nram + 4) * sizeof(*ed->ram));
    if (!ed->ram) {
        fprintf(stderr, "sst-runner: out of memory\n");
        exit(2);
    }
    if (src->fina.nram)
        memcpy(ed->ram, src->fina.ram, src->fina.nram * sizeof(*ed->ram));
    ed->t.fina.ram = ed->ram;
}

/* Makes the test expect val at addr (a FINA entry, appended: the last wins). */
static void edit_expect_byte(struct edit *ed, uint32_t addr, uint8_t val)
{
    ed->ram[ed->t.fina.nram++] = (struct moo_ram){ addr, val };
}

static void edit_free(struct edit *ed)
{
    free(ed->ram);
}

static const char *why_text(unsigned why)
{
    switch (why) {
    case 0: return "pass";
    case SST_BAD_EXIT: return "exit";
    case SST_BAD_REGS: return "regs";
    case SST_BAD_MEM: return "memory";
    case SST_STRAY: return "stray write";
    default: return "several";
    }
}

/* Runs t and checks the outcome: want_bits == 0 means it must pass, else
 * the result must hold those failure bits that the original (orig_why)
 * did not already have. */
static void check(struct st_ctx *c, const char *what, const struct moo_test *t,
                  const struct sst_expect *e, const struct sst_inject *inj, unsigned orig_why,
                  unsigned want_bits)
{
    struct sst_result r;
    sst_run_test(c->m, t, e, inj, &r);
    uint32_t left = sst_machine_sweep(c->m);
    c->checked++;
    const char *verdict;
    bool ok;
    if (want_bits == 0) {
        ok = r.why == 0;
        if (!ok && orig_why) {
            verdict = "inconclusive (the original fails too)";
            c->inconclusive++;
            ok = true;
        } else {
            verdict = ok ? "passes, as it should" : "FAILS but should pass";
        }
    } else if (orig_why & want_bits) {
        ok = true;
        verdict = "inconclusive (the original already fails this way)";
        c->inconclusive++;
    } else {
        ok = (r.why & want_bits) == want_bits;
        verdict = ok ? "detected" : "NOT DETECTED";
    }
    if (left) {
        ok = false;
        verdict = "RAM NOT RESTORED";
    }
    if (!ok)
        c->missed++;
    printf("self-test %s: %-52s %s", c->suite, what, verdict);
    if (want_bits && ok && !(orig_why & want_bits))
        printf(" (%s)", why_text(r.why & want_bits));
    if (left)
        printf(" (%u non-zero bytes left)", left);
    printf("\n");
    if (c->verbose && r.why) {
        struct sst_class cls = { 0 };
        cls.info.status = ST_NORMAL;
        sst_print_failure(stdout, c->suite, "self-test", t, &cls, e, &r);
    }
}

/* Is addr an address the test expects anything of? */
static bool listed(const struct moo_test *t, uint32_t addr)
{
    uint8_t v;
    return sst_expected_byte(t, addr, &v);
}

/* A free address in the window of seg at offset near off (wrapped). */
static uint32_t free_addr(const struct sst_machine *m, const struct moo_test *t, uint16_t sel,
                          uint16_t off, uint32_t avoid)
{
    for (unsigned k = 0; k < 0x10000; k++) {
        uint16_t o = (uint16_t)(off + k * 0x111);
        uint32_t a = ((uint32_t)sel << 4) + o;
        if (!m->is286)
            a &= 0xFFFFF;
        if (a >= 0x400 && !listed(t, a) && !listed(t, a - 1) && !listed(t, a + 1) && a != avoid)
            return a;
    }
    return ((uint32_t)sel << 4) + off;
}

/* Finds a test in file label that passes (and satisfies want, if given);
 * falls back to the first that satisfies want.  Returns the index or -1. */
typedef bool (*want_fn)(const struct sst_machine *m, const struct moo_test *t,
                        const struct sst_result *r);

static long pick(struct sst_machine *m, const struct sst_meta *meta, const struct moo_file *f,
                 want_fn want, unsigned *why)
{
    long fallback = -1;
    unsigned fallback_why = 0;
    for (size_t i = 0; i < f->ntests && i < 400; i++) {
        const struct moo_test *t = &f->tests[i];
        struct sst_class cls;
        struct sst_expect e;
        enum sst_status st = sst_decide(meta, t, &cls, &e);
        if (sst_status_excluded(st) || st == ST_UNKNOWN)
            continue;
        struct sst_result r;
        bool ok = sst_run_test(m, t, &e, NULL, &r);
        sst_machine_sweep(m);
        if (want && !want(m, t, &r))
            continue;
        if (ok) {
            *why = 0;
            return (long)i;
        }
        if (fallback < 0) {
            fallback = (long)i;
            fallback_why = r.why;
        }
    }
    *why = fallback_why;
    return fallback;
}

static bool writes_memory(const struct sst_machine *m, const struct moo_test *t,
                          const struct sst_result *r)
{
    (void)m;
    (void)r;
    /* ModRM with a memory operand, and FINA lists at least one byte. */
    uint32_t i = 0;
    while (i < t->nbytes && sst_is_prefix(t->bytes[i]))
        i++;
    return i + 1 < t->nbytes && (t->bytes[i + 1] >> 6) != 3 && t->fina.nram > 0;
}

static bool divide_error(const struct moo_test *t, const struct sst_result *r)
{
    return r->masked_word && (!t->has_excp || t->excp_vector == 0);
}

static bool divide_error_even(const struct sst_machine *m, const struct moo_test *t,
                              const struct sst_result *r)
{
    (void)m;
    return divide_error(t, r) && !(r->masked_addr & 1);
}

static bool divide_error_odd(const struct sst_machine *m, const struct moo_test *t,
                             const struct sst_result *r)
{
    (void)m;
    return divide_error(t, r) && (r->masked_addr & 1);
}

static bool no_exception(const struct sst_machine *m, const struct moo_test *t,
                         const struct sst_result *r)
{
    (void)m;
    return !r->masked_word && !t->has_excp;
}

static int load(const char *datadir, const struct sst_suite *su, const char *label,
                struct moo_file *f)
{
    char path[4096], err[400];
    snprintf(path, sizeof(path), "%s/%s/%s/%s.MOO.gz", datadir, su->dir, su->tests, label);
    if (moo_load(path, f, err, sizeof(err)) < 0) {
        fprintf(stderr, "sst-runner: self-test: %s\n", err);
        return -1;
    }
    return 0;
}

static void note_original(struct st_ctx *c, const char *what, const struct moo_test *t,
                          unsigned why)
{
    printf("self-test %s: %s: test #%u \"%.*s\": original %s\n", c->suite, what, t->seq,
           (int)t->name_len, t->name ? t->name : "", why ? "FAILS (checks may be inconclusive)" : "passes");
}

/* Registers, memory bytes and stray writes on a memory-writing ADD. */
static int corruption_checks(struct st_ctx *c, const struct sst_meta *meta, const char *datadir,
                             const struct sst_suite *su)
{
    struct moo_file f;
    if (load(datadir, su, "00", &f) < 0)
        return -1;
    unsigned orig_why;
    long idx = pick(c->m, meta, &f, writes_memory, &orig_why);
    if (idx < 0) {
        fprintf(stderr, "sst-runner: self-test: no usable test in 00\n");
        moo_free(&f);
        return -1;
    }
    const struct moo_test *t = &f.tests[idx];
    struct sst_class cls;
    struct sst_expect e;
    sst_decide(meta, t, &cls, &e);
    note_original(c, "corruption checks use", t, orig_why);
    char what[96];

    check(c, "original", t, &e, NULL, orig_why, 0);

    /* Every register. */
    for (int i = 0; i < MOO_NREGS; i++) {
        struct edit ed;
        edit_init(&ed, t);
        uint16_t v = (ed.t.fina.regs.mask >> i & 1) ? ed.t.fina.regs.v[i] : ed.t.init.regs.v[i];
        if (i == MOO_FLAGS && c->m->is286)
            v &= 0x0FFF;
        uint16_t flip = i == MOO_FLAGS ? F_CF : 0x0100;
        ed.t.fina.regs.mask |= (uint16_t)(1u << i);
        ed.t.fina.regs.v[i] = v ^ flip;
        snprintf(what, sizeof(what), "expected %s corrupted (^%04x)", moo_reg_names[i], flip);
        check(c, what, &ed.t, &e, NULL, orig_why, SST_BAD_REGS);
        edit_free(&ed);
    }

    /* A byte the instruction wrote. */
    {
        struct edit ed;
        edit_init(&ed, t);
        const struct moo_ram *w = &t->fina.ram[t->fina.nram - 1];
        uint8_t v;
        sst_expected_byte(t, w->addr, &v);
        edit_expect_byte(&ed, w->addr, (uint8_t)(v ^ 0x01));
        snprintf(what, sizeof(what), "expected FINA byte %06x corrupted", w->addr);
        check(c, what, &ed.t, &e, NULL, orig_why, SST_BAD_MEM);
        edit_free(&ed);
    }

    /* A byte only INIT lists (it must keep its value). */
    {
        const struct moo_ram *only = NULL;
        for (uint32_t i = 0; i < t->init.nram && !only; i++) {
            bool in_fina = false;
            for (uint32_t k = 0; k < t->fina.nram; k++)
                in_fina |= t->fina.ram[k].addr == t->init.ram[i].addr;
            if (!in_fina)
                only = &t->init.ram[i];
        }
        struct edit ed;
        edit_init(&ed, t);
        if (!only)
            only = &t->init.ram[0]; /* the 8086 lists every byte in FINA too */
        uint8_t v;
        sst_expected_byte(t, only->addr, &v);
        edit_expect_byte(&ed, only->addr, (uint8_t)(v ^ 0x80));
        snprintf(what, sizeof(what), "expected INIT byte %06x corrupted", only->addr);
        check(c, what, &ed.t, &e, NULL, orig_why, SST_BAD_MEM);
        edit_free(&ed);
    }

    /* Stray writes, one per segment window, one at a window's last byte,
     * and on the 286 one above 1 MiB. */
    static const int segs[4] = { MOO_ES, MOO_CS, MOO_SS, MOO_DS };
    static const char *const seg_names[4] = { "ES", "CS", "SS", "DS" };
    uint32_t prev = 0;
    for (int s = 0; s < 4; s++) {
        struct sst_inject inj = { 1, { 0 }, { 0x5A } };
        inj.addr[0] = free_addr(c->m, t, t->init.regs.v[segs[s]], (uint16_t)(0x2345 + s * 0x3111), prev);
        prev = inj.addr[0];
        snprintf(what, sizeof(what), "stray write in %s window at %06x", seg_names[s], inj.addr[0]);
        check(c, what, t, &e, &inj, orig_why, SST_STRAY);
    }
    {
        struct sst_inject inj = { 1, { 0 }, { 0x01 } };
        inj.addr[0] = free_addr(c->m, t, t->init.regs.v[MOO_SS], 0xFFFF, 0);
        snprintf(what, sizeof(what), "stray write near the SS window's end %06x", inj.addr[0]);
        check(c, what, t, &e, &inj, orig_why, SST_STRAY);
    }
    if (c->m->is286) {
        struct sst_inject inj = { 1, { 0x10ABCD }, { 0x80 } };
        if (!listed(t, inj.addr[0])) {
            snprintf(what, sizeof(what), "stray write above 1 MiB at %06x", inj.addr[0]);
            check(c, what, t, &e, &inj, orig_why, SST_STRAY);
        }
    }
    check(c, "original again (RAM restored)", t, &e, NULL, orig_why, 0);
    moo_free(&f);
    return 0;
}

/* Masking: undefined flags after a divide, in FLAGS and in the FLAGS image
 * a divide error pushed. */
static int mask_checks(struct st_ctx *c, const struct sst_meta *meta, const char *datadir,
                       const struct sst_suite *su)
{
    struct moo_file f;
    if (load(datadir, su, "F6.6", &f) < 0)
        return -1;
    char what[96];
    unsigned orig_why;
    long idx = pick(c->m, meta, &f, no_exception, &orig_why);
    if (idx >= 0) {
        const struct moo_test *t = &f.tests[idx];
        struct sst_class cls;
        struct sst_expect e;
        sst_decide(meta, t, &cls, &e);
        note_original(c, "flags-mask checks use", t, orig_why);
        uint16_t undef = (uint16_t)(~e.flags_mask & (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF));
        uint16_t def = F_DF;
        if (!undef) {
            printf("self-test %s: F6.6 has no undefined flags in the metadata?\n", c->suite);
            c->missed++;
        } else {
            for (int pass = 0; pass < 2; pass++) {
                struct edit ed;
                edit_init(&ed, t);
                uint16_t v = (t->fina.regs.mask >> MOO_FLAGS & 1) ? t->fina.regs.v[MOO_FLAGS]
                                                                   : t->init.regs.v[MOO_FLAGS];
                if (c->m->is286)
                    v &= 0x0FFF;
                uint16_t flip = pass == 0 ? (uint16_t)(undef & -undef) : def;
                ed.t.fina.regs.mask |= 1u << MOO_FLAGS;
                ed.t.fina.regs.v[MOO_FLAGS] = v ^ flip;
                snprintf(what, sizeof(what), "%s flag %04x flipped in FLAGS",
                         pass == 0 ? "undefined" : "defined", flip);
                check(c, what, &ed.t, &e, NULL, orig_why, pass == 0 ? 0 : SST_BAD_REGS);
                edit_free(&ed);
            }
        }
    }

    /* A divide error's FLAGS image, at an even and at an odd address (the
     * 286's EXCP address is rounded down to even there). */
    for (int odd = 0; odd < 2; odd++) {
        idx = pick(c->m, meta, &f, odd ? divide_error_odd : divide_error_even, &orig_why);
        if (idx < 0) {
            printf("self-test %s: no divide-error test with its FLAGS at an %s address in F6.6\n",
                   c->suite, odd ? "odd" : "even");
            c->missed++;
            continue;
        }
        const struct moo_test *t = &f.tests[idx];
        struct sst_class cls;
        struct sst_expect e;
        sst_decide(meta, t, &cls, &e);
        note_original(c, "pushed-FLAGS checks use", t, orig_why);
        struct sst_result r;
        sst_run_test(c->m, t, &e, NULL, &r);
        sst_machine_sweep(c->m);
        /* byte (0 low, 1 high), bit, must it be detected */
        static const struct { int hi; uint8_t bit; bool defined; } flips[4] = {
            { 0, F_CF, false }, { 1, F_OF >> 8, false }, { 0, 0x02, true }, { 1, F_DF >> 8, true },
        };
        for (int k = 0; k < 4; k++) {
            uint16_t flag = (uint16_t)(flips[k].hi ? flips[k].bit << 8 : flips[k].bit);
            if (!flips[k].defined && (e.flags_mask & flag))
                continue; /* not undefined for this opcode */
            struct edit ed;
            edit_init(&ed, t);
            uint8_t v;
            uint32_t a = flips[k].hi ? r.masked_addr_hi : r.masked_addr;
            sst_expected_byte(t, a, &v);
            edit_expect_byte(&ed, a, (uint8_t)(v ^ flips[k].bit));
            snprintf(what, sizeof(what), "%s flag %04x flipped in pushed FLAGS %06x",
                     flips[k].defined ? "defined" : "undefined", flag, a);
            check(c, what, &ed.t, &e, NULL, orig_why, flips[k].defined ? SST_BAD_MEM : 0);
            edit_free(&ed);
        }
    }
    moo_free(&f);
    return 0;
}

int sst_self_test(const char *datadir, int suite, bool verbose)
{
    int rc = 0;
    for (int si = 0; si < SST_NSUITES; si++) {
        if (suite >= 0 && suite != si)
            continue;
        const struct sst_suite *su = &sst_suites[si];
        struct sst_meta *meta = malloc(sizeof(*meta));
        struct sst_machine *m = malloc(sizeof(*m));
        char path[4096], err[400];
        snprintf(path, sizeof(path), "%s/%s/metadata.json", datadir, su->dir);
        if (!meta || !m || sst_meta_load(path, meta, err, sizeof(err)) < 0) {
            fprintf(stderr, "sst-runner: self-test: %s\n", meta && m ? err : "out of memory");
            free(meta);
            free(m);
            return -1;
        }
        if (sst_machine_init(m, su->model) < 0) {
            free(meta);
            free(m);
            return -1;
        }
        struct st_ctx c = { su->name, m, verbose, 0, 0, 0 };
        if (corruption_checks(&c, meta, datadir, su) < 0 || mask_checks(&c, meta, datadir, su) < 0)
            c.missed++;
        printf("self-test %s: %d checks, %d wrong, %d inconclusive\n", su->name, c.checked, c.missed,
               c.inconclusive);
        if (c.missed)
            rc = -1;
        sst_machine_free(m);
        free(m);
        free(meta);
    }
    printf("self-test: %s\n", rc ? "FAILED" : "ok");
    return rc;
}
