/* Runs the guest-level test kernels (tests/guest/README.md).
 *
 *   guest-runner [--xfail FILE] [--model M] [--budget N] [-v] IMAGE...
 *
 * Each IMAGE is a flat binary with a multiboot header (lib.inc) that names
 * the test, the CPU models it runs on and whether it ends with a verdict on
 * port 0xF4 ("expect=exit") or a shutdown ("expect=shutdown").  For every
 * model the runner builds a machine, loads the image where its header says,
 * enters it in 32-bit protected mode with flat segments (as a multiboot
 * loader does, with a command line "model=NAME"), and runs it for at most
 * --budget instructions.  The guest prints "ok N ..." / "FAIL N ..." lines
 * on port 0xE9.
 *
 * A run passes when it wrote 0 to port 0xF4 (or, for expect=shutdown, the
 * CPU shut down), printed at least one "ok" and no "FAIL".  Runs listed in
 * the xfail file ("name" for every model, or "name:model") may fail without
 * failing the suite; one that passes is reported as XPASS so the list can
 * shrink.  The exit status is 1 when a run not listed fails. */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/machine.h"

#define LOAD_MIN 0x1000u
#define RAM_SIZE (32u << 20)
#define MBI_ADDR 0x500u
#define CMDLINE_ADDR 0x600u
#define EXIT_PORT 0xF4
#define SLICE 1000000u

struct image {
    const char *path;
    uint8_t *data;
    size_t len;
    uint32_t load_addr, entry;
    char name[64];
    char models[128];
    bool expect_shutdown;
};

struct exit_dev {
    struct cpu *cpu;
    bool written;
    uint32_t value;
};

struct xfail {
    char **names;
    size_t n;
};

static uint32_t exit_read(void *opaque, uint16_t port, unsigned size)
{
    return 0xFFFFFFFFu;
}

static void exit_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct exit_dev *d = opaque;
    if (d->written)
        return;
    d->written = true;
    d->value = val;
    cpu_request_stop(d->cpu);
}

static const struct io_ops exit_ops = { exit_read, exit_write, 1 | 2 | 4 };

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Copies the value of "key=" in the info string into out (up to the next
 * key or the end). */
static void info_field(const char *info, const char *key, char *out, size_t size)
{
    out[0] = 0;
    const char *p = strstr(info, key);
    if (!p)
        return;
    p += strlen(key);
    const char *end = p;
    /* The value runs until " word=" or the end of the string. */
    for (;;) {
        const char *sp = strchr(end, ' ');
        if (!sp) {
            end += strlen(end);
            break;
        }
        const char *eq = strchr(sp + 1, '=');
        const char *sp2 = strchr(sp + 1, ' ');
        if (eq && (!sp2 || eq < sp2)) {
            end = sp;
            break;
        }
        end = sp + 1;
    }
    size_t n = (size_t)(end - p);
    if (n >= size)
        n = size - 1;
    memcpy(out, p, n);
    out[n] = 0;
}

