/* What a debugger asks of a machine beyond the CPU's own interface: guest
 * memory by linear address, read and written with no effect on the guest
 * (no accessed or dirty bits, no fault, no device register touched), and
 * stopping a run from the host side.  The gdb stub is its user. */
#include "machine/machine.h"

#include <errno.h>

/* The physical address of a linear one, or false when it is not mapped
 * for a debugger: not present in the page tables, or a device's MMIO page
 * (reading a device register can change the device). */
static bool debug_phys(struct machine *m, uint32_t lin, uint32_t *phys)
{
    if (!cpu_translate_debug(m->cpu, lin, phys))
        return false;
    return bus_page(&m->bus, *phys)->kind != BUS_MMIO;
}

size_t machine_debug_read(struct machine *m, uint32_t lin, uint8_t *buf, size_t len)
{
    size_t i = 0;
    while (i < len) {
        uint32_t phys;
        if (!debug_phys(m, lin + (uint32_t)i, &phys))
            break;
        /* To the end of this page at most: the next may map elsewhere. */
        size_t n = BUS_PAGE_SIZE - (phys & BUS_PAGE_MASK);
        if (n > len - i)
            n = len - i;
        const struct bus_page *p = bus_page(&m->bus, phys);
        for (size_t k = 0; k < n; k++)
            buf[i + k] = p->host ? p->host[(phys & BUS_PAGE_MASK) + k] : 0xFF;
        i += n;
        if ((uint64_t)lin + i > 0xFFFFFFFFull)
            break; /* the linear space ends at 4 GiB */
    }
    return i;
}

int machine_debug_write(struct machine *m, uint32_t lin, const uint8_t *buf, size_t len)
{
    if ((uint64_t)lin + len > 0x100000000ull)
        return -EFAULT;
    /* All or nothing: check every page before writing any byte. */
    for (size_t i = 0; i < len;) {
        uint32_t phys;
        if (!debug_phys(m, lin + (uint32_t)i, &phys))
            return -EFAULT;
        const struct bus_page *p = bus_page(&m->bus, phys);
        if (p->kind != BUS_RAM && !p->write_ram)
            return -EFAULT;
        i += BUS_PAGE_SIZE - (phys & BUS_PAGE_MASK);
    }
    /* Through the bus, so that code tracking drops what the CPU decoded
     * from the bytes changed (a debugger patching code). */
    for (size_t i = 0; i < len; i++) {
        uint32_t phys;
        (void)debug_phys(m, lin + (uint32_t)i, &phys);
        bus_write(&m->bus, phys, buf[i], 1);
    }
    return 0;
}

void machine_request_break(struct machine *m)
{
    /* Only a flag: the poll hook asks between slices, and a stop request
     * left pending in the CPU would make the next step execute nothing. */
    m->break_req = true;
}
