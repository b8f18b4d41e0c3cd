; Hardware task switching: JMP, CALL and IRET with NT between two TSSs,
; CALL through a task gate, INT n and an exception through an IDT task
; gate, busy bits, the back link, the registers saved in the old TSS, CR3,
; LDTR and CR0.TS on a switch, and #GP/#TS for bad targets.
%define TEST_NAME "task"
%define TEST_MODELS "386 486 pentium p6"
%include "lib.inc"

S_TB    equ 0x48        ; task B's TSS
S_TBAD  equ 0x50        ; a TSS descriptor with a limit below 0x67
S_TG    equ 0x58        ; task gate to S_TB
TSS_B   equ SCRATCH + 0x1000
V_TASK  equ 0x50        ; IDT task gate to S_TB
B_STACK equ 0x60000
PD_A    equ 0x456000    ; A's page directory (A's TSS CR3 field)
PD_B    equ 0x123000    ; B's page directory
PTS     equ 0x460000    ; identity page tables for 0-16 MiB, shared
PT_A    equ 0x464000    ; maps TPAGE for A
PT_B    equ 0x465000    ; maps TPAGE for B
TPAGE   equ 0x40000000  ; reads 0xAAAA in A, 0xBBBB in B
S_T16   equ 0x60        ; a 16-bit (286) TSS
S_C16T  equ 0x68        ; 32-bit code based at task16 (a 16-bit TSS holds a 16-bit IP)
TSS_16  equ SCRATCH + 0x5000

; What task B saw, written by B each time it runs.
%macro B_SNAPSHOT 0
        str ax
        movzx eax, ax
        mov [b_tr], eax
        pushfd
        pop eax
        and eax, EFL_NT
        mov [b_nt], eax
        movzx eax, word [TSS_B + TSS_LINK]
        mov [b_link], eax
        call busy_bits
        mov [b_busy], eax
        mov eax, [tss + TSS_EBX]
        mov [b_a_ebx], eax
        mov eax, [tss + TSS_EIP]
        mov [b_a_eip], eax
        mov eax, [tss + TSS_FS]
        mov [b_a_fs], eax
        mov eax, cr3
        mov [b_cr3], eax
        mov eax, [TPAGE]
        mov [b_tpage], eax
        sldt ax
        movzx eax, ax
        mov [b_ldt], eax
        mov eax, cr0
        and eax, 8
        mov [b_ts], eax
        inc dword [b_runs]
%endmacro

test_main:
        ; task B
        mov edi, TSS_B
        xor eax, eax
        mov ecx, TSS_SIZE / 4
        rep stosd
        mov dword [TSS_B + TSS_EIP], task_b
        mov dword [TSS_B + TSS_EFLAGS], 2
        mov dword [TSS_B + TSS_ESP], B_STACK
        mov dword [TSS_B + TSS_CS], SEL_CODE0
        mov eax, SEL_DATA0
        mov [TSS_B + TSS_SS], eax
        mov [TSS_B + TSS_DS], eax
        mov [TSS_B + TSS_ES], eax
        mov [TSS_B + TSS_FS], eax
        mov [TSS_B + TSS_GS], eax
        mov dword [TSS_B + TSS_CR3], PD_B
        mov dword [TSS_B + TSS_LDT], SEL_LDT
        mov word [TSS_B + TSS_IOMAP], TSS_SIZE
        SET_DESC S_TB, TSS_B, TSS_SIZE - 1, 0x0089
        SET_DESC S_TBAD, TSS_B, 0x60, 0x0089
        SET_DESC SEL_LDT, ldt_table, LDT_ENTRIES * 8 - 1, 0x0082
        mov dword [gdt + S_TG], S_TB << 16
        mov dword [gdt + S_TG + 4], 0x8500
        SET_GATE V_TASK, 0, 0x85, S_TB
        ; paging with a directory per task: TPAGE differs between them
        mov edi, PD_B
        xor eax, eax
        mov ecx, 1024
        rep stosd
        mov edi, PD_A
        mov ecx, 1024
        rep stosd
        mov edi, PTS
        mov eax, 7
        mov ecx, 4096
.pt:    stosd
        add eax, 0x1000
        loop .pt
        mov edi, PT_A
        xor eax, eax
        mov ecx, 2048
        rep stosd
        mov eax, PTS + 7
        mov ecx, 4
        xor ebx, ebx
