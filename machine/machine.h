/* One emulated PC: the bus, the CPU and the devices, with no state outside
 * this struct, so that several machines can live in one process.
 * Frontends talk to the machine; the machine wires CPU and devices to the bus. */
#ifndef POPEK_MACHINE_MACHINE_H
#define POPEK_MACHINE_MACHINE_H

#include <stdint.h>
#include <stdio.h>

#include "cpu/cpu.h"
#include "devices/clock.h"
#include "devices/debugcon.h"
#include "machine/firmware_config.h"
#include "machine/pc.h"
#include "mem/bus.h"

struct machine_config {
    enum cpu_model model;
    uint32_t ram_size;     /* bytes */
    FILE *debugcon;        /* where port 0xE9 output goes (NULL: stdout) */
    FILE *fwlog;           /* a second debug console (--debugcon), or NULL */
    uint16_t fwlog_port;   /* its port (0xE9 replaces the first) */
    uint64_t slice;        /* instructions per cpu_run() call; results never depend on it */
    bool fpu;              /* fit an 8087/287/387 to an 8086/286/386 */
    unsigned mips;         /* guest instructions per microsecond of guest time */
    bool rtc_fixed;        /* start the RTC at rtc_epoch instead of the host's time */
    int64_t rtc_epoch;
    struct firmware_settings fw; /* what fw_cfg tells a firmware image */
    bool no_vga;            /* no VGA card (--vga none) */
    const uint8_t *vga_rom; /* its option ROM (copied), or NULL */
    size_t vga_rom_len;
};

/* What the host side (a frontend) may do while the machine runs: poll its
 * inputs between CPU slices, and wait when the guest is idle.  Without
 * hooks a run is deterministic and never sleeps. */
struct replay;
struct rewind;

struct machine_host_hooks {
    void (*poll)(void *opaque);
    /* The guest idles for ns of guest time (HLT until the next timer);
     * the host may block up to about that long for input. */
    void (*idle)(void *opaque, uint64_t ns);
    void *opaque;
    /* Host input (a terminal, a pty) can reach the guest and wake it: a
     * halt that no timer ends waits for it instead of ending the run. */
    bool live_input;
};

/* A halt with interrupts enabled that no timer has ended for this much
 * guest time, without live input, ends the run (machine.idle_stuck). */
#define MACHINE_IDLE_GIVE_UP_NS (3600ull * 1000000000ull)

struct machine {
    struct machine_config cfg;
    struct machine_host_hooks host;
    struct bus bus;
    struct cpu *cpu;
    struct vclock clock;
    struct debugcon debugcon;
    struct debugcon fwlog;
    struct pc pc;
    uint64_t clock_icount; /* CPU instruction count the clock has caught up with */
    uint64_t tsc_rem;      /* idle ns x mips not yet a whole TSC tick, in thousandths */
    uint64_t run_deadline; /* the deadline the current CPU slice runs to */
    bool firmware;    /* a firmware image is mapped: a reset restarts it */
    bool rebooted;    /* the run ended because the guest reset the machine */
    bool stop;        /* a device asked the run to end (exit port, power-off) */
    bool idle_stuck;  /* the run ended halted with IF=1: nothing could wake the CPU */
    bool break_req;   /* a debugger asked the run to stop (machine_request_break) */
    int exit_status;  /* the status it asked for */
    struct replay *replay;   /* the input log (replay.h), or NULL: input goes straight in */
    struct rewind *rewind;   /* checkpoints for reverse execution (rewind.h), or NULL */
    uint64_t run_until;      /* machine_run returns when the count reaches this (rewind.c) */
    bool in_idle;            /* in the host's idle hook (replay.c defers input to its end) */
    bool savevm_req;  /* machine_request_savevm: save at the next slice boundary */
    bool loadvm_req;  /* machine_request_loadvm: load there */
    char savevm_path[512];
};

void machine_config_default(struct machine_config *cfg);
/* The run is over (whatever ended it): bytes the guest sent to a device
 * and that are still on their way (a UART's FIFO) go to the host now. */
void machine_end(struct machine *m);
/* Returns 0 or -errno after printing why. */
int machine_init(struct machine *m, const struct machine_config *cfg);
void machine_free(struct machine *m);

/* Loads a raw firmware image so that it ends at 1 MiB and at 4 GiB (the
 * reset vector F000:FFF0 lands in its last 16 bytes).  Returns 0 or -errno. */
int machine_load_bios(struct machine *m, const char *path);
int machine_load_bios_image(struct machine *m, const uint8_t *image, size_t len);

/* An option ROM the firmware runs besides the cards' own (QEMU's
 * -option-rom): handed over through fw_cfg as genroms/NAME, where SeaBIOS
 * finds, places and initialises it.  Returns 0 or -errno. */
int machine_add_option_rom(struct machine *m, const char *name, const uint8_t *data, size_t len);

/* Puts the CPU in 32-bit protected mode at entry, as boot loaders hand
 * over to multiboot and Linux kernels: flat 4 GiB code (selector code_sel)
 * and data (code_sel + 8) segments in the hidden descriptor caches, CPL 0,
 * interrupts off, paging off; GDTR and IDTR are left for the kernel to
 * load.  EAX, EBX, ESI and ESP are set as given. */
struct machine_boot_regs {
    uint32_t eax, ebx, esi, esp;
};
void machine_start_protected(struct machine *m, uint32_t entry, uint16_t code_sel,
                             const struct machine_boot_regs *regs);

/* Runs until the guest halts with interrupts off, shuts down, a device asks
 * the run to end (machine_request_exit), or the CPU reports an error.  The
 * CPU runs up to the nearest timer deadline at a time; guest time follows
 * executed instructions, and a HLT with interrupts enabled moves time on to
 * the next deadline at once.  Returns the reason (CPU_EXIT_STOP for a
 * device's request); *executed gets the instruction count. */
enum cpu_exit machine_run(struct machine *m, uint64_t *executed);

/* Executes one instruction (cpu_step) with the clock and devices brought
 * along as machine_run would; a CPU halted with interrupts enabled first
 * waits for the next timer.  Returns as machine_run does. */
enum cpu_exit machine_step(struct machine *m);

/* For a debugger (machine_debug.c).  Guest memory at a linear address,
 * through the current paging, with no effect on the guest: read returns
 * how many bytes it could read (it stops at a page that is not present or
 * is a device's MMIO); write writes all or nothing (RAM only) and returns
 * 0 or -EFAULT. */
size_t machine_debug_read(struct machine *m, uint32_t lin, uint8_t *buf, size_t len);
int machine_debug_write(struct machine *m, uint32_t lin, const uint8_t *buf, size_t len);
/* Ends machine_run at the next slice boundary with CPU_EXIT_DEBUG (and
 * no hit in cpu_debug_hit): a debugger's interrupt (Ctrl-C), asked from
 * the host's poll hook. */
void machine_request_break(struct machine *m);

/* The monitor's system_reset: the reset button (firmware starts again; a
 * directly booted kernel's run ends, as on a guest's own reset). */
void machine_system_reset(struct machine *m);
/* The monitor's system_powerdown: the ACPI power button is pressed (a
 * guest with ACPI shuts down; one without ignores it, as on a PC). */
void machine_system_powerdown(struct machine *m);

/* For devices: end the run after the current instruction with status. */
void machine_request_exit(struct machine *m, int status);

#endif
