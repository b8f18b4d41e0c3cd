#!/bin/sh
# Boots the check initramfs and asserts the in-guest checks passed and the
# guest powered off through ACPI S5 (exit status 0).
# usage: check.sh POPEK DIR MEM APPEND TIMEOUT [bench]
set -u
popek=$1 dir=$2 mem=$3 append=$4 timeout=$5 mode=${6:-check}
log="$dir/linux-check.serial"
start=$(date +%s.%N)
timeout "$timeout" "$popek" --kernel "$dir/vmlinuz" --initrd "$dir/initrd-check.gz" -m "$mem" \
    --append "$append EXPECT_FAMILY=6 EXPECT_MODEL=1" --serial "file:$log" --stats > "$dir/linux-check.out" 2>&1
rc=$?
end=$(date +%s.%N)
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.1f", b - a }')
grep '^check:' "$log" | sed 's/\r$//'
stats=$(grep 'instructions in' "$dir/linux-check.out")
if [ $rc -eq 0 ] && grep -q POPEK-LINUX-CHECK-OK "$log"; then
    if [ "$mode" = bench ]; then
        echo "bench: linux-boot: Debian i386 Linux booted, checked itself and powered off in $secs s ($stats)"
    else
        echo "check: linux: booted, checked itself and powered off with status 0 in $secs s: ok"
    fi
    exit 0
fi
echo "check: linux: FAILED (exit status $rc after $secs s); the serial log's end:"
tail -n 30 "$log"
cat "$dir/linux-check.out"
exit 1
