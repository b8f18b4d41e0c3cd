/* QEMU fw_cfg, x86 I/O port interface (see fw_cfg.h). */
#include "devices/fw_cfg.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mem/bus.h"
#include "mem/sv.h"

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static uint32_t get_be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t bswap32(uint32_t v)
{
    return v >> 24 | (v >> 8 & 0xFF00) | (v << 8 & 0xFF0000) | v << 24;
}

/* The item a selector names, or NULL.  The write and arch bits are not
 * part of the key: there are no x86-local items, so those read as absent. */
static struct fw_cfg_item *item(struct fw_cfg *f, uint16_t selector)
{
    if (selector & FW_CFG_ARCH_LOCAL)
        return NULL;
    uint16_t key = selector & ~FW_CFG_WRITE_CHANNEL;
    if (key < FW_CFG_FILE_FIRST)
        return f->fixed[key].data || key == FW_CFG_FILE_DIR ? &f->fixed[key] : NULL;
    if (key - FW_CFG_FILE_FIRST < (int)f->nfiles)
        return &f->files[key - FW_CFG_FILE_FIRST];
    return NULL;
}

static void select_item(struct fw_cfg *f, uint16_t selector)
{
    f->selector = selector;
    f->offset = 0;
}

/* ---- DMA ------------------------------------------------------------- */

/* Whether [addr, addr+len) is inside the 4 GiB space and decoded all the
 * way (RAM, ROM or a device): a transfer to nothing is a failed DMA. */
static bool dma_range_ok(struct bus *bus, uint64_t addr, uint64_t len)
{
    if (addr > 0xFFFFFFFFull || len > 0x100000000ull - addr)
        return false;
    if (len == 0)
        return true;
    uint64_t last = addr + len - 1;
    for (uint64_t pg = addr & ~(uint64_t)BUS_PAGE_MASK; pg <= last; pg += BUS_PAGE_SIZE)
        if (bus_page(bus, (uint32_t)pg)->kind == BUS_UNMAPPED)
            return false;
    return true;
}

static void dma_zero(struct bus *bus, uint32_t addr, uint32_t len)
{
    static const uint8_t zeros[256];
    while (len) {
        uint32_t n = len < sizeof(zeros) ? len : (uint32_t)sizeof(zeros);
        bus_write_block(bus, addr, zeros, n);
        addr += n;
        len -= n;
    }
}

/* Runs the descriptor at desc; returns the control word to write back. */
static uint32_t dma_run(struct fw_cfg *f, uint32_t control, uint32_t length, uint64_t address)
{
    if (control & FW_CFG_DMA_SELECT)
        select_item(f, (uint16_t)(control >> 16));
    unsigned op = control & (FW_CFG_DMA_READ | FW_CFG_DMA_SKIP | FW_CFG_DMA_WRITE);
    if (op == 0)
        return 0;
    /* One operation per descriptor; READ takes precedence as in QEMU. */
    if (op & FW_CFG_DMA_READ)
        op = FW_CFG_DMA_READ;
    else if (op & FW_CFG_DMA_WRITE)
        op = FW_CFG_DMA_WRITE;
    struct fw_cfg_item *it = item(f, f->selector);
    uint32_t avail = it && f->offset < it->len ? it->len - f->offset : 0;
    if (op == FW_CFG_DMA_SKIP) {
        f->offset += length < avail ? length : avail;
        return 0;
    }
    if (!dma_range_ok(f->bus, address, length))
        return FW_CFG_DMA_ERROR;
    uint32_t n = length < avail ? length : avail;
    if (op == FW_CFG_DMA_READ) {
        if (n)
            bus_write_block(f->bus, (uint32_t)address, it->data + f->offset, n);
        /* Past the item's end a read gives zeros. */
        if (length > n)
            dma_zero(f->bus, (uint32_t)address + n, length - n);
        f->offset += n;
        return 0;
    }
    /* A write: only to a writable item, and only within it. */
    if (!it || !it->writable || length > avail)
        return FW_CFG_DMA_ERROR;
    bus_read_block(f->bus, (uint32_t)address, it->data + f->offset, n);
    f->offset += n;
    return 0;
}

