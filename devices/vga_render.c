/* The VGA's picture (IBM VGA Technical Reference: CRT controller address
 * generation, attribute controller, DAC; FreeVGA): the CRTC's scan of video
 * memory line by line (start address, offset, byte/word/doubleword
 * addressing, the CGA row-scan substitutions, maximum scan line, double
 * scan, line compare), the serializer for text, 16-colour planar, CGA 2 bpp
 * and 256-colour data, the attribute palette and the DAC; and the Bochs
 * DISPI modes.  Work is done only for what changed: a register or DAC
 * write redraws everything, a vram write redraws the lines that read its
 * 4 KiB page. */
#include "devices/vga_priv.h"

#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum mode_kind {
    MODE_NONE,
    MODE_TEXT,
    MODE_PLANAR16,
    MODE_CGA2,
    MODE_256,
    MODE_DISPI,
    MODE_DISPI_PLANAR,
};

#define MAX_LINES 1024 /* the CRTC's 10-bit vertical display end */

/* One displayed line: the CRTC's memory address at its start and its row
 * scan. */
struct scan {
    uint32_t ma;
    uint8_t rs;
};

/* What the registers say the screen is. */
struct geometry {
    enum mode_kind kind;
    unsigned width, height;
    unsigned cols, rows;    /* text: the grid; VGA graphics: char clocks per line */
    unsigned char_width;    /* text */
    bool blank;             /* screen off, or the palette given to the CPU */
    unsigned nlines;
    struct scan lines[MAX_LINES];
};

/* ---- CRTC address generation ---- */

/* The plane offset the CRTC fetches for memory address ma on row scan rs:
 * doubleword mode rotates ma left by 2, word mode by 1 (bit 0 from MA13 or
 * MA15); then, unless CR17 bits 0/1 say otherwise, row scan bits 0 and 1
 * replace address bits 13 and 14 (the CGA's interleaved lines). */
static uint32_t crtc_addr(const struct vga *v, uint32_t ma, unsigned rs)
{
    const uint8_t *c = v->crtc;
    ma &= 0xFFFF;
    uint32_t a;
    if (c[0x14] & 0x40)
        a = (ma << 2 | ma >> 14) & 0xFFFF;
    else if (!(c[0x17] & 0x40))
        a = (ma << 1 | ((ma >> ((c[0x17] & 0x20) ? 15 : 13)) & 1)) & 0xFFFF;
    else
        a = ma;
    if (!(c[0x17] & 0x01))
        a = (a & ~0x2000u) | (rs & 1u) << 13;
    if (!(c[0x17] & 0x02))
        a = (a & ~0x4000u) | (rs & 2u) << 13;
    return a;
}

/* The CRTC's vertical scan: one entry per distinct displayed line.  Double
 * scan shows every line twice and a line that repeats the one above
 * (graphics with no row-scan substitution, rows of several scans) is the
 * same picture line, so neither is listed again: mode 13h comes out as 200
 * lines, not 400. */
static void vertical_scan(const struct vga *v, struct geometry *g, bool text)
{
    const uint8_t *c = v->crtc;
    unsigned total = vga_crtc_vde(v);
    bool dbl = c[9] & 0x80;
    unsigned max_scan = c[9] & 0x1F;
    unsigned lc = vga_crtc_line_compare(v);
    uint32_t ma = (uint32_t)c[0x0C] << 8 | c[0x0D];
    uint32_t inc = c[0x13] * 2u;
    unsigned rs = c[8] & 0x1F;
    if (rs > max_scan)
        rs = 0;
    bool dedup = !text && (c[0x17] & 3) == 3 && max_scan > 0;
    bool second = false; /* the repeat of a double-scanned line */
    g->nlines = 0;
    for (unsigned s = 0; s < total && s < MAX_LINES; s++) {
        if (!second && (!dedup || rs == 0))
            g->lines[g->nlines++] = (struct scan){ ma, (uint8_t)rs };
        if (s == lc) { /* the split: the next line shows address 0 */
            ma = 0;
            rs = 0;
            second = false;
            continue;
        }
        if (dbl && !second) {
            second = true;
            continue;
        }
        second = false;
        if (rs >= max_scan) {
            rs = 0;
            ma += inc;
        } else {
            rs++;
        }
    }
}

