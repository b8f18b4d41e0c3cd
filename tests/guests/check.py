#!/usr/bin/env python3
"""Real guests from Debian packages, booted through SeaBIOS and read off
the VGA text screen (make guests-check).

- GRUB from grub-rescue-pc, its El Torito CD image on the ATAPI CD-ROM:
  the menu appears, 'c' opens the command line, and `ls` answers with the
  CD's devices (every byte GRUB read came through the PACKET protocol).

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


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--popek", required=True)
    a = ap.parse_args()
    if not os.path.exists("/usr/share/seabios/bios-256k.bin"):
        print("guests-check: skipped: SeaBIOS is missing")
        return 0
    tmp = tempfile.mkdtemp(prefix="popek-guests-")
    grub_cd(a.popek, tmp)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
