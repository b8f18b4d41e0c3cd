/* The local APIC of a uniprocessor Pentium Pro (P6 family), written from
 * the Intel SDM vol. 3A chapter 10 ("Advanced Programmable Interrupt
 * Controller"): the 4 KiB register page at IA32_APIC_BASE (0xFEE00000
 * after reset), interrupt acceptance (IRR/ISR/TMR, TPR/PPR), EOI, the local
 * vector table (timer, performance counter, LINT0, LINT1, error), the
 * timer, the error status register and self-directed IPIs through the ICR.
 *
 * The LAPIC sits between the interrupt sources and the CPU: it drives the
 * CPU's INTR line and answers its INTA (lapic_ack).  While the APIC is
 * globally disabled (IA32_APIC_BASE bit 11 clear) or software-disabled
 * (SVR bit 8 clear, the state after reset), LINT0 passes the 8259's INTR
 * straight through and LINT1 the NMI, as the pins of a CPU without an APIC
 * do: so the machine can always route the PIC through here.
 * See docs/devices/apic.md. */
#ifndef POPEK_DEVICES_LAPIC_H
#define POPEK_DEVICES_LAPIC_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/clock.h"

struct bus;
struct sv_reader;
struct sv_writer;

#define LAPIC_DEFAULT_BASE 0xFEE00000u
#define LAPIC_SIZE 0x1000u
/* Version register: integrated APIC version 0x11 (P6), max LVT entry 4
 * (five entries: timer, performance counter, LINT0, LINT1, error). */
#define LAPIC_VERSION 0x00040011u
/* The timer counts the bus clock: 100 MHz, 10 ns per tick at divide 1. */
#define LAPIC_BUS_NS 10u

/* Register offsets (SDM table 10-1). */
enum {
    LAPIC_ID = 0x020,
    LAPIC_VER = 0x030,
    LAPIC_TPR = 0x080,
    LAPIC_APR = 0x090,
    LAPIC_PPR = 0x0A0,
    LAPIC_EOI = 0x0B0,
    LAPIC_RRD = 0x0C0,
    LAPIC_LDR = 0x0D0,
    LAPIC_DFR = 0x0E0,
    LAPIC_SVR = 0x0F0,
    LAPIC_ISR = 0x100, /* 8 registers, 0x10 apart */
    LAPIC_TMR = 0x180,
    LAPIC_IRR = 0x200,
    LAPIC_ESR = 0x280,
    LAPIC_ICR_LO = 0x300,
    LAPIC_ICR_HI = 0x310,
    LAPIC_LVT_TIMER = 0x320,
    LAPIC_LVT_THERMAL = 0x330, /* not on the P6: reserved */
    LAPIC_LVT_PERF = 0x340,
    LAPIC_LVT_LINT0 = 0x350,
    LAPIC_LVT_LINT1 = 0x360,
    LAPIC_LVT_ERROR = 0x370,
    LAPIC_TIMER_INIT = 0x380,
    LAPIC_TIMER_CUR = 0x390,
    LAPIC_TIMER_DIV = 0x3E0,
};

/* LVT and ICR fields. */
#define LAPIC_VECTOR 0x000000FFu
#define LAPIC_DM_SHIFT 8 /* delivery mode, bits 10:8 */
#define LAPIC_DM_MASK 0x00000700u
#define LAPIC_DEST_LOGICAL 0x00000800u
#define LAPIC_DELIVS 0x00001000u   /* delivery status (read only) */
#define LAPIC_POLARITY 0x00002000u /* LINT: 1 active low */
#define LAPIC_REMOTE_IRR 0x00004000u
#define LAPIC_ICR_LEVEL 0x00004000u /* ICR: level assert */
#define LAPIC_TRIGGER 0x00008000u  /* 1 level */
#define LAPIC_MASKED 0x00010000u
#define LAPIC_TIMER_PERIODIC 0x00020000u
#define LAPIC_SHORTHAND_SHIFT 18 /* ICR bits 19:18 */

/* Delivery modes (LVT, ICR, I/O APIC redirection entries). */
enum {
    APIC_DM_FIXED = 0,
    APIC_DM_LOWEST = 1,
    APIC_DM_SMI = 2,
    APIC_DM_NMI = 4,
    APIC_DM_INIT = 5,
    APIC_DM_STARTUP = 6,
    APIC_DM_EXTINT = 7,
};

#define LAPIC_SVR_ENABLE 0x100u
#define LAPIC_SVR_FOCUS_OFF 0x200u

/* ESR bits (SDM 10.5.3). */
#define LAPIC_ESR_SEND_ACCEPT 0x04u
#define LAPIC_ESR_SEND_ILLEGAL 0x20u
#define LAPIC_ESR_RECV_ILLEGAL 0x40u
#define LAPIC_ESR_ILLEGAL_REG 0x80u

