/* A listening socket for the frontend's servers (the gdb stub, the
 * monitor): TCP or a Unix socket, named as QEMU names them. */
#ifndef POPEK_FRONTENDS_SOCK_LISTEN_H
#define POPEK_FRONTENDS_SOCK_LISTEN_H

#include <stddef.h>

struct sock_listen {
    int fd;             /* non-blocking; -1: closed */
    char where[128];    /* "tcp:HOST:PORT" or "unix:PATH", for messages */
    char unix_path[108]; /* the socket file to remove at the end, or "" */
};

/* Listens on spec: "tcp:[HOST]:PORT" (HOST 127.0.0.1 unless given) or
 * "unix:PATH", with a backlog of one.  who names the option in messages
 * ("--gdb").  Returns 0, or -1 after a message. */
int sock_listen_open(struct sock_listen *s, const char *spec, const char *who);
/* Closes the socket and removes a Unix socket's file; safe to repeat. */
void sock_listen_close(struct sock_listen *s);
/* A waiting connection, non-blocking, with TCP_NODELAY where it applies;
 * -1 when none is waiting. */
int sock_listen_accept(struct sock_listen *s);

#endif