.pd:    mov [PD_A + ebx * 4], eax
        mov [PD_B + ebx * 4], eax
        add eax, 0x1000
        inc ebx
        loop .pd
        mov dword [PD_A + (TPAGE >> 22) * 4], PT_A + 7
        mov dword [PD_B + (TPAGE >> 22) * 4], PT_B + 7
        mov dword [PT_A], SCRATCH + 0x3000 + 7
        mov dword [PT_B], SCRATCH + 0x4000 + 7
        mov dword [SCRATCH + 0x3000], 0xAAAA
        mov dword [SCRATCH + 0x4000], 0xBBBB
        mov eax, PD_A
        mov cr3, eax
        mov eax, cr0
        or eax, 0x80000000
        mov cr0, eax
        mov dword [tss + TSS_CR3], PD_A

        call by_jmp
        call by_call
        call by_gate
        call by_int
        call by_exception
        call bad_targets
        call by_tss16
        mov eax, cr0
        and eax, 0x7FFFFFFF
        mov cr0, eax
        xor eax, eax
        mov cr3, eax
        clts
        ret

; busy_bits: EAX = 1 if A (the library TSS) is busy + 2 if B is busy
busy_bits:
        xor eax, eax
        test byte [gdt + SEL_TSS + 5], 2
        jz .a
        or eax, 1
.a:     test byte [gdt + S_TB + 5], 2
        jz .b
        or eax, 2
.b:     ret

; Task B: records what it sees, then returns as b_mode says:
; 0 = IRET (nested), 1 = JMP back to A, 2 = pop an error code, skip A's
; faulting instruction, IRET.
task_b:
        B_SNAPSHOT
        cmp dword [b_mode], 1
        je .jmp
        cmp dword [b_mode], 2
        jne .iret
        pop eax
        mov [b_err], eax
        mov eax, [b_resume]
        mov [tss + TSS_EIP], eax
.iret:  iretd
        jmp task_b
.jmp:   jmp SEL_TSS:0
        jmp task_b

by_jmp:
        mov dword [b_mode], 1
        mov ax, SEL_DATA3
        mov fs, ax
        mov ebx, 0x11223344
        mov eax, PD_B           ; A runs with B's directory: the switch back
        mov cr3, eax            ; must load A's from A's TSS
        jmp S_TB:0
.back:  mov eax, cr3
        CHECK_EQ eax, PD_A, "JMP back to A loads CR3 from A's TSS"
        CHECK_EQ dword [TPAGE], 0xAAAA, "and A's mapping is used"
        xor ax, ax
        mov fs, ax
        CHECK_EQ dword [b_runs], 1, "JMP to a TSS runs task B"
        CHECK_EQ dword [b_tr], S_TB, "in B, TR is B's selector"
        CHECK_EQ dword [b_nt], 0, "JMP: NT clear in B"
        CHECK_EQ dword [b_busy], 2, "JMP: B busy, A no longer busy"
        CHECK_EQ dword [b_a_ebx], 0x11223344, "JMP: A's EBX saved in A's TSS"
        CHECK_EQ dword [b_a_eip], by_jmp.back, "JMP: A's EIP saved = the instruction after the JMP"
        CHECK_EQ dword [b_a_fs], SEL_DATA3, "JMP: A's FS saved in A's TSS"
        CHECK_EQ dword [b_cr3], PD_B, "B runs with CR3 from B's TSS"
        CHECK_EQ dword [b_tpage], 0xBBBB, "and B's mapping is used"
        CHECK_EQ dword [b_ldt], SEL_LDT, "B runs with LDTR from B's TSS"
        CHECK_EQ dword [b_ts], 8, "a task switch sets CR0.TS"
        call busy_bits
        CHECK_EQ eax, 1, "back in A: A busy, B not"
        str ax
        movzx eax, ax
        CHECK_EQ eax, SEL_TSS, "back in A: TR is A's"
        ret

by_call:
        mov dword [b_mode], 0
        call S_TB:0
        CHECK_EQ dword [b_runs], 2, "CALL to a TSS runs task B"
        CHECK_EQ dword [b_nt], EFL_NT, "CALL: NT set in B"
        CHECK_EQ dword [b_link], SEL_TSS, "CALL: B's back link is A"
        CHECK_EQ dword [b_busy], 3, "CALL: A and B both busy"
        call busy_bits
        CHECK_EQ eax, 1, "IRET with NT back to A: B no longer busy"
        pushfd
        pop eax
        and eax, EFL_NT
        CHECK_EQ eax, 0, "A's NT is unchanged (clear)"
        ret

by_gate:
        mov dword [b_mode], 0
        call S_TG:0
        CHECK_EQ dword [b_runs], 3, "CALL through a task gate runs B"
        CHECK_EQ dword [b_link], SEL_TSS, "task gate: back link is A"
        CHECK_EQ dword [b_nt], EFL_NT, "task gate: NT set in B"
        ret

by_int:
        mov dword [b_mode], 0
        int V_TASK
        CHECK_EQ dword [b_runs], 4, "INT n through an IDT task gate runs B"
        CHECK_EQ dword [b_link], SEL_TSS, "INT task gate: back link is A"
        CHECK_EQ dword [b_busy], 3, "INT task gate: A and B busy"
        ret

