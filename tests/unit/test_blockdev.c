/* Unit tests for the raw format (disks/raw.c) and what every format shares
 * (disks/blockdev.c): reads and writes checked against the file itself,
 * read through a separate descriptor; range checks; read-only media; a
 * file that shrinks under the guest; probing; and the OFD write lock,
 * checked against a second open in this process and against Debian's
 * qemu-io (which takes the same kind of lock) where it is installed. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "disks/blockdev.h"
#include "tests/unit/skip.h"

#define IMG_SIZE (1048576u + 300u) /* not a multiple of a sector */

static char dir[512];
static char img[600];
static uint8_t model[IMG_SIZE];

static uint32_t rng = 12345;
static uint32_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

static void setup(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/popek-blockdev-XXXXXX", t && *t ? t : "/tmp");
    cr_assert(mkdtemp(dir) != NULL);
    snprintf(img, sizeof(img), "%s/disk.img", dir);
    for (size_t i = 0; i < IMG_SIZE; i++)
        model[i] = (uint8_t)rnd();
    int fd = open(img, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    cr_assert(fd >= 0);
    cr_assert(eq(sz, (size_t)write(fd, model, IMG_SIZE), (size_t)IMG_SIZE));
    close(fd);
}

static void teardown(void)
{
    unlink(img);
    rmdir(dir);
}

TestSuite(raw, .init = setup, .fini = teardown, .timeout = 120);

/* The image file's bytes, read past Popek. */
static void file_bytes(uint8_t *out, size_t len, uint64_t off)
{
    int fd = open(img, O_RDONLY);
    cr_assert(fd >= 0);
    cr_assert(eq(sz, (size_t)pread(fd, out, len, (off_t)off), len));
    close(fd);
}

Test(raw, reads_and_writes_are_the_file)
{
    struct blockdev b;
    cr_assert(eq(int, blockdev_open(&b, img, BLOCKDEV_RAW, false), 0));
    cr_expect(eq(u64, b.size, (uint64_t)IMG_SIZE));
    cr_expect(b.read_only == false);
    static uint8_t buf[70000], got[70000];
    for (int i = 0; i < 400; i++) {
        size_t len = 1 + rnd() % sizeof(buf);
        if (len > IMG_SIZE)
            len = IMG_SIZE;
        uint64_t off = rnd() % (IMG_SIZE - len + 1);
        if (rnd() & 1) {
            for (size_t j = 0; j < len; j++)
                buf[j] = (uint8_t)rnd();
            cr_assert(eq(int, blockdev_write(&b, off, buf, len), 0));
            memcpy(model + off, buf, len);
            file_bytes(got, len, off); /* visible to another reader at once */
            cr_assert(eq(int, memcmp(got, buf, len), 0), "write of %zu at %llu", len,
                      (unsigned long long)off);
        } else {
            cr_assert(eq(int, blockdev_read(&b, off, got, len), 0));
            cr_assert(eq(int, memcmp(got, model + off, len), 0), "read of %zu at %llu", len,
                      (unsigned long long)off);
        }
        if (i % 50 == 0)
            cr_assert(eq(int, blockdev_flush(&b), 0));
    }
    blockdev_close(&b);
    static uint8_t all[IMG_SIZE];
    file_bytes(all, IMG_SIZE, 0);
    cr_expect(eq(int, memcmp(all, model, IMG_SIZE), 0));
}

Test(raw, accesses_outside_the_disk_are_refused)
{
    struct blockdev b;
    cr_assert(eq(int, blockdev_open(&b, img, BLOCKDEV_RAW, false), 0));
    uint8_t buf[1024];
    memset(buf, 0xAB, sizeof(buf));
    cr_expect(eq(int, blockdev_read(&b, IMG_SIZE - 1, buf, 2), -EINVAL));
    cr_expect(eq(int, blockdev_write(&b, IMG_SIZE - 1, buf, 2), -EINVAL));
    cr_expect(eq(int, blockdev_read(&b, IMG_SIZE + 512, buf, 1), -EINVAL));
    cr_expect(eq(int, blockdev_read(&b, UINT64_MAX - 10, buf, 20), -EINVAL), "a wrapping range");
    cr_expect(eq(int, blockdev_write(&b, UINT64_MAX, buf, 1), -EINVAL));
    cr_expect(eq(int, blockdev_read(&b, IMG_SIZE, buf, 0), 0), "an empty access at the end");
    cr_expect(eq(int, blockdev_read(&b, IMG_SIZE - 1, buf, 1), 0));
    cr_expect(eq(u8, buf[0], model[IMG_SIZE - 1]));
    blockdev_close(&b);
    struct stat st;
    cr_assert(eq(int, stat(img, &st), 0));
    cr_expect(eq(i64, (int64_t)st.st_size, (int64_t)IMG_SIZE), "the file did not grow");
}

Test(raw, read_only_media_refuse_writes)
{
    struct blockdev b;
    cr_assert(eq(int, blockdev_open(&b, img, BLOCKDEV_RAW, true), 0));
    cr_expect(b.read_only);
    uint8_t buf[512] = { 0 };
    cr_expect(eq(int, blockdev_write(&b, 0, buf, sizeof(buf)), -EROFS));
    cr_expect(eq(int, blockdev_flush(&b), 0));
    uint8_t got[512];
    cr_expect(eq(int, blockdev_read(&b, 0, got, sizeof(got)), 0));
    cr_expect(eq(int, memcmp(got, model, sizeof(got)), 0));
    blockdev_close(&b);
    file_bytes(got, sizeof(got), 0);
    cr_expect(eq(int, memcmp(got, model, sizeof(got)), 0), "the file is untouched");
}

Test(raw, a_file_that_shrinks_reads_zeros_past_its_end)
{
    struct blockdev b;
    cr_assert(eq(int, blockdev_open(&b, img, BLOCKDEV_RAW, true), 0));
    cr_assert(eq(int, truncate(img, 4096), 0));
    static uint8_t got[8192];
    memset(got, 0xEE, sizeof(got));
    cr_expect(eq(int, blockdev_read(&b, 0, got, sizeof(got)), 0));
    cr_expect(eq(int, memcmp(got, model, 4096), 0));
    for (size_t i = 4096; i < sizeof(got); i++)
        cr_assert(eq(u8, got[i], 0), "byte %zu", i);
    cr_expect(eq(int, blockdev_read(&b, IMG_SIZE - 100, got, 100), 0), "the guest still sees its size");
    blockdev_close(&b);
}

Test(raw, probing_takes_anything_without_the_qcow2_magic_as_raw)
{
    struct blockdev b;
    cr_assert(eq(int, blockdev_open(&b, img, BLOCKDEV_PROBE, true), 0));
    cr_expect(eq(u64, b.size, (uint64_t)IMG_SIZE));
    uint8_t got[16];
    cr_expect(eq(int, blockdev_read(&b, 0, got, sizeof(got)), 0));
    cr_expect(eq(int, memcmp(got, model, sizeof(got)), 0));
    blockdev_close(&b);
    cr_expect(eq(int, blockdev_open(&b, "/nonexistent/popek.img", BLOCKDEV_PROBE, true), -ENOENT));
}

Test(raw, one_writer_excludes_every_other_open)
{
    struct blockdev w, other;
    cr_assert(eq(int, blockdev_open(&w, img, BLOCKDEV_RAW, false), 0));
    int rc = blockdev_open(&other, img, BLOCKDEV_RAW, false);
    if (rc == 0) {
        blockdev_close(&other);
        blockdev_close(&w);
        UNIT_SKIP("this file system has no OFD locks");
    }
    cr_expect(rc == -EAGAIN || rc == -EACCES, "a second writer: %d", rc);
    rc = blockdev_open(&other, img, BLOCKDEV_RAW, true);
    cr_expect(rc == -EAGAIN || rc == -EACCES, "a reader while a writer holds it: %d", rc);
    blockdev_close(&w);
    cr_assert(eq(int, blockdev_open(&w, img, BLOCKDEV_RAW, true), 0));
    cr_assert(eq(int, blockdev_open(&other, img, BLOCKDEV_RAW, true), 0), "readers share");
    struct blockdev third;
    rc = blockdev_open(&third, img, BLOCKDEV_RAW, false);
    cr_expect(rc == -EAGAIN || rc == -EACCES, "a writer while readers hold it: %d", rc);
    blockdev_close(&other);
    blockdev_close(&w);
    cr_assert(eq(int, blockdev_open(&w, img, BLOCKDEV_RAW, false), 0), "free again after the closes");
    blockdev_close(&w);
}

static bool have_qemu_io(void)
{
    return system("qemu-io --version >/dev/null 2>&1") == 0;
}

static bool run_ok(const char *cmd)
{
    int st = system(cmd);
    return WIFEXITED(st) && WEXITSTATUS(st) == 0;
}

static bool sector0_is(uint8_t v)
{
    uint8_t got[512];
    file_bytes(got, sizeof(got), 0);
    for (size_t i = 0; i < sizeof(got); i++)
        if (got[i] != v)
            return false;
    return true;
}

Test(raw, qemu_io_cannot_write_an_image_popek_holds)
{
    if (!have_qemu_io())
        UNIT_SKIP("qemu-io (qemu-utils) is not installed");
    struct blockdev b;
    cr_assert(eq(int, blockdev_open(&b, img, BLOCKDEV_RAW, false), 0));
    char cmd[800];
    snprintf(cmd, sizeof(cmd), "qemu-io -f raw -c 'write -P 0x55 0 512' '%s' >/dev/null 2>&1", img);
    bool wrote = run_ok(cmd);
    cr_expect(wrote == false, "qemu-io wrote an image Popek holds");
    cr_expect(sector0_is(0x55) == false, "sector 0 changed under Popek");
    blockdev_close(&b);
    wrote = run_ok(cmd);
    cr_expect(wrote, "qemu-io writes once Popek has closed it");
    cr_expect(sector0_is(0x55));
}

Test(raw, popek_cannot_write_an_image_qemu_io_holds)
{
    if (!have_qemu_io())
        UNIT_SKIP("qemu-io (qemu-utils) is not installed");
    char cmd[800];
    snprintf(cmd, sizeof(cmd), "exec qemu-io -f raw '%s' >/dev/null 2>&1", img);
    FILE *q = popen(cmd, "w");
    cr_assert(q != NULL);
    /* qemu-io has the image open (and locked) once its first write lands. */
    fputs("write -P 0x66 0 512\nflush\n", q);
    fflush(q);
    bool open_seen = false;
    for (int i = 0; i < 200 && !open_seen; i++) {
        open_seen = sector0_is(0x66);
        if (!open_seen)
            usleep(50000);
    }
    cr_assert(open_seen, "qemu-io did not write within 10 s");
    struct blockdev b;
    int rc = blockdev_open(&b, img, BLOCKDEV_RAW, false);
    if (rc == 0)
        blockdev_close(&b);
    cr_expect(rc == -EAGAIN || rc == -EACCES, "Popek opened for writing an image qemu-io holds: %d", rc);
    fputs("quit\n", q);
    pclose(q);
    cr_assert(eq(int, blockdev_open(&b, img, BLOCKDEV_RAW, false), 0), "free once qemu-io has quit");
    blockdev_close(&b);
}
