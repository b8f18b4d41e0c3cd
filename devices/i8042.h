/* The 8042 keyboard controller of the PC/AT and PS/2 (Intel UPI-41/42
 * data sheet; IBM PS/2 Technical Reference, "Keyboard and Auxiliary Device
 * Controller"): port 0x60 data, port 0x64 status (read) and command
 * (write), 32 bytes of controller RAM with the command byte at 0, the
 * output port that drives the system reset and A20 lines, and a PS/2
 * keyboard and mouse behind it (devices/ps2.h).  Register and command
 * list: docs/devices/i8042.md. */
#ifndef POPEK_DEVICES_I8042_H
#define POPEK_DEVICES_I8042_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/irq.h"
#include "devices/ps2.h"

struct bus;
struct sv_reader;
struct sv_writer;

#define I8042_DATA_PORT 0x60
#define I8042_CMD_PORT 0x64

/* Status register (port 0x64, read). */
#define I8042_STR_OBF 0x01     /* output buffer full */
#define I8042_STR_IBF 0x02     /* input buffer full (never seen: writes act at once) */
#define I8042_STR_SYS 0x04     /* system flag: command byte bit 2 */
#define I8042_STR_CMD 0x08     /* A2: the last write went to 0x64 */
#define I8042_STR_NOLOCK 0x10  /* keyboard not inhibited by the keylock */
#define I8042_STR_AUXDATA 0x20 /* the output buffer holds mouse data */
#define I8042_STR_TIMEOUT 0x40 /* no device answered a transmission */
#define I8042_STR_PARITY 0x80

/* Command byte (controller RAM 0). */
#define I8042_CTR_KBDINT 0x01  /* IRQ1 when keyboard data is in the buffer */
#define I8042_CTR_AUXINT 0x02  /* IRQ12 when mouse data is in the buffer */
#define I8042_CTR_SYS 0x04
#define I8042_CTR_KBDDIS 0x10  /* keyboard clock held low */
#define I8042_CTR_AUXDIS 0x20  /* mouse clock held low */
#define I8042_CTR_XLATE 0x40   /* translate keyboard set 2 to set 1 */
/* At power-on: keyboard enabled with IRQ1 and translation, mouse disabled,
 * SYS clear (a cold boot). */
#define I8042_CTR_POWERON (I8042_CTR_XLATE | I8042_CTR_AUXDIS | I8042_CTR_KBDINT)

/* Output port (commands D0/D1). */
#define I8042_OUT_RESET 0x01   /* 0 asserts the system reset line */
#define I8042_OUT_A20 0x02
#define I8042_OUT_IRQ1 0x10    /* read only: the IRQ1 line */
#define I8042_OUT_IRQ12 0x20   /* read only: the IRQ12 line */
#define I8042_OUT_POWERON 0xCF /* reset high, A20 on, clock/data lines high */

/* Input port (command C0): bit 7 keyboard not inhibited, bit 5 no
 * manufacturing jumper, bit 6 clear (colour display). */
#define I8042_IN_DEFAULT 0xA0

#define I8042_OWN_QUEUE 8

struct i8042_config {
    bool no_kbd, no_mouse;       /* nothing plugged into that port */
    struct irq_line irq_kbd;     /* IRQ1 */
    struct irq_line irq_mouse;   /* IRQ12 */
    /* The system reset line was pulsed (output port bit 0 low, or FE). */
    void (*reset)(void *opaque);
    void *reset_opaque;
    /* The output port's A20 line changed.  NULL: the controller sets the
     * bus's gate itself (bus_set_a20).  With port 0x92 present the machine
     * routes it through port92_kbc_a20, which ORs the two sources. */
    void (*a20)(void *opaque, bool on);
    void *a20_opaque;
};

struct i8042 {
    struct bus *bus;
    struct i8042_config cfg;
    struct ps2_kbd kbd;
    struct ps2_mouse mouse;
    uint8_t ram[32];    /* controller RAM; ram[0] is the command byte */
    uint8_t status;     /* OBF, CMD, AUXDATA, TIMEOUT, PARITY (the rest derived) */
    uint8_t out;        /* the output buffer (reads return it even when empty) */
    uint8_t outport;
    uint8_t inport;
    uint8_t pending;    /* a command waiting for its data byte at 0x60, or 0 */
    bool xlate_break;   /* translating: an F0 arrived, the next code is a break */
    bool irq1, irq12;   /* the levels driven on the IRQ lines */
    /* The controller's own replies (command results, D2/D3 data) wait here
     * for the output buffer and go before device data.  Bit 8: mouse data. */
    uint16_t own[I8042_OWN_QUEUE];
    unsigned own_head, own_count;
};

/* Registers ports 0x60 and 0x64, connects the keyboard and mouse and puts
 * everything in its power-on state (i8042_reset).  Returns 0 or -errno. */
int i8042_init(struct i8042 *c, struct bus *bus, const struct i8042_config *cfg);
/* Power-on state of the controller, keyboard and mouse; drives A20 on.  A
 * reset the controller itself signals (FE) does not reset it on a PC: the
 * machine calls this only for a power-on/hard reset. */
void i8042_reset(struct i8042 *c);

/* Savestate (mem/sv.h): controller RAM, status, the output buffer, the
 * output and input ports, the command waiting for data, the translation
 * state, the IRQ levels last driven and the controller's reply queue;
 * then PS2_SV_VERSION and the keyboard's and the mouse's own state, so
 * one section holds all three.  i8042_post_load, after every load, sets
 * the bus's A20 gate from the output port when the controller drives it
 * itself (no a20 callback); with the callback (port 0x92 on the PC) the
 * receiver holds the line's level and there is nothing to do. */
#define I8042_SV_VERSION 1
void i8042_save(const struct i8042 *c, struct sv_writer *w);
void i8042_load(struct i8042 *c, struct sv_reader *r, unsigned version);
void i8042_post_load(struct i8042 *c);

/* Host input (frontends).  The keyboard's key codes are set 2 (ps2.h). */
static inline void i8042_key(struct i8042 *c, uint16_t keycode, bool down)
{
    ps2_kbd_key(&c->kbd, keycode, down);
}
static inline void i8042_mouse(struct i8042 *c, int dx, int dy, int dz, uint8_t buttons)
{
    ps2_mouse_event(&c->mouse, dx, dy, dz, buttons);
}

#endif