static void geometry(const struct vga *v, struct geometry *g)
{
    memset(g, 0, offsetof(struct geometry, lines));
    if (vga_dispi_enabled(v)) {
        g->kind = v->dispi[VBE_DISPI_INDEX_BPP] == 4 ? MODE_DISPI_PLANAR : MODE_DISPI;
        g->width = v->dispi[VBE_DISPI_INDEX_XRES];
        g->height = v->dispi[VBE_DISPI_INDEX_YRES];
        return;
    }
    bool text = !(v->ac[VGA_AC_MODE] & VGA_AC_MODE_GRAPHICS);
    vertical_scan(v, g, text);
    g->cols = v->crtc[1] + 1u;
    g->height = g->nlines;
    if (text) {
        g->kind = MODE_TEXT;
        g->char_width = (v->seq[VGA_SEQ_CLOCK] & VGA_SEQ_CLOCK_8DOT) ? 8 : 9;
        g->width = g->cols * g->char_width;
        unsigned scans = (v->crtc[9] & 0x1F) + 1u;
        g->rows = (g->nlines + scans - 1) / scans;
    } else if (v->gc[VGA_GC_MODE] & VGA_GC_MODE_256) {
        g->kind = MODE_256;
        g->width = g->cols * 4;
    } else {
        g->kind = (v->gc[VGA_GC_MODE] & VGA_GC_MODE_CGA) ? MODE_CGA2 : MODE_PLANAR16;
        g->width = g->cols * 8;
    }
    g->blank = (v->seq[VGA_SEQ_CLOCK] & VGA_SEQ_CLOCK_OFF) || !(v->ac_index & VGA_AC_PAS);
}

/* ---- colours ---- */

