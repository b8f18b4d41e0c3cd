/* Assembles a machine from its parts (see machine.h). */
#include "machine/machine.h"
#include "machine/replay.h"
#include "machine/rewind.h"
#include "machine/savestate.h"

#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <string.h>
#include <time.h>

void machine_config_default(struct machine_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->model = CPU_P6;
    cfg->ram_size = 32u << 20;
    cfg->slice = 1u << 24;
    cfg->mips = 100;
    firmware_settings_default(&cfg->fw);
}

/* Brings guest time up to the instructions executed so far (also in the
 * middle of a CPU slice: before every port and MMIO access), firing what
 * became due. */
static void sync_clock(struct machine *m)
{
    uint64_t icount = cpu_instructions(m->cpu);
    if (icount == m->clock_icount)
        return;
    uint64_t ns = clock_insns_to_ns(&m->clock, icount - m->clock_icount);
    m->clock_icount = icount;
    clock_advance_to(&m->clock, m->clock.now + ns);
}

/* The TSC ticks once per instruction of the configured rate; idle time
 * the run loop skips must reach it too, or a guest timing with the TSC
 * (Linux's clocksource) would see time stand still while it sleeps. */
static void skip_tsc(struct machine *m, uint64_t ns)
{
    if (ns > UINT64_MAX / 4096) /* beyond any deadline a guest can arm */
        ns = UINT64_MAX / 4096;
    uint64_t q = ns * (m->cfg.mips ? m->cfg.mips : 100) + m->tsc_rem;
    m->tsc_rem = q % 1000;
    cpu_advance_tsc(m->cpu, q / 1000);
}

static void io_hook(void *opaque)
{
    sync_clock(opaque);
}

/* A device armed a timer: if it is due before the CPU slice would end,
 * make the CPU return at the next instruction boundary. */
static void clock_kick(void *opaque, uint64_t deadline)
{
    struct machine *m = opaque;
    if (deadline < m->run_deadline) {
        m->run_deadline = deadline;
        cpu_request_stop(m->cpu);
    }
}

int machine_init(struct machine *m, const struct machine_config *cfg)
{
    memset(m, 0, sizeof(*m));
    m->cfg = *cfg;
    m->run_until = UINT64_MAX;
    int rc = bus_init(&m->bus, cfg->ram_size);
    if (rc < 0)
        return rc;
    /* The 8086 has 20 address lines, so the machine's A20 gate is moot
     * there; later models start with A20 enabled as the CPU sees it and the
     * chipset's gate decides. */
    m->cpu = cpu_create(cfg->model, &m->bus);
    if (!m->cpu) {
        bus_free(&m->bus);
        return -ENOMEM;
    }
    if (cfg->fpu)
        cpu_set_fpu(m->cpu, true);
    clock_init(&m->clock, cfg->mips);
    m->clock.kick = clock_kick;
    m->clock.kick_opaque = m;
    m->bus.io_hook = io_hook;
    m->bus.io_opaque = m;
    rc = debugcon_init(&m->debugcon, &m->bus, cfg->debugcon, DEBUGCON_PORT);
    if (rc == 0)
        rc = pc_init(m, cfg->rtc_fixed ? cfg->rtc_epoch : (int64_t)time(NULL));
    /* Claimed last, so that the port the user named wins over a device. */
    if (rc == 0 && cfg->fwlog)
        rc = debugcon_init(&m->fwlog, &m->bus, cfg->fwlog, cfg->fwlog_port);
    if (rc < 0) {
        fprintf(stderr, "popek: cannot build the PC: %s\n", strerror(-rc));
        machine_free(m);
        return rc;
    }
    return 0;
}

void machine_free(struct machine *m)
{
    machine_rewind_free(m);
    machine_replay_free(m);
    pc_free(m);
    if (m->cpu)
        cpu_destroy(m->cpu);
    bus_free(&m->bus);
    memset(m, 0, sizeof(*m));
}

int machine_load_bios_image(struct machine *m, const uint8_t *image, size_t len)
{
    if (len == 0 || len > 256 * 1024 || (len & BUS_PAGE_MASK)) {
        fprintf(stderr, "popek: firmware image of %zu bytes: want a multiple of 4 KiB up to 256 KiB\n",
                len);
        return -EINVAL;
    }
    /* Below 1 MiB only the top 128 KiB (E0000-FFFFF) belong to the BIOS. */
    size_t low = len > 128 * 1024 ? 128 * 1024 : len;
    int rc = bus_map_rom(&m->bus, (uint32_t)(0x100000 - low), image + (len - low), low);
    if (rc == 0)
        rc = bus_map_rom(&m->bus, (uint32_t)(0x100000000ull - len), image, len);
    /* The 286 has 24 address lines and starts at FFFFF0h: AT boards mirror
     * the BIOS at the top of the 16 MiB space, over any RAM there. */
    if (rc == 0 && m->cfg.model == CPU_286)
        rc = bus_map_rom(&m->bus, (uint32_t)(0x1000000 - len), image, len);
    if (rc == 0) {
        m->firmware = true;
        pc_shadow_enable(m);
        rc = pc_firmware_config(m, &m->cfg.fw);
    }
    if (rc == 0) {
        cpu_reset(m->cpu);
    }
    return rc;
}

int machine_add_option_rom(struct machine *m, const char *name, const uint8_t *data, size_t len)
{
    char fname[FW_CFG_NAME_LEN];
    if (len < 512 || len > 128 * 1024 || data[0] != 0x55 || data[1] != 0xAA) {
        fprintf(stderr, "popek: option ROM %s: want 512 bytes to 128 KiB starting with 55 AA\n", name);
        return -EINVAL;
    }
    if ((size_t)snprintf(fname, sizeof(fname), "genroms/%s", name) >= sizeof(fname)) {
        fprintf(stderr, "popek: option ROM name %s is too long\n", name);
        return -EINVAL;
    }
    return fw_cfg_add_file(&m->pc.fw_cfg, fname, data, (uint32_t)len, false);
}

int machine_load_bios(struct machine *m, const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        int err = errno;
        fprintf(stderr, "popek: cannot open firmware %s: %s\n", path, strerror(err));
        return -err;
    }
    /* The size is the file's, not what a bounded read got: a 1.44 MB
     * floppy image given by mistake is reported as what it is. */
    struct stat sb;
    if (fstat(fileno(f), &sb) == 0 && S_ISREG(sb.st_mode) &&
        (sb.st_size == 0 || sb.st_size > 256 * 1024 || (sb.st_size & BUS_PAGE_MASK))) {
        fprintf(stderr, "popek: firmware %s is %lld bytes: want a multiple of 4 KiB up to 256 KiB\n", path,
                (long long)sb.st_size);
        fclose(f);
        return -EINVAL;
    }
    uint8_t *buf = malloc(256 * 1024 + 1);
    if (!buf) {
        fclose(f);
        return -ENOMEM;
    }
    size_t len = fread(buf, 1, 256 * 1024 + 1, f);
    int err = ferror(f);
    fclose(f);
    int rc;
    if (err) {
        fprintf(stderr, "popek: cannot read firmware %s\n", path);
        rc = -EIO;
    } else if (len > 256 * 1024) {
        fprintf(stderr, "popek: firmware %s is larger than 256 KiB\n", path);
        rc = -EINVAL;
    } else {
        rc = machine_load_bios_image(m, buf, len);
    }
    free(buf);
    return rc;
}

void machine_start_protected(struct machine *m, uint32_t entry, uint16_t code_sel,
                             const struct machine_boot_regs *regs)
{
    struct cpu_state st;
    cpu_get_state(m->cpu, &st);
    memset(st.gpr, 0, sizeof(st.gpr));
    if (regs) {
        st.gpr[R_EAX] = regs->eax;
        st.gpr[R_EBX] = regs->ebx;
        st.gpr[R_ESI] = regs->esi;
        st.gpr[R_ESP] = regs->esp;
    }
    st.eip = entry;
    st.eflags = 0x2;
    st.cr0 = (st.cr0 & ~0x80000000u) | 0x11; /* PE, ET */
    const uint16_t data_sel = (uint16_t)(code_sel + 8);
    for (int s = 0; s < S_NSEG; s++)
        st.seg[s] = (struct cpu_seg){ data_sel, 0, 0xFFFFFFFFu, 0xC093 };
    st.seg[S_CS] = (struct cpu_seg){ code_sel, 0, 0xFFFFFFFFu, 0xC09B };
    st.halted = false;
    cpu_set_state(m->cpu, &st);
}

void machine_end(struct machine *m)
{
    sync_clock(m);
    pc_flush_serial(m);
}

void machine_request_exit(struct machine *m, int status)
{
    m->stop = true;
    m->exit_status = status;
    cpu_request_stop(m->cpu);
}

void machine_system_reset(struct machine *m)
{
    m->pc.reset_pending = true;
    cpu_request_stop(m->cpu);
}

void machine_system_powerdown(struct machine *m)
{
    acpi_pm_power_button(&m->pc.piix.acpi);
}

