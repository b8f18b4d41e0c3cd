/* qcow2 clusters (QEMU's docs/interop/qcow2.txt): the L1/L2 tables that
 * map a guest cluster to a host cluster, the refcounts that say which host
 * clusters are in use, allocation, and the read, write and flush of
 * struct blockdev.
 *
 * Write ordering (docs/disks.md): a new cluster's refcount is written
 * through at once, its data next; the L2 entry that points at it changes
 * only in the L2 cache, which is written out by qcow2_meta_flush after an
 * fdatasync (so refcounts and data are durable first); L1 entries that
 * point at new L2 tables are written after a second fdatasync.  A
 * reference dropped (a compressed cluster rewritten, a cluster or L2 table
 * shared with a snapshot copied) is queued and its refcount decremented
 * only once the tables without it are durable.  A crash leaks clusters at
 * worst; it never leaves a table pointing at a cluster with no refcount. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "disks/qcow2_int.h"

#define FREES_MAX 4096 /* queued decrements that force a metadata flush */

static int rc_get(struct qcow2 *q, uint64_t c, uint64_t *val);
static int rc_set(struct qcow2 *q, uint64_t c, uint64_t val);

/* ---- file I/O ---- */

/* Reads len bytes at off; what lies past the end of the file reads as
 * zeros (a table or compressed run may end the file short). */
int qcow2_pread(struct qcow2 *q, void *buf, size_t len, uint64_t off)
{
    return blockdev_pread_full(q->fd, buf, len, off);
}

/* Every write stays inside the clusters in use or allocated: the format
 * writes past the end of the file only into clusters it has allocated. */
int qcow2_pwrite(struct qcow2 *q, const void *buf, size_t len, uint64_t off)
{
    if (off > (q->alloc_end << q->cluster_bits) || len > (q->alloc_end << q->cluster_bits) - off)
        return -EIO;
    uint64_t end = off + len;
    int rc = blockdev_pwrite_full(q->fd, buf, len, off);
    if (rc < 0)
        return rc;
    if (end > q->file_end)
        q->file_end = end;
    return 0;
}

int qcow2_sync(struct qcow2 *q)
{
    return blockdev_fdatasync(q->fd);
}

/* ---- the table caches ---- */

static struct qcow2_slot *slot_find(struct qcow2_slot *s, unsigned n, uint64_t off)
{
    for (unsigned i = 0; i < n; i++)
        if (s[i].off == off)
            return &s[i];
    return NULL;
}

static struct qcow2_slot *slot_victim(struct qcow2_slot *s, unsigned n)
{
    struct qcow2_slot *v = &s[0];
    for (unsigned i = 0; i < n; i++) {
        if (!s[i].off)
            return &s[i];
        if (s[i].used < v->used)
            v = &s[i];
    }
    return v;
}

/* A table cluster must be aligned, past the header and start inside the
 * file (tables never straddle past what was read as the file's end). */
static bool table_off_ok(const struct qcow2 *q, uint64_t off)
{
    return off && !(off & (q->cs - 1)) && off < q->file_end;
}

/* The L2 table at off, read if it is not cached.  A dirty victim is
 * written out with all other metadata first. */
static int l2_load(struct qcow2 *q, uint64_t off, struct qcow2_slot **out)
{
    struct qcow2_slot *s = slot_find(q->l2c, q->l2_slots, off);
    if (!s) {
        if (!table_off_ok(q, off))
            return -EIO;
        s = slot_victim(q->l2c, q->l2_slots);
        if (s->dirty) {
            int rc = qcow2_meta_flush(q);
            if (rc < 0)
                return rc;
        }
        s->off = 0;
        int rc = qcow2_pread(q, s->buf, q->cs, off);
        if (rc < 0)
            return rc;
        s->off = off;
    }
    s->used = ++q->tick;
    *out = s;
    return 0;
}

/* A new L2 table at off (just allocated) with the contents of src (NULL:
 * all unallocated), dirty: it reaches the file at the next metadata flush. */
