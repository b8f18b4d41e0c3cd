#!/bin/sh
# make cross-check ARCH=...: see tests/cross/cross.mk.
# usage: check.sh ARCH DIR
set -eu
arch=$1
dir=$2
case "$arch" in
s390x) triple=s390x-linux-gnu qemu=qemu-s390x ;;
arm64) triple=aarch64-linux-gnu qemu=qemu-aarch64 ;;
*)
    echo "cross-check: ARCH must be s390x or arm64, not '$arch'" >&2
    exit 2
    ;;
esac

say() { echo "cross-check[$arch]: $*"; }
die() {
    echo "cross-check[$arch]: FAIL: $*" >&2
    exit 1
}

# The host side (tests/deps.sh installs it): clang builds for any target,
# binutils-$triple links, qemu-user runs.
for t in clang "$triple-ld" "$qemu"; do
    command -v "$t" >/dev/null || die "$t not found: run sh tests/deps.sh"
done
mkdir -p "$dir"
root="$(cd "$dir" && pwd)/root"
sh tests/cross/root.sh "$arch" "$root" libc6-dev libgcc-12-dev zlib1g-dev libelf-dev libpng-dev libcapstone-dev

start=$(date +%s)
say "building with clang --target=$triple"
make -j2 --no-print-directory PIE=1 BUILD="$dir" CC="clang --target=$triple --sysroot=$root" SDL=0 \
    EDIT_CFLAGS= EDIT_LIBS= UNIT_CRITERION=mini \
    "$dir/popek" "$dir/unit-tests" "$dir/sst-runner" "$dir/guest-runner" >"$dir/build.log" 2>&1 ||
    { tail -30 "$dir/build.log"; die "the build failed ($dir/build.log)"; }
if grep -E 'warning:|error:' "$dir/build.log" | grep -v 'argument unused during compilation'; then
    die "the cross build is not warning-clean"
fi
file "$dir/popek" | grep -q "$(case $arch in s390x) echo 'S/390' ;; arm64) echo aarch64 ;; esac)" ||
    die "$dir/popek is not a $arch program"
run() { "$qemu" -L "$root" "$@"; }

say "unit tests"
if ! POPEK_UNIT_TIMEOUT_SCALE=20 run "$dir/unit-tests" --jobs 2 >"$dir/unit.log" 2>&1; then
    grep -E '^\[(FAIL|----)\]' "$dir/unit.log" | head -40
    die "unit tests failed ($dir/unit.log)"
fi
tail -1 "$dir/unit.log"

say "SingleStepTests"
run "$dir/sst-runner" --known tests/conformance/known-failures.txt --failures "$dir/sst-failures.txt" \
    ../shared/testdata/singlestep >"$dir/sst.log" 2>&1 || { tail -20 "$dir/sst.log"; die "SingleStepTests failed"; }
tail -1 "$dir/sst.log"

# The same guest on this host and on the target: the same output and the
# same number of instructions, to the instruction.
same() {
    name=$1
    shift
    ./popek "$@" --stats >"$dir/$name.host" 2>&1 && hrc=0 || hrc=$?
    run "$dir/popek" "$@" --stats >"$dir/$name.target" 2>&1 && trc=0 || trc=$?
    hcount=$(sed -n 's/^popek: \([0-9]*\) instructions in.*/\1/p' "$dir/$name.host")
    tcount=$(sed -n 's/^popek: \([0-9]*\) instructions in.*/\1/p' "$dir/$name.target")
    grep -v '^popek: [0-9]* instructions in' "$dir/$name.host" >"$dir/$name.host.out" || true
    grep -v '^popek: [0-9]* instructions in' "$dir/$name.target" >"$dir/$name.target.out" || true
    [ -n "$hcount" ] || die "$name: no instruction count on this host ($dir/$name.host)"
    [ "$hrc" = "$trc" ] || die "$name: exit status $hrc here, $trc on $arch"
    cmp -s "$dir/$name.host.out" "$dir/$name.target.out" ||
        die "$name: the output differs: diff $dir/$name.host.out $dir/$name.target.out"
    [ "$hcount" = "$tcount" ] || die "$name: $hcount instructions here, ${tcount:-none} on $arch"
    say "$name: exit $hrc, output equal ($(wc -c <"$dir/$name.host.out") bytes), $hcount instructions on both"
    count=$hcount
}

say "guest kernels"
run "$dir/guest-runner" --xfail tests/guest/xfail.txt build/guest/*.bin >"$dir/guest.log" 2>&1 ||
    { tail -20 "$dir/guest.log"; die "guest kernels failed ($dir/guest.log)"; }
tail -1 "$dir/guest.log"

# The compiled-C benchmark (tests/bench/cbench), 2 iterations, and what the
# same C built for this host prints.
cb=$(python3 -c 'import sys; sys.path.insert(0, "tests/bench"); import guests
g = guests.cbench(sys.argv[1], {"x": 400})
open(sys.argv[1] + "/expected", "wb").write(g["expected"]["x"]); print(g["image"]["x"])' "$dir/cbench") ||
    die "cannot build the compiled-C benchmark"
same cbench --kernel "$cb"
grep -qF "$(cat "$dir/cbench/expected")" "$dir/cbench.target.out" ||
    die "cbench: the checksum is not the host-built C's ($(cat "$dir/cbench/expected"))"
# Results must not depend on how the run is cut into CPU slices.
whole=$count
same cbench-slices --kernel "$cb" --slice 4093
[ "$count" = "$whole" ] || die "cbench: $count instructions with --slice 4093, $whole without"
cmp -s "$dir/cbench.target.out" "$dir/cbench-slices.target.out" || die "cbench: --slice 4093 changes the output"

if [ "${CROSS_LINUX:-0}" = 1 ]; then
    make --no-print-directory build/linux/vmlinuz build/linux/initrd-check.gz >/dev/null
    rm -f "$dir/linux.serial"
    same linux --kernel build/linux/vmlinuz --initrd build/linux/initrd-check.gz -m 128M \
        --append "console=ttyS0,115200 quiet panic=-1 EXPECT_FAMILY=6 EXPECT_MODEL=1 POPEK_BENCH=1" \
        --rtc-base 1700000000 --serial stdio
fi
say "passed in $(($(date +%s) - start)) s"
