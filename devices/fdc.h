/* The PC's floppy disk controller: an Intel 82077AA (datasheet 290166) in
 * PC/AT mode at ports 0x3F0-0x3F5 and 0x3F7 (0x3F6 belongs to the IDE
 * controller), IRQ 6, DMA channel 2, with up to two drives (A:, B:) whose
 * media are block devices (disks/blockdev.h) holding raw sector images:
 * 160K to 2.88M, recognised by size.  Command, execution and result phases
 * through the FIFO as the datasheet's tables give them, DMA and non-DMA
 * (PIO) transfers, the polling interrupts after a reset, overlapped seeks,
 * the disk-change line.  Execution and seeks end after a short delay on the
 * virtual clock, so their interrupts come after the command is complete.
 * See docs/devices/fdc.md. */
#ifndef POPEK_DEVICES_FDC_H
#define POPEK_DEVICES_FDC_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/clock.h"
#include "devices/irq.h"

struct bus;
struct blockdev;
struct dma8237;
struct sv_writer;
struct sv_reader;

#define FDC_PORT 0x3F0      /* 0x3F0-0x3F5 and 0x3F7 are claimed */
#define FDC_IRQ 6
#define FDC_DMA_CHANNEL 2
#define FDC_DRIVES 2        /* drives 0 and 1 exist; 2 and 3 are not connected */
#define FDC_SECTOR_SIZE 512 /* N = 2: the only size a raw image holds */
#define FDC_CMD_MAX 9       /* the longest command */
#define FDC_RES_MAX 10      /* the longest result (DUMPREG) */
/* How long a command's execution, a seek and a reset's polling take. */
#define FDC_DELAY_NS 10000u

/* Port offsets from FDC_PORT */
#define FDC_SRA 0 /* read: status A (not in PC/AT mode: 0xFF) */
#define FDC_SRB 1
#define FDC_DOR 2 /* digital output register (read/write) */
#define FDC_TDR 3 /* tape drive register */
#define FDC_MSR 4 /* read: main status; write: data rate select (DSR) */
#define FDC_FIFO 5
#define FDC_DIR 7 /* read: digital input; write: configuration control (CCR) */

/* DOR */
#define FDC_DOR_SEL 0x03
#define FDC_DOR_NRESET 0x04 /* 0 holds the controller in reset */
#define FDC_DOR_DMAGATE 0x08 /* PC/AT mode: enables the INT and DRQ outputs */
#define FDC_DOR_MOTOR0 0x10

/* MSR */
#define FDC_MSR_BUSY_MASK 0x0F /* drive n is seeking */
#define FDC_MSR_CB 0x10        /* command in progress */
#define FDC_MSR_NDMA 0x20      /* execution phase in non-DMA mode */
#define FDC_MSR_DIO 0x40       /* 1: the host reads the FIFO */
#define FDC_MSR_RQM 0x80       /* the FIFO is ready */

/* DSR */
#define FDC_DSR_SWRESET 0x80
#define FDC_DSR_PDOWN 0x40
#define FDC_RATE_MASK 0x03
enum { FDC_RATE_500K = 0, FDC_RATE_300K = 1, FDC_RATE_250K = 2, FDC_RATE_1M = 3 };

#define FDC_DIR_DSKCHG 0x80

/* Status register bits */
#define FDC_ST0_DS 0x03
#define FDC_ST0_HD 0x04
#define FDC_ST0_EC 0x10
#define FDC_ST0_SE 0x20
#define FDC_ST0_ABNORMAL 0x40
#define FDC_ST0_INVALID 0x80
#define FDC_ST0_POLL 0xC0
#define FDC_ST1_MA 0x01
#define FDC_ST1_NW 0x02
#define FDC_ST1_ND 0x04
#define FDC_ST1_OR 0x10
#define FDC_ST1_DE 0x20
#define FDC_ST1_EN 0x80
#define FDC_ST2_DD 0x20
#define FDC_ST2_WC 0x10
#define FDC_ST3_HD 0x04
#define FDC_ST3_ONE 0x28 /* bits 5 and 3 read as 1 on the 82077AA */
#define FDC_ST3_T0 0x10
#define FDC_ST3_WP 0x40

/* A medium format: a raw image of cyls * heads * spt sectors of 512 bytes. */
struct fdc_format {
    uint32_t size;
    uint8_t cyls, heads, spt;
    uint8_t rate;       /* the data rate it is recorded at */
    uint8_t drive_type; /* the smallest drive (CMOS type) that reads it */
    const char *name;
};

struct fdc_drive {
    struct blockdev *blk;            /* the medium, or NULL (not owned) */
    const struct fdc_format *format; /* NULL without a medium */
    uint8_t type;     /* CMOS drive type: 0 = no drive */
    uint8_t max_cyl;  /* the last position the head can step to */
    uint8_t cyl;      /* where the head is */
    uint8_t next_r;   /* the sector ID that passes under the head next */
    bool changed;     /* the DSKCHG line */
};

