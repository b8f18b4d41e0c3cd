/* Command-line parsing for the popek frontend (see options.h). */
#include "frontends/options.h"
#include "frontends/monitor_chan.h"

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
    OPT_LOG,
    OPT_LOG_FILE,
    OPT_NOGRAPHIC,
    OPT_DEBUGCON,
    OPT_AT,
    OPT_BOOT,
    OPT_VGA,
    OPT_OPTION_ROM,
    OPT_DISPLAY,
    OPT_HDA,
    OPT_HDB,
    OPT_HDC,
    OPT_HDD,
    OPT_DRIVE,
    OPT_SNAPSHOT,
    OPT_CDROM,
    OPT_FDA,
    OPT_FDB,
    OPT_GDB,
    OPT_MONITOR,
    OPT_SYMBOLS,
    OPT_TRACE_FILTER,
    OPT_LOADVM,
    OPT_RECORD,
    OPT_REPLAY,
    OPT_REWIND,
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
    {"log", required_argument, NULL, OPT_LOG},
    {"log-file", required_argument, NULL, OPT_LOG_FILE},
    {"nographic", no_argument, NULL, OPT_NOGRAPHIC},
    {"debugcon", required_argument, NULL, OPT_DEBUGCON},
    {"at", required_argument, NULL, OPT_AT},
    {"boot", required_argument, NULL, OPT_BOOT},
    {"vga", required_argument, NULL, OPT_VGA},
    {"option-rom", required_argument, NULL, OPT_OPTION_ROM},
    {"display", required_argument, NULL, OPT_DISPLAY},
    {"hda", required_argument, NULL, OPT_HDA},
    {"hdb", required_argument, NULL, OPT_HDB},
    {"hdc", required_argument, NULL, OPT_HDC},
    {"hdd", required_argument, NULL, OPT_HDD},
    {"drive", required_argument, NULL, OPT_DRIVE},
    {"snapshot", no_argument, NULL, OPT_SNAPSHOT},
    {"cdrom", required_argument, NULL, OPT_CDROM},
    {"fda", required_argument, NULL, OPT_FDA},
    {"fdb", required_argument, NULL, OPT_FDB},
    {"gdb", required_argument, NULL, OPT_GDB},
    {"monitor", required_argument, NULL, OPT_MONITOR},
    {"symbols", required_argument, NULL, OPT_SYMBOLS},
    {"loadvm", required_argument, NULL, OPT_LOADVM},
    {"record", required_argument, NULL, OPT_RECORD},
    {"replay", required_argument, NULL, OPT_REPLAY},
    {"rewind", required_argument, NULL, OPT_REWIND},
    {"trace-filter", required_argument, NULL, OPT_TRACE_FILTER},
    {"help", no_argument, NULL, 'h'},
    {"version", no_argument, NULL, OPT_VERSION},
    {NULL, 0, NULL, 0},
};

/* Leading ':' makes a missing argument return ':' rather than '?'.  -d and
 * -D are QEMU's spellings of --log and --log-file. */
static const char short_options[] = ":hm:d:D:sS";

/* QEMU's single-dash spellings that Popek understands, and what they are. */
static const struct {
    const char *qemu, *popek;
} qemu_spellings[] = {
    { "kernel", "--kernel" }, { "initrd", "--initrd" }, { "append", "--append" }, { "bios", "--bios" },
    { "serial", "--serial" }, { "cpu", "--cpu" }, { "nographic", "--nographic" }, { "help", "--help" },
    { "version", "--version" }, { "memory", "--memory" },
    { "debugcon", "--debugcon" }, { "boot", "--boot" }, { "vga", "--vga" }, { "option-rom", "--option-rom" },
    { "display", "--display" }, { "hda", "--hda" }, { "hdb", "--hdb" }, { "hdc", "--hdc" }, { "hdd", "--hdd" },
    { "drive", "--drive" }, { "snapshot", "--snapshot" }, { "cdrom", "--cdrom" }, { "fda", "--fda" }, { "fdb", "--fdb" },
    { "gdb", "--gdb" }, { "monitor", "--monitor" }, { "loadvm", "--loadvm" },
    { "record", "--record" }, { "replay", "--replay" }, { "rewind", "--rewind" },
    /* Popek's own long options, written with one dash */
    { "trace", "--trace" }, { "stats", "--stats" }, { "slice", "--slice" }, { "fpu", "--fpu" },
    { "rtc-base", "--rtc-base" }, { "log", "--log" }, { "log-file", "--log-file" },
};

