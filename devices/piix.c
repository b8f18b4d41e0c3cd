/* PIIX3 ISA bridge, reset control and PIIX4 PM function (see piix.h). */
#include "devices/piix.h"

#include <string.h>

#include "mem/bus.h"
#include "mem/sv.h"

int piix_pirq_route(const struct piix *p, unsigned n)
{
    if (n > 3)
        return -1;
    uint8_t v = pci_get_byte(&p->isa, PIIX_PIRQRC + n);
    unsigned irq = v & 0x0F;
    /* IRQ 0, 1, 2, 8 and 13 are reserved encodings: nothing is routed. */
    if ((v & PIIX_PIRQ_DISABLE) || irq < 3 || irq == 8 || irq == 13)
        return -1;
    return (int)irq;
}

/* Drives every ISA IRQ as the OR of the PIRQs routed to it and the SCI. */
static void update_isa_irqs(struct piix *p)
{
    bool level[16] = { false };
    for (unsigned n = 0; n < 4; n++) {
        int irq = piix_pirq_route(p, n);
        if (irq >= 0 && p->pirq_level[n])
            level[irq] = true;
    }
    if (p->sci_level)
        level[ACPI_PM_SCI_IRQ] = true;
    for (unsigned irq = 0; irq < 16; irq++) {
        if (level[irq] == p->isa_level[irq])
            continue;
        p->isa_level[irq] = level[irq];
        irq_set(&p->isa_irq[irq], level[irq]);
    }
}

static void set_pirq(void *opaque, unsigned n, bool level)
{
    struct piix *p = opaque;
    if (n > 3)
        return;
    p->pirq_level[n] = level;
    irq_set(&p->apic_pirq[n], level);
    update_isa_irqs(p);
}

static void set_sci(void *opaque, int n, bool level)
{
    struct piix *p = opaque;
    p->sci_level = level;
    update_isa_irqs(p);
}

static void isa_config_write(struct pci_device *d, unsigned off, uint32_t val, unsigned size)
{
    if (off <= PIIX_PIRQRC + 3 && off + size > PIIX_PIRQRC)
        update_isa_irqs(d->opaque);
}

/* Decodes the PM I/O block where PMBA and PMREGMISC say. */
static void pm_remap(struct piix *p)
{
    acpi_pm_map(&p->acpi, (uint16_t)(pci_get_long(&p->pm, PIIX_PMBA) & 0xFFC0),
                pci_get_byte(&p->pm, PIIX_PMREGMISC) & PIIX_PMIOSE);
}

/* PMBA or PMREGMISC changed: move or switch the PM I/O block. */
static void pm_config_write(struct pci_device *d, unsigned off, uint32_t val, unsigned size)
{
    if ((off <= PIIX_PMBA + 3 && off + size > PIIX_PMBA) || off == PIIX_PMREGMISC)
        pm_remap(d->opaque);
}

