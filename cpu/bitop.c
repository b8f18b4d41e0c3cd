/* Bit tests and scans, and the 486+ atomic exchanges: BT BTS BTR BTC,
 * BSF BSR, CMPXCHG, CMPXCHG8B, XADD (SDM vol. 2). */
#include "cpu/operand.h"

static void bit_test(struct cpu *c, const struct insn *in, unsigned bits, int kind, bool imm)
{
    uint32_t m = size_mask(bits);
    uint32_t addr = 0, off;
    if (imm) {
        off = in->imm & (bits - 1);
        if (IS_MEM(in))
            addr = ea_of(c, in);
    } else {
        uint32_t raw = get_reg(c, in->reg, bits);
        if (IS_MEM(in)) {
            /* A register bit offset reaches beyond the operand: it is signed
             * and selects the operand-sized unit it falls in. */
            int32_t s = (int32_t)sext(raw, bits);
            int32_t unit = s >= 0 ? s / (int32_t)bits : -(((-s) + (int32_t)bits - 1) / (int32_t)bits);
            addr = ea_of(c, in) + (uint32_t)(unit * (int32_t)(bits / 8));
            if (!(in->flags & I_A32))
                addr &= 0xFFFF;
            off = (uint32_t)(s - unit * (int32_t)bits);
        } else {
            off = raw & (bits - 1);
        }
    }
    uint32_t v = rd_e(c, in, addr, bits);
    unsigned bit = (v >> off) & 1;
    uint32_t nv = v;
    switch (kind) {
    case 1: nv = v | (1u << off); break;
    case 2: nv = v & ~(1u << off); break;
    case 3: nv = v ^ (1u << off); break;
    default: break;
    }
    if (kind != 0)
        wr_e(c, in, addr, nv & m, bits);
    set_cf(c, bit);
}

static void bit_scan(struct cpu *c, const struct insn *in, unsigned bits, bool reverse)
{
    uint32_t v = rd_e(c, in, IS_MEM(in) ? ea_of(c, in) : 0, bits);
    uint32_t f = get_arith_flags(c) & ~F_ZF;
    if (v == 0) {
        set_arith_flags(c, f | F_ZF);
        return; /* destination unchanged, as Intel chips leave it */
    }
    unsigned i;
    if (reverse)
        for (i = bits - 1; !((v >> i) & 1); i--)
            ;
    else
        for (i = 0; !((v >> i) & 1); i++)
            ;
    set_reg(c, in->reg, i, bits);
    set_arith_flags(c, f);
}

static void cmpxchg(struct cpu *c, const struct insn *in, unsigned bits)
{
    uint32_t addr = IS_MEM(in) ? ea_of(c, in) : 0;
    uint32_t d = rd_e(c, in, addr, bits);
    uint32_t acc = get_reg(c, R_EAX, bits);
    alu(c, 7, acc, d, bits);
    if (acc == d) {
        wr_e(c, in, addr, get_reg(c, in->reg, bits), bits);
    } else {
        /* The destination is written back unchanged (a locked cycle always writes). */
        wr_e(c, in, addr, d, bits);
        set_reg(c, R_EAX, d, bits);
    }
}

static void cmpxchg8b(struct cpu *c, const struct insn *in)
{
    uint32_t addr = ea_of(c, in);
    uint32_t hiaddr = (addr + 4) & ((in->flags & I_A32) ? ~0u : 0xFFFFu);
    uint32_t lo = mem_read(c, in->seg, addr, 4), hi = mem_read(c, in->seg, hiaddr, 4);
    uint32_t f = get_arith_flags(c) & ~F_ZF;
    if (lo == c->gpr[R_EAX] && hi == c->gpr[R_EDX]) {
        mem_write(c, in->seg, addr, c->gpr[R_EBX], 4);
        mem_write(c, in->seg, hiaddr, c->gpr[R_ECX], 4);
        set_arith_flags(c, f | F_ZF);
    } else {
        mem_write(c, in->seg, addr, lo, 4);
        mem_write(c, in->seg, hiaddr, hi, 4);
        c->gpr[R_EAX] = lo;
        c->gpr[R_EDX] = hi;
        set_arith_flags(c, f);
    }
}

static void xadd(struct cpu *c, const struct insn *in, unsigned bits)
{
    uint32_t addr = IS_MEM(in) ? ea_of(c, in) : 0;
    uint32_t d = rd_e(c, in, addr, bits);
    uint32_t s = get_reg(c, in->reg, bits);
    uint32_t r = alu(c, 0, d, s, bits);
    wr_e(c, in, addr, r, bits);
    if (IS_MEM(in) || in->rm != in->reg)
        set_reg(c, in->reg, d, bits);
}

void cpu_exec_bitop(struct cpu *c, const struct insn *in)
{
    unsigned bits = BITS_V(in);
    switch (in->op) {
    case OP_BT_EvGv_w: case OP_BT_EvGv_d: bit_test(c, in, bits, 0, false); break;
    case OP_BTS_EvGv_w: case OP_BTS_EvGv_d: bit_test(c, in, bits, 1, false); break;
    case OP_BTR_EvGv_w: case OP_BTR_EvGv_d: bit_test(c, in, bits, 2, false); break;
    case OP_BTC_EvGv_w: case OP_BTC_EvGv_d: bit_test(c, in, bits, 3, false); break;
    case OP_BT_EvIb_w: case OP_BT_EvIb_d: bit_test(c, in, bits, 0, true); break;
    case OP_BTS_EvIb_w: case OP_BTS_EvIb_d: bit_test(c, in, bits, 1, true); break;
    case OP_BTR_EvIb_w: case OP_BTR_EvIb_d: bit_test(c, in, bits, 2, true); break;
    case OP_BTC_EvIb_w: case OP_BTC_EvIb_d: bit_test(c, in, bits, 3, true); break;
    case OP_BSF_w: case OP_BSF_d: bit_scan(c, in, bits, false); break;
    case OP_BSR_w: case OP_BSR_d: bit_scan(c, in, bits, true); break;
    case OP_CMPXCHG_EbGb: cmpxchg(c, in, 8); break;
    case OP_CMPXCHG_EvGv_w: case OP_CMPXCHG_EvGv_d: cmpxchg(c, in, bits); break;
    case OP_CMPXCHG8B: cmpxchg8b(c, in); break;
    case OP_XADD_EbGb: xadd(c, in, 8); break;
    default: xadd(c, in, bits); break;
    }
}
