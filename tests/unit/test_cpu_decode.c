/* White-box tests of the instruction decoder (cpu_decode): lengths of a
 * broad table of encodings in 16- and 32-bit code, ModRM/SIB addressing
 * and its default segment, and the model differences in what bytes mean,
 * including the instruction-length limits (checked through cpu_step and
 * the exception that is delivered). */
#include <setjmp.h>

#include "cpu/interp.h"
#include "tests/unit/host_oracle.h"

TestSuite(cpu_decode, .timeout = 30.0);

/* Decodes b in code of default size d32 on model; fails the test if the
 * decoder faults. */
static struct insn decode_on(enum cpu_model model, const uint8_t *b, unsigned n, bool d32)
{
    static struct pk m;
    static bool have;
    static enum cpu_model have_model;
    if (have && have_model != model) {
        pk_free(&m);
        have = false;
    }
    if (!have) {
        pk_init(&m, model);
        have = true;
        have_model = model;
    }
    pk_code(&m, b, n);
    struct cpu_state st = m.base;
    if (d32)
        st.seg[S_CS].attr |= 0x4000;
    cpu_set_state(m.cpu, &st);
    struct cpu *c = m.cpu;
    cpu_check_map(c);
    static struct insn in; /* static: survives the longjmp */
    memset(&in, 0, sizeof(in));
    if (setjmp(c->env)) {
        char hx[64];
        hex_bytes(hx, sizeof(hx), b, n);
        cr_assert_fail("decoding [%s] faulted with vector %d", hx, c->exc_vector);
    }
    cpu_decode(c, &in);
    return in;
}

static struct insn decode(const uint8_t *b, unsigned n, bool d32)
{
    return decode_on(CPU_P6, b, n, d32);
}

#define BYTES(...) (const uint8_t[]){ __VA_ARGS__ }, sizeof((const uint8_t[]){ __VA_ARGS__ })

struct len_case {
    uint8_t b[15];
    unsigned n;   /* bytes given (the decoder must use exactly len of them) */
    unsigned len; /* expected length */
    bool d32;
    const char *what;
};

