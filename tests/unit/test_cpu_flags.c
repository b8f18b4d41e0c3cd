/* White-box tests of the lazy arithmetic flags (interp.h): every
 * combination of CF PF AF ZF SF OF survives set_arith_flags and
 * get_arith_flags, cond() agrees with the SDM's definition of the 16
 * conditions, and the public state API round-trips FLAGS. */
#include "cpu/interp.h"
#include "tests/unit/host_oracle.h"

TestSuite(cpu_flags, .timeout = 30.0);

static uint32_t combo(unsigned i)
{
    static const uint32_t bit[6] = { F_CF, F_PF, F_AF, F_ZF, F_SF, F_OF };
    uint32_t f = 0;
    for (unsigned b = 0; b < 6; b++)
        if (i >> b & 1)
            f |= bit[b];
    return f;
}

/* Condition cc (0-15, as in Jcc) evaluated directly from flags f. */
static bool cond_ref(uint32_t f, unsigned cc)
{
    bool of = f & F_OF, cf = f & F_CF, zf = f & F_ZF, sf = f & F_SF, pf = f & F_PF, r;
    switch (cc >> 1) {
    case 0: r = of; break;              /* O */
    case 1: r = cf; break;              /* B */
    case 2: r = zf; break;              /* E */
    case 3: r = cf || zf; break;        /* BE */
    case 4: r = sf; break;              /* S */
    case 5: r = pf; break;              /* P */
    case 6: r = sf != of; break;        /* L */
    default: r = zf || sf != of; break; /* LE */
    }
    return (cc & 1) ? !r : r;
}

static const char *const cc_names[16] = { "O", "NO", "B", "AE", "E", "NE", "BE", "A",
                                          "S", "NS", "P", "NP", "L", "GE", "LE", "G" };

Test(cpu_flags, roundtrip_and_cond_all_64)
{
    struct bus bus;
    cr_assert(bus_init(&bus, 1u << 20) == 0);
    struct cpu *c = cpu_create(CPU_P6, &bus);
    for (unsigned i = 0; i < 64; i++) {
        uint32_t f = combo(i);
        set_arith_flags(c, f);
        uint32_t got = get_arith_flags(c);
        cr_expect(got == f, "set_arith_flags(%03X) reads back as %03X", f, got);
        cr_expect(get_cf(c) == !!(f & F_CF) && get_pf(c) == !!(f & F_PF) && get_af(c) == !!(f & F_AF) &&
                      get_zf(c) == !!(f & F_ZF) && get_sf(c) == !!(f & F_SF) && get_of(c) == !!(f & F_OF),
                  "individual getters disagree for %03X", f);
        for (unsigned cc = 0; cc < 16; cc++)
            cr_expect(cond(c, cc) == cond_ref(f, cc), "cond %s with flags %03X: got %d", cc_names[cc], f,
                      cond(c, cc));
        /* set_cf keeps everything else */
        set_cf(c, !(f & F_CF));
        cr_expect(get_arith_flags(c) == (f ^ F_CF), "set_cf on %03X gave %03X", f, get_arith_flags(c));
    }
    cpu_destroy(c);
    bus_free(&bus);
}

/* Flags produced by the lazy helpers from real results agree with cond(). */
Test(cpu_flags, cond_after_lazy_results)
{
    struct bus bus;
    cr_assert(bus_init(&bus, 1u << 20) == 0);
    struct cpu *c = cpu_create(CPU_P6, &bus);
    uint64_t s = 99;
    for (unsigned i = 0; i < 20000; i++) {
        unsigned bits = 8u << (i % 3);
        uint32_t m = bits == 32 ? ~0u : (1u << bits) - 1;
        uint32_t a = rnd32(&s) & m, b = rnd32(&s) & m;
        if (i & 8)
            b = a;
        uint32_t r = (a - b) & m;
        lf_arith(c, r, sub_co(a, b, r), bits);
        uint32_t f = get_arith_flags(c);
        /* the flags a CMP a,b must produce */
        int64_t sa = (int32_t)sext(a, bits), sb = (int32_t)sext(b, bits);
        uint32_t want = (a < b ? F_CF : 0) | (r == 0 ? F_ZF : 0) | ((r >> (bits - 1)) & 1 ? F_SF : 0) |
                        (cpu_parity_table[r & 0xFF] ? F_PF : 0) | (((a ^ b ^ r) & 0x10) ? F_AF : 0) |
                        ((sa - sb) != (int32_t)sext(r, bits) ? F_OF : 0);
        cr_expect(f == want, "cmp %X,%X (%u bits): flags %03X, want %03X", a, b, bits, f, want);
        for (unsigned cc = 0; cc < 16; cc++)
            cr_expect(cond(c, cc) == cond_ref(f, cc), "cond %s after cmp %X,%X", cc_names[cc], a, b);
        if (f != want)
            break;
    }
    cpu_destroy(c);
    bus_free(&bus);
}

/* The public API: cpu_set_state/cpu_get_state keep all 64 combinations,
 * with the other FLAGS bits the model holds. */
Test(cpu_flags, state_roundtrip)
{
    for (enum cpu_model model = CPU_8086; model <= CPU_P6; model++) {
        struct pk m;
        pk_init(&m, model);
        for (unsigned i = 0; i < 64; i++) {
            struct cpu_state st = m.base;
            st.eflags = 0x2 | combo(i) | F_DF;
            cpu_set_state(m.cpu, &st);
            cpu_get_state(m.cpu, &st);
            cr_expect((st.eflags & (ARITH | F_DF)) == (combo(i) | F_DF), "%s: flags %03X read back as %08X",
                      cpu_model_name(model), combo(i) | F_DF, st.eflags);
            cr_expect(st.eflags & 0x2, "%s: bit 1 of FLAGS must read as 1", cpu_model_name(model));
            if (model == CPU_8086)
                cr_expect((st.eflags & 0xF000) == 0xF000, "8086: FLAGS bits 12-15 must read as 1: %08X",
                          st.eflags);
        }
        pk_free(&m);
    }
}

/* Jcc, SETcc and CMOVcc use cond(): every condition with every flag
 * combination, executed (Jcc rel8 on p6; its outcome is the new IP). */
Test(cpu_flags, jcc_executes_cond)
{
    struct pk m;
    pk_init(&m, CPU_P6);
    for (unsigned cc = 0; cc < 16; cc++) {
        pk_code(&m, (const uint8_t[]){ (uint8_t)(0x70 + cc), 0x10 }, 2);
        for (unsigned i = 0; i < 64; i++) {
            struct cpu_state st = m.base;
            st.eflags = 0x2 | combo(i);
            cpu_set_state(m.cpu, &st);
            cpu_step(m.cpu);
            cpu_get_state(m.cpu, &st);
            uint32_t want = PK_CODE + 2 + (cond_ref(combo(i), cc) ? 0x10 : 0);
            cr_expect(st.eip == want, "J%s with flags %03X: IP %X, want %X", cc_names[cc], combo(i), st.eip, want);
            cr_expect((st.eflags & ARITH) == combo(i), "J%s changed the flags", cc_names[cc]);
        }
    }
    pk_free(&m);
}
