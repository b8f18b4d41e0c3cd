#!/bin/sh
# Builds a bootable CD of Debian's installer (text flavour) from Debian
# packages: debian-installer-12-netboot-i386 (the kernel and initrd),
# isolinux and syslinux-common (the CD boot loader), put together with
# xorriso.  The kernel is told vga=normal nomodeset so that the installer
# stays on the VGA text console, which the test reads.  Usage: mkdi.sh DIR
# (writes DIR/di.iso; does nothing if it exists).
set -eu
out=$1
[ -f "$out/di.iso" ] && exit 0
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
chmod 777 "$tmp"
(cd "$tmp" && apt-get download debian-installer-12-netboot-i386 isolinux syslinux-common >/dev/null)
for d in "$tmp"/*.deb; do dpkg -x "$d" "$tmp/x"; done
t="$tmp/x/usr/lib/debian-installer/images/12/i386/text/debian-installer/i386"
mkdir -p "$tmp/iso/isolinux"
cp "$t/linux" "$t/initrd.gz" "$tmp/iso/"
cp "$tmp/x/usr/lib/ISOLINUX/isolinux.bin" "$tmp/x/usr/lib/syslinux/modules/bios/ldlinux.c32" "$tmp/iso/isolinux/"
cat > "$tmp/iso/isolinux/isolinux.cfg" <<'CFG'
default install
prompt 0
timeout 0
label install
  kernel /linux
  append initrd=/initrd.gz vga=normal nomodeset --- quiet
CFG
xorriso -as mkisofs -quiet -o "$out/di.iso.tmp" -b isolinux/isolinux.bin -c isolinux/boot.cat \
    -no-emul-boot -boot-load-size 4 -boot-info-table "$tmp/iso"
mv "$out/di.iso.tmp" "$out/di.iso"
echo "mkdi: $out/di.iso"
