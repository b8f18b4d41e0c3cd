/* The differential harness's forms: every operation of cpu/ops.def is
 * either generated here (encoding templates, operand values, and what the
 * SDM leaves undefined for the chosen inputs) or excluded with a reason.
 *
 * Operand values mix the edges of each size (0, 1, -1, the signed extremes,
 * alternating bits) with random values, from a generator seeded per form
 * so that a form's cases do not change when other forms are added.  ModRM
 * forms alternate between a register and a memory operand; memory operands
 * use every 32-bit addressing shape (disp32, base, base+disp8/32, SIB with
 * and without base and index) and sometimes a segment override (ES, SS, DS:
 * flat on both sides) or LOCK where it is allowed. */
#include <string.h>

#include "cpu/cpu.h"
#include "tests/diff/forms.h"

const char *const diff_op_names[] = {
#define OP(name, mn) #name,
#define OPV(name, mn) #name "_w", #name "_d",
#include "cpu/ops.def"
#undef OP
#undef OPV
};
const unsigned diff_nops = sizeof(diff_op_names) / sizeof(diff_op_names[0]);

#define ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)
#define SZAP (F_SF | F_ZF | F_AF | F_PF)

/* ---- random values --------------------------------------------------- */

uint32_t rng_next(struct rng *r)
{
    uint64_t x = r->s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    r->s = x;
    return (uint32_t)((x * 0x2545F4914F6CDD1Dull) >> 32);
}

uint32_t rng_below(struct rng *r, uint32_t n)
{
    return (uint32_t)(((uint64_t)rng_next(r) * n) >> 32);
}

static uint32_t mask_of(unsigned bits)
{
    return bits >= 32 ? 0xFFFFFFFFu : (1u << bits) - 1;
}

static uint32_t edge_val(struct rng *r, unsigned bits)
{
    uint32_t m = mask_of(bits), h = 1u << (bits - 1);
    const uint32_t e[] = { 0, 1, 2, m, m - 1, h - 1, h, h + 1, h - 2, 0x55555555u, 0xAAAAAAAAu,
                           0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000, 3, 10, 0x0F };
    return e[rng_below(r, sizeof(e) / sizeof(e[0]))] & m;
}

/* An operand of `bits` bits: edges, small positive and negative numbers,
 * single bits, or anything. */
static uint32_t val(struct rng *r, unsigned bits)
{
    uint32_t m = mask_of(bits);
    switch (rng_below(r, 8)) {
    case 0: case 1: case 2:
        return edge_val(r, bits);
    case 3: {
        uint32_t v = rng_below(r, 17);
        return (rng_next(r) & 1 ? v : 0u - v) & m;
    }
    case 4: {
        uint32_t v = 1u << rng_below(r, bits);
        return (rng_next(r) & 1 ? v : ~v) & m;
    }
    default:
        return rng_next(r) & m;
    }
}

/* A 32-bit register whose low `bits` are an interesting operand. */
static uint32_t regval(struct rng *r, unsigned bits)
{
    if (bits >= 32)
        return val(r, 32);
    return (rng_next(r) & ~mask_of(bits)) | val(r, bits);
}

static void set_reg(struct tcase *t, unsigned reg, unsigned bits, uint32_t v)
{
    uint32_t *R = t->in.r;
    if (bits == 8) {
        if (reg < 4)
            R[reg] = (R[reg] & ~0xFFu) | (v & 0xFF);
        else
            R[reg - 4] = (R[reg - 4] & ~0xFF00u) | ((v & 0xFF) << 8);
    } else if (bits == 16) {
        R[reg] = (R[reg] & ~0xFFFFu) | (v & 0xFFFF);
    } else {
        R[reg] = v;
    }
}

static uint32_t get_reg(const struct tcase *t, unsigned reg, unsigned bits)
{
    const uint32_t *R = t->in.r;
    if (bits == 8)
        return reg < 4 ? R[reg] & 0xFF : (R[reg - 4] >> 8) & 0xFF;
    return R[reg] & mask_of(bits);
}

static void put_area(struct tcase *t, uint32_t addr, uint32_t v, unsigned bytes)
{
    for (unsigned k = 0; k < bytes; k++)
        t->area[(addr - DIFF_AREA + k) & (DIFF_AREA_SIZE - 1)] = (uint8_t)(v >> (8 * k));
}

static uint32_t get_area(const struct tcase *t, uint32_t addr, unsigned bytes)
{
    uint32_t v = 0;
    for (unsigned k = 0; k < bytes; k++)
        v |= (uint32_t)t->area[(addr - DIFF_AREA + k) & (DIFF_AREA_SIZE - 1)] << (8 * k);
    return v;
}

static void emit(struct tcase *t, uint8_t b)
{
    if (t->in.ncode < DIFF_MAXCODE)
        t->in.code[t->in.ncode++] = b;
}

static void emit_n(struct tcase *t, uint32_t v, unsigned n)
{
    for (unsigned k = 0; k < n; k++)
        emit(t, (uint8_t)(v >> (8 * k)));
}

/* A stack pointer in the stack half of the area, with room for 32 bytes
 * of pushes below it and of pops above it. */
static uint32_t stack_esp(struct rng *r)
{
    return DIFF_AREA + 0xA0 + rng_below(r, 0x41);
}

/* A random address for a memory operand of `bytes` bytes in the data half. */
static uint32_t data_addr(struct rng *r, unsigned bytes)
{
    return DIFF_AREA + rng_below(r, DIFF_STACK_LO - bytes + 1);
}

static void tc_begin(struct tcase *t, struct rng *r, const struct form *f)
{
    memset(t, 0, sizeof(*t));
    for (unsigned k = 0; k < 8; k++)
        t->in.r[k] = regval(r, 32);
    /* ESP: a stack pointer in the area for stack forms; otherwise in the
     * area or anywhere in Popek's RAM (an exception frame must land in RAM,
     * at CPL 0 it goes on this stack; diff.c undoes it afterwards). */
    if (f && (f->fl & FL_STACK))
        t->in.r[4] = stack_esp(r);
    else if (rng_next(r) & 1)
        t->in.r[4] = DIFF_AREA + 0xC0;
    else
        t->in.r[4] = 0x10000 + rng_below(r, 0xFE0000);
    /* The arithmetic flags, DF, NT and ID at random; IF set as in a user
     * process; never TF or AC (a user-mode #AC has no CPL-0 counterpart). */
    t->in.eflags = (rng_next(r) & (ARITH | F_DF | F_NT | F_ID)) | F_IF | 0x2;
    for (unsigned k = 0; k < DIFF_AREA_SIZE; k += 4)
        put_area(t, DIFF_AREA + k, rng_next(r), 4);
    t->variant = VAR_NONE;
    if (f && (f->fl & (FL_STACK | FL_MEM)))
        t->in.flags |= DIFF_IN_MEM;
}

static int pick_reg(struct rng *r, unsigned allowed)
{
    allowed &= 0xFF;
    unsigned n = (unsigned)__builtin_popcount(allowed);
    if (n == 0)
        return -1;
    unsigned k = rng_below(r, n);
    for (int reg = 0; reg < 8; reg++)
        if (allowed >> reg & 1) {
            if (k == 0)
                return reg;
            k--;
        }
    return -1;
}

/* Emits ModRM (reg field `reg`) and the addressing bytes of a memory operand
 * at `target`, in a randomly chosen 32-bit addressing shape.  Registers in
 * `avoid` are not used.  ESP, when `pin_esp`, keeps its value and may still
 * be the base (the displacement makes up the difference; `esp_bias` is
 * what the instruction adds to ESP before computing the address). */
static void emit_mem(struct tcase *t, struct rng *r, unsigned reg, uint32_t target, unsigned avoid, bool pin_esp,
                     uint32_t esp_bias)
{
    uint32_t *R = t->in.r;
    unsigned free_regs = 0xFFu & ~avoid;
    unsigned mode = rng_below(r, 8);
    t->in.flags |= DIFF_IN_MEM;
    t->variant = VAR_MEM;
    t->modrm_at = (uint8_t)(t->in.ncode + 1);
    if (mode >= 1 && mode <= 3) {
        unsigned allowed = free_regs & ~(1u << 4);
        if (mode == 1)
            allowed &= ~(1u << 5);
        int b = pick_reg(r, allowed);
        if (b >= 0) {
            uint32_t disp = mode == 1 ? 0 : mode == 2 ? (uint32_t)(int32_t)(int8_t)rng_next(r) : rng_next(r);
            R[b] = target - disp;
            emit(t, (uint8_t)((mode == 1 ? 0 : mode == 2 ? 0x40 : 0x80) | reg << 3 | (unsigned)b));
            emit_n(t, disp, mode == 1 ? 0 : mode == 2 ? 1 : 4);
            return;
        }
        mode = 0;
    }
    if (mode == 0) {
        emit(t, (uint8_t)(0x05 | reg << 3));
        emit_n(t, target, 4);
        return;
    }
    /* SIB forms. */
    unsigned scale = rng_below(r, 4);
    unsigned idx_allowed = free_regs & ~(1u << 4);
    if (pin_esp)
        idx_allowed &= ~(1u << 4);
    int idx = rng_below(r, 4) == 0 ? -1 : pick_reg(r, idx_allowed);
    uint32_t iv = 0;
    if (idx >= 0) {
        iv = rng_below(r, 2) ? rng_below(r, 64) - 32 : rng_next(r);
        R[idx] = iv;
        iv <<= scale;
    }
    unsigned sib_index = idx >= 0 ? (unsigned)idx : 4;
    if (mode == 6) { /* no base: [index*s + disp32] */
        emit(t, (uint8_t)(0x04 | reg << 3));
        emit(t, (uint8_t)(scale << 6 | sib_index << 3 | 5));
        emit_n(t, target - iv, 4);
        return;
    }
    unsigned base_allowed = free_regs;
    if (pin_esp)
        base_allowed |= 1u << 4;
    if (idx >= 0)
        base_allowed &= ~(1u << idx);
    if (mode == 7)
        base_allowed &= ~(1u << 5); /* mod 00 with base 5 means no base */
    int b = pick_reg(r, base_allowed);
    if (b < 0) {
        emit(t, (uint8_t)(0x04 | reg << 3));
        emit(t, (uint8_t)(scale << 6 | sib_index << 3 | 5));
        emit_n(t, target - iv, 4);
        return;
    }
    if (b == 4 && pin_esp) {
        uint32_t disp = target - iv - (R[4] + esp_bias);
        emit(t, (uint8_t)(0x84 | reg << 3));
        emit(t, (uint8_t)(scale << 6 | sib_index << 3 | 4));
        emit_n(t, disp, 4);
        return;
    }
    unsigned mod = mode == 4 ? 1 : mode == 5 ? 2 : 0;
    uint32_t disp = mod == 1 ? (uint32_t)(int32_t)(int8_t)rng_next(r) : mod == 2 ? rng_next(r) : 0;
    R[b] = target - disp - iv - (b == 4 ? esp_bias : 0);
    emit(t, (uint8_t)(mod << 6 | reg << 3 | 4));
    emit(t, (uint8_t)(scale << 6 | sib_index << 3 | (unsigned)b));
    emit_n(t, disp, mod == 1 ? 1 : mod == 2 ? 4 : 0);
}

