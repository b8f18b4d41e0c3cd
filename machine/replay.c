/* The input log (replay.h): live input appended and delivered, logged
 * input delivered by a timer at the guest time it arrived. */
#include "machine/replay.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "devices/ps2.h"
#include "machine/machine.h"

#define REPLAY_MAGIC "popek-replay 1"

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (err && errlen)
        vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -EINVAL;
}

static void deliver(struct machine *m, const struct replay_event *e)
{
    switch (e->kind) {
    case REPLAY_KEY:
        i8042_key(&m->pc.kbc, e->code, e->a != 0);
        break;
    case REPLAY_MOUSE:
        i8042_mouse(&m->pc.kbc, e->a, e->b, e->c, (uint8_t)e->code);
        break;
    case REPLAY_SERIAL: {
        uint8_t byte = (uint8_t)e->code;
        chardev_inject(&m->pc.serial_cd[e->port], &byte, 1);
        break;
    }
    }
}

static void arm(struct machine *m)
{
    struct replay *r = m->replay;
    if (r->next < r->n)
        clock_timer_mod(&r->timer, r->ev[r->next].ns);
    else
        clock_timer_del(&r->timer);
}

static void replay_fire(void *opaque, uint64_t now)
{
    struct machine *m = opaque;
    struct replay *r = m->replay;
    while (r->next < r->n && r->ev[r->next].ns <= now) {
        const struct replay_event *e = &r->ev[r->next++];
        if (e->icount != cpu_instructions(m->cpu))
            r->diverged++;
        deliver(m, e);
    }
    arm(m);
}

static int push(struct replay *r, const struct replay_event *e)
{
    if (r->n == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 256;
        struct replay_event *ev = realloc(r->ev, cap * sizeof(*ev));
        if (!ev)
            return -ENOMEM;
        r->ev = ev;
        r->cap = cap;
    }
    r->ev[r->n++] = *e;
    return 0;
}

static void write_event(FILE *f, const struct replay_event *e)
{
    switch (e->kind) {
    case REPLAY_KEY:
        fprintf(f, "key %" PRIu64 " %" PRIu64 " %u %d\n", e->icount, e->ns, e->code, e->a);
        break;
    case REPLAY_MOUSE:
        fprintf(f, "mouse %" PRIu64 " %" PRIu64 " %u %d %d %d\n", e->icount, e->ns, e->code, e->a, e->b, e->c);
        break;
    case REPLAY_SERIAL:
        fprintf(f, "serial %" PRIu64 " %" PRIu64 " %u %u\n", e->icount, e->ns, e->port, e->code);
        break;
    }
    fflush(f);
}

/* Live input: dropped while logged events lie ahead; else logged (when
 * a log is kept) and delivered. */
static void live(struct machine *m, struct replay_event e)
{
    struct replay *r = m->replay;
    if (!r) {
        deliver(m, &e);
        return;
    }
    if (r->next < r->n)
        return;
    if (m->in_idle) {
        if (r->npend < sizeof(r->pend) / sizeof(r->pend[0]))
            r->pend[r->npend++] = e;
        return; /* a full queue drops, as a full FIFO would */
    }
    e.icount = cpu_instructions(m->cpu);
    e.ns = m->clock.now;
    if (push(r, &e) == 0) {
        r->next = r->n;
        if (r->record)
            write_event(r->record, &e);
    }
    deliver(m, &e);
}

void machine_replay_idle_done(struct machine *m)
{
    struct replay *r = m->replay;
    unsigned n = r->npend;
    r->npend = 0;
    for (unsigned i = 0; i < n; i++)
        live(m, r->pend[i]);
}

void machine_input_key(struct machine *m, uint16_t keycode, bool down)
{
    live(m, (struct replay_event){ .kind = REPLAY_KEY, .code = keycode, .a = down });
}

void machine_input_mouse(struct machine *m, int dx, int dy, int dz, uint8_t buttons)
{
    live(m, (struct replay_event){ .kind = REPLAY_MOUSE, .code = buttons, .a = dx, .b = dy, .c = dz });
}

bool machine_input_type_char(struct machine *m, char ch)
{
    uint16_t code;
    bool shift;
    if (!ps2_kbd_ascii_keycode(ch, &code, &shift))
        return false;
    if (shift)
        machine_input_key(m, 0x12, true);
    machine_input_key(m, code, true);
    machine_input_key(m, code, false);
    if (shift)
        machine_input_key(m, 0x12, false);
    return true;
}

