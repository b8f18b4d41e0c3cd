/* The ATA command set of an IDE disk (see ide.h; the channel registers it
 * runs on are devices/ide.c): IDENTIFY DEVICE, CHS, LBA28 and LBA48
 * addressing, PIO data blocks single and multiple, the disk side of a
 * bus-master DMA transfer (walking its PRD table), and the non-data
 * commands.  Written from ATA/ATAPI-6 (T13/1410D), sections 6 (the
 * protocols) and 8 (the commands); the PIIX3 datasheet for PRD tables. */
#include "devices/ide_priv.h"

#include <errno.h>
#include <string.h>

#include "disks/blockdev.h"
#include "mem/bus.h"

/* ---- IDENTIFY ---------------------------------------------------------- */

void ata_put_string(uint16_t *id, unsigned word, unsigned words, const char *s)
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
    ata_put_string(id, 10, 10, d->serial);
    ata_put_string(id, 23, 4, "1.0");
    ata_put_string(id, 27, 20, d->model);
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
    struct ide_device *d = ide_cur(ch);
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
    struct ide_device *d = ide_cur(ch);
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

/* The selected device can carry a disk transfer.  A guest that selects
 * the other device in the middle of one (a protocol violation: each
 * drive has its own registers) gets the command aborted, not a read
 * through a disk that is not there. */
static bool disk_selected(struct ide_channel *ch, const struct ide_device *d)
{
    if (d->present && !d->atapi && d->bd)
        return true;
    ch->xfer = IDE_XFER_NONE;
    ch->buf_pos = ch->buf_len = 0;
    ide_fail(ch, ATA_ER_ABRT);
    return false;
}

/* ---- PIO --------------------------------------------------------------- */

static uint32_t block_sectors(struct ide_channel *ch)
{
    bool multi = ch->cmd == 0xC4 || ch->cmd == 0xC5 || ch->cmd == 0x29 || ch->cmd == 0x39;
    uint32_t b = multi ? ide_cur(ch)->multiple : 1;
    return b < ch->remaining ? b : ch->remaining;
}

/* Reads the next DRQ block from the disk; raises the interrupt for it. */
static void pio_in_block(struct ide *ide, struct ide_channel *ch)
{
    struct ide_device *d = ide_cur(ch);
    if (!disk_selected(ch, d))
        return;
    ch->block = block_sectors(ch);
    int rc = blockdev_read(d->bd, ch->lba * IDE_SECTOR, ch->buf, (size_t)ch->block * IDE_SECTOR);
    if (rc < 0) {
        set_address(ch, ch->lba);
        ide_fail(ch, ATA_ER_UNC);
        return;
    }
    ide->sectors_read += ch->block;
    ch->buf_pos = 0;
    ch->buf_len = ch->block * IDE_SECTOR;
    ch->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
    ide_raise_irq(ch);
}

void ata_pio_in_done(struct ide *ide, struct ide_channel *ch)
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

void ata_pio_out_done(struct ide *ide, struct ide_channel *ch)
{
    struct ide_device *d = ide_cur(ch);
    if (!disk_selected(ch, d))
        return;
    int rc = blockdev_write(d->bd, ch->lba * IDE_SECTOR, ch->buf, (size_t)ch->block * IDE_SECTOR);
    if (rc == 0 && !d->write_cache)
        rc = blockdev_flush(d->bd);
    if (rc < 0) {
        set_address(ch, ch->lba);
        ide_fail(ch, rc == -EROFS ? ATA_ER_ABRT : ATA_ER_UNC);
        return;
    }
    ide->sectors_written += ch->block;
    set_address(ch, ch->lba + ch->block - 1);
    ch->lba += ch->block;
    ch->remaining -= ch->block;
    if (ch->remaining) {
        pio_out_block(ch);
        ide_raise_irq(ch);
    } else {
        ide_finish(ch);
    }
}

/* ---- bus-master DMA ---------------------------------------------------- */

/* Moves the command's sectors between the disk and the PRD table's
 * buffers.  Called when both the command and the start bit are there. */
