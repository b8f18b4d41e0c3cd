/* String instructions MOVS CMPS STOS LODS SCAS INS OUTS with REP/REPE/REPNE
 * (SDM vol. 2).  A repeated instruction commits its registers after every
 * iteration, so a fault or an interrupt between iterations leaves a state
 * from which the instruction simply restarts. */
#include <string.h>

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

/* The 286 updates SI, DI and CX before it notices that an access is beyond
 * the segment limit, so its #GP leaves them advanced (hardware-captured
 * tests); emulate that by checking ahead.  Returns normally when the
 * access is allowed. */
static void check_286(struct cpu *c, int seg, uint32_t off, unsigned bytes, unsigned reg, int32_t delta, bool a32)
{
    if (seg_ok_r(c, seg, off, bytes))
        return;
    advance(c, reg, delta, a32);
    cpu_limit_fault(c, seg);
}

/* One iteration of the operation, registers committed. */
static ALWAYS_INLINE void iterate(struct cpu *c, const struct insn *in, enum str_kind k, unsigned bytes,
                                  int32_t delta, bool a32)
{
    uint32_t m = a32 ? 0xFFFFFFFFu : 0xFFFFu;
    uint32_t si = c->gpr[R_ESI] & m, di = c->gpr[R_EDI] & m;
    unsigned bits = bytes * 8;
    if (unlikely(c->mi->model == CPU_286)) {
        /* Each access advances its index register as it is made, so a
         * faulting access leaves it (and those before it) advanced. */
        bool rep = in->flags & (I_REP | I_REPNE);
        switch (k) {
        case K_CMPS: /* reads ES:DI first */
            check_286(c, S_ES, di, bytes, R_EDI, delta, a32);
            if (!seg_ok_r(c, in->seg, si, bytes)) {
                advance(c, R_EDI, delta, a32);
                /* the count-down happens between the two reads */
                if (rep)
                    set_r16(c, R_ECX, (uint16_t)(c->gpr[R_ECX] - 1));
                check_286(c, in->seg, si, bytes, R_ESI, delta, a32);
            }
            break;
        case K_MOVS:
            check_286(c, in->seg, si, bytes, R_ESI, delta, a32);
            if (!seg_ok_w(c, S_ES, di, bytes)) {
                advance(c, R_ESI, delta, a32);
                /* A repeated store that faults has already counted down
                 * the next iteration as well. */
                if (rep)
                    set_r16(c, R_ECX, (uint16_t)(c->gpr[R_ECX] - 1));
                check_286(c, S_ES, di, bytes, R_EDI, delta, a32);
            }
            break;
        case K_STOS: case K_INS:
            if (rep && !seg_ok_w(c, S_ES, di, bytes))
                set_r16(c, R_ECX, (uint16_t)(c->gpr[R_ECX] - 1));
            check_286(c, S_ES, di, bytes, R_EDI, delta, a32);
            break;
        case K_SCAS:
            check_286(c, S_ES, di, bytes, R_EDI, delta, a32);
            break;
        default: /* LODS, OUTS */
            check_286(c, in->seg, si, bytes, R_ESI, delta, a32);
            break;
        }
    }
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
        /* Check the permission and the destination before reading the
         * port: a faulting INS must not consume device data. */
        cpu_check_io(c, get_r16(c, R_EDX), bytes);
        (void)mem_read(c, S_ES, di, 1);
        uint32_t v = bus_in(c->bus, get_r16(c, R_EDX), bytes);
        mem_write(c, S_ES, di, v, bytes);
        advance(c, R_EDI, delta, a32);
        break;
    }
    case K_OUTS: {
        cpu_check_io(c, get_r16(c, R_EDX), bytes);
        uint32_t v = mem_read(c, in->seg, si, bytes);
        bus_out(c->bus, get_r16(c, R_EDX), v, bytes);
        cpu_check_map(c);
        advance(c, R_ESI, delta, a32);
        break;
    }
    }
}

/* Host address of [off, off+len) in segment seg when all of it is on one
 * page the TLB maps for this kind of access; NULL otherwise. */
static uint8_t *block_ptr(struct cpu *c, int seg, uint32_t off, uint32_t len, bool write)
{
    if (write ? !seg_ok_w(c, seg, off, len) : !seg_ok_r(c, seg, off, len))
        return NULL;
    uint32_t lin = c->seg[seg].base + off;
    if ((lin & 0xFFF) + len > 0x1000)
        return NULL;
    const struct tlb_entry *e = &c->tlbp[(lin >> 12) & (TLB_SIZE - 1)];
    if ((write ? e->tag_w : e->tag_r) != (lin & ~0xFFFu)) {
        /* A read through the TLB fills the entry when it is missing. */
        (void)cpu_read_lin(c, lin, 1);
        if ((write ? e->tag_w : e->tag_r) != (lin & ~0xFFFu))
            return NULL;
    }
    return (uint8_t *)(e->addend + lin);
}

