/* ACPI 1.0b table builder (see acpi_tables.h).  Section numbers are those
 * of the ACPI Specification 1.0b. */
#include "machine/acpi_tables.h"
#include "machine/fwtable.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/acpi_pm.h"
#include "mem/bus.h"

#define HDR_LEN 36
#define OEM_ID "POPEK "
#define OEM_TABLE_ID "POPEKPC "
#define CREATOR_ID "POPK"

/* Sizes of the fixed-layout tables. */
#define FACS_LEN 64
#define FADT_LEN 116

void acpi_config_default(struct acpi_config *cfg)
{
    memset(cfg, 0, sizeof(*cfg));
    cfg->pm_base = ACPI_PM_DEFAULT_BASE;
    cfg->sci_irq = ACPI_PM_SCI_IRQ;
    cfg->rtc_century = 0x32;
    cfg->ncpus = 1;
    cfg->lapic_addr = 0xFEE00000u;
    cfg->ioapic_addr = 0xFEC00000u;
    cfg->ioapic_id = 1;
    cfg->pci_mem_base = 0x80000000u;
}


/* The common header (5.2.5); the checksum is filled by finish(). */
static void header(uint8_t *t, const char *sig, uint32_t len, uint8_t rev)
{
    memcpy(t, sig, 4);
    put32(t + 4, len);
    t[8] = rev;
    t[9] = 0;
    memcpy(t + 10, OEM_ID, 6);
    memcpy(t + 16, OEM_TABLE_ID, 8);
    put32(t + 24, 1);            /* OEM revision */
    memcpy(t + 28, CREATOR_ID, 4);
    put32(t + 32, 1);            /* creator revision */
}

static void finish(uint8_t *t, uint32_t len)
{
    t[9] = checksum(t, len);
}

/* ---- AML (chapter 16) ------------------------------------------------ */

struct aml {
    uint8_t *b;
    size_t len, cap;
    bool overflow;
};

static void aml_byte(struct aml *a, uint8_t v)
{
    if (a->len < a->cap)
        a->b[a->len++] = v;
    else
        a->overflow = true;
}

/* A NameSeg: four characters, given in full ("_S5_"). */
static void aml_nameseg(struct aml *a, const char *seg)
{
    for (int i = 0; i < 4; i++)
        aml_byte(a, (uint8_t)seg[i]);
}

/* The shortest encoding of an integer constant (16.2.3). */
static void aml_int(struct aml *a, uint32_t v)
{
    if (v == 0) {
        aml_byte(a, 0x00); /* ZeroOp */
    } else if (v == 1) {
        aml_byte(a, 0x01); /* OneOp */
    } else if (v <= 0xFF) {
        aml_byte(a, 0x0A); /* BytePrefix */
        aml_byte(a, (uint8_t)v);
    } else if (v <= 0xFFFF) {
        aml_byte(a, 0x0B); /* WordPrefix */
        aml_byte(a, (uint8_t)v);
        aml_byte(a, (uint8_t)(v >> 8));
    } else {
        aml_byte(a, 0x0C); /* DWordPrefix */
        for (int i = 0; i < 4; i++)
            aml_byte(a, (uint8_t)(v >> (8 * i)));
    }
}

/* A package body starts here; aml_close() puts its PkgLength in front. */
static size_t aml_open(const struct aml *a)
{
    return a->len;
}

/* PkgLength (16.2.4): the length counts its own bytes.  One byte holds up
 * to 63; otherwise the lead byte's bits 7:6 give the number of following
 * bytes, its bits 3:0 the low nibble, and each following byte 8 more bits. */
static void aml_close(struct aml *a, size_t start)
{
    if (a->overflow)
        return;
    size_t body = a->len - start, total = 0;
    unsigned n;
    for (n = 1; n <= 4; n++) {
        total = body + n;
        if (n == 1 ? total < 0x40 : total < (size_t)1 << (4 + 8 * (n - 1)))
            break;
    }
    if (n > 4 || a->len + n > a->cap) {
        a->overflow = true;
        return;
    }
    uint8_t enc[4];
    if (n == 1) {
        enc[0] = (uint8_t)total;
    } else {
        enc[0] = (uint8_t)(((n - 1) << 6) | (total & 0x0F));
        for (unsigned i = 1; i < n; i++)
            enc[i] = (uint8_t)(total >> (4 + 8 * (i - 1)));
    }
    memmove(a->b + start + n, a->b + start, body);
    memcpy(a->b + start, enc, n);
    a->len += n;
}

