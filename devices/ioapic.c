/* The 82093AA I/O APIC (see ioapic.h), from the Intel 82093AA datasheet
 * (290566): section 3.0 (IOREGSEL/IOWIN, IOAPICID, IOAPICVER, IOAPICARB,
 * IOREDTBL) and the interrupt delivery it describes: edge-triggered inputs
 * send a message on the rising edge, level-triggered ones while asserted
 * and remote IRR is clear, remote IRR being set when the local APIC accepts
 * the message and cleared by its EOI for the vector. */
#include "devices/ioapic.h"

#include <errno.h>
#include <string.h>

#include "mem/bus.h"
#include "mem/sv.h"

/* Low dword: vector, delivery mode, destination mode, polarity, trigger
 * mode, mask (delivery status and remote IRR are read only).  High dword:
 * the destination, bits 63:56. */
#define REDIR_LO_WRITABLE 0x0001AFFFu
#define REDIR_HI_WRITABLE 0xFF000000u

static uint32_t lo_of(uint64_t e)
{
    return (uint32_t)e;
}

static unsigned mode_of(uint32_t lo)
{
    return (lo & IOAPIC_DM_MASK) >> IOAPIC_DM_SHIFT;
}

/* Level triggering applies to fixed and lowest-priority entries only: SMI,
 * NMI, INIT and ExtINT are always sent as edges. */
static bool is_level(uint32_t lo)
{
    return (lo & IOAPIC_TRIGGER) && mode_of(lo) <= 1;
}

static void set_lo(struct ioapic *io, int pin, uint32_t lo)
{
    io->redir[pin] = (io->redir[pin] & 0xFFFFFFFF00000000ull) | lo;
}

/* Sends entry pin's message; true if an APIC accepted it. */
static bool send_entry(struct ioapic *io, int pin)
{
    uint64_t e = io->redir[pin];
    uint32_t lo = lo_of(e);
    if (!io->send)
        return false;
    return io->send(io->send_opaque, (uint8_t)(e >> 56), (lo & IOAPIC_DEST_LOGICAL) != 0,
                    mode_of(lo), (uint8_t)(lo & IOAPIC_VECTOR), is_level(lo));
}

/* Delivers what entry pin has to deliver.  Delivery status is set while a
 * message waits for an APIC to accept it (the chip retries; here the next
 * event for the I/O APIC retries). */
static void service(struct ioapic *io, int pin)
{
    uint32_t lo = lo_of(io->redir[pin]);
    bool asserted = (io->pins >> pin) & 1;
    if (lo & IOAPIC_MASKED) {
        set_lo(io, pin, lo & ~IOAPIC_DELIVS);
        return;
    }
    if (is_level(lo)) {
        if (!asserted || (lo & IOAPIC_REMOTE_IRR)) {
            set_lo(io, pin, lo & ~IOAPIC_DELIVS);
            return;
        }
        /* Remote IRR first: the LAPIC may EOI re-entrantly. */
        set_lo(io, pin, lo | IOAPIC_REMOTE_IRR);
        if (!send_entry(io, pin))
            set_lo(io, pin, (lo_of(io->redir[pin]) & ~IOAPIC_REMOTE_IRR) | IOAPIC_DELIVS);
        else
            set_lo(io, pin, lo_of(io->redir[pin]) & ~IOAPIC_DELIVS);
    } else if (lo & IOAPIC_DELIVS) {
        set_lo(io, pin, lo & ~IOAPIC_DELIVS);
        if (!send_entry(io, pin))
            set_lo(io, pin, lo_of(io->redir[pin]) | IOAPIC_DELIVS);
    }
}

static void service_all(struct ioapic *io)
{
    for (int pin = 0; pin < IOAPIC_PINS; pin++)
        service(io, pin);
}

void ioapic_set_irq(void *ioapic, int pin, bool level)
{
    struct ioapic *io = ioapic;
    if (pin < 0 || pin >= IOAPIC_PINS)
        return;
    uint32_t bit = 1u << pin;
    bool rising = level && !(io->pins & bit);
    io->pins = level ? io->pins | bit : io->pins & ~bit;
    uint32_t lo = lo_of(io->redir[pin]);
    /* An edge on a masked edge-triggered pin is ignored, not held. */
    if (rising && !is_level(lo) && !(lo & IOAPIC_MASKED))
        set_lo(io, pin, lo | IOAPIC_DELIVS);
    service_all(io);
}

void ioapic_eoi(void *ioapic, uint8_t vector)
{
    struct ioapic *io = ioapic;
    for (int pin = 0; pin < IOAPIC_PINS; pin++) {
        uint32_t lo = lo_of(io->redir[pin]);
        if ((lo & IOAPIC_VECTOR) == vector && (lo & IOAPIC_REMOTE_IRR))
            set_lo(io, pin, lo & ~IOAPIC_REMOTE_IRR);
    }
    service_all(io);
}

static uint32_t reg_read(const struct ioapic *io, uint8_t idx)
{
    switch (idx) {
    case IOAPIC_REG_ID: return io->id;
    case IOAPIC_REG_VER: return IOAPIC_VERSION;
    case IOAPIC_REG_ARB: return io->id; /* arbitration ID: loaded from the ID */
    default: break;
    }
    if (idx >= IOAPIC_REG_REDIR && idx < IOAPIC_REG_REDIR + 2 * IOAPIC_PINS) {
        uint64_t e = io->redir[(idx - IOAPIC_REG_REDIR) >> 1];
        return (idx & 1) ? (uint32_t)(e >> 32) : (uint32_t)e;
    }
    return 0; /* unimplemented index */
}

