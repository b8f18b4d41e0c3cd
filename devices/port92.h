/* System Control Port A at 0x92 (IBM PS/2 Technical Reference; the same
 * register in later chipsets' "fast A20 and init" port): bit 0 resets the
 * processor on a 0 -> 1 transition, bit 1 gates A20, bit 3 locks the
 * power-on password bytes of CMOS until the next power-on, bits 6-7 drive
 * the fixed disk activity light; bits 2, 4 and 5 read as 0.
 *
 * A20 has two sources on a PC, the 8042's output port and this port, and the
 * gate is open when either says so.  This device keeps both: the 8042's
 * line comes in through port92_kbc_a20 (the machine sets it as the 8042's
 * a20 callback), and the bus's gate gets (kbc || bit 1). */
#ifndef POPEK_DEVICES_PORT92_H
#define POPEK_DEVICES_PORT92_H

#include <stdbool.h>
#include <stdint.h>

struct bus;
struct sv_reader;
struct sv_writer;

#define PORT92_PORT 0x92

#define PORT92_RESET 0x01
#define PORT92_A20 0x02
#define PORT92_LOCK 0x08   /* write-once until power-on */
#define PORT92_LIGHT 0xC0
#define PORT92_STORED (PORT92_RESET | PORT92_A20 | PORT92_LOCK | PORT92_LIGHT)

struct port92 {
    struct bus *bus;
    void (*reset)(void *opaque); /* the fast reset: may be NULL */
    void *reset_opaque;
    uint8_t value;
    bool kbc_a20;                /* the 8042's A20 line */
};

/* Registers port 0x92 in the power-on state (all bits 0).  The bus's A20
 * gate is left alone until a write or port92_kbc_a20.  Returns 0 or -errno. */
int port92_init(struct port92 *p, struct bus *bus, void (*reset)(void *opaque), void *opaque);
/* Power-on: all bits 0 (the lock opens), A20 = the 8042's line. */
void port92_reset(struct port92 *p);
/* The 8042's A20 output, as an i8042_config.a20 callback (opaque = port92). */
void port92_kbc_a20(void *opaque, bool on);

/* Savestate (mem/sv.h): the register and the 8042's A20 line as last
 * driven.  port92_post_load, after every load, sets the bus's A20 gate
 * from the two (the gate is the bus's, outside this struct). */
#define PORT92_SV_VERSION 1
void port92_save(const struct port92 *p, struct sv_writer *w);
void port92_load(struct port92 *p, struct sv_reader *r, unsigned version);
void port92_post_load(struct port92 *p);

#endif
