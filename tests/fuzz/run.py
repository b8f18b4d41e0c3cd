#!/usr/bin/env python3
"""Robustness check: random guests must never crash the emulator.

Runs popek (a sanitizer build) on firmware images made of seeded random
bytes: real-mode images that start executing noise at the reset vector, and
protected-mode images whose prologue loads a random GDT and IDT (and, for
half of them, turns on paging) before jumping into noise.  Whatever the
guest does, the run must end in one of popek's documented ways (a halt, a
port-0xF4 exit, an emulator-error register dump, a triple fault) or still
be running when its time is up.  A signal, a sanitizer report or a usage
error fails the check.  Seeds are fixed, so a failure can be replayed with
    tests/fuzz/run.py --popek build/popek-san --prologue P --seed N --keep DIR
"""
import argparse
import os
import random
import struct
import subprocess
import sys
import tempfile

MODELS_REAL = ["8086", "286", "386", "486", "pentium", "p6"]
MODELS_PM = ["386", "486", "pentium", "p6"]
GATE_TYPES = [0x8E, 0x8F, 0xEE, 0x85, 0x86, 0x87, 0x0E, 0x00]


def real_image(rng):
    return bytes(rng.getrandbits(8) for _ in range(65536))


def pm_image(rng, prologue):
    img = bytearray(rng.getrandbits(8) for _ in range(65536))
    img[0:len(prologue)] = prologue
    img[0x2000:0x2008] = bytes(8)
    img[0x2008:0x2010] = struct.pack("<Q", 0x00CF9A000000FFFF)  # flat code
    img[0x2010:0x2018] = struct.pack("<Q", 0x00CF92000000FFFF)  # flat data
    # Half the gates point into the noise (so faults lead somewhere); the
    # others stay random bytes.
    for v in range(256):
        if rng.random() < 0.5:
            off = 0xF1000 + rng.randrange(0xE000)
            typ = rng.choice(GATE_TYPES)
            sel = rng.choice([0x08, 0x08, 0x08, 0x10, rng.getrandbits(16)])
            img[0x3000 + v * 8:0x3008 + v * 8] = struct.pack(
                "<HHBBH", off & 0xFFFF, sel, 0, typ, off >> 16)
    img[0x6000:0x6004] = struct.pack("<I", 0x87)  # P RW US PS at 0
    img[0x0FF0] = rng.getrandbits(1)
    img[0xFFF0:0xFFF5] = bytes([0xEA, 0, 0, 0, 0xF0])  # jmp F000:0000
    return bytes(img)


def run_one(popek, path, model, seconds):
    env = dict(os.environ)
    env["ASAN_OPTIONS"] = "detect_leaks=0:halt_on_error=1"
    env["UBSAN_OPTIONS"] = "halt_on_error=1:print_stacktrace=1"
    try:
        p = subprocess.run([popek, "--cpu", model, "--bios", path],
                           stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           env=env, timeout=seconds)
    except subprocess.TimeoutExpired:
        return "running", None
    err = p.stderr.decode("utf-8", "replace")
    if p.returncode < 0:
        return "signal %d" % -p.returncode, err
    if "Sanitizer" in err or "runtime error" in err:
        return "sanitizer report", err
    if p.returncode == 1 and err:
        return "usage error", err
    if p.returncode == 2 and not err.startswith("popek: "):
        return "emulator error without a message", err
    return "exit %d" % p.returncode, None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--popek", required=True)
    ap.add_argument("--prologue", required=True)
    ap.add_argument("--runs", type=int, default=24, help="images of each kind")
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--seed", type=int, help="run only this seed (both kinds)")
    ap.add_argument("--keep", help="directory to keep the images in")
    a = ap.parse_args()
    prologue = open(a.prologue, "rb").read()
    seeds = [a.seed] if a.seed is not None else range(1, a.runs + 1)
    outcomes = {}
    failures = 0
    with tempfile.TemporaryDirectory() as tmp:
        where = a.keep or tmp
        for seed in seeds:
            for kind in ("real", "pm"):
                rng = random.Random("%s-%d" % (kind, seed))
                if kind == "real":
                    img, model = real_image(rng), MODELS_REAL[seed % len(MODELS_REAL)]
                else:
                    img, model = pm_image(rng, prologue), MODELS_PM[seed % len(MODELS_PM)]
                path = os.path.join(where, "%s-%d.bin" % (kind, seed))
                with open(path, "wb") as f:
                    f.write(img)
                what, err = run_one(a.popek, path, model, a.seconds)
                if err is not None:
                    failures += 1
                    print("fuzz: %s seed %d (--cpu %s): %s" % (kind, seed, model, what))
                    sys.stdout.write(err[-4000:])
                    what = "FAILED"
                outcomes[what] = outcomes.get(what, 0) + 1
    summary = ", ".join("%d %s" % (n, w) for w, n in sorted(outcomes.items()))
    print("fuzz: %d random guests: %s" % (sum(outcomes.values()), summary))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
