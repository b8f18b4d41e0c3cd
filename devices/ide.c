/* The IDE channels and the PIIX IDE function (see ide.h): the command and
 * control blocks of each channel (the task file, its LBA48 "previous"
 * values, the data port, status and interrupt, software reset and the
 * device signatures), the bus-master registers at BAR4 and the PCI
 * function that decodes them.  A command written to a channel goes to
 * the selected device's command set: devices/ata.c for a disk,
 * devices/ide_atapi.c for a packet device.  Register and protocol facts:
 * ATA/ATAPI-6 (T13/1410D), sections 6 (the protocols) and 7 (the
 * registers); the PIIX3 datasheet for the bus-master IDE registers. */
#include "devices/ide_priv.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "disks/blockdev.h"
#include "mem/bus.h"

static bool present(const struct ide_channel *ch)
{
    return ch->dev[0].present || ch->dev[1].present;
}

static void irq_update(struct ide_channel *ch)
{
    irq_set(&ch->irq, ch->irq_pending && !(ch->dctl & ATA_DC_NIEN));
}

void ide_raise_irq(struct ide_channel *ch)
{
    ch->irq_pending = true;
    irq_update(ch);
}

/* ---- the device ------------------------------------------------------ */

void ide_signature(struct ide_channel *ch)
{
    ch->nsect = ch->lbal = 1;
    ch->lbam = ch->lbah = 0;
    ch->hob_nsect = ch->hob_lbal = ch->hob_lbam = ch->hob_lbah = ch->hob_feature = 0;
    ch->select &= 0xA0;
    if (ide_cur(ch)->atapi) { /* the packet device signature */
        ch->lbam = 0x14;
        ch->lbah = 0xEB;
    }
    ch->error = 0x01; /* diagnostics passed */
    ch->status = ide_cur(ch)->present ? ATA_SR_DRDY | ATA_SR_DSC : 0;
    ch->xfer = IDE_XFER_NONE;
    ch->buf_pos = ch->buf_len = 0;
}

static void device_reset(struct ide_device *d)
{
    d->cur_heads = d->heads;
    d->cur_spt = d->spt;
    d->multiple = 0;
    d->write_cache = true;
    d->xfer_mode = 0;
}

/* ---- command completion ------------------------------------------------ */

void ide_finish(struct ide_channel *ch)
{
    ch->status = ATA_SR_DRDY | ATA_SR_DSC;
    ch->xfer = IDE_XFER_NONE;
    ide_raise_irq(ch);
}

void ide_fail(struct ide_channel *ch, uint8_t error)
{
    ch->error = error;
    ch->status = ATA_SR_DRDY | ATA_SR_DSC | ATA_SR_ERR;
    ch->xfer = IDE_XFER_NONE;
    ide_raise_irq(ch);
}

/* ---- commands ---------------------------------------------------------- */

static void command(struct ide *ide, struct ide_channel *ch, uint8_t cmd)
{
    struct ide_device *d = ide_cur(ch);
    if (!d->present)
        return; /* nobody answers */
    if (cmd != 0x90 && (ch->status & (ATA_SR_BSY | ATA_SR_DRQ)) && ch->xfer != IDE_XFER_NONE) {
        /* A new command aborts a data transfer in progress. */
        ch->xfer = IDE_XFER_NONE;
    }
    ch->cmd = cmd;
    ch->error = 0;
    ch->irq_pending = false;
    irq_update(ch);
    if (d->atapi)
        ide_atapi_command(ide, ch, cmd);
    else
        ata_command(ide, ch, cmd);
}

/* ---- ports ------------------------------------------------------------- */

static struct ide_channel *chan_of(struct ide *ide, uint16_t port, bool ctl)
{
    for (unsigned i = 0; i < IDE_CHANNELS; i++) {
        struct ide_channel *ch = &ide->ch[i];
        if (ctl ? port == ch->ctl_base : (port >= ch->base && port < ch->base + 8))
            return ch;
    }
    return NULL;
}

