/* Physical memory map and port-I/O space of one machine (see bus.h). */
#include "mem/bus.h"
#include "mem/sv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int bus_init(struct bus *bus, uint32_t ram_size)
{
    memset(bus, 0, sizeof(*bus));
    if (ram_size == 0 || (ram_size & BUS_PAGE_MASK) || ram_size > 0xF0000000u) {
        fprintf(stderr, "popek: RAM size %u is not a non-zero multiple of 4 KiB below 3.75 GiB\n",
                ram_size);
        return -EINVAL;
    }
    bus->ram = calloc(ram_size, 1);
    bus->pages = calloc(BUS_NPAGES, sizeof(*bus->pages));
    bus->code_bits = calloc(ram_size >> BUS_PAGE_SHIFT, sizeof(*bus->code_bits));
    bus->code_map = calloc(ram_size / 8, 1);
    bus->io = calloc(65536, sizeof(*bus->io));
    if (!bus->ram || !bus->pages || !bus->code_bits || !bus->code_map || !bus->io) {
        fprintf(stderr, "popek: cannot allocate %u bytes of guest RAM\n", ram_size);
        bus_free(bus);
        return -ENOMEM;
    }
    bus->ram_size = ram_size;
    for (uint32_t pn = 0; pn < (ram_size >> BUS_PAGE_SHIFT); pn++) {
        bus->pages[pn].kind = BUS_RAM;
        bus->pages[pn].host = bus->ram + ((size_t)pn << BUS_PAGE_SHIFT);
    }
    bus->a20_mask = 0xFFFFFFFFu;
    return 0;
}

void bus_free(struct bus *bus)
{
    free(bus->ram);
    free(bus->pages);
    free(bus->code_bits);
    free(bus->code_map);
    free(bus->io);
    for (unsigned i = 0; i < bus->nroms; i++)
        free(bus->roms[i]);
    memset(bus, 0, sizeof(*bus));
}

static int check_range(uint32_t base, uint64_t size)
{
    if ((base & BUS_PAGE_MASK) || (size & BUS_PAGE_MASK) || size == 0 ||
        (uint64_t)base + size > 0x100000000ull)
        return -EINVAL;
    return 0;
}

int bus_map_rom(struct bus *bus, uint32_t base, const uint8_t *image, size_t len)
{
    size_t size = (len + BUS_PAGE_MASK) & ~(size_t)BUS_PAGE_MASK;
    if (len == 0 || check_range(base, size) < 0) {
        fprintf(stderr, "popek: ROM of %zu bytes does not fit at 0x%08x\n", len, base);
        return -EINVAL;
    }
    if (bus->nroms == BUS_MAX_ROMS)
        return -ENOSPC;
    uint8_t *copy = malloc(size);
    if (!copy)
        return -ENOMEM;
    memset(copy, 0xFF, size);
    memcpy(copy, image, len);
    bus->rom_len[bus->nroms] = size;
    bus->roms[bus->nroms++] = copy;
    for (size_t off = 0; off < size; off += BUS_PAGE_SIZE) {
        struct bus_page *p = &bus->pages[(base + off) >> BUS_PAGE_SHIFT];
        p->kind = BUS_ROM;
        p->host = copy + off;
        p->write_ram = 0;
    }
    bus->map_gen++;
    return 0;
}

/* Whether any page still dispatches to region idx.  Only its own range
 * needs looking at: a region's pages are never anywhere else. */
static bool region_in_use(const struct bus *bus, unsigned idx)
{
    const struct bus_region *r = &bus->regions[idx];
    for (uint64_t off = 0; off < r->size; off += BUS_PAGE_SIZE) {
        const struct bus_page *p = &bus->pages[(r->base + off) >> BUS_PAGE_SHIFT];
        if (p->kind == BUS_MMIO && p->region == idx)
            return true;
    }
    return false;
}

