/* Random guests at scale: millions of short random programs, each on a
 * machine put back to its power-on checkpoint, in real, protected, paged
 * and virtual-8086 mode, on every CPU model that has the mode (the VGA on
 * the Pentium and P6 machines).  A program
 * is random bytes mixed with instructions that reach the system: port I/O
 * to the PC's devices, MMIO to the APICs and the VGA, control registers,
 * descriptor tables, MSRs, task switches, interrupts, string moves.  Each
 * runs for a bounded number of instructions; whatever it does, the run
 * must end in one of the machine's documented ways.  A crash, a sanitizer
 * report (on the sanitizer build), a program that runs longer than its
 * wall-clock limit, or memory that keeps growing fails the run.  Seeds are
 * fixed: `guests --seed N --count 1 -v` replays program N.
 *
 * usage: guests [--count N] [--seed N] [--insns N] [--rss-mb N] [-v] */
#define _GNU_SOURCE
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "machine/machine.h"
#include "machine/savestate.h"

#define RAM (2u << 20)
#define CODE 0x10000u   /* the program */
#define CODE_LEN 0x4000u
#define GDT 0x1000u
#define IDT 0x2000u
#define TSS 0x3000u
#define PD 0x4000u
#define PT 0x5000u
#define STACK 0x9000u

enum mode { REAL, PROT, PAGED, V86, NMODES };
static const char *const mode_names[NMODES] = { "real", "protected", "paged", "v86" };

static uint64_t rng;
static uint32_t rnd(void)
{
    /* xorshift64*: seeded per program, so program N is the same anywhere. */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return (uint32_t)((rng * 0x2545F4914F6CDD1Dull) >> 32);
}

static uint32_t pick(const uint32_t *v, unsigned n)
{
    return v[rnd() % n];
}

/* Ports and MMIO addresses the devices answer at. */
static const uint32_t ports[] = { 0x20, 0x21, 0xA0, 0xA1, 0x40, 0x41, 0x42, 0x43, 0x61, 0x60, 0x64, 0x70, 0x71,
                                  0x92, 0x3F8, 0x3F9, 0x3FA, 0x3FB, 0x3FC, 0x3FD, 0x2F8, 0x3C0, 0x3C4, 0x3C5,
                                  0x3CE, 0x3CF, 0x3D4, 0x3D5, 0x3DA, 0x1CE, 0x1CF, 0xCF8, 0xCFC, 0xCF9, 0x510,
                                  0x511, 0x514, 0x518, 0x1F0, 0x1F2, 0x1F6, 0x1F7, 0x3F6, 0x170, 0x3F2, 0x3F4,
                                  0x3F5, 0x00, 0x08, 0x0A, 0x0B, 0x81, 0xC0, 0xD4, 0xD6, 0x4D0, 0x4D1, 0xB000,
                                  0xB004, 0xB008, 0xB2, 0xE9, 0xF4, 0x80 };
static const uint32_t mmio[] = { 0xFEE00020, 0xFEE000B0, 0xFEE000F0, 0xFEE00300, 0xFEE00320, 0xFEE00380,
                                 0xFEE003E0, 0xFEC00000, 0xFEC00010, 0xA0000, 0xB8000, 0xFD000000, 0xFFFFFFF0,
                                 0xFEBFFFFE, 0x9FFFE };
static const uint32_t msrs[] = { 0x10, 0x1B, 0x174, 0x175, 0x176, 0x2FF, 0x250, 0xC0000080, 0x8B, 0x17, 0x3A };

struct prog {
    uint8_t *p;
    unsigned n, cap;
};

static void emit(struct prog *g, const uint8_t *b, unsigned n)
{
    for (unsigned i = 0; i < n && g->n < g->cap; i++)
        g->p[g->n++] = b[i];
}

