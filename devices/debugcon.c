/* 0xE9 debug console (see debugcon.h). */
#include "devices/debugcon.h"

#include "mem/bus.h"

static uint32_t debugcon_read(void *opaque, uint16_t port, unsigned size)
{
    (void)opaque;
    (void)port;
    (void)size;
    return 0xE9;
}

static void debugcon_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct debugcon *d = opaque;
    (void)port;
    (void)size;
    fputc((int)(val & 0xFF), d->out);
    if ((val & 0xFF) == '\n')
        fflush(d->out);
    d->bytes++;
}

static const struct io_ops debugcon_ops = {
    .read = debugcon_read,
    .write = debugcon_write,
    .sizes = 1,
};

int debugcon_init(struct debugcon *d, struct bus *bus, FILE *out, uint16_t port)
{
    d->out = out ? out : stdout;
    d->bytes = 0;
    return bus_io_register(bus, port, 1, &debugcon_ops, d);
}
