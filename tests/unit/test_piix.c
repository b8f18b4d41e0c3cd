/* Unit tests for devices/piix.c: the PIIX3 ISA bridge's header and PIRQ
 * route registers (with the IRQ levels they produce), the reset control
 * register at 0xCF9, and the PIIX4 PM function's PMBA/PMREGMISC placing the
 * ACPI block, all through the configuration ports as a guest would. */
#include "devices/piix.h"
#include "tests/unit/unit.h"

static struct bus bus;
static struct pci_bus pb;
static struct vclock clk;
static struct piix piix;

static bool irq_level[16];
static unsigned irq_changes[16];
static unsigned resets, hard_resets, power_offs;

static void irq_rec(void *opaque, int n, bool level)
{
    cr_assert(eq(ptr, opaque, &bus));
    cr_assert(eq(int, irq_level[n] != level, 1), "IRQ %d driven to the level it had", n);
    irq_level[n] = level;
    irq_changes[n]++;
}

static void reset_rec(void *opaque, bool hard)
{
    cr_assert(eq(ptr, opaque, &bus));
    resets++;
    hard_resets += hard;
}

static void power_off_rec(void *opaque)
{
    cr_assert(eq(ptr, opaque, &bus));
    power_offs++;
}

static void setup(void)
{
    cr_assert(eq(int, bus_init(&bus, 1u << 20), 0));
    clock_init(&clk, 100);
    cr_assert(eq(int, pci_init(&pb, &bus), 0));
    struct irq_line lines[16];
    for (int i = 0; i < 16; i++)
        lines[i] = (struct irq_line){ irq_rec, &bus, i };
    cr_assert(eq(int, piix_init(&piix, &pb, &bus, &clk, lines, reset_rec, power_off_rec, &bus),
                 0));
}

static void teardown(void)
{
    bus_free(&bus);
}

TestSuite(piix, .init = setup, .fini = teardown, .timeout = 10.0);

static uint32_t cfg_in(uint8_t devfn, unsigned off, unsigned size)
{
    bus_out(&bus, PCI_CONFIG_ADDRESS, 0x80000000u | (uint32_t)devfn << 8 | (off & 0xFC), 4);
    return bus_in(&bus, (uint16_t)(PCI_CONFIG_DATA + (off & 3)), size);
}

static void cfg_out(uint8_t devfn, unsigned off, uint32_t val, unsigned size)
{
    bus_out(&bus, PCI_CONFIG_ADDRESS, 0x80000000u | (uint32_t)devfn << 8 | (off & 0xFC), 4);
    bus_out(&bus, (uint16_t)(PCI_CONFIG_DATA + (off & 3)), val, size);
}

Test(piix, isa_bridge_identifies_as_piix3)
{
    cr_assert(eq(u32, cfg_in(PIIX_ISA_DEVFN, 0x00, 4), 0x70008086));
    cr_assert(eq(u32, cfg_in(PIIX_ISA_DEVFN, 0x08, 4), 0x06010000));
    cr_assert(eq(u32, cfg_in(PIIX_ISA_DEVFN, PCI_HEADER_TYPE, 1), 0x80), "multi-function");
    cr_assert(eq(u32, cfg_in(PIIX_ISA_DEVFN, PCI_COMMAND, 4), 0x02000007));
    cfg_out(PIIX_ISA_DEVFN, PCI_COMMAND, 0, 2);
    cr_assert(eq(u32, cfg_in(PIIX_ISA_DEVFN, PCI_COMMAND, 2), 0x0007), "hardwired enables");
    cr_assert(eq(u32, cfg_in(PIIX_ISA_DEVFN, 0x4C, 1), 0x4D), "IORT");
    cr_assert(eq(u32, cfg_in(PIIX_ISA_DEVFN, 0x4E, 2), 0x0003), "XBCS");
    cr_assert(eq(u32, cfg_in(PIIX_ISA_DEVFN, 0x70, 2), 0x8080), "MBIRQ0/1");
    cr_assert(eq(u32, cfg_in(PIIX_ISA_DEVFN, 0x76, 2), 0x0C0C), "MBDMA0/1");
    cr_assert(eq(u32, cfg_in(PIIX_ISA_DEVFN, 0xA0, 1), 0x08), "SMICNTL");
    cr_assert(eq(u32, cfg_in(PCI_DEVFN(1, 1), 0, 4), 0xFFFFFFFF), "no IDE function");
    cr_assert(eq(u32, cfg_in(PCI_DEVFN(1, 2), 0, 4), 0xFFFFFFFF), "no USB function");
}

