/* Skipping a unit test because the host lacks something it needs (a CPU
 * mode, a program, a device).  Criterion shows skips only when verbose, so
 * the reason is also written to standard error, where it appears in the
 * normal output as "skipped: <test>: <reason>".  (Not cr_log_warn: a
 * logged warning makes Criterion 2.4's runner exit non-zero.) */
#ifndef POPEK_TESTS_UNIT_SKIP_H
#define POPEK_TESTS_UNIT_SKIP_H

#include <criterion/criterion.h>
#include <stdio.h>

#define UNIT_SKIP(reason)                                                                      \
    do {                                                                                       \
        fprintf(stderr, "skipped: %s::%s: %s\n", criterion_current_suite->name,                \
                criterion_current_test->name, (reason));                                       \
        cr_skip_test("skipped: %s", (reason));                                                 \
    } while (0)

#endif
