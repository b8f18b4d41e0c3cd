/* IDE: two ATA channels (command block 0x1F0/0x170, control 0x3F6/0x376,
 * IRQ 14/15) with up to two devices each, and the PIIX's bus-master DMA
 * (PCI function 00:01.1, 8086:7010, BAR4), as on QEMU's i440FX board.
 *
 * ATA disks (ATA/ATAPI-6): IDENTIFY DEVICE, PIO reads and writes single and
 * multiple, DMA reads and writes through PRD tables, LBA28, LBA48 and CHS,
 * READ VERIFY, SEEK, FLUSH CACHE, SET FEATURES, SET MULTIPLE MODE,
 * INITIALIZE DEVICE PARAMETERS, READ NATIVE MAX ADDRESS, CHECK POWER MODE,
 * EXECUTE DEVICE DIAGNOSTIC, software reset through the device control
 * register.  Commands complete at once (BSY is never seen set); the
 * interrupt follows the protocol's points (each PIO data block, command
 * completion).  A disk is a struct blockdev (disks/blockdev.h); its I/O
 * errors reach the guest as UNC/ABRT errors, never as a crash. */
#ifndef POPEK_DEVICES_IDE_H
#define POPEK_DEVICES_IDE_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/atapi.h"
#include "devices/irq.h"
#include "devices/pci.h"

struct bus;
struct blockdev;
struct sv_writer;
struct sv_reader;

#define IDE_CHANNELS 2
#define IDE_SECTOR 512
#define IDE_MAX_MULTIPLE 16
/* The PIO buffer holds one DRQ block: up to IDE_MAX_MULTIPLE sectors. */
#define IDE_BUF_SIZE (IDE_SECTOR * IDE_MAX_MULTIPLE)

#define IDE_PCI_DEVICE 0x7010 /* PIIX3 IDE */
#define IDE_DEVFN PCI_DEVFN(1, 1)

/* Status register. */
#define ATA_SR_BSY 0x80
#define ATA_SR_DRDY 0x40
#define ATA_SR_DF 0x20
#define ATA_SR_DSC 0x10
#define ATA_SR_DRQ 0x08
#define ATA_SR_ERR 0x01
/* Error register. */
#define ATA_ER_UNC 0x40
#define ATA_ER_IDNF 0x10
#define ATA_ER_ABRT 0x04
/* Device control register. */
#define ATA_DC_NIEN 0x02
#define ATA_DC_SRST 0x04
#define ATA_DC_HOB 0x80

enum ide_xfer {
    IDE_XFER_NONE,
    IDE_XFER_PIO_IN,
    IDE_XFER_PIO_OUT,
    IDE_XFER_DMA_IN,
    IDE_XFER_DMA_OUT,
    IDE_XFER_PACKET,    /* ATAPI: the host writes the 12-byte packet */
    IDE_XFER_ATAPI_IN,  /* ATAPI: PIO data to the host */
    IDE_XFER_ATAPI_DMA, /* ATAPI: data to the host by bus-master DMA */
};

struct ide_device {
    bool present;
    bool atapi;          /* a CD-ROM drive (bd NULL: no disc) */
    struct atapi_state cd;
    struct blockdev *bd; /* the disk, or the CD's disc */
    uint64_t sectors;
    uint16_t cyls, heads, spt;         /* default translation (IDENTIFY words 1, 3, 6) */
    uint16_t cur_heads, cur_spt;       /* INITIALIZE DEVICE PARAMETERS */
    uint8_t multiple;                  /* SET MULTIPLE: sectors per DRQ block, 0 = disabled */
    bool write_cache;
    uint8_t xfer_mode;                 /* SET FEATURES 03h value */
    char model[41], serial[21];
};

struct ide_channel {
    struct ide_device dev[2];
    uint16_t base, ctl_base;
    struct irq_line irq;
    /* The task file, shared by both devices; "hob" the previous value of
     * each (LBA48: the registers are two deep). */
    uint8_t feature, nsect, lbal, lbam, lbah, hob_feature, hob_nsect, hob_lbal, hob_lbam, hob_lbah;
    uint8_t select; /* device/head */
    uint8_t status, error, dctl;
    bool irq_pending;
    /* The command in progress. */
    uint8_t cmd;
    enum ide_xfer xfer;
    uint64_t lba;       /* next sector */
    uint32_t remaining; /* sectors still to transfer */
    uint32_t block;     /* sectors in the current DRQ block */
    uint8_t buf[IDE_BUF_SIZE + 4];
    uint32_t buf_pos, buf_len;
    /* ATAPI: the packet, and the data phase's source (a reply, or blocks
     * of the disc read through sect[]). */
    uint8_t packet[12];
    struct atapi_request req;
    bool ap_dma, ap_from_disc;
    uint16_t ap_limit;    /* the host's byte count limit per DRQ block */
    uint64_t ap_left;     /* bytes still to deliver */
    uint32_t ap_pos;      /* into req.reply */
    uint32_t ap_lba, ap_sect_pos; /* next block to read; position in sect (ATAPI_BLOCK: empty) */
    uint32_t ap_block_len; /* bytes in the current PIO DRQ block */
    uint8_t sect[ATAPI_BLOCK];
    /* Bus-master DMA (BAR4 + 8 * channel). */
    uint8_t bm_cmd, bm_status;
    uint32_t bm_prd;
};

struct ide {
    struct bus *bus;
    struct pci_device pci;
    struct ide_channel ch[IDE_CHANNELS];
    uint32_t bm_base; /* where BAR4 decodes, or PCI_BAR_UNMAPPED */
    uint64_t sectors_read, sectors_written;
};

/* Claims the legacy ports and registers function 1 on pb (may be NULL: an
 * ISA-style controller without DMA).  irq[0], irq[1]: IRQ 14 and 15.
 * Returns 0 or -errno. */
int ide_init(struct ide *ide, struct bus *bus, struct pci_bus *pb, const struct irq_line irq[IDE_CHANNELS]);
/* A hard reset: every device to its power-on state and signature. */
void ide_reset(struct ide *ide);
/* Attaches an ATA disk as channel ch, device unit (0 master, 1 slave).
 * Returns 0 or -EINVAL. */
int ide_attach_disk(struct ide *ide, unsigned ch, unsigned unit, struct blockdev *bd);
/* Attaches an ATAPI CD-ROM drive; bd is its disc (NULL: empty). */
int ide_attach_cdrom(struct ide *ide, unsigned ch, unsigned unit, struct blockdev *bd);

/* Savestate (devices/ide_sv.c, streams in mem/sv.h): the task files, the
 * devices' settings, a command in flight with its buffer, the ATAPI data
 * phase and sense, the bus-master registers, the PCI header.  Not the
 * disks' contents: each drive's medium size is saved instead, and a load
 * over other media fails naming the drive ("hda: saved with a 20 MiB
 * disk ...").  ide_load reads into the live struct and touches nothing
 * else; ide_post_load, after every device is loaded, moves the bus-master
 * ports to where the loaded BAR4 says. */
#define IDE_SV_VERSION 1
void ide_save(const struct ide *ide, struct sv_writer *w);
void ide_load(struct ide *ide, struct sv_reader *r, unsigned version);
void ide_post_load(struct ide *ide);

#endif
