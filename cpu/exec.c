/* The execution switch: one case per decoded operation (ops.def).  The
 * common integer instructions are handled here inline; strings, multiply/
 * divide, BCD, bit operations, far transfers and system instructions call
 * out to their own files.  Every handler performs all accesses that can
 * fault before it changes any register, so a fault restarts cleanly. */
#include "cpu/operand.h"

/* E op= src, for one of the eight ALU operations. */
static ALWAYS_INLINE void alu_e(struct cpu *c, const struct insn *in, unsigned aop, unsigned bits, uint32_t src)
{
    uint32_t addr = IS_MEM(in) ? ea_of(c, in) : 0;
    uint32_t d = rd_e(c, in, addr, bits);
    uint32_t r = alu(c, aop, d, src & size_mask(bits), bits);
    if (aop != 7)
        wr_e(c, in, addr, r, bits);
}

/* G op= E. */
static ALWAYS_INLINE void alu_g(struct cpu *c, const struct insn *in, unsigned aop, unsigned bits)
{
    uint32_t addr = IS_MEM(in) ? ea_of(c, in) : 0;
    uint32_t s = rd_e(c, in, addr, bits);
    uint32_t r = alu(c, aop, get_reg(c, in->reg, bits), s, bits);
    if (aop != 7)
        set_reg(c, in->reg, r, bits);
}

/* Accumulator op= immediate. */
static ALWAYS_INLINE void alu_a(struct cpu *c, const struct insn *in, unsigned aop, unsigned bits)
{
    uint32_t r = alu(c, aop, get_reg(c, R_EAX, bits), in->imm & size_mask(bits), bits);
    if (aop != 7)
        set_reg(c, R_EAX, r, bits);
}

#define ALU_CASES(N, aop)                                                        \
    case OP_##N##_EbGb: alu_e(c, in, aop, 8, get_r8(c, in->reg)); break;         \
    case OP_##N##_EvGv_w: alu_e(c, in, aop, 16, c->gpr[in->reg]); break;         \
    case OP_##N##_EvGv_d: alu_e(c, in, aop, 32, c->gpr[in->reg]); break;         \
    case OP_##N##_GbEb: alu_g(c, in, aop, 8); break;                             \
    case OP_##N##_GvEv_w: alu_g(c, in, aop, 16); break;                          \
    case OP_##N##_GvEv_d: alu_g(c, in, aop, 32); break;                          \
    case OP_##N##_ALIb: alu_a(c, in, aop, 8); break;                             \
    case OP_##N##_eAXIv_w: alu_a(c, in, aop, 16); break;                         \
    case OP_##N##_eAXIv_d: alu_a(c, in, aop, 32); break;                         \
    case OP_##N##_EbIb: alu_e(c, in, aop, 8, in->imm); break;                    \
    case OP_##N##_EvIv_w:                                                        \
    case OP_##N##_EvIb_w: alu_e(c, in, aop, 16, in->imm); break;                 \
    case OP_##N##_EvIv_d:                                                        \
    case OP_##N##_EvIb_d: alu_e(c, in, aop, 32, in->imm); break;

/* MOVS (0), STOS (1) or LODS (2) without a repeat prefix, inline because
 * loops of single LODSB/STOSB are everywhere in real-mode code.  Repeated
 * forms, and the 286 with its fault quirks, take cpu_exec_string(). */
static ALWAYS_INLINE uint32_t single_string(struct cpu *c, const struct insn *in, uint32_t nip, int kind,
                                            unsigned bytes, uint64_t *icount)
{
    if ((in->flags & (I_REP | I_REPNE)) || c->mi->model == CPU_286) {
        c->next_eip = nip;
        cpu_exec_string(c, in);
        *icount = c->icount; /* repeats count their iterations */
        return c->next_eip; /* a repeat cut short restarts at this instruction */
    }
    bool a32 = in->flags & I_A32;
    uint32_t m = a32 ? 0xFFFFFFFFu : 0xFFFFu;
    uint32_t delta = (c->eflags & F_DF) ? 0u - bytes : bytes;
    uint32_t si = c->gpr[R_ESI] & m, di = c->gpr[R_EDI] & m;
    switch (kind) {
    case 0:
        mem_write(c, S_ES, di, mem_read(c, in->seg, si, bytes), bytes);
        break;
    case 1:
        mem_write(c, S_ES, di, c->gpr[R_EAX], bytes);
        break;
    default:
        set_reg(c, R_EAX, mem_read(c, in->seg, si, bytes), bytes * 8);
        break;
    }
    if (kind != 1) {
        if (a32)
            c->gpr[R_ESI] += delta;
        else
            set_r16(c, R_ESI, (uint16_t)(si + delta));
    }
    if (kind != 2) {
        if (a32)
            c->gpr[R_EDI] += delta;
        else
            set_r16(c, R_EDI, (uint16_t)(di + delta));
    }
    return nip;
}

static ALWAYS_INLINE void test_e(struct cpu *c, const struct insn *in, unsigned bits, uint32_t src)
{
    uint32_t addr = IS_MEM(in) ? ea_of(c, in) : 0;
    lf_logic(c, rd_e(c, in, addr, bits) & src & size_mask(bits), bits);
}

static ALWAYS_INLINE void xchg_e(struct cpu *c, const struct insn *in, unsigned bits)
{
    uint32_t addr = IS_MEM(in) ? ea_of(c, in) : 0;
    uint32_t d = rd_e(c, in, addr, bits);
    wr_e(c, in, addr, get_reg(c, in->reg, bits), bits);
    set_reg(c, in->reg, d, bits);
}

static ALWAYS_INLINE void mov_eg(struct cpu *c, const struct insn *in, unsigned bits, uint32_t v)
{
    uint32_t addr = IS_MEM(in) ? ea_of(c, in) : 0;
    wr_e(c, in, addr, v, bits);
}

static ALWAYS_INLINE uint32_t rd_e_addr(struct cpu *c, const struct insn *in, unsigned bits)
{
    uint32_t addr = IS_MEM(in) ? ea_of(c, in) : 0;
    return rd_e(c, in, addr, bits);
}

static ALWAYS_INLINE void incdec_e(struct cpu *c, const struct insn *in, unsigned bits, bool dec)
{
    uint32_t addr = IS_MEM(in) ? ea_of(c, in) : 0;
    uint32_t d = rd_e(c, in, addr, bits);
    wr_e(c, in, addr, dec ? alu_dec(c, d, bits) : alu_inc(c, d, bits), bits);
}

static ALWAYS_INLINE void unary_e(struct cpu *c, const struct insn *in, unsigned bits, bool neg)
{
    uint32_t addr = IS_MEM(in) ? ea_of(c, in) : 0;
    uint32_t d = rd_e(c, in, addr, bits);
    wr_e(c, in, addr, neg ? alu_neg(c, d, bits) : ~d & size_mask(bits), bits);
}

static ALWAYS_INLINE void shift_e(struct cpu *c, const struct insn *in, unsigned bits, unsigned count)
{
    count &= c->mi->shift_mask;
    uint32_t addr = IS_MEM(in) ? ea_of(c, in) : 0;
    uint32_t d = rd_e(c, in, addr, bits);
    if (count == 0)
        return;
    uint32_t r;
    if (likely(count < bits && in->reg >= 4 && in->reg != 6)) {
        /* SHL, SHR, SAR by less than the width: the common case, inline. */
        unsigned cf;
        if (in->reg == 4) {
            r = (d << count) & size_mask(bits);
            cf = (d >> (bits - count)) & 1;
            lf_set(c, r, bits, cf, msb(r, bits) ^ cf, 0);
        } else if (in->reg == 5) {
            r = d >> count;
            cf = (d >> (count - 1)) & 1;
            lf_set(c, r, bits, cf, count == 1 ? msb(d, bits) : 0, 0);
        } else {
            int32_t sd = (int32_t)sext(d, bits);
            r = (uint32_t)(sd >> count) & size_mask(bits);
            lf_set(c, r, bits, (uint32_t)(sd >> (count - 1)) & 1, 0, 0);
        }
    } else {
        r = cpu_shift(c, in->reg, d, count, bits);
    }
    wr_e(c, in, addr, r, bits);
}

