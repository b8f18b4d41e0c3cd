/* The PC around the CPU: the chips a 440FX/PIIX board carries, wired to
 * the machine's bus, clock and CPU (see pc.c). */
#ifndef POPEK_MACHINE_PC_H
#define POPEK_MACHINE_PC_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/chardev.h"
#include "devices/debugexit.h"
#include "devices/dma8237.h"
#include "devices/fdc.h"
#include "devices/fw_cfg.h"
#include "devices/i440fx.h"
#include "devices/i8042.h"
#include "devices/ide.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "devices/pci.h"
#include "devices/pic.h"
#include "devices/piix.h"
#include "devices/pit.h"
#include "devices/port92.h"
#include "devices/postcode.h"
#include "devices/rtc.h"
#include "devices/uart.h"
#include "devices/vga.h"
#include "mem/bus.h"

#define PC_SERIAL_PORTS 4
#define PC_PM_BASE 0xB000  /* where the ACPI PM block is put for a directly booted kernel */
#define PC_SCI_IRQ 9

struct machine;

/* Several devices on one ISA IRQ (COM1/COM3 on 4, COM2/COM4 on 3): the
 * line is the OR of what each drives. */
struct irq_share {
    struct irq_line out;
    uint32_t levels; /* bit n: source n drives high */
};

#define PC_VGA_DEVFN PCI_DEVFN(2, 0)
#define PC_SHADOW_BASE 0xC0000u
#define PC_SHADOW_PAGES 64 /* C0000-FFFFF */

struct pc {
    struct pic pic;
    struct irq_share com_irq[2];          /* IRQ3 and IRQ4 */
    struct irq_line uart_irq[PC_SERIAL_PORTS];
    struct pit pit;
    struct rtc rtc;
    struct chardev serial_cd[PC_SERIAL_PORTS];
    struct uart uart[PC_SERIAL_PORTS];
    struct i8042 kbc;
    struct port92 port92;
    struct postcode post;
    struct debugexit dexit;
    struct pci_bus pci;
    struct i440fx host;
    struct piix piix;
    struct fw_cfg fw_cfg;
    struct ide ide;   /* PIIX IDE, 00:01.1 */
    struct dma8237 dma; /* the AT's two 8237A DMA controllers */
    struct fdc fdc;   /* the 82077AA floppy controller, IRQ 6, DMA 2 */
    bool has_vga;
    struct vga vga;   /* the std VGA at 00:02.0 */
    uint8_t *vga_rom; /* its option ROM, owned */
    /* The P6's local APIC and the board's I/O APIC (p6 model only). */
    bool has_apic;
    struct lapic lapic;
    struct ioapic ioapic;
    struct irq_line isa_irq[16]; /* what ISA devices drive: PIC (and I/O APIC) inputs */
    uint16_t irq_levels;         /* each ISA IRQ's level, as last driven */
    uint64_t irq_count[16];      /* interrupts raised on each (rising edges), since power-on */
    bool reset_pending;
    /* BIOS shadowing (PAM) is live once firmware is mapped; isa_view is
     * what C0000-FFFFF holds when a PAM region routes to ROM/PCI. */
    bool shadow;
    struct bus_page isa_view[PC_SHADOW_PAGES];
};

/* Builds the devices on m's bus and wires them.  The serial ports start on
 * null streams, which a frontend may reconnect (serial_cd[]). */
int pc_init(struct machine *m, int64_t rtc_epoch);
/* Writes the firmware tables a directly booted kernel needs (ACPI: RSDP,
 * RSDT, FADT, DSDT, MADT; the MP table) and enables the ACPI PM block as
 * firmware would.  Returns the base of the memory they use (reported to
 * the kernel as ACPI memory), or 0 on failure. */
uint32_t pc_firmware_tables(struct machine *m);
/* A hard reset of the board: what 0xCF9, the 8042 reset line, port 0x92
 * and (with firmware present) a triple fault lead to. */
void pc_reset(struct machine *m);
void pc_free(struct machine *m);
/* Attaches an opened disk image: an ATA disk on IDE channel index / 2,
 * unit index % 2 (hda..hdd = 0..3).  Returns 0 or -errno. */
struct blockdev;
int pc_attach_ide_disk(struct machine *m, unsigned index, struct blockdev *bd);
/* Puts a floppy image in drive 0 (A:) or 1 (B:), and tells the firmware
 * through CMOS 10h and 14h.  Returns 0 or -errno. */
int pc_attach_floppy(struct machine *m, unsigned drive, struct blockdev *bd);
/* The same for an ATAPI CD-ROM drive; bd NULL: no disc in it. */
int pc_attach_ide_cdrom(struct machine *m, unsigned index, struct blockdev *bd);
/* Firmware is mapped: from now on the i440FX's PAM registers steer
 * C0000-FFFFF between the ROM now there and shadow RAM (with less than
 * 1 MiB of RAM there is nothing to shadow).  Applies the current PAM
 * settings. */
void pc_shadow_enable(struct machine *m);
/* What firmware reads through fw_cfg (firmware_config.h): called once a
 * firmware image is mapped.  Returns 0 or -errno. */
struct firmware_settings;
int pc_firmware_config(struct machine *m, const struct firmware_settings *s);
/* Hands the host what the serial ports still hold to send. */
void pc_flush_serial(struct machine *m);

#endif
