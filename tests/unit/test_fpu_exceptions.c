/* x87 exception reporting and the environment/state images, each expected
 * value taken from the Intel SDM (not from Popek's output):
 *   - #NM: vol. 3 table 2-2 "Action Taken By x87 FPU Instructions for
 *     Different Combinations of EM, MP, and TS": an ESC instruction raises
 *     #NM when EM or TS is set; WAIT/FWAIT only when MP and TS are both set.
 *   - #MF (CR0.NE = 1): vol. 1 8.6/8.7 and vol. 3 "x87 FPU error
 *     reporting": an unmasked exception sets ES and B and is reported as #MF
 *     when the NEXT waiting x87 instruction (or WAIT) is about to execute,
 *     with CS:EIP of that instruction; the no-wait forms (FNINIT, FNCLEX,
 *     FNSTSW, FNSTCW, FNSTENV, FNSAVE) do not check.
 *   - FERR# (CR0.NE = 0): asserted by the unmasked exception, deasserted by
 *     FNCLEX/FNINIT; no #MF.
 *   - vol. 1 figures 8-9 .. 8-12: the four environment formats, the tag word
 *     (8.1.7: 00 valid, 01 zero, 10 special, 11 empty; FLDENV/FRSTOR only
 *     take "empty or not" from the image and recompute the rest), FIP/FOP/
 *     FDP (8.1.8, 8.1.9), and the 80-bit registers ST(0)..ST(7) after the
 *     environment in FSAVE/FRSTOR.
 * Every test runs a P6 from a small code buffer to a HLT; exceptions go
 * through the IVT (real mode) or a flat-GDT IDT (protected mode) to a HLT
 * per vector. */
#include <criterion/criterion.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "cpu/cpu.h"
#include "mem/bus.h"

TestSuite(fpu_exceptions, .timeout = 30.0);

#define CR0_PE 0x01u
#define CR0_MP 0x02u
#define CR0_EM 0x04u
#define CR0_TS 0x08u
#define CR0_ET 0x10u
#define CR0_NE 0x20u

#define V_NM 7
#define V_MF 16

/* Status word bits. */
#define IE 0x0001u
#define ZE 0x0004u
#define PE 0x0020u
#define SF 0x0040u
#define ES 0x0080u
#define C0 0x0100u
#define C1 0x0200u
#define C2 0x0400u
#define C3 0x4000u
#define B 0x8000u
#define CC (C0 | C1 | C2 | C3)

/* Memory map (1 MiB of RAM). */
#define HANDLERS 0x0400u /* vector v: a HLT at 0400+v */
#define GDT 0x0500u
#define IDT 0x0600u
#define CODE 0x1000u
#define STACK 0x8000u

enum mode { RM, PM16, PM32 };

struct vm {
    struct bus bus;
    struct cpu *cpu;
    enum mode mode;
    struct cpu_state st;  /* the state each run starts from */
    struct cpu_state out; /* the state after the run */
};

/* GDT selectors. */
#define SEL_CODE32 0x08
#define SEL_CODE16 0x10
#define SEL_DATA 0x18
#define SEL_DATA2 0x20

static void put_desc(struct bus *bus, unsigned sel, uint32_t limit20, uint8_t access, uint8_t flags)
{
    uint8_t d[8] = { (uint8_t)limit20, (uint8_t)(limit20 >> 8), 0, 0, 0, access,
                     (uint8_t)((flags << 4) | ((limit20 >> 16) & 0xF)), 0 };
    bus_write_block(bus, GDT + sel, d, 8);
}

static struct cpu_seg seg(uint16_t sel, uint32_t limit, uint16_t attr)
{
    return (struct cpu_seg){ sel, 0, limit, attr };
}

/* cr0: EM/MP/TS/NE bits to set (PE and ET are added for protected mode). */
static void vm_init(struct vm *v, enum mode mode, uint32_t cr0)
{
    cr_assert(bus_init(&v->bus, 1u << 20) == 0);
    v->cpu = cpu_create(CPU_P6, &v->bus);
    cr_assert(v->cpu != NULL);
    v->mode = mode;
    for (unsigned i = 0; i < 256; i++) {
        bus_write(&v->bus, i * 4, HANDLERS + i, 2);
        bus_write(&v->bus, i * 4 + 2, 0, 2);
        bus_write8(&v->bus, HANDLERS + i, 0xF4);
    }
    /* Flat GDT: 32-bit code, 16-bit code (64 KiB), two flat data segments. */
    put_desc(&v->bus, SEL_CODE32, 0xFFFFF, 0x9B, 0xC);
    put_desc(&v->bus, SEL_CODE16, 0x0FFFF, 0x9B, 0x0);
    put_desc(&v->bus, SEL_DATA, 0xFFFFF, 0x93, 0xC);
    put_desc(&v->bus, SEL_DATA2, 0xFFFFF, 0x93, 0xC);
    /* IDT: 32-bit interrupt gates to SEL_CODE32:0400+v. */
    for (unsigned i = 0; i < 32; i++) {
        uint32_t off = HANDLERS + i;
        uint8_t g[8] = { (uint8_t)off, (uint8_t)(off >> 8), SEL_CODE32, 0, 0, 0x8E, (uint8_t)(off >> 16),
                         (uint8_t)(off >> 24) };
        bus_write_block(&v->bus, IDT + 8 * i, g, 8);
    }
    struct cpu_state *st = &v->st;
    cpu_get_state(v->cpu, st);
    st->eflags = 0x2;
    st->gpr[R_ESP] = STACK;
    st->halted = false;
    if (mode == RM) {
        for (int s = 0; s < S_NSEG; s++)
            cpu_state_real_seg(st, s, 0);
        st->cr0 = (st->cr0 & ~(CR0_PE | CR0_MP | CR0_EM | CR0_TS | CR0_NE)) | cr0;
        st->idtr.base = 0;
        st->idtr.limit = 0x3FF;
    } else {
        st->cr0 = CR0_PE | CR0_ET | cr0;
        for (int s = 0; s < S_NSEG; s++)
            st->seg[s] = seg(SEL_DATA, 0xFFFFFFFFu, 0xC093);
        st->seg[S_CS] = mode == PM32 ? seg(SEL_CODE32, 0xFFFFFFFFu, 0xC09B) : seg(SEL_CODE16, 0xFFFF, 0x009B);
        st->gdtr.base = GDT;
        st->gdtr.limit = 0x27;
        st->idtr.base = IDT;
        st->idtr.limit = 32 * 8 - 1;
    }
}

static void vm_free(struct vm *v)
{
    cpu_destroy(v->cpu);
    bus_free(&v->bus);
}

static uint32_t cs_base(const struct vm *v)
{
    return v->st.seg[S_CS].base;
}

/* Runs from CS:eip (the FPU keeps its state between runs) until a HLT.
 * Returns the vector of the exception taken, or -1 if the HLT reached was
 * not an exception handler's. */
static int vm_exec(struct vm *v, uint32_t eip)
{
    struct cpu_state st = v->st;
    st.eip = eip;
    cpu_set_state(v->cpu, &st);
    uint64_t ran;
    enum cpu_exit why = cpu_run(v->cpu, 2000, &ran);
    cr_assert(why == CPU_EXIT_HALT, "the code did not reach a HLT (exit %d)", (int)why);
    cpu_get_state(v->cpu, &v->out);
    uint16_t hcs = v->mode == RM ? 0 : SEL_CODE32;
    if (v->out.seg[S_CS].sel == hcs && v->out.eip >= HANDLERS + 1 && v->out.eip <= HANDLERS + 32)
        return (int)(v->out.eip - 1 - HANDLERS);
    return -1;
}

/* The CS:EIP an exception handler was entered with (from its stack frame). */
static void vm_frame(struct vm *v, uint16_t *cs, uint32_t *eip)
{
    uint32_t sp = v->out.seg[S_SS].base + (v->mode == RM ? (v->out.gpr[R_ESP] & 0xFFFF) : v->out.gpr[R_ESP]);
    if (v->mode == RM) {
        *eip = bus_read(&v->bus, sp, 2);
        *cs = (uint16_t)bus_read(&v->bus, sp + 2, 2);
    } else {
        *eip = bus_read(&v->bus, sp, 4);
        *cs = (uint16_t)bus_read(&v->bus, sp + 4, 4);
    }
}

/* Expects the last run to have taken vector vec at the instruction at
 * CS:eip (the current CS). */
static void expect_fault(struct vm *v, int got, int vec, uint32_t eip, const char *what)
{
    cr_expect(got == vec, "%s: vector %d, want %d", what, got, vec);
    if (got != vec || vec < 0)
        return;
    uint16_t fcs;
    uint32_t feip;
    vm_frame(v, &fcs, &feip);
    cr_expect(fcs == v->st.seg[S_CS].sel && feip == eip, "%s: saved CS:EIP %04X:%08X, want %04X:%08X", what, fcs,
              feip, v->st.seg[S_CS].sel, eip);
}

/* ---- a tiny assembler ---------------------------------------------------------- */
struct as {
    uint8_t b[1024];
    unsigned n;
    bool a32; /* 32-bit addressing (32-bit code segment) */
};

static void emit(struct as *a, unsigned n, const uint8_t *b)
{
    cr_assert(a->n + n <= sizeof(a->b));
    memcpy(a->b + a->n, b, n);
    a->n += n;
}
#define E(a, ...) emit((a), sizeof((const uint8_t[]){ __VA_ARGS__ }), (const uint8_t[]){ __VA_ARGS__ })

/* opcode /reg with a direct memory operand [addr]; returns the ModRM byte. */
static uint8_t mem_op(struct as *a, uint8_t opcode, unsigned reg, uint32_t addr)
{
    uint8_t modrm = (uint8_t)((reg << 3) | (a->a32 ? 5 : 6));
    E(a, opcode, modrm);
    if (a->a32)
        E(a, (uint8_t)addr, (uint8_t)(addr >> 8), (uint8_t)(addr >> 16), (uint8_t)(addr >> 24));
    else
        E(a, (uint8_t)addr, (uint8_t)(addr >> 8));
    return modrm;
}

/* Writes the code at CS:CODE and returns its offset there. */
static uint32_t vm_load(struct vm *v, struct as *a)
{
    E(a, 0xF4);
    bus_write_block(&v->bus, cs_base(v) + CODE, a->b, a->n);
    return CODE;
}

static struct as as_for(const struct vm *v)
{
    struct as a;
    memset(&a, 0, sizeof(a));
    a.a32 = v->mode == PM32;
    return a;
}

/* ---- memory access ------------------------------------------------------------------ */
static uint32_t ds_base(const struct vm *v)
{
    return v->st.seg[S_DS].base;
}
static uint32_t rd16(struct vm *v, uint32_t off)
{
    return bus_read(&v->bus, ds_base(v) + off, 2);
}
static uint32_t rd32(struct vm *v, uint32_t off)
{
    return bus_read(&v->bus, ds_base(v) + off, 4);
}
static void wr16(struct vm *v, uint32_t off, uint32_t val)
{
    bus_write(&v->bus, ds_base(v) + off, val, 2);
}
static void wr32(struct vm *v, uint32_t off, uint32_t val)
{
    bus_write(&v->bus, ds_base(v) + off, val, 4);
}

struct f80 {
    uint64_t sig;
    uint16_t se;
};
static const struct f80 ONE = { 0x8000000000000000ull, 0x3FFF };
static const struct f80 TWO = { 0x8000000000000000ull, 0x4000 };
static const struct f80 ZERO = { 0, 0 };
static const struct f80 PINF = { 0x8000000000000000ull, 0x7FFF };
static const struct f80 INDEF = { 0xC000000000000000ull, 0xFFFF };

static struct f80 rd80(struct vm *v, uint32_t off)
{
    struct f80 r;
    r.sig = (uint64_t)rd32(v, off) | (uint64_t)rd32(v, off + 4) << 32;
    r.se = (uint16_t)rd16(v, off + 8);
    return r;
}
static void wr80(struct vm *v, uint32_t off, struct f80 x)
{
    wr32(v, off, (uint32_t)x.sig);
    wr32(v, off + 4, (uint32_t)(x.sig >> 32));
    wr16(v, off + 8, x.se);
}
static void expect80(struct f80 got, struct f80 want, const char *what)
{
    cr_expect(got.se == want.se && got.sig == want.sig, "%s: got %04X:%016llX, want %04X:%016llX", what, got.se,
              (unsigned long long)got.sig, want.se, (unsigned long long)want.sig);
}

/* Common instruction bytes. */
#define FNINIT 0xDB, 0xE3
#define FNCLEX 0xDB, 0xE2
#define FLD1 0xD9, 0xE8
#define FLDZ 0xD9, 0xEE
#define FADD_ST0_ST1 0xD8, 0xC1
#define FADD_ST0_ST0 0xD8, 0xC0
#define FDIV_ST0_ST1 0xD8, 0xF1
#define FNSTSW_AX 0xDF, 0xE0
#define FWAIT 0x9B

/* ====================================================================================
 * 1. #NM
 * ==================================================================================== */

/* A sample of escape instructions: every first opcode byte, register and
 * memory forms, and the no-wait control instructions. */
static const struct {
    uint8_t b[4];
    unsigned n;
    const char *name;
} esc_insns[] = {
    { { 0xD8, 0xC1 }, 2, "FADD ST0,ST1" },
    { { 0xD8, 0x06, 0x00, 0x20 }, 4, "FADD m32" },
    { { 0xD9, 0xE8 }, 2, "FLD1" },
    { { 0xD9, 0xD0 }, 2, "FNOP" },
    { { 0xD9, 0x06, 0x00, 0x20 }, 4, "FLD m32" },
    { { 0xD9, 0x3E, 0x00, 0x20 }, 4, "FNSTCW" },
    { { 0xD9, 0x2E, 0x00, 0x20 }, 4, "FLDCW" },
    { { 0xD9, 0x36, 0x00, 0x20 }, 4, "FNSTENV" },
    { { 0xD9, 0x26, 0x00, 0x20 }, 4, "FLDENV" },
    { { 0xDA, 0xC1 }, 2, "FCMOVB" },
    { { 0xDA, 0x06, 0x00, 0x20 }, 4, "FIADD m32" },
    { { 0xDB, 0xE3 }, 2, "FNINIT" },
    { { 0xDB, 0xE2 }, 2, "FNCLEX" },
    { { 0xDB, 0x2E, 0x00, 0x20 }, 4, "FLD m80" },
    { { 0xDC, 0xC1 }, 2, "FADD ST1,ST0" },
    { { 0xDD, 0xC1 }, 2, "FFREE ST1" },
    { { 0xDD, 0x36, 0x00, 0x20 }, 4, "FNSAVE" },
    { { 0xDD, 0x26, 0x00, 0x20 }, 4, "FRSTOR" },
    { { 0xDD, 0x3E, 0x00, 0x20 }, 4, "FNSTSW m16" },
    { { 0xDE, 0xC1 }, 2, "FADDP" },
    { { 0xDF, 0xE0 }, 2, "FNSTSW AX" },
    { { 0xDF, 0x06, 0x00, 0x20 }, 4, "FILD m16" },
};
#define N_ESC (sizeof(esc_insns) / sizeof(esc_insns[0]))

Test(fpu_exceptions, nm_table_em_mp_ts)
{
    for (unsigned bits = 0; bits < 8; bits++) {
        uint32_t cr0 = (bits & 1 ? CR0_EM : 0) | (bits & 2 ? CR0_MP : 0) | (bits & 4 ? CR0_TS : 0);
        bool esc_nm = (cr0 & (CR0_EM | CR0_TS)) != 0;
        bool wait_nm = (cr0 & (CR0_MP | CR0_TS)) == (CR0_MP | CR0_TS);
        for (unsigned i = 0; i <= N_ESC; i++) {
            struct vm v;
            vm_init(&v, RM, cr0 | CR0_NE);
            struct as a = as_for(&v);
            if (i < N_ESC)
                emit(&a, esc_insns[i].n, esc_insns[i].b);
            else
                E(&a, FWAIT);
            unsigned len = a.n;
            uint32_t at = vm_load(&v, &a);
            char what[96];
            snprintf(what, sizeof(what), "%s with EM=%u MP=%u TS=%u", i < N_ESC ? esc_insns[i].name : "WAIT",
                     bits & 1, (bits >> 1) & 1, (bits >> 2) & 1);
            int vec = vm_exec(&v, at);
            bool want = i < N_ESC ? esc_nm : wait_nm;
            if (want) {
                expect_fault(&v, vec, V_NM, at, what);
            } else {
                cr_expect(vec == -1 && v.out.eip == at + len + 1, "%s: vector %d at %04X, want it to run", what,
                          vec, v.out.eip);
            }
            vm_free(&v);
        }
    }
}

/* The #NM leaves the FPU alone: FNINIT with TS=1 does not reset it. */
Test(fpu_exceptions, nm_instruction_does_not_execute)
{
    struct vm v;
    vm_init(&v, RM, CR0_NE | CR0_MP);
    struct as a = as_for(&v);
    E(&a, FNINIT, FLD1, FNSTSW_AX);
    vm_exec(&v, vm_load(&v, &a));
    cr_expect((v.out.gpr[R_EAX] & 0xFFFF) == 0x3800, "after FLD1: SW %04X", v.out.gpr[R_EAX] & 0xFFFF);
    v.st.cr0 |= CR0_TS;
    a = as_for(&v);
    E(&a, FNINIT);
    uint32_t at = vm_load(&v, &a);
    expect_fault(&v, vm_exec(&v, at), V_NM, at, "FNINIT with TS=1");
    v.st.cr0 &= ~CR0_TS;
    a = as_for(&v);
    E(&a, FNSTSW_AX);
    vm_exec(&v, vm_load(&v, &a));
    cr_expect((v.out.gpr[R_EAX] & 0xFFFF) == 0x3800, "FNINIT ran under TS=1: SW %04X", v.out.gpr[R_EAX] & 0xFFFF);
    vm_free(&v);
}

