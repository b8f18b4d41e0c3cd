/* The 0xF4 test exit port (see debugexit.h). */
#include "devices/debugexit.h"

#include <limits.h>

#include "mem/bus.h"

int debugexit_status(uint32_t v)
{
    /* QEMU passes (val << 1) | 1 to exit(); only the low bits reach the
     * host, so dropping bit 31 changes nothing a shell can see. */
    return (int)((((uint64_t)v << 1) | 1) & INT_MAX);
}

static uint32_t debugexit_read(void *opaque, uint16_t port, unsigned size)
{
    (void)opaque;
    (void)port;
    (void)size;
    return 0;
}

static void debugexit_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct debugexit *d = opaque;
    (void)port;
    (void)size; /* the bus already cut val to the access size */
    d->requested = true;
    d->status = debugexit_status(val);
    if (d->exit)
        d->exit(d->opaque, d->status);
}

static const struct io_ops debugexit_ops = {
    .read = debugexit_read,
    .write = debugexit_write,
    .sizes = 1 | 2 | 4,
};

int debugexit_init(struct debugexit *d, struct bus *bus, void (*exit_fn)(void *opaque, int status),
                   void *opaque)
{
    d->exit = exit_fn;
    d->opaque = opaque;
    d->requested = false;
    d->status = 0;
    return bus_io_register(bus, DEBUGEXIT_PORT, 1, &debugexit_ops, d);
}
