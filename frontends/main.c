/* popek: the command-line frontend.  Parses the options, builds one
 * machine, loads the firmware, runs it to the end and maps the way the run
 * ended to an exit status (see options.h and `popek --help`).  Its whole
 * state is one struct frontend owned by main(), except the number of a
 * terminating signal, which a signal handler can only leave in a static. */
#define _XOPEN_SOURCE 700 /* posix_openpt, grantpt, unlockpt, ptsname, sigaction, strsignal */
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <termios.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frontends/boot.h"
#include "frontends/debugger.h"
#include "frontends/gdb_server.h"
#include "frontends/terminal.h"
#include "disks/blockdev.h"
#include "frontends/options.h"
#include "frontends/screendump.h"
#include "machine/machine.h"
#include "machine/replay.h"
#include "machine/rewind.h"
#include "machine/savestate.h"

struct frontend {
    struct options opt;
    struct machine machine;
    bool machine_up;  /* machine_init succeeded: machine_free is due */
    FILE *trace;      /* --trace stream, NULL when off */
    bool trace_owned; /* trace was opened here and must be closed */
    FILE *log;        /* --log-file stream (stderr by default) */
    bool log_owned;
    uint64_t executed;
    double seconds;
    struct terminal term; /* COM1 on the user's terminal (--serial stdio) */
    int serial_pty;       /* --serial pty: the master side, or -1 */
    FILE *serial_file;    /* --serial file:PATH */
    const char *serial_name; /* what COM1 is connected to, for messages */
    bool serial_reports; /* write errors on COM1's stream are the user's business */
    void (*input_poll)(void *opaque); /* the serial backend's poll hook, or NULL */
    void *input_opaque;
    FILE *debugcon;       /* --debugcon file, when one was opened here */
    uint8_t *vga_rom;     /* the VGA BIOS file's bytes */
    struct display display; /* the screen (kind DISPLAY_NONE: none) */
    struct blockdev disks[6]; /* IDE hda..hdd, then floppies A: and B: (ops NULL: none) */
    struct gdb_server *gdb; /* --gdb: the stub, or NULL */
    struct debugger dbg;    /* the monitor, symbols, disassembler */
    bool dbg_open;
};

/* SIGINT, SIGTERM, SIGHUP: the run ends at the next slice boundary and
 * the frontend cleans up (terminal, files) as on any other exit. */
static volatile sig_atomic_t caught_signal;

static void on_signal(int sig)
{
    caught_signal = sig;
}

static void catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    /* A reader that went away is a write error to report, not a death. */
    signal(SIGPIPE, SIG_IGN);
}

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int open_trace(struct frontend *fe)
{
    if (!fe->opt.trace)
        return 0;
    if (strcmp(fe->opt.trace, "-") == 0) {
        fe->trace = stdout;
        return 0;
    }
    fe->trace = fopen(fe->opt.trace, "w");
    if (!fe->trace) {
        fprintf(stderr, "popek: cannot open trace file %s: %s\n", fe->opt.trace, strerror(errno));
        return -1;
    }
    fe->trace_owned = true;
    /* A trace is written a line per instruction: buffer it generously. */
    setvbuf(fe->trace, NULL, _IOFBF, 1u << 20);
    return 0;
}

static int open_log(struct frontend *fe)
{
    if (!fe->opt.log_mask)
        return 0;
    fe->log = stderr;
    if (fe->opt.log_file) {
        fe->log = fopen(fe->opt.log_file, "w");
        if (!fe->log) {
            fprintf(stderr, "popek: cannot open log file %s: %s\n", fe->opt.log_file, strerror(errno));
            return -1;
        }
        fe->log_owned = true;
    }
    return 0;
}

static void print_stats(const struct frontend *fe)
{
    double mips = fe->seconds > 0 ? (double)fe->executed / fe->seconds / 1e6 : 0.0;
    fprintf(stderr, "popek: %" PRIu64 " instructions in %.3f s: %.1f MIPS\n", fe->executed,
            fe->seconds, mips);
}

static void pty_poll(void *opaque)
{
    struct frontend *fe = opaque;
    chardev_poll(&fe->machine.pc.serial_cd[0]);
}

