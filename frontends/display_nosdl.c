/* The SDL window's entry points in a build without SDL2 (make SDL=0, as
 * the cross builds are): asking for the window is an error that names the
 * other displays; nothing else is ever reached. */
#include <stdio.h>

#include "frontends/display.h"

int display_sdl_open(struct display *d)
{
    (void)d;
    fprintf(stderr, "popek: this build has no SDL window (built with SDL=0); use --display curses or none\n");
    return -1;
}

void display_sdl_refresh(struct display *d, bool frame_due)
{
    (void)d;
    (void)frame_due;
}

bool display_sdl_wait(struct display *d, int ms)
{
    (void)d;
    (void)ms;
    return false;
}

void display_sdl_close(struct display *d)
{
    (void)d;
}