static void shxd_e(struct cpu *c, const struct insn *in, unsigned bits, unsigned count, bool left)
{
    uint32_t addr = IS_MEM(in) ? ea_of(c, in) : 0;
    uint32_t d = rd_e(c, in, addr, bits);
    uint32_t s = get_reg(c, in->reg, bits);
    if ((count & 31) == 0)
        return;
    wr_e(c, in, addr, left ? cpu_shld(c, d, s, count, bits) : cpu_shrd(c, d, s, count, bits), bits);
}

static ALWAYS_INLINE void push_sp_aware(struct cpu *c, unsigned reg, unsigned bytes)
{
    uint32_t v = c->gpr[reg];
    /* The 8086 pushes SP after decrementing it; later chips push the old value. */
    if (reg == R_ESP && !c->mi->push_sp_old)
        v -= bytes;
    push(c, v, bytes);
}

static void pop_ev(struct cpu *c, const struct insn *in, unsigned bits)
{
    unsigned bytes = bits / 8;
    uint32_t v = stack_peek(c, 0, bytes);
    if (IS_MEM(in)) {
        /* An ESP-based address is computed after ESP has been incremented. */
        uint32_t old = c->gpr[R_ESP];
        stack_drop(c, bytes);
        uint32_t addr = ea_of(c, in);
        /* The 286 has already moved SP when the write faults (#GP at offset
         * FFFFh, hardware-captured tests); later chips restore it, so the
         * instruction can be restarted. */
        if (c->mi->model == CPU_286) {
            mem_write(c, in->seg, addr, v, bytes);
            return;
        }
        c->gpr[R_ESP] = old;
        mem_write(c, in->seg, addr, v, bytes);
        stack_drop(c, bytes);
    } else {
        stack_drop(c, bytes);
        set_reg(c, in->rm, v, bits);
    }
}

#define F_VIF 0x80000u
#define F_VIP 0x100000u

/* CLI/STI: IOPL-sensitive in protected and virtual-8086 mode, where
 * CR4.PVI/VME let CPL 3 code change the virtual interrupt flag instead
 * (SDM vol. 3 20.4). */
static void cli_sti(struct cpu *c, bool set)
{
    unsigned iopl = (c->eflags & F_IOPL) >> 12;
    bool allowed = !(c->cr0 & CR0_PE) || (cpu_v86(c) ? iopl == 3 : c->cpl <= iopl);
    if (!allowed) {
        bool virt = cpu_v86(c) ? (c->cr4 & CR4_VME) != 0 : (c->cpl == 3 && (c->cr4 & CR4_PVI));
        if (!virt || (set && (c->eflags & F_VIP)))
            cpu_fault(c, EXC_GP, 0);
        if (set)
            c->eflags |= F_VIF;
        else
            c->eflags &= ~F_VIF;
        return;
    }
    if (set) {
        if (!(c->eflags & F_IF))
            c->inhibit_at = c->icount + 1;
        c->eflags |= F_IF;
    } else {
        c->eflags &= ~F_IF;
    }
}

static void pushf(struct cpu *c, bool o32)
{
    uint32_t f = get_eflags(c);
    if (cpu_v86(c) && (f & F_IOPL) != F_IOPL) {
        if (o32 || !(c->cr4 & CR4_VME))
            cpu_fault(c, EXC_GP, 0);
        /* VME: the image shows VIF as IF and IOPL 3. */
        f = (f & ~F_IF) | ((f & F_VIF) ? F_IF : 0) | F_IOPL;
    }
    if (o32)
        push(c, f & 0x00FCFFFF, 4);
    else
        push(c, f & 0xFFFF, 2);
}

static void popf(struct cpu *c, bool o32)
{
    unsigned bytes = o32 ? 4 : 2;
    uint32_t v = stack_peek(c, 0, bytes);
    uint32_t mask = (o32 ? 0xFFFFFFFFu : 0xFFFFu) & ~(uint32_t)(F_VM | F_RF | F_VIF | F_VIP);
    if (cpu_v86(c)) {
        if ((c->eflags & F_IOPL) != F_IOPL) {
            if (o32 || !(c->cr4 & CR4_VME) || (v & F_TF) || ((v & F_IF) && (c->eflags & F_VIP)))
                cpu_fault(c, EXC_GP, 0);
            stack_drop(c, bytes);
            /* VME: IF in the image goes to VIF; IF and IOPL stay. */
            cpu_write_eflags(c, v, mask & ~(F_IF | F_IOPL));
            c->eflags = (c->eflags & ~F_VIF) | ((v & F_IF) ? F_VIF : 0);
            return;
        }
        mask &= ~F_IOPL;
    } else if (c->cr0 & CR0_PE) {
        mask &= cpu_popf_mask(c);
    }
    stack_drop(c, bytes);
    cpu_write_eflags(c, v, mask);
}

static void pusha(struct cpu *c, unsigned bytes)
{
    uint32_t sp = c->gpr[R_ESP], m = sp_mask(c);
    /* Every slot is checked against SS's limit before the first write (SDM
     * PUSHA: "#SS(0) if the starting or ending stack address is outside
     * the stack segment limit"; in real mode an odd SP of 7 to 15, whose
     * pushes wrap onto offset FFFFh, faults).  A 286 whose pushes would
     * reach FFFFh writes nothing (hardware-captured tests). */
    for (unsigned r = 0; r < 8; r++)
        if (!seg_ok_w(c, S_SS, (sp - (r + 1) * bytes) & m, bytes))
            cpu_limit_fault(c, S_SS);
    for (unsigned r = 0; r < 8; r++)
        mem_write(c, S_SS, (sp - (r + 1) * bytes) & m, c->gpr[r], bytes);
    set_sp(c, (sp - 8 * bytes) & m);
}

static void popa(struct cpu *c, unsigned bytes)
{
    uint32_t v[8];
    for (unsigned r = 0; r < 8; r++)
        v[7 - r] = stack_peek(c, r * bytes, bytes);
    for (unsigned r = 0; r < 8; r++)
        if (r != R_ESP)
            set_reg(c, r, v[r], bytes * 8);
    stack_drop(c, 8 * bytes);
}

static void enter(struct cpu *c, const struct insn *in, unsigned bytes)
{
    unsigned level = in->imm2 & 31;
    uint32_t m = sp_mask(c);
    uint32_t sp = c->gpr[R_ESP];
    uint32_t bp = c->gpr[R_EBP];
    sp = (sp - bytes) & m;
    mem_write(c, S_SS, sp, bp, bytes);
    uint32_t frame = sp;
    if (level > 0) {
        uint32_t bpm = stack32(c) ? 0xFFFFFFFFu : 0xFFFFu;
        for (unsigned i = 1; i < level; i++) {
            bp = (bp - bytes) & bpm;
            uint32_t v = mem_read(c, S_SS, bp, bytes);
            sp = (sp - bytes) & m;
            mem_write(c, S_SS, sp, v, bytes);
        }
        sp = (sp - bytes) & m;
        mem_write(c, S_SS, sp, frame, bytes);
    }
    sp = (sp - in->imm) & m;
    /* The 186+ check the new stack top too (SDM: #SS if it is outside SS). */
    if (c->mi->model != CPU_8086 && in->imm)
        (void)mem_read(c, S_SS, sp, 1);
    set_reg(c, R_EBP, frame, bytes * 8);
    set_sp(c, sp);
}

static void leave(struct cpu *c, unsigned bytes)
{
    uint32_t m = sp_mask(c);
    uint32_t bp = c->gpr[R_EBP] & m;
    uint32_t v = mem_read(c, S_SS, bp, bytes);
    set_sp(c, (bp + bytes) & m);
    set_reg(c, R_EBP, v, bytes * 8);
}

