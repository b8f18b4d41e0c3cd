/* The compiled-C benchmark's reference: the guest's workloads compiled for
 * the host.  Usage: cbench_ref ITER  prints the checksum the guest built
 * with -DCBENCH_ITER=ITER must print (eight hex digits and a newline). */
#include <stdio.h>
#include <stdlib.h>

#include "tests/bench/cbench/work.h"

int main(int argc, char **argv)
{
    char *end = NULL;
    unsigned long long iter = argc == 2 ? strtoull(argv[1], &end, 0) : 0;
    if (argc != 2 || *argv[1] == '\0' || *end != '\0' || iter > 0xFFFFFFFFull) {
        fprintf(stderr, "usage: cbench_ref ITER (0 to 2^32-1)\n");
        return 1;
    }
    printf("%08x\n", cbench_run((uint32_t)iter));
    return 0;
}
