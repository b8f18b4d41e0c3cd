/* x87 transcendental functions: FSIN FCOS FSINCOS FPTAN FPATAN F2XM1 FYL2X
 * FYL2XP1 (SDM vol. 2).  Evaluated in a 128-bit-significand software format
 * (power series after argument reduction) and rounded once to the 64-bit
 * result by RC, so results are within an ulp of the true value.  The
 * trigonometric argument reduction uses pi rounded to 66 bits, as Intel
 * documents for the x87 (SDM vol. 1 §8.3.10), so large arguments reduce as
 * they do on the chip. */
#include "cpu/f80.h"

#include "cpu/f80_u128.h"

/* value = (-1)^sign * m * 2^(exp - 127), m normalized (bit 127 set) or 0. */
struct xf {
    bool sign;
    int32_t exp;
    u128 m;
};

static const struct xf XF_ZERO = { false, 0, { 0, 0 } };

static struct xf xf_norm(bool sign, int32_t exp, u128 m)
{
    struct xf r = { sign, exp, m };
    if (is0_128(m))
        return XF_ZERO;
    unsigned n = m.hi ? clz64(m.hi) : 64 + clz64(m.lo);
    r.m = shl128(m, n);
    r.exp -= (int32_t)n;
    return r;
}

static bool xf_is0(struct xf a)
{
    return is0_128(a.m);
}

static struct xf xf_from_f80(struct f80 a)
{
    int32_t exp = f80_exp(a) ? f80_exp(a) : 1;
    return xf_norm(f80_sign(a), exp - F80_BIAS, mk128(a.sig, 0));
}

static struct xf xf_from_u64(uint64_t v)
{
    return xf_norm(false, 127, mk128(0, v));
}

static struct xf xf_neg(struct xf a)
{
    a.sign = !a.sign;
    return a;
}

static struct xf xf_add(struct xf a, struct xf b)
{
    if (xf_is0(a))
        return b;
    if (xf_is0(b))
        return a;
    if (a.exp < b.exp || (a.exp == b.exp && lt128(a.m, b.m))) {
        struct xf t = a;
        a = b;
        b = t;
    }
    unsigned d = (unsigned)(a.exp - b.exp);
    /* one guard bit: work with both shifted right by 1 */
    u128 x = shr128(a.m, 1), y = shr128_jam(shr128(b.m, 1), d > 130 ? 130 : d);
    if (a.sign == b.sign)
        return xf_norm(a.sign, a.exp + 1, add128(x, y));
    return xf_norm(a.sign, a.exp + 1, sub128(x, y));
}

static struct xf xf_sub(struct xf a, struct xf b)
{
    return xf_add(a, xf_neg(b));
}

static struct xf xf_mul(struct xf a, struct xf b)
{
    if (xf_is0(a) || xf_is0(b))
        return XF_ZERO;
    u128 hh = mul64(a.m.hi, b.m.hi), hl = mul64(a.m.hi, b.m.lo), lh = mul64(a.m.lo, b.m.hi);
    u128 mid = add128(mk128(0, hl.hi), mk128(0, lh.hi));
    u128 p = add128(hh, mid);
    return xf_norm(a.sign ^ b.sign, a.exp + b.exp + 1, p);
}

static struct xf xf_div(struct xf a, struct xf b)
{
    if (xf_is0(a))
        return XF_ZERO;
    u128 r = a.m, d = b.m, q = { 0, 0 };
    bool carry = false;
    for (int i = 0; i < 128; i++) {
        bool bit = carry || !lt128(r, d);
        if (bit)
            r = sub128(r, d);
        q = shl128(q, 1);
        q.lo |= bit;
        carry = r.hi >> 63;
        r = shl128(r, 1);
    }
    if (carry || !is0_128(r))
        q.lo |= 1;
    return xf_norm(a.sign ^ b.sign, a.exp - b.exp, q);
}

/* a / n for a small positive integer n. */
static struct xf xf_div_u32(struct xf a, uint32_t n)
{
    uint32_t limb[5] = { (uint32_t)(a.m.hi >> 32), (uint32_t)a.m.hi, (uint32_t)(a.m.lo >> 32), (uint32_t)a.m.lo, 0 };
    uint32_t out[5];
    uint64_t rem = 0;
    for (int i = 0; i < 5; i++) {
        uint64_t cur = (rem << 32) | limb[i];
        out[i] = (uint32_t)(cur / n);
        rem = cur % n;
    }
    /* out is a.m * 2^32 / n (160 bits): normalize to 128 bits (the
     * dropped low bits only matter below the final rounding). */
    u128 w = mk128(((uint64_t)out[0] << 32) | out[1], ((uint64_t)out[2] << 32) | out[3]);
    uint64_t x = (uint64_t)out[4] << 32;
    unsigned z = w.hi ? clz64(w.hi) : 64 + clz64(w.lo);
    u128 hi = shl128(w, z);
    if (z && z < 64)
        hi.lo |= x >> (64 - z);
    return (struct xf){ a.sign, a.exp - (int32_t)z, hi };
}

