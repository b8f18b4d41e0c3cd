/* Running the differential harness's 32-bit cases on a host that can only
 * run 64-bit code: which forms behave the same in 64-bit mode, and the
 * 64-bit-mode encoding of one case (longmode.c). */
#ifndef POPEK_TESTS_DIFF_LONGMODE_H
#define POPEK_TESTS_DIFF_LONGMODE_H

#include <stdbool.h>

#include "tests/diff/forms.h"

/* NULL if the ops.def operation `op` (with _w/_d) executes in 64-bit mode
 * exactly as in 32-bit mode once its case is re-encoded; else why not. */
const char *diff_lm_form_reason(const char *op);

/* Re-encodes case t for 64-bit mode into *out (code, ncode and lead; the
 * rest is copied): 67h for every memory access, so that addresses are
 * computed in 32 bits, and [disp32] (RIP-relative in 64-bit mode) as
 * SIB-without-base.  Returns NULL, or why this case has no 64-bit-mode
 * counterpart (it is then not run on the host). */
const char *diff_lm_translate(const struct tcase *t, struct diff_in *out);

#endif