static const struct len_case len_cases[] = {
    /* 16-bit code */
    { { 0x90 }, 1, 1, false, "nop" },
    { { 0x01, 0xD8 }, 2, 2, false, "add ax,bx" },
    { { 0x01, 0x06, 0x34, 0x12 }, 4, 4, false, "add [1234],ax" },
    { { 0x01, 0x46, 0x12 }, 3, 3, false, "add [bp+12],ax" },
    { { 0x01, 0x86, 0x34, 0x12 }, 4, 4, false, "add [bp+1234],ax" },
    { { 0x04, 0x12 }, 2, 2, false, "add al,Ib" },
    { { 0x05, 0x34, 0x12 }, 3, 3, false, "add ax,Iw" },
    { { 0x66, 0x05, 0x78, 0x56, 0x34, 0x12 }, 6, 6, false, "66 add eax,Id" },
    { { 0x80, 0x06, 0x34, 0x12, 0x56 }, 5, 5, false, "add byte [1234],Ib" },
    { { 0x81, 0x46, 0x12, 0x34, 0x12 }, 5, 5, false, "add word [bp+12],Iw" },
    { { 0x66, 0x81, 0x86, 0x34, 0x12, 0x78, 0x56, 0x34, 0x12 }, 9, 9, false, "add dword [bp+1234],Id" },
    { { 0x83, 0xC0, 0x12 }, 3, 3, false, "add ax,Ib (83)" },
    { { 0x66, 0x83, 0xC0, 0x12 }, 4, 4, false, "add eax,Ib (83)" },
    { { 0x69, 0xC3, 0x34, 0x12 }, 4, 4, false, "imul ax,bx,Iw" },
    { { 0x66, 0x69, 0xC3, 0x78, 0x56, 0x34, 0x12 }, 7, 7, false, "imul eax,ebx,Id" },
    { { 0x6B, 0xC3, 0x12 }, 3, 3, false, "imul ax,bx,Ib" },
    { { 0x68, 0x34, 0x12 }, 3, 3, false, "push Iw" },
    { { 0x66, 0x68, 0x78, 0x56, 0x34, 0x12 }, 6, 6, false, "push Id" },
    { { 0x6A, 0x12 }, 2, 2, false, "push Ib" },
    { { 0xC6, 0x07, 0x12 }, 3, 3, false, "mov byte [bx],Ib" },
    { { 0xC7, 0x07, 0x34, 0x12 }, 4, 4, false, "mov word [bx],Iw" },
    { { 0x66, 0xC7, 0x07, 0x78, 0x56, 0x34, 0x12 }, 7, 7, false, "mov dword [bx],Id" },
    { { 0xF6, 0xC3, 0x12 }, 3, 3, false, "test bl,Ib (F6 /0)" },
    { { 0xF6, 0xCB, 0x12 }, 3, 3, false, "test bl,Ib (F6 /1 alias)" },
    { { 0xF6, 0xD3 }, 2, 2, false, "not bl (F6 /2, no immediate)" },
    { { 0xF7, 0xC3, 0x34, 0x12 }, 4, 4, false, "test bx,Iw" },
    { { 0x66, 0xF7, 0xC3, 0x78, 0x56, 0x34, 0x12 }, 7, 7, false, "test ebx,Id" },
    { { 0xF7, 0xE3 }, 2, 2, false, "mul bx" },
    { { 0xEA, 0x34, 0x12, 0x00, 0xF0 }, 5, 5, false, "jmp far ptr16:16" },
    { { 0x66, 0xEA, 0x78, 0x56, 0x34, 0x12, 0x00, 0xF0 }, 8, 8, false, "jmp far ptr16:32" },
    { { 0x9A, 0x34, 0x12, 0x00, 0xF0 }, 5, 5, false, "call far ptr16:16" },
    { { 0xA0, 0x34, 0x12 }, 3, 3, false, "mov al,[moffs16]" },
    { { 0xA3, 0x34, 0x12 }, 3, 3, false, "mov [moffs16],ax" },
    { { 0x66, 0xA1, 0x34, 0x12 }, 4, 4, false, "66 mov eax,[moffs16]" },
    { { 0x67, 0xA0, 0x78, 0x56, 0x34, 0x12 }, 6, 6, false, "67 mov al,[moffs32]" },
    { { 0xC8, 0x34, 0x12, 0x03 }, 4, 4, false, "enter Iw,Ib" },
    { { 0x66, 0xC8, 0x34, 0x12, 0x03 }, 5, 5, false, "66 enter Iw,Ib" },
    { { 0xC2, 0x34, 0x12 }, 3, 3, false, "ret Iw" },
    { { 0xCA, 0x34, 0x12 }, 3, 3, false, "retf Iw" },
    { { 0xCD, 0x21 }, 2, 2, false, "int Ib" },
    { { 0xD4, 0x0A }, 2, 2, false, "aam" },
    { { 0xE4, 0x60 }, 2, 2, false, "in al,Ib" },
    { { 0xE8, 0x34, 0x12 }, 3, 3, false, "call rel16" },
    { { 0x66, 0xE8, 0x78, 0x56, 0x34, 0x12 }, 6, 6, false, "call rel32" },
    { { 0xEB, 0x12 }, 2, 2, false, "jmp rel8" },
    { { 0x74, 0x12 }, 2, 2, false, "je rel8" },
    { { 0x0F, 0x84, 0x34, 0x12 }, 4, 4, false, "je rel16" },
    { { 0x66, 0x0F, 0x84, 0x78, 0x56, 0x34, 0x12 }, 7, 7, false, "je rel32" },
    { { 0xE2, 0xFE }, 2, 2, false, "loop" },
    { { 0x0F, 0xBA, 0xE0, 0x05 }, 4, 4, false, "bt ax,Ib" },
    { { 0x0F, 0xA4, 0xD8, 0x05 }, 4, 4, false, "shld ax,bx,Ib" },
    { { 0x0F, 0xA5, 0xD8 }, 3, 3, false, "shld ax,bx,cl" },
    { { 0xC0, 0xE0, 0x05 }, 3, 3, false, "shl al,Ib" },
    { { 0xC1, 0x66, 0x12, 0x05 }, 4, 4, false, "shl word [bp+12],Ib" },
    { { 0xD1, 0xE0 }, 2, 2, false, "shl ax,1" },
    { { 0x0F, 0xB6, 0x07 }, 3, 3, false, "movzx ax,byte [bx]" },
    { { 0x0F, 0xC8 }, 2, 2, false, "bswap eax" },
    { { 0x0F, 0xA2 }, 2, 2, false, "cpuid" },
    { { 0x0F, 0x01, 0x16, 0x34, 0x12 }, 5, 5, false, "lgdt [1234]" },
    { { 0x0F, 0x20, 0xC0 }, 3, 3, false, "mov eax,cr0" },
    { { 0x0F, 0x20, 0x00 }, 3, 3, false, "mov eax,cr0 (mod ignored: no displacement)" },
    { { 0x0F, 0x22, 0x46 }, 3, 3, false, "mov cr0,esi (mod 1 ignored)" },
    { { 0xF3, 0xA4 }, 2, 2, false, "rep movsb" },
    { { 0xF2, 0xAE }, 2, 2, false, "repne scasb" },
    { { 0xF0, 0x01, 0x07 }, 3, 3, false, "lock add [bx],ax" },
    { { 0x26, 0x8B, 0x07 }, 3, 3, false, "mov ax,es:[bx]" },
    { { 0x64, 0x65, 0x2E, 0x36, 0x3E, 0x26, 0x8B, 0x07 }, 8, 8, false, "six segment prefixes" },
    { { 0x66, 0x67, 0xF3, 0x26, 0xA5 }, 5, 5, false, "66 67 rep es movsd" },
    { { 0x67, 0x8B, 0x04, 0x24 }, 4, 4, false, "67 mov ax,[esp]" },
    { { 0x67, 0x8B, 0x05, 0x78, 0x56, 0x34, 0x12 }, 7, 7, false, "67 mov ax,[disp32]" },
    { { 0x67, 0x8B, 0x04, 0x25, 0x78, 0x56, 0x34, 0x12 }, 8, 8, false, "67 mov ax,[disp32] via SIB" },
    { { 0x67, 0x8B, 0x44, 0x8D, 0x12 }, 5, 5, false, "67 mov ax,[ebp+ecx*4+12]" },
    { { 0x67, 0x8B, 0x84, 0xCD, 0x78, 0x56, 0x34, 0x12 }, 8, 8, false, "67 mov ax,[ebp+ecx*8+disp32]" },
    { { 0x67, 0x66, 0xC7, 0x84, 0x24, 1, 2, 3, 4, 5, 6, 7, 8 }, 13, 13, false, "mov dword [esp+d32],Id" },
    /* 32-bit code */
    { { 0x01, 0x00 }, 2, 2, true, "add [eax],eax" },
    { { 0x05, 0x78, 0x56, 0x34, 0x12 }, 5, 5, true, "add eax,Id" },
    { { 0x66, 0x05, 0x34, 0x12 }, 4, 4, true, "add ax,Iw" },
    { { 0x67, 0x01, 0x06, 0x34, 0x12 }, 5, 5, true, "67 add [1234],eax" },
    { { 0x8B, 0x05, 0x78, 0x56, 0x34, 0x12 }, 6, 6, true, "mov eax,[disp32]" },
    { { 0xA1, 0x78, 0x56, 0x34, 0x12 }, 5, 5, true, "mov eax,[moffs32]" },
    { { 0x67, 0xA1, 0x34, 0x12 }, 4, 4, true, "67 mov eax,[moffs16]" },
    { { 0xEA, 0x78, 0x56, 0x34, 0x12, 0x08, 0x00 }, 7, 7, true, "jmp far ptr16:32" },
    { { 0x66, 0xEA, 0x34, 0x12, 0x08, 0x00 }, 6, 6, true, "66 jmp far ptr16:16" },
    { { 0xE8, 0x78, 0x56, 0x34, 0x12 }, 5, 5, true, "call rel32" },
    { { 0x0F, 0x84, 0x78, 0x56, 0x34, 0x12 }, 6, 6, true, "je rel32" },
    { { 0xC8, 0x34, 0x12, 0x03 }, 4, 4, true, "enter" },
    { { 0x69, 0xC3, 0x78, 0x56, 0x34, 0x12 }, 6, 6, true, "imul eax,ebx,Id" },
    { { 0x81, 0x84, 0x88, 0x78, 0x56, 0x34, 0x12, 1, 2, 3, 4 }, 11, 11, true, "add [eax+ecx*4+d32],Id" },
    { { 0xF0, 0x66, 0x2E, 0x67, 0x81, 0x06, 0x34, 0x12, 0x78, 0x56 }, 10, 10, true, "lock cs 66 67 add" },
};

