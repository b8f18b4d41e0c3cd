/* QEMU's firmware configuration device, fw_cfg (QEMU's docs/specs/fw_cfg),
 * in its x86 I/O port form: a 16-bit selector at 0x510, a byte-wide data
 * port at 0x511 and the DMA address register at 0x514-0x51B.  Firmware
 * (SeaBIOS as Debian builds it for QEMU) reads its configuration here: the
 * RAM size, CPU count, boot order, the e820 map and the ACPI tables as
 * named files.  Items are byte strings the machine adds before the guest
 * runs; the device copies them and never looks inside.
 *
 * The DMA interface reads a 16-byte big-endian descriptor (control,
 * length, address) from guest RAM at the address written to 0x514/0x518
 * and moves data between the selected item and guest RAM.  A descriptor or
 * a buffer that is not wholly in RAM, or that wraps the 4 GiB space, is
 * not touched: the transfer stops with the error bit set, as QEMU reports
 * a failed DMA. */
#ifndef POPEK_DEVICES_FW_CFG_H
#define POPEK_DEVICES_FW_CFG_H

#include <stdbool.h>
#include <stdint.h>

struct bus;
struct sv_reader;
struct sv_writer;

#define FW_CFG_PORT_SEL 0x510
#define FW_CFG_PORT_DATA 0x511
#define FW_CFG_PORT_DMA 0x514

/* Selector keys (fixed items). */
#define FW_CFG_SIGNATURE 0x0000
#define FW_CFG_ID 0x0001
#define FW_CFG_UUID 0x0002
#define FW_CFG_RAM_SIZE 0x0003
#define FW_CFG_NOGRAPHIC 0x0004
#define FW_CFG_NB_CPUS 0x0005
#define FW_CFG_BOOT_MENU 0x000E
#define FW_CFG_MAX_CPUS 0x000F
#define FW_CFG_FILE_DIR 0x0019
#define FW_CFG_FILE_FIRST 0x0020
#define FW_CFG_WRITE_CHANNEL 0x4000 /* selector bit: the item is to be written */
#define FW_CFG_ARCH_LOCAL 0x8000    /* selector bit: x86-specific items */

#define FW_CFG_ID_TRADITIONAL 0x01
#define FW_CFG_ID_DMA 0x02

/* DMA control bits (descriptor word 0, big-endian). */
#define FW_CFG_DMA_ERROR 0x01
#define FW_CFG_DMA_READ 0x02
#define FW_CFG_DMA_SKIP 0x04
#define FW_CFG_DMA_SELECT 0x08
#define FW_CFG_DMA_WRITE 0x10

/* "QEMU CFG", what a 64-bit read of the DMA register returns. */
#define FW_CFG_DMA_SIGNATURE 0x51454D5520434647ull

#define FW_CFG_MAX_FILES 32
#define FW_CFG_NAME_LEN 56
#define FW_CFG_MAX_ITEM (16u << 20) /* what the machine may add, per item */

struct fw_cfg_item {
    uint8_t *data; /* owned copy, NULL for an absent item */
    uint32_t len;
    bool writable; /* the guest may write it (through DMA) */
};

struct fw_cfg {
    struct bus *bus;
    struct fw_cfg_item fixed[FW_CFG_FILE_FIRST];         /* keys 0x00-0x1F */
    struct fw_cfg_item files[FW_CFG_MAX_FILES];          /* keys 0x20... */
    char names[FW_CFG_MAX_FILES][FW_CFG_NAME_LEN];
    unsigned nfiles;
    uint8_t dir[4 + FW_CFG_MAX_FILES * 64];              /* FW_CFG_FILE_DIR, rebuilt on each add */
    uint16_t selector;
    uint32_t offset; /* into the selected item */
    uint32_t dma_high; /* DMA address bits 63:32, as last written */
    uint64_t dma_ops;  /* DMA descriptors processed (for tests and stats) */
};

/* Claims the ports and adds the signature, the ID (DMA supported) and an
 * empty file directory.  Returns 0 or -errno. */
int fw_cfg_init(struct fw_cfg *f, struct bus *bus);
void fw_cfg_free(struct fw_cfg *f);
/* Back to selector 0, offset 0 (a system reset); items stay. */
void fw_cfg_reset(struct fw_cfg *f);

/* Sets fixed item key (< 0x20, not the directory) to a copy of data.
 * Returns 0, -EINVAL or -ENOMEM. */
int fw_cfg_add(struct fw_cfg *f, uint16_t key, const void *data, uint32_t len);
int fw_cfg_add_u16(struct fw_cfg *f, uint16_t key, uint16_t v);
int fw_cfg_add_u32(struct fw_cfg *f, uint16_t key, uint32_t v);
int fw_cfg_add_u64(struct fw_cfg *f, uint16_t key, uint64_t v);
/* Adds (or replaces) a named file; the directory is kept sorted by name,
 * so the keys of files may change as files are added.  Returns 0,
 * -EINVAL (name empty or too long, item too big), -ENOSPC or -ENOMEM. */
int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, uint32_t len, bool writable);
/* The item a file now has, or NULL. */
const struct fw_cfg_item *fw_cfg_find_file(const struct fw_cfg *f, const char *name);

/* Savestate (mem/sv.h): the guest's cursor only: the selector, the offset
 * into the selected item and the DMA address's high half.  The items are
 * configuration the machine adds at start-up and are not saved (nor are
 * guest writes into a writable item); the loaded offset must lie within
 * the selected item as this machine holds it.  dma_ops is a statistic and
 * is not saved. */
#define FW_CFG_SV_VERSION 1
void fw_cfg_save(const struct fw_cfg *f, struct sv_writer *w);
void fw_cfg_load(struct fw_cfg *f, struct sv_reader *r, unsigned version);

#endif
