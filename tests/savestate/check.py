#!/usr/bin/env python3
"""Savestates (make savestate-check).

1. The monitor on the gdb tests' multiboot kernel: savevm at a breakpoint,
   stepi on, loadvm brings back the registers and the instruction count as
   they were.  Then the loader is fed damaged files -- truncated, a flipped
   bit, another magic, another format, a wrong checksum, and, re-packed
   with a good checksum, a CPL of 7, an FPU TOP of 9, a RAM page map that
   claims more pages than it holds, an unknown, a missing, a repeated
   section, another section version, a wrong RAM size -- and each is
   refused with its reason while the machine stays exactly as it was
   (info registers unchanged, then the kernel runs to its own end).
2. Debian's Linux at its shell prompt (30 s of guest time, 2.9e9
   instructions): saved with --at TIME:savevm, then
   the next million instructions traced after --loadvm must equal, line
   for line, the same million instructions of a run that was never saved.
3. FreeDOS from the floppy (SeaBIOS, VGA, the FDC): saved mid-boot and
   resumed, the screen after typing a command equals the never-saved run's
   at the same guest time.
Each part prints "skipped: ..." when what it needs is missing."""
import argparse
import os
import re
import struct
import subprocess
import sys
import tempfile
import threading
import zlib

import importlib.util

HERE = os.path.dirname(os.path.abspath(__file__))


def load(name, path):
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


# The gdb tests' kernel build and the monitor tests' pipe driver (the
# monitor's check.py imports gdb's as "check").
sys.path.insert(0, os.path.join(HERE, "..", "gdb"))
import check as gdbcheck  # noqa: E402
moncheck = load("moncheck", os.path.join(HERE, "..", "monitor", "check.py"))

failures = 0


_check_lock = threading.Lock()


def check(ok, what, detail=""):
    with _check_lock:
        _check(ok, what, detail)


def _check(ok, what, detail):
    global failures
    print("check: savestate: %s: %s%s" % (what, "ok" if ok else "FAILED", "" if ok or not detail else ": " + detail))
    if not ok:
        failures += 1


# ---- the file format (docs/savestates.md) ---------------------------------

def unpack(data):
    """(header fields, [(name, version, body)]) of a savestate file."""
    magic, fmt, flags, plen, crc, _ = struct.unpack("<8sIIQII", data[:32])
    payload = zlib.decompress(data[32:])
    assert len(payload) == plen and zlib.crc32(payload) == crc
    secs, pos = [], 0
    while pos < len(payload):
        n = payload[pos]
        name = payload[pos + 1:pos + 1 + n].decode()
        pos += 1 + n
        version, slen = struct.unpack("<IQ", payload[pos:pos + 12])
        pos += 12
        secs.append([name, version, bytearray(payload[pos:pos + slen])])
        pos += slen
    return (magic, fmt, flags), secs


def pack(secs, fmt=1):
    payload = b"".join(bytes([len(n)]) + n.encode() + struct.pack("<IQ", v, len(b)) + bytes(b) for n, v, b in secs)
    return struct.pack("<8sIIQII", b"POPEKSV\n", fmt, 0, len(payload), zlib.crc32(payload), 0) + \
        zlib.compress(payload)


def section(secs, name):
    return next(s for s in secs if s[0] == name)


# Offsets in the cpu section (cpu/savestate.c): model, FPU flag, 8 GPRs, EIP,
# the two lazy-flag words, EFLAGS, six segments, LDTR and TR of 12 bytes.
CPU_CPL = 2 + 32 + 4 + 8 + 4 + 8 * 12
CPU_FPU_TOP = CPU_CPL + 1 + 16 + 32 + 12 + 32 + 4


