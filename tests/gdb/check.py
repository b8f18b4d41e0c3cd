#!/usr/bin/env python3
"""The gdb stub against real gdb and against a raw client (make gdb-check).

Builds tests/gdb/kernel.c as a multiboot ELF with debug information, starts
popek paused (-S) with --gdb on a Unix socket, and runs gdb in batch mode
with tests/gdb/session.py: break at a function by name, registers, a local
variable, a watchpoint, stepi, memory and register writes, the monitor,
detach, after which the kernel must run to its exit status.  Then, over TCP
and by hand: a bad checksum gets '-', an oversized packet an error, run-
length and escaped packets decode, garbage is survived, 0x03 stops the
spinning kernel, an abrupt disconnect lets it run on, a second client is
turned away, and k ends the run.  Prints "skipped: ..." without gdb or a
compiler that builds 32-bit code."""
import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

failures = 0
HERE = os.path.dirname(os.path.abspath(__file__))
CFLAGS = ["-m32", "-g", "-O0", "-ffreestanding", "-fno-pic", "-fno-pie", "-nostdlib", "-fno-stack-protector"]


def check(ok, what, detail=""):
    global failures
    print("check: %s: %s%s" % (what, "ok" if ok else "FAILED", "" if ok or not detail else ": " + detail))
    if not ok:
        failures += 1


