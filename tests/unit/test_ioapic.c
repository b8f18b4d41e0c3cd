/* Unit tests for devices/ioapic.c: the 82093AA through IOREGSEL/IOWIN on a
 * bus, messages recorded by a fake APIC bus, and one end-to-end run with a
 * local APIC.  docs/devices/apic.md maps each register to these tests. */
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "tests/unit/unit.h"

#define BASE IOAPIC_DEFAULT_BASE

struct msg {
    uint8_t dest, vector;
    bool logical, level;
    unsigned mode;
};

static struct bus bus;
static struct ioapic io;
static struct msg msgs[16];
static unsigned nmsgs;
static bool accepting;

static bool rec_send(void *opaque, uint8_t dest, bool logical, unsigned mode, uint8_t vector,
                     bool level)
{
    (void)opaque;
    if (nmsgs < 16)
        msgs[nmsgs] = (struct msg){ dest, vector, logical, level, mode };
    nmsgs++;
    return accepting;
}

static void setup(void)
{
    cr_assert(eq(int, bus_init(&bus, 0x10000), 0));
    cr_assert(eq(int, ioapic_init(&io, &bus, BASE, 1), 0));
    ioapic_set_output(&io, rec_send, NULL);
    nmsgs = 0;
    accepting = true;
}

static void teardown(void)
{
    bus_free(&bus);
}

TestSuite(ioapic, .init = setup, .fini = teardown);

static uint32_t rd(uint8_t idx)
{
    bus_write(&bus, BASE + IOAPIC_IOREGSEL, idx, 4);
    return bus_read(&bus, BASE + IOAPIC_IOWIN, 4);
}

static void wr(uint8_t idx, uint32_t v)
{
    bus_write(&bus, BASE + IOAPIC_IOREGSEL, idx, 4);
    bus_write(&bus, BASE + IOAPIC_IOWIN, v, 4);
}

static uint32_t lo(int pin)
{
    return rd((uint8_t)(0x10 + 2 * pin));
}

static void set_entry(int pin, uint32_t low, uint32_t high)
{
    wr((uint8_t)(0x11 + 2 * pin), high);
    wr((uint8_t)(0x10 + 2 * pin), low);
}

Test(ioapic, reset_values)
{
    cr_expect(eq(u32, rd(IOAPIC_REG_ID), 0x01000000), "the ID given at init");
    cr_expect(eq(u32, rd(IOAPIC_REG_VER), 0x00170011));
    cr_expect(eq(u32, rd(IOAPIC_REG_ARB), 0x01000000));
    for (int pin = 0; pin < IOAPIC_PINS; pin++) {
        cr_expect(eq(u32, lo(pin), IOAPIC_MASKED), "pin %d masked", pin);
        cr_expect(eq(u32, rd((uint8_t)(0x11 + 2 * pin)), 0));
    }
    cr_expect(eq(u32, bus_read(&bus, BASE + IOAPIC_IOREGSEL, 4), 0x3F), "IOREGSEL reads back");
}

Test(ioapic, id_version_arbitration)
{
    wr(IOAPIC_REG_ID, 0xFFFFFFFF);
    cr_expect(eq(u32, rd(IOAPIC_REG_ID), 0x0F000000), "ID is bits 27:24");
    cr_expect(eq(u32, rd(IOAPIC_REG_ARB), 0x0F000000), "arbitration ID follows");
    wr(IOAPIC_REG_VER, 0);
    wr(IOAPIC_REG_ARB, 0);
    cr_expect(eq(u32, rd(IOAPIC_REG_VER), IOAPIC_VERSION));
    cr_expect(eq(u32, rd(IOAPIC_REG_ARB), 0x0F000000));
    ioapic_reset(&io);
    cr_expect(eq(u32, rd(IOAPIC_REG_ID), 0x01000000));
}

Test(ioapic, redirection_entry_bits)
{
    for (int pin = 0; pin < IOAPIC_PINS; pin++) {
        set_entry(pin, 0xFFFFFFFF, 0xFFFFFFFF);
        cr_expect(eq(u32, lo(pin), 0x0001AFFF), "status and remote IRR are read only");
        cr_expect(eq(u32, rd((uint8_t)(0x11 + 2 * pin)), 0xFF000000), "destination only");
    }
    cr_expect(eq(uint, nmsgs, 0), "masked: nothing sent");
}

