/* Unit tests for devices/dma8237.c: the two 8237A controllers and the page
 * registers programmed through their ports on a bus, and the device-side
 * transfer call checked against guest memory.  Expectations come from the
 * Intel 8237A datasheet (231466) and the AT's wiring of DMA2 (word
 * addresses, page bit 0 unused).  docs/devices/dma.md maps registers to
 * these tests. */
#include "devices/dma8237.h"
#include "tests/unit/unit.h"

#include <string.h>

#define RAM (1u << 20)

static struct bus bus;
static struct dma8237 dma;

static void setup(void)
{
    cr_assert(eq(int, bus_init(&bus, RAM), 0));
    cr_assert(eq(int, dma8237_init(&dma, &bus), 0));
}

static void teardown(void)
{
    bus_free(&bus);
}

static void out8(uint16_t port, uint8_t v)
{
    bus_out(&bus, port, v, 1);
}

static uint8_t in8(uint16_t port)
{
    return (uint8_t)bus_in(&bus, port, 1);
}

/* Port of register reg of the controller owning channel ch. */
static uint16_t reg_port(unsigned ch, unsigned reg)
{
    return ch < 4 ? (uint16_t)reg : (uint16_t)(0xC0 + 2 * reg);
}

static const uint8_t page_ports[8] = { 0x87, 0x83, 0x81, 0x82, 0x8F, 0x8B, 0x89, 0x8A };

/* What a BIOS does at POST: channel 4 cascade and unmasked. */
static void cascade_on(void)
{
    out8(0xD6, 0xC0); /* mode: cascade, channel 4 */
    out8(0xD4, 0x00); /* single mask: clear channel 4 */
}

/* Programs a channel as a driver does: mask, clear flip-flop, mode,
 * address, page, count, unmask. */
static void program(unsigned ch, uint8_t mode, uint16_t addr, uint8_t page, uint16_t count)
{
    unsigned n = ch & 3;
    out8(reg_port(ch, DMA_REG_MASK), (uint8_t)(4 | n));
    out8(reg_port(ch, DMA_REG_CLEAR_FF), 0);
    out8(reg_port(ch, DMA_REG_MODE), (uint8_t)(mode | n));
    out8(reg_port(ch, 2 * n), (uint8_t)addr);
    out8(reg_port(ch, 2 * n), (uint8_t)(addr >> 8));
    out8(page_ports[ch], page);
    out8(reg_port(ch, 2 * n + 1), (uint8_t)count);
    out8(reg_port(ch, 2 * n + 1), (uint8_t)(count >> 8));
    out8(reg_port(ch, DMA_REG_MASK), (uint8_t)n);
}

static uint16_t read_reg16(unsigned ch, unsigned reg)
{
    out8(reg_port(ch, DMA_REG_CLEAR_FF), 0);
    uint16_t lo = in8(reg_port(ch, reg));
    return (uint16_t)(lo | in8(reg_port(ch, reg)) << 8);
}

static uint16_t cur_addr(unsigned ch)
{
    return read_reg16(ch, 2 * (ch & 3));
}

static uint16_t cur_count(unsigned ch)
{
    return read_reg16(ch, 2 * (ch & 3) + 1);
}

TestSuite(dma8237, .init = setup, .fini = teardown, .timeout = 10.0);

Test(dma8237, master_clear_masks_every_channel)
{
    cascade_on();
    program(2, DMA_MODE_WRITE | 0x40, 0x1000, 0, 9);
    cr_assert(dma8237_channel_ready(&dma, 2));
    out8(0x0D, 0); /* master clear DMA1 */
    cr_expect(not(dma8237_channel_ready(&dma, 2)));
    cr_expect(not(dma8237_channel_ready(&dma, 0)));
    /* DMA2 untouched by DMA1's master clear */
    cr_expect(dma8237_channel_ready(&dma, 5) == false, "channel 5 is masked since reset");
    out8(0xD4, 1); /* unmask 5 */
    cr_expect(dma8237_channel_ready(&dma, 5));
    /* After reset everything is masked: a transfer moves nothing. */
    dma8237_reset(&dma);
    uint8_t b[4] = { 1, 2, 3, 4 };
    for (unsigned ch = 0; ch < 8; ch++) {
        cr_expect(not(dma8237_channel_ready(&dma, ch)), "channel %u", ch);
        cr_expect(eq(sz, dma8237_transfer(&dma, ch, b, 4, true, NULL), 0));
    }
    cr_expect(eq(u8, in8(0x08), 0), "status cleared");
    cr_expect(eq(u8, in8(0xD0), 0));
    cr_expect(eq(u8, in8(0x0D), 0), "temporary register cleared");
}

