; Segmentation at CPL 0: descriptor table registers, segment loads and
; their checks, limits (expand-down, granularity, B bit), hidden caches,
; ARPL/LAR/LSL/VERR/VERW, SMSW/LMSW/CLTS, and big real ("unreal") mode.
%define TEST_NAME "seg"
%define TEST_MODELS "386 486 pentium p6"
%include "lib.inc"

S_NP    equ 0x48        ; data, not present
S_RO    equ 0x50        ; read-only data, flat
S_XO    equ 0x58        ; execute-only code
S_XR    equ 0x60        ; execute/read code, flat
S_LIM   equ 0x68        ; data at SCRATCH, limit 0xFFF
S_ED32  equ 0x70        ; expand-down data at SCRATCH, limit 0xFFF, B=1
S_ED16  equ 0x78        ; expand-down data at SCRATCH, limit 0xFFF, B=0
S_G     equ 0x80        ; data at SCRATCH, limit field 0 with G=1 (0xFFF)
S_BASE  equ 0x88        ; data at SCRATCH+0x100 (cache test)
S_DPL3  equ 0x90        ; flat data, DPL 3
S_TSSD  equ 0x98        ; an available 32-bit TSS (system descriptor)
S_CGATE equ 0xA0        ; a call gate
S_SSNP  equ 0xA8        ; writable data, not present
S_IGATE equ 0xB0        ; an interrupt gate in the GDT (invalid for LAR)
S_STK   equ 0xB8        ; stack data, base 0, limit 0x9FFFF
S_SS16  equ 0xC0        ; 16-bit stack (B=0) at 0x80000, limit 0xFFFF
S_C16   equ 0xC8        ; 16-bit code (D=0) based at code16
S_SS16S equ 0xD0        ; 16-bit stack (B=0) at SCRATCH + 0x10000, limit 0xFFFF
S_LDTSEL equ 0x0C       ; LDT entry 1, RPL 0

UNREAL  equ SCRATCH + 0x4000    ; above 1 MiB, read from real mode
LOWCODE equ 0x8000              ; where the real-mode code is copied
RESULT  equ 0x7100              ; real mode leaves its findings here

; LOADF sreg, selector, vector, error, "text": the load faults as given
%macro LOADF 5
        TRY
        mov ax, %2
        mov %1, ax
        CATCH
        CHECK_EXC %3, %4, %5
%endmacro
; LOADOK sreg, selector, "text": the load succeeds
%macro LOADOK 3
        TRY
        mov ax, %2
        mov %1, ax
        CATCH
        CHECK_NOEXC %3
%endmacro
; ZF_IS want, "text": checks ZF as it is now
%macro ZF_IS 2
        CHECK_FLAGS EFL_ZF, (%1) * EFL_ZF, %2
%endmacro

test_main:
        SET_DESC S_NP,   0, 0xFFFFF, 0xC013        ; P=0
        SET_DESC S_RO,   0, 0xFFFFF, 0xC091
        SET_DESC S_XO,   0, 0xFFFFF, 0xC099
        SET_DESC S_XR,   0, 0xFFFFF, 0xC09B
        SET_DESC S_LIM,  SCRATCH, 0xFFF, 0x4093
        SET_DESC S_ED32, SCRATCH, 0xFFF, 0x4097
        SET_DESC S_ED16, SCRATCH, 0xFFF, 0x0097
        SET_DESC S_G,    SCRATCH, 0, 0xC093
        SET_DESC S_BASE, SCRATCH + 0x100, 0xFFF, 0x4093
        SET_DESC S_DPL3, 0, 0xFFFFF, 0xC0F3
        SET_DESC S_TSSD, SCRATCH + 0x2000, 0x67, 0x0089
        SET_DESC S_SSNP, 0, 0xFFFFF, 0xC013
        SET_DESC S_STK,  0, 0x9FFFF, 0x4093
        SET_DESC S_SS16, 0x80000, 0xFFFF, 0x0093
        SET_DESC S_C16,  code16, 0xFFFF, 0x009B
        SET_DESC S_SS16S, SCRATCH + 0x10000, 0xFFFF, 0x0093
        ; call gate to SEL_CODE0:0, no parameters; interrupt gate likewise
        mov edi, gdt + S_CGATE
        xor eax, eax
        mov bx, SEL_CODE0
        mov ecx, 0x8C
        call set_gate_at
        mov edi, gdt + S_IGATE
        mov ecx, 0x8E
        call set_gate_at

        call tables
        call loads
        call limits
        call pop_ss
        call caches
        call bits16
        call pointer_ops
        call msw
        call unreal
        ret

