; Start of the protected-mode fuzz images (tests/fuzz/run.py fills the rest
; of the 64 KiB firmware image with seeded random bytes, a GDT, an IDT and a
; page directory).  Real-mode images have no prologue: they start in random
; bytes straight from the reset vector.
;
; Image layout (offsets from F0000h):
;   0000  this prologue         0FE0  EAX, EBX seeds   0FF0  bit 0: paging
;   1000  random code (entry)   2000  GDT (256 entries; 08h code, 10h data)
;   3000  IDT (256 gates)       6000  page directory (PDE 0 maps 0-4 MiB)
bits 16
org 0
    cli
    mov ax, 0xF000
    mov ds, ax
    o32 lgdt [gdtp]
    mov eax, cr0
    or al, 1
    mov cr0, eax
    jmp dword 0x08:(0xF0000 + pm)
bits 32
pm:
    mov ax, 0x10
    mov ds, ax
    mov es, ax
    mov ss, ax
    mov fs, ax
    mov gs, ax
    mov esp, 0x90000
    lidt [0xF0000 + idtp]
    test byte [0xF0000 + 0x0FF0], 1
    jz .flat
    mov eax, 0xF0000 + 0x6000
    mov cr3, eax
    mov eax, cr4
    or eax, 0x10                ; PSE: PDE 0 is a 4 MiB page
    mov cr4, eax
    mov eax, cr0
    or eax, 0x80000000
    mov cr0, eax
.flat:
    mov eax, [0xF0000 + 0x0FE0]
    mov ebx, [0xF0000 + 0x0FE4]
    jmp 0x08:0xF1000
align 8
gdtp: dw 0x7FF
      dd 0xF0000 + 0x2000
idtp: dw 0x7FF
      dd 0xF0000 + 0x3000
