/* IDE channels, ATA disks and the PIIX bus-master DMA (see ide.h).
 * Register and protocol facts: ATA/ATAPI-6 (T13/1410D), sections 6 (the
 * protocols), 7 (the registers) and 8 (the commands); the PIIX3 datasheet
 * for the bus-master IDE registers and PRD tables. */
#include "devices/ide.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "disks/blockdev.h"
#include "mem/bus.h"

#define BM_CMD_START 0x01
#define BM_CMD_TO_MEMORY 0x08 /* "read": device to memory */
#define BM_ST_ACTIVE 0x01
#define BM_ST_ERROR 0x02
#define BM_ST_IRQ 0x04
#define BM_MAX_PRDS 8192 /* a 64 KiB table: the controller never reads further */

static struct ide_device *cur(struct ide_channel *ch)
{
    return &ch->dev[(ch->select >> 4) & 1];
}

static bool present(const struct ide_channel *ch)
{
    return ch->dev[0].present || ch->dev[1].present;
}

static void irq_update(struct ide_channel *ch)
{
    irq_set(&ch->irq, ch->irq_pending && !(ch->dctl & ATA_DC_NIEN));
}

static void raise_irq(struct ide_channel *ch)
{
    ch->irq_pending = true;
    irq_update(ch);
}

/* ---- the device ------------------------------------------------------ */

static void signature(struct ide_channel *ch)
{
    ch->nsect = ch->lbal = 1;
    ch->lbam = ch->lbah = 0;
    ch->hob_nsect = ch->hob_lbal = ch->hob_lbam = ch->hob_lbah = ch->hob_feature = 0;
    ch->select &= 0xA0;
    if (cur(ch)->atapi) { /* the packet device signature */
        ch->lbam = 0x14;
        ch->lbah = 0xEB;
    }
    ch->error = 0x01; /* diagnostics passed */
    ch->status = cur(ch)->present ? ATA_SR_DRDY | ATA_SR_DSC : 0;
    ch->xfer = IDE_XFER_NONE;
    ch->buf_pos = ch->buf_len = 0;
}

static void device_reset(struct ide_device *d)
{
    d->cur_heads = d->heads;
    d->cur_spt = d->spt;
    d->multiple = 0;
    d->write_cache = true;
    d->xfer_mode = 0;
}

static void put_string(uint16_t *id, unsigned word, unsigned words, const char *s)
{
    /* ATA strings: two characters per word, the first in the high byte,
     * padded with spaces. */
    size_t n = strlen(s);
    for (unsigned i = 0; i < words; i++) {
        uint8_t a = 2 * i < n ? (uint8_t)s[2 * i] : ' ';
        uint8_t b = 2 * i + 1 < n ? (uint8_t)s[2 * i + 1] : ' ';
        id[word + i] = (uint16_t)(a << 8 | b);
    }
}

static void identify(struct ide_device *d, uint8_t *out)
{
    uint16_t id[256];
    memset(id, 0, sizeof(id));
    uint64_t lba28 = d->sectors > 0x0FFFFFFF ? 0x0FFFFFFF : d->sectors;
    uint32_t cur_cap = (uint32_t)d->cyls * d->cur_heads * d->cur_spt;
    if (cur_cap > d->sectors)
        cur_cap = (uint32_t)d->sectors;
    id[0] = 0x0040;                /* fixed disk, not removable */
    id[1] = d->cyls;
    id[3] = d->heads;
    id[6] = d->spt;
    put_string(id, 10, 10, d->serial);
    put_string(id, 23, 4, "1.0");
    put_string(id, 27, 20, d->model);
    id[47] = 0x8000 | IDE_MAX_MULTIPLE;
    id[49] = 1u << 9 | 1u << 8;    /* LBA, DMA */
    id[50] = 0x4000;
    id[51] = 0x0200;               /* PIO timing mode 2 */
    id[53] = 0x0007;               /* words 54-58, 64-70 and 88 valid */
    id[54] = d->cyls;
    id[55] = d->cur_heads;
    id[56] = d->cur_spt;
    id[57] = (uint16_t)cur_cap;
    id[58] = (uint16_t)(cur_cap >> 16);
    id[59] = d->multiple ? (uint16_t)(0x0100 | d->multiple) : 0;
    id[60] = (uint16_t)lba28;
    id[61] = (uint16_t)(lba28 >> 16);
    uint8_t mode = d->xfer_mode;
    id[63] = 0x0007 | ((mode >> 3) == 4 ? (uint16_t)(1u << (8 + (mode & 7))) : 0); /* multiword DMA 0-2 */
    id[64] = 0x0003;               /* PIO 3 and 4 */
    id[65] = id[66] = id[67] = id[68] = 120;
    id[80] = 0x007E;               /* ATA-1 to ATA-6 */
    id[81] = 0x0019;
    id[82] = 1u << 14 | 1u << 5;   /* NOP, write cache */
    id[83] = 1u << 14 | 1u << 13 | 1u << 12 | 1u << 10; /* FLUSH CACHE (EXT), 48-bit */
    id[84] = 1u << 14;
    id[85] = (uint16_t)(1u << 14 | (d->write_cache ? 1u << 5 : 0));
    id[86] = 1u << 13 | 1u << 12 | 1u << 10;
    id[87] = 1u << 14;
    id[88] = 0x003F | ((mode >> 3) == 8 ? (uint16_t)(1u << (8 + (mode & 7))) : 0); /* UDMA 0-5 */
    id[93] = 0x4000 | 0x2000 | 0x0001; /* reset results; 80-wire cable */
    id[100] = (uint16_t)d->sectors;
    id[101] = (uint16_t)(d->sectors >> 16);
    id[102] = (uint16_t)(d->sectors >> 32);
    id[103] = (uint16_t)(d->sectors >> 48);
    /* Integrity word: signature A5h, then the byte that makes the sum of
     * all 512 bytes zero. */
    id[255] = 0x00A5;
    uint8_t sum = 0;
    for (int i = 0; i < 255; i++)
        sum = (uint8_t)(sum + (id[i] & 0xFF) + (id[i] >> 8));
    sum = (uint8_t)(sum + 0xA5);
    id[255] = (uint16_t)(((uint8_t)-sum) << 8 | 0xA5);
    for (int i = 0; i < 256; i++) {
        out[2 * i] = (uint8_t)id[i];
        out[2 * i + 1] = (uint8_t)(id[i] >> 8);
    }
}

