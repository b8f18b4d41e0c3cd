/* The differential harness on 64-bit-only hosts (a kernel without IA-32
 * emulation cannot run the 32-bit child): most of the integer and x87
 * instructions execute in 64-bit mode exactly as in 32-bit mode, given
 *   - registers whose upper halves are 0 (the 64-bit child loads them
 *     zero-extended and reports the low halves);
 *   - 32-bit address computation, which 67h selects in 64-bit mode (it
 *     wraps at 4 GiB as in 32-bit mode: a base of FFFFFFF0h plus 20h is
 *     10h);
 *   - [disp32] written as SIB without base or index, since ModRM 00/101
 *     is RIP-relative in 64-bit mode.
 * The re-encoded instruction is placed so that it ends where the case's
 * instruction ends (proto.h, lead), so branch targets, the fall-through
 * address and trap addresses are the same on both sides.
 *
 * What does not carry over is listed with the reason (SDM vol. 2,
 * appendix A, the i64/o64 opcodes, and vol. 1, 3.6 and 7.3.15). */
#include <stddef.h>
#include <string.h>

#include "tests/diff/longmode.h"

struct lm_exclusion {
    const char *op;
    const char *why;
};

#define I64 "invalid in 64-bit mode"
#define STACK64 "in 64-bit mode the stack operand is 64 bits (there is no 32-bit push or pop)"
#define BRANCH66 "66h on a near branch: in 64-bit mode Intel ignores it, AMD truncates RIP to 16 bits"

static const struct lm_exclusion lm_exclusions[] = {
    { "INC_r_w", "40h-47h are REX prefixes in 64-bit mode" },
    { "INC_r_d", "40h-47h are REX prefixes in 64-bit mode" },
    { "DEC_r_w", "48h-4Fh are REX prefixes in 64-bit mode" },
    { "DEC_r_d", "48h-4Fh are REX prefixes in 64-bit mode" },
    { "PUSHA_w", I64 }, { "PUSHA_d", I64 }, { "POPA_w", I64 }, { "POPA_d", I64 },
    { "BOUND_w", I64 }, { "BOUND_d", I64 },
    { "DAA", I64 }, { "DAS", I64 }, { "AAA", I64 }, { "AAS", I64 }, { "AAM", I64 }, { "AAD", I64 },
    { "SALC", I64 }, { "INTO", I64 },
    { "ARPL", "63h is MOVSXD in 64-bit mode" },
    { "PUSH_seg_w", "PUSH ES/SS/DS (06h 16h 1Eh), three of its five encodings, are " I64 },
    { "PUSH_seg_d", STACK64 },
    { "PUSH_r_d", STACK64 }, { "POP_r_d", STACK64 }, { "PUSH_Ev_d", STACK64 }, { "POP_Ev_d", STACK64 },
    { "PUSH_Iv_d", STACK64 }, { "PUSH_Ib_d", STACK64 }, { "PUSHF_d", STACK64 }, { "POPF_d", STACK64 },
    { "ENTER_d", STACK64 }, { "LEAVE_d", STACK64 },
    { "CALL_J_d", STACK64 }, { "CALL_Ev_d", STACK64 }, { "RET_d", STACK64 }, { "RET_Iw_d", STACK64 },
    { "JMP_Ev_d", "in 64-bit mode a near indirect branch reads a 64-bit target" },
    { "CALL_J_w", BRANCH66 }, { "CALL_Ev_w", BRANCH66 }, { "RET_w", BRANCH66 }, { "RET_Iw_w", BRANCH66 },
    { "JMP_Ev_w", BRANCH66 }, { "JMP_J_w", BRANCH66 }, { "JCC_Jv_w", BRANCH66 },
    { "LOOPNE_w", BRANCH66 }, { "LOOPE_w", BRANCH66 }, { "LOOP_w", BRANCH66 }, { "JCXZ_w", BRANCH66 },
};

