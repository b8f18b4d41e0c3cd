/* The x87's condition codes, exception flags and exact results in the cases
 * the differential harness (tests/diff) found wrong, each with its exact
 * expected value (worked out from the SDM and the exact mathematics, and
 * agreeing with the host chip):
 *   - FLDL2T/FLDL2E/FLDPI/FLDLG2/FLDLN2: the exact constant rounded by RC;
 *   - no PE for the exact results of FCOS/FSINCOS/FPTAN/FSIN at +-0;
 *   - C2 = 0 after a stack fault or invalid operand in FSIN/FCOS/FSINCOS/
 *     FPTAN and FPREM/FPREM1 (C2 = 1 only for out of range / incomplete);
 *   - FPREM/FPREM1 with an incomplete reduction: C0 = C1 = C3 = 0;
 *   - FCMOVcc leaves C1 alone when there is no stack underflow;
 *   - FYL2X/FYL2XP1: ZE and IE suppress DE for a denormal operand;
 *   - FLD ST(i) with an empty source and a full ST(7): one stack fault,
 *     the underflow (C1 = 0);
 *   - FPREM(denormal, inf) goes through the underflow rules;
 *   - F2XM1 outside |x| <= 1 gives the function's value (undefined on the chip).
 * The instruction tests run a P6 in real mode: FRSTOR an image, the
 * instruction, FNSAVE (16-bit real-mode image format). */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/f80.h"
#include "mem/bus.h"

TestSuite(fpu_flags, .timeout = 30.0);

#define SW_C0 0x0100u
#define SW_C1 0x0200u
#define SW_C2 0x0400u
#define SW_C3 0x4000u
#define SW_CC (SW_C0 | SW_C1 | SW_C2 | SW_C3)
#define SW_FLAGS 0x00FFu /* IE DE ZE OE UE PE SF ES */

static struct f80 F(uint16_t se, uint64_t sig)
{
    return (struct f80){ sig, se };
}

static void expect80(struct f80 got, struct f80 want, const char *what)
{
    cr_expect(got.se == want.se && got.sig == want.sig, "%s: got %04X:%016llX, want %04X:%016llX", what, got.se,
              (unsigned long long)got.sig, want.se, (unsigned long long)want.sig);
}

static const struct f80 ONE = { 0x8000000000000000ull, 0x3FFF };
static const struct f80 INDEF = { 0xC000000000000000ull, 0xFFFF };

/* ---- f80 level ---------------------------------------------------------------- */

/* RC: 0 nearest, 1 down, 2 up, 3 toward zero.  The exact values continue
 * L2T D49A784BCD1B8AFE 49..., L2E B8AA3B295C17F0BB BE..., PI
 * C90FDAA22168C234 C4..., LG2 9A209A84FBCFF798 8F..., LN2 B17217F7D1CF79AB C9...
 * (log10(2) = 0.30102999566398119521373889472449302676818988146210854131...). */
Test(fpu_flags, constants_rounded_by_rc)
{
    static const struct {
        unsigned which;
        uint16_t se;
        uint64_t rn, rd, ru, rz;
    } k[] = {
        { 0, 0x3FFF, 0x8000000000000000ull, 0x8000000000000000ull, 0x8000000000000000ull, 0x8000000000000000ull },
        { 1, 0x4000, 0xD49A784BCD1B8AFEull, 0xD49A784BCD1B8AFEull, 0xD49A784BCD1B8AFFull, 0xD49A784BCD1B8AFEull },
        { 2, 0x3FFF, 0xB8AA3B295C17F0BCull, 0xB8AA3B295C17F0BBull, 0xB8AA3B295C17F0BCull, 0xB8AA3B295C17F0BBull },
        { 3, 0x4000, 0xC90FDAA22168C235ull, 0xC90FDAA22168C234ull, 0xC90FDAA22168C235ull, 0xC90FDAA22168C234ull },
        { 4, 0x3FFD, 0x9A209A84FBCFF799ull, 0x9A209A84FBCFF798ull, 0x9A209A84FBCFF799ull, 0x9A209A84FBCFF798ull },
        { 5, 0x3FFE, 0xB17217F7D1CF79ACull, 0xB17217F7D1CF79ABull, 0xB17217F7D1CF79ACull, 0xB17217F7D1CF79ABull },
        { 6, 0x0000, 0, 0, 0, 0 },
    };
    for (unsigned i = 0; i < sizeof(k) / sizeof(k[0]); i++) {
        const uint64_t want[4] = { k[i].rn, k[i].rd, k[i].ru, k[i].rz };
        for (unsigned rc = 0; rc < 4; rc++) {
            char what[32];
            snprintf(what, sizeof(what), "constant %u RC %u", k[i].which, rc);
            expect80(f80_const(k[i].which, rc), F(k[i].se, want[rc]), what);
        }
    }
}

