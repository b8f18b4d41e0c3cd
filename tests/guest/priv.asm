; Privilege levels: CPL 3 segment loads, interrupts and call gates with
; stack switches, conforming code, returns to an outer level, interrupt vs
; trap gates, IOPL-sensitive instructions and the I/O permission bitmap.
%define TEST_NAME "priv"
%define TEST_MODELS "386 486 pentium p6"
%include "lib.inc"

S_CG    equ 0x48        ; call gate, DPL 3, to SEL_CODE0:cg_target, 2 dwords
S_CG0   equ 0x50        ; call gate, DPL 0
S_CONF  equ 0x58        ; conforming readable code, DPL 0, flat
S_CGNP  equ 0x60        ; call gate, DPL 3, not present

V_USER  equ 0x40        ; interrupt gate DPL 3
V_KERN  equ 0x41        ; interrupt gate DPL 0
V_INTG  equ 0x42        ; interrupt gate DPL 0 (IF test)
V_TRAPG equ 0x43        ; trap gate DPL 0 (IF test)

IOBASE  equ 0x300       ; ports 0x300-0x31F: nothing there

%macro SET_IO 2         ; port, 0 = allowed / 1 = denied
        mov eax, %1
  %if %2
        bts [tss + TSS_IOMAP_OFF], eax
  %else
        btr [tss + TSS_IOMAP_OFF], eax
  %endif
%endmacro

test_main:
        mov edi, gdt + S_CG
        mov eax, cg_target
        mov bx, SEL_CODE0
        mov ecx, 0x02EC         ; P DPL3 call gate, 2 dwords
        call set_gate_at
        mov edi, gdt + S_CG0
        mov ecx, 0x028C
        call set_gate_at
        mov edi, gdt + S_CGNP
        mov ecx, 0x026C         ; P=0
        call set_gate_at
        SET_DESC S_CONF, 0, 0xFFFFF, 0xC09F
        SET_GATE V_USER, gate_user, 0xEE
        SET_GATE V_KERN, gate_user, 0x8E
        SET_GATE V_INTG, gate_flags, 0x8E
        SET_GATE V_TRAPG, gate_flags, 0x8F

        RUN_RING3 r3_basics
        RUN_RING3 r3_int
        CHECK_EQ dword [g_esp], R0STACK_TOP - 20, "INT from CPL 3: the handler's ESP is TSS.ESP0 minus the 5-dword frame"
        CHECK_EQ dword [g_ss], SEL_DATA0, "INT from CPL 3: the handler's SS is TSS.SS0"
        CHECK_EQ dword [g_frame + 16], SEL_DATA3, "INT from CPL 3 pushes the old SS"
        mov eax, [r3_esp]
        CHECK_EQ dword [g_frame + 12], eax, "INT from CPL 3 pushes the old ESP"
        CHECK_EQ dword [g_frame + 4], SEL_CODE3, "INT from CPL 3 pushes the old CS"
        CHECK_EQ dword [g_frame], r3_int.after, "INT from CPL 3 pushes the EIP after INT n"
        CHECK_EQ dword [g_cs], SEL_CODE0, "the handler runs at CPL 0"

        RUN_RING3 r3_callgate
        CHECK_EQ dword [g_esp], R0STACK_TOP - 24, "call gate with 2 parameters: ESP = TSS.ESP0 - 24"
        CHECK_EQ dword [g_frame], r3_callgate.after, "call gate: the return EIP"
        CHECK_EQ dword [g_frame + 4], SEL_CODE3, "call gate: the return CS"
        CHECK_EQ dword [g_frame + 8], 0x2222, "call gate: parameter 1 copied (the last pushed)"
        CHECK_EQ dword [g_frame + 12], 0x1111, "call gate: parameter 2 copied"
        mov eax, [r3_esp]
        CHECK_EQ dword [g_frame + 16], eax, "call gate: the caller's ESP (at the parameters)"
        CHECK_EQ dword [g_frame + 20], SEL_DATA3, "call gate: the caller's SS"
        CHECK_EQ dword [g_cs], SEL_CODE0, "call gate: the target runs at CPL 0 (gate's selector)"
        CHECK_EQ dword [g_ss], SEL_DATA0, "call gate: the inner SS is TSS.SS0"

        RUN_RING3 r3_conforming
        call retf_outer
        CHECK_EQ dword [r3_fs], 0, "RETF to CPL 3 nulls FS holding DPL 0 data"
        CHECK_EQ dword [r3_es], 0, "RETF to CPL 3 nulls ES holding DPL 0 data"
        CHECK_EQ dword [r3_gs], SEL_DATA3, "RETF to CPL 3 keeps GS holding DPL 3 data"
        CHECK_EQ dword [r3_gs + 4], 0, "IRET to CPL 3 nulls DS holding DPL 0 data"

        call gate_kinds
        RUN_RING3 r3_iopl0
        RUN_RING3 r3_iopl3, 0x3002
        call iobitmap
        ret

