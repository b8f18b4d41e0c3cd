/* qcow2 images, versions 2 and 3 (QEMU's docs/interop/qcow2.txt): the
 * header and its extensions, checked field by field before anything is
 * used; the backing file; creating an empty image; the --snapshot overlay.
 * The clusters themselves are qcow2_map.c's.  What is refused and why is
 * in docs/disks.md. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disks/qcow2_int.h"

#define HDR_V2_LEN      72
#define HDR_V3_LEN      104
#define EXT_END         0x00000000u
#define EXT_BACKING_FMT 0xe2792acau
#define EXT_FEATURES    0x6803f857u
#define MAX_SNAPSHOTS   65536

enum {
    INCOMPAT_DIRTY = 1u << 0,
    INCOMPAT_CORRUPT = 1u << 1,
    INCOMPAT_DATA_FILE = 1u << 2,
    INCOMPAT_COMPRESSION = 1u << 3,
    INCOMPAT_EXTL2 = 1u << 4,
};

static int bad(const char *path, int err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "popek: qcow2 image %s: ", path);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    return err;
}

/* What the header says, before it is trusted. */
struct header {
    uint32_t version, cluster_bits, crypt, l1_size, rt_clusters, nb_snapshots, refcount_order, hdr_len;
    uint32_t backing_len;
    uint64_t backing_off, size, l1_off, rt_off, snapshots_off;
    uint64_t incompat, compat, autoclear;
    unsigned compression;
    char backing_fmt[16];
    const uint8_t *features; /* the feature name table, if any */
    uint32_t features_len;
};

/* The name of an incompatible feature bit from the image's own table. */
static const char *feature_name(const struct header *h, unsigned bit, char *buf)
{
    for (uint32_t i = 0; h->features && i + 48 <= h->features_len; i += 48) {
        if (h->features[i] == 0 && h->features[i + 1] == bit) {
            memcpy(buf, h->features + i + 2, 46);
            buf[46] = 0;
            return buf;
        }
    }
    return "unnamed";
}

static int parse_extensions(const char *path, struct header *h, const uint8_t *c0, uint64_t end)
{
    uint64_t off = h->version == 2 ? HDR_V2_LEN : h->hdr_len;
    while (off + 8 <= end) {
        uint32_t type = qcow2_be32(c0 + off), len = qcow2_be32(c0 + off + 4);
        if (type == EXT_END)
            return 0;
        if (len > end - off - 8)
            return bad(path, -EINVAL, "header extension 0x%08x runs past the header", type);
        const uint8_t *d = c0 + off + 8;
        if (type == EXT_BACKING_FMT) {
            if (len >= sizeof(h->backing_fmt))
                return bad(path, -EINVAL, "backing format name too long");
            memcpy(h->backing_fmt, d, len);
            h->backing_fmt[len] = 0;
        } else if (type == EXT_FEATURES) {
            h->features = d;
            h->features_len = len;
        }
        off += 8 + ((len + 7ULL) & ~7ULL);
    }
    return 0;
}

