/* PS/2 keyboard and mouse (see ps2.h).  Command sets from the IBM PS/2
 * Technical Reference (keyboard: ED-FF; pointing device: E6-FF) and the
 * IntelliMouse wheel extension (sample rates 200, 100, 80 then ID 3). */
#include "devices/ps2.h"

#include <stddef.h>
#include <string.h>

#include "mem/sv.h"

/* ---- the byte queue ---------------------------------------------------- */

static void q_clear(struct ps2_queue *q)
{
    q->head = 0;
    q->count = 0;
}

static bool q_put(struct ps2_queue *q, uint8_t b)
{
    if (q->count == PS2_QUEUE_SIZE)
        return false; /* full: the byte is lost, as a device buffer overruns */
    q->data[(q->head + q->count) % PS2_QUEUE_SIZE] = b;
    q->count++;
    return true;
}

static bool q_get(struct ps2_queue *q, uint8_t *b)
{
    if (q->count == 0)
        return false;
    *b = q->data[q->head];
    q->head = (q->head + 1) % PS2_QUEUE_SIZE;
    q->count--;
    return true;
}

static void notify(const struct ps2_notify *n)
{
    if (n->fn)
        n->fn(n->opaque);
}

/* ---- scan code tables --------------------------------------------------- */

/* Set 2 -> set 1 for codes 00-7F, the table the 8042 applies when its
 * command byte has XLATE set.  Built from the two sets' key maps (IBM
 * keyboard reference); unassigned set-2 codes map where the 8042's table
 * puts them, so every set-1 code 01-7F has a set-2 source. */
static const uint8_t set2_to_set1[128] = {
    0xFF, 0x43, 0x41, 0x3F, 0x3D, 0x3B, 0x3C, 0x58, /* 00 F9 -- F5 F3 F1 F2 F12 */
    0x64, 0x44, 0x42, 0x40, 0x3E, 0x0F, 0x29, 0x59, /* 08 -- F10 F8 F6 F4 Tab ` */
    0x65, 0x38, 0x2A, 0x70, 0x1D, 0x10, 0x02, 0x5A, /* 10 LAlt LShift Kana LCtrl Q 1 */
    0x66, 0x71, 0x2C, 0x1F, 0x1E, 0x11, 0x03, 0x5B, /* 18 Z S A W 2 */
    0x67, 0x2E, 0x2D, 0x20, 0x12, 0x05, 0x04, 0x5C, /* 20 C X D E 4 3 */
    0x68, 0x39, 0x2F, 0x21, 0x14, 0x13, 0x06, 0x5D, /* 28 Space V F T R 5 */
    0x69, 0x31, 0x30, 0x23, 0x22, 0x15, 0x07, 0x5E, /* 30 N B H G Y 6 */
    0x6A, 0x72, 0x32, 0x24, 0x16, 0x08, 0x09, 0x5F, /* 38 M J U 7 8 */
    0x6B, 0x33, 0x25, 0x17, 0x18, 0x0B, 0x0A, 0x60, /* 40 , K I O 0 9 */
    0x6C, 0x34, 0x35, 0x26, 0x27, 0x19, 0x0C, 0x61, /* 48 . / L ; P - */
    0x6D, 0x73, 0x28, 0x74, 0x1A, 0x0D, 0x62, 0x6E, /* 50 Ro ' [ = */
    0x3A, 0x36, 0x1C, 0x1B, 0x75, 0x2B, 0x63, 0x76, /* 58 Caps RShift Enter ] \ */
    0x55, 0x56, 0x77, 0x78, 0x79, 0x7A, 0x0E, 0x7B, /* 60 102nd Henkan BkSp Muhenkan */
    0x7C, 0x4F, 0x7D, 0x4B, 0x47, 0x7E, 0x7F, 0x6F, /* 68 KP1 Yen KP4 KP7 */
    0x52, 0x53, 0x50, 0x4C, 0x4D, 0x48, 0x01, 0x45, /* 70 KP0 KP. KP2 KP5 KP6 KP8 Esc NumLk */
    0x57, 0x4E, 0x51, 0x4A, 0x37, 0x49, 0x46, 0x54, /* 78 F11 KP+ KP3 KP- KP* KP9 ScrLk */
};