; ---------------------------------------------------- descriptor tables
tables:
        sgdt [buf]
        movzx eax, word [buf]
        CHECK_EQ eax, GDT_ENTRIES * 8 - 1, "SGDT stores the GDT limit LGDT loaded"
        CHECK_EQ dword [buf + 2], gdt, "SGDT stores the GDT base"
        sidt [buf]
        movzx eax, word [buf]
        CHECK_EQ eax, 256 * 8 - 1, "SIDT stores the IDT limit"
        CHECK_EQ dword [buf + 2], idt, "SIDT stores the IDT base"
        ; LIDT of another table and back
        mov word [buf], 0x123
        mov dword [buf + 2], 0x00345678
        lidt [buf]
        sidt [buf + 8]
        lidt [idt_desc]
        movzx eax, word [buf + 8]
        CHECK_EQ eax, 0x123, "LIDT then SIDT: limit"
        CHECK_EQ dword [buf + 10], 0x00345678, "LIDT then SIDT: base"
        xor eax, eax
        str ax
        CHECK_EQ eax, SEL_TSS, "STR returns the selector LTR loaded"
        ; the LDT: entry 1 is data at SCRATCH+0x200
        SET_DESC SEL_LDT, ldt_table, LDT_ENTRIES * 8 - 1, 0x0082
        SET_DESC S_LDTSEL, SCRATCH + 0x200, 0xFFF, 0x4093
        mov dword [SCRATCH + 0x200], 0x1DF00D
        mov ax, SEL_LDT
        lldt ax
        xor eax, eax
        sldt ax
        CHECK_EQ eax, SEL_LDT, "SLDT returns the selector LLDT loaded"
        TRY
        mov ax, S_LDTSEL
        mov fs, ax
        mov eax, [fs:0]
        CATCH
        CHECK_NOEXC "an LDT selector (TI=1) loads through LDTR"
        CHECK_EQ eax, 0x1DF00D, "and reads the LDT descriptor's base"
        TRY
        mov ax, S_TSSD
        lldt ax
        CATCH
        CHECK_EXC 13, S_TSSD, "LLDT of a TSS descriptor: #GP(sel)"
        xor ax, ax
        lldt ax
        LOADF fs, S_LDTSEL, 13, S_LDTSEL, "an LDT selector with a null LDTR: #GP(sel)"
        TRY
        mov ax, S_TSSD
        ltr ax
        str bx
        CATCH
        CHECK_NOEXC "LTR of another available TSS"
        TRY
        mov ax, S_TSSD
        ltr ax
        CATCH
        CHECK_EXC 13, S_TSSD, "LTR of a busy TSS: #GP(sel)"
        mov eax, [gdt + S_TSSD + 4]
        shr eax, 8
        and eax, 0xF
        CHECK_EQ eax, 0xB, "LTR marks the TSS busy (type 11)"
        ; back to the library's TSS: clear the busy bits first
        and byte [gdt + SEL_TSS + 5], ~2
        and byte [gdt + S_TSSD + 5], ~2
        mov ax, SEL_TSS
        ltr ax
        ret

