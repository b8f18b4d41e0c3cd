/* PCI bus 0 behind configuration mechanism #1 (PCI Local Bus Specification
 * 2.1, section 3.7.4.1): CONFIG_ADDRESS is the dword port 0xCF8, CONFIG_DATA
 * the four ports 0xCFC-0xCFF.  Devices are registered by devfn; each owns a
 * 256-byte type 0 configuration header whose writable bits are given per
 * byte, plus optional hooks.  Base address registers are sized and tracked
 * here, and a device hears when one of its BARs moves or is switched on or
 * off through the command register.  No bridges: buses other than 0 read as
 * empty. */
#ifndef POPEK_DEVICES_PCI_H
#define POPEK_DEVICES_PCI_H

#include <stdbool.h>
#include <stdint.h>

struct bus;
struct sv_reader;
struct sv_writer;

#define PCI_CONFIG_ADDRESS 0xCF8
#define PCI_CONFIG_DATA 0xCFC

#define PCI_DEVFN(dev, fn) ((uint8_t)(((dev) << 3) | (fn)))
#define PCI_SLOT(devfn) ((devfn) >> 3)
#define PCI_FUNC(devfn) ((devfn) & 7)

/* Type 0 header offsets. */
#define PCI_VENDOR_ID 0x00
#define PCI_DEVICE_ID 0x02
#define PCI_COMMAND 0x04
#define PCI_STATUS 0x06
#define PCI_REVISION_ID 0x08
#define PCI_CLASS_PROG 0x09
#define PCI_CLASS_DEVICE 0x0A /* sub-class (0x0A) and base class (0x0B) */
#define PCI_CACHE_LINE_SIZE 0x0C
#define PCI_LATENCY_TIMER 0x0D
#define PCI_HEADER_TYPE 0x0E
#define PCI_BIST 0x0F
#define PCI_BAR0 0x10
#define PCI_SUBSYSTEM_VENDOR_ID 0x2C
#define PCI_SUBSYSTEM_ID 0x2E
#define PCI_ROM_ADDRESS 0x30
#define PCI_CAPABILITY_LIST 0x34
#define PCI_INTERRUPT_LINE 0x3C
#define PCI_INTERRUPT_PIN 0x3D

#define PCI_COMMAND_IO 0x0001
#define PCI_COMMAND_MEMORY 0x0002
#define PCI_COMMAND_MASTER 0x0004
#define PCI_COMMAND_SERR 0x0100
#define PCI_COMMAND_PARITY 0x0040

#define PCI_HEADER_MULTI_FUNCTION 0x80

#define PCI_NUM_BARS 6
#define PCI_BAR_IO 0x01         /* bit 0 of an I/O BAR */
#define PCI_BAR_MEM32 0x00      /* a 32-bit memory BAR anywhere in 4 GiB */
#define PCI_BAR_PREFETCH 0x08   /* with PCI_BAR_MEM32 */
#define PCI_BAR_UNMAPPED 0xFFFFFFFFu /* what bar_moved reports for "decodes nothing" */

struct pci_bus;
struct pci_device;

struct pci_device {
    uint8_t config[256]; /* the header as the guest reads it */
    uint8_t wmask[256];  /* bits a configuration write may change */
    uint8_t w1cmask[256]; /* bits a configuration write of 1 clears (status) */

    uint32_t bar_size[PCI_NUM_BARS];   /* 0: BAR not implemented */
    uint32_t bar_mapped[PCI_NUM_BARS]; /* where it decodes now, or PCI_BAR_UNMAPPED */

    /* Optional.  config_read may override what a read returns (off and size
     * never cross a dword; off + size <= 256).  config_write is called after
     * the masked write has been applied to config[]. */
    uint32_t (*config_read)(struct pci_device *d, unsigned off, unsigned size);
    void (*config_write)(struct pci_device *d, unsigned off, uint32_t val, unsigned size);
    /* Called when BAR bar starts decoding at a new address, or stops
     * (addr == PCI_BAR_UNMAPPED): the address changed, or the command
     * register's I/O or memory enable did. */
    void (*bar_moved)(struct pci_device *d, unsigned bar, uint32_t old_addr, uint32_t new_addr);
    void *opaque; /* the device model's state */

    struct pci_bus *pb;
    uint8_t devfn;
};

/* What bus 0's devices raise: the chipset turns INTA#-INTD# of each slot
 * into one of four PIRQ lines (set_pirq, installed by the PCI-to-ISA
 * bridge). */
