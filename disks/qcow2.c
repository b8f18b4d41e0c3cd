/* qcow2 images (QEMU's docs/interop/qcow2.txt).  Not yet: refused with a
 * clear message until the format lands. */
#include <errno.h>
#include <stdio.h>

#include "disks/blockdev.h"

int qcow2_open_fd(struct blockdev *b, int fd, const char *path, bool read_only)
{
    (void)b;
    (void)fd;
    (void)read_only;
    fprintf(stderr, "popek: disk image %s is qcow2, which Popek cannot read yet\n", path);
    return -ENOTSUP;
}
