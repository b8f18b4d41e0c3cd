/* Unit tests for devices/lapic.c: the P6 local APIC driven through its MMIO
 * page on a bus, with a virtual clock, INTR/NMI/EOI recorded and a fake
 * 8259 behind LINT0.  docs/devices/apic.md maps each register to these. */
#include "devices/lapic.h"
#include "tests/unit/unit.h"

#define BASE LAPIC_DEFAULT_BASE

static struct bus bus;
static struct vclock clk;
static struct lapic apic;
static bool intr;
static unsigned intr_changes, nmis, pic_acks, eois;
static uint8_t eoi_vec[8];
static bool pic_line;      /* the fake 8259's INTR */
static uint8_t pic_vector; /* what its INTA returns */

static void rec_intr(void *opaque, bool level)
{
    (void)opaque;
    if (level != intr)
        intr_changes++;
    intr = level;
}

static void rec_nmi(void *opaque)
{
    (void)opaque;
    nmis++;
}

static void rec_eoi(void *opaque, uint8_t v)
{
    (void)opaque;
    if (eois < 8)
        eoi_vec[eois] = v;
    eois++;
}

/* The fake 8259: one request; INTA takes it and drops INTR. */
static void pic_raise(uint8_t vector)
{
    pic_vector = vector;
    pic_line = true;
    lapic_pic_intr(&apic, true);
}

static uint8_t pic_ack(void *opaque)
{
    (void)opaque;
    pic_acks++;
    uint8_t v = pic_line ? pic_vector : 0x0F; /* spurious IRQ7 at base 8 */
    pic_line = false;
    lapic_pic_intr(&apic, false);
    return v;
}

static void setup(void)
{
    cr_assert(eq(int, bus_init(&bus, 0x10000), 0));
    clock_init(&clk, 100);
    cr_assert(eq(int, lapic_init(&apic, &bus, &clk), 0));
    intr = false;
    intr_changes = nmis = pic_acks = eois = 0;
    pic_line = false;
    lapic_set_intr_output(&apic, rec_intr, NULL);
    lapic_set_nmi_output(&apic, rec_nmi, NULL);
    lapic_set_extint_ack(&apic, pic_ack, NULL);
    lapic_set_eoi_output(&apic, rec_eoi, NULL);
}

static void teardown(void)
{
    bus_free(&bus);
}

TestSuite(lapic, .init = setup, .fini = teardown);

static uint32_t rd(uint32_t reg)
{
    return bus_read(&bus, BASE + reg, 4);
}

static void wr(uint32_t reg, uint32_t v)
{
    bus_write(&bus, BASE + reg, v, 4);
}

static bool irr_bit(unsigned v)
{
    return (rd(LAPIC_IRR + (v >> 5) * 0x10) >> (v & 31)) & 1;
}

static bool isr_bit(unsigned v)
{
    return (rd(LAPIC_ISR + (v >> 5) * 0x10) >> (v & 31)) & 1;
}

static bool tmr_bit(unsigned v)
{
    return (rd(LAPIC_TMR + (v >> 5) * 0x10) >> (v & 31)) & 1;
}

/* Software-enables the APIC with spurious vector 0xFF. */
static void enable(void)
{
    wr(LAPIC_SVR, 0x1FF);
}

static uint32_t esr(void)
{
    wr(LAPIC_ESR, 0);
    return rd(LAPIC_ESR);
}

/* --- reset and the simple registers ---------------------------------- */

Test(lapic, reset_values)
{
    cr_expect(eq(u32, rd(LAPIC_ID), 0));
    cr_expect(eq(u32, rd(LAPIC_VER), 0x00040011));
    cr_expect(eq(u32, rd(LAPIC_TPR), 0));
    cr_expect(eq(u32, rd(LAPIC_APR), 0));
    cr_expect(eq(u32, rd(LAPIC_PPR), 0));
    cr_expect(eq(u32, rd(LAPIC_EOI), 0));
    cr_expect(eq(u32, rd(LAPIC_RRD), 0));
    cr_expect(eq(u32, rd(LAPIC_LDR), 0));
    cr_expect(eq(u32, rd(LAPIC_DFR), 0xFFFFFFFF));
    cr_expect(eq(u32, rd(LAPIC_SVR), 0xFF));
    for (uint32_t i = 0; i < 8; i++) {
        cr_expect(eq(u32, rd(LAPIC_ISR + i * 16), 0));
        cr_expect(eq(u32, rd(LAPIC_TMR + i * 16), 0));
        cr_expect(eq(u32, rd(LAPIC_IRR + i * 16), 0));
    }
    cr_expect(eq(u32, rd(LAPIC_ESR), 0));
    cr_expect(eq(u32, rd(LAPIC_ICR_LO), 0));
    cr_expect(eq(u32, rd(LAPIC_ICR_HI), 0));
    cr_expect(eq(u32, rd(LAPIC_LVT_TIMER), 0x10000));
    cr_expect(eq(u32, rd(LAPIC_LVT_PERF), 0x10000));
    cr_expect(eq(u32, rd(LAPIC_LVT_LINT0), 0x10000));
    cr_expect(eq(u32, rd(LAPIC_LVT_LINT1), 0x10000));
    cr_expect(eq(u32, rd(LAPIC_LVT_ERROR), 0x10000));
    cr_expect(eq(u32, rd(LAPIC_TIMER_INIT), 0));
    cr_expect(eq(u32, rd(LAPIC_TIMER_CUR), 0));
    cr_expect(eq(u32, rd(LAPIC_TIMER_DIV), 0));
    cr_expect(eq(u32, esr(), 0), "reading the reset registers flags no error");
    cr_expect(not(intr));
}

