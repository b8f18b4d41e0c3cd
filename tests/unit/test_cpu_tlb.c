/* White-box tests of the software TLBs' flushes (cpu/memory.c): a flush
 * invalidates every entry that was filled, and touches nothing else, so
 * that a guest toggling CR0.WP or CR4.PGE, or writing CR3, in a loop pays
 * for the few entries it used rather than for the whole TLB each time. */
#include "cpu/interp.h"
#include "tests/unit/host_oracle.h"

TestSuite(cpu_tlb, .timeout = 30.0);

/* Real mode on a P6 at 0000:1000: reads from three pages, then MOV CR0
 * with WP toggled (a TLB flush), then HLT. */
static const uint8_t touch_then_toggle_wp[] = {
    0xA1, 0x00, 0x30,             /* mov ax, [3000h] */
    0xA1, 0x00, 0x50,             /* mov ax, [5000h] */
    0xA1, 0x00, 0x70,             /* mov ax, [7000h] */
    0x0F, 0x20, 0xC0,             /* mov eax, cr0 */
    0x66, 0x35, 0x00, 0x00, 0x01, 0x00, /* xor eax, 10000h (WP) */
    0x0F, 0x22, 0xC0,             /* mov cr0, eax */
};

static unsigned valid_entries(const struct cpu *c, unsigned u)
{
    unsigned n = 0;
    for (unsigned i = 0; i < TLB_SIZE; i++)
        n += c->tlb[u][i].tag_r != TLB_INVALID || c->tlb[u][i].tag_w != TLB_INVALID;
    return n;
}

Test(cpu_tlb, a_flush_clears_the_filled_entries_and_touches_no_other)
{
    struct pk m;
    pk_init(&m, CPU_P6);
    pk_code(&m, touch_then_toggle_wp, sizeof(touch_then_toggle_wp));
    struct cpu_state st = m.base;
    cpu_set_state(m.cpu, &st);
    struct cpu *c = m.cpu;
    /* A canary in an entry no access will fill (page 0xAB's slot): invalid
     * tags, and a physical page no flush should have reason to rewrite. */
    struct tlb_entry *canary = &c->tlb[0][0xAB];
    canary->phys_page = 0x12345000u;

    for (int i = 0; i < 3; i++)
        cr_assert(cpu_step(c) == CPU_EXIT_BUDGET);
    cr_expect(c->tlb_nused[0] >= 3, "three data pages read: %u entries listed", c->tlb_nused[0]);
    cr_expect(valid_entries(c, 0) == c->tlb_nused[0], "every valid entry is listed");
    for (unsigned k = 0; k < c->tlb_nused[0]; k++)
        cr_expect(c->tlb[0][c->tlb_used[0][k]].listed);

    for (int i = 0; i < 3; i++)
        cr_assert(cpu_step(c) == CPU_EXIT_BUDGET); /* mov eax,cr0; xor; mov cr0,eax */
    cpu_get_state(c, &st);
    cr_expect(st.cr0 & 0x10000u, "WP was set");
    cr_expect(valid_entries(c, 0) == 0, "after the flush no entry is valid");
    cr_expect(c->tlb_nused[0] == 0, "and none is listed");
    cr_expect(canary->phys_page == 0x12345000u, "the flush rewrote an entry that was never filled");

    /* The entries fill again after the flush, and reads still see memory. */
    bus_write(&m.bus, 0x3000, 0xBEEF, 2);
    pk_code(&m, (const uint8_t[]){ 0xA1, 0x00, 0x30 }, 3);
    st.eip = PK_CODE;
    cpu_set_state(c, &st);
    cr_assert(cpu_step(c) == CPU_EXIT_BUDGET);
    cpu_get_state(c, &st);
    cr_expect((st.gpr[R_EAX] & 0xFFFF) == 0xBEEF);
    cr_expect(c->tlb_nused[0] >= 1);
    pk_free(&m);
}

Test(cpu_tlb, a_cr3_write_keeps_global_entries_listed)
{
    struct pk m;
    pk_init(&m, CPU_P6);
    struct cpu *c = m.cpu;
    cpu_tlb_flush(c);
    /* Two entries by hand: one global, one not. */
    struct tlb_entry *g = &c->tlb[0][1], *n = &c->tlb[0][2];
    g->tag_r = 0x1000;
    g->global = true;
    g->listed = true;
    n->tag_r = 0x2000;
    n->listed = true;
    c->tlb_used[0][0] = 1;
    c->tlb_used[0][1] = 2;
    c->tlb_nused[0] = 2;
    cpu_tlb_flush_nonglobal(c);
    cr_expect(g->tag_r == 0x1000u, "the global entry survives");
    cr_expect(n->tag_r == TLB_INVALID, "the other is cleared");
    cr_expect(c->tlb_nused[0] == 1);
    cr_expect(c->tlb_used[0][0] == 1);
    cr_expect(!n->listed);
    cpu_tlb_flush(c);
    cr_expect(g->tag_r == TLB_INVALID, "a full flush clears global entries too");
    cr_expect(c->tlb_nused[0] == 0);
    pk_free(&m);
}

