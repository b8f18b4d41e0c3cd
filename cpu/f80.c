/* The x87's 80-bit arithmetic in software: classification, rounding to the
 * precision and rounding controls, + - * / sqrt, FRNDINT, FSCALE, FXTRACT,
 * FPREM/FPREM1, comparisons and the conversions to and from integers,
 * single, double and packed BCD.  Written from IEEE 754-1985 and the SDM
 * (vol. 1 §4.8-4.9 and ch. 8: NaN rules in table 4-7, masked responses in
 * §4.9.1, the stack results' exponent adjustment of 24576 in §8.5). */
#include "cpu/f80.h"

#include "cpu/f80_u128.h"

enum { RC_NEAR, RC_DOWN, RC_UP, RC_ZERO };

#define EMIN (-16382)
#define EMAX 16383
#define ADJ 24576

enum f80_class f80_classify(struct f80 a)
{
    int exp = f80_exp(a);
    if (exp == 0)
        return a.sig == 0 ? F80_ZERO : F80_DENORMAL;
    if (!(a.sig & F80_INT_BIT))
        return F80_UNSUPPORTED;
    if (exp == 0x7FFF) {
        if ((a.sig << 1) == 0)
            return F80_INF;
        return (a.sig >> 62) & 1 ? F80_QNAN : F80_SNAN;
    }
    return F80_NORMAL;
}

/* An operand as sign, unbiased exponent and normalized significand. */
struct unp {
    bool sign;
    int32_t exp;
    uint64_t sig;
};

static struct unp unpack(struct f80 a)
{
    struct unp u = { f80_sign(a), f80_exp(a), a.sig };
    if (u.exp == 0)
        u.exp = 1;
    if (u.sig != 0) {
        unsigned n = clz64(u.sig);
        u.sig <<= n;
        u.exp -= (int32_t)n;
    }
    u.exp -= F80_BIAS;
    return u;
}

static unsigned precision(const struct f80_env *e)
{
    switch ((e->cw >> 8) & 3) {
    case 0: return 24;
    case 2: return 53;
    default: return 64;
    }
}

static unsigned rounding(const struct f80_env *e)
{
    return (e->cw >> 10) & 3;
}

/* Rounds sig.ext to prec significant bits (counted from bit 63 of sig).
 * *carry: the rounding carried out of bit 63 (the result is then 2^63). */
static uint64_t round_sig(unsigned rc, bool sign, uint64_t sig, uint64_t ext, unsigned prec, bool *inexact,
                          bool *up, bool *carry)
{
    unsigned l = 64 - prec;
    uint64_t keep, lsb;
    int cls; /* 0 exact, 1 below half, 2 half, 3 above half */
    if (l == 0) {
        keep = sig;
        lsb = 1;
        cls = ext == 0 ? 0 : ext < F80_INT_BIT ? 1 : ext == F80_INT_BIT ? 2 : 3;
    } else {
        uint64_t mask = (1ull << l) - 1, half = 1ull << (l - 1), rem = sig & mask;
        keep = sig & ~mask;
        lsb = 1ull << l;
        if (rem == 0 && ext == 0)
            cls = 0;
        else if (rem < half)
            cls = 1;
        else if (rem == half)
            cls = ext ? 3 : 2;
        else
            cls = 3;
    }
    bool inc;
    switch (rc) {
    case RC_NEAR: inc = cls == 3 || (cls == 2 && (keep & lsb)); break;
    case RC_DOWN: inc = sign && cls; break;
    case RC_UP: inc = !sign && cls; break;
    default: inc = false; break;
    }
    *inexact = cls != 0;
    *up = inc;
    *carry = false;
    if (inc) {
        keep += lsb;
        if (keep == 0) {
            *carry = true;
            keep = F80_INT_BIT;
        }
    }
    return keep;
}

/* Rounds sign * sig.ext * 2^(exp - 63) (sig normalized) to prec bits in a
 * format with normal exponents emin..emax.  Returns the significand (bit 63
 * clear: a denormal or zero, exponent emin) and sets *pexp; *pexp = emax + 1
 * means infinity.  adj is the exponent adjustment for unmasked overflow and
 * underflow (0 for memory destinations, which are then not written). */
