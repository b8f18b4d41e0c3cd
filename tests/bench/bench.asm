; Popek CPU benchmark: a raw 64 KiB firmware image (nasm -f bin).
;
; Runs in real mode with 32-bit operands and, where natural, 32-bit
; addresses (66h/67h prefixes), so it needs a 386 or later.  Each iteration
; of the main loop does integer ALU work and shifts (a xorshift32 generator),
; a dword table lookup, an XLAT byte lookup, a data-dependent branch, string
; instructions (REP STOSD, REP MOVSD, REP MOVSB, LODSB with LOOP), a near
; CALL/RET with PUSH/POP, and a far CALL into a routine in RAM whose
; immediates are patched: every 8th iteration the loop rewrites one
; immediate (through FS) and the routine rewrites another one a few bytes
; ahead of itself (through CS), so a stale decoded-instruction cache gives
; a wrong checksum.  Every 16th iteration adds a MUL and a DIV.
;
; At the end the 32-bit checksum goes to port 0xE9 as eight lowercase hex
; digits and a newline; then CLI; HLT.  tests/bench/bench_ref.c computes the
; same checksum in C: keep the two in step.
;
; The iteration count is ITER (nasm -DITER=n; n >= 1); about 150 guest
; instructions per iteration (REP iterations count one each).

%ifndef ITER
%define ITER 3000000
%endif
%if ITER < 1 || ITER > 0xFFFFFFFF
%error "ITER must be between 1 and 2^32-1"
%endif

        bits 16
        cpu 386
        org 0                   ; the image is segment F000 (F0000-FFFFF)

; Data in RAM, segment DATA_SEG (DS = ES there).
DATA_SEG equ 0x1000
TBL     equ 0x0000              ; 256 dwords: T[k]
SBOX    equ 0x0400              ; 256 bytes: S[k], copied from ROM
BUFA    equ 0x0500              ; 16 dwords
BUFB    equ 0x0540              ; 16 dwords
BUFC    equ 0x0580              ; up to 16 bytes
HVAR    equ 0x0600              ; h: the checksum
XVAR    equ 0x0604              ; x: the xorshift32 state
TVAR    equ 0x0608              ; t: this iteration's table value
ICNT    equ 0x060C              ; i: iterations left, ITER down to 1

SMC_SEG equ 0x2000              ; the patched routine runs here (FS too)
STACK_SEG equ 0x9000

start:
        cli
        cld
        mov ax, STACK_SEG
        mov ss, ax
        mov esp, 0xFFF0

        ; Copy the S-box from ROM to RAM (DS = CS = F000).
        push cs
        pop ds
        mov ax, DATA_SEG
        mov es, ax
        mov si, sbox_rom
        mov di, SBOX
        mov cx, 256 / 4
        rep movsd

        ; Copy the patched routine to SMC_SEG:0000.
        mov ax, SMC_SEG
        mov es, ax
        mov fs, ax
        mov si, smc_start
        xor di, di
        mov cx, smc_end - smc_start
        rep movsb

        mov ax, DATA_SEG
        mov ds, ax
        mov es, ax

        ; T[k] = rotl((k * 0x01000193) ^ 0xA5A5A5A5, k & 31)
        xor ecx, ecx
.gen:   imul eax, ecx, 0x01000193
        xor eax, 0xA5A5A5A5
        rol eax, cl
        mov [ecx*4 + TBL], eax
        inc ecx
        cmp ecx, 256
        jb .gen

        mov dword [XVAR], 0x12345678
        mov dword [HVAR], 0x811C9DC5
        mov dword [ICNT], ITER

main_loop:
        ; x ^= x << 13; x ^= x >> 17; x ^= x << 5
        mov eax, [XVAR]
        mov edx, eax
        shl edx, 13
        xor eax, edx
        mov edx, eax
        shr edx, 17
        xor eax, edx
        mov edx, eax
        shl edx, 5
        xor eax, edx
        mov [XVAR], eax

        ; t = T[x & 255]
        movzx ebx, al
        mov esi, [ebx*4 + TBL]
        mov [TVAR], esi

        ; b = S[(x >> 8) & 255]
        mov bx, SBOX
        push eax
        mov al, ah
        xlatb
        movzx ecx, al
        pop eax

        ; if (x & 0x100) h += t; else h ^= t;  h = rotl(h, 5) + b
        mov edx, [HVAR]
        test ah, 1
        jz .xor_t
        add edx, esi
        jmp .mixed
