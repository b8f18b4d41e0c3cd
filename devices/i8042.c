/* The 8042 keyboard controller (see i8042.h; commands from the IBM PS/2
 * Technical Reference's keyboard/auxiliary controller chapter). */
#include "devices/i8042.h"

#include <string.h>

#include "mem/bus.h"
#include "mem/sv.h"

#define OWN_AUX 0x100

static void update_irq(struct i8042 *c)
{
    bool full = c->status & I8042_STR_OBF;
    bool aux = c->status & I8042_STR_AUXDATA;
    bool k = full && !aux && (c->ram[0] & I8042_CTR_KBDINT);
    bool m = full && aux && (c->ram[0] & I8042_CTR_AUXINT);
    if (k != c->irq1) {
        c->irq1 = k;
        irq_set(&c->cfg.irq_kbd, k);
    }
    if (m != c->irq12) {
        c->irq12 = m;
        irq_set(&c->cfg.irq_mouse, m);
    }
}

static void put_out(struct i8042 *c, uint8_t b, bool aux)
{
    c->out = b;
    c->status |= I8042_STR_OBF;
    if (aux)
        c->status |= I8042_STR_AUXDATA;
    else
        c->status &= (uint8_t)~I8042_STR_AUXDATA;
}

/* Takes a keyboard byte, translating it to set 1 when XLATE is on (the
 * break prefix F0 is swallowed and sets bit 7 of the next code). */
static bool take_kbd(struct i8042 *c, uint8_t *b)
{
    if (c->cfg.no_kbd || (c->ram[0] & I8042_CTR_KBDDIS))
        return false;
    while (ps2_kbd_read(&c->kbd, b)) {
        if (!(c->ram[0] & I8042_CTR_XLATE))
            return true;
        if (*b == 0xF0) {
            c->xlate_break = true;
            continue;
        }
        *b = (uint8_t)(ps2_set2_to_set1(*b) | (c->xlate_break ? 0x80 : 0));
        c->xlate_break = false;
        return true;
    }
    return false;
}

/* Fills an empty output buffer: the controller's own replies first, then the
 * keyboard, then the mouse (the 8042 polls the keyboard first). */
static void fill(struct i8042 *c)
{
    uint8_t b;
    if (!(c->status & I8042_STR_OBF)) {
        if (c->own_count) {
            uint16_t v = c->own[c->own_head];
            c->own_head = (c->own_head + 1) % I8042_OWN_QUEUE;
            c->own_count--;
            put_out(c, (uint8_t)v, v & OWN_AUX);
        } else if (take_kbd(c, &b)) {
            put_out(c, b, false);
        } else if (!c->cfg.no_mouse && !(c->ram[0] & I8042_CTR_AUXDIS) &&
                   ps2_mouse_read(&c->mouse, &b)) {
            put_out(c, b, true);
        }
    }
    update_irq(c);
}

/* Queues a reply of the controller.  A guest that keeps issuing commands
 * without reading loses the newest replies, never memory. */
static void own_put(struct i8042 *c, uint8_t b, bool aux)
{
    if (c->own_count < I8042_OWN_QUEUE) {
        c->own[(c->own_head + c->own_count) % I8042_OWN_QUEUE] = (uint16_t)(b | (aux ? OWN_AUX : 0));
        c->own_count++;
    }
    fill(c);
}

static void device_notify(void *opaque)
{
    fill(opaque);
}

static void set_a20(struct i8042 *c, bool on)
{
    if (c->cfg.a20)
        c->cfg.a20(c->cfg.a20_opaque, on);
    else
        bus_set_a20(c->bus, on);
}

static void request_reset(struct i8042 *c)
{
    if (c->cfg.reset)
        c->cfg.reset(c->cfg.reset_opaque);
}

static void write_outport(struct i8042 *c, uint8_t v)
{
    uint8_t old = c->outport;
    /* Bits 4 and 5 are the IRQ lines, driven by the controller. */
    c->outport = (uint8_t)((v & ~(I8042_OUT_IRQ1 | I8042_OUT_IRQ12)) |
                           (old & (I8042_OUT_IRQ1 | I8042_OUT_IRQ12)));
    if ((old ^ c->outport) & I8042_OUT_A20)
        set_a20(c, c->outport & I8042_OUT_A20);
    if (!(v & I8042_OUT_RESET)) {
        /* The line goes low and the machine resets; the emulator has no
         * "held in reset" state, so the line is high again afterwards. */
        c->outport |= I8042_OUT_RESET;
        request_reset(c);
    }
}

static uint8_t read_outport(const struct i8042 *c)
{
    return (uint8_t)((c->outport & ~(I8042_OUT_IRQ1 | I8042_OUT_IRQ12)) |
                     (c->irq1 ? I8042_OUT_IRQ1 : 0) | (c->irq12 ? I8042_OUT_IRQ12 : 0));
}

/* The command byte changed: the SYS flag, interrupts and the clock lines
 * follow it. */
