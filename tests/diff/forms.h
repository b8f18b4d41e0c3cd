/* The instruction forms of the differential harness: for every operation
 * in cpu/ops.def either a case generator (forms.c) or an exclusion with
 * the reason.  A case is one instruction with its inputs and the parts of
 * the outcome that the SDM leaves undefined for those inputs. */
#ifndef POPEK_TESTS_DIFF_FORMS_H
#define POPEK_TESTS_DIFF_FORMS_H

#include <stdbool.h>
#include <stdint.h>

#include "tests/diff/proto.h"

struct rng {
    uint64_t s;
};
uint32_t rng_next(struct rng *r);
/* Uniform in [0, n). */
uint32_t rng_below(struct rng *r, uint32_t n);

/* A generated case. */
struct tcase {
    struct diff_in in;
    uint8_t area[DIFF_AREA_SIZE];
    uint8_t fsave[DIFF_FSAVE_SIZE];
    uint32_t undef_flags;  /* EFLAGS bits the SDM leaves undefined here */
    uint32_t reg_undef[8]; /* register bits left undefined */
    uint8_t mem_undef_off, mem_undef_len; /* area bytes left undefined */
    uint8_t variant;       /* VAR_* (for the per-form counts) */
    uint8_t modrm_at;      /* 1 + the offset of a memory operand's ModRM byte in the code; 0: none */
};
enum { VAR_REG, VAR_MEM, VAR_NONE, NVAR };

struct form;
typedef void gen_fn(const struct form *f, struct rng *r, unsigned i, struct tcase *t);

/* fl bits */
#define FL_MEMONLY 0x01u /* ModRM operand only in memory */
#define FL_REGONLY 0x02u /* ModRM operand only a register */
#define FL_LOCK 0x04u    /* LOCK is allowed with a memory operand: sometimes given */
#define FL_STACK 0x08u   /* uses the stack: ESP points into the area */
#define FL_MEM 0x10u     /* touches memory even without a ModRM memory operand */
#define FL_ALIAS82 0x20u /* 80h group: sometimes encoded as its alias 82h */
#define FL_POPBIAS 0x40u /* POP Ev: an ESP base is taken after the pop */

struct form {
    const char *op;   /* the ops.def name (with _w/_d) */
    gen_fn *gen;
    uint8_t opc[3], nopc; /* opcode bytes, after prefixes */
    uint8_t bits;     /* operand size: 16 adds 66h */
    uint8_t digits;   /* ModRM.reg choices (bit n: /n); 0: a random register (G) */
    uint8_t imm;      /* immediate bytes after ModRM */
    uint8_t fl;
    uint8_t ebits;    /* size of the ModRM operand when it differs from bits (MOVZX/MOVSX) */
    uint32_t undef;   /* flags undefined whatever the inputs */
};

extern const struct form diff_forms[];
extern const unsigned diff_nforms;

/* Operations not run here, and why. */
struct exclusion {
    const char *op;
    const char *why;
};
extern const struct exclusion diff_exclusions[];
extern const unsigned diff_nexclusions;

/* x87 forms: run only when Popek's CPUID.1:EDX.FPU is set. */
struct x87_form {
    const char *name;  /* e.g. "FADD m32fp" */
    uint8_t opc;       /* D8-DF */
    uint8_t digit;     /* ModRM.reg */
    bool mem;          /* memory operand (else a register form) */
    int8_t rm;         /* register forms: ModRM.rm, or -1 for a random ST(i) */
    uint8_t kind;      /* X87_*: what the memory operand holds */
    bool transcendental; /* compared within 1 ulp under the SDM's accuracy conditions */
};
enum { X87_NONE, X87_F32, X87_F64, X87_F80, X87_I16, X87_I32, X87_I64, X87_BCD, X87_ENV, X87_SAVE, X87_W16 };
extern const struct x87_form diff_x87_forms[];
extern const unsigned diff_nx87_forms;
/* Generates an x87 case: an FSAVE image (control word, status word with
 * TOP, tag word, 80-bit registers) and the memory operand. */
void diff_x87_gen(const struct x87_form *f, struct rng *r, unsigned i, struct tcase *t);

/* Every op name in cpu/ops.def, in enum order. */
extern const char *const diff_op_names[];
extern const unsigned diff_nops;

#endif
