/* Unit tests for devices/pic.c: the dual 8259A and the ELCR, driven through
 * their ports on a bus, with input lines set directly and INTR recorded.
 * docs/devices/pic.md maps each register and command to these tests. */
#include "devices/pic.h"
#include "tests/unit/unit.h"

static struct bus bus;
static struct pic pic;
static bool intr;
static unsigned intr_changes;

static void rec_intr(void *opaque, bool level)
{
    (void)opaque;
    if (level != intr)
        intr_changes++;
    intr = level;
}

static void setup(void)
{
    cr_assert(eq(int, bus_init(&bus, 0x10000), 0));
    cr_assert(eq(int, pic_init(&pic, &bus), 0));
    intr = false;
    intr_changes = 0;
    pic_set_output(&pic, rec_intr, NULL);
}

static void teardown(void)
{
    bus_free(&bus);
}

static void out8(uint16_t port, uint8_t v)
{
    bus_out(&bus, port, v, 1);
}

static uint8_t in8(uint16_t port)
{
    return (uint8_t)bus_in(&bus, port, 1);
}

/* The PC BIOS programming: vectors base_m/base_s, slave on IR2, 8086 mode,
 * everything unmasked. */
static void init_pics(uint8_t base_m, uint8_t base_s, uint8_t icw4)
{
    out8(0x20, 0x11);
    out8(0x21, base_m);
    out8(0x21, 0x04);
    out8(0x21, icw4);
    out8(0xA0, 0x11);
    out8(0xA1, base_s);
    out8(0xA1, 0x02);
    out8(0xA1, icw4);
    out8(0x21, 0x00);
    out8(0xA1, 0x00);
}

static uint8_t read_isr(uint16_t cmd)
{
    out8(cmd, 0x0B);
    uint8_t v = in8(cmd);
    out8(cmd, 0x0A);
    return v;
}

static uint8_t read_irr(uint16_t cmd)
{
    out8(cmd, 0x0A);
    return in8(cmd);
}

static void pulse(int irq)
{
    pic_set_irq(&pic, irq, true);
    pic_set_irq(&pic, irq, false);
}

TestSuite(pic, .init = setup, .fini = teardown, .timeout = 10.0);

/* ---- Reset and initialization ---- */

Test(pic, reset_state)
{
    cr_assert(eq(u8, in8(0x21), 0xFF), "inputs masked at reset");
    cr_assert(eq(u8, in8(0xA1), 0xFF));
    cr_assert(eq(u8, in8(0x20), 0), "IRR");
    cr_assert(eq(u8, read_isr(0x20), 0));
    cr_assert(eq(u8, in8(0x4D0), 0));
    cr_assert(eq(u8, in8(0x4D1), 0));
    cr_assert(not(intr));
    /* Unmasking is enough to use the reset state (vectors 08h/70h). */
    out8(0x21, 0x00);
    pic_set_irq(&pic, 0, true);
    cr_assert(intr);
    cr_assert(eq(u8, pic_ack(&pic), 0x08));
}

Test(pic, set_output_reports_current_level)
{
    init_pics(0x08, 0x70, 0x01);
    pic_set_irq(&pic, 1, true);
    bool seen = false;
    intr = false;
    pic_set_output(&pic, rec_intr, &seen);
    cr_assert(intr, "called at once with the current level");
}

Test(pic, icw_sequence_sets_vector_bases)
{
    init_pics(0x20, 0x28, 0x01);
    pic_set_irq(&pic, 1, true);
    cr_assert(intr);
    cr_assert(eq(u8, pic_ack(&pic), 0x21));
    cr_assert(eq(u8, read_isr(0x20), 0x02));
    cr_assert(not(intr));
    pic_set_irq(&pic, 14, true);
    out8(0x20, 0x20); /* EOI for IRQ1 */
    cr_assert(intr);
    cr_assert(eq(u8, pic_ack(&pic), 0x2E));
}

Test(pic, icw2_low_bits_ignored_in_8086_mode)
{
    init_pics(0x0F, 0x77, 0x01);
    pic_set_irq(&pic, 3, true);
    cr_assert(eq(u8, pic_ack(&pic), 0x0B));
}

