; A graphics test guest: an option ROM that SeaBIOS runs after the VGA
; BIOS (popek --option-rom, fw_cfg genroms/).  Built once per mode with
; nasm -DMODE=13 | 12 | 0x58 (mode X) | 0x132 (VBE 640x480x32): it sets
; the mode through INT 10h, programs its own palette, draws a pattern
; that tests/display/gfxcheck.py computes independently, says on port
; 0xE9 what it did, and idles for good (sti; hlt) so that a screendump
; taken later shows exactly this frame.
;
; Patterns (x, y from the top left):
;   13h, mode X  index = 13h: (x + 2y) & 255, X: (x ^ y) & 255
;                DAC[i] = (i & 63, (i >> 2) & 63, (255 - i) >> 2)
;   12h          colour = ((x >> 3) + (y >> 4)) & 15, drawn with set/reset
;                attribute palette i -> i, DAC[i] = (4i, 63 - 4i, 63 * (i & 1))
;   VBE          (640x480 or 1280x1024)
;                pixel = (x & 255) << 16 | (y & 255) << 8 | ((x + y) & 255),
;                through the linear framebuffer, in unreal mode
bits 16
org 0

%ifndef MODE
%define MODE 13
%endif
; The VBE variants: 0x132 is 640x480x32, 0x13A 1280x1024x32 (names of our
; own; the guest looks the mode up in the VBE mode list).
%if MODE == 0x13A
%define XRES 1280
%define YRES 1024
%else
%define XRES 640
%define YRES 480
%endif

rom_start:
    db 0x55, 0xAA
    db 0                    ; size in 512-byte blocks: set by romsum.py
    jmp near init           ; the init entry, at offset 3

say:                        ; prints the NUL-terminated string at CS:SI on 0xE9
    push ax
.next:
    cs lodsb
    test al, al
    jz .done
    out 0xE9, al
    jmp .next
.done:
    pop ax
    ret

; DAC entries 0-255 for the 256-colour modes.
dac256:
    mov dx, 0x3C8
    xor al, al
    out dx, al
    inc dx
    xor cx, cx
.e: mov al, cl
    and al, 63
    out dx, al
    mov al, cl
    shr al, 2
    and al, 63
    out dx, al
    mov al, 255
    sub al, cl
    shr al, 2
    out dx, al
    inc cx
    cmp cx, 256
    jb .e
    ret

init:
    cld
%if MODE == 13
    mov ax, 0x0013
    int 0x10
    call dac256
    mov ax, 0xA000
    mov es, ax
    xor di, di
    xor dx, dx              ; y
.y: xor cx, cx              ; x
.x: mov ax, dx
    shl ax, 1
    add ax, cx
    stosb
    inc cx
    cmp cx, 320
    jb .x
    inc dx
    cmp dx, 200
    jb .y
    mov si, msg13
    call say

%elif MODE == 0x58
    mov ax, 0x0013
    int 0x10
    ; Unchain: sequencer memory mode 06h (chain-4 and odd/even off), CRTC
    ; underline 00h (no doubleword addressing), mode control E3h (bytes).
    mov dx, 0x3C4
    mov ax, 0x0604
    out dx, ax
    mov dx, 0x3D4
    mov ax, 0x0014
    out dx, ax
    mov ax, 0xE317
    out dx, ax
    call dac256
    mov ax, 0xA000
    mov es, ax
    xor bx, bx              ; plane
.p: mov dx, 0x3C4           ; map mask = 1 << plane
    mov al, 2
    mov ah, 1
    mov cl, bl
    shl ah, cl
    out dx, ax
    xor di, di
    xor dx, dx              ; y
.y: mov cx, bx              ; x = 4 * i + plane
.x: mov ax, cx
    xor ax, dx
    stosb
    add cx, 4
    cmp cx, 320
    jb .x
    inc dx
    cmp dx, 200
    jb .y
    inc bx
    cmp bx, 4
    jb .p
    mov si, msgx
    call say

%elif MODE == 12
    mov ax, 0x0012
    int 0x10
    mov dx, 0x3DA           ; attribute palette 0-15 = identity
    in al, dx
    mov dx, 0x3C0
    xor cx, cx
.ap: mov al, cl
    out dx, al
    out dx, al
    inc cx
    cmp cx, 16
    jb .ap
    mov al, 0x20            ; palette address source: the screen again
    out dx, al
    mov dx, 0x3C8           ; DAC 0-15
    xor al, al
    out dx, al
    inc dx
    xor cx, cx
.d: mov al, cl
    shl al, 2
    out dx, al
    mov al, 63
    mov ah, cl
    shl ah, 2
    sub al, ah
    out dx, al
    mov al, cl
    and al, 1
    mov ah, 63
    mul ah
    out dx, al
    inc cx
    cmp cx, 16
    jb .d
    mov dx, 0x3CE           ; enable set/reset on all planes
    mov ax, 0x0F01
    out dx, ax
    mov ax, 0xA000
    mov es, ax
    xor di, di
    xor bx, bx              ; y
