/* The POST code port 0x80.  On the AT it is an unused register of the DMA
 * page register file (74LS612 at 0x80-0x8F), so it keeps and reads back the
 * last byte written; firmware writes its progress codes there for POST
 * cards, and operating systems write it as a short I/O delay.  Only port
 * 0x80 is claimed: 0x81-0x8F are the DMA page registers. */
#ifndef POPEK_DEVICES_POSTCODE_H
#define POPEK_DEVICES_POSTCODE_H

#include <stdint.h>

struct bus;
struct sv_reader;
struct sv_writer;

#define POSTCODE_PORT 0x80

struct postcode {
    uint8_t last;       /* the last code written (0 at power-on) */
    uint64_t writes;
    void (*log)(void *opaque, uint8_t code); /* optional, e.g. --post */
    void *log_opaque;
};

int postcode_init(struct postcode *p, struct bus *bus, void (*log)(void *opaque, uint8_t code),
                  void *opaque);

/* Savestate (mem/sv.h): the byte a read returns, and the write count. */
#define POSTCODE_SV_VERSION 1
void postcode_save(const struct postcode *p, struct sv_writer *w);
void postcode_load(struct postcode *p, struct sv_reader *r, unsigned version);

#endif
