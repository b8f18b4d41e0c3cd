/* Unit tests for the chipset devices' savestates (x_save / x_load /
 * x_post_load of pic, pit, rtc, uart, i8042 with ps2, port92, postcode,
 * dma8237, acpi_pm, ioapic, lapic, pci with i440fx and piix, fw_cfg).
 *
 * Each test builds two identical machines (rigs A and B, each with its own
 * bus, clock and device), drives A into a state in the middle of
 * something, then first feeds B broken streams made from A's (truncated,
 * a wrong version, one value out of range: the value's offset is found by
 * saving twice with only that field changed) and checks each is refused
 * with a message; then loads A's stream into B, which must read all of it
 * and save the very same bytes; then runs both on and checks they behave
 * the same (port reads, interrupts, timers) and still save the same. */
#include <stdlib.h>
#include <string.h>

#include "devices/chardev.h"
#include "devices/clock.h"
#include "devices/dma8237.h"
#include "devices/fw_cfg.h"
#include "devices/i440fx.h"
#include "devices/i8042.h"
#include "devices/ioapic.h"
#include "devices/lapic.h"
#include "devices/pci.h"
#include "devices/pic.h"
#include "devices/piix.h"
#include "devices/pit.h"
#include "devices/port92.h"
#include "devices/postcode.h"
#include "devices/rtc.h"
#include "devices/uart.h"
#include "mem/sv.h"
#include "tests/unit/unit.h"

/* ---- two machines ---- */

#define LINES 32
#define INTR_LINE 31 /* where a controller's INTR output is recorded */
#define MSG_MAX 64

/* An APIC-bus message the I/O APIC sent. */
struct msg {
    uint8_t dest, vector;
    bool logical, level;
    unsigned mode;
};

/* A PCI function with two I/O BARs that claim their ports on the bus;
 * each port reads as the BAR's tag. */
struct fake_bar {
    uint8_t tag;
    uint32_t decoded; /* from bar_moved: PCI_BAR_UNMAPPED or the address */
};

struct fake_fn {
    struct pci_device dev;
    struct bus *bus;
    struct fake_bar bar[2];
    unsigned clashes; /* ports still held by someone else */
};

struct rig {
    struct bus bus;
    struct vclock clk;
    bool level[LINES];
    unsigned changes[LINES];
    unsigned resets;
    struct msg msgs[MSG_MAX];
    unsigned nmsgs;
    bool accept; /* what the fake APIC bus answers */
    uint8_t eoi_vec[8];
    unsigned eois;
    uint8_t pam[I440FX_PAM_REGIONS]; /* as pam_changed last reported: bit 0 RE, 1 WE */
    unsigned pam_reports;

    struct pic pic;
    struct pit pit;
    struct rtc rtc;
    struct chardev cd; /* the UART's host side: output kept in memory */
    bool has_cd;
    struct uart uart;
    struct i8042 kbc;
    struct port92 p92;
    struct postcode post;
    struct dma8237 dma;
    struct acpi_pm pm;
    struct ioapic io;
    struct lapic apic;
    struct pci_bus pci;
    struct i440fx host;
    struct piix piix;
    struct fake_fn fake;
    struct fw_cfg fw;
    bool has_fw;
};

static struct rig A, B;

static void rig_line(void *opaque, int n, bool level)
{
    struct rig *g = opaque;
    cr_assert(n >= 0 && n < LINES);
    if (g->level[n] != level)
        g->changes[n]++;
    g->level[n] = level;
}

static void rig_intr(void *opaque, bool level)
{
    rig_line(opaque, INTR_LINE, level);
}

static void rig_reset(void *opaque)
{
    struct rig *g = opaque;
    g->resets++;
}

static void rig_init(struct rig *g)
{
    cr_assert(eq(int, bus_init(&g->bus, 1u << 20), 0));
    clock_init(&g->clk, 100);
}

static void setup(void)
{
    rig_init(&A);
    rig_init(&B);
}

static void teardown(void)
{
    if (A.has_fw)
        fw_cfg_free(&A.fw);
    if (B.has_fw)
        fw_cfg_free(&B.fw);
    if (A.has_cd)
        chardev_close(&A.cd);
    if (B.has_cd)
        chardev_close(&B.cd);
    bus_free(&A.bus);
    bus_free(&B.bus);
}

TestSuite(sv_chipset, .init = setup, .fini = teardown, .timeout = 20.0);

static struct irq_line line_of(struct rig *g, int n)
{
    return (struct irq_line){ rig_line, g, n };
}

/* B's clock at A's time (the machine restores the clock with the devices). */
static void clocks_sync(void)
{
    B.clk.now = A.clk.now;
    B.clk.frac = A.clk.frac;
}

static void advance_both(uint64_t t)
{
    clock_advance_to(&A.clk, t);
    clock_advance_to(&B.clk, t);
}

/* What the receivers of the devices' lines held when A was saved, which
 * the machine restores from their own state: from here on both count
 * changes afresh. */
static void records_sync(void)
{
    memcpy(B.level, A.level, sizeof(A.level));
    memset(A.changes, 0, sizeof(A.changes));
    memset(B.changes, 0, sizeof(B.changes));
    A.nmsgs = B.nmsgs = 0;
    A.eois = B.eois = 0;
    A.pam_reports = B.pam_reports = 0;
    A.resets = B.resets = 0;
}

static void records_same(void)
{
    for (int n = 0; n < LINES; n++) {
        cr_assert(eq(int, A.level[n], B.level[n]), "line %d: level", n);
        cr_assert(eq(uint, A.changes[n], B.changes[n]), "line %d: changes", n);
    }
    cr_assert(eq(uint, A.nmsgs, B.nmsgs), "APIC messages");
    for (unsigned i = 0; i < A.nmsgs && i < MSG_MAX; i++) {
        cr_assert(eq(u8, A.msgs[i].vector, B.msgs[i].vector), "message %u", i);
        cr_assert(eq(u8, A.msgs[i].dest, B.msgs[i].dest), "message %u", i);
        cr_assert(eq(uint, A.msgs[i].mode, B.msgs[i].mode), "message %u", i);
        cr_assert(eq(int, A.msgs[i].level, B.msgs[i].level), "message %u", i);
    }
    cr_assert(eq(uint, A.eois, B.eois), "EOIs");
    cr_assert(eq(mem, bytes(A.eoi_vec, sizeof(A.eoi_vec)), bytes(B.eoi_vec, sizeof(B.eoi_vec))));
    cr_assert(eq(uint, A.pam_reports, B.pam_reports), "PAM reports");
    cr_assert(eq(mem, bytes(A.pam, sizeof(A.pam)), bytes(B.pam, sizeof(B.pam))), "PAM state");
    cr_assert(eq(uint, A.resets, B.resets), "resets");
}

static void out_both(uint16_t port, uint32_t v, unsigned size)
{
    bus_out(&A.bus, port, v, size);
    bus_out(&B.bus, port, v, size);
}

static uint32_t in_same(uint16_t port, unsigned size)
{
    uint32_t a = bus_in(&A.bus, port, size), b = bus_in(&B.bus, port, size);
    cr_assert(eq(u32, a, b), "port 0x%x reads 0x%x on A, 0x%x on B", port, a, b);
    return a;
}

static void mmio_write_both(uint32_t addr, uint32_t v)
{
    bus_write(&A.bus, addr, v, 4);
    bus_write(&B.bus, addr, v, 4);
}

static uint32_t mmio_read_same(uint32_t addr)
{
    uint32_t a = bus_read(&A.bus, addr, 4), b = bus_read(&B.bus, addr, 4);
    cr_assert(eq(u32, a, b), "0x%08x reads 0x%x on A, 0x%x on B", addr, a, b);
    return a;
}

/* ---- streams ---- */

