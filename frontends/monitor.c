/* The monitor's commands (see monitor.h).  Addresses in commands are
 * linear (x, break, watch) or physical (xp), as numbers (0x for hex),
 * registers ($eax, $eip; $pc is CS base + EIP), symbols, or one of these
 * plus or minus a number. */
#define _POSIX_C_SOURCE 200809L /* open_memstream */
#include "frontends/monitor.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontends/screendump.h"
#include "machine/replay.h"
#include "machine/rewind.h"
#include "machine/savestate.h"
#include "frontends/script.h"

static void say(struct monitor *mon, const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    mon->print(mon->print_opaque, buf);
}

void monitor_init(struct monitor *mon, struct machine *m, void (*print)(void *opaque, const char *s),
                  void *print_opaque, const struct monitor_ops *ops, void *ops_opaque)
{
    memset(mon, 0, sizeof(*mon));
    mon->m = m;
    mon->print = print;
    mon->print_opaque = print_opaque;
    mon->ops = ops;
    mon->ops_opaque = ops_opaque;
    mon->fmt = 'x';
    mon->size = 4;
}

/* ---- addresses ---- */

static const char *const reg_names[8] = { "eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi" };

static uint32_t pc_linear(const struct cpu_state *st)
{
    return st->seg[S_CS].base + st->eip;
}

static bool parse_term(struct monitor *mon, const char *s, uint32_t *out)
{
    struct cpu_state st;
    if (s[0] == '$') {
        cpu_get_state(mon->m->cpu, &st);
        const char *r = s + 1;
        for (int i = 0; i < 8; i++)
            if (!strcmp(r, reg_names[i])) {
                *out = st.gpr[i];
                return true;
            }
        if (!strcmp(r, "eip")) {
            *out = st.eip;
            return true;
        }
        if (!strcmp(r, "pc")) {
            *out = pc_linear(&st);
            return true;
        }
        return false;
    }
    if (isdigit((unsigned char)s[0])) {
        char *end;
        unsigned long long v = strtoull(s, &end, 0);
        if (*end || v > 0xFFFFFFFFull)
            return false;
        *out = (uint32_t)v;
        return true;
    }
    if (mon->syms) {
        const struct symbol *sym = symtab_find(mon->syms, s);
        if (sym) {
            *out = (uint32_t)sym->addr;
            return true;
        }
    }
    return false;
}

static bool parse_addr(struct monitor *mon, const char *s, uint32_t *out)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", s);
    char *op = strpbrk(buf + 1, "+-");
    if (!op)
        return parse_term(mon, buf, out);
    char sign = *op;
    *op = 0;
    uint32_t a, b;
    if (!parse_term(mon, buf, &a) || !parse_term(mon, op + 1, &b))
        return false;
    *out = sign == '+' ? a + b : a - b;
    return true;
}

/* " <name+0x10>" for an address a symbol covers, or "". */
static void sym_suffix(struct monitor *mon, uint32_t addr, char *buf, size_t len)
{
    char name[200];
    if (mon->syms && symtab_format(mon->syms, addr, name, sizeof(name)))
        snprintf(buf, len, " <%s>", name);
    else if (len)
        buf[0] = 0;
}

/* ---- memory ---- */

/* Physical memory without side effects: RAM and ROM only. */
static size_t phys_read(struct machine *m, uint32_t addr, uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        uint32_t a = addr + (uint32_t)i;
        if (a < addr)
            return i;
        const struct bus_page *p = bus_page(&m->bus, a);
        if ((p->kind != BUS_RAM && p->kind != BUS_ROM) || !p->host)
            return i;
        buf[i] = p->host[a & BUS_PAGE_MASK];
    }
    return len;
}

static bool read_mem(struct monitor *mon, bool physical, uint32_t addr, uint8_t *buf, size_t len)
{
    size_t n = physical ? phys_read(mon->m, addr, buf, len) : machine_debug_read(mon->m, addr, buf, len);
    return n == len;
}

