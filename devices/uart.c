/* 16550A UART (see uart.h), from the National Semiconductor PC16550D
 * datasheet: register set (table II), FIFO operation, interrupt priorities
 * (table IV), the modem control register's loopback. */
#include "devices/uart.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "devices/chardev.h"
#include "mem/bus.h"
#include "mem/sv.h"

#define UART_LSR_ERRORS (UART_LSR_OE | UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)
#define UART_CHAR_ERRORS (UART_LSR_PE | UART_LSR_FE | UART_LSR_BI)
#define UART_MSR_LINES 0xF0
#define UART_MSR_DELTAS 0x0F

/* --- FIFOs ---------------------------------------------------------------- */

static void fifo_clear(struct uart_fifo *f)
{
    f->head = 0;
    f->count = 0;
}

static void fifo_push(struct uart_fifo *f, uint8_t data, uint8_t err)
{
    unsigned i = (f->head + f->count) % UART_FIFO_SIZE;
    f->data[i] = data;
    f->err[i] = err;
    if (f->count < UART_FIFO_SIZE)
        f->count++;
}

static uint8_t fifo_pop(struct uart_fifo *f)
{
    uint8_t v = f->data[f->head % UART_FIFO_SIZE];
    f->head = (f->head + 1) % UART_FIFO_SIZE;
    f->count--;
    return v;
}

static bool fifo_has_errors(const struct uart_fifo *f)
{
    for (unsigned i = 0; i < f->count; i++)
        if (f->err[(f->head + i) % UART_FIFO_SIZE])
            return true;
    return false;
}

/* --- timing --------------------------------------------------------------- */

static bool uart_fifo_on(const struct uart *u)
{
    return u->fcr & UART_FCR_ENABLE;
}

/* How many characters a buffer holds: the FIFO, or the one-byte RBR/THR. */
static unsigned uart_depth(const struct uart *u)
{
    return uart_fifo_on(u) ? UART_FIFO_SIZE : 1;
}

uint64_t uart_char_time_ns(const struct uart *u)
{
    /* In half bits: start, 5-8 data bits, parity, and 1, 1.5 (5-bit words)
     * or 2 stop bits. */
    unsigned wls = 5 + (u->lcr & UART_LCR_WLS);
    unsigned half = 2 * (1 + wls + ((u->lcr & UART_LCR_PEN) ? 1 : 0));
    if (!(u->lcr & UART_LCR_STB))
        half += 2;
    else
        half += wls == 5 ? 3 : 4;
    /* The baud generator divides the 1.8432 MHz clock by 16 * divisor; a
     * divisor of 0 reloads the 16-bit counter with 0, i.e. 65536 counts. */
    uint64_t div = u->divisor ? u->divisor : 65536;
    uint64_t ns = (uint64_t)half * div * 16 * 1000000000u / (2ull * UART_CLOCK_HZ);
    return ns ? ns : 1;
}

static uint8_t uart_word_mask(const struct uart *u)
{
    return (uint8_t)(0xFFu >> (3 - (u->lcr & UART_LCR_WLS)));
}

/* --- interrupts ----------------------------------------------------------- */

static bool uart_rx_level_reached(const struct uart *u)
{
    static const uint8_t trigger[4] = { 1, 4, 8, 14 };
    if (!uart_fifo_on(u))
        return u->rx.count > 0;
    return u->rx.count >= trigger[(u->fcr >> 6) & 3];
}

/* The IIR identification bits 0-3 for the highest-priority pending
 * interrupt among the enabled ones. */
static uint8_t uart_iir_id(const struct uart *u)
{
    if ((u->ier & UART_IER_ELSI) && (u->lsr_err & UART_LSR_ERRORS))
        return UART_IIR_RLSI;
    if ((u->ier & UART_IER_ERBFI) && u->timeout_pending)
        return UART_IIR_TIMEOUT;
    if ((u->ier & UART_IER_ERBFI) && uart_rx_level_reached(u))
        return UART_IIR_RDI;
    if ((u->ier & UART_IER_ETBEI) && u->thre_pending)
        return UART_IIR_THRI;
    if ((u->ier & UART_IER_EDSSI) && (u->msr_delta & UART_MSR_DELTAS))
        return UART_IIR_MSI;
    return UART_IIR_NONE;
}