def damaged(good):
    """(what, file bytes, a word the refusal must contain)."""
    out = [("a truncated file", good[:len(good) // 2], "truncated"),
           ("a flipped bit in the compressed data", good[:40] + bytes([good[40] ^ 0x10]) + good[41:], ""),
           ("another magic", b"QEMUSV\n\0" + good[8:], "not a Popek savestate"),
           ("format 2", good[:8] + struct.pack("<I", 2) + good[12:], "format 2"),
           ("a wrong checksum", good[:24] + struct.pack("<I", struct.unpack("<I", good[24:28])[0] ^ 1) + good[28:],
            "checksum")]
    _, secs = unpack(good)

    def variant(what, change, word):
        s = [[n, v, bytearray(b)] for n, v, b in secs]
        s = change(s) or s
        out.append((what, pack(s), word))

    def set_byte(name, off, val):
        def f(s):
            section(s, name)[2][off] = val
        return f
    variant("CPL 7 (a good checksum)", set_byte("cpu", CPU_CPL, 7), "CPL")
    variant("FPU TOP 9", set_byte("cpu", CPU_FPU_TOP, 9), "TOP")

    def ram_map(s):
        body = section(s, "ram")[2]
        body[5] |= 0x02  # page 1 marked as stored, its bytes not there
    variant("a RAM page map claiming more pages than stored", ram_map, "pages")
    variant("an unknown section", lambda s: s + [["frobnicator", 1, bytearray(4)]], "no such part")
    variant("a missing section", lambda s: [x for x in s if x[0] != "clock"], "missing")
    variant("a section twice", lambda s: s + [section(s, "clock")], "twice")

    def version(s):
        section(s, "cpu")[1] = 99
    variant("another cpu section version", version, "version 99")

    def trailing(s):
        section(s, "clock")[2] += b"\0"
    variant("a section with bytes left over", trailing, "left unread")
    return out


# ---- 1: the monitor ------------------------------------------------------

def monitor_part(popek, build, tmp):
    kernel, why = gdbcheck.build_kernel(build)
    if not kernel:
        print("savestate-check: monitor: skipped: cannot build 32-bit code: " + why.strip().splitlines()[-1])
        return
    sv = os.path.join(tmp, "k.sv")
    m = moncheck.Monitor(popek, kernel)
    m.ask("break add_numbers")
    m.ask("cont")
    m.read_prompt()
    regs0 = m.ask("info registers")
    out = m.ask("savevm " + sv)
    check(out.startswith("saved ") and os.path.getsize(sv) > 32, "savevm FILE while paused", out)
    m.ask("delete 1")
    m.ask("stepi 25")
    regs1 = m.ask("info registers")
    check(regs1 != regs0, "stepi 25 changes the state", regs1[:200])
    out = m.ask("loadvm " + sv)
    regs2 = m.ask("info registers")
    check(out.startswith("loaded ") and regs2 == regs0, "loadvm brings back the registers and the instruction count",
          "%s\n%s\nvs\n%s" % (out, regs2[:400], regs0[:400]))
    # From here the machine differs from the file (registers, the stack in
    # RAM): a failed load must leave this state, not the file's.
    m.ask("stepi 7")
    now = m.ask("info registers") + m.ask("x/16xw $esp-32")
    good = open(sv, "rb").read()
    for what, data, word in damaged(good):
        bad = os.path.join(tmp, "bad.sv")
        with open(bad, "wb") as f:
            f.write(data)
        out = m.ask("loadvm " + bad)
        regs = m.ask("info registers") + m.ask("x/16xw $esp-32")
        check("loadvm failed" in out and word in out and regs == now and regs != regs0,
              "%s is refused (%s) and the machine is as it was" % (what, out.strip().split(": ", 1)[-1]),
              out + regs[:200])
    m.ask("cont")
    try:
        status = m.p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        m.p.kill()
        status = None
    err = m.p.stderr.read().decode(errors="replace")
    check(status == 33, "after them the kernel runs to its own end (status 33)", "status %r %s" % (status, err[-300:]))
    check("Sanitizer" not in err and "internal error" not in err, "no emulator error", err[-300:])
    # The machine differs: another RAM size is refused at start-up.
    r = subprocess.run([popek, "--kernel", kernel, "--serial", "null", "--display", "none", "-m", "16M",
                        "--loadvm", sv], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
    err = r.stderr.decode(errors="replace")
    check(r.returncode != 0 and "KiB of RAM" in err, "--loadvm into a machine with other RAM is refused", err)


# ---- 2: Linux at its shell -----------------------------------------------

def linux_part(popek, linux_dir, tmp):
    kernel = os.path.join(linux_dir, "vmlinuz")
    initrd = os.path.join(linux_dir, "initrd-shell.gz")
    if not (os.path.exists(kernel) and os.path.exists(initrd)):
        print("savestate-check: linux: skipped: %s or %s is missing" % (kernel, initrd))
        return
    base = [popek, "--kernel", kernel, "--initrd", initrd, "-m", "128M", "--display", "none",
            "--rtc-base", "1767225600", "--append", "console=ttyS0,115200 cryptomgr.notests panic=-1"]
    sv = os.path.join(tmp, "linux.sv")
    serial = os.path.join(tmp, "linux-serial.txt")
    r = subprocess.run(base + ["--serial", "file:" + serial, "--at", "30s:savevm " + sv, "--at", "30s:quit"],
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    err = r.stderr.decode(errors="replace")
    got = re.search(r"saved the machine to .* at instruction (\d+)", err)
    text = open(serial, errors="replace").read() if os.path.exists(serial) else ""
    check(r.returncode == 0 and got and "popek# " in text, "saved at the shell prompt", err[-300:] + text[-200:])
    if not got:
        return
    n = int(got.group(1))
    t_ref, t_res = os.path.join(tmp, "ref.trace"), os.path.join(tmp, "res.trace")
    count = 1000000
    r1 = subprocess.run(base + ["--serial", "null", "--trace", t_ref, "--trace-filter", "from=%d,count=%d" % (n, count),
                                "--at", "40s:quit"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    r2 = subprocess.run(base + ["--serial", "null", "--loadvm", sv, "--trace", t_res, "--trace-filter",
                                "count=%d" % count, "--at", "24s:quit"],
                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    a = open(t_ref).read().splitlines() if os.path.exists(t_ref) else []
    b = open(t_res).read().splitlines() if os.path.exists(t_res) else []
    first = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), None)
    check(r1.returncode == 0 and r2.returncode == 0 and len(a) == count and a == b,
          "the %d instructions after --loadvm trace as in the run never saved" % count,
          "%d vs %d lines; first difference at line %s:\n%s\n%s\n%s" % (
              len(a), len(b), first, a[first] if first is not None else "", b[first] if first is not None else "",
              (r1.stderr + r2.stderr).decode(errors="replace")[-300:]))
    interrupts = sum(1 for line in a if re.search(r"\biretd?\b", line))
    check(interrupts > 0, "they include interrupts returning (%d IRETs): the timers came back too" % interrupts)


# ---- 4: record and replay ------------------------------------------------

def replay_part(popek, linux_dir, tmp):
    import select
    import time
    kernel = os.path.join(linux_dir, "vmlinuz")
    initrd = os.path.join(linux_dir, "initrd-shell.gz")
    if not (os.path.exists(kernel) and os.path.exists(initrd)):
        print("savestate-check: replay: skipped: %s or %s is missing" % (kernel, initrd))
        return
    base = [popek, "--kernel", kernel, "--initrd", initrd, "-m", "128M", "--display", "none",
            "--rtc-base", "1767225600", "--append", "console=ttyS0,115200 cryptomgr.notests panic=-1"]
    log = os.path.join(tmp, "run.replay")
    # The recorded run: typed at the shell over a pipe, whenever the host
    # gets there (host time: not reproducible by itself).
    # Both runs trace a million instructions from just before the prompt
    # (about 2.93e9), where the typing begins.
    t_rec, t_rep = os.path.join(tmp, "rec.trace"), os.path.join(tmp, "rep.trace")
    window = (2925000000, 1000000)
    tf = ["--trace-filter", "from=%d,count=%d" % window]
    p = subprocess.Popen(base + ["--serial", "stdio", "--record", log, "--trace", t_rec] + tf, stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = b""
    script = [(b"popek# ", b"echo popek-$((6*7)); cat /proc/loadavg\n"), (b"popek-42", b"poweroff\n")]
    end = time.time() + 240
    while time.time() < end and p.poll() is None:
        r, _, _ = select.select([p.stdout], [], [], 0.2)
        if r:
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            out += chunk
        if script and script[0][0] in out:
            time.sleep(0.25)
            p.stdin.write(script.pop(0)[1])
            p.stdin.flush()
    try:
        out += p.communicate(timeout=120)[0]
    except subprocess.TimeoutExpired:
        p.kill()
        out += p.communicate()[0]
    text = open(log).read() if os.path.exists(log) else ""
    events = text.count("\nserial ")
    check(p.returncode == 0 and b"popek-42" in out and events > 10 and "\nend " in text,
          "recorded: a shell session typed over a pipe (%d serial events logged)" % events,
          "status %r %r" % (p.returncode, out[-300:]))
    serial = os.path.join(tmp, "replayed.txt")
    r = subprocess.run(base + ["--serial", "file:" + serial, "--replay", log, "--trace", t_rep] + tf,
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    err = r.stderr.decode(errors="replace")
    replayed = open(serial, "rb").read() if os.path.exists(serial) else b""
    same = re.search(r"(\d+) of (\d+) events delivered; the run ended at instruction (\d+), the recorded one at "
                     r"(\d+) \(the same run\)", err)
    check(r.returncode == 0 and same and same.group(1) == same.group(2) and same.group(3) == same.group(4),
          "replayed with no input: every event delivered at its instruction, the run ends at the recorded "
          "instruction (%s)" % (same.group(3) if same else "?"), err[-400:])
    check(replayed == out.replace(b"\r\n", b"\n") or replayed == out,
          "the replayed console output equals the recorded run's, byte for byte (%d bytes)" % len(replayed),
          "%r\nvs\n%r" % (out[-300:], replayed[-300:]))
    first = re.search(r"^serial (\d+) ", text, re.M)
    inside = first and window[0] <= int(first.group(1)) < window[0] + window[1]
    same_trace = os.path.exists(t_rec) and os.path.exists(t_rep) and os.path.getsize(t_rec) > 0 and \
        open(t_rec, "rb").read() == open(t_rep, "rb").read()
    check(same_trace, "the replay traces the million instructions from %d as the recorded run did (the first "
          "input came at %s, %s the window)" % (window[0], first.group(1) if first else "?",
                                                "inside" if inside else "outside"))
    for t in (t_rec, t_rep):
        if os.path.exists(t):
            os.remove(t)
    bad = os.path.join(tmp, "bad.replay")
    for what, body, word in [("a log that goes back in time", text.replace("popek-replay 1\n", "popek-replay 1\n"
                              "serial 999999999999 999999999999 0 65\n", 1), "back in time"),
                             ("a serial port out of range", "popek-replay 1\nserial 1 1 7 65\n", "out of range"),
                             ("a cut line", "popek-replay 1\nkey 1 1 28", "not ended"),
                             ("no header", "serial 1 1 0 65\n", "not a Popek replay log")]:
        with open(bad, "w") as f:
            f.write(body)
        r = subprocess.run(base + ["--serial", "null", "--replay", bad], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        err = r.stderr.decode(errors="replace")
        check(r.returncode != 0 and word in err, "--replay refuses %s" % what, err[-300:])


# ---- 3: FreeDOS from the floppy ------------------------------------------

def freedos_part(popek, shared, tmp):
    img = os.path.join(shared, "testdata", "guests", "freedos", "freedos.boot.disk.1.4MB.img")
    if not os.path.exists(img):
        print("savestate-check: freedos: skipped: %s is missing" % img)
        return
    fd = os.path.join(tmp, "fd.img")
    with open(img, "rb") as src, open(fd, "wb") as dst:
        dst.write(src.read())
    base = [popek, "--fda", fd, "--display", "none", "--rtc-base", "1767225600"]
    sv = os.path.join(tmp, "dos.sv")
    ref_txt, ref_png = os.path.join(tmp, "ref.txt"), os.path.join(tmp, "ref.png")
    res_txt, res_png = os.path.join(tmp, "res.txt"), os.path.join(tmp, "res.png")
    r0 = subprocess.run(base + ["--at", "3s:savevm " + sv, "--at", "3s:quit"], stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE, timeout=120)
    check(r0.returncode == 0 and os.path.exists(sv), "saved FreeDOS mid-boot (3 s)",
          r0.stderr.decode(errors="replace")[-300:])
    acts = [("10s", "type ver"), ("11s", "sendkey ret"), ("12s", "screendump %s" % ref_txt),
            ("12s", "screendump %s" % ref_png), ("12s", "quit")]
    cmd = list(base)
    for at, what in acts:
        cmd += ["--at", "%s:%s" % (at, what)]
    r1 = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    cmd = base + ["--loadvm", sv]
    for at, what in acts:
        at = "%ds" % (int(at[:-1]) - 3)
        cmd += ["--at", "%s:%s" % (at, what.replace("ref.", "res."))]
    r2 = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
    a = open(ref_txt, errors="replace").read() if os.path.exists(ref_txt) else ""
    b = open(res_txt, errors="replace").read() if os.path.exists(res_txt) else ""
    pa = open(ref_png, "rb").read() if os.path.exists(ref_png) else b""
    pb = open(res_png, "rb").read() if os.path.exists(res_png) else b"-"
    check(r1.returncode == 0 and r2.returncode == 0 and "FreeCom version" in a and a == b and pa == pb,
          "resumed, 'ver' at A:\\> leaves the screen (text and pixels) as in the run never saved",
          "%r\nvs\n%r\n%s" % (a[-300:], b[-300:], (r1.stderr + r2.stderr).decode(errors="replace")[-300:]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--popek", required=True)
    ap.add_argument("--build", required=True)
    ap.add_argument("--linux", required=True)
    ap.add_argument("--shared", required=True)
    ap.add_argument("--only", default="monitor,linux,freedos,replay")
    a = ap.parse_args()
    tmp = tempfile.mkdtemp(prefix="popek-sv-")
    parts = a.only.split(",")
    # The Linux part (three boots, one core) beside the others: the
    # suite's time is about halved on two cores.
    linux = threading.Thread(target=linux_part, args=(a.popek, a.linux, tmp)) if "linux" in parts else None
    if linux:
        linux.start()
    if "monitor" in parts:
        monitor_part(a.popek, a.build, tmp)
    if "freedos" in parts:
        freedos_part(a.popek, a.shared, tmp)
    if "replay" in parts:
        replay_part(a.popek, a.linux, tmp)
    if linux:
        linux.join()
    print("savestate-check: %s" % ("all passed" if not failures else "%d FAILED" % failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