/* ---- addressing -------------------------------------------------------- */

static bool is_lba48(uint8_t cmd)
{
    switch (cmd) {
    case 0x24: case 0x25: case 0x29: case 0x34: case 0x35: case 0x39: case 0x42: case 0x27:
        return true;
    default:
        return false;
    }
}

/* The starting sector and count of the command; false (IDNF) for a CHS
 * address outside the current translation. */
static bool get_range(struct ide_channel *ch, bool lba48, uint64_t *lba, uint32_t *count)
{
    struct ide_device *d = cur(ch);
    if (lba48) {
        *lba = (uint64_t)ch->hob_lbah << 40 | (uint64_t)ch->hob_lbam << 32 | (uint64_t)ch->hob_lbal << 24 |
               (uint64_t)ch->lbah << 16 | (uint64_t)ch->lbam << 8 | ch->lbal;
        uint32_t n = (uint32_t)ch->hob_nsect << 8 | ch->nsect;
        *count = n ? n : 65536;
        return true;
    }
    uint32_t n = ch->nsect;
    *count = n ? n : 256;
    if (ch->select & 0x40) {
        *lba = (uint64_t)(ch->select & 0x0F) << 24 | (uint64_t)ch->lbah << 16 | (uint64_t)ch->lbam << 8 | ch->lbal;
        return true;
    }
    uint32_t cyl = (uint32_t)ch->lbah << 8 | ch->lbam, head = ch->select & 0x0F, sec = ch->lbal;
    if (sec == 0 || sec > d->cur_spt || head >= d->cur_heads || d->cur_spt == 0)
        return false;
    *lba = ((uint64_t)cyl * d->cur_heads + head) * d->cur_spt + sec - 1;
    return true;
}

/* The task file after a transfer: the address of sector lba (the last one
 * done, or the one that failed), in the command's addressing. */
static void set_address(struct ide_channel *ch, uint64_t lba)
{
    struct ide_device *d = cur(ch);
    if (is_lba48(ch->cmd)) {
        ch->lbal = (uint8_t)lba;
        ch->lbam = (uint8_t)(lba >> 8);
        ch->lbah = (uint8_t)(lba >> 16);
        ch->hob_lbal = (uint8_t)(lba >> 24);
        ch->hob_lbam = (uint8_t)(lba >> 32);
        ch->hob_lbah = (uint8_t)(lba >> 40);
    } else if (ch->select & 0x40) {
        ch->lbal = (uint8_t)lba;
        ch->lbam = (uint8_t)(lba >> 8);
        ch->lbah = (uint8_t)(lba >> 16);
        ch->select = (uint8_t)((ch->select & 0xF0) | ((lba >> 24) & 0x0F));
    } else if (d->cur_heads && d->cur_spt) {
        uint64_t cyl = lba / ((uint64_t)d->cur_heads * d->cur_spt);
        uint32_t rem = (uint32_t)(lba % ((uint64_t)d->cur_heads * d->cur_spt));
        ch->lbah = (uint8_t)(cyl >> 8);
        ch->lbam = (uint8_t)cyl;
        ch->select = (uint8_t)((ch->select & 0xF0) | (rem / d->cur_spt));
        ch->lbal = (uint8_t)(rem % d->cur_spt + 1);
    }
}

static void finish(struct ide_channel *ch)
{
    ch->status = ATA_SR_DRDY | ATA_SR_DSC;
    ch->xfer = IDE_XFER_NONE;
    raise_irq(ch);
}

static void fail(struct ide_channel *ch, uint8_t error)
{
    ch->error = error;
    ch->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_ERR;
    ch->xfer = IDE_XFER_NONE;
    raise_irq(ch);
}

/* ---- PIO --------------------------------------------------------------- */

static uint32_t block_sectors(struct ide_channel *ch)
{
    bool multi = ch->cmd == 0xC4 || ch->cmd == 0xC5 || ch->cmd == 0x29 || ch->cmd == 0x39;
    uint32_t b = multi ? cur(ch)->multiple : 1;
    return b < ch->remaining ? b : ch->remaining;
}

