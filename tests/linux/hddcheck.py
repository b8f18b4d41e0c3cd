#!/usr/bin/env python3
"""Debian's 686 kernel installed on a partitioned IDE hard disk
(tests/linux/mkhdd.py: syslinux's MBR, SYSLINUX on a FAT partition, an
ext2 root) booted through SeaBIOS, as a user boots an installed system
(make linux-hdd-check).

For each way of holding the disk (a raw image; qcow2 converted by
qemu-img; the same compressed with -c; a qcow2 overlay that qemu-img
created on a raw base) the guest is booted twice: the first boot writes a
note and 512 KiB of random data at the shell prompt and powers off, the
second reads both back.  Then, on the host, with tools that share no code
with Popek: qemu-img check finds the qcow2 image clean, qemu-img convert
gives a raw disk whose root partition passes e2fsck -fn, and debugfs reads
the note and the data the guest wrote out of it; an overlay's base is
untouched.  Prints each boot's guest and host time."""
import hashlib
import os
import re
import select
import shutil
import subprocess
import sys
import tempfile
import time

ROOT_START = 51200          # tests/linux/mkhdd.py: partition 2's first sector
PROMPT = b"hdd# "
failures = 0


def check(ok, what, detail=""):
    global failures
    print("check: %s: %s%s" % (what, "ok" if ok else "FAILED", "" if ok or not detail else ": " + detail))
    if not ok:
        failures += 1
    return ok


def boot(popek, drive, commands, timeout):
    """Boots the disk, types each command at a shell prompt, and returns
    (exit status, output, host seconds, guest seconds at power-off)."""
    cmd = [popek, "--drive", drive, "-m", "128M", "--serial", "stdio", "--display", "none"]
    t0 = time.time()
    p = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = b""
    pending = list(commands)
    seen = 0
    while True:
        left = timeout - (time.time() - t0)
        if left <= 0:
            p.kill()
            out += b"\n[timed out]"
            break
        r, _, _ = select.select([p.stdout], [], [], min(left, 1.0))
        if not r:
            continue
        data = os.read(p.stdout.fileno(), 65536)
        if not data:
            break
        out += data
        # One command per prompt: the next goes when a new prompt appears.
        while pending and out.count(PROMPT) > seen:
            seen = out.count(PROMPT)
            p.stdin.write(pending.pop(0).encode() + b"\n")
            p.stdin.flush()
    status = p.wait()
    took = time.time() - t0
    m = re.findall(rb"\[\s*([0-9.]+)\] reboot: Power down", out)
    guest = float(m[-1]) if m else -1.0
    return status, out.decode("latin-1"), took, guest


