/* The 82077AA's command set (see fdc.h; the registers and phases it runs
 * on are devices/fdc.c).  Written from the Intel 82077AA datasheet
 * (290166): the commands of table 5-1, the result-phase ID rules of table
 * 5-6, the status registers of section 5 and SENSE INTERRUPT STATUS
 * (table 5-9).
 *
 * Model: a drive is a head position over a raw image.  The sector IDs on
 * track t, side s are C = t, H = s, R = 1..spt, N = 2, recorded in MFM at
 * the format's data rate; a command finds a sector when its C, H, R and N
 * match one of them.  A DMA command runs its whole execution phase when
 * the execution timer fires; a non-DMA command moves one sector at a time
 * through buf as the host reads or writes the FIFO.  Every index into the
 * sector buffer is checked against its length. */
#include "devices/fdc_priv.h"

#include <string.h>

#include "devices/dma8237.h"
#include "disks/blockdev.h"

/* Command codes (first byte, bits 4-0, or the whole byte) */
enum {
    CMD_READ_TRACK = 0x02,
    CMD_SPECIFY = 0x03,
    CMD_SENSE_DRIVE = 0x04,
    CMD_WRITE = 0x05,
    CMD_READ = 0x06,
    CMD_RECALIBRATE = 0x07,
    CMD_SENSE_INT = 0x08,
    CMD_WRITE_DELETED = 0x09,
    CMD_READ_ID = 0x0A,
    CMD_READ_DELETED = 0x0C,
    CMD_FORMAT = 0x0D,
    CMD_DUMPREG = 0x0E,
    CMD_SEEK = 0x0F,
    CMD_VERSION = 0x10,
    CMD_PERPENDICULAR = 0x12,
    CMD_CONFIGURE = 0x13,
    CMD_LOCK = 0x14,
    CMD_VERIFY = 0x16,
};

#define CMD_MT 0x80
#define CMD_MFM 0x40
#define CMD_SK 0x20
#define RELSEEK_DIR 0x40

/* Recalibrate gives up after this many step pulses without track 0. */
#define RECAL_STEPS 79

/* ---- Drives ---- */

/* Steps the head of dv by delta positions (clamped by the mechanics);
 * a step pulse with a disk in the drive resets its disk-change line. */
static void step(struct fdc_drive *dv, int delta)
{
    if (!dv || delta == 0)
        return;
    int c = dv->cyl + delta;
    dv->cyl = (uint8_t)(c < 0 ? 0 : c > dv->max_cyl ? dv->max_cyl : c);
    if (dv->format)
        dv->changed = false;
}

/* ---- Results ---- */

/* Ends a data command: the seven result bytes and the interrupt (after a
 * drop of the line if non-DMA data requests held it, so the result phase
 * is a new edge). */
static void finish(struct fdc *f)
{
    struct fdc_xfer *x = &f->x;
    uint8_t st0 = (uint8_t)(x->st0 | (x->hd & 1) << 2 | x->ds);
    uint8_t r[7] = { st0, x->st1, x->st2, x->c, x->h, x->r, x->n };
    f->buf_pos = f->buf_len = 0;
    f->pio_int = false;
    fdc_update_irq(f);
    fdc_set_result(f, r, 7);
    f->result_int = true;
    fdc_update_irq(f);
}

static void fail(struct fdc *f, uint8_t st1, uint8_t st2)
{
    f->x.st0 |= FDC_ST0_ABNORMAL;
    f->x.st1 |= st1;
    f->x.st2 |= st2;
    finish(f);
}

/* ---- Sectors ---- */

/* Finds the sector the command is at, as the chip looks for its ID on the
 * track under the head.  Returns true and the image offset, or false with
 * the error set (MA: no ID at all on this track at this rate and
 * encoding; ND: IDs but not this one, WC when the cylinder differs). */