Test(lapic, id_register)
{
    wr(LAPIC_ID, 0xFFFFFFFF);
    cr_expect(eq(u32, rd(LAPIC_ID), 0x0F000000), "the P6 ID is bits 27:24");
    apic.reset_id = 3;
    lapic_reset(&apic);
    cr_expect(eq(u32, rd(LAPIC_ID), 0x03000000));
}

Test(lapic, read_only_registers_ignore_writes)
{
    enable();
    lapic_set_irq(&apic, 0x41, true);
    wr(LAPIC_VER, 0);
    wr(LAPIC_APR, 0xFF);
    wr(LAPIC_PPR, 0xFF);
    wr(LAPIC_RRD, 0xFF);
    wr(LAPIC_TIMER_CUR, 1234);
    for (uint32_t i = 0; i < 8; i++) {
        wr(LAPIC_ISR + i * 16, 0xFFFFFFFF);
        wr(LAPIC_TMR + i * 16, 0);
        wr(LAPIC_IRR + i * 16, 0);
    }
    cr_expect(eq(u32, rd(LAPIC_VER), LAPIC_VERSION));
    cr_expect(eq(u32, rd(LAPIC_PPR), 0));
    cr_expect(eq(u32, rd(LAPIC_RRD), 0));
    cr_expect(eq(u32, rd(LAPIC_TIMER_CUR), 0));
    cr_expect(irr_bit(0x41));
    cr_expect(tmr_bit(0x41));
    cr_expect(not(isr_bit(0x41)));
    cr_expect(eq(u32, esr(), 0), "read-only registers are not illegal addresses");
}

Test(lapic, ldr_dfr)
{
    wr(LAPIC_LDR, 0xFFFFFFFF);
    cr_expect(eq(u32, rd(LAPIC_LDR), 0xFF000000));
    wr(LAPIC_DFR, 0);
    cr_expect(eq(u32, rd(LAPIC_DFR), 0x0FFFFFFF), "bits 27:0 read as ones");
    wr(LAPIC_DFR, 0x12345678);
    cr_expect(eq(u32, rd(LAPIC_DFR), 0x1FFFFFFF));
}

Test(lapic, svr_bits_and_software_disable)
{
    wr(LAPIC_SVR, 0xFFFFFFFF);
    cr_expect(eq(u32, rd(LAPIC_SVR), 0x3FF), "vector, enable, focus");
    wr(LAPIC_SVR, 0x120);
    cr_expect(eq(u32, rd(LAPIC_SVR), 0x12F), "vector bits 3:0 are hardwired to 1");
    /* Enabled: LVTs can be unmasked; disabling masks them all again and
     * keeps them masked. */
    wr(LAPIC_LVT_TIMER, 0x30);
    wr(LAPIC_LVT_LINT0, 0x700);
    wr(LAPIC_LVT_ERROR, 0x33);
    cr_expect(eq(u32, rd(LAPIC_LVT_TIMER), 0x30));
    wr(LAPIC_SVR, 0x0FF);
    cr_expect(eq(u32, rd(LAPIC_LVT_TIMER), 0x10030));
    cr_expect(eq(u32, rd(LAPIC_LVT_LINT0), 0x10700));
    cr_expect(eq(u32, rd(LAPIC_LVT_ERROR), 0x10033));
    wr(LAPIC_LVT_TIMER, 0x31);
    cr_expect(eq(u32, rd(LAPIC_LVT_TIMER), 0x10031), "mask cannot be cleared while disabled");
    /* Fixed interrupts are not accepted while software-disabled. */
    cr_expect(not(lapic_set_irq(&apic, 0x40, false)));
    cr_expect(not(irr_bit(0x40)));
}

Test(lapic, lvt_writable_bits)
{
    enable();
    wr(LAPIC_LVT_TIMER, 0xFFFFFFFF);
    wr(LAPIC_LVT_PERF, 0xFFFFFFFF);
    wr(LAPIC_LVT_LINT0, 0xFFFFFFFF & ~LAPIC_MASKED);
    wr(LAPIC_LVT_LINT1, 0xFFFFFFFF);
    wr(LAPIC_LVT_ERROR, 0xFFFFFFFF);
    cr_expect(eq(u32, rd(LAPIC_LVT_TIMER), 0x000300FF), "vector, mask, periodic");
    cr_expect(eq(u32, rd(LAPIC_LVT_PERF), 0x000107FF), "vector, mode, mask");
    cr_expect(eq(u32, rd(LAPIC_LVT_LINT0), 0x0000A7FF),
              "vector, mode, polarity, trigger; status and remote IRR read 0");
    cr_expect(eq(u32, rd(LAPIC_LVT_LINT1), 0x0001A7FF));
    cr_expect(eq(u32, rd(LAPIC_LVT_ERROR), 0x000100FF));
    cr_expect(eq(u32, rd(LAPIC_LVT_THERMAL), 0), "no thermal LVT on the P6");
    cr_expect(eq(u32, esr(), LAPIC_ESR_ILLEGAL_REG));
}

