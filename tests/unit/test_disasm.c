/* Unit tests for machine/disasm.c, with binutils' objdump as the oracle:
 * 32-bit code compiled from Popek's own sources and NASM-assembled 16-bit
 * code written here (real-mode, string, x87, system and far-transfer
 * instructions, many addressing forms) are disassembled by both,
 * instruction by instruction from the same start; the lengths must agree
 * everywhere, and so must the mnemonics once the two tools' spellings are
 * made one (objdump writes "stos", Capstone "stosd"; "repz"/"repe"). */
#include <criterion/criterion.h>
#include <criterion/new/assert.h>
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "machine/disasm.h"
#include "tests/unit/skip.h"

static char dir[512];

static void setup(void)
{
    const char *t = getenv("TMPDIR");
    snprintf(dir, sizeof(dir), "%s/popek-disasm-XXXXXX", t && *t ? t : "/tmp");
    cr_assert(mkdtemp(dir) != NULL);
}

static void teardown(void)
{
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", dir);
}

TestSuite(disasm, .init = setup, .fini = teardown, .timeout = 120);

static int sh(const char *fmt, ...)
{
    char cmd[2048], full[2800];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof(cmd), fmt, ap);
    va_end(ap);
    snprintf(full, sizeof(full), "cd '%s' && ( %s ) >log 2>&1", dir, cmd);
    return system(full);
}

static FILE *open_in_dir(const char *name, const char *mode)
{
    char p[700];
    snprintf(p, sizeof(p), "%s/%s", dir, name);
    return fopen(p, mode);
}

/* The first word of a mnemonic, lower case, without what the two tools
 * spell differently: objdump's "data16"/"addr16" words and "bnd"/"notrack"
 * hints, and a size suffix on string instructions. */
static void norm_mnemonic(const char *text, char *out, size_t n)
{
    char buf[128];
    snprintf(buf, sizeof(buf), "%s", text);
    char *w = strtok(buf, " \t");
    static const char *const skip[] = { "data16", "data32", "addr16", "addr32", "bnd", "notrack", "ds", "cs", "es",
                                        "ss", "fs", "gs" };
    while (w) {
        bool drop = false;
        for (size_t i = 0; i < sizeof(skip) / sizeof(skip[0]); i++)
            drop |= strcmp(w, skip[i]) == 0;
        if (!drop)
            break;
        w = strtok(NULL, " \t");
    }
    snprintf(out, n, "%s", w ? w : "");
    /* One spelling for what the tools name differently. */
    static const char *const alias[][2] = { { "repnz", "repne" }, { "repz", "repe" },  { "pushaw", "pusha" },
                                            { "popaw", "popa" },  { "lcall", "call" }, { "ljmp", "jmp" },
                                            { "xlatb", "xlat" },  { "lgdtw", "lgdt" }, { "lidtw", "lidt" },
                                            { "sgdtw", "sgdt" },  { "sidtw", "sidt" }, { "pushal", "pushad" },
                                            { "popal", "popad" } };
    for (size_t i = 0; i < sizeof(alias) / sizeof(alias[0]); i++)
        if (!strcmp(out, alias[i][0]))
            snprintf(out, n, "%s", alias[i][1]);
    if (!strcmp(out, "xchg") && strstr(text, "ax,ax"))
        snprintf(out, n, "nop"); /* 66 90: objdump spells it as what it is */
    for (char *p = out; *p; p++)
        *p = (char)tolower((unsigned char)*p);
    static const char *const strings[] = { "movs", "stos", "lods", "scas", "cmps", "ins", "outs" };
    for (size_t i = 0; i < sizeof(strings) / sizeof(strings[0]); i++) {
        size_t l = strlen(strings[i]);
        if (!strncmp(out, strings[i], l) && strchr("bwdq", out[l]) && out[l] && !out[l + 1])
            out[l] = 0;
    }
}

struct ref_insn {
    unsigned long off;
    char text[128];
};