uint8_t ps2_set2_to_set1(uint8_t code)
{
    if (code < 0x80)
        return set2_to_set1[code];
    if (code == 0x83) /* F7: the one key whose set-2 code has bit 7 set */
        return 0x41;
    if (code == 0x84) /* SysRq (Alt+PrtSc) */
        return 0x54;
    return code; /* prefixes and replies (E0 E1 FA AA EE FE ...) pass */
}

/* Set 3 codes of the keys whose set-3 code differs from their set-2 make
 * code; other one-byte keys keep their code, other extended keys have none. */
struct set3_entry {
    uint16_t set2;
    uint8_t set3;
};
static const struct set3_entry set3_table[] = {
    { 0x0076, 0x08 }, { 0x0005, 0x07 }, { 0x0006, 0x0F }, { 0x0004, 0x17 },
    { 0x000C, 0x1F }, { 0x0003, 0x27 }, { 0x000B, 0x2F }, { 0x0083, 0x37 },
    { 0x000A, 0x3F }, { 0x0001, 0x47 }, { 0x0009, 0x4F }, { 0x0078, 0x56 },
    { 0x0007, 0x5E }, { PS2_KEY_PRTSC, 0x57 }, { 0x007E, 0x5F }, { PS2_KEY_PAUSE, 0x62 },
    { 0x0011, 0x19 }, { 0xE011, 0x39 }, { 0x0014, 0x11 }, { 0xE014, 0x58 },
    { 0x0058, 0x14 }, { 0xE01F, 0x8B }, { 0xE027, 0x8C }, { 0xE02F, 0x8D },
    { 0xE070, 0x67 }, { 0xE06C, 0x6E }, { 0xE07D, 0x6F }, { 0xE071, 0x64 },
    { 0xE069, 0x65 }, { 0xE07A, 0x6D }, { 0xE075, 0x63 }, { 0xE06B, 0x61 },
    { 0xE072, 0x60 }, { 0xE074, 0x6A }, { 0x0077, 0x76 }, { 0xE04A, 0x77 },
    { 0x007C, 0x7E }, { 0x007B, 0x84 }, { 0x0079, 0x7C }, { 0xE05A, 0x79 },
    { 0x005D, 0x5C }, { 0x0061, 0x13 },
};

static int set3_code(uint16_t keycode)
{
    for (size_t i = 0; i < sizeof(set3_table) / sizeof(set3_table[0]); i++)
        if (set3_table[i].set2 == keycode)
            return set3_table[i].set3;
    if (keycode < 0x100)
        return keycode;
    return -1;
}

/* ---- keyboard ---------------------------------------------------------- */

static void kbd_send(struct ps2_kbd *k, uint8_t b)
{
    q_put(&k->q, b);
    k->last_sent = b;
}

/* F6 "set default": typematic 10.9 chars/s after 500 ms, set 2. */
static void kbd_defaults(struct ps2_kbd *k)
{
    k->typematic = 0x2B;
    k->scanset = 2;
    k->key_list = false;
}

void ps2_kbd_init(struct ps2_kbd *k, struct ps2_notify n)
{
    memset(k, 0, sizeof(*k));
    k->notify = n;
    kbd_defaults(k);
    k->scanning = true;
    k->last_sent = PS2_BAT_OK;
}

/* What FF and power-on do after the buffer is cleared: self-test, then AA. */
static void kbd_bat(struct ps2_kbd *k)
{
    kbd_defaults(k);
    k->pending_cmd = 0;
    k->leds = 0;
    k->scanning = true;
    k->overrun = false;
    kbd_send(k, PS2_BAT_OK);
}

void ps2_kbd_reset(struct ps2_kbd *k)
{
    q_clear(&k->q);
    kbd_bat(k);
    notify(&k->notify);
}

