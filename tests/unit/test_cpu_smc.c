/* Self-modifying code: an instruction the CPU has decoded (and cached) is
 * overwritten by the guest, by a device or through an alias, and the next
 * execution must use the new bytes. */
#include "tests/unit/host_oracle.h"

TestSuite(cpu_smc, .timeout = 30.0);

static struct pk M;
static void setup(void)
{
    pk_init(&M, CPU_P6);
}
static void teardown(void)
{
    pk_free(&M);
}

/* Writes bytes at phys through the bus (as a loader would). */
static void put_bytes(uint32_t phys, const uint8_t *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        bus_write8(&M.bus, phys + i, b[i]);
}

/* Executes one instruction at cs:ip with the given registers. */
static struct cpu_state step_at(uint16_t cs, uint16_t ip, const uint32_t *gpr, uint16_t ds)
{
    struct cpu_state st = M.base;
    cpu_state_real_seg(&st, S_CS, cs);
    cpu_state_real_seg(&st, S_DS, ds);
    st.eip = ip;
    if (gpr)
        for (int r = 0; r < 8; r++)
            if (r != R_ESP)
                st.gpr[r] = gpr[r];
    cpu_set_state(M.cpu, &st);
    cpu_step(M.cpu);
    cpu_get_state(M.cpu, &st);
    return st;
}

static enum cpu_exit run_from(uint16_t ip, const uint32_t *gpr, struct cpu_state *out)
{
    struct cpu_state st = M.base;
    st.eip = ip;
    if (gpr)
        for (int r = 0; r < 8; r++)
            if (r != R_ESP)
                st.gpr[r] = gpr[r];
    cpu_set_state(M.cpu, &st);
    enum cpu_exit why = cpu_run(M.cpu, 1000, NULL);
    cpu_get_state(M.cpu, out);
    return why;
}

Test(cpu_smc, guest_mov_changes_immediate, .init = setup, .fini = teardown)
{
    /* 1000: mov al,11h / 1002: mov byte [bx+1],42h */
    put_bytes(0x1000, (const uint8_t[]){ 0xB0, 0x11, 0xF4, 0xF4, 0xC6, 0x47, 0x01, 0x42, 0xF4 }, 9);
    uint32_t g[8] = { 0 };
    g[R_EBX] = 0x1000;
    struct cpu_state st = step_at(0, 0x1000, g, 0);
    cr_assert((st.gpr[R_EAX] & 0xFF) == 0x11, "first run: AL=%02X", st.gpr[R_EAX] & 0xFF);
    st = step_at(0, 0x1004, g, 0);
    cr_assert(bus_read8(&M.bus, 0x1001) == 0x42, "the guest write did not land");
    st = step_at(0, 0x1000, g, 0);
    cr_expect((st.gpr[R_EAX] & 0xFF) == 0x42, "after the guest changed the immediate: AL=%02X, want 42 (stale decode)",
              st.gpr[R_EAX] & 0xFF);
}

Test(cpu_smc, loop_in_one_run, .init = setup, .fini = teardown)
{
    /* 1000: mov al,11h ; cmp al,11h ; jne 100C ; mov byte [bx+1],42h ; jmp 1000 ; 100C: hlt */
    put_bytes(0x1000, (const uint8_t[]){ 0xB0, 0x11, 0x3C, 0x11, 0x75, 0x06, 0xC6, 0x47, 0x01, 0x42, 0xEB, 0xF4, 0xF4 },
              13);
    uint32_t g[8] = { 0 };
    g[R_EBX] = 0x1000;
    struct cpu_state st;
    enum cpu_exit why = run_from(0x1000, g, &st);
    cr_expect(why == CPU_EXIT_HALT && (st.gpr[R_EAX] & 0xFF) == 0x42,
              "exit %d AL=%02X IP=%04X: the rewritten MOV was not re-decoded", (int)why, st.gpr[R_EAX] & 0xFF,
              st.eip);
}

/* The very next instruction is rewritten (same granule); and word and
 * string writes. */
