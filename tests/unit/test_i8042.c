/* Unit tests for devices/i8042.c: the status register, controller RAM and
 * the command byte, every controller command, the output port's reset and
 * A20 lines, IRQ1/IRQ12, set 2 -> set 1 translation, the order in which
 * replies and device data reach the output buffer, and what a guest can do
 * wrong (unknown commands, unread replies, random port traffic), all through
 * bus_out/bus_in.  docs/devices/i8042.md maps each register to its test. */
#include <stdlib.h>

#include "devices/i8042.h"
#include "tests/unit/unit.h"

struct irq_rec {
    bool level[16];
    unsigned rises[16];
};

static void irq_rec_set(void *opaque, int n, bool level)
{
    struct irq_rec *r = opaque;
    if (level && !r->level[n])
        r->rises[n]++;
    r->level[n] = level;
}

static struct bus bus;
static struct i8042 kbc;
static struct irq_rec irqs;
static unsigned resets;

static void count_reset(void *opaque)
{
    (void)opaque;
    resets++;
}

static void setup_with(bool no_kbd, bool no_mouse)
{
    cr_assert(eq(int, bus_init(&bus, 2u << 20), 0));
    struct i8042_config cfg = {
        .no_kbd = no_kbd,
        .no_mouse = no_mouse,
        .irq_kbd = { irq_rec_set, &irqs, 1 },
        .irq_mouse = { irq_rec_set, &irqs, 12 },
        .reset = count_reset,
    };
    cr_assert(eq(int, i8042_init(&kbc, &bus, &cfg), 0));
}

static void setup(void)
{
    setup_with(false, false);
}

static void teardown(void)
{
    bus_free(&bus);
}

static void cmd(uint8_t c)
{
    bus_out(&bus, I8042_CMD_PORT, c, 1);
}

static void data(uint8_t v)
{
    bus_out(&bus, I8042_DATA_PORT, v, 1);
}

static uint8_t st(void)
{
    return (uint8_t)bus_in(&bus, I8042_CMD_PORT, 1);
}

/* Criterion wants 0 or 1 from a plain condition. */
static bool stbit(uint8_t bit)
{
    return (st() & bit) != 0;
}

static bool full(void)
{
    return stbit(I8042_STR_OBF);
}

/* Reads the output buffer, which must be full. */
static uint8_t rd(void)
{
    cr_assert(full(), "output buffer empty");
    return (uint8_t)bus_in(&bus, I8042_DATA_PORT, 1);
}

static void expect_bytes(const uint8_t *want, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        cr_assert(full(), "byte %u of %u missing", i, n);
        uint8_t got = rd();
        cr_expect(eq(u8, got, want[i]), "byte %u: 0x%02x, want 0x%02x", i, got, want[i]);
    }
    cr_expect(not(full()), "more bytes than expected");
}

#define EXPECT(...)                                                                          \
    do {                                                                                     \
        const uint8_t w_[] = { __VA_ARGS__ };                                                \
        expect_bytes(w_, sizeof(w_));                                                        \
    } while (0)

static uint8_t read_ctr(void)
{
    cmd(0x20);
    return rd();
}

static bool ctrbit(uint8_t bit)
{
    return (read_ctr() & bit) != 0;
}

static void write_ctr(uint8_t v)
{
    cmd(0x60);
    data(v);
}

TestSuite(i8042, .init = setup, .fini = teardown, .timeout = 10.0);

Test(i8042, power_on_state)
{
    cr_assert(eq(u8, st(), I8042_STR_NOLOCK), "empty, SYS clear, not inhibited");
    cr_assert(eq(u8, read_ctr(), I8042_CTR_POWERON));
    cmd(0xD0);
    cr_assert(eq(u8, rd(), I8042_OUT_POWERON));
    cr_assert(bus_a20(&bus));
    cr_assert(eq(uint, resets, 0));
}

