/* Decoded runs: the unit the fast run loop (exec.c) executes.  A run is
 * decoded ahead from the fetch window's page, so decoding it must never
 * fault: only its first instruction is about to execute, and a fault of a
 * later one would come too early.  Probing decodes (decode.c) guarantee
 * that; whatever does not fit ends the run, and the next run starts there. */
#include <stdlib.h>
#include <string.h>

#include "cpu/interp.h"

bool cpu_block_init(struct cpu *c)
{
    c->blk = calloc(BLK_SIZE, sizeof(*c->blk));
    c->blk_arena = malloc(BLK_ARENA * sizeof(*c->blk_arena));
    c->blk_used = 0;
    c->blk_cap = BLK_MAX;
    return c->blk && c->blk_arena;
}

void cpu_set_run_cap(struct cpu *c, unsigned max)
{
    c->blk_cap = max < 1 ? 1 : max > BLK_MAX ? BLK_MAX : max;
    cpu_block_flush(c);
}

void cpu_block_free(struct cpu *c)
{
    free(c->blk);
    free(c->blk_arena);
    c->blk = NULL;
    c->blk_arena = NULL;
}

void cpu_block_flush(struct cpu *c)
{
    if (!c->blk)
        return;
    cpu_run_stop(c);
    struct block *cur = c->blk_cur, keep = cur ? *cur : (struct block){ 0 };
    memset(c->blk, 0, BLK_SIZE * sizeof(*c->blk));
    if (cur) {
        *cur = keep; /* the running run ends with what it is; the arena's rest is free */
        cur->tag = 0;
    }
    c->blk_used = 0;
}

/* A run's end: its OPR_END entry, or where cpu_run_stop cut it. */
static bool run_mark(const struct insn *in)
{
    return in->op == OPR_END || in->op == OPR_STOPPED;
}

/* The position in the running run of the instruction at c->eip. */
static unsigned run_index(const struct cpu *c)
{
    const struct insn *ins = c->blk_cur->ins;
    uint32_t want = c->eip - c->blk_eip, at = 0;
    unsigned i = 0;
    while (at != want && !run_mark(&ins[i]))
        at += ins[i++].len;
    return i;
}

void cpu_run_stop(struct cpu *c)
{
    if (!c->blk_cur)
        return;
    /* The instructions after this one, and the end mark, become stops:
     * the fast loop leaves on the next, without the exact-count one.  The
     * instruction running now was dispatched already (its handler may
     * still read its operands, which stay).  The run, damaged, leaves the
     * cache. */
    struct insn *in = c->blk_cur->ins + run_index(c);
    if (!run_mark(in))
        in++;
    for (; !run_mark(in); in++)
        in->op = OPR_STOPPED;
    in->op = OPR_STOPPED;
    c->blk_cur->tag = 0;
}

bool cpu_block_invalidate(struct cpu *c, uint32_t start, uint32_t len, uint64_t w0, uint64_t w1)
{
    bool code = false;
    for (uint32_t a = start; a - start < len; a++) {
        struct block *b = &c->blk[blk_hash(a)]; /* distinct slots: blk_hash */
        if (!b->tag || (uint32_t)b->tag != a)
            continue;
        if (a < w1 && w0 < (uint64_t)a + b->span) {
            if (b == c->blk_cur)
                cpu_run_stop(c);
            b->tag = 0;
        } else {
            code = true;
        }
    }
    return code;
}

/* Instructions a run may hold before its last: they neither read nor set
 * the instruction count (device time, the TSC, interrupt shadows, REP
 * iterations), nor change CS, the mode, paging or what needs checking
 * between instructions -- and, apart from the near branches that end a
 * run, continue at the next instruction. */
