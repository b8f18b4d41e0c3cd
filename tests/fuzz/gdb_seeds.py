#!/usr/bin/env python3
"""Seeds for make fuzz-gdb: byte streams a gdb client sends (what gdb 13
sends on attach, breakpoints, watchpoints, memory and register access,
steps and continues), framed, each preceded by the chunking byte."""
import os
import sys


def pkt(data):
    data = data.encode("latin-1") if isinstance(data, str) else data
    return b"$" + data + b"#%02x" % (sum(data) & 0xFF)


SESSIONS = {
    "attach": ["qSupported:multiprocess+;swbreak+;hwbreak+;vContSupported+;xmlRegisters=i386", "vMustReplyEmpty",
               "QStartNoAckMode", "Hg0", "qXfer:features:read:target.xml:0,1000",
               "qXfer:features:read:target.xml:200,1000", "qTStatus", "?", "qfThreadInfo", "qsThreadInfo",
               "qAttached", "Hc-1", "qOffsets", "g", "qSymbol::"],
    "memory": ["m100000,40", "M100000,4:90909090", "X100004,2:\x7d\x5d\x01", "m100000,8", "mfee00000,4",
               "mffffffff,10", "M0,0:", "X200000,0:", "m10*!,4"],
    "regs": ["g", "p8", "P8=00001000", "P0=78563412", "p10", "P10=08000000", "P18=7f030000",
             "G" + "00" * 176, "p20", "Pzz=00"],
    "break": ["Z0,100000,1", "Z1,100002,1", "vCont?", "vCont;c", "z0,100000,1", "z1,100002,1", "Z0,100000,1",
              "c", "s", "vCont;s:1;c", "z0,100000,1"],
    "watch": ["M100000,6:a300002000f4", "Z2,200000,4", "Z3,200000,1", "Z4,1ffffe,8", "c", "?",
              "z2,200000,4", "z3,200000,1", "z4,1ffffe,8", "Z2,fffffffe,4"],
    "monitor": ["qRcmd,696e666f20726567697374657273", "qRcmd,68656c70", "qRcmd,7a7a", "qRcmd,6"],
    "end": ["D", "k", "vKill;1", "S05", "C05;100000"],
}


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name, cmds in SESSIONS.items():
        body = b"".join(pkt(c) for c in cmds)
        for chunk in (0x80, 0x05):
            with open(os.path.join(out, "%s-%02x" % (name, chunk)), "wb") as f:
                f.write(bytes([chunk]) + b"+" + body + b"\x03")


if __name__ == "__main__":
    main()
