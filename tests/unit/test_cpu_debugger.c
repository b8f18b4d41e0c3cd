/* A debugger's breakpoints and watchpoints (cpu/debugger.c): execution
 * breakpoints stop before the instruction and are passed when the run
 * resumes from them, watchpoints stop after the accessing instruction (a
 * REP string after the iteration), and the x87 state goes in and out. */
#include <errno.h>

#include "tests/unit/host_oracle.h"

TestSuite(cpu_debugger, .timeout = 30.0);

static struct pk M;
static void setup(void)
{
    pk_init(&M, CPU_P6);
}
static void teardown(void)
{
    pk_free(&M);
}

static void put_bytes(uint32_t phys, const uint8_t *b, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        bus_write8(&M.bus, phys + i, b[i]);
}

static void start_at(uint16_t ip, const uint32_t *gpr)
{
    struct cpu_state st = M.base;
    st.eip = ip;
    if (gpr)
        for (int r = 0; r < 8; r++)
            st.gpr[r] = gpr[r];
    cpu_set_state(M.cpu, &st);
}

static struct cpu_debug_hit last_hit(void)
{
    struct cpu_debug_hit h;
    cpu_debug_hit(M.cpu, &h);
    return h;
}

Test(cpu_debugger, a_breakpoint_stops_before_and_resumes_past_it, .init = setup, .fini = teardown)
{
    /* 1000: mov al,1 / 1002: mov bl,2 / 1004: hlt */
    put_bytes(0x1000, (const uint8_t[]){ 0xB0, 0x01, 0xB3, 0x02, 0xF4 }, 5);
    start_at(0x1000, NULL);
    cr_assert_eq(cpu_break_insert(M.cpu, CPU_BREAK_EXEC, 0x1002, 1), 0);
    cr_assert_eq(cpu_run(M.cpu, 1000, NULL), CPU_EXIT_DEBUG);
    struct cpu_state st;
    cpu_get_state(M.cpu, &st);
    struct cpu_debug_hit h = last_hit();
    cr_assert(h.hit && h.kind == CPU_BREAK_EXEC && h.addr == 0x1002);
    cr_assert_eq(st.eip, 0x1002);
    cr_assert_eq(st.gpr[R_EAX] & 0xFF, 1);
    cr_assert_eq(st.gpr[R_EBX] & 0xFF, 0, "the instruction at the breakpoint has not run");
    cr_assert_eq(cpu_run(M.cpu, 1000, NULL), CPU_EXIT_HALT, "resuming passes the breakpoint");
    cpu_get_state(M.cpu, &st);
    cr_assert_eq(st.gpr[R_EBX] & 0xFF, 2);
    cr_assert(!last_hit().hit);
}

Test(cpu_debugger, a_step_runs_the_instruction_under_a_breakpoint, .init = setup, .fini = teardown)
{
    put_bytes(0x1000, (const uint8_t[]){ 0xB0, 0x01, 0xB3, 0x02, 0xF4 }, 5);
    start_at(0x1000, NULL);
    cr_assert_eq(cpu_break_insert(M.cpu, CPU_BREAK_EXEC, 0x1000, 1), 0);
    cr_assert_eq(cpu_step(M.cpu), CPU_EXIT_BUDGET);
    struct cpu_state st;
    cpu_get_state(M.cpu, &st);
    cr_assert_eq(st.eip, 0x1002);
    /* Back at the breakpoint by a jump (a new icount): it stops again. */
    st.eip = 0x1000;
    cpu_set_state(M.cpu, &st);
    cr_assert_eq(cpu_run(M.cpu, 1000, NULL), CPU_EXIT_DEBUG);
    cr_assert_eq(cpu_break_remove(M.cpu, CPU_BREAK_EXEC, 0x1000, 1), 0);
    cr_assert_eq(cpu_break_remove(M.cpu, CPU_BREAK_EXEC, 0x1000, 1), -ENOENT);
}

Test(cpu_debugger, many_breakpoints_stay_sorted, .init = setup, .fini = teardown)
{
    for (uint32_t a = 0x9000; a > 0x1000; a -= 0x100)
        cr_assert_eq(cpu_break_insert(M.cpu, CPU_BREAK_EXEC, a, 1), 0);
    put_bytes(0x1000, (const uint8_t[]){ 0x90, 0x90, 0x90, 0xF4 }, 4);
    cr_assert_eq(cpu_break_insert(M.cpu, CPU_BREAK_EXEC, 0x1003, 1), 0);
    start_at(0x1000, NULL);
    cr_assert_eq(cpu_run(M.cpu, 1000, NULL), CPU_EXIT_DEBUG);
    cr_assert_eq(last_hit().addr, 0x1003);
    cpu_break_clear(M.cpu);
    cr_assert_eq(cpu_run(M.cpu, 1000, NULL), CPU_EXIT_HALT);
}

