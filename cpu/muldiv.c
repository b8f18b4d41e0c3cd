/* MUL, IMUL (all forms), DIV, IDIV (SDM vol. 2).  Division faults with #DE
 * on a zero divisor or a quotient that does not fit; the flags the SDM
 * leaves undefined after these are set from the low result (MUL/IMUL) or
 * left alone (DIV/IDIV). */
#include "cpu/operand.h"

static void mul_flags(struct cpu *c, uint32_t lo, unsigned bits, bool overflow)
{
    lf_set(c, lo, bits, overflow, overflow, 0);
}

static void do_mul(struct cpu *c, uint32_t v, unsigned bits)
{
    if (bits == 8) {
        uint32_t r = get_r8(c, 0) * (v & 0xFF);
        set_r16(c, R_EAX, (uint16_t)r);
        mul_flags(c, r & 0xFF, 8, (r >> 8) != 0);
    } else if (bits == 16) {
        uint32_t r = get_r16(c, R_EAX) * (v & 0xFFFF);
        set_r16(c, R_EAX, (uint16_t)r);
        set_r16(c, R_EDX, (uint16_t)(r >> 16));
        mul_flags(c, r & 0xFFFF, 16, (r >> 16) != 0);
    } else {
        uint64_t r = (uint64_t)c->gpr[R_EAX] * v;
        c->gpr[R_EAX] = (uint32_t)r;
        c->gpr[R_EDX] = (uint32_t)(r >> 32);
        mul_flags(c, (uint32_t)r, 32, (r >> 32) != 0);
    }
}

static void do_imul1(struct cpu *c, uint32_t v, unsigned bits)
{
    if (bits == 8) {
        int32_t r = (int8_t)get_r8(c, 0) * (int8_t)v;
        set_r16(c, R_EAX, (uint16_t)r);
        mul_flags(c, (uint32_t)r & 0xFF, 8, r != (int8_t)r);
    } else if (bits == 16) {
        int32_t r = (int16_t)get_r16(c, R_EAX) * (int16_t)v;
        set_r16(c, R_EAX, (uint16_t)r);
        set_r16(c, R_EDX, (uint16_t)((uint32_t)r >> 16));
        mul_flags(c, (uint32_t)r & 0xFFFF, 16, r != (int16_t)r);
    } else {
        int64_t r = (int64_t)(int32_t)c->gpr[R_EAX] * (int32_t)v;
        c->gpr[R_EAX] = (uint32_t)r;
        c->gpr[R_EDX] = (uint32_t)((uint64_t)r >> 32);
        mul_flags(c, (uint32_t)r, 32, r != (int32_t)r);
    }
}

static uint32_t imul2(struct cpu *c, uint32_t a, uint32_t b, unsigned bits)
{
    if (bits == 16) {
        int32_t r = (int16_t)a * (int16_t)b;
        mul_flags(c, (uint32_t)r & 0xFFFF, 16, r != (int16_t)r);
        return (uint32_t)r & 0xFFFF;
    }
    int64_t r = (int64_t)(int32_t)a * (int32_t)b;
    mul_flags(c, (uint32_t)r, 32, r != (int32_t)r);
    return (uint32_t)r;
}

static void do_div(struct cpu *c, uint32_t v, unsigned bits)
{
    if (bits == 8) {
        uint32_t d = v & 0xFF, n = get_r16(c, R_EAX);
        if (d == 0 || n / d > 0xFF)
            cpu_fault(c, EXC_DE, 0);
        set_r8(c, 0, (uint8_t)(n / d));
        set_r8(c, 4, (uint8_t)(n % d));
    } else if (bits == 16) {
        uint32_t d = v & 0xFFFF, n = ((uint32_t)get_r16(c, R_EDX) << 16) | get_r16(c, R_EAX);
        if (d == 0 || n / d > 0xFFFF)
            cpu_fault(c, EXC_DE, 0);
        set_r16(c, R_EAX, (uint16_t)(n / d));
        set_r16(c, R_EDX, (uint16_t)(n % d));
    } else {
        uint64_t n = ((uint64_t)c->gpr[R_EDX] << 32) | c->gpr[R_EAX];
        if (v == 0 || n / v > 0xFFFFFFFFu)
            cpu_fault(c, EXC_DE, 0);
        c->gpr[R_EAX] = (uint32_t)(n / v);
        c->gpr[R_EDX] = (uint32_t)(n % v);
    }
}

