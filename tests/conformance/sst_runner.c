/* sst-runner: runs the hardware-captured SingleStepTests (8086 and 80286
 * real mode) on Popek's CPU and reports conformance.  See README.md.
 *
 *   sst-runner [options] DATADIR
 *
 * DATADIR holds 8086/metadata.json, 8086/v1_binary/XX.MOO.gz and
 * 80286/metadata.json, 80286/revocation_list.txt, 80286/v1_real_mode/XX.MOO.gz. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "tests/conformance/dump.h"
#include "tests/conformance/selftest.h"
#include "tests/conformance/suite.h"

#define SUITE_MIN_PASS 99.5 /* percent of a suite's compared tests */
#define FILE_MIN_PASS 97.0  /* percent of one opcode file's compared tests */
#define LABEL_MAX 16

struct file_stats {
    char label[LABEL_MAX];
    unsigned compared, failed;
};

struct suite_stats {
    bool ran;
    unsigned files;
    unsigned long loaded, compared, failed, revoked, unknown, bad_data, fixed;
    unsigned long excluded[ST_NSTATUS];
    unsigned long leaked; /* bytes found by the per-file sweep */
    struct file_stats *fs;
    size_t nfs, capfs;
    double seconds;
};

struct failure {
    int suite;
    char label[LABEL_MAX];
    uint32_t seq;
    char *id; /* hash (286) or name (8086) */
};

struct known {
    int suite;
    char label[LABEL_MAX];
    uint32_t seq;
};

struct options {
    const char *datadir;
    int suite; /* -1: all */
    char opcode[LABEL_MAX];
    bool verbose;
    unsigned long limit; /* 0: all */
    const char *failures_path;
    const char *known_path;
    bool thresholds;
    bool self_test;
    const char *dump;
};

struct runner {
    struct options opt;
    struct suite_stats st[SST_NSUITES];
    struct failure *fail;
    size_t nfail, capfail;
    struct known *known;
    size_t nknown;
    int errors; /* data or setup errors */
    struct sst_meta meta;
    struct sst_hashset revoked;
};

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n);
    if (!q) {
        fprintf(stderr, "sst-runner: out of memory\n");
        exit(2);
    }
    return q;
}

