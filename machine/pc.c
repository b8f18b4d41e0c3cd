/* The PC board: PIC, PIT, RTC/CMOS, four 16550A UARTs, the 8042 with its
 * keyboard and mouse, port 0x92, POST and test-exit ports, PCI with an
 * i440FX host bridge and a PIIX ISA bridge carrying the ACPI PM block, and
 * the firmware tables a directly booted kernel looks for.  Interrupt
 * wiring: ISA IRQs reach the PIC; the PIC drives the CPU's INTR and answers
 * its acknowledge cycle. */
#include "machine/pc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/acpi_tables.h"
#include "machine/firmware_config.h"
#include "machine/machine.h"
#include "machine/mptable.h"

static const uint16_t uart_base[PC_SERIAL_PORTS] = { 0x3F8, 0x2F8, 0x3E8, 0x2E8 };
static const int uart_irq[PC_SERIAL_PORTS] = { 4, 3, 4, 3 };

static void share_set(void *opaque, int n, bool level)
{
    struct irq_share *sh = opaque;
    if (level)
        sh->levels |= 1u << n;
    else
        sh->levels &= ~(1u << n);
    irq_set(&sh->out, sh->levels != 0);
}

static void pic_intr(void *opaque, bool level)
{
    struct machine *m = opaque;
    cpu_set_intr(m->cpu, level);
}

/* With an I/O APIC each ISA IRQ goes to the PIC and to an I/O APIC pin,
 * the same number but IRQ0 on pin 2 (the override the tables describe). */
static void isa_fanout(void *opaque, int irq, bool level)
{
    struct pc *pc = opaque;
    pic_set_irq(&pc->pic, irq, level);
    if (irq != 2)
        ioapic_set_irq(&pc->ioapic, irq == 0 ? 2 : irq, level);
}

/* Every ISA IRQ passes here on its way to the interrupt controllers, so
 * that the board, not each device, counts the interrupts raised (rising
 * edges) for the monitor's info irq.  A statistic: savestates leave it. */
static void isa_irq_set(void *opaque, int irq, bool level)
{
    struct pc *pc = opaque;
    uint16_t bit = (uint16_t)(1u << irq);
    if (level && !(pc->irq_levels & bit))
        pc->irq_count[irq]++;
    pc->irq_levels = level ? pc->irq_levels | bit : pc->irq_levels & (uint16_t)~bit;
    if (pc->has_apic)
        isa_fanout(pc, irq, level);
    else
        pic_set_irq(&pc->pic, irq, level);
}

static void lapic_intr(void *opaque, bool level)
{
    struct machine *m = opaque;
    cpu_set_intr(m->cpu, level);
}

static void lapic_nmi(void *opaque)
{
    struct machine *m = opaque;
    cpu_set_nmi(m->cpu);
}

static void apic_base_changed(void *opaque, uint32_t value)
{
    struct machine *m = opaque;
    lapic_set_base(&m->pc.lapic, value);
}

/* FERR# of the FPU (CR0.NE=0 error reporting) is IRQ13 on a PC. */
static void fpu_ferr(void *opaque, bool level)
{
    struct pc *pc = opaque;
    irq_set(&pc->isa_irq[13], level);
}

static void request_reset(void *opaque)
{
    struct machine *m = opaque;
    m->pc.reset_pending = true;
    cpu_request_stop(m->cpu);
}

static void request_reset_hard(void *opaque, bool hard)
{
    (void)hard;
    request_reset(opaque);
}

static void power_off(void *opaque)
{
    /* ACPI S5: the guest is done; the emulator ends with status 0. */
    machine_request_exit(opaque, 0);
}

static void exit_port(void *opaque, int status)
{
    machine_request_exit(opaque, status);
}

/* The PAM registers move the BIOS shadow.  Without firmware (a kernel
 * booted directly) the area stays plain RAM, as the firmware the boot
 * stands in for would have left it. */
static void pam_changed(void *opaque, unsigned region, bool read_ram, bool write_ram)
{
    struct machine *m = opaque;
    struct pc *pc = &m->pc;
    if (!pc->shadow)
        return;
    uint32_t base, size;
    i440fx_pam_region(region, &base, &size);
    bus_map_shadow(&m->bus, base, size, read_ram, write_ram,
                   &pc->isa_view[(base - PC_SHADOW_BASE) >> BUS_PAGE_SHIFT]);
}

