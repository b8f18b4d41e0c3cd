/* Unit tests for the bus's code tracking (self-modifying code support):
 * bus_mark_code, bus_page_has_code and the code-write hook. */
#include <string.h>

#include "tests/unit/unit.h"

#define RAM_SIZE 0x100000u
#define G(n) (1ull << (n)) /* granule n's bit */

struct hook_call {
    uint32_t page_base;
    uint64_t granules;
    uint32_t off, len; /* the written bytes, from page_base */
};

struct hook_log {
    struct hook_call calls[16];
    unsigned n;
    uint64_t keep; /* what the hook answers still holds code */
};

static struct bus bus;
static struct hook_log hooks;

static uint64_t code_hook(void *opaque, uint32_t page_base, uint64_t granules, uint32_t off, uint32_t len)
{
    struct hook_log *h = opaque;
    cr_assert(eq(ptr, h, &hooks), "hook got the wrong opaque");
    cr_assert(lt(uint, h->n, 16), "too many hook calls");
    h->calls[h->n++] = (struct hook_call){ page_base, granules, off, len };
    return h->keep;
}

static void bus_setup(void)
{
    cr_assert(eq(int, bus_init(&bus, RAM_SIZE), 0));
    memset(&hooks, 0, sizeof(hooks));
    bus.code_write_hook = code_hook;
    bus.code_write_opaque = &hooks;
}

static void bus_teardown(void)
{
    bus_free(&bus);
}

TestSuite(bus_code, .init = bus_setup, .fini = bus_teardown, .timeout = 10.0);

static void expect_hook(unsigned i, uint32_t page_base, uint64_t granules)
{
    cr_assert(gt(uint, hooks.n, i), "hook called %u times, wanted at least %u", hooks.n, i + 1);
    cr_expect(eq(u32, hooks.calls[i].page_base, page_base), "hook %u: page base 0x%x", i,
              hooks.calls[i].page_base);
    cr_expect(eq(u64, hooks.calls[i].granules, granules), "hook %u: granules 0x%llx", i,
              (unsigned long long)hooks.calls[i].granules);
}

static uint64_t bits_of(uint32_t phys)
{
    return bus.code_bits[phys >> BUS_PAGE_SHIFT];
}

Test(bus_code, first_mark_of_a_page_returns_true)
{
    cr_assert(not(bus_page_has_code(&bus, 0x3000)));
    cr_assert(bus_mark_code(&bus, 0x3040, 4), "first mark in the page");
    cr_assert(bus_page_has_code(&bus, 0x3000));
    cr_assert(bus_page_has_code(&bus, 0x3FFF));
    cr_assert(not(bus_mark_code(&bus, 0x3040, 4)), "same granule again");
    cr_assert(not(bus_mark_code(&bus, 0x3800, 2)), "another granule, same page");
    cr_assert(bus_mark_code(&bus, 0x4000, 1), "a different page");
    cr_assert(not(bus_page_has_code(&bus, 0x5000)));
    cr_assert(eq(u64, bits_of(0x3000), G(1) | G(32)));
    cr_assert(eq(u64, bits_of(0x4000), G(0)));
    cr_assert(eq(uint, hooks.n, 0), "marking never calls the hook");
}

Test(bus_code, mark_covers_every_granule_of_the_range)
{
    cr_assert(bus_mark_code(&bus, 0x303F, 2)); /* last byte of granule 0, first of 1 */
    cr_assert(eq(u64, bits_of(0x3000), G(0) | G(1)));
    cr_assert(bus_mark_code(&bus, 0x4010, 0x100)); /* 0x4010..0x410F: granules 0-4 */
    cr_assert(eq(u64, bits_of(0x4000), G(0) | G(1) | G(2) | G(3) | G(4)));
    cr_assert(bus_mark_code(&bus, 0x5FC0, 64));
    cr_assert(eq(u64, bits_of(0x5000), G(63)));
    cr_assert(bus_mark_code(&bus, 0x6000, 0x1000));
    cr_assert(eq(u64, bits_of(0x6000), ~0ull));
}

Test(bus_code, only_ram_can_be_marked)
{
    uint8_t img[16] = { 0x90 };
    cr_assert(eq(int, bus_map_rom(&bus, 0xF0000, img, sizeof(img)), 0));
    cr_assert(not(bus_mark_code(&bus, 0xF0000, 1)), "ROM");
    cr_assert(not(bus_mark_code(&bus, RAM_SIZE, 1)), "unmapped");
    cr_assert(not(bus_mark_code(&bus, 0xFFFFFFF0u, 16)), "unmapped top");
    cr_assert(not(bus_mark_code(&bus, 0x3000, 0)), "empty range");
    cr_assert(not(bus_page_has_code(&bus, 0x3000)));
    cr_assert(not(bus_page_has_code(&bus, RAM_SIZE)));
    cr_assert(not(bus_page_has_code(&bus, 0xFFFFF000u)));
}

