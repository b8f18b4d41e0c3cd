/* The PC/AT's two 8237A DMA controllers and page registers (see
 * dma8237.h).  Written from the Intel 8237A datasheet (231466): the
 * register map of figure 6 (A3-A0 with IOR/IOW), the byte pointer
 * flip-flop, the base and current address/word count registers, the mode,
 * mask, request, status and command registers and the software commands;
 * and from the AT's wiring: DMA2 takes A1-A4 as its A0-A3 and shifts its
 * 16-bit addresses left by one, so a 16-bit channel addresses words in a
 * 128 KiB block chosen by page bits 7-1, and an 8-bit channel bytes in a
 * 64 KiB block chosen by the whole page.  The address counter never carries
 * into the page register. */
#include "devices/dma8237.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mem/bus.h"
#include "mem/sv.h"

/* The page register port of each channel. */
static const uint8_t page_port[DMA_CHANNELS] = { 0x87, 0x83, 0x81, 0x82,
                                                 0x8F, 0x8B, 0x89, 0x8A };

static void master_clear(struct dma8237_ctrl *c)
{
    c->command = 0;
    c->status = 0;
    c->request = 0;
    c->temp = 0;
    c->flipflop = false;
    c->mask = 0x0F;
}

void dma8237_reset(struct dma8237 *d)
{
    for (unsigned i = 0; i < 2; i++) {
        memset(d->ctrl[i].ch, 0, sizeof(d->ctrl[i].ch));
        master_clear(&d->ctrl[i]);
    }
    memset(d->page, 0, sizeof(d->page));
}

/* Reads or writes the low or high byte of a 16-bit register, by the
 * flip-flop, which every such access toggles. */
static uint8_t ff_read(struct dma8237_ctrl *c, uint16_t v)
{
    uint8_t b = c->flipflop ? (uint8_t)(v >> 8) : (uint8_t)v;
    c->flipflop = !c->flipflop;
    return b;
}

static uint16_t ff_write(struct dma8237_ctrl *c, uint16_t old, uint8_t b)
{
    uint16_t v = c->flipflop ? (uint16_t)((old & 0x00FF) | b << 8) : (uint16_t)((old & 0xFF00) | b);
    c->flipflop = !c->flipflop;
    return v;
}

static uint8_t ctrl_read(struct dma8237_ctrl *c, unsigned reg)
{
    if (reg < 8) {
        struct dma8237_channel *ch = &c->ch[reg >> 1];
        return ff_read(c, reg & 1 ? ch->cur_count : ch->cur_addr);
    }
    switch (reg) {
    case DMA_REG_STATUS: {
        uint8_t v = (uint8_t)((c->status & 0x0F) | (c->request & 0x0F) << 4);
        c->status = 0; /* a status read clears the TC bits */
        return v;
    }
    case DMA_REG_TEMP:
        return c->temp;
    default:
        return 0xFF; /* "illegal" in figure 6: nothing drives the bus */
    }
}

static void ctrl_write(struct dma8237_ctrl *c, unsigned reg, uint8_t v)
{
    if (reg < 8) {
        struct dma8237_channel *ch = &c->ch[reg >> 1];
        /* Writing an address or count loads both the base and the current
         * register. */
        if (reg & 1)
            ch->base_count = ch->cur_count = ff_write(c, ch->base_count, v);
        else
            ch->base_addr = ch->cur_addr = ff_write(c, ch->base_addr, v);
        return;
    }
    unsigned bit = 1u << (v & 3);
    switch (reg) {
    case DMA_REG_STATUS: /* command register */
        c->command = v;
        break;
    case DMA_REG_REQUEST:
        c->request = (uint8_t)(v & 4 ? c->request | bit : c->request & ~bit);
        break;
    case DMA_REG_MASK:
        c->mask = (uint8_t)(v & 4 ? c->mask | bit : c->mask & ~bit);
        break;
    case DMA_REG_MODE:
        c->ch[v & 3].mode = v & 0xFC;
        break;
    case DMA_REG_CLEAR_FF:
        c->flipflop = false;
        break;
    case DMA_REG_TEMP: /* master clear */
        master_clear(c);
        break;
    case DMA_REG_CLEAR_MASK:
        c->mask = 0;
        break;
    case DMA_REG_ALL_MASK:
        c->mask = v & 0x0F;
        break;
    }
}

