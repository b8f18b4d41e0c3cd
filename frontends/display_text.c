/* The VGA text screen on the user's terminal (--display curses), drawn
 * with ANSI escape sequences as QEMU's curses display draws it: the
 * 16 colours, the cursor, CP437 as UTF-8; keys typed there reach the
 * guest's PS/2 keyboard (escape sequences become cursor and function
 * keys).  Only cells that changed are redrawn.  A graphics mode shows a
 * one-line notice.  Ctrl-A x quits, as on the serial console. */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "devices/ps2.h"
#include "devices/vga.h"
#include "frontends/display.h"
#include "machine/machine.h"
#include "machine/replay.h"

struct text_display {
    struct termios saved;
    bool raw;
    bool graphics_notice; /* the notice is on screen */
    bool have_prev;
    bool ctrl_a;
    struct vga_text_screen now, prev;
    char out[65536];
    size_t out_len;
    uint8_t in[64];
    size_t in_len;
};

static void emit(struct text_display *t, const char *s, size_t n)
{
    if (t->out_len + n > sizeof(t->out)) {
        ssize_t w = write(STDOUT_FILENO, t->out, t->out_len);
        (void)w;
        t->out_len = 0;
    }
    memcpy(t->out + t->out_len, s, n);
    t->out_len += n;
}

static void emits(struct text_display *t, const char *s)
{
    emit(t, s, strlen(s));
}

static void flush_out(struct text_display *t)
{
    size_t off = 0;
    while (off < t->out_len) {
        ssize_t w = write(STDOUT_FILENO, t->out + off, t->out_len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            break;
        off += (size_t)w;
    }
    t->out_len = 0;
}

/* VGA colour order (blue, green, red bits) to ANSI's (red, green, blue). */
static const uint8_t ansi_of_vga[8] = { 0, 4, 2, 6, 1, 5, 3, 7 };

static void draw_text(struct text_display *t)
{
    const struct vga_text_screen *s = &t->now;
    bool full = !t->have_prev || t->prev.cols != s->cols || t->prev.rows != s->rows ||
                t->prev.blink != s->blink;
    if (full)
        emits(t, "\033[0m\033[2J");
    int last_attr = -1;
    char buf[64];
    for (unsigned r = 0; r < s->rows; r++) {
        int at_col = -1;
        for (unsigned c = 0; c < s->cols; c++) {
            uint16_t cell = s->cells[r * s->cols + c];
            if (!full && cell == t->prev.cells[r * s->cols + c])
                continue;
            if (at_col != (int)c) {
                snprintf(buf, sizeof(buf), "\033[%u;%uH", r + 1, c + 1);
                emits(t, buf);
            }
            uint8_t attr = (uint8_t)(cell >> 8), fg = attr & 15, bg = attr >> 4;
            if (attr != last_attr) {
                bool bright_bg = !s->blink && (bg & 8);
                snprintf(buf, sizeof(buf), "\033[0;%u;%u%sm", (fg & 8 ? 90 : 30) + ansi_of_vga[fg & 7],
                         (bright_bg ? 100 : 40) + ansi_of_vga[bg & 7], s->blink && (bg & 8) ? ";5" : "");
                emits(t, buf);
                last_attr = attr;
            }
            uint8_t ch = (uint8_t)cell;
            size_t n = ch == 0 ? (buf[0] = ' ', 1) : vga_cp437_utf8(ch, buf);
            emit(t, buf, n);
            at_col = (int)c + 1;
        }
    }
    emits(t, "\033[0m");
    if (s->cursor_col >= 0) {
        snprintf(buf, sizeof(buf), "\033[%d;%dH\033[?25h", s->cursor_row + 1, s->cursor_col + 1);
        emits(t, buf);
    } else {
        emits(t, "\033[?25l");
    }
    t->prev = t->now;
    t->have_prev = true;
}

void display_text_refresh(struct display *d, bool frame_due)
{
    struct text_display *t = d->impl;
    display_text_wait(d, 0);
    if (!frame_due || !d->m->pc.has_vga)
        return;
    if (vga_text_snapshot(&d->m->pc.vga, &t->now) != 0) {
        if (!t->graphics_notice) {
            emits(t, "\033[0m\033[2J\033[H\033[?25l");
            emits(t, "popek: the guest is in a graphics mode; --display sdl shows it (Ctrl-A x quits)");
            t->graphics_notice = true;
            t->have_prev = false;
            flush_out(t);
            d->frames_shown++;
        }
        return;
    }
    t->graphics_notice = false;
    if (t->have_prev && t->prev.cols == t->now.cols && t->prev.rows == t->now.rows &&
        t->prev.cursor_col == t->now.cursor_col && t->prev.cursor_row == t->now.cursor_row &&
        !memcmp(t->prev.cells, t->now.cells, sizeof(uint16_t) * t->now.cols * t->now.rows))
        return;
    draw_text(t);
    flush_out(t);
    d->frames_shown++;
}

static void tap(struct machine *m, uint16_t code)
{
    machine_input_key(m, code, true);
    machine_input_key(m, code, false);
}

/* ESC [ ... or ESC O ...: cursor and function keys.  Returns bytes used,
 * 0 if the sequence is incomplete, -1 if it is not one of ours. */
static int escape_key(const uint8_t *b, size_t n, uint16_t *code)
{
    static const struct {
        const char *seq;
        uint16_t code;
    } seqs[] = {
        { "[A", 0xE075 }, { "[B", 0xE072 }, { "[C", 0xE074 }, { "[D", 0xE06B }, { "[H", 0xE06C },
        { "[F", 0xE069 }, { "OP", 0x05 },   { "OQ", 0x06 },   { "OR", 0x04 },   { "OS", 0x0C },
        { "[11~", 0x05 }, { "[12~", 0x06 }, { "[13~", 0x04 }, { "[14~", 0x0C }, { "[15~", 0x03 },
        { "[17~", 0x0B }, { "[18~", 0x83 }, { "[19~", 0x0A }, { "[20~", 0x01 }, { "[21~", 0x09 },
        { "[23~", 0x78 }, { "[24~", 0x07 }, { "[1~", 0xE06C }, { "[2~", 0xE070 }, { "[3~", 0xE071 },
        { "[4~", 0xE069 }, { "[5~", 0xE07D }, { "[6~", 0xE07A },
    };
    for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
        size_t l = strlen(seqs[i].seq);
        if (n >= l && !memcmp(b, seqs[i].seq, l)) {
            *code = seqs[i].code;
            return (int)l;
        }
    }
    /* Incomplete: a prefix of some sequence. */
    for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++)
        if (n < strlen(seqs[i].seq) && !memcmp(b, seqs[i].seq, n))
            return 0;
    return -1;
}

