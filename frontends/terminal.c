/* The user's terminal as the guest's serial console: raw mode, so keys
 * reach the guest as typed, with the escape key Ctrl-A as in QEMU:
 * Ctrl-A x quits, Ctrl-A c toggles a small monitor, Ctrl-A h helps,
 * Ctrl-A Ctrl-A sends a Ctrl-A to the guest.  While the guest idles the
 * terminal waits for input (up to the guest's next timer in real time), so
 * an idle interactive guest costs no host time. */
#include "frontends/terminal.h"

#include "frontends/monitor.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ESCAPE_KEY 0x01 /* Ctrl-A */

static void say(struct terminal *t, const char *s)
{
    ssize_t n = write(t->out_fd, s, strlen(s));
    (void)n;
}

void terminal_open(struct terminal *t, int in_fd, int out_fd, struct chardev *cd, struct machine *m)
{
    memset(t, 0, sizeof(*t));
    t->in_fd = in_fd;
    t->out_fd = out_fd;
    t->cd = cd;
    t->m = m;
    if (in_fd >= 0 && isatty(in_fd) && tcgetattr(in_fd, &t->saved) == 0) {
        struct termios raw = t->saved;
        cfmakeraw(&raw);
        /* Keep output post-processing so host messages print normally. */
        raw.c_oflag |= OPOST | ONLCR;
        if (tcsetattr(in_fd, TCSANOW, &raw) == 0)
            t->raw = true;
    }
}

void terminal_close(struct terminal *t)
{
    if (t->raw) {
        tcsetattr(t->in_fd, TCSANOW, &t->saved);
        t->raw = false;
    }
}

/* The monitor's answers on a raw terminal: lines end in CR LF. */
static void monitor_print(void *opaque, const char *s)
{
    struct terminal *t = opaque;
    char buf[2048];
    size_t n = 0;
    for (; *s; s++) {
        if (n + 2 >= sizeof(buf)) {
            ssize_t w = write(t->out_fd, buf, n);
            (void)w;
            n = 0;
        }
        if (*s == '\n')
            buf[n++] = '\r';
        buf[n++] = *s;
    }
    ssize_t w = write(t->out_fd, buf, n);
    (void)w;
}

static void monitor_command(struct terminal *t, char *cmd)
{
    while (*cmd == ' ')
        cmd++;
    if (!strcmp(cmd, "c") || !strcmp(cmd, "cont")) {
        /* Here "c" also gives the keyboard back to the guest, as before. */
        bool was = t->paused;
        t->paused = false;
        t->monitor = false;
        say(t, was ? "(running; back to the guest)\r\n" : "(back to the guest)\r\n");
        return;
    }
    if (t->mon)
        monitor_exec_to(t->mon, cmd, monitor_print, t);
    else if (*cmd)
        say(t, "no monitor\r\n");
    if (t->monitor)
        say(t, "(popek) ");
}

static void monitor_key(struct terminal *t, uint8_t b)
{
    if (b == '\r' || b == '\n') {
        say(t, "\r\n");
        t->line[t->line_len] = 0;
        t->line_len = 0;
        monitor_command(t, t->line);
    } else if ((b == 0x7F || b == 0x08) && t->line_len) {
        t->line_len--;
        say(t, "\b \b");
    } else if (b >= 0x20 && b < 0x7F && t->line_len + 1 < sizeof(t->line)) {
        t->line[t->line_len++] = (char)b;
        char s[2] = { (char)b, 0 };
        say(t, s);
    }
}

void terminal_monitor_open(struct terminal *t)
{
    t->line_len = 0; /* a fresh prompt: what was typed before is not shown on it */
    t->monitor = true;
    say(t, "\r\n(popek) ");
}

static void key(struct terminal *t, uint8_t b)
{
    if (t->escape) {
        t->escape = false;
        switch (b) {
        case 'x': case 'X':
            say(t, "\r\npopek: terminated by Ctrl-A x\r\n");
            machine_request_exit(t->m, 0);
            return;
        case 'c': case 'C':
            t->monitor = !t->monitor;
            say(t, t->monitor ? "\r\n(popek) " : "\r\n(back to the guest)\r\n");
            return;
        case 'h': case 'H': case '?':
            say(t, "\r\nCtrl-A x: quit   Ctrl-A c: monitor   Ctrl-A Ctrl-A: send Ctrl-A\r\n");
            return;
        case ESCAPE_KEY:
            break; /* a literal Ctrl-A for the guest */
        default:
            return;
        }
    } else if (b == ESCAPE_KEY) {
        t->escape = true;
        return;
    }
    if (t->monitor)
        monitor_key(t, b);
    else if (t->cd)
        chardev_push_input(t->cd, b);
}

static void read_input(struct terminal *t, int timeout_ms)
{
    if (t->in_fd < 0)
        return;
    struct pollfd p = { t->in_fd, POLLIN, 0 };
    while (poll(&p, 1, timeout_ms) > 0 && (p.revents & POLLIN)) {
        uint8_t buf[256];
        ssize_t n = read(t->in_fd, buf, sizeof(buf));
        if (n <= 0) {
            t->in_fd = -1; /* end of input: stop reading, keep running */
            return;
        }
        for (ssize_t i = 0; i < n; i++)
            key(t, buf[i]);
        timeout_ms = 0;
    }
}

void terminal_poll(void *opaque)
{
    read_input(opaque, 0);
}

void terminal_idle(void *opaque, uint64_t ns)
{
    /* Wait in real time for at most the guest's idle time (capped, so a
     * far-off timer never freezes the console). */
    uint64_t ms = ns / 1000000;
    read_input(opaque, ms > 100 ? 100 : (int)ms);
}
