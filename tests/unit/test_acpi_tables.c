/* Unit tests for machine/acpi_tables.c: the tables are read back from guest
 * memory with a parser written here from the ACPI 1.0b specification (not
 * with the builder's code): RSDP, RSDT, FADT, FACS, MADT fields and
 * checksums, and the DSDT's AML walked term by term, including the \_S5
 * package whose SLP_TYP must be the value devices/acpi_pm.c powers off on.
 * If iasl (acpica-tools) is installed, it disassembles every table too. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "devices/acpi_pm.h"
#include "machine/acpi_tables.h"
#include "tests/unit/unit.h"

#define RAM (2u << 20)
#define RSDP_AT 0xF0000u
#define TABLES_AT 0x1F0000u

static struct bus bus;
static struct acpi_config cfg;

static void setup(void)
{
    cr_assert(eq(int, bus_init(&bus, RAM), 0));
    acpi_config_default(&cfg);
}

static void teardown(void)
{
    bus_free(&bus);
}

TestSuite(acpi_tables, .init = setup, .fini = teardown, .timeout = 30.0);

static void build(void)
{
    int n = acpi_build_tables(&bus, RSDP_AT, TABLES_AT, &cfg);
    cr_assert(gt(int, n, 0));
    cr_assert(le(int, n, ACPI_TABLES_MAX));
}

/* The RSDP as an OS finds it: on a 16-byte boundary in E0000-FFFFF. */
static uint32_t find_rsdp(void)
{
    for (uint32_t a = 0xE0000; a < 0x100000; a += 16) {
        uint8_t sig[8];
        bus_read_block(&bus, a, sig, 8);
        if (memcmp(sig, "RSD PTR ", 8) == 0)
            return a;
    }
    return 0;
}

struct table {
    uint8_t b[4096];
    uint32_t len, addr;
};

/* Reads a table with a standard header; checks signature, length and
 * checksum. */
static void load(struct table *t, uint32_t addr, const char *sig)
{
    uint8_t hdr[8];
    bus_read_block(&bus, addr, hdr, 8);
    cr_assert(eq(int, memcmp(hdr, sig, 4), 0), "%.4s at 0x%x, want %s", (char *)hdr, addr, sig);
    t->len = le32(hdr + 4);
    t->addr = addr;
    cr_assert(ge(u32, t->len, 36));
    cr_assert(le(u32, t->len, sizeof(t->b)));
    bus_read_block(&bus, addr, t->b, t->len);
    cr_assert(eq(u8, byte_sum(t->b, t->len), 0), "%s checksum", sig);
    cr_assert(eq(int, memcmp(t->b + 10, "POPEK ", 6), 0), "%s OEM ID", sig);
}

/* Every table the RSDT lists, by signature. */
static uint32_t rsdt_entry(const char *sig)
{
    uint32_t rsdp = find_rsdp();
    uint8_t r[20];
    bus_read_block(&bus, rsdp, r, 20);
    struct table rsdt;
    load(&rsdt, le32(r + 16), "RSDT");
    for (uint32_t off = 36; off + 4 <= rsdt.len; off += 4) {
        uint32_t a = le32(rsdt.b + off);
        uint8_t s[4];
        bus_read_block(&bus, a, s, 4);
        if (memcmp(s, sig, 4) == 0)
            return a;
    }
    return 0;
}

Test(acpi_tables, rsdp_points_at_a_valid_rsdt)
{
    build();
    uint32_t rsdp = find_rsdp();
    cr_assert(eq(u32, rsdp, RSDP_AT));
    uint8_t r[20];
    bus_read_block(&bus, rsdp, r, 20);
    cr_assert(eq(u8, byte_sum(r, 20), 0), "RSDP checksum over 20 bytes");
    cr_assert(eq(u8, r[15], 0), "revision 0: ACPI 1.0, RSDT only");
    cr_assert(eq(int, memcmp(r + 9, "POPEK ", 6), 0));
    struct table rsdt;
    load(&rsdt, le32(r + 16), "RSDT");
    cr_assert(eq(u32, rsdt.len, 36 + 8), "two entries: FACP and APIC");
    cr_assert(eq(u8, rsdt.b[8], 1));
    cr_assert(not(eq(u32, rsdt_entry("FACP"), 0)));
    cr_assert(not(eq(u32, rsdt_entry("APIC"), 0)));
}

