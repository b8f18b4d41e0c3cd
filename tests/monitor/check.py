#!/usr/bin/env python3
"""The monitor through --monitor stdio on a pipe (make monitor-check).

Boots the gdb tests' multiboot kernel (tests/gdb/kernel.c) paused (-S) with
the monitor on a pipe and checks each command's answer against independent
tools: `break add_numbers` stops where nm says the function is; x/4i there
gives objdump's instructions at objdump's addresses; stepi moves to the next
one; `watch counter` stops just after the labelled writing instruction
(nm's store_end) and x/xw reads the value the kernel wrote; x/8xb gives the
ELF file's bytes (objdump -s); info registers, mem, pic, pit, pci,
breakpoints, block, help, a bad command and quit.  Prints "skipped: ..."
without a compiler that builds 32-bit code or binutils."""
import argparse
import os
import re
import select
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "gdb"))
import check as gdbcheck  # noqa: E402  (the kernel's build)

failures = 0
PROMPT = b"(popek) "


def check(ok, what, detail=""):
    global failures
    print("check: monitor: %s: %s%s" % (what, "ok" if ok else "FAILED", "" if ok or not detail else ": " + detail))
    if not ok:
        failures += 1


class Monitor:
    def __init__(self, popek, kernel, extra=("-S",)):
        boot = ["--kernel", kernel] if kernel else []  # None: the default firmware
        self.p = subprocess.Popen([popek] + boot + ["--serial", "null", "--display", "none",
                                   "--monitor", "stdio"] + list(extra), stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.buf = b""
        self.read_prompt()

    def read_prompt(self, timeout=20):
        """What came before the next prompt."""
        end = time.time() + timeout
        while PROMPT not in self.buf and time.time() < end:
            r, _, _ = select.select([self.p.stdout], [], [], 0.2)
            if r:
                chunk = os.read(self.p.stdout.fileno(), 65536)
                if not chunk:
                    break
                self.buf += chunk
        text, _, self.buf = self.buf.partition(PROMPT)
        return text.decode(errors="replace")

    def ask(self, cmd):
        self.p.stdin.write(cmd.encode() + b"\n")
        self.p.stdin.flush()
        return self.read_prompt()


def nm(elf):
    out = subprocess.run(["nm", elf], stdout=subprocess.PIPE, check=True).stdout.decode()
    return {f[2]: int(f[0], 16) for f in (l.split() for l in out.splitlines()) if len(f) == 3}


def objdump_insns(elf, start, count):
    out = subprocess.run(["objdump", "-d", "-M", "intel", "--no-show-raw-insn", "--start-address=%#x" % start,
                          "--stop-address=%#x" % (start + 64), elf], stdout=subprocess.PIPE, check=True).stdout
    insns = []
    for line in out.decode().splitlines():
        m = re.match(r"\s+([0-9a-f]+):\s+(\S+)", line)
        if m:
            insns.append((int(m.group(1), 16), m.group(2)))
    return insns[:count]


def objdump_bytes(elf, start, n):
    out = subprocess.run(["objdump", "-s", "--start-address=%#x" % start, "--stop-address=%#x" % (start + n), elf],
                         stdout=subprocess.PIPE, check=True).stdout.decode()
    data = b""
    for line in out.splitlines():
        m = re.match(r"\s+[0-9a-f]+ ((?:[0-9a-f]{2,8} ){1,4})", line + " ")
        if m:
            data += bytes.fromhex(m.group(1).replace(" ", ""))
    return data[:n]


def firmware_commands(popek, build):
    """sendkey, screendump, stop, system_reset, xp, info tlb and info lapic
    on SeaBIOS: ESC sent from the monitor opens the boot menu on the
    screen the monitor dumps; a reset starts the firmware again (its
    banner twice on the debug console); xp at the reset vector reads the
    firmware file's last 16 bytes."""
    bios = "/usr/share/seabios/bios-256k.bin"
    if not os.path.exists(bios):
        print("monitor-check: firmware commands: skipped: %s is missing" % bios)
        return
    os.makedirs(build, exist_ok=True)
    log, scr = os.path.join(build, "fw-debugcon.txt"), os.path.join(build, "fw-screen.txt")
    for f in (log, scr):
        if os.path.exists(f):
            os.remove(f)
    m = Monitor(popek, None, ["--debugcon", log, "--at", "1s:break", "--boot", "menu=on,splash-time=20000"])
    m.read_prompt()
    out = m.ask("sendkey esc")
    m.ask("cont")
    time.sleep(2)
    m.ask("stop")
    out = m.ask("screendump " + scr)
    text = open(scr, errors="replace").read() if os.path.exists(scr) else ""
    check("Select boot device" in text, "sendkey esc opens the boot menu; screendump FILE.txt shows it", text[-300:])
    out = m.ask("xp/16xb 0xffff0")
    got = bytes(int(x, 16) for x in re.findall(r"0x([0-9a-f]{2})\b", out.split(":", 1)[-1]))
    want = open(bios, "rb").read()[-16:]
    check(got == want, "xp/16xb at the reset vector: the firmware file's last 16 bytes", "%s vs %s" % (got.hex(),
                                                                                                     want.hex()))
    out = m.ask("info tlb")
    check("paging is off" in out, "info tlb in real mode", out)
    out = m.ask("info lapic")
    check("ID" in out or "id" in out, "info lapic answers", out[:200])
    banners = lambda: open(log, errors="replace").read().count("SeaBIOS (version") if os.path.exists(log) else 0
    before = banners()
    m.ask("system_reset")
    m.ask("cont")
    time.sleep(2)
    m.ask("stop")
    check(before > 0 and banners() == 2 * before, "system_reset starts the firmware again (its banners once more)",
          "%d banners before, %d after" % (before, banners()))
    m.p.stdin.write(b"quit\n")
    m.p.stdin.flush()
    check(m.p.wait(timeout=20) == 0, "quit after them")


def log_int(popek):
    """--log int under SeaBIOS for 2 s of guest time: the timer interrupt
    (IRQ0, vector 8) and the BIOS's INT 1Ch it chains come 18.2065 times a
    second (1193182 Hz / 65536), and the INT 10h teletype calls (AH=0Eh)
    spell the banner SeaBIOS prints."""
    if not os.path.exists("/usr/share/seabios/bios-256k.bin"):
        print("monitor-check: log int: skipped: no SeaBIOS")
        return
    log = os.path.join(os.path.dirname(os.path.abspath(popek)), "build", "monitor", "int.log")
    os.makedirs(os.path.dirname(log), exist_ok=True)
    r = subprocess.run([popek, "--display", "none", "--at", "2s:quit", "--log", "int", "--log-file", log],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
    lines = open(log).read().splitlines() if os.path.exists(log) else []
    ev = [dict(kv.split("=", 1) for kv in l.split()[1:] if "=" in kv) for l in lines]
    irq0 = sum(1 for e in ev if e.get("v") == "08" and e.get("i") == "0")
    int1c = sum(1 for e in ev if e.get("v") == "1c" and e.get("i") == "1")
    ticks = int(2 * 1193182 / 65536)
    check(r.returncode == 0 and irq0 == ticks, "--log int: IRQ0 %d times in 2 s (the PIT's %d)" % (irq0, ticks),
          r.stderr.decode()[-200:])
    check(int1c == irq0, "--log int: INT 1Ch once per tick", "%d vs %d" % (int1c, irq0))
    text = "".join(chr(int(e["EAX"], 16) & 0xFF) for e in ev
                   if e.get("v") == "10" and e.get("i") == "1" and (int(e.get("EAX", "0"), 16) >> 8) & 0xFF == 0x0E)
    check("SeaBIOS (version" in text, "--log int: the INT 10h teletype calls spell the banner", text[:80])


def trace(popek, kernel, syms, build):
    """--trace with --trace-filter: only the range, at most count lines, each
    with objdump's mnemonic and <symbol+offset>; a CPL the kernel never
    runs at gives nothing."""
    out = os.path.join(build, "trace.txt")
    start = syms["add_numbers"]
    r = subprocess.run([popek, "--kernel", kernel, "--serial", "null", "--trace", out, "--trace-filter",
                        "range=%#x-%#x,count=6" % (start, start + 0x40)], stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE, timeout=60)
    lines = open(out).read().splitlines() if os.path.exists(out) else []
    want = dict(objdump_insns(kernel, start, 40))
    ok = len(lines) == 6
    for l in lines:
        f = l.split()
        addr = int(f[0].split(":")[1], 16)
        ok = ok and start <= addr <= start + 0x40 and f[2].startswith("<add_numbers") and want.get(addr) == f[3]
    check(r.returncode == 33 and ok, "--trace-filter range and count; mnemonics as objdump's, with symbols",
          "\n".join(l[:90] for l in lines[:8]))
    r = subprocess.run([popek, "--kernel", kernel, "--serial", "null", "--trace", out, "--trace-filter", "cpl=3"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=60)
    check(r.returncode == 33 and os.path.getsize(out) == 0, "--trace-filter cpl=3: nothing from a CPL 0 kernel")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--popek", required=True)
    ap.add_argument("--build", required=True)
    a = ap.parse_args()
    for tool in ("nm", "objdump", "gcc", "ld"):
        if subprocess.run(["sh", "-c", "command -v " + tool], stdout=subprocess.DEVNULL).returncode:
            print("monitor-check: skipped: %s is not installed" % tool)
            return 0
    kernel, why = gdbcheck.build_kernel(a.build)
    if not kernel:
        print("monitor-check: skipped: cannot build 32-bit code (gcc-multilib?): " + why.strip().splitlines()[-1])
        return 0
    syms = nm(kernel)
    m = Monitor(a.popek, kernel)

    out = m.ask("break add_numbers")
    check(("0x%08x <add_numbers>" % syms["add_numbers"]) in out, "break NAME at nm's address", out)
    out = m.ask("info breakpoints")
    check("1: breakpoint at 0x%08x" % syms["add_numbers"] in out, "info breakpoints lists it", out)
    out = m.ask("cont")
    check("running" in out, "cont runs the paused guest", out)
    out = m.read_prompt()
    check("breakpoint 1 hit" in out and "stopped at 0x%08x <add_numbers>" % syms["add_numbers"] in out,
          "the breakpoint stops the guest at the function", out)

    want = objdump_insns(kernel, syms["add_numbers"], 4)
    out = m.ask("x/4i $pc")
    got = [(int(g[0], 16), g[1]) for g in re.findall(r"0x([0-9a-f]{8}):(?: <[^>]*>)?\s+(\S+)", out)]
    check(len(want) == 4 and got == want, "x/4i agrees with objdump -d (addresses and mnemonics)",
          "%r vs %r" % (got, want))
    out = m.ask("info registers")
    check("EIP=%08x" % syms["add_numbers"] in out and "CS=0008" in out, "info registers: EIP and CS", out[:300])
    out = m.ask("stepi")
    check(len(want) > 1 and ("0x%08x" % want[1][0]) in out, "stepi moves to the next instruction", out)
    out = m.ask("x/8xb add_numbers")
    fb = objdump_bytes(kernel, syms["add_numbers"], 8)
    got = bytes(int(x, 16) for x in re.findall(r"0x([0-9a-f]{2})\b", out.split(":", 1)[-1]))
    check(len(fb) == 8 and got == fb, "x/8xb gives the ELF file's bytes", "%r vs %r" % (got.hex(), fb.hex()))

    out = m.ask("delete 1")
    out = m.ask("info breakpoints")
    check("no breakpoints" in out, "delete removes it", out)
    out = m.ask("watch counter")
    check("1: watchpoint at 0x%08x <counter>" % syms["counter"] in out, "watch NAME", out)
    m.ask("cont")
    out = m.read_prompt()
    check("watchpoint 1 hit" in out and "stopped at 0x%08x <store_end>" % syms["store_end"] in out,
          "the watchpoint stops just after the writing instruction", out)
    out = m.ask("x/1xw counter")
    check("0x00000041" in out, "x/xw reads the value written (65)", out)
    # Backwards (the monitor keeps a history with --monitor): one
    # instruction back is the store itself, with counter as it was.
    out = m.ask("rstepi")
    check("stopped at 0x%08x <store_insn>" % syms["store_insn"] in out, "rstepi goes back to the storing instruction",
          out)
    out = m.ask("x/1xw counter")
    check("0x00000000" in out, "and counter is 0 again there", out)
    out = m.ask("rcont")
    check("beginning of the history" in out and "instruction 0" in out,
          "rcont: no earlier access, so back to the history's beginning", out)
    out = m.ask("info rewind")
    check(re.search(r"\d+ checkpoints, [0-9.]+ MiB of 1024 MiB, instructions 0 to \d+", out) is not None,
          "info rewind lists the checkpoints", out)
    out = m.ask("cont")
    out = m.read_prompt()
    check("watchpoint 1 hit" in out and "stopped at 0x%08x <store_end>" % syms["store_end"] in out,
          "cont runs forwards through the history to the same watchpoint hit", out)
    out = m.ask("info mem")
    check("paging is off" in out, "info mem without paging", out)
    out = m.ask("info pic")
    check("pic0:" in out and "vector base=08" in out and "pic1:" in out, "info pic", out)
    out = m.ask("info pit")
    check(out.count("channel") == 3, "info pit: three channels", out)
    out = m.ask("info pci")
    check("00:00.0 8086:1237" in out and "00:01.1 8086:7010" in out, "info pci: the i440FX and the PIIX IDE", out)
    out = m.ask("info block")
    check("no drives" in out, "info block", out)
    out = m.ask("help")
    check("x/FMT" in out and "break" in out, "help", out)
    out = m.ask("frobnicate")
    check("unknown command" in out, "an unknown command is refused", out)
    out = m.ask("x/4xw 0xfffffff0")
    check("cannot access" in out or "0x" in out, "memory past RAM is refused or read, no crash", out)
    m.p.stdin.write(b"quit\n")
    m.p.stdin.flush()
    try:
        status = m.p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        m.p.kill()
        status = None
    err = m.p.stderr.read().decode(errors="replace")
    check(status == 0, "quit ends the run with status 0", "status %r, %s" % (status, err[-300:]))
    check("Sanitizer" not in err and "emulator error" not in err, "no emulator error", err[-300:])
    # --at TIME:break stops a spinning guest as a debugger's Ctrl-C would.
    m = Monitor(a.popek, kernel, ["--append", "spin", "--at", "20ms:break"])
    out = m.read_prompt()
    check("stopped at 0x" in out, "--at 20ms:break pauses a spinning guest and says where", out)
    out = m.ask("info registers")
    icount = re.search(r"after (\d+) instructions", out)
    out2 = m.ask("info registers")
    check(icount and icount.group(0) in out2, "paused: the instruction count stands still", out2[:200])
    m.p.stdin.write(b"quit\n")
    m.p.stdin.flush()
    check(m.p.wait(timeout=20) == 0, "quit while paused")
    firmware_commands(a.popek, a.build)
    log_int(a.popek)
    trace(a.popek, kernel, syms, a.build)
    print("monitor-check: %s" % ("all passed" if not failures else "%d FAILED" % failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