Test(fpu_flags, trig_of_zero_is_exact)
{
    for (unsigned s = 0; s < 2; s++) {
        struct f80 z = F((uint16_t)(s << 15), 0);
        for (unsigned rc = 0; rc < 4; rc++) {
            struct f80_env e = { .cw = (uint16_t)(0x037F | rc << 10) };
            bool oor = true;
            expect80(f80_cos(&e, z, &oor), ONE, "cos(+-0)");
            cr_expect(!oor && e.flags == 0 && !e.c1, "cos(+-0): flags %02X c1 %d", e.flags, e.c1);
            e = (struct f80_env){ .cw = (uint16_t)(0x037F | rc << 10) };
            expect80(f80_sin(&e, z, &oor), z, "sin(+-0)");
            cr_expect(e.flags == 0, "sin(+-0): flags %02X", e.flags);
            e = (struct f80_env){ .cw = (uint16_t)(0x037F | rc << 10) };
            expect80(f80_tan(&e, z, &oor), z, "tan(+-0)");
            cr_expect(e.flags == 0, "tan(+-0): flags %02X", e.flags);
            e = (struct f80_env){ .cw = (uint16_t)(0x037F | rc << 10) };
            expect80(f80_2xm1(&e, z), z, "2xm1(+-0)");
            cr_expect(e.flags == 0, "2xm1(+-0): flags %02X", e.flags);
            e = (struct f80_env){ .cw = (uint16_t)(0x037F | rc << 10) };
            expect80(f80_atan2(&e, z, ONE), z, "atan2(+-0, 1)");
            cr_expect(e.flags == 0, "atan2(+-0, 1): flags %02X", e.flags);
        }
    }
    /* cos of a denormal is 1 - tiny: inexact (and 0.FFFF... toward zero). */
    struct f80_env e = { .cw = 0x0F7F };
    bool oor;
    expect80(f80_cos(&e, F(0x0000, 1), &oor), F(0x3FFE, ~0ull), "cos(denormal), RC toward zero");
    cr_expect(e.flags == (FE_DE | FE_PE), "cos(denormal): flags %02X", e.flags);
}

Test(fpu_flags, yl2x_zero_divide_and_invalid_suppress_denormal)
{
    struct f80 den = F(0x0000, 0x0000000000012345ull);
    /* FYL2X: x = +-0, y denormal: zero divide only, -inf (y > 0). */
    for (unsigned s = 0; s < 2; s++) {
        struct f80_env e = { .cw = 0x037F };
        expect80(f80_yl2x(&e, F((uint16_t)(s << 15), 0), den), F(0xFFFF, 0x8000000000000000ull), "yl2x(+-0, den)");
        cr_expect(e.flags == FE_ZE, "yl2x(+-0, den): flags %02X, want ZE only", e.flags);
    }
    /* Unmasked ZE: no result, and still no DE. */
    struct f80_env e = { .cw = 0x037B };
    f80_yl2x(&e, F(0, 0), den);
    cr_expect(e.flags == FE_ZE && f80_env_abort(&e), "yl2x(0, den), ZE unmasked: flags %02X", e.flags);
    /* FYL2XP1: x = -inf, y denormal: invalid only. */
    e = (struct f80_env){ .cw = 0x037F };
    expect80(f80_yl2xp1(&e, F(0xFFFF, 0x8000000000000000ull), den), INDEF, "yl2xp1(-inf, den)");
    cr_expect(e.flags == FE_IE, "yl2xp1(-inf, den): flags %02X, want IE only", e.flags);
    /* A denormal with an ordinary operand still reports DE. */
    e = (struct f80_env){ .cw = 0x037F };
    f80_yl2x(&e, F(0x4000, 0x8000000000000000ull), den);
    cr_expect(e.flags & FE_DE, "yl2x(2, den): DE missing (flags %02X)", e.flags);
}

