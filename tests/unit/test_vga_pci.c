/* Unit tests for devices/vga_pci.c: the std VGA's PCI header, BAR sizing
 * (PCI Local Bus Specification 2.1, 6.2.5), the expansion ROM BAR (6.3)
 * with a given image and with Debian's SeaBIOS VGA ROM when installed, the
 * linear framebuffer, and the MMIO BAR's copies of the VGA ports and DISPI
 * registers (QEMU's std VGA layout), all through configuration mechanism
 * #1 as firmware would. */
#include <stdlib.h>

#include "tests/unit/vga_fixture.h"

static uint8_t *rom_image;
static size_t rom_len;

/* An option ROM image of the std VGA BIOS's size: 55 AA, its length in
 * 512-byte blocks, a pattern after. */
static void rom_setup(void)
{
    rom_len = 39936;
    rom_image = malloc(rom_len);
    cr_assert(not(eq(ptr, rom_image, NULL)));
    for (size_t i = 0; i < rom_len; i++)
        rom_image[i] = (uint8_t)(i * 7);
    rom_image[0] = 0x55;
    rom_image[1] = 0xAA;
    rom_image[2] = (uint8_t)(rom_len / 512);
    vga_setup_with_rom(rom_image, rom_len);
}

static void rom_teardown(void)
{
    vga_teardown();
    free(rom_image);
}

TestSuite(vga_pci, .init = rom_setup, .fini = rom_teardown, .timeout = 10.0);

static uint32_t cfg_in(unsigned off, unsigned size)
{
    bus_out(&bus, PCI_CONFIG_ADDRESS, 0x80000000u | VGA_DEVFN << 8 | (off & 0xFC), 4);
    return bus_in(&bus, (uint16_t)(PCI_CONFIG_DATA + (off & 3)), size);
}

static void cfg_out(unsigned off, uint32_t val, unsigned size)
{
    bus_out(&bus, PCI_CONFIG_ADDRESS, 0x80000000u | VGA_DEVFN << 8 | (off & 0xFC), 4);
    bus_out(&bus, (uint16_t)(PCI_CONFIG_DATA + (off & 3)), val, size);
}

static uint32_t bar_size_probe(unsigned off)
{
    uint32_t old = cfg_in(off, 4);
    cfg_out(off, 0xFFFFFFFFu, 4);
    uint32_t r = cfg_in(off, 4);
    cfg_out(off, old, 4);
    return r;
}

Test(vga_pci, header_identity)
{
    cr_assert(eq(u32, cfg_in(0x00, 4), 0x11111234u));
    cr_assert(eq(u32, cfg_in(0x08, 4) >> 8, 0x030000u), "VGA-compatible display controller");
    cr_assert(eq(u8, cfg_in(0x0E, 1), 0x00), "single-function type 0 header");
    cr_assert(eq(u32, cfg_in(0x2C, 4), 0x11001AF4u));
    cr_assert(eq(u16, cfg_in(0x04, 2), 0x0000), "decoding off at power-on");
    cr_assert(eq(u8, cfg_in(0x3D, 1), 0x00), "no interrupt pin");
}

Test(vga_pci, bar_sizes_and_types)
{
    /* BAR0: 16 MiB, 32-bit, prefetchable memory. */
    cr_assert(eq(u32, bar_size_probe(0x10), 0xFF000008u));
    cr_assert(eq(u32, bar_size_probe(0x14), 0x00000000u));
    /* BAR2: 4 KiB, non-prefetchable. */
    cr_assert(eq(u32, bar_size_probe(0x18), 0xFFFFF000u));
    for (unsigned off = 0x1C; off <= 0x24; off += 4)
        cr_assert(eq(u32, bar_size_probe(off), 0), "BAR at %02X", off);
    /* The ROM BAR: a 39936-byte image needs 64 KiB. */
    cfg_out(0x30, 0xFFFFF800u, 4);
    cr_assert(eq(u32, cfg_in(0x30, 4), 0xFFFF0000u));
    cfg_out(0x30, 0xFFFFFFFFu, 4);
    cr_assert(eq(u32, cfg_in(0x30, 4), 0xFFFF0001u), "bit 0 is the enable");
}

Test(vga_pci, rom_bar_decodes_with_enable_and_memory_space)
{
    cfg_out(0x30, 0xFEB00000u, 4);
    cfg_out(0x04, PCI_COMMAND_MEMORY, 2);
    cr_assert(eq(u8, mem_r(0xFEB00000u), 0xFF), "ROM enable clear: nothing there");
    cfg_out(0x30, 0xFEB00001u, 4);
    cr_assert(eq(u8, mem_r(0xFEB00000u), 0x55));
    cr_assert(eq(u8, mem_r(0xFEB00001u), 0xAA));
    cr_assert(eq(u8, mem_r(0xFEB00002u), 78));
    cr_assert(eq(u32, bus_read(&bus, 0xFEB00100u, 4), rom_image[0x100] | rom_image[0x101] << 8 |
                                                        rom_image[0x102] << 16 |
                                                        (uint32_t)rom_image[0x103] << 24));
    cr_assert(eq(u8, mem_r(0xFEB00000u + 39936), 0xFF), "past the image, inside the BAR");
    mem_w(0xFEB00010u, 0x00);
    cr_assert(eq(u8, mem_r(0xFEB00010u), rom_image[0x10]), "read-only");
    cfg_out(0x04, 0, 2);
    cr_assert(eq(u8, mem_r(0xFEB00000u), 0xFF), "memory space off");
    cfg_out(0x04, PCI_COMMAND_MEMORY, 2);
    cfg_out(0x30, 0xFEA00001u, 4);
    cr_assert(eq(u8, mem_r(0xFEB00000u), 0xFF), "moved away");
    cr_assert(eq(u8, mem_r(0xFEA00000u), 0x55));
}