/* A slot for a new region: a fresh one, or one that every page has since
 * left (unmapped or mapped over), so that a device whose BAR moves or is
 * switched on and off many times does not fill the table.  Returns
 * BUS_MAX_REGIONS when all are in use. */
static unsigned free_region(const struct bus *bus)
{
    if (bus->nregions < BUS_MAX_REGIONS)
        return bus->nregions;
    for (unsigned i = 0; i < bus->nregions; i++)
        if (!region_in_use(bus, i))
            return i;
    return BUS_MAX_REGIONS;
}

int bus_map_mmio(struct bus *bus, uint32_t base, uint32_t size, const struct mmio_ops *ops,
                 void *opaque)
{
    if (check_range(base, size) < 0 || !ops || !ops->read || !ops->write)
        return -EINVAL;
    unsigned idx = free_region(bus);
    if (idx == BUS_MAX_REGIONS)
        return -EINVAL;
    if (idx == bus->nregions)
        bus->nregions++;
    bus->regions[idx] = (struct bus_region){ base, size, ops, opaque };
    for (uint64_t off = 0; off < size; off += BUS_PAGE_SIZE) {
        struct bus_page *p = &bus->pages[(base + off) >> BUS_PAGE_SHIFT];
        p->kind = BUS_MMIO;
        p->host = NULL;
        p->region = (uint16_t)idx;
        p->write_ram = 0;
    }
    bus->map_gen++;
    return 0;
}

int bus_map_ram_alias(struct bus *bus, uint32_t base, uint32_t ram_offset, uint32_t size)
{
    if (check_range(base, size) < 0 || (ram_offset & BUS_PAGE_MASK) ||
        (uint64_t)ram_offset + size > bus->ram_size)
        return -EINVAL;
    /* Remapping the same window (a BIOS shadow toggled on and off) reuses
     * its entry, so the table only grows with distinct windows. */
    unsigned i;
    for (i = 0; i < bus->naliases; i++)
        if (bus->aliases[i].base == base)
            break;
    if (i == BUS_MAX_ALIASES)
        return -ENOSPC;
    if (i == bus->naliases)
        bus->naliases++;
    bus->aliases[i] = (struct bus_alias){ base, ram_offset, size };
    for (uint32_t off = 0; off < size; off += BUS_PAGE_SIZE) {
        struct bus_page *p = &bus->pages[(base + off) >> BUS_PAGE_SHIFT];
        p->kind = BUS_RAM;
        p->host = bus->ram + ram_offset + off;
        p->write_ram = 0;
    }
    bus->map_gen++;
    return 0;
}

void bus_unmap(struct bus *bus, uint32_t base, uint32_t size)
{
    if (check_range(base, size) < 0)
        return;
    for (uint64_t off = 0; off < size; off += BUS_PAGE_SIZE)
        bus->pages[(base + off) >> BUS_PAGE_SHIFT] = (struct bus_page){ 0 };
    bus->map_gen++;
}

int bus_map_shadow(struct bus *bus, uint32_t base, uint32_t size, bool read_ram, bool write_ram,
                   const struct bus_page *under)
{
    if (check_range(base, size) < 0 || (uint64_t)base + size > bus->ram_size || !under)
        return -EINVAL;
    for (uint32_t off = 0, i = 0; off < size; off += BUS_PAGE_SIZE, i++) {
        struct bus_page *p = &bus->pages[(base + off) >> BUS_PAGE_SHIFT];
        if (read_ram) {
            /* A ROM-kind page over RAM is exactly "read DRAM, drop writes". */
            *p = (struct bus_page){ .host = bus->ram + base + off, .kind = write_ram ? BUS_RAM : BUS_ROM };
        } else {
            *p = under[i];
            p->write_ram = write_ram && (p->kind == BUS_ROM || p->kind == BUS_UNMAPPED);
        }
    }
    bus->map_gen++;
    return 0;
}