/* --- priorities, acceptance, EOI -------------------------------------- */

Test(lapic, tpr_ppr_masking)
{
    enable();
    wr(LAPIC_TPR, 0xFFFFFF45);
    cr_expect(eq(u32, rd(LAPIC_TPR), 0x45), "TPR is 8 bits");
    cr_expect(eq(u32, rd(LAPIC_PPR), 0x45), "PPR = TPR with nothing in service");
    lapic_set_irq(&apic, 0x42, false);
    cr_expect(not(intr), "class 4 is not above TPR class 4");
    cr_expect(eq(u32, rd(LAPIC_APR), 0x45), "APR = TPR when TPR >= IRRV, > ISRV");
    lapic_set_irq(&apic, 0x51, false);
    cr_expect(intr, "class 5 is above");
    cr_expect(eq(u32, rd(LAPIC_APR), 0x50));
    cr_expect(eq(u8, lapic_ack(&apic), 0x51));
    cr_expect(eq(u32, rd(LAPIC_PPR), 0x50), "the in-service class wins over the TPR");
    cr_expect(not(intr));
    wr(LAPIC_TPR, 0x20);
    cr_expect(eq(u32, rd(LAPIC_PPR), 0x50));
    wr(LAPIC_EOI, 0);
    cr_expect(eq(u32, rd(LAPIC_PPR), 0x20));
    cr_expect(intr, "0x42 now beats the TPR");
    cr_expect(eq(u8, lapic_ack(&apic), 0x42));
    cr_expect(eq(u32, rd(LAPIC_PPR), 0x40));
    wr(LAPIC_TPR, 0x4F);
    cr_expect(eq(u32, rd(LAPIC_PPR), 0x4F), "equal class: the TPR with its low bits");
}

Test(lapic, acceptance_irr_isr_tmr)
{
    enable();
    cr_expect(lapic_set_irq(&apic, 0x20, false));
    cr_expect(lapic_set_irq(&apic, 0xFF, true));
    cr_expect(eq(u32, rd(LAPIC_IRR + 0x10), 1), "vector 0x20: IRR word 1 bit 0");
    cr_expect(eq(u32, rd(LAPIC_IRR + 0x70), 0x80000000));
    cr_expect(eq(u32, rd(LAPIC_TMR + 0x70), 0x80000000), "level: TMR set");
    cr_expect(eq(u32, rd(LAPIC_TMR + 0x10), 0), "edge: TMR clear");
    cr_expect(eq(u8, lapic_ack(&apic), 0xFF), "highest vector first");
    cr_expect(eq(u32, rd(LAPIC_ISR + 0x70), 0x80000000));
    cr_expect(eq(u32, rd(LAPIC_IRR + 0x70), 0));
    /* The same vector again while in service pends once in the IRR. */
    lapic_set_irq(&apic, 0xFF, true);
    lapic_set_irq(&apic, 0xFF, true);
    cr_expect(irr_bit(0xFF));
    cr_expect(not(lapic_set_irq(&apic, 256, false)));
    cr_expect(not(lapic_set_irq(&apic, -1, false)));
}

Test(lapic, eoi_ordering_and_level_eoi)
{
    enable();
    lapic_set_irq(&apic, 0x31, true);
    cr_expect(eq(u8, lapic_ack(&apic), 0x31));
    lapic_set_irq(&apic, 0x61, false);
    cr_expect(intr, "a higher class nests");
    cr_expect(eq(u8, lapic_ack(&apic), 0x61));
    lapic_set_irq(&apic, 0x35, false);
    cr_expect(not(intr), "class 3 waits for 0x31's class");
    wr(LAPIC_EOI, 0x12345678); /* the value is ignored */
    cr_expect(not(isr_bit(0x61)), "EOI clears the highest in-service vector");
    cr_expect(isr_bit(0x31));
    cr_expect(eq(uint, eois, 0), "edge vector: no EOI message");
    cr_expect(not(intr));
    wr(LAPIC_EOI, 0);
    cr_expect(not(isr_bit(0x31)));
    cr_expect(eq(uint, eois, 1), "level vector: EOI goes to the I/O APIC");
    cr_expect(eq(u8, eoi_vec[0], 0x31));
    cr_expect(intr);
    cr_expect(eq(u8, lapic_ack(&apic), 0x35));
    wr(LAPIC_EOI, 0);
    wr(LAPIC_EOI, 0); /* nothing in service: no effect */
    cr_expect(eq(uint, eois, 1));
}

Test(lapic, spurious_vector)
{
    wr(LAPIC_SVR, 0x13F);
    lapic_set_irq(&apic, 0x50, false);
    cr_expect(intr);
    /* The TPR goes up between INTR and INTA. */
    wr(LAPIC_TPR, 0x60);
    cr_expect(eq(u8, lapic_ack(&apic), 0x3F));
    cr_expect(not(isr_bit(0x50)), "no ISR bit for a spurious interrupt");
    cr_expect(irr_bit(0x50));
    cr_expect(eq(u8, lapic_ack(&apic), 0x3F), "nothing pending at all");
    wr(LAPIC_EOI, 0);
    cr_expect(irr_bit(0x50), "no EOI for a spurious interrupt clears anything");
}

