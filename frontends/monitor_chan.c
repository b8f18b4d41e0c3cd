/* The monitor's channels (see monitor_chan.h), as QEMU's -monitor has
 * them.  Nothing here blocks the run loop: between slices the channel
 * looks at its descriptors with a zero timeout, reads what is there and
 * runs the lines that are complete; while the guest is paused the
 * frontend waits in poll() on monitor_chan_pollfds().
 *
 * stdio on a pipe reads and writes exactly as it always has (no banner,
 * "\n" line ends), which the test suites rely on; on a terminal it greets
 * the user and, with libedit, edits lines (monitor_edit.c).  A pty is put
 * in raw mode as QEMU does and echoes what is typed, since nobody else
 * will; its peer may close and open it again (the master then reports a
 * hang-up until someone does), like a cable.  A socket takes one client
 * at a time, refuses a second one with a line saying why, and takes the
 * next one when the first has gone.  Socket clients (nc, socat, telnet in
 * line mode) echo for themselves, so nothing is echoed to them.  QEMU's
 * monitor ends its lines in CR LF on every channel but stdio; so does this
 * one. */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, unlockpt, ptsname */
#include "frontends/monitor_chan.h"

#include "frontends/monitor_edit.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#define PROMPT "(popek) "
#define BANNER "Popek monitor - type 'help' for more information\n"

/* ---- what --monitor accepts ---- */

/* QEMU's socket options that ask for what the channel does anyway: it is
 * always the server, and it never waits for a client before the guest
 * starts (QEMU's ",server" alone would). */
static bool ignored_suffix(const char *s, size_t n)
{
    static const char *const ok[] = { "server", "server=on", "nowait", "wait=off" };
    for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
        if (strlen(ok[i]) == n && !strncmp(s, ok[i], n))
            return true;
    return false;
}

int monitor_chan_check(const char *spec, FILE *err)
{
    if (!strcmp(spec, "stdio") || !strcmp(spec, "pty") || !strcmp(spec, "none"))
        return 0;
    bool tcp = !strncmp(spec, "tcp:", 4);
    if (!tcp && strncmp(spec, "unix:", 5)) {
        fprintf(err, "popek: --monitor wants stdio, pty, tcp:[HOST]:PORT, unix:PATH or none, not '%s'\n", spec);
        return -1;
    }
    const char *addr = spec + (tcp ? 4 : 5);
    const char *comma = strchr(addr, ',');
    size_t alen = comma ? (size_t)(comma - addr) : strlen(addr);
    const char *colon = memchr(addr, ':', alen);
    if (tcp ? !colon || colon == addr + alen - 1 : alen == 0) {
        fprintf(err, "popek: --monitor %s: give %s\n", spec, tcp ? "tcp:[HOST]:PORT" : "unix:PATH");
        return -1;
    }
    while (comma) {
        const char *s = comma + 1;
        comma = strchr(s, ',');
        size_t n = comma ? (size_t)(comma - s) : strlen(s);
        if (!ignored_suffix(s, n)) {
            fprintf(err, "popek: --monitor %s: ',%.*s' is not supported (only ,server and ,nowait: the "
                         "monitor listens and never waits for a client)\n", spec, (int)n, s);
            return -1;
        }
    }
    return 0;
}

/* ---- output ---- */

/* Writes to a pty or a client.  A peer that reads nothing for a second
 * loses the rest (and what follows, until it sends something): the guest
 * must not stand still for it. */
static void put(struct monitor_chan *c, const char *buf, size_t len)
{
    if (c->fd < 0 || c->hup || c->stalled)
        return;
    while (len) {
        ssize_t n = c->kind == MONITOR_CHAN_SOCKET ? send(c->fd, buf, len, MSG_NOSIGNAL) : write(c->fd, buf, len);
        if (n > 0) {
            buf += n;
            len -= (size_t)n;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            struct pollfd p = { c->fd, POLLOUT, 0 };
            if (poll(&p, 1, 1000) <= 0) {
                c->stalled = true;
                return;
            }
        } else {
            return; /* gone: the next read sees it */
        }
    }
}

/* s with each "\n" as "\r\n". */
static void put_crlf(struct monitor_chan *c, const char *s, bool to_stdout)
{
    char buf[1024];
    size_t n = 0;
    for (;; s++) {
        if (!*s || n + 2 >= sizeof(buf)) {
            if (to_stdout)
                fwrite(buf, 1, n, stdout);
            else
                put(c, buf, n);
            n = 0;
            if (!*s)
                break;
        }
        if (*s == '\n')
            buf[n++] = '\r';
        buf[n++] = *s;
    }
}

bool monitor_chan_connected(const struct monitor_chan *c)
{
    return c->kind == MONITOR_CHAN_STDIO || (c->fd >= 0 && !c->hup);
}

void monitor_chan_write(struct monitor_chan *c, const char *s)
{
    if (c->kind == MONITOR_CHAN_STDIO) {
        fputs(s, stdout);
        fflush(stdout);
    } else {
        put_crlf(c, s, false);
    }
}