static int seg_of_push_pop(const struct insn *in)
{
    if (in->map == 1)
        return in->opcode < 0xA8 ? S_FS : S_GS;
    return (in->opcode >> 3) & 3;
}

static void load_far_ptr(struct cpu *c, const struct insn *in, int s, unsigned bits)
{
    uint32_t addr = ea_of(c, in);
    uint32_t off = mem_read(c, in->seg, addr, bits / 8);
    uint16_t sel = (uint16_t)mem_read(c, in->seg, (addr + bits / 8) & ((in->flags & I_A32) ? ~0u : 0xFFFFu), 2);
    cpu_load_seg(c, s, sel);
    set_reg(c, in->reg, off, bits);
}

static void in_out(struct cpu *c, uint16_t port, unsigned bytes, bool out)
{
    cpu_check_io(c, port, bytes);
    if (out) {
        bus_out(c->bus, port, get_reg(c, R_EAX, bytes * 8), bytes);
        cpu_check_map(c);
    } else {
        set_reg(c, R_EAX, bus_in(c->bus, port, bytes), bytes * 8);
    }
}

static void bound(struct cpu *c, const struct insn *in, unsigned bits)
{
    uint32_t addr = ea_of(c, in);
    unsigned bytes = bits / 8;
    int32_t lo = (int32_t)sext(mem_read(c, in->seg, addr, bytes), bits);
    int32_t hi = (int32_t)sext(mem_read(c, in->seg, (addr + bytes) & ((in->flags & I_A32) ? ~0u : 0xFFFFu),
                                        bytes), bits);
    int32_t v = (int32_t)sext(get_reg(c, in->reg, bits), bits);
    if (v < lo || v > hi)
        cpu_fault(c, EXC_BR, 0);
}

/* A conditional branch that is taken.  A decoded run goes on past its
 * conditional branches; the fast loop ends it where the EIP an
 * instruction returns is not the next one's. */
static ALWAYS_INLINE uint32_t branch_taken(struct cpu *c, uint32_t target, bool o32)
{
    return jump_near(c, target, o32);
}

static ALWAYS_INLINE uint32_t loop_op(struct cpu *c, const struct insn *in, uint32_t nip, int kind)
{
    bool a32 = in->flags & I_A32;
    uint32_t cnt = a32 ? c->gpr[R_ECX] : get_r16(c, R_ECX);
    bool take;
    if (kind == 3) {
        take = cnt == 0;
    } else {
        cnt = a32 ? cnt - 1 : (cnt - 1) & 0xFFFF;
        take = cnt != 0;
        if (kind == 0)
            take = take && !get_zf(c);
        else if (kind == 1)
            take = take && get_zf(c);
    }
    if (take)
        nip = branch_taken(c, nip + in->imm, in->flags & I_O32);
    if (kind != 3) {
        if (a32)
            c->gpr[R_ECX] = cnt;
        else
            set_r16(c, R_ECX, (uint16_t)cnt);
    }
    return nip;
}

/* MUL and IMUL of 32 bits for the run-only operations, out of line: inline
 * they crowd the registers of the whole switch (callgrind: 30.1 -> 32.1
 * host instructions per guest instruction).  Flags as muldiv.c sets them. */
static NOINLINE void mul32(struct cpu *c, uint32_t v)
{
    uint64_t r = (uint64_t)c->gpr[R_EAX] * v;
    c->gpr[R_EAX] = (uint32_t)r;
    c->gpr[R_EDX] = (uint32_t)(r >> 32);
    lf_set(c, (uint32_t)r, 32, (r >> 32) != 0, (r >> 32) != 0, 0);
}

static NOINLINE uint32_t imul32(struct cpu *c, uint32_t a, uint32_t b)
{
    int64_t r = (int64_t)(int32_t)a * (int32_t)b;
    lf_set(c, (uint32_t)r, 32, r != (int32_t)r, r != (int32_t)r, 0);
    return (uint32_t)r;
}

/* Executes one instruction; nip is the EIP after it unless it transfers
 * control.  Returns the new EIP.  Out-of-line handlers see nip (and change
 * it) as c->next_eip, which also gives the 8086's #DE its return address. */
