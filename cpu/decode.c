/* Instruction decoder: prefixes, opcode maps (one-byte and 0F), ModRM/SIB
 * with 16- and 32-bit addressing, immediates.  SDM vol. 2, chapter 2 and
 * appendix A (opcode maps).  Model differences in what an opcode means
 * (8086 aliases, #UD on later chips) are resolved here so that the
 * execution switch sees one operation per meaning. */
#include <string.h>

#include "cpu/interp.h"

/* Immediate kinds. */
enum { IM_NONE, IM_B, IM_BS, IM_W, IM_Z, IM_AP, IM_O, IM_WB, IM_JB, IM_JZ };

#define A_M 0x10  /* has ModRM */
#define A_V 0x20  /* op has a 16/32-bit pair */
#define A_G 0x40  /* op comes from a group table by ModRM.reg */
#define A_PFX 0x80 /* a prefix byte */

struct opent {
    uint16_t op;  /* op, or group index for A_G */
    uint8_t attr; /* immediate kind in the low nibble | A_* */
};

enum { GRP_80, GRP_81, GRP_83, GRP_SH, GRP_F6, GRP_F7, GRP_FE, GRP_FF, GRP_8F, GRP_C6, GRP_C7,
       GRP_0FBA, GRP_0FC7 };

#define ALU_GROUP(form) \
    { OP_ADD_##form, OP_OR_##form, OP_ADC_##form, OP_SBB_##form, \
      OP_AND_##form, OP_SUB_##form, OP_XOR_##form, OP_CMP_##form }

static const uint16_t groups[][8] = {
    [GRP_80] = ALU_GROUP(EbIb),
    [GRP_81] = ALU_GROUP(EvIv_w),
    [GRP_83] = ALU_GROUP(EvIb_w),
    [GRP_SH] = { 0 }, /* resolved per form below */
    [GRP_F6] = { OP_TEST_EbIb, OP_TEST_EbIb, OP_NOT_Eb, OP_NEG_Eb, OP_MUL_Eb, OP_IMUL_Eb, OP_DIV_Eb, OP_IDIV_Eb },
    [GRP_F7] = { OP_TEST_EvIv_w, OP_TEST_EvIv_w, OP_NOT_Ev_w, OP_NEG_Ev_w, OP_MUL_Ev_w, OP_IMUL_Ev_w,
                 OP_DIV_Ev_w, OP_IDIV_Ev_w },
    [GRP_FE] = { OP_INC_Eb, OP_DEC_Eb, OP_INVALID, OP_INVALID, OP_INVALID, OP_INVALID, OP_INVALID, OP_INVALID },
    [GRP_FF] = { OP_INC_Ev_w, OP_DEC_Ev_w, OP_CALL_Ev_w, OP_CALL_Ep_w, OP_JMP_Ev_w, OP_JMP_Ep_w,
                 OP_PUSH_Ev_w, OP_INVALID },
    [GRP_8F] = { OP_POP_Ev_w, OP_INVALID, OP_INVALID, OP_INVALID, OP_INVALID, OP_INVALID, OP_INVALID, OP_INVALID },
    [GRP_C6] = { OP_MOV_EbIb, OP_INVALID, OP_INVALID, OP_INVALID, OP_INVALID, OP_INVALID, OP_INVALID, OP_INVALID },
    [GRP_C7] = { OP_MOV_EvIv_w, OP_INVALID, OP_INVALID, OP_INVALID, OP_INVALID, OP_INVALID, OP_INVALID, OP_INVALID },
    [GRP_0FBA] = { OP_INVALID, OP_INVALID, OP_INVALID, OP_INVALID, OP_BT_EvIb_w, OP_BTS_EvIb_w, OP_BTR_EvIb_w,
                   OP_BTC_EvIb_w },
    [GRP_0FC7] = { OP_INVALID, OP_CMPXCHG8B, OP_INVALID, OP_INVALID, OP_INVALID, OP_INVALID, OP_INVALID, OP_INVALID },
};

#define E(o, a) { OP_##o, (a) }
#define ALU_ROW(N) E(N##_EbGb, A_M), E(N##_EvGv_w, A_M | A_V), E(N##_GbEb, A_M), E(N##_GvEv_w, A_M | A_V), \
                   E(N##_ALIb, IM_B), E(N##_eAXIv_w, IM_Z | A_V)
#define PFX { OP_NOP, A_PFX }
#define G(g, a) { GRP_##g, (a) | A_G | A_M }

static const struct opent map1[256] = {
    /* 00 */ ALU_ROW(ADD), E(PUSH_seg_w, A_V), E(POP_seg_w, A_V),
    /* 08 */ ALU_ROW(OR), E(PUSH_seg_w, A_V), E(INVALID, 0) /* 0F: escape */,
    /* 10 */ ALU_ROW(ADC), E(PUSH_seg_w, A_V), E(POP_seg_w, A_V),
    /* 18 */ ALU_ROW(SBB), E(PUSH_seg_w, A_V), E(POP_seg_w, A_V),
    /* 20 */ ALU_ROW(AND), PFX, E(DAA, 0),
    /* 28 */ ALU_ROW(SUB), PFX, E(DAS, 0),
    /* 30 */ ALU_ROW(XOR), PFX, E(AAA, 0),
    /* 38 */ ALU_ROW(CMP), PFX, E(AAS, 0),
    /* 40 */ E(INC_r_w, A_V), E(INC_r_w, A_V), E(INC_r_w, A_V), E(INC_r_w, A_V),
             E(INC_r_w, A_V), E(INC_r_w, A_V), E(INC_r_w, A_V), E(INC_r_w, A_V),
    /* 48 */ E(DEC_r_w, A_V), E(DEC_r_w, A_V), E(DEC_r_w, A_V), E(DEC_r_w, A_V),
             E(DEC_r_w, A_V), E(DEC_r_w, A_V), E(DEC_r_w, A_V), E(DEC_r_w, A_V),
    /* 50 */ E(PUSH_r_w, A_V), E(PUSH_r_w, A_V), E(PUSH_r_w, A_V), E(PUSH_r_w, A_V),
             E(PUSH_r_w, A_V), E(PUSH_r_w, A_V), E(PUSH_r_w, A_V), E(PUSH_r_w, A_V),
    /* 58 */ E(POP_r_w, A_V), E(POP_r_w, A_V), E(POP_r_w, A_V), E(POP_r_w, A_V),
             E(POP_r_w, A_V), E(POP_r_w, A_V), E(POP_r_w, A_V), E(POP_r_w, A_V),
    /* 60 */ E(PUSHA_w, A_V), E(POPA_w, A_V), E(BOUND_w, A_M | A_V), E(ARPL, A_M),
             PFX, PFX, PFX, PFX,
    /* 68 */ E(PUSH_Iv_w, IM_Z | A_V), E(IMUL_GvEvIv_w, A_M | A_V | IM_Z), E(PUSH_Ib_w, IM_BS | A_V),
             E(IMUL_GvEvIb_w, A_M | A_V | IM_BS), E(INSB, 0), E(INS_w, A_V), E(OUTSB, 0), E(OUTS_w, A_V),
    /* 70 */ E(JO, IM_JB), E(JNO, IM_JB), E(JB, IM_JB), E(JAE, IM_JB), E(JE, IM_JB), E(JNE, IM_JB),
             E(JBE, IM_JB), E(JA, IM_JB),
    /* 78 */ E(JS, IM_JB), E(JNS, IM_JB), E(JP, IM_JB), E(JNP, IM_JB), E(JL, IM_JB), E(JGE, IM_JB),
             E(JLE, IM_JB), E(JG, IM_JB),
    /* 80 */ G(80, IM_B), G(81, IM_Z | A_V), G(80, IM_B), G(83, IM_BS | A_V),
             E(TEST_EbGb, A_M), E(TEST_EvGv_w, A_M | A_V), E(XCHG_EbGb, A_M), E(XCHG_EvGv_w, A_M | A_V),
    /* 88 */ E(MOV_EbGb, A_M), E(MOV_EvGv_w, A_M | A_V), E(MOV_GbEb, A_M), E(MOV_GvEv_w, A_M | A_V),
             E(MOV_EwSw, A_M), E(LEA_w, A_M | A_V), E(MOV_SwEw, A_M), G(8F, A_V),
    /* 90 */ E(XCHG_eAXr_w, A_V), E(XCHG_eAXr_w, A_V), E(XCHG_eAXr_w, A_V), E(XCHG_eAXr_w, A_V),
             E(XCHG_eAXr_w, A_V), E(XCHG_eAXr_w, A_V), E(XCHG_eAXr_w, A_V), E(XCHG_eAXr_w, A_V),
    /* 98 */ E(CBW_w, A_V), E(CWD_w, A_V), E(CALL_Ap_w, IM_AP | A_V), E(WAIT, 0), E(PUSHF_w, A_V),
             E(POPF_w, A_V), E(SAHF, 0), E(LAHF, 0),
    /* A0 */ E(MOV_ALOb, IM_O), E(MOV_eAXOv_w, IM_O | A_V), E(MOV_ObAL, IM_O), E(MOV_OveAX_w, IM_O | A_V),
             E(MOVSB, 0), E(MOVS_w, A_V), E(CMPSB, 0), E(CMPS_w, A_V),
    /* A8 */ E(TEST_ALIb, IM_B), E(TEST_eAXIv_w, IM_Z | A_V), E(STOSB, 0), E(STOS_w, A_V), E(LODSB, 0),
             E(LODS_w, A_V), E(SCASB, 0), E(SCAS_w, A_V),
    /* B0 */ E(MOV_rbIb, IM_B), E(MOV_rbIb, IM_B), E(MOV_rbIb, IM_B), E(MOV_rbIb, IM_B),
             E(MOV_rbIb, IM_B), E(MOV_rbIb, IM_B), E(MOV_rbIb, IM_B), E(MOV_rbIb, IM_B),
    /* B8 */ E(MOV_rvIv_w, IM_Z | A_V), E(MOV_rvIv_w, IM_Z | A_V), E(MOV_rvIv_w, IM_Z | A_V),
             E(MOV_rvIv_w, IM_Z | A_V), E(MOV_rvIv_w, IM_Z | A_V), E(MOV_rvIv_w, IM_Z | A_V),
             E(MOV_rvIv_w, IM_Z | A_V), E(MOV_rvIv_w, IM_Z | A_V),
    /* C0 */ { OP_SHIFT_EbIb, A_M | IM_B }, { OP_SHIFT_EvIb_w, A_M | A_V | IM_B }, E(RET_Iw_w, IM_W | A_V),
             E(RET_w, A_V), E(LES_w, A_M | A_V), E(LDS_w, A_M | A_V), G(C6, IM_B), G(C7, IM_Z | A_V),
    /* C8 */ E(ENTER_w, IM_WB | A_V), E(LEAVE_w, A_V), E(RETF_Iw_w, IM_W | A_V), E(RETF_w, A_V),
             E(INT3, 0), E(INT_Ib, IM_B), E(INTO, 0), E(IRET_w, A_V),
    /* D0 */ { OP_SHIFT_Eb1, A_M }, { OP_SHIFT_Ev1_w, A_M | A_V }, { OP_SHIFT_EbCL, A_M },
             { OP_SHIFT_EvCL_w, A_M | A_V }, E(AAM, IM_B), E(AAD, IM_B), E(SALC, 0), E(XLAT, 0),
    /* D8 */ E(ESC, A_M), E(ESC, A_M), E(ESC, A_M), E(ESC, A_M), E(ESC, A_M), E(ESC, A_M), E(ESC, A_M),
             E(ESC, A_M),
    /* E0 */ E(LOOPNE_w, IM_JB | A_V), E(LOOPE_w, IM_JB | A_V), E(LOOP_w, IM_JB | A_V),
             E(JCXZ_w, IM_JB | A_V), E(IN_ALIb, IM_B), E(IN_eAXIb_w, IM_B | A_V), E(OUT_IbAL, IM_B),
             E(OUT_IbeAX_w, IM_B | A_V),
    /* E8 */ E(CALL_J_w, IM_JZ | A_V), E(JMP_J_w, IM_JZ | A_V), E(JMP_Ap_w, IM_AP | A_V),
             E(JMP_J_w, IM_JB | A_V), E(IN_ALDX, 0), E(IN_eAXDX_w, A_V), E(OUT_DXAL, 0),
             E(OUT_DXeAX_w, A_V),
    /* F0 */ PFX, E(INT1, 0), PFX, PFX, E(HLT, 0), E(CMC, 0), G(F6, 0), G(F7, A_V),
    /* F8 */ E(CLC, 0), E(STC, 0), E(CLI, 0), E(STI, 0), E(CLD, 0), E(STD, 0), G(FE, 0), G(FF, A_V),
};

/* The 0F map; min_model gates what each chip has. */
struct opent0f {
    uint16_t op;
    uint8_t attr;
    uint8_t min_model;
};
#define F(o, a, m) { OP_##o, (a), (m) }
#define FG(g, a, m) { GRP_##g, (a) | A_G | A_M, (m) }

static const struct opent0f map2[256] = {
    [0x00] = F(GRP6, A_M, CPU_286), [0x01] = F(GRP7, A_M, CPU_286),
    [0x02] = F(LAR_w, A_M | A_V, CPU_286), [0x03] = F(LSL_w, A_M | A_V, CPU_286),
    [0x06] = F(CLTS, 0, CPU_286), [0x08] = F(INVD, 0, CPU_486), [0x09] = F(WBINVD, 0, CPU_486),
    [0x0B] = F(UD2, 0, CPU_386),
    [0x20] = F(MOV_RdCd, A_M, CPU_386), [0x21] = F(MOV_RdDd, A_M, CPU_386),
    [0x22] = F(MOV_CdRd, A_M, CPU_386), [0x23] = F(MOV_DdRd, A_M, CPU_386),
    [0x30] = F(WRMSR, 0, CPU_PENTIUM), [0x31] = F(RDTSC, 0, CPU_PENTIUM), [0x32] = F(RDMSR, 0, CPU_PENTIUM),
    [0x33] = F(RDPMC, 0, CPU_P6),
#define CMOV(n) [0x40 + n] = F(CMOV_w, A_M | A_V, CPU_P6)
    CMOV(0), CMOV(1), CMOV(2), CMOV(3), CMOV(4), CMOV(5), CMOV(6), CMOV(7),
    CMOV(8), CMOV(9), CMOV(10), CMOV(11), CMOV(12), CMOV(13), CMOV(14), CMOV(15),
#define JCC(n) [0x80 + n] = F(JCC_Jv_w, IM_JZ | A_V, CPU_386)
    JCC(0), JCC(1), JCC(2), JCC(3), JCC(4), JCC(5), JCC(6), JCC(7),
    JCC(8), JCC(9), JCC(10), JCC(11), JCC(12), JCC(13), JCC(14), JCC(15),
#define SETC(n) [0x90 + n] = F(SETCC, A_M, CPU_386)
    SETC(0), SETC(1), SETC(2), SETC(3), SETC(4), SETC(5), SETC(6), SETC(7),
    SETC(8), SETC(9), SETC(10), SETC(11), SETC(12), SETC(13), SETC(14), SETC(15),
    [0xA0] = F(PUSH_seg_w, A_V, CPU_386), [0xA1] = F(POP_seg_w, A_V, CPU_386),
    [0xA2] = F(CPUID, 0, CPU_PENTIUM), [0xA3] = F(BT_EvGv_w, A_M | A_V, CPU_386),
    [0xA4] = F(SHLD_EvGvIb_w, A_M | A_V | IM_B, CPU_386), [0xA5] = F(SHLD_EvGvCL_w, A_M | A_V, CPU_386),
    [0xA8] = F(PUSH_seg_w, A_V, CPU_386), [0xA9] = F(POP_seg_w, A_V, CPU_386),
    [0xAB] = F(BTS_EvGv_w, A_M | A_V, CPU_386),
    [0xAC] = F(SHRD_EvGvIb_w, A_M | A_V | IM_B, CPU_386), [0xAD] = F(SHRD_EvGvCL_w, A_M | A_V, CPU_386),
    [0xAF] = F(IMUL_GvEv_w, A_M | A_V, CPU_386),
    [0xB0] = F(CMPXCHG_EbGb, A_M, CPU_486), [0xB1] = F(CMPXCHG_EvGv_w, A_M | A_V, CPU_486),
    [0xB2] = F(LSS_w, A_M | A_V, CPU_386), [0xB3] = F(BTR_EvGv_w, A_M | A_V, CPU_386),
    [0xB4] = F(LFS_w, A_M | A_V, CPU_386), [0xB5] = F(LGS_w, A_M | A_V, CPU_386),
    [0xB6] = F(MOVZX_GvEb_w, A_M | A_V, CPU_386), [0xB7] = F(MOVZX_GvEw_w, A_M | A_V, CPU_386),
    [0xBA] = FG(0FBA, A_V | IM_B, CPU_386), [0xBB] = F(BTC_EvGv_w, A_M | A_V, CPU_386),
    [0xBC] = F(BSF_w, A_M | A_V, CPU_386), [0xBD] = F(BSR_w, A_M | A_V, CPU_386),
    [0xBE] = F(MOVSX_GvEb_w, A_M | A_V, CPU_386), [0xBF] = F(MOVSX_GvEw_w, A_M | A_V, CPU_386),
    [0xC0] = F(XADD_EbGb, A_M, CPU_486), [0xC1] = F(XADD_EvGv_w, A_M | A_V, CPU_486),
    [0xC7] = FG(0FC7, 0, CPU_PENTIUM),
#define BSW(n) [0xC8 + n] = F(BSWAP, 0, CPU_486)
    BSW(0), BSW(1), BSW(2), BSW(3), BSW(4), BSW(5), BSW(6), BSW(7),
};

/* LOCK is allowed only on these read-modify-write forms with a memory
 * destination; on the 386 and later anything else is #UD. */
static bool lock_ok(const struct insn *in)
{
    if (!(in->flags & I_MEM))
        return false;
    switch (in->op) {
#define L(N) case OP_##N##_EbGb: case OP_##N##_EvGv_w: case OP_##N##_EvGv_d: case OP_##N##_EbIb: \
    case OP_##N##_EvIv_w: case OP_##N##_EvIv_d: case OP_##N##_EvIb_w: case OP_##N##_EvIb_d:
    L(ADD) L(OR) L(ADC) L(SBB) L(AND) L(SUB) L(XOR)
#undef L
    case OP_INC_Eb: case OP_INC_Ev_w: case OP_INC_Ev_d: case OP_DEC_Eb: case OP_DEC_Ev_w: case OP_DEC_Ev_d:
    case OP_NOT_Eb: case OP_NOT_Ev_w: case OP_NOT_Ev_d: case OP_NEG_Eb: case OP_NEG_Ev_w: case OP_NEG_Ev_d:
    case OP_XCHG_EbGb: case OP_XCHG_EvGv_w: case OP_XCHG_EvGv_d:
    case OP_BTS_EvGv_w: case OP_BTS_EvGv_d: case OP_BTR_EvGv_w: case OP_BTR_EvGv_d:
    case OP_BTC_EvGv_w: case OP_BTC_EvGv_d: case OP_BTS_EvIb_w: case OP_BTS_EvIb_d:
    case OP_BTR_EvIb_w: case OP_BTR_EvIb_d: case OP_BTC_EvIb_w: case OP_BTC_EvIb_d:
    case OP_CMPXCHG_EbGb: case OP_CMPXCHG_EvGv_w: case OP_CMPXCHG_EvGv_d: case OP_CMPXCHG8B:
    case OP_XADD_EbGb: case OP_XADD_EvGv_w: case OP_XADD_EvGv_d:
        return true;
    default:
        return false;
    }
}

/* Byte fetcher state for one decode. */
struct fetcher {
    struct cpu *c;
    uint32_t start;      /* EIP of the first byte */
    unsigned pos;        /* bytes fetched so far */
    unsigned limit;      /* max instruction length (0: none) */
    uint32_t phys0;      /* physical address of the first byte */
    bool nocache;
    const uint8_t *host; /* the first byte in host memory, when on RAM/ROM */
    unsigned avail;      /* bytes readable through host without any check */
    bool probe;          /* cpu_decode_probe: never fault, report instead */
    bool failed;         /* a probe needed bytes beyond avail */
};

static uint8_t fetch_slow(struct fetcher *f);

static ALWAYS_INLINE uint8_t fetch(struct fetcher *f)
{
    if (likely(f->pos < f->avail))
        return f->host[f->pos++];
    return fetch_slow(f);
}

/* Sets up the direct path: the bytes from CS:EIP to the end of its page,
 * the CS limit and the length limit, whichever comes first. */
static void fetch_begin(struct fetcher *f)
{
    struct cpu *c = f->c;
    f->avail = 0;
    if (c->mi->model == CPU_8086 && f->start > 0xFFF0)
        return; /* IP may wrap inside the instruction */
    if (f->start > c->seg[S_CS].limit)
        return;
    uint32_t phys = cpu_translate_fetch(c, c->seg[S_CS].base + f->start);
    const struct bus_page *p = bus_page(c->bus, phys);
    if (p->kind != BUS_RAM && p->kind != BUS_ROM)
        return;
    uint32_t avail = BUS_PAGE_SIZE - (phys & BUS_PAGE_MASK);
    uint32_t to_limit = c->seg[S_CS].limit - f->start;
    if (to_limit < 15 && to_limit + 1 < avail)
        avail = to_limit + 1;
    if (f->limit && f->limit < avail)
        avail = f->limit;
    f->host = p->host + (phys & BUS_PAGE_MASK);
    f->phys0 = phys;
    f->avail = avail;
}

static uint8_t fetch_slow(struct fetcher *f)
{
    struct cpu *c = f->c;
    if (f->probe) {
        /* A NOP byte ends any prefix run, so the decode finishes. */
        f->failed = true;
        f->pos++;
        return 0x90;
    }
    if (f->limit && f->pos >= f->limit)
        cpu_fault(c, EXC_GP, 0);
    uint32_t off = f->start + f->pos;
    if (c->mi->model == CPU_8086) {
        off &= 0xFFFF; /* IP wraps within the segment */
        if (f->pos && off == 0)
            f->nocache = true;
    } else if (off > c->seg[S_CS].limit || off < f->start) {
        cpu_fault(c, EXC_GP, 0);
    }
    uint32_t lin = c->seg[S_CS].base + off;
    uint32_t phys = cpu_translate_fetch(c, lin);
    const struct bus_page *p = bus_page(c->bus, phys);
    uint8_t b;
    if (p->kind == BUS_RAM || p->kind == BUS_ROM) {
        b = p->host[phys & BUS_PAGE_MASK];
    } else if (p->kind == BUS_MMIO) {
        b = (uint8_t)bus_read(c->bus, phys, 1);
        f->nocache = true;
    } else {
        /* Nothing answers there: the data lines float high, and a PC
         * reads FFh (FF FF is #UD from the 286 on).  Not an emulator
         * error: what the guest does is its business; --log says so. */
        b = 0xFF;
        f->nocache = true;
        if (f->pos == 0)
            cpu_guest_error(c, "execution from unmapped memory at %04x:%08x (physical %08x)", c->seg[S_CS].sel,
                            off, phys);
    }
    if (f->pos == 0)
        f->phys0 = phys;
    else if ((phys ^ f->phys0) >> BUS_PAGE_SHIFT || phys != f->phys0 + f->pos)
        f->nocache = true;
    f->pos++;
    return b;
}

static uint32_t fetch_n(struct fetcher *f, unsigned n)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < n; i++)
        v |= (uint32_t)fetch(f) << (8 * i);
    return v;
}

