/* POST code port 0x80 (see postcode.h). */
#include "devices/postcode.h"

#include "mem/bus.h"

static uint32_t postcode_read(void *opaque, uint16_t port, unsigned size)
{
    const struct postcode *p = opaque;
    (void)port;
    (void)size;
    return p->last;
}

static void postcode_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct postcode *p = opaque;
    (void)port;
    (void)size;
    p->last = (uint8_t)val;
    p->writes++;
    if (p->log)
        p->log(p->log_opaque, p->last);
}

static const struct io_ops postcode_ops = {
    .read = postcode_read,
    .write = postcode_write,
    .sizes = 1,
};

int postcode_init(struct postcode *p, struct bus *bus, void (*log)(void *opaque, uint8_t code),
                  void *opaque)
{
    p->last = 0;
    p->writes = 0;
    p->log = log;
    p->log_opaque = opaque;
    return bus_io_register(bus, POSTCODE_PORT, 1, &postcode_ops, p);
}