/* CR0.TS = MP = 1: the first ESC faults; after CLTS the same code runs. */
Test(fpu_exceptions, nm_then_clts)
{
    for (unsigned pm = 0; pm < 2; pm++) {
        struct vm v;
        vm_init(&v, pm ? PM32 : RM, CR0_NE | CR0_MP | CR0_TS);
        struct as a = as_for(&v);
        E(&a, FWAIT);
        unsigned esc_at = a.n;
        E(&a, FNINIT, FLD1, FADD_ST0_ST0, FWAIT, FNSTSW_AX);
        mem_op(&a, 0xDB, 7, 0x3000); /* FSTP m80 */
        uint32_t at = vm_load(&v, &a);
        expect_fault(&v, vm_exec(&v, at), V_NM, at, "WAIT with MP=TS=1");
        /* Without the WAIT: the ESC itself faults. */
        expect_fault(&v, vm_exec(&v, at + esc_at), V_NM, at + esc_at, "FNINIT with TS=1");
        /* CLTS, then the whole sequence. */
        struct as c = as_for(&v);
        E(&c, 0x0F, 0x06);
        emit(&c, a.n, a.b);
        bus_write_block(&v.bus, cs_base(&v) + 0x1800, c.b, c.n);
        int vec = vm_exec(&v, 0x1800);
        cr_expect(vec == -1 && v.out.eip == 0x1800 + c.n, "after CLTS: vector %d, EIP %X", vec, v.out.eip);
        cr_expect(!(v.out.cr0 & CR0_TS), "CLTS left TS set");
        cr_expect((v.out.gpr[R_EAX] & 0xFFFF) == 0x3800, "after CLTS: SW %04X, want 3800", v.out.gpr[R_EAX] & 0xFFFF);
        expect80(rd80(&v, 0x3000), TWO, "FLD1; FADD ST0,ST0 after CLTS");
        vm_free(&v);
    }
}

/* ====================================================================================
 * 2. #MF with CR0.NE = 1
 * ==================================================================================== */

/* FNINIT; FLDCW cw; FLDZ; FLD1; FDIV ST0,ST1 (1/0, ZE unmasked); then tail. */
#define CW_ADDR 0x2000u
#define OUT 0x3000u

static unsigned setup_zero_divide(struct vm *v, struct as *a)
{
    wr16(v, CW_ADDR, 0x037B); /* ZM clear */
    E(a, FNINIT);
    mem_op(a, 0xD9, 5, CW_ADDR); /* FLDCW */
    E(a, FLDZ, FLD1);
    unsigned fdiv_at = a->n;
    E(a, FDIV_ST0_ST1);
    return fdiv_at;
}

/* The SW after the unmasked 1/0: ZE, ES, B, TOP 6 (C0-C3 not checked). */
#define SW_AFTER_ZD (B | 0x3000u | ES | ZE)

Test(fpu_exceptions, mf_is_taken_at_the_next_waiting_instruction)
{
    static const struct {
        uint8_t b[6];
        unsigned n;
        const char *name;
    } next[] = {
        { { FADD_ST0_ST1 }, 2, "FADD" },
        { { FLD1 }, 2, "FLD1" },
        { { 0xD9, 0x06, 0x00, 0x20 }, 4, "FLD m32" },
        { { FWAIT }, 1, "FWAIT" },
        { { 0xD9, 0x2E, 0x00, 0x20 }, 4, "FLDCW" },
        { { FWAIT, FNSTSW_AX }, 3, "FSTSW AX (9B DF E0)" },
        { { FWAIT, 0xD9, 0x36, 0x00, 0x30 }, 5, "FSTENV (9B D9 /6)" },
        { { FWAIT, FNINIT }, 3, "FINIT (9B DB E3)" },
        { { FWAIT, FNCLEX }, 3, "FCLEX (9B DB E2)" },
        { { 0xD9, 0xC9 }, 2, "FXCH" },
        { { 0xDD, 0xD9 }, 2, "FSTP ST1" },
        { { 0xDF, 0x06, 0x00, 0x20 }, 4, "FILD m16" },
        { { 0xD9, 0xE5 }, 2, "FXAM" },
        { { 0xD9, 0x26, 0x00, 0x30 }, 4, "FLDENV" },
        { { 0xDD, 0x26, 0x00, 0x30 }, 4, "FRSTOR" },
        { { 0xD9, 0xD0 }, 2, "FNOP" },
    };
    for (unsigned i = 0; i < sizeof(next) / sizeof(next[0]); i++) {
        for (unsigned pm = 0; pm < 2; pm++) {
            struct vm v;
            vm_init(&v, pm ? PM16 : RM, CR0_NE | CR0_MP);
            struct as a = as_for(&v);
            unsigned fdiv_at = setup_zero_divide(&v, &a);
            /* Integer instructions in between do not report it. */
            E(&a, 0x90, 0xB8, 0x34, 0x12); /* NOP; MOV AX,1234h */
            unsigned off = a.n;
            emit(&a, next[i].n, next[i].b);
            uint32_t at = vm_load(&v, &a);
            char what[96];
            snprintf(what, sizeof(what), "%s after an unmasked 1/0 (%s)", next[i].name, pm ? "PM16" : "real mode");
            expect_fault(&v, vm_exec(&v, at), V_MF, at + off, what);
            cr_expect((v.out.gpr[R_EAX] & 0xFFFF) == 0x1234, "%s: the MOV before did not run", what);
            /* The state is still that of the FDIV: no result, ST0 = 1. */
            struct as t = as_for(&v);
            E(&t, FNSTSW_AX);
            mem_op(&t, 0xD9, 6, OUT); /* FNSTENV */
            bus_write_block(&v.bus, cs_base(&v) + 0x1800, t.b, t.n);
            bus_write8(&v.bus, cs_base(&v) + 0x1800 + t.n, 0xF4);
            cr_expect(vm_exec(&v, 0x1800) == -1);
            cr_expect((v.out.gpr[R_EAX] & ~CC & 0xFFFF) == SW_AFTER_ZD, "%s: SW %04X, want %04X (+CC)", what,
                      v.out.gpr[R_EAX] & 0xFFFF, SW_AFTER_ZD);
            /* TOP 6: R6 = 1.0 (valid), R7 = 0.0 (zero), the rest empty. */
            cr_expect(rd16(&v, OUT + 4) == 0x4FFF, "%s: TW %04X, want 4FFF", what, rd16(&v, OUT + 4));
            /* The handler sees the FDIV as the instruction that caused it
             * (SDM vol. 1 8.1.8): FIP and FOP (D8 F1 -> 0F1h) are its. */
            cr_expect(rd16(&v, OUT + 6) == at + fdiv_at, "%s: FIP %04X, want %04X (the FDIV)", what,
                      rd16(&v, OUT + 6), at + fdiv_at);
            if (pm)
                cr_expect(rd16(&v, OUT + 8) == SEL_CODE16, "%s: FCS %04X", what, rd16(&v, OUT + 8));
            else
                cr_expect(rd16(&v, OUT + 8) == 0x00F1, "%s: FIP 19-16 / FOP word %04X, want 00F1", what,
                          rd16(&v, OUT + 8));
            vm_free(&v);
        }
    }
}

/* The faulting instruction itself completes without #MF, and its saved
 * CS:EIP is the next x87 instruction (in 32-bit protected mode as well). */
Test(fpu_exceptions, mf_protected_mode_frame)
{
    struct vm v;
    vm_init(&v, PM32, CR0_NE | CR0_MP);
    struct as a = as_for(&v);
    setup_zero_divide(&v, &a);
    unsigned off = a.n;
    E(&a, FADD_ST0_ST1);
    uint32_t at = vm_load(&v, &a);
    int vec = vm_exec(&v, at);
    expect_fault(&v, vec, V_MF, at + off, "FADD after 1/0, PM32");
    /* The 32-bit gate's frame: EIP, CS, EFLAGS. */
    uint32_t sp = v.out.gpr[R_ESP];
    cr_expect(sp == STACK - 12, "ESP %08X, want %08X (three dwords, no error code)", sp, STACK - 12);
    vm_free(&v);
}

