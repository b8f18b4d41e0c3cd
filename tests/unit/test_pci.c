/* Unit tests for devices/pci.c (configuration mechanism #1, header masks,
 * BARs, INTx swizzling) and devices/i440fx.c (the host bridge's header,
 * PAM, SMRAM and DRB registers), driven through ports 0xCF8/0xCFC as a
 * guest would. */
#include <errno.h>

#include "devices/i440fx.h"
#include "devices/pci.h"
#include "tests/unit/unit.h"

static struct bus bus;
static struct pci_bus pb;
static struct i440fx host;
static struct pci_device dev; /* a test device at 00:03.0 */

#define DEV_DEVFN PCI_DEVFN(3, 0)

struct pam_call {
    unsigned region;
    bool re, we;
};
static struct pam_call pam_log[64];
static unsigned pam_n;

static void pam_rec(void *opaque, unsigned region, bool re, bool we)
{
    cr_assert(eq(ptr, opaque, &bus));
    pam_log[pam_n++ % 64] = (struct pam_call){ region, re, we };
}

struct bar_call {
    unsigned bar;
    uint32_t old, now;
};
static struct bar_call bar_log[16];
static unsigned bar_n;

static void bar_rec(struct pci_device *d, unsigned bar, uint32_t old, uint32_t now)
{
    cr_assert(eq(ptr, d, &dev));
    bar_log[bar_n++ % 16] = (struct bar_call){ bar, old, now };
}

static void setup(void)
{
    cr_assert(eq(int, bus_init(&bus, 32u << 20), 0));
    cr_assert(eq(int, pci_init(&pb, &bus), 0));
    cr_assert(eq(int, i440fx_init(&host, &pb, 32u << 20, pam_rec, &bus), 0));
    pci_device_init(&dev, 0x1234, 0x5678, 0x020000, 0x07, 0x00);
    pci_bar_init(&dev, 0, 32, PCI_BAR_IO);
    pci_bar_init(&dev, 1, 0x1000, PCI_BAR_MEM32);
    pci_bar_init(&dev, 2, 0x100000, PCI_BAR_MEM32 | PCI_BAR_PREFETCH);
    pci_set_wmask(&dev, PCI_INTERRUPT_LINE, 1, 0xFF);
    pci_set_byte(&dev, PCI_INTERRUPT_PIN, 1);
    dev.bar_moved = bar_rec;
    cr_assert(eq(int, pci_register(&pb, &dev, DEV_DEVFN), 0));
}

static void teardown(void)
{
    bus_free(&bus);
}

TestSuite(pci, .init = setup, .fini = teardown, .timeout = 10.0);

static uint32_t addr(uint8_t b, uint8_t devfn, unsigned reg)
{
    return 0x80000000u | (uint32_t)b << 16 | (uint32_t)devfn << 8 | (reg & 0xFC);
}

static uint32_t cfg_in(uint8_t devfn, unsigned off, unsigned size)
{
    bus_out(&bus, PCI_CONFIG_ADDRESS, addr(0, devfn, off), 4);
    return bus_in(&bus, (uint16_t)(PCI_CONFIG_DATA + (off & 3)), size);
}

static void cfg_out(uint8_t devfn, unsigned off, uint32_t val, unsigned size)
{
    bus_out(&bus, PCI_CONFIG_ADDRESS, addr(0, devfn, off), 4);
    bus_out(&bus, (uint16_t)(PCI_CONFIG_DATA + (off & 3)), val, size);
}

Test(pci, host_bridge_identifies_as_440fx)
{
    cr_assert(eq(u32, cfg_in(I440FX_DEVFN, 0x00, 4), 0x12378086));
    cr_assert(eq(u32, cfg_in(I440FX_DEVFN, 0x08, 4), 0x06000002), "class 0600, revision 02");
    cr_assert(eq(u32, cfg_in(I440FX_DEVFN, PCI_HEADER_TYPE, 1), 0x00));
    cr_assert(eq(u32, cfg_in(I440FX_DEVFN, PCI_COMMAND, 2), 0x0006));
    cr_assert(eq(u32, cfg_in(I440FX_DEVFN, PCI_STATUS, 2), 0x0280));
}

