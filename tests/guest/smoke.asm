; The library itself: output, checks, exceptions, CPL 3.
%define TEST_NAME "smoke"
%define TEST_MODELS "386 486 pentium p6"
%include "lib.inc"

test_main:
        mov eax, 5
        CHECK_EQ eax, 5, "a register compares equal"
        TRY
        ud2
        CATCH
        CHECK_EXC 6, 0, "ud2 raises #UD"
        TRY
        nop
        CATCH
        CHECK_NOEXC "nop raises nothing"
        RUN_RING3 r3
        CHECK_EQ dword [r3_cs], SEL_CODE3, "CS at CPL 3"
        ret
r3:
        mov ax, cs
        movzx eax, ax
        mov [r3_cs], eax
        CHECK_EQ eax, SEL_CODE3, "check from CPL 3"
        ret
r3_cs: dd 0