Test(cpu_debugger, a_write_watchpoint_stops_after_the_store, .init = setup, .fini = teardown)
{
    /* 1000: mov byte [2000h],5 / 1005: mov al,[2000h] / 1008: nop / hlt */
    put_bytes(0x1000, (const uint8_t[]){ 0xC6, 0x06, 0x00, 0x20, 0x05, 0xA0, 0x00, 0x20, 0x90, 0xF4 }, 10);
    start_at(0x1000, NULL);
    cr_assert_eq(cpu_break_insert(M.cpu, CPU_WATCH_WRITE, 0x2000, 1), 0);
    cr_assert_eq(cpu_break_insert(M.cpu, CPU_WATCH_READ, 0x2000, 1), 0);
    cr_assert_eq(cpu_run(M.cpu, 1000, NULL), CPU_EXIT_DEBUG);
    struct cpu_state st;
    cpu_get_state(M.cpu, &st);
    struct cpu_debug_hit h = last_hit();
    cr_assert(h.hit && h.kind == CPU_WATCH_WRITE && h.addr == 0x2000);
    cr_assert_eq(st.eip, 0x1005, "stopped after the writing instruction, at %x", st.eip);
    cr_assert_eq(bus_read8(&M.bus, 0x2000), 5);
    cr_assert_eq(cpu_run(M.cpu, 1000, NULL), CPU_EXIT_DEBUG);
    cpu_get_state(M.cpu, &st);
    h = last_hit();
    cr_assert(h.kind == CPU_WATCH_READ && st.eip == 0x1008 && (st.gpr[R_EAX] & 0xFF) == 5);
    cr_assert_eq(cpu_run(M.cpu, 1000, NULL), CPU_EXIT_HALT);
}

Test(cpu_debugger, a_long_watch_range_stops_a_rep_string_after_its_iteration, .init = setup, .fini = teardown)
{
    /* 1000: rep stosb / 1002: hlt; DI=1F00h, CX=200h, AL=AAh */
    put_bytes(0x1000, (const uint8_t[]){ 0xF3, 0xAA, 0xF4 }, 3);
    uint32_t g[8] = { 0xAA, 0x200, 0, 0, PK_STACK, 0, 0, 0x1F00 };
    start_at(0x1000, g);
    cr_assert_eq(cpu_break_insert(M.cpu, CPU_WATCH_ACCESS, 0x2000, 300), 0);
    cr_assert_eq(cpu_run(M.cpu, 100000, NULL), CPU_EXIT_DEBUG);
    struct cpu_state st;
    cpu_get_state(M.cpu, &st);
    cr_assert_eq(last_hit().addr, 0x2000);
    cr_assert_eq(st.gpr[R_EDI] & 0xFFFF, 0x2001, "DI %x", st.gpr[R_EDI]);
    cr_assert_eq(st.gpr[R_ECX] & 0xFFFF, 0x200 - 0x101);
    cr_assert_eq(bus_read8(&M.bus, 0x2001), 0, "the next iteration has not run");
    cr_assert_eq(cpu_break_remove(M.cpu, CPU_WATCH_ACCESS, 0x2000, 300), 0);
    cr_assert_eq(cpu_run(M.cpu, 100000, NULL), CPU_EXIT_HALT);
    cr_assert_eq(bus_read8(&M.bus, 0x20FF), 0xAA);
}

Test(cpu_debugger, bad_watchpoints_are_refused, .init = setup, .fini = teardown)
{
    cr_assert_eq(cpu_break_insert(M.cpu, CPU_WATCH_WRITE, 0x2000, 0), -EINVAL);
    cr_assert_eq(cpu_break_insert(M.cpu, CPU_WATCH_WRITE, 0xFFFFFFF0u, 0x20), -EINVAL);
    cr_assert_eq(cpu_break_remove(M.cpu, CPU_WATCH_READ, 0x2000, 4), -ENOENT);
}

Test(cpu_debugger, the_x87_state_goes_in_and_out, .init = setup, .fini = teardown)
{
    struct cpu_fpu_state f;
    cpu_get_fpu_state(M.cpu, &f);
    cr_assert_eq(f.fctrl, 0x037F);
    cr_assert_eq(f.ftag, 0xFFFF);
    f.fstat = 0x3800; /* TOP = 7 */
    f.ftag = 0x3FFF;  /* physical R7 valid, the rest empty */
    /* ST(0) = 1.0 */
    memset(f.st[0], 0, 10);
    f.st[0][7] = 0x80;
    f.st[0][8] = 0xFF;
    f.st[0][9] = 0x3F;
    cpu_set_fpu_state(M.cpu, &f);
    struct cpu_fpu_state g;
    cpu_get_fpu_state(M.cpu, &g);
    cr_assert_eq(g.fstat, 0x3800);
    cr_assert_eq(g.ftag, 0x3FFF, "ftag %04x", g.ftag);
    cr_assert(memcmp(g.st[0], f.st[0], 10) == 0);
}

Test(cpu_debugger, linear_addresses_translate_without_paging, .init = setup, .fini = teardown)
{
    uint32_t phys = 0;
    cr_assert(cpu_translate_debug(M.cpu, 0x12345, &phys));
    cr_assert_eq(phys, 0x12345);
}

Test(cpu_debugger, debug_translation_walks_the_page_tables_without_side_effects, .init = setup, .fini = teardown)
{
    /* Page directory at 10000h; its entry 1 (4 MiB-8 MiB) points at a page
     * table at 11000h whose entry 0 maps 400000h to 3000h. */
    bus_write(&M.bus, 0x10000 + 4, 0x11000 | 0x3, 4);
    bus_write(&M.bus, 0x11000, 0x3000 | 0x3, 4);
    struct cpu_state st = M.base;
    st.cr0 |= 0x80000001u; /* PE, PG */
    st.cr3 = 0x10000;
    cpu_set_state(M.cpu, &st);
    uint32_t phys = 0;
    cr_assert(cpu_translate_debug(M.cpu, 0x400123, &phys));
    cr_assert_eq(phys, 0x3123);
    cr_assert_eq(bus_read(&M.bus, 0x11000, 4) & 0x60, 0, "no accessed or dirty bit set");
    cr_assert_eq(bus_read(&M.bus, 0x10004, 4) & 0x20, 0);
    cr_assert(!cpu_translate_debug(M.cpu, 0x401000, &phys), "a page that is not present");
    cr_assert(!cpu_translate_debug(M.cpu, 0x800000, &phys), "a table that is not present");
}