static uint64_t round_gen(struct f80_env *e, bool sign, int32_t *pexp, uint64_t sig, uint64_t ext, unsigned prec,
                          int32_t emin, int32_t emax, int32_t adj)
{
    int32_t exp = *pexp;
    unsigned rc = rounding(e);
    bool inexact, up, carry;
    if (exp < emin) {
        /* The x87 detects tininess after rounding: a result that rounds
         * (at the unbounded exponent) up to the smallest normal is not
         * tiny. */
        if (exp == emin - 1) {
            bool ix, u, cy;
            round_sig(rc, sign, sig, ext, prec, &ix, &u, &cy);
            if (cy)
                goto normal;
        }
        if (e->cw & FE_UE) {
            u128 v = shr128_jam(mk128(sig, ext), (unsigned)(emin - exp > 200 ? 200 : emin - exp));
            sig = round_sig(rc, sign, v.hi, v.lo, prec, &inexact, &up, &carry);
            if (inexact)
                e->flags |= FE_UE | FE_PE;
            e->c1 = up;
            *pexp = emin;
            return sig;
        }
        if (adj == 0) { /* a memory destination: nothing is stored */
            e->flags |= FE_UE;
            return sig;
        }
        if (exp + adj < emin) {
            /* Still tiny after the adjustment (FSCALE): a zero. */
            e->flags |= FE_UE | FE_PE;
            e->c1 = false;
            *pexp = emin;
            return 0;
        }
        e->flags |= FE_UE;
        if (adj == 0) /* a memory destination: nothing is stored */
            return sig;
        exp += adj;
    }
normal:
    sig = round_sig(rc, sign, sig, ext, prec, &inexact, &up, &carry);
    if (carry)
        exp++;
    if (exp > emax && !(e->cw & FE_OE) && adj == 0) {
        e->flags |= FE_OE;
        return sig;
    }
    if (exp > emax && !(e->cw & FE_OE) && exp - adj > emax) {
        /* Still too large after the adjustment (FSCALE): infinity. */
        e->flags |= FE_OE | FE_PE;
        e->c1 = true;
        *pexp = emax + 1;
        return F80_INT_BIT;
    }
    if (exp > emax) {
        if (e->cw & FE_OE) {
            e->flags |= FE_OE | FE_PE;
            if (rc == RC_NEAR || (rc == RC_UP && !sign) || (rc == RC_DOWN && sign)) {
                *pexp = emax + 1;
                e->c1 = true;
                return F80_INT_BIT;
            }
            *pexp = emax;
            e->c1 = false;
            return ~0ull << (64 - prec);
        }
        e->flags |= FE_OE;
        exp -= adj;
    }
    if (inexact)
        e->flags |= FE_PE;
    e->c1 = up;
    *pexp = exp;
    return sig;
}

struct f80 f80_round_pack(struct f80_env *e, bool sign, int32_t exp, uint64_t sig, uint64_t ext, unsigned prec)
{
    if (sig == 0) {
        if (ext == 0)
            return f80_make(sign, 0, 0);
        sig = ext;
        ext = 0;
        exp -= 64;
    }
    unsigned n = clz64(sig);
    if (n) {
        sig = (sig << n) | (ext >> (64 - n));
        ext <<= n;
        exp -= (int32_t)n;
    }
    sig = round_gen(e, sign, &exp, sig, ext, prec, EMIN, EMAX, ADJ);
    if (exp > EMAX)
        return f80_make(sign, 0x7FFF, F80_INT_BIT);
    if (!(sig & F80_INT_BIT))
        return f80_make(sign, 0, sig);
    return f80_make(sign, (unsigned)(exp + F80_BIAS), sig);
}

static struct f80 pack_exact(struct f80_env *e, bool sign, int32_t exp, uint64_t sig)
{
    return f80_round_pack(e, sign, exp, sig, 0, 64);
}

/* ---- NaNs and invalid operands ------------------------------------------ */
static struct f80 quiet(struct f80 a)
{
    a.sig |= 1ull << 62;
    return a;
}

static struct f80 invalid(struct f80_env *e)
{
    e->flags |= FE_IE;
    return F80_INDEFINITE;
}

/* Two operands of which at least one is a NaN or unsupported: the result
 * by table 4-7 (a QNaN beats an SNaN; of two alike the larger significand). */
