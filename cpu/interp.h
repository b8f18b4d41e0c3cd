/* Private to cpu/: the interpreter's CPU state and the inline helpers that
 * the decoder and the execution switch share.  Nothing outside cpu/ may
 * include this file. */
#ifndef POPEK_CPU_INTERP_H
#define POPEK_CPU_INTERP_H

#include <setjmp.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "cpu/cpu.h"
#include "cpu/decode.h"
#include "cpu/fpu.h"
#include "mem/bus.h"

#if defined(__GNUC__)
#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define NORETURN __attribute__((noreturn))
#define ALWAYS_INLINE inline __attribute__((always_inline))
#define NOINLINE __attribute__((noinline))
#else
#define likely(x) (x)
#define unlikely(x) (x)
#define NORETURN
#define ALWAYS_INLINE inline
#define NOINLINE
#endif

/* Exception vectors. */
enum {
    EXC_DE = 0, EXC_DB = 1, EXC_NMI = 2, EXC_BP = 3, EXC_OF = 4, EXC_BR = 5, EXC_UD = 6,
    EXC_NM = 7, EXC_DF = 8, EXC_TS = 10, EXC_NP = 11, EXC_SS = 12, EXC_GP = 13, EXC_PF = 14,
    EXC_MF = 16, EXC_AC = 17,
};

/* Control register bits. */
#define CR0_PE 0x00000001u
#define CR0_MP 0x00000002u
#define CR0_EM 0x00000004u
#define CR0_TS 0x00000008u
#define CR0_ET 0x00000010u
#define CR0_NE 0x00000020u
#define CR0_WP 0x00010000u
#define CR0_AM 0x00040000u
#define CR0_NW 0x20000000u
#define CR0_CD 0x40000000u
#define CR0_PG 0x80000000u
#define CR4_VME 0x001u
#define CR4_PVI 0x002u
#define CR4_TSD 0x004u
#define CR4_DE 0x008u
#define CR4_PSE 0x010u
#define CR4_PAE 0x020u
#define CR4_MCE 0x040u
#define CR4_PGE 0x080u
#define CR4_PCE 0x100u

/* Segment descriptor attributes as kept in struct cpu_seg.attr: the access
 * byte (descriptor bits 40-47) in bits 0-7 and bits 52-55 in bits 12-15. */
#define SA_TYPE 0x000Fu
#define SA_ACCESSED 0x0001u
#define SA_RW 0x0002u     /* data: writable; code: readable */
#define SA_DC 0x0004u     /* data: expand-down; code: conforming */
#define SA_CODE 0x0008u
#define SA_S 0x0010u      /* code/data (not system) */
#define SA_DPL 0x0060u
#define SA_P 0x0080u
#define SA_DB 0x4000u
#define SA_G 0x8000u
#define SA_DPL_OF(a) (((a) >> 5) & 3)

/* What differs between the chips a model stands for. */
struct cpu_model_info {
    const char *name;
    enum cpu_model model;
    uint32_t addr_mask;     /* address lines: 20, 24 or 32 */
    uint8_t max_insn_len;   /* 0: no limit (8086 keeps fetching prefixes) */
    uint8_t shift_mask;     /* 0xFF on the 8086 (count not masked), else 0x1F */
    bool push_sp_old;       /* PUSH SP pushes the value before the decrement */
    bool div_fault_next;    /* #DE returns to the next instruction (8086) */
    uint32_t flags_fixed1;  /* FLAGS bits that read as 1 */
    uint32_t flags_mask;    /* FLAGS bits that can be changed at all */
    bool has_cpuid;
    uint32_t cpuid_sig;     /* EAX of leaf 1 */
    uint32_t cpuid_edx;     /* EDX of leaf 1 */
};
extern const struct cpu_model_info cpu_models[CPU_NMODELS];

/* A software TLB entry: linear page -> host page, separately for reads and
 * writes.  A tag of 1 never matches (page tags are 4 KiB aligned). */
