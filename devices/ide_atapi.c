/* The ATA PACKET protocol (SFF-8020i, ATA/ATAPI-6 section 6) that carries
 * an ATAPI CD-ROM's commands over an IDE channel (see ide.h): the ATA
 * commands a packet device answers, the 12-byte packet, and the data
 * phase to the host by PIO DRQ blocks within the host's byte count limit
 * or by bus-master DMA through a PRD table.  What a packet means is
 * devices/atapi.c; the channel registers are devices/ide.c. */
#include "devices/ide_priv.h"

#include <errno.h>
#include <string.h>

#include "disks/blockdev.h"
#include "mem/bus.h"

/* Walks a PRD table: moves n bytes between buf and the buffers it names.
 * Returns false if the table ended first (what moved stays moved). */
struct prd_cursor {
    uint32_t prd, addr, left;
    bool eot;
    unsigned entries;
};

static bool prd_move(struct ide *ide, struct prd_cursor *c, uint8_t *buf, uint32_t n, bool to_mem)
{
    while (n) {
        if (c->left == 0) {
            if (c->eot || c->entries == IDE_BM_MAX_PRDS)
                return false;
            uint32_t e0 = bus_read(ide->bus, c->prd, 4), e1 = bus_read(ide->bus, c->prd + 4, 4);
            c->prd = (c->prd & 0xFFFF0000u) | ((c->prd + 8) & 0xFFFFu);
            c->entries++;
            c->addr = e0 & ~1u;
            c->left = (e1 & 0xFFFF ? e1 & 0xFFFF : 0x10000) & ~1u;
            c->eot = e1 & 0x80000000u;
            continue;
        }
        uint32_t k = n < c->left ? n : c->left;
        if (to_mem)
            bus_write_block(ide->bus, c->addr, buf, k);
        else
            bus_read_block(ide->bus, c->addr, buf, k);
        c->addr += k;
        c->left -= k;
        buf += k;
        n -= k;
    }
    return true;
}

static void atapi_complete(struct ide_channel *ch)
{
    ch->nsect = 0x03; /* interrupt reason: I/O and C/D, the status phase */
    ch->status = ATA_SR_DRDY | ATA_SR_DSC;
    ch->xfer = IDE_XFER_NONE;
    ide_raise_irq(ch);
}

static void atapi_fail(struct ide_channel *ch)
{
    struct ide_device *d = ide_cur(ch);
    /* The error register carries the sense key in bits 7-4; ABRT for a
     * command the drive refuses. */
    ch->error = (uint8_t)(d->cd.sense_key << 4 | (d->cd.sense_key == SENSE_ILLEGAL_REQUEST ? ATA_ER_ABRT : 0));
    ch->nsect = 0x03;
    ch->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_ERR;
    ch->xfer = IDE_XFER_NONE;
    ide_raise_irq(ch);
}

/* Copies the next n bytes of the data phase to dst. */
static int atapi_fill(struct ide *ide, struct ide_channel *ch, uint8_t *dst, uint32_t n)
{
    struct ide_device *d = ide_cur(ch);
    if (!ch->ap_from_disc) {
        memcpy(dst, ch->req.reply + ch->ap_pos, n);
        ch->ap_pos += n;
        return 0;
    }
    while (n) {
        if (ch->ap_sect_pos == ATAPI_BLOCK) {
            if (!d->bd || blockdev_read(d->bd, (uint64_t)ch->ap_lba * ATAPI_BLOCK, ch->sect, ATAPI_BLOCK) < 0)
                return -EIO;
            ch->ap_lba++;
            ch->ap_sect_pos = 0;
            ide->sectors_read += ATAPI_BLOCK / IDE_SECTOR;
        }
        uint32_t k = ATAPI_BLOCK - ch->ap_sect_pos;
        if (k > n)
            k = n;
        memcpy(dst, ch->sect + ch->ap_sect_pos, k);
        ch->ap_sect_pos += k;
        dst += k;
        n -= k;
    }
    return 0;
}

