#!/usr/bin/env python3
"""Disks through the firmware (make disk-check).

A raw hard-disk image whose boot sector is tests/disk/mbr.asm: SeaBIOS
finds Popek's ATA disk on the PIIX IDE, boots it, and the boot sector reads
sector 1 by LBA, writes sector 2 and reads it back by CHS through INT 13h.
The file must then hold what the guest wrote; with readonly=on the write
fails in the guest and the file is untouched.  A second emulator cannot
open an image the first holds for writing (OFD lock).  Bad --drive
settings are refused.  Prints "skipped: ..." without SeaBIOS."""
import argparse
import os
import subprocess
import sys
import tempfile
import time

failures = 0


def check(ok, what, detail=""):
    global failures
    print("check: %s: %s%s" % (what, "ok" if ok else "FAILED", "" if ok or not detail else ": " + detail))
    if not ok:
        failures += 1


def make_image(path, mbr):
    img = bytearray(1 << 20)
    img[0:512] = open(mbr, "rb").read()[:512]
    s1 = b"sector one says hello\r\n\0"
    img[512:512 + len(s1)] = s1
    open(path, "wb").write(img)


def run(args, timeout=60):
    return subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--popek", required=True)
    ap.add_argument("--mbr", required=True)
    a = ap.parse_args()
    if not os.path.exists("/usr/share/seabios/bios-256k.bin"):
        print("disk-check: skipped: SeaBIOS (Debian's seabios package) is missing")
        return 0
    tmp = tempfile.mkdtemp(prefix="popek-disk-")
    img = os.path.join(tmp, "disk.img")
    for model in ("p6", "pentium"):
        make_image(img, a.mbr)
        p = run([a.popek, "--cpu", model, "--display", "none", "--drive", "file=%s,format=raw" % img,
                 "--at", "20s:quit"])
        out = p.stdout.decode("latin-1")
        check(p.returncode == 0 and "disk: booted from the MBR" in out,
              "%s: SeaBIOS boots the IDE disk's MBR" % model, repr(out[-300:]) + repr(p.stderr[-300:]))
        check("disk: sector 1: sector one says hello" in out, "%s: LBA read through INT 13h" % model)
        check("disk: sector 2: written by the guest" in out, "%s: write, then CHS read back" % model)
        data = open(img, "rb").read()
        check(data[1024:1044] == b"written by the guest", "%s: the write is in the file" % model)
        check(b"format not given" not in p.stderr, "%s: no probing warning with format=raw" % model)

    make_image(img, a.mbr)
    before = open(img, "rb").read()
    p = run([a.popek, "--display", "none", "--drive", "file=%s,format=raw,readonly=on" % img, "--at", "20s:quit"])
    out = p.stdout.decode("latin-1")
    check("disk: write failed" in out and open(img, "rb").read() == before,
          "readonly=on: the guest's write fails, the file is untouched", repr(out[-200:]))

    p = run([a.popek, "--display", "none", "--hda", img, "--at", "20s:quit"])
    check(b"probed as raw" in p.stderr, "--hda without a format: probed as raw, with a warning", repr(p.stderr[-200:]))

    # The lock: the first holds the image (SeaBIOS finds nothing bootable on
    # a blank disk and waits), the second is refused.
    blank = os.path.join(tmp, "blank.img")
    open(blank, "wb").write(bytes(1 << 20))
    first = subprocess.Popen([a.popek, "--display", "none", "--drive", "file=%s,format=raw" % blank,
                              "--at", "200000s:quit"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(0.5)
    p = run([a.popek, "--display", "none", "--drive", "file=%s,format=raw" % blank, "--at", "1s:quit"])
    first.terminate()
    first.wait()
    check(p.returncode == 1 and b"in use" in p.stderr, "a second emulator cannot write an image in use",
          "status %d %r" % (p.returncode, p.stderr[-200:]))

    # snapshot=on and --snapshot: the guest sees its write, the file does not change.
    for args in (["--drive", "file=%s,format=raw,snapshot=on" % img], ["--snapshot", "--hda", img]):
        make_image(img, a.mbr)
        before = open(img, "rb").read()
        p = run([a.popek, "--display", "none"] + args + ["--at", "20s:quit"])
        out = p.stdout.decode("latin-1")
        check("disk: sector 2: written by the guest" in out and open(img, "rb").read() == before,
              "%s: the guest writes, the image stays as it was" % " ".join(args[:1]), repr(out[-200:]))

    # qcow2, made by qemu-img: plain, compressed, and an overlay on a raw
    # base.  Popek boots each, the guest's write lands, qemu-img check finds
    # nothing wrong, and qemu-img convert gives the raw disk the guest wrote.
    import shutil
    if not shutil.which("qemu-img"):
        print("disk-check: qcow2: skipped: qemu-img (Debian's qemu-utils) is missing")
    else:
        make_image(img, a.mbr)
        base = os.path.join(tmp, "base.img")
        shutil.copy(img, base)
        cases = (("qcow2", ["qemu-img", "convert", "-f", "raw", "-O", "qcow2", img]),
                 ("compressed qcow2", ["qemu-img", "convert", "-c", "-f", "raw", "-O", "qcow2", img]),
                 ("qcow2 overlay on a raw base", ["qemu-img", "create", "-q", "-f", "qcow2", "-b", base, "-F", "raw"]))
        for name, mk in cases:
            q = os.path.join(tmp, name.replace(" ", "-") + ".qcow2")
            subprocess.run(mk + [q], check=True, stdout=subprocess.DEVNULL)
            p = run([a.popek, "--display", "none", "--drive", "file=%s,format=qcow2" % q, "--at", "20s:quit"])
            out = p.stdout.decode("latin-1")
            check("disk: sector 1: sector one says hello" in out and "disk: sector 2: written by the guest" in out,
                  "%s: boots, reads and writes" % name, repr(out[-200:]) + repr(p.stderr[-200:]))
            c = subprocess.run(["qemu-img", "check", q], stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            check(c.returncode == 0 and b"No errors were found" in c.stdout, "%s: qemu-img check is clean" % name,
                  c.stdout.decode()[-300:])
            raw = os.path.join(tmp, "out.raw")
            subprocess.run(["qemu-img", "convert", "-O", "raw", q, raw], check=True)
            want = open(base, "rb").read()
            got = open(raw, "rb").read()
            # Sector 2 holds the message (and what followed it in the guest's memory).
            check(len(got) == len(want) and got[:1024] == want[:1024] and got[1536:] == want[1536:] and
                  got[1024:1044] == b"written by the guest",
                  "%s: qemu-img convert gives the disk the guest wrote" % name)
            if "overlay" in name:
                check(open(base, "rb").read() == open(img, "rb").read(), "%s: the base is untouched" % name)

    for args, what in ((["--drive", "file=%s,format=vmdk" % img], "format=vmdk"),
                       (["--drive", "format=raw"], "no file"),
                       (["--drive", "file=%s,index=7" % img], "index=7"),
                       (["--hda", os.path.join(tmp, "missing.img")], "a missing image"),
                       (["--hda", img, "--hda", img], "the same drive twice")):
        p = run([a.popek, "--display", "none"] + args + ["--at", "1s:quit"])
        check(p.returncode == 1 and b"popek:" in p.stderr, "refused: %s" % what,
              "status %d %r" % (p.returncode, p.stderr[-200:]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
