/* Executes and checks one SingleStepTests test (see run.h).
 *
 * RAM is all-zero between tests.  A test writes its INIT bytes (through the
 * bus, so decoded code is invalidated), runs, and is checked:
 *   - registers against FINA (or INIT where FINA does not list them);
 *   - every byte listed in INIT or FINA against its expected value, after
 *     which the byte is zeroed again;
 *   - stray writes: with the expected bytes zeroed, any non-zero byte in a
 *     window the instruction could have written is a write it should not
 *     have made.  The windows are the 64 KiB of each of ES CS SS DS at the
 *     initial, expected and actual final bases (wrapping at 1 MiB on the
 *     8086; on the 286 also the wrapped alias, in case the CPU wraps when it
 *     should not), the IVT, and on the 286 the 64 KiB above 1 MiB.  Bytes
 *     found there are zeroed too, so only touched bytes are ever cleared. */
#include "tests/conformance/run.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIB (1u << 20)

int sst_machine_init(struct sst_machine *m, enum cpu_model model)
{
    memset(m, 0, sizeof(*m));
    if (model != CPU_8086 && model != CPU_286) {
        fprintf(stderr, "sst: only the 8086 and 286 suites exist\n");
        return -1;
    }
    m->model = model;
    m->is286 = model == CPU_286;
    m->ram_size = m->is286 ? 16 * MIB : MIB;
    m->addr_mask = m->is286 ? 0xFFFFFFu : 0xFFFFFu;
    m->step_cap = 64;
    if (bus_init(&m->bus, m->ram_size) < 0)
        return -1;
    bus_set_a20(&m->bus, true);
    m->cpu = cpu_create(model, &m->bus);
    if (!m->cpu) {
        fprintf(stderr, "sst: cpu_create(%s) failed\n", cpu_model_name(model));
        bus_free(&m->bus);
        return -1;
    }
    cpu_set_run_cap(m->cpu, 1); /* each step through the decoded-run code that guests run */
    cpu_get_state(m->cpu, &m->tmpl);
    m->tmpl.halted = false;
    return 0;
}

void sst_machine_free(struct sst_machine *m)
{
    if (m->cpu)
        cpu_destroy(m->cpu);
    if (m->bus.ram)
        bus_free(&m->bus);
    free(m->mem);
    memset(m, 0, sizeof(*m));
}

/* ---- register mapping ---------------------------------------------------- */

static void regs_from_state(const struct cpu_state *st, uint16_t v[MOO_NREGS])
{
    v[MOO_AX] = (uint16_t)st->gpr[R_EAX];
    v[MOO_BX] = (uint16_t)st->gpr[R_EBX];
    v[MOO_CX] = (uint16_t)st->gpr[R_ECX];
    v[MOO_DX] = (uint16_t)st->gpr[R_EDX];
    v[MOO_CS] = st->seg[S_CS].sel;
    v[MOO_SS] = st->seg[S_SS].sel;
    v[MOO_DS] = st->seg[S_DS].sel;
    v[MOO_ES] = st->seg[S_ES].sel;
    v[MOO_SP] = (uint16_t)st->gpr[R_ESP];
    v[MOO_BP] = (uint16_t)st->gpr[R_EBP];
    v[MOO_SI] = (uint16_t)st->gpr[R_ESI];
    v[MOO_DI] = (uint16_t)st->gpr[R_EDI];
    v[MOO_IP] = (uint16_t)st->eip;
    v[MOO_FLAGS] = (uint16_t)st->eflags;
}

/* The FLAGS value the runner loads: a real-mode 286 cannot hold IOPL/NT. */
static uint16_t init_flags(const struct sst_machine *m, const struct moo_test *t)
{
    uint16_t f = t->init.regs.v[MOO_FLAGS];
    return m->is286 ? (uint16_t)(f & 0x0FFF) : f;
}

