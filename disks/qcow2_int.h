/* qcow2's state, shared by the two halves of the format: qcow2.c (the
 * header, opening, creating, the --snapshot overlay) and qcow2_map.c (the
 * L1/L2 tables, refcounts, allocation, reads, writes and flushes).  Only
 * disks/qcow2*.c include this.  Layout facts are from QEMU's
 * docs/interop/qcow2.txt; docs/disks.md says what is supported. */
#ifndef POPEK_DISKS_QCOW2_INT_H
#define POPEK_DISKS_QCOW2_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "disks/blockdev.h"

#define QCOW2_L1_OFF_MASK   0x00fffffffffffe00ULL /* L1 entry: bits 9-55, the L2 table */
#define QCOW2_L2_OFF_MASK   0x00fffffffffffe00ULL /* standard L2 entry: bits 9-55, the cluster */
#define QCOW2_RT_OFF_MASK   0xfffffffffffffe00ULL /* refcount table entry: bits 9-63 */
#define QCOW2_COPIED        (1ULL << 63)          /* refcount is exactly 1 */
#define QCOW2_COMPRESSED    (1ULL << 62)
#define QCOW2_ZERO          1ULL                  /* v3: the cluster reads as zeros */
#define QCOW2_L1_RESERVED   0x7f000000000001ffULL
#define QCOW2_L2_RESERVED   0x3f000000000001feULL /* standard entries: bits 1-8, 56-61 */
#define QCOW2_MAX_OFFSET    (1ULL << 56)          /* what bits 9-55 can hold */
#define QCOW2_MAX_L1_BYTES  (32u << 20)           /* QEMU's limits on the tables */
#define QCOW2_MAX_RT_BYTES  (8u << 20)

/* A cached table cluster (an L2 table or a refcount block). */
struct qcow2_slot {
    uint64_t off;  /* where it lives in the file; 0: the slot is empty */
    uint8_t *buf;  /* one cluster, as on disk (big-endian) */
    uint64_t used; /* for least-recently-used eviction */
    bool dirty;    /* L2 only: changed since written (see qcow2_meta_flush) */
};

#define QCOW2_L2_SLOTS_MAX 32
#define QCOW2_RB_SLOTS     8

struct qcow2_free {
    uint64_t off, len; /* a byte range whose clusters lose one reference */
};

struct qcow2 {
    int fd;
    bool rw;
    unsigned version;
    unsigned cluster_bits, l2_bits, refcount_order, rb_bits; /* rb_bits: log2 entries per refcount block */
    uint64_t cs;                                             /* cluster size */
    uint64_t size;                                           /* the guest's disk */

    uint64_t *l1; /* host byte order */
    uint64_t l1_off;
    uint32_t l1_size;
    bool l1_dirty;
    uint32_t l1_dirty_lo, l1_dirty_hi; /* entries [lo, hi] to write */

    uint64_t *rt; /* the refcount table, host byte order; NULL when read-only */
    uint64_t rt_off;
    uint32_t rt_clusters;
    uint64_t rt_entries;

    uint64_t file_end;  /* bytes in the file */
    uint64_t alloc_end; /* clusters in use or allocated: the next new cluster at the end */
    uint64_t free_hint; /* no free cluster below this one */

    unsigned csize_shift; /* compressed descriptors: x = 62 - (cluster_bits - 8) */
    uint64_t csize_mask, coff_mask;

    struct qcow2_slot l2c[QCOW2_L2_SLOTS_MAX];
    unsigned l2_slots;
    struct qcow2_slot rbc[QCOW2_RB_SLOTS];
    uint64_t tick;

    uint8_t *cbuf;        /* compressed bytes read (2 clusters) */
    uint8_t *dbuf;        /* the last cluster decompressed */
    uint64_t dbuf_entry;  /* its L2 entry; 0: none */
    uint8_t *cow;         /* a cluster being assembled for a write */
    uint8_t *tbl;         /* a table cluster being copied */

    struct qcow2_free *frees; /* references dropped, applied after the next metadata flush */
    size_t nfrees, frees_cap;

    struct blockdev *backing; /* NULL: unallocated clusters read as zeros */
    struct blockdev backing_store;
};

/* qcow2_map.c */
extern const struct blockdev_ops qcow2_ops;
int qcow2_pread(struct qcow2 *q, void *buf, size_t len, uint64_t off);
int qcow2_pwrite(struct qcow2 *q, const void *buf, size_t len, uint64_t off);
int qcow2_sync(struct qcow2 *q);
int qcow2_meta_flush(struct qcow2 *q);
void qcow2_free_state(struct qcow2 *q);

static inline uint16_t qcow2_be16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t qcow2_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline uint64_t qcow2_be64(const uint8_t *p)
{
    return (uint64_t)qcow2_be32(p) << 32 | qcow2_be32(p + 4);
}

static inline void qcow2_put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void qcow2_put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (24 - 8 * i));
}

static inline void qcow2_put64(uint8_t *p, uint64_t v)
{
    qcow2_put32(p, (uint32_t)(v >> 32));
    qcow2_put32(p + 4, (uint32_t)v);
}

#endif
