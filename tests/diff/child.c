/* The native side of the differential harness: a Linux process that
 * executes instruction cases on the host CPU.  Built twice: with -m32 it
 * runs them in 32-bit mode (the case's own bytes), with -m64 in 64-bit mode
 * (the harness sends a 64-bit-mode encoding of the same instruction, see
 * longmode.c, for hosts whose kernel cannot run i386 programs).
 *
 * It maps the code region and the operand area at fixed addresses
 * (proto.h), then reads batches of cases from stdin.  For each case it
 * copies the instruction bytes to DIFF_INSN - lead followed by an indirect
 * jump to native_exit, loads EAX..EDI, ESP and EFLAGS (and the x87 state,
 * for x87 cases), jumps to the instruction, and stores everything back.  A
 * fault or trap (SIGSEGV SIGBUS SIGILL SIGFPE SIGTRAP) is caught on an
 * alternate signal stack; the registers, the vector (trapno) and the error
 * code come from the signal context, and siglongjmp returns to the loop.
 * A taken branch lands on one of the INT3 bytes that fill the code region,
 * which reports where it landed the same way.  The results go to stdout
 * once the whole batch has run.  In 64-bit mode the registers are loaded
 * zero-extended and only their low halves are reported. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include "tests/diff/proto.h"

#if !defined(__linux__) || !(defined(__i386__) || defined(__x86_64__))
#error "child.c is built for x86 Linux (gcc -m32 or -m64)"
#endif

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif

/* Shared with the assembly below, hence global. */
struct nat {
    uint32_t r[8];
    uint32_t eflags;
};
struct nat g_nin, g_nout;
uintptr_t g_saved_sp, g_entry, g_exit_target;
uint32_t g_use_fpu;
uint8_t g_fpu_in[DIFF_FSAVE_SIZE] __attribute__((aligned(16)));
uint8_t g_fpu_out[DIFF_FSAVE_SIZE] __attribute__((aligned(16)));
uint8_t g_scratch[256] __attribute__((aligned(16)));

void run_native(void);
void native_exit(void);

/* run_native: saves the C state, loads the case's state (EFLAGS through the
 * C stack, ESP last) and jumps to the instruction.  native_exit: reached
 * by the jump after the instruction with the case's ESP, which it stores
 * before switching to a scratch stack to save EFLAGS. */
#if defined(__i386__)
#define CHILD_BITS 32u
__asm__(".text\n"
        ".globl run_native\n"
        ".type run_native, @function\n"
        "run_native:\n"
        "  pushal\n"
        "  pushfl\n"
        "  movl %esp, g_saved_sp\n"
        "  cmpl $0, g_use_fpu\n"
        "  je 1f\n"
        "  frstor g_fpu_in\n"
        "1:\n"
        "  pushl g_nin+32\n"
        "  popfl\n"
        "  movl g_nin+0, %eax\n"
        "  movl g_nin+4, %ecx\n"
        "  movl g_nin+8, %edx\n"
        "  movl g_nin+12, %ebx\n"
        "  movl g_nin+20, %ebp\n"
        "  movl g_nin+24, %esi\n"
        "  movl g_nin+28, %edi\n"
        "  movl g_nin+16, %esp\n"
        "  jmp *g_entry\n"
        ".globl native_exit\n"
        ".type native_exit, @function\n"
        "native_exit:\n"
        "  movl %esp, g_nout+16\n"
        "  movl $g_scratch+256, %esp\n"
        "  pushfl\n"
        "  popl g_nout+32\n"
        "  movl %eax, g_nout+0\n"
        "  movl %ecx, g_nout+4\n"
        "  movl %edx, g_nout+8\n"
        "  movl %ebx, g_nout+12\n"
        "  movl %ebp, g_nout+20\n"
        "  movl %esi, g_nout+24\n"
        "  movl %edi, g_nout+28\n"
        "  cmpl $0, g_use_fpu\n"
        "  je 2f\n"
        "  fnsave g_fpu_out\n"
        "2:\n"
        "  movl g_saved_sp, %esp\n"
        "  popfl\n"
        "  popal\n"
        "  ret\n");
