/* MultiProcessor Specification 1.4 tables (see mptable.h).  Section
 * numbers are those of the MP specification. */
#include "machine/mptable.h"
#include "machine/fwtable.h"

#include <errno.h>
#include <string.h>

#include "mem/bus.h"

#define HDR_LEN 44

/* Entry types (4.3) and their lengths. */
enum { MP_PROCESSOR = 0, MP_BUS = 1, MP_IOAPIC = 2, MP_IOINTR = 3, MP_LINTR = 4 };
/* Interrupt types of the interrupt assignment entries (table 4-10). */
enum { MP_INT = 0, MP_NMI = 1, MP_SMI = 2, MP_EXTINT = 3 };

void mptable_config_default(struct mptable_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->ncpus = 1;
    cfg->lapic_addr = 0xFEE00000u;
    cfg->ioapic_addr = 0xFEC00000u;
    cfg->ioapic_id = 1;
    cfg->ioapic_version = 0x11;
    cfg->lapic_version = 0x11; /* the P6 family's integrated APIC */
    cfg->cpu_signature = 0x0619; /* family 6, model 1, stepping 9: what CPUID reports */
    cfg->pci = true;
    cfg->sci_irq = 9;
}


/* An I/O (type 3) or local (type 4) interrupt assignment entry (4.3.4,
 * 4.3.5): flags bits 1:0 polarity, 3:2 trigger mode (00: conforms to the
 * bus); dest is the I/O APIC ID or local APIC ID (0xFF: all), pin the
 * INTIN# or LINTIN#. */
static unsigned intr(uint8_t *e, uint8_t type, uint8_t kind, uint16_t flags, uint8_t bus,
                     uint8_t irq, uint8_t dest, uint8_t pin)
{
    e[0] = type;
    e[1] = kind;
    put16(e + 2, flags);
    e[4] = bus;
    e[5] = irq;
    e[6] = dest;
    e[7] = pin;
    return 8;
}

int mptable_build(struct bus *bus, uint32_t fps_addr, uint32_t table_addr,
                  const struct mptable_config *cfg)
{
    if ((fps_addr & 15) || (table_addr & 3) || cfg->ncpus < 1 ||
        cfg->ncpus > MPTABLE_MAX_CPUS || cfg->ioapic_id < cfg->ncpus || cfg->sci_irq > 15 ||
        (uint64_t)table_addr + MPTABLE_MAX > 0x100000000ull)
        return -EINVAL;

    uint8_t t[MPTABLE_MAX];
    memset(t, 0, sizeof(t));
    unsigned n = HDR_LEN, count = 0;

    for (unsigned i = 0; i < cfg->ncpus; i++, n += 20, count++) {
        uint8_t *e = t + n;            /* processor (4.3.1) */
        e[0] = MP_PROCESSOR;
        e[1] = (uint8_t)i;             /* local APIC ID */
        e[2] = cfg->lapic_version;
        e[3] = (uint8_t)(1 | (i == 0 ? 2 : 0)); /* EN, BP */
        put32(e + 4, cfg->cpu_signature);
        put32(e + 8, cfg->cpu_features);
    }
    /* Buses (4.3.2), in order of bus ID. */
    uint8_t isa_bus = cfg->pci ? 1 : 0;
    if (cfg->pci) {
        t[n] = MP_BUS;
        t[n + 1] = 0;
        memcpy(t + n + 2, "PCI   ", 6);
        n += 8;
        count++;
    }
    t[n] = MP_BUS;
    t[n + 1] = isa_bus;
    memcpy(t + n + 2, "ISA   ", 6);
    n += 8;
    count++;

    t[n] = MP_IOAPIC;                  /* I/O APIC (4.3.3) */
    t[n + 1] = cfg->ioapic_id;
    t[n + 2] = cfg->ioapic_version;
    t[n + 3] = 1;                      /* EN */
    put32(t + n + 4, cfg->ioapic_addr);
    n += 8;
    count++;

    /* The 8259's INTR on INTIN0 (virtual wire through the I/O APIC), then
     * the ISA IRQs: IRQ 0 on INTIN2, IRQ 2 (the cascade) absent, the rest
     * one to one. */
    n += intr(t + n, MP_IOINTR, MP_EXTINT, 0, isa_bus, 0, cfg->ioapic_id, 0);
    count++;
    for (unsigned irq = 0; irq < 16; irq++) {
        if (irq == 2)
            continue;
        uint16_t flags = (int)irq == cfg->sci_irq ? 0x000D : 0; /* level, active high */
        n += intr(t + n, MP_IOINTR, MP_INT, flags, isa_bus, (uint8_t)irq, cfg->ioapic_id,
                  irq == 0 ? 2 : (uint8_t)irq);
        count++;
    }
    /* Local interrupts of every processor: ExtINT on LINT0, NMI on LINT1. */
    n += intr(t + n, MP_LINTR, MP_EXTINT, 0, isa_bus, 0, 0xFF, 0);
    n += intr(t + n, MP_LINTR, MP_NMI, 0, isa_bus, 0, 0xFF, 1);
    count += 2;

    /* Header (4.2). */
    memcpy(t, "PCMP", 4);
    put16(t + 4, (uint16_t)n);         /* base table length */
    t[6] = 4;                          /* specification revision 1.4 */
    memcpy(t + 8, "POPEK   ", 8);      /* OEM ID */
    memcpy(t + 16, "PC          ", 12); /* product ID */
    put32(t + 28, 0);                  /* no OEM table */
    put16(t + 32, 0);
    put16(t + 34, (uint16_t)count);
    put32(t + 36, cfg->lapic_addr);
    put16(t + 40, 0);                  /* no extended entries */
    t[42] = 0;
    t[7] = checksum(t, n);

    uint8_t fps[MPTABLE_FPS_LEN] = { 0 }; /* floating pointer (4.1) */
    memcpy(fps, "_MP_", 4);
    put32(fps + 4, table_addr);
    fps[8] = 1;                        /* length in 16-byte units */
    fps[9] = 4;                        /* revision 1.4 */
    fps[11] = 0;                       /* feature 1: the table exists */
    fps[12] = 0;                       /* feature 2: IMCRP clear, virtual wire mode */
    fps[10] = checksum(fps, sizeof(fps));

    bus_write_block(bus, table_addr, t, n);
    bus_write_block(bus, fps_addr, fps, sizeof(fps));
    uint8_t check[MPTABLE_MAX];
    bus_read_block(bus, table_addr, check, n);
    if (memcmp(check, t, n) != 0)
        return -EIO;
    bus_read_block(bus, fps_addr, check, sizeof(fps));
    if (memcmp(check, fps, sizeof(fps)) != 0)
        return -EIO;
    return (int)n;
}
