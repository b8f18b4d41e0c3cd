/* Private to cpu/: the x87 floating-point unit's state and entry point.
 * The FPU executes the D8-DF escape opcodes (and WAIT/FWAIT) for the
 * models that have one.  Its arithmetic is software floating point in
 * portable C (cpu/f80.c, no host long double), so results are the same on
 * every host. */
#ifndef POPEK_CPU_FPU_H
#define POPEK_CPU_FPU_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/f80.h"

struct cpu;
struct insn;

/* Status word bits beyond the exception flags (FE_* in f80.h). */
#define FSW_ES 0x0080u
#define FSW_C0 0x0100u
#define FSW_C1 0x0200u
#define FSW_C2 0x0400u
#define FSW_TOP 0x3800u
#define FSW_C3 0x4000u
#define FSW_B 0x8000u

/* The x87 register file and environment (SDM vol. 1 ch. 8). */
struct fpu {
    bool present;     /* an 8087/287/387 is fitted (the 486 and later always have an FPU) */
    uint16_t cw;      /* control word */
    uint16_t sw;      /* status word; its TOP field is kept in top */
    uint8_t top;      /* the physical register that is ST(0) */
    uint8_t empty;    /* bit i: physical register i is empty (tag 11) */
    struct f80 st[8]; /* physical registers R0-R7 */
    /* The last non-control instruction: its address, opcode (11 bits) and
     * memory operand, for FSTENV/FSAVE and the #MF handler. */
    uint32_t fip, fdp;
    uint16_t fcs, fds, fop;
    /* FERR#: asserted while an unmasked exception is pending with CR0.NE=0
     * (the PC routes it to IRQ13). */
    void (*ferr)(void *opaque, bool level);
    void *ferr_opaque;
    bool ferr_level;
};

/* Resets the FPU as FNINIT does (and as the CPU's reset does). */
void fpu_reset(struct fpu *f);
/* Executes one D8-DF instruction.  Raises #NM/#MF/#UD through cpu_fault. */
void cpu_exec_fpu(struct cpu *c, const struct insn *in);
/* The full tag word as FSTENV stores it (two bits per physical register),
 * and the reverse (only "empty" is kept: the rest follows the values). */
uint16_t fpu_tag_word(const struct fpu *f);
void fpu_apply_tags(struct fpu *f, uint16_t tw);
/* WAIT/FWAIT: checks CR0.MP/TS and delivers a pending unmasked exception. */
void cpu_exec_fwait(struct cpu *c);

#endif