/* EISAID("PNP0A03") as the 32-bit value it compresses to (16.2.3 note:
 * three letters of 5 bits, four hex digits, stored big-endian). */
static uint32_t eisa_id(const char *id)
{
    uint8_t b0 = (uint8_t)(((id[0] - 0x40) << 2) | ((id[1] - 0x40) >> 3));
    uint8_t b1 = (uint8_t)((((id[1] - 0x40) & 7) << 5) | (id[2] - 0x40));
    unsigned d[4];
    for (int i = 0; i < 4; i++) {
        char c = id[3 + i];
        d[i] = (unsigned)(c <= '9' ? c - '0' : c - 'A' + 10);
    }
    uint8_t b2 = (uint8_t)(d[0] << 4 | d[1]), b3 = (uint8_t)(d[2] << 4 | d[3]);
    return b0 | (uint32_t)b1 << 8 | (uint32_t)b2 << 16 | (uint32_t)b3 << 24;
}

/* Name(seg, integer) */
static void aml_name_int(struct aml *a, const char *seg, uint32_t v)
{
    aml_byte(a, 0x08); /* NameOp */
    aml_nameseg(a, seg);
    aml_int(a, v);
}

/* Name(seg, Buffer () { bytes }): a resource template, for one. */
static void aml_name_buffer(struct aml *a, const char *seg, const uint8_t *bytes, unsigned n)
{
    aml_byte(a, 0x08); /* NameOp */
    aml_nameseg(a, seg);
    aml_byte(a, 0x11); /* BufferOp */
    size_t buf = aml_open(a);
    aml_int(a, n);
    for (unsigned i = 0; i < n; i++)
        aml_byte(a, bytes[i]);
    aml_close(a, buf);
}

static void aml_name_eisa(struct aml *a, const char *seg, const char *id)
{
    aml_byte(a, 0x08); /* NameOp */
    aml_nameseg(a, seg);
    aml_byte(a, 0x0C); /* DWordPrefix: an EISA ID is always a dword */
    uint32_t v = eisa_id(id);
    for (int k = 0; k < 4; k++)
        aml_byte(a, (uint8_t)(v >> (8 * k)));
}

/* A legacy ISA device under PCI0 with its fixed resources (6.4.2):
 * Device (name) { _HID, [_UID,] Name (_CRS, ResourceTemplate () {
 * IO (Decode16, port, port, 1, len)... IRQNoFlags () {irq} }) }.
 * Firmware and OSes find the PC's 8042, UARTs and RTC this way (SeaBIOS
 * skips the PS/2 keyboard when a DSDT lacks PNP0303). */
struct isa_io {
    uint16_t port, len;
};

static void aml_isa_device(struct aml *a, const char *name, const char *hid, int uid,
                           const struct isa_io *io, unsigned nio, int irq)
{
    aml_byte(a, 0x5B); /* ExtOpPrefix */
    aml_byte(a, 0x82); /* DeviceOp */
    size_t dev = aml_open(a);
    aml_nameseg(a, name);
    aml_name_eisa(a, "_HID", hid);
    if (uid >= 0)
        aml_name_int(a, "_UID", (uint32_t)uid);
    uint8_t res[64];
    unsigned n = 0;
    for (unsigned i = 0; i < nio && n + 8 <= sizeof(res) - 5; i++) {
        res[n++] = 0x47; /* I/O port descriptor, 7 bytes */
        res[n++] = 0x01; /* decodes 16 address lines */
        res[n++] = (uint8_t)io[i].port;
        res[n++] = (uint8_t)(io[i].port >> 8);
        res[n++] = (uint8_t)io[i].port;
        res[n++] = (uint8_t)(io[i].port >> 8);
        res[n++] = 1;    /* alignment */
        res[n++] = (uint8_t)io[i].len;
    }
    if (irq >= 0) {
        res[n++] = 0x22; /* IRQ descriptor, 2 bytes: edge, active high */
        res[n++] = (uint8_t)(1u << irq);
        res[n++] = (uint8_t)((1u << irq) >> 8);
    }
    res[n++] = 0x79; /* end tag */
    res[n++] = 0x00; /* checksum 0: treat as correct */
    aml_name_buffer(a, "_CRS", res, n);
    aml_close(a, dev);
}