static uint32_t data_read(struct ide *ide, struct ide_channel *ch, unsigned size)
{
    if ((ch->xfer != IDE_XFER_PIO_IN && ch->xfer != IDE_XFER_ATAPI_IN) || !(ch->status & ATA_SR_DRQ))
        return size == 4 ? 0xFFFFFFFFu : 0xFFFF;
    uint32_t v = 0;
    unsigned n = size == 4 ? 4 : 2;
    for (unsigned i = 0; i < n && ch->buf_pos < ch->buf_len; i++)
        v |= (uint32_t)ch->buf[ch->buf_pos++] << (8 * i);
    if (ch->buf_pos >= ch->buf_len) {
        if (ch->xfer == IDE_XFER_ATAPI_IN) {
            ide_atapi_pio_done(ide, ch);
        } else if (ch->cmd == 0xEC || ch->cmd == 0xA1) {
            ch->status = ATA_SR_DRDY | ATA_SR_DSC;
            ch->xfer = IDE_XFER_NONE;
        } else {
            ata_pio_in_done(ide, ch);
        }
    }
    return v;
}

static void data_write(struct ide *ide, struct ide_channel *ch, uint32_t v, unsigned size)
{
    if ((ch->xfer != IDE_XFER_PIO_OUT && ch->xfer != IDE_XFER_PACKET) || !(ch->status & ATA_SR_DRQ))
        return;
    unsigned n = size == 4 ? 4 : 2;
    for (unsigned i = 0; i < n && ch->buf_pos < ch->buf_len; i++)
        ch->buf[ch->buf_pos++] = (uint8_t)(v >> (8 * i));
    if (ch->buf_pos < ch->buf_len)
        return;
    if (ch->xfer == IDE_XFER_PACKET)
        ide_atapi_packet(ide, ch);
    else
        ata_pio_out_done(ide, ch);
}

static uint32_t ide_read(void *opaque, uint16_t port, unsigned size)
{
    struct ide *ide = opaque;
    struct ide_channel *ch = chan_of(ide, port, false);
    bool ctl = false;
    if (!ch) {
        ch = chan_of(ide, port, true);
        ctl = true;
    }
    if (!ch || !present(ch))
        return size == 4 ? 0xFFFFFFFFu : (1u << (8 * size)) - 1; /* nothing on the cable: it floats */
    bool dev_there = ide_cur(ch)->present;
    bool hob = ch->dctl & ATA_DC_HOB;
    if (ctl) /* alternate status: no side effects */
        return dev_there ? ch->status : 0;
    switch (port - ch->base) {
    case 0:
        return data_read(ide, ch, size);
    case 1:
        return dev_there ? (hob ? ch->hob_feature : ch->error) : 0;
    case 2:
        return hob ? ch->hob_nsect : ch->nsect;
    case 3:
        return hob ? ch->hob_lbal : ch->lbal;
    case 4:
        return hob ? ch->hob_lbam : ch->lbam;
    case 5:
        return hob ? ch->hob_lbah : ch->lbah;
    case 6:
        return ch->select;
    default: /* status: reading it acknowledges the interrupt */
        if (!dev_there)
            return 0;
        ch->irq_pending = false;
        irq_update(ch);
        return ch->status;
    }
}

static void soft_reset(struct ide_channel *ch)
{
    for (int u = 0; u < 2; u++)
        if (ch->dev[u].present) {
            device_reset(&ch->dev[u]);
            if (ch->dev[u].atapi)
                atapi_reset(&ch->dev[u].cd);
        }
    ch->select = 0xA0;
    ide_signature(ch);
    ch->irq_pending = false;
    irq_update(ch);
}

