/* Little helpers shared by the firmware-table builders (ACPI, MP): little-
 * endian stores into a table being built, and the 8-bit checksum that makes
 * a table's bytes sum to zero. */
#ifndef POPEK_MACHINE_FWTABLE_H
#define POPEK_MACHINE_FWTABLE_H

#include <stddef.h>
#include <stdint.h>

static inline void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static inline void put32(uint8_t *p, uint32_t v)
{
    put16(p, (uint16_t)v);
    put16(p + 2, (uint16_t)(v >> 16));
}

/* The byte that makes len bytes at p sum to 0 (mod 256). */
static inline uint8_t checksum(const uint8_t *p, size_t len)
{
    uint8_t sum = 0;
    for (size_t i = 0; i < len; i++)
        sum = (uint8_t)(sum + p[i]);
    return (uint8_t)-sum;
}

#endif