/* The window's Ctrl-Alt-2 (QEMU's monitor console): see debugger_monitor_key. */
static void monitor_key(struct frontend *fe)
{
    if (!fe->display.monitor_key)
        return;
    fe->display.monitor_key = false;
    if (fe->dbg_open)
        debugger_monitor_key(&fe->dbg, &fe->term, fe->input_poll == terminal_poll);
}

/* Between CPU slices: a terminating signal ends the run; then the serial
 * backend reads its input. */
static void frontend_poll(void *opaque)
{
    struct frontend *fe = opaque;
    int sig = caught_signal;
    if (sig && !fe->machine.stop) {
        fprintf(stderr, "\r\npopek: terminating on signal %d (%s)\r\n", sig, strsignal(sig));
        machine_request_exit(&fe->machine, 128 + sig);
    }
    if (fe->input_poll)
        fe->input_poll(fe->input_opaque);
    if (fe->gdb)
        gdb_server_poll(fe->gdb);
    if (fe->dbg_open)
        debugger_poll(&fe->dbg);
    if (fe->display.kind != DISPLAY_NONE)
        display_poll(&fe->display);
    monitor_key(fe);
    /* Paused from the monitor: guest time stands still while the host
     * keeps serving the terminal, the monitor's channel and the window. */
    while (fe->term.paused && !fe->machine.stop && !caught_signal) {
        fe->display.paused = true;
        if (fe->display.kind == DISPLAY_SDL || fe->display.kind == DISPLAY_CURSES)
            display_idle(&fe->display, 1000000000ull / DISPLAY_HZ);
        else if (fe->dbg_open)
            debugger_wait(&fe->dbg, fe->input_poll == terminal_poll ? fe->term.in_fd : fe->serial_pty,
                          1000 / DISPLAY_HZ);
        else
            usleep(1000000 / DISPLAY_HZ);
        if (fe->input_poll)
            fe->input_poll(fe->input_opaque);
        if (fe->dbg_open)
            debugger_poll(&fe->dbg);
        monitor_key(fe);
    }
    fe->display.paused = false;
}

/* The display waits for its events, at most 100 ms (as the terminal
 * does, so that a far-off timer never freezes the screen or the serial
 * console beside it, which is looked at afterwards). */
static void display_idle_hook(void *opaque, uint64_t ns)
{
    struct frontend *fe = opaque;
    display_idle(&fe->display, ns < 100000000ull ? ns : 100000000ull);
    if (fe->input_poll)
        fe->input_poll(fe->input_opaque);
}

/* Opens the display --display names, or the default one.  A default that
 * cannot open falls back (SDL to the terminal to none); one the user named
 * is an error.  Last in the set-up after the serial port: a display that
 * owns the terminal must not share it with COM1. */
static int setup_display(struct frontend *fe)
{
    enum display_kind kind = fe->opt.display;
    bool asked = kind != DISPLAY_DEFAULT;
    bool serial_on_tty = fe->input_poll == terminal_poll;
    if (!asked)
        kind = fe->opt.kernel ? DISPLAY_NONE : display_default();
    if (kind == DISPLAY_CURSES && serial_on_tty) {
        if (asked) {
            fprintf(stderr, "popek: --display curses and --serial stdio both want the terminal\n");
            return -1;
        }
        kind = DISPLAY_NONE;
    }
    if (kind != DISPLAY_NONE && !fe->machine.pc.has_vga) {
        if (asked) {
            fprintf(stderr, "popek: --display %s needs a VGA (not --vga none)\n",
                    kind == DISPLAY_SDL ? "sdl" : "curses");
            return -1;
        }
        kind = DISPLAY_NONE;
    }
    while (display_open(&fe->display, kind, &fe->machine) < 0) {
        if (asked)
            return -1;
        kind = kind == DISPLAY_SDL && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO) && !serial_on_tty
                   ? DISPLAY_CURSES
                   : DISPLAY_NONE;
    }
    if (kind != DISPLAY_NONE) {
        /* Someone is watching: idle time passes in real time, input can
         * wake the guest, and slices are short enough to keep drawing. */
        fe->machine.host.idle = display_idle_hook;
        fe->machine.host.live_input = true;
        if (!fe->opt.slice)
            fe->machine.cfg.slice = 1u << 20;
    }
    return 0;
}

static void frontend_idle(void *opaque, uint64_t ns)
{
    struct frontend *fe = opaque;
    terminal_idle(&fe->term, ns);
}

