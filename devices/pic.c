/* Dual 8259A interrupt controller and the PIIX ELCR (see pic.h).  Written
 * from the Intel 8259A datasheet (231468): the interrupt sequence, the
 * initialization (ICW1-ICW4) and operation (OCW1-OCW3) command words, and
 * the priority resolver with rotation, special mask and special fully
 * nested modes. */
#include "devices/pic.h"

#include <string.h>

#include "mem/bus.h"
#include "mem/sv.h"

/* ELCR bits that always read 0: IRQ0, 1, 2 (timer, keyboard, cascade) on
 * ELCR1; IRQ8 and IRQ13 (RTC, FPU) on ELCR2. */
static const uint8_t elcr_writable[2] = { 0xF8, 0xDE };

static bool is_master(const struct pic *p, const struct pic_chip *c)
{
    return c == &p->chip[0];
}

/* Inputs that are level triggered: all of them with ICW1 LTIM (as on a
 * discrete 8259A; the PIIX ignores LTIM), else those set in the ELCR. */
static uint8_t level_mask(const struct pic_chip *c)
{
    return (c->icw1 & PIC_ICW1_LTIM) ? 0xFF : c->elcr;
}

/* Whether master input ir has a slave on it (ICW3 in cascade mode). */
static bool has_slave(const struct pic_chip *m, int ir)
{
    return !(m->icw1 & PIC_ICW1_SNGL) && (m->icw3 & (1u << ir));
}

/* The priority resolver: the input to be serviced next, or -1.  Inputs are
 * scanned from the highest priority (lowest + 1) down; an in-service level
 * blocks itself and everything below it, except that in special mask mode
 * masked in-service levels are ignored, and in special fully nested mode a
 * master's slave input is not blocked by its own in-service bit. */
static int chip_best(const struct pic *p, const struct pic_chip *c)
{
    uint8_t req = c->irr & ~c->imr;
    if (!req)
        return -1;
    uint8_t isr = c->special_mask ? (uint8_t)(c->isr & ~c->imr) : c->isr;
    bool sfnm = is_master(p, c) && (c->icw4 & PIC_ICW4_SFNM);
    for (int i = 1; i <= 8; i++) {
        int ir = (c->lowest + i) & 7;
        uint8_t bit = (uint8_t)(1u << ir);
        if (isr & bit) {
            if (sfnm && has_slave(c, ir) && (req & bit))
                return ir;
            return -1;
        }
        if (req & bit)
            return ir;
    }
    return -1;
}

/* An IR input changes level. */
static void chip_input(struct pic_chip *c, int ir, bool level)
{
    uint8_t bit = (uint8_t)(1u << ir);
    if (level) {
        /* Edge triggered: a request latches on 0->1 and stays until the
         * INTA cycle takes it (pulses are not lost: see pic.md). */
        if ((level_mask(c) & bit) || !(c->lines & bit))
            c->irr |= bit;
        c->lines |= bit;
    } else {
        c->lines &= (uint8_t)~bit;
        if (level_mask(c) & bit)
            c->irr &= (uint8_t)~bit;
    }
}

/* Recomputes the slave's INT (the master's IR2 input) and INTR. */
static void pic_update(struct pic *p)
{
    chip_input(&p->chip[0], PIC_CASCADE_IR, chip_best(p, &p->chip[1]) >= 0);
    bool intr = chip_best(p, &p->chip[0]) >= 0;
    if (intr != p->intr) {
        p->intr = intr;
        if (p->intr_fn)
            p->intr_fn(p->intr_opaque, intr);
    }
}

/* First INTA (or a poll): the request moves from IRR to ISR.  A level input
 * still high requests again at once (the ISR bit holds it off). */
static void chip_service(struct pic_chip *c, int ir)
{
    uint8_t bit = (uint8_t)(1u << ir);
    c->isr |= bit;
    c->irr &= (uint8_t)~bit;
    if ((level_mask(c) & bit) && (c->lines & bit))
        c->irr |= bit;
}