static struct f80 nan2(struct f80_env *e, struct f80 a, enum f80_class ka, struct f80 b, enum f80_class kb)
{
    if (ka == F80_UNSUPPORTED || kb == F80_UNSUPPORTED)
        return invalid(e);
    if (ka == F80_SNAN || kb == F80_SNAN)
        e->flags |= FE_IE;
    bool na = ka == F80_QNAN || ka == F80_SNAN, nb = kb == F80_QNAN || kb == F80_SNAN;
    if (na && nb) {
        if (ka != kb)
            return quiet(ka == F80_QNAN ? a : b);
        uint64_t sa = a.sig & ~(1ull << 62), sb = b.sig & ~(1ull << 62);
        if (sa != sb)
            return quiet(sa > sb ? a : b);
        return quiet(f80_sign(a) ? b : a);
    }
    return quiet(na ? a : b);
}

static bool special(enum f80_class k)
{
    return k == F80_QNAN || k == F80_SNAN || k == F80_UNSUPPORTED;
}

static void denormal_check(struct f80_env *e, enum f80_class ka, enum f80_class kb)
{
    if (ka == F80_DENORMAL || kb == F80_DENORMAL || e->b_denormal)
        e->flags |= FE_DE;
}

/* ---- + - * / sqrt ------------------------------------------------------------ */
struct f80 f80_add(struct f80_env *e, struct f80 a, struct f80 b, bool subtract)
{
    enum f80_class ka = f80_classify(a), kb = f80_classify(b);
    if (special(ka) || special(kb))
        return nan2(e, a, ka, b, kb);
    if (subtract)
        b = f80_neg(b);
    denormal_check(e, ka, kb);
    if (f80_env_abort(e))
        return a;
    bool sa = f80_sign(a), sb = f80_sign(b);
    if (ka == F80_INF || kb == F80_INF) {
        if (ka == F80_INF && kb == F80_INF && sa != sb)
            return invalid(e);
        return ka == F80_INF ? a : b;
    }
    unsigned prec = precision(e);
    if (ka == F80_ZERO && kb == F80_ZERO)
        return f80_make(sa == sb ? sa : rounding(e) == RC_DOWN, 0, 0);
    if (ka == F80_ZERO || kb == F80_ZERO) {
        struct unp u = unpack(ka == F80_ZERO ? b : a);
        return f80_round_pack(e, u.sign, u.exp, u.sig, 0, prec);
    }
    struct unp ua = unpack(a), ub = unpack(b);
    if (ua.exp < ub.exp || (ua.exp == ub.exp && ua.sig < ub.sig)) {
        struct unp t = ua;
        ua = ub;
        ub = t;
    }
    unsigned d = (unsigned)(ua.exp - ub.exp);
    u128 x = mk128(ua.sig, 0), y = shr128_jam(mk128(ub.sig, 0), d > 200 ? 200 : d);
    int32_t exp = ua.exp;
    if (ua.sign == ub.sign) {
        u128 s = add128(x, y);
        if (lt128(s, x)) { /* carried out of bit 127 */
            s = shr128_jam(s, 1);
            s.hi |= F80_INT_BIT;
            exp++;
        }
        return f80_round_pack(e, ua.sign, exp, s.hi, s.lo, prec);
    }
    u128 s = sub128(x, y);
    if (s.hi == 0 && s.lo == 0)
        return f80_make(rounding(e) == RC_DOWN, 0, 0);
    return f80_round_pack(e, ua.sign, exp, s.hi, s.lo, prec);
}

struct f80 f80_mul(struct f80_env *e, struct f80 a, struct f80 b)
{
    enum f80_class ka = f80_classify(a), kb = f80_classify(b);
    if (special(ka) || special(kb))
        return nan2(e, a, ka, b, kb);
    bool sign = f80_sign(a) ^ f80_sign(b);
    if ((ka == F80_INF && kb == F80_ZERO) || (ka == F80_ZERO && kb == F80_INF))
        return invalid(e);
    denormal_check(e, ka, kb);
    if (f80_env_abort(e))
        return a;
    if (ka == F80_INF || kb == F80_INF)
        return f80_make(sign, 0x7FFF, F80_INT_BIT);
    if (ka == F80_ZERO || kb == F80_ZERO)
        return f80_make(sign, 0, 0);
    struct unp ua = unpack(a), ub = unpack(b);
    u128 p = mul64(ua.sig, ub.sig);
    return f80_round_pack(e, sign, ua.exp + ub.exp + 1, p.hi, p.lo, precision(e));
}