Test(fpu_exceptions, no_wait_instructions_do_not_fault)
{
    for (unsigned pm = 0; pm < 2; pm++) {
        struct vm v;
        vm_init(&v, pm ? PM32 : RM, CR0_NE | CR0_MP);
        struct as a = as_for(&v);
        setup_zero_divide(&v, &a);
        E(&a, FNSTSW_AX);
        mem_op(&a, 0xDD, 7, OUT);        /* FNSTSW m16 */
        mem_op(&a, 0xD9, 7, OUT + 2);    /* FNSTCW */
        mem_op(&a, 0xD9, 6, OUT + 0x10); /* FNSTENV (then all exceptions masked) */
        mem_op(&a, 0xD9, 5, CW_ADDR);    /* FLDCW 037B again: unmasks ZE, so ES is pending again */
        /* FLDCW is a waiting instruction, but FNSTENV masked everything
         * ("masking all exceptions after saving the environment prevents
         * floating-point exceptions from interrupting the exception
         * handler", FSTENV page), so nothing is pending when it starts. */
        mem_op(&a, 0xDD, 6, OUT + 0x40); /* FNSAVE: stores, then initializes */
        E(&a, FNSTSW_AX);
        uint32_t at = vm_load(&v, &a);
        int vec = vm_exec(&v, at);
        cr_expect(vec == -1 && v.out.eip == at + a.n, "no-wait sequence (%s): vector %d", pm ? "PM32" : "RM", vec);
        cr_expect((rd16(&v, OUT) & ~CC) == SW_AFTER_ZD, "FNSTSW m16: %04X", rd16(&v, OUT));
        cr_expect(rd16(&v, OUT + 2) == 0x037B, "FNSTCW: %04X", rd16(&v, OUT + 2));
        uint32_t env_sw = pm ? OUT + 0x10 + 4 : OUT + 0x10 + 2;
        cr_expect((rd16(&v, env_sw) & ~CC) == SW_AFTER_ZD, "FNSTENV's SW: %04X", rd16(&v, env_sw));
        cr_expect(rd16(&v, OUT + 0x10) == 0x037B, "FNSTENV's CW: %04X", rd16(&v, OUT + 0x10));
        /* The FNSAVE image: the CW reloaded by FLDCW, the pending ZE. */
        uint32_t save_sw = pm ? OUT + 0x40 + 4 : OUT + 0x40 + 2;
        cr_expect(rd16(&v, OUT + 0x40) == 0x037B, "FNSAVE's CW: %04X", rd16(&v, OUT + 0x40));
        cr_expect((rd16(&v, save_sw) & ~CC) == SW_AFTER_ZD, "FNSAVE's SW: %04X", rd16(&v, save_sw));
        cr_expect((v.out.gpr[R_EAX] & 0xFFFF) == 0, "SW after FNSAVE: %04X, want 0", v.out.gpr[R_EAX] & 0xFFFF);
        /* After FNSAVE's initialization nothing is pending. */
        struct as t = as_for(&v);
        E(&t, FWAIT, FLD1, FNSTSW_AX);
        bus_write_block(&v.bus, cs_base(&v) + 0x1800, t.b, t.n);
        bus_write8(&v.bus, cs_base(&v) + 0x1800 + t.n, 0xF4);
        cr_expect(vm_exec(&v, 0x1800) == -1, "FWAIT after FNSAVE faulted");
        cr_expect((v.out.gpr[R_EAX] & 0xFFFF) == 0x3800, "FLD1 after FNSAVE: SW %04X", v.out.gpr[R_EAX] & 0xFFFF);
        vm_free(&v);
    }
}

/* FNSTSW AX leaves the exception pending: the FADD after it faults. */
Test(fpu_exceptions, fnstsw_keeps_it_pending)
{
    struct vm v;
    vm_init(&v, RM, CR0_NE);
    struct as a = as_for(&v);
    setup_zero_divide(&v, &a);
    E(&a, FNSTSW_AX);
    unsigned off = a.n;
    E(&a, FADD_ST0_ST1);
    uint32_t at = vm_load(&v, &a);
    expect_fault(&v, vm_exec(&v, at), V_MF, at + off, "FADD after FNSTSW AX");
    cr_expect((v.out.gpr[R_EAX] & ~CC & 0xFFFF) == SW_AFTER_ZD, "FNSTSW AX: %04X", v.out.gpr[R_EAX] & 0xFFFF);
    vm_free(&v);
}

/* FNCLEX (or FNINIT) clears it: the FADD then runs normally. */
Test(fpu_exceptions, fnclex_or_fninit_then_fadd_runs)
{
    for (unsigned init = 0; init < 2; init++) {
        struct vm v;
        vm_init(&v, RM, CR0_NE);
        struct as a = as_for(&v);
        setup_zero_divide(&v, &a);
        if (init)
            E(&a, FNINIT, FLD1);
        else
            E(&a, FNCLEX);
        E(&a, FADD_ST0_ST0, FWAIT, FNSTSW_AX);
        mem_op(&a, 0xDB, 7, OUT); /* FSTP m80 */
        uint32_t at = vm_load(&v, &a);
        int vec = vm_exec(&v, at);
        cr_expect(vec == -1 && v.out.eip == at + a.n, "%s then FADD: vector %d", init ? "FNINIT" : "FNCLEX", vec);
        /* FNCLEX: SW = TOP 6, no flags; FNINIT + FLD1: TOP 7. */
        uint32_t want = init ? 0x3800 : 0x3000;
        cr_expect((v.out.gpr[R_EAX] & ~CC & 0xFFFF) == want, "SW %04X, want %04X", v.out.gpr[R_EAX] & 0xFFFF, want);
        expect80(rd80(&v, OUT), TWO, "FADD ST0,ST0 of 1.0");
        vm_free(&v);
    }
}

/* Other unmasked exceptions: a stack underflow (IE unmasked) leaves no
 * result; a precision exception (PE unmasked) stores its rounded result;
 * both are reported at the next waiting instruction. */
Test(fpu_exceptions, mf_for_stack_fault_and_precision)
{
    /* FADD with ST0 empty, IM clear: IE | SF, C1 = 0 (underflow), ES, B. */
    struct vm v;
    vm_init(&v, RM, CR0_NE);
    wr16(&v, CW_ADDR, 0x037E);
    struct as a = as_for(&v);
    E(&a, FNINIT);
    mem_op(&a, 0xD9, 5, CW_ADDR);
    E(&a, FADD_ST0_ST1, FNSTSW_AX);
    unsigned off = a.n;
    E(&a, FWAIT);
    uint32_t at = vm_load(&v, &a);
    expect_fault(&v, vm_exec(&v, at), V_MF, at + off, "FWAIT after an unmasked stack underflow");
    cr_expect((v.out.gpr[R_EAX] & ~(C0 | C2 | C3) & 0xFFFF) == (B | ES | SF | IE),
              "FADD, ST0 empty, IM clear: SW %04X, want %04X", v.out.gpr[R_EAX] & 0xFFFF, B | ES | SF | IE);
    vm_free(&v);

    /* 1/3 with PM clear: the result 3FFD:AAAAAAAAAAAAAAAB (rounded up,
     * C1 = 1) is stored; PE, ES, B; TOP 6. */
    vm_init(&v, RM, CR0_NE);
    wr16(&v, CW_ADDR, 0x035F);
    wr16(&v, 0x2002, 3);
    a = as_for(&v);
    E(&a, FNINIT);
    mem_op(&a, 0xD9, 5, CW_ADDR);
    mem_op(&a, 0xDF, 0, 0x2002); /* FILD m16 3 */
    E(&a, FLD1, FDIV_ST0_ST1, FNSTSW_AX);
    off = a.n;
    mem_op(&a, 0xDB, 7, OUT); /* FSTP m80: faults before storing */
    at = vm_load(&v, &a);
    expect_fault(&v, vm_exec(&v, at), V_MF, at + off, "FSTP after an unmasked precision exception");
    cr_expect((v.out.gpr[R_EAX] & ~(C0 | C2 | C3) & 0xFFFF) == (B | 0x3000 | C1 | ES | PE),
              "1/3, PM clear: SW %04X, want %04X", v.out.gpr[R_EAX] & 0xFFFF, B | 0x3000 | C1 | ES | PE);
    cr_expect(rd16(&v, OUT + 8) == 0, "the FSTP m80 stored before #MF");
    struct as t = as_for(&v);
    E(&t, FNCLEX);
    mem_op(&t, 0xDB, 7, OUT);
    bus_write_block(&v.bus, cs_base(&v) + 0x1800, t.b, t.n);
    bus_write8(&v.bus, cs_base(&v) + 0x1800 + t.n, 0xF4);
    cr_expect(vm_exec(&v, 0x1800) == -1);
    expect80(rd80(&v, OUT), (struct f80){ 0xAAAAAAAAAAAAAAABull, 0x3FFD }, "1/3 stored despite unmasked PE");
    vm_free(&v);
}

/* FLDCW that unmasks an exception already flagged: ES is set, and the
 * next waiting instruction (not the FLDCW) takes #MF. */