/* The next PIO DRQ block: as many bytes as the host's limit allows. */
static void atapi_pio_block(struct ide *ide, struct ide_channel *ch)
{
    uint32_t limit = ch->ap_limit ? ch->ap_limit : 0xFFFE; /* 0 is taken as the largest even count */
    if (limit > IDE_BUF_SIZE)
        limit = IDE_BUF_SIZE;
    uint32_t n = ch->ap_left < limit ? (uint32_t)ch->ap_left : limit;
    if (n < ch->ap_left)
        n &= ~1u; /* only the last block may be odd */
    if (n == 0)
        n = ch->ap_left < 2 ? (uint32_t)ch->ap_left : 2;
    if (atapi_fill(ide, ch, ch->buf, n) < 0) {
        atapi_set_sense(&ide_cur(ch)->cd, SENSE_MEDIUM_ERROR, ASC_READ_ERROR);
        atapi_fail(ch);
        return;
    }
    ch->buf_pos = 0;
    ch->buf_len = n + (n & 1); /* an odd count is padded to a whole word */
    ch->buf[n] = 0;
    ch->ap_block_len = n;
    ch->lbam = (uint8_t)n;
    ch->lbah = (uint8_t)(n >> 8);
    ch->nsect = 0x02; /* I/O: data to the host */
    ch->xfer = IDE_XFER_ATAPI_IN;
    ch->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
    ide_raise_irq(ch);
}

void ide_atapi_pio_done(struct ide *ide, struct ide_channel *ch)
{
    ch->ap_left -= ch->ap_block_len;
    if (ch->ap_left)
        atapi_pio_block(ide, ch);
    else
        atapi_complete(ch);
}