Test(pci, config_address_keeps_only_defined_bits)
{
    bus_out(&bus, PCI_CONFIG_ADDRESS, 0xFFFFFFFF, 4);
    cr_assert(eq(u32, bus_in(&bus, PCI_CONFIG_ADDRESS, 4), 0x80FFFFFC));
    bus_out(&bus, PCI_CONFIG_ADDRESS, 0x12345678, 4);
    cr_assert(eq(u32, bus_in(&bus, PCI_CONFIG_ADDRESS, 4), 0x00345678));
}

Test(pci, byte_and_word_accesses_to_cf8_are_not_config_address)
{
    bus_out(&bus, PCI_CONFIG_ADDRESS, addr(0, I440FX_DEVFN, 0), 4);
    bus_out(&bus, PCI_CONFIG_ADDRESS, 0x00, 1);
    bus_out(&bus, PCI_CONFIG_ADDRESS, 0x0000, 2);
    cr_assert(eq(u32, bus_in(&bus, PCI_CONFIG_ADDRESS, 4), 0x80000000));
    cr_assert(eq(u32, bus_in(&bus, PCI_CONFIG_ADDRESS, 1), 0xFF), "unclaimed byte port");
    cr_assert(eq(u32, bus_in(&bus, PCI_CONFIG_DATA, 4), 0x12378086));
}

Test(pci, enable_bit_clear_means_no_config_cycle)
{
    bus_out(&bus, PCI_CONFIG_ADDRESS, addr(0, DEV_DEVFN, PCI_INTERRUPT_LINE) & 0x7FFFFFFF, 4);
    cr_assert(eq(u32, bus_in(&bus, PCI_CONFIG_DATA, 4), 0xFFFFFFFF));
    cr_assert(eq(u32, bus_in(&bus, PCI_CONFIG_DATA + 1, 1), 0xFF));
    bus_out(&bus, PCI_CONFIG_DATA, 0x0B, 1);
    cr_assert(eq(u32, cfg_in(DEV_DEVFN, PCI_INTERRUPT_LINE, 1), 0x00), "the write was dropped");
}

Test(pci, missing_devices_read_all_ones)
{
    cr_assert(eq(u32, cfg_in(PCI_DEVFN(31, 0), 0, 4), 0xFFFFFFFF));
    cr_assert(eq(u32, cfg_in(PCI_DEVFN(0, 1), 0, 2), 0xFFFF), "function 1 of the host");
    cr_assert(eq(u32, cfg_in(PCI_DEVFN(5, 7), 0x3D, 1), 0xFF));
    bus_out(&bus, PCI_CONFIG_ADDRESS, addr(1, 0, 0), 4); /* bus 1: no bridge */
    cr_assert(eq(u32, bus_in(&bus, PCI_CONFIG_DATA, 4), 0xFFFFFFFF));
    bus_out(&bus, PCI_CONFIG_DATA, 0, 4); /* ignored */
    cr_assert(eq(u32, pci_config_read(&pb, 0, 0, 0, 3), 0xFFFFFF), "bad size: nothing");
    cr_assert(eq(u32, pci_config_read(&pb, 0, 0, 2, 4), 0xFFFFFFFF), "crosses the dword");
}

Test(pci, byte_and_word_reads_at_every_offset_of_the_dword)
{
    uint32_t id = cfg_in(DEV_DEVFN, 0, 4);
    cr_assert(eq(u32, id, 0x56781234));
    for (unsigned i = 0; i < 4; i++)
        cr_assert(eq(u32, cfg_in(DEV_DEVFN, i, 1), (id >> (8 * i)) & 0xFF), "byte %u", i);
    cr_assert(eq(u32, cfg_in(DEV_DEVFN, 0, 2), 0x1234));
    cr_assert(eq(u32, cfg_in(DEV_DEVFN, 1, 2), 0x7812));
    cr_assert(eq(u32, cfg_in(DEV_DEVFN, 2, 2), 0x5678));
    /* A word at 0xCFF: its high byte is port 0xD00, which nobody claims. */
    cr_assert(eq(u32, cfg_in(DEV_DEVFN, 3, 2), 0xFF56));
    cr_assert(eq(u32, cfg_in(DEV_DEVFN, 0x08, 4), 0x02000007));
}

Test(pci, data_access_past_cff_reaches_the_next_port)
{
    struct rec_dev rd = { .tag = 0x40 };
    static const struct io_ops rec_ops = { rec_io_read, rec_io_write, 1 };
    cr_assert(eq(int, bus_io_register(&bus, 0xD00, 1, &rec_ops, &rd), 0));
    cfg_out(DEV_DEVFN, 0x3C, 0, 4);
    bus_out(&bus, PCI_CONFIG_ADDRESS, addr(0, DEV_DEVFN, 0x3C), 4);
    bus_out(&bus, PCI_CONFIG_DATA + 3, 0xAABBCCDD, 4); /* 0xCFF..0xD02 */
    rec_expect(&rd, 0, true, 0xD00, 0xCC, 1);
    cr_assert(eq(uint, rd.n, 1), "0xD01 and 0xD02 are unclaimed");
    cr_assert(eq(u32, cfg_in(DEV_DEVFN, 0x3C, 4), 0x00000100),
              "only byte 3 (max latency) was addressed and it is read-only");
    uint32_t v = bus_in(&bus, PCI_CONFIG_DATA + 2, 4); /* 0xCFE, 0xCFF, 0xD00, 0xD01 */
    cr_assert(eq(u32, v, 0xFF000000 | (uint32_t)rec_byte(&rd, 0xD00) << 16));
}

Test(pci, read_only_registers_keep_their_values)
{
    cfg_out(DEV_DEVFN, 0x00, 0xFFFFFFFF, 4);
    cfg_out(DEV_DEVFN, 0x08, 0xFFFFFFFF, 4);
    cfg_out(DEV_DEVFN, PCI_HEADER_TYPE, 0xFF, 1);
    cfg_out(DEV_DEVFN, PCI_INTERRUPT_PIN, 0xFF, 1);
    cr_assert(eq(u32, cfg_in(DEV_DEVFN, 0x00, 4), 0x56781234));
    cr_assert(eq(u32, cfg_in(DEV_DEVFN, 0x08, 4), 0x02000007));
    cr_assert(eq(u32, cfg_in(DEV_DEVFN, PCI_HEADER_TYPE, 1), 0));
    cr_assert(eq(u32, cfg_in(DEV_DEVFN, PCI_INTERRUPT_PIN, 1), 1));
    cfg_out(DEV_DEVFN, PCI_INTERRUPT_LINE, 0x0B, 1);
    cr_assert(eq(u32, cfg_in(DEV_DEVFN, PCI_INTERRUPT_LINE, 1), 0x0B));
    /* Command: only the enables of implemented BARs are writable here. */
    cfg_out(DEV_DEVFN, PCI_COMMAND, 0xFFFF, 2);
    cr_assert(eq(u32, cfg_in(DEV_DEVFN, PCI_COMMAND, 2), 0x0003));
    /* The host bridge: bus master and memory are hardwired on, parity and
     * SERR# are writable, I/O enable is not. */
    cfg_out(I440FX_DEVFN, PCI_COMMAND, 0x0000, 2);
    cr_assert(eq(u32, cfg_in(I440FX_DEVFN, PCI_COMMAND, 2), 0x0006));
    cfg_out(I440FX_DEVFN, PCI_COMMAND, 0xFFFF, 2);
    cr_assert(eq(u32, cfg_in(I440FX_DEVFN, PCI_COMMAND, 2), 0x0146));
    cfg_out(I440FX_DEVFN, PCI_LATENCY_TIMER, 0xFF, 1);
    cr_assert(eq(u32, cfg_in(I440FX_DEVFN, PCI_LATENCY_TIMER, 1), 0xF8));
}

Test(pci, status_error_bits_are_write_one_to_clear)
{
    pci_set_word(&dev, PCI_STATUS, 0xF900 | 0x0200 | 0x0010);
    cfg_out(DEV_DEVFN, PCI_STATUS, 0x0000, 2);
    cr_assert(eq(u32, cfg_in(DEV_DEVFN, PCI_STATUS, 2), 0xFB10), "writing 0 changes nothing");
    cfg_out(DEV_DEVFN, PCI_STATUS, 0x2000, 2);
    cr_assert(eq(u32, cfg_in(DEV_DEVFN, PCI_STATUS, 2), 0xDB10), "bit 13 cleared alone");
    cfg_out(DEV_DEVFN, PCI_COMMAND, 0xFFFFFFFF, 4);
    cr_assert(eq(u32, cfg_in(DEV_DEVFN, PCI_STATUS, 2), 0x0210),
              "DEVSEL timing and capability bits are read-only");
}

