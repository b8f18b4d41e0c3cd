/* Shared by the tests/unit/test_cpu_*.c files: a Popek machine set up for
 * running single instructions in real mode, and the host CPU as an oracle.
 *
 * The host runner generates a small function in an executable page below
 * 4 GiB: it loads EAX..EDI (not ESP) and the arithmetic flags from a
 * struct, executes the instruction bytes under test, and stores registers
 * and flags back.  The same instruction bytes run on both sides except for
 * the operand-size prefix: Popek runs in real mode (16-bit default), the
 * host in 64-bit mode (32-bit default), so enc_v() toggles 66h.
 *
 * Instructions that do not exist in 64-bit mode (DAA DAS AAA AAS AAM AAD)
 * run through host_run32(), which far-calls the Linux 32-bit user code
 * segment (selector 23h) and executes the same bytes in compatibility mode.
 * host_oracle_init32() probes that this works (in a child process) before
 * the tests rely on it.
 *
 * Only x86-64 Linux hosts are supported; elsewhere HOST_ORACLE is 0 and
 * the tests that need the host skip themselves. */
#ifndef POPEK_TESTS_UNIT_HOST_ORACLE_H
#define POPEK_TESTS_UNIT_HOST_ORACLE_H

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
#define HOST_ORACLE 1
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#else
#define HOST_ORACLE 0
#endif

#define ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

/* Registers in encoding order (index 4, ESP, is neither loaded nor
 * compared) and the six arithmetic flags. */
struct regs {
    uint32_t r[8];
    uint32_t flags;
};

/* ---- a tiny deterministic PRNG (xorshift64*) --------------------------- */
static inline uint32_t rnd32(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return (uint32_t)((x * 0x2545F4914F6CDD1Dull) >> 32);
}

/* Values at the edges of 8-, 16- and 32-bit arithmetic. */
static const uint32_t edge_values[] = {
    0, 1, 2, 0x7F, 0x80, 0x81, 0xFE, 0xFF, 0x100, 0x7FFF, 0x8000, 0x8001, 0xFFFE, 0xFFFF,
    0x10000, 0x7FFFFFFF, 0x80000000, 0x80000001, 0xFFFFFFFE, 0xFFFFFFFF, 0x55555555, 0xAAAAAAAA,
};
#define N_EDGE (sizeof(edge_values) / sizeof(edge_values[0]))

/* An instruction as each side encodes it. */
struct enc {
    uint8_t pk[16], host[16];
    unsigned npk, nhost;
};

/* bytes for an 8-bit or size-independent instruction: the same on both sides. */
static inline struct enc enc_b(const uint8_t *b, unsigned n)
{
    struct enc e;
    memcpy(e.pk, b, n);
    memcpy(e.host, b, n);
    e.npk = e.nhost = n;
    return e;
}

/* bytes for an instruction of operand size bits (16 or 32): Popek (real
 * mode) needs 66h for 32 bits, the host (64-bit mode) for 16 bits. */
static inline struct enc enc_v(unsigned bits, const uint8_t *b, unsigned n)
{
    struct enc e;
    uint8_t *with = bits == 32 ? e.pk : e.host, *without = bits == 32 ? e.host : e.pk;
    with[0] = 0x66;
    memcpy(with + 1, b, n);
    memcpy(without, b, n);
    if (bits == 32)
        e.npk = n + 1, e.nhost = n;
    else
        e.npk = n, e.nhost = n + 1;
    return e;
}

static inline struct enc enc_sz(unsigned bits, const uint8_t *b, unsigned n)
{
    return bits == 8 ? enc_b(b, n) : enc_v(bits, b, n);
}

static inline void hex_bytes(char *out, size_t outsz, const uint8_t *b, unsigned n)
{
    size_t pos = 0;
    out[0] = 0;
    for (unsigned i = 0; i < n && pos + 4 < outsz; i++)
        pos += (size_t)snprintf(out + pos, outsz - pos, "%s%02X", i ? " " : "", b[i]);
}

/* ---- the Popek side ------------------------------------------------------ */
#define PK_CODE 0x1000u    /* code at 0000:1000 */
#define PK_HANDLERS 0x400u /* IVT vector v points at 0000:(0400+v), a HLT */
#define PK_STACK 0x8000u

struct pk {
    struct bus bus;
    struct cpu *cpu;
    struct cpu_state base;
    uint8_t code[64];
    unsigned ncode;
};

