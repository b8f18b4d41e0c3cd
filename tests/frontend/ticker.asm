; Prints "tick" and a newline on port 0xE9 about every million
; instructions, forever (for the monitor's stop/cont test).
%include "rom.inc"
start:  cli
.l:     PUTS msg
        mov ecx, 300000
.d:     dec ecx
        jnz .d
        jmp .l
msg:    db "tick", 10, 0
        ROM_END
