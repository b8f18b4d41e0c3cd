/* The P6 local APIC (see lapic.h), from the Intel SDM vol. 3A chapter 10:
 * 10.4 (enabling, the register map, the state after reset), 10.5 (the LVT,
 * the ESR, the timer), 10.6 (the ICR and destinations), 10.8 (acceptance,
 * TPR/PPR/APR, EOI, the spurious vector) and 10.9 (software disable). */
#include "devices/lapic.h"

#include <errno.h>
#include <string.h>

#include "mem/bus.h"
#include "mem/sv.h"

/* The bits of each LVT entry software can write (the rest read 0, or are
 * read-only status): timer: vector, mask, periodic; performance counter:
 * vector, delivery mode, mask; LINT0/1: vector, delivery mode, polarity,
 * trigger mode, mask; error: vector, mask. */
static const uint32_t lvt_writable[LVT_N] = {
    [LVT_TIMER] = 0x000300FFu,
    [LVT_PERF] = 0x000107FFu,
    [LVT_LINT0] = 0x0001A7FFu,
    [LVT_LINT1] = 0x0001A7FFu,
    [LVT_ERROR] = 0x000100FFu,
};

#define ICR_LO_WRITABLE 0x000CCFFFu /* vector, mode, dest mode, level, trigger, shorthand */

/* --- bit arrays ------------------------------------------------------- */

static bool vec_test(const uint32_t *a, unsigned v)
{
    return (a[v >> 5] >> (v & 31)) & 1;
}

static void vec_set(uint32_t *a, unsigned v)
{
    a[v >> 5] |= 1u << (v & 31);
}

static void vec_clear(uint32_t *a, unsigned v)
{
    a[v >> 5] &= ~(1u << (v & 31));
}

/* The highest vector set, or -1. */
static int vec_highest(const uint32_t *a)
{
    for (int i = 7; i >= 0; i--)
        if (a[i])
            return i * 32 + 31 - __builtin_clz(a[i]);
    return -1;
}

/* --- state ------------------------------------------------------------ */

static bool sw_enabled(const struct lapic *a)
{
    return (a->svr & LAPIC_SVR_ENABLE) != 0;
}

/* Globally and software enabled: the LVT and the IRR are in charge.
 * Otherwise LINT0/LINT1 are the plain INTR/NMI pins. */
static bool active(const struct lapic *a)
{
    return a->hw_enabled && sw_enabled(a);
}

static unsigned lvt_mode(uint32_t lvt)
{
    return (lvt & LAPIC_DM_MASK) >> LAPIC_DM_SHIFT;
}

/* PPR (10.8.3.1): the TPR, or the class of the highest in-service vector
 * if that is higher. */
static uint32_t lapic_ppr(const struct lapic *a)
{
    int isrv = vec_highest(a->isr);
    uint32_t isr_class = isrv < 0 ? 0 : (uint32_t)isrv & 0xF0;
    return (a->tpr & 0xF0) >= isr_class ? a->tpr : isr_class;
}

/* APR (P6/Pentium only): the priority used in lowest-priority arbitration. */
static uint32_t lapic_apr(const struct lapic *a)
{
    int irrv = vec_highest(a->irr), isrv = vec_highest(a->isr);
    uint32_t t = a->tpr >> 4, ir = irrv < 0 ? 0 : (uint32_t)irrv >> 4;
    uint32_t is = isrv < 0 ? 0 : (uint32_t)isrv >> 4;
    if (t >= ir && t > is)
        return a->tpr;
    uint32_t m = t > ir ? t : ir;
    return (m > is ? m : is) << 4;
}

/* LINT0 in ExtINT mode with the 8259's INTR asserted. */
static bool lint0_extint(const struct lapic *a)
{
    uint32_t l = a->lvt[LVT_LINT0];
    return a->lint[0] && !(l & LAPIC_MASKED) && lvt_mode(l) == APIC_DM_EXTINT;
}