static void kbd_command(struct ps2_kbd *k, uint8_t cmd)
{
    switch (cmd) {
    case 0xED: /* set LEDs: a parameter follows */
    case 0xF3: /* typematic rate/delay: a parameter follows */
    case 0xF0: /* select/read scan code set: a parameter follows */
        kbd_send(k, PS2_ACK);
        k->pending_cmd = cmd;
        break;
    case 0xEE: /* echo */
        kbd_send(k, PS2_ECHO);
        break;
    case 0xF2: /* identify: an MF2 keyboard */
        kbd_send(k, PS2_ACK);
        kbd_send(k, 0xAB);
        kbd_send(k, 0x83);
        break;
    case 0xF4: /* enable: clears the buffer, starts scanning */
        q_clear(&k->q);
        k->overrun = false;
        kbd_send(k, PS2_ACK);
        k->scanning = true;
        break;
    case 0xF5: /* default and disable */
        q_clear(&k->q);
        k->overrun = false;
        kbd_defaults(k);
        kbd_send(k, PS2_ACK);
        k->scanning = false;
        break;
    case 0xF6: /* set default, scanning as it was */
        q_clear(&k->q);
        k->overrun = false;
        kbd_defaults(k);
        kbd_send(k, PS2_ACK);
        break;
    case 0xF7: case 0xF8: case 0xF9: case 0xFA:
        /* set 3: all keys typematic / make-break / make / all: accepted;
         * every key sends make and break here (docs/devices/ps2.md) */
        kbd_send(k, PS2_ACK);
        break;
    case 0xFB: case 0xFC: case 0xFD:
        /* set 3: per-key modes; key codes follow until the next command */
        kbd_send(k, PS2_ACK);
        k->key_list = true;
        break;
    case 0xFE: /* resend the last byte, without an ACK */
        q_put(&k->q, k->last_sent);
        break;
    case 0xFF: /* reset: ACK, then the self-test result */
        q_clear(&k->q);
        kbd_send(k, PS2_ACK);
        kbd_bat(k);
        break;
    default: /* not a command: ask for it again */
        kbd_send(k, PS2_RESEND);
        break;
    }
}

void ps2_kbd_write(struct ps2_kbd *k, uint8_t b)
{
    uint8_t cmd = k->pending_cmd;
    /* A byte in the command range ends a parameter wait or a key list and
     * is taken as a new command, as the keyboard does. */
    if (b >= 0xED) {
        k->pending_cmd = 0;
        k->key_list = false;
        kbd_command(k, b);
    } else if (cmd) {
        k->pending_cmd = 0;
        switch (cmd) {
        case 0xED:
            k->leds = b & 7;
            kbd_send(k, PS2_ACK);
            break;
        case 0xF3:
            k->typematic = b & 0x7F;
            kbd_send(k, PS2_ACK);
            break;
        case 0xF0:
            if (b == 0) {
                kbd_send(k, PS2_ACK);
                kbd_send(k, k->scanset);
            } else if (b <= 3) {
                q_clear(&k->q);
                k->overrun = false;
                kbd_send(k, PS2_ACK);
                k->scanset = b;
            } else {
                kbd_send(k, PS2_RESEND); /* still waiting for the set */
                k->pending_cmd = cmd;
            }
            break;
        }
    } else if (k->key_list) {
        kbd_send(k, PS2_ACK); /* a key code for FB-FD */
    } else {
        kbd_send(k, PS2_RESEND);
    }
    notify(&k->notify);
}

bool ps2_kbd_read(struct ps2_kbd *k, uint8_t *b)
{
    if (!q_get(&k->q, b))
        return false;
    if (k->q.count == 0)
        k->overrun = false;
    return true;
}

bool ps2_kbd_pending(const struct ps2_kbd *k)
{
    return k->q.count != 0;
}

