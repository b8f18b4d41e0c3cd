/* Unit tests for devices/uart.c (16550A) and devices/chardev.c: every
 * register through the bus, each interrupt source and their priorities, the
 * FIFOs, loopback, timing on the virtual clock, and a guest's abuse (FIFO
 * overruns, empty reads, divisor 0, writes to status registers). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "devices/chardev.h"
#include "devices/clock.h"
#include "devices/uart.h"
#include "tests/unit/unit.h"

#define BASE UART_COM1_BASE
#define CT1 86805u /* 8N1 at divisor 1 (115200 baud): 10 bits, ns */

struct irq_rec {
    bool level;
    unsigned rises, falls;
};

static void irq_rec_set(void *opaque, int n, bool level)
{
    struct irq_rec *r = opaque;
    (void)n;
    if (level && !r->level)
        r->rises++;
    if (!level && r->level)
        r->falls++;
    r->level = level;
}

static struct bus bus;
static struct vclock clk;
static struct chardev cd;
static struct uart uart;
static struct irq_rec irq;

static void out(unsigned reg, uint8_t v)
{
    bus_out(&bus, (uint16_t)(BASE + reg), v, 1);
}

static uint8_t in(unsigned reg)
{
    return (uint8_t)bus_in(&bus, (uint16_t)(BASE + reg), 1);
}

static void advance(uint64_t ns)
{
    clock_advance_to(&clk, clk.now + ns);
}

static void set_divisor(uint16_t d)
{
    uint8_t lcr = in(UART_LCR);
    out(UART_LCR, lcr | UART_LCR_DLAB);
    out(UART_DLL, d & 0xFF);
    out(UART_DLM, d >> 8);
    out(UART_LCR, lcr);
}

/* The memory sink's contents as a string (test output is text). */
static const char *output(void)
{
    static char buf[256];
    size_t n;
    const uint8_t *p = chardev_mem_data(&cd, &n);
    if (n > sizeof(buf) - 1)
        n = sizeof(buf) - 1;
    if (n)
        memcpy(buf, p, n);
    buf[n] = 0;
    return buf;
}

static void setup(void)
{
    memset(&irq, 0, sizeof(irq));
    cr_assert(eq(int, bus_init(&bus, 0x10000), 0));
    clock_init(&clk, 100);
    chardev_init_mem(&cd);
    struct irq_line line = { irq_rec_set, &irq, UART_COM1_IRQ };
    cr_assert(eq(int, uart_init(&uart, &bus, BASE, &clk, &line, &cd), 0));
    out(UART_LCR, 0x03); /* 8N1 */
    set_divisor(1);
}

static void teardown(void)
{
    chardev_close(&cd);
    bus_free(&bus);
}

TestSuite(uart, .init = setup, .fini = teardown, .timeout = 10.0);

/* --- registers ------------------------------------------------------------ */

Test(uart, reset_values)
{
    uart_reset(&uart);
    cr_assert(eq(u8, in(UART_IER), 0));
    cr_assert(eq(u8, in(UART_IIR), UART_IIR_NONE));
    cr_assert(eq(u8, in(UART_LCR), 0));
    cr_assert(eq(u8, in(UART_MCR), 0));
    cr_assert(eq(u8, in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT));
    cr_assert(eq(u8, in(UART_MSR), UART_MSR_CTS | UART_MSR_DSR | UART_MSR_DCD),
              "a connected host drives CTS, DSR and DCD; no deltas after reset");
    cr_assert(not(irq.level));
}

Test(uart, scratch_register)
{
    for (unsigned v = 0; v < 256; v++) {
        out(UART_SCR, (uint8_t)v);
        cr_assert(eq(u8, in(UART_SCR), v));
    }
    uart_reset(&uart);
    cr_assert(eq(u8, in(UART_SCR), 0xFF), "master reset keeps SCR");
}

Test(uart, divisor_latch)
{
    out(UART_IER, 0x05);
    out(UART_LCR, 0x83);
    out(UART_DLL, 0x34);
    out(UART_DLM, 0x12);
    cr_assert(eq(u8, in(UART_DLL), 0x34));
    cr_assert(eq(u8, in(UART_DLM), 0x12));
    cr_assert(eq(u16, uart.divisor, 0x1234));
    out(UART_LCR, 0x03);
    cr_assert(eq(u8, in(UART_IER), 0x05), "DLAB=0 shows IER again");
    cr_assert(eq(u8, in(UART_LSR) & UART_LSR_TEMT, UART_LSR_TEMT), "DLL writes sent nothing");
    uart_reset(&uart);
    cr_assert(eq(u16, uart.divisor, 0x1234), "master reset keeps the divisor");
}

Test(uart, ier_reserved_bits_read_zero)
{
    out(UART_IER, 0xFF);
    cr_assert(eq(u8, in(UART_IER), 0x0F));
}

Test(uart, lcr_read_write)
{
    for (unsigned v = 0; v < 256; v++) {
        out(UART_LCR, (uint8_t)v);
        cr_assert(eq(u8, in(UART_LCR), v));
    }
}

Test(uart, mcr_reserved_bits_read_zero)
{
    out(UART_MCR, 0xEF);
    cr_assert(eq(u8, in(UART_MCR), 0x0F));
    out(UART_MCR, 0xFF);
    cr_assert(eq(u8, in(UART_MCR), 0x1F));
}

Test(uart, status_registers_ignore_writes)
{
    out(UART_LSR, 0x00);
    out(UART_MSR, 0x0F);
    cr_assert(eq(u8, in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT));
    cr_assert(eq(u8, in(UART_MSR), 0xB0));
}

Test(uart, only_eight_ports)
{
    cr_assert(eq(u32, bus_in(&bus, BASE + 8, 1), 0xFF));
    cr_assert(eq(u32, bus_in(&bus, BASE - 1, 1), 0xFF));
}

Test(uart, char_time_from_divisor_and_lcr)
{
    cr_assert(eq(u64, uart_char_time_ns(&uart), CT1));
    set_divisor(12);
    cr_assert(eq(u64, uart_char_time_ns(&uart), 1041666), "9600 baud 8N1");
    out(UART_LCR, 0x1F); /* 8 bits, even parity, 2 stop: 12 bits */
    cr_assert(eq(u64, uart_char_time_ns(&uart), 1250000));
    out(UART_LCR, 0x04); /* 5 bits, 1.5 stop: 7.5 bits */
    cr_assert(eq(u64, uart_char_time_ns(&uart), 781250));
    set_divisor(0);
    cr_assert(eq(u64, uart_char_time_ns(&uart), (uint64_t)(7.5 * 65536 * 1e9 / 115200)),
              "divisor 0 divides by 65536");
}

/* --- transmitter ---------------------------------------------------------- */

Test(uart, tx_takes_a_character_time)
{
    out(UART_THR, 'A');
    cr_assert(eq(u8, in(UART_LSR), UART_LSR_THRE), "THR moved to the shift register");
    advance(CT1 - 1);
    cr_assert(eq(str, (char *)output(), ""));
    advance(1);
    cr_assert(eq(str, (char *)output(), "A"));
    cr_assert(eq(u8, in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT));
    cr_assert(eq(u64, cd.out_bytes, 1));
}

Test(uart, tx_without_fifo_holds_one_byte)
{
    out(UART_THR, 'A');
    out(UART_THR, 'B');
    cr_assert(eq(u8, in(UART_LSR), 0), "THR full, shift register busy");
    out(UART_THR, 'C'); /* overwrites B in THR */
    advance(CT1);
    cr_assert(eq(u8, in(UART_LSR), UART_LSR_THRE));
    advance(CT1);
    cr_assert(eq(str, (char *)output(), "AC"));
    cr_assert(eq(u8, in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT));
}

Test(uart, tx_fifo_sixteen_bytes_and_overflow)
{
    out(UART_FCR, UART_FCR_ENABLE);
    for (int i = 0; i < 18; i++)
        out(UART_THR, (uint8_t)('a' + i));
    /* 'a' is in the shift register, 16 in the FIFO, the 18th is lost. */
    cr_assert(eq(u64, uart.tx_dropped, 1));
    cr_assert(eq(u8, in(UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT), 0));
    advance(16 * CT1);
    cr_assert(eq(str, (char *)output(), "abcdefghijklmnop"));
    cr_assert(eq(u8, in(UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT), UART_LSR_THRE),
              "FIFO empty, last byte still shifting");
    advance(CT1);
    cr_assert(eq(str, (char *)output(), "abcdefghijklmnopq"));
    cr_assert(eq(u8, in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT));
}

Test(uart, tx_divisor_zero_is_slowest)
{
    set_divisor(0);
    out(UART_THR, 'Z');
    uint64_t ct = uart_char_time_ns(&uart);
    cr_assert(gt(u64, ct, 5000000000ull), "65536 * 10 bits at 1.8432 MHz / 16");
    advance(ct - 1);
    cr_assert(eq(str, (char *)output(), ""));
    advance(1);
    cr_assert(eq(str, (char *)output(), "Z"));
}

