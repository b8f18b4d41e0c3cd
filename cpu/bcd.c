/* Decimal adjust instructions DAA DAS AAA AAS AAM AAD (SDM vol. 2; the
 * 8086's AAA/AAS adjust AL and AH separately, later chips add 106h to AX). */
#include "cpu/operand.h"

void cpu_exec_bcd(struct cpu *c, const struct insn *in)
{
    uint8_t al = get_r8(c, 0);
    unsigned cf = get_cf(c), af = get_af(c);
    switch (in->op) {
    case OP_DAA: {
        uint8_t old = al;
        unsigned ncf = 0, naf = 0;
        /* With AF set on entry the 8086 tests the original AL against 9Fh,
         * not 99h, for the high-digit adjustment (hardware-captured tests). */
        uint8_t hi_limit = c->mi->model == CPU_8086 && af ? 0x9F : 0x99;
        if ((al & 0x0F) > 9 || af) {
            ncf = cf || al > 0xF9;
            al = (uint8_t)(al + 6);
            naf = 1;
        }
        if (old > hi_limit || cf) {
            al = (uint8_t)(al + 0x60);
            ncf = 1;
        }
        set_r8(c, 0, al);
        /* OF is undefined; the carry-out vector of the adjustment is what
         * the hardware's adder leaves, approximated by the sign change. */
        lf_set(c, al, 8, ncf, (~old & al & 0x80) != 0, naf);
        break;
    }
    case OP_DAS: {
        uint8_t old = al;
        unsigned ncf = 0, naf = 0;
        bool is8086 = c->mi->model == CPU_8086;
        if ((al & 0x0F) > 9 || af) {
            /* The 8086 takes CF from the high-digit step alone. */
            ncf = !is8086 && (cf || al < 6);
            al = (uint8_t)(al - 6);
            naf = 1;
        }
        if (old > (is8086 && af ? 0x9F : 0x99) || cf) {
            al = (uint8_t)(al - 0x60);
            ncf = 1;
        }
        set_r8(c, 0, al);
        lf_set(c, al, 8, ncf, (old & ~al & 0x80) != 0, naf);
        break;
    }
    case OP_AAA: case OP_AAS: {
        bool add = in->op == OP_AAA;
        uint16_t ax = get_r16(c, R_EAX);
        unsigned adj = (al & 0x0F) > 9 || af;
        if (adj) {
            if (c->mi->model == CPU_8086) {
                uint8_t ah = (uint8_t)(ax >> 8);
                al = (uint8_t)(add ? al + 6 : al - 6);
                ah = (uint8_t)(add ? ah + 1 : ah - 1);
                ax = (uint16_t)((ah << 8) | al);
            } else {
                ax = (uint16_t)(add ? ax + 0x106 : ax - 6);
                if (!add)
                    ax = (uint16_t)(ax - 0x100);
            }
        }
        ax &= 0xFF0F;
        set_r16(c, R_EAX, ax);
        lf_set(c, ax & 0xFF, 8, adj, 0, adj);
        break;
    }
    case OP_AAM: {
        uint8_t base = (uint8_t)in->imm;
        if (base == 0) {
            /* The 8086 and the 286 set the flags before the divide error
             * (hardware-captured tests): the 8086's division microcode
             * leaves those of a zero result (SF=0 ZF=1 PF=1, OF=AF=CF=0);
             * the 286 sets SF, ZF and PF from AL, as its datasheet says
             * AAM does, AL being unchanged.  The 386 and later raise #DE
             * with the flags untouched. */
            if (c->mi->model == CPU_8086)
                lf_set(c, 0, 8, 0, 0, 0);
            else if (c->mi->model == CPU_286)
                lf_set(c, al, 8, 0, 0, 0);
            cpu_fault(c, EXC_DE, 0);
        }
        uint8_t q = al / base, r = al % base;
        set_r16(c, R_EAX, (uint16_t)((q << 8) | r));
        lf_set(c, r, 8, 0, 0, 0);
        break;
    }
    default: { /* AAD */
        uint8_t ah = get_r8(c, 4);
        uint32_t prod = (uint32_t)ah * (in->imm & 0xFF);
        uint32_t sum = (prod & 0xFF) + al;
        uint8_t r = (uint8_t)sum;
        set_r16(c, R_EAX, r);
        /* The flags come from the final 8-bit addition AL + AH*imm. */
        lf_arith(c, r, add_co(prod & 0xFF, al, r), 8);
        break;
    }
    }
}
