/* Screendumps (see screendump.h). */
#include "frontends/screendump.h"

#include <errno.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/vga.h"

int png_write_xrgb(const char *path, const uint32_t *pixels, unsigned width, unsigned height)
{
    FILE *f = fopen(path, "wb");
    if (!f) {
        fprintf(stderr, "popek: screendump: cannot create %s: %s\n", path, strerror(errno));
        return -1;
    }
    png_structp png = png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    uint8_t *row = malloc((size_t)width * 3 + 1);
    int rc = -1;
    if (!png || !info || !row)
        goto out;
    if (setjmp(png_jmpbuf(png)))
        goto out;
    png_init_io(png, f);
    png_set_IHDR(png, info, width, height, 8, PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_DEFAULT, PNG_FILTER_TYPE_DEFAULT);
    png_write_info(png, info);
    for (unsigned y = 0; y < height; y++) {
        const uint32_t *p = pixels + (size_t)y * width;
        for (unsigned x = 0; x < width; x++) {
            row[3 * x] = (uint8_t)(p[x] >> 16);
            row[3 * x + 1] = (uint8_t)(p[x] >> 8);
            row[3 * x + 2] = (uint8_t)p[x];
        }
        png_write_row(png, row);
    }
    png_write_end(png, NULL);
    rc = 0;
out:
    if (png)
        png_destroy_write_struct(&png, info ? &info : NULL);
    free(row);
    if (fclose(f) != 0 && rc == 0)
        rc = -1;
    if (rc < 0)
        fprintf(stderr, "popek: screendump: writing %s failed\n", path);
    return rc;
}

int screendump(struct vga *v, const char *path)
{
    size_t n = strlen(path);
    if (n >= 4 && strcmp(path + n - 4, ".txt") == 0) {
        FILE *f = fopen(path, "w");
        if (!f) {
            fprintf(stderr, "popek: screendump: cannot create %s: %s\n", path, strerror(errno));
            return -1;
        }
        int rc = vga_text_dump(v, f, false);
        if (fclose(f) != 0)
            rc = -1;
        if (rc < 0)
            fprintf(stderr, "popek: screendump: %s: not a text mode, or the write failed\n", path);
        return rc < 0 ? -1 : 0;
    }
    struct vga_frame *fr;
    vga_update(v, &fr);
    if (!fr || !fr->pixels || fr->width == 0 || fr->height == 0) {
        fprintf(stderr, "popek: screendump: the display shows nothing\n");
        return -1;
    }
    return png_write_xrgb(path, fr->pixels, fr->width, fr->height);
}
