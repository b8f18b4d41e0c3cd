/* The commands of the GDB Remote Serial Protocol (gdb manual, appendix E)
 * that current gdb uses against a bare-metal, single-thread, all-stop
 * target: the stub answers them from the machine API and the CPU backend
 * interface, and tells the run loop (gdb_server.c) when to continue, step,
 * detach or end.  Every packet is checked against its buffer and its
 * numbers against their ranges: a malformed one gets an error reply (E22;
 * E14 for memory that cannot be reached), an unknown one the empty reply.
 *
 * Addresses are linear (the segment base applied): memory through the
 * current page tables, breakpoints on CS base + EIP.  In flat protected
 * mode that is what gdb's addresses mean. */
#include "frontends/gdbstub.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontends/gdb_regs.h"
#include "machine/rewind.h"

#define E_INVAL "E22"
#define E_FAULT "E14"

void gdbstub_init(struct gdbstub *s, struct machine *m, void (*write)(void *opaque, const uint8_t *buf, size_t len),
                  void *opaque)
{
    memset(s, 0, sizeof(*s));
    s->m = m;
    s->write = write;
    s->opaque = opaque;
    gdb_packet_init(&s->in);
    snprintf(s->stop, sizeof(s->stop), "T05thread:1;");
}

void gdbstub_free(struct gdbstub *s)
{
    free(s->brk);
    s->brk = NULL;
    s->nbrk = s->brk_cap = 0;
}

static void send_raw(struct gdbstub *s, const uint8_t *buf, size_t len)
{
    if (s->write)
        s->write(s->opaque, buf, len);
}

static void send_packet(struct gdbstub *s, const char *data, size_t len)
{
    size_t n = gdb_packet_frame(s->last, sizeof(s->last), (const uint8_t *)data, len);
    s->last_len = n;
    s->resends = 0;
    send_raw(s, s->last, n);
}

static void send_str(struct gdbstub *s, const char *str)
{
    send_packet(s, str, strlen(str));
}

/* ---- breakpoints ---------------------------------------------------- */

static struct gdb_break *find_break(struct gdbstub *s, uint32_t addr)
{
    for (unsigned i = 0; i < s->nbrk; i++)
        if (s->brk[i].addr == addr)
            return &s->brk[i];
    return NULL;
}

static int insert_exec(struct gdbstub *s, uint32_t addr, bool hw)
{
    struct gdb_break *b = find_break(s, addr);
    if (!b) {
        if (s->nbrk == s->brk_cap) {
            unsigned cap = s->brk_cap ? s->brk_cap * 2 : 16;
            struct gdb_break *p = realloc(s->brk, cap * sizeof(*p));
            if (!p)
                return -ENOMEM;
            s->brk = p;
            s->brk_cap = cap;
        }
        int rc = cpu_break_insert(s->m->cpu, CPU_BREAK_EXEC, addr, 1);
        if (rc < 0)
            return rc;
        b = &s->brk[s->nbrk++];
        *b = (struct gdb_break){ addr, 0, 0 };
    }
    /* gdb inserts each once; a count that would wrap is a client's bug. */
    uint8_t *cnt = hw ? &b->hw : &b->sw;
    if (*cnt < 255)
        (*cnt)++;
    return 0;
}

static int remove_exec(struct gdbstub *s, uint32_t addr, bool hw)
{
    struct gdb_break *b = find_break(s, addr);
    uint8_t *cnt = b ? (hw ? &b->hw : &b->sw) : NULL;
    if (!cnt || !*cnt)
        return -ENOENT;
    (*cnt)--;
    if (!b->sw && !b->hw) {
        (void)cpu_break_remove(s->m->cpu, CPU_BREAK_EXEC, addr, 1);
        *b = s->brk[--s->nbrk];
    }
    return 0;
}

void gdbstub_clear_breaks(struct gdbstub *s)
{
    cpu_break_clear(s->m->cpu);
    s->nbrk = 0;
}

