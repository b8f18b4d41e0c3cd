/* The Intel 82441FX PCI and Memory Controller (PMC) of the 440FX chipset as
 * host bridge 00:00.0 (Intel 440FX PCIset datasheet, 82441FX section 3.2):
 * its configuration header, the Programmable Attribute Map registers
 * (PAM0-PAM6, 0x59-0x5F) that steer the BIOS areas C0000-FFFFF to ROM/PCI
 * or to shadow RAM, the SMRAM control register (0x72) and the DRAM row
 * boundary registers (0x60-0x67).  The memory map itself belongs to the
 * machine: a PAM change is reported through pam_changed and the machine
 * maps RAM or ROM accordingly. */
#ifndef POPEK_DEVICES_I440FX_H
#define POPEK_DEVICES_I440FX_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/pci.h"

struct sv_reader;
struct sv_writer;

#define I440FX_VENDOR 0x8086
#define I440FX_DEVICE 0x1237
#define I440FX_DEVFN PCI_DEVFN(0, 0)

#define I440FX_PAM0 0x59
#define I440FX_DRB0 0x60
#define I440FX_SMRAM 0x72

/* SMRAM register bits. */
#define I440FX_SMRAM_D_OPEN 0x40
#define I440FX_SMRAM_D_CLS 0x20
#define I440FX_SMRAM_D_LCK 0x10
#define I440FX_SMRAM_G_SMRAME 0x08
#define I440FX_SMRAM_C_BASE_SEG 0x02 /* hardwired: SMRAM at A0000-BFFFF */

/* Region 0 is F0000-FFFFF (PAM0 bits 5:4); regions 1-12 are the 16 KiB
 * segments C0000, C4000, ... EC000 (PAM1 low nibble ... PAM6 high nibble). */
#define I440FX_PAM_REGIONS 13

/* read_ram: reads of the region go to DRAM (else to ROM/PCI);
 * write_ram: writes go to DRAM (else to ROM/PCI, i.e. are dropped). */
typedef void i440fx_pam_fn(void *opaque, unsigned region, bool read_ram, bool write_ram);

struct i440fx {
    struct pci_device dev;
    i440fx_pam_fn *pam_changed;
    void *opaque;
    uint8_t pam_state[I440FX_PAM_REGIONS]; /* as last reported: bit 0 RE, bit 1 WE */
    uint32_t ram_size;
};

/* Registers 00:00.0 on pb and reports every region's power-on state (all
 * to ROM/PCI) through pam_changed (may be NULL).  ram_size fills the DRB
 * registers.  Returns 0 or -errno. */
int i440fx_init(struct i440fx *h, struct pci_bus *pb, uint32_t ram_size,
                i440fx_pam_fn *pam_changed, void *opaque);
/* Back to power-on values (a hard reset); reports every region again. */
void i440fx_reset(struct i440fx *h);
/* The physical range of a PAM region. */
void i440fx_pam_region(unsigned region, uint32_t *base, uint32_t *size);

/* Savestate (mem/sv.h).  Every register of the bridge is configuration
 * space, which pci_save holds, so its own section is empty (the version
 * leaves room to grow).  i440fx_post_load, after every load (pci_load's
 * above all), re-derives what follows from those registers: the SMRAM
 * register's write mask (D_LCK freezes it) and each PAM region, reported
 * through pam_changed so the machine maps RAM or ROM there. */
#define I440FX_SV_VERSION 1
void i440fx_save(const struct i440fx *h, struct sv_writer *w);
void i440fx_load(struct i440fx *h, struct sv_reader *r, unsigned version);
void i440fx_post_load(struct i440fx *h);

#endif
