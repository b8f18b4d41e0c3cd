; Virtual-8086 mode: entering by IRET with VM=1, the IOPL-sensitive
; instructions (#GP(0) to the monitor at IOPL < 3, working at IOPL 3),
; INT n through the IDT at IOPL 3, I/O through the bitmap, and on the
; Pentium and P6 the VME extensions: VIF, and INT n redirected through the
; V86 IVT by the interrupt redirection bitmap.
;
; The monitor is an exception hook: a #GP from V86 mode is logged (opcode
; and error code) and skipped; a HLT ends the V86 run.
%define TEST_NAME "v86"
%define TEST_MODELS "386 486 pentium p6"
%include "lib.inc"

VSEG    equ 0x2000              ; V86 code and data segment (0x20000)
VSS     equ 0x3000
VDATA   equ 0x800               ; data offsets inside VSEG
VLIN    equ VSEG * 16
IOBASE  equ 0x300

; V86 entry, eflags (VM is added)
%macro RUN_V86 2
        push dword %2 | EFL_VM
        push dword %1
        call enter_v86
%endmacro

test_main:
        mov esi, section.v86.start
        mov edi, VLIN
        mov ecx, v86_end - v86_start
        rep movsb
        mov dword [exc_hook], monitor
        SET_GATE 0x31, v86_int, 0xEE
        mov eax, IOBASE
        btr [tss + TSS_IOMAP_OFF], eax          ; port 0x300 allowed

        ; entering, and what V86 sees
        RUN_V86 v_basic, 0x0002
        CHECK_EQ dword [vlog_n], 1, "V86 entered by IRET; HLT leaves through #GP"
        CHECK_EQ dword [vlog], 0xF4, "the #GP was for the HLT"
        movzx eax, word [VLIN + VDATA]
        CHECK_EQ eax, VSEG, "V86: CS is the real-mode style segment"
        movzx eax, word [VLIN + VDATA + 2]
        CHECK_EQ eax, VSEG, "V86: DS as the IRET frame gave it"
        movzx eax, word [VLIN + VDATA + 4]
        CHECK_EQ eax, 0x1234, "V86: code ran and wrote through DS:offset = DS*16+offset"
        movzx eax, word [VLIN + VDATA + 6]
        CHECK_EQ eax, 0xBEEF, "V86: FFFF:0010 reaches linear 0x100000 without a fault"

        ; IOPL 0: every IOPL-sensitive instruction traps
        mov dword [vlog_n], 0
        RUN_V86 v_sensitive, 0x0002
        CHECK_EQ dword [vlog_n], 7, "IOPL 0: CLI STI PUSHF POPF INT n IRET all trap, then HLT"
        CHECK_EQ dword [vlog], 0xFA, "IOPL 0: CLI: #GP"
        CHECK_EQ dword [vlog + 4], 0xFB, "IOPL 0: STI: #GP"
        CHECK_EQ dword [vlog + 8], 0x9C, "IOPL 0: PUSHF: #GP"
        CHECK_EQ dword [vlog + 12], 0x9D, "IOPL 0: POPF: #GP"
        CHECK_EQ dword [vlog + 16], 0xCD, "IOPL 0: INT n: #GP"
        CHECK_EQ dword [vlog + 20], 0xCF, "IOPL 0: IRET: #GP"
        mov eax, [vlog_err]
        or eax, [vlog_err + 4]
        or eax, [vlog_err + 16]
        CHECK_EQ eax, 0, "with error code 0"

        ; IOPL 3: they work; INT n goes through the protected-mode IDT
        mov dword [vlog_n], 0
        mov dword [int_seen], 0
        RUN_V86 v_sensitive3, 0x3002
        CHECK_EQ dword [vlog_n], 1, "IOPL 3: only the HLT traps"
        movzx eax, word [VLIN + VDATA + 8]
        and eax, EFL_IF
        CHECK_EQ eax, 0, "IOPL 3: CLI clears IF"
        movzx eax, word [VLIN + VDATA + 10]
        and eax, EFL_IF
        CHECK_EQ eax, EFL_IF, "IOPL 3: STI sets IF"
        CHECK_EQ dword [int_seen], 1, "IOPL 3: INT n reaches the IDT handler at CPL 0"
        CHECK_EQ dword [int_cs], VSEG, "the handler's frame holds the V86 CS"
        mov eax, [int_flags]
        and eax, EFL_VM
        CHECK_EQ eax, EFL_VM, "and EFLAGS with VM set"
        CHECK_EQ dword [int_ds], 0, "DS is zeroed on entry from V86"
        CHECK_EQ dword [int_fds], VSEG, "the V86 DS is on the stack"
        movzx eax, word [VLIN + VDATA + 12]
        CHECK_EQ eax, 0x5A5A, "IRETD from the handler resumes V86"

        ; I/O through the bitmap: IOPL does not matter, the bitmap does
        mov dword [vlog_n], 0
        RUN_V86 v_io, 0x0002
        CHECK_EQ dword [vlog_n], 2, "V86 I/O: one denied port traps, then HLT"
        CHECK_EQ dword [vlog], 0xEC, "V86 I/O: IN from a denied port: #GP"
        CHECK_EQ dword [vlog_err], 0, "with error code 0"

        cmp byte [model], MPENTIUM
        jb .done
        call vme
.done:  mov dword [exc_hook], 0
        ret