/* Connects COM1 to what --serial names: the terminal, a pty, a file or
 * nothing.  Last in the set-up, so that nothing fails after the terminal
 * went raw. */
static int setup_serial(struct frontend *fe)
{
    const char *dev = fe->opt.serial ? fe->opt.serial : fe->opt.kernel ? "stdio" : "null";
    struct chardev *cd = &fe->machine.pc.serial_cd[0];
    void (*notify)(void *) = cd->notify;
    void *opaque = cd->notify_opaque;
    fe->machine.host = (struct machine_host_hooks){ frontend_poll, NULL, fe, false };
    if (!strcmp(dev, "stdio")) {
        chardev_init_fd(cd, -1, STDOUT_FILENO);
        terminal_open(&fe->term, STDIN_FILENO, STDOUT_FILENO, cd, &fe->machine);
        fe->input_poll = terminal_poll;
        fe->input_opaque = &fe->term;
        fe->machine.host.idle = frontend_idle;
        fe->machine.host.live_input = true;
        fe->serial_name = "standard output";
        fe->serial_reports = true;
    } else if (!strcmp(dev, "pty")) {
        int master = posix_openpt(O_RDWR | O_NOCTTY);
        if (master < 0 || grantpt(master) < 0 || unlockpt(master) < 0) {
            fprintf(stderr, "popek: cannot create a pseudo-terminal: %s\n", strerror(errno));
            if (master >= 0)
                close(master);
            return -1;
        }
        /* The guest's side must not echo or translate what passes. */
        struct termios tio;
        int slave = open(ptsname(master), O_RDWR | O_NOCTTY);
        if (slave >= 0 && tcgetattr(slave, &tio) == 0) {
            cfmakeraw(&tio);
            tcsetattr(slave, TCSANOW, &tio);
        }
        if (slave >= 0)
            close(slave);
        fcntl(master, F_SETFL, fcntl(master, F_GETFL) | O_NONBLOCK);
        fprintf(stderr, "popek: COM1 is on %s\n", ptsname(master));
        fe->serial_pty = master;
        chardev_init_fd(cd, master, master);
        fe->input_poll = pty_poll;
        fe->input_opaque = fe;
        fe->machine.host.live_input = true;
        /* A pty's peer comes and goes, as a cable would: not an error. */
        fe->serial_name = "the pseudo-terminal";
    } else if (!strncmp(dev, "file:", 5)) {
        fe->serial_file = fopen(dev + 5, "wb");
        if (!fe->serial_file) {
            fprintf(stderr, "popek: cannot open %s: %s\n", dev + 5, strerror(errno));
            return -1;
        }
        chardev_init_file(cd, fe->serial_file);
        fe->serial_name = dev + 5;
        fe->serial_reports = true;
    } else {
        chardev_init_null(cd);
    }
    chardev_set_consumer(cd, notify, opaque);
    return 0;
}

/* Undoes the set-up, whatever part of it happened; safe to call twice.
 * Returns -1 if closing the serial file lost output. */
static int teardown(struct frontend *fe)
{
    int rc = 0;
    if (fe->gdb) {
        gdb_server_close(fe->gdb);
        free(fe->gdb);
        fe->gdb = NULL;
    }
    terminal_close(&fe->term);
    display_close(&fe->display);
    if (fe->dbg_open) {
        debugger_close(&fe->dbg);
        fe->dbg_open = false;
    }
    /* Closing an image writes out what its format still holds (qcow2's
     * cached tables): the guest's writes are not lost at exit. */
    for (int i = 0; i < 6; i++)
        if (fe->disks[i].ops)
            blockdev_close(&fe->disks[i]);
    if (fe->serial_file) {
        if (fclose(fe->serial_file) != 0 && !fe->machine.pc.serial_cd[0].write_errno)
            fe->machine.pc.serial_cd[0].write_errno = errno ? errno : EIO;
        fe->serial_file = NULL;
    }
    if (fe->debugcon) {
        if (fclose(fe->debugcon) != 0) {
            fprintf(stderr, "popek: error writing %s: %s\n", fe->opt.debugcon, strerror(errno));
            rc = -1;
        }
        fe->debugcon = NULL;
    }
    if (fe->serial_pty > 0) {
        close(fe->serial_pty);
        fe->serial_pty = -1;
    }
    if (fe->trace) {
        if (fe->machine_up)
            cpu_set_trace(fe->machine.cpu, NULL);
        if (fe->trace_owned && fclose(fe->trace) != 0) {
            fprintf(stderr, "popek: error writing trace file %s: %s\n", fe->opt.trace, strerror(errno));
            rc = -1;
        }
        fe->trace = NULL;
        fe->trace_owned = false;
    }
    if (fe->log) {
        if (fe->machine_up)
            cpu_set_log(fe->machine.cpu, NULL, 0);
        if (fe->log_owned)
            fclose(fe->log);
        fe->log = NULL;
        fe->log_owned = false;
    }
    return rc;
}

