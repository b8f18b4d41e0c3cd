#!/bin/sh
# Builds the target root a cross build compiles against and qemu-user runs
# in (-L): Debian's packages for the target architecture, downloaded with
# apt-get download and unpacked with dpkg -x into DIR.  Installing them as
# multiarch packages would need the host's versions of the shared packages
# (libc6, zlib1g, linux-libc-dev...) to equal the target's to the letter,
# which Debian's archives do not promise; an unpacked root needs nothing of
# the host.  The dependencies are closed over with apt-cache.
#
# usage: root.sh DEBARCH DIR PACKAGE...   (PACKAGE without :DEBARCH)
set -eu
arch=$1
dir=$2
shift 2

die() {
    echo "cross-root: error: $*" >&2
    exit 1
}

stamp="$dir/.packages"
want="$arch $*"
if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    exit 0
fi

if ! dpkg --print-foreign-architectures | grep -qx "$arch" ||
    ! apt-cache show "libc6:$arch" >/dev/null 2>&1; then
    [ "$(id -u)" -eq 0 ] || die "dpkg does not know $arch; as root run: dpkg --add-architecture $arch && apt-get update"
    echo "cross-root: adding the $arch architecture to dpkg"
    dpkg --add-architecture "$arch"
    apt-get update -qq || die "'apt-get update' failed"
fi

names=""
for p in "$@"; do
    names="$names $p:$arch"
done
# shellcheck disable=SC2086
closure=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
    --no-replaces --no-enhances --no-pre-depends $names 2>/dev/null |
    sed -n "s/^\([a-z0-9][a-z0-9.+-]*:$arch\)\$/\1/p" | sort -u)
[ -n "$closure" ] || die "apt-cache found none of:$names"

debs="$dir.debs"
rm -rf "$dir" "$debs"
mkdir -p "$debs"
# shellcheck disable=SC2086,SC2116 # echo joins the list on one line
(cd "$debs" && apt-get download -qq -o APT::Sandbox::User=root $closure) || die "apt-get download failed for: $(echo $closure)"
mkdir -p "$dir"
for d in "$debs"/*.deb; do
    dpkg -x "$d" "$dir"
done
rm -rf "$debs"
echo "$want" > "$stamp"
echo "cross-root: $dir: $(echo "$closure" | wc -l) packages for $arch"
