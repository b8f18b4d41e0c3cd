/* The VGA's registers at ports 0x3B0-0x3DF (IBM VGA Technical Reference;
 * FreeVGA): misc output, sequencer, CRTC, graphics controller, attribute
 * controller, DAC, input status and feature control; and the frame timing
 * the status bits follow on the virtual clock. */
#include "devices/vga_priv.h"

#include <string.h>

#include "devices/clock.h"
#include "mem/bus.h"

#define OPEN_BUS 0xFF /* an index past the chip's registers, an unused port */

/* The CRTC decodes 0x3B4/5 and 0x3BA with misc bit 0 clear, 0x3D4/5 and
 * 0x3DA with it set; the other set reads as nothing. */
static bool crtc_port_live(const struct vga *v, uint16_t port)
{
    bool color = v->misc & VGA_MISC_COLOR;
    return (port >= 0x3D0) == color;
}

unsigned vga_crtc_vde(const struct vga *v)
{
    const uint8_t *c = v->crtc;
    return (c[0x12] | (c[7] & 0x02) << 7 | (c[7] & 0x40) << 3) + 1u;
}

unsigned vga_crtc_line_compare(const struct vga *v)
{
    const uint8_t *c = v->crtc;
    return c[0x18] | (c[7] & 0x10) << 4 | (c[9] & 0x40) << 3;
}

/* ---- timing ---- */

static void fallback_timing(struct vga_timing *t, unsigned active, unsigned hz)
{
    t->active_lines = active;
    t->total_lines = active + active / 10 + 10;
    t->vrs = active + active / 40 + 2;
    t->vr_lines = 2;
    t->frame_ns = 1000000000ull / hz;
    t->line_ns = t->frame_ns / t->total_lines;
    t->hactive_ns = t->line_ns * 4 / 5;
}

/* From the CRTC: the dot clock (misc bits 2-3: 25.175 or 28.322 MHz; the
 * external clocks 2 and 3 are taken as 25.175), the character width and
 * the dot clock halving of sequencer register 1, and the horizontal and
 * vertical totals.  Mode 3 and 13h come out at 70.1 Hz, mode 12h at 59.9 Hz.
 * Registers that make no sense (power-on zeros: below 40 Hz or above 200 Hz,
 * or a display longer than the frame) give a fixed 70 Hz of 449 lines; a
 * DISPI mode has no CRTC timing and runs at 60 Hz. */
void vga_timing(const struct vga *v, struct vga_timing *t)
{
    if (vga_dispi_enabled(v)) {
        unsigned y = v->dispi[VBE_DISPI_INDEX_YRES];
        fallback_timing(t, y ? y : 1, 60);
        return;
    }
    const uint8_t *c = v->crtc;
    uint64_t clk = ((v->misc >> 2) & 3) == 1 ? 28322000 : 25175000;
    unsigned dots = (v->seq[VGA_SEQ_CLOCK] & VGA_SEQ_CLOCK_8DOT) ? 8 : 9;
    if (v->seq[VGA_SEQ_CLOCK] & VGA_SEQ_CLOCK_HALF)
        dots *= 2;
    uint64_t htotal = (c[0] + 5u) * (uint64_t)dots;
    uint64_t hactive = (c[1] + 1u) * (uint64_t)dots;
    unsigned vtotal = (c[6] | (c[7] & 0x01) << 8 | (c[7] & 0x20) << 4) + 2u;
    unsigned vde = vga_crtc_vde(v);
    uint64_t frame_ns = htotal * vtotal * 1000000000ull / clk;
    if (frame_ns < 5000000 || frame_ns > 25000000 || vde > vtotal || hactive > htotal) {
        fallback_timing(t, 400, 70);
        return;
    }
    t->frame_ns = frame_ns;
    t->total_lines = vtotal;
    t->active_lines = vde;
    t->line_ns = frame_ns / vtotal;
    t->hactive_ns = hactive * 1000000000ull / clk;
    t->vrs = c[0x10] | (c[7] & 0x04) << 6 | (c[7] & 0x80) << 2;
    /* Retrace ends when the line counter's low 4 bits reach VRE. */
    unsigned len = ((c[0x11] & 0x0F) - (t->vrs & 0x0F)) & 0x0F;
    t->vr_lines = len ? len : 16;
    if (t->vrs >= vtotal) /* never reached: retrace right after the display */
        t->vrs = vde < vtotal ? vde : 0;
}

uint64_t vga_frame_number(const struct vga *v)
{
    struct vga_timing t;
    vga_timing(v, &t);
    return v->clock->now / t.frame_ns;
}

/* Input status 1: bit 3 vertical retrace, bit 0 "display disabled" (in
 * either blanking interval). */
