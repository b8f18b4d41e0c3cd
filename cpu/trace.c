/* Human-readable views of the CPU: one trace line per instruction
 * (--trace) and the register dump printed when a run stops unexpectedly. */
#include <string.h>

#include "cpu/interp.h"

static const char *const op_names[OP_COUNT] = {
#define OP(name, mn) mn,
#define OPV(name, mn) mn, mn,
#include "cpu/ops.def"
#undef OP
#undef OPV
};

const char *cpu_op_name(unsigned op)
{
    return op < OP_COUNT ? op_names[op] : "?";
}

static const char *const shift_names[8] = { "rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar" };

/* Reads code bytes for display without faulting or touching the TLB. */
static unsigned peek_code(const struct cpu *c, uint8_t *buf, unsigned n)
{
    for (unsigned i = 0; i < n; i++) {
        uint32_t off = c->eip + i;
        if (c->mi->model == CPU_8086)
            off &= 0xFFFF;
        uint32_t phys;
        if (!cpu_translate_debug(c, c->seg[S_CS].base + off, &phys))
            return i;
        const struct bus_page *p = bus_page(c->bus, phys);
        if (p->kind != BUS_RAM && p->kind != BUS_ROM)
            return i;
        buf[i] = p->host[phys & BUS_PAGE_MASK];
    }
    return n;
}

static void flags_string(uint32_t f, char *s)
{
    static const struct { uint32_t bit; char ch; } map[] = {
        { F_OF, 'O' }, { F_DF, 'D' }, { F_IF, 'I' }, { F_TF, 'T' }, { F_SF, 'S' },
        { F_ZF, 'Z' }, { F_AF, 'A' }, { F_PF, 'P' }, { F_CF, 'C' },
    };
    for (unsigned i = 0; i < sizeof(map) / sizeof(map[0]); i++)
        s[i] = (f & map[i].bit) ? map[i].ch : '-';
    s[sizeof(map) / sizeof(map[0])] = 0;
}

void cpu_trace_insn(struct cpu *c, const struct insn *in)
{
    const struct cpu_trace_filter *tf = &c->tfilter;
    uint32_t lin = c->seg[S_CS].base + c->eip;
    if (lin < tf->lo || lin > tf->hi || !(tf->cpl_mask & (1u << c->cpl)) || (tf->max && c->traced >= tf->max) ||
        c->icount < tf->from)
        return;
    c->traced++;
    uint8_t bytes[16];
    unsigned n = peek_code(c, bytes, in->len < 16 ? in->len : 16);
    char hex[40] = "";
    for (unsigned i = 0; i < n && i < 12; i++)
        snprintf(hex + 2 * i, sizeof(hex) - 2 * i, "%02x", bytes[i]);
    const char *mn = cpu_op_name(in->op);
    if (strcmp(mn, "shift") == 0)
        mn = shift_names[in->reg];
    char text[96];
    if (c->tdisasm) {
        bool b32 = (c->cr0 & CR0_PE) && !cpu_v86(c) && (c->seg[S_CS].attr & SA_DB);
        if (c->tdisasm(c->tdisasm_opaque, b32 ? 32 : 16, lin, bytes, n, text, sizeof(text)))
            mn = text;
    }
    char fl[16];
    uint32_t ef = get_eflags(c);
    flags_string(ef, fl);
    fprintf(c->trace,
            "%04x:%08x %-24s %-8s EAX=%08x EBX=%08x ECX=%08x EDX=%08x ESI=%08x EDI=%08x "
            "EBP=%08x ESP=%08x DS=%04x ES=%04x SS=%04x FL=%08x %s\n",
            c->seg[S_CS].sel, c->eip, hex, mn, c->gpr[R_EAX], c->gpr[R_EBX], c->gpr[R_ECX],
            c->gpr[R_EDX], c->gpr[R_ESI], c->gpr[R_EDI], c->gpr[R_EBP], c->gpr[R_ESP],
            c->seg[S_DS].sel, c->seg[S_ES].sel, c->seg[S_SS].sel, ef, fl);
}

void cpu_dump(const struct cpu *c, FILE *f)
{
    static const char *const gn[8] = { "EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI" };
    static const char *const sn[S_NSEG] = { "ES", "CS", "SS", "DS", "FS", "GS" };
    char fl[16];
    uint32_t ef = get_eflags(c);
    flags_string(ef, fl);
    fprintf(f, "CPU %s state after %llu instructions:\n", c->mi->name, (unsigned long long)c->icount);
    for (int r = 0; r < 8; r++)
        fprintf(f, "  %s=%08x%s", gn[r], c->gpr[r], (r & 3) == 3 ? "\n" : "");
    fprintf(f, "  EIP=%08x  EFLAGS=%08x [%s]\n", c->eip, ef, fl);
    for (int s = 0; s < S_NSEG; s++)
        fprintf(f, "  %s=%04x base=%08x limit=%08x attr=%04x\n", sn[s], c->seg[s].sel, c->seg[s].base,
                c->seg[s].limit, c->seg[s].attr);
    fprintf(f, "  CR0=%08x CR2=%08x CR3=%08x CR4=%08x GDTR=%08x/%04x IDTR=%08x/%04x\n", c->cr0, c->cr2,
            c->cr3, c->cr4, c->gdtr.base, c->gdtr.limit, c->idtr.base, c->idtr.limit);
    uint8_t bytes[16];
    unsigned n = peek_code(c, bytes, 16);
    fprintf(f, "  bytes at CS:EIP:");
    if (n == 0)
        fprintf(f, " (not in RAM or ROM)");
    for (unsigned i = 0; i < n; i++)
        fprintf(f, " %02x", bytes[i]);
    fprintf(f, "\n");
}
