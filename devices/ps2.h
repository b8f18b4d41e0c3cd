/* PS/2 devices on the 8042's two ports: the keyboard (IBM PS/2 Technical
 * Reference, "Keyboard and Auxiliary Device Controller" / "101/102-Key
 * Keyboard") and the mouse (the same book's "Pointing Device", plus the
 * Microsoft IntelliMouse wheel extension).
 *
 * A device sees bytes the controller sends it (ps2_*_write) and queues the
 * bytes it answers with or reports; the controller pulls them one at a time
 * (ps2_*_read) when its output buffer is free and the interface is enabled,
 * as the real 8042 clocks bytes in only then.  The device calls its notify
 * callback whenever it queued something so the controller can look.
 * Timing is not modelled: replies are queued at once (see docs/devices/ps2.md). */
#ifndef POPEK_DEVICES_PS2_H
#define POPEK_DEVICES_PS2_H

#include <stdbool.h>
#include <stdint.h>

struct sv_reader;
struct sv_writer;

/* Device replies. */
#define PS2_ACK 0xFA
#define PS2_RESEND 0xFE
#define PS2_BAT_OK 0xAA
#define PS2_ECHO 0xEE

/* A byte FIFO.  The size is a power of two; the keyboard limits key data to
 * PS2_KBD_KEY_LIMIT bytes of it, as its 16-byte buffer does. */
#define PS2_QUEUE_SIZE 32
struct ps2_queue {
    uint8_t data[PS2_QUEUE_SIZE];
    unsigned head;  /* index of the oldest byte */
    unsigned count;
};

/* "I queued something": lets the controller fill its output buffer. */
struct ps2_notify {
    void (*fn)(void *opaque);
    void *opaque;
};

/* ---- keyboard ---------------------------------------------------------- */

/* Key codes are scan code set 2 make codes: the low byte is the code, a high
 * byte of 0xE0 marks the extended keys (E0 prefix), e.g. 0x1C = A,
 * 0xE075 = cursor up.  Two keys send sequences of their own: */
#define PS2_KEY_PRTSC 0xE07C /* E0 12 E0 7C / E0 F0 7C E0 F0 12 */
#define PS2_KEY_PAUSE 0xE114 /* E1 14 77 E1 F0 14 F0 77, no break */

#define PS2_KBD_KEY_LIMIT 16 /* the keyboard's own buffer, in bytes */

struct ps2_kbd {
    struct ps2_queue q;
    struct ps2_notify notify;
    uint8_t pending_cmd; /* command waiting for its parameter byte, or 0 */
    uint8_t last_sent;   /* for FE (resend) */
    uint8_t scanset;     /* 1, 2 or 3 */
    uint8_t leds;        /* bit 0 scroll, 1 num, 2 caps */
    uint8_t typematic;   /* F3 parameter: rate and delay */
    bool scanning;       /* F4/F5: whether key events are reported */
    bool key_list;       /* set 3 FB-FD: taking key codes until a command */
    bool overrun;        /* key data was lost: an overrun code is queued */
};

void ps2_kbd_init(struct ps2_kbd *k, struct ps2_notify notify);
/* Power-on: defaults, empty queue, then the self-test result AA. */
void ps2_kbd_reset(struct ps2_kbd *k);
/* A byte from the controller (a command or a command's parameter). */
void ps2_kbd_write(struct ps2_kbd *k, uint8_t byte);
/* Takes the next byte for the controller; false when there is none. */
bool ps2_kbd_read(struct ps2_kbd *k, uint8_t *byte);
bool ps2_kbd_pending(const struct ps2_kbd *k);
/* The host pressed (down) or released a key: queues its scan codes in the
 * current set, if scanning is enabled.  If the buffer cannot take the whole
 * sequence, it is dropped and one overrun code (00, or FF in set 1) is
 * queued instead, as the keyboard does. */
void ps2_kbd_key(struct ps2_kbd *k, uint16_t keycode, bool down);
/* Set 2 key code of a printable ASCII character (and whether it needs
 * shift, for a US layout), for feeding text; returns false for others. */
bool ps2_kbd_ascii_keycode(char c, uint16_t *keycode, bool *shift);
/* Presses and releases the keys that type c (with shift as needed). */
bool ps2_kbd_type_char(struct ps2_kbd *k, char c);

/* Scan code set 2 -> set 1, byte by byte, as the 8042 translates (the
 * break prefix F0 is handled by the caller: next code | 0x80). */
uint8_t ps2_set2_to_set1(uint8_t code);

/* ---- mouse ------------------------------------------------------------- */

#define PS2_MOUSE_LEFT 0x01
#define PS2_MOUSE_RIGHT 0x02
#define PS2_MOUSE_MIDDLE 0x04

struct ps2_mouse {
    struct ps2_queue q;
    struct ps2_notify notify;
    uint8_t pending_cmd; /* E8 or F3 waiting for a parameter, or 0 */
    uint8_t last_sent;
    uint8_t last_packet[4]; /* the last packet (or AA 00), for FE */
    uint8_t last_len;    /* its length; 0 when a single byte came after it */
    uint8_t rate;        /* samples per second */
    uint8_t resolution;  /* 0..3: 1, 2, 4, 8 counts per mm */
    uint8_t id;          /* 0, or 3 once the wheel is unlocked */
    uint8_t rates[3];    /* the last three sample rates, for the unlock */
    bool scaling21;
    bool remote;         /* remote mode (else stream) */
    bool wrap;
    bool wrap_was_remote;
    bool reporting;      /* F4/F5 (stream mode) */
    uint8_t buttons;     /* PS2_MOUSE_* */
    int32_t dx, dy, dz;  /* movement not yet reported */
    bool dirty;          /* a report is owed (movement or buttons changed) */
};

void ps2_mouse_init(struct ps2_mouse *m, struct ps2_notify notify);
/* Power-on: defaults, then AA 00. */
void ps2_mouse_reset(struct ps2_mouse *m);
void ps2_mouse_write(struct ps2_mouse *m, uint8_t byte);
bool ps2_mouse_read(struct ps2_mouse *m, uint8_t *byte);
bool ps2_mouse_pending(const struct ps2_mouse *m);
/* Movement in counts, dy > 0 meaning away from the user (up), as the mouse
 * reports it (a frontend negates screen deltas); buttons is PS2_MOUSE_*.
 * In stream mode with reporting on, a packet is queued at once (or, when
 * the queue has no room for a packet, the movement adds up until it has);
 * in remote mode it adds up until the host reads it with EB. */
void ps2_mouse_move(struct ps2_mouse *m, int dx, int dy, uint8_t buttons);
/* The same with wheel movement dz (> 0: towards the user, as IntelliMouse
 * reports it); dz is dropped unless the wheel was unlocked. */
void ps2_mouse_event(struct ps2_mouse *m, int dx, int dy, int dz, uint8_t buttons);

/* ---- savestate (mem/sv.h) ---------------------------------------------- */

/* Each device's queue (contents and position), the command it waits on a
 * parameter for, its modes and settings; the mouse also its unreported
 * movement and the packet FE resends.  The notify callback is wiring and
 * is kept.  The 8042 saves its two devices inside its own state, with
 * this version (i8042_save). */
#define PS2_SV_VERSION 1
void ps2_kbd_save(const struct ps2_kbd *k, struct sv_writer *w);
void ps2_kbd_load(struct ps2_kbd *k, struct sv_reader *r, unsigned version);
void ps2_mouse_save(const struct ps2_mouse *m, struct sv_writer *w);
void ps2_mouse_load(struct ps2_mouse *m, struct sv_reader *r, unsigned version);

#endif