/* The set-2 bytes of a key event; returns how many (at most 8). */
static unsigned set2_sequence(uint16_t keycode, bool down, uint8_t *out)
{
    unsigned n = 0;
    if (keycode == PS2_KEY_PAUSE) {
        static const uint8_t pause[] = { 0xE1, 0x14, 0x77, 0xE1, 0xF0, 0x14, 0xF0, 0x77 };
        if (!down)
            return 0;
        memcpy(out, pause, sizeof(pause));
        return sizeof(pause);
    }
    if (keycode == PS2_KEY_PRTSC) {
        static const uint8_t make[] = { 0xE0, 0x12, 0xE0, 0x7C };
        static const uint8_t brk[] = { 0xE0, 0xF0, 0x7C, 0xE0, 0xF0, 0x12 };
        memcpy(out, down ? make : brk, down ? sizeof(make) : sizeof(brk));
        return down ? sizeof(make) : sizeof(brk);
    }
    if ((keycode >> 8) == 0xE0)
        out[n++] = 0xE0;
    else if (keycode >> 8)
        return 0; /* not a key code */
    if (!down)
        out[n++] = 0xF0;
    out[n++] = (uint8_t)keycode;
    return n;
}

void ps2_kbd_key(struct ps2_kbd *k, uint16_t keycode, bool down)
{
    uint8_t seq[8];
    unsigned n = 0;
    if (!k->scanning)
        return;
    if (k->scanset == 3) {
        int c = set3_code(keycode);
        if (c < 0)
            return;
        if (!down)
            seq[n++] = 0xF0;
        seq[n++] = (uint8_t)c;
    } else {
        unsigned m = set2_sequence(keycode, down, seq);
        if (k->scanset == 1) {
            /* Set 1 is set 2 through the 8042's table, break = code | 80. */
            bool brk = false;
            for (unsigned i = 0; i < m; i++) {
                if (seq[i] == 0xF0) {
                    brk = true;
                    continue;
                }
                seq[n++] = (uint8_t)(ps2_set2_to_set1(seq[i]) | (brk ? 0x80 : 0));
                brk = false;
            }
        } else {
            n = m;
        }
    }
    if (n == 0)
        return;
    if (k->overrun)
        return; /* the buffer is still full of what was there */
    if (k->q.count + n > PS2_KBD_KEY_LIMIT) {
        kbd_send(k, k->scanset == 1 ? 0xFF : 0x00);
        k->overrun = true;
    } else {
        for (unsigned i = 0; i < n; i++)
            kbd_send(k, seq[i]);
    }
    notify(&k->notify);
}

/* US layout: set 2 codes of the printable ASCII characters 0x20-0x7E; bit 8
 * means shifted. */
static const uint16_t ascii_keys[95] = {
    0x029, 0x116, 0x152, 0x126, 0x125, 0x12E, 0x13D, 0x052, /*  !"#$%&' */
    0x146, 0x145, 0x13E, 0x155, 0x041, 0x04E, 0x049, 0x04A, /* ()*+,-./ */
    0x045, 0x016, 0x01E, 0x026, 0x025, 0x02E, 0x036, 0x03D, /* 01234567 */
    0x03E, 0x046, 0x14C, 0x04C, 0x141, 0x055, 0x149, 0x14A, /* 89:;<=>? */
    0x11E, 0x11C, 0x132, 0x121, 0x123, 0x124, 0x12B, 0x134, /* @ABCDEFG */
    0x133, 0x143, 0x13B, 0x142, 0x14B, 0x13A, 0x131, 0x144, /* HIJKLMNO */
    0x14D, 0x115, 0x12D, 0x11B, 0x12C, 0x13C, 0x12A, 0x11D, /* PQRSTUVW */
    0x122, 0x135, 0x11A, 0x054, 0x05D, 0x05B, 0x136, 0x14E, /* XYZ[\]^_ */
    0x00E, 0x01C, 0x032, 0x021, 0x023, 0x024, 0x02B, 0x034, /* `abcdefg */
    0x033, 0x043, 0x03B, 0x042, 0x04B, 0x03A, 0x031, 0x044, /* hijklmno */
    0x04D, 0x015, 0x02D, 0x01B, 0x02C, 0x03C, 0x02A, 0x01D, /* pqrstuvw */
    0x022, 0x035, 0x01A, 0x154, 0x15D, 0x15B, 0x10E,        /* xyz{|}~ */
};

