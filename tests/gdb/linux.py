#!/usr/bin/env python3
"""Real gdb against Debian's 686 kernel (make gdb-linux-check).

A first boot prints the addresses of some kernel functions from
/proc/kallsyms (tests/linux/init-kallsyms; the kernel package's System.map
is a placeholder) into a System.map-format file.  A second boot, paused
(-S) with --gdb on a Unix socket and that file as --symbols, is driven by
gdb in batch mode: break on schedule's address, continue; $pc is it,
backtrace shows frame #0 there, `monitor x/2i $pc` names <schedule>,
`monitor info mem` shows the kernel's mappings above 0xc0000000, `monitor
info registers` shows paging on; after delete and continue the guest powers
off and popek exits 0.  Skipped without gdb or the kernel."""
import os
import subprocess
import sys
import tempfile
import time

failures = 0


def check(ok, what, detail=""):
    global failures
    print("check: gdb linux: %s: %s%s" % (what, "ok" if ok else "FAILED", "" if ok or not detail else ": " + detail))
    if not ok:
        failures += 1


def main():
    popek, vmlinuz, initrd = sys.argv[1:4]
    if subprocess.run(["sh", "-c", "command -v gdb"], stdout=subprocess.DEVNULL).returncode:
        print("gdb-linux-check: skipped: gdb is not installed")
        return 0
    for f in (vmlinuz, initrd):
        if not os.path.exists(f):
            print("gdb-linux-check: skipped: %s is missing" % f)
            return 0
    append = "console=ttyS0,115200 quiet nokaslr cryptomgr.notests panic=-1"
    base = [popek, "--kernel", vmlinuz, "--initrd", initrd, "--append", append, "-m", "128M"]
    t0 = time.time()
    r = subprocess.run(base + ["--serial", "stdio"], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=600)
    out = r.stdout.decode(errors="replace")
    syms = {}
    if "KALLSYMS-BEGIN" in out and "KALLSYMS-END" in out:
        for line in out.split("KALLSYMS-BEGIN", 1)[1].split("KALLSYMS-END", 1)[0].splitlines():
            f = line.split()
            if len(f) == 3:
                syms[f[2]] = int(f[0], 16)
    check(r.returncode == 0 and "schedule" in syms and syms["schedule"] >= 0xC0000000,
          "the first boot lists schedule from /proc/kallsyms (%.1f s host)" % (time.time() - t0),
          "status %d, %r" % (r.returncode, out[-400:]))
    if "schedule" not in syms:
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        smap = os.path.join(tmp, "System.map")
        with open(smap, "w") as f:
            for name, addr in sorted(syms.items(), key=lambda kv: kv[1]):
                f.write("%08x T %s\n" % (addr, name))
        sock = os.path.join(tmp, "gdb.sock")
        p = subprocess.Popen(base + ["--serial", "null", "-S", "--gdb", "unix:" + sock, "--rewind", "off", "--symbols", smap],
                             stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        end = time.time() + 10
        while not os.path.exists(sock) and time.time() < end:
            time.sleep(0.05)
        # schedule runs early in the boot: the careful lane that an armed
        # breakpoint needs is over soon.
        addr = syms["schedule"]
        cmds = ["set pagination off", "set confirm off", "target remote " + sock, "break *%#x" % addr,
                "continue", "print/x $pc", "bt 2", "monitor x/2i $pc", "monitor info mem",
                "monitor info registers", "delete", "continue"]
        args = ["gdb", "-batch", "-nx"]
        for c in cmds:
            args += ["-ex", "echo <<" + c.replace(" ", "_") + ">>\\n", "-ex", c]
        try:
            g = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=600)
            gout = g.stdout.decode(errors="replace")
        except subprocess.TimeoutExpired as e:
            gout = (e.stdout or b"").decode(errors="replace") + "\n(gdb timed out)"

        def part(c):
            key = "<<" + c.replace(" ", "_") + ">>"
            if key not in gout:
                return ""
            rest = gout.split(key, 1)[1]
            return rest.split("<<", 1)[0]

        pc = part("print/x $pc")
        check(("0x%x" % addr) in pc, "the breakpoint on schedule stops there ($pc)", pc + gout[-600:])
        bt = part("bt 2")
        check("#0" in bt and ("%x" % addr) in bt, "backtrace: frame #0 at schedule", bt)
        x = part("monitor x/2i $pc")
        check("<schedule>" in x, "monitor x/2i names <schedule> (--symbols, System.map format)", x)
        mem = part("monitor info mem")
        check(any(l.startswith("c") and "rw" in l for l in mem.splitlines()),
              "monitor info mem: the kernel's mappings above 0xc0000000", mem[:400])
        regs = part("monitor info registers")
        check("CR0=8" in regs, "monitor info registers: paging on (CR0.PG)", regs[:400])
        try:
            rc = p.wait(timeout=300)
        except subprocess.TimeoutExpired:
            p.kill()
            rc = None
        err = p.stderr.read().decode(errors="replace")
        check(rc == 0, "after delete and continue the guest powers off (status 0)", "status %s: %s" % (rc, err[-400:]))
    print("gdb-linux-check: %s" % ("all passed" if not failures else "%d FAILED" % failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
