/* The x87 FPU: the register stack and tag word, the status and control
 * words, exception signalling (#MF with CR0.NE=1, FERR# otherwise), the
 * environment and state images, and the decoding of the D8-DF escapes
 * (SDM vol. 1 ch. 8, vol. 2 "FADD" ... "FYL2XP1", opcode map A.4).  The
 * arithmetic itself is in f80.c and fpu_trans.c. */
#include "cpu/fpu.h"

#include "cpu/operand.h"

#define CW_MASKS 0x3Fu
#define SW_EXC 0x3Fu
#define SW_CC (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3)

void fpu_reset(struct fpu *f)
{
    f->cw = 0x037F;
    f->sw = 0;
    f->top = 0;
    f->empty = 0xFF;
    f->fip = f->fdp = 0;
    f->fcs = f->fds = f->fop = 0;
}

void cpu_set_ferr(struct cpu *c, void (*ferr)(void *opaque, bool level), void *opaque)
{
    c->fpu.ferr = ferr;
    c->fpu.ferr_opaque = opaque;
}

static bool has_fpu(const struct cpu *c)
{
    return c->mi->model >= CPU_486 || c->fpu.present;
}

bool cpu_has_fpu(const struct cpu *c)
{
    return has_fpu(c);
}

void cpu_set_fpu(struct cpu *c, bool present)
{
    c->fpu.present = present;
    /* On the 386, CR0.ET tells software whether a 387 is fitted. */
    if (c->mi->model == CPU_386)
        c->cr0 = present ? (c->cr0 | CR0_ET) : (c->cr0 & ~CR0_ET);
}

/* ---- status word, exceptions ------------------------------------------ */
static uint16_t get_sw(const struct fpu *f)
{
    return (uint16_t)((f->sw & ~FSW_TOP) | ((unsigned)f->top << 11));
}

/* Recomputes ES and B from the flags and masks, and drives FERR#. */
static void update_es(struct cpu *c)
{
    struct fpu *f = &c->fpu;
    if (f->sw & ~f->cw & SW_EXC)
        f->sw |= FSW_ES | FSW_B;
    else
        f->sw &= (uint16_t)~(FSW_ES | FSW_B);
    bool level = (f->sw & FSW_ES) && !(c->cr0 & CR0_NE);
    if (level != f->ferr_level) {
        f->ferr_level = level;
        if (f->ferr)
            f->ferr(f->ferr_opaque, level);
    }
}

/* Merges an operation's flags into the status word: sets C1 to its
 * rounded-up indication.  Returns false when the result must not be
 * stored (an unmasked invalid, denormal or zero-divide exception). */
static bool finish(struct cpu *c, const struct f80_env *e)
{
    struct fpu *f = &c->fpu;
    f->sw = (uint16_t)((f->sw & ~FSW_C1) | (e->c1 ? FSW_C1 : 0) | (e->flags & SW_EXC));
    update_es(c);
    return !f80_env_abort(e);
}

/* Stores must not happen with unmasked overflow or underflow either. */
static bool store_ok(const struct f80_env *e)
{
    return !f80_env_abort(e) && !(e->flags & ~e->cw & (FE_OE | FE_UE));
}

static struct f80_env env_of(const struct fpu *f)
{
    return (struct f80_env){ .cw = f->cw };
}

/* A stack fault: overflow (push onto a full register, C1 = 1) or
 * underflow (an empty operand, C1 = 0).  Returns true when IE is masked
 * and the instruction goes on with the indefinite result. */
static bool stack_fault(struct cpu *c, bool overflow)
{
    struct fpu *f = &c->fpu;
    f->sw = (uint16_t)((f->sw & ~FSW_C1) | FE_IE | FE_SF | (overflow ? FSW_C1 : 0));
    update_es(c);
    return (f->cw & FE_IE) != 0;
}

/* ---- the register stack ---------------------------------------------------- */
static unsigned phys(const struct fpu *f, unsigned i)
{
    return (f->top + i) & 7;
}
static bool st_empty(const struct fpu *f, unsigned i)
{
    return (f->empty >> phys(f, i)) & 1;
}
static struct f80 st_get(const struct fpu *f, unsigned i)
{
    return f->st[phys(f, i)];
}
static void st_set(struct fpu *f, unsigned i, struct f80 v)
{
    unsigned p = phys(f, i);
    f->st[p] = v;
    f->empty &= (uint8_t)~(1u << p);
}
static void st_push(struct fpu *f, struct f80 v)
{
    f->top = (f->top - 1) & 7;
    st_set(f, 0, v);
}
static void st_pop(struct fpu *f)
{
    f->empty |= (uint8_t)(1u << f->top);
    f->top = (f->top + 1) & 7;
}
/* Pushes v (C1 = 0), or handles a stack overflow: the masked response
 * pushes the indefinite (C1 = 1). */
static void push_value(struct cpu *c, struct f80 v)
{
    struct fpu *f = &c->fpu;
    if (!st_empty(f, 7)) {
        if (stack_fault(c, true))
            st_push(f, F80_INDEFINITE);
        return;
    }
    f->sw &= (uint16_t)~FSW_C1;
    st_push(f, v);
}

static void set_cc(struct fpu *f, unsigned c3, unsigned c2, unsigned c1, unsigned c0)
{
    f->sw = (uint16_t)((f->sw & ~SW_CC) | (c3 ? FSW_C3 : 0) | (c2 ? FSW_C2 : 0) | (c1 ? FSW_C1 : 0) |
                       (c0 ? FSW_C0 : 0));
}