static void serial_tap(void *opaque, struct chardev *cd, const uint8_t *buf, size_t len)
{
    struct machine *m = opaque;
    unsigned port = (unsigned)(cd - m->pc.serial_cd);
    for (size_t i = 0; i < len; i++)
        live(m, (struct replay_event){ .kind = REPLAY_SERIAL, .port = (uint8_t)port, .code = buf[i] });
}

int machine_replay_enable(struct machine *m)
{
    if (m->replay)
        return 0;
    struct replay *r = calloc(1, sizeof(*r));
    if (!r)
        return -ENOMEM;
    if (clock_timer_init(&m->clock, &r->timer, replay_fire, m) < 0) {
        free(r);
        return -ENOSPC;
    }
    m->replay = r;
    for (unsigned i = 0; i < PC_SERIAL_PORTS; i++) {
        m->pc.serial_cd[i].input_tap = serial_tap;
        m->pc.serial_cd[i].input_tap_opaque = m;
    }
    return 0;
}

int machine_record_open(struct machine *m, const char *path)
{
    int rc = machine_replay_enable(m);
    if (rc < 0)
        return rc;
    FILE *f = fopen(path, "w");
    if (!f) {
        rc = -errno;
        fprintf(stderr, "popek: --record %s: %s\n", path, strerror(errno));
        return rc;
    }
    fprintf(f, "%s\n", REPLAY_MAGIC);
    fflush(f);
    m->replay->record = f;
    return 0;
}

static bool take_u64(const char **p, const char *end, uint64_t *v)
{
    const char *s = *p;
    while (s < end && *s == ' ')
        s++;
    if (s == end || *s < '0' || *s > '9')
        return false;
    uint64_t x = 0;
    while (s < end && *s >= '0' && *s <= '9') {
        unsigned d = (unsigned)(*s++ - '0');
        if (x > (UINT64_MAX - d) / 10)
            return false;
        x = x * 10 + d;
    }
    *p = s;
    *v = x;
    return true;
}

static bool take_int(const char **p, const char *end, int64_t lo, int64_t hi, int32_t *v)
{
    const char *s = *p;
    while (s < end && *s == ' ')
        s++;
    bool neg = s < end && *s == '-';
    if (neg)
        s++;
    uint64_t x;
    if (!take_u64(&s, end, &x) || x > (uint64_t)INT32_MAX)
        return false;
    int64_t y = neg ? -(int64_t)x : (int64_t)x;
    if (y < lo || y > hi)
        return false;
    *p = s;
    *v = (int32_t)y;
    return true;
}

int replay_parse(struct replay *r, const char *text, size_t len, char *err, size_t errlen)
{
    const char *p = text, *end = text + len;
    size_t mlen = strlen(REPLAY_MAGIC);
    if (len < mlen + 1 || memcmp(p, REPLAY_MAGIC, mlen) != 0 || p[mlen] != '\n')
        return fail(err, errlen, "not a Popek replay log (no '%s' line)", REPLAY_MAGIC);
    p += mlen + 1;
    unsigned line = 1;
    uint64_t last_ns = 0, last_icount = 0;
    while (p < end) {
        line++;
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        if (!eol)
            return fail(err, errlen, "line %u: not ended (the file was cut short)", line);
        const char *s = p;
        struct replay_event e = { 0 };
        size_t wl = 0;
        while (s + wl < eol && s[wl] != ' ')
            wl++;
        int32_t v = 0, dx = 0, dy = 0, dz = 0;
        bool ok;
        if (wl == 3 && !memcmp(s, "end", 3)) {
            s += 3;
            ok = take_u64(&s, eol, &e.icount) && take_u64(&s, eol, &e.ns) && s == eol;
            if (!ok)
                return fail(err, errlen, "line %u: malformed end line", line);
            r->has_end = true;
            r->end_icount = e.icount;
            r->end_ns = e.ns;
            p = eol + 1;
            if (p != end)
                return fail(err, errlen, "line %u: something after the end line", line + 1);
            break;
        }
        if (wl == 3 && !memcmp(s, "key", 3)) {
            s += 3;
            e.kind = REPLAY_KEY;
            ok = take_u64(&s, eol, &e.icount) && take_u64(&s, eol, &e.ns) && take_int(&s, eol, 0, 0xFFFF, &v);
            e.code = (uint16_t)v;
            ok = ok && take_int(&s, eol, 0, 1, &e.a);
        } else if (wl == 5 && !memcmp(s, "mouse", 5)) {
            s += 5;
            e.kind = REPLAY_MOUSE;
            ok = take_u64(&s, eol, &e.icount) && take_u64(&s, eol, &e.ns) && take_int(&s, eol, 0, 7, &v);
            e.code = (uint16_t)v;
            ok = ok && take_int(&s, eol, -65536, 65536, &dx) && take_int(&s, eol, -65536, 65536, &dy) &&
                 take_int(&s, eol, -65536, 65536, &dz);
            e.a = dx, e.b = dy, e.c = dz;
        } else if (wl == 6 && !memcmp(s, "serial", 6)) {
            s += 6;
            e.kind = REPLAY_SERIAL;
            ok = take_u64(&s, eol, &e.icount) && take_u64(&s, eol, &e.ns) &&
                 take_int(&s, eol, 0, PC_SERIAL_PORTS - 1, &v);
            e.port = (uint8_t)v;
            ok = ok && take_int(&s, eol, 0, 255, &v);
            e.code = (uint16_t)v;
        } else {
            return fail(err, errlen, "line %u: unknown event '%.*s'", line, (int)(wl < 20 ? wl : 20), s);
        }
        if (!ok || s != eol)
            return fail(err, errlen, "line %u: malformed or out of range", line);
        if (e.ns < last_ns || e.icount < last_icount)
            return fail(err, errlen, "line %u: goes back in time", line);
        last_ns = e.ns;
        last_icount = e.icount;
        if (push(r, &e) < 0)
            return -ENOMEM;
        p = eol + 1;
    }
    return 0;
}