bool ps2_kbd_ascii_keycode(char c, uint16_t *keycode, bool *shift)
{
    unsigned char u = (unsigned char)c;
    uint16_t v;
    if (u >= 0x20 && u <= 0x7E)
        v = ascii_keys[u - 0x20];
    else if (u == '\n' || u == '\r')
        v = 0x05A; /* Enter */
    else if (u == '\t')
        v = 0x00D;
    else if (u == '\b')
        v = 0x066;
    else if (u == 0x1B)
        v = 0x076; /* Esc */
    else
        return false;
    *keycode = v & 0xFF;
    *shift = (v & 0x100) != 0;
    return true;
}

bool ps2_kbd_type_char(struct ps2_kbd *k, char c)
{
    uint16_t code;
    bool shift;
    if (!ps2_kbd_ascii_keycode(c, &code, &shift))
        return false;
    if (shift)
        ps2_kbd_key(k, 0x12, true);
    ps2_kbd_key(k, code, true);
    ps2_kbd_key(k, code, false);
    if (shift)
        ps2_kbd_key(k, 0x12, false);
    return true;
}

/* ---- mouse ------------------------------------------------------------- */

#define MOUSE_PACKET_LIMIT 16 /* bytes of packets queued before movement adds up */
#define MOUSE_COUNT_MAX (1 << 20) /* bound on movement not yet reported */

static void mouse_send(struct ps2_mouse *m, uint8_t b)
{
    q_put(&m->q, b);
    m->last_sent = b;
    m->last_len = 0;
}

static void mouse_clear_counts(struct ps2_mouse *m)
{
    m->dx = m->dy = m->dz = 0;
    m->dirty = false;
}

/* F6: 100 samples/s, 4 counts/mm, 1:1, stream mode, reporting off. */
static void mouse_defaults(struct ps2_mouse *m)
{
    m->rate = 100;
    m->resolution = 2;
    m->scaling21 = false;
    m->remote = false;
    m->wrap = false;
    m->reporting = false;
    mouse_clear_counts(m);
}

void ps2_mouse_init(struct ps2_mouse *m, struct ps2_notify n)
{
    memset(m, 0, sizeof(*m));
    m->notify = n;
    mouse_defaults(m);
    m->last_sent = PS2_BAT_OK;
}

/* What FF and power-on do after the queue is cleared: AA, then the ID. */
static void mouse_bat(struct ps2_mouse *m)
{
    mouse_defaults(m);
    m->pending_cmd = 0;
    m->id = 0;
    memset(m->rates, 0, sizeof(m->rates));
    mouse_send(m, PS2_BAT_OK);
    mouse_send(m, 0x00); /* device ID */
    m->last_len = 2;
    memcpy(m->last_packet, (uint8_t[]){ PS2_BAT_OK, 0x00 }, 2);
}

void ps2_mouse_reset(struct ps2_mouse *m)
{
    q_clear(&m->q);
    mouse_bat(m);
    notify(&m->notify);
}

static int clamp(int v, int lo, int hi)
{
    return v < lo ? lo : v > hi ? hi : v;
}

/* 2:1 scaling (stream mode): 0 1 2 3 4 5 -> 0 1 1 3 6 9, then doubled. */
static int scale21(int v)
{
    static const int small[6] = { 0, 1, 1, 3, 6, 9 };
    int a = v < 0 ? -v : v;
    int s = a < 6 ? small[a] : 2 * a;
    return v < 0 ? -s : s;
}

static unsigned mouse_packet_len(const struct ps2_mouse *m)
{
    return m->id == 3 ? 4 : 3;
}

/* Queues a movement packet from the counters and clears them.  A count
 * beyond 9 bits sets the overflow bit and is reported as the extreme. */
static void mouse_packet(struct ps2_mouse *m)
{
    int dx = m->dx, dy = m->dy;
    if (m->scaling21 && !m->remote) {
        dx = scale21(clamp(dx, -1024, 1024));
        dy = scale21(clamp(dy, -1024, 1024));
    }
    uint8_t b0 = 0x08 | (m->buttons & 7);
    if (dx > 255 || dx < -256)
        b0 |= 0x40;
    if (dy > 255 || dy < -256)
        b0 |= 0x80;
    dx = clamp(dx, -256, 255);
    dy = clamp(dy, -256, 255);
    if (dx < 0)
        b0 |= 0x10;
    if (dy < 0)
        b0 |= 0x20;
    uint8_t pkt[4] = { b0, (uint8_t)(dx & 0xFF), (uint8_t)(dy & 0xFF),
                       (uint8_t)(clamp(m->dz, -8, 7) & 0xFF) };
    unsigned n = mouse_packet_len(m);
    for (unsigned i = 0; i < n; i++)
        mouse_send(m, pkt[i]);
    memcpy(m->last_packet, pkt, n);
    m->last_len = (uint8_t)n; /* FE resends the whole packet */
    mouse_clear_counts(m);
}

