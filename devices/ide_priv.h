/* What the IDE controller's files share: devices/ide.c (the channel
 * registers, the bus-master registers and the PCI function), devices/ata.c
 * (the ATA disk command set) and devices/ide_atapi.c (the PACKET protocol
 * of a CD-ROM drive).  The public interface is devices/ide.h. */
#ifndef POPEK_DEVICES_IDE_PRIV_H
#define POPEK_DEVICES_IDE_PRIV_H

#include "devices/ide.h"

/* Bus-master command and status registers (BAR4 + 8 * channel). */
#define IDE_BM_CMD_START 0x01
#define IDE_BM_CMD_TO_MEMORY 0x08 /* "read": device to memory */
#define IDE_BM_ST_ACTIVE 0x01
#define IDE_BM_ST_ERROR 0x02
#define IDE_BM_ST_IRQ 0x04
#define IDE_BM_MAX_PRDS 8192 /* a 64 KiB table: the controller never reads further */

/* The device the device/head register selects. */
static inline struct ide_device *ide_cur(struct ide_channel *ch)
{
    return &ch->dev[(ch->select >> 4) & 1];
}

/* ide.c: the channel, for the command sets. */
void ide_raise_irq(struct ide_channel *ch);
/* The task file and status of the selected device after a reset. */
void ide_signature(struct ide_channel *ch);
/* The end of a command without a data phase left: DRDY, and the
 * interrupt; ide_fail with ERR and the error register. */
void ide_finish(struct ide_channel *ch);
void ide_fail(struct ide_channel *ch, uint8_t error);

/* ata.c: an ATA disk. */
/* Runs command cmd (already in ch->cmd) on the selected disk. */
void ata_command(struct ide *ide, struct ide_channel *ch, uint8_t cmd);
/* The host has read (written) the whole DRQ block of a PIO command. */
void ata_pio_in_done(struct ide *ide, struct ide_channel *ch);
void ata_pio_out_done(struct ide *ide, struct ide_channel *ch);
/* Moves a DMA command's sectors; when both it and the start bit are there. */
void ata_dma_run(struct ide *ide, struct ide_channel *ch);
/* An IDENTIFY string: words words from word on, two characters each. */
void ata_put_string(uint16_t *id, unsigned word, unsigned words, const char *s);

/* ide_atapi.c: a packet device. */
/* What a packet device does with ATA command cmd (already in ch->cmd). */
void ide_atapi_command(struct ide *ide, struct ide_channel *ch, uint8_t cmd);
/* The host has written the 12-byte packet into ch->buf. */
void ide_atapi_packet(struct ide *ide, struct ide_channel *ch);
/* The host has read the whole PIO DRQ block of the data phase. */
void ide_atapi_pio_done(struct ide *ide, struct ide_channel *ch);
/* The data phase by DMA; when both it and the start bit are there. */
void ide_atapi_dma_run(struct ide *ide, struct ide_channel *ch);

#endif
