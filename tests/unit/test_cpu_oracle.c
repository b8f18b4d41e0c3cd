/* Integer instructions executed by Popek (model p6, real mode) and by the
 * host CPU, compared register by register and flag by flag.  Flags the SDM
 * documents as undefined after an instruction are masked; everything else
 * must match.  See host_oracle.h for how the host runs the bytes.
 *
 * Every test keeps one machine and rewrites the code bytes through the
 * bus, and loops over its cases, printing the first few mismatches of each
 * operation. */
#include "tests/unit/host_oracle.h"

static struct pk M;

static void setup(void)
{
    pk_init(&M, CPU_P6);
}
static void teardown(void)
{
    pk_free(&M);
}

TestSuite(cpu_oracle, .init = setup, .fini = teardown, .timeout = 120.0);

#define NEED_HOST()                                                             \
    do {                                                                        \
        if (!HOST_ORACLE || !host_oracle_init())                                \
            UNIT_SKIP("the host-CPU oracle needs an x86-64 Linux host");        \
    } while (0)

static void rand_regs(uint64_t *s, struct regs *r)
{
    for (int i = 0; i < 8; i++)
        r->r[i] = i == 4 ? 0 : rnd32(s);
    r->flags = rnd32(s) & ARITH;
}

/* A random operand that is often an edge value, of the given width. */
static uint32_t rnd_operand(uint64_t *s, unsigned bits)
{
    uint32_t m = bits == 32 ? 0xFFFFFFFFu : (1u << bits) - 1;
    uint32_t k = rnd32(s);
    switch (k & 7) {
    case 0: return edge_values[(k >> 8) % N_EDGE] & m;
    case 1: return (edge_values[(k >> 8) % N_EDGE] + ((k >> 16) & 3) - 1) & m;
    default: return rnd32(s) & m;
    }
}

static uint32_t wmask(unsigned bits)
{
    return bits == 32 ? 0xFFFFFFFFu : (1u << bits) - 1;
}

/* Sets the low `bits` of register r (by encoding number: for 8 bits, 4-7
 * are AH CH DH BH) to v. */
static void put(struct regs *x, unsigned r, unsigned bits, uint32_t v)
{
    if (bits == 8 && r >= 4)
        x->r[r - 4] = (x->r[r - 4] & ~0xFF00u) | ((v & 0xFF) << 8);
    else
        x->r[r] = (x->r[r] & ~wmask(bits)) | (v & wmask(bits));
}

/* ---- ADD OR ADC SBB AND SUB XOR CMP TEST ------------------------------ */

static const char *const alu_names[9] = { "ADD", "OR", "ADC", "SBB", "AND", "SUB", "XOR", "CMP", "TEST" };

static uint32_t alu_fmask(unsigned aop)
{
    return (aop == 1 || aop == 4 || aop == 6 || aop == 8) ? ARITH & ~F_AF : ARITH;
}

Test(cpu_oracle, alu8_exhaustive)
{
    NEED_HOST();
    uint64_t s = 1;
    for (unsigned aop = 0; aop < 9; aop++) {
        char name[40];
        snprintf(name, sizeof(name), "%s al,bl", alu_names[aop]);
        struct oracle_op op = { name, 0, 0 };
        uint8_t b[2] = { aop == 8 ? 0x84 : (uint8_t)(aop * 8), 0xD8 };
        struct enc e = enc_b(b, 2);
        for (unsigned a = 0; a < 256; a++)
            for (unsigned v = 0; v < 256; v++)
                /* both carry-ins for ADC/SBB, a random one for the rest */
                for (unsigned cf = 0, ncf = (aop == 2 || aop == 3) ? 2 : 1; cf < ncf; cf++) {
                    struct regs in;
                    uint32_t k = rnd32(&s);
                    in.r[0] = (k & 0xFFFFFF00u) | a;
                    in.r[1] = k ^ 0x5A5A5A5A;
                    in.r[2] = k * 3;
                    in.r[3] = ((k << 8) & 0xFFFFFF00u) | v;
                    in.r[4] = 0;
                    in.r[5] = k ^ 0xFFFF;
                    in.r[6] = k + 1;
                    in.r[7] = ~k;
                    in.flags = ((k >> 7) & ARITH & ~F_CF) | (ncf == 2 ? cf : (k >> 3) & F_CF);
                    oracle_check(&M, &op, &e, &in, alu_fmask(aop), ALL_REGS, ~0u, false);
                }
        oracle_done(&op);
    }
}

