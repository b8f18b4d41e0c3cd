/* The SDL2 window (see display.h): the VGA frame in a window that keeps
 * its aspect when resized, keys as PS/2 scan codes (set 2; the 8042
 * translates when the guest asks), the mouse as a PS/2 mouse while grabbed
 * (a click grabs it, Ctrl-Alt-G releases it, as in QEMU), Ctrl-Alt-2 for
 * the monitor (the frontend decides where it is: display.h), and the title
 * saying what state the machine is in.  Closing the window ends the run,
 * as QEMU quits. */
#include <SDL.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/ps2.h"
#include "devices/vga.h"
#include "frontends/display.h"
#include "machine/machine.h"
#include "machine/replay.h"

struct sdl_display {
    SDL_Window *win;
    SDL_Renderer *ren;
    SDL_Texture *tex;
    unsigned tex_w, tex_h;
    bool grabbed;
    bool have_frame;
    uint64_t shown_gen; /* the VGA's frames_rendered when we last presented */
    uint8_t buttons;
    char title[128];
};

/* USB HID usage (SDL_Scancode) -> scan code set 2, 0 for none. */
static uint16_t set2_code(SDL_Scancode sc)
{
    static const uint8_t letters[26] = { 0x1C, 0x32, 0x21, 0x23, 0x24, 0x2B, 0x34, 0x33, 0x43,
                                         0x3B, 0x42, 0x4B, 0x3A, 0x31, 0x44, 0x4D, 0x15, 0x2D,
                                         0x1B, 0x2C, 0x3C, 0x2A, 0x1D, 0x22, 0x35, 0x1A };
    static const uint8_t digits[10] = { 0x16, 0x1E, 0x26, 0x25, 0x2E, 0x36, 0x3D, 0x3E, 0x46, 0x45 };
    static const uint8_t fkeys[12] = { 0x05, 0x06, 0x04, 0x0C, 0x03, 0x0B, 0x83, 0x0A, 0x01, 0x09, 0x78, 0x07 };
    static const uint8_t keypad[10] = { 0x69, 0x72, 0x7A, 0x6B, 0x73, 0x74, 0x6C, 0x75, 0x7D, 0x70 };
    if (sc >= SDL_SCANCODE_A && sc <= SDL_SCANCODE_Z)
        return letters[sc - SDL_SCANCODE_A];
    if (sc >= SDL_SCANCODE_1 && sc <= SDL_SCANCODE_0)
        return digits[sc - SDL_SCANCODE_1];
    if (sc >= SDL_SCANCODE_F1 && sc <= SDL_SCANCODE_F12)
        return fkeys[sc - SDL_SCANCODE_F1];
    if (sc >= SDL_SCANCODE_KP_1 && sc <= SDL_SCANCODE_KP_0)
        return keypad[sc - SDL_SCANCODE_KP_1];
    switch (sc) {
    case SDL_SCANCODE_RETURN: return 0x5A;
    case SDL_SCANCODE_ESCAPE: return 0x76;
    case SDL_SCANCODE_BACKSPACE: return 0x66;
    case SDL_SCANCODE_TAB: return 0x0D;
    case SDL_SCANCODE_SPACE: return 0x29;
    case SDL_SCANCODE_MINUS: return 0x4E;
    case SDL_SCANCODE_EQUALS: return 0x55;
    case SDL_SCANCODE_LEFTBRACKET: return 0x54;
    case SDL_SCANCODE_RIGHTBRACKET: return 0x5B;
    case SDL_SCANCODE_BACKSLASH: return 0x5D;
    case SDL_SCANCODE_NONUSHASH: return 0x5D;
    case SDL_SCANCODE_SEMICOLON: return 0x4C;
    case SDL_SCANCODE_APOSTROPHE: return 0x52;
    case SDL_SCANCODE_GRAVE: return 0x0E;
    case SDL_SCANCODE_COMMA: return 0x41;
    case SDL_SCANCODE_PERIOD: return 0x49;
    case SDL_SCANCODE_SLASH: return 0x4A;
    case SDL_SCANCODE_CAPSLOCK: return 0x58;
    case SDL_SCANCODE_PRINTSCREEN: return PS2_KEY_PRTSC;
    case SDL_SCANCODE_SCROLLLOCK: return 0x7E;
    case SDL_SCANCODE_PAUSE: return PS2_KEY_PAUSE;
    case SDL_SCANCODE_INSERT: return 0xE070;
    case SDL_SCANCODE_HOME: return 0xE06C;
    case SDL_SCANCODE_PAGEUP: return 0xE07D;
    case SDL_SCANCODE_DELETE: return 0xE071;
    case SDL_SCANCODE_END: return 0xE069;
    case SDL_SCANCODE_PAGEDOWN: return 0xE07A;
    case SDL_SCANCODE_RIGHT: return 0xE074;
    case SDL_SCANCODE_LEFT: return 0xE06B;
    case SDL_SCANCODE_DOWN: return 0xE072;
    case SDL_SCANCODE_UP: return 0xE075;
    case SDL_SCANCODE_NUMLOCKCLEAR: return 0x77;
    case SDL_SCANCODE_KP_DIVIDE: return 0xE04A;
    case SDL_SCANCODE_KP_MULTIPLY: return 0x7C;
    case SDL_SCANCODE_KP_MINUS: return 0x7B;
    case SDL_SCANCODE_KP_PLUS: return 0x79;
    case SDL_SCANCODE_KP_ENTER: return 0xE05A;
    case SDL_SCANCODE_KP_PERIOD: return 0x71;
    case SDL_SCANCODE_NONUSBACKSLASH: return 0x61;
    case SDL_SCANCODE_APPLICATION: return 0xE02F;
    case SDL_SCANCODE_LCTRL: return 0x14;
    case SDL_SCANCODE_LSHIFT: return 0x12;
    case SDL_SCANCODE_LALT: return 0x11;
    case SDL_SCANCODE_LGUI: return 0xE01F;
    case SDL_SCANCODE_RCTRL: return 0xE014;
    case SDL_SCANCODE_RSHIFT: return 0x59;
    case SDL_SCANCODE_RALT: return 0xE011;
    case SDL_SCANCODE_RGUI: return 0xE027;
    default: return 0;
    }
}

