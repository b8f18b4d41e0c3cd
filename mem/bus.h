/* The physical bus of one machine: guest RAM, ROM and MMIO regions mapped
 * in 4 KiB pages over a 32-bit physical space, the 64 KiB port-I/O space,
 * and the A20 gate.  Everything the CPU or a device touches outside its own
 * state goes through here.  No globals: a machine owns one struct bus.
 *
 * Self-modifying code support: a consumer that caches decoded code (the
 * interpreter) marks the 64-byte granules it decoded from with
 * bus_mark_code(); any later write to such a granule, by the CPU slow path
 * or by a device, calls the registered code-write hook so the consumer can
 * drop what it decoded there. */
#ifndef POPEK_MEM_BUS_H
#define POPEK_MEM_BUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BUS_PAGE_SHIFT 12
#define BUS_PAGE_SIZE (1u << BUS_PAGE_SHIFT)
#define BUS_PAGE_MASK (BUS_PAGE_SIZE - 1)
#define BUS_NPAGES (1u << (32 - BUS_PAGE_SHIFT))
#define BUS_CODE_GRANULE_SHIFT 6 /* 64-byte granules, 64 per page */

enum bus_page_kind {
    BUS_UNMAPPED = 0, /* reads return all ones, writes are dropped */
    BUS_RAM,
    BUS_ROM, /* reads from host memory, writes are dropped */
    BUS_MMIO,
};

/* A memory-mapped device.  offset is relative to the region's base; size is
 * 1, 2 or 4.  Accesses wider than max_size (or that cross the region's end)
 * are split into byte accesses by the bus. */
struct mmio_ops {
    uint32_t (*read)(void *opaque, uint32_t offset, unsigned size);
    void (*write)(void *opaque, uint32_t offset, uint32_t val, unsigned size);
    unsigned max_size; /* 1, 2 or 4; 0 means 4 */
};

/* A port-I/O device.  port is the absolute port number; size is 1, 2 or 4.
 * Accesses of a size the device does not accept (sizes is a mask of
 * 1|2|4) are split into byte accesses on consecutive ports. */
struct io_ops {
    uint32_t (*read)(void *opaque, uint16_t port, unsigned size);
    void (*write)(void *opaque, uint16_t port, uint32_t val, unsigned size);
    unsigned sizes;
};

struct bus_page {
    uint8_t *host;   /* RAM/ROM: host address of the page; else NULL */
    uint16_t region; /* MMIO: index into regions[] */
    uint8_t kind;    /* enum bus_page_kind */
    /* ROM or unmapped page whose writes go to the RAM at the same physical
     * address (a chipset's shadow set to "write to DRAM, read from ROM"). */
    uint8_t write_ram;
};

struct bus_region {
    uint32_t base, size;
    const struct mmio_ops *ops;
    void *opaque;
};

struct bus_io_slot {
    const struct io_ops *ops;
    void *opaque;
};

#define BUS_MAX_REGIONS 64
#define BUS_MAX_ROMS 8
#define BUS_MAX_ALIASES 16

/* RAM mapped a second time elsewhere (bus_map_ram_alias), remembered so
 * that a write to code through one mapping reaches the decoded copies made
 * through the other. */
struct bus_alias {
    uint32_t base, ram_offset, size;
};

struct bus {
    uint8_t *ram;
    uint32_t ram_size;        /* bytes, a multiple of 4 KiB */
    struct bus_page *pages;   /* BUS_NPAGES entries */
    uint64_t *code_bits;      /* per RAM page: granules holding decoded code */
    uint8_t *code_map;        /* one bit per RAM byte: the bytes decoded code came from */
    uint32_t a20_mask;        /* 0xFFFFFFFF or 0xFFEFFFFF */
    uint32_t map_gen;         /* bumped whenever a mapping or A20 changes */

    struct bus_region regions[BUS_MAX_REGIONS];
    unsigned nregions;
    uint8_t *roms[BUS_MAX_ROMS]; /* owned copies of ROM images */
    size_t rom_len[BUS_MAX_ROMS];
    unsigned nroms;
    struct bus_alias aliases[BUS_MAX_ALIASES];
    unsigned naliases;

    struct bus_io_slot *io; /* 65536 slots */

    /* Called when a write lands on bytes marked by bus_mark_code(): once
     * for every physical page that maps the written RAM page, with that
     * page's base, a mask of the marked granules the write may have changed
     * decodings in, and the written bytes [off, off + len) relative to
     * page_base (off may be BUS_PAGE_SIZE or more for the page before the
     * written one).  Returns the granules of the mask that still hold
     * decoded code; the others' bits are cleared. */
    uint64_t (*code_write_hook)(void *opaque, uint32_t page_base, uint64_t granules, uint32_t off, uint32_t len);
    void *code_write_opaque;