Test(i8042, status_cmd_flag_follows_the_last_port_written)
{
    cmd(0xAA);
    cr_assert(stbit(I8042_STR_CMD));
    rd();
    cr_assert(stbit(I8042_STR_CMD), "reading does not change A2");
    data(0xEE); /* echo, to the keyboard */
    cr_assert(not(stbit(I8042_STR_CMD)));
    cr_assert(eq(u8, rd(), 0xEE));
}

Test(i8042, status_sys_follows_command_byte)
{
    write_ctr(I8042_CTR_SYS);
    cr_assert(stbit(I8042_STR_SYS));
    write_ctr(0);
    cr_assert(not(stbit(I8042_STR_SYS)));
}

Test(i8042, status_ibf_never_set_and_nolock_always)
{
    for (unsigned i = 0; i < 4; i++) {
        cmd(0xAA);
        cr_assert(not(stbit(I8042_STR_IBF)));
        cr_assert(stbit(I8042_STR_NOLOCK));
        rd();
    }
}

Test(i8042, controller_ram_reads_back_all_32_bytes)
{
    for (unsigned i = 1; i < 32; i++) {
        cmd((uint8_t)(0x60 + i));
        data((uint8_t)(0xA0 ^ i));
    }
    for (unsigned i = 1; i < 32; i++) {
        cmd((uint8_t)(0x20 + i));
        cr_assert(eq(u8, rd(), 0xA0 ^ i), "RAM byte %u", i);
    }
    cr_assert(eq(u8, read_ctr(), I8042_CTR_POWERON), "byte 0 untouched");
}

Test(i8042, command_byte_reads_back_every_bit)
{
    write_ctr(0xFF & ~(I8042_CTR_KBDINT | I8042_CTR_AUXINT));
    cr_assert(eq(u8, read_ctr(), 0xFC));
    write_ctr(0x00);
    cr_assert(eq(u8, read_ctr(), 0x00));
}

Test(i8042, kbd_int_bit_gates_irq1)
{
    write_ctr(I8042_CTR_KBDINT);
    cmd(0xD2);
    data(0x42);
    cr_assert(irqs.level[1]);
    cr_assert(not(irqs.level[12]));
    cmd(0xD0);
    cr_assert(eq(u8, rd(), 0x42), "the reply waits behind the D2 byte");
    cr_assert(irqs.level[1], "the D0 reply is in the buffer now");
    uint8_t outport = rd();
    cr_assert(eq(u8, outport & I8042_OUT_IRQ1, I8042_OUT_IRQ1), "output port bit 4 is the IRQ1 line");
    cr_assert(eq(u8, outport & I8042_OUT_IRQ12, 0));
    cr_assert(not(irqs.level[1]), "reading the buffer drops IRQ1");

    write_ctr(0);
    cmd(0xD2);
    data(0x42);
    cr_assert(full());
    cr_assert(not(irqs.level[1]), "INT clear: no IRQ1");
    write_ctr(I8042_CTR_KBDINT);
    cr_assert(irqs.level[1], "enabling INT with data waiting raises IRQ1");
}

Test(i8042, aux_int_bit_gates_irq12_and_auxdata)
{
    write_ctr(I8042_CTR_AUXINT);
    cmd(0xD3);
    data(0x99);
    cr_assert(stbit(I8042_STR_AUXDATA));
    cr_assert(irqs.level[12]);
    cr_assert(not(irqs.level[1]));
    cr_assert(eq(u8, rd(), 0x99));
    cr_assert(not(irqs.level[12]));
    cr_assert(not(stbit(I8042_STR_AUXDATA)));

    write_ctr(I8042_CTR_KBDINT); /* AUXINT off */
    cmd(0xD3);
    data(0x98);
    cr_assert(full());
    cr_assert(not(irqs.level[12]));
    cr_assert(not(irqs.level[1]), "mouse data never raises IRQ1");
}

