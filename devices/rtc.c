/* MC146818A real-time clock and CMOS RAM (see rtc.h), from the Motorola
 * MC146818A datasheet: the register map, the update cycle with UIP, the
 * divider chain's periodic rates (table 4), the alarm's don't-care codes
 * and the interrupt flags of register C. */
#include "devices/rtc.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "mem/bus.h"
#include "mem/sv.h"

#define NS_PER_SEC 1000000000ull
#define CHAIN_HZ 32768u         /* the PC's time base: DV = 010 */
#define UIP_TICKS 8u            /* 244.140625 us of the 32.768 kHz chain */

/* Divider-chain ticks in d ns (d < 1 s): 1e9 / 32768 = 1953125 / 64 ns. */
static uint64_t rtc_ticks(uint64_t d)
{
    return d * 64 / 1953125;
}

/* The first time at or after which `ticks` ticks have passed. */
static uint64_t rtc_ticks_ns(uint64_t ticks)
{
    return (ticks * 1953125 + 63) / 64;
}

static bool rtc_running(const struct rtc *r)
{
    return (r->cmos[RTC_REG_A] & RTC_A_DV) == RTC_A_DV_32K;
}

/* The periodic interrupt's period in chain ticks, or 0 for none. */
static unsigned rtc_period_ticks(const struct rtc *r)
{
    unsigned rs = r->cmos[RTC_REG_A] & RTC_A_RS;
    if (rs == 0)
        return 0;
    if (rs <= 2)
        rs += 7; /* with a 32.768 kHz base, rates 1 and 2 equal 8 and 9 */
    return 1u << (rs - 1);
}

/* Ticks since the last second boundary (the last update). */
static uint64_t rtc_phase(const struct rtc *r, uint64_t now)
{
    return rtc_ticks(now + NS_PER_SEC - r->next_update);
}

/* --- calendar ------------------------------------------------------------- */

static bool rtc_bcd(const struct rtc *r)
{
    return !(r->cmos[RTC_REG_B] & RTC_B_DM);
}

static unsigned rtc_dec(const struct rtc *r, uint8_t v)
{
    return rtc_bcd(r) ? (v >> 4) * 10u + (v & 0x0F) : v;
}

static uint8_t rtc_enc(const struct rtc *r, unsigned v)
{
    v %= 100;
    return (uint8_t)(rtc_bcd(r) ? ((v / 10) << 4) | (v % 10) : v);
}

static unsigned rtc_get_hour(const struct rtc *r)
{
    uint8_t raw = r->cmos[RTC_HOURS];
    if (r->cmos[RTC_REG_B] & RTC_B_24H)
        return rtc_dec(r, raw);
    return rtc_dec(r, raw & 0x7F) % 12 + ((raw & 0x80) ? 12 : 0);
}

static void rtc_put_hour(struct rtc *r, unsigned h24)
{
    if (r->cmos[RTC_REG_B] & RTC_B_24H) {
        r->cmos[RTC_HOURS] = rtc_enc(r, h24);
    } else {
        unsigned h12 = h24 % 12 ? h24 % 12 : 12;
        r->cmos[RTC_HOURS] = (uint8_t)(rtc_enc(r, h12) | (h24 >= 12 ? 0x80 : 0));
    }
}

/* The chip's leap-year rule: a two-digit year divisible by 4 (right from
 * 1901 to 2099). */
static unsigned rtc_days_in_month(unsigned month, unsigned year)
{
    static const uint8_t days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    if (month < 1 || month > 12)
        return 31; /* a guest wrote a month that does not exist */
    if (month == 2 && year % 4 == 0)
        return 29;
    return days[month - 1];
}

static bool rtc_alarm_match(uint8_t alarm, uint8_t val)
{
    return (alarm & RTC_ALARM_DONT_CARE) == RTC_ALARM_DONT_CARE || alarm == val;
}

/* One update cycle: the time advances a second (with carries through the
 * calendar), then the alarm is compared and UF set.  Registers holding
 * values out of range roll over at their next increment; fields that do
 * not change are left as written. */