void bus_set_a20(struct bus *bus, bool enabled)
{
    uint32_t mask = enabled ? 0xFFFFFFFFu : 0xFFEFFFFFu;
    if (mask != bus->a20_mask) {
        bus->a20_mask = mask;
        bus->map_gen++;
    }
}

bool bus_a20(const struct bus *bus)
{
    return bus->a20_mask == 0xFFFFFFFFu;
}

/* RAM page number behind a RAM-kind page, for code tracking. */
static inline uint32_t ram_page(const struct bus *bus, const struct bus_page *p)
{
    return (uint32_t)((p->host - bus->ram) >> BUS_PAGE_SHIFT);
}

/* The code map's bits for RAM bytes [start, start + len). */
static bool code_map_any(const uint8_t *map, uint32_t start, uint32_t len)
{
    for (uint32_t a = start, end = start + len; a < end;) {
        if (!(a & 7) && end - a >= 8) {
            if (map[a >> 3])
                return true;
            a += 8;
        } else {
            if ((map[a >> 3] >> (a & 7)) & 1)
                return true;
            a++;
        }
    }
    return false;
}

static void code_map_set(uint8_t *map, uint32_t start, uint32_t len)
{
    for (uint32_t a = start; a < start + len; a++)
        map[a >> 3] |= (uint8_t)(1u << (a & 7));
}

/* Reports the granules of mask that are marked in RAM page p to the hook,
 * for every physical page that maps p: decoded copies are tagged by the
 * address they were fetched from, which may be the page's own address or
 * an alias (the written address page_base is one of them).  The written
 * bytes are [off, off + len) from page_base.  What no mapping still holds
 * code in is cleared. */
static void code_invalidate(struct bus *bus, const struct bus_page *p, uint32_t page_base,
                            uint64_t mask, uint32_t off, uint32_t len)
{
    uint32_t rp = ram_page(bus, p);
    uint64_t hit = bus->code_bits[rp] & mask;
    if (!hit)
        return;
    /* The code map keeps its bits: a superset of the bytes cached code
     * came from is enough for code_written's test. */
    if (!bus->code_write_hook) {
        bus->code_bits[rp] &= ~hit;
        return;
    }
    uint64_t keep = 0;
    uint32_t ram_off = rp << BUS_PAGE_SHIFT;
    const struct bus_page *own = &bus->pages[rp];
    if (page_base != ram_off && own->kind == BUS_RAM && own->host == p->host)
        keep |= bus->code_write_hook(bus->code_write_opaque, ram_off, hit, off, len);
    keep |= bus->code_write_hook(bus->code_write_opaque, page_base, hit, off, len);
    for (unsigned i = 0; i < bus->naliases; i++) {
        const struct bus_alias *a = &bus->aliases[i];
        uint32_t alias = a->base + (ram_off - a->ram_offset);
        /* Skip windows that have since been mapped to something else. */
        if (ram_off >= a->ram_offset && ram_off - a->ram_offset < a->size && alias != page_base &&
            bus->pages[alias >> BUS_PAGE_SHIFT].host == p->host)
            keep |= bus->code_write_hook(bus->code_write_opaque, alias, hit, off, len);
    }
    bus->code_bits[rp] &= ~(hit & ~keep);
}