; ---------------------------------------------------------- CPL 3 loads
r3_basics:
        mov eax, cs
        and eax, 0xFFFF
        CHECK_EQ eax, SEL_CODE3, "IRET entered CPL 3: CS"
        mov eax, ss
        and eax, 0xFFFF
        CHECK_EQ eax, SEL_DATA3, "IRET entered CPL 3: SS"
        TRY
        mov ax, SEL_DATA0
        mov es, ax
        CATCH
        CHECK_EXC 13, SEL_DATA0, "CPL 3: DPL 0 data into ES: #GP(sel)"
        TRY
        mov ax, SEL_DATA3 & ~3
        mov es, ax
        CATCH
        CHECK_NOEXC "CPL 3: DPL 3 data with RPL 0 into ES loads"
        TRY
        mov ax, SEL_DATA0
        mov ss, ax
        CATCH
        CHECK_EXC 13, SEL_DATA0, "CPL 3: DPL 0 data into SS: #GP(sel)"
        TRY
        mov ax, SEL_DATA3 & ~3
        mov ss, ax
        CATCH
        CHECK_EXC 13, SEL_DATA3 & ~3, "CPL 3: SS with RPL 0 != CPL: #GP(sel)"
        TRY
        mov ax, SEL_CODE0
        mov es, ax
        CATCH
        CHECK_EXC 13, SEL_CODE0, "CPL 3: DPL 0 non-conforming code into ES: #GP(sel)"
        TRY
        mov ax, S_CONF
        mov es, ax
        CATCH
        CHECK_NOEXC "CPL 3: DPL 0 conforming readable code into ES loads"
        TRY
        int3
        CATCH
        CHECK_EXC 13, 3 * 8 + 2, "CPL 3: INT3 through a DPL 0 gate: #GP(vector*8+2)"
        TRY
        ud2
        CATCH
        CHECK_EXC 6, 0, "CPL 3: an exception goes through a DPL 0 gate"
        CHECK_EQ dword [exc_cs], SEL_CODE3, "and the handler sees CS = the CPL 3 selector"
        CHECK_EQ dword [exc_ss], SEL_DATA3, "and the old SS on its stack"
        TRY
        hlt
        CATCH
        CHECK_EXC 13, 0, "CPL 3: HLT: #GP(0)"
        TRY
        mov eax, cr0
        CATCH
        CHECK_EXC 13, 0, "CPL 3: MOV from CR0: #GP(0)"
        TRY
        lgdt [gdt_desc]
        CATCH
        CHECK_EXC 13, 0, "CPL 3: LGDT: #GP(0)"
        TRY
        sgdt [r3_buf]
        CATCH
        CHECK_NOEXC "CPL 3: SGDT is allowed"
        mov ax, SEL_DATA3
        mov es, ax
        ret

; ---------------------------------------------- interrupts from CPL 3
r3_int:
        TRY
        int V_KERN
        CATCH
        CHECK_EXC 13, V_KERN * 8 + 2, "CPL 3: INT n through a DPL 0 gate: #GP(vector*8+2)"
        mov [r3_esp], esp
        int V_USER
.after: ret

gate_user:                      ; CPL 0 on the TSS stack; DS is still the caller's
        push eax
        lea eax, [esp + 4]
        mov [ss:g_esp], eax
        mov eax, ss
        mov [ss:g_ss], eax
        mov eax, cs
        mov [ss:g_cs], eax
        mov eax, [esp + 4]
        mov [ss:g_frame], eax
        mov eax, [esp + 8]
        mov [ss:g_frame + 4], eax
        mov eax, [esp + 12]
        mov [ss:g_frame + 8], eax
        mov eax, [esp + 16]
        mov [ss:g_frame + 12], eax
        mov eax, [esp + 20]
        mov [ss:g_frame + 16], eax
        pop eax
        iretd

; ------------------------------------------------------- call gates
r3_callgate:
        TRY
        call S_CG0:0
        CATCH
        CHECK_EXC 13, S_CG0, "CPL 3: CALL through a DPL 0 call gate: #GP(gate)"
        TRY
        call S_CGNP | 3:0
        CATCH
        CHECK_EXC 11, S_CGNP, "CPL 3: CALL through a not-present call gate: #NP(gate)"
        TRY
        call SEL_CODE0:cg_target
        CATCH
        CHECK_EXC 13, SEL_CODE0, "CPL 3: direct far CALL to DPL 0 non-conforming code: #GP(sel)"
        TRY
        jmp SEL_CODE0:cg_target
        CATCH
        CHECK_EXC 13, SEL_CODE0, "CPL 3: far JMP to DPL 0 non-conforming code: #GP(sel)"
        push dword 0x1111
        push dword 0x2222
        mov [r3_esp], esp
        call S_CG | 3:0         ; the offset is ignored