Test(pci, bar_sizing_returns_the_size_mask)
{
    for (unsigned bar = 0; bar < 6; bar++)
        cfg_out(DEV_DEVFN, PCI_BAR0 + 4 * bar, 0xFFFFFFFF, 4);
    cr_assert(eq(u32, cfg_in(DEV_DEVFN, 0x10, 4), 0xFFFFFFE1), "32 bytes of I/O");
    cr_assert(eq(u32, cfg_in(DEV_DEVFN, 0x14, 4), 0xFFFFF000), "4 KiB of memory");
    cr_assert(eq(u32, cfg_in(DEV_DEVFN, 0x18, 4), 0xFFF00008), "1 MiB prefetchable");
    for (unsigned bar = 3; bar < 6; bar++)
        cr_assert(eq(u32, cfg_in(DEV_DEVFN, PCI_BAR0 + 4 * bar, 4), 0), "BAR %u absent", bar);
    cfg_out(DEV_DEVFN, 0x10, 0xC023, 4);
    cr_assert(eq(u32, cfg_in(DEV_DEVFN, 0x10, 4), 0xC021), "low bits stay");
    /* Byte-wise sizing of the upper half works too. */
    cfg_out(DEV_DEVFN, 0x17, 0xFE, 1);
    cr_assert(eq(u32, cfg_in(DEV_DEVFN, 0x14, 4), 0xFEFFF000));
    cr_assert(eq(uint, bar_n, 0), "decoding is off: nothing moved");
}

Test(pci, bar_moves_are_reported)
{
    cfg_out(DEV_DEVFN, 0x10, 0xC000, 4);
    cfg_out(DEV_DEVFN, 0x14, 0xFEB00000, 4);
    cr_assert(eq(uint, bar_n, 0));
    cfg_out(DEV_DEVFN, PCI_COMMAND, PCI_COMMAND_IO, 2);
    cr_assert(eq(uint, bar_n, 1));
    cr_assert(eq(uint, bar_log[0].bar, 0));
    cr_assert(eq(u32, bar_log[0].old, PCI_BAR_UNMAPPED));
    cr_assert(eq(u32, bar_log[0].now, 0xC000));
    cfg_out(DEV_DEVFN, 0x10, 0xC101, 4); /* 0xC100: 32-byte aligned */
    cr_assert(eq(uint, bar_n, 2));
    cr_assert(eq(u32, bar_log[1].old, 0xC000));
    cr_assert(eq(u32, bar_log[1].now, 0xC100));
    cr_assert(eq(u32, dev.bar_mapped[0], 0xC100));
    cfg_out(DEV_DEVFN, PCI_COMMAND, PCI_COMMAND_MEMORY, 2);
    cr_assert(eq(uint, bar_n, 4));
    cr_assert(eq(uint, bar_log[2].bar, 0));
    cr_assert(eq(u32, bar_log[2].now, PCI_BAR_UNMAPPED));
    cr_assert(eq(uint, bar_log[3].bar, 1));
    cr_assert(eq(u32, bar_log[3].now, 0xFEB00000));
    /* Sizing with decoding on: an I/O BAR past 64 KiB decodes nothing. */
    cfg_out(DEV_DEVFN, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY, 2);
    cr_assert(eq(uint, bar_n, 5));
    cfg_out(DEV_DEVFN, 0x10, 0xFFFFFFFF, 4);
    cr_assert(eq(uint, bar_n, 6));
    cr_assert(eq(u32, bar_log[5].now, PCI_BAR_UNMAPPED));
    cfg_out(DEV_DEVFN, 0x14, 0xFEB00000, 4); /* unchanged: no report */
    cr_assert(eq(uint, bar_n, 6));
}

