/* Savestate files (savestate.h, docs/savestates.md).
 *
 * A file is a 32-byte header -- magic, format, flags, the payload's length
 * and CRC-32 -- and the payload compressed with zlib.  The payload is a
 * list of sections, one per part of the machine: a name, the section's own
 * version and its length, then what that part wrote through mem/sv.h.
 *
 * Loading is all or nothing without making each part validate twice: the
 * current state is first saved to memory; the file's sections are loaded
 * into the live machine; if any of them fails, the saved current state is
 * loaded back.  Only then do the post-load steps run (bus mappings, the
 * APIC's base), so nothing outside the parts' own state ever sees a
 * half-loaded machine. */
#include "machine/savestate.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "machine/machine.h"
#include "machine/savestate_parts.h"
#include "mem/sv.h"

#define HEADER_LEN 32
/* Beyond RAM, what the devices' sections can hold (VRAM is the largest). */
#define PAYLOAD_SLACK (64u << 20)

static int fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return rc;
}

static void put_le(uint8_t *p, uint64_t v, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned n)
{
    uint64_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint64_t)p[i] << (8 * i);
    return v;
}

/* Every part's section, in the order they are written. */
static int save_payload(struct machine *m, struct sv_writer *w)
{
    struct sv_part parts[SV_MAX_PARTS];
    unsigned n = sv_parts(m, parts);
    for (unsigned i = 0; i < n; i++) {
        size_t nlen = strlen(parts[i].name);
        sv_put_u8(w, (uint8_t)nlen);
        sv_put_bytes(w, parts[i].name, nlen);
        sv_put_u32(w, parts[i].version);
        size_t at = w->len;
        sv_put_u64(w, 0);
        parts[i].save(m, parts[i].obj, w);
        if (w->failed)
            return -ENOMEM;
        put_le(w->buf + at, w->len - at - 8, 8);
    }
    return w->failed ? -ENOMEM : 0;
}

/* Loads every section of payload into m; false with the reason in err. */
static bool load_payload(struct machine *m, const uint8_t *p, size_t len, char *err, size_t errlen)
{
    struct sv_part parts[SV_MAX_PARTS];
    unsigned n = sv_parts(m, parts);
    bool seen[SV_MAX_PARTS] = { false };
    size_t pos = 0;
    while (pos < len) {
        char name[SV_NAME_MAX + 1];
        size_t nlen = p[pos];
        if (nlen == 0 || nlen > SV_NAME_MAX || len - pos < 1 + nlen + 12) {
            fail(err, errlen, 0, "section header at byte %zu is malformed", pos);
            return false;
        }
        memcpy(name, p + pos + 1, nlen);
        name[nlen] = 0;
        for (size_t i = 0; i < nlen; i++)
            if (name[i] < 0x21 || name[i] > 0x7E) {
                fail(err, errlen, 0, "section header at byte %zu is malformed", pos);
                return false;
            }
        pos += 1 + nlen;
        uint32_t version = (uint32_t)get_le(p + pos, 4);
        uint64_t slen = get_le(p + pos + 4, 8);
        pos += 12;
        if (slen > len - pos) {
            fail(err, errlen, 0, "section %s: %llu bytes, %zu left in the file", name, (unsigned long long)slen,
                 len - pos);
            return false;
        }
        unsigned k = 0;
        while (k < n && strcmp(parts[k].name, name) != 0)
            k++;
        if (k == n) {
            fail(err, errlen, 0, "section %s: this machine has no such part (saved with other devices?)", name);
            return false;
        }
        if (seen[k]) {
            fail(err, errlen, 0, "section %s appears twice", name);
            return false;
        }
        seen[k] = true;
        struct sv_reader r;
        sv_reader_init(&r, p + pos, (size_t)slen, parts[k].name);
        parts[k].load(m, parts[k].obj, &r, version);
        if (sv_ok(&r) && sv_left(&r))
            sv_fail(&r, "%zu bytes left unread", sv_left(&r));
        if (!sv_ok(&r)) {
            fail(err, errlen, 0, "%s", r.err);
            return false;
        }
        pos += (size_t)slen;
    }
    for (unsigned k = 0; k < n; k++)
        if (!seen[k]) {
            fail(err, errlen, 0, "section %s is missing (saved with other devices?)", parts[k].name);
            return false;
        }
    return true;
}