static bool intr_level(const struct lapic *a)
{
    if (!active(a))
        return a->lint[0]; /* virtual wire: the PIC's INTR as is */
    if (a->extint_pending || lint0_extint(a))
        return true;
    int v = vec_highest(a->irr);
    return v >= 0 && ((uint32_t)v & 0xF0) > (lapic_ppr(a) & 0xF0);
}

static void update_intr(struct lapic *a)
{
    bool level = intr_level(a);
    if (level != a->intr) {
        a->intr = level;
        if (a->intr_fn)
            a->intr_fn(a->intr_opaque, level);
    }
}

static void raise_nmi(struct lapic *a)
{
    if (a->nmi_fn)
        a->nmi_fn(a->nmi_opaque);
}

static void lapic_error(struct lapic *a, uint32_t bits);

/* Acceptance of a fixed interrupt into the IRR (10.8.2): the TMR records
 * its trigger mode.  A vector already pending is merged with it. */
static bool accept(struct lapic *a, unsigned vector, bool level)
{
    if (!active(a))
        return false;
    vector &= 0xFF;
    if (vector < 16) {
        lapic_error(a, LAPIC_ESR_RECV_ILLEGAL);
        return true;
    }
    vec_set(a->irr, vector);
    if (level)
        vec_set(a->tmr, vector);
    else
        vec_clear(a->tmr, vector);
    update_intr(a);
    return true;
}

/* An internal error (10.5.3): latched until the next ESR write, and
 * signalled through LVT error once per newly set bit. */
static void lapic_error(struct lapic *a, uint32_t bits)
{
    uint32_t fresh = bits & ~a->esr_pending;
    a->esr_pending |= bits;
    if (fresh && !(a->lvt[LVT_ERROR] & LAPIC_MASKED))
        accept(a, a->lvt[LVT_ERROR] & LAPIC_VECTOR, false);
}

/* A local delivery (LVT, self IPI, message): what the delivery mode does. */
static bool deliver(struct lapic *a, unsigned mode, unsigned vector, bool level)
{
    switch (mode) {
    case APIC_DM_FIXED:
    case APIC_DM_LOWEST:
        return accept(a, vector, level);
    case APIC_DM_NMI:
        raise_nmi(a);
        return true;
    case APIC_DM_EXTINT:
        if (!active(a))
            return false;
        a->extint_pending = true;
        update_intr(a);
        return true;
    default:
        /* SMI, INIT, start-up: taken off the bus but not modelled on a
         * uniprocessor without SMM (see apic.md); reserved modes: dropped. */
        return true;
    }
}

/* --- LINT0/LINT1 ------------------------------------------------------ */

/* A level-triggered fixed LINT entry delivers while its input is asserted
 * and its remote IRR is clear; the remote IRR holds until the EOI. */
static void lint_level_eval(struct lapic *a, int pin)
{
    uint32_t *l = &a->lvt[LVT_LINT0 + pin];
    if (!active(a) || (*l & LAPIC_MASKED) || lvt_mode(*l) != APIC_DM_FIXED ||
        !(*l & LAPIC_TRIGGER) || (*l & LAPIC_REMOTE_IRR) || !a->lint[pin])
        return;
    *l |= LAPIC_REMOTE_IRR;
    accept(a, *l & LAPIC_VECTOR, true);
}

void lapic_lint(void *lapic, int pin, bool level)
{
    struct lapic *a = lapic;
    if (pin != 0 && pin != 1)
        return;
    bool rising = level && !a->lint[pin];
    a->lint[pin] = level;
    if (!active(a)) {
        if (pin == 1 && rising)
            raise_nmi(a); /* LINT1 is the NMI pin */
        update_intr(a);
        return;
    }
    uint32_t l = a->lvt[LVT_LINT0 + pin];
    if (!(l & LAPIC_MASKED)) {
        switch (lvt_mode(l)) {
        case APIC_DM_FIXED:
            if (l & LAPIC_TRIGGER)
                lint_level_eval(a, pin);
            else if (rising)
                accept(a, l & LAPIC_VECTOR, false);
            break;
        case APIC_DM_NMI:
            if (rising)
                raise_nmi(a);
            break;
        default:
            break; /* ExtINT is level-sensitive: update_intr sees it */
        }
    }
    update_intr(a);
}