Test(pci, register_refuses_a_taken_slot)
{
    struct pci_device other;
    pci_device_init(&other, 1, 2, 0, 0, 0);
    cr_assert(eq(int, pci_register(&pb, &other, DEV_DEVFN), -EBUSY));
    cr_assert(eq(int, pci_register(&pb, &other, PCI_DEVFN(3, 1)), 0));
    cr_assert(eq(u32, cfg_in(PCI_DEVFN(3, 1), 0, 4), 0x00020001));
}

static unsigned pirq_calls;
static bool pirq_state[4];

static void pirq_rec(void *opaque, unsigned pirq, bool level)
{
    cr_assert(lt(uint, pirq, 4));
    pirq_state[pirq] = level;
    pirq_calls++;
}

Test(pci, intx_pins_swizzle_onto_pirqs)
{
    pb.set_pirq = pirq_rec;
    struct pci_device d4, d5;
    pci_device_init(&d4, 1, 1, 0, 0, 0);
    pci_set_byte(&d4, PCI_INTERRUPT_PIN, 1);  /* INTA# of slot 4 -> PIRQA */
    pci_device_init(&d5, 1, 1, 0, 0, 0);
    pci_set_byte(&d5, PCI_INTERRUPT_PIN, 4);  /* INTD# of slot 5 -> PIRQA */
    cr_assert(eq(int, pci_register(&pb, &d4, PCI_DEVFN(4, 0)), 0));
    cr_assert(eq(int, pci_register(&pb, &d5, PCI_DEVFN(5, 0)), 0));
    pci_set_irq(&dev, true);                  /* INTA# of slot 3 -> PIRQD */
    cr_assert(pirq_state[3]);
    cr_assert(eq(uint, pirq_calls, 1));
    pci_set_irq(&dev, true);                  /* no change */
    cr_assert(eq(uint, pirq_calls, 1));
    pci_set_irq(&d4, true);
    pci_set_irq(&d5, true);
    cr_assert(pirq_state[0]);
    cr_assert(eq(uint, pirq_calls, 2), "PIRQA is a wired OR");
    pci_set_irq(&d4, false);
    cr_assert(pirq_state[0], "d5 still holds PIRQA");
    pci_set_irq(&d5, false);
    cr_assert(not(pirq_state[0]));
    pci_set_irq(&dev, false);
    cr_assert(not(pirq_state[3]));
    cr_assert(eq(uint, pirq_calls, 4));
}

Test(pci, pam_registers_report_region_changes)
{
    cr_assert(eq(uint, pam_n, I440FX_PAM_REGIONS), "power-on state reported for every region");
    for (unsigned r = 0; r < I440FX_PAM_REGIONS; r++) {
        cr_assert(eq(uint, pam_log[r].region, r));
        cr_assert(not(pam_log[r].re || pam_log[r].we));
    }
    pam_n = 0;
    cfg_out(I440FX_DEVFN, 0x59, 0xFF, 1);
    cr_assert(eq(u32, cfg_in(I440FX_DEVFN, 0x59, 1), 0x30), "PAM0 low nibble reserved");
    cr_assert(eq(uint, pam_n, 1));
    cr_assert(eq(uint, pam_log[0].region, 0));
    cr_assert(pam_log[0].re && pam_log[0].we);
    pam_n = 0;
    cfg_out(I440FX_DEVFN, 0x5A, 0x12, 1); /* C0000: write only; C4000: read only */
    cr_assert(eq(uint, pam_n, 2));
    cr_assert(eq(uint, pam_log[0].region, 1));
    cr_assert(pam_log[0].we && !pam_log[0].re);
    cr_assert(eq(uint, pam_log[1].region, 2));
    cr_assert(pam_log[1].re && !pam_log[1].we);
    /* A dword write at 0x5C covers PAM3-PAM6 (D0000-EFFFF). */
    pam_n = 0;
    cfg_out(I440FX_DEVFN, 0x5C, 0xFFFFFFFF, 4);
    cr_assert(eq(u32, cfg_in(I440FX_DEVFN, 0x5C, 4), 0x33333333), "bits 2-3 reserved");
    cr_assert(eq(uint, pam_n, 8));
    for (unsigned i = 0; i < 8; i++) {
        cr_assert(eq(uint, pam_log[i].region, 5 + i));
        cr_assert(pam_log[i].re && pam_log[i].we);
    }
    pam_n = 0;
    cfg_out(I440FX_DEVFN, 0x5C, 0x33333333, 4);
    cr_assert(eq(uint, pam_n, 0), "no change, no report");
    i440fx_reset(&host);
    cr_assert(eq(uint, pam_n, I440FX_PAM_REGIONS));
    cr_assert(eq(u32, cfg_in(I440FX_DEVFN, 0x5C, 4), 0));
}