/* ---- parsing helpers ------------------------------------------------ */

/* The packet being answered: data and its end. */
struct cmd {
    const char *p, *end;
};

static bool take_hex(struct cmd *c, uint64_t *v)
{
    return gdb_hex_u64(&c->p, c->end, v);
}

static bool take_char(struct cmd *c, char ch)
{
    if (c->p < c->end && *c->p == ch) {
        c->p++;
        return true;
    }
    return false;
}

static bool starts(const struct cmd *c, const char *word)
{
    size_t n = strlen(word);
    return (size_t)(c->end - c->p) >= n && memcmp(c->p, word, n) == 0;
}

/* "addr,len" with addr in the 32-bit linear space. */
static bool take_addr_len(struct cmd *c, uint32_t *addr, uint64_t *len)
{
    uint64_t a;
    if (!take_hex(c, &a) || a > 0xFFFFFFFFull || !take_char(c, ',') || !take_hex(c, len))
        return false;
    *addr = (uint32_t)a;
    return true;
}

/* A thread id of ours: absent, -1 (all), 0 (any) or 1 (the one). */
static bool our_thread(const char *p, const char *end)
{
    size_t n = (size_t)(end - p);
    if (n == 0)
        return true;
    if (n == 2 && p[0] == '-' && p[1] == '1')
        return true;
    struct cmd c = { p, end };
    uint64_t v;
    return take_hex(&c, &v) && c.p == end && v <= 1;
}

/* ---- commands ------------------------------------------------------- */

static void cmd_read_regs(struct gdbstub *s)
{
    uint8_t regs[GDB_REGS_BYTES];
    gdb_regs_read(s->m, regs);
    size_t n = gdb_hex_encode(s->reply, regs, sizeof(regs));
    send_packet(s, s->reply, n);
}

static void cmd_write_regs(struct gdbstub *s, struct cmd *c)
{
    uint8_t regs[GDB_REGS_BYTES];
    if ((size_t)(c->end - c->p) != 2 * sizeof(regs) || !gdb_hex_decode(regs, c->p, sizeof(regs))) {
        send_str(s, E_INVAL);
        return;
    }
    send_str(s, gdb_regs_write(s->m, regs) == 0 ? "OK" : E_INVAL);
}

static void cmd_read_reg(struct gdbstub *s, struct cmd *c)
{
    uint64_t n;
    size_t off, size;
    if (!take_hex(c, &n) || c->p != c->end || n >= GDB_NREGS || !gdb_reg_span((unsigned)n, &off, &size)) {
        send_str(s, E_INVAL);
        return;
    }
    uint8_t regs[GDB_REGS_BYTES];
    gdb_regs_read(s->m, regs);
    send_packet(s, s->reply, gdb_hex_encode(s->reply, regs + off, size));
}

static void cmd_write_reg(struct gdbstub *s, struct cmd *c)
{
    uint64_t n;
    size_t off, size;
    if (!take_hex(c, &n) || !take_char(c, '=') || n >= GDB_NREGS || !gdb_reg_span((unsigned)n, &off, &size) ||
        (size_t)(c->end - c->p) != 2 * size) {
        send_str(s, E_INVAL);
        return;
    }
    uint8_t regs[GDB_REGS_BYTES];
    gdb_regs_read(s->m, regs);
    if (!gdb_hex_decode(regs + off, c->p, size)) {
        send_str(s, E_INVAL);
        return;
    }
    send_str(s, gdb_regs_write(s->m, regs) == 0 ? "OK" : E_INVAL);
}