Test(ioapic, edge_delivery)
{
    set_entry(4, 0x0834, 0x05000000); /* vector 0x34, fixed, logical, edge */
    ioapic_set_irq(&io, 4, true);
    cr_assert(eq(uint, nmsgs, 1));
    cr_expect(eq(u8, msgs[0].vector, 0x34));
    cr_expect(eq(u8, msgs[0].dest, 0x05));
    cr_expect(msgs[0].logical);
    cr_expect(not(msgs[0].level));
    cr_expect(eq(uint, msgs[0].mode, APIC_DM_FIXED));
    ioapic_set_irq(&io, 4, true);
    cr_expect(eq(uint, nmsgs, 1), "no new edge");
    ioapic_set_irq(&io, 4, false);
    ioapic_set_irq(&io, 4, true);
    cr_expect(eq(uint, nmsgs, 2));
    cr_expect(eq(u32, lo(4), 0x0834), "delivery status idle, no remote IRR");
    /* Masked: the edge is lost, not held. */
    set_entry(4, IOAPIC_MASKED | 0x0834, 0x05000000);
    ioapic_set_irq(&io, 4, false);
    ioapic_set_irq(&io, 4, true);
    set_entry(4, 0x0834, 0x05000000);
    cr_expect(eq(uint, nmsgs, 2));
    /* Delivery modes pass through; NMI is an edge even if set level. */
    set_entry(5, IOAPIC_TRIGGER | 0x400, 0);
    ioapic_set_irq(&io, 5, true);
    cr_assert(eq(uint, nmsgs, 3));
    cr_expect(eq(uint, msgs[2].mode, APIC_DM_NMI));
    cr_expect(not(msgs[2].level));
    cr_expect(eq(u32, lo(5) & IOAPIC_REMOTE_IRR, 0));
}

Test(ioapic, level_remote_irr_and_eoi)
{
    set_entry(9, IOAPIC_TRIGGER | 0x59, 0);
    ioapic_set_irq(&io, 9, true);
    cr_assert(eq(uint, nmsgs, 1));
    cr_expect(msgs[0].level);
    cr_expect(eq(u32, lo(9), IOAPIC_TRIGGER | IOAPIC_REMOTE_IRR | 0x59));
    ioapic_set_irq(&io, 9, false);
    ioapic_set_irq(&io, 9, true);
    cr_expect(eq(uint, nmsgs, 1), "remote IRR blocks re-delivery");
    ioapic_eoi(&io, 0x5A);
    cr_expect(eq(uint, nmsgs, 1), "EOI for another vector");
    ioapic_eoi(&io, 0x59);
    cr_expect(eq(uint, nmsgs, 2), "still asserted at EOI: delivered again");
    ioapic_set_irq(&io, 9, false);
    ioapic_eoi(&io, 0x59);
    cr_expect(eq(uint, nmsgs, 2));
    cr_expect(eq(u32, lo(9), IOAPIC_TRIGGER | 0x59), "remote IRR clear");
    /* Masked while asserted: held until unmasked. */
    set_entry(9, IOAPIC_MASKED | IOAPIC_TRIGGER | 0x59, 0);
    ioapic_set_irq(&io, 9, true);
    cr_expect(eq(uint, nmsgs, 2));
    set_entry(9, IOAPIC_TRIGGER | 0x59, 0);
    cr_expect(eq(uint, nmsgs, 3), "unmasking an asserted level entry delivers");
    /* Switching to edge clears remote IRR (Linux's lost-EOI recovery). */
    set_entry(9, 0x59, 0);
    cr_expect(eq(u32, lo(9), 0x59));
    set_entry(9, IOAPIC_TRIGGER | 0x59, 0);
    cr_expect(eq(uint, nmsgs, 4), "level again, still asserted");
}

Test(ioapic, not_accepted_stays_pending)
{
    accepting = false;
    set_entry(3, 0x43, 0);
    ioapic_set_irq(&io, 3, true);
    cr_expect(eq(uint, nmsgs, 1));
    cr_expect(eq(u32, lo(3), IOAPIC_DELIVS | 0x43), "send pending");
    accepting = true;
    ioapic_set_irq(&io, 7, true); /* any later event retries */
    cr_expect(eq(uint, nmsgs, 2));
    cr_expect(eq(u32, lo(3), 0x43));
    accepting = false;
    set_entry(10, IOAPIC_TRIGGER | 0x4A, 0);
    ioapic_set_irq(&io, 10, true);
    cr_expect(eq(u32, lo(10), IOAPIC_TRIGGER | IOAPIC_DELIVS | 0x4A), "no remote IRR");
    accepting = true;
    ioapic_eoi(&io, 0x99);
    cr_expect(eq(u32, lo(10), IOAPIC_TRIGGER | IOAPIC_REMOTE_IRR | 0x4A));
}

Test(ioapic, out_of_range_indices_and_pins)
{
    for (unsigned idx = 0; idx < 256; idx++) {
        if (idx <= 2 || (idx >= 0x10 && idx < 0x40))
            continue;
        wr((uint8_t)idx, 0xFFFFFFFF);
        cr_expect(eq(u32, rd((uint8_t)idx), 0), "index 0x%x", idx);
    }
    cr_expect(eq(u32, rd(IOAPIC_REG_ID), 0x01000000), "nothing else changed");
    bus_write(&bus, BASE + IOAPIC_IOREGSEL, 0x1234, 4);
    cr_expect(eq(u32, bus_read(&bus, BASE + IOAPIC_IOREGSEL, 4), 0x34), "IOREGSEL is 8 bits");
    ioapic_set_irq(&io, 24, true);
    ioapic_set_irq(&io, -1, true);
    ioapic_set_irq(&io, 1000, true);
    cr_expect(eq(u32, io.pins, 0));
    cr_expect(eq(uint, nmsgs, 0));
}

