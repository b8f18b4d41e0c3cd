#!/usr/bin/env python3
"""The popek command line as a user meets it (make frontend-check).

Runs ./popek with small firmware images (tests/frontend/*.asm) and checks
what a user would: every byte the guest sent on COM1 reaches the host, write
errors on the serial output are reported, a halt nothing can end ends the
run instead of racing the clock, a jump into unmapped memory gets the
architectural #UD, QEMU's spellings of the options work (and those Popek
lacks are refused by name), the terminal is restored on every way out
(failed set-up, SIGINT, SIGTERM, SIGHUP), and signals give status 128+N.

Tests that need a pseudo-terminal print "skipped: <reason>" where the host
has none.  Exits 1 if any check failed.
"""
import argparse
import os
import pty
import select
import signal
import subprocess
import sys
import termios
import time

failures = 0


def check(ok, what, detail=""):
    global failures
    if ok:
        print("check: %s: ok" % what)
    else:
        failures += 1
        print("check: %s: FAILED%s" % (what, (": " + detail) if detail else ""))


def run(args, timeout=30, **kw):
    try:
        p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout, **kw)
    except subprocess.TimeoutExpired:
        return None
    return p


def describe(p):
    if p is None:
        return "timed out"
    return "status %d, stdout %r, stderr %r" % (p.returncode, p.stdout[-300:], p.stderr[-300:])


def serial_flush(popek, img, tmp):
    want = bytes(range(0x30, 0x30 + 64))
    out = os.path.join(tmp, "com1.out")
    p = run([popek, "--bios", img("uartflush"), "--serial", "file:" + out])
    got = open(out, "rb").read() if os.path.exists(out) else b""
    check(p is not None and p.returncode == 0 and got == want,
          "all 64 bytes sent on COM1 reach --serial file: before the run ends",
          "got %d bytes %r; %s" % (len(got), got[-8:], describe(p)))
    p = run([popek, "--bios", img("uartflush"), "--serial", "stdio"])
    check(p is not None and p.returncode == 0 and p.stdout == want,
          "all 64 bytes reach --serial stdio (a pipe)", describe(p))
    if os.path.exists("/dev/full"):
        p = run([popek, "--bios", img("uartflush"), "--serial", "file:/dev/full"])
        check(p is not None and p.returncode == 1 and b"/dev/full" in p.stderr and b"No space left" in p.stderr,
              "--serial file:/dev/full: the write error is reported, status 1", describe(p))
    else:
        print("check: serial write errors: skipped: this host has no /dev/full")


def idle_and_unmapped(popek, img):
    t0 = time.monotonic()
    p = run([popek, "--bios", img("stuck"), "--stats"], timeout=60)
    secs = time.monotonic() - t0
    check(p is not None and p.returncode == 0 and b"nothing woke it" in p.stderr and secs < 30,
          "a halt with interrupts on that nothing can end ends the run (%.1f s)" % secs, describe(p))
    p = run([popek, "-m", "256K", "--bios", img("unmapped")])
    check(p is not None and p.returncode == 0 and p.stdout == b"#UD at 8000:0000\n",
          "a jump into unmapped memory fetches FFh bytes: #UD, not an emulator error", describe(p))
    p = run([popek, "-m", "256K", "--bios", img("unmapped"), "-d", "guest_errors"])
    check(p is not None and p.returncode == 0 and b"guest error: execution from unmapped memory" in p.stderr
          and b"EIP=00000000" in p.stderr,
          "-d guest_errors logs the unmapped fetch with the registers", describe(p))


def options(popek, img, tmp):
    hello = img("hello")
    p = run([popek, "-bios", hello, "-m", "1M", "-cpu", "486", "-serial", "null"])
    check(p is not None and p.returncode == 0 and p.stdout == b"Hello from Popek\n",
          "QEMU spellings -bios -m -cpu -serial", describe(p))
    p = run([popek, "-nographic", "-bios", hello, "-m", "size=2M"])
    check(p is not None and p.returncode == 0 and p.stdout == b"Hello from Popek\n",
          "QEMU spellings -nographic and -m size=", describe(p))
    for args, name in ((["-nic", "user"], b"'-nic'"), (["-qmp", "stdio"], b"'-qmp'"),
                       (["--netdev", "user"], b"'--netdev'"), (["-smp", "2"], b"'-smp'"), (["-xyz"], b"'-xyz'")):
        p = run([popek] + args + ["-bios", hello])
        check(p is not None and p.returncode == 1 and name in p.stderr and p.stdout == b"",
              "%s is refused by name with status 1" % " ".join(args), describe(p))
    floppy = os.path.join(tmp, "floppy.img")
    with open(floppy, "wb") as f:
        f.truncate(1474560)
    p = run([popek, "--bios", floppy])
    check(p is not None and p.returncode == 1 and b"1474560 bytes" in p.stderr,
          "--bios with a 1.44 MB image reports its real size", describe(p))


