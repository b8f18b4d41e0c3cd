/* The kernel tests/gdb/check.py debugs: a function to break on with a
 * local variable, a loop, a global that one instruction writes (between
 * the labels store_insn and store_end, so the test knows where gdb must
 * stop), and an end through the isa-debug-exit port 0xF4 with status
 * (0x10 << 1) | 1 = 33.  With "spin" on the command line it loops for
 * ever instead, for the Ctrl-C test. */
#include <stdint.h>

volatile uint32_t counter;   /* the watched global */
volatile uint32_t spins;

struct mb_info {
    uint32_t flags, mem_lower, mem_upper, boot_device, cmdline;
};

static void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

int add_numbers(int a, int b)
{
    int local = a * 3 + b;
    return local; /* LOCAL-LINE */
}

static int has_word(const char *s, const char *w)
{
    for (; *s; s++) {
        int i = 0;
        while (w[i] && s[i] == w[i])
            i++;
        if (!w[i])
            return 1;
    }
    return 0;
}

void kmain(uint32_t magic, const struct mb_info *mbi)
{
    int total = 0;
    for (int i = 0; i < 5; i++)
        total += add_numbers(i, 7);
    /* The one instruction that writes counter. */
    __asm__ volatile(".globl store_insn\nstore_insn:\n\tmovl %0, counter\n.globl store_end\nstore_end:"
                     : : "r"(total) : "memory");
    if (magic == 0x2BADB002 && (mbi->flags & 4) && has_word((const char *)mbi->cmdline, "spin"))
        for (;;)
            spins++;
    outb(0xF4, 0x10);
}