Test(fpu_exceptions, fldcw_unmasking_a_flag_makes_it_pending)
{
    struct vm v;
    vm_init(&v, RM, CR0_NE);
    wr16(&v, CW_ADDR, 0x037B);
    struct as a = as_for(&v);
    E(&a, FNINIT, FLDZ, FLD1, FDIV_ST0_ST1); /* masked: +inf, ZE */
    E(&a, FNSTSW_AX);
    mem_op(&a, 0xD9, 5, CW_ADDR);
    mem_op(&a, 0xDD, 7, OUT); /* FNSTSW m16 */
    unsigned off = a.n;
    E(&a, FLD1);
    uint32_t at = vm_load(&v, &a);
    expect_fault(&v, vm_exec(&v, at), V_MF, at + off, "FLD1 after FLDCW unmasked ZE");
    cr_expect((v.out.gpr[R_EAX] & ~CC & 0xFFFF) == (0x3000 | ZE), "masked 1/0: SW %04X, want 3004",
              v.out.gpr[R_EAX] & 0xFFFF);
    cr_expect((rd16(&v, OUT) & ~CC) == SW_AFTER_ZD, "after FLDCW 037B: SW %04X, want %04X", rd16(&v, OUT),
              SW_AFTER_ZD);
    vm_free(&v);
}

/* FLDENV/FRSTOR of a status word with an unmasked flag: #MF at the next
 * waiting instruction; FLDENV itself does not fault. */
Test(fpu_exceptions, fldenv_pending_exception)
{
    for (unsigned rstor = 0; rstor < 2; rstor++) {
        struct vm v;
        vm_init(&v, RM, CR0_NE);
        /* 16-bit real-mode image: CW 037B (ZM clear), SW ZE|ES|B, TW all empty. */
        wr16(&v, 0x2100, 0x037B);
        wr16(&v, 0x2102, B | ES | ZE);
        wr16(&v, 0x2104, 0xFFFF);
        struct as a = as_for(&v);
        E(&a, FNINIT);
        mem_op(&a, rstor ? 0xDD : 0xD9, 4, 0x2100);
        E(&a, FNSTSW_AX);
        unsigned off = a.n;
        E(&a, FLD1);
        uint32_t at = vm_load(&v, &a);
        expect_fault(&v, vm_exec(&v, at), V_MF, at + off, rstor ? "FLD1 after FRSTOR" : "FLD1 after FLDENV");
        cr_expect((v.out.gpr[R_EAX] & 0xFFFF) == (B | ES | ZE), "SW %04X", v.out.gpr[R_EAX] & 0xFFFF);
        vm_free(&v);
    }
}

/* ====================================================================================
 * 3. FERR# with CR0.NE = 0
 * ==================================================================================== */
struct ferr_log {
    unsigned n;
    bool level[8];
};

static void ferr_cb(void *opaque, bool level)
{
    struct ferr_log *l = opaque;
    if (l->n < 8)
        l->level[l->n] = level;
    l->n++;
}

Test(fpu_exceptions, ferr_asserted_and_cleared)
{
    for (unsigned init = 0; init < 2; init++) {
        struct vm v;
        vm_init(&v, RM, CR0_MP); /* NE = 0 */
        struct ferr_log log = { 0 };
        cpu_set_ferr(v.cpu, ferr_cb, &log);
        struct as a = as_for(&v);
        setup_zero_divide(&v, &a);
        E(&a, 0xF4); /* stop: FERR# should be asserted now */
        unsigned cont = a.n;
        /* No #MF: these run (ST0 is still 1.0; ZE and ES stay set). */
        E(&a, FADD_ST0_ST0, FWAIT, FNSTSW_AX);
        mem_op(&a, 0xDD, 7, OUT); /* FNSTSW m16 */
        E(&a, 0xF4);
        unsigned clear = a.n;
        if (init)
            E(&a, FNINIT);
        else
            E(&a, FNCLEX);
        uint32_t at = vm_load(&v, &a);
        cr_expect(vm_exec(&v, at) == -1);
        cr_expect(log.n == 1 && log.level[0], "unmasked 1/0 with NE=0: %u FERR# calls, first %d (want 1, true)",
                  log.n, log.n ? log.level[0] : -1);
        int vec = vm_exec(&v, at + cont);
        cr_expect(vec == -1 && v.out.eip == at + clear, "NE=0: the next x87 instructions ran (vector %d)", vec);
        cr_expect(log.n == 1, "FERR# changed while the exception stayed pending (%u calls)", log.n);
        cr_expect((rd16(&v, OUT) & ~CC) == SW_AFTER_ZD, "SW after FADD: %04X", rd16(&v, OUT));
        cr_expect(vm_exec(&v, at + clear) == -1);
        cr_expect(log.n == 2 && !log.level[1], "%s: %u FERR# calls, last %d (want 2, false)",
                  init ? "FNINIT" : "FNCLEX", log.n, log.n >= 2 ? log.level[1] : -1);
        /* The FADD did execute: ST0 = 2.0 (after FNCLEX), checked by FSTP. */
        if (!init) {
            struct as t = as_for(&v);
            mem_op(&t, 0xDB, 7, OUT + 0x10);
            bus_write_block(&v.bus, cs_base(&v) + 0x1800, t.b, t.n);
            bus_write8(&v.bus, cs_base(&v) + 0x1800 + t.n, 0xF4);
            cr_expect(vm_exec(&v, 0x1800) == -1);
            expect80(rd80(&v, OUT + 0x10), TWO, "FADD ran with FERR# asserted");
        }
        vm_free(&v);
    }
}

/* A masked exception never asserts FERR#. */
Test(fpu_exceptions, ferr_not_for_masked)
{
    struct vm v;
    vm_init(&v, RM, 0);
    struct ferr_log log = { 0 };
    cpu_set_ferr(v.cpu, ferr_cb, &log);
    struct as a = as_for(&v);
    E(&a, FNINIT, FLDZ, FLD1, FDIV_ST0_ST1, FNSTSW_AX);
    vm_exec(&v, vm_load(&v, &a));
    cr_expect((v.out.gpr[R_EAX] & ~CC & 0xFFFF) == (0x3000 | ZE), "masked 1/0: SW %04X", v.out.gpr[R_EAX] & 0xFFFF);
    cr_expect(log.n == 0, "FERR# toggled %u times for a masked exception", log.n);
    vm_free(&v);
}

/* ====================================================================================
 * 4. Environment and state images
 * ==================================================================================== */

/* One of the four formats, run from code of either size. */
struct fmt {
    enum mode mode;
    bool o32; /* 32-bit operand size: 28/108-byte images */
    const char *name;
};
static const struct fmt fmts[] = {
    { RM, false, "real mode, 16-bit" },     { RM, true, "real mode, 32-bit (66h)" },
    { PM16, false, "PM, 16-bit" },          { PM16, true, "PM, 32-bit (66h in 16-bit code)" },
    { PM32, true, "PM, 32-bit" },           { PM32, false, "PM, 16-bit (66h in 32-bit code)" },
};
#define N_FMT (sizeof(fmts) / sizeof(fmts[0]))

/* Emits the 66h prefix when the format's operand size is not the code's. */
static void opsize(struct as *a, const struct fmt *f)
{
    if (f->o32 != (f->mode == PM32))
        E(a, 0x66);
}

/* The real-mode runs use CS = 1F00h, IP = 1000h (linear 20000h, so the
 * instruction pointer has bits 19-16) and DS = 3000h. */
static void fmt_vm(struct vm *v, const struct fmt *f)
{
    vm_init(v, f->mode, CR0_NE | CR0_MP);
    if (f->mode == RM) {
        cpu_state_real_seg(&v->st, S_CS, 0x1F00);
        cpu_state_real_seg(&v->st, S_DS, 0x3000);
    }
}

/* FIP as the image holds it: the linear address in real mode, the offset
 * in protected mode. */
static uint32_t fip_of(const struct vm *v, uint32_t eip)
{
    return v->mode == RM ? cs_base(v) + eip : eip;
}

struct env {
    uint16_t cw, sw, tw;
    uint32_t fip, fdp;
    uint16_t fcs, fds, fop;
};

/* Reads an environment image at DS:off in the format f, checking the
 * fields that the SDM fixes as zero. */
