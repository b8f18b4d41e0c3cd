/* ACPI PM1 event/control blocks, PM timer and GPE0 (see acpi_pm.h). */
#include "devices/acpi_pm.h"

#include <errno.h>
#include <string.h>

#include "mem/bus.h"
#include "mem/sv.h"

#define NS_PER_S 1000000000u

/* Timer ticks since time 0: exact floor(now * f / 1e9) without overflow. */
static uint64_t ticks_at(uint64_t ns)
{
    return (ns / NS_PER_S) * ACPI_PM_TIMER_HZ +
           (ns % NS_PER_S) * ACPI_PM_TIMER_HZ / NS_PER_S;
}

/* The first time at which ticks_at() reaches t: ceil(t * 1e9 / f). */
static uint64_t time_of_tick(uint64_t t)
{
    uint64_t q = t / ACPI_PM_TIMER_HZ, r = t % ACPI_PM_TIMER_HZ;
    return q * NS_PER_S + (r * NS_PER_S + ACPI_PM_TIMER_HZ - 1) / ACPI_PM_TIMER_HZ;
}

static unsigned top_bit(const struct acpi_pm *pm)
{
    return pm->timer_32bit ? 31 : 23;
}

uint32_t acpi_pm_timer(const struct acpi_pm *pm)
{
    uint64_t t = ticks_at(pm->clk->now);
    return pm->timer_32bit ? (uint32_t)t : (uint32_t)t & 0xFFFFFF;
}

static void update_sci(struct acpi_pm *pm)
{
    bool level = (pm->cnt & ACPI_PM1_CNT_SCI_EN) &&
                 ((pm->sts & pm->en) || (pm->gpe_sts & pm->gpe_en));
    if (level == pm->sci_level)
        return;
    pm->sci_level = level;
    irq_set(&pm->sci, level);
}

/* Arms the timer for the next flip of the counter's top bit, which sets
 * TMR_STS (ACPI 1.0b 4.7.2.1: the bit is set on every change of the MSB). */
static void arm_timer(struct acpi_pm *pm, uint64_t now)
{
    uint64_t half = 1ull << top_bit(pm);
    uint64_t next = (ticks_at(now) / half + 1) * half;
    clock_timer_mod(&pm->tmr, time_of_tick(next));
}

static void timer_fired(void *opaque, uint64_t now)
{
    struct acpi_pm *pm = opaque;
    pm->sts |= ACPI_PM1_TMR;
    update_sci(pm);
    arm_timer(pm, now);
}

static uint8_t read_byte(struct acpi_pm *pm, unsigned off, uint32_t tmr)
{
    switch (off) {
    case ACPI_PM1_STS: return (uint8_t)pm->sts;
    case ACPI_PM1_STS + 1: return (uint8_t)(pm->sts >> 8);
    case ACPI_PM1_EN: return (uint8_t)pm->en;
    case ACPI_PM1_EN + 1: return (uint8_t)(pm->en >> 8);
    case ACPI_PM1_CNT: return (uint8_t)pm->cnt;
    case ACPI_PM1_CNT + 1: return (uint8_t)(pm->cnt >> 8);
    case ACPI_PM_TMR: case ACPI_PM_TMR + 1: case ACPI_PM_TMR + 2: case ACPI_PM_TMR + 3:
        return (uint8_t)(tmr >> (8 * (off - ACPI_PM_TMR)));
    case ACPI_GPE0_STS: return (uint8_t)pm->gpe_sts;
    case ACPI_GPE0_STS + 1: return (uint8_t)(pm->gpe_sts >> 8);
    case ACPI_GPE0_EN: return (uint8_t)pm->gpe_en;
    case ACPI_GPE0_EN + 1: return (uint8_t)(pm->gpe_en >> 8);
    default: return 0; /* processor, global and device registers: not modelled */
    }
}

/* Writes one byte; returns true if it set SLP_EN. */
static bool write_byte(struct acpi_pm *pm, unsigned off, uint8_t b)
{
    unsigned sh = 8 * (off & 1);
    uint16_t v = (uint16_t)(b << sh), lane = (uint16_t)(0xFF << sh);
    switch (off & ~1u) {
    case ACPI_PM1_STS:
        pm->sts &= (uint16_t)~(v & ACPI_PM1_STS_MASK);
        break;
    case ACPI_PM1_EN:
        pm->en = (uint16_t)((pm->en & ~lane) | (v & ACPI_PM1_EN_MASK));
        break;
    case ACPI_PM1_CNT: {
        const uint16_t rw = ACPI_PM1_CNT_SCI_EN | ACPI_PM1_CNT_BM_RLD | ACPI_PM1_CNT_SLP_TYP;
        pm->cnt = (uint16_t)((pm->cnt & ~(lane & rw)) | (v & rw));
        return v & ACPI_PM1_CNT_SLP_EN;
    }
    case ACPI_GPE0_STS:
        pm->gpe_sts &= (uint16_t)~v;
        break;
    case ACPI_GPE0_EN:
        pm->gpe_en = (uint16_t)((pm->gpe_en & ~lane) | v);
        break;
    default:
        break; /* the timer is read-only; the rest is not modelled */
    }
    return false;
}

