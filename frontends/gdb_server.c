/* The gdb stub's side of the host: a listening socket (TCP, on the
 * loopback address unless a host is named, or a Unix socket), one client
 * at a time, and the run loop around the machine.  While the guest runs,
 * the machine runs in slices and the poll hook looks at the socket between
 * them without blocking (a 0x03 stops the guest at the slice's end); while
 * it is stopped, the loop blocks on the socket and does not call the
 * machine at all, so the guest's clock and devices stand still.  A client
 * that goes away without a word is a detach: its breakpoints go, the
 * guest runs on, and the next client may connect. */
#include "frontends/gdb_server.h"
#include "machine/rewind.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static void client_write(void *opaque, const uint8_t *buf, size_t len)
{
    struct gdb_server *g = opaque;
    while (len && g->client_fd >= 0) {
        ssize_t n = send(g->client_fd, buf, len, MSG_NOSIGNAL);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            struct pollfd p = { g->client_fd, POLLOUT, 0 };
            if (poll(&p, 1, 1000) <= 0)
                return; /* a client that reads nothing for a second loses the reply */
        } else {
            return; /* gone: the next read sees it */
        }
    }
}

int gdb_server_open(struct gdb_server *g, const char *spec, struct machine *m)
{
    memset(g, 0, sizeof(*g));
    g->m = m;
    g->client_fd = -1;
    if (sock_listen_open(&g->sock, spec, "--gdb") < 0)
        return -1;
    gdbstub_init(&g->stub, m, client_write, g);
    return 0;
}

static void drop_client(struct gdb_server *g)
{
    g->fresh = false;
    if (g->client_fd >= 0)
        close(g->client_fd);
    g->client_fd = -1;
}

void gdb_server_close(struct gdb_server *g)
{
    drop_client(g);
    sock_listen_close(&g->sock);
    gdbstub_free(&g->stub);
}

/* Takes a waiting connection: the first becomes the client, one more
 * while a client is attached is turned away.  True for a new client. */
static bool accept_client(struct gdb_server *g)
{
    int fd = sock_listen_accept(&g->sock);
    if (fd < 0)
        return false;
    if (g->client_fd >= 0) {
        static const char busy[] = "$E01#a6"; /* a polite refusal before the close */
        ssize_t n = send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL);
        (void)n;
        close(fd);
        return false;
    }
    g->client_fd = fd;
    struct gdbstub *s = &g->stub;
    gdbstub_free(s);
    gdbstub_init(s, g->m, client_write, g);
    s->rcmd = g->rcmd;
    s->rcmd_opaque = g->rcmd_opaque;
    fprintf(stderr, "popek: gdb connected on %s\n", g->sock.where);
    return true;
}

/* The client went away, or detached: the guest runs on without it. */
static void detach(struct gdb_server *g, const char *why)
{
    gdbstub_clear_breaks(&g->stub);
    drop_client(g);
    if (why)
        fprintf(stderr, "popek: gdb %s; the guest runs on\n", why);
}

void gdb_server_poll(struct gdb_server *g)
{
    if (g->serving)
        return;
    if (accept_client(g)) {
        /* A new client finds the guest stopped: its first packets wait
         * in the socket for the stopped loop, which the break reaches at
         * the end of this slice. */
        g->fresh = true;
        machine_request_break(g->m);
    }
    if (g->client_fd < 0 || g->fresh)
        return;
    uint8_t buf[512];
    ssize_t n = recv(g->client_fd, buf, sizeof(buf), 0);
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
        detach(g, g->stub.detached ? NULL : "disconnected");
        return;
    }
    if (n > 0 && gdbstub_feed(&g->stub, buf, (size_t)n) == GDB_ACT_BREAK)
        machine_request_break(g->m);
}

/* Serves the client while the guest is stopped, until it resumes,
 * detaches or kills.  Blocks; signals reach the frontend's poll hook. */
