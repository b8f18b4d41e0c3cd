/* PCI configuration mechanism #1 and bus 0 (see pci.h; PCI Local Bus
 * Specification 2.1, sections 3.7.4 and 6). */
#include "devices/pci.h"

#include <errno.h>
#include <string.h>

#include "mem/bus.h"
#include "mem/sv.h"

void pci_set_byte(struct pci_device *d, unsigned off, uint8_t v)
{
    d->config[off & 0xFF] = v;
}

void pci_set_word(struct pci_device *d, unsigned off, uint16_t v)
{
    pci_set_byte(d, off, (uint8_t)v);
    pci_set_byte(d, off + 1, (uint8_t)(v >> 8));
}

void pci_set_long(struct pci_device *d, unsigned off, uint32_t v)
{
    pci_set_word(d, off, (uint16_t)v);
    pci_set_word(d, off + 2, (uint16_t)(v >> 16));
}

uint8_t pci_get_byte(const struct pci_device *d, unsigned off)
{
    return d->config[off & 0xFF];
}

uint16_t pci_get_word(const struct pci_device *d, unsigned off)
{
    return (uint16_t)(pci_get_byte(d, off) | pci_get_byte(d, off + 1) << 8);
}

uint32_t pci_get_long(const struct pci_device *d, unsigned off)
{
    return pci_get_word(d, off) | (uint32_t)pci_get_word(d, off + 2) << 16;
}

void pci_set_wmask(struct pci_device *d, unsigned off, unsigned len, uint8_t mask)
{
    for (unsigned i = 0; i < len && off + i < 256; i++)
        d->wmask[off + i] = mask;
}

void pci_device_init(struct pci_device *d, uint16_t vendor, uint16_t device, uint32_t class_code,
                     uint8_t revision, uint8_t header_type)
{
    memset(d, 0, sizeof(*d));
    pci_set_word(d, PCI_VENDOR_ID, vendor);
    pci_set_word(d, PCI_DEVICE_ID, device);
    pci_set_byte(d, PCI_REVISION_ID, revision);
    pci_set_byte(d, PCI_CLASS_PROG, (uint8_t)class_code);
    pci_set_word(d, PCI_CLASS_DEVICE, (uint16_t)(class_code >> 8));
    pci_set_byte(d, PCI_HEADER_TYPE, header_type);
    /* Status bits 8 and 11-15 are error flags a guest clears by writing 1. */
    d->w1cmask[PCI_STATUS + 1] = 0xF9;
    for (unsigned i = 0; i < PCI_NUM_BARS; i++)
        d->bar_mapped[i] = PCI_BAR_UNMAPPED;
}

void pci_bar_init(struct pci_device *d, unsigned n, uint32_t size, uint8_t flags)
{
    if (n >= PCI_NUM_BARS || size == 0 || (size & (size - 1)))
        return; /* an emulator bug; the BAR stays unimplemented */
    bool io = flags & PCI_BAR_IO;
    if (size < (io ? 4u : 16u))
        size = io ? 4 : 16;
    d->bar_size[n] = size;
    unsigned off = PCI_BAR0 + 4 * n;
    pci_set_long(d, off, io ? PCI_BAR_IO : (flags & PCI_BAR_PREFETCH));
    /* The address bits above the size are writable; the low bits read 0
     * (memory: the type and prefetch bits stay). */
    uint32_t mask = ~(size - 1);
    for (unsigned i = 0; i < 4; i++)
        d->wmask[off + i] = (uint8_t)(mask >> (8 * i));
    d->wmask[PCI_COMMAND] |= io ? PCI_COMMAND_IO : PCI_COMMAND_MEMORY;
}

int pci_register(struct pci_bus *pb, struct pci_device *d, uint8_t devfn)
{
    if (pb->devs[devfn])
        return -EBUSY;
    d->pb = pb;
    d->devfn = devfn;
    pb->devs[devfn] = d;
    return 0;
}

/* Where BAR n decodes now: its address when the matching command enable is
 * on and the range fits the space it lives in, else PCI_BAR_UNMAPPED. */
