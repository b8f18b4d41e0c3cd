/* The compiled-C benchmark's workloads (tests/bench/cbench/): the same
 * sources run as a multiboot guest (guest.c) and natively on the host as
 * the reference (host.c), so both must give the same checksum.  Every
 * value is a fixed-width unsigned type and nothing depends on the size of
 * a pointer, so an i686 guest and an x86-64 host agree bit for bit. */
#ifndef POPEK_CBENCH_WORK_H
#define POPEK_CBENCH_WORK_H

#include <stddef.h>
#include <stdint.h>

/* Runs `iterations` rounds of every workload and returns the checksum.
 * Zero rounds still builds the tables, so a short run starts the same. */
uint32_t cbench_run(uint32_t iterations);

/* The workloads, each given a seed and returning a value to fold in. */
uint32_t work_integer(uint32_t seed);
uint32_t work_copy(uint32_t seed);
uint32_t work_crc(uint32_t seed);
uint32_t work_sort(uint32_t seed, int heap);
uint32_t work_bytecode(uint32_t seed);
void work_init(void);

/* The freestanding guest brings its own (guest.c); the host has libc's.
 * The compiler may also call them for struct copies and zeroing loops. */
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);

static inline uint32_t rotl32(uint32_t v, unsigned n)
{
    n &= 31;
    return n ? (v << n) | (v >> (32 - n)) : v;
}

/* xorshift32: the seed stream; never returns 0 for a non-zero state. */
static inline uint32_t xorshift32(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    *s = x;
    return x;
}

#endif
