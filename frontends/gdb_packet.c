/* The framing of the GDB Remote Serial Protocol (gdb manual, appendix E,
 * "Overview" and "Binary data"): $data#xx with xx the modulo-256 sum of the
 * raw data bytes in two hex digits, acknowledged by '+' or '-'; inside the
 * data '}' escapes the next byte (XOR 0x20) and "c*n" repeats c another
 * n - 29 times.  A 0x03 between packets interrupts a running target.
 *
 * The decoder takes a byte at a time and never reads past its buffer,
 * whatever it is fed: a packet that decodes to more than GDB_PACKET_MAX
 * bytes is still checksummed to its end and then reported as overflowed,
 * so the stub can refuse it with an error rather than lose the stream. */
#include "frontends/gdb_packet.h"

#include <string.h>

enum { ST_IDLE, ST_DATA, ST_SUM1, ST_SUM2 };

void gdb_packet_init(struct gdb_packet *p)
{
    memset(p, 0, sizeof(*p));
    p->state = ST_IDLE;
}

static void start(struct gdb_packet *p)
{
    p->state = ST_DATA;
    p->len = 0;
    p->overflow = p->malformed = false;
    p->escape = p->run = false;
    p->sum = 0;
}

static void put(struct gdb_packet *p, uint8_t b)
{
    if (p->len < GDB_PACKET_MAX)
        p->data[p->len++] = b;
    else
        p->overflow = true;
}

int gdb_hex_val(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

static void data_byte(struct gdb_packet *p, uint8_t b)
{
    p->sum = (uint8_t)(p->sum + b);
    if (p->escape) {
        p->escape = false;
        put(p, b ^ 0x20);
    } else if (p->run) {
        p->run = false;
        /* The count is a printable character: n - 29 more copies (at
         * least 3).  A run with nothing before it cannot be decoded. */
        if (b < ' ' || b > '~' || p->len == 0) {
            p->malformed = true;
            return;
        }
        uint8_t c = p->data[p->len - 1];
        for (int k = b - 29; k > 0; k--)
            put(p, c);
    } else if (b == '}') {
        p->escape = true;
    } else if (b == '*') {
        p->run = true;
    } else {
        put(p, b);
    }
}

enum gdb_event gdb_packet_feed(struct gdb_packet *p, uint8_t b)
{
    switch (p->state) {
    case ST_IDLE:
        if (b == '$')
            start(p);
        else if (b == '+')
            return GDB_EV_ACK;
        else if (b == '-')
            return GDB_EV_NAK;
        else if (b == 0x03)
            return GDB_EV_INTERRUPT;
        return GDB_EV_NONE; /* noise between packets */
    case ST_DATA:
        if (b == '$' && !p->escape) {
            start(p); /* the client started again */
        } else if (b == '#' && !p->escape) {
            p->state = ST_SUM1;
        } else {
            data_byte(p, b);
        }
        return GDB_EV_NONE;
    case ST_SUM1: {
        int v = gdb_hex_val(b);
        p->want = (uint8_t)((v < 0 ? 0 : v) << 4);
        p->state = v < 0 ? ST_IDLE : ST_SUM2;
        return v < 0 ? GDB_EV_BAD_SUM : GDB_EV_NONE;
    }
    default: {
        int v = gdb_hex_val(b);
        p->state = ST_IDLE;
        if (v < 0 || (uint8_t)(p->want | v) != p->sum)
            return GDB_EV_BAD_SUM;
        if (p->escape || p->run)
            p->malformed = true;
        p->data[p->len] = 0;
        return GDB_EV_PACKET;
    }
    }
}

size_t gdb_packet_frame(uint8_t *out, size_t cap, const uint8_t *data, size_t len)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    uint8_t sum = 0;
    if (cap < 4)
        return 0;
    out[o++] = '$';
    for (size_t i = 0; i < len; i++) {
        uint8_t b = data[i];
        bool esc = b == '$' || b == '#' || b == '}' || b == '*';
        if (o + (esc ? 2 : 1) + 3 > cap)
            return 0;
        if (esc) {
            out[o++] = '}';
            sum = (uint8_t)(sum + '}');
            b ^= 0x20;
        }
        out[o++] = b;
        sum = (uint8_t)(sum + b);
    }
    out[o++] = '#';
    out[o++] = (uint8_t)hex[sum >> 4];
    out[o++] = (uint8_t)hex[sum & 15];
    return o;
}

bool gdb_hex_u64(const char **p, const char *end, uint64_t *v)
{
    const char *s = *p;
    uint64_t x = 0;
    unsigned n = 0;
    while (s < end && gdb_hex_val(*s) >= 0) {
        if (x >> 60)
            return false; /* one more digit would not fit */
        x = (x << 4) | (uint64_t)gdb_hex_val(*s);
        s++;
        n++;
    }
    if (n == 0)
        return false;
    *p = s;
    *v = x;
    return true;
}

size_t gdb_hex_encode(char *out, const uint8_t *in, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hex[in[i] >> 4];
        out[2 * i + 1] = hex[in[i] & 15];
    }
    return 2 * n;
}

bool gdb_hex_decode(uint8_t *out, const char *in, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        int hi = gdb_hex_val(in[2 * i]), lo = gdb_hex_val(in[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return true;
}
