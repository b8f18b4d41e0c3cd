/* Far control transfers and software interrupts in real mode: JMP/CALL far,
 * RETF, IRET, INT n/INT3/INTO/INT1 (SDM vol. 2; real-address-mode
 * operation sections).  Protected-mode forms come with descriptor support. */
#include "cpu/operand.h"

static void far_jump(struct cpu *c, uint16_t sel, uint32_t off, bool o32)
{
    if (!o32)
        off &= 0xFFFF;
    /* The new CS keeps its limit in real mode, so the check can be made
     * before loading it. */
    if (off > c->seg[S_CS].limit && c->mi->model != CPU_8086)
        cpu_fault(c, EXC_GP, 0);
    cpu_load_seg_real(c, S_CS, sel);
    c->next_eip = off;
}

/* Pushes CS and the return offset, writing both before moving SP. */
static void push_far_return(struct cpu *c, unsigned bytes)
{
    uint32_t m = sp_mask(c), sp = c->gpr[R_ESP];
    mem_write(c, S_SS, (sp - bytes) & m, c->seg[S_CS].sel, bytes == 4 ? 4 : 2);
    mem_write(c, S_SS, (sp - 2 * bytes) & m, c->next_eip, bytes);
    set_sp(c, (sp - 2 * bytes) & m);
}

void cpu_exec_far(struct cpu *c, const struct insn *in)
{
    bool o32 = in->flags & I_O32;
    unsigned bytes = o32 ? 4 : 2;
    switch (in->op) {
    case OP_JMP_Ap_w: case OP_JMP_Ap_d:
        far_jump(c, (uint16_t)in->imm2, in->imm, o32);
        break;
    case OP_CALL_Ap_w: case OP_CALL_Ap_d: {
        uint32_t off = o32 ? in->imm : in->imm & 0xFFFF;
        if (off > c->seg[S_CS].limit && c->mi->model != CPU_8086)
            cpu_fault(c, EXC_GP, 0);
        push_far_return(c, bytes);
        far_jump(c, (uint16_t)in->imm2, off, o32);
        break;
    }
    case OP_JMP_Ep_w: case OP_JMP_Ep_d: case OP_CALL_Ep_w: case OP_CALL_Ep_d: {
        if (!IS_MEM(in)) {
            if (c->mi->model != CPU_8086)
                cpu_fault(c, EXC_UD, 0);
            break;
        }
        uint32_t addr = ea_of(c, in);
        uint32_t off = mem_read(c, in->seg, addr, bytes);
        uint16_t sel = (uint16_t)mem_read(c, in->seg, (addr + bytes) & ((in->flags & I_A32) ? ~0u : 0xFFFFu), 2);
        if (!o32)
            off &= 0xFFFF;
        if (off > c->seg[S_CS].limit && c->mi->model != CPU_8086)
            cpu_fault(c, EXC_GP, 0);
        if (in->op == OP_CALL_Ep_w || in->op == OP_CALL_Ep_d)
            push_far_return(c, bytes);
        far_jump(c, sel, off, o32);
        break;
    }
    case OP_RETF_w: case OP_RETF_d: case OP_RETF_Iw_w: case OP_RETF_Iw_d: {
        uint32_t off = stack_peek(c, 0, bytes);
        uint16_t sel = (uint16_t)stack_peek(c, bytes, 2);
        if (!o32)
            off &= 0xFFFF;
        if (off > c->seg[S_CS].limit && c->mi->model != CPU_8086)
            cpu_fault(c, EXC_GP, 0);
        uint32_t extra = (in->op == OP_RETF_Iw_w || in->op == OP_RETF_Iw_d) ? (in->imm & 0xFFFF) : 0;
        stack_drop(c, 2 * bytes + extra);
        far_jump(c, sel, off, o32);
        break;
    }
    case OP_IRET_w: case OP_IRET_d: {
        uint32_t off = stack_peek(c, 0, bytes);
        uint16_t sel = (uint16_t)stack_peek(c, bytes, 2);
        uint32_t fl = stack_peek(c, 2 * bytes, bytes);
        if (!o32)
            off &= 0xFFFF;
        if (off > c->seg[S_CS].limit && c->mi->model != CPU_8086)
            cpu_fault(c, EXC_GP, 0);
        stack_drop(c, 3 * bytes);
        far_jump(c, sel, off, o32);
        if (o32)
            cpu_write_eflags(c, fl, ~(uint32_t)(F_VM | F_RF | 0x180000u /* VIF, VIP */));
        else
            cpu_write_eflags(c, fl, 0xFFFF);
        break;
    }
    case OP_INT3:
        cpu_interrupt_real(c, EXC_BP, c->next_eip);
        break;
    case OP_INT_Ib:
        cpu_interrupt_real(c, (uint8_t)in->imm, c->next_eip);
        break;
    case OP_INTO:
        if (get_of(c))
            cpu_interrupt_real(c, EXC_OF, c->next_eip);
        break;
    case OP_INT1:
        cpu_interrupt_real(c, EXC_DB, c->next_eip);
        break;
    default:
        break;
    }
}