static int l2_new(struct qcow2 *q, uint64_t off, const uint8_t *src)
{
    struct qcow2_slot *s = slot_find(q->l2c, q->l2_slots, off); /* a stale copy of a freed cluster */
    if (!s)
        s = slot_victim(q->l2c, q->l2_slots);
    if (s->dirty && s->off != off) {
        int rc = qcow2_meta_flush(q);
        if (rc < 0)
            return rc;
    }
    if (src)
        memcpy(s->buf, src, q->cs);
    else
        memset(s->buf, 0, q->cs);
    s->off = off;
    s->dirty = true;
    s->used = ++q->tick;
    return 0;
}

static int rb_load(struct qcow2 *q, uint64_t off, struct qcow2_slot **out)
{
    struct qcow2_slot *s = slot_find(q->rbc, QCOW2_RB_SLOTS, off);
    if (!s) {
        if (!table_off_ok(q, off))
            return -EIO;
        s = slot_victim(q->rbc, QCOW2_RB_SLOTS);
        s->off = 0;
        int rc = qcow2_pread(q, s->buf, q->cs, off);
        if (rc < 0)
            return rc;
        s->off = off;
    }
    s->used = ++q->tick;
    *out = s;
    return 0;
}

/* ---- refcounts ---- */

static uint64_t rc_entry(const uint8_t *b, uint64_t i, unsigned order)
{
    switch (order) {
    case 0: case 1: case 2: {
        unsigned bits = 1u << order, per = 8 / bits;
        return (uint64_t)(b[i / per] >> ((i % per) * bits)) & ((1u << bits) - 1);
    }
    case 3: return b[i];
    case 4: return qcow2_be16(b + 2 * i);
    case 5: return qcow2_be32(b + 4 * i);
    default: return qcow2_be64(b + 8 * i);
    }
}

/* Stores entry i; returns the byte offset in the block it changed, and
 * the bytes changed in *n. */
static uint64_t rc_entry_put(uint8_t *b, uint64_t i, unsigned order, uint64_t v, size_t *n)
{
    switch (order) {
    case 0: case 1: case 2: {
        unsigned bits = 1u << order, per = 8 / bits, sh = (unsigned)(i % per) * bits;
        uint8_t m = (uint8_t)(((1u << bits) - 1) << sh);
        b[i / per] = (uint8_t)((b[i / per] & ~m) | ((v << sh) & m));
        *n = 1;
        return i / per;
    }
    case 3: b[i] = (uint8_t)v; *n = 1; return i;
    case 4: qcow2_put16(b + 2 * i, (uint16_t)v); *n = 2; return 2 * i;
    case 5: qcow2_put32(b + 4 * i, (uint32_t)v); *n = 4; return 4 * i;
    default: qcow2_put64(b + 8 * i, v); *n = 8; return 8 * i;
    }
}

/* The refcount of cluster c: no table entry or block means 0. */
static int rc_get(struct qcow2 *q, uint64_t c, uint64_t *val)
{
    uint64_t bi = c >> q->rb_bits;
    *val = 0;
    if (bi >= q->rt_entries)
        return 0;
    if (q->rt[bi] & 0x1ff)
        return -EIO;
    uint64_t off = q->rt[bi] & QCOW2_RT_OFF_MASK;
    if (!off)
        return 0;
    struct qcow2_slot *s;
    int rc = rb_load(q, off, &s);
    if (rc < 0)
        return rc;
    *val = rc_entry(s->buf, c & ((1ULL << q->rb_bits) - 1), q->refcount_order);
    return 0;
}

static int rt_entry_write(struct qcow2 *q, uint64_t bi)
{
    uint8_t e[8];
    qcow2_put64(e, q->rt[bi]);
    return qcow2_pwrite(q, e, 8, q->rt_off + 8 * bi);
}

/* Grows the refcount table to cover refcount block index bi: a new, larger
 * table at the end of the file, with refcounts for its own clusters, is
 * written and made durable, then the header points at it, then the old
 * table is freed. */
