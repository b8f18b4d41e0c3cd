#!/bin/sh
# Installs the Debian packages that building and testing Popek need, with
# apt-get, and only those that are missing.  When everything is present it
# prints nothing and exits 0, so `make check` can call it every time.
# It runs `apt-get update` only when it has something to install, works as
# root or through sudo, and stops with a message if any step fails.
#
# To add a dependency, add a line to PACKAGES below and say why in
# docs/DEPENDENCIES.md.  POPEK_DEPS_EXTRA (space separated) adds packages for
# one run, e.g. to try a new one before listing it.
#
# `deps.sh bench` installs BENCH_PACKAGES instead: what only `make bench`
# uses (the emulator it is compared with, the host-instruction counter), so
# that `make check` never needs them and a bench without them still runs,
# saying which comparisons it skipped.
set -eu

PACKAGES="
build-essential
pkg-config
libsdl2-dev
libedit-dev
libelf-dev
libcapstone-dev
zlib1g-dev
libcriterion-dev
nasm
gcc-multilib
gdb
python3
acpica-tools
seabios
libpng-dev
xvfb
xdotool
imagemagick
x11-apps
tmux
libx11-dev
qemu-utils
mtools
xorriso
grub-rescue-pc
syslinux
syslinux-common
e2fsprogs
clang
binutils-s390x-linux-gnu
binutils-aarch64-linux-gnu
qemu-user
"

BENCH_PACKAGES="
qemu-system-x86
valgrind
"

case "${1:-}" in
"") ;;
bench) PACKAGES=$BENCH_PACKAGES ;;
*)
    echo "usage: deps.sh [bench]" >&2
    exit 1
    ;;
esac

die() {
    echo "deps: error: $*" >&2
    exit 1
}

# True when dpkg knows the package as fully installed (any architecture).
installed() {
    dpkg-query -W -f='${db:Status-Status}\n' "$1" 2>/dev/null | grep -qx installed
}

if ! command -v dpkg-query >/dev/null 2>&1; then
    # shellcheck disable=SC2086,SC2116 # echo joins the list on one line
    die "dpkg-query not found: this script installs with apt-get on Debian 12" \
        "(or a derivative); install by hand: $(echo $PACKAGES)"
fi

missing=""
for p in $PACKAGES ${POPEK_DEPS_EXTRA:-}; do
    installed "$p" || missing="$missing $p"
done
[ -n "$missing" ] || exit 0

echo "deps: missing:$missing"
command -v apt-get >/dev/null 2>&1 || die "apt-get not found; install by hand:$missing"

if [ "$(id -u)" -eq 0 ]; then
    run_root() { "$@"; }
elif command -v sudo >/dev/null 2>&1; then
    # Without a terminal (CI) sudo must not wait for a password nobody types.
    if [ -t 0 ]; then
        run_root() { sudo "$@"; }
    else
        run_root() { sudo -n "$@"; }
    fi
else
    die "not root and sudo not found; as root run: apt-get update && apt-get install$missing"
fi

export DEBIAN_FRONTEND=noninteractive
echo "deps: apt-get update"
run_root apt-get update -qq ||
    die "'apt-get update' failed (network, sources.list or permissions?); nothing was installed"
echo "deps: apt-get install$missing"
# shellcheck disable=SC2086 # $missing is a word list on purpose
run_root apt-get install -y -qq --no-install-recommends $missing ||
    die "'apt-get install$missing' failed; see apt's message above"

# apt-get can succeed without installing what was asked (e.g. a name that is
# only provided virtually), so check again.
still=""
for p in $missing; do
    installed "$p" || still="$still $p"
done
[ -z "$still" ] || die "still not installed after apt-get:$still"
echo "deps: installed$missing"
