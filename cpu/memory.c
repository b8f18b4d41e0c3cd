/* Guest memory as the CPU sees it: segment checks, paging (SDM vol. 3
 * ch. 4: 32-bit paging with 4 KiB and 4 MiB pages, PAE, global pages,
 * accessed/dirty bits, CR0.WP), the software TLBs that map linear pages to
 * host memory, and the slow paths for everything the inline fast path
 * (interp.h) does not take: page crossings, MMIO, unmapped and ROM pages,
 * pages holding decoded code, limit and protection violations.
 *
 * There are two TLBs, one for supervisor and one for user accesses, so that
 * a privilege change needs no flush; c->tlbp points at the one for the
 * current CPL, and implicit system accesses (descriptor tables, TSS, the
 * stacks of a privilege change) always use the supervisor one. */
#include "cpu/interp.h"

#define PTE_P 0x001u
#define PTE_W 0x002u
#define PTE_U 0x004u
#define PTE_A 0x020u
#define PTE_D 0x040u
#define PTE_PS 0x080u
#define PTE_G 0x100u

#define PF_P 0x01u
#define PF_W 0x02u
#define PF_U 0x04u
#define PF_RSVD 0x08u

/* Invalidates an entry; it stays on the used list if it was there (the
 * list then never holds an index twice). */
static void tlb_clear(struct tlb_entry *e)
{
    *e = (struct tlb_entry){ .tag_r = TLB_INVALID, .tag_w = TLB_INVALID, .tag_wc = TLB_INVALID,
                             .phys_page = 0xFFFFFFFFu, .listed = e->listed };
}

void cpu_tlb_init(struct cpu *c)
{
    for (unsigned u = 0; u < 2; u++) {
        for (unsigned i = 0; i < TLB_SIZE; i++) {
            c->tlb[u][i].listed = false;
            tlb_clear(&c->tlb[u][i]);
        }
        c->tlb_nused[u] = 0;
    }
    cpu_fetch_forget(c);
}

/* Only the entries filled since the last flush can be valid: a guest that
 * toggles CR0.WP or CR4.PGE, or writes CR3, in a loop flushes a TLB that
 * holds a handful of entries, and pays for those alone. */
void cpu_tlb_flush(struct cpu *c)
{
    for (unsigned u = 0; u < 2; u++) {
        for (unsigned k = 0; k < c->tlb_nused[u]; k++) {
            struct tlb_entry *e = &c->tlb[u][c->tlb_used[u][k]];
            e->listed = false;
            tlb_clear(e);
        }
        c->tlb_nused[u] = 0;
    }
    cpu_fetch_forget(c);
}

void cpu_tlb_flush_nonglobal(struct cpu *c)
{
    for (unsigned u = 0; u < 2; u++) {
        unsigned keep = 0;
        for (unsigned k = 0; k < c->tlb_nused[u]; k++) {
            uint16_t i = c->tlb_used[u][k];
            struct tlb_entry *e = &c->tlb[u][i];
            if (e->global) {
                c->tlb_used[u][keep++] = i;
                continue;
            }
            e->listed = false;
            tlb_clear(e);
        }
        c->tlb_nused[u] = (uint16_t)keep;
    }
    cpu_fetch_forget(c);
}