static ALWAYS_INLINE uint32_t exec_insn(struct cpu *c, const struct insn *in, uint32_t nip, uint64_t *icount)
{
    switch (in->op) {
    ALU_CASES(ADD, 0)
    ALU_CASES(OR, 1)
    ALU_CASES(ADC, 2)
    ALU_CASES(SBB, 3)
    ALU_CASES(AND, 4)
    ALU_CASES(SUB, 5)
    ALU_CASES(XOR, 6)
    ALU_CASES(CMP, 7)

    case OP_TEST_EbGb: test_e(c, in, 8, get_r8(c, in->reg)); break;
    case OP_TEST_EvGv_w: test_e(c, in, 16, c->gpr[in->reg]); break;
    case OP_TEST_EvGv_d: test_e(c, in, 32, c->gpr[in->reg]); break;
    case OP_TEST_ALIb: lf_logic(c, get_r8(c, 0) & in->imm & 0xFF, 8); break;
    case OP_TEST_eAXIv_w: lf_logic(c, c->gpr[R_EAX] & in->imm & 0xFFFF, 16); break;
    case OP_TEST_eAXIv_d: lf_logic(c, c->gpr[R_EAX] & in->imm, 32); break;
    case OP_TEST_EbIb: test_e(c, in, 8, in->imm); break;
    case OP_TEST_EvIv_w: test_e(c, in, 16, in->imm); break;
    case OP_TEST_EvIv_d: test_e(c, in, 32, in->imm); break;

    case OP_XCHG_EbGb: xchg_e(c, in, 8); break;
    case OP_XCHG_EvGv_w: xchg_e(c, in, 16); break;
    case OP_XCHG_EvGv_d: xchg_e(c, in, 32); break;
    case OP_XCHG_eAXr_w: {
        uint16_t t = get_r16(c, in->reg);
        set_r16(c, in->reg, get_r16(c, R_EAX));
        set_r16(c, R_EAX, t);
        break;
    }
    case OP_XCHG_eAXr_d: {
        uint32_t t = c->gpr[in->reg];
        c->gpr[in->reg] = c->gpr[R_EAX];
        c->gpr[R_EAX] = t;
        break;
    }

    case OP_MOV_EbGb: mov_eg(c, in, 8, get_r8(c, in->reg)); break;
    case OP_MOV_EvGv_w: mov_eg(c, in, 16, c->gpr[in->reg]); break;
    case OP_MOV_EvGv_d: mov_eg(c, in, 32, c->gpr[in->reg]); break;
    case OP_MOV_GbEb: set_r8(c, in->reg, (uint8_t)rd_e_addr(c, in, 8)); break;
    case OP_MOV_GvEv_w: set_r16(c, in->reg, (uint16_t)rd_e_addr(c, in, 16)); break;
    case OP_MOV_GvEv_d: c->gpr[in->reg] = rd_e_addr(c, in, 32); break;
    case OP_MOV_EwSw:
        if (IS_MEM(in))
            mem_write(c, in->seg, ea_of(c, in), c->seg[in->reg].sel, 2);
        else if (in->flags & I_O32)
            c->gpr[in->rm] = c->seg[in->reg].sel;
        else
            set_r16(c, in->rm, c->seg[in->reg].sel);
        break;
    case OP_MOV_SwEw: cpu_load_seg(c, in->reg, (uint16_t)rd_e_addr(c, in, 16)); break;
    case OP_MOV_ALOb: set_r8(c, 0, (uint8_t)mem_read(c, in->seg, in->disp, 1)); break;
    case OP_MOV_eAXOv_w: set_r16(c, 0, (uint16_t)mem_read(c, in->seg, in->disp, 2)); break;
    case OP_MOV_eAXOv_d: c->gpr[R_EAX] = mem_read(c, in->seg, in->disp, 4); break;
    case OP_MOV_ObAL: mem_write(c, in->seg, in->disp, get_r8(c, 0), 1); break;
    case OP_MOV_OveAX_w: mem_write(c, in->seg, in->disp, c->gpr[R_EAX], 2); break;
    case OP_MOV_OveAX_d: mem_write(c, in->seg, in->disp, c->gpr[R_EAX], 4); break;
    case OP_MOV_rbIb: set_r8(c, in->reg, (uint8_t)in->imm); break;
    case OP_MOV_rvIv_w: set_r16(c, in->reg, (uint16_t)in->imm); break;
    case OP_MOV_rvIv_d: c->gpr[in->reg] = in->imm; break;
    case OP_MOV_EbIb: mov_eg(c, in, 8, in->imm); break;
    case OP_MOV_EvIv_w: mov_eg(c, in, 16, in->imm); break;
    case OP_MOV_EvIv_d: mov_eg(c, in, 32, in->imm); break;

    case OP_LEA_w:
        if (!IS_MEM(in))
            break; /* 8086 with a register operand: no architectural effect we model */
        set_r16(c, in->reg, (uint16_t)ea_of(c, in));
        break;
    case OP_LEA_d:
        if (IS_MEM(in))
            c->gpr[in->reg] = ea_of(c, in);
        break;
    case OP_LES_w: case OP_LES_d:
        if (IS_MEM(in))
            load_far_ptr(c, in, S_ES, BITS_V(in));
        break;
    case OP_LDS_w: case OP_LDS_d:
        if (IS_MEM(in))
            load_far_ptr(c, in, S_DS, BITS_V(in));
        break;
    case OP_LSS_w: case OP_LSS_d: load_far_ptr(c, in, S_SS, BITS_V(in)); break;
    case OP_LFS_w: case OP_LFS_d: load_far_ptr(c, in, S_FS, BITS_V(in)); break;
    case OP_LGS_w: case OP_LGS_d: load_far_ptr(c, in, S_GS, BITS_V(in)); break;

    case OP_INC_r_w: set_r16(c, in->reg, (uint16_t)alu_inc(c, get_r16(c, in->reg), 16)); break;
    case OP_INC_r_d: c->gpr[in->reg] = alu_inc(c, c->gpr[in->reg], 32); break;
    case OP_DEC_r_w: set_r16(c, in->reg, (uint16_t)alu_dec(c, get_r16(c, in->reg), 16)); break;
    case OP_DEC_r_d: c->gpr[in->reg] = alu_dec(c, c->gpr[in->reg], 32); break;
    case OP_INC_Eb: incdec_e(c, in, 8, false); break;
    case OP_INC_Ev_w: incdec_e(c, in, 16, false); break;
    case OP_INC_Ev_d: incdec_e(c, in, 32, false); break;
    case OP_DEC_Eb: incdec_e(c, in, 8, true); break;
    case OP_DEC_Ev_w: incdec_e(c, in, 16, true); break;
    case OP_DEC_Ev_d: incdec_e(c, in, 32, true); break;
    case OP_NOT_Eb: unary_e(c, in, 8, false); break;
    case OP_NOT_Ev_w: unary_e(c, in, 16, false); break;
    case OP_NOT_Ev_d: unary_e(c, in, 32, false); break;
    case OP_NEG_Eb: unary_e(c, in, 8, true); break;
    case OP_NEG_Ev_w: unary_e(c, in, 16, true); break;
    case OP_NEG_Ev_d: unary_e(c, in, 32, true); break;

    case OP_MUL_Eb: case OP_MUL_Ev_w: case OP_MUL_Ev_d:
    case OP_IMUL_Eb: case OP_IMUL_Ev_w: case OP_IMUL_Ev_d:
    case OP_DIV_Eb: case OP_DIV_Ev_w: case OP_DIV_Ev_d:
    case OP_IDIV_Eb: case OP_IDIV_Ev_w: case OP_IDIV_Ev_d:
    case OP_IMUL_GvEvIv_w: case OP_IMUL_GvEvIv_d: case OP_IMUL_GvEvIb_w: case OP_IMUL_GvEvIb_d:
    case OP_IMUL_GvEv_w: case OP_IMUL_GvEv_d:
        c->next_eip = nip;
        cpu_exec_muldiv(c, in);
        break;

    case OP_SHIFT_Eb1: shift_e(c, in, 8, 1); break;
    case OP_SHIFT_Ev1_w: shift_e(c, in, 16, 1); break;
    case OP_SHIFT_Ev1_d: shift_e(c, in, 32, 1); break;
    case OP_SHIFT_EbCL: shift_e(c, in, 8, get_r8(c, R_ECX)); break;
    case OP_SHIFT_EvCL_w: shift_e(c, in, 16, get_r8(c, R_ECX)); break;
    case OP_SHIFT_EvCL_d: shift_e(c, in, 32, get_r8(c, R_ECX)); break;
    case OP_SHIFT_EbIb: shift_e(c, in, 8, in->imm & 0xFF); break;
    case OP_SHIFT_EvIb_w: shift_e(c, in, 16, in->imm & 0xFF); break;
    case OP_SHIFT_EvIb_d: shift_e(c, in, 32, in->imm & 0xFF); break;
    case OP_SHLD_EvGvIb_w: shxd_e(c, in, 16, in->imm, true); break;
    case OP_SHLD_EvGvIb_d: shxd_e(c, in, 32, in->imm, true); break;
    case OP_SHLD_EvGvCL_w: shxd_e(c, in, 16, get_r8(c, R_ECX), true); break;
    case OP_SHLD_EvGvCL_d: shxd_e(c, in, 32, get_r8(c, R_ECX), true); break;
    case OP_SHRD_EvGvIb_w: shxd_e(c, in, 16, in->imm, false); break;
    case OP_SHRD_EvGvIb_d: shxd_e(c, in, 32, in->imm, false); break;
    case OP_SHRD_EvGvCL_w: shxd_e(c, in, 16, get_r8(c, R_ECX), false); break;
    case OP_SHRD_EvGvCL_d: shxd_e(c, in, 32, get_r8(c, R_ECX), false); break;

    case OP_PUSH_r_w: push_sp_aware(c, in->reg, 2); break;
    case OP_PUSH_r_d: push_sp_aware(c, in->reg, 4); break;
    case OP_POP_r_w: {
        uint32_t v = stack_peek(c, 0, 2);
        stack_drop(c, 2);
        set_r16(c, in->reg, (uint16_t)v);
        break;
    }
    case OP_POP_r_d: {
        uint32_t v = stack_peek(c, 0, 4);
        stack_drop(c, 4);
        c->gpr[in->reg] = v;
        break;
    }
    case OP_PUSH_Ev_w: {
        uint32_t v = rd_e_addr(c, in, 16);
        if (!IS_MEM(in) && in->rm == R_ESP && !c->mi->push_sp_old)
            v -= 2;
        push(c, v, 2);
        break;
    }
    case OP_PUSH_Ev_d: push(c, rd_e_addr(c, in, 32), 4); break;
    case OP_POP_Ev_w: pop_ev(c, in, 16); break;
    case OP_POP_Ev_d: pop_ev(c, in, 32); break;
    case OP_PUSH_Iv_w: case OP_PUSH_Ib_w: push(c, in->imm, 2); break;
    case OP_PUSH_Iv_d: case OP_PUSH_Ib_d: push(c, in->imm, 4); break;
    case OP_PUSH_seg_w: push(c, c->seg[seg_of_push_pop(in)].sel, 2); break;
    case OP_PUSH_seg_d:
        /* A 32-bit push of a segment register writes only the low word on
         * P6-family and earlier Intel chips... but moves ESP by 4. */
        {
            uint32_t sp = (c->gpr[R_ESP] - 4) & sp_mask(c);
            mem_write(c, S_SS, sp, c->seg[seg_of_push_pop(in)].sel, 2);
            set_sp(c, sp);
        }
        break;
    case OP_POP_seg_w: case OP_POP_seg_d: {
        unsigned bytes = in->op == OP_POP_seg_d ? 4 : 2;
        int s = in->map == 0 && in->opcode == 0x0F ? S_CS : seg_of_push_pop(in);
        uint16_t sel = (uint16_t)stack_peek(c, 0, 2);
        /* The stack size is that of the SS the pop reads from: after POP SS
         * the new SS's B bit must not decide how ESP moves (SDM POP: the
         * StackAddrSize of the instruction). */
        bool big = stack32(c);
        uint32_t sp = (c->gpr[R_ESP] + bytes) & (big ? 0xFFFFFFFFu : 0xFFFFu);
        cpu_load_seg(c, s, sel);
        if (big)
            c->gpr[R_ESP] = sp;
        else
            set_r16(c, R_ESP, (uint16_t)sp);
        break;
    }
    case OP_PUSHA_w: pusha(c, 2); break;
    case OP_PUSHA_d: pusha(c, 4); break;
    case OP_POPA_w: popa(c, 2); break;
    case OP_POPA_d: popa(c, 4); break;
    case OP_PUSHF_w: case OP_PUSHF_d: pushf(c, in->op == OP_PUSHF_d); break;
    case OP_POPF_w: case OP_POPF_d: popf(c, in->op == OP_POPF_d); break;
    case OP_SAHF:
        set_arith_flags(c, (get_arith_flags(c) & F_OF) | (get_r8(c, 4) & (F_SF | F_ZF | F_AF | F_PF | F_CF)));
        break;
    case OP_LAHF: set_r8(c, 4, (uint8_t)(get_eflags(c) & 0xFF)); break;
    case OP_ENTER_w: enter(c, in, 2); break;
    case OP_ENTER_d: enter(c, in, 4); break;
    case OP_LEAVE_w: leave(c, 2); break;
    case OP_LEAVE_d: leave(c, 4); break;
    case OP_BOUND_w: bound(c, in, 16); break;
    case OP_BOUND_d: bound(c, in, 32); break;

    case OP_DAA: case OP_DAS: case OP_AAA: case OP_AAS: case OP_AAM: case OP_AAD:
        c->next_eip = nip;
        cpu_exec_bcd(c, in);
        break;
    case OP_SALC: set_r8(c, 0, get_cf(c) ? 0xFF : 0); break;
    case OP_XLAT: {
        uint32_t a = (in->flags & I_A32) ? c->gpr[R_EBX] + get_r8(c, 0) : (get_r16(c, R_EBX) + get_r8(c, 0)) & 0xFFFF;
        set_r8(c, 0, (uint8_t)mem_read(c, in->seg, a, 1));
        break;
    }
    case OP_CBW_w: set_r16(c, R_EAX, (uint16_t)(int16_t)(int8_t)get_r8(c, 0)); break;
    case OP_CBW_d: c->gpr[R_EAX] = (uint32_t)(int32_t)(int16_t)get_r16(c, R_EAX); break;
    case OP_CWD_w: set_r16(c, R_EDX, (get_r16(c, R_EAX) & 0x8000) ? 0xFFFF : 0); break;
    case OP_CWD_d: c->gpr[R_EDX] = (c->gpr[R_EAX] & 0x80000000u) ? 0xFFFFFFFFu : 0; break;

    /* One case per condition, so that each tests its flags directly. */
#define JCC_CASE(cc)                                                   \
    case OP_JO + cc:                                                   \
        if (cond(c, cc))                                               \
            nip = branch_taken(c, nip + in->imm, in->flags & I_O32);   \
        break;
    JCC_CASE(0) JCC_CASE(1) JCC_CASE(2) JCC_CASE(3) JCC_CASE(4) JCC_CASE(5) JCC_CASE(6) JCC_CASE(7)
    JCC_CASE(8) JCC_CASE(9) JCC_CASE(10) JCC_CASE(11) JCC_CASE(12) JCC_CASE(13) JCC_CASE(14) JCC_CASE(15)
#undef JCC_CASE
    case OP_JCC_Jv_w: case OP_JCC_Jv_d:
        if (cond(c, in->opcode & 15))
            nip = branch_taken(c, nip + in->imm, in->flags & I_O32);
        break;
    case OP_JMP_J_w: case OP_JMP_J_d: nip = jump_near(c, nip + in->imm, in->flags & I_O32); break;
    case OP_CALL_J_w: {
        uint32_t target = (nip + in->imm) & 0xFFFF;
        if (target > c->seg[S_CS].limit && c->mi->model != CPU_8086)
            cpu_fault(c, EXC_GP, 0);
        push(c, nip, 2);
        nip = target;
        break;
    }
    case OP_CALL_J_d: {
        uint32_t target = nip + in->imm;
        if (target > c->seg[S_CS].limit)
            cpu_fault(c, EXC_GP, 0);
        push(c, nip, 4);
        nip = target;
        break;
    }
    case OP_JMP_Ev_w: nip = jump_near(c, rd_e_addr(c, in, 16), false); break;
    case OP_JMP_Ev_d: nip = jump_near(c, rd_e_addr(c, in, 32), true); break;
    case OP_CALL_Ev_w: case OP_CALL_Ev_d: {
        unsigned bits = BITS_V(in);
        uint32_t target = rd_e_addr(c, in, bits);
        if (target > c->seg[S_CS].limit && c->mi->model != CPU_8086)
            cpu_fault(c, EXC_GP, 0);
        push(c, nip, bits / 8);
        nip = target;
        break;
    }
    case OP_RET_w: case OP_RET_Iw_w: {
        uint32_t target = stack_peek(c, 0, 2);
        if (target > c->seg[S_CS].limit && c->mi->model != CPU_8086)
            cpu_fault(c, EXC_GP, 0);
        stack_drop(c, 2 + (in->op == OP_RET_Iw_w ? (in->imm & 0xFFFF) : 0));
        nip = target;
        break;
    }
    case OP_RET_d: case OP_RET_Iw_d: {
        uint32_t target = stack_peek(c, 0, 4);
        if (target > c->seg[S_CS].limit)
            cpu_fault(c, EXC_GP, 0);
        stack_drop(c, 4 + (in->op == OP_RET_Iw_d ? (in->imm & 0xFFFF) : 0));
        nip = target;
        break;
    }
    case OP_JMP_Ap_w: case OP_JMP_Ap_d: case OP_CALL_Ap_w: case OP_CALL_Ap_d:
    case OP_JMP_Ep_w: case OP_JMP_Ep_d: case OP_CALL_Ep_w: case OP_CALL_Ep_d:
    case OP_RETF_w: case OP_RETF_d: case OP_RETF_Iw_w: case OP_RETF_Iw_d:
    case OP_IRET_w: case OP_IRET_d: case OP_INT3: case OP_INT_Ib: case OP_INTO: case OP_INT1:
        c->next_eip = nip;
        cpu_exec_far(c, in);
        nip = c->next_eip;
        break;
    case OP_LOOPNE_w: case OP_LOOPNE_d: nip = loop_op(c, in, nip, 0); break;
    case OP_LOOPE_w: case OP_LOOPE_d: nip = loop_op(c, in, nip, 1); break;
    case OP_LOOP_w: case OP_LOOP_d: nip = loop_op(c, in, nip, 2); break;
    case OP_JCXZ_w: case OP_JCXZ_d: nip = loop_op(c, in, nip, 3); break;

    case OP_MOVSB: nip = single_string(c, in, nip, 0, 1, icount); break;
    case OP_MOVS_w: nip = single_string(c, in, nip, 0, 2, icount); break;
    case OP_MOVS_d: nip = single_string(c, in, nip, 0, 4, icount); break;
    case OP_STOSB: nip = single_string(c, in, nip, 1, 1, icount); break;
    case OP_STOS_w: nip = single_string(c, in, nip, 1, 2, icount); break;
    case OP_STOS_d: nip = single_string(c, in, nip, 1, 4, icount); break;
    case OP_LODSB: nip = single_string(c, in, nip, 2, 1, icount); break;
    case OP_LODS_w: nip = single_string(c, in, nip, 2, 2, icount); break;
    case OP_LODS_d: nip = single_string(c, in, nip, 2, 4, icount); break;
    case OP_CMPSB: case OP_CMPS_w: case OP_CMPS_d:
    case OP_SCASB: case OP_SCAS_w: case OP_SCAS_d: case OP_INSB: case OP_INS_w: case OP_INS_d:
    case OP_OUTSB: case OP_OUTS_w: case OP_OUTS_d:
        c->next_eip = nip;
        cpu_exec_string(c, in);
        nip = c->next_eip;
        *icount = c->icount; /* repeats count their iterations */
        break;

    case OP_IN_ALIb: in_out(c, (uint16_t)in->imm, 1, false); break;
    case OP_IN_eAXIb_w: in_out(c, (uint16_t)in->imm, 2, false); break;
    case OP_IN_eAXIb_d: in_out(c, (uint16_t)in->imm, 4, false); break;
    case OP_OUT_IbAL: in_out(c, (uint16_t)in->imm, 1, true); break;
    case OP_OUT_IbeAX_w: in_out(c, (uint16_t)in->imm, 2, true); break;
    case OP_OUT_IbeAX_d: in_out(c, (uint16_t)in->imm, 4, true); break;
    case OP_IN_ALDX: in_out(c, get_r16(c, R_EDX), 1, false); break;
    case OP_IN_eAXDX_w: in_out(c, get_r16(c, R_EDX), 2, false); break;
    case OP_IN_eAXDX_d: in_out(c, get_r16(c, R_EDX), 4, false); break;
    case OP_OUT_DXAL: in_out(c, get_r16(c, R_EDX), 1, true); break;
    case OP_OUT_DXeAX_w: in_out(c, get_r16(c, R_EDX), 2, true); break;
    case OP_OUT_DXeAX_d: in_out(c, get_r16(c, R_EDX), 4, true); break;

    case OP_HLT:
        if (c->cpl != 0)
            cpu_fault(c, EXC_GP, 0);
        c->halted = true;
        cpu_events_raise(c);
        break;
    case OP_CMC: set_cf(c, !get_cf(c)); break;
    case OP_CLC: set_cf(c, 0); break;
    case OP_STC: set_cf(c, 1); break;
    case OP_CLI: cli_sti(c, false); break;
    case OP_STI: cli_sti(c, true); break;
    case OP_CLD: c->eflags &= ~F_DF; break;
    case OP_STD: c->eflags |= F_DF; break;
    case OP_NOP: break;
    case OP_WAIT:
        c->next_eip = nip;
        cpu_exec_fwait(c);
        break;
    case OP_ESC:
        c->next_eip = nip;
        cpu_exec_fpu(c, in);
        break;

    case OP_CMOV_w: case OP_CMOV_d: {
        unsigned bits = BITS_V(in);
        uint32_t v = rd_e_addr(c, in, bits);
        if (cond(c, in->opcode & 15))
            set_reg(c, in->reg, v, bits);
        break;
    }
    case OP_SETCC: mov_eg(c, in, 8, cond(c, in->opcode & 15)); break;
    case OP_MOVZX_GvEb_w: set_r16(c, in->reg, (uint16_t)rd_e_addr(c, in, 8)); break;
    case OP_MOVZX_GvEb_d: c->gpr[in->reg] = rd_e_addr(c, in, 8); break;
    case OP_MOVZX_GvEw_w: set_r16(c, in->reg, (uint16_t)rd_e_addr(c, in, 16)); break;
    case OP_MOVZX_GvEw_d: c->gpr[in->reg] = rd_e_addr(c, in, 16); break;
    case OP_MOVSX_GvEb_w: set_r16(c, in->reg, (uint16_t)(int16_t)(int8_t)rd_e_addr(c, in, 8)); break;
    case OP_MOVSX_GvEb_d: c->gpr[in->reg] = (uint32_t)(int32_t)(int8_t)rd_e_addr(c, in, 8); break;
    case OP_MOVSX_GvEw_w: set_r16(c, in->reg, (uint16_t)rd_e_addr(c, in, 16)); break;
    case OP_MOVSX_GvEw_d: c->gpr[in->reg] = (uint32_t)(int32_t)(int16_t)rd_e_addr(c, in, 16); break;
    case OP_BSWAP: {
        uint32_t v = c->gpr[in->reg];
        if (in->flags & I_O32)
            c->gpr[in->reg] = (v >> 24) | ((v >> 8) & 0xFF00) | ((v << 8) & 0xFF0000) | (v << 24);
        else
            set_r16(c, in->reg, 0); /* BSWAP of a 16-bit register: undefined; Intel chips clear it */
        break;
    }

    case OP_BT_EvGv_w: case OP_BT_EvGv_d: case OP_BTS_EvGv_w: case OP_BTS_EvGv_d:
    case OP_BTR_EvGv_w: case OP_BTR_EvGv_d: case OP_BTC_EvGv_w: case OP_BTC_EvGv_d:
    case OP_BT_EvIb_w: case OP_BT_EvIb_d: case OP_BTS_EvIb_w: case OP_BTS_EvIb_d:
    case OP_BTR_EvIb_w: case OP_BTR_EvIb_d: case OP_BTC_EvIb_w: case OP_BTC_EvIb_d:
    case OP_BSF_w: case OP_BSF_d: case OP_BSR_w: case OP_BSR_d:
    case OP_CMPXCHG_EbGb: case OP_CMPXCHG_EvGv_w: case OP_CMPXCHG_EvGv_d: case OP_CMPXCHG8B:
    case OP_XADD_EbGb: case OP_XADD_EvGv_w: case OP_XADD_EvGv_d:
        c->next_eip = nip;
        cpu_exec_bitop(c, in);
        break;

    case OP_GRP6:
        cpu_exec_grp6(c, in);
        break;
    case OP_ARPL:
        cpu_exec_arpl(c, in);
        break;
    case OP_LAR_w: case OP_LAR_d: cpu_exec_lar_lsl(c, in, false); break;
    case OP_LSL_w: case OP_LSL_d: cpu_exec_lar_lsl(c, in, true); break;
    case OP_GRP7: case OP_CLTS: case OP_INVD: case OP_WBINVD:
    case OP_MOV_RdCd: case OP_MOV_CdRd: case OP_MOV_RdDd: case OP_MOV_DdRd:
    case OP_WRMSR: case OP_RDTSC: case OP_RDMSR: case OP_RDPMC: case OP_CPUID:
        c->next_eip = nip;
        cpu_exec_system(c, in);
        break;

    /* Run-only operations (decode.h, enum run_op). */
#define RUN_ALU_CASES(aop)                                                                   \
    case OPR_ALU_rr_d + aop: {                                                               \
        uint32_t r = alu(c, aop, c->gpr[in->rm], c->gpr[in->reg], 32);                       \
        if (aop != 7)                                                                        \
            c->gpr[in->rm] = r;                                                              \
        break;                                                                               \
    }                                                                                        \
    case OPR_ALU_ri_d + aop: {                                                               \
        uint32_t r = alu(c, aop, c->gpr[in->rm], in->imm, 32);                               \
        if (aop != 7)                                                                        \
            c->gpr[in->rm] = r;                                                              \
        break;                                                                               \
    }                                                                                        \
    RUN_ALU_LOAD_CASE(OPR_ALU_load_bd_d + aop, aop, c->gpr[in->base] + in->disp)                \
    RUN_ALU_LOAD_CASE(OPR_ALU_load_sib_d + aop, aop, SIB(in))
#define SIB(in) (c->gpr[(in)->base] + (c->gpr[(in)->index] << (in)->scale) + (in)->disp)
#define RUN_ALU_LOAD_CASE(op, aop, addr)                                                     \
    case op: {                                                                               \
        uint32_t r = alu(c, aop, c->gpr[in->reg], mem_read(c, in->seg, addr, 4), 32);        \
        if (aop != 7)                                                                        \
            c->gpr[in->reg] = r;                                                             \
        break;                                                                               \
    }
    RUN_ALU_CASES(0) RUN_ALU_CASES(1) RUN_ALU_CASES(2) RUN_ALU_CASES(3)
    RUN_ALU_CASES(4) RUN_ALU_CASES(5) RUN_ALU_CASES(6) RUN_ALU_CASES(7)
#undef RUN_ALU_CASES
#undef RUN_ALU_LOAD_CASE
    case OPR_MOV_rr_d: c->gpr[in->rm] = c->gpr[in->reg]; break;
    case OPR_MOV_load_sib_d: c->gpr[in->reg] = mem_read(c, in->seg, SIB(in), 4); break;
    case OPR_MOV_store_sib_d: mem_write(c, in->seg, SIB(in), c->gpr[in->reg], 4); break;
    case OPR_MOVZX_b_sib_d: c->gpr[in->reg] = mem_read(c, in->seg, SIB(in), 1); break;
    case OPR_MOVZX_w_sib_d: c->gpr[in->reg] = mem_read(c, in->seg, SIB(in), 2); break;
    case OPR_LEA_sib_d: c->gpr[in->reg] = SIB(in); break;
#undef SIB
    /* 32-bit operand size: no masking of the target to 16 bits. */
#define RUN_JCC_CASE(cc)                                                      \
    case OPR_JCC_d + cc:                                                      \
        if (cond(c, cc)) {                                                    \
            nip += in->imm;                                                   \
            if (unlikely(nip > c->seg[S_CS].limit))                           \
                cpu_fault(c, EXC_GP, 0);                                      \
        }                                                                     \
        break;
    RUN_JCC_CASE(0) RUN_JCC_CASE(1) RUN_JCC_CASE(2) RUN_JCC_CASE(3) RUN_JCC_CASE(4) RUN_JCC_CASE(5)
    RUN_JCC_CASE(6) RUN_JCC_CASE(7) RUN_JCC_CASE(8) RUN_JCC_CASE(9) RUN_JCC_CASE(10) RUN_JCC_CASE(11)
    RUN_JCC_CASE(12) RUN_JCC_CASE(13) RUN_JCC_CASE(14) RUN_JCC_CASE(15)
#undef RUN_JCC_CASE
    case OPR_JMP_J_d:
        nip += in->imm;
        if (unlikely(nip > c->seg[S_CS].limit))
            cpu_fault(c, EXC_GP, 0);
        break;
    case OPR_JMP_Ev_bd_d: nip = jump_near(c, mem_read(c, in->seg, c->gpr[in->base] + in->disp, 4), true); break;
    case OPR_JMP_Ev_sib_d:
        nip = jump_near(c, mem_read(c, in->seg, c->gpr[in->base] + (c->gpr[in->index] << in->scale) + in->disp, 4),
                        true);
        break;
    case OPR_MUL_r_d: mul32(c, c->gpr[in->rm]); break;
    case OPR_MUL_m_d: mul32(c, mem_read(c, in->seg, c->gpr[in->base] + (c->gpr[in->index] << in->scale) + in->disp, 4)); break;
    case OPR_IMUL_rr_d: c->gpr[in->reg] = imul32(c, c->gpr[in->reg], c->gpr[in->rm]); break;
    case OPR_IMUL_rri_d: c->gpr[in->reg] = imul32(c, c->gpr[in->rm], in->imm); break;
    case OPR_MOVZX_rb_d: c->gpr[in->reg] = get_r8(c, in->rm); break;
    case OPR_MOVZX_rw_d: c->gpr[in->reg] = c->gpr[in->rm] & 0xFFFF; break;
    /* SETcc and CMOVcc per condition; CMOV reads its source whatever the
     * condition (a fault comes either way). */
#define RUN_CC_CASES(cc)                                                                       \
    case OPR_SETCC_r + cc: set_r8(c, in->rm, cond(c, cc)); break;                              \
    case OPR_CMOV_rr_d + cc:                                                                   \
        if (cond(c, cc))                                                                       \
            c->gpr[in->reg] = c->gpr[in->rm];                                                  \
        break;                                                                                 \
    case OPR_CMOV_rm_d + cc: {                                                                 \
        uint32_t v = mem_read(c, in->seg, c->gpr[in->base] + (c->gpr[in->index] << in->scale) + in->disp, 4); \
        if (cond(c, cc))                                                                       \
            c->gpr[in->reg] = v;                                                               \
        break;                                                                                 \
    }
    RUN_CC_CASES(0) RUN_CC_CASES(1) RUN_CC_CASES(2) RUN_CC_CASES(3) RUN_CC_CASES(4) RUN_CC_CASES(5)
    RUN_CC_CASES(6) RUN_CC_CASES(7) RUN_CC_CASES(8) RUN_CC_CASES(9) RUN_CC_CASES(10) RUN_CC_CASES(11)
    RUN_CC_CASES(12) RUN_CC_CASES(13) RUN_CC_CASES(14) RUN_CC_CASES(15)
#undef RUN_CC_CASES
    case OPR_PUSH_r_d:
        if (likely(stack32(c))) {
            mem_write(c, S_SS, c->gpr[R_ESP] - 4, c->gpr[in->reg], 4);
            c->gpr[R_ESP] -= 4;
        } else {
            push(c, c->gpr[in->reg], 4);
        }
        break;
    case OPR_POP_r_d:
        if (likely(stack32(c))) {
            uint32_t v = mem_read(c, S_SS, c->gpr[R_ESP], 4);
            c->gpr[R_ESP] += 4;
            c->gpr[in->reg] = v; /* POP ESP loads what it read */
        } else {
            uint32_t v = stack_peek(c, 0, 4);
            stack_drop(c, 4);
            c->gpr[in->reg] = v;
        }
        break;
    case OPR_CALL_J_d: {
        uint32_t target = nip + in->imm;
        if (unlikely(target > c->seg[S_CS].limit))
            cpu_fault(c, EXC_GP, 0);
        if (likely(stack32(c))) {
            mem_write(c, S_SS, c->gpr[R_ESP] - 4, nip, 4);
            c->gpr[R_ESP] -= 4;
        } else {
            push(c, nip, 4);
        }
        nip = target;
        break;
    }
    case OPR_RET_d: {
        uint32_t target = likely(stack32(c)) ? mem_read(c, S_SS, c->gpr[R_ESP], 4) : stack_peek(c, 0, 4);
        if (unlikely(target > c->seg[S_CS].limit))
            cpu_fault(c, EXC_GP, 0);
        stack_drop(c, 4);
        nip = target;
        break;
    }
    case OPR_TEST_rr_d: lf_logic(c, c->gpr[in->rm] & c->gpr[in->reg], 32); break;
    case OPR_SHL_ri_d: {
        uint32_t d = c->gpr[in->rm], r = d << in->imm, cf = (d >> (32 - in->imm)) & 1;
        lf_set(c, r, 32, cf, (r >> 31) ^ cf, 0);
        c->gpr[in->rm] = r;
        break;
    }
    case OPR_SHR_ri_d: {
        uint32_t d = c->gpr[in->rm], r = d >> in->imm;
        lf_set(c, r, 32, (d >> (in->imm - 1)) & 1, in->imm == 1 ? d >> 31 : 0, 0);
        c->gpr[in->rm] = r;
        break;
    }
    case OPR_SAR_ri_d: {
        int32_t d = (int32_t)c->gpr[in->rm];
        uint32_t r = (uint32_t)(d >> in->imm);
        lf_set(c, r, 32, (uint32_t)(d >> (in->imm - 1)) & 1, 0, 0);
        c->gpr[in->rm] = r;
        break;
    }
    case OPR_ROL_ri_d: {
        uint32_t d = c->gpr[in->rm], r = (d << in->imm) | (d >> (32 - in->imm));
        set_cf_of(c, r & 1, (r >> 31) ^ (r & 1));
        c->gpr[in->rm] = r;
        break;
    }
    case OPR_ROR_ri_d: {
        uint32_t d = c->gpr[in->rm], r = (d >> in->imm) | (d << (32 - in->imm));
        set_cf_of(c, r >> 31, (r >> 31) ^ ((r >> 30) & 1));
        c->gpr[in->rm] = r;
        break;
    }
    case OPR_MOV_load_bd_d: c->gpr[in->reg] = mem_read(c, in->seg, c->gpr[in->base] + in->disp, 4); break;
    case OPR_MOV_store_bd_d: mem_write(c, in->seg, c->gpr[in->base] + in->disp, c->gpr[in->reg], 4); break;
    case OPR_MOVZX_b_bd_d: c->gpr[in->reg] = mem_read(c, in->seg, c->gpr[in->base] + in->disp, 1); break;
    case OPR_MOVZX_w_bd_d: c->gpr[in->reg] = mem_read(c, in->seg, c->gpr[in->base] + in->disp, 2); break;
    case OPR_LEA_bd_d: c->gpr[in->reg] = c->gpr[in->base] + in->disp; break;

    case OP_UD2:
    case OP_INVALID:
        if (c->mi->model == CPU_8086)
            break; /* the 8086 has no #UD; undefined encodings are excluded from its tests */
        cpu_fault(c, EXC_UD, 0);
    case OPR_END: case OPR_STOPPED:
        return nip + 1; /* not the next instruction's EIP: the fast loop leaves */
#if defined(__GNUC__)
    default:
        __builtin_unreachable(); /* the decoder produces only listed ops */
#else
    default:
        cpu_fault(c, EXC_UD, 0);
#endif
    }
    return nip;
}

