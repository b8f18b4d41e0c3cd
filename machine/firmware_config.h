/* What the PC tells its firmware through fw_cfg, as QEMU's i440FX board
 * does for the SeaBIOS build Debian ships: RAM size and the e820 map, the
 * CPU count, boot menu and boot-failure settings, the boot order, and the
 * same ACPI tables a directly booted kernel gets, handed over as files for
 * QEMU's table-loader protocol (etc/acpi/tables, etc/acpi/rsdp,
 * etc/table-loader) so that the firmware only places and links them. */
#ifndef POPEK_MACHINE_FIRMWARE_CONFIG_H
#define POPEK_MACHINE_FIRMWARE_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

struct machine;
struct fw_cfg;
struct acpi_config;

/* The table-loader commands (128 bytes each, little-endian). */
#define FWCFG_LOADER_ENTRY 128
#define FWCFG_LOADER_ALLOCATE 1
#define FWCFG_LOADER_ADD_POINTER 2
#define FWCFG_LOADER_ADD_CHECKSUM 3
#define FWCFG_LOADER_ZONE_HIGH 1
#define FWCFG_LOADER_ZONE_FSEG 2

struct firmware_settings {
    bool boot_menu;          /* offer the boot menu (ESC / F12) */
    int32_t splash_ms;       /* how long the menu prompt waits, -1: firmware default */
    int32_t reboot_timeout_ms; /* after "No bootable device": -1 waits for good */
    char boot_order[4];      /* QEMU letters: a/b floppy, c disk, d CD-ROM, n network ("cad") */
};

void firmware_settings_default(struct firmware_settings *s);

/* Fills f with the machine's items.  acpi describes the tables to hand
 * over.  Returns 0 or -errno. */
int firmware_config_build(struct fw_cfg *f, uint32_t ram_size, unsigned ncpus,
                          const struct firmware_settings *s, const struct acpi_config *acpi);

#endif