static void code_written(struct bus *bus, const struct bus_page *p, uint32_t phys, unsigned size)
{
    unsigned off = phys & BUS_PAGE_MASK;
    unsigned first = off >> BUS_CODE_GRANULE_SHIFT;
    unsigned last = (off + size - 1) >> BUS_CODE_GRANULE_SHIFT;
    uint32_t page_base = phys & ~BUS_PAGE_MASK;
    /* Most writes to a page holding code miss the code itself (DOS
     * programs keep their variables beside it): the byte map says so. */
    uint32_t rp = ram_page(bus, p), in_page = size < BUS_PAGE_SIZE - off ? size : BUS_PAGE_SIZE - off;
    if (!code_map_any(bus->code_map, (rp << BUS_PAGE_SHIFT) + off, in_page))
        return;
    /* An instruction decoded in the previous granule may extend into this
     * one, so that granule's decodings are stale too -- also when it is the
     * last granule of the page before. */
    if (first == 0 && page_base != 0) {
        const struct bus_page *prev = bus_page(bus, page_base - BUS_PAGE_SIZE);
        if (prev->kind == BUS_RAM)
            code_invalidate(bus, prev, page_base - BUS_PAGE_SIZE, 1ull << 63, BUS_PAGE_SIZE + off, in_page);
    }
    if (!bus->code_bits[ram_page(bus, p)])
        return;
    uint64_t mask = 0;
    for (unsigned g = first; g <= last && g < 64; g++)
        mask |= 1ull << g;
    if (first > 0)
        mask |= 1ull << (first - 1);
    code_invalidate(bus, p, page_base, mask, off, in_page);
}

bool bus_mark_code(struct bus *bus, uint32_t phys, unsigned len)
{
    const struct bus_page *p = bus_page(bus, phys);
    if (p->kind != BUS_RAM || len == 0)
        return false;
    uint32_t rp = ram_page(bus, p);
    uint64_t before = bus->code_bits[rp];
    unsigned off = phys & BUS_PAGE_MASK;
    unsigned last = off + len - 1;
    if (last > BUS_PAGE_MASK)
        last = BUS_PAGE_MASK;
    for (unsigned g = off >> BUS_CODE_GRANULE_SHIFT; g <= last >> BUS_CODE_GRANULE_SHIFT; g++)
        bus->code_bits[rp] |= 1ull << g;
    code_map_set(bus->code_map, (rp << BUS_PAGE_SHIFT) + off, last - off + 1);
    /* Bytes past the page end go into the code map of the page after
     * (only the map: code_written finds the decoding from there). */
    if (off + len > BUS_PAGE_SIZE && (phys | BUS_PAGE_MASK) != 0xFFFFFFFFu) {
        const struct bus_page *next = bus_page(bus, (phys | BUS_PAGE_MASK) + 1);
        if (next->kind == BUS_RAM) {
            uint32_t rest = off + len - BUS_PAGE_SIZE;
            code_map_set(bus->code_map, ram_page(bus, next) << BUS_PAGE_SHIFT, rest < BUS_PAGE_SIZE ? rest : BUS_PAGE_SIZE);
        }
    }
    return before == 0;
}

static unsigned mmio_max(const struct mmio_ops *ops)
{
    return ops->max_size ? ops->max_size : 4;
}

/* One access that does not cross a page. */
static uint32_t read_in_page(struct bus *bus, uint32_t phys, unsigned size)
{
    const struct bus_page *p = bus_page(bus, phys);
    switch (p->kind) {
    case BUS_RAM:
    case BUS_ROM: {
        const uint8_t *h = p->host + (phys & BUS_PAGE_MASK);
        uint32_t v = 0;
        for (unsigned i = 0; i < size; i++)
            v |= (uint32_t)h[i] << (8 * i);
        return v;
    }
    case BUS_MMIO: {
        const struct bus_region *r = &bus->regions[p->region];
        uint32_t off = phys - r->base;
        /* Masked like port reads: a device may leave junk above size,
         * which would otherwise corrupt the bytes a split read ORs in. */
        if (size <= mmio_max(r->ops) && (uint64_t)off + size <= r->size) {
            uint32_t v = r->ops->read(r->opaque, off, size);
            return size == 4 ? v : v & ((1u << (8 * size)) - 1);
        }
        uint32_t v = 0;
        for (unsigned i = 0; i < size; i++)
            v |= (r->ops->read(r->opaque, off + i, 1) & 0xFF) << (8 * i);
        return v;
    }
    default:
        return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1;
    }
}