static unsigned tag_of(const struct fpu *f, unsigned p)
{
    if ((f->empty >> p) & 1)
        return 3;
    switch (f80_classify(f->st[p])) {
    case F80_ZERO: return 1;
    case F80_NORMAL: return 0;
    default: return 2;
    }
}

uint16_t fpu_tag_word(const struct fpu *f)
{
    unsigned tw = 0;
    for (unsigned p = 0; p < 8; p++)
        tw |= tag_of(f, p) << (2 * p);
    return (uint16_t)tw;
}

/* ---- memory operands ---------------------------------------------------- */
static uint32_t addr_mask(const struct insn *in)
{
    return (in->flags & I_A32) ? 0xFFFFFFFFu : 0xFFFFu;
}
static uint32_t rd(struct cpu *c, const struct insn *in, uint32_t a, uint32_t off, unsigned size)
{
    return mem_read(c, in->seg, (a + off) & addr_mask(in), size);
}
static void wr(struct cpu *c, const struct insn *in, uint32_t a, uint32_t off, uint32_t v, unsigned size)
{
    mem_write(c, in->seg, (a + off) & addr_mask(in), v, size);
}
static uint64_t rd64(struct cpu *c, const struct insn *in, uint32_t a, uint32_t off)
{
    uint64_t lo = rd(c, in, a, off, 4);
    return lo | (uint64_t)rd(c, in, a, off + 4, 4) << 32;
}
static void wr64(struct cpu *c, const struct insn *in, uint32_t a, uint32_t off, uint64_t v)
{
    wr(c, in, a, off, (uint32_t)v, 4);
    wr(c, in, a, off + 4, (uint32_t)(v >> 32), 4);
}
static struct f80 rd80(struct cpu *c, const struct insn *in, uint32_t a, uint32_t off)
{
    uint64_t sig = rd64(c, in, a, off);
    return (struct f80){ sig, (uint16_t)rd(c, in, a, off + 8, 2) };
}
static void wr80(struct cpu *c, const struct insn *in, uint32_t a, uint32_t off, struct f80 v)
{
    wr64(c, in, a, off, v.sig);
    wr(c, in, a, off + 8, v.se, 2);
}
/* Checks that a store of size bytes at a can complete, before any state
 * changes (the writes then cannot fault). */
static void wr_probe(struct cpu *c, const struct insn *in, uint32_t a, unsigned size)
{
    for (unsigned off = 0; off < size; off += 4) {
        unsigned n = size - off < 4 ? size - off : 4;
        uint32_t v = rd(c, in, a, off, n);
        wr(c, in, a, off, v, n);
    }
}

/* ---- instruction and data pointers ------------------------------------------ */
static void note_insn(struct cpu *c, const struct insn *in)
{
    struct fpu *f = &c->fpu;
    unsigned modrm;
    if (IS_MEM(in)) {
        /* The ModRM byte with its mod field: read it back from the code. */
        uint32_t cs = c->seg[S_CS].base, ip = c->eip, m = (c->seg[S_CS].attr & 0x4000) ? ~0u : 0xFFFFu;
        unsigned k = 0;
        while (k < 14 && (cpu_read_lin(c, cs + ((ip + k) & m), 1) & 0xF8) != 0xD8)
            k++;
        modrm = cpu_read_lin(c, cs + ((ip + k + 1) & m), 1);
        f->fdp = ea_of(c, in);
        f->fds = c->seg[in->seg].sel;
    } else {
        modrm = 0xC0u | (unsigned)in->reg << 3 | in->rm;
    }
    f->fop = (uint16_t)(((in->opcode & 7u) << 8) | modrm);
    f->fip = c->eip;
    f->fcs = c->seg[S_CS].sel;
}

/* ---- arithmetic ----------------------------------------------------------- */
/* op: the ModRM reg field of D8 (0 FADD 1 FMUL 2 FCOM 3 FCOMP 4 FSUB
 * 5 FSUBR 6 FDIV 7 FDIVR); computes dst = dst op src into ST(dst). */
static struct f80 arith_op(struct f80_env *e, unsigned op, struct f80 a, struct f80 b)
{
    switch (op) {
    case 0: return f80_add(e, a, b, false);
    case 1: return f80_mul(e, a, b);
    case 4: return f80_add(e, a, b, true);
    case 5: return f80_add(e, b, a, true);
    case 6: return f80_div(e, a, b);
    default: return f80_div(e, b, a);
    }
}

static void compare(struct cpu *c, struct f80_env *e, struct f80 a, struct f80 b, bool quiet, unsigned pops)
{
    struct fpu *f = &c->fpu;
    int r = f80_compare(e, a, b, quiet);
    /* The condition codes are set even when the exception is unmasked. */
    set_cc(f, r == 0 || r == 2, r == 2, 0, r < 0 || r == 2);
    if (!finish(c, e))
        return;
    while (pops--)
        st_pop(f);
}

/* FCOM-family with an empty operand: a masked underflow reports unordered. */
static void compare_empty(struct cpu *c, unsigned pops)
{
    if (!stack_fault(c, false))
        return;
    set_cc(&c->fpu, 1, 1, 0, 1);
    while (pops--)
        st_pop(&c->fpu);
}