static int load_image(struct image *img, const char *path)
{
    memset(img, 0, sizeof(*img));
    img->path = path;
    FILE *f = fopen(path, "rb");
    if (!f) {
        fprintf(stderr, "guest-runner: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 1 << 16, len = 0;
    uint8_t *buf = malloc(cap);
    for (;;) {
        if (!buf)
            break;
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (len < cap)
            break;
        cap *= 2;
        uint8_t *nb = realloc(buf, cap);
        if (!nb) {
            free(buf);
            buf = NULL;
        }
        buf = nb;
    }
    fclose(f);
    if (!buf) {
        fprintf(stderr, "guest-runner: %s: out of memory\n", path);
        return -1;
    }
    img->data = buf;
    img->len = len;
    /* The multiboot header must open the image (lib.inc puts it there),
     * with the address fields (flag 16) and header_addr == load_addr. */
    if (len < 64 || le32(buf) != 0x1BADB002u || !(le32(buf + 4) & 0x10000u) ||
        le32(buf) + le32(buf + 4) + le32(buf + 8) != 0 || le32(buf + 12) != le32(buf + 16)) {
        fprintf(stderr, "guest-runner: %s: no multiboot header with load addresses at offset 0\n",
                path);
        return -1;
    }
    img->load_addr = le32(buf + 16);
    img->entry = le32(buf + 28);
    if (img->load_addr < LOAD_MIN || img->load_addr + len > RAM_SIZE || img->entry < img->load_addr ||
        img->entry >= img->load_addr + len) {
        fprintf(stderr, "guest-runner: %s: load address %#x or entry %#x out of range\n", path,
                img->load_addr, img->entry);
        return -1;
    }
    const char *tag = "POPEK-GUEST ";
    size_t tl = strlen(tag);
    const char *info = NULL;
    for (size_t i = 32; i + tl < len && i < 4096; i++) {
        if (memcmp(buf + i, tag, tl) == 0 && memchr(buf + i, 0, len - i)) {
            info = (const char *)buf + i;
            break;
        }
    }
    if (!info) {
        fprintf(stderr, "guest-runner: %s: no POPEK-GUEST info string\n", path);
        return -1;
    }
    char expect[32];
    info_field(info, "name=", img->name, sizeof(img->name));
    info_field(info, "models=", img->models, sizeof(img->models));
    info_field(info, "expect=", expect, sizeof(expect));
    if (!img->name[0] || !img->models[0]) {
        fprintf(stderr, "guest-runner: %s: info string lacks name= or models=\n", path);
        return -1;
    }
    if (strcmp(expect, "shutdown") == 0) {
        img->expect_shutdown = true;
    } else if (strcmp(expect, "exit") != 0) {
        fprintf(stderr, "guest-runner: %s: unknown expect=%s\n", path, expect);
        return -1;
    }
    return 0;
}

static int read_xfail(struct xfail *x, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        fprintf(stderr, "guest-runner: %s: %s\n", path, strerror(errno));
        return -1;
    }
    char line[256];
    while (fgets(line, sizeof(line), f)) {
        char *h = strchr(line, '#');
        if (h)
            *h = 0;
        char *tok = strtok(line, " \t\r\n");
        while (tok) {
            char **nn = realloc(x->names, (x->n + 1) * sizeof(*nn));
            if (!nn || !(nn[x->n] = strdup(tok))) {
                fclose(f);
                return -1;
            }
            x->names = nn;
            x->n++;
            tok = strtok(NULL, " \t\r\n");
        }
    }
    fclose(f);
    return 0;
}

static bool xfail_listed(const struct xfail *x, const char *name, const char *model)
{
    char both[200];
    snprintf(both, sizeof(both), "%s:%s", name, model);
    for (size_t i = 0; i < x->n; i++)
        if (strcmp(x->names[i], name) == 0 || strcmp(x->names[i], both) == 0)
            return true;
    return false;
}

struct result {
    bool pass;
    unsigned oks, fails;
};

/* Runs one image on one model and prints its lines and verdict. */
static struct result run_one(const struct image *img, enum cpu_model model, uint64_t budget,
                             bool verbose)
{
    struct result r = { false, 0, 0 };
    char *out = NULL;
    size_t outlen = 0;
    FILE *con = open_memstream(&out, &outlen);
    if (!con) {
        fprintf(stderr, "guest-runner: open_memstream: %s\n", strerror(errno));
        return r;
    }
    struct machine m;
    struct machine_config cfg;
    machine_config_default(&cfg);
    cfg.model = model;
    cfg.ram_size = RAM_SIZE;
    cfg.debugcon = con;
    if (machine_init(&m, &cfg) < 0) {
        fclose(con);
        free(out);
        return r;
    }
    struct exit_dev dev = { m.cpu, false, 0 };
    bus_io_register(&m.bus, EXIT_PORT, 1, &exit_ops, &dev);
    bus_write_block(&m.bus, img->load_addr, img->data, img->len);

    /* Multiboot information: only the command line (flags bit 2). */
    char cmdline[64];
    snprintf(cmdline, sizeof(cmdline), "model=%s", cpu_model_name(model));
    bus_write(&m.bus, MBI_ADDR, 1u << 2, 4);
    bus_write(&m.bus, MBI_ADDR + 16, CMDLINE_ADDR, 4);
    bus_write_block(&m.bus, CMDLINE_ADDR, cmdline, strlen(cmdline) + 1);

    /* The machine state a multiboot loader leaves. */
    struct cpu_state st;
    cpu_get_state(m.cpu, &st);
    memset(st.gpr, 0, sizeof(st.gpr));
    st.gpr[R_EAX] = 0x2BADB002u;
    st.gpr[R_EBX] = MBI_ADDR;
    st.gpr[R_ESP] = 0x7000;
    st.eip = img->entry;
    st.eflags = 0x2;
    st.cr0 = 0x11;
    for (int s = 0; s < S_NSEG; s++) {
        st.seg[s].sel = s == S_CS ? 0x08 : 0x10;
        st.seg[s].base = 0;
        st.seg[s].limit = 0xFFFFFFFFu;
        st.seg[s].attr = s == S_CS ? 0xC09B : 0xC093;
    }
    cpu_set_state(m.cpu, &st);

    enum cpu_exit why = CPU_EXIT_BUDGET;
    uint64_t total = 0;
    while (total < budget) {
        uint64_t n = 0, slice = budget - total < SLICE ? budget - total : SLICE;
        why = cpu_run(m.cpu, slice, &n);
        total += n;
        if (why != CPU_EXIT_BUDGET)
            break;
        if (n == 0)
            break;
    }
    fflush(con);

    /* The guest's lines, counted. */
    const char *p = out ? out : "";
    while (*p) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        if (n >= 3 && memcmp(p, "ok ", 3) == 0)
            r.oks++;
        else if (n >= 4 && memcmp(p, "FAIL", 4) == 0)
            r.fails++;
        if (verbose || (n >= 4 && memcmp(p, "FAIL", 4) == 0) || (n >= 1 && p[0] == '#')) {
            fputs("    ", stdout);
            for (size_t k = 0; k < n; k++)
                putchar(p[k] >= 0x20 && p[k] < 0x7F ? p[k] : '?');
            putchar('\n');
        }
        p += n + (nl ? 1 : 0);
    }

    char reason[256];
    reason[0] = 0;
    switch (why) {
    case CPU_EXIT_STOP:
        if (img->expect_shutdown)
            snprintf(reason, sizeof(reason), "exit code %u instead of a shutdown", dev.value);
        else if (dev.value != 0)
            snprintf(reason, sizeof(reason), "exit code %u", dev.value);
        break;
    case CPU_EXIT_SHUTDOWN:
        if (!img->expect_shutdown)
            snprintf(reason, sizeof(reason), "CPU shutdown (triple fault) after %llu instructions",
                     (unsigned long long)total);
        break;
    case CPU_EXIT_HALT:
        snprintf(reason, sizeof(reason), "halted without a verdict after %llu instructions",
                 (unsigned long long)total);
        break;
    case CPU_EXIT_ERROR:
        snprintf(reason, sizeof(reason), "emulator error: %s", cpu_error(m.cpu));
        break;
    case CPU_EXIT_BUDGET:
        snprintf(reason, sizeof(reason), "no verdict within %llu instructions",
                 (unsigned long long)total);
        break;
    case CPU_EXIT_DEBUG: /* no breakpoints are set here */
        snprintf(reason, sizeof(reason), "stopped at a debug event after %llu instructions",
                 (unsigned long long)total);
        break;
    }
    if (!reason[0] && r.fails)
        snprintf(reason, sizeof(reason), "%u failed check%s", r.fails, r.fails == 1 ? "" : "s");
    if (!reason[0] && r.oks == 0)
        snprintf(reason, sizeof(reason), "no checks ran");
    r.pass = !reason[0];
    if (!r.pass) {
        printf("    (%s)\n", reason);
        if (why != CPU_EXIT_STOP && why != CPU_EXIT_SHUTDOWN && verbose)
            cpu_dump(m.cpu, stdout);
    }
    machine_free(&m);
    fclose(con);
    free(out);
    return r;
}