static unsigned code_bits(const struct cpu_state *st)
{
    bool pe = st->cr0 & 1, v86 = st->eflags & 0x20000;
    return pe && !v86 && (st->seg[S_CS].attr & 0x4000) ? 32 : 16;
}

static void examine_insns(struct monitor *mon, bool physical, uint32_t addr, unsigned count)
{
    if (!mon->dis) {
        say(mon, "no disassembler (Capstone could not be opened)\n");
        return;
    }
    struct cpu_state st;
    cpu_get_state(mon->m->cpu, &st);
    unsigned bits = code_bits(&st);
    for (unsigned i = 0; i < count; i++) {
        uint8_t code[15];
        size_t got = physical ? phys_read(mon->m, addr, code, sizeof(code))
                              : machine_debug_read(mon->m, addr, code, sizeof(code));
        char text[160], sym[220];
        unsigned len = disasm_one(mon->dis, bits, addr, code, got, text, sizeof(text));
        sym_suffix(mon, addr, sym, sizeof(sym));
        if (!got) {
            say(mon, "0x%08x:%s cannot access memory\n", addr, sym);
            break;
        }
        say(mon, "0x%08x:%s  %s\n", addr, sym, text);
        addr += len ? len : 1;
    }
    mon->next = addr;
}

/* x/FMT ADDR and xp/FMT ADDR: FMT is [count][format][size] as in QEMU and
 * gdb: format x d u o c i, size b h w g. */
static bool cmd_examine(struct monitor *mon, bool physical, const char *fmt, const char *arg)
{
    unsigned count = 1;
    if (fmt) {
        char *end;
        if (isdigit((unsigned char)*fmt)) {
            count = (unsigned)strtoul(fmt, &end, 10);
            fmt = end;
        }
        for (; *fmt; fmt++) {
            if (strchr("xduoci", *fmt))
                mon->fmt = *fmt;
            else if (*fmt == 'b')
                mon->size = 1;
            else if (*fmt == 'h')
                mon->size = 2;
            else if (*fmt == 'w')
                mon->size = 4;
            else if (*fmt == 'g')
                mon->size = 8;
            else {
                say(mon, "bad format '%c'\n", *fmt);
                return false;
            }
        }
    }
    if (count == 0 || count > 4096)
        count = count ? 4096 : 1;
    uint32_t addr = mon->next;
    if (arg && *arg && !parse_addr(mon, arg, &addr)) {
        say(mon, "bad address '%s'\n", arg);
        return false;
    }
    if (mon->fmt == 'i') {
        examine_insns(mon, physical, addr, count);
        return true;
    }
    unsigned size = mon->fmt == 'c' ? 1 : mon->size;
    unsigned per_line = size == 8 ? 2 : size == 1 ? 8 : 4;
    char line[512];
    int n = 0;
    for (unsigned i = 0; i < count; i++) {
        if (i % per_line == 0)
            n = snprintf(line, sizeof(line), "%08x:", addr);
        uint8_t b[8] = { 0 };
        if (!read_mem(mon, physical, addr, b, size)) {
            if (i % per_line)
                say(mon, "%s\n", line);
            say(mon, "%08x: cannot access memory\n", addr);
            mon->next = addr;
            return true;
        }
        uint64_t v = 0;
        for (unsigned k = 0; k < size; k++)
            v |= (uint64_t)b[k] << (8 * k);
        int64_t sv = size == 8 ? (int64_t)v : (int64_t)(v << (64 - 8 * size)) >> (64 - 8 * size);
        switch (mon->fmt) {
        case 'd': n += snprintf(line + n, sizeof(line) - (size_t)n, " %lld", (long long)sv); break;
        case 'u': n += snprintf(line + n, sizeof(line) - (size_t)n, " %llu", (unsigned long long)v); break;
        case 'o': n += snprintf(line + n, sizeof(line) - (size_t)n, " %#llo", (unsigned long long)v); break;
        case 'c':
            n += snprintf(line + n, sizeof(line) - (size_t)n, isprint((int)v) ? " '%c'" : " '\\x%02x'", (int)v);
            break;
        default:
            n += snprintf(line + n, sizeof(line) - (size_t)n, " 0x%0*llx", (int)(2 * size), (unsigned long long)v);
        }
        addr += size;
        if (i % per_line == per_line - 1 || i == count - 1)
            say(mon, "%s\n", line);
    }
    mon->next = addr;
    return true;
}