/* One ALU form: opcode bytes (before any immediate), immediate size. */
static void alu_form(const char *fmt, unsigned aop, unsigned bits, const uint8_t *b, unsigned n, unsigned immb,
                     unsigned count, uint64_t *s, const uint8_t *hostb)
{
    char name[60];
    snprintf(name, sizeof(name), fmt, alu_names[aop], bits);
    struct oracle_op op = { name, 0, 0 };
    for (unsigned i = 0; i < count; i++) {
        uint8_t code[12];
        memcpy(code, b, n);
        uint32_t imm = rnd_operand(s, immb ? immb * 8 : 8);
        for (unsigned k = 0; k < immb; k++)
            code[n + k] = (uint8_t)(imm >> (8 * k));
        struct enc e = enc_sz(bits, code, n + immb);
        if (hostb) { /* a different host encoding of the same operation */
            memcpy(code, hostb, n);
            struct enc h = enc_sz(bits, code, n + immb);
            memcpy(e.host, h.host, h.nhost);
            e.nhost = h.nhost;
        }
        struct regs in;
        rand_regs(s, &in);
        /* operands: the registers the forms below use */
        put(&in, 0, bits, rnd_operand(s, bits));
        put(&in, 3, bits, rnd_operand(s, bits));
        put(&in, 1, bits, rnd_operand(s, bits));
        put(&in, 2, bits, rnd_operand(s, bits));
        put(&in, 6, bits, rnd_operand(s, bits));
        if (i < N_EDGE * N_EDGE && !immb) {
            put(&in, 0, bits, edge_values[i % N_EDGE]);
            put(&in, 3, bits, edge_values[i / N_EDGE]);
            put(&in, 1, bits, edge_values[i % N_EDGE]);
            put(&in, 2, bits, edge_values[i / N_EDGE]);
        }
        oracle_check(&M, &op, &e, &in, alu_fmask(aop), ALL_REGS, ~0u, false);
    }
    oracle_done(&op);
}

Test(cpu_oracle, alu_forms)
{
    NEED_HOST();
    uint64_t s = 2;
    for (unsigned aop = 0; aop < 9; aop++) {
        bool test = aop == 8;
        uint8_t base = (uint8_t)(aop * 8);
        for (unsigned bits = 16; bits <= 32; bits += 16) {
            unsigned iz = bits / 8;
            /* Ev,Gv (eax, ebx) and Gv,Ev (ecx, edx): random plus all edge pairs */
            alu_form("%s Ev,Gv/%u", aop, bits, (const uint8_t[]){ test ? 0x85 : base + 1, 0xD8 }, 2, 0, 20000,
                     &s, NULL);
            if (!test)
                alu_form("%s Gv,Ev/%u", aop, bits, (const uint8_t[]){ base + 3, 0xCA }, 2, 0, 2000, &s, NULL);
            alu_form("%s eAX,Iv/%u", aop, bits, (const uint8_t[]){ test ? 0xA9 : base + 5 }, 1, iz, 500, &s, NULL);
            alu_form("%s Ev,Iv/%u", aop, bits,
                     (const uint8_t[]){ test ? 0xF7 : 0x81, (uint8_t)(0xC6 | (test ? 0 : aop << 3)) }, 2, iz, 500,
                     &s, NULL);
            if (!test)
                alu_form("%s Ev,Ib/%u", aop, bits, (const uint8_t[]){ 0x83, (uint8_t)(0xC6 | aop << 3) }, 2, 1, 500,
                         &s, NULL);
        }
        /* 8-bit forms with the high byte registers */
        if (!test)
            alu_form("%s Gb,Eb(ah,dh)/%u", aop, 8, (const uint8_t[]){ base + 2, 0xE6 }, 2, 0, 2000, &s, NULL);
        alu_form("%s Eb,Gb(bh,ch)/%u", aop, 8, (const uint8_t[]){ test ? 0x84 : base, 0xEF }, 2, 0, 2000, &s,
                 NULL);
        alu_form("%s AL,Ib/%u", aop, 8, (const uint8_t[]){ test ? 0xA8 : base + 4 }, 1, 1, 300, &s, NULL);
        alu_form("%s Eb,Ib(dh)/%u", aop, 8,
                 (const uint8_t[]){ test ? 0xF6 : 0x80, (uint8_t)(0xC6 | (test ? 0 : aop << 3)) }, 2, 1, 300, &s,
                 NULL);
        /* 82h is 80h in 16/32-bit code (invalid in 64-bit mode: the host runs 80h) */
        if (!test)
            alu_form("%s Eb,Ib via 82h/%u", aop, 8, (const uint8_t[]){ 0x82, (uint8_t)(0xC6 | aop << 3) }, 2, 1,
                     300, &s, (const uint8_t[]){ 0x80, (uint8_t)(0xC6 | aop << 3) });
    }
}

/* ---- INC DEC NEG NOT --------------------------------------------------- */

Test(cpu_oracle, unary)
{
    NEED_HOST();
    static const char *const names[4] = { "INC", "DEC", "NOT", "NEG" };
    uint64_t s = 3;
    for (unsigned u = 0; u < 4; u++) {
        /* FE/FF /0 /1, F6/F7 /2 /3 */
        uint8_t opc8 = u < 2 ? 0xFE : 0xF6;
        uint8_t reg = (uint8_t)u;
        for (unsigned bits = 8; bits <= 32; bits *= 2) {
            char name[40];
            snprintf(name, sizeof(name), "%s/%u", names[u], bits);
            struct oracle_op op = { name, 0, 0 };
            for (unsigned rm = 0; rm < 8; rm++) {
                if (bits != 8 && rm == 4)
                    continue; /* ESP */
                uint8_t b[2] = { (uint8_t)(bits == 8 ? opc8 : opc8 + 1), (uint8_t)(0xC0 | reg << 3 | rm) };
                struct enc e = enc_sz(bits, b, 2);
                unsigned n = bits == 8 ? 256 * 4 : 3000;
                for (unsigned i = 0; i < n; i++) {
                    struct regs in;
                    rand_regs(&s, &in);
                    uint32_t v = bits == 8 ? i & 0xFF : i < N_EDGE ? edge_values[i] : rnd_operand(&s, bits);
                    put(&in, rm, bits, v);
                    oracle_check(&M, &op, &e, &in, ARITH, ALL_REGS, ~0u, false);
                }
            }
            oracle_done(&op);
        }
    }
    /* INC/DEC r16/r32 (40h-4Fh; REX prefixes on the host, which runs FF /0 /1) */
    for (unsigned bits = 16; bits <= 32; bits += 16) {
        char name[40];
        snprintf(name, sizeof(name), "INC/DEC r (40-4F)/%u", bits);
        struct oracle_op op = { name, 0, 0 };
        for (unsigned o = 0; o < 16; o++) {
            if ((o & 7) == 4)
                continue;
            uint8_t pb[1] = { (uint8_t)(0x40 + o) };
            uint8_t hb[2] = { 0xFF, (uint8_t)(0xC0 | (o & 8) | (o & 7)) };
            struct enc pe = enc_v(bits, pb, 1), he = enc_v(bits, hb, 2);
            struct enc e = pe;
            memcpy(e.host, he.host, he.nhost);
            e.nhost = he.nhost;
            for (unsigned i = 0; i < 1000; i++) {
                struct regs in;
                rand_regs(&s, &in);
                put(&in, o & 7, bits, i < N_EDGE ? edge_values[i] : rnd_operand(&s, bits));
                oracle_check(&M, &op, &e, &in, ARITH, ALL_REGS, ~0u, false);
            }
        }
        oracle_done(&op);
    }
}