; ------------------------------------------------------ segment loads
loads:
        LOADF es, S_NP, 11, S_NP, "data descriptor not present: #NP(sel)"
        LOADF ss, S_SSNP, 12, S_SSNP, "SS descriptor not present: #SS(sel)"
        LOADF ss, 0, 13, 0, "null selector into SS: #GP(0)"
        LOADF ss, 3, 13, 0, "null selector with RPL 3 into SS at CPL 0: #GP(0)"
        LOADF ss, S_RO, 13, S_RO, "read-only data into SS: #GP(sel)"
        LOADF ss, S_XR, 13, S_XR, "code into SS: #GP(sel)"
        LOADF ss, S_DPL3, 13, S_DPL3, "SS with DPL 3 at CPL 0: #GP(sel)"
        LOADF ss, SEL_DATA0 | 3, 13, SEL_DATA0, "SS with RPL 3 at CPL 0: #GP(sel)"
        LOADF es, S_XO, 13, S_XO, "execute-only code into ES: #GP(sel)"
        LOADF es, S_TSSD, 13, S_TSSD, "a TSS descriptor into ES: #GP(sel)"
        LOADF es, S_CGATE, 13, S_CGATE, "a call gate into ES: #GP(sel)"
        LOADF es, GDT_ENTRIES * 8, 13, GDT_ENTRIES * 8, "a selector past the GDT limit: #GP(sel)"
        LOADF es, SEL_DATA0 | 3, 13, SEL_DATA0, "DPL 0 data with RPL 3: #GP(sel)"
        LOADOK es, S_DPL3, "DPL 3 data at CPL 0 loads"
        LOADOK gs, 0, "a null selector into GS loads"
        TRY
        mov eax, [gs:0]
        CATCH
        CHECK_EXC 13, 0, "a read through a null GS: #GP(0)"
        TRY
        xor ax, ax
        mov ds, ax
        mov dword [0x1000], 1
        CATCH
        CHECK_EXC 13, 0, "a write through a null DS: #GP(0)"
        LOADOK gs, 3, "a null selector with RPL 3 loads"

        ; code segments as data
        mov dword [SCRATCH], 0x5EC0DE
        LOADOK fs, S_XR, "readable code into FS loads"
        TRY
        mov eax, [fs:SCRATCH]
        CATCH
        CHECK_NOEXC "a read through readable code"
        CHECK_EQ eax, 0x5EC0DE, "reads the memory"
        TRY
        mov dword [fs:SCRATCH], 1
        CATCH
        CHECK_EXC 13, 0, "a write through a code segment: #GP(0)"
        TRY
        mov eax, [cs:SCRATCH]
        CATCH
        CHECK_NOEXC "a read through CS (readable)"
        TRY
        mov dword [cs:SCRATCH], 1
        CATCH
        CHECK_EXC 13, 0, "a write through CS: #GP(0)"
        LOADOK fs, S_RO, "read-only data into FS loads"
        TRY
        mov dword [fs:SCRATCH], 1
        CATCH
        CHECK_EXC 13, 0, "a write through read-only data: #GP(0)"

        ; execute-only code: CS can be loaded with it, but not read through
        mov eax, [gdt + SEL_CODE0]
        mov edx, [gdt + SEL_CODE0 + 4]
        mov byte [gdt + SEL_CODE0 + 5], 0x99     ; execute-only, accessed
        jmp SEL_CODE0:.xo
.xo:    TRY
        mov ebx, [cs:SCRATCH]
        CATCH
        CHECK_EXC 13, 0, "a read through execute-only CS: #GP(0)"
        mov byte [gdt + SEL_CODE0 + 5], 0x9B
        jmp SEL_CODE0:.xr