.y: xor cx, cx              ; byte column
.c: mov ax, bx
    shr ax, 4
    add ax, cx
    and al, 15
    mov ah, al              ; set/reset = colour
    mov al, 0
    mov dx, 0x3CE
    out dx, ax
    mov al, [es:di]         ; load the latches (not needed with set/reset on all planes)
    mov byte [es:di], 0xFF
    inc di
    inc cx
    cmp cx, 80
    jb .c
    inc bx
    cmp bx, 480
    jb .y
    mov ax, 0x0001          ; set/reset off again
    out dx, ax
    mov si, msg12
    call say

%elif MODE == 0x4D ; the PS/2 mouse, through the BIOS (INT 15h C2xxh)
    mov ax, 0xC205          ; initialise, 3-byte packets
    mov bh, 3
    int 0x15
    jc .fail
    push cs
    pop es
    mov bx, mouse_handler
    mov ax, 0xC207          ; the handler the BIOS calls per packet
    int 0x15
    jc .fail
    mov ax, 0xC200          ; enable
    mov bh, 1
    int 0x15
    jc .fail
    mov si, msgmouse
    call say
    jmp .done
.fail:
    mov si, msgmfail
    call say
.done:

%else ; VBE
    mov ax, 0x5000
    mov es, ax
    xor di, di
    mov dword [es:di], 'VBE2'
    mov ax, 0x4F00
    int 0x10
    cmp ax, 0x004F
    jne .fail
    lfs si, [es:0x0E]       ; the mode list
.m: mov cx, [fs:si]
    cmp cx, 0xFFFF
    je .fail
    add si, 2
    push si
    mov di, 0x200
    mov ax, 0x4F01
    int 0x10
    pop si
    cmp ax, 0x004F
    jne .m
    cmp word [es:0x200 + 0x12], XRES
    jne .m
    cmp word [es:0x200 + 0x14], YRES
    jne .m
    cmp byte [es:0x200 + 0x19], 32
    jne .m
    test byte [es:0x200], 0x80  ; a linear framebuffer
    jz .m
    mov bx, cx
    or bx, 0x4000
    mov ax, 0x4F02
    int 0x10
    cmp ax, 0x004F
    jne .fail
    ; Unreal mode: FS gets a flat 4 GiB data segment.
    cli
    sub sp, 6
    mov bp, sp
    mov word [ss:bp], gdt_end - gdt - 1
    xor eax, eax
    mov ax, cs
    shl eax, 4
    add eax, gdt
    mov [ss:bp + 2], eax
    lgdt [ss:bp]
    add sp, 6
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp .pm
.pm: mov bx, 8
    mov fs, bx
    and al, 0xFE
    mov cr0, eax
    jmp .rm
.rm: mov edi, [es:0x200 + 0x28]  ; PhysBasePtr
    movzx esi, word [es:0x200 + 0x10] ; BytesPerScanLine
    xor edx, edx            ; y
.y: push edi
    xor ecx, ecx            ; x
.x: mov eax, ecx
    and eax, 0xFF
    shl eax, 8
    mov al, dl
    shl eax, 8
    mov bl, cl
    add bl, dl
    mov al, bl
    mov [fs:edi], eax
    add edi, 4
    inc ecx
    cmp ecx, XRES
    jb .x
    pop edi
    add edi, esi
    inc edx
    cmp edx, YRES
    jb .y
    mov si, msgvbe
    call say
    jmp .done
.fail:
    mov si, msgfail
    call say
.done:
%endif

.idle:
    sti
    hlt
    jmp .idle

%if MODE == 0x4D
; Called far by the BIOS with the status, X, Y and a zero word pushed in
; that order; prints "mouse: SS XX YY" (hex) on port 0xE9.
mouse_handler:
    push bp
    mov bp, sp
    push ax
    push si
    mov si, msgpkt
    call say
    mov al, [bp + 12]
    call hex8
    mov al, ' '
    out 0xE9, al
    mov al, [bp + 10]
    call hex8
    mov al, ' '
    out 0xE9, al
    mov al, [bp + 8]
    call hex8
    mov al, 10
    out 0xE9, al
    pop si
    pop ax
    pop bp
    retf

hex8:
    push ax
    shr al, 4
    call .digit
    pop ax
    and al, 15
.digit:
    push ax
    add al, '0'
    cmp al, '9'
    jbe .out
    add al, 'A' - '9' - 1
.out:
    out 0xE9, al
    pop ax
    ret

msgmouse: db "gfx: mouse enabled", 10, 0
msgmfail: db "gfx: the BIOS refused the PS/2 mouse", 10, 0
msgpkt: db "mouse: ", 0
%endif

%if MODE != 13 && MODE != 12 && MODE != 0x58 && MODE != 0x4D
align 8
gdt:
    dq 0
    dq 0x00CF92000000FFFF   ; flat data, 4 GiB, writable
gdt_end:
%endif

msg13: db "gfx: mode 13h drawn", 10, 0
msgx: db "gfx: mode X drawn", 10, 0
msg12: db "gfx: mode 12h drawn", 10, 0
%defstr XS XRES
%defstr YS YRES
msgvbe: db "gfx: VBE ", XS, "x", YS, "x32 drawn", 10, 0
msgfail: db "gfx: no VBE ", XS, "x", YS, "x32 mode with a linear framebuffer", 10, 0

    align 512, db 0
