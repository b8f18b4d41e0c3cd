/* The MC146818A real-time clock and CMOS RAM (Motorola datasheet) as a PC
 * wires it: index port 0x70 (bit 7 masks NMI), data port 0x71, the
 * chipset's second 128-byte bank at 0x72/0x73, IRQ 8.  Time runs on the
 * virtual clock from a start time given at init, so a run is deterministic;
 * the update cycle, periodic, alarm and update-ended interrupts follow the
 * 32.768 kHz divider chain.  Bytes 0x0E-0xFF are battery-backed RAM; the
 * machine fills the ones a PC BIOS reads with rtc_fill_pc_bios_bytes(). */
#ifndef POPEK_DEVICES_RTC_H
#define POPEK_DEVICES_RTC_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/clock.h"
#include "devices/irq.h"

struct bus;
struct sv_reader;
struct sv_writer;

#define RTC_PORT_INDEX 0x70     /* write: bits 0-6 index, bit 7 NMI mask */
#define RTC_PORT_DATA 0x71
#define RTC_PORT_EXT_INDEX 0x72 /* bytes 0x80-0xFF */
#define RTC_PORT_EXT_DATA 0x73
#define RTC_IRQ 8

/* Clock registers. */
#define RTC_SECONDS 0x00
#define RTC_SECONDS_ALARM 0x01
#define RTC_MINUTES 0x02
#define RTC_MINUTES_ALARM 0x03
#define RTC_HOURS 0x04
#define RTC_HOURS_ALARM 0x05
#define RTC_DAY_OF_WEEK 0x06 /* 1 = Sunday */
#define RTC_DAY_OF_MONTH 0x07
#define RTC_MONTH 0x08
#define RTC_YEAR 0x09
#define RTC_REG_A 0x0A
#define RTC_REG_B 0x0B
#define RTC_REG_C 0x0C
#define RTC_REG_D 0x0D

#define RTC_A_UIP 0x80 /* update in progress (read only) */
#define RTC_A_DV 0x70  /* divider: 010 = 32.768 kHz, running */
#define RTC_A_RS 0x0F  /* periodic rate select */
#define RTC_A_DV_32K 0x20

#define RTC_B_SET 0x80
#define RTC_B_PIE 0x40
#define RTC_B_AIE 0x20
#define RTC_B_UIE 0x10
#define RTC_B_SQWE 0x08
#define RTC_B_DM 0x04  /* 1: binary, 0: BCD */
#define RTC_B_24H 0x02 /* 1: 24-hour, 0: 12-hour with bit 7 = PM */
#define RTC_B_DSE 0x01 /* daylight saving (the chip's 1980s US rule) */

#define RTC_C_IRQF 0x80
#define RTC_C_PF 0x40
#define RTC_C_AF 0x20
#define RTC_C_UF 0x10

#define RTC_D_VRT 0x80

#define RTC_ALARM_DONT_CARE 0xC0 /* an alarm byte of 0xC0-0xFF matches any value */

/* Bytes a PC BIOS reads (IBM AT layout, plus the 0x30/0x34 extensions that
 * the Bochs BIOS and SeaBIOS use). */
#define RTC_CMOS_SHUTDOWN 0x0F
#define RTC_CMOS_FLOPPY 0x10    /* drive A in bits 4-7, B in bits 0-3 */
#define RTC_CMOS_DISK 0x12      /* disk 0 in bits 4-7, disk 1 in bits 0-3 */
#define RTC_CMOS_EQUIPMENT 0x14
#define RTC_CMOS_BASE_LO 0x15   /* base memory in KiB */
#define RTC_CMOS_BASE_HI 0x16
#define RTC_CMOS_EXT_LO 0x17    /* memory above 1 MiB in KiB */
#define RTC_CMOS_EXT_HI 0x18
#define RTC_CMOS_DISK0_TYPE 0x19 /* when the 0x12 nibble is 0xF */
#define RTC_CMOS_DISK1_TYPE 0x1A
#define RTC_CMOS_CHECKSUM_HI 0x2E /* sum of 0x10-0x2D, big endian */
#define RTC_CMOS_CHECKSUM_LO 0x2F
#define RTC_CMOS_EXT2_LO 0x30    /* memory above 1 MiB in KiB (again) */
#define RTC_CMOS_EXT2_HI 0x31
#define RTC_CMOS_CENTURY 0x32
#define RTC_CMOS_HIGHMEM_LO 0x34 /* memory above 16 MiB in 64 KiB blocks */
#define RTC_CMOS_HIGHMEM_HI 0x35