Test(fpu_flags, f2xm1_values)
{
    struct f80_env e = { .cw = 0x037F };
    expect80(f80_2xm1(&e, ONE), ONE, "2xm1(1)");
    e = (struct f80_env){ .cw = 0x037F };
    expect80(f80_2xm1(&e, f80_neg(ONE)), F(0xBFFE, 0x8000000000000000ull), "2xm1(-1)");
    /* Outside the SDM's domain: the function's value. */
    e = (struct f80_env){ .cw = 0x037F };
    expect80(f80_2xm1(&e, F(0x4002, 0xA000000000000000ull)), F(0x4008, 0xFFC0000000000000ull), "2xm1(10) = 1023");
    e = (struct f80_env){ .cw = 0x037F };
    expect80(f80_2xm1(&e, F(0xC03D, 0x8C517B9A7D64375Eull)), f80_neg(ONE), "2xm1(-2^62...) = -1, nearest");
    cr_expect(e.flags == FE_PE, "2xm1(-huge): flags %02X", e.flags);
    e = (struct f80_env){ .cw = 0x0F7F };
    expect80(f80_2xm1(&e, F(0xC03D, 0x8C517B9A7D64375Eull)), F(0xBFFE, ~0ull), "2xm1(-2^62...), toward zero");
    e = (struct f80_env){ .cw = 0x037F };
    expect80(f80_2xm1(&e, F(0x4034, 0xC9255E70A6924800ull)), F(0x7FFF, 0x8000000000000000ull), "2xm1(2^53...) = inf");
    cr_expect(e.flags == (FE_OE | FE_PE), "2xm1(huge): flags %02X", e.flags);
}

Test(fpu_flags, prem_of_denormal_by_infinity_underflows)
{
    struct f80 den = F(0x0000, 0x659871DE69B55694ull), inf = F(0x7FFF, 0x8000000000000000ull);
    unsigned q;
    bool inc;
    /* UE masked: the denormal itself, exact, DE only. */
    struct f80_env e = { .cw = 0x037F };
    expect80(f80_rem(&e, den, inf, false, &q, &inc), den, "prem(den, inf)");
    cr_expect(e.flags == FE_DE && q == 0 && !inc, "prem(den, inf): flags %02X q %u", e.flags, q);
    /* UE unmasked: scaled by 2^24576 (the host gives 6000:CB30E3BCD36AAD28). */
    e = (struct f80_env){ .cw = 0x036F };
    expect80(f80_rem(&e, den, inf, false, &q, &inc), F(0x6000, 0xCB30E3BCD36AAD28ull), "prem(den, inf), UE unmasked");
    cr_expect(e.flags == (FE_DE | FE_UE), "prem(den, inf), UE unmasked: flags %02X", e.flags);
}

/* ---- instruction level ------------------------------------------------------------ */

#define CODE 0x1000u
#define IMG_IN 0x2000u
#define IMG_OUT 0x3000u
#define IMG_SIZE 94u /* 16-bit real-mode FSAVE image */

struct fimg {
    uint16_t cw, sw; /* sw with TOP */
    uint8_t empty;   /* bit i: ST(i) empty */
    struct f80 st[8];
};

struct fres {
    uint16_t cw, sw, tw;
    struct f80 st[8];
    uint32_t eflags;
};

static unsigned top_of(uint16_t sw)
{
    return (sw >> 11) & 7;
}