static bool locate(struct fdc *f, uint64_t *off)
{
    struct fdc_xfer *x = &f->x;
    struct fdc_drive *dv = fdc_sel_drive(f);
    const struct fdc_format *m = dv ? dv->format : NULL;
    if (!m || !x->mfm || f->rate != m->rate || dv->cyl >= m->cyls || x->hd >= m->heads) {
        x->st1 |= FDC_ST1_MA;
        return false;
    }
    if (x->c != dv->cyl) {
        x->st1 |= FDC_ST1_ND;
        x->st2 |= FDC_ST2_WC;
        return false;
    }
    if (x->h != x->hd || x->r < 1 || x->r > m->spt || x->n != 2) {
        x->st1 |= FDC_ST1_ND;
        return false;
    }
    *off = (((uint64_t)dv->cyl * m->heads + x->hd) * m->spt + (x->r - 1u)) * FDC_SECTOR_SIZE;
    dv->next_r = (uint8_t)(x->r % m->spt + 1);
    return true;
}

/* After a sector: the next ID, by table 5-6.  Returns false at the end of
 * the cylinder (the EOT sector done, and no second side to go on to). */
static bool advance(struct fdc_xfer *x)
{
    if (x->r != x->eot) {
        x->r++;
        return true;
    }
    x->r = 1;
    if (x->mt) {
        x->h ^= 1;
        if (x->hd == 0) {
            x->hd = 1;
            return true;
        }
    }
    x->c++;
    return false;
}

static bool is_write(const struct fdc_xfer *x)
{
    return x->op == CMD_WRITE || x->op == CMD_WRITE_DELETED;
}

static bool dma_ok(struct fdc *f)
{
    return f->dma && (f->dor & FDC_DOR_DMAGATE) &&
           dma8237_channel_ready(f->dma, FDC_DMA_CHANNEL);
}

/* Moves one sector between the image and memory by DMA.  Returns 1 to go
 * on, 0 when TC ended the command (normally), -1 after an error result. */
static int dma_sector(struct fdc *f, uint64_t off)
{
    struct fdc_xfer *x = &f->x;
    struct fdc_drive *dv = fdc_sel_drive(f);
    uint8_t sec[FDC_SECTOR_SIZE];
    bool tc = false;
    size_t moved;
    if (x->op == CMD_VERIFY) {
        if (blockdev_read(dv->blk, off, sec, sizeof(sec)) < 0) {
            fail(f, FDC_ST1_DE, FDC_ST2_DD);
            return -1;
        }
        return 1;
    }
    if (!dma_ok(f)) {
        fail(f, FDC_ST1_OR, 0);
        return -1;
    }
    if (is_write(x)) {
        moved = dma8237_transfer(f->dma, FDC_DMA_CHANNEL, sec, sizeof(sec), false, &tc);
        if (moved < sizeof(sec) && !tc) {
            fail(f, FDC_ST1_OR, 0);
            return -1;
        }
        /* TC inside the sector: the rest of the data field is zeros. */
        memset(sec + moved, 0, sizeof(sec) - moved);
        if (blockdev_write(dv->blk, off, sec, sizeof(sec)) < 0) {
            x->st0 |= FDC_ST0_EC;
            fail(f, 0, 0);
            return -1;
        }
    } else {
        if (blockdev_read(dv->blk, off, sec, sizeof(sec)) < 0) {
            fail(f, FDC_ST1_DE, FDC_ST2_DD);
            return -1;
        }
        moved = dma8237_transfer(f->dma, FDC_DMA_CHANNEL, sec, sizeof(sec), true, &tc);
        if (moved < sizeof(sec) && !tc) {
            fail(f, FDC_ST1_OR, 0);
            return -1;
        }
    }
    return tc ? 0 : 1;
}

/* After a sector of a read, write or verify: the next one, the end of the
 * command, or the end of the cylinder. */