Test(pic, icw1_resets_imr_isr_priority_and_read_select)
{
    init_pics(0x08, 0x70, 0x01);
    out8(0x21, 0x4A);
    pic_set_irq(&pic, 4, true);
    cr_assert(eq(u8, pic_ack(&pic), 0x0C));
    out8(0x20, 0xC3);       /* set priority: IR3 lowest */
    out8(0x20, 0x68);       /* special mask on */
    out8(0x20, 0x0B);       /* read ISR */
    out8(0x20, 0x11);       /* ICW1 */
    cr_assert(eq(u8, in8(0x21), 0x00), "ICW1 clears the IMR");
    out8(0x21, 0x08);
    out8(0x21, 0x04);
    out8(0x21, 0x01);
    cr_assert(eq(u8, in8(0x20), 0x00), "reads IRR again, edge request dropped");
    cr_assert(eq(u8, read_isr(0x20), 0x00), "ISR cleared");
    cr_assert(not(pic.chip[0].special_mask));
    cr_assert(eq(u8, pic.chip[0].lowest, 7), "IR7 lowest priority");
    /* The input still high needs a new rising edge. */
    cr_assert(not(intr));
    pic_set_irq(&pic, 4, false);
    pic_set_irq(&pic, 4, true);
    cr_assert(intr);
}

Test(pic, single_mode_skips_icw3)
{
    out8(0x20, 0x13); /* single, ICW4 */
    out8(0x21, 0x40);
    out8(0x21, 0x01); /* ICW4, not ICW3 */
    cr_assert(eq(u8, pic.chip[0].icw4, 0x01));
    out8(0x21, 0xF0); /* OCW1 */
    cr_assert(eq(u8, in8(0x21), 0xF0));
    /* No cascade: IR2 is an ordinary input, the master sends the vector. */
    pic_set_irq(&pic, 10, true);
    out8(0xA1, 0x00);
    cr_assert(intr);
    cr_assert(eq(u8, pic_ack(&pic), 0x42));
}

Test(pic, icw4_not_needed_clears_icw4)
{
    init_pics(0x08, 0x70, 0x03); /* AEOI */
    out8(0x20, 0x10);            /* ICW1 without IC4 */
    out8(0x21, 0x08);
    out8(0x21, 0x04);
    cr_assert(eq(u8, pic.chip[0].init_step, 0));
    cr_assert(eq(u8, pic.chip[0].icw4, 0), "ICW4 functions cleared");
    out8(0x21, 0xFD); /* OCW1 */
    cr_assert(eq(u8, in8(0x21), 0xFD));
    pic_set_irq(&pic, 1, true);
    uint8_t v = pic_ack(&pic);
    cr_assert(eq(u8, v, 0x09));
    cr_assert(eq(u8, read_isr(0x20), 0x02), "no AEOI any more");
}

Test(pic, icw4_expected_but_not_given)
{
    /* The guest announces ICW4 and then writes what it means as OCW1: the
     * chip takes it as ICW4, as the 8259A does. */
    out8(0x20, 0x11);
    out8(0x21, 0x08);
    out8(0x21, 0x04);
    out8(0x21, 0xFB);
    cr_assert(eq(u8, pic.chip[0].icw4, 0x1B), "8086, AEOI, buffered slave, SFNM");
    cr_assert(eq(u8, in8(0x21), 0x00), "IMR still as ICW1 left it");
    out8(0x21, 0xFB);
    cr_assert(eq(u8, in8(0x21), 0xFB), "the next write is OCW1");
}

Test(pic, icw1_during_init_restarts_sequence)
{
    out8(0x20, 0x11);
    out8(0x21, 0x30);
    out8(0x20, 0x13); /* ICW1 again: single mode */
    out8(0x21, 0x50);
    out8(0x21, 0x01);
    cr_assert(eq(u8, pic.chip[0].init_step, 0));
    cr_assert(eq(u8, pic.chip[0].icw2, 0x50));
    cr_assert(eq(u8, pic.chip[0].icw4, 0x01));
}

