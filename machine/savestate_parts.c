/* Which sections a savestate of a PC has, and how each is written, read
 * and re-applied (savestate_parts.h).  The "machine" section comes first:
 * it says what the state was saved from, so that a load into a machine
 * built otherwise stops there with a reason. */
#include "machine/savestate_parts.h"

#include <string.h>
#include <zlib.h>

#include "machine/machine.h"
#include "mem/sv.h"

#define MACHINE_SV_VERSION 1

static uint32_t rom_crc(const struct bus *bus)
{
    uLong crc = crc32(0L, Z_NULL, 0);
    for (unsigned i = 0; i < bus->nroms; i++)
        crc = crc32(crc, bus->roms[i], (uInt)bus->rom_len[i]);
    return (uint32_t)crc;
}

static void machine_part_save(struct machine *m, void *obj, struct sv_writer *w)
{
    (void)obj;
    sv_put_u32(w, m->cfg.mips);
    sv_put_bool(w, m->firmware);
    sv_put_bool(w, m->pc.has_vga);
    sv_put_bool(w, m->pc.has_apic);
    sv_put_u32(w, rom_crc(&m->bus));
    sv_put_u64(w, m->clock_icount);
    sv_put_u64(w, m->tsc_rem);
    sv_put_bool(w, m->pc.reset_pending);
    for (int i = 0; i < 2; i++)
        sv_put_u32(w, m->pc.com_irq[i].levels);
}

static void machine_part_load(struct machine *m, void *obj, struct sv_reader *r, unsigned version)
{
    (void)obj;
    if (version != MACHINE_SV_VERSION) {
        sv_fail(r, "version %u, this Popek reads %u", version, MACHINE_SV_VERSION);
        return;
    }
    uint32_t mips = sv_get_u32(r);
    bool firmware = sv_get_bool(r);
    bool has_vga = sv_get_bool(r);
    bool has_apic = sv_get_bool(r);
    uint32_t crc = sv_get_u32(r);
    if (!sv_ok(r))
        return;
    if (mips != m->cfg.mips) {
        sv_fail(r, "saved at --mips %u, this machine runs at %u", mips, m->cfg.mips);
        return;
    }
    if (firmware != m->firmware) {
        sv_fail(r, "saved %s firmware, this machine has %s", firmware ? "with" : "without",
                m->firmware ? "a firmware image" : "none (a directly booted kernel)");
        return;
    }
    if (has_vga != m->pc.has_vga || has_apic != m->pc.has_apic) {
        sv_fail(r, "saved %s a VGA and %s an APIC; this machine differs (--vga, --cpu)", has_vga ? "with" : "without",
                has_apic ? "with" : "without");
        return;
    }
    if (crc != rom_crc(&m->bus)) {
        sv_fail(r, "saved with other ROM images (--bios, option ROMs) than this machine has");
        return;
    }
    uint64_t clock_icount = sv_get_u64(r);
    uint64_t tsc_rem = sv_get_u64(r);
    bool reset_pending = sv_get_bool(r);
    uint32_t levels[2];
    for (int i = 0; i < 2; i++)
        levels[i] = sv_get_max(r, 4, (1u << PC_SERIAL_PORTS) - 1, "a shared IRQ's levels");
    if (!sv_check(r, tsc_rem < 1000, "the TSC remainder"))
        return;
    m->clock_icount = clock_icount;
    m->tsc_rem = tsc_rem;
    m->pc.reset_pending = reset_pending;
    for (int i = 0; i < 2; i++)
        m->pc.com_irq[i].levels = levels[i];
}

static void cpu_part_save(struct machine *m, void *obj, struct sv_writer *w) { (void)obj; cpu_save(m->cpu, w); }
static void cpu_part_load(struct machine *m, void *obj, struct sv_reader *r, unsigned v)
{
    (void)obj;
    cpu_load(m->cpu, r, v);
    if (sv_ok(r) && cpu_instructions(m->cpu) < m->clock_icount)
        sv_fail(r, "instruction count behind the clock's");
}

static void bus_part_save(struct machine *m, void *obj, struct sv_writer *w) { (void)obj; bus_save(&m->bus, w); }
static void bus_part_load(struct machine *m, void *obj, struct sv_reader *r, unsigned v) { (void)obj; bus_load(&m->bus, r, v); }

static void clock_part_save(struct machine *m, void *obj, struct sv_writer *w) { (void)obj; clock_save(&m->clock, w); }
static void clock_part_load(struct machine *m, void *obj, struct sv_reader *r, unsigned v) { (void)obj; clock_load(&m->clock, r, v); }

/* A device section: X_save/X_load/X_post_load on the object given. */
#define SV_DEVICE(x, type)                                                                                     \
    static void x##_part_save(struct machine *m, void *obj, struct sv_writer *w) { (void)m; x##_save(obj, w); } \
    static void x##_part_load(struct machine *m, void *obj, struct sv_reader *r, unsigned v)                  \
    {                                                                                                          \
        (void)m;                                                                                               \
        x##_load((type *)obj, r, v);                                                                           \
    }
#define SV_POST(x, type)                                                 \
    static void x##_part_post(struct machine *m, void *obj)              \
    {                                                                    \
        (void)m;                                                         \
        x##_post_load((type *)obj);                                      \
    }