Test(vga_pci, no_rom_means_no_rom_bar)
{
    struct bus b2;
    struct pci_bus pb2;
    struct vclock c2;
    struct vga v2;
    cr_assert(eq(int, bus_init(&b2, 1u << 20), 0));
    clock_init(&c2, 100);
    cr_assert(eq(int, pci_init(&pb2, &b2), 0));
    cr_assert(eq(int, vga_init(&v2, &b2, &pb2, VGA_DEVFN, &c2, NULL, 0), 0));
    pci_config_write(&pb2, 0, VGA_DEVFN, 0x30, 0xFFFFFFFFu, 4);
    cr_assert(eq(u32, pci_config_read(&pb2, 0, VGA_DEVFN, 0x30, 4), 0));
    /* Two cards in one process keep separate state. */
    bus_out(&b2, 0x3C8, 1, 1);
    cr_assert(eq(u8, in8(0x3C8), 0));
    vga_free(&v2);
    bus_free(&b2);
}

Test(vga_pci, seabios_vga_rom_matches_the_identity)
{
    FILE *f = fopen("/usr/share/seabios/vgabios-stdvga.bin", "rb");
    if (!f)
        UNIT_SKIP("no /usr/share/seabios/vgabios-stdvga.bin (Debian package seabios)");
    static uint8_t img[65536];
    size_t n = fread(img, 1, sizeof(img), f);
    fclose(f);
    cr_assert(gt(sz, n, 0x40));
    struct bus b2;
    struct pci_bus pb2;
    struct vclock c2;
    struct vga v2;
    cr_assert(eq(int, bus_init(&b2, 1u << 20), 0));
    clock_init(&c2, 100);
    cr_assert(eq(int, pci_init(&pb2, &b2), 0));
    cr_assert(eq(int, vga_init(&v2, &b2, &pb2, VGA_DEVFN, &c2, img, n), 0));
    uint32_t size_mask = 0;
    pci_config_write(&pb2, 0, VGA_DEVFN, 0x30, 0xFFFFF800u, 4);
    size_mask = pci_config_read(&pb2, 0, VGA_DEVFN, 0x30, 4);
    uint32_t want = 2048;
    while (want < n)
        want <<= 1;
    cr_assert(eq(u32, size_mask, ~(want - 1)));
    pci_config_write(&pb2, 0, VGA_DEVFN, 0x30, 0xFEB00001u, 4);
    pci_config_write(&pb2, 0, VGA_DEVFN, 0x04, PCI_COMMAND_MEMORY, 2);
    cr_assert(eq(u8, bus_read(&b2, 0xFEB00000u, 1), 0x55));
    cr_assert(eq(u8, bus_read(&b2, 0xFEB00001u, 1), 0xAA));
    /* The ROM's PCI data structure ("PCIR", pointed to from offset 18h)
     * names the vendor and device it drives. */
    uint32_t pcir = bus_read(&b2, 0xFEB00018u, 2);
    cr_assert(eq(u32, bus_read(&b2, 0xFEB00000u + pcir, 4), 0x52494350u));
    cr_assert(eq(u32, bus_read(&b2, 0xFEB00000u + pcir + 4, 4), pci_config_read(&pb2, 0, VGA_DEVFN, 0, 4)));
    vga_free(&v2);
    bus_free(&b2);
}

Test(vga_pci, linear_framebuffer_bar)
{
    cfg_out(0x10, 0xE0000000u, 4);
    cr_assert(eq(u32, bus_read(&bus, 0xE0000000u, 4), 0xFFFFFFFFu), "memory space off");
    cfg_out(0x04, PCI_COMMAND_MEMORY, 2);
    bus_write(&bus, 0xE0000000u + 0xABCDE0, 0x11223344u, 4);
    cr_assert(eq(u8, vga.vram[0xABCDE0], 0x44));
    cr_assert(eq(u8, vga.vram[0xABCDE3], 0x11));
    cr_assert(eq(u32, bus_read(&bus, 0xE0FFFFFCu, 4), 0));
    bus_write(&bus, 0xE0FFFFFFu, 0x99, 1);
    cr_assert(eq(u8, vga.vram[VGA_VRAM_SIZE - 1], 0x99));
    /* Moving the BAR moves the framebuffer. */
    cfg_out(0x10, 0xD0000000u, 4);
    cr_assert(eq(u32, bus_read(&bus, 0xE0000000u + 0xABCDE0, 4), 0xFFFFFFFFu));
    cr_assert(eq(u32, bus_read(&bus, 0xD0000000u + 0xABCDE0, 4), 0x11223344u));
    /* Toggled far more often than the bus has region slots. */
    for (unsigned i = 0; i < 200; i++) {
        cfg_out(0x04, 0, 2);
        cfg_out(0x04, PCI_COMMAND_MEMORY, 2);
    }
    cr_assert(eq(u32, bus_read(&bus, 0xD0000000u + 0xABCDE0, 4), 0x11223344u));
}

