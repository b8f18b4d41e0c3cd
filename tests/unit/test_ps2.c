/* Unit tests for devices/ps2.c on their own (no controller): every keyboard
 * and mouse command, the three scan code sets, key sequences, the overrun
 * code, mouse packets with sign and overflow bits, 2:1 scaling, remote and
 * wrap modes, the IntelliMouse unlock and wheel byte, resend, and unknown
 * commands.  docs/devices/ps2.md maps each command to its test. */
#include "devices/ps2.h"
#include "tests/unit/unit.h"

static unsigned notes;
static void count_note(void *opaque)
{
    (void)opaque;
    notes++;
}

static struct ps2_kbd kbd;
static struct ps2_mouse mouse;

static void setup(void)
{
    notes = 0;
    ps2_kbd_init(&kbd, (struct ps2_notify){ count_note, NULL });
    ps2_mouse_init(&mouse, (struct ps2_notify){ count_note, NULL });
}

TestSuite(ps2kbd, .init = setup, .timeout = 10.0);
TestSuite(ps2mouse, .init = setup, .timeout = 10.0);

static void expect_from(bool (*read)(void *, uint8_t *), void *dev, const uint8_t *want,
                        unsigned n)
{
    uint8_t b;
    for (unsigned i = 0; i < n; i++) {
        cr_assert(read(dev, &b), "byte %u of %u missing", i, n);
        cr_expect(eq(u8, b, want[i]), "byte %u: 0x%02x, want 0x%02x", i, b, want[i]);
    }
    cr_expect(not(read(dev, &b)), "an extra byte 0x%02x", b);
}

static bool kread(void *d, uint8_t *b)
{
    return ps2_kbd_read(d, b);
}
static bool mread(void *d, uint8_t *b)
{
    return ps2_mouse_read(d, b);
}

#define KEXPECT(...)                                                                         \
    do {                                                                                     \
        const uint8_t w_[] = { __VA_ARGS__ };                                                \
        expect_from(kread, &kbd, w_, sizeof(w_));                                            \
    } while (0)
#define MEXPECT(...)                                                                         \
    do {                                                                                     \
        const uint8_t w_[] = { __VA_ARGS__ };                                                \
        expect_from(mread, &mouse, w_, sizeof(w_));                                          \
    } while (0)
#define KNONE() cr_assert(not(ps2_kbd_pending(&kbd)))
#define MNONE() cr_assert(not(ps2_mouse_pending(&mouse)))

static void kw(uint8_t b)
{
    ps2_kbd_write(&kbd, b);
}
static void mw(uint8_t b)
{
    ps2_mouse_write(&mouse, b);
}

/* ---- keyboard ---- */

Test(ps2kbd, init_is_quiet_reset_sends_bat)
{
    KNONE();
    ps2_kbd_reset(&kbd);
    KEXPECT(0xAA);
    cr_assert(gt(uint, notes, 0));
}

Test(ps2kbd, set_leds)
{
    kw(0xED);
    kw(0x07);
    KEXPECT(0xFA, 0xFA);
    cr_assert(eq(u8, kbd.leds, 7));
    kw(0xED);
    KEXPECT(0xFA);
    kw(0xFF); /* a command instead of the LED byte: the keyboard takes it */
    KEXPECT(0xFA, 0xAA);
    cr_assert(eq(u8, kbd.leds, 0));
    kw(0xED);
    kw(0x7A); /* only bits 0-2 exist */
    KEXPECT(0xFA, 0xFA);
    cr_assert(eq(u8, kbd.leds, 2));
}

Test(ps2kbd, echo)
{
    kw(0xEE);
    KEXPECT(0xEE);
}

/* A host reads each ACK before it sends the parameter. */
static void kbd_set(uint8_t set)
{
    kw(0xF0);
    KEXPECT(0xFA);
    kw(set);
    KEXPECT(0xFA);
}

Test(ps2kbd, scan_code_sets)
{
    kw(0xF0);
    kw(0x00);
    KEXPECT(0xFA, 0xFA, 0x02);
    kbd_set(3);
    kw(0xF0);
    kw(0x00);
    KEXPECT(0xFA, 0xFA, 0x03);
    kbd_set(1);
    kw(0xF0);
    kw(0x00);
    KEXPECT(0xFA, 0xFA, 0x01);
}

Test(ps2kbd, invalid_scan_code_set_asks_again)
{
    kw(0xF0);
    kw(0x04);
    KEXPECT(0xFA, 0xFE);
    kw(0x42);
    KEXPECT(0xFE);
    kw(0x01); /* still waiting for the set */
    KEXPECT(0xFA);
    cr_assert(eq(u8, kbd.scanset, 1));
}