static void post_load(struct machine *m)
{
    struct sv_part parts[SV_MAX_PARTS];
    unsigned n = sv_parts(m, parts);
    for (unsigned i = 0; i < n; i++)
        if (parts[i].post)
            parts[i].post(m, parts[i].obj);
}

int machine_savevm_buffer(struct machine *m, uint8_t **data, size_t *len, char *err, size_t errlen)
{
    struct sv_writer w;
    sv_writer_init(&w);
    if (save_payload(m, &w) < 0) {
        sv_writer_free(&w);
        return fail(err, errlen, -ENOMEM, "out of memory");
    }
    uLong bound = compressBound((uLong)w.len);
    uint8_t *out = malloc(HEADER_LEN + (size_t)bound);
    if (!out) {
        sv_writer_free(&w);
        return fail(err, errlen, -ENOMEM, "out of memory");
    }
    uLongf clen = bound;
    if (compress2(out + HEADER_LEN, &clen, w.buf, (uLong)w.len, Z_BEST_SPEED) != Z_OK) {
        free(out);
        sv_writer_free(&w);
        return fail(err, errlen, -EIO, "zlib could not compress the state");
    }
    memcpy(out, SAVESTATE_MAGIC, 8);
    put_le(out + 8, SAVESTATE_FORMAT, 4);
    put_le(out + 12, 0, 4);
    put_le(out + 16, w.len, 8);
    put_le(out + 24, crc32(0L, w.buf, (uInt)w.len), 4);
    put_le(out + 28, 0, 4);
    sv_writer_free(&w);
    *data = out;
    *len = HEADER_LEN + (size_t)clen;
    return 0;
}

