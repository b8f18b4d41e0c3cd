/* The PCI-to-ISA side of the chipset: an Intel 82371SB PIIX3 ISA bridge as
 * 00:01.0 (PIIX3 datasheet, section 2.2: PIRQ routing 0x60-0x63, top of
 * memory 0x69 and the rest of its configuration header), the reset control
 * register at I/O 0xCF9 (section 2.3), and an 82371AB PIIX4 power-management
 * function as 00:01.3 (PIIX4 datasheet, section 7.1: PMBA 0x40, PMREGMISC
 * 0x80, SMBBA 0x90) whose I/O block is the ACPI fixed hardware of
 * acpi_pm.h.  There is no IDE or USB function (an IDE controller comes with
 * the disk issue).
 *
 * Interrupts: the four PCI interrupt lines PIRQA#-PIRQD# (pci_set_irq) go
 * to the ISA IRQ their route register names, and the SCI to IRQ 9; the
 * bridge drives each ISA IRQ line as the OR of what is routed to it. */
#ifndef POPEK_DEVICES_PIIX_H
#define POPEK_DEVICES_PIIX_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/acpi_pm.h"
#include "devices/irq.h"
#include "devices/pci.h"

struct sv_reader;
struct sv_writer;

#define PIIX_ISA_DEVFN PCI_DEVFN(1, 0)
#define PIIX_PM_DEVFN PCI_DEVFN(1, 3)
#define PIIX_ISA_DEVICE 0x7000 /* PIIX3 function 0 */
#define PIIX_PM_DEVICE 0x7113  /* PIIX4 function 3 */

#define PIIX_RC_PORT 0xCF9
#define PIIX_APMC_PORT 0xB2 /* APM control; 0xB3 is APM status */
#define PIIX_DEVACTB 0x58
#define PIIX_DEVACTB_APMC_EN (1u << 25)
#define PIIX_RC_SRST 0x02 /* with RCPU: a hard (system) reset */
#define PIIX_RC_RCPU 0x04 /* writing 1 resets; SRST chooses hard or soft */

/* ISA function registers. */
#define PIIX_PIRQRC 0x60 /* 0x60-0x63: PIRQA-D route control */
#define PIIX_PIRQ_DISABLE 0x80
#define PIIX_TOM 0x69
/* PM function registers. */
#define PIIX_PMBA 0x40
#define PIIX_PMREGMISC 0x80
#define PIIX_PMIOSE 0x01
#define PIIX_SMBBA 0x90
#define PIIX_SMBHSTCFG 0xD2

struct piix {
    struct pci_device isa; /* 00:01.0 */
    struct pci_device pm;  /* 00:01.3 */
    struct acpi_pm acpi;
    struct pci_bus *pb;

    /* The ISA IRQ lines the bridge drives (the PIC's inputs; entries with
     * no set function are not wired).  apic_pirq[0-3], if the machine sets
     * them, follow PIRQA-D directly (I/O APIC inputs 16-19 on boards that
     * wire them so). */
    struct irq_line isa_irq[16];
    struct irq_line apic_pirq[4];
    bool pirq_level[4];
    bool sci_level;
    uint8_t apmc, apms; /* APM control (0xB2) and status (0xB3) */
    bool isa_level[16]; /* as last driven */

    uint8_t rc; /* reset control: SRST as last written */
    void (*reset)(void *opaque, bool hard);
    void (*power_off)(void *opaque);
    void *opaque;
};

/* Registers both functions on pb and the reset control port on bus.
 * isa_irq: 16 lines (may be NULL).  reset(opaque, hard) on a write of RCPU
 * to 0xCF9; power_off(opaque) when the guest enters S5.  The PM block's
 * timer runs on clk.  Returns 0 or -errno. */
int piix_init(struct piix *p, struct pci_bus *pb, struct bus *bus, struct vclock *clk,
              const struct irq_line isa_irq[16], void (*reset)(void *opaque, bool hard),
              void (*power_off)(void *opaque), void *opaque);
/* Power-on values of both functions and of the PM block (which unmaps). */
void piix_reset(struct piix *p);
/* The ISA IRQ PIRQ n (0-3) goes to, or -1 if routing is off or reserved. */
int piix_pirq_route(const struct piix *p, unsigned n);
/* What firmware does before handing an OS the ACPI tables: PMBA = base and
 * PM I/O enabled, through ordinary configuration writes. */
void piix_pm_enable(struct piix *p, uint16_t base);

/* Savestate (mem/sv.h): the PIRQ and SCI input levels, the ISA IRQ levels
 * last driven, the APM ports and the reset control register; then
 * ACPI_PM_SV_VERSION and the PM block's own state (acpi_pm_save), so one
 * section holds both.  The two functions' configuration space is
 * pci_save's.  piix_post_load, after every load and after pci_post_load,
 * decodes the PM block where the loaded PMBA and PMREGMISC put it. */
#define PIIX_SV_VERSION 1
void piix_save(const struct piix *p, struct sv_writer *w);
void piix_load(struct piix *p, struct sv_reader *r, unsigned version);
void piix_post_load(struct piix *p);

#endif
