#!/usr/bin/env python3
"""Seed inputs for the device fuzz targets (tests/fuzz/fuzz_pc.c): for each
device, a few sequences a real driver sends (initialisation, a timer
programmed and left to fire, a transfer), in the target's 7-byte operation
format, so that the fuzzer starts from states deep in the device.

usage: pc_seeds.py DEVICE DIR    writes DIR/seed-*, leaves other files
"""
import os
import struct
import sys

OUT, IN, MW, MR, STEP, RAM, ACK, FRAME = range(8)
SIZE = {1: 0, 2: 1, 4: 2}


def op(what, off=0, val=0, size=1, win=0):
    return struct.pack("<BHI", what | SIZE[size] << 3 | win << 5, off, val & 0xFFFFFFFF)


def out(win, off, val, size=1):
    return op(OUT, off, val, size, win)


def inp(win, off, size=1):
    return op(IN, off, 0, size, win)


def mmio_w(win, addr, val, size=4):
    # fuzz_pc.c: address = base + (off * 4 + (val >> 30)) % len
    return op(MW, (addr - (val >> 30 & 3)) // 4, val, size, win)


def mmio_r(win, addr, size=4):
    return op(MR, addr // 4, 0, size, win)


def step(ns):
    # fuzz_pc.c: up to 0xFFFFF ns, or with bit 31 up to 0x07FFFFFF ns; longer
    # steps are several
    out = b""
    while ns > 0x07FFFFFF:
        out += op(STEP, 0, 0x07FFFFFF | 0x80000000)
        ns -= 0x07FFFFFF
    return out + op(STEP, 0, ns if ns <= 0xFFFFF else ns | 0x80000000)


def ram(addr, val):
    # fuzz_pc.c: address = (off << 5 | val >> 27) & (RAM - 4)
    return op(RAM, addr >> 5, (val & 0x07FFFFFF) | (addr & 31) << 27)


def pic():
    init = (out(0, 0, 0x11) + out(0, 1, 0x20) + out(0, 1, 0x04) + out(0, 1, 0x01) +
            out(1, 0, 0x11) + out(1, 1, 0x28) + out(1, 1, 0x02) + out(1, 1, 0x01))
    return {
        "init": init + out(0, 1, 0x00) + out(1, 1, 0x00) + out(0, 0, 0x0A) + inp(0, 0) + out(0, 0, 0x0B) +
        inp(0, 0) + op(ACK) + out(0, 0, 0x20),
        "elcr": init + out(2, 0, 0x00) + out(2, 1, 0x0E) + inp(2, 0) + out(0, 0, 0x0C) + inp(0, 0),
        "special": init + out(0, 0, 0x68) + out(0, 0, 0xC7) + out(1, 0, 0x60) + op(ACK) + op(ACK),
    }


def pit():
    return {
        "mode2": out(0, 3, 0x34) + out(0, 0, 0x9C) + out(0, 0, 0x2E) + step(5000000) + out(0, 3, 0x00) +
        inp(0, 0) + inp(0, 0) + op(ACK),
        "readback": out(0, 3, 0xB6) + out(0, 2, 0x33) + out(0, 2, 0x05) + out(1, 0, 0x03) + step(1000000) +
        out(0, 3, 0xE2) + inp(0, 2) + inp(1, 0),
        "oneshot": out(0, 3, 0x30) + out(0, 0, 0xFF) + out(0, 0, 0xFF) + step(60000000) + out(0, 3, 0xD2) +
        inp(0, 0) + inp(0, 0) + inp(0, 0),
    }


def uart():
    setup = out(0, 3, 0x80) + out(0, 0, 0x01) + out(0, 1, 0x00) + out(0, 3, 0x03)
    tx = b"".join(out(0, 0, c) for c in b"hello, fuzzer\r\n")
    return {
        "fifo": setup + out(0, 2, 0xC7) + out(0, 1, 0x0F) + out(0, 4, 0x0B) + tx + step(2000000) +
        inp(0, 5) + inp(0, 2) + op(ACK),
        "loop": setup + out(0, 4, 0x1B) + tx + step(2000000) + b"".join(inp(0, 0) for _ in range(20)) +
        inp(0, 6) + inp(0, 5),
        "com2": out(1, 3, 0x80) + out(1, 0, 0x0C) + out(1, 3, 0x1B) + out(1, 1, 0x02) + out(1, 0, 0x41) +
        step(100000) + inp(1, 2),
    }


def rtc():
    return {
        "periodic": out(0, 0, 0x0A) + out(0, 1, 0x26) + out(0, 0, 0x0B) + out(0, 1, 0x42) + step(10000000) +
        out(0, 0, 0x0C) + inp(0, 1) + op(ACK),
        "alarm": out(0, 0, 0x0B) + out(0, 1, 0xA2) + out(0, 0, 0x01) + out(0, 1, 0x05) + out(0, 0, 0x0B) +
        out(0, 1, 0x22) + step(900000000) + out(0, 0, 0x0C) + inp(0, 1),
        "nvram": b"".join(out(0, 0, r) + out(0, 1, r * 7) + inp(0, 1) for r in range(0x0E, 0x80, 9)) +
        out(1, 0, 0x90) + out(1, 1, 0x55) + inp(1, 1),
    }


def ps2():
    return {
        "kbd": out(1, 0, 0xAA) + inp(0, 0) + out(1, 0, 0x20) + inp(0, 0) + out(1, 0, 0x60) + out(0, 0, 0x47) +
        out(0, 0, 0xFF) + inp(1, 0) + inp(0, 0) + inp(0, 0) + out(0, 0, 0xED) + out(0, 0, 0x07) + op(ACK),
        "mouse": out(1, 0, 0xA8) + out(1, 0, 0xD4) + out(0, 0, 0xF3) + out(1, 0, 0xD4) + out(0, 0, 0xC8) +
        out(1, 0, 0xD4) + out(0, 0, 0xF2) + inp(0, 0) + inp(0, 0) + out(1, 0, 0xD4) + out(0, 0, 0xF4) +
        inp(0, 0),
        "a20": out(1, 0, 0xD0) + inp(0, 0) + out(1, 0, 0xD1) + out(0, 0, 0xDD) + out(2, 0, 0x02) + inp(2, 0) +
        out(1, 0, 0xFE),
    }


def cfg(dev, fn, reg):
    return 0x80000000 | dev << 11 | fn << 8 | reg


def pci():
    probe = b"".join(out(0, 0, cfg(d, 0, 0), 4) + inp(0, 4, 4) for d in range(4))
    bar = out(0, 0, cfg(2, 0, 0x10), 4) + out(0, 4, 0xFFFFFFFF, 4) + inp(0, 4, 4) + out(0, 4, 0xFD000008, 4)
    return {
        "probe": probe + bar,
        "pam": out(0, 0, cfg(0, 0, 0x58), 4) + out(0, 4, 0x33333333, 4) + out(0, 5, 0x11, 1) + inp(0, 6, 2) +
        out(0, 0, cfg(1, 0, 0x60), 4) + out(0, 4, 0x0B0A0B0A, 4),
        "reset": out(1, 0, 0x02) + out(0, 0, cfg(1, 1, 0x04), 4) + out(0, 4, 0x05, 2) + out(1, 0, 0x06),
    }


def apic():
    return {
        "timer": mmio_w(0, 0xF0, 0x1FF) + mmio_w(0, 0x3E0, 0x0B) + mmio_w(0, 0x320, 0x20030) +
        mmio_w(0, 0x380, 1000) + step(3000000) + mmio_r(0, 0x390) + op(ACK) + mmio_w(0, 0xB0, 0),
        "ioapic": mmio_w(1, 0x00, 0x01) + mmio_r(1, 0x10) + mmio_w(1, 0x00, 0x12) + mmio_w(1, 0x10, 0x30) +
        mmio_w(1, 0x00, 0x13) + mmio_w(1, 0x10, 0) + out(0, 1, 0xFF) + out(0, 0, 0x11) + step(100000) +
        op(ACK),
        "ipi": mmio_w(0, 0xF0, 0x1FF) + mmio_w(0, 0x310, 0) + mmio_w(0, 0x300, 0x44031) + op(ACK) +
        mmio_r(0, 0x100) + mmio_r(0, 0x200) + mmio_w(0, 0x80, 0x20),
    }


def acpi():
    return {
        "timer": inp(0, 8, 4) + step(50000000) + inp(0, 8, 4) + inp(0, 0, 2) + out(0, 0, 0x0001, 2),
        "sci": out(0, 2, 0x0121, 2) + out(0, 4, 0x0001, 2) + step(500000000) + inp(0, 0, 2) +
        out(1, 0, 0xF0) + inp(1, 1) + op(ACK),
        "sleep": out(0, 4, 0x3C01, 2) + inp(0, 4, 2) + out(0, 4, 0x2001, 2),
    }


def vga():
    text = (out(0, 0x12, 0x67) + out(0, 0x14, 0x03) + out(0, 0x15, 0x00) + out(0, 0x24, 0x0E) + out(0, 0x25, 0x00) +
            mmio_w(0, 0x18000, 0x1F411F41) + mmio_w(0, 0x18004, 0x2F422F42) + op(FRAME))
    mode13 = (out(0, 0x12, 0x63) + out(0, 0x14, 0x01) + out(0, 0x15, 0x01) + out(0, 0x14, 0x04) + out(0, 0x15, 0x0E) +
              out(0, 0x1E, 0x05) + out(0, 0x1F, 0x40) + out(0, 0x1E, 0x06) + out(0, 0x1F, 0x05) +
              out(0, 0x10, 0x10) + out(0, 0x10, 0x41) + out(0, 0x18, 0x00) + out(0, 0x19, 0x3F) +
              out(0, 0x19, 0x00) + out(0, 0x19, 0x00) + mmio_w(0, 0x0, 0x01010101) + op(FRAME))
    vbe = (out(1, 0, 1, 2) + out(1, 1, 640, 2) + out(1, 0, 2, 2) + out(1, 1, 480, 2) + out(1, 0, 3, 2) +
           out(1, 1, 32, 2) + out(1, 0, 4, 2) + out(1, 1, 0x41, 2) + out(2, 0, cfg(2, 0, 0x10), 4) +
           out(2, 4, 0xFD000008, 4) + out(2, 0, cfg(2, 0, 0x04), 4) + out(2, 4, 0x3, 2) +
           mmio_w(1, 0x0, 0x00FF00FF) + mmio_w(1, 0x1000, 0x00FFFFFF) + op(FRAME) + out(1, 0, 5, 2) + out(1, 1, 3, 2) +
           op(FRAME))
    return {"text": text, "mode13": mode13, "vbe": vbe}


def fwcfg():
    sig = out(0, 0, 0x0000, 2) + b"".join(inp(0, 1) for _ in range(4))
    # A DMA descriptor at 0x1000: control (select 0x19, read), length 64, address 0x2000 (big-endian).
    desc = (ram(0x1000, 0x0A001900) + ram(0x1004, 0x40000000) + ram(0x1008, 0) + ram(0x100C, 0x00200000))
    dma = desc + out(1, 0, 0, 4) + out(1, 4, 0x00100000, 4)
    return {"sig": sig, "dma": dma, "files": out(0, 0, 0x19, 2) + b"".join(inp(0, 1) for _ in range(64))}


def dma():
    ch2 = (out(0, 10, 0x06) + out(0, 12, 0) + out(0, 4, 0x00) + out(0, 4, 0x10) + out(0, 5, 0xFF) + out(0, 5, 0x01) +
           out(1, 1, 0x00) + out(0, 11, 0x46) + out(0, 10, 0x02) + inp(0, 8) + inp(0, 4) + inp(0, 4))
    return {
        "ch2": ch2,
        "16bit": out(2, 0x14, 0x05) + out(2, 0x18, 0) + out(2, 0x04, 0x00) + out(2, 0x04, 0x20) + out(2, 0x06, 0xFF) +
        out(2, 0x06, 0x00) + out(1, 0x0B, 0x01) + out(2, 0x16, 0x49) + out(2, 0x14, 0x01) + inp(2, 0x10),
        "reset": out(0, 13, 0) + out(2, 0x1A, 0) + out(0, 15, 0x0F) + inp(0, 15),
    }


SEEDS = {"pic": pic, "pit": pit, "uart": uart, "rtc": rtc, "ps2": ps2, "pci": pci, "apic": apic, "acpi": acpi,
         "vga": vga, "fwcfg": fwcfg, "dma": dma}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in SEEDS:
        sys.exit("usage: pc_seeds.py {%s} DIR" % ",".join(SEEDS))
    os.makedirs(sys.argv[2], exist_ok=True)
    for name, data in SEEDS[sys.argv[1]]().items():
        with open(os.path.join(sys.argv[2], "seed-" + name), "wb") as f:
            f.write(data)


if __name__ == "__main__":
    main()