void pc_shadow_enable(struct machine *m)
{
    struct pc *pc = &m->pc;
    if (m->bus.ram_size < 0x100000)
        return;
    /* Only ROM counts: the RAM below is what gets shadowed, and where no
     * ROM lies the PCI bus has nothing to answer with. */
    for (unsigned i = 0; i < PC_SHADOW_PAGES; i++) {
        const struct bus_page *p = bus_page(&m->bus, PC_SHADOW_BASE + (i << BUS_PAGE_SHIFT));
        pc->isa_view[i] = p->kind == BUS_ROM && p->host != m->bus.ram + PC_SHADOW_BASE + (i << BUS_PAGE_SHIFT)
                              ? *p
                              : (struct bus_page){ 0 };
        pc->isa_view[i].write_ram = 0;
    }
    pc->shadow = true;
    for (unsigned r = 0; r < I440FX_PAM_REGIONS; r++) {
        uint8_t st = pc->host.pam_state[r];
        pam_changed(m, r, st & 1, st & 2);
    }
}

int pc_init(struct machine *m, int64_t rtc_epoch)
{
    struct pc *pc = &m->pc;
    struct bus *bus = &m->bus;
    int rc;
    memset(pc, 0, sizeof(*pc));

    if ((rc = pic_init(&pc->pic, bus)) < 0)
        return rc;
    pc->has_apic = cpu_model(m->cpu) == CPU_P6;
    if (pc->has_apic) {
        /* INTR always passes through the local APIC: its LINT0 carries
         * the PIC (virtual wire) until the guest programs the APIC. */
        if ((rc = lapic_init(&pc->lapic, bus, &m->clock)) < 0 ||
            (rc = ioapic_init(&pc->ioapic, bus, 0xFEC00000u, 1)) < 0)
            return rc;
        lapic_set_intr_output(&pc->lapic, lapic_intr, m);
        lapic_set_nmi_output(&pc->lapic, lapic_nmi, m);
        lapic_set_extint_ack(&pc->lapic, pic_ack, &pc->pic);
        lapic_set_eoi_output(&pc->lapic, ioapic_eoi, &pc->ioapic);
        ioapic_set_output(&pc->ioapic, lapic_message, &pc->lapic);
        pic_set_output(&pc->pic, lapic_pic_intr, &pc->lapic);
        cpu_set_intr_ack(m->cpu, lapic_ack, &pc->lapic);
        cpu_set_apic_base_hook(m->cpu, apic_base_changed, m);
    } else {
        pic_set_output(&pc->pic, pic_intr, m);
        cpu_set_intr_ack(m->cpu, pic_ack, &pc->pic);
    }
    for (int i = 0; i < 16; i++)
        pc->isa_irq[i] = (struct irq_line){ isa_irq_set, pc, i };
    cpu_set_ferr(m->cpu, fpu_ferr, pc);

    if ((rc = pit_init(&pc->pit, bus, &m->clock, &pc->isa_irq[0])) < 0)
        return rc;
    if ((rc = rtc_init(&pc->rtc, bus, &m->clock, &pc->isa_irq[8], rtc_epoch)) < 0)
        return rc;
    struct rtc_pc_config rcfg;
    memset(&rcfg, 0, sizeof(rcfg));
    rcfg.ram_bytes = m->bus.ram_size;
    rcfg.has_fpu = cpu_has_fpu(m->cpu);
    rtc_fill_pc_bios_bytes(&pc->rtc, &rcfg);

    pc->com_irq[0].out = pc->isa_irq[3];
    pc->com_irq[1].out = pc->isa_irq[4];
    for (int i = 0; i < PC_SERIAL_PORTS; i++) {
        chardev_init_null(&pc->serial_cd[i]);
        pc->uart_irq[i] = (struct irq_line){ share_set, &pc->com_irq[uart_irq[i] - 3], i };
        if ((rc = uart_init(&pc->uart[i], bus, uart_base[i], &m->clock, &pc->uart_irq[i],
                            &pc->serial_cd[i])) < 0)
            return rc;
    }

    if ((rc = port92_init(&pc->port92, bus, request_reset, m)) < 0)
        return rc;
    struct i8042_config kcfg;
    memset(&kcfg, 0, sizeof(kcfg));
    kcfg.irq_kbd = pc->isa_irq[1];
    kcfg.irq_mouse = pc->isa_irq[12];
    kcfg.reset = request_reset;
    kcfg.reset_opaque = m;
    kcfg.a20 = port92_kbc_a20;
    kcfg.a20_opaque = &pc->port92;
    if ((rc = i8042_init(&pc->kbc, bus, &kcfg)) < 0)
        return rc;
    if ((rc = postcode_init(&pc->post, bus, NULL, NULL)) < 0)
        return rc;
    if ((rc = debugexit_init(&pc->dexit, bus, exit_port, m)) < 0)
        return rc;

    if ((rc = pci_init(&pc->pci, bus)) < 0)
        return rc;
    if ((rc = i440fx_init(&pc->host, &pc->pci, m->bus.ram_size, pam_changed, m)) < 0)
        return rc;
    if ((rc = piix_init(&pc->piix, &pc->pci, bus, &m->clock, pc->isa_irq, request_reset_hard, power_off,
                        m)) < 0)
        return rc;
    if ((rc = fw_cfg_init(&pc->fw_cfg, bus)) < 0)
        return rc;
    if ((rc = dma8237_init(&pc->dma, bus)) < 0 ||
        (rc = fdc_init(&pc->fdc, bus, &m->clock, &pc->dma, &pc->isa_irq[6])) < 0)
        return rc;
    const struct irq_line ide_irq[IDE_CHANNELS] = { pc->isa_irq[14], pc->isa_irq[15] };
    if ((rc = ide_init(&pc->ide, bus, &pc->pci, ide_irq)) < 0)
        return rc;
    if (!m->cfg.no_vga) {
        size_t len = m->cfg.vga_rom ? m->cfg.vga_rom_len : 0;
        if (len) {
            if (!(pc->vga_rom = malloc(len)))
                return -ENOMEM;
            memcpy(pc->vga_rom, m->cfg.vga_rom, len);
        }
        if ((rc = vga_init(&pc->vga, bus, &pc->pci, PC_VGA_DEVFN, &m->clock, pc->vga_rom, len)) < 0)
            return rc;
        pc->has_vga = true;
    }
    /* The levels the devices came up with (the PIT's OUT is high) are no
     * interrupts: info irq counts from here. */
    memset(pc->irq_count, 0, sizeof(pc->irq_count));
    return 0;
}