static bool next_sector(struct fdc *f, bool tc)
{
    struct fdc_xfer *x = &f->x;
    bool more = advance(x);
    x->sectors++;
    if (tc || (x->count && x->sectors >= x->count)) {
        finish(f);
        return false;
    }
    if (!more) {
        /* VERIFY without EC stops at EOT normally; a read or write that
         * reaches it without TC ends with "end of cylinder" (as non-DMA
         * transfers always do). */
        if (x->op == CMD_VERIFY)
            finish(f);
        else
            fail(f, FDC_ST1_EN, 0);
        return false;
    }
    return true;
}

/* Non-DMA: prepares the next sector for the host; false when the command
 * ended instead. */
static bool pio_load(struct fdc *f)
{
    uint64_t off;
    if (!locate(f, &off)) {
        fail(f, 0, 0);
        return false;
    }
    f->buf_pos = 0;
    f->buf_len = FDC_SECTOR_SIZE;
    if (!is_write(&f->x)) {
        struct fdc_drive *dv = fdc_sel_drive(f);
        if (blockdev_read(dv->blk, off, f->buf, FDC_SECTOR_SIZE) < 0) {
            fail(f, FDC_ST1_DE, FDC_ST2_DD);
            return false;
        }
    }
    f->pio_int = true;
    fdc_update_irq(f);
    return true;
}

static void exec_rw(struct fdc *f)
{
    struct fdc_xfer *x = &f->x;
    struct fdc_drive *dv = fdc_sel_drive(f);
    if (f->eis && dv) {
        /* Implied seek: to C before the ID search, no interrupt of its own. */
        step(dv, x->c - f->pcn[x->ds]);
        f->pcn[x->ds] = x->c;
    }
    if (is_write(x) && dv && dv->format && dv->blk->read_only) {
        fail(f, FDC_ST1_NW, 0);
        return;
    }
    if (x->pio && x->op != CMD_VERIFY) {
        pio_load(f);
        return;
    }
    for (;;) {
        uint64_t off;
        if (!locate(f, &off)) {
            fail(f, 0, 0);
            return;
        }
        int rc = dma_sector(f, off);
        if (rc < 0 || !next_sector(f, rc == 0))
            return;
    }
}

static void exec_read_id(struct fdc *f)
{
    struct fdc_xfer *x = &f->x;
    struct fdc_drive *dv = fdc_sel_drive(f);
    const struct fdc_format *m = dv ? dv->format : NULL;
    if (!m || !x->mfm || f->rate != m->rate || dv->cyl >= m->cyls || x->hd >= m->heads) {
        x->c = f->pcn[x->ds];
        x->h = x->hd;
        x->r = x->n = 0;
        fail(f, FDC_ST1_MA, 0);
        return;
    }
    if (dv->next_r < 1 || dv->next_r > m->spt)
        dv->next_r = 1;
    x->c = dv->cyl;
    x->h = x->hd;
    x->r = dv->next_r;
    x->n = 2;
    dv->next_r = (uint8_t)(dv->next_r % m->spt + 1);
    finish(f);
}

/* FORMAT: one ID (C, H, R, N) from the host, then the sector's data field
 * filled with the pattern.  A raw image holds only the standard layout:
 * an ID outside it changes nothing. */
static bool format_id(struct fdc *f, const uint8_t id[4])
{
    struct fdc_xfer *x = &f->x;
    struct fdc_drive *dv = fdc_sel_drive(f);
    if (!dv || !dv->format) {
        fail(f, FDC_ST1_MA, 0);
        return false;
    }
    const struct fdc_format *m = dv->format;
    x->c = id[0];
    x->h = id[1];
    x->r = id[2];
    x->n = id[3];
    if (id[0] == dv->cyl && id[1] == x->hd && id[2] >= 1 && id[2] <= m->spt && id[3] == 2 &&
        x->n == x->dtl && dv->cyl < m->cyls && x->hd < m->heads) {
        uint8_t sec[FDC_SECTOR_SIZE];
        memset(sec, x->fill, sizeof(sec));
        uint64_t off = (((uint64_t)dv->cyl * m->heads + x->hd) * m->spt + (id[2] - 1u)) *
                       FDC_SECTOR_SIZE;
        if (blockdev_write(dv->blk, off, sec, sizeof(sec)) < 0) {
            x->st0 |= FDC_ST0_EC;
            fail(f, 0, 0);
            return false;
        }
    }
    x->sectors++;
    if (x->sectors >= x->count) {
        finish(f);
        return false;
    }
    return true;
}

