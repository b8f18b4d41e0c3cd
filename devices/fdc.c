/* The 82077AA floppy disk controller in PC/AT mode (see fdc.h): its
 * registers and the phase machine that the command set runs on.  Written
 * from the Intel 82077AA datasheet (290166): the register set of section 2
 * (DOR, TDR, MSR/DSR, FIFO, DIR/CCR), the command, execution and result
 * phases as the MSR shows them, the resets by DOR bit 2 and DSR bit 7 with
 * drive polling after them (section 7.4), the interrupt, the execution and
 * seek timers on the virtual clock, and the drives with the media formats
 * they take.  What each command does is devices/fdc_cmd.c.
 *
 * Every index into the command and result buffers is checked against its
 * length, and a byte written in a phase that does not take one is
 * dropped. */
#include "devices/fdc_priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "disks/blockdev.h"
#include "mem/bus.h"

static const struct fdc_format formats[] = {
    { 163840, 40, 1, 8, FDC_RATE_250K, 1, "160K" },
    { 184320, 40, 1, 9, FDC_RATE_250K, 1, "180K" },
    { 327680, 40, 2, 8, FDC_RATE_250K, 1, "320K" },
    { 368640, 40, 2, 9, FDC_RATE_250K, 1, "360K" },
    { 737280, 80, 2, 9, FDC_RATE_250K, 3, "720K" },
    { 1228800, 80, 2, 15, FDC_RATE_500K, 2, "1.2M" },
    { 1474560, 80, 2, 18, FDC_RATE_500K, 4, "1.44M" },
    { 1720320, 80, 2, 21, FDC_RATE_500K, 4, "1.68M (DMF)" },
    { 1763328, 82, 2, 21, FDC_RATE_500K, 4, "1.72M" },
    { 2949120, 80, 2, 36, FDC_RATE_1M, 5, "2.88M" },
};

const struct fdc_format *fdc_format_for_size(uint64_t size)
{
    for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
        if (formats[i].size == size)
            return &formats[i];
    /* A short image (tools write only the sectors in use: GRUB's rescue
     * floppy is 1,296,384 bytes) is the smallest format that holds it, as
     * QEMU guesses; the sectors past its end read as errors. */
    const struct fdc_format *best = NULL;
    if (size >= 160 * 1024 && size % 512 == 0)
        for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++)
            if (formats[i].size > size && (!best || formats[i].size < best->size))
                best = &formats[i];
    return best;
}

/* Whether a drive of CMOS type t reads format m.  40-track media are read
 * in the 360K drive only (no double stepping in a 1.2M drive); a 3.5" drive
 * reads every 3.5" density up to its own. */
static bool drive_reads(uint8_t t, const struct fdc_format *m)
{
    switch (t) {
    case 1:
        return m->cyls == 40;
    case 2:
        return m->drive_type == 2;
    case 3:
        return m->drive_type == 3;
    case 4:
        return m->drive_type == 3 || m->drive_type == 4;
    case 5:
        return m->drive_type == 3 || m->drive_type == 4 || m->drive_type == 5;
    default:
        return false;
    }
}

/* ---- Interrupt ---- */

bool fdc_irq_wanted(const struct fdc *f)
{
    bool in_reset = !(f->dor & FDC_DOR_NRESET);
    return !in_reset && (f->dor & FDC_DOR_DMAGATE) && (f->result_int || f->pio_int || f->seek_int);
}

void fdc_update_irq(struct fdc *f)
{
    bool level = fdc_irq_wanted(f);
    if (level != f->irq_level) {
        f->irq_level = level;
        irq_set(&f->irq, level);
    }
}

/* ---- Timers ---- */

static void arm_seek_timer(struct fdc *f)
{
    uint64_t next = CLOCK_NEVER;
    for (unsigned d = 0; d < 4; d++)
        if (f->seek_due[d] && f->seek_due[d] < next)
            next = f->seek_due[d];
    if (next == CLOCK_NEVER)
        clock_timer_del(&f->seek_timer);
    else
        clock_timer_mod(&f->seek_timer, next);
}

