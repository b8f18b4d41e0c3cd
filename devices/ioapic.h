/* The Intel 82093AA I/O APIC (datasheet 290566): 24 interrupt input pins,
 * each with a 64-bit redirection table entry that turns an edge or a level
 * on the pin into an interrupt message for the local APIC(s).  The
 * registers are reached indirectly: IOREGSEL at base+0x00 selects one,
 * IOWIN at base+0x10 reads or writes it.  See docs/devices/apic.md. */
#ifndef POPEK_DEVICES_IOAPIC_H
#define POPEK_DEVICES_IOAPIC_H

#include <stdbool.h>
#include <stdint.h>

struct bus;
struct sv_reader;
struct sv_writer;

#define IOAPIC_DEFAULT_BASE 0xFEC00000u
#define IOAPIC_SIZE 0x1000u
#define IOAPIC_PINS 24
/* Version register: version 0x11, maximum redirection entry 23. */
#define IOAPIC_VERSION 0x00170011u

/* Register offsets in the page, and indices behind IOREGSEL. */
enum { IOAPIC_IOREGSEL = 0x00, IOAPIC_IOWIN = 0x10 };
enum { IOAPIC_REG_ID = 0x00, IOAPIC_REG_VER = 0x01, IOAPIC_REG_ARB = 0x02,
       IOAPIC_REG_REDIR = 0x10 /* entry n: 0x10 + 2n (low), 0x11 + 2n (high) */ };

/* Redirection entry bits (low dword; the destination is bits 63:56). */
#define IOAPIC_VECTOR 0x000000FFu
#define IOAPIC_DM_SHIFT 8
#define IOAPIC_DM_MASK 0x00000700u
#define IOAPIC_DEST_LOGICAL 0x00000800u
#define IOAPIC_DELIVS 0x00001000u     /* read only: send pending */
#define IOAPIC_POLARITY 0x00002000u   /* 1 active low */
#define IOAPIC_REMOTE_IRR 0x00004000u /* read only */
#define IOAPIC_TRIGGER 0x00008000u    /* 1 level */
#define IOAPIC_MASKED 0x00010000u

/* Where messages go: the APIC bus.  Returns whether an APIC accepted it
 * (lapic_message has this signature). */
typedef bool (*ioapic_send_fn)(void *opaque, uint8_t dest, bool logical, unsigned mode,
                               uint8_t vector, bool level_triggered);

struct ioapic {
    struct bus *bus;
    uint32_t base;
    uint8_t reset_id; /* the ID loaded at reset (see apic.md) */
    uint8_t regsel;
    uint32_t id;            /* bits 27:24 */
    uint64_t redir[IOAPIC_PINS];
    uint32_t pins;          /* the level on each input */
    ioapic_send_fn send;
    void *send_opaque;
};

/* Maps the registers at base (page aligned) and resets with the given ID.
 * Returns 0 or -errno. */
int ioapic_init(struct ioapic *io, struct bus *bus, uint32_t base, uint8_t id);
/* Every entry masked, edge, vector 0; the ID back to reset_id.  Input
 * levels are kept (the devices still drive them). */
void ioapic_reset(struct ioapic *io);
void ioapic_set_output(struct ioapic *io, ioapic_send_fn send, void *opaque);
/* Drives input pin (0-23) to level (signature of struct irq_line's set);
 * other pin numbers are ignored. */
void ioapic_set_irq(void *ioapic, int pin, bool level);
/* The local APIC's EOI of a level-triggered vector (signature of
 * lapic_set_eoi_output's callback): clears remote IRR of the entries with
 * that vector and re-delivers those whose input is still asserted. */
void ioapic_eoi(void *ioapic, uint8_t vector);

/* Savestate (mem/sv.h): IOREGSEL, the ID, the 24 redirection entries (with
 * their delivery status and remote IRR) and the input pin levels.  The
 * base address and reset ID are the board's and are not saved. */
#define IOAPIC_SV_VERSION 1
void ioapic_save(const struct ioapic *io, struct sv_writer *w);
void ioapic_load(struct ioapic *io, struct sv_reader *r, unsigned version);

#endif