/* ---- shifts and rotates ------------------------------------------------- */

static const char *const shift_names[8] = { "ROL", "ROR", "RCL", "RCR", "SHL", "SHR", "SAL", "SAR" };

/* The flags the SDM defines after a shift group op by count (as masked). */
static uint32_t shift_fmask(unsigned sop, unsigned count, unsigned bits)
{
    count &= 31;
    if (count == 0)
        return ARITH; /* no flag changes */
    uint32_t m = ARITH;
    if (count != 1)
        m &= ~F_OF;
    if (sop >= 4) {
        m &= ~F_AF;
        if (sop != 7 && count >= bits)
            m &= ~F_CF; /* SHL/SHR by the width or more */
    }
    return m;
}

static void shift_run(struct oracle_op *op, const struct enc *e, unsigned sop, unsigned bits, unsigned count,
                      uint32_t v, uint64_t *s, bool cl)
{
    struct regs in;
    rand_regs(s, &in);
    put(&in, 0, bits, v);
    if (cl)
        in.r[1] = (in.r[1] & ~0xFFu) | count;
    oracle_check(&M, op, e, &in, shift_fmask(sop, count, bits), ALL_REGS, ~0u, false);
}

Test(cpu_oracle, shifts)
{
    NEED_HOST();
    uint64_t s = 4;
    for (unsigned sop = 0; sop < 8; sop++) {
        for (unsigned bits = 8; bits <= 32; bits *= 2) {
            uint8_t o = bits == 8 ? 0 : 1;
            uint8_t modrm = (uint8_t)(0xC0 | sop << 3); /* eax / ax / al */
            char name[60];
            /* by 1 */
            snprintf(name, sizeof(name), "%s Ev,1/%u", shift_names[sop], bits);
            struct oracle_op op1 = { name, 0, 0 };
            struct enc e = enc_sz(bits, (const uint8_t[]){ 0xD0 + o, modrm }, 2);
            for (unsigned i = 0; i < (bits == 8 ? 512u : 3000u); i++)
                shift_run(&op1, &e, sop, bits, 1, bits == 8 ? i & 0xFF : rnd_operand(&s, bits), &s, false);
            oracle_done(&op1);
            /* by CL, counts 0-31 and some larger ones (masked to 5 bits) */
            snprintf(name, sizeof(name), "%s Ev,CL/%u", shift_names[sop], bits);
            struct oracle_op opc = { name, 0, 0 };
            e = enc_sz(bits, (const uint8_t[]){ 0xD2 + o, modrm }, 2);
            for (unsigned count = 0; count < 40; count++) {
                unsigned c = count < 32 ? count : rnd32(&s) & 0xFF;
                if (bits == 8) {
                    for (unsigned v = 0; v < 256; v++)
                        shift_run(&opc, &e, sop, bits, c, v, &s, true);
                } else {
                    for (unsigned i = 0; i < 300; i++)
                        shift_run(&opc, &e, sop, bits, c, rnd_operand(&s, bits), &s, true);
                }
            }
            oracle_done(&opc);
            /* by imm8 */
            snprintf(name, sizeof(name), "%s Ev,Ib/%u", shift_names[sop], bits);
            struct oracle_op opi = { name, 0, 0 };
            for (unsigned count = 0; count < 34; count++) {
                unsigned c = count == 33 ? 0xE3 : count;
                e = enc_sz(bits, (const uint8_t[]){ 0xC0 + o, modrm, (uint8_t)c }, 3);
                for (unsigned i = 0; i < 40; i++)
                    shift_run(&opi, &e, sop, bits, c, rnd_operand(&s, bits), &s, false);
            }
            oracle_done(&opi);
        }
    }
}