/* Reads the next DRQ block from the disk; raises the interrupt for it. */
static void pio_in_block(struct ide *ide, struct ide_channel *ch)
{
    struct ide_device *d = cur(ch);
    ch->block = block_sectors(ch);
    int rc = blockdev_read(d->bd, ch->lba * IDE_SECTOR, ch->buf, (size_t)ch->block * IDE_SECTOR);
    if (rc < 0) {
        set_address(ch, ch->lba);
        fail(ch, ATA_ER_UNC);
        return;
    }
    ide->sectors_read += ch->block;
    ch->buf_pos = 0;
    ch->buf_len = ch->block * IDE_SECTOR;
    ch->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
    raise_irq(ch);
}

static void pio_in_done(struct ide *ide, struct ide_channel *ch)
{
    set_address(ch, ch->lba + ch->block - 1);
    ch->lba += ch->block;
    ch->remaining -= ch->block;
    if (ch->remaining) {
        pio_in_block(ide, ch);
    } else {
        /* No interrupt after the last block of a read. */
        ch->status = ATA_SR_DRDY | ATA_SR_DSC;
        ch->xfer = IDE_XFER_NONE;
        ch->buf_pos = ch->buf_len = 0;
    }
}

static void pio_out_block(struct ide_channel *ch)
{
    ch->block = block_sectors(ch);
    ch->buf_pos = 0;
    ch->buf_len = ch->block * IDE_SECTOR;
    ch->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
}

static void pio_out_done(struct ide *ide, struct ide_channel *ch)
{
    struct ide_device *d = cur(ch);
    int rc = blockdev_write(d->bd, ch->lba * IDE_SECTOR, ch->buf, (size_t)ch->block * IDE_SECTOR);
    if (rc == 0 && !d->write_cache)
        rc = blockdev_flush(d->bd);
    if (rc < 0) {
        set_address(ch, ch->lba);
        fail(ch, rc == -EROFS ? ATA_ER_ABRT : ATA_ER_UNC);
        return;
    }
    ide->sectors_written += ch->block;
    set_address(ch, ch->lba + ch->block - 1);
    ch->lba += ch->block;
    ch->remaining -= ch->block;
    if (ch->remaining) {
        pio_out_block(ch);
        raise_irq(ch);
    } else {
        finish(ch);
    }
}

/* ---- bus-master DMA ---------------------------------------------------- */

/* Moves the command's sectors between the disk and the PRD table's
 * buffers.  Called when both the command and the start bit are there. */
static void dma_run(struct ide *ide, struct ide_channel *ch)
{
    struct ide_device *d = cur(ch);
    bool to_mem = ch->xfer == IDE_XFER_DMA_IN;
    /* The direction bit must agree with the command; a mismatch moves
     * nothing and the command fails, as data cannot flow. */
    if (!!(ch->bm_cmd & BM_CMD_TO_MEMORY) != to_mem) {
        ch->bm_status = (uint8_t)((ch->bm_status & ~BM_ST_ACTIVE) | BM_ST_ERROR | BM_ST_IRQ);
        fail(ch, ATA_ER_ABRT);
        return;
    }
    uint32_t prd = ch->bm_prd;
    uint32_t addr = 0, left = 0;
    bool eot = false;
    unsigned entries = 0;
    uint8_t sector[IDE_SECTOR];
    while (ch->remaining) {
        if (to_mem && blockdev_read(d->bd, ch->lba * IDE_SECTOR, sector, IDE_SECTOR) < 0) {
            set_address(ch, ch->lba);
            ch->bm_status = (uint8_t)((ch->bm_status & ~BM_ST_ACTIVE) | BM_ST_IRQ);
            fail(ch, ATA_ER_UNC);
            return;
        }
        for (uint32_t done = 0; done < IDE_SECTOR;) {
            if (left == 0) {
                if (eot || entries == BM_MAX_PRDS) {
                    /* The table ended before the data: the controller
                     * stops with its error and interrupt bits. */
                    ch->bm_status = (uint8_t)((ch->bm_status & ~BM_ST_ACTIVE) | BM_ST_ERROR | BM_ST_IRQ);
                    set_address(ch, ch->lba);
                    fail(ch, ATA_ER_ABRT);
                    return;
                }
                uint32_t e0 = bus_read(ide->bus, prd, 4), e1 = bus_read(ide->bus, prd + 4, 4);
                /* Entries are 8 bytes and the table does not cross 64 KiB. */
                prd = (prd & 0xFFFF0000u) | ((prd + 8) & 0xFFFFu);
                entries++;
                addr = e0 & ~1u;
                left = e1 & 0xFFFF ? e1 & 0xFFFF : 0x10000;
                left &= ~1u;
                eot = e1 & 0x80000000u;
                if (left == 0)
                    continue;
            }
            uint32_t n = IDE_SECTOR - done < left ? IDE_SECTOR - done : left;
            if (to_mem)
                bus_write_block(ide->bus, addr, sector + done, n);
            else
                bus_read_block(ide->bus, addr, sector + done, n);
            addr += n;
            left -= n;
            done += n;
        }
        if (!to_mem) {
            int rc = blockdev_write(d->bd, ch->lba * IDE_SECTOR, sector, IDE_SECTOR);
            if (rc < 0) {
                set_address(ch, ch->lba);
                ch->bm_status = (uint8_t)((ch->bm_status & ~BM_ST_ACTIVE) | BM_ST_IRQ);
                fail(ch, rc == -EROFS ? ATA_ER_ABRT : ATA_ER_UNC);
                return;
            }
            ide->sectors_written++;
        } else {
            ide->sectors_read++;
        }
        ch->lba++;
        ch->remaining--;
    }
    if (!to_mem && !d->write_cache)
        blockdev_flush(d->bd);
    set_address(ch, ch->lba - 1);
    /* Done: with the table used up exactly, Active clears; with room left
     * over it stays set (the PIIX's rule); the interrupt bit is set. */
    ch->bm_status |= BM_ST_IRQ;
    if (eot && left == 0)
        ch->bm_status &= (uint8_t)~BM_ST_ACTIVE;
    finish(ch);
}