static uint8_t input_status1(struct vga *v)
{
    struct vga_timing t;
    vga_timing(v, &t);
    uint64_t in_frame = v->clock->now % t.frame_ns;
    unsigned line = (unsigned)(in_frame / t.line_ns);
    uint64_t in_line = in_frame % t.line_ns;
    uint8_t s = 0;
    if (line >= t.active_lines || in_line >= t.hactive_ns)
        s |= 0x01;
    if ((line + t.total_lines - t.vrs) % t.total_lines < t.vr_lines)
        s |= 0x08;
    return s;
}

/* ---- the controllers ---- */

static void set_reg(struct vga *v, uint8_t *reg, uint8_t val, bool shown)
{
    if (*reg != val && shown)
        v->full_dirty = true;
    *reg = val;
}

static void crtc_write(struct vga *v, uint8_t val)
{
    unsigned i = v->crtc_index;
    if (i >= VGA_CRTC_REGS)
        return;
    /* Protect (CR11 bit 7) locks CR00-CR07, except the line compare bit 8
     * in the overflow register. */
    if (i <= 7 && (v->crtc[0x11] & 0x80)) {
        if (i != 7)
            return;
        val = (uint8_t)((v->crtc[7] & ~0x10) | (val & 0x10));
    }
    set_reg(v, &v->crtc[i], val, true);
}

/* The bits attribute registers 10h-14h keep: mode control bit 4 is
 * reserved; colour plane enable keeps its video status mux bits. */
static const uint8_t ac_mask[VGA_AC_REGS - 16] = { 0xEF, 0xFF, 0x3F, 0x0F, 0x0F };

static void ac_write(struct vga *v, uint8_t val)
{
    if (!v->ac_data_next) {
        uint8_t idx = val & 0x3F;
        if ((idx ^ v->ac_index) & VGA_AC_PAS)
            v->full_dirty = true; /* the screen blanks or comes back */
        v->ac_index = idx;
        v->ac_data_next = true;
        return;
    }
    v->ac_data_next = false;
    unsigned i = v->ac_index & 0x1F;
    if (i >= VGA_AC_REGS)
        return;
    /* The palette can be loaded only while the screen is given up to it
     * (palette address source 0). */
    if (i < 16) {
        if (!(v->ac_index & VGA_AC_PAS))
            set_reg(v, &v->ac[i], val & 0x3F, true);
        return;
    }
    set_reg(v, &v->ac[i], val & ac_mask[i - 16], true);
}

