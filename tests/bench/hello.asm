; Smoke test: a raw 64 KiB firmware image (nasm -f bin) that prints
; "Hello from Popek" and a newline on the 0xE9 debug console, then halts.
; Only 8086 instructions, so it runs on every CPU model.

        bits 16
        cpu 8086
        org 0                   ; the image is segment F000 (F0000-FFFFF)

start:
        cli
        cld
        push cs
        pop ds
        mov si, msg
        mov cx, msg_end - msg
.next:  lodsb
        out 0xE9, al
        loop .next
.halt:  hlt
        jmp .halt

msg:    db "Hello from Popek", 10
msg_end:

        times 0xFFF0 - ($ - $$) db 0xFF
reset:                          ; F000:FFF0, the reset vector
        jmp 0xF000:start
        times 0x10000 - ($ - $$) db 0xFF