/* ---- ATAPI transport ---------------------------------------------------- */

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
            if (c->eot || c->entries == BM_MAX_PRDS)
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
    raise_irq(ch);
}

static void atapi_fail(struct ide_channel *ch)
{
    struct ide_device *d = cur(ch);
    /* The error register carries the sense key in bits 7-4; ABRT for a
     * command the drive refuses. */
    ch->error = (uint8_t)(d->cd.sense_key << 4 | (d->cd.sense_key == SENSE_ILLEGAL_REQUEST ? ATA_ER_ABRT : 0));
    ch->nsect = 0x03;
    ch->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_ERR;
    ch->xfer = IDE_XFER_NONE;
    raise_irq(ch);
}

/* Copies the next n bytes of the data phase to dst. */
static int atapi_fill(struct ide *ide, struct ide_channel *ch, uint8_t *dst, uint32_t n)
{
    struct ide_device *d = cur(ch);
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
        atapi_set_sense(&cur(ch)->cd, SENSE_MEDIUM_ERROR, ASC_READ_ERROR);
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
    raise_irq(ch);
}

static void atapi_pio_done(struct ide *ide, struct ide_channel *ch)
{
    ch->ap_left -= ch->ap_block_len;
    if (ch->ap_left)
        atapi_pio_block(ide, ch);
    else
        atapi_complete(ch);
}