Test(cpu_decode, lengths)
{
    for (unsigned i = 0; i < sizeof(len_cases) / sizeof(len_cases[0]); i++) {
        const struct len_case *lc = &len_cases[i];
        struct insn in = decode(lc->b, lc->n, lc->d32);
        cr_expect(in.len == lc->len, "%s (%s code): length %u, want %u", lc->what, lc->d32 ? "32-bit" : "16-bit",
                  in.len, lc->len);
        cr_expect(in.op != OP_INVALID, "%s: decoded as invalid", lc->what);
    }
}

/* Every ModRM byte with 16-bit addressing: length and default segment. */
Test(cpu_decode, modrm16_all)
{
    for (unsigned d32 = 0; d32 < 2; d32++)
        for (unsigned modrm = 0; modrm < 256; modrm++) {
            unsigned mod = modrm >> 6, rm = modrm & 7;
            uint8_t b[8] = { 0x67, 0x8B, (uint8_t)modrm, 0x11, 0x22, 0x33, 0x44, 0x55 };
            /* in 16-bit code no 67h; in 32-bit code 67h selects 16-bit addressing */
            const uint8_t *p = d32 ? b : b + 1;
            struct insn in = decode(p, d32 ? 8 : 7, d32);
            unsigned disp = mod == 1 ? 1 : mod == 2 ? 2 : (mod == 0 && rm == 6) ? 2 : 0;
            unsigned want = (d32 ? 1 : 0) + 2 + disp;
            cr_expect(in.len == want, "mov r16,modrm %02X (%s code): length %u, want %u", modrm,
                      d32 ? "67h/32-bit" : "16-bit", in.len, want);
            if (mod == 3) {
                cr_expect(!(in.flags & I_MEM), "modrm %02X: register operand decoded as memory", modrm);
                continue;
            }
            bool bp = (rm == 2 || rm == 3 || (rm == 6 && mod != 0));
            cr_expect(in.seg == (bp ? S_SS : S_DS), "modrm %02X: segment %u, want %s", modrm, in.seg,
                      bp ? "SS" : "DS");
            if (mod == 1)
                cr_expect(in.disp == 0x11, "modrm %02X: disp %08X, want 00000011", modrm, in.disp);
            if (mod == 2 || (mod == 0 && rm == 6))
                cr_expect(in.disp == 0x2211, "modrm %02X: disp %08X, want 2211", modrm, in.disp);
        }
}