Test(i8042, each_byte_is_a_new_irq_edge)
{
    data(0xF2); /* identify: FA AB 83, translated FA AB 41 */
    cr_assert(eq(uint, irqs.rises[1], 1));
    EXPECT(0xFA, 0xAB, 0x41);
    cr_assert(eq(uint, irqs.rises[1], 3), "one rise per byte");
}

Test(i8042, self_and_interface_tests)
{
    cmd(0xAA);
    EXPECT(0x55);
    cmd(0xAB);
    EXPECT(0x00);
    cmd(0xA9);
    EXPECT(0x00);
    cmd(0xA4);
    EXPECT(0xF1);
    cr_assert(eq(u8, read_ctr(), I8042_CTR_POWERON), "self test leaves the command byte");
}

Test(i8042, input_port_and_test_inputs)
{
    cmd(0xC0);
    EXPECT(I8042_IN_DEFAULT);
    cmd(0xE0);
    EXPECT(0x01); /* keyboard clock high, mouse clock held (disabled) */
    cmd(0xA8);
    cmd(0xE0);
    EXPECT(0x03);
    cmd(0xAD);
    cmd(0xE0);
    EXPECT(0x02);
}

Test(i8042, aux_disable_enable_commands)
{
    cmd(0xA8);
    cr_assert(not(ctrbit(I8042_CTR_AUXDIS)));
    cmd(0xA7);
    cr_assert(ctrbit(I8042_CTR_AUXDIS));
}

Test(i8042, keyboard_disable_holds_data_until_enabled)
{
    cmd(0xAD);
    cr_assert(ctrbit(I8042_CTR_KBDDIS));
    i8042_key(&kbc, 0x1C, true);
    cr_assert(not(full()), "clock held low: nothing comes in");
    cmd(0xAE);
    EXPECT(0x1E);
    cr_assert(not(ctrbit(I8042_CTR_KBDDIS)));
}

Test(i8042, mouse_disable_holds_data_until_enabled)
{
    write_ctr(I8042_CTR_AUXDIS | I8042_CTR_AUXINT);
    cmd(0xD4);
    data(0xF2);
    cr_assert(not(full()), "mouse clock held: the reply waits");
    cmd(0xA8);
    cr_assert(stbit(I8042_STR_AUXDATA));
    cr_assert(irqs.level[12]);
    EXPECT(0xFA, 0x00);
}

Test(i8042, writing_to_the_keyboard_enables_its_interface)
{
    cmd(0xAD);
    data(0xEE);
    EXPECT(0xEE);
    cr_assert(not(ctrbit(I8042_CTR_KBDDIS)));
}

Test(i8042, write_to_aux_device)
{
    cmd(0xA8);
    cmd(0xD4);
    data(0xFF);
    cr_assert(stbit(I8042_STR_AUXDATA));
    EXPECT(0xFA, 0xAA, 0x00);
    cmd(0xD4);
    data(0xF2);
    EXPECT(0xFA, 0x00);
}

Test(i8042, output_port_a20_line)
{
    cmd(0xD1);
    data(0xCD); /* A20 off, reset high */
    cr_assert(not(bus_a20(&bus)));
    cmd(0xD0);
    cr_assert(eq(u8, rd() & I8042_OUT_A20, 0));
    /* What the CPU does with the mask: 0x100000 wraps to 0. */
    bus_write(&bus, 0x100000 & bus.a20_mask, 0x5A, 1);
    cr_assert(eq(u8, bus_read8(&bus, 0), 0x5A));
    cr_assert(eq(u8, bus_read8(&bus, 0x100000), 0));

    cmd(0xD1);
    data(0xCF);
    cr_assert(bus_a20(&bus));
    bus_write(&bus, 0x100000 & bus.a20_mask, 0xA5, 1);
    cr_assert(eq(u8, bus_read8(&bus, 0x100000), 0xA5));
    cr_assert(eq(u8, bus_read8(&bus, 0), 0x5A));
    cr_assert(eq(uint, resets, 0));
}

