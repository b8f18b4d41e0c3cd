/* The debug console (Bochs "port E9 hack", QEMU isa-debugcon): bytes a
 * guest writes to one port appear on a host stream; reads return 0xE9 so a
 * guest can detect it.  Test kernels use port 0xE9; SeaBIOS as built for
 * QEMU logs to 0x402 once it has seen 0xE9 read back there. */
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
#define DEBUGCON_FIRMWARE_PORT 0x402

int debugcon_init(struct debugcon *d, struct bus *bus, FILE *out, uint16_t port);

#endif
