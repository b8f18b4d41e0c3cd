/* The test exit port at 0xF4, as QEMU's isa-debug-exit with iobase 0xf4 and
 * iosize 1: a write of v (byte, word or dword) asks the emulator to end with
 * status (v << 1) | 1, so a test kernel written for QEMU reports the same
 * way here (the host sees status & 0xFF, as QEMU's exit() gives).  Reads
 * return 0. */
#ifndef POPEK_DEVICES_DEBUGEXIT_H
#define POPEK_DEVICES_DEBUGEXIT_H

#include <stdbool.h>
#include <stdint.h>

struct bus;

#define DEBUGEXIT_PORT 0xF4

struct debugexit {
    void (*exit)(void *opaque, int status); /* e.g. machine_request_exit */
    void *opaque;
    bool requested;
    int status; /* the last status asked for */
};

/* The status a write of v asks for: (v << 1) | 1, kept within an int. */
int debugexit_status(uint32_t v);

int debugexit_init(struct debugexit *d, struct bus *bus, void (*exit_fn)(void *opaque, int status),
                   void *opaque);

#endif