static bool insn_fast(const struct cpu *c, const struct insn *in)
{
    switch (in->op) {
    case OP_INVALID: case OP_UD2:
    case OP_MOV_SwEw:
    case OP_LES_w: case OP_LES_d: case OP_LDS_w: case OP_LDS_d: case OP_LSS_w: case OP_LSS_d:
    case OP_LFS_w: case OP_LFS_d: case OP_LGS_w: case OP_LGS_d:
    case OP_POP_seg_w: case OP_POP_seg_d: case OP_POPF_w: case OP_POPF_d:
    case OP_JMP_Ap_w: case OP_JMP_Ap_d: case OP_CALL_Ap_w: case OP_CALL_Ap_d:
    case OP_JMP_Ep_w: case OP_JMP_Ep_d: case OP_CALL_Ep_w: case OP_CALL_Ep_d:
    case OP_RETF_w: case OP_RETF_d: case OP_RETF_Iw_w: case OP_RETF_Iw_d:
    case OP_IRET_w: case OP_IRET_d: case OP_INT3: case OP_INT_Ib: case OP_INTO: case OP_INT1:
    case OP_CMPSB: case OP_CMPS_w: case OP_CMPS_d: case OP_SCASB: case OP_SCAS_w: case OP_SCAS_d:
    case OP_INSB: case OP_INS_w: case OP_INS_d: case OP_OUTSB: case OP_OUTS_w: case OP_OUTS_d:
    case OP_IN_ALIb: case OP_IN_eAXIb_w: case OP_IN_eAXIb_d: case OP_OUT_IbAL: case OP_OUT_IbeAX_w:
    case OP_OUT_IbeAX_d: case OP_IN_ALDX: case OP_IN_eAXDX_w: case OP_IN_eAXDX_d: case OP_OUT_DXAL:
    case OP_OUT_DXeAX_w: case OP_OUT_DXeAX_d:
    case OP_HLT: case OP_CLI: case OP_STI:
    case OP_GRP6: case OP_GRP7: case OP_ARPL: case OP_LAR_w: case OP_LAR_d: case OP_LSL_w: case OP_LSL_d:
    case OP_CLTS: case OP_INVD: case OP_WBINVD:
    case OP_MOV_RdCd: case OP_MOV_CdRd: case OP_MOV_RdDd: case OP_MOV_DdRd:
    case OP_WRMSR: case OP_RDTSC: case OP_RDMSR: case OP_RDPMC: case OP_CPUID:
        return false;
    case OP_MOVSB: case OP_MOVS_w: case OP_MOVS_d: case OP_STOSB: case OP_STOS_w: case OP_STOS_d:
    case OP_LODSB: case OP_LODS_w: case OP_LODS_d:
        /* Repeated, they count their iterations; the 286's take the
         * general string code for its fault quirks. */
        return !(in->flags & (I_REP | I_REPNE)) && c->mi->model != CPU_286;
    default:
        return true;
    }
}

/* Unconditional near transfers: fast, but the run ends with them.  A run
 * goes on past a conditional branch, which, when taken, ends it early
 * (branch_taken in exec.c). */
static bool insn_ends_run(const struct insn *in)
{
    switch (in->op) {
    case OP_JMP_J_w: case OP_JMP_J_d: case OP_CALL_J_w: case OP_CALL_J_d:
    case OP_JMP_Ev_w: case OP_JMP_Ev_d: case OP_CALL_Ev_w: case OP_CALL_Ev_d:
    case OP_RET_w: case OP_RET_d: case OP_RET_Iw_w: case OP_RET_Iw_d:
        return true;
    default:
        return false;
    }
}

/* The ALU operation of an ALU_FORMS op (ops.def: nine forms each, in
 * encoding order), or -1. */
static int alu_of(unsigned op, unsigned form)
{
    static const unsigned first[8] = { OP_ADD_EbGb, OP_OR_EbGb, OP_ADC_EbGb, OP_SBB_EbGb,
                                       OP_AND_EbGb, OP_SUB_EbGb, OP_XOR_EbGb, OP_CMP_EbGb };
    for (int a = 0; a < 8; a++)
        if (op == first[a] + form)
            return a;
    return -1;
}

/* The form offsets inside ALU_FORMS (ops.def). */
enum { AF_EvGv_d = 2, AF_GvEv_d = 5, AF_eAXIv_d = 8, AF_EvIv_d = 11, AF_EvIb_d = 13 };

/* Rewrites a copied instruction into a run-only operation where one fits
 * (decode.h, enum run_op); the rest stay as decoded. */