Test(piix, pm_function_identifies_as_piix4_acpi)
{
    cr_assert(eq(u32, cfg_in(PIIX_PM_DEVFN, 0x00, 4), 0x71138086));
    cr_assert(eq(u32, cfg_in(PIIX_PM_DEVFN, 0x08, 4), 0x06800003));
    cr_assert(eq(u32, cfg_in(PIIX_PM_DEVFN, PCI_HEADER_TYPE, 1), 0x00));
    cr_assert(eq(u32, cfg_in(PIIX_PM_DEVFN, PCI_INTERRUPT_PIN, 1), 0x01));
    cr_assert(eq(u32, cfg_in(PIIX_PM_DEVFN, PIIX_PMBA, 4), 0x00000001));
    cr_assert(eq(u32, cfg_in(PIIX_PM_DEVFN, PIIX_SMBBA, 4), 0x00000001));
    cr_assert(eq(u32, cfg_in(PIIX_PM_DEVFN, PIIX_PMREGMISC, 1), 0x00));
}

Test(piix, pirq_route_registers_mask_reserved_bits)
{
    cr_assert(eq(u32, cfg_in(PIIX_ISA_DEVFN, PIIX_PIRQRC, 4), 0x80808080), "all disabled");
    cfg_out(PIIX_ISA_DEVFN, PIIX_PIRQRC, 0xFFFFFFFF, 4);
    cr_assert(eq(u32, cfg_in(PIIX_ISA_DEVFN, PIIX_PIRQRC, 4), 0x8F8F8F8F), "bits 6:4 reserved");
    cfg_out(PIIX_ISA_DEVFN, PIIX_PIRQRC + 2, 0x0A, 1);
    cr_assert(eq(int, piix_pirq_route(&piix, 2), 10));
    cr_assert(eq(int, piix_pirq_route(&piix, 0), -1), "bit 7 disables");
    static const unsigned reserved[] = { 0, 1, 2, 8, 13 };
    for (unsigned i = 0; i < 5; i++) {
        cfg_out(PIIX_ISA_DEVFN, PIIX_PIRQRC, reserved[i], 1);
        cr_assert(eq(int, piix_pirq_route(&piix, 0), -1), "IRQ %u is reserved", reserved[i]);
    }
    cr_assert(eq(int, piix_pirq_route(&piix, 4), -1));
}

Test(piix, pci_interrupts_reach_the_routed_isa_irq)
{
    struct pci_device d;
    pci_device_init(&d, 1, 1, 0, 0, 0);
    pci_set_byte(&d, PCI_INTERRUPT_PIN, 1); /* slot 2 INTA# -> PIRQC */
    cr_assert(eq(int, pci_register(&pb, &d, PCI_DEVFN(2, 0)), 0));

    pci_set_irq(&d, true);
    for (int i = 0; i < 16; i++)
        cr_assert(eq(uint, irq_changes[i], 0), "routing is off: IRQ %d untouched", i);
    cfg_out(PIIX_ISA_DEVFN, PIIX_PIRQRC + 2, 11, 1);
    cr_assert(irq_level[11], "routing on while asserted raises IRQ 11");
    pci_set_irq(&d, false);
    cr_assert(not(irq_level[11]));
    pci_set_irq(&d, true);
    cr_assert(irq_level[11]);
    cfg_out(PIIX_ISA_DEVFN, PIIX_PIRQRC + 2, 5, 1); /* reroute while asserted */
    cr_assert(not(irq_level[11]));
    cr_assert(irq_level[5]);
    cfg_out(PIIX_ISA_DEVFN, PIIX_PIRQRC + 2, 0x85, 1); /* disable */
    cr_assert(not(irq_level[5]));
    cfg_out(PIIX_ISA_DEVFN, PIIX_PIRQRC + 2, 0x0B, 1);
    cr_assert(irq_level[11]);
    pci_set_irq(&d, false);
    cr_assert(not(irq_level[11]));
}

Test(piix, pirqs_sharing_an_irq_are_ored)
{
    struct pci_device a, b;
    pci_device_init(&a, 1, 1, 0, 0, 0);
    pci_device_init(&b, 1, 1, 0, 0, 0);
    pci_set_byte(&a, PCI_INTERRUPT_PIN, 1); /* slot 4 INTA# -> PIRQA */
    pci_set_byte(&b, PCI_INTERRUPT_PIN, 1); /* slot 5 INTA# -> PIRQB */
    cr_assert(eq(int, pci_register(&pb, &a, PCI_DEVFN(4, 0)), 0));
    cr_assert(eq(int, pci_register(&pb, &b, PCI_DEVFN(5, 0)), 0));
    cfg_out(PIIX_ISA_DEVFN, PIIX_PIRQRC, 0x0A0A, 2); /* PIRQA and PIRQB -> IRQ 10 */
    pci_set_irq(&a, true);
    pci_set_irq(&b, true);
    cr_assert(irq_level[10]);
    cr_assert(eq(uint, irq_changes[10], 1));
    pci_set_irq(&a, false);
    cr_assert(irq_level[10], "PIRQB still asserted");
    pci_set_irq(&b, false);
    cr_assert(not(irq_level[10]));
}

