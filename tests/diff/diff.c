/* Differential test against the host CPU (make diffcheck).
 *
 * Every case -- one instruction with its registers, flags and memory -- runs
 * natively in a child process (child.c, many cases per process) and in
 * Popek (a P6 running flat 32-bit code at CPL 0), and the outcomes are
 * compared: the general registers, EFLAGS (OF SF ZF AF PF CF DF TF IF IOPL
 * NT AC ID, minus what the SDM calls undefined for that case), the memory
 * area, where execution continued, and any exception with its vector.
 *
 * The child is a 32-bit process where the host kernel runs i386 programs.
 * Where it cannot (no IA-32 emulation: execve fails with ENOEXEC), a 64-bit
 * child runs the forms that behave the same in 64-bit mode, each case
 * re-encoded for it (longmode.c); the others are listed as not run on this
 * host, with the reason.  --mode 64 picks the 64-bit child anyway, so that
 * path is tested on every x86-64 host.
 *
 * The forms come from cpu/ops.def through forms.c: each operation is
 * generated or excluded with a reason, and every case is checked to decode
 * (with Popek's own decoder) to the operation its form is named after.
 *
 * Where the host's x87 departs from the SDM in a known, vendor-specific way
 * (host_quirks[]: AMD's FCOMI C1, and "unordered" after an unmasked stack
 * fault in a compare), exactly those bits are masked in exactly those
 * cases, and the number of cases so masked is printed ("host quirks
 * applied").
 *
 * Output: the host CPU, one line per form with its case counts, the
 * exclusions, the host quirks applied, details of the first mismatches,
 * and "N passed, N failed".
 * Exits non-zero on a mismatch, or if a form ran fewer cases than asked
 * (at most 1000 are required).  On a non-x86 host it prints a skip line. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "cpu/cpu.h"
#include "mem/bus.h"
#include "tests/diff/forms.h"
#include "tests/diff/longmode.h"
#include "tests/diff/proto.h"

#if defined(__x86_64__) || defined(__i386__)
#define HOST_X86 1
#include <cpuid.h>
#else
#define HOST_X86 0
#endif

int diff_decode_op(struct cpu *c);

#define ARITH (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)
#define CMP_FLAGS (ARITH | F_TF | F_IF | F_DF | F_IOPL | F_NT | F_AC | F_ID)

/* ---- options ------------------------------------------------------------- */

static unsigned opt_cases = 2000;
static const char *opt_only;
static uint64_t opt_seed = 0x5EED;
static unsigned opt_details = 3;
static bool opt_verbose;
static bool opt_mutate; /* self-test: Popek gets a different EAX, so every form must fail */

/* ---- outcomes -------------------------------------------------------------- */

enum { END_NORMAL, END_EXCEPTION, END_BROKEN };

struct outcome {
    int kind;
    int vector;
    uint32_t eip, err;
    uint32_t r[8], eflags;
    uint8_t area[DIFF_AREA_SIZE];
    uint8_t fsave[DIFF_FSAVE_SIZE];
    char note[200];
};

static void hexbytes(char *out, size_t n, const uint8_t *b, unsigned len)
{
    size_t pos = 0;
    out[0] = 0;
    for (unsigned k = 0; k < len && pos + 4 < n; k++)
        pos += (size_t)snprintf(out + pos, n - pos, "%s%02X", k ? " " : "", b[k]);
}

static const char *flagstr(char *buf, uint32_t f)
{
    static const struct { uint32_t bit; char ch; } map[] = {
        { F_ID, 'i' }, { F_AC, 'a' }, { F_NT, 'n' }, { F_OF, 'O' }, { F_DF, 'D' }, { F_IF, 'I' },
        { F_TF, 'T' }, { F_SF, 'S' }, { F_ZF, 'Z' }, { F_AF, 'A' }, { F_PF, 'P' }, { F_CF, 'C' },
    };
    unsigned k = 0;
    for (; k < sizeof(map) / sizeof(map[0]); k++)
        buf[k] = f & map[k].bit ? map[k].ch : '-';
    buf[k] = 0;
    return buf;
}

/* ---- the host side: the child process ---------------------------------- */

struct child {
    const char *path;
    pid_t pid;
    int to, from;
    struct diff_hello hello;
    unsigned restarts;
    unsigned reruns;      /* mismatching cases the host ran again */
    unsigned rerun_fixed; /* ... whose second host result equalled Popek's */
    const char *rerun_first; /* the form of the first such case */
    int exec_errno; /* set when execve of the child failed */
};

static void child_stop(struct child *ch)
{
    if (ch->pid <= 0)
        return;
    uint32_t zero = 0;
    (void)write_full(ch->to, &zero, sizeof(zero));
    close(ch->to);
    close(ch->from);
    int status;
    waitpid(ch->pid, &status, 0);
    ch->pid = 0;
}

/* Starts the child.  Returns 0, or -1 with a message; when execve itself
 * failed (a kernel that cannot run the child's format says ENOEXEC),
 * ch->exec_errno says why and nothing is printed, so the caller can fall
 * back to the other child. */
static int child_start(struct child *ch)
{
    int in[2], out[2], ex[2];
    ch->exec_errno = 0;
    if (pipe(in) != 0 || pipe(out) != 0 || pipe(ex) != 0) {
        perror("diffcheck: pipe");
        return -1;
    }
    fcntl(ex[1], F_SETFD, FD_CLOEXEC);
    pid_t pid = fork();
    if (pid < 0) {
        perror("diffcheck: fork");
        return -1;
    }
    if (pid == 0) {
        dup2(in[0], 0);
        dup2(out[1], 1);
        close(in[0]);
        close(in[1]);
        close(out[0]);
        close(out[1]);
        close(ex[0]);
        execl(ch->path, ch->path, (char *)NULL);
        int e = errno;
        (void)write_full(ex[1], &e, sizeof(e));
        _exit(127);
    }
    close(in[0]);
    close(out[1]);
    close(ex[1]);
    int e = 0;
    bool exec_failed = read_full(ex[0], &e, sizeof(e)) == 0;
    close(ex[0]);
    if (exec_failed) {
        close(in[1]);
        close(out[0]);
        waitpid(pid, NULL, 0);
        ch->exec_errno = e ? e : EIO;
        return -1;
    }
    ch->pid = pid;
    ch->to = in[1];
    ch->from = out[0];
    if (read_full(ch->from, &ch->hello, sizeof(ch->hello)) != 0 || ch->hello.magic != DIFF_MAGIC ||
        ch->hello.version != DIFF_VERSION || !ch->hello.ok || (ch->hello.bits != 32 && ch->hello.bits != 64)) {
        fprintf(stderr, "diffcheck: the native child %s did not start (no greeting or could not map %08x/%08x)\n",
                ch->path, DIFF_CODE, DIFF_REGION);
        child_stop(ch);
        return -1;
    }
    return 0;
}

static uint8_t sendbuf[DIFF_MAX_BATCH * (sizeof(struct diff_in) + DIFF_AREA_SIZE + DIFF_FSAVE_SIZE) + 4];

static int child_batch(struct child *ch, const struct tcase *t, unsigned n, struct diff_out *out,
                       uint8_t (*areas)[DIFF_AREA_SIZE], uint8_t (*fsaves)[DIFF_FSAVE_SIZE], bool send, bool recv)
{
    if (send) {
        size_t pos = 0;
        uint32_t count = n;
        memcpy(sendbuf, &count, 4);
        pos = 4;
        for (unsigned k = 0; k < n; k++) {
            memcpy(sendbuf + pos, &t[k].in, sizeof(t[k].in));
            pos += sizeof(t[k].in);
            if (t[k].in.flags & DIFF_IN_MEM) {
                memcpy(sendbuf + pos, t[k].area, DIFF_AREA_SIZE);
                pos += DIFF_AREA_SIZE;
            }
            if (t[k].in.flags & DIFF_IN_FPU) {
                memcpy(sendbuf + pos, t[k].fsave, DIFF_FSAVE_SIZE);
                pos += DIFF_FSAVE_SIZE;
            }
        }
        if (write_full(ch->to, sendbuf, pos) != 0)
            return -1;
    }
    if (recv) {
        for (unsigned k = 0; k < n; k++) {
            if (read_full(ch->from, &out[k], sizeof(out[k])) != 0)
                return -1;
            if ((t[k].in.flags & DIFF_IN_MEM) && read_full(ch->from, areas[k], DIFF_AREA_SIZE) != 0)
                return -1;
            if ((t[k].in.flags & DIFF_IN_FPU) && read_full(ch->from, fsaves[k], DIFF_FSAVE_SIZE) != 0)
                return -1;
        }
    }
    return 0;
}