void cpu_tlb_flush_page(struct cpu *c, uint32_t lin)
{
    unsigned i = (lin >> 12) & (TLB_SIZE - 1);
    for (unsigned u = 0; u < 2; u++)
        tlb_clear(&c->tlb[u][i]);
    cpu_fetch_forget(c);
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

/* ---- page walk ----------------------------------------------------- */

static uint32_t phys_read32(struct cpu *c, uint32_t phys)
{
    return bus_read(c->bus, phys & c->addr_mask, 4);
}

static void phys_write32(struct cpu *c, uint32_t phys, uint32_t v)
{
    bus_write(c->bus, phys & c->addr_mask, v, 4);
}

static NORETURN void page_fault(struct cpu *c, uint32_t lin, uint32_t err)
{
    c->cr2 = lin;
    cpu_fault(c, EXC_PF, err);
}

/* Loads the four PAE page-directory-pointer entries (at CR3 writes and when
 * paging is enabled with PAE, as the P6 does).  Returns false if an entry
 * has reserved bits set (the caller raises #GP). */
bool cpu_load_pdptes(struct cpu *c)
{
    uint32_t base = c->cr3 & 0xFFFFFFE0u;
    for (unsigned i = 0; i < 4; i++) {
        uint64_t lo = phys_read32(c, base + 8 * i), hi = phys_read32(c, base + 8 * i + 4);
        uint64_t e = lo | (hi << 32);
        /* Reserved: bits 1-2, 5-8 and 36-63 (36-bit physical addresses). */
        if ((e & PTE_P) && (e & 0xFFFFFFF0000001E6ull))
            return false;
        c->pdpte[i] = e;
    }
    return true;
}

struct xlate {
    uint32_t phys;
    bool writable; /* a write by this privilege is allowed now (dirty bit set) */
    bool global;
};

/* Translates lin for an access of the given kind by user (CPL 3) or
 * supervisor code, setting accessed and dirty bits; faults with #PF. */
static struct xlate translate(struct cpu *c, uint32_t lin, bool write, bool user)
{
    struct xlate x = { lin, true, false };
    if (!(c->cr0 & CR0_PG)) {
        x.phys = lin & c->addr_mask;
        return x;
    }
    uint32_t err = (write ? PF_W : 0) | (user ? PF_U : 0);
    bool wp = (c->cr0 & CR0_WP) && c->mi->model >= CPU_486;
    if (c->cr4 & CR4_PAE) {
        uint64_t pdpte = c->pdpte[lin >> 30];
        if (!(pdpte & PTE_P))
            page_fault(c, lin, err);
        uint32_t pde_addr = (uint32_t)(pdpte & 0xFFFFF000u) + ((lin >> 21) & 0x1FF) * 8;
        uint64_t pde = phys_read32(c, pde_addr) | ((uint64_t)phys_read32(c, pde_addr + 4) << 32);
        if (!(pde & PTE_P))
            page_fault(c, lin, err);
        if (pde & 0xFFFFFFF000000000ull)
            page_fault(c, lin, err | PF_P | PF_RSVD);
        uint32_t rights = (uint32_t)pde;
        uint64_t leaf;
        uint32_t leaf_addr;
        uint32_t page_base;
        if (pde & PTE_PS) {
            if (pde & 0x1FE000u)
                page_fault(c, lin, err | PF_P | PF_RSVD);
            leaf = pde;
            leaf_addr = pde_addr;
            page_base = ((uint32_t)pde & 0xFFE00000u) | (lin & 0x1FF000u);
            if (pde >> 32) /* above 4 GiB: nothing of ours is there */
                page_base = 0xFFFFF000u;
        } else {
            leaf_addr = (uint32_t)(pde & 0xFFFFF000u) + ((lin >> 12) & 0x1FF) * 8;
            leaf = phys_read32(c, leaf_addr) | ((uint64_t)phys_read32(c, leaf_addr + 4) << 32);
            if (!(leaf & PTE_P))
                page_fault(c, lin, err);
            if (leaf & 0xFFFFFFF000000000ull)
                page_fault(c, lin, err | PF_P | PF_RSVD);
            rights &= (uint32_t)leaf;
            page_base = (uint32_t)leaf & 0xFFFFF000u;
            if (leaf >> 32)
                page_base = 0xFFFFF000u;
            if (!(pde & PTE_A))
                phys_write32(c, pde_addr, (uint32_t)pde | PTE_A);
        }
        if (user && !(rights & PTE_U))
            page_fault(c, lin, err | PF_P);
        if (write && !(rights & PTE_W) && (user || wp))
            page_fault(c, lin, err | PF_P);
        uint32_t want = PTE_A | (write ? PTE_D : 0);
        if (((uint32_t)leaf & want) != want)
            phys_write32(c, leaf_addr, (uint32_t)leaf | want);
        x.phys = (page_base | (lin & 0xFFF)) & c->addr_mask;
        x.writable = ((rights & PTE_W) || !(user || wp)) && (write || (leaf & PTE_D));
        x.global = (c->cr4 & CR4_PGE) && (leaf & PTE_G);
        return x;
    }
    uint32_t pde_addr = (c->cr3 & 0xFFFFF000u) + (lin >> 22) * 4;
    uint32_t pde = phys_read32(c, pde_addr);
    if (!(pde & PTE_P))
        page_fault(c, lin, err);
    uint32_t rights = pde, leaf, leaf_addr, page_base;
    if ((pde & PTE_PS) && (c->cr4 & CR4_PSE)) {
        if (pde & 0x3FE000u) /* no PSE-36 on these chips: bits 21-13 are reserved */
            page_fault(c, lin, err | PF_P | PF_RSVD);
        leaf = pde;
        leaf_addr = pde_addr;
        page_base = (pde & 0xFFC00000u) | (lin & 0x3FF000u);
    } else {
        leaf_addr = (pde & 0xFFFFF000u) + ((lin >> 12) & 0x3FF) * 4;
        leaf = phys_read32(c, leaf_addr);
        if (!(leaf & PTE_P))
            page_fault(c, lin, err);
        rights &= leaf;
        page_base = leaf & 0xFFFFF000u;
        if (!(pde & PTE_A))
            phys_write32(c, pde_addr, pde | PTE_A);
    }
    if (user && !(rights & PTE_U))
        page_fault(c, lin, err | PF_P);
    if (write && !(rights & PTE_W) && (user || wp))
        page_fault(c, lin, err | PF_P);
    uint32_t want = PTE_A | (write ? PTE_D : 0);
    if ((leaf & want) != want)
        phys_write32(c, leaf_addr, leaf | want);
    x.phys = (page_base | (lin & 0xFFF)) & c->addr_mask;
    x.writable = ((rights & PTE_W) || !(user || wp)) && (write || (leaf & PTE_D));
    x.global = (c->cr4 & CR4_PGE) && (leaf & PTE_G);
    return x;
}

uint32_t cpu_translate(struct cpu *c, uint32_t lin, bool write, bool user)
{
    return translate(c, lin, write, user).phys;
}


bool cpu_translate_debug(const struct cpu *c, uint32_t lin, uint32_t *phys)
{
    /* From the model and the bus, not c->addr_mask: a debugger may ask
     * before the first run has set that. */
    uint32_t mask = c->mi->addr_mask & c->bus->a20_mask;
    if (!(c->cr0 & CR0_PG)) {
        *phys = lin & mask;
        return true;
    }
    struct bus *b = c->bus;
    if (c->cr4 & CR4_PAE) {
        uint64_t pdpte = c->pdpte[lin >> 30];
        if (!(pdpte & PTE_P))
            return false;
        uint32_t pde = bus_read(b, ((uint32_t)pdpte & 0xFFFFF000u) + ((lin >> 21) & 0x1FF) * 8, 4);
        if (!(pde & PTE_P))
            return false;
        if (pde & PTE_PS) {
            *phys = ((pde & 0xFFE00000u) | (lin & 0x1FFFFF)) & mask;
            return true;
        }
        uint32_t pte = bus_read(b, (pde & 0xFFFFF000u) + ((lin >> 12) & 0x1FF) * 8, 4);
        if (!(pte & PTE_P))
            return false;
        *phys = ((pte & 0xFFFFF000u) | (lin & 0xFFF)) & mask;
        return true;
    }
    uint32_t pde = bus_read(b, (c->cr3 & 0xFFFFF000u) + (lin >> 22) * 4, 4);
    if (!(pde & PTE_P))
        return false;
    if ((pde & PTE_PS) && (c->cr4 & CR4_PSE)) {
        *phys = ((pde & 0xFFC00000u) | (lin & 0x3FFFFF)) & mask;
        return true;
    }
    uint32_t pte = bus_read(b, (pde & 0xFFFFF000u) + ((lin >> 12) & 0x3FF) * 4, 4);
    if (!(pte & PTE_P))
        return false;
    *phys = ((pte & 0xFFFFF000u) | (lin & 0xFFF)) & mask;
    return true;
}

/* Fills the TLB entry for lin (privilege user) for a read or a write;
 * faults if the access is not allowed. */
static struct tlb_entry *tlb_fill(struct cpu *c, uint32_t lin, bool user, bool write)
{
    struct xlate x = translate(c, lin, write, user);
    unsigned idx = (lin >> 12) & (TLB_SIZE - 1);
    struct tlb_entry *e = &c->tlb[user][idx];
    if (!e->listed) {
        e->listed = true;
        c->tlb_used[user][c->tlb_nused[user]++] = (uint16_t)idx;
    }
    uint32_t lpage = lin & ~0xFFFu;
    uint32_t ppage = x.phys & ~0xFFFu;
    const struct bus_page *p = bus_page(c->bus, ppage);
    e->phys_page = ppage;
    e->addend = (uintptr_t)p->host - lpage;
    e->global = x.global;
    e->tag_r = e->tag_w = e->tag_wc = TLB_INVALID;
    /* While data breakpoints or alignment checks are armed, every access
     * must reach the slow path, which checks them. */
    if (c->dbg_data || (user && cpu_ac_active(c)))
        return e;
    if (p->kind == BUS_RAM) {
        uint32_t rp = (uint32_t)(p->host - c->bus->ram) >> BUS_PAGE_SHIFT;
        e->tag_r = lpage;
        if (x.writable && !bus_page_has_code(c->bus, rp << BUS_PAGE_SHIFT)) {
            e->tag_w = lpage;
            c->tlb_wpages[rp >> 3] |= (uint8_t)(1u << (rp & 7));
        } else if (x.writable) {
            e->tag_wc = lpage;
        }
    } else if (p->kind == BUS_ROM) {
        e->tag_r = lpage;
    }
    return e;
}

uint32_t cpu_translate_fetch(struct cpu *c, uint32_t lin)
{
    bool user = c->cpl == 3;
    struct tlb_entry *e = &c->tlb[user][(lin >> 12) & (TLB_SIZE - 1)];
    if (e->tag_r != (lin & ~0xFFFu))
        e = tlb_fill(c, lin, user, false);
    return e->phys_page | (lin & 0xFFFu);
}

static uint32_t read_lin_in_page(struct cpu *c, uint32_t lin, unsigned size, bool user)
{
    struct tlb_entry *e = &c->tlb[user][(lin >> 12) & (TLB_SIZE - 1)];
    if (e->tag_r == (lin & ~0xFFFu))
        return ld_le((const uint8_t *)(e->addend + lin), size);
    /* A miss, or a page with no host memory (MMIO, unmapped): translate
     * afresh so that the permission check and accessed bit happen. */
    e = tlb_fill(c, lin, user, false);
    if (e->tag_r == (lin & ~0xFFFu))
        return ld_le((const uint8_t *)(e->addend + lin), size);
    return bus_read(c->bus, e->phys_page | (lin & 0xFFF), size);
}

static void write_lin_in_page(struct cpu *c, uint32_t lin, uint32_t val, unsigned size, bool user)
{
    struct tlb_entry *e = &c->tlb[user][(lin >> 12) & (TLB_SIZE - 1)];
    if (e->tag_w != (lin & ~0xFFFu) && e->tag_wc != (lin & ~0xFFFu))
        e = tlb_fill(c, lin, user, true);
    if (e->tag_w == (lin & ~0xFFFu)) {
        st_le((uint8_t *)(e->addend + lin), val, size);
        return;
    }
    bus_write(c->bus, e->phys_page | (lin & 0xFFF), val, size);
    /* A device may have remapped memory or moved the A20 gate. */
    if (c->bus->map_gen != c->map_gen)
        cpu_check_map(c);
}

/* Page-crossing accesses check both pages before writing anything, so a
 * #PF on the second page leaves the first untouched. */
static uint32_t read_lin(struct cpu *c, uint32_t lin, unsigned size, bool user)
{
    if ((lin & 0xFFF) + size <= 0x1000)
        return read_lin_in_page(c, lin, size, user);
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++)
        v |= read_lin_in_page(c, lin + i, 1, user) << (8 * i);
    return v;
}