static void isa_fn_reset(struct piix *p)
{
    struct pci_device *d = &p->isa;
    pci_device_init(d, 0x8086, PIIX_ISA_DEVICE, 0x060100, 0x00, PCI_HEADER_MULTI_FUNCTION);
    d->opaque = p;
    d->config_write = isa_config_write;
    /* I/O, memory and bus master are hardwired on; special cycles may be
     * enabled. */
    pci_set_word(d, PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
    d->wmask[PCI_COMMAND] = 0x08;
    pci_set_word(d, PCI_STATUS, 0x0200); /* medium DEVSEL# */

    pci_set_byte(d, 0x4C, 0x4D);       /* IORT: ISA I/O recovery timer */
    pci_set_wmask(d, 0x4C, 1, 0xFF);
    pci_set_word(d, 0x4E, 0x0003);     /* XBCS: X-bus chip selects */
    pci_set_wmask(d, 0x4E, 2, 0xFF);
    for (unsigned n = 0; n < 4; n++)
        pci_set_byte(d, PIIX_PIRQRC + n, PIIX_PIRQ_DISABLE);
    pci_set_wmask(d, PIIX_PIRQRC, 4, 0x8F);
    pci_set_byte(d, PIIX_TOM, 0x02);   /* top of memory 1 MiB, 512-640K forwarded */
    pci_set_wmask(d, PIIX_TOM, 1, 0xFE);
    pci_set_wmask(d, 0x6A, 2, 0xFF);   /* MSTAT */
    pci_set_byte(d, 0x70, 0x80);       /* MBIRQ0, MBIRQ1: motherboard IRQs off */
    pci_set_byte(d, 0x71, 0x80);
    pci_set_wmask(d, 0x70, 2, 0xEF);
    pci_set_byte(d, 0x76, 0x0C);       /* MBDMA0, MBDMA1 */
    pci_set_byte(d, 0x77, 0x0C);
    pci_set_wmask(d, 0x76, 2, 0x87);
    pci_set_word(d, 0x78, 0x0002);     /* PCSC */
    pci_set_wmask(d, 0x78, 2, 0xFF);
    pci_set_wmask(d, 0x80, 1, 0x7F);   /* APICBASE */
    pci_set_wmask(d, 0x82, 1, 0x0F);   /* DLC */
    pci_set_byte(d, 0xA0, 0x08);       /* SMICNTL */
    pci_set_wmask(d, 0xA0, 1, 0x1F);
    pci_set_wmask(d, 0xA2, 2, 0xFF);   /* SMIEN */
    pci_set_wmask(d, 0xA4, 4, 0xFF);   /* SEE */
    pci_set_byte(d, 0xA8, 0x0F);       /* FTMR */
    pci_set_wmask(d, 0xA8, 1, 0xFF);
    pci_set_wmask(d, 0xAA, 2, 0xFF);   /* SMIREQ */
    pci_set_wmask(d, 0xAC, 1, 0xFF);   /* CTLTMR */
    pci_set_wmask(d, 0xAE, 1, 0xFF);   /* CTHTMR */
}

static void pm_fn_reset(struct piix *p)
{
    struct pci_device *d = &p->pm;
    pci_device_init(d, 0x8086, PIIX_PM_DEVICE, 0x068000, 0x03, 0x00);
    d->opaque = p;
    d->config_write = pm_config_write;
    d->wmask[PCI_COMMAND] = PCI_COMMAND_IO; /* IOSE: the SMBus I/O space */
    pci_set_word(d, PCI_STATUS, 0x0280);
    pci_set_wmask(d, PCI_INTERRUPT_LINE, 1, 0xFF);
    pci_set_byte(d, PCI_INTERRUPT_PIN, 1); /* INTA#, for the SMBus */

    pci_set_long(d, PIIX_PMBA, 0x00000001); /* I/O space indicator */
    pci_set_wmask(d, PIIX_PMBA, 1, 0xC0);   /* bits 15:6: a 64-byte block */
    pci_set_wmask(d, PIIX_PMBA + 1, 1, 0xFF);
    pci_set_wmask(d, 0x44, 0x3C, 0xFF);     /* CNTA CNTB GPICTL DEVRESx DEVACTx */
    /* DEVACTB bit 25, APMC_EN (SMI on a write to 0xB2), reads 1 and stays:
     * Popek's CPUs have no SMM, so no SMI can be raised, and firmware
     * that finds it set takes SMM as set up already (SeaBIOS does, and
     * QEMU without SMM presents it so). */
    pci_set_byte(d, 0x5B, PIIX_DEVACTB_APMC_EN >> 24);
    pci_set_wmask(d, 0x5B, 1, (uint8_t)~(PIIX_DEVACTB_APMC_EN >> 24));
    pci_set_wmask(d, PIIX_PMREGMISC, 1, PIIX_PMIOSE);
    pci_set_long(d, PIIX_SMBBA, 0x00000001);
    pci_set_wmask(d, PIIX_SMBBA, 1, 0xF0);  /* bits 15:4: a 16-byte block */
    pci_set_wmask(d, PIIX_SMBBA + 1, 1, 0xFF);
    pci_set_wmask(d, PIIX_SMBHSTCFG, 1, 0x0F);
    pci_set_wmask(d, 0xD3, 3, 0xFF);        /* SMBSLVC SMBSHDW1 SMBSHDW2 */
}

void piix_reset(struct piix *p)
{
    isa_fn_reset(p);
    pm_fn_reset(p);
    p->isa.pb = p->pm.pb = p->pb;
    p->isa.devfn = PIIX_ISA_DEVFN;
    p->pm.devfn = PIIX_PM_DEVFN;
    p->rc = 0;
    p->apmc = p->apms = 0;
    acpi_pm_map(&p->acpi, 0, false);
    acpi_pm_reset(&p->acpi);
    update_isa_irqs(p);
}

void piix_pm_enable(struct piix *p, uint16_t base)
{
    pci_config_write(p->pb, 0, PIIX_PM_DEVFN, PIIX_PMBA, base | 1u, 4);
    pci_config_write(p->pb, 0, PIIX_PM_DEVFN, PIIX_PMREGMISC, PIIX_PMIOSE, 1);
}

/* 0xCF9: bit 1 SRST selects a hard reset, a write with bit 2 RCPU set
 * performs the reset.  Only byte accesses reach it (dword accesses to
 * 0xCF8 are CONFIG_ADDRESS). */
static uint32_t rc_read(void *opaque, uint16_t port, unsigned size)
{
    struct piix *p = opaque;
    return p->rc;
}

static void rc_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct piix *p = opaque;
    p->rc = val & PIIX_RC_SRST;
    if ((val & PIIX_RC_RCPU) && p->reset)
        p->reset(p->opaque, val & PIIX_RC_SRST);
}

