/* Behaviours of particular chips that hardware-captured tests and the SDM
 * pin down, checked in real mode on a bare CPU and bus: AAM 0's flags,
 * the 286's POP m16 and PUSHA near the top of the stack segment, and the
 * blocking of NMIs from an NMI's delivery to the next IRET.
 *
 * Each test starts the CPU at 0000:1000 with its stack at 0000:8000 and
 * an IVT whose vector v points at a HLT at 0000:0400+v (so the exception
 * taken is where the CPU stops and its frame is on the stack). */
#include <string.h>

#include "tests/unit/host_oracle.h"

#define CODE PK_CODE
#define HANDLERS PK_HANDLERS
#define STACK PK_STACK

/* Places code at CODE (followed by a HLT) and loads the rig's base state. */
static void rig_code(struct pk *r, const uint8_t *code, unsigned n)
{
    pk_code(r, code, n);
    cpu_set_state(r->cpu, &r->base);
}

/* Steps until the CPU halts (at most limit instructions); returns CS:IP's
 * linear address there. */
static uint32_t run_to_hlt(struct pk *r, unsigned limit)
{
    struct cpu_state st;
    for (unsigned i = 0; i < limit; i++) {
        enum cpu_exit why = cpu_step(r->cpu);
        cpu_get_state(r->cpu, &st);
        if (why == CPU_EXIT_HALT || st.halted)
            return st.seg[S_CS].base + st.eip - 1;
        cr_assert((why) == (CPU_EXIT_BUDGET), "cpu_step: exit %d", why);
    }
    cr_assert(false, "no HLT within %u instructions", limit);
    return 0;
}

static uint32_t reg(struct pk *r, int i)
{
    struct cpu_state st;
    cpu_get_state(r->cpu, &st);
    return st.gpr[i];
}

static uint32_t flags(struct pk *r)
{
    struct cpu_state st;
    cpu_get_state(r->cpu, &st);
    return st.eflags;
}

#define SZP (F_SF | F_ZF | F_PF)

/* ---- AAM 0 -------------------------------------------------------------- */

/* AAM 0 on model m with AL = al and all arithmetic flags set on entry:
 * returns the flags at the #DE handler, which must have been reached with
 * AX unchanged. */
static uint32_t aam0(enum cpu_model m, uint8_t al)
{
    struct pk r;
    pk_init(&r, m);
    r.base.gpr[R_EAX] = 0x1200u | al;
    r.base.eflags = 0x2 | ARITH;
    rig_code(&r, (const uint8_t[]){ 0xD4, 0x00 }, 2);
    uint32_t at = run_to_hlt(&r, 4);
    cr_expect((at) == (HANDLERS + 0), "AAM 0 on %s: stopped at %05X, not the #DE handler", cpu_model_name(m), at);
    cr_expect((reg(&r, R_EAX) & 0xFFFF) == (0x1200u | al), "AAM 0 changed AX");
    uint32_t f = flags(&r);
    /* The frame's FLAGS image holds the same arithmetic flags. */
    uint32_t pushed = bus_read(&r.bus, STACK - 2, 2);
    cr_expect((pushed & ARITH) == (f & ARITH), "pushed FLAGS %04X, handler FLAGS %04X", pushed, f);
    pk_free(&r);
    return f & ARITH;
}

Test(cpu_quirks, aam_zero_8086_sets_the_flags_of_a_zero_result)
{
    static const uint8_t als[] = { 0x00, 0x85, 0x7F, 0xFF, 0x03 };
    for (unsigned k = 0; k < sizeof(als); k++)
        cr_expect((aam0(CPU_8086, als[k])) == (F_ZF | F_PF), "8086 AAM 0, AL=%02X", als[k]);
}

Test(cpu_quirks, aam_zero_286_sets_sf_zf_pf_from_al)
{
    /* OF, AF and CF are cleared, SF/ZF/PF follow AL (unchanged). */
    cr_expect((aam0(CPU_286, 0x00)) == (F_ZF | F_PF));
    cr_expect((aam0(CPU_286, 0x85)) == (F_SF));          /* three bits set: odd parity */
    cr_expect((aam0(CPU_286, 0x03)) == (F_PF));
    cr_expect((aam0(CPU_286, 0xFF)) == (F_SF | F_PF));
}