/* Runs FRSTOR img; insn; FNSAVE; HLT on a real-mode P6 with EFLAGS eflags. */
static struct fres run(const struct fimg *in, const uint8_t *insn, unsigned n, uint32_t eflags)
{
    struct bus bus;
    cr_assert(bus_init(&bus, 1u << 20) == 0);
    struct cpu *cpu = cpu_create(CPU_P6, &bus);
    cr_assert(cpu != NULL);
    uint8_t img[IMG_SIZE];
    memset(img, 0, sizeof(img));
    unsigned tw = 0, top = top_of(in->sw);
    for (unsigned i = 0; i < 8; i++)
        if (in->empty >> i & 1)
            tw |= 3u << (2 * ((top + i) & 7));
    img[0] = (uint8_t)in->cw, img[1] = (uint8_t)(in->cw >> 8);
    img[2] = (uint8_t)in->sw, img[3] = (uint8_t)(in->sw >> 8);
    img[4] = (uint8_t)tw, img[5] = (uint8_t)(tw >> 8);
    for (unsigned i = 0; i < 8; i++) {
        for (unsigned b = 0; b < 8; b++)
            img[14 + 10 * i + b] = (uint8_t)(in->st[i].sig >> (8 * b));
        img[14 + 10 * i + 8] = (uint8_t)in->st[i].se;
        img[14 + 10 * i + 9] = (uint8_t)(in->st[i].se >> 8);
    }
    bus_write_block(&bus, IMG_IN, img, sizeof(img));
    uint8_t code[32];
    unsigned k = 0;
    code[k++] = 0xDD, code[k++] = 0x26, code[k++] = (uint8_t)IMG_IN, code[k++] = (uint8_t)(IMG_IN >> 8); /* frstor */
    for (unsigned i = 0; i < n; i++)
        code[k++] = insn[i];
    code[k++] = 0xDD, code[k++] = 0x36, code[k++] = (uint8_t)IMG_OUT, code[k++] = (uint8_t)(IMG_OUT >> 8); /* fnsave */
    code[k++] = 0xF4;
    bus_write_block(&bus, CODE, code, k);
    struct cpu_state st;
    cpu_get_state(cpu, &st);
    for (int s = 0; s < S_NSEG; s++)
        cpu_state_real_seg(&st, s, 0);
    st.eip = CODE;
    st.gpr[R_ESP] = 0x8000;
    st.eflags = eflags | 0x2;
    st.halted = false;
    cpu_set_state(cpu, &st);
    uint64_t ran;
    cr_assert(cpu_run(cpu, 10, &ran) == CPU_EXIT_HALT, "did not reach the HLT");
    cpu_get_state(cpu, &st);
    bus_read_block(&bus, IMG_OUT, img, sizeof(img));
    struct fres r;
    r.cw = (uint16_t)(img[0] | img[1] << 8);
    r.sw = (uint16_t)(img[2] | img[3] << 8);
    r.tw = (uint16_t)(img[4] | img[5] << 8);
    for (unsigned i = 0; i < 8; i++) {
        uint64_t sig = 0;
        for (unsigned b = 0; b < 8; b++)
            sig |= (uint64_t)img[14 + 10 * i + b] << (8 * b);
        r.st[i] = F((uint16_t)(img[14 + 10 * i + 8] | img[14 + 10 * i + 9] << 8), sig);
    }
    r.eflags = st.eflags;
    cpu_destroy(cpu);
    bus_free(&bus);
    return r;
}

static bool st_is_empty(const struct fres *r, unsigned i)
{
    return (r->tw >> (2 * ((top_of(r->sw) + i) & 7)) & 3) == 3;
}

static struct fimg image(uint16_t cw, uint16_t sw, uint8_t empty)
{
    struct fimg m;
    memset(&m, 0, sizeof(m));
    m.cw = cw;
    m.sw = sw;
    m.empty = empty;
    return m;
}