static uint32_t bar_address(const struct pci_device *d, unsigned n)
{
    uint32_t size = d->bar_size[n];
    if (!size)
        return PCI_BAR_UNMAPPED;
    uint32_t raw = pci_get_long(d, PCI_BAR0 + 4 * n);
    uint16_t cmd = pci_get_word(d, PCI_COMMAND);
    if (raw & PCI_BAR_IO) {
        uint32_t a = raw & ~3u & ~(size - 1);
        if (!(cmd & PCI_COMMAND_IO) || a == 0 || (uint64_t)a + size > 0x10000)
            return PCI_BAR_UNMAPPED;
        return a;
    }
    uint32_t a = raw & ~0xFu & ~(size - 1);
    if (!(cmd & PCI_COMMAND_MEMORY) || a == 0)
        return PCI_BAR_UNMAPPED;
    return a;
}

static void update_bars(struct pci_device *d)
{
    for (unsigned n = 0; n < PCI_NUM_BARS; n++) {
        uint32_t now = bar_address(d, n);
        uint32_t old = d->bar_mapped[n];
        if (now == old)
            continue;
        d->bar_mapped[n] = now;
        if (d->bar_moved)
            d->bar_moved(d, n, old, now);
    }
}

static struct pci_device *find(struct pci_bus *pb, uint8_t bus, uint8_t devfn, unsigned off,
                               unsigned size)
{
    if (bus != 0 || (size != 1 && size != 2 && size != 4) || off > 255 ||
        (off & 3) + size > 4)
        return NULL;
    return pb->devs[devfn];
}

uint32_t pci_config_read(struct pci_bus *pb, uint8_t bus, uint8_t devfn, unsigned off,
                         unsigned size)
{
    struct pci_device *d = find(pb, bus, devfn, off, size);
    if (!d)
        return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    if (d->config_read)
        return d->config_read(d, off, size);
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= (uint32_t)d->config[off + i] << (8 * i);
    return v;
}

void pci_config_write(struct pci_bus *pb, uint8_t bus, uint8_t devfn, unsigned off, uint32_t val,
                      unsigned size)
{
    struct pci_device *d = find(pb, bus, devfn, off, size);
    if (!d)
        return;
    for (unsigned i = 0; i < size; i++) {
        uint8_t b = (uint8_t)(val >> (8 * i));
        uint8_t *c = &d->config[off + i];
        uint8_t wm = d->wmask[off + i], w1c = d->w1cmask[off + i];
        *c = (uint8_t)(((*c & ~wm) | (b & wm)) & ~(b & w1c));
    }
    if (d->config_write)
        d->config_write(d, off, val, size);
    /* The command register or a BAR changed: the decode may have moved. */
    if (off < PCI_BAR0 + 4 * PCI_NUM_BARS && off + size > PCI_COMMAND)
        update_bars(d);
}

void pci_set_irq(struct pci_device *d, bool level)
{
    struct pci_bus *pb = d->pb;
    uint8_t pin = pci_get_byte(d, PCI_INTERRUPT_PIN);
    if (!pb || pin < 1 || pin > 4 || pb->irq_state[d->devfn] == level)
        return;
    pb->irq_state[d->devfn] = level;
    unsigned pirq = (pin - 1u + PCI_SLOT(d->devfn)) & 3;
    unsigned before = pb->pirq_count[pirq];
    pb->pirq_count[pirq] = level ? before + 1 : before - 1;
    if ((before == 0) != (pb->pirq_count[pirq] == 0) && pb->set_pirq)
        pb->set_pirq(pb->pirq_opaque, pirq, pb->pirq_count[pirq] != 0);
}

/* CONFIG_ADDRESS: bit 31 enables, 23:16 bus, 15:11 device, 10:8 function,
 * 7:2 register.  Bits 30:24 are reserved and 1:0 read as 0.  The chipset
 * claims only dword accesses: byte and word accesses to 0xCF8-0xCFB pass on
 * as ordinary I/O (0xCF9 is the PIIX reset control register). */
static uint32_t addr_read(void *opaque, uint16_t port, unsigned size)
{
    struct pci_bus *pb = opaque;
    return pb->config_address;
}

static void addr_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct pci_bus *pb = opaque;
    pb->config_address = val & 0x80FFFFFCu;
}

static const struct io_ops addr_ops = {
    .read = addr_read,
    .write = addr_write,
    .sizes = 4,
};