.xr:
        ; far jumps to segments that do not qualify
        TRY
        jmp S_NP:0
        CATCH
        CHECK_EXC 13, S_NP, "far JMP to a data selector: #GP(sel)"
        mov byte [gdt + S_XO + 5], 0x19          ; code, P=0
        TRY
        jmp S_XO:0
        CATCH
        CHECK_EXC 11, S_XO, "far JMP to a not-present code segment: #NP(sel)"
        mov byte [gdt + S_XO + 5], 0x99
        TRY
        jmp 0:0
        CATCH
        CHECK_EXC 13, 0, "far JMP to a null selector: #GP(0)"

        ; accessed bit
        and byte [gdt + S_RO + 5], ~1
        mov ax, S_RO
        mov fs, ax
        mov al, [gdt + S_RO + 5]
        and eax, 1
        CHECK_EQ eax, 1, "loading a segment sets the accessed bit in its descriptor"
        xor ax, ax
        mov fs, ax
        mov gs, ax
        ret

; --------------------------------------------------------------- limits
limits:
        mov ax, S_LIM
        mov fs, ax
        TRY
        mov al, [fs:0xFFF]
        CATCH
        CHECK_NOEXC "limit 0xFFF: a byte at 0xFFF"
        TRY
        mov eax, [fs:0xFFC]
        CATCH
        CHECK_NOEXC "limit 0xFFF: a dword at 0xFFC"
        TRY
        mov eax, [fs:0xFFD]
        CATCH
        CHECK_EXC 13, 0, "limit 0xFFF: a dword at 0xFFD: #GP(0)"
        TRY
        mov al, [fs:0x1000]
        CATCH
        CHECK_EXC 13, 0, "limit 0xFFF: a byte at 0x1000: #GP(0)"
        TRY
        mov ebx, 0xFFFFFFFF
        mov al, [fs:ebx]
        CATCH
        CHECK_EXC 13, 0, "limit 0xFFF: a byte at 0xFFFFFFFF: #GP(0)"

        mov ax, S_G
        mov fs, ax
        TRY
        mov eax, [fs:0xFFC]
        CATCH
        CHECK_NOEXC "G=1, limit field 0: a dword at 0xFFC"
        TRY
        mov al, [fs:0x1000]
        CATCH
        CHECK_EXC 13, 0, "G=1, limit field 0: a byte at 0x1000: #GP(0)"
        mov eax, S_G
        lsl ebx, eax
        CHECK_EQ ebx, 0xFFF, "LSL scales a G=1 limit (field 0 -> 0xFFF)"

        mov ax, S_ED32
        mov fs, ax
        TRY
        mov al, [fs:0x1000]
        CATCH
        CHECK_NOEXC "expand-down B=1 limit 0xFFF: 0x1000 is inside"
        TRY
        mov ebx, 0xFFFFFFFC
        mov eax, [fs:ebx]
        CATCH
        CHECK_NOEXC "expand-down B=1: a dword at 0xFFFFFFFC is inside"
        TRY
        mov al, [fs:0xFFF]
        CATCH
        CHECK_EXC 13, 0, "expand-down B=1: 0xFFF is outside: #GP(0)"
        TRY
        mov eax, [fs:0xFFE]
        CATCH
        CHECK_EXC 13, 0, "expand-down B=1: a dword at 0xFFE starts outside: #GP(0)"

        mov ax, S_ED16
        mov fs, ax
        TRY
        mov al, [fs:0xFFFF]
        CATCH
        CHECK_NOEXC "expand-down B=0: 0xFFFF is inside"
        TRY
        mov al, [fs:0x10000]
        CATCH
        CHECK_EXC 13, 0, "expand-down B=0: 0x10000 is above the 64 KiB bound: #GP(0)"
        TRY
        mov eax, [fs:0xFFFE]
        CATCH
        CHECK_EXC 13, 0, "expand-down B=0: a dword at 0xFFFE crosses 0xFFFF: #GP(0)"
        xor ax, ax
        mov fs, ax

        ; stack segment limit: #SS(0) for an SS-relative access outside
        mov ax, S_STK
        mov ss, ax
        TRY
        mov ebp, 0xA0000
        mov eax, [ebp]
        CATCH
        mov ax, SEL_DATA0
        mov ss, ax
        CHECK_EXC 12, 0, "an SS-relative read past the SS limit: #SS(0)"
        mov ax, S_STK
        mov ss, ax
        TRY
        mov ebp, 0x9FFFC
        mov eax, [ebp]
        CATCH
        mov ax, SEL_DATA0
        mov ss, ax
        CHECK_NOEXC "an SS-relative read at the SS limit"
        ret