static bool mouse_streaming(const struct ps2_mouse *m)
{
    return m->reporting && !m->remote && !m->wrap;
}

/* In stream mode, sends what is owed if a packet fits. */
static bool mouse_flush(struct ps2_mouse *m)
{
    if (!m->dirty || !mouse_streaming(m))
        return false;
    if (m->q.count + mouse_packet_len(m) > MOUSE_PACKET_LIMIT)
        return false;
    mouse_packet(m);
    return true;
}

static bool valid_rate(uint8_t r)
{
    return r == 10 || r == 20 || r == 40 || r == 60 || r == 80 || r == 100 || r == 200;
}

static void mouse_param(struct ps2_mouse *m, uint8_t cmd, uint8_t b)
{
    if (cmd == 0xE8) {
        if (b > 3) {
            mouse_send(m, PS2_RESEND);
            m->pending_cmd = cmd;
            return;
        }
        m->resolution = b;
        mouse_send(m, PS2_ACK);
        return;
    }
    /* 0xF3 */
    if (!valid_rate(b)) {
        mouse_send(m, PS2_RESEND);
        m->pending_cmd = cmd;
        return;
    }
    m->rate = b;
    m->rates[0] = m->rates[1];
    m->rates[1] = m->rates[2];
    m->rates[2] = b;
    if (m->rates[0] == 200 && m->rates[1] == 100 && m->rates[2] == 80)
        m->id = 3; /* IntelliMouse: wheel in a fourth packet byte */
    mouse_send(m, PS2_ACK);
}

static void mouse_command(struct ps2_mouse *m, uint8_t cmd)
{
    switch (cmd) {
    case 0xE6: m->scaling21 = false; mouse_send(m, PS2_ACK); break;
    case 0xE7: m->scaling21 = true; mouse_send(m, PS2_ACK); break;
    case 0xE8: case 0xF3:
        mouse_send(m, PS2_ACK);
        m->pending_cmd = cmd;
        break;
    case 0xE9: /* status request */
        mouse_send(m, PS2_ACK);
        mouse_send(m, (uint8_t)((m->remote ? 0x40 : 0) | (m->reporting ? 0x20 : 0) |
                                (m->scaling21 ? 0x10 : 0) |
                                ((m->buttons & PS2_MOUSE_LEFT) ? 0x04 : 0) |
                                ((m->buttons & PS2_MOUSE_MIDDLE) ? 0x02 : 0) |
                                ((m->buttons & PS2_MOUSE_RIGHT) ? 0x01 : 0)));
        mouse_send(m, m->resolution);
        mouse_send(m, m->rate);
        break;
    case 0xEA: m->remote = false; mouse_clear_counts(m); mouse_send(m, PS2_ACK); break;
    case 0xEB: /* read data: a packet even without movement */
        mouse_send(m, PS2_ACK);
        mouse_packet(m);
        break;
    case 0xEC: m->wrap = false; mouse_clear_counts(m); mouse_send(m, PS2_ACK); break;
    case 0xEE: m->wrap = true; mouse_clear_counts(m); mouse_send(m, PS2_ACK); break;
    case 0xF0: m->remote = true; mouse_clear_counts(m); mouse_send(m, PS2_ACK); break;
    case 0xF2: mouse_send(m, PS2_ACK); mouse_send(m, m->id); break;
    case 0xF4: m->reporting = true; mouse_clear_counts(m); mouse_send(m, PS2_ACK); break;
    case 0xF5: m->reporting = false; mouse_clear_counts(m); mouse_send(m, PS2_ACK); break;
    case 0xF6: mouse_defaults(m); mouse_send(m, PS2_ACK); break;
    case 0xFE: /* resend the last packet, or the last byte */
        if (m->last_len)
            for (unsigned i = 0; i < m->last_len; i++)
                q_put(&m->q, m->last_packet[i]);
        else
            q_put(&m->q, m->last_sent);
        break;
    case 0xFF: /* reset: what was not yet sent is gone */
        q_clear(&m->q);
        mouse_send(m, PS2_ACK);
        mouse_bat(m);
        break;
    default: mouse_send(m, PS2_RESEND); break;
    }
}