Test(acpi_tables, fadt_describes_the_pm_block)
{
    build();
    struct table f;
    load(&f, rsdt_entry("FACP"), "FACP");
    cr_assert(eq(u32, f.len, 116), "ACPI 1.0 FADT");
    cr_assert(eq(u8, f.b[8], 1), "revision 1");
    cr_assert(eq(u16, le16(f.b + 46), 9), "SCI_INT");
    cr_assert(eq(u32, le32(f.b + 48), 0), "SMI_CMD: always in ACPI mode");
    cr_assert(eq(u32, le32(f.b + 56), 0x600), "PM1a_EVT_BLK");
    cr_assert(eq(u32, le32(f.b + 60), 0), "PM1b_EVT_BLK");
    cr_assert(eq(u32, le32(f.b + 64), 0x604), "PM1a_CNT_BLK");
    cr_assert(eq(u32, le32(f.b + 68), 0), "PM1b_CNT_BLK");
    cr_assert(eq(u32, le32(f.b + 72), 0), "PM2_CNT_BLK");
    cr_assert(eq(u32, le32(f.b + 76), 0x608), "PM_TMR_BLK");
    cr_assert(eq(u32, le32(f.b + 80), 0x60C), "GPE0_BLK");
    cr_assert(eq(u32, le32(f.b + 84), 0), "GPE1_BLK");
    cr_assert(eq(u8, f.b[88], 4), "PM1_EVT_LEN");
    cr_assert(eq(u8, f.b[89], 2), "PM1_CNT_LEN");
    cr_assert(eq(u8, f.b[91], 4), "PM_TM_LEN");
    cr_assert(eq(u8, f.b[92], 4), "GPE0_BLK_LEN");
    cr_assert(gt(u16, le16(f.b + 96), 100), "no C2");
    cr_assert(gt(u16, le16(f.b + 98), 1000), "no C3");
    cr_assert(eq(u8, f.b[108], 0x32), "CENTURY");
    uint32_t flags = le32(f.b + 112);
    cr_assert(eq(u32, flags & (1u << 8), 0), "24-bit timer");
    cr_assert(eq(u32, flags & (1u << 4), 0), "fixed-feature power button");
    cr_assert(eq(u32, flags & 0x25, 0x25), "WBINVD, PROC_C1, SLP_BUTTON");

    uint32_t facs_addr = le32(f.b + 36);
    cr_assert(eq(u32, facs_addr & 63, 0), "FACS is 64-byte aligned");
    uint8_t facs[64];
    bus_read_block(&bus, facs_addr, facs, 64);
    cr_assert(eq(int, memcmp(facs, "FACS", 4), 0));
    cr_assert(eq(u32, le32(facs + 4), 64));

    cfg.timer_32bit = true;
    cfg.pm_base = 0xB000;
    build();
    load(&f, rsdt_entry("FACP"), "FACP");
    cr_assert(eq(u32, le32(f.b + 112) & (1u << 8), 1u << 8), "TMR_VAL_EXT");
    cr_assert(eq(u32, le32(f.b + 76), 0xB008));
}

/* ---- an AML reader (ACPI 1.0b chapter 16) ------------------------------ */

struct aml_found {
    bool s5;
    uint32_t s5_elems[8];
    unsigned s5_count;
    uint32_t pci0_hid, pci0_uid;
    bool pci0_has_adr;
    bool pci0;
    unsigned procs;
    uint8_t proc_ids[32];
    unsigned pic_args;
    bool pic;
    /* Devices under PCI0 with a _HID (EISA ID) and a _CRS buffer. */
    unsigned ndevs;
    struct {
        char name[5];
        uint32_t hid;
        uint8_t crs[64];
        uint32_t crs_len;
    } devs[16];
};

