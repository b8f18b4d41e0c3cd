/* CPUID, EFLAGS.ID/AC and RDTSC per CPU model, run as guest code. */
#include "tests/unit/host_oracle.h"

TestSuite(cpu_cpuid, .timeout = 30.0);

/* Runs code from 0000:1000 until HLT (at most budget instructions);
 * returns the final state. */
static struct cpu_state run_code(struct pk *m, const uint8_t *b, unsigned n, const uint32_t *gpr)
{
    pk_code(m, b, n);
    struct cpu_state st = m->base;
    if (gpr)
        for (int r = 0; r < 8; r++)
            if (r != R_ESP)
                st.gpr[r] = gpr[r];
    cpu_set_state(m->cpu, &st);
    uint64_t ran = 0;
    enum cpu_exit why = cpu_run(m->cpu, 1000, &ran);
    cpu_get_state(m->cpu, &st);
    cr_expect(why == CPU_EXIT_HALT, "code did not reach its HLT (exit %d after %llu instructions)", (int)why,
              (unsigned long long)ran);
    return st;
}

static bool at_handler(const struct cpu_state *st, unsigned vec)
{
    return st->seg[S_CS].sel == 0 && st->eip == PK_HANDLERS + vec;
}

Test(cpu_cpuid, vendor_and_signature)
{
    static const struct {
        enum cpu_model model;
        uint32_t sig;
        unsigned family, modelno;
    } want[] = { { CPU_PENTIUM, 0x052C, 5, 2 }, { CPU_P6, 0x0619, 6, 1 } };
    for (unsigned i = 0; i < 2; i++) {
        struct pk m;
        pk_init(&m, want[i].model);
        const uint8_t cpuid[] = { 0x0F, 0xA2 };
        uint32_t g[8] = { 0 };
        struct cpu_state st = run_code(&m, cpuid, 2, g);
        char vendor[13];
        /* The string's bytes are each register's, low byte first. */
        const uint32_t parts[3] = { st.gpr[R_EBX], st.gpr[R_EDX], st.gpr[R_ECX] };
        for (unsigned k = 0; k < 12; k++)
            vendor[k] = (char)(parts[k / 4] >> (8 * (k % 4)));
        vendor[12] = 0;
        cr_expect(strcmp(vendor, "GenuineIntel") == 0, "%s: vendor \"%s\"", cpu_model_name(want[i].model), vendor);
        cr_expect(st.gpr[R_EAX] >= 1, "%s: max leaf %u", cpu_model_name(want[i].model), st.gpr[R_EAX]);
        g[R_EAX] = 1;
        st = run_code(&m, cpuid, 2, g);
        uint32_t a = st.gpr[R_EAX];
        cr_expect(a == want[i].sig, "%s: leaf 1 EAX %08X, want %08X", cpu_model_name(want[i].model), a,
                  want[i].sig);
        cr_expect(((a >> 8) & 0xF) == want[i].family && ((a >> 4) & 0xF) == want[i].modelno,
                  "%s: family %u model %u", cpu_model_name(want[i].model), (a >> 8) & 0xF, (a >> 4) & 0xF);
        bool cmov = st.gpr[R_EDX] & (1u << 15);
        cr_expect(cmov == (want[i].model == CPU_P6), "%s: CPUID.1:EDX.CMOV=%d", cpu_model_name(want[i].model), cmov);
        cr_expect(st.gpr[R_EDX] & (1u << 4), "%s: CPUID.1:EDX.TSC must be set", cpu_model_name(want[i].model));
        pk_free(&m);
    }
}

Test(cpu_cpuid, absent_before_pentium)
{
    for (enum cpu_model model = CPU_286; model <= CPU_486; model++) {
        struct pk m;
        pk_init(&m, model);
        pk_code(&m, (const uint8_t[]){ 0x0F, 0xA2 }, 2);
        struct cpu_state st = m.base;
        cpu_set_state(m.cpu, &st);
        cpu_step(m.cpu);
        cpu_get_state(m.cpu, &st);
        cr_expect(at_handler(&st, 6), "%s: CPUID must raise #UD; CS:IP is %04X:%04X", cpu_model_name(model),
                  st.seg[S_CS].sel, st.eip);
        cr_expect(bus_read(&m.bus, PK_STACK - 6, 2) == PK_CODE, "%s: #UD must push the CPUID's own IP",
                  cpu_model_name(model));
        pk_free(&m);
    }
}

