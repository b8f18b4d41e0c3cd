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
    return c->blk && c->blk_arena;
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
    memset(c->blk, 0, BLK_SIZE * sizeof(*c->blk));
    c->blk_used = 0;
    c->blk_stop = NULL; /* a run executing now stops after this instruction */
}

void cpu_block_invalidate(struct cpu *c, uint32_t start, uint32_t len)
{
    for (uint32_t a = start; a - start < len; a++) {
        struct block *b = &c->blk[blk_hash(a)];
        if (b->tag && (uint32_t)b->tag == a) {
            b->tag = 0;
            if (b == c->blk_cur)
                c->blk_stop = NULL;
        }
    }
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

bool cpu_block_build(struct cpu *c, uint32_t eip, uint32_t off, uint64_t tag, struct block *b)
{
    if (tag & BLK_NOTAG)
        return false;
    if (c->blk_used > BLK_ARENA - BLK_MAX)
        cpu_block_flush(c);
    uint32_t phys = (uint32_t)tag;
    struct insn *ins = &c->blk_arena[c->blk_used];
    unsigned k = 0, pos = 0;
    bool tail = false;
    while (k < BLK_MAX) {
        /* Every instruction starts in the first one's granule, so that a
         * write there (or to the granule before, whose last instruction
         * may reach into this one: the bus reports both) finds the run. */
        if (k && ((phys + pos) >> BUS_CODE_GRANULE_SHIFT) != (phys >> BUS_CODE_GRANULE_SHIFT))
            break;
        uint32_t avail = c->fp_size - (off + pos);
        if (avail > 15)
            avail = 15;
        if (!avail || !cpu_decode_probe(c, eip + pos, c->fp_host + off + pos, phys + pos, avail, &ins[k]))
            break;
        struct insn *in = &ins[k++];
        pos += in->len;
        if (!insn_fast(c, in)) {
            tail = true;
            break;
        }
        if (insn_ends_run(in))
            break;
    }
    if (!k)
        return false;
    cpu_mark_code(c, phys, pos);
    c->blk_used += k;
    b->tag = tag;
    b->ins = ins;
    b->end = ins + (k - tail);
    b->count = (uint8_t)k;
    b->nfast = (uint8_t)(k - tail);
    return true;
}

uint64_t cpu_block_icount(const struct cpu *c)
{
    const struct block *b = c->blk_cur;
    uint32_t want = c->eip - c->blk_eip, at = 0;
    unsigned i = 0;
    while (i < b->nfast && at != want)
        at += b->ins[i++].len;
    return c->blk_n + i;
}
