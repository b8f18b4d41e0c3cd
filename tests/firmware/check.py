#!/usr/bin/env python3
"""Debian's SeaBIOS on Popek's PC (make firmware-check).

Runs the seabios package's bios-256k.bin, the firmware Popek boots by
default, on the p6 and pentium models with no boot device, and reads what it
says on its debug port (0x402, --debugcon): it must find fw_cfg with DMA,
take its RAM size from etc/e820, link the ACPI tables Popek hands over
through etc/table-loader (and so move the PM block to 0x600), find the PS/2
keyboard, and end at "No bootable device."  Its log must not show a probe
of something the i440FX board would answer (a WARNING, a failed
allocation).  Then: the boot menu opens on ESC typed into the keyboard and
only then; a reset (SeaBIOS reboots after a failed boot when told to)
starts the firmware again; and the run is the same every time.

Prints "skipped: <reason>" and passes when the seabios package is absent.
Exits 1 if any check failed.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

failures = 0


def check(ok, what, detail=""):
    global failures
    if ok:
        print("check: %s: ok" % what)
    else:
        failures += 1
        print("check: %s: FAILED%s" % (what, (": " + detail) if detail else ""))


def run(popek, args, tmp, name, timeout=120):
    log = os.path.join(tmp, name + ".log")
    cmd = [popek, "--debugcon", log] + args
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, ""
    with open(log, "rb") as f:
        text = f.read().decode("latin-1")
    return p, text


# Lines SeaBIOS prints when the board lacks what it probed for.
BAD = [
    re.compile(r"WARNING"),
    re.compile(r"Unable to"),
    re.compile(r"No space"),
    re.compile(r"No QEMU Northbridge"),
    re.compile(r"fw_cfg.*not"),
]
# Expected with no disk at all (the next issue brings disks).
EXPECTED_FAIL = "Boot failed: could not read the boot disk"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--popek", required=True)
    ap.add_argument("--bios", default="/usr/share/seabios/bios-256k.bin")
    a = ap.parse_args()
    if not os.path.exists(a.bios):
        print("firmware-check: skipped: %s is missing (Debian's seabios package)" % a.bios)
        return 0
    tmp = tempfile.mkdtemp(prefix="popek-fw-")
    have_vgabios = os.path.exists("/usr/share/seabios/vgabios-stdvga.bin")
    for model in ("p6", "pentium"):
        scr = os.path.join(tmp, "screen-%s.txt" % model)
        png = os.path.join(tmp, "screen-%s.png" % model)
        p, log = run(a.popek, ["--cpu", model, "--at", "6s:screendump " + scr, "--at", "6s:screendump " + png,
                               "--at", "6s:quit"], tmp, "boot-" + model)
        ok = p is not None and p.returncode == 0
        check(ok, "%s: SeaBIOS runs until --at quits (status 0)" % model,
              "" if ok else ("timed out" if p is None else "status %d: %r" % (p.returncode, p.stderr[-300:])))
        check("SeaBIOS (version" in log, "%s: banner on the debug port" % model)
        check("Found QEMU fw_cfg" in log and "QEMU fw_cfg DMA interface supported" in log,
              "%s: fw_cfg found, with DMA" % model)
        check("qemu/e820: addr 0x0000000000000000 len 0x0000000002000000 [RAM]" in log,
              "%s: RAM size from etc/e820 (32 MiB)" % model)
        check("Moving pm_base to 0x600" in log, "%s: table loader seen: PM block moved to 0x600" % model)
        check(re.search(r"ACPI: parse DSDT", log) is not None and "Copying ACPI RSDP" not in log,
              "%s: ACPI tables are Popek's, linked by the loader (SeaBIOS built none)" % model)
        check("PS2 keyboard initialized" in log, "%s: PS/2 keyboard found" % model)
        check("No bootable device." in log, "%s: ends at 'No bootable device.'" % model)
        bad = [l for l in log.splitlines() if any(b.search(l) for b in BAD)]
        check(not bad, "%s: no failed probe in the log" % model, "; ".join(bad[:5]))
        fails = [l for l in log.splitlines() if "fail" in l.lower() and l.strip() != EXPECTED_FAIL]
        check(not fails, "%s: no failure but the missing boot disk" % model, "; ".join(fails[:5]))
        if not have_vgabios:
            print("check: %s: screen: skipped: vgabios-stdvga.bin is missing" % model)
            continue
        check("Start SeaVGABIOS" in log and "PCI: Using 00:02.0 for primary VGA" in log,
              "%s: SeaBIOS finds the std VGA and runs its ROM" % model)
        text = open(scr, encoding="utf-8").read() if os.path.exists(scr) else ""
        lines = text.splitlines()
        check(len(lines) == 25, "%s: the text screen has 25 rows" % model, "%d" % len(lines))
        check(bool(lines) and lines[0].startswith("SeaBIOS (version"), "%s: screen shows the banner on row 1" % model,
              repr(lines[:1]))
        check("No bootable device." in lines, "%s: screen shows 'No bootable device.'" % model, repr(text[:300]))
        # The PNG is a 720x400 image (80x25 cells of 9x16): read its header.
        hdr = open(png, "rb").read(24) if os.path.exists(png) else b""
        ok = hdr[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(hdr[16:20], "big") == 720 and \
            int.from_bytes(hdr[20:24], "big") == 400
        check(ok, "%s: PNG screendump of 720x400" % model, repr(hdr))

    # Determinism: guest time follows instructions, so two runs log alike.
    _, l1 = run(a.popek, ["--at", "4s:quit"], tmp, "det1")
    _, l2 = run(a.popek, ["--at", "4s:quit"], tmp, "det2")
    check(l1 == l2 and len(l1) > 0, "two runs give the same log")

    # The boot menu: offered with menu=on, opened by ESC from the keyboard.
    _, log = run(a.popek, ["--boot", "menu=on,splash-time=3000", "--at", "6s:quit"], tmp, "menu-none")
    check("Press ESC for boot menu." in log and "Select boot device" not in log,
          "boot menu offered, not opened without a key")
    scr = os.path.join(tmp, "menu.txt")
    _, log = run(a.popek, ["--boot", "menu=on,splash-time=3000", "--at", "1.5s:sendkey esc",
                           "--at", "3s:screendump " + scr, "--at", "3.1s:quit"], tmp, "menu-esc")
    check("Select boot device" in log, "ESC typed on the keyboard opens the boot menu")
    if have_vgabios:
        text = open(scr, encoding="utf-8").read() if os.path.exists(scr) else ""
        check("Press ESC for boot menu." in text and "Select boot device:" in text,
              "the boot menu is on the screen", repr(text[:400]))
    _, log = run(a.popek, ["--boot", "menu=on,splash-time=3000", "--at", "1.5s:sendkey a", "--at", "6s:quit"],
                 tmp, "menu-a")
    check("Press ESC for boot menu." in log and "Select boot device" not in log,
          "another key (a) does not open it")

    # A reset restarts the firmware: told to reboot 100 ms after the failed
    # boot, SeaBIOS resets the machine and starts again from the top.
    _, log = run(a.popek, ["--boot", "reboot-timeout=100", "--at", "12s:quit"], tmp, "reboot")
    banners = log.count("SeaBIOS (version")
    check("Rebooting." in log and banners >= 3, "reboot-timeout: the reset starts SeaBIOS again",
          "%d banners" % banners)
    # Bad scripts and settings are refused before anything runs.
    for args, what in ((["--at", "soon:quit"], "a time that is not one"),
                       (["--at", "1s:sendkey nosuchkey"], "an unknown key name"),
                       (["--at", "1s:dance"], "an unknown command"),
                       (["--boot", "menu=maybe"], "menu=maybe"),
                       (["--debugcon", "x,iobase=0x10000"], "a port above 0xFFFF")):
        p = subprocess.run([a.popek] + args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=30)
        check(p.returncode == 1 and b"popek:" in p.stderr, "refused: %s" % what,
              "status %d, %r" % (p.returncode, p.stderr[-200:]))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
