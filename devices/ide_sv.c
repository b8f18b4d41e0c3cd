/* The IDE controller's savestate (see ide.h and mem/sv.h): the task files,
 * each device's settings, the command in progress with its data buffer and
 * position, the ATAPI packet and data phase, the bus-master registers and
 * the PCI function's header.  The disks' contents are not in it (the
 * images stay files); what is, is each drive's medium size, so that a
 * state is never loaded over different media: a transfer in flight holds
 * sector numbers that mean nothing on another disk.
 *
 * Loading trusts nothing: every position, length, count and state that the
 * command code later indexes or loops with is checked against the buffer
 * it runs over and the medium it reads, as a hostile savestate is how
 * QEMU's IDE got its out-of-bounds CVEs. */
#include "devices/ide_priv.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "mem/sv.h"

/* What a device position holds, for the medium check. */
enum { KIND_NONE, KIND_DISK, KIND_CDROM };

static const char *const dev_names[IDE_CHANNELS][2] = { { "hda", "hdb" }, { "hdc", "hdd" } };

static unsigned dev_kind(const struct ide_device *d)
{
    return !d->present ? KIND_NONE : d->atapi ? KIND_CDROM : KIND_DISK;
}

/* A size in bytes as people read it: "20 MiB", "1.5 MiB", "700 KiB". */
static void fmt_size(char *out, size_t n, uint64_t bytes)
{
    const uint64_t mib = 1u << 20;
    if (bytes >= mib && bytes % mib == 0)
        snprintf(out, n, "%" PRIu64 " MiB", bytes / mib);
    else if (bytes >= mib)
        snprintf(out, n, "%.1f MiB", (double)bytes / (double)mib);
    else
        snprintf(out, n, "%" PRIu64 " KiB", bytes >> 10);
}

/* What sits at a device position, for the mismatch message. */
static void describe(char *out, size_t n, unsigned kind, uint64_t sectors, bool medium,
                     uint32_t blocks)
{
    char sz[32];
    switch (kind) {
    case KIND_DISK:
        fmt_size(sz, sizeof(sz), sectors * IDE_SECTOR);
        snprintf(out, n, "a %s disk (%" PRIu64 " sectors)", sz, sectors);
        break;
    case KIND_CDROM:
        if (!medium) {
            snprintf(out, n, "an empty CD-ROM drive");
            break;
        }
        fmt_size(sz, sizeof(sz), (uint64_t)blocks * ATAPI_BLOCK);
        snprintf(out, n, "a CD-ROM drive with a %s disc (%" PRIu32 " blocks)", sz, blocks);
        break;
    default:
        snprintf(out, n, "no drive");
        break;
    }
}

/* ---- save ---------------------------------------------------------------- */

static void save_identity(const struct ide_device *d, struct sv_writer *w)
{
    sv_put_u8(w, (uint8_t)dev_kind(d));
    sv_put_u64(w, d->atapi ? 0 : d->sectors);
    sv_put_bool(w, d->atapi && d->cd.medium);
    sv_put_u32(w, d->atapi ? d->cd.blocks : 0);
}

static void save_device(const struct ide_device *d, struct sv_writer *w)
{
    sv_put_u16(w, d->cur_heads);
    sv_put_u16(w, d->cur_spt);
    sv_put_u8(w, d->multiple);
    sv_put_bool(w, d->write_cache);
    sv_put_u8(w, d->xfer_mode);
    sv_put_bool(w, d->cd.unit_attention);
    sv_put_bool(w, d->cd.locked);
    sv_put_u8(w, d->cd.sense_key);
    sv_put_u8(w, d->cd.asc);
    sv_put_u8(w, d->cd.ascq);
}

