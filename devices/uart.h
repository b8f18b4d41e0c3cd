/* The 16550A UART (National Semiconductor PC16550D datasheet): one serial
 * port at eight consecutive I/O ports, with 16-byte receive and transmit
 * FIFOs, the four interrupt sources in their priority order, modem control
 * and status lines, loopback, and a baud-rate divisor that sets how long a
 * character takes on the virtual clock.  The line is a struct chardev: what
 * the guest transmits is written to it, and bytes the host queues on it are
 * received at the configured character rate.
 *
 * On a PC the chip's INTR output reaches the interrupt controller through a
 * buffer enabled by OUT2 (MCR bit 3), so the irq_line is driven with
 * INTR AND OUT2 (and not in loopback, where OUT2 is not driven out). */
#ifndef POPEK_DEVICES_UART_H
#define POPEK_DEVICES_UART_H

#include <stdbool.h>
#include <stdint.h>

#include "devices/clock.h"
#include "devices/irq.h"

struct bus;
struct chardev;
struct sv_reader;
struct sv_writer;

/* The PC's four ports and their usual IRQs. */
#define UART_COM1_BASE 0x3F8
#define UART_COM2_BASE 0x2F8
#define UART_COM3_BASE 0x3E8
#define UART_COM4_BASE 0x2E8
#define UART_COM1_IRQ 4
#define UART_COM2_IRQ 3
#define UART_COM3_IRQ 4
#define UART_COM4_IRQ 3

/* Register offsets from the base port. */
#define UART_RBR 0 /* read, DLAB=0: receiver buffer */
#define UART_THR 0 /* write, DLAB=0: transmitter holding */
#define UART_DLL 0 /* DLAB=1: divisor latch, low byte */
#define UART_IER 1 /* DLAB=0: interrupt enable */
#define UART_DLM 1 /* DLAB=1: divisor latch, high byte */
#define UART_IIR 2 /* read: interrupt identification */
#define UART_FCR 2 /* write: FIFO control */
#define UART_LCR 3 /* line control */
#define UART_MCR 4 /* modem control */
#define UART_LSR 5 /* line status */
#define UART_MSR 6 /* modem status */
#define UART_SCR 7 /* scratch */

#define UART_IER_ERBFI 0x01 /* received data available (and timeout) */
#define UART_IER_ETBEI 0x02 /* transmitter holding register empty */
#define UART_IER_ELSI 0x04  /* receiver line status */
#define UART_IER_EDSSI 0x08 /* modem status */

#define UART_IIR_NONE 0x01    /* bit 0 set: no interrupt pending */
#define UART_IIR_MSI 0x00     /* modem status (priority 4) */
#define UART_IIR_THRI 0x02    /* THR empty (priority 3) */
#define UART_IIR_RDI 0x04     /* received data available (priority 2) */
#define UART_IIR_RLSI 0x06    /* receiver line status (priority 1) */
#define UART_IIR_TIMEOUT 0x0C /* character timeout (priority 2) */
#define UART_IIR_FIFO 0xC0    /* FIFOs enabled */

#define UART_FCR_ENABLE 0x01
#define UART_FCR_RX_RESET 0x02
#define UART_FCR_TX_RESET 0x04
#define UART_FCR_DMA 0x08
#define UART_FCR_TRIGGER 0xC0 /* 00: 1 byte, 01: 4, 10: 8, 11: 14 */

#define UART_LCR_WLS 0x03  /* word length 5 + n */
#define UART_LCR_STB 0x04  /* 2 stop bits (1.5 with 5-bit words) */
#define UART_LCR_PEN 0x08  /* parity enable */
#define UART_LCR_EPS 0x10  /* even parity */
#define UART_LCR_SP 0x20   /* stick parity */
#define UART_LCR_BRK 0x40  /* set break */
#define UART_LCR_DLAB 0x80 /* divisor latch access */

#define UART_MCR_DTR 0x01
#define UART_MCR_RTS 0x02
#define UART_MCR_OUT1 0x04
#define UART_MCR_OUT2 0x08
#define UART_MCR_LOOP 0x10

#define UART_LSR_DR 0x01   /* data ready */
#define UART_LSR_OE 0x02   /* overrun error */
#define UART_LSR_PE 0x04   /* parity error */
#define UART_LSR_FE 0x08   /* framing error */
#define UART_LSR_BI 0x10   /* break interrupt */
#define UART_LSR_THRE 0x20 /* THR (TX FIFO) empty */
#define UART_LSR_TEMT 0x40 /* THR and shift register empty */
#define UART_LSR_FIFOE 0x80 /* an error in the RX FIFO */

