/* Helpers shared by the savestate tests (test_sv_*.c): comparing two
 * saves, a small deterministic generator for damaging streams, and disk
 * images whose bytes the tests know. */
#ifndef POPEK_TESTS_UNIT_SV_FIXTURE_H
#define POPEK_TESTS_UNIT_SV_FIXTURE_H

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mem/sv.h"
#include "tests/unit/unit.h"

static uint32_t rng_state;

/* xorshift32: the damage must be the same on every run. */
static inline uint32_t rng(void)
{
    uint32_t x = rng_state;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return rng_state = x;
}

static inline void expect_same_stream(const struct sv_writer *a, const struct sv_writer *b)
{
    cr_assert(eq(int, a->failed || b->failed, 0), "a save ran out of memory");
    cr_assert(eq(sz, a->len, b->len), "the second save has another length");
    size_t i = 0;
    while (i < a->len && a->buf[i] == b->buf[i])
        i++;
    cr_assert(eq(sz, i, a->len), "the saves differ first at byte %zu", i);
}

/* Byte i of unit (sector or block) u of the images below. */
static inline uint8_t pattern(unsigned unit_no, unsigned i)
{
    return (uint8_t)(unit_no * 7 + i);
}

/* A temporary image of size bytes (path: at least 32 bytes) holding
 * pattern() in units of unit bytes in its first 2 MiB; the rest is a
 * hole. */
static inline void make_image(char *path, uint64_t size, unsigned unit)
{
    strcpy(path, "/tmp/popek-sv-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(ge(int, fd, 0));
    static uint8_t chunk[65536];
    uint64_t end = size < (2u << 20) ? size : (2u << 20);
    for (uint64_t at = 0; at < end; at += sizeof(chunk)) {
        size_t n = end - at < sizeof(chunk) ? (size_t)(end - at) : sizeof(chunk);
        for (size_t i = 0; i < n; i++)
            chunk[i] = pattern((unsigned)((at + i) / unit), (unsigned)((at + i) % unit));
        cr_assert(eq(long, (long)write(fd, chunk, n), (long)n));
    }
    cr_assert(eq(int, ftruncate(fd, (off_t)size), 0));
    close(fd);
}

#endif
