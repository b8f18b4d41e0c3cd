# gdb's side of tests/gdb/reverse.py (gdb -batch -x): reverse execution on
# the test kernel with "spin".  Records what it sees going forwards, then
# goes backwards and prints what it finds; reverse.py compares both with
# each other and with a forward trace.  Lines: "FWD ...", "REV ...".
import os
import re

import gdb

SOCK = os.environ["POPEK_SOCK"]
REGS = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi", "eip", "eflags"]


def icount():
    out = gdb.execute("monitor info registers", to_string=True)
    return int(re.search(r"after (\d+) instructions", out).group(1))


def state():
    regs = " ".join("%s=%08x" % (r, int(gdb.parse_and_eval("$" + r)) & 0xFFFFFFFF) for r in REGS)
    esp = int(gdb.parse_and_eval("$esp")) & 0xFFFFFFFF
    stack = bytes(gdb.selected_inferior().read_memory(esp, 32)).hex()
    counter = int(gdb.parse_and_eval("counter"))
    return "icount=%d %s stack=%s counter=%d" % (icount(), regs, stack, counter)


gdb.execute("set pagination off")
gdb.execute("set confirm off")
gdb.execute("target remote " + SOCK)
gdb.execute("break add_numbers")
for i in range(5):
    gdb.execute("continue")
    print("FWD call%d %s" % (i, state()))
gdb.execute("delete")
gdb.execute("watch counter")
gdb.execute("continue")
print("FWD store %s" % state())
gdb.execute("delete")
gdb.execute("continue")  # spins until --at ...:break
print("FWD spinning %s" % state())
print("HISTORY %s" % gdb.execute("monitor info rewind", to_string=True).strip())

# Back to the last call through the whole spin (many checkpoints back).
gdb.execute("break add_numbers")
gdb.execute("reverse-continue")
print("REV call4 %s" % state())
gdb.execute("reverse-continue")
print("REV call3 %s" % state())
for k in range(1, 4):
    gdb.execute("reverse-stepi")
    print("REV step%d %s" % (k, state()))
gdb.execute("delete")
# Forwards through history to the store, then back over it with a watchpoint.
gdb.execute("watch counter")
gdb.execute("continue")
print("REV refwd-store %s" % state())
gdb.execute("reverse-continue")
print("REV before-store %s pc=%#x" % (state(), int(gdb.parse_and_eval("$pc")) & 0xFFFFFFFF))
gdb.execute("delete")
# reverse-next, which gdb builds on bs/bc: back over the last call of the
# loop without stopping inside add_numbers.
# The first goes to the start of the store's line (we are in its middle),
# the second to the line before.
line0 = gdb.selected_frame().find_sal().line
gdb.execute("reverse-next")
start = gdb.selected_frame().find_sal()
print("REV rnext-start pc=%#x line=%d" % (int(gdb.parse_and_eval("$pc")) & 0xFFFFFFFF, start.line))
gdb.execute("reverse-next")
f = gdb.selected_frame()
print("REV rnext %s line=%d from=%d func=%s" % (state(), f.find_sal().line, line0, f.name()))
gdb.execute("break add_numbers")
gdb.execute("reverse-continue")
gdb.execute("reverse-continue")
gdb.execute("reverse-continue")
gdb.execute("reverse-continue")
gdb.execute("reverse-continue")
print("BEGIN-FOLLOWS")
gdb.execute("reverse-continue")
print("REV begin %s" % state())
print("SESSION DONE")
gdb.execute("kill")