/* ---- info ---- */

static void info_registers(struct monitor *mon)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f)
        return;
    cpu_dump(mon->m->cpu, f);
    fclose(f);
    say(mon, "%s", text);
    free(text);
}

struct mem_range {
    uint32_t start, phys;
    uint64_t len;
    unsigned attr; /* 1 present, 2 writable, 4 user */
    bool open;
};

static void range_flush(struct monitor *mon, struct mem_range *r)
{
    if (r->open)
        say(mon, "%08x-%08llx %08llx %c%c%c\n", r->start, (unsigned long long)(r->start + r->len),
            (unsigned long long)r->len, r->attr & 4 ? 'u' : '-', 'r', r->attr & 2 ? 'w' : '-');
    r->open = false;
}

static void range_add(struct monitor *mon, struct mem_range *r, uint32_t lin, uint32_t phys, uint64_t len,
                      unsigned attr, bool tlb)
{
    if (tlb) {
        say(mon, "%08x: %08x %c%c\n", lin, phys, attr & 4 ? 'U' : '-', attr & 2 ? 'W' : '-');
        return;
    }
    if (r->open && r->attr == attr && r->start + r->len == lin)
        r->len += len;
    else {
        range_flush(mon, r);
        *r = (struct mem_range){ lin, phys, len, attr, true };
    }
}

static uint64_t phys64(struct machine *m, uint64_t addr, unsigned size)
{
    uint8_t b[8] = { 0 };
    if (addr > 0xFFFFFFFFull || phys_read(m, (uint32_t)addr, b, size) != size)
        return 0; /* unreadable tables read as not present */
    uint64_t v = 0;
    for (unsigned k = 0; k < size; k++)
        v |= (uint64_t)b[k] << (8 * k);
    return v;
}

/* info mem (ranges with the same rights) and info tlb (every page), from
 * the guest's page tables; the walk reads memory without side effects. */
static void info_mappings(struct monitor *mon, bool tlb)
{
    struct cpu_state st;
    cpu_get_state(mon->m->cpu, &st);
    if (!(st.cr0 & 0x80000000u)) {
        say(mon, "paging is off: linear addresses are physical\n");
        return;
    }
    struct mem_range r = { 0 };
    bool pae = st.cr4 & 0x20, pse = st.cr4 & 0x10;
    if (!pae) {
        for (uint32_t i = 0; i < 1024; i++) {
            uint32_t pde = (uint32_t)phys64(mon->m, (st.cr3 & ~0xFFFu) + 4 * i, 4);
            if (!(pde & 1)) {
                range_flush(mon, &r);
                continue;
            }
            if (pse && (pde & 0x80)) {
                range_add(mon, &r, i << 22, pde & 0xFFC00000u, 1u << 22, pde & 7, tlb);
                continue;
            }
            for (uint32_t j = 0; j < 1024; j++) {
                uint32_t pte = (uint32_t)phys64(mon->m, (pde & ~0xFFFu) + 4 * j, 4);
                if (!(pte & 1)) {
                    range_flush(mon, &r);
                    continue;
                }
                range_add(mon, &r, i << 22 | j << 12, pte & ~0xFFFu, 4096, pte & pde & 7, tlb);
            }
        }
    } else {
        for (uint32_t p = 0; p < 4; p++) {
            uint64_t pdpte = phys64(mon->m, (st.cr3 & ~0x1Fu) + 8 * p, 8);
            if (!(pdpte & 1)) {
                range_flush(mon, &r);
                continue;
            }
            for (uint32_t i = 0; i < 512; i++) {
                uint64_t pde = phys64(mon->m, (pdpte & 0xFFFFFF000ull) + 8 * i, 8);
                uint32_t lin = p << 30 | i << 21;
                if (!(pde & 1)) {
                    range_flush(mon, &r);
                    continue;
                }
                if (pde & 0x80) {
                    range_add(mon, &r, lin, (uint32_t)(pde & 0xFFE00000ull), 1u << 21, (unsigned)pde & 7, tlb);
                    continue;
                }
                for (uint32_t j = 0; j < 512; j++) {
                    uint64_t pte = phys64(mon->m, (pde & 0xFFFFFF000ull) + 8 * j, 8);
                    if (!(pte & 1)) {
                        range_flush(mon, &r);
                        continue;
                    }
                    range_add(mon, &r, lin | j << 12, (uint32_t)(pte & 0xFFFFFF000ull), 4096,
                              (unsigned)(pte & pde) & 7, tlb);
                }
            }
        }
    }
    range_flush(mon, &r);
}