Test(piix, sci_is_irq9_and_shares_with_pirqs)
{
    piix_pm_enable(&piix, 0x600);
    bus_out(&bus, 0x600 + ACPI_PM1_EN, ACPI_PM1_PWRBTN, 2);
    acpi_pm_power_button(&piix.acpi);
    cr_assert(irq_level[9]);
    struct pci_device d;
    pci_device_init(&d, 1, 1, 0, 0, 0);
    pci_set_byte(&d, PCI_INTERRUPT_PIN, 1); /* slot 4 -> PIRQA */
    cr_assert(eq(int, pci_register(&pb, &d, PCI_DEVFN(4, 0)), 0));
    cfg_out(PIIX_ISA_DEVFN, PIIX_PIRQRC, 9, 1);
    pci_set_irq(&d, true);
    bus_out(&bus, 0x600 + ACPI_PM1_STS, ACPI_PM1_PWRBTN, 2); /* SCI drops */
    cr_assert(irq_level[9], "the PCI device still holds IRQ 9");
    pci_set_irq(&d, false);
    cr_assert(not(irq_level[9]));
}

Test(piix, top_of_memory_and_misc_registers_are_stored)
{
    cr_assert(eq(u32, cfg_in(PIIX_ISA_DEVFN, PIIX_TOM, 1), 0x02));
    cfg_out(PIIX_ISA_DEVFN, PIIX_TOM, 0xFF, 1);
    cr_assert(eq(u32, cfg_in(PIIX_ISA_DEVFN, PIIX_TOM, 1), 0xFE), "bit 0 reserved");
    cfg_out(PIIX_ISA_DEVFN, 0x80, 0xFF, 1);
    cr_assert(eq(u32, cfg_in(PIIX_ISA_DEVFN, 0x80, 1), 0x7F), "APICBASE");
    cfg_out(PIIX_ISA_DEVFN, 0xA4, 0x12345678, 4);
    cr_assert(eq(u32, cfg_in(PIIX_ISA_DEVFN, 0xA4, 4), 0x12345678), "SEE");
    piix_reset(&piix);
    cr_assert(eq(u32, cfg_in(PIIX_ISA_DEVFN, PIIX_TOM, 1), 0x02));
    cr_assert(eq(u32, cfg_in(PIIX_ISA_DEVFN, 0xA4, 4), 0));
}

Test(piix, reset_control_register)
{
    cr_assert(eq(u32, bus_in(&bus, PIIX_RC_PORT, 1), 0x00));
    bus_out(&bus, PIIX_RC_PORT, PIIX_RC_SRST, 1);
    cr_assert(eq(uint, resets, 0), "SRST alone only selects the kind");
    cr_assert(eq(u32, bus_in(&bus, PIIX_RC_PORT, 1), PIIX_RC_SRST));
    bus_out(&bus, PIIX_RC_PORT, PIIX_RC_SRST | PIIX_RC_RCPU, 1);
    cr_assert(eq(uint, resets, 1));
    cr_assert(eq(uint, hard_resets, 1));
    bus_out(&bus, PIIX_RC_PORT, PIIX_RC_RCPU, 1);
    cr_assert(eq(uint, resets, 2));
    cr_assert(eq(uint, hard_resets, 1), "soft reset (INIT)");
    cr_assert(eq(u32, bus_in(&bus, PIIX_RC_PORT, 1), 0x00), "RCPU reads 0");
}

Test(piix, cf8_dword_is_config_address_not_reset)
{
    bus_out(&bus, PCI_CONFIG_ADDRESS, 0x80000600, 4);
    cr_assert(eq(uint, resets, 0));
    cr_assert(eq(u32, bus_in(&bus, PCI_CONFIG_ADDRESS, 4), 0x80000600));
    /* A word write at 0xCF8 is not a CONFIG_ADDRESS write: its high byte is
     * an ordinary byte write to 0xCF9. */
    bus_out(&bus, PCI_CONFIG_ADDRESS, 0x0600, 2);
    cr_assert(eq(uint, hard_resets, 1));
    cr_assert(eq(u32, bus_in(&bus, PCI_CONFIG_ADDRESS, 4), 0x80000600));
}

