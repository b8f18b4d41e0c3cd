; System registers per model: EFLAGS.AC/ID, CPUID, CR0 and CR4 bits, DR6
; and DR7 fixed bits and DR4/DR5, MSRs (TSC, APIC base, MTRRs, machine
; check, unknown ones), RDTSC and CR4.TSD, RDPMC, INVD/WBINVD, and the
; privilege checks on all of them.
%define TEST_NAME "sysregs"
%define TEST_MODELS "386 486 pentium p6"
%include "lib.inc"

; MSR_RD msr: rdmsr of ecx=msr inside TRY (EDX:EAX keep the result)
%macro MSR_RD 1
        TRY
        mov ecx, %1
        rdmsr
        CATCH
%endmacro
%macro MSR_WR 3                 ; msr, edx, eax
        TRY
        mov ecx, %1
        mov edx, %2
        mov eax, %3
        wrmsr
        CATCH
%endmacro

test_main:
        call eflags_bits
        call cpuid_leaves
        call cr_bits
        call dr_bits
        cmp byte [model], MPENTIUM
        jb .old
        call msrs
        call tsc
        call pmc
        RUN_RING3 r3_priv
        jmp .cache
.old:   TRY
        rdtsc
        CATCH
        CHECK_EXC 6, 0, "386/486: RDTSC is #UD"
        TRY
        mov ecx, 0x10
        rdmsr
        CATCH
        CHECK_EXC 6, 0, "386/486: RDMSR is #UD"
.cache: cmp byte [model], M486
        jb .no_invd
        TRY
        wbinvd
        invd
        CATCH
        CHECK_NOEXC "486+: WBINVD and INVD at CPL 0"
        RUN_RING3 r3_cache
        ret
.no_invd:
        TRY
        wbinvd
        CATCH
        CHECK_EXC 6, 0, "386: WBINVD is #UD"
        ret

; ------------------------------------------------------------- EFLAGS
; toggle(ebx = bit): EAX = 1 if the bit can be flipped
toggle:
        pushfd
        pushfd
        xor [esp], ebx
        popfd
        pushfd
        pop eax
        xor eax, [esp]
        and eax, ebx
        setnz al
        movzx eax, al
        popfd
        ret

eflags_bits:
        mov ebx, EFL_AC
        call toggle
        xor ecx, ecx
        cmp byte [model], M486
        setae cl
        CHECK_EQ eax, ecx, "EFLAGS.AC can be toggled exactly on the 486 and later"
        mov ebx, EFL_ID
        call toggle
        xor ecx, ecx
        cmp byte [model], MPENTIUM
        setae cl
        CHECK_EQ eax, ecx, "EFLAGS.ID can be toggled exactly where CPUID exists (Pentium, P6)"
        ret

; -------------------------------------------------------------- CPUID
cpuid_leaves:
        cmp byte [model], MPENTIUM
        jae .has
        TRY
        xor eax, eax
        cpuid
        CATCH
        CHECK_EXC 6, 0, "386/486: CPUID is #UD"
        ret
.has:   xor eax, eax
        cpuid
        CHECK_EQ ebx, 'Genu', "CPUID 0: GenuineIntel (EBX)"
        CHECK_EQ edx, 'ineI', "CPUID 0: GenuineIntel (EDX)"
        CHECK_EQ ecx, 'ntel', "CPUID 0: GenuineIntel (ECX)"
        cmp byte [model], MP6
        je .p6
        CHECK_EQ eax, 1, "Pentium (P54C): highest leaf 1"
        mov eax, 1
        cpuid
        shr eax, 4
        and eax, 0x3FF
        CHECK_EQ eax, 0x052, "Pentium: CPUID 1 family 5 model 2"
        CHECK_EQ edx, 0x000001BF, "Pentium: features exactly FPU VME DE PSE TSC MSR MCE CX8"
        CHECK_EQ ecx, 0, "Pentium: no CPUID 1 ECX features"
        ret