static void save_channel(const struct ide_channel *ch, struct sv_writer *w)
{
    for (unsigned u = 0; u < 2; u++)
        save_device(&ch->dev[u], w);
    const uint8_t tf[] = { ch->feature,     ch->nsect,    ch->lbal,     ch->lbam,
                           ch->lbah,        ch->hob_feature, ch->hob_nsect, ch->hob_lbal,
                           ch->hob_lbam,    ch->hob_lbah, ch->select,   ch->status,
                           ch->error,       ch->dctl };
    sv_put_bytes(w, tf, sizeof(tf));
    sv_put_bool(w, ch->irq_pending);
    sv_put_u8(w, ch->cmd);
    sv_put_u8(w, (uint8_t)ch->xfer);
    sv_put_u64(w, ch->lba);
    sv_put_u32(w, ch->remaining);
    sv_put_u32(w, ch->block);
    sv_put_bytes(w, ch->buf, IDE_BUF_SIZE);
    sv_put_u32(w, ch->buf_pos);
    sv_put_u32(w, ch->buf_len);
    sv_put_bytes(w, ch->packet, sizeof(ch->packet));
    sv_put_bytes(w, ch->req.reply, ATAPI_REPLY_MAX);
    sv_put_u32(w, ch->req.reply_len);
    sv_put_u32(w, ch->req.lba);
    sv_put_u32(w, ch->req.count);
    sv_put_bool(w, ch->ap_dma);
    sv_put_bool(w, ch->ap_from_disc);
    sv_put_u16(w, ch->ap_limit);
    sv_put_u64(w, ch->ap_left);
    sv_put_u32(w, ch->ap_pos);
    sv_put_u32(w, ch->ap_lba);
    sv_put_u32(w, ch->ap_sect_pos);
    sv_put_u32(w, ch->ap_block_len);
    sv_put_bytes(w, ch->sect, ATAPI_BLOCK);
    sv_put_u8(w, ch->bm_cmd);
    sv_put_u8(w, ch->bm_status);
    sv_put_u32(w, ch->bm_prd);
}

void ide_save(const struct ide *ide, struct sv_writer *w)
{
    /* The media first, so that a load over other media says so before
     * anything else can fail. */
    for (unsigned c = 0; c < IDE_CHANNELS; c++)
        for (unsigned u = 0; u < 2; u++)
            save_identity(&ide->ch[c].dev[u], w);
    bool have_pci = ide->pci.pb != NULL;
    sv_put_bool(w, have_pci);
    if (have_pci)
        sv_put_bytes(w, ide->pci.config, sizeof(ide->pci.config));
    sv_put_u64(w, ide->sectors_read);
    sv_put_u64(w, ide->sectors_written);
    for (unsigned c = 0; c < IDE_CHANNELS; c++)
        save_channel(&ide->ch[c], w);
}

/* ---- load ---------------------------------------------------------------- */

static void load_identity(const struct ide_device *d, struct sv_reader *r, const char *name)
{
    unsigned kind = sv_get_max(r, 1, KIND_CDROM, "device kind");
    uint64_t sectors = sv_get_u64(r);
    bool medium = sv_get_bool(r);
    uint32_t blocks = sv_get_u32(r);
    if (!sv_ok(r))
        return;
    bool same = kind == dev_kind(d);
    if (same && kind == KIND_DISK)
        same = sectors == d->sectors;
    if (same && kind == KIND_CDROM)
        same = medium == d->cd.medium && (!medium || blocks == d->cd.blocks);
    if (same)
        return;
    char was[96], now[96];
    describe(was, sizeof(was), kind, sectors, medium, blocks);
    describe(now, sizeof(now), dev_kind(d), d->sectors, d->cd.medium, d->cd.blocks);
    sv_fail(r, "%s: saved with %s, this machine has %s", name, was, now);
}

static void load_device(struct ide_device *d, struct sv_reader *r)
{
    /* INITIALIZE DEVICE PARAMETERS takes 1-16 heads and 1-255 sectors a
     * track (0 for a packet device, which has no geometry). */
    d->cur_heads = (uint16_t)sv_get_max(r, 2, 16, "current heads");
    d->cur_spt = (uint16_t)sv_get_max(r, 2, 255, "current sectors per track");
    /* The DRQ block size: it sizes what the PIO code moves through buf. */
    d->multiple = (uint8_t)sv_get_max(r, 1, IDE_MAX_MULTIPLE, "multiple count");
    sv_check(r, (d->multiple & (d->multiple - 1)) == 0, "multiple count (a power of two)");
    d->write_cache = sv_get_bool(r);
    d->xfer_mode = sv_get_u8(r);
    d->cd.unit_attention = sv_get_bool(r);
    d->cd.locked = sv_get_bool(r);
    d->cd.sense_key = (uint8_t)sv_get_max(r, 1, 0x0F, "sense key");
    d->cd.asc = sv_get_u8(r);
    d->cd.ascq = sv_get_u8(r);
}

