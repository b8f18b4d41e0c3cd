/* The VGA's savestate (see vga.h and mem/sv.h): every VGA register with
 * the index registers and the attribute controller's flip-flop, the DAC
 * (indexes, step, the half-written entry, the palette), the latches, the
 * DISPI registers, the PCI header and all of video memory.  The rendered
 * picture is not in it: it follows from the rest, so a load marks
 * everything dirty and the next vga_update() draws it again.
 *
 * Loading checks that each register holds what a port write could have
 * left there (vga_regs_check, vga_dispi_check): an index that the port
 * code would use past its array, a DAC step past the cache, a DISPI mode
 * too big for the frame or video memory all fail the load. */
#include "devices/vga_priv.h"

#include <stdio.h>
#include <string.h>

#include "mem/sv.h"

/* ---- save ---------------------------------------------------------------- */

void vga_save(const struct vga *v, struct sv_writer *w)
{
    /* What the card is, first: a load onto another card says so. */
    sv_put_bool(w, v->have_pci);
    sv_put_u32(w, v->rom_size);

    sv_put_u8(w, v->misc);
    sv_put_u8(w, v->feature);
    sv_put_u8(w, v->seq_index);
    sv_put_bytes(w, v->seq, VGA_SEQ_REGS);
    sv_put_u8(w, v->crtc_index);
    sv_put_bytes(w, v->crtc, VGA_CRTC_REGS);
    sv_put_u8(w, v->gc_index);
    sv_put_bytes(w, v->gc, VGA_GC_REGS);
    sv_put_u8(w, v->ac_index);
    sv_put_bool(w, v->ac_data_next);
    sv_put_bytes(w, v->ac, VGA_AC_REGS);
    sv_put_u8(w, v->pel_mask);
    sv_put_u8(w, v->dac_read_index);
    sv_put_u8(w, v->dac_write_index);
    sv_put_u8(w, v->dac_step);
    sv_put_u8(w, v->dac_state);
    sv_put_bytes(w, v->dac_cache, 3);
    sv_put_bytes(w, v->dac, 256 * 3);
    sv_put_u32(w, v->latch);

    sv_put_u16(w, v->dispi_index);
    for (unsigned i = 0; i < VBE_DISPI_NREGS; i++)
        sv_put_u16(w, v->dispi[i]);

    if (v->have_pci)
        sv_put_bytes(w, v->pci.config, sizeof(v->pci.config));
    sv_put_sparse(w, v->vram, VGA_VRAM_SIZE);
}

/* ---- load ---------------------------------------------------------------- */

/* The ROM BAR's size as the mismatch message gives it. */
static void rom_text(char *out, size_t n, uint32_t size)
{
    if (size)
        snprintf(out, n, "a %u KiB option ROM BAR", (unsigned)(size >> 10));
    else
        snprintf(out, n, "no option ROM");
}

void vga_load(struct vga *v, struct sv_reader *r, unsigned version)
{
    if (version != VGA_SV_VERSION) {
        sv_fail(r, "version %u, this Popek reads %u", version, VGA_SV_VERSION);
        return;
    }
    bool have_pci = sv_get_bool(r);
    uint32_t rom_size = sv_get_u32(r);
    if (!sv_ok(r))
        return;
    if (have_pci != v->have_pci) {
        sv_fail(r, "saved %s a PCI function, this machine's VGA has %s",
                have_pci ? "with" : "without", have_pci ? "none" : "one");
        return;
    }
    if (rom_size != v->rom_size) {
        char was[40], now[40];
        rom_text(was, sizeof(was), rom_size);
        rom_text(now, sizeof(now), v->rom_size);
        sv_fail(r, "saved with %s, this machine's VGA has %s", was, now);
        return;
    }

    v->misc = sv_get_u8(r);
    v->feature = sv_get_u8(r);
    v->seq_index = sv_get_u8(r);
    sv_get_bytes(r, v->seq, VGA_SEQ_REGS);
    v->crtc_index = sv_get_u8(r);
    sv_get_bytes(r, v->crtc, VGA_CRTC_REGS);
    v->gc_index = sv_get_u8(r);
    sv_get_bytes(r, v->gc, VGA_GC_REGS);
    v->ac_index = sv_get_u8(r);
    v->ac_data_next = sv_get_bool(r);
    sv_get_bytes(r, v->ac, VGA_AC_REGS);
    v->pel_mask = sv_get_u8(r);
    v->dac_read_index = sv_get_u8(r);
    v->dac_write_index = sv_get_u8(r);
    v->dac_step = sv_get_u8(r);
    v->dac_state = sv_get_u8(r);
    sv_get_bytes(r, v->dac_cache, 3);
    sv_get_bytes(r, v->dac, 256 * 3);
    v->latch = sv_get_u32(r);

    v->dispi_index = sv_get_u16(r);
    for (unsigned i = 0; i < VBE_DISPI_NREGS; i++)
        v->dispi[i] = sv_get_u16(r);
    if (!sv_ok(r))
        return;
    const char *bad = vga_regs_check(v);
    if (!bad)
        bad = vga_dispi_check(v);
    if (bad) {
        sv_fail(r, "%s out of range", bad);
        return;
    }

    if (v->have_pci)
        pci_config_load(&v->pci, r);
    sv_get_sparse(r, v->vram, VGA_VRAM_SIZE);
    /* Video memory comes last: a page map that claims fewer pages than
     * follow is as damaged as one that claims more. */
    if (sv_ok(r) && sv_left(r))
        sv_fail(r, "%zu bytes after the video memory", sv_left(r));

    /* The picture is derived: redraw all of it at the next update. */
    memset(v->dirty, 0xFF, sizeof(v->dirty));
    v->full_dirty = true;
    v->last_mode = 0;
    v->last_cursor_on = v->last_blink_on = -1;
}

void vga_post_load(struct vga *v)
{
    /* The A0000-BFFFF window is mapped once for good and routes each
     * access by the registers (GR06, DISPI bank), so it needs nothing.
     * The framebuffer and MMIO BARs and the ROM decode where the loaded
     * header says: pci.bar_mapped and rom_mapped were not loaded (they
     * record what the bus decodes now), and a configuration write of the
     * command register as it stands has the PCI bus and config_write
     * compare the two and move the mappings, as a guest's write would. */
    struct pci_device *d = &v->pci;
    if (v->have_pci && d->pb)
        pci_config_write(d->pb, 0, d->devfn, PCI_COMMAND, pci_get_word(d, PCI_COMMAND), 2);
}