.p6:    CHECK_EQ eax, 2, "Pentium Pro: highest leaf 2"
        mov eax, 1
        cpuid
        shr eax, 4
        and eax, 0x3FF
        CHECK_EQ eax, 0x061, "Pentium Pro: CPUID 1 family 6 model 1"
        CHECK_EQ edx, 0x0000F3FF, "Pentium Pro: features exactly FPU VME DE PSE TSC MSR PAE MCE CX8 APIC MTRR PGE MCA CMOV"
        CHECK_EQ ecx, 0, "Pentium Pro: no CPUID 1 ECX features"
        ret

; ---------------------------------------------------------- CR0 / CR4
%macro CR4_TRY 2                ; value, 1 = writable
        TRY
        mov eax, %1
        mov cr4, eax
        mov ebx, cr4
        xor eax, eax
        mov cr4, eax
        CATCH
  %if %2
        CHECK_NOEXC {"CR4 bit ", %str(%1), " can be set"}
        CHECK_EQ ebx, %1, {"CR4 bit ", %str(%1), " reads back"}
  %else
        CHECK_EXC 13, 0, {"CR4 bit ", %str(%1), " is reserved on this model: #GP(0)"}
  %endif
%endmacro

cr_bits:
        cmp byte [model], M486
        jb .cr4
        mov ebx, cr0
        mov eax, ebx
        and eax, ~0x10          ; ET
        mov cr0, eax
        mov eax, cr0
        and eax, 0x10
        CHECK_EQ eax, 0x10, "486+: CR0.ET is fixed to 1"
        mov eax, ebx
        or eax, (1 << 5) | (1 << 16) | (1 << 18)        ; NE WP AM
        mov cr0, eax
        mov eax, cr0
        mov cr0, ebx
        and eax, (1 << 5) | (1 << 16) | (1 << 18)
        CHECK_EQ eax, (1 << 5) | (1 << 16) | (1 << 18), "486+: CR0 NE, WP and AM read back"
        TRY
        mov eax, ebx
        or eax, 1 << 29         ; NW without CD
        and eax, ~(1 << 30)
        mov cr0, eax
        CATCH
        mov cr0, ebx
        CHECK_EXC 13, 0, "486+: CR0.NW=1 with CD=0: #GP(0)"
.cr4:   cmp byte [model], MPENTIUM
        jae .has4
        TRY
        mov eax, cr4
        CATCH
        CHECK_EXC 6, 0, "386/486: MOV from CR4 is #UD"
        ret
.has4:  mov eax, cr4
        CHECK_EQ eax, 0, "CR4 starts as 0"
        CR4_TRY 0x01, 1         ; VME
        CR4_TRY 0x02, 1         ; PVI
        CR4_TRY 0x04, 1         ; TSD
        CR4_TRY 0x08, 1         ; DE
        CR4_TRY 0x10, 1         ; PSE
        CR4_TRY 0x40, 1         ; MCE
        cmp byte [model], MP6
        je .p6
        CR4_TRY 0x20, 0         ; PAE
        CR4_TRY 0x80, 0         ; PGE
        CR4_TRY 0x100, 0        ; PCE (P54C has no RDPMC)
        CR4_TRY 0x200, 0        ; OSFXSR
        ret
.p6:    CR4_TRY 0x80, 1         ; PGE
        CR4_TRY 0x100, 1        ; PCE
        CR4_TRY 0x200, 0        ; OSFXSR
        CR4_TRY 0x400, 0        ; OSXMMEXCPT
        ret