/* Indices into lvt[]. */
enum { LVT_TIMER, LVT_PERF, LVT_LINT0, LVT_LINT1, LVT_ERROR, LVT_N };

struct lapic {
    struct bus *bus;
    struct vclock *clk;
    struct vtimer timer;

    uint32_t base;    /* IA32_APIC_BASE bits 31:12 */
    bool hw_enabled;  /* IA32_APIC_BASE bit 11 */
    bool mapped;      /* the register page is on the bus at mapped_base */
    uint32_t mapped_base;
    uint8_t reset_id; /* the ID the hardware assigns (0: the BSP) */

    uint32_t id, tpr, ldr, dfr, svr;
    uint32_t irr[8], isr[8], tmr[8];
    uint32_t esr;         /* what the guest reads */
    uint32_t esr_pending; /* errors since the last ESR write */
    uint32_t icr_lo, icr_hi;
    uint32_t lvt[LVT_N];
    uint32_t timer_init, timer_div;

    /* The timer: counting from base_count down at base_time, then (in
     * periodic mode) reloaded from timer_init. */
    bool timer_running;
    uint64_t timer_base_time;
    uint32_t timer_base_count;
    uint64_t timer_deadline;

    bool lint[2];        /* the level on LINT0/LINT1 */
    bool extint_pending; /* an ExtINT message (from the I/O APIC) awaits INTA */
    bool intr;           /* the level last driven on INTR */

    /* Outputs, set by the machine. */
    void (*intr_fn)(void *opaque, bool level); /* -> cpu_set_intr */
    void *intr_opaque;
    void (*nmi_fn)(void *opaque); /* -> cpu_set_nmi */
    void *nmi_opaque;
    uint8_t (*extint_ack)(void *opaque); /* -> pic_ack */
    void *extint_opaque;
    void (*eoi_fn)(void *opaque, uint8_t vector); /* -> ioapic_eoi */
    void *eoi_opaque;
};

/* Maps the registers at 0xFEE00000, registers the timer and resets.
 * Returns 0 or -errno. */
int lapic_init(struct lapic *a, struct bus *bus, struct vclock *clk);
/* Power-up/RESET# state: base 0xFEE00000, globally enabled, software
 * disabled, every LVT masked.  The ID becomes reset_id. */
void lapic_reset(struct lapic *a);
/* IA32_APIC_BASE changed (the CPU's WRMSR 0x1B): bit 11 enables, bits
 * 31:12 place the register page.  Clearing bit 11 returns the APIC to its
 * reset state (the ID kept) and takes the page off the bus. */
void lapic_set_base(struct lapic *a, uint32_t msr_value);

/* Wiring. */
void lapic_set_intr_output(struct lapic *a, void (*fn)(void *opaque, bool level), void *opaque);
void lapic_set_nmi_output(struct lapic *a, void (*fn)(void *opaque), void *opaque);
void lapic_set_extint_ack(struct lapic *a, uint8_t (*ack)(void *opaque), void *opaque);
void lapic_set_eoi_output(struct lapic *a, void (*fn)(void *opaque, uint8_t vector), void *opaque);

/* The CPU's INTA: the vector of the interrupt it takes (for cpu_set_intr_ack). */
uint8_t lapic_ack(void *lapic);

/* A fixed interrupt for this APIC (bypasses destination matching).
 * Returns whether it was accepted (false while disabled). */
bool lapic_set_irq(struct lapic *a, int vector, bool level_triggered);
/* An interrupt message from the APIC bus (the I/O APIC): destination
 * (physical ID or logical MDA), delivery mode APIC_DM_*, vector, trigger.
 * Returns whether this APIC accepted it.  Fits ioapic_set_output(). */
bool lapic_message(void *lapic, uint8_t dest, bool logical, unsigned mode, uint8_t vector,
                   bool level_triggered);

/* Savestate (mem/sv.h): the base and enable of IA32_APIC_BASE, every
 * register, IRR/ISR/TMR, the timer's count-down state and deadline, the
 * LINT levels, a pending ExtINT and the INTR level last driven.  Where
 * the page is mapped now (mapped, mapped_base) is the bus's state and is
 * not saved: lapic_post_load, after every load, maps the page at the
 * loaded base (or takes it off the bus). */
#define LAPIC_SV_VERSION 1
void lapic_save(const struct lapic *a, struct sv_writer *w);
void lapic_load(struct lapic *a, struct sv_reader *r, unsigned version);
void lapic_post_load(struct lapic *a);
/* LINT0/LINT1 input levels (signature of struct irq_line's set). */
void lapic_lint(void *lapic, int pin, bool level);
/* The 8259's INTR output on LINT0 (signature of pic_set_output's callback). */
void lapic_pic_intr(void *lapic, bool level);

#endif
