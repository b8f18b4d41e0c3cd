/* What the user sees of the VGA: an SDL2 window (display_sdl.c), the text
 * screen on the user's terminal (display_text.c), or nothing.  All are fed
 * by the VGA's renderer, which builds a frame only when something changed
 * (vga_update); a display asks for one at most DISPLAY_HZ times a second
 * of real time, between CPU slices and while the guest idles. */
#ifndef POPEK_FRONTENDS_DISPLAY_H
#define POPEK_FRONTENDS_DISPLAY_H

#include <stdbool.h>
#include <stdint.h>

struct machine;

enum display_kind {
    DISPLAY_DEFAULT, /* not chosen: see display_default() */
    DISPLAY_NONE,
    DISPLAY_SDL,
    DISPLAY_CURSES,
};

#define DISPLAY_HZ 60

struct display {
    enum display_kind kind;
    struct machine *m;
    double last_refresh; /* host seconds (CLOCK_MONOTONIC) */
    bool quit;           /* the user closed the window */
    bool paused;         /* the guest is stopped (the monitor's "stop"): shown in the title */
    bool monitor_key;    /* Ctrl-Alt-2 was pressed: the frontend shows the monitor (and clears this) */
    void *impl;          /* the backend's state */
    uint64_t frames_shown;
};

/* What --display picks when not told: SDL when a window system is there
 * (DISPLAY or WAYLAND_DISPLAY set), the terminal when standard input and
 * output are one, else nothing.  POPEK_DISPLAY (none, sdl, curses) in the
 * environment overrides this default, for test suites. */
enum display_kind display_default(void);
int display_parse(const char *name, enum display_kind *kind);

/* Returns 0, or -1 after a message (e.g. no window system). */
int display_open(struct display *d, enum display_kind kind, struct machine *m);
/* Between CPU slices: draw a changed frame when one is due, take input. */
void display_poll(struct display *d);
/* The guest idles for ns: wait for input (and keep drawing) up to that long. */
void display_idle(struct display *d, uint64_t ns);
void display_close(struct display *d);

/* Backends. */
int display_sdl_open(struct display *d);
void display_sdl_refresh(struct display *d, bool frame_due);
bool display_sdl_wait(struct display *d, int ms); /* true: input arrived */
void display_sdl_close(struct display *d);
int display_text_open(struct display *d);
void display_text_refresh(struct display *d, bool frame_due);
bool display_text_wait(struct display *d, int ms);
void display_text_close(struct display *d);

double display_now(void);

#endif