#else
#define CHILD_BITS 64u
/* 32-bit loads zero-extend, so every register's upper half is 0: the
 * instruction computes what it would in 32-bit mode, and only the low
 * halves are stored back.  The x87 image has the 32-bit protected-mode
 * layout in 64-bit mode too. */
__asm__(".text\n"
        ".globl run_native\n"
        ".type run_native, @function\n"
        "run_native:\n"
        "  pushq %rbx\n"
        "  pushq %rbp\n"
        "  pushq %r12\n"
        "  pushq %r13\n"
        "  pushq %r14\n"
        "  pushq %r15\n"
        "  pushfq\n"
        "  movq %rsp, g_saved_sp(%rip)\n"
        "  cmpl $0, g_use_fpu(%rip)\n"
        "  je 1f\n"
        "  frstor g_fpu_in(%rip)\n"
        "1:\n"
        "  movl g_nin+32(%rip), %eax\n"
        "  pushq %rax\n"
        "  popfq\n"
        "  movl g_nin+0(%rip), %eax\n"
        "  movl g_nin+4(%rip), %ecx\n"
        "  movl g_nin+8(%rip), %edx\n"
        "  movl g_nin+12(%rip), %ebx\n"
        "  movl g_nin+20(%rip), %ebp\n"
        "  movl g_nin+24(%rip), %esi\n"
        "  movl g_nin+28(%rip), %edi\n"
        "  movl g_nin+16(%rip), %esp\n"
        "  jmp *g_entry(%rip)\n"
        ".globl native_exit\n"
        ".type native_exit, @function\n"
        "native_exit:\n"
        "  movl %esp, g_nout+16(%rip)\n"
        "  leaq g_scratch+256(%rip), %rsp\n"
        "  movl %eax, g_nout+0(%rip)\n"
        "  pushfq\n"
        "  popq %rax\n"
        "  movl %eax, g_nout+32(%rip)\n"
        "  movl %ecx, g_nout+4(%rip)\n"
        "  movl %edx, g_nout+8(%rip)\n"
        "  movl %ebx, g_nout+12(%rip)\n"
        "  movl %ebp, g_nout+20(%rip)\n"
        "  movl %esi, g_nout+24(%rip)\n"
        "  movl %edi, g_nout+28(%rip)\n"
        "  cmpl $0, g_use_fpu(%rip)\n"
        "  je 2f\n"
        "  fnsave g_fpu_out(%rip)\n"
        "2:\n"
        "  movq g_saved_sp(%rip), %rsp\n"
        "  popfq\n"
        "  popq %r15\n"
        "  popq %r14\n"
        "  popq %r13\n"
        "  popq %r12\n"
        "  popq %rbp\n"
        "  popq %rbx\n"
        "  ret\n");
#endif

static sigjmp_buf g_jb;
static volatile struct diff_out g_sig; /* filled by the signal handler */

#if defined(__i386__)
#define G_AX REG_EAX
#define G_CX REG_ECX
#define G_DX REG_EDX
#define G_BX REG_EBX
#define G_SP REG_UESP
#define G_BP REG_EBP
#define G_SI REG_ESI
#define G_DI REG_EDI
#define G_IP REG_EIP
#else
#define G_AX REG_RAX
#define G_CX REG_RCX
#define G_DX REG_RDX
#define G_BX REG_RBX
#define G_SP REG_RSP
#define G_BP REG_RBP
#define G_SI REG_RSI
#define G_DI REG_RDI
#define G_IP REG_RIP
#endif