void monitor_chan_async(struct monitor_chan *c, const char *s)
{
    if (!monitor_chan_connected(c)) {
        fputs(s, stderr); /* nobody is there: the user still learns why the guest stopped */
        return;
    }
    if (c->editing && !monitor_edit_in_line()) {
        /* The editor holds the terminal in its own mode, the cursor after
         * the line being typed: start below it, end lines in CR LF. */
        if (!c->async_nl)
            fputs("\r\n", stdout);
        c->async_nl = true;
        put_crlf(c, s, true);
        fflush(stdout);
        return;
    }
    monitor_chan_write(c, s);
}

void monitor_chan_prompt(struct monitor_chan *c)
{
    /* A breakpoint hit inside a command (stepi N): the command's own
     * prompt follows its answer.  stdio on a pipe keeps both, as always. */
    if (c->in_cmd && (c->editing || c->kind != MONITOR_CHAN_STDIO))
        return;
    if (c->editing) {
        monitor_edit_prompt();
        c->async_nl = false;
    } else if (monitor_chan_connected(c)) {
        monitor_chan_write(c, PROMPT);
    }
}

static void greet(struct monitor_chan *c)
{
    c->len = 0;
    c->cr = false;
    c->stalled = false;
    monitor_chan_write(c, BANNER);
    monitor_chan_prompt(c);
}

/* ---- input ---- */

static void chan_print(void *opaque, const char *s)
{
    monitor_chan_write(opaque, s);
}

static void run_line(struct monitor_chan *c, const char *text)
{
    c->in_cmd = true;
    monitor_exec_to(c->mon, text, chan_print, c);
    c->in_cmd = false;
    if (!c->mon->m->stop)
        monitor_chan_prompt(c);
}

/* Bytes typed (or sent) without the line editor: CR, LF or CR LF ends a
 * line; a pty, raw and echoed here, also has backspace. */
static void take(struct monitor_chan *c, const char *buf, size_t n)
{
    bool echo = c->kind == MONITOR_CHAN_PTY;
    for (size_t i = 0; i < n && !c->mon->m->stop && c->fd >= 0; i++) {
        char ch = buf[i];
        bool after_cr = c->cr;
        c->cr = false;
        if (ch == '\r' || ch == '\n') {
            if (ch == '\n' && after_cr)
                continue;
            c->cr = ch == '\r';
            if (echo)
                put(c, "\r\n", 2);
            c->line[c->len] = 0;
            c->len = 0;
            run_line(c, c->line);
        } else if (echo && (ch == 0x7F || ch == 0x08)) {
            if (c->len) {
                c->len--;
                put(c, "\b \b", 3);
            }
        } else if (((unsigned char)ch >= 0x20 || ch == '\t') && c->len + 1 < sizeof(c->line)) {
            c->line[c->len++] = ch;
            if (echo)
                put(c, &ch, 1);
        }
    }
}

static void edit_line(void *opaque, char *text)
{
    struct monitor_chan *c = opaque;
    if (!text) {
        /* Ctrl-D: as on a pipe, the monitor's input is gone and the guest runs on. */
        monitor_edit_close();
        c->editing = false;
        c->eof = true;
        fputs("\npopek: the monitor's input ended; the guest runs on\n", stderr);
        return;
    }
    run_line(c, text);
}

static void poll_stdio(struct monitor_chan *c)
{
    /* Bounded: a terminal that hangs up stays readable, and the editor
     * takes a byte at a time. */
    for (int i = 0; i < 4096 && !c->eof && !c->mon->m->stop; i++) {
        struct pollfd p = { STDIN_FILENO, POLLIN, 0 };
        if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP)))
            return;
        if (c->editing) {
            monitor_edit_read();
            continue;
        }
        char buf[512];
        ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            return;
        if (n <= 0) {
            c->eof = true; /* the monitor's input is gone: the guest runs on */
            return;
        }
        take(c, buf, (size_t)n);
    }
}

static void poll_pty(struct monitor_chan *c)
{
    struct pollfd p = { c->fd, POLLIN, 0 };
    if (poll(&p, 1, 0) < 0)
        return;
    bool hup = p.revents & (POLLHUP | POLLERR);
    if (c->hup && !hup) {
        c->hup = false; /* someone opened it again */
        greet(c);
    }
    while ((p.revents & POLLIN) && c->fd >= 0 && !c->mon->m->stop) {
        char buf[512];
        ssize_t n = read(c->fd, buf, sizeof(buf));
        if (n <= 0)
            break; /* EAGAIN, or EIO once the peer's last words are read */
        c->stalled = false;
        take(c, buf, (size_t)n);
    }
    if (hup && !c->hup) {
        c->hup = true; /* the peer closed it: wait for the next one */
        c->len = 0;
    }
}

static void drop_client(struct monitor_chan *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
}

