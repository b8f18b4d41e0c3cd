#!/usr/bin/env python3
"""The monitor's channels (make monitor-channels-check): --monitor tcp:,
unix: and pty, each driven as a user's client would drive it.

tcp (QEMU's single-dash spelling, with ",server,nowait"): SeaBIOS runs
with --log int on standard error and --at 2s:break; with nobody connected
the break's report goes to standard error.  A client gets the banner and
the prompt, `info registers`, and `info irq`, whose IRQ0 count must be
what the interrupt log shows taken (vector 08, not software) up to the
pause, give or take the one interrupt raised and not yet taken; a second
client at the same time is turned away; `info pic`; the first client
vanishes without a word; a third connects, `cont`s, and IRQ0's count has
grown a second later; its `quit` ends popek with status 0.

unix: the gdb tests' kernel spinning (it never programs the PIT, so info
irq counts nothing on IRQ0); the guest runs on between two clients; the
socket file is gone after popek ends on SIGTERM.

pty: the name popek prints on standard error answers `help` when opened,
greets again when opened a second time, and `quit` there ends popek.

Prints "skipped: ..." for the parts whose guest cannot be had (no SeaBIOS,
no compiler for the 32-bit kernel)."""
import argparse
import os
import re
import select
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "gdb"))
import check as gdbcheck  # noqa: E402  (the kernel's build)

failures = 0
PROMPT = b"(popek) "
BANNER = "Popek monitor - type 'help' for more information"
SEABIOS = "/usr/share/seabios/bios-256k.bin"


def check(ok, what, detail=""):
    global failures
    print("check: monitor-channels: %s: %s%s" % (what, "ok" if ok else "FAILED",
                                                 "" if ok or not detail else ": " + detail))
    if not ok:
        failures += 1
    return ok


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Popek:
    """popek with its standard error collected as it comes."""

    def __init__(self, args):
        self.p = subprocess.Popen(args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE)
        self.err = b""
        self.lock = threading.Lock()
        self.t = threading.Thread(target=self._read, daemon=True)
        self.t.start()

    def _read(self):
        while True:
            chunk = os.read(self.p.stderr.fileno(), 65536)
            if not chunk:
                return
            with self.lock:
                self.err += chunk

    def stderr(self):
        with self.lock:
            return self.err.decode(errors="replace")

    def wait_stderr(self, pattern, seconds=30):
        end = time.time() + seconds
        while time.time() < end:
            m = re.search(pattern, self.stderr())
            if m:
                return m
            if self.p.poll() is not None:
                time.sleep(0.1)
                return re.search(pattern, self.stderr())
            time.sleep(0.05)
        return None

    def wait(self, seconds=20):
        try:
            return self.p.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            self.p.kill()
            self.p.wait()
            return None

    def kill(self):
        if self.p.poll() is None:
            self.p.kill()
            self.p.wait()