Test(dma8237, master_clear_resets_the_flip_flop)
{
    out8(0x04, 0x34); /* low byte of channel 2's address, flip-flop now high */
    out8(0x0D, 0);    /* master clear */
    out8(0x04, 0x78);
    out8(0x04, 0x56);
    out8(0x0C, 0);
    cr_expect(eq(u8, in8(0x04), 0x78));
    cr_expect(eq(u8, in8(0x04), 0x56));
}

Test(dma8237, flip_flop_and_address_count_readback)
{
    out8(0x0C, 0);
    out8(0x02, 0x34); /* channel 1 address, low */
    out8(0x02, 0x12); /* high */
    out8(0x03, 0xCD); /* channel 1 count */
    out8(0x03, 0xAB);
    cr_expect(eq(u16, cur_addr(1), 0x1234));
    cr_expect(eq(u16, cur_count(1), 0xABCD));
    /* Reads toggle the same flip-flop as writes: a read after one write
     * returns the high byte. */
    out8(0x0C, 0);
    out8(0x02, 0x99);
    cr_expect(eq(u8, in8(0x02), 0x12), "the flip-flop points at the high byte");
    cr_expect(eq(u8, in8(0x02), 0x99), "and back to the low byte");
    /* One flip-flop per controller, shared by all its channels. */
    out8(0x0C, 0);
    out8(0x00, 0x11);
    out8(0x06, 0x22); /* goes to channel 3's HIGH byte */
    out8(0x0C, 0);
    cr_expect(eq(u8, in8(0x00), 0x11));
    cr_expect(eq(u8, in8(0x06), 0x22), "channel 3 high byte read while flip-flop is high");
    /* DMA2's registers sit at even ports; A0 is not decoded. */
    out8(0xD8, 0);
    out8(0xC4, 0x21);
    out8(0xC5, 0x43); /* odd port aliases 0xC4 */
    cr_expect(eq(u16, cur_addr(5), 0x4321));
    cr_expect(eq(u16, cur_count(4), 0), "channel 4 untouched");
}

Test(dma8237, page_registers_and_scratch)
{
    for (unsigned p = 0x81; p <= 0x8F; p++)
        out8((uint16_t)p, (uint8_t)(p ^ 0x5A));
    for (unsigned p = 0x81; p <= 0x8F; p++)
        cr_expect(eq(u8, in8((uint16_t)p), (uint8_t)(p ^ 0x5A)), "port 0x%x", p);
    cr_expect(eq(u8, in8(0x80), 0xFF), "port 0x80 is not claimed by the DMA");
    /* Each channel's page register: the address of its next transfer. */
    for (unsigned ch = 0; ch < 8; ch++) {
        out8(page_ports[ch], 0x12);
        out8(reg_port(ch, DMA_REG_CLEAR_FF), 0);
        out8(reg_port(ch, 2 * (ch & 3)), 0x00);
        out8(reg_port(ch, 2 * (ch & 3)), 0x80);
        uint32_t want = ch < 4 ? 0x128000u : 0x120000u | 0x8000u << 1;
        cr_expect(eq(u32, dma8237_channel_address(&dma, ch), want), "channel %u", ch);
    }
}