static void reg_write(struct ioapic *io, uint8_t idx, uint32_t val)
{
    if (idx == IOAPIC_REG_ID) {
        io->id = val & 0x0F000000u;
        return;
    }
    if (idx < IOAPIC_REG_REDIR || idx >= IOAPIC_REG_REDIR + 2 * IOAPIC_PINS)
        return; /* version, arbitration: read only; others unimplemented */
    int pin = (idx - IOAPIC_REG_REDIR) >> 1;
    uint64_t e = io->redir[pin];
    if (idx & 1) {
        io->redir[pin] = (e & 0xFFFFFFFFull) | (uint64_t)(val & REDIR_HI_WRITABLE) << 32;
        return;
    }
    uint32_t old = lo_of(e);
    uint32_t lo = (val & REDIR_LO_WRITABLE) | (old & (IOAPIC_DELIVS | IOAPIC_REMOTE_IRR));
    /* Remote IRR only means something for a level entry: switching to edge
     * clears it (Linux relies on this to recover a lost EOI). */
    if (!is_level(lo))
        lo &= ~IOAPIC_REMOTE_IRR;
    set_lo(io, pin, lo);
    service_all(io);
}

/* IOREGSEL is the byte at 0x00 (bits 31:8 reserved); IOWIN is the dword
 * at 0x10.  Narrower IOWIN reads get the bytes they cover; IOWIN writes
 * other than an aligned dword, and every other offset, are ignored and
 * read 0 (see apic.md). */
static uint32_t ioapic_mmio_read(void *opaque, uint32_t offset, unsigned size)
{
    struct ioapic *io = opaque;
    uint32_t v = 0, win = 0;
    bool have = false;
    for (unsigned i = 0; i < size && i < 4; i++) {
        uint32_t o = offset + i, b = 0;
        if (o == IOAPIC_IOREGSEL) {
            b = io->regsel;
        } else if (o >= IOAPIC_IOWIN && o < IOAPIC_IOWIN + 4) {
            if (!have) {
                win = reg_read(io, io->regsel);
                have = true;
            }
            b = (win >> (8 * (o - IOAPIC_IOWIN))) & 0xFF;
        }
        v |= b << (8 * i);
    }
    return v;
}

static void ioapic_mmio_write(void *opaque, uint32_t offset, uint32_t val, unsigned size)
{
    struct ioapic *io = opaque;
    if (offset == IOAPIC_IOREGSEL)
        io->regsel = (uint8_t)val;
    else if (offset == IOAPIC_IOWIN && size == 4)
        reg_write(io, io->regsel, val);
}

static const struct mmio_ops ioapic_ops = {
    .read = ioapic_mmio_read,
    .write = ioapic_mmio_write,
    .max_size = 4,
};

void ioapic_reset(struct ioapic *io)
{
    io->regsel = 0;
    io->id = (uint32_t)(io->reset_id & 0xF) << 24;
    for (int pin = 0; pin < IOAPIC_PINS; pin++)
        io->redir[pin] = IOAPIC_MASKED;
}

int ioapic_init(struct ioapic *io, struct bus *bus, uint32_t base, uint8_t id)
{
    memset(io, 0, sizeof(*io));
    io->bus = bus;
    io->base = base;
    io->reset_id = id;
    ioapic_reset(io);
    int rc = bus_map_mmio(bus, base, IOAPIC_SIZE, &ioapic_ops, io);
    return rc < 0 ? rc : 0;
}

void ioapic_set_output(struct ioapic *io, ioapic_send_fn send, void *opaque)
{
    io->send = send;
    io->send_opaque = opaque;
}

void ioapic_save(const struct ioapic *io, struct sv_writer *w)
{
    sv_put_u8(w, io->regsel);
    sv_put_u32(w, io->id);
    for (int pin = 0; pin < IOAPIC_PINS; pin++)
        sv_put_u64(w, io->redir[pin]);
    sv_put_u32(w, io->pins);
}

void ioapic_load(struct ioapic *io, struct sv_reader *r, unsigned version)
{
    if (version != IOAPIC_SV_VERSION) {
        sv_fail(r, "version %u, this Popek reads %u", version, IOAPIC_SV_VERSION);
        return;
    }
    /* Every IOREGSEL value is one a guest can write: reg_read and
     * reg_write check the index against the table themselves. */
    io->regsel = sv_get_u8(r);
    io->id = sv_get_u32(r);
    sv_check(r, !(io->id & ~0x0F000000u), "ioapic ID");
    for (int pin = 0; pin < IOAPIC_PINS; pin++) {
        uint64_t e = sv_get_u64(r);
        uint32_t lo = lo_of(e), hi = (uint32_t)(e >> 32);
        if (!sv_check(r,
                      !(lo & ~(REDIR_LO_WRITABLE | IOAPIC_DELIVS | IOAPIC_REMOTE_IRR)) &&
                          !(hi & ~REDIR_HI_WRITABLE) &&
                          (!(lo & IOAPIC_REMOTE_IRR) || is_level(lo)),
                      "ioapic redirection entry"))
            return;
        io->redir[pin] = e;
    }
    /* One bit per input pin. */
    io->pins = sv_get_max(r, 4, (1u << IOAPIC_PINS) - 1, "ioapic pin levels");
}
