/* Helpers shared by the unit tests: a bus fixture and recording devices that
 * log every access the bus hands them, so tests can check offsets, sizes,
 * values and how wide accesses were split. */
#ifndef POPEK_TESTS_UNIT_UNIT_H
#define POPEK_TESTS_UNIT_UNIT_H

#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <stdint.h>

#include "mem/bus.h"
#include "tests/unit/skip.h"

/* A byte range for Criterion's eq(mem, a, b). */
static inline struct cr_mem bytes(const void *p, size_t n)
{
    return (struct cr_mem){ .data = p, .size = n };
}

/* Reading firmware tables back byte by byte, independently of the code
 * that wrote them: little-endian fields and the 8-bit checksum. */
static inline uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t le32(const uint8_t *p)
{
    return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

static inline uint8_t byte_sum(const uint8_t *p, size_t n)
{
    uint8_t s = 0;
    for (size_t i = 0; i < n; i++)
        s = (uint8_t)(s + p[i]);
    return s;
}

/* One access seen by a recording device. */
struct rec_access {
    bool write;
    uint32_t where; /* MMIO: offset in the region; port I/O: port */
    uint32_t val;   /* written value, or the value the device returned */
    unsigned size;
};

#define REC_MAX 64

/* A device that records accesses.  Reads return rec_value(where, size) plus
 * junk above the access size (the bus must mask it off). */
struct rec_dev {
    struct rec_access log[REC_MAX];
    unsigned n;
    uint8_t tag; /* distinguishes devices: goes into every byte read */
};

/* Byte i of the value a recording device returns at `where`: */
static inline uint8_t rec_byte(const struct rec_dev *d, uint32_t where)
{
    return (uint8_t)(d->tag ^ (where * 7u + 1u));
}

/* The value a device read of `size` bytes at `where` yields, little endian,
 * as if each byte came from its own address. */
static inline uint32_t rec_value(const struct rec_dev *d, uint32_t where, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)rec_byte(d, where + i) << (8 * i);
    return v;
}

static inline void rec_log(struct rec_dev *d, bool write, uint32_t where, uint32_t val,
                           unsigned size)
{
    cr_assert(lt(uint, d->n, REC_MAX), "recording device log overflow");
    d->log[d->n++] = (struct rec_access){ write, where, val, size };
}

static inline uint32_t rec_junk(uint32_t v, unsigned size)
{
    return size == 4 ? v : v | (0xA5A5A5A5u << (8 * size));
}

static inline uint32_t rec_mmio_read(void *opaque, uint32_t offset, unsigned size)
{
    struct rec_dev *d = opaque;
    uint32_t v = rec_value(d, offset, size);
    rec_log(d, false, offset, v, size);
    return rec_junk(v, size);
}

static inline void rec_mmio_write(void *opaque, uint32_t offset, uint32_t val, unsigned size)
{
    rec_log(opaque, true, offset, val, size);
}

static inline uint32_t rec_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct rec_dev *d = opaque;
    uint32_t v = rec_value(d, port, size);
    rec_log(d, false, port, v, size);
    return rec_junk(v, size);
}

static inline void rec_io_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    rec_log(opaque, true, port, val, size);
}

/* Asserts that access i of d was exactly this. */
static inline void rec_expect(const struct rec_dev *d, unsigned i, bool write, uint32_t where,
                              uint32_t val, unsigned size)
{
    cr_assert(gt(uint, d->n, i), "device saw %u accesses, wanted at least %u", d->n, i + 1);
    const struct rec_access *a = &d->log[i];
    cr_expect(eq(int, a->write, write), "access %u: write", i);
    cr_expect(eq(u32, a->where, where), "access %u: offset/port 0x%x, want 0x%x", i, a->where,
              where);
    cr_expect(eq(u32, a->val, val), "access %u: value 0x%x, want 0x%x", i, a->val, val);
    cr_expect(eq(uint, a->size, size), "access %u: size", i);
}

#endif
