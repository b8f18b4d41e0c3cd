; Paging: two-level 4 KiB paging, INVLPG and CR3 reloads, accessed and
; dirty bits, #PF error codes and CR2, user/supervisor, CR0.WP, PSE 4 MiB
; pages, PGE global pages and PAE (3 levels with the PDPT).
%define TEST_NAME "paging"
%define TEST_MODELS "386 486 pentium p6"
%include "lib.inc"

PD      equ 0x400000            ; page directory; 0-16 MiB identity below
PT0     equ 0x401000            ; 4 page tables for 0-16 MiB
PTT     equ 0x405000            ; page table for TPAGE
TPAGE    equ 0x40000000          ; a linear page mapped to PAGE_A/B/C
PAGE_A  equ 0x500000
PAGE_B  equ 0x501000
PAGE_C  equ 0x502000
BIG     equ 0x80000000          ; a 4 MiB page (PSE) -> physical 0x400000
PDPT    equ 0x410000            ; PAE
PAE_PD0 equ 0x411000
PAE_PD1 equ 0x412000
PAE_PT  equ 0x413000
CR0_PG  equ 0x80000000
CR0_WP  equ 0x10000

; SETPTE value: writes the PTE of TPAGE (no invalidation)
%macro SETPTE 1
        mov dword [PTT], %1
%endmacro
; INVAL: INVLPG [TPAGE] where there is one (486+), else a CR3 reload
%macro INVAL 0
        call inval
%endmacro

test_main:
        mov dword [PAGE_A], 0xAAAA
        mov dword [PAGE_B], 0xBBBB
        mov dword [PAGE_C], 0xCCCC
        ; identity map 0-16 MiB with user, writable pages
        mov edi, PD
        xor eax, eax
        mov ecx, 1024 * 6
        rep stosd
        mov edi, PT0
        mov eax, 0x007
        mov ecx, 4096
.fill:  stosd
        add eax, 0x1000
        loop .fill
        mov dword [PD + 0], PT0 + 0x007
        mov dword [PD + 4], PT0 + 0x1000 + 0x007
        mov dword [PD + 8], PT0 + 0x2000 + 0x007
        mov dword [PD + 12], PT0 + 0x3000 + 0x007
        mov dword [PD + (TPAGE >> 22) * 4], PTT + 0x007
        mov eax, PD
        mov cr3, eax
        mov eax, cr0
        or eax, CR0_PG
        mov cr0, eax
        CHECK_EQ 1, 1, "paging on: the identity-mapped kernel runs"
        mov eax, cr3
        CHECK_EQ eax, PD, "CR3 reads back"

        call basics
        call faults
        call user
        cmp byte [model], M486
        jb .no_wp
        call wp
.no_wp: call pf_df
        cmp byte [model], MPENTIUM
        jb .done
        call pse
        cmp byte [model], MP6
        jb .done
        call pge
        call pae
.done:  mov eax, cr0
        and eax, ~CR0_PG
        mov cr0, eax
        ret

basics:
        SETPTE PAGE_A + 7
        INVAL
        CHECK_EQ dword [TPAGE], 0xAAAA, "a 4 KiB page maps TPAGE to page A"
        SETPTE PAGE_B + 7
        INVAL
        CHECK_EQ dword [TPAGE], 0xBBBB, "after changing the PTE and INVLPG (386: CR3 write) the new page is used"
        SETPTE PAGE_C + 7
        mov eax, cr3
        mov cr3, eax
        CHECK_EQ dword [TPAGE], 0xCCCC, "after changing the PTE and a CR3 write the new page is used"
        ; accessed and dirty
        SETPTE PAGE_B + 7
        and dword [PD + (TPAGE >> 22) * 4], ~0x60
        mov eax, cr3
        mov cr3, eax
        mov eax, [TPAGE + 8]
        mov eax, [PTT]
        and eax, 0x60
        CHECK_EQ eax, 0x20, "a read sets A in the PTE, not D"
        mov eax, [PD + (TPAGE >> 22) * 4]
        and eax, 0x20
        CHECK_EQ eax, 0x20, "and A in the PDE"
        mov dword [TPAGE + 8], 1
        mov eax, [PTT]
        and eax, 0x60
        CHECK_EQ eax, 0x60, "a write sets D in the PTE"
        mov eax, [PD + (TPAGE >> 22) * 4]
        and eax, 0x40
        CHECK_EQ eax, 0, "and never D in the PDE"
        ret

