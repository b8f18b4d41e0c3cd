; Runs forever (for the signal tests).
%include "rom.inc"
start:  cli
        PUTS msg
.l:     jmp .l
msg:    db "spinning", 10, 0
        ROM_END