void ps2_mouse_write(struct ps2_mouse *m, uint8_t b)
{
    if (m->wrap && b != 0xEC && b != 0xFF) {
        mouse_send(m, b); /* wrap mode: echo */
    } else if (m->pending_cmd) {
        uint8_t cmd = m->pending_cmd;
        m->pending_cmd = 0;
        mouse_param(m, cmd, b);
    } else {
        mouse_command(m, b);
    }
    notify(&m->notify);
}

bool ps2_mouse_read(struct ps2_mouse *m, uint8_t *b)
{
    if (m->q.count == 0)
        mouse_flush(m); /* movement that added up while the queue was full */
    return q_get(&m->q, b);
}

bool ps2_mouse_pending(const struct ps2_mouse *m)
{
    return m->q.count != 0 || (m->dirty && mouse_streaming(m));
}

void ps2_mouse_event(struct ps2_mouse *m, int dx, int dy, int dz, uint8_t buttons)
{
    buttons &= 7;
    if (m->wrap)
        return; /* wrap mode reports nothing */
    if (dx || dy || dz || buttons != m->buttons)
        m->dirty = true;
    m->buttons = buttons;
    m->dx = clamp(m->dx + clamp(dx, -MOUSE_COUNT_MAX, MOUSE_COUNT_MAX), -MOUSE_COUNT_MAX,
                  MOUSE_COUNT_MAX);
    m->dy = clamp(m->dy + clamp(dy, -MOUSE_COUNT_MAX, MOUSE_COUNT_MAX), -MOUSE_COUNT_MAX,
                  MOUSE_COUNT_MAX);
    if (m->id == 3)
        m->dz = clamp(m->dz + clamp(dz, -MOUSE_COUNT_MAX, MOUSE_COUNT_MAX), -MOUSE_COUNT_MAX,
                      MOUSE_COUNT_MAX);
    if (!m->reporting && !m->remote) {
        mouse_clear_counts(m); /* stream mode, disabled: nothing is kept */
        return;
    }
    if (mouse_flush(m))
        notify(&m->notify);
}

void ps2_mouse_move(struct ps2_mouse *m, int dx, int dy, uint8_t buttons)
{
    ps2_mouse_event(m, dx, dy, 0, buttons);
}

/* ---- savestate ---------------------------------------------------------- */

static void q_save(const struct ps2_queue *q, struct sv_writer *w)
{
    sv_put_bytes(w, q->data, sizeof(q->data));
    sv_put_u8(w, (uint8_t)q->head);
    sv_put_u8(w, (uint8_t)q->count);
}

static void q_load(struct ps2_queue *q, struct sv_reader *r, const char *what)
{
    sv_get_bytes(r, q->data, sizeof(q->data));
    q->head = sv_get_max(r, 1, PS2_QUEUE_SIZE - 1, what);
    q->count = sv_get_max(r, 1, PS2_QUEUE_SIZE, what);
}

static bool sv_version_ok(struct sv_reader *r, unsigned version)
{
    if (version == PS2_SV_VERSION)
        return true;
    return sv_fail(r, "version %u, this Popek reads %u", version, PS2_SV_VERSION);
}

void ps2_kbd_save(const struct ps2_kbd *k, struct sv_writer *w)
{
    q_save(&k->q, w);
    sv_put_u8(w, k->pending_cmd);
    sv_put_u8(w, k->last_sent);
    sv_put_u8(w, k->scanset);
    sv_put_u8(w, k->leds);
    sv_put_u8(w, k->typematic);
    sv_put_bool(w, k->scanning);
    sv_put_bool(w, k->key_list);
    sv_put_bool(w, k->overrun);
}