; ----------------------------------------- POP SS and the stack's size
; POP moves the stack pointer by the StackAddrSize of the SS it pops from
; (SDM POP), not by the B bit of the SS it loads: from a 16-bit stack only
; SP moves (and wraps), from a 32-bit one all of ESP.
SS16_TOP equ SCRATCH + 0x10000 + 0xFFFC    ; the slot at S_SS16S:FFFC
pop_ss:
        mov [saved_esp], esp
        mov dword [SS16_TOP], SEL_DATA0
        mov ax, S_SS16S
        mov ss, ax
        mov esp, 0x1234FFFC
        pop ss                                  ; 32-bit operand: 4 bytes
        mov ebx, esp
        mov esp, [saved_esp]
        CHECK_EQ ebx, 0x12340000, "32-bit POP SS on a 16-bit stack: SP wraps, ESP's upper half stays"

        mov word [SS16_TOP + 2], SEL_DATA0
        mov ax, S_SS16S
        mov ss, ax
        mov esp, 0x1234FFFE
        o16 pop ss                              ; 2 bytes
        mov ebx, esp
        mov esp, [saved_esp]
        CHECK_EQ ebx, 0x12340000, "16-bit POP SS on a 16-bit stack: SP wraps, ESP's upper half stays"

        ; from the flat 32-bit stack to the 16-bit one: ESP moves by 4 in full
        mov esp, SCRATCH + 0x20000
        mov dword [SCRATCH + 0x20000], S_SS16S
        pop ss
        mov ebx, esp
        mov ax, SEL_DATA0
        mov ss, ax
        mov esp, [saved_esp]
        CHECK_EQ ebx, SCRATCH + 0x20004, "32-bit POP SS on a 32-bit stack loading a 16-bit SS: ESP + 4"
        ret

; ------------------------------------------------------- hidden caches
caches:
        mov dword [SCRATCH + 0x100], 0x11111111
        mov dword [SCRATCH + 0x900], 0x22222222
        mov ax, S_BASE
        mov fs, ax
        ; move the descriptor's base and mark it not present
        mov byte [gdt + S_BASE + 3], 0x09        ; base SCRATCH+0x100 -> +0x900
        and byte [gdt + S_BASE + 5], 0x7F
        TRY
        mov eax, [fs:0]
        CATCH
        CHECK_NOEXC "a loaded segment stays usable when its descriptor goes not present"
        CHECK_EQ eax, 0x11111111, "a loaded segment keeps its cached base after the GDT entry changes"
        LOADF fs, S_BASE, 11, S_BASE, "reloading it: #NP(sel)"
        or byte [gdt + S_BASE + 5], 0x80
        mov ax, S_BASE
        mov fs, ax
        mov eax, [fs:0]
        CHECK_EQ eax, 0x22222222, "after a reload the new base is used"
        xor ax, ax
        mov fs, ax
        ret

; ------------------------------------------------ 16- and 32-bit segments
bits16:
        ; a 16-bit stack (B=0): PUSH uses SP, ESP's upper half stays
        mov [saved_esp], esp
        mov ax, S_SS16
        mov ss, ax
        mov esp, 0x12340100
        mov eax, 0xA5A5A5A5
        push eax
        mov ebx, esp
        pop eax
        mov ecx, esp
        mov ax, SEL_DATA0
        mov ss, ax
        mov esp, [saved_esp]
        CHECK_EQ ebx, 0x123400FC, "a PUSH on a B=0 stack decrements SP only"
        CHECK_EQ ecx, 0x12340100, "POP restores it"
        CHECK_EQ dword [0x800FC], 0xA5A5A5A5, "the PUSH wrote at SS.base + SP"
        ; a 16-bit code segment (D=0): operand size 16 by default
        mov [saved_esp], esp
        jmp S_C16:0
