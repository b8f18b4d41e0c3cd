/* Guest memory as the CPU sees it: segment checks, the software TLB that
 * maps linear pages to host memory, and the slow paths for everything the
 * inline fast path (interp.h) does not take: page crossings, MMIO,
 * unmapped and ROM pages, code pages, limit violations.  There is no paging
 * yet, so a linear address is physical after the address-line mask. */
#include "cpu/interp.h"

void cpu_tlb_flush(struct cpu *c)
{
    for (unsigned i = 0; i < TLB_SIZE; i++)
        c->tlb[i] = (struct tlb_entry){ TLB_INVALID, TLB_INVALID, 0xFFFFFFFFu, NULL };
    c->fp_size = 0;
}

void cpu_check_map(struct cpu *c)
{
    uint32_t mask = c->mi->addr_mask & c->bus->a20_mask;
    if (c->map_gen != c->bus->map_gen || c->addr_mask != mask) {
        c->map_gen = c->bus->map_gen;
        c->addr_mask = mask;
        cpu_tlb_flush(c);
        cpu_icache_flush(c);
    }
}

static struct tlb_entry *tlb_fill(struct cpu *c, uint32_t lin)
{
    struct tlb_entry *e = &c->tlb[(lin >> 12) & (TLB_SIZE - 1)];
    uint32_t lpage = lin & ~0xFFFu;
    uint32_t ppage = lpage & c->addr_mask;
    const struct bus_page *p = bus_page(c->bus, ppage);
    e->phys_page = ppage;
    e->host = p->host;
    e->tag_r = e->tag_w = TLB_INVALID;
    if (p->kind == BUS_RAM) {
        uint32_t rp = (uint32_t)(p->host - c->bus->ram) >> BUS_PAGE_SHIFT;
        e->tag_r = lpage;
        if (!bus_page_has_code(c->bus, rp << BUS_PAGE_SHIFT)) {
            e->tag_w = lpage;
            c->tlb_wpages[rp >> 3] |= (uint8_t)(1u << (rp & 7));
        }
    } else if (p->kind == BUS_ROM) {
        e->tag_r = lpage;
    }
    return e;
}

static uint32_t read_lin_in_page(struct cpu *c, uint32_t lin, unsigned size)
{
    struct tlb_entry *e = &c->tlb[(lin >> 12) & (TLB_SIZE - 1)];
    if (e->tag_r != (lin & ~0xFFFu))
        e = tlb_fill(c, lin);
    if (e->tag_r == (lin & ~0xFFFu))
        return ld_le(e->host + (lin & 0xFFF), size);
    return bus_read(c->bus, e->phys_page | (lin & 0xFFF), size);
}

static void write_lin_in_page(struct cpu *c, uint32_t lin, uint32_t val, unsigned size)
{
    struct tlb_entry *e = &c->tlb[(lin >> 12) & (TLB_SIZE - 1)];
    if (e->tag_w != (lin & ~0xFFFu))
        e = tlb_fill(c, lin);
    if (e->tag_w == (lin & ~0xFFFu)) {
        st_le(e->host + (lin & 0xFFF), val, size);
        return;
    }
    bus_write(c->bus, e->phys_page | (lin & 0xFFF), val, size);
    /* A device may have remapped memory or moved the A20 gate. */
    if (c->bus->map_gen != c->map_gen)
        cpu_check_map(c);
}

uint32_t cpu_read_lin(struct cpu *c, uint32_t lin, unsigned size)
{
    if ((lin & 0xFFF) + size <= 0x1000)
        return read_lin_in_page(c, lin, size);
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= read_lin_in_page(c, lin + i, 1) << (8 * i);
    return v;
}

void cpu_write_lin(struct cpu *c, uint32_t lin, uint32_t val, unsigned size)
{
    if ((lin & 0xFFF) + size <= 0x1000) {
        write_lin_in_page(c, lin, val, size);
        return;
    }
    for (unsigned i = 0; i < size; i++)
        write_lin_in_page(c, lin + i, (val >> (8 * i)) & 0xFF, 1);
}

/* A segment-limit violation: #SS for the stack segment, #GP otherwise.
 * The 286 in real mode raises #GP for SS too (hardware-captured tests). */
void cpu_limit_fault(struct cpu *c, int seg)
{
    cpu_fault(c, seg == S_SS && c->mi->model != CPU_286 ? EXC_SS : EXC_GP, 0);
}

uint32_t cpu_read_slow(struct cpu *c, int seg, uint32_t off, unsigned size)
{
    uint32_t base = c->seg[seg].base;
    if (!seg_ok(c, seg, off, size)) {
        if (c->mi->model != CPU_8086)
            cpu_limit_fault(c, seg);
        /* The 8086 wraps each byte's offset within the segment. */
        uint32_t v = 0;
        for (unsigned i = 0; i < size; i++)
            v |= cpu_read_lin(c, base + ((off + i) & 0xFFFF), 1) << (8 * i);
        return v;
    }
    return cpu_read_lin(c, base + off, size);
}

void cpu_write_slow(struct cpu *c, int seg, uint32_t off, uint32_t val, unsigned size)
{
    uint32_t base = c->seg[seg].base;
    if (!seg_ok(c, seg, off, size)) {
        if (c->mi->model != CPU_8086)
            cpu_limit_fault(c, seg);
        for (unsigned i = 0; i < size; i++)
            cpu_write_lin(c, base + ((off + i) & 0xFFFF), (val >> (8 * i)) & 0xFF, 1);
        return;
    }
    cpu_write_lin(c, base + off, val, size);
}