Test(i8042, old_style_a20_commands)
{
    cmd(0xDD);
    cr_assert(not(bus_a20(&bus)));
    cmd(0xD0);
    cr_assert(eq(u8, rd(), I8042_OUT_POWERON & ~I8042_OUT_A20));
    cmd(0xDF);
    cr_assert(bus_a20(&bus));
    cr_assert(eq(uint, resets, 0));
}

static unsigned a20_calls;
static bool a20_last;
static void a20_cb(void *opaque, bool on)
{
    (void)opaque;
    a20_calls++;
    a20_last = on;
}

Test(i8042_a20cb, a20_callback_replaces_the_bus_gate, .fini = teardown, .timeout = 10.0)
{
    cr_assert(eq(int, bus_init(&bus, 1u << 20), 0));
    struct i8042_config cfg = { .a20 = a20_cb };
    cr_assert(eq(int, i8042_init(&kbc, &bus, &cfg), 0));
    cr_assert(eq(uint, a20_calls, 1), "power-on drives A20 on");
    cr_assert(a20_last);
    cmd(0xDD);
    cr_assert(eq(uint, a20_calls, 2));
    cr_assert(not(a20_last));
    cr_assert(bus_a20(&bus), "the bus gate is the callback's business");
    cmd(0xDD);
    cr_assert(eq(uint, a20_calls, 2), "no change, no call");
}

Test(i8042, output_port_reset_line)
{
    cmd(0xD1);
    data(0xCE); /* bit 0 low */
    cr_assert(eq(uint, resets, 1));
    cmd(0xD0);
    cr_assert(eq(u8, rd(), 0xCF), "the line is high again afterwards");
    cmd(0xD1);
    data(0xCF);
    cr_assert(eq(uint, resets, 1));
}

Test(i8042, pulse_commands)
{
    cmd(0xFE);
    cr_assert(eq(uint, resets, 1));
    for (unsigned c = 0xF0; c <= 0xFF; c++) {
        unsigned before = resets;
        cmd((uint8_t)c);
        cr_assert(eq(uint, resets - before, (c & 1) ? 0 : 1), "command 0x%02x", c);
    }
    cr_assert(bus_a20(&bus), "pulsing A20 does not latch it");
    cr_assert(not(full()), "pulses reply nothing");
}

Test(i8042, write_keyboard_and_aux_output_buffer)
{
    cmd(0xD2);
    data(0xF0); /* not translated: D2 bytes are the controller's own */
    cr_assert(not(stbit(I8042_STR_AUXDATA)));
    EXPECT(0xF0);
    cmd(0xD3);
    data(0x12);
    cr_assert(stbit(I8042_STR_AUXDATA));
    EXPECT(0x12);
}

Test(i8042, translation_of_keys)
{
    i8042_key(&kbc, 0x1C, true);  /* A */
    i8042_key(&kbc, 0x1C, false);
    i8042_key(&kbc, 0xE075, true); /* up */
    i8042_key(&kbc, 0xE075, false);
    i8042_key(&kbc, 0x83, true); /* F7 */
    i8042_key(&kbc, 0x83, false);
    EXPECT(0x1E, 0x9E, 0xE0, 0x48, 0xE0, 0xC8, 0x41, 0xC1);
}

Test(i8042, translation_of_special_keys)
{
    i8042_key(&kbc, PS2_KEY_PAUSE, true);
    i8042_key(&kbc, PS2_KEY_PAUSE, false);
    EXPECT(0xE1, 0x1D, 0x45, 0xE1, 0x9D, 0xC5);
    i8042_key(&kbc, PS2_KEY_PRTSC, true);
    i8042_key(&kbc, PS2_KEY_PRTSC, false);
    EXPECT(0xE0, 0x2A, 0xE0, 0x37, 0xE0, 0xB7, 0xE0, 0xAA);
}

