/* The PC's two cascaded 8259A programmable interrupt controllers (Intel
 * 8259A datasheet, order 231468) and the PIIX edge/level control registers
 * (ELCR, 82371AB datasheet 3.4.x).  The master sits at ports 0x20/0x21 and
 * drives the CPU's INTR line; the slave at 0xA0/0xA1 drives the master's
 * IR2.  ELCR1/ELCR2 at 0x4D0/0x4D1 make single inputs level triggered.
 * See docs/devices/pic.md. */
#ifndef POPEK_DEVICES_PIC_H
#define POPEK_DEVICES_PIC_H

#include <stdbool.h>
#include <stdint.h>

struct bus;
struct sv_reader;
struct sv_writer;

#define PIC_MASTER_PORT 0x20
#define PIC_SLAVE_PORT 0xA0
#define PIC_ELCR_PORT 0x4D0
#define PIC_CASCADE_IR 2 /* the master input the slave's INT is wired to */

/* ICW1 bits */
#define PIC_ICW1_IC4 0x01  /* ICW4 follows */
#define PIC_ICW1_SNGL 0x02 /* single: no ICW3, no cascade */
#define PIC_ICW1_ADI 0x04  /* call address interval (8080 mode only) */
#define PIC_ICW1_LTIM 0x08 /* every input level triggered */
#define PIC_ICW1_INIT 0x10 /* D4: this is ICW1 (on the command port) */
/* ICW4 bits */
#define PIC_ICW4_UPM 0x01  /* 8086/88 mode (0: MCS-80/85) */
#define PIC_ICW4_AEOI 0x02 /* automatic end of interrupt */
#define PIC_ICW4_MS 0x04   /* buffered mode: 1 master, 0 slave */
#define PIC_ICW4_BUF 0x08  /* buffered mode */
#define PIC_ICW4_SFNM 0x10 /* special fully nested mode */

/* One 8259A. */
struct pic_chip {
    uint8_t irr;       /* interrupt request register */
    uint8_t isr;       /* in-service register */
    uint8_t imr;       /* interrupt mask register (OCW1) */
    uint8_t lines;     /* the current level of each IR input */
    uint8_t elcr;      /* PIIX ELCR: inputs set here are level triggered */
    uint8_t icw1, icw2, icw3, icw4;
    uint8_t init_step; /* 0: initialized; 2, 3, 4: the ICW expected next */
    uint8_t lowest;    /* the input with the lowest priority (rotation) */
    bool read_isr;     /* OCW3 RIS: the command port reads ISR, else IRR */
    bool poll;         /* OCW3 P: the next read is a poll */
    bool special_mask; /* OCW3 SMM */
    bool rotate_aeoi;  /* OCW2 "rotate in automatic EOI mode" */
};

struct pic {
    struct pic_chip chip[2]; /* [0] master, [1] slave */
    bool intr;               /* the level last driven on INTR */
    void (*intr_fn)(void *opaque, bool level);
    void *intr_opaque;
};

/* Resets both chips and registers ports 0x20-0x21, 0xA0-0xA1 and
 * 0x4D0-0x4D1.  Returns 0 or -errno. */
int pic_init(struct pic *p, struct bus *bus);
/* Power-on state: both chips as the PC BIOS leaves them (vectors 0x08 and
 * 0x70, cascade on IR2, 8086 mode, edge triggered) but with every input
 * masked; ELCR 0.  Input levels are kept (the devices still drive them). */
void pic_reset(struct pic *p);
/* Drives input irq (0-15) to level; signature of struct irq_line's set.
 * Edge-triggered inputs latch a request on 0->1; level-triggered ones
 * follow the level.  irq 2 is the AT's IRQ2/9 redirection: it drives IRQ9.
 * Other numbers are ignored. */
void pic_set_irq(void *pic, int irq, bool level);
/* Where INTR goes; intr is called with the current level at once and then
 * on every change. */
void pic_set_output(struct pic *p, void (*intr)(void *opaque, bool level), void *opaque);
/* The INTA cycle: returns the vector and updates IRR/ISR; a request that
 * vanished yields the spurious vector (base+7 of the chip that answers). */
uint8_t pic_ack(void *pic);

/* Savestate (mem/sv.h): both chips' registers, the initialization step,
 * the input levels and the INTR level last driven.  pic_load rejects
 * another version and values a chip cannot hold; it touches nothing but
 * the struct (INTR is not re-driven: the CPU keeps its own line state). */
#define PIC_SV_VERSION 1
void pic_save(const struct pic *p, struct sv_writer *w);
void pic_load(struct pic *p, struct sv_reader *r, unsigned version);

#endif
