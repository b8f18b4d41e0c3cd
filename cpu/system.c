/* System instructions: the 0F 01 group (SGDT SIDT LGDT LIDT SMSW LMSW
 * INVLPG), CLTS, INVD/WBINVD, MOV to and from control and debug registers,
 * RDMSR/WRMSR/RDTSC/RDPMC and CPUID (SDM vol. 2 and 3), with the privilege
 * checks of protected and virtual-8086 mode. */
#include "cpu/operand.h"

static uint64_t tsc(const struct cpu *c)
{
    /* The virtual clock: one tick per retired instruction, so runs are
     * deterministic. */
    return c->icount + c->tsc_offset;
}

/* #GP(0) unless running at CPL 0 (real mode counts as CPL 0). */
static void require_cpl0(struct cpu *c)
{
    if (c->cpl != 0)
        cpu_fault(c, EXC_GP, 0);
}

static void write_cr0(struct cpu *c, uint32_t v)
{
    if (c->mi->model == CPU_286) {
        /* The 286's MSW: PE can be set, never cleared. */
        c->cr0 = (v & 0xF) | (c->cr0 & CR0_PE) | 0xFFF0;
        cpu_mode_changed(c);
        return;
    }
    uint32_t keep = c->mi->model >= CPU_486 ? 0xE005003Fu : 0x8000001Fu;
    v &= keep;
    /* ET is hardwired to 1 from the 486 on; on the 386 it says whether a
     * 387 is fitted. */
    if (c->mi->model >= CPU_486 || c->fpu.present)
        v |= CR0_ET;
    else if (c->mi->model == CPU_386)
        v &= ~CR0_ET;
    if (((v & CR0_PG) && !(v & CR0_PE)) || ((v & CR0_NW) && !(v & CR0_CD)))
        cpu_fault(c, EXC_GP, 0);
    uint32_t changed = v ^ c->cr0;
    if ((v & CR0_PG) && (changed & CR0_PG) && (c->cr4 & CR4_PAE)) {
        uint32_t old = c->cr0;
        c->cr0 = v;
        if (!cpu_load_pdptes(c)) {
            c->cr0 = old;
            cpu_fault(c, EXC_GP, 0);
        }
    }
    c->cr0 = v;
    if (changed & (CR0_PG | CR0_WP | CR0_PE | CR0_AM))
        cpu_tlb_flush(c);
    if (changed & CR0_AM)
        cpu_events_raise(c);
    if (changed & CR0_PE)
        cpu_mode_changed(c);
}

/* CR4 bits this model has and Popek implements. */
static uint32_t cr4_valid(const struct cpu *c)
{
    if (c->mi->model == CPU_PENTIUM)
        return CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_MCE;
    if (c->mi->model == CPU_P6)
        return CR4_VME | CR4_PVI | CR4_TSD | CR4_DE | CR4_PSE | CR4_PAE | CR4_MCE | CR4_PGE | CR4_PCE;
    return 0;
}

static void write_cr4(struct cpu *c, uint32_t v)
{
    if (v & ~cr4_valid(c))
        cpu_fault(c, EXC_GP, 0);
    uint32_t changed = v ^ c->cr4;
    if ((changed & CR4_PAE) && (v & CR4_PAE) && (c->cr0 & CR0_PG)) {
        uint32_t old = c->cr4;
        c->cr4 = v;
        if (!cpu_load_pdptes(c)) {
            c->cr4 = old;
            cpu_fault(c, EXC_GP, 0);
        }
    }
    c->cr4 = v;
    if (changed & (CR4_PSE | CR4_PAE | CR4_PGE))
        cpu_tlb_flush(c);
}

static void write_cr3(struct cpu *c, uint32_t v)
{
    uint32_t old = c->cr3;
    c->cr3 = v;
    if ((c->cr0 & CR0_PG) && (c->cr4 & CR4_PAE) && !cpu_load_pdptes(c)) {
        c->cr3 = old;
        cpu_fault(c, EXC_GP, 0);
    }
    cpu_tlb_flush_nonglobal(c);
}

static void grp7(struct cpu *c, const struct insn *in)
{
    unsigned r = in->reg;
    bool o32 = in->flags & I_O32;
    if (r < 4 && !IS_MEM(in))
        cpu_fault(c, EXC_UD, 0);
    if (r == 2 || r == 3 || r == 6 || r == 7)
        require_cpl0(c);
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
        cpu_tlb_flush_page(c, c->seg[in->seg].base + ea_of(c, in));
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
        /* The APIC feature flag follows the APIC's global enable. */
        if (!(c->msr.apic_base & (1u << 11)))
            d &= ~(1u << 9);
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
    case OP_GRP7:
        grp7(c, in);
        break;
    case OP_CLTS:
        require_cpl0(c);
        c->cr0 &= ~CR0_TS;
        break;
    case OP_INVD: case OP_WBINVD:
        require_cpl0(c);
        break;
    case OP_MOV_RdCd: {
        require_cpl0(c);
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
        require_cpl0(c);
        uint32_t v = c->gpr[in->rm];
        switch (in->reg) {
        case 0: write_cr0(c, v); break;
        case 2: c->cr2 = v; break;
        case 3: write_cr3(c, v); break;
        case 4:
            if (c->mi->model < CPU_PENTIUM)
                cpu_fault(c, EXC_UD, 0);
            write_cr4(c, v);
            break;
        default: cpu_fault(c, EXC_UD, 0);
        }
        break;
    }
    case OP_MOV_RdDd: case OP_MOV_DdRd: {
        require_cpl0(c);
        unsigned r = in->reg;
        if (r == 4 || r == 5) {
            if (c->cr4 & CR4_DE)
                cpu_fault(c, EXC_UD, 0);
            r += 2;
        }
        if (in->op == OP_MOV_RdDd) {
            c->gpr[in->rm] = c->dr[r];
        } else {
            uint32_t v = c->gpr[in->rm];
            if (r == 6)
                v = (v & 0x0000E00Fu) | 0xFFFF0FF0u;
            else if (r == 7)
                v = (v & 0xFFFF2BFFu) | 0x400u;
            c->dr[r] = v;
            cpu_debug_changed(c);
        }
        break;
    }
    case OP_RDTSC: {
        if ((c->cr4 & CR4_TSD) && c->cpl != 0)
            cpu_fault(c, EXC_GP, 0);
        uint64_t t = tsc(c);
        c->gpr[R_EAX] = (uint32_t)t;
        c->gpr[R_EDX] = (uint32_t)(t >> 32);
        break;
    }
    case OP_RDMSR: {
        require_cpl0(c);
        uint64_t v;
        if (!cpu_rdmsr(c, c->gpr[R_ECX], &v))
            cpu_fault(c, EXC_GP, 0);
        c->gpr[R_EAX] = (uint32_t)v;
        c->gpr[R_EDX] = (uint32_t)(v >> 32);
        break;
    }
    case OP_WRMSR:
        require_cpl0(c);
        if (!cpu_wrmsr(c, c->gpr[R_ECX], ((uint64_t)c->gpr[R_EDX] << 32) | c->gpr[R_EAX]))
            cpu_fault(c, EXC_GP, 0);
        break;
    case OP_RDPMC:
        if ((!(c->cr4 & CR4_PCE) && c->cpl != 0) || c->gpr[R_ECX] > 1)
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
