/* Guest symbol tables (see symbols.h). */
#include "machine/symbols.h"

#include <errno.h>
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A label without a size covers at most this much after it: past the end
 * of the last function of a System.map lies data, not more of it. */
#define UNSIZED_REACH (1u << 20)
#define MAX_SYMBOLS (1u << 24)

void symtab_init(struct symtab *t)
{
    memset(t, 0, sizeof(*t));
}

void symtab_free(struct symtab *t)
{
    free(t->sym);
    free(t->names);
    memset(t, 0, sizeof(*t));
}

int symtab_add(struct symtab *t, const char *name, uint64_t addr, uint64_t size, char kind)
{
    size_t len = strlen(name) + 1;
    if (t->n >= MAX_SYMBOLS || len > 4096 || t->names_len + len > UINT32_MAX)
        return -ENOMEM;
    if (t->n == t->cap) {
        size_t cap = t->cap ? 2 * t->cap : 256;
        struct symbol *s = realloc(t->sym, cap * sizeof(*s));
        if (!s)
            return -ENOMEM;
        t->sym = s;
        t->cap = cap;
    }
    if (t->names_len + len > t->names_cap) {
        size_t cap = t->names_cap ? 2 * t->names_cap : 4096;
        while (cap < t->names_len + len)
            cap *= 2;
        char *s = realloc(t->names, cap);
        if (!s)
            return -ENOMEM;
        t->names = s;
        t->names_cap = cap;
    }
    memcpy(t->names + t->names_len, name, len);
    t->sym[t->n++] = (struct symbol){ addr, size, kind, (uint32_t)t->names_len };
    t->names_len += len;
    t->sorted = false;
    return 0;
}

/* The ELF symbol's nm-style kind, or 0 for one the debugger does not want
 * (sections, files, undefined and absolute values). */
static char sym_kind(Elf *e, const GElf_Sym *s)
{
    int type = GELF_ST_TYPE(s->st_info);
    if (type == STT_SECTION || type == STT_FILE || s->st_shndx == SHN_UNDEF || s->st_shndx == SHN_ABS ||
        s->st_shndx >= SHN_LORESERVE)
        return 0;
    if (type == STT_FUNC || type == STT_GNU_IFUNC)
        return 'T';
    if (type == STT_OBJECT || type == STT_TLS || type == STT_COMMON)
        return 'D';
    if (type != STT_NOTYPE)
        return 0;
    Elf_Scn *scn = elf_getscn(e, s->st_shndx);
    GElf_Shdr sh;
    if (scn && gelf_getshdr(scn, &sh) && (sh.sh_flags & SHF_EXECINSTR))
        return 'T';
    return 'D';
}

/* Adds one symbol table section; returns the number added or -errno. */
static int add_elf_table(struct symtab *t, Elf *e, Elf_Scn *scn, const GElf_Shdr *sh)
{
    if (sh->sh_entsize == 0 || sh->sh_size / sh->sh_entsize > MAX_SYMBOLS)
        return -EINVAL;
    Elf_Data *d = elf_getdata(scn, NULL);
    if (!d)
        return -EINVAL;
    size_t n = sh->sh_size / sh->sh_entsize;
    int added = 0;
    for (size_t i = 0; i < n; i++) {
        GElf_Sym s;
        if (!gelf_getsym(d, (int)i, &s))
            break; /* the data ends before the header says */
        char kind = sym_kind(e, &s);
        if (!kind)
            continue;
        const char *name = elf_strptr(e, sh->sh_link, s.st_name);
        if (!name || !*name)
            continue;
        if (symtab_add(t, name, s.st_value, s.st_size, kind) < 0)
            return -ENOMEM;
        added++;
    }
    return added;
}

static int load_elf(struct symtab *t, const char *path, bool quiet)
{
    if (elf_version(EV_CURRENT) == EV_NONE)
        return -ENOSYS;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int err = errno;
        if (!quiet)
            fprintf(stderr, "popek: cannot open symbol file %s: %s\n", path, strerror(err));
        return -err;
    }
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    int rc = -EINVAL;
    if (!e || elf_kind(e) != ELF_K_ELF) {
        if (!quiet)
            fprintf(stderr, "popek: %s: not an ELF file\n", path);
        goto out;
    }
    /* .symtab has every symbol; .dynsym (all a stripped file keeps) only
     * the exported ones. */
    static const GElf_Word tables[2] = { SHT_SYMTAB, SHT_DYNSYM };
    for (int k = 0; k < 2 && rc < 0; k++) {
        Elf_Scn *scn = NULL;
        while ((scn = elf_nextscn(e, scn)) != NULL) {
            GElf_Shdr sh;
            if (!gelf_getshdr(scn, &sh) || sh.sh_type != tables[k])
                continue;
            int n = add_elf_table(t, e, scn, &sh);
            if (n == -ENOMEM) {
                rc = n;
                goto out;
            }
            if (n >= 0)
                rc = rc < 0 ? n : rc + n;
        }
    }
    if (rc < 0 && !quiet)
        fprintf(stderr, "popek: %s: no symbol table\n", path);
out:
    if (e)
        elf_end(e);
    close(fd);
    return rc;
}

int symtab_load_elf(struct symtab *t, const char *path)
{
    return load_elf(t, path, false);
}