static void count_power_off(void *opaque)
{
    (*(unsigned *)opaque)++;
}

static uint32_t pkg_length(const uint8_t *b, uint32_t *pos, uint32_t end)
{
    cr_assert(lt(u32, *pos, end));
    uint8_t lead = b[*pos];
    unsigned follow = lead >> 6;
    uint32_t len = follow ? (lead & 0x0F) : (lead & 0x3F);
    cr_assert(le(u32, *pos + 1 + follow, end));
    for (unsigned i = 0; i < follow; i++)
        len |= (uint32_t)b[*pos + 1 + i] << (4 + 8 * i);
    if (follow)
        cr_assert(eq(u8, lead & 0x30, 0), "reserved PkgLength bits");
    return len;
}

/* A NameString; returns its last NameSeg in seg. */
static void name_string(const uint8_t *b, uint32_t *pos, uint32_t end, char seg[5])
{
    uint32_t p = *pos;
    if (b[p] == '\\')
        p++;
    while (b[p] == '^')
        p++;
    unsigned segs = 1;
    if (b[p] == 0x2E) {
        segs = 2;
        p++;
    } else if (b[p] == 0x2F) {
        segs = b[p + 1];
        p += 2;
    } else if (b[p] == 0x00) {
        *pos = p + 1;
        seg[0] = 0;
        return;
    }
    cr_assert(le(u32, p + 4 * segs, end));
    for (unsigned i = 0; i < segs; i++) {
        for (int k = 0; k < 4; k++) {
            char c = (char)b[p + 4 * i + k];
            bool ok = (c >= 'A' && c <= 'Z') || c == '_' || (k > 0 && c >= '0' && c <= '9');
            cr_assert(ok,
                      "bad NameSeg character 0x%02x", (unsigned char)c);
        }
    }
    memcpy(seg, b + p + 4 * (segs - 1), 4);
    seg[4] = 0;
    *pos = p + 4 * segs;
}

static uint32_t integer(const uint8_t *b, uint32_t *pos, uint32_t end)
{
    uint8_t op = b[(*pos)++];
    uint32_t v = 0;
    unsigned n = 0;
    switch (op) {
    case 0x00: return 0;
    case 0x01: return 1;
    case 0xFF: return 0xFFFFFFFF;
    case 0x0A: n = 1; break;
    case 0x0B: n = 2; break;
    case 0x0C: n = 4; break;
    default: cr_assert(eq(int, 0, 1), "not an integer: opcode 0x%02x", op); return 0;
    }
    cr_assert(le(u32, *pos + n, end));
    for (unsigned i = 0; i < n; i++)
        v |= (uint32_t)b[*pos + i] << (8 * i);
    *pos += n;
    return v;
}