void lapic_pic_intr(void *lapic, bool level)
{
    lapic_lint(lapic, 0, level);
}

/* --- the timer (10.5.4) ----------------------------------------------- */

static uint64_t timer_tick_ns(const struct lapic *a)
{
    /* Divide configuration bits 3,1,0: 000 = 2 ... 110 = 128, 111 = 1. */
    unsigned d = ((a->timer_div >> 1) & 4) | (a->timer_div & 3);
    return (uint64_t)LAPIC_BUS_NS * (d == 7 ? 1u : 2u << d);
}

static bool timer_periodic(const struct lapic *a)
{
    return (a->lvt[LVT_TIMER] & LAPIC_TIMER_PERIODIC) != 0;
}

static uint32_t timer_current(const struct lapic *a, uint64_t now)
{
    if (!a->timer_running)
        return 0;
    uint64_t e = now > a->timer_base_time ? (now - a->timer_base_time) / timer_tick_ns(a) : 0;
    if (e < a->timer_base_count)
        return (uint32_t)(a->timer_base_count - e);
    if (!timer_periodic(a))
        return 0;
    return a->timer_init - (uint32_t)((e - a->timer_base_count) % a->timer_init);
}

static void timer_arm(struct lapic *a)
{
    if (!a->timer_running) {
        clock_timer_del(&a->timer);
        return;
    }
    a->timer_deadline = a->timer_base_time + (uint64_t)a->timer_base_count * timer_tick_ns(a);
    clock_timer_mod(&a->timer, a->timer_deadline);
}

/* Restarts the count-down from the current count at the last tick, before
 * a change of mode: the count continues where it was. */
static void timer_rebase(struct lapic *a)
{
    uint64_t now = a->clk->now;
    if (!a->timer_running || now >= a->timer_deadline)
        return; /* expiry due: the vtimer fires first */
    uint64_t tick = timer_tick_ns(a);
    uint32_t cur = timer_current(a, now);
    a->timer_base_time = now - (now - a->timer_base_time) % tick;
    a->timer_base_count = cur;
}

static void timer_fire(void *opaque, uint64_t now)
{
    struct lapic *a = opaque;
    (void)now;
    if (!a->timer_running)
        return;
    if (timer_periodic(a)) {
        a->timer_base_time = a->timer_deadline;
        a->timer_base_count = a->timer_init;
    } else {
        a->timer_running = false;
    }
    timer_arm(a);
    /* A masked timer still counts; it just does not interrupt. */
    if (!(a->lvt[LVT_TIMER] & LAPIC_MASKED))
        accept(a, a->lvt[LVT_TIMER] & LAPIC_VECTOR, false);
}

static void timer_set_initial(struct lapic *a, uint32_t count)
{
    a->timer_init = count;
    a->timer_running = count != 0; /* writing 0 stops the timer */
    a->timer_base_time = a->clk->now;
    a->timer_base_count = count;
    timer_arm(a);
}

static void timer_set_divide(struct lapic *a, uint32_t val)
{
    timer_rebase(a);
    a->timer_div = val & 0xB;
    /* The count carries on at the new rate from now. */
    if (a->timer_running && a->clk->now < a->timer_deadline)
        a->timer_base_time = a->clk->now;
    timer_arm(a);
}

/* --- registers -------------------------------------------------------- */