/* QEMU options Popek does not have (yet): refused by name rather than
 * misread as a cluster of short options (-hda is not -h -d a). */
static const char *const qemu_unsupported[] = {
    "blockdev", "pflash",
    "qmp", "mon", "chardev", "sdl", "curses", "vnc", "spice",
    "device", "netdev", "net", "nic", "usb", "usbdevice", "smp", "numa", "enable-kvm", "accel", "machine", "M",
    "no-reboot", "no-shutdown", "rtc", "icount", "audiodev", "soundhw", "global", "name", "uuid", "k", "L",
    "readconfig", "writeconfig", "nodefaults", "no-user-config", "object", "incoming",
    "daemonize", "pidfile", "plugin", "semihosting", "watchdog", "watchdog-action", "action", "parallel",
    "virtfs", "fsdev", "full-screen", "g", "full-screen", "singlestep", "overcommit", "msg", "sandbox",
    "dtb", "fw_cfg", "add-fd", "trace-unassigned", "only-migratable", "run-with", "compat", "mem-path",
    "mem-prealloc", "bt", "cpu-list",
};

static bool qemu_option_unsupported(const char *name)
{
    for (size_t k = 0; k < sizeof(qemu_unsupported) / sizeof(qemu_unsupported[0]); k++)
        if (strcmp(name, qemu_unsupported[k]) == 0)
            return true;
    return false;
}

/* Rewrites QEMU's single-dash spellings into out[] (as many entries as
 * argv; the strings are argv's or literals).  Returns -1 after a message
 * for a QEMU option Popek lacks or an unknown single-dash word. */
static int translate_qemu(int argc, char **argv, char **out, FILE *err)
{
    bool options_end = false;
    for (int i = 0; i < argc; i++) {
        char *a = argv[i];
        out[i] = a;
        if (i == 0 || options_end || a[0] != '-' || a[1] == 0)
            continue;
        if (strcmp(a, "--") == 0) {
            options_end = true;
            continue;
        }
        const char *name = a[1] == '-' ? a + 2 : a + 1;
        if (qemu_option_unsupported(name)) {
            fprintf(err, "popek: option '%s' (a QEMU option) is not supported by Popek yet\n", a);
            return -1;
        }
        if (a[1] == '-' || a[2] == 0)
            continue; /* --long, or a one-letter option: getopt's business */
        bool known = false;
        for (size_t k = 0; k < sizeof(qemu_spellings) / sizeof(qemu_spellings[0]); k++)
            if (strcmp(name, qemu_spellings[k].qemu) == 0) {
                out[i] = (char *)qemu_spellings[k].popek;
                known = true;
            }
        if (known)
            continue;
        if (a[1] == 'm' || a[1] == 'd' || a[1] == 'D')
            continue; /* -m128M, -dguest_errors: a short option with its argument attached */
        fprintf(err, "popek: unknown option '%s'\n", a);
        fprintf(err, "Try 'popek --help' for more information.\n");
        return -1;
    }
    return 0;
}

