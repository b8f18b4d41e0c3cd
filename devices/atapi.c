/* ATAPI CD-ROM commands (see atapi.h).  Facts: SFF-8020i (ATAPI), MMC-2
 * for READ TOC, GET CONFIGURATION, GET EVENT STATUS NOTIFICATION and the
 * capabilities mode page, SPC for INQUIRY, REQUEST SENSE and MODE SENSE. */
#include "devices/atapi.h"

#include <string.h>

static uint32_t be16(const uint8_t *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put16(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v);
}

void atapi_set_sense(struct atapi_state *s, uint8_t key, uint8_t asc)
{
    s->sense_key = key;
    s->asc = asc;
    s->ascq = 0;
}

void atapi_reset(struct atapi_state *s)
{
    s->locked = false;
    atapi_set_sense(s, SENSE_NONE, 0);
}

void atapi_set_medium(struct atapi_state *s, bool medium, uint32_t blocks)
{
    s->medium = medium;
    s->blocks = medium ? blocks : 0;
    s->unit_attention = true;
}

static enum atapi_result error(struct atapi_state *s, uint8_t key, uint8_t asc)
{
    atapi_set_sense(s, key, asc);
    return ATAPI_ERROR;
}

static enum atapi_result reply(struct atapi_request *r, uint32_t len, uint32_t alloc)
{
    r->reply_len = len < alloc ? len : alloc;
    return r->reply_len ? ATAPI_REPLY : ATAPI_DONE;
}

/* A logical block as minutes, seconds, frames (75 a second, 2 s of lead-in). */
static void msf(uint8_t *p, uint32_t lba)
{
    lba += 150;
    p[0] = 0;
    p[1] = (uint8_t)(lba / (60 * 75));
    p[2] = (uint8_t)((lba / 75) % 60);
    p[3] = (uint8_t)(lba % 75);
}