static void set_title(struct display *d)
{
    struct sdl_display *s = d->impl;
    char t[128];
    snprintf(t, sizeof(t), "Popek - %s%s", d->paused ? "paused" : "running",
             s->grabbed ? ", mouse grabbed (Ctrl-Alt-G releases)" : "");
    if (strcmp(t, s->title)) {
        strcpy(s->title, t);
        SDL_SetWindowTitle(s->win, t);
    }
}

static void grab(struct display *d, bool on)
{
    struct sdl_display *s = d->impl;
    s->grabbed = on;
    SDL_SetRelativeMouseMode(on ? SDL_TRUE : SDL_FALSE);
    SDL_SetWindowGrab(s->win, on ? SDL_TRUE : SDL_FALSE);
    set_title(d);
}

static uint8_t sdl_buttons(uint32_t state)
{
    uint8_t b = 0;
    if (state & SDL_BUTTON(SDL_BUTTON_LEFT))
        b |= PS2_MOUSE_LEFT;
    if (state & SDL_BUTTON(SDL_BUTTON_RIGHT))
        b |= PS2_MOUSE_RIGHT;
    if (state & SDL_BUTTON(SDL_BUTTON_MIDDLE))
        b |= PS2_MOUSE_MIDDLE;
    return b;
}

/* Returns true if the guest got input. */
static bool handle(struct display *d, const SDL_Event *e)
{
    struct sdl_display *s = d->impl;
    switch (e->type) {
    case SDL_QUIT:
        d->quit = true;
        machine_request_exit(d->m, 0);
        return true;
    case SDL_KEYDOWN:
    case SDL_KEYUP: {
        const SDL_Keysym *k = &e->key.keysym;
        bool down = e->type == SDL_KEYDOWN;
        if (down && k->scancode == SDL_SCANCODE_G && (k->mod & KMOD_CTRL) && (k->mod & KMOD_ALT)) {
            grab(d, !s->grabbed);
            return false;
        }
        /* QEMU's monitor console key; both of its edges stay out of the guest. */
        if (k->scancode == SDL_SCANCODE_2 && (k->mod & KMOD_CTRL) && (k->mod & KMOD_ALT)) {
            if (down && !e->key.repeat)
                d->monitor_key = true;
            return false;
        }
        if (e->key.repeat && !down)
            return false;
        uint16_t code = set2_code(k->scancode);
        if (!code)
            return false;
        machine_input_key(d->m, code, down);
        return true;
    }
    case SDL_MOUSEBUTTONDOWN:
        if (!s->grabbed) {
            grab(d, true);
            return false;
        }
        /* fall through */
    case SDL_MOUSEBUTTONUP:
        if (!s->grabbed)
            return false;
        s->buttons = sdl_buttons(SDL_GetMouseState(NULL, NULL));
        machine_input_mouse(d->m, 0, 0, 0, s->buttons);
        return true;
    case SDL_MOUSEMOTION:
        if (!s->grabbed)
            return false;
        /* PS/2 counts up for movement up; SDL's y grows downwards. */
        machine_input_mouse(d->m, e->motion.xrel, -e->motion.yrel, 0, sdl_buttons(e->motion.state));
        return true;
    case SDL_MOUSEWHEEL:
        if (!s->grabbed)
            return false;
        machine_input_mouse(d->m, 0, 0, -e->wheel.y, s->buttons);
        return true;
    case SDL_WINDOWEVENT:
        if (e->window.event == SDL_WINDOWEVENT_EXPOSED || e->window.event == SDL_WINDOWEVENT_SIZE_CHANGED)
            s->have_frame = false; /* draw again at the next refresh */
        return false;
    default:
        return false;
    }
}

