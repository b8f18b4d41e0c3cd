/* Command-line options of the popek frontend.  Parsing fills a struct
 * options and never touches the machine, so that it can be unit-tested and
 * so that new options (kernel, initrd, append, serial, disks, ...) only add
 * a field here, a row in the option table and a line in the usage text. */
#ifndef POPEK_FRONTENDS_OPTIONS_H
#define POPEK_FRONTENDS_OPTIONS_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "cpu/cpu.h"
#include "frontends/display.h"
#include "frontends/script.h"

#ifndef POPEK_VERSION
#define POPEK_VERSION "0.1.0"
#endif

/* Process exit statuses; documented in the usage text. */
enum popek_status {
    POPEK_EXIT_OK = 0,       /* the guest halted (or --help/--version) */
    POPEK_EXIT_USAGE = 1,    /* bad arguments, or the machine could not be set up */
    POPEK_EXIT_ERROR = 2,    /* the emulator hit an internal error while running */
    POPEK_EXIT_SHUTDOWN = 3, /* the guest shut the CPU down (triple fault) */
    POPEK_EXIT_HALTED = 4,   /* a booted kernel halted with interrupts off: not a power-off */
};

/* Limits of -m/--memory: whole 4 KiB pages, below the 3.75 GiB the bus maps. */
#define OPT_RAM_MIN (64u << 10)
#define OPT_RAM_MAX 0xF0000000u

/* The firmware of every boot that is not a direct kernel boot, and the
 * VGA BIOS of the std VGA: Debian's seabios package (roms/README.md). */
#ifndef POPEK_DEFAULT_BIOS
#define POPEK_DEFAULT_BIOS "/usr/share/seabios/bios-256k.bin"
#endif
#ifndef POPEK_DEFAULT_VGABIOS
#define POPEK_DEFAULT_VGABIOS "/usr/share/seabios/vgabios-stdvga.bin"
#endif

struct options {
    const char *bios;      /* --bios FILE: raw firmware image (default POPEK_DEFAULT_BIOS) */
    bool bios_default;     /* no --bios and no --kernel: the default firmware */
    const char *kernel;    /* --kernel FILE: bzImage or multiboot kernel, booted directly */
    const char *initrd;    /* --initrd FILE (multiboot: "file args,file args") */
    const char *append;    /* --append CMDLINE */
    const char *serial;    /* --serial stdio|null|pty|file:PATH (COM1); NULL: stdio with --kernel */
    bool rtc_fixed;        /* --rtc-base SECONDS: the RTC starts there, not at the host's time */
    int64_t rtc_base;
    enum cpu_model model;  /* --cpu MODEL */
    uint32_t ram_size;     /* -m/--memory SIZE, in bytes */
    const char *trace;     /* --trace FILE ("-" is stdout); NULL: off */
    bool stats;            /* --stats */
    uint64_t slice;        /* --slice N: instructions per cpu_run call (0: default) */
    bool fpu;              /* --fpu: an 8087/287/387 for the older models */
    unsigned log_mask;     /* --log ITEMS (QEMU's -d): CPU_LOG_* */
    const char *log_file;  /* --log-file FILE (QEMU's -D); NULL: standard error */
    char debugcon[512];    /* --debugcon DEV: "stdio" or a path; "" when not given */
    uint16_t debugcon_port; /* its ",iobase=N" (default 0x402) */
    struct script script;  /* --at TIME:COMMAND, in order */
    bool no_vga;           /* --vga none */
    enum display_kind display; /* --display (DISPLAY_DEFAULT: display_default()) */
    struct drive_opt {
        const char *file;  /* NULL: no drive here */
        int format;        /* enum blockdev_format */
        bool read_only, snapshot;
        bool cdrom;        /* media=cdrom (--cdrom): an ATAPI drive, read-only */
    } ide[4];              /* --hda..--hdd, --drive if=ide,index=N */
    struct drive_opt fd[2]; /* --fda, --fdb, --drive if=floppy,index=N */
    bool snapshot;         /* --snapshot: every drive as snapshot=on */
    char drive_buf[6][512]; /* file names from --drive: ide 0-3, floppy 4-5 */
    const char *option_rom[8]; /* --option-rom FILE */
    unsigned n_option_rom;
    bool boot_menu;        /* --boot menu=on */
    char boot_order[4];    /* --boot order=LETTERS ("" : the default) */
    int32_t splash_ms;     /* --boot splash-time=MS (-1: the firmware's default) */
    int32_t reboot_timeout_ms; /* --boot reboot-timeout=MS (-1: never) */
    const char *gdb;       /* --gdb tcp:[HOST]:PORT|unix:PATH (-s: tcp::1234); NULL: no stub */
    bool gdb_wait;         /* -S: start paused until gdb continues */
    const char *monitor;   /* --monitor stdio|pty|tcp:[HOST]:PORT|unix:PATH (monitor_chan.h); NULL: none */
    const char *symbols;   /* --symbols FILE */
    const char *loadvm;    /* --loadvm FILE: start from a savestate */
    const char *record;    /* --record FILE: log the run's input */
    const char *replay;    /* --replay FILE: take the run's input from a log */
    int rewind;            /* --rewind: 1 on, -1 off, 0 with a debugger only */
    size_t rewind_limit;   /* --rewind limit= (bytes; 0: the default) */
    uint64_t rewind_gap;   /* --rewind gap= (0: the default) */
    struct cpu_trace_filter trace_filter; /* --trace-filter */
};

/* What options_parse() decided. */
enum opt_result {
    OPT_RUN,   /* options are valid: run the machine */
    OPT_EXIT,  /* --help or --version was printed: exit 0 */
    OPT_ERROR, /* a message went to err: exit POPEK_EXIT_USAGE */
};

void options_default(struct options *o);
/* Parses argv (GNU long options; getopt_long's state is reset first so this
 * may be called more than once).  QEMU's single-dash spellings of the
 * options Popek has (-kernel, -m, -serial, ...) are accepted too, and QEMU
 * options Popek does not have yet are refused by name.  --help/--version
 * print to out, diagnostics go to err. */
enum opt_result options_parse(struct options *o, int argc, char **argv, FILE *out, FILE *err);
void options_usage(FILE *f, const char *prog);

/* Parses a memory size: decimal digits with an optional K, M or G suffix
 * (binary units, case-insensitive, optionally followed by "B" or "iB"); a
 * bare number means MiB, as with other PC emulators.  Returns 0 and sets
 * *bytes, or -1 for malformed or overflowing text. */
int options_parse_size(const char *s, uint64_t *bytes);

/* options_debug.c: --log's items into a CPU_LOG_* mask (out gets the
 * list for 'help'), --rewind and --trace-filter into o.  0, or -1 after a
 * message to err. */
int options_parse_log(const char *arg, unsigned *mask, FILE *out, FILE *err);
int options_parse_rewind(struct options *o, const char *arg, FILE *err);
int options_parse_trace_filter(struct options *o, const char *arg, FILE *err);

#endif
