/* White-box helper of the differential harness: which operation Popek's
 * decoder makes of the instruction at CS:EIP, so that every case is checked
 * to exercise the ops.def operation its form is named after.  Kept apart
 * from diff.c because it is the harness's only use of the interpreter's
 * private header (as in tests/unit/test_cpu_decode.c). */
#include <setjmp.h>

#include "cpu/interp.h"

int diff_decode_op(struct cpu *c);

int diff_decode_op(struct cpu *c)
{
    static struct insn in; /* static: survives the longjmp */
    cpu_check_map(c);
    if (setjmp(c->env))
        return -1; /* the decoder faulted */
    cpu_decode(c, &in);
    return in.op;
}
