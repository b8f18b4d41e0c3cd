/* The VGA device as a whole (see vga.h): creation, reset and clean-up; the
 * registers, the memory window, DISPI, PCI and rendering are in the other
 * vga_*.c files. */
#include "devices/vga_priv.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mem/bus.h"

int vga_init(struct vga *v, struct bus *bus, struct pci_bus *pb, uint8_t devfn,
             struct vclock *clock, const uint8_t *rom, size_t rom_len)
{
    memset(v, 0, sizeof(*v));
    v->bus = bus;
    v->clock = clock;
    v->vram = calloc(VGA_VRAM_SIZE, 1);
    if (!v->vram) {
        fprintf(stderr, "popek: vga: cannot allocate %u bytes of video memory\n", VGA_VRAM_SIZE);
        return -ENOMEM;
    }
    if (rom && rom_len) {
        v->rom = rom;
        v->rom_len = rom_len;
    }
    int rc = vga_regs_init(v);
    if (rc == 0)
        rc = vga_dispi_init(v);
    if (rc == 0)
        rc = vga_mem_init(v);
    if (rc == 0 && pb) {
        vga_pci_setup(v, pb, devfn);
        rc = pci_register(pb, &v->pci, devfn);
    }
    if (rc < 0) {
        fprintf(stderr, "popek: vga: cannot claim its ports, memory or PCI slot (%s)\n",
                strerror(-rc));
        vga_free(v);
        return rc;
    }
    vga_reset(v);
    return 0;
}

void vga_free(struct vga *v)
{
    free(v->vram);
    free(v->frame.pixels);
    v->vram = NULL;
    v->frame.pixels = NULL;
    v->frame_alloc = 0;
}

void vga_reset(struct vga *v)
{
    vga_regs_reset(v);
    vga_dispi_reset(v);
    vga_pci_reset(v);
    memset(v->dirty, 0xFF, sizeof(v->dirty));
    v->full_dirty = true;
    v->last_mode = 0;
    v->last_cursor_on = v->last_blink_on = -1;
}
