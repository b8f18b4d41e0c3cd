/* The command line of the assembly guests' host references (bench_ref.c,
 * dosloop_ref.c): "NAME ITER" prints the checksum, "NAME --count ITER"
 * the instruction count; ITER from 1 to 2^32-1, as nasm's -DITER takes. */
#ifndef POPEK_TESTS_BENCH_REF_ARGS_H
#define POPEK_TESTS_BENCH_REF_ARGS_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Returns 0 with *iter and *want_count set, or -1 after printing usage. */
static int ref_args(int argc, char **argv, const char *name, uint32_t *iter, int *want_count)
{
    char *end = NULL;
    *want_count = argc == 3 && strcmp(argv[1], "--count") == 0;
    const char *arg = argc == 2 ? argv[1] : *want_count ? argv[2] : "";
    unsigned long long n = strtoull(arg, &end, 0);
    if ((argc != 2 && !*want_count) || *arg == '\0' || *end != '\0' || n < 1 || n > 0xFFFFFFFFull) {
        fprintf(stderr, "usage: %s [--count] ITER (1 to 2^32-1)\n", name);
        return -1;
    }
    *iter = (uint32_t)n;
    return 0;
}

#endif
