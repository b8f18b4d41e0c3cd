#!/usr/bin/env python3
"""The graphics test guest (make gfx-check): tests/display/gfx.asm, built
once per mode, runs as an option ROM under SeaBIOS and its VGA BIOS; the
PNG screendump Popek takes must equal, pixel for pixel, the image this
script computes from the pattern and palette the guest programs (formulas
in gfx.asm).  The PNG is decoded by ImageMagick (convert ... rgb:-), not by
Popek.  A 6-bit DAC value v shows as the 8-bit (v << 2) | (v >> 4), the
usual expansion (63 -> 255).

Prints "skipped: <reason>" and passes without SeaBIOS, its VGA BIOS or
ImageMagick.  Exits 1 on any difference."""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

failures = 0


def check(ok, what, detail=""):
    global failures
    print("check: %s: %s%s" % (what, "ok" if ok else "FAILED", "" if ok or not detail else ": " + detail))
    if not ok:
        failures += 1


def x6(v):
    return ((v << 2) | (v >> 4)) & 0xFF


def dac256(i):
    return (x6(i & 63), x6((i >> 2) & 63), x6((255 - i) >> 2))


def expected(mode):
    if mode == "13":
        return 320, 200, lambda x, y: dac256((x + 2 * y) & 255)
    if mode == "0x58":
        return 320, 200, lambda x, y: dac256((x ^ y) & 255)
    if mode == "12":
        def px(x, y):
            c = ((x >> 3) + (y >> 4)) & 15
            return (x6(4 * c), x6(63 - 4 * c), x6(63 * (c & 1)))
        return 640, 480, px
    w, h = (1280, 1024) if mode == "0x13A" else (640, 480)
    return w, h, lambda x, y: (x & 255, y & 255, (x + y) & 255)


def decode(png):
    ident = subprocess.run(["identify", "-format", "%w %h", png], stdout=subprocess.PIPE, check=True)
    w, h = map(int, ident.stdout.split())
    raw = subprocess.run(["convert", png, "-depth", "8", "rgb:-"], stdout=subprocess.PIPE, check=True).stdout
    return w, h, raw


NAMES = {"13": "mode 13h", "12": "mode 12h (planar, 16 colours)", "0x58": "mode X (unchained 256 colours)",
         "0x132": "VBE 640x480x32 (linear framebuffer)", "0x13A": "VBE 1280x1024x32 (linear framebuffer)"}
SAYS = {"13": "gfx: mode 13h drawn", "12": "gfx: mode 12h drawn", "0x58": "gfx: mode X drawn",
        "0x132": "gfx: VBE 640x480x32 drawn", "0x13A": "gfx: VBE 1280x1024x32 drawn"}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--popek", required=True)
    ap.add_argument("--roms", required=True, help="directory with gfx-MODE.rom")
    a = ap.parse_args()
    for need in ("/usr/share/seabios/bios-256k.bin", "/usr/share/seabios/vgabios-stdvga.bin"):
        if not os.path.exists(need):
            print("gfx-check: skipped: %s is missing (Debian's seabios package)" % need)
            return 0
    if not shutil.which("convert") or not shutil.which("identify"):
        print("gfx-check: skipped: ImageMagick (convert, identify) is not installed")
        return 0
    tmp = tempfile.mkdtemp(prefix="popek-gfx-")
    for mode in ("13", "12", "0x58", "0x132", "0x13A"):
        png = os.path.join(tmp, "gfx-%s.png" % mode)
        p = subprocess.run([a.popek, "--option-rom", os.path.join(a.roms, "gfx-%s.rom" % mode),
                            "--at", "5s:screendump " + png, "--at", "5s:quit"],
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=120)
        name = NAMES[mode]
        check(p.returncode == 0 and SAYS[mode].encode() in p.stdout, "%s: the guest drew it" % name,
              "status %d, %r %r" % (p.returncode, p.stdout[-200:], p.stderr[-200:]))
        if not os.path.exists(png):
            check(False, "%s: screendump written" % name)
            continue
        w, h, raw = decode(png)
        ew, eh, px = expected(mode)
        check((w, h) == (ew, eh), "%s: %dx%d" % (name, ew, eh), "got %dx%d" % (w, h))
        if (w, h) != (ew, eh):
            continue
        bad, first = 0, None
        for y in range(h):
            want_row = bytes(v for x in range(w) for v in px(x, y))
            got_row = raw[3 * y * w:3 * (y + 1) * w]
            if want_row == got_row:
                continue
            for x in range(w):
                got, want = tuple(got_row[3 * x:3 * x + 3]), px(x, y)
                if got != want:
                    bad += 1
                    if first is None:
                        first = "(%d,%d) got %s want %s" % (x, y, got, want)
        check(bad == 0, "%s: every pixel as computed" % name, "%d differ, first %s" % (bad, first))
    shutil.rmtree(tmp, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