static void info_pic(struct monitor *mon)
{
    const struct pic *p = &mon->m->pc.pic;
    for (int i = 0; i < 2; i++) {
        const struct pic_chip *c = &p->chip[i];
        say(mon, "pic%d: irr=%02x imr=%02x isr=%02x lines=%02x elcr=%02x vector base=%02x%s%s\n", i, c->irr,
            c->imr, c->isr, c->lines, c->elcr, c->icw2 & 0xF8, c->init_step ? " (initialising)" : "",
            (c->icw4 & PIC_ICW4_AEOI) ? " auto-EOI" : "");
    }
    say(mon, "INTR %s\n", p->intr ? "high" : "low");
}

/* As QEMU's: the interrupts raised on each ISA IRQ line, those with any. */
static void info_irq(struct monitor *mon)
{
    say(mon, "IRQ statistics:\n");
    for (int i = 0; i < 16; i++)
        if (mon->m->pc.irq_count[i])
            say(mon, "%2d: %llu\n", i, (unsigned long long)mon->m->pc.irq_count[i]);
}

static void info_pit(struct monitor *mon)
{
    const struct pit *p = &mon->m->pc.pit;
    for (int i = 0; i < 3; i++) {
        const struct pit_channel *c = &p->ch[i];
        say(mon, "channel %d: mode %u, count register %u%s, gate %d, out %d%s\n", i, c->mode,
            c->cr ? c->cr : 65536u, (c->ctrl & 1) ? " (BCD)" : "", c->gate, c->out,
            c->running ? "" : " (not counting)");
    }
}

static void info_pci(struct monitor *mon)
{
    struct pci_bus *pb = &mon->m->pc.pci;
    for (unsigned devfn = 0; devfn < 256; devfn++) {
        uint32_t id = pci_config_read(pb, 0, (uint8_t)devfn, PCI_VENDOR_ID, 4);
        if ((id & 0xFFFF) == 0xFFFF)
            continue;
        uint32_t cls = pci_config_read(pb, 0, (uint8_t)devfn, PCI_REVISION_ID, 4);
        uint32_t irq = pci_config_read(pb, 0, (uint8_t)devfn, 0x3C, 1);
        say(mon, "00:%02x.%u %04x:%04x class %06x rev %02x irq %u\n", PCI_SLOT(devfn), PCI_FUNC(devfn),
            id & 0xFFFF, id >> 16, cls >> 8, cls & 0xFF, irq);
        for (unsigned b = 0; b < 6; b++) {
            uint32_t bar = pci_config_read(pb, 0, (uint8_t)devfn, 0x10 + 4 * b, 4);
            if (bar)
                say(mon, "    BAR%u: %s at 0x%08x\n", b, (bar & 1) ? "I/O" : "memory", bar & ((bar & 1) ? ~3u : ~15u));
        }
    }
}