/* How the run ended, as an exit status, with a message where it helps. */
static int run_status(struct frontend *fe, enum cpu_exit why)
{
    struct machine *m = &fe->machine;
    switch (why) {
    case CPU_EXIT_HALT:
        if (m->idle_stuck) {
            fprintf(stderr, "popek: the guest halted with interrupts enabled, and for an hour of guest time "
                            "nothing woke it: nothing can\n");
            return fe->opt.kernel ? POPEK_EXIT_HALTED : POPEK_EXIT_OK;
        }
        if (fe->opt.kernel) {
            /* A kernel that halts for good (a panic, "halt") has not powered
             * the machine off; a firmware image halting is how test ROMs end. */
            fprintf(stderr, "popek: the guest halted with interrupts disabled (not a power-off)\n");
            return POPEK_EXIT_HALTED;
        }
        return POPEK_EXIT_OK;
    case CPU_EXIT_SHUTDOWN:
        fprintf(stderr, "popek: the guest shut the CPU down (triple fault)\n");
        return POPEK_EXIT_SHUTDOWN;
    case CPU_EXIT_ERROR:
        fprintf(stderr, "popek: emulator error: %s\n", cpu_error(m->cpu));
        cpu_dump(m->cpu, stderr);
        return POPEK_EXIT_ERROR;
    case CPU_EXIT_STOP:
        /* A device ended the run (the exit port, an ACPI power-off, a
         * reset of a directly booted kernel), or the user did. */
        if (m->rebooted)
            fprintf(stderr, "popek: the guest rebooted; with --kernel there is no firmware to restart, so the run ends\n");
        return m->exit_status;
    default:
        fprintf(stderr, "popek: the run stopped (exit reason %d)\n", (int)why);
        return POPEK_EXIT_OK;
    }
}

/* SeaVGABIOS for the std VGA, when the seabios package provides it: without
 * it the card still works, but firmware finds no video BIOS to run. */
static int load_vga_rom(struct frontend *fe, struct machine_config *cfg)
{
    FILE *f = fopen(POPEK_DEFAULT_VGABIOS, "rb");
    if (!f)
        return 0;
    uint8_t *buf = malloc(256 * 1024);
    size_t len = buf ? fread(buf, 1, 256 * 1024, f) : 0;
    fclose(f);
    if (!buf || len == 0 || len == 256 * 1024) {
        fprintf(stderr, "popek: %s: not a VGA BIOS image of under 256 KiB\n", POPEK_DEFAULT_VGABIOS);
        free(buf);
        return -1;
    }
    fe->vga_rom = buf;
    cfg->vga_rom = buf;
    cfg->vga_rom_len = len;
    return 0;
}

/* Opens one drive's image into b; with a snapshot the image itself is only
 * read and b becomes the overlay (which owns it). */
static int open_drive(const struct drive_opt *d, bool snapshot, struct blockdev *b)
{
    if (blockdev_open(b, d->file, (enum blockdev_format)d->format, d->read_only || snapshot) < 0)
        return -1;
    if (snapshot) {
        struct blockdev overlay;
        if (blockdev_open_snapshot(&overlay, b) < 0) {
            fprintf(stderr, "popek: cannot make a snapshot overlay for %s\n", d->file);
            return -1;
        }
        *b = overlay;
    }
    return 0;
}

/* Opens the disk images and puts them on the IDE channels and the floppy
 * controller. */