static struct f80 xf_round(struct f80_env *e, struct xf a)
{
    if (xf_is0(a))
        return f80_make(a.sign, 0, 0);
    /* the 128-bit value's low bits stand for the sticky bits */
    return f80_round_pack(e, a.sign, a.exp, a.m.hi, a.m.lo | 1, 64);
}

/* ---- constants and series ---------------------------------------------------- */
static struct xf xf_pi(void)
{
    return (struct xf){ false, 1, { 0xC90FDAA22168C234ull, 0xC4C6628B80DC1CD1ull } };
}
static struct xf xf_ln2(void)
{
    return (struct xf){ false, -1, { 0xB17217F7D1CF79ABull, 0xC9E3B39803F2F6AFull } };
}
static struct xf xf_one(void)
{
    return (struct xf){ false, 0, { F80_INT_BIT, 0 } };
}

static bool negligible(struct xf term, struct xf sum)
{
    return xf_is0(term) || term.exp < sum.exp - 132;
}

/* sin(t) (odd = true) or cos(t) for |t| <= pi/4 by the power series. */
static struct xf sin_cos_series(struct xf t, bool odd)
{
    struct xf t2 = xf_mul(t, t);
    struct xf term = odd ? t : xf_one(), sum = term;
    for (uint32_t j = 1; j < 100; j++) {
        uint32_t den = odd ? (2 * j) * (2 * j + 1) : (2 * j - 1) * (2 * j);
        term = xf_neg(xf_div_u32(xf_mul(term, t2), den));
        sum = xf_add(sum, term);
        if (negligible(term, sum))
            break;
    }
    return sum;
}

/* atan(t) for |t| <= 1/2 by its power series. */
static struct xf atan_series(struct xf t)
{
    struct xf t2 = xf_mul(t, t), pw = t, sum = t;
    for (uint32_t k = 3; k < 400; k += 2) {
        pw = xf_neg(xf_mul(pw, t2));
        struct xf term = xf_div_u32(pw, k);
        sum = xf_add(sum, term);
        if (negligible(term, sum))
            break;
    }
    return sum;
}

/* atan(t) for t >= 0. */
static struct xf xf_atan(struct xf t)
{
    bool inv = t.exp >= 1 || (t.exp == 0 && (t.m.hi != F80_INT_BIT || t.m.lo != 0)); /* t > 1 */
    if (inv)
        t = xf_div(xf_one(), t);
    struct xf r;
    if (t.exp < -1) { /* t < 1/2 */
        r = atan_series(t);
    } else { /* pi/4 + atan((t-1)/(t+1)) */
        struct xf u = xf_div(xf_sub(t, xf_one()), xf_add(t, xf_one()));
        struct xf pi4 = xf_pi();
        pi4.exp -= 2;
        r = xf_add(pi4, atan_series(u));
    }
    if (inv) {
        struct xf pi2 = xf_pi();
        pi2.exp -= 1;
        r = xf_sub(pi2, r);
    }
    return r;
}

/* ln(x) for x > 0. */
static struct xf xf_ln(struct xf x)
{
    /* x = m * 2^k with m in [sqrt(1/2), sqrt(2)) */
    int32_t k = x.exp;
    x.exp = 0;
    if (x.m.hi > 0xB504F333F9DE6484ull) {
        x.exp = -1;
        k++;
    }
    struct xf z = xf_div(xf_sub(x, xf_one()), xf_add(x, xf_one()));
    struct xf z2 = xf_mul(z, z), pw = z, sum = z;
    for (uint32_t j = 3; j < 400; j += 2) {
        pw = xf_mul(pw, z2);
        struct xf term = xf_div_u32(pw, j);
        sum = xf_add(sum, term);
        if (negligible(term, sum))
            break;
    }
    sum.exp += 1; /* 2 atanh(z) */
    struct xf kl = k >= 0 ? xf_from_u64((uint64_t)k) : xf_neg(xf_from_u64((uint64_t)-(int64_t)k));
    return xf_add(xf_mul(kl, xf_ln2()), sum);
}