static void emit32(struct prog *g, uint32_t v)
{
    const uint8_t b[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    emit(g, b, 4);
}

/* One instruction that reaches the system, or random bytes. */
static void one(struct prog *g, bool o32)
{
    uint32_t r = rnd() % 24;
    uint8_t b[16];
    switch (r) {
    case 0: case 1: { /* mov dx, port ; out/in dx with al/ax/eax */
        uint32_t port = pick(ports, sizeof(ports) / 4) + (rnd() % 8 == 0 ? rnd() % 4 : 0);
        b[0] = 0xBA, b[1] = (uint8_t)port, b[2] = (uint8_t)(port >> 8);
        emit(g, b, 3);
        if (o32)
            emit(g, (const uint8_t[]){ 0x00, 0x00 }, 2);
        b[0] = (uint8_t)(0xEC + rnd() % 4);
        emit(g, b, 1);
        break;
    }
    case 2: { /* mov al/eax, imm ; out imm8 */
        uint32_t port = pick(ports, sizeof(ports) / 4);
        b[0] = 0xB0, b[1] = (uint8_t)rnd();
        emit(g, b, 2);
        if (port < 0x100) {
            b[0] = (uint8_t)(0xE4 + rnd() % 4), b[1] = (uint8_t)port;
            emit(g, b, 2);
        }
        break;
    }
    case 3: { /* mov eax, imm32 ; mov [moffs32], eax / mov eax, [moffs32] with an address size prefix */
        b[0] = 0xB8;
        emit(g, b, 1);
        emit32(g, rnd());
        b[0] = 0x67, b[1] = 0x66, b[2] = (uint8_t)(rnd() & 1 ? 0xA3 : 0xA1);
        emit(g, o32 ? b + 2 : b, o32 ? 1 : 3);
        emit32(g, pick(mmio, sizeof(mmio) / 4));
        break;
    }
    case 4: /* mov crN, eax / mov eax, crN */
        b[0] = 0xB8;
        emit(g, b, 1);
        emit32(g, rnd() & 0xE005003F);
        b[0] = 0x0F, b[1] = (uint8_t)(rnd() & 1 ? 0x22 : 0x20), b[2] = (uint8_t)(0xC0 | (rnd() % 5) << 3);
        emit(g, b, 3);
        break;
    case 5: /* lgdt/lidt/sgdt/sidt/lmsw/invlpg [abs] */
        b[0] = 0x0F, b[1] = 0x01, b[2] = (uint8_t)(0x06 | (rnd() % 8) << 3);
        emit(g, b, 3);
        b[0] = (uint8_t)rnd(), b[1] = (uint8_t)(rnd() % 0x20);
        emit(g, b, 2);
        break;
    case 6: /* ltr/lldt/verr/verw/str/sldt with a random selector */
        b[0] = 0x66, b[1] = 0xB8, b[2] = (uint8_t)(rnd() % 0x40), b[3] = 0;
        emit(g, o32 ? b : b + 1, o32 ? 4 : 3);
        b[0] = 0x0F, b[1] = 0x00, b[2] = (uint8_t)(0xC0 | (rnd() % 6) << 3);
        emit(g, b, 3);
        break;
    case 7: /* int n / int3 / into / iret / retf */
        b[0] = 0xCD, b[1] = (uint8_t)rnd();
        emit(g, b, rnd() % 3 ? 2 : 0);
        b[0] = (uint8_t)pick((const uint32_t[]){ 0xCC, 0xCE, 0xCF, 0xCB, 0xCA, 0xF4, 0xFA, 0xFB, 0x9D }, 9);
        emit(g, b, 1);
        break;
    case 8: /* far jmp/call to a random selector, e.g. the TSS (a task switch) */
        b[0] = (uint8_t)(rnd() & 1 ? 0xEA : 0x9A);
        emit(g, b, 1);
        if (o32)
            emit32(g, CODE + rnd() % CODE_LEN);
        else
            emit(g, (const uint8_t[]){ (uint8_t)rnd(), (uint8_t)rnd() }, 2);
        b[0] = (uint8_t)pick((const uint32_t[]){ 0x08, 0x18, 0x20, 0x2B, 0x38, 0x40 }, 6), b[1] = 0;
        if (rnd() % 4 == 0)
            b[0] = (uint8_t)rnd(), b[1] = (uint8_t)(rnd() % 2);
        emit(g, b, 2);
        break;
    case 9: /* wrmsr/rdmsr with ECX from the list */
        b[0] = 0xB9;
        emit(g, b, 1);
        if (o32)
            emit32(g, pick(msrs, sizeof(msrs) / 4));
        else
            emit(g, (const uint8_t[]){ 0x1B, 0x00 }, 2);
        b[0] = 0x0F, b[1] = (uint8_t)(rnd() & 1 ? 0x30 : 0x32);
        emit(g, b, 2);
        break;
    case 10: /* rep movs/stos/ins/outs with a random count */
        b[0] = 0xB9, b[1] = (uint8_t)rnd(), b[2] = (uint8_t)(rnd() % 4);
        emit(g, b, 3);
        if (o32)
            emit(g, (const uint8_t[]){ 0x00, 0x00 }, 2);
        b[0] = 0xF3, b[1] = (uint8_t)pick((const uint32_t[]){ 0xA4, 0xA5, 0xAA, 0xAB, 0x6C, 0x6D, 0x6E, 0x6F, 0xA6 }, 9);
        emit(g, b, 2);
        break;
    case 11: /* mov segment register, ax */
        b[0] = 0xB8, b[1] = (uint8_t)pick((const uint32_t[]){ 0x10, 0x33, 0x20, 0x18, 0x00, 0x2B }, 6), b[2] = 0;
        emit(g, b, 3);
        if (o32)
            emit(g, (const uint8_t[]){ 0x00, 0x00 }, 2);
        b[0] = 0x8E, b[1] = (uint8_t)(0xC0 | (rnd() % 6) << 3);
        emit(g, b, 2);
        break;
    case 12: /* cpuid, rdtsc, pushf/popf pairs, clts, wbinvd, ud2 */
        b[0] = 0x0F, b[1] = (uint8_t)pick((const uint32_t[]){ 0xA2, 0x31, 0x06, 0x09, 0x0B, 0x08 }, 6);
        emit(g, b, 2);
        break;
    case 13: /* x87 */
        b[0] = (uint8_t)(0xD8 + rnd() % 8), b[1] = (uint8_t)(0xC0 | rnd());
        emit(g, b, 2);
        break;
    case 14: /* a jump back a little: loops */
        b[0] = 0xE2, b[1] = (uint8_t)(0xF0 | rnd());
        emit(g, b, 2);
        break;
    default: /* noise */
        for (unsigned k = rnd() % 8 + 1; k--;) {
            b[0] = (uint8_t)rnd();
            emit(g, b, 1);
        }
        break;
    }
}

static void gen_code(struct machine *m, bool o32)
{
    struct prog g = { m->bus.ram + CODE, 0, CODE_LEN };
    while (g.n < g.cap - 32)
        one(&g, o32);
}

static void desc(struct machine *m, unsigned idx, uint32_t base, uint32_t limit, uint8_t access, uint8_t flags)
{
    uint8_t *d = m->bus.ram + GDT + 8 * idx;
    d[0] = (uint8_t)limit, d[1] = (uint8_t)(limit >> 8), d[2] = (uint8_t)base, d[3] = (uint8_t)(base >> 8);
    d[4] = (uint8_t)(base >> 16), d[5] = access, d[6] = (uint8_t)((flags << 4) | ((limit >> 16) & 0xF));
    d[7] = (uint8_t)(base >> 24);
}

static void put32(struct machine *m, uint32_t a, uint32_t v)
{
    for (unsigned b = 0; b < 4; b++)
        m->bus.ram[a + b] = (uint8_t)(v >> (8 * b));
}

/* Tables for the protected modes: a GDT with sane and random descriptors, an
 * IDT whose gates mostly lead into the program, a TSS, page tables. */
static void gen_tables(struct machine *m, enum mode mode)
{
    desc(m, 1, 0, 0xFFFFF, 0x9A, 0xC);        /* 08 code32 */
    desc(m, 2, 0, 0xFFFFF, 0x92, 0xC);        /* 10 data32 */
    desc(m, 3, TSS, 0x2067, 0x89, 0x0);       /* 18 32-bit TSS with an I/O bitmap */
    desc(m, 4, 0, 0xFFFF, 0x9A, 0x0);         /* 20 code16 */
    desc(m, 5, 0, 0xFFFFF, 0xFA, 0xC);        /* 28 ring-3 code */
    desc(m, 6, 0, 0xFFFFF, 0xF2, 0xC);        /* 30 ring-3 data */
    for (unsigned i = 7; i < 16; i++)
        desc(m, i, rnd() % 2 ? 0 : rnd(), rnd() & 0xFFFFF, (uint8_t)rnd(), (uint8_t)(rnd() & 0xF));
    for (unsigned v = 0; v < 256; v++) {
        uint8_t *d = m->bus.ram + IDT + 8 * v;
        if (rnd() % 8 == 0) {
            for (unsigned k = 0; k < 8; k++)
                d[k] = (uint8_t)rnd();
            continue;
        }
        uint32_t off = CODE + rnd() % CODE_LEN;
        static const uint8_t types[] = { 0x8E, 0x8F, 0xEE, 0xEF, 0x85, 0x86 };
        uint16_t sel = types[v % 6] == 0x85 ? 0x18 : 0x08;
        d[0] = (uint8_t)off, d[1] = (uint8_t)(off >> 8), d[2] = (uint8_t)sel, d[3] = 0, d[4] = 0;
        d[5] = types[rnd() % 6], d[6] = (uint8_t)(off >> 16), d[7] = (uint8_t)(off >> 24);
    }
    put32(m, TSS + 4, STACK);   /* ESP0 */
    put32(m, TSS + 8, 0x10);    /* SS0 */
    put32(m, TSS + 0x4C, 0x08); /* CS for a task switch into it */
    put32(m, TSS + 0x20, CODE); /* EIP */
    m->bus.ram[TSS + 0x66] = 0x68;
    for (unsigned k = 0; k < 0x2000; k++)
        m->bus.ram[TSS + 0x68 + k] = (uint8_t)(rnd() % 4 ? 0 : rnd());
    if (mode == PAGED || (mode == V86 && rnd() % 2)) {
        put32(m, PD, PT | 0x07);
        for (unsigned i = 0; i < 1024; i++) {
            uint32_t pte = (i << 12) | 0x07;
            if (rnd() % 16 == 0)
                pte = (rnd() & 0xFFFFF000u) | (rnd() & 0xFFF); /* anywhere, any flags */
            put32(m, PT + 4 * i, pte);
        }
        put32(m, PD + 4 * 0x3FB, 0xFEC00000u | 0x87); /* the APICs, a 4 MiB page */
        put32(m, PD + 4 * 0x3F4, 0xFD000000u | 0x87); /* the VGA's LFB */
        for (unsigned i = 1; i < 1024; i++)
            if (i != 0x3FB && i != 0x3F4 && rnd() % 64 == 0)
                put32(m, PD + 4 * i, rnd());
    }
}

static void start(struct machine *m, enum mode mode)
{
    struct cpu_state st;
    cpu_get_state(m->cpu, &st);
    for (unsigned r = 0; r < 8; r++)
        st.gpr[r] = rnd() % 2 ? rnd() : rnd() % 0x100;
    st.gpr[4] = STACK - 0x100;
    st.eflags = 0x2 | (rnd() & 0x0CD5);
    if (mode == REAL) {
        for (unsigned v = 0; v < 256; v++)
            put32(m, 4 * v, (CODE >> 4) << 16 | (rnd() % CODE_LEN));
        for (int s = 0; s < S_NSEG; s++)
            st.seg[s] = (struct cpu_seg){ (uint16_t)(s == S_CS ? CODE >> 4 : 0), s == S_CS ? CODE : 0, 0xFFFF,
                                          (uint16_t)(s == S_CS ? 0x9B : 0x93) };
        st.eip = 0;
        st.gpr[4] &= 0xFFFF;
        cpu_set_state(m->cpu, &st);
        return;
    }
    gen_tables(m, mode);
    st.gdtr.base = GDT, st.gdtr.limit = 16 * 8 - 1;
    st.idtr.base = IDT, st.idtr.limit = 256 * 8 - 1;
    st.tr = (struct cpu_seg){ 0x18, TSS, 0x2067, 0x8B };
    st.cr0 |= 1;
    if (mode == PAGED || (mode == V86 && m->bus.ram[PD] != 0)) {
        st.cr0 |= 0x80000000u;
        st.cr3 = PD;
        st.cr4 = rnd() & 0x1F;
    }
    if (mode == V86) {
        st.eflags |= 0x20000 | (rnd() & 0x3000);
        for (int s = 0; s < S_NSEG; s++)
            st.seg[s] = (struct cpu_seg){ (uint16_t)(s == S_CS ? CODE >> 4 : 0), s == S_CS ? CODE : 0, 0xFFFF,
                                          0xF3 };
        st.eip = 0;
        st.gpr[4] &= 0xFFFF;
    } else {
        bool user = rnd() % 4 == 0;
        for (int s = 0; s < S_NSEG; s++)
            st.seg[s] = s == S_CS ? (struct cpu_seg){ user ? 0x2B : 0x08, 0, 0xFFFFFFFF, user ? 0xC0FB : 0xC09B }
                                  : (struct cpu_seg){ user ? 0x33 : 0x10, 0, 0xFFFFFFFF, user ? 0xC0F3 : 0xC093 };
        st.eip = CODE;
    }
    cpu_set_state(m->cpu, &st);
}

static void on_alarm(int sig)
{
    (void)sig;
    static const char msg[] = "guests: a program ran past its wall-clock limit (a hang)\n";
    (void)!write(2, msg, sizeof(msg) - 1);
    _exit(3);
}

static long rss_kb(void)
{
    FILE *f = fopen("/proc/self/statm", "r");
    long pages = 0, rss = 0;
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return rss * (sysconf(_SC_PAGESIZE) / 1024);
}

int main(int argc, char **argv)
{
    uint64_t count = 1000, seed = 0, insns = 20000;
    long rss_limit_mb = 1024;
    bool verbose = false;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--count") && i + 1 < argc)
            count = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--seed") && i + 1 < argc)
            seed = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--insns") && i + 1 < argc)
            insns = strtoull(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "--rss-mb") && i + 1 < argc)
            rss_limit_mb = strtol(argv[++i], NULL, 0);
        else if (!strcmp(argv[i], "-v"))
            verbose = true;
        else {
            fprintf(stderr, "usage: guests [--count N] [--seed N] [--insns N] [--rss-mb N] [-v]\n");
            return 2;
        }
    }
    static const enum cpu_model models[] = { CPU_8086, CPU_286, CPU_386, CPU_486, CPU_PENTIUM, CPU_P6 };
    enum { NMODELS = sizeof(models) / sizeof(models[0]) };
    struct machine *ms[NMODELS];
    uint8_t *power_on[NMODELS];
    size_t power_on_len[NMODELS];
    FILE *null_out = fopen("/dev/null", "w");
    if (!null_out)
        return 2;
    for (unsigned k = 0; k < NMODELS; k++) {
        struct machine_config cfg;
        machine_config_default(&cfg);
        cfg.model = models[k];
        cfg.ram_size = RAM;
        cfg.rtc_fixed = true;
        /* The VGA (16 MiB to put back per program) on the two models
         * whose programs most often reach it through paging and MMIO. */
        cfg.no_vga = models[k] != CPU_P6 && models[k] != CPU_PENTIUM;
        cfg.debugcon = null_out;
        ms[k] = calloc(1, sizeof(*ms[k]));
        if (!ms[k] || machine_init(ms[k], &cfg) < 0 ||
            machine_checkpoint_save(ms[k], &power_on[k], &power_on_len[k]) < 0) {
            fprintf(stderr, "guests: cannot build the %s machine\n", cpu_model_name(models[k]));
            return 2;
        }
    }
    signal(SIGALRM, on_alarm);
    uint64_t endings[8][NMODES] = { { 0 } };
    static const char *const ending_names[8] = { "budget", "halt", "shutdown", "error", "stop", "debug", "reset",
                                                 "?" };
    long rss_first = 0, rss_peak = 0;
    for (uint64_t i = 0; i < count; i++) {
        uint64_t id = seed + i;
        rng = (id + 1) * 0x9E3779B97F4A7C15ull;
        (void)rnd();
        unsigned k = rnd() % NMODELS;
        enum mode mode = (enum mode)(rnd() % NMODES);
        if (models[k] == CPU_8086 || (models[k] == CPU_286 && mode != REAL))
            mode = models[k] == CPU_286 && rnd() % 2 ? PROT : REAL; /* the 286 has no paging or V86 */
        struct machine *m = ms[k];
        char err[256];
        if (machine_loadvm_checkpoint(m, power_on[k], power_on_len[k], err, sizeof(err)) < 0) {
            fprintf(stderr, "guests: the power-on checkpoint does not load: %s\n", err);
            return 2;
        }
        gen_code(m, mode == PROT || mode == PAGED);
        start(m, mode);
        alarm(10);
        m->run_until = cpu_instructions(m->cpu) + insns;
        m->stop = false;
        enum cpu_exit why = machine_run(m, NULL);
        alarm(0);
        unsigned e = why <= CPU_EXIT_DEBUG ? (unsigned)why : 7;
        if (m->rebooted)
            e = 6;
        m->rebooted = false;
        m->run_until = UINT64_MAX;
        endings[e][mode]++;
        if (verbose)
            printf("program %llu: %s, %s mode: %s after %llu instructions\n", (unsigned long long)id,
                   cpu_model_name(models[k]), mode_names[mode], ending_names[e],
                   (unsigned long long)cpu_instructions(m->cpu));
        if ((i & 1023) == 1023 || i + 1 == count) {
            long rss = rss_kb();
            if (!rss_first && i >= 4095)
                rss_first = rss;
            if (rss > rss_peak)
                rss_peak = rss;
            if (rss / 1024 > rss_limit_mb) {
                fprintf(stderr, "guests: %ld MiB resident after %llu programs, over the %ld MiB limit\n",
                        rss / 1024, (unsigned long long)(i + 1), rss_limit_mb);
                return 1;
            }
        }
    }
    printf("guests: %llu programs (seeds %llu-%llu), at most %llu instructions each; endings:\n",
           (unsigned long long)count, (unsigned long long)seed, (unsigned long long)(seed + count - 1),
           (unsigned long long)insns);
    for (unsigned e = 0; e < 8; e++) {
        uint64_t t = 0;
        for (unsigned md = 0; md < NMODES; md++)
            t += endings[e][md];
        if (!t)
            continue;
        printf("  %-9s %9llu  (real %llu, protected %llu, paged %llu, v86 %llu)\n", ending_names[e],
               (unsigned long long)t, (unsigned long long)endings[e][REAL], (unsigned long long)endings[e][PROT],
               (unsigned long long)endings[e][PAGED], (unsigned long long)endings[e][V86]);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("guests: peak resident %ld MiB; resident after 4096 programs %ld MiB, at the end %ld MiB\n",
           ru.ru_maxrss / 1024, rss_first / 1024, rss_peak / 1024);
    for (unsigned k = 0; k < NMODELS; k++) {
        machine_free(ms[k]);
        free(ms[k]);
        free(power_on[k]);
    }
    fclose(null_out);
    return 0;
}