#define SAVE(kind, dev, w)                                \
    do {                                                  \
        sv_writer_init(w);                                \
        kind##_save(dev, w);                              \
        cr_assert(eq(int, (w)->failed, 0), #kind "_save failed"); \
    } while (0)

#define LOAD(kind, ver, dev, buf, len, r)             \
    do {                                              \
        sv_reader_init(r, buf, len, #kind);           \
        kind##_load(dev, r, ver);                     \
    } while (0)

/* Loading must have failed, with a message that names what. */
static void expect_fail(const struct sv_reader *r, const char *what)
{
    cr_assert(not(sv_ok(r)), "a bad stream loaded (wanted an error about '%s')", what);
    cr_assert(strstr(r->err, what) != NULL, "error '%s' does not say '%s'", r->err, what);
}

/* Every proper prefix of w is refused as truncated, and so is the whole
 * stream under another version. */
#define EXPECT_SHORT_AND_VERSION(kind, ver, dev, w)                         \
    do {                                                                    \
        struct sv_reader r_;                                                \
        for (size_t n_ = 0; n_ < (w)->len; n_++) {                          \
            LOAD(kind, ver, dev, (w)->buf, n_, &r_);                        \
            expect_fail(&r_, "truncated");                                  \
        }                                                                   \
        LOAD(kind, (ver) + 1, dev, (w)->buf, (w)->len, &r_);                \
        expect_fail(&r_, "version");                                        \
    } while (0)

/* w with byte at set to v must be refused with a message naming what. */
#define EXPECT_BAD_BYTE(kind, ver, dev, w, at, v, what)                     \
    do {                                                                    \
        cr_assert(lt(sz, (size_t)(at), (w)->len));                          \
        uint8_t *c_ = malloc((w)->len);                                     \
        cr_assert(c_ != NULL);                                              \
        memcpy(c_, (w)->buf, (w)->len);                                     \
        c_[at] = (uint8_t)(v);                                              \
        struct sv_reader r_;                                                \
        LOAD(kind, ver, dev, c_, (w)->len, &r_);                            \
        expect_fail(&r_, what);                                             \
        free(c_);                                                           \
    } while (0)

/* The stream of dev must be refused, naming what. */
#define EXPECT_REFUSED(kind, ver, src, dev, what)                           \
    do {                                                                    \
        struct sv_writer w_;                                                \
        SAVE(kind, src, &w_);                                               \
        struct sv_reader r_;                                                \
        LOAD(kind, ver, dev, w_.buf, w_.len, &r_);                          \
        expect_fail(&r_, what);                                             \
        sv_writer_free(&w_);                                                \
    } while (0)

/* a's state into b: the load reads the whole stream, and b then saves the
 * same bytes. */
#define TRANSFER(kind, ver, a, b)                                                     \
    do {                                                                              \
        struct sv_writer w1_, w2_;                                                    \
        struct sv_reader r_;                                                          \
        SAVE(kind, a, &w1_);                                                          \
        LOAD(kind, ver, b, w1_.buf, w1_.len, &r_);                                    \
        cr_assert(sv_ok(&r_), "load failed: %s", r_.err);                             \
        cr_assert(eq(sz, sv_left(&r_), 0), "load left bytes unread");                 \
        SAVE(kind, b, &w2_);                                                          \
        cr_assert(eq(sz, w2_.len, w1_.len));                                          \
        cr_assert(eq(mem, bytes(w2_.buf, w2_.len), bytes(w1_.buf, w1_.len)),          \
                  "the loaded " #kind " saves other bytes");                          \
        sv_writer_free(&w1_);                                                         \
        sv_writer_free(&w2_);                                                         \
    } while (0)

/* a and b save the same bytes. */
#define SAME(kind, a, b)                                                        \
    do {                                                                        \
        struct sv_writer w1_, w2_;                                              \
        SAVE(kind, a, &w1_);                                                    \
        SAVE(kind, b, &w2_);                                                    \
        cr_assert(eq(sz, w2_.len, w1_.len));                                    \
        cr_assert(eq(mem, bytes(w2_.buf, w2_.len), bytes(w1_.buf, w1_.len)),    \
                  #kind ": A and B went different ways");                       \
        sv_writer_free(&w1_);                                                   \
        sv_writer_free(&w2_);                                                   \
    } while (0)

/* The offset of the one byte where the streams of x and y differ: how a
 * test finds a field in a stream without knowing the layout. */
#define DIFF_AT(kind, x, y, at)                                                  \
    do {                                                                         \
        struct sv_writer wx_, wy_;                                               \
        SAVE(kind, x, &wx_);                                                     \
        SAVE(kind, y, &wy_);                                                     \
        cr_assert(eq(sz, wx_.len, wy_.len));                                     \
        unsigned n_ = 0;                                                         \
        for (size_t i_ = 0; i_ < wx_.len; i_++)                                  \
            if (wx_.buf[i_] != wy_.buf[i_] && n_++ == 0)                         \
                (at) = i_;                                                       \
        cr_assert(eq(uint, n_, 1), "the streams differ in %u bytes, not 1", n_); \
        sv_writer_free(&wx_);                                                    \
        sv_writer_free(&wy_);                                                    \
    } while (0)

/* ---- 8259A pair ---- */

static void pic_rig(struct rig *g)
{
    cr_assert(eq(int, pic_init(&g->pic, &g->bus), 0));
    pic_set_output(&g->pic, rig_intr, g);
}

static uint8_t ack_both(void)
{
    uint8_t a = pic_ack(&A.pic), b = pic_ack(&B.pic);
    cr_assert(eq(u8, a, b), "INTA: vector 0x%x on A, 0x%x on B", a, b);
    return a;
}

Test(sv_chipset, pic_mid_initialization)
{
    pic_rig(&A);
    pic_rig(&B);
    struct bus *ab = &A.bus;
    /* The master programmed, IRQ1 in service and IRQ0 waiting behind it;
     * the slave between ICW2 and ICW3 with a level input high. */
    bus_out(ab, 0x20, 0x11, 1);
    bus_out(ab, 0x21, 0x08, 1);
    bus_out(ab, 0x21, 0x04, 1);
    bus_out(ab, 0x21, 0x01, 1);
    bus_out(ab, 0x21, 0xF8, 1);
    bus_out(ab, 0x4D1, 0x0E, 1);
    bus_out(ab, 0xA0, 0x11, 1);
    bus_out(ab, 0xA1, 0x70, 1);
    pic_set_irq(&A.pic, 1, true);
    cr_assert(eq(u8, pic_ack(&A.pic), 0x09));
    pic_set_irq(&A.pic, 0, true);
    pic_set_irq(&A.pic, 10, true);
    bus_out(ab, 0x20, 0x0B, 1); /* OCW3: read ISR */
    cr_assert(eq(u8, A.pic.chip[1].init_step, 3));
    cr_assert(A.level[INTR_LINE]);

    struct sv_writer w;
    SAVE(pic, &A.pic, &w);
    EXPECT_SHORT_AND_VERSION(pic, PIC_SV_VERSION, &B.pic, &w);
    struct pic other = A.pic;
    size_t at = 0;
    other.chip[1].init_step = 4;
    DIFF_AT(pic, &A.pic, &other, at);
    EXPECT_BAD_BYTE(pic, PIC_SV_VERSION, &B.pic, &w, at, 1, "init_step");
    EXPECT_BAD_BYTE(pic, PIC_SV_VERSION, &B.pic, &w, at, 5, "init_step");
    other = A.pic;
    other.chip[0].lowest = 6;
    DIFF_AT(pic, &A.pic, &other, at);
    EXPECT_BAD_BYTE(pic, PIC_SV_VERSION, &B.pic, &w, at, 8, "lowest");
    other = A.pic;
    other.chip[0].read_isr = false;
    DIFF_AT(pic, &A.pic, &other, at);
    EXPECT_BAD_BYTE(pic, PIC_SV_VERSION, &B.pic, &w, at, 2, "flag");
    sv_writer_free(&w);

    TRANSFER(pic, PIC_SV_VERSION, &A.pic, &B.pic);
    records_sync();

    /* The slave's ICW3 and ICW4, then everything unmasked. */
    out_both(0xA1, 0x02, 1);
    out_both(0xA1, 0x01, 1);
    out_both(0xA1, 0x00, 1);
    cr_assert(eq(u32, in_same(0x20, 1), 0x02), "master ISR: IRQ1");
    in_same(0xA0, 1);
    in_same(0xA1, 1);
    out_both(0x20, 0x20, 1); /* IRQ1's handler is done */
    pic_set_irq(&A.pic, 9, true);
    pic_set_irq(&B.pic, 9, true);
    /* IRQ9 and 10 are level triggered (ELCR): each requests again until
     * its device lets go. */
    uint8_t vec[8];
    unsigned acks = 0;
    while (A.level[INTR_LINE] && acks < 8) {
        uint8_t v = ack_both();
        vec[acks++] = v;
        int drop = acks == 2 ? 9 : acks == 4 ? 10 : -1;
        if (drop >= 0) {
            pic_set_irq(&A.pic, drop, false);
            pic_set_irq(&B.pic, drop, false);
        }
        if (v >= 0x70)
            out_both(0xA0, 0x20, 1);
        out_both(0x20, 0x20, 1);
        in_same(0x20, 1);
    }
    cr_assert(eq(uint, acks, 4));
    cr_assert(eq(mem, bytes(vec, 4), bytes((uint8_t[]){ 0x08, 0x71, 0x72, 0x72 }, 4)),
              "IRQ0 (pending at the save), then the slave's IRQ9 and 10");
    records_same();
    SAME(pic, &A.pic, &B.pic);
}

/* ---- 8254 ---- */

static void pit_rig(struct rig *g)
{
    struct irq_line l = line_of(g, 0);
    cr_assert(eq(int, pit_init(&g->pit, &g->bus, &g->clk, &l), 0));
}

Test(sv_chipset, pit_counting_and_latched)
{
    pit_rig(&A);
    pit_rig(&B);
    struct bus *ab = &A.bus;
    clock_advance_to(&A.clk, 12345);
    /* Channel 0: rate generator of 1000, running (its timer armed). */
    bus_out(ab, 0x43, 0x34, 1);
    bus_out(ab, 0x40, 0xE8, 1);
    bus_out(ab, 0x40, 0x03, 1);
    /* Channel 2: a 1 kHz tone on the speaker. */
    bus_out(ab, 0x61, PIT_B_GATE2 | PIT_B_SPEAKER, 1);
    bus_out(ab, 0x43, 0xB6, 1);
    bus_out(ab, 0x42, 0xA9, 1);
    bus_out(ab, 0x42, 0x04, 1);
    /* Channel 1: square wave of 300, then mode 0 with only the LSB of a
     * new count written; channel 0's count latched and half read. */
    bus_out(ab, 0x43, 0x76, 1);
    bus_out(ab, 0x41, 0x2C, 1);
    bus_out(ab, 0x41, 0x01, 1);
    clock_advance_to(&A.clk, pit_ticks_to_ns(pit_ns_to_ticks(A.clk.now) + 1530) + 7);
    bus_out(ab, 0x43, 0x70, 1);
    bus_out(ab, 0x41, 0x34, 1);
    bus_out(ab, 0x43, 0x00, 1);
    (void)bus_in(ab, 0x40, 1);
    cr_assert(A.pit.ch[0].running && clock_timer_armed(&A.pit.timer));
    cr_assert(A.pit.ch[0].count_latched && A.pit.ch[0].read_msb);
    cr_assert(A.pit.ch[1].write_msb);
    cr_assert(A.pit.speaker_on);
    cr_assert(ge(uint, A.changes[0], 2), "IRQ0 has been pulsing");
    clocks_sync();

    struct sv_writer w;
    SAVE(pit, &A.pit, &w);
    EXPECT_SHORT_AND_VERSION(pit, PIT_SV_VERSION, &B.pit, &w);
    struct pit other = A.pit;
    size_t at = 0;
    /* The place in channel 0's period: one past the period is refused. */
    other.ch[0].pos ^= 1;
    DIFF_AT(pit, &A.pit, &other, at);
    EXPECT_BAD_BYTE(pit, PIT_SV_VERSION, &B.pit, &w, at + 1, 0x04, "position in the period");
    other = A.pit;
    other.ch[1].ctrl ^= 0x10;
    DIFF_AT(pit, &A.pit, &other, at);
    EXPECT_BAD_BYTE(pit, PIT_SV_VERSION, &B.pit, &w, at, 0x06, "access mode");
    EXPECT_BAD_BYTE(pit, PIT_SV_VERSION, &B.pit, &w, at, 0x40, "control word");
    sv_writer_free(&w);

    TRANSFER(pit, PIT_SV_VERSION, &A.pit, &B.pit);
    cr_assert(eq(u64, B.pit.timer.deadline, A.pit.timer.deadline));
    cr_assert(B.pit.speaker_on, "the speaker recomputed");
    cr_assert(eq(u32, B.pit.speaker_mhz, A.pit.speaker_mhz));
    records_sync();

    out_both(0x41, 0x12, 1); /* channel 1's MSB */
    uint64_t t = A.clk.now;
    for (int i = 0; i < 40; i++) {
        t += 123457;
        advance_both(t);
        in_same(0x40, 1);
        in_same(0x40, 1);
        in_same(0x61, 1);
        if (i == 20) {
            out_both(0x43, 0xE2, 1); /* read-back: channel 0's status */
            in_same(0x40, 1);
        }
    }
    cr_assert(gt(uint, A.changes[0], 8), "IRQ0 kept running");
    records_same();
    SAME(pit, &A.pit, &B.pit);
}

/* ---- MC146818A ---- */

#define EPOCH 1700000000 /* 2023-11-14 22:13:20 UTC */

static void rtc_rig(struct rig *g)
{
    struct irq_line l = line_of(g, 8);
    cr_assert(eq(int, rtc_init(&g->rtc, &g->bus, &g->clk, &l, EPOCH), 0));
}

Test(sv_chipset, rtc_interrupts_pending)
{
    rtc_rig(&A);
    rtc_rig(&B);
    struct bus *ab = &A.bus;
    clock_advance_to(&A.clk, 250000000);
    bus_out(ab, 0x70, 0x0B, 1);
    bus_out(ab, 0x71, RTC_B_24H | RTC_B_PIE | RTC_B_UIE, 1);
    bus_out(ab, 0x72, 0x10, 1);
    bus_out(ab, 0x73, 0x5A, 1);
    bus_out(ab, 0x70, 0x80 | RTC_REG_C, 1);
    clock_advance_to(&A.clk, 550000000);
    cr_assert(A.level[8], "the periodic interrupt is pending");
    cr_assert(clock_timer_armed(&A.rtc.timer), "the update interrupt is scheduled");
    clocks_sync();

    struct sv_writer w;
    SAVE(rtc, &A.rtc, &w);
    EXPECT_SHORT_AND_VERSION(rtc, RTC_SV_VERSION, &B.rtc, &w);
    struct rtc other = A.rtc;
    size_t at = 0;
    other.index ^= 1;
    DIFF_AT(rtc, &A.rtc, &other, at);
    EXPECT_BAD_BYTE(rtc, RTC_SV_VERSION, &B.rtc, &w, at, 0x80, "rtc index");
    other = A.rtc;
    other.ext_index ^= 1;
    DIFF_AT(rtc, &A.rtc, &other, at);
    EXPECT_BAD_BYTE(rtc, RTC_SV_VERSION, &B.rtc, &w, at, 0xFF, "extended index");
    other = A.rtc;
    other.cmos[RTC_REG_A] ^= 1;
    DIFF_AT(rtc, &A.rtc, &other, at);
    EXPECT_BAD_BYTE(rtc, RTC_SV_VERSION, &B.rtc, &w, at, 0xA6, "register A");
    /* The next update cycle a long time away from the last sync. */
    other = A.rtc;
    other.next_update ^= 1;
    DIFF_AT(rtc, &A.rtc, &other, at);
    EXPECT_BAD_BYTE(rtc, RTC_SV_VERSION, &B.rtc, &w, at + 7, 0x7F, "next update");
    sv_writer_free(&w);

    TRANSFER(rtc, RTC_SV_VERSION, &A.rtc, &B.rtc);
    records_sync();

    uint64_t t = A.clk.now;
    for (int i = 0; i < 30; i++) {
        t += 99999937;
        advance_both(t);
        if (i % 3 == 0)
            in_same(0x71, 1); /* register C: clears the flags */
        out_both(0x70, RTC_SECONDS, 1);
        in_same(0x71, 1);
        out_both(0x70, RTC_REG_A, 1);
        in_same(0x71, 1);
        out_both(0x70, RTC_REG_C, 1);
    }
    out_both(0x72, 0x10, 1);
    cr_assert(eq(u32, in_same(0x73, 1), 0x5A));
    cr_assert(gt(uint, A.changes[8], 4), "IRQ 8 kept coming");
    records_same();
    SAME(rtc, &A.rtc, &B.rtc);
}

/* ---- 16550A ---- */

#define COM1 0x3F8

static void uart_rig(struct rig *g)
{
    struct irq_line l = line_of(g, 4);
    chardev_init_mem(&g->cd);
    g->has_cd = true;
    cr_assert(eq(int, uart_init(&g->uart, &g->bus, COM1, &g->clk, &l, &g->cd), 0));
}

/* What the two UARTs sent since the last call. */
static void uart_sent_same(void)
{
    size_t na, nb;
    const uint8_t *a = chardev_mem_data(&A.cd, &na), *b = chardev_mem_data(&B.cd, &nb);
    cr_assert(eq(sz, na, nb), "A sent %zu bytes, B %zu", na, nb);
    cr_assert(eq(mem, bytes(a, na), bytes(b, nb)));
    chardev_mem_clear(&A.cd);
    chardev_mem_clear(&B.cd);
}

Test(sv_chipset, uart_fifos_part_full)
{
    uart_rig(&A);
    uart_rig(&B);
    struct bus *ab = &A.bus;
    bus_out(ab, COM1 + UART_LCR, UART_LCR_DLAB, 1);
    bus_out(ab, COM1 + UART_DLL, 0x01, 1);
    bus_out(ab, COM1 + UART_DLM, 0x00, 1);
    bus_out(ab, COM1 + UART_LCR, 0x03, 1);
    bus_out(ab, COM1 + UART_FCR, 0x47, 1); /* FIFOs on and reset, trigger 4 */
    bus_out(ab, COM1 + UART_IER, 0x0F, 1);
    bus_out(ab, COM1 + UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2, 1);
    for (int i = 0; i < 6; i++)
        bus_out(ab, COM1 + UART_THR, 'a' + i, 1);
    uart_receive(&A.uart, 'x', 0);
    uart_receive(&A.uart, 'y', UART_LSR_PE);
    uart_receive(&A.uart, 'z', 0);
    clock_advance_to(&A.clk, 200000);
    cr_assert(eq(uint, A.uart.rx.count, 3));
    cr_assert(gt(uint, A.uart.tx.count, 0));
    cr_assert(A.uart.tsr_busy && clock_timer_armed(&A.uart.tx_timer));
    cr_assert(clock_timer_armed(&A.uart.rx_timer), "the character timeout runs");
    clocks_sync();

    struct sv_writer w;
    SAVE(uart, &A.uart, &w);
    EXPECT_SHORT_AND_VERSION(uart, UART_SV_VERSION, &B.uart, &w);
    struct uart other = A.uart;
    size_t at = 0;
    other.rx.count ^= 1;
    DIFF_AT(uart, &A.uart, &other, at);
    EXPECT_BAD_BYTE(uart, UART_SV_VERSION, &B.uart, &w, at, UART_FIFO_SIZE + 1, "RX FIFO position");
    other = A.uart;
    other.rx.head ^= 1;
    DIFF_AT(uart, &A.uart, &other, at);
    EXPECT_BAD_BYTE(uart, UART_SV_VERSION, &B.uart, &w, at, UART_FIFO_SIZE, "RX FIFO position");
    other = A.uart;
    other.tx.count ^= 1;
    DIFF_AT(uart, &A.uart, &other, at);
    EXPECT_BAD_BYTE(uart, UART_SV_VERSION, &B.uart, &w, at, 0xFF, "TX FIFO position");
    /* With FIFOs off, three characters cannot be in the receiver. */
    other = A.uart;
    other.fcr ^= UART_FCR_DMA;
    DIFF_AT(uart, &A.uart, &other, at);
    EXPECT_BAD_BYTE(uart, UART_SV_VERSION, &B.uart, &w, at, 0x00, "RX FIFO position");
    EXPECT_BAD_BYTE(uart, UART_SV_VERSION, &B.uart, &w, at, 0x40, "uart FCR");
    other = A.uart;
    other.rx.err[1] ^= UART_LSR_FE;
    DIFF_AT(uart, &A.uart, &other, at);
    EXPECT_BAD_BYTE(uart, UART_SV_VERSION, &B.uart, &w, at, UART_LSR_DR, "error bits");
    sv_writer_free(&w);

    TRANSFER(uart, UART_SV_VERSION, &A.uart, &B.uart);
    uart_post_load(&B.uart);
    records_sync();
    chardev_mem_clear(&A.cd);

    uint64_t t = A.clk.now;
    for (int i = 0; i < 24; i++) {
        t += 50000;
        advance_both(t);
        in_same(COM1 + UART_IIR, 1);
        in_same(COM1 + UART_LSR, 1);
        if (i % 4 == 1)
            in_same(COM1 + UART_RBR, 1);
        if (i == 5)
            out_both(COM1 + UART_THR, '!', 1);
        if (i == 8) {
            uart_receive(&A.uart, 'q', 0);
            uart_receive(&B.uart, 'q', 0);
        }
    }
    cr_assert(gt(uint, A.changes[4], 2), "the interrupt came and went");
    cr_assert(eq(u64, A.uart.tx_bytes, 7));
    uart_sent_same();
    records_same();
    SAME(uart, &A.uart, &B.uart);
}

/* Host input queued on B's side before the load: the loaded receiver had
 * nothing scheduled, and uart_post_load must start taking it. */
Test(sv_chipset, uart_post_load_takes_host_input)
{
    uart_rig(&A);
    uart_rig(&B);
    out_both(COM1 + UART_LCR, 0x03, 1); /* 8 data bits */
    out_both(COM1 + UART_FCR, UART_FCR_ENABLE, 1);
    clock_advance_to(&A.clk, 1000000);
    clocks_sync();
    chardev_push_input_buf(&B.cd, (const uint8_t *)"hi", 2);
    cr_assert(eq(u64, A.uart.rx_next, CLOCK_NEVER));
    TRANSFER(uart, UART_SV_VERSION, &A.uart, &B.uart);
    cr_assert(eq(u64, B.uart.rx_next, CLOCK_NEVER), "the load itself schedules nothing");
    uart_post_load(&B.uart);
    clock_advance_to(&B.clk, B.clk.now + 10 * uart_char_time_ns(&B.uart));
    cr_assert(eq(u32, bus_in(&B.bus, COM1 + UART_LSR, 1) & UART_LSR_DR, UART_LSR_DR));
    cr_assert(eq(u32, bus_in(&B.bus, COM1 + UART_RBR, 1), 'h'));
    cr_assert(eq(u32, bus_in(&B.bus, COM1 + UART_RBR, 1), 'i'));
}

/* ---- 8042 with PS/2 keyboard and mouse ---- */

static void kbc_rig(struct rig *g)
{
    struct i8042_config cfg = {
        .irq_kbd = line_of(g, 1),
        .irq_mouse = line_of(g, 12),
        .reset = rig_reset,
        .reset_opaque = g,
    };
    cr_assert(eq(int, i8042_init(&g->kbc, &g->bus, &cfg), 0));
}

Test(sv_chipset, i8042_queues_and_pending_commands)
{
    kbc_rig(&A);
    kbc_rig(&B);
    struct bus *ab = &A.bus;
    /* Drain the power-on self-test bytes. */
    for (int i = 0; i < 8; i++)
        (void)bus_in(ab, 0x60, 1);
    bus_out(ab, 0x64, 0xA8, 1);                         /* mouse interface on */
    bus_out(ab, 0x64, 0x60, 1);                         /* command byte: */
    bus_out(ab, 0x60, I8042_CTR_XLATE | I8042_CTR_KBDINT | I8042_CTR_AUXINT, 1);
    bus_out(ab, 0x64, 0xD4, 1);
    bus_out(ab, 0x60, 0xF4, 1);                         /* mouse reporting on */
    i8042_key(&A.kbc, 0x1C, true);
    i8042_key(&A.kbc, 0x1C, false);
    i8042_key(&A.kbc, 0xE075, true);
    i8042_mouse(&A.kbc, 5, -3, 0, PS2_MOUSE_LEFT);
    bus_out(ab, 0x64, 0xD4, 1);
    bus_out(ab, 0x60, 0xF3, 1);                         /* sample rate: parameter next */
    bus_out(ab, 0x60, 0xED, 1);                         /* keyboard LEDs: parameter next */
    bus_out(ab, 0x64, 0xDD, 1);                         /* A20 off */
    bus_out(ab, 0x64, 0x20, 1);                         /* a reply in the controller's queue */
    bus_out(ab, 0x64, 0xD1, 1);                         /* output port: data next */
    cr_assert(not(bus_a20(ab)));
    cr_assert(gt(uint, A.kbc.kbd.q.count, 2));
    cr_assert(gt(uint, A.kbc.mouse.q.count, 2));
    cr_assert(eq(u8, A.kbc.mouse.pending_cmd, 0xF3));
    cr_assert(eq(u8, A.kbc.kbd.pending_cmd, 0xED));
    cr_assert(eq(uint, A.kbc.own_count, 1));
    cr_assert(eq(u8, A.kbc.pending, 0xD1));
    cr_assert(A.level[12], "IRQ12 up with the mouse's ACK in the output buffer");

    struct sv_writer w;
    SAVE(i8042, &A.kbc, &w);
    EXPECT_SHORT_AND_VERSION(i8042, I8042_SV_VERSION, &B.kbc, &w);
    struct i8042 other = A.kbc;
    size_t at = 0;
    other.kbd.q.count ^= 1;
    DIFF_AT(i8042, &A.kbc, &other, at);
    EXPECT_BAD_BYTE(i8042, I8042_SV_VERSION, &B.kbc, &w, at, PS2_QUEUE_SIZE + 1,
                    "keyboard queue position");
    other = A.kbc;
    other.mouse.q.head ^= 1;
    DIFF_AT(i8042, &A.kbc, &other, at);
    EXPECT_BAD_BYTE(i8042, I8042_SV_VERSION, &B.kbc, &w, at, PS2_QUEUE_SIZE,
                    "mouse queue position");
    other = A.kbc;
    other.mouse.last_len ^= 1;
    DIFF_AT(i8042, &A.kbc, &other, at);
    EXPECT_BAD_BYTE(i8042, I8042_SV_VERSION, &B.kbc, &w, at, 5, "last packet length");
    other = A.kbc;
    other.own_count ^= 2;
    DIFF_AT(i8042, &A.kbc, &other, at);
    EXPECT_BAD_BYTE(i8042, I8042_SV_VERSION, &B.kbc, &w, at, I8042_OWN_QUEUE + 1,
                    "reply queue position");
    other = A.kbc;
    other.own_head ^= 1;
    DIFF_AT(i8042, &A.kbc, &other, at);
    EXPECT_BAD_BYTE(i8042, I8042_SV_VERSION, &B.kbc, &w, at, I8042_OWN_QUEUE,
                    "reply queue position");
    other = A.kbc;
    other.pending ^= 1;
    DIFF_AT(i8042, &A.kbc, &other, at);
    EXPECT_BAD_BYTE(i8042, I8042_SV_VERSION, &B.kbc, &w, at, 0x50, "pending command");
    other = A.kbc;
    other.kbd.scanset ^= 1;
    DIFF_AT(i8042, &A.kbc, &other, at);
    EXPECT_BAD_BYTE(i8042, I8042_SV_VERSION, &B.kbc, &w, at, 4, "scan code set");
    /* The mouse's unreported movement, beyond what the sums can take. */
    other = A.kbc;
    other.mouse.dx ^= 1;
    DIFF_AT(i8042, &A.kbc, &other, at);
    EXPECT_BAD_BYTE(i8042, I8042_SV_VERSION, &B.kbc, &w, at + 3, 0x7F, "movement count");
    sv_writer_free(&w);

    /* The keyboard and mouse part under another version. */
    struct sv_writer wk;
    SAVE(ps2_kbd, &A.kbc.kbd, &wk);
    struct sv_writer wm;
    SAVE(ps2_mouse, &A.kbc.mouse, &wm);
    SAVE(i8042, &A.kbc, &w);
    size_t ver_at = w.len - wk.len - wm.len - 4;
    cr_assert(eq(u32, le32(w.buf + ver_at), PS2_SV_VERSION));
    EXPECT_BAD_BYTE(i8042, I8042_SV_VERSION, &B.kbc, &w, ver_at, PS2_SV_VERSION + 1, "version");
    sv_writer_free(&w);
    sv_writer_free(&wk);
    sv_writer_free(&wm);

    cr_assert(bus_a20(&B.bus));
    TRANSFER(i8042, I8042_SV_VERSION, &A.kbc, &B.kbc);
    i8042_post_load(&B.kbc);
    cr_assert(not(bus_a20(&B.bus)), "post_load closed B's A20 gate as A's output port has it");
    records_sync();

    out_both(0x60, I8042_OUT_POWERON, 1); /* D1's data: A20 back on */
    cr_assert(bus_a20(&A.bus) && bus_a20(&B.bus));
    unsigned reads = 0;
    while ((in_same(0x64, 1) & I8042_STR_OBF) && reads < 64) {
        in_same(0x60, 1);
        reads++;
        if (reads == 3) {
            out_both(0x64, 0xD4, 1);
            out_both(0x60, 100, 1); /* the sample rate F3 waited for */
            out_both(0x60, 0x02, 1); /* the LEDs ED waited for */
            i8042_mouse(&A.kbc, -7, 2, 0, 0);
            i8042_mouse(&B.kbc, -7, 2, 0, 0);
        }
    }
    cr_assert(gt(uint, reads, 8));
    cr_assert(lt(uint, reads, 64));
    cr_assert(eq(u8, B.kbc.kbd.leds, 0x02));
    records_same();
    SAME(i8042, &A.kbc, &B.kbc);
}

/* ---- port 0x92 and the POST code port ---- */

Test(sv_chipset, port92_and_postcode)
{
    struct rig *g[2] = { &A, &B };
    for (int i = 0; i < 2; i++) {
        cr_assert(eq(int, port92_init(&g[i]->p92, &g[i]->bus, rig_reset, g[i]), 0));
        cr_assert(eq(int, postcode_init(&g[i]->post, &g[i]->bus, NULL, NULL), 0));
    }
    /* The 8042's line high and then low; port 0x92 locked with A20 off. */
    port92_kbc_a20(&A.p92, true);
    port92_kbc_a20(&A.p92, false);
    bus_out(&A.bus, 0x92, PORT92_LOCK | 0x40, 1);
    bus_out(&A.bus, 0x80, 0x5A, 1);
    bus_out(&A.bus, 0x80, 0xA5, 1);
    cr_assert(not(bus_a20(&A.bus)));

    struct sv_writer w;
    SAVE(port92, &A.p92, &w);
    EXPECT_SHORT_AND_VERSION(port92, PORT92_SV_VERSION, &B.p92, &w);
    struct port92 other = A.p92;
    size_t at = 0;
    other.value ^= PORT92_A20;
    DIFF_AT(port92, &A.p92, &other, at);
    EXPECT_BAD_BYTE(port92, PORT92_SV_VERSION, &B.p92, &w, at, 0x04, "port 0x92");
    sv_writer_free(&w);
    SAVE(postcode, &A.post, &w);
    EXPECT_SHORT_AND_VERSION(postcode, POSTCODE_SV_VERSION, &B.post, &w);
    sv_writer_free(&w);

    cr_assert(bus_a20(&B.bus));
    TRANSFER(port92, PORT92_SV_VERSION, &A.p92, &B.p92);
    TRANSFER(postcode, POSTCODE_SV_VERSION, &A.post, &B.post);
    port92_post_load(&B.p92);
    cr_assert(not(bus_a20(&B.bus)), "post_load applied the loaded A20 state to the bus");
    records_sync();

    cr_assert(eq(u32, in_same(0x80, 1), 0xA5));
    cr_assert(eq(u32, in_same(0x92, 1), PORT92_LOCK | 0x40));
    out_both(0x92, PORT92_A20, 1); /* the lock stays */
    cr_assert(eq(u32, in_same(0x92, 1), PORT92_LOCK | PORT92_A20));
    cr_assert(bus_a20(&A.bus) && bus_a20(&B.bus));
    out_both(0x92, PORT92_A20 | PORT92_RESET, 1);
    cr_assert(eq(uint, B.resets, 1));
    records_same();
    SAME(port92, &A.p92, &B.p92);
    SAME(postcode, &A.post, &B.post);
}

/* ---- 8237A pair ---- */

static void dma_rig(struct rig *g)
{
    cr_assert(eq(int, dma8237_init(&g->dma, &g->bus), 0));
    /* As firmware leaves DMA2's channel 4: cascade, unmasked. */
    bus_out(&g->bus, 0xD6, 0xC0, 1);
    bus_out(&g->bus, 0xD4, 0x00, 1);
}

static size_t dma_both(unsigned ch, uint8_t *buf, size_t len, bool to_mem, bool *tc)
{
    uint8_t copy[256];
    cr_assert(le(sz, len, sizeof(copy)));
    memcpy(copy, buf, len);
    bool tca, tcb;
    size_t a = dma8237_transfer(&A.dma, ch, buf, len, to_mem, &tca);
    size_t b = dma8237_transfer(&B.dma, ch, copy, len, to_mem, &tcb);
    cr_assert(eq(sz, a, b));
    cr_assert(eq(int, tca, tcb));
    cr_assert(eq(mem, bytes(buf, len), bytes(copy, len)));
    *tc = tca;
    return a;
}

Test(sv_chipset, dma_mid_transfer)
{
    dma_rig(&A);
    dma_rig(&B);
    struct bus *ab = &A.bus;
    /* Channel 2: write to memory at 0x2_3000, 0x40 bytes, autoinit. */
    bus_out(ab, 0x0A, 0x06, 1);
    bus_out(ab, 0x0B, 0x56, 1);
    bus_out(ab, 0x0C, 0x00, 1);
    bus_out(ab, 0x04, 0x00, 1);
    bus_out(ab, 0x04, 0x30, 1);
    bus_out(ab, 0x05, 0x3F, 1);
    bus_out(ab, 0x05, 0x00, 1);
    bus_out(ab, 0x81, 0x02, 1);
    bus_out(ab, 0x0A, 0x02, 1);
    uint8_t data[80];
    for (unsigned i = 0; i < sizeof(data); i++)
        data[i] = (uint8_t)(i * 7 + 1);
    bool tc;
    cr_assert(eq(sz, dma8237_transfer(&A.dma, 2, data, 24, true, &tc), 24));
    /* Channel 5 (16-bit): half its address written, request bit set. */
    bus_out(ab, 0xD8, 0x00, 1);
    bus_out(ab, 0xC4, 0x80, 1);
    bus_out(ab, 0xD2, 0x05, 1);
    cr_assert(A.dma.ctrl[1].flipflop);
    /* The same bytes in B's memory: only the controller is transferred. */
    bus_write_block(&B.bus, 0x23000, data, 24);

    struct sv_writer w;
    SAVE(dma8237, &A.dma, &w);
    EXPECT_SHORT_AND_VERSION(dma8237, DMA8237_SV_VERSION, &B.dma, &w);
    struct dma8237 other = A.dma;
    size_t at = 0;
    other.ctrl[1].flipflop = false;
    DIFF_AT(dma8237, &A.dma, &other, at);
    EXPECT_BAD_BYTE(dma8237, DMA8237_SV_VERSION, &B.dma, &w, at, 2, "flag");
    other = A.dma;
    other.ctrl[0].mask ^= 1;
    DIFF_AT(dma8237, &A.dma, &other, at);
    EXPECT_BAD_BYTE(dma8237, DMA8237_SV_VERSION, &B.dma, &w, at, 0x10, "dma mask");
    other = A.dma;
    other.ctrl[1].request ^= 1;
    DIFF_AT(dma8237, &A.dma, &other, at);
    EXPECT_BAD_BYTE(dma8237, DMA8237_SV_VERSION, &B.dma, &w, at, 0x80, "dma request");
    other = A.dma;
    other.ctrl[0].ch[2].mode ^= 0x04;
    DIFF_AT(dma8237, &A.dma, &other, at);
    EXPECT_BAD_BYTE(dma8237, DMA8237_SV_VERSION, &B.dma, &w, at, 0x57, "dma mode");
    sv_writer_free(&w);

    TRANSFER(dma8237, DMA8237_SV_VERSION, &A.dma, &B.dma);
    records_sync();

    bus_out(ab, 0xC4, 0x01, 1);
    bus_out(&B.bus, 0xC4, 0x01, 1);
    cr_assert(eq(u32, in_same(0xC4, 1), 0x80), "the flip-flop carried over: LSB first");
    in_same(0xC4, 1);
    size_t done = 0;
    for (int i = 0; i < 4 && !tc; i++)
        done += dma_both(2, data + 24 + done, 16, true, &tc);
    cr_assert(tc, "terminal count reached");
    cr_assert(eq(sz, done, 40));
    uint8_t ma[64], mb[64];
    bus_read_block(&A.bus, 0x23000, ma, sizeof(ma));
    bus_read_block(&B.bus, 0x23000, mb, sizeof(mb));
    cr_assert(eq(mem, bytes(ma, 64), bytes(mb, 64)));
    cr_assert(eq(mem, bytes(mb, 64), bytes(data, 64)));
    cr_assert(eq(u32, in_same(0x08, 1) & 0x0F, 0x04), "TC of channel 2 in the status");
    in_same(0x04, 1);
    in_same(0x04, 1);
    in_same(0xD0, 1);
    records_same();
    SAME(dma8237, &A.dma, &B.dma);
}

/* ---- ACPI PM block ---- */

#define PM_BASE 0x600

static void pm_rig(struct rig *g)
{
    struct irq_line sci = line_of(g, 9);
    cr_assert(eq(int, acpi_pm_init(&g->pm, &g->bus, &g->clk, &sci, NULL, NULL, true, false), 0));
    acpi_pm_map(&g->pm, PM_BASE, true);
}

Test(sv_chipset, acpi_pm_events_pending)
{
    pm_rig(&A);
    pm_rig(&B);
    struct bus *ab = &A.bus;
    bus_out(ab, PM_BASE + ACPI_PM1_EN, ACPI_PM1_TMR | ACPI_PM1_PWRBTN, 2);
    bus_out(ab, PM_BASE + ACPI_GPE0_EN, 0x0003, 2);
    acpi_pm_set_gpe(&A.pm, 1);
    clock_advance_to(&A.clk, 2500000000ull); /* past the 24-bit timer's top bit flip */
    cr_assert(ne(u32, A.pm.sts & ACPI_PM1_TMR, 0));
    cr_assert(A.level[9], "SCI up");
    clocks_sync();

    struct sv_writer w;
    SAVE(acpi_pm, &A.pm, &w);
    EXPECT_SHORT_AND_VERSION(acpi_pm, ACPI_PM_SV_VERSION, &B.pm, &w);
    sv_writer_free(&w);
    struct acpi_pm other = A.pm;
    other.sts |= 0x0002;
    EXPECT_REFUSED(acpi_pm, ACPI_PM_SV_VERSION, &other, &B.pm, "PM1 status");
    other = A.pm;
    other.en |= 0x0002;
    EXPECT_REFUSED(acpi_pm, ACPI_PM_SV_VERSION, &other, &B.pm, "PM1 enable");
    other = A.pm;
    other.cnt |= ACPI_PM1_CNT_SLP_EN;
    EXPECT_REFUSED(acpi_pm, ACPI_PM_SV_VERSION, &other, &B.pm, "PM1 control");

    TRANSFER(acpi_pm, ACPI_PM_SV_VERSION, &A.pm, &B.pm);
    cr_assert(eq(u64, B.pm.tmr.deadline, A.pm.tmr.deadline));
    records_sync();

    in_same(PM_BASE + ACPI_PM1_STS, 2);
    in_same(PM_BASE + ACPI_PM_TMR, 4);
    out_both(PM_BASE + ACPI_GPE0_STS, 0x0002, 2);
    out_both(PM_BASE + ACPI_PM1_STS, ACPI_PM1_TMR, 2);
    cr_assert(eq(int, A.level[9] || B.level[9], 0), "SCI down");
    advance_both(7000000000ull);
    cr_assert(eq(u32, in_same(PM_BASE + ACPI_PM1_STS, 2) & ACPI_PM1_TMR, ACPI_PM1_TMR));
    in_same(PM_BASE + ACPI_PM_TMR, 4);
    acpi_pm_power_button(&A.pm);
    acpi_pm_power_button(&B.pm);
    in_same(PM_BASE + ACPI_PM1_STS, 2);
    records_same();
    SAME(acpi_pm, &A.pm, &B.pm);
}

/* ---- 82093AA ---- */

#define IOAPIC_BASE IOAPIC_DEFAULT_BASE

static bool rig_msg(void *opaque, uint8_t dest, bool logical, unsigned mode, uint8_t vector,
                    bool level)
{
    struct rig *g = opaque;
    if (g->nmsgs < MSG_MAX)
        g->msgs[g->nmsgs] = (struct msg){ dest, vector, logical, level, mode };
    g->nmsgs++;
    return g->accept;
}

static void ioapic_rig(struct rig *g)
{
    cr_assert(eq(int, ioapic_init(&g->io, &g->bus, IOAPIC_BASE, 1), 0));
    ioapic_set_output(&g->io, rig_msg, g);
}

static void ioapic_reg(struct bus *b, uint8_t idx, uint32_t v)
{
    bus_write(b, IOAPIC_BASE + IOAPIC_IOREGSEL, idx, 4);
    bus_write(b, IOAPIC_BASE + IOAPIC_IOWIN, v, 4);
}

Test(sv_chipset, ioapic_remote_irr_and_pending)
{
    ioapic_rig(&A);
    ioapic_rig(&B);
    struct bus *ab = &A.bus;
    A.accept = true;
    ioapic_reg(ab, IOAPIC_REG_REDIR + 2 * 3, 0x33 | IOAPIC_TRIGGER);
    ioapic_reg(ab, IOAPIC_REG_REDIR + 2 * 5, 0x35);
    ioapic_reg(ab, IOAPIC_REG_REDIR + 2 * 5 + 1, 0x01000000u);
    ioapic_set_irq(&A.io, 3, true); /* delivered: remote IRR until the EOI */
    A.accept = false;
    ioapic_set_irq(&A.io, 5, true); /* refused: delivery status pending */
    bus_write(ab, IOAPIC_BASE + IOAPIC_IOREGSEL, IOAPIC_REG_REDIR + 2 * 5 + 1, 4);
    cr_assert(ne(u64, A.io.redir[3] & IOAPIC_REMOTE_IRR, 0));
    cr_assert(ne(u64, A.io.redir[5] & IOAPIC_DELIVS, 0));

    struct sv_writer w;
    SAVE(ioapic, &A.io, &w);
    EXPECT_SHORT_AND_VERSION(ioapic, IOAPIC_SV_VERSION, &B.io, &w);
    struct ioapic other = A.io;
    size_t at = 0;
    /* An input that does not exist, asserted. */
    other.pins ^= 1u << 23;
    DIFF_AT(ioapic, &A.io, &other, at);
    EXPECT_BAD_BYTE(ioapic, IOAPIC_SV_VERSION, &B.io, &w, at + 1, 0x01, "pin levels");
    sv_writer_free(&w);
    other = A.io;
    other.redir[7] |= 1ull << 20; /* reserved */
    EXPECT_REFUSED(ioapic, IOAPIC_SV_VERSION, &other, &B.io, "redirection entry");
    other = A.io;
    other.redir[5] |= IOAPIC_REMOTE_IRR; /* on an edge entry */
    EXPECT_REFUSED(ioapic, IOAPIC_SV_VERSION, &other, &B.io, "redirection entry");
    other = A.io;
    other.id = 0x10000000u;
    EXPECT_REFUSED(ioapic, IOAPIC_SV_VERSION, &other, &B.io, "ioapic ID");
    /* IOREGSEL takes any byte from a guest, so any loads. */
    other = A.io;
    other.regsel = 0xFF;
    TRANSFER(ioapic, IOAPIC_SV_VERSION, &other, &B.io);

    TRANSFER(ioapic, IOAPIC_SV_VERSION, &A.io, &B.io);
    records_sync();

    cr_assert(eq(u32, mmio_read_same(IOAPIC_BASE + IOAPIC_IOREGSEL), IOAPIC_REG_REDIR + 11));
    cr_assert(eq(u32, mmio_read_same(IOAPIC_BASE + IOAPIC_IOWIN), 0x01000000u));
    A.accept = B.accept = true;
    ioapic_eoi(&A.io, 0x33); /* pin 3 still high: sent again; pin 5 retried */
    ioapic_eoi(&B.io, 0x33);
    cr_assert(eq(uint, A.nmsgs, 2));
    ioapic_set_irq(&A.io, 5, false);
    ioapic_set_irq(&B.io, 5, false);
    ioapic_set_irq(&A.io, 5, true);
    ioapic_set_irq(&B.io, 5, true);
    ioapic_set_irq(&A.io, 3, false);
    ioapic_set_irq(&B.io, 3, false);
    ioapic_eoi(&A.io, 0x33);
    ioapic_eoi(&B.io, 0x33);
    mmio_write_both(IOAPIC_BASE + IOAPIC_IOREGSEL, IOAPIC_REG_REDIR + 2 * 3);
    mmio_read_same(IOAPIC_BASE + IOAPIC_IOWIN);
    records_same();
    SAME(ioapic, &A.io, &B.io);
}

/* ---- local APIC ---- */

#define APIC_MOVED 0xFEE10000u

static void rig_eoi(void *opaque, uint8_t vector)
{
    struct rig *g = opaque;
    if (g->eois < 8)
        g->eoi_vec[g->eois] = vector;
    g->eois++;
}

static void lapic_rig(struct rig *g)
{
    cr_assert(eq(int, lapic_init(&g->apic, &g->bus, &g->clk), 0));
    lapic_set_intr_output(&g->apic, rig_intr, g);
    lapic_set_eoi_output(&g->apic, rig_eoi, g);
}

static uint8_t lapic_ack_both(void)
{
    uint8_t a = lapic_ack(&A.apic), b = lapic_ack(&B.apic);
    cr_assert(eq(u8, a, b), "INTA: vector 0x%x on A, 0x%x on B", a, b);
    return a;
}

Test(sv_chipset, lapic_timer_and_vectors)
{
    lapic_rig(&A);
    lapic_rig(&B);
    struct bus *ab = &A.bus;
    lapic_set_base(&A.apic, APIC_MOVED | 0x800);
    bus_write(ab, APIC_MOVED + LAPIC_SVR, 0x1FF, 4);
    bus_write(ab, APIC_MOVED + LAPIC_TPR, 0x20, 4);
    bus_write(ab, APIC_MOVED + LAPIC_TIMER_DIV, 0xB, 4);
    bus_write(ab, APIC_MOVED + LAPIC_LVT_TIMER, 0x40 | LAPIC_TIMER_PERIODIC, 4);
    bus_write(ab, APIC_MOVED + LAPIC_LVT_LINT0, 0x58 | LAPIC_TRIGGER, 4);
    bus_write(ab, APIC_MOVED + LAPIC_TIMER_INIT, 1000, 4); /* 10 us periods */
    lapic_set_irq(&A.apic, 0x31, true);
    cr_assert(eq(u8, lapic_ack(&A.apic), 0x31)); /* in service, level: an EOI to send */
    lapic_set_irq(&A.apic, 0x50, false);
    lapic_lint(&A.apic, 0, true); /* level LINT0: remote IRR until EOI */
    clock_advance_to(&A.clk, 25000);
    bus_write(ab, APIC_MOVED + 0x3F0, 0, 4); /* a reserved register: an error latched */
    cr_assert(A.apic.timer_running && clock_timer_armed(&A.apic.timer));
    cr_assert(ne(u32, A.apic.lvt[LVT_LINT0] & LAPIC_REMOTE_IRR, 0));
    cr_assert(A.level[INTR_LINE]);
    clocks_sync();

    struct sv_writer w;
    SAVE(lapic, &A.apic, &w);
    EXPECT_SHORT_AND_VERSION(lapic, LAPIC_SV_VERSION, &B.apic, &w);
    struct lapic other = A.apic;
    size_t at = 0;
    other.timer_div ^= 1;
    DIFF_AT(lapic, &A.apic, &other, at);
    EXPECT_BAD_BYTE(lapic, LAPIC_SV_VERSION, &B.apic, &w, at, 0x04, "timer divide");
    other = A.apic;
    other.svr ^= 0x100;
    DIFF_AT(lapic, &A.apic, &other, at);
    EXPECT_BAD_BYTE(lapic, LAPIC_SV_VERSION, &B.apic, &w, at, 0xF0, "lapic SVR");
    sv_writer_free(&w);
    other = A.apic;
    other.timer_init = 0; /* a running periodic timer reloads from it */
    EXPECT_REFUSED(lapic, LAPIC_SV_VERSION, &other, &B.apic, "timer count");
    other = A.apic;
    other.timer_base_count = 1001;
    EXPECT_REFUSED(lapic, LAPIC_SV_VERSION, &other, &B.apic, "timer count");
    other = A.apic;
    other.lvt[LVT_TIMER] |= LAPIC_REMOTE_IRR;
    EXPECT_REFUSED(lapic, LAPIC_SV_VERSION, &other, &B.apic, "LVT entry");
    other = A.apic;
    other.irr[0] |= 1u << 3;
    EXPECT_REFUSED(lapic, LAPIC_SV_VERSION, &other, &B.apic, "lapic vector");
    other = A.apic;
    other.base |= 0x400;
    EXPECT_REFUSED(lapic, LAPIC_SV_VERSION, &other, &B.apic, "lapic base");

    TRANSFER(lapic, LAPIC_SV_VERSION, &A.apic, &B.apic);
    lapic_post_load(&B.apic);
    cr_assert(B.apic.mapped, "the page is on B's bus");
    cr_assert(eq(u32, B.apic.mapped_base, APIC_MOVED), "at the loaded base");
    records_sync();

    cr_assert(eq(u32, mmio_read_same(LAPIC_DEFAULT_BASE + LAPIC_VER), 0xFFFFFFFFu),
              "nothing at the old base");
    cr_assert(eq(u32, mmio_read_same(APIC_MOVED + LAPIC_VER), LAPIC_VERSION));
    mmio_write_both(APIC_MOVED + LAPIC_ESR, 0);
    cr_assert(eq(u32, mmio_read_same(APIC_MOVED + LAPIC_ESR), LAPIC_ESR_ILLEGAL_REG));
    uint64_t t = A.clk.now;
    for (int i = 0; i < 30; i++) {
        t += 3100;
        advance_both(t);
        mmio_read_same(APIC_MOVED + LAPIC_TIMER_CUR);
        mmio_read_same(APIC_MOVED + LAPIC_PPR);
        mmio_read_same(APIC_MOVED + LAPIC_IRR + 0x20);
        if (i % 4 == 0 && A.level[INTR_LINE]) {
            lapic_ack_both();
            mmio_write_both(APIC_MOVED + LAPIC_EOI, 0);
        }
        if (i == 9) {
            mmio_write_both(APIC_MOVED + LAPIC_EOI, 0); /* one more: down to the 0x31 of before */
            lapic_lint(&A.apic, 0, false);
            lapic_lint(&B.apic, 0, false);
        }
    }
    cr_assert(gt(uint, A.eois, 0), "a level EOI reached the I/O APIC side");
    records_same();
    SAME(lapic, &A.apic, &B.apic);
}

/* ---- PCI bus, i440FX, PIIX ---- */

#define FAKE_DEVFN PCI_DEVFN(3, 0) /* INTA# of slot 3: PIRQD */
#define PM_AT 0xB000

static void rig_pam(void *opaque, unsigned region, bool read_ram, bool write_ram)
{
    struct rig *g = opaque;
    cr_assert(lt(uint, region, I440FX_PAM_REGIONS));
    g->pam[region] = (uint8_t)(read_ram | write_ram << 1);
    g->pam_reports++;
}

#define FAKE_BAR_SIZE 32

static uint32_t fake_io_read(void *opaque, uint16_t port, unsigned size)
{
    const struct fake_bar *b = opaque;
    return b->tag;
}

static void fake_io_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
}

static const struct io_ops fake_io_ops = {
    .read = fake_io_read,
    .write = fake_io_write,
    .sizes = 1,
};

static void fake_bar_moved(struct pci_device *d, unsigned bar, uint32_t old, uint32_t now)
{
    struct fake_fn *f = d->opaque;
    cr_assert(lt(uint, bar, 2));
    struct fake_bar *b = &f->bar[bar];
    cr_assert(eq(u32, old, b->decoded), "bar_moved from 0x%x, but it decodes at 0x%x", old,
              b->decoded);
    if (old != PCI_BAR_UNMAPPED)
        bus_io_unregister(f->bus, (uint16_t)old, FAKE_BAR_SIZE, &fake_io_ops, b);
    b->decoded = now;
    if (now == PCI_BAR_UNMAPPED)
        return;
    /* Like the PM block, it will not decode over ports someone holds
     * (bus_io_register would take them over). */
    for (unsigned i = 0; i < FAKE_BAR_SIZE; i++)
        if (f->bus->io[(uint16_t)(now + i)].ops) {
            f->clashes++;
            return;
        }
    cr_assert(eq(int, bus_io_register(f->bus, (uint16_t)now, FAKE_BAR_SIZE, &fake_io_ops, b), 0));
}

static void chipset_rig(struct rig *g)
{
    cr_assert(eq(int, pci_init(&g->pci, &g->bus), 0));
    cr_assert(eq(int, i440fx_init(&g->host, &g->pci, 1u << 20, rig_pam, g), 0));
    struct irq_line lines[16];
    for (int i = 0; i < 16; i++)
        lines[i] = line_of(g, i);
    cr_assert(eq(int, piix_init(&g->piix, &g->pci, &g->bus, &g->clk, lines, NULL, NULL, NULL), 0));
    struct pci_device *d = &g->fake.dev;
    pci_device_init(d, 0x1234, 0x5678, 0xFF0000, 1, 0);
    pci_bar_init(d, 0, FAKE_BAR_SIZE, PCI_BAR_IO);
    pci_bar_init(d, 1, FAKE_BAR_SIZE, PCI_BAR_IO);
    pci_set_byte(d, PCI_INTERRUPT_PIN, 1);
    d->bar_moved = fake_bar_moved;
    d->opaque = &g->fake;
    g->fake.bus = &g->bus;
    for (unsigned i = 0; i < 2; i++)
        g->fake.bar[i] = (struct fake_bar){ (uint8_t)(0xB0 + i), PCI_BAR_UNMAPPED };
    cr_assert(eq(int, pci_register(&g->pci, d, FAKE_DEVFN), 0));
}

static void cfg_out(struct bus *b, uint8_t devfn, unsigned off, uint32_t v, unsigned size)
{
    bus_out(b, PCI_CONFIG_ADDRESS, 0x80000000u | (uint32_t)devfn << 8 | (off & 0xFC), 4);
    bus_out(b, (uint16_t)(PCI_CONFIG_DATA + (off & 3)), v, size);
}

static void cfg_out_both(uint8_t devfn, unsigned off, uint32_t v, unsigned size)
{
    cfg_out(&A.bus, devfn, off, v, size);
    cfg_out(&B.bus, devfn, off, v, size);
}

static uint32_t cfg_in_same(uint8_t devfn, unsigned off, unsigned size)
{
    out_both(PCI_CONFIG_ADDRESS, 0x80000000u | (uint32_t)devfn << 8 | (off & 0xFC), 4);
    return in_same((uint16_t)(PCI_CONFIG_DATA + (off & 3)), size);
}

/* Saves A's bus as it is after edit(), then puts A back. */
#define SAVE_EDITED(w, edit, undo) \
    do {                           \
        edit;                      \
        SAVE(pci, &A.pci, w);      \
        undo;                      \
    } while (0)

Test(sv_chipset, pci_chipset_programmed)
{
    chipset_rig(&A);
    chipset_rig(&B);
    struct bus *ab = &A.bus;
    cfg_out(ab, I440FX_DEVFN, I440FX_PAM0, 0x30, 1);
    cfg_out(ab, I440FX_DEVFN, I440FX_PAM0 + 1, 0x13, 1);
    cfg_out(ab, I440FX_DEVFN, I440FX_SMRAM, I440FX_SMRAM_D_LCK | I440FX_SMRAM_G_SMRAME, 1);
    cfg_out(ab, PIIX_ISA_DEVFN, PIIX_PIRQRC + 3, 11, 1);
    cfg_out(ab, FAKE_DEVFN, PCI_BAR0, 0xC101, 4);
    cfg_out(ab, FAKE_DEVFN, PCI_BAR0 + 4, 0xC201, 4);
    cfg_out(ab, FAKE_DEVFN, PCI_COMMAND, PCI_COMMAND_IO, 2);
    pci_set_irq(&A.fake.dev, true);
    piix_pm_enable(&A.piix, PM_AT);
    bus_out(ab, PM_AT + ACPI_PM1_EN, ACPI_PM1_TMR, 2);
    bus_out(ab, PIIX_APMC_PORT, 0x77, 1);
    bus_out(ab, PCI_CONFIG_ADDRESS, 0x80000000u | FAKE_DEVFN << 8 | PCI_BAR0, 4);
    cr_assert(eq(u32, A.fake.bar[0].decoded, 0xC100));
    cr_assert(eq(u32, A.fake.bar[1].decoded, 0xC200));
    cr_assert(A.level[11], "the fake function's INTA# on IRQ 11 through PIRQD");
    cr_assert(eq(u8, A.host.dev.wmask[I440FX_SMRAM], I440FX_SMRAM_D_CLS));
    /* B as a machine that ran differently: the fake BARs swapped and the
     * PM block elsewhere, which post_load must straighten out. */
    cfg_out(&B.bus, FAKE_DEVFN, PCI_BAR0, 0xC201, 4);
    cfg_out(&B.bus, FAKE_DEVFN, PCI_BAR0 + 4, 0xC101, 4);
    cfg_out(&B.bus, FAKE_DEVFN, PCI_COMMAND, PCI_COMMAND_IO, 2);
    piix_pm_enable(&B.piix, 0xA000);
    cr_assert(eq(u32, B.fake.bar[0].decoded, 0xC200));
    cr_assert(eq(uint, B.fake.clashes, 0));
    clocks_sync();

    struct sv_writer wp, wh, wx;
    SAVE(pci, &A.pci, &wp);
    SAVE(i440fx, &A.host, &wh);
    SAVE(piix, &A.piix, &wx);
    EXPECT_SHORT_AND_VERSION(pci, PCI_SV_VERSION, &B.pci, &wp);
    EXPECT_SHORT_AND_VERSION(i440fx, I440FX_SV_VERSION, &B.host, &wh);
    EXPECT_SHORT_AND_VERSION(piix, PIIX_SV_VERSION, &B.piix, &wx);

    struct pci_bus other = A.pci;
    size_t at = 0;
    other.config_address ^= 4;
    DIFF_AT(pci, &A.pci, &other, at);
    EXPECT_BAD_BYTE(pci, PCI_SV_VERSION, &B.pci, &wp, at + 3, 0xC0, "CONFIG_ADDRESS");
    struct sv_writer w;
    /* A function this bus does not have, one missing, another device, a
     * BAR of another kind, an interrupt on a function without a pin. */
    SAVE_EDITED(&w, (A.pci.devs[PCI_DEVFN(4, 0)] = &A.fake.dev, A.pci.devs[FAKE_DEVFN] = NULL),
                (A.pci.devs[FAKE_DEVFN] = &A.fake.dev, A.pci.devs[PCI_DEVFN(4, 0)] = NULL));
    struct sv_reader r;
    LOAD(pci, PCI_SV_VERSION, &B.pci, w.buf, w.len, &r);
    expect_fail(&r, "no PCI function 04.0");
    sv_writer_free(&w);
    SAVE_EDITED(&w, A.pci.devs[FAKE_DEVFN] = NULL, A.pci.devs[FAKE_DEVFN] = &A.fake.dev);
    LOAD(pci, PCI_SV_VERSION, &B.pci, w.buf, w.len, &r);
    expect_fail(&r, "3 PCI functions saved, this bus has 4");
    sv_writer_free(&w);
    SAVE_EDITED(&w, A.fake.dev.config[PCI_DEVICE_ID] ^= 1, A.fake.dev.config[PCI_DEVICE_ID] ^= 1);
    LOAD(pci, PCI_SV_VERSION, &B.pci, w.buf, w.len, &r);
    expect_fail(&r, "PCI function 03.0 is another device");
    sv_writer_free(&w);
    SAVE_EDITED(&w, A.fake.dev.config[PCI_BAR0] ^= PCI_BAR_IO,
                A.fake.dev.config[PCI_BAR0] ^= PCI_BAR_IO);
    LOAD(pci, PCI_SV_VERSION, &B.pci, w.buf, w.len, &r);
    expect_fail(&r, "another device");
    sv_writer_free(&w);
    SAVE_EDITED(&w, A.pci.irq_state[PIIX_ISA_DEVFN] = true,
                A.pci.irq_state[PIIX_ISA_DEVFN] = false);
    LOAD(pci, PCI_SV_VERSION, &B.pci, w.buf, w.len, &r);
    expect_fail(&r, "interrupt state");
    sv_writer_free(&w);

    struct piix px = A.piix;
    px.rc ^= PIIX_RC_SRST;
    DIFF_AT(piix, &A.piix, &px, at);
    EXPECT_BAD_BYTE(piix, PIIX_SV_VERSION, &B.piix, &wx, at, PIIX_RC_RCPU, "reset control");
    struct sv_writer wa;
    SAVE(acpi_pm, &A.piix.acpi, &wa);
    at = wx.len - wa.len - 4;
    cr_assert(eq(u32, le32(wx.buf + at), ACPI_PM_SV_VERSION));
    EXPECT_BAD_BYTE(piix, PIIX_SV_VERSION, &B.piix, &wx, at, ACPI_PM_SV_VERSION + 1, "version");
    sv_writer_free(&wa);
    sv_writer_free(&wp);
    sv_writer_free(&wh);
    sv_writer_free(&wx);

    /* The machine's order: every load, then every post_load. */
    TRANSFER(pci, PCI_SV_VERSION, &A.pci, &B.pci);
    TRANSFER(i440fx, I440FX_SV_VERSION, &A.host, &B.host);
    TRANSFER(piix, PIIX_SV_VERSION, &A.piix, &B.piix);
    unsigned reports = B.pam_reports;
    i440fx_post_load(&B.host);
    pci_post_load(&B.pci);
    piix_post_load(&B.piix);
    cr_assert(eq(u32, B.fake.bar[0].decoded, 0xC100), "BAR0 moved to where BAR1 was");
    cr_assert(eq(u32, B.fake.bar[1].decoded, 0xC200));
    cr_assert(eq(uint, B.fake.clashes, 0), "no BAR met another still on its ports");
    cr_assert(eq(uint, B.pam_reports - reports, I440FX_PAM_REGIONS), "every region reported");
    cr_assert(eq(mem, bytes(B.pam, sizeof(B.pam)), bytes(A.pam, sizeof(A.pam))));
    cr_assert(eq(mem, bytes(B.host.pam_state, sizeof(B.host.pam_state)),
                 bytes(A.host.pam_state, sizeof(A.host.pam_state))));
    cr_assert(eq(u8, B.host.dev.wmask[I440FX_SMRAM], I440FX_SMRAM_D_CLS), "SMRAM locked again");
    cr_assert(eq(u32, bus_in(&B.bus, 0xA000 + ACPI_PM1_EN, 2), 0xFFFF), "the PM block left 0xA000");
    records_sync();

    cr_assert(eq(u32, in_same(PCI_CONFIG_DATA, 4), 0xC101), "CONFIG_ADDRESS carried over");
    cr_assert(eq(u32, in_same(0xC100, 1), 0xB0));
    cr_assert(eq(u32, in_same(0xC21F, 1), 0xB1));
    cr_assert(eq(u32, in_same(PM_AT + ACPI_PM1_EN, 2), ACPI_PM1_TMR));
    cr_assert(eq(u32, in_same(PIIX_APMC_PORT, 1), 0x77));
    /* D_LCK holds: clearing it and SMRAME does nothing. */
    cfg_out_both(I440FX_DEVFN, I440FX_SMRAM, 0x00, 1);
    cr_assert(eq(u32, cfg_in_same(I440FX_DEVFN, I440FX_SMRAM, 1) & I440FX_SMRAM_D_LCK,
                 I440FX_SMRAM_D_LCK));
    cfg_out_both(I440FX_DEVFN, I440FX_PAM0 + 2, 0x33, 1);
    /* The PIRQ count was rebuilt: lowering the pin drops IRQ 11 on B too. */
    pci_set_irq(&A.fake.dev, false);
    pci_set_irq(&B.fake.dev, false);
    cr_assert(not(B.level[11]));
    cfg_out_both(FAKE_DEVFN, PCI_BAR0, 0xD001, 4);
    cr_assert(eq(u32, B.fake.bar[0].decoded, 0xD000));
    cr_assert(eq(u32, in_same(0xD000, 1), 0xB0));
    cr_assert(eq(u32, in_same(0xC100, 1), 0xFF));
    cfg_out_both(PIIX_PM_DEVFN, PIIX_PMBA, 0xB041, 4);
    in_same(0xB040 + ACPI_PM1_EN, 2);
    advance_both(3000000000ull);
    in_same(0xB040 + ACPI_PM1_STS, 2);
    records_same();
    SAME(pci, &A.pci, &B.pci);
    SAME(i440fx, &A.host, &B.host);
    SAME(piix, &A.piix, &B.piix);
}

/* ---- fw_cfg ---- */

static void fw_rig(struct rig *g, const uint8_t *file, uint32_t len)
{
    cr_assert(eq(int, fw_cfg_init(&g->fw, &g->bus), 0));
    g->has_fw = true;
    cr_assert(eq(int, fw_cfg_add_file(&g->fw, "etc/test", file, len, false), 0));
}

Test(sv_chipset, fw_cfg_cursor)
{
    uint8_t file[100];
    for (unsigned i = 0; i < sizeof(file); i++)
        file[i] = (uint8_t)(i * 13 + 5);
    fw_rig(&A, file, sizeof(file));
    fw_rig(&B, file, sizeof(file));
    struct bus *ab = &A.bus;
    bus_out(ab, FW_CFG_PORT_SEL, FW_CFG_FILE_FIRST, 2);
    for (int i = 0; i < 10; i++)
        (void)bus_in(ab, FW_CFG_PORT_DATA, 1);
    bus_out(ab, FW_CFG_PORT_DMA, 0x78563412u, 4);
    cr_assert(eq(u32, A.fw.offset, 10));

    struct sv_writer w;
    SAVE(fw_cfg, &A.fw, &w);
    EXPECT_SHORT_AND_VERSION(fw_cfg, FW_CFG_SV_VERSION, &B.fw, &w);
    struct fw_cfg other = A.fw;
    size_t at = 0;
    other.offset ^= 1;
    DIFF_AT(fw_cfg, &A.fw, &other, at);
    EXPECT_BAD_BYTE(fw_cfg, FW_CFG_SV_VERSION, &B.fw, &w, at, 101, "fw_cfg offset");
    EXPECT_BAD_BYTE(fw_cfg, FW_CFG_SV_VERSION, &B.fw, &w, at + 1, 1, "fw_cfg offset");
    sv_writer_free(&w);
    /* The end of the item is a place a cursor can be. */
    other = A.fw;
    other.offset = sizeof(file);
    TRANSFER(fw_cfg, FW_CFG_SV_VERSION, &other, &B.fw);

    TRANSFER(fw_cfg, FW_CFG_SV_VERSION, &A.fw, &B.fw);
    cr_assert(eq(u32, B.fw.dma_high, 0x12345678u));

    for (int i = 0; i < 30; i++)
        cr_assert(eq(u32, in_same(FW_CFG_PORT_DATA, 1), file[10 + i]));
    in_same(FW_CFG_PORT_DATA, 4);
    out_both(FW_CFG_PORT_SEL, FW_CFG_SIGNATURE, 2);
    cr_assert(eq(u32, in_same(FW_CFG_PORT_DATA, 4), 0x554D4551u)); /* "QEMU" */
    SAME(fw_cfg, &A.fw, &B.fw);
}