static void uart_update_irq(struct uart *u)
{
    bool intr = uart_iir_id(u) != UART_IIR_NONE;
    /* OUT2 enables the PC's IRQ buffer; in loopback the outputs are held
     * inactive, so the buffer is off. */
    bool level = intr && (u->mcr & (UART_MCR_OUT2 | UART_MCR_LOOP)) == UART_MCR_OUT2;
    if (level != u->irq_level) {
        u->irq_level = level;
        irq_set(&u->irq, level);
    }
}

/* --- modem lines ---------------------------------------------------------- */

static void uart_update_msr(struct uart *u)
{
    uint8_t lines;
    if (u->mcr & UART_MCR_LOOP) {
        /* RTS->CTS, DTR->DSR, OUT1->RI, OUT2->DCD. */
        lines = (uint8_t)(((u->mcr & UART_MCR_RTS) ? UART_MSR_CTS : 0) |
                          ((u->mcr & UART_MCR_DTR) ? UART_MSR_DSR : 0) |
                          ((u->mcr & UART_MCR_OUT1) ? UART_MSR_RI : 0) |
                          ((u->mcr & UART_MCR_OUT2) ? UART_MSR_DCD : 0));
    } else {
        lines = u->host_lines & UART_MSR_LINES;
    }
    uint8_t changed = lines ^ u->msr_lines;
    if (changed & UART_MSR_CTS)
        u->msr_delta |= UART_MSR_DCTS;
    if (changed & UART_MSR_DSR)
        u->msr_delta |= UART_MSR_DDSR;
    if (changed & UART_MSR_DCD)
        u->msr_delta |= UART_MSR_DDCD;
    if ((u->msr_lines & UART_MSR_RI) && !(lines & UART_MSR_RI))
        u->msr_delta |= UART_MSR_TERI; /* trailing edge only */
    u->msr_lines = lines;
}

void uart_set_modem_inputs(struct uart *u, uint8_t lines)
{
    u->host_lines = lines & UART_MSR_LINES;
    uart_update_msr(u);
    uart_update_irq(u);
}

/* --- receiver ------------------------------------------------------------- */

static void uart_rx_rearm(struct uart *u)
{
    uint64_t t = u->rx_next < u->rx_timeout ? u->rx_next : u->rx_timeout;
    if (t == CLOCK_NEVER)
        clock_timer_del(&u->rx_timer);
    else
        clock_timer_mod(&u->rx_timer, t);
}

/* Starts (or restarts) the 4-character timeout at time t while the FIFO
 * holds data. */
static void uart_rx_restart_timeout(struct uart *u, uint64_t t)
{
    if (uart_fifo_on(u) && u->rx.count > 0)
        u->rx_timeout = t + 4 * uart_char_time_ns(u);
    else
        u->rx_timeout = CLOCK_NEVER;
}

/* If host input is waiting and the receiver can take it, the next byte
 * arrives one character time after t. */
static void uart_rx_schedule(struct uart *u, uint64_t t)
{
    if (u->rx_next != CLOCK_NEVER || !u->cd || chardev_input_pending(u->cd) == 0)
        return;
    if ((u->mcr & UART_MCR_LOOP) || u->rx.count >= uart_depth(u))
        return;
    u->rx_next = t + uart_char_time_ns(u);
}

/* A character completes in the receiver shift register at time t. */
static void uart_rx_char(struct uart *u, uint8_t byte, uint8_t err, uint64_t t)
{
    byte &= uart_word_mask(u);
    err &= UART_CHAR_ERRORS;
    u->rx_bytes++;
    if (u->rx.count >= uart_depth(u)) {
        u->overruns++;
        u->lsr_err |= UART_LSR_OE;
        if (uart_fifo_on(u)) {
            /* The FIFO is kept; the character in the shift register is
             * overwritten by the next one and never reaches it. */
            uart_rx_restart_timeout(u, t);
            return;
        }
        fifo_clear(&u->rx); /* without FIFOs the old RBR is destroyed */
    }
    bool was_empty = u->rx.count == 0;
    fifo_push(&u->rx, byte, err);
    /* PE, FE and BI show in the LSR when their character is at the top. */
    if (was_empty)
        u->lsr_err |= err;
    uart_rx_restart_timeout(u, t);
}

