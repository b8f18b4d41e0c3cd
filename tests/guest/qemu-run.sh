#!/bin/sh
# Development aid, not used by `make check`: runs one guest test image under
# QEMU (qemu-system-i386, TCG) to check the test itself against another
# implementation.  QEMU is not a dependency of the project.
#
#   sh tests/guest/qemu-run.sh IMAGE MODEL
#
# MODEL is 386, 486, pentium or p6; QEMU has no 386, so 386 runs as a 486
# (checks of 386-only behaviour then fail under QEMU).  The guest's 0xE9
# lines go to stdout.  Exit status: 0 when the guest wrote 0 to port 0xF4,
# 1 when it wrote a failure code, 2 for a shutdown (triple fault, with
# -no-reboot), 3 for a timeout.
set -u
img=$1
model=$2
case $model in
386|486) cpu=486 ;;
pentium) cpu=pentium,family=5,model=2,stepping=12,-mmx,-apic ;;
p6) cpu=pentium2,family=6,model=1,stepping=9,-mmx,-sep,-pat,-pse36,-fxsr,-sse,-sse2,+vme ;;
*) echo "unknown model $model" >&2; exit 2 ;;
esac
timeout 60 qemu-system-i386 -accel tcg -cpu "$cpu" -m 64 -display none -no-reboot \
    -serial none -parallel none -monitor none -net none \
    -device isa-debug-exit,iobase=0xf4,iosize=0x04 -debugcon stdio \
    -kernel "$img" -append "model=$model"
rc=$?
case $rc in
1) exit 0 ;;      # wrote 0: (0 << 1) | 1
0) exit 2 ;;      # QEMU exited on its own: the guest shut down
124) exit 3 ;;
*) exit 1 ;;
esac