enum cpu_exit machine_run(struct machine *m, uint64_t *executed)
{
    uint64_t total = 0;
    enum cpu_exit why;
    uint64_t slice = m->cfg.slice ? m->cfg.slice : 1u << 24;
    uint64_t idle_ns = 0; /* guest time skipped in HLT since the CPU last ran */
    m->idle_stuck = false;
    for (;;) {
        /* Run to the nearest timer deadline (or a slice), then let time
         * catch up with the instructions executed. */
        sync_clock(m);
        uint64_t budget = slice;
        uint64_t icount = cpu_instructions(m->cpu);
        if (m->run_until != UINT64_MAX) {
            /* Reverse execution runs to an exact instruction (rewind.c). */
            if (icount >= m->run_until) {
                why = CPU_EXIT_BUDGET;
                break;
            }
            if (m->run_until - icount < budget)
                budget = m->run_until - icount;
        }
        uint64_t deadline = clock_next_deadline(&m->clock);
        m->run_deadline = deadline;
        if (deadline != CLOCK_NEVER) {
            uint64_t until = deadline > m->clock.now ? deadline - m->clock.now : 0;
            uint64_t insns = clock_ns_to_insns(&m->clock, until);
            if (insns < budget)
                budget = insns ? insns : 1;
        }
        uint64_t n = 0;
        why = cpu_run(m->cpu, budget, &n);
        total += n;
        if (n)
            idle_ns = 0;
        sync_clock(m);
        m->run_deadline = CLOCK_NEVER;
        if (m->host.poll)
            m->host.poll(m->host.opaque);
        if (m->pc.reset_pending) {
            /* A reset the guest asked for (0xCF9, the 8042, port 0x92):
             * firmware starts again; a directly booted kernel has nothing
             * to restart from, so the run ends. */
            if (m->firmware) {
                pc_reset(m);
                continue;
            }
            m->rebooted = true;
            m->exit_status = 0;
            why = CPU_EXIT_STOP;
            break;
        }
        if (m->rewind)
            machine_rewind_tick(m);
        if (m->savevm_req) {
            /* Here no timer is half fired and the CPU is between
             * instructions: a load resumes exactly as this run goes on. */
            m->savevm_req = false;
            char err[300];
            if (machine_savevm(m, m->savevm_path, err, sizeof err) < 0)
                fprintf(stderr, "popek: savevm: %s\n", err);
            else
                fprintf(stderr, "popek: saved the machine to %s at instruction %llu\n", m->savevm_path,
                        (unsigned long long)cpu_instructions(m->cpu));
        }
        if (m->loadvm_req) {
            m->loadvm_req = false;
            char err[300];
            if (machine_loadvm(m, m->savevm_path, err, sizeof err) < 0)
                fprintf(stderr, "popek: loadvm: %s\n", err);
            else
                fprintf(stderr, "popek: loaded the machine from %s at instruction %llu\n", m->savevm_path,
                        (unsigned long long)cpu_instructions(m->cpu));
            continue; /* whatever ended the slice belongs to the state replaced */
        }
        if (m->stop) {
            why = CPU_EXIT_STOP;
            break;
        }
        if (m->break_req) {
            m->break_req = false;
            why = CPU_EXIT_DEBUG;
            break;
        }
        if (why == CPU_EXIT_BUDGET || why == CPU_EXIT_STOP)
            continue;
        if (why == CPU_EXIT_SHUTDOWN && m->firmware) {
            /* A triple fault: the board resets and the firmware starts again. */
            pc_reset(m);
            continue;
        }
        if (why == CPU_EXIT_HALT) {
            /* Halted with interrupts enabled: nothing happens until the next
             * timer fires, so skip the idle time.  With interrupts off (or
             * nothing that could ever fire) the halt ends the run. */
            struct cpu_state st;
            cpu_get_state(m->cpu, &st);
            uint64_t next = clock_next_deadline(&m->clock);
            if ((st.eflags & F_IF) && next != CLOCK_NEVER) {
                /* Timers keep firing (the RTC ticks every second) but none
                 * has woken the CPU for an hour of guest time: with no host
                 * input that could, nothing ever will; skipping on would
                 * only race the clock to its end. */
                if (idle_ns > MACHINE_IDLE_GIVE_UP_NS && !m->host.live_input) {
                    m->idle_stuck = true;
                    break;
                }
                uint64_t skip = next - m->clock.now;
                if (m->host.idle) {
                    m->in_idle = true;
                    m->host.idle(m->host.opaque, skip);
                    m->in_idle = false;
                }
                skip_tsc(m, skip);
                clock_advance_to(&m->clock, next);
                if (m->replay)
                    machine_replay_idle_done(m);
                idle_ns += skip;
                continue;
            }
        }
        break;
    }
    if (executed)
        *executed = total;
    return why;
}

enum cpu_exit machine_step(struct machine *m)
{
    sync_clock(m);
    struct cpu_state st;
    cpu_get_state(m->cpu, &st);
    uint64_t next = clock_next_deadline(&m->clock);
    if (st.halted && (st.eflags & F_IF) && next != CLOCK_NEVER && next > m->clock.now) {
        /* Nothing runs before the next timer: skip to it, as the run would. */
        skip_tsc(m, next - m->clock.now);
        clock_advance_to(&m->clock, next);
    }
    enum cpu_exit why = cpu_step(m->cpu);
    sync_clock(m);
    if (m->pc.reset_pending || (why == CPU_EXIT_SHUTDOWN && m->firmware)) {
        if (m->firmware) {
            pc_reset(m);
            return CPU_EXIT_BUDGET;
        }
        m->rebooted = true;
        m->exit_status = 0;
        m->stop = true;
    }
    if (m->stop)
        return CPU_EXIT_STOP;
    if (why == CPU_EXIT_STOP)
        why = CPU_EXIT_BUDGET; /* a timer's kick, not an end */
    return why;
}