def host_view(disk_raw, tmp):
    """The root partition of a raw disk: e2fsck -fn's verdict and what
    debugfs reads of the guest's files."""
    part = os.path.join(tmp, "root.part")
    with open(disk_raw, "rb") as src, open(part, "wb") as dst:
        src.seek(ROOT_START * 512)
        shutil.copyfileobj(src, dst)
    fsck = subprocess.run(["e2fsck", "-fn", part], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    note = subprocess.run(["debugfs", "-R", "cat /root/note", part], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL).stdout
    blob = subprocess.run(["debugfs", "-R", "cat /root/blob", part], stdout=subprocess.PIPE,
                          stderr=subprocess.DEVNULL).stdout
    os.unlink(part)
    return fsck, note.decode("latin-1").strip(), hashlib.md5(blob).hexdigest(), len(blob)


def variant(popek, name, image, tmp, timeout, fmt, raw_base=None):
    token = "POPEK-NOTE-%s-%d" % (name.replace(" ", "-"), os.getpid())
    drive = "file=%s,format=%s" % (image, fmt)
    base_sum = hashlib.sha256(open(raw_base, "rb").read()).hexdigest() if raw_base else None
    status, out, took, guest = boot(popek, drive, [
        "echo %s > /root/note; dd if=/dev/urandom of=/root/blob bs=1k count=512 2>/dev/null; sync" % token,
        "md5sum /root/blob; echo WROTE-$?", "poweroff"], timeout)
    m = re.search(r"([0-9a-f]{32})  /root/blob\s+WROTE-0", out)
    if not check(status == 0 and m is not None and "popek-hdd: root /dev/sda2 ext4 rw" in out,
                 "%s: boots to the shell on the ext2 root, writes, powers off (%.1f s guest, %.1f s host)"
                 % (name, guest, took), "status %d\n%s" % (status, out[-2500:])):
        return
    written = m.group(1)
    status, out, took, guest = boot(popek, drive, ["cat /root/note; md5sum /root/blob", "poweroff"], timeout)
    check(status == 0 and token in out and (written + "  /root/blob") in out,
          "%s: the second boot reads the note and the data back (%.1f s guest, %.1f s host)" % (name, guest, took),
          "status %d\n%s" % (status, out[-2500:]))
    raw = image
    if fmt == "qcow2":
        c = subprocess.run(["qemu-img", "check", image], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        check(c.returncode == 0 and b"No errors were found" in c.stdout, "%s: qemu-img check is clean" % name,
              c.stdout.decode(errors="replace")[-600:])
        raw = os.path.join(tmp, "converted.raw")
        subprocess.run(["qemu-img", "convert", "-f", "qcow2", "-O", "raw", image, raw], check=True)
    fsck, note, blob_md5, blob_len = host_view(raw, tmp)
    check(fsck.returncode == 0, "%s: e2fsck -fn finds the root file system clean" % name,
          fsck.stdout.decode(errors="replace")[-800:])
    check(note == token and blob_md5 == written and blob_len == 512 * 1024,
          "%s: debugfs reads the guest's note and data from the %s" % (
              name, "raw image" if fmt == "raw" else "disk qemu-img convert gives"),
          "note %r, blob %s (%d bytes), want %s" % (note, blob_md5, blob_len, written))
    if raw_base:
        check(hashlib.sha256(open(raw_base, "rb").read()).hexdigest() == base_sum,
              "%s: the raw base is untouched" % name)
    if raw != image:
        os.unlink(raw)


def main():
    popek, hdd, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if not os.path.exists(hdd):
        print("linux-hdd-check: skipped: %s was not built (tests/linux/mkhdd.py needs Debian's syslinux, "
              "syslinux-common, mtools and e2fsprogs)" % hdd)
        return 0
    for tool in ("e2fsck", "debugfs"):
        if not shutil.which(tool):
            print("linux-hdd-check: skipped: %s (e2fsprogs) is missing" % tool)
            return 0
    tmp = tempfile.mkdtemp(prefix="popek-linux-hdd-")
    try:
        raw = os.path.join(tmp, "disk.raw")
        shutil.copy(hdd, raw)
        variant(popek, "raw", raw, tmp, timeout, "raw")
        if not shutil.which("qemu-img"):
            print("linux-hdd-check: qcow2: skipped: qemu-img (Debian's qemu-utils) is missing")
        else:
            for name, args in (("qcow2", []), ("compressed qcow2", ["-c"])):
                q = os.path.join(tmp, "disk.qcow2")
                subprocess.run(["qemu-img", "convert"] + args + ["-f", "raw", "-O", "qcow2", hdd, q], check=True)
                variant(popek, name, q, tmp, timeout, "qcow2")
                os.unlink(q)
            base = os.path.join(tmp, "base.raw")
            shutil.copy(hdd, base)
            ov = os.path.join(tmp, "overlay.qcow2")
            subprocess.run(["qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "raw", ov], check=True)
            variant(popek, "qcow2 overlay on a raw base", ov, tmp, timeout, "qcow2", raw_base=base)
    finally:
        shutil.rmtree(tmp)
    if failures:
        print("linux-hdd-check: %d FAILED" % failures)
        return 1
    print("linux-hdd-check: all passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