def build_kernel(out):
    os.makedirs(out, exist_ok=True)
    objs = []
    for src in ("entry.S", "kernel.c"):
        obj = os.path.join(out, src.split(".")[0] + ".o")
        r = subprocess.run(["gcc"] + CFLAGS + ["-c", "-o", obj, os.path.join(HERE, src)],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if r.returncode:
            return None, r.stdout.decode(errors="replace")
        objs.append(obj)
    elf = os.path.join(out, "kernel.elf")
    r = subprocess.run(["ld", "-m", "elf_i386", "--no-warn-rwx-segments", "-T", os.path.join(HERE, "kernel.ld"),
                        "-o", elf] + objs, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    if r.returncode:
        return None, r.stdout.decode(errors="replace")
    return elf, ""


def wait_for(pred, seconds):
    end = time.time() + seconds
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.02)
    return pred()


def start_popek(popek, kernel, gdb_spec, append=None):
    args = [popek, "--kernel", kernel, "--serial", "null", "-S", "--gdb", gdb_spec]
    if append:
        args += ["--append", append]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def gdb_session(popek, kernel, tmp):
    sock = os.path.join(tmp, "gdb.sock")
    p = start_popek(popek, kernel, "unix:" + sock)
    if not wait_for(lambda: os.path.exists(sock), 10):
        check(False, "popek listens on the Unix socket")
        p.kill()
        return
    env = dict(os.environ, POPEK_GDB_TARGET=sock, POPEK_GDB_SOURCE=os.path.join(HERE, "kernel.c"))
    try:
        g = subprocess.run(["gdb", "-batch", "-nx", "-x", os.path.join(HERE, "session.py"), kernel],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env, timeout=120)
        out = g.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") + "\n(gdb timed out)"
    lines = [l for l in out.splitlines() if l.startswith("check: ")]
    for l in lines:
        print("gdb " + l)
    global failures
    failures += sum(1 for l in lines if l.endswith("FAILED") or ": FAILED: " in l)
    check("session: done" in out and lines, "the gdb session ran to its end", out[-1500:])
    try:
        rc = p.wait(timeout=30)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = None
    err = p.stderr.read().decode(errors="replace")
    check(rc == 33, "after detach the kernel runs to its exit status (33)", "status %s: %s" % (rc, err[-500:]))


class Client:
    """A raw remote-protocol client."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def send(self, raw):
        self.s.sendall(raw)

    def packet(self, data):
        if isinstance(data, str):
            data = data.encode("latin-1")
        return b"$" + data + b"#%02x" % (sum(data) & 0xFF)

    def read_byte(self):
        while not self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError
            self.buf += chunk
        b, self.buf = self.buf[:1], self.buf[1:]
        return b

    def reply(self):
        """The next packet's data (acks before it are skipped)."""
        while self.read_byte() != b"$":
            pass
        data = b""
        while True:
            b = self.read_byte()
            if b == b"#":
                break
            data += b
        csum = self.read_byte() + self.read_byte()
        if int(csum, 16) != sum(data) & 0xFF:
            raise ValueError("bad checksum from popek: %r" % data)
        self.send(b"+")
        return data

    def ask(self, data):
        self.send(self.packet(data))
        return self.reply()

    def close(self):
        self.s.close()


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def raw_protocol(popek, kernel):
    port = free_port()
    p = start_popek(popek, kernel, "tcp::%d" % port, append="spin")
    c = None
    for _ in range(200):
        try:
            c = Client(port)
            break
        except OSError:
            time.sleep(0.05)
    if c is None:
        check(False, "popek listens on tcp::%d" % port)
        p.kill()
        return
    try:
        c.send(b"$?#00")
        check(c.read_byte() == b"-", "a bad checksum gets '-'")
        c.send(c.packet("?"))
        check(c.read_byte() == b"+", "a good packet gets '+'")
        check(c.reply() == b"T05thread:1;", "'?' while paused at the start: T05")
        big = "m" + "0" * 0x5000
        check(c.ask(big) == b"E22", "an oversized packet is refused with an error")
        check(c.ask("m10*!,4") == b"02b0ad1b", "a run-length encoded packet decodes (the multiboot magic)")
        c.send(b"$X200000,2:}]}\x03#" + b"%02x" % (sum(b"X200000,2:}]}\x03") & 0xFF))
        check(c.reply() == b"OK", "X with escaped bytes")
        check(c.ask("m200000,2") == b"7d23", "the escaped bytes were written as decoded")
        check(c.ask("mfee00000,4") == b"E14", "memory that is a device's MMIO gives E14")
        check(c.ask("mzz") == b"E22", "a malformed m gives E22")
        check(c.ask("qNoSuchQuery") == b"", "an unknown packet gets the empty reply")
        check(len(c.ask("g")) == 352, "g: 176 bytes of registers")
        # ('-' would make popek resend its last reply, as it should.)
        c.send(bytes(range(256)).replace(b"$", b"").replace(b"-", b"") * 8 + b"\x00\xff}}**##")
        got = b""
        for _ in range(3):
            c.send(c.packet("?"))
            got = c.reply()
            if got.startswith(b"T05"):
                break
        check(got.startswith(b"T05"), "garbage is survived: '?' answers after it", repr(got))
        check(c.ask("s") == b"S05", "s: one instruction, S05")
        c.send(c.packet("c"))
        time.sleep(0.5)
        check(p.poll() is None, "the spinning kernel runs after c")
        c.send(b"\x03")
        check(c.reply() == b"T02thread:1;", "0x03 stops the spinning guest (T02, SIGINT)")
        eip = c.ask("p8")
        check(c.ask("s") == b"S05" and c.ask("p8") != eip, "a step after the interrupt executes an instruction")
        c.send(c.packet("vCont;c"))
        time.sleep(0.2)
        c.close()
        time.sleep(0.5)
        check(p.poll() is None, "an abrupt disconnect while running: popek runs on")
        c = Client(port)
        check(c.ask("?").startswith(b"T05"), "a new client finds the guest stopped")
        second = Client(port)
        try:
            refused = second.reply() == b"E01"
        except (EOFError, OSError):
            refused = False
        check(refused, "a second client at the same time is turned away")
        second.close()
        c.send(c.packet("k"))
        rc = p.wait(timeout=20)
        check(rc == 0, "k ends the run (status 0)", "status %s" % rc)
    except (EOFError, OSError, ValueError) as e:
        check(False, "the raw protocol session", repr(e))
    finally:
        if c:
            c.close()
        if p.poll() is None:
            p.kill()
            p.wait()
    err = p.stderr.read().decode(errors="replace")
    check("Sanitizer" not in err and "emulator error" not in err, "no emulator error", err[-500:])


def options(popek, kernel):
    r = subprocess.run([popek, "--kernel", kernel, "-S"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       timeout=20)
    check(r.returncode == 1 and b"-S" in r.stderr, "-S without --gdb or --monitor is refused", r.stderr.decode()[-200:])
    r = subprocess.run([popek, "--kernel", kernel, "--gdb", "serial:x"], stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, timeout=20)
    check(r.returncode == 1 and b"tcp:" in r.stderr, "a bad --gdb is refused", r.stderr.decode()[-200:])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--popek", required=True)
    ap.add_argument("--build", required=True)
    a = ap.parse_args()
    if not shutil.which("gdb"):
        print("gdb-check: skipped: gdb is missing (apt-get install gdb)")
        return 0
    kernel, why = build_kernel(a.build)
    if not kernel:
        print("gdb-check: skipped: cannot build 32-bit code (gcc-multilib?): " + why.strip().splitlines()[-1])
        return 0
    tmp = tempfile.mkdtemp(prefix="popek-gdb-")
    try:
        gdb_session(a.popek, kernel, tmp)
        raw_protocol(a.popek, kernel)
        options(a.popek, kernel)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print("gdb-check: %s" % ("all passed" if not failures else "%d FAILED" % failures))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
