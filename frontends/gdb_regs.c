/* The registers as gdb sees them: a target description (gdb manual,
 * "Target Descriptions" and "i386 Features": the org.gnu.gdb.i386.core
 * feature with the general, segment and x87 registers) and the g/G packet
 * layout it implies, to and from the CPU's state.  No SSE feature: gdb
 * takes an x87-only i386 without it. */
#include "frontends/gdb_regs.h"

#include <string.h>

static const char target_xml[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
    "<target version=\"1.0\">\n"
    "<architecture>i386</architecture>\n"
    "<feature name=\"org.gnu.gdb.i386.core\">\n"
    "<flags id=\"popek_eflags\" size=\"4\">\n"
    "<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>"
    "<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>"
    "<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>"
    "<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>"
    "<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>"
    "<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>"
    "<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>"
    "<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>"
    "<field name=\"ID\" start=\"21\" end=\"21\"/>\n"
    "</flags>\n"
    "<reg name=\"eax\" bitsize=\"32\" type=\"int32\" regnum=\"0\"/>\n"
    "<reg name=\"ecx\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"edx\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ebx\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"esp\" bitsize=\"32\" type=\"data_ptr\"/>\n"
    "<reg name=\"ebp\" bitsize=\"32\" type=\"data_ptr\"/>\n"
    "<reg name=\"esi\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"edi\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"eip\" bitsize=\"32\" type=\"code_ptr\"/>\n"
    "<reg name=\"eflags\" bitsize=\"32\" type=\"popek_eflags\"/>\n"
    "<reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"es\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "</feature>\n"
    "</target>\n";

const char *gdb_target_xml(size_t *len)
{
    *len = sizeof(target_xml) - 1;
    return target_xml;
}

/* gdb's order of the segment registers, as our indexes. */
static const int seg_order[6] = { S_CS, S_SS, S_DS, S_ES, S_FS, S_GS };

static void put32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

bool gdb_reg_span(unsigned n, size_t *off, size_t *size)
{
    if (n < 16) {
        *off = 4 * n, *size = 4;
    } else if (n < 24) {
        *off = 64 + 10 * (n - 16), *size = 10;
    } else if (n < GDB_NREGS) {
        *off = 144 + 4 * (n - 24), *size = 4;
    } else {
        return false;
    }
    return true;
}

void gdb_regs_read(struct machine *m, uint8_t out[GDB_REGS_BYTES])
{
    struct cpu_state st;
    struct cpu_fpu_state f;
    cpu_get_state(m->cpu, &st);
    cpu_get_fpu_state(m->cpu, &f);
    for (int i = 0; i < 8; i++)
        put32(out + 4 * i, st.gpr[i]);
    /* gdb's pc is the linear address (CS base + EIP), the address its
     * breakpoints, x/i $pc and the stop reports use: in real mode gdb's
     * i8086 would otherwise see IP alone and miss every breakpoint it set
     * (docs/debugging.md).  Flat protected mode is unchanged. */
    put32(out + 32, st.seg[S_CS].base + st.eip);
    put32(out + 36, st.eflags);
    for (int i = 0; i < 6; i++)
        put32(out + 40 + 4 * i, st.seg[seg_order[i]].sel);
    memcpy(out + 64, f.st, sizeof(f.st));
    const uint32_t env[8] = { f.fctrl, f.fstat, f.ftag, f.fiseg, f.fioff, f.foseg, f.fooff, f.fop };
    for (int i = 0; i < 8; i++)
        put32(out + 144 + 4 * i, env[i]);
}

int gdb_regs_write(struct machine *m, const uint8_t in[GDB_REGS_BYTES])
{
    struct cpu_state st, saved;
    struct cpu_fpu_state f;
    cpu_get_state(m->cpu, &st);
    saved = st;
    cpu_get_fpu_state(m->cpu, &f);
    /* Segment selectors first, as the CPU would load them: a selector
     * without a usable descriptor refuses the whole write. */
    uint16_t sel[6];
    for (int i = 0; i < 6; i++) {
        uint32_t v = get32(in + 40 + 4 * i);
        if (v > 0xFFFF)
            return -1;
        sel[i] = (uint16_t)v;
    }
    for (int i = 0; i < 8; i++)
        st.gpr[i] = get32(in + 4 * i);
    st.eip = get32(in + 32);
    st.eflags = get32(in + 36);
    cpu_set_state(m->cpu, &st);
    for (int i = 0; i < 6; i++)
        if (sel[i] != st.seg[seg_order[i]].sel && !cpu_debug_load_seg(m->cpu, seg_order[i], sel[i])) {
            cpu_set_state(m->cpu, &saved); /* all or nothing */
            return -1;
        }
    /* gdb's pc is linear (gdb_regs_read): EIP is its offset in the CS now loaded. */
    cpu_get_state(m->cpu, &st);
    st.eip = get32(in + 32) - st.seg[S_CS].base;
    cpu_set_state(m->cpu, &st);
    memcpy(f.st, in + 64, sizeof(f.st));
    f.fctrl = (uint16_t)get32(in + 144);
    f.fstat = (uint16_t)get32(in + 148);
    f.ftag = (uint16_t)get32(in + 152);
    f.fiseg = (uint16_t)get32(in + 156);
    f.fioff = get32(in + 160);
    f.foseg = (uint16_t)get32(in + 164);
    f.fooff = get32(in + 168);
    f.fop = (uint16_t)get32(in + 172);
    cpu_set_fpu_state(m->cpu, &f);
    return 0;
}