static void present(struct display *d, const struct vga_frame *f)
{
    struct sdl_display *s = d->impl;
    if (!s->tex || s->tex_w != f->width || s->tex_h != f->height) {
        if (s->tex)
            SDL_DestroyTexture(s->tex);
        s->tex = SDL_CreateTexture(s->ren, SDL_PIXELFORMAT_XRGB8888, SDL_TEXTUREACCESS_STREAMING,
                                   (int)f->width, (int)f->height);
        if (!s->tex)
            return;
        s->tex_w = f->width;
        s->tex_h = f->height;
        /* A new mode: the window takes the frame's size, as QEMU's does. */
        SDL_SetWindowSize(s->win, (int)f->width, (int)f->height);
        SDL_RenderSetLogicalSize(s->ren, (int)f->width, (int)f->height);
    }
    SDL_UpdateTexture(s->tex, NULL, f->pixels, (int)(f->width * 4));
    SDL_RenderClear(s->ren);
    SDL_RenderCopy(s->ren, s->tex, NULL, NULL);
    SDL_RenderPresent(s->ren);
    d->frames_shown++;
}

void display_sdl_refresh(struct display *d, bool frame_due)
{
    struct sdl_display *s = d->impl;
    set_title(d);
    SDL_Event e;
    while (SDL_PollEvent(&e))
        handle(d, &e);
    if (!frame_due || !d->m->pc.has_vga)
        return;
    /* A frame someone else had rendered (a screendump) counts as new too. */
    struct vga *v = &d->m->pc.vga;
    struct vga_frame *f;
    vga_update(v, &f);
    if ((v->frames_rendered != s->shown_gen || !s->have_frame) && f && f->pixels && f->width && f->height) {
        present(d, f);
        s->have_frame = true;
        s->shown_gen = v->frames_rendered;
    }
}

bool display_sdl_wait(struct display *d, int ms)
{
    SDL_Event e;
    bool input = false;
    if (SDL_WaitEventTimeout(&e, ms)) {
        input |= handle(d, &e);
        while (SDL_PollEvent(&e))
            input |= handle(d, &e);
    }
    return input;
}

int display_sdl_open(struct display *d)
{
    struct sdl_display *s = calloc(1, sizeof(*s));
    if (!s)
        return -1;
    d->impl = s;
    SDL_SetHint(SDL_HINT_NO_SIGNAL_HANDLERS, "1"); /* Popek handles SIGINT/SIGTERM itself */
    if (SDL_Init(SDL_INIT_VIDEO) < 0) {
        fprintf(stderr, "popek: --display sdl: %s\n", SDL_GetError());
        free(s);
        d->impl = NULL;
        return -1;
    }
    s->win = SDL_CreateWindow("Popek", SDL_WINDOWPOS_UNDEFINED, SDL_WINDOWPOS_UNDEFINED, 720, 400,
                              SDL_WINDOW_RESIZABLE);
    s->ren = s->win ? SDL_CreateRenderer(s->win, -1, 0) : NULL;
    if (!s->ren) {
        fprintf(stderr, "popek: --display sdl: %s\n", SDL_GetError());
        display_sdl_close(d);
        return -1;
    }
    SDL_SetRenderDrawColor(s->ren, 0, 0, 0, 255);
    set_title(d);
    return 0;
}

void display_sdl_close(struct display *d)
{
    struct sdl_display *s = d->impl;
    if (!s)
        return;
    if (s->tex)
        SDL_DestroyTexture(s->tex);
    if (s->ren)
        SDL_DestroyRenderer(s->ren);
    if (s->win)
        SDL_DestroyWindow(s->win);
    SDL_Quit();
    free(s);
    d->impl = NULL;
}