static void ctr_changed(struct i8042 *c)
{
    if (!(c->ram[0] & I8042_CTR_XLATE))
        c->xlate_break = false;
    fill(c);
}

static void send_kbd(struct i8042 *c, uint8_t v)
{
    c->status &= (uint8_t)~(I8042_STR_TIMEOUT | I8042_STR_PARITY);
    /* Transmitting releases the keyboard clock: the interface is enabled. */
    c->ram[0] &= (uint8_t)~I8042_CTR_KBDDIS;
    if (c->cfg.no_kbd) {
        c->status |= I8042_STR_TIMEOUT;
        own_put(c, PS2_RESEND, false);
        return;
    }
    ps2_kbd_write(&c->kbd, v); /* its replies arrive through device_notify */
    fill(c);
}

static void send_aux(struct i8042 *c, uint8_t v)
{
    c->status &= (uint8_t)~(I8042_STR_TIMEOUT | I8042_STR_PARITY);
    if (c->cfg.no_mouse) {
        c->status |= I8042_STR_TIMEOUT;
        own_put(c, PS2_RESEND, true);
        return;
    }
    ps2_mouse_write(&c->mouse, v);
    fill(c);
}

static void write_data(struct i8042 *c, uint8_t v)
{
    uint8_t cmd = c->pending;
    c->status &= (uint8_t)~I8042_STR_CMD;
    c->pending = 0;
    if (cmd >= 0x60 && cmd <= 0x7F) { /* write controller RAM */
        c->ram[cmd & 0x1F] = v;
        if ((cmd & 0x1F) == 0)
            ctr_changed(c);
        return;
    }
    switch (cmd) {
    case 0xA5: /* password bytes up to a 0: accepted, none is ever installed */
        if (v != 0)
            c->pending = cmd;
        break;
    case 0xD1: write_outport(c, v); break;
    case 0xD2: own_put(c, v, false); break; /* as if from the keyboard */
    case 0xD3: own_put(c, v, true); break;  /* as if from the mouse */
    case 0xD4: send_aux(c, v); break;
    default: send_kbd(c, v); break;         /* no command waiting */
    }
}

static void write_command(struct i8042 *c, uint8_t cmd)
{
    c->status |= I8042_STR_CMD;
    c->pending = 0; /* a new command abandons one that waited for data */
    if (cmd >= 0x20 && cmd <= 0x3F) { /* read controller RAM */
        own_put(c, c->ram[cmd & 0x1F], false);
        return;
    }
    if ((cmd >= 0x60 && cmd <= 0x7F) || cmd == 0xA5 || (cmd >= 0xD1 && cmd <= 0xD4)) {
        c->pending = cmd;
        return;
    }
    if (cmd >= 0xF0) {
        /* Pulse the output port bits that are 0 in the low nibble for about
         * 6 us: only the reset line has an effect that outlasts it. */
        if (!(cmd & I8042_OUT_RESET))
            request_reset(c);
        return;
    }
    switch (cmd) {
    case 0xA4: own_put(c, 0xF1, false); break; /* no password installed */
    case 0xA7: c->ram[0] |= I8042_CTR_AUXDIS; ctr_changed(c); break;
    case 0xA8: c->ram[0] &= (uint8_t)~I8042_CTR_AUXDIS; ctr_changed(c); break;
    case 0xA9: own_put(c, 0x00, false); break; /* mouse interface test: OK */
    case 0xAA: own_put(c, 0x55, false); break; /* self test: OK */
    case 0xAB: own_put(c, 0x00, false); break; /* keyboard interface test: OK */
    case 0xAD: c->ram[0] |= I8042_CTR_KBDDIS; ctr_changed(c); break;
    case 0xAE: c->ram[0] &= (uint8_t)~I8042_CTR_KBDDIS; ctr_changed(c); break;
    case 0xC0: own_put(c, c->inport, false); break;
    case 0xD0: own_put(c, read_outport(c), false); break;
    case 0xDD: write_outport(c, c->outport & (uint8_t)~I8042_OUT_A20); break;
    case 0xDF: write_outport(c, c->outport | I8042_OUT_A20); break;
    case 0xE0: /* test inputs: T0 keyboard clock, T1 mouse clock */
        own_put(c, (uint8_t)((c->ram[0] & I8042_CTR_KBDDIS ? 0 : 1) |
                             (c->ram[0] & I8042_CTR_AUXDIS ? 0 : 2)), false);
        break;
    default: break; /* the 8042 firmware ignores commands it lacks */
    }
}

static uint8_t read_status(const struct i8042 *c)
{
    return (uint8_t)(c->status | I8042_STR_NOLOCK | (c->ram[0] & I8042_CTR_SYS));
}

static uint8_t read_data(struct i8042 *c)
{
    uint8_t v = c->out;
    if (c->status & I8042_STR_OBF) {
        c->status &= (uint8_t)~(I8042_STR_OBF | I8042_STR_AUXDATA);
        update_irq(c); /* the line drops ... */
        fill(c);       /* ... and rises again for the next byte: an edge */
    }
    return v;
}