void ps2_kbd_load(struct ps2_kbd *k, struct sv_reader *r, unsigned version)
{
    if (!sv_version_ok(r, version))
        return;
    q_load(&k->q, r, "keyboard queue position");
    k->pending_cmd = sv_get_u8(r);
    sv_check(r, k->pending_cmd == 0 || k->pending_cmd == 0xED || k->pending_cmd == 0xF3 ||
                    k->pending_cmd == 0xF0,
             "keyboard pending command");
    k->last_sent = sv_get_u8(r);
    k->scanset = sv_get_u8(r);
    sv_check(r, k->scanset >= 1 && k->scanset <= 3, "keyboard scan code set");
    k->leds = (uint8_t)sv_get_max(r, 1, 7, "keyboard LEDs");
    k->typematic = (uint8_t)sv_get_max(r, 1, 0x7F, "keyboard typematic");
    k->scanning = sv_get_bool(r);
    k->key_list = sv_get_bool(r);
    k->overrun = sv_get_bool(r);
}

void ps2_mouse_save(const struct ps2_mouse *m, struct sv_writer *w)
{
    q_save(&m->q, w);
    sv_put_u8(w, m->pending_cmd);
    sv_put_u8(w, m->last_sent);
    sv_put_bytes(w, m->last_packet, sizeof(m->last_packet));
    sv_put_u8(w, m->last_len);
    sv_put_u8(w, m->rate);
    sv_put_u8(w, m->resolution);
    sv_put_u8(w, m->id);
    sv_put_bytes(w, m->rates, sizeof(m->rates));
    sv_put_bool(w, m->scaling21);
    sv_put_bool(w, m->remote);
    sv_put_bool(w, m->wrap);
    sv_put_bool(w, m->wrap_was_remote);
    sv_put_bool(w, m->reporting);
    sv_put_u8(w, m->buttons);
    sv_put_u32(w, (uint32_t)m->dx);
    sv_put_u32(w, (uint32_t)m->dy);
    sv_put_u32(w, (uint32_t)m->dz);
    sv_put_bool(w, m->dirty);
}

/* Unreported movement stays within MOUSE_COUNT_MAX: the sums in
 * ps2_mouse_event rely on it not to overflow. */
static int32_t count_load(struct sv_reader *r)
{
    int32_t v = (int32_t)sv_get_u32(r);
    sv_check(r, v >= -MOUSE_COUNT_MAX && v <= MOUSE_COUNT_MAX, "mouse movement count");
    return v;
}

void ps2_mouse_load(struct ps2_mouse *m, struct sv_reader *r, unsigned version)
{
    if (!sv_version_ok(r, version))
        return;
    q_load(&m->q, r, "mouse queue position");
    m->pending_cmd = sv_get_u8(r);
    sv_check(r, m->pending_cmd == 0 || m->pending_cmd == 0xE8 || m->pending_cmd == 0xF3,
             "mouse pending command");
    m->last_sent = sv_get_u8(r);
    sv_get_bytes(r, m->last_packet, sizeof(m->last_packet));
    /* FE resends last_len bytes of last_packet. */
    m->last_len = (uint8_t)sv_get_max(r, 1, sizeof(m->last_packet), "mouse last packet length");
    m->rate = sv_get_u8(r);
    sv_check(r, valid_rate(m->rate), "mouse sample rate");
    m->resolution = (uint8_t)sv_get_max(r, 1, 3, "mouse resolution");
    m->id = sv_get_u8(r);
    sv_check(r, m->id == 0 || m->id == 3, "mouse ID");
    sv_get_bytes(r, m->rates, sizeof(m->rates));
    m->scaling21 = sv_get_bool(r);
    m->remote = sv_get_bool(r);
    m->wrap = sv_get_bool(r);
    m->wrap_was_remote = sv_get_bool(r);
    m->reporting = sv_get_bool(r);
    m->buttons = (uint8_t)sv_get_max(r, 1, 7, "mouse buttons");
    m->dx = count_load(r);
    m->dy = count_load(r);
    m->dz = count_load(r);
    m->dirty = sv_get_bool(r);
}
