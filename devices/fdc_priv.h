/* What the floppy controller's two files share: devices/fdc.c (the
 * registers, phases, interrupt, timers and drives) and devices/fdc_cmd.c
 * (the command set).  The public interface is devices/fdc.h. */
#ifndef POPEK_DEVICES_FDC_PRIV_H
#define POPEK_DEVICES_FDC_PRIV_H

#include "devices/fdc.h"

/* The drive the DOR selects: the command's drive-select bits are internal
 * only (table 5-1, note), the drive on the cable is the DOR's.  NULL when
 * no drive is connected there. */
static inline struct fdc_drive *fdc_sel_drive(struct fdc *f)
{
    unsigned d = f->dor & FDC_DOR_SEL;
    return d < FDC_DRIVES && f->drive[d].type ? &f->drive[d] : NULL;
}

/* fdc.c: the phase machine, for the commands. */
/* The level IRQ 6 should have; fdc_update_irq drives it when it changed. */
bool fdc_irq_wanted(const struct fdc *f);
void fdc_update_irq(struct fdc *f);
/* Drive d's seek (or poll) ends in FDC_DELAY_NS with status st0. */
void fdc_start_seek_end(struct fdc *f, unsigned d, uint8_t st0, bool busy);
/* Enters the execution phase; fdc_cmd_exec runs when its delay is over. */
void fdc_start_exec(struct fdc *f);
/* Enters the result phase with r[0..n) (n 0: back to the command phase). */
void fdc_set_result(struct fdc *f, const uint8_t *r, unsigned n);
void fdc_result1(struct fdc *f, uint8_t v);

/* fdc_cmd.c: the commands, for the phase machine. */
/* The length of the command that starts with byte b, or 0 if invalid. */
unsigned fdc_cmd_length(uint8_t b);
/* The command bytes f->cmd[0..cmd_len) are in: runs the command, or
 * starts its execution phase. */
void fdc_cmd_execute(struct fdc *f);
/* The execution phase of the data command in f->x. */
void fdc_cmd_exec(struct fdc *f);
/* A FIFO byte outside the command and result phases: non-DMA data (or a
 * FORMAT ID) of the execution phase, else dropped (reads give the latch). */
void fdc_cmd_pio_write(struct fdc *f, uint8_t v);
uint8_t fdc_cmd_pio_read(struct fdc *f);
/* Whether the execution phase's data goes to the host (MSR DIO). */
bool fdc_cmd_data_to_host(const struct fdc *f);

#endif