Test(pic, ocw_before_icw)
{
    /* Out of reset, before any ICW: OCWs act on the reset state. */
    out8(0x21, 0x12);
    cr_assert(eq(u8, in8(0x21), 0x12));
    out8(0x20, 0x20); /* EOI with nothing in service */
    out8(0x20, 0x0B);
    cr_assert(eq(u8, in8(0x20), 0x00));
    out8(0xA0, 0x60); /* specific EOI on the slave */
    cr_assert(eq(u8, in8(0xA1), 0xFF));
    cr_assert(not(intr));
}

Test(pic, icw4_buffered_and_mcs80_bits_stored)
{
    init_pics(0x08, 0x70, 0x0C); /* BUF, M/S, MCS-80 mode */
    cr_assert(eq(u8, pic.chip[0].icw4, 0x0C));
    /* The PC's CPU reads an 8086-style vector in any case. */
    pic_set_irq(&pic, 5, true);
    cr_assert(eq(u8, pic_ack(&pic), 0x0D));
}

/* ---- OCW1: the mask ---- */

Test(pic, imr_masks_and_reads_back)
{
    init_pics(0x08, 0x70, 0x01);
    out8(0x21, 0x08);
    cr_assert(eq(u8, in8(0x21), 0x08));
    pic_set_irq(&pic, 3, true);
    cr_assert(not(intr), "masked");
    cr_assert(eq(u8, read_irr(0x20), 0x08), "IRR still records it");
    out8(0x21, 0x00);
    cr_assert(intr, "unmasking delivers the latched request");
    cr_assert(eq(u8, pic_ack(&pic), 0x0B));
    out8(0xA1, 0x81);
    cr_assert(eq(u8, in8(0xA1), 0x81));
    out8(0x21, 0x04); /* masking the cascade input masks the slave */
    pic_set_irq(&pic, 12, true);
    out8(0x20, 0x20);
    cr_assert(not(intr));
}

/* ---- Triggering ---- */

Test(pic, edge_latches_rising_edge_only)
{
    init_pics(0x08, 0x70, 0x01);
    pulse(4);
    cr_assert(intr, "a pulse is latched");
    cr_assert(eq(u8, read_irr(0x20), 0x10));
    cr_assert(eq(u8, pic_ack(&pic), 0x0C));
    out8(0x20, 0x20);
    cr_assert(not(intr));
    pic_set_irq(&pic, 4, true);
    cr_assert(eq(u8, pic_ack(&pic), 0x0C));
    out8(0x20, 0x20);
    pic_set_irq(&pic, 4, true); /* still high: no new edge */
    cr_assert(not(intr));
    cr_assert(eq(u8, read_irr(0x20), 0x00));
}

Test(pic, level_mode_via_elcr)
{
    init_pics(0x08, 0x70, 0x01);
    out8(0x4D0, 0x08);
    cr_assert(eq(u8, in8(0x4D0), 0x08));
    pic_set_irq(&pic, 3, true);
    cr_assert(intr);
    pic_set_irq(&pic, 3, false);
    cr_assert(not(intr), "a level request follows the line");
    cr_assert(eq(u8, read_irr(0x20), 0x00));
    pic_set_irq(&pic, 3, true);
    cr_assert(eq(u8, pic_ack(&pic), 0x0B));
    cr_assert(not(intr), "in service holds it off");
    cr_assert(eq(u8, read_irr(0x20), 0x08), "IRR follows the level");
    out8(0x20, 0x20);
    cr_assert(intr, "still high after EOI: requests again");
    pic_set_irq(&pic, 3, false);
    cr_assert(not(intr));
}

Test(pic, level_mode_slave_via_elcr2)
{
    init_pics(0x08, 0x70, 0x01);
    out8(0x4D1, 0x08); /* IRQ11 */
    pic_set_irq(&pic, 11, true);
    cr_assert(eq(u8, pic_ack(&pic), 0x73));
    out8(0xA0, 0x20);
    out8(0x20, 0x20);
    cr_assert(intr);
    cr_assert(eq(u8, pic_ack(&pic), 0x73));
}

