#!/usr/bin/env python3
"""Builds a partitioned IDE hard-disk image that boots Debian's 686 kernel
the way an installed system does, from Debian's own pieces and without
root privileges or loop devices (make linux-hdd-check):

  sector 0        syslinux's MBR (syslinux-common), partition table
  partition 1     FAT16, active: SYSLINUX (installed by the mtools-based
                  `syslinux`), syslinux.cfg, the kernel, an initramfs that
                  loads the ATA modules and switches to partition 2
  partition 2     ext2 (mke2fs -d): busybox, its init, the same modules
                  under /lib/modules, a shell on ttyS0

usage: mkhdd.py LINUX_DIR OUTPUT
LINUX_DIR holds vmlinuz, busybox and modules/ (tests/linux/fetch.sh)."""
import os
import shutil
import struct
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
MBR = "/usr/lib/syslinux/mbr/mbr.bin"
SECTOR = 512
P1_START, P1_SECTORS = 2048, 24 * 2048      # 24 MiB boot partition
P2_START = P1_START + P1_SECTORS
P2_SECTORS = 40 * 2048                     # 40 MiB root partition

SYSLINUX_CFG = """SERIAL 0 115200
DEFAULT linux
PROMPT 0
TIMEOUT 0
LABEL linux
  LINUX /vmlinuz
  INITRD /initrd.gz
  APPEND root=/dev/sda2 console=ttyS0,115200 quiet panic=-1 cryptomgr.notests
"""

INITTAB = """::sysinit:/etc/rcS
::respawn:/bin/cttyhack /bin/sh -l
::shutdown:/bin/umount -a -r
"""

# The root is mounted read-only by the initramfs, checked clean by the
# kernel, and made writable here, as an installed system's boot does.
RCS = """#!/bin/sh
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -o remount,rw /
/bin/busybox --install -s /bin
echo "popek-hdd: root $(grep ' / ' /proc/mounts | cut -d' ' -f1,3,4)"
"""


def partition_entry(active, ptype, start, count):
    # CHS fields say "use LBA" (FE FF FF), as partitioners do past 8 GiB.
    return struct.pack("<B3sB3sII", 0x80 if active else 0, b"\xfe\xff\xff", ptype, b"\xfe\xff\xff",
                       start, count)


def run(*cmd, **kw):
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, **kw)


def main(argv):
    if len(argv) != 3:
        sys.stderr.write(__doc__)
        return 2
    linux, output = argv[1:3]
    for tool in ("syslinux", "mformat", "mcopy", "mke2fs"):
        if not shutil.which(tool):
            print("mkhdd: %s is missing" % tool, file=sys.stderr)
            return 1
    if not os.path.exists(MBR):
        print("mkhdd: %s is missing (Debian's syslinux-common)" % MBR, file=sys.stderr)
        return 1
    modules = open(os.path.join(linux, "modules", "order")).read().split()
    tmp = tempfile.mkdtemp(prefix="popek-mkhdd-")
    try:
        # The initramfs: busybox, the modules, an /init that mounts sda2.
        initrd = os.path.join(tmp, "initrd.gz")
        extra = ["modules/order=" + os.path.join(linux, "modules", "order")]
        extra += ["modules/%s=%s" % (m, os.path.join(linux, "modules", m)) for m in modules]
        run(sys.executable, os.path.join(HERE, "mkinitramfs.py"), os.path.join(linux, "busybox"),
            os.path.join(HERE, "init-hdd"), initrd, *extra)

        # Partition 1: FAT16 with SYSLINUX.  The BPB's hidden-sector count
        # is the partition's start, which SYSLINUX's boot sector adds to
        # every sector it reads.
        boot = os.path.join(tmp, "boot.img")
        with open(boot, "wb") as f:
            f.truncate(P1_SECTORS * SECTOR)
        run("mformat", "-i", boot, "-T", str(P1_SECTORS), "-h", "64", "-s", "32", "-H", str(P1_START),
            "-v", "POPEKBOOT", "::")
        run("syslinux", "--install", boot)
        cfg = os.path.join(tmp, "syslinux.cfg")
        with open(cfg, "w") as f:
            f.write(SYSLINUX_CFG)
        run("mcopy", "-i", boot, cfg, os.path.join(linux, "vmlinuz"), initrd, "::/")

        # Partition 2: the ext2 root.
        root = os.path.join(tmp, "root")
        for d in ("bin", "sbin", "etc", "dev", "proc", "sys", "tmp", "root", "lib/modules"):
            os.makedirs(os.path.join(root, d))
        shutil.copy(os.path.join(linux, "busybox"), os.path.join(root, "bin", "busybox"))
        os.chmod(os.path.join(root, "bin", "busybox"), 0o755)
        for name, target in (("bin/sh", "busybox"), ("bin/cttyhack", "busybox"), ("bin/mount", "busybox"),
                             ("bin/umount", "busybox"), ("sbin/init", "../bin/busybox"),
                             ("sbin/poweroff", "../bin/busybox")):
            os.symlink(target, os.path.join(root, name))
        for m in modules:
            shutil.copy(os.path.join(linux, "modules", m), os.path.join(root, "lib", "modules", m))
        for name, text, mode in (("etc/inittab", INITTAB, 0o644), ("etc/rcS", RCS, 0o755),
                                 ("etc/profile", "export PS1='hdd# '\n", 0o644)):
            with open(os.path.join(root, name), "w") as f:
                f.write(text)
            os.chmod(os.path.join(root, name), mode)
        rootimg = os.path.join(tmp, "root.img")
        run("mke2fs", "-q", "-F", "-t", "ext2", "-L", "popekroot", "-E", "root_owner=0:0", "-d", root,
            rootimg, "%dk" % (P2_SECTORS // 2))

        with open(MBR, "rb") as f:
            mbr = bytearray(f.read()[:440].ljust(446, b"\0"))
        mbr += partition_entry(True, 0x06, P1_START, P1_SECTORS)
        mbr += partition_entry(False, 0x83, P2_START, P2_SECTORS)
        mbr += b"\0" * 32 + b"\x55\xaa"
        part = output + ".part"
        with open(part, "wb") as out:
            out.write(mbr)
            out.write(b"\0" * ((P1_START - 1) * SECTOR))
            for img in (boot, rootimg):
                with open(img, "rb") as f:
                    shutil.copyfileobj(f, out)
        os.replace(part, output)
    finally:
        shutil.rmtree(tmp)
    print("mkhdd: %s (partition 2, the ext2 root, at sector %d)" % (output, P2_START))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
