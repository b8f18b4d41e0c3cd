/* The 0xE9 debug console (Bochs "port E9 hack", QEMU isa-debugcon): bytes a
 * guest writes to the port appear on a host stream; reads return 0xE9 so a
 * guest can detect it. */
#ifndef POPEK_DEVICES_DEBUGCON_H
#define POPEK_DEVICES_DEBUGCON_H

#include <stdint.h>
#include <stdio.h>

struct bus;

struct debugcon {
    FILE *out;
    uint64_t bytes; /* written so far */
};

#define DEBUGCON_PORT 0xE9

int debugcon_init(struct debugcon *d, struct bus *bus, FILE *out);

#endif