/* Where the ATAPI data phase's remaining bytes come from must hold them:
 * atapi_fill copies from req.reply at ap_pos, or reads the disc from
 * ap_lba on.  consumed: bytes of ap_left already taken from the source
 * (the PIO DRQ block in buf). */
static void check_atapi_source(struct ide_channel *ch, struct sv_reader *r, uint32_t consumed)
{
    const struct ide_device *d = ide_cur(ch);
    uint64_t left = ch->ap_left - consumed;
    if (!ch->ap_from_disc) {
        /* (ap_pos is stale in a read from the disc: a READ's request has
         * no reply, so it is checked only here.) */
        if (sv_check(r, ch->ap_pos <= ch->req.reply_len, "ATAPI reply position"))
            sv_check(r, left <= ch->req.reply_len - ch->ap_pos, "ATAPI reply bytes left");
        return;
    }
    if (!sv_check(r, ch->ap_lba <= d->cd.blocks, "ATAPI read block"))
        return;
    uint64_t avail = (uint64_t)(d->cd.blocks - ch->ap_lba) * ATAPI_BLOCK +
                     (ATAPI_BLOCK - ch->ap_sect_pos);
    sv_check(r, left <= avail, "ATAPI read bytes left");
}

/* The command in progress must fit the buffers and the selected device.
 * The command code runs a transfer on whichever device the device/head
 * register selects now, so a state whose selected device cannot carry it
 * (a guest that switched devices in mid-transfer, against the protocol)
 * is refused: a disk transfer on a device without a disk would read
 * through a NULL block device. */
static void check_transfer(struct ide_channel *ch, struct sv_reader *r)
{
    const struct ide_device *d = ide_cur(ch);
    switch (ch->xfer) {
    case IDE_XFER_NONE:
        return;
    case IDE_XFER_PIO_IN:
        if (ch->cmd == 0xEC || ch->cmd == 0xA1)
            return; /* IDENTIFY (PACKET) DEVICE: one block in buf, no disk behind it */
        /* fall through */
    case IDE_XFER_PIO_OUT:
    case IDE_XFER_DMA_IN:
    case IDE_XFER_DMA_OUT: {
        if (!sv_check(r, d->present && !d->atapi && d->bd, "disk transfer without a disk"))
            return;
        if (!sv_check(r, ch->lba <= d->sectors && ch->remaining <= d->sectors - ch->lba,
                      "transfer's sectors (past the end of the disk)"))
            return;
        if (ch->xfer == IDE_XFER_PIO_IN || ch->xfer == IDE_XFER_PIO_OUT)
            sv_check(r, ch->block >= 1 && ch->block <= ch->remaining &&
                            ch->buf_len == ch->block * IDE_SECTOR,
                     "PIO block");
        return;
    }
    case IDE_XFER_PACKET:
        if (sv_check(r, d->present && d->atapi, "packet without a packet device"))
            sv_check(r, ch->buf_len == sizeof(ch->packet), "packet length");
        return;
    case IDE_XFER_ATAPI_IN:
        if (!sv_check(r, d->present && d->atapi, "ATAPI data without a packet device"))
            return;
        if (!sv_check(r, ch->ap_block_len <= ch->ap_left &&
                             ch->buf_len == ch->ap_block_len + (ch->ap_block_len & 1),
                      "ATAPI DRQ block"))
            return;
        check_atapi_source(ch, r, ch->ap_block_len);
        return;
    case IDE_XFER_ATAPI_DMA:
        if (sv_check(r, d->present && d->atapi, "ATAPI data without a packet device"))
            check_atapi_source(ch, r, 0);
        return;
    }
}

