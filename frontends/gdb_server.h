/* The gdb stub's connection and run loop (see gdb_server.c). */
#ifndef POPEK_FRONTENDS_GDB_SERVER_H
#define POPEK_FRONTENDS_GDB_SERVER_H

#include <stdbool.h>
#include <stdint.h>

#include "frontends/gdbstub.h"
#include "frontends/sock_listen.h"
#include "machine/machine.h"

struct gdb_server {
    struct machine *m;
    struct sock_listen sock;
    int client_fd;          /* -1: no client */
    bool fresh;             /* the client connected while the guest ran: no stop reply is due */
    bool serving;           /* inside the stopped loop: the poll hook keeps off the socket */
    struct gdbstub stub;
    /* Given to every client's stub: the frontend's monitor (qRcmd). */
    void (*rcmd)(void *opaque, const char *line, FILE *out);
    void *rcmd_opaque;
};

/* Listens on spec: "tcp:[HOST]:PORT" (HOST 127.0.0.1 unless given) or
 * "unix:PATH".  Returns 0, or -1 after a message. */
int gdb_server_open(struct gdb_server *g, const char *spec, struct machine *m);
void gdb_server_close(struct gdb_server *g);
/* Between slices of a running guest (the machine's poll hook): takes a
 * new client, a 0x03, or a client's disconnection, without blocking. */
void gdb_server_poll(struct gdb_server *g);
/* Runs the machine as machine_run does, stopping for the client: at the
 * start when paused (waiting for a client to connect and continue), at
 * its breakpoints, watchpoints and Ctrl-C.  While stopped the guest's time
 * stands still.  Returns as machine_run does when the run ends; *executed
 * gets the instruction count. */
enum cpu_exit gdb_server_run(struct gdb_server *g, bool paused, uint64_t *executed);
/* The run ended with this exit status: tells the client, if any. */
void gdb_server_exited(struct gdb_server *g, int status);

#endif