struct f80 f80_div(struct f80_env *e, struct f80 a, struct f80 b)
{
    enum f80_class ka = f80_classify(a), kb = f80_classify(b);
    if (special(ka) || special(kb))
        return nan2(e, a, ka, b, kb);
    bool sign = f80_sign(a) ^ f80_sign(b);
    if ((ka == F80_INF && kb == F80_INF) || (ka == F80_ZERO && kb == F80_ZERO))
        return invalid(e);
    if (kb == F80_ZERO && ka != F80_INF) {
        /* zero divide takes precedence over a denormal dividend */
        e->flags |= FE_ZE;
        return f80_make(sign, 0x7FFF, F80_INT_BIT);
    }
    denormal_check(e, ka, kb);
    if (f80_env_abort(e))
        return a;
    if (ka == F80_INF)
        return f80_make(sign, 0x7FFF, F80_INT_BIT);
    if (kb == F80_INF || ka == F80_ZERO)
        return f80_make(sign, 0, 0);
    struct unp ua = unpack(a), ub = unpack(b);
    /* 128 quotient bits, the first of weight 2^0, the last jammed with the
     * remainder. */
    uint64_t r = ua.sig, d = ub.sig, qh = 0, ql = 0;
    bool carry = false; /* r's bit 64: r >= 2^64 > d */
    for (int i = 0; i < 128; i++) {
        bool bit = carry || r >= d;
        if (bit)
            r -= d;
        qh = (qh << 1) | (ql >> 63);
        ql = (ql << 1) | bit;
        carry = r >> 63;
        r <<= 1;
    }
    if (carry)
        r = 1;
    if (r)
        ql |= 1;
    int32_t exp = ua.exp - ub.exp;
    if (!(qh & F80_INT_BIT)) {
        qh = (qh << 1) | (ql >> 63);
        ql <<= 1;
        exp--;
    }
    return f80_round_pack(e, sign, exp, qh, ql, precision(e));
}

/* floor(sqrt(m)) for m >= 2^126, and whether the rest is zero / above the
 * halfway point. */
static uint64_t isqrt128(u128 m, int *rest)
{
    uint64_t r = 0;
    for (int b = 63; b >= 0; b--) {
        uint64_t t = r | (1ull << b);
        if (!lt128(m, mul64(t, t)))
            r = t;
    }
    u128 rem = sub128(m, mul64(r, r));
    if (rem.hi == 0 && rem.lo == 0)
        *rest = 0;
    else if (rem.hi != 0 || rem.lo > r)
        *rest = 3; /* rem > r: the fraction of the root is above 1/2 */
    else
        *rest = 1;
    return r;
}

struct f80 f80_sqrt(struct f80_env *e, struct f80 a)
{
    enum f80_class k = f80_classify(a);
    if (special(k))
        return nan2(e, a, k, a, k);
    if (k == F80_ZERO)
        return a;
    if (f80_sign(a))
        return invalid(e);
    if (k == F80_INF)
        return a;
    denormal_check(e, k, F80_NORMAL);
    if (f80_env_abort(e))
        return a;
    struct unp u = unpack(a);
    bool odd = u.exp & 1;
    u128 m = odd ? mk128(u.sig, 0) : mk128(u.sig >> 1, u.sig << 63);
    int rest;
    uint64_t r = isqrt128(m, &rest);
    uint64_t ext = rest == 0 ? 0 : rest == 1 ? 1 : 0xC000000000000000ull;
    int32_t exp = (u.exp - (odd ? 1 : 0)) / 2;
    return f80_round_pack(e, false, exp, r, ext, precision(e));
}

/* ---- integer rounding, FSCALE, FXTRACT, FPREM ---------------------------- */
/* Splits |a| (exponent exp, normalized sig) into integer part and the
 * rounding increment by RC.  Valid for exp <= 63. */
