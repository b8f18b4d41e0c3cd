/* Unit tests for machine/mptable.c: the MP floating pointer and
 * configuration table are found and parsed back from guest memory as a
 * kernel does it (MP specification 1.4, chapter 4), with a parser written
 * here: signatures, checksums, lengths, the entry order, and every entry. */
#include <errno.h>
#include <string.h>

#include "machine/mptable.h"
#include "tests/unit/unit.h"

#define FPS_AT 0xF0100u
#define TABLE_AT 0xF0200u

static struct bus bus;
static struct mptable_config cfg;

static void setup(void)
{
    cr_assert(eq(int, bus_init(&bus, 1u << 20), 0));
    mptable_config_default(&cfg);
}

static void teardown(void)
{
    bus_free(&bus);
}

TestSuite(mptable, .init = setup, .fini = teardown, .timeout = 10.0);

struct mp_intr {
    uint8_t kind, bus, irq, dest, pin;
    uint16_t flags;
};

struct mp_seen {
    unsigned cpus, buses, ioapics, ints, lints, count;
    uint8_t cpu_id[16], cpu_flags[16], cpu_ver[16];
    uint32_t cpu_sig[16];
    char bus_type[4][7];
    uint8_t bus_id[4];
    uint8_t ioapic_id, ioapic_ver, ioapic_flags;
    uint32_t ioapic_addr, lapic_addr;
    struct mp_intr in[32], lin[4];
};

/* Finds _MP_ in F0000-FFFFF on a 16-byte boundary, checks it and walks the
 * configuration table. */
static void parse(struct mp_seen *m)
{
    memset(m, 0, sizeof(*m));
    uint8_t fps[16];
    uint32_t at = 0;
    for (uint32_t a = 0xF0000; a < 0x100000; a += 16) {
        bus_read_block(&bus, a, fps, 16);
        if (memcmp(fps, "_MP_", 4) == 0) {
            at = a;
            break;
        }
    }
    cr_assert(eq(u32, at, FPS_AT));
    cr_assert(eq(u8, fps[8], 1), "length in paragraphs");
    cr_assert(eq(u8, fps[9], 4), "MP 1.4");
    cr_assert(eq(u8, byte_sum(fps, 16), 0), "floating pointer checksum");
    cr_assert(eq(u8, fps[11], 0), "a configuration table, not a default configuration");
    cr_assert(eq(u8, fps[12] & 0x80, 0), "no IMCR: virtual wire mode");

    uint32_t ta = le32(fps + 4);
    uint8_t t[1024];
    bus_read_block(&bus, ta, t, 44);
    cr_assert(eq(int, memcmp(t, "PCMP", 4), 0));
    uint16_t len = le16(t + 4);
    cr_assert(le(u16, len, sizeof(t)));
    bus_read_block(&bus, ta, t, len);
    cr_assert(eq(u8, t[6], 4), "revision 1.4");
    cr_assert(eq(u8, byte_sum(t, len), 0), "table checksum");
    cr_assert(eq(int, memcmp(t + 8, "POPEK   ", 8), 0));
    cr_assert(eq(u16, le16(t + 40), 0), "no extended table");
    m->lapic_addr = le32(t + 36);
    unsigned count = le16(t + 34);

    uint32_t off = 44;
    uint8_t last_type = 0;
    while (off < len) {
        const uint8_t *e = t + off;
        cr_assert(ge(u8, e[0], last_type), "entries sorted by type");
        last_type = e[0];
        unsigned elen = e[0] == 0 ? 20 : 8;
        cr_assert(le(u32, off + elen, len), "entry runs past the table");
        switch (e[0]) {
        case 0:
            m->cpu_id[m->cpus] = e[1];
            m->cpu_ver[m->cpus] = e[2];
            m->cpu_flags[m->cpus] = e[3];
            m->cpu_sig[m->cpus++] = le32(e + 4);
            break;
        case 1:
            m->bus_id[m->buses] = e[1];
            memcpy(m->bus_type[m->buses], e + 2, 6);
            m->bus_type[m->buses++][6] = 0;
            break;
        case 2:
            m->ioapics++;
            m->ioapic_id = e[1];
            m->ioapic_ver = e[2];
            m->ioapic_flags = e[3];
            m->ioapic_addr = le32(e + 4);
            break;
        case 3:
        case 4: {
            cr_assert(lt(uint, e[0] == 3 ? m->ints : m->lints, e[0] == 3 ? 32u : 4u));
            struct mp_intr *x = e[0] == 3 ? &m->in[m->ints++] : &m->lin[m->lints++];
            x->kind = e[1];
            x->flags = le16(e + 2);
            x->bus = e[4];
            x->irq = e[5];
            x->dest = e[6];
            x->pin = e[7];
            break;
        }
        default:
            cr_assert(eq(int, 0, 1), "unknown entry type %u", e[0]);
        }
        off += elen;
        m->count++;
    }
    cr_assert(eq(u32, off, len));
    cr_assert(eq(uint, m->count, count), "entry count");
}

