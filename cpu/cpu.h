/* The CPU backend interface: what the machine and frontends may ask of a
 * CPU.  The interpreter implements it (cpu/interp*.c); a KVM backend will
 * implement the same calls.  Nothing outside cpu/ sees struct cpu's fields. */
#ifndef POPEK_CPU_CPU_H
#define POPEK_CPU_CPU_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct bus;
struct cpu;

enum cpu_model {
    CPU_8086,
    CPU_286,
    CPU_386,
    CPU_486,
    CPU_PENTIUM, /* P54C: family 5 model 2 */
    CPU_P6,      /* Pentium Pro: family 6 model 1 */
    CPU_NMODELS
};

/* General registers in encoding order. */
enum { R_EAX, R_ECX, R_EDX, R_EBX, R_ESP, R_EBP, R_ESI, R_EDI };
/* Segment registers in encoding order. */
enum { S_ES, S_CS, S_SS, S_DS, S_FS, S_GS, S_NSEG };

/* EFLAGS bits. */
#define F_CF 0x0001u
#define F_PF 0x0004u
#define F_AF 0x0010u
#define F_ZF 0x0040u
#define F_SF 0x0080u
#define F_TF 0x0100u
#define F_IF 0x0200u
#define F_DF 0x0400u
#define F_OF 0x0800u
#define F_IOPL 0x3000u
#define F_NT 0x4000u
#define F_RF 0x10000u
#define F_VM 0x20000u
#define F_AC 0x40000u
#define F_ID 0x200000u

/* A segment register with its hidden descriptor cache. */
struct cpu_seg {
    uint16_t sel;
    uint32_t base;
    uint32_t limit; /* byte granular, as the CPU checks it */
    uint16_t attr;  /* descriptor bits 40-47 and 52-55 (type, S, DPL, P, AVL, L, D/B, G) */
};

/* The architectural state a debugger, a test or a savestate reads and writes. */
struct cpu_state {
    uint32_t gpr[8];
    uint32_t eip;
    uint32_t eflags;
    struct cpu_seg seg[S_NSEG];
    struct cpu_seg ldtr, tr;
    uint32_t cr0, cr2, cr3, cr4;
    struct { uint32_t base; uint16_t limit; } gdtr, idtr;
    bool halted;
};

/* Why cpu_run()/cpu_step() returned. */
enum cpu_exit {
    CPU_EXIT_BUDGET,   /* ran the requested number of instructions */
    CPU_EXIT_HALT,     /* HLT executed; with IF=0 and no NMI the CPU is stopped */
    CPU_EXIT_SHUTDOWN, /* triple fault or equivalent: the machine should reset */
    CPU_EXIT_ERROR,    /* an emulator-level problem (e.g. execution from unmapped memory) */
    CPU_EXIT_STOP,     /* cpu_request_stop() was called */
    CPU_EXIT_DEBUG,    /* a debugger's breakpoint or watchpoint was hit (cpu_debug_hit) */
};

const char *cpu_model_name(enum cpu_model m);
/* Parses "8086", "286", "386", "486", "pentium", "p6".  Returns 0 or -1. */
int cpu_parse_model(const char *name, enum cpu_model *out);

/* Creates a CPU attached to bus; it starts in the reset state. */
struct cpu *cpu_create(enum cpu_model model, struct bus *bus);
void cpu_destroy(struct cpu *cpu);
enum cpu_model cpu_model(const struct cpu *cpu);
void cpu_reset(struct cpu *cpu);

/* Runs up to budget instructions (each iteration of a REP string counts as
 * one).  *executed receives how many ran.  Returns at HLT only when
 * interrupts cannot wake the CPU (IF=0); with IF=1 a halted CPU waits for
 * INTR and returns CPU_EXIT_HALT so the caller can advance time. */
enum cpu_exit cpu_run(struct cpu *cpu, uint64_t budget, uint64_t *executed);
/* Executes exactly one whole instruction (a REP string to its end),
 * including delivery of any exception or software interrupt it raises. */
enum cpu_exit cpu_step(struct cpu *cpu);
/* Caps how many instructions the interpreter decodes into one run (1 to
 * 32, the default).  With 1, cpu_step() executes through the same run
 * code as cpu_run(), operand-form specializations included, which lets
 * the single-instruction test harnesses check that code too. */
void cpu_set_run_cap(struct cpu *cpu, unsigned max);
/* Makes a running cpu_run() return CPU_EXIT_STOP at the next instruction boundary. */
void cpu_request_stop(struct cpu *cpu);

void cpu_get_state(const struct cpu *cpu, struct cpu_state *st);
/* Loads state; the decoded-instruction cache and TLB are flushed. */
void cpu_set_state(struct cpu *cpu, const struct cpu_state *st);
/* Fills st->seg[s] as a real-mode load of sel would. */
void cpu_state_real_seg(struct cpu_state *st, int s, uint16_t sel);

/* The x87 state a debugger shows: the environment as FSTENV stores it
 * (ftag two bits per physical register, fstat with TOP) and ST(0)-ST(7)
 * as 80-bit little-endian values, ST(0) first. */
struct cpu_fpu_state {
    uint16_t fctrl, fstat, ftag, fop;
    uint16_t fiseg, foseg;
    uint32_t fioff, fooff;
    uint8_t st[8][10];
};
void cpu_get_fpu_state(const struct cpu *cpu, struct cpu_fpu_state *st);
void cpu_set_fpu_state(struct cpu *cpu, const struct cpu_fpu_state *st);

/* The CPU's section of a savestate (cpu/savestate.c, mem/sv.h), taken at
 * an instruction boundary.  cpu_load checks the model and FPU match and
 * every value it can, flushes what is cached, and touches nothing outside
 * the CPU (the local APIC restores its own base). */
#define CPU_SV_VERSION 1
struct sv_writer;
struct sv_reader;
void cpu_save(const struct cpu *cpu, struct sv_writer *w);
void cpu_load(struct cpu *cpu, struct sv_reader *r, unsigned version);
/* A copy of the CPU as it is, and putting it back (which frees it): how a
 * failed load is undone.  cpu_backup returns NULL without memory. */
struct cpu *cpu_backup(const struct cpu *cpu);
void cpu_restore_backup(struct cpu *cpu, struct cpu *backup);

/* A debugger's breakpoints and watchpoints, kept by the emulator (guest
 * memory is never patched, the guest's DR0-DR7 stay its own).  Execution
 * breakpoints stop before the instruction at a linear address (CS base +
 * EIP) runs; watchpoints stop after the instruction that read or wrote
 * some byte of [lin, lin + len).  Any number of each; cpu_run returns
 * CPU_EXIT_DEBUG at a hit.  The run resumed from a hit (or a cpu_step)
 * does not stop again at the same breakpoint before it moved on.  Unused,
 * they cost the run loop nothing.  insert returns 0 or -errno (-EINVAL,
 * -ENOMEM), remove 0 or -ENOENT. */
enum cpu_watch { CPU_BREAK_EXEC, CPU_WATCH_WRITE, CPU_WATCH_READ, CPU_WATCH_ACCESS };
int cpu_break_insert(struct cpu *cpu, enum cpu_watch kind, uint32_t lin, uint32_t len);
int cpu_break_remove(struct cpu *cpu, enum cpu_watch kind, uint32_t lin, uint32_t len);
void cpu_break_clear(struct cpu *cpu);
/* What made the last cpu_run/cpu_step return CPU_EXIT_DEBUG: the kind,
 * and the breakpoint's address or the watched byte accessed first. */
struct cpu_debug_hit {
    bool hit;
    enum cpu_watch kind;
    uint32_t addr;
};
void cpu_debug_hit(const struct cpu *cpu, struct cpu_debug_hit *hit);
/* What cpu_debug_hit reports from now on (reverse execution arrives at
 * a hit without the CPU stopping there itself). */
void cpu_debug_set_hit(struct cpu *cpu, const struct cpu_debug_hit *hit);
/* Linear to physical through the current paging, for a debugger or a
 * dump: no fault, no accessed or dirty bits; false when not present. */
bool cpu_translate_debug(const struct cpu *cpu, uint32_t lin, uint32_t *phys);
/* Loads segment register s with sel as a debugger asks: in real and
 * virtual-8086 mode base = sel << 4; in protected mode the descriptor is
 * read from the GDT or LDT without side effects (no accessed bit, no
 * fault).  False, with nothing changed, when there is no such descriptor. */
bool cpu_debug_load_seg(struct cpu *cpu, int s, uint16_t sel);

/* The interrupt-request line, and how to get a vector when it is taken. */
void cpu_set_intr(struct cpu *cpu, bool level);
void cpu_set_intr_ack(struct cpu *cpu, uint8_t (*ack)(void *opaque), void *opaque);
void cpu_set_nmi(struct cpu *cpu);
/* The x87's FERR# output: level true while an unmasked floating-point
 * exception is pending with CR0.NE=0 (the PC routes it to IRQ13). */
void cpu_set_ferr(struct cpu *cpu, void (*ferr)(void *opaque, bool level), void *opaque);
/* Told of every successful write to the IA32_APIC_BASE MSR (the machine
 * moves or disables the local APIC device accordingly). */
void cpu_set_apic_base_hook(struct cpu *cpu, void (*fn)(void *opaque, uint32_t value), void *opaque);
/* Fits a math coprocessor (8087, 287 or 387) to an 8086, 286 or 386; the
 * 486 and later always have their FPU.  Call before running. */
void cpu_set_fpu(struct cpu *cpu, bool present);
bool cpu_has_fpu(const struct cpu *cpu);

/* Writes one line per executed instruction to f (NULL turns it off). */
void cpu_set_trace(struct cpu *cpu, FILE *f);
/* Which instructions the trace writes: those at linear addresses in
 * [lo, hi], at the privilege levels whose bits are set in cpl_mask (bit n:
 * CPL n), and no more than max of them (0: no limit). */
struct cpu_trace_filter {
    uint32_t lo, hi;
    unsigned cpl_mask;
    uint64_t max;
    uint64_t from; /* the first instruction count traced */
};
void cpu_set_trace_filter(struct cpu *cpu, const struct cpu_trace_filter *f);
/* A disassembler for the trace's mnemonic column (the frontend's; the
 * core has only its own operation names): writes the instruction at addr
 * (bits 16 or 32) to buf and returns its length, 0 if it cannot. */
typedef unsigned (*cpu_disasm_fn)(void *opaque, unsigned bits, uint32_t addr, const uint8_t *code, size_t len,
                                  char *buf, size_t buflen);
void cpu_set_trace_disasm(struct cpu *cpu, cpu_disasm_fn fn, void *opaque);
/* Diagnostics about the guest, written to f (NULL: none), by kind: */
#define CPU_LOG_GUEST_ERRORS 0x1u /* e.g. execution from unmapped memory, with the registers */
#define CPU_LOG_INT 0x2u          /* every interrupt and exception taken, as QEMU's -d int */
#define CPU_LOG_CPU_RESET 0x4u    /* each reset, with the state before it */
void cpu_set_log(struct cpu *cpu, FILE *f, unsigned mask);
/* Prints registers, flags, segments and the bytes at CS:EIP. */
void cpu_dump(const struct cpu *cpu, FILE *f);
/* A human-readable reason for the last CPU_EXIT_ERROR. */
const char *cpu_error(const struct cpu *cpu);

/* Statistics for benchmarks. */
uint64_t cpu_instructions(const struct cpu *cpu);
/* The time-stamp counter counts executed instructions; time the machine
 * skips while the CPU idles in HLT passes on it too, as ticks. */
void cpu_advance_tsc(struct cpu *cpu, uint64_t ticks);

#endif