static char *xstrndup(const char *s, size_t n)
{
    char *d = xrealloc(NULL, n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

/* ---- known failures ------------------------------------------------------ */

static int cmp_known(const void *a, const void *b)
{
    const struct known *x = a, *y = b;
    if (x->suite != y->suite)
        return x->suite - y->suite;
    int c = strcmp(x->label, y->label);
    if (c)
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* Lines "SUITE FILE INDEX ID..."; '#' starts a comment line. */
static int load_known(struct runner *rn, const char *path)
{
    char *text = sst_read_file(path, NULL);
    if (!text) {
        fprintf(stderr, "sst-runner: %s: %s\n", path, strerror(errno));
        return -1;
    }
    size_t cap = 0;
    int lineno = 0;
    for (char *line = text; line;) {
        char *nl = strchr(line, '\n');
        if (nl)
            *nl = 0;
        lineno++;
        char suite[16], label[LABEL_MAX + 1];
        unsigned long seq;
        char *p = line;
        while (isspace((unsigned char)*p))
            p++;
        if (*p && *p != '#') {
            if (sscanf(p, "%15s %16s %lu", suite, label, &seq) != 3 || sst_suite_find(suite) < 0 ||
                strlen(label) >= LABEL_MAX) {
                fprintf(stderr, "sst-runner: %s:%d: expected \"SUITE FILE INDEX ...\"\n", path, lineno);
                free(text);
                return -1;
            }
            if (rn->nknown == cap) {
                cap = cap ? cap * 2 : 256;
                rn->known = xrealloc(rn->known, cap * sizeof(*rn->known));
            }
            struct known *k = &rn->known[rn->nknown++];
            k->suite = sst_suite_find(suite);
            memcpy(k->label, label, strlen(label) + 1); /* length checked above */
            k->seq = (uint32_t)seq;
        }
        line = nl ? nl + 1 : NULL;
    }
    free(text);
    if (rn->nknown)
        qsort(rn->known, rn->nknown, sizeof(*rn->known), cmp_known);
    return 0;
}

static bool is_known(const struct runner *rn, int suite, const char *label, uint32_t seq)
{
    struct known k = { suite, "", seq };
    snprintf(k.label, sizeof(k.label), "%s", label);
    return rn->nknown && bsearch(&k, rn->known, rn->nknown, sizeof(k), cmp_known);
}

/* ---- files ----------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The labels (file names without ".MOO.gz") in dir, sorted. */
static char **list_tests(const char *dir, size_t *n)
{
    DIR *d = opendir(dir);
    if (!d)
        return NULL;
    char **v = NULL;
    size_t cap = 0;
    *n = 0;
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t l = strlen(de->d_name);
        if (l <= 7 || strcmp(de->d_name + l - 7, ".MOO.gz") || l - 7 >= LABEL_MAX)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 512;
            v = xrealloc(v, cap * sizeof(*v));
        }
        v[(*n)++] = xstrndup(de->d_name, l - 7);
    }
    closedir(d);
    if (*n)
        qsort(v, *n, sizeof(*v), cmp_str);
    return v ? v : xrealloc(NULL, sizeof(*v));
}

/* ---- running ------------------------------------------------------------ */

/* --opcode XX.R selects that file; --opcode XX selects XX or all XX.R. */
static bool selected(const struct options *o, const char *label)
{
    if (!o->opcode[0] || !strcasecmp(label, o->opcode))
        return true;
    return strlen(o->opcode) == 2 && !strncasecmp(label, o->opcode, 2) && label[2] == '.';
}

static void add_failure(struct runner *rn, int suite, const char *label, const struct moo_test *t)
{
    if (rn->nfail == rn->capfail) {
        rn->capfail = rn->capfail ? rn->capfail * 2 : 1024;
        rn->fail = xrealloc(rn->fail, rn->capfail * sizeof(*rn->fail));
    }
    struct failure *f = &rn->fail[rn->nfail++];
    f->suite = suite;
    snprintf(f->label, sizeof(f->label), "%s", label);
    f->seq = t->seq;
    if (t->has_hash) {
        f->id = xrealloc(NULL, 41);
        moo_hash_hex(t, f->id);
    } else {
        /* Names never hold newlines; keep the line format safe anyway. */
        f->id = xstrndup(t->name ? t->name : "", t->name_len);
        for (char *p = f->id; *p; p++)
            if (*p == '\n' || *p == '\r')
                *p = ' ';
    }
}

static struct file_stats *new_file_stats(struct suite_stats *ss, const char *label)
{
    if (ss->nfs == ss->capfs) {
        ss->capfs = ss->capfs ? ss->capfs * 2 : 512;
        ss->fs = xrealloc(ss->fs, ss->capfs * sizeof(*ss->fs));
    }
    struct file_stats *fs = &ss->fs[ss->nfs++];
    memset(fs, 0, sizeof(*fs));
    snprintf(fs->label, sizeof(fs->label), "%s", label);
    return fs;
}

static void run_file(struct runner *rn, int si, struct sst_machine *m, const char *path,
                     const char *label)
{
    struct suite_stats *ss = &rn->st[si];
    const char *sname = sst_suites[si].name;
    struct moo_file f;
    char err[400];
    if (moo_load(path, &f, err, sizeof(err)) < 0) {
        fprintf(stderr, "sst-runner: %s\n", err);
        rn->errors++;
        return;
    }
    ss->files++;
    struct file_stats *fs = new_file_stats(ss, label);
    size_t n = f.ntests;
    if (rn->opt.limit && n > rn->opt.limit)
        n = rn->opt.limit;
    bool warned_unknown = false;
    for (size_t i = 0; i < n; i++) {
        const struct moo_test *t = &f.tests[i];
        ss->loaded++;
        if (t->has_hash && sst_hashset_has(&rn->revoked, t->hash)) {
            ss->revoked++;
            continue;
        }
        struct sst_class cls;
        struct sst_expect e;
        enum sst_status st = sst_decide(&rn->meta, t, &cls, &e);
        if (sst_status_excluded(st)) {
            ss->excluded[st]++;
            continue;
        }
        if (st == ST_UNKNOWN) {
            ss->unknown++;
            if (!warned_unknown)
                fprintf(stderr, "sst-runner: %s %s #%zu: opcode not in the metadata; compared "
                                "with all flags\n", sname, label, i);
            warned_unknown = true;
        }
        struct sst_result r;
        bool ok = sst_run_test(m, t, &e, NULL, &r);
        if (r.why & SST_BAD_DATA) {
            fprintf(stderr, "sst-runner: %s %s #%zu: address beyond RAM; test not usable\n", sname,
                    label, i);
            ss->bad_data++;
            rn->errors++;
            continue;
        }
        ss->compared++;
        fs->compared++;
        if (ok) {
            if (is_known(rn, si, label, t->seq))
                ss->fixed++;
            continue;
        }
        ss->failed++;
        fs->failed++;
        add_failure(rn, si, label, t);
        if (rn->opt.verbose)
            sst_print_failure(stdout, sname, label, t, &cls, &e, &r);
    }
    /* Safety net: anything left non-zero escaped the stray-write windows. */
    uint32_t left = sst_machine_sweep(m);
    if (left) {
        fprintf(stderr, "sst-runner: %s %s: %u byte(s) written outside the scanned windows\n",
                sname, label, left);
        ss->leaked += left;
    }
    moo_free(&f);
}

static void run_suite(struct runner *rn, int si)
{
    const struct sst_suite *su = &sst_suites[si];
    struct suite_stats *ss = &rn->st[si];
    char path[4096], err[400];
    double t0 = now();

    snprintf(path, sizeof(path), "%s/%s/%s", rn->opt.datadir, su->dir, su->tests);
    size_t nfiles;
    char **labels = list_tests(path, &nfiles);
    if (!labels) {
        fprintf(stderr, "sst-runner: %s: %s\n", path, strerror(errno));
        rn->errors++;
        return;
    }
    bool any = false;
    for (size_t i = 0; i < nfiles; i++)
        any |= selected(&rn->opt, labels[i]);
    if (!any) {
        if (!rn->opt.opcode[0]) {
            fprintf(stderr, "sst-runner: %s: no *.MOO.gz files\n", path);
            rn->errors++;
        }
        goto out;
    }

    snprintf(path, sizeof(path), "%s/%s/metadata.json", rn->opt.datadir, su->dir);
    if (sst_meta_load(path, &rn->meta, err, sizeof(err)) < 0) {
        fprintf(stderr, "sst-runner: %s\n", err);
        rn->errors++;
        goto out;
    }
    sst_hashset_free(&rn->revoked);
    if (su->has_revocations) {
        snprintf(path, sizeof(path), "%s/%s/revocation_list.txt", rn->opt.datadir, su->dir);
        if (sst_hashset_load(path, &rn->revoked, err, sizeof(err)) < 0) {
            fprintf(stderr, "sst-runner: %s\n", err);
            rn->errors++;
            goto out;
        }
    }

    struct sst_machine m;
    if (sst_machine_init(&m, su->model) < 0) {
        rn->errors++;
        goto out;
    }
    ss->ran = true;
    for (size_t i = 0; i < nfiles; i++) {
        if (!selected(&rn->opt, labels[i]))
            continue;
        snprintf(path, sizeof(path), "%s/%s/%s/%s.MOO.gz", rn->opt.datadir, su->dir, su->tests,
                 labels[i]);
        run_file(rn, si, &m, path, labels[i]);
    }
    sst_machine_free(&m);
out:
    for (size_t i = 0; i < nfiles; i++)
        free(labels[i]);
    free(labels);
    ss->seconds = now() - t0;
}

/* ---- reporting ------------------------------------------------------------ */

static double pct(unsigned long num, unsigned long den)
{
    return den ? 100.0 * (double)num / (double)den : 100.0;
}

static void report_suite(const struct runner *rn, int si)
{
    const struct suite_stats *ss = &rn->st[si];
    const char *name = sst_suites[si].name;
    unsigned long excl = 0;
    for (int s = 0; s < ST_NSTATUS; s++)
        excl += ss->excluded[s];
    printf("== suite %s: %u files, %lu tests loaded, %lu compared, %lu excluded", name, ss->files,
           ss->loaded, ss->compared, excl);
    if (excl) {
        const char *sep = " (";
        for (int s = 0; s < ST_NSTATUS; s++)
            if (ss->excluded[s]) {
                printf("%s%s %lu", sep, sst_status_name((enum sst_status)s), ss->excluded[s]);
                sep = ", ";
            }
        printf(")");
    }
    printf(", %lu revoked", ss->revoked);
    if (ss->unknown)
        printf(", %lu without metadata", ss->unknown);
    if (ss->bad_data)
        printf(", %lu unusable", ss->bad_data);
    printf("\n");
    if (ss->failed) {
        printf("   %-8s %15s %9s\n", "opcode", "failed/compared", "passed");
        for (size_t i = 0; i < ss->nfs; i++) {
            const struct file_stats *fs = &ss->fs[i];
            if (!fs->failed)
                continue;
            char frac[32];
            snprintf(frac, sizeof(frac), "%u/%u", fs->failed, fs->compared);
            printf("   %-8s %15s %8.2f%%%s\n", fs->label, frac,
                   pct(fs->compared - fs->failed, fs->compared),
                   pct(fs->compared - fs->failed, fs->compared) < FILE_MIN_PASS ? "  < 97%" : "");
        }
    }
    printf("== suite %s: %lu/%lu passed (%.3f%%), %lu failed, in %.2f s\n", name,
           ss->compared - ss->failed, ss->compared, pct(ss->compared - ss->failed, ss->compared),
           ss->failed, ss->seconds);
}

static int cmp_failure(const void *a, const void *b)
{
    const struct failure *x = a, *y = b;
    if (x->suite != y->suite)
        return x->suite - y->suite;
    int c = strcmp(x->label, y->label);
    if (c)
        return c;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int write_failures(const struct runner *rn, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "sst-runner: %s: %s\n", path, strerror(errno));
        return -1;
    }
    for (size_t i = 0; i < rn->nfail; i++) {
        const struct failure *x = &rn->fail[i];
        fprintf(f, "%s %s %u %s\n", sst_suites[x->suite].name, x->label, x->seq, x->id);
    }
    if (fclose(f) != 0) {
        fprintf(stderr, "sst-runner: %s: write error\n", path);
        return -1;
    }
    return 0;
}

/* Returns the number of problems: threshold misses and new failures. */
static int verdict(const struct runner *rn)
{
    int problems = 0;
    if (rn->opt.thresholds) {
        for (int si = 0; si < SST_NSUITES; si++) {
            const struct suite_stats *ss = &rn->st[si];
            if (!ss->ran || !ss->compared)
                continue;
            double p = pct(ss->compared - ss->failed, ss->compared);
            if (p < SUITE_MIN_PASS) {
                printf("THRESHOLD: suite %s passes %.3f%% < %.1f%%\n", sst_suites[si].name, p,
                       SUITE_MIN_PASS);
                problems++;
            }
            for (size_t i = 0; i < ss->nfs; i++) {
                const struct file_stats *fs = &ss->fs[i];
                double fp = pct(fs->compared - fs->failed, fs->compared);
                if (fs->compared && fp < FILE_MIN_PASS) {
                    printf("THRESHOLD: %s %s passes %.2f%% < %.0f%%\n", sst_suites[si].name,
                           fs->label, fp, FILE_MIN_PASS);
                    problems++;
                }
            }
            if (ss->leaked) {
                printf("STRAY: suite %s left %lu byte(s) written outside the scanned windows\n",
                       sst_suites[si].name, ss->leaked);
                problems++;
            }
        }
    }
    if (rn->opt.known_path) {
        size_t fresh = 0;
        for (size_t i = 0; i < rn->nfail; i++) {
            const struct failure *x = &rn->fail[i];
            if (is_known(rn, x->suite, x->label, x->seq))
                continue;
            if (fresh < 20)
                printf("NEW FAILURE: %s %s %u %s\n", sst_suites[x->suite].name, x->label, x->seq,
                       x->id);
            fresh++;
        }
        if (fresh > 20)
            printf("NEW FAILURE: ... and %zu more\n", fresh - 20);
        if (fresh) {
            printf("%zu failure(s) not in %s (regressions; run with -v to see them, or "
                   "`make conformance-update-known` if intended)\n",
                   fresh, rn->opt.known_path);
            problems++;
        }
        unsigned long fixed = 0;
        for (int si = 0; si < SST_NSUITES; si++)
            fixed += rn->st[si].fixed;
        if (fixed)
            printf("note: %lu test(s) listed in %s now pass; `make conformance-update-known` "
                   "drops them\n",
                   fixed, rn->opt.known_path);
    }
    return problems;
}

/* ---- options ------------------------------------------------------------ */

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sst-runner [options] DATADIR\n"
            "  --suite 8086|286      run one suite (default: both)\n"
            "  --opcode XX[.R]       run one opcode file (F6.4), or all files of XX (F6)\n"
            "  -v, --verbose         print every failing test with its differences\n"
            "  --limit N             run only the first N tests of each file\n"
            "  --failures FILE       write the failing tests, one per line, sorted\n"
            "  --known FILE          fail if a test fails that FILE does not list\n"
            "  --no-thresholds       do not fail on pass-rate thresholds\n"
            "  --self-test           prove the runner detects corrupted tests\n"
            "  --dump FILE[:FIRST[:COUNT]]  print decoded tests of one .MOO.gz\n"
            "  --dump-meta FILE      print what a metadata.json decodes to\n"
            "exit status: 0 ok, 1 thresholds missed or new failures, 2 usage/data errors\n");
}

static int parse_args(int argc, char **argv, struct options *o, const char **dump_meta)
{
    memset(o, 0, sizeof(*o));
    o->suite = -1;
    o->thresholds = true;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_VAL                                                       \
    do {                                                               \
        if (!val) {                                                    \
            fprintf(stderr, "sst-runner: %s needs a value\n", a);      \
            return -1;                                                 \
        }                                                              \
        i++;                                                           \
    } while (0)
        if (!strcmp(a, "--suite")) {
            NEED_VAL;
            o->suite = sst_suite_find(val);
            if (o->suite < 0) {
                fprintf(stderr, "sst-runner: unknown suite '%s' (8086 or 286)\n", val);
                return -1;
            }
        } else if (!strcmp(a, "--opcode")) {
            NEED_VAL;
            size_t l = strlen(val);
            bool ok = l == 2 || (l == 4 && val[2] == '.' && val[3] >= '0' && val[3] <= '7');
            ok = ok && isxdigit((unsigned char)val[0]) && isxdigit((unsigned char)val[1]);
            if (!ok) {
                fprintf(stderr, "sst-runner: --opcode wants XX or XX.R, not '%s'\n", val);
                return -1;
            }
            for (size_t k = 0; k <= l; k++)
                o->opcode[k] = (char)toupper((unsigned char)val[k]);
        } else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
            o->verbose = true;
        } else if (!strcmp(a, "--limit")) {
            NEED_VAL;
            char *end;
            o->limit = strtoul(val, &end, 10);
            if (*end || !o->limit) {
                fprintf(stderr, "sst-runner: --limit wants a positive number\n");
                return -1;
            }
        } else if (!strcmp(a, "--failures")) {
            NEED_VAL;
            o->failures_path = val;
        } else if (!strcmp(a, "--known")) {
            NEED_VAL;
            o->known_path = val;
        } else if (!strcmp(a, "--no-thresholds")) {
            o->thresholds = false;
        } else if (!strcmp(a, "--self-test")) {
            o->self_test = true;
        } else if (!strcmp(a, "--dump")) {
            NEED_VAL;
            o->dump = val;
        } else if (!strcmp(a, "--dump-meta")) {
            NEED_VAL;
            *dump_meta = val;
        } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            exit(0);
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "sst-runner: unknown option '%s'\n", a);
            return -1;
        } else if (!o->datadir) {
            o->datadir = a;
        } else {
            fprintf(stderr, "sst-runner: more than one data directory given\n");
            return -1;
        }
