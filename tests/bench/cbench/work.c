/* The compiled-C benchmark's driver and its integer, copy and CRC-32
 * workloads (sorting in sort.c, the bytecode interpreter in bytecode.c).
 * One round runs each workload once on a fresh seed; the mix of work per
 * round is what a compiled program spends its time on: ALU chains with
 * data-dependent branches and divisions, block copies, a table-driven
 * checksum over a buffer, comparisons and swaps, and a switch dispatch. */
#include "tests/bench/cbench/work.h"

#define COPY_BYTES 2048
#define CRC_BYTES 1024

static uint8_t copy_src[COPY_BYTES + 64];
static uint8_t copy_dst[COPY_BYTES + 64];
static uint32_t crc_table[256];
static uint8_t crc_buf[CRC_BYTES];

struct rec {
    uint32_t key, a, b;
    uint16_t c, d;
};
static struct rec recs_a[32], recs_b[32];

void work_init(void)
{
    uint32_t s = 0x2545F491u;
    for (uint32_t i = 0; i < 256; i++) {
        uint32_t c = i;
        for (int k = 0; k < 8; k++)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        crc_table[i] = c;
    }
    for (uint32_t i = 0; i < sizeof(copy_src); i++)
        copy_src[i] = (uint8_t)xorshift32(&s);
    for (uint32_t i = 0; i < CRC_BYTES; i++)
        crc_buf[i] = (uint8_t)xorshift32(&s);
    memset(copy_dst, 0, sizeof(copy_dst));
    for (uint32_t i = 0; i < 32; i++) {
        recs_a[i].key = xorshift32(&s);
        recs_a[i].a = i;
        recs_a[i].b = ~i;
        recs_a[i].c = (uint16_t)(i * 3);
        recs_a[i].d = (uint16_t)(i * 5);
    }
}

/* An LCG and a xorshift feeding a chain of adds, rotates, multiplies and
 * a real division, with a branch on the data (taken about half the time). */
uint32_t work_integer(uint32_t seed)
{
    uint32_t a = seed, b = seed ^ 0x5BD1E995u, acc = 0;
    for (uint32_t k = 0; k < 512; k++) {
        a = a * 1103515245u + 12345u;
        b ^= b << 7;
        b ^= b >> 9;
        uint32_t t = (a >> 16) ^ b;
        if (t & 1)
            acc += t >> 3;
        else
            acc ^= t * 3u;
        acc = rotl32(acc, 3) + (t % 7u);
        if ((k & 15) == 0)
            acc += a / ((b & 0xFFFu) | 1u);
    }
    return acc;
}

/* Block copies of varying length and alignment (the memcpy and memmove a
 * program calls), an overlapping move, and a struct array copied element
 * by element, then a word sum of what arrived. */
uint32_t work_copy(uint32_t seed)
{
    uint32_t len = 256 + (seed & 1023);
    uint32_t so = (seed >> 10) & 63, d = (seed >> 16) & 63;
    memcpy(copy_dst + d, copy_src + so, len);
    memmove(copy_dst + 8, copy_dst + 1 + (seed >> 24 & 7), len / 2);
    for (uint32_t i = 0; i < 32; i++) {
        recs_b[i] = recs_a[(i + seed) & 31];
        recs_b[i].a += i;
    }
    uint32_t sum = 0;
    for (uint32_t i = 0; i < len; i += 4)
        sum = rotl32(sum, 1) ^ (uint32_t)copy_dst[i] ^ (uint32_t)copy_dst[i + 1] << 8 ^
              (uint32_t)copy_dst[i + 2] << 16 ^ (uint32_t)copy_dst[i + 3] << 24;
    for (uint32_t i = 0; i < 32; i++)
        sum += recs_b[i].key ^ recs_b[i].a ^ recs_b[i].c;
    /* Let the source drift so that no two rounds copy the same bytes. */
    copy_src[seed % COPY_BYTES] ^= (uint8_t)sum;
    return sum;
}

/* The reflected CRC-32 (zlib's polynomial), a byte at a time through a
 * table, over a buffer that changes one byte a round. */
uint32_t work_crc(uint32_t seed)
{
    crc_buf[seed % CRC_BYTES] ^= (uint8_t)(seed >> 8);
    uint32_t c = 0xFFFFFFFFu;
    for (uint32_t i = 0; i < CRC_BYTES; i++)
        c = crc_table[(c ^ crc_buf[i]) & 0xFF] ^ (c >> 8);
    return ~c;
}

uint32_t cbench_run(uint32_t iterations)
{
    uint32_t s = 0x12345678u, h = 0x811C9DC5u;
    work_init();
    for (uint32_t i = 0; i < iterations; i++) {
        uint32_t v = work_integer(xorshift32(&s));
        v ^= rotl32(work_copy(xorshift32(&s)), 7);
        v += work_crc(xorshift32(&s));
        v ^= work_sort(xorshift32(&s), (int)(i & 1));
        v += work_bytecode(xorshift32(&s));
        h = rotl32(h ^ v, 5) * 0x9E3779B1u + i;
    }
    return h;
}