static void lvt_write(struct lapic *a, int i, uint32_t val)
{
    uint32_t old = a->lvt[i];
    uint32_t v = val & lvt_writable[i];
    if (!sw_enabled(a))
        v |= LAPIC_MASKED; /* mask bits cannot be cleared while disabled */
    if (i == LVT_LINT0 || i == LVT_LINT1) {
        /* Remote IRR is read-only; it means nothing for edge or non-fixed. */
        if ((v & LAPIC_TRIGGER) && lvt_mode(v) == APIC_DM_FIXED)
            v |= old & LAPIC_REMOTE_IRR;
    }
    if (i == LVT_TIMER)
        timer_rebase(a);
    a->lvt[i] = v;
    if (i == LVT_TIMER)
        timer_arm(a);
    if (i == LVT_LINT0 || i == LVT_LINT1)
        lint_level_eval(a, i - LVT_LINT0);
    update_intr(a);
}

static void svr_write(struct lapic *a, uint32_t val)
{
    /* Bits 3:0 of the spurious vector are hardwired to 1 on the P6. */
    a->svr = (val & 0x3F0u) | 0xFu;
    if (!sw_enabled(a))
        for (int i = 0; i < LVT_N; i++)
            a->lvt[i] |= LAPIC_MASKED;
    update_intr(a);
}

static void eoi(struct lapic *a)
{
    int v = vec_highest(a->isr);
    if (v < 0)
        return;
    vec_clear(a->isr, (unsigned)v);
    bool level = vec_test(a->tmr, (unsigned)v);
    update_intr(a);
    if (!level)
        return;
    /* A level-triggered vector: clear the remote IRR of a LINT entry that
     * delivered it, then tell the I/O APIC(s) (broadcast EOI message). */
    for (int pin = 0; pin < 2; pin++) {
        uint32_t *l = &a->lvt[LVT_LINT0 + pin];
        if ((*l & LAPIC_REMOTE_IRR) && (*l & LAPIC_VECTOR) == (uint32_t)v) {
            *l &= ~LAPIC_REMOTE_IRR;
            lint_level_eval(a, pin);
        }
    }
    if (a->eoi_fn)
        a->eoi_fn(a->eoi_opaque, (uint8_t)v);
}

/* Physical: the 4-bit P6 APIC ID, 0xF broadcast.  Logical (10.6.2.2): the
 * flat model matches any common bit of the 8-bit MDA and the LDR; the
 * cluster model the cluster (or 0xF: all clusters) and a common member. */
static bool dest_match(const struct lapic *a, uint8_t dest, bool logical)
{
    if (!logical) {
        unsigned d = dest & 0xF;
        return d == 0xF || d == ((a->id >> 24) & 0xF);
    }
    uint8_t ldr = (uint8_t)(a->ldr >> 24);
    switch (a->dfr >> 28) {
    case 0xF:
        return (dest & ldr) != 0;
    case 0x0:
        return ((dest >> 4) == 0xF || (dest >> 4) == (ldr >> 4)) && (dest & ldr & 0xF) != 0;
    default:
        return false;
    }
}

/* A write of ICR low sends the IPI (10.6.1).  Only this CPU is on the
 * bus: what it is not the destination of, nobody accepts. */
static void send_ipi(struct lapic *a)
{
    unsigned vector = a->icr_lo & LAPIC_VECTOR, mode = lvt_mode(a->icr_lo);
    bool self;
    switch ((a->icr_lo >> LAPIC_SHORTHAND_SHIFT) & 3) {
    case 0: self = dest_match(a, (uint8_t)(a->icr_hi >> 24), a->icr_lo & LAPIC_DEST_LOGICAL); break;
    case 1: /* self */
    case 2: self = true; break; /* all including self */
    default: self = false; break; /* all excluding self */
    }
    if ((mode == APIC_DM_FIXED || mode == APIC_DM_LOWEST) && vector < 16) {
        lapic_error(a, LAPIC_ESR_SEND_ILLEGAL);
        return;
    }
    /* Fixed, lowest priority and NMI are modelled; INIT, start-up, SMI
     * and ExtINT IPIs are dropped (no other CPU, no SMM: see apic.md). */
    if (mode != APIC_DM_FIXED && mode != APIC_DM_LOWEST && mode != APIC_DM_NMI)
        return;
    /* IPIs are edge triggered on the P6 (the trigger bit only qualifies
     * INIT level de-assert). */
    if (!self || !deliver(a, mode, vector, false))
        lapic_error(a, LAPIC_ESR_SEND_ACCEPT);
}

