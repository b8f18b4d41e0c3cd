/* A block device: what every disk controller (IDE/ATA, ATAPI, floppy)
 * reads and writes, whatever the image format behind it (raw.c, qcow2.c,
 * an overlay for --snapshot).  Offsets and lengths are in bytes; errors are
 * -errno, and a controller turns them into the error its guest expects (a
 * medium error), never into a crash.  No globals: a machine owns its
 * devices.  Not thread-safe; the machine calls it from its one thread. */
#ifndef POPEK_DISKS_BLOCKDEV_H
#define POPEK_DISKS_BLOCKDEV_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct blockdev;

struct blockdev_ops {
    /* Reads/writes len bytes at off.  Returns 0 or -errno (-EIO, -EROFS,
     * -EINVAL for a range outside the device, ...).  Never a short count. */
    int (*read)(struct blockdev *b, uint64_t off, void *buf, size_t len);
    int (*write)(struct blockdev *b, uint64_t off, const void *buf, size_t len);
    /* Makes every completed write durable (the guest's FLUSH CACHE). */
    int (*flush)(struct blockdev *b);
    /* Closes the image (flushing first); frees b's private state, not b. */
    void (*close)(struct blockdev *b);
};

struct blockdev {
    const struct blockdev_ops *ops;
    void *opaque;       /* the format's state */
    uint64_t size;      /* bytes the guest sees */
    bool read_only;
    char name[256];     /* for messages: the file name */
};

/* Range check shared by the formats: off and len inside size, no wrap. */
static inline bool blockdev_range_ok(const struct blockdev *b, uint64_t off, size_t len)
{
    return off <= b->size && len <= b->size - off;
}

static inline int blockdev_read(struct blockdev *b, uint64_t off, void *buf, size_t len)
{
    return blockdev_range_ok(b, off, len) ? b->ops->read(b, off, buf, len) : -EINVAL;
}

static inline int blockdev_write(struct blockdev *b, uint64_t off, const void *buf, size_t len)
{
    if (b->read_only)
        return -EROFS;
    return blockdev_range_ok(b, off, len) ? b->ops->write(b, off, buf, len) : -EINVAL;
}

static inline int blockdev_flush(struct blockdev *b)
{
    return b->ops->flush ? b->ops->flush(b) : 0;
}

void blockdev_close(struct blockdev *b);

/* Whole-buffer file I/O for the format drivers, retried on EINTR and
 * short counts.  What lies past the end of the file reads as zeros (a
 * file may end inside its last cluster, or shrink under us); a write that
 * makes no progress is -EIO.  Return 0 or -errno. */
int blockdev_pread_full(int fd, void *buf, size_t len, uint64_t off);
int blockdev_pwrite_full(int fd, const void *buf, size_t len, uint64_t off);
/* fdatasync, where a file that cannot be synced (a pipe, a read-only
 * medium) counts as synced. */
int blockdev_fdatasync(int fd);

enum blockdev_format { BLOCKDEV_PROBE, BLOCKDEV_RAW, BLOCKDEV_QCOW2 };

/* Opens path as format (BLOCKDEV_PROBE: by its contents; a probed raw
 * image gets a warning, as QEMU gives).  Writable images are locked with
 * an OFD lock so that two emulators cannot write one image.  Returns 0 or
 * -errno after a message on stderr. */
int blockdev_open(struct blockdev *b, const char *path, enum blockdev_format format, bool read_only);
/* The raw format on an open file descriptor (taken over on success; on
 * failure the caller still owns fd and closes it). */
int raw_open_fd(struct blockdev *b, int fd, bool read_only);
/* qcow2 (disks/qcow2.c, docs/disks.md) on an open file descriptor: the
 * same ownership rule as raw_open_fd.  path names the image in messages
 * and is where a relative backing file name is resolved from.  Backing
 * files are opened read-only through blockdev_open_chain. */
int qcow2_open_fd(struct blockdev *b, int fd, const char *path, bool read_only);

/* The images being opened, from a backing file up to the image the user
 * named: a backing file that is already in the chain (a loop) or a chain
 * deeper than BLOCKDEV_MAX_CHAIN is refused with -ELOOP.  Only disks/
 * uses this. */
#define BLOCKDEV_MAX_CHAIN 32
struct blockdev_chain {
    const struct blockdev_chain *parent; /* the image whose backing file this is */
    dev_t dev;
    ino_t ino;
    unsigned depth; /* 0: the image the user named */
};
/* blockdev_open for an image of a chain (parent NULL: the top one).  A
 * probed raw backing file gets no warning: it is read-only. */
int blockdev_open_chain(struct blockdev *b, const char *path, enum blockdev_format format, bool read_only,
                        const struct blockdev_chain *parent);
/* qcow2_open_fd with the chain that node ends (node: this image's file). */
int qcow2_open_chain(struct blockdev *b, int fd, const char *path, bool read_only,
                     const struct blockdev_chain *node);

/* --snapshot: makes b a writable overlay over base.  Reads of what was not
 * written go to base; writes go to a temporary qcow2 image in $TMPDIR (or
 * /tmp), unlinked as soon as it is created, so that they vanish when b is
 * closed (or the process dies).  base is taken over: *base is moved into
 * the overlay (base->ops becomes NULL) and closed with b.  base itself is
 * never written, so it may be read-only.  Returns 0 or -errno after a
 * message; on failure base is left as it was. */
int blockdev_open_snapshot(struct blockdev *b, struct blockdev *base);

/* Writes an empty qcow2 image (version 3, 16-bit refcounts, no backing
 * file) of size bytes with clusters of 1 << cluster_bits bytes (9..21) to
 * the empty file fd.  Returns 0 or -errno. */
int qcow2_format_fd(int fd, uint64_t size, unsigned cluster_bits);

#endif