Test(ps2kbd, selecting_a_set_clears_the_buffer)
{
    kw(0xF0);
    KEXPECT(0xFA);
    ps2_kbd_key(&kbd, 0x1C, true);
    kw(0x02);
    KEXPECT(0xFA); /* the key typed in between is dropped */
}

Test(ps2kbd, identify)
{
    kw(0xF2);
    KEXPECT(0xFA, 0xAB, 0x83);
}

Test(ps2kbd, typematic)
{
    kw(0xF3);
    kw(0x20);
    KEXPECT(0xFA, 0xFA);
    cr_assert(eq(u8, kbd.typematic, 0x20));
    kw(0xF6);
    KEXPECT(0xFA);
    cr_assert(eq(u8, kbd.typematic, 0x2B));
}

Test(ps2kbd, enable_disable_scanning)
{
    kw(0xF5);
    KEXPECT(0xFA);
    ps2_kbd_key(&kbd, 0x1C, true);
    KNONE();
    kw(0xF4);
    KEXPECT(0xFA);
    ps2_kbd_key(&kbd, 0x1C, true);
    KEXPECT(0x1C);
}

Test(ps2kbd, disable_restores_defaults_and_clears)
{
    kbd_set(1);
    ps2_kbd_key(&kbd, 0x1C, true);
    kw(0xF5);
    KEXPECT(0xFA);
    cr_assert(eq(u8, kbd.scanset, 2));
}

Test(ps2kbd, set_default_keeps_scanning_state)
{
    kw(0xF5);
    kw(0xF6); /* clears the buffer: F5's ACK, unread, goes */
    KEXPECT(0xFA);
    cr_assert(not(kbd.scanning));
    kw(0xF4);
    KEXPECT(0xFA);
    kw(0xF6);
    KEXPECT(0xFA);
    cr_assert(kbd.scanning);
}

Test(ps2kbd, resend)
{
    kw(0xF2);
    KEXPECT(0xFA, 0xAB, 0x83);
    kw(0xFE);
    KEXPECT(0x83);
    kw(0xEE);
    kw(0xFE);
    KEXPECT(0xEE, 0xEE);
}

Test(ps2kbd, reset)
{
    kw(0xF5);
    kw(0xED);
    kw(0x04);
    ps2_kbd_key(&kbd, 0x1C, true);
    kw(0xFF); /* clears what was not yet sent */
    KEXPECT(0xFA, 0xAA);
    cr_assert(kbd.scanning);
    cr_assert(eq(u8, kbd.leds, 0));
    cr_assert(eq(u8, kbd.scanset, 2));
}

Test(ps2kbd, unknown_bytes_get_resend)
{
    static const uint8_t bad[] = { 0x00, 0x12, 0x80, 0xE0, 0xEC };
    for (size_t i = 0; i < sizeof(bad); i++) {
        kw(bad[i]);
        KEXPECT(0xFE);
    }
}

Test(ps2kbd, set3_mode_commands_and_key_lists)
{
    for (uint8_t c = 0xF7; c <= 0xFA; c++) {
        kw(c);
        KEXPECT(0xFA);
    }
    kw(0xFB);
    kw(0x1C);
    kw(0x32);
    KEXPECT(0xFA, 0xFA, 0xFA);
    kw(0xEE); /* a command ends the list */
    kw(0x1C); /* no longer a key code */
    KEXPECT(0xEE, 0xFE);
}

Test(ps2kbd, set2_sequences)
{
    ps2_kbd_key(&kbd, 0x1C, true);
    ps2_kbd_key(&kbd, 0x1C, false);
    ps2_kbd_key(&kbd, 0xE075, true);
    ps2_kbd_key(&kbd, 0xE075, false);
    KEXPECT(0x1C, 0xF0, 0x1C, 0xE0, 0x75, 0xE0, 0xF0, 0x75);
    ps2_kbd_key(&kbd, PS2_KEY_PRTSC, true);
    KEXPECT(0xE0, 0x12, 0xE0, 0x7C);
    ps2_kbd_key(&kbd, PS2_KEY_PRTSC, false);
    KEXPECT(0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12);
    ps2_kbd_key(&kbd, PS2_KEY_PAUSE, true);
    ps2_kbd_key(&kbd, PS2_KEY_PAUSE, false);
    KEXPECT(0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77);
}

