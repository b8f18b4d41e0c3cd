/* metadata.json and revocation_list.txt (see meta.h). */
#include "tests/conformance/meta.h"

#include "tests/conformance/json.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const status_names[ST_NSTATUS] = {
    "unknown", "normal", "prefix", "alias", "undocumented", "undefined", "fpu", "extension",
};

const char *sst_status_name(enum sst_status s)
{
    return (unsigned)s < ST_NSTATUS ? status_names[s] : "?";
}

static enum sst_status parse_status(const char *s)
{
    for (int i = 1; i < ST_NSTATUS; i++)
        if (s && !strcmp(s, status_names[i]))
            return (enum sst_status)i;
    return ST_UNKNOWN;
}

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

char *sst_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap + 1);
    while (buf) {
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (n < cap)
            break;
        char *nb = realloc(buf, cap * 2 + 1);
        if (!nb) {
            free(buf);
            buf = NULL;
            break;
        }
        buf = nb;
        cap *= 2;
    }
    if (buf && ferror(f)) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = 0;
        if (len)
            *len = n;
    }
    return buf;
}

static int hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    c = tolower(c);
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* One status/flags-mask entry. */
static int read_info(const struct json_doc *d, int node, struct sst_opinfo *info)
{
    const char *st = json_string(d, json_get(d, node, "status"));
    info->status = (uint8_t)parse_status(st);
    info->flags_mask = 0xFFFF;
    double mask;
    if (json_number(d, json_get(d, node, "flags-mask"), &mask)) {
        if (mask < 0 || mask > 65535 || mask != (double)(long)mask)
            return -1;
        info->flags_mask = (uint16_t)mask;
    }
    return st ? 0 : -1;
}

int sst_meta_load(const char *path, struct sst_meta *m, char *err, size_t errlen)
{
    memset(m, 0, sizeof(*m));
    for (int op = 0; op < 256; op++)
        for (int r = 0; r < 8; r++)
            m->op[op][r] = (struct sst_opinfo){ ST_UNKNOWN, 0xFFFF };
    size_t len;
    char *text = sst_read_file(path, &len);
    if (!text)
        return fail(err, errlen, "%s: cannot read", path);
    struct json_doc d;
    char why[200];
    if (json_parse(text, len, &d, why, sizeof(why)) < 0) {
        free(text);
        return fail(err, errlen, "%s: %s", path, why);
    }
    free(text);
    int ops = json_get(&d, 0, "opcodes");
    if (ops < 0 || d.nodes[ops].type != JSON_OBJECT) {
        json_free(&d);
        return fail(err, errlen, "%s: no \"opcodes\" object", path);
    }
    int rc = 0;
    for (int e = d.nodes[ops].first; e >= 0 && rc == 0; e = d.nodes[e].next) {
        const char *key = json_key(&d, e);
        /* Two-hex-digit keys only; the 286 file also describes 0Fxx. */
        if (!key || strlen(key) != 2 || hexval(key[0]) < 0 || hexval(key[1]) < 0)
            continue;
        int op = hexval(key[0]) << 4 | hexval(key[1]);
        int regs = json_get(&d, e, "reg");
        if (regs >= 0) {
            m->has_reg[op] = true;
            for (int r = 0; r < 8; r++) {
                char rk[2] = { (char)('0' + r), 0 };
                int rn = json_get(&d, regs, rk);
                if (rn >= 0 && read_info(&d, rn, &m->op[op][r]) < 0)
                    rc = fail(err, errlen, "%s: opcode %s reg %d: bad entry", path, key, r);
            }
        } else {
            struct sst_opinfo info;
            if (read_info(&d, e, &info) < 0)
                rc = fail(err, errlen, "%s: opcode %s: bad entry", path, key);
            for (int r = 0; r < 8; r++)
                m->op[op][r] = info;
        }
    }
    json_free(&d);
    return rc;
}

int sst_classify(const struct sst_meta *m, const uint8_t *bytes, uint32_t n, struct sst_class *c)
{
    uint32_t i = 0;
    while (i < n && sst_is_prefix(bytes[i]))
        i++;
    if (i >= n)
        return -1;
    c->opcode = bytes[i];
    c->oplen = i;
    if (m->has_reg[c->opcode]) {
        /* A missing ModRM byte reads as reg 0 (never happens in the data). */
        c->reg = i + 1 < n ? (bytes[i + 1] >> 3) & 7 : 0;
        c->info = m->op[c->opcode][c->reg];
    } else {
        c->reg = -1;
        c->info = m->op[c->opcode][0];
    }
    return 0;
}

static int cmp_hash(const void *a, const void *b)
{
    return memcmp(a, b, 20);
}

int sst_hashset_load(const char *path, struct sst_hashset *s, char *err, size_t errlen)
{
    memset(s, 0, sizeof(*s));
    char *text = sst_read_file(path, NULL);
    if (!text)
        return fail(err, errlen, "%s: cannot read", path);
    size_t cap = 0;
    int lineno = 0;
    for (char *line = text; line && *line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        lineno++;
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        char *e = p + strlen(p);
        while (e > p && isspace((unsigned char)e[-1]))
            *--e = 0;
        if (*p && *p != '#') {
            uint8_t h[20];
            bool ok = strlen(p) == 40;
            for (int i = 0; ok && i < 20; i++) {
                int hi = hexval(p[2 * i]), lo = hexval(p[2 * i + 1]);
                ok = hi >= 0 && lo >= 0;
                h[i] = (uint8_t)(hi << 4 | lo);
            }
            if (!ok) {
                free(text);
                sst_hashset_free(s);
                return fail(err, errlen, "%s:%d: not a 40-digit hash", path, lineno);
            }
            if (s->n == cap) {
                cap = cap ? cap * 2 : 64;
                uint8_t(*nh)[20] = realloc(s->h, cap * sizeof(*nh));
                if (!nh) {
                    free(text);
                    sst_hashset_free(s);
                    return fail(err, errlen, "out of memory");
                }
                s->h = nh;
            }
            memcpy(s->h[s->n++], h, 20);
        }
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    if (s->n)
        qsort(s->h, s->n, 20, cmp_hash);
    return 0;
}

bool sst_hashset_has(const struct sst_hashset *s, const uint8_t hash[20])
{
    return s->n && bsearch(hash, s->h, s->n, 20, cmp_hash) != NULL;
}

void sst_hashset_free(struct sst_hashset *s)
{
    free(s->h);
    memset(s, 0, sizeof(*s));
}