static uint64_t to_integer(unsigned rc, bool sign, int32_t exp, uint64_t sig, bool *inexact, bool *up)
{
    unsigned sh = (unsigned)(63 - exp);
    u128 v = shr128_jam(mk128(sig, 0), sh > 200 ? 200 : sh);
    uint64_t ip = v.hi, fr = v.lo;
    int cls = fr == 0 ? 0 : fr < F80_INT_BIT ? 1 : fr == F80_INT_BIT ? 2 : 3;
    bool inc;
    switch (rc) {
    case RC_NEAR: inc = cls == 3 || (cls == 2 && (ip & 1)); break;
    case RC_DOWN: inc = sign && cls; break;
    case RC_UP: inc = !sign && cls; break;
    default: inc = false; break;
    }
    *inexact = cls != 0;
    *up = inc;
    return ip + inc;
}

struct f80 f80_round_int(struct f80_env *e, struct f80 a)
{
    enum f80_class k = f80_classify(a);
    if (special(k))
        return nan2(e, a, k, a, k);
    if (k == F80_ZERO || k == F80_INF)
        return a;
    denormal_check(e, k, F80_NORMAL);
    if (f80_env_abort(e))
        return a;
    struct unp u = unpack(a);
    if (u.exp >= 63)
        return a;
    bool inexact, up;
    uint64_t v = to_integer(rounding(e), u.sign, u.exp, u.sig, &inexact, &up);
    if (inexact)
        e->flags |= FE_PE;
    if (v == 0) {
        e->c1 = up;
        return f80_make(u.sign, 0, 0);
    }
    struct f80 r = pack_exact(e, u.sign, 63, v);
    e->c1 = up;
    return r;
}

struct f80 f80_scale(struct f80_env *e, struct f80 a, struct f80 b)
{
    enum f80_class ka = f80_classify(a), kb = f80_classify(b);
    if (special(ka) || special(kb))
        return nan2(e, a, ka, b, kb);
    if (kb == F80_INF) {
        if ((!f80_sign(b) && ka == F80_ZERO) || (f80_sign(b) && ka == F80_INF))
            return invalid(e);
        denormal_check(e, ka, kb);
        if (f80_env_abort(e))
            return a;
        if (ka == F80_ZERO || ka == F80_INF)
            return a;
        return f80_sign(b) ? f80_make(f80_sign(a), 0, 0) : f80_make(f80_sign(a), 0x7FFF, F80_INT_BIT);
    }
    denormal_check(e, ka, kb);
    if (f80_env_abort(e))
        return a;
    if (ka == F80_ZERO || ka == F80_INF)
        return a;
    int32_t n = 0;
    if (kb != F80_ZERO) {
        struct unp ub = unpack(b);
        if (ub.exp >= 20)
            n = 1 << 20;
        else if (ub.exp >= 0)
            n = (int32_t)(ub.sig >> (63 - ub.exp));
        if (ub.sign)
            n = -n;
    }
    struct unp u = unpack(a);
    return pack_exact(e, u.sign, u.exp + n, u.sig);
}

struct f80 f80_xtract(struct f80_env *e, struct f80 a, struct f80 *expo)
{
    enum f80_class k = f80_classify(a);
    if (special(k)) {
        struct f80 r = nan2(e, a, k, a, k);
        *expo = r;
        return r;
    }
    if (k == F80_ZERO) {
        e->flags |= FE_ZE;
        *expo = f80_make(true, 0x7FFF, F80_INT_BIT);
        return a;
    }
    if (k == F80_INF) {
        *expo = f80_make(false, 0x7FFF, F80_INT_BIT);
        return a;
    }
    denormal_check(e, k, F80_NORMAL);
    struct unp u = unpack(a);
    *expo = f80_from_i64(u.exp);
    return f80_make(u.sign, F80_BIAS, u.sig);
}

/* Reduction step count N for FPREM/FPREM1 with an exponent difference of
 * 64 or more (SDM: "an implementation-dependent number between 32 and
 * 63"). */
static unsigned rem_partial_bits(int32_t d)
{
    return 32 + (unsigned)((d - 32) % 32);
}

