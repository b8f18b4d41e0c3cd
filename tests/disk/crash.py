#!/usr/bin/env python3
"""Crash safety of qcow2 writes (make disk-crash-check, KILLS=N).

tests/disk/writer.asm, booted by SeaBIOS from a qcow2 image (64 KiB
clusters, 8 GiB virtual), writes sector after sector, each followed by
FLUSH CACHE, and reports every completed flush on port 0xE9.  Popek is
killed with SIGKILL at a random moment; then qemu-img check must find no
corruption (leaked clusters are allowed: exit status 0 or 3), and every
write whose flush the guest saw complete must be in the image (or a later
write to the same sector), read back through qemu-img convert.  Repeated
KILLS times, each on a fresh image."""
import argparse
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import time


def lba_of(n):
    return (n * 16384 + (n & 7) * 128 + 128) & 0xFFFFFF


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--popek", required=True)
    ap.add_argument("--writer", required=True)
    ap.add_argument("--kills", type=int, default=100)
    ap.add_argument("--seed", type=int, default=20261203)
    a = ap.parse_args()
    for need in ("/usr/share/seabios/bios-256k.bin",):
        if not os.path.exists(need):
            print("disk-crash-check: skipped: %s is missing" % need)
            return 0
    if subprocess.run(["sh", "-c", "command -v qemu-img"], stdout=subprocess.DEVNULL).returncode:
        print("disk-crash-check: skipped: qemu-img (Debian's qemu-utils) is missing")
        return 0
    rng = random.Random(a.seed)
    tmp = tempfile.mkdtemp(prefix="popek-crash-")
    raw0 = os.path.join(tmp, "boot.raw")
    img = bytearray(1 << 20)
    img[0:512] = open(a.writer, "rb").read()[:512]
    open(raw0, "wb").write(img)
    base = os.path.join(tmp, "base.qcow2")
    subprocess.run(["qemu-img", "convert", "-f", "raw", "-O", "qcow2", raw0, base], check=True)
    subprocess.run(["qemu-img", "resize", "-q", base, "8G"], check=True)
    bad = 0
    leaks = 0
    flushed_total = 0
    for k in range(a.kills):
        q = os.path.join(tmp, "w.qcow2")
        subprocess.run(["cp", base, q], check=True)
        out = os.path.join(tmp, "out.txt")
        with open(out, "wb") as f:
            p = subprocess.Popen([a.popek, "--drive", "file=%s,format=qcow2" % q, "--display", "none",
                                  "--at", "100000s:quit"], stdout=f, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(0.3, 1.5))
            p.send_signal(signal.SIGKILL)
            p.wait()
        lines = open(out, "rb").read().decode("latin-1").splitlines()
        done = [int(m.group(1), 16) for l in lines for m in [re.match(r"F ([0-9A-F]{8})$", l)] if m]
        last = done[-1] if done else 0
        flushed_total += last
        c = subprocess.run(["qemu-img", "check", q], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if c.returncode not in (0, 3):
            bad += 1
            print("kill %d: qemu-img check status %d: %s" % (k, c.returncode, c.stdout.decode()[-300:]))
            continue
        if c.returncode == 3:
            leaks += 1
        raw = os.path.join(tmp, "w.raw")
        subprocess.run(["qemu-img", "convert", "-O", "raw", q, raw], check=True)
        missing = 0
        with open(raw, "rb") as f:
            if f.read(512)[:512] != bytes(img[:512]):
                missing += 1
                print("kill %d: the boot sector changed" % k)
            for n in range(max(1, last - 1023), last + 1):
                f.seek(lba_of(n) * 512)
                s = f.read(12)
                got = int.from_bytes(s[8:12], "little") if s[:8] == b"POPEK n=" else -1
                if got < n or (got - n) % 1024:
                    missing += 1
                    if missing < 4:
                        print("kill %d: write %d (flushed) missing at LBA %d: %r" % (k, n, lba_of(n), s))
        if missing:
            bad += 1
        os.unlink(raw)
    print("check: %d kills, %d flushed writes seen, %d images with leaked clusters, %d corrupt or missing "
          "data: %s" % (a.kills, flushed_total, leaks, bad, "ok" if bad == 0 else "FAILED"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