Test(ps2kbd, bad_key_codes_are_ignored)
{
    ps2_kbd_key(&kbd, 0x1234, true);
    ps2_kbd_key(&kbd, 0xFFFF, false);
    KNONE();
}

Test(ps2kbd, set1_sequences)
{
    kbd_set(1);
    ps2_kbd_key(&kbd, 0x1C, true);
    ps2_kbd_key(&kbd, 0x1C, false);
    ps2_kbd_key(&kbd, 0xE075, true);
    ps2_kbd_key(&kbd, 0xE075, false);
    KEXPECT(0x1E, 0x9E, 0xE0, 0x48, 0xE0, 0xC8);
}

Test(ps2kbd, set3_sequences)
{
    kbd_set(3);
    ps2_kbd_key(&kbd, 0x1C, true);  /* A: same code */
    ps2_kbd_key(&kbd, 0x1C, false);
    ps2_kbd_key(&kbd, 0x76, true);  /* Esc */
    ps2_kbd_key(&kbd, 0xE075, true); /* up: one byte, no E0 */
    ps2_kbd_key(&kbd, 0xE075, false);
    ps2_kbd_key(&kbd, PS2_KEY_PAUSE, true);
    ps2_kbd_key(&kbd, 0xE037, true); /* a multimedia key: none in set 3 */
    KEXPECT(0x1C, 0xF0, 0x1C, 0x08, 0x63, 0xF0, 0x63, 0x62);
}

Test(ps2kbd, overrun)
{
    for (unsigned i = 0; i < 40; i++)
        ps2_kbd_key(&kbd, 0x1C, true);
    uint8_t want[PS2_KBD_KEY_LIMIT + 1];
    for (unsigned i = 0; i < PS2_KBD_KEY_LIMIT; i++)
        want[i] = 0x1C;
    want[PS2_KBD_KEY_LIMIT] = 0x00;
    expect_from(kread, &kbd, want, sizeof(want));
    ps2_kbd_key(&kbd, 0x1C, true); /* drained: keys come again */
    KEXPECT(0x1C);
}

Test(ps2kbd, overrun_in_set1_is_ff)
{
    kbd_set(1);
    for (unsigned i = 0; i < 20; i++)
        ps2_kbd_key(&kbd, 0xE075, true); /* 2 bytes each: 8 fit */
    uint8_t want[17];
    for (unsigned i = 0; i < 16; i += 2) {
        want[i] = 0xE0;
        want[i + 1] = 0x48;
    }
    want[16] = 0xFF;
    expect_from(kread, &kbd, want, sizeof(want));
}

Test(ps2kbd, ascii_helper)
{
    cr_assert(ps2_kbd_type_char(&kbd, 'A'));
    KEXPECT(0x12, 0x1C, 0xF0, 0x1C, 0xF0, 0x12);
    cr_assert(ps2_kbd_type_char(&kbd, '1'));
    KEXPECT(0x16, 0xF0, 0x16);
    cr_assert(ps2_kbd_type_char(&kbd, '\n'));
    KEXPECT(0x5A, 0xF0, 0x5A);
    cr_assert(not(ps2_kbd_type_char(&kbd, '\x01')));
    cr_assert(not(ps2_kbd_type_char(&kbd, (char)0xE9)));
    KNONE();
    uint16_t code;
    bool shift;
    for (int c = 0x20; c < 0x7F; c++)
        cr_assert(ps2_kbd_ascii_keycode((char)c, &code, &shift), "char 0x%02x", c);
    cr_assert(ps2_kbd_ascii_keycode('?', &code, &shift));
    cr_assert(eq(u16, code, 0x4A));
    cr_assert(shift);
}

Test(ps2kbd, flood_of_commands_is_bounded)
{
    for (unsigned i = 0; i < 1000; i++)
        kw(0xEE);
    cr_assert(le(uint, kbd.q.count, PS2_QUEUE_SIZE));
}

/* ---- mouse ---- */

static void mouse_stream_on(void)
{
    mw(0xF4);
    MEXPECT(0xFA);
}

Test(ps2mouse, reset_and_id)
{
    mw(0xFF);
    MEXPECT(0xFA, 0xAA, 0x00);
    mw(0xF2);
    MEXPECT(0xFA, 0x00);
    ps2_mouse_reset(&mouse);
    MEXPECT(0xAA, 0x00);
}

