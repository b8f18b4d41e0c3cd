/* Model-specific registers (SDM vol. 4, the Pentium and P6 family tables):
 * the time-stamp counter, the APIC base, MTRRs (kept as storage), the
 * machine-check banks and the few identification MSRs that firmware and
 * kernels read.  Any other MSR, or a model without MSRs, is #GP(0). */
#include <string.h>

#include "cpu/interp.h"

#define MSR_P5_MC_ADDR 0x000
#define MSR_P5_MC_TYPE 0x001
#define MSR_TSC 0x010
#define MSR_PLATFORM_ID 0x017
#define MSR_APIC_BASE 0x01B
#define MSR_EBL_CR_POWERON 0x02A
#define MSR_BIOS_SIGN 0x08B
#define MSR_MTRRCAP 0x0FE
#define MSR_MCG_CAP 0x179
#define MSR_MCG_STATUS 0x17A
#define MSR_MCG_CTL 0x17B
#define MSR_MTRR_PHYS0 0x200 /* 0x200-0x20F: 8 variable ranges */
#define MSR_MTRR_FIX64K 0x250
#define MSR_MTRR_FIX16K 0x258 /* and 0x259 */
#define MSR_MTRR_FIX4K 0x268  /* 0x268-0x26F */
#define MSR_MTRR_DEF_TYPE 0x2FF
#define MSR_MC0_CTL 0x400     /* 5 banks of CTL, STATUS, ADDR, MISC */
#define MSR_PERFCTR0 0x0C1    /* and 0x0C2 */
#define MSR_EVNTSEL0 0x186    /* and 0x187 */

#define P6_MC_BANKS 5

void cpu_set_apic_base_hook(struct cpu *c, void (*fn)(void *opaque, uint32_t value), void *opaque)
{
    c->apic_base_hook = fn;
    c->apic_base_opaque = opaque;
}

void cpu_msr_reset(struct cpu *c)
{
    struct cpu_msrs *m = &c->msr;
    memset(m, 0, sizeof(*m));
    /* The boot processor's local APIC at its default address, enabled. */
    m->apic_base = 0xFEE00000u | (1u << 11) | (1u << 8);
    c->tsc_offset = 0;
}

/* Index into the MTRR storage, or -1. */
static int mtrr_index(uint32_t msr)
{
    if (msr >= MSR_MTRR_PHYS0 && msr < MSR_MTRR_PHYS0 + 16)
        return (int)(msr - MSR_MTRR_PHYS0);
    if (msr == MSR_MTRR_FIX64K)
        return 16;
    if (msr == MSR_MTRR_FIX16K || msr == MSR_MTRR_FIX16K + 1)
        return 17 + (int)(msr - MSR_MTRR_FIX16K);
    if (msr >= MSR_MTRR_FIX4K && msr < MSR_MTRR_FIX4K + 8)
        return 19 + (int)(msr - MSR_MTRR_FIX4K);
    if (msr == MSR_MTRR_DEF_TYPE)
        return 27;
    return -1;
}

void cpu_advance_tsc(struct cpu *c, uint64_t ticks)
{
    c->tsc_offset += ticks;
}

/* Reads an MSR; returns false for one the model does not have. */
bool cpu_rdmsr(struct cpu *c, uint32_t msr, uint64_t *val)
{
    struct cpu_msrs *m = &c->msr;
    bool p6 = c->mi->model == CPU_P6;
    if (c->mi->model < CPU_PENTIUM)
        return false;
    switch (msr) {
    case MSR_TSC:
        *val = c->icount + c->tsc_offset;
        return true;
    case MSR_P5_MC_ADDR:
    case MSR_P5_MC_TYPE:
        *val = m->p5_mc[msr];
        return true;
    default:
        break;
    }
    if (!p6)
        return false;
    int i = mtrr_index(msr);
    if (i >= 0) {
        *val = m->mtrr[i];
        return true;
    }
    if (msr >= MSR_MC0_CTL && msr < MSR_MC0_CTL + 4 * P6_MC_BANKS) {
        *val = m->mc[msr - MSR_MC0_CTL];
        return true;
    }
    if (msr == MSR_PERFCTR0 || msr == MSR_PERFCTR0 + 1) {
        *val = m->perf[msr - MSR_PERFCTR0];
        return true;
    }
    if (msr == MSR_EVNTSEL0 || msr == MSR_EVNTSEL0 + 1) {
        *val = m->perf[2 + msr - MSR_EVNTSEL0];
        return true;
    }
    switch (msr) {
    case MSR_PLATFORM_ID: *val = 0; return true;
    case MSR_APIC_BASE: *val = m->apic_base; return true;
    case MSR_EBL_CR_POWERON: *val = 0; return true;
    case MSR_BIOS_SIGN: *val = m->bios_sign; return true;
    case MSR_MTRRCAP: *val = 0x508; return true; /* 8 variable ranges, fixed ranges, WC */
    case MSR_MCG_CAP: *val = 0x100 | P6_MC_BANKS; return true; /* MCG_CTL present */
    case MSR_MCG_STATUS: *val = m->mcg_status; return true;
    case MSR_MCG_CTL: *val = m->mcg_ctl; return true;
    default: return false;
    }
}

/* Writes an MSR; returns false for one the model does not have or a value
 * it refuses (the caller raises #GP). */
bool cpu_wrmsr(struct cpu *c, uint32_t msr, uint64_t val)
{
    struct cpu_msrs *m = &c->msr;
    bool p6 = c->mi->model == CPU_P6;
    if (c->mi->model < CPU_PENTIUM)
        return false;
    switch (msr) {
    case MSR_TSC:
        /* The P5 and P6 write the low 32 bits and clear the high ones. */
        c->tsc_offset = (uint64_t)(uint32_t)val - c->icount;
        return true;
    case MSR_P5_MC_ADDR:
    case MSR_P5_MC_TYPE:
        m->p5_mc[msr] = val;
        return true;
    default:
        break;
    }
    if (!p6)
        return false;
    int i = mtrr_index(msr);
    if (i >= 0) {
        m->mtrr[i] = val;
        return true;
    }
    if (msr >= MSR_MC0_CTL && msr < MSR_MC0_CTL + 4 * P6_MC_BANKS) {
        /* Status registers accept only zero (clearing), as the chip does. */
        if (((msr - MSR_MC0_CTL) & 3) == 1 && val != 0)
            return false;
        m->mc[msr - MSR_MC0_CTL] = val;
        return true;
    }
    if (msr == MSR_PERFCTR0 || msr == MSR_PERFCTR0 + 1) {
        /* The counters are 40 bits wide; they do not count here (no
         * events are modelled), but they keep what is written. */
        m->perf[msr - MSR_PERFCTR0] = val & 0xFFFFFFFFFFull;
        return true;
    }
    if (msr == MSR_EVNTSEL0 || msr == MSR_EVNTSEL0 + 1) {
        m->perf[2 + msr - MSR_EVNTSEL0] = val & 0xFFFFFFFFull;
        return true;
    }
    switch (msr) {
    case MSR_APIC_BASE:
        m->apic_base = (uint32_t)(val & 0xFFFFF900u);
        if (c->apic_base_hook)
            c->apic_base_hook(c->apic_base_opaque, m->apic_base);
        return true;
    case MSR_BIOS_SIGN: m->bios_sign = val; return true;
    case MSR_MCG_STATUS: m->mcg_status = val; return true;
    case MSR_MCG_CTL: m->mcg_ctl = val; return true;
    case MSR_PLATFORM_ID:
    case MSR_EBL_CR_POWERON:
        return true; /* writes ignored */
    default: return false;
    }
}