static void atapi_dma_run(struct ide *ide, struct ide_channel *ch)
{
    if (!(ch->bm_cmd & BM_CMD_TO_MEMORY)) {
        ch->bm_status = (uint8_t)((ch->bm_status & ~BM_ST_ACTIVE) | BM_ST_ERROR | BM_ST_IRQ);
        atapi_set_sense(&cur(ch)->cd, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
        atapi_fail(ch);
        return;
    }
    struct prd_cursor c = { ch->bm_prd, 0, 0, false, 0 };
    uint8_t chunk[ATAPI_BLOCK];
    while (ch->ap_left) {
        uint32_t n = ch->ap_left < ATAPI_BLOCK ? (uint32_t)ch->ap_left : ATAPI_BLOCK;
        if (atapi_fill(ide, ch, chunk, n) < 0) {
            ch->bm_status = (uint8_t)((ch->bm_status & ~BM_ST_ACTIVE) | BM_ST_IRQ);
            atapi_set_sense(&cur(ch)->cd, SENSE_MEDIUM_ERROR, ASC_READ_ERROR);
            atapi_fail(ch);
            return;
        }
        if (!prd_move(ide, &c, chunk, n, true)) {
            ch->bm_status = (uint8_t)((ch->bm_status & ~BM_ST_ACTIVE) | BM_ST_ERROR | BM_ST_IRQ);
            atapi_set_sense(&cur(ch)->cd, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
            atapi_fail(ch);
            return;
        }
        ch->ap_left -= n;
    }
    ch->bm_status |= BM_ST_IRQ;
    if (c.eot && c.left == 0)
        ch->bm_status &= (uint8_t)~BM_ST_ACTIVE;
    atapi_complete(ch);
}

/* The packet is in: run it and start its data phase. */
static void atapi_packet(struct ide *ide, struct ide_channel *ch)
{
    struct ide_device *d = cur(ch);
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
        if (ch->bm_cmd & BM_CMD_START)
            atapi_dma_run(ide, ch);
    } else {
        atapi_pio_block(ide, ch);
    }
}

static void identify_packet(struct ide_device *d, uint8_t *out)
{
    uint16_t id[256];
    memset(id, 0, sizeof(id));
    id[0] = 0x85C0; /* ATAPI, CD-ROM, removable, DRQ within 50 us, 12-byte packets */
    put_string(id, 10, 10, d->serial);
    put_string(id, 23, 4, "1.0");
    put_string(id, 27, 20, d->model);
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
static void atapi_ata_command(struct ide *ide, struct ide_channel *ch, uint8_t cmd)
{
    struct ide_device *d = cur(ch);
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
        raise_irq(ch);
        break;
    case 0x08: /* DEVICE RESET */
        atapi_reset(&d->cd);
        signature(ch);
        break;
    case 0x90:
        signature(ch);
        raise_irq(ch);
        break;
    case 0xEF: case 0xE5: case 0xE0: case 0xE1: case 0xE2: case 0xE3: case 0xE7:
        if (cmd == 0xE5)
            ch->nsect = 0xFF;
        finish(ch);
        break;
    default:
        /* ATA commands, IDENTIFY DEVICE among them: abort, leaving the
         * packet signature for the host to see. */
        ch->nsect = ch->lbal = 1;
        ch->lbam = 0x14;
        ch->lbah = 0xEB;
        fail(ch, ATA_ER_ABRT);
        break;
    }
}

/* ---- commands ---------------------------------------------------------- */

static void start_rw(struct ide *ide, struct ide_channel *ch, enum ide_xfer xfer)
{
    struct ide_device *d = cur(ch);
    uint64_t lba;
    uint32_t count;
    if (!get_range(ch, is_lba48(ch->cmd), &lba, &count) || lba > d->sectors || count > d->sectors - lba) {
        fail(ch, ATA_ER_IDNF);
        return;
    }
    bool multi = ch->cmd == 0xC4 || ch->cmd == 0xC5 || ch->cmd == 0x29 || ch->cmd == 0x39;
    if (multi && d->multiple == 0) {
        fail(ch, ATA_ER_ABRT);
        return;
    }
    ch->lba = lba;
    ch->remaining = count;
    ch->xfer = xfer;
    ch->error = 0;
    switch (xfer) {
    case IDE_XFER_PIO_IN:
        pio_in_block(ide, ch);
        break;
    case IDE_XFER_PIO_OUT:
        if (d->bd->read_only) {
            fail(ch, ATA_ER_ABRT);
            return;
        }
        pio_out_block(ch);
        break;
    default: /* DMA: waits for the start bit */
        if (xfer == IDE_XFER_DMA_OUT && d->bd->read_only) {
            fail(ch, ATA_ER_ABRT);
            return;
        }
        ch->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
        if (ch->bm_cmd & BM_CMD_START)
            dma_run(ide, ch);
        break;
    }
}

static void command(struct ide *ide, struct ide_channel *ch, uint8_t cmd)
{
    struct ide_device *d = cur(ch);
    if (!d->present)
        return; /* nobody answers */
    if (cmd != 0x90 && (ch->status & (ATA_SR_BSY | ATA_SR_DRQ)) && ch->xfer != IDE_XFER_NONE) {
        /* A new command aborts a data transfer in progress. */
        ch->xfer = IDE_XFER_NONE;
    }
    ch->cmd = cmd;
    ch->error = 0;
    ch->irq_pending = false;
    irq_update(ch);
    if (d->atapi) {
        atapi_ata_command(ide, ch, cmd);
        return;
    }
    switch (cmd) {
    case 0xEC: /* IDENTIFY DEVICE */
        identify(d, ch->buf);
        ch->buf_pos = 0;
        ch->buf_len = IDE_SECTOR;
        ch->remaining = 1;
        ch->block = 1;
        ch->xfer = IDE_XFER_PIO_IN;
        ch->lba = 0;
        ch->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
        raise_irq(ch);
        break;
    case 0x20: case 0x21: case 0x24: case 0xC4: case 0x29:
        start_rw(ide, ch, IDE_XFER_PIO_IN);
        break;
    case 0x30: case 0x31: case 0x34: case 0xC5: case 0x39:
        start_rw(ide, ch, IDE_XFER_PIO_OUT);
        break;
    case 0xC8: case 0xC9: case 0x25:
        start_rw(ide, ch, IDE_XFER_DMA_IN);
        break;
    case 0xCA: case 0xCB: case 0x35:
        start_rw(ide, ch, IDE_XFER_DMA_OUT);
        break;
    case 0x40: case 0x41: case 0x42: { /* READ VERIFY SECTORS (EXT) */
        uint64_t lba;
        uint32_t count;
        if (!get_range(ch, cmd == 0x42, &lba, &count) || lba > d->sectors || count > d->sectors - lba) {
            fail(ch, ATA_ER_IDNF);
            break;
        }
        set_address(ch, lba + count - 1);
        finish(ch);
        break;
    }
    case 0x70: /* SEEK */
    case 0x10: case 0x11: case 0x12: case 0x13: case 0x14: case 0x15: case 0x16: case 0x17:
    case 0x18: case 0x19: case 0x1A: case 0x1B: case 0x1C: case 0x1D: case 0x1E: case 0x1F: /* RECALIBRATE */
        finish(ch);
        break;
    case 0xE7: case 0xEA: /* FLUSH CACHE (EXT) */
        if (blockdev_flush(d->bd) < 0)
            fail(ch, ATA_ER_ABRT);
        else
            finish(ch);
        break;
    case 0xC6: /* SET MULTIPLE MODE */
        if (ch->nsect > IDE_MAX_MULTIPLE || (ch->nsect & (ch->nsect - 1))) {
            fail(ch, ATA_ER_ABRT);
        } else {
            d->multiple = ch->nsect;
            finish(ch);
        }
        break;
    case 0x91: /* INITIALIZE DEVICE PARAMETERS */
        if (ch->nsect == 0) {
            fail(ch, ATA_ER_ABRT);
        } else {
            d->cur_spt = ch->nsect;
            d->cur_heads = (uint16_t)((ch->select & 0x0F) + 1);
            finish(ch);
        }
        break;
    case 0xEF: /* SET FEATURES */
        switch (ch->feature) {
        case 0x02: d->write_cache = true; finish(ch); break;
        case 0x82: d->write_cache = false; finish(ch); break;
        case 0x03: { /* transfer mode: PIO default/flow control, MWDMA, UDMA */
            uint8_t m = ch->nsect;
            if (m <= 1 || (m >> 3 == 1 && (m & 7) <= 4) || (m >> 3 == 4 && (m & 7) <= 2) ||
                (m >> 3 == 8 && (m & 7) <= 5)) {
                d->xfer_mode = m;
                finish(ch);
            } else {
                fail(ch, ATA_ER_ABRT);
            }
            break;
        }
        case 0xAA: case 0x55: case 0x66: case 0xCC: /* look-ahead, reverting defaults */
            finish(ch);
            break;
        default:
            fail(ch, ATA_ER_ABRT);
            break;
        }
        break;
    case 0xF8: case 0x27: { /* READ NATIVE MAX ADDRESS (EXT) */
        uint64_t max = d->sectors ? d->sectors - 1 : 0;
        if (cmd == 0xF8 && max > 0x0FFFFFFF)
            max = 0x0FFFFFFF;
        ch->cmd = cmd;
        if (cmd == 0xF8 && !(ch->select & 0x40))
            ch->select |= 0x40;
        set_address(ch, max);
        finish(ch);
        break;
    }
    case 0xE5: /* CHECK POWER MODE: active or idle */
        ch->nsect = 0xFF;
        finish(ch);
        break;
    case 0xE0: case 0xE1: case 0xE2: case 0xE3: case 0x94: case 0x95: case 0x96: case 0x97: case 0x00:
        if (cmd == 0x00) /* NOP: always aborts */
            fail(ch, ATA_ER_ABRT);
        else
            finish(ch);
        break;
    case 0x90: /* EXECUTE DEVICE DIAGNOSTIC: both devices answer with their signature */
        signature(ch);
        ch->error = 0x01;
        raise_irq(ch);
        break;
    case 0xA1: /* IDENTIFY PACKET DEVICE: not a packet device; the ATA signature stays */
    case 0xA0:
        ch->nsect = ch->lbal = 1;
        ch->lbam = ch->lbah = 0;
        fail(ch, ATA_ER_ABRT);
        break;
    default:
        fail(ch, ATA_ER_ABRT);
        break;
    }
}

/* ---- ports ------------------------------------------------------------- */

static struct ide_channel *chan_of(struct ide *ide, uint16_t port, bool ctl)
{
    for (unsigned i = 0; i < IDE_CHANNELS; i++) {
        struct ide_channel *ch = &ide->ch[i];
        if (ctl ? port == ch->ctl_base : (port >= ch->base && port < ch->base + 8))
            return ch;
    }
    return NULL;
}

static uint32_t data_read(struct ide *ide, struct ide_channel *ch, unsigned size)
{
    if ((ch->xfer != IDE_XFER_PIO_IN && ch->xfer != IDE_XFER_ATAPI_IN) || !(ch->status & ATA_SR_DRQ))
        return size == 4 ? 0xFFFFFFFFu : 0xFFFF;
    uint32_t v = 0;
    unsigned n = size == 4 ? 4 : 2;
    for (unsigned i = 0; i < n && ch->buf_pos < ch->buf_len; i++)
        v |= (uint32_t)ch->buf[ch->buf_pos++] << (8 * i);
    if (ch->buf_pos >= ch->buf_len) {
        if (ch->xfer == IDE_XFER_ATAPI_IN) {
            atapi_pio_done(ide, ch);
        } else if (ch->cmd == 0xEC || ch->cmd == 0xA1) {
            ch->status = ATA_SR_DRDY | ATA_SR_DSC;
            ch->xfer = IDE_XFER_NONE;
        } else {
            pio_in_done(ide, ch);
        }
    }
    return v;
}

static void data_write(struct ide *ide, struct ide_channel *ch, uint32_t v, unsigned size)
{
    if ((ch->xfer != IDE_XFER_PIO_OUT && ch->xfer != IDE_XFER_PACKET) || !(ch->status & ATA_SR_DRQ))
        return;
    unsigned n = size == 4 ? 4 : 2;
    for (unsigned i = 0; i < n && ch->buf_pos < ch->buf_len; i++)
        ch->buf[ch->buf_pos++] = (uint8_t)(v >> (8 * i));
    if (ch->buf_pos < ch->buf_len)
        return;
    if (ch->xfer == IDE_XFER_PACKET)
        atapi_packet(ide, ch);
    else
        pio_out_done(ide, ch);
}

static uint32_t ide_read(void *opaque, uint16_t port, unsigned size)
{
    struct ide *ide = opaque;
    struct ide_channel *ch = chan_of(ide, port, false);
    bool ctl = false;
    if (!ch) {
        ch = chan_of(ide, port, true);
        ctl = true;
    }
    if (!ch || !present(ch))
        return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1; /* nothing on the cable: it floats */
    bool dev_there = cur(ch)->present;
    bool hob = ch->dctl & ATA_DC_HOB;
    if (ctl) /* alternate status: no side effects */
        return dev_there ? ch->status : 0;
    switch (port - ch->base) {
    case 0:
        return data_read(ide, ch, size);
    case 1:
        return dev_there ? (hob ? ch->hob_feature : ch->error) : 0;
    case 2:
        return hob ? ch->hob_nsect : ch->nsect;
    case 3:
        return hob ? ch->hob_lbal : ch->lbal;
    case 4:
        return hob ? ch->hob_lbam : ch->lbam;
    case 5:
        return hob ? ch->hob_lbah : ch->lbah;
    case 6:
        return ch->select;
    default: /* status: reading it acknowledges the interrupt */
        if (!dev_there)
            return 0;
        ch->irq_pending = false;
        irq_update(ch);
        return ch->status;
    }
}

static void soft_reset(struct ide_channel *ch)
{
    for (int u = 0; u < 2; u++)
        if (ch->dev[u].present) {
            device_reset(&ch->dev[u]);
            if (ch->dev[u].atapi)
                atapi_reset(&ch->dev[u].cd);
        }
    ch->select = 0xA0;
    signature(ch);
    ch->irq_pending = false;
    irq_update(ch);
}

static void ide_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct ide *ide = opaque;
    struct ide_channel *ch = chan_of(ide, port, false);
    if (!ch) {
        ch = chan_of(ide, port, true);
        if (!ch)
            return;
        uint8_t old = ch->dctl;
        ch->dctl = (uint8_t)val;
        if ((old & ATA_DC_SRST) && !(val & ATA_DC_SRST))
            soft_reset(ch); /* the reset ends when SRST goes back to 0 */
        else if (val & ATA_DC_SRST)
            ch->status = present(ch) ? ATA_SR_BSY : 0;
        irq_update(ch);
        return;
    }
    uint8_t v = (uint8_t)val;
    /* A write to a task file register clears HOB and shifts the old value
     * into its "previous" slot (the LBA48 two-deep registers). */
    if (port - ch->base >= 1 && port - ch->base <= 5)
        ch->dctl &= (uint8_t)~ATA_DC_HOB;
    switch (port - ch->base) {
    case 0:
        data_write(ide, ch, val, size);
        break;
    case 1:
        ch->hob_feature = ch->feature;
        ch->feature = v;
        break;
    case 2:
        ch->hob_nsect = ch->nsect;
        ch->nsect = v;
        break;
    case 3:
        ch->hob_lbal = ch->lbal;
        ch->lbal = v;
        break;
    case 4:
        ch->hob_lbam = ch->lbam;
        ch->lbam = v;
        break;
    case 5:
        ch->hob_lbah = ch->lbah;
        ch->lbah = v;
        break;
    case 6:
        ch->select = (uint8_t)(v | 0xA0);
        break;
    default:
        if (!(ch->dctl & ATA_DC_SRST))
            command(ide, ch, v);
        break;
    }
}

