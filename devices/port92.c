/* System Control Port A, 0x92 (see port92.h). */
#include "devices/port92.h"

#include "mem/bus.h"
#include "mem/sv.h"

static void update_a20(struct port92 *p)
{
    bus_set_a20(p->bus, p->kbc_a20 || (p->value & PORT92_A20));
}

static uint32_t port92_read(void *opaque, uint16_t port, unsigned size)
{
    struct port92 *p = opaque;
    (void)port;
    (void)size;
    return p->value;
}

static void port92_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct port92 *p = opaque;
    uint8_t old = p->value;
    (void)port;
    (void)size;
    /* Reserved bits are dropped; the lock bit, once set, stays. */
    p->value = (uint8_t)((val & PORT92_STORED) | (old & PORT92_LOCK));
    update_a20(p);
    if ((p->value & PORT92_RESET) && !(old & PORT92_RESET) && p->reset)
        p->reset(p->reset_opaque);
}

static const struct io_ops port92_ops = {
    .read = port92_read,
    .write = port92_write,
    .sizes = 1,
};

void port92_reset(struct port92 *p)
{
    p->value = 0;
    update_a20(p);
}

void port92_kbc_a20(void *opaque, bool on)
{
    struct port92 *p = opaque;
    p->kbc_a20 = on;
    update_a20(p);
}

int port92_init(struct port92 *p, struct bus *bus, void (*reset)(void *opaque), void *opaque)
{
    p->bus = bus;
    p->reset = reset;
    p->reset_opaque = opaque;
    p->value = 0;
    p->kbc_a20 = false;
    return bus_io_register(bus, PORT92_PORT, 1, &port92_ops, p);
}

void port92_save(const struct port92 *p, struct sv_writer *w)
{
    sv_put_u8(w, p->value);
    sv_put_bool(w, p->kbc_a20);
}

void port92_load(struct port92 *p, struct sv_reader *r, unsigned version)
{
    if (version != PORT92_SV_VERSION) {
        sv_fail(r, "version %u, this Popek reads %u", version, PORT92_SV_VERSION);
        return;
    }
    p->value = sv_get_u8(r);
    sv_check(r, !(p->value & ~PORT92_STORED), "port 0x92 value");
    p->kbc_a20 = sv_get_bool(r);
}

void port92_post_load(struct port92 *p)
{
    update_a20(p);
}
