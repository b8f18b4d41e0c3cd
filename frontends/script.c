/* Timed actions (see script.h). */
#include "frontends/script.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/ps2.h"
#include "machine/machine.h"
#include "machine/replay.h"
#include "machine/savestate.h"

/* QEMU's key names (its monitor's sendkey) for the keys that are not a
 * printable character, as scan code set 2 make codes. */
static const struct {
    const char *name;
    uint16_t code;
} key_names[] = {
    { "esc", 0x76 },      { "ret", 0x5A },       { "kp_enter", 0xE05A }, { "spc", 0x29 },
    { "tab", 0x0D },      { "backspace", 0x66 }, { "shift", 0x12 },      { "shift_r", 0x59 },
    { "ctrl", 0x14 },     { "ctrl_r", 0xE014 },  { "alt", 0x11 },        { "alt_r", 0xE011 },
    { "caps_lock", 0x58 }, { "num_lock", 0x77 }, { "scroll_lock", 0x7E }, { "f1", 0x05 },
    { "f2", 0x06 },       { "f3", 0x04 },        { "f4", 0x0C },         { "f5", 0x03 },
    { "f6", 0x0B },       { "f7", 0x83 },        { "f8", 0x0A },         { "f9", 0x01 },
    { "f10", 0x09 },      { "f11", 0x78 },       { "f12", 0x07 },        { "up", 0xE075 },
    { "down", 0xE072 },   { "left", 0xE06B },    { "right", 0xE074 },    { "home", 0xE06C },
    { "end", 0xE069 },    { "pgup", 0xE07D },    { "pgdn", 0xE07A },     { "insert", 0xE070 },
    { "delete", 0xE071 }, { "minus", 0x4E },     { "equal", 0x55 },      { "comma", 0x41 },
    { "dot", 0x49 },      { "slash", 0x4A },     { "semicolon", 0x4C },  { "apostrophe", 0x52 },
    { "backslash", 0x5D }, { "bracket_left", 0x54 }, { "bracket_right", 0x5B }, { "grave_accent", 0x0E },
    { "meta_l", 0xE01F }, { "meta_r", 0xE027 },  { "menu", 0xE02F },
};

static bool key_code(const char *name, size_t len, uint16_t *code)
{
    for (size_t i = 0; i < sizeof(key_names) / sizeof(key_names[0]); i++)
        if (strlen(key_names[i].name) == len && strncmp(key_names[i].name, name, len) == 0) {
            *code = key_names[i].code;
            return true;
        }
    bool shift;
    if (len == 1 && name[0] != '-' && ps2_kbd_ascii_keycode(name[0], code, &shift) && !shift)
        return true;
    return false;
}

bool script_sendkey(struct machine *m, const char *keys)
{
    uint16_t codes[8];
    unsigned n = 0;
    const char *p = keys;
    while (*p) {
        const char *dash = strchr(p + 1, '-'); /* p + 1: a lone "-" is not a separator */
        size_t len = dash ? (size_t)(dash - p) : strlen(p);
        if (n == 8 || !key_code(p, len, &codes[n]))
            return false;
        n++;
        p += len;
        if (*p == '-')
            p++;
    }
    if (n == 0)
        return false;
    for (unsigned i = 0; i < n; i++)
        machine_input_key(m, codes[i], true);
    for (unsigned i = n; i-- > 0;)
        machine_input_key(m, codes[i], false);
    return true;
}

/* Typing paces itself: the keyboard holds 16 bytes, a key press and
 * release take up to 6, and the guest reads them at its own speed. */
#define TYPE_INTERVAL_NS 20000000ull

static void run_action(struct script *s, struct script_action *a, uint64_t now)
{
    switch (a->kind) {
    case SCRIPT_QUIT:
        machine_request_exit(s->m, 0);
        break;
    case SCRIPT_SENDKEY:
        script_sendkey(s->m, a->arg);
        break;
    case SCRIPT_TYPE:
        machine_input_type_char(s->m, a->arg[a->pos++]);
        if (a->arg[a->pos]) {
            a->at_ns = now + TYPE_INTERVAL_NS;
            return;
        }
        break;
    case SCRIPT_REGISTERS:
        cpu_dump(s->m->cpu, stderr);
        break;
    case SCRIPT_BREAK: /* as a debugger's Ctrl-C: gdb hears SIGINT, the monitor pauses */
        machine_request_break(s->m);
        break;
    case SCRIPT_SAVEVM: /* at the slice boundary that follows, not inside this timer */
        machine_request_savevm(s->m, a->arg);
        break;
    case SCRIPT_SCREENDUMP:
        if (!s->screendump || s->screendump(s->screendump_opaque, a->arg) < 0) {
            s->failed = true;
            machine_request_exit(s->m, 1);
        }
        break;
    }
    a->done = true;
}

