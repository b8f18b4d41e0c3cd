#!/bin/sh
# Fetches Debian's 32-bit kernel and static busybox into a cache directory
# (default build/linux): apt-get download after adding the i386
# architecture; linux-image-686 is a metapackage, so the versioned
# linux-image-6.1.0-*-686 it depends on is what is downloaded.  Does nothing
# when both are already unpacked there.  Prints the paths it produced.
set -eu
cache=${1:-build/linux}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)
# The modules the disk tests load (ATA, SCSI disk and CD-ROM; ext4, which
# Debian builds as a module and which mounts the hard-disk image's ext2
# root), in load order.
MODULES="kernel/drivers/scsi/scsi_common.ko kernel/drivers/scsi/scsi_mod.ko kernel/drivers/ata/libata.ko
kernel/drivers/ata/ata_piix.ko kernel/crypto/crct10dif_common.ko kernel/crypto/crct10dif_generic.ko
kernel/lib/crc-t10dif.ko kernel/lib/crc64.ko kernel/crypto/crc64_rocksoft_generic.ko kernel/lib/crc64-rocksoft.ko
kernel/block/t10-pi.ko kernel/drivers/scsi/sd_mod.ko kernel/drivers/cdrom/cdrom.ko kernel/drivers/scsi/sr_mod.ko
kernel/lib/crc16.ko kernel/crypto/crc32c_generic.ko kernel/fs/mbcache.ko kernel/fs/jbd2/jbd2.ko kernel/fs/ext4/ext4.ko"
# A cache holding another module list is fetched again as a whole: modules
# load only into the kernel build they came with.
want=$(for m in $MODULES; do basename "$m"; done)
if [ -f "$cache/vmlinuz" ] && [ -f "$cache/busybox" ] && [ -f "$cache/modules/order" ] &&
    [ "$(cat "$cache/modules/order")" = "$want" ]; then
    exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
if ! dpkg --print-foreign-architectures | grep -qx i386; then
    $SUDO dpkg --add-architecture i386
    $SUDO apt-get update -qq || true
fi
pkg=$(apt-cache depends linux-image-686 2>/dev/null | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
if [ -z "$pkg" ]; then
    $SUDO apt-get update -qq || true
    pkg=$(apt-cache depends linux-image-686 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
fi
[ -n "$pkg" ] || { echo "fetch: cannot resolve linux-image-686" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# apt-get download writes as the _apt user when it can; a world-writable
# temporary directory avoids its permission warning.
chmod 777 "$tmp"
(cd "$tmp" && apt-get download "$pkg" busybox-static:i386 >/dev/null)
dpkg -x "$tmp"/linux-image-*.deb "$tmp/k"
dpkg -x "$tmp"/busybox-static_*.deb "$tmp/b"
cp "$tmp"/k/boot/vmlinuz-* "$cache/vmlinuz"
cp "$tmp/b/bin/busybox" "$cache/busybox"
rm -rf "$cache/modules"
mkdir -p "$cache/modules"
: > "$cache/modules/order"
for m in $MODULES; do
    cp "$tmp"/k/lib/modules/*/"$m" "$cache/modules/"
    basename "$m" >> "$cache/modules/order"
done
echo "$pkg" > "$cache/kernel-package"
echo "fetch: $pkg and busybox-static:i386 in $cache"