static void write_in_page(struct bus *bus, uint32_t phys, uint32_t val, unsigned size)
{
    const struct bus_page *p = bus_page(bus, phys);
    switch (p->kind) {
    case BUS_RAM: {
        uint8_t *h = p->host + (phys & BUS_PAGE_MASK);
        for (unsigned i = 0; i < size; i++)
            h[i] = (uint8_t)(val >> (8 * i));
        code_written(bus, p, phys, size);
        return;
    }
    case BUS_MMIO: {
        const struct bus_region *r = &bus->regions[p->region];
        uint32_t off = phys - r->base;
        if (bus->io_hook)
            bus->io_hook(bus->io_opaque);
        if (size <= mmio_max(r->ops) && (uint64_t)off + size <= r->size) {
            r->ops->write(r->opaque, off, val, size);
            return;
        }
        for (unsigned i = 0; i < size; i++)
            r->ops->write(r->opaque, off + i, (val >> (8 * i)) & 0xFF, 1);
        return;
    }
    default: /* ROM and unmapped: dropped, unless the shadow RAM takes them */
        if (p->write_ram) {
            uint32_t page_base = phys & ~BUS_PAGE_MASK;
            const struct bus_page ram = { .host = bus->ram + page_base, .kind = BUS_RAM };
            uint8_t *h = ram.host + (phys & BUS_PAGE_MASK);
            for (unsigned i = 0; i < size; i++)
                h[i] = (uint8_t)(val >> (8 * i));
            code_written(bus, &ram, phys, size);
        }
        return;
    }
}

uint32_t bus_read(struct bus *bus, uint32_t phys, unsigned size)
{
    if (((phys & BUS_PAGE_MASK) + size) <= BUS_PAGE_SIZE)
        return read_in_page(bus, phys, size);
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= read_in_page(bus, phys + i, 1) << (8 * i);
    return v;
}

void bus_write(struct bus *bus, uint32_t phys, uint32_t val, unsigned size)
{
    if (((phys & BUS_PAGE_MASK) + size) <= BUS_PAGE_SIZE) {
        write_in_page(bus, phys, val, size);
        return;
    }
    for (unsigned i = 0; i < size; i++)
        write_in_page(bus, phys + i, (val >> (8 * i)) & 0xFF, 1);
}

/* Block copies go a page at a time: RAM (and ROM, for reads) by memcpy,
 * with one code check per page; anything else byte by byte as the CPU
 * would see it.  (Byte by byte throughout, loading a kernel and initrd
 * cost 0.2 s of a Linux boot.) */
void bus_read_block(struct bus *bus, uint32_t phys, void *dst, size_t len)
{
    uint8_t *d = dst;
    while (len) {
        uint32_t in_page = BUS_PAGE_SIZE - (phys & BUS_PAGE_MASK);
        size_t n = len < in_page ? len : in_page;
        const struct bus_page *p = bus_page(bus, phys);
        if (p->kind == BUS_RAM || p->kind == BUS_ROM) {
            memcpy(d, p->host + (phys & BUS_PAGE_MASK), n);
        } else {
            for (size_t i = 0; i < n; i++)
                d[i] = (uint8_t)read_in_page(bus, (uint32_t)(phys + i), 1);
        }
        d += n;
        phys += (uint32_t)n;
        len -= n;
    }
}

void bus_write_block(struct bus *bus, uint32_t phys, const void *src, size_t len)
{
    const uint8_t *s = src;
    while (len) {
        uint32_t in_page = BUS_PAGE_SIZE - (phys & BUS_PAGE_MASK);
        size_t n = len < in_page ? len : in_page;
        const struct bus_page *p = bus_page(bus, phys);
        if (p->kind == BUS_RAM) {
            memcpy(p->host + (phys & BUS_PAGE_MASK), s, n);
            code_written(bus, p, phys, (unsigned)n);
        } else {
            for (size_t i = 0; i < n; i++)
                write_in_page(bus, (uint32_t)(phys + i), s[i], 1);
        }
        s += n;
        phys += (uint32_t)n;
        len -= n;
    }
}

