/* The bytecode workload: a small stack machine with a switch dispatch, the
 * inner loop of every script interpreter, running a fixed program: a
 * counted loop that hashes its counter into two variables and calls a
 * subroutine on every fourth step. */
#include "tests/bench/cbench/work.h"

enum op {
    OP_PUSH,  /* push the next byte */
    OP_LOAD,  /* push var[next] */
    OP_STORE, /* var[next] = pop */
    OP_ADD,
    OP_SUB,
    OP_MUL,
    OP_XOR,
    OP_SHL,   /* a << (b & 31) */
    OP_SHR,
    OP_AND,
    OP_DUP,
    OP_JNZ,   /* pop; jump to the next byte when non-zero */
    OP_JMP,
    OP_CALL,  /* push the return address on the call stack */
    OP_RET,
    OP_HALT,
};

/* var0: counter, var1: h, var2: g.
 *   0: loop: h = (h * 33) ^ counter
 *  10:       if ((counter & 3) == 0) call sub
 *  19:       counter = counter - 1; if (counter) goto loop
 *  29:       halt
 *  30: sub:  g = (g << 5) + (g >> 3) + h; ret */
static const uint8_t program[] = {
    OP_LOAD, 1, OP_PUSH, 33, OP_MUL, OP_LOAD, 0, OP_XOR, OP_STORE, 1,
    OP_LOAD, 0, OP_PUSH, 3, OP_AND, OP_JNZ, 19, OP_CALL, 30,
    OP_LOAD, 0, OP_PUSH, 1, OP_SUB, OP_DUP, OP_STORE, 0, OP_JNZ, 0,
    OP_HALT,
    OP_LOAD, 2, OP_PUSH, 5, OP_SHL, OP_LOAD, 2, OP_PUSH, 3, OP_SHR, OP_ADD,
    OP_LOAD, 1, OP_ADD, OP_STORE, 2, OP_RET,
};

static uint32_t run(const uint8_t *code, uint32_t *var)
{
    uint32_t stack[16], calls[4];
    uint32_t sp = 0, csp = 0, pc = 0;
    for (;;) {
        uint8_t op = code[pc++];
        uint32_t a, b;
        switch (op) {
        case OP_PUSH: stack[sp++] = code[pc++]; break;
        case OP_LOAD: stack[sp++] = var[code[pc++]]; break;
        case OP_STORE: var[code[pc++]] = stack[--sp]; break;
        case OP_ADD: b = stack[--sp]; a = stack[--sp]; stack[sp++] = a + b; break;
        case OP_SUB: b = stack[--sp]; a = stack[--sp]; stack[sp++] = a - b; break;
        case OP_MUL: b = stack[--sp]; a = stack[--sp]; stack[sp++] = a * b; break;
        case OP_XOR: b = stack[--sp]; a = stack[--sp]; stack[sp++] = a ^ b; break;
        case OP_SHL: b = stack[--sp]; a = stack[--sp]; stack[sp++] = a << (b & 31); break;
        case OP_SHR: b = stack[--sp]; a = stack[--sp]; stack[sp++] = a >> (b & 31); break;
        case OP_AND: b = stack[--sp]; a = stack[--sp]; stack[sp++] = a & b; break;
        case OP_DUP: a = stack[sp - 1]; stack[sp++] = a; break;
        case OP_JNZ:
            a = stack[--sp];
            pc = a ? code[pc] : pc + 1;
            break;
        case OP_JMP: pc = code[pc]; break;
        case OP_CALL: calls[csp++] = pc + 1; pc = code[pc]; break;
        case OP_RET: pc = calls[--csp]; break;
        case OP_HALT: return var[1] ^ var[2];
        default: return 0xDEADBEEFu; /* a bad program: a wrong checksum */
        }
        /* A broken program must not run off the arrays. */
        sp &= 15;
        csp &= 3;
    }
}

uint32_t work_bytecode(uint32_t seed)
{
    uint32_t var[3] = {96 + (seed & 63), seed, seed >> 7};
    return run(program, var);
}