/* A fetch window remembered for a linear page (cpu/cpu.c, fwin) goes with
 * the translation: after the guest remaps the page and invalidates it
 * (INVLPG, or a CR3 write), a call there runs the new page's code. */
static void remapped_code_runs_after(const uint8_t *flush, unsigned flush_len)
{
    struct pk m;
    pk_init(&m, CPU_P6);
    struct cpu *c = m.cpu;
    /* Page directory at 10000h, one table at 11000h mapping the first
     * 256 KiB to itself, except linear 5000h, which maps to 6000h. */
    bus_write(&m.bus, 0x10000, 0x11000 | 0x7, 4);
    for (uint32_t p = 0; p < 0x40; p++)
        bus_write(&m.bus, 0x11000 + 4 * p, (p << 12) | 0x7, 4);
    bus_write(&m.bus, 0x11000 + 4 * 5, 0x6000 | 0x7, 4);
    const uint8_t at6000[] = { 0xB8, 0x01, 0x00, 0x00, 0x00, 0xC3 }; /* mov eax,1 ; ret */
    const uint8_t at7000[] = { 0xBB, 0x02, 0x00, 0x00, 0x00, 0xC3 }; /* mov ebx,2 ; ret */
    for (unsigned i = 0; i < sizeof(at6000); i++) {
        bus_write8(&m.bus, 0x6000 + i, at6000[i]);
        bus_write8(&m.bus, 0x7000 + i, at7000[i]);
    }
    uint8_t code[64];
    unsigned n = 0;
    /* 1000: call 5000h ; mov dword [11014h], 7007h ; <flush> ; call 5000h ; hlt */
    code[n++] = 0xE8;
    uint32_t rel = 0x5000 - (PK_CODE + 5);
    for (unsigned k = 0; k < 4; k++) /* little-endian, whatever the host */
        code[n++] = (uint8_t)(rel >> (8 * k));
    const uint8_t remap[] = { 0xC7, 0x05, 0x14, 0x10, 0x01, 0x00, 0x07, 0x70, 0x00, 0x00 };
    memcpy(&code[n], remap, sizeof(remap));
    n += sizeof(remap);
    memcpy(&code[n], flush, flush_len);
    n += flush_len;
    code[n++] = 0xE8;
    rel = 0x5000 - (PK_CODE + n + 4);
    for (unsigned k = 0; k < 4; k++)
        code[n++] = (uint8_t)(rel >> (8 * k));
    pk_code(&m, code, n);

    struct cpu_state st = m.base;
    st.cr0 |= 0x80000001u; /* PE, PG */
    st.cr3 = 0x10000;
    st.seg[S_CS] = (struct cpu_seg){ 0x08, 0, 0xFFFFFFFFu, 0xC09B };
    for (int s = 0; s < S_NSEG; s++)
        if (s != S_CS)
            st.seg[s] = (struct cpu_seg){ 0x10, 0, 0xFFFFFFFFu, 0xC093 };
    st.gpr[R_ESP] = 0x9000;
    st.gpr[R_EAX] = st.gpr[R_EBX] = 0;
    st.eip = PK_CODE;
    cpu_set_state(c, &st);
    enum cpu_exit why = cpu_run(c, 1000, NULL);
    cpu_get_state(c, &st);
    cr_expect(why == CPU_EXIT_HALT, "exit %d at %08X", (int)why, st.eip);
    cr_expect(st.gpr[R_EAX] == 1, "the first call ran the first page: EAX=%08X", st.gpr[R_EAX]);
    cr_expect(st.gpr[R_EBX] == 2, "the second call ran the remapped page: EBX=%08X", st.gpr[R_EBX]);
    pk_free(&m);
}

Test(cpu_tlb, code_remapped_and_invlpg_runs_the_new_page)
{
    const uint8_t invlpg[] = { 0x0F, 0x01, 0x3D, 0x00, 0x50, 0x00, 0x00 }; /* invlpg [5000h] */
    remapped_code_runs_after(invlpg, sizeof(invlpg));
}

Test(cpu_tlb, code_remapped_and_cr3_written_runs_the_new_page)
{
    const uint8_t reload[] = { 0x0F, 0x20, 0xD9, 0x0F, 0x22, 0xD9 }; /* mov ecx,cr3 ; mov cr3,ecx */
    remapped_code_runs_after(reload, sizeof(reload));
}