int machine_savevm(struct machine *m, const char *path, char *err, size_t errlen)
{
    uint8_t *data;
    size_t len;
    int rc = machine_savevm_buffer(m, &data, &len, err, errlen);
    if (rc < 0)
        return rc;
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    if (!tmp) {
        free(data);
        return fail(err, errlen, -ENOMEM, "out of memory");
    }
    snprintf(tmp, plen + 16, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        rc = -errno;
        fail(err, errlen, rc, "%s: %s", tmp, strerror(errno));
        goto out;
    }
    bool ok = fwrite(data, 1, len, f) == len;
    ok = fflush(f) == 0 && ok;
    ok = fsync(fileno(f)) == 0 && ok;
    int saved_errno = errno;
    if (fclose(f) != 0 && ok) {
        ok = false;
        saved_errno = errno;
    }
    if (!ok) {
        rc = -(saved_errno ? saved_errno : EIO);
        fail(err, errlen, rc, "%s: %s", tmp, strerror(-rc));
        remove(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        rc = -errno;
        fail(err, errlen, rc, "%s: %s", path, strerror(errno));
        remove(tmp);
    }
out:
    free(tmp);
    free(data);
    return rc;
}

int machine_loadvm_buffer(struct machine *m, const uint8_t *data, size_t len, char *err, size_t errlen)
{
    if (len < HEADER_LEN || memcmp(data, SAVESTATE_MAGIC, 8) != 0)
        return fail(err, errlen, -EINVAL, "not a Popek savestate");
    uint32_t format = (uint32_t)get_le(data + 8, 4);
    if (format != SAVESTATE_FORMAT)
        return fail(err, errlen, -EINVAL, "savestate format %u; this Popek reads format %u", format,
                    SAVESTATE_FORMAT);
    if (get_le(data + 12, 4) != 0 || get_le(data + 28, 4) != 0)
        return fail(err, errlen, -EINVAL, "header has flags this Popek does not know");
    uint64_t plen = get_le(data + 16, 8);
    uint32_t crc = (uint32_t)get_le(data + 24, 4);
    if (plen > (uint64_t)m->bus.ram_size + PAYLOAD_SLACK)
        return fail(err, errlen, -EINVAL, "header claims %llu bytes of state, more than this machine can hold",
                    (unsigned long long)plen);
    uint8_t *payload = malloc(plen ? (size_t)plen : 1);
    if (!payload)
        return fail(err, errlen, -ENOMEM, "out of memory");
    uLongf got = (uLongf)plen;
    int zr = uncompress(payload, &got, data + HEADER_LEN, (uLong)(len - HEADER_LEN));
    if (zr != Z_OK || got != plen) {
        free(payload);
        return fail(err, errlen, -EINVAL, "%s",
                    zr == Z_OK ? "the state is shorter than the header says"
                               : zr == Z_BUF_ERROR && got == plen ? "the state is longer than the header says"
                                                                  : "compressed data is truncated or corrupt");
    }
    if ((uint32_t)crc32(0L, payload, (uInt)got) != crc) {
        free(payload);
        return fail(err, errlen, -EINVAL, "checksum mismatch: the file is corrupt");
    }

    struct sv_writer backup;
    sv_writer_init(&backup);
    if (save_payload(m, &backup) < 0) {
        free(payload);
        sv_writer_free(&backup);
        return fail(err, errlen, -ENOMEM, "out of memory");
    }
    int rc = 0;
    if (!load_payload(m, payload, (size_t)plen, err, errlen)) {
        char again[64];
        if (!load_payload(m, backup.buf, backup.len, again, sizeof again)) {
            /* The machine's own state always loads; if it does not, that
             * is a bug in a part's save/load pair, not in the file. */
            fprintf(stderr, "popek: internal error: restoring the state before a failed load: %s\n", again);
            abort();
        }
        rc = -EINVAL;
    }
    post_load(m);
    free(payload);
    sv_writer_free(&backup);
    return rc;
}

int machine_loadvm(struct machine *m, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return fail(err, errlen, -errno, "%s: %s", path, strerror(errno));
    size_t cap = 1u << 20, len = 0;
    uint8_t *data = malloc(cap);
    int rc = 0;
    while (data) {
        if (len == cap) {
            /* A compressed state is never larger than RAM plus the slack. */
            if (cap > (size_t)m->bus.ram_size + 2 * PAYLOAD_SLACK) {
                rc = fail(err, errlen, -EFBIG, "%s: too large for a savestate of this machine", path);
                break;
            }
            uint8_t *nd = realloc(data, cap * 2);
            if (!nd)
                break;
            data = nd;
            cap *= 2;
        }
        size_t n = fread(data + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (!data)
        rc = fail(err, errlen, -ENOMEM, "out of memory");
    else if (rc == 0 && ferror(f))
        rc = fail(err, errlen, -EIO, "%s: read error", path);
    fclose(f);
    if (rc == 0) {
        char why[200];
        rc = machine_loadvm_buffer(m, data, len, why, sizeof why);
        if (rc < 0)
            fail(err, errlen, rc, "%s: %s", path, why);
    }
    free(data);
    return rc;
}

void machine_request_savevm(struct machine *m, const char *path)
{
    snprintf(m->savevm_path, sizeof m->savevm_path, "%s", path);
    m->savevm_req = true;
    m->loadvm_req = false;
    cpu_request_stop(m->cpu);
}

void machine_request_loadvm(struct machine *m, const char *path)
{
    snprintf(m->savevm_path, sizeof m->savevm_path, "%s", path);
    m->loadvm_req = true;
    m->savevm_req = false;
    cpu_request_stop(m->cpu);
}
