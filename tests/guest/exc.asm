; Exceptions: vectors, error codes and the saved EIP (faults point at the
; instruction, traps after it), the debug exceptions (TF, DR0-DR3/DR7,
; DR6, RF, INT1), #NM, delivery through not-present and out-of-limit IDT
; entries, the double fault, and #AC.
%define TEST_NAME "exc"
%define TEST_MODELS "386 486 pentium p6"
%include "lib.inc"

S_NP    equ 0x48        ; data, not present

test_main:
        SET_DESC S_NP, 0, 0xFFFFF, 0xC013
        call simple
        call debug
        call fpu
        call delivery
        cmp byte [model], M486
        jb .no_ac
        call alignment
.no_ac:
        ret

; ------------------------------------------------ faults and traps
simple:
        TRY
        xor edx, edx
        mov eax, 1
        xor ecx, ecx
.de:    div ecx
        CATCH
        CHECK_EXC 0, 0, "DIV by zero: #DE"
        CHECK_EQ dword [exc_eip], simple.de, "#DE is a fault: EIP of the DIV"
        TRY
        mov eax, 0x80000000
        cdq
        mov ecx, -1
        idiv ecx
        CATCH
        CHECK_EXC 0, 0, "IDIV overflow (0x80000000 / -1): #DE"
        TRY
        int3
.bp:    CATCH
        CHECK_EXC 3, 0, "INT3: #BP"
        CHECK_EQ dword [exc_eip], simple.bp, "#BP is a trap: EIP after INT3"
        TRY
        int 3
.bp2:   CATCH
        CHECK_EQ dword [exc_eip], simple.bp2, "INT 3 (CD 03): EIP after the 2-byte instruction"
        TRY
        mov al, 0x7F
        add al, 1               ; OF=1
        into
.of:    CATCH
        CHECK_EXC 4, 0, "INTO with OF=1: #OF"
        CHECK_EQ dword [exc_eip], simple.of, "#OF is a trap: EIP after INTO"
        TRY
        xor eax, eax            ; OF=0
        into
        CATCH
        CHECK_NOEXC "INTO with OF=0: nothing"
        TRY
        mov eax, 11
.br:    bound eax, [bounds]
        CATCH
        CHECK_EXC 5, 0, "BOUND out of range: #BR"
        CHECK_EQ dword [exc_eip], simple.br, "#BR is a fault: EIP of the BOUND"
        TRY
        mov eax, 10
        bound eax, [bounds]
        CATCH
        CHECK_NOEXC "BOUND at the upper bound: nothing"
        TRY
.ud:    ud2
        CATCH
        CHECK_EXC 6, 0, "UD2: #UD"
        CHECK_EQ dword [exc_eip], simple.ud, "#UD is a fault: EIP of the UD2"
        TRY
        lock nop
        CATCH
        CHECK_EXC 6, 0, "LOCK NOP: #UD"
        TRY
        db 0xF0, 0x01, 0xD8     ; lock add eax, ebx (register destination)
        CATCH
        CHECK_EXC 6, 0, "LOCK ADD with a register destination: #UD"
        TRY
        db 0xF0, 0x89, 0x05     ; lock mov [var], eax
        dd lockvar
        CATCH
        CHECK_EXC 6, 0, "LOCK MOV: #UD"
        TRY
        lock add [lockvar], eax
        CATCH
        CHECK_NOEXC "LOCK ADD to memory is allowed"
        TRY
        db 0x0F, 0x20, 0xC8     ; mov eax, cr1
        CATCH
        CHECK_EXC 6, 0, "MOV from CR1: #UD"
        TRY
        mov ax, S_NP
        mov es, ax
        CATCH
        CHECK_EXC 11, S_NP, "a not-present segment: #NP(sel)"
        mov ax, SEL_DATA0
        mov es, ax
        ret

; ------------------------------------------------------ #DB
; The hooks: a single-step #DB stops single-stepping, an instruction
; breakpoint resumes with RF set so the instruction runs once.
hook_clear_tf:
        and dword [ebp + FR_EFLAGS], ~EFL_TF
        mov eax, dr6
        mov [dr6_seen], eax
        mov eax, 1
        ret
hook_rf:
        or dword [ebp + FR_EFLAGS], EFL_RF
        mov eax, dr6
        mov [dr6_seen], eax
        xor eax, eax
        ret

debug:
        ; single step
        xor eax, eax
        mov dr6, eax
        mov dword [exc_hook], hook_clear_tf
        TRY
        pushfd
        or dword [esp], EFL_TF
        popfd
        mov eax, 1              ; the first instruction with TF set