by_exception:
        mov dword [b_mode], 2
        mov dword [b_resume], by_exception.resume
        SET_GATE 13, 0, 0x85, S_TB
        mov ax, GDT_ENTRIES * 8         ; past the GDT limit: #GP(sel)
.fault: mov es, ax
.resume:
        mov eax, 13
        call restore_idt_gate
        CHECK_EQ dword [b_runs], 5, "#GP through an IDT task gate runs B"
        CHECK_EQ dword [b_err], GDT_ENTRIES * 8, "the error code is pushed on B's stack"
        CHECK_EQ dword [b_a_eip], by_exception.fault, "A's saved EIP is the faulting instruction"
        ret

bad_targets:
        TRY
        call SEL_TSS:0
        CATCH
        CHECK_EXC 13, SEL_TSS, "CALL to a busy TSS: #GP(sel)"
        TRY
        jmp S_TBAD:0
        CATCH
        CHECK_EXC 10, S_TBAD, "JMP to a TSS with a limit below 0x67: #TS(sel)"
        CHECK_EQ dword [b_runs], 5, "and B did not run"
        ret

; A JMP to a 16-bit TSS: its AX..DI fill the low halves, and the upper
; halves read FFFFh, as a 386 loads them (Bochs models it so), not what
; the outgoing task left there.  The 286 task stores what it got and jumps
; back to A (its state then goes into the 16-bit TSS).
by_tss16:
        mov edi, TSS_16
        xor eax, eax
        mov ecx, 0x2C / 4 + 1
        rep stosd
        mov word [TSS_16 + 0x0E], 0             ; IP
        mov word [TSS_16 + 0x10], 2             ; FLAGS
        mov eax, 0x1111
        mov edi, TSS_16 + 0x12                  ; AX CX DX BX SP BP SI DI
        mov ecx, 8
.regs:  mov [edi], ax
        add ax, 0x1111
        add edi, 2
        loop .regs
        mov word [TSS_16 + 0x22], SEL_DATA0     ; ES
        mov word [TSS_16 + 0x24], S_C16T        ; CS
        mov word [TSS_16 + 0x26], SEL_DATA0     ; SS
        mov word [TSS_16 + 0x28], SEL_DATA0     ; DS
        SET_DESC S_T16, TSS_16, 0x2B, 0x0081    ; available 286 TSS
        SET_DESC S_C16T, task16, 0xFFFF, 0x409B
        mov [t16_esp_a], esp
        mov eax, 0xABCD0000
        mov ecx, eax
        mov edx, eax
        mov ebx, eax
        mov ebp, eax
        mov esi, eax
        mov edi, eax
        jmp S_T16:0
.back:  mov ax, SEL_DATA0
        mov ds, ax
        mov es, ax
        CHECK_EQ dword [t16_regs + 0], 0xFFFF1111, "16-bit TSS: EAX = FFFFh:AX"
        CHECK_EQ dword [t16_regs + 4], 0xFFFF2222, "16-bit TSS: ECX = FFFFh:CX"
        CHECK_EQ dword [t16_regs + 8], 0xFFFF3333, "16-bit TSS: EDX = FFFFh:DX"
        CHECK_EQ dword [t16_regs + 12], 0xFFFF4444, "16-bit TSS: EBX = FFFFh:BX"
        CHECK_EQ dword [t16_regs + 16], 0xFFFF5555, "16-bit TSS: ESP = FFFFh:SP"
        CHECK_EQ dword [t16_regs + 20], 0xFFFF6666, "16-bit TSS: EBP = FFFFh:BP"
        CHECK_EQ dword [t16_regs + 24], 0xFFFF7777, "16-bit TSS: ESI = FFFFh:SI"
        CHECK_EQ dword [t16_regs + 28], 0xFFFF8888, "16-bit TSS: EDI = FFFFh:DI"
        CHECK_EQ dword [t16_ran], 1, "the 286 task ran once"
        ret

; The 286 task (32-bit code at CS base task16): no stack use, its ESP is
; FFFFh:SP on a flat stack.
task16:
        mov [t16_regs + 0], eax
        mov [t16_regs + 4], ecx
        mov [t16_regs + 8], edx
        mov [t16_regs + 12], ebx
        mov [t16_regs + 16], esp
        mov [t16_regs + 20], ebp
        mov [t16_regs + 24], esi
        mov [t16_regs + 28], edi
        inc dword [t16_ran]
        jmp SEL_TSS:0
        jmp task16

t16_regs:  times 8 dd 0
t16_ran:   dd 0
t16_esp_a: dd 0

b_mode:   dd 0
b_resume: dd 0
b_runs:   dd 0
b_tr:     dd 0
b_nt:     dd 0
b_link:   dd 0
b_busy:   dd 0
b_a_ebx:  dd 0
b_a_eip:  dd 0
b_a_fs:   dd 0
b_cr3:    dd 0
b_tpage:  dd 0
b_ldt:    dd 0
b_ts:     dd 0
b_err:    dd 0
