; A DOS program for the FreeDOS test: computes 6 * 7 and prints it with
; INT 21h, so the line on the screen shows the program really ran.
        org 0x100
        mov al, 6
        mov bl, 7
        mul bl                  ; AX = 42
        mov bl, 10
        div bl                  ; AL = 4, AH = 2
        add ax, 0x3030
        mov [digits], ax
        mov dx, msg
        mov ah, 0x09
        int 0x21
        mov ax, 0x4C00
        int 0x21
msg:    db "POPEK DOS PROGRAM: 6*7="
digits: db "??", 13, 10, "$"