/* Floppy drive types for RTC_CMOS_FLOPPY. */
#define RTC_FLOPPY_NONE 0
#define RTC_FLOPPY_360K 1
#define RTC_FLOPPY_1200K 2
#define RTC_FLOPPY_720K 3
#define RTC_FLOPPY_1440K 4
#define RTC_FLOPPY_2880K 5

#define RTC_CMOS_SIZE 256

struct rtc {
    struct vclock *clk;
    struct irq_line irq;
    uint8_t cmos[RTC_CMOS_SIZE]; /* 0x0A-0x0D hold A-D (A without UIP) */
    uint8_t index;               /* 0x70: 0-0x7F */
    uint8_t ext_index;           /* 0x72: 0-0x7F, for bytes 0x80-0xFF */
    bool nmi_masked;
    bool irq_level;
    bool dse_repeated;    /* the October hour 1:00-1:59 was run twice today */
    uint64_t next_update; /* virtual time of the next update cycle */
    uint64_t last_sync;   /* time up to which flags and registers are current */
    struct vtimer timer;  /* wakes up for enabled interrupts only */
};

/* Registers ports 0x70-0x73 and a timer.  start_epoch_seconds is the time
 * the clock shows at virtual time clk->now, as a UTC broken-down time (a
 * machine that wants local time adds the zone offset).  irq8 is copied
 * (may be NULL).  Registers start as a PC's battery left them: A = 0x26,
 * B = 0x02 (BCD, 24 hours), D = VRT.  Returns 0 or -errno. */
int rtc_init(struct rtc *r, struct bus *bus, struct vclock *clk, const struct irq_line *irq8,
             int64_t start_epoch_seconds);
/* The RESET pin (a machine reset): clears PIE, AIE, UIE, SQWE and every
 * flag of register C, lowers IRQ 8.  Time, register A, the data format and
 * the RAM are kept. */
void rtc_reset(struct rtc *r);

/* Sets the clock registers (and the century byte) to a time, in the
 * current data mode; years are clamped to 1900-9999. */
void rtc_set_time(struct rtc *r, int64_t epoch_seconds);

/* Whether the last write to port 0x70 had bit 7 set (NMI disabled). */
bool rtc_nmi_masked(const struct rtc *r);

/* The RAM bytes 0x0E-0xFF, for the machine.  Returns 0, or -EINVAL for a
 * clock register or an index past the end. */
int rtc_set_nvram(struct rtc *r, unsigned index, uint8_t val);
int rtc_get_nvram(const struct rtc *r, unsigned index, uint8_t *val);

/* What a PC BIOS reads from CMOS. */
struct rtc_pc_config {
    uint64_t ram_bytes;
    bool has_fpu;
    unsigned floppies;       /* drives, 0-2 */
    uint8_t floppy_type[2];  /* RTC_FLOPPY_* of drive A and B */
    uint8_t disk_type[2];    /* 0 none, 1-14 an AT type, 15-255 via 0x19/0x1A */
    uint8_t display;         /* equipment bits 4-5: 0 EGA/VGA, 1 CGA 40, 2 CGA 80, 3 MDA */
};
/* Fills base, extended and high memory, the equipment byte, floppy and
 * disk types, and the checksum.  The century byte is set by the clock
 * (rtc_init / rtc_set_time). */
void rtc_fill_pc_bios_bytes(struct rtc *r, const struct rtc_pc_config *cfg);
/* Recomputes the checksum of 0x10-0x2D into 0x2E/0x2F. */
void rtc_update_pc_checksum(struct rtc *r);

/* Savestate (mem/sv.h): the 256 bytes of clock registers and RAM, both
 * index registers, the NMI mask bit, IRQ 8's level, the update-cycle
 * schedule (next_update, last_sync, in virtual time) and the timer. */
#define RTC_SV_VERSION 1
void rtc_save(const struct rtc *r, struct sv_writer *w);
void rtc_load(struct rtc *r, struct sv_reader *rd, unsigned version);

#endif
