/* The compiled-C benchmark as a multiboot guest: tests/gdb/entry.S calls
 * kmain, which runs CBENCH_ITER rounds (a build parameter: -DCBENCH_ITER=n),
 * prints the checksum on port 0xE9 as eight lowercase hex digits and a
 * newline, and ends through the isa-debug-exit port 0xF4 with
 * CBENCH_EXIT, so the emulator's status is (CBENCH_EXIT << 1) | 1 = 85.
 * Popek and QEMU (-debugcon stdio, -device isa-debug-exit,iobase=0xf4)
 * see the same two ports. */
#include "tests/bench/cbench/work.h"

#ifndef CBENCH_ITER
#error "build with -DCBENCH_ITER=n"
#endif
#define CBENCH_EXIT 0x2A

/* memcpy and friends as the i386 kernels write them: REP MOVSD for the
 * words and REP MOVSB for the tail.  In C the compiler would turn the copy
 * loop back into a call to memcpy. */
void *memcpy(void *dst, const void *src, size_t n)
{
    void *d = dst;
    size_t words = n / 4, tail = n % 4;
    __asm__ volatile("rep movsl\n\tmov %3, %%ecx\n\trep movsb"
                     : "+D"(d), "+S"(src), "+c"(words)
                     : "r"(tail)
                     : "memory");
    return dst;
}

void *memmove(void *dst, const void *src, size_t n)
{
    if ((uintptr_t)dst <= (uintptr_t)src || (uintptr_t)dst >= (uintptr_t)src + n)
        return memcpy(dst, src, n);
    /* Overlapping with dst above src: copy backwards, byte by byte. */
    const uint8_t *s = (const uint8_t *)src + n - 1;
    uint8_t *d = (uint8_t *)dst + n - 1;
    __asm__ volatile("std\n\trep movsb\n\tcld" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
    return dst;
}

void *memset(void *dst, int c, size_t n)
{
    void *d = dst;
    __asm__ volatile("rep stosb" : "+D"(d), "+c"(n) : "a"(c) : "memory");
    return dst;
}

static void outb(uint16_t port, uint8_t v)
{
    __asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

void kmain(uint32_t magic, const void *info);

void kmain(uint32_t magic, const void *info)
{
    (void)magic;
    (void)info;
    /* The C ABI wants the direction flag clear; nothing above us says so. */
    __asm__ volatile("cld");
    uint32_t h = cbench_run(CBENCH_ITER);
    for (int i = 7; i >= 0; i--)
        outb(0xE9, (uint8_t)"0123456789abcdef"[(h >> (4 * i)) & 15]);
    outb(0xE9, '\n');
    outb(0xF4, CBENCH_EXIT);
}