.ss:    nop
        nop
        CATCH
        mov dword [exc_hook], 0
        CHECK_EXC 1, 0, "TF: single-step #DB"
        CHECK_EQ dword [exc_eip], debug.ss, "the single-step trap comes after the first instruction"
        mov eax, [dr6_seen]
        and eax, 0x4000
        CHECK_EQ eax, 0x4000, "DR6.BS is set"

        ; instruction breakpoint on DR0, resumed with RF
        xor eax, eax
        mov dr6, eax
        mov dword [bp_count], 0
        mov eax, debug.target
        mov dr0, eax
        mov eax, 0x00000001 | 0x300   ; L0, execute, LE GE
        mov dr7, eax
        mov dword [exc_hook], hook_rf
        mov dword [exc_count], 0
        mov dword [exc_vec], NOEXC
.target:
        inc dword [bp_count]
        xor eax, eax
        mov dr7, eax
        mov dword [exc_hook], 0
        CHECK_EQ dword [exc_vec], 1, "DR0 execute breakpoint: #DB"
        CHECK_EQ dword [exc_eip], debug.target, "an instruction breakpoint is a fault: EIP of the instruction"
        CHECK_EQ dword [exc_count], 1, "with RF set on return it does not trigger again"
        CHECK_EQ dword [bp_count], 1, "and the instruction runs once"
        mov eax, [dr6_seen]
        and eax, 0x400F
        CHECK_EQ eax, 1, "DR6 shows B0 only"

        ; data write breakpoint on DR1
        xor eax, eax
        mov dr6, eax
        mov eax, watched
        mov dr1, eax
        mov eax, 0x00000004 | 0x300 | (01b << 20) | (11b << 22)   ; L1, write, 4 bytes
        mov dr7, eax
        mov dword [exc_hook], hook_rf
        TRY
        mov eax, [watched]
        CATCH
        CHECK_NOEXC "a write breakpoint does not trigger on a read"
        TRY
        mov dword [watched + 2], 5      ; overlaps the watched dword
.wr:    nop
        CATCH
        CHECK_EXC 1, 0, "DR1 write breakpoint: #DB"
        CHECK_EQ dword [exc_eip], debug.wr, "a data breakpoint is a trap: EIP after the write"
        CHECK_EQ dword [watched + 2], 5, "the write was done"
        mov eax, [dr6_seen]
        and eax, 0x400F
        CHECK_EQ eax, 2, "DR6 shows B1 only"
        ; read/write breakpoint, 2 bytes
        xor eax, eax
        mov dr6, eax
        mov eax, 0x00000004 | 0x300 | (11b << 20) | (01b << 22)
        mov dr7, eax
        TRY
        mov al, [watched + 1]
.rd:    nop
        CATCH
        CHECK_EXC 1, 0, "DR1 read/write breakpoint triggers on a read"
        CHECK_EQ dword [exc_eip], debug.rd, "after the read"
        TRY
        mov al, [watched + 2]
        CATCH
        CHECK_NOEXC "a 2-byte breakpoint does not cover the third byte"
        xor eax, eax
        mov dr7, eax
        mov dword [exc_hook], 0

        ; DR7 enable bits: a breakpoint with L and G clear does nothing
        mov eax, debug.target2
        mov dr0, eax
        mov eax, 0x300
        mov dr7, eax
        TRY
.target2:
        nop
        CATCH
        CHECK_NOEXC "a breakpoint address without L0/G0 does nothing"
        xor eax, eax
        mov dr7, eax

        ; INT1 (ICEBP)
        TRY
        db 0xF1
.i1:    CATCH
        CHECK_EXC 1, 0, "INT1 (F1): #DB"
        CHECK_EQ dword [exc_eip], debug.i1, "INT1 is a trap: EIP after it"
        ret

; ------------------------------------------------------------ #NM
fpu:
        mov ebx, cr0
        mov eax, ebx
        and eax, ~0xE           ; MP EM TS clear
        or eax, 0x8             ; TS
        mov cr0, eax
        TRY
.nm:    fninit
        CATCH
        CHECK_EXC 7, 0, "CR0.TS=1: an FPU instruction raises #NM"
        CHECK_EQ dword [exc_eip], fpu.nm, "#NM is a fault"
        TRY
        wait
        CATCH
        CHECK_NOEXC "CR0.TS=1, MP=0: WAIT does not raise #NM"
        or eax, 0x2             ; MP
        mov cr0, eax
        TRY
        wait
        CATCH
        CHECK_EXC 7, 0, "CR0.TS=1, MP=1: WAIT raises #NM"
        and eax, ~0xE
        or eax, 0x4             ; EM
        mov cr0, eax
        TRY
        fninit
        CATCH
        CHECK_EXC 7, 0, "CR0.EM=1: an FPU instruction raises #NM"
        mov cr0, ebx
        TRY
        fninit
        CATCH
        CHECK_NOEXC "TS=0 EM=0: FNINIT runs"
        ret