static inline void pk_init(struct pk *m, enum cpu_model model)
{
    cr_assert(bus_init(&m->bus, 1u << 20) == 0, "bus_init failed");
    m->cpu = cpu_create(model, &m->bus);
    cr_assert(m->cpu != NULL, "cpu_create failed");
    for (unsigned v = 0; v < 256; v++) {
        bus_write(&m->bus, v * 4, PK_HANDLERS + v, 2);
        bus_write(&m->bus, v * 4 + 2, 0, 2);
        bus_write8(&m->bus, PK_HANDLERS + v, 0xF4);
    }
    cpu_get_state(m->cpu, &m->base);
    for (int s = 0; s < S_NSEG; s++)
        cpu_state_real_seg(&m->base, s, 0);
    m->base.eip = PK_CODE;
    m->base.gpr[R_ESP] = PK_STACK;
    m->base.eflags = 0x2;
    m->base.halted = false;
    m->ncode = 0;
}

static inline void pk_free(struct pk *m)
{
    cpu_destroy(m->cpu);
    bus_free(&m->bus);
}

/* Puts code at PK_CODE (through the bus, so that the CPU's decoded
 * instructions there are dropped) followed by a HLT. */
static inline void pk_code(struct pk *m, const uint8_t *b, unsigned n)
{
    cr_assert(n < sizeof(m->code), "pk_code: %u bytes of code is too long", n);
    if (n == m->ncode && memcmp(b, m->code, n) == 0)
        return;
    for (unsigned i = 0; i < n; i++)
        if (i >= m->ncode || m->code[i] != b[i])
            bus_write8(&m->bus, PK_CODE + i, b[i]);
    if (n != m->ncode)
        bus_write8(&m->bus, PK_CODE + n, 0xF4);
    memcpy(m->code, b, n);
    m->ncode = n;
}

/* Runs the instruction at PK_CODE once with the registers and arithmetic
 * flags of io; io receives the outcome.  Returns the exception vector the
 * instruction raised, or -1; -2 if it neither completed nor faulted
 * (CS:IP elsewhere), -3 if cpu_step failed. */
static inline int pk_run(struct pk *m, struct regs *io)
{
    struct cpu_state st = m->base;
    for (int r = 0; r < 8; r++)
        if (r != R_ESP)
            st.gpr[r] = io->r[r];
    st.eflags = 0x2 | (io->flags & ARITH);
    cpu_set_state(m->cpu, &st);
    enum cpu_exit why = cpu_step(m->cpu);
    cpu_get_state(m->cpu, &st);
    for (int r = 0; r < 8; r++)
        if (r != R_ESP)
            io->r[r] = st.gpr[r];
    io->flags = st.eflags;
    if (why != CPU_EXIT_BUDGET && why != CPU_EXIT_HALT)
        return -3;
    if (st.seg[S_CS].sel == 0 && st.eip >= PK_HANDLERS && st.eip < PK_HANDLERS + 256)
        return (int)(st.eip - PK_HANDLERS);
    if (st.seg[S_CS].sel == 0 && st.eip == PK_CODE + m->ncode)
        return -1;
    return -2;
}

/* ---- the host side ------------------------------------------------------- */
#if HOST_ORACLE
/* Page layout: 0x000 struct regs for the 32-bit runner, 0x080 saved RSP,
 * 0x090 far pointer, 0x100 64-bit runner, 0x400 32-bit runner (entry at
 * 0x300 in 64-bit mode), 0x1000-0x2000 stack for compatibility mode. */
#define HO_SIZE 0x2000u
#define HO_IO 0x000u
#define HO_SAVED_RSP 0x080u
#define HO_FARPTR 0x090u
#define HO_RUN64 0x100u
#define HO_ENTRY32 0x300u
#define HO_RUN32 0x400u
#define HO_STACK_TOP 0x2000u

struct host_oracle {
    uint8_t *page;
    unsigned insn64_at, insn32_at; /* where the instruction goes */
    uint8_t cur64[16], cur32[16];
    unsigned n64, n32;
    bool ok32;
};
static struct host_oracle ho;

struct ho_asm {
    uint8_t *p;
    unsigned n;
};
static inline void ho_b(struct ho_asm *a, unsigned n, const uint8_t *b)
{
    memcpy(a->p + a->n, b, n);
    a->n += n;
}
#define HO_B(a, ...) ho_b((a), sizeof((const uint8_t[]){ __VA_ARGS__ }), (const uint8_t[]){ __VA_ARGS__ })
static inline void ho_d(struct ho_asm *a, uint32_t v)
{
    memcpy(a->p + a->n, &v, 4);
    a->n += 4;
}