static void info_lapic(struct monitor *mon)
{
    if (!mon->m->pc.has_apic) {
        say(mon, "this CPU model has no local APIC\n");
        return;
    }
    const struct lapic *l = &mon->m->pc.lapic;
    say(mon, "local APIC at 0x%08x %s: id %u tpr %02x svr %08x esr %x\n", l->base << 12,
        l->hw_enabled ? "enabled" : "disabled", l->id >> 24, l->tpr, l->svr, l->esr);
    char isr[80] = "", irr[80] = "";
    int ni = 0, nr = 0;
    for (int i = 7; i >= 0; i--) {
        ni += snprintf(isr + ni, sizeof(isr) - (size_t)ni, "%08x", l->isr[i]);
        nr += snprintf(irr + nr, sizeof(irr) - (size_t)nr, "%08x", l->irr[i]);
    }
    say(mon, "ISR %s\nIRR %s\ntimer: initial %u, divide %x, %s\n", isr, irr, l->timer_init, l->timer_div,
        l->timer_running ? "running" : "stopped");
}

static void print_through(void *p, const char *s)
{
    struct monitor *mon = p;
    mon->print(mon->print_opaque, s);
}

static void info_breakpoints(struct monitor *mon)
{
    static const char *const kinds[] = { "breakpoint", "watchpoint", "read watchpoint", "access watchpoint" };
    bool any = false;
    for (int i = 0; i < MONITOR_MAX_BREAKS; i++) {
        const struct monitor_break *b = &mon->brk[i];
        if (!b->used)
            continue;
        char sym[220];
        sym_suffix(mon, b->addr, sym, sizeof(sym));
        if (b->kind == CPU_BREAK_EXEC)
            say(mon, "%d: %s at 0x%08x%s\n", i + 1, kinds[b->kind], b->addr, sym);
        else
            say(mon, "%d: %s at 0x%08x%s, %u bytes\n", i + 1, kinds[b->kind], b->addr, sym, b->len);
        any = true;
    }
    if (!any)
        say(mon, "no breakpoints or watchpoints\n");
}

/* The history reverse execution can go back over. */
static void info_rewind(struct monitor *mon)
{
    const struct rewind *rw = mon->m->rewind;
    if (!rw) {
        say(mon, "no history is kept (--rewind on, or a debugger, keeps it)\n");
        return;
    }
    say(mon, "%u checkpoints, %.1f MiB of %.0f MiB", rw->n, rw->bytes / 1048576.0, rw->limit / 1048576.0);
    if (rw->n)
        say(mon, ", instructions %llu to %llu", (unsigned long long)rw->cp[0].icount,
            (unsigned long long)rw->cp[rw->n - 1].icount);
    say(mon, "; %llu taken, %llu dropped; %zu input events logged\n", (unsigned long long)rw->taken,
        (unsigned long long)rw->dropped, mon->m->replay ? mon->m->replay->n : (size_t)0);
}

static bool cmd_info(struct monitor *mon, const char *what)
{
    if (!what || !*what) {
        say(mon, "info registers|mem|tlb|pic|irq|pit|pci|lapic|block|breakpoints|rewind\n");
        return false;
    }
    if (!strcmp(what, "registers"))
        info_registers(mon);
    else if (!strcmp(what, "mem"))
        info_mappings(mon, false);
    else if (!strcmp(what, "tlb"))
        info_mappings(mon, true);
    else if (!strcmp(what, "pic"))
        info_pic(mon);
    else if (!strcmp(what, "irq"))
        info_irq(mon);
    else if (!strcmp(what, "pit"))
        info_pit(mon);
    else if (!strcmp(what, "pci"))
        info_pci(mon);
    else if (!strcmp(what, "lapic"))
        info_lapic(mon);
    else if (!strcmp(what, "breakpoints"))
        info_breakpoints(mon);
    else if (!strcmp(what, "rewind"))
        info_rewind(mon);
    else if (!strcmp(what, "block")) {
        if (mon->ops && mon->ops->info_block)
            mon->ops->info_block(mon->ops_opaque, print_through, mon);
        else
            say(mon, "no drives\n");
    } else {
        say(mon, "unknown: info %s\n", what);
        return false;
    }
    return true;
}