static enum gdb_action serve(struct gdb_server *g)
{
    g->serving = true;
    enum gdb_action a = GDB_ACT_NONE;
    while (a == GDB_ACT_NONE && !g->m->stop) {
        struct pollfd p[2] = { { g->client_fd, POLLIN, 0 }, { g->sock.fd, POLLIN, 0 } };
        bool waiting = g->client_fd < 0;
        int r = poll(waiting ? p + 1 : p, waiting ? 1 : 2, 1000);
        if (r < 0 && errno != EINTR)
            break;
        if (g->m->host.poll)
            g->m->host.poll(g->m->host.opaque); /* a terminating signal */
        if (r <= 0)
            continue;
        if (p[1].revents & POLLIN) {
            if (accept_client(g))
                gdbstub_attached(&g->stub);
            continue;
        }
        uint8_t buf[4096];
        ssize_t n = recv(g->client_fd, buf, sizeof(buf), 0);
        if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            a = GDB_ACT_DETACH;
            detach(g, "disconnected");
            break;
        }
        if (n > 0)
            a = gdbstub_feed(&g->stub, buf, (size_t)n);
        if (a == GDB_ACT_DETACH) {
            /* The client closes the connection once it has our "OK"
             * (and acknowledged it): until then it stays open. */
            gdbstub_clear_breaks(&g->stub);
            g->stub.running = true;
            g->stub.detached = true;
            fprintf(stderr, "popek: gdb detached; the guest runs on\n");
        }
    }
    g->serving = false;
    return a;
}

/* The run ended (as opposed to stopping for the debugger). */
static bool run_over(const struct machine *m, enum cpu_exit why)
{
    return m->stop || (why != CPU_EXIT_DEBUG && why != CPU_EXIT_BUDGET);
}

enum cpu_exit gdb_server_run(struct gdb_server *g, bool paused, uint64_t *executed)
{
    struct machine *m = g->m;
    uint64_t start = cpu_instructions(m->cpu);
    enum cpu_exit why = CPU_EXIT_STOP;
    bool stopped = paused;
    if (paused)
        fprintf(stderr, "popek: waiting for gdb on %s (the guest starts at its 'continue')\n", g->sock.where);
    for (;;) {
        if (stopped) {
            enum gdb_action a = serve(g);
            if (m->stop) {
                why = CPU_EXIT_STOP;
                break;
            }
            if (a == GDB_ACT_KILL) {
                drop_client(g);
                fprintf(stderr, "popek: killed from gdb\n");
                m->stop = true;
                m->exit_status = 0;
                why = CPU_EXIT_STOP;
                break;
            }
            if (a == GDB_ACT_REVERSE_STEP || a == GDB_ACT_REVERSE_CONTINUE) {
                struct cpu_debug_hit hit;
                enum rewind_result r = a == GDB_ACT_REVERSE_STEP ? machine_reverse_step(m)
                                                                  : machine_reverse_continue(m, &hit);
                gdbstub_reversed(&g->stub, r, a == GDB_ACT_REVERSE_STEP);
                continue;
            }
            if (a == GDB_ACT_STEP) {
                why = machine_step(m);
                if (run_over(m, why) && why != CPU_EXIT_HALT)
                    break;
                gdbstub_stopped(&g->stub, why, true);
                continue;
            }
            stopped = false; /* continue, or detached */
        }
        why = machine_run(m, NULL);
        if (why != CPU_EXIT_DEBUG)
            break;
        if (g->client_fd >= 0) {
            if (g->fresh)
                gdbstub_attached(&g->stub);
            else if (g->stub.running)
                gdbstub_stopped(&g->stub, why, false);
            g->fresh = false;
            stopped = true;
        }
        /* A stop with no client left (it went away meanwhile): run on. */
    }
    if (executed)
        *executed = cpu_instructions(m->cpu) - start;
    return why;
}

void gdb_server_exited(struct gdb_server *g, int status)
{
    if (g->client_fd >= 0) {
        gdbstub_exited(&g->stub, status);
        drop_client(g);
    }
}