static void specialize(const struct cpu *c, struct insn *in)
{
    bool mem = in->flags & I_MEM;
    bool bd = mem && (in->flags & I_A32) && in->index == NOREG;
    int a;
    if (in->op == OP_JCC_Jv_w || in->op == OP_JCC_Jv_d) {
        /* The same as the short forms once the displacement is decoded. */
        in->op = (uint16_t)(OP_JO + (in->opcode & 15));
    }
    if (in->op >= OP_JO && in->op <= OP_JG) {
        if (in->flags & I_O32)
            in->op = (uint16_t)(OPR_JCC_d + (in->op - OP_JO));
        return;
    }
    switch (in->op) {
    case OP_JMP_J_d: in->op = OPR_JMP_J_d; return;
    case OP_CALL_J_d: in->op = OPR_CALL_J_d; return;
    case OP_RET_d: in->op = OPR_RET_d; return;
    case OP_PUSH_r_d:
        if (in->reg != R_ESP) /* PUSH ESP pushes the old value or not by model */
            in->op = OPR_PUSH_r_d;
        return;
    case OP_POP_r_d: in->op = OPR_POP_r_d; return;
    case OP_JMP_Ev_d:
        if (mem && (in->flags & I_A32))
            in->op = bd ? OPR_JMP_Ev_bd_d : OPR_JMP_Ev_sib_d;
        return;
    case OP_MUL_Ev_d:
        if (!mem)
            in->op = OPR_MUL_r_d;
        else if (in->flags & I_A32)
            in->op = OPR_MUL_m_d;
        return;
    case OP_IMUL_GvEv_d:
        if (!mem)
            in->op = OPR_IMUL_rr_d;
        return;
    case OP_IMUL_GvEvIv_d: case OP_IMUL_GvEvIb_d:
        if (!mem)
            in->op = OPR_IMUL_rri_d;
        return;
    case OP_MOVZX_GvEb_d:
        if (!mem)
            in->op = OPR_MOVZX_rb_d;
        break;
    case OP_MOVZX_GvEw_d:
        if (!mem)
            in->op = OPR_MOVZX_rw_d;
        break;
    case OP_SETCC:
        if (!mem)
            in->op = (uint16_t)(OPR_SETCC_r + (in->opcode & 15));
        return;
    case OP_CMOV_d:
        if (!mem)
            in->op = (uint16_t)(OPR_CMOV_rr_d + (in->opcode & 15));
        else if (in->flags & I_A32)
            in->op = (uint16_t)(OPR_CMOV_rm_d + (in->opcode & 15));
        return;
    default: break;
    }
    if (!mem) {
        if ((a = alu_of(in->op, AF_EvGv_d)) >= 0) {
            in->op = (uint16_t)(OPR_ALU_rr_d + a);
        } else if ((a = alu_of(in->op, AF_GvEv_d)) >= 0) {
            uint8_t t = in->reg;
            in->reg = in->rm;
            in->rm = t;
            in->op = (uint16_t)(OPR_ALU_rr_d + a);
        } else if ((a = alu_of(in->op, AF_EvIv_d)) >= 0 || (a = alu_of(in->op, AF_EvIb_d)) >= 0) {
            in->op = (uint16_t)(OPR_ALU_ri_d + a);
        } else if ((a = alu_of(in->op, AF_eAXIv_d)) >= 0) {
            in->rm = R_EAX;
            in->op = (uint16_t)(OPR_ALU_ri_d + a);
        } else if (in->op == OP_MOV_EvGv_d) {
            in->op = OPR_MOV_rr_d;
        } else if (in->op == OP_MOV_GvEv_d) {
            uint8_t t = in->reg;
            in->reg = in->rm;
            in->rm = t;
            in->op = OPR_MOV_rr_d;
        } else if (in->op == OP_TEST_EvGv_d) {
            in->op = OPR_TEST_rr_d;
        } else if ((in->op == OP_SHIFT_EvIb_d || in->op == OP_SHIFT_Ev1_d) && c->mi->shift_mask == 31) {
            unsigned n = in->op == OP_SHIFT_Ev1_d ? 1 : in->imm & 31;
            static const uint16_t by_reg[8] = { OPR_ROL_ri_d, OPR_ROR_ri_d, 0, 0, OPR_SHL_ri_d, OPR_SHR_ri_d, 0,
                                                OPR_SAR_ri_d };
            if (n && by_reg[in->reg]) {
                in->op = by_reg[in->reg];
                in->imm = n;
            }
        }
        return;
    }
    if (!(in->flags & I_A32))
        return;
    /* The indexed forms sit as far after the base + disp ones, in the same
     * order (decode.h). */
    unsigned form = bd ? 0 : OPR_MOV_load_sib_d - OPR_MOV_load_bd_d;
    if ((a = alu_of(in->op, AF_GvEv_d)) >= 0)
        in->op = (uint16_t)(OPR_ALU_load_bd_d + a + form);
    else if (in->op == OP_MOV_GvEv_d)
        in->op = (uint16_t)(OPR_MOV_load_bd_d + form);
    else if (in->op == OP_MOV_EvGv_d)
        in->op = (uint16_t)(OPR_MOV_store_bd_d + form);
    else if (in->op == OP_MOVZX_GvEb_d)
        in->op = (uint16_t)(OPR_MOVZX_b_bd_d + form);
    else if (in->op == OP_MOVZX_GvEw_d)
        in->op = (uint16_t)(OPR_MOVZX_w_bd_d + form);
    else if (in->op == OP_LEA_d)
        in->op = (uint16_t)(OPR_LEA_bd_d + form);
}
_Static_assert(OPR_ALU_load_sib_d - OPR_ALU_load_bd_d == OPR_MOV_load_sib_d - OPR_MOV_load_bd_d &&
                   OPR_LEA_sib_d - OPR_LEA_bd_d == OPR_MOV_load_sib_d - OPR_MOV_load_bd_d,
               "the indexed run-only forms must mirror the base + disp ones");