void options_default(struct options *o)
{
    memset(o, 0, sizeof(*o));
    o->trace_filter = (struct cpu_trace_filter){ 0, 0xFFFFFFFFu, 0xF, 0, 0 };
    o->model = CPU_P6;
    o->ram_size = 32u << 20;
    o->splash_ms = -1;
    o->reboot_timeout_ms = -1;
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
    if (strncmp(arg, "size=", 5) == 0) /* QEMU: -m size=128M */
        arg += 5;
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

/* QEMU's -drive, the parts that apply: file=F,if=ide,index=N,
 * media=disk,format=raw|qcow2,readonly=on|off,snapshot=on|off.  (Floppies
 * and CD-ROMs come with their controllers.) */
static int parse_drive(struct options *o, const char *arg, FILE *err)
{
    char buf[512];
    if (strlen(arg) >= sizeof(buf)) {
        fprintf(err, "popek: --drive: too long\n");
        return -1;
    }
    strcpy(buf, arg);
    struct drive_opt d = { NULL, 0, false, false, false };
    int index = -1;
    bool floppy = false;
    const char *file = NULL;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            fprintf(err, "popek: --drive: want key=value, not '%s'\n", tok);
            return -1;
        }
        *eq = 0;
        const char *v = eq + 1;
        if (!strcmp(tok, "file")) {
            file = v;
        } else if (!strcmp(tok, "if")) {
            if (strcmp(v, "ide") && strcmp(v, "floppy")) {
                fprintf(err, "popek: --drive if wants ide or floppy, not '%s'\n", v);
                return -1;
            }
            floppy = !strcmp(v, "floppy");
        } else if (!strcmp(tok, "index")) {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || end == v || n < 0 || n > 3) {
                fprintf(err, "popek: --drive index wants 0-3, not '%s'\n", v);
                return -1;
            }
            index = (int)n;
        } else if (!strcmp(tok, "media")) {
            if (strcmp(v, "disk") && strcmp(v, "cdrom")) {
                fprintf(err, "popek: --drive media wants disk or cdrom, not '%s'\n", v);
                return -1;
            }
            d.cdrom = !strcmp(v, "cdrom");
        } else if (!strcmp(tok, "format")) {
            if (!strcmp(v, "raw"))
                d.format = 1;
            else if (!strcmp(v, "qcow2"))
                d.format = 2;
            else {
                fprintf(err, "popek: --drive format wants raw or qcow2, not '%s'\n", v);
                return -1;
            }
        } else if (!strcmp(tok, "readonly") || !strcmp(tok, "snapshot")) {
            if (strcmp(v, "on") && strcmp(v, "off")) {
                fprintf(err, "popek: --drive %s wants on or off, not '%s'\n", tok, v);
                return -1;
            }
            if (!strcmp(tok, "readonly"))
                d.read_only = !strcmp(v, "on");
            else
                d.snapshot = !strcmp(v, "on");
        } else {
            fprintf(err, "popek: --drive: unknown setting '%s'\n", tok);
            return -1;
        }
    }
    if (!file || !*file) {
        fprintf(err, "popek: --drive needs file=PATH\n");
        return -1;
    }
    if (floppy) {
        if (d.cdrom || index > 1) {
            fprintf(err, "popek: --drive if=floppy: index 0 or 1, media=disk\n");
            return -1;
        }
        if (index < 0)
            index = o->fd[0].file ? 1 : 0;
        if (o->fd[index].file) {
            fprintf(err, "popek: --drive: floppy drive %d is taken\n", index);
            return -1;
        }
        snprintf(o->drive_buf[4 + index], sizeof(o->drive_buf[4 + index]), "%s", file);
        d.file = o->drive_buf[4 + index];
        if (!d.format)
            d.format = 1; /* floppies are raw */
        o->fd[index] = d;
        return 0;
    }
    if (d.cdrom)
        d.read_only = true; /* a CD is read-only media */
    if (index < 0)
        for (index = 0; index < 4 && o->ide[index].file; index++)
            ;
    if (index > 3 || o->ide[index].file) {
        fprintf(err, "popek: --drive: IDE drive %d is taken\n", index);
        return -1;
    }
    /* The file name must outlive buf. */
    snprintf(o->drive_buf[index], sizeof(o->drive_buf[index]), "%s", file);
    d.file = o->drive_buf[index];
    o->ide[index] = d;
    return 0;
}

/* QEMU's -boot: menu=on|off, splash-time=MS, reboot-timeout=MS, comma
 * separated.  (Boot order letters come with the disks.) */
static int parse_boot(struct options *o, const char *arg, FILE *err)
{
    char buf[256];
    if (strlen(arg) >= sizeof(buf)) {
        fprintf(err, "popek: --boot: too long\n");
        return -1;
    }
    strcpy(buf, arg);
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(tok, '=');
        if (!eq) {
            fprintf(err, "popek: --boot: want menu=on|off, splash-time=MS or reboot-timeout=MS, not '%s'\n", tok);
            return -1;
        }
        *eq = 0;
        const char *v = eq + 1;
        if (!strcmp(tok, "order") || !strcmp(tok, "once")) {
            size_t n = strlen(v);
            if (n == 0 || n > 3 || strspn(v, "abcdn") != n) {
                fprintf(err, "popek: --boot order wants up to three of a, b (floppy), c (disk), d (CD-ROM), n, "
                             "not '%s'\n", v);
                return -1;
            }
            memcpy(o->boot_order, v, n + 1);
            continue;
        }
        if (!strcmp(tok, "menu")) {
            if (strcmp(v, "on") && strcmp(v, "off")) {
                fprintf(err, "popek: --boot menu wants on or off, not '%s'\n", v);
                return -1;
            }
            o->boot_menu = !strcmp(v, "on");
            continue;
        }
        char *end;
        errno = 0;
        long ms = strtol(v, &end, 10);
        if (errno || *end || end == v || ms < -1 || ms > 0x7FFFFFFF) {
            fprintf(err, "popek: --boot %s wants milliseconds (or -1), not '%s'\n", tok, v);
            return -1;
        }
        if (!strcmp(tok, "splash-time")) {
            o->splash_ms = (int32_t)ms;
        } else if (!strcmp(tok, "reboot-timeout")) {
            o->reboot_timeout_ms = (int32_t)ms;
        } else {
            fprintf(err, "popek: --boot: unknown setting '%s'\n", tok);
            return -1;
        }
    }
    return 0;
}

