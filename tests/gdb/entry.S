/* The gdb test kernel's entry: a multiboot (version 1) header, a stack,
 * and a call to kmain(magic, info). */
        .section .multiboot, "a"
        .align 4
        .long 0x1BADB002, 0, -0x1BADB002

        .text
        .globl _start
_start:
        mov $stack_top, %esp
        push %ebx
        push %eax
        call kmain
1:      cli
        hlt
        jmp 1b

        .bss
        .align 16
        .skip 16384
stack_top:
        .section .note.GNU-stack, "", @progbits