#define UART_MSR_DCTS 0x01
#define UART_MSR_DDSR 0x02
#define UART_MSR_TERI 0x04 /* RI went from on to off */
#define UART_MSR_DDCD 0x08
#define UART_MSR_CTS 0x10
#define UART_MSR_DSR 0x20
#define UART_MSR_RI 0x40
#define UART_MSR_DCD 0x80

#define UART_FIFO_SIZE 16
#define UART_CLOCK_HZ 1843200 /* the PC's crystal: divisor 1 = 115200 baud */

/* A FIFO of characters with their PE/FE/BI bits (the RX FIFO's "error"
 * bits travel with the character they belong to). */
struct uart_fifo {
    uint8_t data[UART_FIFO_SIZE];
    uint8_t err[UART_FIFO_SIZE];
    unsigned head, count;
};

struct uart {
    struct vclock *clk;
    struct irq_line irq;
    struct chardev *cd; /* may be NULL: nothing connected */
    uint16_t base;

    uint8_t ier, lcr, mcr, scr;
    uint8_t fcr;        /* ENABLE, DMA and TRIGGER bits as programmed */
    uint16_t divisor;   /* DLM:DLL; 0 counts as 65536 */
    uint8_t lsr_err;    /* OE, PE, FE, BI: latched until LSR is read */
    uint8_t msr_delta;  /* DCTS, DDSR, TERI, DDCD: until MSR is read */
    uint8_t msr_lines;  /* CTS, DSR, RI, DCD as the chip sees them */
    uint8_t host_lines; /* CTS, DSR, RI, DCD driven by the host side */
    uint8_t rbr;        /* the last character read (an empty RBR reads it) */

    struct uart_fifo rx, tx; /* with FIFOs off each holds at most one byte */
    uint8_t tsr;             /* transmitter shift register */
    bool tsr_busy;
    uint64_t tx_end;         /* when the character in the TSR is sent */

    bool thre_pending;    /* the THRE interrupt (until IIR read or THR write) */
    bool timeout_pending; /* the character timeout interrupt */
    bool irq_level;       /* what the irq_line was last driven to */

    struct vtimer tx_timer; /* end of the character in the shift register */
    struct vtimer rx_timer; /* the next of rx_next and rx_timeout */
    uint64_t rx_next;       /* when the next host byte is received */
    uint64_t rx_timeout;    /* when the RX FIFO's character timeout expires */

    uint64_t tx_bytes, rx_bytes; /* characters sent and received */
    uint64_t overruns;           /* characters lost to a full receiver */
    uint64_t tx_dropped;         /* writes to a full TX FIFO */
};

/* Registers the port at base (8 ports) on bus and two timers on clk.  irq
 * is copied (may be NULL: no interrupt line); cd may be NULL.  The modem
 * inputs start as CTS, DSR and DCD on when cd is connected, all off when
 * not.  Returns 0 or -errno. */
int uart_init(struct uart *u, struct bus *bus, uint16_t base, struct vclock *clk,
              const struct irq_line *irq, struct chardev *cd);
/* The MR (master reset) pin: registers to their reset values, FIFOs and
 * shift registers emptied.  The divisor and SCR are kept, as on the chip. */
void uart_reset(struct uart *u);

/* Host side of the line. */
/* A character arrives now (bypassing the character-rate pacing of chardev
 * input), with any of UART_LSR_PE, UART_LSR_FE and UART_LSR_BI. */
void uart_receive(struct uart *u, uint8_t byte, uint8_t errors);
/* A break: the line held at spacing for more than a character time. */
void uart_receive_break(struct uart *u);
/* Sets the modem inputs (UART_MSR_CTS, DSR, RI, DCD); changes set the
 * MSR delta bits and may raise the modem status interrupt. */
void uart_set_modem_inputs(struct uart *u, uint8_t lines);

/* Nanoseconds one character takes at the current LCR and divisor. */
uint64_t uart_char_time_ns(const struct uart *u);
/* Sends at once what the transmitter still holds (the shift register and
 * THR or the TX FIFO): when the machine stops, bytes the guest wrote must
 * reach the host rather than wait for character times that never come. */
void uart_flush_tx(struct uart *u);

/* Savestate (mem/sv.h): the registers, both FIFOs with their positions,
 * the shift register, the pending interrupt flags, the IRQ level last
 * driven, the receiver and transmitter schedules with both timers, and
 * the character counters.  What the host side holds (the chardev's
 * queues) is not the UART's and is not saved.  uart_post_load, after
 * every load, lets bytes the host queued before the load start arriving
 * if the loaded receiver had nothing scheduled. */
#define UART_SV_VERSION 1
void uart_save(const struct uart *u, struct sv_writer *w);
void uart_load(struct uart *u, struct sv_reader *r, unsigned version);
void uart_post_load(struct uart *u);

#endif
