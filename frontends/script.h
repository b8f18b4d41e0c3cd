/* Actions at given guest times (--at TIME:COMMAND), for tests and for
 * users who want a screenshot or a keypress without a window: guest time
 * follows executed instructions, so an action lands at the same point of
 * the guest's run every time.  Commands, with QEMU monitor spellings:
 *
 *   quit                 end the run (status 0)
 *   sendkey KEYS         press and release KEYS: QEMU key names joined by
 *                        '-' are held together (ctrl-alt-delete, esc, f12,
 *                        ret, a, 1, shift-a, up, ...)
 *   type TEXT            type printable ASCII text
 *   screendump FILE      the screen: a PNG, or text when FILE ends in .txt
 *   registers            the CPU state on standard error (QEMU's info registers)
 *   break                stop as a debugger's Ctrl-C would
 *   savevm FILE          save the machine's state to FILE (--loadvm resumes it)
 *
 * TIME is a number with an optional unit: ns, us, ms, s (the default),
 * counted from the start of this run (after --loadvm, from the saved point). */
#ifndef POPEK_FRONTENDS_SCRIPT_H
#define POPEK_FRONTENDS_SCRIPT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "devices/clock.h"

struct machine;

#define SCRIPT_MAX 32
#define SCRIPT_ARG_MAX 512

enum script_kind { SCRIPT_QUIT, SCRIPT_SENDKEY, SCRIPT_TYPE, SCRIPT_SCREENDUMP, SCRIPT_REGISTERS, SCRIPT_BREAK, SCRIPT_SAVEVM };

struct script_action {
    uint64_t at_ns;
    enum script_kind kind;
    char arg[SCRIPT_ARG_MAX];
    unsigned pos;  /* type: characters typed so far (one every 20 ms) */
    bool done;
};

struct script {
    struct script_action act[SCRIPT_MAX];
    unsigned n;
    struct vtimer timer; /* one timer, armed for the earliest pending action */
    struct machine *m;
    /* Writes the screen to path (PNG, or text for .txt); returns 0 or -1
     * after a message.  Set by the frontend. */
    int (*screendump)(void *opaque, const char *path);
    void *screendump_opaque;
    bool failed; /* an action could not be done: the run ends with status 1 */
};

/* Parses "TIME:COMMAND [ARG]" into the next slot.  Returns 0, or -1 after
 * a message to err. */
int script_parse(struct script *s, const char *text, FILE *err);
/* Arms every action on m's clock.  Returns 0 or -1 (no timer left). */
int script_arm(struct script *s, struct machine *m);
/* Presses and releases a QEMU-style key combination on the keyboard
 * ("ctrl-alt-delete"); returns false for an unknown key name. */
bool script_sendkey(struct machine *m, const char *keys);

#endif