.after:
        mov eax, [r3_esp]
        add eax, 8
        mov ebx, esp
        CHECK_EQ ebx, eax, "RETF 8 to CPL 3 pops the parameters from the outer stack"
        mov eax, cs
        and eax, 0xFFFF
        CHECK_EQ eax, SEL_CODE3, "RETF through the gate returns to CPL 3"
        mov eax, ss
        and eax, 0xFFFF
        CHECK_EQ eax, SEL_DATA3, "and restores the outer SS"
        ret

cg_target:                      ; CPL 0 through S_CG
        push eax
        lea eax, [esp + 4]
        mov [ss:g_esp], eax
        mov eax, ss
        mov [ss:g_ss], eax
        mov eax, cs
        mov [ss:g_cs], eax
        push esi
        push edi
        push ecx
        lea esi, [esp + 16]
        mov edi, g_frame
        mov ecx, 6
.copy:  mov eax, [ss:esi]
        mov [ss:edi], eax
        add esi, 4
        add edi, 4
        loop .copy
        pop ecx
        pop edi
        pop esi
        pop eax
        retf 8

; ----------------------------------------------------- conforming code
r3_conforming:
        call S_CONF:conf_target
        mov eax, [conf_cs]
        CHECK_EQ eax, S_CONF | 3, "far CALL to DPL 0 conforming code from CPL 3: CPL stays 3 (CS.RPL = 3)"
        mov eax, [conf_ss]
        CHECK_EQ eax, SEL_DATA3, "and no stack switch"
        ret
conf_target:
        mov eax, cs
        and eax, 0xFFFF
        mov [conf_cs], eax
        mov eax, ss
        and eax, 0xFFFF
        mov [conf_ss], eax
        retf