Test(mptable, one_cpu_pc)
{
    cfg.cpu_features = 0x0183FBFF;
    int n = mptable_build(&bus, FPS_AT, TABLE_AT, &cfg);
    cr_assert(gt(int, n, 0));
    cr_assert(le(int, n, MPTABLE_MAX));
    struct mp_seen m;
    parse(&m);
    cr_assert(eq(u32, m.lapic_addr, 0xFEE00000));
    cr_assert(eq(uint, m.cpus, 1));
    cr_assert(eq(u8, m.cpu_id[0], 0));
    cr_assert(eq(u8, m.cpu_flags[0], 3), "enabled, bootstrap processor");
    cr_assert(eq(u8, m.cpu_ver[0], 0x11));
    cr_assert(eq(u32, m.cpu_sig[0], 0x0619));
    cr_assert(eq(uint, m.buses, 2));
    cr_assert(eq(str, m.bus_type[0], "PCI   "));
    cr_assert(eq(u8, m.bus_id[0], 0));
    cr_assert(eq(str, m.bus_type[1], "ISA   "));
    cr_assert(eq(u8, m.bus_id[1], 1));
    cr_assert(eq(uint, m.ioapics, 1));
    cr_assert(eq(u8, m.ioapic_id, 1));
    cr_assert(eq(u8, m.ioapic_ver, 0x11));
    cr_assert(eq(u8, m.ioapic_flags, 1));
    cr_assert(eq(u32, m.ioapic_addr, 0xFEC00000));
}

Test(mptable, isa_irqs_reach_the_io_apic)
{
    cr_assert(gt(int, mptable_build(&bus, FPS_AT, TABLE_AT, &cfg), 0));
    struct mp_seen m;
    parse(&m);
    int pin_of[16];
    for (int i = 0; i < 16; i++)
        pin_of[i] = -1;
    bool extint = false;
    for (unsigned i = 0; i < m.ints; i++) {
        cr_assert(eq(u8, m.in[i].bus, 1), "source bus ISA");
        cr_assert(eq(u8, m.in[i].dest, 1), "destination: the I/O APIC's ID");
        if (m.in[i].kind == 3) {
            cr_assert(eq(u8, m.in[i].pin, 0), "the 8259 on INTIN0");
            extint = true;
            continue;
        }
        cr_assert(eq(u8, m.in[i].kind, 0), "INT");
        cr_assert(lt(u8, m.in[i].irq, 16));
        cr_assert(eq(int, pin_of[m.in[i].irq], -1), "IRQ %u listed twice", m.in[i].irq);
        pin_of[m.in[i].irq] = m.in[i].pin;
        uint16_t want = m.in[i].irq == 9 ? 0x000D : 0;
        cr_assert(eq(u16, m.in[i].flags, want), "IRQ %u flags", m.in[i].irq);
    }
    cr_assert(extint);
    cr_assert(eq(int, pin_of[0], 2), "IRQ0 -> INTIN2");
    cr_assert(eq(int, pin_of[2], -1), "IRQ2 is the cascade");
    for (int irq = 1; irq < 16; irq++)
        if (irq != 2)
            cr_assert(eq(int, pin_of[irq], irq), "IRQ %d", irq);
    cr_assert(eq(uint, m.lints, 2));
    cr_assert(eq(u8, m.lin[0].kind, 3));
    cr_assert(eq(u8, m.lin[0].dest, 0xFF));
    cr_assert(eq(u8, m.lin[0].pin, 0), "ExtINT on LINT0");
    cr_assert(eq(u8, m.lin[1].kind, 1));
    cr_assert(eq(u8, m.lin[1].dest, 0xFF));
    cr_assert(eq(u8, m.lin[1].pin, 1), "NMI on LINT1");
}

Test(mptable, several_cpus_and_no_pci)
{
    cfg.ncpus = 4;
    cfg.ioapic_id = 4;
    cfg.pci = false;
    cfg.sci_irq = -1;
    cr_assert(gt(int, mptable_build(&bus, FPS_AT, TABLE_AT, &cfg), 0));
    struct mp_seen m;
    parse(&m);
    cr_assert(eq(uint, m.cpus, 4));
    for (unsigned i = 0; i < 4; i++) {
        cr_assert(eq(u8, m.cpu_id[i], i));
        cr_assert(eq(u8, m.cpu_flags[i], i == 0 ? 3 : 1), "only CPU 0 is the BP");
    }
    cr_assert(eq(uint, m.buses, 1));
    cr_assert(eq(str, m.bus_type[0], "ISA   "));
    cr_assert(eq(u8, m.bus_id[0], 0));
    for (unsigned i = 0; i < m.ints; i++) {
        cr_assert(eq(u8, m.in[i].bus, 0));
        cr_assert(eq(u8, m.in[i].dest, 4));
        cr_assert(eq(u16, m.in[i].flags, 0), "no SCI: all conform to ISA");
    }
}

Test(mptable, bad_configurations_are_refused)
{
    cfg.ioapic_id = 0;
    cr_assert(eq(int, mptable_build(&bus, FPS_AT, TABLE_AT, &cfg), -EINVAL));
    mptable_config_default(&cfg);
    cfg.ncpus = 0;
    cr_assert(eq(int, mptable_build(&bus, FPS_AT, TABLE_AT, &cfg), -EINVAL));
    cfg.ncpus = MPTABLE_MAX_CPUS + 1;
    cfg.ioapic_id = 100;
    cr_assert(eq(int, mptable_build(&bus, FPS_AT, TABLE_AT, &cfg), -EINVAL));
    mptable_config_default(&cfg);
    cr_assert(eq(int, mptable_build(&bus, FPS_AT + 4, TABLE_AT, &cfg), -EINVAL));
    cr_assert(eq(int, mptable_build(&bus, FPS_AT, 0xFFFFFF00, &cfg), -EINVAL));
    cfg.sci_irq = 16;
    cr_assert(eq(int, mptable_build(&bus, FPS_AT, TABLE_AT, &cfg), -EINVAL));
    static const uint8_t rom[4096] = { 0 };
    mptable_config_default(&cfg);
    cr_assert(eq(int, bus_map_rom(&bus, 0xF0000, rom, sizeof(rom)), 0));
    cr_assert(eq(int, mptable_build(&bus, FPS_AT, TABLE_AT, &cfg), -EIO));
}