static void walk(const uint8_t *b, uint32_t pos, uint32_t end, const char *scope,
                 struct aml_found *f)
{
    while (pos < end) {
        uint8_t op = b[pos++];
        char seg[5];
        if (op == 0x08) { /* NameOp NameString DataRefObject */
            name_string(b, &pos, end, seg);
            if (b[pos] == 0x12) { /* PackageOp PkgLength NumElements elements */
                pos++;
                uint32_t start = pos, len = pkg_length(b, &pos, end);
                uint32_t pend = start + len;
                cr_assert(le(u32, pend, end));
                pos += (b[pos] >> 6) + 1;
                unsigned count = b[pos++];
                uint32_t elems[8];
                unsigned i = 0;
                while (pos < pend && i < 8)
                    elems[i++] = integer(b, &pos, pend);
                cr_assert(eq(u32, pos, pend), "package ends at its PkgLength");
                cr_assert(eq(uint, i, count), "NumElements");
                if (strcmp(seg, "_S5_") == 0 && strcmp(scope, "\\") == 0) {
                    f->s5 = true;
                    f->s5_count = count;
                    memcpy(f->s5_elems, elems, sizeof(elems));
                }
            } else if (b[pos] == 0x11) { /* BufferOp PkgLength BufferSize bytes */
                pos++;
                uint32_t start = pos, len = pkg_length(b, &pos, end);
                uint32_t pend = start + len;
                cr_assert(le(u32, pend, end));
                pos += (b[pos] >> 6) + 1;
                uint32_t size = integer(b, &pos, pend);
                cr_assert(eq(u32, pos + size, pend), "buffer bytes fill the package");
                if (strcmp(seg, "_CRS") == 0 && f->ndevs > 0 &&
                    strcmp(f->devs[f->ndevs - 1].name, scope) == 0 && size <= 64) {
                    memcpy(f->devs[f->ndevs - 1].crs, b + pos, size);
                    f->devs[f->ndevs - 1].crs_len = size;
                }
                pos = pend;
            } else {
                uint32_t v = integer(b, &pos, end);
                if (strcmp(seg, "_HID") == 0 && f->ndevs > 0 && strcmp(f->devs[f->ndevs - 1].name, scope) == 0)
                    f->devs[f->ndevs - 1].hid = v;
                if (strcmp(scope, "PCI0") == 0) {
                    if (strcmp(seg, "_HID") == 0)
                        f->pci0_hid = v;
                    if (strcmp(seg, "_ADR") == 0)
                        f->pci0_has_adr = true;
                    if (strcmp(seg, "_UID") == 0)
                        f->pci0_uid = v;
                }
            }
        } else if (op == 0x10 || op == 0x14 || (op == 0x5B && (b[pos] == 0x82 || b[pos] == 0x83))) {
            uint8_t ext = op == 0x5B ? b[pos++] : 0;
            uint32_t start = pos, len = pkg_length(b, &pos, end);
            uint32_t pend = start + len;
            cr_assert(le(u32, pend, end), "package runs past its parent");
            pos += (b[pos] >> 6) + 1;
            name_string(b, &pos, pend, seg);
            if (op == 0x10) {          /* Scope: walk its terms */
                walk(b, pos, pend, seg, f);
            } else if (op == 0x14) {   /* Method: flags, then code we skip */
                if (strcmp(seg, "_PIC") == 0) {
                    f->pic = true;
                    f->pic_args = b[pos] & 7;
                }
            } else if (ext == 0x82) {  /* Device */
                if (strcmp(seg, "PCI0") == 0 && strcmp(scope, "_SB_") == 0)
                    f->pci0 = true;
                if (strcmp(scope, "PCI0") == 0 && f->ndevs < 16)
                    memcpy(f->devs[f->ndevs++].name, seg, 5);
                walk(b, pos, pend, seg, f);
            } else {                   /* Processor: ProcID PblkAddr PblkLen */
                cr_assert(eq(u32, pend - pos, 6));
                cr_assert(eq(str, (char *)scope, "_PR_"));
                if (f->procs < 32)
                    f->proc_ids[f->procs] = b[pos];
                f->procs++;
            }
            pos = pend;
        } else {
            cr_assert(eq(int, 0, 1), "unexpected top-level opcode 0x%02x at %u", op, pos - 1);
        }
    }
    cr_assert(eq(u32, pos, end));
}

static void load_dsdt(struct table *d)
{
    struct table f;
    load(&f, rsdt_entry("FACP"), "FACP");
    load(d, le32(f.b + 40), "DSDT");
    cr_assert(eq(u8, d->b[8], 1), "revision 1: 32-bit integers");
}

/* The legacy devices firmware and OSes look up by _HID (SeaBIOS skips its
 * PS/2 keyboard set-up when the DSDT has no PNP0303), with the PC's fixed
 * ports and IRQs as ACPI 6.4.2 small resource descriptors. */
