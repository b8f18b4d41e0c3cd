/* libFuzzer target: the qcow2 header and table parser, and reads and
 * writes through whatever it accepted.  The input is an image file; its
 * last 64 bytes (when there are that many) also steer a few accesses.
 * Built by `make fuzz-qcow2` with clang's -fsanitize=fuzzer,address,
 * undefined; a crash, a sanitizer report or a hang is a finding.  Backing
 * file names in the input are resolved next to the image, in a scratch
 * directory holding one small raw file (base.img), so a chain can be followed without touching the host. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "disks/blockdev.h"

static char dir[64];
static char path_a[128], path_b[128];

static void scratch(void)
{
    if (dir[0])
        return;
    strcpy(dir, "/tmp/popek-fuzz-qcow2-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    snprintf(path_a, sizeof(path_a), "%s/img.qcow2", dir);
    snprintf(path_b, sizeof(path_b), "%s/base.img", dir);
    FILE *f = fopen(path_b, "wb");
    static const uint8_t zero[65536];
    fwrite(zero, 1, sizeof(zero), f);
    fclose(f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    scratch();
    FILE *f = fopen(path_a, "wb");
    if (!f)
        return 0;
    fwrite(data, 1, size, f);
    fclose(f);
    const uint8_t *ctl = size >= 64 ? data + size - 64 : NULL;
    for (int rw = 0; rw < 2; rw++) {
        struct blockdev b;
        if (blockdev_open(&b, path_a, BLOCKDEV_QCOW2, !rw) < 0)
            continue;
        uint8_t buf[8192];
        for (int i = 0; i < 8 && ctl; i++) {
            uint64_t off = 0;
            memcpy(&off, ctl + 8 * i, 8);
            off = b.size ? off % b.size : 0;
            size_t len = (size_t)(ctl[i] | 1) * 16;
            if (len > sizeof(buf))
                len = sizeof(buf);
            if (rw && (ctl[i] & 0x80)) {
                memset(buf, ctl[i], len);
                blockdev_write(&b, off, buf, len);
            } else {
                blockdev_read(&b, off, buf, len);
            }
        }
        blockdev_flush(&b);
        blockdev_close(&b);
    }
    unlink(path_a);
    return 0;
}
