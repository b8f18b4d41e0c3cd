/* The VGA's CPU window A0000-BFFFF (IBM VGA Technical Reference, graphics
 * controller and sequencer memory mode; FreeVGA "VGA memory"): memory map
 * select, chain-4, odd/even and planar addressing, the four latches, write
 * modes 0-3 with set/reset, rotate, logical function and bit mask, the map
 * mask, read modes 0 and 1 (colour compare), and the Bochs VBE bank window
 * when DISPI is enabled. */
#include "devices/vga_priv.h"

#include "mem/bus.h"

static inline uint32_t expand4(unsigned bits)
{
    /* Bit i of bits becomes byte i (plane i) all ones. */
    uint32_t r = 0;
    for (unsigned i = 0; i < 4; i++)
        if (bits & (1u << i))
            r |= 0xFFu << (8 * i);
    return r;
}

static inline uint32_t splat(uint8_t b)
{
    return b * 0x01010101u;
}

static inline uint8_t ror8(uint8_t b, unsigned n)
{
    n &= 7;
    return n ? (uint8_t)(b >> n | b << (8 - n)) : b;
}

/* Plane offsets above this wrap: 64 KiB planes in VGA modes; a 4 bpp DISPI
 * mode has the whole of vram as four planes. */
static uint32_t plane_mask(const struct vga *v)
{
    return vga_dispi_enabled(v) ? VGA_VRAM_SIZE / 4 - 1 : VGA_PLANE_SIZE - 1;
}

enum route { ROUTE_NONE, ROUTE_PLANAR, ROUTE_LINEAR };

/* Where CPU offset addr (from A0000) goes: nowhere, a planar address (the
 * VGA path, also a 4 bpp DISPI mode) or a byte of vram (a DISPI mode). */
static enum route route(const struct vga *v, uint32_t addr, uint32_t *out)
{
    if (vga_dispi_enabled(v)) {
        /* The 64 KiB bank window at A0000. */
        if (addr >= 0x10000)
            return ROUTE_NONE;
        uint32_t a = ((uint32_t)v->dispi[VBE_DISPI_INDEX_BANK] << 16) + addr;
        *out = a;
        return v->dispi[VBE_DISPI_INDEX_BPP] == 4 ? ROUTE_PLANAR : ROUTE_LINEAR;
    }
    if (!(v->misc & VGA_MISC_RAM_ENABLE))
        return ROUTE_NONE;
    switch ((v->gc[VGA_GC_MISC] >> 2) & 3) {
    case 0: /* A0000, 128 KiB */
        break;
    case 1: /* A0000, 64 KiB */
        if (addr >= 0x10000)
            return ROUTE_NONE;
        break;
    case 2: /* B0000, 32 KiB */
        if (addr < 0x10000 || addr >= 0x18000)
            return ROUTE_NONE;
        addr -= 0x10000;
        break;
    default: /* B8000, 32 KiB */
        if (addr < 0x18000)
            return ROUTE_NONE;
        addr -= 0x18000;
        break;
    }
    *out = addr;
    return ROUTE_PLANAR;
}

static uint32_t load_latch(struct vga *v, uint32_t off)
{
    const uint8_t *p = v->vram + ((size_t)(off & plane_mask(v)) << 2);
    v->latch = p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
    return v->latch;
}

static uint8_t planar_read(struct vga *v, uint32_t a)
{
    unsigned plane;
    uint32_t off;
    if (v->seq[VGA_SEQ_MEMMODE] & VGA_SEQ_MEM_CHAIN4) {
        plane = a & 3;
        off = a & ~3u;
    } else if (v->gc[VGA_GC_MODE] & VGA_GC_MODE_ODDEVEN) {
        plane = (v->gc[VGA_GC_READ_MAP] & 2) | (a & 1);
        off = a & ~1u;
    } else {
        plane = v->gc[VGA_GC_READ_MAP] & 3;
        off = a;
    }
    uint32_t latch = load_latch(v, off);
    if (!(v->gc[VGA_GC_MODE] & 0x08))
        return (uint8_t)(latch >> (8 * plane));
    /* Read mode 1: a 1 for each pixel whose planes, where "don't care"
     * selects them, equal the colour compare value. */
    uint32_t care = expand4(v->gc[VGA_GC_DONT_CARE]);
    uint32_t diff = (latch ^ expand4(v->gc[VGA_GC_COLOR_CMP])) & care;
    uint8_t any = (uint8_t)(diff | diff >> 8 | diff >> 16 | diff >> 24);
    return (uint8_t)~any;
}