; ---------------------------------------------- delivery problems
delivery:
        ; a not-present gate for a software interrupt: #NP(vector*8+2)
        SET_GATE 0x44, exc_stubs, 0x0E  ; P=0
        TRY
        int 0x44
        CATCH
        CHECK_EXC 11, 0x44 * 8 + 2, "INT n through a not-present gate: #NP(vector*8+2)"
        ; past the IDT limit: #GP(vector*8+2)
        mov word [small_idt], 0x50 * 8 - 1
        mov dword [small_idt + 2], idt
        lidt [small_idt]
        TRY
        int 0x60
        CATCH
        lidt [idt_desc]
        CHECK_EXC 13, 0x60 * 8 + 2, "INT n past the IDT limit: #GP(vector*8+2)"
        ; a benign exception (#UD) whose gate is not present: the #NP is
        ; delivered, with EXT set
        and byte [idt + 6 * 8 + 5], 0x7F
        TRY
        ud2
        CATCH
        mov eax, 6
        call restore_idt_gate
        CHECK_EXC 11, 6 * 8 + 3, "#UD with a not-present gate: #NP(6*8+2+EXT)"
        ; contributory then contributory: #NP whose own gate is not present
        and byte [idt + 11 * 8 + 5], 0x7F
        TRY
        mov ax, S_NP
        mov es, ax
        CATCH
        mov eax, 11
        call restore_idt_gate
        mov ax, SEL_DATA0
        mov es, ax
        CHECK_EXC 8, 0, "#NP while delivering #NP: #DF with error code 0"
        ; #GP with a not-present #GP gate
        and byte [idt + 13 * 8 + 5], 0x7F
        TRY
        mov ax, GDT_ENTRIES * 8 ; past the GDT limit: #GP(sel)
        mov fs, ax
        CATCH
        mov eax, 13
        call restore_idt_gate
        CHECK_EXC 8, 0, "a fault with a not-present #GP gate: #NP, then #DF"
        ; #DE (contributory) with a not-present gate: #NP is contributory too
        and byte [idt + 0 * 8 + 5], 0x7F
        TRY
        xor ecx, ecx
        div ecx
        CATCH
        xor eax, eax
        call restore_idt_gate
        CHECK_EXC 8, 0, "#DE with a not-present gate: #DF"
        ; #BP (benign, a software interrupt) with a not-present gate: #NP
        and byte [idt + 3 * 8 + 5], 0x7F
        TRY
        int3
        CATCH
        mov eax, 3
        call restore_idt_gate
        CHECK_EXC 11, 3 * 8 + 2, "INT3 with a not-present gate: #NP(3*8+2), EXT clear"
        ret

; ------------------------------------------------------------ #AC
alignment:
        mov eax, cr0
        or eax, 1 << 18         ; AM
        mov cr0, eax
        RUN_RING3 r3_align, 0x40002
        TRY
        pushfd
        or dword [esp], EFL_AC
        popfd
        mov eax, [misaligned + 1]
        pushfd
        and dword [esp], ~EFL_AC
        popfd
        CATCH
        CHECK_NOEXC "#AC: no alignment check at CPL 0"
        mov eax, cr0
        and eax, ~(1 << 18)
        mov cr0, eax
        RUN_RING3 r3_noam, 0x40002
        ret
r3_align:
        TRY
        mov eax, [misaligned + 1]
        CATCH
        CHECK_EXC 17, 0, "CR0.AM=1, EFLAGS.AC=1, CPL 3: a misaligned dword read: #AC(0)"
        TRY
        mov ax, [misaligned + 2]
        CATCH
        CHECK_NOEXC "an aligned word read: nothing"
        TRY
        mov ax, [misaligned + 1]
        CATCH
        CHECK_EXC 17, 0, "a misaligned word read: #AC(0)"
        pushfd
        and dword [esp], ~EFL_AC
        popfd
        TRY
        mov eax, [misaligned + 1]
        CATCH
        CHECK_NOEXC "EFLAGS.AC=0: no alignment check"
        ret
r3_noam:
        TRY
        mov eax, [misaligned + 1]
        CATCH
        CHECK_NOEXC "CR0.AM=0: no alignment check at CPL 3 with AC=1"
        ret

        align 8
bounds:   dd 0, 10
lockvar:  dd 0
watched:  dd 0, 0
dr6_seen: dd 0
bp_count: dd 0
small_idt: dw 0
          dd 0
          align 8
misaligned: dd 0, 0