static unsigned pick_digit(const struct form *f, struct rng *r)
{
    if (f->digits == 0)
        return rng_below(r, 8);
    int d = pick_reg(r, f->digits);
    return (unsigned)d;
}

static bool use_mem(const struct form *f, unsigned i)
{
    if (f->fl & FL_MEMONLY)
        return true;
    if (f->fl & FL_REGONLY)
        return false;
    return i & 1;
}

static const uint8_t seg_prefixes[3] = { 0x26, 0x36, 0x3E };

/* 66h, LOCK and segment-override prefixes in a random order. */
static void prefixes(struct tcase *t, struct rng *r, const struct form *f, bool mem)
{
    uint8_t p[3];
    unsigned n = 0;
    if (mem && (f->fl & FL_LOCK) && rng_below(r, 6) == 0)
        p[n++] = 0xF0;
    if (mem && rng_below(r, 8) == 0)
        p[n++] = seg_prefixes[rng_below(r, 3)];
    if (f->bits == 16)
        p[n++] = 0x66;
    for (unsigned k = n; k > 1; k--) {
        unsigned j = rng_below(r, k);
        uint8_t x = p[k - 1];
        p[k - 1] = p[j];
        p[j] = x;
    }
    for (unsigned k = 0; k < n; k++)
        emit(t, p[k]);
}

static void opcode(struct tcase *t, struct rng *r, const struct form *f)
{
    for (unsigned k = 0; k < f->nopc; k++) {
        uint8_t b = f->opc[k];
        if (k == 0 && (f->fl & FL_ALIAS82) && rng_below(r, 4) == 0)
            b = 0x82;
        emit(t, b);
    }
}

static unsigned ebits_of(const struct form *f)
{
    return f->ebits ? f->ebits : f->bits;
}

/* The ModRM operand E: a register (its value is already random) or memory
 * holding an interesting value.  Returns the register or the address.
 * ESP keeps its value when it is in `avoid` or the form uses the stack. */
static uint32_t emit_e(struct tcase *t, struct rng *r, const struct form *f, unsigned reg, bool mem, unsigned avoid)
{
    if (!mem) {
        unsigned rm = rng_below(r, 8);
        emit(t, (uint8_t)(0xC0 | reg << 3 | rm));
        t->variant = VAR_REG;
        bool keep = rm == 4 && ebits_of(f) > 8 && ((avoid & 0x10) || (f->fl & FL_STACK));
        if (!keep && rng_below(r, 2))
            set_reg(t, rm, ebits_of(f), val(r, ebits_of(f)));
        return rm;
    }
    unsigned bytes = ebits_of(f) / 8;
    uint32_t target = data_addr(r, bytes);
    put_area(t, target, val(r, ebits_of(f)), bytes);
    emit_mem(t, r, reg, target, avoid, (f->fl & FL_STACK) != 0, (f->fl & FL_POPBIAS) ? f->bits / 8 : 0);
    return target;
}

/* ---- generators ------------------------------------------------------ */

/* opcode ModRM [imm]: G (a random register, or the form's /digit) and E. */
static void gen_modrm(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    tc_begin(t, r, f);
    bool mem = use_mem(f, i);
    prefixes(t, r, f, mem);
    opcode(t, r, f);
    unsigned reg = pick_digit(f, r);
    if (f->digits == 0 && rng_below(r, 2))
        set_reg(t, reg, f->bits, val(r, f->bits));
    emit_e(t, r, f, reg, mem, 0);
    emit_n(t, val(r, f->imm * 8), f->imm);
    t->undef_flags = f->undef;
}

/* opcode imm: AL/eAX forms, PUSH imm. */
static void gen_acc_imm(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    (void)i;
    tc_begin(t, r, f);
    prefixes(t, r, f, false);
    opcode(t, r, f);
    set_reg(t, 0, f->bits, val(r, f->bits));
    emit_n(t, val(r, f->imm * 8), f->imm);
    t->undef_flags = f->undef;
}

/* opcode+reg [imm]: INC/DEC/PUSH/POP r, XCHG eAX,r, MOV r,imm, BSWAP. */
static void gen_opreg(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    (void)i;
    tc_begin(t, r, f);
    prefixes(t, r, f, false);
    for (unsigned k = 0; k + 1 < f->nopc; k++)
        emit(t, f->opc[k]);
    unsigned reg = rng_below(r, 8);
    emit(t, (uint8_t)(f->opc[f->nopc - 1] + reg));
    if (reg != 4 || !(f->fl & FL_STACK))
        set_reg(t, reg, f->bits, val(r, f->bits));
    emit_n(t, val(r, f->imm * 8), f->imm);
    t->undef_flags = f->undef;
}

/* opcode [imm] alone. */
static void gen_plain(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    (void)i;
    tc_begin(t, r, f);
    prefixes(t, r, f, false);
    opcode(t, r, f);
    set_reg(t, 0, 32, regval(r, 16));
    emit_n(t, val(r, f->imm * 8), f->imm);
    t->undef_flags = f->undef;
}

/* Shift group: D0-D3, C0, C1 with every /digit and counts 0-39 and any. */
static void gen_shift(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    tc_begin(t, r, f);
    bool mem = use_mem(f, i);
    prefixes(t, r, f, mem);
    opcode(t, r, f);
    unsigned digit = rng_below(r, 8);
    uint8_t op0 = f->opc[0];
    bool by_cl = op0 == 0xD2 || op0 == 0xD3, by_imm = op0 == 0xC0 || op0 == 0xC1;
    unsigned want = (i / 2) % 4 == 0 ? rng_below(r, 256) : (i / 8) % 40;
    if (by_cl)
        set_reg(t, 1, 8, want);
    emit_e(t, r, f, digit, mem, 1u << 1);
    if (by_imm)
        emit(t, (uint8_t)want);
    unsigned count = by_cl ? get_reg(t, 1, 8) : by_imm ? want : 1;
    unsigned m = count & 31;
    uint32_t u = 0;
    if (m != 0) {
        if (m != 1)
            u |= F_OF;
        if (digit >= 4) {
            u |= F_AF;
            if (digit != 7 && m >= f->bits)
                u |= F_CF; /* SHL/SHR (and the SAL alias) by the width or more */
        }
    }
    t->undef_flags = u;
}

/* SHLD/SHRD by imm8 or CL. */
static void gen_shxd(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    tc_begin(t, r, f);
    bool mem = use_mem(f, i);
    prefixes(t, r, f, mem);
    opcode(t, r, f);
    bool by_cl = f->opc[1] == 0xA5 || f->opc[1] == 0xAD;
    unsigned want = (i / 2) % 4 == 0 ? rng_below(r, 256) : (i / 8) % 40;
    unsigned reg = rng_below(r, 8);
    set_reg(t, reg, f->bits, val(r, f->bits));
    if (by_cl)
        set_reg(t, 1, 8, want);
    uint32_t e = emit_e(t, r, f, reg, mem, 1u << 1);
    if (!by_cl)
        emit(t, (uint8_t)want);
    unsigned count = by_cl ? get_reg(t, 1, 8) : want;
    unsigned m = count & 31;
    uint32_t u = 0;
    if (m != 0) {
        u = F_AF | (m != 1 ? F_OF : 0);
        if (f->bits == 16 && m > 16) {
            u = ARITH; /* count above the operand size: result and flags undefined */
            if (mem) {
                t->mem_undef_off = (uint8_t)(e - DIFF_AREA);
                t->mem_undef_len = 2;
            } else {
                t->reg_undef[e] = 0xFFFF;
            }
        }
    }
    t->undef_flags = u;
}

/* MUL IMUL DIV IDIV (F6/F7 /4-/7); dividends mostly chosen so that the
 * quotient fits, sometimes not, and sometimes a zero divisor. */
static void gen_muldiv(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    tc_begin(t, r, f);
    bool mem = use_mem(f, i);
    prefixes(t, r, f, mem);
    opcode(t, r, f);
    unsigned digit = pick_digit(f, r);
    bool div = digit >= 6, sgn = digit == 5 || digit == 7;
    unsigned bits = f->bits;
    uint32_t v = val(r, bits);
    if (div && rng_below(r, 16) == 0)
        v = 0;
    uint32_t e;
    if (mem) {
        e = data_addr(r, bits / 8);
        put_area(t, e, v, bits / 8);
        emit_mem(t, r, digit, e, (bits == 8 ? 1u : 5u) | 0x10, false, 0);
    } else {
        e = rng_below(r, 8);
        emit(t, (uint8_t)(0xC0 | digit << 3 | e));
        t->variant = VAR_REG;
        if (e != 4 || bits == 8) /* ESP stays a stack pointer for the #DE frame */
            set_reg(t, e, bits, v);
    }
    uint32_t d = mem ? v : get_reg(t, e, bits);
    bool in_dividend = !mem && (bits == 8 ? (e == 0 || e == 4) : (e == 0 || e == 2));
    if (div && d != 0 && !in_dividend && rng_below(r, 4) != 0) {
        uint64_t dividend;
        if (!sgn) {
            uint64_t q = val(r, bits), rem = rng_below(r, d);
            dividend = q * d + rem;
        } else {
            int64_t sd = (int32_t)(d << (32 - bits)) >> (32 - bits);
            int64_t q = (int32_t)(val(r, bits) << (32 - bits)) >> (32 - bits);
            int64_t prod = q * sd;
            uint64_t mag = sd < 0 ? (uint64_t)-sd : (uint64_t)sd;
            int64_t rem = (int64_t)rng_below(r, (uint32_t)(mag > 0xFFFFFFFFu ? 0xFFFFFFFFu : mag));
            if (prod < 0 || (prod == 0 && (rng_next(r) & 1)))
                rem = -rem;
            dividend = (uint64_t)(prod + rem);
        }
        if (bits == 8) {
            set_reg(t, 0, 16, (uint32_t)dividend);
        } else {
            set_reg(t, 0, bits, (uint32_t)dividend);
            set_reg(t, 2, bits, (uint32_t)(dividend >> bits));
        }
    }
    t->undef_flags = div ? ARITH : SZAP;
}