/* --- errors ------------------------------------------------------------ */

Test(lapic, esr_write_to_update_and_error_interrupt)
{
    enable();
    wr(LAPIC_LVT_ERROR, 0xE0);
    wr(LAPIC_ICR_LO, 0x4000 | 0x40000 | 0x05); /* self, fixed, vector 5 */
    cr_expect(eq(u32, rd(LAPIC_ESR), 0), "errors appear only after an ESR write");
    cr_expect(irr_bit(0xE0), "LVT error interrupt");
    wr(LAPIC_ESR, 0xFFFFFFFF);
    cr_expect(eq(u32, rd(LAPIC_ESR), LAPIC_ESR_SEND_ILLEGAL));
    cr_expect(eq(u32, rd(LAPIC_ESR), LAPIC_ESR_SEND_ILLEGAL), "reads do not clear it");
    wr(LAPIC_ESR, 0);
    cr_expect(eq(u32, rd(LAPIC_ESR), 0), "the next write clears it");
    /* An illegal vector arriving: receive illegal vector. */
    cr_expect(lapic_set_irq(&apic, 3, false));
    cr_expect(not(irr_bit(3)));
    cr_expect(eq(u32, esr(), LAPIC_ESR_RECV_ILLEGAL));
    /* An error LVT with an illegal vector flags itself once, no loop. */
    wr(LAPIC_LVT_ERROR, 0x02);
    rd(0x3F0);
    cr_expect(eq(u32, esr(), LAPIC_ESR_ILLEGAL_REG | LAPIC_ESR_RECV_ILLEGAL));
}

Test(lapic, reserved_registers)
{
    static const uint32_t reserved[] = { 0x000, 0x010, 0x040, 0x050, 0x060, 0x070, 0x290,
                                         0x2F0, 0x330, 0x3A0, 0x3B0, 0x3C0, 0x3D0, 0x3F0,
                                         0x400, 0x800, 0xFF0 };
    for (unsigned i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
        wr(LAPIC_ESR, 0);
        wr(reserved[i], 0xFFFFFFFF);
        cr_expect(eq(u32, rd(reserved[i]), 0), "0x%x reads 0", reserved[i]);
        cr_expect(eq(u32, esr(), LAPIC_ESR_ILLEGAL_REG), "0x%x is illegal", reserved[i]);
    }
}

/* --- the ICR ------------------------------------------------------------ */

Test(lapic, icr_fields_and_self_ipi)
{
    enable();
    wr(LAPIC_ICR_HI, 0xFFFFFFFF);
    cr_expect(eq(u32, rd(LAPIC_ICR_HI), 0xFF000000));
    wr(LAPIC_ICR_LO, 0xFFF3FFFF & ~0x700u); /* fixed, shorthand 0, vector 0xFF */
    cr_expect(eq(u32, rd(LAPIC_ICR_LO), 0x0000C8FF), "delivery status reads idle");
    cr_expect(not(irr_bit(0xFF)), "logical 0xFF with LDR 0: nobody accepts");
    cr_expect(eq(u32, esr(), LAPIC_ESR_SEND_ACCEPT));
    wr(LAPIC_LDR, 0x80000000);
    wr(LAPIC_ICR_LO, 0x800 | 0x77);
    cr_expect(irr_bit(0x77), "logical broadcast, flat model");
}

Test(lapic, icr_destinations)
{
    enable();
    /* Shorthand self. */
    wr(LAPIC_ICR_LO, 0x40000 | 0x40);
    cr_expect(irr_bit(0x40));
    cr_expect(not(tmr_bit(0x40)));
    /* All including self. */
    wr(LAPIC_ICR_LO, 0x80000 | 0x41);
    cr_expect(irr_bit(0x41));
    /* All excluding self: nobody accepts. */
    wr(LAPIC_ICR_LO, 0xC0000 | 0x42);
    cr_expect(not(irr_bit(0x42)));
    cr_expect(eq(u32, esr(), LAPIC_ESR_SEND_ACCEPT));
    /* Physical: our ID (0), broadcast, another ID. */
    wr(LAPIC_ICR_HI, 0x00000000);
    wr(LAPIC_ICR_LO, 0x43);
    cr_expect(irr_bit(0x43));
    wr(LAPIC_ICR_HI, 0xFF000000);
    wr(LAPIC_ICR_LO, 0x44);
    cr_expect(irr_bit(0x44));
    wr(LAPIC_ICR_HI, 0x01000000);
    wr(LAPIC_ICR_LO, 0x45);
    cr_expect(not(irr_bit(0x45)));
    cr_expect(eq(u32, esr(), LAPIC_ESR_SEND_ACCEPT));
    /* Logical flat: a common bit with the LDR. */
    wr(LAPIC_LDR, 0x01000000);
    wr(LAPIC_ICR_HI, 0x03000000);
    wr(LAPIC_ICR_LO, 0x800 | 0x46);
    cr_expect(irr_bit(0x46));
    wr(LAPIC_ICR_HI, 0x02000000);
    wr(LAPIC_ICR_LO, 0x800 | 0x47);
    cr_expect(not(irr_bit(0x47)));
    /* Logical cluster: cluster 2, member bit 1. */
    wr(LAPIC_DFR, 0x0FFFFFFF);
    wr(LAPIC_LDR, 0x21000000);
    wr(LAPIC_ICR_HI, 0x23000000);
    wr(LAPIC_ICR_LO, 0x800 | 0x48);
    cr_expect(irr_bit(0x48));
    wr(LAPIC_ICR_HI, 0xF1000000);
    wr(LAPIC_ICR_LO, 0x800 | 0x49);
    cr_expect(irr_bit(0x49), "cluster 0xF: all clusters");
    wr(LAPIC_ICR_HI, 0x31000000);
    wr(LAPIC_ICR_LO, 0x800 | 0x4A);
    cr_expect(not(irr_bit(0x4A)), "another cluster");
}