struct pci_bus {
    struct bus *bus;
    struct pci_device *devs[256]; /* by devfn */
    uint32_t config_address;      /* 0xCF8 as last written (reserved bits 0) */
    void (*set_pirq)(void *opaque, unsigned pirq, bool level);
    void *pirq_opaque;
    bool irq_state[256];     /* by devfn: the device's INTx# is asserted */
    unsigned pirq_count[4];  /* asserted pins routed to each PIRQ */
};

/* Claims 0xCF8 (dword accesses only) and 0xCFC-0xCFF.  Returns 0 or -errno. */
int pci_init(struct pci_bus *pb, struct bus *bus);

/* Clears a device and fills the fixed part of its header: vendor, device,
 * class (base << 16 | sub << 8 | prog-if), revision and header type; the
 * command register starts 0 and nothing is writable until the caller says
 * so (pci_set_wmask, pci_bar_init). */
void pci_device_init(struct pci_device *d, uint16_t vendor, uint16_t device, uint32_t class_code,
                     uint8_t revision, uint8_t header_type);
/* Declares BAR n (0-5): size is a power of two (I/O: 4..256 bytes as PCI
 * allows; memory: at least 16 bytes); flags PCI_BAR_IO or PCI_BAR_MEM32 [|
 * PCI_BAR_PREFETCH].  Also makes the matching command enable bit writable. */
void pci_bar_init(struct pci_device *d, unsigned n, uint32_t size, uint8_t flags);
/* Makes bytes [off, off+len) writable under mask (one mask byte each). */
void pci_set_wmask(struct pci_device *d, unsigned off, unsigned len, uint8_t mask);
/* Little-endian helpers on config[]; they do not notify anyone. */
void pci_set_byte(struct pci_device *d, unsigned off, uint8_t v);
void pci_set_word(struct pci_device *d, unsigned off, uint16_t v);
void pci_set_long(struct pci_device *d, unsigned off, uint32_t v);
uint8_t pci_get_byte(const struct pci_device *d, unsigned off);
uint16_t pci_get_word(const struct pci_device *d, unsigned off);
uint32_t pci_get_long(const struct pci_device *d, unsigned off);

/* Puts a device at devfn on bus 0.  Returns 0, or -EBUSY if the slot is
 * taken. */
int pci_register(struct pci_bus *pb, struct pci_device *d, uint8_t devfn);

/* Configuration cycles as the host bridge runs them (also for firmware
 * set-up done by the machine).  size is 1, 2 or 4 and off + size must stay
 * in the dword; anything else, and a missing device, reads as all ones and
 * is ignored on write. */
uint32_t pci_config_read(struct pci_bus *pb, uint8_t bus, uint8_t devfn, unsigned off,
                         unsigned size);
void pci_config_write(struct pci_bus *pb, uint8_t bus, uint8_t devfn, unsigned off, uint32_t val,
                      unsigned size);

/* A device drives its INTx# pin (the one in its Interrupt Pin register).
 * The bus swizzles it to PIRQ (pin - 1 + slot) mod 4; a PIRQ is the wired-OR
 * of every pin routed to it. */
void pci_set_irq(struct pci_device *d, bool level);

/* Savestate (mem/sv.h): CONFIG_ADDRESS, then for every function on the
 * bus, by devfn, its 256 configuration bytes and whether its INTx# is
 * asserted.  The functions a load finds must be the ones on this bus, with
 * the same identity (vendor, device, class, revision, header type,
 * interrupt pin) and the same read-only BAR and command bits: state saved
 * on another board is refused.  wmask, BAR sizes and the hooks are
 * configuration and are not saved; the PIRQ counts are recomputed.
 * pci_load writes only config[] of the functions and the bus's latches:
 * what a device derives from its registers is that device's to re-apply.
 * pci_post_load, after every load, moves each BAR whose decode differs
 * from what its registers now say, through the device's bar_moved (all
 * moving BARs are taken off the bus first, then placed).  Call it before
 * piix_post_load, whose PM block will not map over a port still held. */
#define PCI_SV_VERSION 1
void pci_save(const struct pci_bus *pb, struct sv_writer *w);
void pci_load(struct pci_bus *pb, struct sv_reader *r, unsigned version);
/* A function's own copy of its header in its device's section (the IDE's,
 * the VGA's): it may differ from this machine's only where a guest can
 * write (or clear) it; the rest is what the machine is. */
void pci_config_load(struct pci_device *d, struct sv_reader *r);
void pci_post_load(struct pci_bus *pb);

#endif
