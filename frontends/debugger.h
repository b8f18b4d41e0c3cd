/* The frontend's debugging tools around one machine: the monitor with its
 * symbols and disassembler, its --monitor channel, and what happens
 * when one of the monitor's breakpoints stops the run (the guest pauses
 * and the monitor says where).  gdb's `monitor` commands come here too. */
#ifndef POPEK_FRONTENDS_DEBUGGER_H
#define POPEK_FRONTENDS_DEBUGGER_H

#include <stdbool.h>
#include <stdio.h>

#include "frontends/monitor.h"
#include "frontends/monitor_chan.h"
#include "frontends/options.h"
#include "machine/disasm.h"
#include "machine/symbols.h"

struct debugger {
    struct monitor mon;
    struct symtab syms;
    struct disasm dis;
    bool dis_ok;
    struct machine *m;
    const struct options *opt;
    bool *paused;   /* the frontend's pause flag (the terminal's) */
    struct monitor_chan chan; /* --monitor */
    bool has_chan;
};

struct terminal;

/* Loads --symbols (or the symbols of a --kernel ELF, quietly) and opens
 * the disassembler.  Returns 0, or -1 after a message. */
int debugger_open(struct debugger *d, struct machine *m, const struct options *opt, bool *paused);
void debugger_close(struct debugger *d);
/* Between slices: serves the --monitor channel. */
void debugger_poll(struct debugger *d);
/* The guest is paused: waits up to ms for the channel or for in_fd (the
 * serial console's input; -1: none) to have something to read. */
void debugger_wait(struct debugger *d, int in_fd, int ms);
/* The window's monitor key (Ctrl-Alt-2): the monitor on the terminal
 * popek runs in, through the serial console's Ctrl-A c when it has the
 * terminal (t, when serial_on_tty) or as a stdio channel opened now; or,
 * where there is no terminal to use, a line on standard error saying
 * where the monitor is. */
void debugger_monitor_key(struct debugger *d, struct terminal *t, bool serial_on_tty);
/* The run stopped at a monitor breakpoint: say where; the guest pauses. */
void debugger_hit(struct debugger *d);
/* The trace's mnemonic column (cpu_disasm_fn): Capstone's text, after
 * <symbol+offset> where a symbol covers the address. */
unsigned debugger_trace_disasm(void *opaque, unsigned bits, uint32_t addr, const uint8_t *code, size_t len,
                               char *buf, size_t buflen);
/* For gdb's qRcmd. */
void debugger_rcmd(void *opaque, const char *line, FILE *out);

#endif
