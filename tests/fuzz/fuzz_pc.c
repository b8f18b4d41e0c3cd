/* libFuzzer target: one PC device driven as a guest drives it.  Built once
 * per device (FUZZ_DEV names it: `make fuzz-dev-pic`, ...), each on a whole
 * machine (p6, 2 MiB of RAM; the std VGA for the VGA's target) put back in
 * its power-on state for every input, so that the device sees its
 * neighbours (interrupt lines, DMA into RAM, the PCI bus) as in a real run.
 *
 * The input is a sequence of 7-byte operations:
 *   byte 0   bits 0-2 what: port write, port read, MMIO write, MMIO read,
 *            clock step, RAM write, interrupt acknowledge, frame update
 *            bits 3-4 size (1, 2, 4, 4 bytes)   bits 5-7 which window
 *   bytes 1-2 offset in the window (modulo its length)
 *   bytes 3-6 value (little-endian)
 * Port and MMIO operations land only in the device's own windows (below),
 * so the fuzzer's effort goes into its state machine; the RAM write and
 * clock step let it set up DMA descriptors and fire the device's timers.
 * Built by `make fuzz-dev-NAME` with clang's -fsanitize=fuzzer,address,
 * undefined. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/lapic.h"
#include "devices/pic.h"
#include "devices/piix.h"
#include "devices/vga.h"
#include "machine/machine.h"
#include "machine/pc.h"
#include "machine/savestate.h"

#ifndef FUZZ_DEV
#define FUZZ_DEV "pic"
#endif

struct window {
    uint32_t base, len;
};

struct device {
    const char *name;
    struct window ports[4]; /* len 0 ends the list */
    struct window mmio[2];
    bool pm; /* map the ACPI PM block first (a directly booted kernel's setup) */
};

/* The PCI configuration ports come with the devices that live on PCI, so
 * that BARs and enables can move under the fuzzer. */
static const struct device devices[] = {
    { "pic", { { 0x20, 2 }, { 0xA0, 2 }, { 0x4D0, 2 } }, { { 0 } }, false },
    { "pit", { { 0x40, 4 }, { 0x61, 1 } }, { { 0 } }, false },
    { "uart", { { 0x3F8, 8 }, { 0x2F8, 8 } }, { { 0 } }, false },
    { "rtc", { { 0x70, 2 }, { 0x72, 2 } }, { { 0 } }, false },
    { "ps2", { { 0x60, 1 }, { 0x64, 1 }, { 0x92, 1 } }, { { 0 } }, false },
    { "pci", { { 0xCF8, 8 }, { 0xCF9, 1 } }, { { 0 } }, false },
    { "apic", { { 0x20, 2 }, { 0xA0, 2 } }, { { LAPIC_DEFAULT_BASE, 0x1000 }, { 0xFEC00000u, 0x100 } }, false },
    { "acpi", { { PC_PM_BASE, 64 }, { 0xB2, 2 }, { 0xCF8, 8 } }, { { 0 } }, true },
    { "vga", { { 0x3B0, 0x30 }, { 0x1CE, 3 }, { 0xCF8, 8 } }, { { 0xA0000, 0x20000 }, { 0xFD000000u, 0x1000000 } },
      false },
    { "fwcfg", { { 0x510, 2 }, { 0x514, 8 } }, { { 0 } }, false },
    { "dma", { { 0x00, 16 }, { 0x80, 16 }, { 0xC0, 32 } }, { { 0 } }, false },
};

static const struct device *dev;
static FILE *null_out;

static unsigned count(const struct window *w, unsigned max)
{
    unsigned n = 0;
    while (n < max && w[n].len)
        n++;
    return n;
}

static void pick_device(void)
{
    if (dev)
        return;
    for (size_t i = 0; i < sizeof(devices) / sizeof(devices[0]); i++)
        if (!strcmp(devices[i].name, FUZZ_DEV))
            dev = &devices[i];
    null_out = fopen("/dev/null", "w");
    if (!dev || !null_out) {
        fprintf(stderr, "fuzz-pc: no device '%s'\n", FUZZ_DEV);
        abort();
    }
}