Test(lapic, icr_delivery_modes)
{
    enable();
    wr(LAPIC_ICR_LO, 0x40000 | 0x400); /* NMI to self */
    cr_expect(eq(uint, nmis, 1));
    wr(LAPIC_ICR_LO, 0x40000 | 0x100 | 0x55); /* lowest priority */
    cr_expect(irr_bit(0x55));
    wr(LAPIC_ICR_LO, 0x80000 | 0x500); /* INIT: not modelled */
    wr(LAPIC_ICR_LO, 0x80000 | 0x600 | 0x10); /* start-up */
    wr(LAPIC_ICR_LO, 0x80000 | 0x200); /* SMI */
    wr(LAPIC_ICR_LO, 0x80000 | 0x700 | 0x66); /* ExtINT */
    cr_expect(not(irr_bit(0x66)));
    cr_expect(eq(uint, nmis, 1));
    cr_expect(eq(u32, esr(), 0));
    cr_expect(eq(u8, lapic_ack(&apic), 0x55), "no ExtINT became pending");
}

/* --- the timer ------------------------------------------------------------ */

Test(lapic, timer_one_shot)
{
    enable();
    wr(LAPIC_TIMER_DIV, 0xB); /* divide by 1: 10 ns per count */
    wr(LAPIC_LVT_TIMER, 0x30);
    clock_advance_to(&clk, 500);
    wr(LAPIC_TIMER_INIT, 100);
    cr_expect(eq(u32, rd(LAPIC_TIMER_INIT), 100));
    cr_expect(eq(u32, rd(LAPIC_TIMER_CUR), 100));
    cr_expect(eq(u64, clock_next_deadline(&clk), 1500));
    clock_advance_to(&clk, 509);
    cr_expect(eq(u32, rd(LAPIC_TIMER_CUR), 100));
    clock_advance_to(&clk, 510);
    cr_expect(eq(u32, rd(LAPIC_TIMER_CUR), 99));
    clock_advance_to(&clk, 1499);
    cr_expect(eq(u32, rd(LAPIC_TIMER_CUR), 1));
    cr_expect(not(irr_bit(0x30)));
    clock_advance_to(&clk, 1500);
    cr_expect(irr_bit(0x30));
    cr_expect(eq(u32, rd(LAPIC_TIMER_CUR), 0));
    cr_expect(eq(u64, clock_next_deadline(&clk), CLOCK_NEVER), "one shot");
    cr_expect(eq(u8, lapic_ack(&apic), 0x30));
    clock_advance_to(&clk, 100000);
    cr_expect(not(irr_bit(0x30)));
    cr_expect(eq(u32, rd(LAPIC_TIMER_INIT), 100), "the initial count stays");
}

Test(lapic, timer_periodic)
{
    enable();
    wr(LAPIC_TIMER_DIV, 0x0); /* divide by 2: 20 ns */
    wr(LAPIC_LVT_TIMER, LAPIC_TIMER_PERIODIC | 0x31);
    wr(LAPIC_TIMER_INIT, 50); /* 1000 ns period */
    unsigned fired = 0;
    for (uint64_t t = 1000; t <= 5000; t += 1000) {
        clock_advance_to(&clk, t - 1);
        cr_expect(not(irr_bit(0x31)), "not before %llu", (unsigned long long)t);
        cr_expect(eq(u32, rd(LAPIC_TIMER_CUR), 1));
        clock_advance_to(&clk, t);
        cr_expect(irr_bit(0x31), "at %llu", (unsigned long long)t);
        cr_expect(eq(u32, rd(LAPIC_TIMER_CUR), 50), "reloaded");
        cr_expect(eq(u8, lapic_ack(&apic), 0x31));
        wr(LAPIC_EOI, 0);
        fired++;
    }
    cr_expect(eq(uint, fired, 5));
    clock_advance_to(&clk, 5500);
    cr_expect(eq(u32, rd(LAPIC_TIMER_CUR), 25));
    /* Several periods at once: one interrupt (the IRR merges them), the
     * count where it should be. */
    clock_advance_to(&clk, 9250);
    cr_expect(irr_bit(0x31));
    cr_expect(eq(u32, rd(LAPIC_TIMER_CUR), 38));
    cr_expect(eq(u64, clock_next_deadline(&clk), 10000));
}

