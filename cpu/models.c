/* The CPU models and what distinguishes them (FORMAT.md of the
 * SingleStepTests, SDM vol. 3 ch. 22 "Architecture compatibility", and the
 * chips' datasheets).  Each model is one real chip. */
#include <string.h>

#include "cpu/interp.h"

/* CPUID.1:EDX feature bits. */
#define CPUID_FPU (1u << 0)
#define CPUID_VME (1u << 1)
#define CPUID_DE (1u << 2)
#define CPUID_PSE (1u << 3)
#define CPUID_TSC (1u << 4)
#define CPUID_MSR (1u << 5)
#define CPUID_PAE (1u << 6)
#define CPUID_MCE (1u << 7)
#define CPUID_CX8 (1u << 8)
#define CPUID_APIC (1u << 9)
#define CPUID_MTRR (1u << 12)
#define CPUID_PGE (1u << 13)
#define CPUID_MCA (1u << 14)
#define CPUID_CMOV (1u << 15)

/* What Popek implements; CPUID never claims more than this, even where the
 * chip had it.  (The local APIC is a device of the machine: a CPU used
 * without one, as in the unit tests, still reports the bit.) */
#define POPEK_IMPLEMENTED (CPUID_FPU | CPUID_VME | CPUID_DE | CPUID_PSE | CPUID_TSC | CPUID_MSR | CPUID_PAE | CPUID_APIC | \
                           CPUID_MCE | CPUID_CX8 | CPUID_MTRR | CPUID_PGE | CPUID_MCA | CPUID_CMOV)

#define P54C_FEATURES (CPUID_FPU | CPUID_VME | CPUID_DE | CPUID_PSE | CPUID_TSC | CPUID_MSR | \
                       CPUID_MCE | CPUID_CX8)
#define PPRO_FEATURES (P54C_FEATURES | CPUID_PAE | CPUID_APIC | CPUID_MTRR | CPUID_PGE | \
                       CPUID_MCA | CPUID_CMOV)

const struct cpu_model_info cpu_models[CPU_NMODELS] = {
    [CPU_8086] = {
        .name = "8086", .model = CPU_8086, .addr_mask = 0xFFFFF, .max_insn_len = 0,
        .shift_mask = 0xFF, .push_sp_old = false, .div_fault_next = true,
        .flags_fixed1 = 0xF002, .flags_mask = 0x0FD5,
    },
    [CPU_286] = {
        .name = "286", .model = CPU_286, .addr_mask = 0xFFFFFF, .max_insn_len = 10,
        .shift_mask = 0x1F, .push_sp_old = true, .flags_fixed1 = 0x0002, .flags_mask = 0x0FD5,
        .cpuid_sig = 0x0000,
    },
    [CPU_386] = {
        .name = "386", .model = CPU_386, .addr_mask = 0xFFFFFFFF, .max_insn_len = 15,
        .shift_mask = 0x1F, .push_sp_old = true, .flags_fixed1 = 0x0002, .flags_mask = 0x00037FD5,
        .cpuid_sig = 0x0308,
    },
    [CPU_486] = {
        .name = "486", .model = CPU_486, .addr_mask = 0xFFFFFFFF, .max_insn_len = 15,
        .shift_mask = 0x1F, .push_sp_old = true, .flags_fixed1 = 0x0002, .flags_mask = 0x00077FD5,
        .cpuid_sig = 0x0412,
    },
    [CPU_PENTIUM] = {
        .name = "pentium", .model = CPU_PENTIUM, .addr_mask = 0xFFFFFFFF, .max_insn_len = 15,
        .shift_mask = 0x1F, .push_sp_old = true, .flags_fixed1 = 0x0002, .flags_mask = 0x003F7FD5,
        .has_cpuid = true, .cpuid_sig = 0x052C, .cpuid_edx = P54C_FEATURES & POPEK_IMPLEMENTED,
    },
    [CPU_P6] = {
        .name = "p6", .model = CPU_P6, .addr_mask = 0xFFFFFFFF, .max_insn_len = 15,
        .shift_mask = 0x1F, .push_sp_old = true, .flags_fixed1 = 0x0002, .flags_mask = 0x003F7FD5,
        .has_cpuid = true, .cpuid_sig = 0x0619, .cpuid_edx = PPRO_FEATURES & POPEK_IMPLEMENTED,
    },
};

const uint8_t cpu_parity_table[256] = {
#define P2(n) n, n ^ 1, n ^ 1, n
#define P4(n) P2(n), P2(n ^ 1), P2(n ^ 1), P2(n)
#define P6(n) P4(n), P4(n ^ 1), P4(n ^ 1), P4(n)
    P6(1), P6(0), P6(0), P6(1)
#undef P2
#undef P4
#undef P6
};

const char *cpu_model_name(enum cpu_model m)
{
    return (unsigned)m < CPU_NMODELS ? cpu_models[m].name : "?";
}

int cpu_parse_model(const char *name, enum cpu_model *out)
{
    static const struct { const char *alias; enum cpu_model m; } aliases[] = {
        { "8088", CPU_8086 }, { "80286", CPU_286 }, { "i386", CPU_386 }, { "80386", CPU_386 },
        { "i486", CPU_486 }, { "80486", CPU_486 }, { "p5", CPU_PENTIUM }, { "pentiumpro", CPU_P6 },
        { "pentium-pro", CPU_P6 }, { "ppro", CPU_P6 },
    };
    for (unsigned i = 0; i < CPU_NMODELS; i++) {
        if (strcmp(name, cpu_models[i].name) == 0) {
            *out = (enum cpu_model)i;
            return 0;
        }
    }
    for (unsigned i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++) {
        if (strcmp(name, aliases[i].alias) == 0) {
            *out = aliases[i].m;
            return 0;
        }
    }
    return -1;
}