static uint32_t le32(const uint8_t *p)
{
    return p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* One machine for the whole run, put back into its power-on state (a
 * checkpoint taken after setup) before every input: building a machine per
 * input would spend the time allocating and clearing video memory. */
static struct machine *machine;
static uint8_t *power_on;
static size_t power_on_len;

static void setup(void)
{
    struct machine_config cfg;
    machine_config_default(&cfg);
    cfg.ram_size = 2u << 20;
    cfg.rtc_fixed = true;
    cfg.debugcon = null_out;
    cfg.no_vga = strcmp(dev->name, "vga") != 0; /* 16 MiB of video memory to restore per input otherwise */
    machine = calloc(1, sizeof(*machine));
    if (!machine || machine_init(machine, &cfg) < 0)
        abort();
    if (dev->pm)
        piix_pm_enable(&machine->pc.piix, PC_PM_BASE);
    if (machine_checkpoint_save(machine, &power_on, &power_on_len) < 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    pick_device();
    if (!machine)
        setup();
    char err[256];
    if (machine_loadvm_checkpoint(machine, power_on, power_on_len, err, sizeof(err)) < 0) {
        fprintf(stderr, "fuzz-pc: the power-on checkpoint does not load: %s\n", err);
        abort();
    }
    struct machine *m = machine;
    const uint32_t ram_size = m->cfg.ram_size;
    unsigned nports = count(dev->ports, 4), nmmio = count(dev->mmio, 2);
    static const unsigned sizes[4] = { 1, 2, 4, 4 };
    uint64_t time_left = 1000000000; /* ns of guest time this input may use */

    for (size_t at = 0; at + 7 <= size; at += 7) {
        const uint8_t *op = data + at;
        unsigned what = op[0] & 7, sz = sizes[(op[0] >> 3) & 3], win = op[0] >> 5;
        uint32_t off = op[1] | (uint32_t)op[2] << 8, val = le32(op + 3);
        switch (what) {
        case 0:
        case 1: {
            const struct window *w = &dev->ports[win % nports];
            uint16_t port = (uint16_t)(w->base + off % w->len);
            if (what == 0)
                bus_out(&m->bus, port, val, sz);
            else
                (void)bus_in(&m->bus, port, sz);
            break;
        }
        case 2:
        case 3: {
            if (!nmmio)
                break;
            const struct window *w = &dev->mmio[win % nmmio];
            uint32_t a = w->base + (off * 4 + (val >> 30)) % w->len;
            if (what == 2)
                bus_write(&m->bus, a, val, sz);
            else
                (void)bus_read(&m->bus, a, sz);
            break;
        }
        case 4: /* up to a millisecond of guest time, or with bit 31 up to
                 * 134 ms.  A timer programmed with the shortest period
                 * expires every few nanoseconds, each expiry a call, as
                 * the guest asked: a local APIC timer of 2 ticks at divide
                 * 1 (20 ns) is 50 million calls per guest second, which
                 * took an ASan build past libFuzzer's 10 s limit with
                 * steps of up to a second (tests/fuzz/regress/dev-apic). */
        {
            /* And at most a second in all per input: a PIT counting from
             * 1 ends a period 1.19 million times a second. */
            uint64_t ns = val >> 31 ? val & 0x07FFFFFF : val & 0xFFFFF;
            if (ns > time_left)
                ns = time_left;
            time_left -= ns;
            clock_advance_to(&m->clock, m->clock.now + ns);
            break;
        }
        case 5: /* descriptors and buffers for DMA */
            bus_write(&m->bus, (off << 5 | (val >> 27)) & (ram_size - 4), val, 4);
            break;
        case 6: /* what the CPU does when it takes an interrupt */
            (void)(m->pc.has_apic ? lapic_ack(&m->pc.lapic) : pic_ack(&m->pc.pic));
            break;
        case 7: {
            struct vga_frame *f;
            if (m->pc.has_vga)
                (void)vga_update(&m->pc.vga, &f);
            break;
        }
        }
    }
    return 0;
}