static void usage(void)
{
    fprintf(stderr, "usage: guest-runner [--xfail FILE] [--model M] [--budget N] [-v] IMAGE...\n");
    exit(2);
}

int main(int argc, char **argv)
{
    struct xfail xf = { NULL, 0 };
    const char *only_model = NULL;
    uint64_t budget = 200000000u;
    bool verbose = false;
    int i = 1;
    for (; i < argc && argv[i][0] == '-'; i++) {
        if (strcmp(argv[i], "--xfail") == 0 && i + 1 < argc) {
            if (read_xfail(&xf, argv[++i]) < 0)
                return 2;
        } else if (strcmp(argv[i], "--model") == 0 && i + 1 < argc) {
            only_model = argv[++i];
        } else if (strcmp(argv[i], "--budget") == 0 && i + 1 < argc) {
            budget = strtoull(argv[++i], NULL, 0);
        } else if (strcmp(argv[i], "-v") == 0) {
            verbose = true;
        } else {
            usage();
        }
    }
    if (i == argc)
        usage();

    unsigned passed = 0, failed = 0, xfailed = 0, xpassed = 0;
    unsigned checks_ok = 0, checks_failed = 0;
    bool bad = false;
    for (; i < argc; i++) {
        struct image img;
        if (load_image(&img, argv[i]) < 0) {
            free(img.data);
            failed++;
            bad = true;
            continue;
        }
        char models[128];
        snprintf(models, sizeof(models), "%s", img.models);
        for (char *tok = strtok(models, " ,"); tok; tok = strtok(NULL, " ,")) {
            enum cpu_model model;
            if (cpu_parse_model(tok, &model) < 0) {
                fprintf(stderr, "guest-runner: %s: unknown model %s\n", img.path, tok);
                failed++;
                bad = true;
                continue;
            }
            if (only_model) {
                enum cpu_model want;
                if (cpu_parse_model(only_model, &want) < 0 || want != model)
                    continue;
            }
            const char *mname = cpu_model_name(model);
            bool listed = xfail_listed(&xf, img.name, mname);
            printf("%s (%s):\n", img.name, mname);
            fflush(stdout);
            struct result r = run_one(&img, model, budget, verbose);
            checks_ok += r.oks;
            checks_failed += r.fails;
            const char *verdict;
            if (r.pass && !listed) {
                verdict = "PASS";
                passed++;
            } else if (r.pass) {
                verdict = "XPASS (listed in the xfail file: remove it)";
                xpassed++;
            } else if (listed) {
                verdict = "XFAIL (expected failure)";
                xfailed++;
            } else {
                verdict = "FAIL";
                failed++;
                bad = true;
            }
            printf("  %s %s: %s (%u ok, %u failed)\n", img.name, mname, verdict, r.oks, r.fails);
            fflush(stdout);
        }
        free(img.data);
    }
    printf("guest tests: %u passed, %u failed, %u expected failures, %u unexpected passes; "
           "checks: %u passed, %u failed\n",
           passed, failed, xfailed, xpassed, checks_ok, checks_failed);
    for (size_t k = 0; k < xf.n; k++)
        free(xf.names[k]);
    free(xf.names);
    return bad ? 1 : 0;
}
