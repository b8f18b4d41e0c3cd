/* The SCSI/MMC command set of an ATAPI CD-ROM drive (MMC-2, SPC, the ATAPI
 * spec SFF-8020i), apart from the transport: given a 12-byte packet and
 * the medium, decide the reply bytes, a read of 2048-byte blocks, or the
 * sense data of an error.  devices/ide_atapi.c carries packets and data
 * over the ATA PACKET protocol (PIO or DMA). */
#ifndef POPEK_DEVICES_ATAPI_H
#define POPEK_DEVICES_ATAPI_H

#include <stdbool.h>
#include <stdint.h>

#define ATAPI_BLOCK 2048
#define ATAPI_REPLY_MAX 512

/* Sense keys and the additional sense codes used. */
#define SENSE_NONE 0x0
#define SENSE_NOT_READY 0x2
#define SENSE_MEDIUM_ERROR 0x3
#define SENSE_ILLEGAL_REQUEST 0x5
#define SENSE_UNIT_ATTENTION 0x6
#define ASC_INVALID_OPCODE 0x20
#define ASC_LBA_OUT_OF_RANGE 0x21
#define ASC_INVALID_FIELD 0x24
#define ASC_MEDIUM_CHANGED 0x28
#define ASC_MEDIUM_NOT_PRESENT 0x3A
#define ASC_READ_ERROR 0x11

struct atapi_state {
    bool medium;          /* a disc is in */
    uint32_t blocks;      /* its size in 2048-byte blocks */
    bool unit_attention;  /* the disc changed: the next command reports it once */
    bool locked;          /* PREVENT ALLOW MEDIUM REMOVAL */
    uint8_t sense_key, asc, ascq; /* of the last command (REQUEST SENSE) */
};

enum atapi_result {
    ATAPI_DONE,  /* no data */
    ATAPI_REPLY, /* reply[0..reply_len) to the host */
    ATAPI_READ,  /* read blocks [lba, lba + count) */
    ATAPI_ERROR, /* check condition: sense in the state */
};

struct atapi_request {
    uint8_t reply[ATAPI_REPLY_MAX];
    uint32_t reply_len;
    uint32_t lba, count;
};

void atapi_reset(struct atapi_state *s);
/* Inserts (blocks > 0) or removes (medium false) the disc. */
void atapi_set_medium(struct atapi_state *s, bool medium, uint32_t blocks);
enum atapi_result atapi_command(struct atapi_state *s, const uint8_t cdb[12], struct atapi_request *r);
/* For the transport: an error it met itself (a failed read). */
void atapi_set_sense(struct atapi_state *s, uint8_t key, uint8_t asc);

#endif