/* DEV[,iobase=N]: DEV is stdio, file:PATH or a plain path (QEMU's
 * -debugcon takes a chardev; these are the ones that make sense here). */
static int parse_debugcon(struct options *o, const char *arg, FILE *err)
{
    size_t len = strlen(arg);
    if (len == 0 || len >= sizeof(o->debugcon)) {
        fprintf(err, "popek: --debugcon wants stdio, file:PATH or PATH, optionally with ,iobase=PORT\n");
        return -1;
    }
    memcpy(o->debugcon, arg, len + 1);
    o->debugcon_port = 0x402;
    char *comma = strstr(o->debugcon, ",iobase=");
    if (comma) {
        char *end;
        errno = 0;
        unsigned long v = strtoul(comma + 8, &end, 0);
        if (errno || *end || end == comma + 8 || v > 0xFFFF || comma[8] == '-') {
            fprintf(err, "popek: --debugcon: iobase wants a port number 0-0xFFFF, not '%s'\n", comma + 8);
            return -1;
        }
        o->debugcon_port = (uint16_t)v;
        *comma = 0;
    } else if (strchr(o->debugcon, ',')) {
        fprintf(err, "popek: --debugcon: the only option is iobase=PORT, not '%s'\n", strchr(arg, ',') + 1);
        return -1;
    }
    if (!strncmp(o->debugcon, "file:", 5))
        memmove(o->debugcon, o->debugcon + 5, strlen(o->debugcon + 5) + 1);
    if (o->debugcon[0] == 0) {
        fprintf(err, "popek: --debugcon: no file named\n");
        return -1;
    }
    return 0;
}