/* End of the INTA sequence: automatic EOI, with rotation if asked. */
static void chip_end_ack(struct pic_chip *c, int ir)
{
    if (!(c->icw4 & PIC_ICW4_AEOI))
        return;
    c->isr &= (uint8_t)~(1u << ir);
    if (c->rotate_aeoi)
        c->lowest = (uint8_t)ir;
}

uint8_t pic_ack(void *opaque)
{
    struct pic *p = opaque;
    struct pic_chip *m = &p->chip[0], *s = &p->chip[1];
    int ir = chip_best(p, m);
    if (ir < 0) {
        /* The request went away before INTA: default IR7, no ISR bit. */
        return (uint8_t)((m->icw2 & 0xF8) | 7);
    }
    chip_service(m, ir);
    uint8_t vec;
    int sir = -1;
    if (has_slave(m, ir)) {
        /* The master puts ir on CAS0-2; the slave whose ID matches sends
         * the vector.  No slave with that ID: the bus floats. */
        if ((s->icw3 & 7) == ir) {
            sir = chip_best(p, s);
            if (sir < 0) {
                vec = (uint8_t)((s->icw2 & 0xF8) | 7); /* spurious IRQ15 */
            } else {
                chip_service(s, sir);
                vec = (uint8_t)((s->icw2 & 0xF8) | sir);
            }
        } else {
            vec = 0xFF;
        }
    } else {
        vec = (uint8_t)((m->icw2 & 0xF8) | ir);
    }
    /* INT drops while the ISR bits are set (an edge the master's IR2 sees
     * when the slave is in AEOI mode and has more requests). */
    pic_update(p);
    if (sir >= 0)
        chip_end_ack(s, sir);
    chip_end_ack(m, ir);
    pic_update(p);
    return vec;
}

/* The highest-priority in-service level a non-specific EOI clears; in
 * special mask mode masked levels are skipped.  -1 if none. */
static int chip_highest_isr(const struct pic_chip *c)
{
    uint8_t isr = c->special_mask ? (uint8_t)(c->isr & ~c->imr) : c->isr;
    for (int i = 1; i <= 8; i++) {
        int ir = (c->lowest + i) & 7;
        if (isr & (1u << ir))
            return ir;
    }
    return -1;
}

static void write_icw1(struct pic_chip *c, uint8_t val)
{
    /* Datasheet: edge sense reset, IMR cleared, IR7 lowest priority, slave
     * address 7, special mask off, status read IRR, ICW4 cleared if not
     * needed.  ISR and pending edge requests are dropped too. */
    c->icw1 = val;
    c->init_step = 2;
    c->imr = 0;
    c->isr = 0;
    c->irr = c->lines & level_mask(c);
    c->lowest = 7;
    c->icw3 = 7;
    c->special_mask = false;
    c->read_isr = false;
    c->poll = false;
    c->rotate_aeoi = false;
    if (!(val & PIC_ICW1_IC4))
        c->icw4 = 0;
}

static void write_ocw2(struct pic_chip *c, uint8_t val)
{
    int level = val & 7;
    switch (val >> 5) {
    case 0: /* rotate in automatic EOI mode (clear) */
        c->rotate_aeoi = false;
        break;
    case 4: /* rotate in automatic EOI mode (set) */
        c->rotate_aeoi = true;
        break;
    case 1: /* non-specific EOI */
    case 5: /* rotate on non-specific EOI */
        level = chip_highest_isr(c);
        if (level < 0)
            break;
        c->isr &= (uint8_t)~(1u << level);
        if (val & 0x80)
            c->lowest = (uint8_t)level;
        break;
    case 3: /* specific EOI */
        c->isr &= (uint8_t)~(1u << level);
        break;
    case 7: /* rotate on specific EOI */
        c->isr &= (uint8_t)~(1u << level);
        c->lowest = (uint8_t)level;
        break;
    case 6: /* set priority */
        c->lowest = (uint8_t)level;
        break;
    default: /* 2: no operation */
        break;
    }
}

