/* The screen to a file: a PNG of the frame the VGA shows (through libpng),
 * or, for a text mode, its characters as text (what tests read). */
#ifndef POPEK_FRONTENDS_SCREENDUMP_H
#define POPEK_FRONTENDS_SCREENDUMP_H

#include <stdint.h>

struct vga;

/* PNG when path does not end in ".txt".  Returns 0, or -1 after a message
 * on standard error. */
int screendump(struct vga *v, const char *path);
/* Writes width x height XRGB8888 pixels as an 8-bit RGB PNG.  Returns 0 or
 * -1 after a message. */
int png_write_xrgb(const char *path, const uint32_t *pixels, unsigned width, unsigned height);

#endif