Test(ps2mouse, intellimouse_unlock)
{
    static const uint8_t seq[] = { 200, 100, 80 };
    for (unsigned i = 0; i < 3; i++) {
        mw(0xF3);
        mw(seq[i]);
        MEXPECT(0xFA, 0xFA);
    }
    mw(0xF2);
    MEXPECT(0xFA, 0x03);
    mouse_stream_on();
    ps2_mouse_event(&mouse, 1, 2, 3, 0);
    MEXPECT(0x08, 0x01, 0x02, 0x03);
    ps2_mouse_event(&mouse, 0, 0, -20, 0);
    MEXPECT(0x08, 0x00, 0x00, 0xF8); /* the wheel counts -8..7 */
    ps2_mouse_event(&mouse, 0, 0, 20, 0);
    MEXPECT(0x08, 0x00, 0x00, 0x07);
    mw(0xFF); /* reset locks the wheel again */
    MEXPECT(0xFA, 0xAA, 0x00);
    mw(0xF2);
    MEXPECT(0xFA, 0x00);
}

Test(ps2mouse, wrong_sequence_keeps_id_0)
{
    static const uint8_t seq[] = { 200, 100, 60, 200, 80, 100 };
    for (unsigned i = 0; i < sizeof(seq); i++) {
        mw(0xF3);
        mw(seq[i]);
    }
    mw(0xF2);
    MEXPECT(0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0x00);
    mouse_stream_on();
    ps2_mouse_event(&mouse, 1, 1, 5, 0);
    MEXPECT(0x08, 0x01, 0x01); /* three bytes, no wheel */
}

Test(ps2mouse, sample_rate_and_resolution_are_checked)
{
    mw(0xF3);
    mw(55);
    MEXPECT(0xFA, 0xFE);
    mw(40); /* still waiting for the rate */
    MEXPECT(0xFA);
    mw(0xE8);
    mw(4);
    MEXPECT(0xFA, 0xFE);
    mw(3);
    MEXPECT(0xFA);
    mw(0xE9);
    MEXPECT(0xFA, 0x00, 0x03, 40);
}

Test(ps2mouse, status_request)
{
    mw(0xE9);
    MEXPECT(0xFA, 0x00, 0x02, 100); /* stream, disabled, 1:1, 4/mm, 100/s */
    mw(0xE7);
    mw(0xF4);
    MEXPECT(0xFA, 0xFA);
    ps2_mouse_move(&mouse, 0, 0, PS2_MOUSE_LEFT | PS2_MOUSE_RIGHT);
    MEXPECT(0x0B, 0x00, 0x00);
    mw(0xE9);
    MEXPECT(0xFA, 0x20 | 0x10 | 0x04 | 0x01, 0x02, 100);
    mw(0xF0);
    ps2_mouse_move(&mouse, 0, 0, PS2_MOUSE_MIDDLE);
    mw(0xE9);
    MEXPECT(0xFA, 0xFA, 0x40 | 0x20 | 0x10 | 0x02, 0x02, 100);
}

Test(ps2mouse, scaling)
{
    mouse_stream_on();
    mw(0xE7);
    MEXPECT(0xFA);
    static const int in[] = { 0, 1, 2, 3, 4, 5, 6, -4, 100 };
    static const int out[] = { 0, 1, 1, 3, 6, 9, 12, -6, 200 };
    for (unsigned i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
        ps2_mouse_move(&mouse, in[i], 0, PS2_MOUSE_LEFT);
        MEXPECT((uint8_t)(0x09 | (out[i] < 0 ? 0x10 : 0)), (uint8_t)out[i], 0x00);
    }
    mw(0xE6);
    MEXPECT(0xFA);
    ps2_mouse_move(&mouse, 4, 0, 0);
    MEXPECT(0x08, 0x04, 0x00);
}

Test(ps2mouse, packets_with_sign_and_overflow)
{
    mouse_stream_on();
    ps2_mouse_move(&mouse, 10, -5, PS2_MOUSE_LEFT);
    MEXPECT(0x29, 0x0A, 0xFB);
    ps2_mouse_move(&mouse, -1, 1, PS2_MOUSE_RIGHT | PS2_MOUSE_MIDDLE);
    MEXPECT(0x1E, 0xFF, 0x01);
    ps2_mouse_move(&mouse, 255, -256, 0);
    MEXPECT(0x28, 0xFF, 0x00);
    ps2_mouse_move(&mouse, 300, -300, 0);
    MEXPECT(0xE8, 0xFF, 0x00);
    ps2_mouse_move(&mouse, -257, 256, 0);
    MEXPECT(0xD8, 0x00, 0xFF);
    ps2_mouse_move(&mouse, 0, 0, 0xFF); /* only three buttons exist */
    MEXPECT(0x0F, 0x00, 0x00);
    ps2_mouse_move(&mouse, 0, 0, 0x07);
    MNONE(); /* nothing changed: no packet */
}