static void load_state(struct sst_machine *m, const struct moo_test *t)
{
    const uint16_t *v = t->init.regs.v;
    struct cpu_state st = m->tmpl;
    memset(st.gpr, 0, sizeof(st.gpr));
    st.gpr[R_EAX] = v[MOO_AX];
    st.gpr[R_EBX] = v[MOO_BX];
    st.gpr[R_ECX] = v[MOO_CX];
    st.gpr[R_EDX] = v[MOO_DX];
    st.gpr[R_ESP] = v[MOO_SP];
    st.gpr[R_EBP] = v[MOO_BP];
    st.gpr[R_ESI] = v[MOO_SI];
    st.gpr[R_EDI] = v[MOO_DI];
    cpu_state_real_seg(&st, S_ES, v[MOO_ES]);
    cpu_state_real_seg(&st, S_CS, v[MOO_CS]);
    cpu_state_real_seg(&st, S_SS, v[MOO_SS]);
    cpu_state_real_seg(&st, S_DS, v[MOO_DS]);
    cpu_state_real_seg(&st, S_FS, 0);
    cpu_state_real_seg(&st, S_GS, 0);
    st.eip = v[MOO_IP];
    st.eflags = init_flags(m, t);
    st.halted = false;
    cpu_set_state(m->cpu, &st);
}

/* ---- the expected-memory set ---------------------------------------------- */

static int cmp_membyte(const void *a, const void *b)
{
    const struct sst_membyte *x = a, *y = b;
    if (x->addr != y->addr)
        return x->addr < y->addr ? -1 : 1;
    if (x->src != y->src)
        return x->src < y->src ? -1 : 1;
    return x->order < y->order ? -1 : x->order > y->order;
}

static bool mem_reserve(struct sst_machine *m, size_t n)
{
    if (n <= m->memcap)
        return true;
    size_t cap = m->memcap ? m->memcap : 256;
    while (cap < n)
        cap *= 2;
    struct sst_membyte *p = realloc(m->mem, cap * sizeof(*p));
    if (!p)
        return false;
    m->mem = p;
    m->memcap = cap;
    return true;
}

/* Builds the sorted, de-duplicated expected set in m->mem; returns its size.
 * For each address the FINA entry wins over INIT; among equal sources the
 * later entry wins. */
static size_t build_expected(struct sst_machine *m, const struct moo_test *t)
{
    size_t n = 0, total = (size_t)t->init.nram + t->fina.nram + 4;
    if (!mem_reserve(m, total)) {
        fprintf(stderr, "sst: out of memory\n");
        exit(2);
    }
    for (uint32_t i = 0; i < t->init.nram; i++)
        m->mem[n++] = (struct sst_membyte){ t->init.ram[i].addr, i, t->init.ram[i].val, 0xFF, 0 };
    for (uint32_t i = 0; i < t->fina.nram; i++)
        m->mem[n++] = (struct sst_membyte){ t->fina.ram[i].addr, i, t->fina.ram[i].val, 0xFF, 1 };
    if (n > 1)
        qsort(m->mem, n, sizeof(*m->mem), cmp_membyte);
    size_t out = 0;
    for (size_t i = 0; i < n; i++) {
        if (out && m->mem[out - 1].addr == m->mem[i].addr)
            m->mem[out - 1] = m->mem[i]; /* sorted: the later one wins */
        else
            m->mem[out++] = m->mem[i];
    }
    return out;
}

static struct sst_membyte *find_byte(struct sst_machine *m, size_t n, uint32_t addr)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (m->mem[mid].addr < addr)
            lo = mid + 1;
        else if (m->mem[mid].addr > addr)
            hi = mid;
        else
            return &m->mem[mid];
    }
    return NULL;
}

/* ANDs mask into the compare mask of addr, adding the byte (expected 0, as
 * RAM starts zero) if the test does not list it.  Returns the new size. */
static size_t mask_byte(struct sst_machine *m, size_t n, uint32_t addr, uint8_t mask)
{
    struct sst_membyte *b = find_byte(m, n, addr);
    if (b) {
        b->mask &= mask;
        return n;
    }
    m->mem[n] = (struct sst_membyte){ addr, 0, 0, mask, 2 };
    n++;
    qsort(m->mem, n, sizeof(*m->mem), cmp_membyte);
    return n;
}

bool sst_expected_byte(const struct moo_test *t, uint32_t addr, uint8_t *val)
{
    bool found = false;
    for (uint32_t i = 0; i < t->fina.nram; i++)
        if (t->fina.ram[i].addr == addr) {
            *val = t->fina.ram[i].val;
            found = true;
        }
    if (found)
        return true;
    for (uint32_t i = 0; i < t->init.nram; i++)
        if (t->init.ram[i].addr == addr) {
            *val = t->init.ram[i].val;
            found = true;
        }
    if (!found)
        *val = 0;
    return found;
}

static uint16_t expected_reg(const struct sst_machine *m, const struct moo_test *t, int i)
{
    if (t->fina.regs.mask >> i & 1)
        return t->fina.regs.v[i];
    return i == MOO_FLAGS ? init_flags(m, t) : t->init.regs.v[i];
}

/* The INIT value of the byte at addr, or 0 (RAM starts zero). */
static uint8_t init_byte(const struct moo_test *t, uint32_t addr)
{
    uint8_t v = 0;
    for (uint32_t i = 0; i < t->init.nram; i++)
        if (t->init.ram[i].addr == addr)
            v = t->init.ram[i].val;
    return v;
}

/* 8086: did the test deliver a divide error?  Its final CS:IP is the IVT[0]
 * entry that INIT memory holds at 0000:0000. */
static bool delivered_vector0(const struct sst_machine *m, const struct moo_test *t)
{
    uint16_t ip = (uint16_t)(init_byte(t, 0) | init_byte(t, 1) << 8);
    uint16_t cs = (uint16_t)(init_byte(t, 2) | init_byte(t, 3) << 8);
    return expected_reg(m, t, MOO_IP) == ip && expected_reg(m, t, MOO_CS) == cs;
}

/* ---- stray-write scan ----------------------------------------------------- */

struct span {
    uint32_t lo, hi; /* [lo, hi) */
};

#define MAX_SPANS 64

static void add_span(struct span *s, unsigned *n, uint32_t lo, uint32_t hi)
{
    if (lo < hi && *n < MAX_SPANS)
        s[(*n)++] = (struct span){ lo, hi };
}

/* The windows of one segment base. */
static void add_window(const struct sst_machine *m, struct span *s, unsigned *n, uint32_t base)
{
    uint32_t hi = base + 0x10000;
    if (!m->is286) {
        base &= 0xFFFFF;
        hi = base + 0x10000;
        if (hi > MIB) {
            add_span(s, n, base, MIB);
            add_span(s, n, 0, hi - MIB);
        } else {
            add_span(s, n, base, hi);
        }
        return;
    }
    if (base >= m->ram_size)
        return;
    add_span(s, n, base, hi < m->ram_size ? hi : m->ram_size);
    if (base < MIB && hi > MIB)
        add_span(s, n, 0, hi - MIB); /* the alias a wrongly wrapping CPU would write */
}

static int cmp_span(const void *a, const void *b)
{
    const struct span *x = a, *y = b;
    return x->lo < y->lo ? -1 : x->lo > y->lo;
}

static void note_stray(struct sst_machine *m, struct sst_result *r, uint32_t a)
{
    if (r->nstray < SST_MAX_DIFFS) {
        r->stray[r->nstray].addr = a;
        r->stray[r->nstray].val = m->bus.ram[a];
    }
    r->nstray++;
    bus_write8(&m->bus, a, 0);
}