static uint32_t dma_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct dma8237 *d = opaque;
    (void)size;
    if (port < 0x10)
        return ctrl_read(&d->ctrl[0], port);
    if (port >= DMA2_PORT && port < DMA2_PORT + 0x20)
        return ctrl_read(&d->ctrl[1], (port - DMA2_PORT) >> 1);
    if (port > DMA_PAGE_PORT && port < DMA_PAGE_PORT + 0x10)
        return d->page[port - DMA_PAGE_PORT];
    return 0xFF;
}

static void dma_io_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct dma8237 *d = opaque;
    (void)size;
    if (port < 0x10)
        ctrl_write(&d->ctrl[0], port, (uint8_t)val);
    else if (port >= DMA2_PORT && port < DMA2_PORT + 0x20)
        ctrl_write(&d->ctrl[1], (port - DMA2_PORT) >> 1, (uint8_t)val);
    else if (port > DMA_PAGE_PORT && port < DMA_PAGE_PORT + 0x10)
        d->page[port - DMA_PAGE_PORT] = (uint8_t)val;
}

static const struct io_ops dma_io_ops = {
    .read = dma_io_read,
    .write = dma_io_write,
    .sizes = 1,
};

int dma8237_init(struct dma8237 *d, struct bus *bus)
{
    memset(d, 0, sizeof(*d));
    d->bus = bus;
    dma8237_reset(d);
    int rc = bus_io_register(bus, DMA1_PORT, 0x10, &dma_io_ops, d);
    if (rc == 0)
        rc = bus_io_register(bus, DMA2_PORT, 0x20, &dma_io_ops, d);
    if (rc == 0)
        rc = bus_io_register(bus, DMA_PAGE_PORT + 1, 0x0F, &dma_io_ops, d);
    if (rc < 0)
        fprintf(stderr, "dma8237: cannot claim the DMA ports: %s\n", strerror(-rc));
    return rc;
}

/* A channel can be served: its controller enabled, the channel unmasked
 * and not a cascade input. */
static bool served(const struct dma8237_ctrl *c, unsigned n)
{
    return !(c->command & DMA_CMD_DISABLE) && !(c->mask & (1u << n)) &&
           (c->ch[n].mode & DMA_MODE_SEL) != DMA_MODE_CASCADE;
}

bool dma8237_channel_ready(const struct dma8237 *d, unsigned channel)
{
    if (channel >= DMA_CHANNELS)
        return false;
    if (!served(&d->ctrl[channel >> 2], channel & 3))
        return false;
    if (channel >= 4)
        return true;
    /* DMA1's hold request is DREQ4 of DMA2: channel 4 must pass it on. */
    const struct dma8237_ctrl *c2 = &d->ctrl[1];
    return !(c2->command & DMA_CMD_DISABLE) && !(c2->mask & 1) &&
           (c2->ch[0].mode & DMA_MODE_SEL) == DMA_MODE_CASCADE;
}

uint32_t dma8237_channel_address(const struct dma8237 *d, unsigned channel)
{
    if (channel >= DMA_CHANNELS)
        return 0;
    const struct dma8237_channel *ch = &d->ctrl[channel >> 2].ch[channel & 3];
    uint32_t page = d->page[page_port[channel] - DMA_PAGE_PORT];
    if (channel >= 4)
        return (page & 0xFE) << 16 | (uint32_t)ch->cur_addr << 1;
    return page << 16 | ch->cur_addr;
}