static void rtc_update_cycle(struct rtc *r)
{
    uint8_t *c = r->cmos;
    if (c[RTC_REG_B] & RTC_B_SET)
        return; /* updates are inhibited while the time is being set */
    unsigned sec = rtc_dec(r, c[RTC_SECONDS]);
    unsigned min = rtc_dec(r, c[RTC_MINUTES]);
    unsigned hour = rtc_get_hour(r);
    unsigned dow = rtc_dec(r, c[RTC_DAY_OF_WEEK]);
    unsigned day = rtc_dec(r, c[RTC_DAY_OF_MONTH]);
    unsigned mon = rtc_dec(r, c[RTC_MONTH]);
    unsigned year = rtc_dec(r, c[RTC_YEAR]);
    bool last_sunday = dow == 1 && day + 7 > rtc_days_in_month(mon, year);

    if ((c[RTC_REG_B] & RTC_B_DSE) && last_sunday && hour == 1 && min == 59 && sec == 59 &&
        (mon == 4 || (mon == 10 && !r->dse_repeated))) {
        /* April: 1:59:59 -> 3:00:00.  October: 1:59:59 -> 1:00:00, once. */
        if (mon == 10)
            r->dse_repeated = true;
        c[RTC_SECONDS] = rtc_enc(r, 0);
        c[RTC_MINUTES] = rtc_enc(r, 0);
        rtc_put_hour(r, mon == 4 ? 3 : 1);
    } else if (++sec < 60) {
        c[RTC_SECONDS] = rtc_enc(r, sec);
    } else {
        c[RTC_SECONDS] = rtc_enc(r, 0);
        if (++min < 60) {
            c[RTC_MINUTES] = rtc_enc(r, min);
        } else {
            c[RTC_MINUTES] = rtc_enc(r, 0);
            if (++hour < 24) {
                rtc_put_hour(r, hour);
            } else {
                rtc_put_hour(r, 0);
                r->dse_repeated = false;
                c[RTC_DAY_OF_WEEK] = rtc_enc(r, dow >= 7 ? 1 : dow + 1);
                if (++day <= rtc_days_in_month(mon, year)) {
                    c[RTC_DAY_OF_MONTH] = rtc_enc(r, day);
                } else {
                    c[RTC_DAY_OF_MONTH] = rtc_enc(r, 1);
                    if (++mon <= 12) {
                        c[RTC_MONTH] = rtc_enc(r, mon);
                    } else {
                        c[RTC_MONTH] = rtc_enc(r, 1);
                        /* The chip keeps two digits; the century byte is
                         * RAM that the BIOS maintains. */
                        c[RTC_YEAR] = rtc_enc(r, year >= 99 ? 0 : year + 1);
                    }
                }
            }
        }
    }

    if (rtc_alarm_match(c[RTC_SECONDS_ALARM], c[RTC_SECONDS]) &&
        rtc_alarm_match(c[RTC_MINUTES_ALARM], c[RTC_MINUTES]) &&
        rtc_alarm_match(c[RTC_HOURS_ALARM], c[RTC_HOURS]))
        c[RTC_REG_C] |= RTC_C_AF;
    c[RTC_REG_C] |= RTC_C_UF;
}

static bool rtc_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

