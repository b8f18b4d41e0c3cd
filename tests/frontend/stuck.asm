; Halts with interrupts enabled and nothing to wake it: every interrupt
; source is masked at the PIC, but the RTC keeps ticking once a second.
%include "rom.inc"
start:  cli
        mov al, 0xFF
        out 0x21, al
        out 0xA1, al
        PUTS msg
        sti
.h:     hlt
        jmp .h
msg:    db "halting", 10, 0
        ROM_END