; ------------------------------------------------------------ DR6 DR7
dr_bits:
        mov eax, 0x12345678
        mov dr3, eax
        mov eax, dr3
        CHECK_EQ eax, 0x12345678, "DR3 reads back"
        xor eax, eax
        mov dr3, eax
        cmp byte [model], MPENTIUM
        jb .ret
        xor eax, eax
        mov dr6, eax
        mov eax, dr6
        CHECK_EQ eax, 0xFFFF0FF0, "DR6 written 0 reads 0xFFFF0FF0"
        xor eax, eax
        mov dr7, eax
        mov eax, dr7
        CHECK_EQ eax, 0x400, "DR7 written 0 reads 0x400"
        mov eax, 1
        mov dr6, eax
        db 0x0F, 0x21, 0xE0     ; mov eax, dr4
        CHECK_EQ eax, 0xFFFF0FF1, "CR4.DE=0: DR4 is DR6"
        mov eax, cr4
        or eax, 0x08
        mov cr4, eax
        TRY
        db 0x0F, 0x21, 0xE8     ; mov eax, dr5
        CATCH
        CHECK_EXC 6, 0, "CR4.DE=1: DR5 is #UD"
        xor eax, eax
        mov cr4, eax
        mov dr6, eax
.ret:   ret

; --------------------------------------------------------------- MSRs
msrs:
        MSR_RD 0x9999
        CHECK_EXC 13, 0, "RDMSR of an unknown MSR: #GP(0)"
        MSR_WR 0x9999, 0, 0
        CHECK_EXC 13, 0, "WRMSR of an unknown MSR: #GP(0)"
        MSR_RD 0x1B
        cmp byte [model], MP6
        je .p6
        CHECK_EXC 13, 0, "Pentium (no APIC): MSR 0x1B is #GP(0)"
        MSR_RD 0x0
        CHECK_NOEXC "Pentium: P5_MC_ADDR (MSR 0) reads"
        MSR_RD 0x1
        CHECK_NOEXC "Pentium: P5_MC_TYPE (MSR 1) reads"
        MSR_RD 0xFE
        CHECK_EXC 13, 0, "Pentium: no MTRRs (MSR 0xFE is #GP(0))"
        ret
.p6:    CHECK_NOEXC "P6: APIC base (MSR 0x1B) reads"
        and eax, 0xFFFFF900
        CHECK_EQ eax, 0xFEE00900, "P6: APIC base 0xFEE00000, enabled, BSP"
        MSR_RD 0xFE
        CHECK_NOEXC "P6: MTRRcap reads"
        and eax, 0x5FF
        CHECK_EQ eax, 0x508, "P6: MTRRcap: 8 variable ranges, fixed ranges, WC"
        MSR_WR 0x2FF, 0, 0xC06
        CHECK_NOEXC "P6: MTRRdefType writes"
        MSR_RD 0x2FF
        CHECK_EQ eax, 0xC06, "P6: MTRRdefType reads back"
        MSR_WR 0x250, 0x06060606, 0x05050505
        MSR_RD 0x250
        CHECK_EQ eax, 0x05050505, "P6: MTRRfix64K_00000 reads back (low)"
        CHECK_EQ edx, 0x06060606, "P6: MTRRfix64K_00000 reads back (high)"
        MSR_WR 0x26F, 0x04040404, 0x00000101
        MSR_RD 0x26F
        CHECK_EQ eax, 0x00000101, "P6: MTRRfix4K_F8000 reads back"
        MSR_WR 0x200, 0, 0x00100006
        MSR_RD 0x200
        CHECK_EQ eax, 0x00100006, "P6: MTRRphysBase0 reads back"
        MSR_WR 0x20F, 0xF, 0xFFF00800
        MSR_RD 0x20F
        CHECK_EQ eax, 0xFFF00800, "P6: MTRRphysMask7 reads back (low)"
        CHECK_EQ edx, 0xF, "P6: MTRRphysMask7 reads back (high)"
        MSR_RD 0x179
        CHECK_NOEXC "P6: MCG_CAP reads"
        and eax, 0xFF
        CHECK_EQ eax, 5, "P6: MCG_CAP: 5 banks"
        MSR_RD 0x17A
        CHECK_NOEXC "P6: MCG_STATUS reads"
        MSR_WR 0x400, 0, 0x1F
        MSR_RD 0x400
        CHECK_EQ eax, 0x1F, "P6: MC0_CTL reads back"
        ret