void uart_receive(struct uart *u, uint8_t byte, uint8_t errors)
{
    uart_rx_char(u, byte, errors, u->clk->now);
    uart_rx_rearm(u);
    uart_update_irq(u);
}

void uart_receive_break(struct uart *u)
{
    /* One zero character with BI set is loaded, however long the break. */
    uart_receive(u, 0, UART_LSR_BI);
}

/* Handles the earlier of the two receiver events.  Times come from the
 * schedule, not from now, so that a clock advanced past several events
 * (the timer is re-armed in the past and fires again at once) sees them
 * in order at their own times. */
static void uart_rx_timer(void *opaque, uint64_t now)
{
    struct uart *u = opaque;
    if (u->rx_next <= u->rx_timeout && u->rx_next <= now) {
        uint64_t t = u->rx_next;
        u->rx_next = CLOCK_NEVER;
        uint8_t b;
        if (!(u->mcr & UART_MCR_LOOP) && u->rx.count < uart_depth(u) && u->cd &&
            chardev_pop_input(u->cd, &b))
            uart_rx_char(u, b, 0, t);
        uart_rx_schedule(u, t);
    } else if (u->rx_timeout <= now) {
        u->rx_timeout = CLOCK_NEVER;
        if (uart_fifo_on(u) && u->rx.count > 0)
            u->timeout_pending = true;
    }
    uart_rx_rearm(u);
    uart_update_irq(u);
}

static void uart_input_ready(void *opaque)
{
    struct uart *u = opaque;
    uart_rx_schedule(u, u->clk->now);
    uart_rx_rearm(u);
}

static uint8_t uart_read_rbr(struct uart *u)
{
    if (u->rx.count == 0)
        return u->rbr; /* nothing new: the register still holds the last */
    u->rbr = fifo_pop(&u->rx);
    if (uart_fifo_on(u) && u->rx.count > 0)
        u->lsr_err |= u->rx.err[u->rx.head % UART_FIFO_SIZE];
    u->timeout_pending = false;
    uart_rx_restart_timeout(u, u->clk->now);
    uart_rx_schedule(u, u->clk->now);
    uart_rx_rearm(u);
    uart_update_irq(u);
    return u->rbr;
}

/* --- transmitter ---------------------------------------------------------- */

/* Moves the next character from THR / the TX FIFO into the idle shift
 * register and starts sending it at time t. */
static void uart_tx_start(struct uart *u, uint64_t t)
{
    if (u->tsr_busy || u->tx.count == 0)
        return;
    u->tsr = fifo_pop(&u->tx);
    u->tsr_busy = true;
    if (u->tx.count == 0)
        u->thre_pending = true; /* THR / the FIFO just became empty */
    u->tx_end = t + uart_char_time_ns(u);
    clock_timer_mod(&u->tx_timer, u->tx_end);
}

static void uart_tx_timer(void *opaque, uint64_t now)
{
    struct uart *u = opaque;
    (void)now;
    if (!u->tsr_busy)
        return;
    uint8_t b = u->tsr & uart_word_mask(u);
    u->tsr_busy = false;
    u->tx_bytes++;
    if (u->mcr & UART_MCR_LOOP) {
        uart_rx_char(u, b, 0, u->tx_end); /* the shift registers are joined */
        uart_rx_rearm(u);
    } else if (u->cd) {
        chardev_write(u->cd, &b, 1);
    }
    uart_tx_start(u, u->tx_end);
    uart_update_irq(u);
}

void uart_flush_tx(struct uart *u)
{
    if (u->mcr & UART_MCR_LOOP)
        return; /* looped back: nothing was bound for the line */
    while (u->tsr_busy || u->tx.count) {
        if (!u->tsr_busy) {
            u->tsr = fifo_pop(&u->tx);
            u->tsr_busy = true;
        }
        uint8_t b = u->tsr & uart_word_mask(u);
        u->tsr_busy = false;
        u->tx_bytes++;
        if (u->cd)
            chardev_write(u->cd, &b, 1);
    }
    clock_timer_del(&u->tx_timer);
    u->thre_pending = true;
    uart_update_irq(u);
}