void rtc_set_time(struct rtc *r, int64_t t)
{
    /* Clamp to 1900-01-01 .. 9999-12-31 23:59:59. */
    if (t < -2208988800LL)
        t = -2208988800LL;
    if (t > 253402300799LL)
        t = 253402300799LL;
    int64_t days = t / 86400, secs = t % 86400;
    if (secs < 0) {
        secs += 86400;
        days--;
    }
    unsigned dow = (unsigned)(((days % 7) + 7 + 4) % 7) + 1; /* 1970-01-01: Thursday */
    int64_t year = 1970;
    while (days < 0) {
        year--;
        days += rtc_leap(year) ? 366 : 365;
    }
    while (days >= (rtc_leap(year) ? 366 : 365)) {
        days -= rtc_leap(year) ? 366 : 365;
        year++;
    }
    static const uint8_t mdays[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    unsigned mon = 0;
    while (mon < 11) {
        unsigned n = mdays[mon] + (mon == 1 && rtc_leap(year) ? 1 : 0);
        if (days < n)
            break;
        days -= n;
        mon++;
    }
    uint8_t *c = r->cmos;
    c[RTC_SECONDS] = rtc_enc(r, (unsigned)(secs % 60));
    c[RTC_MINUTES] = rtc_enc(r, (unsigned)(secs / 60 % 60));
    rtc_put_hour(r, (unsigned)(secs / 3600));
    c[RTC_DAY_OF_WEEK] = rtc_enc(r, dow);
    c[RTC_DAY_OF_MONTH] = rtc_enc(r, (unsigned)days + 1);
    c[RTC_MONTH] = rtc_enc(r, mon + 1);
    c[RTC_YEAR] = rtc_enc(r, (unsigned)(year % 100));
    c[RTC_CMOS_CENTURY] = rtc_enc(r, (unsigned)(year / 100));
    r->dse_repeated = false;
}

/* --- time and interrupts -------------------------------------------------- */

/* Brings the clock registers and the flags up to virtual time now. */
static void rtc_sync(struct rtc *r)
{
    uint64_t now = r->clk->now;
    if (now < r->last_sync)
        now = r->last_sync;
    if (!rtc_running(r)) {
        r->last_sync = now;
        return;
    }
    bool crossed = false;
    while (now >= r->next_update) {
        crossed = true;
        rtc_update_cycle(r);
        r->next_update += NS_PER_SEC;
    }
    unsigned p = rtc_period_ticks(r);
    /* Every period divides a second, so a second boundary is a periodic
     * edge too. */
    if (p && (crossed || rtc_phase(r, now) / p > rtc_phase(r, r->last_sync) / p))
        r->cmos[RTC_REG_C] |= RTC_C_PF;
    r->last_sync = now;
}

static void rtc_update_irq(struct rtc *r)
{
    /* PF/AF/UF and PIE/AIE/UIE share bit positions. */
    uint8_t c = r->cmos[RTC_REG_C] & (RTC_C_PF | RTC_C_AF | RTC_C_UF);
    if (c & r->cmos[RTC_REG_B])
        c |= RTC_C_IRQF;
    r->cmos[RTC_REG_C] = c;
    bool level = c & RTC_C_IRQF;
    if (level != r->irq_level) {
        r->irq_level = level;
        irq_set(&r->irq, level);
    }
}

/* Arms the timer for the next event that would raise IRQ 8, if any. */
static void rtc_rearm(struct rtc *r)
{
    uint8_t b = r->cmos[RTC_REG_B], c = r->cmos[RTC_REG_C];
    uint64_t t = CLOCK_NEVER;
    if (rtc_running(r)) {
        if (!(b & RTC_B_SET) &&
            (((b & RTC_B_UIE) && !(c & RTC_C_UF)) || ((b & RTC_B_AIE) && !(c & RTC_C_AF))))
            t = r->next_update;
        unsigned p = rtc_period_ticks(r);
        if (p && (b & RTC_B_PIE) && !(c & RTC_C_PF)) {
            uint64_t edge = (rtc_phase(r, r->last_sync) / p + 1) * p;
            uint64_t pt = r->next_update - NS_PER_SEC + rtc_ticks_ns(edge);
            if (pt < t)
                t = pt;
        }
    }
    if (t == CLOCK_NEVER)
        clock_timer_del(&r->timer);
    else
        clock_timer_mod(&r->timer, t);
}

static void rtc_timer(void *opaque, uint64_t now)
{
    struct rtc *r = opaque;
    (void)now;
    rtc_sync(r);
    rtc_update_irq(r);
    rtc_rearm(r);
}

/* --- registers ------------------------------------------------------------ */

static uint8_t rtc_read_reg(struct rtc *r, unsigned idx)
{
    uint8_t v;
    rtc_sync(r);
    switch (idx) {
    case RTC_REG_A:
        v = r->cmos[RTC_REG_A] & 0x7F;
        if (rtc_running(r) && !(r->cmos[RTC_REG_B] & RTC_B_SET) &&
            rtc_phase(r, r->last_sync) >= CHAIN_HZ - UIP_TICKS)
            v |= RTC_A_UIP;
        return v;
    case RTC_REG_C:
        v = r->cmos[RTC_REG_C];
        r->cmos[RTC_REG_C] = 0; /* reading C clears every flag */
        rtc_update_irq(r);
        rtc_rearm(r);
        return v;
    case RTC_REG_D:
        return RTC_D_VRT; /* the battery is good */
    default:
        return r->cmos[idx & 0xFF];
    }
}

static void rtc_write_reg(struct rtc *r, unsigned idx, uint8_t v)
{
    rtc_sync(r);
    switch (idx) {
    case RTC_REG_A: {
        bool was = rtc_running(r);
        r->cmos[RTC_REG_A] = v & 0x7F; /* UIP is read only */
        if (!was && rtc_running(r)) {
            /* Leaving divider reset: the first update is half a second
             * later. */
            r->next_update = r->last_sync + NS_PER_SEC / 2;
        }
        break;
    }
    case RTC_REG_B:
        if (v & RTC_B_SET)
            v &= (uint8_t)~RTC_B_UIE; /* SET going high clears UIE */
        r->cmos[RTC_REG_B] = v;
        break;
    case RTC_REG_C:
    case RTC_REG_D:
        return; /* read-only */
    default:
        r->cmos[idx & 0xFF] = v;
        return;
    }
    rtc_update_irq(r);
    rtc_rearm(r);
}

static uint32_t rtc_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct rtc *r = opaque;
    (void)size;
    switch (port) {
    case RTC_PORT_DATA:
        return rtc_read_reg(r, r->index);
    case RTC_PORT_EXT_DATA:
        return r->cmos[0x80 | r->ext_index];
    default:
        return 0xFF; /* the index registers are write-only */
    }
}