static void cmd_read_mem(struct gdbstub *s, struct cmd *c)
{
    uint32_t addr;
    uint64_t len;
    if (!take_addr_len(c, &addr, &len) || c->p != c->end) {
        send_str(s, E_INVAL);
        return;
    }
    /* At most what fits a reply; gdb asks again for the rest. */
    if (len > (GDB_PACKET_MAX - 1) / 2)
        len = (GDB_PACKET_MAX - 1) / 2;
    uint8_t buf[(GDB_PACKET_MAX - 1) / 2];
    size_t got = machine_debug_read(s->m, addr, buf, (size_t)len);
    if (got == 0 && len) {
        send_str(s, E_FAULT);
        return;
    }
    send_packet(s, s->reply, gdb_hex_encode(s->reply, buf, got));
}

/* M addr,len:hex (binary false) or X addr,len:bytes (binary true). */
static void cmd_write_mem(struct gdbstub *s, struct cmd *c, bool binary)
{
    uint32_t addr;
    uint64_t len;
    if (!take_addr_len(c, &addr, &len) || !take_char(c, ':') || len > GDB_PACKET_MAX) {
        send_str(s, E_INVAL);
        return;
    }
    size_t have = (size_t)(c->end - c->p);
    uint8_t buf[GDB_PACKET_MAX];
    if (binary) {
        if (have != len) {
            send_str(s, E_INVAL);
            return;
        }
        memcpy(buf, c->p, have);
    } else if (have != 2 * len || !gdb_hex_decode(buf, c->p, (size_t)len)) {
        send_str(s, E_INVAL);
        return;
    }
    send_str(s, machine_debug_write(s->m, addr, buf, (size_t)len) == 0 ? "OK" : E_FAULT);
}

/* Z/z type,addr,kind[;conditions]: the conditions are not offered and
 * are ignored. */
static void cmd_break(struct gdbstub *s, struct cmd *c, bool insert)
{
    uint64_t type, kind;
    uint32_t addr;
    if (!take_hex(c, &type) || !take_char(c, ',') || !take_addr_len(c, &addr, &kind) ||
        (c->p != c->end && *c->p != ';')) {
        send_str(s, E_INVAL);
        return;
    }
    int rc;
    if (type == 0 || type == 1) {
        rc = insert ? insert_exec(s, addr, type == 1) : remove_exec(s, addr, type == 1);
    } else if (type <= 4) {
        static const enum cpu_watch kinds[3] = { CPU_WATCH_WRITE, CPU_WATCH_READ, CPU_WATCH_ACCESS };
        if (kind == 0 || kind > 0xFFFFFFFFull) {
            send_str(s, E_INVAL);
            return;
        }
        rc = insert ? cpu_break_insert(s->m->cpu, kinds[type - 2], addr, (uint32_t)kind)
                    : cpu_break_remove(s->m->cpu, kinds[type - 2], addr, (uint32_t)kind);
    } else {
        send_str(s, ""); /* a kind we do not have */
        return;
    }
    send_str(s, rc == 0 ? "OK" : rc == -ENOMEM ? "E12" : E_INVAL);
}

/* c/s [addr]: resume, at addr if given. */
static bool resume_at(struct gdbstub *s, struct cmd *c)
{
    if (c->p == c->end)
        return true;
    uint64_t a;
    if (!take_hex(c, &a) || c->p != c->end || a > 0xFFFFFFFFull)
        return false;
    struct cpu_state st;
    cpu_get_state(s->m->cpu, &st);
    st.eip = (uint32_t)a - st.seg[S_CS].base; /* gdb's addresses are linear */
    cpu_set_state(s->m->cpu, &st);
    return true;
}

/* vCont;action[:thread]...: the first action that names our thread (or
 * no thread) decides; s and S step, c and C continue. */