/* SHLD / SHRD, by imm8 and by CL. */
Test(cpu_oracle, shld_shrd)
{
    NEED_HOST();
    uint64_t s = 5;
    for (unsigned right = 0; right < 2; right++) {
        for (unsigned bits = 16; bits <= 32; bits += 16) {
            for (unsigned cl = 0; cl < 2; cl++) {
                char name[40];
                snprintf(name, sizeof(name), "%s Ev,Gv,%s/%u", right ? "SHRD" : "SHLD", cl ? "CL" : "Ib", bits);
                struct oracle_op op = { name, 0, 0 };
                /* counts above 16 with 16-bit operands are undefined */
                unsigned maxc = bits == 16 ? 16 : 31;
                for (unsigned count = 0; count <= maxc + 1; count++) {
                    unsigned c = count <= maxc ? count : 32 + (rnd32(&s) % 4) * 32; /* masks to 0 */
                    uint8_t opc = (uint8_t)(0xA4 + (right ? 8 : 0) + cl);
                    uint8_t code[4] = { 0x0F, opc, 0xD8, (uint8_t)c }; /* rm eax, reg ebx */
                    struct enc e = enc_v(bits, code, cl ? 3 : 4);
                    uint32_t fm = ARITH & ~F_AF;
                    if ((c & 31) != 1)
                        fm &= ~F_OF;
                    if ((c & 31) == 0)
                        fm = ARITH;
                    for (unsigned i = 0; i < 300; i++) {
                        struct regs in;
                        rand_regs(&s, &in);
                        put(&in, 0, bits, rnd_operand(&s, bits));
                        put(&in, 3, bits, rnd_operand(&s, bits));
                        in.r[1] = (in.r[1] & ~0xFFu) | (c & 0xFF);
                        oracle_check(&M, &op, &e, &in, fm, ALL_REGS, ~0u, false);
                    }
                }
                oracle_done(&op);
            }
        }
    }
}

/* ---- MUL IMUL DIV IDIV -------------------------------------------------- */

Test(cpu_oracle, mul_imul)
{
    NEED_HOST();
    uint64_t s = 6;
    static const char *const names[2] = { "MUL", "IMUL" };
    for (unsigned k = 0; k < 2; k++) {
        /* 8-bit, exhaustive: F6 /4 /5 with BL */
        char name[40];
        snprintf(name, sizeof(name), "%s Eb(bl)", names[k]);
        struct oracle_op op8 = { name, 0, 0 };
        struct enc e = enc_b((const uint8_t[]){ 0xF6, (uint8_t)(0xE3 + k * 8) }, 2);
        for (unsigned a = 0; a < 256; a++)
            for (unsigned b = 0; b < 256; b++) {
                struct regs in;
                rand_regs(&s, &in);
                put(&in, 0, 8, a);
                put(&in, 3, 8, b);
                oracle_check(&M, &op8, &e, &in, F_CF | F_OF, ALL_REGS, ~0u, false);
            }
        oracle_done(&op8);
        for (unsigned bits = 16; bits <= 32; bits += 16) {
            snprintf(name, sizeof(name), "%s Ev(ebx)/%u", names[k], bits);
            struct oracle_op op = { name, 0, 0 };
            e = enc_v(bits, (const uint8_t[]){ 0xF7, (uint8_t)(0xE3 + k * 8) }, 2);
            for (unsigned i = 0; i < 20000; i++) {
                struct regs in;
                rand_regs(&s, &in);
                put(&in, 0, bits, i < N_EDGE * N_EDGE ? edge_values[i % N_EDGE] : rnd_operand(&s, bits));
                put(&in, 3, bits, i < N_EDGE * N_EDGE ? edge_values[i / N_EDGE] : rnd_operand(&s, bits));
                oracle_check(&M, &op, &e, &in, F_CF | F_OF, ALL_REGS, ~0u, false);
            }
            oracle_done(&op);
        }
    }
    /* IMUL Gv,Ev (0F AF), Gv,Ev,Iz (69), Gv,Ev,Ib (6B) */
    for (unsigned bits = 16; bits <= 32; bits += 16) {
        char name[40];
        snprintf(name, sizeof(name), "IMUL Gv,Ev/%u", bits);
        struct oracle_op op2 = { name, 0, 0 };
        struct enc e = enc_v(bits, (const uint8_t[]){ 0x0F, 0xAF, 0xCA }, 3); /* ecx *= edx */
        for (unsigned i = 0; i < 20000; i++) {
            struct regs in;
            rand_regs(&s, &in);
            put(&in, 1, bits, i < N_EDGE * N_EDGE ? edge_values[i % N_EDGE] : rnd_operand(&s, bits));
            put(&in, 2, bits, i < N_EDGE * N_EDGE ? edge_values[i / N_EDGE] : rnd_operand(&s, bits));
            oracle_check(&M, &op2, &e, &in, F_CF | F_OF, ALL_REGS, ~0u, false);
        }
        oracle_done(&op2);
        for (unsigned ib = 0; ib < 2; ib++) {
            snprintf(name, sizeof(name), "IMUL Gv,Ev,%s/%u", ib ? "Ib" : "Iz", bits);
            struct oracle_op op3 = { name, 0, 0 };
            for (unsigned i = 0; i < 1500; i++) {
                uint32_t imm = rnd_operand(&s, ib ? 8 : bits);
                uint8_t code[6] = { ib ? 0x6B : 0x69, 0xF3 }; /* esi = ebx * imm */
                for (unsigned j = 0; j < (ib ? 1 : bits / 8); j++)
                    code[2 + j] = (uint8_t)(imm >> (8 * j));
                e = enc_v(bits, code, 2 + (ib ? 1 : bits / 8));
                struct regs in;
                rand_regs(&s, &in);
                put(&in, 3, bits, rnd_operand(&s, bits));
                oracle_check(&M, &op3, &e, &in, F_CF | F_OF, ALL_REGS, ~0u, false);
            }
            oracle_done(&op3);
        }
    }
}