const char *diff_lm_form_reason(const char *op)
{
    for (size_t k = 0; k < sizeof(lm_exclusions) / sizeof(lm_exclusions[0]); k++)
        if (strcmp(lm_exclusions[k].op, op) == 0)
            return lm_exclusions[k].why;
    return NULL;
}

static bool is_prefix(uint8_t b)
{
    switch (b) {
    case 0x26: case 0x2E: case 0x36: case 0x3E: case 0x64: case 0x65:
    case 0x66: case 0x67: case 0xF0: case 0xF2: case 0xF3:
        return true;
    default:
        return false;
    }
}

/* One-byte opcodes that are i64 (invalid in 64-bit mode) or mean something
 * else there. */
static bool one_byte_i64(uint8_t op)
{
    switch (op) {
    case 0x06: case 0x07: case 0x0E: case 0x16: case 0x17: case 0x1E: case 0x1F:
    case 0x27: case 0x2F: case 0x37: case 0x3F: case 0x60: case 0x61: case 0x62: case 0x63:
    case 0x82: case 0x9A: case 0xC4: case 0xC5: case 0xCE: case 0xD4: case 0xD5: case 0xD6: case 0xEA:
        return true;
    default:
        return op >= 0x40 && op <= 0x4F;
    }
}

static bool near_branch(uint8_t op, bool map0f, uint8_t op2)
{
    if (map0f)
        return op2 >= 0x80 && op2 <= 0x8F;
    return (op >= 0x70 && op <= 0x7F) || (op >= 0xE0 && op <= 0xE3) || op == 0xE8 || op == 0xE9 || op == 0xEB ||
           op == 0xC2 || op == 0xC3;
}

/* Implicit memory operands addressed with the address size: MOV moffs,
 * the string instructions and XLAT. */
static bool implicit_mem(uint8_t op)
{
    return (op >= 0xA0 && op <= 0xA7) || (op >= 0xAA && op <= 0xAF) || op == 0xD7;
}

const char *diff_lm_translate(const struct tcase *t, struct diff_in *out)
{
    const uint8_t *c = t->in.code;
    unsigned n = t->in.ncode, p = 0;
    bool o16 = false;
    while (p < n && is_prefix(c[p])) {
        if (c[p] == 0x67)
            return "67h (16-bit addressing) selects 32-bit addressing in 64-bit mode";
        o16 |= c[p] == 0x66;
        p++;
    }
    if (p >= n)
        return "no opcode";
    uint8_t op = c[p];
    bool map0f = op == 0x0F;
    uint8_t op2 = map0f && p + 1 < n ? c[p + 1] : 0;
    if (!map0f && op == 0x82)
        return "82h (the alias of 80h) is invalid in 64-bit mode";
    if (!map0f && one_byte_i64(op))
        return "its opcode is invalid in 64-bit mode (or a REX prefix there)";
    if (o16 && near_branch(op, map0f, op2))
        return BRANCH66;

    bool mem = t->modrm_at != 0 || (!map0f && implicit_mem(op));
    unsigned m = t->modrm_at ? t->modrm_at - 1u : n;
    bool disp32 = t->modrm_at && m < n && (c[m] & 0xC7) == 0x05;
    unsigned len = n + (mem ? 1 : 0) + (disp32 ? 1 : 0);
    if (len > 15 || len > DIFF_MAXCODE)
        return "longer than 15 bytes once 67h and a SIB byte are added";

    *out = t->in;
    unsigned k = 0;
    if (mem)
        out->code[k++] = 0x67;
    for (unsigned i = 0; i < n; i++) {
        if (disp32 && i == m) {
            out->code[k++] = (uint8_t)((c[i] & 0x38) | 0x04); /* mod 00, rm 100: a SIB follows */
            out->code[k++] = 0x25;                            /* scale 0, no index, no base: disp32 */
            continue;
        }
        out->code[k++] = c[i];
    }
    out->ncode = (uint8_t)k;
    out->lead = (uint8_t)(k - n);
    return NULL;
}