#define TLB_BITS 10
#define TLB_SIZE (1u << TLB_BITS)
#define FWIN_SIZE 256 /* fetch windows remembered by linear page (struct cpu, fwin) */
#define TLB_INVALID 1u
struct tlb_entry {
    uint32_t tag_r, tag_w;
    /* A page the entry allows writes to but whose writes must reach the
     * bus, for it holds decoded code: the slow path sends them there
     * without another page walk. */
    uint32_t tag_wc;
    uint32_t phys_page; /* physical address of the page */
    uintptr_t addend;   /* host address of a byte = addend + its linear address */
    bool global;        /* from a global page: survives CR3 writes */
    bool listed;        /* on its TLB's list of used entries */
};

/* Decoded-instruction cache, direct-mapped by physical address. */
#define ICACHE_BITS 14
#define ICACHE_SIZE (1u << ICACHE_BITS)
struct icache_entry {
    uint64_t tag; /* physical address | mode << 32; 0 = invalid */
    struct insn in;
};
/* Decoded runs (block.c): straight-line instructions that start in one
 * 64-byte code granule, decoded together so that the run loop pays its
 * checks (events, budget, fetch window, cache tag) once per run.  All but
 * the last are "fast" (insn_fast); the last may be any instruction, run
 * with the exact instruction count.  Headers are found by hashing the
 * run's physical address; the instructions sit in one arena, emptied with
 * all headers when it fills. */
#define BLK_BITS 16
#define BLK_SIZE (1u << BLK_BITS)
#define BLK_MAX 32                 /* instructions per run */
#define BLK_ARENA (1u << 18)       /* instructions in the arena */
struct block {
    uint64_t tag;             /* like an icache tag; 0 = invalid */
    struct insn *ins;         /* in the arena: nfast, OPR_END, the exact one */
    uint16_t span;            /* bytes from the first instruction's start to the last's end */
    uint8_t nfast;            /* instructions run by the fast loop */
    uint8_t count;            /* nfast, plus 1 if the last needs the exact count */
    uint8_t pad[12];          /* 32 bytes: indexed by a shift */
};
#define BLK_NOTAG (1ull << 40) /* in fp_btag: no run here */
static inline uint32_t blk_hash(uint32_t phys)
{
    /* Distinct slots for the addresses of one KiB (and so of a granule,
     * which the invalidation walks), spread across pages. */
    return (phys ^ (phys >> 10)) & (BLK_SIZE - 1);
}

#define ICMODE_VALID 2u /* mode = ICMODE_VALID | CS default-size bit */
#define ICTAG(phys, mode) ((uint64_t)(phys) | ((uint64_t)(mode) << 32))

/* Segment limits in the form the fast path checks: an access of size n at
 * offset off is allowed when lo <= off and off + n - 1 <= hi. */
struct seg_range {
    uint32_t lo, hi;
};

/* MSR storage (msr.c). */
struct cpu_msrs {
    uint64_t mtrr[28];
    uint64_t mc[20];
    uint64_t p5_mc[2];
    uint64_t mcg_status, mcg_ctl, bios_sign;
    uint64_t perf[4]; /* PERFCTR0/1, EVNTSEL0/1 */
    uint32_t apic_base;
};

struct cpu {
    uint32_t gpr[9]; /* gpr[8] is always 0: the "no register" of an address */
    uint32_t eip;
    uint32_t next_eip; /* during execution: the address after this instruction */
    uint32_t decode_phys; /* physical address of the last decoded instruction */
    /* Lazy arithmetic flags: ZF/SF/PF from lf_res (the result sign-extended
     * to 32 bits), CF = bit 31 of lf_aux, OF = bit 31 ^ bit 30, AF = bit 3,
     * bit 0 flips SF and bits 8-15 flip the parity byte (so that any flag
     * combination can be represented). */
    uint32_t lf_res, lf_aux;
    uint32_t eflags; /* all bits except the six arithmetic ones */

    struct cpu_seg seg[S_NSEG];
    /* Offsets the fast path may read and write without any other check;
     * empty for null, unreadable or unwritable segments, whose accesses
     * then take the slow path and its fault. */
    struct seg_range segr_r[S_NSEG], segr_w[S_NSEG];
    /* The fast path's form of the same: accesses ending before fend_* (an
     * exclusive bound, 64-bit so that 4 GiB fits and a wrap cannot pass)
     * need no other check; 0 sends everything to the slow path, as for
     * expand-down segments. */
    uint64_t fend_r[S_NSEG], fend_w[S_NSEG];
    /* Bit s: segment s has base 0 and reaches 4 GiB (for reading, for
     * writing), so an offset is its linear address and the TLB probe alone
     * decides -- an access that would wrap at 4 GiB crosses a page, which
     * the probe sends to the slow path. */
    uint32_t flat_r, flat_w;
    struct cpu_seg ldtr, tr;
    uint8_t cpl;
    uint32_t cr0, cr2, cr3, cr4;
    uint32_t dr[8];
    bool dbg_active;      /* some DR7 breakpoint is enabled */
    bool dbg_data;        /* ...and some of them are data breakpoints */
    uint32_t db_hits;     /* DR6 B0-B3 bits of data breakpoints hit by this instruction */
    bool int_taken;       /* this instruction delivered an interrupt or exception */
    struct fpu fpu;
    struct cpu_msrs msr;
    FILE *log;              /* cpu_set_log */
    unsigned log_mask;
    unsigned guest_errors;  /* how many were logged */
    void (*apic_base_hook)(void *opaque, uint32_t value);
    void *apic_base_opaque;
    uint64_t tsc_offset;
    struct { uint32_t base; uint16_t limit; } gdtr, idtr;

    const struct cpu_model_info *mi;
    struct bus *bus;
    uint32_t addr_mask; /* model address lines AND the bus's A20 mask */
    uint32_t map_gen;   /* bus->map_gen the TLB was filled under */

    struct tlb_entry tlb[2][TLB_SIZE]; /* [0] supervisor, [1] user */
    struct tlb_entry *tlbp;            /* the one for the current CPL */
    /* The entries filled since they were last flushed, per TLB: a flush
     * clears these, so it costs what the guest used, not the TLB's size. */
    uint16_t tlb_used[2][TLB_SIZE];
    uint16_t tlb_nused[2];
    uint64_t pdpte[4];                 /* PAE: loaded at CR3 writes */
    /* One bit per RAM page: some TLB entry may grant it a fast write path
     * (so marking code there must search the TLB). */
    uint8_t *tlb_wpages;
    /* The fetch window: EIPs in [fp_lo, fp_lo + fp_size) are on one RAM or
     * ROM page whose byte at fp_lo is physical fp_phys, so sequential
     * fetches skip the TLB.  fp_size 0 means "look it up". */
    uint32_t fp_lo, fp_size;
    uint64_t fp_tag; /* cache tag of the byte at fp_lo */
    /* ...and for decoded runs, which are used only where the window reaches
     * its page's end (else a run may extend past CS's limit): there this
     * tag has a bit that no run's tag has. */
    uint64_t fp_btag;
    const uint8_t *fp_host; /* host address of the byte at fp_lo */
    uint32_t icmode; /* cache mode for the current CS */

    /* Interrupts. */
    bool intr;            /* INTR line level */
    bool nmi;             /* NMI latched */
    bool nmi_blocked;     /* an NMI handler runs: further NMIs wait for the next IRET (286 and later) */
    /* A repeated string instruction that a run's end (budget, a stop for
     * a timer) cut between iterations: it resumes as decoded then, even if
     * it overwrote its own bytes meanwhile, as the chip keeps executing the
     * instruction it has.  Only delivering an interrupt or exception makes
     * the CPU fetch it anew (after the handler's IRET). */
    bool resume_valid;
    uint32_t resume_eip, resume_cs_base, resume_mode;
    struct insn resume_in;
    bool halted;
    bool events;          /* any of nmi, intr, stop_req, halted may be set: check them */
    uint64_t inhibit_at;  /* no INTR before the instruction with this icount (STI, MOV SS) */
    uint8_t (*intr_ack)(void *opaque);
    void *intr_opaque;

    /* Exceptions unwind to the run loop with longjmp. */
    jmp_buf env;
    int exc_vector;       /* the fault being raised */
    uint32_t exc_error;
    bool exc_has_error;
    int deliv_vec;        /* exception being delivered, -1: none */
    uint32_t deliv_ext;   /* EXT bit for faults during the current delivery */

    /* Run bookkeeping. */
    uint64_t icount;      /* instructions retired since creation */
    uint64_t run_limit;   /* icount at which cpu_run stops */
    bool stepping;        /* cpu_step: REP strings run to the end */
    bool stop_req;
    enum cpu_exit exit_reason;
    bool exit_now;
    FILE *trace;
    char errmsg[200];

    struct icache_entry icache[ICACHE_SIZE];

    /* Decoded runs (block.c); while one runs, blk_cur is it, entered at
     * EIP blk_eip with count blk_n (a flush under it keeps the entry's
     * instructions and length, and drops its tag). */
    struct block *blk;
    unsigned blk_cap;          /* instructions per run, BLK_MAX unless capped */
    struct insn *blk_arena;
    unsigned blk_used;
    struct block *blk_cur;
    uint32_t blk_eip;
    uint64_t blk_n;

    /* A debugger's breakpoints (debugger.c), last so that the hot fields'
     * offsets stay where they were: linear addresses, sorted; watchpoints;
     * the hit that ended the run; the breakpoint a resumed run starts on
     * (at this icount and address it does not stop again). */
    uint32_t *brk;
    unsigned nbrk, brk_cap;
    struct cpu_watchpoint {
        uint32_t lin, len;
        enum cpu_watch kind;
    } *wp;
    unsigned nwp, wp_cap;
    struct cpu_debug_hit hit;
    bool brk_skip;
    uint32_t brk_skip_lin;
    uint64_t brk_skip_icount;
    unsigned long long logged_ints; /* CPU_LOG_INT's line number (cold: last) */
    struct cpu_trace_filter tfilter; /* which instructions --trace writes */
    uint64_t traced;                 /* how many it wrote */
    FILE *trace_held;                /* the trace until tfilter.from is reached */
    cpu_disasm_fn tdisasm;           /* the trace's disassembler, or NULL */
    void *tdisasm_opaque;

    /* Fetch windows set up before, by linear page: kernel code calls
     * across pages every few dozen instructions, and a window costs a TLB
     * lookup and a bus page.  Valid while fwin_gen is theirs: whatever
     * forgets the window (cpu_fetch_forget) forgets them all. */
    struct fetch_win {
        uint32_t gen, lin; /* lin: the page */
        uint32_t lo, size;
        uint64_t tag, btag;
        const uint8_t *host;
    } fwin[FWIN_SIZE];
    uint32_t fwin_gen;
};

/* ---- general registers ------------------------------------------------ */
static ALWAYS_INLINE uint8_t get_r8(const struct cpu *c, unsigned r)
{
    return (uint8_t)(r < 4 ? c->gpr[r] : c->gpr[r - 4] >> 8);
}
static ALWAYS_INLINE void set_r8(struct cpu *c, unsigned r, uint8_t v)
{
    if (r < 4)
        c->gpr[r] = (c->gpr[r] & 0xFFFFFF00u) | v;
    else
        c->gpr[r - 4] = (c->gpr[r - 4] & 0xFFFF00FFu) | ((uint32_t)v << 8);
}
static ALWAYS_INLINE uint16_t get_r16(const struct cpu *c, unsigned r) { return (uint16_t)c->gpr[r]; }
static ALWAYS_INLINE void set_r16(struct cpu *c, unsigned r, uint16_t v)
{
    c->gpr[r] = (c->gpr[r] & 0xFFFF0000u) | v;
}

/* ---- lazy flags ----------------------------------------------------- */
extern const uint8_t cpu_parity_table[256]; /* 1 when the byte has even parity */

#define LF_CF 0x80000000u
#define LF_PO 0x40000000u /* CF ^ OF */
#define LF_AF 0x00000008u
#define LF_SD 0x00000001u

static ALWAYS_INLINE unsigned get_cf(const struct cpu *c) { return c->lf_aux >> 31; }
static ALWAYS_INLINE unsigned get_of(const struct cpu *c) { return ((c->lf_aux >> 31) ^ (c->lf_aux >> 30)) & 1; }
static ALWAYS_INLINE unsigned get_af(const struct cpu *c) { return (c->lf_aux >> 3) & 1; }
static ALWAYS_INLINE unsigned get_zf(const struct cpu *c) { return c->lf_res == 0; }
static ALWAYS_INLINE unsigned get_sf(const struct cpu *c) { return ((c->lf_res >> 31) ^ c->lf_aux) & 1; }
static ALWAYS_INLINE unsigned get_pf(const struct cpu *c)
{
    return cpu_parity_table[(c->lf_res ^ (c->lf_aux >> 8)) & 0xFF];
}

/* Sets the six arithmetic flags from explicit values. */
static inline void set_arith_flags(struct cpu *c, uint32_t f)
{
    unsigned cf = f & F_CF ? 1 : 0, of = f & F_OF ? 1 : 0, af = f & F_AF ? 1 : 0;
    unsigned zf = f & F_ZF ? 1 : 0, sf = f & F_SF ? 1 : 0, pf = f & F_PF ? 1 : 0;
    c->lf_res = zf ? 0 : 1;
    unsigned natural_pf = zf; /* parity of 0x00 is even, of 0x01 odd */
    c->lf_aux = ((uint32_t)cf << 31) | ((uint32_t)(cf ^ of) << 30) | (af << 3) | sf |
                ((uint32_t)(natural_pf != pf) << 8);
}

static inline uint32_t get_arith_flags(const struct cpu *c)
{
    return (get_cf(c) ? F_CF : 0) | (get_pf(c) ? F_PF : 0) | (get_af(c) ? F_AF : 0) |
           (get_zf(c) ? F_ZF : 0) | (get_sf(c) ? F_SF : 0) | (get_of(c) ? F_OF : 0);
}

#define ARITH_FLAGS (F_CF | F_PF | F_AF | F_ZF | F_SF | F_OF)

static inline uint32_t get_eflags(const struct cpu *c)
{
    return (c->eflags & ~ARITH_FLAGS) | get_arith_flags(c);
}

/* Writes FLAGS/EFLAGS bits selected by mask, honouring what the model can hold. */
void cpu_write_eflags(struct cpu *c, uint32_t val, uint32_t mask);

/* Result flags: r is the result, co the carry-out (or borrow-out) vector. */
static ALWAYS_INLINE uint32_t sext(uint32_t v, unsigned bits)
{
    return bits == 32 ? v : (uint32_t)((int32_t)(v << (32 - bits)) >> (32 - bits));
}
static ALWAYS_INLINE void lf_arith(struct cpu *c, uint32_t r, uint32_t co, unsigned bits)
{
    c->lf_res = sext(r, bits);
    c->lf_aux = ((co << (32 - bits)) & (LF_CF | LF_PO)) | (co & LF_AF);
}
static ALWAYS_INLINE void lf_logic(struct cpu *c, uint32_t r, unsigned bits)
{
    c->lf_res = sext(r, bits);
    c->lf_aux = 0;
}
/* Flags from a result plus explicit CF, OF and AF. */
static ALWAYS_INLINE void lf_set(struct cpu *c, uint32_t r, unsigned bits, unsigned cf, unsigned of,
                                 unsigned af)
{
    c->lf_res = sext(r, bits);
    c->lf_aux = ((uint32_t)cf << 31) | ((uint32_t)(cf ^ of) << 30) | (af ? LF_AF : 0);
}
/* Changes only CF and OF (rotates). */
static ALWAYS_INLINE void set_cf_of(struct cpu *c, unsigned cf, unsigned of)
{
    c->lf_aux = (c->lf_aux & ~(LF_CF | LF_PO)) | ((uint32_t)cf << 31) | ((uint32_t)(cf ^ of) << 30);
}
/* Changes only CF (and keeps OF as it was). */
static inline void set_cf(struct cpu *c, unsigned cf)
{
    unsigned of = get_of(c);
    c->lf_aux = (c->lf_aux & ~(LF_CF | LF_PO)) | ((uint32_t)cf << 31) | ((uint32_t)(cf ^ of) << 30);
}

static ALWAYS_INLINE uint32_t add_co(uint32_t a, uint32_t b, uint32_t r) { return (a & b) | ((a | b) & ~r); }
static ALWAYS_INLINE uint32_t sub_co(uint32_t a, uint32_t b, uint32_t r) { return (~a & b) | (~(a ^ b) & r); }

/* Condition codes 0-15 as in Jcc/SETcc/CMOVcc. */
static ALWAYS_INLINE bool cond(const struct cpu *c, unsigned cc)
{
    bool r;
    switch (cc >> 1) {
    case 0: r = get_of(c); break;
    case 1: r = get_cf(c); break;
    case 2: r = get_zf(c); break;
    case 3: r = get_cf(c) || get_zf(c); break;
    case 4: r = get_sf(c); break;
    case 5: r = get_pf(c); break;
    case 6: r = get_sf(c) != get_of(c); break;
    default: r = get_zf(c) || (get_sf(c) != get_of(c)); break;
    }
    return r ^ (cc & 1);
}

/* ---- exceptions -------------------------------------------------------- */
NORETURN void cpu_fault(struct cpu *c, int vector, uint32_t error_code);
NORETURN void cpu_fault_noerr(struct cpu *c, int vector);
/* Delivers the exception recorded by cpu_fault(); false on shutdown. */
bool cpu_deliver_exception(struct cpu *c);
/* Delivers a real-mode interrupt through the IVT (push FLAGS, CS, IP). */
void cpu_interrupt_real(struct cpu *c, uint8_t vector, uint32_t return_eip);
/* Stops the run with CPU_EXIT_ERROR and a message (an emulator-level problem). */
NORETURN void cpu_error_exit(struct cpu *c, const char *fmt, ...);
/* Something the guest did that a real PC allows but that is almost always
 * a guest bug: logged with the registers when CPU_LOG_GUEST_ERRORS is on
 * (the first few occurrences), otherwise silent.  Execution goes on. */
void cpu_guest_error(struct cpu *c, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

void cpu_debug_changed(struct cpu *c);
/* Before an instruction in the careful lane: instruction breakpoints.
 * True when a debugger's breakpoint stops the run before it. */
bool cpu_debug_before(struct cpu *c);
/* A debugger's breakpoint at the instruction about to run (debugger.c):
 * records the hit and asks the run to stop. */
bool cpu_break_hit(struct cpu *c);
/* A data access checked against a debugger's watchpoints (debugger.c). */
void cpu_watch_access(struct cpu *c, uint32_t lin, unsigned size, bool write);
/* After it: single-step and data-breakpoint traps, RF.  tf and rf are TF
 * and RF as the instruction started. */
void cpu_debug_after(struct cpu *c, bool tf, bool rf);
/* A data access the slow path made, checked against data breakpoints. */
void cpu_debug_data(struct cpu *c, uint32_t lin, unsigned size, bool write);
/* An I/O access, checked against I/O breakpoints (CR4.DE). */
void cpu_debug_io(struct cpu *c, uint16_t port, unsigned size);
/* Alignment checking applies (486+, CR0.AM, EFLAGS.AC, CPL 3). */
static inline bool cpu_ac_active(const struct cpu *c)
{
    return (c->cr0 & CR0_AM) && (c->eflags & F_AC) && c->cpl == 3 && c->mi->model >= CPU_486;
}

/* ---- MSRs (msr.c) ----------------------------------------------------- */
void cpu_msr_reset(struct cpu *c);
bool cpu_rdmsr(struct cpu *c, uint32_t msr, uint64_t *val);
bool cpu_wrmsr(struct cpu *c, uint32_t msr, uint64_t val);

/* ---- memory --------------------------------------------------------- */
/* Empties both TLBs entry by entry (at creation, when nothing is listed). */
void cpu_tlb_init(struct cpu *c);
void cpu_tlb_flush(struct cpu *c);
void cpu_tlb_flush_nonglobal(struct cpu *c);
void cpu_tlb_flush_page(struct cpu *c, uint32_t lin);
bool cpu_load_pdptes(struct cpu *c);
/* Linear to physical for an access by user or supervisor code (#PF). */
uint32_t cpu_translate(struct cpu *c, uint32_t lin, bool write, bool user);
/* The physical address of a code byte at the current privilege, through
 * the TLB (filling it, with the walk's faults, on a miss): the fetch
 * window's translation, which leaving a page needs often. */
uint32_t cpu_translate_fetch(struct cpu *c, uint32_t lin);
void cpu_check_map(struct cpu *c);
uint32_t cpu_read_slow(struct cpu *c, int seg, uint32_t off, unsigned size);
void cpu_write_slow(struct cpu *c, int seg, uint32_t off, uint32_t val, unsigned size);
NORETURN void cpu_limit_fault(struct cpu *c, int seg);
/* Linear (segment already applied) accesses, no limit checks, with the
 * privilege of the current CPL... */
uint32_t cpu_read_lin(struct cpu *c, uint32_t lin, unsigned size);
void cpu_write_lin(struct cpu *c, uint32_t lin, uint32_t val, unsigned size);
/* ...or as the system does (descriptor tables, TSS, privilege-change stacks). */
uint32_t cpu_read_sys(struct cpu *c, uint32_t lin, unsigned size);
void cpu_write_sys(struct cpu *c, uint32_t lin, uint32_t val, unsigned size);
/* Loads a segment register in real mode. */
void cpu_load_seg_real(struct cpu *c, int s, uint16_t sel);

/* ---- descriptors (segment.c) --------------------------------------- */
struct desc {
    uint32_t lo, hi; /* the 8 bytes */
    uint32_t addr;   /* linear address of the descriptor */
};
/* Reads the GDT/LDT descriptor of sel; false when it is outside its table. */
bool cpu_read_descriptor(struct cpu *c, uint16_t sel, struct desc *d);
void cpu_desc_to_seg(const struct desc *d, uint16_t sel, struct cpu_seg *out);
void cpu_set_accessed(struct cpu *c, struct desc *d);
/* Loads CS's cache and sets CPL (and the TLB set that goes with it). */
void cpu_set_cs(struct cpu *c, const struct cpu_seg *cs, unsigned cpl);
void cpu_null_inaccessible_segs(struct cpu *c);
void cpu_update_segr(struct cpu *c, int s);
/* Recomputes what depends on the mode and CPL (segment ranges, TLB set). */
void cpu_mode_changed(struct cpu *c);
static ALWAYS_INLINE bool cpu_protected(const struct cpu *c)
{
    return (c->cr0 & CR0_PE) && !(c->eflags & F_VM);
}
static ALWAYS_INLINE bool cpu_v86(const struct cpu *c)
{
    return (c->cr0 & CR0_PE) && (c->eflags & F_VM);
}

static ALWAYS_INLINE uint32_t ld_le(const uint8_t *p, unsigned size)
{
    switch (size) {
    case 1: return p[0];
    case 2: return (uint32_t)p[0] | ((uint32_t)p[1] << 8);
    default: return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
    }
}
static ALWAYS_INLINE void st_le(uint8_t *p, uint32_t v, unsigned size)
{
    p[0] = (uint8_t)v;
    if (size > 1) {
        p[1] = (uint8_t)(v >> 8);
        if (size > 2) {
            p[2] = (uint8_t)(v >> 16);
            p[3] = (uint8_t)(v >> 24);
        }
    }
}

static ALWAYS_INLINE bool range_ok(const struct seg_range *r, uint32_t off, unsigned size)
{
    uint32_t end = off + (size - 1);
    return off >= r->lo && end <= r->hi && end >= off;
}
static ALWAYS_INLINE bool seg_ok_r(const struct cpu *c, int seg, uint32_t off, unsigned size)
{
    return range_ok(&c->segr_r[seg], off, size);
}
static ALWAYS_INLINE bool seg_ok_w(const struct cpu *c, int seg, uint32_t off, unsigned size)
{
    return range_ok(&c->segr_w[seg], off, size);
}

static ALWAYS_INLINE uint32_t mem_read(struct cpu *c, int seg, uint32_t off, unsigned size)
{
    uint32_t lin;
    if (likely((c->flat_r >> seg) & 1))
        lin = off;
    else if (likely((uint64_t)off + size <= c->fend_r[seg]))
        lin = c->seg[seg].base + off;
    else
        return cpu_read_slow(c, seg, off, size);
    const struct tlb_entry *e = &c->tlbp[(lin >> 12) & (TLB_SIZE - 1)];
    /* The tag of the page holding the access's last byte: an access that
     * crosses a page (or wraps at 4 GiB) cannot match. */
    if (likely(e->tag_r == ((lin + size - 1) & ~0xFFFu)))
        return ld_le((const uint8_t *)(e->addend + lin), size);
    return cpu_read_slow(c, seg, off, size);
}

static ALWAYS_INLINE void mem_write(struct cpu *c, int seg, uint32_t off, uint32_t val, unsigned size)
{
    uint32_t lin;
    if (likely((c->flat_w >> seg) & 1))
        lin = off;
    else if (likely((uint64_t)off + size <= c->fend_w[seg]))
        lin = c->seg[seg].base + off;
    else
        goto slow;
    const struct tlb_entry *e = &c->tlbp[(lin >> 12) & (TLB_SIZE - 1)];
    if (likely(e->tag_w == ((lin + size - 1) & ~0xFFFu))) {
        st_le((uint8_t *)(e->addend + lin), val, size);
        return;
    }
slow:
    cpu_write_slow(c, seg, off, val, size);
}

/* ---- decoded-instruction cache ------------------------------------ */
void cpu_icache_flush(struct cpu *c);
/* Forgets the fetch window (CS, the memory map or the TLB changed). */
void cpu_fetch_invalidate(struct cpu *c);
/* Something needs the loop's attention between instructions.  The fast
 * loop tests only the fetch window per run, so a raised event empties
 * the window too (it stays empty while events is set: the loop empties it
 * again after the careful lane used it), and the window's miss path tests
 * events. */
static inline void cpu_events_raise(struct cpu *c)
{
    c->events = true;
    c->fp_size = 0;
}

/* The fetch window and the remembered ones are stale (the TLB, CS, the
 * map changed). */
static inline void cpu_fetch_forget(struct cpu *c)
{
    c->fp_size = 0;
    if (++c->fwin_gen == 0) { /* a wrapped generation could match an old entry */
        memset(c->fwin, 0, sizeof(c->fwin));
        c->fwin_gen = 1;
    }
}
/* Sets the fetch window for CS:EIP (empty where there is none); a fault
 * translating the page is the instruction fetch's. */
void cpu_fetch_window(struct cpu *c);
uint64_t cpu_code_write_hook(void *opaque, uint32_t page_base, uint64_t granules, uint32_t off, uint32_t len);
/* Marks [phys, phys + len) as decoded code, so that writes to it reach the
 * hook (they leave the TLB's fast path). */
void cpu_mark_code(struct cpu *c, uint32_t phys, unsigned len);
/* Returns the decoded instruction at CS:EIP (decoding it if needed). */
const struct insn *cpu_fetch_insn_slow(struct cpu *c, struct insn *scratch);
/* c->eip must equal eip (the slow path reads it). */
static ALWAYS_INLINE const struct insn *cpu_fetch_insn(struct cpu *c, uint32_t eip, struct insn *scratch)
{
    uint32_t off = eip - c->fp_lo;
    if (likely(off < c->fp_size)) {
        uint64_t tag = c->fp_tag + off;
        const struct icache_entry *e = &c->icache[tag & (ICACHE_SIZE - 1)];
        if (likely(e->tag == tag))
            return &e->in;
    }
    return cpu_fetch_insn_slow(c, scratch);
}

/* ---- decoded runs (block.c) ----------------------------------------- */
bool cpu_block_init(struct cpu *c);
void cpu_block_free(struct cpu *c);
void cpu_block_flush(struct cpu *c);
/* Drops the runs that start in [start, start + len) and overlap the
 * written bytes [w0, w1); true if some other run starts there. */
bool cpu_block_invalidate(struct cpu *c, uint32_t start, uint32_t len, uint64_t w0, uint64_t w1);
/* Decodes the run at eip (offset off into the fetch window, cache tag tag)
 * into b; false if not even its first instruction can be (it then runs
 * on its own, and faults, if it must, in the usual way). */
bool cpu_block_build(struct cpu *c, uint32_t eip, uint32_t off, uint64_t tag, struct block *b);
/* The instruction count while a run executes: from its start and how far
 * into it c->eip is. */
uint64_t cpu_block_icount(const struct cpu *c);
/* The run executing now, if any, ends after the instruction at c->eip:
 * a write to its code, a flush, a debugger's stop. */
void cpu_run_stop(struct cpu *c);

/* ---- execution ------------------------------------------------------ */
/* The interpreter loop with the execution switch (exec.c): runs until the
 * budget is used up or an event ends the run.  Faults unwind past it. */
enum cpu_exit cpu_run_inner(struct cpu *c);
/* Handles c->events at an instruction boundary: stop requests, interrupts,
 * halt.  Returns true (and *why) when the run must end. */
bool cpu_check_events(struct cpu *c, enum cpu_exit *why);
/* Keeps in, a repeat stopped between iterations at c->eip, to resume. */
void cpu_rep_suspend(struct cpu *c, const struct insn *in);
/* Names for the trace and for error messages. */
const char *cpu_op_name(unsigned op);
void cpu_trace_insn(struct cpu *c, const struct insn *in);

#endif