static void decode_modrm(struct fetcher *f, struct insn *in, uint8_t modrm, int seg_override)
{
    unsigned mod = modrm >> 6, rm = modrm & 7;
    in->reg = (modrm >> 3) & 7;
    in->rm = (uint8_t)rm;
    in->base = NOREG;
    in->index = NOREG;
    in->scale = 0;
    in->disp = 0;
    if (mod == 3)
        return;
    in->flags |= I_MEM;
    int seg = S_DS;
    if (!(in->flags & I_A32)) {
        static const uint8_t base16[8] = { R_EBX, R_EBX, R_EBP, R_EBP, NOREG, NOREG, R_EBP, R_EBX };
        static const uint8_t index16[8] = { R_ESI, R_EDI, R_ESI, R_EDI, R_ESI, R_EDI, NOREG, NOREG };
        in->base = base16[rm];
        in->index = index16[rm];
        if (mod == 0 && rm == 6)
            in->base = NOREG, in->disp = fetch_n(f, 2);
        else if (mod == 1)
            in->disp = (uint32_t)(int32_t)(int8_t)fetch(f);
        else if (mod == 2)
            in->disp = fetch_n(f, 2);
        if (in->base == R_EBP)
            seg = S_SS;
    } else {
        unsigned base = rm;
        if (rm == 4) {
            uint8_t sib = fetch(f);
            in->scale = sib >> 6;
            unsigned idx = (sib >> 3) & 7;
            in->index = idx == 4 ? NOREG : (uint8_t)idx;
            base = sib & 7;
            if (base == 5 && mod == 0) {
                in->base = NOREG;
                in->disp = fetch_n(f, 4);
            } else {
                in->base = (uint8_t)base;
            }
        } else if (rm == 5 && mod == 0) {
            in->base = NOREG;
            in->disp = fetch_n(f, 4);
        } else {
            in->base = (uint8_t)base;
        }
        if (mod == 1)
            in->disp = (uint32_t)(int32_t)(int8_t)fetch(f);
        else if (mod == 2)
            in->disp = fetch_n(f, 4);
        if (in->base == R_ESP || in->base == R_EBP)
            seg = S_SS;
    }
    in->seg = (uint8_t)(seg_override >= 0 ? seg_override : seg);
}