Test(bus_code, write_to_marked_granule_calls_hook_and_clears)
{
    bus_mark_code(&bus, 0x3040, 16); /* granule 1 */
    bus_write(&bus, 0x304F, 0x90, 1);
    cr_assert(eq(uint, hooks.n, 1));
    expect_hook(0, 0x3000, G(1));
    cr_assert(eq(u64, bits_of(0x3000), 0));
    cr_assert(not(bus_page_has_code(&bus, 0x3000)));
    cr_assert(eq(u8, bus.ram[0x304F], 0x90), "the write itself lands");
    /* Cleared: writing again does not call the hook again... */
    bus_write(&bus, 0x304F, 0x91, 1);
    cr_assert(eq(uint, hooks.n, 1));
    /* ...and the page counts as fresh for the next mark. */
    cr_assert(bus_mark_code(&bus, 0x3040, 1));
}

Test(bus_code, write_to_unmarked_granule_is_quiet)
{
    bus_mark_code(&bus, 0x3040, 16); /* granule 1 */
    bus_write(&bus, 0x3100, 0xFFFFFFFFu, 4);  /* granule 4 */
    bus_write(&bus, 0x3000, 0x12345678, 4);   /* granule 0, before the code */
    bus_write(&bus, 0x3FFC, 0x12345678, 4);   /* granule 63 */
    bus_write(&bus, 0x2FC0, 0x12345678, 4);   /* another page */
    cr_assert(eq(uint, hooks.n, 0));
    cr_assert(eq(u64, bits_of(0x3000), G(1)), "marks survive unrelated writes");
}

Test(bus_code, write_beside_code_in_its_granule_is_quiet)
{
    /* DOS programs keep variables next to their code: writes to bytes no
     * decoded instruction came from leave the granule's decodings alone. */
    bus_mark_code(&bus, 0x3044, 6); /* 0x3044-0x3049 in granule 1 */
    bus_write(&bus, 0x3040, 0x12345678, 4);
    bus_write(&bus, 0x304A, 0x1234, 2);
    bus_write(&bus, 0x307F, 0x12, 1);
    cr_assert(eq(uint, hooks.n, 0));
    cr_assert(eq(u64, bits_of(0x3000), G(1)));
    bus_write(&bus, 0x3042, 0x12345678, 4); /* its last byte is code */
    cr_assert(eq(uint, hooks.n, 1));
    expect_hook(0, 0x3000, G(1));
}

Test(bus_code, hook_gets_the_written_bytes_and_keeps_what_it_says)
{
    bus_mark_code(&bus, 0x3040, 0x40); /* granule 1 */
    bus_mark_code(&bus, 0x3080, 0x10); /* granule 2 */
    hooks.keep = G(1);                 /* "granule 1 still holds code" */
    bus_write(&bus, 0x3082, 0x1234, 2);
    cr_assert(eq(uint, hooks.n, 1));
    expect_hook(0, 0x3000, G(1) | G(2));
    cr_assert(eq(u32, hooks.calls[0].off, 0x82));
    cr_assert(eq(u32, hooks.calls[0].len, 2));
    cr_assert(eq(u64, bits_of(0x3000), G(1)), "the kept granule stays marked, the other is cleared");
    bus_write(&bus, 0x3050, 0x12, 1);
    cr_assert(eq(uint, hooks.n, 2), "a kept granule still reports writes");
    /* A write at a page's start reaches the page before with its offset
     * from there. */
    bus_mark_code(&bus, 0x4FF0, 0x10);
    hooks.keep = 0;
    bus_write(&bus, 0x5000, 0x12345678, 4);
    bus_mark_code(&bus, 0x5000, 1);
    bus_write(&bus, 0x5000, 0x12345678, 4);
    cr_assert(eq(uint, hooks.n, 4));
    expect_hook(2, 0x4000, G(63));
    cr_assert(eq(u32, hooks.calls[2].off, 0x1000));
    cr_assert(eq(u32, hooks.calls[2].len, 4));
}

Test(bus_code, write_at_granule_start_invalidates_previous_granule)
{
    /* An instruction decoded at 0x307E straddles granules 1 and 2; a write
     * to 0x3080 changes its last byte.  Decodings that start in granule 2
     * could not see it, but the one from granule 1 does. */
    bus_mark_code(&bus, 0x307E, 3);
    bus_write(&bus, 0x3080, 0x90, 1);
    cr_assert(eq(uint, hooks.n, 1));
    expect_hook(0, 0x3000, G(1) | G(2));
    cr_assert(eq(u64, bits_of(0x3000), 0));
}

