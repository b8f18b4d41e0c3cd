/* The Intel MultiProcessor Specification 1.4 tables (chapter 4): the MP
 * floating pointer structure and an MP configuration table with processor,
 * bus (PCI, ISA), I/O APIC, I/O interrupt assignment (ISA IRQs 0-15, IRQ 0
 * on INTIN2, the 8259 on INTIN0 as ExtINT) and local interrupt (ExtINT on
 * LINT0, NMI on LINT1) entries, for kernels that find their APICs without
 * ACPI.  Written into guest memory through the bus. */
#ifndef POPEK_MACHINE_MPTABLE_H
#define POPEK_MACHINE_MPTABLE_H

#include <stdbool.h>
#include <stdint.h>

struct bus;

#define MPTABLE_MAX_CPUS 16
#define MPTABLE_FPS_LEN 16
#define MPTABLE_MAX 1024 /* room the configuration table needs, at most */

struct mptable_config {
    unsigned ncpus;         /* 1..MPTABLE_MAX_CPUS: APIC IDs 0..n-1, CPU 0 boots */
    uint32_t lapic_addr;    /* 0xFEE00000 */
    uint32_t ioapic_addr;   /* 0xFEC00000 */
    uint8_t ioapic_id;      /* must differ from every local APIC ID */
    uint8_t ioapic_version; /* 0x11: 82093AA */
    uint8_t lapic_version;  /* 0x11: the P6 family (0x10: P54C) */
    uint32_t cpu_signature; /* CPUID(1).EAX family/model/stepping */
    uint32_t cpu_features;  /* CPUID(1).EDX */
    bool pci;               /* a PCI bus 0 exists (then ISA is bus 1) */
    int sci_irq;            /* an ISA IRQ that is level, active high (the SCI), or -1 */
};

void mptable_config_default(struct mptable_config *cfg);

/* Writes the floating pointer at fps_addr (16-byte aligned; in the first
 * KiB of the EBDA, the last KiB of base memory or F0000-FFFFF) and the
 * configuration table at table_addr.  Returns the bytes used at
 * table_addr, -EINVAL for a bad configuration or address, or -EIO if the
 * memory did not take the writes. */
int mptable_build(struct bus *bus, uint32_t fps_addr, uint32_t table_addr,
                  const struct mptable_config *cfg);

#endif
