/* The monitor's line editor on a terminal: libedit's readline interface
 * in its callback form (rl_callback_handler_install, rl_callback_read_char),
 * because el_gets() and readline() block until a whole line is typed, and
 * the guest must run meanwhile.  The channel calls monitor_edit_read()
 * when poll() says a byte is waiting; libedit takes it in unbuffered mode
 * and hands a finished line to the callback.
 *
 * libedit's emulation leaves its unbuffered mode before it calls the line
 * callback and stays out of it, so its next read would wait for a whole
 * line: monitor_edit_prompt() installs the callback again after each line,
 * which re-enters unbuffered mode and draws the prompt.  The state is
 * static because libedit's readline interface is one per process. */
#include "frontends/monitor_edit.h"

#include <stdio.h>
#include <stdlib.h>

#ifdef POPEK_HAVE_LIBEDIT
#include <editline/readline.h>

static struct {
    bool open, in_line;
    const char *prompt;
    void (*line)(void *opaque, char *text);
    void *opaque;
} edit;

static void edit_line(char *text)
{
    edit.in_line = true;
    if (text && *text)
        add_history(text);
    edit.line(edit.opaque, text);
    free(text);
    edit.in_line = false;
}

bool monitor_edit_open(const char *prompt, void (*line)(void *opaque, char *text), void *opaque)
{
    edit.prompt = prompt;
    edit.line = line;
    edit.opaque = opaque;
    /* Popek's own SIGINT/SIGTERM/SIGHUP handlers end the run cleanly. */
    rl_catch_signals = 0;
    rl_readline_name = "popek"; /* "popek:" lines in ~/.editrc are ours */
    using_history();
    stifle_history(500);
    rl_callback_handler_install(prompt, edit_line);
    edit.open = true;
    return true;
}

void monitor_edit_read(void)
{
    if (edit.open)
        rl_callback_read_char();
}

void monitor_edit_prompt(void)
{
    if (!edit.open)
        return;
    if (edit.in_line) {
        rl_callback_handler_install(edit.prompt, edit_line);
    } else {
        /* Text was printed below the line being typed: draw prompt and
         * line again on the fresh line. */
        rl_forced_update_display();
    }
}

bool monitor_edit_in_line(void)
{
    return edit.in_line;
}

void monitor_edit_close(void)
{
    if (!edit.open)
        return;
    rl_callback_handler_remove();
    edit.open = false;
}

#else /* without libedit: plain lines */

bool monitor_edit_open(const char *prompt, void (*line)(void *opaque, char *text), void *opaque)
{
    (void)prompt;
    (void)line;
    (void)opaque;
    return false;
}

void monitor_edit_read(void)
{
}

void monitor_edit_prompt(void)
{
}

bool monitor_edit_in_line(void)
{
    return false;
}

void monitor_edit_close(void)
{
}

#endif