Test(uart, word_length_masks_data)
{
    out(UART_LCR, 0x00); /* 5 bits */
    out(UART_THR, 0xFF);
    advance(uart_char_time_ns(&uart));
    size_t n;
    const uint8_t *p = chardev_mem_data(&cd, &n);
    cr_assert(eq(sz, n, 1));
    cr_assert(eq(u8, p[0], 0x1F));
    uart_receive(&uart, 0xFF, 0);
    cr_assert(eq(u8, in(UART_RBR), 0x1F));
    out(UART_LCR, 0x02); /* 7 bits */
    uart_receive(&uart, 0xC1, 0);
    cr_assert(eq(u8, in(UART_RBR), 0x41));
}

/* --- THRE interrupt and OUT2 ---------------------------------------------- */

Test(uart, thre_interrupt_on_enable_and_iir_read_clears)
{
    out(UART_MCR, UART_MCR_OUT2);
    out(UART_IER, UART_IER_ETBEI);
    cr_assert(irq.level, "enabling ETBEI with THR empty interrupts at once");
    cr_assert(eq(u8, in(UART_IIR), UART_IIR_THRI));
    cr_assert(not(irq.level));
    cr_assert(eq(u8, in(UART_IIR), UART_IIR_NONE), "reading IIR acknowledged THRE");
    out(UART_IER, UART_IER_ETBEI); /* no 0->1 change: no new interrupt */
    cr_assert(eq(u8, in(UART_IIR), UART_IIR_NONE));
}

Test(uart, thre_interrupt_after_thr_write)
{
    out(UART_MCR, UART_MCR_OUT2);
    out(UART_IER, UART_IER_ETBEI);
    (void)in(UART_IIR);
    unsigned rises = irq.rises;
    out(UART_THR, 'A'); /* moves to the shift register: THR empty again */
    cr_assert(eq(uint, irq.rises, rises + 1));
    out(UART_THR, 'B'); /* clears THRE, stays in THR */
    cr_assert(not(irq.level));
    cr_assert(eq(u8, in(UART_IIR), UART_IIR_NONE));
    advance(CT1);
    cr_assert(irq.level, "B moved to the shift register");
    cr_assert(eq(u8, in(UART_IIR), UART_IIR_THRI));
    advance(CT1);
    cr_assert(eq(str, (char *)output(), "AB"));
}

Test(uart, out2_gates_the_irq_line)
{
    out(UART_IER, UART_IER_ETBEI);
    cr_assert(not(irq.level), "OUT2 off: the PC's IRQ buffer is disabled");
    out(UART_MCR, UART_MCR_OUT2);
    cr_assert(irq.level);
    out(UART_MCR, 0);
    cr_assert(not(irq.level));
    cr_assert(eq(u8, in(UART_IIR), UART_IIR_THRI), "the chip still has it pending");
}

/* --- receiver ------------------------------------------------------------- */

Test(uart, rx_data_available_without_fifo)
{
    out(UART_MCR, UART_MCR_OUT2);
    out(UART_IER, UART_IER_ERBFI);
    chardev_push_input(&cd, 'x');
    cr_assert(eq(u8, in(UART_LSR) & UART_LSR_DR, 0));
    advance(CT1);
    cr_assert(eq(u8, in(UART_LSR) & UART_LSR_DR, UART_LSR_DR));
    cr_assert(irq.level);
    cr_assert(eq(u8, in(UART_IIR), UART_IIR_RDI));
    cr_assert(eq(u8, in(UART_RBR), 'x'));
    cr_assert(not(irq.level));
    cr_assert(eq(u8, in(UART_IIR), UART_IIR_NONE));
    cr_assert(eq(u8, in(UART_LSR) & UART_LSR_DR, 0));
}

Test(uart, rx_host_input_is_paced_and_never_overruns)
{
    const char *msg = "hello";
    chardev_push_input_buf(&cd, (const uint8_t *)msg, 5);
    advance(10 * CT1);
    cr_assert(eq(u8, in(UART_LSR), UART_LSR_DR | UART_LSR_THRE | UART_LSR_TEMT),
              "no overrun: host input waits for room");
    for (int i = 0; i < 5; i++) {
        cr_assert(eq(u8, in(UART_RBR), (uint8_t)msg[i]));
        cr_assert(eq(u8, in(UART_LSR) & UART_LSR_DR, 0));
        advance(CT1);
    }
    cr_assert(eq(sz, chardev_input_pending(&cd), 0));
    cr_assert(eq(u8, in(UART_LSR) & UART_LSR_DR, 0));
}