/* One instruction with the exact instruction count: c->eip equals eip
 * and c->icount is the count before it, and is after it (REP iterations
 * included).  Out of line, so that the count's address does not escape
 * from the fast loop. */
static NOINLINE uint32_t exec_exact(struct cpu *c, const struct insn *in, uint32_t eip)
{
    uint64_t n = c->icount;
    eip = exec_insn(c, in, eip + in->len, &n);
    c->icount = n + 1;
    return eip;
}

/* One instruction in the careful lane: tracing, debug registers,
 * single-step and alignment checks around it.  The fast loop below
 * carries none of this. */
static NOINLINE uint32_t careful_step(struct cpu *c, uint32_t eip, struct insn *scratch)
{
    bool tf = c->eflags & F_TF, rf = c->eflags & F_RF;
    c->db_hits = 0;
    c->int_taken = false;
    if (c->dbg_active && cpu_debug_before(c))
        return eip; /* a debugger's breakpoint: the run stops before it */
    const struct insn *in;
    if (c->resume_valid && eip == c->resume_eip && c->seg[S_CS].base == c->resume_cs_base &&
        c->icmode == c->resume_mode) {
        *scratch = c->resume_in;
        in = scratch;
    } else {
        in = cpu_fetch_insn(c, eip, scratch);
    }
    c->resume_valid = false;
    if (c->trace)
        cpu_trace_insn(c, in);
    c->eip = exec_exact(c, in, eip);
    cpu_debug_after(c, tf, rf);
    return c->eip;
}