void pc_free(struct machine *m)
{
    fw_cfg_free(&m->pc.fw_cfg);
    if (m->pc.has_vga)
        vga_free(&m->pc.vga);
    free(m->pc.vga_rom);
    m->pc.vga_rom = NULL;
    m->pc.has_vga = false;
}

int pc_attach_ide_disk(struct machine *m, unsigned index, struct blockdev *bd)
{
    return ide_attach_disk(&m->pc.ide, index / 2, index % 2, bd);
}

int pc_attach_floppy(struct machine *m, unsigned drive, struct blockdev *bd)
{
    int rc = fdc_attach(&m->pc.fdc, drive, bd);
    if (rc < 0)
        return rc;
    uint8_t a = fdc_cmos_type(&m->pc.fdc, 0), b = fdc_cmos_type(&m->pc.fdc, 1);
    rtc_set_nvram(&m->pc.rtc, RTC_CMOS_FLOPPY, (uint8_t)(a << 4 | b));
    /* The equipment byte: bit 0 floppies present, bits 7-6 their count - 1. */
    uint8_t eq = 0;
    rtc_get_nvram(&m->pc.rtc, RTC_CMOS_EQUIPMENT, &eq);
    unsigned n = (a != 0) + (b != 0);
    eq = (uint8_t)((eq & 0x3E) | (n ? 0x01 | (n - 1) << 6 : 0));
    rtc_set_nvram(&m->pc.rtc, RTC_CMOS_EQUIPMENT, eq);
    return 0;
}

int pc_attach_ide_cdrom(struct machine *m, unsigned index, struct blockdev *bd)
{
    return ide_attach_cdrom(&m->pc.ide, index / 2, index % 2, bd);
}

/* The ACPI tables of this board: the same for firmware and direct boots. */
static void pc_acpi_config(struct machine *m, struct acpi_config *acfg)
{
    acpi_config_default(acfg);
    acfg->pm_base = PC_PM_BASE;
    acfg->sci_irq = PC_SCI_IRQ;
    /* Only the p6 board has APICs: describe none elsewhere. */
    acfg->no_apic = !m->pc.has_apic;
    /* The PCI hole starts above RAM, on a 256 MiB boundary as SeaBIOS
     * places BARs (at 2 GiB for small machines). */
    uint32_t top = (m->bus.ram_size + 0x0FFFFFFFu) & ~0x0FFFFFFFu;
    acfg->pci_mem_base = top > 0x80000000u ? top : 0x80000000u;
}