static void dac_data_write(struct vga *v, uint8_t val)
{
    uint8_t bits = (v->dispi[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_8BIT_DAC) ? 0xFF : 0x3F;
    v->dac_cache[v->dac_step++] = val & bits;
    if (v->dac_step < 3)
        return;
    v->dac_step = 0;
    uint8_t *e = v->dac[v->dac_write_index++];
    for (unsigned k = 0; k < 3; k++)
        set_reg(v, &e[k], v->dac_cache[k], true);
}

static uint8_t dac_data_read(struct vga *v)
{
    uint8_t val = v->dac[v->dac_read_index][v->dac_step++];
    if (v->dac_step == 3) {
        v->dac_step = 0;
        v->dac_read_index++;
    }
    return val;
}

uint8_t vga_port_read(struct vga *v, uint16_t port)
{
    switch (port) {
    case 0x3B4:
    case 0x3D4:
        return crtc_port_live(v, port) ? v->crtc_index : OPEN_BUS;
    case 0x3B5:
    case 0x3D5:
        if (!crtc_port_live(v, port) || v->crtc_index >= VGA_CRTC_REGS)
            return OPEN_BUS;
        return v->crtc[v->crtc_index];
    case 0x3BA:
    case 0x3DA:
        if (!crtc_port_live(v, port))
            return OPEN_BUS;
        v->ac_data_next = false;
        return input_status1(v);
    case 0x3C0:
        return v->ac_index;
    case 0x3C1: {
        unsigned i = v->ac_index & 0x1F;
        return i < VGA_AC_REGS ? v->ac[i] : OPEN_BUS;
    }
    case 0x3C2: /* input status 0: no switch sense, no retrace interrupt */
        return 0x00;
    case 0x3C4:
        return v->seq_index;
    case 0x3C5:
        return v->seq_index < VGA_SEQ_REGS ? v->seq[v->seq_index] : OPEN_BUS;
    case 0x3C6:
        return v->pel_mask;
    case 0x3C7:
        return v->dac_state;
    case 0x3C8:
        return v->dac_write_index;
    case 0x3C9:
        return dac_data_read(v);
    case 0x3CA:
        return v->feature;
    case 0x3CC:
        return v->misc;
    case 0x3CE:
        return v->gc_index;
    case 0x3CF:
        return v->gc_index < VGA_GC_REGS ? v->gc[v->gc_index] : OPEN_BUS;
    default:
        return OPEN_BUS;
    }
}

void vga_port_write(struct vga *v, uint16_t port, uint8_t val)
{
    switch (port) {
    case 0x3B4:
    case 0x3D4:
        if (crtc_port_live(v, port))
            v->crtc_index = val & 0x1F;
        return;
    case 0x3B5:
    case 0x3D5:
        if (crtc_port_live(v, port))
            crtc_write(v, val);
        return;
    case 0x3BA:
    case 0x3DA:
        if (crtc_port_live(v, port))
            v->feature = val & 0x03;
        return;
    case 0x3C0:
        ac_write(v, val);
        return;
    case 0x3C2:
        set_reg(v, &v->misc, val, true);
        return;
    case 0x3C4:
        v->seq_index = val & 0x07;
        return;
    case 0x3C5:
        if (v->seq_index < VGA_SEQ_REGS)
            set_reg(v, &v->seq[v->seq_index], val, v->seq_index != VGA_SEQ_MAP_MASK);
        return;
    case 0x3C6:
        set_reg(v, &v->pel_mask, val, true);
        return;
    case 0x3C7:
        v->dac_read_index = val;
        v->dac_step = 0;
        v->dac_state = 0x03;
        return;
    case 0x3C8:
        v->dac_write_index = val;
        v->dac_step = 0;
        v->dac_state = 0x00;
        return;
    case 0x3C9:
        dac_data_write(v, val);
        return;
    case 0x3CE:
        v->gc_index = val & 0x0F;
        return;
    case 0x3CF:
        /* Only the mode (shift register) and misc (graphics, memory map)
         * registers change the picture. */
        if (v->gc_index < VGA_GC_REGS)
            set_reg(v, &v->gc[v->gc_index], val,
                    v->gc_index == VGA_GC_MODE || v->gc_index == VGA_GC_MISC);
        return;
    default:
        return;
    }
}

const char *vga_regs_check(const struct vga *v)
{
    /* Each index register keeps the bits its port write decodes. */
    if (v->seq_index > 0x07)
        return "sequencer index";
    if (v->crtc_index > 0x1F)
        return "CRTC index";
    if (v->gc_index > 0x0F)
        return "graphics controller index";
    if (v->ac_index > 0x3F)
        return "attribute controller index";
    if (v->feature > 0x03)
        return "feature control";
    for (unsigned i = 0; i < 16; i++)
        if (v->ac[i] > 0x3F)
            return "attribute palette entry";
    for (unsigned i = 16; i < VGA_AC_REGS; i++)
        if (v->ac[i] & ~ac_mask[i - 16])
            return "attribute register";
    /* dac_step indexes dac_cache[3]; the DAC state reads back 00h or 03h.
     * The entries and the cache hold whatever the DAC width allowed when
     * they were written (a width switch in mid-entry keeps the cache), so
     * any byte is possible there. */
    if (v->dac_step > 2)
        return "DAC colour step";
    if (v->dac_state != 0x00 && v->dac_state != 0x03)
        return "DAC state";
    return NULL;
}

void vga_regs_reset(struct vga *v)
{
    v->misc = v->feature = 0;
    v->seq_index = v->crtc_index = v->gc_index = v->ac_index = 0;
    memset(v->seq, 0, sizeof(v->seq));
    memset(v->crtc, 0, sizeof(v->crtc));
    memset(v->gc, 0, sizeof(v->gc));
    memset(v->ac, 0, sizeof(v->ac));
    v->ac_data_next = false;
    v->pel_mask = 0xFF;
    v->dac_read_index = v->dac_write_index = v->dac_step = v->dac_state = 0;
    memset(v->dac_cache, 0, sizeof(v->dac_cache));
    memset(v->dac, 0, sizeof(v->dac));
    v->latch = 0;
    v->full_dirty = true;
}

static uint32_t io_read(void *opaque, uint16_t port, unsigned size)
{
    return vga_port_read(opaque, port);
}

static void io_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    vga_port_write(opaque, port, (uint8_t)val);
}

/* Byte ports: a word OUT to 0x3C4 (index, then data) reaches the device as
 * two bytes, as the ISA bus cycles it. */
static const struct io_ops vga_io_ops = {
    .read = io_read,
    .write = io_write,
    .sizes = 1,
};

int vga_regs_init(struct vga *v)
{
    return bus_io_register(v->bus, 0x3B0, 0x30, &vga_io_ops, v);
}
