/* Unit tests for machine/machine.c: two machines in one process share no
 * state (RAM, ports, A20, CPU registers, debug console), and each runs its
 * own firmware to its own HLT. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/machine.h"
#include "tests/unit/unit.h"

TestSuite(machine, .timeout = 20.0);

struct capture {
    char *buf;
    size_t len;
    FILE *f;
};

static void capture_open(struct capture *c)
{
    c->buf = NULL;
    c->len = 0;
    c->f = open_memstream(&c->buf, &c->len);
    cr_assert(not(eq(ptr, c->f, NULL)));
}

static void capture_close(struct capture *c)
{
    fclose(c->f);
    free(c->buf);
}

static void start(struct machine *m, struct capture *c, enum cpu_model model)
{
    struct machine_config cfg;
    machine_config_default(&cfg);
    cfg.model = model;
    cfg.ram_size = 1u << 20;
    capture_open(c);
    cfg.debugcon = c->f;
    cr_assert(eq(int, machine_init(m, &cfg), 0));
}

/* A 4 KiB firmware whose reset vector (its last 16 bytes) stores ch at
 * 0000:0500, prints ch and a newline on port 0xE9, and halts with IF=0. */
static void make_firmware(uint8_t img[4096], uint8_t ch)
{
    const uint8_t code[] = {
        0xFA,             /* cli */
        0xB0, ch,         /* mov al, ch */
        0xA2, 0x00, 0x05, /* mov [0x0500], al */
        0xE6, 0xE9,       /* out 0xE9, al */
        0xB0, 0x0A,       /* mov al, 10 */
        0xE6, 0xE9,       /* out 0xE9, al */
        0xF4,             /* hlt */
    };
    memset(img, 0xF4, 4096);
    memcpy(img + 0xFF0, code, sizeof(code));
}

Test(machine, two_machines_share_nothing)
{
    struct machine a, b;
    struct capture ca, cb;
    start(&a, &ca, CPU_8086);
    start(&b, &cb, CPU_P6);

    cr_assert(not(eq(ptr, a.cpu, b.cpu)));
    cr_assert(not(eq(ptr, a.bus.ram, b.bus.ram)));
    cr_assert(eq(int, cpu_model(a.cpu), CPU_8086));
    cr_assert(eq(int, cpu_model(b.cpu), CPU_P6));

    /* RAM */
    bus_write(&a.bus, 0x1234, 0xDEADBEEF, 4);
    cr_assert(eq(u32, bus_read(&b.bus, 0x1234, 4), 0));
    /* A20 */
    bus_set_a20(&a.bus, false);
    cr_assert(bus_a20(&b.bus));
    /* Ports: each debug console writes to its own stream. */
    bus_out(&a.bus, DEBUGCON_PORT, 'a', 1);
    bus_out(&b.bus, DEBUGCON_PORT, 'b', 1);
    bus_out(&b.bus, DEBUGCON_PORT, 'b', 1);
    fflush(ca.f);
    fflush(cb.f);
    cr_assert(eq(str, ca.buf, "a"));
    cr_assert(eq(str, cb.buf, "bb"));
    cr_assert(eq(u64, a.debugcon.bytes, 1));
    cr_assert(eq(u64, b.debugcon.bytes, 2));
    /* CPU registers */
    struct cpu_state st;
    cpu_get_state(a.cpu, &st);
    st.gpr[R_EBX] = 0x1111;
    cpu_set_state(a.cpu, &st);
    cpu_get_state(b.cpu, &st);
    cr_assert(not(eq(u32, st.gpr[R_EBX], 0x1111)));
    cpu_get_state(a.cpu, &st);
    cr_assert(eq(u32, st.gpr[R_EBX], 0x1111));

    machine_free(&a);
    /* b lives on after a is gone. */
    bus_write(&b.bus, 0x10, 0x42, 1);
    cr_assert(eq(u32, bus_read(&b.bus, 0x10, 1), 0x42));
    machine_free(&b);
    capture_close(&ca);
    capture_close(&cb);
}

static void run_to_halt(struct machine *m)
{
    uint64_t executed = 0;
    enum cpu_exit why = machine_run(m, &executed);
    if (why != CPU_EXIT_HALT)
        cpu_dump(m->cpu, stderr);
    cr_assert(eq(int, why, CPU_EXIT_HALT), "exit %d: %s", (int)why,
              why == CPU_EXIT_ERROR ? cpu_error(m->cpu) : "");
    /* cli, mov, mov, out, mov, out, and the hlt itself may or may not count. */
    cr_assert(ge(u64, executed, 6));
    cr_assert(le(u64, executed, 7));
}

Test(machine, each_runs_its_own_firmware)
{
    struct machine a, b;
    struct capture ca, cb;
    uint8_t fw[4096];
    start(&a, &ca, CPU_8086);
    start(&b, &cb, CPU_P6);
    make_firmware(fw, 'A');
    cr_assert(eq(int, machine_load_bios_image(&a, fw, sizeof(fw)), 0));
    make_firmware(fw, 'B');
    cr_assert(eq(int, machine_load_bios_image(&b, fw, sizeof(fw)), 0));

    run_to_halt(&a);
    fflush(ca.f);
    fflush(cb.f);
    cr_assert(eq(str, ca.buf, "A\n"));
    cr_assert(eq(sz, cb.len, 0), "b has not run yet");
    cr_assert(eq(u8, a.bus.ram[0x500], 'A'));
    cr_assert(eq(u8, b.bus.ram[0x500], 0));

    run_to_halt(&b);
    fflush(ca.f);
    fflush(cb.f);
    cr_assert(eq(str, ca.buf, "A\n"), "b's run did not write to a's console");
    cr_assert(eq(str, cb.buf, "B\n"));
    cr_assert(eq(u8, a.bus.ram[0x500], 'A'));
    cr_assert(eq(u8, b.bus.ram[0x500], 'B'));

    struct cpu_state sa, sb;
    cpu_get_state(a.cpu, &sa);
    cpu_get_state(b.cpu, &sb);
    cr_assert(sa.halted);
    cr_assert(sb.halted);
    cr_assert(eq(u32, sa.gpr[R_EAX] & 0xFF, 0x0A));
    cr_assert(eq(u32, sb.gpr[R_EAX] & 0xFF, 0x0A));
    cr_assert(eq(u64, cpu_instructions(a.cpu), cpu_instructions(b.cpu)));

    machine_free(&a);
    machine_free(&b);
    capture_close(&ca);
    capture_close(&cb);
}

/* Runs code placed in RAM at 0000:ip with BL=0 and returns what it printed. */
static void run_code(enum cpu_model model, uint32_t at, const uint8_t *code, size_t len,
                     uint16_t ip, const char *want)
{
    struct machine m;
    struct capture c;
    start(&m, &c, model);
    bus_write_block(&m.bus, at, code, len);
    struct cpu_state st;
    cpu_get_state(m.cpu, &st);
    for (int s = 0; s < S_NSEG; s++)
        cpu_state_real_seg(&st, s, 0);
    st.eip = ip;
    st.gpr[R_EBX] = 0;
    st.gpr[R_ESP] = 0x7000;
    cpu_set_state(m.cpu, &st);
    uint64_t executed = 0;
    enum cpu_exit why = machine_run(&m, &executed);
    fflush(c.f);
    cr_expect(eq(int, why, CPU_EXIT_HALT), "%s: exit %d", cpu_model_name(model), (int)why);
    cr_expect(eq(str, c.buf, (char *)want), "%s: printed \"%s\"", cpu_model_name(model), c.buf);
    machine_free(&m);
    capture_close(&c);
}

Test(machine, self_modifying_code_is_seen)
{
    /* Prints AL, then rewrites the immediate of `mov al, 'A'` to 'B' and
     * jumps back: the second pass must print 'B'. */
    const uint8_t code[] = {
        0xB0, 0x41,                   /* 1002: mov al, 'A'      */
        0xE6, 0xE9,                   /* 1004: out 0xE9, al     */
        0xFE, 0xC3,                   /* 1006: inc bl           */
        0x80, 0xFB, 0x02,             /* 1008: cmp bl, 2        */
        0x74, 0x07,                   /* 100B: je 1014          */
        0xC6, 0x06, 0x03, 0x10, 0x42, /* 100D: mov byte [1003], 'B' */
        0xEB, 0xEE,                   /* 1012: jmp 1002         */
        0xF4,                         /* 1014: hlt              */
    };
    run_code(CPU_8086, 0x1002, code, sizeof(code), 0x1002, "AB");
    run_code(CPU_P6, 0x1002, code, sizeof(code), 0x1002, "AB");
}

Test(machine, self_modifying_code_across_a_page)
{
    /* The same, with `mov al, imm` at 1FFF so that its immediate is the
     * first byte of the next page, where more code follows. */
    const uint8_t code[] = {
        0xB0, 0x41,                   /* 1FFF: mov al, 'A'      */
        0xE6, 0xE9,                   /* 2001: out 0xE9, al     */
        0xFE, 0xC3,                   /* 2003: inc bl           */
        0x80, 0xFB, 0x02,             /* 2005: cmp bl, 2        */
        0x74, 0x07,                   /* 2008: je 2011          */
        0xC6, 0x06, 0x00, 0x20, 0x42, /* 200A: mov byte [2000], 'B' */
        0xEB, 0xEE,                   /* 200F: jmp 1FFF         */
        0xF4,                         /* 2011: hlt              */
    };
    run_code(CPU_8086, 0x1FFF, code, sizeof(code), 0x1FFF, "AB");
    run_code(CPU_P6, 0x1FFF, code, sizeof(code), 0x1FFF, "AB");
}

Test(machine, self_modifying_code_tail_alone_on_a_page)
{
    /* A `jmp near` at 1FFE whose displacement's high byte is the only code
     * in page 2000.  The first pass jumps to 1F00, which prints 'A' and
     * rewrites that byte so the jump goes to 1E00, which prints 'B'. */
    uint8_t ram[0x2001 - 0x1E00];
    memset(ram, 0xF4, sizeof(ram)); /* hlt everywhere else */
    const uint8_t t2[] = { 0xB0, 0x42, 0xE6, 0xE9, 0xF4 }; /* 1E00: mov al,'B'; out; hlt */
    const uint8_t t1[] = {
        0xB0, 0x41,                   /* 1F00: mov al, 'A'      */
        0xE6, 0xE9,                   /* 1F02: out 0xE9, al     */
        0xFE, 0xC3,                   /* 1F04: inc bl           */
        0x80, 0xFB, 0x02,             /* 1F06: cmp bl, 2        */
        0x74, 0x0A,                   /* 1F09: je 1F15 (hlt)    */
        0xC6, 0x06, 0x00, 0x20, 0xFD, /* 1F0B: mov byte [2000], 0xFD */
        0xE9, 0xEB, 0x00,             /* 1F10: jmp 1FFE         */
    };
    const uint8_t jmp[] = { 0xE9, 0xFF, 0xFE }; /* 1FFE: jmp 1F00 (FEFF); FDFF: 1E00 */
    memcpy(ram + 0x000, t2, sizeof(t2));
    memcpy(ram + 0x100, t1, sizeof(t1));
    memcpy(ram + 0x1FE, jmp, sizeof(jmp));
    run_code(CPU_8086, 0x1E00, ram, sizeof(ram), 0x1FFE, "AB");
    run_code(CPU_P6, 0x1E00, ram, sizeof(ram), 0x1FFE, "AB");
}

Test(machine, bad_configuration_fails_cleanly)
{
    struct machine m;
    struct machine_config cfg;
    machine_config_default(&cfg);
    cfg.ram_size = 12345;
    cr_assert(eq(int, machine_init(&m, &cfg), -EINVAL));
    machine_free(&m); /* safe after a failed init */
}

Test(machine, bad_firmware_is_rejected)
{
    struct machine m;
    struct capture c;
    uint8_t fw[4096] = { 0 };
    start(&m, &c, CPU_P6);
    cr_assert(eq(int, machine_load_bios_image(&m, fw, 100), -EINVAL), "not a multiple of 4 KiB");
    cr_assert(eq(int, machine_load_bios_image(&m, fw, 0), -EINVAL), "empty");
    cr_assert(lt(int, machine_load_bios(&m, "/nonexistent/popek-bios.bin"), 0));
    machine_free(&m);
    capture_close(&c);
}

/* The boot-path hook: a kernel entered in 32-bit protected mode with flat
 * segments runs 32-bit code at its entry and sees the registers given. */
Test(machine, start_protected_runs_flat_32bit_code)
{
    struct machine_config cfg;
    machine_config_default(&cfg);
    struct machine m;
    cr_assert(eq(int, machine_init(&m, &cfg), 0));
    /* mov eax,[0x200000] ; add eax,ebx ; mov [0x200004],eax ; hlt — 32-bit encodings */
    static const uint8_t code[] = { 0xA1, 0x00, 0x00, 0x20, 0x00, 0x01, 0xD8, 0xA3,
                                    0x04, 0x00, 0x20, 0x00, 0xF4 };
    bus_write_block(&m.bus, 0x100000, code, sizeof(code));
    bus_write(&m.bus, 0x200000, 0x11111111u, 4);
    struct machine_boot_regs regs = { .eax = 0x2BADB002u, .ebx = 0x01020304u, .esp = 0x7000 };
    machine_start_protected(&m, 0x100000, 0x10, &regs);
    struct cpu_state st;
    cpu_get_state(m.cpu, &st);
    cr_assert(eq(u32, st.cr0 & 1, 1));
    cr_assert(eq(u16, st.seg[S_CS].sel, 0x10));
    cr_assert(eq(u16, st.seg[S_DS].sel, 0x18));
    uint64_t n = 0;
    cr_assert(eq(int, machine_run(&m, &n), CPU_EXIT_HALT));
    cr_assert(eq(u64, n, 4));
    cr_assert(eq(u32, bus_read(&m.bus, 0x200004, 4), 0x11111111u + 0x01020304u));
    machine_free(&m);
}

/* --fpu: software detects a coprocessor with FNINIT; FNSTSW AX (AX stays as
 * it was when none answers) and, on the 386, with CR0.ET. */
static uint16_t detect_fpu(enum cpu_model model, bool fpu, uint32_t *cr0)
{
    struct machine_config cfg;
    machine_config_default(&cfg);
    cfg.model = model;
    cfg.fpu = fpu;
    struct machine m;
    cr_assert(eq(int, machine_init(&m, &cfg), 0));
    /* fninit ; mov ax, 0x5A5A ; fnstsw ax ; hlt */
    static const uint8_t code[] = { 0xDB, 0xE3, 0xB8, 0x5A, 0x5A, 0xDF, 0xE0, 0xF4 };
    bus_write_block(&m.bus, 0x7C00, code, sizeof(code));
    struct cpu_state st;
    cpu_get_state(m.cpu, &st);
    for (int s = 0; s < S_NSEG; s++)
        cpu_state_real_seg(&st, s, 0);
    st.eip = 0x7C00;
    cpu_set_state(m.cpu, &st);
    uint64_t n;
    cr_assert(eq(int, machine_run(&m, &n), CPU_EXIT_HALT));
    cpu_get_state(m.cpu, &st);
    *cr0 = st.cr0;
    machine_free(&m);
    return (uint16_t)st.gpr[R_EAX];
}

Test(machine, coprocessor_option)
{
    uint32_t cr0;
    cr_expect(eq(u16, detect_fpu(CPU_386, false, &cr0), 0x5A5A), "386 without a 387: FNSTSW does nothing");
    cr_expect(eq(u32, cr0 & 0x10, 0), "386 without a 387: CR0.ET clear");
    cr_expect(eq(u16, detect_fpu(CPU_386, true, &cr0), 0), "386 with --fpu: FNSTSW AX after FNINIT is 0");
    cr_expect(eq(u32, cr0 & 0x10, 0x10), "386 with a 387: CR0.ET set");
    cr_expect(eq(u16, detect_fpu(CPU_8086, false, &cr0), 0x5A5A), "8086 alone");
    cr_expect(eq(u16, detect_fpu(CPU_8086, true, &cr0), 0), "8086 with an 8087");
    cr_expect(eq(u16, detect_fpu(CPU_486, false, &cr0), 0), "the 486 has its FPU built in");
}