Test(uart, rx_host_input_fills_the_fifo)
{
    out(UART_FCR, UART_FCR_ENABLE);
    uint8_t buf[20];
    for (int i = 0; i < 20; i++)
        buf[i] = (uint8_t)i;
    chardev_push_input_buf(&cd, buf, 20);
    advance(20 * CT1);
    cr_assert(eq(uint, uart.rx.count, 16));
    cr_assert(eq(sz, chardev_input_pending(&cd), 4));
    cr_assert(eq(u8, in(UART_LSR) & UART_LSR_OE, 0));
    for (int i = 0; i < 20; i++) {
        cr_assert(eq(u8, in(UART_RBR), i));
        advance(CT1);
    }
}

Test(uart, rx_empty_rbr_read)
{
    cr_assert(eq(u8, in(UART_RBR), 0), "nothing ever received");
    uart_receive(&uart, 'q', 0);
    cr_assert(eq(u8, in(UART_RBR), 'q'));
    cr_assert(eq(u8, in(UART_RBR), 'q'), "an empty RBR reads the last character");
    cr_assert(eq(u8, in(UART_LSR) & UART_LSR_DR, 0));
    out(UART_FCR, UART_FCR_ENABLE);
    for (int i = 0; i < 40; i++)
        (void)in(UART_RBR);
    cr_assert(eq(uint, uart.rx.count, 0));
}

Test(uart, rx_fifo_trigger_levels)
{
    static const unsigned level[4] = { 1, 4, 8, 14 };
    out(UART_IER, UART_IER_ERBFI);
    for (unsigned t = 0; t < 4; t++) {
        out(UART_FCR, (uint8_t)(UART_FCR_ENABLE | UART_FCR_RX_RESET | t << 6));
        for (unsigned n = 1; n <= 16; n++) {
            uart_receive(&uart, (uint8_t)n, 0);
            uint8_t want = n >= level[t] ? UART_IIR_RDI : UART_IIR_NONE;
            cr_assert(eq(u8, in(UART_IIR), want | UART_IIR_FIFO), "trigger %u, %u bytes",
                      level[t], n);
        }
        /* Reading below the trigger level clears it. */
        for (unsigned n = 16; n > 0; n--) {
            uint8_t want = n >= level[t] ? UART_IIR_RDI : UART_IIR_NONE;
            cr_assert(eq(u8, in(UART_IIR), want | UART_IIR_FIFO));
            (void)in(UART_RBR);
        }
        cr_assert(eq(u8, in(UART_IIR), UART_IIR_NONE | UART_IIR_FIFO));
    }
}

Test(uart, rx_character_timeout)
{
    out(UART_MCR, UART_MCR_OUT2);
    out(UART_IER, UART_IER_ERBFI);
    out(UART_FCR, UART_FCR_ENABLE | UART_FCR_TRIGGER); /* 14 bytes */
    uart_receive(&uart, '1', 0);
    uart_receive(&uart, '2', 0);
    uart_receive(&uart, '3', 0);
    advance(4 * CT1 - 1);
    cr_assert(eq(u8, in(UART_IIR), 0xC1));
    advance(1);
    cr_assert(irq.level);
    cr_assert(eq(u8, in(UART_IIR), 0xC0 | UART_IIR_TIMEOUT));
    cr_assert(eq(u8, in(UART_RBR), '1'));
    cr_assert(not(irq.level), "a read clears the timeout and restarts it");
    cr_assert(eq(u8, in(UART_IIR), 0xC1));
    advance(4 * CT1);
    cr_assert(eq(u8, in(UART_IIR), 0xC0 | UART_IIR_TIMEOUT));
    (void)in(UART_RBR);
    (void)in(UART_RBR);
    advance(100 * CT1);
    cr_assert(eq(u8, in(UART_IIR), 0xC1), "no timeout with an empty FIFO");
}

Test(uart, rx_no_timeout_without_fifo)
{
    out(UART_IER, UART_IER_ERBFI);
    uart_receive(&uart, '1', 0);
    advance(10 * CT1);
    cr_assert(eq(u8, in(UART_IIR), UART_IIR_RDI));
}

