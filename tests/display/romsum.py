#!/usr/bin/env python3
"""Finishes an option ROM: pads it to 512-byte blocks, writes the block
count at offset 2 and makes the last byte a checksum so that all bytes sum
to 0 mod 256 (the PC option ROM rules).  Usage: romsum.py IN OUT"""
import sys

data = bytearray(open(sys.argv[1], "rb").read())
if len(data) % 512 == 0:
    data += b"\0" * 512 if data[-1] != 0 else b""
data += b"\0" * (-len(data) % 512)
data[2] = len(data) // 512
data[-1] = 0
data[-1] = (-sum(data)) & 0xFF
open(sys.argv[2], "wb").write(bytes(data))
