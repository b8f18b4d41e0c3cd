; A firmware image for the reset test: on its first boot it records that in
; CMOS (index 0x40) and triple-faults (an IDT too small for any vector); the
; board resets, and on the second boot it reports on 0xE9 and ends through
; the exit port (status (0 << 1) | 1 = 1).
        bits 16
        org 0
start:  cli
        mov al, 0x40
        out 0x70, al
        in al, 0x71
        cmp al, 0xA5
        je second
        mov al, 0x40
        out 0x70, al
        mov al, 0xA5
        out 0x71, al
        push cs
        pop ds
        mov si, msg1
        call puts
        lidt [cs:tiny_idt]
        int3                    ; #GP, then #DF, then shutdown: the board resets
        hlt
second: push cs
        pop ds
        mov si, msg2
        call puts
        xor al, al
        out 0xF4, al
        hlt
puts:   lodsb
        test al, al
        jz .r
        out 0xE9, al
        jmp puts
.r:     ret
tiny_idt: dw 0
          dd 0
msg1:   db "first boot: triple fault", 10, 0
msg2:   db "second boot after the reset", 10, 0
        times 0xFFF0 - ($ - $$) db 0xFF
        jmp 0xF000:start
        times 0x10000 - ($ - $$) db 0xFF
