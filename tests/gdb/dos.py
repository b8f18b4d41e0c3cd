#!/usr/bin/env python3
"""Real gdb against a DOS program in real mode (make gdb-dos-check).

FreeDOS boots from the shared floppy with tests/guests/hello.asm added as
HELLO.COM; popek starts paused with the gdb stub, and gdb (architecture
i8086) runs tests/gdb/dos_session.py: stop the booted system with a timed
break, read the INT 21h vector from the interrupt table, break on the
handler with a condition (AH = 09h and DS:DX at the program's message),
let the program be typed and run, and check, against the program's own
bytes (its .COM file) and nasm's listing of where each instruction is:
the string at DS:DX, the return CS:IP on the stack and the INT 21h there,
the program's image at CS:0100, a breakpoint at the instruction after
the INT (gdb's pc is linear: CS * 16 + IP), stepi over a real-mode
instruction, set $pc, stepi through the program's second INT 21h into
the handler (IP, CS and FLAGS pushed), then detach and the program's
line on the screen.  Prints
"skipped: ..." without gdb, nasm, mtools or the FreeDOS image."""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
failures = 0


def check(ok, what, detail=""):
    global failures
    print("check: gdb dos: %s: %s%s" % (what, "ok" if ok else "FAILED", "" if ok or not detail else ": " + detail))
    if not ok:
        failures += 1


def listing_offsets(lst):
    """{mnemonic line text: offset} of a nasm -l listing, and the message's offset."""
    offs = {}
    for line in open(lst):
        m = re.match(r"\s*\d+\s+([0-9A-F]{8})\s+[0-9A-F()\[\]-]+\s+(.*)", line)
        if m:
            offs.setdefault(m.group(2).split(";")[0].strip(), 0x100 + int(m.group(1), 16))
    return offs


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--popek", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--shared", required=True)
    a = ap.parse_args()
    for tool in ("gdb", "nasm", "mcopy"):
        if not shutil.which(tool):
            print("gdb-dos-check: skipped: %s is not installed" % tool)
            return 0
    img = os.path.join(a.shared, "testdata", "guests", "freedos", "freedos.boot.disk.1.4MB.img")
    if not os.path.exists(img):
        print("gdb-dos-check: skipped: %s is missing" % img)
        return 0
    os.makedirs(a.build, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix="popek-gdbdos-")
    com, lst = os.path.join(a.build, "HELLO.COM"), os.path.join(a.build, "hello.lst")
    subprocess.run(["nasm", "-f", "bin", "-o", com, "-l", lst, os.path.join(HERE, "..", "guests", "hello.asm")],
                   check=True)
    offs = listing_offsets(lst)
    fd = os.path.join(tmp, "fd.img")
    shutil.copyfile(img, fd)
    subprocess.run(["mcopy", "-o", "-i", fd, com, "::/HELLO.COM"], check=True)
    after_int = offs["mov ax, 0x4C00"]  # the instruction after the first INT 21h
    msg = next(v for k, v in offs.items() if k.startswith("msg:"))
    sock = os.path.join(tmp, "gdb.sock")
    screen = os.path.join(tmp, "screen.txt")
    p = subprocess.Popen([a.popek, "--fda", fd, "--display", "none", "--rtc-base", "1767225600", "-S",
                          "--gdb", "unix:" + sock, "--at", "8s:break", "--at", "10s:type HELLO",
                          "--at", "11s:sendkey ret", "--at", "14s:screendump " + screen, "--at", "14s:quit"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    end = time.time() + 20
    while not os.path.exists(sock) and time.time() < end:
        time.sleep(0.05)
    env = dict(os.environ, POPEK_SOCK=sock, POPEK_COM=com, POPEK_MSG=str(msg), POPEK_AFTER_INT=str(after_int))
    g = subprocess.run(["gdb", "-nx", "-batch", "-x", os.path.join(HERE, "dos_session.py")], env=env,
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=240)
    out = g.stdout.decode(errors="replace")
    try:
        status = p.wait(timeout=60)
    except subprocess.TimeoutExpired:
        p.kill()
        status = None
    err = p.stderr.read().decode(errors="replace")
    results = re.findall(r"^RESULT (ok|FAILED) (.*)$", out, re.M)
    for ok, what in results:
        check(ok == "ok", what)
    check(len(results) >= 8 and "SESSION DONE" in out, "the gdb session ran to its end (%d checks)" % len(results),
          out[-1500:])
    text = open(screen, errors="replace").read() if os.path.exists(screen) else ""
    check(status == 0 and "POPEK DOS PROGRAM: 6*7=42" in text,
          "detached, the program finished: its line is on the screen", "status %r %s %r" % (status, err[-300:],
                                                                                             text[-300:]))
    print("gdb-dos-check: %s" % ("all passed" if not failures else "%d FAILED" % failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