static enum atapi_result read_toc(struct atapi_state *s, const uint8_t *cdb, struct atapi_request *r)
{
    bool use_msf = cdb[1] & 0x02;
    unsigned format = cdb[2] & 0x0F;
    if (format == 0 && (cdb[9] >> 6))
        format = cdb[9] >> 6; /* the old (SFF-8020) place of the format */
    uint32_t alloc = be16(cdb + 7);
    uint8_t *b = r->reply;
    memset(b, 0, 32);
    if (format == 0) {
        unsigned start = cdb[6];
        if (start > 1 && start != 0xAA)
            return error(s, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
        unsigned n = 4;
        b[2] = 1; /* first track */
        b[3] = 1; /* last track */
        if (start <= 1) {
            b[n + 1] = 0x14; /* ADR 1, control: data track */
            b[n + 2] = 1;
            if (use_msf)
                msf(b + n + 4, 0);
            else
                put32(b + n + 4, 0);
            n += 8;
        }
        b[n + 1] = 0x14;
        b[n + 2] = 0xAA; /* lead-out */
        if (use_msf)
            msf(b + n + 4, s->blocks);
        else
            put32(b + n + 4, s->blocks);
        n += 8;
        put16(b, n - 2);
        return reply(r, n, alloc);
    }
    if (format == 1) { /* session information: one session, starting at track 1 */
        put16(b, 10);
        b[2] = b[3] = 1;
        b[5] = 0x14;
        b[6] = 1;
        if (use_msf)
            msf(b + 8, 0);
        return reply(r, 12, alloc);
    }
    return error(s, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
}

static enum atapi_result mode_sense(struct atapi_state *s, const uint8_t *cdb, struct atapi_request *r)
{
    unsigned page = cdb[2] & 0x3F, control = cdb[2] >> 6;
    uint32_t alloc = be16(cdb + 7);
    uint8_t *b = r->reply;
    memset(b, 0, 64);
    unsigned n = 8; /* the mode parameter header (10-byte form) */
    b[2] = s->medium ? 0x01 : 0x70; /* medium type: 120 mm data disc, or no disc */
    if (control == 3)
        return error(s, SENSE_ILLEGAL_REQUEST, 0x39); /* saving parameters not supported */
    if (page == 0x01 || page == 0x3F) { /* read error recovery */
        b[n] = 0x01;
        b[n + 1] = 6;
        b[n + 3] = 5; /* read retry count */
        n += 8;
    }
    if (page == 0x2A || page == 0x3F) { /* CD capabilities and mechanical status */
        uint8_t *p = b + n;
        p[0] = 0x2A;
        p[1] = 0x12;
        p[2] = 0x03;              /* reads CD-R and CD-RW */
        p[4] = 0x71;              /* audio play, mode 2 forms */
        p[5] = 0x5F;
        p[6] = (uint8_t)(0x29 | (s->locked ? 0x02 : 0)); /* tray, eject, lock (and lock state) */
        p[7] = 0x03;              /* separate volume and mute */
        put16(p + 8, 706);        /* maximum speed, kB/s (4x) */
        put16(p + 10, 256);       /* volume levels */
        put16(p + 12, 2048);      /* buffer size, KiB */
        put16(p + 14, 706);       /* current speed */
        n += 20;
    }
    if (n == 8)
        return error(s, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
    put16(b, n - 2);
    return reply(r, n, alloc);
}

enum atapi_result atapi_command(struct atapi_state *s, const uint8_t cdb[12], struct atapi_request *r)
{
    uint8_t op = cdb[0];
    r->reply_len = 0;
    r->lba = r->count = 0;
    /* A changed disc is reported once to the first command that is not
     * INQUIRY or REQUEST SENSE (SPC's unit attention). */
    if (s->unit_attention && op != 0x12 && op != 0x03 && op != 0x4A && op != 0x46) {
        s->unit_attention = false;
        if (s->medium)
            return error(s, SENSE_UNIT_ATTENTION, ASC_MEDIUM_CHANGED);
    }
    bool needs_medium = op == 0x00 || op == 0x25 || op == 0x28 || op == 0xA8 || op == 0x43;
    if (needs_medium && !s->medium)
        return error(s, SENSE_NOT_READY, ASC_MEDIUM_NOT_PRESENT);
    uint8_t *b = r->reply;
    switch (op) {
    case 0x00: /* TEST UNIT READY */
        atapi_set_sense(s, SENSE_NONE, 0);
        return ATAPI_DONE;
    case 0x03: { /* REQUEST SENSE */
        memset(b, 0, 18);
        b[0] = 0x70; /* current error, fixed format */
        b[2] = s->sense_key;
        b[7] = 10;
        b[12] = s->asc;
        b[13] = s->ascq;
        atapi_set_sense(s, SENSE_NONE, 0);
        return reply(r, 18, cdb[4]);
    }
    case 0x12: /* INQUIRY */
        if (cdb[1] & 0x01) /* vital product data: none */
            return error(s, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
        memset(b, 0, 36);
        b[0] = 0x05;  /* CD/DVD device */
        b[1] = 0x80;  /* removable */
        b[2] = 0x00;
        b[3] = 0x21;  /* ATAPI, response data format 1 */
        b[4] = 31;
        memcpy(b + 8, "POPEK   ", 8);
        memcpy(b + 16, "CD-ROM          ", 16);
        memcpy(b + 32, "1.0 ", 4);
        return reply(r, 36, cdb[4]);
    case 0x1B: /* START STOP UNIT: no tray to move */
    case 0xBB: /* SET CD SPEED */
    case 0x2B: /* SEEK(10) */
        return ATAPI_DONE;
    case 0x1E: /* PREVENT ALLOW MEDIUM REMOVAL */
        s->locked = cdb[4] & 0x01;
        return ATAPI_DONE;
    case 0x25: /* READ CAPACITY */
        put32(b, s->blocks ? s->blocks - 1 : 0);
        put32(b + 4, ATAPI_BLOCK);
        return reply(r, 8, 8);
    case 0x28: /* READ(10) */
    case 0xA8: { /* READ(12) */
        uint32_t lba = be32(cdb + 2);
        uint32_t count = op == 0x28 ? be16(cdb + 7) : be32(cdb + 6);
        if (lba > s->blocks || count > s->blocks - lba)
            return error(s, SENSE_ILLEGAL_REQUEST, ASC_LBA_OUT_OF_RANGE);
        if (count == 0)
            return ATAPI_DONE;
        r->lba = lba;
        r->count = count;
        return ATAPI_READ;
    }
    case 0x43: /* READ TOC/PMA/ATIP */
        return read_toc(s, cdb, r);
    case 0x5A: /* MODE SENSE(10) */
        return mode_sense(s, cdb, r);
    case 0x46: { /* GET CONFIGURATION: the feature header and the profile list */
        uint32_t alloc = be16(cdb + 7);
        bool dvd = s->blocks > 400000; /* more than a CD holds (about 800 MB) */
        memset(b, 0, 20);
        put16(b + 6, s->medium ? (dvd ? 0x0010 : 0x0008) : 0); /* current profile */
        /* Feature 0000h: profile list, with CD-ROM and DVD-ROM. */
        b[8 + 1] = 0x00;
        b[8 + 2] = 0x03; /* version 0, persistent, current */
        b[8 + 3] = 8;
        put16(b + 12, 0x0010);
        b[14] = dvd;
        put16(b + 16, 0x0008);
        b[18] = s->medium && !dvd;
        put32(b, 20 - 4);
        return reply(r, 20, alloc);
    }
    case 0x4A: { /* GET EVENT STATUS NOTIFICATION: polled media events only */
        if (!(cdb[1] & 0x01))
            return error(s, SENSE_ILLEGAL_REQUEST, ASC_INVALID_FIELD);
        uint32_t alloc = be16(cdb + 7);
        memset(b, 0, 8);
        put16(b, 6);
        b[2] = 0x04;  /* media class */
        b[3] = 0x10;  /* classes supported: media */
        b[4] = 0x00;  /* no change */
        b[5] = s->medium ? 0x02 : 0x00; /* media present */
        return reply(r, 8, alloc);
    }
    default:
        return error(s, SENSE_ILLEGAL_REQUEST, ASC_INVALID_OPCODE);
    }
}