size_t dma8237_transfer(struct dma8237 *d, unsigned channel, void *buf, size_t len,
                        bool device_to_memory, bool *tc)
{
    if (tc)
        *tc = false;
    if (!buf || !dma8237_channel_ready(d, channel))
        return 0;
    struct dma8237_ctrl *c = &d->ctrl[channel >> 2];
    unsigned n = channel & 3;
    struct dma8237_channel *ch = &c->ch[n];
    size_t unit = channel >= 4 ? 2 : 1;
    unsigned type = ch->mode & DMA_MODE_TYPE;
    uint8_t *p = buf;
    size_t done = 0;
    while (len - done >= unit) {
        uint32_t phys = dma8237_channel_address(d, channel);
        if (type == DMA_MODE_WRITE && device_to_memory)
            bus_write_block(d->bus, phys, p + done, unit);
        else if (type == DMA_MODE_READ && !device_to_memory)
            bus_read_block(d->bus, phys, p + done, unit);
        else if (!device_to_memory)
            memset(p + done, 0xFF, unit);
        done += unit;
        ch->cur_addr = (uint16_t)(ch->mode & DMA_MODE_DECREMENT ? ch->cur_addr - 1 : ch->cur_addr + 1);
        if (ch->cur_count-- == 0) {
            /* Terminal count: the status bit, the request bit cleared, and
             * either autoinitialisation or the channel's mask set. */
            c->status |= (uint8_t)(1u << n);
            c->request &= (uint8_t)~(1u << n);
            if (ch->mode & DMA_MODE_AUTOINIT) {
                ch->cur_addr = ch->base_addr;
                ch->cur_count = ch->base_count;
            } else {
                c->mask |= (uint8_t)(1u << n);
            }
            if (tc)
                *tc = true;
            break;
        }
    }
    return done;
}

/* ---- savestate ---- */

void dma8237_save(const struct dma8237 *d, struct sv_writer *w)
{
    for (unsigned i = 0; i < 2; i++) {
        const struct dma8237_ctrl *c = &d->ctrl[i];
        for (unsigned n = 0; n < 4; n++) {
            sv_put_u16(w, c->ch[n].base_addr);
            sv_put_u16(w, c->ch[n].base_count);
            sv_put_u16(w, c->ch[n].cur_addr);
            sv_put_u16(w, c->ch[n].cur_count);
            sv_put_u8(w, c->ch[n].mode);
        }
        sv_put_u8(w, c->command);
        sv_put_u8(w, c->status);
        sv_put_u8(w, c->request);
        sv_put_u8(w, c->mask);
        sv_put_u8(w, c->temp);
        sv_put_bool(w, c->flipflop);
    }
    sv_put_bytes(w, d->page, sizeof(d->page));
}

void dma8237_load(struct dma8237 *d, struct sv_reader *r, unsigned version)
{
    if (version != DMA8237_SV_VERSION) {
        sv_fail(r, "version %u, this Popek reads %u", version, DMA8237_SV_VERSION);
        return;
    }
    for (unsigned i = 0; i < 2; i++) {
        struct dma8237_ctrl *c = &d->ctrl[i];
        for (unsigned n = 0; n < 4; n++) {
            c->ch[n].base_addr = sv_get_u16(r);
            c->ch[n].base_count = sv_get_u16(r);
            c->ch[n].cur_addr = sv_get_u16(r);
            c->ch[n].cur_count = sv_get_u16(r);
            c->ch[n].mode = sv_get_u8(r);
            sv_check(r, !(c->ch[n].mode & 3), "dma mode"); /* bits 1-0 select the channel */
        }
        c->command = sv_get_u8(r);
        /* One bit per channel in the status, request and mask registers. */
        c->status = (uint8_t)sv_get_max(r, 1, 0x0F, "dma status");
        c->request = (uint8_t)sv_get_max(r, 1, 0x0F, "dma request");
        c->mask = (uint8_t)sv_get_max(r, 1, 0x0F, "dma mask");
        c->temp = sv_get_u8(r);
        c->flipflop = sv_get_bool(r);
    }
    sv_get_bytes(r, d->page, sizeof(d->page));
}
