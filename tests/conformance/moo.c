/* SingleStepTests MOO reader (see moo.h). */
#include "tests/conformance/moo.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

const char *const moo_reg_names[MOO_NREGS] = {
    "ax", "bx", "cx", "dx", "cs", "ss", "ds", "es", "sp", "bp", "si", "di", "ip", "flags",
};

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | p[1] << 8); }
static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* A chunk cursor over [p, end). */
struct cursor {
    const uint8_t *p, *end;
};

/* Fetches the next chunk.  Returns 1 with id/payload/len set, 0 at the end,
 * -1 on a truncated chunk. */
static int next_chunk(struct cursor *c, char id[5], const uint8_t **payload, uint32_t *len)
{
    if (c->p == c->end)
        return 0;
    if (c->end - c->p < 8)
        return -1;
    memcpy(id, c->p, 4);
    id[4] = 0;
    uint32_t n = rd32(c->p + 4);
    if ((size_t)(c->end - c->p - 8) < n)
        return -1;
    *payload = c->p + 8;
    *len = n;
    c->p += 8 + (size_t)n;
    return 1;
}

static int parse_regs(const uint8_t *p, uint32_t len, struct moo_regs *r, char *err, size_t errlen)
{
    if (len < 2)
        return fail(err, errlen, "REGS chunk too short");
    uint16_t mask = rd16(p);
    if (mask & ~MOO_ALL_REGS)
        return fail(err, errlen, "REGS mask 0x%04x has unknown bits", mask);
    uint32_t need = 2;
    for (int i = 0; i < MOO_NREGS; i++)
        need += (mask >> i & 1) * 2;
    if (len < need)
        return fail(err, errlen, "REGS chunk too short for mask 0x%04x", mask);
    r->mask = mask;
    uint32_t off = 2;
    for (int i = 0; i < MOO_NREGS; i++) {
        if (mask >> i & 1) {
            r->v[i] = rd16(p + off);
            off += 2;
        } else {
            r->v[i] = 0;
        }
    }
    return 0;
}

/* RMSK: same layout as REGS; absent registers are not masked. */
static int parse_rmsk(const uint8_t *p, uint32_t len, uint16_t rmask[MOO_NREGS], char *err,
                      size_t errlen)
{
    struct moo_regs r;
    if (parse_regs(p, len, &r, err, errlen) < 0)
        return -1;
    for (int i = 0; i < MOO_NREGS; i++)
        if (r.mask >> i & 1)
            rmask[i] &= r.v[i];
    return 0;
}

/* Growable pool of RAM entries; tests record offsets until the end. */
struct pool {
    struct moo_ram *v;
    size_t n, cap;
};

static int pool_add(struct pool *pl, const uint8_t *p, uint32_t count)
{
    if (pl->n + count > pl->cap) {
        size_t cap = pl->cap ? pl->cap : 4096;
        while (cap < pl->n + count)
            cap *= 2;
        struct moo_ram *v = realloc(pl->v, cap * sizeof(*v));
        if (!v)
            return -1;
        pl->v = v;
        pl->cap = cap;
    }
    for (uint32_t i = 0; i < count; i++) {
        pl->v[pl->n + i].addr = rd32(p + 5 * (size_t)i);
        pl->v[pl->n + i].val = p[5 * (size_t)i + 4];
    }
    pl->n += count;
    return 0;
}

/* While parsing, moo_state.ram holds an offset into the pool (cast) that is
 * turned into a pointer once the pool stops moving. */
struct state_fix {
    size_t init_off, fina_off;
};