static const struct io_ops ide_ops = {
    .read = ide_read,
    .write = ide_write,
    .sizes = 1 | 2 | 4,
};

/* ---- bus-master registers (BAR4) --------------------------------------- */

static uint32_t bm_read(void *opaque, uint16_t port, unsigned size)
{
    struct ide *ide = opaque;
    uint32_t off = port - ide->bm_base;
    struct ide_channel *ch = &ide->ch[(off >> 3) & 1];
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        unsigned r = (off + i) & 7;
        uint8_t b = r == 0 ? ch->bm_cmd : r == 2 ? ch->bm_status : r >= 4 ? (uint8_t)(ch->bm_prd >> (8 * (r - 4))) : 0;
        v |= (uint32_t)b << (8 * i);
    }
    return v;
}

static void bm_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct ide *ide = opaque;
    uint32_t off = port - ide->bm_base;
    struct ide_channel *ch = &ide->ch[(off >> 3) & 1];
    for (unsigned i = 0; i < size; i++) {
        unsigned r = (off + i) & 7;
        uint8_t b = (uint8_t)(val >> (8 * i));
        if (r == 0) {
            bool was = ch->bm_cmd & BM_CMD_START;
            ch->bm_cmd = b & (BM_CMD_START | BM_CMD_TO_MEMORY);
            if (!was && (b & BM_CMD_START)) {
                ch->bm_status |= BM_ST_ACTIVE;
                if (ch->xfer == IDE_XFER_DMA_IN || ch->xfer == IDE_XFER_DMA_OUT)
                    dma_run(ide, ch);
                else if (ch->xfer == IDE_XFER_ATAPI_DMA)
                    atapi_dma_run(ide, ch);
            } else if (was && !(b & BM_CMD_START)) {
                ch->bm_status &= (uint8_t)~BM_ST_ACTIVE;
            }
        } else if (r == 2) {
            /* Bits 1 and 2 are write-one-to-clear; 5 and 6 (drive DMA
             * capable) are plain storage. */
            ch->bm_status = (uint8_t)((ch->bm_status & ~(b & 0x06)) & ~0x60);
            ch->bm_status |= b & 0x60;
        } else if (r >= 4) {
            unsigned sh = 8 * (r - 4);
            ch->bm_prd = (ch->bm_prd & ~(0xFFu << sh)) | (uint32_t)b << sh;
            ch->bm_prd &= ~3u;
        }
    }
}

