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

enum blockdev_format { BLOCKDEV_PROBE, BLOCKDEV_RAW, BLOCKDEV_QCOW2 };

/* Opens path as format (BLOCKDEV_PROBE: by its contents; a probed raw
 * image gets a warning, as QEMU gives).  Writable images are locked with
 * an OFD lock so that two emulators cannot write one image.  Returns 0 or
 * -errno after a message on stderr. */
int blockdev_open(struct blockdev *b, const char *path, enum blockdev_format format, bool read_only);
/* The raw format on an open file descriptor (taken over). */
int raw_open_fd(struct blockdev *b, int fd, bool read_only);
/* qcow2 (disks/qcow2.c) on an open file descriptor (taken over). */
int qcow2_open_fd(struct blockdev *b, int fd, const char *path, bool read_only);

#endif