/* Whether DIV/IDIV of width bits faults for dividend hi:lo and divisor d. */
static bool div_faults(bool sgn, unsigned bits, uint32_t hi, uint32_t lo, uint32_t d)
{
    if (bits == 8) {
        uint32_t n = lo & 0xFFFF;
        d &= 0xFF;
        if (!d)
            return true;
        if (!sgn)
            return n / d > 0xFF;
        int32_t q = (int16_t)n / (int8_t)d;
        return q < -128 || q > 127;
    }
    if (bits == 16) {
        uint32_t n = ((hi & 0xFFFF) << 16) | (lo & 0xFFFF);
        d &= 0xFFFF;
        if (!d)
            return true;
        if (!sgn)
            return n / d > 0xFFFF;
        if ((int32_t)n == INT32_MIN && (int16_t)d == -1)
            return true;
        int32_t q = (int32_t)n / (int16_t)d;
        return q < -32768 || q > 32767;
    }
    uint64_t n = ((uint64_t)hi << 32) | lo;
    if (!d)
        return true;
    if (!sgn)
        return n / d > 0xFFFFFFFFu;
    if ((int64_t)n == INT64_MIN && (int32_t)d == -1)
        return true;
    int64_t q = (int64_t)n / (int32_t)d;
    return q < INT32_MIN || q > INT32_MAX;
}

Test(cpu_oracle, div_idiv)
{
    NEED_HOST();
    uint64_t s = 7;
    static const char *const names[2] = { "DIV", "IDIV" };
    for (unsigned k = 0; k < 2; k++) {
        for (unsigned bits = 8; bits <= 32; bits *= 2) {
            char name[40];
            snprintf(name, sizeof(name), "%s Ev(ebx)/%u", names[k], bits);
            struct oracle_op op = { name, 0, 0 };
            struct enc e = enc_sz(bits, (const uint8_t[]){ bits == 8 ? 0xF6 : 0xF7, (uint8_t)(0xF3 + k * 8) }, 2);
            unsigned done = 0;
            for (unsigned i = 0; done < 20000 && i < 400000; i++) {
                struct regs in;
                rand_regs(&s, &in);
                uint32_t d = rnd_operand(&s, bits);
                if (d == 0)
                    d = 1 + (rnd32(&s) & 0xF);
                uint32_t lo = rnd_operand(&s, bits == 8 ? 16 : bits), hi = rnd32(&s);
                switch (rnd32(&s) & 3) { /* make quotients that fit common */
                case 0: hi = k ? (lo >> 31 ? 0xFFFFFFFFu : 0) : 0; break;
                case 1: hi = bits == 8 ? hi : (d ? hi % (d & wmask(bits)) : 0) >> 1; break;
                case 2: if (bits == 8) lo = (lo & 0xFF) | ((rnd32(&s) % (d & 0xFF)) << 8); break;
                default: break;
                }
                if (bits == 8) {
                    put(&in, 0, 16, lo);
                } else {
                    put(&in, 0, bits, lo);
                    put(&in, 2, bits, hi);
                }
                put(&in, 3, bits, d);
                if (div_faults(k, bits, in.r[2], in.r[0], in.r[3]))
                    continue;
                done++;
                oracle_check(&M, &op, &e, &in, 0, ALL_REGS, ~0u, false);
            }
            oracle_done(&op);
        }
    }
}

/* #DE from Popek only (the host would raise SIGFPE): the vector is taken
 * and the saved IP is the faulting instruction's on the P6. */
Test(cpu_oracle, divide_error)
{
    static const struct {
        uint8_t code[3];
        unsigned n;
        uint32_t eax, edx, ebx;
    } cases[] = {
        { { 0xF6, 0xF3 }, 2, 0x1234, 0, 0 },                                  /* div bl, bl=0 */
        { { 0xF6, 0xF3 }, 2, 0x1234, 0, 0x12 },                               /* quotient 0x102 */
        { { 0xF6, 0xFB }, 2, 0xFF80, 0, 0xFF },                               /* idiv: -128 / -1 */
        { { 0xF6, 0xFB }, 2, 0x4000, 0, 0x80 },                               /* idiv: 16384 / -128 = -128: fits */
        { { 0xF7, 0xF3 }, 2, 0, 1, 1 },                                       /* div bx: 0x10000 / 1 */
        { { 0xF7, 0xFB }, 2, 0, 0x8000, 0xFFFF },                             /* idiv: INT32_MIN / -1 */
        { { 0x66, 0xF7, 0xF3 }, 3, 0, 0, 0 },                                 /* div ebx, 0 */
        { { 0x66, 0xF7, 0xFB }, 3, 0, 0x80000000u, 0xFFFFFFFFu },             /* idiv INT64_MIN / -1 */
        { { 0x66, 0xF7, 0xFB }, 3, 0x80000000u, 0xFFFFFFFFu, 0xFFFFFFFFu },   /* INT32_MIN / -1 */
    };
    for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        struct regs in = { { cases[i].eax, 0, cases[i].edx, cases[i].ebx, 0, 0, 0, 0 }, 0 };
        pk_code(&M, cases[i].code, cases[i].n);
        bool faults = div_faults(cases[i].code[cases[i].n - 1] == 0xFB, cases[i].code[0] == 0xF6 ? 8
                                 : cases[i].n == 3 ? 32 : 16, cases[i].edx, cases[i].eax, cases[i].ebx);
        int vec = pk_run(&M, &in);
        cr_expect(vec == (faults ? 0 : -1), "case %u: vector %d, expected %d", i, vec, faults ? 0 : -1);
        if (faults) {
            cr_expect(in.r[0] == cases[i].eax && in.r[2] == cases[i].edx, "case %u: registers changed", i);
            uint16_t ip = (uint16_t)bus_read(&M.bus, PK_STACK - 6, 2);
            cr_expect(ip == PK_CODE, "case %u: #DE pushed IP %04X, want the faulting instruction %04X", i, ip,
                      PK_CODE);
        }
    }
}

