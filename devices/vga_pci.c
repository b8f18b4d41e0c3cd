/* The VGA as the PCI function QEMU calls "std VGA" (PCI Local Bus
 * Specification 2.1, sections 6.2.5 and 6.3; QEMU's VGA MMIO BAR layout):
 * vendor 1234h, device 1111h, class 030000h (VGA-compatible display),
 * BAR0 the 16 MiB linear framebuffer (prefetchable memory), BAR2 4 KiB of
 * registers (0x400-0x41F the ports 0x3C0-0x3DF, 0x500-0x515 the DISPI
 * registers as 16-bit words), and the expansion ROM BAR at 0x30 holding the
 * option ROM image.  The legacy ports and A0000-BFFFF always decode, as on
 * QEMU; the BARs decode only with the command register's memory enable. */
#include "devices/vga_priv.h"

#include "mem/bus.h"

#define LFB_BAR 0
#define MMIO_BAR 2
#define MMIO_PORTS 0x400 /* 0x3C0-0x3DF */
#define MMIO_DISPI 0x500 /* DISPI register i at 0x500 + 2i */

/* ---- BAR0: the framebuffer ---- */

static uint32_t lfb_read(void *opaque, uint32_t off, unsigned size)
{
    struct vga *v = opaque;
    uint32_t val = 0;
    for (unsigned i = 0; i < size; i++)
        val |= (uint32_t)v->vram[(off + i) & (VGA_VRAM_SIZE - 1)] << (8 * i);
    return val;
}

static void lfb_write(void *opaque, uint32_t off, uint32_t val, unsigned size)
{
    struct vga *v = opaque;
    for (unsigned i = 0; i < size; i++) {
        uint32_t a = (off + i) & (VGA_VRAM_SIZE - 1);
        v->vram[a] = (uint8_t)(val >> (8 * i));
        vga_mark_dirty(v, a);
    }
}

static const struct mmio_ops lfb_ops = { .read = lfb_read, .write = lfb_write, .max_size = 4 };

/* ---- BAR2: the registers ---- */

static uint32_t mmio_read(void *opaque, uint32_t off, unsigned size)
{
    struct vga *v = opaque;
    uint32_t val = 0;
    for (unsigned i = 0; i < size; i++) {
        uint32_t o = off + i;
        uint8_t b = 0; /* holes read 0 */
        if (o >= MMIO_PORTS && o < MMIO_PORTS + 0x20)
            b = vga_port_read(v, (uint16_t)(0x3C0 + o - MMIO_PORTS));
        else if (o >= MMIO_DISPI && o < MMIO_DISPI + 2 * VBE_DISPI_NREGS)
            b = (uint8_t)(vga_dispi_read(v, (o - MMIO_DISPI) / 2) >> (8 * (o & 1)));
        val |= (uint32_t)b << (8 * i);
    }
    return val;
}

static void mmio_write(void *opaque, uint32_t off, uint32_t val, unsigned size)
{
    struct vga *v = opaque;
    for (unsigned i = 0; i < size; i++) {
        uint32_t o = off + i;
        uint8_t b = (uint8_t)(val >> (8 * i));
        if (o >= MMIO_PORTS && o < MMIO_PORTS + 0x20) {
            vga_port_write(v, (uint16_t)(0x3C0 + o - MMIO_PORTS), b);
        } else if (o >= MMIO_DISPI && o < MMIO_DISPI + 2 * VBE_DISPI_NREGS) {
            unsigned idx = (o - MMIO_DISPI) / 2;
            /* A whole word in one write when it is there, so that the
             * register sees one value, not two halves. */
            if (!(o & 1) && i + 1 < size) {
                vga_dispi_write(v, idx, (uint16_t)(val >> (8 * i)));
                i++;
                continue;
            }
            uint16_t cur = v->dispi[idx];
            uint16_t w = (o & 1) ? (uint16_t)((cur & 0x00FF) | b << 8)
                                 : (uint16_t)((cur & 0xFF00) | b);
            vga_dispi_write(v, idx, w);
        }
    }
}

static const struct mmio_ops mmio_ops = { .read = mmio_read, .write = mmio_write, .max_size = 4 };

/* ---- the expansion ROM ---- */

static uint32_t rom_read(void *opaque, uint32_t off, unsigned size)
{
    struct vga *v = opaque;
    uint32_t val = 0;
    for (unsigned i = 0; i < size; i++) {
        uint32_t o = off + i;
        uint8_t b = o < v->rom_len ? v->rom[o] : 0xFF;
        val |= (uint32_t)b << (8 * i);
    }
    return val;
}

static void rom_write(void *opaque, uint32_t off, uint32_t val, unsigned size)
{
}

static const struct mmio_ops rom_ops = { .read = rom_read, .write = rom_write, .max_size = 4 };

/* The ROM decodes at its BAR's address when bit 0 of the BAR and the
 * memory enable are both set. */