; ---------------------------------------------------------------- VME
vme:
        mov eax, cr4
        or eax, 1               ; VME
        mov cr4, eax
        ; IVT entry 0x30 -> VSEG:v_ivt30
        mov word [0x30 * 4], v_ivt30 - v86_start
        mov word [0x30 * 4 + 2], VSEG
        mov eax, 0x31
        bts [tss + TSS_INTMAP_OFF], eax         ; 0x31 not redirected
        mov dword [vlog_n], 0
        RUN_V86 v_vme, 0x0002 | EFL_IF
        CHECK_EQ dword [vlog_n], 2, "VME, IOPL 0: CLI STI PUSHF POPF do not trap; INT 0x31 (bit set) does, then HLT"
        CHECK_EQ dword [vlog], 0xCD, "VME: INT with its redirection bit set: #GP"
        movzx eax, word [VLIN + VDATA + 14]
        and eax, EFL_IF
        CHECK_EQ eax, 0, "VME: CLI clears VIF, which PUSHF shows as IF"
        movzx eax, word [VLIN + VDATA + 16]
        and eax, EFL_IF
        CHECK_EQ eax, EFL_IF, "VME: STI sets VIF, which PUSHF shows as IF"
        mov eax, [v86_exit_flags]
        and eax, EFL_VIF | EFL_IF
        CHECK_EQ eax, EFL_VIF | EFL_IF, "VME: the real IF stays set; VIF in EFLAGS"
        movzx eax, word [VLIN + VDATA + 18]
        CHECK_EQ eax, 0x3030, "VME: INT 0x30 (bit clear) goes through the V86 IVT"
        movzx eax, word [VLIN + VDATA + 20]
        CHECK_EQ eax, 0x1111, "VME: and IRET returns from it"
        xor eax, eax
        mov cr4, eax
        ret

; ------------------------------------------------------------ monitor
monitor:
        test dword [ebp + FR_EFLAGS], EFL_VM
        jz .not
        cmp dword [ebp + FR_VEC], 13
        jne .not
        movzx eax, word [ebp + FR_CS]
        shl eax, 4
        movzx ebx, word [ebp + FR_EIP]
        movzx ebx, byte [eax + ebx]
        mov ecx, [vlog_n]
        cmp ecx, 16
        jae .full
        mov [vlog + ecx * 4], ebx
        mov edx, [ebp + FR_ERR]
        mov [vlog_err + ecx * 4], edx
        inc dword [vlog_n]
.full:  cmp bl, 0xF4
        je .exit
        mov ecx, 1
        cmp bl, 0xCD
        jne .skip
        mov ecx, 2
.skip:  add [ebp + FR_EIP], cx
        xor eax, eax
        ret
.not:   mov eax, 1
        ret
.exit:  mov eax, [ebp + FR_EFLAGS]
        mov [v86_exit_flags], eax
        mov ax, SEL_DATA0
        mov ss, ax
        mov esp, [v86_saved_esp]
        pop gs
        pop fs
        pop es
        pop ds
        popad
        ret 8

; enter_v86(entry, eflags)
enter_v86:
        pushad
        push ds
        push es
        push fs
        push gs
        mov [v86_saved_esp], esp
        mov eax, [esp + 52]
        mov ebx, [esp + 56]
        push dword 0            ; GS
        push dword 0            ; FS
        push dword VSEG         ; DS
        push dword VSEG         ; ES
        push dword VSS          ; SS
        push dword 0xFFFE       ; ESP
        push ebx
        push dword VSEG
        sub eax, v86_start
        push eax
        iretd

; INT 0x31 from V86 at IOPL 3
v86_int:
        push eax
        mov eax, ds
        and eax, 0xFFFF
        mov [ss:int_ds], eax
        mov eax, [esp + 8]
        mov [ss:int_cs], eax
        mov eax, [esp + 12]
        mov [ss:int_flags], eax
        mov eax, [esp + 28]
        mov [ss:int_fds], eax
        inc dword [ss:int_seen]
        pop eax
        iretd

vlog_n:   dd 0
vlog:     times 16 dd 0
vlog_err: times 16 dd 0
v86_saved_esp: dd 0
v86_exit_flags: dd 0
int_seen: dd 0
int_cs:   dd 0
int_flags: dd 0
int_ds:   dd 0
int_fds:  dd 0

section v86 follows=.data vstart=0
        bits 16
v86_start:
v_basic:
        mov ax, cs
        mov [VDATA], ax
        mov ax, ds
        mov [VDATA + 2], ax
        mov word [VDATA + 4], 0x1234
        mov ax, 0xFFFF          ; FFFF:0x10 + ... = linear 0x100000+: stays in V86 range
        mov es, ax
        mov ax, [es:0x10]
        mov word [VDATA + 6], 0xBEEF
        hlt

v_sensitive:
        cli
        sti
        pushf
        popf
        int 0x30
        iret
        hlt

v_sensitive3:
        cli
        pushf
        pop ax
        mov [VDATA + 8], ax
        sti
        pushf
        pop ax
        mov [VDATA + 10], ax
        cli
        int 0x31
        mov word [VDATA + 12], 0x5A5A
        hlt

v_io:
        mov dx, IOBASE
        in al, dx
        mov dx, IOBASE + 1
        in al, dx
        hlt

v_vme:
        cli
        pushf
        pop ax
        mov [VDATA + 14], ax
        sti
        pushf
        pop ax
        mov [VDATA + 16], ax
        push ax
        popf
        int 0x30
        mov word [VDATA + 20], 0x1111
        int 0x31
        hlt

v_ivt30:
        mov word [VDATA + 18], 0x3030
        iret
v86_end:
