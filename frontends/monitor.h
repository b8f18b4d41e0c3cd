/* The monitor: QEMU-style commands to look at and steer a machine, the
 * same wherever they are typed (the terminal's Ctrl-A c, the --monitor
 * channel, gdb's `monitor` through qRcmd).  A monitor owns no channel: it
 * takes a line and prints its answer through a callback; what only the
 * frontend can do (pause, run, step, quit, the disks it opened) comes
 * through monitor_ops.  See docs/debugging.md for the command list. */
#ifndef POPEK_FRONTENDS_MONITOR_H
#define POPEK_FRONTENDS_MONITOR_H

#include <stdbool.h>
#include <stdint.h>

#include "machine/disasm.h"
#include "machine/machine.h"
#include "machine/symbols.h"

struct monitor_ops {
    bool (*paused)(void *opaque);
    void (*set_paused)(void *opaque, bool paused);
    /* Executes up to n instructions at once (the guest is paused). */
    void (*step)(void *opaque, unsigned n);
    void (*quit)(void *opaque);
    /* Prints one line per drive through print (info block); may be NULL. */
    void (*info_block)(void *opaque, void (*print)(void *p, const char *s), void *p);
};

#define MONITOR_MAX_BREAKS 32

struct monitor_break {
    bool used;
    enum cpu_watch kind;
    uint32_t addr, len;
};

struct monitor {
    struct machine *m;
    struct symtab *syms; /* may be NULL */
    struct disasm *dis;  /* may be NULL: no x/i */
    void (*print)(void *opaque, const char *s);
    void *print_opaque;
    const struct monitor_ops *ops;
    void *ops_opaque;
    /* x and xp remember their format and where they stopped, as QEMU's. */
    char fmt;
    unsigned size;
    uint32_t next;
    struct monitor_break brk[MONITOR_MAX_BREAKS];
};

void monitor_init(struct monitor *mon, struct machine *m, void (*print)(void *opaque, const char *s),
                  void *print_opaque, const struct monitor_ops *ops, void *ops_opaque);
/* Runs one command line.  Returns false for an unknown command or bad
 * arguments (after saying why). */
bool monitor_exec(struct monitor *mon, const char *line);
/* The same, with the answer going to print(opaque, ...) this once. */
bool monitor_exec_to(struct monitor *mon, const char *line, void (*print)(void *opaque, const char *s),
                     void *opaque);
/* What the monitor says when one of its breakpoints or watchpoints stops
 * the machine ("breakpoint 1 at 0x100000 <start>"). */
void monitor_report_hit(struct monitor *mon);

#endif