Test(lapic, timer_divide_values)
{
    static const struct { uint32_t conf, div; } t[] = {
        { 0x0, 2 }, { 0x1, 4 }, { 0x2, 8 }, { 0x3, 16 },
        { 0x8, 32 }, { 0x9, 64 }, { 0xA, 128 }, { 0xB, 1 },
    };
    enable();
    wr(LAPIC_LVT_TIMER, 0x32);
    for (unsigned i = 0; i < 8; i++) {
        wr(LAPIC_TIMER_DIV, 0xFFFFFFF0 | t[i].conf);
        cr_expect(eq(u32, rd(LAPIC_TIMER_DIV), t[i].conf), "bits 0, 1, 3 only");
        uint64_t start = clk.now;
        wr(LAPIC_TIMER_INIT, 1000);
        clock_advance_to(&clk, start + 10 * t[i].div * 300);
        cr_expect(eq(u32, rd(LAPIC_TIMER_CUR), 700), "divide %u", t[i].div);
        cr_expect(eq(u64, clock_next_deadline(&clk), start + 10ull * t[i].div * 1000));
        wr(LAPIC_TIMER_INIT, 0);
    }
    cr_expect(eq(u32, rd(LAPIC_TIMER_DIV), 0xB));
}

Test(lapic, timer_masked_stop_and_changes)
{
    enable();
    wr(LAPIC_TIMER_DIV, 0xB);
    wr(LAPIC_LVT_TIMER, LAPIC_MASKED | LAPIC_TIMER_PERIODIC | 0x33);
    wr(LAPIC_TIMER_INIT, 10); /* 100 ns */
    clock_advance_to(&clk, 1050);
    cr_expect(not(irr_bit(0x33)), "masked: counts, no interrupt");
    cr_expect(eq(u32, rd(LAPIC_TIMER_CUR), 5));
    /* Unmask: the next expiry interrupts. */
    wr(LAPIC_LVT_TIMER, LAPIC_TIMER_PERIODIC | 0x33);
    cr_expect(eq(u32, rd(LAPIC_TIMER_CUR), 5), "an LVT write keeps the count");
    clock_advance_to(&clk, 1100);
    cr_expect(irr_bit(0x33));
    /* Switch to one shot mid-count: stops at 0 after this run. */
    clock_advance_to(&clk, 1130);
    wr(LAPIC_LVT_TIMER, 0x33);
    cr_expect(eq(u32, rd(LAPIC_TIMER_CUR), 7));
    clock_advance_to(&clk, 1200);
    cr_expect(eq(u32, rd(LAPIC_TIMER_CUR), 0));
    cr_expect(eq(u64, clock_next_deadline(&clk), CLOCK_NEVER));
    /* Divide change mid-count: the count carries on at the new rate. */
    wr(LAPIC_TIMER_INIT, 100);
    clock_advance_to(&clk, 1700);
    cr_expect(eq(u32, rd(LAPIC_TIMER_CUR), 50));
    wr(LAPIC_TIMER_DIV, 0x0); /* 20 ns */
    cr_expect(eq(u32, rd(LAPIC_TIMER_CUR), 50));
    cr_expect(eq(u64, clock_next_deadline(&clk), 2700));
    /* Writing 0 stops it. */
    wr(LAPIC_TIMER_INIT, 0);
    cr_expect(eq(u32, rd(LAPIC_TIMER_CUR), 0));
    cr_expect(eq(u64, clock_next_deadline(&clk), CLOCK_NEVER));
    /* Illegal vector in the LVT: receive illegal vector on expiry. */
    wr(LAPIC_LVT_TIMER, 0x07);
    wr(LAPIC_TIMER_INIT, 1);
    clock_advance_to(&clk, 10000);
    cr_expect(eq(u32, esr(), LAPIC_ESR_RECV_ILLEGAL));
}

/* --- LINT0/LINT1 and the 8259 ------------------------------------------- */

Test(lapic, virtual_wire_after_reset)
{
    /* Software-disabled after reset: LINT0 is the PIC's INTR as is. */
    pic_raise(0x08);
    cr_expect(intr);
    cr_expect(eq(u8, lapic_ack(&apic), 0x08), "the PIC supplies the vector");
    cr_expect(eq(uint, pic_acks, 1));
    cr_expect(not(intr));
    cr_expect(eq(u32, rd(LAPIC_ISR + 0x00), 0));
    /* The same when globally disabled. */
    lapic_set_base(&apic, BASE);
    pic_raise(0x09);
    cr_expect(intr);
    cr_expect(eq(u8, lapic_ack(&apic), 0x09));
    lapic_lint(&apic, 1, true);
    cr_expect(eq(uint, nmis, 1), "LINT1 is the NMI pin");
    lapic_lint(&apic, 1, true);
    cr_expect(eq(uint, nmis, 1), "on the rising edge only");
}