struct f80 f80_rem(struct f80_env *e, struct f80 a, struct f80 b, bool nearest, unsigned *q, bool *incomplete)
{
    enum f80_class ka = f80_classify(a), kb = f80_classify(b);
    *q = 0;
    *incomplete = false;
    if (special(ka) || special(kb))
        return nan2(e, a, ka, b, kb);
    if (ka == F80_INF || kb == F80_ZERO)
        return invalid(e);
    denormal_check(e, ka, kb);
    if (f80_env_abort(e))
        return a;
    if (ka == F80_ZERO)
        return a;
    struct unp ua = unpack(a), ub = unpack(b);
    if (kb == F80_INF) /* the dividend itself, through the underflow rules (a denormal with UE unmasked) */
        return pack_exact(e, ua.sign, ua.exp, ua.sig);
    int32_t d = ua.exp - ub.exp;
    bool sign = ua.sign;
    if (d < 0) {
        if (!nearest || d < -1 || ua.sig <= ub.sig)
            return pack_exact(e, sign, ua.exp, ua.sig);
        /* |b|/2 < |a| < |b|: the quotient rounds to 1. */
        *q = 1;
        return pack_exact(e, !sign, ua.exp, ub.sig - (ua.sig - ub.sig));
    }
    unsigned steps;
    if (d >= 64) {
        steps = rem_partial_bits(d);
        *incomplete = true;
    } else {
        steps = (unsigned)d;
    }
    uint64_t r = ua.sig, dv = ub.sig, qq = 0;
    bool carry = false;
    for (unsigned i = 0;; i++) {
        qq <<= 1;
        if (carry || r >= dv) {
            r -= dv;
            qq |= 1;
        }
        if (i == steps)
            break;
        carry = r >> 63;
        r <<= 1;
    }
    int32_t rexp = ua.exp - (int32_t)steps;
    if (nearest && !*incomplete) {
        bool more = (r >> 63) || (r << 1) > dv;
        bool half = !(r >> 63) && (r << 1) == dv;
        if (more || (half && (qq & 1))) {
            r = dv - r;
            qq++;
            sign = !sign;
        }
    }
    if (!*incomplete)
        *q = (unsigned)(qq & 7);
    if (r == 0)
        return f80_make(ua.sign, 0, 0);
    return pack_exact(e, sign, rexp, r);
}

/* ---- comparison ------------------------------------------------------------- */
int f80_compare(struct f80_env *e, struct f80 a, struct f80 b, bool quiet_cmp)
{
    enum f80_class ka = f80_classify(a), kb = f80_classify(b);
    if (special(ka) || special(kb)) {
        if (!quiet_cmp || ka == F80_SNAN || kb == F80_SNAN || ka == F80_UNSUPPORTED || kb == F80_UNSUPPORTED)
            e->flags |= FE_IE;
        return 2;
    }
    denormal_check(e, ka, kb);
    if (ka == F80_ZERO && kb == F80_ZERO)
        return 0;
    bool sa = f80_sign(a), sb = f80_sign(b);
    if (ka == F80_ZERO)
        return sb ? 1 : -1;
    if (kb == F80_ZERO)
        return sa ? -1 : 1;
    if (sa != sb)
        return sa ? -1 : 1;
    struct unp ua = unpack(a), ub = unpack(b);
    if (ka == F80_INF)
        ua.exp = 1 << 20;
    if (kb == F80_INF)
        ub.exp = 1 << 20;
    int mag = ua.exp != ub.exp ? (ua.exp > ub.exp ? 1 : -1) : ua.sig != ub.sig ? (ua.sig > ub.sig ? 1 : -1) : 0;
    return sa ? -mag : mag;
}

/* ---- conversions ------------------------------------------------------------- */
struct f80 f80_from_i64(int64_t v)
{
    if (v == 0)
        return f80_make(false, 0, 0);
    bool sign = v < 0;
    uint64_t m = sign ? 0 - (uint64_t)v : (uint64_t)v;
    unsigned n = clz64(m);
    return f80_make(sign, (unsigned)(F80_BIAS + 63 - (int)n), m << n);
}

/* A single or double (frac_bits of fraction, exponent bias) widened. */
static struct f80 from_ieee(struct f80_env *e, bool sign, uint32_t exp, uint64_t frac, unsigned frac_bits,
                            uint32_t emaxb, int32_t bias, bool keep_snan)
{
    if (exp == emaxb) {
        if (frac == 0)
            return f80_make(sign, 0x7FFF, F80_INT_BIT);
        struct f80 r = f80_make(sign, 0x7FFF, F80_INT_BIT | (frac << (63 - frac_bits)));
        if (!((frac >> (frac_bits - 1)) & 1) && !keep_snan) {
            e->flags |= FE_IE;
            r = quiet(r);
        }
        return r;
    }
    if (exp == 0) {
        if (frac == 0)
            return f80_make(sign, 0, 0);
        if (keep_snan)
            e->b_denormal = true;
        else
            e->flags |= FE_DE;
        unsigned n = clz64(frac);
        /* value = frac * 2^(1 - bias - frac_bits) */
        return f80_make(sign, (unsigned)(F80_BIAS + 1 - bias - (int)frac_bits + 63 - (int)n), frac << n);
    }
    return f80_make(sign, (unsigned)((int32_t)exp - bias + F80_BIAS), F80_INT_BIT | (frac << (63 - frac_bits)));
}

struct f80 f80_from_f32(struct f80_env *e, uint32_t v, bool keep_snan)
{
    return from_ieee(e, v >> 31, (v >> 23) & 0xFF, v & 0x7FFFFF, 23, 0xFF, 127, keep_snan);
}

struct f80 f80_from_f64(struct f80_env *e, uint64_t v, bool keep_snan)
{
    return from_ieee(e, v >> 63, (uint32_t)(v >> 52) & 0x7FF, v & 0xFFFFFFFFFFFFFull, 52, 0x7FF, 1023, keep_snan);
}

int64_t f80_to_int(struct f80_env *e, struct f80 a, unsigned bits)
{
    int64_t indef = bits == 64 ? INT64_MIN : -((int64_t)1 << (bits - 1));
    enum f80_class k = f80_classify(a);
    if (special(k) || k == F80_INF) {
        e->flags |= FE_IE;
        return indef;
    }
    if (k == F80_ZERO)
        return 0;
    struct unp u = unpack(a);
    if (u.exp > 63) {
        e->flags |= FE_IE;
        return indef;
    }
    bool inexact, up;
    uint64_t m = to_integer(rounding(e), u.sign, u.exp, u.sig, &inexact, &up);
    uint64_t lim = (UINT64_C(1) << (bits - 1)) - (u.sign ? 0 : 1);
    if ((u.exp == 63 && up) || m > lim) {
        e->flags |= FE_IE;
        return indef;
    }
    if (inexact)
        e->flags |= FE_PE;
    e->c1 = up;
    return u.sign ? (int64_t)(0 - m) : (int64_t)m;
}

/* Narrows to a format of prec bits with exponent bias and maximum biased
 * exponent emaxb; returns sign, biased exponent and fraction packed. */
static uint64_t to_ieee(struct f80_env *e, struct f80 a, unsigned prec, int32_t bias, uint32_t emaxb)
{
    unsigned frac_bits = prec - 1;
    uint64_t sign = (uint64_t)f80_sign(a) << (frac_bits + (prec == 24 ? 8 : 11));
    uint64_t expinf = (uint64_t)emaxb << frac_bits;
    enum f80_class k = f80_classify(a);
    switch (k) {
    case F80_SNAN:
        e->flags |= FE_IE;
        /* fall through */
    case F80_QNAN:
        return sign | expinf | ((uint64_t)1 << (frac_bits - 1)) | ((a.sig << 1) >> (64 - frac_bits));
    case F80_INF:
        return sign | expinf;
    case F80_ZERO:
        return sign;
    default:
        break;
    }
    /* (no denormal-operand exception for stores) */
    struct unp u = unpack(a);
    int32_t emin = 1 - bias, emax = (int32_t)emaxb - 1 - bias;
    int32_t exp = u.exp;
    uint64_t sig = round_gen(e, u.sign, &exp, u.sig, 0, prec, emin, emax, 0);
    if (exp > emax)
        return sign | expinf;
    if (!(sig & F80_INT_BIT))
        return sign | (sig >> (64 - prec));
    return sign | ((uint64_t)(exp + bias) << frac_bits) | ((sig << 1) >> (64 - frac_bits));
}

uint32_t f80_to_f32(struct f80_env *e, struct f80 a)
{
    if (f80_classify(a) == F80_UNSUPPORTED) {
        e->flags |= FE_IE;
        return 0xFFC00000u;
    }
    return (uint32_t)to_ieee(e, a, 24, 127, 0xFF);
}