int machine_replay_open(struct machine *m, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        int e = errno;
        fail(err, errlen, "%s: %s", path, strerror(e));
        return -e;
    }
    char *text = NULL;
    size_t len = 0, cap = 0;
    for (;;) {
        if (cap - len < 65536) {
            if (cap > ((size_t)1 << 30)) {
                free(text);
                fclose(f);
                return fail(err, errlen, "%s: larger than 1 GiB", path);
            }
            char *nt = realloc(text, cap ? cap * 2 : 65536);
            if (!nt) {
                free(text);
                fclose(f);
                return -ENOMEM;
            }
            text = nt;
            cap = cap ? cap * 2 : 65536;
        }
        size_t n = fread(text + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    fclose(f);
    int rc = machine_replay_enable(m);
    if (rc == 0) {
        struct replay *r = m->replay;
        char why[200];
        rc = replay_parse(r, text, len, why, sizeof why);
        if (rc < 0) {
            fail(err, errlen, "%s: %s", path, why);
            r->n = 0;
        } else {
            r->next = 0;
            r->source = path;
            arm(m);
        }
    }
    free(text);
    return rc;
}

void machine_replay_close(struct machine *m)
{
    struct replay *r = m->replay;
    if (!r)
        return;
    if (r->record) {
        fprintf(r->record, "end %" PRIu64 " %" PRIu64 "\n", cpu_instructions(m->cpu), m->clock.now);
        fclose(r->record);
        r->record = NULL;
    }
    if (r->source) {
        uint64_t ic = cpu_instructions(m->cpu);
        fprintf(stderr, "popek: replay of %s: %zu of %zu events delivered; the run ended at instruction %" PRIu64,
                r->source, r->next, r->n, ic);
        if (r->has_end)
            fprintf(stderr, ", the recorded one at %" PRIu64 "%s", r->end_icount,
                    r->end_icount == ic && !r->diverged ? " (the same run)" : " (the run diverged)");
        if (r->diverged)
            fprintf(stderr, "; %" PRIu64 " events came at other instruction counts than recorded", r->diverged);
        fprintf(stderr, "\n");
        r->source = NULL;
    }
}

void machine_replay_free(struct machine *m)
{
    struct replay *r = m->replay;
    if (!r)
        return;
    machine_replay_close(m);
    for (unsigned i = 0; i < PC_SERIAL_PORTS; i++)
        m->pc.serial_cd[i].input_tap = NULL;
    free(r->ev);
    free(r);
    m->replay = NULL;
}

size_t machine_replay_position(const struct machine *m)
{
    return m->replay ? m->replay->next : 0;
}

void machine_replay_seek(struct machine *m, size_t next)
{
    struct replay *r = m->replay;
    if (!r)
        return;
    r->next = next <= r->n ? next : r->n;
    arm(m);
}