Test(ps2mouse, huge_host_movement_is_clamped)
{
    mouse_stream_on();
    ps2_mouse_move(&mouse, 2147483647, -2147483647 - 1, 0);
    MEXPECT(0xE8, 0xFF, 0x00);
}

Test(ps2mouse, reporting_disabled_sends_nothing)
{
    ps2_mouse_move(&mouse, 5, 5, PS2_MOUSE_LEFT);
    MNONE();
    mouse_stream_on();
    ps2_mouse_move(&mouse, 1, 0, PS2_MOUSE_LEFT);
    MEXPECT(0x09, 0x01, 0x00); /* the earlier movement was not kept */
    mw(0xF5);
    MEXPECT(0xFA);
    ps2_mouse_move(&mouse, 1, 0, 0);
    MNONE();
}

Test(ps2mouse, remote_mode_and_read_data)
{
    mw(0xF0);
    MEXPECT(0xFA);
    ps2_mouse_move(&mouse, 3, 4, 0);
    ps2_mouse_move(&mouse, 3, -1, PS2_MOUSE_LEFT);
    MNONE();
    mw(0xEB);
    MEXPECT(0xFA, 0x09, 0x06, 0x03);
    mw(0xEB); /* a packet even without movement */
    MEXPECT(0xFA, 0x09, 0x00, 0x00);
    mw(0xEA); /* back to stream mode: reporting still off */
    MEXPECT(0xFA);
    ps2_mouse_move(&mouse, 1, 1, 0);
    MNONE();
}

Test(ps2mouse, wrap_mode)
{
    mw(0xEE);
    MEXPECT(0xFA);
    mw(0x12);
    mw(0xF2);
    mw(0xFE);
    MEXPECT(0x12, 0xF2, 0xFE);
    ps2_mouse_move(&mouse, 1, 1, 0);
    MNONE();
    mw(0xEC);
    MEXPECT(0xFA);
    mw(0xF2);
    MEXPECT(0xFA, 0x00);
    mw(0xEE);
    mw(0xFF); /* reset also leaves wrap mode */
    MEXPECT(0xFA, 0xAA, 0x00);
    cr_assert(not(mouse.wrap));
}

Test(ps2mouse, set_defaults)
{
    mw(0xF3);
    mw(200);
    mw(0xE8);
    mw(0);
    mw(0xE7);
    mw(0xF0);
    MEXPECT(0xFA, 0xFA, 0xFA, 0xFA, 0xFA, 0xFA);
    mw(0xF6);
    MEXPECT(0xFA);
    mw(0xE9);
    MEXPECT(0xFA, 0x00, 0x02, 100);
}

Test(ps2mouse, resend)
{
    mouse_stream_on();
    ps2_mouse_move(&mouse, 1, 2, 0);
    MEXPECT(0x08, 0x01, 0x02);
    mw(0xFE);
    MEXPECT(0x08, 0x01, 0x02);
    mw(0xF2);
    MEXPECT(0xFA, 0x00);
    mw(0xFE);
    MEXPECT(0x00);
}

Test(ps2mouse, unknown_commands_get_resend)
{
    static const uint8_t bad[] = { 0x00, 0x55, 0xE0, 0xE1, 0xED, 0xEF, 0xF1, 0xF7, 0xFA, 0xFD };
    for (size_t i = 0; i < sizeof(bad); i++) {
        mw(bad[i]);
        MEXPECT(0xFE);
    }
}

Test(ps2mouse, a_command_keeps_unsent_data_reset_drops_it)
{
    mouse_stream_on();
    ps2_mouse_move(&mouse, 1, 1, 0);
    mw(0xF5);
    MEXPECT(0x08, 0x01, 0x01, 0xFA);
    mw(0xF4);
    ps2_mouse_move(&mouse, 1, 1, 0);
    mw(0xFF);
    MEXPECT(0xFA, 0xAA, 0x00);
}

Test(ps2mouse, full_queue_adds_movement_up)
{
    mouse_stream_on();
    for (int i = 0; i < 20; i++)
        ps2_mouse_move(&mouse, 1, 0, 0);
    /* 16 bytes hold five packets; the rest waits and adds up. */
    uint8_t b;
    for (unsigned i = 0; i < 15; i++)
        cr_assert(ps2_mouse_read(&mouse, &b));
    cr_assert(ps2_mouse_pending(&mouse));
    MEXPECT(0x08, 15, 0x00);
    MNONE();
}