/* Drive d's seek (or poll) ends in FDC_DELAY_NS with status st0. */
void fdc_start_seek_end(struct fdc *f, unsigned d, uint8_t st0, bool busy)
{
    f->sense_st0[d] = st0;
    if (busy)
        f->busy |= (uint8_t)(1u << d);
    if (!f->clk) {
        f->busy &= (uint8_t)~(1u << d);
        f->sense |= (uint8_t)(1u << d);
        f->seek_int = true;
        fdc_update_irq(f);
        return;
    }
    f->seek_due[d] = f->clk->now + FDC_DELAY_NS;
    arm_seek_timer(f);
}

static void seek_fired(void *opaque, uint64_t now)
{
    struct fdc *f = opaque;
    for (unsigned d = 0; d < 4; d++) {
        if (f->seek_due[d] && f->seek_due[d] <= now) {
            f->seek_due[d] = 0;
            f->busy &= (uint8_t)~(1u << d);
            f->sense |= (uint8_t)(1u << d);
            f->seek_int = true;
        }
    }
    arm_seek_timer(f);
    fdc_update_irq(f);
}

/* The execution phase's delay is over: the command runs (a non-DMA one
 * up to its first data request). */
static void exec_fired(void *opaque, uint64_t now)
{
    struct fdc *f = opaque;
    (void)now;
    if (f->phase != FDC_PHASE_EXEC)
        return;
    fdc_cmd_exec(f);
}

void fdc_start_exec(struct fdc *f)
{
    f->phase = FDC_PHASE_EXEC;
    if (f->clk)
        clock_timer_mod(&f->exec_timer, f->clk->now + FDC_DELAY_NS);
    else
        exec_fired(f, 0);
}

/* ---- Reset ---- */

/* The core's reset, by DOR bit 2 or DSR bit 7: the DOR, the data rate and
 * the drives are untouched; with LOCK set EFIFO, FIFOTHR and PRETRK keep
 * their values. */
static void core_reset(struct fdc *f)
{
    f->phase = FDC_PHASE_CMD;
    f->cmd_pos = f->cmd_len = 0;
    f->res_pos = f->res_len = 0;
    f->buf_pos = f->buf_len = 0;
    f->result_int = f->pio_int = f->seek_int = false;
    f->busy = f->sense = 0;
    memset(f->pcn, 0, sizeof(f->pcn));
    memset(f->seek_due, 0, sizeof(f->seek_due));
    memset(&f->x, 0, sizeof(f->x));
    if (f->clk) {
        clock_timer_del(&f->exec_timer);
        clock_timer_del(&f->seek_timer);
    }
    f->eis = false;
    f->poll_off = false;
    if (!f->lock) {
        f->efifo = true; /* FIFO disabled */
        f->fifothr = 0;
        f->pretrk = 0;
    }
    f->perp &= 0x3C; /* GAP and WGATE cleared, the drive bits kept */
    fdc_update_irq(f);
}

/* Leaving reset: with polling enabled, the first polling loop finds every
 * drive's (simulated) READY changed and interrupts (section 7.4). */
static void end_reset(struct fdc *f)
{
    if (f->poll_off)
        return;
    for (unsigned d = 0; d < 4; d++)
        fdc_start_seek_end(f, d, (uint8_t)(FDC_ST0_POLL | d), false);
}

void fdc_reset(struct fdc *f)
{
    f->dor = 0;
    f->tdr = 0;
    f->dsr = FDC_RATE_250K;
    f->rate = FDC_RATE_250K;
    f->lock = false;
    f->perp = 0;
    f->srt_hut = f->hlt_nd = 0;
    f->latch = 0;
    core_reset(f);
}

/* ---- Results ---- */

void fdc_set_result(struct fdc *f, const uint8_t *r, unsigned n)
{
    if (n > FDC_RES_MAX)
        n = FDC_RES_MAX;
    memcpy(f->res, r, n);
    f->res_len = n;
    f->res_pos = 0;
    f->phase = n ? FDC_PHASE_RESULT : FDC_PHASE_CMD;
}

void fdc_result1(struct fdc *f, uint8_t v)
{
    fdc_set_result(f, &v, 1);
}

