/* The decoded form of one instruction, as the decoder produces it and the
 * execution switch consumes it (and the decoded-instruction cache keeps). */
#ifndef POPEK_CPU_DECODE_H
#define POPEK_CPU_DECODE_H

#include <stdbool.h>
#include <stdint.h>

enum op {
#define OP(name, mn) OP_##name,
#define OPV(name, mn) OP_##name##_w, OP_##name##_d,
#include "cpu/ops.def"
#undef OP
#undef OPV
    OP_COUNT
};

/* Operations that only decoded runs hold (block.c makes them from the
 * general ones when it copies an instruction into a run): operand forms
 * resolved once, so that the hot cases test nothing at run time.  "rr":
 * 32-bit register to register, destination rm, source reg; "ri": 32-bit
 * register and immediate; "bd": a memory operand at base + disp with
 * 32-bit addressing. */
enum run_op {
    OPR_ALU_rr_d = OP_COUNT,             /* + ALU operation 0-7 */
    OPR_ALU_ri_d = OPR_ALU_rr_d + 8,     /* + ALU operation 0-7 */
    OPR_MOV_rr_d = OPR_ALU_ri_d + 8,
    OPR_TEST_rr_d,
    OPR_SHL_ri_d, OPR_SHR_ri_d, OPR_SAR_ri_d, OPR_ROL_ri_d, OPR_ROR_ri_d, /* imm: a count 1-31 */
    OPR_MOV_load_bd_d, OPR_MOV_store_bd_d, OPR_MOVZX_b_bd_d, OPR_MOVZX_w_bd_d, OPR_LEA_bd_d,
    OPR_ALU_load_bd_d = OPR_LEA_bd_d + 1, /* reg op= [base + disp], + ALU operation 0-7 */
    /* The same with an index ("sib": base + index * scale + disp). */
    OPR_MOV_load_sib_d = OPR_ALU_load_bd_d + 8, OPR_MOV_store_sib_d, OPR_MOVZX_b_sib_d, OPR_MOVZX_w_sib_d,
    OPR_LEA_sib_d,
    OPR_ALU_load_sib_d,                   /* + ALU operation 0-7 */
    OPR_JCC_d = OPR_ALU_load_sib_d + 8,   /* + condition 0-15: a Jcc with a 32-bit operand size */
    OPR_JMP_J_d = OPR_JCC_d + 16,
    /* 32-bit pushes, pops, calls and returns: a 32-bit stack is tested
     * at run time (the general operation runs on a 16-bit one). */
    OPR_PUSH_r_d, OPR_POP_r_d, OPR_CALL_J_d, OPR_RET_d,
    OPR_JMP_Ev_bd_d, OPR_JMP_Ev_sib_d,   /* JMP near through memory */
    OPR_MUL_r_d, OPR_MUL_m_d,            /* MUL r/m32 ("m": 32-bit addressing) */
    OPR_IMUL_rr_d, OPR_IMUL_rri_d,       /* IMUL r32, r32 (, imm) */
    OPR_MOVZX_rb_d, OPR_MOVZX_rw_d,      /* MOVZX r32, r8 / r16 */
    OPR_SETCC_r,                         /* + condition 0-15: SETcc r8 */
    OPR_CMOV_rr_d = OPR_SETCC_r + 16,    /* + condition 0-15 */
    OPR_CMOV_rm_d = OPR_CMOV_rr_d + 16,  /* + condition 0-15, 32-bit addressing */
    /* Not instructions: the entry after a run's last fast instruction,
     * where the fast loop leaves it (length 0), and what cpu_run_stop
     * writes over the rest of a run that must end early. */
    OPR_END = OPR_CMOV_rm_d + 16, OPR_STOPPED,
    OPR_COUNT
};

/* insn.flags */
#define I_O32 0x01    /* 32-bit operand size */
#define I_A32 0x02    /* 32-bit address size */
#define I_MEM 0x04    /* the ModRM operand is in memory */
#define I_REP 0x08    /* F3 */
#define I_REPNE 0x10  /* F2 */
#define I_LOCK 0x20
#define I_NOCACHE 0x40 /* crosses a page or wraps: never kept in the cache */
#define I_SEGOVR 0x80 /* a segment prefix was given */

#define NOREG 8 /* an address component that is absent (gpr[8] is 0) */

struct insn {
    uint16_t op;     /* enum op */
    uint8_t len;     /* bytes, prefixes included */
    uint8_t flags;   /* I_* */
    uint8_t reg;     /* ModRM reg field, or the register in the opcode */
    uint8_t rm;      /* ModRM rm field (a register when !(flags & I_MEM)) */
    uint8_t seg;     /* segment of the memory operand, after any override */
    uint8_t base;    /* address: base register or NOREG */
    uint8_t index;   /* address: index register or NOREG */
    uint8_t scale;   /* address: index shift 0-3 */
    uint8_t opcode;  /* primary opcode byte (second byte for the 0F map) */
    uint8_t map;     /* 0: one-byte map, 1: 0F map */
    uint32_t disp;
    uint32_t imm;
    uint32_t imm2;   /* far pointer selector, ENTER nesting level */
};

struct cpu;
/* Decodes the instruction at CS:EIP into *in.  Faults (#GP for a too-long
 * instruction or a fetch beyond CS's limit, #PF later) unwind as usual. */
void cpu_decode(struct cpu *c, struct insn *in);
/* Decodes the instruction at eip from the avail bytes at host (physical
 * phys) without faulting or touching the TLB: false when it needs more
 * bytes than that, or would not be cacheable. */
bool cpu_decode_probe(struct cpu *c, uint32_t eip, const uint8_t *host, uint32_t phys, unsigned avail,
                      struct insn *in);

#endif
