#!/usr/bin/env python3
"""Seed inputs for fuzz_fdc.c: short driver-like sessions (reset, DMA set-up,
a command, time, the result phase) from which libFuzzer mutates.  The
encoding is fuzz_fdc.c's: 4-byte operations, op[0] & 7 selecting an OUT
(0), IN (3), RAM write (5), time (6) or medium change (7), op[1] the port
index into its table, op[2] the value."""
import os
import sys

PORTS = list(range(0x3F0, 0x3F8)) + list(range(0x00, 0x10)) + list(range(0xC0, 0xDF, 2)) + \
    list(range(0x81, 0x90))


def out(port, val):
    return bytes([0, PORTS.index(port), val & 0xFF, 0])


def inp(port, n=1):
    return bytes([3, PORTS.index(port), 0, 0]) * n


def wait(us):
    return bytes([6, 0, (us >> 8) & 0xFF, us & 0xFF])


def fifo(*bs):
    return b"".join(out(0x3F5, b) for b in bs)


def dma2(mode, count, addr=0x1000):
    return (out(0x0A, 0x06) + out(0x0B, mode) + out(0x0C, 0) + out(0x04, addr) + out(0x04, addr >> 8) +
            out(0x81, addr >> 16) + out(0x0C, 0) + out(0x05, count) + out(0x05, count >> 8) + out(0x0A, 0x02))


RESET = out(0x3F2, 0x00) + wait(100) + out(0x3F2, 0x1C) + wait(1000) + fifo(0x08) + inp(0x3F5, 2) * 4
SPECIFY_DMA = fifo(0x03, 0xDF, 0x02)
SPECIFY_PIO = fifo(0x03, 0xDF, 0x03)
RESULT = wait(60000) + inp(0x3F4) + inp(0x3F5, 7)

SEEDS = {
    "read-dma": RESET + SPECIFY_DMA + dma2(0x46, 1023) + fifo(0xE6, 0, 0, 0, 1, 2, 18, 0x1B, 0xFF) + RESULT,
    "write-dma": RESET + SPECIFY_DMA + dma2(0x4A, 511) + fifo(0xC5, 0, 1, 0, 3, 2, 18, 0x1B, 0xFF) + RESULT,
    "read-pio": RESET + SPECIFY_PIO + fifo(0x46, 0, 0, 0, 1, 2, 1, 0x1B, 0xFF) + wait(20000) + inp(0x3F5, 520) + RESULT,
    "format": RESET + SPECIFY_DMA + dma2(0x4A, 71) + fifo(0x4D, 0, 2, 18, 0x54, 0xF6) + RESULT,
    "seek-sense": RESET + fifo(0x0F, 0, 40) + wait(60000) + fifo(0x08) + inp(0x3F5, 2) + fifo(0x07, 0) +
                  wait(60000) + fifo(0x08) + inp(0x3F5, 2) + fifo(0x4A, 0) + RESULT,
    "registers": RESET + fifo(0x10) + inp(0x3F5) + fifo(0x0E) + inp(0x3F5, 10) + fifo(0x13, 0, 0x57, 0) +
                 fifo(0x94) + inp(0x3F5) + inp(0x3F7) + out(0x3F7, 2) + out(0x3F4, 0x80) + wait(1000),
    "change": RESET + bytes([7, 0, 1, 0]) + out(0x3F2, 0x1C) + inp(0x3F7) + fifo(0x0F, 0, 1) + wait(60000) +
              fifo(0x08) + inp(0x3F5, 2) + inp(0x3F7) + bytes([7, 0, 2, 0]) + fifo(0xE6, 0, 0, 0, 1, 2, 18, 0x1B, 0xFF) +
              RESULT,
}

os.makedirs(sys.argv[1], exist_ok=True)
for name, data in SEEDS.items():
    with open(os.path.join(sys.argv[1], "seed-" + name), "wb") as f:
        f.write(data)