static int rt_grow(struct qcow2 *q, uint64_t bi)
{
    uint64_t old_off = q->rt_off, old_n = q->rt_clusters, n = old_n;
    uint64_t per = q->cs / 8;
    do {
        n = n * 2;
        if (n * q->cs > QCOW2_MAX_RT_BYTES)
            return -ENOSPC;
    } while (n * per <= bi + 1 || ((n * per) << q->rb_bits) <= q->alloc_end + n + 64);
    uint64_t *nrt = calloc(n * per, sizeof(*nrt));
    if (!nrt)
        return -ENOMEM;
    memcpy(nrt, q->rt, q->rt_entries * sizeof(*nrt));
    uint64_t at = q->alloc_end;
    if (((at + n) << q->cluster_bits) > QCOW2_MAX_OFFSET) {
        free(nrt);
        return -ENOSPC;
    }
    q->alloc_end += n;
    /* From here on entries of new blocks go to the new table's place. */
    uint64_t *ort = q->rt;
    q->rt = nrt;
    q->rt_entries = n * per;
    q->rt_off = at << q->cluster_bits;
    q->rt_clusters = (uint32_t)n;
    int rc = 0;
    for (uint64_t i = 0; i < n && rc == 0; i++)
        rc = rc_set(q, at + i, 1);
    uint8_t *img = NULL;
    if (rc == 0) {
        img = malloc(n * q->cs);
        if (!img)
            rc = -ENOMEM;
    }
    if (rc == 0) {
        for (uint64_t i = 0; i < q->rt_entries; i++)
            qcow2_put64(img + 8 * i, nrt[i]);
        rc = qcow2_pwrite(q, img, n * q->cs, q->rt_off);
    }
    free(img);
    if (rc == 0)
        rc = qcow2_sync(q);
    if (rc == 0) {
        uint8_t h[12];
        qcow2_put64(h, q->rt_off);
        qcow2_put32(h + 8, q->rt_clusters);
        rc = qcow2_pwrite(q, h, 12, 48);
    }
    if (rc == 0)
        rc = qcow2_sync(q);
    if (rc < 0) {
        /* The header still names the old table: go back to it (the new
         * clusters leak). */
        free(nrt);
        q->rt = ort;
        q->rt_entries = old_n * per;
        q->rt_off = old_off;
        q->rt_clusters = (uint32_t)old_n;
        return rc;
    }
    free(ort);
    for (uint64_t i = 0; i < old_n && rc == 0; i++) {
        uint64_t c = (old_off >> q->cluster_bits) + i, v;
        rc = rc_get(q, c, &v);
        if (rc == 0 && v)
            rc = rc_set(q, c, v - 1);
    }
    return rc;
}

/* A new refcount block for block index bi, at the end of the file. */
static int rb_alloc(struct qcow2 *q, uint64_t bi)
{
    uint64_t c = q->alloc_end;
    if (((c + 1) << q->cluster_bits) > QCOW2_MAX_OFFSET)
        return -ENOSPC;
    q->alloc_end++;
    struct qcow2_slot *s = slot_victim(q->rbc, QCOW2_RB_SLOTS);
    memset(s->buf, 0, q->cs);
    bool self = (c >> q->rb_bits) == bi;
    size_t n;
    if (self)
        rc_entry_put(s->buf, c & ((1ULL << q->rb_bits) - 1), q->refcount_order, 1, &n);
    s->off = 0;
    int rc = qcow2_pwrite(q, s->buf, q->cs, c << q->cluster_bits);
    if (rc < 0)
        return rc;
    s->off = c << q->cluster_bits;
    s->used = ++q->tick;
    if (!self) {
        rc = rc_set(q, c, 1);
        if (rc < 0)
            return rc;
    }
    rc = qcow2_sync(q);
    if (rc < 0)
        return rc;
    q->rt[bi] = c << q->cluster_bits;
    return rt_entry_write(q, bi);
}