static unsigned res_word(uint8_t *r, uint8_t type, uint8_t tflags, uint16_t min, uint16_t max)
{
    /* Word Address Space Descriptor (6.4.3.5.3): 3 + 13 bytes. */
    uint8_t *p = r;
    *p++ = 0x88;
    *p++ = 13;
    *p++ = 0;
    *p++ = type;   /* 1 I/O, 2 bus numbers */
    *p++ = 0x0C;   /* minimum and maximum fixed, positive decode, producer */
    *p++ = tflags;
    uint16_t v[5] = { 0, min, max, 0, (uint16_t)(max - min + 1) }; /* granularity, min, max, offset, length */
    for (int i = 0; i < 5; i++) {
        *p++ = (uint8_t)v[i];
        *p++ = (uint8_t)(v[i] >> 8);
    }
    return (unsigned)(p - r);
}

static unsigned res_dword_mem(uint8_t *r, uint32_t min, uint32_t max)
{
    /* DWord Address Space Descriptor (6.4.3.5.2), memory, cacheable and
     * read-write: 3 + 23 bytes. */
    uint8_t *p = r;
    *p++ = 0x87;
    *p++ = 23;
    *p++ = 0;
    *p++ = 0;      /* memory */
    *p++ = 0x0C;
    *p++ = 0x03;
    uint32_t v[5] = { 0, min, max, 0, max - min + 1 };
    for (int i = 0; i < 5; i++) {
        put32(p, v[i]);
        p += 4;
    }
    return (unsigned)(p - r);
}

/* PCI0's _CRS: what the root bridge decodes, so that an OS assigning BARs
 * itself (a kernel booted directly) finds room and accepts the legacy IDE
 * ports: bus numbers 0-255, the configuration ports, I/O below and above
 * them, the VGA window and the PCI hole below the I/O APIC. */
static void aml_pci0_crs(struct aml *a, const struct acpi_config *cfg)
{
    uint8_t res[128];
    unsigned n = 0;
    n += res_word(res + n, 2, 0, 0x00, 0xFF);
    static const uint8_t cf8[] = { 0x47, 0x01, 0xF8, 0x0C, 0xF8, 0x0C, 0x01, 0x08 };
    memcpy(res + n, cf8, sizeof(cf8));
    n += sizeof(cf8);
    n += res_word(res + n, 1, 0x03, 0x0000, 0x0CF7);
    n += res_word(res + n, 1, 0x03, 0x0D00, 0xFFFF);
    n += res_dword_mem(res + n, 0x000A0000u, 0x000BFFFFu);
    uint32_t base = cfg->pci_mem_base < 0xFEC00000u ? cfg->pci_mem_base : 0xFE000000u;
    n += res_dword_mem(res + n, base, 0xFEBFFFFFu);
    res[n++] = 0x79;
    res[n++] = 0x00;
    aml_name_buffer(a, "_CRS", res, n);
}

/* The DSDT's definition block body:
 *
 *   Name (\_S5, Package (4) { S5, S5, 0, 0 })    SLP_TYPa, SLP_TYPb, reserved
 *   Name (PICM, 0)
 *   Method (\_PIC, 1) { Store (Arg0, PICM) }      0 PIC, 1 APIC mode
 *   Scope (\_PR) { Processor (CPnn, nn, 0, 0) ... }  no P_BLK
 *   Scope (\_SB) {
 *     Device (PCI0) {
 *       Name (_HID, EISAID ("PNP0A03")) Name (_UID, 0)
 *       Device (KBD_) PNP0303, Device (MOU_) PNP0F13, Device (COM1) and
 *       (COM2) PNP0501, Device (RTC_) PNP0B00: see aml_isa_device()
 *     }
 *   }
 */
static void dsdt_body(struct aml *a, const struct acpi_config *cfg)
{
    aml_byte(a, 0x08); /* NameOp */
    aml_nameseg(a, "_S5_");
    aml_byte(a, 0x12); /* PackageOp */
    size_t pkg = aml_open(a);
    aml_byte(a, 4);    /* NumElements */
    aml_int(a, ACPI_PM_SLP_TYP_S5);
    aml_int(a, ACPI_PM_SLP_TYP_S5);
    aml_int(a, 0);
    aml_int(a, 0);
    aml_close(a, pkg);

    aml_name_int(a, "PICM", 0);
    aml_byte(a, 0x14); /* MethodOp */
    size_t method = aml_open(a);
    aml_nameseg(a, "_PIC");
    aml_byte(a, 0x01); /* MethodFlags: 1 argument, not serialized */
    aml_byte(a, 0x70); /* StoreOp */
    aml_byte(a, 0x68); /* Arg0Op */
    aml_nameseg(a, "PICM");
    aml_close(a, method);

    aml_byte(a, 0x10); /* ScopeOp */
    size_t pr = aml_open(a);
    aml_byte(a, '\\');
    aml_nameseg(a, "_PR_");
    for (unsigned i = 0; i < cfg->ncpus; i++) {
        static const char hex[] = "0123456789ABCDEF";
        char name[4] = { 'C', 'P', hex[(i >> 4) & 15], hex[i & 15] };
        aml_byte(a, 0x5B); /* ExtOpPrefix */
        aml_byte(a, 0x83); /* ProcessorOp */
        size_t proc = aml_open(a);
        aml_nameseg(a, name);
        aml_byte(a, (uint8_t)i); /* ProcID: the MADT's ACPI processor ID */
        for (int k = 0; k < 4; k++)
            aml_byte(a, 0);      /* PblkAddress: none */
        aml_byte(a, 0);          /* PblkLength */
        aml_close(a, proc);
    }
    aml_close(a, pr);

    aml_byte(a, 0x10); /* ScopeOp */
    size_t sb = aml_open(a);
    aml_byte(a, '\\');
    aml_nameseg(a, "_SB_");
    aml_byte(a, 0x5B); /* ExtOpPrefix */
    aml_byte(a, 0x82); /* DeviceOp */
    size_t dev = aml_open(a);
    aml_nameseg(a, "PCI0");
    aml_byte(a, 0x08); /* NameOp */
    aml_nameseg(a, "_HID");
    aml_byte(a, 0x0C); /* DWordPrefix: an EISA ID is always a dword */
    uint32_t hid = eisa_id("PNP0A03");
    for (int k = 0; k < 4; k++)
        aml_byte(a, (uint8_t)(hid >> (8 * k)));
    aml_name_int(a, "_UID", 0); /* no _ADR: a device has a _HID or an _ADR, not both */
    aml_pci0_crs(a, cfg);
    static const struct isa_io kbd[] = { { 0x60, 1 }, { 0x64, 1 } };
    static const struct isa_io com1[] = { { 0x3F8, 8 } }, com2[] = { { 0x2F8, 8 } };
    static const struct isa_io rtc[] = { { 0x70, 2 } };
    aml_isa_device(a, "KBD_", "PNP0303", -1, kbd, 2, 1);
    aml_isa_device(a, "MOU_", "PNP0F13", -1, NULL, 0, 12);
    aml_isa_device(a, "COM1", "PNP0501", 1, com1, 1, 4);
    aml_isa_device(a, "COM2", "PNP0501", 2, com2, 1, 3);
    aml_isa_device(a, "RTC_", "PNP0B00", -1, rtc, 1, 8);
    aml_close(a, dev);
    aml_close(a, sb);
}

/* ---- the tables ------------------------------------------------------- */

static uint32_t align(uint32_t v, uint32_t a)
{
    return (v + a - 1) & ~(a - 1);
}

static uint32_t build_fadt(uint8_t *t, const struct acpi_config *cfg, uint32_t facs,
                           uint32_t dsdt)
{
    header(t, "FACP", FADT_LEN, 1);
    put32(t + 36, facs);        /* FIRMWARE_CTRL */
    put32(t + 40, dsdt);        /* DSDT */
    t[44] = cfg->no_apic ? 0 : 1; /* INT_MODEL: dual PIC, or multiple APIC (the MADT) */
    put16(t + 46, cfg->sci_irq); /* SCI_INT */
    put32(t + 48, 0);           /* SMI_CMD: none, the system is always in ACPI mode */
    t[52] = t[53] = 0;          /* ACPI_ENABLE, ACPI_DISABLE */
    t[54] = 0;                  /* S4BIOS_REQ */
    put32(t + 56, cfg->pm_base + ACPI_PM1_STS); /* PM1a_EVT_BLK */
    put32(t + 64, cfg->pm_base + ACPI_PM1_CNT); /* PM1a_CNT_BLK */
    put32(t + 76, cfg->pm_base + ACPI_PM_TMR);  /* PM_TMR_BLK */
    put32(t + 80, cfg->pm_base + ACPI_GPE0_STS); /* GPE0_BLK */
    t[88] = 4;                  /* PM1_EVT_LEN */
    t[89] = 2;                  /* PM1_CNT_LEN */
    t[90] = 0;                  /* PM2_CNT_LEN: no PM2 block */
    t[91] = 4;                  /* PM_TM_LEN */
    t[92] = 4;                  /* GPE0_BLK_LEN */
    t[93] = 0;                  /* GPE1_BLK_LEN */
    put16(t + 96, 0x0FFF);      /* P_LVL2_LAT > 100: no C2 */
    put16(t + 98, 0x0FFF);      /* P_LVL3_LAT > 1000: no C3 */
    t[108] = cfg->rtc_century;  /* CENTURY */
    /* Flags: WBINVD works, C1 (HLT) works, no fixed sleep button, RTC wake
     * not in the fixed status; the power button is a fixed feature. */
    uint32_t flags = 1u << 0 | 1u << 2 | 1u << 5 | 1u << 6;
    if (cfg->timer_32bit)
        flags |= 1u << 8;       /* TMR_VAL_EXT */
    put32(t + 112, flags);
    finish(t, FADT_LEN);
    return FADT_LEN;
}