static struct env read_env(struct vm *v, const struct fmt *f, uint32_t off, const char *what)
{
    struct env e;
    memset(&e, 0, sizeof(e));
    if (!f->o32) {
        e.cw = (uint16_t)rd16(v, off);
        e.sw = (uint16_t)rd16(v, off + 2);
        e.tw = (uint16_t)rd16(v, off + 4);
        uint32_t w3 = rd16(v, off + 6), w4 = rd16(v, off + 8), w5 = rd16(v, off + 10), w6 = rd16(v, off + 12);
        if (f->mode == RM) {
            /* Figure 8-12: IP 15..0 | IP 19..16, 0, opcode 10..0 | DP 15..0 | DP 19..16, 0 x 12. */
            cr_expect(!(w4 & 0x0800), "%s: bit 11 of word 4 (%04X) must be 0", what, w4);
            cr_expect(!(w6 & 0x0FFF), "%s: bits 11-0 of word 6 (%04X) must be 0", what, w6);
            e.fip = w3 | (w4 >> 12) << 16;
            e.fop = (uint16_t)(w4 & 0x7FF);
            e.fdp = w5 | (w6 >> 12) << 16;
        } else {
            /* Figure 8-11: IP offset | IP selector | operand offset | operand selector. */
            e.fip = w3;
            e.fcs = (uint16_t)w4;
            e.fdp = w5;
            e.fds = (uint16_t)w6;
        }
    } else {
        e.cw = (uint16_t)rd32(v, off);
        e.sw = (uint16_t)rd32(v, off + 4);
        e.tw = (uint16_t)rd32(v, off + 8);
        uint32_t w3 = rd32(v, off + 12), w4 = rd32(v, off + 16), w5 = rd32(v, off + 20), w6 = rd32(v, off + 24);
        if (f->mode == RM) {
            /* Figure 8-10: IP 15..0 | 0000, IP 31..16, 0, opcode | DP 15..0 | 0000, DP 31..16, 0 x 12. */
            cr_expect(!(w4 & 0xF0000800u), "%s: reserved zero bits in dword 4 (%08X)", what, w4);
            cr_expect(!(w6 & 0xF0000FFFu), "%s: reserved zero bits in dword 6 (%08X)", what, w6);
            e.fip = (w3 & 0xFFFF) | (w4 >> 12) << 16;
            e.fop = (uint16_t)(w4 & 0x7FF);
            e.fdp = (w5 & 0xFFFF) | (w6 >> 12) << 16;
        } else {
            /* Figure 8-9: IP offset | 00000, opcode 10..0, IP selector | DP offset | DP selector. */
            cr_expect(!(w4 & 0xF8000000u), "%s: bits 31-27 of dword 4 (%08X) must be 0", what, w4);
            e.fip = w3;
            e.fcs = (uint16_t)w4;
            e.fop = (uint16_t)((w4 >> 16) & 0x7FF);
            e.fdp = w5;
            e.fds = (uint16_t)w6;
        }
    }
    return e;
}

static unsigned env_size(const struct fmt *f)
{
    return f->o32 ? 28 : 14;
}

/* Whether the format records FOP (all but the 16-bit protected-mode one). */
static bool has_fop(const struct fmt *f)
{
    return f->mode == RM || f->o32;
}

static void expect_env(struct vm *v, const struct fmt *f, const struct env *got, const struct env *want,
                       const char *what)
{
    cr_expect(got->cw == want->cw, "%s (%s): CW %04X, want %04X", what, f->name, got->cw, want->cw);
    cr_expect(got->sw == want->sw, "%s (%s): SW %04X, want %04X", what, f->name, got->sw, want->sw);
    cr_expect(got->tw == want->tw, "%s (%s): TW %04X, want %04X", what, f->name, got->tw, want->tw);
    cr_expect(got->fip == want->fip, "%s (%s): FIP %08X, want %08X", what, f->name, got->fip, want->fip);
    cr_expect(got->fdp == want->fdp, "%s (%s): FDP %08X, want %08X", what, f->name, got->fdp, want->fdp);
    if (f->mode != RM) {
        cr_expect(got->fcs == want->fcs, "%s (%s): FCS %04X, want %04X", what, f->name, got->fcs, want->fcs);
        cr_expect(got->fds == want->fds, "%s (%s): FDS %04X, want %04X", what, f->name, got->fds, want->fds);
    }
    if (has_fop(f))
        cr_expect(got->fop == want->fop, "%s (%s): FOP %03X, want %03X", what, f->name, got->fop, want->fop);
    (void)v;
}

/* Data for the layout tests, DS-relative (in 32-bit protected mode with
 * 32-bit addressing the operand is above 64 KiB). */
static uint32_t data_addr(const struct fmt *f)
{
    return f->mode == PM32 && f->o32 ? 0x12456 : 0x2456;
}
#define ENV1 0x4000u
#define SAVE1 0x4100u
#define ENV2 0x4200u

/* FNINIT; FLDCW 0B7B; FLD1; FLDZ; FLD m32 (+inf); FNSTENV; FNSAVE; FNSTENV. */
Test(fpu_exceptions, fnstenv_fnsave_layouts)
{
    for (unsigned k = 0; k < N_FMT; k++) {
        const struct fmt *f = &fmts[k];
        struct vm v;
        fmt_vm(&v, f);
        uint32_t dat = data_addr(f);
        wr16(&v, CW_ADDR, 0x0B7B); /* RC up, PC 64 bits, ZM clear */
        wr32(&v, dat, 0x7F800000u); /* +inf */
        struct as a = as_for(&v);
        E(&a, FNINIT);
        mem_op(&a, 0xD9, 5, CW_ADDR);
        E(&a, FLD1, FLDZ);
        unsigned fld_at = a.n;
        uint8_t modrm = mem_op(&a, 0xD9, 0, dat); /* FLD m32 */
        opsize(&a, f);
        mem_op(&a, 0xD9, 6, ENV1); /* FNSTENV */
        opsize(&a, f);
        mem_op(&a, 0xDD, 6, SAVE1); /* FNSAVE */
        opsize(&a, f);
        mem_op(&a, 0xD9, 6, ENV2); /* FNSTENV after the initialization */
        uint32_t at = vm_load(&v, &a);
        int vec = vm_exec(&v, at);
        cr_expect(vec == -1, "%s: vector %d", f->name, vec);

        /* R7 = 1.0 (00), R6 = 0.0 (01), R5 = +inf (10), R0-R4 empty: TW 1BFF.
         * TOP = 5; no exception flags. */
        struct env want = { .cw = 0x0B7B, .sw = 0x2800, .tw = 0x1BFF, .fip = fip_of(&v, at + fld_at),
                            .fdp = f->mode == RM ? ds_base(&v) + dat : dat, .fop = (uint16_t)(0x100 | modrm) };
        if (f->mode != RM) {
            want.fcs = v.st.seg[S_CS].sel;
            want.fds = SEL_DATA;
        }
        struct env e = read_env(&v, f, ENV1, "FNSTENV");
        expect_env(&v, f, &e, &want, "FNSTENV");
        /* FNSTENV then masked every exception: the FNSAVE image has CW 0B7F. */
        want.cw = 0x0B7F;
        e = read_env(&v, f, SAVE1, "FNSAVE");
        expect_env(&v, f, &e, &want, "FNSAVE");
        /* The registers, ST0 first, after the environment. */
        unsigned n = env_size(f);
        expect80(rd80(&v, SAVE1 + n), PINF, "FNSAVE ST0");
        expect80(rd80(&v, SAVE1 + n + 10), ZERO, "FNSAVE ST1");
        expect80(rd80(&v, SAVE1 + n + 20), ONE, "FNSAVE ST2");
        /* FNSAVE initialized the FPU: CW 037F, SW 0, TW FFFF. */
        e = read_env(&v, f, ENV2, "FNSTENV after FNSAVE");
        cr_expect(e.cw == 0x037F && e.sw == 0 && e.tw == 0xFFFF,
                  "%s: after FNSAVE CW %04X SW %04X TW %04X, want 037F 0000 FFFF", f->name, e.cw, e.sw, e.tw);
        vm_free(&v);
    }
}

/* The 16-bit real-mode image byte by byte: FIP 20234h + offset, FOP 106h. */
Test(fpu_exceptions, fnstenv_real16_exact_words)
{
    const struct fmt *f = &fmts[0];
    struct vm v;
    fmt_vm(&v, f);
    wr16(&v, CW_ADDR, 0x0B7B);
    wr32(&v, 0x2456, 0x7F800000u);
    struct as a = as_for(&v);
    E(&a, FNINIT);
    mem_op(&a, 0xD9, 5, CW_ADDR);
    E(&a, FLD1, FLDZ);
    /* Place the FLD m32 at offset 1234h: pad with NOPs. */
    while (a.n < 0x234)
        E(&a, 0x90);
    mem_op(&a, 0xD9, 0, 0x2456);
    mem_op(&a, 0xD9, 6, ENV1);
    uint32_t at = vm_load(&v, &a);
    cr_expect(vm_exec(&v, at) == -1);
    /* Linear FIP = 1F000h + 1000h + 234h = 20234h; FDP = 30000h + 2456h. */
    static const uint16_t want[7] = { 0x0B7B, 0x2800, 0x1BFF, 0x0234, 0x2106, 0x2456, 0x3000 };
    for (unsigned i = 0; i < 7; i++)
        cr_expect(rd16(&v, ENV1 + 2 * i) == want[i], "word %u (offset %u): %04X, want %04X", i, 2 * i,
                  rd16(&v, ENV1 + 2 * i), want[i]);
    vm_free(&v);
}