tsc:
        MSR_WR 0x10, 0, 0x10000000
        CHECK_NOEXC "WRMSR to the TSC"
        MSR_RD 0x10
        CHECK_EQ edx, 0, "the TSC reads back what was written (high)"
        sub eax, 0x10000000
        cmp eax, 0x1000000
        setb al
        movzx eax, al
        CHECK_EQ eax, 1, "the TSC reads back what was written plus a little"
        rdtsc
        mov ebx, eax
        mov ecx, 100
.spin:  loop .spin
        rdtsc
        sub eax, ebx
        setnz bl
        cmp eax, 0x80000000
        setb al
        and al, bl
        movzx eax, al
        CHECK_EQ eax, 1, "RDTSC moves forward"
        mov eax, cr4
        or eax, 0x04            ; TSD
        mov cr4, eax
        TRY
        rdtsc
        CATCH
        CHECK_NOEXC "CR4.TSD=1: RDTSC at CPL 0 works"
        RUN_RING3 r3_tsd
        xor eax, eax
        mov cr4, eax
        ret
r3_tsd:
        TRY
        rdtsc
        CATCH
        CHECK_EXC 13, 0, "CR4.TSD=1: RDTSC at CPL 3: #GP(0)"
        ret

pmc:
        cmp byte [model], MP6
        je .p6
        TRY
        xor ecx, ecx
        rdpmc
        CATCH
        CHECK_EXC 6, 0, "Pentium (P54C): RDPMC is #UD"
        ret
.p6:    TRY
        xor ecx, ecx
        rdpmc
        CATCH
        CHECK_NOEXC "P6: RDPMC counter 0 at CPL 0"
        TRY
        mov ecx, 2
        rdpmc
        CATCH
        CHECK_EXC 13, 0, "P6: RDPMC counter 2: #GP(0)"
        RUN_RING3 r3_pmc
        mov eax, cr4
        or eax, 0x100           ; PCE
        mov cr4, eax
        RUN_RING3 r3_pmc_ok
        xor eax, eax
        mov cr4, eax
        ret
r3_pmc:
        TRY
        xor ecx, ecx
        rdpmc
        CATCH
        CHECK_EXC 13, 0, "P6: RDPMC at CPL 3 with CR4.PCE=0: #GP(0)"
        ret
r3_pmc_ok:
        TRY
        xor ecx, ecx
        rdpmc
        CATCH
        CHECK_NOEXC "P6: RDPMC at CPL 3 with CR4.PCE=1"
        ret

r3_priv:
        TRY
        mov ecx, 0x10
        rdmsr
        CATCH
        CHECK_EXC 13, 0, "RDMSR at CPL 3: #GP(0)"
        TRY
        mov ecx, 0x10
        xor eax, eax
        xor edx, edx
        wrmsr
        CATCH
        CHECK_EXC 13, 0, "WRMSR at CPL 3: #GP(0)"
        TRY
        rdtsc
        CATCH
        CHECK_NOEXC "RDTSC at CPL 3 with CR4.TSD=0"
        TRY
        xor eax, eax
        cpuid
        CATCH
        CHECK_NOEXC "CPUID at CPL 3"
        TRY
        mov eax, dr7
        CATCH
        CHECK_EXC 13, 0, "MOV from DR7 at CPL 3: #GP(0)"
        TRY
        clts
        CATCH
        CHECK_EXC 13, 0, "CLTS at CPL 3: #GP(0)"
        ret

r3_cache:
        TRY
        wbinvd
        CATCH
        CHECK_EXC 13, 0, "WBINVD at CPL 3: #GP(0)"
        TRY
        invd
        CATCH
        CHECK_EXC 13, 0, "INVD at CPL 3: #GP(0)"
        ret