Test(acpi_tables, dsdt_lists_the_isa_devices_with_their_resources)
{
    build();
    struct table d;
    load_dsdt(&d);
    struct aml_found f = { 0 };
    walk(d.b, 36, d.len, "\\", &f);
    static const struct {
        const char *hid_text;
        uint32_t hid; /* EISAID as the compressed dword, worked by hand */
        uint8_t crs[24];
        unsigned len;
    } want[] = {
        /* IO(Decode16, 0x60, 0x60, 1, 1) IO(Decode16, 0x64, ...) IRQNoFlags(){1} EndTag */
        { "PNP0303", 0x0303D041u,
          { 0x47, 1, 0x60, 0, 0x60, 0, 1, 1, 0x47, 1, 0x64, 0, 0x64, 0, 1, 1, 0x22, 0x02, 0x00, 0x79, 0 }, 21 },
        { "PNP0F13", 0x130FD041u, { 0x22, 0x00, 0x10, 0x79, 0 }, 5 },
        { "PNP0501", 0x0105D041u, { 0x47, 1, 0xF8, 3, 0xF8, 3, 1, 8, 0x22, 0x10, 0x00, 0x79, 0 }, 13 },
        { "PNP0501", 0x0105D041u, { 0x47, 1, 0xF8, 2, 0xF8, 2, 1, 8, 0x22, 0x08, 0x00, 0x79, 0 }, 13 },
        { "PNP0B00", 0x000BD041u, { 0x47, 1, 0x70, 0, 0x70, 0, 1, 2, 0x22, 0x00, 0x01, 0x79, 0 }, 13 },
    };
    cr_assert(eq(uint, f.ndevs, 5));
    for (unsigned i = 0; i < 5; i++) {
        cr_assert(eq(u32, f.devs[i].hid, want[i].hid), "%s: _HID %s", f.devs[i].name, want[i].hid_text);
        cr_assert(eq(u32, f.devs[i].crs_len, want[i].len), "%s: _CRS length", f.devs[i].name);
        cr_assert(eq(int, memcmp(f.devs[i].crs, want[i].crs, want[i].len), 0), "%s: _CRS bytes", f.devs[i].name);
    }
}

Test(acpi_tables, dsdt_s5_matches_what_acpi_pm_powers_off_on)
{
    build();
    struct table d;
    load_dsdt(&d);
    struct aml_found f = { 0 };
    walk(d.b, 36, d.len, "\\", &f);
    cr_assert(f.s5, "\\_S5 exists");
    cr_assert(eq(uint, f.s5_count, 4));
    cr_assert(eq(u32, f.s5_elems[0], ACPI_PM_SLP_TYP_S5), "SLP_TYPa");
    cr_assert(eq(u32, f.s5_elems[1], ACPI_PM_SLP_TYP_S5), "SLP_TYPb");

    /* And the PM block really powers off on that value, at the address the
     * FADT gives, written as an OS writes PM1a_CNT. */
    struct table fadt;
    load(&fadt, rsdt_entry("FACP"), "FACP");
    struct vclock clk;
    clock_init(&clk, 100);
    struct acpi_pm pm;
    unsigned offs = 0;
    cr_assert(eq(int, acpi_pm_init(&pm, &bus, &clk, NULL, count_power_off, &offs, true, false),
                 0));
    acpi_pm_map(&pm, cfg.pm_base, true);
    uint16_t cnt_port = (uint16_t)le32(fadt.b + 64);
    uint16_t cnt = (uint16_t)bus_in(&bus, cnt_port, 2);
    cnt = (uint16_t)((cnt & ~0x1C00) | f.s5_elems[0] << 10);
    bus_out(&bus, cnt_port, cnt, 2);
    cr_assert(eq(uint, offs, 0));
    bus_out(&bus, cnt_port, cnt | 0x2000, 2); /* SLP_EN */
    cr_assert(eq(uint, offs, 1));
}