/* e^x - 1 for |x| < 1. */
static struct xf xf_expm1(struct xf x)
{
    struct xf term = x, sum = x;
    for (uint32_t k = 2; k < 200; k++) {
        term = xf_div_u32(xf_mul(term, x), k);
        sum = xf_add(sum, term);
        if (negligible(term, sum))
            break;
    }
    return sum;
}

/* ---- operand screening ------------------------------------------------------------ */
static bool is_special(enum f80_class k)
{
    return k == F80_QNAN || k == F80_SNAN || k == F80_UNSUPPORTED;
}

static struct f80 nan1(struct f80_env *e, struct f80 a, enum f80_class k)
{
    if (k == F80_UNSUPPORTED) {
        e->flags |= FE_IE;
        return F80_INDEFINITE;
    }
    if (k == F80_SNAN)
        e->flags |= FE_IE;
    a.sig |= 1ull << 62;
    return a;
}

static struct f80 nan2t(struct f80_env *e, struct f80 a, enum f80_class ka, struct f80 b, enum f80_class kb)
{
    if (ka == F80_UNSUPPORTED || kb == F80_UNSUPPORTED) {
        e->flags |= FE_IE;
        return F80_INDEFINITE;
    }
    bool na = ka == F80_QNAN || ka == F80_SNAN, nb = kb == F80_QNAN || kb == F80_SNAN;
    if (ka == F80_SNAN || kb == F80_SNAN)
        e->flags |= FE_IE;
    if (na && nb) {
        if (ka != kb)
            return nan1(e, ka == F80_QNAN ? a : b, F80_QNAN);
        uint64_t sa = a.sig & ~(1ull << 62), sb = b.sig & ~(1ull << 62);
        if (sa != sb)
            return nan1(e, sa > sb ? a : b, F80_QNAN);
        return nan1(e, f80_sign(a) ? b : a, F80_QNAN);
    }
    return nan1(e, na ? a : b, F80_QNAN);
}

static struct f80 invalid(struct f80_env *e)
{
    e->flags |= FE_IE;
    return F80_INDEFINITE;
}

/* ---- trigonometry ------------------------------------------------------------ */
/* pi rounded to 66 bits as the x87 keeps it: 0x3243F6A8885A308D3 = pi * 2^64
 * (truncated, which is also the rounding to nearest here). */
#define PI66_HI 0x3ull
#define PI66_LO 0x243F6A8885A308D3ull

/* Reduces x by multiples of pi66/2 to |t| <= pi66/4; *quad = quotient mod 4. */
static struct xf reduce(struct f80 a, unsigned *quad)
{
    struct xf x = xf_from_f80(a);
    bool sign = x.sign;
    x.sign = false;
    *quad = 0;
    /* |x| <= pi/4: no reduction */
    if (x.exp < -1 || (x.exp == -1 && x.m.hi <= 0xC90FDAA22168C234ull))
        return xf_norm(sign, x.exp, x.m);
    /* x = X * 2^(sh - 65), P = pi66/2 = PI66 * 2^-65 */
    struct f80 ab = f80_abs(a);
    uint64_t X = ab.sig;
    int32_t sh = (f80_exp(ab) - F80_BIAS - 63) + 65;
    u128 p = mk128(PI66_HI, PI66_LO), r = { 0, 0 };
    uint64_t q = 0;
    for (int i = 63 + sh; i >= 0; i--) {
        unsigned bit = i >= sh ? (unsigned)((X >> (i - sh)) & 1) : 0;
        r = shl128(r, 1);
        r.lo |= bit;
        q <<= 1;
        if (!lt128(r, p)) {
            r = sub128(r, p);
            q |= 1;
        }
    }
    bool neg = false;
    if (lt128(shr128(p, 1), r)) { /* above P/2: take r - P */
        r = sub128(p, r);
        q++;
        neg = true;
    }
    *quad = (unsigned)(q & 3);
    struct xf t = xf_norm(sign ^ neg, 127 - 65, r);
    if (sign)
        *quad = (4 - *quad) & 3;
    return t;
}

static bool trig_screen(struct f80_env *e, struct f80 a, struct f80 *res, bool *oor)
{
    enum f80_class k = f80_classify(a);
    *oor = false;
    if (is_special(k)) {
        *res = nan1(e, a, k);
        return true;
    }
    if (k == F80_INF) {
        *res = invalid(e);
        return true;
    }
    if (f80_exp(a) >= F80_BIAS + 63) {
        *oor = true;
        *res = a;
        return true;
    }
    if (k == F80_DENORMAL)
        e->flags |= FE_DE;
    return false;
}

