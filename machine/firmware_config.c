/* The PC's fw_cfg items (see firmware_config.h). */
#include "machine/firmware_config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "devices/fw_cfg.h"
#include "machine/acpi_tables.h"
#include "machine/fwtable.h"

#define TABLES_FILE "etc/acpi/tables"
#define RSDP_FILE "etc/acpi/rsdp"

void firmware_settings_default(struct firmware_settings *s)
{
    s->boot_menu = false;
    s->splash_ms = -1;
    s->reboot_timeout_ms = -1;
    memcpy(s->boot_order, "cad", 4);
}

static void put64(uint8_t *p, uint64_t v)
{
    put32(p, (uint32_t)v);
    put32(p + 4, (uint32_t)(v >> 32));
}

static void loader_name(uint8_t *at, const char *name)
{
    memset(at, 0, FW_CFG_NAME_LEN);
    memcpy(at, name, strlen(name));
}

static uint8_t *loader_next(uint8_t *cmds, unsigned *n, uint32_t command)
{
    uint8_t *e = cmds + FWCFG_LOADER_ENTRY * (*n)++;
    memset(e, 0, FWCFG_LOADER_ENTRY);
    put32(e, command);
    return e;
}

static void loader_alloc(uint8_t *cmds, unsigned *n, const char *file, uint32_t align, uint8_t zone)
{
    uint8_t *e = loader_next(cmds, n, FWCFG_LOADER_ALLOCATE);
    loader_name(e + 4, file);
    put32(e + 60, align);
    e[64] = zone;
}

static void loader_pointer(uint8_t *cmds, unsigned *n, const char *dest, const char *src, uint32_t offset,
                           uint8_t size)
{
    uint8_t *e = loader_next(cmds, n, FWCFG_LOADER_ADD_POINTER);
    loader_name(e + 4, dest);
    loader_name(e + 60, src);
    put32(e + 116, offset);
    e[120] = size;
}

static void loader_checksum(uint8_t *cmds, unsigned *n, const char *file, uint32_t offset, uint32_t start,
                            uint32_t len)
{
    uint8_t *e = loader_next(cmds, n, FWCFG_LOADER_ADD_CHECKSUM);
    loader_name(e + 4, file);
    put32(e + 60, offset);
    put32(e + 64, start);
    put32(e + 68, len);
}

/* The ACPI tables, built at base 0 so that every pointer is an offset the
 * firmware relocates (ADD_POINTER adds the address it chose). */
static int add_acpi(struct fw_cfg *f, const struct acpi_config *acpi)
{
    struct acpi_blob *b = malloc(sizeof(*b));
    uint8_t *cmds = calloc(4 + 2 * ACPI_BLOB_MAX, FWCFG_LOADER_ENTRY);
    int rc = -ENOMEM;
    if (!b || !cmds)
        goto out;
    if ((rc = acpi_build_blob(acpi, 0, b)) < 0)
        goto out;
    unsigned n = 0;
    /* The RSDP goes where OSes search for it, the rest high in RAM (the
     * FACS wants 64-byte alignment). */
    loader_alloc(cmds, &n, RSDP_FILE, 16, FWCFG_LOADER_ZONE_FSEG);
    loader_alloc(cmds, &n, TABLES_FILE, 64, FWCFG_LOADER_ZONE_HIGH);
    for (unsigned i = 0; i < b->nptrs; i++)
        loader_pointer(cmds, &n, TABLES_FILE, TABLES_FILE, b->ptrs[i], 4);
    loader_pointer(cmds, &n, RSDP_FILE, TABLES_FILE, 16, 4);
    for (unsigned i = 0; i < b->nsums; i++)
        loader_checksum(cmds, &n, TABLES_FILE, b->sums[i].start + 9, b->sums[i].start, b->sums[i].len);
    loader_checksum(cmds, &n, RSDP_FILE, 8, 0, ACPI_RSDP_LEN);
    if ((rc = fw_cfg_add_file(f, TABLES_FILE, b->tables, b->len, false)) == 0 &&
        (rc = fw_cfg_add_file(f, RSDP_FILE, b->rsdp, ACPI_RSDP_LEN, false)) == 0)
        rc = fw_cfg_add_file(f, "etc/table-loader", cmds, n * FWCFG_LOADER_ENTRY, false);
out:
    free(b);
    free(cmds);
    return rc;
}

int firmware_config_build(struct fw_cfg *f, uint32_t ram_size, unsigned ncpus,
                          const struct firmware_settings *s, const struct acpi_config *acpi)
{
    int rc = 0;
    /* The e820 map as QEMU gives it: all RAM from 0 (the firmware carves
     * out its own areas); entries are 8-byte base, 8-byte length, 4-byte
     * type. */
    uint8_t e820[20];
    put64(e820, 0);
    put64(e820 + 8, ram_size);
    put32(e820 + 16, 1);
    uint8_t le32[4];
    if ((rc = fw_cfg_add_u64(f, FW_CFG_RAM_SIZE, ram_size)) < 0 ||
        (rc = fw_cfg_add_u16(f, FW_CFG_NB_CPUS, (uint16_t)ncpus)) < 0 ||
        (rc = fw_cfg_add_u16(f, FW_CFG_MAX_CPUS, (uint16_t)ncpus)) < 0 ||
        (rc = fw_cfg_add_u16(f, FW_CFG_NOGRAPHIC, 0)) < 0 ||
        (rc = fw_cfg_add_u16(f, FW_CFG_BOOT_MENU, s->boot_menu)) < 0 ||
        (rc = fw_cfg_add_file(f, "etc/e820", e820, sizeof(e820), false)) < 0 ||
        (rc = fw_cfg_add_file(f, "bootorder", "", 0, false)) < 0)
        return rc;
    put32(le32, (uint32_t)s->reboot_timeout_ms);
    if ((rc = fw_cfg_add_file(f, "etc/boot-fail-wait", le32, 4, false)) < 0)
        return rc;
    if (s->splash_ms >= 0) {
        /* SeaBIOS reads the menu wait from etc/boot-menu-wait, in ms. */
        put32(le32, (uint32_t)s->splash_ms);
        if ((rc = fw_cfg_add_file(f, "etc/boot-menu-wait", le32, 4, false)) < 0)
            return rc;
    }
    return add_acpi(f, acpi);
}