static uint32_t dac_rgb(const struct vga *v, unsigned i)
{
    const uint8_t *e = v->dac[i & 0xFF];
    if (v->dispi[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_8BIT_DAC)
        return (uint32_t)e[0] << 16 | e[1] << 8 | e[2];
    uint32_t r = (e[0] & 0x3Fu) << 2 | (e[0] & 0x3Fu) >> 4;
    uint32_t gr = (e[1] & 0x3Fu) << 2 | (e[1] & 0x3Fu) >> 4;
    uint32_t b = (e[2] & 0x3Fu) << 2 | (e[2] & 0x3Fu) >> 4;
    return r << 16 | gr << 8 | b;
}

struct palette {
    uint32_t c256[256]; /* by pixel value, through the pel mask */
    uint32_t c16[16];   /* by 4-bit attribute: plane enable, palette, colour select */
};

static void palette(const struct vga *v, struct palette *p)
{
    for (unsigned i = 0; i < 256; i++)
        p->c256[i] = dac_rgb(v, i & v->pel_mask);
    const uint8_t *ac = v->ac;
    for (unsigned i = 0; i < 16; i++) {
        uint8_t e = ac[i & ac[VGA_AC_PLANE_ENABLE] & 0x0F];
        unsigned sel = ac[VGA_AC_COLOR_SELECT];
        unsigned idx = (ac[VGA_AC_MODE] & VGA_AC_MODE_P54)
                           ? (e & 0x0Fu) | (sel & 0x03u) << 4 | (sel & 0x0Cu) << 4
                           : (e & 0x3Fu) | (sel & 0x0Cu) << 4;
        p->c16[i] = p->c256[idx];
    }
}

/* ---- dirty pages ---- */

static bool range_dirty(const struct vga *v, uint64_t lo, uint64_t hi)
{
    if (hi > VGA_VRAM_SIZE)
        hi = VGA_VRAM_SIZE;
    if (lo >= hi)
        return false;
    for (uint64_t pg = lo >> VGA_PAGE_SHIFT; pg <= (hi - 1) >> VGA_PAGE_SHIFT; pg++)
        if (v->dirty[pg >> 6] & (1ull << (pg & 63)))
            return true;
    return false;
}

static bool any_dirty(const struct vga *v)
{
    for (unsigned i = 0; i < VGA_NPAGES / 64; i++)
        if (v->dirty[i])
            return true;
    return false;
}

/* ---- text ---- */

/* Plane 2 offset of character map m (0-7) of sequencer register 3. */
static uint32_t font_base(unsigned m)
{
    return (m & 3) * 0x4000u + (m >> 2) * 0x2000u;
}

struct text_state {
    uint32_t font_a, font_b; /* attribute bit 3 set: map A; clear: map B */
    uint32_t cursor;
    unsigned cur_start, cur_end;
    bool cursor_on, blink_on, blink_attr, line_gfx;
    unsigned underline;
};

static void text_state(const struct vga *v, struct text_state *t, uint64_t frame)
{
    uint8_t s = v->seq[VGA_SEQ_CHARMAP];
    t->font_a = font_base(((s >> 2) & 3) | ((s >> 3) & 4));
    t->font_b = font_base((s & 3) | ((s >> 2) & 4));
    const uint8_t *c = v->crtc;
    t->cursor = (uint32_t)c[0x0E] << 8 | c[0x0F];
    t->cur_start = c[0x0A] & 0x1F;
    t->cur_end = c[0x0B] & 0x1F;
    /* The cursor blinks every 16 frames, blinking characters every 32. */
    t->cursor_on = !(c[0x0A] & 0x20) && t->cur_start <= t->cur_end && !(frame & 8);
    t->blink_on = !(frame & 16);
    t->blink_attr = v->ac[VGA_AC_MODE] & VGA_AC_MODE_BLINK;
    t->line_gfx = v->ac[VGA_AC_MODE] & VGA_AC_MODE_LINE_GFX;
    t->underline = c[0x14] & 0x1F;
}

static void text_line(const struct vga *v, const struct geometry *g, const struct text_state *t,
                      const struct palette *p, const struct scan *ln, uint32_t *dst)
{
    for (unsigned col = 0; col < g->cols; col++) {
        uint32_t ma = ln->ma + col;
        const uint8_t *cell = v->vram + ((size_t)crtc_addr(v, ma, ln->rs) << 2);
        uint8_t ch = cell[0], at = cell[1];
        uint32_t font = (at & 0x08) ? t->font_a : t->font_b;
        uint32_t goff = (font + ch * 32u + ln->rs) & (VGA_PLANE_SIZE - 1);
        unsigned glyph = v->vram[((size_t)goff << 2) + 2];
        /* The ninth column repeats the eighth for the line-drawing
         * characters C0-DF, else shows the background. */
        bool ninth = t->line_gfx && ch >= 0xC0 && ch <= 0xDF && (glyph & 1);
        unsigned bg = at >> 4, fg = at & 0x0F;
        if (t->blink_attr)
            bg &= 7;
        if ((at & 0x77) == 0x01 && ln->rs == t->underline) {
            glyph = 0xFF;
            ninth = true;
        }
        if (t->blink_attr && (at & 0x80) && !t->blink_on) {
            glyph = 0;
            ninth = false;
        }
        if (t->cursor_on && (ma & 0xFFFF) == t->cursor && ln->rs >= t->cur_start &&
            ln->rs <= t->cur_end) {
            glyph = 0xFF;
            ninth = true;
        }
        uint32_t cf = p->c16[fg], cb = p->c16[bg];
        for (unsigned b = 0; b < 8; b++)
            *dst++ = (glyph & (0x80u >> b)) ? cf : cb;
        if (g->char_width == 9)
            *dst++ = ninth ? cf : cb;
    }
}

/* ---- VGA graphics ---- */

/* Renders line ln if any vram page it reads is dirty (or all is);
 * returns whether it did. */
static bool graphics_line(const struct vga *v, const struct geometry *g, const struct palette *p,
                          const struct scan *ln, uint32_t *dst, bool all)
{
    uint32_t addr[256];
    uint32_t lo = 0xFFFF, hi = 0;
    for (unsigned k = 0; k < g->cols; k++) {
        addr[k] = crtc_addr(v, ln->ma + k, ln->rs);
        if (addr[k] < lo)
            lo = addr[k];
        if (addr[k] > hi)
            hi = addr[k];
    }
    if (!all && !range_dirty(v, (uint64_t)lo << 2, ((uint64_t)hi << 2) + 4))
        return false;
    for (unsigned k = 0; k < g->cols; k++) {
        const uint8_t *q = v->vram + ((size_t)addr[k] << 2);
        switch (g->kind) {
        case MODE_256:
            for (unsigned i = 0; i < 4; i++)
                *dst++ = p->c256[q[i]];
            break;
        case MODE_CGA2:
            /* Each plane byte holds four 2-bit pixels, high bits first;
             * planes 0 and 1 give the left and right four. */
            for (unsigned i = 0; i < 8; i++) {
                unsigned sh = 6 - 2 * (i & 3);
                unsigned lo2 = (q[i >> 2] >> sh) & 3, hi2 = (q[2 + (i >> 2)] >> sh) & 3;
                *dst++ = p->c16[lo2 | hi2 << 2];
            }
            break;
        default: /* 16-colour planar: bit 7 of each plane is the leftmost pixel */
            for (unsigned b = 0; b < 8; b++) {
                unsigned s = 7 - b;
                unsigned idx = ((q[0] >> s) & 1) | ((q[1] >> s) & 1) << 1 |
                               ((q[2] >> s) & 1) << 2 | ((q[3] >> s) & 1) << 3;
                *dst++ = p->c16[idx];
            }
            break;
        }
    }
    return true;
}

/* ---- DISPI ---- */

static uint32_t rgb555(unsigned x)
{
    uint32_t r = (x >> 10) & 31, g = (x >> 5) & 31, b = x & 31;
    return (r << 3 | r >> 2) << 16 | (g << 3 | g >> 2) << 8 | (b << 3 | b >> 2);
}

static uint32_t rgb565(unsigned x)
{
    uint32_t r = (x >> 11) & 31, g = (x >> 5) & 63, b = x & 31;
    return (r << 3 | r >> 2) << 16 | (g << 2 | g >> 4) << 8 | (b << 3 | b >> 2);
}

static bool dispi_line(const struct vga *v, const struct geometry *g, const struct palette *p,
                       unsigned y, uint32_t *dst, bool all)
{
    unsigned bpp = v->dispi[VBE_DISPI_INDEX_BPP];
    uint64_t start = vga_dispi_start(v) + (uint64_t)y * vga_dispi_line_bytes(v);
    if (bpp == 4) {
        /* Planar: plane offsets, four vram bytes each. */
        uint64_t end = start + (g->width + 7) / 8;
        if (!all && !range_dirty(v, start << 2, end << 2))
            return false;
        for (unsigned x = 0; x < g->width; x++) {
            uint64_t o = start + x / 8;
            unsigned s = 7 - (x & 7), idx = 0;
            if (o < VGA_VRAM_SIZE / 4)
                for (unsigned pl = 0; pl < 4; pl++)
                    idx |= ((v->vram[(o << 2) + pl] >> s) & 1u) << pl;
            dst[x] = p->c16[idx];
        }
        return true;
    }
    unsigned bytes = bpp == 15 ? 2 : bpp / 8;
    uint64_t end = start + (uint64_t)g->width * bytes;
    if (!all && !range_dirty(v, start, end))
        return false;
    const uint8_t *m = v->vram;
    for (unsigned x = 0; x < g->width; x++) {
        uint64_t o = start + (uint64_t)x * bytes;
        if (o + bytes > VGA_VRAM_SIZE) {
            dst[x] = 0; /* past the end of video memory */
            continue;
        }
        const uint8_t *q = m + o;
        switch (bpp) {
        case 8:
            dst[x] = p->c256[q[0]];
            break;
        case 15:
            dst[x] = rgb555(q[0] | q[1] << 8);
            break;
        case 16:
            dst[x] = rgb565(q[0] | q[1] << 8);
            break;
        default: /* 24 and 32: blue, green, red (, unused) */
            dst[x] = (uint32_t)q[2] << 16 | q[1] << 8 | q[0];
            break;
        }
    }
    return true;
}

/* ---- the frame ---- */

static bool frame_size(struct vga *v, unsigned w, unsigned h)
{
    size_t n = (size_t)w * h;
    if (n == 0)
        n = 1;
    if (n > v->frame_alloc) {
        uint32_t *px = realloc(v->frame.pixels, n * sizeof(*px));
        if (!px)
            return false;
        v->frame.pixels = px;
        v->frame_alloc = n;
    }
    v->frame.width = w;
    v->frame.height = h;
    return true;
}

bool vga_update(struct vga *v, struct vga_frame **out)
{
    if (out)
        *out = &v->frame;
    struct geometry g;
    geometry(v, &g);
    struct text_state ts = { 0 };
    if (g.kind == MODE_TEXT)
        text_state(v, &ts, vga_frame_number(v));

    uint32_t mode = g.kind | (uint32_t)g.blank << 8;
    bool all = v->full_dirty || mode != v->last_mode || g.width != v->frame.width ||
               g.height != v->frame.height;
    if (g.kind == MODE_TEXT && !g.blank) {
        /* Text depends on the font as much as on the characters, and on
         * the blink phases. */
        all = all || any_dirty(v) || (int)ts.cursor_on != v->last_cursor_on ||
              (int)ts.blink_on != v->last_blink_on;
    }
    if (!all && !any_dirty(v)) {
        v->frames_skipped++;
        return false;
    }
    if (!frame_size(v, g.width, g.height))
        return false; /* no memory: try again next time */
    struct palette p;
    palette(v, &p);

    unsigned drawn = 0;
    uint32_t *px = v->frame.pixels;
    switch (g.blank ? MODE_NONE : g.kind) {
    case MODE_TEXT:
        for (unsigned y = 0; y < g.nlines; y++)
            text_line(v, &g, &ts, &p, &g.lines[y], px + (size_t)y * g.width);
        drawn = g.nlines;
        break;
    case MODE_PLANAR16:
    case MODE_CGA2:
    case MODE_256:
        for (unsigned y = 0; y < g.nlines; y++)
            drawn += graphics_line(v, &g, &p, &g.lines[y], px + (size_t)y * g.width, all);
        break;
    case MODE_DISPI:
    case MODE_DISPI_PLANAR:
        for (unsigned y = 0; y < g.height; y++)
            drawn += dispi_line(v, &g, &p, y, px + (size_t)y * g.width, all);
        break;
    default: { /* blank: black with the screen off, else the overscan colour */
        uint32_t c = (v->seq[VGA_SEQ_CLOCK] & VGA_SEQ_CLOCK_OFF) ? 0
                                                                  : p.c256[v->ac[VGA_AC_OVERSCAN]];
        for (size_t i = 0; i < (size_t)g.width * g.height; i++)
            px[i] = c;
        drawn = g.height;
        break;
    }
    }
    v->frame.text = g.kind == MODE_TEXT;
    v->frame.cols = g.kind == MODE_TEXT ? g.cols : 0;
    v->frame.rows = g.kind == MODE_TEXT ? g.rows : 0;
    v->last_mode = mode;
    if (g.kind == MODE_TEXT) {
        v->last_cursor_on = ts.cursor_on;
        v->last_blink_on = ts.blink_on;
    }
    memset(v->dirty, 0, sizeof(v->dirty));
    v->full_dirty = false;
    v->lines_rendered += drawn;
    if (drawn == 0 && !all) {
        v->frames_skipped++; /* what changed is not on the screen */
        return false;
    }
    v->frames_rendered++;
    return true;
}

/* ---- text dump ---- */

/* CP437's glyphs as Unicode, for the bytes that are not printable ASCII
 * (0 and FFh, a non-breaking space, are written as spaces). */
static const uint16_t cp437_low[32] = {
    0x0020, 0x263A, 0x263B, 0x2665, 0x2666, 0x2663, 0x2660, 0x2022, 0x25D8, 0x25CB, 0x25D9,
    0x2642, 0x2640, 0x266A, 0x266B, 0x263C, 0x25BA, 0x25C4, 0x2195, 0x203C, 0x00B6, 0x00A7,
    0x25AC, 0x21A8, 0x2191, 0x2193, 0x2192, 0x2190, 0x221F, 0x2194, 0x25B2, 0x25BC,
};
static const uint16_t cp437_high[128] = {
    0x00C7, 0x00FC, 0x00E9, 0x00E2, 0x00E4, 0x00E0, 0x00E5, 0x00E7, 0x00EA, 0x00EB, 0x00E8,
    0x00EF, 0x00EE, 0x00EC, 0x00C4, 0x00C5, 0x00C9, 0x00E6, 0x00C6, 0x00F4, 0x00F6, 0x00F2,
    0x00FB, 0x00F9, 0x00FF, 0x00D6, 0x00DC, 0x00A2, 0x00A3, 0x00A5, 0x20A7, 0x0192, 0x00E1,
    0x00ED, 0x00F3, 0x00FA, 0x00F1, 0x00D1, 0x00AA, 0x00BA, 0x00BF, 0x2310, 0x00AC, 0x00BD,
    0x00BC, 0x00A1, 0x00AB, 0x00BB, 0x2591, 0x2592, 0x2593, 0x2502, 0x2524, 0x2561, 0x2562,
    0x2556, 0x2555, 0x2563, 0x2551, 0x2557, 0x255D, 0x255C, 0x255B, 0x2510, 0x2514, 0x2534,
    0x252C, 0x251C, 0x2500, 0x253C, 0x255E, 0x255F, 0x255A, 0x2554, 0x2569, 0x2566, 0x2560,
    0x2550, 0x256C, 0x2567, 0x2568, 0x2564, 0x2565, 0x2559, 0x2558, 0x2552, 0x2553, 0x256B,
    0x256A, 0x2518, 0x250C, 0x2588, 0x2584, 0x258C, 0x2590, 0x2580, 0x03B1, 0x00DF, 0x0393,
    0x03C0, 0x03A3, 0x03C3, 0x00B5, 0x03C4, 0x03A6, 0x0398, 0x03A9, 0x03B4, 0x221E, 0x03C6,
    0x03B5, 0x2229, 0x2261, 0x00B1, 0x2265, 0x2264, 0x2320, 0x2321, 0x00F7, 0x2248, 0x00B0,
    0x2219, 0x00B7, 0x221A, 0x207F, 0x00B2, 0x25A0, 0x0020,
};

static unsigned cp437_utf8(uint8_t ch, char *out)
{
    unsigned u = ch < 0x20 ? cp437_low[ch] : ch == 0x7F ? 0x2302 : ch >= 0x80 ? cp437_high[ch - 0x80] : ch;
    if (u < 0x80) {
        out[0] = (char)u;
        return 1;
    }
    if (u < 0x800) {
        out[0] = (char)(0xC0 | u >> 6);
        out[1] = (char)(0x80 | (u & 0x3F));
        return 2;
    }
    out[0] = (char)(0xE0 | u >> 12);
    out[1] = (char)(0x80 | ((u >> 6) & 0x3F));
    out[2] = (char)(0x80 | (u & 0x3F));
    return 3;
}

int vga_text_dump(struct vga *v, FILE *f, bool with_attributes)
{
    struct geometry geo, *g = &geo;
    geometry(v, g);
    int rc = 0;
    if (g->kind != MODE_TEXT) {
        static const char *const names[] = {
            [MODE_NONE] = "no", [MODE_PLANAR16] = "16-colour planar", [MODE_CGA2] = "CGA 4-colour",
            [MODE_256] = "256-colour", [MODE_DISPI] = "VBE linear", [MODE_DISPI_PLANAR] = "VBE planar",
        };
        if (fprintf(f, "vga: %s graphics mode %ux%u, no text\n", names[g->kind], g->width,
                    g->height) < 0)
            rc = -EIO;
        return rc < 0 ? rc : 1;
    }
    const uint8_t *c = v->crtc;
    uint32_t start = (uint32_t)c[0x0C] << 8 | c[0x0D];
    uint32_t inc = c[0x13] * 2u;
    char *line = malloc((size_t)g->cols * 3 + 1);
    if (!line)
        return -ENOMEM;
    for (unsigned r = 0; r < g->rows && rc == 0; r++) {
        size_t n = 0, keep = 0;
        for (unsigned col = 0; col < g->cols; col++) {
            uint8_t ch = v->vram[(size_t)crtc_addr(v, start + r * inc + col, 0) << 2];
            n += cp437_utf8(ch, line + n);
            if (ch != 0 && ch != ' ' && ch != 0xFF)
                keep = n;
        }
        if (fprintf(f, "%.*s\n", (int)keep, line) < 0)
            rc = -EIO;
        if (with_attributes && rc == 0) {
            for (unsigned col = 0; col < g->cols && rc == 0; col++) {
                size_t a = ((size_t)crtc_addr(v, start + r * inc + col, 0) << 2) + 1;
                if (fprintf(f, "%02X", v->vram[a]) < 0)
                    rc = -EIO;
            }
            if (rc == 0 && fputc('\n', f) == EOF)
                rc = -EIO;
        }
    }
    free(line);
    return rc;
}

size_t vga_cp437_utf8(uint8_t ch, char *out)
{
    return cp437_utf8(ch, out);
}

int vga_text_snapshot(struct vga *v, struct vga_text_screen *t)
{
    struct geometry geo, *g = &geo;
    geometry(v, g);
    t->cols = t->rows = 0;
    t->cursor_col = t->cursor_row = -1;
    if (g->kind != MODE_TEXT)
        return 1;
    unsigned cols = g->cols, rows = g->rows;
    if (cols == 0 || rows == 0)
        return 0;
    if ((size_t)cols * rows > VGA_TEXT_MAX_CELLS)
        rows = VGA_TEXT_MAX_CELLS / cols;
    const uint8_t *c = v->crtc;
    uint32_t start = (uint32_t)c[0x0C] << 8 | c[0x0D];
    uint32_t inc = c[0x13] * 2u;
    for (unsigned r = 0; r < rows; r++)
        for (unsigned col = 0; col < cols; col++) {
            size_t a = (size_t)crtc_addr(v, start + r * inc + col, 0) << 2;
            t->cells[r * cols + col] = (uint16_t)(v->vram[a] | v->vram[a + 1] << 8);
        }
    t->cols = cols;
    t->rows = rows;
    t->blink = (v->ac[0x10] & 0x08) != 0;
    uint32_t cur = ((uint32_t)c[0x0E] << 8 | c[0x0F]) - start;
    if (!(c[0x0A] & 0x20) && inc && cur % inc < cols && cur / inc < rows) {
        t->cursor_col = (int)(cur % inc);
        t->cursor_row = (int)(cur / inc);
    }
    return 0;
}