/* The APM control and status ports: plain registers the BIOS and an APM
 * or ACPI driver pass bytes through (with no SMM nothing else happens). */
static uint32_t apm_read(void *opaque, uint16_t port, unsigned size)
{
    struct piix *p = opaque;
    return port == PIIX_APMC_PORT ? p->apmc : p->apms;
}

static void apm_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct piix *p = opaque;
    if (port == PIIX_APMC_PORT)
        p->apmc = (uint8_t)val;
    else
        p->apms = (uint8_t)val;
}

static const struct io_ops apm_ops = {
    .read = apm_read,
    .write = apm_write,
    .sizes = 1,
};

static const struct io_ops rc_ops = {
    .read = rc_read,
    .write = rc_write,
    .sizes = 1,
};

static void acpi_power_off(void *opaque)
{
    struct piix *p = opaque;
    if (p->power_off)
        p->power_off(p->opaque);
}

int piix_init(struct piix *p, struct pci_bus *pb, struct bus *bus, struct vclock *clk,
              const struct irq_line isa_irq[16], void (*reset)(void *opaque, bool hard),
              void (*power_off)(void *opaque), void *opaque)
{
    memset(p, 0, sizeof(*p));
    p->pb = pb;
    if (isa_irq)
        memcpy(p->isa_irq, isa_irq, sizeof(p->isa_irq));
    p->reset = reset;
    p->power_off = power_off;
    p->opaque = opaque;
    const struct irq_line sci = { set_sci, p, ACPI_PM_SCI_IRQ };
    int rc = acpi_pm_init(&p->acpi, bus, clk, &sci, acpi_power_off, p, true, false);
    if (rc < 0)
        return rc;
    rc = pci_register(pb, &p->isa, PIIX_ISA_DEVFN);
    if (rc == 0)
        rc = pci_register(pb, &p->pm, PIIX_PM_DEVFN);
    if (rc == 0)
        rc = bus_io_register(bus, PIIX_RC_PORT, 1, &rc_ops, p);
    if (rc == 0)
        rc = bus_io_register(bus, PIIX_APMC_PORT, 2, &apm_ops, p);
    if (rc < 0)
        return rc;
    pb->set_pirq = set_pirq;
    pb->pirq_opaque = p;
    piix_reset(p);
    return 0;
}

/* ---- savestate ---- */

void piix_save(const struct piix *p, struct sv_writer *w)
{
    for (unsigned n = 0; n < 4; n++)
        sv_put_bool(w, p->pirq_level[n]);
    sv_put_bool(w, p->sci_level);
    for (unsigned irq = 0; irq < 16; irq++)
        sv_put_bool(w, p->isa_level[irq]);
    sv_put_u8(w, p->apmc);
    sv_put_u8(w, p->apms);
    sv_put_u8(w, p->rc);
    sv_put_u32(w, ACPI_PM_SV_VERSION);
    acpi_pm_save(&p->acpi, w);
}

void piix_load(struct piix *p, struct sv_reader *r, unsigned version)
{
    if (version != PIIX_SV_VERSION) {
        sv_fail(r, "version %u, this Popek reads %u", version, PIIX_SV_VERSION);
        return;
    }
    for (unsigned n = 0; n < 4; n++)
        p->pirq_level[n] = sv_get_bool(r);
    p->sci_level = sv_get_bool(r);
    for (unsigned irq = 0; irq < 16; irq++)
        p->isa_level[irq] = sv_get_bool(r);
    p->apmc = sv_get_u8(r);
    p->apms = sv_get_u8(r);
    p->rc = sv_get_u8(r);
    sv_check(r, !(p->rc & ~PIIX_RC_SRST), "piix reset control");
    acpi_pm_load(&p->acpi, r, sv_get_u32(r));
}

void piix_post_load(struct piix *p)
{
    pm_remap(p);
}