int bus_io_register(struct bus *bus, uint16_t port, unsigned count, const struct io_ops *ops,
                    void *opaque)
{
    if (count == 0 || port + count > 65536u || !ops)
        return -EINVAL;
    for (unsigned i = 0; i < count; i++)
        bus->io[port + i] = (struct bus_io_slot){ ops, opaque };
    return 0;
}

void bus_io_unregister(struct bus *bus, uint16_t port, unsigned count, const struct io_ops *ops, void *opaque)
{
    for (unsigned i = 0; i < count && port + i < 65536u; i++) {
        struct bus_io_slot *s = &bus->io[port + i];
        if (s->ops == ops && s->opaque == opaque)
            *s = (struct bus_io_slot){ NULL, NULL };
    }
}

static uint32_t in_split(struct bus *bus, uint16_t port, unsigned size)
{
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        const struct bus_io_slot *s = &bus->io[(uint16_t)(port + i)];
        uint32_t b = 0xFF;
        if (s->ops && s->ops->read && (s->ops->sizes & 1))
            b = s->ops->read(s->opaque, (uint16_t)(port + i), 1) & 0xFF;
        v |= b << (8 * i);
    }
    return v;
}

uint32_t bus_in(struct bus *bus, uint16_t port, unsigned size)
{
    if (bus->io_hook)
        bus->io_hook(bus->io_opaque);
    const struct bus_io_slot *s = &bus->io[port];
    if (s->ops && s->ops->read && (s->ops->sizes & size)) {
        uint32_t v = s->ops->read(s->opaque, port, size);
        return size == 4 ? v : v & ((1u << (8 * size)) - 1);
    }
    return in_split(bus, port, size);
}

void bus_out(struct bus *bus, uint16_t port, uint32_t val, unsigned size)
{
    if (bus->io_hook)
        bus->io_hook(bus->io_opaque);
    const struct bus_io_slot *s = &bus->io[port];
    if (s->ops && s->ops->write && (s->ops->sizes & size)) {
        s->ops->write(s->opaque, port, size == 4 ? val : val & ((1u << (8 * size)) - 1), size);
        return;
    }
    for (unsigned i = 0; i < size; i++) {
        const struct bus_io_slot *b = &bus->io[(uint16_t)(port + i)];
        if (b->ops && b->ops->write && (b->ops->sizes & 1))
            b->ops->write(b->opaque, (uint16_t)(port + i), (val >> (8 * i)) & 0xFF, 1);
    }
}

/* RAM in a savestate: its size, A20, and the pages (sv_put_sparse: an
 * idle guest's free memory costs nothing). */
void bus_save(const struct bus *bus, struct sv_writer *w)
{
    sv_put_u32(w, bus->ram_size);
    sv_put_bool(w, bus_a20(bus));
    sv_put_sparse(w, bus->ram, bus->ram_size);
}

void bus_load(struct bus *bus, struct sv_reader *r, unsigned version)
{
    if (version != BUS_SV_VERSION) {
        sv_fail(r, "version %u, this Popek reads %u", version, BUS_SV_VERSION);
        return;
    }
    uint32_t size = sv_get_u32(r);
    bool a20 = sv_get_bool(r);
    if (!sv_ok(r))
        return;
    if (size != bus->ram_size) {
        sv_fail(r, "saved with %u KiB of RAM, this machine has %u KiB (-m)", size >> 10, bus->ram_size >> 10);
        return;
    }
    sv_get_sparse(r, bus->ram, size);
    if (!sv_ok(r))
        return;
    uint32_t npages = size >> BUS_PAGE_SHIFT;
    /* Whoever decoded code from RAM flushes it after a load; the marks go
     * with it. */
    memset(bus->code_bits, 0, (size_t)npages * sizeof(*bus->code_bits));
    memset(bus->code_map, 0, size / 8);
    bus_set_a20(bus, a20);
    bus->map_gen++;
}