static void rtc_io_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct rtc *r = opaque;
    uint8_t v = (uint8_t)val;
    (void)size;
    switch (port) {
    case RTC_PORT_INDEX:
        r->index = v & 0x7F;
        r->nmi_masked = v & 0x80;
        break;
    case RTC_PORT_DATA:
        rtc_write_reg(r, r->index, v);
        break;
    case RTC_PORT_EXT_INDEX:
        r->ext_index = v & 0x7F;
        break;
    default:
        r->cmos[0x80 | r->ext_index] = v;
        break;
    }
}

static const struct io_ops rtc_io_ops = {
    .read = rtc_io_read,
    .write = rtc_io_write,
    .sizes = 1,
};

/* --- life cycle and the machine's interface ------------------------------- */

void rtc_reset(struct rtc *r)
{
    rtc_sync(r);
    r->cmos[RTC_REG_B] &= (uint8_t)~(RTC_B_PIE | RTC_B_AIE | RTC_B_UIE | RTC_B_SQWE);
    r->cmos[RTC_REG_C] = 0;
    rtc_update_irq(r);
    rtc_rearm(r);
}

int rtc_init(struct rtc *r, struct bus *bus, struct vclock *clk, const struct irq_line *irq8,
             int64_t start_epoch_seconds)
{
    memset(r, 0, sizeof(*r));
    r->clk = clk;
    if (irq8)
        r->irq = *irq8;
    r->cmos[RTC_REG_A] = RTC_A_DV_32K | 0x06; /* 1024 Hz, as a BIOS leaves it */
    r->cmos[RTC_REG_B] = RTC_B_24H;
    r->cmos[RTC_REG_D] = RTC_D_VRT;
    r->last_sync = clk->now;
    r->next_update = clk->now + NS_PER_SEC;
    rtc_set_time(r, start_epoch_seconds);
    if (clock_timer_init(clk, &r->timer, rtc_timer, r) < 0) {
        fprintf(stderr, "rtc: no free timer on the virtual clock\n");
        return -ENOSPC;
    }
    int rc = bus_io_register(bus, RTC_PORT_INDEX, 4, &rtc_io_ops, r);
    if (rc < 0) {
        fprintf(stderr, "rtc: cannot claim ports 0x70-0x73: %s\n", strerror(-rc));
        return rc;
    }
    return 0;
}

bool rtc_nmi_masked(const struct rtc *r)
{
    return r->nmi_masked;
}

int rtc_set_nvram(struct rtc *r, unsigned index, uint8_t val)
{
    if (index <= RTC_REG_D || index >= RTC_CMOS_SIZE)
        return -EINVAL;
    r->cmos[index] = val;
    return 0;
}

int rtc_get_nvram(const struct rtc *r, unsigned index, uint8_t *val)
{
    if (index <= RTC_REG_D || index >= RTC_CMOS_SIZE)
        return -EINVAL;
    *val = r->cmos[index];
    return 0;
}

void rtc_update_pc_checksum(struct rtc *r)
{
    unsigned sum = 0;
    for (unsigned i = RTC_CMOS_FLOPPY; i < RTC_CMOS_CHECKSUM_HI; i++)
        sum += r->cmos[i];
    r->cmos[RTC_CMOS_CHECKSUM_HI] = (uint8_t)(sum >> 8);
    r->cmos[RTC_CMOS_CHECKSUM_LO] = (uint8_t)sum;
}