static void dma_start(struct fw_cfg *f, uint32_t low)
{
    uint64_t desc = (uint64_t)f->dma_high << 32 | low;
    f->dma_high = 0;
    if (!dma_range_ok(f->bus, desc, 16))
        return; /* nowhere to read the descriptor from, nor to report to */
    uint8_t d[16];
    bus_read_block(f->bus, (uint32_t)desc, d, sizeof(d));
    uint32_t control = get_be32(d), length = get_be32(d + 4);
    uint64_t address = (uint64_t)get_be32(d + 8) << 32 | get_be32(d + 12);
    f->dma_ops++;
    uint8_t result[4];
    put_be32(result, dma_run(f, control, length, address));
    bus_write_block(f->bus, (uint32_t)desc, result, 4);
}

/* ---- ports ----------------------------------------------------------- */

static uint32_t fw_cfg_read(void *opaque, uint16_t port, unsigned size)
{
    struct fw_cfg *f = opaque;
    if (port == FW_CFG_PORT_DATA) {
        struct fw_cfg_item *it = item(f, f->selector);
        if (!it || f->offset >= it->len)
            return 0;
        return it->data[f->offset++];
    }
    if (port >= FW_CFG_PORT_DMA) {
        /* The signature, big-endian across the eight bytes. */
        unsigned at = port - FW_CFG_PORT_DMA;
        uint32_t v = 0;
        for (unsigned i = 0; i < size && at + i < 8; i++)
            v |= (uint32_t)((FW_CFG_DMA_SIGNATURE >> (56 - 8 * (at + i))) & 0xFF) << (8 * i);
        return v;
    }
    return 0; /* the selector is write-only */
}

static void fw_cfg_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct fw_cfg *f = opaque;
    if (port == FW_CFG_PORT_SEL) {
        select_item(f, (uint16_t)val);
    } else if (port == FW_CFG_PORT_DMA && size == 4) {
        f->dma_high = bswap32(val);
    } else if (port == FW_CFG_PORT_DMA + 4 && size == 4) {
        dma_start(f, bswap32(val));
    }
    /* Writes to the data port have been ignored since QEMU 2.4; so here. */
}

static const struct io_ops fw_cfg_ops = {
    .read = fw_cfg_read,
    .write = fw_cfg_write,
    .sizes = 1 | 2 | 4,
};

/* The data port is a byte register: a wider read takes consecutive bytes
 * of the item, as QEMU's port does. */
static uint32_t data_read(void *opaque, uint16_t port, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= fw_cfg_read(opaque, FW_CFG_PORT_DATA, 1) << (8 * i);
    return v;
}

static const struct io_ops data_ops = {
    .read = data_read,
    .write = fw_cfg_write,
    .sizes = 1 | 2 | 4,
};

/* ---- items ----------------------------------------------------------- */

static void rebuild_dir(struct fw_cfg *f)
{
    memset(f->dir, 0, sizeof(f->dir));
    put_be32(f->dir, f->nfiles);
    for (unsigned i = 0; i < f->nfiles; i++) {
        uint8_t *e = f->dir + 4 + 64 * i;
        put_be32(e, f->files[i].len);
        e[4] = (uint8_t)((FW_CFG_FILE_FIRST + i) >> 8);
        e[5] = (uint8_t)(FW_CFG_FILE_FIRST + i);
        memcpy(e + 8, f->names[i], FW_CFG_NAME_LEN);
    }
    f->fixed[FW_CFG_FILE_DIR].data = f->dir;
    f->fixed[FW_CFG_FILE_DIR].len = 4 + 64 * f->nfiles;
}

static int set_item(struct fw_cfg_item *it, const void *data, uint32_t len, bool writable)
{
    if (len > FW_CFG_MAX_ITEM || (len && !data))
        return -EINVAL;
    uint8_t *copy = malloc(len ? len : 1);
    if (!copy)
        return -ENOMEM;
    if (len)
        memcpy(copy, data, len);
    free(it->data);
    it->data = copy;
    it->len = len;
    it->writable = writable;
    return 0;
}

int fw_cfg_add(struct fw_cfg *f, uint16_t key, const void *data, uint32_t len)
{
    if (key >= FW_CFG_FILE_FIRST || key == FW_CFG_FILE_DIR)
        return -EINVAL;
    return set_item(&f->fixed[key], data, len, false);
}

int fw_cfg_add_u16(struct fw_cfg *f, uint16_t key, uint16_t v)
{
    uint8_t b[2] = { (uint8_t)v, (uint8_t)(v >> 8) };
    return fw_cfg_add(f, key, b, sizeof(b));
}

