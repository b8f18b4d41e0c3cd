/* The GDB Remote Serial Protocol's framing, as a pure byte-at-a-time
 * decoder and an encoder with no I/O, so that it can be fuzzed on its own
 * (see gdb_packet.c). */
#ifndef POPEK_FRONTENDS_GDB_PACKET_H
#define POPEK_FRONTENDS_GDB_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The largest packet data either side sends (qSupported's PacketSize). */
#define GDB_PACKET_MAX 0x4000
/* A framed packet: '$', the data with every byte escaped, '#', checksum. */
#define GDB_FRAME_MAX (2 * GDB_PACKET_MAX + 4)

enum gdb_event {
    GDB_EV_NONE,      /* the byte was taken in; nothing complete yet */
    GDB_EV_PACKET,    /* a packet with a good checksum: data, len (and maybe overflow or malformed) */
    GDB_EV_BAD_SUM,   /* a packet with a bad checksum: answer '-' */
    GDB_EV_ACK,       /* '+' */
    GDB_EV_NAK,       /* '-': send the last packet again */
    GDB_EV_INTERRUPT, /* 0x03 outside a packet */
};

struct gdb_packet {
    int state;
    uint8_t data[GDB_PACKET_MAX + 1]; /* the decoded data, NUL-terminated */
    size_t len;
    bool overflow;  /* it decoded to more than GDB_PACKET_MAX bytes (the rest was dropped) */
    bool malformed; /* a bad run-length count or an escape at the end */
    uint8_t sum;    /* running checksum of the raw bytes */
    uint8_t want;   /* the checksum the packet carries */
    bool escape;    /* the previous raw byte was '}' */
    bool run;       /* the previous raw byte was '*' */
};

void gdb_packet_init(struct gdb_packet *p);
/* Takes one byte from the client.  Garbage outside a packet is ignored;
 * a '$' inside one starts over (the client resent). */
enum gdb_event gdb_packet_feed(struct gdb_packet *p, uint8_t b);

/* Frames data as $data#xx into out (escaping '$', '#', '}' and '*', so
 * that binary data passes).  Returns the framed length, or 0 when it does
 * not fit cap. */
size_t gdb_packet_frame(uint8_t *out, size_t cap, const uint8_t *data, size_t len);

/* Hex helpers.  gdb_hex_val: a digit's value, or -1. */
int gdb_hex_val(int c);
/* Parses 1-16 hex digits at *p (before end), moving *p past them.
 * Returns false when there is none or the number has more than 64 bits. */
bool gdb_hex_u64(const char **p, const char *end, uint64_t *v);
/* Writes 2n lower-case hex digits for n bytes; returns 2n. */
size_t gdb_hex_encode(char *out, const uint8_t *in, size_t n);
/* Reads n bytes from 2n hex digits; false on a non-digit. */
bool gdb_hex_decode(uint8_t *out, const char *in, size_t n);

#endif
