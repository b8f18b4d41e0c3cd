; Jumps to memory nothing answers (8000:0000 with 256 KiB of RAM: no RAM,
; ROM or device there): a PC
; fetches FFh bytes there, and FF FF is #UD, whose handler reports it.
%include "rom.inc"
start:  cli
        xor ax, ax
        mov ds, ax
        mov ss, ax
        mov sp, 0x7000
        mov word [6 * 4], ud_handler
        mov word [6 * 4 + 2], 0xF000
        jmp 0x8000:0x0000
ud_handler:
        pop ax                  ; IP of the faulting instruction
        pop bx                  ; its CS
        cmp ax, 0
        jne .bad
        cmp bx, 0x8000
        jne .bad
        PUTS ok
        hlt
.bad:   PUTS bad
        hlt
ok:     db "#UD at 8000:0000", 10, 0
bad:    db "#UD from an unexpected address", 10, 0
        ROM_END