Test(fpu_flags, fldlg2_instruction_rounds_by_rc)
{
    static const uint64_t want[4] = { 0x9A209A84FBCFF799ull, 0x9A209A84FBCFF798ull, 0x9A209A84FBCFF799ull,
                                      0x9A209A84FBCFF798ull };
    const uint8_t fldlg2[] = { 0xD9, 0xEC };
    for (unsigned rc = 0; rc < 4; rc++) {
        struct fimg in = image((uint16_t)(0x037F | rc << 10), 0, 0xFF);
        struct fres r = run(&in, fldlg2, 2, 0);
        expect80(r.st[0], F(0x3FFD, want[rc]), "FLDLG2");
        cr_expect((r.sw & (SW_FLAGS | SW_C1)) == 0, "FLDLG2 RC %u: SW %04X (no PE, C1 = 0)", rc, r.sw);
    }
}

Test(fpu_flags, fcos_fsincos_fptan_of_zero_no_pe)
{
    static const struct { uint8_t op; const char *name; } ops[] = { { 0xFF, "FCOS" }, { 0xFB, "FSINCOS" },
                                                                    { 0xF2, "FPTAN" }, { 0xFE, "FSIN" } };
    for (unsigned i = 0; i < 4; i++) {
        for (unsigned s = 0; s < 2; s++) {
            struct fimg in = image(0x037F, 0x3800 | SW_C2, 0xFE); /* TOP 7, ST0 = +-0, the rest empty */
            in.st[0] = F((uint16_t)(s << 15), 0);
            const uint8_t insn[] = { 0xD9, ops[i].op };
            struct fres r = run(&in, insn, 2, 0);
            cr_expect((r.sw & (SW_FLAGS | SW_C2 | SW_C1)) == 0, "%s(%s0): SW %04X (no PE, C2 = C1 = 0)", ops[i].name,
                      s ? "-" : "+", r.sw);
            if (ops[i].op == 0xFF) {
                expect80(r.st[0], ONE, "FCOS(+-0)");
            } else if (ops[i].op == 0xFE) {
                expect80(r.st[0], in.st[0], "FSIN(+-0)");
            } else {
                expect80(r.st[0], ONE, "FSINCOS/FPTAN(+-0): ST0");
                expect80(r.st[1], in.st[0], "FSINCOS/FPTAN(+-0): ST1");
            }
        }
    }
}

/* The host's example: FSIN with SW = 7700 and ST0 empty gives SW 7141. */
Test(fpu_flags, trig_stack_underflow_clears_c2)
{
    static const uint8_t ops[] = { 0xFE, 0xFF, 0xFB, 0xF2 };
    for (unsigned i = 0; i < 4; i++) {
        bool two = ops[i] == 0xFB || ops[i] == 0xF2;
        struct fimg in = image(0x037F, 0x7700, 0xFF); /* TOP 6, C3 C2 C1 C0 set, all empty */
        const uint8_t insn[] = { 0xD9, ops[i] };
        struct fres r = run(&in, insn, 2, 0);
        cr_expect((r.sw & ~(SW_C0 | SW_C3)) == ((two ? 0x2800u : 0x3000u) | 0x41u), "D9 %02X, ST0 empty: SW %04X",
                  ops[i], r.sw);
        expect80(r.st[0], INDEF, "stack underflow: ST0");
        if (two)
            expect80(r.st[1], INDEF, "stack underflow: ST1");
    }
    /* FSIN with SW 7700 exactly as the host reports it. */
    struct fimg in = image(0x037F, 0x7700, 0xFF);
    const uint8_t fsin[] = { 0xD9, 0xFE };
    cr_expect(run(&in, fsin, 2, 0).sw == 0x7141, "FSIN, ST0 empty, SW 7700: want 7141");
}

Test(fpu_flags, trig_invalid_clears_c2_and_fptan_pushes_nan_twice)
{
    struct fimg in = image(0x027F, 0x7800 | SW_C2, 0xFE); /* TOP 7, ST0 = +inf */
    in.st[0] = F(0x7FFF, 0x8000000000000000ull);
    const uint8_t fptan[] = { 0xD9, 0xF2 };
    struct fres r = run(&in, fptan, 2, 0);
    cr_expect((r.sw & (SW_FLAGS | SW_C2 | SW_C1 | 0x3800u)) == (0x3000u | FE_IE), "FPTAN(inf): SW %04X", r.sw);
    expect80(r.st[0], INDEF, "FPTAN(inf): ST0");
    expect80(r.st[1], INDEF, "FPTAN(inf): ST1");
}

