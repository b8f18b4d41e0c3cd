/* A standard VGA (IBM VGA Technical Reference; FreeVGA) with the Bochs VBE
 * "DISPI" extension, presented as the PCI function QEMU calls "std VGA"
 * (vendor 1234h, device 1111h): the VGA ports 0x3B0-0x3DF, the A0000-BFFFF
 * window, 16 MiB of video memory as a linear framebuffer (BAR0), the ports
 * and DISPI registers again as MMIO (BAR2), and an option ROM (expansion
 * ROM BAR).  vga_update() turns the state into an XRGB8888 picture when
 * something changed.  Register-level behaviour: docs/devices/vga.md.
 *
 * Video memory layout: vram is one array of VGA_VRAM_SIZE bytes.  The VGA's
 * four planes are interleaved by byte: byte o of plane p is vram[4*o + p],
 * so the planar view is the first 256 KiB (64 KiB planes) and a DISPI mode
 * sees the same bytes as one linear framebuffer, as QEMU's and Bochs' std
 * VGA do.  Plane offsets are those of the real chip: odd/even mode puts CPU
 * address a at offset a & ~1 and chain-4 at a & ~3. */
#ifndef POPEK_DEVICES_VGA_H
#define POPEK_DEVICES_VGA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "devices/pci.h"

struct bus;
struct vclock;
struct sv_writer;
struct sv_reader;

#define VGA_VRAM_SIZE (16u << 20)  /* the linear framebuffer, BAR0 */
#define VGA_PLANE_SIZE 0x10000u    /* one plane in VGA modes */
#define VGA_PAGE_SHIFT 12          /* dirty tracking granule: 4 KiB of vram */
#define VGA_NPAGES (VGA_VRAM_SIZE >> VGA_PAGE_SHIFT)
#define VGA_MMIO_SIZE 0x1000u      /* BAR2 */

#define VGA_PCI_VENDOR 0x1234
#define VGA_PCI_DEVICE 0x1111

/* Register counts of the IBM VGA; an index past them reads 0xFF and
 * ignores writes. */
#define VGA_SEQ_REGS 5
#define VGA_CRTC_REGS 25
#define VGA_GC_REGS 9
#define VGA_AC_REGS 21

/* Bochs VBE DISPI registers (index port 0x1CE, data 0x1CF). */
#define VBE_DISPI_IOPORT_INDEX 0x1CE
#define VBE_DISPI_IOPORT_DATA 0x1CF
enum {
    VBE_DISPI_INDEX_ID,
    VBE_DISPI_INDEX_XRES,
    VBE_DISPI_INDEX_YRES,
    VBE_DISPI_INDEX_BPP,
    VBE_DISPI_INDEX_ENABLE,
    VBE_DISPI_INDEX_BANK,
    VBE_DISPI_INDEX_VIRT_WIDTH,
    VBE_DISPI_INDEX_VIRT_HEIGHT,
    VBE_DISPI_INDEX_X_OFFSET,
    VBE_DISPI_INDEX_Y_OFFSET,
    VBE_DISPI_INDEX_VIDEO_MEMORY_64K,
    VBE_DISPI_NREGS
};
#define VBE_DISPI_ID0 0xB0C0
#define VBE_DISPI_ID5 0xB0C5
#define VBE_DISPI_ENABLED 0x01
#define VBE_DISPI_GETCAPS 0x02
#define VBE_DISPI_8BIT_DAC 0x20
#define VBE_DISPI_LFB_ENABLED 0x40
#define VBE_DISPI_NOCLEARMEM 0x80
#define VBE_DISPI_MAX_XRES 2560 /* what GETCAPS reports (SeaBIOS's and QEMU's limits) */
#define VBE_DISPI_MAX_YRES 1600
#define VBE_DISPI_MAX_BPP 32

/* What vga_update() hands out: XRGB8888 pixels, width * height, row by
 * row.  Text modes also give their character grid. */
struct vga_frame {
    unsigned width, height;
    uint32_t *pixels;
    bool text;
    unsigned cols, rows;
};

struct vga {
    struct bus *bus;
    struct vclock *clock;
    uint8_t *vram; /* VGA_VRAM_SIZE bytes, see the layout above */

    /* VGA registers as last written (index registers keep the bits the
     * chip decodes). */
    uint8_t misc;     /* misc output: bit 0 colour ports, bit 1 RAM enable */
    uint8_t feature;  /* feature control */
    uint8_t seq_index, seq[VGA_SEQ_REGS];
    uint8_t crtc_index, crtc[VGA_CRTC_REGS];
    uint8_t gc_index, gc[VGA_GC_REGS];
    uint8_t ac_index;  /* bits 0-4 index, bit 5 palette address source */
    bool ac_data_next; /* the 0x3C0 flip-flop: the next write is data */
    uint8_t ac[VGA_AC_REGS];
    uint8_t pel_mask;
    uint8_t dac_read_index, dac_write_index, dac_step; /* step: 0 r, 1 g, 2 b */
    uint8_t dac_state;   /* 0x3C7 read: 0x00 after a write index, 0x03 after a read index */
    uint8_t dac_cache[3]; /* the r, g of an entry being written */
    uint8_t dac[256][3];  /* 6-bit values (8-bit with VBE_DISPI_8BIT_DAC) */
    uint32_t latch;       /* planes 0-3 in bytes 0-3 */

