/* Reference for tests/bench/dosloop.asm: computes, on the host, the
 * checksum the guest must print, as eight lowercase hex digits and a
 * newline.
 * Usage: dosloop_ref ITER           prints the checksum line
 *        dosloop_ref --count ITER   prints how many instructions the guest
 *                                   executes (each REP iteration counting
 *                                   one), checked against Popek's count.
 * Keep both in step with dosloop.asm: the counts below follow its code. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "ref_args.h"

/* The program's length in bytes (prog_len), copied by one REP MOVSB. */
#define PROG_LEN 249

int main(int argc, char **argv)
{
    uint32_t iter;
    int want_count;
    if (ref_args(argc, argv, "dosloop_ref", &iter, &want_count) < 0)
        return 1;

    /* The reset vector's far jump (1); the set-up (11), the copy (one per
     * byte) and the far jump into the program (2); the program's counter
     * set-up (3); printing (87, ending with HLT). */
    uint64_t count = 1 + 11 + PROG_LEN + 2 + 3 + 87;

    uint8_t table[16];
    for (unsigned k = 0; k < 16; k++)
        table[k] = (uint8_t)((k * 37 + 11) & 255);
    uint16_t h_lo = 0x9DC5, h_hi = 0x811C, seed = 0x1234, calls = 0;

    for (uint64_t i = 0; i < iter; i++) {
        seed = (uint16_t)(seed * 25173u + 13849u);
        h_lo = (uint16_t)(h_lo + seed);
        h_hi ^= h_lo;
        if (seed & 0x100) {
            h_lo ^= 0x5A5A;
            count += 2; /* XOR, JMP SHORT */
        } else {
            h_hi = (uint16_t)(h_hi + 0x3C3C);
            count += 1; /* ADD */
        }
        /* The patched MOV BX, imm16 gets seed with its bytes swapped. */
        h_lo = (uint16_t)(h_lo + (uint16_t)((seed >> 8) | (seed << 8)));
        /* SHL, RCL, ADC: a 32-bit rotate left by one. */
        uint32_t h = (uint32_t)h_hi << 16 | h_lo;
        h = h << 1 | h >> 31;
        h_hi = (uint16_t)(h >> 16);
        h_lo = (uint16_t)h;
        calls++;
        h_hi ^= table[calls & 15];
        /* The buffer holds copies of h_lo, h_hi and seed. */
        h_hi = (uint16_t)(h_hi + (h_lo ^ seed));
        /* LCG 5, add/xor 3, TEST + Jcc 2, patch 6, rotate 3, the call 7,
         * the copy 3 + 3, the sum 3, the counter 5, JMP back 1 */
        count += 5 + 3 + 2 + 6 + 3 + 7 + 6 + 3 + 5 + 1;
    }
    count -= 1; /* the last iteration leaves through JZ, not JMP */
    if (want_count)
        printf("%llu\n", (unsigned long long)count);
    else
        printf("%04x%04x\n", h_hi, h_lo);
    return 0;
}