/* ---- breakpoints and running ---- */

static bool cmd_break(struct monitor *mon, enum cpu_watch kind, const char *arg)
{
    char a[256] = "";
    unsigned len = kind == CPU_BREAK_EXEC ? 1 : 4;
    if (!arg || sscanf(arg, "%255s %u", a, &len) < 1) {
        say(mon, "usage: break ADDR | watch ADDR [LEN]\n");
        return false;
    }
    uint32_t addr;
    if (!parse_addr(mon, a, &addr)) {
        say(mon, "bad address '%s'\n", a);
        return false;
    }
    int slot = -1;
    for (int i = 0; i < MONITOR_MAX_BREAKS && slot < 0; i++)
        if (!mon->brk[i].used)
            slot = i;
    if (slot < 0) {
        say(mon, "too many breakpoints (%d)\n", MONITOR_MAX_BREAKS);
        return false;
    }
    if (len == 0 || cpu_break_insert(mon->m->cpu, kind, addr, len) < 0) {
        say(mon, "cannot set it at 0x%08x\n", addr);
        return false;
    }
    mon->brk[slot] = (struct monitor_break){ true, kind, addr, len };
    char sym[220];
    sym_suffix(mon, addr, sym, sizeof(sym));
    say(mon, "%d: %s at 0x%08x%s\n", slot + 1, kind == CPU_BREAK_EXEC ? "breakpoint" : "watchpoint", addr, sym);
    return true;
}

static bool cmd_delete(struct monitor *mon, const char *arg)
{
    unsigned n = arg ? (unsigned)strtoul(arg, NULL, 10) : 0;
    if (n < 1 || n > MONITOR_MAX_BREAKS || !mon->brk[n - 1].used) {
        say(mon, "no breakpoint %s\n", arg ? arg : "");
        return false;
    }
    struct monitor_break *b = &mon->brk[n - 1];
    cpu_break_remove(mon->m->cpu, b->kind, b->addr, b->len);
    b->used = false;
    return true;
}

void monitor_report_hit(struct monitor *mon)
{
    struct cpu_debug_hit hit;
    cpu_debug_hit(mon->m->cpu, &hit);
    struct cpu_state st;
    cpu_get_state(mon->m->cpu, &st);
    char sym[220];
    sym_suffix(mon, pc_linear(&st), sym, sizeof(sym));
    if (!hit.hit) {
        say(mon, "stopped at 0x%08x%s\n", pc_linear(&st), sym);
        return;
    }
    for (int i = 0; i < MONITOR_MAX_BREAKS; i++) {
        const struct monitor_break *b = &mon->brk[i];
        if (b->used && b->kind == hit.kind &&
            (hit.kind == CPU_BREAK_EXEC ? b->addr == hit.addr : hit.addr - b->addr < b->len)) {
            say(mon, "%s %d hit (0x%08x), stopped at 0x%08x%s\n",
                hit.kind == CPU_BREAK_EXEC ? "breakpoint" : "watchpoint", i + 1, hit.addr, pc_linear(&st), sym);
            return;
        }
    }
    say(mon, "stopped at 0x%08x%s\n", pc_linear(&st), sym);
}

static void cmd_stepi(struct monitor *mon, const char *arg)
{
    unsigned n = arg && *arg ? (unsigned)strtoul(arg, NULL, 0) : 1;
    if (n == 0)
        n = 1;
    if (mon->ops && mon->ops->set_paused)
        mon->ops->set_paused(mon->ops_opaque, true);
    if (mon->ops && mon->ops->step)
        mon->ops->step(mon->ops_opaque, n);
    struct cpu_state st;
    cpu_get_state(mon->m->cpu, &st);
    uint32_t pc = pc_linear(&st);
    if (mon->dis) {
        char f = mon->fmt;
        examine_insns(mon, false, pc, 1);
        mon->fmt = f;
    } else {
        say(mon, "0x%08x\n", pc);
    }
}