static void uart_write_thr(struct uart *u, uint8_t val)
{
    if (u->tx.count >= uart_depth(u)) {
        if (uart_fifo_on(u)) {
            u->tx_dropped++; /* a full FIFO takes nothing more */
        } else {
            fifo_clear(&u->tx); /* THR is simply overwritten */
            fifo_push(&u->tx, val, 0);
        }
    } else {
        fifo_push(&u->tx, val, 0);
    }
    u->thre_pending = false;
    uart_update_irq(u);
    uart_tx_start(u, u->clk->now); /* may empty THR again: a new THRE edge */
    uart_update_irq(u);
}

/* --- registers ------------------------------------------------------------ */

static void uart_write_fcr(struct uart *u, uint8_t val)
{
    bool was_on = uart_fifo_on(u);
    bool on = val & UART_FCR_ENABLE;
    bool tx_had_data = u->tx.count > 0;
    if (on != was_on) {
        /* Changing FCR0 resets both FIFOs. */
        fifo_clear(&u->rx);
        fifo_clear(&u->tx);
        u->timeout_pending = false;
    }
    if (!on) {
        u->fcr = 0; /* other bits are not programmed while FCR0 is 0 */
    } else {
        if (val & UART_FCR_RX_RESET) {
            fifo_clear(&u->rx);
            u->timeout_pending = false;
        }
        if (val & UART_FCR_TX_RESET)
            fifo_clear(&u->tx);
        u->fcr = val & (UART_FCR_ENABLE | UART_FCR_DMA | UART_FCR_TRIGGER);
    }
    if (tx_had_data && u->tx.count == 0)
        u->thre_pending = true;
    uart_rx_restart_timeout(u, u->clk->now);
    uart_rx_schedule(u, u->clk->now);
    uart_rx_rearm(u);
    uart_update_irq(u);
}

static void uart_write_ier(struct uart *u, uint8_t val)
{
    uint8_t old = u->ier;
    u->ier = val & 0x0F;
    /* Enabling ETBEI while THR is empty raises THRE at once. */
    if (!(old & UART_IER_ETBEI) && (u->ier & UART_IER_ETBEI) && u->tx.count == 0)
        u->thre_pending = true;
    uart_update_irq(u);
}

static void uart_write_mcr(struct uart *u, uint8_t val)
{
    u->mcr = val & 0x1F;
    uart_update_msr(u);
    uart_rx_schedule(u, u->clk->now); /* leaving loopback reconnects the host input */
    uart_rx_rearm(u);
    uart_update_irq(u);
}

static uint8_t uart_read_lsr(struct uart *u)
{
    uint8_t v = u->lsr_err;
    if (u->rx.count > 0)
        v |= UART_LSR_DR;
    if (u->tx.count == 0) {
        v |= UART_LSR_THRE;
        if (!u->tsr_busy)
            v |= UART_LSR_TEMT;
    }
    if (uart_fifo_on(u) && fifo_has_errors(&u->rx))
        v |= UART_LSR_FIFOE;
    u->lsr_err = 0;
    uart_update_irq(u);
    return v;
}

static uint8_t uart_read_iir(struct uart *u)
{
    uint8_t id = uart_iir_id(u);
    if (id == UART_IIR_THRI) {
        u->thre_pending = false; /* reading IIR acknowledges THRE */
        uart_update_irq(u);
    }
    return id | (uart_fifo_on(u) ? UART_IIR_FIFO : 0);
}

static uint8_t uart_read_msr(struct uart *u)
{
    uint8_t v = u->msr_lines | u->msr_delta;
    u->msr_delta = 0;
    uart_update_irq(u);
    return v;
}

static uint32_t uart_io_read(void *opaque, uint16_t port, unsigned size)
{
    struct uart *u = opaque;
    (void)size;
    bool dlab = u->lcr & UART_LCR_DLAB;
    switch ((uint16_t)(port - u->base) & 7) {
    case UART_RBR:
        return dlab ? (u->divisor & 0xFF) : uart_read_rbr(u);
    case UART_IER:
        return dlab ? (u->divisor >> 8) : u->ier;
    case UART_IIR:
        return uart_read_iir(u);
    case UART_LCR:
        return u->lcr;
    case UART_MCR:
        return u->mcr;
    case UART_LSR:
        return uart_read_lsr(u);
    case UART_MSR:
        return uart_read_msr(u);
    default:
        return u->scr;
    }
}