void ide_atapi_dma_run(struct ide *ide, struct ide_channel *ch)
{
    if (!(ch->bm_cmd & IDE_BM_CMD_TO_MEMORY)) {
        ch->bm_status = (uint8_t)((ch->bm_status & ~IDE_BM_ST_ACTIVE) | IDE_BM_ST_ERROR | IDE_BM_ST_IRQ);
        atapi_set_sense(&ide_cur(ch)->cd, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
        atapi_fail(ch);
        return;
    }
    struct prd_cursor c = { ch->bm_prd, 0, 0, false, 0 };
    uint8_t chunk[ATAPI_BLOCK];
    while (ch->ap_left) {
        uint32_t n = ch->ap_left < ATAPI_BLOCK ? (uint32_t)ch->ap_left : ATAPI_BLOCK;
        if (atapi_fill(ide, ch, chunk, n) < 0) {
            ch->bm_status = (uint8_t)((ch->bm_status & ~IDE_BM_ST_ACTIVE) | IDE_BM_ST_IRQ);
            atapi_set_sense(&ide_cur(ch)->cd, SENSE_MEDIUM_ERROR, ASC_READ_ERROR);
            atapi_fail(ch);
            return;
        }
        if (!prd_move(ide, &c, chunk, n, true)) {
            ch->bm_status = (uint8_t)((ch->bm_status & ~IDE_BM_ST_ACTIVE) | IDE_BM_ST_ERROR | IDE_BM_ST_IRQ);
            atapi_set_sense(&ide_cur(ch)->cd, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
            atapi_fail(ch);
            return;
        }
        ch->ap_left -= n;
    }
    ch->bm_status |= IDE_BM_ST_IRQ;
    if (c.eot && c.left == 0)
        ch->bm_status &= (uint8_t)~IDE_BM_ST_ACTIVE;
    atapi_complete(ch);
}

/* The packet is in: run it and start its data phase. */
void ide_atapi_packet(struct ide *ide, struct ide_channel *ch)
{
    struct ide_device *d = ide_cur(ch);
    memcpy(ch->packet, ch->buf, 12);
    enum atapi_result r = atapi_command(&d->cd, ch->packet, &ch->req);
    switch (r) {
    case ATAPI_DONE:
        atapi_complete(ch);
        return;
    case ATAPI_ERROR:
        atapi_fail(ch);
        return;
    case ATAPI_REPLY:
        ch->ap_from_disc = false;
        ch->ap_pos = 0;
        ch->ap_left = ch->req.reply_len;
        break;
    case ATAPI_READ:
        ch->ap_from_disc = true;
        ch->ap_lba = ch->req.lba;
        ch->ap_sect_pos = ATAPI_BLOCK;
        ch->ap_left = (uint64_t)ch->req.count * ATAPI_BLOCK;
        break;
    }
    if (ch->ap_dma) {
        ch->xfer = IDE_XFER_ATAPI_DMA;
        ch->nsect = 0x02;
        ch->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
        if (ch->bm_cmd & IDE_BM_CMD_START)
            ide_atapi_dma_run(ide, ch);
    } else {
        atapi_pio_block(ide, ch);
    }
}

static void identify_packet(struct ide_device *d, uint8_t *out)
{
    uint16_t id[256];
    memset(id, 0, sizeof(id));
    id[0] = 0x85C0; /* ATAPI, CD-ROM, removable, DRQ within 50 us, 12-byte packets */
    ata_put_string(id, 10, 10, d->serial);
    ata_put_string(id, 23, 4, "1.0");
    ata_put_string(id, 27, 20, d->model);
    id[49] = 1u << 9 | 1u << 8; /* LBA, DMA */
    id[53] = 0x0007;
    id[63] = 0x0007;
    id[64] = 0x0003;
    id[65] = id[66] = id[67] = id[68] = 120;
    id[80] = 0x007E;
    id[82] = 1u << 14 | 1u << 4; /* NOP, PACKET */
    id[83] = 1u << 14;
    id[84] = 1u << 14;
    id[85] = 1u << 14 | 1u << 4;
    id[87] = 1u << 14;
    id[88] = 0x003F;
    id[93] = 0x4000 | 0x2000 | 0x0001;
    for (int i = 0; i < 256; i++) {
        out[2 * i] = (uint8_t)id[i];
        out[2 * i + 1] = (uint8_t)(id[i] >> 8);
    }
}

/* What a packet device does with an ATA command. */
void ide_atapi_command(struct ide *ide, struct ide_channel *ch, uint8_t cmd)
{
    struct ide_device *d = ide_cur(ch);
    switch (cmd) {
    case 0xA0: /* PACKET */
        ch->ap_dma = ch->feature & 0x01;
        ch->ap_limit = (uint16_t)(ch->lbam | ch->lbah << 8);
        ch->xfer = IDE_XFER_PACKET;
        ch->buf_pos = 0;
        ch->buf_len = 12;
        ch->nsect = 0x01; /* C/D: the command packet */
        ch->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
        break;
    case 0xA1: /* IDENTIFY PACKET DEVICE */
        identify_packet(d, ch->buf);
        ch->buf_pos = 0;
        ch->buf_len = IDE_SECTOR;
        ch->xfer = IDE_XFER_PIO_IN;
        ch->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
        ide_raise_irq(ch);
        break;
    case 0x08: /* DEVICE RESET */
        atapi_reset(&d->cd);
        ide_signature(ch);
        break;
    case 0x90:
        ide_signature(ch);
        ide_raise_irq(ch);
        break;
    case 0xEF: case 0xE5: case 0xE0: case 0xE1: case 0xE2: case 0xE3: case 0xE7:
        if (cmd == 0xE5)
            ch->nsect = 0xFF;
        ide_finish(ch);
        break;
    default:
        /* ATA commands, IDENTIFY DEVICE among them: abort, leaving the
         * packet signature for the host to see. */
        ch->nsect = ch->lbal = 1;
        ch->lbam = 0x14;
        ch->lbah = 0xEB;
        ide_fail(ch, ATA_ER_ABRT);
        break;
    }
}