static enum gdb_action cmd_vcont(struct gdbstub *s, struct cmd *c)
{
    while (take_char(c, ';')) {
        const char *a = c->p;
        while (c->p < c->end && *c->p != ';')
            c->p++;
        const char *colon = memchr(a, ':', (size_t)(c->p - a));
        const char *aend = colon ? colon : c->p;
        if (aend == a)
            break;
        bool step = *a == 's' || *a == 'S', cont = *a == 'c' || *a == 'C';
        if (!step && !cont)
            break;
        if (aend - a != 1 && !(*a == 'C' || *a == 'S'))
            break; /* C and S carry a signal, which a PC has no use for */
        if (colon && !our_thread(colon + 1, c->p))
            continue;
        return step ? GDB_ACT_STEP : GDB_ACT_CONTINUE;
    }
    send_str(s, E_INVAL);
    return GDB_ACT_NONE;
}

/* monitor COMMAND: the terminal monitor's "info registers" for now. */
static void cmd_rcmd(struct gdbstub *s, struct cmd *c)
{
    size_t n = (size_t)(c->end - c->p);
    char line[256];
    if (n % 2 || n / 2 >= sizeof(line) || !gdb_hex_decode((uint8_t *)line, c->p, n / 2)) {
        send_str(s, E_INVAL);
        return;
    }
    line[n / 2] = 0;
    char *text = NULL;
    size_t tlen = 0;
    FILE *f = open_memstream(&text, &tlen);
    if (!f) {
        send_str(s, "E12");
        return;
    }
    if (s->rcmd)
        s->rcmd(s->rcmd_opaque, line, f);
    else if (!strcmp(line, "info registers"))
        cpu_dump(s->m->cpu, f);
    else if (!strcmp(line, "help"))
        fprintf(f, "monitor commands: info registers, help\n");
    else
        fprintf(f, "unknown command: %s (try 'monitor help')\n", line);
    fclose(f);
    /* The output as hex in one reply, cut to what a packet holds; a
     * command that says nothing answers OK (an empty reply would tell gdb
     * that qRcmd is not supported). */
    if (tlen == 0) {
        free(text);
        send_str(s, "OK");
        return;
    }
    if (tlen > GDB_PACKET_MAX / 2)
        tlen = GDB_PACKET_MAX / 2;
    send_packet(s, s->reply, gdb_hex_encode(s->reply, (const uint8_t *)text, tlen));
    free(text);
}

/* qXfer:features:read:target.xml:offset,length */
static void cmd_xfer(struct gdbstub *s, struct cmd *c)
{
    static const char prefix[] = "qXfer:features:read:target.xml:";
    if (!starts(c, prefix)) {
        send_str(s, starts(c, "qXfer:features:read:") ? "E00" : ""); /* another annex, or object */
        return;
    }
    c->p += sizeof(prefix) - 1;
    uint64_t off, len;
    if (!take_hex(c, &off) || !take_char(c, ',') || !take_hex(c, &len) || c->p != c->end) {
        send_str(s, E_INVAL);
        return;
    }
    size_t xlen;
    const char *xml = gdb_target_xml(&xlen);
    if (off > xlen) {
        send_str(s, E_INVAL);
        return;
    }
    if (len > GDB_PACKET_MAX - 1)
        len = GDB_PACKET_MAX - 1;
    size_t n = xlen - (size_t)off < len ? xlen - (size_t)off : (size_t)len;
    s->reply[0] = off + n < xlen ? 'm' : 'l';
    memcpy(s->reply + 1, xml + off, n);
    send_packet(s, s->reply, n + 1);
}

/* Whether word occurs in the rest of the packet. */
static bool mentions(const struct cmd *c, const char *word)
{
    size_t n = strlen(word);
    for (const char *p = c->p; (size_t)(c->end - p) >= n; p++)
        if (!memcmp(p, word, n))
            return true;
    return false;
}

