/* Private to cpu/: 128-bit unsigned integers as two 64-bit halves, for the
 * software floating point (portable: no compiler 128-bit type). */
#ifndef POPEK_CPU_F80_U128_H
#define POPEK_CPU_F80_U128_H

#include <stdbool.h>
#include <stdint.h>

typedef struct {
    uint64_t hi, lo;
} u128;

static inline u128 mk128(uint64_t hi, uint64_t lo)
{
    return (u128){ hi, lo };
}

static inline unsigned clz64(uint64_t v)
{
#if defined(__GNUC__)
    return v ? (unsigned)__builtin_clzll(v) : 64;
#else
    unsigned n = 0;
    if (!v)
        return 64;
    while (!(v >> 63)) {
        v <<= 1;
        n++;
    }
    return n;
#endif
}

static inline u128 add128(u128 a, u128 b)
{
    u128 r = { a.hi + b.hi, a.lo + b.lo };
    r.hi += r.lo < a.lo;
    return r;
}

static inline u128 sub128(u128 a, u128 b)
{
    u128 r = { a.hi - b.hi, a.lo - b.lo };
    r.hi -= a.lo < b.lo;
    return r;
}

static inline bool lt128(u128 a, u128 b)
{
    return a.hi < b.hi || (a.hi == b.hi && a.lo < b.lo);
}

static inline bool is0_128(u128 a)
{
    return (a.hi | a.lo) == 0;
}

static inline u128 shl128(u128 a, unsigned n)
{
    if (n == 0)
        return a;
    if (n >= 128)
        return mk128(0, 0);
    if (n >= 64)
        return mk128(a.lo << (n - 64), 0);
    return mk128((a.hi << n) | (a.lo >> (64 - n)), a.lo << n);
}

static inline u128 shr128(u128 a, unsigned n)
{
    if (n == 0)
        return a;
    if (n >= 128)
        return mk128(0, 0);
    if (n >= 64)
        return mk128(0, a.hi >> (n - 64));
    return mk128(a.hi >> n, (a.lo >> n) | (a.hi << (64 - n)));
}

/* Shifts right and ORs any bit shifted out into bit 0 (sticky). */
static inline u128 shr128_jam(u128 a, unsigned n)
{
    u128 r = shr128(a, n);
    if (!is0_128(sub128(a, shl128(r, n))) || (n >= 128 && !is0_128(a)))
        r.lo |= 1;
    return r;
}

static inline u128 mul64(uint64_t a, uint64_t b)
{
    uint64_t al = (uint32_t)a, ah = a >> 32, bl = (uint32_t)b, bh = b >> 32;
    uint64_t ll = al * bl, lh = al * bh, hl = ah * bl, hh = ah * bh;
    uint64_t mid = (ll >> 32) + (uint32_t)lh + (uint32_t)hl;
    return mk128(hh + (lh >> 32) + (hl >> 32) + (mid >> 32), (mid << 32) | (uint32_t)ll);
}

#endif
