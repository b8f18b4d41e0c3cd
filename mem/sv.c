/* Savestate streams (sv.h): fixed-width little-endian values in a growing
 * buffer, and a bounds-checked reader that keeps its first error. */
#include "mem/sv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sv_writer_init(struct sv_writer *w)
{
    memset(w, 0, sizeof *w);
}

void sv_writer_free(struct sv_writer *w)
{
    free(w->buf);
    memset(w, 0, sizeof *w);
}

static uint8_t *sv_room(struct sv_writer *w, size_t n)
{
    if (w->failed)
        return NULL;
    if (n > w->cap - w->len) {
        size_t cap = w->cap ? w->cap : 4096;
        while (cap - w->len < n) {
            if (cap > SIZE_MAX / 2) {
                w->failed = true;
                return NULL;
            }
            cap *= 2;
        }
        uint8_t *nb = realloc(w->buf, cap);
        if (!nb) {
            w->failed = true;
            return NULL;
        }
        w->buf = nb;
        w->cap = cap;
    }
    uint8_t *p = w->buf + w->len;
    w->len += n;
    return p;
}

static void sv_put_le(struct sv_writer *w, uint64_t v, unsigned bytes)
{
    uint8_t *p = sv_room(w, bytes);
    if (!p)
        return;
    for (unsigned i = 0; i < bytes; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

void sv_put_u8(struct sv_writer *w, uint8_t v) { sv_put_le(w, v, 1); }
void sv_put_u16(struct sv_writer *w, uint16_t v) { sv_put_le(w, v, 2); }
void sv_put_u32(struct sv_writer *w, uint32_t v) { sv_put_le(w, v, 4); }
void sv_put_u64(struct sv_writer *w, uint64_t v) { sv_put_le(w, v, 8); }
void sv_put_bool(struct sv_writer *w, bool v) { sv_put_le(w, v ? 1 : 0, 1); }

void sv_put_bytes(struct sv_writer *w, const void *src, size_t n)
{
    uint8_t *p = sv_room(w, n);
    if (p && n)
        memcpy(p, src, n);
}

void sv_reader_init(struct sv_reader *r, const void *p, size_t len, const char *section)
{
    memset(r, 0, sizeof *r);
    r->p = p;
    r->len = len;
    r->section = section;
}

bool sv_fail(struct sv_reader *r, const char *fmt, ...)
{
    if (r->failed)
        return false;
    r->failed = true;
    int n = snprintf(r->err, sizeof r->err, "%s: ", r->section ? r->section : "savestate");
    if (n < 0 || (size_t)n >= sizeof r->err)
        return false;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->err + n, sizeof r->err - (size_t)n, fmt, ap);
    va_end(ap);
    return false;
}

bool sv_check(struct sv_reader *r, bool ok, const char *what)
{
    if (!ok)
        sv_fail(r, "%s out of range", what);
    return ok;
}

static uint64_t sv_get_le(struct sv_reader *r, unsigned bytes)
{
    if (r->failed)
        return 0;
    if (sv_left(r) < bytes) {
        sv_fail(r, "truncated (%zu bytes left, %u wanted)", sv_left(r), bytes);
        return 0;
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < bytes; i++)
        v |= (uint64_t)r->p[r->pos + i] << (8 * i);
    r->pos += bytes;
    return v;
}

uint8_t sv_get_u8(struct sv_reader *r) { return (uint8_t)sv_get_le(r, 1); }
uint16_t sv_get_u16(struct sv_reader *r) { return (uint16_t)sv_get_le(r, 2); }
uint32_t sv_get_u32(struct sv_reader *r) { return (uint32_t)sv_get_le(r, 4); }
uint64_t sv_get_u64(struct sv_reader *r) { return sv_get_le(r, 8); }

bool sv_get_bool(struct sv_reader *r)
{
    uint8_t v = sv_get_u8(r);
    if (v > 1) {
        sv_fail(r, "a flag holds %u (0 or 1 expected)", v);
        return false;
    }
    return v != 0;
}

void sv_get_bytes(struct sv_reader *r, void *dst, size_t n)
{
    if (r->failed || sv_left(r) < n) {
        if (!r->failed)
            sv_fail(r, "truncated (%zu bytes left, %zu wanted)", sv_left(r), n);
        if (n)
            memset(dst, 0, n);
        return;
    }
    if (n)
        memcpy(dst, r->p + r->pos, n);
    r->pos += n;
}

uint32_t sv_get_max(struct sv_reader *r, unsigned bytes, uint32_t max, const char *what)
{
    uint64_t v = sv_get_le(r, bytes > 4 ? 4 : bytes);
    if (r->failed)
        return 0;
    if (v > max) {
        sv_fail(r, "%s is %llu (at most %u)", what, (unsigned long long)v, (unsigned)max);
        return 0;
    }
    return (uint32_t)v;
}

#define SV_PAGE 4096u

static bool page_used(const uint8_t *pg)
{
    return pg[0] != 0 || memcmp(pg, pg + 1, SV_PAGE - 1) != 0;
}

void sv_put_sparse(struct sv_writer *w, const uint8_t *buf, size_t size)
{
    size_t npages = size / SV_PAGE;
    uint8_t bits = 0;
    for (size_t pn = 0; pn < npages; pn++) {
        bits |= (uint8_t)(page_used(buf + pn * SV_PAGE) << (pn & 7));
        if ((pn & 7) == 7 || pn + 1 == npages) {
            sv_put_u8(w, bits);
            bits = 0;
        }
    }
    for (size_t pn = 0; pn < npages; pn++)
        if (page_used(buf + pn * SV_PAGE))
            sv_put_bytes(w, buf + pn * SV_PAGE, SV_PAGE);
}

void sv_get_sparse(struct sv_reader *r, uint8_t *buf, size_t size)
{
    size_t npages = size / SV_PAGE, nbytes = (npages + 7) / 8;
    if (r->failed)
        return;
    if (sv_left(r) < nbytes) {
        sv_fail(r, "truncated page map");
        return;
    }
    const uint8_t *map = r->p + r->pos;
    r->pos += nbytes;
    if ((npages & 7) && (map[nbytes - 1] >> (npages & 7)) != 0) {
        sv_fail(r, "the page map marks pages beyond the end");
        return;
    }
    size_t used = 0;
    for (size_t i = 0; i < nbytes; i++)
        for (uint8_t b = map[i]; b; b &= (uint8_t)(b - 1))
            used++;
    if (sv_left(r) < used * SV_PAGE) {
        sv_fail(r, "truncated: %zu pages marked, %zu bytes of them stored", used, sv_left(r));
        return;
    }
    for (size_t pn = 0; pn < npages; pn++) {
        if (map[pn >> 3] & (1u << (pn & 7)))
            sv_get_bytes(r, buf + pn * SV_PAGE, SV_PAGE);
        else
            memset(buf + pn * SV_PAGE, 0, SV_PAGE);
    }
}