enum opt_result options_parse(struct options *o, int argc, char **qargv, FILE *out, FILE *err)
{
    const char *prog = "popek";
    char **argv = calloc((size_t)argc + 1, sizeof(*argv));
    if (!argv) {
        fprintf(err, "popek: out of memory\n");
        return OPT_ERROR;
    }
    enum opt_result r = OPT_ERROR;
    bool nographic = false;
    if (translate_qemu(argc, qargv, argv, err) < 0)
        goto done;
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
                goto done;
            }
            o->serial = optarg;
            break;
        case OPT_CPU:
            if (cpu_parse_model(optarg, &o->model) < 0) {
                fprintf(err, "popek: unknown CPU model '%s' (want 8086, 286, 386, 486, pentium or p6)\n",
                        optarg);
                goto done;
            }
            break;
        case 'm':
            if (parse_memory(optarg, &o->ram_size, err) < 0)
                goto done;
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
                goto done;
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
                goto done;
            }
            o->slice = v;
            break;
        }
        case OPT_LOG:
        case 'd': {
            int lr = options_parse_log(optarg, &o->log_mask, out, err);
            if (lr < 0)
                goto done;
            if (lr > 0) {
                r = OPT_EXIT;
                goto done;
            }
            break;
        }
        case OPT_LOG_FILE:
        case 'D':
            o->log_file = optarg;
            break;
        case OPT_NOGRAPHIC:
            nographic = true;
            break;
        case OPT_AT:
            if (script_parse(&o->script, optarg, err) < 0)
                goto done;
            break;
        case OPT_HDA:
        case OPT_HDB:
        case OPT_HDC:
        case OPT_HDD: {
            unsigned i = (unsigned)(c - OPT_HDA);
            if (o->ide[i].file) {
                fprintf(err, "popek: IDE drive %u is given twice\n", i);
                goto done;
            }
            o->ide[i] = (struct drive_opt){ optarg, 0, false, false, false };
            break;
        }
        case OPT_FDA:
        case OPT_FDB: {
            unsigned i = (unsigned)(c - OPT_FDA);
            if (o->fd[i].file) {
                fprintf(err, "popek: floppy drive %c is given twice\n", 'A' + i);
                goto done;
            }
            o->fd[i] = (struct drive_opt){ optarg, 1, false, false, false };
            break;
        }
        case OPT_CDROM:
            /* QEMU's place for -cdrom: the secondary master. */
            if (o->ide[2].file) {
                fprintf(err, "popek: --cdrom: IDE drive 2 (secondary master) is taken\n");
                goto done;
            }
            o->ide[2] = (struct drive_opt){ optarg, 1, true, false, true };
            break;
        case OPT_DRIVE:
            if (parse_drive(o, optarg, err) < 0)
                goto done;
            break;
        case OPT_SNAPSHOT:
            o->snapshot = true;
            break;
        case OPT_DISPLAY: {
            /* QEMU allows options after a comma (sdl,gl=on): none are taken here. */
            if (display_parse(optarg, &o->display) < 0) {
                fprintf(err, "popek: --display wants sdl, curses (or text) or none, not '%s'\n", optarg);
                goto done;
            }
            break;
        }
        case OPT_OPTION_ROM:
            if (o->n_option_rom == 8) {
                fprintf(err, "popek: at most 8 --option-rom\n");
                goto done;
            }
            o->option_rom[o->n_option_rom++] = optarg;
            break;
        case OPT_VGA:
            if (strcmp(optarg, "std") && strcmp(optarg, "none")) {
                fprintf(err, "popek: --vga wants std or none, not '%s'\n", optarg);
                goto done;
            }
            o->no_vga = !strcmp(optarg, "none");
            break;
        case OPT_BOOT:
            if (parse_boot(o, optarg, err) < 0)
                goto done;
            break;
        case OPT_DEBUGCON:
            if (parse_debugcon(o, optarg, err) < 0)
                goto done;
            break;
        case OPT_GDB: o->gdb = optarg; break;
        case OPT_SYMBOLS: o->symbols = optarg; break;
        case OPT_LOADVM: o->loadvm = optarg; break;
        case OPT_RECORD: o->record = optarg; break;
        case OPT_REPLAY: o->replay = optarg; break;
        case OPT_REWIND:
            if (options_parse_rewind(o, optarg, err) < 0)
                return -1;
            break;
        case OPT_TRACE_FILTER:
            if (options_parse_trace_filter(o, optarg, err) < 0)
                goto done;
            break;
        case OPT_MONITOR:
            if (monitor_chan_check(optarg, err) < 0)
                goto done;
            o->monitor = strcmp(optarg, "none") ? optarg : NULL;
            break;
        case 's': o->gdb = "tcp::1234"; break;
        case 'S': o->gdb_wait = true; break;
        case 'h':
            options_usage(out, prog);
            r = OPT_EXIT;
            goto done;
        case OPT_VERSION:
            fprintf(out, "popek %s\n", POPEK_VERSION);
            r = OPT_EXIT;
            goto done;
        case ':':
            /* Missing argument: optind is past the option that wanted it. */
            if (optopt > 0 && optopt < 256)
                fprintf(err, "popek: option '-%c' needs an argument\n", optopt);
            else
                fprintf(err, "popek: option '%s' needs an argument\n", argv[optind - 1]);
            fprintf(err, "Try 'popek --help' for more information.\n");
            goto done;
        default: /* '?' */
            if (optopt > 0 && optopt < 256)
                fprintf(err, "popek: unknown option '-%c'\n", optopt);
            else
                fprintf(err, "popek: unknown or ambiguous option '%s'\n", argv[optind - 1]);
            fprintf(err, "Try 'popek --help' for more information.\n");
            goto done;
        }
    }
    if (optind < argc) {
        fprintf(err, "popek: unexpected argument '%s'\n", argv[optind]);
        fprintf(err, "Try 'popek --help' for more information.\n");
        goto done;
    }
    if (!o->bios && !o->kernel) {
        o->bios = POPEK_DEFAULT_BIOS;
        o->bios_default = true;
    }
    if (o->bios && o->kernel) {
        fprintf(err, "popek: --bios and --kernel do not go together yet: the kernel is booted directly\n");
        goto done;
    }
    if ((o->initrd || o->append) && !o->kernel) {
        fprintf(err, "popek: --initrd and --append need --kernel\n");
        goto done;
    }
    if (nographic && !o->serial)
        o->serial = "stdio";
    if (nographic) {
        if (o->display != DISPLAY_DEFAULT && o->display != DISPLAY_NONE) {
            fprintf(err, "popek: --nographic and --display do not go together\n");
            goto done;
        }
        o->display = DISPLAY_NONE;
    }
    if (o->gdb_wait && !o->gdb && !o->monitor) {
        fprintf(err, "popek: -S waits for gdb's or the monitor's continue: give --gdb, -s or --monitor too\n");
        goto done;
    }
    if (o->log_file && !o->log_mask) {
        fprintf(err, "popek: --log-file without --log: nothing would be logged\n");
        goto done;
    }
    r = OPT_RUN;
done:
    free(argv);
    return r;
}