Test(uart, rx_overrun_with_fifo)
{
    out(UART_IER, UART_IER_ERBFI | UART_IER_ELSI);
    out(UART_FCR, UART_FCR_ENABLE);
    for (int i = 0; i < 18; i++)
        uart_receive(&uart, (uint8_t)('a' + i), 0);
    cr_assert(eq(u64, uart.overruns, 2));
    cr_assert(eq(u8, in(UART_IIR), 0xC0 | UART_IIR_RLSI), "line status first");
    cr_assert(eq(u8, in(UART_LSR) & (UART_LSR_OE | UART_LSR_DR), UART_LSR_OE | UART_LSR_DR));
    cr_assert(eq(u8, in(UART_LSR) & UART_LSR_OE, 0), "reading LSR clears OE");
    cr_assert(eq(u8, in(UART_IIR), 0xC0 | UART_IIR_RDI));
    for (int i = 0; i < 16; i++)
        cr_assert(eq(u8, in(UART_RBR), 'a' + i), "the FIFO keeps the first 16");
    cr_assert(eq(u8, in(UART_LSR) & UART_LSR_DR, 0));
}

Test(uart, rx_overrun_without_fifo)
{
    uart_receive(&uart, 'a', 0);
    uart_receive(&uart, 'b', 0);
    cr_assert(eq(u8, in(UART_LSR) & (UART_LSR_OE | UART_LSR_DR), UART_LSR_OE | UART_LSR_DR));
    cr_assert(eq(u8, in(UART_RBR), 'b'), "the new character replaces RBR");
}

Test(uart, rx_overrun_through_loopback)
{
    /* A guest that transmits in loopback and never reads overruns. */
    out(UART_MCR, UART_MCR_LOOP);
    out(UART_THR, '1');
    out(UART_THR, '2');
    advance(CT1);
    out(UART_THR, '3');
    advance(2 * CT1);
    cr_assert(eq(u8, in(UART_LSR) & (UART_LSR_OE | UART_LSR_DR), UART_LSR_OE | UART_LSR_DR));
    cr_assert(eq(u8, in(UART_RBR), '3'));
    cr_assert(eq(str, (char *)output(), ""), "nothing leaves in loopback");
}

Test(uart, rx_break_and_line_errors)
{
    out(UART_MCR, UART_MCR_OUT2);
    out(UART_IER, UART_IER_ELSI);
    uart_receive_break(&uart);
    cr_assert(irq.level);
    cr_assert(eq(u8, in(UART_IIR), UART_IIR_RLSI));
    cr_assert(eq(u8, in(UART_LSR) & 0x1F, UART_LSR_BI | UART_LSR_DR));
    cr_assert(not(irq.level));
    cr_assert(eq(u8, in(UART_RBR), 0));
    uart_receive(&uart, 'p', UART_LSR_PE | UART_LSR_FE);
    cr_assert(eq(u8, in(UART_LSR) & 0x1F, UART_LSR_PE | UART_LSR_FE | UART_LSR_DR));
    cr_assert(eq(u8, in(UART_LSR) & 0x1E, 0));
}

Test(uart, rx_fifo_errors_follow_their_character)
{
    out(UART_FCR, UART_FCR_ENABLE);
    uart_receive(&uart, 'a', 0);
    uart_receive(&uart, 'b', UART_LSR_PE);
    uint8_t lsr = in(UART_LSR);
    cr_assert(eq(u8, lsr & UART_LSR_PE, 0), "'a' is at the top");
    cr_assert(eq(u8, lsr & UART_LSR_FIFOE, UART_LSR_FIFOE));
    cr_assert(eq(u8, in(UART_RBR), 'a'));
    lsr = in(UART_LSR);
    cr_assert(eq(u8, lsr & (UART_LSR_PE | UART_LSR_FIFOE), UART_LSR_PE | UART_LSR_FIFOE));
    cr_assert(eq(u8, in(UART_RBR), 'b'));
    cr_assert(eq(u8, in(UART_LSR) & (UART_LSR_PE | UART_LSR_FIFOE), 0));
}

/* --- FCR ------------------------------------------------------------------ */

Test(uart, fcr_enable_resets_and_iir_fifo_bits)
{
    cr_assert(eq(u8, in(UART_IIR) & 0xC0, 0));
    uart_receive(&uart, 'a', 0);
    out(UART_FCR, UART_FCR_ENABLE);
    cr_assert(eq(u8, in(UART_IIR) & 0xC0, 0xC0));
    cr_assert(eq(u8, in(UART_LSR) & UART_LSR_DR, 0), "changing FCR0 empties the FIFOs");
    uart_receive(&uart, 'b', 0);
    out(UART_FCR, UART_FCR_ENABLE | UART_FCR_RX_RESET);
    cr_assert(eq(u8, in(UART_LSR) & UART_LSR_DR, 0), "RX reset");
    cr_assert(eq(u8, in(UART_FCR) & 0xC0, 0xC0), "the FCR port reads IIR");
    out(UART_THR, '1');
    out(UART_THR, '2');
    out(UART_THR, '3');
    out(UART_FCR, UART_FCR_ENABLE | UART_FCR_TX_RESET);
    cr_assert(eq(u8, in(UART_LSR) & (UART_LSR_THRE | UART_LSR_TEMT), UART_LSR_THRE),
              "TX reset empties the FIFO, not the shift register");
    advance(5 * CT1);
    cr_assert(eq(str, (char *)output(), "1"));
    out(UART_FCR, UART_FCR_TRIGGER | UART_FCR_DMA); /* FCR0=0: FIFOs off */
    cr_assert(eq(u8, in(UART_IIR) & 0xC0, 0));
    cr_assert(eq(u8, uart.fcr, 0), "other bits are not programmed without FCR0");
}

