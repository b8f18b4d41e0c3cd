/* popek: the command-line frontend.  Parses the options, builds one
 * machine, loads the firmware, runs it to the end and maps the way the run
 * ended to an exit status (see options.h and `popek --help`).  Its whole
 * state is one struct frontend owned by main(). */
#define _XOPEN_SOURCE 600 /* posix_openpt, grantpt, unlockpt, ptsname */
#include <unistd.h>
#include <errno.h>
#include <fcntl.h>
#include <termios.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "frontends/boot.h"
#include "frontends/terminal.h"
#include "frontends/options.h"
#include "machine/machine.h"

struct frontend {
    struct options opt;
    struct machine machine;
    FILE *trace;      /* --trace stream, NULL when off */
    bool trace_owned; /* trace was opened here and must be closed */
    uint64_t executed;
    double seconds;
    struct terminal term; /* COM1 on the user's terminal (--serial stdio) */
    int serial_pty;       /* --serial pty: the master side, or -1 */
    FILE *serial_file;    /* --serial file:PATH */
};

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

static void close_trace(struct frontend *fe)
{
    if (!fe->trace)
        return;
    cpu_set_trace(fe->machine.cpu, NULL);
    if (fe->trace_owned && fclose(fe->trace) != 0)
        fprintf(stderr, "popek: error writing trace file %s: %s\n", fe->opt.trace, strerror(errno));
    fe->trace = NULL;
    fe->trace_owned = false;
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

/* Connects COM1 to what --serial names: the terminal, a pty, a file or nothing. */
static int setup_serial(struct frontend *fe)
{
    const char *dev = fe->opt.serial ? fe->opt.serial : fe->opt.kernel ? "stdio" : "null";
    struct chardev *cd = &fe->machine.pc.serial_cd[0];
    void (*notify)(void *) = cd->notify;
    void *opaque = cd->notify_opaque;
    if (!strcmp(dev, "stdio")) {
        chardev_init_fd(cd, -1, STDOUT_FILENO);
        terminal_open(&fe->term, STDIN_FILENO, STDOUT_FILENO, cd, &fe->machine);
        fe->machine.host = (struct machine_host_hooks){ terminal_poll, terminal_idle, &fe->term };
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
        fe->machine.host = (struct machine_host_hooks){ pty_poll, NULL, fe };
    } else if (!strncmp(dev, "file:", 5)) {
        fe->serial_file = fopen(dev + 5, "wb");
        if (!fe->serial_file) {
            fprintf(stderr, "popek: cannot open %s: %s\n", dev + 5, strerror(errno));
            return -1;
        }
        chardev_init_file(cd, fe->serial_file);
    } else {
        chardev_init_null(cd);
    }
    chardev_set_consumer(cd, notify, opaque);
    return 0;
}

/* Runs the machine the options describe; returns the process exit status. */
static int frontend_run(struct frontend *fe)
{
    struct machine_config cfg;
    machine_config_default(&cfg);
    cfg.model = fe->opt.model;
    cfg.ram_size = fe->opt.ram_size;
    cfg.debugcon = stdout;
    if (fe->opt.slice)
        cfg.slice = fe->opt.slice;
    cfg.fpu = fe->opt.fpu;
    cfg.rtc_fixed = fe->opt.rtc_fixed;
    cfg.rtc_epoch = fe->opt.rtc_base;

    int rc = machine_init(&fe->machine, &cfg);
    if (rc < 0) {
        fprintf(stderr, "popek: cannot set up the machine: %s\n", strerror(-rc));
        return POPEK_EXIT_USAGE;
    }
    if (setup_serial(fe) < 0) {
        machine_free(&fe->machine);
        return POPEK_EXIT_USAGE;
    }
    int lrc = fe->opt.kernel ? frontend_boot_kernel(&fe->machine, fe->opt.kernel, fe->opt.initrd, fe->opt.append)
                             : machine_load_bios(&fe->machine, fe->opt.bios);
    if (lrc < 0 || open_trace(fe) < 0) {
        machine_free(&fe->machine);
        return POPEK_EXIT_USAGE;
    }
    if (fe->trace)
        cpu_set_trace(fe->machine.cpu, fe->trace);

    double t0 = now_seconds();
    enum cpu_exit why = machine_run(&fe->machine, &fe->executed);
    fe->seconds = now_seconds() - t0;

    /* What the guest printed comes before any diagnostic about the end. */
    fflush(stdout);
    int status;
    switch (why) {
    case CPU_EXIT_HALT:
        if (fe->opt.kernel) {
            /* A kernel that halts for good (a panic, "halt") has not powered
             * the machine off; a firmware image halting is how test ROMs end. */
            fprintf(stderr, "popek: the guest halted with interrupts disabled (not a power-off)\n");
            status = POPEK_EXIT_HALTED;
        } else {
            status = POPEK_EXIT_OK;
        }
        break;
    case CPU_EXIT_SHUTDOWN:
        fprintf(stderr, "popek: the guest shut the CPU down (triple fault)\n");
        status = POPEK_EXIT_SHUTDOWN;
        break;
    case CPU_EXIT_ERROR:
        fprintf(stderr, "popek: emulator error: %s\n", cpu_error(fe->machine.cpu));
        cpu_dump(fe->machine.cpu, stderr);
        status = POPEK_EXIT_ERROR;
        break;
    case CPU_EXIT_STOP:
        /* A device ended the run: the exit port, an ACPI power-off, or a
         * reset of a directly booted kernel. */
        if (fe->machine.rebooted)
            fprintf(stderr, "popek: the guest rebooted; with --kernel there is no firmware to restart, so the run ends\n");
        status = fe->machine.exit_status;
        break;
    default:
        fprintf(stderr, "popek: the run stopped (exit reason %d)\n", (int)why);
        status = POPEK_EXIT_OK;
        break;
    }
    terminal_close(&fe->term);
    if (fe->serial_file)
        fclose(fe->serial_file);
    if (fe->serial_pty > 0)
        close(fe->serial_pty);
    close_trace(fe);
    if (fe->opt.stats)
        print_stats(fe);
    machine_free(&fe->machine);
    return status;
}

int main(int argc, char **argv)
{
    struct frontend *fe = calloc(1, sizeof(*fe));
    if (!fe) {
        fprintf(stderr, "popek: out of memory\n");
        return POPEK_EXIT_USAGE;
    }
    options_default(&fe->opt);
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