Test(pic, level_mode_via_ltim)
{
    out8(0x20, 0x19); /* LTIM */
    out8(0x21, 0x08);
    out8(0x21, 0x04);
    out8(0x21, 0x01);
    out8(0x21, 0x00);
    pic_set_irq(&pic, 1, true);
    cr_assert(intr);
    pic_set_irq(&pic, 1, false);
    cr_assert(not(intr));
    cr_assert(eq(u8, in8(0x4D0), 0x00), "the ELCR is independent");
}

Test(pic, elcr_reserved_bits_read_zero)
{
    out8(0x4D0, 0xFF);
    out8(0x4D1, 0xFF);
    cr_assert(eq(u8, in8(0x4D0), 0xF8), "IRQ0-2 always edge");
    cr_assert(eq(u8, in8(0x4D1), 0xDE), "IRQ8 and IRQ13 always edge");
    cr_assert(eq(u32, bus_in(&bus, 0x4D0, 2), 0xDEF8), "word reads split in bytes");
}

Test(pic, elcr_change_reevaluates_requests)
{
    init_pics(0x08, 0x70, 0x01);
    out8(0x21, 0xFF);
    pic_set_irq(&pic, 5, true);
    pic_set_irq(&pic, 5, false);
    cr_assert(eq(u8, read_irr(0x20), 0x20), "edge latched");
    out8(0x4D0, 0x20);
    cr_assert(eq(u8, read_irr(0x20), 0x00), "level now: the line is low");
    pic_set_irq(&pic, 6, true);
    out8(0x4D0, 0x60);
    cr_assert(eq(u8, read_irr(0x20), 0x40));
    out8(0x4D0, 0x00);
    cr_assert(eq(u8, read_irr(0x20), 0x40), "back to edge: keeps what it had");
}

/* ---- Priority and OCW2 ---- */

Test(pic, fully_nested_priority)
{
    init_pics(0x08, 0x70, 0x01);
    pic_set_irq(&pic, 3, true);
    cr_assert(eq(u8, pic_ack(&pic), 0x0B));
    pic_set_irq(&pic, 5, true);
    cr_assert(not(intr), "lower priority waits");
    pic_set_irq(&pic, 1, true);
    cr_assert(intr, "higher priority nests");
    cr_assert(eq(u8, pic_ack(&pic), 0x09));
    cr_assert(eq(u8, read_isr(0x20), 0x0A));
    out8(0x20, 0x20); /* clears IR1, the highest */
    cr_assert(eq(u8, read_isr(0x20), 0x08));
    cr_assert(not(intr));
    out8(0x20, 0x20);
    cr_assert(intr);
    cr_assert(eq(u8, pic_ack(&pic), 0x0D));
}

Test(pic, same_level_blocks_itself)
{
    init_pics(0x08, 0x70, 0x01);
    pic_set_irq(&pic, 3, true);
    cr_assert(eq(u8, pic_ack(&pic), 0x0B));
    pic_set_irq(&pic, 3, false);
    pic_set_irq(&pic, 3, true);
    cr_assert(not(intr));
    out8(0x20, 0x63);
    cr_assert(intr);
}

Test(pic, specific_eoi)
{
    init_pics(0x08, 0x70, 0x01);
    pic_set_irq(&pic, 6, true);
    pic_ack(&pic);
    pic_set_irq(&pic, 2 + 7, true); /* IRQ9 via the slave */
    cr_assert(eq(u8, pic_ack(&pic), 0x71));
    out8(0x20, 0x66); /* specific EOI IR6, though IR2 is higher */
    cr_assert(eq(u8, read_isr(0x20), 0x04));
    out8(0xA0, 0x61);
    cr_assert(eq(u8, read_isr(0xA0), 0x00));
    out8(0x20, 0x62);
    cr_assert(eq(u8, read_isr(0x20), 0x00));
}

Test(pic, eoi_with_nothing_in_service)
{
    init_pics(0x08, 0x70, 0x01);
    out8(0x20, 0x20);
    out8(0x20, 0xA0); /* rotate on non-specific EOI: nothing to rotate */
    cr_assert(eq(u8, pic.chip[0].lowest, 7));
    cr_assert(eq(u8, read_isr(0x20), 0x00));
}

Test(pic, rotate_on_non_specific_eoi)
{
    init_pics(0x08, 0x70, 0x01);
    pic_set_irq(&pic, 1, true);
    pic_set_irq(&pic, 4, true);
    cr_assert(eq(u8, pic_ack(&pic), 0x09));
    out8(0x20, 0xA0); /* IR1 becomes the lowest: IR2 highest */
    cr_assert(eq(u8, pic.chip[0].lowest, 1));
    pic_set_irq(&pic, 1, false);
    pic_set_irq(&pic, 1, true);
    cr_assert(eq(u8, pic_ack(&pic), 0x0C), "IR4 now beats IR1");
    out8(0x20, 0xA0);
    cr_assert(eq(u8, pic_ack(&pic), 0x09));
}

Test(pic, rotate_on_specific_eoi)
{
    init_pics(0x08, 0x70, 0x01);
    pic_set_irq(&pic, 0, true);
    cr_assert(eq(u8, pic_ack(&pic), 0x08));
    out8(0x20, 0xE5); /* clear ISR5 (not set) and make IR5 lowest */
    cr_assert(eq(u8, read_isr(0x20), 0x01), "IR0 still in service");
    cr_assert(eq(u8, pic.chip[0].lowest, 5));
    out8(0x20, 0xE0);
    cr_assert(eq(u8, read_isr(0x20), 0x00));
    pic_set_irq(&pic, 0, false);
    pic_set_irq(&pic, 0, true);
    pic_set_irq(&pic, 7, true);
    cr_assert(eq(u8, pic_ack(&pic), 0x0F), "IR0 lowest: IR7 beats it");
}

Test(pic, set_priority_command)
{
    init_pics(0x08, 0x70, 0x01);
    out8(0x20, 0xC4); /* IR4 lowest, IR5 highest */
    pic_set_irq(&pic, 3, true);
    pic_set_irq(&pic, 5, true);
    cr_assert(eq(u8, pic_ack(&pic), 0x0D));
    cr_assert(not(intr), "IR3 is below the in-service IR5 now");
    out8(0x20, 0x20);
    cr_assert(eq(u8, pic_ack(&pic), 0x0B));
}

Test(pic, ocw2_no_operation)
{
    init_pics(0x08, 0x70, 0x01);
    pic_set_irq(&pic, 2 + 1, true);
    pic_ack(&pic);
    out8(0x20, 0x40);
    cr_assert(eq(u8, read_isr(0x20), 0x08));
    cr_assert(eq(u8, pic.chip[0].lowest, 7));
}

Test(pic, automatic_eoi)
{
    init_pics(0x08, 0x70, 0x03);
    pic_set_irq(&pic, 3, true);
    cr_assert(eq(u8, pic_ack(&pic), 0x0B));
    cr_assert(eq(u8, read_isr(0x20), 0x00), "AEOI: nothing stays in service");
    pic_set_irq(&pic, 5, true);
    cr_assert(intr, "lower levels go through at once");
    cr_assert(eq(u8, pic_ack(&pic), 0x0D));
    cr_assert(eq(u8, pic.chip[0].lowest, 7), "no rotation by default");
}

Test(pic, rotate_in_automatic_eoi_mode)
{
    init_pics(0x08, 0x70, 0x03);
    out8(0x20, 0x80); /* rotate in AEOI (set) */
    pic_set_irq(&pic, 1, true);
    pic_set_irq(&pic, 6, true);
    cr_assert(eq(u8, pic_ack(&pic), 0x09));
    cr_assert(eq(u8, pic.chip[0].lowest, 1));
    pic_set_irq(&pic, 1, false);
    pic_set_irq(&pic, 1, true);
    cr_assert(eq(u8, pic_ack(&pic), 0x0E), "IR6 before IR1 now");
    cr_assert(eq(u8, pic.chip[0].lowest, 6));
    out8(0x20, 0x00); /* rotate in AEOI (clear) */
    cr_assert(eq(u8, pic_ack(&pic), 0x09));
    cr_assert(eq(u8, pic.chip[0].lowest, 6), "no rotation any more");
}

/* ---- OCW3 ---- */

Test(pic, ocw3_read_irr_isr)
{
    init_pics(0x08, 0x70, 0x01);
    pic_set_irq(&pic, 0, true);
    pic_set_irq(&pic, 7, true);
    cr_assert(eq(u8, in8(0x20), 0x81), "IRR by default");
    pic_ack(&pic);
    out8(0x20, 0x0B);
    cr_assert(eq(u8, in8(0x20), 0x01), "ISR");
    cr_assert(eq(u8, in8(0x20), 0x01), "the selection stays");
    out8(0x20, 0x09); /* RR=0: no change */
    cr_assert(eq(u8, in8(0x20), 0x01));
    out8(0x20, 0x0A);
    cr_assert(eq(u8, in8(0x20), 0x80));
    cr_assert(eq(u8, in8(0x21), 0x00), "the data port reads the IMR");
}

Test(pic, poll_command)
{
    init_pics(0x08, 0x70, 0x01);
    out8(0x21, 0x00);
    pic_set_irq(&pic, 5, true);
    out8(0x20, 0x0C);
    cr_assert(eq(u8, in8(0x20), 0x85), "poll: 0x80 | level");
    cr_assert(eq(u8, read_isr(0x20), 0x20), "and acknowledged");
    cr_assert(not(intr));
    cr_assert(eq(u8, in8(0x20), 0x00), "one read only: IRR again");
    out8(0x20, 0x0C);
    cr_assert(eq(u8, in8(0x20), 0x00), "nothing requesting");
    out8(0x20, 0x20);
    pic_set_irq(&pic, 10, true); /* polling the master reports the cascade */
    out8(0x20, 0x0C);
    cr_assert(eq(u8, in8(0x21), 0x82), "any read answers a poll");
    out8(0xA0, 0x0C);
    cr_assert(eq(u8, in8(0xA0), 0x82));
    cr_assert(eq(u8, read_isr(0xA0), 0x04));
}

Test(pic, poll_in_aeoi_mode)
{
    init_pics(0x08, 0x70, 0x03);
    pic_set_irq(&pic, 6, true);
    out8(0x20, 0x0C);
    cr_assert(eq(u8, in8(0x20), 0x86));
    cr_assert(eq(u8, read_isr(0x20), 0x00));
}

Test(pic, special_mask_mode)
{
    init_pics(0x08, 0x70, 0x01);
    pic_set_irq(&pic, 3, true);
    cr_assert(eq(u8, pic_ack(&pic), 0x0B));
    pic_set_irq(&pic, 5, true);
    cr_assert(not(intr));
    out8(0x21, 0x08); /* mask the level in service */
    out8(0x20, 0x68); /* ESMM + SMM */
    cr_assert(intr, "special mask: the lower level gets through");
    cr_assert(eq(u8, pic_ack(&pic), 0x0D));
    cr_assert(eq(u8, read_isr(0x20), 0x28));
    /* A non-specific EOI skips the masked in-service level. */
    out8(0x20, 0x20);
    cr_assert(eq(u8, read_isr(0x20), 0x08));
    out8(0x20, 0x48); /* ESMM, SMM=0: reset special mask */
    cr_assert(not(pic.chip[0].special_mask));
    out8(0x20, 0x28); /* SMM without ESMM: no change */
    cr_assert(not(pic.chip[0].special_mask));
    pic_set_irq(&pic, 6, true);
    out8(0x21, 0x00);
    cr_assert(not(intr), "IR3 in service blocks IR6 again");
}

/* ---- Cascade and spurious interrupts ---- */

Test(pic, cascade_slave_vector)
{
    init_pics(0x08, 0x70, 0x01);
    pic_set_irq(&pic, 10, true);
    cr_assert(intr);
    cr_assert(eq(u8, read_irr(0x20), 0x04), "slave INT on master IR2");
    cr_assert(eq(u8, pic_ack(&pic), 0x72));
    cr_assert(eq(u8, read_isr(0x20), 0x04));
    cr_assert(eq(u8, read_isr(0xA0), 0x04));
    pic_set_irq(&pic, 0, true);
    cr_assert(intr, "IR0 is above the cascade");
    cr_assert(eq(u8, pic_ack(&pic), 0x08));
    pic_set_irq(&pic, 8, true);
    out8(0x20, 0x20); /* EOI IR0 */
    cr_assert(not(intr), "master IR2 still in service");
    out8(0xA0, 0x20);
    out8(0x20, 0x20);
    cr_assert(intr);
    cr_assert(eq(u8, pic_ack(&pic), 0x70));
}

