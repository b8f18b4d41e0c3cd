/* Guest symbols for the debugger, the monitor and the trace: read from an
 * ELF file's symbol tables (libelf; 32- or 64-bit, any byte order) or from
 * a System.map, looked up by address ("name+0x1c") and by name.  A table
 * belongs to whoever loads it (a machine's frontend); nothing is global.
 * Malformed files are refused with a message, never read out of bounds. */
#ifndef POPEK_MACHINE_SYMBOLS_H
#define POPEK_MACHINE_SYMBOLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct symbol {
    uint64_t addr;
    uint64_t size; /* 0: unknown (a System.map, an assembler label) */
    char kind;     /* 'T' code, 'D' data, '?' other, as nm prints them */
    uint32_t name; /* offset into names */
};

struct symtab {
    struct symbol *sym; /* sorted by address, then by name */
    size_t n, cap;
    char *names;
    size_t names_len, names_cap;
    bool sorted;
};

void symtab_init(struct symtab *t);
void symtab_free(struct symtab *t);

/* Adds the symbols of an ELF file (its .symtab, else .dynsym): functions,
 * objects and untyped labels with an address, not section or file
 * symbols.  Returns the number added or -errno after a message. */
int symtab_load_elf(struct symtab *t, const char *path);
/* The same without messages, for a file that may not be ELF at all (a
 * kernel given with --kernel). */
int symtab_load_elf_quiet(struct symtab *t, const char *path);
/* Adds the lines of a System.map ("c1000000 T _text"); lines that do not
 * parse are skipped, a file with none that parses is refused.  Returns
 * the number added or -errno after a message. */
int symtab_load_map(struct symtab *t, const char *path);
/* Either, by the file's first bytes. */
int symtab_load(struct symtab *t, const char *path);

/* Adds one symbol (name is copied).  Returns 0 or -ENOMEM. */
int symtab_add(struct symtab *t, const char *name, uint64_t addr, uint64_t size, char kind);

/* The symbol that covers addr: the last one at or below it, if addr is
 * inside its size (or, for a symbol of unknown size, below the next
 * symbol and within 1 MiB of it).  NULL if none. */
const struct symbol *symtab_lookup(struct symtab *t, uint64_t addr);
/* The first symbol called name (code before data), or NULL. */
const struct symbol *symtab_find(struct symtab *t, const char *name);
static inline const char *symtab_name(const struct symtab *t, const struct symbol *s)
{
    return t->names + s->name;
}
/* Formats addr as "name" or "name+0xOFF" into buf; returns false (and
 * leaves buf empty) when no symbol covers it. */
bool symtab_format(struct symtab *t, uint64_t addr, char *buf, size_t len);

#endif