/* ---- bit tests and scans ------------------------------------------------ */

Test(cpu_oracle, bt_family)
{
    NEED_HOST();
    uint64_t s = 8;
    static const char *const names[4] = { "BT", "BTS", "BTR", "BTC" };
    static const uint8_t opc[4] = { 0xA3, 0xAB, 0xB3, 0xBB };
    for (unsigned k = 0; k < 4; k++) {
        for (unsigned bits = 16; bits <= 32; bits += 16) {
            char name[40];
            snprintf(name, sizeof(name), "%s Ev,Gv/%u", names[k], bits);
            struct oracle_op op = { name, 0, 0 };
            struct enc e = enc_v(bits, (const uint8_t[]){ 0x0F, opc[k], 0xD8 }, 3); /* eax, ebx */
            for (unsigned i = 0; i < 5000; i++) {
                struct regs in;
                rand_regs(&s, &in);
                put(&in, 0, bits, rnd_operand(&s, bits));
                oracle_check(&M, &op, &e, &in, F_CF | F_ZF, ALL_REGS, ~0u, false);
            }
            oracle_done(&op);
            snprintf(name, sizeof(name), "%s Ev,Ib/%u", names[k], bits);
            struct oracle_op opi = { name, 0, 0 };
            for (unsigned b = 0; b < 256; b += (b < 40 ? 1 : 7)) {
                e = enc_v(bits, (const uint8_t[]){ 0x0F, 0xBA, (uint8_t)(0xE6 | k << 3), (uint8_t)b }, 4); /* esi */
                for (unsigned i = 0; i < 40; i++) {
                    struct regs in;
                    rand_regs(&s, &in);
                    oracle_check(&M, &opi, &e, &in, F_CF | F_ZF, ALL_REGS, ~0u, false);
                }
            }
            oracle_done(&opi);
        }
    }
}

Test(cpu_oracle, bsf_bsr)
{
    NEED_HOST();
    uint64_t s = 9;
    for (unsigned rev = 0; rev < 2; rev++) {
        for (unsigned bits = 16; bits <= 32; bits += 16) {
            char name[40];
            snprintf(name, sizeof(name), "%s Gv,Ev/%u", rev ? "BSR" : "BSF", bits);
            struct oracle_op op = { name, 0, 0 };
            struct enc e = enc_v(bits, (const uint8_t[]){ 0x0F, (uint8_t)(0xBC + rev), 0xC3 }, 3); /* eax, ebx */
            for (unsigned i = 0; i < 6000; i++) {
                struct regs in;
                rand_regs(&s, &in);
                uint32_t v;
                if (i < bits)
                    v = 1u << i;
                else if (i < 2 * bits)
                    v = wmask(bits) << (i - bits);
                else if (i % 50 == 0)
                    v = 0; /* ZF=1; the destination is left unchanged by Intel and AMD chips */
                else
                    v = rnd32(&s) >> (rnd32(&s) & 31);
                put(&in, 3, bits, v);
                oracle_check(&M, &op, &e, &in, F_ZF, ALL_REGS, ~0u, false);
            }
            oracle_done(&op);
        }
    }
}

/* ---- XADD CMPXCHG BSWAP MOVZX MOVSX CBW CWD ----------------------------- */

Test(cpu_oracle, xadd_cmpxchg)
{
    NEED_HOST();
    uint64_t s = 10;
    for (unsigned bits = 8; bits <= 32; bits *= 2) {
        uint8_t o = bits == 8 ? 0 : 1;
        char name[40];
        snprintf(name, sizeof(name), "XADD Ev,Gv/%u", bits);
        struct oracle_op op = { name, 0, 0 };
        struct enc e = enc_sz(bits, (const uint8_t[]){ 0x0F, (uint8_t)(0xC0 + o), 0xD9 }, 3); /* ecx, ebx */
        for (unsigned i = 0; i < 5000; i++) {
            struct regs in;
            rand_regs(&s, &in);
            put(&in, 1, bits, rnd_operand(&s, bits));
            put(&in, 3, bits, rnd_operand(&s, bits));
            oracle_check(&M, &op, &e, &in, ARITH, ALL_REGS, ~0u, false);
        }
        oracle_done(&op);
        snprintf(name, sizeof(name), "XADD same register/%u", bits);
        struct oracle_op ops = { name, 0, 0 };
        e = enc_sz(bits, (const uint8_t[]){ 0x0F, (uint8_t)(0xC0 + o), 0xDB }, 3); /* ebx, ebx */
        for (unsigned i = 0; i < 500; i++) {
            struct regs in;
            rand_regs(&s, &in);
            oracle_check(&M, &ops, &e, &in, ARITH, ALL_REGS, ~0u, false);
        }
        oracle_done(&ops);
        snprintf(name, sizeof(name), "CMPXCHG Ev,Gv/%u", bits);
        struct oracle_op opc = { name, 0, 0 };
        e = enc_sz(bits, (const uint8_t[]){ 0x0F, (uint8_t)(0xB0 + o), 0xD9 }, 3); /* ecx, ebx; acc eax */
        for (unsigned i = 0; i < 5000; i++) {
            struct regs in;
            rand_regs(&s, &in);
            put(&in, 1, bits, rnd_operand(&s, bits));
            if (i & 1)
                put(&in, 0, bits, in.r[1]);
            else if (i & 2)
                put(&in, 0, bits, rnd_operand(&s, bits));
            oracle_check(&M, &opc, &e, &in, ARITH, ALL_REGS, ~0u, false);
        }
        oracle_done(&opc);
    }
}