/* The register at offset reg (16-byte aligned); a reserved one reads 0
 * and flags an illegal register address. */
static uint32_t reg_read(struct lapic *a, uint32_t reg)
{
    if (reg >= LAPIC_ISR && reg < LAPIC_ISR + 0x80)
        return a->isr[(reg - LAPIC_ISR) >> 4];
    if (reg >= LAPIC_TMR && reg < LAPIC_TMR + 0x80)
        return a->tmr[(reg - LAPIC_TMR) >> 4];
    if (reg >= LAPIC_IRR && reg < LAPIC_IRR + 0x80)
        return a->irr[(reg - LAPIC_IRR) >> 4];
    switch (reg) {
    case LAPIC_ID: return a->id;
    case LAPIC_VER: return LAPIC_VERSION;
    case LAPIC_TPR: return a->tpr;
    case LAPIC_APR: return lapic_apr(a);
    case LAPIC_PPR: return lapic_ppr(a);
    case LAPIC_EOI: return 0; /* write only */
    case LAPIC_RRD: return 0; /* no remote read was ever issued */
    case LAPIC_LDR: return a->ldr;
    case LAPIC_DFR: return a->dfr;
    case LAPIC_SVR: return a->svr;
    case LAPIC_ESR: return a->esr;
    case LAPIC_ICR_LO: return a->icr_lo; /* delivery status: always idle */
    case LAPIC_ICR_HI: return a->icr_hi;
    case LAPIC_LVT_TIMER: return a->lvt[LVT_TIMER];
    case LAPIC_LVT_PERF: return a->lvt[LVT_PERF];
    case LAPIC_LVT_LINT0: return a->lvt[LVT_LINT0];
    case LAPIC_LVT_LINT1: return a->lvt[LVT_LINT1];
    case LAPIC_LVT_ERROR: return a->lvt[LVT_ERROR];
    case LAPIC_TIMER_INIT: return a->timer_init;
    case LAPIC_TIMER_CUR: return timer_current(a, a->clk->now);
    case LAPIC_TIMER_DIV: return a->timer_div;
    default:
        lapic_error(a, LAPIC_ESR_ILLEGAL_REG);
        return 0;
    }
}

static void reg_write(struct lapic *a, uint32_t reg, uint32_t val)
{
    if (reg >= LAPIC_ISR && reg < LAPIC_IRR + 0x80)
        return; /* ISR, TMR, IRR: read only */
    switch (reg) {
    case LAPIC_ID: a->id = val & 0x0F000000u; break;
    case LAPIC_TPR:
        a->tpr = val & 0xFF;
        update_intr(a);
        break;
    case LAPIC_EOI: eoi(a); break;
    case LAPIC_LDR: a->ldr = val & 0xFF000000u; break;
    case LAPIC_DFR: a->dfr = (val & 0xF0000000u) | 0x0FFFFFFFu; break;
    case LAPIC_SVR: svr_write(a, val); break;
    case LAPIC_ESR:
        /* Write to update: the errors since the last write become visible. */
        a->esr = a->esr_pending;
        a->esr_pending = 0;
        break;
    case LAPIC_ICR_LO:
        a->icr_lo = val & ICR_LO_WRITABLE;
        send_ipi(a);
        break;
    case LAPIC_ICR_HI: a->icr_hi = val & 0xFF000000u; break;
    case LAPIC_LVT_TIMER: lvt_write(a, LVT_TIMER, val); break;
    case LAPIC_LVT_PERF: lvt_write(a, LVT_PERF, val); break;
    case LAPIC_LVT_LINT0: lvt_write(a, LVT_LINT0, val); break;
    case LAPIC_LVT_LINT1: lvt_write(a, LVT_LINT1, val); break;
    case LAPIC_LVT_ERROR: lvt_write(a, LVT_ERROR, val); break;
    case LAPIC_TIMER_INIT: timer_set_initial(a, val); break;
    case LAPIC_TIMER_DIV: timer_set_divide(a, val); break;
    case LAPIC_VER:
    case LAPIC_APR:
    case LAPIC_PPR:
    case LAPIC_RRD:
    case LAPIC_TIMER_CUR:
        break; /* read only */
    default: lapic_error(a, LAPIC_ESR_ILLEGAL_REG); break;
    }
}

/* Registers are 32 bits at 16-byte boundaries.  A narrower or unaligned
 * read gets the bytes it covers (bytes 4-15 of a slot read 0); anything
 * but an aligned 32-bit write is dropped (see apic.md). */
static uint32_t lapic_mmio_read(void *opaque, uint32_t offset, unsigned size)
{
    struct lapic *a = opaque;
    uint32_t v = 0, reg = 0;
    bool have = false;
    for (unsigned i = 0; i < size && i < 4; i++) {
        uint32_t o = (offset + i) & (LAPIC_SIZE - 1);
        if ((o & 15) >= 4)
            continue;
        if (!have) {
            reg = reg_read(a, o & ~15u);
            have = true;
        }
        v |= ((reg >> (8 * (o & 3))) & 0xFF) << (8 * i);
    }
    return v;
}

static void lapic_mmio_write(void *opaque, uint32_t offset, uint32_t val, unsigned size)
{
    if (size == 4 && (offset & 15) == 0 && offset < LAPIC_SIZE)
        reg_write(opaque, offset, val);
}

static const struct mmio_ops lapic_ops = {
    .read = lapic_mmio_read,
    .write = lapic_mmio_write,
    .max_size = 4,
};

/* --- life cycle and wiring ------------------------------------------- */

/* Everything but the ID, the base and the input levels to the reset state
 * (10.4.7.1). */
static void regs_reset(struct lapic *a)
{
    a->tpr = 0;
    a->ldr = 0;
    a->dfr = 0xFFFFFFFFu;
    a->svr = 0xFFu;
    memset(a->irr, 0, sizeof(a->irr));
    memset(a->isr, 0, sizeof(a->isr));
    memset(a->tmr, 0, sizeof(a->tmr));
    a->esr = a->esr_pending = 0;
    a->icr_lo = a->icr_hi = 0;
    for (int i = 0; i < LVT_N; i++)
        a->lvt[i] = LAPIC_MASKED;
    a->timer_init = a->timer_div = 0;
    a->timer_running = false;
    a->timer_base_count = 0;
    a->timer_deadline = CLOCK_NEVER;
    clock_timer_del(&a->timer);
    a->extint_pending = false;
}

/* Puts the page on the bus where base and hw_enabled say. */
static void remap(struct lapic *a)
{
    if (a->mapped && (!a->hw_enabled || a->mapped_base != a->base)) {
        bus_unmap(a->bus, a->mapped_base, LAPIC_SIZE);
        a->mapped = false;
    }
    /* A full region table leaves the page unmapped (accesses then hit
     * nothing), never anything worse. */
    if (a->hw_enabled && !a->mapped) {
        a->mapped = bus_map_mmio(a->bus, a->base, LAPIC_SIZE, &lapic_ops, a) == 0;
        a->mapped_base = a->base;
    }
}

static void place(struct lapic *a, uint32_t base, bool enabled)
{
    a->base = base;
    a->hw_enabled = enabled;
    remap(a);
}

void lapic_set_base(struct lapic *a, uint32_t msr_value)
{
    bool enabled = (msr_value & (1u << 11)) != 0;
    if (!enabled && a->hw_enabled)
        regs_reset(a);
    place(a, msr_value & 0xFFFFF000u, enabled);
    update_intr(a);
}