/* dst (stack index) = ST(dsti) op src; op as arith_op, 2/3 compare. */
static void arith_store(struct cpu *c, unsigned op, unsigned dsti, struct f80 a, struct f80 b, struct f80_env *e,
                        bool pop)
{
    struct fpu *f = &c->fpu;
    if (op == 2 || op == 3) {
        compare(c, e, a, b, false, op == 3);
        return;
    }
    struct f80 r = arith_op(e, op, a, b);
    if (!finish(c, e))
        return;
    st_set(f, dsti, r);
    if (pop)
        st_pop(f);
}

static void arith_empty(struct cpu *c, unsigned op, unsigned dsti, bool pop)
{
    if (op == 2 || op == 3) {
        compare_empty(c, op == 3);
        return;
    }
    if (!stack_fault(c, false))
        return;
    st_set(&c->fpu, dsti, F80_INDEFINITE);
    if (pop)
        st_pop(&c->fpu);
}

/* D8, DA, DC, DE with a memory operand: ST(0) op m32real/m32int/m64real/m16int. */
static void arith_mem(struct cpu *c, const struct insn *in, uint32_t a)
{
    struct fpu *f = &c->fpu;
    struct f80_env e = env_of(f);
    struct f80 b;
    switch (in->opcode) {
    case 0xD8: b = f80_from_f32(&e, rd(c, in, a, 0, 4), true); break;
    case 0xDC: b = f80_from_f64(&e, rd64(c, in, a, 0), true); break;
    case 0xDA: b = f80_from_i64((int32_t)rd(c, in, a, 0, 4)); break;
    default: b = f80_from_i64((int16_t)rd(c, in, a, 0, 2)); break;
    }
    note_insn(c, in);
    if (st_empty(f, 0)) {
        arith_empty(c, in->reg, 0, false);
        return;
    }
    arith_store(c, in->reg, 0, st_get(f, 0), b, &e, false);
}

/* D8, DC, DE with a register operand. */
static void arith_reg(struct cpu *c, const struct insn *in)
{
    struct fpu *f = &c->fpu;
    unsigned op = in->reg, i = in->rm;
    struct f80_env e = env_of(f);
    if (in->opcode == 0xD8) {
        note_insn(c, in);
        if (st_empty(f, 0) || st_empty(f, i))
            arith_empty(c, op, 0, false);
        else
            arith_store(c, op, 0, st_get(f, 0), st_get(f, i), &e, false);
        return;
    }
    bool pop = in->opcode == 0xDE;
    if (op == 2 || op == 3) {
        /* DC D0-DF: aliases of FCOM/FCOMP; DE D0-D7 FCOMP alias; DE D9 FCOMPP. */
        unsigned pops = in->opcode == 0xDC ? op - 2 : op == 2 ? 1 : 2;
        if (in->opcode == 0xDE && op == 3 && i != 1)
            cpu_fault(c, EXC_UD, 0);
        note_insn(c, in);
        if (st_empty(f, 0) || st_empty(f, i))
            compare_empty(c, pops);
        else
            compare(c, &e, st_get(f, 0), st_get(f, i), false, pops);
        return;
    }
    if (op >= 4)
        op ^= 1; /* FSUBR ST(i),ST(0) is ST(i) = ST(0) - ST(i), etc. */
    note_insn(c, in);
    if (st_empty(f, 0) || st_empty(f, i))
        arith_empty(c, op, i, pop);
    else
        arith_store(c, op, i, st_get(f, i), st_get(f, 0), &e, pop);
}

/* ---- loads and stores --------------------------------------------------------- */
static void load_push(struct cpu *c, struct f80 v, struct f80_env *e)
{
    if (!st_empty(&c->fpu, 7)) {
        push_value(c, v);
        return;
    }
    /* An unmasked denormal operand still loads (FLD m32/m64). */
    finish(c, e);
    if (!(e->flags & ~e->cw & FE_IE))
        st_push(&c->fpu, v);
}

/* FST/FSTP/FIST/FISTP/FBSTP/FSTP m80 to memory (kind: 0 m32real, 1 m64real,
 * 2 m32int, 3 m64int, 4 m16int, 5 m80real, 6 m80bcd). */
static void store_mem(struct cpu *c, const struct insn *in, uint32_t a, unsigned kind, bool pop)
{
    static const uint8_t sizes[7] = { 4, 8, 4, 8, 2, 10, 10 };
    struct fpu *f = &c->fpu;
    wr_probe(c, in, a, sizes[kind]);
    note_insn(c, in);
    struct f80 v = st_get(f, 0);
    struct f80_env e = env_of(f);
    if (st_empty(f, 0)) {
        if (!stack_fault(c, false))
            return;
        v = F80_INDEFINITE;
        /* the masked response stores the indefinite of the format */
        switch (kind) {
        case 0: wr(c, in, a, 0, 0xFFC00000u, 4); break;
        case 1: wr64(c, in, a, 0, 0xFFF8000000000000ull); break;
        case 2: wr(c, in, a, 0, 0x80000000u, 4); break;
        case 3: wr64(c, in, a, 0, 0x8000000000000000ull); break;
        case 4: wr(c, in, a, 0, 0x8000, 2); break;
        case 5: wr80(c, in, a, 0, v); break;
        default: {
            static const uint8_t ind[10] = { 0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0xFF };
            for (unsigned i = 0; i < 10; i++)
                wr(c, in, a, i, ind[i], 1);
            break;
        }
        }
        if (pop)
            st_pop(f);
        return;
    }
    uint64_t bits = 0;
    uint8_t bcd[10];
    switch (kind) {
    case 0: bits = f80_to_f32(&e, v); break;
    case 1: bits = f80_to_f64(&e, v); break;
    case 2: bits = (uint32_t)f80_to_int(&e, v, 32); break;
    case 3: bits = (uint64_t)f80_to_int(&e, v, 64); break;
    case 4: bits = (uint16_t)f80_to_int(&e, v, 16); break;
    case 6: f80_to_bcd(&e, v, bcd); break;
    default: break;
    }
    bool ok = store_ok(&e);
    finish(c, &e);
    if (!ok)
        return;
    switch (kind) {
    case 0: case 2: wr(c, in, a, 0, (uint32_t)bits, 4); break;
    case 1: case 3: wr64(c, in, a, 0, bits); break;
    case 4: wr(c, in, a, 0, (uint32_t)bits, 2); break;
    case 5: wr80(c, in, a, 0, v); break;
    default:
        for (unsigned i = 0; i < 10; i++)
            wr(c, in, a, i, bcd[i], 1);
        break;
    }
    if (pop)
        st_pop(f);
}