int pc_firmware_config(struct machine *m, const struct firmware_settings *s)
{
    struct acpi_config acfg;
    pc_acpi_config(m, &acfg);
    /* SeaBIOS moves the PM block to 0x600 when it finds a table loader,
     * where QEMU's tables put it. */
    acfg.pm_base = ACPI_PM_DEFAULT_BASE;
    /* The boot order as QEMU's PC keeps it for SeaBIOS: CMOS 3Dh holds the
     * first device (bits 3-0) and the second (7-4), 38h the third (7-4);
     * 1 floppy, 2 hard disk, 3 CD-ROM, 4 network. */
    unsigned code[3] = { 0, 0, 0 };
    for (unsigned i = 0; i < 3 && s->boot_order[i]; i++) {
        char c = s->boot_order[i];
        code[i] = c == 'a' || c == 'b' ? 1 : c == 'c' ? 2 : c == 'd' ? 3 : c == 'n' ? 4 : 0;
    }
    rtc_set_nvram(&m->pc.rtc, 0x3D, (uint8_t)(code[0] | code[1] << 4));
    uint8_t b38 = 0;
    rtc_get_nvram(&m->pc.rtc, 0x38, &b38);
    rtc_set_nvram(&m->pc.rtc, 0x38, (uint8_t)((b38 & 0x0F) | code[2] << 4));
    return firmware_config_build(&m->pc.fw_cfg, m->bus.ram_size, 1, s, &acfg);
}

uint32_t pc_firmware_tables(struct machine *m)
{
    struct pc *pc = &m->pc;
    /* The top 64 KiB of RAM hold the ACPI tables; the RSDP and the MP
     * floating pointer go in the BIOS area where kernels search for them. */
    uint32_t base = (m->bus.ram_size - 0x10000) & ~0xFFFu;
    piix_pm_enable(&pc->piix, PC_PM_BASE);
    /* Firmware turns on the IDE channels' decode (IDETIM bit 15); ata_piix
     * leaves a channel whose bit is clear alone. */
    pci_config_write(&pc->pci, 0, IDE_DEVFN, 0x40, 0x8000, 2);
    pci_config_write(&pc->pci, 0, IDE_DEVFN, 0x42, 0x8000, 2);
    /* And it sets up DMA2's channel 4 as the cascade from DMA1 (mode C0h,
     * unmasked): without it no 8-bit channel reaches memory (the floppy). */
    bus_out(&m->bus, 0xD6, 0xC0, 1);
    bus_out(&m->bus, 0xD4, 0x00, 1);
    struct acpi_config acfg;
    pc_acpi_config(m, &acfg);
    if (acpi_build_tables(&m->bus, 0xF0000, base, &acfg) < 0)
        return 0;
    if (!pc->has_apic)
        return base;
    struct mptable_config mcfg;
    mptable_config_default(&mcfg);
    struct cpu_state st;
    cpu_get_state(m->cpu, &st);
    mcfg.pci = true;
    mcfg.sci_irq = PC_SCI_IRQ;
    mcfg.lapic_version = 0x11; /* the P6 family's integrated APIC */
    mcfg.cpu_signature = 0x0619;
    if (mptable_build(&m->bus, 0xF0100, base + 0x8000, &mcfg) < 0)
        return 0;
    return base;
}

void pc_flush_serial(struct machine *m)
{
    for (int i = 0; i < PC_SERIAL_PORTS; i++)
        uart_flush_tx(&m->pc.uart[i]);
}

void pc_reset(struct machine *m)
{
    struct pc *pc = &m->pc;
    pc->reset_pending = false;
    pic_reset(&pc->pic);
    pit_reset(&pc->pit);
    rtc_reset(&pc->rtc);
    for (int i = 0; i < PC_SERIAL_PORTS; i++)
        uart_reset(&pc->uart[i]);
    i8042_reset(&pc->kbc);
    port92_reset(&pc->port92);
    i440fx_reset(&pc->host);
    piix_reset(&pc->piix);
    fw_cfg_reset(&pc->fw_cfg);
    ide_reset(&pc->ide);
    dma8237_reset(&pc->dma);
    fdc_reset(&pc->fdc);
    if (pc->has_vga)
        vga_reset(&pc->vga);
    cpu_set_intr(m->cpu, false);
    cpu_reset(m->cpu);
    if (pc->has_apic) {
        lapic_reset(&pc->lapic);
        ioapic_reset(&pc->ioapic);
    }
}
