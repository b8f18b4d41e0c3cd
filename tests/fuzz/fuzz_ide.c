/* libFuzzer target: the IDE/ATAPI command streams.  The input is a
 * sequence of 4-byte operations on a PIIX IDE with an ATA disk (primary
 * master) and a CD-ROM (secondary master) backed by small raw files:
 * port writes and reads of every width on both channels, the control
 * blocks and the bus-master registers, and writes into guest RAM (PRD
 * tables and buffers).  Built by `make fuzz-ide` with clang's
 * -fsanitize=fuzzer,address,undefined. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/ide.h"
#include "devices/pci.h"
#include "disks/blockdev.h"
#include "mem/bus.h"

static char dir[64];
static char path_a[128], path_b[128];

static void scratch(void)
{
    if (dir[0])
        return;
    strcpy(dir, "/tmp/popek-fuzz-ide-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    static uint8_t img[64 * 2048];
    for (size_t i = 0; i < sizeof(img); i++)
        img[i] = (uint8_t)(i * 7);
    snprintf(path_a, sizeof(path_a), "%s/disk.img", dir);
    snprintf(path_b, sizeof(path_b), "%s/cd.iso", dir);
    FILE *f = fopen(path_a, "wb");
    fwrite(img, 1, sizeof(img), f);
    fclose(f);
    f = fopen(path_b, "wb");
    fwrite(img, 1, sizeof(img), f);
    fclose(f);
}

static const uint16_t ports[] = { 0x1F0, 0x1F1, 0x1F2, 0x1F3, 0x1F4, 0x1F5, 0x1F6, 0x1F7, 0x3F6,
                                  0x170, 0x171, 0x172, 0x173, 0x174, 0x175, 0x176, 0x177, 0x376,
                                  0xC000, 0xC002, 0xC004, 0xC008, 0xC00A, 0xC00C };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    scratch();
    struct bus bus;
    struct pci_bus pb;
    static struct ide ide;
    struct blockdev disk, cd;
    if (bus_init(&bus, 1u << 20) < 0)
        abort();
    pci_init(&pb, &bus);
    if (blockdev_open(&disk, path_a, BLOCKDEV_RAW, false) < 0 ||
        blockdev_open(&cd, path_b, BLOCKDEV_RAW, true) < 0)
        abort();
    const struct irq_line irq[2] = { { NULL, NULL, 0 }, { NULL, NULL, 1 } };
    ide_init(&ide, &bus, &pb, irq);
    ide_attach_disk(&ide, 0, 0, &disk);
    ide_attach_cdrom(&ide, 1, 0, &cd);
    pci_config_write(&pb, 0, IDE_DEVFN, 0x20, 0xC001, 4);
    pci_config_write(&pb, 0, IDE_DEVFN, PCI_COMMAND, 5, 2);
    for (size_t i = 0; i + 4 <= size; i += 4) {
        const uint8_t *op = data + i;
        unsigned kind = op[0] >> 6, width = 1u << ((op[0] >> 4) & 3) % 3;
        uint16_t port = ports[(op[0] & 0x0F) + ((op[1] & 0x80) ? 12 : 0) < 24 ? (op[0] & 0x0F) + ((op[1] & 0x80) ? 12 : 0) : 0];
        uint32_t val = op[2] | (uint32_t)op[3] << 8 | (uint32_t)op[1] << 16;
        switch (kind) {
        case 0:
        case 1:
            bus_out(&bus, port, val, width);
            break;
        case 2:
            bus_in(&bus, port, width);
            break;
        default: /* RAM: PRD tables at 0x1000 and buffers near them */
            bus_write(&bus, 0x1000 + ((uint32_t)op[1] << 2), val << 8 | op[1], 4);
            break;
        }
    }
    blockdev_close(&disk);
    blockdev_close(&cd);
    bus_free(&bus);
    return 0;
}