faults:
        SETPTE 0
        INVAL
        TRY
        mov eax, [TPAGE + 0x10]
        CATCH
        CHECK_EXC 14, 0, "read of a not-present page: #PF(0)"
        mov eax, cr2
        CHECK_EQ eax, TPAGE + 0x10, "CR2 holds the linear address"
        TRY
        mov dword [TPAGE + 0x20], 0
        CATCH
        CHECK_EXC 14, 2, "write to a not-present page: #PF(W)"
        mov eax, cr2
        CHECK_EQ eax, TPAGE + 0x20, "CR2 of the write"
        TRY
        jmp TPAGE + 0x30
        CATCH
        CHECK_EXC 14, 0, "a jump into a not-present page: #PF(0) on the fetch"
        CHECK_EQ dword [exc_eip], TPAGE + 0x30, "the saved EIP is the target"
        mov eax, cr2
        CHECK_EQ eax, TPAGE + 0x30, "and CR2 too"
        ; a dword that straddles into the not-present page
        TRY
        mov eax, [TPAGE - 2]
        CATCH
        CHECK_EXC 14, 0, "a read straddling into a not-present page: #PF"
        ; a not-present page table
        mov dword [PD + (TPAGE >> 22) * 4], PTT + 6
        mov eax, cr3
        mov cr3, eax
        TRY
        mov eax, [TPAGE]
        CATCH
        CHECK_EXC 14, 0, "a not-present PDE: #PF(0)"
        mov dword [PD + (TPAGE >> 22) * 4], PTT + 7
        mov eax, cr3
        mov cr3, eax
        ret

user:
        SETPTE PAGE_A + 3       ; supervisor, writable
        INVAL
        RUN_RING3 r3_sup
        SETPTE PAGE_A + 5       ; user, read-only
        INVAL
        RUN_RING3 r3_ro
        SETPTE 0
        INVAL
        RUN_RING3 r3_np
        SETPTE PAGE_A + 7
        mov dword [PD + (TPAGE >> 22) * 4], PTT + 3      ; PDE supervisor
        mov eax, cr3
        mov cr3, eax
        RUN_RING3 r3_pde
        mov dword [PD + (TPAGE >> 22) * 4], PTT + 7
        mov eax, cr3
        mov cr3, eax
        ret
r3_sup:
        TRY
        mov eax, [TPAGE]
        CATCH
        CHECK_EXC 14, 5, "CPL 3 read of a supervisor page: #PF(P U)"
        TRY
        mov dword [TPAGE], 0
        CATCH
        CHECK_EXC 14, 7, "CPL 3 write of a supervisor page: #PF(P W U)"
        ret
r3_ro:
        TRY
        mov eax, [TPAGE]
        CATCH
        CHECK_NOEXC "CPL 3 read of a read-only user page"
        TRY
        mov dword [TPAGE], 0
        CATCH
        CHECK_EXC 14, 7, "CPL 3 write of a read-only user page: #PF(P W U)"
        ret
r3_np:
        TRY
        mov eax, [TPAGE]
        CATCH
        CHECK_EXC 14, 4, "CPL 3 read of a not-present page: #PF(U)"
        ret
r3_pde:
        TRY
        mov eax, [TPAGE]
        CATCH
        CHECK_EXC 14, 5, "a supervisor PDE over a user PTE: CPL 3 read #PF(P U)"
        ret

wp:
        SETPTE PAGE_A + 5       ; read-only
        INVAL
        TRY
        mov dword [TPAGE + 4], 1
        CATCH
        CHECK_NOEXC "CR0.WP=0: a supervisor write to a read-only page succeeds"
        mov eax, cr0
        or eax, CR0_WP
        mov cr0, eax
        TRY
        mov dword [TPAGE + 4], 2
        CATCH
        CHECK_EXC 14, 3, "CR0.WP=1: a supervisor write to a read-only page: #PF(P W)"
        mov eax, cr0
        and eax, ~CR0_WP
        mov cr0, eax
        CHECK_EQ dword [PAGE_A + 4], 1, "only the first write landed"
        ret

; A #PF whose gate is not present: #PF, then #NP: a double fault.
pf_df:
        SETPTE 0
        INVAL
        and byte [idt + 14 * 8 + 5], 0x7F
        TRY
        mov eax, [TPAGE]
        CATCH
        mov eax, 14
        call restore_idt_gate
        CHECK_EXC 8, 0, "#PF with a not-present #PF gate: #DF"
        ret

inval:
        cmp byte [model], M486
        jb .cr3
        invlpg [TPAGE]
        ret
.cr3:   push eax
        mov eax, cr3
        mov cr3, eax
        pop eax
        ret

