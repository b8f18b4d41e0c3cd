; A triple fault: with an empty IDT, INT3 cannot be delivered (#GP), nor
; can the #GP, nor the #DF: the CPU shuts down, which the runner expects.
%define TEST_NAME "triple"
%define TEST_MODELS "386 486 pentium p6"
%define TEST_EXPECT "shutdown"
%include "lib.inc"

test_main:
        TRY
        ud2
        CATCH
        CHECK_EXC 6, 0, "exception delivery works before the triple fault"
        mov eax, cr0
        and eax, 1
        CHECK_EQ eax, 1, "in protected mode"
        lidt [empty_idt]
        int3
        CHECK_EQ 0, 1, "the CPU shut down instead of going on"
        ret

empty_idt:
        dw 0
        dd 0