int symtab_load_elf_quiet(struct symtab *t, const char *path)
{
    return load_elf(t, path, true);
}

/* nm's letters, as a System.map uses them. */
static char map_kind(char c)
{
    switch (c) {
    case 'T': case 't': case 'W': case 'w':
        return 'T';
    case 'D': case 'd': case 'B': case 'b': case 'R': case 'r': case 'G': case 'g': case 'S': case 's':
    case 'V': case 'v':
        return 'D';
    default:
        return 0; /* absolute, undefined, debugging */
    }
}

int symtab_load_map(struct symtab *t, const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        int err = errno;
        fprintf(stderr, "popek: cannot open symbol file %s: %s\n", path, strerror(err));
        return -err;
    }
    char line[512];
    int added = 0, lines = 0;
    while (fgets(line, sizeof(line), f)) {
        size_t len = strlen(line);
        if (len && line[len - 1] != '\n' && !feof(f)) {
            int c; /* a line too long to be a symbol: skip the rest */
            while ((c = fgetc(f)) != EOF && c != '\n')
                ;
            continue;
        }
        lines++;
        char *end;
        unsigned long long addr = strtoull(line, &end, 16);
        if (end == line || *end != ' ' || !end[1] || end[2] != ' ')
            continue;
        char kind = map_kind(end[1]);
        char *name = end + 3;
        name[strcspn(name, " \t\r\n")] = 0;
        if (!kind || !*name)
            continue;
        if (symtab_add(t, name, addr, 0, kind) < 0) {
            fclose(f);
            return -ENOMEM;
        }
        added++;
    }
    fclose(f);
    if (!added) {
        fprintf(stderr, "popek: %s: no symbols (neither ELF nor a System.map)\n", path);
        return -EINVAL;
    }
    return added;
}

int symtab_load(struct symtab *t, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int err = errno;
        fprintf(stderr, "popek: cannot open symbol file %s: %s\n", path, strerror(err));
        return -err;
    }
    unsigned char magic[4] = { 0 };
    size_t n = fread(magic, 1, 4, f);
    fclose(f);
    if (n == 4 && !memcmp(magic, "\177ELF", 4))
        return symtab_load_elf(t, path);
    return symtab_load_map(t, path);
}

/* Code before data at one address, sized before unsized, then by name, so
 * that a lookup gives the function rather than a label inside it. */
static int cmp_sym(const void *a, const void *b, void *names)
{
    const struct symbol *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    if (x->kind != y->kind)
        return x->kind == 'T' ? -1 : y->kind == 'T' ? 1 : 0;
    if ((x->size == 0) != (y->size == 0))
        return x->size ? -1 : 1;
    return strcmp((const char *)names + x->name, (const char *)names + y->name);
}

/* A merge sort (qsort has no context argument in C11). */
static void sort_syms(struct symbol *s, struct symbol *tmp, size_t n, const char *names)
{
    if (n < 2)
        return;
    size_t h = n / 2;
    sort_syms(s, tmp, h, names);
    sort_syms(s + h, tmp, n - h, names);
    size_t i = 0, j = h, k = 0;
    while (i < h && j < n)
        tmp[k++] = cmp_sym(&s[j], &s[i], (void *)names) < 0 ? s[j++] : s[i++];
    while (i < h)
        tmp[k++] = s[i++];
    while (j < n)
        tmp[k++] = s[j++];
    memcpy(s, tmp, n * sizeof(*s));
}

static bool ensure_sorted(struct symtab *t)
{
    if (t->sorted)
        return true;
    struct symbol *tmp = malloc((t->n ? t->n : 1) * sizeof(*tmp));
    if (!tmp)
        return false;
    sort_syms(t->sym, tmp, t->n, t->names);
    free(tmp);
    t->sorted = true;
    return true;
}

const struct symbol *symtab_lookup(struct symtab *t, uint64_t addr)
{
    if (!t->n || !ensure_sorted(t))
        return NULL;
    size_t lo = 0, hi = t->n; /* the first symbol above addr */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->sym[mid].addr <= addr)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    uint64_t at = t->sym[lo - 1].addr;
    size_t first = lo - 1;
    while (first > 0 && t->sym[first - 1].addr == at)
        first--;
    const struct symbol *s = &t->sym[first];
    if (s->size)
        return addr - s->addr < s->size ? s : NULL;
    if (addr - s->addr >= UNSIZED_REACH)
        return NULL;
    return s;
}

const struct symbol *symtab_find(struct symtab *t, const char *name)
{
    if (!ensure_sorted(t))
        return NULL;
    const struct symbol *data = NULL;
    for (size_t i = 0; i < t->n; i++) {
        if (strcmp(t->names + t->sym[i].name, name) != 0)
            continue;
        if (t->sym[i].kind == 'T')
            return &t->sym[i];
        if (!data)
            data = &t->sym[i];
    }
    return data;
}

bool symtab_format(struct symtab *t, uint64_t addr, char *buf, size_t len)
{
    if (len)
        buf[0] = 0;
    const struct symbol *s = symtab_lookup(t, addr);
    if (!s || !len)
        return false;
    if (addr == s->addr)
        snprintf(buf, len, "%s", symtab_name(t, s));
    else
        snprintf(buf, len, "%s+0x%llx", symtab_name(t, s), (unsigned long long)(addr - s->addr));
    return true;
}