/* BT BTS BTR BTC Ev,Gv: in memory the bit offset reaches beyond the operand. */
static void gen_bt(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    tc_begin(t, r, f);
    bool mem = use_mem(f, i);
    prefixes(t, r, f, mem);
    opcode(t, r, f);
    unsigned reg = rng_below(r, 8);
    if (!mem) {
        set_reg(t, reg, f->bits, val(r, f->bits));
        emit_e(t, r, f, reg, false, 0);
    } else {
        int32_t off = (int32_t)rng_below(r, 0x300) - 0x180;
        if (reg == 4)
            reg = 1; /* keep ESP a stack pointer here */
        set_reg(t, reg, f->bits, (uint32_t)off);
        uint32_t target = DIFF_AREA + 0x30 + rng_below(r, 0x20);
        emit_mem(t, r, reg, target, 1u << reg, false, 0);
    }
    t->undef_flags = F_OF | F_SF | F_AF | F_PF;
}

/* BSF BSR: a zero source now and then (destination and flags undefined). */
static void gen_bsf(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    tc_begin(t, r, f);
    bool mem = use_mem(f, i);
    prefixes(t, r, f, mem);
    opcode(t, r, f);
    unsigned reg = rng_below(r, 8);
    bool zero = rng_below(r, 6) == 0;
    uint32_t src;
    if (mem) {
        uint32_t target = data_addr(r, f->bits / 8);
        put_area(t, target, zero ? 0 : val(r, f->bits), f->bits / 8);
        emit_mem(t, r, reg, target, 0, false, 0);
        src = get_area(t, target, f->bits / 8);
    } else {
        unsigned rm = rng_below(r, 8);
        emit(t, (uint8_t)(0xC0 | reg << 3 | rm));
        t->variant = VAR_REG;
        set_reg(t, rm, f->bits, zero ? 0 : val(r, f->bits));
        src = get_reg(t, rm, f->bits);
    }
    t->undef_flags = F_CF | F_OF | F_SF | F_AF | F_PF;
    if (src == 0)
        t->reg_undef[reg] = mask_of(f->bits);
}

/* CMPXCHG: the accumulator equals the destination half the time. */
static void gen_cmpxchg(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    tc_begin(t, r, f);
    bool mem = use_mem(f, i);
    prefixes(t, r, f, mem);
    opcode(t, r, f);
    unsigned reg = rng_below(r, 8);
    set_reg(t, reg, f->bits, val(r, f->bits));
    uint32_t e = emit_e(t, r, f, reg, mem, 1u << 0);
    if (rng_below(r, 2)) {
        uint32_t v = mem ? get_area(t, e, f->bits / 8) : get_reg(t, e, f->bits);
        set_reg(t, 0, f->bits, v);
    }
    t->undef_flags = 0;
}

static void gen_cmpxchg8b(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    (void)i;
    tc_begin(t, r, f);
    prefixes(t, r, f, true);
    opcode(t, r, f);
    uint32_t target = data_addr(r, 8);
    put_area(t, target, val(r, 32), 4);
    put_area(t, target + 4, val(r, 32), 4);
    emit_mem(t, r, 1, target, (1u << 0) | (1u << 2), false, 0);
    if (rng_below(r, 2)) {
        t->in.r[0] = get_area(t, target, 4);
        t->in.r[2] = get_area(t, target + 4, 4);
    } else if (rng_below(r, 2)) {
        t->in.r[0] = get_area(t, target, 4); /* low half equal only */
    }
    t->undef_flags = 0;
}

/* SETcc / CMOVcc / Jcc rel16/32: every condition. */
static void gen_setcc(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    tc_begin(t, r, f);
    bool mem = use_mem(f, i);
    prefixes(t, r, f, mem);
    emit(t, 0x0F);
    emit(t, (uint8_t)(f->opc[1] + rng_below(r, 16)));
    emit_e(t, r, f, rng_below(r, 8), mem, 0);
}

static void gen_cmov(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    tc_begin(t, r, f);
    bool mem = use_mem(f, i);
    prefixes(t, r, f, mem);
    emit(t, 0x0F);
    emit(t, (uint8_t)(f->opc[1] + rng_below(r, 16)));
    emit_e(t, r, f, rng_below(r, 8), mem, 0);
}

/* A branch displacement of dbytes bytes for an instruction that will be
 * len bytes long.  With a 32-bit operand size the target is an INT3 in the
 * code region (never the instruction or its exit jump, 6 bytes); with a
 * 16-bit one the target is truncated to 16 bits and any value will do. */
static uint32_t branch_disp(struct rng *r, unsigned dbytes, unsigned len, bool o16)
{
    if (o16)
        return rng_next(r) & mask_of(dbytes * 8);
    for (;;) {
        int32_t d;
        if (dbytes == 1) {
            unsigned k = rng_below(r, 10);
            d = k == 0 ? -128 : k == 1 ? 127 : (int8_t)rng_next(r);
        } else {
            unsigned k = rng_below(r, 10);
            d = k == 0 ? -0x7000 : k == 1 ? 0x7000 : (int32_t)rng_below(r, 0xE001) - 0x7000;
            if (k == 2)
                d = (int32_t)rng_below(r, 40) - 20;
        }
        if (d >= -(int32_t)len && d < 6)
            continue;
        return (uint32_t)d;
    }
}

/* An address in the code region away from the instruction. */
static uint32_t code_target(struct rng *r)
{
    for (;;) {
        uint32_t a = DIFF_CODE + 0x10 + rng_below(r, DIFF_CODE_SIZE - 0x20);
        if (a + 16 < DIFF_INSN || a >= DIFF_INSN + 32)
            return a;
    }
}

/* Jcc rel8 (70-7F): the form's own condition; sometimes with 66h, which
 * truncates the target to 16 bits. */
static void gen_jcc8(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    (void)i;
    tc_begin(t, r, f);
    bool o16 = rng_below(r, 4) == 0;
    if (o16)
        emit(t, 0x66);
    emit(t, f->opc[0]);
    emit(t, (uint8_t)branch_disp(r, 1, t->in.ncode + 1, o16));
    /* every combination of the flags the conditions read */
    t->in.eflags = (t->in.eflags & ~ARITH) | (rng_next(r) & ARITH);
}

static void gen_jccv(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    (void)i;
    tc_begin(t, r, f);
    prefixes(t, r, f, false);
    emit(t, 0x0F);
    emit(t, (uint8_t)(0x80 + rng_below(r, 16)));
    unsigned db = f->bits / 8;
    emit_n(t, branch_disp(r, db, t->in.ncode + db, f->bits == 16), db);
}

/* JMP rel (E9, EB) and CALL rel (E8). */
static void gen_jmp_rel(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    (void)i;
    tc_begin(t, r, f);
    prefixes(t, r, f, false);
    bool short_ = f->opc[0] == 0xE9 && rng_below(r, 2);
    emit(t, short_ ? 0xEB : f->opc[0]);
    unsigned db = short_ ? 1 : f->bits / 8;
    emit_n(t, branch_disp(r, db, t->in.ncode + db, f->bits == 16), db);
}

/* LOOP LOOPE LOOPNE JCXZ: 66h picks the _w op; 67h (CX instead of ECX) now and then. */
static void gen_loop(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    (void)i;
    tc_begin(t, r, f);
    if (rng_below(r, 3) == 0)
        emit(t, 0x67);
    prefixes(t, r, f, false);
    emit(t, f->opc[0]);
    emit(t, (uint8_t)branch_disp(r, 1, t->in.ncode + 1, f->bits == 16));
    static const uint32_t ecx_edges[] = { 0, 1, 2, 0xFFFF, 0x10000, 0x10001, 0xFFFFFFFFu, 0x80000000u };
    unsigned k = rng_below(r, 3);
    t->in.r[1] = k == 0 ? ecx_edges[rng_below(r, 8)] : k == 1 ? rng_below(r, 4) | (rng_next(r) & 0xFFFF0000u)
                                                              : rng_next(r);
}

/* JMP/CALL near indirect (FF /4, FF /2): targets in the code region (or
 * anywhere below 64 KiB for 16-bit operands). */
static void gen_jmp_ev(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    tc_begin(t, r, f);
    bool mem = use_mem(f, i);
    prefixes(t, r, f, mem);
    opcode(t, r, f);
    unsigned digit = pick_digit(f, r);
    uint32_t target = f->bits == 16 ? rng_next(r) & 0xFFFF : code_target(r);
    if (mem) {
        uint32_t a = data_addr(r, f->bits / 8);
        put_area(t, a, target, f->bits / 8);
        emit_mem(t, r, digit, a, 0, (f->fl & FL_STACK) != 0, 0);
    } else {
        unsigned rm = rng_below(r, 8);
        if ((f->fl & FL_STACK) && rm == 4)
            rm = 3;
        emit(t, (uint8_t)(0xC0 | digit << 3 | rm));
        t->variant = VAR_REG;
        t->in.r[rm] = f->bits == 16 ? (rng_next(r) & 0xFFFF0000u) | target : target;
    }
}

/* RET / RET imm16 with a return address on the stack. */
static void gen_ret(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    (void)i;
    tc_begin(t, r, f);
    prefixes(t, r, f, false);
    opcode(t, r, f);
    uint32_t target = f->bits == 16 ? rng_next(r) & 0xFFFF : code_target(r);
    put_area(t, t->in.r[4], target, f->bits / 8);
    if (f->imm)
        emit_n(t, rng_below(r, 4) == 0 ? edge_val(r, 16) : rng_below(r, 0x40), 2);
}

