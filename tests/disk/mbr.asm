; A boot sector for the disk tests: SeaBIOS loads it from the IDE disk and
; jumps to 0000:7C00.  Through the BIOS's INT 13h (which drives Popek's ATA
; disk) it reads sector 1 by LBA (AH=42h), writes a message to sector 2
; (AH=43h), reads that back by CHS (AH=02h), and prints what it saw on the
; screen and on port 0xE9; then it halts with interrupts off.
        bits 16
        org 0x7C00
start:  cli
        xor ax, ax
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov sp, 0x7C00
        sti
        mov [drive], dl
        mov si, m_boot
        call print
        ; extended read: sector 1 -> 0000:8000
        mov word [dap_buf], 0x8000
        mov dword [dap_lba], 1
        mov ah, 0x42
        mov si, dap
        mov dl, [drive]
        int 0x13
        jc .rfail
        mov si, m_read
        call print
        mov si, 0x8000
        call print
        jmp .write
.rfail: mov si, m_rfail
        call print
.write: ; extended write: the message -> sector 2
        mov word [dap_buf], m_payload
        mov dword [dap_lba], 2
        mov ax, 0x4300
        mov si, dap
        mov dl, [drive]
        int 0x13
        jc .wfail
        ; CHS read of cylinder 0, head 0, sector 3 (LBA 2) -> 0000:9000
        mov ax, 0x0201
        mov cx, 0x0003
        xor dh, dh
        mov dl, [drive]
        mov bx, 0x9000
        int 0x13
        jc .wfail
        mov si, m_back
        call print
        mov si, 0x9000
        call print
        jmp .done
.wfail: mov si, m_wfail
        call print
.done:  mov si, m_done
        call print
        cli
        hlt
        jmp .done

print:  lodsb                   ; DS:SI, NUL-terminated, to the screen and 0xE9
        test al, al
        jz .r
        out 0xE9, al
        cmp al, 10
        je print
        mov ah, 0x0E
        xor bx, bx
        int 0x10
        jmp print
.r:     ret

dap:    db 16, 0
        dw 1                    ; sectors
dap_buf: dw 0, 0                ; offset, segment
dap_lba: dd 0, 0

drive:  db 0
m_boot: db "disk: booted from the MBR", 13, 10, 0
m_read: db "disk: sector 1: ", 0
m_rfail: db "disk: read failed", 13, 10, 0
m_back: db "disk: sector 2: ", 0
m_wfail: db "disk: write failed", 13, 10, 0
m_done: db "disk: done", 13, 10, 0
m_payload: db "written by the guest", 13, 10, 0

        times 446 - ($ - $$) db 0
        ; one partition entry, so that BIOSes that look see a disk
        db 0x80, 0, 2, 0, 0x83, 0, 63, 0
        dd 1, 2047
        times 510 - ($ - $$) db 0
        dw 0xAA55