bool cpu_block_build(struct cpu *c, uint32_t eip, uint32_t off, uint64_t tag, struct block *b)
{
    if (tag & BLK_NOTAG)
        return false;
    if (c->blk_used > BLK_ARENA - BLK_MAX - 1)
        cpu_block_flush(c);
    uint32_t phys = (uint32_t)tag;
    struct insn *ins = &c->blk_arena[c->blk_used];
    unsigned k = 0, pos = 0;
    bool tail = false;
    while (k < c->blk_cap) {
        /* Every instruction starts in the first one's granule, so that a
         * write there (or to the granule before, whose last instruction
         * may reach into this one: the bus reports both) finds the run. */
        if (k && ((phys + pos) >> BUS_CODE_GRANULE_SHIFT) != (phys >> BUS_CODE_GRANULE_SHIFT))
            break;
        /* At most the model's instruction length (a longer one faults,
         * so it is left to run on its own). */
        uint32_t avail = c->fp_size - (off + pos), most = c->mi->max_insn_len ? c->mi->max_insn_len : 15;
        if (avail > most)
            avail = most;
        if (!avail)
            break;
        /* The single-instruction cache may hold it already (a write that
         * dropped this run's neighbour, or the single path, decoded it);
         * what is decoded here goes there too. */
        struct icache_entry *e = &c->icache[(phys + pos) & (ICACHE_SIZE - 1)];
        if (e->tag == tag + pos && e->in.len <= avail) {
            ins[k] = e->in;
        } else {
            if (!cpu_decode_probe(c, eip + pos, c->fp_host + off + pos, phys + pos, avail, &ins[k]))
                break;
            e->tag = tag + pos;
            e->in = ins[k];
        }
        struct insn *in = &ins[k++];
        pos += in->len;
        if (!insn_fast(c, in)) {
            tail = true;
            break;
        }
        bool ends = insn_ends_run(in);
        specialize(c, in);
        if (ends)
            break;
    }
    if (!k)
        return false;
    /* The fast instructions, the end mark the fast loop stops on, and the
     * one that needs the exact count after it. */
    unsigned nfast = k - tail;
    if (tail)
        ins[nfast + 1] = ins[nfast];
    ins[nfast] = (struct insn){ .op = OPR_END, .len = 0 };
    cpu_mark_code(c, phys, pos);
    c->blk_used += k + 1;
    b->tag = tag;
    b->ins = ins;
    b->span = (uint16_t)pos;
    b->count = (uint8_t)k;
    b->nfast = (uint8_t)nfast;
    return true;
}

uint64_t cpu_block_icount(const struct cpu *c)
{
    return c->blk_n + run_index(c);
}