/* The 32-bit protected-mode image dword by dword. */
Test(fpu_exceptions, fnstenv_pm32_exact_dwords)
{
    const struct fmt *f = &fmts[4];
    struct vm v;
    fmt_vm(&v, f);
    /* A second data segment through ES, so FDS is the override's selector. */
    v.st.seg[S_ES].sel = SEL_DATA2;
    wr16(&v, CW_ADDR, 0x0B7B);
    wr32(&v, 0x12456, 0x7F800000u);
    struct as a = as_for(&v);
    E(&a, FNINIT);
    mem_op(&a, 0xD9, 5, CW_ADDR);
    E(&a, FLD1, FLDZ);
    unsigned fld_at = a.n;
    mem_op(&a, 0xD9, 0, 0x12456);
    mem_op(&a, 0xD9, 6, ENV1);
    E(&a, 0x26); /* ES: */
    mem_op(&a, 0xD9, 0, 0x12456);
    mem_op(&a, 0xD9, 6, ENV2);
    uint32_t at = vm_load(&v, &a);
    cr_expect(vm_exec(&v, at) == -1);
    cr_expect((rd32(&v, ENV1) & 0xFFFF) == 0x0B7B, "CW");
    cr_expect((rd32(&v, ENV1 + 4) & 0xFFFF) == 0x2800, "SW %08X", rd32(&v, ENV1 + 4));
    cr_expect((rd32(&v, ENV1 + 8) & 0xFFFF) == 0x1BFF, "TW %08X", rd32(&v, ENV1 + 8));
    cr_expect(rd32(&v, ENV1 + 12) == at + fld_at, "FIP %08X, want %08X", rd32(&v, ENV1 + 12), at + fld_at);
    cr_expect(rd32(&v, ENV1 + 16) == (0x105u << 16 | SEL_CODE32), "FOP:FCS %08X, want %08X", rd32(&v, ENV1 + 16),
              0x105u << 16 | SEL_CODE32);
    cr_expect(rd32(&v, ENV1 + 20) == 0x12456, "FDP %08X", rd32(&v, ENV1 + 20));
    cr_expect((rd32(&v, ENV1 + 24) & 0xFFFF) == SEL_DATA, "FDS %08X", rd32(&v, ENV1 + 24));
    /* The ES: load: TOP 4, R4 special too; FDS = ES's selector. */
    cr_expect((rd32(&v, ENV2 + 4) & 0xFFFF) == 0x2000, "SW %08X", rd32(&v, ENV2 + 4));
    cr_expect((rd32(&v, ENV2 + 8) & 0xFFFF) == 0x1AFF, "TW %08X", rd32(&v, ENV2 + 8));
    cr_expect(rd32(&v, ENV2 + 20) == 0x12456, "FDP %08X", rd32(&v, ENV2 + 20));
    cr_expect((rd32(&v, ENV2 + 24) & 0xFFFF) == SEL_DATA2, "FDS with ES: %08X", rd32(&v, ENV2 + 24));
    vm_free(&v);
}

/* Tags of each class, and a register-form instruction's FOP. */
Test(fpu_exceptions, tag_word_classes_and_register_fop)
{
    struct vm v;
    vm_init(&v, RM, CR0_NE);
    /* A denormal and a QNaN as m80 values. */
    wr80(&v, 0x2100, (struct f80){ 0x0000000000000001ull, 0x0000 });
    wr80(&v, 0x2110, (struct f80){ 0xC000000000001234ull, 0x7FFF });
    struct as a = as_for(&v);
    E(&a, FNINIT);
    mem_op(&a, 0xDB, 5, 0x2100); /* FLD m80 denormal -> R7 */
    mem_op(&a, 0xDB, 5, 0x2110); /* FLD m80 QNaN -> R6 */
    E(&a, FLD1, FLDZ);           /* R5 = 1.0, R4 = 0.0 */
    E(&a, FNSTSW_AX);
    unsigned fxch_at = a.n;
    E(&a, 0xD9, 0xCA); /* FXCH ST2: R4 <-> R6 */
    mem_op(&a, 0xD9, 6, ENV1);
    uint32_t at = vm_load(&v, &a);
    cr_expect(vm_exec(&v, at) == -1);
    cr_expect((v.out.gpr[R_EAX] & 0xFFFF) == 0x2000, "SW %04X", v.out.gpr[R_EAX] & 0xFFFF);
    /* R7 denormal 10, R6 zero 01, R5 valid 00, R4 NaN 10, R0-R3 empty. */
    uint32_t tw = rd16(&v, ENV1 + 4);
    cr_expect(tw == (0x00FF | 2u << 8 | 0u << 10 | 1u << 12 | 2u << 14), "TW %04X, want %04X", tw,
              0x00FF | 2u << 8 | 0u << 10 | 1u << 12 | 2u << 14);
    /* FOP of D9 CA: 1CAh; FIP: linear. */
    cr_expect((rd16(&v, ENV1 + 8) & 0x7FF) == 0x1CA, "FOP %03X, want 1CA", rd16(&v, ENV1 + 8) & 0x7FF);
    cr_expect(rd16(&v, ENV1 + 6) == at + fxch_at, "FIP %04X", rd16(&v, ENV1 + 6));
    vm_free(&v);
}

/* The undocumented aliases record their own opcode in FOP (the low three
 * bits of the first byte and the ModRM byte, SDM vol. 1 8.1.8), not that
 * of the instruction they behave like. */
Test(fpu_exceptions, alias_forms_record_their_own_fop)
{
    static const uint8_t forms[][2] = {
        { 0xD9, 0xD9 }, /* FSTP1 ST1 */
        { 0xDD, 0xC9 }, /* FXCH4 ST1 */
        { 0xDF, 0xC9 }, /* FXCH7 ST1 */
        { 0xDF, 0xD1 }, /* FSTP8 ST1 */
        { 0xDF, 0xD9 }, /* FSTP9 ST1 */
    };
    for (size_t k = 0; k < sizeof(forms) / sizeof(forms[0]); k++) {
        struct vm v;
        vm_init(&v, RM, CR0_NE);
        struct as a = as_for(&v);
        E(&a, FNINIT, FLD1, FLDZ);
        E(&a, forms[k][0], forms[k][1]);
        mem_op(&a, 0xD9, 6, ENV1); /* FNSTENV */
        uint32_t at = vm_load(&v, &a);
        cr_expect(vm_exec(&v, at) == -1);
        unsigned want = (forms[k][0] & 7u) << 8 | forms[k][1];
        cr_expect((rd16(&v, ENV1 + 8) & 0x7FF) == want, "%02X %02X: FOP %03X, want %03X", forms[k][0],
                  forms[k][1], rd16(&v, ENV1 + 8) & 0x7FF, want);
        vm_free(&v);
    }
}

/* FRSTOR of a hand-built image: the registers (ST0 first), TOP, the CW
 * and SW exactly, the tags recomputed from the contents except where the
 * image says 11 (SDM vol. 1 8.1.7), and FIP/FDP/FOP as in the image. */
