/* Runs one SingleStepTests test on a Popek CPU and compares the outcome
 * with the hardware capture.  A struct sst_machine owns one bus and one CPU
 * and keeps RAM all-zero between tests (only the bytes a test touched are
 * restored).  No globals. */
#ifndef POPEK_TESTS_CONFORMANCE_RUN_H
#define POPEK_TESTS_CONFORMANCE_RUN_H

#include <stdbool.h>
#include <stdint.h>

#include "cpu/cpu.h"
#include "mem/bus.h"
#include "tests/conformance/moo.h"

/* Scratch entry of the expected-memory set. */
struct sst_membyte {
    uint32_t addr;
    uint32_t order;  /* source position, for "last entry wins" */
    uint8_t val;     /* expected value */
    uint8_t mask;    /* bits compared */
    uint8_t src;     /* 0 = INIT, 1 = FINA, 2 = added for a masked FLAGS word */
};

struct sst_machine {
    enum cpu_model model;
    bool is286;
    uint32_t ram_size;
    uint32_t addr_mask;  /* 0xFFFFF on the 8086, 0xFFFFFF on the 286 */
    unsigned step_cap;   /* 286: most cpu_step() calls before giving up */
    struct bus bus;
    struct cpu *cpu;
    struct cpu_state tmpl; /* the reset state: control registers etc. */
    struct sst_membyte *mem;
    size_t memcap;
};

/* What the metadata decided for a test. */
struct sst_expect {
    uint16_t flags_mask; /* AND into both FLAGS values (0xFFFF: compare all) */
    bool divide;         /* a divide opcode (F6.6 F6.7 F7.6 F7.7 D4) */
};

/* Writes the self-test injects after the instruction ran, as if the CPU had
 * made them. */
#define SST_MAX_INJECT 4
struct sst_inject {
    unsigned n;
    uint32_t addr[SST_MAX_INJECT];
    uint8_t val[SST_MAX_INJECT];
};

enum {
    SST_BAD_EXIT = 1,  /* cpu_step() did not end the test as it should */
    SST_BAD_REGS = 2,
    SST_BAD_MEM = 4,   /* an expected byte differs */
    SST_STRAY = 8,     /* a byte outside the expected set was written */
    SST_BAD_DATA = 16, /* the test itself is unusable (address beyond RAM) */
};

#define SST_MAX_DIFFS 16
struct sst_result {
    unsigned why; /* SST_* bits; 0 = pass */
    enum cpu_exit exit;
    unsigned steps;
    char cpu_error[96]; /* cpu_error() text when exit is CPU_EXIT_ERROR */
    uint16_t exp[MOO_NREGS], got[MOO_NREGS], cmpmask[MOO_NREGS];
    uint16_t bad_regs; /* bit per register */
    unsigned nmem_bad;
    struct {
        uint32_t addr;
        uint8_t exp, got, mask;
    } mem_bad[SST_MAX_DIFFS];
    unsigned nstray;
    struct {
        uint32_t addr;
        uint8_t val;
    } stray[SST_MAX_DIFFS];
    /* The masked FLAGS word on the stack, if any (for diagnostics). */
    bool masked_word;
    uint32_t masked_addr, masked_addr_hi; /* its low and high byte */
};

/* model: CPU_8086 (1 MiB RAM) or CPU_286 (16 MiB RAM, A20 on).  Returns 0
 * or -1 (message on stderr). */
int sst_machine_init(struct sst_machine *m, enum cpu_model model);
void sst_machine_free(struct sst_machine *m);

/* Loads, executes and checks test t; fills r.  inject may be NULL.
 * Returns true if the test passed. */
bool sst_run_test(struct sst_machine *m, const struct moo_test *t, const struct sst_expect *e,
                  const struct sst_inject *inject, struct sst_result *r);

/* Zeroes every non-zero byte of RAM and returns how many there were: after
 * sst_run_test() this should always be 0 (a non-zero count means a write
 * escaped the windows the stray-write scan covers). */
uint32_t sst_machine_sweep(struct sst_machine *m);

/* The value the test expects at addr after execution (FINA, else INIT,
 * else 0), and whether the address is in the expected set at all. */
bool sst_expected_byte(const struct moo_test *t, uint32_t addr, uint8_t *val);

#endif