static void arm_next(struct script *s)
{
    uint64_t next = CLOCK_NEVER;
    for (unsigned i = 0; i < s->n; i++)
        if (!s->act[i].done && s->act[i].at_ns < next)
            next = s->act[i].at_ns;
    if (next == CLOCK_NEVER)
        clock_timer_del(&s->timer);
    else
        clock_timer_mod(&s->timer, next);
}

static void script_fire(void *opaque, uint64_t now)
{
    struct script *s = opaque;
    /* In the order given on the command line among equal times. */
    for (unsigned i = 0; i < s->n; i++)
        if (!s->act[i].done && s->act[i].at_ns <= now)
            run_action(s, &s->act[i], now);
    arm_next(s);
}

static int parse_time(const char *t, size_t len, uint64_t *ns)
{
    char buf[32];
    if (len == 0 || len >= sizeof(buf))
        return -1;
    memcpy(buf, t, len);
    buf[len] = 0;
    char *end;
    errno = 0;
    double v = strtod(buf, &end);
    if (errno || end == buf || v < 0 || v > 1e6)
        return -1;
    double scale = 1e9;
    if (!strcmp(end, "ns"))
        scale = 1;
    else if (!strcmp(end, "us"))
        scale = 1e3;
    else if (!strcmp(end, "ms"))
        scale = 1e6;
    else if (*end && strcmp(end, "s"))
        return -1;
    *ns = (uint64_t)(v * scale);
    return 0;
}

int script_parse(struct script *s, const char *text, FILE *err)
{
    const char *colon = strchr(text, ':');
    if (s->n == SCRIPT_MAX) {
        fprintf(err, "popek: --at: at most %d actions\n", SCRIPT_MAX);
        return -1;
    }
    struct script_action *a = &s->act[s->n];
    memset(a, 0, sizeof(*a));
    if (!colon || parse_time(text, (size_t)(colon - text), &a->at_ns) < 0) {
        fprintf(err, "popek: --at wants TIME:COMMAND, TIME like 2.5s or 300ms, not '%s'\n", text);
        return -1;
    }
    const char *cmd = colon + 1;
    const char *arg = strchr(cmd, ' ');
    size_t clen = arg ? (size_t)(arg - cmd) : strlen(cmd);
    if (arg)
        while (*arg == ' ')
            arg++;
    static const struct {
        const char *name;
        enum script_kind kind;
        bool needs_arg;
    } cmds[] = {
        { "quit", SCRIPT_QUIT, false },
        { "sendkey", SCRIPT_SENDKEY, true },
        { "type", SCRIPT_TYPE, true },
        { "screendump", SCRIPT_SCREENDUMP, true },
        { "registers", SCRIPT_REGISTERS, false },
        { "break", SCRIPT_BREAK, false },
        { "savevm", SCRIPT_SAVEVM, true },
    };
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        if (strlen(cmds[i].name) != clen || strncmp(cmds[i].name, cmd, clen) != 0)
            continue;
        a->kind = cmds[i].kind;
        if (cmds[i].needs_arg) {
            if (!arg || !*arg || strlen(arg) >= SCRIPT_ARG_MAX) {
                fprintf(err, "popek: --at %s: wants an argument\n", cmds[i].name);
                return -1;
            }
            strcpy(a->arg, arg);
        }
        if (a->kind == SCRIPT_SENDKEY) {
            /* Check the key names now, not in the middle of the run. */
            for (const char *p = a->arg; *p;) {
                const char *dash = strchr(p + 1, '-');
                size_t len = dash ? (size_t)(dash - p) : strlen(p);
                uint16_t code;
                if (!key_code(p, len, &code)) {
                    fprintf(err, "popek: --at sendkey: unknown key '%.*s'\n", (int)len, p);
                    return -1;
                }
                p += len;
                if (*p == '-')
                    p++;
            }
        }
        s->n++;
        return 0;
    }
    fprintf(err, "popek: --at: unknown command '%.*s' (quit, sendkey, type, screendump, registers, break)\n", (int)clen, cmd);
    return -1;
}

int script_arm(struct script *s, struct machine *m)
{
    s->m = m;
    if (s->n == 0)
        return 0;
    if (clock_timer_init(&m->clock, &s->timer, script_fire, s) < 0) {
        fprintf(stderr, "popek: --at: no timer left on the machine's clock\n");
        return -1;
    }
    /* Times count from the start of this run: after --loadvm the guest's
     * clock starts where the saved run was. */
    uint64_t base = m->clock.now;
    for (unsigned i = 0; i < s->n; i++) {
        uint64_t *at = &s->act[i].at_ns;
        *at = *at > CLOCK_NEVER - 1 - base ? CLOCK_NEVER - 1 : base + *at;
    }
    arm_next(s);
    return 0;
}