static uint32_t build_facs(uint8_t *t)
{
    memcpy(t, "FACS", 4);
    put32(t + 4, FACS_LEN);
    /* Hardware signature, waking vector, global lock, flags: all 0. */
    return FACS_LEN;
}

/* Returns the length, or 0 if cap was too small. */
static uint32_t build_dsdt(uint8_t *t, size_t cap, const struct acpi_config *cfg)
{
    if (cap < HDR_LEN)
        return 0;
    struct aml a = { t + HDR_LEN, 0, cap - HDR_LEN, false };
    dsdt_body(&a, cfg);
    if (a.overflow)
        return 0;
    uint32_t len = (uint32_t)(HDR_LEN + a.len);
    header(t, "DSDT", len, 1); /* revision 1: 32-bit integers */
    finish(t, len);
    return len;
}

/* An interrupt source override from ISA IRQ irq to GSI gsi. */
static uint32_t madt_iso(uint8_t *e, uint8_t irq, uint32_t gsi, uint16_t flags)
{
    e[0] = 2;
    e[1] = 10;
    e[2] = 0; /* bus: ISA */
    e[3] = irq;
    put32(e + 4, gsi);
    put16(e + 8, flags);
    return 10;
}

static uint32_t build_madt(uint8_t *t, const struct acpi_config *cfg)
{
    uint32_t n = 44;
    put32(t + 36, cfg->lapic_addr);
    put32(t + 40, 1);                  /* PCAT_COMPAT: there are 8259s too */
    for (unsigned i = 0; i < cfg->ncpus; i++, n += 8) {
        uint8_t *e = t + n;            /* Processor Local APIC (5.2.10.4) */
        e[0] = 0;
        e[1] = 8;
        e[2] = (uint8_t)i;             /* ACPI processor ID (the DSDT's ProcID) */
        e[3] = (uint8_t)i;             /* APIC ID */
        put32(e + 4, 1);               /* enabled */
    }
    uint8_t *e = t + n;                /* I/O APIC (5.2.10.5) */
    e[0] = 1;
    e[1] = 12;
    e[2] = cfg->ioapic_id;
    e[3] = 0;
    put32(e + 4, cfg->ioapic_addr);
    put32(e + 8, 0);                   /* global system interrupt base */
    n += 12;
    /* Interrupt source overrides (5.2.10.6): the timer's IRQ 0 is wired to
     * INTIN2 and conforms to ISA (edge, active high); the SCI is level
     * triggered (bits 3:2 = 11), active high (bits 1:0 = 01). */
    n += madt_iso(t + n, 0, 2, 0x0000);
    n += madt_iso(t + n, cfg->sci_irq, cfg->sci_irq, 0x000D);
    e = t + n;                          /* Local APIC NMI (5.2.10.8): LINT1 */
    e[0] = 4;
    e[1] = 6;
    e[2] = 0xFF;                        /* every processor */
    put16(e + 3, 0);                    /* conforms: edge, high */
    e[5] = 1;                           /* LINT1 */
    n += 6;
    header(t, "APIC", n, 1);
    finish(t, n);
    return n;
}

static void blob_ptr(struct acpi_blob *b, uint32_t at, uint32_t base, uint32_t target)
{
    put32(b->tables + at, base + target);
    b->ptrs[b->nptrs++] = at;
}

static void blob_sum(struct acpi_blob *b, uint32_t start)
{
    uint32_t len = (uint32_t)b->tables[start + 4] | (uint32_t)b->tables[start + 5] << 8 |
                   (uint32_t)b->tables[start + 6] << 16 | (uint32_t)b->tables[start + 7] << 24;
    b->sums[b->nsums].start = start;
    b->sums[b->nsums++].len = len;
    b->tables[start + 9] = 0;
    b->tables[start + 9] = checksum(b->tables + start, len);
}

int acpi_build_blob(const struct acpi_config *cfg, uint32_t base, struct acpi_blob *b)
{
    if (cfg->ncpus < 1 || cfg->ncpus > ACPI_MAX_CPUS || cfg->ioapic_id < cfg->ncpus || cfg->sci_irq > 15 ||
        (cfg->pm_base & (ACPI_PM_LEN - 1)) || cfg->pm_base == 0 || (base & 63))
        return -EINVAL;
    memset(b, 0, sizeof(*b));
    uint8_t *buf = b->tables;
    uint32_t off = 0;
    uint32_t facs = off;
    off += build_facs(buf + off);
    uint32_t dsdt = off;
    uint32_t len = build_dsdt(buf + off, sizeof(b->tables) - off - 512, cfg);
    if (len == 0)
        return -EINVAL;
    off = align(off + len, 16);
    uint32_t fadt = off;
    off = align(off + build_fadt(buf + off, cfg, 0, 0), 16);
    blob_ptr(b, fadt + 36, base, facs); /* FIRMWARE_CTRL */
    blob_ptr(b, fadt + 40, base, dsdt); /* DSDT */
    uint32_t madt = off;
    if (!cfg->no_apic)
        off = align(off + build_madt(buf + off, cfg), 16);
    uint32_t rsdt = off;
    uint8_t *t = buf + rsdt;            /* RSDT (5.2.7): the FADT and the MADT */
    uint32_t nent = cfg->no_apic ? 1 : 2;
    blob_ptr(b, rsdt + HDR_LEN, base, fadt);
    if (!cfg->no_apic)
        blob_ptr(b, rsdt + HDR_LEN + 4, base, madt);
    header(t, "RSDT", HDR_LEN + 4 * nent, 1);
    off += HDR_LEN + 4 * nent;
    /* Checksums last, over the final pointers. */
    blob_sum(b, dsdt);
    blob_sum(b, fadt);
    if (!cfg->no_apic)
        blob_sum(b, madt);
    blob_sum(b, rsdt);
    b->len = off;

    uint8_t *rsdp = b->rsdp;            /* RSDP (5.2.4), revision 0 */
    memcpy(rsdp, "RSD PTR ", 8);
    rsdp[8] = 0;
    memcpy(rsdp + 9, OEM_ID, 6);
    rsdp[15] = 0;
    put32(rsdp + 16, base + rsdt);
    rsdp[8] = checksum(rsdp, ACPI_RSDP_LEN);
    return 0;
}

int acpi_build_tables(struct bus *bus, uint32_t rsdp_addr, uint32_t tables_addr,
                      const struct acpi_config *cfg)
{
    if ((rsdp_addr & 15) || (tables_addr & 63) || (uint64_t)tables_addr + ACPI_TABLES_MAX > 0x100000000ull)
        return -EINVAL;
    struct acpi_blob *b = malloc(sizeof(*b));
    if (!b)
        return -ENOMEM;
    int rc = acpi_build_blob(cfg, tables_addr, b);
    if (rc == 0) {
        bus_write_block(bus, tables_addr, b->tables, b->len);
        bus_write_block(bus, rsdp_addr, b->rsdp, ACPI_RSDP_LEN);
        /* Make sure the memory took it: a ROM page would drop the writes. */
        uint8_t check[ACPI_TABLES_MAX];
        bus_read_block(bus, tables_addr, check, b->len);
        if (memcmp(check, b->tables, b->len) != 0)
            rc = -EIO;
        bus_read_block(bus, rsdp_addr, check, ACPI_RSDP_LEN);
        if (rc == 0 && memcmp(check, b->rsdp, ACPI_RSDP_LEN) != 0)
            rc = -EIO;
    }
    int len = (int)b->len;
    free(b);
    return rc < 0 ? rc : len;
}
