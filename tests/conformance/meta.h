/* Per-opcode metadata of a SingleStepTests suite (metadata.json) and its
 * revocation list.  No globals. */
#ifndef POPEK_TESTS_CONFORMANCE_META_H
#define POPEK_TESTS_CONFORMANCE_META_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum sst_status {
    ST_UNKNOWN, /* not in the metadata */
    ST_NORMAL,
    ST_PREFIX,
    ST_ALIAS,
    ST_UNDOCUMENTED,
    ST_UNDEFINED,
    ST_FPU,
    ST_EXTENSION,
    ST_NSTATUS
};

const char *sst_status_name(enum sst_status s);
/* Tests of this status are excluded (not run, not counted). */
static inline bool sst_status_excluded(enum sst_status s)
{
    return s == ST_UNDEFINED || s == ST_FPU;
}

struct sst_opinfo {
    uint8_t status;      /* enum sst_status */
    uint16_t flags_mask; /* 0xFFFF when the metadata gives none */
};

/* One-byte opcodes only (these real-mode sets have no 0F-map files). */
struct sst_meta {
    bool has_reg[256];              /* the entry is split by ModRM reg */
    struct sst_opinfo op[256][8];   /* [opcode][reg]; all 8 equal unless has_reg */
};

int sst_meta_load(const char *path, struct sst_meta *m, char *err, size_t errlen);

/* The segment-override, LOCK and REP prefixes skipped to find the opcode. */
static inline bool sst_is_prefix(uint8_t b)
{
    return b == 0x26 || b == 0x2E || b == 0x36 || b == 0x3E || b == 0xF0 || b == 0xF2 || b == 0xF3;
}

/* What the metadata says about one test, decided from its bytes. */
struct sst_class {
    uint8_t opcode;
    int reg;        /* ModRM reg field, or -1 if the opcode is not split by it */
    unsigned oplen; /* prefix bytes before the opcode */
    struct sst_opinfo info;
};
/* Returns -1 if the bytes hold no opcode (all prefixes). */
int sst_classify(const struct sst_meta *m, const uint8_t *bytes, uint32_t n, struct sst_class *c);

/* A sorted set of 20-byte test hashes. */
struct sst_hashset {
    uint8_t (*h)[20];
    size_t n;
};
/* Reads a revocation list (40-hex-digit hashes, '#' comments).  A missing
 * file is an error. */
int sst_hashset_load(const char *path, struct sst_hashset *s, char *err, size_t errlen);
bool sst_hashset_has(const struct sst_hashset *s, const uint8_t hash[20]);
void sst_hashset_free(struct sst_hashset *s);

/* Reads a whole file into a NUL-terminated malloc'd buffer. */
char *sst_read_file(const char *path, size_t *len);

#endif
