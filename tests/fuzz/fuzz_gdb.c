/* libFuzzer target: the gdb stub's packet layer and command dispatch on a
 * real machine (p6, 2 MiB of RAM, no VGA).  The input is the byte stream
 * a client sends, cut into reads at the sizes its first byte picks, so
 * that packets also arrive split; continue and step run the CPU for at
 * most a few instructions (whatever M, X, G and P put in memory and the
 * registers).  Every reply must frame correctly: each is fed back through
 * a decoder and must come out as a packet with a good checksum.  Built by
 * `make fuzz-gdb` with clang's -fsanitize=fuzzer,address,undefined. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontends/gdbstub.h"
#include "machine/machine.h"

/* libFuzzer calls us again and again: the machine is built once. */
static struct machine *machine;
static struct gdb_packet check_dec;

/* Replies, fed through a decoder: each complete one must check out. */
static void sink(void *opaque, const uint8_t *buf, size_t len)
{
    (void)opaque;
    for (size_t i = 0; i < len; i++) {
        enum gdb_event ev = gdb_packet_feed(&check_dec, buf[i]);
        if (ev == GDB_EV_BAD_SUM || (ev == GDB_EV_PACKET && (check_dec.overflow || check_dec.malformed))) {
            fprintf(stderr, "fuzz-gdb: the stub sent a malformed packet\n");
            abort();
        }
    }
}

static void setup(void)
{
    struct machine_config cfg;
    machine_config_default(&cfg);
    cfg.ram_size = 2u << 20;
    cfg.no_vga = true;
    cfg.rtc_fixed = true;
    cfg.debugcon = fopen("/dev/null", "w");
    machine = calloc(1, sizeof(*machine));
    if (!machine || !cfg.debugcon || machine_init(machine, &cfg) < 0)
        abort();
}

/* The same start for every input: flat protected mode at 1 MiB, memory
 * cleared, no breakpoints. */
static void fresh(void)
{
    memset(machine->bus.ram, 0, machine->bus.ram_size);
    cpu_reset(machine->cpu);
    cpu_break_clear(machine->cpu);
    struct machine_boot_regs regs = { 0, 0, 0, 0x90000 };
    machine_start_protected(machine, 0x100000, 0x08, &regs);
    machine->stop = false;
    machine->break_req = false;
    machine->pc.reset_pending = false;
    gdb_packet_init(&check_dec);
}

/* What the run loop would do for an action, in a few instructions. */
static void act(struct gdbstub *s, enum gdb_action a)
{
    if (a == GDB_ACT_STEP) {
        gdbstub_stopped(s, machine_step(machine), true);
    } else if (a == GDB_ACT_CONTINUE || a == GDB_ACT_BREAK) {
        enum cpu_exit why = CPU_EXIT_BUDGET;
        for (int i = 0; i < 16 && why != CPU_EXIT_DEBUG && !machine->stop; i++)
            why = machine_step(machine);
        gdbstub_stopped(s, CPU_EXIT_DEBUG, false);
    } else if (a == GDB_ACT_DETACH) {
        gdbstub_clear_breaks(s);
        s->running = false;
    }
    machine->stop = false;
    machine->pc.reset_pending = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!machine)
        setup();
    if (size < 1)
        return 0;
    fresh();
    struct gdbstub s;
    gdbstub_init(&s, machine, sink, NULL);
    size_t chunk = (size_t)(data[0] & 0x3F) + 1;
    if (data[0] & 0x80)
        chunk = size; /* all at once */
    for (size_t pos = 1; pos < size;) {
        size_t n = size - pos < chunk ? size - pos : chunk;
        act(&s, gdbstub_feed(&s, data + pos, n));
        pos += n;
    }
    gdbstub_free(&s);
    return 0;
}