static const struct io_ops bm_ops = {
    .read = bm_read,
    .write = bm_write,
    .sizes = 1 | 2 | 4,
};

static void bar_moved(struct pci_device *d, unsigned bar, uint32_t old_addr, uint32_t new_addr)
{
    struct ide *ide = d->opaque;
    if (bar != 4)
        return;
    if (old_addr != PCI_BAR_UNMAPPED)
        bus_io_unregister(ide->bus, (uint16_t)old_addr, 16, &bm_ops, ide);
    ide->bm_base = new_addr;
    if (new_addr != PCI_BAR_UNMAPPED && new_addr + 16 <= 0x10000)
        bus_io_register(ide->bus, (uint16_t)new_addr, 16, &bm_ops, ide);
}

static void pci_setup(struct ide *ide)
{
    struct pci_device *d = &ide->pci;
    pci_device_init(d, 0x8086, IDE_PCI_DEVICE, 0x010180, 0x00, 0x00);
    d->opaque = ide;
    d->bar_moved = bar_moved;
    pci_bar_init(d, 4, 16, PCI_BAR_IO);
    d->wmask[PCI_COMMAND] |= PCI_COMMAND_MASTER;
    pci_set_word(d, PCI_STATUS, 0x0280);
    pci_set_wmask(d, PCI_LATENCY_TIMER, 1, 0xFF);
    pci_set_wmask(d, 0x40, 4, 0xFF); /* IDETIM primary/secondary */
    pci_set_wmask(d, 0x44, 1, 0xFF); /* SIDETIM */
}