Test(pic, irq2_is_redirected_to_irq9)
{
    init_pics(0x08, 0x70, 0x01);
    pic_set_irq(&pic, 2, true);
    cr_assert(eq(u8, pic_ack(&pic), 0x71));
}

Test(pic, spurious_irq7)
{
    init_pics(0x08, 0x70, 0x01);
    out8(0x4D0, 0x20);
    pic_set_irq(&pic, 5, true);
    cr_assert(intr);
    pic_set_irq(&pic, 5, false); /* the request vanishes before INTA */
    cr_assert(eq(u8, pic_ack(&pic), 0x0F));
    cr_assert(eq(u8, read_isr(0x20), 0x00), "no ISR bit for a spurious IRQ7");
    /* Masking after INT does the same. */
    pic_set_irq(&pic, 4, true);
    out8(0x21, 0x10);
    cr_assert(eq(u8, pic_ack(&pic), 0x0F));
    cr_assert(eq(u8, read_isr(0x20), 0x00));
}

Test(pic, spurious_irq15)
{
    init_pics(0x08, 0x70, 0x01);
    out8(0x4D1, 0x08);
    pic_set_irq(&pic, 11, true);
    pic_set_irq(&pic, 11, false); /* the master's edge latch keeps IR2 */
    cr_assert(intr);
    cr_assert(eq(u8, pic_ack(&pic), 0x77));
    cr_assert(eq(u8, read_isr(0xA0), 0x00));
    cr_assert(eq(u8, read_isr(0x20), 0x04), "the master services IR2");
    out8(0x20, 0x20);
    cr_assert(eq(u8, read_isr(0x20), 0x00));
}

Test(pic, spurious_with_nothing_pending)
{
    init_pics(0x40, 0x48, 0x01);
    cr_assert(eq(u8, pic_ack(&pic), 0x47));
}

Test(pic, cascade_id_mismatch_floats_bus)
{
    out8(0x20, 0x11);
    out8(0x21, 0x08);
    out8(0x21, 0x04);
    out8(0x21, 0x01);
    out8(0xA0, 0x11);
    out8(0xA1, 0x70);
    out8(0xA1, 0x05); /* slave ID 5, but it is wired to IR2 */
    out8(0xA1, 0x01);
    out8(0x21, 0x00);
    out8(0xA1, 0x00);
    pic_set_irq(&pic, 9, true);
    cr_assert(eq(u8, pic_ack(&pic), 0xFF), "no slave answers");
    cr_assert(eq(u8, read_isr(0xA0), 0x00));
}

Test(pic, master_without_slave_on_ir2)
{
    out8(0x20, 0x11);
    out8(0x21, 0x08);
    out8(0x21, 0x00); /* ICW3: no slaves */
    out8(0x21, 0x01);
    out8(0x21, 0x00);
    out8(0xA1, 0x00);
    pic_set_irq(&pic, 12, true);
    cr_assert(eq(u8, pic_ack(&pic), 0x0A), "the master sends IR2's own vector");
}

Test(pic, special_fully_nested_mode)
{
    init_pics(0x08, 0x70, 0x01);
    out8(0x20, 0x11);
    out8(0x21, 0x08);
    out8(0x21, 0x04);
    out8(0x21, 0x11); /* SFNM */
    out8(0x21, 0x00);
    pic_set_irq(&pic, 12, true);
    cr_assert(eq(u8, pic_ack(&pic), 0x74));
    pic_set_irq(&pic, 9, true);
    cr_assert(intr, "a higher slave level passes the master's ISR2");
    cr_assert(eq(u8, pic_ack(&pic), 0x71));
    pic_set_irq(&pic, 13, true);
    cr_assert(not(intr), "a lower one is held by the slave");
}

Test(pic, no_sfnm_blocks_higher_slave_levels)
{
    init_pics(0x08, 0x70, 0x01);
    pic_set_irq(&pic, 12, true);
    cr_assert(eq(u8, pic_ack(&pic), 0x74));
    pic_set_irq(&pic, 9, true);
    cr_assert(not(intr));
}