Test(acpi_tables, dsdt_has_pic_method_processors_and_the_pci_root)
{
    cfg.ncpus = 4;
    cfg.ioapic_id = 4;
    build();
    struct table d;
    load_dsdt(&d);
    struct aml_found f = { 0 };
    walk(d.b, 36, d.len, "\\", &f);
    cr_assert(f.pic);
    cr_assert(eq(uint, f.pic_args, 1));
    cr_assert(eq(uint, f.procs, 4));
    for (unsigned i = 0; i < 4; i++)
        cr_assert(eq(u8, f.proc_ids[i], i));
    cr_assert(f.pci0, "\\_SB.PCI0");
    cr_assert(eq(u32, f.pci0_hid, 0x030AD041), "EISAID(\"PNP0A03\")");
    cr_assert(not(f.pci0_has_adr), "_HID and _ADR are exclusive");
    cr_assert(eq(u32, f.pci0_uid, 0));
}

Test(acpi_tables, dsdt_with_many_processors_uses_long_pkglengths)
{
    cfg.ncpus = ACPI_MAX_CPUS;
    cfg.ioapic_id = ACPI_MAX_CPUS;
    build();
    struct table d;
    load_dsdt(&d);
    struct aml_found f = { 0 };
    walk(d.b, 36, d.len, "\\", &f);
    cr_assert(eq(uint, f.procs, ACPI_MAX_CPUS));
    cr_assert(f.s5 && f.pci0);
}

struct madt_seen {
    unsigned lapics, ioapics, isos, nmis;
    uint8_t lapic_id[32], proc_id[32];
    uint32_t lapic_flags[32];
    uint8_t ioapic_id;
    uint32_t ioapic_addr, ioapic_gsi;
    uint8_t iso_irq[8];
    uint32_t iso_gsi[8];
    uint16_t iso_flags[8];
    uint8_t nmi_proc, nmi_lint;
    uint16_t nmi_flags;
};

static void parse_madt(struct madt_seen *m, uint32_t *lapic_addr, uint32_t *flags)
{
    struct table t;
    load(&t, rsdt_entry("APIC"), "APIC");
    cr_assert(eq(u8, t.b[8], 1), "revision 1");
    *lapic_addr = le32(t.b + 36);
    *flags = le32(t.b + 40);
    memset(m, 0, sizeof(*m));
    uint32_t off = 44;
    while (off < t.len) {
        cr_assert(le(u32, off + 2, t.len));
        const uint8_t *e = t.b + off;
        cr_assert(ge(u8, e[1], 2));
        cr_assert(le(u32, off + e[1], t.len), "entry runs past the table");
        switch (e[0]) {
        case 0:
            cr_assert(eq(u8, e[1], 8));
            m->proc_id[m->lapics] = e[2];
            m->lapic_id[m->lapics] = e[3];
            m->lapic_flags[m->lapics++] = le32(e + 4);
            break;
        case 1:
            cr_assert(eq(u8, e[1], 12));
            m->ioapics++;
            m->ioapic_id = e[2];
            m->ioapic_addr = le32(e + 4);
            m->ioapic_gsi = le32(e + 8);
            break;
        case 2:
            cr_assert(eq(u8, e[1], 10));
            cr_assert(eq(u8, e[2], 0), "bus ISA");
            m->iso_irq[m->isos] = e[3];
            m->iso_gsi[m->isos] = le32(e + 4);
            m->iso_flags[m->isos++] = le16(e + 8);
            break;
        case 4:
            cr_assert(eq(u8, e[1], 6));
            m->nmis++;
            m->nmi_proc = e[2];
            m->nmi_flags = le16(e + 3);
            m->nmi_lint = e[5];
            break;
        default:
            cr_assert(eq(int, 0, 1), "unexpected MADT entry type %u", e[0]);
        }
        off += e[1];
    }
    cr_assert(eq(u32, off, t.len));
}

