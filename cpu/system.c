/* System instructions usable in real mode: the 0F 01 group (SGDT SIDT LGDT
 * LIDT SMSW LMSW INVLPG), CLTS, INVD/WBINVD, MOV to and from control and
 * debug registers, RDMSR/WRMSR/RDTSC/RDPMC and CPUID (SDM vol. 2 and 3).
 * Entering protected mode or enabling paging stops the run with a clear
 * message until the protected-mode issue implements them. */
#include "cpu/operand.h"

#define MSR_TSC 0x10

static uint64_t tsc(const struct cpu *c)
{
    /* The virtual clock: one tick per retired instruction, so runs are
     * deterministic. */
    return c->icount + c->tsc_offset;
}

static void write_cr0(struct cpu *c, uint32_t v)
{
    if (v & 1)
        cpu_error_exit(c, "the guest enabled protected mode (CR0.PE), which this version does not implement yet");
    if (c->mi->model == CPU_286)
        v |= 0xFFF0;
    else
        v = (v & 0xE005003Fu) | (c->mi->model >= CPU_486 ? 0 : 0x10);
    c->cr0 = v;
}

static void grp7(struct cpu *c, const struct insn *in)
{
    unsigned r = in->reg;
    bool o32 = in->flags & I_O32;
    if (r < 4 && !IS_MEM(in))
        cpu_fault(c, EXC_UD, 0);
    switch (r) {
    case 0: case 1: { /* SGDT, SIDT */
        uint32_t addr = ea_of(c, in);
        uint32_t am = (in->flags & I_A32) ? ~0u : 0xFFFFu;
        uint32_t base = r == 0 ? c->gdtr.base : c->idtr.base;
        uint16_t limit = r == 0 ? c->gdtr.limit : c->idtr.limit;
        if (!o32)
            base = (base & 0xFFFFFF) | (c->mi->model == CPU_286 ? 0xFF000000u : 0);
        mem_write(c, in->seg, addr, limit, 2);
        mem_write(c, in->seg, (addr + 2) & am, base, 4);
        break;
    }
    case 2: case 3: { /* LGDT, LIDT */
        uint32_t addr = ea_of(c, in);
        uint32_t am = (in->flags & I_A32) ? ~0u : 0xFFFFu;
        uint16_t limit = (uint16_t)mem_read(c, in->seg, addr, 2);
        uint32_t base = mem_read(c, in->seg, (addr + 2) & am, 4);
        if (!o32)
            base &= 0xFFFFFF;
        if (r == 2)
            c->gdtr.base = base, c->gdtr.limit = limit;
        else
            c->idtr.base = base, c->idtr.limit = limit;
        break;
    }
    case 4: /* SMSW */
        if (!IS_MEM(in) && o32)
            c->gpr[in->rm] = c->cr0;
        else
            wr_e(c, in, IS_MEM(in) ? ea_of(c, in) : 0, c->cr0 & 0xFFFF, 16);
        break;
    case 6: { /* LMSW: PE can be set but not cleared; MP EM TS follow */
        uint32_t v = rd_e(c, in, IS_MEM(in) ? ea_of(c, in) : 0, 16);
        write_cr0(c, (c->cr0 & ~0xEu) | (v & 0xF) | (c->cr0 & 1));
        break;
    }
    case 7: /* INVLPG */
        if (c->mi->model < CPU_486 || !IS_MEM(in))
            cpu_fault(c, EXC_UD, 0);
        cpu_tlb_flush(c);
        break;
    default:
        cpu_fault(c, EXC_UD, 0);
    }
}