enum fdc_phase { FDC_PHASE_CMD, FDC_PHASE_EXEC, FDC_PHASE_RESULT };

/* A data command being executed (READ/WRITE/VERIFY/FORMAT). */
struct fdc_xfer {
    uint8_t op;       /* command code, bits 4-0 */
    bool mt, mfm, sk, pio;
    uint8_t ds, hd;   /* drive select and head of the command */
    uint8_t c, h, r, n, eot, gpl, dtl;
    uint8_t st0, st1, st2;
    unsigned sectors; /* sectors done (VERIFY with EC, FORMAT) */
    unsigned count;   /* sectors to do (VERIFY with EC: SC; FORMAT: SC) */
    uint8_t fill;     /* FORMAT: the data pattern */
};

struct fdc {
    struct bus *bus;
    struct vclock *clk;   /* may be NULL: everything then completes at once */
    struct dma8237 *dma;  /* may be NULL: DMA transfers overrun */
    struct irq_line irq;
    struct vtimer exec_timer, seek_timer;
    bool irq_level;       /* what was last driven on IRQ 6 */

    uint8_t dor, tdr, dsr, rate;
    enum fdc_phase phase;
    uint8_t cmd[FDC_CMD_MAX];
    unsigned cmd_len, cmd_pos;
    uint8_t res[FDC_RES_MAX];
    unsigned res_len, res_pos;
    uint8_t latch;        /* the last byte moved through the FIFO */

    struct fdc_xfer x;
    uint8_t buf[FDC_SECTOR_SIZE]; /* PIO: the sector being moved */
    unsigned buf_pos, buf_len;

    /* SPECIFY, CONFIGURE, PERPENDICULAR MODE, LOCK */
    uint8_t srt_hut, hlt_nd;
    bool eis, efifo, poll_off, lock;
    uint8_t fifothr, pretrk, perp;

    uint8_t pcn[4];
    uint8_t busy;         /* drives seeking (MSR bits 0-3) */
    uint8_t sense;        /* drives with a seek-end or polling status to sense */
    uint8_t sense_st0[4];
    uint64_t seek_due[4]; /* when drive n's seek or poll ends; 0 = none */
    bool seek_int;        /* a seek ended or a reset polled; cleared by SENSE INTERRUPT */
    bool result_int;      /* result phase of a data command entered */
    bool pio_int;         /* non-DMA execution: data requested */

    struct fdc_drive drive[FDC_DRIVES];
};

/* Claims the ports, registers two timers on clk (if given), copies irq6
 * (may be NULL), and resets (DOR 0: the controller is held in reset until
 * the guest sets DOR bit 2).  Drives start with no type and no medium.
 * Returns 0 or -errno. */
int fdc_init(struct fdc *f, struct bus *bus, struct vclock *clk, struct dma8237 *dma,
             const struct irq_line *irq6);
/* Hardware reset of the controller (the drives keep their media and head
 * positions): DOR 0, 250 kbit/s, CONFIGURE/SPECIFY/LOCK defaults. */
void fdc_reset(struct fdc *f);
/* Inserts medium b into drive (0 or 1), or ejects with b NULL; the caller
 * keeps ownership of b.  The image size must be a known format; a drive
 * with no type yet takes the type of the first medium, a drive with one
 * must be able to read it.  Either way the disk-change line goes active.
 * Returns 0 or -EINVAL (with a message). */
int fdc_attach(struct fdc *f, unsigned drive, struct blockdev *b);
/* Gives an empty drive its CMOS type (1-5) or removes it (0; ejects).
 * Returns 0 or -EINVAL. */
int fdc_set_drive_type(struct fdc *f, unsigned drive, uint8_t type);
/* The CMOS drive type of a drive: 1 = 360K 5.25", 2 = 1.2M 5.25",
 * 3 = 720K 3.5", 4 = 1.44M 3.5", 5 = 2.88M 3.5", 0 = none.  CMOS byte 0x10
 * is fdc_cmos_type(f, 0) << 4 | fdc_cmos_type(f, 1). */
uint8_t fdc_cmos_type(const struct fdc *f, unsigned drive);
/* The format recognised for an image of size bytes, or NULL. */
const struct fdc_format *fdc_format_for_size(uint64_t size);

/* Savestate (devices/fdc_sv.c, streams in mem/sv.h): registers, phase,
 * FIFO contents and positions, the data command in flight and its sector
 * buffer, seeks, head positions, the timers' deadlines.  Not the media's
 * contents: each drive's type and disk format are saved instead, and a load
 * over others fails naming the drive ("fda: saved with a 1.44M disk, this
 * machine has a 720K disk").  fdc_load reads into the live struct and
 * touches nothing else (the timers get their deadlines, IRQ 6 is not
 * driven); nothing is left for a post-load step. */
#define FDC_SV_VERSION 1
void fdc_save(const struct fdc *f, struct sv_writer *w);
void fdc_load(struct fdc *f, struct sv_reader *r, unsigned version);

#endif