pse:
        mov eax, cr4
        or eax, 0x10            ; PSE
        mov cr4, eax
        mov dword [PD + (BIG >> 22) * 4], 0x400000 + 0x87
        mov eax, cr3
        mov cr3, eax
        CHECK_EQ dword [BIG + PAGE_A - 0x400000], 0xAAAA, "PSE: a 4 MiB page"
        CHECK_EQ dword [BIG + PAGE_C - 0x400000], 0xCCCC, "PSE: its offset spans 22 bits"
        mov eax, [PD + (BIG >> 22) * 4]
        and eax, 0x20
        CHECK_EQ eax, 0x20, "PSE: the 4 MiB PDE gets A"
        mov dword [BIG + PAGE_C - 0x400000 + 8], 0
        mov eax, [PD + (BIG >> 22) * 4]
        and eax, 0x40
        CHECK_EQ eax, 0x40, "PSE: and D on a write"
        mov dword [PD + (BIG >> 22) * 4], 0x400000 + 0x200000 + 0x87
        invlpg [BIG]
        TRY
        mov eax, [BIG]
        CATCH
        CHECK_EXC 14, 9, "PSE: a reserved bit (21) in a 4 MiB PDE: #PF(P RSVD)"
        mov dword [PD + (BIG >> 22) * 4], 0
        mov eax, cr4
        and eax, ~0x10
        mov cr4, eax
        ret

pge:
        mov eax, cr4
        or eax, 0x80            ; PGE
        mov cr4, eax
        SETPTE PAGE_A + 0x107   ; global
        invlpg [TPAGE]
        mov eax, [TPAGE]
        SETPTE PAGE_B + 0x107
        mov eax, cr3
        mov cr3, eax
        CHECK_EQ dword [TPAGE], 0xAAAA, "PGE: a global TLB entry survives a CR3 write"
        invlpg [TPAGE]
        CHECK_EQ dword [TPAGE], 0xBBBB, "PGE: INVLPG removes a global entry"
        SETPTE PAGE_C + 0x107
        mov eax, cr4
        and eax, ~0x80
        mov cr4, eax
        CHECK_EQ dword [TPAGE], 0xCCCC, "clearing CR4.PGE flushes global entries"
        SETPTE PAGE_A + 7
        invlpg [TPAGE]
        ret

pae:
        ; PDPT: 0-1 GiB identity by 2 MiB pages (first 16 MiB), 1-2 GiB for TPAGE
        mov edi, PDPT
        xor eax, eax
        mov ecx, (PAE_PT + 0x1000 - PDPT) / 4
        rep stosd
        mov dword [PDPT], PAE_PD0 + 1
        mov dword [PDPT + 8], PAE_PD1 + 1
        mov edi, PAE_PD0
        mov eax, 0x87
        mov ecx, 8
.pd0:   mov [edi], eax
        add eax, 0x200000
        add edi, 8
        loop .pd0
        mov dword [PAE_PD1], PAE_PT + 7
        mov dword [PAE_PT], PAGE_B + 7
        mov dword [PAE_PT + 8], PAGE_C + 7
        mov eax, cr0
        and eax, ~CR0_PG
        mov cr0, eax
        mov eax, cr4
        or eax, 0x20            ; PAE
        mov cr4, eax
        mov eax, PDPT
        mov cr3, eax
        mov eax, cr0
        or eax, CR0_PG
        mov cr0, eax
        CHECK_EQ 1, 1, "PAE on: the kernel runs from 2 MiB pages"
        CHECK_EQ dword [TPAGE], 0xBBBB, "PAE: a 4 KiB page through PDPT, PD and PT"
        CHECK_EQ dword [TPAGE + 0x1000], 0xCCCC, "PAE: the next 8-byte PTE"
        mov eax, [PAE_PT]
        and eax, 0x60
        CHECK_EQ eax, 0x20, "PAE: A set in the PTE"
        mov dword [PAE_PT + 4], 0x100         ; bit 40: above MAXPHYADDR
        invlpg [TPAGE]
        TRY
        mov eax, [TPAGE]
        CATCH
        CHECK_EXC 14, 9, "PAE: a reserved bit in a PTE: #PF(P RSVD)"
        mov dword [PAE_PT + 4], 0
        mov dword [PAE_PT], PAGE_A + 7
        invlpg [TPAGE]
        CHECK_EQ dword [TPAGE], 0xAAAA, "PAE: INVLPG after a PTE change"
        mov eax, cr0
        and eax, ~CR0_PG
        mov cr0, eax
        mov eax, cr4
        and eax, ~0x20
        mov cr4, eax
        mov eax, PD
        mov cr3, eax
        mov eax, cr0
        or eax, CR0_PG
        mov cr0, eax
        ret