static void ide_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct ide *ide = opaque;
    struct ide_channel *ch = chan_of(ide, port, false);
    if (!ch) {
        ch = chan_of(ide, port, true);
        if (!ch)
            return;
        uint8_t old = ch->dctl;
        ch->dctl = (uint8_t)val;
        if ((old & ATA_DC_SRST) && !(val & ATA_DC_SRST))
            soft_reset(ch); /* the reset ends when SRST goes back to 0 */
        else if (val & ATA_DC_SRST)
            ch->status = present(ch) ? ATA_SR_BSY : 0;
        irq_update(ch);
        return;
    }
    uint8_t v = (uint8_t)val;
    /* A write to a task file register clears HOB and shifts the old value
     * into its "previous" slot (the LBA48 two-deep registers). */
    if (port - ch->base >= 1 && port - ch->base <= 5)
        ch->dctl &= (uint8_t)~ATA_DC_HOB;
    switch (port - ch->base) {
    case 0:
        data_write(ide, ch, val, size);
        break;
    case 1:
        ch->hob_feature = ch->feature;
        ch->feature = v;
        break;
    case 2:
        ch->hob_nsect = ch->nsect;
        ch->nsect = v;
        break;
    case 3:
        ch->hob_lbal = ch->lbal;
        ch->lbal = v;
        break;
    case 4:
        ch->hob_lbam = ch->lbam;
        ch->lbam = v;
        break;
    case 5:
        ch->hob_lbah = ch->lbah;
        ch->lbah = v;
        break;
    case 6:
        ch->select = (uint8_t)(v | 0xA0);
        break;
    default:
        if (!(ch->dctl & ATA_DC_SRST))
            command(ide, ch, v);
        break;
    }
}

static const struct io_ops ide_ops = {
    .read = ide_read,
    .write = ide_write,
    .sizes = 1 | 2 | 4,
};

/* ---- bus-master registers (BAR4) --------------------------------------- */

static uint32_t bm_read(void *opaque, uint16_t port, unsigned size)
{
    struct ide *ide = opaque;
    uint32_t off = port - ide->bm_base;
    struct ide_channel *ch = &ide->ch[(off >> 3) & 1];
    uint32_t v = 0;
    for (unsigned i = 0; i < size; i++) {
        unsigned r = (off + i) & 7;
        uint8_t b = r == 0 ? ch->bm_cmd : r == 2 ? ch->bm_status : r >= 4 ? (uint8_t)(ch->bm_prd >> (8 * (r - 4))) : 0;
        v |= (uint32_t)b << (8 * i);
    }
    return v;
}

static void bm_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct ide *ide = opaque;
    uint32_t off = port - ide->bm_base;
    struct ide_channel *ch = &ide->ch[(off >> 3) & 1];
    for (unsigned i = 0; i < size; i++) {
        unsigned r = (off + i) & 7;
        uint8_t b = (uint8_t)(val >> (8 * i));
        if (r == 0) {
            bool was = ch->bm_cmd & IDE_BM_CMD_START;
            ch->bm_cmd = b & (IDE_BM_CMD_START | IDE_BM_CMD_TO_MEMORY);
            if (!was && (b & IDE_BM_CMD_START)) {
                ch->bm_status |= IDE_BM_ST_ACTIVE;
                if (ch->xfer == IDE_XFER_DMA_IN || ch->xfer == IDE_XFER_DMA_OUT)
                    ata_dma_run(ide, ch);
                else if (ch->xfer == IDE_XFER_ATAPI_DMA)
                    ide_atapi_dma_run(ide, ch);
            } else if (was && !(b & IDE_BM_CMD_START)) {
                ch->bm_status &= (uint8_t)~IDE_BM_ST_ACTIVE;
            }
        } else if (r == 2) {
            /* Bits 1 and 2 are write-one-to-clear; 5 and 6 (drive DMA
             * capable) are plain storage. */
            ch->bm_status = (uint8_t)((ch->bm_status & ~(b & 0x06)) & ~0x60);
            ch->bm_status |= b & 0x60;
        } else if (r >= 4) {
            unsigned sh = 8 * (r - 4);
            ch->bm_prd = (ch->bm_prd & ~(0xFFu << sh)) | (uint32_t)b << sh;
            ch->bm_prd &= ~3u;
        }
    }
}

static const struct io_ops bm_ops = {
    .read = bm_read,
    .write = bm_write,
    .sizes = 1 | 2 | 4,
};

static void bar_moved(struct pci_device *d, unsigned bar, uint32_t old_addr, uint32_t new_addr)
{
    struct ide *ide = d->opaque;
    if (bar != 4)
        return;
    if (old_addr != PCI_BAR_UNMAPPED)
        bus_io_unregister(ide->bus, (uint16_t)old_addr, 16, &bm_ops, ide);
    ide->bm_base = new_addr;
    if (new_addr != PCI_BAR_UNMAPPED && new_addr + 16 <= 0x10000)
        bus_io_register(ide->bus, (uint16_t)new_addr, 16, &bm_ops, ide);
}

