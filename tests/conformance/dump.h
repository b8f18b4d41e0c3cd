/* Human-readable dumps of decoded MOO tests and metadata, used to check the
 * readers against an independent view of the data. */
#ifndef POPEK_TESTS_CONFORMANCE_DUMP_H
#define POPEK_TESTS_CONFORMANCE_DUMP_H

#include <stdio.h>

#include "tests/conformance/meta.h"
#include "tests/conformance/moo.h"

/* One test in a stable line format:
 *   test SEQ index=N name=... bytes=HEX hash=HEX|- excp=VEC@ADDR|-
 *   init regs ax=HHHH ...      (present registers, in REGS bit order)
 *   init ram AAAAAA=VV ...     (file order)
 *   fina regs ... / fina ram ...
 *   rmask ...                  (only if some mask is not FFFF) */
void sst_dump_test(FILE *out, const struct moo_test *t);
/* One line per opcode (and reg): "XX[.R] status mask". */
void sst_dump_meta(FILE *out, const struct sst_meta *m);
/* Dumps tests of a MOO file: all if first < 0, else [first, first+count).
 * Returns 0 or -1 (message on stderr). */
int sst_dump_file(FILE *out, const char *path, long first, long count);

#endif