/* Toggles EFLAGS bit `bit` with PUSHFD/POPFD and reports whether it changed. */
static bool eflags_bit_toggles(enum cpu_model model, uint32_t bit)
{
    struct pk m;
    pk_init(&m, model);
    uint8_t code[] = {
        0x66, 0x9C,                   /* pushfd */
        0x66, 0x58,                   /* pop eax */
        0x66, 0x89, 0xC3,             /* mov ebx, eax */
        0x66, 0x35, (uint8_t)bit, (uint8_t)(bit >> 8), (uint8_t)(bit >> 16), (uint8_t)(bit >> 24), /* xor eax, bit */
        0x66, 0x50,                   /* push eax */
        0x66, 0x9D,                   /* popfd */
        0x66, 0x9C,                   /* pushfd */
        0x66, 0x58,                   /* pop eax */
        0xF4,
    };
    struct cpu_state st = run_code(&m, code, sizeof(code), NULL);
    pk_free(&m);
    return ((st.gpr[R_EAX] ^ st.gpr[R_EBX]) & bit) != 0;
}

Test(cpu_cpuid, eflags_id_and_ac)
{
    for (enum cpu_model model = CPU_386; model <= CPU_P6; model++) {
        bool id = eflags_bit_toggles(model, F_ID);
        cr_expect(id == (model >= CPU_PENTIUM), "%s: EFLAGS.ID %s", cpu_model_name(model),
                  id ? "toggles but must not" : "must toggle");
        bool ac = eflags_bit_toggles(model, F_AC);
        cr_expect(ac == (model >= CPU_486), "%s: EFLAGS.AC %s", cpu_model_name(model),
                  ac ? "toggles but must not" : "must toggle");
    }
}

Test(cpu_cpuid, rdtsc_monotonic)
{
    for (enum cpu_model model = CPU_PENTIUM; model <= CPU_P6; model++) {
        struct pk m;
        pk_init(&m, model);
        pk_code(&m, (const uint8_t[]){ 0x0F, 0x31 }, 2);
        uint64_t prev = 0;
        for (unsigned i = 0; i < 100; i++) {
            struct cpu_state st = m.base;
            cpu_set_state(m.cpu, &st);
            cpu_step(m.cpu);
            cpu_get_state(m.cpu, &st);
            cr_assert(st.eip == PK_CODE + 2, "%s: RDTSC did not complete", cpu_model_name(model));
            uint64_t t = ((uint64_t)st.gpr[R_EDX] << 32) | st.gpr[R_EAX];
            cr_expect(i == 0 || t > prev, "%s: RDTSC went from %llu to %llu", cpu_model_name(model),
                      (unsigned long long)prev, (unsigned long long)t);
            prev = t;
        }
        /* within one run, too */
        const uint8_t code[] = { 0x0F, 0x31, 0x66, 0x89, 0xC3, 0x66, 0x89, 0xD1, 0x90, 0x0F, 0x31, 0xF4 };
        struct cpu_state st = run_code(&m, code, sizeof(code), NULL);
        uint64_t t0 = ((uint64_t)st.gpr[R_ECX] << 32) | st.gpr[R_EBX];
        uint64_t t1 = ((uint64_t)st.gpr[R_EDX] << 32) | st.gpr[R_EAX];
        cr_expect(t1 > t0, "%s: RDTSC not increasing in a run: %llu then %llu", cpu_model_name(model),
                  (unsigned long long)t0, (unsigned long long)t1);
        pk_free(&m);
    }
    struct pk m;
    pk_init(&m, CPU_486);
    pk_code(&m, (const uint8_t[]){ 0x0F, 0x31 }, 2);
    struct regs r = { { 0 }, 0 };
    cr_expect(pk_run(&m, &r) == 6, "486: RDTSC must raise #UD");
    pk_free(&m);
}
