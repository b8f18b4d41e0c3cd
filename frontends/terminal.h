/* The user's terminal as the guest's serial console (see terminal.c). */
#ifndef POPEK_FRONTENDS_TERMINAL_H
#define POPEK_FRONTENDS_TERMINAL_H

#include <stdbool.h>
#include <termios.h>

#include "devices/chardev.h"
#include "machine/machine.h"

struct monitor;

struct terminal {
    int in_fd, out_fd;
    bool raw;               /* the terminal was switched to raw mode */
    struct termios saved;
    bool escape;            /* Ctrl-A seen, waiting for the command key */
    bool monitor;           /* the monitor has the keyboard */
    bool paused;            /* the monitor's "stop": the guest does not run until "cont" */
    char line[128];         /* monitor command line being typed */
    unsigned line_len;
    struct chardev *cd;     /* where typed bytes go (the guest's serial port) */
    struct machine *m;
    struct monitor *mon;    /* what Ctrl-A c talks to (may be NULL) */
};

/* Connects in_fd/out_fd to cd (the guest console).  When in_fd is a
 * terminal it is put in raw mode until terminal_close(). */
void terminal_open(struct terminal *t, int in_fd, int out_fd, struct chardev *cd, struct machine *m);
void terminal_close(struct terminal *t);
/* The monitor takes the keyboard, as with Ctrl-A c (the SDL window's
 * Ctrl-Alt-2 comes here); a prompt either way. */
void terminal_monitor_open(struct terminal *t);
/* Machine hooks: read what was typed; wait for input while the guest idles. */
void terminal_poll(void *opaque);
void terminal_idle(void *opaque, uint64_t ns);

#endif