/* ---- environment and state images -------------------------------------------- */
static unsigned env_size(const struct insn *in)
{
    return (in->flags & I_O32) ? 28 : 14;
}

static void store_env(struct cpu *c, const struct insn *in, uint32_t a)
{
    struct fpu *f = &c->fpu;
    bool o32 = in->flags & I_O32, pm = cpu_protected(c);
    uint32_t w[7];
    w[0] = f->cw;
    w[1] = get_sw(f);
    w[2] = fpu_tag_word(f);
    if (pm) {
        w[3] = f->fip;
        w[4] = f->fcs | (o32 ? (uint32_t)(f->fop & 0x7FF) << 16 : 0);
        w[5] = f->fdp;
        w[6] = f->fds;
    } else {
        /* Real and virtual-8086 mode keep linear addresses. */
        uint32_t ip = f->fip + ((uint32_t)f->fcs << 4), dp = f->fdp + ((uint32_t)f->fds << 4);
        w[3] = ip & 0xFFFF;
        w[4] = ((ip >> 16) << 12) | (f->fop & 0x7FF);
        w[5] = dp & 0xFFFF;
        w[6] = (dp >> 16) << 12;
    }
    for (unsigned i = 0; i < 7; i++) {
        if (o32)
            wr(c, in, a, 4 * i, i < 3 ? (w[i] & 0xFFFF) | 0xFFFF0000u : w[i], 4);
        else
            wr(c, in, a, 2 * i, w[i] & 0xFFFF, 2);
    }
}

/* Reads the 7 environment fields (each widened to 32 bits). */
static void read_env(struct cpu *c, const struct insn *in, uint32_t a, uint32_t w[7])
{
    bool o32 = in->flags & I_O32;
    for (unsigned i = 0; i < 7; i++)
        w[i] = o32 ? rd(c, in, a, 4 * i, 4) : rd(c, in, a, 2 * i, 2);
}

void fpu_apply_tags(struct fpu *f, uint16_t tw)
{
    f->empty = 0;
    for (unsigned p = 0; p < 8; p++)
        if (((tw >> (2 * p)) & 3) == 3)
            f->empty |= (uint8_t)(1u << p);
}

static void load_env(struct cpu *c, const struct insn *in, const uint32_t w[7])
{
    struct fpu *f = &c->fpu;
    bool o32 = in->flags & I_O32;
    f->cw = (uint16_t)((w[0] & 0x1F3F) | 0x0040);
    f->sw = (uint16_t)w[1];
    f->top = (w[1] >> 11) & 7;
    fpu_apply_tags(f, (uint16_t)w[2]);
    if (cpu_protected(c)) {
        f->fip = o32 ? w[3] : w[3] & 0xFFFF;
        f->fcs = (uint16_t)w[4];
        f->fop = o32 ? (uint16_t)((w[4] >> 16) & 0x7FF) : 0;
        f->fdp = o32 ? w[5] : w[5] & 0xFFFF;
        f->fds = (uint16_t)w[6];
    } else {
        f->fip = (w[3] & 0xFFFF) | ((w[4] >> 12) << 16);
        f->fop = (uint16_t)(w[4] & 0x7FF);
        f->fdp = (w[5] & 0xFFFF) | ((w[6] >> 12) << 16);
        f->fcs = f->fds = 0;
    }
    update_es(c);
}

static void fldenv(struct cpu *c, const struct insn *in, uint32_t a)
{
    uint32_t w[7];
    read_env(c, in, a, w);
    load_env(c, in, w);
}

static void frstor(struct cpu *c, const struct insn *in, uint32_t a)
{
    unsigned n = env_size(in);
    uint32_t w[7];
    struct f80 regs[8];
    read_env(c, in, a, w);
    for (unsigned i = 0; i < 8; i++)
        regs[i] = rd80(c, in, a, n + 10 * i);
    load_env(c, in, w);
    struct fpu *f = &c->fpu;
    for (unsigned i = 0; i < 8; i++)
        f->st[phys(f, i)] = regs[i];
}

static void fsave(struct cpu *c, const struct insn *in, uint32_t a)
{
    unsigned n = env_size(in);
    wr_probe(c, in, a, n + 80);
    store_env(c, in, a);
    for (unsigned i = 0; i < 8; i++)
        wr80(c, in, a, n + 10 * i, st_get(&c->fpu, i));
    fpu_reset(&c->fpu);
    update_es(c);
}

