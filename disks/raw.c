/* Raw images: the file is the disk, byte for byte. */
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "disks/blockdev.h"

struct raw {
    int fd;
};

static int raw_read(struct blockdev *b, uint64_t off, void *buf, size_t len)
{
    struct raw *r = b->opaque;
    return blockdev_pread_full(r->fd, buf, len, off);
}

static int raw_write(struct blockdev *b, uint64_t off, const void *buf, size_t len)
{
    struct raw *r = b->opaque;
    return blockdev_pwrite_full(r->fd, buf, len, off);
}

static int raw_flush(struct blockdev *b)
{
    struct raw *r = b->opaque;
    return blockdev_fdatasync(r->fd);
}

static void raw_close(struct blockdev *b)
{
    struct raw *r = b->opaque;
    if (!r)
        return;
    if (!b->read_only)
        fdatasync(r->fd);
    close(r->fd);
    free(r);
    b->opaque = NULL;
}

static const struct blockdev_ops raw_ops = {
    .read = raw_read,
    .write = raw_write,
    .flush = raw_flush,
    .close = raw_close,
};

int raw_open_fd(struct blockdev *b, int fd, bool read_only)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return -errno;
    struct raw *r = malloc(sizeof(*r));
    if (!r)
        return -ENOMEM;
    r->fd = fd;
    b->ops = &raw_ops;
    b->opaque = r;
    b->read_only = read_only;
    if (S_ISBLK(st.st_mode)) {
        off_t end = lseek(fd, 0, SEEK_END);
        b->size = end > 0 ? (uint64_t)end : 0;
    } else {
        b->size = (uint64_t)st.st_size;
    }
    return 0;
}
