/* Savestate streams: how each part of a machine writes its state into a
 * savestate and reads it back (the file around them is machine/savestate.c).
 * Every value is stored little-endian at a fixed width whatever the host,
 * so a state saved on one host loads on any other; nothing is dumped as a
 * host struct.  It sits at the bottom of the layers so that the CPU, the
 * devices and the bus all serialise through it without knowing one another.
 *
 * A reader never reads past its end.  It keeps the first error (truncated
 * data, a value out of range) with the section it happened in, and every
 * get after an error returns 0, so a loader may read straight through and
 * look at sv_ok() once; what it stored meanwhile is thrown away (the
 * machine rolls back to the state it had before the load). */
#ifndef POPEK_MEM_SV_H
#define POPEK_MEM_SV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sv_writer {
    uint8_t *buf;
    size_t len, cap;
    bool failed; /* out of memory: the stream is unusable */
};

void sv_writer_init(struct sv_writer *w);
void sv_writer_free(struct sv_writer *w);
void sv_put_u8(struct sv_writer *w, uint8_t v);
void sv_put_u16(struct sv_writer *w, uint16_t v);
void sv_put_u32(struct sv_writer *w, uint32_t v);
void sv_put_u64(struct sv_writer *w, uint64_t v);
void sv_put_bool(struct sv_writer *w, bool v);
void sv_put_bytes(struct sv_writer *w, const void *p, size_t n);

/* A large buffer that is mostly zeros (RAM, video memory): a bitmap of
 * its 4 KiB pages that hold anything else, then those pages.  size must
 * be a multiple of 4 KiB. */
void sv_put_sparse(struct sv_writer *w, const uint8_t *buf, size_t size);

struct sv_reader {
    const uint8_t *p;
    size_t len, pos;
    bool failed;
    const char *section; /* named in the error message */
    char err[240];
};

void sv_reader_init(struct sv_reader *r, const void *p, size_t len, const char *section);
static inline bool sv_ok(const struct sv_reader *r) { return !r->failed; }
/* Records an error (the first one is kept) and returns false. */
bool sv_fail(struct sv_reader *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
/* Fails with "WHAT out of range" unless ok; returns ok. */
bool sv_check(struct sv_reader *r, bool ok, const char *what);

uint8_t sv_get_u8(struct sv_reader *r);
uint16_t sv_get_u16(struct sv_reader *r);
uint32_t sv_get_u32(struct sv_reader *r);
uint64_t sv_get_u64(struct sv_reader *r);
/* A stored bool must be 0 or 1. */
bool sv_get_bool(struct sv_reader *r);
void sv_get_bytes(struct sv_reader *r, void *dst, size_t n);
/* An index, a count, a FIFO position: a value in [0, max], else an error
 * naming what (and 0 is returned). */
uint32_t sv_get_max(struct sv_reader *r, unsigned bytes, uint32_t max, const char *what);
/* The reverse of sv_put_sparse, into buf of the same size (pages not
 * stored are zeroed).  The map must claim no page beyond size. */
void sv_get_sparse(struct sv_reader *r, uint8_t *buf, size_t size);
/* The bytes that remain unread (a section must be read to its end). */
static inline size_t sv_left(const struct sv_reader *r) { return r->len - r->pos; }

#endif