static void poll_socket(struct monitor_chan *c)
{
    /* The client first: one that has just gone makes way for a new one. */
    while (c->fd >= 0 && !c->mon->m->stop) {
        char buf[512];
        ssize_t n = recv(c->fd, buf, sizeof(buf), 0);
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            break;
        if (n <= 0) {
            drop_client(c);
            break;
        }
        c->stalled = false;
        take(c, buf, (size_t)n);
    }
    int fd;
    while (!c->mon->m->stop && (fd = sock_listen_accept(&c->sock)) >= 0) {
        if (c->fd >= 0) {
            static const char busy[] = "popek: the monitor has a client already; try again when it has gone\r\n";
            ssize_t n = send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL);
            (void)n;
            close(fd);
            continue;
        }
        c->fd = fd;
        greet(c);
    }
}

void monitor_chan_poll(struct monitor_chan *c)
{
    /* A command that runs the machine (rstepi replays from a checkpoint)
     * comes back here through the poll hook: the next line waits. */
    if (c->busy)
        return;
    c->busy = true;
    switch (c->kind) {
    case MONITOR_CHAN_STDIO: poll_stdio(c); break;
    case MONITOR_CHAN_PTY: poll_pty(c); break;
    case MONITOR_CHAN_SOCKET: poll_socket(c); break;
    }
    c->busy = false;
}

int monitor_chan_pollfds(const struct monitor_chan *c, struct pollfd *p)
{
    int n = 0;
    if (c->kind == MONITOR_CHAN_SOCKET && c->sock.fd >= 0)
        p[n++] = (struct pollfd){ c->sock.fd, POLLIN, 0 };
    /* A hung-up pty reports POLLHUP at once: looking for its next peer is
     * left to the caller's timeout. */
    if (c->kind == MONITOR_CHAN_STDIO ? !c->eof : c->fd >= 0 && !c->hup)
        p[n++] = (struct pollfd){ c->kind == MONITOR_CHAN_STDIO ? STDIN_FILENO : c->fd, POLLIN, 0 };
    return n;
}

/* ---- opening and closing ---- */

static int open_pty(struct monitor_chan *c)
{
    int master = posix_openpt(O_RDWR | O_NOCTTY);
    if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
        fprintf(stderr, "popek: --monitor pty: cannot create a pseudo-terminal: %s\n", strerror(errno));
        if (master >= 0)
            close(master);
        return -1;
    }
    snprintf(c->where, sizeof(c->where), "%s", ptsname(master));
    /* Raw, as QEMU leaves its ptys: the peer's terminal program does the
     * echoing it wants, and we echo what a raw terminal would not. */
    struct termios tio;
    int slave = open(c->where, O_RDWR | O_NOCTTY);
    if (slave >= 0 && tcgetattr(slave, &tio) == 0) {
        cfmakeraw(&tio);
        tcsetattr(slave, TCSANOW, &tio);
    }
    if (slave >= 0)
        close(slave);
    fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
    c->fd = master;
    fprintf(stderr, "popek: monitor on %s\n", c->where);
    /* Nobody has it open yet: greeted when someone does (poll_pty).  A
     * greeting written now would wait for the first reader, and, when the
     * first poll came before that reader, be followed by a second one. */
    c->hup = true;
    return 0;
}

static int open_socket(struct monitor_chan *c, const char *spec)
{
    char addr[256];
    snprintf(addr, sizeof(addr), "%.*s", (int)strcspn(spec, ","), spec);
    if (sock_listen_open(&c->sock, addr, "--monitor") < 0)
        return -1;
    snprintf(c->where, sizeof(c->where), "%s", c->sock.where);
    fprintf(stderr, "popek: monitor on %s\n", c->where);
    return 0;
}

int monitor_chan_open(struct monitor_chan *c, const char *spec, struct monitor *mon)
{
    memset(c, 0, sizeof(*c));
    c->mon = mon;
    c->fd = -1;
    c->sock.fd = -1;
    if (monitor_chan_check(spec, stderr) < 0 || !strcmp(spec, "none"))
        return -1;
    if (!strcmp(spec, "pty")) {
        c->kind = MONITOR_CHAN_PTY;
        return open_pty(c);
    }
    if (strcmp(spec, "stdio")) {
        c->kind = MONITOR_CHAN_SOCKET;
        return open_socket(c, spec);
    }
    c->kind = MONITOR_CHAN_STDIO;
    c->fd = STDIN_FILENO;
    snprintf(c->where, sizeof(c->where), "standard input and output");
    if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO)) {
        /* A person: greet, and edit lines when libedit is there (it
         * draws the prompt itself). */
        fputs(BANNER, stdout);
        fflush(stdout);
        c->editing = monitor_edit_open(PROMPT, edit_line, c);
        if (c->editing)
            return 0;
    }
    monitor_chan_write(c, PROMPT);
    return 0;
}

void monitor_chan_close(struct monitor_chan *c)
{
    if (c->editing)
        monitor_edit_close();
    c->editing = false;
    if (c->kind != MONITOR_CHAN_STDIO && c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    sock_listen_close(&c->sock);
}
