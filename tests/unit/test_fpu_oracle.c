/* The x87 against the host CPU's x87: the same instruction sequence runs on
 * Popek (real mode, p6) and natively (64-bit mode), on the same operands, and
 * the results are compared bit for bit: the status word (flags, C0-C3, TOP),
 * the tag word, ST(0) and ST(1) afterwards, the memory operand, and for
 * FCOMI the arithmetic flags.
 *
 * The sequence (all memory operands [bx+disp8] / [rbx+disp8]):
 *     fninit; fldcw [0]; fld tword [10h]; fld tword [20h]   ST0 = A, ST1 = B
 *     mov ah, [7Dh]; sahf                  (the flags FCMOVcc reads, per case)
 *     <instruction under test>             (memory operand at [40h])
 *     lahf; mov [70h], ah
 *     fnstenv [60h]; fnclex; fstp tword [30h]; fstp tword [50h]
 * Only x86-64 Linux hosts can run it; elsewhere the tests skip. */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cpu/cpu.h"
#include "mem/bus.h"
#include "tests/unit/skip.h"

#if defined(__x86_64__) && defined(__linux__)
#define FPU_ORACLE 1
#include <sys/mman.h>
#else
#define FPU_ORACLE 0
#endif

#define IO_CW 0x00
#define IO_B 0x10
#define IO_A 0x20
#define IO_R0 0x30
#define IO_M 0x40
#define IO_R1 0x50
#define IO_ENV 0x60
#define IO_AH 0x7C
#define IO_FL 0x7D /* the arithmetic flags both sides start the instruction with (SAHF) */
#define IO_SIZE 0x80
#define FSW_C1_T 0x0200u

#define PK_CODE 0x1000u
#define PK_DATA 0x2000u

struct fx {
    struct bus bus;
    struct cpu *cpu;
    struct cpu_state base;
    uint8_t *page; /* host code page */
    uint8_t *hio;  /* host data */
    uint8_t cur[64];
    unsigned ncur;
};

/* One instruction under test: bytes with the ModRM at modrm_at (or -1 for
 * no memory operand) using mod=01 rm=(bx|rbx) disp8. */
struct tinsn {
    const char *name;
    uint8_t b[4];
    unsigned n;
    int modrm_at;
};

static unsigned asm_seq(uint8_t *out, const struct tinsn *t, bool host)
{
    unsigned rm = host ? 3 : 7, n = 0;
#define M(op, reg, disp) (out[n++] = (op), out[n++] = (uint8_t)(0x40 | (reg) << 3 | rm), out[n++] = (disp))
    out[n++] = 0xDB, out[n++] = 0xE3; /* fninit */
    M(0xD9, 5, IO_CW);
    M(0xDB, 5, IO_B);
    M(0xDB, 5, IO_A);
    M(0x8A, 4, IO_FL); /* mov ah, [IO_FL] */
    out[n++] = 0x9E;   /* sahf */
    for (unsigned i = 0; i < t->n; i++) {
        out[n] = t->b[i];
        if ((int)i == t->modrm_at)
            out[n] = (uint8_t)((out[n] & ~7u) | rm);
        n++;
    }
    out[n++] = 0x9F; /* lahf */
    out[n++] = 0x88, out[n++] = (uint8_t)(0x60 | rm), out[n++] = IO_AH; /* mov [IO_AH], ah */
    if (!host)
        out[n++] = 0x66; /* 32-bit environment layout */
    M(0xD9, 6, IO_ENV);
    out[n++] = 0xDB, out[n++] = 0xE2; /* fnclex */
    M(0xDB, 7, IO_R0);
    M(0xDB, 7, IO_R1);
#undef M
    return n;
}