Test(ioapic, narrow_and_odd_accesses)
{
    set_entry(0, 0x00012345 & 0x0001AFFF, 0xAB000000);
    bus_write(&bus, BASE + IOAPIC_IOREGSEL, 0x11, 1);
    cr_expect(eq(u32, bus_read(&bus, BASE + IOAPIC_IOWIN + 3, 1), 0xAB), "byte reads of IOWIN");
    cr_expect(eq(u32, bus_read(&bus, BASE + IOAPIC_IOWIN, 2), 0));
    bus_write(&bus, BASE + IOAPIC_IOWIN, 0x12000000, 2);
    bus_write(&bus, BASE + IOAPIC_IOWIN + 3, 0x12, 1);
    cr_expect(eq(u32, rd(0x11), 0xAB000000), "narrow IOWIN writes are ignored");
    for (uint32_t off = 0x04; off < 0x1000; off += 4) {
        if (off == IOAPIC_IOWIN)
            continue;
        bus_write(&bus, BASE + off, 0xFFFFFFFF, 4);
        cr_expect(eq(u32, bus_read(&bus, BASE + off, 4), 0), "offset 0x%x", off);
    }
    cr_expect(eq(u32, rd(0x11), 0xAB000000));
    cr_expect(eq(u32, bus_read(&bus, BASE + 1, 2), 0), "IOREGSEL bits 31:8 read 0");
    cr_expect(eq(u32, bus_read(&bus, BASE + 0xFFE, 4), 0xFFFF0000), "page end");
}

/* The I/O APIC feeding a real local APIC: a level-triggered PCI-style
 * interrupt goes through, is acknowledged, and the LAPIC's EOI clears
 * remote IRR. */
static bool intr;
static void rec_intr(void *opaque, bool level)
{
    (void)opaque;
    intr = level;
}

Test(ioapic, with_local_apic)
{
    struct vclock clk;
    struct lapic apic;
    clock_init(&clk, 100);
    cr_assert(eq(int, lapic_init(&apic, &bus, &clk), 0));
    intr = false;
    lapic_set_intr_output(&apic, rec_intr, NULL);
    lapic_set_eoi_output(&apic, ioapic_eoi, &io);
    ioapic_set_output(&io, lapic_message, &apic);
    bus_write(&bus, LAPIC_DEFAULT_BASE + LAPIC_SVR, 0x1FF, 4);

    set_entry(9, IOAPIC_TRIGGER | 0x69, 0x00000000); /* physical, APIC 0 */
    set_entry(2, 0x30, 0x00000000);                  /* IRQ0 via pin 2, edge */
    ioapic_set_irq(&io, 9, true);
    cr_expect(intr);
    cr_expect(eq(u8, lapic_ack(&apic), 0x69));
    bus_write(&bus, LAPIC_DEFAULT_BASE + LAPIC_EOI, 0, 4);
    cr_expect(intr, "still asserted: again");
    cr_expect(eq(u32, lo(9) & IOAPIC_REMOTE_IRR, IOAPIC_REMOTE_IRR));
    cr_expect(eq(u8, lapic_ack(&apic), 0x69));
    ioapic_set_irq(&io, 9, false);
    bus_write(&bus, LAPIC_DEFAULT_BASE + LAPIC_EOI, 0, 4);
    cr_expect(not(intr));
    cr_expect(eq(u32, lo(9) & IOAPIC_REMOTE_IRR, 0));
    ioapic_set_irq(&io, 2, true);
    ioapic_set_irq(&io, 2, false);
    cr_expect(eq(u8, lapic_ack(&apic), 0x30));
    /* Another APIC's ID: refused, left pending. */
    set_entry(11, 0x71, 0x03000000);
    ioapic_set_irq(&io, 11, true);
    cr_expect(eq(u32, lo(11), IOAPIC_DELIVS | 0x71));
}

Test(ioapic, random_guest_traffic_stays_in_bounds)
{
    uint32_t s = 777;
    for (int i = 0; i < 20000; i++) {
        s = s * 1103515245u + 12345u;
        uint32_t r = s >> 8;
        s = s * 1103515245u + 12345u;
        switch (r & 7) {
        case 0: bus_write(&bus, BASE + IOAPIC_IOREGSEL, s, 1u << ((r >> 3) % 3)); break;
        case 1:
        case 2: bus_write(&bus, BASE + IOAPIC_IOWIN, s, 4); break;
        case 3: bus_read(&bus, BASE + ((r >> 3) & 0xFFF), 1u << ((r >> 15) % 3)); break;
        case 4: ioapic_set_irq(&io, (int)((s >> 4) % 40) - 8, s & 1); break;
        case 5: ioapic_eoi(&io, (uint8_t)s); break;
        case 6: accepting = s & 1; break;
        default: bus_write(&bus, BASE + ((r >> 3) & 0xFFF), s, 1u << ((r >> 15) % 3)); break;
        }
    }
    for (int pin = 0; pin < IOAPIC_PINS; pin++)
        cr_expect(eq(u32, (uint32_t)(io.redir[pin] >> 32) & 0x00FFFFFF, 0));
}