void lapic_reset(struct lapic *a)
{
    regs_reset(a);
    a->id = (uint32_t)(a->reset_id & 0xF) << 24;
    place(a, LAPIC_DEFAULT_BASE, true);
    update_intr(a);
}

int lapic_init(struct lapic *a, struct bus *bus, struct vclock *clk)
{
    memset(a, 0, sizeof(*a));
    a->bus = bus;
    a->clk = clk;
    if (clock_timer_init(clk, &a->timer, timer_fire, a) < 0)
        return -ENOSPC;
    lapic_reset(a);
    return a->mapped ? 0 : -ENOSPC;
}

void lapic_set_intr_output(struct lapic *a, void (*fn)(void *opaque, bool level), void *opaque)
{
    a->intr_fn = fn;
    a->intr_opaque = opaque;
    if (fn)
        fn(opaque, a->intr);
}

void lapic_set_nmi_output(struct lapic *a, void (*fn)(void *opaque), void *opaque)
{
    a->nmi_fn = fn;
    a->nmi_opaque = opaque;
}

void lapic_set_extint_ack(struct lapic *a, uint8_t (*ack)(void *opaque), void *opaque)
{
    a->extint_ack = ack;
    a->extint_opaque = opaque;
}

void lapic_set_eoi_output(struct lapic *a, void (*fn)(void *opaque, uint8_t vector), void *opaque)
{
    a->eoi_fn = fn;
    a->eoi_opaque = opaque;
}

/* --- inputs and INTA -------------------------------------------------- */

uint8_t lapic_ack(void *lapic)
{
    struct lapic *a = lapic;
    uint8_t spurious = (uint8_t)(a->svr & 0xFF);
    if (!active(a) || a->extint_pending || lint0_extint(a)) {
        /* The INTA cycle goes to the 8259, which supplies the vector. */
        a->extint_pending = false;
        uint8_t v = a->extint_ack ? a->extint_ack(a->extint_opaque) : spurious;
        update_intr(a);
        return v;
    }
    int v = vec_highest(a->irr);
    if (v < 0 || ((uint32_t)v & 0xF0) <= (lapic_ppr(a) & 0xF0)) {
        /* The request went away (or was masked by the TPR) between INTR
         * and INTA: the spurious vector, with no ISR bit set (10.9). */
        update_intr(a);
        return spurious;
    }
    vec_clear(a->irr, (unsigned)v);
    vec_set(a->isr, (unsigned)v);
    update_intr(a);
    return (uint8_t)v;
}

bool lapic_set_irq(struct lapic *a, int vector, bool level_triggered)
{
    if (vector < 0 || vector > 255)
        return false;
    return accept(a, (unsigned)vector, level_triggered);
}

bool lapic_message(void *lapic, uint8_t dest, bool logical, unsigned mode, uint8_t vector,
                   bool level_triggered)
{
    struct lapic *a = lapic;
    if (!a->hw_enabled || !dest_match(a, dest, logical))
        return false;
    return deliver(a, mode & 7, vector, level_triggered);
}

/* --- savestate -------------------------------------------------------- */

void lapic_save(const struct lapic *a, struct sv_writer *w)
{
    sv_put_u32(w, a->base);
    sv_put_bool(w, a->hw_enabled);
    sv_put_u32(w, a->id);
    sv_put_u32(w, a->tpr);
    sv_put_u32(w, a->ldr);
    sv_put_u32(w, a->dfr);
    sv_put_u32(w, a->svr);
    sv_put_u32(w, a->esr);
    sv_put_u32(w, a->esr_pending);
    sv_put_u32(w, a->icr_lo);
    sv_put_u32(w, a->icr_hi);
    sv_put_u32(w, a->timer_init);
    sv_put_u32(w, a->timer_div);
    for (int i = 0; i < 8; i++) {
        sv_put_u32(w, a->irr[i]);
        sv_put_u32(w, a->isr[i]);
        sv_put_u32(w, a->tmr[i]);
    }
    for (int i = 0; i < LVT_N; i++)
        sv_put_u32(w, a->lvt[i]);
    sv_put_bool(w, a->timer_running);
    sv_put_u64(w, a->timer_base_time);
    sv_put_u32(w, a->timer_base_count);
    sv_put_u64(w, a->timer_deadline);
    sv_put_u64(w, a->timer.deadline);
    sv_put_bool(w, a->lint[0]);
    sv_put_bool(w, a->lint[1]);
    sv_put_bool(w, a->extint_pending);
    sv_put_bool(w, a->intr);
}

