/* The GDB remote stub's commands (see gdbstub.c): bytes from the client
 * in, replies out through a callback, and what the run loop must do next
 * as the result.  It does no I/O and never runs the machine itself, so a
 * fuzzer can drive it with a machine that never runs. */
#ifndef POPEK_FRONTENDS_GDBSTUB_H
#define POPEK_FRONTENDS_GDBSTUB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "frontends/gdb_packet.h"
#include "machine/machine.h"

/* What the client asked the run loop to do. */
enum gdb_action {
    GDB_ACT_NONE,     /* nothing: wait for more bytes */
    GDB_ACT_CONTINUE, /* run until a breakpoint, a watchpoint or an interrupt */
    GDB_ACT_STEP,     /* execute one instruction */
    GDB_ACT_BREAK,    /* 0x03 while running: stop the guest */
    GDB_ACT_DETACH,   /* breakpoints are gone; the guest runs on without a client */
    GDB_ACT_KILL,     /* end the run */
    GDB_ACT_REVERSE_STEP,     /* bs: back one instruction (machine/rewind.h) */
    GDB_ACT_REVERSE_CONTINUE, /* bc: back to the last breakpoint or watchpoint hit */
};

/* A breakpoint as gdb set it: Z0 and Z1 at one address share one CPU
 * breakpoint, which goes when neither wants it. */
struct gdb_break {
    uint32_t addr;
    uint8_t sw, hw; /* how many Z0 / Z1 insertions */
};

struct gdbstub {
    struct machine *m;
    void (*write)(void *opaque, const uint8_t *buf, size_t len);
    void *opaque;
    struct gdb_packet in;
    bool running;      /* the guest runs: only 0x03 means something */
    bool no_ack;       /* after QStartNoAckMode */
    bool detached;     /* after D: the client is about to close */
    bool swbreak, hwbreak; /* the client understands these stop reasons */
    char stop[64];     /* the last stop reply, for '?' */
    uint8_t last[GDB_FRAME_MAX]; /* the last packet sent, for a '-' */
    size_t last_len;
    unsigned resends;
    struct gdb_break *brk;
    unsigned nbrk, brk_cap;
    char reply[GDB_PACKET_MAX + 1];
    /* gdb's `monitor LINE` (qRcmd): the frontend's monitor writes its
     * answer to out.  NULL: only info registers and help are known. */
    void (*rcmd)(void *opaque, const char *line, FILE *out);
    void *rcmd_opaque;
};

/* write gets every byte for the client.  The guest is taken as stopped. */
void gdbstub_init(struct gdbstub *s, struct machine *m, void (*write)(void *opaque, const uint8_t *buf, size_t len),
                  void *opaque);
void gdbstub_free(struct gdbstub *s);
/* Takes bytes from the client and answers them.  Stops at the first
 * command that resumes, detaches or kills, and returns it (the bytes after
 * it are dropped: in all-stop mode the client waits for the stop reply). */
enum gdb_action gdbstub_feed(struct gdbstub *s, const uint8_t *buf, size_t len);
/* The guest stopped after a continue or a step: tells the client why
 * (why as machine_run or machine_step returned it). */
void gdbstub_stopped(struct gdbstub *s, enum cpu_exit why, bool stepped);
/* A reverse step or continue ended (result as machine/rewind.h's). */
void gdbstub_reversed(struct gdbstub *s, int result, bool stepped);
/* The guest stopped for a client that just attached (no reply is due). */
void gdbstub_attached(struct gdbstub *s);
/* The run ended with this exit status: W reply. */
void gdbstub_exited(struct gdbstub *s, int status);
/* Removes every breakpoint and watchpoint the client set. */
void gdbstub_clear_breaks(struct gdbstub *s);

#endif
