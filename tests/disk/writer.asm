; A boot sector that writes forever (for the crash-safety test): for
; n = 1, 2, ... it writes one sector holding n at LBA n * 16384 +
; (n & 7) * 128 + 128 (mod 2^24, never sector 0: new clusters, every 64 writes a new L2
; table of a qcow2 image with 64 KiB clusters), issues FLUSH CACHE, and
; once the flush is done prints "F <n in hex>" on port 0xE9.  It drives
; the primary ATA disk directly with PIO, interrupts off.
        bits 16
        org 0x7C00
start:  cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7C00
        mov dword [n], 0
.next:  inc dword [n]
        ; the sector: "POPEK n=XXXXXXXX" and n repeated
        mov di, buf
        mov eax, [n]
        mov cx, 128
        rep stosd
        mov si, tag
        mov di, buf
        mov cx, 8
        rep movsb
        ; LBA = (n * 16384 + (n & 7) * 128 + 128) & 0xFFFFFF
        mov eax, [n]
        shl eax, 14
        mov ebx, [n]
        and ebx, 7
        shl ebx, 7
        add eax, ebx
        add eax, 128
        and eax, 0xFFFFFF
        mov [lba], eax
        call bsy
        mov dx, 0x1F6
        mov al, 0xE0
        out dx, al
        mov dx, 0x1F2
        mov al, 1
        out dx, al
        mov eax, [lba]
        mov dx, 0x1F3
        out dx, al
        shr eax, 8
        inc dx
        out dx, al
        shr eax, 8
        inc dx
        out dx, al
        mov dx, 0x1F7
        mov al, 0x30            ; WRITE SECTORS
        out dx, al
.drq:   in al, dx
        test al, 0x80
        jnz .drq
        test al, 0x08
        jz .err
        mov si, buf
        mov cx, 256
        mov dx, 0x1F0
        rep outsw
        call bsy
        test al, 0x01
        jnz .err
        mov dx, 0x1F7
        mov al, 0xE7            ; FLUSH CACHE
        out dx, al
        call bsy
        test al, 0x01
        jnz .err
        ; report: "F " n in hex, newline
        mov al, 'F'
        out 0xE9, al
        mov al, ' '
        out 0xE9, al
        mov ebx, [n]
        mov cx, 8
.hex:   rol ebx, 4
        mov al, bl
        and al, 15
        add al, '0'
        cmp al, '9'
        jbe .d
        add al, 7
.d:     out 0xE9, al
        loop .hex
        mov al, 10
        out 0xE9, al
        jmp .next
.err:   mov al, 'E'
        out 0xE9, al
        mov al, 10
        out 0xE9, al
        hlt
        jmp .err

bsy:    mov dx, 0x1F7           ; waits for BSY clear; AL = status
.w:     in al, dx
        test al, 0x80
        jnz .w
        ret

tag:    db "POPEK n="
n:      dd 0
lba:    dd 0
        times 510 - ($ - $$) db 0
        dw 0xAA55
buf:
