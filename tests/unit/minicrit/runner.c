/* main() for the Criterion subset (criterion/criterion.h): runs every
 * registered test in its own child process, --jobs at a time, with the
 * suite's or the test's fixtures and timeout, and prints a synthesis line
 * like Criterion's.  Timeouts are multiplied by POPEK_UNIT_TIMEOUT_SCALE
 * (an emulated target runs the tests several times slower).
 *
 * Options: --jobs N, --filter GLOB (suite/test), --list; Criterion's
 * --short-filename and --verbose are accepted and change nothing. */
#define _GNU_SOURCE
#include <fnmatch.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "criterion/criterion.h"

const struct criterion_test *criterion_current_test;
const struct criterion_suite *criterion_current_suite;

/* The runner's own lists, filled by constructors before main. */
static struct criterion_test *tests;
static struct criterion_suite *suites;
static jmp_buf abort_test;
static int failed_here;

enum { EXIT_PASS = 0, EXIT_FAIL = 1, EXIT_SKIP = 77 };

void crs_register_test(struct criterion_test *t)
{
    t->next = tests;
    tests = t;
}

void crs_register_suite(struct criterion_suite *s)
{
    s->next = suites;
    suites = s;
}

void crs_fail(bool fatal, const char *file, int line, const char *expr, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "[----] %s:%d: %s: %s", file, line, fatal ? "Assertion failed" : "Expectation failed",
            expr);
    if (fmt[0]) {
        fputs(": ", stderr);
        va_start(ap, fmt);
        vfprintf(stderr, fmt, ap);
        va_end(ap);
    }
    fputc('\n', stderr);
    failed_here = 1;
    if (fatal)
        longjmp(abort_test, 1);
}

_Noreturn void crs_skip(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    fflush(NULL);
    _exit(EXIT_SKIP);
}

void crs_log(const char *level, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "[%s] ", level);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static const struct criterion_suite *suite_of(const struct criterion_test *t)
{
    for (const struct criterion_suite *s = suites; s; s = s->next)
        if (!strcmp(s->name, t->suite))
            return s;
    return NULL;
}

static int by_name(const void *a, const void *b)
{
    const struct criterion_test *x = *(const struct criterion_test *const *)a;
    const struct criterion_test *y = *(const struct criterion_test *const *)b;
    int r = strcmp(x->suite, y->suite);
    return r ? r : strcmp(x->name, y->name);
}

/* In the child: fixtures around the test; a failed cr_assert jumps to the
 * teardown, as in Criterion. */
static _Noreturn void run_child(const struct criterion_test *t, const struct criterion_suite *s, double scale)
{
    static const struct criterion_suite none = { "", { 0 }, NULL };
    criterion_current_test = t;
    criterion_current_suite = s ? s : &none;
    void (*init)(void) = t->opts.init ? t->opts.init : s ? s->opts.init : NULL;
    void (*fini)(void) = t->opts.fini ? t->opts.fini : s ? s->opts.fini : NULL;
    double timeout = t->opts.timeout > 0 ? t->opts.timeout : s ? s->opts.timeout : 0;
    if (timeout > 0)
        alarm((unsigned)(timeout * scale + 1));
    if (!setjmp(abort_test)) {
        if (init)
            init();
        t->fn();
    }
    if (fini && !setjmp(abort_test))
        fini();
    fflush(NULL);
    _exit(failed_here ? EXIT_FAIL : EXIT_PASS);
}

struct slot {
    pid_t pid;
    const struct criterion_test *t;
};

int main(int argc, char **argv)
{
    int jobs = 1;
    const char *filter = NULL;
    int list = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--jobs") && i + 1 < argc)
            jobs = atoi(argv[++i]);
        else if (!strncmp(argv[i], "--jobs=", 7))
            jobs = atoi(argv[i] + 7);
        else if (!strcmp(argv[i], "--filter") && i + 1 < argc)
            filter = argv[++i];
        else if (!strncmp(argv[i], "--filter=", 9))
            filter = argv[i] + 9;
        else if (!strcmp(argv[i], "--list"))
            list = 1;
        else if (strcmp(argv[i], "--short-filename") && strcmp(argv[i], "--verbose")) {
            fprintf(stderr, "usage: %s [--jobs N] [--filter SUITE/TEST-GLOB] [--list]\n", argv[0]);
            return 2;
        }
    }
    if (jobs < 1)
        jobs = 1;
    const char *sc = getenv("POPEK_UNIT_TIMEOUT_SCALE");
    double scale = sc ? atof(sc) : 1.0;
    if (scale <= 0)
        scale = 1.0;

    size_t n = 0;
    for (struct criterion_test *t = tests; t; t = t->next)
        n++;
    const struct criterion_test **v = malloc((n ? n : 1) * sizeof *v);
    if (!v)
        return 2;
    size_t k = 0;
    for (struct criterion_test *t = tests; t; t = t->next) {
        char full[512];
        snprintf(full, sizeof full, "%s/%s", t->suite, t->name);
        const struct criterion_suite *s = suite_of(t);
        if ((filter && fnmatch(filter, full, 0)) || t->opts.disabled || (s && s->opts.disabled))
            continue;
        v[k++] = t;
    }
    qsort(v, k, sizeof *v, by_name);
    if (list) {
        for (size_t i = 0; i < k; i++)
            printf("%s/%s\n", v[i]->suite, v[i]->name);
        return 0;
    }

    fflush(NULL);
    struct slot *run = calloc((size_t)jobs, sizeof *run);
    if (!run)
        return 2;
    size_t next = 0, done = 0, pass = 0, fail = 0, crash = 0, skip = 0;
    int busy = 0;
    while (done < k) {
        while (busy < jobs && next < k) {
            const struct criterion_test *t = v[next++];
            pid_t pid = fork();
            if (pid < 0) {
                perror("fork");
                return 2;
            }
            if (pid == 0)
                run_child(t, suite_of(t), scale);
            for (int j = 0; j < jobs; j++)
                if (!run[j].pid) {
                    run[j] = (struct slot){ pid, t };
                    break;
                }
            busy++;
        }
        int st;
        pid_t pid = wait(&st);
        if (pid < 0) {
            perror("wait");
            return 2;
        }
        for (int j = 0; j < jobs; j++) {
            if (run[j].pid != pid)
                continue;
            const struct criterion_test *t = run[j].t;
            run[j].pid = 0;
            busy--;
            done++;
            if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_PASS) {
                pass++;
            } else if (WIFEXITED(st) && WEXITSTATUS(st) == EXIT_SKIP) {
                skip++;
            } else if (WIFEXITED(st)) {
                fail++;
                fprintf(stderr, "[FAIL] %s::%s\n", t->suite, t->name);
            } else {
                crash++;
                fprintf(stderr, "[FAIL] %s::%s: %s\n", t->suite, t->name,
                        WTERMSIG(st) == SIGALRM ? "Timed out" : strsignal(WTERMSIG(st)));
            }
        }
    }
    printf("[====] Synthesis: Tested: %zu | Passing: %zu | Failing: %zu | Crashing: %zu | Skipped: %zu\n",
           done - skip, pass, fail + crash, crash, skip);
    return fail + crash ? 1 : 0;
}
