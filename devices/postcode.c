/* POST code port 0x80 (see postcode.h). */
#include "devices/postcode.h"

#include "mem/bus.h"
#include "mem/sv.h"

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

void postcode_save(const struct postcode *p, struct sv_writer *w)
{
    sv_put_u8(w, p->last);
    sv_put_u64(w, p->writes);
}

void postcode_load(struct postcode *p, struct sv_reader *r, unsigned version)
{
    if (version != POSTCODE_SV_VERSION) {
        sv_fail(r, "version %u, this Popek reads %u", version, POSTCODE_SV_VERSION);
        return;
    }
    p->last = sv_get_u8(r);
    p->writes = sv_get_u64(r);
}
