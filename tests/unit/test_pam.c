/* Unit tests for BIOS shadowing: the i440FX PAM registers (82441FX
 * datasheet, PAM0-PAM6 at 0x59-0x5F: RE routes reads of a region to DRAM,
 * WE routes writes to DRAM; with either clear that direction goes to
 * ROM/PCI) steering C0000-FFFFF on a machine with firmware, through the
 * bus and through the CPU, whose decoded instructions must follow. */
#include <string.h>

#include "machine/machine.h"
#include "tests/unit/unit.h"

TestSuite(pam, .timeout = 20.0);

static struct machine m;

static void start(const uint8_t *img, size_t len)
{
    struct machine_config cfg;
    machine_config_default(&cfg);
    cfg.ram_size = 2u << 20;
    cr_assert(eq(int, machine_init(&m, &cfg), 0));
    cr_assert(eq(int, machine_load_bios_image(&m, img, len), 0));
}

static void pam(unsigned reg, uint8_t v)
{
    pci_config_write(&m.pc.pci, 0, 0, 0x59 + reg, v, 1);
}

static uint8_t rd(uint32_t a)
{
    return bus_read8(&m.bus, a);
}

Test(pam, bus_routing_follows_re_and_we)
{
    static uint8_t img[64 * 1024];
    memset(img, 0xA5, sizeof(img));
    start(img, sizeof(img));
    /* Power-on: everything to ROM/PCI. */
    cr_assert(eq(u8, rd(0xF1234), 0xA5), "F0000 reads the ROM");
    bus_write8(&m.bus, 0xF1234, 0x11);
    cr_assert(eq(u8, m.bus.ram[0xF1234], 0x00), "a write reaches neither ROM nor RAM");
    cr_assert(eq(u8, rd(0xC0000), 0xFF), "no ROM at C0000: the PCI bus floats");
    /* PAM0 bits 5:4 = 10: writes to DRAM, reads from ROM. */
    pam(0, 0x20);
    bus_write8(&m.bus, 0xF1234, 0x22);
    cr_assert(eq(u8, m.bus.ram[0xF1234], 0x22));
    cr_assert(eq(u8, rd(0xF1234), 0xA5), "still reading ROM");
    /* 01: reads from DRAM, writes dropped (write-protected shadow). */
    pam(0, 0x10);
    cr_assert(eq(u8, rd(0xF1234), 0x22));
    bus_write8(&m.bus, 0xF1234, 0x33);
    cr_assert(eq(u8, rd(0xF1234), 0x22));
    /* 11: plain RAM. */
    pam(0, 0x30);
    bus_write8(&m.bus, 0xF1234, 0x44);
    cr_assert(eq(u8, rd(0xF1234), 0x44));
    /* Regions are independent: PAM1's low nibble is C0000-C3FFF, its high
     * nibble C4000-C7FFF. */
    pam(1, 0x03);
    bus_write8(&m.bus, 0xC0010, 0x55);
    bus_write8(&m.bus, 0xC4010, 0x66);
    cr_assert(eq(u8, rd(0xC0010), 0x55));
    cr_assert(eq(u8, rd(0xC4010), 0xFF), "C4000 is still on the PCI side");
    cr_assert(eq(u8, m.bus.ram[0xC4010], 0x00));
    /* PAM6 high nibble is EC000-EFFFF: the ROM is 64 KiB, so nothing there. */
    pam(6, 0x30);
    bus_write8(&m.bus, 0xEC000, 0x77);
    cr_assert(eq(u8, rd(0xEC000), 0x77));
    pam(6, 0x00);
    cr_assert(eq(u8, rd(0xEC000), 0xFF));
    /* A hard reset puts every region back on ROM/PCI; the RAM keeps what
     * was shadowed. */
    pc_reset(&m);
    cr_assert(eq(u8, rd(0xF1234), 0xA5));
    cr_assert(eq(u8, rd(0xC0010), 0xFF));
    cr_assert(eq(u8, m.bus.ram[0xF1234], 0x44));
    machine_free(&m);
}

/* Emits a near call at *ip to target (same segment). */
static void call(uint8_t *img, unsigned *ip, uint16_t target)
{
    uint16_t rel = (uint16_t)(target - (*ip + 3));
    img[(*ip)++] = 0xE8;
    img[(*ip)++] = (uint8_t)rel;
    img[(*ip)++] = (uint8_t)(rel >> 8);
}