static void decode(struct cpu *c, struct fetcher *fp, struct insn *in);

void cpu_decode(struct cpu *c, struct insn *in)
{
    struct fetcher f = { .c = c, .start = c->eip, .limit = c->mi->max_insn_len };
    fetch_begin(&f);
    decode(c, &f, in);
}

bool cpu_decode_probe(struct cpu *c, uint32_t eip, const uint8_t *host, uint32_t phys, unsigned avail,
                      struct insn *in)
{
    struct fetcher f = { .c = c, .start = eip, .limit = 0, .phys0 = phys, .host = host, .avail = avail,
                         .probe = true };
    decode(c, &f, in);
    return !f.failed && !(in->flags & I_NOCACHE);
}

/* The decoder proper, with the fetcher set up; its fetches fault, or, for
 * a probe, fail. */
static void decode(struct cpu *c, struct fetcher *fp, struct insn *in)
{
    enum cpu_model model = c->mi->model;
    bool d32 = (c->seg[S_CS].attr & 0x4000) != 0;
    int seg_override = -1;
    memset(in, 0, sizeof(*in));
    if (d32)
        in->flags |= I_O32 | I_A32;
    in->seg = S_DS;

    uint8_t b = 0;
    for (;;) {
        /* The 8086 has no length limit; stop collecting prefixes so that a
         * segment full of them cannot keep the decoder busy for ever. */
        if (model == CPU_8086 && fp->pos > 15)
            break;
        b = fetch(fp);
        switch (b) {
        case 0x26: seg_override = S_ES; continue;
        case 0x2E: seg_override = S_CS; continue;
        case 0x36: seg_override = S_SS; continue;
        case 0x3E: seg_override = S_DS; continue;
        case 0x64: case 0x65: case 0x66: case 0x67:
            if (model < CPU_386)
                break;
            if (b == 0x64) seg_override = S_FS;
            else if (b == 0x65) seg_override = S_GS;
            else if (b == 0x66) in->flags = (uint8_t)((in->flags & ~I_O32) | (d32 ? 0 : I_O32));
            else in->flags = (uint8_t)((in->flags & ~I_A32) | (d32 ? 0 : I_A32));
            continue;
        case 0xF0: in->flags |= I_LOCK; continue;
        case 0xF1:
            if (model < CPU_386) { in->flags |= I_LOCK; continue; }
            break;
        case 0xF2: in->flags = (uint8_t)((in->flags & ~I_REP) | I_REPNE); continue;
        case 0xF3: in->flags = (uint8_t)((in->flags & ~I_REPNE) | I_REP); continue;
        default: break;
        }
        break;
    }
    /* The 8086 takes prefixes one at a time and never faults on length; a
     * run of more than 15 is treated as its own do-nothing instruction so a
     * guest full of prefixes cannot stall the decoder. */
    if (model == CPU_8086 && fp->pos > 15) {
        in->op = OP_NOP;
        in->len = (uint8_t)(fp->pos - 1);
        goto done;
    }
    if (seg_override >= 0) {
        in->flags |= I_SEGOVR;
        in->seg = (uint8_t)seg_override;
    }

    struct opent e;
    if (b == 0x0F && model == CPU_8086) {
        e = (struct opent){ OP_POP_seg_w, 0 }; /* POP CS */
    } else if (b == 0x0F) {
        b = fetch(fp);
        in->map = 1;
        const struct opent0f *e2 = &map2[b];
        if (e2->op == OP_INVALID || model < e2->min_model) {
            /* 0F 05 is the 286's LOADALL; not provided. */
            e = (struct opent){ OP_INVALID, 0 };
        } else {
            e = (struct opent){ e2->op, e2->attr };
        }
    } else {
        e = map1[b];
        if (model == CPU_8086) {
            /* The 8086 decodes only three opcode bits of these rows. */
            if (b >= 0x60 && b <= 0x6F)
                e = map1[b + 0x10];
            else if (b == 0xC0 || b == 0xC1 || b == 0xC8 || b == 0xC9)
                e = map1[b + 2];
        } else if (model < CPU_386 && (b == 0x64 || b == 0x65 || b == 0x66 || b == 0x67)) {
            e = (struct opent){ OP_INVALID, 0 };
        }
    }
    in->opcode = b;

    uint16_t op = e.op;
    if (in->map == 1 && b >= 0x20 && b <= 0x23) {
        /* MOV to/from control and debug registers: the operand is always a
         * register and the mod field is ignored (no displacement, no SIB). */
        uint8_t modrm = fetch(fp);
        in->reg = (modrm >> 3) & 7;
        in->rm = modrm & 7;
        in->base = in->index = NOREG;
    } else if (e.attr & A_M) {
        uint8_t modrm = fetch(fp);
        decode_modrm(fp, in, modrm, seg_override);
        if (e.attr & A_G)
            op = groups[e.op][in->reg];
    } else {
        in->reg = b & 7;
    }
    unsigned imm = e.attr & 0x0F;

    /* Operations whose meaning depends on the model or on ModRM.reg. */
    if (in->map == 0) {
        switch (b) {
        case 0xF6: case 0xF7:
            if (in->reg < 2)
                imm = b == 0xF6 ? IM_B : IM_Z;
            break;
        case 0xFE: case 0xFF: case 0x8F: case 0xC6: case 0xC7:
            if (op == OP_INVALID && model == CPU_8086) {
                /* Undefined encodings act like their documented sibling. */
                if (b == 0xFF)
                    op = OP_PUSH_Ev_w;
                else if (b == 0x8F)
                    op = OP_POP_Ev_w;
                else if (b == 0xC6)
                    op = OP_MOV_EbIb;
                else if (b == 0xC7)
                    op = OP_MOV_EvIv_w;
            }
            break;
        case 0x8C: case 0x8E:
            if (model == CPU_8086)
                in->reg &= 3;
            else if (in->reg > 5 || (model < CPU_386 && in->reg > 3) || (b == 0x8E && in->reg == S_CS))
                op = OP_INVALID;
            break;
        case 0xC4: case 0xC5: case 0x8D: case 0x62:
            if (!(in->flags & I_MEM) && model != CPU_8086)
                op = OP_INVALID;
            break;
        default:
            break;
        }
    } else if (in->map == 1) {
        if (b == 0xC7 && !(in->flags & I_MEM))
            op = OP_INVALID;
        if ((b == 0xB2 || b == 0xB4 || b == 0xB5) && !(in->flags & I_MEM))
            op = OP_INVALID;
    }
    if ((e.attr & A_V) && (in->flags & I_O32) && op != OP_INVALID)
        op++;

    switch (imm) {
    case IM_B: in->imm = fetch(fp); break;
    case IM_BS: in->imm = (uint32_t)(int32_t)(int8_t)fetch(fp); break;
    case IM_W: in->imm = fetch_n(fp, 2); break;
    case IM_Z: in->imm = fetch_n(fp, (in->flags & I_O32) ? 4 : 2); break;
    case IM_AP:
        in->imm = fetch_n(fp, (in->flags & I_O32) ? 4 : 2);
        in->imm2 = fetch_n(fp, 2);
        break;
    case IM_O:
        in->disp = fetch_n(fp, (in->flags & I_A32) ? 4 : 2);
        in->base = NOREG;
        in->index = NOREG;
        in->flags |= I_MEM;
        break;
    case IM_WB:
        in->imm = fetch_n(fp, 2);
        in->imm2 = fetch(fp);
        break;
    case IM_JB: in->imm = (uint32_t)(int32_t)(int8_t)fetch(fp); break;
    case IM_JZ:
        if (in->flags & I_O32)
            in->imm = fetch_n(fp, 4);
        else
            in->imm = (uint32_t)(int32_t)(int16_t)fetch_n(fp, 2);
        break;
    default: break;
    }
    in->op = op;
    in->len = (uint8_t)fp->pos;
    if ((in->flags & I_LOCK) && model >= CPU_386 && !lock_ok(in))
        in->op = OP_INVALID;
done:
    if (fp->nocache)
        in->flags |= I_NOCACHE;
    /* Where the bytes came from, so the cache entry can be tagged. */
    c->decode_phys = fp->phys0;
}
