/* Unit tests for devices/debugcon.c: bytes written to port 0xE9 reach the
 * host stream, and reads return 0xE9 so a guest can detect the console. */
#include <stdio.h>
#include <stdlib.h>

#include "devices/debugcon.h"
#include "tests/unit/unit.h"

static struct bus bus;
static struct debugcon con;
static char *buf;
static size_t len;
static FILE *out;

static void setup(void)
{
    cr_assert(eq(int, bus_init(&bus, 0x10000), 0));
    out = open_memstream(&buf, &len);
    cr_assert(not(eq(ptr, out, NULL)));
    cr_assert(eq(int, debugcon_init(&con, &bus, out, DEBUGCON_PORT), 0));
}

static void teardown(void)
{
    fclose(out);
    free(buf);
    bus_free(&bus);
}

TestSuite(debugcon, .init = setup, .fini = teardown, .timeout = 10.0);

Test(debugcon, bytes_reach_the_stream)
{
    const char *msg = "Hello, Popek!\n";
    for (const char *p = msg; *p; p++)
        bus_out(&bus, DEBUGCON_PORT, (uint8_t)*p, 1);
    fflush(out);
    cr_assert(eq(sz, len, 14));
    cr_assert(eq(str, buf, "Hello, Popek!\n"));
    cr_assert(eq(u64, con.bytes, 14));
}

Test(debugcon, only_the_low_byte_is_written)
{
    bus_out(&bus, DEBUGCON_PORT, 0x1241, 1); /* the bus passes 0x41 */
    fflush(out);
    cr_assert(eq(sz, len, 1));
    cr_assert(eq(chr, buf[0], 'A'));
}

Test(debugcon, wide_writes_split_into_bytes)
{
    /* A word OUT at 0xE9 is split by the bus: the low byte goes to 0xE9,
     * the high byte to 0xEA, which nobody claims. */
    bus_out(&bus, DEBUGCON_PORT, 0x4241, 2);
    fflush(out);
    cr_assert(eq(sz, len, 1));
    cr_assert(eq(chr, buf[0], 'A'));
}

Test(debugcon, reads_return_e9)
{
    cr_assert(eq(u32, bus_in(&bus, DEBUGCON_PORT, 1), 0xE9));
    cr_assert(eq(u32, bus_in(&bus, DEBUGCON_PORT, 2), 0xFFE9), "0xEA is unclaimed");
    cr_assert(eq(u32, bus_in(&bus, DEBUGCON_PORT - 1, 1), 0xFF), "0xE8 is unclaimed");
    fflush(out);
    cr_assert(eq(sz, len, 0), "reads write nothing");
}

Test(debugcon, binary_bytes_pass_unchanged)
{
    for (unsigned v = 0; v < 256; v++)
        bus_out(&bus, DEBUGCON_PORT, v, 1);
    fflush(out);
    cr_assert(eq(sz, len, 256));
    for (unsigned v = 0; v < 256; v++)
        cr_assert(eq(u8, (uint8_t)buf[v], v));
}

Test(debugcon_stdout, null_stream_means_stdout, .timeout = 10.0)
{
    struct bus b;
    struct debugcon d;
    cr_assert(eq(int, bus_init(&b, 0x1000), 0));
    cr_assert(eq(int, debugcon_init(&d, &b, NULL, DEBUGCON_PORT), 0));
    cr_assert(eq(ptr, d.out, stdout));
    bus_free(&b);
}