/* A HLT with interrupts enabled costs no instructions: time jumps to the
 * next deadline, where a device may end the run. */
static void exit_at_deadline(void *opaque, uint64_t now)
{
    (void)now;
    machine_request_exit(opaque, 7);
}

/* A default machine about to run code at 0000:7C00 in real mode. */
static void start_at_7c00(struct machine *m, const uint8_t *code, size_t len)
{
    struct machine_config cfg;
    machine_config_default(&cfg);
    cr_assert(eq(int, machine_init(m, &cfg), 0));
    bus_write_block(&m->bus, 0x7C00, code, len);
    struct cpu_state st;
    cpu_get_state(m->cpu, &st);
    for (int s = 0; s < S_NSEG; s++)
        cpu_state_real_seg(&st, s, 0);
    st.eip = 0x7C00;
    cpu_set_state(m->cpu, &st);
}

Test(machine, idle_halt_skips_to_the_next_timer)
{
    struct machine m;
    static const uint8_t code[] = { 0xFB, 0xF4, 0xEB, 0xFD }; /* sti ; hlt ; jmp hlt */
    start_at_7c00(&m, code, sizeof(code));
    struct vtimer t;
    cr_assert(eq(int, clock_timer_init(&m.clock, &t, exit_at_deadline, &m), 0));
    clock_timer_mod(&t, 2000000000ull); /* two seconds of guest time */
    uint64_t n = 0;
    cr_assert(eq(int, machine_run(&m, &n), CPU_EXIT_STOP));
    cr_assert(eq(int, m.exit_status, 7));
    cr_assert(eq(u64, m.clock.now, 2000000000ull));
    cr_assert(lt(u64, n, 10), "the idle time cost %llu instructions", (unsigned long long)n);
    machine_free(&m);
}

/* The TSC must count idle time too: Linux uses it as its clocksource, and
 * a sleeping guest whose TSC stood still would wait on and on in real
 * time.  A timer one second ahead wakes the CPU (standing in for an
 * interrupt); the RDTSC after the HLT must show that second. */
static void wake_cpu(void *opaque, uint64_t now)
{
    struct machine *m = opaque;
    (void)now;
    struct cpu_state st;
    cpu_get_state(m->cpu, &st);
    st.halted = false;
    cpu_set_state(m->cpu, &st);
}

Test(machine, idle_time_reaches_the_tsc)
{
    struct machine m;
    static const uint8_t code[] = {
        0x0F, 0x31,                         /* rdtsc */
        0x66, 0xA3, 0x00, 0x05,             /* mov [0x500], eax */
        0x66, 0x89, 0x16, 0x04, 0x05,       /* mov [0x504], edx */
        0xFB, 0xF4,                         /* sti ; hlt */
        0x0F, 0x31,                         /* rdtsc */
        0x66, 0xA3, 0x08, 0x05,             /* mov [0x508], eax */
        0x66, 0x89, 0x16, 0x0C, 0x05,       /* mov [0x50C], edx */
        0xFA, 0xF4,                         /* cli ; hlt */
    };
    start_at_7c00(&m, code, sizeof(code));
    struct vtimer t;
    cr_assert(eq(int, clock_timer_init(&m.clock, &t, wake_cpu, &m), 0));
    clock_timer_mod(&t, 1000000000ull);
    uint64_t n = 0;
    cr_assert(eq(int, machine_run(&m, &n), CPU_EXIT_HALT));
    uint64_t t0 = bus_read(&m.bus, 0x500, 4) | (uint64_t)bus_read(&m.bus, 0x504, 4) << 32;
    uint64_t t1 = bus_read(&m.bus, 0x508, 4) | (uint64_t)bus_read(&m.bus, 0x50C, 4) << 32;
    /* One second at the configured rate, give or take the few
     * instructions executed around the HLT. */
    uint64_t want = (uint64_t)m.cfg.mips * 1000000u;
    cr_expect(t1 - t0 >= want && t1 - t0 <= want + 16, "TSC advanced %llu over a second of idle, want %llu",
              (unsigned long long)(t1 - t0), (unsigned long long)want);
    machine_free(&m);
}