static void exec_format(struct fdc *f)
{
    struct fdc_xfer *x = &f->x;
    struct fdc_drive *dv = fdc_sel_drive(f);
    if (!dv || !dv->format || !x->mfm || f->rate != dv->format->rate) {
        fail(f, FDC_ST1_MA, 0);
        return;
    }
    if (dv->blk->read_only) {
        fail(f, FDC_ST1_NW, 0);
        return;
    }
    if (x->count == 0) {
        finish(f);
        return;
    }
    if (x->pio) {
        f->buf_pos = 0;
        f->buf_len = 4;
        f->pio_int = true;
        fdc_update_irq(f);
        return;
    }
    for (;;) {
        uint8_t id[4];
        bool tc = false;
        if (!dma_ok(f)) {
            fail(f, FDC_ST1_OR, 0);
            return;
        }
        size_t moved = dma8237_transfer(f->dma, FDC_DMA_CHANNEL, id, sizeof(id), false, &tc);
        if (moved < sizeof(id)) {
            fail(f, FDC_ST1_OR, 0);
            return;
        }
        if (!format_id(f, id))
            return;
        if (tc) {
            finish(f);
            return;
        }
    }
}

void fdc_cmd_exec(struct fdc *f)
{
    switch (f->x.op) {
    case CMD_READ_ID:
        exec_read_id(f);
        break;
    case CMD_FORMAT:
        exec_format(f);
        break;
    default:
        exec_rw(f);
        break;
    }
}

/* ---- Non-DMA data through the FIFO ---- */

void fdc_cmd_pio_write(struct fdc *f, uint8_t v)
{
    /* Non-DMA write or format: the host supplies the sector or ID. */
    if (f->phase != FDC_PHASE_EXEC || !f->x.pio || f->buf_len == 0 ||
        !(is_write(&f->x) || f->x.op == CMD_FORMAT))
        return;
    if (f->buf_pos < f->buf_len && f->buf_len <= sizeof(f->buf))
        f->buf[f->buf_pos++] = v;
    if (f->buf_pos < f->buf_len)
        return;
    f->pio_int = false;
    fdc_update_irq(f);
    if (f->x.op == CMD_FORMAT) {
        if (format_id(f, f->buf)) {
            f->buf_pos = 0;
            f->pio_int = true;
            fdc_update_irq(f);
        }
        return;
    }
    uint64_t off;
    if (!locate(f, &off)) {
        fail(f, 0, 0);
        return;
    }
    if (blockdev_write(fdc_sel_drive(f)->blk, off, f->buf, FDC_SECTOR_SIZE) < 0) {
        f->x.st0 |= FDC_ST0_EC;
        fail(f, 0, 0);
        return;
    }
    if (next_sector(f, false))
        pio_load(f);
}

uint8_t fdc_cmd_pio_read(struct fdc *f)
{
    if (f->phase != FDC_PHASE_EXEC || !f->x.pio || f->buf_len == 0 || is_write(&f->x) ||
        f->x.op == CMD_FORMAT)
        return f->latch;
    if (f->buf_pos < f->buf_len && f->buf_len <= sizeof(f->buf))
        f->latch = f->buf[f->buf_pos++];
    if (f->buf_pos >= f->buf_len) {
        f->pio_int = false;
        fdc_update_irq(f);
        if (next_sector(f, false))
            pio_load(f);
    }
    return f->latch;
}

bool fdc_cmd_data_to_host(const struct fdc *f)
{
    return !is_write(&f->x) && f->x.op != CMD_FORMAT;
}

/* ---- Commands ---- */