/* One instruction outside any decoded run. */
static NOINLINE uint32_t single_step(struct cpu *c, uint32_t eip, struct insn *scratch)
{
    return exec_exact(c, cpu_fetch_insn(c, eip, scratch), eip);
}

enum cpu_exit cpu_run_inner(struct cpu *c)
{
    struct insn scratch;
    /* EIP and the instruction count live in registers.  Checks are paid
     * per decoded run: pending events, the budget, the fetch window and
     * the cache tag.  Inside a run only EIP is stored before each
     * instruction; a fault, which unwinds past this function, rebuilds
     * the count from the run's start (c->blk_n) and that EIP. */
    uint32_t eip = c->eip;
    uint64_t n = c->icount;
    const uint64_t limit = c->run_limit;
    /* Below this count any run fits the budget. */
    const uint64_t limit_run = limit >= BLK_MAX ? limit - BLK_MAX + 1 : 0;
    for (;;) {
        /* A raised event empties the window (cpu_events_raise), so its
         * miss is the one test per run that both need. */
        uint32_t off = eip - c->fp_lo;
        if (unlikely(off >= c->fp_size)) {
            c->blk_cur = NULL;
            if (c->events) {
                /* Interrupts, halts and stops; then, while anything that
                 * needs per-instruction care is on, the careful lane. */
                enum cpu_exit why;
                c->eip = eip;
                c->icount = n;
                if (cpu_check_events(c, &why))
                    return why;
                if (unlikely(n >= limit))
                    return CPU_EXIT_BUDGET;
                eip = c->eip;
                if (!c->events)
                    continue; /* nothing needs care: the fast path */
                eip = careful_step(c, eip, &scratch);
                n = c->icount;
                c->fp_size = 0; /* set up by its fetch, maybe, with events still on */
                continue;
            }
            /* Within the budget only: the window's translation may fault,
             * and that is the next instruction's fetch. */
            if (n < limit) {
                c->eip = eip;
                c->icount = n;
                cpu_fetch_window(c);
                off = eip - c->fp_lo;
            }
        }
        if (likely(off < c->fp_size)) {
            uint64_t tag = c->fp_btag + off;
            struct block *b = &c->blk[blk_hash((uint32_t)tag)];
            if (likely(b->tag == tag) && likely(n < limit_run || n + b->count <= limit)) {
                const struct insn *in = b->ins;
                uint32_t nip;
                c->blk_cur = b;
                c->blk_eip = eip;
                c->blk_n = n;
                /* Until an instruction returns another EIP than the next
                 * one: a taken branch, or the end mark (OPR_END, or
                 * OPR_STOPPED where cpu_run_stop cut the run short).  eip
                 * steps to the next instruction in place. */
                for (;;) {
                    uint64_t unused;
                    c->eip = eip;
                    eip += in->len;
                    nip = exec_insn(c, in, eip, &unused);
                    if (unlikely(nip != eip))
                        break;
                    in++;
                }
                /* blk_cur stays until a path that runs anything else
                 * (the window's miss, a build, the exact-count
                 * instruction) clears it: from a taken branch into the
                 * next run nothing reads it. */
                if (likely(in->op < OPR_END)) {
                    eip = nip; /* a taken branch */
                    n += (uint64_t)(in - b->ins) + 1;
                } else if (in->op == OPR_END) {
                    n += b->nfast;
                    if (b->count != b->nfast) {
                        /* The last instruction, with the exact count. */
                        c->blk_cur = NULL;
                        c->eip = eip;
                        c->icount = n;
                        eip = exec_exact(c, in + 1, eip);
                        n = c->icount;
                    }
                } else {
                    c->blk_cur = NULL;
                    eip -= in->len; /* OPR_STOPPED's address: it kept its length */
                    n += (uint64_t)(in - b->ins);
                }
                continue;
            }
            c->blk_cur = NULL;
            if (b->tag != tag && n < limit && cpu_block_build(c, eip, off, tag, b))
                continue;
        }
        if (unlikely(n >= limit)) {
            c->eip = eip;
            c->icount = n;
            return CPU_EXIT_BUDGET;
        }
        c->eip = eip;
        c->icount = n;
        eip = single_step(c, eip, &scratch);
        n = c->icount;
    }
}