/* Set 1 make codes of the main keys, by set 2 code (IBM keyboard tables). */
static const uint8_t known_pairs[][2] = {
    { 0x76, 0x01 }, { 0x16, 0x02 }, { 0x45, 0x0B }, { 0x66, 0x0E }, { 0x0D, 0x0F },
    { 0x15, 0x10 }, { 0x4D, 0x19 }, { 0x5A, 0x1C }, { 0x14, 0x1D }, { 0x1C, 0x1E },
    { 0x4C, 0x27 }, { 0x0E, 0x29 }, { 0x12, 0x2A }, { 0x5D, 0x2B }, { 0x1A, 0x2C },
    { 0x4A, 0x35 }, { 0x59, 0x36 }, { 0x7C, 0x37 }, { 0x11, 0x38 }, { 0x29, 0x39 },
    { 0x58, 0x3A }, { 0x05, 0x3B }, { 0x09, 0x44 }, { 0x77, 0x45 }, { 0x7E, 0x46 },
    { 0x6C, 0x47 }, { 0x7B, 0x4A }, { 0x79, 0x4E }, { 0x70, 0x52 }, { 0x71, 0x53 },
    { 0x61, 0x56 }, { 0x78, 0x57 }, { 0x07, 0x58 }, { 0x83, 0x41 }, { 0x84, 0x54 },
};

Test(i8042, translation_table_known_keys)
{
    for (size_t i = 0; i < sizeof(known_pairs) / sizeof(known_pairs[0]); i++) {
        i8042_key(&kbc, known_pairs[i][0], true);
        i8042_key(&kbc, known_pairs[i][0], false);
        cr_assert(eq(u8, rd(), known_pairs[i][1]), "set 2 0x%02x make", known_pairs[i][0]);
        cr_assert(eq(u8, rd(), known_pairs[i][1] | 0x80), "set 2 0x%02x break",
                  known_pairs[i][0]);
    }
}

Test(i8042, translation_table_is_a_permutation)
{
    /* 00 is the overrun code (FF in set 1); 01-7F cover set 1's 01-7F once. */
    bool seen[128] = { false };
    cr_assert(eq(u8, ps2_set2_to_set1(0x00), 0xFF));
    for (unsigned c = 1; c < 0x80; c++) {
        uint8_t s1 = ps2_set2_to_set1((uint8_t)c);
        cr_assert(lt(u8, s1, 0x80));
        cr_assert(not(seen[s1]), "set 1 code 0x%02x twice", s1);
        seen[s1] = true;
    }
    for (unsigned c = 0x85; c < 0x100; c++)
        cr_assert(eq(u8, ps2_set2_to_set1((uint8_t)c), c), "0x%02x passes", c);
}

Test(i8042, no_translation_when_xlate_clear)
{
    write_ctr(I8042_CTR_KBDINT);
    i8042_key(&kbc, 0x1C, true);
    i8042_key(&kbc, 0x1C, false);
    EXPECT(0x1C, 0xF0, 0x1C);
    data(0xF2);
    EXPECT(0xFA, 0xAB, 0x83);
    data(0xF0);
    data(0x00);
    EXPECT(0xFA, 0xFA, 0x02);
}

Test(i8042, translated_replies)
{
    data(0xF0);
    data(0x00);
    EXPECT(0xFA, 0xFA, 0x41); /* set 2, translated, as real controllers do */
}

Test(i8042, mouse_data_is_never_translated)
{
    cmd(0xA8);
    cmd(0xD4);
    data(0xF4);
    EXPECT(0xFA);
    i8042_mouse(&kbc, 1, 0, 0, 0);
    EXPECT(0x08, 0x01, 0x00);
}

