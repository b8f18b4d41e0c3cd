/* Command-line parsing for the popek frontend (see options.h). */
#include "frontends/options.h"

#include <errno.h>
#include <stdlib.h>

#include <getopt.h>
#include <string.h>

/* Long options without a short letter get codes above the char range. */
enum {
    OPT_BIOS = 256,
    OPT_KERNEL,
    OPT_INITRD,
    OPT_APPEND,
    OPT_SERIAL,
    OPT_RTC_BASE,
    OPT_CPU,
    OPT_TRACE,
    OPT_STATS,
    OPT_SLICE,
    OPT_FPU,
    OPT_VERSION,
};

static const struct option long_options[] = {
    {"bios", required_argument, NULL, OPT_BIOS},
    {"kernel", required_argument, NULL, OPT_KERNEL},
    {"initrd", required_argument, NULL, OPT_INITRD},
    {"append", required_argument, NULL, OPT_APPEND},
    {"serial", required_argument, NULL, OPT_SERIAL},
    {"rtc-base", required_argument, NULL, OPT_RTC_BASE},
    {"cpu", required_argument, NULL, OPT_CPU},
    {"memory", required_argument, NULL, 'm'},
    {"trace", required_argument, NULL, OPT_TRACE},
    {"stats", no_argument, NULL, OPT_STATS},
    {"slice", required_argument, NULL, OPT_SLICE},
    {"fpu", no_argument, NULL, OPT_FPU},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/* Leading ':' makes a missing argument return ':' rather than '?'. */
static const char short_options[] = ":hm:";

void options_default(struct options *o)
{
    memset(o, 0, sizeof(*o));
    o->model = CPU_P6;
    o->ram_size = 32u << 20;
}

void options_usage(FILE *f, const char *prog)
{
    fprintf(f,
            "Usage: %s [OPTION]... --bios FILE\n"
            "  or:  %s [OPTION]... --kernel FILE [--initrd FILE] [--append CMDLINE]\n"
            "Emulates an x86 PC.  Runs the raw firmware image FILE from the reset vector\n"
            "F000:FFF0, or boots a kernel directly, until the guest halts or exits.  Bytes\n"
            "the guest writes to port 0xE9 appear on standard output.\n"
            "\n"
            "  --bios FILE        raw firmware image, a multiple of 4 KiB up to 256 KiB;\n"
            "                     it is mapped to end at 1 MiB and at 4 GiB\n"
            "  --kernel FILE      a Linux bzImage (boot protocol 2.02+) or a multiboot\n"
            "                     (version 1) ELF kernel, started in protected mode\n"
            "  --initrd FILE      Linux: the initial ramdisk; multiboot: the modules,\n"
            "                     as 'file args,file args'\n"
            "  --append CMDLINE   the kernel command line\n"
            "  --serial DEV       where COM1 goes: stdio (the terminal, raw; Ctrl-A x quits,\n"
            "                     Ctrl-A c is the monitor), pty (a pseudo-terminal whose\n"
            "                     name is printed), null, or file:PATH\n"
            "                     (default: stdio when booting a kernel, else null)\n"
            "  --rtc-base SECONDS start the RTC at this time (seconds since 1970, UTC)\n"
            "                     instead of the host's time, for reproducible runs\n"
            "  --cpu MODEL        CPU model: 8086, 286, 386, 486, pentium or p6\n"
            "                     (default p6)\n"
            "  -m, --memory SIZE  guest RAM: a number with a K, M or G suffix, e.g. 640K,\n"
            "                     32M, 1G; a bare number is MiB (default 32M)\n"
            "  --trace FILE       write one line per executed instruction to FILE\n"
            "                     ('-' for standard output)\n"
            "  --stats            when the run ends, print to standard error one line:\n"
            "                       popek: N instructions in S s: M MIPS\n"
            "  --fpu              fit a math coprocessor (8087/287/387) to an 8086, 286 or\n"
            "                     386; the 486 and later always have their FPU\n"
            "  --slice N          run the CPU N instructions at a time (default 16777216);\n"
            "                     a debugging aid: results must not depend on it\n"
            "  -h, --help         print this help and exit\n"
            "      --version      print the version and exit\n"
            "\n"
            "Exit status: 0 the firmware halted, or the guest powered off (ACPI S5); the\n"
            "status a test kernel wrote to port 0xF4 (isa-debug-exit style); 1 bad\n"
            "arguments or the machine could not be set up; 2 emulator error (the CPU\n"
            "state is dumped to standard error); 3 the guest shut the CPU down (triple\n"
            "fault); 4 a booted kernel halted with interrupts off (not a power-off).\n",
            prog, prog);
}

int options_parse_size(const char *s, uint64_t *bytes)
{
    const char *p = s;
    uint64_t n = 0;
    if (*p < '0' || *p > '9')
        return -1;
    for (; *p >= '0' && *p <= '9'; p++) {
        if (n > (UINT64_MAX - 9) / 10)
            return -1;
        n = n * 10 + (uint64_t)(*p - '0');
    }
    unsigned shift = 20; /* bare number: MiB */
    switch (*p) {
    case '\0': break;
    case 'b': case 'B': shift = 0; p++; break;
    case 'k': case 'K': shift = 10; p++; break;
    case 'm': case 'M': shift = 20; p++; break;
    case 'g': case 'G': shift = 30; p++; break;
    default: return -1;
    }
    if (shift != 0 && *p != '\0') {
        /* "32MB" and "32MiB" mean 32M too. */
        if (*p == 'i')
            p++;
        if (*p != 'B')
            return -1;
        p++;
    }
    if (*p != '\0')
        return -1;
    if (n > (UINT64_MAX >> shift))
        return -1;
    *bytes = n << shift;
    return 0;
}

static int parse_memory(const char *arg, uint32_t *out, FILE *err)
{
    uint64_t bytes;
    if (options_parse_size(arg, &bytes) < 0) {
        fprintf(err, "popek: bad memory size '%s' (want e.g. 640K, 32M or 1G)\n", arg);
        return -1;
    }
    if (bytes < OPT_RAM_MIN || bytes > OPT_RAM_MAX) {
        fprintf(err, "popek: memory size '%s' is out of range (%uK to %uM)\n", arg,
                OPT_RAM_MIN >> 10, OPT_RAM_MAX >> 20);
        return -1;
    }
    if (bytes & 0xFFF) {
        fprintf(err, "popek: memory size '%s' is not a whole number of 4 KiB pages\n", arg);
        return -1;
    }
    *out = (uint32_t)bytes;
    return 0;
}

enum opt_result options_parse(struct options *o, int argc, char **argv, FILE *out, FILE *err)
{
    const char *prog = "popek";
    opterr = 0;
    optind = 0; /* glibc: full reinitialisation of getopt's state */
    for (;;) {
        int c = getopt_long(argc, argv, short_options, long_options, NULL);
        if (c == -1)
            break;
        switch (c) {
        case OPT_BIOS:
            o->bios = optarg;
            break;
        case OPT_KERNEL:
            o->kernel = optarg;
            break;
        case OPT_INITRD:
            o->initrd = optarg;
            break;
        case OPT_APPEND:
            o->append = optarg;
            break;
        case OPT_SERIAL:
            if (strcmp(optarg, "stdio") && strcmp(optarg, "null") && strcmp(optarg, "pty") &&
                strncmp(optarg, "file:", 5)) {
                fprintf(err, "popek: --serial wants stdio, pty, null or file:PATH, not '%s'\n", optarg);
                return OPT_ERROR;
            }
            o->serial = optarg;
            break;
        case OPT_CPU:
            if (cpu_parse_model(optarg, &o->model) < 0) {
                fprintf(err, "popek: unknown CPU model '%s' (want 8086, 286, 386, 486, pentium or p6)\n",
                        optarg);
                return OPT_ERROR;
            }
            break;
        case 'm':
            if (parse_memory(optarg, &o->ram_size, err) < 0)
                return OPT_ERROR;
            break;
        case OPT_TRACE:
            o->trace = optarg;
            break;
        case OPT_STATS:
            o->stats = true;
            break;
        case OPT_RTC_BASE: {
            char *end;
            errno = 0;
            long long v = strtoll(optarg, &end, 10);
            if (errno || *end || end == optarg) {
                fprintf(err, "popek: --rtc-base wants seconds since 1970, not '%s'\n", optarg);
                return OPT_ERROR;
            }
            o->rtc_fixed = true;
            o->rtc_base = v;
            break;
        }
        case OPT_FPU:
            o->fpu = true;
            break;
        case OPT_SLICE: {
            char *end;
            errno = 0;
            unsigned long long v = strtoull(optarg, &end, 10);
            if (errno || *end || end == optarg || v == 0 || optarg[0] == '-') {
                fprintf(err, "popek: --slice wants a positive number of instructions, not '%s'\n", optarg);
                return OPT_ERROR;
            }
            o->slice = v;
            break;
        }
        case 'h':
            options_usage(out, prog);
            return OPT_EXIT;
        case OPT_VERSION:
            fprintf(out, "popek %s\n", POPEK_VERSION);
            return OPT_EXIT;
        case ':':
            /* Missing argument: optind is past the option that wanted it. */
            if (optopt > 0 && optopt < 256)
                fprintf(err, "popek: option '-%c' needs an argument\n", optopt);
            else
                fprintf(err, "popek: option '%s' needs an argument\n", argv[optind - 1]);
            fprintf(err, "Try 'popek --help' for more information.\n");
            return OPT_ERROR;
        default: /* '?' */
            if (optopt > 0 && optopt < 256)
                fprintf(err, "popek: unknown option '-%c'\n", optopt);
            else
                fprintf(err, "popek: unknown or ambiguous option '%s'\n", argv[optind - 1]);
            fprintf(err, "Try 'popek --help' for more information.\n");
            return OPT_ERROR;
        }
    }
    if (optind < argc) {
        fprintf(err, "popek: unexpected argument '%s'\n", argv[optind]);
        fprintf(err, "Try 'popek --help' for more information.\n");
        return OPT_ERROR;
    }
    if (!o->bios && !o->kernel) {
        fprintf(err, "popek: nothing to run: give a firmware image (--bios FILE) or a kernel (--kernel FILE)\n");
        fprintf(err, "Try 'popek --help' for more information.\n");
        return OPT_ERROR;
    }
    if (o->bios && o->kernel) {
        fprintf(err, "popek: --bios and --kernel do not go together yet: the kernel is booted directly\n");
        return OPT_ERROR;
    }
    if ((o->initrd || o->append) && !o->kernel) {
        fprintf(err, "popek: --initrd and --append need --kernel\n");
        return OPT_ERROR;
    }
    return OPT_RUN;
}
