/* Line editing and history for the monitor when its channel is a terminal
 * (--monitor stdio on a tty), with libedit (see monitor_edit.c).  Without
 * libedit at build time monitor_edit_open() says no and the channel reads
 * plain lines. */
#ifndef POPEK_FRONTENDS_MONITOR_EDIT_H
#define POPEK_FRONTENDS_MONITOR_EDIT_H

#include <stdbool.h>

/* Takes standard input (a terminal) for editing lines behind prompt and
 * shows the prompt.  line(opaque, text) gets each line typed, without its
 * newline (NULL at end of input: Ctrl-D on an empty line); it runs with
 * the terminal back in its normal mode, and a new prompt is due from
 * monitor_edit_prompt() once its answer is printed.  False: no libedit.
 * One editor per process: libedit's readline interface is global. */
bool monitor_edit_open(const char *prompt, void (*line)(void *opaque, char *text), void *opaque);
/* Standard input has a byte: takes it in (never waits for more). */
void monitor_edit_read(void);
/* A new prompt (after a line's answer, or after text printed on the
 * terminal behind the editor's back, such as a breakpoint's report). */
void monitor_edit_prompt(void);
/* Inside line(): the terminal is in its normal mode. */
bool monitor_edit_in_line(void);
/* Gives the terminal back as it was; safe to repeat. */
void monitor_edit_close(void);

#endif