static void on_signal(int sig, siginfo_t *si, void *ucv)
{
    ucontext_t *uc = ucv;
    const greg_t *g = uc->uc_mcontext.gregs;
    g_sig.r[0] = (uint32_t)g[G_AX];
    g_sig.r[1] = (uint32_t)g[G_CX];
    g_sig.r[2] = (uint32_t)g[G_DX];
    g_sig.r[3] = (uint32_t)g[G_BX];
    g_sig.r[4] = (uint32_t)g[G_SP];
    g_sig.r[5] = (uint32_t)g[G_BP];
    g_sig.r[6] = (uint32_t)g[G_SI];
    g_sig.r[7] = (uint32_t)g[G_DI];
    g_sig.eflags = (uint32_t)g[REG_EFL];
    g_sig.eip = (uint32_t)g[G_IP];
    g_sig.end = DIFF_END_SIGNAL;
    g_sig.signo = (uint32_t)sig;
    g_sig.trapno = (uint32_t)g[REG_TRAPNO];
    g_sig.err = (uint32_t)g[REG_ERR];
    g_sig.addr = (uint32_t)(uintptr_t)si->si_addr;
    if (g_use_fpu && uc->uc_mcontext.fpregs) {
#if defined(__i386__)
        /* The legacy part of the 32-bit signal frame's FPU state is an
         * FSAVE image (struct _libc_fpstate). */
        memcpy(g_fpu_out, uc->uc_mcontext.fpregs, DIFF_FSAVE_SIZE);
#else
        /* The 64-bit frame holds an FXSAVE image, whose tag word is
         * abridged: reload it and let the FPU write the FSAVE image, with
         * the full tag word computed from the registers. */
        __asm__ volatile("fxrstor (%0)\n\tfnsave g_fpu_out(%%rip)" : : "r"(uc->uc_mcontext.fpregs) : "memory");
#endif
    }
    siglongjmp(g_jb, 1);
}

static struct diff_in cases[DIFF_MAX_BATCH];
static uint8_t areas[DIFF_MAX_BATCH][DIFF_AREA_SIZE];
static uint8_t fpus[DIFF_MAX_BATCH][DIFF_FSAVE_SIZE];
static struct diff_out outs[DIFF_MAX_BATCH];
static uint8_t out_areas[DIFF_MAX_BATCH][DIFF_AREA_SIZE];
static uint8_t out_fpus[DIFF_MAX_BATCH][DIFF_FSAVE_SIZE];

static void run_case(unsigned k)
{
    const struct diff_in *in = &cases[k];
    struct diff_out *out = &outs[k];
    unsigned lead = in->lead > in->ncode ? in->ncode : in->lead;
    uint8_t *code = (uint8_t *)(uintptr_t)(DIFF_INSN - lead);
    unsigned n = in->ncode > DIFF_MAXCODE ? DIFF_MAXCODE : in->ncode;
    memcpy(code, in->code, n);
    /* jmp [g_exit_target], 6 bytes in both modes (a taken branch may land
     * just after them): [disp32] in 32-bit mode, [RIP + disp32] in 64-bit
     * mode. */
    unsigned end = n;
    code[end++] = 0xFF;
    code[end++] = 0x25;
#if defined(__i386__)
    uint32_t target = (uint32_t)(uintptr_t)&g_exit_target;
#else
    uint32_t target = (uint32_t)((uintptr_t)&g_exit_target - ((uintptr_t)code + end + 4));
#endif
    memcpy(code + end, &target, 4);
    end += 4;
    if (in->flags & DIFF_IN_MEM)
        memcpy((void *)(uintptr_t)DIFF_AREA, areas[k], DIFF_AREA_SIZE);
    g_use_fpu = (in->flags & DIFF_IN_FPU) != 0;
    if (g_use_fpu)
        memcpy(g_fpu_in, fpus[k], DIFF_FSAVE_SIZE);
    memcpy(g_nin.r, in->r, sizeof(g_nin.r));
    g_nin.eflags = in->eflags;
    g_entry = (uintptr_t)code;
    memset(out, 0, sizeof(*out));
    if (sigsetjmp(g_jb, 1) == 0) {
        run_native();
        memcpy(out->r, g_nout.r, sizeof(out->r));
        out->eflags = g_nout.eflags;
        out->eip = (uint32_t)(uintptr_t)code + n;
        out->end = DIFF_END_NORMAL;
    } else {
        memcpy(out, (const void *)&g_sig, sizeof(*out));
    }
    __asm__ volatile("fninit");
    memset(code, 0xCC, end);
    if (in->flags & DIFF_IN_MEM)
        memcpy(out_areas[k], (const void *)(uintptr_t)DIFF_AREA, DIFF_AREA_SIZE);
    if (g_use_fpu)
        memcpy(out_fpus[k], g_fpu_out, DIFF_FSAVE_SIZE);
}

