/* The floppy controller's savestate (see fdc.h and mem/sv.h): the
 * registers, the phase with the command and result FIFO contents and
 * positions, the data command in flight with its sector buffer, the
 * SPECIFY/CONFIGURE settings, the seek and polling state, the drives' head
 * positions and disk-change lines, and the two timers' deadlines.  The
 * media's contents are not in it (the images stay files); each drive's type
 * and medium format are, so that a load over a different disk fails with
 * the drive's name instead of resuming a transfer on the wrong disk.
 *
 * Loading trusts nothing: FIFO and buffer positions beyond their buffers
 * (QEMU's CVE-2013-4530 class), a drive select or head that indexes past
 * the arrays, a head past the mechanics' last cylinder, an unknown phase:
 * each fails the load with a message. */
#include "devices/fdc_priv.h"

#include <stdio.h>
#include <string.h>

#include "mem/sv.h"

static const char *const drive_names[FDC_DRIVES] = { "fda", "fdb" };

static const char *type_name(unsigned t)
{
    static const char *const names[] = { "no drive", "a 360K 5.25\" drive", "a 1.2M 5.25\" drive",
                                         "a 720K 3.5\" drive", "a 1.44M 3.5\" drive",
                                         "a 2.88M 3.5\" drive" };
    return t < sizeof(names) / sizeof(names[0]) ? names[t] : "an unknown drive";
}

static void describe_medium(char *out, size_t n, uint32_t size)
{
    const struct fdc_format *m = size ? fdc_format_for_size(size) : NULL;
    if (!size)
        snprintf(out, n, "no disk");
    else if (m && m->size == size)
        snprintf(out, n, "a %s disk", m->name);
    else
        snprintf(out, n, "a disk of %u bytes", (unsigned)size);
}

/* ---- save ---------------------------------------------------------------- */

void fdc_save(const struct fdc *f, struct sv_writer *w)
{
    /* The drives and media first, so that a mismatch is what a load over
     * other media reports. */
    for (unsigned d = 0; d < FDC_DRIVES; d++) {
        const struct fdc_drive *dv = &f->drive[d];
        sv_put_u8(w, dv->type);
        sv_put_u32(w, dv->format ? dv->format->size : 0);
    }
    sv_put_u8(w, f->dor);
    sv_put_u8(w, f->tdr);
    sv_put_u8(w, f->dsr);
    sv_put_u8(w, f->rate);
    sv_put_u8(w, (uint8_t)f->phase);
    sv_put_bytes(w, f->cmd, FDC_CMD_MAX);
    sv_put_u8(w, (uint8_t)f->cmd_len);
    sv_put_u8(w, (uint8_t)f->cmd_pos);
    sv_put_bytes(w, f->res, FDC_RES_MAX);
    sv_put_u8(w, (uint8_t)f->res_len);
    sv_put_u8(w, (uint8_t)f->res_pos);
    sv_put_u8(w, f->latch);

    const struct fdc_xfer *x = &f->x;
    const uint8_t xb[] = { x->op, x->ds, x->hd, x->c, x->h, x->r, x->n, x->eot, x->gpl, x->dtl,
                           x->st0, x->st1, x->st2, x->fill };
    sv_put_bytes(w, xb, sizeof(xb));
    sv_put_bool(w, x->mt);
    sv_put_bool(w, x->mfm);
    sv_put_bool(w, x->sk);
    sv_put_bool(w, x->pio);
    sv_put_u16(w, (uint16_t)x->sectors);
    sv_put_u8(w, (uint8_t)x->count);
    sv_put_bytes(w, f->buf, FDC_SECTOR_SIZE);
    sv_put_u16(w, (uint16_t)f->buf_pos);
    sv_put_u16(w, (uint16_t)f->buf_len);

    sv_put_u8(w, f->srt_hut);
    sv_put_u8(w, f->hlt_nd);
    sv_put_bool(w, f->eis);
    sv_put_bool(w, f->efifo);
    sv_put_bool(w, f->poll_off);
    sv_put_bool(w, f->lock);
    sv_put_u8(w, f->fifothr);
    sv_put_u8(w, f->pretrk);
    sv_put_u8(w, f->perp);

    sv_put_bytes(w, f->pcn, 4);
    sv_put_u8(w, f->busy);
    sv_put_u8(w, f->sense);
    sv_put_bytes(w, f->sense_st0, 4);
    for (unsigned d = 0; d < 4; d++)
        sv_put_u64(w, f->seek_due[d]);
    sv_put_bool(w, f->seek_int);
    sv_put_bool(w, f->result_int);
    sv_put_bool(w, f->pio_int);

    for (unsigned d = 0; d < FDC_DRIVES; d++) {
        const struct fdc_drive *dv = &f->drive[d];
        sv_put_u8(w, dv->cyl);
        sv_put_u8(w, dv->next_r);
        sv_put_bool(w, dv->changed);
    }
    sv_put_u64(w, f->exec_timer.deadline);
    sv_put_u64(w, f->seek_timer.deadline);
}