/* Every ModRM byte and, for rm=4, every SIB byte with 32-bit addressing. */
Test(cpu_decode, modrm32_sib_all)
{
    for (unsigned d32 = 0; d32 < 2; d32++)
        for (unsigned modrm = 0; modrm < 192; modrm++) {
            unsigned mod = modrm >> 6, rm = modrm & 7;
            for (unsigned sib = 0; sib < (rm == 4 ? 256u : 1u); sib++) {
                uint8_t b[12] = { 0x67, 0x8B, (uint8_t)modrm };
                unsigned n = 3;
                if (rm == 4)
                    b[n++] = (uint8_t)sib;
                for (unsigned k = 0; k < 4; k++)
                    b[n++] = (uint8_t)(0x81 + k);
                const uint8_t *p = d32 ? b + 1 : b;
                if (d32)
                    n--;
                struct insn in = decode(p, n, d32);
                unsigned base = rm == 4 ? (sib & 7) : rm;
                bool nobase = (mod == 0 && base == 5);
                unsigned disp = mod == 1 ? 1 : mod == 2 ? 4 : nobase ? 4 : 0;
                unsigned want = (d32 ? 0 : 1) + 2 + (rm == 4) + disp;
                cr_expect(in.len == want, "modrm %02X sib %02X (%s): length %u, want %u", modrm, sib,
                          d32 ? "32-bit code" : "67h", in.len, want);
                bool ss = !nobase && (base == 4 || base == 5);
                cr_expect(in.seg == (ss ? S_SS : S_DS), "modrm %02X sib %02X: segment %u, want %s", modrm, sib,
                          in.seg, ss ? "SS" : "DS");
                cr_expect(in.base == (nobase ? NOREG : base), "modrm %02X sib %02X: base %u", modrm, sib, in.base);
                if (rm == 4) {
                    unsigned idx = (sib >> 3) & 7;
                    cr_expect(in.index == (idx == 4 ? NOREG : idx), "modrm %02X sib %02X: index %u", modrm, sib,
                              in.index);
                    if (idx != 4)
                        cr_expect(in.scale == sib >> 6, "modrm %02X sib %02X: scale %u", modrm, sib, in.scale);
                }
                if (disp == 4)
                    cr_expect(in.disp == 0x84838281u, "modrm %02X sib %02X: disp %08X", modrm, sib, in.disp);
                if (disp == 1)
                    cr_expect(in.disp == 0xFFFFFF81u, "modrm %02X sib %02X: disp8 not sign-extended: %08X", modrm,
                              sib, in.disp);
            }
        }
}

