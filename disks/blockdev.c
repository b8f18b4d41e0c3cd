#define _GNU_SOURCE /* F_OFD_SETLK */
/* Opening an image: the format, read-only media, the write lock (see
 * blockdev.h). */
#include "disks/blockdev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void blockdev_close(struct blockdev *b)
{
    if (b->ops && b->ops->close)
        b->ops->close(b);
    b->ops = NULL;
}

int blockdev_pread_full(int fd, void *buf, size_t len, uint64_t off)
{
    uint8_t *p = buf;
    while (len) {
        ssize_t n = pread(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            return -errno;
        if (n == 0) {
            memset(p, 0, len);
            return 0;
        }
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

int blockdev_pwrite_full(int fd, const void *buf, size_t len, uint64_t off)
{
    const uint8_t *p = buf;
    while (len) {
        ssize_t n = pwrite(fd, p, len, (off_t)off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return n < 0 ? -errno : -EIO;
        p += n;
        off += (uint64_t)n;
        len -= (size_t)n;
    }
    return 0;
}

int blockdev_fdatasync(int fd)
{
    return fdatasync(fd) < 0 && errno != EINVAL && errno != EROFS ? -errno : 0;
}

/* An OFD lock, as QEMU takes (so that QEMU and Popek exclude each other
 * too): a write lock for a writable image, a read lock otherwise, over the
 * whole file.  OFD locks belong to the open file, not the process, so two
 * machines in one process exclude each other as well. */
static int lock_image(int fd, bool write)
{
#ifdef F_OFD_SETLK
    struct flock fl;
    memset(&fl, 0, sizeof(fl));
    fl.l_type = write ? F_WRLCK : F_RDLCK;
    fl.l_whence = SEEK_SET;
    if (fcntl(fd, F_OFD_SETLK, &fl) < 0)
        return errno == EINVAL ? 0 : -errno; /* a file system without locks */
#else
    (void)fd;
    (void)write;
#endif
    return 0;
}

int blockdev_open(struct blockdev *b, const char *path, enum blockdev_format format, bool read_only)
{
    return blockdev_open_chain(b, path, format, read_only, NULL);
}

int blockdev_open_chain(struct blockdev *b, const char *path, enum blockdev_format format, bool read_only,
                        const struct blockdev_chain *parent)
{
    memset(b, 0, sizeof(*b));
    snprintf(b->name, sizeof(b->name), "%s", path);
    int fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        fprintf(stderr, "popek: cannot open disk image %s: %s\n", path, strerror(err));
        return -err;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        int err = errno;
        fprintf(stderr, "popek: cannot open disk image %s: %s\n", path, strerror(err));
        close(fd);
        return -err;
    }
    /* Before the lock: in a loop the image is already locked by us. */
    struct blockdev_chain node = { parent, st.st_dev, st.st_ino, parent ? parent->depth + 1 : 0 };
    for (const struct blockdev_chain *p = parent; p; p = p->parent) {
        if (p->dev == st.st_dev && p->ino == st.st_ino) {
            fprintf(stderr, "popek: disk image %s: backing file loop (the file is already in the chain)\n",
                    path);
            close(fd);
            return -ELOOP;
        }
    }
    if (node.depth > BLOCKDEV_MAX_CHAIN) {
        fprintf(stderr, "popek: disk image %s: chain of backing files deeper than %d\n", path,
                BLOCKDEV_MAX_CHAIN);
        close(fd);
        return -ELOOP;
    }
    int rc = lock_image(fd, !read_only);
    if (rc < 0) {
        fprintf(stderr, "popek: disk image %s is in use by another program (%s lock held)%s\n", path,
                read_only ? "write" : "a", read_only ? "" : "; open it read-only or with snapshot=on");
        close(fd);
        return rc;
    }
    if (format == BLOCKDEV_PROBE) {
        uint8_t magic[4] = { 0 };
        ssize_t n = pread(fd, magic, 4, 0);
        if (n == 4 && !memcmp(magic, "QFI\xfb", 4)) {
            format = BLOCKDEV_QCOW2;
        } else {
            format = BLOCKDEV_RAW;
            if (!parent)
                fprintf(stderr,
                        "popek: warning: image %s: format not given, probed as raw; writes to block 0 are "
                        "allowed (say format=raw to silence this)\n",
                        path);
        }
    }
    rc = format == BLOCKDEV_QCOW2 ? qcow2_open_chain(b, fd, path, read_only, &node)
                                  : raw_open_fd(b, fd, read_only);
    if (rc < 0) {
        if (format != BLOCKDEV_QCOW2)
            fprintf(stderr, "popek: cannot use disk image %s: %s\n", path, strerror(-rc));
        close(fd);
        b->ops = NULL;
        return rc;
    }
    return 0;
}
