/* Shifts and rotates (SDM vol. 2: RCL/RCR/ROL/ROR, SAL/SAR/SHL/SHR,
 * SHLD, SHRD).  The flags of multi-bit counts are those of the last
 * one-bit step, which is what the 8086 and 286 microcode produce and what
 * later chips keep for the flags the SDM defines. */
#include "cpu/alu.h"

/* Rotates change only CF and OF: rewrite just those bits of the lazy word. */
uint32_t cpu_shift(struct cpu *c, unsigned op, uint32_t a, unsigned count, unsigned bits)
{
    uint32_t m = size_mask(bits), r;
    unsigned cf, of;
    if (count == 0)
        return a;
    if (op == 6 && c->mi->model == CPU_8086) {
        /* SETMO/SETMOC: the 8086 decodes /6 as "set to all ones". */
        lf_set(c, m, bits, 0, 0, 0);
        return m;
    }
    switch (op) {
    case 0: { /* ROL */
        unsigned n = count % bits;
        r = n ? ((a << n) | (a >> (bits - n))) & m : a;
        cf = r & 1;
        set_cf_of(c, cf, msb(r, bits) ^ cf);
        return r;
    }
    case 1: { /* ROR */
        unsigned n = count % bits;
        r = n ? ((a >> n) | (a << (bits - n))) & m : a;
        cf = msb(r, bits);
        set_cf_of(c, cf, msb(r, bits) ^ ((r >> (bits - 2)) & 1));
        return r;
    }
    case 2: { /* RCL: a rotate of bits+1 through CF */
        unsigned n = count % (bits + 1);
        cf = get_cf(c);
        r = a;
        for (unsigned i = 0; i < n; i++) {
            unsigned out = msb(r, bits);
            r = ((r << 1) | cf) & m;
            cf = out;
        }
        set_cf_of(c, cf, msb(r, bits) ^ cf);
        return r;
    }
    case 3: { /* RCR */
        unsigned n = count % (bits + 1);
        cf = get_cf(c);
        r = a;
        for (unsigned i = 0; i < n; i++) {
            unsigned out = r & 1;
            r = (r >> 1) | ((uint32_t)cf << (bits - 1));
            cf = out;
        }
        set_cf_of(c, cf, msb(r, bits) ^ ((r >> (bits - 2)) & 1));
        return r;
    }
    case 4: /* SHL; /6 (SAL) is the same on later chips */
    case 6:
        r = count < bits ? (a << count) & m : 0;
        cf = count <= bits ? (a >> (bits - count)) & 1 : 0;
        of = msb(r, bits) ^ cf;
        lf_set(c, r, bits, cf, of, 0);
        return r;
    case 5: /* SHR */
        r = count < bits ? a >> count : 0;
        cf = count <= bits ? (a >> (count - 1)) & 1 : 0;
        of = count == 1 ? msb(a, bits) : 0;
        lf_set(c, r, bits, cf, of, 0);
        return r;
    default: { /* SAR */
        int32_t s = (int32_t)sext(a, bits);
        unsigned n = count < bits ? count : bits - 1;
        r = (uint32_t)(s >> n) & m;
        cf = count < bits ? (uint32_t)(s >> (count - 1)) & 1 : (uint32_t)(s < 0);
        lf_set(c, r, bits, cf, 0, 0);
        return r;
    }
    }
}

/* SHLD/SHRD with a 16-bit operand and a count above 16 keep taking bits
 * from the 48-bit chain dst:src:dst, which is what Intel chips do for this
 * case the SDM leaves undefined. */
uint32_t cpu_shld(struct cpu *c, uint32_t dst, uint32_t src, unsigned count, unsigned bits)
{
    count &= 31;
    if (count == 0)
        return dst;
    uint64_t v;
    unsigned width; /* bits in v */
    if (bits == 16) {
        v = ((uint64_t)dst << 32) | ((uint64_t)src << 16) | dst;
        width = 48;
    } else {
        v = ((uint64_t)dst << 32) | src;
        width = 64;
    }
    uint32_t r = (uint32_t)(v >> (width - bits - count)) & size_mask(bits);
    unsigned cf = (unsigned)(v >> (width - count)) & 1;
    lf_set(c, r, bits, cf, msb(r, bits) ^ msb(dst, bits), 0);
    return r;
}

uint32_t cpu_shrd(struct cpu *c, uint32_t dst, uint32_t src, unsigned count, unsigned bits)
{
    count &= 31;
    if (count == 0)
        return dst;
    uint64_t v;
    if (bits == 16)
        v = ((uint64_t)dst << 32) | ((uint64_t)src << 16) | dst;
    else
        v = ((uint64_t)src << 32) | dst;
    uint32_t r = (uint32_t)(v >> count) & size_mask(bits);
    unsigned cf = (unsigned)(v >> (count - 1)) & 1;
    lf_set(c, r, bits, cf, msb(r, bits) ^ msb(dst, bits), 0);
    return r;
}