int fw_cfg_add_u32(struct fw_cfg *f, uint16_t key, uint32_t v)
{
    uint8_t b[4];
    for (int i = 0; i < 4; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return fw_cfg_add(f, key, b, sizeof(b));
}

int fw_cfg_add_u64(struct fw_cfg *f, uint16_t key, uint64_t v)
{
    uint8_t b[8];
    for (int i = 0; i < 8; i++)
        b[i] = (uint8_t)(v >> (8 * i));
    return fw_cfg_add(f, key, b, sizeof(b));
}

int fw_cfg_add_file(struct fw_cfg *f, const char *name, const void *data, uint32_t len, bool writable)
{
    size_t nlen = name ? strlen(name) : 0;
    if (nlen == 0 || nlen >= FW_CFG_NAME_LEN)
        return -EINVAL;
    unsigned i = 0;
    while (i < f->nfiles && strcmp(f->names[i], name) < 0)
        i++;
    if (i < f->nfiles && strcmp(f->names[i], name) == 0) {
        int rc = set_item(&f->files[i], data, len, writable);
        rebuild_dir(f);
        return rc;
    }
    if (f->nfiles == FW_CFG_MAX_FILES)
        return -ENOSPC;
    struct fw_cfg_item fresh = { 0 };
    int rc = set_item(&fresh, data, len, writable);
    if (rc < 0)
        return rc;
    memmove(&f->files[i + 1], &f->files[i], (f->nfiles - i) * sizeof(f->files[0]));
    memmove(&f->names[i + 1], &f->names[i], (f->nfiles - i) * sizeof(f->names[0]));
    f->files[i] = fresh;
    memset(f->names[i], 0, FW_CFG_NAME_LEN);
    memcpy(f->names[i], name, nlen);
    f->nfiles++;
    rebuild_dir(f);
    return 0;
}

const struct fw_cfg_item *fw_cfg_find_file(const struct fw_cfg *f, const char *name)
{
    for (unsigned i = 0; i < f->nfiles; i++)
        if (strcmp(f->names[i], name) == 0)
            return &f->files[i];
    return NULL;
}

void fw_cfg_reset(struct fw_cfg *f)
{
    select_item(f, FW_CFG_SIGNATURE);
    f->dma_high = 0;
}

int fw_cfg_init(struct fw_cfg *f, struct bus *bus)
{
    memset(f, 0, sizeof(*f));
    f->bus = bus;
    rebuild_dir(f);
    int rc = fw_cfg_add(f, FW_CFG_SIGNATURE, "QEMU", 4);
    if (rc == 0)
        rc = fw_cfg_add_u32(f, FW_CFG_ID, FW_CFG_ID_TRADITIONAL | FW_CFG_ID_DMA);
    if (rc == 0)
        rc = bus_io_register(bus, FW_CFG_PORT_SEL, 1, &fw_cfg_ops, f);
    if (rc == 0)
        rc = bus_io_register(bus, FW_CFG_PORT_DATA, 1, &data_ops, f);
    if (rc == 0)
        rc = bus_io_register(bus, FW_CFG_PORT_DMA, 8, &fw_cfg_ops, f);
    if (rc < 0)
        fw_cfg_free(f);
    return rc;
}

void fw_cfg_free(struct fw_cfg *f)
{
    for (unsigned k = 0; k < FW_CFG_FILE_FIRST; k++)
        if (k != FW_CFG_FILE_DIR)
            free(f->fixed[k].data);
    for (unsigned i = 0; i < f->nfiles; i++)
        free(f->files[i].data);
    memset(f, 0, sizeof(*f));
}

void fw_cfg_save(const struct fw_cfg *f, struct sv_writer *w)
{
    sv_put_u16(w, f->selector);
    sv_put_u32(w, f->offset);
    sv_put_u32(w, f->dma_high);
}

void fw_cfg_load(struct fw_cfg *f, struct sv_reader *r, unsigned version)
{
    if (version != FW_CFG_SV_VERSION) {
        sv_fail(r, "version %u, this Popek reads %u", version, FW_CFG_SV_VERSION);
        return;
    }
    /* Every selector is one a guest can write (an unknown one reads as
     * absent); the offset indexes the item's bytes. */
    f->selector = sv_get_u16(r);
    const struct fw_cfg_item *it = item(f, f->selector);
    f->offset = sv_get_max(r, 4, it ? it->len : 0, "fw_cfg offset");
    f->dma_high = sv_get_u32(r);
}