/* A segment prefix overrides the default, also SS-based ones; the last
 * prefix of several wins. */
Test(cpu_decode, segment_override)
{
    static const uint8_t pfx[6] = { 0x26, 0x2E, 0x36, 0x3E, 0x64, 0x65 };
    static const uint8_t segs[6] = { S_ES, S_CS, S_SS, S_DS, S_FS, S_GS };
    for (unsigned i = 0; i < 6; i++) {
        struct insn in = decode(BYTES(pfx[i], 0x8B, 0x46, 0x12), false); /* mov ax,[bp+12] */
        cr_expect(in.seg == segs[i] && (in.flags & I_SEGOVR), "prefix %02X: seg %u", pfx[i], in.seg);
        in = decode(BYTES(pfx[i], 0x8B, 0x07), false); /* mov ax,[bx] */
        cr_expect(in.seg == segs[i], "prefix %02X with [bx]: seg %u", pfx[i], in.seg);
        in = decode(BYTES(pfx[i], 0xA0, 0x34, 0x12), false); /* moffs */
        cr_expect(in.seg == segs[i], "prefix %02X with moffs: seg %u", pfx[i], in.seg);
    }
    struct insn in = decode(BYTES(0x26, 0x64, 0x8B, 0x07), false);
    cr_expect(in.seg == S_FS, "26 64: the last prefix should win, got seg %u", in.seg);
    in = decode(BYTES(0xA0, 0x34, 0x12), false);
    cr_expect(in.seg == S_DS && in.disp == 0x1234, "moffs: seg %u disp %X", in.seg, in.disp);
}

/* Operand/address size flags and REP/LOCK. */
Test(cpu_decode, prefixes)
{
    struct insn in = decode(BYTES(0x01, 0xD8), false);
    cr_expect(in.op == OP_ADD_EvGv_w && !(in.flags & (I_O32 | I_A32)), "16-bit add");
    in = decode(BYTES(0x66, 0x01, 0xD8), false);
    cr_expect(in.op == OP_ADD_EvGv_d && (in.flags & I_O32), "66 add");
    in = decode(BYTES(0x66, 0x01, 0xD8), true);
    cr_expect(in.op == OP_ADD_EvGv_w && !(in.flags & I_O32), "66 add in 32-bit code");
    in = decode(BYTES(0x66, 0x66, 0x01, 0xD8), false);
    cr_expect(in.op == OP_ADD_EvGv_d, "66 66 add: a repeated prefix is still one toggle");
    in = decode(BYTES(0x67, 0x01, 0x00), false);
    cr_expect((in.flags & I_A32) && in.base == R_EAX, "67 add [eax]");
    in = decode(BYTES(0xF3, 0xA4), false);
    cr_expect((in.flags & I_REP) && !(in.flags & I_REPNE) && in.op == OP_MOVSB, "rep movsb");
    in = decode(BYTES(0xF3, 0xF2, 0xA6), false);
    cr_expect((in.flags & I_REPNE) && !(in.flags & I_REP), "f3 f2 cmpsb: the last REP prefix wins");
    in = decode(BYTES(0xF0, 0x01, 0x07), false);
    cr_expect(in.flags & I_LOCK, "lock");
    in = decode(BYTES(0x0F, 0xC8 + 3), false);
    cr_expect(in.op == OP_BSWAP && in.reg == 3, "bswap ebx");
    in = decode(BYTES(0xC8, 0x34, 0x12, 0x05), false);
    cr_expect(in.imm == 0x1234 && in.imm2 == 5, "enter imm %X level %X", in.imm, in.imm2);
    in = decode(BYTES(0xEA, 0x34, 0x12, 0x78, 0x56), false);
    cr_expect(in.imm == 0x1234 && in.imm2 == 0x5678, "jmp far imm %X sel %X", in.imm, in.imm2);
    in = decode(BYTES(0x83, 0xC0, 0x80), false);
    cr_expect(in.imm == 0xFFFFFF80u, "83 imm8 is sign-extended: %08X", in.imm);
    in = decode(BYTES(0xEB, 0xFE), false);
    cr_expect(in.imm == 0xFFFFFFFEu, "jmp rel8 is sign-extended: %08X", in.imm);
}

