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