static void rtc_put16(struct rtc *r, unsigned lo, uint64_t v)
{
    if (v > 0xFFFF)
        v = 0xFFFF;
    r->cmos[lo] = (uint8_t)v;
    r->cmos[lo + 1] = (uint8_t)(v >> 8);
}

void rtc_fill_pc_bios_bytes(struct rtc *r, const struct rtc_pc_config *cfg)
{
    const uint64_t mib = 1024 * 1024;
    uint64_t ram = cfg->ram_bytes;
    uint64_t base_kib = ram / 1024 < 640 ? ram / 1024 : 640;
    uint64_t ext_kib = ram > mib ? (ram - mib) / 1024 : 0;
    uint64_t high = ram > 16 * mib ? (ram - 16 * mib) / 65536 : 0;
    rtc_put16(r, RTC_CMOS_BASE_LO, base_kib);
    rtc_put16(r, RTC_CMOS_EXT_LO, ext_kib);
    rtc_put16(r, RTC_CMOS_EXT2_LO, ext_kib);
    rtc_put16(r, RTC_CMOS_HIGHMEM_LO, high);

    unsigned floppies = cfg->floppies > 2 ? 2 : cfg->floppies;
    uint8_t fa = floppies > 0 ? cfg->floppy_type[0] & 0x0F : 0;
    uint8_t fb = floppies > 1 ? cfg->floppy_type[1] & 0x0F : 0;
    r->cmos[RTC_CMOS_FLOPPY] = (uint8_t)(fa << 4 | fb);

    uint8_t eq = (uint8_t)((cfg->display & 3) << 4);
    if (floppies > 0)
        eq |= (uint8_t)(0x01 | (floppies - 1) << 6);
    if (cfg->has_fpu)
        eq |= 0x02;
    r->cmos[RTC_CMOS_EQUIPMENT] = eq;

    uint8_t nib[2];
    for (unsigned i = 0; i < 2; i++) {
        uint8_t t = cfg->disk_type[i];
        nib[i] = t < 15 ? t : 15;
        r->cmos[RTC_CMOS_DISK0_TYPE + i] = t < 15 ? 0 : t;
    }
    r->cmos[RTC_CMOS_DISK] = (uint8_t)(nib[0] << 4 | nib[1]);
    rtc_update_pc_checksum(r);
}

/* --- savestate ------------------------------------------------------------ */

void rtc_save(const struct rtc *r, struct sv_writer *w)
{
    sv_put_bytes(w, r->cmos, sizeof(r->cmos));
    sv_put_u8(w, r->index);
    sv_put_u8(w, r->ext_index);
    sv_put_bool(w, r->nmi_masked);
    sv_put_bool(w, r->irq_level);
    sv_put_bool(w, r->dse_repeated);
    sv_put_u64(w, r->next_update);
    sv_put_u64(w, r->last_sync);
    sv_put_u64(w, r->timer.deadline);
}

void rtc_load(struct rtc *r, struct sv_reader *rd, unsigned version)
{
    if (version != RTC_SV_VERSION) {
        sv_fail(rd, "version %u, this Popek reads %u", version, RTC_SV_VERSION);
        return;
    }
    sv_get_bytes(rd, r->cmos, sizeof(r->cmos));
    /* Register A is kept without UIP, which reads are computed with. */
    sv_check(rd, !(r->cmos[RTC_REG_A] & RTC_A_UIP), "rtc register A");
    r->index = (uint8_t)sv_get_max(rd, 1, 0x7F, "rtc index");
    r->ext_index = (uint8_t)sv_get_max(rd, 1, 0x7F, "rtc extended index");
    r->nmi_masked = sv_get_bool(rd);
    r->irq_level = sv_get_bool(rd);
    r->dse_repeated = sv_get_bool(rd);
    r->next_update = sv_get_u64(rd);
    r->last_sync = sv_get_u64(rd);
    r->timer.deadline = sv_get_u64(rd);
    /* A running clock catches up one update cycle per second from
     * next_update, which rtc_sync leaves within the second after
     * last_sync; one far behind would run that loop for every second in
     * between, and one near the top of time would wrap it. */
    if (sv_ok(rd) && rtc_running(r))
        sv_check(rd,
                 r->next_update > r->last_sync && r->next_update - r->last_sync <= NS_PER_SEC &&
                     r->next_update <= UINT64_MAX - NS_PER_SEC,
                 "rtc next update");
}