/* Every field, range-checked against the file and QEMU's limits. */
static int parse_header(const char *path, struct header *h, const uint8_t *c0, uint64_t c0_len,
                        uint64_t file_end, bool rw)
{
    memset(h, 0, sizeof(*h));
    h->version = qcow2_be32(c0 + 4);
    if (h->version != 2 && h->version != 3)
        return bad(path, -ENOTSUP, "version %u (only 2 and 3 exist)", h->version);
    h->cluster_bits = qcow2_be32(c0 + 20);
    if (h->cluster_bits < 9 || h->cluster_bits > 21)
        return bad(path, -EINVAL, "cluster_bits %u outside 9..21 (clusters of 512 B to 2 MiB)", h->cluster_bits);
    uint64_t cs = 1ULL << h->cluster_bits;
    h->backing_off = qcow2_be64(c0 + 8);
    h->backing_len = qcow2_be32(c0 + 16);
    h->size = qcow2_be64(c0 + 24);
    h->crypt = qcow2_be32(c0 + 32);
    h->l1_size = qcow2_be32(c0 + 36);
    h->l1_off = qcow2_be64(c0 + 40);
    h->rt_off = qcow2_be64(c0 + 48);
    h->rt_clusters = qcow2_be32(c0 + 56);
    h->nb_snapshots = qcow2_be32(c0 + 60);
    h->snapshots_off = qcow2_be64(c0 + 64);
    h->refcount_order = 4;
    h->hdr_len = HDR_V2_LEN;
    if (h->version == 3) {
        if (c0_len < HDR_V3_LEN)
            return bad(path, -EINVAL, "the file ends inside the version 3 header");
        h->incompat = qcow2_be64(c0 + 72);
        h->compat = qcow2_be64(c0 + 80);
        h->autoclear = qcow2_be64(c0 + 88);
        h->refcount_order = qcow2_be32(c0 + 96);
        h->hdr_len = qcow2_be32(c0 + 100);
        if (h->hdr_len < HDR_V3_LEN || h->hdr_len > cs || (h->hdr_len & 7))
            return bad(path, -EINVAL, "header_length %u (a multiple of 8, 104 up to the cluster size)", h->hdr_len);
        if (h->hdr_len > c0_len)
            return bad(path, -EINVAL, "the file ends inside the header");
        if (h->hdr_len > 104)
            h->compression = c0[104];
        if (h->refcount_order > 6)
            return bad(path, -EINVAL, "refcount_order %u (at most 6: 64-bit refcounts)", h->refcount_order);
    }
    if (h->crypt)
        return bad(path, -ENOTSUP, "encrypted (crypt_method %u): Popek reads no encrypted images", h->crypt);

    /* The backing file name lies in the header cluster, after the header. */
    uint64_t ext_end = c0_len;
    if (h->backing_off) {
        if (h->backing_len == 0 || h->backing_len > 1023)
            return bad(path, -EINVAL, "backing file name of %u bytes (1 to 1023)", h->backing_len);
        if (h->backing_off < h->hdr_len || h->backing_off > cs || h->backing_len > cs - h->backing_off ||
            h->backing_off + h->backing_len > c0_len)
            return bad(path, -EINVAL, "backing file name outside the header cluster");
        ext_end = h->backing_off;
    }
    int rc = parse_extensions(path, h, c0, ext_end);
    if (rc < 0)
        return rc;

    uint64_t known = INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_DATA_FILE | INCOMPAT_COMPRESSION | INCOMPAT_EXTL2;
    if (h->incompat & ~known) {
        char name[47];
        unsigned bit = (unsigned)__builtin_ctzll(h->incompat & ~known);
        return bad(path, -ENOTSUP, "unknown incompatible feature bit %u (\"%s\"): Popek cannot use this image", bit,
                   feature_name(h, bit, name));
    }
    if (h->incompat & INCOMPAT_DATA_FILE)
        return bad(path, -ENOTSUP, "an external data file (incompatible bit 2): not supported");
    if (h->incompat & INCOMPAT_EXTL2)
        return bad(path, -ENOTSUP, "extended L2 entries / subclusters (incompatible bit 4): not supported");
    if (h->compression == 1)
        return bad(path, -ENOTSUP, "zstd compression: not supported (only zlib; `qemu-img convert` can rewrite it)");
    if (h->compression > 1)
        return bad(path, -ENOTSUP, "unknown compression type %u", h->compression);
    if (!!(h->incompat & INCOMPAT_COMPRESSION) != (h->compression != 0))
        return bad(path, -EINVAL, "compression type %u disagrees with incompatible bit 3", h->compression);
    if ((h->incompat & INCOMPAT_DIRTY) && rw)
        return bad(path, -EROFS,
                   "not closed cleanly (the dirty bit: its refcounts are stale); repair it with "
                   "`qemu-img check -r all`, or open it read-only");
    if (h->incompat & INCOMPAT_CORRUPT) {
        if (rw)
            return bad(path, -EROFS,
                       "marked corrupt; repair it with `qemu-img check -r all`, or open it read-only");
        fprintf(stderr, "popek: warning: qcow2 image %s is marked corrupt; reading it anyway\n", path);
    }
    if (h->backing_fmt[0] && strcmp(h->backing_fmt, "raw") && strcmp(h->backing_fmt, "qcow2"))
        return bad(path, -ENOTSUP, "backing file format \"%s\" (only raw and qcow2)", h->backing_fmt);

    /* The tables. */
    if (h->size >= 1ULL << 62)
        return bad(path, -EINVAL, "disk size %llu too large", (unsigned long long)h->size);
    unsigned l1_shift = 2 * h->cluster_bits - 3; /* bytes one L1 entry maps */
    uint64_t l1_need = (h->size >> l1_shift) + !!(h->size & ((1ULL << l1_shift) - 1));
    if ((uint64_t)h->l1_size * 8 > QCOW2_MAX_L1_BYTES)
        return bad(path, -EINVAL, "l1_size %u too large", h->l1_size);
    if (h->l1_size < l1_need)
        return bad(path, -EINVAL, "L1 table of %u entries too small for a disk of %llu bytes", h->l1_size,
                   (unsigned long long)h->size);
    if (h->l1_size) {
        if (!h->l1_off || (h->l1_off & (cs - 1)) || h->l1_off >= QCOW2_MAX_OFFSET)
            return bad(path, -EINVAL, "L1 table offset 0x%llx not a cluster past the header",
                       (unsigned long long)h->l1_off);
        if (h->l1_off + 8ULL * h->l1_size > file_end)
            return bad(path, -EINVAL, "L1 table past the end of the file");
    }
    if (!h->rt_off || (h->rt_off & (cs - 1)) || h->rt_off >= QCOW2_MAX_OFFSET)
        return bad(path, -EINVAL, "refcount table offset 0x%llx not a cluster past the header",
                   (unsigned long long)h->rt_off);
    if (h->rt_clusters == 0 || (uint64_t)h->rt_clusters * cs > QCOW2_MAX_RT_BYTES)
        return bad(path, -EINVAL, "refcount table of %u clusters (1 up to 8 MiB)", h->rt_clusters);
    if (h->rt_off + (uint64_t)h->rt_clusters * cs > file_end)
        return bad(path, -EINVAL, "refcount table past the end of the file");
    if (h->l1_size && h->l1_off < h->rt_off + (uint64_t)h->rt_clusters * cs &&
        h->rt_off < h->l1_off + 8ULL * h->l1_size)
        return bad(path, -EINVAL, "the L1 table overlaps the refcount table");
    if (h->nb_snapshots > MAX_SNAPSHOTS)
        return bad(path, -EINVAL, "%u snapshots (at most %u)", h->nb_snapshots, MAX_SNAPSHOTS);
    if (h->nb_snapshots && (!h->snapshots_off || (h->snapshots_off & (cs - 1)) || h->snapshots_off >= file_end))
        return bad(path, -EINVAL, "snapshot table offset 0x%llx not a cluster in the file",
                   (unsigned long long)h->snapshots_off);
    return 0;
}