/* --- modem status --------------------------------------------------------- */

Test(uart, modem_status_interrupt_and_deltas)
{
    out(UART_MCR, UART_MCR_OUT2);
    out(UART_IER, UART_IER_EDSSI);
    cr_assert(not(irq.level));
    uart_set_modem_inputs(&uart, UART_MSR_DSR | UART_MSR_DCD); /* CTS drops */
    cr_assert(irq.level);
    cr_assert(eq(u8, in(UART_IIR), UART_IIR_MSI));
    cr_assert(eq(u8, in(UART_MSR), UART_MSR_DSR | UART_MSR_DCD | UART_MSR_DCTS));
    cr_assert(not(irq.level));
    cr_assert(eq(u8, in(UART_MSR), UART_MSR_DSR | UART_MSR_DCD), "read clears deltas");
    uart_set_modem_inputs(&uart, UART_MSR_RI);
    cr_assert(eq(u8, in(UART_MSR), UART_MSR_RI | UART_MSR_DDSR | UART_MSR_DDCD),
              "RI rising sets no delta");
    uart_set_modem_inputs(&uart, 0);
    cr_assert(eq(u8, in(UART_MSR), UART_MSR_TERI), "trailing edge of RI");
}

Test(uart, loopback_modem_lines)
{
    out(UART_MCR, UART_MCR_LOOP);
    (void)in(UART_MSR);
    cr_assert(eq(u8, in(UART_MSR), 0), "host lines are disconnected");
    out(UART_MCR, UART_MCR_LOOP | UART_MCR_RTS);
    cr_assert(eq(u8, in(UART_MSR), UART_MSR_CTS | UART_MSR_DCTS));
    out(UART_MCR, UART_MCR_LOOP | UART_MCR_DTR);
    cr_assert(eq(u8, in(UART_MSR), UART_MSR_DSR | UART_MSR_DDSR | UART_MSR_DCTS));
    out(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT1);
    cr_assert(eq(u8, in(UART_MSR), UART_MSR_RI | UART_MSR_DDSR));
    out(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
    cr_assert(eq(u8, in(UART_MSR), UART_MSR_DCD | UART_MSR_DDCD | UART_MSR_TERI));
    out(UART_MCR, 0x1F);
    cr_assert(eq(u8, in(UART_MSR) & 0xF0, 0xF0));
    uart_set_modem_inputs(&uart, 0);
    cr_assert(eq(u8, in(UART_MSR), 0xF0), "host changes are not seen in loopback");
}

Test(uart, loopback_transmits_to_receiver)
{
    out(UART_MCR, UART_MCR_LOOP);
    out(UART_THR, 'L');
    advance(CT1);
    cr_assert(eq(u8, in(UART_LSR), UART_LSR_DR | UART_LSR_THRE | UART_LSR_TEMT));
    cr_assert(eq(u8, in(UART_RBR), 'L'));
    cr_assert(eq(u64, cd.out_bytes, 0));
}

Test(uart, loopback_holds_off_the_irq_line)
{
    out(UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2);
    out(UART_IER, UART_IER_ETBEI);
    cr_assert(eq(u8, in(UART_IIR), UART_IIR_THRI));
    cr_assert(not(irq.level), "outputs are inactive in loopback");
}

Test(uart, loopback_holds_host_input)
{
    out(UART_MCR, UART_MCR_LOOP);
    chardev_push_input(&cd, 'h');
    advance(5 * CT1);
    cr_assert(eq(u8, in(UART_LSR) & UART_LSR_DR, 0));
    out(UART_MCR, 0);
    advance(CT1);
    cr_assert(eq(u8, in(UART_RBR), 'h'));
}

/* --- priorities and reset ------------------------------------------------- */

Test(uart, interrupt_priority_order)
{
    out(UART_MCR, UART_MCR_OUT2);
    out(UART_IER, 0x0F); /* THRE now pending */
    uart_receive(&uart, 'x', 0);
    uart_receive(&uart, 'y', 0); /* overrun */
    uart_set_modem_inputs(&uart, 0);
    cr_assert(eq(u8, in(UART_IIR), UART_IIR_RLSI));
    (void)in(UART_LSR);
    cr_assert(eq(u8, in(UART_IIR), UART_IIR_RDI));
    (void)in(UART_RBR);
    cr_assert(eq(u8, in(UART_IIR), UART_IIR_THRI));
    cr_assert(eq(u8, in(UART_IIR), UART_IIR_MSI));
    cr_assert(irq.level);
    (void)in(UART_MSR);
    cr_assert(eq(u8, in(UART_IIR), UART_IIR_NONE));
    cr_assert(not(irq.level));
}

Test(uart, disabled_sources_do_not_interrupt)
{
    out(UART_MCR, UART_MCR_OUT2);
    uart_receive(&uart, 'x', 0);
    uart_receive(&uart, 'y', 0);
    uart_set_modem_inputs(&uart, 0);
    out(UART_THR, 'z');
    advance(CT1);
    cr_assert(eq(u8, in(UART_IIR), UART_IIR_NONE));
    cr_assert(eq(uint, irq.rises, 0));
}

Test(uart, master_reset_clears_state)
{
    out(UART_FCR, UART_FCR_ENABLE);
    out(UART_MCR, 0x1F);
    out(UART_IER, 0x0F);
    out(UART_THR, 'a');
    uart_receive(&uart, 'b', UART_LSR_FE);
    uart_reset(&uart);
    cr_assert(eq(u8, in(UART_IIR), UART_IIR_NONE));
    cr_assert(eq(u8, in(UART_LSR), UART_LSR_THRE | UART_LSR_TEMT));
    cr_assert(eq(u8, in(UART_MCR), 0));
    advance(10 * CT1);
    cr_assert(eq(str, (char *)output(), ""), "the shift register was emptied");
    cr_assert(not(irq.level));
}

Test(uart, four_ports_side_by_side)
{
    static const uint16_t bases[3] = { UART_COM2_BASE, UART_COM3_BASE, UART_COM4_BASE };
    struct uart more[3];
    struct irq_rec recs[3] = { 0 };
    for (int i = 0; i < 3; i++) {
        struct irq_line l = { irq_rec_set, &recs[i], 3 };
        cr_assert(eq(int, uart_init(&more[i], &bus, bases[i], &clk, &l, NULL), 0));
        bus_out(&bus, bases[i] + UART_SCR, (uint8_t)(0x10 + i), 1);
    }
    out(UART_SCR, 0x55);
    for (int i = 0; i < 3; i++)
        cr_assert(eq(u32, bus_in(&bus, bases[i] + UART_SCR, 1), 0x10 + i));
    cr_assert(eq(u8, in(UART_SCR), 0x55));
    bus_out(&bus, UART_COM2_BASE + UART_MCR, UART_MCR_OUT2, 1);
    bus_out(&bus, UART_COM2_BASE + UART_IER, UART_IER_ETBEI, 1);
    cr_assert(recs[0].level);
    cr_assert(not(irq.level));
    cr_assert(eq(u32, bus_in(&bus, UART_COM2_BASE + UART_MSR, 1), 0),
              "no chardev: modem inputs off");
}

/* --- chardev -------------------------------------------------------------- */

static unsigned notified;
static void count_notify(void *opaque)
{
    (void)opaque;
    notified++;
}

Test(chardev, input_ring_wraps_and_drops_when_full, .timeout = 10.0)
{
    struct chardev c;
    chardev_init_null(&c);
    notified = 0;
    chardev_set_consumer(&c, count_notify, NULL);
    uint8_t b;
    cr_assert(not(chardev_pop_input(&c, &b)));
    for (unsigned round = 0; round < 3; round++) {
        for (unsigned i = 0; i < CHARDEV_INPUT_SIZE; i++)
            cr_assert(chardev_push_input(&c, (uint8_t)(i + round)));
        cr_assert(not(chardev_push_input(&c, 0)));
        for (unsigned i = 0; i < CHARDEV_INPUT_SIZE / 2; i++) {
            cr_assert(chardev_pop_input(&c, &b));
            cr_assert(eq(u8, b, (uint8_t)(i + round)));
        }
        for (unsigned i = CHARDEV_INPUT_SIZE / 2; i < CHARDEV_INPUT_SIZE; i++) {
            cr_assert(chardev_pop_input(&c, &b));
            cr_assert(eq(u8, b, (uint8_t)(i + round)));
        }
    }
    cr_assert(eq(u64, c.in_dropped, 3));
    cr_assert(eq(uint, notified, 3 * CHARDEV_INPUT_SIZE));
    uint8_t big[CHARDEV_INPUT_SIZE + 10] = { 0 };
    cr_assert(eq(sz, chardev_push_input_buf(&c, big, sizeof(big)), CHARDEV_INPUT_SIZE));
    cr_assert(eq(u64, c.in_dropped, 13));
    chardev_write(&c, big, 5); /* null sink */
    cr_assert(eq(u64, c.out_bytes, 5));
    chardev_close(&c);
}

Test(chardev, memory_sink_collects_output, .timeout = 10.0)
{
    struct chardev c;
    chardev_init_mem(&c);
    uint8_t buf[1000];
    for (unsigned i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)i;
    for (int i = 0; i < 10; i++)
        chardev_write(&c, buf, sizeof(buf));
    size_t n;
    const uint8_t *p = chardev_mem_data(&c, &n);
    cr_assert(eq(sz, n, 10000));
    cr_assert(eq(mem, bytes(p + 9000, 1000), bytes(buf, 1000)));
    chardev_mem_clear(&c);
    chardev_mem_data(&c, &n);
    cr_assert(eq(sz, n, 0));
    chardev_close(&c);
}

Test(chardev, file_sink, .timeout = 10.0)
{
    char *mem = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&mem, &len);
    struct chardev c;
    chardev_init_file(&c, f);
    chardev_write(&c, (const uint8_t *)"serial", 6);
    cr_assert(eq(sz, len, 6), "flushed at once");
    cr_assert(eq(str, mem, "serial"));
    chardev_close(&c);
    fclose(f);
    free(mem);
}

