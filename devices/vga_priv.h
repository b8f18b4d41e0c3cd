/* What the VGA's files share among themselves (devices/vga*.c); the public
 * interface is devices/vga.h. */
#ifndef POPEK_DEVICES_VGA_PRIV_H
#define POPEK_DEVICES_VGA_PRIV_H

#include "devices/vga.h"

/* Register bits used in more than one file. */
#define VGA_MISC_COLOR 0x01     /* CRTC and status 1 at 0x3Dx, else 0x3Bx */
#define VGA_MISC_RAM_ENABLE 0x02
#define VGA_SEQ_CLOCK 1
#define VGA_SEQ_CLOCK_8DOT 0x01
#define VGA_SEQ_CLOCK_HALF 0x08 /* dot clock / 2 */
#define VGA_SEQ_CLOCK_OFF 0x20  /* screen off */
#define VGA_SEQ_MAP_MASK 2
#define VGA_SEQ_CHARMAP 3
#define VGA_SEQ_MEMMODE 4
#define VGA_SEQ_MEM_ODDEVEN_OFF 0x04 /* 1: sequential; 0: odd/even writes */
#define VGA_SEQ_MEM_CHAIN4 0x08
#define VGA_GC_SETRESET 0
#define VGA_GC_ENABLE_SR 1
#define VGA_GC_COLOR_CMP 2
#define VGA_GC_ROTATE 3
#define VGA_GC_READ_MAP 4
#define VGA_GC_MODE 5
#define VGA_GC_MODE_ODDEVEN 0x10 /* host odd/even reads */
#define VGA_GC_MODE_CGA 0x20     /* shift register interleave (2 bpp) */
#define VGA_GC_MODE_256 0x40
#define VGA_GC_MISC 6
#define VGA_GC_DONT_CARE 7
#define VGA_GC_BIT_MASK 8
#define VGA_AC_MODE 0x10
#define VGA_AC_MODE_GRAPHICS 0x01
#define VGA_AC_MODE_LINE_GFX 0x04 /* 9th column of C0-DF repeats the 8th */
#define VGA_AC_MODE_BLINK 0x08
#define VGA_AC_MODE_P54 0x80      /* colour select bits 0-1 give DAC bits 4-5 */
#define VGA_AC_OVERSCAN 0x11
#define VGA_AC_PLANE_ENABLE 0x12
#define VGA_AC_COLOR_SELECT 0x14
#define VGA_AC_PAS 0x20           /* in the index register */

/* Frame timing on the virtual clock (vga_regs.c). */
struct vga_timing {
    uint64_t frame_ns, line_ns, hactive_ns;
    unsigned total_lines, active_lines;
    unsigned vrs, vr_lines; /* vertical retrace: first line and length */
};
void vga_timing(const struct vga *v, struct vga_timing *t);
/* The number of the frame being scanned out now (blink phases). */
uint64_t vga_frame_number(const struct vga *v);

/* vga_regs.c: the ports, as byte accesses; port is 0x3B0-0x3DF. */
uint8_t vga_port_read(struct vga *v, uint16_t port);
void vga_port_write(struct vga *v, uint16_t port, uint8_t val);
void vga_regs_reset(struct vga *v);
int vga_regs_init(struct vga *v);
/* For a savestate load: NULL if the registers hold what port writes could
 * have left there, else which one does not. */
const char *vga_regs_check(const struct vga *v);
/* CRTC helpers shared with the renderer. */
unsigned vga_crtc_vde(const struct vga *v);        /* displayed scanlines */
unsigned vga_crtc_line_compare(const struct vga *v);

/* vga_mem.c: the A0000-BFFFF window, offset from A0000. */
uint8_t vga_mem_read(struct vga *v, uint32_t addr);
void vga_mem_write(struct vga *v, uint32_t addr, uint8_t val);
int vga_mem_init(struct vga *v);
static inline void vga_mark_dirty(struct vga *v, uint32_t vram_off)
{
    uint32_t pg = (vram_off & (VGA_VRAM_SIZE - 1)) >> VGA_PAGE_SHIFT;
    v->dirty[pg >> 6] |= 1ull << (pg & 63);
}

/* vga_dispi.c */
uint16_t vga_dispi_read(struct vga *v, unsigned index);
void vga_dispi_write(struct vga *v, unsigned index, uint16_t val);
void vga_dispi_reset(struct vga *v);
int vga_dispi_init(struct vga *v);
/* As vga_regs_check, for the DISPI registers. */
const char *vga_dispi_check(const struct vga *v);
static inline bool vga_dispi_enabled(const struct vga *v)
{
    return v->dispi[VBE_DISPI_INDEX_ENABLE] & VBE_DISPI_ENABLED;
}
/* Bytes from one framebuffer line to the next in the current DISPI mode
 * (for 4 bpp: bytes of one plane). */
uint32_t vga_dispi_line_bytes(const struct vga *v);
/* Where the picture starts in vram (4 bpp: a plane offset). */
uint32_t vga_dispi_start(const struct vga *v);

/* vga_pci.c */
void vga_pci_setup(struct vga *v, struct pci_bus *pb, uint8_t devfn);
void vga_pci_reset(struct vga *v);

#endif