Test(vga_pci, lfb_writes_show_in_a_dispi_mode)
{
    cfg_out(0x10, 0xE0000000u, 4);
    cfg_out(0x04, PCI_COMMAND_MEMORY, 2);
    dispi_w(VBE_DISPI_INDEX_XRES, 1024);
    dispi_w(VBE_DISPI_INDEX_YRES, 768);
    dispi_w(VBE_DISPI_INDEX_BPP, 32);
    dispi_w(VBE_DISPI_INDEX_ENABLE, VBE_DISPI_ENABLED | VBE_DISPI_LFB_ENABLED);
    struct vga_frame *f = NULL;
    cr_assert(vga_update(&vga, &f));
    cr_assert(not(vga_update(&vga, &f)));
    uint64_t lines = vga.lines_rendered;
    bus_write(&bus, 0xE0000000u + (300u * 1024 + 17) * 4, 0x00ABCDEFu, 4);
    cr_assert(vga_update(&vga, &f));
    cr_assert(eq(u32, pixel(f, 17, 300), 0xABCDEF));
    /* A 4 KiB page is one line of 1024 pixels. */
    cr_assert(eq(u64, vga.lines_rendered - lines, 1));
}

Test(vga_pci, mmio_bar_reaches_ports_and_dispi)
{
    cfg_out(0x18, 0xFEBF0000u, 4);
    cfg_out(0x04, PCI_COMMAND_MEMORY, 2);
    const uint32_t m = 0xFEBF0000u;
    /* 0x400 + (port - 0x3C0). */
    mem_w(m + 0x408, 0x21); /* DAC write index */
    mem_w(m + 0x409, 10);
    mem_w(m + 0x409, 20);
    mem_w(m + 0x409, 30);
    out8(0x3C7, 0x21);
    cr_assert(eq(u8, in8(0x3C9), 10));
    cr_assert(eq(u8, mem_r(m + 0x408), 0x22));
    bus_write(&bus, m + 0x404, 0x0F02, 2); /* sequencer: index then data */
    cr_assert(eq(u8, seq_r(2), 0x0F));
    /* 0x500 + 2 * index, 16 bits each. */
    cr_assert(eq(u32, bus_read(&bus, m + 0x500, 2), 0xB0C5));
    cr_assert(eq(u8, mem_r(m + 0x501), 0xB0));
    bus_write(&bus, m + 0x502, 1280, 2);
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_XRES), 1280));
    bus_write(&bus, m + 0x502, (1024u << 16) | 800, 4); /* XRES and YRES */
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_XRES), 800));
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_YRES), 1024));
    mem_w(m + 0x507, 0x00); /* high byte of BPP alone */
    mem_w(m + 0x506, 0x10);
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_BPP), 16));
    cr_assert(eq(u32, bus_read(&bus, m + 0x514, 2), 256), "VIDEO_MEMORY_64K at 0x514");
    cr_assert(eq(u32, bus_read(&bus, m + 0x000, 4), 0), "holes read 0");
    cr_assert(eq(u32, bus_read(&bus, m + 0xFFC, 4), 0));
}

Test(vga_pci, legacy_vga_decodes_without_pci_enables)
{
    out8(0x3C2, 0x63);
    seq_w(2, 0x0F);
    seq_w(4, 0x06);
    gc_w(6, 0x05);
    gc_w(8, 0xFF);
    mem_w(0xA0000, 0x42);
    cr_assert(eq(u8, vga.vram[0], 0x42));
}

Test(vga_pci, reset_unmaps_and_clears_the_header)
{
    cfg_out(0x10, 0xE0000000u, 4);
    cfg_out(0x30, 0xFEB00001u, 4);
    cfg_out(0x04, PCI_COMMAND_MEMORY, 2);
    cr_assert(eq(u8, mem_r(0xFEB00000u), 0x55));
    vga_reset(&vga);
    cr_assert(eq(u32, cfg_in(0x10, 4), 0x00000008u));
    cr_assert(eq(u32, cfg_in(0x30, 4), 0));
    cr_assert(eq(u8, mem_r(0xFEB00000u), 0xFF));
    cr_assert(eq(u32, bus_read(&bus, 0xE0000000u, 4), 0xFFFFFFFFu));
    cr_assert(eq(u32, cfg_in(0x00, 4), 0x11111234u));
    cr_assert(eq(u16, dispi_r(VBE_DISPI_INDEX_ID), 0xB0C5));
}
