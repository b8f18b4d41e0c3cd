/* Private to cpu/: the x87's 80-bit extended floating point in software
 * (IEEE 754-1985 double extended; SDM vol. 1 ch. 4 and 8).  Portable C with
 * integer arithmetic only, so the results are the same on every host.
 *
 * Every operation takes a struct f80_env: the control word it obeys
 * (exception masks, precision and rounding control) and the exception flags
 * and C1 ("rounded up") it reports.  An operation that raises an unmasked
 * invalid-operation, denormal or zero-divide exception stops before it has a
 * result (f80_env_abort() is then true and the caller must not store);
 * unmasked overflow and underflow deliver the result scaled by 2^-+24576, as
 * the chip does for results that go to the register stack. */
#ifndef POPEK_CPU_F80_H
#define POPEK_CPU_F80_H

#include <stdbool.h>
#include <stdint.h>

/* An 80-bit value: sign and 15-bit biased exponent in se, the 64-bit
 * significand with its explicit integer bit (bit 63) in sig. */
struct f80 {
    uint64_t sig;
    uint16_t se;
};

#define F80_BIAS 16383
#define F80_INT_BIT 0x8000000000000000ull

/* Status-word exception bits (also the control-word mask bits). */
#define FE_IE 0x01u
#define FE_DE 0x02u
#define FE_ZE 0x04u
#define FE_OE 0x08u
#define FE_UE 0x10u
#define FE_PE 0x20u
#define FE_SF 0x40u
#define FE_ALL 0x3Fu

struct f80_env {
    uint16_t cw;    /* control word: masks, PC (bits 8-9), RC (bits 10-11) */
    uint16_t flags; /* FE_* raised by the operation */
    bool c1;        /* the result was rounded up in magnitude */
    bool b_denormal; /* the second operand came from a denormal single/double */
};

/* Classes of an 80-bit encoding. */
enum f80_class {
    F80_ZERO,
    F80_NORMAL,
    F80_DENORMAL,   /* also pseudo-denormals (exponent 0, integer bit set) */
    F80_INF,
    F80_QNAN,
    F80_SNAN,
    F80_UNSUPPORTED, /* unnormals, pseudo-NaNs, pseudo-infinities */
};

enum f80_class f80_classify(struct f80 a);
static inline bool f80_sign(struct f80 a) { return a.se >> 15; }
static inline int f80_exp(struct f80 a) { return a.se & 0x7FFF; }
static inline bool f80_is_nan(struct f80 a)
{
    enum f80_class k = f80_classify(a);
    return k == F80_QNAN || k == F80_SNAN;
}
static inline struct f80 f80_make(bool sign, unsigned exp, uint64_t sig)
{
    return (struct f80){ sig, (uint16_t)((sign ? 0x8000u : 0) | (exp & 0x7FFF)) };
}
static inline struct f80 f80_neg(struct f80 a) { a.se ^= 0x8000; return a; }
static inline struct f80 f80_abs(struct f80 a) { a.se &= 0x7FFF; return a; }

/* The QNaN "real indefinite" (FFFF C000000000000000). */
#define F80_INDEFINITE ((struct f80){ 0xC000000000000000ull, 0xFFFF })
static inline bool f80_env_abort(const struct f80_env *e)
{
    return (e->flags & ~e->cw & (FE_IE | FE_DE | FE_ZE)) != 0;
}

/* Arithmetic (rounded to the precision control). */
struct f80 f80_add(struct f80_env *e, struct f80 a, struct f80 b, bool subtract);
struct f80 f80_mul(struct f80_env *e, struct f80 a, struct f80 b);
struct f80 f80_div(struct f80_env *e, struct f80 a, struct f80 b);
struct f80 f80_sqrt(struct f80_env *e, struct f80 a);
/* Rounds to an integer by RC (FRNDINT). */
struct f80 f80_round_int(struct f80_env *e, struct f80 a);
/* a * 2^trunc(b) (FSCALE). */
struct f80 f80_scale(struct f80_env *e, struct f80 a, struct f80 b);
/* FXTRACT: *expo = exponent of a, returns the significand (exponent 0). */
struct f80 f80_xtract(struct f80_env *e, struct f80 a, struct f80 *expo);
/* FPREM (nearest = false) and FPREM1 (nearest = true): *q receives the low
 * three quotient bits, *incomplete is the C2 result. */
struct f80 f80_rem(struct f80_env *e, struct f80 a, struct f80 b, bool nearest, unsigned *q,
                   bool *incomplete);
/* Rounds and packs an exact value sign * (sig + ext / 2^64) * 2^(exp - 63),
 * exp unbiased, at the precision control, with the stack's overflow and
 * underflow rules.  Used by the transcendental functions. */
struct f80 f80_round_pack(struct f80_env *e, bool sign, int32_t exp, uint64_t sig, uint64_t ext,
                          unsigned prec);

/* Comparison: returns -1 (a < b), 0 (equal), 1 (a > b) or 2 (unordered).
 * quiet: only SNaNs (and unsupported encodings) raise IE. */
int f80_compare(struct f80_env *e, struct f80 a, struct f80 b, bool quiet);

/* Conversions.  Loads from memory formats keep SNaNs signalling when
 * keep_snan (an arithmetic operand) and quiet them with IE otherwise (FLD). */
struct f80 f80_from_i64(int64_t v);
struct f80 f80_from_f32(struct f80_env *e, uint32_t v, bool keep_snan);
struct f80 f80_from_f64(struct f80_env *e, uint64_t v, bool keep_snan);
/* To an integer of bits 16/32/64 by RC; invalid gives the integer
 * indefinite (the most negative value). */
int64_t f80_to_int(struct f80_env *e, struct f80 a, unsigned bits);
/* To single/double by RC.  With unmasked OE/UE the caller must not store. */
uint32_t f80_to_f32(struct f80_env *e, struct f80 a);
uint64_t f80_to_f64(struct f80_env *e, struct f80 a);
/* Packed BCD (FBLD/FBSTP): 18 digits and a sign byte, b[0] least significant. */
struct f80 f80_from_bcd(const uint8_t b[10]);
void f80_to_bcd(struct f80_env *e, struct f80 a, uint8_t b[10]);

/* The value of one of FLD1's siblings (0: 1, 1: L2T, 2: L2E, 3: PI, 4: LG2,
 * 5: LN2, 6: Z), rounded by RC as the chip rounds its internal constants. */
struct f80 f80_const(unsigned which, unsigned rc);

/* Transcendental functions (fpu_trans.c). */
struct f80 f80_sin(struct f80_env *e, struct f80 a, bool *out_of_range);
struct f80 f80_cos(struct f80_env *e, struct f80 a, bool *out_of_range);
struct f80 f80_tan(struct f80_env *e, struct f80 a, bool *out_of_range);
struct f80 f80_atan2(struct f80_env *e, struct f80 y, struct f80 x);
struct f80 f80_2xm1(struct f80_env *e, struct f80 a);
struct f80 f80_yl2x(struct f80_env *e, struct f80 x, struct f80 y);
struct f80 f80_yl2xp1(struct f80_env *e, struct f80 x, struct f80 y);

#endif