Test(pic, slave_aeoi_with_more_requests)
{
    /* The slave's INT drops during INTA and rises again after its AEOI, so
     * the edge-triggered master IR2 sees the second request. */
    init_pics(0x08, 0x70, 0x01);
    out8(0xA0, 0x11);
    out8(0xA1, 0x70);
    out8(0xA1, 0x02);
    out8(0xA1, 0x03);
    out8(0xA1, 0x00);
    pic_set_irq(&pic, 9, true);
    pic_set_irq(&pic, 10, true);
    cr_assert(eq(u8, pic_ack(&pic), 0x71));
    out8(0x20, 0x20);
    cr_assert(intr);
    cr_assert(eq(u8, pic_ack(&pic), 0x72));
}

Test(pic, intr_callback_only_on_change)
{
    init_pics(0x08, 0x70, 0x01);
    intr_changes = 0;
    pic_set_irq(&pic, 1, true);
    pic_set_irq(&pic, 3, true);
    pic_set_irq(&pic, 1, true);
    cr_assert(eq(uint, intr_changes, 1));
}

/* ---- Abuse ---- */

Test(pic, out_of_range_irq_ignored)
{
    init_pics(0x08, 0x70, 0x01);
    pic_set_irq(&pic, -1, true);
    pic_set_irq(&pic, 16, true);
    pic_set_irq(&pic, 1000, true);
    pic_set_irq(&pic, -1000, false);
    cr_assert(not(intr));
    cr_assert(eq(u8, read_irr(0x20), 0));
    cr_assert(eq(u8, read_irr(0xA0), 0));
}

Test(pic, wide_accesses_split)
{
    /* A word OUT to 0x20 writes ICW1 then ICW2 to 0x21. */
    bus_out(&bus, 0x20, 0x3011, 2);
    cr_assert(eq(u8, pic.chip[0].icw2, 0x30));
    cr_assert(eq(u8, pic.chip[0].init_step, 3));
    out8(0x21, 0x04);
    out8(0x21, 0x01);
    out8(0x21, 0xA5);
    cr_assert(eq(u32, bus_in(&bus, 0x20, 2), 0xA500));
}

Test(pic, reset_keeps_input_levels)
{
    init_pics(0x08, 0x70, 0x01);
    out8(0x4D0, 0x08);
    pic_set_irq(&pic, 3, true);
    pic_set_irq(&pic, 4, true);
    pic_reset(&pic);
    cr_assert(not(intr));
    cr_assert(eq(u8, in8(0x4D0), 0), "ELCR cleared");
    cr_assert(eq(u8, pic.chip[0].lines, 0x18), "devices still drive their lines");
    cr_assert(eq(u8, in8(0x20), 0x00));
}

Test(pic, random_guest_writes_stay_in_bounds)
{
    /* A deterministic storm of writes, reads, line changes and INTAs: the
     * sanitizer build checks every access; vectors stay well formed. */
    static const uint16_t ports[] = { 0x20, 0x21, 0xA0, 0xA1, 0x4D0, 0x4D1 };
    uint32_t x = 12345;
    for (int i = 0; i < 20000; i++) {
        x = x * 1103515245u + 12345u;
        uint32_t r = x >> 8;
        switch (r % 4) {
        case 0:
            out8(ports[(r >> 2) % 6], (uint8_t)(r >> 8));
            break;
        case 1:
            in8(ports[(r >> 2) % 6]);
            break;
        case 2:
            pic_set_irq(&pic, (int)((r >> 2) % 20) - 2, (r >> 8) & 1);
            break;
        default:
            if (intr) {
                uint8_t v = pic_ack(&pic);
                uint8_t m = pic.chip[0].icw2 & 0xF8, s = pic.chip[1].icw2 & 0xF8;
                bool ok = (v & 0xF8) == m || (v & 0xF8) == s || v == 0xFF;
                cr_assert(ok, "vector %02x", v);
            }
            break;
        }
        cr_assert(lt(u8, pic.chip[0].lowest, 8));
        cr_assert(lt(u8, pic.chip[1].lowest, 8));
        cr_assert(le(u8, pic.chip[0].init_step, 4));
    }
}