/* ---- load ---------------------------------------------------------------- */

static void load_identity(const struct fdc *f, struct sv_reader *r)
{
    for (unsigned d = 0; d < FDC_DRIVES && sv_ok(r); d++) {
        const struct fdc_drive *dv = &f->drive[d];
        uint8_t type = sv_get_u8(r);
        uint32_t size = sv_get_u32(r);
        uint32_t now = dv->format ? dv->format->size : 0;
        if (!sv_ok(r))
            return;
        if (type != dv->type) {
            sv_fail(r, "%s: saved with %s (CMOS type %u), this machine has %s (type %u)",
                    drive_names[d], type_name(type), type, type_name(dv->type), dv->type);
            return;
        }
        if (size != now) {
            char was[48], is[48];
            describe_medium(was, sizeof(was), size);
            describe_medium(is, sizeof(is), now);
            sv_fail(r, "%s: saved with %s, this machine has %s", drive_names[d], was, is);
            return;
        }
    }
}

/* The command and result FIFOs: positions inside their buffers, and a
 * partial command as long as its first byte says. */
static void load_fifo(struct fdc *f, struct sv_reader *r)
{
    sv_get_bytes(r, f->cmd, FDC_CMD_MAX);
    f->cmd_len = sv_get_max(r, 1, FDC_CMD_MAX, "command length");
    f->cmd_pos = sv_get_max(r, 1, f->cmd_len, "command FIFO position");
    if (f->cmd_pos)
        sv_check(r, f->phase == FDC_PHASE_CMD && f->cmd_pos < f->cmd_len &&
                        f->cmd_len == fdc_cmd_length(f->cmd[0]),
                 "partial command");
    sv_get_bytes(r, f->res, FDC_RES_MAX);
    f->res_len = sv_get_max(r, 1, FDC_RES_MAX, "result length");
    f->res_pos = sv_get_max(r, 1, f->res_len, "result FIFO position");
    if (f->phase == FDC_PHASE_RESULT)
        sv_check(r, f->res_pos < f->res_len, "result phase without a result byte left");
    f->latch = sv_get_u8(r);
}

static void load_xfer(struct fdc *f, struct sv_reader *r)
{
    struct fdc_xfer *x = &f->x;
    uint8_t xb[14];
    sv_get_bytes(r, xb, sizeof(xb));
    x->op = xb[0];
    x->ds = xb[1];
    x->hd = xb[2];
    x->c = xb[3];
    x->h = xb[4];
    x->r = xb[5];
    x->n = xb[6];
    x->eot = xb[7];
    x->gpl = xb[8];
    x->dtl = xb[9];
    x->st0 = xb[10];
    x->st1 = xb[11];
    x->st2 = xb[12];
    x->fill = xb[13];
    /* op is bits 4-0 of a command byte; ds indexes pcn[4]; hd is a side. */
    sv_check(r, x->op <= 0x1F, "data command code");
    sv_check(r, x->ds <= 3, "command drive select");
    sv_check(r, x->hd <= 1, "command head");
    x->mt = sv_get_bool(r);
    x->mfm = sv_get_bool(r);
    x->sk = sv_get_bool(r);
    x->pio = sv_get_bool(r);
    /* At most 256 sector IDs a side, two sides, before EOT ends it. */
    x->sectors = sv_get_max(r, 2, 512, "sectors done");
    x->count = sv_get_u8(r);
    sv_get_bytes(r, f->buf, FDC_SECTOR_SIZE);
    uint32_t pos = sv_get_u16(r);
    f->buf_len = sv_get_max(r, 2, FDC_SECTOR_SIZE, "sector buffer length");
    f->buf_pos = sv_check(r, pos <= f->buf_len, "sector buffer position") ? pos : 0;
}

void fdc_load(struct fdc *f, struct sv_reader *r, unsigned version)
{
    if (version != FDC_SV_VERSION) {
        sv_fail(r, "version %u, this Popek reads %u", version, FDC_SV_VERSION);
        return;
    }
    load_identity(f, r);
    f->dor = sv_get_u8(r);
    f->tdr = (uint8_t)sv_get_max(r, 1, 3, "TDR");
    f->dsr = (uint8_t)sv_get_max(r, 1, 0x7F, "DSR");
    f->rate = sv_get_u8(r);
    sv_check(r, f->rate == (f->dsr & FDC_RATE_MASK), "data rate (not the DSR's)");
    f->phase = (enum fdc_phase)sv_get_max(r, 1, FDC_PHASE_RESULT, "phase");
    load_fifo(f, r);
    load_xfer(f, r);

    f->srt_hut = sv_get_u8(r);
    f->hlt_nd = sv_get_u8(r);
    f->eis = sv_get_bool(r);
    f->efifo = sv_get_bool(r);
    f->poll_off = sv_get_bool(r);
    f->lock = sv_get_bool(r);
    f->fifothr = (uint8_t)sv_get_max(r, 1, 0x0F, "FIFO threshold");
    f->pretrk = sv_get_u8(r);
    f->perp = (uint8_t)sv_get_max(r, 1, 0x3F, "perpendicular mode");

    sv_get_bytes(r, f->pcn, 4);
    f->busy = (uint8_t)sv_get_max(r, 1, 0x0F, "seeking drives");
    f->sense = (uint8_t)sv_get_max(r, 1, 0x0F, "drives to sense");
    sv_get_bytes(r, f->sense_st0, 4);
    for (unsigned d = 0; d < 4; d++)
        f->seek_due[d] = sv_get_u64(r);
    f->seek_int = sv_get_bool(r);
    f->result_int = sv_get_bool(r);
    f->pio_int = sv_get_bool(r);

    for (unsigned d = 0; d < FDC_DRIVES; d++) {
        struct fdc_drive *dv = &f->drive[d];
        /* max_cyl follows from the type, which matched above. */
        dv->cyl = (uint8_t)sv_get_max(r, 1, dv->max_cyl, "head position");
        dv->next_r = sv_get_u8(r);
        dv->changed = sv_get_bool(r);
    }
    uint64_t exec_due = sv_get_u64(r), seek_due = sv_get_u64(r);
    if (f->clk) {
        /* The execution timer runs only for an execution phase. */
        sv_check(r, exec_due == CLOCK_NEVER || f->phase == FDC_PHASE_EXEC,
                 "execution timer outside the execution phase");
        f->exec_timer.deadline = exec_due;
        f->seek_timer.deadline = seek_due;
    }
    /* What IRQ 6 carries follows from the state; the interrupt controller
     * has its own saved copy of the level, so the line is not driven. */
    f->irq_level = fdc_irq_wanted(f);
}