; -------------------------------------------- returns to an outer level
; Enters r3_retf at CPL 3 by RETF with DPL 0 data in ES and FS; it comes
; back through int 0x81 (run_ring3's way back).
retf_outer:
        push dword 0
        push dword 0
        call .go
        ret
.go:    pushad
        push ds
        push es
        push fs
        push gs
        mov [ring3_saved_esp], esp
        mov ax, SEL_DATA0
        mov es, ax
        mov fs, ax
        mov ax, SEL_DATA3
        mov gs, ax
        mov ds, ax
        push dword SEL_DATA3
        push dword USTACK_TOP
        push dword SEL_CODE3
        push dword r3_retf
        retf
r3_retf:
        mov eax, fs
        and eax, 0xFFFF
        mov [r3_fs], eax
        mov eax, es
        and eax, 0xFFFF
        mov [r3_es], eax
        mov eax, gs
        and eax, 0xFFFF
        mov [r3_gs], eax
        int 0x81
        ; not reached

; ------------------------------------------ interrupt vs trap gates
gate_kinds:
        ; IRET to CPL 3 with DS = DPL 0 data: done through a hand-made frame
        push dword 0
        push dword 0
        call .iret3
        jmp gate_kinds_if
.iret3: pushad
        push ds
        push es
        push fs
        push gs
        mov [ring3_saved_esp], esp
        mov ax, SEL_DATA0
        mov ds, ax
        push dword SEL_DATA3
        push dword USTACK_TOP
        push dword 0x0002
        push dword SEL_CODE3
        push dword r3_iret
        iretd
r3_iret:
        mov eax, ds
        and eax, 0xFFFF
        mov [ss:r3_gs + 4], eax
        int 0x81

gate_kinds_if:
        sti
        int V_INTG
        cli
        CHECK_EQ dword [g_flags], 0, "an interrupt gate clears IF"
        sti
        int V_TRAPG
        cli
        CHECK_EQ dword [g_flags], EFL_IF, "a trap gate leaves IF set"
        pushfd
        or dword [esp], EFL_NT
        popfd
        int V_TRAPG             ; the gate clears NT on entry
        CHECK_EQ dword [g_flags + 4], 0, "INT n clears NT in the handler"
        pushfd
        pop eax
        and eax, EFL_NT
        CHECK_EQ eax, EFL_NT, "and IRET restores it"
        pushfd
        and dword [esp], ~EFL_NT
        popfd
        ret

gate_flags:
        push eax
        pushfd
        mov eax, [esp]
        and eax, EFL_IF
        mov [g_flags], eax
        mov eax, [esp]
        and eax, EFL_NT
        mov [g_flags + 4], eax
        popfd
        pop eax
        iretd

; ------------------------------------------------------------- IOPL
r3_iopl0:
        TRY
        cli
        CATCH
        CHECK_EXC 13, 0, "CPL 3, IOPL 0: CLI: #GP(0)"
        TRY
        sti
        CATCH
        CHECK_EXC 13, 0, "CPL 3, IOPL 0: STI: #GP(0)"
        TRY
        pushfd
        pop eax
        CATCH
        CHECK_NOEXC "CPL 3, IOPL 0: PUSHF works"
        and eax, EFL_IOPL3 | EFL_IF
        CHECK_EQ eax, 0, "PUSHF shows IOPL 0, IF 0"
        TRY
        push dword 0x3202       ; IOPL 3, IF 1
        popfd
        CATCH
        CHECK_NOEXC "CPL 3, IOPL 0: POPF does not fault"
        pushfd
        pop eax
        and eax, EFL_IOPL3 | EFL_IF
        CHECK_EQ eax, 0, "CPL 3, IOPL 0: POPF changes neither IF nor IOPL"
        TRY
        in al, 0x80
        CATCH
        CHECK_EXC 13, 0, "CPL 3, IOPL 0: IN from a port the bitmap denies: #GP(0)"
        ret

r3_iopl3:
        TRY
        cli
        CATCH
        CHECK_NOEXC "CPL 3, IOPL 3: CLI works"
        pushfd
        pop eax
        and eax, EFL_IF
        CHECK_EQ eax, 0, "CLI cleared IF"
        TRY
        sti
        CATCH
        CHECK_NOEXC "CPL 3, IOPL 3: STI works"
        pushfd
        pop eax
        cli
        and eax, EFL_IF
        CHECK_EQ eax, EFL_IF, "STI set IF"
        push dword 0x0202       ; IOPL 0, IF 1
        popfd
        pushfd
        pop eax
        cli
        and eax, EFL_IOPL3 | EFL_IF
        CHECK_EQ eax, EFL_IOPL3 | EFL_IF, "CPL 3, IOPL 3: POPF sets IF but cannot change IOPL"
        TRY
        mov dx, IOBASE + 1
        in al, dx
        CATCH
        CHECK_NOEXC "CPL 3, IOPL 3: I/O ignores the bitmap"
        ret

; ------------------------------------------- the I/O permission bitmap
iobitmap:
        SET_IO IOBASE, 0
        SET_IO IOBASE + 2, 0
        SET_IO IOBASE + 3, 0
        SET_IO IOBASE + 7, 0
        SET_IO IOBASE + 8, 0
        SET_IO IOBASE + 0xF, 0
        RUN_RING3 r3_io
        ret

%macro IOTRY 3                  ; instruction, port, expected: 0 ok, 1 #GP
        TRY
        mov dx, %2
        %1
        CATCH
  %if %3
        CHECK_EXC 13, 0, {"CPL 3, IOPL 0: ", %str(%1), " port ", %str(%2), ": #GP(0)"}
  %else
        CHECK_NOEXC {"CPL 3, IOPL 0: ", %str(%1), " port ", %str(%2), " allowed by the bitmap"}
  %endif
%endmacro

r3_io:
        IOTRY {out dx, al}, IOBASE, 0
        IOTRY {in al, dx}, IOBASE, 0
        IOTRY {out dx, al}, IOBASE + 1, 1
        IOTRY {in ax, dx}, IOBASE + 2, 0
        IOTRY {in ax, dx}, IOBASE + 3, 1
        IOTRY {in eax, dx}, IOBASE, 1
        IOTRY {out dx, ax}, IOBASE + 7, 0
        IOTRY {in ax, dx}, IOBASE + 0xF, 1
        IOTRY {in al, dx}, IOBASE + 0x10, 1
        IOTRY {in al, 0x80}, 0x80, 1
        mov edi, r3_buf
        mov ecx, 1
        IOTRY {rep insb}, IOBASE, 0
        mov ecx, 1
        mov esi, r3_buf
        IOTRY {rep outsw}, IOBASE + 3, 1
        ret

g_esp:   dd 0
g_ss:    dd 0
g_cs:    dd 0
g_frame: times 6 dd 0
g_flags: dd 0, 0
r3_esp:  dd 0
r3_fs:   dd 0
r3_es:   dd 0
r3_gs:   dd 0, 0
conf_cs: dd 0
conf_ss: dd 0
r3_buf:  times 16 db 0