Test(i8042, replies_go_before_device_data_and_keyboard_before_mouse)
{
    cmd(0xA8);
    cmd(0xAD);
    cmd(0xA7);
    cmd(0xD4);
    data(0xF4); /* the mouse's ACK waits (mouse disabled) */
    i8042_key(&kbc, 0x1C, true); /* waits (keyboard disabled) */
    cmd(0xAE);
    cmd(0xA8);
    /* The keyboard byte went into the empty buffer at AE. */
    cmd(0xAA);
    cr_assert(not(stbit(I8042_STR_AUXDATA)));
    cr_assert(eq(u8, rd(), 0x1E));
    cr_assert(eq(u8, rd(), 0x55), "the controller's reply before mouse data");
    cr_assert(stbit(I8042_STR_AUXDATA));
    EXPECT(0xFA);
}

Test(i8042, keyboard_has_priority_over_mouse)
{
    cmd(0xA8);
    cmd(0xD4);
    data(0xF4);
    EXPECT(0xFA);
    cmd(0xAD);
    cmd(0xA7);
    i8042_mouse(&kbc, 1, 1, 0, 0);
    i8042_key(&kbc, 0x1C, true);
    write_ctr(I8042_CTR_KBDINT | I8042_CTR_AUXINT | I8042_CTR_XLATE);
    cr_assert(not(stbit(I8042_STR_AUXDATA)));
    EXPECT(0x1E, 0x08, 0x01, 0x01);
}

Test(i8042, reading_empty_buffer_returns_last_byte)
{
    cmd(0xAA);
    cr_assert(eq(u8, rd(), 0x55));
    cr_assert(not(full()));
    cr_assert(eq(u32, bus_in(&bus, I8042_DATA_PORT, 1), 0x55));
    cr_assert(not(full()));
}

Test(i8042, a_new_command_abandons_a_waiting_one)
{
    cmd(0xD1); /* waits for the output port */
    cmd(0xAA);
    EXPECT(0x55);
    data(0xEE); /* goes to the keyboard, not the output port */
    EXPECT(0xEE);
    cr_assert(eq(uint, resets, 0));
    cr_assert(bus_a20(&bus));
}

Test(i8042, password_bytes_are_swallowed)
{
    cmd(0xA5);
    data('p');
    data('w');
    data(0);
    cr_assert(not(full()), "no keyboard replies to the password");
    cmd(0xA4);
    EXPECT(0xF1);
    data(0xEE);
    EXPECT(0xEE);
}

Test(i8042, unknown_commands_are_ignored)
{
    static const uint8_t unknown[] = { 0x00, 0x01, 0x1F, 0x40, 0x5F, 0x80, 0x9F, 0xA0,
                                       0xA1, 0xA2, 0xA3, 0xA6, 0xAC, 0xAF, 0xB0, 0xBF,
                                       0xC1, 0xC2, 0xC3, 0xCF, 0xD5, 0xDC, 0xDE, 0xE1, 0xEF };
    for (size_t i = 0; i < sizeof(unknown); i++) {
        cmd(unknown[i]);
        cr_assert(not(full()), "command 0x%02x replied", unknown[i]);
    }
    cr_assert(eq(u8, read_ctr(), I8042_CTR_POWERON));
    cmd(0xD0);
    cr_assert(eq(u8, rd(), I8042_OUT_POWERON));
    cr_assert(eq(uint, resets, 0));
    data(0xEE);
    EXPECT(0xEE); /* data after an ignored command goes to the keyboard */
}

Test(i8042, unread_replies_are_bounded)
{
    for (unsigned i = 0; i < 100; i++)
        cmd(0xAA);
    unsigned n = 0;
    while (full() && n < 200) {
        cr_assert(eq(u8, rd(), 0x55));
        n++;
    }
    cr_assert(eq(uint, n, I8042_OWN_QUEUE + 1), "the output buffer plus the queue");
}

Test(i8042, unknown_keyboard_bytes_get_resend)
{
    data(0x00);
    EXPECT(0xFE);
    data(0xEC);
    EXPECT(0xFE);
}

Test(i8042, ps2_reset_through_the_controller)
{
    data(0xFF);
    EXPECT(0xFA, 0xAA);
}

