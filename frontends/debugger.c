/* The frontend's debugging tools (see debugger.h). */
#include "frontends/debugger.h"

#include <errno.h>
#include <poll.h>
#include <string.h>
#include <unistd.h>

static void print_stdout(void *opaque, const char *s)
{
    (void)opaque;
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
    d->stdio = opt->monitor_stdio;
    symtab_init(&d->syms);
    if (opt->symbols) {
        if (symtab_load(&d->syms, opt->symbols) < 0)
            return -1;
    } else if (opt->kernel) {
        symtab_load_elf_quiet(&d->syms, opt->kernel); /* a multiboot ELF's own symbols, if it kept them */
    }
    /* Without Capstone the monitor still works, without x/i. */
    d->dis_ok = disasm_init(&d->dis, false) == 0;
    monitor_init(&d->mon, m, print_stdout, d, &ops, d);
    d->mon.syms = &d->syms;
    d->mon.dis = d->dis_ok ? &d->dis : NULL;
    if (d->stdio) {
        fputs("(popek) ", stdout);
        fflush(stdout);
    }
    return 0;
}

void debugger_close(struct debugger *d)
{
    symtab_free(&d->syms);
    if (d->dis_ok)
        disasm_free(&d->dis);
    d->dis_ok = false;
}

void debugger_poll(struct debugger *d)
{
    if (!d->stdio || d->stdin_eof)
        return;
    for (;;) {
        struct pollfd p = { STDIN_FILENO, POLLIN, 0 };
        if (poll(&p, 1, 0) <= 0 || !(p.revents & (POLLIN | POLLHUP)))
            return;
        char c;
        ssize_t n = read(STDIN_FILENO, &c, 1);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            return;
        if (n <= 0) {
            d->stdin_eof = true; /* the monitor's input is gone: the guest runs on */
            return;
        }
        if (c == '\n') {
            d->line[d->len] = 0;
            d->len = 0;
            monitor_exec(&d->mon, d->line);
            if (!d->m->stop) {
                fputs("(popek) ", stdout);
                fflush(stdout);
            }
        } else if (d->len + 1 < sizeof(d->line) && c != '\r') {
            d->line[d->len++] = c;
        }
    }
}

void debugger_hit(struct debugger *d)
{
    *d->paused = true;
    monitor_report_hit(&d->mon);
    if (d->stdio) {
        fputs("(popek) ", stdout);
        fflush(stdout);
    }
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
