/* Unit tests for devices/debugexit.c (port 0xF4: a write of v asks to exit
 * with (v << 1) | 1, byte, word or dword, as QEMU's isa-debug-exit) and
 * devices/postcode.c (port 0x80 keeps the last POST code and reads it
 * back).  docs/devices/debugexit.md maps each port to its test. */
#include <limits.h>

#include "devices/debugexit.h"
#include "devices/postcode.h"
#include "tests/unit/unit.h"

static struct bus bus;
static struct debugexit dx;
static int statuses[8];
static unsigned nstatus;

static void record_exit(void *opaque, int status)
{
    cr_assert(eq(ptr, opaque, &dx));
    cr_assert(lt(uint, nstatus, 8));
    statuses[nstatus++] = status;
}

static void setup(void)
{
    cr_assert(eq(int, bus_init(&bus, 0x10000), 0));
    cr_assert(eq(int, debugexit_init(&dx, &bus, record_exit, &dx), 0));
}

static void teardown(void)
{
    bus_free(&bus);
}

TestSuite(debugexit, .init = setup, .fini = teardown, .timeout = 10.0);

Test(debugexit, byte_write_exits_with_v_shl_1_or_1)
{
    bus_out(&bus, DEBUGEXIT_PORT, 0x00, 1);
    bus_out(&bus, DEBUGEXIT_PORT, 0x01, 1);
    bus_out(&bus, DEBUGEXIT_PORT, 0x10, 1);
    bus_out(&bus, DEBUGEXIT_PORT, 0xFF, 1);
    cr_assert(eq(uint, nstatus, 4));
    cr_assert(eq(int, statuses[0], 1));
    cr_assert(eq(int, statuses[1], 3));
    cr_assert(eq(int, statuses[2], 0x21));
    cr_assert(eq(int, statuses[3], 0x1FF));
    cr_assert(eq(int, statuses[3] & 0xFF, 0xFF), "what a shell sees");
    cr_assert(dx.requested);
    cr_assert(eq(int, dx.status, 0x1FF));
}

Test(debugexit, word_and_dword_writes_reach_the_port_whole)
{
    bus_out(&bus, DEBUGEXIT_PORT, 0x1234, 2);
    bus_out(&bus, DEBUGEXIT_PORT, 0x12345678, 4);
    bus_out(&bus, DEBUGEXIT_PORT, 0xFFFFFFFF, 4);
    cr_assert(eq(uint, nstatus, 3), "one request per access, not per byte");
    cr_assert(eq(int, statuses[0], 0x2469));
    cr_assert(eq(int, statuses[1], 0x2468ACF1));
    cr_assert(eq(int, statuses[2], INT_MAX), "kept within an int");
    cr_assert(eq(int, statuses[2] & 0xFF, 0xFF));
}

Test(debugexit, status_function)
{
    cr_assert(eq(int, debugexit_status(0), 1));
    cr_assert(eq(int, debugexit_status(0x80000000u), 1));
    cr_assert(eq(int, debugexit_status(0x7FFFFFFFu), INT_MAX));
}

Test(debugexit, reads_return_zero_and_do_not_exit)
{
    cr_assert(eq(u32, bus_in(&bus, DEBUGEXIT_PORT, 1), 0));
    cr_assert(eq(u32, bus_in(&bus, DEBUGEXIT_PORT, 2), 0));
    cr_assert(eq(u32, bus_in(&bus, DEBUGEXIT_PORT, 4), 0));
    cr_assert(eq(uint, nstatus, 0));
    cr_assert(not(dx.requested));
    cr_assert(eq(u32, bus_in(&bus, DEBUGEXIT_PORT + 1, 1), 0xFF), "only 0xF4 is claimed");
}

Test(debugexit, neighbours_are_not_the_exit_port)
{
    bus_out(&bus, DEBUGEXIT_PORT - 1, 0x12, 1);
    bus_out(&bus, DEBUGEXIT_PORT + 1, 0x12, 1);
    cr_assert(eq(uint, nstatus, 0));
}

Test(debugexit_nocb, without_a_callback_the_request_is_kept, .timeout = 10.0)
{
    struct bus b;
    struct debugexit d;
    cr_assert(eq(int, bus_init(&b, 0x1000), 0));
    cr_assert(eq(int, debugexit_init(&d, &b, NULL, NULL), 0));
    bus_out(&b, DEBUGEXIT_PORT, 0x05, 1);
    cr_assert(d.requested);
    cr_assert(eq(int, d.status, 0x0B));
    bus_free(&b);
}

/* ---- POST code port ---- */

static uint8_t logged[300];
static unsigned nlogged;

static void log_code(void *opaque, uint8_t code)
{
    (void)opaque;
    if (nlogged < sizeof(logged))
        logged[nlogged] = code;
    nlogged++;
}

Test(postcode, keeps_and_reads_back_the_last_code, .fini = teardown, .timeout = 10.0)
{
    struct postcode pc;
    cr_assert(eq(int, bus_init(&bus, 0x1000), 0));
    cr_assert(eq(int, postcode_init(&pc, &bus, log_code, NULL), 0));
    cr_assert(eq(u32, bus_in(&bus, POSTCODE_PORT, 1), 0));
    for (unsigned v = 0; v < 256; v++) {
        bus_out(&bus, POSTCODE_PORT, v, 1);
        cr_assert(eq(u32, bus_in(&bus, POSTCODE_PORT, 1), v));
    }
    cr_assert(eq(u64, pc.writes, 256));
    cr_assert(eq(uint, nlogged, 256));
    for (unsigned v = 0; v < 256; v++)
        cr_assert(eq(u8, logged[v], v));
}

Test(postcode, only_port_80_is_claimed, .fini = teardown, .timeout = 10.0)
{
    struct postcode pc;
    cr_assert(eq(int, bus_init(&bus, 0x1000), 0));
    cr_assert(eq(int, postcode_init(&pc, &bus, NULL, NULL), 0));
    bus_out(&bus, POSTCODE_PORT, 0xBEEF, 2); /* 0x81 is a DMA page register */
    cr_assert(eq(u8, pc.last, 0xEF));
    cr_assert(eq(u64, pc.writes, 1));
    cr_assert(eq(u32, bus_in(&bus, POSTCODE_PORT, 2), 0xFFEF));
}