static void *map_at(uint32_t addr, uint32_t size, int prot)
{
    void *p = mmap((void *)(uintptr_t)addr, size, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p == MAP_FAILED || (uint32_t)(uintptr_t)p != addr)
        return NULL;
    return p;
}

int main(void)
{
    struct diff_hello h = { .magic = DIFF_MAGIC, .version = DIFF_VERSION, .bits = CHILD_BITS };
    uint16_t sel[6];
    __asm__ volatile("movw %%es, %0\n\tmovw %%cs, %1\n\tmovw %%ss, %2\n\t"
                     "movw %%ds, %3\n\tmovw %%fs, %4\n\tmovw %%gs, %5"
                     : "=m"(sel[0]), "=m"(sel[1]), "=m"(sel[2]), "=m"(sel[3]), "=m"(sel[4]), "=m"(sel[5]));
    for (int i = 0; i < 6; i++)
        h.sel[i] = sel[i];
    g_exit_target = (uintptr_t)&native_exit;

    uint8_t *code = map_at(DIFF_CODE, DIFF_CODE_SIZE, PROT_READ | PROT_WRITE | PROT_EXEC);
    uint8_t *region = map_at(DIFF_REGION, DIFF_REGION_SIZE, PROT_READ | PROT_WRITE);
    /* The signal stack must lie outside the range of the cases' ESP values
     * (up to 16 MiB), where a 64-bit static program has its data: with ESP
     * inside the signal stack the kernel would think the handler is already
     * running on it and push the frame at ESP.  mmap places it high. */
    const size_t altsize = 65536;
    void *altstack = mmap(NULL, altsize, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    stack_t ss = { .ss_sp = altstack, .ss_size = altsize, .ss_flags = 0 };
    int ok = code && region && altstack != MAP_FAILED && (uintptr_t)altstack >= 0x01000000u &&
             sigaltstack(&ss, NULL) == 0;
    if (code)
        memset(code, 0xCC, DIFF_CODE_SIZE);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER;
    sigemptyset(&sa.sa_mask);
    static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP };
    for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
        if (sigaction(sigs[i], &sa, NULL) != 0)
            ok = 0;
    h.code = code ? DIFF_CODE : 0;
    h.region = region ? DIFF_REGION : 0;
    h.area = DIFF_AREA;
    h.ok = (uint32_t)ok;
    if (write_full(1, &h, sizeof(h)) != 0 || !ok)
        return 1;

    for (;;) {
        uint32_t count;
        if (read_full(0, &count, sizeof(count)) != 0 || count == 0 || count > DIFF_MAX_BATCH)
            return 0;
        for (unsigned k = 0; k < count; k++) {
            if (read_full(0, &cases[k], sizeof(cases[k])) != 0)
                return 1;
            if ((cases[k].flags & DIFF_IN_MEM) && read_full(0, areas[k], DIFF_AREA_SIZE) != 0)
                return 1;
            if ((cases[k].flags & DIFF_IN_FPU) && read_full(0, fpus[k], DIFF_FSAVE_SIZE) != 0)
                return 1;
        }
        alarm(10); /* a case that never returns kills the child; the harness notices */
        for (unsigned k = 0; k < count; k++)
            run_case(k);
        alarm(0);
        for (unsigned k = 0; k < count; k++) {
            if (write_full(1, &outs[k], sizeof(outs[k])) != 0)
                return 1;
            if ((cases[k].flags & DIFF_IN_MEM) && write_full(1, out_areas[k], DIFF_AREA_SIZE) != 0)
                return 1;
            if ((cases[k].flags & DIFF_IN_FPU) && write_full(1, out_fpus[k], DIFF_FSAVE_SIZE) != 0)
                return 1;
        }
    }
}