static int parse_state(const uint8_t *p, uint32_t len, struct moo_state *s, size_t *ram_off,
                       struct pool *pl, uint16_t rmask[MOO_NREGS], bool allow_rmsk, char *err,
                       size_t errlen)
{
    struct cursor c = { p, p + len };
    char id[5];
    const uint8_t *q;
    uint32_t n;
    int r;
    bool have_regs = false, have_ram = false;
    *ram_off = pl->n;
    s->nram = 0;
    while ((r = next_chunk(&c, id, &q, &n)) > 0) {
        if (!strcmp(id, "REGS")) {
            if (parse_regs(q, n, &s->regs, err, errlen) < 0)
                return -1;
            have_regs = true;
        } else if (!strcmp(id, "RAM ")) {
            if (n < 4)
                return fail(err, errlen, "RAM chunk too short");
            uint32_t count = rd32(q);
            if ((n - 4) / 5 < count)
                return fail(err, errlen, "RAM chunk too short for %u entries", count);
            if (have_ram)
                return fail(err, errlen, "two RAM chunks in one state");
            if (pool_add(pl, q + 4, count) < 0)
                return fail(err, errlen, "out of memory");
            s->nram = count;
            have_ram = true;
        } else if (!strcmp(id, "RMSK") && allow_rmsk) {
            if (parse_rmsk(q, n, rmask, err, errlen) < 0)
                return -1;
        }
        /* QUEU and anything unknown: skipped. */
    }
    if (r < 0)
        return fail(err, errlen, "truncated chunk inside a state");
    if (!have_regs)
        return fail(err, errlen, "state without REGS");
    return 0;
}

static int parse_test(const uint8_t *p, uint32_t len, struct moo_test *t, struct state_fix *fix,
                      struct pool *pl, const uint16_t top_rmask[MOO_NREGS], char *err,
                      size_t errlen)
{
    if (len < 4)
        return fail(err, errlen, "TEST chunk too short");
    memset(t, 0, sizeof(*t));
    t->index = rd32(p);
    memcpy(t->rmask, top_rmask, sizeof(t->rmask));
    struct cursor c = { p + 4, p + len };
    char id[5];
    const uint8_t *q;
    uint32_t n;
    int r;
    bool have_init = false, have_fina = false, have_bytes = false;
    while ((r = next_chunk(&c, id, &q, &n)) > 0) {
        if (!strcmp(id, "NAME") || !strcmp(id, "BYTS")) {
            if (n < 4 || rd32(q) > n - 4)
                return fail(err, errlen, "%s chunk length is inconsistent", id);
            if (id[0] == 'N') {
                t->name = (const char *)q + 4;
                t->name_len = rd32(q);
            } else {
                t->bytes = q + 4;
                t->nbytes = rd32(q);
                have_bytes = true;
            }
        } else if (!strcmp(id, "INIT")) {
            if (parse_state(q, n, &t->init, &fix->init_off, pl, t->rmask, false, err, errlen) < 0)
                return -1;
            have_init = true;
        } else if (!strcmp(id, "FINA")) {
            if (parse_state(q, n, &t->fina, &fix->fina_off, pl, t->rmask, true, err, errlen) < 0)
                return -1;
            have_fina = true;
        } else if (!strcmp(id, "EXCP")) {
            if (n < 5)
                return fail(err, errlen, "EXCP chunk too short");
            t->has_excp = true;
            t->excp_vector = q[0];
            t->excp_flags_addr = rd32(q + 1);
        } else if (!strcmp(id, "HASH")) {
            if (n < 20)
                return fail(err, errlen, "HASH chunk too short");
            t->has_hash = true;
            memcpy(t->hash, q, 20);
        }
        /* CYCL, GMET and anything unknown: skipped. */
    }
    if (r < 0)
        return fail(err, errlen, "truncated chunk inside TEST");
    if (!have_init || !have_fina || !have_bytes)
        return fail(err, errlen, "TEST without %s", !have_init ? "INIT" : !have_fina ? "FINA" : "BYTS");
    if ((t->init.regs.mask & MOO_ALL_REGS) != MOO_ALL_REGS)
        return fail(err, errlen, "INIT REGS does not hold all 14 registers");
    if (t->nbytes == 0)
        return fail(err, errlen, "empty BYTS");
    return 0;
}