Test(cpu_oracle, moves_and_extensions)
{
    NEED_HOST();
    uint64_t s = 11;
    struct oracle_op opb = { "BSWAP r32", 0, 0 };
    for (unsigned r = 0; r < 8; r++) {
        if (r == 4)
            continue;
        struct enc e = enc_v(32, (const uint8_t[]){ 0x0F, (uint8_t)(0xC8 + r) }, 2);
        for (unsigned i = 0; i < 300; i++) {
            struct regs in;
            rand_regs(&s, &in);
            oracle_check(&M, &opb, &e, &in, ARITH, ALL_REGS, ~0u, false);
        }
    }
    oracle_done(&opb);

    static const struct {
        const char *name;
        uint8_t opc, modrm;
    } ext[] = {
        { "MOVZX Gv,Eb(bl)", 0xB6, 0xC3 }, { "MOVZX Gv,Eb(bh)", 0xB6, 0xC7 }, { "MOVZX Gv,Ew", 0xB7, 0xC3 },
        { "MOVSX Gv,Eb(bl)", 0xBE, 0xC3 }, { "MOVSX Gv,Eb(bh)", 0xBE, 0xC7 }, { "MOVSX Gv,Ew", 0xBF, 0xC3 },
        { "MOVZX Gv,Eb(ah->si)", 0xB6, 0xF4 },
    };
    for (unsigned k = 0; k < sizeof(ext) / sizeof(ext[0]); k++) {
        for (unsigned bits = 16; bits <= 32; bits += 16) {
            char name[48];
            snprintf(name, sizeof(name), "%s/%u", ext[k].name, bits);
            struct oracle_op op = { name, 0, 0 };
            struct enc e = enc_v(bits, (const uint8_t[]){ 0x0F, ext[k].opc, ext[k].modrm }, 3);
            for (unsigned i = 0; i < 2000; i++) {
                struct regs in;
                rand_regs(&s, &in);
                oracle_check(&M, &op, &e, &in, ARITH, ALL_REGS, ~0u, false);
            }
            oracle_done(&op);
        }
    }

    static const char *const cnames[2][2] = { { "CBW", "CWD" }, { "CWDE", "CDQ" } };
    for (unsigned bits = 16; bits <= 32; bits += 16)
        for (unsigned k = 0; k < 2; k++) {
            struct oracle_op op = { cnames[bits / 32][k], 0, 0 };
            struct enc e = enc_v(bits, (const uint8_t[]){ (uint8_t)(0x98 + k) }, 1);
            for (unsigned i = 0; i < 2000; i++) {
                struct regs in;
                rand_regs(&s, &in);
                if (i < N_EDGE)
                    in.r[0] = edge_values[i];
                oracle_check(&M, &op, &e, &in, ARITH, ALL_REGS, ~0u, false);
            }
            oracle_done(&op);
        }
}

/* ---- SETcc CMOVcc SAHF LAHF ---------------------------------------------- */

/* The 64 combinations of CF PF AF ZF SF OF. */
static uint32_t flag_combo(unsigned i)
{
    static const uint32_t bit[6] = { F_CF, F_PF, F_AF, F_ZF, F_SF, F_OF };
    uint32_t f = 0;
    for (unsigned b = 0; b < 6; b++)
        if (i >> b & 1)
            f |= bit[b];
    return f;
}

Test(cpu_oracle, setcc_cmovcc)
{
    NEED_HOST();
    uint64_t s = 12;
    struct oracle_op ops = { "SETcc", 0, 0 };
    struct oracle_op opc16 = { "CMOVcc/16", 0, 0 };
    struct oracle_op opc32 = { "CMOVcc/32", 0, 0 };
    for (unsigned cc = 0; cc < 16; cc++) {
        for (unsigned m = 0; m < 2; m++) {
            struct enc e = enc_b((const uint8_t[]){ 0x0F, (uint8_t)(0x90 + cc), m ? 0xC4 : 0xC1 }, 3); /* ah / cl */
            for (unsigned f = 0; f < 64; f++) {
                struct regs in;
                rand_regs(&s, &in);
                in.flags = flag_combo(f);
                oracle_check(&M, &ops, &e, &in, ARITH, ALL_REGS, ~0u, false);
            }
        }
        for (unsigned bits = 16; bits <= 32; bits += 16) {
            struct enc e = enc_v(bits, (const uint8_t[]){ 0x0F, (uint8_t)(0x40 + cc), 0xC3 }, 3);
            for (unsigned f = 0; f < 64; f++) {
                struct regs in;
                rand_regs(&s, &in);
                in.flags = flag_combo(f);
                oracle_check(&M, bits == 16 ? &opc16 : &opc32, &e, &in, ARITH, ALL_REGS, ~0u, false);
            }
        }
    }
    oracle_done(&ops);
    oracle_done(&opc16);
    oracle_done(&opc32);
}

Test(cpu_oracle, sahf_lahf)
{
    NEED_HOST();
    uint64_t s = 13;
    struct oracle_op op1 = { "SAHF", 0, 0 }, op2 = { "LAHF", 0, 0 };
    struct enc sahf = enc_b((const uint8_t[]){ 0x9E }, 1), lahf = enc_b((const uint8_t[]){ 0x9F }, 1);
    for (unsigned ah = 0; ah < 256; ah++)
        for (unsigned f = 0; f < 64; f += 7) {
            struct regs in;
            rand_regs(&s, &in);
            put(&in, 4, 8, ah);
            in.flags = flag_combo(f);
            oracle_check(&M, &op1, &sahf, &in, ARITH, ALL_REGS, ~0u, false);
        }
    for (unsigned f = 0; f < 64; f++) {
        struct regs in;
        rand_regs(&s, &in);
        in.flags = flag_combo(f);
        oracle_check(&M, &op2, &lahf, &in, ARITH, ALL_REGS, ~0u, false);
    }
    oracle_done(&op1);
    oracle_done(&op2);
}

/* ---- DAA DAS AAA AAS AAM AAD (compatibility mode on the host) ---------- */

Test(cpu_oracle, bcd)
{
    NEED_HOST();
#if HOST_ORACLE
    if (!host_oracle_init32())
        UNIT_SKIP("this host cannot run 32-bit code: a far call to its compatibility-mode code segment faults "
                  "(a kernel without IA-32 emulation); DAA DAS AAA AAS AAM AAD are covered by the SingleStepTests");
#endif
    uint64_t s = 14;
    static const struct {
        const char *name;
        uint8_t opc;
        uint32_t fmask;
    } ops[] = {
        { "DAA", 0x27, ARITH & ~F_OF }, { "DAS", 0x2F, ARITH & ~F_OF },
        { "AAA", 0x37, F_AF | F_CF },   { "AAS", 0x3F, F_AF | F_CF },
    };
    for (unsigned k = 0; k < 4; k++) {
        struct oracle_op op = { ops[k].name, 0, 0 };
        struct enc e = enc_b(&ops[k].opc, 1);
        for (unsigned al = 0; al < 256; al++)
            for (unsigned f = 0; f < 4; f++)
                for (unsigned rep = 0; rep < 2; rep++) {
                    struct regs in;
                    rand_regs(&s, &in);
                    put(&in, 0, 8, al);
                    in.flags = (in.flags & ~(F_AF | F_CF)) | (f & 1 ? F_CF : 0) | (f & 2 ? F_AF : 0);
                    oracle_check(&M, &op, &e, &in, ops[k].fmask, ALL_REGS, ~0u, true);
                }
        oracle_done(&op);
    }
    /* AAM imm8 (imm 0 is #DE: not run on the host) */
    struct oracle_op opm = { "AAM", 0, 0 };
    static const uint8_t bases[] = { 10, 16, 1, 2, 7, 9, 0x7F, 0x80, 0xFF };
    for (unsigned b = 0; b < sizeof(bases); b++) {
        struct enc e = enc_b((const uint8_t[]){ 0xD4, bases[b] }, 2);
        for (unsigned al = 0; al < 256; al++) {
            struct regs in;
            rand_regs(&s, &in);
            put(&in, 0, 8, al);
            oracle_check(&M, &opm, &e, &in, F_SF | F_ZF | F_PF, ALL_REGS, ~0u, true);
        }
    }
    oracle_done(&opm);
    struct oracle_op opd = { "AAD", 0, 0 };
    for (unsigned b = 0; b < sizeof(bases) + 1; b++) {
        uint8_t imm = b < sizeof(bases) ? bases[b] : 0;
        struct enc e = enc_b((const uint8_t[]){ 0xD5, imm }, 2);
        unsigned n = imm == 10 ? 65536 : 2000;
        for (unsigned i = 0; i < n; i++) {
            struct regs in;
            rand_regs(&s, &in);
            put(&in, 0, 16, n == 65536 ? i : rnd32(&s));
            oracle_check(&M, &opd, &e, &in, F_SF | F_ZF | F_PF, ALL_REGS, ~0u, true);
        }
    }
    oracle_done(&opd);
}

/* AAM 0 raises #DE with the instruction's own address. */
Test(cpu_oracle, aam_zero)
{
    struct regs in = { { 0x1234, 0, 0, 0, 0, 0, 0, 0 }, 0 };
    pk_code(&M, (const uint8_t[]){ 0xD4, 0x00 }, 2);
    int vec = pk_run(&M, &in);
    cr_expect(vec == 0, "AAM 0: vector %d, want #DE (0)", vec);
    cr_expect((in.r[0] & 0xFFFF) == 0x1234, "AAM 0 changed AX to %04X", in.r[0] & 0xFFFF);
}
