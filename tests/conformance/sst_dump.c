/* sst-dump: prints decoded SingleStepTests files without needing a CPU.
 *   sst-dump FILE.MOO.gz [FIRST [COUNT]]
 *   sst-dump --meta metadata.json */
#include "tests/conformance/dump.h"

#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    if (argc == 3 && !strcmp(argv[1], "--meta")) {
        struct sst_meta *m = malloc(sizeof(*m));
        char err[300];
        if (!m || sst_meta_load(argv[2], m, err, sizeof(err)) < 0) {
            fprintf(stderr, "sst-dump: %s\n", m ? err : "out of memory");
            free(m);
            return 1;
        }
        sst_dump_meta(stdout, m);
        free(m);
        return 0;
    }
    if (argc < 2 || argc > 4 || argv[1][0] == '-') {
        fprintf(stderr, "usage: sst-dump FILE.MOO.gz [FIRST [COUNT]] | --meta metadata.json\n");
        return 2;
    }
    long first = argc > 2 ? strtol(argv[2], NULL, 0) : -1;
    long count = argc > 3 ? strtol(argv[3], NULL, 0) : 1;
    return sst_dump_file(stdout, argv[1], first, count) < 0 ? 1 : 0;
}