static void emit(uint8_t *img, unsigned *ip, const uint8_t *b, size_t n)
{
    memcpy(img + *ip, b, n);
    *ip += (unsigned)n;
}

/* The firmware copies itself to shadow RAM as SeaBIOS does (WE only, then
 * a copy onto itself), patches the RAM copy of a routine, and calls it
 * with each PAM setting: the CPU must run what the routing selects, not
 * what it decoded earlier from the other side. */
Test(pam, cpu_fetches_follow_the_shadow)
{
    static uint8_t img[64 * 1024];
    memset(img, 0xF4, sizeof(img));
    const uint8_t routine[] = { 0xB0, 0x01, 0xC3 }; /* F000:F800: mov al, 1; ret */
    memcpy(img + 0xF800, routine, sizeof(routine));
    const uint8_t reset[] = { 0xEA, 0x00, 0x00, 0x00, 0xF0 }; /* jmp F000:0000 */
    memcpy(img + 0xFFF0, reset, sizeof(reset));
    unsigned ip = 0;
    const uint8_t p0[] = {
        0xFA,                               /* cli */
        0x31, 0xC0, 0x8E, 0xD0,             /* xor ax, ax; mov ss, ax */
        0xBC, 0x00, 0x80,                   /* mov sp, 0x8000 */
        0x66, 0xB8, 0x58, 0x00, 0x00, 0x80, /* mov eax, 0x80000058 */
        0xBA, 0xF8, 0x0C,                   /* mov dx, 0xCF8 */
        0x66, 0xEF,                         /* out dx, eax */
    };
    emit(img, &ip, p0, sizeof(p0));
    call(img, &ip, 0xF800);
    const uint8_t p1[] = {
        0x88, 0xC3,                   /* mov bl, al */
        0xBA, 0xFD, 0x0C,             /* mov dx, 0xCFD (register 0x59) */
        0xB0, 0x20, 0xEE,             /* PAM0 = WE: writes to DRAM */
        0x8C, 0xC8, 0x8E, 0xD8, 0x8E, 0xC0, /* ds = es = cs */
        0x31, 0xF6, 0x31, 0xFF,       /* xor si, si; xor di, di */
        0xB9, 0x00, 0x80, 0xFC,       /* mov cx, 0x8000; cld */
        0xF3, 0xA5,                   /* rep movsw: ROM onto the shadow */
        0xC6, 0x06, 0x01, 0xF8, 0x02, /* mov byte [0xF801], 2 (in RAM) */
    };
    emit(img, &ip, p1, sizeof(p1));
    call(img, &ip, 0xF800);           /* reads still from ROM: al = 1 */
    const uint8_t p2[] = {
        0x88, 0xC7,                   /* mov bh, al */
        0xB0, 0x30, 0xEE,             /* PAM0 = RE|WE: run from RAM */
    };
    emit(img, &ip, p2, sizeof(p2));
    call(img, &ip, 0xF800);           /* al = 2 */
    const uint8_t p3[] = {
        0x88, 0xC1,                   /* mov cl, al */
        0xB0, 0x10, 0xEE,             /* PAM0 = RE: write-protected */
        0xC6, 0x06, 0x01, 0xF8, 0x03, /* mov byte [0xF801], 3: dropped */
    };
    emit(img, &ip, p3, sizeof(p3));
    call(img, &ip, 0xF800);           /* al = 2 */
    const uint8_t p4[] = { 0x88, 0xC5, 0xF4 }; /* mov ch, al; hlt */
    emit(img, &ip, p4, sizeof(p4));
    start(img, sizeof(img));
    uint64_t n = 0;
    cr_assert(eq(int, machine_run(&m, &n), CPU_EXIT_HALT));
    struct cpu_state st;
    cpu_get_state(m.cpu, &st);
    cr_assert(eq(u32, st.gpr[3] & 0xFF, 1), "BL: the ROM routine before shadowing");
    cr_assert(eq(u32, st.gpr[3] >> 8 & 0xFF, 1), "BH: writes went to RAM, reads still ROM");
    cr_assert(eq(u32, st.gpr[1] & 0xFF, 2), "CL: the patched RAM copy runs");
    cr_assert(eq(u32, st.gpr[1] >> 8 & 0xFF, 2), "CH: the write-protected shadow kept it");
    machine_free(&m);
}
