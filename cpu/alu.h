/* Private to cpu/: integer arithmetic with its flag effects (SDM vol. 1
 * ch. 3.4.3, vol. 2 per instruction), shared by the execution switch and
 * the 0F-map handlers.  Everything takes sizes in bits (8, 16 or 32) and
 * operands already truncated to that size. */
#ifndef POPEK_CPU_ALU_H
#define POPEK_CPU_ALU_H

#include "cpu/interp.h"

static ALWAYS_INLINE uint32_t size_mask(unsigned bits)
{
    return bits == 32 ? 0xFFFFFFFFu : (1u << bits) - 1;
}
static ALWAYS_INLINE uint32_t msb(uint32_t v, unsigned bits)
{
    return (v >> (bits - 1)) & 1;
}

/* The eight ALU operations in encoding order: ADD OR ADC SBB AND SUB XOR CMP.
 * Returns the result (CMP returns it too; the caller does not store it). */
static ALWAYS_INLINE uint32_t alu(struct cpu *c, unsigned aop, uint32_t a, uint32_t b, unsigned bits)
{
    uint32_t m = size_mask(bits), r, cin;
    switch (aop) {
    case 0:
        r = (a + b) & m;
        lf_arith(c, r, add_co(a, b, r), bits);
        return r;
    case 1:
        r = a | b;
        lf_logic(c, r, bits);
        return r;
    case 2:
        cin = get_cf(c);
        r = (a + b + cin) & m;
        lf_arith(c, r, add_co(a, b, r), bits);
        return r;
    case 3:
        cin = get_cf(c);
        r = (a - b - cin) & m;
        lf_arith(c, r, sub_co(a, b, r), bits);
        return r;
    case 4:
        r = a & b;
        lf_logic(c, r, bits);
        return r;
    case 6:
        r = a ^ b;
        lf_logic(c, r, bits);
        return r;
    default: /* 5 SUB, 7 CMP */
        r = (a - b) & m;
        lf_arith(c, r, sub_co(a, b, r), bits);
        return r;
    }
}

static ALWAYS_INLINE uint32_t alu_inc(struct cpu *c, uint32_t a, unsigned bits)
{
    uint32_t r = (a + 1) & size_mask(bits);
    uint32_t co = add_co(a, 1, r);
    unsigned cf = get_cf(c);
    unsigned of = msb(co, bits) ^ ((bits > 1) ? (co >> (bits - 2)) & 1 : 0);
    lf_set(c, r, bits, cf, of, (co >> 3) & 1);
    return r;
}

static ALWAYS_INLINE uint32_t alu_dec(struct cpu *c, uint32_t a, unsigned bits)
{
    uint32_t r = (a - 1) & size_mask(bits);
    uint32_t bo = sub_co(a, 1, r);
    unsigned cf = get_cf(c);
    unsigned of = msb(bo, bits) ^ ((bo >> (bits - 2)) & 1);
    lf_set(c, r, bits, cf, of, (bo >> 3) & 1);
    return r;
}

static ALWAYS_INLINE uint32_t alu_neg(struct cpu *c, uint32_t a, unsigned bits)
{
    uint32_t r = (0u - a) & size_mask(bits);
    lf_arith(c, r, sub_co(0, a, r), bits);
    return r;
}

/* Shift group by count (already masked as the model masks it; the 8086
 * passes the whole CL).  op is ModRM.reg: ROL ROR RCL RCR SHL SHR SAL SAR.
 * With count 0 nothing changes.  Results for counts at or beyond the width
 * are those of shifting one bit at a time, as the microcode does. */
uint32_t cpu_shift(struct cpu *c, unsigned op, uint32_t a, unsigned count, unsigned bits);

/* SHLD/SHRD: dst, src, count masked to 5 bits. */
uint32_t cpu_shld(struct cpu *c, uint32_t dst, uint32_t src, unsigned count, unsigned bits);
uint32_t cpu_shrd(struct cpu *c, uint32_t dst, uint32_t src, unsigned count, unsigned bits);

#endif