/* Sets cluster c's refcount, written through. */
static int rc_set(struct qcow2 *q, uint64_t c, uint64_t val)
{
    uint64_t bi = c >> q->rb_bits;
    int rc;
    if (bi >= q->rt_entries && (rc = rt_grow(q, bi)) < 0)
        return rc;
    if (q->rt[bi] & 0x1ff)
        return -EIO;
    if (!(q->rt[bi] & QCOW2_RT_OFF_MASK) && (rc = rb_alloc(q, bi)) < 0)
        return rc;
    uint64_t off = q->rt[bi] & QCOW2_RT_OFF_MASK;
    struct qcow2_slot *s;
    if ((rc = rb_load(q, off, &s)) < 0)
        return rc;
    size_t n;
    uint64_t at = rc_entry_put(s->buf, c & ((1ULL << q->rb_bits) - 1), q->refcount_order, val, &n);
    if (val == 0 && c < q->free_hint)
        q->free_hint = c;
    return qcow2_pwrite(q, s->buf + at, n, off + at);
}

/* A free cluster (refcount 0) with refcount 1 now: the lowest free one in
 * the file, else a new one at its end. */
static int alloc_cluster(struct qcow2 *q, uint64_t *off)
{
    uint64_t c = q->free_hint, v = 1;
    for (; c < q->alloc_end; c++) {
        int rc = rc_get(q, c, &v);
        if (rc < 0)
            return rc;
        if (v == 0)
            break;
    }
    if (c == q->alloc_end) {
        if (((c + 1) << q->cluster_bits) > QCOW2_MAX_OFFSET)
            return -ENOSPC;
        q->alloc_end++;
    }
    q->free_hint = c + 1;
    int rc = rc_set(q, c, 1);
    if (rc < 0)
        return rc;
    *off = c << q->cluster_bits;
    return 0;
}

/* The clusters of [off, off + len) lose a reference once the tables that
 * dropped it are durable (qcow2_meta_flush). */
static int defer_free(struct qcow2 *q, uint64_t off, uint64_t len)
{
    if (q->nfrees == q->frees_cap) {
        size_t cap = q->frees_cap ? q->frees_cap * 2 : 64;
        struct qcow2_free *f = realloc(q->frees, cap * sizeof(*f));
        if (!f)
            return -ENOMEM;
        q->frees = f;
        q->frees_cap = cap;
    }
    q->frees[q->nfrees++] = (struct qcow2_free){ off, len };
    return q->nfrees >= FREES_MAX ? qcow2_meta_flush(q) : 0;
}

static int apply_frees(struct qcow2 *q)
{
    int rc = 0;
    for (size_t i = 0; i < q->nfrees && rc == 0; i++) {
        uint64_t first = q->frees[i].off >> q->cluster_bits;
        uint64_t last = (q->frees[i].off + q->frees[i].len - 1) >> q->cluster_bits;
        for (uint64_t c = first; c <= last && rc == 0; c++) {
            uint64_t v;
            rc = rc_get(q, c, &v);
            if (rc == 0 && v == 0) {
                fprintf(stderr, "popek: qcow2: a cluster at 0x%llx in use has refcount 0 (corrupt image)\n",
                        (unsigned long long)(c << q->cluster_bits));
                rc = -EIO;
            }
            if (rc == 0)
                rc = rc_set(q, c, v - 1);
        }
    }
    q->nfrees = 0;
    return rc;
}

/* Writes out the cached tables in the order the file needs (see the top
 * of the file), then applies the queued decrements. */