static void cpuid(struct cpu *c)
{
    const struct cpu_model_info *mi = c->mi;
    uint32_t maxleaf = mi->model == CPU_P6 ? 2 : 1;
    uint32_t leaf = c->gpr[R_EAX];
    uint32_t a = 0, b = 0, cc = 0, d = 0;
    if (leaf > maxleaf && leaf < 0x80000000u)
        leaf = maxleaf; /* Intel answers out-of-range leaves with the highest one */
    switch (leaf) {
    case 0:
        a = maxleaf;
        b = 0x756E6547; /* "Genu" */
        d = 0x49656E69; /* "ineI" */
        cc = 0x6C65746E; /* "ntel" */
        break;
    case 1:
        a = mi->cpuid_sig;
        d = mi->cpuid_edx;
        break;
    case 2: /* Pentium Pro: TLBs, 8 KiB L1 I and D, 256 KiB L2 */
        a = 0x03020101;
        d = 0x06040A42;
        break;
    default: /* no extended leaves on these chips */
        break;
    }
    c->gpr[R_EAX] = a;
    c->gpr[R_EBX] = b;
    c->gpr[R_ECX] = cc;
    c->gpr[R_EDX] = d;
}

void cpu_exec_system(struct cpu *c, const struct insn *in)
{
    switch (in->op) {
    case OP_GRP6:
        /* SLDT STR LLDT LTR VERR VERW are not recognised in real mode. */
        cpu_fault(c, EXC_UD, 0);
    case OP_GRP7:
        grp7(c, in);
        break;
    case OP_CLTS:
        c->cr0 &= ~8u;
        break;
    case OP_INVD: case OP_WBINVD:
        break;
    case OP_MOV_RdCd: {
        uint32_t v;
        switch (in->reg) {
        case 0: v = c->cr0; break;
        case 2: v = c->cr2; break;
        case 3: v = c->cr3; break;
        case 4:
            if (c->mi->model < CPU_PENTIUM)
                cpu_fault(c, EXC_UD, 0);
            v = c->cr4;
            break;
        default: cpu_fault(c, EXC_UD, 0);
        }
        c->gpr[in->rm] = v;
        break;
    }
    case OP_MOV_CdRd: {
        uint32_t v = c->gpr[in->rm];
        switch (in->reg) {
        case 0:
            if (v & 0x80000000u)
                cpu_error_exit(c, "the guest enabled paging (CR0.PG), which this version does not implement yet");
            write_cr0(c, v);
            break;
        case 2: c->cr2 = v; break;
        case 3: c->cr3 = v; cpu_tlb_flush(c); break;
        case 4:
            if (c->mi->model < CPU_PENTIUM)
                cpu_fault(c, EXC_UD, 0);
            /* Only bits of features this model reports may be set. */
            if (v & ~0x0u)
                cpu_fault(c, EXC_GP, 0);
            c->cr4 = v;
            break;
        default: cpu_fault(c, EXC_UD, 0);
        }
        break;
    }
    case OP_MOV_RdDd: {
        unsigned r = in->reg;
        if (r == 4 || r == 5)
            r += 2;
        c->gpr[in->rm] = c->dr[r];
        break;
    }
    case OP_MOV_DdRd: {
        unsigned r = in->reg;
        if (r == 4 || r == 5)
            r += 2;
        c->dr[r] = c->gpr[in->rm];
        break;
    }
    case OP_RDTSC: {
        uint64_t t = tsc(c);
        c->gpr[R_EAX] = (uint32_t)t;
        c->gpr[R_EDX] = (uint32_t)(t >> 32);
        break;
    }
    case OP_RDMSR:
        if (c->gpr[R_ECX] != MSR_TSC)
            cpu_fault(c, EXC_GP, 0);
        {
            uint64_t t = tsc(c);
            c->gpr[R_EAX] = (uint32_t)t;
            c->gpr[R_EDX] = (uint32_t)(t >> 32);
        }
        break;
    case OP_WRMSR:
        if (c->gpr[R_ECX] != MSR_TSC)
            cpu_fault(c, EXC_GP, 0);
        /* The P5/P6 TSC write takes the low 32 bits and clears the high ones. */
        c->tsc_offset = (uint64_t)c->gpr[R_EAX] - c->icount;
        break;
    case OP_RDPMC:
        if (c->gpr[R_ECX] > 1)
            cpu_fault(c, EXC_GP, 0);
        c->gpr[R_EAX] = 0;
        c->gpr[R_EDX] = 0;
        break;
    case OP_CPUID:
        cpuid(c);
        break;
    default:
        cpu_fault(c, EXC_UD, 0);
    }
}
