/* Reader for the SingleStepTests MOO container (gzip-compressed chunk
 * stream; see ../shared/testdata/singlestep/FORMAT.md).  A file is read
 * whole into memory and decoded into an array of tests.  No globals. */
#ifndef POPEK_TESTS_CONFORMANCE_MOO_H
#define POPEK_TESTS_CONFORMANCE_MOO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Register order of REGS chunks (bit i of the mask = register i). */
enum {
    MOO_AX, MOO_BX, MOO_CX, MOO_DX, MOO_CS, MOO_SS, MOO_DS, MOO_ES,
    MOO_SP, MOO_BP, MOO_SI, MOO_DI, MOO_IP, MOO_FLAGS, MOO_NREGS
};
#define MOO_ALL_REGS ((uint16_t)((1u << MOO_NREGS) - 1))

extern const char *const moo_reg_names[MOO_NREGS];

struct moo_regs {
    uint16_t mask; /* which of v[] are present */
    uint16_t v[MOO_NREGS];
};

struct moo_ram {
    uint32_t addr;
    uint8_t val;
};

struct moo_state {
    struct moo_regs regs;
    const struct moo_ram *ram; /* entries in file order */
    uint32_t nram;
};

struct moo_test {
    uint32_t seq;   /* position in the file, 0-based */
    uint32_t index; /* the TEST chunk's own index field */
    const char *name;
    uint32_t name_len;
    const uint8_t *bytes;
    uint32_t nbytes;
    struct moo_state init, fina;
    /* Register masks (RMSK, top level or in FINA) ANDed into both sides;
     * all 0xFFFF when the file has none. */
    uint16_t rmask[MOO_NREGS];
    bool has_excp;
    uint8_t excp_vector;
    uint32_t excp_flags_addr; /* physical address of the pushed FLAGS word */
    bool has_hash;
    uint8_t hash[20];
};

struct moo_file {
    uint8_t *buf; /* decompressed contents; tests point into it */
    size_t len;
    struct moo_ram *ram_pool;
    struct moo_test *tests;
    size_t ntests;
    uint8_t major, minor;
    uint32_t declared_tests; /* from the MOO header */
    char cpu[5];             /* "8086", "C286", ... */
    bool has_meta;
    uint32_t meta_opcode;
    char mnemonic[9];
};

/* Reads and decodes path (gzip or plain).  On error returns -1 and writes a
 * message to err. */
int moo_load(const char *path, struct moo_file *f, char *err, size_t errlen);
/* Decodes an in-memory, already decompressed image; f takes ownership of
 * buf (allocated with malloc) even on failure. */
int moo_parse(uint8_t *buf, size_t len, struct moo_file *f, char *err, size_t errlen);
void moo_free(struct moo_file *f);

/* Hash as 40 lowercase hex digits plus NUL. */
void moo_hash_hex(const struct moo_test *t, char out[41]);

#endif