uint64_t f80_to_f64(struct f80_env *e, struct f80 a)
{
    if (f80_classify(a) == F80_UNSUPPORTED) {
        e->flags |= FE_IE;
        return 0xFFF8000000000000ull;
    }
    return to_ieee(e, a, 53, 1023, 0x7FF);
}

struct f80 f80_from_bcd(const uint8_t b[10])
{
    uint64_t v = 0;
    for (int i = 8; i >= 0; i--)
        v = v * 100 + (uint64_t)(b[i] >> 4) * 10 + (b[i] & 15);
    struct f80 r = f80_from_i64((int64_t)v);
    if (b[9] & 0x80)
        r = f80_neg(r);
    return r;
}

void f80_to_bcd(struct f80_env *e, struct f80 a, uint8_t b[10])
{
    static const uint8_t indef[10] = { 0, 0, 0, 0, 0, 0, 0, 0xC0, 0xFF, 0xFF };
    enum f80_class k = f80_classify(a);
    uint64_t m = 0;
    bool sign = f80_sign(a);
    if (special(k) || k == F80_INF)
        goto bad;
    if (k != F80_ZERO) {
        struct unp u = unpack(a);
        if (u.exp > 63)
            goto bad;
        bool inexact, up;
        m = to_integer(rounding(e), u.sign, u.exp, u.sig, &inexact, &up);
        if ((u.exp == 63 && up) || m > 999999999999999999ull)
            goto bad;
        if (inexact)
            e->flags |= FE_PE;
        e->c1 = up;
    }
    for (int i = 0; i < 9; i++) {
        unsigned lo = (unsigned)(m % 10);
        m /= 10;
        unsigned hi = (unsigned)(m % 10);
        m /= 10;
        b[i] = (uint8_t)(hi << 4 | lo);
    }
    b[9] = sign ? 0x80 : 0;
    return;
bad:
    e->flags |= FE_IE;
    for (int i = 0; i < 10; i++)
        b[i] = indef[i];
}

/* ---- constants ---------------------------------------------------------- */
struct f80 f80_const(unsigned which, unsigned rc)
{
    /* Each constant is the exact value rounded by RC: its top 64 bits, the
     * next bit (the round bit) and whether anything non-zero follows (the
     * sticky bit).  The SDM describes 66-bit internal constants; their two
     * extra bits are the round bit and, in effect, a sticky bit: log10(2)
     * continues 9A209A84FBCFF798 8F..., so its round bit is 1 and the rest
     * is not zero, and round to nearest gives ...F799 (a tie-to-even on a
     * truncated "10" would wrongly give ...F798).  Verified against the
     * exact values:
     *   L2T = log2(10)  = D49A784BCD1B8AFE 49...  (round 0, sticky 1)
     *   L2E = log2(e)   = B8AA3B295C17F0BB BE...  (round 1, sticky 1)
     *   PI              = C90FDAA22168C234 C4...  (round 1, sticky 1)
     *   LG2 = log10(2)  = 9A209A84FBCFF798 8F...  (round 1, sticky 1)
     *   LN2 = ln(2)     = B17217F7D1CF79AB C9...  (round 1, sticky 1) */
    static const struct { uint64_t sig; uint8_t extra; int16_t exp; } k[7] = {
        { 0x8000000000000000ull, 0, 0 },  { 0xD49A784BCD1B8AFEull, 1, 1 },
        { 0xB8AA3B295C17F0BBull, 3, 0 },  { 0xC90FDAA22168C234ull, 3, 1 },
        { 0x9A209A84FBCFF798ull, 3, -2 }, { 0xB17217F7D1CF79ABull, 3, -1 },
        { 0, 0, 0 },
    };
    if (which >= 6)
        return f80_make(false, 0, 0);
    uint64_t sig = k[which].sig;
    unsigned x = k[which].extra; /* bit 1: the round bit, bit 0: sticky */
    bool inc = false;
    if (rc == RC_NEAR)
        inc = (x & 2) && ((x & 1) || (sig & 1));
    else if (rc == RC_UP)
        inc = x != 0;
    if (inc)
        sig++;
    return f80_make(false, (unsigned)(F80_BIAS + k[which].exp), sig);
}