static void do_idiv(struct cpu *c, const struct insn *in, uint32_t v, unsigned bits)
{
    bool is8086 = c->mi->model == CPU_8086;
    /* The 8086 microcode keeps the quotient's sign in a latch that a REP
     * prefix also toggles, so REP IDIV returns the negated quotient; and its
     * range check rejects the most negative quotient. */
    bool negate = is8086 && (in->flags & (I_REP | I_REPNE));
    int64_t n, d, q, r, lo, hi;
    if (bits == 8) {
        n = (int16_t)get_r16(c, R_EAX);
        d = (int8_t)v;
        lo = -128, hi = 127;
    } else if (bits == 16) {
        n = (int32_t)(((uint32_t)get_r16(c, R_EDX) << 16) | get_r16(c, R_EAX));
        d = (int16_t)v;
        lo = -32768, hi = 32767;
    } else {
        n = (int64_t)(((uint64_t)c->gpr[R_EDX] << 32) | c->gpr[R_EAX]);
        d = (int32_t)v;
        lo = INT32_MIN, hi = INT32_MAX;
    }
    if (d == 0 || (n == INT64_MIN && d == -1))
        cpu_fault(c, EXC_DE, 0);
    q = n / d;
    r = n % d;
    if (negate)
        q = -q;
    if (is8086)
        lo++;
    if (q < lo || q > hi)
        cpu_fault(c, EXC_DE, 0);
    if (bits == 8) {
        set_r8(c, 0, (uint8_t)q);
        set_r8(c, 4, (uint8_t)r);
    } else if (bits == 16) {
        set_r16(c, R_EAX, (uint16_t)q);
        set_r16(c, R_EDX, (uint16_t)r);
    } else {
        c->gpr[R_EAX] = (uint32_t)q;
        c->gpr[R_EDX] = (uint32_t)r;
    }
}

void cpu_exec_muldiv(struct cpu *c, const struct insn *in)
{
    unsigned bits = 8;
    switch (in->op) {
    case OP_MUL_Ev_w: case OP_IMUL_Ev_w: case OP_DIV_Ev_w: case OP_IDIV_Ev_w:
    case OP_IMUL_GvEvIv_w: case OP_IMUL_GvEvIb_w: case OP_IMUL_GvEv_w:
        bits = 16;
        break;
    case OP_MUL_Ev_d: case OP_IMUL_Ev_d: case OP_DIV_Ev_d: case OP_IDIV_Ev_d:
    case OP_IMUL_GvEvIv_d: case OP_IMUL_GvEvIb_d: case OP_IMUL_GvEv_d:
        bits = 32;
        break;
    default:
        break;
    }
    uint32_t addr = IS_MEM(in) ? ea_of(c, in) : 0;
    uint32_t v = rd_e(c, in, addr, bits);
    switch (in->op) {
    case OP_MUL_Eb: case OP_MUL_Ev_w: case OP_MUL_Ev_d: do_mul(c, v, bits); break;
    case OP_IMUL_Eb: case OP_IMUL_Ev_w: case OP_IMUL_Ev_d: do_imul1(c, v, bits); break;
    case OP_DIV_Eb: case OP_DIV_Ev_w: case OP_DIV_Ev_d: do_div(c, v, bits); break;
    case OP_IDIV_Eb: case OP_IDIV_Ev_w: case OP_IDIV_Ev_d: do_idiv(c, in, v, bits); break;
    case OP_IMUL_GvEv_w: case OP_IMUL_GvEv_d:
        set_reg(c, in->reg, imul2(c, get_reg(c, in->reg, bits), v, bits), bits);
        break;
    default: /* IMUL Gv, Ev, imm */
        set_reg(c, in->reg, imul2(c, v, in->imm, bits), bits);
        break;
    }
}