/* Reports and zeroes every non-zero byte of [lo, hi). */
static void scan_span(struct sst_machine *m, uint32_t lo, uint32_t hi, struct sst_result *r)
{
    const uint8_t *ram = m->bus.ram;
    uint32_t a = lo;
    for (; a < hi && (a & 63); a++)
        if (ram[a])
            note_stray(m, r, a);
    for (; a + 64 <= hi; a += 64) {
        uint64_t acc = 0;
        for (int k = 0; k < 8; k++) {
            uint64_t w;
            memcpy(&w, ram + a + 8 * k, 8);
            acc |= w;
        }
        if (acc)
            for (uint32_t b = a; b < a + 64; b++)
                if (ram[b])
                    note_stray(m, r, b);
    }
    for (; a < hi; a++)
        if (ram[a])
            note_stray(m, r, a);
}

static void scan_windows(struct sst_machine *m, const struct moo_test *t,
                         const struct cpu_state *got, struct sst_result *r)
{
    static const int segs[4] = { MOO_ES, MOO_CS, MOO_SS, MOO_DS };
    static const int cpu_segs[4] = { S_ES, S_CS, S_SS, S_DS };
    uint32_t bases[16];
    unsigned nb = 0;
    for (int i = 0; i < 4; i++) {
        uint32_t cand[4] = {
            (uint32_t)t->init.regs.v[segs[i]] << 4,
            (uint32_t)expected_reg(m, t, segs[i]) << 4,
            (uint32_t)got->seg[cpu_segs[i]].sel << 4,
            got->seg[cpu_segs[i]].base,
        };
        for (int k = 0; k < 4; k++) {
            bool dup = false;
            for (unsigned j = 0; j < nb && !dup; j++)
                dup = bases[j] == cand[k];
            if (!dup)
                bases[nb++] = cand[k];
        }
    }
    struct span s[MAX_SPANS];
    unsigned n = 0;
    for (unsigned i = 0; i < nb; i++)
        add_window(m, s, &n, bases[i]);
    add_span(s, &n, 0, 0x400); /* the interrupt vector table */
    if (m->is286)
        add_span(s, &n, MIB, MIB + 0x10000);
    qsort(s, n, sizeof(*s), cmp_span);
    unsigned k = 0;
    for (unsigned i = 0; i < n; i++) {
        if (k && s[i].lo <= s[k - 1].hi) {
            if (s[i].hi > s[k - 1].hi)
                s[k - 1].hi = s[i].hi;
        } else {
            s[k++] = s[i];
        }
    }
    for (unsigned i = 0; i < k; i++)
        scan_span(m, s[i].lo, s[i].hi, r);
}

uint32_t sst_machine_sweep(struct sst_machine *m)
{
    struct sst_result r;
    r.nstray = 0;
    scan_span(m, 0, m->ram_size, &r);
    return r.nstray;
}

/* ---- one test -------------------------------------------------------------- */

static bool in_ram(const struct sst_machine *m, uint32_t addr)
{
    return addr < m->ram_size;
}