/* Whether CONFIG_DATA is live, and for which byte offset of the header. */
static bool data_target(const struct pci_bus *pb, uint16_t port, uint8_t *bus, uint8_t *devfn,
                        unsigned *off)
{
    uint32_t a = pb->config_address;
    if (!(a & 0x80000000u))
        return false;
    *bus = (uint8_t)(a >> 16);
    *devfn = (uint8_t)(a >> 8);
    *off = (a & 0xFC) | (port & 3);
    return true;
}

/* CONFIG_DATA accepts any size at any of its four ports; the part of an
 * access that runs past 0xCFF belongs to whatever decodes those ports. */
static uint32_t data_read(void *opaque, uint16_t port, unsigned size)
{
    struct pci_bus *pb = opaque;
    unsigned inside = 4 - (port & 3);
    if (size > inside) {
        uint32_t v = 0;
        for (unsigned i = 0; i < size; i++) {
            uint16_t p = (uint16_t)(port + i);
            uint32_t b = i < inside ? data_read(pb, p, 1) : bus_in(pb->bus, p, 1);
            v |= (b & 0xFF) << (8 * i);
        }
        return v;
    }
    uint8_t bus, devfn;
    unsigned off;
    if (!data_target(pb, port, &bus, &devfn, &off))
        return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    return pci_config_read(pb, bus, devfn, off, size);
}

static void data_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct pci_bus *pb = opaque;
    unsigned inside = 4 - (port & 3);
    if (size > inside) {
        for (unsigned i = 0; i < size; i++) {
            uint16_t p = (uint16_t)(port + i);
            uint8_t b = (uint8_t)(val >> (8 * i));
            if (i < inside)
                data_write(pb, p, b, 1);
            else
                bus_out(pb->bus, p, b, 1);
        }
        return;
    }
    uint8_t bus, devfn;
    unsigned off;
    if (data_target(pb, port, &bus, &devfn, &off))
        pci_config_write(pb, bus, devfn, off, val, size);
}

static const struct io_ops data_ops = {
    .read = data_read,
    .write = data_write,
    .sizes = 1 | 2 | 4,
};

int pci_init(struct pci_bus *pb, struct bus *bus)
{
    memset(pb, 0, sizeof(*pb));
    pb->bus = bus;
    int rc = bus_io_register(bus, PCI_CONFIG_ADDRESS, 1, &addr_ops, pb);
    if (rc < 0)
        return rc;
    return bus_io_register(bus, PCI_CONFIG_DATA, 4, &data_ops, pb);
}

/* ---- savestate ---- */

void pci_save(const struct pci_bus *pb, struct sv_writer *w)
{
    unsigned n = 0;
    for (unsigned devfn = 0; devfn < 256; devfn++)
        n += pb->devs[devfn] != NULL;
    sv_put_u32(w, pb->config_address);
    sv_put_u16(w, (uint16_t)n);
    for (unsigned devfn = 0; devfn < 256; devfn++) {
        const struct pci_device *d = pb->devs[devfn];
        if (!d)
            continue;
        sv_put_u8(w, (uint8_t)devfn);
        sv_put_bytes(w, d->config, sizeof(d->config));
        sv_put_bool(w, pb->irq_state[devfn]);
    }
}

/* The bytes no write changes that the bus or the guest's drivers go by:
 * identity, the hardwired command bits, the BARs' type and size bits, the
 * interrupt pin.  A saved header must agree with this function's there. */
static bool fixed_bytes_match(const struct pci_device *d, const uint8_t *cfg)
{
    static const struct { uint8_t off, len; } fixed[] = {
        { PCI_VENDOR_ID, 6 },   /* vendor, device, command */
        { PCI_REVISION_ID, 4 }, /* revision, class */
        { PCI_HEADER_TYPE, 1 },
        { PCI_BAR0, 4 * PCI_NUM_BARS },
        { PCI_INTERRUPT_PIN, 1 },
    };
    for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++)
        for (unsigned off = fixed[i].off; off < fixed[i].off + fixed[i].len; off++)
            if ((cfg[off] ^ d->config[off]) & ~d->wmask[off])
                return false;
    return true;
}

/* The first byte where a saved header differs from d's in bits no write
 * could change, or -1: read-only bytes are the device's, not the state's. */
static int readonly_mismatch(const struct pci_device *d, const uint8_t *cfg)
{
    for (unsigned i = 0; i < sizeof(d->config); i++)
        if ((cfg[i] ^ d->config[i]) & ~(d->wmask[i] | d->w1cmask[i]))
            return (int)i;
    return -1;
}