Test(cpu_quirks, aam_zero_386_and_later_leave_the_flags)
{
    static const enum cpu_model ms[] = { CPU_386, CPU_486, CPU_PENTIUM, CPU_P6 };
    for (unsigned k = 0; k < 4; k++)
        cr_expect((aam0(ms[k], 0x85)) == (ARITH), "%s", cpu_model_name(ms[k]));
}

/* ---- POP m16 whose write faults ------------------------------------------ */

/* POP word [bx] with BX=FFFFh: the word write crosses DS's limit (#GP).
 * Returns SP at the handler (the frame is 6 bytes below the SP the fault
 * saw). */
static uint32_t pop_m16_at_ffff(enum cpu_model m)
{
    struct pk r;
    pk_init(&r, m);
    r.base.gpr[R_EBX] = 0xFFFF;
    bus_write(&r.bus, STACK, 0xBEEF, 2);
    rig_code(&r, (const uint8_t[]){ 0x8F, 0x07 }, 2);
    uint32_t at = run_to_hlt(&r, 4);
    cr_expect((at) == (HANDLERS + 13), "%s: POP [FFFF] stopped at %05X, not #GP", cpu_model_name(m), at);
    cr_expect((bus_read(&r.bus, 0xFFFF, 1)) == (0), "%s: a byte was written", cpu_model_name(m));
    uint32_t sp = reg(&r, R_ESP) & 0xFFFF;
    cr_expect((bus_read(&r.bus, sp, 2)) == (CODE), "%s: the frame's IP is not the POP's", cpu_model_name(m));
    pk_free(&r);
    return sp;
}

Test(cpu_quirks, pop_m16_286_has_moved_sp_when_the_write_faults)
{
    cr_expect((pop_m16_at_ffff(CPU_286)) == (STACK + 2 - 6));
}

Test(cpu_quirks, pop_m16_386_restores_sp_for_the_restart)
{
    cr_expect((pop_m16_at_ffff(CPU_386)) == (STACK - 6));
    cr_expect((pop_m16_at_ffff(CPU_P6)) == (STACK - 6));
}

/* ---- PUSHA that would reach offset FFFFh ---------------------------------- */

Test(cpu_quirks, pusha_with_a_wrapping_odd_sp_writes_nothing)
{
    static const enum cpu_model ms[] = { CPU_286, CPU_386, CPU_P6 };
    for (unsigned k = 0; k < 3; k++) {
        struct pk r;
        pk_init(&r, ms[k]);
        cpu_state_real_seg(&r.base, S_SS, 0x1000); /* the stack at 10000h, away from the IVT */
        r.base.gpr[R_ESP] = 0x000F;                /* pushes at 0D 0B ... 01, then FFFF */
        for (unsigned a = 0; a < 0x10; a++)
            bus_write8(&r.bus, 0x10000 + a, 0xA5);
        bus_write8(&r.bus, 0x1FFFF, 0xA5);
        rig_code(&r, (const uint8_t[]){ 0x60 }, 1);
        uint32_t at = run_to_hlt(&r, 4);
        cr_expect(at == HANDLERS + 13 || at == HANDLERS + 12, "%s: PUSHA stopped at %05X", cpu_model_name(ms[k]), at);
        /* The exception's frame goes at 09-0E; nothing of PUSHA's anywhere. */
        for (unsigned a = 1; a < 9; a++)
            cr_expect((bus_read8(&r.bus, 0x10000 + a)) == (0xA5), "%s: byte %02X written by PUSHA",
                      cpu_model_name(ms[k]), a);
        cr_expect((bus_read8(&r.bus, 0x1FFFF)) == (0xA5), "%s: byte FFFF written", cpu_model_name(ms[k]));
        cr_expect((reg(&r, R_ESP) & 0xFFFF) == (0x0009), "%s: SP %04X", cpu_model_name(ms[k]),
                  reg(&r, R_ESP) & 0xFFFF);
        pk_free(&r);
    }
}

