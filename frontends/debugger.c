/* The frontend's debugging tools (see debugger.h). */
#include "frontends/debugger.h"

#include "frontends/terminal.h"

#include <poll.h>
#include <string.h>
#include <unistd.h>

/* What the monitor says outside a command (a breakpoint's report): on the
 * channel, or on standard output when there is none (the terminal's
 * Ctrl-A c shares it with the guest's console). */
static void print_default(void *opaque, const char *s)
{
    struct debugger *d = opaque;
    if (d->has_chan) {
        monitor_chan_async(&d->chan, s);
        return;
    }
    fputs(s, stdout);
    fflush(stdout);
}

static bool ops_paused(void *opaque)
{
    struct debugger *d = opaque;
    return *d->paused;
}

static void ops_set_paused(void *opaque, bool paused)
{
    struct debugger *d = opaque;
    *d->paused = paused;
}

static void ops_step(void *opaque, unsigned n)
{
    struct debugger *d = opaque;
    for (unsigned i = 0; i < n && !d->m->stop; i++) {
        enum cpu_exit why = machine_step(d->m);
        if (why == CPU_EXIT_DEBUG && i + 1 < n) {
            debugger_hit(d);
            break;
        }
        if (why == CPU_EXIT_ERROR || why == CPU_EXIT_SHUTDOWN)
            break;
    }
}

static void ops_quit(void *opaque)
{
    struct debugger *d = opaque;
    *d->paused = false;
    machine_request_exit(d->m, 0);
}

static void ops_info_block(void *opaque, void (*print)(void *p, const char *s), void *p)
{
    struct debugger *d = opaque;
    static const char *const ide[4] = { "ide0-hd0 (hda)", "ide0-hd1 (hdb)", "ide1-hd0 (hdc)", "ide1-hd1 (hdd)" };
    static const char *const fd[2] = { "floppy0 (fda)", "floppy1 (fdb)" };
    char buf[700];
    bool any = false;
    for (int i = 0; i < 6; i++) {
        const struct drive_opt *o = i < 4 ? &d->opt->ide[i] : &d->opt->fd[i - 4];
        if (!o->file)
            continue;
        snprintf(buf, sizeof(buf), "%s: %s (%s%s%s%s)\n", i < 4 ? ide[i] : fd[i - 4], o->file,
                 o->cdrom ? "cdrom" : "disk", o->format == 2 ? ", qcow2" : o->format == 1 ? ", raw" : "",
                 o->read_only || o->cdrom ? ", read-only" : "", o->snapshot || d->opt->snapshot ? ", snapshot" : "");
        print(p, buf);
        any = true;
    }
    if (!any)
        print(p, "no drives\n");
}

static const struct monitor_ops ops = {
    .paused = ops_paused,
    .set_paused = ops_set_paused,
    .step = ops_step,
    .quit = ops_quit,
    .info_block = ops_info_block,
};

int debugger_open(struct debugger *d, struct machine *m, const struct options *opt, bool *paused)
{
    memset(d, 0, sizeof(*d));
    d->m = m;
    d->opt = opt;
    d->paused = paused;
    symtab_init(&d->syms);
    if (opt->symbols) {
        if (symtab_load(&d->syms, opt->symbols) < 0)
            return -1;
    } else if (opt->kernel) {
        symtab_load_elf_quiet(&d->syms, opt->kernel); /* a multiboot ELF's own symbols, if it kept them */
    }
    /* Without Capstone the monitor still works, without x/i. */
    d->dis_ok = disasm_init(&d->dis, false) == 0;
    monitor_init(&d->mon, m, print_default, d, &ops, d);
    d->mon.syms = &d->syms;
    d->mon.dis = d->dis_ok ? &d->dis : NULL;
    if (opt->monitor) {
        if (monitor_chan_open(&d->chan, opt->monitor, &d->mon) < 0) {
            debugger_close(d);
            return -1;
        }
        d->has_chan = true;
    }
    return 0;
}

void debugger_close(struct debugger *d)
{
    if (d->has_chan)
        monitor_chan_close(&d->chan);
    d->has_chan = false;
    symtab_free(&d->syms);
    if (d->dis_ok)
        disasm_free(&d->dis);
    d->dis_ok = false;
}

void debugger_poll(struct debugger *d)
{
    if (d->has_chan)
        monitor_chan_poll(&d->chan);
}

void debugger_wait(struct debugger *d, int in_fd, int ms)
{
    struct pollfd p[3];
    int n = d->has_chan ? monitor_chan_pollfds(&d->chan, p) : 0;
    if (in_fd >= 0)
        p[n++] = (struct pollfd){ in_fd, POLLIN, 0 };
    poll(p, (nfds_t)n, ms); /* with nothing to watch, a sleep */
}

void debugger_hit(struct debugger *d)
{
    *d->paused = true;
    monitor_report_hit(&d->mon);
    if (d->has_chan)
        monitor_chan_prompt(&d->chan);
}

void debugger_monitor_key(struct debugger *d, struct terminal *t, bool serial_on_tty)
{
    if (serial_on_tty) {
        if (t->raw) {
            terminal_monitor_open(t);
            return;
        }
        fprintf(stderr, "popek: the monitor: COM1 has standard input, which is no terminal%s%s\n",
                d->has_chan ? "; the monitor is on " : "", d->has_chan ? d->chan.where : "");
        return;
    }
    if (d->has_chan) {
        fprintf(stderr, "popek: the monitor is on %s\n", d->chan.where);
        return;
    }
    /* A terminal nobody uses, with popek in its foreground (reading it
     * from the background would stop the process): the monitor goes there. */
    if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && tcgetpgrp(STDIN_FILENO) == getpgrp() &&
        monitor_chan_open(&d->chan, "stdio", &d->mon) == 0) {
        d->has_chan = true;
        return;
    }
    fprintf(stderr, "popek: no monitor here: start popek with --monitor stdio, pty, tcp:[HOST]:PORT or "
                    "unix:PATH (or from a terminal)\n");
}

static void print_file(void *opaque, const char *s)
{
    fputs(s, (FILE *)opaque);
}

void debugger_rcmd(void *opaque, const char *line, FILE *out)
{
    struct debugger *d = opaque;
    monitor_exec_to(&d->mon, line, print_file, out);
}

unsigned debugger_trace_disasm(void *opaque, unsigned bits, uint32_t addr, const uint8_t *code, size_t len,
                               char *buf, size_t buflen)
{
    struct debugger *d = opaque;
    if (!d->dis_ok)
        return 0;
    char text[80], sym[120];
    unsigned n = disasm_one(&d->dis, bits, addr, code, len, text, sizeof(text));
    if (!n)
        return 0;
    if (symtab_format(&d->syms, addr, sym, sizeof(sym)))
        snprintf(buf, buflen, "<%s> %s", sym, text);
    else
        snprintf(buf, buflen, "%s", text);
    return n;
}
