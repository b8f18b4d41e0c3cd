/* The differential harness's wire format, shared by the native children
 * (child.c, built with -m32 for 32-bit mode and with -m64 for 64-bit mode)
 * and the harness (diff.c, built for the host).  Only uint32_t and uint8_t
 * members, so the layout is the same in every ABI.
 *
 * Both sides place the code and the memory operand area at the same
 * addresses, so addresses that an instruction computes or pushes (CALL's
 * return address, an ESP-relative operand) are equal on both sides. */
#ifndef POPEK_TESTS_DIFF_PROTO_H
#define POPEK_TESTS_DIFF_PROTO_H

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#define DIFF_MAGIC 0x46464944u /* "DIFF" */
#define DIFF_VERSION 2u

/* The code region: 64 KiB of INT3 (0xCC) with the instruction under test
 * at DIFF_INSN, followed on the host by a jump back to the harness.  A
 * branch that is taken lands on an INT3 elsewhere in the region (the host
 * reports where), or, for 16-bit targets, below 64 KiB, where nothing is
 * mapped (the host reports the fetch fault at the target). */
#define DIFF_CODE 0x00200000u
#define DIFF_CODE_SIZE 0x10000u
#define DIFF_INSN (DIFF_CODE + 0x8000u)

/* The memory area: DIFF_AREA_SIZE bytes compared after every case, inside a
 * 64 KiB region mapped on the host (so near misses do not page-fault).
 * Bytes 0x00-0x7F hold memory operands, 0x80-0xFF the stack. */
#define DIFF_REGION 0x00100000u
#define DIFF_REGION_SIZE 0x10000u
#define DIFF_AREA 0x00108000u
#define DIFF_AREA_SIZE 256u
#define DIFF_STACK_LO 0x80u

#define DIFF_MAXCODE 16u
#define DIFF_FSAVE_SIZE 108u /* FNSAVE/FRSTOR image, 32-bit protected-mode format */

/* in.flags */
#define DIFF_IN_MEM 0x01u /* the area is sent and compared */
#define DIFF_IN_FPU 0x02u /* an FRSTOR image is sent; FNSAVE image returned */

/* One case, harness -> child: this header, then the area if DIFF_IN_MEM,
 * then the FSAVE image if DIFF_IN_FPU. */
struct diff_in {
    uint32_t r[8]; /* EAX ECX EDX EBX ESP EBP ESI EDI */
    uint32_t eflags;
    uint8_t code[DIFF_MAXCODE];
    uint8_t ncode;
    uint8_t flags;
    /* The code starts this many bytes before DIFF_INSN, so that it ends
     * where the harness's instruction ends: the 64-bit child runs a longer
     * encoding of the same instruction (67h, a SIB byte), and relative
     * branches, fall-through and trap addresses stay those of the case. */
    uint8_t lead;
    uint8_t pad;
};

/* host outcome kinds */
#define DIFF_END_NORMAL 0u /* fell through to the exit stub */
#define DIFF_END_SIGNAL 1u /* a signal: trapno/err/eip/addr from its context */

/* One result, child -> harness: this header, then the area if the case had
 * DIFF_IN_MEM, then the FSAVE image if DIFF_IN_FPU. */
struct diff_out {
    uint32_t r[8];
    uint32_t eflags;
    uint32_t eip;    /* DIFF_END_NORMAL: the fall-through address */
    uint32_t end;    /* DIFF_END_* */
    uint32_t signo;
    uint32_t trapno; /* the exception vector the kernel saw */
    uint32_t err;    /* its error code */
    uint32_t addr;   /* si_addr (the faulting address for #PF) */
};

/* The child's greeting, child -> harness, once at start. */
struct diff_hello {
    uint32_t magic, version;
    uint32_t code, region, area; /* where it mapped them (must be the DIFF_* values) */
    uint32_t sel[6];             /* ES CS SS DS FS GS selectors */
    uint32_t ok;                 /* 1 if the mappings and the signal stack are set up */
    uint32_t bits;               /* 32: the child runs in 32-bit mode; 64: in 64-bit mode */
};

/* A batch: uint32_t count, then count cases; the child answers with count
 * results once it has executed them all.  A count of 0 ends the child. */
#define DIFF_MAX_BATCH 512u

/* Both ends move whole messages over the pipes: these loop over short
 * transfers and return -1 at end of file or on an error. */
static inline int read_full(int fd, void *buf, size_t n)
{
    uint8_t *p = buf;
    while (n) {
        ssize_t k = read(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

static inline int write_full(int fd, const void *buf, size_t n)
{
    const uint8_t *p = buf;
    while (n) {
        ssize_t k = write(fd, p, n);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        p += k;
        n -= (size_t)k;
    }
    return 0;
}

#endif
