/* The PC's 8254 programmable interval timer (Intel 8254 datasheet, order
 * 231164) at ports 0x40-0x43, clocked at 1.193182 MHz, and the PIT's side
 * of system control port B (0x61): channel 2's gate and the speaker enable,
 * channel 2's output and the refresh toggle that channel 1 drives.
 *
 * Counters are computed lazily from the virtual clock: each channel keeps
 * the clock edge it was last brought up to date at and its state there, and
 * is advanced in closed form when a port is touched.  Only channel 0, whose
 * output is IRQ0, has a vtimer, armed for its next OUT transition.
 * See docs/devices/pit.md. */
#ifndef POPEK_DEVICES_PIT_H
#define POPEK_DEVICES_PIT_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/clock.h"
#include "devices/irq.h"

struct bus;
struct sv_reader;
struct sv_writer;

#define PIT_PORT 0x40
#define PIT_PORT_B 0x61
#define PIT_HZ 1193182u

/* Port 0x61 bits */
#define PIT_B_GATE2 0x01   /* channel 2 gate */
#define PIT_B_SPEAKER 0x02 /* speaker data enable (ANDed with OUT2) */
#define PIT_B_REFRESH 0x10 /* toggles on every channel 1 OUT rising edge */
#define PIT_B_OUT2 0x20    /* channel 2 OUT */

struct pit_channel {
    /* Programming */
    uint8_t ctrl;        /* control word bits 5-0 (RW, M, BCD): status */
    uint8_t mode;        /* 0-5 (6 and 7 are 2 and 3) */
    uint16_t cr;         /* count register, as written */
    bool null_count;     /* CR written, not yet moved to the counter */
    bool count_written;  /* a count was written since the control word */
    bool write_msb;      /* LSB/MSB access: the next write is the MSB */
    uint8_t write_lsb;
    bool read_msb;       /* LSB/MSB access: the next read is the MSB */
    bool count_latched;  /* counter latch: ol holds the count to read */
    uint16_t ol;
    bool status_latched; /* read-back: status holds the status byte */
    uint8_t status;
    bool gate;
    /* Counting */
    uint64_t tick;       /* the clock edge the state below is at */
    bool load_pending;   /* the next edge loads CR into the counter */
    bool running;        /* the counter holds a loaded count */
    uint16_t start;      /* the count loaded (raw: binary or BCD) */
    uint64_t pos;        /* edges counted since the load / in the period */
    uint16_t idle_ce;    /* the counter while not running */
    bool out;
    uint64_t rises;      /* OUT rising edges so far */
};

struct pit {
    struct pit_channel ch[3];
    struct vclock *clk;
    struct irq_line irq0;
    bool irq_level;      /* what was last driven on IRQ0 */
    struct vtimer timer; /* channel 0's next OUT transition */
    uint64_t timer_tick; /* the edge the timer is armed for */
    uint8_t port_b;      /* port 0x61 bits 0-3, 6, 7 as written */
    /* The speaker: on when port 0x61 bits 0 and 1 are set and channel 2
     * runs a square wave (mode 3) or rate generator (mode 2); freq in mHz. */
    bool speaker_on;
    uint32_t speaker_mhz;
};

/* Registers ports 0x40-0x43 and 0x61 and a timer on clk, and resets.  irq0
 * (copied; may be NULL) receives channel 0's OUT.  Returns 0 or -errno. */
int pit_init(struct pit *p, struct bus *bus, struct vclock *clk, const struct irq_line *irq0);
/* Power-on state: every channel as after control word "mode 3, LSB then
 * MSB, binary" with no count (OUT high, not counting); gates of channels 0
 * and 1 high; port 0x61 zero (channel 2 gate low, speaker off). */
void pit_reset(struct pit *p);
/* Drives a channel's GATE input (channel 2's is port 0x61 bit 0; on the PC
 * those of channels 0 and 1 are tied high). */
void pit_set_gate(struct pit *p, int ch, bool level);
/* Clock edges (at PIT_HZ) elapsed by time ns, and the time of edge k. */
uint64_t pit_ns_to_ticks(uint64_t ns);
uint64_t pit_ticks_to_ns(uint64_t k);

/* Savestate (mem/sv.h): every channel's programming, latches and counting
 * state, IRQ0's level, port 0x61 and channel 0's timer (its deadline and
 * the edge it is armed for).  The speaker fields are recomputed. */
#define PIT_SV_VERSION 1
void pit_save(const struct pit *p, struct sv_writer *w);
void pit_load(struct pit *p, struct sv_reader *r, unsigned version);

#endif
