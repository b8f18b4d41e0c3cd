#!/usr/bin/env python3
"""Real guests from Debian packages, booted through SeaBIOS and read off
the VGA text screen (make guests-check).

- GRUB from grub-rescue-pc, its El Torito CD image on the ATAPI CD-ROM:
  the menu appears, 'c' opens the command line, and `ls` answers with the
  CD's devices (every byte GRUB read came through the PACKET protocol).
- Debian's installer (text flavour, debian-installer-12-netboot-i386) on a
  CD that tests/guests/mkdi.sh builds with isolinux and xorriso: ISOLINUX,
  the kernel and the installer's first dialog on the VGA text screen.
- The FreeDOS floppy of ../shared/testdata/guests/freedos, with a program
  this test adds with mtools (tests/guests/hello.asm), wrapped by xorriso
  into an El Torito CD with floppy emulation (SeaBIOS serves the floppy
  image as drive A: from the CD): it boots to A:\>, and the program typed
  at the prompt prints its result.  (Booting the floppy image on the
  floppy controller comes with the controller.)

Each guest prints "skipped: <reason>" when its package is missing.  Prints
each boot's guest and host time.  Exits 1 if a check failed."""
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


def screen_run(popek, args, actions, dump_at, tmp, name):
    """Runs popek headless with timed actions; returns (screen text, seconds)."""
    scr = os.path.join(tmp, name + ".txt")
    cmd = [popek, "--display", "none"] + args
    for at, what in actions:
        cmd += ["--at", "%s:%s" % (at, what)]
    cmd += ["--at", "%s:screendump %s" % (dump_at, scr), "--at", "%s:quit" % dump_at]
    t0 = time.time()
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=300)
    took = time.time() - t0
    text = open(scr, encoding="utf-8").read() if os.path.exists(scr) else ""
    if p.returncode != 0:
        text += "\n[status %d: %s]" % (p.returncode, p.stderr.decode(errors="replace")[-300:])
    return text, took


def grub_cd(popek, tmp):
    iso = "/usr/lib/grub-rescue/grub-rescue-cdrom.iso"
    if not os.path.exists(iso):
        print("guests-check: grub cd: skipped: %s is missing (Debian's grub-rescue-pc)" % iso)
        return
    text, took = screen_run(popek, ["--cdrom", iso, "--boot", "order=d"], [], "4s", tmp, "grub-menu")
    check("GNU GRUB" in text and "GNU/Linux" in text, "grub cd: the menu from the El Torito CD (4 s guest, %.1f s host)"
          % took, repr(text[:300]))
    text, took = screen_run(popek, ["--cdrom", iso, "--boot", "order=d"],
                            [("4s", "sendkey c"), ("5s", "type ls"), ("6s", "sendkey ret")], "8s", tmp, "grub-ls")
    check("grub> ls" in text and "(cd)" in text, "grub cd: `ls` at the GRUB prompt lists (cd) (%.1f s host)" % took,
          repr(text[-400:]))


def freedos_floppy(popek, hello, shared, tmp):
    img = os.path.join(shared, "testdata", "guests", "freedos", "freedos.boot.disk.1.4MB.img")
    if subprocess.run(["sh", "-c", "command -v mcopy"], stdout=subprocess.DEVNULL).returncode:
        print("guests-check: freedos floppy: skipped: mtools is not installed")
        return
    if not os.path.exists(img):
        print("guests-check: freedos floppy: skipped: %s is missing" % img)
        return
    fd = os.path.join(tmp, "freedos.img")
    with open(img, "rb") as src, open(fd, "wb") as dst:
        dst.write(src.read())
    subprocess.run(["mcopy", "-o", "-i", fd, hello, "::/HELLO.COM"], check=True)
    text, took = screen_run(popek, ["--fda", fd], [("10s", "type HELLO"), ("11s", "sendkey ret")], "13s", tmp,
                            "freedos-fd")
    check("A:\\>" in text, "freedos floppy: boots on the FDC to A:\\> (%.1f s host for 13 s of guest time)" % took,
          repr(text[-400:]))
    check("POPEK DOS PROGRAM: 6*7=42" in text, "freedos floppy: the added program runs and prints 6*7=42",
          repr(text[-400:]))