/* The 80286 manual, PUSHA in real mode: "The 80286 will shut down if SP =
 * 1, 3, or 5 before executing PUSHA" (the #GP's own frame reaches FFFFh). */
Test(cpu_quirks, pusha_with_sp_1_3_or_5_shuts_the_286_down)
{
    static const uint32_t sps[] = { 1, 3, 5 };
    for (unsigned k = 0; k < 3; k++) {
        struct pk r;
        pk_init(&r, CPU_286);
        cpu_state_real_seg(&r.base, S_SS, 0x1000);
        r.base.gpr[R_ESP] = sps[k];
        rig_code(&r, (const uint8_t[]){ 0x60 }, 1);
        enum cpu_exit why = cpu_step(r.cpu);
        cr_expect(why == CPU_EXIT_SHUTDOWN, "SP=%u: exit %d, not a shutdown", sps[k], why);
        pk_free(&r);
    }
}

/* ---- NMI blocking ---------------------------------------------------------- */

/* The NMI handler at 0000:2000: three NOPs, then IRET. */
#define NMI_HANDLER 0x2000u

/* Delivers an NMI, raises a second one inside the handler, and reports
 * whether the second was taken before the handler's IRET (nested). */
static bool nmi_nests(enum cpu_model m)
{
    struct pk r;
    pk_init(&r, m);
    bus_write(&r.bus, 4 * 2, NMI_HANDLER, 2);
    bus_write_block(&r.bus, NMI_HANDLER, (const uint8_t[]){ 0x90, 0x90, 0x90, 0xCF }, 4);
    /* The interrupted program: NOPs. */
    uint8_t nops[16];
    memset(nops, 0x90, sizeof(nops));
    rig_code(&r, nops, sizeof(nops));
    struct cpu_state st;
    cpu_set_nmi(r.cpu);
    cr_assert((cpu_step(r.cpu)) == (CPU_EXIT_BUDGET));
    cpu_get_state(r.cpu, &st);
    uint32_t sp_in = st.gpr[R_ESP] & 0xFFFF;
    cr_assert((st.eip) == (NMI_HANDLER + 1), "%s: the first NMI was not taken (IP %04X)", cpu_model_name(m), st.eip);
    cr_assert((sp_in) == (STACK - 6));
    cpu_set_nmi(r.cpu);
    bool nested = false;
    for (unsigned i = 0; i < 3; i++) {
        cr_assert((cpu_step(r.cpu)) == (CPU_EXIT_BUDGET));
        cpu_get_state(r.cpu, &st);
        if ((st.gpr[R_ESP] & 0xFFFF) < sp_in)
            nested = true;
    }
    if (!nested) {
        /* The third step ran the IRET, and the latched NMI was taken at the
         * boundary after it, from the interrupted program's state. */
        cpu_get_state(r.cpu, &st);
        cr_expect((st.eip) == (NMI_HANDLER), "%s: the latched NMI was not taken after IRET (IP %04X)",
                  cpu_model_name(m), st.eip);
        cr_expect((st.gpr[R_ESP] & 0xFFFF) == (STACK - 6), "%s: SP %04X", cpu_model_name(m),
                  st.gpr[R_ESP] & 0xFFFF);
        cr_expect((bus_read(&r.bus, STACK - 6, 2)) == (CODE), "%s: the second frame's IP", cpu_model_name(m));
    }
    pk_free(&r);
    return nested;
}

Test(cpu_quirks, nmi_is_blocked_from_its_delivery_to_the_next_iret)
{
    static const enum cpu_model ms[] = { CPU_286, CPU_386, CPU_486, CPU_PENTIUM, CPU_P6 };
    for (unsigned k = 0; k < 5; k++)
        cr_expect(!(nmi_nests(ms[k])), "%s: an NMI was delivered inside the NMI handler", cpu_model_name(ms[k]));
}

Test(cpu_quirks, nmi_nests_on_the_8086)
{
    cr_expect(nmi_nests(CPU_8086), "8086: a second NMI waited for IRET");
}
