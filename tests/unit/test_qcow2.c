/* Unit tests for disks/qcow2.c and qcow2_map.c, with Debian's qemu-img and
 * qemu-io as the independent oracle: images made by qemu-img (versions 2
 * and 3, cluster sizes 512 B to 2 MiB, refcount widths, compressed,
 * backing chains, zero clusters, internal snapshots) are read through
 * Popek and compared with `qemu-img convert -O raw`; images written
 * through Popek (random writes of random sizes against an in-memory model)
 * must pass `qemu-img check` with no error and no leak, convert back to the
 * model, and agree with this file's own recount of every refcount.
 * Malformed images are refused or fail with -EIO, never crash (the
 * sanitizer build runs them too).  docs/disks.md describes the tests. */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "disks/blockdev.h"
#include "tests/unit/skip.h"

static char dir[512];

static void setup(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/popek-qcow2-XXXXXX", t && *t ? t : "/tmp");
    cr_assert(mkdtemp(dir) != NULL);
}

static void teardown(void)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

TestSuite(qcow2, .init = setup, .fini = teardown, .timeout = 300);

/* dir/name, in one of a few rotating buffers. */
static const char *P(const char *name)
{
    static char buf[8][600];
    static unsigned n;
    char *b = buf[n++ % 8];
    snprintf(b, sizeof(buf[0]), "%s/%s", dir, name);
    return b;
}

/* Runs a shell command in dir; its output goes to dir/log.  Returns the
 * exit status. */
static int sh(const char *fmt, ...)
{
    char cmd[4096], full[5000];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    snprintf(full, sizeof(full), "cd '%s' && ( %s ) >log 2>&1", dir, cmd);
    int st = system(full);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 255;
}

static void sh_ok(const char *fmt, ...)
{
    char cmd[4096];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    int st = sh("%s", cmd);
    if (st) {
        char log[2048] = "";
        FILE *f = fopen(P("log"), "r");
        if (f) {
            size_t n = fread(log, 1, sizeof(log) - 1, f);
            log[n] = 0;
            fclose(f);
        }
        cr_fatal("`%s` exited %d: %s", cmd, st, log);
    }
}

static void need_qemu(void)
{
    if (system("qemu-img --version >/dev/null 2>&1") != 0 || system("qemu-io --version >/dev/null 2>&1") != 0)
        UNIT_SKIP("qemu-img or qemu-io is not installed (Debian's qemu-utils)");
}

static uint64_t rng_state = 88172645463325252ULL;

static uint64_t rnd(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 7;
    rng_state ^= rng_state << 17;
    return rng_state;
}