code16_back:
        mov ebx, [saved_esp]
        sub ebx, esp
        mov esp, [saved_esp]
        CHECK_EQ ebx, 2, "in a D=0 code segment PUSH AX pushes 2 bytes"
        CHECK_EQ dword [c16_result], 0xBEEF, "and runs 16-bit code (mov ax, imm16)"
        ret

        bits 16
code16:                                 ; based at code16, entered at offset 0
        mov ax, 0xBEEF
        push ax
        mov [dword c16_result], ax      ; absolute: DS is flat
        jmp dword SEL_CODE0:code16_back
        bits 32

; ------------------------------------------------ ARPL LAR LSL VERR VERW
pointer_ops:
        mov ax, 0x10
        mov bx, 0x13
        arpl ax, bx
        ZF_IS 1, "ARPL raising the RPL sets ZF"
        movzx eax, ax
        CHECK_EQ eax, 0x13, "ARPL copies the higher RPL"
        mov bx, 0x11
        arpl ax, bx
        ZF_IS 0, "ARPL with RPL already higher clears ZF"
        movzx eax, ax
        CHECK_EQ eax, 0x13, "and leaves the selector"

        mov ecx, SEL_CODE0
        mov eax, 0xDEADBEEF
        lar eax, ecx
        ZF_IS 1, "LAR of flat code: ZF=1"
        and eax, 0x00F0FF00
        CHECK_EQ eax, 0x00C09B00, "LAR returns the attributes"
        mov ecx, S_TSSD
        lar eax, ecx
        ZF_IS 1, "LAR of a TSS descriptor: ZF=1"
        and eax, 0xFF00
        CHECK_EQ eax, 0x8900, "LAR of a TSS: type 9"
        mov ecx, S_CGATE
        lar eax, ecx
        ZF_IS 1, "LAR of a call gate: ZF=1"
        mov ecx, S_IGATE
        mov eax, 0x12345678
        lar eax, ecx
        ZF_IS 0, "LAR of an interrupt gate: ZF=0"
        CHECK_EQ eax, 0x12345678, "and the destination is unchanged"
        xor ecx, ecx
        lar eax, ecx
        ZF_IS 0, "LAR of the null selector: ZF=0"
        mov ecx, GDT_ENTRIES * 8
        lar eax, ecx
        ZF_IS 0, "LAR past the GDT limit: ZF=0"
        mov ecx, SEL_DATA0 | 3
        lar eax, ecx
        ZF_IS 0, "LAR of DPL 0 data with RPL 3 (RPL > DPL): ZF=0"

        mov ecx, S_LIM
        lsl eax, ecx
        ZF_IS 1, "LSL of data: ZF=1"
        CHECK_EQ eax, 0xFFF, "LSL returns the byte limit"
        mov ecx, SEL_DATA0
        lsl eax, ecx
        CHECK_EQ eax, 0xFFFFFFFF, "LSL of a 4 GiB segment"
        mov ecx, S_TSSD
        lsl eax, ecx
        ZF_IS 1, "LSL of a TSS: ZF=1"
        CHECK_EQ eax, 0x67, "LSL of a TSS returns its limit"
        mov ecx, S_CGATE
        lsl eax, ecx
        ZF_IS 0, "LSL of a call gate: ZF=0"
        mov ecx, S_NP
        lsl eax, ecx
        ZF_IS 1, "LSL does not check the present bit"

        mov ax, SEL_CODE0
        verr ax
        ZF_IS 1, "VERR readable code: ZF=1"
        mov ax, S_XO
        verr ax
        ZF_IS 0, "VERR execute-only code: ZF=0"
        mov ax, SEL_DATA0
        verr ax
        ZF_IS 1, "VERR data: ZF=1"
        verw ax
        ZF_IS 1, "VERW writable data: ZF=1"
        mov ax, S_RO
        verw ax
        ZF_IS 0, "VERW read-only data: ZF=0"
        mov ax, S_XR
        verw ax
        ZF_IS 0, "VERW code: ZF=0"
        xor ax, ax
        verr ax
        ZF_IS 0, "VERR null: ZF=0"
        mov ax, S_TSSD
        verr ax
        ZF_IS 0, "VERR of a TSS: ZF=0"
        mov ax, S_DPL3
        verw ax
        ZF_IS 1, "VERW of DPL 3 data at CPL 0: ZF=1"
        mov ax, SEL_DATA0 | 3
        verr ax
        ZF_IS 0, "VERR of DPL 0 data with RPL 3: ZF=0"
        ret

