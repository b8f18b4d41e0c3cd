/* Where the monitor is reached from outside (--monitor DEV, as QEMU's
 * -monitor): standard input and output, a pseudo-terminal, or a TCP or
 * Unix socket with one client at a time (see monitor_chan.c).  A channel
 * reads lines without ever blocking the run loop, runs each through the
 * monitor and writes the answer back with the "(popek) " prompt. */
#ifndef POPEK_FRONTENDS_MONITOR_CHAN_H
#define POPEK_FRONTENDS_MONITOR_CHAN_H

#include <poll.h>
#include <stdbool.h>
#include <stdio.h>

#include "frontends/monitor.h"
#include "frontends/sock_listen.h"

enum monitor_chan_kind {
    MONITOR_CHAN_STDIO,
    MONITOR_CHAN_PTY,
    MONITOR_CHAN_SOCKET, /* tcp: or unix: */
};

struct monitor_chan {
    enum monitor_chan_kind kind;
    struct monitor *mon;
    struct sock_listen sock; /* MONITOR_CHAN_SOCKET */
    int fd;             /* what is read: standard input, the pty's master, the client; -1: none */
    bool eof;           /* stdio: the input is gone, the guest runs on */
    bool hup;           /* pty: nobody has the terminal open */
    bool stalled;       /* a write found nobody reading: drop output until input comes */
    bool editing;       /* stdio on a terminal, with libedit */
    bool cr;            /* the last line ended in CR: an LF right after ends nothing */
    bool async_nl;      /* editing: text printed behind the editor began on a new line */
    bool busy;          /* polling: a poll from inside a command reads nothing */
    bool in_cmd;        /* running a line */
    char where[128];    /* for messages: "standard input", "/dev/pts/3", "tcp:127.0.0.1:4444" */
    char line[512];
    size_t len;
};

/* Checks that spec names a channel (stdio, pty, none, tcp:[HOST]:PORT,
 * unix:PATH, the socket ones with QEMU's ",server", ",nowait" and
 * ",wait=off"), for the option parser.  Returns 0, or -1 after a message
 * to err. */
int monitor_chan_check(const char *spec, FILE *err);
/* Opens the channel spec names for mon: a pty's name and a socket's
 * address go to standard error.  Returns 0, or -1 after a message. */
int monitor_chan_open(struct monitor_chan *c, const char *spec, struct monitor *mon);
void monitor_chan_close(struct monitor_chan *c);
/* Between slices: takes a client, reads what came, runs complete lines.
 * Never waits. */
void monitor_chan_poll(struct monitor_chan *c);
/* The descriptors worth waiting on while the guest is paused (at most 2):
 * returns how many were put in p. */
int monitor_chan_pollfds(const struct monitor_chan *c, struct pollfd *p);
/* Someone is there to read (stdio always, a pty that is open, a client). */
bool monitor_chan_connected(const struct monitor_chan *c);
/* The monitor's output: to the client, with CR LF line ends except on
 * stdio (QEMU's monitor writes CR LF). */
void monitor_chan_write(struct monitor_chan *c, const char *s);
/* Text that comes without a command (a breakpoint's report), then
 * monitor_chan_prompt() for the prompt after it. */
void monitor_chan_async(struct monitor_chan *c, const char *s);
void monitor_chan_prompt(struct monitor_chan *c);

#endif