/* Turns the child's report into an outcome.  A stop on an INT3 of the
 * code region outside the instruction is the end of a taken branch, and so
 * is an instruction fetch fault at the address just jumped to (16-bit
 * targets, below 64 KiB, where nothing is mapped). */
static void host_outcome(const struct tcase *t, unsigned lead, const struct diff_out *h, const uint8_t *area,
                         const uint8_t *fs, struct outcome *o)
{
    memset(o, 0, sizeof(*o));
    memcpy(o->r, h->r, sizeof(o->r));
    o->eflags = h->eflags;
    o->vector = -1;
    if (h->end == DIFF_END_NORMAL) {
        o->kind = END_NORMAL;
        o->eip = h->eip;
    } else if (h->signo == SIGTRAP && h->trapno == 3 && h->eip - 1 - DIFF_INSN >= t->in.ncode &&
               h->eip - 1 - DIFF_CODE < DIFF_CODE_SIZE) {
        o->kind = END_NORMAL;
        o->eip = h->eip - 1;
    } else if (h->trapno == 14 && h->addr == h->eip && h->eip - DIFF_CODE >= DIFF_CODE_SIZE) {
        o->kind = END_NORMAL;
        o->eip = h->eip;
    } else {
        o->kind = END_EXCEPTION;
        o->vector = (int)h->trapno;
        /* A fault at the start of a longer encoding is a fault at the case's instruction. */
        o->eip = h->eip == DIFF_INSN - lead ? DIFF_INSN : h->eip;
        o->err = h->err;
        snprintf(o->note, sizeof(o->note), "signal %u", h->signo);
    }
    if (area)
        memcpy(o->area, area, DIFF_AREA_SIZE);
    if (fs)
        memcpy(o->fsave, fs, DIFF_FSAVE_SIZE);
}

/* ---- the Popek side ------------------------------------------------------ */

#define PK_RAM (16u << 20)
#define PK_GDT 0x1000u
#define PK_IDT 0x2000u
#define PK_HANDLERS 0x00F00000u /* protected mode: vector v enters at PK_HANDLERS + v */
#define PK_RM_SEG 0xF000u       /* real mode: vector v enters at F000:v */
#define PK_CS 0x08u
#define PK_FPU_IMG (DIFF_REGION + 0x1000u)
#define PK_FPU_CODE (DIFF_CODE + 0x100u)

struct pk {
    struct bus bus;
    struct cpu *cpu;
    struct cpu_state base;
    bool pm;
    bool fpu;
};

static bool has_error_code(int v)
{
    return v == 8 || (v >= 10 && v <= 14) || v == 17;
}

static void pk_base(struct pk *m, const struct diff_hello *h, bool pm)
{
    struct cpu_state *st = &m->base;
    cpu_get_state(m->cpu, st);
    for (int s = 0; s < S_NSEG; s++)
        st->seg[s] = (struct cpu_seg){ (uint16_t)h->sel[s], 0, 0xFFFFFFFFu, 0xC093 };
    st->seg[S_CS] = (struct cpu_seg){ PK_CS, 0, 0xFFFFFFFFu, 0xC09B };
    st->cr0 = pm ? 0x31 : 0x30; /* PE, ET, NE */
    st->cr2 = st->cr3 = st->cr4 = 0;
    st->gdtr.base = PK_GDT;
    st->gdtr.limit = 0x17;
    st->idtr.base = pm ? PK_IDT : 0;
    st->idtr.limit = pm ? 0x7FF : 0x3FF;
    st->halted = false;
    m->pm = pm;
}

static int pk_init(struct pk *m)
{
    memset(m, 0, sizeof(*m));
    if (bus_init(&m->bus, PK_RAM) != 0)
        return -1;
    bus_set_a20(&m->bus, true);
    m->cpu = cpu_create(CPU_P6, &m->bus);
    if (m->cpu)
        cpu_set_run_cap(m->cpu, 1); /* each step through the decoded-run code */
    if (!m->cpu)
        return -1;
    /* GDT: null, flat 32-bit code (08h), flat 32-bit data (10h). */
    bus_write(&m->bus, PK_GDT + 8, 0x0000FFFF, 4);
    bus_write(&m->bus, PK_GDT + 12, 0x00CF9B00, 4);
    bus_write(&m->bus, PK_GDT + 16, 0x0000FFFF, 4);
    bus_write(&m->bus, PK_GDT + 20, 0x00CF9300, 4);
    for (unsigned v = 0; v < 256; v++) {
        uint32_t off = PK_HANDLERS + v;
        bus_write(&m->bus, PK_IDT + 8 * v, (PK_CS << 16) | (off & 0xFFFF), 4); /* 32-bit interrupt gate */
        bus_write(&m->bus, PK_IDT + 8 * v + 4, (off & 0xFFFF0000u) | 0x8E00, 4);
        bus_write(&m->bus, 4 * v, (PK_RM_SEG << 16) | v, 4); /* IVT */
        bus_write8(&m->bus, PK_HANDLERS + v, 0xF4);
        bus_write8(&m->bus, (PK_RM_SEG << 4) + v, 0xF4);
    }
    static uint8_t cc[DIFF_CODE_SIZE];
    memset(cc, 0xCC, sizeof(cc));
    bus_write_block(&m->bus, DIFF_CODE, cc, sizeof(cc));
    return 0;
}

static void pk_free(struct pk *m)
{
    cpu_destroy(m->cpu);
    bus_free(&m->bus);
}

/* Executes code[0..n) at eip with registers and flags of st; returns how cpu_step ended. */
static enum cpu_exit pk_step(struct pk *m, struct cpu_state *st)
{
    cpu_set_state(m->cpu, st);
    enum cpu_exit why = cpu_step(m->cpu);
    cpu_get_state(m->cpu, st);
    return why;
}

/* Runs one case in Popek.  *decoded receives the op the decoder made of it. */
static void pk_run(struct pk *m, const struct tcase *t, struct outcome *o, int *decoded)
{
    memset(o, 0, sizeof(*o));
    o->vector = -1;
    uint8_t code[DIFF_MAXCODE + 8];
    memset(code, 0xCC, sizeof(code));
    memcpy(code, t->in.code, t->in.ncode);
    bus_write_block(&m->bus, DIFF_INSN, code, sizeof(code));
    if (t->in.flags & DIFF_IN_MEM)
        bus_write_block(&m->bus, DIFF_AREA, t->area, DIFF_AREA_SIZE);

    struct cpu_state st = m->base;
    enum cpu_exit why;
    if (t->in.flags & DIFF_IN_FPU) {
        /* FRSTOR [img] loads the x87 state first. */
        bus_write_block(&m->bus, PK_FPU_IMG, t->fsave, DIFF_FSAVE_SIZE);
        const uint8_t frstor[6] = { 0xDD, 0x25, (uint8_t)PK_FPU_IMG, (uint8_t)(PK_FPU_IMG >> 8),
                                    (uint8_t)(PK_FPU_IMG >> 16), (uint8_t)(PK_FPU_IMG >> 24) };
        bus_write_block(&m->bus, PK_FPU_CODE, frstor, sizeof(frstor));
        st.eip = PK_FPU_CODE;
        st.eflags = 0x202;
        why = pk_step(m, &st);
        if (why != CPU_EXIT_BUDGET || st.eip != PK_FPU_CODE + 6) {
            o->kind = END_BROKEN;
            snprintf(o->note, sizeof(o->note), "FRSTOR before the case failed (exit %d, EIP %08x)", why, st.eip);
            return;
        }
    }
    memcpy(st.gpr, t->in.r, sizeof(st.gpr));
    st.eip = DIFF_INSN;
    st.eflags = t->in.eflags;

    /* Where an exception frame would go: saved, to undo it afterwards. */
    uint32_t esp = t->in.r[4];
    uint32_t save_at[16];
    uint8_t saved[16];
    unsigned nsave = m->pm ? 16 : 6;
    for (unsigned k = 0; k < nsave; k++) {
        save_at[k] = m->pm ? esp - 16 + k : st.seg[S_SS].base + ((esp - 6 + k) & 0xFFFF);
        saved[k] = bus_read8(&m->bus, save_at[k]);
    }

    cpu_set_state(m->cpu, &st);
    *decoded = diff_decode_op(m->cpu);
    why = cpu_step(m->cpu);
    cpu_get_state(m->cpu, &st);
    memcpy(o->r, st.gpr, sizeof(o->r));
    o->eflags = st.eflags;
    o->eip = st.eip;
    o->kind = END_NORMAL;
    if (why == CPU_EXIT_ERROR) {
        o->kind = END_BROKEN;
        snprintf(o->note, sizeof(o->note), "emulator error: %s", cpu_error(m->cpu));
    } else if (why != CPU_EXIT_BUDGET) {
        o->kind = END_BROKEN;
        snprintf(o->note, sizeof(o->note), "cpu_step ended with %d", why);
    } else if (m->pm ? (st.eip - PK_HANDLERS < 256 && st.seg[S_CS].sel == PK_CS) : st.seg[S_CS].sel == PK_RM_SEG) {
        int v = m->pm ? (int)(st.eip - PK_HANDLERS) : (int)st.eip;
        uint32_t sp = st.gpr[R_ESP];
        o->kind = END_EXCEPTION;
        o->vector = v;
        if (m->pm) {
            uint32_t a = st.seg[S_SS].base + sp;
            if (has_error_code(v)) {
                o->err = bus_read(&m->bus, a, 4);
                a += 4;
                sp += 4;
            }
            o->eip = bus_read(&m->bus, a, 4);
            o->eflags = bus_read(&m->bus, a + 8, 4);
            o->r[R_ESP] = sp + 12;
        } else {
            uint32_t b = st.seg[S_SS].base;
            o->eip = bus_read(&m->bus, b + (sp & 0xFFFF), 2);
            o->eflags = (st.eflags & 0xFFFF0000u) | bus_read(&m->bus, b + ((sp + 4) & 0xFFFF), 2);
            o->r[R_ESP] = (sp & 0xFFFF0000u) | ((sp + 6) & 0xFFFF);
        }
        for (unsigned k = 0; k < nsave; k++)
            bus_write8(&m->bus, save_at[k], saved[k]);
    }
    if (t->in.flags & DIFF_IN_MEM)
        bus_read_block(&m->bus, DIFF_AREA, o->area, DIFF_AREA_SIZE);
    if ((t->in.flags & DIFF_IN_FPU) && o->kind != END_BROKEN) {
        /* FNSAVE [img] reads the x87 state back (it does not touch the integer state). */
        struct cpu_state s2;
        cpu_get_state(m->cpu, &s2);
        const uint8_t fnsave[6] = { 0xDD, 0x35, (uint8_t)PK_FPU_IMG, (uint8_t)(PK_FPU_IMG >> 8),
                                    (uint8_t)(PK_FPU_IMG >> 16), (uint8_t)(PK_FPU_IMG >> 24) };
        bus_write_block(&m->bus, PK_FPU_CODE, fnsave, sizeof(fnsave));
        s2 = m->base;
        s2.eip = PK_FPU_CODE;
        s2.eflags = 0x202;
        s2.gpr[R_ESP] = DIFF_AREA + 0xC0;
        if (pk_step(m, &s2) != CPU_EXIT_BUDGET || s2.eip != PK_FPU_CODE + 6) {
            o->kind = END_BROKEN;
            snprintf(o->note, sizeof(o->note), "FNSAVE after the case failed");
        }
        bus_read_block(&m->bus, PK_FPU_IMG, o->fsave, DIFF_FSAVE_SIZE);
        if (t->in.flags & DIFF_IN_MEM)
            bus_read_block(&m->bus, DIFF_AREA, o->area, DIFF_AREA_SIZE);
    }
}

/* Checks that Popek runs flat 32-bit code in this mode: an ADD, and an INT3
 * delivered through the IDT (or IVT) to the handler with the right frame. */
static bool pk_probe(struct pk *m, const struct diff_hello *h, bool pm)
{
    pk_base(m, h, pm);
    struct tcase t;
    memset(&t, 0, sizeof(t));
    struct outcome o;
    int op;
    t.in.code[0] = 0x01; /* add eax, ebx */
    t.in.code[1] = 0xD8;
    t.in.ncode = 2;
    t.in.r[0] = 0x7FFFFFFF;
    t.in.r[3] = 1;
    t.in.r[4] = DIFF_AREA + 0xC0;
    t.in.eflags = 0x202;
    pk_run(m, &t, &o, &op);
    if (o.kind != END_NORMAL || o.eip != DIFF_INSN + 2 || o.r[0] != 0x80000000u || !(o.eflags & F_OF))
        return false;
    t.in.code[0] = 0xCC; /* int3 */
    t.in.ncode = 1;
    pk_run(m, &t, &o, &op);
    return o.kind == END_EXCEPTION && o.vector == 3 && o.eip == DIFF_INSN + 1 && o.r[R_ESP] == DIFF_AREA + 0xC0;
}

/* CPUID.1:EDX bit 0 of Popek's P6. */
static bool pk_has_fpu(struct pk *m)
{
    struct tcase t;
    memset(&t, 0, sizeof(t));
    t.in.code[0] = 0x0F;
    t.in.code[1] = 0xA2;
    t.in.ncode = 2;
    t.in.r[0] = 1;
    t.in.r[4] = DIFF_AREA + 0xC0;
    t.in.eflags = 0x202;
    struct outcome o;
    int op;
    pk_run(m, &t, &o, &op);
    return o.kind == END_NORMAL && (o.r[R_EDX] & 1);
}

/* ---- comparing ------------------------------------------------------------- */

/* x87: the 80-bit value in units in the last place apart (saturating). */
static uint64_t ulp_distance(const uint8_t a[10], const uint8_t b[10])
{
    uint64_t ma, mb;
    memcpy(&ma, a, 8);
    memcpy(&mb, b, 8);
    unsigned ea = (a[8] | a[9] << 8), eb = (b[8] | b[9] << 8);
    if (ea != eb)
        return ea >> 15 != eb >> 15 ? UINT64_MAX : (ea + 1 == eb && mb == 1ull << 63 && ma == ~0ull) ||
               (eb + 1 == ea && ma == 1ull << 63 && mb == ~0ull) ? 1 : UINT64_MAX;
    return ma > mb ? ma - mb : mb - ma;
}

/* The 80-bit value as a double (enough to place it against pi/2). */
static double ext_to_double(const uint8_t v[10])
{
    uint64_t m;
    memcpy(&m, v, 8);
    int e = ((v[8] | v[9] << 8) & 0x7FFF) - 0x3FFF;
    if (e < -60)
        return 0;
    double x = (double)m;
    for (int k = 0; k < 63 - e; k++)
        x /= 2;
    for (int k = 0; k < e - 63; k++)
        x *= 2;
    return v[9] & 0x80 ? -x : x;
}

/* Whether a transcendental's result is defined to within 1 ulp for the
 * input ST(0): |x| < 2^20 and not within 2^-20 of a multiple of pi/2 (the
 * accuracy conditions), and inside the SDM's domain for F2XM1 (|x| <= 1)
 * and FYL2XP1 (|x| < 1 - sqrt(2)/2), outside which the result is undefined. */
static bool accurate_domain(const struct x87_form *xf, const uint8_t v[10])
{
    int e = ((v[8] | v[9] << 8) & 0x7FFF) - 0x3FFF;
    if (e >= 20)
        return false; /* also infinities and NaNs */
    double x = ext_to_double(v), ax = x < 0 ? -x : x;
    if (strcmp(xf->name, "F2XM1") == 0 && ax > 1)
        return false;
    if (strcmp(xf->name, "FYL2XP1") == 0 && ax >= 0.29289321881345247)
        return false;
    double halfpi = 1.5707963267948966;
    double k = (double)(long long)(ax / halfpi + 0.5);
    double d = ax - k * halfpi;
    return k == 0 || (d > 0 ? d : -d) >= 1.0 / (1 << 20);
}

static bool starts(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The condition codes the SDM leaves undefined after each instruction
 * (C0 0100h, C1 0200h, C2 0400h, C3 4000h). */
static uint16_t x87_sw_undef(const struct x87_form *xf)
{
    const char *n = xf->name;
    if (starts(n, "FCOM") || starts(n, "FUCOM") || starts(n, "FICOM") || starts(n, "FTST") || starts(n, "FXAM") ||
        starts(n, "FPREM") || starts(n, "FLDENV") || starts(n, "FRSTOR") || starts(n, "FNINIT"))
        return 0;
    if (starts(n, "FNOP") || starts(n, "FLDCW") || starts(n, "FNST") || starts(n, "FNSAVE") || starts(n, "FNCLEX") ||
        starts(n, "FFREE"))
        return 0x4700;
    if (starts(n, "FPTAN") || starts(n, "FSIN") || starts(n, "FCOS"))
        return 0x4100; /* C2 reports an out-of-range operand */
    return 0x4500;
}

static int fpu_compare(const struct x87_form *xf, const struct tcase *t, const struct outcome *h,
                       const struct outcome *p, uint16_t quirk_sw, char *why, size_t n)
{
    uint16_t hcw, pcw, hsw, psw, htw, ptw;
    memcpy(&hcw, h->fsave, 2), memcpy(&pcw, p->fsave, 2);
    memcpy(&hsw, h->fsave + 4, 2), memcpy(&psw, p->fsave + 4, 2);
    memcpy(&htw, h->fsave + 8, 2), memcpy(&ptw, p->fsave + 8, 2);
    uint16_t swmask = (uint16_t)(~x87_sw_undef(xf) & ~quirk_sw);
    uint16_t twmask = 0xFFFF;
    bool tr = xf->transcendental, tr_ok = tr && accurate_domain(xf, t->fsave + 28);
    if (tr)
        swmask &= (uint16_t)~0x0200u; /* C1: rounded up, within the 1-ulp tolerance */
    if (tr && !tr_ok && (strcmp(xf->name, "F2XM1") == 0 || strcmp(xf->name, "FYL2XP1") == 0)) {
        /* Outside the SDM's domain the result is undefined, and so are its
         * exceptions and its tag (the result is the new ST(0) of both). */
        swmask &= (uint16_t)~0x80BFu; /* the flags, ES and B */
        twmask &= (uint16_t)~(3u << (2 * ((hsw >> 11) & 7)));
    }
    if (hcw != pcw || ((hsw ^ psw) & swmask) || ((htw ^ ptw) & twmask)) {
        snprintf(why, n, "x87 CW/SW/TW host %04X/%04X/%04X popek %04X/%04X/%04X", hcw, hsw, htw, pcw, psw, ptw);
        return 1;
    }
    /* FIP/FCS/FOP/FDP/FDS (bytes 12-27) are not compared: AMD saves them only with an unmasked exception pending. */
    for (unsigned st = 0; st < 8; st++) {
        const uint8_t *a = h->fsave + 28 + 10 * st, *b = p->fsave + 28 + 10 * st;
        if (memcmp(a, b, 10) == 0)
            continue;
        unsigned top = (hsw >> 11) & 7;
        if (((htw >> (2 * ((top + st) & 7))) & 3) == 3)
            continue; /* empty: contents not architectural */
        if (tr && (!tr_ok || ulp_distance(a, b) <= 1))
            continue; /* within 1 ulp, or outside the accuracy conditions (not compared) */
        snprintf(why, n, "x87 ST(%u) differs", st);
        return 1;
    }
    return 0;
}

/* ---- host quirks ------------------------------------------------------------ */

/* Where the host's x87 departs from the SDM, which Popek follows as the
 * Intel chips it emulates do.  Each quirk applies only on a host of its
 * vendor, only to its forms, and only when the outcome has exactly the
 * quirk's shape (the host shows the vendor's behaviour and Popek the SDM's,
 * in the named bits); it then masks just those bits.  The cases where a
 * quirk hid a difference are counted and printed ("host quirks applied"),
 * so nothing is hidden silently. */
struct host_quirk {
    const char *id;
    const char *vendor; /* CPUID.0 vendor string */
    const char *what;   /* the bits and cases, and the SDM wording departed from */
    /* Returns the SW and EFLAGS bits to mask for this case (0, 0: does not apply). */
    void (*match)(const struct x87_form *xf, const struct tcase *t, const struct outcome *h,
                  const struct outcome *p, uint16_t *sw, uint32_t *fl);
    unsigned hidden; /* cases where the masked bits differed */
};

static bool is_fcomi(const struct x87_form *xf)
{
    return starts(xf->name, "FCOMI") || starts(xf->name, "FUCOMI");
}

static bool is_compare(const struct x87_form *xf)
{
    return starts(xf->name, "FCOM") || starts(xf->name, "FUCOM") || starts(xf->name, "FICOM") ||
           starts(xf->name, "FTST");
}

static uint16_t sw_of(const uint8_t *fsave)
{
    uint16_t v;
    memcpy(&v, fsave + 4, 2);
    return v;
}

/* A stack fault (IE with SF) raised by the instruction itself. */
static bool stack_fault_raised(const struct tcase *t, const struct outcome *h)
{
    return (sw_of(h->fsave) & 0x41u) == 0x41u && (sw_of(t->fsave) & 0x41u) != 0x41u;
}

/* AMD: FCOMI, FCOMIP, FUCOMI, FUCOMIP leave C1 unchanged.  SDM vol. 2,
 * FCOMI/FCOMIP/FUCOMI/FUCOMIP, "FPU Flags Affected": "C1  Set to 0." (with
 * a stack underflow both clear it: the quirk is for the other cases). */
static void q_fcomi_c1(const struct x87_form *xf, const struct tcase *t, const struct outcome *h,
                       const struct outcome *p, uint16_t *sw, uint32_t *fl)
{
    (void)fl;
    if (!is_fcomi(xf) || stack_fault_raised(t, h))
        return;
    uint16_t in = sw_of(t->fsave), hs = sw_of(h->fsave), ps = sw_of(p->fsave);
    if ((hs & 0x0200u) == (in & 0x0200u) && !(ps & 0x0200u))
        *sw |= 0x0200u;
}

/* AMD: a compare whose operand is an empty register, with IE unmasked
 * (#IS, no masked response), still reports "unordered": C3 C2 C0 = 111
 * (FCOM, FCOMP, FCOMPP, FUCOM, FUCOMP, FUCOMPP, FICOM, FICOMP, FTST), or
 * ZF PF CF = 111 with OF SF AF = 0 (FCOMI, FCOMIP, FUCOMI, FUCOMIP).  SDM
 * vol. 1 §8.5.1.1: with the invalid-operation exception unmasked "the
 * exception handler is invoked and the ... source operands remain
 * unchanged"; vol. 2 FCOM/FCOMP/FCOMPP: "If the invalid-arithmetic-operand
 * exception is unmasked, the condition code flags are not set"; FCOMI:
 * "If invalid-operation exception is unmasked, the status flags are not
 * set".  Popek leaves the codes (and EFLAGS) as they were. */
static void q_unmasked_stack_fault_unordered(const struct x87_form *xf, const struct tcase *t,
                                             const struct outcome *h, const struct outcome *p, uint16_t *sw,
                                             uint32_t *fl)
{
    uint16_t cw;
    memcpy(&cw, t->fsave, 2);
    if (!is_compare(xf) || (cw & 1) || !stack_fault_raised(t, h))
        return;
    if (is_fcomi(xf)) {
        const uint32_t six = F_ZF | F_PF | F_CF | F_OF | F_SF | F_AF;
        if ((h->eflags & six) == (F_ZF | F_PF | F_CF) && (p->eflags & six) == (t->in.eflags & six))
            *fl |= six;
        return;
    }
    uint16_t in = sw_of(t->fsave), hs = sw_of(h->fsave), ps = sw_of(p->fsave);
    if ((hs & 0x4500u) == 0x4500u && (ps & 0x4500u) == (in & 0x4500u))
        *sw |= 0x4500u;
}

static struct host_quirk host_quirks[] = {
    { "amd-fcomi-c1", "AuthenticAMD",
      "FCOMI/FCOMIP/FUCOMI/FUCOMIP keep C1 (SDM: \"C1 Set to 0\"); C1 masked", q_fcomi_c1, 0 },
    { "amd-unmasked-stack-fault-unordered", "AuthenticAMD",
      "compares with an unmasked stack underflow set unordered (SDM: with the exception unmasked the "
      "condition codes / status flags are not set); C3 C2 C0, or ZF PF CF OF SF AF for FCOMI, masked",
      q_unmasked_stack_fault_unordered, 0 },
};
#define NQUIRKS (sizeof(host_quirks) / sizeof(host_quirks[0]))

static char host_vendor[13];

/* The SW and EFLAGS bits the host's quirks mask in this case; counts the
 * cases where they hid a difference. */
static void quirk_masks(const struct x87_form *xf, const struct tcase *t, const struct outcome *h,
                        const struct outcome *p, uint16_t *sw, uint32_t *fl)
{
    *sw = 0;
    *fl = 0;
    if (!xf || !(t->in.flags & DIFF_IN_FPU) || h->kind != p->kind)
        return;
    for (unsigned k = 0; k < NQUIRKS; k++) {
        struct host_quirk *q = &host_quirks[k];
        if (strcmp(q->vendor, host_vendor) != 0)
            continue;
        uint16_t qs = 0;
        uint32_t qf = 0;
        q->match(xf, t, h, p, &qs, &qf);
        if (((sw_of(h->fsave) ^ sw_of(p->fsave)) & qs) || ((h->eflags ^ p->eflags) & qf))
            q->hidden++;
        *sw |= qs;
        *fl |= qf;
    }
}

static void print_quirks(void)
{
    bool any = false;
    for (unsigned k = 0; k < NQUIRKS; k++)
        any |= strcmp(host_quirks[k].vendor, host_vendor) == 0;
    if (!any) {
        printf("host quirks applied: none (host vendor %s)\n", host_vendor[0] ? host_vendor : "unknown");
        return;
    }
    printf("host quirks applied (%s; masked only in the cases counted):\n", host_vendor);
    for (unsigned k = 0; k < NQUIRKS; k++)
        if (strcmp(host_quirks[k].vendor, host_vendor) == 0)
            printf("  %-36s %6u cases  %s\n", host_quirks[k].id, host_quirks[k].hidden, host_quirks[k].what);
}

/* Returns 0 if the outcomes agree under the case's masks, else 1 with why. */
static int compare(const struct tcase *t, const struct x87_form *xf, const struct outcome *h,
                   const struct outcome *p, char *why, size_t n)
{
    static const char *const rn[8] = { "EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI" };
    size_t pos = 0;
    int bad = 0;
#define WHY(...) (bad = 1, pos += (size_t)snprintf(why + pos, pos < n ? n - pos : 0, __VA_ARGS__))
    why[0] = 0;
    if (p->kind == END_BROKEN) {
        WHY("popek: %s; ", p->note);
        return 1;
    }
    if (h->kind != p->kind || h->vector != p->vector)
        WHY("end: host %s%d popek %s%d; ", h->kind == END_NORMAL ? "normal" : "vector ", h->kind ? h->vector : 0,
            p->kind == END_NORMAL ? "normal" : "vector ", p->kind ? p->vector : 0);
    if (h->eip != p->eip)
        WHY("EIP host %08X popek %08X; ", h->eip, p->eip);
    if (h->kind == END_EXCEPTION && p->kind == END_EXCEPTION && h->vector == p->vector &&
        h->vector >= 10 && h->vector <= 13 && h->err != p->err)
        WHY("error code host %X popek %X; ", h->err, p->err);
    for (unsigned r = 0; r < 8; r++)
        if ((h->r[r] ^ p->r[r]) & ~t->reg_undef[r])
            WHY("%s host %08X popek %08X; ", rn[r], h->r[r], p->r[r]);
    uint16_t quirk_sw;
    uint32_t quirk_fl;
    quirk_masks(xf, t, h, p, &quirk_sw, &quirk_fl);
    uint32_t fm = CMP_FLAGS & ~t->undef_flags & ~quirk_fl;
    if ((h->eflags ^ p->eflags) & fm) {
        char a[16], b[16];
        WHY("EFLAGS host %s popek %s (differ %08X); ", flagstr(a, h->eflags & fm), flagstr(b, p->eflags & fm),
            (h->eflags ^ p->eflags) & fm);
    }
    if (t->in.flags & DIFF_IN_MEM) {
        for (unsigned k = 0; k < DIFF_AREA_SIZE; k++) {
            if (k >= t->mem_undef_off && k < (unsigned)t->mem_undef_off + t->mem_undef_len)
                continue;
            if (h->area[k] != p->area[k]) {
                WHY("memory +%02X host %02X popek %02X; ", k, h->area[k], p->area[k]);
                break;
            }
        }
    }
    if ((t->in.flags & DIFF_IN_FPU) && fpu_compare(xf, t, h, p, quirk_sw, why + pos, pos < n ? n - pos : 0))
        bad = 1;
#undef WHY
    return bad;
}

/* ---- running forms ----------------------------------------------------------- */

struct formstat {
    const char *name;
    unsigned cases, fails, var[NVAR];
    unsigned faults; /* cases that ended in an exception (both sides) */
    unsigned skips;  /* cases with no counterpart on this host (64-bit child) */
    const char *skip_why;
    char *details;   /* first mismatches */
    size_t dlen;
    unsigned ndetails;
};

static void add_detail(struct formstat *fs, const char *fmt, ...)
{
    if (fs->ndetails >= opt_details)
        return;
    fs->ndetails++;
    char buf[2048];
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    if (k < 0)
        return;
    size_t len = strlen(buf);
    char *d = realloc(fs->details, fs->dlen + len + 1);
    if (!d)
        return;
    memcpy(d + fs->dlen, buf, len + 1);
    fs->details = d;
    fs->dlen += len;
}

static void x87_line(char *out, size_t n, const char *who, const uint8_t *img)
{
    uint16_t cw, sw, tw;
    memcpy(&cw, img, 2);
    memcpy(&sw, img + 4, 2);
    memcpy(&tw, img + 8, 2);
    size_t pos = (size_t)snprintf(out, n, "    %-6s CW=%04X SW=%04X TW=%04X", who, cw, sw, tw);
    for (unsigned st = 0; st < 3 && pos < n; st++) {
        const uint8_t *v = img + 28 + 10 * st;
        pos += (size_t)snprintf(out + pos, n - pos, " ST%u=%02X%02X:%02X%02X%02X%02X%02X%02X%02X%02X", st, v[9], v[8],
                                v[7], v[6], v[5], v[4], v[3], v[2], v[1], v[0]);
    }
    if (pos < n)
        snprintf(out + pos, n - pos, "\n");
}

static void describe(struct formstat *fs, const struct tcase *t, const struct tcase *ht, const struct outcome *h,
                     const struct outcome *p, const char *why)
{
    char hx[120];
    hexbytes(hx, sizeof(hx), t->in.code, t->in.ncode);
    if (ht->in.ncode != t->in.ncode || memcmp(ht->in.code, t->in.code, t->in.ncode) != 0) {
        size_t l = strlen(hx);
        snprintf(hx + l, sizeof(hx) - l, "; host: ");
        l = strlen(hx);
        hexbytes(hx + l, sizeof(hx) - l, ht->in.code, ht->in.ncode);
    }
    if (t->in.flags & DIFF_IN_FPU) {
        char a[200], b[200], c[200];
        x87_line(a, sizeof(a), "x87in", t->fsave);
        x87_line(b, sizeof(b), "host", h->fsave);
        x87_line(c, sizeof(c), "popek", p->fsave);
        char fl[16], hf[16], pf[16];
        add_detail(fs, "  %s [%s] FL=%s host FL=%s popek FL=%s\n%s%s%s    %s\n", fs->name, hx,
                   flagstr(fl, t->in.eflags), flagstr(hf, h->eflags), flagstr(pf, p->eflags), a, b, c, why);
        return;
    }
    char fl[16], hf[16], pf[16];
    add_detail(fs,
               "  %s [%s]\n"
               "    in:    EAX=%08X ECX=%08X EDX=%08X EBX=%08X ESP=%08X EBP=%08X ESI=%08X EDI=%08X FL=%s\n"
               "    host:  EAX=%08X ECX=%08X EDX=%08X EBX=%08X ESP=%08X EBP=%08X ESI=%08X EDI=%08X FL=%s EIP=%08X %s%s\n"
               "    popek: EAX=%08X ECX=%08X EDX=%08X EBX=%08X ESP=%08X EBP=%08X ESI=%08X EDI=%08X FL=%s EIP=%08X %s%s\n"
               "    %s\n",
               fs->name, hx, t->in.r[0], t->in.r[1], t->in.r[2], t->in.r[3], t->in.r[4], t->in.r[5], t->in.r[6],
               t->in.r[7], flagstr(fl, t->in.eflags), h->r[0], h->r[1], h->r[2], h->r[3], h->r[4], h->r[5], h->r[6],
               h->r[7], flagstr(hf, h->eflags), h->eip, h->kind == END_EXCEPTION ? "exception " : "",
               h->kind == END_EXCEPTION ? (char[8]){ (char)('0' + h->vector / 10), (char)('0' + h->vector % 10), 0 } : "",
               p->r[0], p->r[1], p->r[2], p->r[3], p->r[4], p->r[5], p->r[6], p->r[7], flagstr(pf, p->eflags), p->eip,
               p->kind == END_EXCEPTION ? "exception " : p->kind == END_BROKEN ? "broken" : "",
               p->kind == END_EXCEPTION ? (char[8]){ (char)('0' + p->vector / 10), (char)('0' + p->vector % 10), 0 } : "",
               why);
}

static struct tcase batch[DIFF_MAX_BATCH];  /* the cases, as generated (Popek runs these) */
static struct tcase hbatch[DIFF_MAX_BATCH]; /* the host's copies, re-encoded for a 64-bit child */
static unsigned hmap[DIFF_MAX_BATCH];       /* hbatch[j] is batch[hmap[j]] */
static struct diff_out hres[DIFF_MAX_BATCH];
static uint8_t hareas[DIFF_MAX_BATCH][DIFF_AREA_SIZE];
static uint8_t hfsaves[DIFF_MAX_BATCH][DIFF_FSAVE_SIZE];
static struct outcome pres[DIFF_MAX_BATCH];
static int pdecoded[DIFF_MAX_BATCH];

/* Runs the host side of hbatch[0, n) that were already sent (sent = true)
 * or not; if the child dies, runs the cases one by one in fresh children
 * to find those that kill it.  died[k] is set for such cases; after more
 * than 20 of them the run gives up. */
static int host_collect(struct child *ch, unsigned n, bool sent, bool *died)
{
    memset(died, 0, n * sizeof(*died));
    if (child_batch(ch, hbatch, n, hres, hareas, hfsaves, !sent, true) == 0)
        return 0;
    for (unsigned k = 0; k < n; k++) {
        if (ch->pid > 0) {
            kill(ch->pid, SIGKILL);
            close(ch->to);
            close(ch->from);
            waitpid(ch->pid, NULL, 0);
            ch->pid = 0;
        }
        if (ch->restarts > 20 || child_start(ch) != 0)
            return -1;
        if (child_batch(ch, hbatch + k, 1, hres + k, hareas + k, hfsaves + k, true, true) != 0) {
            died[k] = true;
            ch->restarts++;
        }
    }
    return 0;
}

static uint64_t fnv(const char *s)
{
    uint64_t h = 0xCBF29CE484222325ull;
    for (; *s; s++)
        h = (h ^ (uint8_t)*s) * 0x100000001B3ull;
    return h;
}

/* The first case a form could not run on this host, and how many. */
static void note_skip(struct formstat *fs, const char *why)
{
    if (!fs->skips++)
        fs->skip_why = why;
}

/* A host is not always deterministic: under some hypervisors (seen with
 * PVM) the child loses EFLAGS.NT when it is preempted between setting its
 * flags and reading them back, in about one case in 15,000.  Popek is
 * deterministic, so a mismatching case is run once more on the host; if
 * that result equals Popek's, the first was the host's transient, and the
 * case counts as passed (the number is printed at the end, with the first
 * form it happened in).  A real difference fails both times. */
static bool rerun_matches(struct child *ch, const struct tcase *t, const struct tcase *ht, const struct x87_form *xf,
                          const struct outcome *p)
{
    static struct diff_out out;
    static uint8_t area[DIFF_AREA_SIZE], fsave[DIFF_FSAVE_SIZE];
    ch->reruns++;
    if (ch->pid <= 0 || child_batch(ch, ht, 1, &out, &area, &fsave, true, true) != 0)
        return false;
    struct outcome h;
    char why[600];
    host_outcome(t, ht->in.lead, &out, (t->in.flags & DIFF_IN_MEM) ? area : NULL,
                 (t->in.flags & DIFF_IN_FPU) ? fsave : NULL, &h);
    return compare(t, xf, &h, p, why, sizeof(why)) == 0;
}

/* Runs n cases of one form (gen != NULL) or of one x87 form. */
static int run_form(struct child *ch, struct pk *m, const struct form *f, const struct x87_form *xf,
                    struct formstat *fs, int want_op)
{
    struct rng r = { fnv(fs->name) ^ opt_seed };
    if (r.s == 0)
        r.s = 1;
    bool lm = ch->hello.bits == 64;
    static bool died[DIFF_MAX_BATCH];
    for (unsigned done = 0; done < opt_cases;) {
        unsigned n = opt_cases - done < DIFF_MAX_BATCH ? opt_cases - done : DIFF_MAX_BATCH;
        unsigned nh = 0;
        for (unsigned k = 0; k < n; k++) {
            if (f)
                f->gen(f, &r, done + k, &batch[k]);
            else
                diff_x87_gen(xf, &r, done + k, &batch[k]);
            hbatch[nh] = batch[k];
            const char *why = lm ? diff_lm_translate(&batch[k], &hbatch[nh].in) : NULL;
            if (why) {
                note_skip(fs, why);
                continue;
            }
            hmap[nh++] = k;
        }
        bool sent = child_batch(ch, hbatch, nh, NULL, NULL, NULL, true, false) == 0;
        for (unsigned j = 0; j < nh; j++) {
            unsigned k = hmap[j];
            if (opt_mutate) {
                struct tcase mt = batch[k];
                mt.in.r[0] ^= 1u << (k % 32);
                pk_run(m, &mt, &pres[k], &pdecoded[k]);
            } else {
                pk_run(m, &batch[k], &pres[k], &pdecoded[k]);
            }
        }
        if (host_collect(ch, nh, sent, died) != 0) {
            fprintf(stderr, "diffcheck: the native child keeps dying; giving up\n");
            return -1;
        }
        for (unsigned j = 0; j < nh; j++) {
            unsigned k = hmap[j];
            struct outcome h;
            char why[600];
            fs->cases++;
            fs->var[batch[k].variant]++;
            if (died[j]) {
                fs->fails++;
                memset(&h, 0, sizeof(h));
                describe(fs, &batch[k], &hbatch[j], &h, &pres[k], "the native child died on this case");
                continue;
            }
            host_outcome(&batch[k], hbatch[j].in.lead, &hres[j],
                         (batch[k].in.flags & DIFF_IN_MEM) ? hareas[j] : NULL,
                         (batch[k].in.flags & DIFF_IN_FPU) ? hfsaves[j] : NULL, &h);
            int bad = compare(&batch[k], xf, &h, &pres[k], why, sizeof(why));
            if (bad && rerun_matches(ch, &batch[k], &hbatch[j], xf, &pres[k])) {
                if (!ch->rerun_fixed++)
                    ch->rerun_first = fs->name;
                bad = 0;
            }
            if (want_op >= 0 && pdecoded[k] != want_op) {
                size_t l = strlen(why);
                snprintf(why + l, sizeof(why) - l, "decodes as %s, not %s; ",
                         pdecoded[k] >= 0 && (unsigned)pdecoded[k] < diff_nops ? diff_op_names[pdecoded[k]] : "(fault)",
                         diff_op_names[want_op]);
                bad = 1;
            }
            if (h.kind == END_EXCEPTION && pres[k].kind == END_EXCEPTION)
                fs->faults++;
            if (bad) {
                fs->fails++;
                describe(fs, &batch[k], &hbatch[j], &h, &pres[k], why);
            }
        }
        done += n;
    }
    return 0;
}

/* ---- main ------------------------------------------------------------------------ */

static void print_host_cpu(void)
{
#if HOST_X86
    unsigned a = 0, b = 0, c = 0, d = 0;
    char vendor[13] = "";
    if (__get_cpuid(0, &a, &b, &c, &d)) {
        memcpy(vendor, &b, 4);
        memcpy(vendor + 4, &d, 4);
        memcpy(vendor + 8, &c, 4);
        vendor[12] = 0;
    }
    memcpy(host_vendor, vendor, sizeof(host_vendor));
    unsigned sig = 0;
    if (__get_cpuid(1, &a, &b, &c, &d))
        sig = a;
    unsigned family = (sig >> 8) & 0xF, model = (sig >> 4) & 0xF, stepping = sig & 0xF;
    if (family == 0xF)
        family += (sig >> 20) & 0xFF;
    if (family >= 6)
        model |= ((sig >> 16) & 0xF) << 4;
    char brand[49] = "";
    if (__get_cpuid(0x80000000u, &a, &b, &c, &d) && a >= 0x80000004u) {
        for (unsigned k = 0; k < 3; k++) {
            __get_cpuid(0x80000002u + k, &a, &b, &c, &d);
            memcpy(brand + 16 * k, &a, 4);
            memcpy(brand + 16 * k + 4, &b, 4);
            memcpy(brand + 16 * k + 8, &c, 4);
            memcpy(brand + 16 * k + 12, &d, 4);
        }
        brand[48] = 0;
    }
    const char *bp = brand;
    while (*bp == ' ')
        bp++;
    printf("host CPU: %s family %u (0x%X) model %u (0x%X) stepping %u, signature %08X, \"%s\"\n", vendor, family,
           family, model, model, stepping, sig, bp);
#endif
}

static const char *exclusion_of(const char *op)
{
    for (unsigned k = 0; k < diff_nexclusions; k++)
        if (strcmp(diff_exclusions[k].op, op) == 0)
            return diff_exclusions[k].why;
    return NULL;
}

static int op_index(const char *name)
{
    for (unsigned k = 0; k < diff_nops; k++)
        if (strcmp(diff_op_names[k], name) == 0)
            return (int)k;
    return -1;
}

static void usage(void)
{
    fprintf(stderr, "usage: diffcheck [--child PATH] [--child64 PATH] [--mode auto|32|64] [--cases N] "
                    "[--only SUBSTRING] [--seed N] [--details N] [--mutate] [-v]\n"
                    "  --child    the 32-bit child (default: diff-child beside this program)\n"
                    "  --child64  the 64-bit child (default: diff-child64 beside this program)\n"
                    "  --mode     auto: the 32-bit child where the host runs it, else the 64-bit one;\n"
                    "             32 or 64: that child only\n"
                    "  --mutate   self-test: Popek runs each case with one bit of EAX flipped\n");
}

/* path, or `name` in the directory of argv0. */
static const char *beside(char *buf, size_t n, const char *argv0, const char *name)
{
    snprintf(buf, n, "%s", argv0);
    char *slash = strrchr(buf, '/');
    if (slash)
        snprintf(slash + 1, n - (size_t)(slash + 1 - buf), "%s", name);
    else
        snprintf(buf, n, "./%s", name);
    return buf;
}

/* CPUID.80000001h:ECX bit 0: LAHF and SAHF are valid in 64-bit mode. */
static bool host_lahf_lm(void)
{
#if HOST_X86
    unsigned a, b, c, d;
    if (__get_cpuid(0x80000000u, &a, &b, &c, &d) && a >= 0x80000001u && __get_cpuid(0x80000001u, &a, &b, &c, &d))
        return c & 1;
#endif
    return false;
}

int main(int argc, char **argv)
{
    const char *child_path = NULL, *child64_path = NULL;
    int mode = 0; /* 0 auto, 32, 64 */
    bool cases_given = false;
    for (int k = 1; k < argc; k++) {
        if (strcmp(argv[k], "--child") == 0 && k + 1 < argc) {
            child_path = argv[++k];
        } else if (strcmp(argv[k], "--child64") == 0 && k + 1 < argc) {
            child64_path = argv[++k];
        } else if (strcmp(argv[k], "--mode") == 0 && k + 1 < argc) {
            const char *v = argv[++k];
            mode = strcmp(v, "32") == 0 ? 32 : strcmp(v, "64") == 0 ? 64 : strcmp(v, "auto") == 0 ? 0 : -1;
            if (mode < 0) {
                usage();
                return 2;
            }
        } else if (strcmp(argv[k], "--cases") == 0 && k + 1 < argc) {
            opt_cases = (unsigned)strtoul(argv[++k], NULL, 0);
            cases_given = true;
        } else if (strcmp(argv[k], "--only") == 0 && k + 1 < argc) {
            opt_only = argv[++k];
        } else if (strcmp(argv[k], "--seed") == 0 && k + 1 < argc) {
            opt_seed = strtoull(argv[++k], NULL, 0);
        } else if (strcmp(argv[k], "--details") == 0 && k + 1 < argc) {
            opt_details = (unsigned)strtoul(argv[++k], NULL, 0);
        } else if (strcmp(argv[k], "--mutate") == 0) {
            opt_mutate = true;
        } else if (strcmp(argv[k], "-v") == 0) {
            opt_verbose = true;
        } else {
            usage();
            return 2;
        }
    }
    setvbuf(stdout, NULL, _IOLBF, 0);
#if defined(__linux__)
    const bool linux_host = true;
#else
    const bool linux_host = false;
#endif
    if (!HOST_X86 || !linux_host) {
        printf("diffcheck: skipped: the host is not x86 Linux, so there is no native CPU to compare with\n");
        printf("0 passed, 0 failed\n");
        return 0;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    print_host_cpu();
    signal(SIGPIPE, SIG_IGN);

    /* Every operation of ops.def has a form or an exclusion (ESC: the x87 forms). */
    int bad_table = 0;
    for (unsigned k = 0; k < diff_nops; k++) {
        const char *op = diff_op_names[k];
        unsigned nf = 0;
        for (unsigned j = 0; j < diff_nforms; j++)
            nf += strcmp(diff_forms[j].op, op) == 0;
        bool ex = exclusion_of(op) != NULL || strcmp(op, "ESC") == 0;
        if (nf + ex != 1) {
            fprintf(stderr, "diffcheck: ops.def operation %s has %u forms and %s exclusion\n", op, nf, ex ? "an" : "no");
            bad_table = 1;
        }
    }
    for (unsigned j = 0; j < diff_nforms; j++)
        if (op_index(diff_forms[j].op) < 0) {
            fprintf(stderr, "diffcheck: form %s is not an ops.def operation\n", diff_forms[j].op);
            bad_table = 1;
        }
    for (unsigned j = 0; j < diff_nexclusions; j++)
        if (op_index(diff_exclusions[j].op) < 0) {
            fprintf(stderr, "diffcheck: exclusion %s is not an ops.def operation\n", diff_exclusions[j].op);
            bad_table = 1;
        }

    static char buf32[4096], buf64[4096];
    if (!child_path)
        child_path = beside(buf32, sizeof(buf32), argv[0], "diff-child");
    if (!child64_path)
        child64_path = beside(buf64, sizeof(buf64), argv[0], "diff-child64");

    /* Which child: the 32-bit one runs every form; where the kernel cannot
     * execute it, the 64-bit one runs those that behave alike in 64-bit
     * mode. */
    struct child ch = { .path = child_path };
    char why32[600] = "";
    bool started = false;
    if (mode != 64) {
        if (access(child_path, X_OK) != 0)
            snprintf(why32, sizeof(why32), "the 32-bit child %s was not built (%s; gcc -m32 needs gcc-multilib)",
                     child_path, strerror(errno));
        else if (child_start(&ch) == 0)
            started = true;
        else if (ch.exec_errno == ENOEXEC)
            snprintf(why32, sizeof(why32), "this host's kernel cannot run i386 programs (execve %s: %s)", child_path,
                     strerror(ch.exec_errno));
        else if (ch.exec_errno)
            snprintf(why32, sizeof(why32), "cannot run %s: %s", child_path, strerror(ch.exec_errno));
        else
            snprintf(why32, sizeof(why32), "the 32-bit child %s did not start", child_path);
        if (!started && mode == 32) {
            printf("diffcheck: skipped: %s\n0 passed, 0 failed\n", why32);
            return 0;
        }
    } else {
        snprintf(why32, sizeof(why32), "--mode 64");
    }
    if (!started) {
        ch = (struct child){ .path = child64_path };
        if (child_start(&ch) != 0) {
            printf("diffcheck: skipped: no native child runs here: 32-bit: %s; 64-bit: %s\n", why32,
                   ch.exec_errno ? strerror(ch.exec_errno) : "did not start");
            printf("0 passed, 0 failed\n");
            return 0;
        }
    }
    bool lm = ch.hello.bits == 64;
    if (lm)
        printf("host path: the 64-bit child %s, in 64-bit mode (not the 32-bit child: %s); forms that differ in "
               "64-bit mode are not run\n", ch.path, why32);
    else
        printf("host path: the 32-bit child %s, in 32-bit mode (every form)\n", ch.path);
    printf("host selectors: ES=%04X CS=%04X SS=%04X DS=%04X FS=%04X GS=%04X (Popek uses them, CS excepted)\n",
           ch.hello.sel[0], ch.hello.sel[1], ch.hello.sel[2], ch.hello.sel[3], ch.hello.sel[4], ch.hello.sel[5]);

    static struct pk m;
    if (pk_init(&m) != 0) {
        fprintf(stderr, "diffcheck: cannot create the Popek machine\n");
        return 1;
    }
    if (pk_probe(&m, &ch.hello, true)) {
        printf("popek: P6, flat 32-bit protected mode (CR0=00000031), CPL 0\n");
    } else if (pk_probe(&m, &ch.hello, false)) {
        printf("popek: P6, protected mode not usable yet: real mode with flat 32-bit descriptors (CR0=00000030)\n");
    } else {
        fprintf(stderr, "diffcheck: Popek does not run flat 32-bit code in either mode\n");
        return 1;
    }
    m.fpu = pk_has_fpu(&m);

    /* INT1 (ICEBP) is a trap: #DB with EIP after it.  Under some hypervisors
     * the host reports it at the instruction; then the form cannot be compared. */
    const char *int1_quirk = NULL;
    {
        memset(&hbatch[0], 0, sizeof(hbatch[0]));
        hbatch[0].in.code[0] = 0xF1;
        hbatch[0].in.ncode = 1;
        hbatch[0].in.r[4] = DIFF_AREA + 0xC0;
        hbatch[0].in.eflags = 0x202;
        bool died[1];
        if (host_collect(&ch, 1, false, died) == 0 && !died[0] && hres[0].end == DIFF_END_SIGNAL &&
            hres[0].trapno == 1 && hres[0].eip == DIFF_INSN)
            int1_quirk = "this host reports INT1's #DB with EIP at the instruction, not after it "
                         "(a hypervisor's ICEBP intercept; the SDM makes INT1 a trap)";
    }

    unsigned total = 0, failed = 0, short_forms = 0, skipped_cases = 0;
    unsigned need = opt_cases < 1000 ? opt_cases : 1000;
    static struct formstat stats[1024];
    unsigned nstats = 0;
    static struct exclusion not_run[256];
    unsigned nnot_run = 0;
    const char *path = lm ? "x86-64" : "i386";
    const char *no_lahf = lm && !host_lahf_lm()
                              ? "this host's CPU has no LAHF/SAHF in 64-bit mode (CPUID 80000001h:ECX bit 0 clear)"
                              : NULL;
    printf("%-16s %-6s %7s %6s %6s %6s %7s %6s %6s\n", "FORM", "path", "cases", "reg", "mem", "other", "faults", "fail",
           "unrun");
    for (unsigned j = 0; j < diff_nforms; j++) {
        const struct form *f = &diff_forms[j];
        if (opt_only && !strstr(f->op, opt_only))
            continue;
        if (int1_quirk && strcmp(f->op, "INT1") == 0) {
            printf("%-16s skipped: %s\n", f->op, int1_quirk);
            continue;
        }
        const char *lm_why = !lm ? NULL : (no_lahf && (strcmp(f->op, "LAHF") == 0 || strcmp(f->op, "SAHF") == 0))
                                              ? no_lahf : diff_lm_form_reason(f->op);
        if (lm_why) {
            printf("%-16s not run on this host: %s\n", f->op, lm_why);
            if (nnot_run < sizeof(not_run) / sizeof(not_run[0]))
                not_run[nnot_run++] = (struct exclusion){ f->op, lm_why };
            continue;
        }
        struct formstat *fs = &stats[nstats++];
        fs->name = f->op;
        if (run_form(&ch, &m, f, NULL, fs, op_index(f->op)) != 0)
            return 1;
        printf("%-16s %-6s %7u %6u %6u %6u %7u %6u %6u\n", fs->name, path, fs->cases, fs->var[VAR_REG],
               fs->var[VAR_MEM], fs->var[VAR_NONE], fs->faults, fs->fails, fs->skips);
        total += fs->cases;
        failed += fs->fails;
        skipped_cases += fs->skips;
        if (fs->cases < need)
            short_forms++;
    }

    /* x87 */
    unsigned x87_run = 0;
    if (m.fpu) {
        for (unsigned j = 0; j < diff_nx87_forms; j++) {
            const struct x87_form *xf = &diff_x87_forms[j];
            if (opt_only && !strstr(xf->name, opt_only))
                continue;
            struct formstat *fs = &stats[nstats++];
            fs->name = xf->name;
            if (run_form(&ch, &m, NULL, xf, fs, op_index("ESC")) != 0)
                return 1;
            printf("%-16s %-6s %7u %6u %6u %6u %7u %6u %6u\n", fs->name, path, fs->cases, fs->var[VAR_REG],
                   fs->var[VAR_MEM], fs->var[VAR_NONE], fs->faults, fs->fails, fs->skips);
            total += fs->cases;
            failed += fs->fails;
            skipped_cases += fs->skips;
            if (fs->cases < need)
                short_forms++;
            x87_run++;
        }
    } else {
        printf("x87: %u forms (D8-DF, register and memory operands) pending: Popek's P6 reports no FPU "
               "(CPUID.1:EDX bit 0 clear)\n", diff_nx87_forms);
        if (opt_verbose)
            for (unsigned j = 0; j < diff_nx87_forms; j++)
                printf("  pending: %s (%02X /%u %s)\n", diff_x87_forms[j].name, diff_x87_forms[j].opc,
                       diff_x87_forms[j].digit, diff_x87_forms[j].mem ? "mem" : "reg");
    }
    (void)x87_run;

    printf("\nexcluded (not executable alike by a user process and by Popek at CPL 0; covered elsewhere):\n");
    for (unsigned k = 0; k < diff_nexclusions; k++)
        printf("  %-12s %s\n", diff_exclusions[k].op, diff_exclusions[k].why);
    if (int1_quirk)
        printf("  %-12s %s\n", "INT1", int1_quirk);
    printf("  %-12s %s\n", "ESC", m.fpu ? "run as the x87 forms above" : "x87: pending until the FPU lands");
    if (nnot_run) {
        printf("\nnot run on this host (the 64-bit child; the 32-bit child runs them where the kernel can "
               "execute i386 programs):\n");
        for (unsigned k = 0; k < nnot_run; k++)
            printf("  %-12s %s\n", not_run[k].op, not_run[k].why);
    }
    if (skipped_cases) {
        printf("\ncases without a 64-bit-mode counterpart, not run (column \"unrun\"; each form still ran at "
               "least %u):\n", need);
        for (unsigned k = 0; k < nstats; k++)
            if (stats[k].skips)
                printf("  %-16s %5u  e.g. %s\n", stats[k].name, stats[k].skips, stats[k].skip_why);
    }
    printf("not generated: 67h (16-bit addressing) with memory operands, which a 32-bit process cannot reach "
           "below 64 KiB (SingleStepTests); PUSH CS / MOV r/m,CS (the CS selector differs); 16-bit BSWAP "
           "(undefined result); INT 80h\n");

    bool any = false;
    for (unsigned k = 0; k < nstats; k++)
        if (stats[k].details) {
            if (!any)
                printf("\nmismatches (first %u per form):\n", opt_details);
            any = true;
            fputs(stats[k].details, stdout);
        }
    child_stop(&ch);
    pk_free(&m);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("\n");
    print_quirks();
    printf("\n%u forms on the %s path, %u cases in %.1f s; child restarts: %u", nstats, path, total, secs,
           ch.restarts);
    if (lm)
        printf("; %u forms not run on this host, %u cases without a counterpart", nnot_run, skipped_cases);
    printf("\n");
    printf("mismatches run again on the host: %u; equal to Popek the second time: %u%s%s%s\n", ch.reruns,
           ch.rerun_fixed, ch.rerun_fixed ? " (the host's result was transient; first in " : "",
           ch.rerun_fixed ? ch.rerun_first : "", ch.rerun_fixed ? ")" : "");
    if (bad_table)
        printf("diffcheck: the form table does not match cpu/ops.def (see above)\n");
    if (short_forms)
        printf("diffcheck: %u forms ran fewer than %u cases\n", short_forms, need);
    (void)cases_given;
    printf("%u passed, %u failed\n", total - failed, failed);
    return failed || short_forms || bad_table ? 1 : 0;
}