static void uart_io_write(void *opaque, uint16_t port, uint32_t val, unsigned size)
{
    struct uart *u = opaque;
    uint8_t v = (uint8_t)val;
    (void)size;
    bool dlab = u->lcr & UART_LCR_DLAB;
    switch ((uint16_t)(port - u->base) & 7) {
    case UART_THR:
        if (dlab)
            u->divisor = (uint16_t)((u->divisor & 0xFF00) | v);
        else
            uart_write_thr(u, v);
        break;
    case UART_IER:
        if (dlab)
            u->divisor = (uint16_t)((u->divisor & 0x00FF) | (v << 8));
        else
            uart_write_ier(u, v);
        break;
    case UART_FCR:
        uart_write_fcr(u, v);
        break;
    case UART_LCR:
        u->lcr = v;
        break;
    case UART_MCR:
        uart_write_mcr(u, v);
        break;
    case UART_LSR:
    case UART_MSR:
        break; /* status registers: writes are for factory test only */
    default:
        u->scr = v;
        break;
    }
}

static const struct io_ops uart_io_ops = {
    .read = uart_io_read,
    .write = uart_io_write,
    .sizes = 1,
};

/* --- life cycle ----------------------------------------------------------- */

void uart_reset(struct uart *u)
{
    u->ier = 0;
    u->lcr = 0;
    u->mcr = 0;
    u->fcr = 0;
    u->lsr_err = 0;
    u->msr_delta = 0;
    fifo_clear(&u->rx);
    fifo_clear(&u->tx);
    u->tsr_busy = false;
    u->thre_pending = false;
    u->timeout_pending = false;
    u->rx_next = CLOCK_NEVER;
    u->rx_timeout = CLOCK_NEVER;
    clock_timer_del(&u->tx_timer);
    uart_update_msr(u);
    u->msr_delta = 0; /* the lines as they are now are the reference */
    uart_rx_schedule(u, u->clk->now);
    uart_rx_rearm(u);
    uart_update_irq(u);
}

int uart_init(struct uart *u, struct bus *bus, uint16_t base, struct vclock *clk,
              const struct irq_line *irq, struct chardev *cd)
{
    memset(u, 0, sizeof(*u));
    u->clk = clk;
    if (irq)
        u->irq = *irq;
    u->cd = cd;
    u->base = base;
    u->divisor = 12; /* 9600 baud until the guest programs it */
    u->host_lines = cd ? (UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD) : 0;
    if (clock_timer_init(clk, &u->tx_timer, uart_tx_timer, u) < 0 ||
        clock_timer_init(clk, &u->rx_timer, uart_rx_timer, u) < 0) {
        fprintf(stderr, "uart 0x%x: no free timer on the virtual clock\n", base);
        return -ENOSPC;
    }
    int rc = bus_io_register(bus, base, 8, &uart_io_ops, u);
    if (rc < 0) {
        fprintf(stderr, "uart 0x%x: cannot claim ports: %s\n", base, strerror(-rc));
        return rc;
    }
    if (cd)
        chardev_set_consumer(cd, uart_input_ready, u);
    uart_reset(u);
    return 0;
}

/* --- savestate ------------------------------------------------------------ */

static void fifo_save(const struct uart_fifo *f, struct sv_writer *w)
{
    sv_put_bytes(w, f->data, sizeof(f->data));
    sv_put_bytes(w, f->err, sizeof(f->err));
    sv_put_u8(w, (uint8_t)f->head);
    sv_put_u8(w, (uint8_t)f->count);
}

