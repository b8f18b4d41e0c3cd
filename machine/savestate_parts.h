/* The parts of a machine that a savestate holds, one section each
 * (savestate_parts.c): the only file that knows them all. */
#ifndef POPEK_MACHINE_SAVESTATE_PARTS_H
#define POPEK_MACHINE_SAVESTATE_PARTS_H

struct machine;
struct sv_writer;
struct sv_reader;

#define SV_MAX_PARTS 48
#define SV_NAME_MAX 31

struct sv_part {
    const char *name;
    unsigned version;
    void (*save)(struct machine *m, void *obj, struct sv_writer *w);
    void (*load)(struct machine *m, void *obj, struct sv_reader *r, unsigned version);
    void (*post)(struct machine *m, void *obj); /* may be NULL */
    void *obj;
};

/* Fills parts with what m has (a VGA, an APIC only when fitted) in the
 * order they are saved; returns how many. */
unsigned sv_parts(struct machine *m, struct sv_part *parts);

#endif