/* ---- model differences ------------------------------------------------- */

Test(cpu_decode, model_8086_aliases)
{
    struct insn in = decode_on(CPU_8086, BYTES(0x0F), false);
    cr_expect(in.op == OP_POP_seg_w && in.len == 1, "8086 0F: op %u (%s) len %u, want POP CS", in.op,
              cpu_op_name(in.op), in.len);
    for (unsigned b = 0x60; b <= 0x6F; b++) {
        in = decode_on(CPU_8086, BYTES((uint8_t)b, 0x12), false);
        cr_expect(in.op == OP_JO + (b - 0x60) && in.len == 2, "8086 %02X: %s len %u, want J%02X", b,
                  cpu_op_name(in.op), in.len, b + 0x10);
    }
    in = decode_on(CPU_8086, BYTES(0xC0, 0x34, 0x12), false);
    cr_expect(in.op == OP_RET_Iw_w && in.len == 3 && in.imm == 0x1234, "8086 C0 = RET Iw");
    in = decode_on(CPU_8086, BYTES(0xC1), false);
    cr_expect(in.op == OP_RET_w && in.len == 1, "8086 C1 = RET");
    in = decode_on(CPU_8086, BYTES(0xC8, 0x34, 0x12), false);
    cr_expect(in.op == OP_RETF_Iw_w && in.len == 3, "8086 C8 = RETF Iw");
    in = decode_on(CPU_8086, BYTES(0xC9), false);
    cr_expect(in.op == OP_RETF_w && in.len == 1, "8086 C9 = RETF");
    /* and on later models they are what the SDM says */
    in = decode_on(CPU_286, BYTES(0x60), false);
    cr_expect(in.op == OP_PUSHA_w, "286 60 = PUSHA");
    in = decode_on(CPU_286, BYTES(0xC8, 0x34, 0x12, 0x01), false);
    cr_expect(in.op == OP_ENTER_w && in.len == 4, "286 C8 = ENTER");
    in = decode_on(CPU_286, BYTES(0xC1, 0xE0, 0x03), false);
    cr_expect(in.op == OP_SHIFT_EvIb_w && in.len == 3, "286 C1 = shift Ib");
}

/* Runs b on model from 0000:1000 and returns the vector taken (-1: none). */
static int run_on(enum cpu_model model, const uint8_t *b, unsigned n)
{
    struct pk m;
    pk_init(&m, model);
    pk_code(&m, b, n);
    struct regs r = { { 0 }, 0 };
    int v = pk_run(&m, &r);
    if (v >= 0) {
        uint16_t ip = (uint16_t)bus_read(&m.bus, PK_STACK - 6, 2);
        cr_expect(ip == PK_CODE, "model %s: vector %d pushed IP %04X, want the instruction's %04X",
                  cpu_model_name(model), v, ip, PK_CODE);
    }
    pk_free(&m);
    return v;
}