int moo_parse(uint8_t *buf, size_t len, struct moo_file *f, char *err, size_t errlen)
{
    memset(f, 0, sizeof(*f));
    f->buf = buf;
    f->len = len;
    struct cursor c = { buf, buf + len };
    char id[5];
    const uint8_t *q;
    uint32_t n;
    int r;
    struct pool pl = { 0 };
    struct state_fix *fix = NULL;
    size_t cap = 0;
    uint16_t top_rmask[MOO_NREGS];
    for (int i = 0; i < MOO_NREGS; i++)
        top_rmask[i] = 0xFFFF;
    bool have_header = false;

    while ((r = next_chunk(&c, id, &q, &n)) > 0) {
        if (!strcmp(id, "MOO ")) {
            if (n < 12)
                goto bad_header;
            f->major = q[0];
            f->minor = q[1];
            f->declared_tests = rd32(q + 4);
            memcpy(f->cpu, q + 8, 4);
            f->cpu[4] = 0;
            have_header = true;
        } else if (!strcmp(id, "META")) {
            if (n >= 15) {
                f->has_meta = true;
                f->meta_opcode = rd32(q + 3);
                memcpy(f->mnemonic, q + 7, 8);
                f->mnemonic[8] = 0;
                for (int i = 7; i >= 0 && f->mnemonic[i] == ' '; i--)
                    f->mnemonic[i] = 0;
            }
        } else if (!strcmp(id, "RMSK")) {
            if (parse_rmsk(q, n, top_rmask, err, errlen) < 0)
                goto out_fail;
        } else if (!strcmp(id, "TEST")) {
            if (!have_header) {
                fail(err, errlen, "TEST before the MOO header");
                goto out_fail;
            }
            if (f->ntests == cap) {
                cap = cap ? cap * 2 : 512;
                struct moo_test *nt = realloc(f->tests, cap * sizeof(*nt));
                struct state_fix *nf = realloc(fix, cap * sizeof(*nf));
                if (nt)
                    f->tests = nt;
                if (nf)
                    fix = nf;
                if (!nt || !nf) {
                    fail(err, errlen, "out of memory");
                    goto out_fail;
                }
            }
            struct moo_test *t = &f->tests[f->ntests];
            if (parse_test(q, n, t, &fix[f->ntests], &pl, top_rmask, err, errlen) < 0) {
                size_t l = strlen(err);
                snprintf(err + l, errlen - l, " (test %zu)", f->ntests);
                goto out_fail;
            }
            t->seq = (uint32_t)f->ntests;
            f->ntests++;
        }
    }
    if (r < 0) {
        fail(err, errlen, "truncated chunk at offset %zu", (size_t)(c.p - buf));
        goto out_fail;
    }
    if (!have_header)
        goto bad_header;
    f->ram_pool = pl.v;
    for (size_t i = 0; i < f->ntests; i++) {
        f->tests[i].init.ram = pl.v ? pl.v + fix[i].init_off : NULL;
        f->tests[i].fina.ram = pl.v ? pl.v + fix[i].fina_off : NULL;
    }
    free(fix);
    return 0;

bad_header:
    fail(err, errlen, "no valid MOO header chunk");
out_fail:
    free(pl.v);
    free(fix);
    moo_free(f);
    return -1;
}

int moo_load(const char *path, struct moo_file *f, char *err, size_t errlen)
{
    memset(f, 0, sizeof(*f));
    gzFile gz = gzopen(path, "rb");
    if (!gz)
        return fail(err, errlen, "%s: cannot open", path);
    gzbuffer(gz, 1u << 17);
    size_t cap = 1u << 20, len = 0;
    uint8_t *buf = malloc(cap);
    if (!buf) {
        gzclose(gz);
        return fail(err, errlen, "%s: out of memory", path);
    }
    for (;;) {
        if (len == cap) {
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb) {
                free(buf);
                gzclose(gz);
                return fail(err, errlen, "%s: out of memory", path);
            }
            buf = nb;
            cap *= 2;
        }
        size_t want = cap - len;
        if (want > (1u << 30))
            want = 1u << 30;
        int got = gzread(gz, buf + len, (unsigned)want);
        if (got < 0) {
            int zerr;
            const char *msg = gzerror(gz, &zerr);
            fail(err, errlen, "%s: %s", path, msg);
            free(buf);
            gzclose(gz);
            return -1;
        }
        if (got == 0)
            break;
        len += (size_t)got;
    }
    gzclose(gz);
    char why[256];
    if (moo_parse(buf, len, f, why, sizeof(why)) < 0)
        return fail(err, errlen, "%s: %s", path, why);
    return 0;
}

void moo_free(struct moo_file *f)
{
    free(f->buf);
    free(f->ram_pool);
    free(f->tests);
    memset(f, 0, sizeof(*f));
}

void moo_hash_hex(const struct moo_test *t, char out[41])
{
    static const char hex[] = "0123456789abcdef";
    for (int i = 0; i < 20; i++) {
        out[2 * i] = hex[t->hash[i] >> 4];
        out[2 * i + 1] = hex[t->hash[i] & 15];
    }
    out[40] = 0;
}