; ---------------------------------------------------- SMSW LMSW CLTS
msw:
        mov ebx, cr0
        smsw eax
        and eax, 0xFFFF
        and ebx, 0xFFFF
        CHECK_EQ eax, ebx, "SMSW returns CR0's low 16 bits"
        mov ax, 0x000B          ; PE MP TS
        lmsw ax
        mov eax, cr0
        and eax, 0xF
        CHECK_EQ eax, 0xB, "LMSW sets MP and TS"
        clts
        mov eax, cr0
        and eax, 0xF
        CHECK_EQ eax, 0x3, "CLTS clears TS only"
        xor ax, ax
        lmsw ax
        mov eax, cr0
        and eax, 0xF
        CHECK_EQ eax, 0x1, "LMSW clears MP but cannot clear PE"
        ret

; ------------------------------------------------------- unreal mode
unreal:
        mov dword [UNREAL], 0x0BADC0DE
        mov esi, section.low16.start
        mov edi, LOWCODE
        mov ecx, low16_end - low16_start
        rep movsb
        mov dword [RESULT], 0
        mov [saved_esp], esp
        lidt [real_idt]
        jmp SEL_CODE16:rm_entry
unreal_back:
        mov ax, SEL_DATA0
        mov ds, ax
        mov es, ax
        mov ss, ax
        mov fs, ax
        mov gs, ax
        mov esp, [saved_esp]
        lidt [idt_desc]
        CHECK_EQ dword [RESULT], 0x0BADC0DE, "unreal mode: a 32-bit read above 1 MiB"
        CHECK_EQ dword [UNREAL + 4], 0x600DF00D, "unreal mode: a 32-bit write above 1 MiB"
        CHECK_EQ dword [RESULT + 4], 0x600DF00D, "unreal mode: ES keeps its 4 GiB limit after a real-mode load"
        ret

real_idt:
        dw 0x3FF
        dd 0

saved_esp: dd 0
c16_result: dd 0
buf: times 16 db 0

section low16 follows=.data vstart=LOWCODE
        bits 16
low16_start:
rm_entry:                               ; 16-bit protected mode, base 0
        mov ax, SEL_DATA16
        mov ss, ax
        mov sp, 0x7000
        mov ax, SEL_DATA0               ; 4 GiB limits for DS and ES
        mov ds, ax
        mov es, ax
        mov eax, cr0
        and al, 0xFE
        mov cr0, eax
        jmp 0:rm_real
rm_real:
        xor ax, ax
        mov ss, ax
        mov ds, ax                      ; real-mode loads: the limit stays
        mov es, ax
        mov esi, UNREAL
        mov eax, [esi]
        mov [RESULT], eax
        mov dword [esi + 4], 0x600DF00D
        mov eax, [es:esi + 4]
        mov [RESULT + 4], eax
        mov eax, cr0
        or al, 1
        mov cr0, eax
        jmp dword SEL_CODE0:unreal_back
low16_end:
