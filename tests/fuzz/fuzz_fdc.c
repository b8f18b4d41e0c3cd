/* libFuzzer target: the floppy controller and the 8237 DMA controllers
 * under arbitrary guest I/O.  The input is a sequence of 4-byte operations
 * on an FDC with a writable 1.44M image in drive A and a drive B of type
 * 1.44M: byte writes and reads of the FDC ports (0x3F0-0x3F7), the two
 * DMA controllers' registers and page registers, writes into the low 64K
 * of guest RAM (where DMA buffers land), media changes in drive A (1.44M,
 * 720K, none) and the passing of guest time (seeks, execution delays and
 * polling run on timers).  Built by `make fuzz-fdc` with clang's
 * -fsanitize=fuzzer,address,undefined; a FIFO index or DMA length out of
 * bounds is what it hunts. */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/clock.h"
#include "devices/dma8237.h"
#include "devices/fdc.h"
#include "disks/blockdev.h"
#include "mem/bus.h"

static char dir[64];
static char path_144[128], path_720[128];

static void write_image(const char *path, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    for (size_t i = 0; i < size; i++)
        fputc((int)(uint8_t)(i * 13 + (i >> 9)), f);
    fclose(f);
}

static void scratch(void)
{
    if (dir[0])
        return;
    strcpy(dir, "/tmp/popek-fuzz-fdc-XXXXXX");
    if (!mkdtemp(dir))
        abort();
    snprintf(path_144, sizeof(path_144), "%s/a144.img", dir);
    snprintf(path_720, sizeof(path_720), "%s/a720.img", dir);
    write_image(path_144, 1474560);
    write_image(path_720, 737280);
}

/* Every port the guest can reach on these two devices. */
static uint16_t ports[64];
static unsigned nports;

static void port_table(void)
{
    if (nports)
        return;
    for (uint16_t p = 0x3F0; p <= 0x3F7; p++)
        ports[nports++] = p;
    for (uint16_t p = 0x00; p <= 0x0F; p++)
        ports[nports++] = p;
    for (uint16_t p = 0xC0; p <= 0xDE; p += 2)
        ports[nports++] = p;
    for (uint16_t p = 0x81; p <= 0x8F; p++)
        ports[nports++] = p;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    scratch();
    port_table();
    /* One bus for every run (allocating its page table dominated the run
     * time): the devices claim the same ports again, RAM is cleared. */
    static struct bus bus;
    static bool bus_ready;
    static struct vclock clk;
    static struct dma8237 dma;
    static struct fdc fdc;
    struct blockdev b144, b720;
    if (!bus_ready) {
        if (bus_init(&bus, 1u << 20) < 0)
            abort();
        bus_ready = true;
    }
    memset(bus.ram, 0, 1u << 20);
    clock_init(&clk, 100);
    if (dma8237_init(&dma, &bus) < 0 || fdc_init(&fdc, &bus, &clk, &dma, NULL) < 0)
        abort();
    if (blockdev_open(&b144, path_144, BLOCKDEV_RAW, false) < 0 ||
        blockdev_open(&b720, path_720, BLOCKDEV_RAW, true) < 0)
        abort();
    if (fdc_attach(&fdc, 0, &b144) < 0 || fdc_set_drive_type(&fdc, 1, 4) < 0)
        abort();
    for (size_t i = 0; i + 4 <= size; i += 4) {
        const uint8_t *op = data + i;
        uint16_t port = ports[op[1] % nports];
        switch (op[0] & 7) {
        case 0:
        case 1:
        case 2:
            bus_out(&bus, port, op[2], 1);
            break;
        case 3:
        case 4:
            bus_in(&bus, port, 1);
            break;
        case 5: /* RAM in the first 64K, where the DMA buffers are */
            bus_write(&bus, ((uint32_t)op[1] << 8 | op[3]) & 0xFFFF, op[2], 1);
            break;
        case 6: /* up to 65 ms of guest time */
            clock_advance_to(&clk, clk.now + ((uint64_t)op[2] << 8 | op[3]) * 1000);
            break;
        default: /* a medium change: one image is in at most one drive */
            fdc_attach(&fdc, 0, op[2] % 3 == 0 ? &b144 : op[2] % 3 == 1 ? &b720 : NULL);
            break;
        }
    }
    /* Let what the commands started finish, then detach before the media
     * go away. */
    clock_advance_to(&clk, clk.now + 10000000);
    fdc_attach(&fdc, 0, NULL);
    blockdev_close(&b144);
    blockdev_close(&b720);
    return 0;
}