static void update_rom(struct vga *v)
{
    struct pci_device *d = &v->pci;
    uint32_t now = PCI_BAR_UNMAPPED;
    uint32_t raw = pci_get_long(d, PCI_ROM_ADDRESS);
    uint32_t addr = raw & ~(v->rom_size - 1) & 0xFFFFF800u;
    if (v->rom_size && (raw & 1) && (pci_get_word(d, PCI_COMMAND) & PCI_COMMAND_MEMORY) &&
        addr != 0)
        now = addr;
    if (now == v->rom_mapped)
        return;
    if (v->rom_mapped != PCI_BAR_UNMAPPED)
        bus_unmap(v->bus, v->rom_mapped, v->rom_size);
    v->rom_mapped = now;
    /* A full region table leaves it unmapped: the guest then reads all
     * ones, nothing worse. */
    if (now != PCI_BAR_UNMAPPED && bus_map_mmio(v->bus, now, v->rom_size, &rom_ops, v) < 0)
        v->rom_mapped = PCI_BAR_UNMAPPED;
}

static void config_write(struct pci_device *d, unsigned off, uint32_t val, unsigned size)
{
    if ((off < PCI_COMMAND + 2 && off + size > PCI_COMMAND) ||
        (off < PCI_ROM_ADDRESS + 4 && off + size > PCI_ROM_ADDRESS))
        update_rom(d->opaque);
}

static void bar_moved(struct pci_device *d, unsigned bar, uint32_t old, uint32_t now)
{
    struct vga *v = d->opaque;
    if (bar != LFB_BAR && bar != MMIO_BAR)
        return;
    uint32_t size = d->bar_size[bar];
    if (old != PCI_BAR_UNMAPPED)
        bus_unmap(v->bus, old, size);
    if (now == PCI_BAR_UNMAPPED)
        return;
    /* A BAR placed where it does not fit in 4 GiB decodes nothing. */
    if ((uint64_t)now + size > 0x100000000ull)
        return;
    bus_map_mmio(v->bus, now, size, bar == LFB_BAR ? &lfb_ops : &mmio_ops, v);
}

static uint32_t pow2_at_least(size_t n)
{
    uint32_t s = 2048; /* the smallest ROM BAR PCI allows */
    while (s < n && s < 0x80000000u)
        s <<= 1;
    return s;
}

void vga_pci_reset(struct vga *v)
{
    if (!v->have_pci)
        return;
    struct pci_device *d = &v->pci;
    /* Stop decoding what the old header mapped. */
    for (unsigned n = 0; n < PCI_NUM_BARS; n++)
        if (d->bar_mapped[n] != PCI_BAR_UNMAPPED && d->bar_size[n])
            bus_unmap(v->bus, d->bar_mapped[n], d->bar_size[n]);
    if (v->rom_mapped != PCI_BAR_UNMAPPED)
        bus_unmap(v->bus, v->rom_mapped, v->rom_size);
    v->rom_mapped = PCI_BAR_UNMAPPED;

    struct pci_bus *pb = d->pb;
    uint8_t devfn = d->devfn;
    pci_device_init(d, VGA_PCI_VENDOR, VGA_PCI_DEVICE, 0x030000, 0x02, 0x00);
    d->pb = pb;
    d->devfn = devfn;
    d->opaque = v;
    d->config_write = config_write;
    d->bar_moved = bar_moved;
    pci_set_word(d, PCI_SUBSYSTEM_VENDOR_ID, 0x1AF4);
    pci_set_word(d, PCI_SUBSYSTEM_ID, 0x1100);
    pci_bar_init(d, LFB_BAR, VGA_VRAM_SIZE, PCI_BAR_MEM32 | PCI_BAR_PREFETCH);
    pci_bar_init(d, MMIO_BAR, VGA_MMIO_SIZE, PCI_BAR_MEM32);
    d->wmask[PCI_COMMAND] |= PCI_COMMAND_IO;
    pci_set_wmask(d, PCI_INTERRUPT_LINE, 1, 0xFF);
    if (v->rom_size) {
        uint32_t m = (~(v->rom_size - 1) & 0xFFFFF800u) | 1;
        for (unsigned i = 0; i < 4; i++)
            d->wmask[PCI_ROM_ADDRESS + i] = (uint8_t)(m >> (8 * i));
    }
}

void vga_pci_setup(struct vga *v, struct pci_bus *pb, uint8_t devfn)
{
    v->have_pci = true;
    v->rom_size = v->rom && v->rom_len ? pow2_at_least(v->rom_len) : 0;
    v->rom_mapped = PCI_BAR_UNMAPPED;
    v->pci.pb = pb;
    v->pci.devfn = devfn;
    for (unsigned n = 0; n < PCI_NUM_BARS; n++)
        v->pci.bar_mapped[n] = PCI_BAR_UNMAPPED;
    vga_pci_reset(v);
}