/* The 64-bit runner's tail: everything after the instruction. */
static inline void ho_tail64(uint8_t *at)
{
    struct ho_asm a = { at, 0 };
    HO_B(&a, 0x9C);                                      /* pushfq */
    HO_B(&a, 0x41, 0x89, 0x07);                          /* mov [r15], eax */
    HO_B(&a, 0x41, 0x89, 0x4F, 0x04);                    /* mov [r15+4], ecx */
    HO_B(&a, 0x41, 0x89, 0x57, 0x08);                    /* edx */
    HO_B(&a, 0x41, 0x89, 0x5F, 0x0C);                    /* ebx */
    HO_B(&a, 0x41, 0x89, 0x6F, 0x14);                    /* ebp */
    HO_B(&a, 0x41, 0x89, 0x77, 0x18);                    /* esi */
    HO_B(&a, 0x41, 0x89, 0x7F, 0x1C);                    /* edi */
    HO_B(&a, 0x58, 0x41, 0x89, 0x47, 0x20);              /* pop rax; mov [r15+32], eax */
    HO_B(&a, 0x41, 0x5F, 0x41, 0x5E, 0x41, 0x5D, 0x41, 0x5C, 0x5D, 0x5B, 0xC3); /* pops, ret */
}

/* The 32-bit runner's tail. */
static inline void ho_tail32(uint8_t *at, uint32_t io)
{
    struct ho_asm a = { at, 0 };
    static const uint8_t modrm[8] = { 0x05, 0x0D, 0x15, 0x1D, 0, 0x2D, 0x35, 0x3D };
    HO_B(&a, 0x9C); /* pushfd */
    for (unsigned r = 0; r < 8; r++) {
        if (r == 4)
            continue;
        HO_B(&a, 0x36, 0x89, modrm[r]); /* mov ss:[io+4r], reg */
        ho_d(&a, io + 4 * r);
    }
    HO_B(&a, 0x36, 0x8F, 0x05); /* pop dword ss:[io+32] */
    ho_d(&a, io + 32);
    HO_B(&a, 0xCB); /* retf */
}

static inline bool host_oracle_init(void)
{
    if (ho.page)
        return true;
    void *p = mmap(NULL, HO_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC, MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT,
                   -1, 0);
    if (p == MAP_FAILED)
        return false;
    ho.page = p;
    uint32_t base = (uint32_t)(uintptr_t)p;
    memset(ho.page, 0xCC, HO_SIZE);

    /* 64-bit runner: void run(struct regs *rdi). */
    struct ho_asm a = { ho.page + HO_RUN64, 0 };
    HO_B(&a, 0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57); /* push rbx rbp r12-r15 */
    HO_B(&a, 0x49, 0x89, 0xFF);                                         /* mov r15, rdi */
    HO_B(&a, 0x41, 0x8B, 0x47, 0x20, 0x50, 0x9D);                       /* mov eax,[r15+32]; push rax; popfq */
    HO_B(&a, 0x41, 0x8B, 0x07);                                         /* mov eax, [r15] */
    HO_B(&a, 0x41, 0x8B, 0x4F, 0x04);                                   /* ecx */
    HO_B(&a, 0x41, 0x8B, 0x57, 0x08);                                   /* edx */
    HO_B(&a, 0x41, 0x8B, 0x5F, 0x0C);                                   /* ebx */
    HO_B(&a, 0x41, 0x8B, 0x6F, 0x14);                                   /* ebp */
    HO_B(&a, 0x41, 0x8B, 0x77, 0x18);                                   /* esi */
    HO_B(&a, 0x41, 0x8B, 0x7F, 0x1C);                                   /* edi */
    ho.insn64_at = HO_RUN64 + a.n;
    ho.n64 = 0;
    ho_tail64(ho.page + ho.insn64_at);

    /* 64-bit entry to the 32-bit runner: void run32(void), registers in the
     * struct regs at HO_IO. */
    a = (struct ho_asm){ ho.page + HO_ENTRY32, 0 };
    HO_B(&a, 0x53, 0x55, 0x41, 0x54, 0x41, 0x55, 0x41, 0x56, 0x41, 0x57);
    HO_B(&a, 0x48, 0x89, 0x24, 0x25); /* mov [abs saved], rsp */
    ho_d(&a, base + HO_SAVED_RSP);
    HO_B(&a, 0xBC); /* mov esp, stack top */
    ho_d(&a, base + HO_STACK_TOP);
    HO_B(&a, 0xFF, 0x1C, 0x25); /* call far [abs farptr] */
    ho_d(&a, base + HO_FARPTR);
    HO_B(&a, 0x48, 0x8B, 0x24, 0x25); /* mov rsp, [abs saved] */
    ho_d(&a, base + HO_SAVED_RSP);
    HO_B(&a, 0x41, 0x5F, 0x41, 0x5E, 0x41, 0x5D, 0x41, 0x5C, 0x5D, 0x5B, 0xC3);
    uint32_t off32 = base + HO_RUN32;
    uint16_t sel32 = 0x23; /* Linux's 32-bit user code segment; host_oracle_init32 may replace it */
    memcpy(ho.page + HO_FARPTR, &off32, 4);
    memcpy(ho.page + HO_FARPTR + 4, &sel32, 2);

    /* The 32-bit runner (compatibility mode; DS may be null, so SS:). */
    a = (struct ho_asm){ ho.page + HO_RUN32, 0 };
    static const uint8_t modrm[8] = { 0x05, 0x0D, 0x15, 0x1D, 0, 0x2D, 0x35, 0x3D };
    HO_B(&a, 0x36, 0xFF, 0x35); /* push dword ss:[io+32] */
    ho_d(&a, base + HO_IO + 32);
    HO_B(&a, 0x9D); /* popfd */
    for (unsigned r = 0; r < 8; r++) {
        if (r == 4)
            continue;
        HO_B(&a, 0x36, 0x8B, modrm[r]);
        ho_d(&a, base + HO_IO + 4 * r);
    }
    ho.insn32_at = HO_RUN32 + a.n;
    ho.n32 = 0;
    ho_tail32(ho.page + ho.insn32_at, base + HO_IO);
    return true;
}

