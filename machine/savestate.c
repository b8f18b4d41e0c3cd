/* Savestate files (savestate.h, docs/savestates.md).
 *
 * A file is a 32-byte header -- magic, format, flags, the payload's length
 * and CRC-32 -- and the payload compressed with zlib.  The payload is a
 * list of sections, one per part of the machine: a name, the section's own
 * version and its length, then what that part wrote through mem/sv.h.
 *
 * Loading is all or nothing without making each part validate twice: the
 * memory the parts' loaders write is first copied aside; the file's
 * sections are loaded into the live machine; if any of them fails, the
 * copy goes back.  Only then do the post-load steps run (bus mappings, the
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

/* What the loaders write, copied as it is in memory: a failed load is
 * undone by copying it back, which cannot fail (loading a savestate of
 * the previous state could: a check against the live machine may meet
 * what the failed load left there).  The loaders touch nothing else --
 * the bus mappings are the post-load steps', and they have not run. */
struct raw_backup {
    struct pc pc;
    struct vclock clock;
    uint64_t clock_icount, tsc_rem;
    uint32_t a20_mask;
    struct cpu *cpu;
    uint8_t *ram, *vram;
};

static void backup_free(struct raw_backup *b)
{
    if (b->cpu)
        free(b->cpu);
    free(b->ram);
    free(b->vram);
    free(b);
}

static struct raw_backup *backup_take(struct machine *m)
{
    struct raw_backup *b = calloc(1, sizeof(*b));
    if (!b)
        return NULL;
    b->cpu = cpu_backup(m->cpu);
    b->ram = malloc(m->bus.ram_size);
    b->vram = m->pc.has_vga ? malloc(VGA_VRAM_SIZE) : NULL;
    if (!b->cpu || !b->ram || (m->pc.has_vga && !b->vram)) {
        backup_free(b);
        return NULL;
    }
    memcpy(&b->pc, &m->pc, sizeof(b->pc));
    b->clock = m->clock;
    b->clock_icount = m->clock_icount;
    b->tsc_rem = m->tsc_rem;
    b->a20_mask = m->bus.a20_mask;
    memcpy(b->ram, m->bus.ram, m->bus.ram_size);
    if (b->vram)
        memcpy(b->vram, m->pc.vga.vram, VGA_VRAM_SIZE);
    return b;
}

static void backup_restore(struct machine *m, struct raw_backup *b)
{
    memcpy(&m->pc, &b->pc, sizeof(m->pc));
    m->clock = b->clock;
    m->clock_icount = b->clock_icount;
    m->tsc_rem = b->tsc_rem;
    memcpy(m->bus.ram, b->ram, m->bus.ram_size);
    if (b->vram)
        memcpy(m->pc.vga.vram, b->vram, VGA_VRAM_SIZE);
    m->bus.a20_mask = b->a20_mask;
    m->bus.map_gen++;
    cpu_restore_backup(m->cpu, b->cpu);
    b->cpu = NULL;
    backup_free(b);
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

static int loadvm(struct machine *m, const uint8_t *data, size_t len, char *err, size_t errlen)
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

    struct raw_backup *backup = backup_take(m);
    if (!backup) {
        free(payload);
        return fail(err, errlen, -ENOMEM, "out of memory");
    }
    int rc = 0;
    if (!load_payload(m, payload, (size_t)plen, err, errlen)) {
        backup_restore(m, backup);
        rc = -EINVAL;
    } else {
        backup_free(backup);
    }
    post_load(m);
    free(payload);
    return rc;
}

int machine_loadvm_buffer(struct machine *m, const uint8_t *data, size_t len, char *err, size_t errlen)
{
    return loadvm(m, data, len, err, errlen);
}

int machine_checkpoint_save(struct machine *m, uint8_t **data, size_t *len)
{
    struct sv_writer w;
    sv_writer_init(&w);
    if (save_payload(m, &w) < 0) {
        sv_writer_free(&w);
        return -ENOMEM;
    }
    /* Trim the writer's slack: checkpoints are kept by the dozen. */
    uint8_t *p = realloc(w.buf, w.len ? w.len : 1);
    *data = p ? p : w.buf;
    *len = w.len;
    return 0;
}

int machine_loadvm_checkpoint(struct machine *m, const uint8_t *data, size_t len, char *err, size_t errlen)
{
    int rc = load_payload(m, data, len, err, errlen) ? 0 : -EINVAL;
    post_load(m);
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