int qcow2_meta_flush(struct qcow2 *q)
{
    bool l2_dirty = false;
    for (unsigned i = 0; i < q->l2_slots; i++)
        l2_dirty |= q->l2c[i].dirty;
    int rc = 0;
    if (l2_dirty || q->l1_dirty || q->nfrees)
        rc = qcow2_sync(q);
    for (unsigned i = 0; i < q->l2_slots && rc == 0; i++) {
        struct qcow2_slot *s = &q->l2c[i];
        if (s->dirty) {
            rc = qcow2_pwrite(q, s->buf, q->cs, s->off);
            if (rc == 0)
                s->dirty = false;
        }
    }
    bool wrote = l2_dirty || q->l1_dirty;
    if (rc == 0 && q->l1_dirty) {
        if (l2_dirty)
            rc = qcow2_sync(q);
        uint32_t lo = q->l1_dirty_lo, n = q->l1_dirty_hi - lo + 1;
        uint8_t *b = rc == 0 ? malloc((size_t)n * 8) : NULL;
        if (rc == 0 && !b)
            rc = -ENOMEM;
        if (rc == 0) {
            for (uint32_t i = 0; i < n; i++)
                qcow2_put64(b + 8 * i, q->l1[lo + i]);
            rc = qcow2_pwrite(q, b, (size_t)n * 8, q->l1_off + 8ULL * lo);
        }
        free(b);
        if (rc == 0)
            q->l1_dirty = false;
    }
    if (rc == 0 && q->nfrees) {
        if (wrote)
            rc = qcow2_sync(q);
        if (rc == 0)
            rc = apply_frees(q);
    }
    return rc;
}

/* ---- mapping ---- */

/* The L2 entry of guest cluster vc (0: unallocated). */
static int l2_entry(struct qcow2 *q, uint64_t vc, uint64_t *e)
{
    uint64_t l1i = vc >> q->l2_bits;
    *e = 0;
    if (l1i >= q->l1_size)
        return -EIO;
    uint64_t l1e = q->l1[l1i];
    if (l1e & QCOW2_L1_RESERVED)
        return -EIO;
    uint64_t off = l1e & QCOW2_L1_OFF_MASK;
    if (!off)
        return 0;
    struct qcow2_slot *s;
    int rc = l2_load(q, off, &s);
    if (rc < 0)
        return rc;
    *e = qcow2_be64(s->buf + 8 * (vc & ((1ULL << q->l2_bits) - 1)));
    return 0;
}

/* The host offset of a standard entry, checked (0: unallocated). */
static int std_offset(const struct qcow2 *q, uint64_t e, uint64_t *off)
{
    *off = e & QCOW2_L2_OFF_MASK;
    if ((e & QCOW2_L2_RESERVED) || (*off & (q->cs - 1)))
        return -EIO;
    if (*off && (*off >> q->cluster_bits) >= q->alloc_end)
        return -EIO;
    return 0;
}

static void compressed_range(const struct qcow2 *q, uint64_t e, uint64_t *off, uint64_t *len)
{
    *off = e & q->coff_mask;
    uint64_t sectors = ((e >> q->csize_shift) & q->csize_mask) + 1;
    *len = sectors * 512 - (*off & 511);
}

static int decompress(struct qcow2 *q, uint64_t e)
{
    if (q->dbuf_entry == e)
        return 0;
    uint64_t off, len;
    compressed_range(q, e, &off, &len);
    if (!off || off >= q->file_end)
        return -EIO;
    q->dbuf_entry = 0;
    int rc = qcow2_pread(q, q->cbuf, (size_t)len, off);
    if (rc < 0)
        return rc;
    z_stream z;
    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, -12) != Z_OK)
        return -ENOMEM;
    z.next_in = q->cbuf;
    z.avail_in = (uInt)len;
    z.next_out = q->dbuf;
    z.avail_out = (uInt)q->cs;
    int zr = inflate(&z, Z_FINISH);
    bool ok = (zr == Z_STREAM_END || zr == Z_BUF_ERROR || zr == Z_OK) && z.avail_out == 0;
    inflateEnd(&z);
    if (!ok)
        return -EIO;
    q->dbuf_entry = e;
    return 0;
}

static int backing_read(struct qcow2 *q, uint64_t off, uint8_t *buf, size_t len)
{
    size_t n = 0;
    if (q->backing && off < q->backing->size) {
        n = len;
        if (n > q->backing->size - off)
            n = (size_t)(q->backing->size - off);
        int rc = blockdev_read(q->backing, off, buf, n);
        if (rc < 0)
            return rc;
    }
    memset(buf + n, 0, len - n);
    return 0;
}