static int attach_disks(struct frontend *fe)
{
    for (unsigned i = 0; i < 4; i++) {
        const struct drive_opt *d = &fe->opt.ide[i];
        if (!d->file)
            continue;
        if (open_drive(d, (d->snapshot || fe->opt.snapshot) && !d->cdrom, &fe->disks[i]) < 0)
            return -1;
        if (d->cdrom) {
            if (pc_attach_ide_cdrom(&fe->machine, i, &fe->disks[i]) < 0)
                return -1;
            continue;
        }
        if (fe->disks[i].size < IDE_SECTOR) {
            fprintf(stderr, "popek: disk image %s is smaller than one sector\n", d->file);
            return -1;
        }
        if (pc_attach_ide_disk(&fe->machine, i, &fe->disks[i]) < 0)
            return -1;
    }
    for (unsigned i = 0; i < 2; i++) {
        const struct drive_opt *d = &fe->opt.fd[i];
        if (!d->file)
            continue;
        if (open_drive(d, d->snapshot || fe->opt.snapshot, &fe->disks[4 + i]) < 0 ||
            pc_attach_floppy(&fe->machine, i, &fe->disks[4 + i]) < 0)
            return -1;
    }
    return 0;
}

static int load_option_roms(struct frontend *fe)
{
    for (unsigned i = 0; i < fe->opt.n_option_rom; i++) {
        const char *path = fe->opt.option_rom[i];
        FILE *f = fopen(path, "rb");
        if (!f) {
            fprintf(stderr, "popek: cannot open option ROM %s: %s\n", path, strerror(errno));
            return -1;
        }
        uint8_t *buf = malloc(128 * 1024 + 1);
        size_t len = buf ? fread(buf, 1, 128 * 1024 + 1, f) : 0;
        fclose(f);
        const char *base = strrchr(path, '/');
        int rc = buf ? machine_add_option_rom(&fe->machine, base ? base + 1 : path, buf, len) : -1;
        free(buf);
        if (rc < 0)
            return -1;
    }
    return 0;
}

static int frontend_screendump(void *opaque, const char *path)
{
    struct frontend *fe = opaque;
    if (!fe->machine.pc.has_vga) {
        fprintf(stderr, "popek: screendump: there is no VGA (--vga none)\n");
        return -1;
    }
    return screendump(&fe->machine.pc.vga, path);
}

static int setup_gdb(struct frontend *fe)
{
    if (!fe->opt.gdb)
        return 0;
    fe->gdb = malloc(sizeof(*fe->gdb));
    if (!fe->gdb || gdb_server_open(fe->gdb, fe->opt.gdb, &fe->machine) < 0) {
        free(fe->gdb);
        fe->gdb = NULL;
        return -1;
    }
    return 0;
}

/* --replay, --record and reverse execution's checkpoints (on by default
 * in a debugging session).  After the serial ports are connected: their
 * input is tapped. */
static int setup_replay(struct frontend *fe)
{
    struct machine *m = &fe->machine;
    if (fe->opt.replay) {
        char err[300];
        if (machine_replay_open(m, fe->opt.replay, err, sizeof err) < 0) {
            fprintf(stderr, "popek: --replay %s\n", err);
            return -1;
        }
    }
    if (fe->opt.record && machine_record_open(m, fe->opt.record) < 0)
        return -1;
    bool debugging = fe->opt.gdb || fe->opt.monitor;
    if (fe->opt.rewind > 0 || (fe->opt.rewind == 0 && debugging)) {
        int rc = machine_rewind_enable(m, fe->opt.rewind_limit, fe->opt.rewind_gap);
        if (rc < 0) {
            fprintf(stderr, "popek: --rewind: %s\n", strerror(-rc));
            return -1;
        }
    }
    return 0;
}

/* The monitor on the terminal's Ctrl-A c, on the --monitor channel and
 * behind gdb's `monitor` command. */
static int setup_debugger(struct frontend *fe)
{
    if (fe->opt.monitor && !strcmp(fe->opt.monitor, "stdio") && fe->term.in_fd == STDIN_FILENO &&
        fe->input_poll == terminal_poll) {
        fprintf(stderr, "popek: --monitor stdio needs COM1 elsewhere (--serial null, file:PATH or pty)\n");
        return -1;
    }
    if (debugger_open(&fe->dbg, &fe->machine, &fe->opt, &fe->term.paused) < 0)
        return -1;
    fe->dbg_open = true;
    fe->term.mon = &fe->dbg.mon;
    if (fe->opt.gdb_wait && !fe->gdb)
        fe->term.paused = true; /* -S: until the monitor's cont, as in QEMU */
    if (fe->gdb) {
        fe->gdb->rcmd = fe->gdb->stub.rcmd = debugger_rcmd;
        fe->gdb->rcmd_opaque = fe->gdb->stub.rcmd_opaque = &fe->dbg;
    }
    return 0;
}