/* String instructions: ESI/EDI in the middle of the area, REP/REPE/REPNE
 * with small counts, either direction, sometimes a source override, and
 * data from a small alphabet so that REPE/REPNE stop at varying places. */
static void gen_string(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    (void)i;
    tc_begin(t, r, f);
    uint8_t op = f->opc[0];
    unsigned rep = rng_below(r, 3);
    bool has_src = op <= 0xA7 || op == 0xAC || op == 0xAD;
    if (rep)
        emit(t, rep == 1 ? 0xF3 : 0xF2);
    if (has_src && rng_below(r, 4) == 0)
        emit(t, (const uint8_t[]){ 0x26, 0x2E, 0x36, 0x3E }[rng_below(r, 4)]);
    prefixes(t, r, f, false);
    emit(t, op);
    t->in.r[6] = DIFF_AREA + 0x40 + rng_below(r, 0x80);
    t->in.r[7] = DIFF_AREA + 0x40 + rng_below(r, 0x80);
    if (rep)
        t->in.r[1] = rng_below(r, 8) == 0 ? 0 : rng_below(r, 17);
    if (rng_below(r, 2)) {
        static const uint8_t alpha[3] = { 0x00, 0x01, 0xFF };
        for (unsigned k = 0; k < DIFF_AREA_SIZE; k++)
            t->area[k] = alpha[rng_below(r, 3)];
        uint32_t a = 0;
        for (unsigned k = 0; k < 4; k++)
            a |= (uint32_t)alpha[rng_below(r, 3)] << (8 * k);
        if (rng_below(r, 2))
            a = (a & 0xFF) * 0x01010101u;
        t->in.r[0] = a;
    }
}

/* XLAT: [EBX + AL] inside the area. */
static void gen_xlat(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    (void)i;
    tc_begin(t, r, f);
    if (rng_below(r, 4) == 0)
        emit(t, (const uint8_t[]){ 0x26, 0x2E, 0x36, 0x3E }[rng_below(r, 4)]);
    emit(t, 0xD7);
    unsigned k = rng_below(r, 16);
    t->in.r[3] = DIFF_AREA + k;
    set_reg(t, 0, 8, rng_below(r, DIFF_AREA_SIZE - k));
}

/* MOV AL/eAX <-> moffs32. */
static void gen_moffs(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    (void)i;
    tc_begin(t, r, f);
    prefixes(t, r, f, true);
    opcode(t, r, f);
    uint32_t a = data_addr(r, f->bits / 8);
    put_area(t, a, val(r, f->bits), f->bits / 8);
    emit_n(t, a, 4);
    set_reg(t, 0, f->bits, val(r, f->bits));
    t->in.flags |= DIFF_IN_MEM;
    t->variant = VAR_MEM;
}

/* LEA: any address (nothing is accessed). */
static void gen_lea(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    (void)i;
    tc_begin(t, r, f);
    prefixes(t, r, f, false);
    opcode(t, r, f);
    emit_mem(t, r, rng_below(r, 8), rng_next(r), 0, false, 0);
    t->in.flags &= (uint8_t)~DIFF_IN_MEM;
}

/* BOUND: the index inside, at, and just outside the bounds, or anywhere. */
static void gen_bound(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    (void)i;
    tc_begin(t, r, f);
    prefixes(t, r, f, true);
    opcode(t, r, f);
    unsigned bits = f->bits, bytes = bits / 8;
    unsigned reg = rng_below(r, 8);
    if (reg == 4)
        reg = 6;
    int32_t lo = (int32_t)(val(r, bits) << (32 - bits)) >> (32 - bits);
    int32_t hi = (int32_t)(val(r, bits) << (32 - bits)) >> (32 - bits);
    if (lo > hi && rng_below(r, 8) != 0) {
        int32_t x = lo;
        lo = hi;
        hi = x;
    }
    int64_t idx;
    switch (rng_below(r, 4)) {
    case 0: idx = lo + (int64_t)rng_below(r, (uint32_t)((int64_t)hi - lo + 1 > 0xFFFFFFFF ? 0xFFFFFFFF : (int64_t)hi - lo + 1)); break;
    case 1: { const int64_t e[4] = { lo, hi, (int64_t)lo - 1, (int64_t)hi + 1 }; idx = e[rng_below(r, 4)]; break; }
    default: idx = (int32_t)(val(r, bits) << (32 - bits)) >> (32 - bits); break;
    }
    set_reg(t, reg, bits, (uint32_t)idx);
    uint32_t a = data_addr(r, 2 * bytes);
    put_area(t, a, (uint32_t)lo, bytes);
    put_area(t, a + bytes, (uint32_t)hi, bytes);
    emit_mem(t, r, reg, a, 1u << reg | 0x10, false, 0);
}

/* ENTER imm16, level: frames of every nesting level inside the area. */
static void gen_enter(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    tc_begin(t, r, f);
    prefixes(t, r, f, false);
    emit(t, 0xC8);
    unsigned k = rng_below(r, 8);
    emit_n(t, k == 0 ? 0 : k == 1 ? (const uint32_t[]){ 1, 2, 0x7000, 0xFF }[rng_below(r, 4)] : rng_below(r, 0x200), 2);
    static const uint8_t lv[] = { 0, 1, 2, 3, 31, 32, 33, 63, 0xFF };
    emit(t, i % 3 == 0 ? lv[rng_below(r, sizeof(lv))] : (uint8_t)rng_below(r, 32));
    t->in.r[4] = DIFF_AREA + 0xF0 - rng_below(r, 8);
    t->in.r[5] = DIFF_AREA + 0xFC - rng_below(r, 8);
}

static void gen_leave(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    (void)i;
    tc_begin(t, r, f);
    prefixes(t, r, f, false);
    emit(t, 0xC9);
    t->in.r[5] = DIFF_AREA + 0x90 + rng_below(r, 0x6D);
    t->in.r[4] = rng_next(r);
}

/* PUSH ES/CS/SS/DS/FS/GS (CS only at 0E: its selector differs between the
 * sides, see diff.c).  A 32-bit push of a segment register writes either
 * the zero-extended selector or just its low word (SDM PUSH): the upper
 * word is undefined. */
static void gen_push_seg(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    (void)i;
    tc_begin(t, r, f);
    prefixes(t, r, f, false);
    switch (rng_below(r, 5)) {
    case 0: emit(t, 0x06); break;
    case 1: emit(t, 0x16); break;
    case 2: emit(t, 0x1E); break;
    case 3: emit(t, 0x0F); emit(t, 0xA0); break;
    default: emit(t, 0x0F); emit(t, 0xA8); break;
    }
    if (f->bits == 32) {
        t->mem_undef_off = (uint8_t)(t->in.r[4] - 4 + 2 - DIFF_AREA);
        t->mem_undef_len = 2;
    }
}

/* MOV Ew,Sreg with ES SS DS FS GS (CS differs between the sides). */
static void gen_mov_sw(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    tc_begin(t, r, f);
    bool mem = use_mem(f, i);
    if (rng_below(r, 2))
        emit(t, 0x66);
    emit(t, 0x8C);
    static const uint8_t sregs[5] = { 0, 2, 3, 4, 5 };
    struct form w = *f;
    w.bits = 16;
    emit_e(t, r, &w, sregs[rng_below(r, 5)], mem, 0);
}

/* POPF with an image a user process and CPL 0 treat alike: IF set, IOPL 0,
 * TF RF VM VIF VIP clear; everything else at random. */
static void gen_popf(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    (void)i;
    tc_begin(t, r, f);
    prefixes(t, r, f, false);
    emit(t, 0x9D);
    uint32_t v = (rng_next(r) & ~(F_TF | F_IOPL | F_RF | F_VM | 0x180000u)) | F_IF;
    put_area(t, t->in.r[4], v, f->bits / 8);
}

/* DAA DAS AAA AAS: every AL with every CF and AF, then random;
 * AAM AAD: base 10 and others (AAM 0 is #DE). */
static void gen_bcd(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    tc_begin(t, r, f);
    emit(t, f->opc[0]);
    if (f->imm) {
        unsigned k = rng_below(r, 16);
        emit(t, (uint8_t)(i % 2 == 0 ? 10 : k == 0 ? 0 : k < 4 ? edge_val(r, 8) : rng_next(r)));
    }
    if (i < 1024) {
        set_reg(t, 0, 8, i & 0xFF);
        t->in.eflags = (t->in.eflags & ~(F_CF | F_AF)) | (i & 0x100 ? F_CF : 0) | (i & 0x200 ? F_AF : 0);
    }
    t->undef_flags = f->undef;
}

/* Encodings that are #UD on the P6 and on the host alike. */
static void gen_invalid(const struct form *f, struct rng *r, unsigned i, struct tcase *t)
{
    tc_begin(t, r, f);
    bool mem = i & 1;
    unsigned k = rng_below(r, 9);
    struct form w = { .bits = 32 };
    const unsigned av = 0x10; /* ESP stays a stack pointer for the #UD frame */
    switch (k) {
    case 0: emit(t, 0xFE); emit_e(t, r, &w, 2 + rng_below(r, 6), mem, av); break; /* FE /2-/7 */
    case 1: emit(t, 0xFF); emit_e(t, r, &w, 7, mem, av); break;                      /* FF /7 */
    case 2: emit(t, 0xC6); emit_e(t, r, &w, 1 + rng_below(r, 6), mem, av); emit(t, 0); break;
    case 3: emit(t, 0xC7); emit_e(t, r, &w, 1 + rng_below(r, 6), mem, av); emit_n(t, 0, 4); break;
    case 4: emit(t, 0x8D); emit(t, (uint8_t)(0xC0 | rng_below(r, 64))); break;       /* LEA r,r */
    case 5: emit(t, 0x0F); emit(t, (const uint8_t[]){ 0xB2, 0xB4, 0xB5 }[rng_below(r, 3)]);
            emit(t, (uint8_t)(0xC0 | rng_below(r, 64))); break;                      /* LSS/LFS/LGS r,r */
    case 6: emit(t, 0x0F); emit(t, 0xC7); emit(t, (uint8_t)(0xC8 | rng_below(r, 8))); break; /* CMPXCHG8B r */
    case 7: emit(t, 0xF0); emit(t, (const uint8_t[]){ 0x01, 0x03, 0x31, 0x89 }[rng_below(r, 4)]);
            emit(t, (uint8_t)(0xC0 | rng_below(r, 64))); break;                      /* LOCK with a register */
    default: emit(t, 0xF0); emit(t, (const uint8_t[]){ 0x8B, 0x3B, 0x85 }[rng_below(r, 3)]);
             emit_mem(t, r, rng_below(r, 8), data_addr(r, 4), av, false, 0); break;  /* LOCK on a non-RMW op */
    }
}

