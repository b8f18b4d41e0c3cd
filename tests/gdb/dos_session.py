# gdb's side of tests/gdb/dos.py (run with gdb -batch -x): a DOS program in
# real mode, under the i8086 architecture.  Prints one "RESULT ok|FAILED
# what" line per check and "SESSION DONE" at the end.
import os

import gdb

SOCK = os.environ["POPEK_SOCK"]
COM = open(os.environ["POPEK_COM"], "rb").read()
MSG = int(os.environ["POPEK_MSG"])
AFTER_INT = int(os.environ["POPEK_AFTER_INT"])


def result(ok, what, detail=""):
    print("RESULT %s %s%s" % ("ok" if ok else "FAILED", what, "" if ok else " -- " + str(detail)))


def reg(name):
    return int(gdb.parse_and_eval("$" + name)) & 0xFFFFFFFF


def mem(addr, n):
    return bytes(gdb.selected_inferior().read_memory(addr, n))


def word(addr):
    b = mem(addr, 2)
    return b[0] | b[1] << 8


gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("target remote " + SOCK)
# The stub's target description is i386's; real mode is gdb's i8086.
gdb.execute("set architecture i8086")
gdb.execute("continue")  # --at 8s:break: FreeDOS is up, waiting at A:\>
vec_off, vec_seg = word(0x84), word(0x86)
handler = vec_seg * 16 + vec_off
result(0 < handler < 0xA0000, "INT 21h's vector from the interrupt table: %04x:%04x" % (vec_seg, vec_off),
       hex(handler))
gdb.execute("break *%d if ($eax >> 8 & 0xff) == 9 && *(unsigned char *)($ds * 16 + ($edx & 0xffff)) == 0x50"
            % handler)
gdb.execute("continue")  # HELLO is typed at 10 s and runs
pc, cs, ip_ = reg("pc"), reg("cs"), reg("eip")
result(pc == handler and cs == vec_seg, "the breakpoint stops at the handler: pc %#x = CS %04x * 16 + IP" % (pc, cs),
       "pc %#x cs %#x" % (pc, cs))
ds, dx = reg("ds"), reg("edx") & 0xFFFF
text = mem(ds * 16 + dx, 28)
result(dx == MSG and text.startswith(b"POPEK DOS PROGRAM: 6*7=42\r\n$"),
       "DS:DX (%04x:%04x) holds the program's message, with the digits it computed" % (ds, dx), text)
ss, sp = reg("ss"), reg("esp") & 0xFFFF
ret_ip, ret_cs = word(ss * 16 + sp), word(ss * 16 + sp + 2)
result(ret_ip == AFTER_INT and mem(ret_cs * 16 + ret_ip - 2, 2) == b"\xcd\x21",
       "the stack holds the return CS:IP %04x:%04x, after the program's INT 21h" % (ret_cs, ret_ip),
       "%04x:%04x" % (ret_cs, ret_ip))
image = mem(ret_cs * 16 + 0x100, len(COM))
# The program wrote its digits into itself before the INT: the rest is as
# in the file.
digits = COM.index(b"??")
want = COM[:digits] + b"42" + COM[digits + 2:]
result(image == want, "CS:0100 holds HELLO.COM's bytes (%d, with its digits written)" % len(COM), image.hex())
insn = gdb.execute("x/i $pc", to_string=True)
result(("%#x" % handler) in insn.lower() or ("0x%x" % handler) in insn, "x/i $pc disassembles at the linear pc",
       insn)
gdb.execute("delete")
gdb.execute("break *%d" % (ret_cs * 16 + AFTER_INT))
gdb.execute("continue")  # the handler prints and returns
pc = reg("pc")
result(pc == ret_cs * 16 + AFTER_INT and reg("cs") == ret_cs and reg("eip") == ret_cs * 16 + AFTER_INT,
       "a breakpoint in the program after the INT: back at %04x:%04x" % (ret_cs, AFTER_INT), hex(pc))
result(mem(pc, 3) == b"\xb8\x00\x4c", "x at $pc reads the program's MOV AX,4C00h", mem(pc, 3).hex())
gdb.execute("stepi")
result(reg("pc") == pc + 3 and reg("eax") & 0xFFFF == 0x4C00, "stepi executes it: AX = 4C00h, pc moves by 3",
       "pc %#x eax %#x" % (reg("pc"), reg("eax")))
# Writing pc moves IP within CS (gdb's addresses are linear): back one
# instruction, and stepi runs the MOV again.
gdb.execute("set $pc = %d" % pc)
result(reg("pc") == pc and reg("cs") == ret_cs, "set $pc: a linear pc becomes IP in the same CS", hex(reg("pc")))
gdb.execute("stepi")
result(reg("pc") == pc + 3, "stepi again from there", hex(reg("pc")))
# At the second INT 21h now: stepi goes through it into the handler, with
# the return CS:IP and FLAGS pushed.
int_at = reg("pc")
sp0 = reg("esp") & 0xFFFF
flags0 = reg("eflags") & 0xFFFF
result(mem(int_at, 2) == b"\xcd\x21", "at the program's INT 21h", mem(int_at, 2).hex())
gdb.execute("stepi")
ss, sp = reg("ss"), reg("esp") & 0xFFFF
frame = [word(ss * 16 + sp + 2 * i) for i in range(3)]
result(reg("pc") == handler and sp == (sp0 - 6) & 0xFFFF and frame[0] == int_at + 2 - ret_cs * 16 and
       frame[1] == ret_cs and frame[2] == flags0,
       "stepi through INT 21h: into the handler at %#x, IP/CS/FLAGS on the stack" % handler,
       "pc %#x sp %04x->%04x frame %s" % (reg("pc"), sp0, sp, [hex(x) for x in frame]))
gdb.execute("delete")
gdb.execute("detach")
print("SESSION DONE")