Test(cpu_smc, next_instruction_and_wide_writes, .init = setup, .fini = teardown)
{
    /* 1000: mov byte [1006],42h ; 1005: mov al,11h ; 1007: hlt */
    put_bytes(0x1000, (const uint8_t[]){ 0xC6, 0x06, 0x06, 0x10, 0x42, 0xB0, 0x11, 0xF4 }, 8);
    struct cpu_state st = step_at(0, 0x1005, NULL, 0); /* cache "mov al,11h" */
    cr_assert((st.gpr[R_EAX] & 0xFF) == 0x11);
    enum cpu_exit why = run_from(0x1000, NULL, &st);
    cr_expect(why == CPU_EXIT_HALT && (st.gpr[R_EAX] & 0xFF) == 0x42, "next instruction rewritten: AL=%02X",
              st.gpr[R_EAX] & 0xFF);

    /* word write: 1010: mov word [1016],1234h ; 1016: mov ax,5555h (imm at 1017) -- the word store covers
     * the opcode and the low immediate byte: B8 -> 34, 55 -> 12, making "xor al,12h" ... keep it simple:
     * write the whole immediate instead */
    put_bytes(0x1010, (const uint8_t[]){ 0xC7, 0x06, 0x17, 0x10, 0x34, 0x12, 0xB8, 0x55, 0x55, 0xF4 }, 10);
    st = step_at(0, 0x1016, NULL, 0);
    cr_assert((st.gpr[R_EAX] & 0xFFFF) == 0x5555);
    why = run_from(0x1010, NULL, &st);
    cr_expect(why == CPU_EXIT_HALT && (st.gpr[R_EAX] & 0xFFFF) == 0x1234, "word write: AX=%04X, want 1234",
              st.gpr[R_EAX] & 0xFFFF);

    /* rep stosb over the immediate of a cached instruction: 1020: rep stosb (DI=1031, CX=2, AL=77) ;
     * 1022: jmp 1030 ; 1030: mov ax,5555h */
    put_bytes(0x1020, (const uint8_t[]){ 0xF3, 0xAA, 0xEB, 0x0C }, 4);
    put_bytes(0x1030, (const uint8_t[]){ 0xB8, 0x55, 0x55, 0xF4 }, 4);
    st = step_at(0, 0x1030, NULL, 0);
    cr_assert((st.gpr[R_EAX] & 0xFFFF) == 0x5555);
    uint32_t g[8] = { 0 };
    g[R_EAX] = 0x77;
    g[R_ECX] = 2;
    g[R_EDI] = 0x1031;
    why = run_from(0x1020, g, &st);
    cr_expect(why == CPU_EXIT_HALT && (st.gpr[R_EAX] & 0xFFFF) == 0x7777, "rep stosb over code: AX=%04X, want 7777",
              st.gpr[R_EAX] & 0xFFFF);
}

/* An instruction that starts in one 64-byte granule and ends in the next:
 * writing its last byte must drop it. Likewise across a page boundary. */
Test(cpu_smc, granule_and_page_crossing, .init = setup, .fini = teardown)
{
    static const uint32_t at[] = { 0x103F, 0x107E, 0x1FFF, 0x2FFE };
    for (unsigned i = 0; i < 4; i++) {
        uint32_t a = at[i];
        put_bytes(a, (const uint8_t[]){ 0x66, 0xB8, 0x11, 0x22, 0x33, 0x44, 0xF4 }, 7); /* mov eax,44332211h */
        struct cpu_state st = step_at(0, (uint16_t)a, NULL, 0);
        cr_assert(st.gpr[R_EAX] == 0x44332211u, "at %X: EAX=%08X", a, st.gpr[R_EAX]);
        /* guest: mov byte [a+5],99h */
        uint32_t g[8] = { 0 };
        g[R_EBX] = a + 5;
        put_bytes(0x4000, (const uint8_t[]){ 0xC6, 0x07, 0x99, 0xF4 }, 4);
        st = step_at(0, 0x4000, g, 0);
        cr_assert(bus_read8(&M.bus, a + 5) == 0x99);
        st = step_at(0, (uint16_t)a, NULL, 0);
        cr_expect(st.gpr[R_EAX] == 0x99332211u, "instruction at %X, last byte rewritten by the guest: EAX=%08X, "
                  "want 99332211", a, st.gpr[R_EAX]);
    }
}

