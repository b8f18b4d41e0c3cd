/* Booting what the command line names: a firmware image, or a kernel
 * loaded directly (a Linux bzImage or a multiboot ELF, told apart by their
 * headers), with its initrd or modules and command line. */
#include "frontends/boot.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "machine/linux_boot.h"
#include "machine/multiboot.h"

#define MAX_FILE (1u << 30)

int frontend_read_file(const char *path, uint8_t **data, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int err = errno;
        fprintf(stderr, "popek: cannot open %s: %s\n", path, strerror(err));
        return -err;
    }
    size_t cap = 1 << 20, n = 0;
    uint8_t *buf = malloc(cap);
    while (buf) {
        if (n == cap) {
            if (cap >= MAX_FILE) {
                fprintf(stderr, "popek: %s is larger than 1 GiB\n", path);
                free(buf);
                fclose(f);
                return -EFBIG;
            }
            uint8_t *nb = realloc(buf, cap * 2);
            if (!nb)
                break;
            buf = nb;
            cap *= 2;
        }
        size_t got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    int bad = ferror(f);
    fclose(f);
    if (!buf || bad) {
        fprintf(stderr, "popek: cannot read %s\n", path);
        free(buf);
        return -EIO;
    }
    *data = buf;
    *len = n;
    return 0;
}

/* Multiboot modules: "file args,file args". */
static int load_modules(const char *spec, struct multiboot_module **out, unsigned *count, char **store)
{
    *out = NULL;
    *count = 0;
    if (!spec)
        return 0;
    char *copy = strdup(spec);
    if (!copy)
        return -ENOMEM;
    *store = copy;
    unsigned cap = 0;
    for (char *item = strtok(copy, ","); item; item = strtok(NULL, ",")) {
        while (*item == ' ')
            item++;
        char *path = item, *space = strchr(item, ' ');
        if (space)
            *space = 0;
        if (*count == cap) {
            cap = cap ? cap * 2 : 4;
            struct multiboot_module *nm = realloc(*out, cap * sizeof(**out));
            if (!nm)
                return -ENOMEM;
            *out = nm;
        }
        struct multiboot_module *mod = &(*out)[*count];
        uint8_t *data;
        size_t len;
        int rc = frontend_read_file(path, &data, &len);
        if (rc < 0)
            return rc;
        mod->data = data;
        mod->len = len;
        /* The module's string is its whole item: path and arguments. */
        if (space)
            *space = ' ';
        mod->string = item;
        (*count)++;
    }
    return 0;
}

int frontend_boot_kernel(struct machine *m, const char *kernel, const char *initrd, const char *append,
                         char *what, size_t whatlen)
{
    snprintf(what, whatlen, "%s", kernel);
    uint8_t *img = NULL;
    size_t len = 0;
    int rc = frontend_read_file(kernel, &img, &len);
    if (rc < 0)
        return rc;
    uint32_t mb_off;
    char why[160];
    if (multiboot_find_header(img, len, &mb_off) == 0) {
        struct multiboot_module *mods = NULL;
        unsigned nmods = 0;
        char *store = NULL;
        rc = load_modules(initrd, &mods, &nmods, &store);
        if (rc == 0) {
            /* The kernel's own command line starts with its name, as GRUB does. */
            size_t clen = strlen(kernel) + (append ? strlen(append) + 1 : 0) + 1;
            char *cmd = malloc(clen);
            if (cmd) {
                snprintf(cmd, clen, "%s%s%s", kernel, append ? " " : "", append ? append : "");
                uint32_t tables = pc_firmware_tables(m);
                rc = multiboot_boot(m, img, len, cmd, mods, nmods, tables);
                snprintf(what, whatlen, "the multiboot kernel %s with %u module%s", kernel, nmods,
                         nmods == 1 ? "" : "s");
                free(cmd);
            } else {
                rc = -ENOMEM;
            }
        }
        for (unsigned i = 0; i < nmods; i++)
            free((void *)mods[i].data);
        free(mods);
        free(store);
    } else if (linux_check_image(img, len, why, sizeof(why)) == 0) {
        uint8_t *rd = NULL;
        size_t rdlen = 0;
        if (initrd)
            rc = frontend_read_file(initrd, &rd, &rdlen);
        uint32_t tables = rc == 0 ? pc_firmware_tables(m) : 0;
        if (rc == 0)
            rc = linux_boot(m, img, len, rd, rdlen, append, tables);
        char version[96];
        linux_kernel_version(img, len, version, sizeof(version));
        snprintf(what, whatlen, "Linux %s from %s", version[0] ? version : "(no version string)", kernel);
        free(rd);
    } else {
        fprintf(stderr, "popek: %s is neither a multiboot kernel nor a Linux bzImage (%s)\n", kernel, why);
        rc = -EINVAL;
    }
    free(img);
    return rc;
}