static void fx_init(struct fx *x)
{
    memset(x, 0, sizeof(*x));
    cr_assert(bus_init(&x->bus, 1u << 20) == 0);
    x->cpu = cpu_create(CPU_P6, &x->bus);
    cr_assert(x->cpu != NULL);
    cpu_get_state(x->cpu, &x->base);
    for (int s = 0; s < S_NSEG; s++)
        cpu_state_real_seg(&x->base, s, 0);
    x->base.eip = PK_CODE;
    x->base.gpr[R_ESP] = 0x8000;
    x->base.gpr[R_EBX] = PK_DATA;
    x->base.eflags = 0x2;
    x->base.halted = false;
#if FPU_ORACLE
    void *p = mmap(NULL, 0x2000, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    cr_assert(p != MAP_FAILED);
    x->page = p;
    x->hio = x->page + 0x1000;
#endif
}

static void fx_free(struct fx *x)
{
#if FPU_ORACLE
    munmap(x->page, 0x2000);
#endif
    cpu_destroy(x->cpu);
    bus_free(&x->bus);
}

/* Runs t on both sides with io as input; outputs into h and p. */
static void fx_run(struct fx *x, const struct tinsn *t, const uint8_t io[IO_SIZE], uint8_t h[IO_SIZE],
                   uint8_t p[IO_SIZE])
{
    uint8_t code[64];
    unsigned n = asm_seq(code, t, false);
    code[n++] = 0xF4;
    for (unsigned i = 0; i < n; i++)
        if (i >= x->ncur || x->cur[i] != code[i])
            bus_write8(&x->bus, PK_CODE + i, code[i]);
    memcpy(x->cur, code, n);
    x->ncur = n;
    for (unsigned i = 0; i < IO_SIZE; i++)
        bus_write8(&x->bus, PK_DATA + i, io[i]);
    cpu_set_state(x->cpu, &x->base);
    uint64_t ran;
    enum cpu_exit why = cpu_run(x->cpu, 100, &ran);
    cr_assert(why == CPU_EXIT_HALT, "%s: popek did not reach the HLT (%d)", t->name, why);
    for (unsigned i = 0; i < IO_SIZE; i++)
        p[i] = bus_read8(&x->bus, PK_DATA + i);
#if FPU_ORACLE
    uint8_t *c = x->page;
    unsigned k = 0;
    c[k++] = 0x53;                                /* push rbx */
    c[k++] = 0x48, c[k++] = 0x89, c[k++] = 0xFB;  /* mov rbx, rdi */
    k += asm_seq(c + k, t, true);
    c[k++] = 0xDB, c[k++] = 0xE3;                 /* fninit */
    c[k++] = 0x5B, c[k++] = 0xC3;                 /* pop rbx; ret */
    memcpy(h, io, IO_SIZE);
    void (*fn)(uint8_t *);
    void *vp = x->page;
    memcpy(&fn, &vp, sizeof(fn));
    fn(h);
#else
    memcpy(h, p, IO_SIZE);
#endif
}

/* ---- operands ---------------------------------------------------------------- */
static inline uint64_t rnd64(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

struct v80 {
    uint64_t sig;
    uint16_t se;
};

static const struct v80 edge80[] = {
    { 0, 0 }, { 0, 0x8000 },                                     /* zeros */
    { 0x8000000000000000ull, 0x3FFF }, { 0x8000000000000000ull, 0xBFFF }, /* +-1 */
    { 0x0000000000000001ull, 0x0000 }, { 0x7FFFFFFFFFFFFFFFull, 0x8000 }, /* denormals */
    { 0x8000000000000001ull, 0x0000 },                           /* pseudo-denormal */
    { 0x8000000000000000ull, 0x7FFF }, { 0x8000000000000000ull, 0xFFFF }, /* infinities */
    { 0xC000000000000000ull, 0xFFFF },                           /* indefinite */
    { 0xC000000000001234ull, 0x7FFF }, { 0x8000000000005678ull, 0x7FFF }, /* QNaN, SNaN */
    { 0xFFFFFFFFFFFFFFFFull, 0x7FFE }, { 0x8000000000000000ull, 0x0001 }, /* max, min normal */
    { 0x4000000000000000ull, 0x3FFF },                           /* unnormal */
    { 0x4000000000000000ull, 0x7FFF },                           /* pseudo-NaN */
    { 0, 0x7FFF },                                               /* pseudo-infinity */
    { 0xFFFFFFFFFFFFFFFFull, 0x3FFF }, { 0x8000000000000001ull, 0x3FFE },
    { 0xC90FDAA22168C235ull, 0x4000 },                           /* pi */
};
#define N_EDGE80 (sizeof(edge80) / sizeof(edge80[0]))

static struct v80 rand80(uint64_t *s, const struct v80 *near)
{
    uint64_t r = rnd64(s);
    unsigned kind = (unsigned)(r % 16);
    struct v80 v;
    v.sig = rnd64(s) | 0x8000000000000000ull;
    v.se = (uint16_t)((rnd64(s) & 0x8000) | (0x3FFF + (int)(rnd64(s) % 64) - 32));
    switch (kind) {
    case 0: return edge80[rnd64(s) % N_EDGE80];
    case 1: v.se = (uint16_t)((v.se & 0x8000) | (rnd64(s) % 0x7FFF)); break;      /* any exponent */
    case 2: v.se = (uint16_t)((v.se & 0x8000) | (1 + rnd64(s) % 70)); break;      /* near underflow */
    case 3: v.se = (uint16_t)((v.se & 0x8000) | (0x7FFE - rnd64(s) % 70)); break; /* near overflow */
    case 4: v.sig &= ~0ull << (rnd64(s) % 64); break;                            /* trailing zeros */
    case 5: v.sig |= (1ull << (rnd64(s) % 64)) - 1; break;                        /* trailing ones */
    case 6: /* round-to-24/53 ties and near-ties */
        v.sig = (v.sig & ~0ull << 40) | (rnd64(s) & 1 ? 0x8000000000ull : 0x7FFFFFFFFFull);
        break;
    case 7: v.sig = (v.sig & ~0ull << 11) | (rnd64(s) & 1 ? 0x400ull : 0x3FFull); break;
    case 8:
        if (near) { /* close to the other operand: cancellation */
            v = *near;
            v.sig += rnd64(s) % 5 - 2;
            v.sig |= 0x8000000000000000ull;
            if (rnd64(s) & 1)
                v.se ^= 0x8000;
        }
        break;
    case 9: v.se &= 0x8000; v.sig >>= 1 + rnd64(s) % 63; break; /* denormal */
    case 10: v.sig &= 0xFFFFFF0000000000ull; break;             /* exact singles */
    default: break;
    }
    return v;
}

static void put80(uint8_t *io, unsigned off, struct v80 v)
{
    memcpy(io + off, &v.sig, 8);
    memcpy(io + off + 8, &v.se, 2);
}

static unsigned rand_cw(uint64_t *s, bool unmasked_ok)
{
    static const unsigned pcs[3] = { 0, 2, 3 };
    unsigned masks = 0x3F;
    if (unmasked_ok && rnd64(s) % 4 == 0)
        masks = (unsigned)(rnd64(s) & 0x3F);
    return masks | 0x40 | pcs[rnd64(s) % 3] << 8 | (unsigned)(rnd64(s) % 4) << 10;
}

/* ---- comparing -------------------------------------------------------------------- */
struct tally {
    unsigned cases, bad;
};

static void hex80(char *buf, const uint8_t *p)
{
    uint64_t sig;
    uint16_t se;
    memcpy(&sig, p, 8);
    memcpy(&se, p + 8, 2);
    sprintf(buf, "%04X:%016llX", se, (unsigned long long)sig);
}

/* Compares: SW (and TW unless skip_tw), R0, R1, M (mlen bytes), AH when flags. */
static bool fx_check(const struct tinsn *t, struct tally *ty, const uint8_t io[IO_SIZE], const uint8_t h[IO_SIZE],
                     const uint8_t p[IO_SIZE], unsigned mlen, bool flags)
{
    ty->cases++;
    uint16_t hsw, psw, htw, ptw;
    memcpy(&hsw, h + IO_ENV + 4, 2);
    memcpy(&psw, p + IO_ENV + 4, 2);
    memcpy(&htw, h + IO_ENV + 8, 2);
    memcpy(&ptw, p + IO_ENV + 8, 2);
    bool bad = hsw != psw || htw != ptw || memcmp(h + IO_R0, p + IO_R0, 10) || memcmp(h + IO_R1, p + IO_R1, 10) ||
               memcmp(h + IO_M, p + IO_M, mlen) || (flags && ((h[IO_AH] ^ p[IO_AH]) & 0xD5));
    if (!bad)
        return true;
    if (ty->bad++ < 3) {
        char a[32], b[32], hr0[32], pr0[32], hr1[32], pr1[32], hm[40] = "", pm[40] = "";
        hex80(a, io + IO_A);
        hex80(b, io + IO_B);
        hex80(hr0, h + IO_R0);
        hex80(pr0, p + IO_R0);
        hex80(hr1, h + IO_R1);
        hex80(pr1, p + IO_R1);
        for (unsigned i = 0; i < mlen; i++) {
            sprintf(hm + 2 * i, "%02X", h[IO_M + mlen - 1 - i]);
            sprintf(pm + 2 * i, "%02X", p[IO_M + mlen - 1 - i]);
        }
        uint16_t cw;
        memcpy(&cw, io, 2);
        cr_log_error("%s cw=%04X A=%s B=%s | host sw=%04X tw=%04X r0=%s r1=%s m=%s ah=%02X | popek sw=%04X "
                     "tw=%04X r0=%s r1=%s m=%s ah=%02X",
                     t->name, cw, a, b, hsw, htw, hr0, hr1, hm, h[IO_AH], psw, ptw, pr0, pr1, pm, p[IO_AH]);
    }
    return false;
}

#define NEED_HOST()                                                       \
    do {                                                                  \
        if (!FPU_ORACLE)                                                  \
            UNIT_SKIP("the host-x87 oracle needs an x86-64 Linux host");    \
    } while (0)

/* Binary and unary register forms on ST(0)=A, ST(1)=B. */
static const struct tinsn reg_ops[] = {
    { "fadd st,st1", { 0xD8, 0xC1 }, 2, -1 },   { "fmul st,st1", { 0xD8, 0xC9 }, 2, -1 },
    { "fsub st,st1", { 0xD8, 0xE1 }, 2, -1 },   { "fsubr st,st1", { 0xD8, 0xE9 }, 2, -1 },
    { "fdiv st,st1", { 0xD8, 0xF1 }, 2, -1 },   { "fdivr st,st1", { 0xD8, 0xF9 }, 2, -1 },
    { "fadd st1,st", { 0xDC, 0xC1 }, 2, -1 },   { "fsubr st1,st", { 0xDC, 0xE1 }, 2, -1 },
    { "fsub st1,st", { 0xDC, 0xE9 }, 2, -1 },   { "fdivr st1,st", { 0xDC, 0xF1 }, 2, -1 },
    { "fdiv st1,st", { 0xDC, 0xF9 }, 2, -1 },   { "fmulp", { 0xDE, 0xC9 }, 2, -1 },
    { "fsubp", { 0xDE, 0xE9 }, 2, -1 },         { "fdivrp", { 0xDE, 0xF1 }, 2, -1 },
    { "fcom st1", { 0xD8, 0xD1 }, 2, -1 },      { "fcomp st1", { 0xD8, 0xD9 }, 2, -1 },
    { "fcompp", { 0xDE, 0xD9 }, 2, -1 },        { "fucom st1", { 0xDD, 0xE1 }, 2, -1 },
    { "fucompp", { 0xDA, 0xE9 }, 2, -1 },       { "fcomi st1", { 0xDB, 0xF1 }, 2, -1 },
    { "fucomi st1", { 0xDB, 0xE9 }, 2, -1 },    { "fcomip st1", { 0xDF, 0xF1 }, 2, -1 },
    { "fsqrt", { 0xD9, 0xFA }, 2, -1 },         { "frndint", { 0xD9, 0xFC }, 2, -1 },
    { "fscale", { 0xD9, 0xFD }, 2, -1 },        { "fxtract", { 0xD9, 0xF4 }, 2, -1 },
    { "fprem", { 0xD9, 0xF8 }, 2, -1 },         { "fprem1", { 0xD9, 0xF5 }, 2, -1 },
    { "fchs", { 0xD9, 0xE0 }, 2, -1 },          { "fabs", { 0xD9, 0xE1 }, 2, -1 },
    { "ftst", { 0xD9, 0xE4 }, 2, -1 },          { "fxam", { 0xD9, 0xE5 }, 2, -1 },
    { "fxch st1", { 0xD9, 0xC9 }, 2, -1 },      { "fld st1", { 0xD9, 0xC1 }, 2, -1 },
    { "fst st1", { 0xDD, 0xD1 }, 2, -1 },       { "ffree st0", { 0xDD, 0xC0 }, 2, -1 },
    { "fincstp", { 0xD9, 0xF7 }, 2, -1 },       { "fdecstp", { 0xD9, 0xF6 }, 2, -1 },
    { "fcmovb st1", { 0xDA, 0xC1 }, 2, -1 },    { "fcmovnbe st1", { 0xDB, 0xD1 }, 2, -1 },
};

static void run_reg_op(struct fx *x, const struct tinsn *t, unsigned n, uint64_t seed)
{
    uint64_t s = seed;
    struct tally ty = { 0, 0 };
    bool flags = strstr(t->name, "fcomi") || strstr(t->name, "fucomi");
    for (unsigned i = 0; i < n; i++) {
        uint8_t io[IO_SIZE] = { 0 }, h[IO_SIZE], p[IO_SIZE];
        struct v80 a, b;
        if (i < N_EDGE80 * N_EDGE80) {
            a = edge80[i / N_EDGE80];
            b = edge80[i % N_EDGE80];
        } else {
            a = rand80(&s, NULL);
            b = rand80(&s, &a);
            if (rnd64(&s) & 1) {
                struct v80 tmp = a;
                a = b;
                b = tmp;
            }
            if (!strcmp(t->name, "fscale") && (rnd64(&s) & 1)) /* a useful scale */
                b = (struct v80){ rnd64(&s) | 0x8000000000000000ull,
                                  (uint16_t)((rnd64(&s) & 0x8000) | (0x3FFF + rnd64(&s) % 16)) };
        }
        uint16_t cw = (uint16_t)(i < N_EDGE80 * N_EDGE80 ? 0x037F : rand_cw(&s, true));
        memcpy(io + IO_CW, &cw, 2);
        put80(io, IO_A, a);
        put80(io, IO_B, b);
        io[IO_FL] = (uint8_t)((i * 0x9Du + (unsigned)(rnd64(&s) & 0xFF)) & 0xD5);
        fx_run(x, t, io, h, p);
        fx_check(t, &ty, io, h, p, 0, flags);
    }
    cr_expect(ty.bad == 0, "%s: %u of %u cases differ from the host", t->name, ty.bad, ty.cases);
    cr_log_info("%s: %u cases", t->name, ty.cases);
}

Test(fpu_oracle, register_forms)
{
    NEED_HOST();
    struct fx x;
    fx_init(&x);
    for (unsigned k = 0; k < sizeof(reg_ops) / sizeof(reg_ops[0]); k++)
        run_reg_op(&x, &reg_ops[k], N_EDGE80 * N_EDGE80 + 1500, 0x1234567 + k);
    fx_free(&x);
}

/* Memory forms: the operand at [40h] (ModRM at byte 1).  kind: the memory
 * operand's format for generating values. */
enum mkind { MK_F32, MK_F64, MK_I16, MK_I32, MK_I64, MK_F80, MK_BCD, MK_NONE };

struct mop {
    struct tinsn t;
    enum mkind kind;
    unsigned out_len; /* bytes of [40h] compared afterwards */
};

static const struct mop mem_ops[] = {
    { { "fadd m32", { 0xD8, 0x00, IO_M }, 3, 1 }, MK_F32, 4 },
    { { "fmul m32", { 0xD8, 0x08, IO_M }, 3, 1 }, MK_F32, 4 },
    { { "fcom m32", { 0xD8, 0x10, IO_M }, 3, 1 }, MK_F32, 4 },
    { { "fsubr m32", { 0xD8, 0x28, IO_M }, 3, 1 }, MK_F32, 4 },
    { { "fdiv m32", { 0xD8, 0x30, IO_M }, 3, 1 }, MK_F32, 4 },
    { { "fadd m64", { 0xDC, 0x00, IO_M }, 3, 1 }, MK_F64, 8 },
    { { "fsub m64", { 0xDC, 0x20, IO_M }, 3, 1 }, MK_F64, 8 },
    { { "fdivr m64", { 0xDC, 0x38, IO_M }, 3, 1 }, MK_F64, 8 },
    { { "fcomp m64", { 0xDC, 0x18, IO_M }, 3, 1 }, MK_F64, 8 },
    { { "fiadd m32", { 0xDA, 0x00, IO_M }, 3, 1 }, MK_I32, 4 },
    { { "fimul m16", { 0xDE, 0x08, IO_M }, 3, 1 }, MK_I16, 2 },
    { { "ficom m16", { 0xDE, 0x10, IO_M }, 3, 1 }, MK_I16, 2 },
    { { "fidivr m32", { 0xDA, 0x38, IO_M }, 3, 1 }, MK_I32, 4 },
    { { "fld m32", { 0xD9, 0x00, IO_M }, 3, 1 }, MK_F32, 4 },
    { { "fld m64", { 0xDD, 0x00, IO_M }, 3, 1 }, MK_F64, 8 },
    { { "fld m80", { 0xDB, 0x28, IO_M }, 3, 1 }, MK_F80, 10 },
    { { "fild m16", { 0xDF, 0x00, IO_M }, 3, 1 }, MK_I16, 2 },
    { { "fild m32", { 0xDB, 0x00, IO_M }, 3, 1 }, MK_I32, 4 },
    { { "fild m64", { 0xDF, 0x28, IO_M }, 3, 1 }, MK_I64, 8 },
    { { "fbld", { 0xDF, 0x20, IO_M }, 3, 1 }, MK_BCD, 10 },
    { { "fst m32", { 0xD9, 0x10, IO_M }, 3, 1 }, MK_NONE, 4 },
    { { "fstp m32", { 0xD9, 0x18, IO_M }, 3, 1 }, MK_NONE, 4 },
    { { "fst m64", { 0xDD, 0x10, IO_M }, 3, 1 }, MK_NONE, 8 },
    { { "fstp m80", { 0xDB, 0x38, IO_M }, 3, 1 }, MK_NONE, 10 },
    { { "fist m16", { 0xDF, 0x10, IO_M }, 3, 1 }, MK_NONE, 2 },
    { { "fistp m32", { 0xDB, 0x18, IO_M }, 3, 1 }, MK_NONE, 4 },
    { { "fistp m64", { 0xDF, 0x38, IO_M }, 3, 1 }, MK_NONE, 8 },
    { { "fbstp", { 0xDF, 0x30, IO_M }, 3, 1 }, MK_NONE, 10 },
    { { "fnstcw", { 0xD9, 0x38, IO_M }, 3, 1 }, MK_NONE, 2 },
    { { "fnstsw", { 0xDD, 0x38, IO_M }, 3, 1 }, MK_NONE, 2 },
    { { "fldcw", { 0xD9, 0x28, IO_M }, 3, 1 }, MK_I16, 2 },
};

static void rand_mem(uint64_t *s, enum mkind k, uint8_t *m, const struct v80 *a)
{
    uint64_t r = rnd64(s);
    switch (k) {
    case MK_F32: {
        static const uint32_t e32[] = { 0, 0x80000000u, 0x3F800000u, 0x00000001u, 0x807FFFFFu, 0x7F800000u,
                                        0xFF800000u, 0x7FC00001u, 0x7F800001u, 0x7F7FFFFFu, 0x00800000u };
        uint32_t v = (uint32_t)r;
        if (r % 4 == 0)
            v = e32[(r >> 8) % (sizeof(e32) / 4)];
        else if (r % 4 == 1)
            v = (v & 0x807FFFFFu) | (uint32_t)(0x3F800000u + (((r >> 40) % 64) << 23) - (32u << 23));
        memcpy(m, &v, 4);
        break;
    }
    case MK_F64: {
        static const uint64_t e64[] = { 0, 0x8000000000000000ull, 0x3FF0000000000000ull, 1, 0x800FFFFFFFFFFFFFull,
                                        0x7FF0000000000000ull, 0x7FF8000000000001ull, 0x7FF0000000000001ull,
                                        0x7FEFFFFFFFFFFFFFull, 0x0010000000000000ull };
        uint64_t v = rnd64(s);
        if (r % 4 == 0)
            v = e64[(r >> 8) % (sizeof(e64) / 8)];
        else if (r % 4 == 1)
            v = (v & 0x800FFFFFFFFFFFFFull) | ((0x3FFull + (r >> 40) % 64 - 32) << 52);
        memcpy(m, &v, 8);
        break;
    }
    case MK_I16: case MK_I32: case MK_I64: {
        uint64_t v = rnd64(s);
        if (r % 3 == 0)
            v >>= r % 64;
        if (r % 5 == 0)
            v = (uint64_t)0 - (v & 0xFF);
        memcpy(m, &v, 8);
        break;
    }
    case MK_F80: put80(m, 0, rand80(s, a)); break;
    case MK_BCD:
        for (unsigned i = 0; i < 9; i++)
            m[i] = (uint8_t)((rnd64(s) % 10) << 4 | rnd64(s) % 10);
        m[9] = (uint8_t)(rnd64(s) & 0x80);
        break;
    default: break;
    }
}

/* A for the stores: values near the integer and format limits. */
static struct v80 rand_store_src(uint64_t *s)
{
    uint64_t r = rnd64(s);
    struct v80 v = rand80(s, NULL);
    if (r % 3 == 0) /* integers up to 2^70 with fractions */
        v.se = (uint16_t)((v.se & 0x8000) | (0x3FFF + (r >> 8) % 70));
    else if (r % 3 == 1) /* near single/double's exponent limits */
        v.se = (uint16_t)((v.se & 0x8000) | (0x3FFF + ((r >> 8) & 1 ? 1 : -1) * (int)(120 + (r >> 9) % 20 + ((r >> 20) & 1) * 900)));
    return v;
}

Test(fpu_oracle, memory_forms)
{
    NEED_HOST();
    struct fx x;
    fx_init(&x);
    for (unsigned k = 0; k < sizeof(mem_ops) / sizeof(mem_ops[0]); k++) {
        const struct mop *o = &mem_ops[k];
        uint64_t s = 0xABCDEF + k;
        struct tally ty = { 0, 0 };
        for (unsigned i = 0; i < 2000; i++) {
            uint8_t io[IO_SIZE] = { 0 }, h[IO_SIZE], p[IO_SIZE];
            struct v80 a = o->kind == MK_NONE ? rand_store_src(&s) : rand80(&s, NULL), b = rand80(&s, &a);
            uint16_t cw = (uint16_t)rand_cw(&s, true);
            memcpy(io + IO_CW, &cw, 2);
            put80(io, IO_A, a);
            put80(io, IO_B, b);
            rand_mem(&s, o->kind, io + IO_M, &a);
            if (!strcmp(o->t.name, "fldcw")) { /* keep exceptions masked and test PC/RC/reserved bits */
                io[IO_M] |= 0x3F;
                io[IO_M + 1] &= 0xF;
            }
            fx_run(&x, &o->t, io, h, p);
            fx_check(&o->t, &ty, io, h, p, o->out_len, false);
        }
        cr_expect(ty.bad == 0, "%s: %u of %u cases differ from the host", o->t.name, ty.bad, ty.cases);
    }
    fx_free(&x);
}

/* Distance in ulps between two finite 80-bit values of the same sign
 * (UINT64_MAX if not comparable). */
static uint64_t ulp_dist(const uint8_t *x, const uint8_t *y)
{
    uint64_t sx, sy;
    uint16_t ex, ey;
    memcpy(&sx, x, 8), memcpy(&ex, x + 8, 2), memcpy(&sy, y, 8), memcpy(&ey, y + 8, 2);
    if (ex == ey && sx == sy)
        return 0;
    if ((ex ^ ey) & 0x8000 || (ex & 0x7FFF) == 0x7FFF || (ey & 0x7FFF) == 0x7FFF)
        return UINT64_MAX;
    int de = (ex & 0x7FFF) - (ey & 0x7FFF);
    if (de == 0)
        return sx > sy ? sx - sy : sy - sx;
    if (de < -1 || de > 1)
        return UINT64_MAX;
    if (de < 0) { /* make x the larger exponent */
        uint64_t t = sx;
        sx = sy, sy = t;
    }
    /* in ulps of the smaller exponent */
    return (sx - 0x8000000000000000ull) * 2 + (0xFFFFFFFFFFFFFFFFull - sy) + 1;
}

static const struct tinsn trans_ops[] = {
    { "fsin", { 0xD9, 0xFE }, 2, -1 },   { "fcos", { 0xD9, 0xFF }, 2, -1 },  { "fsincos", { 0xD9, 0xFB }, 2, -1 },
    { "fptan", { 0xD9, 0xF2 }, 2, -1 },  { "fpatan", { 0xD9, 0xF3 }, 2, -1 }, { "f2xm1", { 0xD9, 0xF0 }, 2, -1 },
    { "fyl2x", { 0xD9, 0xF1 }, 2, -1 },  { "fyl2xp1", { 0xD9, 0xF9 }, 2, -1 },
};

Test(fpu_oracle, transcendental)
{
    NEED_HOST();
    struct fx x;
    fx_init(&x);
    for (unsigned k = 0; k < sizeof(trans_ops) / sizeof(trans_ops[0]); k++) {
        const struct tinsn *t = &trans_ops[k];
        uint64_t s = 0x5151 + k;
        struct tally ty = { 0, 0 };
        unsigned exact = 0;
        for (unsigned i = 0; i < 600; i++) {
            uint8_t io[IO_SIZE] = { 0 }, h[IO_SIZE], p[IO_SIZE];
            struct v80 a = { rnd64(&s) | 0x8000000000000000ull, 0 }, b = a;
            unsigned r = (unsigned)(rnd64(&s) % 8);
            int e;
            if (k <= 3) /* |x| < 2^20 */
                e = (int)(rnd64(&s) % 40) - 20;
            else if (k == 5) /* |x| < 1 */
                e = -(int)(rnd64(&s) % 40) - 1;
            else if (k == 7) /* |x| < 1 - sqrt(2)/2 */
                e = -(int)(rnd64(&s) % 40) - 3;
            else
                e = (int)(rnd64(&s) % 80) - 40;
            if (r == 0) /* small arguments (within each function's documented domain) */
                e = -(int)(rnd64(&s) % 100) - 3;
            a.se = (uint16_t)(0x3FFF + e) | (uint16_t)(rnd64(&s) & 0x8000);
            if (k == 6) /* FYL2X: x > 0 */
                a.se &= 0x7FFF;
            b.sig = rnd64(&s) | 0x8000000000000000ull;
            b.se = (uint16_t)((0x3FFF + (int)(rnd64(&s) % 8) - 4) | (rnd64(&s) & 0x8000));
            if (k == 4 && (rnd64(&s) & 1)) /* FPATAN: ST1=y, ST0=x of any relative size */
                b.se = (uint16_t)((0x3FFF + (int)(rnd64(&s) % 80) - 40) | (rnd64(&s) & 0x8000));
            uint16_t cw = (uint16_t)(0x037F | (rnd64(&s) % 4) << 10);
            memcpy(io + IO_CW, &cw, 2);
            put80(io, IO_A, a);
            put80(io, IO_B, b);
            fx_run(&x, t, io, h, p);
            ty.cases++;
            uint16_t hsw, psw;
            memcpy(&hsw, h + IO_ENV + 4, 2);
            memcpy(&psw, p + IO_ENV + 4, 2);
            uint64_t d0 = ulp_dist(h + IO_R0, p + IO_R0), d1 = ulp_dist(h + IO_R1, p + IO_R1);
            /* C1 and PE follow the rounding, which may legitimately differ by an ulp */
            bool ok = d0 <= 1 && d1 <= 1 && ((hsw ^ psw) & ~(FSW_C1_T | 0x20)) == 0;
            if (d0 == 0 && d1 == 0)
                exact++;
            if (!ok && ty.bad++ < 3) {
                char sa[32], sb[32], h0[32], p0[32], h1[32], p1[32];
                hex80(sa, io + IO_A), hex80(sb, io + IO_B), hex80(h0, h + IO_R0), hex80(p0, p + IO_R0);
                hex80(h1, h + IO_R1), hex80(p1, p + IO_R1);
                cr_log_error("%s cw=%04X A=%s B=%s | host sw=%04X %s %s | popek sw=%04X %s %s", t->name, cw, sa, sb,
                             hsw, h0, h1, psw, p0, p1);
            }
        }
        cr_expect(ty.bad == 0, "%s: %u of %u cases are more than 1 ulp from the host", t->name, ty.bad, ty.cases);
        cr_log_info("%s: %u cases, %u bit-exact", t->name, ty.cases, exact);
    }
    fx_free(&x);
}