static void load_channel(struct ide_channel *ch, struct sv_reader *r)
{
    for (unsigned u = 0; u < 2; u++)
        load_device(&ch->dev[u], r);
    uint8_t tf[14];
    sv_get_bytes(r, tf, sizeof(tf));
    ch->feature = tf[0];
    ch->nsect = tf[1];
    ch->lbal = tf[2];
    ch->lbam = tf[3];
    ch->lbah = tf[4];
    ch->hob_feature = tf[5];
    ch->hob_nsect = tf[6];
    ch->hob_lbal = tf[7];
    ch->hob_lbam = tf[8];
    ch->hob_lbah = tf[9];
    ch->select = tf[10];
    ch->status = tf[11];
    ch->error = tf[12];
    ch->dctl = tf[13];
    /* The device/head register's bits 7 and 5 always read 1. */
    sv_check(r, (ch->select & 0xA0) == 0xA0, "device/head register");
    ch->irq_pending = sv_get_bool(r);
    ch->cmd = sv_get_u8(r);
    ch->xfer = (enum ide_xfer)sv_get_max(r, 1, IDE_XFER_ATAPI_DMA, "transfer state");
    ch->lba = sv_get_u64(r);
    /* A command moves at most 65536 sectors (LBA48 count 0). */
    ch->remaining = sv_get_max(r, 4, 65536, "sectors remaining");
    ch->block = sv_get_max(r, 4, IDE_MAX_MULTIPLE, "sectors in the DRQ block");
    sv_get_bytes(r, ch->buf, IDE_BUF_SIZE);
    uint32_t pos = sv_get_u32(r);
    ch->buf_len = sv_get_max(r, 4, IDE_BUF_SIZE, "data buffer length");
    ch->buf_pos = sv_check(r, pos <= ch->buf_len, "data buffer position") ? pos : 0;
    sv_get_bytes(r, ch->packet, sizeof(ch->packet));
    sv_get_bytes(r, ch->req.reply, ATAPI_REPLY_MAX);
    ch->req.reply_len = sv_get_max(r, 4, ATAPI_REPLY_MAX, "ATAPI reply length");
    ch->req.lba = sv_get_u32(r);
    ch->req.count = sv_get_u32(r);
    ch->ap_dma = sv_get_bool(r);
    ch->ap_from_disc = sv_get_bool(r);
    ch->ap_limit = sv_get_u16(r);
    ch->ap_left = sv_get_u64(r);
    ch->ap_pos = sv_get_max(r, 4, ATAPI_REPLY_MAX, "ATAPI reply position");
    ch->ap_lba = sv_get_u32(r);
    ch->ap_sect_pos = sv_get_max(r, 4, ATAPI_BLOCK, "ATAPI block position");
    ch->ap_block_len = sv_get_max(r, 4, IDE_BUF_SIZE, "ATAPI DRQ block length");
    sv_get_bytes(r, ch->sect, ATAPI_BLOCK);
    ch->bm_cmd = sv_get_u8(r);
    sv_check(r, !(ch->bm_cmd & ~(IDE_BM_CMD_START | IDE_BM_CMD_TO_MEMORY)),
             "bus-master command");
    ch->bm_status = sv_get_u8(r);
    ch->bm_prd = sv_get_u32(r);
    sv_check(r, !(ch->bm_prd & 3), "PRD table address (dword aligned)");
    if (sv_ok(r))
        check_transfer(ch, r);
}

void ide_load(struct ide *ide, struct sv_reader *r, unsigned version)
{
    if (version != IDE_SV_VERSION) {
        sv_fail(r, "version %u, this Popek reads %u", version, IDE_SV_VERSION);
        return;
    }
    for (unsigned c = 0; c < IDE_CHANNELS; c++)
        for (unsigned u = 0; u < 2; u++)
            load_identity(&ide->ch[c].dev[u], r, dev_names[c][u]);
    bool have_pci = sv_get_bool(r);
    if (sv_ok(r) && have_pci != (ide->pci.pb != NULL)) {
        sv_fail(r, "saved %s the PCI function, this machine's controller has %s",
                have_pci ? "with" : "without", have_pci ? "none" : "one");
        return;
    }
    if (have_pci)
        pci_config_load(&ide->pci, r);
    ide->sectors_read = sv_get_u64(r);
    ide->sectors_written = sv_get_u64(r);
    for (unsigned c = 0; c < IDE_CHANNELS; c++)
        load_channel(&ide->ch[c], r);
}

void ide_post_load(struct ide *ide)
{
    /* The bus-master registers decode where BAR4 and the command register
     * now say.  pci.bar_mapped (and bm_base) were not loaded: they record
     * what the bus decodes, and a configuration write of the command
     * register as it stands makes the PCI bus compare the two and move the
     * ports (bar_moved) as a guest's write would. */
    struct pci_device *d = &ide->pci;
    if (d->pb)
        pci_config_write(d->pb, 0, d->devfn, PCI_COMMAND, pci_get_word(d, PCI_COMMAND), 2);
}