Test(dma8237, write_transfer_lands_in_memory_and_reaches_tc)
{
    cascade_on();
    program(2, DMA_MODE_WRITE | 0x40, 0x1000, 0x03, 7); /* 8 bytes at 0x31000 */
    uint8_t src[16];
    for (unsigned i = 0; i < 16; i++)
        src[i] = (uint8_t)(0xA0 + i);
    bool tc = false;
    cr_assert(eq(sz, dma8237_transfer(&dma, 2, src, 5, true, &tc), 5));
    cr_expect(not(tc));
    cr_expect(eq(u8, in8(0x08) & 0x0F, 0), "no TC yet");
    cr_expect(eq(u16, cur_count(2), 2));
    cr_assert(eq(sz, dma8237_transfer(&dma, 2, src + 5, 11, true, &tc), 3), "stops at TC");
    cr_expect(tc);
    cr_expect(eq(mem, bytes(bus.ram + 0x31000, 8), bytes(src, 8)));
    cr_expect(eq(u8, bus.ram[0x31008], 0), "nothing past the count");
    cr_expect(eq(u16, cur_count(2), 0xFFFF), "count passed 0 -> FFFF");
    cr_expect(eq(u16, cur_addr(2), 0x1008));
    cr_expect(eq(u8, in8(0x08), 0x04), "TC bit of channel 2");
    cr_expect(eq(u8, in8(0x08), 0x00), "cleared by the read");
    /* Without autoinit, TC sets the channel's mask bit. */
    cr_expect(not(dma8237_channel_ready(&dma, 2)));
    cr_expect(eq(sz, dma8237_transfer(&dma, 2, src, 4, true, &tc), 0));
}

Test(dma8237, read_transfer_fills_the_device_buffer)
{
    cascade_on();
    for (unsigned i = 0; i < 4; i++)
        bus.ram[0x2000 + i] = (uint8_t)(0x10 + i);
    program(1, DMA_MODE_READ | 0x40, 0x2000, 0, 3);
    uint8_t b[4] = { 0 };
    cr_assert(eq(sz, dma8237_transfer(&dma, 1, b, 4, false, NULL), 4));
    cr_expect(eq(u8, b[0], 0x10));
    cr_expect(eq(u8, b[3], 0x13));
}

Test(dma8237, verify_and_mismatched_direction_touch_no_memory)
{
    cascade_on();
    memset(bus.ram + 0x3000, 0x77, 16);
    uint8_t b[4] = { 1, 2, 3, 4 };
    program(3, DMA_MODE_VERIFY | 0x40, 0x3000, 0, 15);
    cr_expect(eq(sz, dma8237_transfer(&dma, 3, b, 4, true, NULL), 4));
    cr_expect(eq(u8, bus.ram[0x3000], 0x77));
    cr_expect(eq(u16, cur_addr(3), 0x3004), "verify still counts");
    /* A read transfer (memory -> device) while the device writes. */
    program(3, DMA_MODE_READ | 0x40, 0x3000, 0, 15);
    cr_expect(eq(sz, dma8237_transfer(&dma, 3, b, 4, true, NULL), 4));
    cr_expect(eq(u8, bus.ram[0x3000], 0x77));
    /* A write transfer while the device reads: it sees a floating bus. */
    program(3, DMA_MODE_WRITE | 0x40, 0x3000, 0, 15);
    cr_expect(eq(sz, dma8237_transfer(&dma, 3, b, 4, false, NULL), 4));
    cr_expect(eq(u8, b[0], 0xFF));
    cr_expect(eq(u8, bus.ram[0x3000], 0x77));
}

Test(dma8237, autoinit_reloads_and_stays_unmasked)
{
    cascade_on();
    program(2, DMA_MODE_WRITE | DMA_MODE_AUTOINIT | 0x40, 0x4000, 0, 3);
    uint8_t b[6] = { 1, 2, 3, 4, 5, 6 };
    bool tc;
    cr_expect(eq(sz, dma8237_transfer(&dma, 2, b, 6, true, &tc), 4));
    cr_expect(tc);
    cr_expect(eq(u16, cur_addr(2), 0x4000), "address reloaded from the base");
    cr_expect(eq(u16, cur_count(2), 3), "count reloaded");
    cr_expect(dma8237_channel_ready(&dma, 2), "autoinit leaves the mask clear");
    cr_expect(eq(u8, in8(0x08) & 0x04, 0x04));
    cr_expect(eq(sz, dma8237_transfer(&dma, 2, b + 4, 2, true, &tc), 2));
    cr_expect(not(tc));
    cr_expect(eq(u8, bus.ram[0x4000], 5), "the second block starts at the base again");
    cr_expect(eq(u8, bus.ram[0x4001], 6));
}

