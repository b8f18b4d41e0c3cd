; A REP MOVSB that overwrites itself, and the code after it, while it runs.
; The CPU keeps executing the instruction it decoded, so all CX bytes are
; copied and execution goes on in the new bytes after it (SDM vol. 3,
; 11.6: a write to the instruction being executed takes effect for later
; fetches).  Popek must give this result however its run is cut: by
; --slice N, and by timer deadlines, which the PIT here makes frequent
; (interrupts stay off, so none is taken and nothing may re-fetch).
; Prints "REP-SMC OK" or "REP-SMC BAD" on port 0xE9 and halts.
        bits 16
        org 0xF000

RAM       equ 0x1000
PATCH_LEN equ 600
%define R(x) (RAM + (x) - routine)

start:  cli
        cld
        xor ax, ax
        mov ss, ax
        mov sp, 0x7000
        mov es, ax
        push cs
        pop ds
        mov si, routine
        mov di, RAM
        mov cx, routine_end - routine
        rep movsb
        mov al, 0x34            ; PIT channel 0, mode 2, count 2: a deadline
        out 0x43, al            ; every 1.7 us of guest time
        mov al, 2
        out 0x40, al
        xor al, al
        out 0x40, al
        xor ax, ax
        mov ds, ax
        jmp 0:RAM

; Copied to 0000:1000 and run there (R() gives an address in the copy).
routine:
        mov si, R(patch)
        mov di, R(rep_at)
        mov cx, PATCH_LEN
rep_at: rep movsb
        times PATCH_LEN - 2 db 0xF4     ; overwritten before it can run
done:   test cx, cx
        jnz bad
        cmp si, R(patch) + PATCH_LEN
        jne bad
        cmp di, R(rep_at) + PATCH_LEN
        jne bad
        mov si, R(patch)
        mov di, R(rep_at)
        mov cx, PATCH_LEN
        repe cmpsb
        jne bad
        mov si, R(msg_ok)
        jmp print
bad:    mov si, R(msg_bad)
print:  lodsb
        test al, al
        jz .end
        out 0xE9, al
        jmp print
.end:   hlt
msg_ok:  db "REP-SMC OK", 10, 0
msg_bad: db "REP-SMC BAD", 10, 0
; What the REP writes over itself: two NOPs where F3 A4 was, a jump to
; done, and halts.
patch:  nop
        nop
        db 0xE9                 ; jmp near done
        dw done - (rep_at + 5)
        times PATCH_LEN - 5 db 0xF4
routine_end:

        times 0xFF0 - ($ - $$) db 0xF4
        jmp 0xF000:start
        times 0x1000 - ($ - $$) db 0xF4
