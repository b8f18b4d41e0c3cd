#!/bin/sh
# Boot-path checks (see boot.mk).  $1: the popek binary, $2: build dir.
set -u
popek=$1
dir=$2
fail=0
printf 'first line of module one\nsecond line\n' > "$dir/mod1.txt"
printf 'module two contents\n' > "$dir/mod2.txt"
out=$("$popek" --kernel "$dir/mbtest.elf" --append "hello world" \
      --initrd "$dir/mod1.txt alpha beta,$dir/mod2.txt gamma" 2>&1)
rc=$?
want="multiboot magic ok
cmdline: $dir/mbtest.elf hello world
modules: 2
module: $dir/mod1.txt alpha beta | first line of module one
module: $dir/mod2.txt gamma | module two contents
end"
if [ "$out" = "$want" ] && [ $rc -eq 1 ]; then
    echo "check: multiboot kernel with two modules and a command line: ok"
else
    echo "check: multiboot kernel: FAILED (exit status $rc, want 1 from the exit port)"
    echo "--- want"; echo "$want"; echo "--- got"; echo "$out"
    fail=1
fi

# A triple fault with firmware present resets the board and the firmware
# runs again (CMOS keeps the boot count across the reset).
out=$("$popek" --bios "$dir/triplereset.bin" 2>&1)
rc=$?
want="first boot: triple fault
second boot after the reset"
if [ "$out" = "$want" ] && [ $rc -eq 1 ]; then
    echo "check: triple fault resets the board and the firmware restarts: ok"
else
    echo "check: triple fault reset: FAILED (exit status $rc)"; echo "$out"; fail=1
fi

# Malformed kernels: a clear message and exit status 1, never a crash.
bad() {
    name=$1; file=$2
    "$popek" --kernel "$file" > "$dir/bad.out" 2>&1
    rc=$?
    if [ $rc -eq 1 ] && grep -q "popek:" "$dir/bad.out"; then
        echo "check: malformed kernel ($name) refused: ok"
    else
        echo "check: malformed kernel ($name): FAILED (status $rc)"; cat "$dir/bad.out"; fail=1
    fi
}
head -c 100 /dev/zero > "$dir/bad-zero"
bad "100 zero bytes" "$dir/bad-zero"
head -c 3000 "$dir/mbtest.elf" > "$dir/bad-trunc"
bad "truncated ELF" "$dir/bad-trunc"
# A multiboot header whose ELF program header points far outside the file.
python3 - "$dir/mbtest.elf" "$dir/bad-phdr" <<'PY'
import struct, sys
d = bytearray(open(sys.argv[1], 'rb').read())
phoff = struct.unpack_from('<I', d, 28)[0]
struct.pack_into('<I', d, phoff + 4, 0x7FFFFFF0)   # p_offset
open(sys.argv[2], 'wb').write(d)
PY
bad "program header outside the file" "$dir/bad-phdr"
# A bzImage header with a setup size larger than the file.
python3 - "$dir/bad-bz" <<'PY'
import struct, sys
d = bytearray(4096)
d[0x1F1] = 200; struct.pack_into('<H', d, 0x1FE, 0xAA55)
d[0x202:0x206] = b'HdrS'; struct.pack_into('<H', d, 0x206, 0x020F); d[0x211] = 1
open(sys.argv[1], 'wb').write(d)
PY
bad "bzImage setup larger than the file" "$dir/bad-bz"
exit $fail
