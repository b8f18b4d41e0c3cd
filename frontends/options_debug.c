/* The values of the debugging options: --log,
 * --trace-filter and --rewind, each a small comma-separated syntax.
 * Each returns 0, or -1 after a message to err. */
#include "frontends/options.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cpu/cpu.h"

/* --log items, as QEMU's -d names them. */
int options_parse_log(const char *arg, unsigned *mask, FILE *out, FILE *err)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", arg);
    unsigned m = 0;
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        if (!strcmp(item, "guest_errors")) {
            m |= CPU_LOG_GUEST_ERRORS;
        } else if (!strcmp(item, "int")) {
            m |= CPU_LOG_INT;
        } else if (!strcmp(item, "cpu_reset")) {
            m |= CPU_LOG_CPU_RESET;
        } else if (!strcmp(item, "help")) {
            fprintf(out, "Log items (comma separated):\n"
                         "guest_errors  what the guest does that is almost surely a bug (execution from\n"
                         "              unmapped memory), with the registers\n"
                         "int           every interrupt and exception taken, one line each (QEMU's -d int)\n"
                         "cpu_reset     each CPU reset, with the state before it\n");
            return 1;
        } else {
            fprintf(err, "popek: unknown log item '%s' (try '--log help')\n", item);
            return -1;
        }
    }
    *mask |= m;
    return 0;
}

/* --rewind on|off|limit=MiB|gap=N, comma separated */
int options_parse_rewind(struct options *o, const char *arg, FILE *err)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", arg);
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *end;
        if (!strcmp(item, "on")) {
            o->rewind = 1;
        } else if (!strcmp(item, "off")) {
            o->rewind = -1;
        } else if (!strncmp(item, "limit=", 6) && item[6] >= '0' && item[6] <= '9') {
            unsigned long long mb = strtoull(item + 6, &end, 10);
            if (*end || mb == 0 || mb > (1ull << 20))
                goto bad;
            o->rewind_limit = (size_t)mb << 20;
            o->rewind = 1;
        } else if (!strncmp(item, "gap=", 4) && item[4] >= '0' && item[4] <= '9') {
            unsigned long long g = strtoull(item + 4, &end, 10);
            if (*end || g == 0)
                goto bad;
            o->rewind_gap = g;
            o->rewind = 1;
        } else {
            goto bad;
        }
    }
    return 0;
bad:
    fprintf(err, "popek: --rewind wants on, off, limit=MiB and gap=INSTRUCTIONS, not '%s'\n", arg);
    return -1;
}

/* --trace-filter range=LO-HI,cpl=0/3,count=N,from=ICOUNT */
int options_parse_trace_filter(struct options *o, const char *arg, FILE *err)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", arg);
    struct cpu_trace_filter f = { 0, 0xFFFFFFFFu, 0xF, 0, 0 };
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *end;
        if (!strncmp(item, "range=", 6)) {
            unsigned long long lo = strtoull(item + 6, &end, 0), hi;
            if (*end != '-' || lo > 0xFFFFFFFFull)
                goto bad;
            hi = strtoull(end + 1, &end, 0);
            if (*end || hi > 0xFFFFFFFFull || hi < lo)
                goto bad;
            f.lo = (uint32_t)lo;
            f.hi = (uint32_t)hi;
        } else if (!strncmp(item, "cpl=", 4)) {
            f.cpl_mask = 0;
            for (char *p = item + 4; *p; p++) {
                if (*p >= '0' && *p <= '3')
                    f.cpl_mask |= 1u << (*p - '0');
                else if (*p != '/')
                    goto bad;
            }
            if (!f.cpl_mask)
                goto bad;
        } else if (!strncmp(item, "count=", 6)) {
            f.max = strtoull(item + 6, &end, 0);
            if (*end || !f.max)
                goto bad;
        } else if (!strncmp(item, "from=", 5)) {
            f.from = strtoull(item + 5, &end, 0);
            if (*end || item[5] == 0 || item[5] == '-')
                goto bad;
        } else {
            goto bad;
        }
    }
    o->trace_filter = f;
    return 0;
bad:
    fprintf(err, "popek: --trace-filter wants range=LO-HI, cpl=N[/N...], count=N and from=ICOUNT, not '%s'\n", arg);
    return -1;
}