    /* Called before every port or MMIO access, so that the machine can
     * bring device time up to date with the instructions executed. */
    void (*io_hook)(void *opaque);
    void *io_opaque;
};

/* Creates a bus with ram_size bytes of zeroed RAM mapped at 0.  Returns 0 or
 * -errno (and prints why to stderr). */
int bus_init(struct bus *bus, uint32_t ram_size);
void bus_free(struct bus *bus);

/* Maps a copy of image (len bytes, a multiple of 4 KiB not required) as ROM
 * at base.  Pages already mapped are replaced.  Returns 0 or -errno. */
int bus_map_rom(struct bus *bus, uint32_t base, const uint8_t *image, size_t len);
/* Maps [base, base+size) (page aligned) to a device; ops->read and
 * ops->write are both required.  Returns 0 or -errno.  The table holds
 * BUS_MAX_REGIONS regions at once; a region that no page maps any more
 * (unmapped or mapped over) frees its slot, so a BAR that moves often is
 * fine. */
int bus_map_mmio(struct bus *bus, uint32_t base, uint32_t size,
                 const struct mmio_ops *ops, void *opaque);
/* Maps RAM bytes [ram_offset, ram_offset+size) at base (page aligned):
 * used for aliases such as the BIOS shadow. */
int bus_map_ram_alias(struct bus *bus, uint32_t base, uint32_t ram_offset, uint32_t size);
void bus_unmap(struct bus *bus, uint32_t base, uint32_t size);
/* The BIOS shadow RAM of a chipset (the i440FX's PAM registers): for the
 * pages of [base, base+size), which must lie inside RAM, reads come from
 * the RAM at the same address (read_ram) or from under[] -- what the bus
 * sees there without shadowing (a ROM, or nothing), one entry per page --
 * and writes go to that RAM (write_ram) or are dropped.  Returns 0 or
 * -EINVAL. */
int bus_map_shadow(struct bus *bus, uint32_t base, uint32_t size, bool read_ram, bool write_ram,
                   const struct bus_page *under);

void bus_set_a20(struct bus *bus, bool enabled);
bool bus_a20(const struct bus *bus);

/* Physical accesses.  phys is used as given (apply the A20 mask first; the
 * CPU does).  Accesses that cross a page are split. */
uint32_t bus_read(struct bus *bus, uint32_t phys, unsigned size);
void bus_write(struct bus *bus, uint32_t phys, uint32_t val, unsigned size);
static inline uint8_t bus_read8(struct bus *b, uint32_t a) { return (uint8_t)bus_read(b, a, 1); }
static inline void bus_write8(struct bus *b, uint32_t a, uint8_t v) { bus_write(b, a, v, 1); }
/* Bulk copies for loaders and DMA; they honour ROM/MMIO/code tracking. */
void bus_read_block(struct bus *bus, uint32_t phys, void *dst, size_t len);
void bus_write_block(struct bus *bus, uint32_t phys, const void *src, size_t len);

static inline const struct bus_page *bus_page(const struct bus *bus, uint32_t phys)
{
    return &bus->pages[phys >> BUS_PAGE_SHIFT];
}

/* Marks the granules covering [phys, phys+len) of a RAM page as holding
 * decoded code.  Returns true if the page had no code marked before (the
 * caller must then stop writing to it through any fast path). */
bool bus_mark_code(struct bus *bus, uint32_t phys, unsigned len);
/* Whether the RAM page at byte offset ram_offset of guest RAM (not a
 * physical address: aliases share it) holds marked code. */
static inline bool bus_page_has_code(const struct bus *bus, uint32_t ram_offset)
{
    uint32_t pn = ram_offset >> BUS_PAGE_SHIFT;
    return pn < (bus->ram_size >> BUS_PAGE_SHIFT) && bus->code_bits[pn] != 0;
}

/* Port I/O.  Unclaimed ports read as all ones and ignore writes. */
int bus_io_register(struct bus *bus, uint16_t port, unsigned count,
                    const struct io_ops *ops, void *opaque);
/* Releases ports [port, port+count) that ops/opaque claimed (others'
 * claims in the range are left alone). */
void bus_io_unregister(struct bus *bus, uint16_t port, unsigned count, const struct io_ops *ops, void *opaque);
uint32_t bus_in(struct bus *bus, uint16_t port, unsigned size);
void bus_out(struct bus *bus, uint16_t port, uint32_t val, unsigned size);

/* RAM and the A20 gate in a savestate (mem/sv.h).  The mappings are the
 * board's and the devices' to restore; the RAM size must match. */
#define BUS_SV_VERSION 1
struct sv_writer;
struct sv_reader;
void bus_save(const struct bus *bus, struct sv_writer *w);
void bus_load(struct bus *bus, struct sv_reader *r, unsigned version);

#endif