Test(piix, pmba_and_pmregmisc_place_the_pm_block)
{
    cr_assert(eq(u32, bus_in(&bus, 0x608, 4), 0xFFFFFFFF), "off at reset");
    cfg_out(PIIX_PM_DEVFN, PIIX_PMBA, 0xFFFFFFFF, 4);
    cr_assert(eq(u32, cfg_in(PIIX_PM_DEVFN, PIIX_PMBA, 4), 0x0000FFC1), "64-byte I/O BAR");
    cfg_out(PIIX_PM_DEVFN, PIIX_PMBA, 0x0601, 4);
    cr_assert(eq(u32, bus_in(&bus, 0x608, 4), 0xFFFFFFFF), "PMIOSE still clear");
    cfg_out(PIIX_PM_DEVFN, PIIX_PMREGMISC, 0xFF, 1);
    cr_assert(eq(u32, cfg_in(PIIX_PM_DEVFN, PIIX_PMREGMISC, 1), 0x01));
    clock_advance_to(&clk, 1000000000);
    cr_assert(eq(u32, bus_in(&bus, 0x608, 4), ACPI_PM_TIMER_HZ & 0xFFFFFF));
    cr_assert(eq(u32, bus_in(&bus, 0x604, 2), ACPI_PM1_CNT_SCI_EN), "ACPI mode");
    /* Move it: the old ports fall silent. */
    cfg_out(PIIX_PM_DEVFN, PIIX_PMBA + 1, 0xB0, 1);
    cr_assert(eq(u32, bus_in(&bus, 0x608, 4), 0xFFFFFFFF));
    cr_assert(eq(u32, bus_in(&bus, 0xB008, 4), ACPI_PM_TIMER_HZ & 0xFFFFFF));
    cfg_out(PIIX_PM_DEVFN, PIIX_PMREGMISC, 0, 1);
    cr_assert(eq(u32, bus_in(&bus, 0xB008, 4), 0xFFFFFFFF));
    /* S5 through the block powers off. */
    piix_pm_enable(&piix, 0x600);
    bus_out(&bus, 0x604, ACPI_PM_SLP_TYP_S5 << 10 | ACPI_PM1_CNT_SLP_EN, 2);
    cr_assert(eq(uint, power_offs, 1));
    piix_reset(&piix);
    cr_assert(eq(u32, bus_in(&bus, 0x604, 2), 0xFFFF), "reset unmaps");
}

Test(piix, smbus_base_is_stored)
{
    cfg_out(PIIX_PM_DEVFN, PIIX_SMBBA, 0xFFFFFFFF, 4);
    cr_assert(eq(u32, cfg_in(PIIX_PM_DEVFN, PIIX_SMBBA, 4), 0x0000FFF1));
    cfg_out(PIIX_PM_DEVFN, PIIX_SMBHSTCFG, 0xFF, 1);
    cr_assert(eq(u32, cfg_in(PIIX_PM_DEVFN, PIIX_SMBHSTCFG, 1), 0x0F));
    cfg_out(PIIX_PM_DEVFN, PCI_COMMAND, 0xFFFF, 2);
    cr_assert(eq(u32, cfg_in(PIIX_PM_DEVFN, PCI_COMMAND, 2), 0x0001), "IOSE only");
}

Test(piix, arbitrary_config_traffic_is_harmless)
{
    uint32_t x = 777;
    for (int round = 0; round < 4; round++) {
        for (unsigned off = 0; off < 256; off++) {
            static const uint8_t fns[2] = { PIIX_ISA_DEVFN, PIIX_PM_DEVFN };
            x = x * 1103515245u + 12345u;
            cfg_out(fns[x >> 31], off, x, 1u << (x >> 29 & 1) << (x >> 28 & 1));
            (void)bus_in(&bus, (uint16_t)(0x600 + (x >> 8 & 0x3F)), 4);
        }
    }
    cr_assert(eq(u32, cfg_in(PIIX_ISA_DEVFN, 0, 4), 0x70008086));
    cr_assert(eq(u32, cfg_in(PIIX_PM_DEVFN, 0, 4), 0x71138086));
}

Test(piix, pm_block_never_covers_another_devices_ports)
{
    /* PMBA = 0xCC0 would cover 0xCF8-0xCFF: the block stays off and the
     * configuration ports keep working. */
    piix_pm_enable(&piix, 0xCC0);
    cr_assert(not(piix.acpi.mapped));
    cr_assert(eq(u32, cfg_in(PIIX_PM_DEVFN, PIIX_PMBA, 4), 0x0CC1));
    cfg_out(PIIX_PM_DEVFN, PIIX_PMBA, 0x0601, 4);
    cr_assert(piix.acpi.mapped);
    cr_assert(eq(u32, bus_in(&bus, 0x604, 2), ACPI_PM1_CNT_SCI_EN));
}