Test(fpu_exceptions, frstor_hand_built_image)
{
    /* TOP 3: ST0 = R3 ... ST7 = R2. */
    const struct f80 den = { 0x0000000000000001ull, 0x0000 };
    const struct f80 pi = { 0xC90FDAA22168C235ull, 0x4000 };
    const struct f80 qnan = { 0xC000000000005678ull, 0xFFFF };
    const struct f80 regs[8] = { ONE, ZERO, PINF, den, pi, qnan, TWO, TWO };
    /* Image tags deliberately wrong for the non-empty registers:
     * R0 00 R1 11 R2 11 R3 01 R4 00 R5 00 R6 01 R7 10. */
    const uint16_t tw_in = 0x0000 | 3u << 2 | 3u << 4 | 1u << 6 | 0u << 8 | 0u << 10 | 1u << 12 | 2u << 14;
    /* Recomputed: R0 (NaN) 10, R1 R2 11, R3 (1.0) 00, R4 (0) 01, R5 (inf) 10,
     * R6 (denormal) 10, R7 (pi) 00. */
    const uint16_t tw_out = 2u | 3u << 2 | 3u << 4 | 0u << 6 | 1u << 8 | 2u << 10 | 2u << 12 | 0u << 14;
    for (unsigned k = 0; k < N_FMT; k++) {
        const struct fmt *f = &fmts[k];
        struct vm v;
        fmt_vm(&v, f);
        struct env img = { .cw = 0x0E7F, .sw = 0x5F00, .tw = tw_in }; /* C3 C2 C1 C0, TOP 3 */
        uint32_t base = 0x2200, n = env_size(f);
        if (f->mode == RM) {
            img.fip = f->o32 ? 0x01235678 : 0xA5678;
            img.fdp = f->o32 ? 0x0479ABCD : 0x79ABC;
            img.fop = 0x5AB;
        } else {
            img.fip = f->o32 ? 0x12345678 : 0x5678;
            img.fcs = 0x0010;
            img.fdp = f->o32 ? 0x9ABCDEF0 : 0xDEF0;
            img.fds = 0x0018;
            img.fop = f->o32 ? 0x5AB : 0;
        }
        /* Write the environment in the format's layout. */
        if (!f->o32) {
            wr16(&v, base, img.cw);
            wr16(&v, base + 2, img.sw);
            wr16(&v, base + 4, img.tw);
            wr16(&v, base + 6, img.fip & 0xFFFF);
            wr16(&v, base + 10, img.fdp & 0xFFFF);
            if (f->mode == RM) {
                wr16(&v, base + 8, (img.fip >> 16) << 12 | img.fop);
                wr16(&v, base + 12, (img.fdp >> 16) << 12);
            } else {
                wr16(&v, base + 8, img.fcs);
                wr16(&v, base + 12, img.fds);
            }
        } else {
            wr32(&v, base, img.cw);
            wr32(&v, base + 4, img.sw);
            wr32(&v, base + 8, img.tw);
            if (f->mode == RM) {
                wr32(&v, base + 12, img.fip & 0xFFFF);
                wr32(&v, base + 16, (img.fip >> 16) << 12 | img.fop);
                wr32(&v, base + 20, img.fdp & 0xFFFF);
                wr32(&v, base + 24, (img.fdp >> 16) << 12);
            } else {
                wr32(&v, base + 12, img.fip);
                wr32(&v, base + 16, (uint32_t)img.fop << 16 | img.fcs);
                wr32(&v, base + 20, img.fdp);
                wr32(&v, base + 24, img.fds);
            }
        }
        for (unsigned i = 0; i < 8; i++)
            wr80(&v, base + n + 10 * i, regs[i]);
        struct as a = as_for(&v);
        E(&a, FNINIT);
        opsize(&a, f);
        mem_op(&a, 0xDD, 4, base); /* FRSTOR */
        opsize(&a, f);
        mem_op(&a, 0xD9, 6, ENV1); /* FNSTENV */
        for (unsigned i = 0; i < 7; i++)
            mem_op(&a, 0xDB, 7, OUT + 10 * i); /* FSTP m80 */
        E(&a, FNSTSW_AX);
        uint32_t at = vm_load(&v, &a);
        int vec = vm_exec(&v, at);
        cr_expect(vec == -1, "%s: vector %d", f->name, vec);
        struct env want = img;
        want.tw = tw_out;
        struct env e = read_env(&v, f, ENV1, "FNSTENV after FRSTOR");
        expect_env(&v, f, &e, &want, "FNSTENV after FRSTOR");
        /* ST0-ST5 as restored; ST6 (R1) is empty: the masked underflow
         * stores the indefinite. */
        static const char *names[7] = { "ST0", "ST1", "ST2", "ST3", "ST4", "ST5", "ST6 (tagged empty)" };
        for (unsigned i = 0; i < 7; i++) {
            char what[64];
            snprintf(what, sizeof(what), "%s: FSTP of restored %s", f->name, names[i]);
            expect80(rd80(&v, OUT + 10 * i), i < 6 ? regs[i] : INDEF, what);
        }
        /* TOP 3 + 7 = 2; IE and SF from the underflow, C1 = 0. */
        uint32_t sw = v.out.gpr[R_EAX] & 0xFFFF;
        cr_expect((sw & ~(C0 | C2 | C3)) == (0x1000 | SF | IE), "%s: SW %04X after the FSTPs, want %04X (+C0 C2 C3)",
                  f->name, sw, 0x1000 | SF | IE);
        vm_free(&v);
    }
}

/* FRSTOR puts image register i in ST(i), whatever TOP is. */
Test(fpu_exceptions, frstor_register_order_follows_top)
{
    for (unsigned top = 0; top < 8; top++) {
        struct vm v;
        vm_init(&v, RM, CR0_NE);
        wr16(&v, 0x2200, 0x037F);
        wr16(&v, 0x2202, (uint16_t)(top << 11));
        wr16(&v, 0x2204, 0x0000);
        for (unsigned i = 0; i < 8; i++)
            wr80(&v, 0x2200 + 14 + 10 * i, (struct f80){ 0x8000000000000000ull | i, (uint16_t)(0x3FFF + i) });
        struct as a = as_for(&v);
        mem_op(&a, 0xDD, 4, 0x2200);
        mem_op(&a, 0xDD, 6, 0x2400); /* FNSAVE */
        uint32_t at = vm_load(&v, &a);
        cr_expect(vm_exec(&v, at) == -1);
        cr_expect((rd16(&v, 0x2402) & 0x3800) == top << 11, "TOP %u: SW %04X", top, rd16(&v, 0x2402));
        cr_expect(rd16(&v, 0x2404) == 0x0000, "TOP %u: TW %04X, want 0 (all valid)", top, rd16(&v, 0x2404));
        for (unsigned i = 0; i < 8; i++) {
            char what[48];
            snprintf(what, sizeof(what), "TOP %u: ST%u", top, i);
            expect80(rd80(&v, 0x2400 + 14 + 10 * i), (struct f80){ 0x8000000000000000ull | i, (uint16_t)(0x3FFF + i) },
                     what);
        }
        vm_free(&v);
    }
}

/* FLDENV: registers whose tag is 11 in the image become empty; the others
 * keep their contents, with tags recomputed. */
Test(fpu_exceptions, fldenv_tag_word_empties_registers)
{
    for (unsigned k = 0; k < N_FMT; k++) {
        const struct fmt *f = &fmts[k];
        struct vm v;
        fmt_vm(&v, f);
        /* R0-R5 empty (R5 held 1.0), R6 said valid (holds 0.0), R7 said special (holds 1.0). */
        uint16_t tw_in = 0x0FFF | 0u << 12 | 2u << 14;
        uint32_t base = 0x2300;
        if (f->o32) {
            wr32(&v, base, 0x037F);
            wr32(&v, base + 4, 0x2800);
            wr32(&v, base + 8, tw_in);
        } else {
            wr16(&v, base, 0x037F);
            wr16(&v, base + 2, 0x2800);
            wr16(&v, base + 4, tw_in);
        }
        struct as a = as_for(&v);
        E(&a, FNINIT, FLD1, FLDZ, FLD1); /* R7 1.0, R6 0.0, R5 1.0, TOP 5 */
        opsize(&a, f);
        mem_op(&a, 0xD9, 4, base); /* FLDENV */
        opsize(&a, f);
        mem_op(&a, 0xD9, 6, ENV1); /* FNSTENV */
        E(&a, 0xD9, 0xE5, FNSTSW_AX); /* FXAM */
        for (unsigned i = 0; i < 3; i++)
            mem_op(&a, 0xDB, 7, OUT + 10 * i);
        uint32_t at = vm_load(&v, &a);
        cr_expect(vm_exec(&v, at) == -1, "%s", f->name);
        struct env e = read_env(&v, f, ENV1, "FNSTENV after FLDENV");
        cr_expect(e.tw == (0x0FFF | 1u << 12), "%s: TW %04X, want %04X", f->name, e.tw, 0x0FFF | 1u << 12);
        cr_expect(e.sw == 0x2800, "%s: SW %04X", f->name, e.sw);
        /* FXAM of an empty ST0: C3 = 1, C2 = 0, C0 = 1. */
        uint32_t sw = v.out.gpr[R_EAX] & 0xFFFF;
        cr_expect((sw & (C3 | C2 | C0)) == (C3 | C0), "%s: FXAM SW %04X, want empty (C3 C0)", f->name, sw);
        expect80(rd80(&v, OUT), INDEF, "FSTP of the emptied ST0");
        expect80(rd80(&v, OUT + 10), ZERO, "FSTP ST1 (R6) kept");
        expect80(rd80(&v, OUT + 20), ONE, "FSTP ST2 (R7) kept");
        vm_free(&v);
    }
}

/* The control word FRSTOR loads takes effect: its rounding control
 * (toward zero) rounds the next division. */
Test(fpu_exceptions, frstor_control_word_takes_effect)
{
    struct vm v;
    vm_init(&v, RM, CR0_NE);
    /* CW: RC toward zero (0C00), PC 64 bits, all masked. SW TOP 0, all empty. */
    wr16(&v, 0x2200, 0x0F7F);
    wr16(&v, 0x2202, 0x0000);
    wr16(&v, 0x2204, 0xFFFF);
    wr16(&v, 0x2002, 3);
    struct as a = as_for(&v);
    mem_op(&a, 0xDD, 4, 0x2200);
    mem_op(&a, 0xDF, 0, 0x2002); /* FILD 3 */
    E(&a, FLD1, FDIV_ST0_ST1);
    mem_op(&a, 0xDB, 7, OUT);
    uint32_t at = vm_load(&v, &a);
    cr_expect(vm_exec(&v, at) == -1);
    /* 1/3 truncated: 3FFD:AAAAAAAAAAAAAAAA. */
    expect80(rd80(&v, OUT), (struct f80){ 0xAAAAAAAAAAAAAAAAull, 0x3FFD }, "1/3 toward zero after FRSTOR");
    vm_free(&v);
}