/* The probe child's end when the far call faults: an expected outcome,
 * so it must not reach a sanitizer's deadly-signal handler (which would
 * print a report and count as a sanitizer failure).  The raw exit system
 * call, because ASan instruments calls of noreturn functions such as
 * _exit and warns about the odd stack the handler runs on. */
static inline void ho_probe_fault(int sig)
{
    (void)sig;
    syscall(SYS_exit_group, 3);
}

/* Probes the compatibility-mode runner in a child (a kernel without IA-32
 * emulation has no usable 32-bit code segment, and the far call faults).
 * POPEK_TEST_COMPAT_SEL replaces the selector 23h, so that the failing
 * probe can be tested on a host where it would succeed. */
static inline bool host_oracle_init32(void)
{
    if (!host_oracle_init())
        return false;
    if (ho.ok32)
        return true;
    const char *sel_env = getenv("POPEK_TEST_COMPAT_SEL");
    uint16_t sel32 = sel_env ? (uint16_t)strtoul(sel_env, NULL, 0) : 0x23;
    memcpy(ho.page + HO_FARPTR + 4, &sel32, 2);
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return false;
    if (pid == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof(sa));
        sa.sa_handler = ho_probe_fault;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGSEGV, &sa, NULL);
        sigaction(SIGBUS, &sa, NULL);
        sigaction(SIGILL, &sa, NULL);
        void (*fn)(void);
        void *vp = ho.page + HO_ENTRY32;
        memcpy(&fn, &vp, sizeof(fn));
        struct regs *io = (struct regs *)(void *)(ho.page + HO_IO);
        memset(io, 0, sizeof(*io));
        io->r[0] = 0x12345678;
        io->flags = 0x202 | F_CF;
        fn(); /* no instruction yet: just loads and stores */
        _exit(io->r[0] == 0x12345678 && (io->flags & F_CF) ? 0 : 1);
    }
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        return false;
    ho.ok32 = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    return ho.ok32;
}

static inline void ho_set_insn(uint8_t *cur, unsigned *ncur, unsigned at, const uint8_t *b, unsigned n,
                               bool compat)
{
    if (n == *ncur && memcmp(cur, b, n) == 0)
        return;
    memcpy(ho.page + at, b, n);
    if (n != *ncur) {
        if (compat)
            ho_tail32(ho.page + at + n, (uint32_t)(uintptr_t)ho.page + HO_IO);
        else
            ho_tail64(ho.page + at + n);
    }
    memcpy(cur, b, n);
    *ncur = n;
}

/* Executes b[0..n) on the host (64-bit mode) with the registers and
 * arithmetic flags in io. */
