/* The PC/AT's two 8237A DMA controllers (Intel 8237A datasheet, order
 * 231466) and their 74LS612 page registers: DMA1 at ports 0x00-0x0F serves
 * the 8-bit channels 0-3, DMA2 at 0xC0-0xDF (register r at 0xC0 + 2r, A0
 * not decoded) the 16-bit channels 4-7, its channel 4 being the cascade
 * input of DMA1.  Page registers at 0x81-0x8F (0x80 is the POST code port,
 * devices/postcode.c).  Devices move data with dma8237_transfer(), which
 * goes through the bus as the chip would: address, count, mode, masks,
 * terminal count and autoinitialisation as programmed.  No memory-to-
 * memory transfers.  See docs/devices/dma.md. */
#ifndef POPEK_DEVICES_DMA8237_H
#define POPEK_DEVICES_DMA8237_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct bus;
struct sv_reader;
struct sv_writer;

#define DMA1_PORT 0x00      /* 16 registers */
#define DMA2_PORT 0xC0      /* 16 registers at even ports, 0xC0-0xDF */
#define DMA_PAGE_PORT 0x80  /* 0x81-0x8F claimed; 0x80 is not */
#define DMA_CHANNELS 8

/* Register numbers (DMA1 port, DMA2 port = 0xC0 + 2 * reg). */
enum {
    DMA_REG_STATUS = 8,   /* read: status; write: command */
    DMA_REG_REQUEST = 9,
    DMA_REG_MASK = 10,    /* single mask bit */
    DMA_REG_MODE = 11,
    DMA_REG_CLEAR_FF = 12,
    DMA_REG_TEMP = 13,    /* read: temporary register; write: master clear */
    DMA_REG_CLEAR_MASK = 14,
    DMA_REG_ALL_MASK = 15,
};

/* Mode register */
#define DMA_MODE_TYPE 0x0C       /* transfer type: */
#define DMA_MODE_VERIFY 0x00
#define DMA_MODE_WRITE 0x04      /* device -> memory */
#define DMA_MODE_READ 0x08       /* memory -> device */
#define DMA_MODE_AUTOINIT 0x10
#define DMA_MODE_DECREMENT 0x20
#define DMA_MODE_SEL 0xC0        /* demand 00, single 40, block 80, cascade C0 */
#define DMA_MODE_CASCADE 0xC0

/* Command register */
#define DMA_CMD_DISABLE 0x04     /* controller disable */

struct dma8237_channel {
    uint16_t base_addr, base_count; /* as written */
    uint16_t cur_addr, cur_count;   /* counting */
    uint8_t mode;                   /* mode register bits 7-2 */
};

struct dma8237_ctrl {
    struct dma8237_channel ch[4];
    uint8_t command;
    uint8_t status;  /* bits 0-3: TC reached (cleared by a status read) */
    uint8_t request; /* bits 0-3: software requests */
    uint8_t mask;    /* bits 0-3 */
    uint8_t temp;    /* temporary register (memory-to-memory only: stays 0) */
    bool flipflop;   /* byte pointer: true = the next access is the high byte */
};

struct dma8237 {
    struct bus *bus;
    struct dma8237_ctrl ctrl[2]; /* DMA1 (channels 0-3), DMA2 (4-7) */
    uint8_t page[16];            /* ports 0x80-0x8F; page[0] unused */
};

/* Claims the ports and resets.  Returns 0 or -errno. */
int dma8237_init(struct dma8237 *d, struct bus *bus);
/* Hardware reset of both controllers, as a master clear: command, status,
 * request, temporary and flip-flop cleared, every channel masked.  Page
 * registers are cleared too (the 74LS612 has no reset: power-on contents). */
void dma8237_reset(struct dma8237 *d);
/* Whether a device's DREQ on channel would be served now: the controller
 * enabled, the channel unmasked and not in cascade mode; for channels 0-3
 * also DMA2's channel 4 unmasked in cascade mode (DMA1 reaches the bus
 * through it). */
bool dma8237_channel_ready(const struct dma8237 *d, unsigned channel);
/* A device on channel moves up to len bytes: to memory from buf
 * (device_to_memory) or from memory into buf.  What memory sees follows
 * the channel's mode, as on the chip: a write transfer stores buf, a read
 * transfer fills buf, verify touches no memory; a transfer type that does
 * not match the device's direction touches no memory either, and a device
 * reading gets 0xFF (the floating bus).  16-bit channels move whole words
 * (len is rounded down to even).  Stops at terminal count (the count
 * register passing 0 -> 0xFFFF): sets the TC status bit, then reloads the
 * channel (autoinit) or masks it; *tc (may be NULL) tells whether that
 * happened.  Returns the bytes moved: 0 when the channel is not ready. */
size_t dma8237_transfer(struct dma8237 *d, unsigned channel, void *buf, size_t len,
                        bool device_to_memory, bool *tc);
/* The physical address the channel's next transfer uses. */
uint32_t dma8237_channel_address(const struct dma8237 *d, unsigned channel);

/* Savestate (mem/sv.h): every channel's base and current registers and
 * mode, each controller's command, status, request, mask and temporary
 * registers and byte pointer flip-flop, and the page registers. */
#define DMA8237_SV_VERSION 1
void dma8237_save(const struct dma8237 *d, struct sv_writer *w);
void dma8237_load(struct dma8237 *d, struct sv_reader *r, unsigned version);

#endif