def pty_session(args, after=None, timeout=20):
    """Runs args on a new pseudo-terminal; returns (status, output, attrs
    before, attrs after).  after(pid) runs once the guest has printed."""
    master, slave = os.openpty()
    before = termios.tcgetattr(slave)
    p = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, start_new_session=True)
    out = b""
    deadline = time.monotonic() + timeout
    sent = after is None
    while p.poll() is None and time.monotonic() < deadline:
        r, _, _ = select.select([master], [], [], 0.1)
        if r:
            try:
                out += os.read(master, 4096)
            except OSError:
                break
        if not sent and b"spinning" in out:
            time.sleep(0.2)
            after(p.pid)
            sent = True
    try:
        p.wait(timeout=max(1.0, deadline - time.monotonic()))
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    while True:
        r, _, _ = select.select([master], [], [], 0.05)
        if not r:
            break
        try:
            chunk = os.read(master, 4096)
        except OSError:
            break
        if not chunk:
            break
        out += chunk
    after_attrs = termios.tcgetattr(slave)
    os.close(master)
    os.close(slave)
    return p.returncode, out, before, after_attrs


def terminal(popek, img, build):
    try:
        m, s = os.openpty()
        os.close(m)
        os.close(s)
    except OSError as e:
        print("check: terminal restore and signals: skipped: no pseudo-terminals here (%s)" % e)
        return
    mb = os.path.join(build, "boot", "mbtest.elf")
    cases = [
        ([popek, "--kernel", "/nonexistent/vmlinuz"], "a missing --kernel"),
        ([popek, "--kernel", mb, "--initrd", "/nonexistent/module"], "a missing --initrd module"),
        ([popek, "--bios", img("hello"), "--serial", "stdio", "--trace", "/nonexistent/dir/trace"],
         "an unopenable --trace"),
    ]
    for args, what in cases:
        rc, out, before, after = pty_session(args)
        check(rc == 1 and before == after, "terminal restored after %s (status %s)" % (what, rc),
              "terminal attributes changed" if before != after else out[-200:].decode(errors="replace"))
    for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        rc, out, before, after = pty_session([popek, "--bios", img("spin"), "--serial", "stdio"],
                                             after=lambda pid, sig=sig: os.kill(pid, sig))
        check(rc == 128 + sig and before == after and b"terminating on signal %d" % sig in out,
              "%s ends popek with status %d and the terminal restored" % (signal.Signals(sig).name, 128 + sig),
              "status %s, %s, output %r" % (rc, "attributes restored" if before == after else "attributes CHANGED",
                                            out[-200:]))


def monitor_pause(popek, img):
    """The monitor's stop halts the guest (no output while paused), cont
    runs it again, Ctrl-A x quits."""
    try:
        master, slave = os.openpty()
    except OSError as e:
        print("check: monitor stop/cont: skipped: no pseudo-terminals here (%s)" % e)
        return
    p = subprocess.Popen([popek, "--bios", img("ticker"), "--serial", "stdio"], stdin=slave, stdout=slave,
                         stderr=slave, start_new_session=True)

    def read_for(seconds):
        out = b""
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            r, _, _ = select.select([master], [], [], 0.05)
            if r:
                try:
                    out += os.read(master, 65536)
                except OSError:
                    break
        return out

    first = read_for(1.0)
    os.write(master, b"\x01c")
    time.sleep(0.2)
    os.write(master, b"stop\r")
    read_for(0.5)  # what was on its way
    paused = read_for(1.0)
    os.write(master, b"cont\r")
    resumed = read_for(1.0)
    os.write(master, b"\x01x")
    try:
        p.wait(timeout=10)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    os.close(master)
    os.close(slave)
    check(b"tick" in first and b"tick" not in paused and b"tick" in resumed,
          "monitor: stop pauses the guest, cont runs it again",
          "ticks before %d, paused %d, after %d" % (first.count(b"tick"), paused.count(b"tick"),
                                                    resumed.count(b"tick")))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--popek", required=True)
    ap.add_argument("--images", required=True, help="directory with the assembled test images")
    ap.add_argument("--build", required=True)
    a = ap.parse_args()
    tmp = os.path.join(a.build, "frontend")
    os.makedirs(tmp, exist_ok=True)

    def img(name):
        return os.path.join(a.images, name + ".bin")

    serial_flush(a.popek, img, tmp)
    idle_and_unmapped(a.popek, img)
    options(a.popek, img, tmp)
    terminal(a.popek, img, a.build)
    monitor_pause(a.popek, img)
    print("frontend checks: %s" % ("all passed" if failures == 0 else "%d FAILED" % failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
