/* String instructions MOVS CMPS STOS LODS SCAS INS OUTS with REP/REPE/REPNE
 * (SDM vol. 2).  A repeated instruction commits its registers after every
 * iteration, so a fault or an interrupt between iterations leaves a state
 * from which the instruction simply restarts. */
#include "cpu/operand.h"

enum str_kind { K_MOVS, K_CMPS, K_STOS, K_LODS, K_SCAS, K_INS, K_OUTS };

static void classify(const struct insn *in, enum str_kind *k, unsigned *bytes)
{
    switch (in->op) {
    case OP_MOVSB: *k = K_MOVS; *bytes = 1; return;
    case OP_MOVS_w: *k = K_MOVS; *bytes = 2; return;
    case OP_MOVS_d: *k = K_MOVS; *bytes = 4; return;
    case OP_CMPSB: *k = K_CMPS; *bytes = 1; return;
    case OP_CMPS_w: *k = K_CMPS; *bytes = 2; return;
    case OP_CMPS_d: *k = K_CMPS; *bytes = 4; return;
    case OP_STOSB: *k = K_STOS; *bytes = 1; return;
    case OP_STOS_w: *k = K_STOS; *bytes = 2; return;
    case OP_STOS_d: *k = K_STOS; *bytes = 4; return;
    case OP_LODSB: *k = K_LODS; *bytes = 1; return;
    case OP_LODS_w: *k = K_LODS; *bytes = 2; return;
    case OP_LODS_d: *k = K_LODS; *bytes = 4; return;
    case OP_SCASB: *k = K_SCAS; *bytes = 1; return;
    case OP_SCAS_w: *k = K_SCAS; *bytes = 2; return;
    case OP_SCAS_d: *k = K_SCAS; *bytes = 4; return;
    case OP_INSB: *k = K_INS; *bytes = 1; return;
    case OP_INS_w: *k = K_INS; *bytes = 2; return;
    case OP_INS_d: *k = K_INS; *bytes = 4; return;
    case OP_OUTSB: *k = K_OUTS; *bytes = 1; return;
    case OP_OUTS_w: *k = K_OUTS; *bytes = 2; return;
    default: *k = K_OUTS; *bytes = 4; return;
    }
}

static ALWAYS_INLINE void advance(struct cpu *c, unsigned r, int32_t delta, bool a32)
{
    if (a32)
        c->gpr[r] += (uint32_t)delta;
    else
        set_r16(c, r, (uint16_t)(c->gpr[r] + (uint32_t)delta));
}

/* One iteration of the operation, registers committed. */
static ALWAYS_INLINE void iterate(struct cpu *c, const struct insn *in, enum str_kind k, unsigned bytes,
                                  int32_t delta, bool a32)
{
    uint32_t m = a32 ? 0xFFFFFFFFu : 0xFFFFu;
    uint32_t si = c->gpr[R_ESI] & m, di = c->gpr[R_EDI] & m;
    unsigned bits = bytes * 8;
    switch (k) {
    case K_MOVS: {
        uint32_t v = mem_read(c, in->seg, si, bytes);
        mem_write(c, S_ES, di, v, bytes);
        advance(c, R_ESI, delta, a32);
        advance(c, R_EDI, delta, a32);
        break;
    }
    case K_CMPS: {
        uint32_t a = mem_read(c, in->seg, si, bytes);
        uint32_t b = mem_read(c, S_ES, di, bytes);
        alu(c, 7, a, b, bits);
        advance(c, R_ESI, delta, a32);
        advance(c, R_EDI, delta, a32);
        break;
    }
    case K_STOS:
        mem_write(c, S_ES, di, get_reg(c, R_EAX, bits), bytes);
        advance(c, R_EDI, delta, a32);
        break;
    case K_LODS:
        set_reg(c, R_EAX, mem_read(c, in->seg, si, bytes), bits);
        advance(c, R_ESI, delta, a32);
        break;
    case K_SCAS: {
        uint32_t b = mem_read(c, S_ES, di, bytes);
        alu(c, 7, get_reg(c, R_EAX, bits), b, bits);
        advance(c, R_EDI, delta, a32);
        break;
    }
    case K_INS: {
        /* Check the destination before reading the port: a faulting INS
         * must not consume device data. */
        (void)mem_read(c, S_ES, di, 1);
        uint32_t v = bus_in(c->bus, get_r16(c, R_EDX), bytes);
        mem_write(c, S_ES, di, v, bytes);
        advance(c, R_EDI, delta, a32);
        break;
    }
    case K_OUTS: {
        uint32_t v = mem_read(c, in->seg, si, bytes);
        bus_out(c->bus, get_r16(c, R_EDX), v, bytes);
        cpu_check_map(c);
        advance(c, R_ESI, delta, a32);
        break;
    }
    }
}

void cpu_exec_string(struct cpu *c, const struct insn *in)
{
    enum str_kind k;
    unsigned bytes;
    classify(in, &k, &bytes);
    bool a32 = in->flags & I_A32;
    int32_t delta = (c->eflags & F_DF) ? -(int32_t)bytes : (int32_t)bytes;
    if (!(in->flags & (I_REP | I_REPNE))) {
        iterate(c, in, k, bytes, delta, a32);
        return;
    }
    bool conditional = k == K_CMPS || k == K_SCAS;
    bool want_zf = (in->flags & I_REP) != 0; /* REPE continues while ZF=1 */
    for (;;) {
        uint32_t cnt = a32 ? c->gpr[R_ECX] : get_r16(c, R_ECX);
        if (cnt == 0)
            return;
        iterate(c, in, k, bytes, delta, a32);
        cnt--;
        if (a32)
            c->gpr[R_ECX] = cnt;
        else
            set_r16(c, R_ECX, (uint16_t)cnt);
        if (conditional && get_zf(c) != want_zf)
            return;
        if (cnt == 0)
            return;
        if (!c->stepping) {
            /* Each iteration counts as an instruction; stop between
             * iterations for the budget or a pending interrupt and restart
             * the instruction later. */
            c->icount++;
            if (c->icount + 1 >= c->run_limit || c->nmi || (c->intr && (c->eflags & F_IF)) ||
                c->stop_req) {
                c->next_eip = c->eip;
                return;
            }
        }
    }
}