def grub_floppy(popek, tmp):
    img = "/usr/lib/grub-rescue/grub-rescue-floppy.img"
    if not os.path.exists(img):
        print("guests-check: grub floppy: skipped: %s is missing (Debian's grub-rescue-pc)" % img)
        return
    text, took = screen_run(popek, ["--drive", "file=%s,if=floppy,readonly=on" % img],
                            [("6s", "sendkey c"), ("7s", "type ls"), ("8s", "sendkey ret")], "10s", tmp, "grub-fd")
    check("grub> ls" in text and "(fd0)" in text, "grub floppy: boots on the FDC, `ls` lists (fd0) (%.1f s host)" % took,
          repr(text[-400:]))


def debian_installer(popek, iso, tmp):
    if not iso or not os.path.exists(iso):
        print("guests-check: debian installer: skipped: no installer CD was built (tests/guests/mkdi.sh needs "
              "Debian's archive and xorriso)")
        return
    text, took = screen_run(popek, ["--cdrom", iso, "--boot", "order=d", "-m", "512M"], [], "180s", tmp, "di")
    check("Select a language" in text and "Choose the language to be used" in text,
          "debian installer: its first dialog on the VGA text screen (180 s guest, %.1f s host)" % took,
          repr(text[:400]))


def freedos_cd(popek, hello, shared, tmp):
    img = os.path.join(shared, "testdata", "guests", "freedos", "freedos.boot.disk.1.4MB.img")
    for tool in ("mcopy", "xorriso"):
        if subprocess.run(["sh", "-c", "command -v " + tool], stdout=subprocess.DEVNULL).returncode:
            print("guests-check: freedos: skipped: %s is not installed" % tool)
            return
    if not os.path.exists(img):
        print("guests-check: freedos: skipped: %s is missing" % img)
        return
    iso_dir = os.path.join(tmp, "iso")
    os.makedirs(iso_dir, exist_ok=True)
    fd = os.path.join(iso_dir, "fd.img")
    with open(img, "rb") as src, open(fd, "wb") as dst:
        dst.write(src.read())
    subprocess.run(["mcopy", "-o", "-i", fd, hello, "::/HELLO.COM"], check=True)
    iso = os.path.join(tmp, "freedos.iso")
    subprocess.run(["xorriso", "-as", "mkisofs", "-quiet", "-b", "fd.img", "-o", iso, iso_dir], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    text, took = screen_run(popek, ["--cdrom", iso, "--boot", "order=d"],
                            [("10s", "type HELLO"), ("11s", "sendkey ret")], "13s", tmp, "freedos")
    check("A:\\>" in text, "freedos: boots to A:\\> (%.1f s host for 13 s of guest time)" % took, repr(text[-400:]))
    check("POPEK DOS PROGRAM: 6*7=42" in text, "freedos: the added program runs and prints 6*7=42",
          repr(text[-400:]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--popek", required=True)
    ap.add_argument("--hello", required=True, help="tests/guests/hello.asm, assembled")
    ap.add_argument("--di-iso", help="the installer CD tests/guests/mkdi.sh built")
    ap.add_argument("--shared", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..",
                                                     "shared"))
    a = ap.parse_args()
    if not os.path.exists("/usr/share/seabios/bios-256k.bin"):
        print("guests-check: skipped: SeaBIOS is missing")
        return 0
    tmp = tempfile.mkdtemp(prefix="popek-guests-")
    grub_cd(a.popek, tmp)
    freedos_floppy(a.popek, a.hello, a.shared, tmp)
    grub_floppy(a.popek, tmp)
    freedos_cd(a.popek, a.hello, a.shared, tmp)
    debian_installer(a.popek, a.di_iso, tmp)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
