# The gdb side of tests/gdb/check.py, run inside gdb (gdb -batch -x):
# attaches to popek, breaks, reads registers and variables, watches a
# global, steps, writes memory, asks the monitor, and detaches.  Prints a
# "check: WHAT: ok|FAILED" line per check and "session: done" at the end.
import os
import re

import gdb


def check(ok, what, detail=""):
    print("check: %s: %s%s" % (what, "ok" if ok else "FAILED", "" if ok or not detail else ": " + detail))


def ex(cmd):
    return gdb.execute(cmd, to_string=True)


def val(expr):
    return int(gdb.parse_and_eval(expr))


def local_line():
    with open(os.environ["POPEK_GDB_SOURCE"]) as f:
        for n, line in enumerate(f, 1):
            if "LOCAL-LINE" in line:
                return n
    raise SystemExit("no LOCAL-LINE in the kernel's source")


ex("set pagination off")
ex("target remote " + os.environ["POPEK_GDB_TARGET"])
check(val("$eip") == val("(unsigned)&_start"), "attached at the kernel's entry (-S)", hex(val("$eip")))

ex("break *add_numbers")
ex("continue")
check(val("$eip") == val("(unsigned)&add_numbers"), "break at add_numbers by name: $eip is its address",
      "%x" % val("$eip"))
regs = ex("info registers")
check(re.search(r"^cs\s+0x8\s", regs, re.M) is not None and re.search(r"^eflags\s", regs, re.M) is not None,
      "info registers shows cs (0x8) and eflags", regs[-300:])
check(val("a") == 0 and val("b") == 7, "the arguments of the first call")

ex("break kernel.c:%d" % local_line())
ex("continue")
check(val("local") == 7, "the local variable (a * 3 + b)", str(val("local")))
ex("up")
check(val("i") == 0 and val("total") == 0, "the caller's locals, one frame up")

ex("delete")
old = val("counter")
wp = gdb.Breakpoint("counter", gdb.BP_WATCHPOINT, gdb.WP_WRITE)
ex("continue")
check(old == 0 and val("counter") == 65 and wp.hit_count == 1, "watch counter fires once: 0 before, 65 after",
      "%d -> %d, %d hits" % (old, val("counter"), wp.hit_count))
check(val("$eip") == val("(unsigned)&store_end"),
      "the watchpoint stops just after the writing instruction", "%x" % val("$eip"))
ex("delete")

pc = val("$pc")
length = gdb.selected_inferior().architecture().disassemble(pc)[0]["length"]
ex("stepi")
check(val("$pc") == pc + length, "stepi advances one instruction", "%x -> %x" % (pc, val("$pc")))

ex("set var counter = 0x1234")
check(val("counter") == 0x1234, "memory written through the stub reads back")
ex("set var $eax = 0x55aa")
check(val("$eax") == 0x55aa, "a register written through the stub reads back")
fl = ex("info float")
check("Control Word" in fl and "0x037f" in fl, "info float shows the x87's control word", fl[-300:])
mon = ex("monitor info registers")
check("EIP=" in mon and "CS=0008" in mon, "monitor info registers", mon[:300])
mon = ex("monitor no-such-command")
check("unknown command" in mon, "an unknown monitor command is refused", mon)

ex("detach")
print("session: done")
