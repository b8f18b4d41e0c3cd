/* The Bochs VBE display interface ("DISPI"; Bochs' and SeaBIOS's
 * bochsvga.h, the Bochs VGA's behaviour): an index port 0x1CE and a data
 * port 0x1CF (0x1D0 an alias), 16-bit registers for the resolution, depth,
 * enable flags, bank, virtual size and display offsets.  Values the card
 * cannot show are refused as Bochs refuses them: the register keeps its
 * old value (docs/devices/vga.md lists each case). */
#include "devices/vga_priv.h"

#include <string.h>

#include "mem/bus.h"

#define ENABLE_BITS \
    (VBE_DISPI_ENABLED | VBE_DISPI_GETCAPS | VBE_DISPI_8BIT_DAC | VBE_DISPI_LFB_ENABLED | \
     VBE_DISPI_NOCLEARMEM)

static bool valid_bpp(unsigned bpp)
{
    return bpp == 4 || bpp == 8 || bpp == 15 || bpp == 16 || bpp == 24 || bpp == 32;
}

/* Bytes of vram per pixel, times 8 (4 bpp: half a byte). */
static uint32_t bits_per_pixel(const struct vga *v)
{
    unsigned bpp = v->dispi[VBE_DISPI_INDEX_BPP];
    return bpp == 15 ? 16 : bpp;
}

static uint32_t line_bytes_for(const struct vga *v, uint32_t width)
{
    if (v->dispi[VBE_DISPI_INDEX_BPP] == 4)
        return width / 8; /* of each plane */
    return width * (bits_per_pixel(v) / 8);
}

/* The memory a mode's lines live in: all of vram, or a quarter of it for
 * each plane of a 4 bpp mode. */
static uint32_t space(const struct vga *v)
{
    return v->dispi[VBE_DISPI_INDEX_BPP] == 4 ? VGA_VRAM_SIZE / 4 : VGA_VRAM_SIZE;
}

uint32_t vga_dispi_line_bytes(const struct vga *v)
{
    return line_bytes_for(v, v->dispi[VBE_DISPI_INDEX_VIRT_WIDTH]);
}

uint32_t vga_dispi_start(const struct vga *v)
{
    uint32_t x = v->dispi[VBE_DISPI_INDEX_X_OFFSET];
    uint32_t start = v->dispi[VBE_DISPI_INDEX_Y_OFFSET] * vga_dispi_line_bytes(v);
    return start + (v->dispi[VBE_DISPI_INDEX_BPP] == 4 ? x / 8 : x * (bits_per_pixel(v) / 8));
}

/* The virtual height that width leaves room for, at most 65535 lines. */
static uint16_t lines_that_fit(const struct vga *v, uint32_t width)
{
    uint32_t lb = line_bytes_for(v, width);
    uint32_t h = lb ? space(v) / lb : 0;
    return (uint16_t)(h > 0xFFFF ? 0xFFFF : h);
}

