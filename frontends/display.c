/* Picking and driving a display (see display.h). */
#include "frontends/display.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

double display_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int display_parse(const char *name, enum display_kind *kind)
{
    if (!strcmp(name, "none"))
        *kind = DISPLAY_NONE;
    else if (!strcmp(name, "sdl"))
        *kind = DISPLAY_SDL;
    else if (!strcmp(name, "curses") || !strcmp(name, "text"))
        *kind = DISPLAY_CURSES;
    else
        return -1;
    return 0;
}

enum display_kind display_default(void)
{
    enum display_kind k;
    const char *env = getenv("POPEK_DISPLAY");
    if (env && display_parse(env, &k) == 0)
        return k;
    const char *x = getenv("DISPLAY"), *w = getenv("WAYLAND_DISPLAY");
    if ((x && *x) || (w && *w))
        return DISPLAY_SDL;
    if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
        return DISPLAY_CURSES;
    return DISPLAY_NONE;
}

int display_open(struct display *d, enum display_kind kind, struct machine *m)
{
    memset(d, 0, sizeof(*d));
    d->kind = kind;
    d->m = m;
    if (kind == DISPLAY_SDL)
        return display_sdl_open(d);
    if (kind == DISPLAY_CURSES)
        return display_text_open(d);
    return 0;
}

static bool due(struct display *d)
{
    double now = display_now();
    if (now - d->last_refresh < 1.0 / DISPLAY_HZ)
        return false;
    d->last_refresh = now;
    return true;
}

void display_poll(struct display *d)
{
    if (d->kind == DISPLAY_SDL)
        display_sdl_refresh(d, due(d));
    else if (d->kind == DISPLAY_CURSES)
        display_text_refresh(d, due(d));
}

/* Idling is also when a static screen gets drawn: wait in steps of at most
 * a frame, drawing whatever changed in between. */
void display_idle(struct display *d, uint64_t ns)
{
    double end = display_now() + (double)ns / 1e9;
    for (;;) {
        display_poll(d);
        double left = end - display_now();
        if (left <= 0 || d->quit)
            return;
        int ms = (int)(left * 1000.0);
        if (ms > 1000 / DISPLAY_HZ)
            ms = 1000 / DISPLAY_HZ;
        if (ms < 1)
            ms = 1;
        bool input;
        if (d->kind == DISPLAY_SDL)
            input = display_sdl_wait(d, ms);
        else if (d->kind == DISPLAY_CURSES)
            input = display_text_wait(d, ms);
        else
            return;
        if (input)
            return; /* let the guest see it now */
    }
}

void display_close(struct display *d)
{
    if (d->kind == DISPLAY_SDL)
        display_sdl_close(d);
    else if (d->kind == DISPLAY_CURSES)
        display_text_close(d);
    d->kind = DISPLAY_NONE;
}