Test(lapic, lint0_extint_when_enabled)
{
    enable();
    pic_raise(0x20);
    cr_expect(not(intr), "LINT0 masked: the PIC is cut off");
    wr(LAPIC_LVT_LINT0, 0x700);
    cr_expect(intr, "ExtINT unmasked: the PIC's INTR comes through");
    /* ExtINT goes ahead of the IRR and is not subject to the TPR. */
    lapic_set_irq(&apic, 0x90, false);
    wr(LAPIC_TPR, 0xF0);
    cr_expect(eq(u8, lapic_ack(&apic), 0x20));
    cr_expect(eq(uint, pic_acks, 1));
    cr_expect(eq(u32, rd(LAPIC_ISR + 0x20), 0), "ExtINT sets no ISR bit");
    cr_expect(not(intr));
    wr(LAPIC_TPR, 0);
    cr_expect(eq(u8, lapic_ack(&apic), 0x90));
    /* Masking LINT0 again blocks it. */
    wr(LAPIC_LVT_LINT0, 0x10700);
    pic_raise(0x21);
    cr_expect(not(intr));
    /* An ExtINT message (I/O APIC virtual wire) also sends INTA to the PIC. */
    cr_expect(lapic_message(&apic, 0xFF, false, APIC_DM_EXTINT, 0, false));
    cr_expect(intr);
    cr_expect(eq(u8, lapic_ack(&apic), 0x21));
    cr_expect(not(intr));
}

Test(lapic, lint_fixed_nmi_and_masked)
{
    enable();
    wr(LAPIC_LVT_LINT1, 0x400);
    lapic_lint(&apic, 1, true);
    lapic_lint(&apic, 1, false);
    cr_expect(eq(uint, nmis, 1));
    wr(LAPIC_LVT_LINT1, 0x10400);
    lapic_lint(&apic, 1, true);
    lapic_lint(&apic, 1, false);
    cr_expect(eq(uint, nmis, 1), "masked");
    /* Fixed, edge: one interrupt per rising edge. */
    wr(LAPIC_LVT_LINT0, 0x51);
    lapic_lint(&apic, 0, true);
    cr_expect(irr_bit(0x51));
    cr_expect(not(tmr_bit(0x51)));
    cr_expect(eq(u8, lapic_ack(&apic), 0x51));
    lapic_lint(&apic, 0, true);
    cr_expect(not(irr_bit(0x51)), "no new edge");
    lapic_lint(&apic, 0, false);
    lapic_lint(&apic, 0, true);
    cr_expect(irr_bit(0x51));
    lapic_lint(&apic, 5, true); /* no such pin */
    lapic_lint(&apic, -1, true);
}

Test(lapic, lint_fixed_level_remote_irr)
{
    enable();
    wr(LAPIC_LVT_LINT0, LAPIC_TRIGGER | 0x52);
    lapic_lint(&apic, 0, true);
    cr_expect(irr_bit(0x52));
    cr_expect(tmr_bit(0x52));
    cr_expect(eq(u32, rd(LAPIC_LVT_LINT0), LAPIC_TRIGGER | LAPIC_REMOTE_IRR | 0x52));
    cr_expect(eq(u8, lapic_ack(&apic), 0x52));
    wr(LAPIC_EOI, 0);
    cr_expect(irr_bit(0x52), "still asserted: delivered again after the EOI");
    cr_expect(eq(u8, lapic_ack(&apic), 0x52));
    lapic_lint(&apic, 0, false);
    wr(LAPIC_EOI, 0);
    cr_expect(not(irr_bit(0x52)));
    cr_expect(eq(u32, rd(LAPIC_LVT_LINT0), LAPIC_TRIGGER | 0x52), "remote IRR cleared");
    /* Switching to edge drops a stuck remote IRR. */
    lapic_lint(&apic, 0, true);
    cr_expect(eq(u32, rd(LAPIC_LVT_LINT0) & LAPIC_REMOTE_IRR, LAPIC_REMOTE_IRR));
    wr(LAPIC_LVT_LINT0, 0x52);
    cr_expect(eq(u32, rd(LAPIC_LVT_LINT0), 0x52));
}

/* --- messages, base, guest abuse ---------------------------------------- */

Test(lapic, bus_messages)
{
    enable();
    cr_expect(lapic_message(&apic, 0x00, false, APIC_DM_FIXED, 0x60, true));
    cr_expect(irr_bit(0x60));
    cr_expect(tmr_bit(0x60));
    cr_expect(not(lapic_message(&apic, 0x02, false, APIC_DM_FIXED, 0x61, false)));
    cr_expect(lapic_message(&apic, 0x0F, false, APIC_DM_LOWEST, 0x62, false));
    cr_expect(not(lapic_message(&apic, 0xFF, true, APIC_DM_FIXED, 0x63, false)),
              "LDR 0 is in no logical group");
    cr_expect(lapic_message(&apic, 0x00, false, APIC_DM_NMI, 0, false));
    cr_expect(eq(uint, nmis, 1));
    cr_expect(lapic_message(&apic, 0x00, false, APIC_DM_INIT, 0, false));
    /* Software-disabled: fixed refused, NMI still taken. */
    wr(LAPIC_SVR, 0xFF);
    cr_expect(not(lapic_message(&apic, 0x00, false, APIC_DM_FIXED, 0x64, false)));
    cr_expect(lapic_message(&apic, 0x00, false, APIC_DM_NMI, 0, false));
    cr_expect(eq(uint, nmis, 2));
    /* Globally disabled: nothing. */
    lapic_set_base(&apic, BASE);
    cr_expect(not(lapic_message(&apic, 0x00, false, APIC_DM_NMI, 0, false)));
}