Test(acpi_tables, madt_lists_the_apics_and_overrides)
{
    build();
    struct madt_seen m;
    uint32_t lapic, flags;
    parse_madt(&m, &lapic, &flags);
    cr_assert(eq(u32, lapic, 0xFEE00000));
    cr_assert(eq(u32, flags, 1), "PCAT_COMPAT");
    cr_assert(eq(uint, m.lapics, 1));
    cr_assert(eq(u8, m.lapic_id[0], 0));
    cr_assert(eq(u8, m.proc_id[0], 0));
    cr_assert(eq(u32, m.lapic_flags[0], 1), "enabled");
    cr_assert(eq(uint, m.ioapics, 1));
    cr_assert(eq(u8, m.ioapic_id, 1));
    cr_assert(eq(u32, m.ioapic_addr, 0xFEC00000));
    cr_assert(eq(u32, m.ioapic_gsi, 0));
    cr_assert(eq(uint, m.isos, 2));
    cr_assert(eq(u8, m.iso_irq[0], 0));
    cr_assert(eq(u32, m.iso_gsi[0], 2), "IRQ0 -> GSI2");
    cr_assert(eq(u16, m.iso_flags[0], 0));
    cr_assert(eq(u8, m.iso_irq[1], 9));
    cr_assert(eq(u32, m.iso_gsi[1], 9));
    cr_assert(eq(u16, m.iso_flags[1] & 3, 1), "SCI active high");
    cr_assert(eq(u16, (m.iso_flags[1] >> 2) & 3, 3), "SCI level triggered");
    cr_assert(eq(uint, m.nmis, 1));
    cr_assert(eq(u8, m.nmi_proc, 0xFF));
    cr_assert(eq(u8, m.nmi_lint, 1));
}

Test(acpi_tables, madt_with_several_cpus)
{
    cfg.ncpus = 3;
    cfg.ioapic_id = 8;
    build();
    struct madt_seen m;
    uint32_t lapic, flags;
    parse_madt(&m, &lapic, &flags);
    cr_assert(eq(uint, m.lapics, 3));
    for (unsigned i = 0; i < 3; i++) {
        cr_assert(eq(u8, m.lapic_id[i], i));
        cr_assert(eq(u8, m.proc_id[i], i));
    }
    cr_assert(eq(u8, m.ioapic_id, 8));
}

Test(acpi_tables, bad_configurations_are_refused)
{
    cfg.ioapic_id = 0; /* the BSP's APIC ID */
    cr_assert(eq(int, acpi_build_tables(&bus, RSDP_AT, TABLES_AT, &cfg), -EINVAL));
    acpi_config_default(&cfg);
    cfg.ncpus = 0;
    cr_assert(eq(int, acpi_build_tables(&bus, RSDP_AT, TABLES_AT, &cfg), -EINVAL));
    cfg.ncpus = ACPI_MAX_CPUS + 1;
    cfg.ioapic_id = 200;
    cr_assert(eq(int, acpi_build_tables(&bus, RSDP_AT, TABLES_AT, &cfg), -EINVAL));
    acpi_config_default(&cfg);
    cr_assert(eq(int, acpi_build_tables(&bus, RSDP_AT + 8, TABLES_AT, &cfg), -EINVAL));
    cr_assert(eq(int, acpi_build_tables(&bus, RSDP_AT, TABLES_AT + 16, &cfg), -EINVAL));
    cr_assert(eq(int, acpi_build_tables(&bus, RSDP_AT, 0xFFFFFFC0, &cfg), -EINVAL));
    cfg.pm_base = 0x601;
    cr_assert(eq(int, acpi_build_tables(&bus, RSDP_AT, TABLES_AT, &cfg), -EINVAL));
    cr_assert(eq(u32, find_rsdp(), 0), "nothing written");
}

