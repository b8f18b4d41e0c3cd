#!/usr/bin/env python3
"""Builds a small initramfs (a newc cpio archive, gzip-compressed) from a
static busybox and an init script, written directly so that device nodes
(/dev/console) need no root privileges.

usage: mkinitramfs.py BUSYBOX INIT OUTPUT [NAME=FILE ...] [NAME->TARGET ...]
INIT is a script to run as /init, or "busybox" for busybox's own init.
NAME=FILE adds FILE to the archive at /NAME (e.g. data/test.bin=...);
NAME->TARGET adds a symbolic link.  Files under etc/ keep execute bits."""
import gzip
import os
import stat
import sys


class Cpio:
    def __init__(self):
        self.out = bytearray()
        self.ino = 1

    def entry(self, name, mode, data=b"", rdev=(0, 0), nlink=1):
        name_b = name.encode() + b"\0"
        hdr = "070701" + "".join("%08X" % v for v in (
            self.ino, mode, 0, 0, nlink, 0, len(data), 0, 0, rdev[0], rdev[1], len(name_b), 0))
        self.ino += 1
        self.out += hdr.encode() + name_b
        self.out += b"\0" * (-len(self.out) % 4)
        self.out += data
        self.out += b"\0" * (-len(self.out) % 4)

    def dir(self, name):
        self.entry(name, stat.S_IFDIR | 0o755, nlink=2)

    def file(self, name, data, perm=0o644):
        self.entry(name, stat.S_IFREG | perm, data)

    def symlink(self, name, target):
        self.entry(name, stat.S_IFLNK | 0o777, target.encode())

    def chardev(self, name, major, minor, perm=0o600):
        self.entry(name, stat.S_IFCHR | perm, rdev=(major, minor))

    def finish(self):
        self.entry("TRAILER!!!", 0)
        return bytes(self.out)


def main(argv):
    if len(argv) < 4:
        sys.stderr.write(__doc__)
        return 2
    busybox, init, output = argv[1:4]
    c = Cpio()
    for d in ("bin", "sbin", "dev", "proc", "sys", "tmp", "etc", "data", "root"):
        c.dir(d)
    c.chardev("dev/console", 5, 1)
    c.chardev("dev/null", 1, 3, 0o666)
    c.chardev("dev/ttyS0", 4, 64, 0o660)
    with open(busybox, "rb") as f:
        c.file("bin/busybox", f.read(), 0o755)
    c.symlink("bin/sh", "busybox")
    if init == "busybox":
        c.symlink("init", "bin/busybox")
    else:
        with open(init, "rb") as f:
            c.file("init", f.read(), 0o755)
    made = {"bin", "sbin", "dev", "proc", "sys", "tmp", "etc", "data", "root"}

    def parents(name):
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            d = "/".join(parts[:i])
            if d not in made:
                c.dir(d)
                made.add(d)

    for extra in argv[4:]:
        parents(extra.split("->", 1)[0].split("=", 1)[0])
        if "->" in extra:
            name, target = extra.split("->", 1)
            c.symlink(name, target)
            continue
        name, path = extra.split("=", 1)
        with open(path, "rb") as f:
            perm = 0o755 if os.access(path, os.X_OK) else 0o644
            c.file(name, f.read(), perm)
    data = c.finish()
    with open(output, "wb") as f:
        f.write(gzip.compress(data, mtime=0))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