/* rstepi [N] and rcont: reverse execution (machine/rewind.h); the guest
 * pauses first. */
static bool cmd_reverse(struct monitor *mon, bool cont, const char *arg)
{
    if (!mon->m->rewind) {
        say(mon, "no history is kept (--rewind on, or a debugger, keeps it)\n");
        return false;
    }
    if (mon->ops && mon->ops->set_paused)
        mon->ops->set_paused(mon->ops_opaque, true);
    enum rewind_result r = REWIND_DONE;
    if (cont) {
        struct cpu_debug_hit hit;
        r = machine_reverse_continue(mon->m, &hit);
    } else {
        unsigned long n = arg && *arg ? strtoul(arg, NULL, 0) : 1;
        uint64_t now = cpu_instructions(mon->m->cpu);
        r = machine_run_to(mon->m, n >= now ? 0 : now - (n ? n : 1));
    }
    if (r == REWIND_ERROR) {
        say(mon, "reverse execution failed\n");
        return false;
    }
    if (r == REWIND_BEGIN)
        say(mon, "at the beginning of the history kept (instruction %llu)\n",
            (unsigned long long)cpu_instructions(mon->m->cpu));
    monitor_report_hit(mon);
    return true;
}

/* While the guest runs, the machine saves or loads at its next slice
 * boundary (where no timer is half fired) and says so on standard error;
 * paused, it happens now and the answer comes here. */
static bool cmd_savevm(struct monitor *mon, bool load, const char *path, bool paused)
{
    if (!path || !*path) {
        say(mon, "usage: %s FILE\n", load ? "loadvm" : "savevm");
        return false;
    }
    if (!paused) {
        if (load)
            machine_request_loadvm(mon->m, path);
        else
            machine_request_savevm(mon->m, path);
        return true;
    }
    char err[300];
    int rc = load ? machine_loadvm(mon->m, path, err, sizeof err) : machine_savevm(mon->m, path, err, sizeof err);
    if (rc < 0) {
        say(mon, "%s failed: %s\n", load ? "loadvm" : "savevm", err);
        return false;
    }
    say(mon, "%s %s at instruction %llu\n", load ? "loaded" : "saved", path,
        (unsigned long long)cpu_instructions(mon->m->cpu));
    return true;
}

static void help(struct monitor *mon)
{
    say(mon, "info registers|mem|tlb|pic|irq|pit|pci|lapic|block|breakpoints|rewind\n"
             "x/FMT ADDR, xp/FMT ADDR   memory at a linear / physical address; FMT is [count][xduoci][bhwg]\n"
             "break ADDR, watch|rwatch|awatch ADDR [LEN], delete N\n"
             "stepi [N] (si), stop, cont (c), rstepi [N] (rsi), rcont (rc)   forwards and backwards\n"
             "screendump FILE, sendkey KEYS, system_reset, system_powerdown, quit (q)\n"
             "savevm FILE, loadvm FILE   the whole machine's state to / from a file\n"
             "ADDR: a number, $reg, $pc (CS base + EIP), a symbol, or one of them +/- a number\n");
}