uint16_t vga_dispi_read(struct vga *v, unsigned index)
{
    bool caps = v->dispi[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_GETCAPS;
    switch (index) {
    case VBE_DISPI_INDEX_XRES:
        return caps ? VBE_DISPI_MAX_XRES : v->dispi[index];
    case VBE_DISPI_INDEX_YRES:
        return caps ? VBE_DISPI_MAX_YRES : v->dispi[index];
    case VBE_DISPI_INDEX_BPP:
        return caps ? VBE_DISPI_MAX_BPP : v->dispi[index];
    case VBE_DISPI_INDEX_VIDEO_MEMORY_64K:
        return (uint16_t)(VGA_VRAM_SIZE >> 16);
    default:
        return index < VBE_DISPI_NREGS ? v->dispi[index] : 0;
    }
}

/* Switching the DAC between 6 and 8 bits per colour keeps the colours: the
 * stored values are shifted, as Bochs does. */
static void dac_width(struct vga *v, bool eight)
{
    for (unsigned i = 0; i < 256; i++)
        for (unsigned k = 0; k < 3; k++)
            v->dac[i][k] = eight ? (uint8_t)(v->dac[i][k] << 2) : v->dac[i][k] >> 2;
}

static void write_enable(struct vga *v, uint16_t val)
{
    uint16_t *r = v->dispi;
    uint16_t old = r[VBE_DISPI_INDEX_ENABLE];
    val &= ENABLE_BITS;
    if ((val & VBE_DISPI_ENABLED) && !(old & VBE_DISPI_ENABLED)) {
        uint32_t x = r[VBE_DISPI_INDEX_XRES], y = r[VBE_DISPI_INDEX_YRES];
        /* A mode that does not fit (nothing in range does with 16 MiB,
         * but a zero size can be asked for) stays disabled. */
        if (x == 0 || y == 0 || (uint64_t)line_bytes_for(v, x) * y > space(v) ||
            line_bytes_for(v, x) == 0) {
            val &= (uint16_t)~VBE_DISPI_ENABLED;
        } else {
            r[VBE_DISPI_INDEX_VIRT_WIDTH] = (uint16_t)x;
            r[VBE_DISPI_INDEX_VIRT_HEIGHT] = (uint16_t)y;
            r[VBE_DISPI_INDEX_X_OFFSET] = r[VBE_DISPI_INDEX_Y_OFFSET] = 0;
            if (!(val & VBE_DISPI_NOCLEARMEM)) {
                memset(v->vram, 0, VGA_VRAM_SIZE);
                memset(v->dirty, 0xFF, sizeof(v->dirty));
            }
        }
    }
    if ((val ^ old) & VBE_DISPI_8BIT_DAC)
        dac_width(v, val & VBE_DISPI_8BIT_DAC);
    r[VBE_DISPI_INDEX_ENABLE] = val;
}

void vga_dispi_write(struct vga *v, unsigned index, uint16_t val)
{
    uint16_t *r = v->dispi;
    bool enabled = vga_dispi_enabled(v);
    uint16_t before[VBE_DISPI_NREGS];
    memcpy(before, r, sizeof(before));
    switch (index) {
    case VBE_DISPI_INDEX_ID:
        if (val >= VBE_DISPI_ID0 && val <= VBE_DISPI_ID5)
            r[index] = val;
        break;
    case VBE_DISPI_INDEX_XRES:
        if (!enabled && val <= VBE_DISPI_MAX_XRES)
            r[index] = val;
        break;
    case VBE_DISPI_INDEX_YRES:
        if (!enabled && val <= VBE_DISPI_MAX_YRES)
            r[index] = val;
        break;
    case VBE_DISPI_INDEX_BPP:
        if (val == 0)
            val = 8; /* Bochs: what old BIOSes meant */
        if (!enabled && valid_bpp(val))
            r[index] = val;
        break;
    case VBE_DISPI_INDEX_ENABLE:
        write_enable(v, val);
        break;
    case VBE_DISPI_INDEX_BANK:
        if (val < space(v) >> 16)
            r[index] = val;
        break;
    case VBE_DISPI_INDEX_VIRT_WIDTH: {
        /* Keep at least the visible width and height: a width too wide for
         * yres lines of memory is cut to what yres lines allow. */
        uint32_t w = val < r[VBE_DISPI_INDEX_XRES] ? r[VBE_DISPI_INDEX_XRES] : val;
        uint32_t y = r[VBE_DISPI_INDEX_YRES] ? r[VBE_DISPI_INDEX_YRES] : 1;
        if (line_bytes_for(v, w) == 0)
            break;
        uint16_t h = lines_that_fit(v, w);
        if (h < y) {
            uint32_t per_line = space(v) / y; /* bytes */
            w = r[VBE_DISPI_INDEX_BPP] == 4 ? per_line * 8 : per_line / (bits_per_pixel(v) / 8);
            if (w > 0xFFFF)
                w = 0xFFFF;
            h = lines_that_fit(v, w);
        }
        r[index] = (uint16_t)w;
        r[VBE_DISPI_INDEX_VIRT_HEIGHT] = h;
        break;
    }
    case VBE_DISPI_INDEX_VIRT_HEIGHT: /* follows VIRT_WIDTH; read-only */
        break;
    case VBE_DISPI_INDEX_X_OFFSET:
        r[index] = val;
        break;
    case VBE_DISPI_INDEX_Y_OFFSET: {
        /* Refused when the visible picture would run past the memory. */
        uint64_t end = (uint64_t)val * vga_dispi_line_bytes(v) +
                       (uint64_t)vga_dispi_line_bytes(v) * r[VBE_DISPI_INDEX_YRES];
        if (end <= space(v))
            r[index] = val;
        break;
    }
    default: /* VIDEO_MEMORY_64K is read-only; others do not exist */
        break;
    }
    if (memcmp(before, r, sizeof(before)) != 0)
        v->full_dirty = true;
}

const char *vga_dispi_check(const struct vga *v)
{
    const uint16_t *r = v->dispi;
    if (r[VBE_DISPI_INDEX_ID] < VBE_DISPI_ID0 || r[VBE_DISPI_INDEX_ID] > VBE_DISPI_ID5)
        return "DISPI ID";
    /* The renderer allocates XRES * YRES pixels: these bound it. */
    if (r[VBE_DISPI_INDEX_XRES] > VBE_DISPI_MAX_XRES)
        return "DISPI XRES";
    if (r[VBE_DISPI_INDEX_YRES] > VBE_DISPI_MAX_YRES)
        return "DISPI YRES";
    if (!valid_bpp(r[VBE_DISPI_INDEX_BPP]))
        return "DISPI BPP";
    if (r[VBE_DISPI_INDEX_ENABLE] & ~ENABLE_BITS)
        return "DISPI ENABLE";
    /* A bank is refused unless it is in the mode's memory, but the depth
     * may change after it; all of vram is the bound that always holds. */
    if (r[VBE_DISPI_INDEX_BANK] >= VGA_VRAM_SIZE >> 16)
        return "DISPI BANK";
    if (vga_dispi_enabled(v)) {
        /* Enabling checks the mode fits, and the size and depth cannot
         * change while enabled. */
        uint32_t x = r[VBE_DISPI_INDEX_XRES], y = r[VBE_DISPI_INDEX_YRES];
        uint32_t lb = line_bytes_for(v, x);
        if (x == 0 || y == 0 || lb == 0 || (uint64_t)lb * y > space(v))
            return "DISPI mode (enabled, but it does not fit)";
    }
    return NULL;
}

void vga_dispi_reset(struct vga *v)
{
    memset(v->dispi, 0, sizeof(v->dispi));
    v->dispi[VBE_DISPI_INDEX_ID] = VBE_DISPI_ID5;
    v->dispi[VBE_DISPI_INDEX_BPP] = 8;
    v->dispi_index = 0;
}

static uint32_t port_read(void *opaque, uint16_t port, unsigned size)
{
    struct vga *v = opaque;
    if (port == VBE_DISPI_IOPORT_INDEX)
        return v->dispi_index;
    return vga_dispi_read(v, v->dispi_index);
}

static void port_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct vga *v = opaque;
    if (port == VBE_DISPI_IOPORT_INDEX)
        v->dispi_index = (uint16_t)val;
    else
        vga_dispi_write(v, v->dispi_index, (uint16_t)val);
}

/* 16-bit registers; a byte access is taken as a word with the high byte
 * zero (read: the low byte). */
static const struct io_ops dispi_ops = {
    .read = port_read,
    .write = port_write,
    .sizes = 1 | 2,
};

int vga_dispi_init(struct vga *v)
{
    return bus_io_register(v->bus, VBE_DISPI_IOPORT_INDEX, 3, &dispi_ops, v);
}