static struct xf sin_of(struct xf t, unsigned quad, bool want_cos)
{
    unsigned qq = (quad + (want_cos ? 1 : 0)) & 3;
    struct xf r = (qq & 1) ? sin_cos_series(t, false) : sin_cos_series(t, true);
    /* sin(t + q pi/2): q=0 sin t, 1 cos t, 2 -sin t, 3 -cos t */
    if (qq >= 2)
        r = xf_neg(r);
    return r;
}

struct f80 f80_sin(struct f80_env *e, struct f80 a, bool *oor)
{
    struct f80 res;
    if (trig_screen(e, a, &res, oor))
        return res;
    if (f80_classify(a) == F80_ZERO)
        return a;
    if (f80_env_abort(e))
        return a;
    unsigned quad;
    struct xf t = reduce(a, &quad);
    return xf_round(e, sin_of(t, quad, false));
}

struct f80 f80_cos(struct f80_env *e, struct f80 a, bool *oor)
{
    struct f80 res;
    if (trig_screen(e, a, &res, oor))
        return res;
    if (f80_classify(a) == F80_ZERO)
        return f80_make(false, F80_BIAS, F80_INT_BIT); /* cos(+-0) = 1 exactly: no PE */
    if (f80_env_abort(e))
        return a;
    unsigned quad;
    struct xf t = reduce(a, &quad);
    return xf_round(e, sin_of(t, quad, true));
}

struct f80 f80_tan(struct f80_env *e, struct f80 a, bool *oor)
{
    struct f80 res;
    if (trig_screen(e, a, &res, oor))
        return res;
    if (f80_classify(a) == F80_ZERO)
        return a;
    if (f80_env_abort(e))
        return a;
    unsigned quad;
    struct xf t = reduce(a, &quad);
    struct xf s = sin_of(t, quad, false), c = sin_of(t, quad, true);
    return xf_round(e, xf_div(s, c));
}

struct f80 f80_atan2(struct f80_env *e, struct f80 y, struct f80 x)
{
    enum f80_class ky = f80_classify(y), kx = f80_classify(x);
    if (is_special(ky) || is_special(kx))
        return nan2t(e, x, kx, y, ky);
    if (ky == F80_DENORMAL || kx == F80_DENORMAL)
        e->flags |= FE_DE;
    if (f80_env_abort(e))
        return y;
    bool sy = f80_sign(y), sx = f80_sign(x);
    struct xf pi = xf_pi(), r;
    if (ky == F80_ZERO) {
        if (!sx)
            return y;
        return xf_round(e, sy ? xf_neg(pi) : pi);
    }
    if (ky == F80_INF || kx == F80_ZERO) {
        struct xf h = pi;
        h.exp -= 1;
        if (ky == F80_INF && kx == F80_INF)
            h = sx ? xf_mul(pi, xf_div_u32(xf_from_u64(3), 4)) : (struct xf){ false, pi.exp - 2, pi.m };
        return xf_round(e, sy ? xf_neg(h) : h);
    }
    if (kx == F80_INF) {
        if (!sx)
            return f80_make(sy, 0, 0);
        return xf_round(e, sy ? xf_neg(pi) : pi);
    }
    struct xf ay = xf_from_f80(y), ax = xf_from_f80(x);
    ay.sign = ax.sign = false;
    r = xf_atan(xf_div(ay, ax));
    if (sx)
        r = xf_sub(pi, r);
    if (sy)
        r = xf_neg(r);
    return xf_round(e, r);
}

struct f80 f80_2xm1(struct f80_env *e, struct f80 a)
{
    enum f80_class k = f80_classify(a);
    if (is_special(k))
        return nan1(e, a, k);
    if (k == F80_ZERO)
        return a;
    if (k == F80_INF)
        return f80_sign(a) ? f80_make(true, F80_BIAS, F80_INT_BIT) : a;
    if (k == F80_DENORMAL)
        e->flags |= FE_DE;
    if (f80_env_abort(e))
        return a;
    /* Defined for |x| <= 1 (SDM); larger arguments (undefined on the chip)
     * give the function's value: 2^x - 1 = 2^n * 2^f - 1 with n the
     * nearest integer and |f| <= 1/2. */
    int32_t ea = f80_exp(a) - F80_BIAS;
    bool neg = f80_sign(a);
    if (ea >= 20) {
        if (!neg) /* overflows */
            return xf_round(e, (struct xf){ false, 1 << 20, { F80_INT_BIT, 0 } });
        return xf_round(e, (struct xf){ true, -1, { ~0ull, ~0ull } }); /* -(1 - 2^-128): -1 rounded by RC */
    }
    if (ea >= 0) {
        uint64_t n = a.sig >> (63 - ea), frac = a.sig << (ea + 1);
        n += frac >> 63; /* to nearest (the half-way case either way) */
        struct xf f = xf_sub(xf_from_f80(f80_abs(a)), xf_from_u64(n));
        if (neg)
            f = xf_neg(f);
        struct xf p = xf_add(xf_one(), xf_expm1(xf_mul(f, xf_ln2())));
        p.exp += neg ? -(int32_t)n : (int32_t)n;
        return xf_round(e, xf_sub(p, xf_one()));
    }
    return xf_round(e, xf_expm1(xf_mul(xf_from_f80(a), xf_ln2())));
}