#undef NEED_VAL
    }
    if (!o->datadir && !o->dump && !*dump_meta) {
        fprintf(stderr, "sst-runner: no data directory given\n");
        return -1;
    }
    return 0;
}

static int do_dump(const char *spec)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s", spec);
    long first = -1, count = 1;
    /* FILE.MOO.gz:FIRST[:COUNT] */
    char *gz = strstr(path, ".gz:");
    if (gz) {
        char *p = gz + 4;
        gz[3] = 0;
        first = strtol(p, &p, 10);
        if (*p == ':')
            count = strtol(p + 1, NULL, 10);
    }
    return sst_dump_file(stdout, path, first, count) < 0 ? 2 : 0;
}

int main(int argc, char **argv)
{
    struct runner *rn = calloc(1, sizeof(*rn));
    if (!rn) {
        fprintf(stderr, "sst-runner: out of memory\n");
        return 2;
    }
    const char *dump_meta = NULL;
    if (parse_args(argc, argv, &rn->opt, &dump_meta) < 0) {
        usage(stderr);
        free(rn);
        return 2;
    }
    int rc = 0;
    if (rn->opt.dump) {
        rc = do_dump(rn->opt.dump);
        goto done;
    }
    if (dump_meta) {
        char err[400];
        if (sst_meta_load(dump_meta, &rn->meta, err, sizeof(err)) < 0) {
            fprintf(stderr, "sst-runner: %s\n", err);
            rc = 2;
        } else {
            sst_dump_meta(stdout, &rn->meta);
        }
        goto done;
    }
    if (rn->opt.self_test) {
        rc = sst_self_test(rn->opt.datadir, rn->opt.suite, rn->opt.verbose) == 0 ? 0 : 1;
        goto done;
    }
    if (rn->opt.known_path && load_known(rn, rn->opt.known_path) < 0) {
        rc = 2;
        goto done;
    }

    double t0 = now();
    for (int si = 0; si < SST_NSUITES; si++)
        if (rn->opt.suite < 0 || rn->opt.suite == si)
            run_suite(rn, si);
    unsigned long passed = 0, failed = 0;
    bool any = false;
    for (int si = 0; si < SST_NSUITES; si++) {
        if (!rn->st[si].ran)
            continue;
        any = true;
        report_suite(rn, si);
        passed += rn->st[si].compared - rn->st[si].failed;
        failed += rn->st[si].failed;
    }
    if (!any && !rn->errors) {
        fprintf(stderr, "sst-runner: nothing matched%s%s\n", rn->opt.opcode[0] ? " --opcode " : "",
                rn->opt.opcode);
        rn->errors++;
    }
    if (rn->nfail)
        qsort(rn->fail, rn->nfail, sizeof(*rn->fail), cmp_failure);
    if (rn->opt.failures_path && write_failures(rn, rn->opt.failures_path) < 0)
        rn->errors++;
    int problems = verdict(rn);
    printf("total time %.2f s\n", now() - t0);
    if (rn->errors)
        printf("%d error(s) reading the data; see above\n", rn->errors);
    printf("%lu passed, %lu failed\n", passed, failed);
    rc = rn->errors ? 2 : problems ? 1 : 0;

done:
    for (size_t i = 0; i < rn->nfail; i++)
        free(rn->fail[i].id);
    free(rn->fail);
    free(rn->known);
    for (int si = 0; si < SST_NSUITES; si++)
        free(rn->st[si].fs);
    sst_hashset_free(&rn->revoked);
    free(rn);
    return rc;
}