void uart_save(const struct uart *u, struct sv_writer *w)
{
    sv_put_u8(w, u->ier);
    sv_put_u8(w, u->lcr);
    sv_put_u8(w, u->mcr);
    sv_put_u8(w, u->scr);
    sv_put_u8(w, u->fcr);
    sv_put_u16(w, u->divisor);
    sv_put_u8(w, u->lsr_err);
    sv_put_u8(w, u->msr_delta);
    sv_put_u8(w, u->msr_lines);
    sv_put_u8(w, u->host_lines);
    sv_put_u8(w, u->rbr);
    fifo_save(&u->rx, w);
    fifo_save(&u->tx, w);
    sv_put_u8(w, u->tsr);
    sv_put_bool(w, u->tsr_busy);
    sv_put_u64(w, u->tx_end);
    sv_put_bool(w, u->thre_pending);
    sv_put_bool(w, u->timeout_pending);
    sv_put_bool(w, u->irq_level);
    sv_put_u64(w, u->tx_timer.deadline);
    sv_put_u64(w, u->rx_timer.deadline);
    sv_put_u64(w, u->rx_next);
    sv_put_u64(w, u->rx_timeout);
    sv_put_u64(w, u->tx_bytes);
    sv_put_u64(w, u->rx_bytes);
    sv_put_u64(w, u->overruns);
    sv_put_u64(w, u->tx_dropped);
}

/* A FIFO holds at most what its buffer does with the FCR as loaded (one
 * character with FIFOs off); head indexes the ring. */
static void fifo_load(struct uart_fifo *f, struct sv_reader *r, unsigned depth, const char *what)
{
    sv_get_bytes(r, f->data, sizeof(f->data));
    sv_get_bytes(r, f->err, sizeof(f->err));
    for (unsigned i = 0; i < UART_FIFO_SIZE; i++)
        if (!sv_check(r, !(f->err[i] & ~UART_CHAR_ERRORS), "uart character error bits"))
            return;
    f->head = sv_get_max(r, 1, UART_FIFO_SIZE - 1, what);
    f->count = sv_get_max(r, 1, depth, what);
}

void uart_load(struct uart *u, struct sv_reader *r, unsigned version)
{
    if (version != UART_SV_VERSION) {
        sv_fail(r, "version %u, this Popek reads %u", version, UART_SV_VERSION);
        return;
    }
    u->ier = (uint8_t)sv_get_max(r, 1, 0x0F, "uart IER");
    u->lcr = sv_get_u8(r);
    u->mcr = (uint8_t)sv_get_max(r, 1, 0x1F, "uart MCR");
    u->scr = sv_get_u8(r);
    u->fcr = sv_get_u8(r);
    sv_check(r,
             !(u->fcr & ~(UART_FCR_ENABLE | UART_FCR_DMA | UART_FCR_TRIGGER)) &&
                 (u->fcr == 0 || (u->fcr & UART_FCR_ENABLE)),
             "uart FCR");
    u->divisor = sv_get_u16(r);
    u->lsr_err = sv_get_u8(r);
    sv_check(r, !(u->lsr_err & ~UART_LSR_ERRORS), "uart LSR error bits");
    u->msr_delta = (uint8_t)sv_get_max(r, 1, UART_MSR_DELTAS, "uart MSR deltas");
    u->msr_lines = sv_get_u8(r);
    u->host_lines = sv_get_u8(r);
    sv_check(r, !(u->msr_lines & ~UART_MSR_LINES) && !(u->host_lines & ~UART_MSR_LINES),
             "uart modem lines");
    u->rbr = sv_get_u8(r);
    fifo_load(&u->rx, r, uart_depth(u), "uart RX FIFO position");
    fifo_load(&u->tx, r, uart_depth(u), "uart TX FIFO position");
    u->tsr = sv_get_u8(r);
    u->tsr_busy = sv_get_bool(r);
    u->tx_end = sv_get_u64(r);
    u->thre_pending = sv_get_bool(r);
    u->timeout_pending = sv_get_bool(r);
    u->irq_level = sv_get_bool(r);
    u->tx_timer.deadline = sv_get_u64(r);
    u->rx_timer.deadline = sv_get_u64(r);
    u->rx_next = sv_get_u64(r);
    u->rx_timeout = sv_get_u64(r);
    u->tx_bytes = sv_get_u64(r);
    u->rx_bytes = sv_get_u64(r);
    u->overruns = sv_get_u64(r);
    u->tx_dropped = sv_get_u64(r);
}

void uart_post_load(struct uart *u)
{
    uart_rx_schedule(u, u->clk->now);
    uart_rx_rearm(u);
}