void pci_config_load(struct pci_device *d, struct sv_reader *r)
{
    uint8_t cfg[sizeof(d->config)];
    sv_get_bytes(r, cfg, sizeof(cfg));
    if (!sv_ok(r))
        return;
    int i = readonly_mismatch(d, cfg);
    if (i >= 0) {
        sv_fail(r, "PCI configuration byte %02Xh is %02Xh, this machine's is %02Xh", i, cfg[i], d->config[i]);
        return;
    }
    memcpy(d->config, cfg, sizeof(cfg));
}

void pci_load(struct pci_bus *pb, struct sv_reader *r, unsigned version)
{
    if (version != PCI_SV_VERSION) {
        sv_fail(r, "version %u, this Popek reads %u", version, PCI_SV_VERSION);
        return;
    }
    unsigned have = 0;
    for (unsigned devfn = 0; devfn < 256; devfn++)
        have += pb->devs[devfn] != NULL;
    pb->config_address = sv_get_u32(r);
    sv_check(r, !(pb->config_address & ~0x80FFFFFCu), "pci CONFIG_ADDRESS");
    unsigned n = sv_get_max(r, 2, 256, "pci function count");
    if (sv_ok(r) && n != have) {
        sv_fail(r, "%u PCI functions saved, this bus has %u", n, have);
        return;
    }
    int last = -1;
    for (unsigned i = 0; i < n && sv_ok(r); i++) {
        unsigned devfn = sv_get_u8(r);
        uint8_t cfg[256];
        sv_get_bytes(r, cfg, sizeof(cfg));
        bool irq = sv_get_bool(r);
        if (!sv_ok(r))
            return;
        /* In devfn order, each once: n functions then cover all of them. */
        struct pci_device *d = pb->devs[devfn];
        if ((int)devfn <= last || !d) {
            sv_fail(r, "no PCI function %02x.%u here (or saved twice)", PCI_SLOT(devfn),
                    PCI_FUNC(devfn));
            return;
        }
        last = (int)devfn;
        if (!fixed_bytes_match(d, cfg)) {
            sv_fail(r, "PCI function %02x.%u is another device here", PCI_SLOT(devfn),
                    PCI_FUNC(devfn));
            return;
        }
        int k = readonly_mismatch(d, cfg);
        if (k >= 0) {
            sv_fail(r, "PCI function %02x.%u: configuration byte %02Xh is %02Xh, this machine's is %02Xh",
                    PCI_SLOT(devfn), PCI_FUNC(devfn), k, cfg[k], d->config[k]);
            return;
        }
        uint8_t pin = cfg[PCI_INTERRUPT_PIN];
        if (!sv_check(r, !irq || (pin >= 1 && pin <= 4), "pci interrupt state"))
            return;
        memcpy(d->config, cfg, sizeof(cfg));
        pb->irq_state[devfn] = irq;
    }
    /* Each PIRQ counts the asserted pins swizzled onto it (pci_set_irq). */
    memset(pb->pirq_count, 0, sizeof(pb->pirq_count));
    for (unsigned devfn = 0; devfn < 256; devfn++) {
        const struct pci_device *d = pb->devs[devfn];
        if (d && pb->irq_state[devfn])
            pb->pirq_count[(pci_get_byte(d, PCI_INTERRUPT_PIN) - 1u + PCI_SLOT(devfn)) & 3]++;
    }
}

void pci_post_load(struct pci_bus *pb)
{
    /* Off the bus first: a BAR loaded where another one decodes now must
     * not find it still there. */
    for (unsigned devfn = 0; devfn < 256; devfn++) {
        struct pci_device *d = pb->devs[devfn];
        if (!d)
            continue;
        for (unsigned n = 0; n < PCI_NUM_BARS; n++) {
            uint32_t old = d->bar_mapped[n];
            if (old == PCI_BAR_UNMAPPED || old == bar_address(d, n))
                continue;
            d->bar_mapped[n] = PCI_BAR_UNMAPPED;
            if (d->bar_moved)
                d->bar_moved(d, n, old, PCI_BAR_UNMAPPED);
        }
    }
    for (unsigned devfn = 0; devfn < 256; devfn++)
        if (pb->devs[devfn])
            update_bars(pb->devs[devfn]);
}
