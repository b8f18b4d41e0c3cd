/* The two SingleStepTests suites and how a test's metadata turns into what
 * the runner expects of it.  No globals. */
#ifndef POPEK_TESTS_CONFORMANCE_SUITE_H
#define POPEK_TESTS_CONFORMANCE_SUITE_H

#include <stdio.h>

#include "tests/conformance/meta.h"
#include "tests/conformance/moo.h"
#include "tests/conformance/run.h"

struct sst_suite {
    const char *name;    /* "8086" or "286": used in reports and failure lists */
    const char *dir;     /* below the data directory */
    const char *tests;   /* below dir */
    bool has_revocations;
    enum cpu_model model;
};

#define SST_NSUITES 2
extern const struct sst_suite sst_suites[SST_NSUITES];

/* Index of a suite by name ("8086", "286" or "80286"), or -1. */
int sst_suite_find(const char *name);

/* Classifies t from its bytes and fills what the comparison needs.
 * Returns the status (ST_UNKNOWN if the metadata has no entry or the bytes
 * hold no opcode). */
enum sst_status sst_decide(const struct sst_meta *meta, const struct moo_test *t,
                           struct sst_class *cls, struct sst_expect *e);

/* Prints what went wrong in a failed test: bytes, exit, register and memory
 * differences (expected vs got). */
void sst_print_failure(FILE *out, const char *suite, const char *file, const struct moo_test *t,
                       const struct sst_class *cls, const struct sst_expect *e,
                       const struct sst_result *r);

#endif