Test(chardev, fd_backend_reads_and_writes, .timeout = 10.0)
{
    int in_pipe[2], out_pipe[2];
    cr_assert(eq(int, pipe(in_pipe), 0));
    cr_assert(eq(int, pipe(out_pipe), 0));
    struct chardev c;
    chardev_init_fd(&c, in_pipe[0], out_pipe[1]);
    notified = 0;
    chardev_set_consumer(&c, count_notify, NULL);
    chardev_poll(&c); /* nothing ready: must not block */
    cr_assert(eq(sz, chardev_input_pending(&c), 0));
    cr_assert(eq(long, (long)write(in_pipe[1], "abc", 3), 3));
    chardev_poll(&c);
    cr_assert(eq(sz, chardev_input_pending(&c), 3));
    cr_assert(eq(uint, notified, 1));
    chardev_write(&c, (const uint8_t *)"xyz", 3);
    char got[4] = { 0 };
    cr_assert(eq(long, (long)read(out_pipe[0], got, 3), 3));
    cr_assert(eq(str, got, "xyz"));
    close(in_pipe[1]);
    chardev_poll(&c);
    cr_assert(c.in_eof);
    chardev_close(&c);
    close(in_pipe[0]);
    close(out_pipe[0]);
    close(out_pipe[1]);
}