/* Runs up to max iterations of a forward REP MOVS/STOS at once when source
 * and destination are plain memory on one page each and do not overlap.
 * Returns the iterations done (0: take the one-at-a-time path). */
static uint32_t block_rep(struct cpu *c, const struct insn *in, enum str_kind k, unsigned bytes,
                          uint32_t max, bool a32)
{
    uint32_t m = a32 ? 0xFFFFFFFFu : 0xFFFFu;
    unsigned shift = bytes >> 1; /* log2 of 1, 2, 4 */
    uint32_t di = c->gpr[R_EDI] & m;
    uint32_t room = 0x1000 - ((c->seg[S_ES].base + di) & 0xFFF);
    uint32_t n = max;
    if (n > room >> shift)
        n = room >> shift;
    if (!a32 && n > (0x10000 - di) >> shift)
        n = (0x10000 - di) >> shift;
    if (n < 2)
        return 0;
    uint32_t len = n << shift;
    uint8_t *dst = block_ptr(c, S_ES, di, len, true);
    if (!dst)
        return 0;
    if (k == K_STOS) {
        uint32_t v = get_reg(c, R_EAX, bytes * 8);
        uint8_t unit[4];
        st_le(unit, v, bytes);
        /* Constant sizes, so that each copy is a single store. */
        if (bytes == 1)
            memset(dst, unit[0], len);
        else if (bytes == 2)
            for (uint32_t i = 0; i < len; i += 2)
                memcpy(dst + i, unit, 2);
        else
            for (uint32_t i = 0; i < len; i += 4)
                memcpy(dst + i, unit, 4);
        advance(c, R_EDI, (int32_t)len, a32);
        return n;
    }
    uint32_t si = c->gpr[R_ESI] & m;
    uint32_t sroom = 0x1000 - ((c->seg[in->seg].base + si) & 0xFFF);
    if (len > sroom || (!a32 && si + len > 0x10000))
        return 0;
    const uint8_t *src = block_ptr(c, in->seg, si, len, false);
    if (!src || (src < dst + len && dst < src + len))
        return 0;
    memcpy(dst, src, len);
    advance(c, R_ESI, (int32_t)len, a32);
    advance(c, R_EDI, (int32_t)len, a32);
    return n;
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
    bool blockable = (k == K_MOVS || k == K_STOS) && delta > 0;
    /* Accounting: every iteration is one instruction.  The run loop counts
     * one when this call returns, so this loop counts all iterations but
     * the last one it runs.  It stops between iterations (leaving EIP on the
     * instruction, which then restarts) when that count reaches the budget
     * or an interrupt is pending; cpu_step runs the whole repeat. */
    uint32_t ran = 0; /* iterations run by this call */
    for (;;) {
        uint32_t cnt = a32 ? c->gpr[R_ECX] : get_r16(c, R_ECX);
        if (cnt == 0)
            break;
        if (ran && !c->stepping) {
            if (c->icount + ran >= c->run_limit || (c->nmi && !c->nmi_blocked) ||
                (c->intr && (c->eflags & F_IF)) || c->stop_req) {
                c->next_eip = c->eip;
                cpu_rep_suspend(c, in);
                break;
            }
        }
        uint32_t done = 0;
        if (blockable && cnt > 1) {
            uint32_t max = cnt;
            if (!c->stepping && c->run_limit - c->icount - ran < max)
                max = (uint32_t)(c->run_limit - c->icount - ran);
            done = block_rep(c, in, k, bytes, max, a32);
        }
        if (done) {
            cnt -= done;
            if (a32)
                c->gpr[R_ECX] = cnt;
            else
                set_r16(c, R_ECX, (uint16_t)cnt);
            ran += done;
            continue;
        }
        cnt--;
        if (c->mi->model == CPU_286 && k != K_CMPS) {
            /* The 286 counts down before the accesses (CMPS after them),
             * which a faulting access makes visible. */
            set_r16(c, R_ECX, (uint16_t)cnt);
            iterate(c, in, k, bytes, delta, a32);
        } else {
            iterate(c, in, k, bytes, delta, a32);
            if (a32)
                c->gpr[R_ECX] = cnt;
            else
                set_r16(c, R_ECX, (uint16_t)cnt);
        }
        ran++;
        if (conditional && get_zf(c) != want_zf)
            break;
    }
    if (ran > 1 && !c->stepping)
        c->icount += ran - 1;
}