static uint32_t i8042_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct i8042 *c = opaque;
    (void)size;
    return port == I8042_CMD_PORT ? read_status(c) : read_data(c);
}

static void i8042_io_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct i8042 *c = opaque;
    (void)size;
    if (port == I8042_CMD_PORT)
        write_command(c, (uint8_t)val);
    else
        write_data(c, (uint8_t)val);
}

static const struct io_ops i8042_ops = {
    .read = i8042_io_read,
    .write = i8042_io_write,
    .sizes = 1,
};

void i8042_reset(struct i8042 *c)
{
    struct ps2_notify n = { device_notify, c };
    ps2_kbd_init(&c->kbd, n);
    ps2_mouse_init(&c->mouse, n);
    memset(c->ram, 0, sizeof(c->ram));
    c->ram[0] = I8042_CTR_POWERON;
    c->status = 0;
    c->out = 0;
    c->outport = I8042_OUT_POWERON;
    c->inport = I8042_IN_DEFAULT;
    c->pending = 0;
    c->xlate_break = false;
    c->own_head = c->own_count = 0;
    update_irq(c);
    set_a20(c, true);
}

int i8042_init(struct i8042 *c, struct bus *bus, const struct i8042_config *cfg)
{
    memset(c, 0, sizeof(*c));
    c->bus = bus;
    if (cfg)
        c->cfg = *cfg;
    i8042_reset(c);
    int r = bus_io_register(bus, I8042_DATA_PORT, 1, &i8042_ops, c);
    if (r == 0)
        r = bus_io_register(bus, I8042_CMD_PORT, 1, &i8042_ops, c);
    return r;
}

/* ---- savestate ---- */

#define STR_STORED \
    (I8042_STR_OBF | I8042_STR_CMD | I8042_STR_AUXDATA | I8042_STR_TIMEOUT | I8042_STR_PARITY)

void i8042_save(const struct i8042 *c, struct sv_writer *w)
{
    sv_put_bytes(w, c->ram, sizeof(c->ram));
    sv_put_u8(w, c->status);
    sv_put_u8(w, c->out);
    sv_put_u8(w, c->outport);
    sv_put_u8(w, c->inport);
    sv_put_u8(w, c->pending);
    sv_put_bool(w, c->xlate_break);
    sv_put_bool(w, c->irq1);
    sv_put_bool(w, c->irq12);
    for (unsigned i = 0; i < I8042_OWN_QUEUE; i++)
        sv_put_u16(w, c->own[i]);
    sv_put_u8(w, (uint8_t)c->own_head);
    sv_put_u8(w, (uint8_t)c->own_count);
    sv_put_u32(w, PS2_SV_VERSION);
    ps2_kbd_save(&c->kbd, w);
    ps2_mouse_save(&c->mouse, w);
}

/* The commands write_command leaves waiting for a data byte. */
static bool pending_ok(uint8_t cmd)
{
    return cmd == 0 || (cmd >= 0x60 && cmd <= 0x7F) || cmd == 0xA5 || (cmd >= 0xD1 && cmd <= 0xD4);
}

void i8042_load(struct i8042 *c, struct sv_reader *r, unsigned version)
{
    if (version != I8042_SV_VERSION) {
        sv_fail(r, "version %u, this Popek reads %u", version, I8042_SV_VERSION);
        return;
    }
    sv_get_bytes(r, c->ram, sizeof(c->ram));
    c->status = sv_get_u8(r);
    sv_check(r, !(c->status & ~STR_STORED), "i8042 status");
    c->out = sv_get_u8(r);
    c->outport = sv_get_u8(r);
    sv_check(r, !(c->outport & (I8042_OUT_IRQ1 | I8042_OUT_IRQ12)), "i8042 output port");
    c->inport = sv_get_u8(r);
    c->pending = sv_get_u8(r);
    sv_check(r, pending_ok(c->pending), "i8042 pending command");
    c->xlate_break = sv_get_bool(r);
    c->irq1 = sv_get_bool(r);
    c->irq12 = sv_get_bool(r);
    for (unsigned i = 0; i < I8042_OWN_QUEUE; i++)
        c->own[i] = (uint16_t)sv_get_max(r, 2, OWN_AUX | 0xFF, "i8042 queued reply");
    c->own_head = sv_get_max(r, 1, I8042_OWN_QUEUE - 1, "i8042 reply queue position");
    c->own_count = sv_get_max(r, 1, I8042_OWN_QUEUE, "i8042 reply queue position");
    unsigned ps2_version = sv_get_u32(r);
    ps2_kbd_load(&c->kbd, r, ps2_version);
    ps2_mouse_load(&c->mouse, r, ps2_version);
}

void i8042_post_load(struct i8042 *c)
{
    if (!c->cfg.a20)
        bus_set_a20(c->bus, c->outport & I8042_OUT_A20);
}