struct f80 f80_yl2x(struct f80_env *e, struct f80 x, struct f80 y)
{
    enum f80_class kx = f80_classify(x), ky = f80_classify(y);
    if (is_special(kx) || is_special(ky))
        return nan2t(e, x, kx, y, ky);
    bool sx = f80_sign(x), sy = f80_sign(y);
    if (sx && kx != F80_ZERO)
        return invalid(e);
    if (kx == F80_ZERO) {
        /* Invalid and zero-divide take precedence over a denormal y: DE
         * is not reported with them (as the chip does). */
        if (ky == F80_ZERO)
            return invalid(e);
        if (ky != F80_INF) {
            e->flags |= FE_ZE;
            if (f80_env_abort(e))
                return y;
        }
        return f80_make(!sy, 0x7FFF, F80_INT_BIT);
    }
    if (kx == F80_DENORMAL || ky == F80_DENORMAL)
        e->flags |= FE_DE;
    if (f80_env_abort(e))
        return y;
    bool x_one = f80_exp(x) == F80_BIAS && x.sig == F80_INT_BIT;
    if (kx == F80_INF) {
        if (ky == F80_ZERO)
            return invalid(e);
        return f80_make(sy, 0x7FFF, F80_INT_BIT);
    }
    if (ky == F80_INF) {
        if (x_one)
            return invalid(e);
        bool below = f80_exp(x) < F80_BIAS;
        return f80_make(sy ^ below, 0x7FFF, F80_INT_BIT);
    }
    if (x_one)
        return f80_make(sy, 0, 0);
    if (ky == F80_ZERO) {
        bool below = f80_exp(x) < F80_BIAS;
        return f80_make(sy ^ below, 0, 0);
    }
    struct xf l = xf_div(xf_ln(xf_from_f80(x)), xf_ln2());
    return xf_round(e, xf_mul(l, xf_from_f80(y)));
}

struct f80 f80_yl2xp1(struct f80_env *e, struct f80 x, struct f80 y)
{
    enum f80_class kx = f80_classify(x), ky = f80_classify(y);
    if (is_special(kx) || is_special(ky))
        return nan2t(e, x, kx, y, ky);
    bool sy = f80_sign(y), sx = f80_sign(x);
    /* The invalid cases first: an invalid operation is reported without
     * DE for a denormal other operand (as the chip does). */
    if ((kx == F80_ZERO && ky == F80_INF) || (ky == F80_ZERO && kx == F80_INF) || (kx == F80_INF && sx))
        return invalid(e);
    if (kx == F80_DENORMAL || ky == F80_DENORMAL)
        e->flags |= FE_DE;
    if (f80_env_abort(e))
        return y;
    if (kx == F80_ZERO || ky == F80_ZERO)
        return f80_make(sx ^ sy, 0, 0);
    if (kx == F80_INF || ky == F80_INF)
        return f80_make(sx ^ sy, 0x7FFF, F80_INT_BIT);
    struct xf xv = xf_from_f80(x), l;
    /* ln(1 + x) = 2 atanh(x / (2 + x)) */
    struct xf z = xf_div(xv, xf_add(xv, (struct xf){ false, 1, { F80_INT_BIT, 0 } }));
    struct xf z2 = xf_mul(z, z), pw = z, sum = z;
    for (uint32_t j = 3; j < 400; j += 2) {
        pw = xf_mul(pw, z2);
        struct xf term = xf_div_u32(pw, j);
        sum = xf_add(sum, term);
        if (negligible(term, sum))
            break;
    }
    sum.exp += 1;
    l = xf_div(sum, xf_ln2());
    return xf_round(e, xf_mul(l, xf_from_f80(y)));
}