/* A register must hold only bits its write path can set. */
static uint32_t reg_load(struct sv_reader *r, uint32_t may_vary, uint32_t fixed, const char *what)
{
    uint32_t v = sv_get_u32(r);
    sv_check(r, (v & ~may_vary) == fixed, what);
    return v;
}

void lapic_load(struct lapic *a, struct sv_reader *r, unsigned version)
{
    if (version != LAPIC_SV_VERSION) {
        sv_fail(r, "version %u, this Popek reads %u", version, LAPIC_SV_VERSION);
        return;
    }
    const uint32_t esr_bits = LAPIC_ESR_SEND_ACCEPT | LAPIC_ESR_SEND_ILLEGAL |
                              LAPIC_ESR_RECV_ILLEGAL | LAPIC_ESR_ILLEGAL_REG;
    a->base = reg_load(r, 0xFFFFF000u, 0, "lapic base");
    a->hw_enabled = sv_get_bool(r);
    a->id = reg_load(r, 0x0F000000u, 0, "lapic ID");
    a->tpr = reg_load(r, 0xFFu, 0, "lapic TPR");
    a->ldr = reg_load(r, 0xFF000000u, 0, "lapic LDR");
    a->dfr = reg_load(r, 0xF0000000u, 0x0FFFFFFFu, "lapic DFR");
    a->svr = reg_load(r, 0x3F0u, 0xFu, "lapic SVR");
    a->esr = reg_load(r, esr_bits, 0, "lapic ESR");
    a->esr_pending = reg_load(r, esr_bits, 0, "lapic ESR");
    a->icr_lo = reg_load(r, ICR_LO_WRITABLE, 0, "lapic ICR");
    a->icr_hi = reg_load(r, 0xFF000000u, 0, "lapic ICR");
    a->timer_init = sv_get_u32(r);
    /* The divide bits pick the tick length. */
    a->timer_div = reg_load(r, 0xBu, 0, "lapic timer divide");
    for (int i = 0; i < 8; i++) {
        a->irr[i] = sv_get_u32(r);
        a->isr[i] = sv_get_u32(r);
        a->tmr[i] = sv_get_u32(r);
    }
    /* Vectors 0-15 are never accepted. */
    sv_check(r, !((a->irr[0] | a->isr[0] | a->tmr[0]) & 0xFFFFu), "lapic vector");
    for (int i = 0; i < LVT_N; i++) {
        uint32_t rirr = i == LVT_LINT0 || i == LVT_LINT1 ? LAPIC_REMOTE_IRR : 0;
        a->lvt[i] = reg_load(r, lvt_writable[i] | rirr, 0, "lapic LVT entry");
    }
    a->timer_running = sv_get_bool(r);
    a->timer_base_time = sv_get_u64(r);
    a->timer_base_count = sv_get_u32(r);
    /* A running timer reloads from timer_init, which it divides by: it
     * is never 0 then, and the count never above it. */
    if (a->timer_running)
        sv_check(r, a->timer_init != 0 && a->timer_base_count <= a->timer_init,
                 "lapic timer count");
    a->timer_deadline = sv_get_u64(r);
    a->timer.deadline = sv_get_u64(r);
    a->lint[0] = sv_get_bool(r);
    a->lint[1] = sv_get_bool(r);
    a->extint_pending = sv_get_bool(r);
    a->intr = sv_get_bool(r);
}

void lapic_post_load(struct lapic *a)
{
    remap(a);
}