/* objdump's instructions of code.bin (a flat binary for machine m). */
static size_t objdump_insns(const char *m, struct ref_insn *out, size_t max)
{
    cr_assert(eq(int, sh("objdump -D -z -b binary -m %s -M intel --no-show-raw-insn code.bin > ref.txt", m), 0));
    FILE *f = open_in_dir("ref.txt", "r");
    cr_assert(f != NULL);
    char line[512];
    size_t n = 0;
    while (n < max && fgets(line, sizeof(line), f)) {
        char *colon = strchr(line, ':');
        char *end;
        unsigned long off = strtoul(line, &end, 16);
        if (!colon || end != colon || line[0] != ' ')
            continue;
        char *t = colon + 1;
        while (*t == ' ' || *t == '\t')
            t++;
        t[strcspn(t, "\n")] = 0;
        if (!*t)
            continue; /* a continuation line of a long instruction's bytes */
        out[n].off = off;
        snprintf(out[n].text, sizeof(out[n].text), "%s", t);
        n++;
    }
    fclose(f);
    return n;
}

static void compare_with_objdump(unsigned bits, const char *machine)
{
    FILE *f = open_in_dir("code.bin", "rb");
    cr_assert(f != NULL);
    static uint8_t code[1 << 20];
    size_t len = fread(code, 1, sizeof(code), f);
    fclose(f);
    static struct ref_insn ref[200000];
    size_t n = objdump_insns(machine, ref, sizeof(ref) / sizeof(ref[0]));
    cr_assert(n > 50, "objdump gave %zu instructions", n);
    struct disasm d;
    cr_assert(eq(int, disasm_init(&d, false), 0));
    size_t compared = 0, mnemonics_differ = 0;
    for (size_t i = 0; i + 1 < n; i++) {
        if (strstr(ref[i].text, "(bad)"))
            continue; /* data between the code: both tools resynchronise differently */
        unsigned want = (unsigned)(ref[i + 1].off - ref[i].off);
        char text[160];
        unsigned got = disasm_one(&d, bits, ref[i].off, code + ref[i].off, len - ref[i].off, text, sizeof(text));
        if (strstr(ref[i + 1].text, "(bad)") || got == 0)
            continue;
        compared++;
        cr_expect(eq(u32, got, want), "at %lx: objdump '%s' is %u bytes, capstone '%s' %u", ref[i].off, ref[i].text,
                  want, text, got);
        char a[64], b[64];
        norm_mnemonic(ref[i].text, a, sizeof(a));
        norm_mnemonic(text, b, sizeof(b));
        if (strcmp(a, b) != 0) {
            mnemonics_differ++;
            if (mnemonics_differ <= 10)
                fprintf(stderr, "disasm: at %lx objdump '%s', capstone '%s'\n", ref[i].off, ref[i].text, text);
        }
    }
    disasm_free(&d);
    cr_assert(compared > 50, "only %zu instructions compared", compared);
    cr_expect(eq(sz, mnemonics_differ, (size_t)0), "%zu of %zu mnemonics differ (printed above)", mnemonics_differ,
              compared);
}

static bool have(const char *tool)
{
    char cmd[200];
    snprintf(cmd, sizeof(cmd), "%s --version >/dev/null 2>&1", tool);
    return system(cmd) == 0;
}

Test(disasm, compiled_32bit_code_agrees_with_objdump)
{
    if (!have("objdump") || !have("gcc") || !have("objcopy"))
        UNIT_SKIP("gcc or binutils are not installed");
    char cwd[400];
    cr_assert(getcwd(cwd, sizeof(cwd)) != NULL);
    /* Popek's own floating-point and CPU code: a large and varied corpus. */
    if (sh("gcc -m32 -O2 -I'%s' -D_DEFAULT_SOURCE -c '%s/cpu/fpu_trans.c' -o a.o && gcc -m32 -O1 -I'%s' "
           "-D_DEFAULT_SOURCE -c '%s/cpu/muldiv.c' -o b.o && ld -m elf_i386 -r a.o b.o -o c.o && "
           "objcopy -O binary -j .text c.o code.bin",
           cwd, cwd, cwd, cwd) != 0)
        UNIT_SKIP("this host's gcc cannot compile 32-bit code");
    compare_with_objdump(32, "i386");
}