static uint32_t logical(const struct vga *v, uint32_t d)
{
    switch ((v->gc[VGA_GC_ROTATE] >> 3) & 3) {
    case 1:
        return d & v->latch;
    case 2:
        return d | v->latch;
    case 3:
        return d ^ v->latch;
    default:
        return d;
    }
}

static void planar_write(struct vga *v, uint32_t a, uint8_t val)
{
    unsigned planes;
    uint32_t off;
    if (v->seq[VGA_SEQ_MEMMODE] & VGA_SEQ_MEM_CHAIN4) {
        planes = 1u << (a & 3);
        off = a & ~3u;
    } else if (!(v->seq[VGA_SEQ_MEMMODE] & VGA_SEQ_MEM_ODDEVEN_OFF)) {
        planes = (a & 1) ? 0x0A : 0x05;
        off = a & ~1u;
    } else {
        planes = 0x0F;
        off = a;
    }
    planes &= v->seq[VGA_SEQ_MAP_MASK];
    if (!(planes & 0x0F))
        return;

    const uint8_t *gc = v->gc;
    uint32_t mask = splat(gc[VGA_GC_BIT_MASK]);
    uint32_t d;
    switch (gc[VGA_GC_MODE] & 3) {
    case 0: {
        uint32_t esr = expand4(gc[VGA_GC_ENABLE_SR]);
        d = (splat(ror8(val, gc[VGA_GC_ROTATE])) & ~esr) | (expand4(gc[VGA_GC_SETRESET]) & esr);
        d = logical(v, d);
        break;
    }
    case 1: /* the latches as they are */
        d = v->latch;
        mask = 0xFFFFFFFFu;
        break;
    case 2:
        d = logical(v, expand4(val));
        break;
    default: /* 3: the rotated data ANDed with the bit mask masks set/reset */
        mask = splat(ror8(val, gc[VGA_GC_ROTATE]) & gc[VGA_GC_BIT_MASK]);
        d = logical(v, expand4(gc[VGA_GC_SETRESET]));
        break;
    }
    d = (d & mask) | (v->latch & ~mask);

    size_t base = (size_t)(off & plane_mask(v)) << 2;
    for (unsigned p = 0; p < 4; p++)
        if (planes & (1u << p))
            v->vram[base + p] = (uint8_t)(d >> (8 * p));
    vga_mark_dirty(v, (uint32_t)base);
}

uint8_t vga_mem_read(struct vga *v, uint32_t addr)
{
    uint32_t a;
    switch (route(v, addr, &a)) {
    case ROUTE_PLANAR:
        return planar_read(v, a);
    case ROUTE_LINEAR:
        return v->vram[a & (VGA_VRAM_SIZE - 1)];
    default:
        return 0xFF;
    }
}

void vga_mem_write(struct vga *v, uint32_t addr, uint8_t val)
{
    uint32_t a;
    switch (route(v, addr, &a)) {
    case ROUTE_PLANAR:
        planar_write(v, a, val);
        return;
    case ROUTE_LINEAR:
        a &= VGA_VRAM_SIZE - 1;
        v->vram[a] = val;
        vga_mark_dirty(v, a);
        return;
    default:
        return;
    }
}

/* Wider accesses are bytes in address order: each read loads the latches. */
static uint32_t window_read(void *opaque, uint32_t offset, unsigned size)
{
    uint32_t val = 0;
    for (unsigned i = 0; i < size; i++)
        val |= (uint32_t)vga_mem_read(opaque, offset + i) << (8 * i);
    return val;
}

static void window_write(void *opaque, uint32_t offset, uint32_t val, unsigned size)
{
    for (unsigned i = 0; i < size; i++)
        vga_mem_write(opaque, offset + i, (uint8_t)(val >> (8 * i)));
}

static const struct mmio_ops window_ops = {
    .read = window_read,
    .write = window_write,
    .max_size = 4,
};

/* The whole 128 KiB is mapped once; what the memory map select leaves out
 * reads as all ones and drops writes, as an undecoded address would. */
int vga_mem_init(struct vga *v)
{
    return bus_map_mmio(v->bus, 0xA0000, 0x20000, &window_ops, v);
}