Test(chardev, uart_to_fd_end_to_end, .timeout = 10.0)
{
    struct bus b;
    struct vclock k;
    struct uart u;
    struct chardev c;
    int in_pipe[2], out_pipe[2];
    cr_assert(eq(int, pipe(in_pipe), 0));
    cr_assert(eq(int, pipe(out_pipe), 0));
    cr_assert(eq(int, bus_init(&b, 0x1000), 0));
    clock_init(&k, 100);
    chardev_init_fd(&c, in_pipe[0], out_pipe[1]);
    cr_assert(eq(int, uart_init(&u, &b, UART_COM2_BASE, &k, NULL, &c), 0));
    bus_out(&b, UART_COM2_BASE + UART_LCR, 0x03, 1); /* 8 bits (reset is 5) */
    cr_assert(eq(long, (long)write(in_pipe[1], "k", 1), 1));
    chardev_poll(&c);
    clock_advance_to(&k, uart_char_time_ns(&u));
    cr_assert(eq(u32, bus_in(&b, UART_COM2_BASE + UART_RBR, 1), 'k'));
    bus_out(&b, UART_COM2_BASE + UART_THR, 'm', 1);
    clock_advance_to(&k, k.now + uart_char_time_ns(&u));
    char got = 0;
    cr_assert(eq(long, (long)read(out_pipe[0], &got, 1), 1));
    cr_assert(eq(chr, got, 'm'));
    chardev_close(&c);
    bus_free(&b);
    close(in_pipe[0]);
    close(in_pipe[1]);
    close(out_pipe[0]);
    close(out_pipe[1]);
}