Test(bus_code, write_at_page_start_invalidates_previous_page_tail)
{
    /* An instruction decoded at 0x3FFE runs into the next page; marking
     * clamps at the page end, so only page 0x3000's granule 63 is marked.
     * A write to 0x4000 must still drop it. */
    cr_assert(bus_mark_code(&bus, 0x3FFE, 5));
    cr_assert(eq(u64, bits_of(0x3000), G(63)));
    cr_assert(eq(u64, bits_of(0x4000), 0));
    bus_write(&bus, 0x4040, 0x90, 1); /* granule 1: too far to matter */
    cr_assert(eq(uint, hooks.n, 0));
    bus_write(&bus, 0x4001, 0x90, 1);
    cr_assert(eq(uint, hooks.n, 1));
    expect_hook(0, 0x3000, G(63));
    cr_assert(eq(u64, bits_of(0x3000), 0));

    /* Page 0 has no page before it; a ROM page before is never marked. */
    bus_write(&bus, 0, 0, 4);
    uint8_t img[16] = { 0 };
    cr_assert(eq(int, bus_map_rom(&bus, 0x9000, img, sizeof(img)), 0));
    bus_write(&bus, 0xA000, 0, 4);
    cr_assert(eq(uint, hooks.n, 1));
}

Test(bus_code, hook_gets_the_mask_of_marked_granules_hit)
{
    cr_assert(bus_mark_code(&bus, 0x3040, 0xC0)); /* granules 1, 2, 3 */
    bus_mark_code(&bus, 0x3140, 1);               /* granule 5 */
    bus_mark_code(&bus, 0x3FC0, 1);               /* granule 63 */
    /* A dword at 0x30BE covers granules 2 and 3; granule 1 goes too. */
    bus_write(&bus, 0x30BE, 0, 4);
    cr_assert(eq(uint, hooks.n, 1));
    expect_hook(0, 0x3000, G(1) | G(2) | G(3));
    cr_assert(eq(u64, bits_of(0x3000), G(5) | G(63)));

    bus_write(&bus, 0x313F, 0, 2);
    cr_assert(eq(uint, hooks.n, 2));
    expect_hook(1, 0x3000, G(5));
    cr_assert(eq(u64, bits_of(0x3000), G(63)));
}

Test(bus_code, page_crossing_write_reports_each_page)
{
    bus_mark_code(&bus, 0x3FC0, 1); /* page 0x3000, granule 63 */
    bus_mark_code(&bus, 0x4000, 1); /* page 0x4000, granule 0 */
    bus_write(&bus, 0x3FFE, 0x11223344, 4);
    cr_assert(eq(uint, hooks.n, 2));
    expect_hook(0, 0x3000, G(63));
    expect_hook(1, 0x4000, G(0));
    cr_assert(not(bus_page_has_code(&bus, 0x3000)));
    cr_assert(not(bus_page_has_code(&bus, 0x4000)));
    cr_assert(eq(u32, bus_read(&bus, 0x3FFE, 4), 0x11223344));
}

Test(bus_code, block_writes_are_tracked)
{
    bus_mark_code(&bus, 0x8000, 0x80); /* granules 0 and 1 */
    const uint8_t nops[8] = { 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90, 0x90 };
    bus_write_block(&bus, 0x8010, nops, sizeof(nops));
    cr_assert(eq(uint, hooks.n, 1), "one hook call: the marks are gone after the first byte");
    expect_hook(0, 0x8000, G(0));
    cr_assert(eq(u64, bits_of(0x8000), G(1)));
    cr_assert(eq(mem, bytes(bus.ram + 0x8010, 8), bytes(nops, 8)));
}

Test(bus_code, writes_through_an_alias_are_tracked)
{
    /* Code marked at its RAM address, written through a shadow alias. */
    cr_assert(eq(int, bus_map_ram_alias(&bus, 0xE0000, 0x20000, 0x1000), 0));
    cr_assert(bus_mark_code(&bus, 0x20040, 1));
    bus_write(&bus, 0xE0040, 0xCC, 1);
    /* Decoded copies may be tagged by either address: both are reported. */
    cr_assert(eq(uint, hooks.n, 2));
    expect_hook(0, 0x20000, G(1));
    expect_hook(1, 0xE0000, G(1));
    cr_assert(eq(u64, bits_of(0x20000), 0));
}

Test(bus_code, rom_and_mmio_writes_never_call_the_hook)
{
    uint8_t img[16] = { 0 };
    cr_assert(eq(int, bus_map_rom(&bus, 0xF0000, img, sizeof(img)), 0));
    bus_mark_code(&bus, 0xEFFC0, 64); /* last granule of the RAM page below */
    bus_write(&bus, 0xF0000, 0, 4);
    bus_write(&bus, 0xF0040, 0, 4);
    cr_assert(eq(uint, hooks.n, 0));
}

Test(bus_code, no_hook_still_clears)
{
    bus.code_write_hook = NULL;
    bus_mark_code(&bus, 0x3000, 1);
    bus_write(&bus, 0x3000, 0, 1);
    cr_assert(not(bus_page_has_code(&bus, 0x3000)));
}