/* The length of the command that starts with byte b, or 0 if invalid. */
unsigned fdc_cmd_length(uint8_t b)
{
    switch (b) {
    case CMD_SPECIFY: return 3;
    case CMD_SENSE_DRIVE: return 2;
    case CMD_RECALIBRATE: return 2;
    case CMD_SENSE_INT: return 1;
    case CMD_DUMPREG: return 1;
    case CMD_SEEK: return 3;
    case CMD_VERSION: return 1;
    case CMD_PERPENDICULAR: return 2;
    case CMD_CONFIGURE: return 4;
    case CMD_LOCK:
    case CMD_LOCK | 0x80: return 1;
    case 0x80 | CMD_SEEK:
    case 0x80 | RELSEEK_DIR | CMD_SEEK: return 3; /* RELATIVE SEEK */
    case CMD_READ_ID:
    case CMD_READ_ID | CMD_MFM: return 2;
    case CMD_FORMAT:
    case CMD_FORMAT | CMD_MFM: return 6;
    }
    switch (b & 0x1F) {
    case CMD_READ:
    case CMD_VERIFY:
        return 9;
    case CMD_WRITE:
    case CMD_WRITE_DELETED:
        return b & CMD_SK ? 0 : 9;
    }
    return 0;
}

/* Steps drive ds by delta to cylinder target (a relative seek's target may
 * leave 0-255: past track 0 it stops there with an equipment check, past
 * 255 the PCN wraps). */
static void cmd_seek(struct fdc *f, unsigned ds, int target, int delta)
{
    struct fdc_drive *dv = fdc_sel_drive(f);
    uint8_t st0 = (uint8_t)(FDC_ST0_SE | ds);
    if (target < 0) {
        /* Stepping out past track 0 (a relative seek): equipment check. */
        st0 |= FDC_ST0_ABNORMAL | FDC_ST0_EC;
        target = 0;
    }
    step(dv, delta);
    f->pcn[ds] = (uint8_t)(target & 0xFF);
    fdc_start_seek_end(f, ds, st0, true);
}

static void cmd_recalibrate(struct fdc *f, unsigned ds)
{
    struct fdc_drive *dv = fdc_sel_drive(f);
    uint8_t st0 = (uint8_t)(FDC_ST0_SE | ds);
    if (!dv || dv->cyl > RECAL_STEPS) {
        /* No track 0 signal after 79 pulses. */
        st0 |= FDC_ST0_ABNORMAL | FDC_ST0_EC;
        step(dv, -RECAL_STEPS);
    } else {
        step(dv, -(int)dv->cyl);
    }
    f->pcn[ds] = 0;
    fdc_start_seek_end(f, ds, st0, true);
}

/* Resets the interrupt signal and reports the lowest drive with a status;
 * statuses left (the other drives' polling after a reset) are reported by
 * later SENSE INTERRUPTs but do not hold the line up, so the next seek's
 * end is a new edge. */
static void cmd_sense_interrupt(struct fdc *f)
{
    f->seek_int = false;
    fdc_update_irq(f);
    for (unsigned d = 0; d < 4; d++) {
        if (f->sense & (1u << d)) {
            f->sense &= (uint8_t)~(1u << d);
            uint8_t r[2] = { f->sense_st0[d], f->pcn[d] };
            fdc_set_result(f, r, 2);
            fdc_update_irq(f);
            return;
        }
    }
    fdc_result1(f, FDC_ST0_INVALID);
}

static void cmd_sense_drive(struct fdc *f, uint8_t b1)
{
    struct fdc_drive *dv = fdc_sel_drive(f);
    uint8_t st3 = (uint8_t)(FDC_ST3_ONE | (b1 & 7));
    if (dv) {
        if (dv->cyl == 0)
            st3 |= FDC_ST3_T0;
        /* No disk: the write-protect sensor sees no notch or tab either. */
        if (!dv->format || dv->blk->read_only)
            st3 |= FDC_ST3_WP;
    }
    fdc_result1(f, st3);
}