static int read_table(struct qcow2 *q, uint64_t **out, uint64_t n, uint64_t off)
{
    uint8_t *raw = malloc(n ? n * 8 : 1);
    uint64_t *t = calloc(n ? n : 1, sizeof(*t));
    int rc = raw && t ? qcow2_pread(q, raw, n * 8, off) : -ENOMEM;
    for (uint64_t i = 0; rc == 0 && i < n; i++)
        t[i] = qcow2_be64(raw + 8 * i);
    free(raw);
    if (rc < 0) {
        free(t);
        return rc;
    }
    *out = t;
    return 0;
}

static int alloc_buffers(struct qcow2 *q)
{
    /* L2 slots: up to 4 MiB of cache, at least 4 tables. */
    q->l2_slots = (unsigned)((4u << 20) >> q->cluster_bits);
    if (q->l2_slots < 4)
        q->l2_slots = 4;
    if (q->l2_slots > QCOW2_L2_SLOTS_MAX)
        q->l2_slots = QCOW2_L2_SLOTS_MAX;
    for (unsigned i = 0; i < q->l2_slots; i++)
        if (!(q->l2c[i].buf = malloc(q->cs)))
            return -ENOMEM;
    for (unsigned i = 0; i < QCOW2_RB_SLOTS; i++)
        if (!(q->rbc[i].buf = malloc(q->cs)))
            return -ENOMEM;
    q->cbuf = malloc(2 * q->cs);
    q->dbuf = malloc(q->cs);
    q->cow = malloc(q->cs);
    q->tbl = malloc(q->cs);
    return q->cbuf && q->dbuf && q->cow && q->tbl ? 0 : -ENOMEM;
}

/* The backing file, named relative to the image's directory. */
static int open_backing(struct qcow2 *q, const char *path, const struct header *h, const uint8_t *c0,
                        const struct blockdev_chain *node)
{
    char name[1024], full[4096];
    memcpy(name, c0 + h->backing_off, h->backing_len);
    name[h->backing_len] = 0;
    if (strlen(name) != h->backing_len)
        return bad(path, -EINVAL, "backing file name holds a NUL byte");
    const char *slash = strrchr(path, '/');
    int n;
    if (name[0] == '/' || !slash)
        n = snprintf(full, sizeof(full), "%s", name);
    else
        n = snprintf(full, sizeof(full), "%.*s/%s", (int)(slash - path), path, name);
    if (n < 0 || (size_t)n >= sizeof(full))
        return bad(path, -ENAMETOOLONG, "backing file path too long");
    enum blockdev_format f = BLOCKDEV_PROBE;
    if (!strcmp(h->backing_fmt, "raw"))
        f = BLOCKDEV_RAW;
    else if (!strcmp(h->backing_fmt, "qcow2"))
        f = BLOCKDEV_QCOW2;
    int rc = blockdev_open_chain(&q->backing_store, full, f, true, node);
    if (rc < 0)
        return bad(path, rc, "cannot open its backing file %s", full);
    q->backing = &q->backing_store;
    return 0;
}

static int open_image(struct blockdev *b, int fd, const char *path, bool read_only,
                      const struct blockdev_chain *node, struct blockdev *base)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    uint64_t file_end = (uint64_t)st.st_size;
    struct qcow2 *q = calloc(1, sizeof(*q));
    if (!q)
        return -ENOMEM;
    q->fd = fd;
    q->file_end = file_end;
    q->rw = !read_only;
    uint8_t *c0 = NULL;
    int rc;
    uint8_t first[HDR_V2_LEN];
    if (file_end < HDR_V2_LEN) {
        rc = bad(path, -EINVAL, "the file (%llu bytes) is shorter than a qcow2 header", (unsigned long long)file_end);
        goto fail;
    }
    if ((rc = qcow2_pread(q, first, sizeof(first), 0)) < 0)
        goto fail;
    if (memcmp(first, "QFI\xfb", 4)) {
        rc = bad(path, -EINVAL, "no qcow2 magic");
        goto fail;
    }
    uint32_t cb = qcow2_be32(first + 20);
    uint64_t c0_len = cb >= 9 && cb <= 21 ? 1ULL << cb : HDR_V3_LEN;
    if (c0_len > file_end)
        c0_len = file_end;
    if (!(c0 = malloc(c0_len)) || (rc = qcow2_pread(q, c0, c0_len, 0)) < 0) {
        rc = c0 ? rc : -ENOMEM;
        goto fail;
    }
    struct header h;
    if ((rc = parse_header(path, &h, c0, c0_len, file_end, !read_only)) < 0)
        goto fail;
    if (h.backing_off && base) {
        rc = bad(path, -EINVAL, "an overlay has no backing file name");
        goto fail;
    }
    q->version = h.version;
    q->cluster_bits = h.cluster_bits;
    q->cs = 1ULL << h.cluster_bits;
    q->l2_bits = h.cluster_bits - 3;
    q->refcount_order = h.refcount_order;
    q->rb_bits = h.cluster_bits + 3 - h.refcount_order;
    q->size = h.size;
    q->l1_off = h.l1_off;
    q->l1_size = h.l1_size;
    q->rt_off = h.rt_off;
    q->rt_clusters = h.rt_clusters;
    q->rt_entries = (uint64_t)h.rt_clusters * q->cs / 8;
    q->csize_shift = 62 - (h.cluster_bits - 8);
    q->coff_mask = (1ULL << q->csize_shift) - 1;
    q->csize_mask = (1ULL << (h.cluster_bits - 8)) - 1;
    q->alloc_end = (file_end + q->cs - 1) >> h.cluster_bits;
    if ((rc = alloc_buffers(q)) < 0 || (rc = read_table(q, &q->l1, q->l1_size, q->l1_off)) < 0)
        goto fail;
    if (!read_only) {
        if ((rc = read_table(q, &q->rt, q->rt_entries, q->rt_off)) < 0)
            goto fail;
        if (h.autoclear) {
            /* Popek keeps no bitmaps: whatever the autoclear bits vouch
             * for goes stale with the first write, so they are cleared. */
            uint8_t zero[8] = { 0 };
            if ((rc = qcow2_pwrite(q, zero, 8, 88)) < 0 || (rc = qcow2_sync(q)) < 0)
                goto fail;
        }
    }
    if (h.backing_off && (rc = open_backing(q, path, &h, c0, node)) < 0)
        goto fail;
    if (base) {
        q->backing_store = *base;
        q->backing = &q->backing_store;
        base->ops = NULL;
        base->opaque = NULL;
    }
    free(c0);
    b->ops = &qcow2_ops;
    b->opaque = q;
    b->size = q->size;
    b->read_only = read_only;
    return 0;