Test(dma8237, address_decrement)
{
    cascade_on();
    program(0, DMA_MODE_WRITE | DMA_MODE_DECREMENT | 0x40, 0x5003, 0, 3);
    uint8_t b[4] = { 1, 2, 3, 4 };
    cr_expect(eq(sz, dma8237_transfer(&dma, 0, b, 4, true, NULL), 4));
    cr_expect(eq(u8, bus.ram[0x5003], 1));
    cr_expect(eq(u8, bus.ram[0x5002], 2));
    cr_expect(eq(u8, bus.ram[0x5000], 4));
    cr_expect(eq(u16, cur_addr(0), 0x4FFF));
}

Test(dma8237, sixteen_bit_channels_address_words)
{
    program(5, DMA_MODE_WRITE | 0x40, 0x0800, 0x03, 2); /* 3 words */
    /* page 3: bit 0 is not used by the 16-bit channels: base 0x20000 */
    uint8_t b[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
    bool tc;
    cr_expect(eq(sz, dma8237_transfer(&dma, 5, b, 7, true, &tc), 6), "whole words up to TC");
    cr_expect(tc);
    cr_expect(eq(mem, bytes(bus.ram + 0x21000, 6), bytes(b, 6)));
    cr_expect(eq(u16, cur_addr(5), 0x0803), "the address counts words");
    cr_expect(eq(u8, in8(0xD0) & 0x0F, 0x02), "TC of channel 5 in DMA2's status");
    cr_expect(eq(u8, in8(0x08) & 0x0F, 0x00), "not in DMA1's");
}

Test(dma8237, sixteen_bit_channel_decrement_keeps_byte_order)
{
    program(6, DMA_MODE_WRITE | DMA_MODE_DECREMENT | 0x40, 0x0010, 0x00, 1);
    uint8_t b[4] = { 0x11, 0x22, 0x33, 0x44 };
    cr_expect(eq(sz, dma8237_transfer(&dma, 6, b, 4, true, NULL), 4));
    cr_expect(eq(u8, bus.ram[0x20], 0x11));
    cr_expect(eq(u8, bus.ram[0x21], 0x22));
    cr_expect(eq(u8, bus.ram[0x1E], 0x33));
    cr_expect(eq(u8, bus.ram[0x1F], 0x44));
}

Test(dma8237, address_wraps_inside_the_page)
{
    cascade_on();
    program(2, DMA_MODE_WRITE | 0x40, 0xFFFE, 0x05, 3);
    uint8_t b[4] = { 1, 2, 3, 4 };
    cr_expect(eq(sz, dma8237_transfer(&dma, 2, b, 4, true, NULL), 4));
    cr_expect(eq(u8, bus.ram[0x5FFFE], 1));
    cr_expect(eq(u8, bus.ram[0x5FFFF], 2));
    cr_expect(eq(u8, bus.ram[0x50000], 3), "wraps to the start of the same 64 KiB");
    cr_expect(eq(u8, bus.ram[0x60000], 0), "no carry into the page");
    cr_expect(eq(u8, in8(0x81), 0x05), "page register unchanged");
    /* 16-bit: the word address wraps inside 128 KiB. */
    program(7, DMA_MODE_WRITE | 0x40, 0xFFFF, 0x04, 1);
    cr_expect(eq(sz, dma8237_transfer(&dma, 7, b, 4, true, NULL), 4));
    cr_expect(eq(u8, bus.ram[0x5FFFE], 1));
    cr_expect(eq(u8, bus.ram[0x40000], 3), "wraps to 0x40000, not 0x60000");
    cr_expect(eq(u8, bus.ram[0x40001], 4));
}

Test(dma8237, masks_requests_and_disable)
{
    cascade_on();
    program(3, DMA_MODE_WRITE | 0x40, 0, 0, 0xFFFF);
    cr_expect(dma8237_channel_ready(&dma, 3));
    out8(0x0F, 0x08); /* write all mask bits: 3 masked */
    cr_expect(not(dma8237_channel_ready(&dma, 3)));
    out8(0x0E, 0); /* clear mask register */
    cr_expect(dma8237_channel_ready(&dma, 3));
    cr_expect(dma8237_channel_ready(&dma, 0), "clear mask unmasks every channel");
    out8(0x0A, 0x07); /* single mask: set 3 */
    cr_expect(not(dma8237_channel_ready(&dma, 3)));
    cr_expect(dma8237_channel_ready(&dma, 2));
    out8(0x0A, 0x03);
    cr_expect(dma8237_channel_ready(&dma, 3));
    /* Controller disable (command bit 2) */
    out8(0x08, 0x04);
    cr_expect(not(dma8237_channel_ready(&dma, 3)));
    out8(0x08, 0x00);
    /* DMA1 needs DMA2's channel 4: masked, or not cascade. */
    out8(0xD4, 0x04);
    cr_expect(not(dma8237_channel_ready(&dma, 3)));
    out8(0xD4, 0x00);
    out8(0xD6, 0x40); /* channel 4 single mode */
    cr_expect(not(dma8237_channel_ready(&dma, 3)));
    out8(0xD6, 0xC0);
    cr_expect(dma8237_channel_ready(&dma, 3));
    cr_expect(not(dma8237_channel_ready(&dma, 4)), "a cascade channel serves no device");
    cr_expect(not(dma8237_channel_ready(&dma, 8)));
    /* Request register: bits 4-7 of the status, cleared at TC. */
    out8(0x09, 0x06); /* request channel 2 */
    out8(0x09, 0x04); /* request channel 0 */
    out8(0x09, 0x00); /* and withdraw it */
    cr_expect(eq(u8, in8(0x08), 0x40));
    program(2, DMA_MODE_WRITE | 0x40, 0, 0, 0);
    uint8_t b = 1;
    cr_expect(eq(sz, dma8237_transfer(&dma, 2, &b, 1, true, NULL), 1));
    cr_expect(eq(u8, in8(0x08), 0x04), "request cleared, TC set");
}

Test(dma8237, illegal_reads_float)
{
    for (unsigned r = 9; r <= 15; r++) {
        if (r == 13)
            continue;
        cr_expect(eq(u8, in8((uint16_t)r), 0xFF), "register %u", r);
        cr_expect(eq(u8, in8((uint16_t)(0xC0 + 2 * r)), 0xFF), "DMA2 register %u", r);
    }
}

Test(dma8237, transfer_past_the_end_of_ram_is_dropped)
{
    cascade_on();
    /* Page 0x10 = 1 MiB, past this bus's RAM: nothing there. */
    program(2, DMA_MODE_WRITE | 0x40, 0xFF00, 0x10, 0xFFFF);
    static uint8_t big[0x20000];
    memset(big, 0xAB, sizeof(big));
    bool tc;
    cr_expect(eq(sz, dma8237_transfer(&dma, 2, big, sizeof(big), true, &tc), 0x10000));
    cr_expect(tc);
    program(2, DMA_MODE_READ | 0x40, 0xFFF0, 0x0F, 0x1F);
    cr_expect(eq(sz, dma8237_transfer(&dma, 2, big, 0x20, false, NULL), 0x20));
    cr_expect(eq(u8, big[0], 0), "the last bytes of RAM");
    cr_expect(eq(u8, big[0x1F], 0));
    /* A NULL buffer or zero length moves nothing. */
    program(2, DMA_MODE_WRITE | 0x40, 0, 0, 3);
    cr_expect(eq(sz, dma8237_transfer(&dma, 2, NULL, 4, true, NULL), 0));
    cr_expect(eq(sz, dma8237_transfer(&dma, 2, big, 0, true, NULL), 0));
    cr_expect(eq(u16, cur_count(2), 3));
}