/* ---- D9 register forms ------------------------------------------------------- */
static void fxam(struct fpu *f)
{
    struct f80 v = st_get(f, 0);
    unsigned s = f80_sign(v);
    if (st_empty(f, 0)) {
        set_cc(f, 1, 0, s, 1);
        return;
    }
    switch (f80_classify(v)) {
    case F80_UNSUPPORTED: set_cc(f, 0, 0, s, 0); break;
    case F80_QNAN: case F80_SNAN: set_cc(f, 0, 0, s, 1); break;
    case F80_NORMAL: set_cc(f, 0, 1, s, 0); break;
    case F80_INF: set_cc(f, 0, 1, s, 1); break;
    case F80_ZERO: set_cc(f, 1, 0, s, 0); break;
    default: set_cc(f, 1, 1, s, 0); break;
    }
}

/* One-operand functions on ST(0): result replaces ST(0). */
static void unary(struct cpu *c, unsigned rm)
{
    struct fpu *f = &c->fpu;
    if (st_empty(f, 0)) {
        if (stack_fault(c, false))
            st_set(f, 0, F80_INDEFINITE);
        return;
    }
    struct f80_env e = env_of(f);
    struct f80 v = st_get(f, 0), r;
    switch (rm) {
    case 0x0: r = f80_2xm1(&e, v); break;
    case 0xA: r = f80_sqrt(&e, v); break;
    default: r = f80_round_int(&e, v); break;
    }
    if (finish(c, &e))
        st_set(f, 0, r);
}

/* FSIN, FCOS, FPTAN, FSINCOS.  C2 = 1 only for an operand out of range
 * (|x| >= 2^63); any other outcome, a stack fault or an invalid operand
 * included, clears it. */
static void trig(struct cpu *c, unsigned rm)
{
    struct fpu *f = &c->fpu;
    bool two = rm == 0x2 || rm == 0xB; /* FPTAN, FSINCOS push a second result */
    if (st_empty(f, 0) || (two && !st_empty(f, 7)))
        f->sw &= (uint16_t)~FSW_C2;
    if (st_empty(f, 0)) {
        if (!stack_fault(c, false))
            return;
        st_set(f, 0, F80_INDEFINITE);
        if (two)
            st_push(f, F80_INDEFINITE);
        return;
    }
    if (two && !st_empty(f, 7)) {
        if (!stack_fault(c, true))
            return;
        st_set(f, 0, F80_INDEFINITE);
        st_push(f, F80_INDEFINITE);
        return;
    }
    struct f80_env e = env_of(f);
    struct f80 v = st_get(f, 0), r, r2 = { 0, 0 };
    bool oor = false;
    switch (rm) {
    case 0x2: r = f80_tan(&e, v, &oor); r2 = f80_const(0, 0); break;
    case 0xB: {
        struct f80_env e2 = e;
        r = f80_sin(&e, v, &oor);
        r2 = f80_cos(&e2, v, &oor);
        /* FSINCOS: ST(0) = cos on top of sin. */
        e.flags |= e2.flags;
        e.c1 = e.c1 || e2.c1;
        break;
    }
    case 0xE: r = f80_sin(&e, v, &oor); break;
    default: r = f80_cos(&e, v, &oor); break;
    }
    if (oor) {
        f->sw |= FSW_C2;
        f->sw &= (uint16_t)~FSW_C1;
        return;
    }
    f->sw &= (uint16_t)~FSW_C2;
    if (!finish(c, &e))
        return;
    st_set(f, 0, r);
    if (two) {
        /* A NaN result (a NaN operand, or the indefinite for an invalid
         * one such as an infinity) is pushed twice, FPTAN's 1.0 included. */
        if (f80_is_nan(r))
            r2 = r;
        st_push(f, r2);
    }
}

/* FYL2X, FPATAN, FYL2XP1, FPREM, FPREM1, FSCALE: ST(0) with ST(1). */
static void binary01(struct cpu *c, unsigned rm)
{
    struct fpu *f = &c->fpu;
    bool pops = rm == 0x1 || rm == 0x3 || rm == 0x9;
    unsigned dst = pops ? 1 : 0;
    bool rem = rm == 0x5 || rm == 0x8;
    if (st_empty(f, 0) || st_empty(f, 1)) {
        /* FPREM/FPREM1: C2 = 0 (no partial remainder), C1 = 0 (underflow);
         * C0 and C3 are left as they were. */
        if (rem)
            f->sw &= (uint16_t)~FSW_C2;
        if (!stack_fault(c, false))
            return;
        st_set(f, dst, F80_INDEFINITE);
        if (pops)
            st_pop(f);
        return;
    }
    struct f80_env e = env_of(f);
    struct f80 x = st_get(f, 0), y = st_get(f, 1), r;
    unsigned q = 0;
    bool incomplete = false;
    switch (rm) {
    case 0x1: r = f80_yl2x(&e, x, y); break;
    case 0x3: r = f80_atan2(&e, y, x); break;
    case 0x9: r = f80_yl2xp1(&e, x, y); break;
    case 0x5: r = f80_rem(&e, x, y, true, &q, &incomplete); break;
    case 0x8: r = f80_rem(&e, x, y, false, &q, &incomplete); break;
    default: r = f80_scale(&e, x, y); break;
    }
    bool ok = finish(c, &e);
    if (rem) {
        /* No remainder (a NaN result, or an unmasked exception that leaves
         * the registers alone): C1 = C2 = 0, C0 and C3 unchanged.  An
         * incomplete reduction: C2 = 1 and the quotient bits C0 C3 C1 = 0.
         * Otherwise C2 = 0 and C0 C3 C1 = Q2 Q1 Q0. */
        if (!ok || f80_is_nan(r))
            f->sw &= (uint16_t)~(FSW_C1 | FSW_C2);
        else if (incomplete)
            set_cc(f, 0, 1, 0, 0);
        else
            set_cc(f, (q >> 1) & 1, 0, q & 1, (q >> 2) & 1);
    }
    if (!ok)
        return;
    st_set(f, dst, r);
    if (pops)
        st_pop(f);
}