static const char real_mode_source[] =
    "bits 16\n"
    "start: cli\n xor ax, ax\n mov ds, ax\n mov es, ax\n mov ss, ax\n mov sp, 0x7c00\n sti\n"
    " mov si, msg\n cld\n"
    "next: lodsb\n or al, al\n jz done\n mov ah, 0x0e\n mov bx, 7\n int 0x10\n jmp next\n"
    "done: mov cx, 16\n rep movsb\n rep stosw\n repne scasb\n repe cmpsw\n insb\n outsw\n"
    " mov ax, [bx+si]\n mov [bp+di+4], cx\n add word [bp-2], 300\n lea dx, [si+0x1234]\n"
    " mov eax, [ebx+ecx*4+8]\n mov es:[di], al\n push cs\n pop ds\n pusha\n popa\n pushf\n popf\n"
    " call far [bx]\n jmp 0x1234:0x5678\n call near done\n retf\n ret 4\n iret\n into\n"
    " in al, 0x60\n out dx, al\n in ax, dx\n xlatb\n aam\n aad\n daa\n das\n aaa\n aas\n"
    " les di, [bx]\n lds si, [bp+2]\n enter 8, 0\n leave\n bound ax, [bx]\n"
    " shl ax, 1\n shr bx, cl\n rol cx, 4\n rcr dx, 1\n sar word [si], 3\n"
    " mul bx\n imul cx\n div word [di]\n idiv byte [bx]\n imul ax, bx, 10\n neg ax\n not bx\n"
    " fld dword [bx]\n fstp qword [si]\n fadd st0, st1\n fmulp st2, st0\n fninit\n fnstsw ax\n fild word [bp]\n"
    " lgdt [bx]\n lidt [si]\n smsw ax\n lmsw ax\n mov eax, cr0\n mov cr0, eax\n clts\n hlt\n"
    " bt ax, 3\n bts word [bx], cx\n bsf ax, bx\n movzx ax, byte [si]\n movsx eax, word [di]\n"
    "back: loop back\n jcxz back\n loope back\n setc al\n cmovz ax, bx\n cpuid\n rdtsc\n wbinvd\n"
    " lock xchg [bx], ax\n cmpxchg [si], cx\n xadd [di], dx\n bswap eax\n ud2\n"
    "msg: db 'hello', 0\n";

/* Real-mode code: the mode a boot sector or DOS program runs in. */
Test(disasm, nasm_16bit_code_agrees_with_objdump)
{
    if (!have("objdump") || system("nasm -v >/dev/null 2>&1") != 0)
        UNIT_SKIP("nasm or binutils are not installed");
    FILE *f = open_in_dir("real.asm", "w");
    cr_assert(f != NULL);
    fputs(real_mode_source, f);
    fclose(f);
    cr_assert(eq(int, sh("nasm -f bin -o code.bin real.asm"), 0));
    compare_with_objdump(16, "i8086");
}

Test(disasm, bad_bytes_and_short_buffers)
{
    struct disasm d;
    cr_assert(eq(int, disasm_init(&d, false), 0));
    char text[64];
    static const uint8_t ud[] = { 0x0F, 0xFF };
    cr_expect(eq(u32, disasm_one(&d, 32, 0, (const uint8_t[]){ 0xB8, 1, 0 }, 3, text, sizeof(text)), 0),
              "mov eax, imm32 cut short");
    cr_expect(eq(str, text, "(bad)"));
    cr_expect(eq(u32, disasm_one(&d, 16, 0, (const uint8_t[]){ 0xB8, 1, 0 }, 3, text, sizeof(text)), 3));
    cr_expect(eq(str, text, "mov ax, 1"));
    disasm_one(&d, 32, 0, ud, sizeof(ud), text, sizeof(text)); /* whatever it is, no crash */
    cr_expect(eq(u32, disasm_one(&d, 32, 0x1000, (const uint8_t[]){ 0xEB, 0xFE }, 2, text, sizeof(text)), 2));
    cr_expect(eq(str, text, "jmp 0x1000"), "a relative target is shown as an address");
    static uint8_t prefixes[20];
    memset(prefixes, 0x66, sizeof(prefixes));
    prefixes[19] = 0x90;
    cr_expect(eq(u32, disasm_one(&d, 32, 0, prefixes, sizeof(prefixes), text, sizeof(text)), 0),
              "longer than 15 bytes: no instruction");
    disasm_free(&d);
    cr_assert(eq(int, disasm_init(&d, true), 0));
    cr_expect(eq(u32, disasm_one(&d, 32, 0, (const uint8_t[]){ 0x89, 0xD8 }, 2, text, sizeof(text)), 2));
    cr_expect(eq(str, text, "movl %ebx, %eax"), "AT&T syntax");
    disasm_free(&d);
}
