; A multiboot (version 1) ELF kernel for the boot tests: it prints, on the
; 0xE9 debug console, the magic it was given, its command line, and each
; module's command line and first line of contents, then ends through the
; isa-debug-exit port 0xF4 (status (0 << 1) | 1 = 1).  The test (boot.mk)
; compares that output and status with what it passed to popek.

        bits 32
        section .multiboot
        align 4
MB_MAGIC equ 0x1BADB002
MB_FLAGS equ 0x00000003                 ; page-aligned modules, memory info
        dd MB_MAGIC, MB_FLAGS, -(MB_MAGIC + MB_FLAGS)

        section .text
        global _start
_start:
        mov esp, stack_top
        cmp eax, 0x2BADB002
        jne .badmagic
        mov esi, msg_magic
        call puts
        mov ebx, ebx                    ; EBX: the information structure
        test dword [ebx], 0x4           ; cmdline present?
        jz .nocmd
        mov esi, msg_cmd
        call puts
        mov esi, [ebx + 16]
        call puts
        call newline
.nocmd:
        test dword [ebx], 0x8           ; modules present?
        jz .done
        mov ecx, [ebx + 20]             ; mods_count
        mov esi, msg_mods
        call puts
        mov eax, ecx
        add al, '0'
        call putc
        call newline
        mov edi, [ebx + 24]             ; mods_addr
.mod:
        test ecx, ecx
        jz .done
        mov esi, msg_mod
        call puts
        mov esi, [edi + 8]              ; module string
        call puts
        mov esi, msg_sep
        call puts
        mov esi, [edi]                  ; module start: print its first line
        mov edx, [edi + 4]              ; module end
        test esi, 0xFFF                 ; page aligned, as flag 0 asked
        jnz .badalign
.line:
        cmp esi, edx
        jae .eol
        lodsb
        cmp al, 10
        je .eol
        call putc
        jmp .line
.eol:
        call newline
        add edi, 16
        dec ecx
        jmp .mod
.badalign:
        mov esi, msg_align
        call puts
        jmp .done
.badmagic:
        mov esi, msg_bad
        call puts
.done:
        mov esi, msg_end
        call puts
        xor eax, eax
        out 0xF4, al                    ; exit with status 1
        cli
        hlt

putc:   out 0xE9, al
        ret
newline:
        mov al, 10
        jmp putc
puts:   lodsb
        test al, al
        jz .r
        out 0xE9, al
        jmp puts
.r:     ret

        section .rodata
msg_magic: db "multiboot magic ok", 10, 0
msg_bad:   db "bad magic", 10, 0
msg_cmd:   db "cmdline: ", 0
msg_mods:  db "modules: ", 0
msg_mod:   db "module: ", 0
msg_sep:   db " | ", 0
msg_align: db "module not page aligned", 10, 0
msg_end:   db "end", 10, 0

        section .bss
        align 16
        resb 4096
stack_top:
