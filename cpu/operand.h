/* Private to cpu/: operand access for the execution handlers — effective
 * addresses, ModRM operands of any size, the stack, near jumps — and the
 * handlers that live outside the main switch (exec.c). */
#ifndef POPEK_CPU_OPERAND_H
#define POPEK_CPU_OPERAND_H

#include "cpu/alu.h"

#define IS_MEM(in) ((in)->flags & I_MEM)
#define BITS_V(in) (((in)->flags & I_O32) ? 32u : 16u)

static ALWAYS_INLINE uint32_t ea_of(const struct cpu *c, const struct insn *in)
{
    uint32_t a = c->gpr[in->base] + (c->gpr[in->index] << in->scale) + in->disp;
    return (in->flags & I_A32) ? a : (a & 0xFFFF);
}

static ALWAYS_INLINE uint32_t get_reg(const struct cpu *c, unsigned r, unsigned bits)
{
    return bits == 8 ? get_r8(c, r) : bits == 16 ? get_r16(c, r) : c->gpr[r];
}
static ALWAYS_INLINE void set_reg(struct cpu *c, unsigned r, uint32_t v, unsigned bits)
{
    if (bits == 8)
        set_r8(c, r, (uint8_t)v);
    else if (bits == 16)
        set_r16(c, r, (uint16_t)v);
    else
        c->gpr[r] = v;
}

/* The r/m operand; addr is ea_of() when the operand is in memory. */
static ALWAYS_INLINE uint32_t rd_e(struct cpu *c, const struct insn *in, uint32_t addr, unsigned bits)
{
    if (IS_MEM(in))
        return mem_read(c, in->seg, addr, bits / 8);
    return get_reg(c, in->rm, bits);
}
static ALWAYS_INLINE void wr_e(struct cpu *c, const struct insn *in, uint32_t addr, uint32_t v, unsigned bits)
{
    if (IS_MEM(in))
        mem_write(c, in->seg, addr, v, bits / 8);
    else
        set_reg(c, in->rm, v, bits);
}

/* ---- stack ------------------------------------------------------------ */
static ALWAYS_INLINE bool stack32(const struct cpu *c)
{
    return (c->seg[S_SS].attr & 0x4000) != 0;
}
static ALWAYS_INLINE uint32_t sp_mask(const struct cpu *c)
{
    return stack32(c) ? 0xFFFFFFFFu : 0xFFFFu;
}
static ALWAYS_INLINE void set_sp(struct cpu *c, uint32_t sp)
{
    if (stack32(c))
        c->gpr[R_ESP] = sp;
    else
        set_r16(c, R_ESP, (uint16_t)sp);
}
static ALWAYS_INLINE void push(struct cpu *c, uint32_t v, unsigned bytes)
{
    uint32_t sp = (c->gpr[R_ESP] - bytes) & sp_mask(c);
    mem_write(c, S_SS, sp, v, bytes);
    set_sp(c, sp);
}
/* Reads the stack at SP + off without moving SP. */
static ALWAYS_INLINE uint32_t stack_peek(struct cpu *c, uint32_t off, unsigned bytes)
{
    return mem_read(c, S_SS, (c->gpr[R_ESP] + off) & sp_mask(c), bytes);
}
static ALWAYS_INLINE void stack_drop(struct cpu *c, uint32_t n)
{
    set_sp(c, (c->gpr[R_ESP] + n) & sp_mask(c));
}
static ALWAYS_INLINE uint32_t pop(struct cpu *c, unsigned bytes)
{
    uint32_t v = stack_peek(c, 0, bytes);
    stack_drop(c, bytes);
    return v;
}

/* Checks a near transfer's target within CS (masked to the operand size)
 * and returns it. */
static ALWAYS_INLINE uint32_t jump_near(struct cpu *c, uint32_t target, bool o32)
{
    if (!o32)
        target &= 0xFFFF;
    if (unlikely(target > c->seg[S_CS].limit) && c->mi->model != CPU_8086)
        cpu_fault(c, EXC_GP, 0);
    return target;
}

static ALWAYS_INLINE bool real_mode(const struct cpu *c)
{
    return !(c->cr0 & 1);
}

/* Loads a data or stack segment register with the checks of the current
 * mode (segment.c). */
void cpu_load_seg(struct cpu *c, int s, uint16_t sel);
void cpu_exec_grp6(struct cpu *c, const struct insn *in);
void cpu_exec_lar_lsl(struct cpu *c, const struct insn *in, bool lsl);
void cpu_exec_arpl(struct cpu *c, const struct insn *in);

/* A push onto a stack given by a segment cache that may not be SS yet
 * (interrupt.c): supervisor privilege, #SS(err) when outside the segment. */
struct stackw {
    const struct cpu_seg *ss;
    uint32_t esp;
    uint32_t err;
};
void cpu_stack_push(struct cpu *c, struct stackw *st, uint32_t v, unsigned bytes);
/* The stack for privilege level dpl from the current TSS (#TS). */
void cpu_tss_stack(struct cpu *c, unsigned dpl, uint16_t *ss, uint32_t *esp, uint32_t ext);
/* Checks a new stack segment for privilege dpl (#TS/#SS). */
void cpu_check_new_ss(struct cpu *c, uint16_t sel, unsigned dpl, struct cpu_seg *out, uint32_t ext);

enum soft_int { SOFT_INTN, SOFT_INT3, SOFT_INT1 };
void cpu_software_interrupt(struct cpu *c, uint8_t vector, uint32_t return_eip, enum soft_int kind);
/* Delivers an external interrupt (INTR) at the current instruction boundary. */
void cpu_hw_interrupt(struct cpu *c, uint8_t vector);

/* Task switches (task.c). */
enum task_switch_kind { TS_JMP, TS_CALL, TS_IRET, TS_INT };
void cpu_task_switch(struct cpu *c, uint16_t sel, enum task_switch_kind kind, uint32_t return_eip, uint32_t ext);
/* #GP(0) unless the I/O permission bitmap allows ports [port, port+size). */
void cpu_check_io(struct cpu *c, uint16_t port, unsigned size);
/* The EFLAGS bits POPF and IRET may change at the current privilege. */
uint32_t cpu_popf_mask(const struct cpu *c);

/* Handlers outside the main switch. */
void cpu_exec_string(struct cpu *c, const struct insn *in);
void cpu_exec_muldiv(struct cpu *c, const struct insn *in);
void cpu_exec_bcd(struct cpu *c, const struct insn *in);
void cpu_exec_system(struct cpu *c, const struct insn *in);
void cpu_exec_bitop(struct cpu *c, const struct insn *in);
void cpu_exec_far(struct cpu *c, const struct insn *in);

#endif