Test(i8042, controller_reset_restores_power_on)
{
    write_ctr(0x03);
    cmd(0xDD);
    cmd(0x65);
    data(0x77);
    cmd(0xD2);
    data(0x11);
    cr_assert(irqs.level[1]);
    i8042_reset(&kbc);
    cr_assert(not(irqs.level[1]), "reset drops IRQ1");
    cr_assert(bus_a20(&bus));
    cr_assert(eq(u8, st(), I8042_STR_NOLOCK));
    cr_assert(eq(u8, read_ctr(), I8042_CTR_POWERON));
    cmd(0x25);
    cr_assert(eq(u8, rd(), 0));
}

Test(i8042, wide_accesses_are_split_into_bytes)
{
    /* A word OUT to 0x64 is a byte to 0x64 and one to 0x65 (unclaimed). */
    bus_out(&bus, I8042_CMD_PORT, 0xFFAA, 2);
    cr_assert(eq(u8, rd(), 0x55));
    cr_assert(eq(u32, bus_in(&bus, I8042_CMD_PORT, 2), 0xFF00u | I8042_STR_NOLOCK | I8042_STR_CMD));
}

Test(i8042_nodev, missing_keyboard_times_out, .fini = teardown, .timeout = 10.0)
{
    setup_with(true, true);
    data(0xFF);
    cr_assert(stbit(I8042_STR_TIMEOUT));
    cr_assert(not(stbit(I8042_STR_AUXDATA)));
    EXPECT(0xFE);
    cmd(0xD4);
    data(0xFF);
    cr_assert(stbit(I8042_STR_TIMEOUT));
    cr_assert(stbit(I8042_STR_AUXDATA));
    EXPECT(0xFE);
    cmd(0xD2);
    data(0x33);
    EXPECT(0x33);
    i8042_key(&kbc, 0x1C, true); /* the host typing on a missing keyboard */
    cr_assert(not(full()));
}

Test(i8042_nodev, timeout_clears_on_the_next_transmission, .fini = teardown, .timeout = 10.0)
{
    setup_with(false, true);
    cmd(0xD4);
    data(0xF2);
    cr_assert(stbit(I8042_STR_TIMEOUT));
    EXPECT(0xFE);
    data(0xEE);
    cr_assert(not(stbit(I8042_STR_TIMEOUT)));
    EXPECT(0xEE);
}

/* A small deterministic generator for the abuse test. */
static uint32_t rng(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return *s;
}

Test(i8042, random_port_traffic_stays_in_bounds)
{
    uint32_t s = 0x8042u;
    for (unsigned i = 0; i < 200000; i++) {
        uint32_t r = rng(&s);
        uint8_t v = (uint8_t)(r >> 8);
        switch (r & 7) {
        case 0: case 1: cmd(v == 0xFE || (v >= 0xF0 && !(v & 1)) ? 0xFF : v); break;
        case 2: case 3: data(v); break;
        case 4: bus_in(&bus, I8042_DATA_PORT, 1); break;
        case 5: bus_in(&bus, I8042_CMD_PORT, 1); break;
        case 6: i8042_key(&kbc, (uint16_t)(r >> 16), r & 0x100); break;
        case 7: i8042_mouse(&kbc, (int)(int16_t)(r >> 16), (int)(int8_t)(r >> 4), (int)(r & 0x30) - 16,
                            (uint8_t)(r >> 24)); break;
        }
        cr_assert(le(uint, kbc.own_count, I8042_OWN_QUEUE));
        cr_assert(le(uint, kbc.kbd.q.count, PS2_QUEUE_SIZE));
        cr_assert(le(uint, kbc.mouse.q.count, PS2_QUEUE_SIZE));
    }
    /* Still a working controller afterwards. */
    write_ctr(I8042_CTR_POWERON);
    while (full())
        rd();
    cmd(0xAA);
    cr_assert(eq(u8, rd(), 0x55));
}