/* FXCH ST(i), and its undocumented aliases FXCH4 (DD C8+i) and FXCH7
 * (DF C8+i). */
static void fxch_sti(struct cpu *c, const struct insn *in, unsigned i)
{
    struct fpu *f = &c->fpu;
    note_insn(c, in);
    struct f80 a = st_get(f, 0), b = st_get(f, i);
    if (st_empty(f, 0) || st_empty(f, i)) {
        if (!stack_fault(c, false))
            return;
        if (st_empty(f, 0))
            a = F80_INDEFINITE;
        if (st_empty(f, i))
            b = F80_INDEFINITE;
    } else {
        f->sw &= (uint16_t)~FSW_C1;
    }
    st_set(f, 0, b);
    st_set(f, i, a);
}

/* FST/FSTP ST(i), and the FSTP aliases FSTP1 (D9 D8+i), FSTP8 and FSTP9
 * (DF D0+i, DF D8+i). */
static void fst_sti(struct cpu *c, const struct insn *in, unsigned i, bool pop)
{
    struct fpu *f = &c->fpu;
    note_insn(c, in);
    if (st_empty(f, 0)) {
        if (!stack_fault(c, false))
            return;
        st_set(f, i, F80_INDEFINITE);
    } else {
        f->sw &= (uint16_t)~FSW_C1;
        st_set(f, i, st_get(f, 0));
    }
    if (pop)
        st_pop(f);
}

static void d9_reg(struct cpu *c, const struct insn *in)
{
    struct fpu *f = &c->fpu;
    unsigned i = in->rm;
    switch (in->reg) {
    case 0: { /* FLD ST(i) */
        note_insn(c, in);
        struct f80 v = st_get(f, i);
        if (st_empty(f, i)) {
            /* An empty source is the one stack fault reported (underflow,
             * C1 = 0), even when the push would also overflow: the masked
             * response pushes the indefinite over whatever ST(7) held. */
            if (stack_fault(c, false))
                st_push(f, F80_INDEFINITE);
            return;
        }
        push_value(c, v);
        return;
    }
    case 1: /* FXCH ST(i) */
        fxch_sti(c, in, i);
        return;
    case 2: /* FNOP */
        if (i != 0)
            cpu_fault(c, EXC_UD, 0);
        note_insn(c, in);
        return;
    case 3: /* FSTP1 (an alias of FSTP ST(i)) */
        fst_sti(c, in, i, true);
        return;
    default:
        break;
    }
    unsigned op = (in->reg - 4) * 8 + i; /* 0x00-0x1F for E0-FF */
    switch (op) {
    case 0x00: case 0x01: /* FCHS, FABS */
        note_insn(c, in);
        if (st_empty(f, 0)) {
            if (stack_fault(c, false))
                st_set(f, 0, F80_INDEFINITE);
            return;
        }
        f->sw &= (uint16_t)~FSW_C1;
        st_set(f, 0, op == 0 ? f80_neg(st_get(f, 0)) : f80_abs(st_get(f, 0)));
        return;
    case 0x04: { /* FTST */
        note_insn(c, in);
        struct f80_env e = env_of(f);
        if (st_empty(f, 0))
            compare_empty(c, 0);
        else
            compare(c, &e, st_get(f, 0), f80_make(false, 0, 0), false, 0);
        return;
    }
    case 0x05: /* FXAM */
        note_insn(c, in);
        fxam(f);
        return;
    case 0x08: case 0x09: case 0x0A: case 0x0B: case 0x0C: case 0x0D: case 0x0E: { /* FLD1 ... FLDZ */
        note_insn(c, in);
        push_value(c, f80_const(op - 8, (f->cw >> 10) & 3));
        return;
    }
    case 0x10: case 0x1A: case 0x1C: /* F2XM1, FSQRT, FRNDINT */
        note_insn(c, in);
        unary(c, op & 0xF);
        return;
    case 0x12: case 0x1B: case 0x1E: case 0x1F: /* FPTAN, FSINCOS, FSIN, FCOS */
        note_insn(c, in);
        trig(c, op & 0xF);
        return;
    case 0x11: case 0x13: case 0x15: case 0x18: case 0x19: case 0x1D:
        note_insn(c, in);
        binary01(c, op & 0xF);
        return;
    case 0x14: { /* FXTRACT */
        note_insn(c, in);
        if (st_empty(f, 0)) {
            if (!stack_fault(c, false))
                return;
            st_set(f, 0, F80_INDEFINITE);
            st_push(f, F80_INDEFINITE);
            return;
        }
        if (!st_empty(f, 7)) {
            if (!stack_fault(c, true))
                return;
            st_set(f, 0, F80_INDEFINITE);
            st_push(f, F80_INDEFINITE);
            return;
        }
        struct f80_env e = env_of(f);
        struct f80 ex, sig = f80_xtract(&e, st_get(f, 0), &ex);
        if (!finish(c, &e))
            return;
        st_set(f, 0, ex);
        st_push(f, sig);
        return;
    }
    case 0x16: case 0x17: /* FDECSTP, FINCSTP */
        note_insn(c, in);
        f->top = (f->top + (op == 0x16 ? 7 : 1)) & 7;
        f->sw &= (uint16_t)~FSW_C1;
        return;
    default:
        cpu_fault(c, EXC_UD, 0);
    }
}