static uint8_t *load(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    cr_assert(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    uint8_t *b = malloc(n ? (size_t)n : 1);
    cr_assert(fread(b, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

static void save(const char *path, const uint8_t *b, size_t len)
{
    FILE *f = fopen(path, "wb");
    cr_assert(f != NULL);
    cr_assert(fwrite(b, 1, len, f) == len);
    fclose(f);
}

/* A disk's contents: runs of zeros, of random bytes and of one byte. */
static uint8_t *make_data(size_t size)
{
    uint8_t *b = malloc(size);
    for (size_t off = 0; off < size;) {
        size_t run = 512 * (1 + rnd() % 24);
        if (run > size - off)
            run = size - off;
        unsigned kind = rnd() % 10;
        for (size_t i = 0; i < run; i++)
            b[off + i] = kind < 3 ? 0 : kind < 8 ? (uint8_t)rnd() : (uint8_t)(0x40 + kind);
        off += run;
    }
    return b;
}

/* What qemu-img says the image holds. */
static uint8_t *qemu_contents(const char *img, const char *snap, size_t *len)
{
    if (snap)
        sh_ok("qemu-img convert -l '%s' -O raw '%s' oracle.raw", snap, img);
    else
        sh_ok("qemu-img convert -O raw '%s' oracle.raw", img);
    return load(P("oracle.raw"), len);
}

/* Reads the whole image through Popek in pieces of random sizes. */
static void read_all(struct blockdev *b, uint8_t *out)
{
    for (uint64_t off = 0; off < b->size;) {
        size_t n = 1 + rnd() % (300 * 1024);
        if (n > b->size - off)
            n = (size_t)(b->size - off);
        cr_assert(eq(int, blockdev_read(b, off, out + off, n), 0), "read at %llu", (unsigned long long)off);
        off += n;
    }
}

/* Popek reads img as qemu-img does (and as want, if given). */
static void check_reads(const char *img, const uint8_t *want, size_t want_len)
{
    size_t len;
    uint8_t *oracle = qemu_contents(img, NULL, &len);
    if (want) {
        cr_assert(eq(sz, len, want_len));
        cr_assert(memcmp(oracle, want, len) == 0, "qemu-img's view differs from the model");
    }
    struct blockdev b;
    cr_assert(eq(int, blockdev_open(&b, P(img), BLOCKDEV_PROBE, true), 0));
    cr_assert(eq(u64, b.size, len));
    uint8_t *got = malloc(len + 1);
    read_all(&b, got);
    for (size_t i = 0; i < len; i++)
        if (got[i] != oracle[i])
            cr_fatal("%s: byte 0x%zx reads 0x%02x, qemu-img says 0x%02x", img, i, got[i], oracle[i]);
    /* Random small reads too (the compressed-cluster cache, L2 misses). */
    for (int i = 0; i < 200 && len > 1; i++) {
        uint64_t off = rnd() % len;
        size_t n = 1 + rnd() % 9000;
        if (n > len - off)
            n = len - off;
        cr_assert(eq(int, blockdev_read(&b, off, got, n), 0));
        cr_assert(memcmp(got, oracle + off, n) == 0);
    }
    blockdev_close(&b);
    free(got);
    free(oracle);
}

/* ---- an independent recount of refcounts ---- */

static uint64_t be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = v << 8 | p[i];
    return v;
}

static void count_range(uint32_t *cnt, uint64_t nclusters, uint64_t off, uint64_t len, unsigned cb)
{
    for (uint64_t c = off >> cb; c <= (off + len - 1) >> cb; c++) {
        cr_assert(c < nclusters, "a reference to cluster %llu past the end of the file", (unsigned long long)c);
        cnt[c]++;
    }
}

static void count_l1(const uint8_t *img, uint32_t *cnt, uint64_t nc, uint64_t l1_off, uint64_t l1_size, unsigned cb)
{
    uint64_t cs = 1ULL << cb;
    count_range(cnt, nc, l1_off, l1_size * 8, cb);
    for (uint64_t i = 0; i < l1_size; i++) {
        uint64_t l2 = be(img + l1_off + 8 * i, 8) & 0x00fffffffffffe00ULL;
        if (!l2)
            continue;
        count_range(cnt, nc, l2, cs, cb);
        for (uint64_t j = 0; j < cs / 8; j++) {
            uint64_t e = be(img + l2 + 8 * j, 8);
            if (e & (1ULL << 62)) {
                unsigned x = 62 - (cb - 8);
                uint64_t off = e & ((1ULL << x) - 1);
                uint64_t sectors = ((e >> x) & ((1ULL << (cb - 8)) - 1)) + 1;
                count_range(cnt, nc, off, sectors * 512 - (off & 511), cb);
            } else if (e & 0x00fffffffffffe00ULL) {
                count_range(cnt, nc, e & 0x00fffffffffffe00ULL, cs, cb);
            }
        }
    }
}

/* Walks the header, the L1 tables (the active one and each snapshot's),
 * the L2 tables, the refcount table and blocks, and compares what it
 * counted with the refcounts stored. */
static void recount(const char *name)
{
    size_t len;
    uint8_t *img = load(P(name), &len);
    unsigned version = (unsigned)be(img + 4, 4), cb = (unsigned)be(img + 20, 4);
    uint64_t cs = 1ULL << cb, nc = (len + cs - 1) / cs;
    unsigned order = version == 3 ? (unsigned)be(img + 96, 4) : 4, bits = 1u << order;
    img = realloc(img, nc * cs);
    memset(img + len, 0, nc * cs - len);
    uint32_t *cnt = calloc(nc, sizeof(*cnt));
    cnt[0]++;
    count_l1(img, cnt, nc, be(img + 40, 8), be(img + 36, 4), cb);
    uint64_t rt_off = be(img + 48, 8), rt_cl = be(img + 56, 4);
    count_range(cnt, nc, rt_off, rt_cl * cs, cb);
    for (uint64_t i = 0; i < rt_cl * cs / 8; i++) {
        uint64_t rb = be(img + rt_off + 8 * i, 8) & ~511ULL;
        if (rb)
            count_range(cnt, nc, rb, cs, cb);
    }
    uint64_t nsnap = be(img + 60, 4), soff = be(img + 64, 8), p = soff;
    for (uint64_t s = 0; s < nsnap; s++) {
        uint64_t l1 = be(img + p, 8), l1n = be(img + p + 8, 4);
        uint64_t idl = be(img + p + 12, 2), nml = be(img + p + 14, 2), extra = be(img + p + 36, 4);
        count_l1(img, cnt, nc, l1, l1n, cb);
        p += 40 + extra + idl + nml;
        p = (p + 7) & ~7ULL;
    }
    if (nsnap)
        count_range(cnt, nc, soff, p - soff, cb);
    uint64_t per = cs * 8 / bits;
    for (uint64_t c = 0; c < nc; c++) {
        uint64_t bi = c / per, i = c % per, stored = 0;
        uint64_t rb = bi < rt_cl * cs / 8 ? be(img + rt_off + 8 * bi, 8) & ~511ULL : 0;
        if (rb) {
            const uint8_t *b = img + rb;
            stored = bits < 8 ? (b[i * bits / 8] >> (i * bits % 8)) & ((1u << bits) - 1) : be(b + i * bits / 8, (int)bits / 8);
        }
        cr_assert(eq(u64, stored, cnt[c]), "%s: cluster %llu has refcount %llu, %u references", name,
                  (unsigned long long)c, (unsigned long long)stored, cnt[c]);
    }
    free(cnt);
    free(img);
}

/* qemu-img check finds nothing, not even a leak (exit status 0). */
static void qemu_check(const char *img)
{
    sh_ok("qemu-img check '%s'", img);
    size_t n;
    uint8_t *log = load(P("log"), &n);
    log = realloc(log, n + 1);
    log[n] = 0;
    cr_assert(strstr((char *)log, "No errors were found") != NULL, "qemu-img check: %s", log);
    free(log);
}

/* ---- writes against a model ---- */

/* n random writes (partial clusters, whole clusters, across clusters),
 * with flushes and read-backs along the way. */
static void write_random(struct blockdev *b, uint8_t *model, int n, size_t max_len, uint64_t span)
{
    uint8_t *buf = malloc(max_len), *chk = malloc(max_len);
    if (!span || span > b->size)
        span = b->size;
    for (int i = 0; i < n; i++) {
        size_t len = 1 + rnd() % max_len;
        if (rnd() % 4 == 0 && len >= 512)
            len &= ~(size_t)511;
        if (len > b->size)
            len = (size_t)b->size;
        uint64_t off = rnd() % (span - len + 1);
        if (rnd() % 3 == 0)
            off &= ~511ULL;
        uint8_t fill = (uint8_t)rnd();
        for (size_t j = 0; j < len; j++)
            buf[j] = rnd() % 4 ? (uint8_t)rnd() : fill;
        cr_assert(eq(int, blockdev_write(b, off, buf, len), 0), "write %d at %llu+%zu", i, (unsigned long long)off, len);
        memcpy(model + off, buf, len);
        if (rnd() % 16 == 0)
            cr_assert(eq(int, blockdev_flush(b), 0));
        if (rnd() % 4 == 0) {
            uint64_t ro = rnd() % (b->size - len + 1);
            cr_assert(eq(int, blockdev_read(b, ro, chk, len), 0));
            cr_assert(memcmp(chk, model + ro, len) == 0, "read-back at %llu+%zu after write %d", (unsigned long long)ro,
                      len, i);
        }
    }
    free(buf);
    free(chk);
}

/* Opens img read-write, writes at random, closes; then qemu-img check,
 * qemu-img's view of the contents, and the recount. */
static void write_and_check(const char *img, int n, size_t max_len, uint64_t span)
{
    size_t len;
    uint8_t *model = qemu_contents(img, NULL, &len);
    struct blockdev b;
    cr_assert(eq(int, blockdev_open(&b, P(img), BLOCKDEV_QCOW2, false), 0));
    write_random(&b, model, n, max_len, span);
    uint8_t *got = malloc(len + 1);
    read_all(&b, got);
    cr_assert(memcmp(got, model, len) == 0, "Popek reads back something else than it wrote");
    blockdev_close(&b);
    free(got);
    qemu_check(img);
    size_t olen;
    uint8_t *oracle = qemu_contents(img, NULL, &olen);
    cr_assert(eq(sz, olen, len));
    for (size_t i = 0; i < len; i++)
        if (oracle[i] != model[i])
            cr_fatal("%s: after the writes qemu-img reads byte 0x%zx as 0x%02x, written 0x%02x", img, i, oracle[i],
                     model[i]);
    recount(img);
    free(oracle);
    free(model);
}

static int exercise(const char *name, bool ro);

/* ---- reading images qemu-img made ---- */

static void convert_and_read(const char *opts, bool compress, size_t size)
{
    uint8_t *data = make_data(size);
    save(P("src.raw"), data, size);
    sh_ok("qemu-img convert %s -f raw -O qcow2 -o %s src.raw img.qcow2", compress ? "-c" : "", opts);
    check_reads("img.qcow2", data, size);
    free(data);
}

Test(qcow2, read_v2_cluster_sizes)
{
    need_qemu();
    const char *cs[] = { "512", "4096", "65536", "2M" };
    for (int i = 0; i < 4; i++) {
        char o[64];
        snprintf(o, sizeof(o), "compat=0.10,cluster_size=%s", cs[i]);
        convert_and_read(o, false, (3u << 20) + 1536);
    }
}

Test(qcow2, read_v3_cluster_sizes_and_refcount_widths)
{
    need_qemu();
    const char *o[] = { "compat=1.1,cluster_size=512", "compat=1.1,cluster_size=65536,refcount_bits=1",
                        "compat=1.1,cluster_size=2M,refcount_bits=64", "compat=1.1,cluster_size=8192,refcount_bits=8" };
    for (int i = 0; i < 4; i++)
        convert_and_read(o[i], false, (5u << 20) + 512);
}

Test(qcow2, read_compressed)
{
    need_qemu();
    convert_and_read("compat=1.1,cluster_size=65536", true, 4u << 20);
    convert_and_read("compat=0.10,cluster_size=4096", true, (2u << 20) + 512);
    convert_and_read("compat=1.1,cluster_size=512", true, 1u << 20);
    convert_and_read("compat=1.1,cluster_size=2M", true, 5u << 20);
}

/* raw base <- qcow2 mid (qemu-io patterns) <- qcow2 top, larger, with
 * patterns and zero clusters over data of the files below. */
static void make_chain(void)
{
    uint8_t *data = make_data(2u << 20);
    save(P("base.raw"), data, 2u << 20);
    free(data);
    sh_ok("qemu-img create -f qcow2 -o cluster_size=4096 -b base.raw -F raw mid.qcow2");
    sh_ok("qemu-io -f qcow2 -c 'write -P 0xa1 4096 8192' -c 'write -P 0xa2 100000 3000' -c 'write -P 0xa3 1048576 "
          "65536' mid.qcow2");
    sh_ok("qemu-img create -f qcow2 -o cluster_size=65536 -b mid.qcow2 -F qcow2 top.qcow2 3M");
    sh_ok("qemu-io -f qcow2 -c 'write -P 0xb1 0 512' -c 'write -z 65536 131072' -c 'write -P 0xb2 1000000 70000' "
          "-c 'write -P 0xb3 2500000 4096' -c 'write -z 2883584 65536' top.qcow2");
}

Test(qcow2, read_backing_chain_and_zero_clusters)
{
    need_qemu();
    make_chain();
    check_reads("top.qcow2", NULL, 0);
    check_reads("mid.qcow2", NULL, 0);
    /* A backing file without a format in the image is probed. */
    sh_ok("qemu-img rebase -u -b mid.qcow2 top.qcow2 || qemu-img rebase -u -b mid.qcow2 -F qcow2 top.qcow2");
    check_reads("top.qcow2", NULL, 0);
}

/* ---- writing ---- */

Test(qcow2, write_fresh_v2)
{
    need_qemu();
    sh_ok("qemu-img create -f qcow2 -o compat=0.10 img.qcow2 64M");
    write_and_check("img.qcow2", 600, 200000, 0);
}

Test(qcow2, write_fresh_v3_cluster_sizes)
{
    need_qemu();
    const char *o[] = { "cluster_size=4096", "cluster_size=2M", "cluster_size=65536,refcount_bits=1",
                        "cluster_size=16384,refcount_bits=64", "cluster_size=1024,refcount_bits=8" };
    for (int i = 0; i < 5; i++) {
        sh_ok("rm -f img.qcow2 && qemu-img create -f qcow2 -o compat=1.1,%s img.qcow2 40M", o[i]);
        write_and_check("img.qcow2", 300, 100000, 0);
    }
}

/* 512-byte clusters: many L2 tables and refcount blocks, and enough
 * clusters (over 8 MiB) that the one-cluster refcount table must grow. */
Test(qcow2, write_grows_refcount_table)
{
    need_qemu();
    sh_ok("qemu-img create -f qcow2 -o cluster_size=512 img.qcow2 64M");
    write_and_check("img.qcow2", 2500, 12000, 0);
    size_t len;
    uint8_t *img = load(P("img.qcow2"), &len);
    cr_assert(be(img + 56, 4) > 1, "the refcount table did not grow");
    free(img);
}

Test(qcow2, write_over_backing_file)
{
    need_qemu();
    make_chain();
    write_and_check("top.qcow2", 400, 150000, 0);
    write_and_check("mid.qcow2", 200, 20000, 0);
}

Test(qcow2, write_over_compressed_clusters)
{
    need_qemu();
    uint8_t *data = make_data(6u << 20);
    save(P("src.raw"), data, 6u << 20);
    free(data);
    sh_ok("qemu-img convert -c -f raw -O qcow2 -o cluster_size=65536 src.raw img.qcow2");
    write_and_check("img.qcow2", 400, 100000, 0);
    sh_ok("qemu-img convert -c -f raw -O qcow2 -o compat=0.10,cluster_size=4096 src.raw img2.qcow2");
    write_and_check("img2.qcow2", 400, 30000, 0);
}

Test(qcow2, write_over_existing_data_and_preallocation)
{
    need_qemu();
    uint8_t *data = make_data(3u << 20);
    save(P("src.raw"), data, 3u << 20);
    free(data);
    sh_ok("qemu-img convert -f raw -O qcow2 -o cluster_size=8192 src.raw img.qcow2");
    write_and_check("img.qcow2", 500, 40000, 0);
    sh_ok("qemu-img create -f qcow2 -o preallocation=metadata,cluster_size=65536 pre.qcow2 8M");
    write_and_check("pre.qcow2", 300, 100000, 0);
}

/* Internal snapshots share clusters and L2 tables (refcount 2): writes
 * copy them and leave the snapshot as it was. */
Test(qcow2, write_with_internal_snapshot)
{
    need_qemu();
    uint8_t *data = make_data(4u << 20);
    save(P("src.raw"), data, 4u << 20);
    sh_ok("qemu-img convert -f raw -O qcow2 -o cluster_size=4096 src.raw img.qcow2");
    sh_ok("qemu-img snapshot -c s1 img.qcow2");
    write_and_check("img.qcow2", 400, 50000, 0);
    size_t len;
    uint8_t *snap = qemu_contents("img.qcow2", "s1", &len);
    cr_assert(eq(sz, len, 4u << 20));
    cr_assert(memcmp(snap, data, len) == 0, "the snapshot changed");
    free(snap);
    free(data);
}

/* A process that dies between flushes (a child that _exits in the middle
 * of its writes) leaves at worst leaked clusters: qemu-img check may find
 * leaks (status 3) but no corruption (status 2), and the image still
 * opens and reads.  (The page cache keeps the order of the writes here; a
 * power cut is covered by the fdatasync ordering, docs/disks.md.) */
Test(qcow2, crash_between_flushes_only_leaks)
{
    need_qemu();
    int leaks = 0;
    for (int round = 0; round < 6; round++) {
        sh_ok("rm -f img.qcow2 && qemu-img create -f qcow2 -o cluster_size=%s img.qcow2 16M", round % 2 ? "512" : "4096");
        fflush(NULL);
        pid_t pid = fork();
        cr_assert(pid >= 0);
        if (pid == 0) {
            struct blockdev b;
            if (blockdev_open(&b, P("img.qcow2"), BLOCKDEV_QCOW2, false) < 0)
                _exit(1);
            uint8_t *model = calloc(1, 16u << 20);
            rng_state += (uint64_t)round * 7919;
            write_random(&b, model, 50 + round * 40, 20000, 0);
            _exit(0); /* no flush, no close */
        }
        int st;
        cr_assert(waitpid(pid, &st, 0) == pid);
        bool clean = WIFEXITED(st) && WEXITSTATUS(st) == 0;
        cr_assert(clean, "the writer died with status 0x%x", st);
        int rc = sh("qemu-img check img.qcow2");
        cr_assert(rc == 0 || rc == 3, "round %d: qemu-img check exited %d", round, rc);
        cr_assert(eq(int, exercise("img.qcow2", false), 0));
        rc = sh("qemu-img check img.qcow2");
        cr_assert(rc == 0 || rc == 3, "round %d: after more writes qemu-img check exited %d", round, rc);
        leaks += rc == 3;
    }
    cr_assert(leaks > 0, "no round left a leak: the test did not crash where it meant to");
}

Test(qcow2, popek_created_image)
{
    need_qemu();
    int fd = open(P("new.qcow2"), O_RDWR | O_CREAT | O_TRUNC, 0644);
    cr_assert(fd >= 0);
    cr_assert(eq(int, qcow2_format_fd(fd, (100u << 20) + 512, 16), 0));
    close(fd);
    qemu_check("new.qcow2");
    recount("new.qcow2");
    write_and_check("new.qcow2", 300, 200000, 0);
}

Test(qcow2, snapshot_overlay_discards_writes)
{
    need_qemu();
    uint8_t *data = make_data(3u << 20);
    save(P("src.raw"), data, 3u << 20);
    sh_ok("qemu-img convert -f raw -O qcow2 -o cluster_size=4096 src.raw img.qcow2");
    for (int round = 0; round < 2; round++) {
        struct blockdev base, ov;
        cr_assert(eq(int, blockdev_open(&base, P(round ? "src.raw" : "img.qcow2"), round ? BLOCKDEV_RAW : BLOCKDEV_QCOW2,
                                        true), 0));
        cr_assert(eq(int, blockdev_open_snapshot(&ov, &base), 0));
        cr_assert(base.ops == NULL);
        cr_assert(ov.read_only == false);
        cr_assert(eq(u64, ov.size, 3u << 20));
        uint8_t *model = malloc(3u << 20), *got = malloc(3u << 20);
        memcpy(model, data, 3u << 20);
        write_random(&ov, model, 300, 100000, 0);
        read_all(&ov, got);
        cr_assert(memcmp(got, model, 3u << 20) == 0);
        blockdev_close(&ov);
        free(model);
        free(got);
    }
    check_reads("img.qcow2", data, 3u << 20);
    size_t len;
    uint8_t *raw = load(P("src.raw"), &len);
    cr_assert(memcmp(raw, data, len) == 0);
    free(raw);
    free(data);
}

/* ---- malformed images ---- */

static void patch(const char *name, uint64_t off, uint64_t v, int n)
{
    int fd = open(P(name), O_RDWR);
    cr_assert(fd >= 0);
    uint8_t b[8];
    for (int i = 0; i < n; i++)
        b[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
    cr_assert(pwrite(fd, b, (size_t)n, (off_t)off) == n);
    close(fd);
}

static void make_good(const char *opts)
{
    uint8_t *data = make_data(1u << 20);
    save(P("src.raw"), data, 1u << 20);
    free(data);
    sh_ok("rm -f bad.qcow2 && qemu-img convert -f raw -O qcow2 -o %s src.raw bad.qcow2", opts);
}

static int try_open(bool ro)
{
    struct blockdev b;
    int rc = blockdev_open(&b, P("bad.qcow2"), BLOCKDEV_PROBE, ro);
    if (rc == 0)
        blockdev_close(&b);
    return rc;
}

/* Opens, reads everything, writes a little, closes: any result but a
 * crash, a hang or a sanitizer report will do.  Returns how many accesses
 * failed (with -EIO: nothing else is allowed). */
static int exercise(const char *name, bool ro)
{
    struct blockdev b;
    if (blockdev_open(&b, P(name), BLOCKDEV_PROBE, ro) < 0)
        return -1;
    int failed = 0;
    uint8_t *buf = malloc(70000);
    for (uint64_t off = 0; off < b.size && off < (64u << 20); off += 65536) {
        size_t n = b.size - off < 65536 ? (size_t)(b.size - off) : 65536;
        int rc = blockdev_read(&b, off, buf, n);
        cr_assert(rc == 0 || rc == -EIO, "read gave %d", rc);
        failed += rc < 0;
    }
    for (int i = 0; !ro && i < 20 && b.size > 70000; i++) {
        memset(buf, i, 70000);
        int rc = blockdev_write(&b, rnd() % (b.size - 70000), buf, 1 + rnd() % 70000);
        cr_assert(rc == 0 || rc == -EIO || rc == -ENOSPC, "write gave %d", rc);
        failed += rc < 0;
    }
    free(buf);
    blockdev_close(&b);
    return failed;
}

Test(qcow2, malformed_headers_are_refused)
{
    need_qemu();
    struct { uint64_t off, v; int n; const char *what; } cases[] = {
        { 4, 4, 4, "version 4" },
        { 4, 1, 4, "version 1" },
        { 20, 8, 4, "cluster_bits 8" },
        { 20, 22, 4, "cluster_bits 22" },
        { 20, 63, 4, "cluster_bits 63" },
        { 36, 0x7fffffff, 4, "l1_size huge" },
        { 36, 0, 4, "l1_size 0 for a 1 MiB disk" },
        { 40, 1ULL << 40, 8, "L1 table past the end of the file" },
        { 40, 0x10200, 8, "L1 table offset misaligned" },
        { 48, 0x10008, 8, "refcount table offset misaligned" },
        { 48, 0, 8, "refcount table at 0" },
        { 56, 0x7fffffff, 4, "refcount table clusters huge" },
        { 24, 1ULL << 63, 8, "size 2^63" },
        { 24, 1ULL << 50, 8, "size larger than the L1 table maps" },
        { 32, 1, 4, "crypt_method 1 (AES)" },
        { 32, 2, 4, "crypt_method 2 (LUKS)" },
        { 72, 1ULL << 20, 8, "unknown incompatible bit 20" },
        { 72, 1ULL << 4, 8, "extended L2 entries" },
        { 72, 1ULL << 2, 8, "external data file" },
        { 100, 100, 4, "header_length 100" },
        { 100, 1ULL << 30, 4, "header_length huge" },
        { 96, 7, 4, "refcount_order 7" },
        { 60, 1000000, 4, "a million snapshots" },
        { 16, 5000, 4, "backing file name longer than 1023" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        make_good("compat=1.1,cluster_size=65536");
        patch("bad.qcow2", cases[i].off, cases[i].v, cases[i].n);
        if (cases[i].off == 16)
            patch("bad.qcow2", 8, 0x200, 8); /* a backing file offset, so that its length counts */
        cr_assert(try_open(true) < 0, "%s: opened read-only", cases[i].what);
        cr_assert(try_open(false) < 0, "%s: opened read-write", cases[i].what);
    }
    /* zstd compression (bit 3 and the type byte). */
    make_good("compat=1.1,cluster_size=65536");
    patch("bad.qcow2", 72, 1ULL << 3, 8);
    patch("bad.qcow2", 104, 1, 1);
    cr_assert(try_open(true) < 0);
    /* Bad magic: probed as raw, refused as qcow2. */
    make_good("compat=1.1");
    patch("bad.qcow2", 0, 0x51464900, 4);
    struct blockdev b;
    cr_assert(blockdev_open(&b, P("bad.qcow2"), BLOCKDEV_QCOW2, true) < 0);
}

Test(qcow2, dirty_and_corrupt_bits)
{
    need_qemu();
    for (int bit = 0; bit < 2; bit++) {
        make_good("compat=1.1,cluster_size=65536");
        patch("bad.qcow2", 72, 1ULL << bit, 8);
        cr_assert(eq(int, try_open(false), -EROFS), "bit %d: read-write allowed", bit);
        cr_assert(eq(int, exercise("bad.qcow2", true), 0), "bit %d: read-only access failed", bit);
    }
}

Test(qcow2, backing_loops_and_deep_chains)
{
    need_qemu();
    sh_ok("qemu-img create -f qcow2 b.qcow2 1M && qemu-img create -f qcow2 -b b.qcow2 -F qcow2 a.qcow2");
    sh_ok("qemu-img rebase -u -b a.qcow2 -F qcow2 b.qcow2");
    struct blockdev b;
    cr_assert(eq(int, blockdev_open(&b, P("a.qcow2"), BLOCKDEV_QCOW2, true), -ELOOP));
    cr_assert(eq(int, blockdev_open(&b, P("a.qcow2"), BLOCKDEV_QCOW2, false), -ELOOP));
    sh_ok("qemu-img rebase -u -b b.qcow2 -F qcow2 b.qcow2");
    cr_assert(eq(int, blockdev_open(&b, P("b.qcow2"), BLOCKDEV_QCOW2, true), -ELOOP));
    /* 34 images deep is too deep; 30 is fine. */
    sh_ok("qemu-img create -f qcow2 c0.qcow2 1M && for i in $(seq 1 34); do qemu-img create -f qcow2 -b c$((i-1)).qcow2 "
          "-F qcow2 c$i.qcow2 >/dev/null || exit 1; done");
    cr_assert(eq(int, blockdev_open(&b, P("c34.qcow2"), BLOCKDEV_QCOW2, true), -ELOOP));
    cr_assert(eq(int, blockdev_open(&b, P("c30.qcow2"), BLOCKDEV_QCOW2, true), 0));
    blockdev_close(&b);
    /* A missing backing file. */
    sh_ok("rm c10.qcow2");
    cr_assert(blockdev_open(&b, P("c30.qcow2"), BLOCKDEV_QCOW2, true) < 0);
}

Test(qcow2, truncated_and_corrupt_tables_fail_with_eio)
{
    need_qemu();
    make_good("compat=1.1,cluster_size=4096");
    struct stat st;
    cr_assert(stat(P("bad.qcow2"), &st) == 0);
    cr_assert(truncate(P("bad.qcow2"), st.st_size / 2) == 0);
    int f = exercise("bad.qcow2", true);
    cr_assert(f != 0, "a half image read entirely");
    cr_assert(truncate(P("bad.qcow2"), 100) == 0);
    cr_assert(try_open(true) < 0);
    /* An L2 entry with reserved bits; an L1 entry past the end. */
    make_good("compat=1.1,cluster_size=65536");
    size_t len;
    uint8_t *img = load(P("bad.qcow2"), &len);
    uint64_t l1 = be(img + 40, 8), l2 = be(img + l1, 8) & 0x00fffffffffffe00ULL;
    free(img);
    patch("bad.qcow2", l2 + 8, 0x10000ULL | 0x100ULL, 8);
    struct blockdev b;
    uint8_t buf[512] = { 0 };
    cr_assert(eq(int, blockdev_open(&b, P("bad.qcow2"), BLOCKDEV_QCOW2, true), 0));
    cr_assert(eq(int, blockdev_read(&b, 65536, buf, 512), -EIO));
    blockdev_close(&b);
    /* An L2 entry that points at the L1 table: never written over. */
    patch("bad.qcow2", l2 + 16, l1 | (1ULL << 63), 8);
    cr_assert(eq(int, blockdev_open(&b, P("bad.qcow2"), BLOCKDEV_QCOW2, false), 0));
    cr_assert(eq(int, blockdev_write(&b, 2 * 65536, buf, 512), -EIO));
    blockdev_close(&b);
    img = load(P("bad.qcow2"), &len);
    cr_assert(eq(u64, be(img + l1, 8) & 0x00fffffffffffe00ULL, l2), "the L1 table was overwritten");
    free(img);
    patch("bad.qcow2", l1, 1ULL << 45, 8);
    cr_assert(eq(int, blockdev_open(&b, P("bad.qcow2"), BLOCKDEV_QCOW2, false), 0));
    cr_assert(eq(int, blockdev_read(&b, 0, buf, 512), -EIO));
    cr_assert(eq(int, blockdev_write(&b, 0, buf, 512), -EIO));
    blockdev_close(&b);
    /* A compressed entry past the end of the file. */
    patch("bad.qcow2", l1, l2 | (1ULL << 63), 8);
    patch("bad.qcow2", l2, (1ULL << 62) | (1ULL << 40), 8);
    cr_assert(eq(int, blockdev_open(&b, P("bad.qcow2"), BLOCKDEV_QCOW2, true), 0));
    cr_assert(eq(int, blockdev_read(&b, 0, buf, 512), -EIO));
    blockdev_close(&b);
}

/* Random bytes over the header and the first tables: refused, -EIO, or
 * whatever the damaged tables say, but never a crash. */
Test(qcow2, fuzzed_images_never_crash)
{
    need_qemu();
    make_good("compat=1.1,cluster_size=4096");
    size_t len;
    uint8_t *good = load(P("bad.qcow2"), &len);
    uint8_t *img = malloc(len);
    for (int it = 0; it < 300; it++) {
        memcpy(img, good, len);
        int flips = 1 + (int)(rnd() % 8);
        for (int k = 0; k < flips; k++) {
            size_t at = rnd() % 3 ? rnd() % 128 : rnd() % (len < 6 * 4096 ? len : 6 * 4096);
            img[at] ^= (uint8_t)(1u << (rnd() % 8));
            if (rnd() % 4 == 0)
                img[at] = (uint8_t)rnd();
        }
        save(P("fuzz.qcow2"), img, len);
        exercise("fuzz.qcow2", it % 2);
    }
    free(img);
    free(good);
}