/* ---- the table ----------------------------------------------------------- */

#define F1(name, gen, a, bits, dg, imm, fl, un) { name, gen, { a, 0, 0 }, 1, bits, dg, imm, fl, 0, un }
#define F2(name, gen, a, b, bits, dg, imm, fl, un) { name, gen, { a, b, 0 }, 2, bits, dg, imm, fl, 0, un }
#define F2E(name, gen, a, b, bits, eb) { name, gen, { a, b, 0 }, 2, bits, 0, 0, 0, eb, 0 }
#define D(n) (1u << (n))

#define ALU(N, n, un)                                                                              \
    F1(#N "_EbGb", gen_modrm, (n) * 8 + 0, 8, 0, 0, (n) == 7 ? 0 : FL_LOCK, un),                  \
    F1(#N "_EvGv_w", gen_modrm, (n) * 8 + 1, 16, 0, 0, (n) == 7 ? 0 : FL_LOCK, un),               \
    F1(#N "_EvGv_d", gen_modrm, (n) * 8 + 1, 32, 0, 0, (n) == 7 ? 0 : FL_LOCK, un),               \
    F1(#N "_GbEb", gen_modrm, (n) * 8 + 2, 8, 0, 0, 0, un),                                       \
    F1(#N "_GvEv_w", gen_modrm, (n) * 8 + 3, 16, 0, 0, 0, un),                                    \
    F1(#N "_GvEv_d", gen_modrm, (n) * 8 + 3, 32, 0, 0, 0, un),                                    \
    F1(#N "_ALIb", gen_acc_imm, (n) * 8 + 4, 8, 0, 1, 0, un),                                     \
    F1(#N "_eAXIv_w", gen_acc_imm, (n) * 8 + 5, 16, 0, 2, 0, un),                                 \
    F1(#N "_eAXIv_d", gen_acc_imm, (n) * 8 + 5, 32, 0, 4, 0, un),                                 \
    F1(#N "_EbIb", gen_modrm, 0x80, 8, D(n), 1, ((n) == 7 ? 0 : FL_LOCK) | FL_ALIAS82, un),       \
    F1(#N "_EvIv_w", gen_modrm, 0x81, 16, D(n), 2, (n) == 7 ? 0 : FL_LOCK, un),                   \
    F1(#N "_EvIv_d", gen_modrm, 0x81, 32, D(n), 4, (n) == 7 ? 0 : FL_LOCK, un),                   \
    F1(#N "_EvIb_w", gen_modrm, 0x83, 16, D(n), 1, (n) == 7 ? 0 : FL_LOCK, un),                   \
    F1(#N "_EvIb_d", gen_modrm, 0x83, 32, D(n), 1, (n) == 7 ? 0 : FL_LOCK, un)

#define V2(N, gen, a, dg, imm16, imm32, fl, un) \
    F1(#N "_w", gen, a, 16, dg, imm16, fl, un), F1(#N "_d", gen, a, 32, dg, imm32, fl, un)
#define V2x(N, gen, a, b, fl, un) \
    F2(#N "_w", gen, a, b, 16, 0, 0, fl, un), F2(#N "_d", gen, a, b, 32, 0, 0, fl, un)

const struct form diff_forms[] = {
    ALU(ADD, 0, 0), ALU(OR, 1, F_AF), ALU(ADC, 2, 0), ALU(SBB, 3, 0),
    ALU(AND, 4, F_AF), ALU(SUB, 5, 0), ALU(XOR, 6, F_AF), ALU(CMP, 7, 0),

    F1("TEST_EbGb", gen_modrm, 0x84, 8, 0, 0, 0, F_AF),
    V2(TEST_EvGv, gen_modrm, 0x85, 0, 0, 0, 0, F_AF),
    F1("TEST_ALIb", gen_acc_imm, 0xA8, 8, 0, 1, 0, F_AF),
    V2(TEST_eAXIv, gen_acc_imm, 0xA9, 0, 2, 4, 0, F_AF),
    F1("TEST_EbIb", gen_modrm, 0xF6, 8, D(0) | D(1), 1, 0, F_AF),
    V2(TEST_EvIv, gen_modrm, 0xF7, D(0) | D(1), 2, 4, 0, F_AF),
    F1("XCHG_EbGb", gen_modrm, 0x86, 8, 0, 0, FL_LOCK, 0),
    V2(XCHG_EvGv, gen_modrm, 0x87, 0, 0, 0, FL_LOCK, 0),
    V2(XCHG_eAXr, gen_opreg, 0x90, 0, 0, 0, 0, 0),
    F1("MOV_EbGb", gen_modrm, 0x88, 8, 0, 0, 0, 0),
    V2(MOV_EvGv, gen_modrm, 0x89, 0, 0, 0, 0, 0),
    F1("MOV_GbEb", gen_modrm, 0x8A, 8, 0, 0, 0, 0),
    V2(MOV_GvEv, gen_modrm, 0x8B, 0, 0, 0, 0, 0),
    F1("MOV_EwSw", gen_mov_sw, 0x8C, 32, 0, 0, 0, 0),
    F1("MOV_ALOb", gen_moffs, 0xA0, 8, 0, 0, 0, 0),
    V2(MOV_eAXOv, gen_moffs, 0xA1, 0, 0, 0, 0, 0),
    F1("MOV_ObAL", gen_moffs, 0xA2, 8, 0, 0, 0, 0),
    V2(MOV_OveAX, gen_moffs, 0xA3, 0, 0, 0, 0, 0),
    F1("MOV_rbIb", gen_opreg, 0xB0, 8, 0, 1, 0, 0),
    V2(MOV_rvIv, gen_opreg, 0xB8, 0, 2, 4, 0, 0),
    F1("MOV_EbIb", gen_modrm, 0xC6, 8, D(0), 1, 0, 0),
    V2(MOV_EvIv, gen_modrm, 0xC7, D(0), 2, 4, 0, 0),
    V2(LEA, gen_lea, 0x8D, 0, 0, 0, FL_MEMONLY, 0),

    V2(INC_r, gen_opreg, 0x40, 0, 0, 0, 0, 0),
    V2(DEC_r, gen_opreg, 0x48, 0, 0, 0, 0, 0),
    F1("INC_Eb", gen_modrm, 0xFE, 8, D(0), 0, FL_LOCK, 0),
    F1("DEC_Eb", gen_modrm, 0xFE, 8, D(1), 0, FL_LOCK, 0),
    V2(INC_Ev, gen_modrm, 0xFF, D(0), 0, 0, FL_LOCK, 0),
    V2(DEC_Ev, gen_modrm, 0xFF, D(1), 0, 0, FL_LOCK, 0),
    F1("NOT_Eb", gen_modrm, 0xF6, 8, D(2), 0, FL_LOCK, 0),
    V2(NOT_Ev, gen_modrm, 0xF7, D(2), 0, 0, FL_LOCK, 0),
    F1("NEG_Eb", gen_modrm, 0xF6, 8, D(3), 0, FL_LOCK, 0),
    V2(NEG_Ev, gen_modrm, 0xF7, D(3), 0, 0, FL_LOCK, 0),
    F1("MUL_Eb", gen_muldiv, 0xF6, 8, D(4), 0, 0, SZAP),
    V2(MUL_Ev, gen_muldiv, 0xF7, D(4), 0, 0, 0, SZAP),
    F1("IMUL_Eb", gen_muldiv, 0xF6, 8, D(5), 0, 0, SZAP),
    V2(IMUL_Ev, gen_muldiv, 0xF7, D(5), 0, 0, 0, SZAP),
    F1("DIV_Eb", gen_muldiv, 0xF6, 8, D(6), 0, 0, ARITH),
    V2(DIV_Ev, gen_muldiv, 0xF7, D(6), 0, 0, 0, ARITH),
    F1("IDIV_Eb", gen_muldiv, 0xF6, 8, D(7), 0, 0, ARITH),
    V2(IDIV_Ev, gen_muldiv, 0xF7, D(7), 0, 0, 0, ARITH),
    V2(IMUL_GvEvIv, gen_modrm, 0x69, 0, 2, 4, 0, SZAP),
    V2(IMUL_GvEvIb, gen_modrm, 0x6B, 0, 1, 1, 0, SZAP),
    V2x(IMUL_GvEv, gen_modrm, 0x0F, 0xAF, 0, SZAP),

    F1("SHIFT_Eb1", gen_shift, 0xD0, 8, 0, 0, 0, 0),
    V2(SHIFT_Ev1, gen_shift, 0xD1, 0, 0, 0, 0, 0),
    F1("SHIFT_EbCL", gen_shift, 0xD2, 8, 0, 0, 0, 0),
    V2(SHIFT_EvCL, gen_shift, 0xD3, 0, 0, 0, 0, 0),
    F1("SHIFT_EbIb", gen_shift, 0xC0, 8, 0, 0, 0, 0),
    V2(SHIFT_EvIb, gen_shift, 0xC1, 0, 0, 0, 0, 0),
    V2x(SHLD_EvGvIb, gen_shxd, 0x0F, 0xA4, 0, 0),
    V2x(SHLD_EvGvCL, gen_shxd, 0x0F, 0xA5, 0, 0),
    V2x(SHRD_EvGvIb, gen_shxd, 0x0F, 0xAC, 0, 0),
    V2x(SHRD_EvGvCL, gen_shxd, 0x0F, 0xAD, 0, 0),

    V2(PUSH_r, gen_opreg, 0x50, 0, 0, 0, FL_STACK, 0),
    V2(POP_r, gen_opreg, 0x58, 0, 0, 0, FL_STACK, 0),
    V2(PUSH_Ev, gen_modrm, 0xFF, D(6), 0, 0, FL_STACK, 0),
    V2(POP_Ev, gen_modrm, 0x8F, D(0), 0, 0, FL_STACK | FL_POPBIAS, 0),
    V2(PUSH_Iv, gen_plain, 0x68, 0, 2, 4, FL_STACK, 0),
    V2(PUSH_Ib, gen_plain, 0x6A, 0, 1, 1, FL_STACK, 0),
    V2(PUSH_seg, gen_push_seg, 0x06, 0, 0, 0, FL_STACK, 0),
    V2(PUSHA, gen_plain, 0x60, 0, 0, 0, FL_STACK, 0),
    V2(POPA, gen_plain, 0x61, 0, 0, 0, FL_STACK, 0),
    V2(PUSHF, gen_plain, 0x9C, 0, 0, 0, FL_STACK, 0),
    V2(POPF, gen_popf, 0x9D, 0, 0, 0, FL_STACK, 0),
    F1("SAHF", gen_plain, 0x9E, 32, 0, 0, 0, 0),
    F1("LAHF", gen_plain, 0x9F, 32, 0, 0, 0, 0),
    V2(ENTER, gen_enter, 0xC8, 0, 0, 0, FL_STACK, 0),
    V2(LEAVE, gen_leave, 0xC9, 0, 0, 0, FL_MEM, 0),
    V2(BOUND, gen_bound, 0x62, 0, 0, 0, FL_MEMONLY, 0),

    F1("DAA", gen_bcd, 0x27, 8, 0, 0, 0, F_OF),
    F1("DAS", gen_bcd, 0x2F, 8, 0, 0, 0, F_OF),
    F1("AAA", gen_bcd, 0x37, 8, 0, 0, 0, F_OF | F_SF | F_ZF | F_PF),
    F1("AAS", gen_bcd, 0x3F, 8, 0, 0, 0, F_OF | F_SF | F_ZF | F_PF),
    F1("AAM", gen_bcd, 0xD4, 8, 0, 1, 0, F_OF | F_AF | F_CF),
    F1("AAD", gen_bcd, 0xD5, 8, 0, 1, 0, F_OF | F_AF | F_CF),
    F1("SALC", gen_plain, 0xD6, 32, 0, 0, 0, 0),
    F1("XLAT", gen_xlat, 0xD7, 32, 0, 0, FL_MEM, 0),
    V2(CBW, gen_plain, 0x98, 0, 0, 0, 0, 0),
    V2(CWD, gen_plain, 0x99, 0, 0, 0, 0, 0),

    F1("JO", gen_jcc8, 0x70, 32, 0, 0, 0, 0), F1("JNO", gen_jcc8, 0x71, 32, 0, 0, 0, 0),
    F1("JB", gen_jcc8, 0x72, 32, 0, 0, 0, 0), F1("JAE", gen_jcc8, 0x73, 32, 0, 0, 0, 0),
    F1("JE", gen_jcc8, 0x74, 32, 0, 0, 0, 0), F1("JNE", gen_jcc8, 0x75, 32, 0, 0, 0, 0),
    F1("JBE", gen_jcc8, 0x76, 32, 0, 0, 0, 0), F1("JA", gen_jcc8, 0x77, 32, 0, 0, 0, 0),
    F1("JS", gen_jcc8, 0x78, 32, 0, 0, 0, 0), F1("JNS", gen_jcc8, 0x79, 32, 0, 0, 0, 0),
    F1("JP", gen_jcc8, 0x7A, 32, 0, 0, 0, 0), F1("JNP", gen_jcc8, 0x7B, 32, 0, 0, 0, 0),
    F1("JL", gen_jcc8, 0x7C, 32, 0, 0, 0, 0), F1("JGE", gen_jcc8, 0x7D, 32, 0, 0, 0, 0),
    F1("JLE", gen_jcc8, 0x7E, 32, 0, 0, 0, 0), F1("JG", gen_jcc8, 0x7F, 32, 0, 0, 0, 0),
    V2(JMP_J, gen_jmp_rel, 0xE9, 0, 0, 0, 0, 0),
    V2(CALL_J, gen_jmp_rel, 0xE8, 0, 0, 0, FL_STACK, 0),
    V2(JMP_Ev, gen_jmp_ev, 0xFF, D(4), 0, 0, 0, 0),
    V2(CALL_Ev, gen_jmp_ev, 0xFF, D(2), 0, 0, FL_STACK, 0),
    V2(RET, gen_ret, 0xC3, 0, 0, 0, FL_STACK, 0),
    V2(RET_Iw, gen_ret, 0xC2, 0, 2, 2, FL_STACK, 0),
    V2(LOOPNE, gen_loop, 0xE0, 0, 0, 0, 0, 0),
    V2(LOOPE, gen_loop, 0xE1, 0, 0, 0, 0, 0),
    V2(LOOP, gen_loop, 0xE2, 0, 0, 0, 0, 0),
    V2(JCXZ, gen_loop, 0xE3, 0, 0, 0, 0, 0),
    F1("INT3", gen_plain, 0xCC, 32, 0, 0, 0, 0),
    F1("INTO", gen_plain, 0xCE, 32, 0, 0, 0, 0),
    F1("INT1", gen_plain, 0xF1, 32, 0, 0, 0, 0),

    F1("MOVSB", gen_string, 0xA4, 8, 0, 0, FL_MEM, 0), V2(MOVS, gen_string, 0xA5, 0, 0, 0, FL_MEM, 0),
    F1("CMPSB", gen_string, 0xA6, 8, 0, 0, FL_MEM, 0), V2(CMPS, gen_string, 0xA7, 0, 0, 0, FL_MEM, 0),
    F1("STOSB", gen_string, 0xAA, 8, 0, 0, FL_MEM, 0), V2(STOS, gen_string, 0xAB, 0, 0, 0, FL_MEM, 0),
    F1("LODSB", gen_string, 0xAC, 8, 0, 0, FL_MEM, 0), V2(LODS, gen_string, 0xAD, 0, 0, 0, FL_MEM, 0),
    F1("SCASB", gen_string, 0xAE, 8, 0, 0, FL_MEM, 0), V2(SCAS, gen_string, 0xAF, 0, 0, 0, FL_MEM, 0),

    F1("CMC", gen_plain, 0xF5, 32, 0, 0, 0, 0),
    F1("CLC", gen_plain, 0xF8, 32, 0, 0, 0, 0),
    F1("STC", gen_plain, 0xF9, 32, 0, 0, 0, 0),
    F1("CLD", gen_plain, 0xFC, 32, 0, 0, 0, 0),
    F1("STD", gen_plain, 0xFD, 32, 0, 0, 0, 0),
    F1("WAIT", gen_plain, 0x9B, 32, 0, 0, 0, 0),
    F2("UD2", gen_plain, 0x0F, 0x0B, 32, 0, 0, 0, 0),
    F1("INVALID", gen_invalid, 0xFE, 32, 0, 0, 0, 0),

    V2x(CMOV, gen_cmov, 0x0F, 0x40, 0, 0),
    V2x(JCC_Jv, gen_jccv, 0x0F, 0x80, 0, 0),
    F2("SETCC", gen_setcc, 0x0F, 0x90, 8, 0, 0, 0, 0),
    V2x(BT_EvGv, gen_bt, 0x0F, 0xA3, 0, 0),
    V2x(BTS_EvGv, gen_bt, 0x0F, 0xAB, FL_LOCK, 0),
    V2x(BTR_EvGv, gen_bt, 0x0F, 0xB3, FL_LOCK, 0),
    V2x(BTC_EvGv, gen_bt, 0x0F, 0xBB, FL_LOCK, 0),
    F2("BT_EvIb_w", gen_modrm, 0x0F, 0xBA, 16, D(4), 1, 0, F_OF | F_SF | F_AF | F_PF),
    F2("BT_EvIb_d", gen_modrm, 0x0F, 0xBA, 32, D(4), 1, 0, F_OF | F_SF | F_AF | F_PF),
    F2("BTS_EvIb_w", gen_modrm, 0x0F, 0xBA, 16, D(5), 1, FL_LOCK, F_OF | F_SF | F_AF | F_PF),
    F2("BTS_EvIb_d", gen_modrm, 0x0F, 0xBA, 32, D(5), 1, FL_LOCK, F_OF | F_SF | F_AF | F_PF),
    F2("BTR_EvIb_w", gen_modrm, 0x0F, 0xBA, 16, D(6), 1, FL_LOCK, F_OF | F_SF | F_AF | F_PF),
    F2("BTR_EvIb_d", gen_modrm, 0x0F, 0xBA, 32, D(6), 1, FL_LOCK, F_OF | F_SF | F_AF | F_PF),
    F2("BTC_EvIb_w", gen_modrm, 0x0F, 0xBA, 16, D(7), 1, FL_LOCK, F_OF | F_SF | F_AF | F_PF),
    F2("BTC_EvIb_d", gen_modrm, 0x0F, 0xBA, 32, D(7), 1, FL_LOCK, F_OF | F_SF | F_AF | F_PF),
    V2x(BSF, gen_bsf, 0x0F, 0xBC, 0, 0),
    V2x(BSR, gen_bsf, 0x0F, 0xBD, 0, 0),
    F2("CMPXCHG_EbGb", gen_cmpxchg, 0x0F, 0xB0, 8, 0, 0, FL_LOCK, 0),
    V2x(CMPXCHG_EvGv, gen_cmpxchg, 0x0F, 0xB1, FL_LOCK, 0),
    F2("CMPXCHG8B", gen_cmpxchg8b, 0x0F, 0xC7, 32, D(1), 0, FL_LOCK | FL_MEMONLY, 0),
    F2("XADD_EbGb", gen_modrm, 0x0F, 0xC0, 8, 0, 0, FL_LOCK, 0),
    V2x(XADD_EvGv, gen_modrm, 0x0F, 0xC1, FL_LOCK, 0),
    F2E("MOVZX_GvEb_w", gen_modrm, 0x0F, 0xB6, 16, 8), F2E("MOVZX_GvEb_d", gen_modrm, 0x0F, 0xB6, 32, 8),
    F2E("MOVZX_GvEw_w", gen_modrm, 0x0F, 0xB7, 16, 16), F2E("MOVZX_GvEw_d", gen_modrm, 0x0F, 0xB7, 32, 16),
    F2E("MOVSX_GvEb_w", gen_modrm, 0x0F, 0xBE, 16, 8), F2E("MOVSX_GvEb_d", gen_modrm, 0x0F, 0xBE, 32, 8),
    F2E("MOVSX_GvEw_w", gen_modrm, 0x0F, 0xBF, 16, 16), F2E("MOVSX_GvEw_d", gen_modrm, 0x0F, 0xBF, 32, 16),
    F2("BSWAP", gen_opreg, 0x0F, 0xC8, 32, 0, 0, 0, 0),
    { "ARPL", gen_modrm, { 0x63, 0, 0 }, 1, 32, 0, 0, 0, 16, 0 }, /* always 16-bit operands, no 66h */
};
const unsigned diff_nforms = sizeof(diff_forms) / sizeof(diff_forms[0]);

const struct exclusion diff_exclusions[] = {
    { "NOP", "not produced by the P6 decoder (the 8086's prefix-run placeholder); 90h decodes as XCHG_eAXr" },
    { "MOV_SwEw", "segment load: descriptor checks differ (CPL 3 vs 0) - SingleStepTests" },
    { "LES_w", "segment load - SingleStepTests" }, { "LES_d", "segment load - SingleStepTests" },
    { "LDS_w", "segment load - SingleStepTests" }, { "LDS_d", "segment load - SingleStepTests" },
    { "LSS_w", "segment load - SingleStepTests" }, { "LSS_d", "segment load - SingleStepTests" },
    { "LFS_w", "segment load - SingleStepTests" }, { "LFS_d", "segment load - SingleStepTests" },
    { "LGS_w", "segment load - SingleStepTests" }, { "LGS_d", "segment load - SingleStepTests" },
    { "POP_seg_w", "segment load - SingleStepTests" }, { "POP_seg_d", "segment load - SingleStepTests" },
    { "JMP_Ap_w", "far transfer (segment load) - SingleStepTests" },
    { "JMP_Ap_d", "far transfer (segment load) - SingleStepTests" },
    { "CALL_Ap_w", "far transfer (segment load) - SingleStepTests" },
    { "CALL_Ap_d", "far transfer (segment load) - SingleStepTests" },
    { "JMP_Ep_w", "far transfer (segment load) - SingleStepTests" },
    { "JMP_Ep_d", "far transfer (segment load) - SingleStepTests" },
    { "CALL_Ep_w", "far transfer (segment load) - SingleStepTests" },
    { "CALL_Ep_d", "far transfer (segment load) - SingleStepTests" },
    { "RETF_w", "far transfer (segment load) - SingleStepTests" },
    { "RETF_d", "far transfer (segment load) - SingleStepTests" },
    { "RETF_Iw_w", "far transfer (segment load) - SingleStepTests" },
    { "RETF_Iw_d", "far transfer (segment load) - SingleStepTests" },
    { "IRET_w", "far transfer (segment load, privilege) - SingleStepTests" },
    { "IRET_d", "far transfer (segment load, privilege) - SingleStepTests" },
    { "INT_Ib", "IDT gates: #GP at CPL 3 on the host (DPL 0), delivered at CPL 0 in Popek - SingleStepTests" },
    { "INSB", "port I/O: #GP at CPL 3 with IOPL 0 - SingleStepTests" },
    { "INS_w", "port I/O - SingleStepTests" }, { "INS_d", "port I/O - SingleStepTests" },
    { "OUTSB", "port I/O - SingleStepTests" }, { "OUTS_w", "port I/O - SingleStepTests" },
    { "OUTS_d", "port I/O - SingleStepTests" },
    { "IN_ALIb", "port I/O - SingleStepTests" }, { "IN_eAXIb_w", "port I/O - SingleStepTests" },
    { "IN_eAXIb_d", "port I/O - SingleStepTests" }, { "OUT_IbAL", "port I/O - SingleStepTests" },
    { "OUT_IbeAX_w", "port I/O - SingleStepTests" }, { "OUT_IbeAX_d", "port I/O - SingleStepTests" },
    { "IN_ALDX", "port I/O - SingleStepTests" }, { "IN_eAXDX_w", "port I/O - SingleStepTests" },
    { "IN_eAXDX_d", "port I/O - SingleStepTests" }, { "OUT_DXAL", "port I/O - SingleStepTests" },
    { "OUT_DXeAX_w", "port I/O - SingleStepTests" }, { "OUT_DXeAX_d", "port I/O - SingleStepTests" },
    { "HLT", "privileged (CPL 0)" },
    { "CLI", "IOPL-sensitive: #GP at CPL 3 - SingleStepTests" },
    { "STI", "IOPL-sensitive: #GP at CPL 3 - SingleStepTests" },
    { "GRP6", "system (SLDT STR LLDT LTR VERR VERW): descriptor tables differ" },
    { "GRP7", "system (SGDT SIDT LGDT LIDT SMSW LMSW INVLPG): privileged or UMIP-emulated by the host kernel" },
    { "LAR_w", "descriptor tables differ (host GDT/LDT vs Popek's) - unit tests" },
    { "LAR_d", "descriptor tables differ (host GDT/LDT vs Popek's) - unit tests" },
    { "LSL_w", "descriptor tables differ (host GDT/LDT vs Popek's) - unit tests" },
    { "LSL_d", "descriptor tables differ (host GDT/LDT vs Popek's) - unit tests" },
    { "CLTS", "privileged" }, { "INVD", "privileged" }, { "WBINVD", "privileged" },
    { "MOV_RdCd", "privileged" }, { "MOV_CdRd", "privileged" }, { "MOV_RdDd", "privileged" },
    { "MOV_DdRd", "privileged" }, { "WRMSR", "privileged" }, { "RDMSR", "privileged" },
    { "RDTSC", "time-dependent result" }, { "RDPMC", "privileged unless CR4.PCE; counter values differ" },
    { "CPUID", "model-specific result (host vs Pentium Pro): tests/unit/test_cpu_cpuid.c" },
};
const unsigned diff_nexclusions = sizeof(diff_exclusions) / sizeof(diff_exclusions[0]);

/* ---- x87 ------------------------------------------------------------------ */

#define XM(name, opc, d, kind) { name, opc, d, true, -1, kind, false }
#define XR(name, opc, d) { name, opc, d, false, -1, X87_NONE, false }
#define XF(name, opc, modrm, tr) { name, opc, ((modrm) >> 3) & 7, false, (modrm) & 7, X87_NONE, tr }
#define XARITH(opc, sfx, kind)                                                                      \
    XM("FADD " sfx, opc, 0, kind), XM("FMUL " sfx, opc, 1, kind), XM("FCOM " sfx, opc, 2, kind),    \
    XM("FCOMP " sfx, opc, 3, kind), XM("FSUB " sfx, opc, 4, kind), XM("FSUBR " sfx, opc, 5, kind),  \
    XM("FDIV " sfx, opc, 6, kind), XM("FDIVR " sfx, opc, 7, kind)
#define XIARITH(opc, sfx, kind)                                                                     \
    XM("FIADD " sfx, opc, 0, kind), XM("FIMUL " sfx, opc, 1, kind), XM("FICOM " sfx, opc, 2, kind), \
    XM("FICOMP " sfx, opc, 3, kind), XM("FISUB " sfx, opc, 4, kind), XM("FISUBR " sfx, opc, 5, kind), \
    XM("FIDIV " sfx, opc, 6, kind), XM("FIDIVR " sfx, opc, 7, kind)

const struct x87_form diff_x87_forms[] = {
    XARITH(0xD8, "m32fp", X87_F32),
    XR("FADD ST0,STi", 0xD8, 0), XR("FMUL ST0,STi", 0xD8, 1), XR("FCOM STi", 0xD8, 2), XR("FCOMP STi", 0xD8, 3),
    XR("FSUB ST0,STi", 0xD8, 4), XR("FSUBR ST0,STi", 0xD8, 5), XR("FDIV ST0,STi", 0xD8, 6),
    XR("FDIVR ST0,STi", 0xD8, 7),
    XM("FLD m32fp", 0xD9, 0, X87_F32), XM("FST m32fp", 0xD9, 2, X87_F32), XM("FSTP m32fp", 0xD9, 3, X87_F32),
    XM("FLDENV", 0xD9, 4, X87_ENV), XM("FLDCW", 0xD9, 5, X87_W16), XM("FNSTENV", 0xD9, 6, X87_ENV),
    XM("FNSTCW", 0xD9, 7, X87_W16),
    XR("FLD STi", 0xD9, 0), XR("FXCH STi", 0xD9, 1), XF("FNOP", 0xD9, 0xD0, false),
    XF("FCHS", 0xD9, 0xE0, false), XF("FABS", 0xD9, 0xE1, false), XF("FTST", 0xD9, 0xE4, false),
    XF("FXAM", 0xD9, 0xE5, false), XF("FLD1", 0xD9, 0xE8, false), XF("FLDL2T", 0xD9, 0xE9, false),
    XF("FLDL2E", 0xD9, 0xEA, false), XF("FLDPI", 0xD9, 0xEB, false), XF("FLDLG2", 0xD9, 0xEC, false),
    XF("FLDLN2", 0xD9, 0xED, false), XF("FLDZ", 0xD9, 0xEE, false), XF("F2XM1", 0xD9, 0xF0, true),
    XF("FYL2X", 0xD9, 0xF1, true), XF("FPTAN", 0xD9, 0xF2, true), XF("FPATAN", 0xD9, 0xF3, true),
    XF("FXTRACT", 0xD9, 0xF4, false), XF("FPREM1", 0xD9, 0xF5, false), XF("FDECSTP", 0xD9, 0xF6, false),
    XF("FINCSTP", 0xD9, 0xF7, false), XF("FPREM", 0xD9, 0xF8, false), XF("FYL2XP1", 0xD9, 0xF9, true),
    XF("FSQRT", 0xD9, 0xFA, false), XF("FSINCOS", 0xD9, 0xFB, true), XF("FRNDINT", 0xD9, 0xFC, false),
    XF("FSCALE", 0xD9, 0xFD, false), XF("FSIN", 0xD9, 0xFE, true), XF("FCOS", 0xD9, 0xFF, true),
    XIARITH(0xDA, "m32int", X87_I32),
    XR("FCMOVB", 0xDA, 0), XR("FCMOVE", 0xDA, 1), XR("FCMOVBE", 0xDA, 2), XR("FCMOVU", 0xDA, 3),
    XF("FUCOMPP", 0xDA, 0xE9, false),
    XM("FILD m32int", 0xDB, 0, X87_I32), XM("FIST m32int", 0xDB, 2, X87_I32), XM("FISTP m32int", 0xDB, 3, X87_I32),
    XM("FLD m80fp", 0xDB, 5, X87_F80), XM("FSTP m80fp", 0xDB, 7, X87_F80),
    XR("FCMOVNB", 0xDB, 0), XR("FCMOVNE", 0xDB, 1), XR("FCMOVNBE", 0xDB, 2), XR("FCMOVNU", 0xDB, 3),
    XF("FNCLEX", 0xDB, 0xE2, false), XF("FNINIT", 0xDB, 0xE3, false), XR("FUCOMI", 0xDB, 5),
    XR("FCOMI", 0xDB, 6),
    XARITH(0xDC, "m64fp", X87_F64),
    XR("FADD STi,ST0", 0xDC, 0), XR("FMUL STi,ST0", 0xDC, 1), XR("FSUBR STi,ST0", 0xDC, 4),
    XR("FSUB STi,ST0", 0xDC, 5), XR("FDIVR STi,ST0", 0xDC, 6), XR("FDIV STi,ST0", 0xDC, 7),
    XM("FLD m64fp", 0xDD, 0, X87_F64), XM("FST m64fp", 0xDD, 2, X87_F64), XM("FSTP m64fp", 0xDD, 3, X87_F64),
    XM("FRSTOR", 0xDD, 4, X87_SAVE), XM("FNSAVE", 0xDD, 6, X87_SAVE), XM("FNSTSW m16", 0xDD, 7, X87_W16),
    XR("FFREE STi", 0xDD, 0), XR("FST STi", 0xDD, 2), XR("FSTP STi", 0xDD, 3), XR("FUCOM STi", 0xDD, 4),
    XR("FUCOMP STi", 0xDD, 5),
    XIARITH(0xDE, "m16int", X87_I16),
    XR("FADDP STi,ST0", 0xDE, 0), XR("FMULP STi,ST0", 0xDE, 1), XF("FCOMPP", 0xDE, 0xD9, false),
    XR("FSUBRP STi,ST0", 0xDE, 4), XR("FSUBP STi,ST0", 0xDE, 5), XR("FDIVRP STi,ST0", 0xDE, 6),
    XR("FDIVP STi,ST0", 0xDE, 7),
    XM("FILD m16int", 0xDF, 0, X87_I16), XM("FIST m16int", 0xDF, 2, X87_I16), XM("FISTP m16int", 0xDF, 3, X87_I16),
    XM("FBLD m80bcd", 0xDF, 4, X87_BCD), XM("FILD m64int", 0xDF, 5, X87_I64), XM("FBSTP m80bcd", 0xDF, 6, X87_BCD),
    XM("FISTP m64int", 0xDF, 7, X87_I64),
    XF("FNSTSW AX", 0xDF, 0xE0, false), XR("FUCOMIP", 0xDF, 5), XR("FCOMIP", 0xDF, 6),
};
const unsigned diff_nx87_forms = sizeof(diff_x87_forms) / sizeof(diff_x87_forms[0]);

/* An 80-bit value: zeros, denormals, normals near 1 and over the whole
 * range, integers, values near multiples of pi/2, infinities, NaNs. */
static void ext80(struct rng *r, uint8_t out[10])
{
    uint64_t m = (uint64_t)rng_next(r) << 32 | rng_next(r);
    uint32_t sign = rng_next(r) & 1;
    uint32_t e;
    switch (rng_below(r, 10)) {
    case 0: e = 0; m = 0; break;                                      /* zero */
    case 1: e = 0; m &= ~(1ull << 63); m |= m == 0; break;            /* denormal */
    case 2: e = 0x7FFF; m = 1ull << 63; break;                        /* infinity */
    case 3: e = 0x7FFF; m |= 3ull << 62; break;                       /* QNaN */
    case 4: e = 0x7FFF; m = (m | 1ull << 63) & ~(1ull << 62); m |= m == 1ull << 63; break; /* SNaN */
    case 5: e = 0x3FFF + rng_below(r, 64); m = (m | 1ull << 63) & ~((1ull << (63 - (e - 0x3FFF))) - 1); break; /* integer */
    case 6: e = 0x3FFF + rng_below(r, 3); m = 0xC90FDAA22168C235ull + rng_below(r, 5) - 2; break; /* ~pi/2, pi, 2pi */
    case 7: e = rng_below(r, 0x7FFE) + 1; m |= 1ull << 63; break;     /* any normal */
    default: e = 0x3FFF - 8 + rng_below(r, 17); m |= 1ull << 63; break; /* near 1 */
    }
    memcpy(out, &m, 8);
    out[8] = (uint8_t)e;
    out[9] = (uint8_t)(e >> 8 | sign << 7);
}

static unsigned tag_of(const uint8_t v[10])
{
    uint64_t m;
    memcpy(&m, v, 8);
    unsigned e = (v[8] | v[9] << 8) & 0x7FFF;
    if (e == 0)
        return m == 0 ? 1 : 2;
    if (e == 0x7FFF || !(m >> 63))
        return 2;
    return 0;
}

/* An FSAVE image with random contents of the kinds the FPU can hold. */
static void fsave_image(struct rng *r, uint8_t *img, bool unmask)
{
    memset(img, 0, DIFF_FSAVE_SIZE);
    uint16_t cw = 0x037F;
    if (rng_below(r, 2))
        cw = (uint16_t)((cw & ~0x0F00u) | (rng_next(r) & 0x0F00u)); /* rounding and precision control */
    if (unmask && rng_below(r, 4) == 0)
        cw = (uint16_t)(cw & ~(rng_next(r) & 0x3Fu));
    unsigned top = rng_below(r, 8);
    uint16_t sw = (uint16_t)((top << 11) | (rng_next(r) & 0x4700u));
    uint16_t tw = 0;
    for (unsigned st = 0; st < 8; st++) {
        uint8_t *v = img + 28 + 10 * st;
        ext80(r, v);
        unsigned phys = (top + st) & 7;
        unsigned tag = rng_below(r, 4) == 0 ? 3 : tag_of(v);
        tw = (uint16_t)(tw | tag << (2 * phys));
    }
    memcpy(img + 0, &cw, 2);
    memcpy(img + 4, &sw, 2);
    memcpy(img + 8, &tw, 2);
}

void diff_x87_gen(const struct x87_form *f, struct rng *r, unsigned i, struct tcase *t)
{
    (void)i;
    tc_begin(t, r, NULL);
    t->in.flags |= DIFF_IN_FPU;
    fsave_image(r, t->fsave, true);
    emit(t, f->opc);
    if (!f->mem) {
        unsigned rm = f->rm >= 0 ? (unsigned)f->rm : rng_below(r, 8);
        emit(t, (uint8_t)(0xC0 | f->digit << 3 | rm));
        t->variant = VAR_REG;
        return;
    }
    static const uint8_t sizes[] = { [X87_F32] = 4, [X87_F64] = 8, [X87_F80] = 10, [X87_I16] = 2, [X87_I32] = 4,
                                     [X87_I64] = 8, [X87_BCD] = 10, [X87_ENV] = 28, [X87_SAVE] = 108,
                                     [X87_W16] = 2 };
    unsigned size = sizes[f->kind];
    uint32_t a = f->kind == X87_SAVE ? DIFF_AREA : data_addr(r, size);
    uint8_t img[DIFF_FSAVE_SIZE];
    switch (f->kind) {
    case X87_F32: {
        static const uint32_t e[] = { 0, 0x80000000u, 1, 0x007FFFFF, 0x00800000, 0x3F800000, 0x7F7FFFFF,
                                      0x7F800000, 0xFF800000, 0x7FC00000, 0x7F800001, 0x4B000000 };
        put_area(t, a, rng_below(r, 2) ? e[rng_below(r, 12)] : rng_next(r), 4);
        break;
    }
    case X87_F64: {
        static const uint64_t e[] = { 0, 1ull << 63, 1, 0x000FFFFFFFFFFFFFull, 0x0010000000000000ull,
                                      0x3FF0000000000000ull, 0x7FEFFFFFFFFFFFFFull, 0x7FF0000000000000ull,
                                      0x7FF8000000000000ull, 0x7FF0000000000001ull, 0x4330000000000000ull };
        uint64_t v = rng_below(r, 2) ? e[rng_below(r, 11)] : ((uint64_t)rng_next(r) << 32 | rng_next(r));
        put_area(t, a, (uint32_t)v, 4);
        put_area(t, a + 4, (uint32_t)(v >> 32), 4);
        break;
    }
    case X87_F80: {
        uint8_t v[10];
        ext80(r, v);
        for (unsigned k = 0; k < 10; k++)
            put_area(t, a + k, v[k], 1);
        break;
    }
    case X87_I16: case X87_I32: case X87_I64:
        put_area(t, a, val(r, 32), 4);
        if (f->kind == X87_I64)
            put_area(t, a + 4, regval(r, 32), 4);
        break;
    case X87_BCD:
        for (unsigned k = 0; k < 9; k++)
            put_area(t, a + k, rng_below(r, 8) ? (rng_below(r, 10) << 4 | rng_below(r, 10)) : rng_next(r), 1);
        put_area(t, a + 9, rng_next(r) & 0x80, 1);
        break;
    case X87_ENV: case X87_SAVE:
        fsave_image(r, img, false);
        for (unsigned k = 0; k < size; k++)
            put_area(t, a + k, img[k], 1);
        break;
    case X87_W16:
        put_area(t, a, 0x0300 | (rng_next(r) & 0x0C3F), 2);
        break;
    default:
        break;
    }
    emit_mem(t, r, f->digit, a, 0, false, 0);
    if (f->kind == X87_ENV || f->kind == X87_SAVE) {
        /* FIP, FCS, FOP, FDP, FDS and the reserved word after FDS: AMD
         * stores the pointers only with an exception pending, and Intel
         * deprecates FCS/FDS (CPUID.7:EBX[13]). */
        t->mem_undef_off = (uint8_t)(a - DIFF_AREA + 12);
        t->mem_undef_len = 16;
    }
}
