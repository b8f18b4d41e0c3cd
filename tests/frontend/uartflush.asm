; Sends 64 bytes on COM1 (8N1 at the reset divisor's 9600 baud), waiting for THRE before
; each as a driver does, then halts at once: the last bytes are still in
; the UART when the run ends, and must reach the host all the same.
%include "rom.inc"
COM1 equ 0x3F8
start:  cli
        mov dx, COM1 + 3        ; 8 data bits, no parity, 1 stop bit
        mov al, 0x03
        out dx, al
        mov cx, 64
        mov bl, '0'
.next:  mov dx, COM1 + 5
.wait:  in al, dx
        test al, 0x20           ; THRE
        jz .wait
        mov dx, COM1
        mov al, bl
        out dx, al
        inc bl
        loop .next
        hlt
        ROM_END