static void cmd_data(struct fdc *f)
{
    const uint8_t *c = f->cmd;
    struct fdc_xfer *x = &f->x;
    memset(x, 0, sizeof(*x));
    x->op = c[0] & 0x1F;
    x->mt = c[0] & CMD_MT;
    x->mfm = c[0] & CMD_MFM;
    x->sk = c[0] & CMD_SK;
    x->pio = f->hlt_nd & 1;
    x->ds = c[1] & 3;
    x->hd = (c[1] >> 2) & 1;
    if (x->op == CMD_READ_ID) {
        fdc_start_exec(f);
        return;
    }
    if (x->op == CMD_FORMAT) {
        x->mt = x->sk = false;
        x->dtl = c[2]; /* N of the format */
        x->count = c[3];
        x->gpl = c[4];
        x->fill = c[5];
        x->n = c[2];
        x->c = f->pcn[x->ds];
        x->h = x->hd;
        fdc_start_exec(f);
        return;
    }
    x->c = c[2];
    x->h = c[3];
    x->r = c[4];
    x->n = c[5];
    x->eot = c[6];
    x->gpl = c[7];
    x->dtl = c[8];
    if (x->op == CMD_VERIFY && (c[1] & 0x80))
        x->count = c[8]; /* EC: verify SC sectors */
    fdc_start_exec(f);
}

void fdc_cmd_execute(struct fdc *f)
{
    const uint8_t *c = f->cmd;
    f->cmd_pos = 0;
    f->phase = FDC_PHASE_CMD;
    switch (c[0]) {
    case CMD_SPECIFY:
        f->srt_hut = c[1];
        f->hlt_nd = c[2];
        return;
    case CMD_SENSE_DRIVE:
        cmd_sense_drive(f, c[1]);
        return;
    case CMD_RECALIBRATE:
        cmd_recalibrate(f, c[1] & 3);
        return;
    case CMD_SENSE_INT:
        cmd_sense_interrupt(f);
        return;
    case CMD_SEEK:
        cmd_seek(f, c[1] & 3, c[2], c[2] - f->pcn[c[1] & 3]);
        return;
    case 0x80 | CMD_SEEK: /* RELATIVE SEEK out, toward track 0 */
        cmd_seek(f, c[1] & 3, f->pcn[c[1] & 3] - c[2], -c[2]);
        return;
    case 0x80 | RELSEEK_DIR | CMD_SEEK: /* in */
        cmd_seek(f, c[1] & 3, f->pcn[c[1] & 3] + c[2], c[2]);
        return;
    case CMD_VERSION:
        fdc_result1(f, 0x90);
        return;
    case CMD_DUMPREG: {
        uint8_t r[10] = { f->pcn[0], f->pcn[1], f->pcn[2], f->pcn[3], f->srt_hut, f->hlt_nd,
                          f->x.op == CMD_FORMAT ? (uint8_t)f->x.count : f->x.eot,
                          (uint8_t)((f->lock ? 0x80 : 0) | (f->perp & 0x3F)),
                          (uint8_t)((f->eis ? 0x40 : 0) | (f->efifo ? 0x20 : 0) |
                                    (f->poll_off ? 0x10 : 0) | f->fifothr),
                          f->pretrk };
        fdc_set_result(f, r, 10);
        return;
    }
    case CMD_PERPENDICULAR:
        /* OW: the drive bits D3-D0 are written only with bit 7 set. */
        if (c[1] & 0x80)
            f->perp = c[1] & 0x3F;
        else
            f->perp = (uint8_t)((f->perp & 0x3C) | (c[1] & 0x03));
        return;
    case CMD_CONFIGURE:
        f->eis = c[2] & 0x40;
        f->efifo = c[2] & 0x20;
        f->poll_off = c[2] & 0x10;
        f->fifothr = c[2] & 0x0F;
        f->pretrk = c[3];
        return;
    case CMD_LOCK:
    case CMD_LOCK | 0x80:
        f->lock = c[0] & 0x80;
        fdc_result1(f, f->lock ? 0x10 : 0x00);
        return;
    }
    cmd_data(f);
}