SV_DEVICE(pic, struct pic)
SV_DEVICE(pit, struct pit)
SV_DEVICE(rtc, struct rtc)
SV_DEVICE(uart, struct uart)
SV_POST(uart, struct uart)
SV_DEVICE(i8042, struct i8042)
SV_POST(i8042, struct i8042)
SV_DEVICE(port92, struct port92)
SV_POST(port92, struct port92)
SV_DEVICE(postcode, struct postcode)
SV_DEVICE(dma8237, struct dma8237)
SV_DEVICE(ioapic, struct ioapic)
SV_DEVICE(lapic, struct lapic)
SV_POST(lapic, struct lapic)
SV_DEVICE(pci, struct pci_bus)
SV_POST(pci, struct pci_bus)
SV_DEVICE(i440fx, struct i440fx)
SV_POST(i440fx, struct i440fx)
SV_DEVICE(piix, struct piix)
SV_POST(piix, struct piix)
SV_DEVICE(fw_cfg, struct fw_cfg)
SV_DEVICE(ide, struct ide)
SV_POST(ide, struct ide)
SV_DEVICE(fdc, struct fdc)
SV_DEVICE(vga, struct vga)
SV_POST(vga, struct vga)

/* Bytes the host sent a serial port that its UART has not taken yet. */
static void serial_in_save(struct machine *m, void *obj, struct sv_writer *w)
{
    (void)m;
    chardev_save_input(obj, w);
}
static void serial_in_load(struct machine *m, void *obj, struct sv_reader *r, unsigned v)
{
    (void)m;
    chardev_load_input(obj, r, v);
}

unsigned sv_parts(struct machine *m, struct sv_part *p)
{
    unsigned n = 0;
    p[n++] = (struct sv_part){ "machine", MACHINE_SV_VERSION, machine_part_save, machine_part_load, NULL, NULL };
    p[n++] = (struct sv_part){ "clock", CLOCK_SV_VERSION, clock_part_save, clock_part_load, NULL, NULL };
    /* The CPU after the machine section: its check needs the clock's count. */
    p[n++] = (struct sv_part){ "cpu", CPU_SV_VERSION, cpu_part_save, cpu_part_load, NULL, NULL };
    p[n++] = (struct sv_part){ "ram", BUS_SV_VERSION, bus_part_save, bus_part_load, NULL, NULL };
    static const char *const serial_in[PC_SERIAL_PORTS] = { "serial0-in", "serial1-in", "serial2-in", "serial3-in" };
    for (unsigned i = 0; i < PC_SERIAL_PORTS; i++)
        p[n++] = (struct sv_part){ serial_in[i], CHARDEV_SV_VERSION, serial_in_save, serial_in_load, NULL,
                                   &m->pc.serial_cd[i] };
    struct pc *pc = &m->pc;
    p[n++] = (struct sv_part){ "pic", PIC_SV_VERSION, pic_part_save, pic_part_load, NULL, &pc->pic };
    p[n++] = (struct sv_part){ "pit", PIT_SV_VERSION, pit_part_save, pit_part_load, NULL, &pc->pit };
    p[n++] = (struct sv_part){ "rtc", RTC_SV_VERSION, rtc_part_save, rtc_part_load, NULL, &pc->rtc };
    static const char *const uart_name[PC_SERIAL_PORTS] = { "uart0", "uart1", "uart2", "uart3" };
    for (unsigned i = 0; i < PC_SERIAL_PORTS; i++)
        p[n++] = (struct sv_part){ uart_name[i], UART_SV_VERSION, uart_part_save, uart_part_load, uart_part_post,
                                   &pc->uart[i] };
    p[n++] = (struct sv_part){ "i8042", I8042_SV_VERSION, i8042_part_save, i8042_part_load, i8042_part_post,
                               &pc->kbc };
    p[n++] = (struct sv_part){ "port92", PORT92_SV_VERSION, port92_part_save, port92_part_load, port92_part_post,
                               &pc->port92 };
    p[n++] = (struct sv_part){ "postcode", POSTCODE_SV_VERSION, postcode_part_save, postcode_part_load, NULL,
                               &pc->post };
    p[n++] = (struct sv_part){ "dma", DMA8237_SV_VERSION, dma8237_part_save, dma8237_part_load, NULL, &pc->dma };
    p[n++] = (struct sv_part){ "fw_cfg", FW_CFG_SV_VERSION, fw_cfg_part_save, fw_cfg_part_load, NULL, &pc->fw_cfg };
    p[n++] = (struct sv_part){ "ide", IDE_SV_VERSION, ide_part_save, ide_part_load, ide_part_post, &pc->ide };
    p[n++] = (struct sv_part){ "fdc", FDC_SV_VERSION, fdc_part_save, fdc_part_load, NULL, &pc->fdc };
    if (pc->has_vga)
        p[n++] = (struct sv_part){ "vga", VGA_SV_VERSION, vga_part_save, vga_part_load, vga_part_post, &pc->vga };
    if (pc->has_apic) {
        p[n++] = (struct sv_part){ "ioapic", IOAPIC_SV_VERSION, ioapic_part_save, ioapic_part_load, NULL,
                                   &pc->ioapic };
        p[n++] = (struct sv_part){ "lapic", LAPIC_SV_VERSION, lapic_part_save, lapic_part_load, lapic_part_post,
                                   &pc->lapic };
    }
    /* The PCI bus after the functions whose BARs it moves (IDE, VGA); the
     * chipset's PAM and PM mappings after the bus. */
    p[n++] = (struct sv_part){ "pci", PCI_SV_VERSION, pci_part_save, pci_part_load, pci_part_post, &pc->pci };
    p[n++] = (struct sv_part){ "i440fx", I440FX_SV_VERSION, i440fx_part_save, i440fx_part_load, i440fx_part_post,
                               &pc->host };
    p[n++] = (struct sv_part){ "piix", PIIX_SV_VERSION, piix_part_save, piix_part_load, piix_part_post, &pc->piix };
    return n;
}