static int run_prefixed(enum cpu_model model, unsigned total)
{
    uint8_t b[20];
    for (unsigned i = 0; i + 1 < total; i++)
        b[i] = 0x26;
    b[total - 1] = 0x90;
    return run_on(model, b, total);
}

Test(cpu_decode, length_limits)
{
    cr_expect(run_prefixed(CPU_286, 10) == -1, "286: a 10-byte instruction must run");
    cr_expect(run_prefixed(CPU_286, 11) == EXC_GP, "286: an 11-byte instruction must raise #GP");
    for (enum cpu_model m = CPU_386; m <= CPU_P6; m++) {
        cr_expect(run_prefixed(m, 15) == -1, "%s: a 15-byte instruction must run", cpu_model_name(m));
        cr_expect(run_prefixed(m, 16) == EXC_GP, "%s: a 16-byte instruction must raise #GP", cpu_model_name(m));
    }
    /* 15 bytes with real content: lock 66 67 es add dword [eax+ecx*4+d32], Id */
    const uint8_t big[] = { 0x26, 0x26, 0x66, 0x67, 0x81, 0x84, 0x88, 0, 0x20, 0, 0, 0x78, 0x56, 0x34, 0x12 };
    cr_expect(run_on(CPU_P6, big, 15) == -1, "p6: 15-byte add must run");
    const uint8_t big16[] = { 0x26, 0x26, 0x26, 0x66, 0x67, 0x81, 0x84, 0x88, 0, 0x20, 0, 0, 0x78, 0x56, 0x34, 0x12 };
    cr_expect(run_on(CPU_P6, big16, 16) == EXC_GP, "p6: 16-byte add must raise #GP");
}

Test(cpu_decode, model_opcode_availability)
{
    const uint8_t movcr[] = { 0x0F, 0x20, 0xC0 };
    cr_expect(run_on(CPU_286, movcr, 3) == EXC_UD, "286: 0F 20 (mov r32,cr0) must be #UD");
    cr_expect(run_on(CPU_386, movcr, 3) == -1, "386: mov eax,cr0 must run");
    const uint8_t cmov[] = { 0x0F, 0x44, 0xC3 };
    cr_expect(run_on(CPU_486, cmov, 3) == EXC_UD, "486: CMOV must be #UD");
    cr_expect(run_on(CPU_PENTIUM, cmov, 3) == EXC_UD, "pentium (P54C): CMOV must be #UD");
    cr_expect(run_on(CPU_P6, cmov, 3) == -1, "p6: CMOV must run");
    const uint8_t opsz[] = { 0x66, 0x90 };
    cr_expect(run_on(CPU_286, opsz, 2) == EXC_UD, "286: 66h is not a prefix (#UD)");
    const uint8_t bswap[] = { 0x0F, 0xC8 };
    cr_expect(run_on(CPU_386, bswap, 2) == EXC_UD, "386: BSWAP must be #UD");
    cr_expect(run_on(CPU_486, bswap, 2) == -1, "486: BSWAP must run");
    const uint8_t xadd[] = { 0x0F, 0xC1, 0xD8 };
    cr_expect(run_on(CPU_386, xadd, 3) == EXC_UD, "386: XADD must be #UD");
    const uint8_t ud2[] = { 0x0F, 0x0B };
    cr_expect(run_on(CPU_P6, ud2, 2) == EXC_UD, "p6: UD2 must be #UD");
    const uint8_t lock_mov[] = { 0xF0, 0x89, 0xD8 };
    cr_expect(run_on(CPU_P6, lock_mov, 3) == EXC_UD, "p6: LOCK MOV reg,reg must be #UD");
    const uint8_t lock_add_reg[] = { 0xF0, 0x01, 0xD8 };
    cr_expect(run_on(CPU_P6, lock_add_reg, 3) == EXC_UD, "p6: LOCK ADD with a register destination must be #UD");
    const uint8_t lea_reg[] = { 0x8D, 0xC0 };
    cr_expect(run_on(CPU_P6, lea_reg, 2) == EXC_UD, "p6: LEA with a register operand must be #UD");
    const uint8_t popcs[] = { 0x8E, 0xC8 };
    cr_expect(run_on(CPU_P6, popcs, 2) == EXC_UD, "p6: MOV CS,ax must be #UD");
}