static void write_lin(struct cpu *c, uint32_t lin, uint32_t val, unsigned size, bool user)
{
    if ((lin & 0xFFF) + size <= 0x1000) {
        write_lin_in_page(c, lin, val, size, user);
        return;
    }
    if (c->cr0 & CR0_PG) {
        (void)translate(c, lin, true, user);
        (void)translate(c, (lin + size - 1) & ~0xFFFu, true, user);
    }
    for (unsigned i = 0; i < size; i++)
        write_lin_in_page(c, lin + i, (val >> (8 * i)) & 0xFF, 1, user);
}

uint32_t cpu_read_lin(struct cpu *c, uint32_t lin, unsigned size)
{
    return read_lin(c, lin, size, c->cpl == 3);
}

void cpu_write_lin(struct cpu *c, uint32_t lin, uint32_t val, unsigned size)
{
    write_lin(c, lin, val, size, c->cpl == 3);
}

uint32_t cpu_read_sys(struct cpu *c, uint32_t lin, unsigned size)
{
    return read_lin(c, lin, size, false);
}

void cpu_write_sys(struct cpu *c, uint32_t lin, uint32_t val, unsigned size)
{
    write_lin(c, lin, val, size, false);
}

/* A segment-limit or -type violation: #SS for the stack segment, #GP
 * otherwise.  The 286 in real mode raises #GP for SS too (hardware-captured
 * tests). */
void cpu_limit_fault(struct cpu *c, int seg)
{
    cpu_fault(c, seg == S_SS && c->mi->model != CPU_286 ? EXC_SS : EXC_GP, 0);
}

/* Checks that happen only on the slow path: alignment (#AC) and data
 * breakpoints, for an access at a linear address by the program. */
static void slow_checks(struct cpu *c, uint32_t lin, unsigned size, bool write)
{
    if (size > 1 && (lin & (size - 1)) && cpu_ac_active(c))
        cpu_fault(c, EXC_AC, 0);
    if (c->dbg_data)
        cpu_debug_data(c, lin, size, write);
}

uint32_t cpu_read_slow(struct cpu *c, int seg, uint32_t off, unsigned size)
{
    uint32_t base = c->seg[seg].base;
    slow_checks(c, base + off, size, false);
    if (!seg_ok_r(c, seg, off, size)) {
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
    slow_checks(c, base + off, size, true);
    if (!seg_ok_w(c, seg, off, size)) {
        if (c->mi->model != CPU_8086)
            cpu_limit_fault(c, seg);
        for (unsigned i = 0; i < size; i++)
            cpu_write_lin(c, base + ((off + i) & 0xFFFF), (val >> (8 * i)) & 0xFF, 1);
        return;
    }
    cpu_write_lin(c, base + off, val, size);
}