void ata_dma_run(struct ide *ide, struct ide_channel *ch)
{
    struct ide_device *d = ide_cur(ch);
    if (!disk_selected(ch, d)) {
        ch->bm_status = (uint8_t)((ch->bm_status & ~IDE_BM_ST_ACTIVE) | IDE_BM_ST_ERROR | IDE_BM_ST_IRQ);
        return;
    }
    bool to_mem = ch->xfer == IDE_XFER_DMA_IN;
    /* The direction bit must agree with the command; a mismatch moves
     * nothing and the command fails, as data cannot flow. */
    if (!!(ch->bm_cmd & IDE_BM_CMD_TO_MEMORY) != to_mem) {
        ch->bm_status = (uint8_t)((ch->bm_status & ~IDE_BM_ST_ACTIVE) | IDE_BM_ST_ERROR | IDE_BM_ST_IRQ);
        ide_fail(ch, ATA_ER_ABRT);
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
            ch->bm_status = (uint8_t)((ch->bm_status & ~IDE_BM_ST_ACTIVE) | IDE_BM_ST_IRQ);
            ide_fail(ch, ATA_ER_UNC);
            return;
        }
        for (uint32_t done = 0; done < IDE_SECTOR;) {
            if (left == 0) {
                if (eot || entries == IDE_BM_MAX_PRDS) {
                    /* The table ended before the data: the controller
                     * stops with its error and interrupt bits. */
                    ch->bm_status = (uint8_t)((ch->bm_status & ~IDE_BM_ST_ACTIVE) | IDE_BM_ST_ERROR | IDE_BM_ST_IRQ);
                    set_address(ch, ch->lba);
                    ide_fail(ch, ATA_ER_ABRT);
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
                ch->bm_status = (uint8_t)((ch->bm_status & ~IDE_BM_ST_ACTIVE) | IDE_BM_ST_IRQ);
                ide_fail(ch, rc == -EROFS ? ATA_ER_ABRT : ATA_ER_UNC);
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
    ch->bm_status |= IDE_BM_ST_IRQ;
    if (eot && left == 0)
        ch->bm_status &= (uint8_t)~IDE_BM_ST_ACTIVE;
    ide_finish(ch);
}

/* ---- commands ---------------------------------------------------------- */

static void start_rw(struct ide *ide, struct ide_channel *ch, enum ide_xfer xfer)
{
    struct ide_device *d = ide_cur(ch);
    uint64_t lba;
    uint32_t count;
    if (!get_range(ch, is_lba48(ch->cmd), &lba, &count) || lba > d->sectors || count > d->sectors - lba) {
        ide_fail(ch, ATA_ER_IDNF);
        return;
    }
    bool multi = ch->cmd == 0xC4 || ch->cmd == 0xC5 || ch->cmd == 0x29 || ch->cmd == 0x39;
    if (multi && d->multiple == 0) {
        ide_fail(ch, ATA_ER_ABRT);
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
            ide_fail(ch, ATA_ER_ABRT);
            return;
        }
        pio_out_block(ch);
        break;
    default: /* DMA: waits for the start bit */
        if (xfer == IDE_XFER_DMA_OUT && d->bd->read_only) {
            ide_fail(ch, ATA_ER_ABRT);
            return;
        }
        ch->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_DRQ;
        if (ch->bm_cmd & IDE_BM_CMD_START)
            ata_dma_run(ide, ch);
        break;
    }
}

void ata_command(struct ide *ide, struct ide_channel *ch, uint8_t cmd)
{
    struct ide_device *d = ide_cur(ch);
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
        ide_raise_irq(ch);
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
            ide_fail(ch, ATA_ER_IDNF);
            break;
        }
        set_address(ch, lba + count - 1);
        ide_finish(ch);
        break;
    }
    case 0x70: /* SEEK */
    case 0x10: case 0x11: case 0x12: case 0x13: case 0x14: case 0x15: case 0x16: case 0x17:
    case 0x18: case 0x19: case 0x1A: case 0x1B: case 0x1C: case 0x1D: case 0x1E: case 0x1F: /* RECALIBRATE */
        ide_finish(ch);
        break;
    case 0xE7: case 0xEA: /* FLUSH CACHE (EXT) */
        if (blockdev_flush(d->bd) < 0)
            ide_fail(ch, ATA_ER_ABRT);
        else
            ide_finish(ch);
        break;
    case 0xC6: /* SET MULTIPLE MODE */
        if (ch->nsect > IDE_MAX_MULTIPLE || (ch->nsect & (ch->nsect - 1))) {
            ide_fail(ch, ATA_ER_ABRT);
        } else {
            d->multiple = ch->nsect;
            ide_finish(ch);
        }
        break;
    case 0x91: /* INITIALIZE DEVICE PARAMETERS */
        if (ch->nsect == 0) {
            ide_fail(ch, ATA_ER_ABRT);
        } else {
            d->cur_spt = ch->nsect;
            d->cur_heads = (uint16_t)((ch->select & 0x0F) + 1);
            ide_finish(ch);
        }
        break;
    case 0xEF: /* SET FEATURES */
        switch (ch->feature) {
        case 0x02: d->write_cache = true; ide_finish(ch); break;
        case 0x82: d->write_cache = false; ide_finish(ch); break;
        case 0x03: { /* transfer mode: PIO default/flow control, MWDMA, UDMA */
            uint8_t m = ch->nsect;
            if (m <= 1 || (m >> 3 == 1 && (m & 7) <= 4) || (m >> 3 == 4 && (m & 7) <= 2) ||
                (m >> 3 == 8 && (m & 7) <= 5)) {
                d->xfer_mode = m;
                ide_finish(ch);
            } else {
                ide_fail(ch, ATA_ER_ABRT);
            }
            break;
        }
        case 0xAA: case 0x55: case 0x66: case 0xCC: /* look-ahead, reverting defaults */
            ide_finish(ch);
            break;
        default:
            ide_fail(ch, ATA_ER_ABRT);
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
        ide_finish(ch);
        break;
    }
    case 0xE5: /* CHECK POWER MODE: active or idle */
        ch->nsect = 0xFF;
        ide_finish(ch);
        break;
    case 0xE0: case 0xE1: case 0xE2: case 0xE3: case 0x94: case 0x95: case 0x96: case 0x97: case 0x00:
        if (cmd == 0x00) /* NOP: always aborts */
            ide_fail(ch, ATA_ER_ABRT);
        else
            ide_finish(ch);
        break;
    case 0x90: /* EXECUTE DEVICE DIAGNOSTIC: both devices answer with their signature */
        ide_signature(ch);
        ch->error = 0x01;
        ide_raise_irq(ch);
        break;
    case 0xA1: /* IDENTIFY PACKET DEVICE: not a packet device; the ATA signature stays */
    case 0xA0:
        ch->nsect = ch->lbal = 1;
        ch->lbam = ch->lbah = 0;
        ide_fail(ch, ATA_ER_ABRT);
        break;
    default:
        ide_fail(ch, ATA_ER_ABRT);
        break;
    }
}