Test(fpu_flags, fprem_stack_underflow_and_nan_keep_c0_c3)
{
    const uint8_t fprem[] = { 0xD9, 0xF8 }, fprem1[] = { 0xD9, 0xF5 };
    /* ST1 empty: C2 = C1 = 0, C0 and C3 as they were (host: 5500 -> 5141). */
    struct fimg in = image(0x037F, 0x5500, 0xFE);
    in.st[0] = ONE;
    struct fres r = run(&in, fprem, 2, 0);
    cr_expect(r.sw == 0x5141, "FPREM, ST1 empty, SW 5500: got %04X, want 5141", r.sw);
    expect80(r.st[0], INDEF, "FPREM, ST1 empty");
    /* A QNaN operand: QNaN result, C1 = C2 = 0, C0 and C3 kept (host: 4A00 -> 4800 for a QNaN). */
    in = image(0x037F, 0x4700, 0xFC);
    in.st[0] = F(0x7FFF, 0xC000000000001234ull);
    in.st[1] = ONE;
    r = run(&in, fprem1, 2, 0);
    cr_expect(r.sw == 0x4100, "FPREM1(QNaN), SW 4700: got %04X, want 4100", r.sw);
    expect80(r.st[0], in.st[0], "FPREM1(QNaN)");
    /* An SNaN: IE, the quieted NaN, C0 C3 kept. */
    in.st[0] = F(0x7FFF, 0x8B0BE5A62A8D5139ull);
    r = run(&in, fprem, 2, 0);
    cr_expect(r.sw == 0x4101, "FPREM(SNaN), SW 4700: got %04X, want 4101", r.sw);
    expect80(r.st[0], F(0x7FFF, 0xCB0BE5A62A8D5139ull), "FPREM(SNaN)");
    /* Unmasked denormal operand: no result, C1 = C2 = 0, C0 C3 kept (host: 1400 -> 9082). */
    in = image(0x034C, 0x1400, 0xFC);
    in.st[0] = F(0x0000, 0);
    in.st[1] = F(0x0000, 0x75EA1403AC2965EBull);
    r = run(&in, fprem, 2, 0);
    cr_expect(r.sw == 0x9082, "FPREM(0, den), DE unmasked, SW 1400: got %04X, want 9082", r.sw);
    /* A complete reduction: 7 rem 2 = 1, quotient 3: C0 = Q2 = 0, C3 = Q1 = 1, C1 = Q0 = 1. */
    in = image(0x037F, 0x0000 | SW_C0 | SW_C2, 0xFC);
    in.st[0] = F(0x4001, 0xE000000000000000ull);
    in.st[1] = F(0x4000, 0x8000000000000000ull);
    r = run(&in, fprem, 2, 0);
    cr_expect(r.sw == (SW_C3 | SW_C1), "FPREM(7, 2): SW %04X", r.sw);
    expect80(r.st[0], ONE, "FPREM(7, 2)");
}

/* The host's example: FPREM1 with SW 6100 and a reduction that cannot
 * complete (exponents 2^3 and 2^-16382 apart): SW 2402, C0 C1 C3 = 0. */
Test(fpu_flags, fprem1_incomplete_clears_quotient_bits)
{
    const uint8_t fprem1[] = { 0xD9, 0xF5 }, fprem[] = { 0xD9, 0xF8 };
    struct fimg in = image(0x0476, 0x6100, 0xFC); /* TOP 4 */
    in.st[0] = F(0x4002, 0x856AE640B1A9558Bull);
    in.st[1] = F(0x8000, 0x640C60A5A56BA452ull);
    struct fres r = run(&in, fprem1, 2, 0);
    cr_expect(r.sw == 0x2402, "FPREM1 incomplete, SW 6100: got %04X, want 2402", r.sw);
    expect80(r.st[0], F(0x3FDC, 0xDF42C8EAFB33FCC0ull), "FPREM1 partial remainder");
    /* FPREM: 2^100 mod 3 with all quotient bits set beforehand. */
    in = image(0x037F, 0x0000 | SW_CC, 0xFC);
    in.st[0] = F(0x3FFF + 100, 0x8000000000000000ull);
    in.st[1] = F(0x4000, 0xC000000000000000ull);
    r = run(&in, fprem, 2, 0);
    cr_expect((r.sw & (SW_CC | SW_FLAGS)) == SW_C2, "FPREM incomplete: SW %04X, want C2 only", r.sw);
}

