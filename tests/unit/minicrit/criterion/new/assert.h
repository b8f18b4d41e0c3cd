/* Criterion's comparison criteria (eq, ne, lt, le, gt, ge, not) for the
 * types the unit tests name: each side is converted to the named type, as
 * Criterion does, then compared. */
#ifndef POPEK_MINICRIT_NEW_ASSERT_H
#define POPEK_MINICRIT_NEW_ASSERT_H

#include <stdint.h>
#include <string.h>

#include "criterion/criterion.h"

struct cr_mem {
    const void *data;
    size_t size;
};

static inline int crs_memcmp(struct cr_mem a, struct cr_mem b)
{
    if (a.size != b.size)
        return a.size < b.size ? -1 : 1;
    return a.size ? memcmp(a.data, b.data, a.size) : 0;
}

#define CRS_T_u8 uint8_t
#define CRS_T_u16 uint16_t
#define CRS_T_u32 uint32_t
#define CRS_T_u64 uint64_t
#define CRS_T_i8 int8_t
#define CRS_T_i16 int16_t
#define CRS_T_i32 int32_t
#define CRS_T_i64 int64_t
#define CRS_T_int int
#define CRS_T_uint unsigned int
#define CRS_T_long long
#define CRS_T_ulong unsigned long
#define CRS_T_sz size_t
#define CRS_T_chr char
#define CRS_T_ptr const void *

/* Numbers and pointers compare as values; str and mem by content. */
#define CRS_CMP_num(T, op, a, b) ((CRS_T_##T)(a) op (CRS_T_##T)(b))
#define CRS_CMP_u8(op, a, b) CRS_CMP_num(u8, op, a, b)
#define CRS_CMP_u16(op, a, b) CRS_CMP_num(u16, op, a, b)
#define CRS_CMP_u32(op, a, b) CRS_CMP_num(u32, op, a, b)
#define CRS_CMP_u64(op, a, b) CRS_CMP_num(u64, op, a, b)
#define CRS_CMP_i8(op, a, b) CRS_CMP_num(i8, op, a, b)
#define CRS_CMP_i16(op, a, b) CRS_CMP_num(i16, op, a, b)
#define CRS_CMP_i32(op, a, b) CRS_CMP_num(i32, op, a, b)
#define CRS_CMP_i64(op, a, b) CRS_CMP_num(i64, op, a, b)
#define CRS_CMP_int(op, a, b) CRS_CMP_num(int, op, a, b)
#define CRS_CMP_uint(op, a, b) CRS_CMP_num(uint, op, a, b)
#define CRS_CMP_long(op, a, b) CRS_CMP_num(long, op, a, b)
#define CRS_CMP_ulong(op, a, b) CRS_CMP_num(ulong, op, a, b)
#define CRS_CMP_sz(op, a, b) CRS_CMP_num(sz, op, a, b)
#define CRS_CMP_chr(op, a, b) CRS_CMP_num(chr, op, a, b)
#define CRS_CMP_ptr(op, a, b) CRS_CMP_num(ptr, op, a, b)
#define CRS_CMP_str(op, a, b) (strcmp((a), (b)) op 0)
#define CRS_CMP_mem(op, a, b) (crs_memcmp((a), (b)) op 0)

#define eq(T, a, b) CRS_CMP_##T(==, a, b)
#define ne(T, a, b) CRS_CMP_##T(!=, a, b)
#define lt(T, a, b) CRS_CMP_##T(<, a, b)
#define le(T, a, b) CRS_CMP_##T(<=, a, b)
#define gt(T, a, b) CRS_CMP_##T(>, a, b)
#define ge(T, a, b) CRS_CMP_##T(>=, a, b)
#define not(x) (!(x))

#endif