bool sst_run_test(struct sst_machine *m, const struct moo_test *t, const struct sst_expect *e,
                  const struct sst_inject *inject, struct sst_result *r)
{
    memset(r, 0, sizeof(*r));
    r->exit = CPU_EXIT_BUDGET;

    size_t n = build_expected(m, t);
    for (size_t i = 0; i < n; i++) {
        if (!in_ram(m, m->mem[i].addr)) {
            r->why = SST_BAD_DATA;
            return false;
        }
    }

    /* FLAGS images an exception or divide error pushed: compare them under
     * the opcode's flags-mask, as the registers. */
    uint8_t mlo = (uint8_t)e->flags_mask, mhi = (uint8_t)(e->flags_mask >> 8);
    /* The interrupt frame is IP, CS, FLAGS upwards from the final SS:SP
     * (the handler's first instruction does not move SP: on the 8086 it is
     * not run, on the 286 it is the HLT). */
    uint32_t ss = (uint32_t)expected_reg(m, t, MOO_SS) << 4;
    uint16_t sp = expected_reg(m, t, MOO_SP);
    uint32_t a0 = (ss + (uint16_t)(sp + 4)) & m->addr_mask;
    uint32_t a1 = (ss + (uint16_t)(sp + 5)) & m->addr_mask;
    if (m->is286 && t->has_excp) {
        /* EXCP gives the FLAGS word's address rounded down to even (the
         * address of the first bus cycle): at an odd SP the word really is
         * one byte higher.  Trust it only when it does not match the frame. */
        uint32_t x = t->excp_flags_addr & m->addr_mask;
        if (x != a0 && x != (a0 & ~1u)) {
            a0 = x;
            a1 = (x + 1) & m->addr_mask;
        }
        r->masked_word = true;
    } else if (!m->is286 && e->divide && delivered_vector0(m, t)) {
        r->masked_word = true;
    }
    if (r->masked_word) {
        r->masked_addr = a0;
        r->masked_addr_hi = a1;
        n = mask_byte(m, n, a0, mlo);
        n = mask_byte(m, n, a1, mhi);
    }

    /* Load: memory through the bus (invalidating decoded code), then state. */
    for (uint32_t i = 0; i < t->init.nram; i++)
        bus_write8(&m->bus, t->init.ram[i].addr, t->init.ram[i].val);
    load_state(m, t);

    /* Execute. */
    if (m->is286) {
        bool halted = false;
        while (r->steps < m->step_cap) {
            r->exit = cpu_step(m->cpu);
            r->steps++;
            if (r->exit == CPU_EXIT_HALT) {
                halted = true;
                break;
            }
            if (r->exit != CPU_EXIT_BUDGET)
                break;
        }
        if (!halted)
            r->why |= SST_BAD_EXIT;
    } else {
        r->exit = cpu_step(m->cpu);
        r->steps = 1;
        if (r->exit != CPU_EXIT_BUDGET && r->exit != CPU_EXIT_HALT)
            r->why |= SST_BAD_EXIT;
    }
    if (r->exit == CPU_EXIT_ERROR) {
        const char *msg = cpu_error(m->cpu);
        snprintf(r->cpu_error, sizeof(r->cpu_error), "%s", msg ? msg : "");
    }

    if (inject)
        for (unsigned i = 0; i < inject->n && i < SST_MAX_INJECT; i++)
            if (in_ram(m, inject->addr[i]))
                bus_write8(&m->bus, inject->addr[i], inject->val[i]);

    /* Registers. */
    struct cpu_state got;
    cpu_get_state(m->cpu, &got);
    regs_from_state(&got, r->got);
    for (int i = 0; i < MOO_NREGS; i++) {
        r->exp[i] = expected_reg(m, t, i);
        r->cmpmask[i] = t->rmask[i];
        if (i == MOO_FLAGS)
            r->cmpmask[i] &= e->flags_mask;
        if ((r->exp[i] ^ r->got[i]) & r->cmpmask[i])
            r->bad_regs |= (uint16_t)(1u << i);
    }
    if (r->bad_regs)
        r->why |= SST_BAD_REGS;

    /* Expected bytes: check, then zero them so the scan sees only strays. */
    const uint8_t *ram = m->bus.ram;
    for (size_t i = 0; i < n; i++) {
        const struct sst_membyte *b = &m->mem[i];
        uint8_t v = ram[b->addr];
        if ((v ^ b->val) & b->mask) {
            if (r->nmem_bad < SST_MAX_DIFFS) {
                r->mem_bad[r->nmem_bad].addr = b->addr;
                r->mem_bad[r->nmem_bad].exp = b->val;
                r->mem_bad[r->nmem_bad].got = v;
                r->mem_bad[r->nmem_bad].mask = b->mask;
            }
            r->nmem_bad++;
        }
        if (v)
            bus_write8(&m->bus, b->addr, 0);
    }
    if (r->nmem_bad)
        r->why |= SST_BAD_MEM;

    scan_windows(m, t, &got, r);
    if (r->nstray)
        r->why |= SST_STRAY;
    return r->why == 0;
}