Test(acpi_tables, memory_that_drops_writes_is_reported)
{
    static const uint8_t rom[4096] = { 0 };
    cr_assert(eq(int, bus_map_rom(&bus, 0xF0000, rom, sizeof(rom)), 0));
    cr_assert(eq(int, acpi_build_tables(&bus, RSDP_AT, TABLES_AT, &cfg), -EIO));
    cr_assert(eq(int, acpi_build_tables(&bus, 0xE0000, 0xF0000, &cfg), -EIO));
}

/* ---- iasl (acpica-tools), when installed -------------------------------- */

static bool have_iasl(void)
{
    return system("command -v iasl >/dev/null 2>&1") == 0;
}

static void dump(const char *dir, const char *name, uint32_t addr)
{
    uint8_t hdr[8];
    bus_read_block(&bus, addr, hdr, 8);
    uint32_t len = le32(hdr + 4);
    cr_assert(le(u32, len, 4096));
    uint8_t buf[4096];
    bus_read_block(&bus, addr, buf, len);
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    cr_assert(not(eq(ptr, f, NULL)));
    cr_assert(eq(sz, fwrite(buf, 1, len, f), len));
    fclose(f);
}

/* Runs iasl -d on dir/name; returns its exit status and what it wrote
 * (the .dsl and the messages). */
static int disassemble(const char *dir, const char *name, char *out, size_t cap)
{
    char cmd[512];
    snprintf(cmd, sizeof(cmd), "cd %s && iasl -d %s >log 2>&1", dir, name);
    int rc = system(cmd);
    char base[64];
    snprintf(base, sizeof(base), "%s", name);
    *strrchr(base, '.') = 0;
    snprintf(cmd, sizeof(cmd), "cat %s/%s.dsl %s/log 2>/dev/null", dir, base, dir);
    FILE *p = popen(cmd, "r");
    cr_assert(not(eq(ptr, p, NULL)));
    size_t n = fread(out, 1, cap - 1, p);
    out[n] = 0;
    pclose(p);
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

Test(acpi_tables, iasl_disassembles_every_table)
{
    if (!have_iasl())
        UNIT_SKIP("iasl (acpica-tools) is not installed");
    cfg.ncpus = 2;
    cfg.ioapic_id = 2;
    build();
    char dir[] = "/tmp/popek-acpi-XXXXXX";
    cr_assert(not(eq(ptr, mkdtemp(dir), NULL)));
    struct table f;
    load(&f, rsdt_entry("FACP"), "FACP");
    uint8_t r[20];
    bus_read_block(&bus, find_rsdp(), r, 20);
    dump(dir, "dsdt.aml", le32(f.b + 40));
    dump(dir, "facp.dat", rsdt_entry("FACP"));
    dump(dir, "apic.dat", rsdt_entry("APIC"));
    dump(dir, "rsdt.dat", le32(r + 16));

    static char out[65536];
    cr_assert(eq(int, disassemble(dir, "dsdt.aml", out, sizeof(out)), 0), "%s", out);
    cr_assert(not(eq(ptr, strstr(out, "Name (_S5, Package (0x04)"), NULL)), "%s", out);
    cr_assert(not(eq(ptr, strstr(out, "EisaId (\"PNP0A03\")"), NULL)), "%s", out);
    cr_assert(not(eq(ptr, strstr(out, "Processor (CP01, 0x01"), NULL)), "%s", out);
    cr_assert(not(eq(ptr, strstr(out, "Method (_PIC, 1"), NULL)), "%s", out);
    cr_assert(eq(ptr, strstr(out, "Incorrect checksum"), NULL), "%s", out);

    static const char *data[] = { "facp.dat", "apic.dat", "rsdt.dat" };
    for (unsigned i = 0; i < 3; i++) {
        cr_assert(eq(int, disassemble(dir, data[i], out, sizeof(out)), 0), "%s", out);
        cr_assert(eq(ptr, strstr(out, "Incorrect checksum"), NULL), "%s: %s", data[i], out);
        cr_assert(eq(ptr, strstr(out, "**** "), NULL), "%s: %s", data[i], out);
    }
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert(eq(int, system(cmd), 0));
}