/* ---- DA, DB, DF register forms (P6 FCMOVcc, FCOMI, FUCOMI) -------------------- */
static void fcmov(struct cpu *c, const struct insn *in)
{
    struct fpu *f = &c->fpu;
    static const uint8_t cc[4] = { 0x2, 0x4, 0x6, 0xA }; /* B, E, BE, P */
    bool take = cond(c, cc[in->reg & 3]) ^ (in->opcode == 0xDB);
    note_insn(c, in);
    if (st_empty(f, 0) || st_empty(f, in->rm)) {
        if (stack_fault(c, false))
            st_set(f, 0, F80_INDEFINITE);
        return;
    }
    /* C1 is "set to 0 if stack underflow occurred": otherwise unchanged. */
    if (take)
        st_set(f, 0, st_get(f, in->rm));
}

static void fcomi(struct cpu *c, const struct insn *in, bool quiet, bool pop)
{
    struct fpu *f = &c->fpu;
    note_insn(c, in);
    uint32_t fl = get_arith_flags(c) & ~(F_ZF | F_PF | F_CF | F_OF | F_SF | F_AF);
    if (st_empty(f, 0) || st_empty(f, in->rm)) {
        if (!stack_fault(c, false))
            return;
        set_arith_flags(c, fl | F_ZF | F_PF | F_CF);
    } else {
        struct f80_env e = env_of(f);
        int r = f80_compare(&e, st_get(f, 0), st_get(f, in->rm), quiet);
        f->sw &= (uint16_t)~FSW_C1;
        bool ok = finish(c, &e);
        if (r == 2)
            fl |= F_ZF | F_PF | F_CF;
        else if (r == 0)
            fl |= F_ZF;
        else if (r < 0)
            fl |= F_CF;
        set_arith_flags(c, fl); /* even when the exception is unmasked */
        if (!ok)
            return;
    }
    if (pop)
        st_pop(f);
}

/* ---- the entry points ------------------------------------------------------------- */
/* Does the instruction wait (check for a pending unmasked exception)? */
static bool is_nowait(const struct insn *in)
{
    if (IS_MEM(in))
        return (in->opcode == 0xD9 && in->reg >= 6) || (in->opcode == 0xDD && in->reg >= 6);
    if (in->opcode == 0xDB && in->reg == 4)
        return in->rm <= 4; /* FNENI FNDISI FNCLEX FNINIT FNSETPM */
    return in->opcode == 0xDF && in->reg == 4 && in->rm == 0; /* FNSTSW AX */
}

static void check_pending(struct cpu *c)
{
    if ((c->fpu.sw & FSW_ES) && (c->cr0 & CR0_NE))
        cpu_fault(c, EXC_MF, 0);
}

static void exec_mem(struct cpu *c, const struct insn *in)
{
    struct fpu *f = &c->fpu;
    uint32_t a = ea_of(c, in);
    unsigned r = in->reg;
    if (!(in->opcode & 1)) {
        if (in->opcode == 0xD8 || in->opcode == 0xDA || in->opcode == 0xDC || in->opcode == 0xDE) {
            arith_mem(c, in, a);
            return;
        }
    }
    struct f80_env e = env_of(f);
    switch ((in->opcode & 7) << 3 | r) {
    case 0x08: /* D9 /0 FLD m32 */
        { struct f80 v = f80_from_f32(&e, rd(c, in, a, 0, 4), false); note_insn(c, in); load_push(c, v, &e); }
        return;
    case 0x28: /* DD /0 FLD m64 */
        { struct f80 v = f80_from_f64(&e, rd64(c, in, a, 0), false); note_insn(c, in); load_push(c, v, &e); }
        return;
    case 0x1D: /* DB /5 FLD m80 */
        { struct f80 v = rd80(c, in, a, 0); note_insn(c, in); load_push(c, v, &e); }
        return;
    case 0x18: /* DB /0 FILD m32 */
        { struct f80 v = f80_from_i64((int32_t)rd(c, in, a, 0, 4)); note_insn(c, in); load_push(c, v, &e); }
        return;
    case 0x38: /* DF /0 FILD m16 */
        { struct f80 v = f80_from_i64((int16_t)rd(c, in, a, 0, 2)); note_insn(c, in); load_push(c, v, &e); }
        return;
    case 0x3D: /* DF /5 FILD m64 */
        { struct f80 v = f80_from_i64((int64_t)rd64(c, in, a, 0)); note_insn(c, in); load_push(c, v, &e); }
        return;
    case 0x3C: { /* DF /4 FBLD */
        uint8_t b[10];
        for (unsigned i = 0; i < 10; i++)
            b[i] = (uint8_t)rd(c, in, a, i, 1);
        struct f80 v = f80_from_bcd(b);
        note_insn(c, in);
        load_push(c, v, &e);
        return;
    }
    case 0x0A: store_mem(c, in, a, 0, false); return; /* FST m32 */
    case 0x0B: store_mem(c, in, a, 0, true); return;  /* FSTP m32 */
    case 0x2A: store_mem(c, in, a, 1, false); return; /* FST m64 */
    case 0x2B: store_mem(c, in, a, 1, true); return;
    case 0x1A: store_mem(c, in, a, 2, false); return; /* FIST m32 */
    case 0x1B: store_mem(c, in, a, 2, true); return;
    case 0x3F: store_mem(c, in, a, 3, true); return;  /* FISTP m64 */
    case 0x3A: store_mem(c, in, a, 4, false); return; /* FIST m16 */
    case 0x3B: store_mem(c, in, a, 4, true); return;
    case 0x1F: store_mem(c, in, a, 5, true); return;  /* FSTP m80 */
    case 0x3E: store_mem(c, in, a, 6, true); return;  /* FBSTP */
    case 0x0C: fldenv(c, in, a); return;
    case 0x0D: /* FLDCW */
        f->cw = (uint16_t)((rd(c, in, a, 0, 2) & 0x1F3F) | 0x0040);
        update_es(c);
        return;
    case 0x0E: /* FNSTENV: then all exceptions masked */
        wr_probe(c, in, a, env_size(in));
        store_env(c, in, a);
        f->cw |= CW_MASKS;
        update_es(c);
        return;
    case 0x0F: wr(c, in, a, 0, f->cw, 2); return; /* FNSTCW */
    case 0x2C: frstor(c, in, a); return;
    case 0x2E: fsave(c, in, a); return;
    case 0x2F: wr(c, in, a, 0, get_sw(f), 2); return; /* FNSTSW m16 */
    default:
        cpu_fault(c, EXC_UD, 0); /* FISTTP (SSE3) and reserved encodings */
    }
}