static void cmd_query(struct gdbstub *s, struct cmd *c)
{
    if (starts(c, "qSupported")) {
        /* Stop reasons the client does not announce must not be sent. */
        s->swbreak = mentions(c, "swbreak+");
        s->hwbreak = mentions(c, "hwbreak+");
        char buf[160];
        snprintf(buf, sizeof(buf), "PacketSize=%x;swbreak+;hwbreak+;qXfer:features:read+;vContSupported+;"
                                   "QStartNoAckMode+%s", GDB_PACKET_MAX,
                 s->m->rewind ? ";ReverseStep+;ReverseContinue+" : "");
        send_str(s, buf);
    } else if (starts(c, "qXfer:")) {
        cmd_xfer(s, c);
    } else if (starts(c, "qAttached")) {
        send_str(s, "1");
    } else if (c->end - c->p == 2 && starts(c, "qC")) {
        send_str(s, "QC1");
    } else if (starts(c, "qfThreadInfo")) {
        send_str(s, "m1");
    } else if (starts(c, "qsThreadInfo")) {
        send_str(s, "l");
    } else if (starts(c, "qRcmd,")) {
        c->p += 6;
        cmd_rcmd(s, c);
    } else if (starts(c, "qSymbol::")) {
        send_str(s, "OK"); /* no symbols wanted */
    } else {
        send_str(s, "");
    }
}

static enum gdb_action dispatch(struct gdbstub *s, const char *data, size_t len)
{
    struct cmd c = { data + 1, data + len };
    switch (len ? data[0] : 0) {
    case '?':
        send_str(s, s->stop);
        break;
    case 'g': cmd_read_regs(s); break;
    case 'G': cmd_write_regs(s, &c); break;
    case 'p': cmd_read_reg(s, &c); break;
    case 'P': cmd_write_reg(s, &c); break;
    case 'm': cmd_read_mem(s, &c); break;
    case 'M': cmd_write_mem(s, &c, false); break;
    case 'X': cmd_write_mem(s, &c, true); break;
    case 'Z': cmd_break(s, &c, true); break;
    case 'z': cmd_break(s, &c, false); break;
    case 'c':
    case 's':
        if (!resume_at(s, &c)) {
            send_str(s, E_INVAL);
            break;
        }
        return data[0] == 's' ? GDB_ACT_STEP : GDB_ACT_CONTINUE;
    case 'C':
    case 'S': { /* C sig[;addr]: the signal means nothing to a PC */
        uint64_t sig;
        if (!take_hex(&c, &sig) || (c.p != c.end && !take_char(&c, ';')) || !resume_at(s, &c)) {
            send_str(s, E_INVAL);
            break;
        }
        return data[0] == 'S' ? GDB_ACT_STEP : GDB_ACT_CONTINUE;
    }
    case 'b': /* bs, bc: reverse execution, when checkpoints are kept */
        if (len == 2 && (data[1] == 's' || data[1] == 'c') && s->m->rewind)
            return data[1] == 's' ? GDB_ACT_REVERSE_STEP : GDB_ACT_REVERSE_CONTINUE;
        send_str(s, "");
        break;
    case 'H':
        send_str(s, len >= 2 && our_thread(data + 2, data + len) ? "OK" : E_INVAL);
        break;
    case 'T':
        send_str(s, our_thread(data + 1, data + len) && len > 1 ? "OK" : E_INVAL);
        break;
    case 'D':
        send_str(s, "OK");
        return GDB_ACT_DETACH;
    case 'k':
        return GDB_ACT_KILL;
    case 'q':
        c.p = data; /* the queries are matched by their whole names */
        cmd_query(s, &c);
        break;
    case 'Q':
        if (len == 15 && !memcmp(data, "QStartNoAckMode", 15)) {
            send_str(s, "OK"); /* still acknowledged; nothing after it */
            s->no_ack = true;
        } else {
            send_str(s, "");
        }
        break;
    case 'v':
        if (len == 6 && !memcmp(data, "vCont?", 6)) {
            send_str(s, "vCont;c;C;s;S");
        } else if (len >= 5 && !memcmp(data, "vCont", 5) && (len == 5 || data[5] == ';')) {
            c.p = data + 5;
            return cmd_vcont(s, &c);
        } else if (len >= 5 && !memcmp(data, "vKill", 5)) {
            send_str(s, "OK");
            return GDB_ACT_KILL;
        } else {
            send_str(s, ""); /* vMustReplyEmpty and the rest */
        }
        break;
    default:
        send_str(s, "");
        break;
    }
    return GDB_ACT_NONE;
}