/* A device (DMA, a loader) writes over cached code through the bus. */
Test(cpu_smc, device_write_block, .init = setup, .fini = teardown)
{
    put_bytes(0x1000, (const uint8_t[]){ 0xB0, 0x11, 0xF4 }, 3);
    struct cpu_state st = step_at(0, 0x1000, NULL, 0);
    cr_assert((st.gpr[R_EAX] & 0xFF) == 0x11);
    const uint8_t nb[] = { 0xB0, 0x42 };
    bus_write_block(&M.bus, 0x1000, nb, 2);
    st = step_at(0, 0x1000, NULL, 0);
    cr_expect((st.gpr[R_EAX] & 0xFF) == 0x42, "bus_write_block over code: AL=%02X", st.gpr[R_EAX] & 0xFF);
}

/* The same physical byte through another segment:offset. */
Test(cpu_smc, write_through_other_segment, .init = setup, .fini = teardown)
{
    put_bytes(0x1000, (const uint8_t[]){ 0xB0, 0x11, 0xF4 }, 3);
    put_bytes(0x3000, (const uint8_t[]){ 0xC6, 0x06, 0x01, 0x00, 0x42, 0xF4 }, 6); /* mov byte [0001],42h */
    struct cpu_state st = step_at(0x0100, 0x0000, NULL, 0); /* 0100:0000 = phys 1000 */
    cr_assert((st.gpr[R_EAX] & 0xFF) == 0x11);
    step_at(0, 0x3000, NULL, 0x0100); /* DS=0100 */
    st = step_at(0, 0x1000, NULL, 0);
    cr_expect((st.gpr[R_EAX] & 0xFF) == 0x42, "rewritten via DS=0100h: AL=%02X", st.gpr[R_EAX] & 0xFF);
}

/* Code executed through a RAM alias (as the BIOS shadow is mapped) and
 * written through the other mapping of the same RAM. */
Test(cpu_smc, write_through_ram_alias, .init = setup, .fini = teardown)
{
    cr_assert(bus_map_ram_alias(&M.bus, 0x50000, 0x1000, 0x1000) == 0);
    put_bytes(0x1000, (const uint8_t[]){ 0xB0, 0x11, 0xF4 }, 3);
    put_bytes(0x3000, (const uint8_t[]){ 0xC6, 0x06, 0x01, 0x00, 0x42, 0xF4 }, 6); /* mov byte [0001],42h */
    /* execute at 0000:1000, write at 5000:0001 */
    struct cpu_state st = step_at(0, 0x1000, NULL, 0);
    cr_assert((st.gpr[R_EAX] & 0xFF) == 0x11);
    step_at(0, 0x3000, NULL, 0x5000);
    cr_assert(bus_read8(&M.bus, 0x1001) == 0x42, "alias write did not reach RAM");
    st = step_at(0, 0x1000, NULL, 0);
    cr_expect((st.gpr[R_EAX] & 0xFF) == 0x42, "code at 1000h rewritten through its alias at 50000h: AL=%02X",
              st.gpr[R_EAX] & 0xFF);
    /* and the other way round: execute through the alias, write the RAM address */
    put_bytes(0x1000, (const uint8_t[]){ 0xB0, 0x11, 0xF4 }, 3);
    st = step_at(0x5000, 0x0000, NULL, 0);
    cr_assert((st.gpr[R_EAX] & 0xFF) == 0x11);
    step_at(0, 0x3000, NULL, 0x0100); /* DS=0100: writes phys 1001 */
    st = step_at(0x5000, 0x0000, NULL, 0);
    cr_expect((st.gpr[R_EAX] & 0xFF) == 0x42, "code at 50000h (alias) rewritten at 1001h: AL=%02X",
              st.gpr[R_EAX] & 0xFF);
}