/* Returns true if the guest got a key. */
static bool take_input(struct display *d)
{
    struct text_display *t = d->impl;
    struct machine *m = d->m;
    bool got = false;
    size_t i = 0;
    while (i < t->in_len) {
        uint8_t b = t->in[i];
        if (t->ctrl_a) {
            t->ctrl_a = false;
            i++;
            if (b == 'x') {
                d->quit = true;
                machine_request_exit(m, 0);
            } else if (b == 1) {
                machine_input_key(m, 0x14, true);
                tap(m, 0x1C);
                machine_input_key(m, 0x14, false);
                got = true;
            }
            continue;
        }
        if (b == 1) { /* Ctrl-A: the emulator's escape key */
            t->ctrl_a = true;
            i++;
            continue;
        }
        if (b == 0x1B) {
            if (i + 1 == t->in_len) { /* ESC alone in this read: the Esc key */
                tap(m, 0x76);
                i++;
                got = true;
                continue;
            }
            uint16_t code;
            int used = escape_key(t->in + i + 1, t->in_len - i - 1, &code);
            if (used == 0)
                break; /* wait for the rest */
            if (used < 0) {
                tap(m, 0x76);
                i++;
            } else {
                tap(m, code);
                i += 1 + (size_t)used;
            }
            got = true;
            continue;
        }
        i++;
        got = true;
        if (b == '\r' || b == '\n')
            tap(m, 0x5A);
        else if (b == 0x7F || b == 0x08)
            tap(m, 0x66);
        else if (b == '\t')
            tap(m, 0x0D);
        else if (b >= 1 && b <= 26) { /* Ctrl-letter */
            static const uint8_t letters[26] = { 0x1C, 0x32, 0x21, 0x23, 0x24, 0x2B, 0x34, 0x33, 0x43,
                                                 0x3B, 0x42, 0x4B, 0x3A, 0x31, 0x44, 0x4D, 0x15, 0x2D,
                                                 0x1B, 0x2C, 0x3C, 0x2A, 0x1D, 0x22, 0x35, 0x1A };
            machine_input_key(m, 0x14, true);
            tap(m, letters[b - 1]);
            machine_input_key(m, 0x14, false);
        } else if (b >= 0x20 && b < 0x7F) {
            machine_input_type_char(m, (char)b);
        } else {
            got = false;
        }
    }
    memmove(t->in, t->in + i, t->in_len - i);
    t->in_len -= i;
    return got;
}

bool display_text_wait(struct display *d, int ms)
{
    struct text_display *t = d->impl;
    struct pollfd p = { STDIN_FILENO, POLLIN, 0 };
    if (poll(&p, 1, ms) <= 0 || !(p.revents & POLLIN))
        return false;
    ssize_t n = read(STDIN_FILENO, t->in + t->in_len, sizeof(t->in) - t->in_len);
    if (n <= 0)
        return false;
    t->in_len += (size_t)n;
    return take_input(d);
}

int display_text_open(struct display *d)
{
    if (!isatty(STDOUT_FILENO)) {
        fprintf(stderr, "popek: --display curses needs a terminal on standard output\n");
        return -1;
    }
    struct text_display *t = calloc(1, sizeof(*t));
    if (!t)
        return -1;
    d->impl = t;
    if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &t->saved) == 0) {
        struct termios raw = t->saved;
        cfmakeraw(&raw);
        if (tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0)
            t->raw = true;
    }
    emits(t, "\033[?1049h\033[2J\033[H");
    flush_out(t);
    return 0;
}

void display_text_close(struct display *d)
{
    struct text_display *t = d->impl;
    if (!t)
        return;
    emits(t, "\033[0m\033[?25h\033[?1049l");
    flush_out(t);
    if (t->raw)
        tcsetattr(STDIN_FILENO, TCSANOW, &t->saved);
    free(t);
    d->impl = NULL;
}