class Conn:
    """A client on a socket or on the pty (a file descriptor)."""

    def __init__(self, fd, sock=None):
        self.fd, self.sock, self.buf = fd, sock, b""

    @staticmethod
    def tcp(port, seconds=10):
        end = time.time() + seconds
        while True:
            try:
                s = socket.create_connection(("127.0.0.1", port), timeout=5)
                return Conn(s.fileno(), s)
            except OSError:
                if time.time() > end:
                    raise
                time.sleep(0.05)

    @staticmethod
    def unix(path):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        return Conn(s.fileno(), s)

    def read_prompt(self, timeout=20):
        """What came before the next prompt (None if it never came)."""
        end = time.time() + timeout
        while PROMPT not in self.buf and time.time() < end:
            r, _, _ = select.select([self.fd], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    break
                self.buf += chunk
        if PROMPT not in self.buf:
            return None
        text, _, self.buf = self.buf.partition(PROMPT)
        return text.decode(errors="replace")

    def read_all(self, timeout=5):
        """Everything until the other side closes."""
        end = time.time() + timeout
        while time.time() < end:
            r, _, _ = select.select([self.fd], [], [], 0.2)
            if r:
                try:
                    chunk = os.read(self.fd, 65536)
                except OSError:
                    chunk = b""
                if not chunk:
                    return self.buf.decode(errors="replace"), True
                self.buf += chunk
        return self.buf.decode(errors="replace"), False

    def ask(self, cmd, end=b"\r\n"):
        os.write(self.fd, cmd.encode() + end)
        return self.read_prompt() or ""

    def close(self):
        if self.sock:
            self.sock.close()
        else:
            os.close(self.fd)


def irq_counts(text):
    return {int(m.group(1)): int(m.group(2)) for m in re.finditer(r"^\s*(\d+): (\d+)\s*$", text, re.M)}


def irq0_taken(log):
    """Hardware interrupts on vector 08 (IRQ0 where SeaBIOS puts the PIC) in the --log int lines."""
    n = 0
    for line in log.splitlines():
        f = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
        if f.get("v") == "08" and f.get("i") == "0":
            n += 1
    return n


def tcp_part(popek):
    if not os.path.exists(SEABIOS):
        print("monitor-channels: tcp: skipped: no SeaBIOS (%s)" % SEABIOS)
        return
    port = free_port()
    p = Popek([popek, "--display", "none", "-monitor", "tcp::%d,server,nowait" % port, "--log", "int",
               "--at", "2s:break"])
    try:
        m = p.wait_stderr(r"popek: monitor on (tcp:\S+)")
        check(m and m.group(1) == "tcp:127.0.0.1:%d" % port, "-monitor tcp::PORT,server,nowait listens on loopback",
              p.stderr()[-300:])
        m = p.wait_stderr(r"(?m)^stopped at 0x[0-9a-f]+$")
        check(m is not None, "with nobody connected, the break's report goes to standard error", p.stderr()[-300:])
        a = Conn.tcp(port)
        hello = a.read_prompt()
        check(hello is not None and BANNER in hello, "a client gets the banner and the prompt", repr(hello))
        out = a.ask("info registers")
        check("EIP=" in out and "CS=f000" in out and "\r\n" in out, "info registers (CR LF line ends)", out[:300])
        taken = irq0_taken(p.stderr())
        out = a.ask("info irq")
        counts = irq_counts(out)
        raised = counts.get(0, 0)
        check(out.startswith("IRQ statistics:") and raised >= 30 and 0 <= raised - taken <= 1,
              "info irq: IRQ0 raised %d times in 2 s, --log int took %d" % (raised, taken), out)
        b = Conn.tcp(port)
        text, closed = b.read_all()
        check(closed and "has a client already" in text and PROMPT.decode() not in text,
              "a second client at once is turned away", repr(text))
        out = a.ask("info pic")
        check("pic0:" in out and "vector base=08" in out, "a second command: info pic", out)
        a.close()  # vanishes without a word
        c = Conn.tcp(port)
        hello = c.read_prompt()
        check(hello is not None and BANNER in hello, "after the first client went, the next one connects",
              repr(hello))
        out = c.ask("cont")
        check("running" in out, "cont", out)
        time.sleep(1)
        out = c.ask("info irq")
        later = irq_counts(out).get(0, 0)
        check(later > raised, "IRQ0's count grows while the guest runs (%d, then %d)" % (raised, later), out)
        os.write(c.fd, b"quit\r\n")
        text, closed = c.read_all(10)
        status = p.wait()
        check(status == 0, "quit over tcp ends popek with status 0", "status %r: %s" % (status, p.stderr()[-300:]))
        check(closed, "and the connection closes", repr(text))
    finally:
        p.kill()


def unix_part(popek, kernel, tmp):
    path = os.path.join(tmp, "mon.sock")
    p = Popek([popek, "--kernel", kernel, "--append", "spin", "--serial", "null", "--display", "none",
               "--monitor", "unix:" + path])
    try:
        check(p.wait_stderr(r"popek: monitor on unix:" + re.escape(path)) is not None and os.path.exists(path),
              "--monitor unix:PATH listens", p.stderr()[-300:])
        a = Conn.unix(path)
        hello = a.read_prompt()
        check(hello is not None and BANNER in hello, "unix: banner and prompt", repr(hello))
        out = a.ask("info registers")
        first = re.search(r"after (\d+) instructions", out)
        check(first and "CS=0008" in out, "unix: info registers", out[:300])
        out = a.ask("info irq")
        check(out.strip() == "IRQ statistics:", "unix: info irq: nothing on IRQ0 from a kernel that never "
                                                 "programs the PIT", out)
        a.close()
        time.sleep(0.5)
        b = Conn.unix(path)
        hello = b.read_prompt()
        out = b.ask("info registers", b"\n")
        second = re.search(r"after (\d+) instructions", out)
        check(hello is not None and first and second and int(second.group(1)) > int(first.group(1)),
              "unix: the guest ran on between two clients", "%s / %s" % (first and first.group(0),
                                                                           second and second.group(0)))
        out = b.ask("help", b"\n")
        check("info registers|" in out, "unix: help (LF line ends)", out)
        p.p.send_signal(signal.SIGTERM)
        status = p.wait()
        check(status == 128 + signal.SIGTERM and not os.path.exists(path),
              "unix: the socket file is removed at exit", "status %r, exists %r" % (status, os.path.exists(path)))
        b.close()
    finally:
        p.kill()


def pty_part(popek, kernel):
    p = Popek([popek, "--kernel", kernel, "--append", "spin", "--serial", "null", "--display", "none",
               "--monitor", "pty"])
    try:
        m = p.wait_stderr(r"popek: monitor on (/dev/pts/\d+)")
        if not check(m is not None, "--monitor pty prints its /dev/pts name", p.stderr()[-300:]):
            return
        name = m.group(1)
        fd = os.open(name, os.O_RDWR | os.O_NOCTTY)
        a = Conn(fd)
        hello = a.read_prompt()
        check(hello is not None and BANNER in hello, "pty: banner and prompt for whoever opens it", repr(hello))
        out = a.ask("help", b"\r")
        check(out.startswith("help\r\n") and "info registers|" in out, "pty: help, echoed as typed", out[:200])
        a.close()
        time.sleep(0.3)  # the hang-up is seen between slices
        fd = os.open(name, os.O_RDWR | os.O_NOCTTY)
        b = Conn(fd)
        hello = b.read_prompt()
        check(hello is not None and BANNER in hello, "pty: opened again, it greets again", repr(hello))
        out = b.ask("info irq", b"\r")
        check("IRQ statistics:" in out, "pty: info irq", out)
        os.write(fd, b"quit\r")
        status = p.wait()
        check(status == 0, "pty: quit ends popek with status 0", "status %r" % status)
        b.close()
    finally:
        p.kill()


def refused(popek):
    """What --monitor does not take is refused before anything starts."""
    for spec, why in (("tcp::4444,telnet", "not supported"), ("tcp:4444", "give tcp:[HOST]:PORT"),
                      ("vc", "wants stdio, pty")):
        r = subprocess.run([popek, "--monitor", spec], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=20)
        err = r.stderr.decode(errors="replace")
        check(r.returncode == 1 and why in err, "--monitor %s is refused" % spec, "%d: %s" % (r.returncode, err))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--popek", required=True)
    ap.add_argument("--build", required=True)
    a = ap.parse_args()
    popek = os.path.abspath(a.popek)
    refused(popek)
    tcp_part(popek)
    kernel, why = gdbcheck.build_kernel(a.build)
    if not kernel:
        print("monitor-channels: unix, pty: skipped: cannot build 32-bit code (gcc-multilib?): " +
              why.strip().splitlines()[-1])
    else:
        with tempfile.TemporaryDirectory() as tmp:
            unix_part(popek, kernel, tmp)
        pty_part(popek, kernel)
    print("monitor-channels: %s" % ("all passed" if not failures else "%d FAILED" % failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
