/* Reference for tests/bench/bench.asm: computes, on the host, the checksum
 * the guest must print, as eight lowercase hex digits and a newline.
 * Usage: bench_ref ITER           prints the checksum line
 *        bench_ref --count ITER   prints how many instructions the guest
 *                                 executes (each REP iteration counting one,
 *                                 as cpu_run() counts them), so that a CPU
 *                                 that miscounts cannot report a false MIPS.
 * Keep both in step with bench.asm: the counts below follow its code. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ref_args.h"

static uint32_t rotl(uint32_t v, unsigned n)
{
    n &= 31;
    return n ? (v << n) | (v >> (32 - n)) : v;
}

static uint32_t mix(uint32_t h, uint32_t w)
{
    return rotl(h ^ w, 7) * 9u + 0x6B43A9B5u - w;
}

int main(int argc, char **argv)
{
    uint32_t iter;
    int want_count;
    if (ref_args(argc, argv, "bench_ref", &iter, &want_count) < 0)
        return 1;

    /* Instructions outside the main loop: the reset vector's far jump (1);
     * set-up to the S-box copy (12) and its REP MOVSD (64); the routine copy
     * (6) and its REP MOVSB (one per routine byte, 25); the segment loads
     * and XOR ECX (4); 256 rounds of the 7-instruction table loop; the
     * three variable stores (3); printing (3 + 8 * 6 + 4, ending with HLT). */
    uint64_t count = 1 + 12 + 64 + 6 + 25 + 4 + 256 * 7 + 3 + 3 + 8 * 6 + 4;

    uint32_t tbl[256];
    uint8_t sbox[256];
    for (uint32_t k = 0; k < 256; k++) {
        tbl[k] = rotl((k * 0x01000193u) ^ 0xA5A5A5A5u, k & 31);
        sbox[k] = (uint8_t)((k * 167u + 13u) & 255u);
    }

    uint32_t imm1 = 0x01234567u, imm2 = 0x89ABCDEFu; /* as assembled */
    uint32_t x = 0x12345678u, h = 0x811C9DC5u;
    uint32_t a[16], b[16];
    uint8_t c[16];

    for (uint32_t i = (uint32_t)iter; i != 0; i--) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        uint32_t t = tbl[x & 255];
        uint32_t sb = sbox[(x >> 8) & 255];
        /* PRNG 11, lookups 9, load h + TEST + Jcc 3, ROL + ADD 2 */
        count += 11 + 9 + 3 + 2;
        if (x & 0x100) {
            h += t;
            count += 2; /* ADD, JMP */
        } else {
            h ^= t;
            count += 1; /* XOR */
        }
        h = rotl(h, 5) + sb;

        for (int j = 0; j < 16; j++)
            a[j] = x;
        a[(x >> 20) & 15] = h;
        memcpy(b, a, sizeof(b));

        /* The guest copies bytes of B as it lies in memory: little-endian. */
        uint8_t bbytes[64];
        for (int j = 0; j < 16; j++)
            for (int k = 0; k < 4; k++)
                bbytes[j * 4 + k] = (uint8_t)(b[j] >> (8 * k));
        uint32_t n = ((x >> 4) & 15) + 1;
        memcpy(c, bbytes + 3, n);
        uint32_t s = 0;
        for (uint32_t j = 0; j < n; j++)
            s += c[j];
        h ^= s << 8;
        /* REP STOSD: 2 + 16; A store 4; REP MOVSD: 3 + 16; REP MOVSB:
         * 8 + n; sum set-up 3, n rounds of LODSB/ADD/LOOP, SHL + XOR 2 */
        count += 18 + 4 + 19 + (8 + n) + 3 + 3 * n + 2;

        h = mix(h, b[(x >> 12) & 15]);
        count += 6 + 8; /* index and CALL; the 8 of mix() with RET */
        count += 2;     /* TEST + Jcc */

        if ((i & 15) == 0) {
            uint64_t p = (uint64_t)h * x;
            h ^= (uint32_t)(p >> 32);
            uint32_t d = (x >> 16) | 1;
            h += (h / d) ^ (h % d);
            count += 13;
        }
        count += 3; /* MOV EAX, TEST + Jcc */

        if ((i & 7) == 0) {
            imm1 = x;
            imm2 = t;
            count += 4 + 2 + 1; /* patch, CALL FAR; MOV CS:, JMP SHORT; JMP */
        } else {
            count += 1;         /* CALL FAR */
        }
        h = rotl((h + imm1) ^ imm2, 3);
        count += 4 + 3; /* ADD, XOR, ROL, RETF; store h, DEC, Jcc */
    }
    if (want_count)
        printf("%llu\n", (unsigned long long)count);
    else
        printf("%08x\n", h);
    return 0;
}