/* Reads [off, off + len) of the guest disk, inside one cluster. */
static int read_part(struct qcow2 *q, uint64_t off, uint8_t *buf, size_t len)
{
    uint64_t e, in = off & (q->cs - 1), host;
    int rc = l2_entry(q, off >> q->cluster_bits, &e);
    if (rc < 0)
        return rc;
    if (e & QCOW2_COMPRESSED) {
        if ((rc = decompress(q, e)) < 0)
            return rc;
        memcpy(buf, q->dbuf + in, len);
        return 0;
    }
    if ((rc = std_offset(q, e, &host)) < 0)
        return rc;
    if (e & QCOW2_ZERO) {
        memset(buf, 0, len);
        return 0;
    }
    if (!host)
        return backing_read(q, off, buf, len);
    return qcow2_pread(q, buf, len, host + in);
}

static int qcow2_read(struct blockdev *b, uint64_t off, void *buf, size_t len)
{
    struct qcow2 *q = b->opaque;
    uint8_t *p = buf;
    while (len) {
        size_t n = (size_t)(q->cs - (off & (q->cs - 1)));
        if (n > len)
            n = len;
        int rc = read_part(q, off, p, n);
        if (rc < 0)
            return rc;
        p += n;
        off += n;
        len -= n;
    }
    return 0;
}

static void l1_set(struct qcow2 *q, uint64_t i, uint64_t v)
{
    q->l1[i] = v;
    if (!q->l1_dirty) {
        q->l1_dirty = true;
        q->l1_dirty_lo = q->l1_dirty_hi = (uint32_t)i;
    }
    if (i < q->l1_dirty_lo)
        q->l1_dirty_lo = (uint32_t)i;
    if (i > q->l1_dirty_hi)
        q->l1_dirty_hi = (uint32_t)i;
}

/* Makes the L2 table of L1 entry l1i one that may be changed: a new one if
 * there is none, a copy if it is shared (with a snapshot).  Its offset in
 * *off. */
static int l2_writable(struct qcow2 *q, uint64_t l1i, uint64_t *off)
{
    uint64_t l1e = q->l1[l1i], v;
    if (l1e & QCOW2_L1_RESERVED)
        return -EIO;
    *off = l1e & QCOW2_L1_OFF_MASK;
    int rc;
    if (!*off) {
        if ((rc = alloc_cluster(q, off)) < 0 || (rc = l2_new(q, *off, NULL)) < 0)
            return rc;
        l1_set(q, l1i, *off | QCOW2_COPIED);
        return 0;
    }
    if (l1e & QCOW2_COPIED)
        return 0;
    if (*off & (q->cs - 1))
        return -EIO;
    if ((rc = rc_get(q, *off >> q->cluster_bits, &v)) < 0)
        return rc;
    if (v == 0)
        return -EIO;
    if (v == 1) {
        l1_set(q, l1i, *off | QCOW2_COPIED);
        return 0;
    }
    struct qcow2_slot *s;
    uint64_t old = *off;
    if ((rc = l2_load(q, old, &s)) < 0)
        return rc;
    memcpy(q->tbl, s->buf, q->cs);
    if ((rc = alloc_cluster(q, off)) < 0 || (rc = l2_new(q, *off, q->tbl)) < 0)
        return rc;
    l1_set(q, l1i, *off | QCOW2_COPIED);
    return defer_free(q, old, q->cs);
}

/* Whether a data cluster at off would overlap the header, the L1 table or
 * the refcount table (a corrupt L2 entry): such a cluster is never written. */
static bool overlaps_meta(const struct qcow2 *q, uint64_t off)
{
    uint64_t end = off + q->cs;
    if (off < q->cs)
        return true;
    if (q->l1_size && off < q->l1_off + 8ULL * q->l1_size && q->l1_off < end)
        return true;
    return off < q->rt_off + (uint64_t)q->rt_clusters * q->cs && q->rt_off < end;
}