Test(fpu_flags, fcmov_keeps_c1)
{
    /* DA C1 = FCMOVB ST0, ST1; taken when CF = 1. */
    const uint8_t fcmovb[] = { 0xDA, 0xC1 };
    for (unsigned cf = 0; cf < 2; cf++) {
        struct fimg in = image(0x037F, SW_C1 | SW_C3, 0xFC);
        in.st[0] = ONE;
        in.st[1] = F(0x4000, 0x8000000000000000ull);
        struct fres r = run(&in, fcmovb, 2, cf);
        cr_expect(r.sw == (SW_C1 | SW_C3), "FCMOVB (CF %u): SW %04X, C1 must stay 1", cf, r.sw);
        expect80(r.st[0], cf ? in.st[1] : ONE, "FCMOVB");
    }
    /* A stack underflow clears it. */
    struct fimg in = image(0x037F, SW_C1, 0xFE);
    in.st[0] = ONE;
    struct fres r = run(&in, fcmovb, 2, 1);
    cr_expect(r.sw == 0x0041, "FCMOVB, ST1 empty: SW %04X, want 0041", r.sw);
    expect80(r.st[0], INDEF, "FCMOVB, ST1 empty");
}

Test(fpu_flags, fyl2x_fyl2xp1_no_denormal_with_ze_ie)
{
    const uint8_t fyl2x[] = { 0xD9, 0xF1 }, fyl2xp1[] = { 0xD9, 0xF9 };
    struct fimg in = image(0x037F, 0, 0xFC);
    in.st[0] = F(0x0000, 0);                     /* x = +0 */
    in.st[1] = F(0x0000, 0x0000000000012345ull); /* y denormal */
    struct fres r = run(&in, fyl2x, 2, 0);
    cr_expect((r.sw & SW_FLAGS) == FE_ZE, "FYL2X(+0, den): SW %04X, want ZE only", r.sw);
    expect80(r.st[0], F(0xFFFF, 0x8000000000000000ull), "FYL2X(+0, den)");
    in.st[0] = F(0xFFFF, 0x8000000000000000ull); /* x = -inf */
    r = run(&in, fyl2xp1, 2, 0);
    cr_expect((r.sw & SW_FLAGS) == FE_IE, "FYL2XP1(-inf, den): SW %04X, want IE only", r.sw);
    expect80(r.st[0], INDEF, "FYL2XP1(-inf, den)");
}

Test(fpu_flags, fld_sti_empty_source_and_full_stack)
{
    /* FLD ST(1) with ST(1) empty and ST(7) in use: one stack fault, the
     * underflow (C1 = 0); the indefinite is pushed. */
    const uint8_t fld1[] = { 0xD9, 0xC1 };
    struct fimg in = image(0x037F, 0x2800 | SW_C1, 0x02); /* TOP 5 */
    in.st[0] = ONE;
    in.st[7] = ONE;
    struct fres r = run(&in, fld1, 2, 0);
    cr_expect(r.sw == 0x2041, "FLD ST(1), empty source, full ST(7): SW %04X, want 2041", r.sw);
    expect80(r.st[0], INDEF, "FLD ST(1), empty source");
    cr_expect(!st_is_empty(&r, 0), "FLD ST(1): ST0 tagged empty");
    /* An ordinary push overflow still sets C1. */
    in.empty = 0;
    r = run(&in, fld1, 2, 0);
    cr_expect(r.sw == (0x2000 | SW_C1 | 0x41), "FLD ST(1), full stack: SW %04X, want 2241", r.sw);
}