void ide_reset(struct ide *ide)
{
    for (unsigned i = 0; i < IDE_CHANNELS; i++) {
        struct ide_channel *ch = &ide->ch[i];
        ch->dctl = 0;
        ch->feature = ch->hob_feature = 0;
        ch->bm_cmd = ch->bm_status = 0;
        ch->bm_prd = 0;
        soft_reset(ch);
    }
}

int ide_attach_disk(struct ide *ide, unsigned c, unsigned unit, struct blockdev *bd)
{
    if (c >= IDE_CHANNELS || unit > 1 || !bd)
        return -EINVAL;
    struct ide_device *d = &ide->ch[c].dev[unit];
    memset(d, 0, sizeof(*d));
    d->present = true;
    d->bd = bd;
    d->sectors = bd->size / IDE_SECTOR;
    /* The usual translation: 16 heads, 63 sectors, up to 16383 cylinders. */
    uint64_t cyls = d->sectors / (16 * 63);
    d->cyls = (uint16_t)(cyls > 16383 ? 16383 : cyls ? cyls : 1);
    d->heads = 16;
    d->spt = 63;
    snprintf(d->model, sizeof(d->model), "POPEK HARDDISK");
    snprintf(d->serial, sizeof(d->serial), "PK%02u%02u%012llu", c, unit,
             (unsigned long long)(d->sectors % 1000000000000ull));
    device_reset(d);
    soft_reset(&ide->ch[c]);
    return 0;
}

int ide_attach_cdrom(struct ide *ide, unsigned c, unsigned unit, struct blockdev *bd)
{
    if (c >= IDE_CHANNELS || unit > 1)
        return -EINVAL;
    struct ide_device *d = &ide->ch[c].dev[unit];
    memset(d, 0, sizeof(*d));
    d->present = true;
    d->atapi = true;
    d->bd = bd;
    snprintf(d->model, sizeof(d->model), "POPEK CD-ROM");
    snprintf(d->serial, sizeof(d->serial), "PKCD%02u%02u", c, unit);
    atapi_set_medium(&d->cd, bd != NULL, bd ? (uint32_t)(bd->size / ATAPI_BLOCK) : 0);
    device_reset(d);
    soft_reset(&ide->ch[c]);
    return 0;
}

int ide_init(struct ide *ide, struct bus *bus, struct pci_bus *pb, const struct irq_line irq[IDE_CHANNELS])
{
    memset(ide, 0, sizeof(*ide));
    ide->bus = bus;
    ide->bm_base = PCI_BAR_UNMAPPED;
    static const uint16_t base[IDE_CHANNELS] = { 0x1F0, 0x170 }, ctl[IDE_CHANNELS] = { 0x3F6, 0x376 };
    for (unsigned i = 0; i < IDE_CHANNELS; i++) {
        ide->ch[i].base = base[i];
        ide->ch[i].ctl_base = ctl[i];
        ide->ch[i].irq = irq[i];
        int rc = bus_io_register(bus, base[i], 8, &ide_ops, ide);
        if (rc == 0)
            rc = bus_io_register(bus, ctl[i], 1, &ide_ops, ide);
        if (rc < 0)
            return rc;
    }
    ide_reset(ide);
    if (pb) {
        pci_setup(ide);
        int rc = pci_register(pb, &ide->pci, IDE_DEVFN);
        if (rc < 0)
            return rc;
    }
    return 0;
}