static void write_ocw3(struct pic_chip *c, uint8_t val)
{
    if (val & 0x40) /* ESMM */
        c->special_mask = (val & 0x20) != 0;
    if (val & 0x02) /* RR */
        c->read_isr = (val & 0x01) != 0;
    c->poll = (val & 0x04) != 0;
}

static void chip_write(struct pic_chip *c, bool a0, uint8_t val)
{
    if (!a0) {
        if (val & PIC_ICW1_INIT)
            write_icw1(c, val);
        else if (val & 0x08)
            write_ocw3(c, val);
        else
            write_ocw2(c, val);
        return;
    }
    switch (c->init_step) {
    case 2:
        c->icw2 = val;
        if (!(c->icw1 & PIC_ICW1_SNGL))
            c->init_step = 3;
        else
            c->init_step = (c->icw1 & PIC_ICW1_IC4) ? 4 : 0;
        break;
    case 3:
        c->icw3 = val;
        c->init_step = (c->icw1 & PIC_ICW1_IC4) ? 4 : 0;
        break;
    case 4:
        c->icw4 = val & 0x1F;
        c->init_step = 0;
        break;
    default:
        c->imr = val; /* OCW1 */
        break;
    }
}

/* A read while a poll command is pending: the RD pulse acts as INTA.
 * Returns 0x80 | level, or 0 when nothing is requesting. */
static uint8_t chip_poll(struct pic *p, struct pic_chip *c)
{
    c->poll = false;
    int ir = chip_best(p, c);
    if (ir < 0)
        return 0;
    chip_service(c, ir);
    pic_update(p);
    chip_end_ack(c, ir);
    pic_update(p);
    return (uint8_t)(0x80 | ir);
}

static uint32_t pic_port_read(void *opaque, uint16_t port, unsigned size)
{
    struct pic *p = opaque;
    (void)size;
    struct pic_chip *c = &p->chip[(port & 0x80) ? 1 : 0];
    if (c->poll)
        return chip_poll(p, c);
    if (port & 1)
        return c->imr;
    return c->read_isr ? c->isr : c->irr;
}

static void pic_port_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct pic *p = opaque;
    (void)size;
    chip_write(&p->chip[(port & 0x80) ? 1 : 0], port & 1, (uint8_t)val);
    pic_update(p);
}

static uint32_t elcr_read(void *opaque, uint16_t port, unsigned size)
{
    struct pic *p = opaque;
    (void)size;
    return p->chip[port & 1].elcr;
}

static void elcr_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct pic *p = opaque;
    (void)size;
    struct pic_chip *c = &p->chip[port & 1];
    c->elcr = (uint8_t)val & elcr_writable[port & 1];
    /* Inputs now level triggered request as long as they are high; those
     * now edge triggered keep what they latched. */
    uint8_t lvl = level_mask(c);
    c->irr = (uint8_t)((c->irr & ~lvl) | (c->lines & lvl));
    pic_update(p);
}

static const struct io_ops pic_ops = {
    .read = pic_port_read,
    .write = pic_port_write,
    .sizes = 1,
};

static const struct io_ops elcr_ops = {
    .read = elcr_read,
    .write = elcr_write,
    .sizes = 1,
};

static void chip_reset(struct pic_chip *c, uint8_t base, uint8_t icw3)
{
    uint8_t lines = c->lines;
    memset(c, 0, sizeof(*c));
    c->lines = lines;
    c->icw1 = PIC_ICW1_INIT | PIC_ICW1_IC4;
    c->icw2 = base;
    c->icw3 = icw3;
    c->icw4 = PIC_ICW4_UPM;
    c->imr = 0xFF;
    c->lowest = 7;
}

void pic_reset(struct pic *p)
{
    chip_reset(&p->chip[0], 0x08, 1u << PIC_CASCADE_IR);
    chip_reset(&p->chip[1], 0x70, PIC_CASCADE_IR);
    pic_update(p);
}

int pic_init(struct pic *p, struct bus *bus)
{
    memset(p, 0, sizeof(*p));
    pic_reset(p);
    int rc = bus_io_register(bus, PIC_MASTER_PORT, 2, &pic_ops, p);
    if (rc == 0)
        rc = bus_io_register(bus, PIC_SLAVE_PORT, 2, &pic_ops, p);
    if (rc == 0)
        rc = bus_io_register(bus, PIC_ELCR_PORT, 2, &elcr_ops, p);
    return rc;
}

void pic_set_irq(void *opaque, int irq, bool level)
{
    struct pic *p = opaque;
    if (irq == PIC_CASCADE_IR)
        irq = 9; /* the AT routes the ISA bus's IRQ2 pin to IRQ9 */
    if (irq < 0 || irq > 15)
        return;
    chip_input(&p->chip[irq >> 3], irq & 7, level);
    pic_update(p);
}

void pic_set_output(struct pic *p, void (*intr)(void *opaque, bool level), void *opaque)
{
    p->intr_fn = intr;
    p->intr_opaque = opaque;
    if (intr)
        intr(opaque, p->intr);
}

/* ---- savestate ---- */

static void chip_save(const struct pic_chip *c, struct sv_writer *w)
{
    sv_put_u8(w, c->irr);
    sv_put_u8(w, c->isr);
    sv_put_u8(w, c->imr);
    sv_put_u8(w, c->lines);
    sv_put_u8(w, c->elcr);
    sv_put_u8(w, c->icw1);
    sv_put_u8(w, c->icw2);
    sv_put_u8(w, c->icw3);
    sv_put_u8(w, c->icw4);
    sv_put_u8(w, c->init_step);
    sv_put_u8(w, c->lowest);
    sv_put_bool(w, c->read_isr);
    sv_put_bool(w, c->poll);
    sv_put_bool(w, c->special_mask);
    sv_put_bool(w, c->rotate_aeoi);
}

void pic_save(const struct pic *p, struct sv_writer *w)
{
    for (unsigned i = 0; i < 2; i++)
        chip_save(&p->chip[i], w);
    sv_put_bool(w, p->intr);
}

static void chip_load(struct pic_chip *c, struct sv_reader *r, unsigned i)
{
    c->irr = sv_get_u8(r);
    c->isr = sv_get_u8(r);
    c->imr = sv_get_u8(r);
    c->lines = sv_get_u8(r);
    c->elcr = sv_get_u8(r);
    sv_check(r, !(c->elcr & ~elcr_writable[i]), "pic ELCR");
    c->icw1 = sv_get_u8(r);
    c->icw2 = sv_get_u8(r);
    c->icw3 = sv_get_u8(r);
    c->icw4 = (uint8_t)sv_get_max(r, 1, 0x1F, "pic ICW4");
    /* init_step picks the ICW the next data write goes to. */
    c->init_step = sv_get_u8(r);
    sv_check(r, c->init_step == 0 || (c->init_step >= 2 && c->init_step <= 4), "pic init_step");
    /* lowest is an IR number: the priority scans start from it. */
    c->lowest = (uint8_t)sv_get_max(r, 1, 7, "pic lowest-priority input");
    c->read_isr = sv_get_bool(r);
    c->poll = sv_get_bool(r);
    c->special_mask = sv_get_bool(r);
    c->rotate_aeoi = sv_get_bool(r);
}

void pic_load(struct pic *p, struct sv_reader *r, unsigned version)
{
    if (version != PIC_SV_VERSION) {
        sv_fail(r, "version %u, this Popek reads %u", version, PIC_SV_VERSION);
        return;
    }
    for (unsigned i = 0; i < 2; i++)
        chip_load(&p->chip[i], r, i);
    p->intr = sv_get_bool(r);
}
