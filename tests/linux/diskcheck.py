#!/usr/bin/env python3
"""Debian's 686 kernel and its own ATA/ATAPI drivers (ata_piix, libata,
sd_mod, sr_mod) against Popek's PIIX IDE (make linux-disk-check): a raw
disk whose sectors say their numbers, a CD image whose blocks do, reads
(PIO and DMA, as the driver chooses), a write that must land in the file."""
import os
import subprocess
import sys
import tempfile

popek, linux, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3])
tmp = tempfile.mkdtemp(prefix="popek-linux-disk-")
disk = os.path.join(tmp, "disk.img")
cd = os.path.join(tmp, "cd.iso")
SECTORS, BLOCKS = 8192, 64
with open(disk, "wb") as f:
    for n in range(SECTORS):
        f.write(("POPEK SECTOR %d" % n).encode().ljust(512, b"\0"))
with open(cd, "wb") as f:
    for n in range(BLOCKS):
        f.write(("POPEK BLOCK %d" % n).encode().ljust(2048, b"\0"))
append = "console=ttyS0,115200 quiet panic=-1 cryptomgr.notests EXPECT_SECTORS=%d EXPECT_CD_SECTORS=%d" % (
    SECTORS, BLOCKS * 4)
cmd = [popek, "--kernel", os.path.join(linux, "vmlinuz"), "--initrd", os.path.join(linux, "initrd-disk.gz"),
       "-m", "128M", "--append", append, "--drive", "file=%s,format=raw" % disk, "--cdrom", cd,
       "--serial", "stdio", "--display", "none"]
try:
    p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=timeout)
    out = p.stdout.decode("latin-1")
except subprocess.TimeoutExpired as e:
    out = (e.stdout or b"").decode("latin-1") + "\n[timed out]"
failures = 0
for line in out.splitlines():
    if line.startswith("check: "):
        print(line.strip())
        failures += "FAILED" in line
written = open(disk, "rb").read()[100 * 512:100 * 512 + 16]
ok = written == b"WRITTEN BY LINUX"
print("check: the guest's write is in the image file: %s" % ("ok" if ok else "FAILED (%r)" % written))
if not ok or failures or "POPEK-LINUX-DISK-OK" not in out:
    print(out[-3000:])
    print("linux-disk-check: FAILED")
    sys.exit(1)
print("linux-disk-check: all passed")