static inline void host_run(const uint8_t *b, unsigned n, struct regs *io)
{
    ho_set_insn(ho.cur64, &ho.n64, ho.insn64_at, b, n, false);
    void (*fn)(struct regs *);
    void *vp = ho.page + HO_RUN64;
    memcpy(&fn, &vp, sizeof(fn));
    io->flags = (io->flags & ARITH) | 0x202;
    io->r[4] = 0;
    fn(io);
    io->flags &= ARITH | 0x2;
}

/* The same in compatibility mode (32-bit default operand size). */
static inline void host_run32(const uint8_t *b, unsigned n, struct regs *io)
{
    ho_set_insn(ho.cur32, &ho.n32, ho.insn32_at, b, n, true);
    struct regs *hio = (struct regs *)(void *)(ho.page + HO_IO);
    *hio = *io;
    hio->flags = (io->flags & ARITH) | 0x202;
    void (*fn)(void);
    void *vp = ho.page + HO_ENTRY32;
    memcpy(&fn, &vp, sizeof(fn));
    fn();
    *io = *hio;
    io->r[4] = 0;
    io->flags &= ARITH | 0x2;
}
#else
/* Not an x86-64 Linux host: there is no host CPU to ask. */
static inline bool host_oracle_init(void)
{
    return false;
}
#endif /* HOST_ORACLE */

/* ---- comparing the two ----------------------------------------------- */
#define MAX_REPORTS 10

/* A run of cases of one operation. */
struct oracle_op {
    const char *name;
    unsigned cases, mismatches;
};

static inline const char *flag_str(char *buf, uint32_t f)
{
    snprintf(buf, 16, "%c%c%c%c%c%c", f & F_OF ? 'O' : '-', f & F_SF ? 'S' : '-', f & F_ZF ? 'Z' : '-',
             f & F_AF ? 'A' : '-', f & F_PF ? 'P' : '-', f & F_CF ? 'C' : '-');
    return buf;
}

/* Compares one case.  in: the inputs; fmask: the flags to compare;
 * rmask: the registers to compare (bit r), each over rbits (a mask). */
static inline bool oracle_check(struct pk *m, struct oracle_op *op, const struct enc *e, const struct regs *in,
                                uint32_t fmask, unsigned rmask, uint32_t rbits, bool compat)
{
#if HOST_ORACLE
    struct regs h = *in, p = *in;
    if (compat)
        host_run32(e->host, e->nhost, &h);
    else
        host_run(e->host, e->nhost, &h);
    pk_code(m, e->pk, e->npk);
    int vec = pk_run(m, &p);
    op->cases++;
    bool bad = vec != -1 || ((h.flags ^ p.flags) & fmask) != 0;
    for (unsigned r = 0; r < 8; r++)
        if ((rmask >> r) & 1 && ((h.r[r] ^ p.r[r]) & rbits))
            bad = true;
    if (!bad)
        return true;
    if (op->mismatches++ < MAX_REPORTS) {
        char hx[64], f1[16], f2[16], f3[16], f4[16];
        hex_bytes(hx, sizeof(hx), e->pk, e->npk);
        char diff[200];
        size_t pos = 0;
        diff[0] = 0;
        for (unsigned r = 0; r < 8; r++)
            if ((rmask >> r) & 1 && ((h.r[r] ^ p.r[r]) & rbits))
                pos += (size_t)snprintf(diff + pos, sizeof(diff) - pos, " r%u host=%08X popek=%08X", r,
                                        h.r[r] & rbits, p.r[r] & rbits);
        cr_log_error("%s [%s] in: eax=%08X ecx=%08X edx=%08X ebx=%08X flags=%s | out flags host=%s popek=%s "
                     "(compared %s)%s%s",
                     op->name, hx, in->r[0], in->r[1], in->r[2], in->r[3], flag_str(f1, in->flags),
                     flag_str(f2, h.flags), flag_str(f3, p.flags), flag_str(f4, fmask), diff,
                     vec != -1 ? " (popek raised an exception / did not complete)" : "");
    }
    return false;
#else
    (void)m, (void)op, (void)e, (void)in, (void)fmask, (void)rmask, (void)rbits, (void)compat;
    return true;
#endif
}

static inline void oracle_done(struct oracle_op *op)
{
    cr_expect(op->mismatches == 0, "%s: %u of %u cases differ from the host CPU", op->name, op->mismatches,
              op->cases);
}

#define ALL_REGS 0xEFu /* every register but ESP */

#endif