fail:
    free(c0);
    q->fd = -1;
    qcow2_free_state(q);
    return rc;
}

int qcow2_open_chain(struct blockdev *b, int fd, const char *path, bool read_only,
                     const struct blockdev_chain *node)
{
    return open_image(b, fd, path, read_only, node, NULL);
}

int qcow2_open_fd(struct blockdev *b, int fd, const char *path, bool read_only)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    struct blockdev_chain node = { NULL, st.st_dev, st.st_ino, 0 };
    return open_image(b, fd, path, read_only, &node, NULL);
}

/* Cluster 0 the header, 1 the refcount table, 2 its first block, 3.. the
 * L1 table; everything else comes as it is written. */
int qcow2_format_fd(int fd, uint64_t size, unsigned cluster_bits)
{
    if (cluster_bits < 9 || cluster_bits > 21 || size >= 1ULL << 62)
        return -EINVAL;
    uint64_t cs = 1ULL << cluster_bits;
    unsigned l1_shift = 2 * cluster_bits - 3;
    uint64_t l1_size = (size >> l1_shift) + !!(size & ((1ULL << l1_shift) - 1));
    uint64_t l1_clusters = (l1_size * 8 + cs - 1) / cs;
    uint64_t total = 3 + (l1_clusters ? l1_clusters : 0);
    if (l1_size * 8 > QCOW2_MAX_L1_BYTES || total > cs / 2)
        return -EFBIG;
    uint8_t *img = calloc(total, cs);
    if (!img)
        return -ENOMEM;
    memcpy(img, "QFI\xfb", 4);
    qcow2_put32(img + 4, 3);
    qcow2_put32(img + 20, cluster_bits);
    qcow2_put64(img + 24, size);
    qcow2_put32(img + 36, (uint32_t)l1_size);
    qcow2_put64(img + 40, 3 * cs);
    qcow2_put64(img + 48, cs);
    qcow2_put32(img + 56, 1);
    qcow2_put32(img + 96, 4);
    qcow2_put32(img + 100, 112); /* byte 104: compression type zlib; then the end extension */
    qcow2_put64(img + cs, 2 * cs);
    for (uint64_t i = 0; i < total; i++)
        qcow2_put16(img + 2 * cs + 2 * i, 1);
    int rc = 0;
    uint64_t len = total * cs;
    for (uint64_t done = 0; done < len;) {
        ssize_t n = pwrite(fd, img + done, len - done, (off_t)done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            rc = n < 0 ? -errno : -EIO;
            break;
        }
        done += (uint64_t)n;
    }
    free(img);
    return rc;
}

int blockdev_open_snapshot(struct blockdev *b, struct blockdev *base)
{
    const char *dir = getenv("TMPDIR");
    char path[4096];
    if (!dir || !*dir)
        dir = "/tmp";
    if (snprintf(path, sizeof(path), "%s/popek-snapshot-XXXXXX", dir) >= (int)sizeof(path))
        return -ENAMETOOLONG;
    int fd = mkstemp(path);
    if (fd < 0) {
        int err = errno;
        fprintf(stderr, "popek: cannot create the snapshot overlay for %s in %s: %s\n", base->name, dir,
                strerror(err));
        return -err;
    }
    unlink(path);
    struct blockdev moved = *base; /* b may be base itself */
    struct blockdev ov;
    memset(&ov, 0, sizeof(ov));
    int rc = qcow2_format_fd(fd, moved.size, 16);
    if (rc == 0)
        rc = open_image(&ov, fd, path, false, NULL, &moved);
    if (rc < 0) {
        fprintf(stderr, "popek: cannot create the snapshot overlay for %s: %s\n", moved.name, strerror(-rc));
        close(fd);
        return rc;
    }
    snprintf(ov.name, sizeof(ov.name), "%s", moved.name);
    base->ops = NULL;
    base->opaque = NULL;
    *b = ov;
    return 0;
}