.xor_t: xor edx, esi
.mixed: rol edx, 5
        add edx, ecx

        ; A[0..15] = x; A[(x >> 20) & 15] = h
        mov di, BUFA
        mov cx, 16
        rep stosd
        mov ebx, eax
        shr ebx, 20
        and ebx, 15
        mov [ebx*4 + BUFA], edx

        ; B = A, with 32-bit addresses and count
        mov esi, BUFA
        mov edi, BUFB
        mov ecx, 16
        a32 rep movsd

        ; n = ((x >> 4) & 15) + 1; copy n bytes from B+3 to C
        mov ecx, eax
        shr ecx, 4
        and ecx, 15
        inc ecx
        push cx
        mov si, BUFB + 3
        mov di, BUFC
        rep movsb
        pop cx

        ; s = C[0] + ... + C[n-1]; h ^= s << 8
        mov esi, BUFC
        xor ebx, ebx
        xor eax, eax
.sum:   a32 lodsb
        add ebx, eax
        a32 loop .sum
        shl ebx, 8
        xor edx, ebx

        ; h = mix(h, B[(x >> 12) & 15])
        mov eax, [XVAR]
        mov ebx, eax
        shr ebx, 12
        and ebx, 15
        mov ecx, [ebx*4 + BUFB]
        call mix

        ; Every 16th iteration: h ^= high(h * x); h += (h / d) ^ (h % d),
        ; d = (x >> 16) | 1
        test byte [ICNT], 15
        jnz .no_div
        mov ebx, edx
        mov eax, edx
        mul dword [XVAR]
        xor ebx, edx
        mov ecx, [XVAR]
        shr ecx, 16
        or ecx, 1
        mov eax, ebx
        xor edx, edx
        div ecx
        xor eax, edx
        add ebx, eax
        mov edx, ebx
.no_div:
        ; h = rotl((h + imm1) ^ imm2, 3) in RAM; every 8th iteration
        ; imm1 = x (patched here) and imm2 = t (patched by the routine).
        mov eax, edx
        test byte [ICNT], 7
        jnz .smc_plain
        mov ecx, [XVAR]
        mov [fs:SMC_IMM1], ecx
        mov ebx, [TVAR]
        call SMC_SEG:SMC_FULL
        jmp .smc_done
.smc_plain:
        call SMC_SEG:SMC_BODY
.smc_done:
        mov [HVAR], eax

        dec dword [ICNT]
        jnz main_loop

        ; Print h as eight hex digits and a newline on port 0xE9.
        mov edx, [HVAR]
        mov bx, hex_digits
        mov cx, 8
.hex:   rol edx, 4
        mov al, dl
        and al, 15
        cs xlatb
        out 0xE9, al
        loop .hex
        mov al, 10
        out 0xE9, al
.halt:  cli
        hlt
        jmp .halt

; edx = rotl(edx ^ ecx, 7) * 9 + 0x6B43A9B5 - ecx
mix:
        push ecx
        xor edx, ecx
        rol edx, 7
        lea edx, [edx + edx*8]
        add edx, 0x6B43A9B5
        pop ecx
        sub edx, ecx
        ret

hex_digits:
        db "0123456789abcdef"

        align 4
sbox_rom:                       ; S[k] = (k * 167 + 13) & 255, a permutation
%assign k 0
%rep 256
        db (k * 167 + 13) & 255
%assign k k + 1
%endrep

; The routine copied to SMC_SEG:0000.  Offsets inside it are taken
; relative to smc_start.  In: eax = h, ebx = new imm2 (SMC_FULL only).
; Out: eax.
smc_start:
smc_full:
        mov [cs:SMC_IMM2], ebx  ; rewrite an instruction a few bytes ahead
        jmp short smc_body      ; a jump, as a real 386/486 needs to see it
smc_body:
        add eax, strict dword 0x01234567
.imm1:
        xor eax, strict dword 0x89ABCDEF
.imm2:
        rol eax, 3
        retf
smc_end:

SMC_FULL equ smc_full - smc_start
SMC_BODY equ smc_body - smc_start
SMC_IMM1 equ smc_body.imm1 - 4 - smc_start
SMC_IMM2 equ smc_body.imm2 - 4 - smc_start

        times 0xFFF0 - ($ - $$) db 0xFF
reset:                          ; F000:FFF0, the reset vector
        jmp 0xF000:start
        times 0x10000 - ($ - $$) db 0xFF