Test(pci, pam_regions_cover_c0000_to_fffff)
{
    uint32_t base, size;
    i440fx_pam_region(0, &base, &size);
    cr_assert(eq(u32, base, 0xF0000));
    cr_assert(eq(u32, size, 0x10000));
    i440fx_pam_region(1, &base, &size);
    cr_assert(eq(u32, base, 0xC0000));
    cr_assert(eq(u32, size, 0x4000));
    i440fx_pam_region(12, &base, &size);
    cr_assert(eq(u32, base, 0xEC000));
}

Test(pci, smram_lock_freezes_the_register)
{
    cr_assert(eq(u32, cfg_in(I440FX_DEVFN, I440FX_SMRAM, 1), 0x02));
    cfg_out(I440FX_DEVFN, I440FX_SMRAM, 0xFF, 1);
    cr_assert(eq(u32, cfg_in(I440FX_DEVFN, I440FX_SMRAM, 1), 0x3A),
              "D_LCK set with D_OPEN: D_OPEN is cleared; C_BASE_SEG is hardwired");
    cfg_out(I440FX_DEVFN, I440FX_SMRAM, 0x42, 1);
    cr_assert(eq(u32, cfg_in(I440FX_DEVFN, I440FX_SMRAM, 1), 0x1A), "only D_CLS is writable");
    i440fx_reset(&host);
    cfg_out(I440FX_DEVFN, I440FX_SMRAM, 0x4A, 1);
    cr_assert(eq(u32, cfg_in(I440FX_DEVFN, I440FX_SMRAM, 1), 0x4A), "reset unlocks");
}

Test(pci, drb_registers_describe_the_ram)
{
    cr_assert(eq(u32, cfg_in(I440FX_DEVFN, 0x60, 4), 0x04040404), "32 MiB = 4 x 8 MiB");
    cr_assert(eq(u32, cfg_in(I440FX_DEVFN, 0x64, 4), 0x04040404));
    cfg_out(I440FX_DEVFN, 0x61, 0x08, 1);
    cr_assert(eq(u32, cfg_in(I440FX_DEVFN, 0x60, 4), 0x04040804));
    /* The other chipset registers are stored; ERRSTS is write-one-to-clear. */
    cfg_out(I440FX_DEVFN, 0x50, 0xA5A5A5A5, 4);
    cr_assert(eq(u32, cfg_in(I440FX_DEVFN, 0x50, 4), 0xA5A5A5A5));
    pci_set_byte(&host.dev, 0x91, 0x11);
    cfg_out(I440FX_DEVFN, 0x91, 0x01, 1);
    cr_assert(eq(u32, cfg_in(I440FX_DEVFN, 0x91, 1), 0x10));
}

/* A guest throwing every value at every register of every function: no
 * out-of-bounds access (the sanitizer build checks) and the IDs stay. */
Test(pci, arbitrary_config_traffic_is_harmless)
{
    uint32_t x = 12345;
    for (unsigned devfn = 0; devfn < 256; devfn++) {
        for (unsigned off = 0; off < 256; off++) {
            static const unsigned sizes[3] = { 1, 2, 4 };
            unsigned size = sizes[off % 3];
            x = x * 1103515245u + 12345u;
            bus_out(&bus, PCI_CONFIG_ADDRESS, addr(0, (uint8_t)devfn, off) ^ (x & 0x03), 4);
            bus_out(&bus, (uint16_t)(PCI_CONFIG_DATA + (off & 3)), x, size);
            (void)bus_in(&bus, (uint16_t)(PCI_CONFIG_DATA + (off & 3)), size);
        }
    }
    cr_assert(eq(u32, cfg_in(I440FX_DEVFN, 0, 4), 0x12378086));
    cr_assert(eq(u32, cfg_in(DEV_DEVFN, 0, 4), 0x56781234));
}