enum gdb_action gdbstub_feed(struct gdbstub *s, const uint8_t *buf, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        if (s->running) {
            if (buf[i] == 0x03)
                return GDB_ACT_BREAK;
            continue; /* all-stop: the client waits for our stop reply */
        }
        switch (gdb_packet_feed(&s->in, buf[i])) {
        case GDB_EV_BAD_SUM:
            if (!s->no_ack)
                send_raw(s, (const uint8_t *)"-", 1);
            break;
        case GDB_EV_NAK:
            if (s->last_len && s->resends++ < 8)
                send_raw(s, s->last, s->last_len);
            break;
        case GDB_EV_PACKET: {
            if (!s->no_ack)
                send_raw(s, (const uint8_t *)"+", 1);
            if (s->in.overflow || s->in.malformed) {
                send_str(s, E_INVAL);
                break;
            }
            enum gdb_action a = dispatch(s, (const char *)s->in.data, s->in.len);
            if (a == GDB_ACT_CONTINUE || a == GDB_ACT_STEP || a == GDB_ACT_REVERSE_STEP ||
                a == GDB_ACT_REVERSE_CONTINUE)
                s->running = true;
            if (a != GDB_ACT_NONE)
                return a;
            break;
        }
        default:
            break; /* acks, and a 0x03 while already stopped */
        }
    }
    return GDB_ACT_NONE;
}

void gdbstub_stopped(struct gdbstub *s, enum cpu_exit why, bool stepped)
{
    struct cpu_debug_hit hit;
    cpu_debug_hit(s->m->cpu, &hit);
    s->running = false;
    if (why == CPU_EXIT_DEBUG && hit.hit && hit.kind == CPU_BREAK_EXEC) {
        const struct gdb_break *b = find_break(s, hit.addr);
        bool hw = b && b->hw && !b->sw;
        snprintf(s->stop, sizeof(s->stop), "T05%sthread:1;",
                 hw ? (s->hwbreak ? "hwbreak:;" : "") : (s->swbreak ? "swbreak:;" : ""));
    } else if (why == CPU_EXIT_DEBUG && hit.hit) {
        const char *kind = hit.kind == CPU_WATCH_READ ? "rwatch" : hit.kind == CPU_WATCH_ACCESS ? "awatch" : "watch";
        snprintf(s->stop, sizeof(s->stop), "T05%s:%x;thread:1;", kind, (unsigned)hit.addr);
    } else if (why == CPU_EXIT_DEBUG && !stepped) {
        snprintf(s->stop, sizeof(s->stop), "T02thread:1;"); /* interrupted */
    } else {
        snprintf(s->stop, sizeof(s->stop), "S05");
    }
    send_str(s, s->stop);
}

void gdbstub_reversed(struct gdbstub *s, int result, bool stepped)
{
    if (result == REWIND_DONE) {
        gdbstub_stopped(s, CPU_EXIT_DEBUG, stepped);
        return;
    }
    s->running = false;
    /* The beginning of the history kept (or none): gdb says "No more
     * reverse-execution history". */
    snprintf(s->stop, sizeof(s->stop), "T05replaylog:begin;thread:1;");
    send_str(s, s->stop);
}

void gdbstub_attached(struct gdbstub *s)
{
    s->running = false;
    snprintf(s->stop, sizeof(s->stop), "T05thread:1;");
}

void gdbstub_exited(struct gdbstub *s, int status)
{
    char buf[8];
    snprintf(buf, sizeof(buf), "W%02x", status & 0xFF);
    s->running = false;
    send_str(s, buf);
}
