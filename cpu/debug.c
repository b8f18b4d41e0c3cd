/* Debug registers DR0-DR7 (SDM vol. 3 ch. 17): breakpoint bookkeeping.
 * Instruction and data breakpoints are matched by the run loop and the
 * memory slow path; this file keeps the derived state they test. */
#include "cpu/interp.h"

void cpu_debug_changed(struct cpu *c)
{
    uint32_t dr7 = c->dr[7];
    c->dbg_active = (dr7 & 0xFF) != 0;
    /* Data breakpoints need every access to reach the slow path. */
    cpu_tlb_flush(c);
}
