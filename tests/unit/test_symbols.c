/* Unit tests for machine/symbols.c, with binutils' nm as the oracle: a
 * small program is compiled and linked as a 32-bit and as a 64-bit ELF;
 * every function and object nm lists must be found by name at nm's
 * address and size, and every address inside it must look up to it.  The
 * same through a System.map written by nm.  Malformed files (truncated,
 * mutated, empty, garbage) are refused or give fewer symbols, never a
 * crash (the sanitizer build runs them too). */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "machine/symbols.h"
#include "tests/unit/skip.h"

static char dir[512];

static void setup(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/popek-symbols-XXXXXX", t && *t ? t : "/tmp");
    cr_assert(mkdtemp(dir) != NULL);
}

static void teardown(void)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

TestSuite(symbols, .init = setup, .fini = teardown, .timeout = 120);

static const char *P(const char *name)
{
    static char buf[4][600];
    static unsigned n;
    char *b = buf[n++ % 4];
    snprintf(b, sizeof(buf[0]), "%s/%s", dir, name);
    return b;
}

static int sh(const char *fmt, ...)
{
    char cmd[2048], full[2800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    snprintf(full, sizeof(full), "cd '%s' && ( %s ) >log 2>&1", dir, cmd);
    return system(full);
}

static const char program[] =
    "int counter = 5;\n"
    "static int hidden[40];\n"
    "char buffer[300];\n"
    "static int helper(int x) { return x * 3 + hidden[x & 31]; }\n"
    "int compute(int a, int b) { int s = 0; for (int i = 0; i < a; i++) s += helper(i) ^ b; return s; }\n"
    "void start(void) { counter = compute(counter, 7); buffer[3] = (char)counter; for (;;) ; }\n";

/* Builds prog.elf for bits (32 or 64); false when this host cannot. */
static bool build(int bits)
{
    FILE *f = fopen(P("prog.c"), "w");
    cr_assert(f != NULL);
    fputs(program, f);
    fclose(f);
    return sh("gcc -m%d -O0 -ffreestanding -fno-pic -fno-pie -no-pie -nostdlib -static -Wl,-e,start "
              "-o prog.elf prog.c",
              bits) == 0;
}

struct nm_sym {
    unsigned long long addr, size;
    char kind;
    char name[128];
};

/* nm -S's defined functions and objects of prog.elf. */
static size_t nm_symbols(struct nm_sym *out, size_t max)
{
    cr_assert(eq(int, sh("nm -S prog.elf > nm.txt"), 0));
    FILE *f = fopen(P("nm.txt"), "r");
    cr_assert(f != NULL);
    char line[256];
    size_t n = 0;
    while (n < max && fgets(line, sizeof(line), f)) {
        struct nm_sym s;
        if (sscanf(line, "%llx %llx %c %127s", &s.addr, &s.size, &s.kind, s.name) != 4)
            continue; /* no size: not a function or object */
        if (!strchr("TtDdBb", s.kind))
            continue;
        out[n++] = s;
    }
    fclose(f);
    return n;
}

static void check_against_nm(int bits)
{
    if (system("nm --version >/dev/null 2>&1") != 0)
        UNIT_SKIP("nm (binutils) is not installed");
    if (!build(bits))
        UNIT_SKIP("this host's gcc cannot link the test program");
    struct nm_sym want[64];
    size_t n = nm_symbols(want, 64);
    cr_assert(n >= 5, "nm listed %zu sized symbols", n);
    struct symtab t;
    symtab_init(&t);
    cr_assert(symtab_load(&t, P("prog.elf")) > 0);
    for (size_t i = 0; i < n; i++) {
        const struct symbol *s = symtab_find(&t, want[i].name);
        cr_assert(s != NULL, "%s not found", want[i].name);
        cr_expect(eq(u64, s->addr, (uint64_t)want[i].addr), "%s", want[i].name);
        cr_expect(eq(u64, s->size, (uint64_t)want[i].size), "%s", want[i].name);
        cr_expect(eq(chr, s->kind, strchr("Tt", want[i].kind) ? 'T' : 'D'), "%s", want[i].name);
        for (unsigned long long off = 0; off < want[i].size; off++) {
            const struct symbol *l = symtab_lookup(&t, want[i].addr + off);
            cr_assert(l != NULL, "%s+%llu", want[i].name, off);
            cr_assert(eq(u64, l->addr, (uint64_t)want[i].addr), "%s+%llu: %s", want[i].name, off,
                      symtab_name(&t, l));
        }
        char buf[160], expect[160];
        cr_assert(symtab_format(&t, want[i].addr, buf, sizeof(buf)));
        cr_expect(eq(u64, symtab_find(&t, buf)->addr, (uint64_t)want[i].addr), "format gives %s", buf);
        if (want[i].size > 3) {
            snprintf(expect, sizeof(expect), "+0x3");
            cr_assert(symtab_format(&t, want[i].addr + 3, buf, sizeof(buf)));
            cr_expect(strstr(buf, expect) != NULL, "%s", buf);
        }
    }
    const struct symbol *c = symtab_find(&t, "compute");
    cr_assert(c != NULL);
    cr_expect(symtab_lookup(&t, 0) == NULL, "nothing covers address 0");
    symtab_free(&t);
}

Test(symbols, elf32_matches_nm)
{
    check_against_nm(32);
}

Test(symbols, elf64_matches_nm)
{
    check_against_nm(64);
}

Test(symbols, system_map_matches_nm)
{
    if (system("nm --version >/dev/null 2>&1") != 0)
        UNIT_SKIP("nm (binutils) is not installed");
    if (!build(32))
        UNIT_SKIP("this host's gcc cannot link the test program");
    struct nm_sym want[64];
    size_t n = nm_symbols(want, 64);
    /* A System.map is nm -n's output: no sizes, and a few lines to skip. */
    cr_assert(eq(int, sh("(nm -n prog.elf; echo 'garbage line'; echo '00000000 A absolute_thing'; "
                         "echo 'zz T bad_address') > System.map"),
                 0));
    struct symtab t;
    symtab_init(&t);
    cr_assert(symtab_load(&t, P("System.map")) > 0);
    cr_expect(symtab_find(&t, "absolute_thing") == NULL);
    cr_expect(symtab_find(&t, "bad_address") == NULL);
    for (size_t i = 0; i < n; i++) {
        const struct symbol *s = symtab_find(&t, want[i].name);
        cr_assert(s != NULL, "%s", want[i].name);
        cr_expect(eq(u64, s->addr, (uint64_t)want[i].addr), "%s", want[i].name);
        const struct symbol *l = symtab_lookup(&t, want[i].addr + want[i].size - 1);
        cr_assert(l != NULL);
        cr_expect(eq(u64, l->addr, (uint64_t)want[i].addr), "%s: %s", want[i].name, symtab_name(&t, l));
    }
    symtab_free(&t);
}

Test(symbols, malformed_files_are_refused_without_a_crash)
{
    struct symtab t;
    symtab_init(&t);
    cr_expect(eq(int, symtab_load(&t, P("missing")), -ENOENT));
    FILE *f = fopen(P("empty"), "w");
    fclose(f);
    cr_expect(eq(int, symtab_load(&t, P("empty")), -EINVAL));
    f = fopen(P("elfish"), "w");
    fputs("\177ELF this is not really one", f);
    fclose(f);
    cr_expect(symtab_load(&t, P("elfish")) < 0);
    f = fopen(P("long"), "w");
    for (int i = 0; i < 5000; i++)
        fputc('a', f);
    fputs("\n00001000 T after_a_long_line\n", f);
    fclose(f);
    cr_expect(eq(int, symtab_load(&t, P("long")), 1));
    cr_expect(symtab_find(&t, "after_a_long_line") != NULL);
    symtab_free(&t);

    if (system("gcc --version >/dev/null 2>&1") != 0 || !build(32))
        return;
    struct stat st;
    cr_assert(eq(int, stat(P("prog.elf"), &st), 0));
    size_t len = (size_t)st.st_size;
    uint8_t *img = malloc(len), *bad = malloc(len);
    f = fopen(P("prog.elf"), "rb");
    cr_assert(eq(sz, fread(img, 1, len, f), len));
    fclose(f);
    uint32_t r = 99;
    for (int round = 0; round < 300; round++) {
        size_t n = len;
        memcpy(bad, img, len);
        if (round % 3 == 0) {
            n = 4 + (size_t)round * 37 % (len - 4); /* truncated */
        } else {
            for (int k = 0; k < 1 + round % 16; k++) {
                r = r * 1103515245u + 12345u;
                size_t at = (r >> 8) % (round % 2 ? 64 : len); /* the header, or anywhere */
                r = r * 1103515245u + 12345u;
                bad[at] = (uint8_t)(r >> 16);
            }
        }
        f = fopen(P("bad.elf"), "wb");
        cr_assert(eq(sz, fwrite(bad, 1, n, f), n));
        fclose(f);
        symtab_init(&t);
        int rc = symtab_load(&t, P("bad.elf"));
        if (rc > 0) {
            char buf[64];
            for (size_t i = 0; i < t.n; i++)
                symtab_format(&t, t.sym[i].addr, buf, sizeof(buf));
        }
        symtab_free(&t);
    }
    free(img);
    free(bad);
}
