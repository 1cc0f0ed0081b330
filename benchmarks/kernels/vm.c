/* vm: an interpreter loop, branchy code whose `switch` compiles to br_table. A small stack
 * bytecode machine runs a program (a loop of arithmetic, locals, compares and jumps) for n
 * iterations and returns its accumulator. */
#include "kernel.h"

enum op {
    PUSH, LOAD, STORE, ADD, SUB, MUL, XOR, SHR, AND, DUP, LT, JNZ, JMP, HALT,
};

/* acc = 1; i = n; do { x = i * 7 ^ acc; acc = acc * 33 + (x >> 3) + (i & 255);
 *                      i = i - 1; } while (0 < i); return acc */
static const int32_t program[] = {
    PUSH, 1, STORE, 0,                        /* acc = 1               (local 0) */
    STORE, 1,                                 /* i = n (on the stack)  (local 1) */
    /* loop: pc 6 */
    LOAD, 1, PUSH, 7, MUL, LOAD, 0, XOR, STORE, 2,                  /* x = i * 7 ^ acc */
    LOAD, 0, PUSH, 33, MUL, LOAD, 2, PUSH, 3, SHR, ADD,
    LOAD, 1, PUSH, 255, AND, ADD, STORE, 0,   /* acc = acc * 33 + (x >> 3) + (i & 255) */
    LOAD, 1, PUSH, 1, SUB, DUP, STORE, 1,     /* i = i - 1 */
    PUSH, 0, LT, JNZ, 6,                      /* compare (0 < i), loop */
    LOAD, 0, HALT,
};

static uint32_t execute(const int32_t *code, uint32_t arg) {
    uint32_t stack[16], locals[4];
    int sp = 0, pc = 0;
    stack[sp++] = arg;
    for (;;) {
        uint32_t a, b;
        switch (code[pc++]) {
        case PUSH: stack[sp++] = (uint32_t)code[pc++]; break;
        case LOAD: stack[sp++] = locals[code[pc++]]; break;
        case STORE: locals[code[pc++]] = stack[--sp]; break;
        case ADD: b = stack[--sp]; a = stack[--sp]; stack[sp++] = a + b; break;
        case SUB: b = stack[--sp]; a = stack[--sp]; stack[sp++] = a - b; break;
        case MUL: b = stack[--sp]; a = stack[--sp]; stack[sp++] = a * b; break;
        case XOR: b = stack[--sp]; a = stack[--sp]; stack[sp++] = a ^ b; break;
        case SHR: b = stack[--sp]; a = stack[--sp]; stack[sp++] = a >> (b & 31); break;
        case AND: b = stack[--sp]; a = stack[--sp]; stack[sp++] = a & b; break;
        case DUP: a = stack[sp - 1]; stack[sp++] = a; break;
        case LT: b = stack[--sp]; a = stack[--sp]; stack[sp++] = b < a; break;
        case JNZ: a = stack[--sp]; pc = a ? code[pc] : pc + 1; break;
        case JMP: pc = code[pc]; break;
        default: return stack[sp - 1];
        }
    }
}

uint32_t run(uint32_t n) { return execute(program, n); }