Test(lapic, apic_base_disable_and_relocate)
{
    enable();
    wr(LAPIC_TPR, 0x30);
    lapic_set_irq(&apic, 0x70, false);
    lapic_set_base(&apic, BASE); /* bit 11 clear */
    cr_expect(eq(u32, rd(LAPIC_VER), 0xFFFFFFFF), "the page is gone");
    lapic_set_base(&apic, BASE | 0x900);
    cr_expect(eq(u32, rd(LAPIC_VER), LAPIC_VERSION));
    cr_expect(eq(u32, rd(LAPIC_TPR), 0), "a global disable resets the APIC");
    cr_expect(eq(u32, rd(LAPIC_SVR), 0xFF));
    cr_expect(not(irr_bit(0x70)));
    /* Relocation. */
    lapic_set_base(&apic, 0xFED00000 | 0x800);
    cr_expect(eq(u32, rd(LAPIC_VER), 0xFFFFFFFF));
    cr_expect(eq(u32, bus_read(&bus, 0xFED00000 + LAPIC_VER, 4), LAPIC_VERSION));
    bus_write(&bus, 0xFED00000 + LAPIC_TPR, 0x44, 4);
    cr_expect(eq(u32, bus_read(&bus, 0xFED00000 + LAPIC_TPR, 4), 0x44), "state kept");
    lapic_reset(&apic);
    cr_expect(eq(u32, rd(LAPIC_VER), LAPIC_VERSION), "reset: back at 0xFEE00000");
    cr_expect(eq(u32, bus_read(&bus, 0xFED00000 + LAPIC_VER, 4), 0xFFFFFFFF));
    /* Abuse: toggling forever never goes out of bounds (the bus's region
     * table fills and the page stays unmapped). */
    for (int i = 0; i < 200; i++)
        lapic_set_base(&apic, (i & 1) ? BASE | 0x800 : BASE);
    uint32_t v = rd(LAPIC_VER);
    cr_expect(v == LAPIC_VERSION || v == 0xFFFFFFFF);
    lapic_pic_intr(&apic, true);
    cr_expect(intr, "the PIC still gets through");
}

Test(lapic, narrow_and_unaligned_accesses)
{
    enable();
    wr(LAPIC_TPR, 0x5A);
    wr(LAPIC_LDR, 0xAB000000);
    cr_expect(eq(u32, bus_read(&bus, BASE + LAPIC_VER, 1), 0x11), "byte reads");
    cr_expect(eq(u32, bus_read(&bus, BASE + LAPIC_VER + 2, 2), 0x0004));
    cr_expect(eq(u32, bus_read(&bus, BASE + LAPIC_LDR + 3, 1), 0xAB));
    cr_expect(eq(u32, bus_read(&bus, BASE + LAPIC_TPR + 4, 4), 0), "bytes 4-15 read 0");
    cr_expect(eq(u32, bus_read(&bus, BASE + LAPIC_TPR + 12, 4), 0));
    cr_expect(eq(u32, bus_read(&bus, BASE + LAPIC_TPR - 2, 4), 0x005A0000),
              "a read straddling two slots");
    cr_expect(eq(u32, bus_read(&bus, BASE + 0xFFE, 4), 0xFFFF0000),
              "crossing the page end: the rest is unmapped");
    bus_write(&bus, BASE + LAPIC_TPR, 0x11, 1);
    bus_write(&bus, BASE + LAPIC_TPR, 0x11, 2);
    bus_write(&bus, BASE + LAPIC_TPR + 4, 0x11, 4);
    bus_write(&bus, BASE + LAPIC_TPR + 1, 0x11, 4);
    cr_expect(eq(u32, rd(LAPIC_TPR), 0x5A), "narrow or unaligned writes are dropped");
    bus_write(&bus, BASE + LAPIC_ICR_LO, 0x40060, 2);
    cr_expect(not(irr_bit(0x60)), "a narrow ICR write sends nothing");
    cr_expect(eq(u32, esr(), 0), "none of that is an illegal register");
}

/* Random register traffic, input changes, INTAs and time: everything
 * stays in bounds (the sanitizer build checks) and INTR stays consistent
 * with what an INTA then returns. */
Test(lapic, random_guest_traffic_stays_in_bounds)
{
    uint32_t s = 12345;
    for (int i = 0; i < 20000; i++) {
        s = s * 1103515245u + 12345u;
        uint32_t r = s >> 8;
        uint32_t off = r & 0xFFF;
        unsigned size = 1u << ((r >> 12) % 3);
        s = s * 1103515245u + 12345u;
        switch ((r >> 16) & 7) {
        case 0:
        case 1: bus_write(&bus, BASE + (off & ~3u), s, 4); break;
        case 2: bus_write(&bus, BASE + off, s, size); break;
        case 3: bus_read(&bus, BASE + off, size); break;
        case 4: lapic_lint(&apic, (int)(s & 3) - 1, s & 4); break;
        case 5:
            lapic_message(&apic, (uint8_t)s, s & 0x100, (s >> 9) & 7, (uint8_t)(s >> 12),
                          s & 0x80000);
            break;
        case 6: lapic_ack(&apic); break;
        default: clock_advance_to(&clk, clk.now + (s & 0xFFFF)); break;
        }
        if ((r & 0xFF) == 0)
            wr(LAPIC_SVR, 0x1FF); /* keep it enabled most of the time */
    }
    cr_expect(lt(uint, apic.tpr, 256u));
}
