/* ACPI 1.0b tables for the PC (ACPI Specification 1.0b, chapter 5): an RSDP
 * (revision 0, pointing at an RSDT), the FADT describing the PIIX4-style PM
 * block of devices/acpi_pm.h, a FACS, a DSDT whose AML is emitted here byte
 * by byte (\_S5 for soft off, \_PIC, \_PR processors, \_SB.PCI0 as the
 * PNP0A03 root bridge) and a MADT listing the local APICs, the I/O APIC and
 * the ISA interrupt overrides.  They are written into guest memory through
 * the bus; the machine reserves the space (E820 type 3, ACPI reclaimable). */
#ifndef POPEK_MACHINE_ACPI_TABLES_H
#define POPEK_MACHINE_ACPI_TABLES_H

#include <stdbool.h>
#include <stdint.h>

struct bus;

#define ACPI_MAX_CPUS 16
#define ACPI_RSDP_LEN 20
/* Room the tables need at tables_addr, at most (ACPI_MAX_CPUS CPUs). */
#define ACPI_TABLES_MAX 2048

struct acpi_config {
    uint16_t pm_base;     /* the acpi_pm block: PM1a_EVT at +0, PM1a_CNT +4, PM_TMR +8, GPE0 +0xC */
    uint8_t sci_irq;      /* ISA IRQ of the SCI (9); level, active high in the MADT */
    bool timer_32bit;     /* the PM timer counts 32 bits (FADT TMR_VAL_EXT) */
    uint8_t rtc_century;  /* CMOS index of the century byte, 0 if none */
    unsigned ncpus;       /* 1..ACPI_MAX_CPUS: processor IDs and APIC IDs 0..n-1 */
    uint32_t lapic_addr;  /* 0xFEE00000 */
    uint32_t ioapic_addr; /* 0xFEC00000 */
    uint8_t ioapic_id;    /* must differ from every local APIC ID */
    bool no_apic;         /* a machine without APICs: no MADT, PIC interrupt model */
    uint32_t pci_mem_base; /* the PCI memory window PCI0's _CRS gives: [base, 0xFEC00000) */
};

/* The PC's values: PM block at ACPI_PM_DEFAULT_BASE, SCI 9, 24-bit timer,
 * century at CMOS 0x32, one CPU, APICs at their usual addresses, I/O APIC
 * ID 1. */
void acpi_config_default(struct acpi_config *cfg);

/* The tables as bytes, built for a given base address, with what a loader
 * must know to move them (QEMU's table-loader protocol): every 32-bit
 * field in tables[] that points into tables[], the RSDP's pointer to the
 * RSDT (offset 16), and each checksummed range (a table, checksum byte at
 * its offset 9).  With base 0 every pointer holds an offset. */
#define ACPI_BLOB_MAX 8
struct acpi_blob {
    uint8_t tables[ACPI_TABLES_MAX];
    uint32_t len;
    uint8_t rsdp[ACPI_RSDP_LEN];
    uint32_t ptrs[ACPI_BLOB_MAX]; /* offsets of pointer fields in tables[] */
    unsigned nptrs;
    struct {
        uint32_t start, len;
    } sums[ACPI_BLOB_MAX];
    unsigned nsums;
};
/* Returns 0, or -EINVAL for a bad configuration. */
int acpi_build_blob(const struct acpi_config *cfg, uint32_t base, struct acpi_blob *b);

/* Writes the RSDP at rsdp_addr (16-byte aligned; OSes search for it in
 * E0000-FFFFF) and the other tables from tables_addr (64-byte aligned, for
 * the FACS).  Returns the bytes used at tables_addr, or -EINVAL for a bad
 * configuration or address, -EIO if the memory did not take the writes
 * (ROM or unmapped). */
int acpi_build_tables(struct bus *bus, uint32_t rsdp_addr, uint32_t tables_addr,
                      const struct acpi_config *cfg);

#endif