static void exec_reg(struct cpu *c, const struct insn *in)
{
    struct fpu *f = &c->fpu;
    unsigned r = in->reg, i = in->rm;
    bool p6 = c->mi->model >= CPU_P6;
    switch (in->opcode) {
    case 0xD8: case 0xDC: case 0xDE:
        arith_reg(c, in);
        return;
    case 0xD9:
        d9_reg(c, in);
        return;
    case 0xDA:
        if (r < 4 && p6) {
            fcmov(c, in);
            return;
        }
        if (r == 5 && i == 1) { /* FUCOMPP */
            struct f80_env e = env_of(f);
            note_insn(c, in);
            if (st_empty(f, 0) || st_empty(f, 1))
                compare_empty(c, 2);
            else
                compare(c, &e, st_get(f, 0), st_get(f, 1), true, 2);
            return;
        }
        break;
    case 0xDB:
        if (r < 4 && p6) {
            fcmov(c, in);
            return;
        }
        if (r == 4) {
            switch (i) {
            case 0: case 1: case 4: return; /* FENI, FDISI, FSETPM: no-ops on the 387 and later */
            case 2: /* FNCLEX */
                f->sw &= (uint16_t)~(SW_EXC | FE_SF | FSW_ES | FSW_B);
                update_es(c);
                return;
            case 3: /* FNINIT */
                fpu_reset(f);
                update_es(c);
                return;
            default: break;
            }
        }
        if ((r == 5 || r == 6) && p6) {
            fcomi(c, in, r == 5, false);
            return;
        }
        break;
    case 0xDD:
        switch (r) {
        case 0: /* FFREE */
            note_insn(c, in);
            f->empty |= (uint8_t)(1u << phys(f, i));
            return;
        case 1: /* FXCH4 alias */
            fxch_sti(c, in, i);
            return;
        case 2: case 3: /* FST/FSTP ST(i) */
            fst_sti(c, in, i, r == 3);
            return;
        case 4: case 5: { /* FUCOM, FUCOMP */
            struct f80_env e = env_of(f);
            note_insn(c, in);
            if (st_empty(f, 0) || st_empty(f, i))
                compare_empty(c, r - 4);
            else
                compare(c, &e, st_get(f, 0), st_get(f, i), true, r - 4);
            return;
        }
        default: break;
        }
        break;
    case 0xDF:
        switch (r) {
        case 0: /* FFREEP */
            note_insn(c, in);
            f->empty |= (uint8_t)(1u << phys(f, i));
            st_pop(f);
            return;
        case 1: /* FXCH7 alias */
            fxch_sti(c, in, i);
            return;
        case 2: case 3: /* FSTP8, FSTP9 aliases */
            fst_sti(c, in, i, true);
            return;
        case 4:
            if (i == 0) { /* FNSTSW AX */
                set_r16(c, R_EAX, get_sw(f));
                return;
            }
            break;
        case 5: case 6:
            if (p6) {
                fcomi(c, in, r == 5, true);
                return;
            }
            break;
        default: break;
        }
        break;
    default:
        break;
    }
    cpu_fault(c, EXC_UD, 0);
}

void cpu_exec_fpu(struct cpu *c, const struct insn *in)
{
    if (!has_fpu(c)) {
        if (c->mi->model != CPU_8086 && (c->cr0 & (CR0_EM | CR0_TS)) != 0)
            cpu_fault(c, EXC_NM, 0);
        return;
    }
    if (c->cr0 & (CR0_EM | CR0_TS))
        cpu_fault(c, EXC_NM, 0);
    if (!is_nowait(in))
        check_pending(c);
    if (IS_MEM(in))
        exec_mem(c, in);
    else
        exec_reg(c, in);
}

void cpu_exec_fwait(struct cpu *c)
{
    /* WAIT raises #NM only when both MP and TS are set. */
    if (c->mi->model != CPU_8086 && (c->cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS))
        cpu_fault(c, EXC_NM, 0);
    if (has_fpu(c))
        check_pending(c);
}