static void pci_setup(struct ide *ide)
{
    struct pci_device *d = &ide->pci;
    pci_device_init(d, 0x8086, IDE_PCI_DEVICE, 0x010180, 0x00, 0x00);
    d->opaque = ide;
    d->bar_moved = bar_moved;
    pci_bar_init(d, 4, 16, PCI_BAR_IO);
    d->wmask[PCI_COMMAND] |= PCI_COMMAND_MASTER;
    pci_set_word(d, PCI_STATUS, 0x0280);
    pci_set_wmask(d, PCI_LATENCY_TIMER, 1, 0xFF);
    pci_set_wmask(d, 0x40, 4, 0xFF); /* IDETIM primary/secondary */
    pci_set_wmask(d, 0x44, 1, 0xFF); /* SIDETIM */
}

void ide_reset(struct ide *ide)
{
    for (unsigned i = 0; i < IDE_CHANNELS; i++) {
        struct ide_channel *ch = &ide->ch[i];
        ch->dctl = 0;
        ch->feature = ch->hob_feature = 0;
        ch->bm_cmd = ch->bm_status = 0;
        ch->bm_prd = 0;
        soft_reset(ch);
    }
}

int ide_attach_disk(struct ide *ide, unsigned c, unsigned unit, struct blockdev *bd)
{
    if (c >= IDE_CHANNELS || unit > 1 || !bd)
        return -EINVAL;
    struct ide_device *d = &ide->ch[c].dev[unit];
    memset(d, 0, sizeof(*d));
    d->present = true;
    d->bd = bd;
    d->sectors = bd->size / IDE_SECTOR;
    /* The usual translation: 16 heads, 63 sectors, up to 16383 cylinders. */
    uint64_t cyls = d->sectors / (16 * 63);
    d->cyls = (uint16_t)(cyls > 16383 ? 16383 : cyls ? cyls : 1);
    d->heads = 16;
    d->spt = 63;
    snprintf(d->model, sizeof(d->model), "POPEK HARDDISK");
    snprintf(d->serial, sizeof(d->serial), "PK%02u%02u%012llu", c, unit,
             (unsigned long long)(d->sectors % 1000000000000ull));
    device_reset(d);
    soft_reset(&ide->ch[c]);
    return 0;
}

int ide_attach_cdrom(struct ide *ide, unsigned c, unsigned unit, struct blockdev *bd)
{
    if (c >= IDE_CHANNELS || unit > 1)
        return -EINVAL;
    struct ide_device *d = &ide->ch[c].dev[unit];
    memset(d, 0, sizeof(*d));
    d->present = true;
    d->atapi = true;
    d->bd = bd;
    snprintf(d->model, sizeof(d->model), "POPEK CD-ROM");
    snprintf(d->serial, sizeof(d->serial), "PKCD%02u%02u", c, unit);
    atapi_set_medium(&d->cd, bd != NULL, bd ? (uint32_t)(bd->size / ATAPI_BLOCK) : 0);
    device_reset(d);
    soft_reset(&ide->ch[c]);
    return 0;
}

int ide_init(struct ide *ide, struct bus *bus, struct pci_bus *pb, const struct irq_line irq[IDE_CHANNELS])
{
    memset(ide, 0, sizeof(*ide));
    ide->bus = bus;
    ide->bm_base = PCI_BAR_UNMAPPED;
    static const uint16_t base[IDE_CHANNELS] = { 0x1F0, 0x170 }, ctl[IDE_CHANNELS] = { 0x3F6, 0x376 };
    for (unsigned i = 0; i < IDE_CHANNELS; i++) {
        ide->ch[i].base = base[i];
        ide->ch[i].ctl_base = ctl[i];
        ide->ch[i].irq = irq[i];
        int rc = bus_io_register(bus, base[i], 8, &ide_ops, ide);
        if (rc == 0)
            rc = bus_io_register(bus, ctl[i], 1, &ide_ops, ide);
        if (rc < 0)
            return rc;
    }
    ide_reset(ide);
    if (pb) {
        pci_setup(ide);
        int rc = pci_register(pb, &ide->pci, IDE_DEVFN);
        if (rc < 0)
            return rc;
    }
    return 0;
}