/* ---- The FIFO ---- */

static void fifo_write(struct fdc *f, uint8_t v)
{
    if (!(f->dor & FDC_DOR_NRESET))
        return;
    f->latch = v;
    if (f->phase == FDC_PHASE_CMD) {
        if (f->cmd_pos == 0) {
            f->cmd_len = fdc_cmd_length(v);
            if (f->cmd_len == 0) {
                fdc_result1(f, FDC_ST0_INVALID);
                return;
            }
        }
        if (f->cmd_pos < f->cmd_len && f->cmd_len <= FDC_CMD_MAX)
            f->cmd[f->cmd_pos++] = v;
        if (f->cmd_pos >= f->cmd_len)
            fdc_cmd_execute(f);
        return;
    }
    fdc_cmd_pio_write(f, v);
}

static uint8_t fifo_read(struct fdc *f)
{
    if (!(f->dor & FDC_DOR_NRESET))
        return f->latch;
    if (f->phase == FDC_PHASE_RESULT) {
        if (f->res_pos < f->res_len && f->res_len <= FDC_RES_MAX)
            f->latch = f->res[f->res_pos++];
        /* The first result byte read clears a data command's interrupt. */
        if (f->result_int) {
            f->result_int = false;
            fdc_update_irq(f);
        }
        if (f->res_pos >= f->res_len) {
            f->phase = FDC_PHASE_CMD;
            f->res_pos = f->res_len = 0;
        }
        return f->latch;
    }
    return fdc_cmd_pio_read(f);
}

static uint8_t msr(const struct fdc *f)
{
    if (!(f->dor & FDC_DOR_NRESET))
        return 0;
    uint8_t v = f->busy & FDC_MSR_BUSY_MASK;
    switch (f->phase) {
    case FDC_PHASE_CMD:
        v |= FDC_MSR_RQM;
        if (f->cmd_pos)
            v |= FDC_MSR_CB;
        break;
    case FDC_PHASE_EXEC:
        v |= FDC_MSR_CB;
        if (f->x.pio && f->buf_len) {
            v |= FDC_MSR_RQM | FDC_MSR_NDMA;
            if (fdc_cmd_data_to_host(f))
                v |= FDC_MSR_DIO;
        }
        break;
    case FDC_PHASE_RESULT:
        v |= FDC_MSR_RQM | FDC_MSR_DIO | FDC_MSR_CB;
        break;
    }
    return v;
}

/* ---- Ports ---- */

static uint32_t fdc_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct fdc *f = opaque;
    const struct fdc_drive *dv;
    (void)size;
    switch (port - FDC_PORT) {
    case FDC_DOR:
        return f->dor;
    case FDC_TDR:
        return 0xFC | (f->tdr & 3); /* bits 7-2 not driven in PC/AT mode */
    case FDC_MSR:
        return msr(f);
    case FDC_FIFO:
        return fifo_read(f);
    case FDC_DIR:
        /* Bit 7 is the selected drive's DSKCHG; bits 6-0 are not driven. */
        dv = fdc_sel_drive(f);
        return 0x7F | (dv && dv->changed ? FDC_DIR_DSKCHG : 0);
    default: /* SRA, SRB: PS/2 mode only */
        return 0xFF;
    }
}

static void fdc_io_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct fdc *f = opaque;
    uint8_t v = (uint8_t)val;
    (void)size;
    switch (port - FDC_PORT) {
    case FDC_DOR: {
        uint8_t old = f->dor;
        f->dor = v;
        if (!(v & FDC_DOR_NRESET))
            core_reset(f);
        else if (!(old & FDC_DOR_NRESET))
            end_reset(f);
        fdc_update_irq(f);
        break;
    }
    case FDC_TDR:
        f->tdr = v & 3;
        break;
    case FDC_MSR: /* DSR */
        f->dsr = v & 0x7F;
        f->rate = v & FDC_RATE_MASK;
        if ((v & FDC_DSR_SWRESET) && (f->dor & FDC_DOR_NRESET)) {
            core_reset(f);
            end_reset(f);
        }
        break;
    case FDC_FIFO:
        fifo_write(f, v);
        break;
    case FDC_DIR: /* CCR */
        f->rate = v & FDC_RATE_MASK;
        f->dsr = (uint8_t)((f->dsr & ~FDC_RATE_MASK) | f->rate);
        break;
    default:
        break;
    }
}

