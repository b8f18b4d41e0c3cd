; Popek DOS-style benchmark: a raw 64 KiB firmware image (nasm -f bin).
;
; A real-mode loop that keeps its variables next to its code, as DOS
; programs do (.COM files with their data in the code segment, typed
; constants, hand-written assembly): the firmware copies the program to
; 1000:0100 like a .COM file and runs it there with CS = DS = ES = SS.
; Every iteration writes eight times into the 64-byte granules it is
; executing from: the counters and the checksum just above the loop, an
; immediate patched in the middle of it, a subroutine's call count beside
; that subroutine and a small buffer after the loop's last jump.  An
; emulator that caches decoded instructions by granule must throw the
; granule's decoded code away on each of those writes, or at least find
; quickly that the write touched no instruction, so this measures that.
; 8086 instructions only, so every CPU model runs it.
;
; At the end the 32-bit checksum goes to port 0xE9 as eight lowercase hex
; digits and a newline; then CLI; HLT.  tests/bench/dosloop_ref.c computes
; the checksum and the instruction count in C: keep the two in step.
;
; The iteration count is ITER (nasm -DITER=n; 1 <= n < 2^32); about 42
; guest instructions an iteration (REP iterations count one each).

%ifndef ITER
%define ITER 2000000
%endif
%if ITER < 1 || ITER > 0xFFFFFFFF
%error "ITER must be between 1 and 2^32-1"
%endif

        bits 16
        cpu 8086
        section rom start=0 vstart=0    ; the image is segment F000

PROG_SEG equ 0x1000

start:
        cli
        cld
        mov ax, PROG_SEG
        mov es, ax
        mov ss, ax
        mov sp, 0xFFFE
        push cs
        pop ds
        mov si, section.prog.start   ; its bytes in this image
        mov di, 0x100
        mov cx, prog_len
        rep movsb
        mov ds, ax
        jmp PROG_SEG:0x100

        section prog follows=rom align=1 vstart=0x100
prog:
        mov word [cnt_lo], ITER & 0xFFFF
        mov word [cnt_hi], ITER >> 16
        jmp short top
cnt_lo: dw 0                    ; iterations left, a 32-bit count
cnt_hi: dw 0
h_lo:   dw 0x9DC5               ; the checksum h = h_hi:h_lo
h_hi:   dw 0x811C
seed:   dw 0x1234               ; a 16-bit LCG's state

top:
        ; seed = seed * 25173 + 13849
        mov ax, [seed]
        mov dx, 25173
        mul dx
        add ax, 13849
        mov [seed], ax
        ; h_lo += seed; h_hi ^= h_lo
        add [h_lo], ax
        mov bx, [h_lo]
        xor [h_hi], bx
        ; a branch on the data: bit 8 of seed
        test ah, 1
        jz .even
        xor word [h_lo], 0x5A5A
        jmp short .joined
.even:  add word [h_hi], 0x3C3C
.joined:
        ; patch the immediate of the MOV below with seed's bytes swapped
        mov cx, ax
        xchg ch, cl
        mov [patch + 1], cx
        jmp short patch         ; a jump, as the 8086's prefetch queue needs
patch:  mov bx, strict word 0
        add [h_lo], bx
        ; rotate h left by one bit, as a pair of words
        shl word [h_lo], 1
        rcl word [h_hi], 1
        adc word [h_lo], 0
        call counter_sub
        ; copy h_lo, h_hi and seed into the buffer after the loop, then
        ; h_hi += h_lo ^ seed from the copy
        mov si, h_lo
        mov di, buf
        mov cx, 3
        rep movsw
        mov ax, [buf]
        xor ax, [buf + 4]
        add [h_hi], ax
        ; the 32-bit counter
        sub word [cnt_lo], 1
        sbb word [cnt_hi], 0
        mov ax, [cnt_lo]
        or ax, [cnt_hi]
        jz done
        jmp top
buf:    times 6 db 0

; The low byte of h_hi ^= table[++calls & 15], the count kept beside it.
counter_sub:
        inc word [calls]
        mov bx, [calls]
        and bx, 15
        mov al, [sub_table + bx]
        xor [h_hi], al
        ret
calls:  dw 0
sub_table:
%assign k 0
%rep 16
        db (k * 37 + 11) & 255
%assign k k + 1
%endrep

; Print h as eight hex digits and a newline on port 0xE9.
done:
        mov bx, hex_digits
        mov ax, [h_hi]
        call print4
        mov ax, [h_lo]
        call print4
        mov al, 10
        out 0xE9, al
.halt:  cli
        hlt
        jmp .halt

; AX as four hex digits.
print4:
        mov dx, ax
        mov cx, 4
.digit: push cx
        mov cl, 4
        rol dx, cl
        pop cx
        mov al, dl
        and al, 15
        xlatb
        out 0xE9, al
        loop .digit
        ret

hex_digits:
        db "0123456789abcdef"
prog_end:

prog_len equ prog_end - prog

        section reset start=0xFFF0 vstart=0xFFF0
reset:                          ; F000:FFF0, the reset vector
        jmp 0xF000:start
        times 0x10000 - 0xFFF0 - ($ - reset) db 0xFF