static uint32_t pm_read(void *opaque, uint16_t port, unsigned size)
{
    struct acpi_pm *pm = opaque;
    uint32_t tmr = acpi_pm_timer(pm), v = 0;
    for (unsigned i = 0; i < size; i++) {
        uint16_t p = (uint16_t)(port + i);
        unsigned off = (uint16_t)(p - pm->base);
        uint8_t b = off < ACPI_PM_LEN ? read_byte(pm, off, tmr) : (uint8_t)bus_in(pm->bus, p, 1);
        v |= (uint32_t)b << (8 * i);
    }
    return v;
}

static void pm_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct acpi_pm *pm = opaque;
    bool sleep = false;
    for (unsigned i = 0; i < size; i++) {
        uint16_t p = (uint16_t)(port + i);
        unsigned off = (uint16_t)(p - pm->base);
        uint8_t b = (uint8_t)(val >> (8 * i));
        if (off < ACPI_PM_LEN)
            sleep |= write_byte(pm, off, b);
        else
            bus_out(pm->bus, p, b, 1);
    }
    update_sci(pm);
    if (sleep) {
        unsigned typ = (pm->cnt & ACPI_PM1_CNT_SLP_TYP) >> ACPI_PM1_CNT_SLP_TYP_SHIFT;
        /* Only soft off is declared in the DSDT; the PIIX4's suspend types
         * (STR, POSCL, POSCCL) and "working" are ignored. */
        if (typ == ACPI_PM_SLP_TYP_S5 && pm->power_off)
            pm->power_off(pm->opaque);
    }
}

static const struct io_ops pm_ops = {
    .read = pm_read,
    .write = pm_write,
    .sizes = 1 | 2 | 4,
};

void acpi_pm_map(struct acpi_pm *pm, uint16_t base, bool enable)
{
    base &= (uint16_t)~(ACPI_PM_LEN - 1);
    if (pm->mapped && (!enable || base != pm->base)) {
        bus_io_unregister(pm->bus, pm->base, ACPI_PM_LEN, &pm_ops, pm);
        pm->mapped = false;
    }
    if (enable && !pm->mapped && base != 0) {
        /* A base over another device's ports would make two decoders
         * answer; the device already there wins and the block stays off,
         * so the other device still works when the guest fixes PMBA. */
        for (unsigned i = 0; i < ACPI_PM_LEN; i++)
            if (pm->bus->io[(uint16_t)(base + i)].ops)
                return;
        pm->base = base;
        pm->mapped = bus_io_register(pm->bus, base, ACPI_PM_LEN, &pm_ops, pm) == 0;
    }
}

void acpi_pm_reset(struct acpi_pm *pm)
{
    pm->sts = 0;
    pm->en = 0;
    pm->cnt = pm->acpi_mode ? ACPI_PM1_CNT_SCI_EN : 0;
    pm->gpe_sts = 0;
    pm->gpe_en = 0;
    update_sci(pm);
}

void acpi_pm_power_button(struct acpi_pm *pm)
{
    pm->sts |= ACPI_PM1_PWRBTN;
    update_sci(pm);
}

void acpi_pm_set_gpe(struct acpi_pm *pm, unsigned n)
{
    if (n < 16)
        pm->gpe_sts |= (uint16_t)(1u << n);
    update_sci(pm);
}

int acpi_pm_init(struct acpi_pm *pm, struct bus *bus, struct vclock *clk,
                 const struct irq_line *sci, void (*power_off)(void *opaque), void *opaque,
                 bool acpi_mode, bool timer_32bit)
{
    memset(pm, 0, sizeof(*pm));
    pm->bus = bus;
    pm->clk = clk;
    if (sci)
        pm->sci = *sci;
    pm->power_off = power_off;
    pm->opaque = opaque;
    pm->acpi_mode = acpi_mode;
    pm->timer_32bit = timer_32bit;
    if (clock_timer_init(clk, &pm->tmr, timer_fired, pm) < 0)
        return -ENOSPC;
    arm_timer(pm, clk->now);
    acpi_pm_reset(pm);
    return 0;
}

void acpi_pm_save(const struct acpi_pm *pm, struct sv_writer *w)
{
    sv_put_u16(w, pm->sts);
    sv_put_u16(w, pm->en);
    sv_put_u16(w, pm->cnt);
    sv_put_u16(w, pm->gpe_sts);
    sv_put_u16(w, pm->gpe_en);
    sv_put_bool(w, pm->sci_level);
    sv_put_u64(w, pm->tmr.deadline);
}

void acpi_pm_load(struct acpi_pm *pm, struct sv_reader *r, unsigned version)
{
    if (version != ACPI_PM_SV_VERSION) {
        sv_fail(r, "version %u, this Popek reads %u", version, ACPI_PM_SV_VERSION);
        return;
    }
    const uint16_t cnt_bits = ACPI_PM1_CNT_SCI_EN | ACPI_PM1_CNT_BM_RLD | ACPI_PM1_CNT_SLP_TYP;
    pm->sts = sv_get_u16(r);
    sv_check(r, !(pm->sts & ~ACPI_PM1_STS_MASK), "acpi PM1 status");
    pm->en = sv_get_u16(r);
    sv_check(r, !(pm->en & ~ACPI_PM1_EN_MASK), "acpi PM1 enable");
    pm->cnt = sv_get_u16(r);
    sv_check(r, !(pm->cnt & ~cnt_bits), "acpi PM1 control");
    pm->gpe_sts = sv_get_u16(r);
    pm->gpe_en = sv_get_u16(r);
    pm->sci_level = sv_get_bool(r);
    pm->tmr.deadline = sv_get_u64(r);
}