static const struct io_ops fdc_io_ops = {
    .read = fdc_io_read,
    .write = fdc_io_write,
    .sizes = 1,
};

/* ---- Life cycle and drives ---- */

int fdc_init(struct fdc *f, struct bus *bus, struct vclock *clk, struct dma8237 *dma,
             const struct irq_line *irq6)
{
    memset(f, 0, sizeof(*f));
    f->bus = bus;
    f->clk = clk;
    f->dma = dma;
    if (irq6)
        f->irq = *irq6;
    if (clk && (clock_timer_init(clk, &f->exec_timer, exec_fired, f) < 0 ||
                clock_timer_init(clk, &f->seek_timer, seek_fired, f) < 0)) {
        fprintf(stderr, "fdc: no free timer on the virtual clock\n");
        return -ENOSPC;
    }
    fdc_reset(f);
    for (unsigned d = 0; d < FDC_DRIVES; d++)
        f->drive[d].changed = true;
    int rc = bus_io_register(bus, FDC_PORT, 6, &fdc_io_ops, f);
    if (rc == 0)
        rc = bus_io_register(bus, FDC_PORT + FDC_DIR, 1, &fdc_io_ops, f);
    if (rc < 0) {
        fprintf(stderr, "fdc: cannot claim ports 0x3F0-0x3F7: %s\n", strerror(-rc));
        return rc;
    }
    return 0;
}

static void set_type(struct fdc_drive *dv, uint8_t type)
{
    dv->type = type;
    dv->max_cyl = type == 1 ? 41 : 83;
    if (dv->cyl > dv->max_cyl)
        dv->cyl = dv->max_cyl;
}

int fdc_set_drive_type(struct fdc *f, unsigned drive, uint8_t type)
{
    if (drive >= FDC_DRIVES || type > 5) {
        fprintf(stderr, "fdc: no drive %u of type %u\n", drive, type);
        return -EINVAL;
    }
    struct fdc_drive *dv = &f->drive[drive];
    if (type && dv->format && !drive_reads(type, dv->format)) {
        fprintf(stderr, "fdc: a drive of type %u cannot read the %s disk in drive %u\n", type,
                dv->format->name, drive);
        return -EINVAL;
    }
    if (type == 0) {
        dv->blk = NULL;
        dv->format = NULL;
    }
    set_type(dv, type);
    return 0;
}

int fdc_attach(struct fdc *f, unsigned drive, struct blockdev *b)
{
    if (drive >= FDC_DRIVES) {
        fprintf(stderr, "fdc: no drive %u (there are %u)\n", drive, FDC_DRIVES);
        return -EINVAL;
    }
    struct fdc_drive *dv = &f->drive[drive];
    if (!b) {
        dv->blk = NULL;
        dv->format = NULL;
        dv->changed = true;
        return 0;
    }
    const struct fdc_format *m = fdc_format_for_size(b->size);
    if (!m) {
        fprintf(stderr,
                "fdc: %s: %llu bytes is not a floppy image size (160K, 180K, 320K, 360K, 720K, "
                "1.2M, 1.44M, 1.68M, 1.72M, 2.88M)\n",
                b->name, (unsigned long long)b->size);
        return -EINVAL;
    }
    if (!dv->type)
        set_type(dv, m->drive_type);
    else if (!drive_reads(dv->type, m)) {
        fprintf(stderr, "fdc: %s: a drive of CMOS type %u cannot read a %s disk\n", b->name,
                dv->type, m->name);
        return -EINVAL;
    }
    dv->blk = b;
    dv->format = m;
    dv->next_r = 1;
    dv->changed = true;
    return 0;
}

uint8_t fdc_cmos_type(const struct fdc *f, unsigned drive)
{
    return drive < FDC_DRIVES ? f->drive[drive].type : 0;
}