    /* Bochs VBE. */
    uint16_t dispi_index;
    uint16_t dispi[VBE_DISPI_NREGS];

    /* PCI. */
    bool have_pci;
    struct pci_device pci;
    const uint8_t *rom; /* the caller's option ROM image (not copied), or NULL */
    size_t rom_len;
    uint32_t rom_size;   /* the ROM BAR's size: a power of two >= rom_len, or 0 */
    uint32_t rom_mapped; /* where the ROM BAR decodes, or PCI_BAR_UNMAPPED */

    /* Rendering. */
    uint64_t dirty[VGA_NPAGES / 64]; /* vram pages written since the last update */
    bool full_dirty;                 /* a register, DAC or palette change */
    struct vga_frame frame;
    size_t frame_alloc;               /* pixels allocated */
    uint32_t last_mode;               /* what the last frame showed (vga_render.c) */
    int last_cursor_on, last_blink_on; /* text phases the last frame showed */
    /* Counters for tests and statistics. */
    uint64_t frames_rendered, frames_skipped, lines_rendered;
};

/* Registers the VGA ports (0x3B0-0x3DF), the DISPI ports (0x1CE-0x1D0) and
 * the A0000-BFFFF window on bus, and, when pb is not NULL, the PCI function
 * at devfn (BAR0 the framebuffer, BAR2 the MMIO registers, the expansion ROM
 * BAR holding rom when rom is not NULL; rom must outlive the device).  The
 * clock (not NULL) gives the retrace and blink timing.  Allocates the video
 * memory.
 * Returns 0 or -errno (and prints why). */
int vga_init(struct vga *v, struct bus *bus, struct pci_bus *pb, uint8_t devfn,
             struct vclock *clock, const uint8_t *rom, size_t rom_len);
/* Unmaps nothing (the bus goes with the machine); frees what init allocated. */
void vga_free(struct vga *v);
/* Power-on state: every VGA register 0 but the pel mask (FFh), so mono
 * port addressing, the CPU's access to video memory disabled until the
 * BIOS sets the misc output, and a blank screen (PAS 0); DISPI disabled
 * with ID B0C5h; video memory kept; the PCI header as at power-on (BARs
 * unassigned, decoding off, old mappings removed). */
void vga_reset(struct vga *v);
/* Renders if anything changed since the last call, into v->frame (valid
 * until the next call or vga_free).  *out (may be NULL) gets the frame.
 * Returns true if the picture changed. */
bool vga_update(struct vga *v, struct vga_frame **out);
/* In a text mode, writes the screen's rows as UTF-8 (CP437 glyphs; NUL as a
 * space; trailing blanks trimmed), each followed, with with_attributes, by a
 * line of its attribute bytes in hex.  Returns 0; in a graphics mode writes
 * one line saying which and returns 1; -EIO if writing failed. */
int vga_text_dump(struct vga *v, FILE *f, bool with_attributes);

/* The text screen as cells, for displays that draw characters (a
 * terminal): cells[row * cols + col] = character | attribute << 8.  The
 * cursor is -1, -1 when off or off screen; blink tells whether attribute
 * bit 7 means blink (else a bright background).  Returns 0 in a text mode,
 * 1 in a graphics mode (t is then empty). */
#define VGA_TEXT_MAX_CELLS 8192
struct vga_text_screen {
    unsigned cols, rows;
    uint16_t cells[VGA_TEXT_MAX_CELLS];
    int cursor_col, cursor_row;
    bool blink;
};
int vga_text_snapshot(struct vga *v, struct vga_text_screen *t);
/* A CP437 character as UTF-8 (up to 3 bytes, not terminated); returns the
 * length. */
size_t vga_cp437_utf8(uint8_t ch, char *out);

/* Savestate (devices/vga_sv.c, streams in mem/sv.h): the VGA registers with
 * their indexes and the attribute flip-flop, the DAC and palette, the
 * latches, DISPI, the PCI header and the whole of video memory; not the
 * rendered picture, which the next vga_update() redraws.  vga_load reads
 * into the live struct and touches nothing else; vga_post_load, after
 * every device is loaded, maps the BARs and the ROM where the loaded PCI
 * header says. */
#define VGA_SV_VERSION 1
void vga_save(const struct vga *v, struct sv_writer *w);
void vga_load(struct vga *v, struct sv_reader *r, unsigned version);
void vga_post_load(struct vga *v);

#endif