/* Writes [off, off + len) inside one guest cluster. */
static int write_part(struct qcow2 *q, uint64_t off, const uint8_t *buf, size_t len)
{
    uint64_t vc = off >> q->cluster_bits, in = off & (q->cs - 1), e, host = 0, v;
    int rc = l2_entry(q, vc, &e);
    if (rc < 0)
        return rc;
    bool compressed = e & QCOW2_COMPRESSED;
    if (!compressed && (rc = std_offset(q, e, &host)) < 0)
        return rc;
    bool reuse = false; /* the entry's cluster is ours alone: write in place */
    if (host && overlaps_meta(q, host))
        return -EIO;
    if (host) {
        if (e & QCOW2_COPIED) {
            reuse = true;
        } else {
            if ((rc = rc_get(q, host >> q->cluster_bits, &v)) < 0)
                return rc;
            if (v == 0)
                return -EIO;
            reuse = v == 1;
        }
    }
    if (reuse && !(e & QCOW2_ZERO) && (e & QCOW2_COPIED))
        return qcow2_pwrite(q, buf, len, host + in);
    /* The whole cluster as it will be: what it reads as now, merged. */
    if (len != q->cs && (rc = read_part(q, vc << q->cluster_bits, q->cow, (size_t)q->cs)) < 0)
        return rc;
    memcpy(q->cow + in, buf, len);
    uint64_t l2off, new_host = host;
    if ((rc = l2_writable(q, vc >> q->l2_bits, &l2off)) < 0)
        return rc;
    if (!reuse && (rc = alloc_cluster(q, &new_host)) < 0)
        return rc;
    if ((rc = qcow2_pwrite(q, q->cow, (size_t)q->cs, new_host)) < 0)
        return rc;
    struct qcow2_slot *s;
    if ((rc = l2_load(q, l2off, &s)) < 0)
        return rc;
    qcow2_put64(s->buf + 8 * (vc & ((1ULL << q->l2_bits) - 1)), new_host | QCOW2_COPIED);
    s->dirty = true;
    if (q->dbuf_entry == e)
        q->dbuf_entry = 0;
    if (compressed) {
        uint64_t coff, clen;
        compressed_range(q, e, &coff, &clen);
        return defer_free(q, coff, clen);
    }
    if (host && !reuse)
        return defer_free(q, host, q->cs);
    return 0;
}

static int qcow2_write(struct blockdev *b, uint64_t off, const void *buf, size_t len)
{
    struct qcow2 *q = b->opaque;
    const uint8_t *p = buf;
    while (len) {
        size_t n = (size_t)(q->cs - (off & (q->cs - 1)));
        if (n > len)
            n = len;
        int rc = write_part(q, off, p, n);
        if (rc < 0)
            return rc;
        p += n;
        off += n;
        len -= n;
    }
    return 0;
}

static int qcow2_flush(struct blockdev *b)
{
    struct qcow2 *q = b->opaque;
    if (!q->rw)
        return 0;
    int rc = qcow2_meta_flush(q);
    return rc < 0 ? rc : qcow2_sync(q);
}

void qcow2_free_state(struct qcow2 *q)
{
    if (q->backing)
        blockdev_close(q->backing);
    for (unsigned i = 0; i < QCOW2_L2_SLOTS_MAX; i++)
        free(q->l2c[i].buf);
    for (unsigned i = 0; i < QCOW2_RB_SLOTS; i++)
        free(q->rbc[i].buf);
    free(q->l1);
    free(q->rt);
    free(q->cbuf);
    free(q->dbuf);
    free(q->cow);
    free(q->tbl);
    free(q->frees);
    free(q);
}

static void qcow2_close(struct blockdev *b)
{
    struct qcow2 *q = b->opaque;
    if (!q)
        return;
    if (q->rw && qcow2_flush(b) < 0)
        fprintf(stderr, "popek: disk image %s: writing its tables at close failed\n", b->name);
    close(q->fd);
    qcow2_free_state(q);
    b->opaque = NULL;
}

const struct blockdev_ops qcow2_ops = {
    .read = qcow2_read,
    .write = qcow2_write,
    .flush = qcow2_flush,
    .close = qcow2_close,
};
