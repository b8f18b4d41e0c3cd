/* The runner's self-test: proves that corrupted expectations and stray
 * writes are reported as failures, and that masked (undefined) flags are
 * not. */
#ifndef POPEK_TESTS_CONFORMANCE_SELFTEST_H
#define POPEK_TESTS_CONFORMANCE_SELFTEST_H

#include <stdbool.h>

/* suite: index into sst_suites, or -1 for both.  Returns 0 if every check
 * behaved, -1 otherwise. */
int sst_self_test(const char *datadir, int suite, bool verbose);

#endif
