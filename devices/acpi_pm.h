/* The ACPI fixed hardware of a PIIX4-style power-management function
 * (Intel 82371AB PIIX4 datasheet, section 7 "Power management registers";
 * ACPI 1.0b section 4.7): the PM1a event block (PM1_STS, PM1_EN), the PM1a
 * control block (PM1_CNT: SCI_EN, SLP_TYP, SLP_EN), the 3.579545 MHz power
 * management timer, and a GPE0 block, all in the 64-byte I/O block that the
 * PIIX4 places at PMBA.  Events raise the SCI, a level on ISA IRQ 9.
 * Writing SLP_EN with SLP_TYP = soft off powers the machine off through a
 * callback. */
#ifndef POPEK_DEVICES_ACPI_PM_H
#define POPEK_DEVICES_ACPI_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/clock.h"
#include "devices/irq.h"

struct bus;
struct sv_reader;
struct sv_writer;

#define ACPI_PM_LEN 64           /* bytes of I/O the block decodes */
#define ACPI_PM_DEFAULT_BASE 0x600
#define ACPI_PM_SCI_IRQ 9
#define ACPI_PM_TIMER_HZ 3579545u

/* Offsets in the block (PIIX4 layout). */
#define ACPI_PM1_STS 0x00  /* 16 bits: PM1a_EVT_BLK */
#define ACPI_PM1_EN 0x02   /* 16 bits */
#define ACPI_PM1_CNT 0x04  /* 16 bits: PM1a_CNT_BLK */
#define ACPI_PM_TMR 0x08   /* 32 bits: PM_TMR_BLK */
#define ACPI_GPE0_STS 0x0C /* 16 bits: GPE0_BLK (length 4) */
#define ACPI_GPE0_EN 0x0E  /* 16 bits */

/* PM1_STS / PM1_EN bits (same positions in both). */
#define ACPI_PM1_TMR 0x0001
#define ACPI_PM1_BM_STS 0x0010
#define ACPI_PM1_GBL 0x0020
#define ACPI_PM1_PWRBTN 0x0100
#define ACPI_PM1_RTC 0x0400
#define ACPI_PM1_WAK_STS 0x8000
#define ACPI_PM1_STS_MASK 0x8531 /* the status bits that exist */
#define ACPI_PM1_EN_MASK 0x0521  /* the enables that exist */

/* PM1_CNT bits. */
#define ACPI_PM1_CNT_SCI_EN 0x0001
#define ACPI_PM1_CNT_BM_RLD 0x0002
#define ACPI_PM1_CNT_GBL_RLS 0x0004 /* write-only */
#define ACPI_PM1_CNT_SLP_TYP_SHIFT 10
#define ACPI_PM1_CNT_SLP_TYP 0x1C00
#define ACPI_PM1_CNT_SLP_EN 0x2000 /* write-only */

/* SLP_TYP encodings (PIIX4 SUS_TYP).  The DSDT's \_S5 carries
 * ACPI_PM_SLP_TYP_S5; no other sleep state is declared. */
#define ACPI_PM_SLP_TYP_S5 0 /* soft off */

struct acpi_pm {
    struct bus *bus;
    struct vclock *clk;
    struct vtimer tmr; /* fires when the timer's top bit flips */
    struct irq_line sci;
    void (*power_off)(void *opaque);
    void *opaque;

    bool timer_32bit; /* FADT TMR_VAL_EXT; false: a 24-bit counter */
    bool acpi_mode;   /* SCI_EN after reset (no SMI_CMD handshake needed) */

    uint16_t base;    /* where the block is decoded, if mapped */
    bool mapped;
    uint16_t sts, en, cnt;
    uint16_t gpe_sts, gpe_en;
    bool sci_level;
};

/* sci may be NULL (not wired).  power_off(opaque) is called when the guest
 * enters S5.  acpi_mode: SCI_EN is set at reset, as firmware that has
 * already switched to ACPI mode leaves it (the FADT then declares
 * SMI_CMD = 0).  The block starts unmapped: see acpi_pm_map.  Returns 0 or
 * -errno. */
int acpi_pm_init(struct acpi_pm *pm, struct bus *bus, struct vclock *clk,
                 const struct irq_line *sci, void (*power_off)(void *opaque), void *opaque,
                 bool acpi_mode, bool timer_32bit);
/* Registers to their reset values (the timer keeps counting). */
void acpi_pm_reset(struct acpi_pm *pm);
/* Decodes the block at base (64-byte aligned) when enable, else nowhere;
 * the ports it leaves read as unclaimed again. */
void acpi_pm_map(struct acpi_pm *pm, uint16_t base, bool enable);
/* The PM timer's value now (24 or 32 bits). */
uint32_t acpi_pm_timer(const struct acpi_pm *pm);
/* Host-side events: the fixed power button was pressed; GPE0 bit n (0-15)
 * fired. */
void acpi_pm_power_button(struct acpi_pm *pm);
void acpi_pm_set_gpe(struct acpi_pm *pm, unsigned n);

/* Savestate (mem/sv.h): PM1 status, enable and control, the GPE0
 * registers, the SCI level last driven and the timer's deadline.  Where
 * the block is decoded (base, mapped) is not saved: it is the bus's
 * state, set by the block's owner from its own registers (the PIIX's PMBA
 * and PMREGMISC, re-applied by piix_post_load). */
#define ACPI_PM_SV_VERSION 1
void acpi_pm_save(const struct acpi_pm *pm, struct sv_writer *w);
void acpi_pm_load(struct acpi_pm *pm, struct sv_reader *r, unsigned version);

#endif
