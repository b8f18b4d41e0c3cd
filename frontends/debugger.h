/* The frontend's debugging tools around one machine: the monitor with its
 * symbols and disassembler, the --monitor stdio channel, and what happens
 * when one of the monitor's breakpoints stops the run (the guest pauses
 * and the monitor says where).  gdb's `monitor` commands come here too. */
#ifndef POPEK_FRONTENDS_DEBUGGER_H
#define POPEK_FRONTENDS_DEBUGGER_H

#include <stdbool.h>
#include <stdio.h>

#include "frontends/monitor.h"
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
    bool stdio;     /* --monitor stdio */
    bool stdin_eof;
    char line[512];
    size_t len;
};

/* Loads --symbols (or the symbols of a --kernel ELF, quietly) and opens
 * the disassembler.  Returns 0, or -1 after a message. */
int debugger_open(struct debugger *d, struct machine *m, const struct options *opt, bool *paused);
void debugger_close(struct debugger *d);
/* Between slices: serves --monitor stdio. */
void debugger_poll(struct debugger *d);
/* The run stopped at a monitor breakpoint: say where; the guest pauses. */
void debugger_hit(struct debugger *d);
/* The trace's mnemonic column (cpu_disasm_fn): Capstone's text, after
 * <symbol+offset> where a symbol covers the address. */
unsigned debugger_trace_disasm(void *opaque, unsigned bits, uint32_t addr, const uint8_t *code, size_t len,
                               char *buf, size_t buflen);
/* For gdb's qRcmd. */
void debugger_rcmd(void *opaque, const char *line, FILE *out);

#endif