bool monitor_exec(struct monitor *mon, const char *line)
{
    char buf[512];
    snprintf(buf, sizeof(buf), "%s", line);
    char *cmd = buf;
    while (isspace((unsigned char)*cmd))
        cmd++;
    size_t l = strlen(cmd);
    while (l && isspace((unsigned char)cmd[l - 1]))
        cmd[--l] = 0;
    if (!*cmd)
        return true;
    char *arg = strchr(cmd, ' ');
    if (arg) {
        *arg++ = 0;
        while (*arg == ' ')
            arg++;
    }
    char *fmt = strchr(cmd, '/');
    if (fmt)
        *fmt++ = 0;
    bool paused = mon->ops && mon->ops->paused && mon->ops->paused(mon->ops_opaque);
    if (!strcmp(cmd, "help") || !strcmp(cmd, "?"))
        help(mon);
    else if (!strcmp(cmd, "info"))
        return cmd_info(mon, arg);
    else if (!strcmp(cmd, "x") || !strcmp(cmd, "xp"))
        return cmd_examine(mon, cmd[1] == 'p', fmt, arg);
    else if (!strcmp(cmd, "break") || !strcmp(cmd, "b"))
        return cmd_break(mon, CPU_BREAK_EXEC, arg);
    else if (!strcmp(cmd, "watch"))
        return cmd_break(mon, CPU_WATCH_WRITE, arg);
    else if (!strcmp(cmd, "rwatch"))
        return cmd_break(mon, CPU_WATCH_READ, arg);
    else if (!strcmp(cmd, "awatch"))
        return cmd_break(mon, CPU_WATCH_ACCESS, arg);
    else if (!strcmp(cmd, "delete") || !strcmp(cmd, "d"))
        return cmd_delete(mon, arg);
    else if (!strcmp(cmd, "stepi") || !strcmp(cmd, "si"))
        cmd_stepi(mon, arg);
    else if (!strcmp(cmd, "stop")) {
        if (mon->ops && mon->ops->set_paused)
            mon->ops->set_paused(mon->ops_opaque, true);
        say(mon, "paused\n");
    } else if (!strcmp(cmd, "cont") || !strcmp(cmd, "c")) {
        if (mon->ops && mon->ops->set_paused)
            mon->ops->set_paused(mon->ops_opaque, false);
        say(mon, paused ? "running\n" : "already running\n");
    } else if (!strcmp(cmd, "screendump")) {
        if (!arg || !*arg) {
            say(mon, "usage: screendump FILE\n");
            return false;
        }
        if (!mon->m->pc.has_vga) {
            say(mon, "there is no VGA\n");
            return false;
        }
        if (screendump(&mon->m->pc.vga, arg) != 0) {
            say(mon, "could not write %s\n", arg);
            return false;
        }
    } else if (!strcmp(cmd, "sendkey")) {
        if (!arg || !script_sendkey(mon->m, arg)) {
            say(mon, "unknown key name\n");
            return false;
        }
    } else if (!strcmp(cmd, "rstepi") || !strcmp(cmd, "reverse-stepi") || !strcmp(cmd, "rsi")) {
        return cmd_reverse(mon, false, arg);
    } else if (!strcmp(cmd, "rcont") || !strcmp(cmd, "reverse-continue") || !strcmp(cmd, "rc")) {
        return cmd_reverse(mon, true, arg);
    } else if (!strcmp(cmd, "savevm") || !strcmp(cmd, "loadvm")) {
        return cmd_savevm(mon, cmd[0] == 'l', arg, paused);
    } else if (!strcmp(cmd, "system_reset")) {
        machine_system_reset(mon->m);
    } else if (!strcmp(cmd, "system_powerdown")) {
        machine_system_powerdown(mon->m);
    } else if (!strcmp(cmd, "quit") || !strcmp(cmd, "q")) {
        if (mon->ops && mon->ops->quit)
            mon->ops->quit(mon->ops_opaque);
        else
            machine_request_exit(mon->m, 0);
    } else {
        say(mon, "unknown command '%s'; try 'help'\n", cmd);
        return false;
    }
    return true;
}

bool monitor_exec_to(struct monitor *mon, const char *line, void (*print)(void *opaque, const char *s),
                     void *opaque)
{
    void (*saved)(void *, const char *) = mon->print;
    void *saved_opaque = mon->print_opaque;
    mon->print = print;
    mon->print_opaque = opaque;
    bool ok = monitor_exec(mon, line);
    mon->print = saved;
    mon->print_opaque = saved_opaque;
    return ok;
}