/* Runs the machine; a monitor breakpoint pauses the guest (the monitor
 * says where) until the monitor's cont, then the run goes on. */
static enum cpu_exit run_machine(struct frontend *fe)
{
    if (fe->gdb)
        return gdb_server_run(fe->gdb, fe->opt.gdb_wait, &fe->executed);
    uint64_t total = 0;
    if (fe->term.paused)
        frontend_poll(fe); /* -S: nothing runs before the monitor's cont */
    for (;;) {
        uint64_t n = 0;
        enum cpu_exit why = machine_run(&fe->machine, &n);
        total += n;
        if (why != CPU_EXIT_DEBUG || fe->machine.stop || caught_signal) {
            fe->executed = total;
            return why;
        }
        debugger_hit(&fe->dbg);
        frontend_poll(fe); /* serves the monitor while the guest is paused */
    }
}

/* Runs the machine the options describe; returns the process exit status. */
static int frontend_run(struct frontend *fe)
{
    struct machine_config cfg;
    machine_config_default(&cfg);
    cfg.model = fe->opt.model;
    cfg.ram_size = fe->opt.ram_size;
    cfg.debugcon = stdout;
    if (fe->opt.debugcon[0]) {
        if (!strcmp(fe->opt.debugcon, "stdio")) {
            cfg.fwlog = stdout;
        } else {
            fe->debugcon = fopen(fe->opt.debugcon, "wb");
            if (!fe->debugcon) {
                fprintf(stderr, "popek: cannot open %s: %s\n", fe->opt.debugcon, strerror(errno));
                return POPEK_EXIT_USAGE;
            }
            cfg.fwlog = fe->debugcon;
        }
        cfg.fwlog_port = fe->opt.debugcon_port;
    }
    if (fe->opt.slice)
        cfg.slice = fe->opt.slice;
    else if (fe->opt.gdb)
        cfg.slice = 1u << 20; /* a Ctrl-C from gdb waits for the slice's end */
    cfg.fpu = fe->opt.fpu;
    cfg.rtc_fixed = fe->opt.rtc_fixed;
    cfg.rtc_epoch = fe->opt.rtc_base;
    cfg.no_vga = fe->opt.no_vga;
    if (!cfg.no_vga && load_vga_rom(fe, &cfg) < 0)
        return POPEK_EXIT_USAGE;
    cfg.fw.boot_menu = fe->opt.boot_menu;
    if (fe->opt.boot_order[0])
        memcpy(cfg.fw.boot_order, fe->opt.boot_order, sizeof(cfg.fw.boot_order));
    cfg.fw.splash_ms = fe->opt.splash_ms;
    cfg.fw.reboot_timeout_ms = fe->opt.reboot_timeout_ms;

    int rc = machine_init(&fe->machine, &cfg);
    if (rc < 0) {
        fprintf(stderr, "popek: cannot set up the machine: %s\n", strerror(-rc));
        teardown(fe);
        return POPEK_EXIT_USAGE;
    }
    fe->machine_up = true;
    char what[256];
    snprintf(what, sizeof(what), "the firmware %s", fe->opt.bios ? fe->opt.bios : "");
    int lrc = fe->opt.kernel ? frontend_boot_kernel(&fe->machine, fe->opt.kernel, fe->opt.initrd, fe->opt.append,
                                                    what, sizeof(what))
                             : machine_load_bios(&fe->machine, fe->opt.bios);
    if (lrc < 0 && fe->opt.bios_default)
        fprintf(stderr, "popek: the default firmware is SeaBIOS from Debian's seabios package "
                        "(apt-get install seabios); or give --bios FILE or --kernel FILE\n");
    if (lrc == 0 && fe->opt.n_option_rom && fe->opt.kernel) {
        fprintf(stderr, "popek: --option-rom needs firmware to run it, not --kernel\n");
        lrc = -1;
    }
    if (lrc == 0 && load_option_roms(fe) < 0)
        lrc = -1;
    if (lrc == 0 && attach_disks(fe) < 0)
        lrc = -1;
    if (lrc < 0 || open_trace(fe) < 0 || open_log(fe) < 0 || setup_serial(fe) < 0 ||
        setup_display(fe) < 0) {
        teardown(fe);
        machine_free(&fe->machine);
        return POPEK_EXIT_USAGE;
    }
    if (fe->opt.loadvm) {
        char err[300];
        if (machine_loadvm(&fe->machine, fe->opt.loadvm, err, sizeof err) < 0) {
            fprintf(stderr, "popek: --loadvm %s\n", err);
            teardown(fe);
            machine_free(&fe->machine);
            return POPEK_EXIT_USAGE;
        }
    }
    if (setup_replay(fe) < 0) {
        teardown(fe);
        machine_free(&fe->machine);
        return POPEK_EXIT_USAGE;
    }
    fe->opt.script.screendump = frontend_screendump;
    fe->opt.script.screendump_opaque = fe;
    if (script_arm(&fe->opt.script, &fe->machine) < 0 || setup_gdb(fe) < 0 || setup_debugger(fe) < 0) {
        teardown(fe);
        machine_free(&fe->machine);
        return POPEK_EXIT_USAGE;
    }
    if (fe->trace) {
        cpu_set_trace(fe->machine.cpu, fe->trace);
        cpu_set_trace_filter(fe->machine.cpu, &fe->opt.trace_filter);
        cpu_set_trace_disasm(fe->machine.cpu, debugger_trace_disasm, &fe->dbg);
    }
    /* Someone at a terminal sees what starts and how to get out. */
    if (fe->term.raw)
        fprintf(stderr, "popek: booting %s, %u MiB, CPU %s (Ctrl-A x quits, Ctrl-A h lists the keys)\r\n", what,
                fe->opt.ram_size >> 20, cpu_model_name(fe->opt.model));
    if (fe->log)
        cpu_set_log(fe->machine.cpu, fe->log, fe->opt.log_mask);

    double t0 = now_seconds();
    enum cpu_exit why = run_machine(fe);
    fe->seconds = now_seconds() - t0;
    machine_end(&fe->machine);
    machine_replay_close(&fe->machine);

    /* What the guest printed comes before any diagnostic about the end. */
    fflush(stdout);
    terminal_close(&fe->term);
    int status = run_status(fe, why);
    if (fe->gdb)
        gdb_server_exited(fe->gdb, status);
    if (teardown(fe) < 0 && status == POPEK_EXIT_OK)
        status = POPEK_EXIT_USAGE;
    const struct chardev *cd = &fe->machine.pc.serial_cd[0];
    if (fe->serial_reports && cd->write_errno) {
        fprintf(stderr, "popek: COM1 output to %s failed: %s; %" PRIu64 " of %" PRIu64 " bytes were lost\n",
                fe->serial_name, strerror(cd->write_errno), cd->out_lost, cd->out_bytes);
        if (status == POPEK_EXIT_OK)
            status = POPEK_EXIT_USAGE;
    }
    if (fe->opt.stats)
        print_stats(fe);
    machine_free(&fe->machine);
    fe->machine_up = false;
    free(fe->vga_rom);
    fe->vga_rom = NULL;
    if (fe->opt.script.failed && status == POPEK_EXIT_OK)
        status = POPEK_EXIT_USAGE;
    return status;
}

int main(int argc, char **argv)
{
    struct frontend *fe = calloc(1, sizeof(*fe));
    if (!fe) {
        fprintf(stderr, "popek: out of memory\n");
        return POPEK_EXIT_USAGE;
    }
    fe->serial_pty = -1;
    options_default(&fe->opt);
    catch_signals();
    int status;
    switch (options_parse(&fe->opt, argc, argv, stdout, stderr)) {
    case OPT_RUN:
        status = frontend_run(fe);
        break;
    case OPT_EXIT:
        status = POPEK_EXIT_OK;
        break;
    default:
        status = POPEK_EXIT_USAGE;
        break;
    }
    free(fe);
    if (fflush(stdout) != 0 && status == POPEK_EXIT_OK) {
        fprintf(stderr, "popek: error writing standard output: %s\n", strerror(errno));
        status = POPEK_EXIT_USAGE;
    }
    return status;
}
