/* An interrupt line from a device to an interrupt controller input: the
 * device drives a level; edge-triggered controllers see the transitions.
 * The machine wires lines when it builds the PC. */
#ifndef POPEK_DEVICES_IRQ_H
#define POPEK_DEVICES_IRQ_H

#include <stdbool.h>
#include <stddef.h>

struct irq_line {
    void (*set)(void *opaque, int n, bool level);
    void *opaque;
    int n;
};

static inline void irq_set(const struct irq_line *l, bool level)
{
    if (l && l->set)
        l->set(l->opaque, l->n, level);
}
static inline void irq_raise(const struct irq_line *l)
{
    irq_set(l, true);
}
static inline void irq_lower(const struct irq_line *l)
{
    irq_set(l, false);
}
/* A short high-low pulse, for edge-triggered inputs. */
static inline void irq_pulse(const struct irq_line *l)
{
    irq_set(l, true);
    irq_set(l, false);
}

#endif
